"""Formatting of the node's views and core records into Ethereum JSON-RPC objects.

Blocks carry every member web3.py's and alloy's (cast) block decoders expect; members that make
no sense on this L2 have their post-merge constant values (``difficulty`` 0, ``nonce`` 8 zero
bytes, empty ``uncles``). L2 specifics are extra members (``l1OriginNumber``, ``withdrawalRoot``)
which clients pass through.
"""

from __future__ import annotations

import enum
from dataclasses import fields, is_dataclass
from typing import Any, Final

from eth_hash.auto import keccak

from .hexcodec import data, quantity

__all__ = [
    "EMPTY_UNCLES_HASH",
    "ZERO_HASH_HEX",
    "format_block",
    "format_transaction",
    "format_receipt",
    "format_log",
    "format_fee_history",
    "format_sync_status",
    "format_tx_status",
    "format_withdrawal_proof",
    "format_record",
    "logs_bloom",
]

EMPTY_UNCLES_HASH: Final = "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347"
"""keccak(rlp([])): the ``sha3Uncles`` of every block without uncles (all of ours)."""

ZERO_HASH_HEX: Final = "0x" + "00" * 32
"""32 zero bytes, for ``mixHash`` and absent roots."""

ZERO_NONCE_HEX: Final = "0x" + "00" * 8
"""The 8-byte proof-of-work ``nonce`` of a post-merge block."""

EMPTY_BLOOM_HEX: Final = "0x" + "00" * 256
"""A 2048-bit logs bloom with no bits set."""

ZERO_ADDRESS_HEX: Final = "0x" + "00" * 20
"""Miner of a block whose header has no fee recipient."""


def _first(obj: Any, names: tuple[str, ...], default: Any = None) -> Any:
    """The first attribute of ``obj`` among ``names`` that exists (core field names vary by type)."""
    for name in names:
        value = getattr(obj, name, None)
        if value is not None:
            return value
    return default


def _hex_opt(value: Any, default: str) -> str:
    return default if value is None else data(value)


def logs_bloom(logs: Any) -> bytes:
    """The 2048-bit Ethereum logs bloom of a sequence of logs (address and topics)."""
    bloom = 0
    for log in logs:
        for item in (bytes(log.address), *(bytes(t) for t in log.topics)):
            digest = keccak(item)
            for i in (0, 2, 4):
                bloom |= 1 << (((digest[i] << 8) | digest[i + 1]) & 2047)
    return bloom.to_bytes(256, "big")


def format_block(view: Any) -> dict[str, Any]:
    """A block object (``eth_getBlockByNumber``/``ByHash``)."""
    h = view.header
    if view.full:
        txs = [format_transaction(tx, _Loc(view, i)) for i, tx in enumerate(view.transactions)]
    else:
        txs = ["0x" + bytes(t).hex() for t in view.transactions]
    extra = bytes(_first(h, ("extra_data", "extra"), b""))[:32]
    base_fee = _first(h, ("base_fee_per_gas", "base_fee"), 0)
    out: dict[str, Any] = {
        "number": quantity(h.number),
        "hash": data(view.hash),
        "parentHash": data(h.parent_hash),
        "nonce": ZERO_NONCE_HEX,
        "sha3Uncles": EMPTY_UNCLES_HASH,
        "logsBloom": _hex_opt(_first(h, ("logs_bloom", "bloom")), EMPTY_BLOOM_HEX),
        "transactionsRoot": _hex_opt(_first(h, ("transactions_root", "tx_root")), ZERO_HASH_HEX),
        "stateRoot": _hex_opt(_first(h, ("state_root",)), ZERO_HASH_HEX),
        "receiptsRoot": _hex_opt(_first(h, ("receipts_root", "receipt_root")), ZERO_HASH_HEX),
        "miner": _hex_opt(_first(h, ("fee_vault", "coinbase", "fee_recipient", "miner")), ZERO_ADDRESS_HEX),
        "difficulty": "0x0",
        "totalDifficulty": "0x0",
        "extraData": data(extra),
        "size": quantity(view.size),
        "gasLimit": quantity(_first(h, ("gas_limit",), 0)),
        "gasUsed": quantity(_first(h, ("gas_used",), 0)),
        "timestamp": quantity(_first(h, ("timestamp",), 0)),
        "baseFeePerGas": quantity(base_fee),
        "mixHash": ZERO_HASH_HEX,
        "transactions": txs,
        "uncles": [],
    }
    l1_number = _first(h, ("l1_origin_number", "l1_number"))
    if l1_number is not None:
        out["l1OriginNumber"] = quantity(l1_number)
    l1_hash = _first(h, ("l1_origin_hash", "l1_hash"))
    if l1_hash is not None:
        out["l1OriginHash"] = data(l1_hash)
    wroot = _first(h, ("withdrawal_root", "withdrawals_root"))
    if wroot is not None:
        out["withdrawalRoot"] = data(wroot)
    return out


class _Loc:
    """A transaction's location inside a block view (for full-transaction blocks)."""

    __slots__ = ("block_number", "block_hash", "index")

    def __init__(self, view: Any, index: int) -> None:
        self.block_number = view.header.number
        self.block_hash = view.hash
        self.index = index


def format_transaction(tx: Any, location: Any | None) -> dict[str, Any]:
    """A transaction object; block members are null while it is pending."""
    tx_type = int(tx.tx_type)
    to = tx.to
    out: dict[str, Any] = {
        "blockHash": None if location is None else data(location.block_hash),
        "blockNumber": None if location is None else quantity(location.block_number),
        "transactionIndex": None if location is None else quantity(location.index),
        "hash": data(tx.hash),
        "from": data(tx.sender),
        "to": None if to is None else data(to),
        "nonce": quantity(tx.nonce or 0),
        "value": quantity(tx.value),
        "gas": quantity(tx.gas),
        "input": data(tx.data),
        "type": quantity(tx_type),
    }
    if tx_type == 2:
        out["chainId"] = quantity(tx.chain_id)
        out["maxFeePerGas"] = quantity(tx.max_fee_per_gas)
        out["maxPriorityFeePerGas"] = quantity(tx.max_priority_fee_per_gas)
        out["gasPrice"] = quantity(tx.max_fee_per_gas)
        out["accessList"] = _format_access_list(tx.access_list)
        out["v"] = out["yParity"] = quantity(tx.y_parity)
        out["r"] = quantity(tx.r)
        out["s"] = quantity(tx.s)
    elif tx_type == 0:
        out["chainId"] = quantity(tx.chain_id)
        out["gasPrice"] = quantity(tx.gas_price)
        out["v"] = quantity(tx.v)
        out["r"] = quantity(tx.r)
        out["s"] = quantity(tx.s)
    else:  # deposit: unsigned, gas-free
        out["gasPrice"] = "0x0"
        out["sourceHash"] = data(tx.source_hash)
        out["mint"] = quantity(tx.mint)
        out["v"] = out["r"] = out["s"] = "0x0"
    return out


def _format_access_list(entries: Any) -> list[dict[str, Any]]:
    out = []
    for entry in entries or ():
        address, keys = (entry[0], entry[1]) if isinstance(entry, (tuple, list)) else (entry.address, entry.storage_keys)
        out.append({"address": data(address), "storageKeys": [data(k) for k in keys]})
    return out


def format_log(log: Any) -> dict[str, Any]:
    """A log object with its position (``eth_getLogs``, receipts)."""
    return {
        "address": data(log.address),
        "topics": [data(t) for t in log.topics],
        "data": data(log.data),
        "blockNumber": quantity(log.block_number),
        "blockHash": data(log.block_hash),
        "transactionHash": data(log.tx_hash),
        "transactionIndex": quantity(log.tx_index),
        "logIndex": quantity(log.log_index),
        "removed": False,
    }


def format_receipt(view: Any) -> dict[str, Any]:
    """A receipt object (``eth_getTransactionReceipt``)."""
    loc = view.location
    receipt = view.receipt
    bloom = _first(receipt, ("logs_bloom", "bloom"))
    tx_type = _first(receipt, ("tx_type", "type"), 2)
    out: dict[str, Any] = {
        "transactionHash": data(view.tx_hash),
        "transactionIndex": quantity(loc.index),
        "blockHash": data(loc.block_hash),
        "blockNumber": quantity(loc.block_number),
        "from": data(view.sender),
        "to": None if view.to is None else data(view.to),
        "cumulativeGasUsed": quantity(view.cumulative_gas_used),
        "gasUsed": quantity(view.gas_used),
        "effectiveGasPrice": quantity(view.effective_gas_price),
        "contractAddress": None,
        "logs": [format_log(log) for log in view.logs],
        "logsBloom": data(bloom) if bloom is not None else data(logs_bloom(view.logs)),
        "status": quantity(view.status),
        "type": quantity(int(tx_type)),
    }
    l1_fee = _first(receipt, ("l1_fee",))
    if l1_fee is not None:
        out["l1Fee"] = quantity(l1_fee)
    reason = getattr(receipt, "revert_reason", "")
    if reason:
        out["revertReason"] = reason
    return out


def format_fee_history(history: Any) -> dict[str, Any]:
    """``eth_feeHistory``'s result object."""
    out: dict[str, Any] = {
        "oldestBlock": quantity(history.oldest_block),
        "baseFeePerGas": [quantity(x) for x in history.base_fee_per_gas],
        "gasUsedRatio": [float(x) for x in history.gas_used_ratio],
    }
    if history.reward is not None:
        out["reward"] = [[quantity(x) for x in row] for row in history.reward]
    return out


def format_sync_status(status: Any) -> dict[str, Any]:
    """``omni_syncStatus``: the three heads, whether we sequence, the pool size."""
    return {
        "unsafe": quantity(status.unsafe),
        "safe": quantity(status.safe),
        "finalized": quantity(status.finalized),
        "sequencerActive": bool(status.sequencer_active),
        "pendingCount": quantity(status.pending_count),
    }


def format_tx_status(status: Any) -> dict[str, Any]:
    """``omni_getTransactionStatus``: state plus location or reason."""
    state = status.state.value if isinstance(status.state, enum.Enum) else str(status.state)
    out: dict[str, Any] = {"status": state}
    loc = status.location
    if loc is not None:
        out.update(blockNumber=quantity(loc.block_number), blockHash=data(loc.block_hash),
                   transactionIndex=quantity(loc.index))
    if status.reason is not None:
        out["reason"] = status.reason
    replaced_by = getattr(status, "replaced_by", None)
    if replaced_by is not None:
        out["replacedBy"] = data(replaced_by)
    return out


def format_withdrawal_proof(proof: Any) -> dict[str, Any]:
    """``omni_getWithdrawalProof``: the leaf, its index, the siblings and the root."""
    out = {
        "leafIndex": quantity(proof.leaf_index),
        "leaf": data(proof.leaf),
        "siblings": [data(s) for s in proof.siblings],
        "root": data(proof.root),
        "blockNumber": quantity(proof.block_number),
        "transactionHash": None if proof.tx_hash is None else data(proof.tx_hash),
    }
    for key, value in (getattr(proof, "extra", None) or {}).items():
        out[_camel(key)] = _to_json(value)
    return out


def format_record(record: Any) -> Any:
    """A core state record (task, model, stake) as JSON: members in camelCase, ints as quantities."""
    return _to_json(record)


def _to_json(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str, float)):
        return value
    if isinstance(value, enum.Enum):
        return value.name.lower()
    if isinstance(value, int):
        return quantity(value) if value >= 0 else str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return data(value)
    if is_dataclass(value) and not isinstance(value, type):
        return {_camel(f.name): _to_json(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {_camel(str(k)): _to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_to_json(v) for v in value]
    return str(value)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)
