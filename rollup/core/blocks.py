"""Blocks: logs, the logs bloom, receipts and headers with their canonical encodings.

- Header: ``rlp([version, number, parent_hash, timestamp, l1_origin_number, l1_origin_hash,
  base_fee, gas_limit, gas_used, fee_vault, tx_root, receipts_root, state_root,
  withdrawal_root, extra_data])``; block hash = ``keccak`` of it.
- Receipt: ``rlp([version, tx_type, status, cumulative_gas_used, gas_used, effective_gas_price,
  l2_fee, l1_fee, [[address, [topics...], data], ...], revert_reason_utf8])``. The bloom, the
  transaction hash and log indices are derived and not part of the canonical encoding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import rlp

from .hashing import keccak
from .rlp_fast import encode_bytes, encode_int, encode_list
from .constants import HEADER_VERSION, MAX_EXTRA_DATA_SIZE, RECEIPT_VERSION
from .types import Address, Gas, Hash32, L1BlockNumber, L2BlockNumber, Timestamp, Wei

__all__ = [
    "Log",
    "Receipt",
    "Header",
    "encode_receipts",
    "EMPTY_BLOOM",
    "logs_bloom",
    "bloom_contains",
]

EMPTY_BLOOM = bytes(256)
"""The 2048-bit bloom of no logs."""


def _i(b: bytes) -> int:
    return int.from_bytes(b, "big")


@dataclass(frozen=True, slots=True)
class Log:
    """An Ethereum-style log. ``log_index`` is its position in the block (not canonical)."""

    address: Address
    topics: tuple[Hash32, ...]
    data: bytes
    log_index: int = 0

    def fields(self) -> list:
        return [self.address, list(self.topics), self.data]


def _bloom_bits(value: bytes) -> int:
    h = keccak(value)
    bits = 0
    for i in (0, 2, 4):
        bits |= 1 << (((h[i] << 8) | h[i + 1]) & 2047)
    return bits


def logs_bloom(logs: Iterable[Log]) -> bytes:
    """Ethereum's 2048-bit bloom over every log's address and topics (256 bytes)."""
    bloom = 0
    for log in logs:
        bloom |= _bloom_bits(log.address)
        for topic in log.topics:
            bloom |= _bloom_bits(topic)
    return bloom.to_bytes(256, "big")


def bloom_contains(bloom: bytes, value: bytes) -> bool:
    """Whether ``value`` (an address or topic) may be in a bloom (false positives possible)."""
    bits = _bloom_bits(value)
    return int.from_bytes(bloom, "big") & bits == bits


@dataclass(frozen=True, slots=True)
class Receipt:
    """The outcome of one included transaction.

    ``l2_fee = gas_used * effective_gas_price`` (base part burned, priority part to the vault),
    ``l1_fee`` goes to the vault. A failed system call has ``status == 0``, no logs and a
    ``revert_reason``. ``transaction_hash``, ``transaction_index``, ``sender`` and ``to`` are
    conveniences for the RPC, outside the canonical encoding.
    """

    tx_type: int
    status: int
    cumulative_gas_used: Gas
    gas_used: Gas
    effective_gas_price: Wei
    logs: tuple[Log, ...]
    l2_fee: Wei
    l1_fee: Wei
    revert_reason: str = ""
    transaction_hash: Hash32 = Hash32(bytes(32))
    transaction_index: int = 0
    sender: Address = Address(bytes(20))
    to: Address | None = None

    contract_address = None
    """No contract creation on this L2."""

    @property
    def logs_bloom(self) -> bytes:
        return logs_bloom(self.logs)

    def encode(self) -> bytes:
        """Canonical encoding (the receipts root commits to these)."""
        ei, eb = encode_int, encode_bytes
        logs = [
            encode_list([eb(lg.address), encode_list([eb(t) for t in lg.topics]), eb(lg.data)])
            for lg in self.logs
        ]
        return encode_list([
            ei(RECEIPT_VERSION), ei(self.tx_type), ei(self.status), ei(self.cumulative_gas_used),
            ei(self.gas_used), ei(self.effective_gas_price), ei(self.l2_fee), ei(self.l1_fee),
            encode_list(logs), eb(self.revert_reason.encode()),
        ])

    def encode_full(self) -> bytes:
        """Storage encoding: the canonical one plus hash, index, sender, to and log indices."""
        return rlp.encode([
            self.encode(), self.transaction_hash, self.transaction_index, self.sender,
            self.to or b"", [log.log_index for log in self.logs],
        ])

    @classmethod
    def decode(cls, raw: bytes) -> "Receipt":
        """Inverse of :meth:`encode` (non-canonical fields take their defaults)."""
        f = rlp.decode(raw)
        if _i(f[0]) != RECEIPT_VERSION:
            raise ValueError(f"unknown receipt version {_i(f[0])}")
        logs = tuple(
            Log(Address(a), tuple(Hash32(t) for t in topics), d) for a, topics, d in f[8]
        )
        return cls(
            _i(f[1]), _i(f[2]), Gas(_i(f[3])), Gas(_i(f[4])), Wei(_i(f[5])), logs,
            Wei(_i(f[6])), Wei(_i(f[7])), f[9].decode(),
        )

    @classmethod
    def decode_full(cls, raw: bytes) -> "Receipt":
        """Inverse of :meth:`encode_full`."""
        canonical, tx_hash, index, sender, to, log_indices = rlp.decode(raw)
        r = cls.decode(canonical)
        logs = tuple(
            Log(log.address, log.topics, log.data, _i(li)) for log, li in zip(r.logs, log_indices)
        )
        return cls(
            r.tx_type, r.status, r.cumulative_gas_used, r.gas_used, r.effective_gas_price, logs,
            r.l2_fee, r.l1_fee, r.revert_reason, Hash32(tx_hash), _i(index), Address(sender),
            Address(to) if to else None,
        )


def encode_receipts(receipts: Iterable[Receipt]) -> list[bytes]:
    """Fast path of ``[r.encode() for r in receipts]`` (what the receipts root commits to).

    In a block of transfers the receipts differ only in their cumulative gas (and in the fields
    outside the canonical encoding): same type, status, gas used, price, fees, no logs, no
    revert reason. So a receipt without logs is encoded as the encoding of the fields before the
    cumulative gas, the cumulative gas, and the encoding of the fields after it, the two
    constant parts memoized by their fields for the duration of one call. Receipts with logs
    take :meth:`Receipt.encode`. Identical output (tests/core/test_fast_paths.py).
    """
    ei, eb = encode_int, encode_bytes
    parts_of: dict[tuple, tuple[bytes, bytes]] = {}
    out: list[bytes] = []
    append = out.append
    for r in receipts:
        if r.logs:
            append(r.encode())
            continue
        key = (r.tx_type, r.status, r.gas_used, r.effective_gas_price, r.l2_fee, r.l1_fee,
               r.revert_reason)
        parts = parts_of.get(key)
        if parts is None:
            parts = parts_of[key] = (
                ei(RECEIPT_VERSION) + ei(r.tx_type) + ei(r.status),
                ei(r.gas_used) + ei(r.effective_gas_price) + ei(r.l2_fee) + ei(r.l1_fee)
                + _EMPTY_LIST + eb(r.revert_reason.encode()),
            )
        head, tail = parts
        payload = head + ei(r.cumulative_gas_used) + tail
        n = len(payload)
        append((bytes((0xC0 + n,)) if n < 56 else _list_prefix(n)) + payload)
    return out


_EMPTY_LIST = encode_list([])
"""RLP of the empty list (a receipt without logs)."""


def _list_prefix(length: int) -> bytes:
    """RLP list header for a payload of ``length >= 56`` bytes."""
    lb = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((0xF7 + len(lb),)) + lb


@dataclass(frozen=True, slots=True)
class Header:
    """An L2 block header. ``hash`` is computed from the canonical encoding on construction."""

    number: L2BlockNumber
    parent_hash: Hash32
    timestamp: Timestamp
    l1_origin_number: L1BlockNumber
    l1_origin_hash: Hash32
    base_fee: Wei
    gas_limit: Gas
    gas_used: Gas
    fee_vault: Address
    tx_root: Hash32
    receipts_root: Hash32
    state_root: Hash32
    withdrawal_root: Hash32
    extra_data: bytes = b""
    hash: Hash32 = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.extra_data) > MAX_EXTRA_DATA_SIZE:
            raise ValueError(
                f"extra_data is {len(self.extra_data)} bytes, at most {MAX_EXTRA_DATA_SIZE} allowed"
            )
        object.__setattr__(self, "hash", Hash32(keccak(self.encode())))

    def encode(self) -> bytes:
        """Canonical encoding; the block hash is its keccak."""
        return rlp.encode([
            HEADER_VERSION, self.number, self.parent_hash, self.timestamp, self.l1_origin_number,
            self.l1_origin_hash, self.base_fee, self.gas_limit, self.gas_used, self.fee_vault,
            self.tx_root, self.receipts_root, self.state_root, self.withdrawal_root,
            self.extra_data,
        ])

    @classmethod
    def decode(cls, raw: bytes) -> "Header":
        f = rlp.decode(raw)
        if len(f) != 15 or _i(f[0]) != HEADER_VERSION:
            raise ValueError("not a version-0 L2 header (expected 15 fields, version 0)")
        return cls(
            L2BlockNumber(_i(f[1])), Hash32(f[2]), Timestamp(_i(f[3])), L1BlockNumber(_i(f[4])),
            Hash32(f[5]), Wei(_i(f[6])), Gas(_i(f[7])), Gas(_i(f[8])), Address(f[9]),
            Hash32(f[10]), Hash32(f[11]), Hash32(f[12]), Hash32(f[13]), f[14],
        )
