"""The JSON-RPC methods: parse parameters, call the node facade, format the result.

Each method is an async function of the positional ``params`` list. Parameters are validated here
(:mod:`rollup.rpc.hexcodec`), the node is called with raw bytes and ints, and node or core errors
are translated by :func:`rollup.rpc.translate.translate_error` into JSON-RPC errors.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Final, Sequence

from . import formatting as fmt
from .dispatch import BatchHandler, Handler
from .errors import InternalError, InvalidParams, LimitExceeded, RpcError
from .hexcodec import (
    parse_address,
    parse_block_tag,
    parse_bool,
    parse_data,
    parse_hash,
    parse_quantity,
    quantity,
)
from .settings import RpcSettings
from .translate import translate_error

__all__ = ["build_method_table", "build_batch_table", "SYSTEM_CODE_MARKER", "MAX_FEE_HISTORY_BLOCKS"]

_log = logging.getLogger(__name__)

SYSTEM_CODE_MARKER: Final = "0xfe"
"""eth_getCode of a system address: one INVALID opcode, non-empty so tools treat it as a contract."""

MAX_FEE_HISTORY_BLOCKS: Final = 1024
"""Most blocks one eth_feeHistory may cover (geth's limit)."""

_MAX_PERCENTILES: Final = 100
"""Most reward percentiles one eth_feeHistory may ask for."""

_TX_FIELD_QUANTITIES: Final = (
    ("gas", "gas"),
    ("gasPrice", "gas_price"),
    ("maxFeePerGas", "max_fee_per_gas"),
    ("maxPriorityFeePerGas", "max_priority_fee_per_gas"),
    ("value", "value"),
    ("nonce", "nonce"),
)
"""Call-object quantity members and the facade's names for them."""


def _arity(params: list[Any], low: int, high: int, method: str) -> list[Any]:
    """Check the parameter count; pad optional trailing parameters with None."""
    n = len(params)
    if n < low or n > high:
        want = str(low) if low == high else f"{low} to {high}"
        raise InvalidParams(f"{method} takes {want} parameters, got {n}")
    return params + [None] * (high - n)


def _system_addresses() -> frozenset[bytes]:
    try:
        from rollup.core.constants import SYSTEM_ADDRESSES
    except ImportError:  # pragma: no cover - the core always ships it
        return frozenset()
    return frozenset(bytes(a) for a in SYSTEM_ADDRESSES)


def parse_call_object(obj: Any, name: str = "transaction") -> dict[str, Any]:
    """An eth_call / eth_estimateGas object as the facade's ``tx_fields``."""
    if not isinstance(obj, dict):
        raise InvalidParams(f"{name}: expected a call object")
    fields: dict[str, Any] = {}
    if obj.get("from") is not None:
        fields["from"] = parse_address(obj["from"], f"{name}.from")
    if obj.get("to") is not None:
        fields["to"] = parse_address(obj["to"], f"{name}.to")
    for key, attr in _TX_FIELD_QUANTITIES:
        if obj.get(key) is not None:
            fields[attr] = parse_quantity(obj[key], f"{name}.{key}")
    payload = obj.get("input", obj.get("data"))
    if payload is not None:
        fields["data"] = parse_data(payload, f"{name}.input")
    return fields


def parse_log_filter(obj: Any) -> Any:
    """An eth_getLogs filter object as the facade's ``LogFilter``."""
    from rollup.node.views import LogFilter

    if not isinstance(obj, dict):
        raise InvalidParams("filter: expected a filter object")
    block_hash = obj.get("blockHash")
    addresses_raw = obj.get("address")
    if addresses_raw is None:
        addresses: tuple[bytes, ...] = ()
    elif isinstance(addresses_raw, list):
        addresses = tuple(parse_address(a, "filter.address") for a in addresses_raw)
    else:
        addresses = (parse_address(addresses_raw, "filter.address"),)
    topics_raw = obj.get("topics") or []
    if not isinstance(topics_raw, list) or len(topics_raw) > 4:
        raise InvalidParams("filter.topics: expected an array of at most 4 entries")
    topics: list[tuple[bytes, ...] | None] = []
    for i, entry in enumerate(topics_raw):
        if entry is None:
            topics.append(None)
        elif isinstance(entry, list):
            topics.append(tuple(parse_hash(t, f"filter.topics[{i}]") for t in entry) or None)
        else:
            topics.append((parse_hash(entry, f"filter.topics[{i}]"),))
    if block_hash is not None:
        if obj.get("fromBlock") is not None or obj.get("toBlock") is not None:
            raise InvalidParams("filter: blockHash excludes fromBlock/toBlock")
        return LogFilter(addresses=addresses, topics=tuple(topics),
                         block_hash=parse_hash(block_hash, "filter.blockHash"))
    return LogFilter(
        from_block=parse_block_tag(obj.get("fromBlock"), "filter.fromBlock"),
        to_block=parse_block_tag(obj.get("toBlock"), "filter.toBlock"),
        addresses=addresses,
        topics=tuple(topics),
    )


def build_method_table(node: Any, settings: RpcSettings) -> dict[str, Handler]:
    """All served methods bound to ``node``."""
    system = _system_addresses()
    chain_id_hex = quantity(node.chain_id)
    chain_id_dec = str(node.chain_id)

    async def eth_chainId(params: list[Any]) -> Any:
        return chain_id_hex

    async def net_version(params: list[Any]) -> Any:
        return chain_id_dec

    async def net_listening(params: list[Any]) -> Any:
        return True

    async def web3_clientVersion(params: list[Any]) -> Any:
        return settings.client_version

    async def eth_syncing(params: list[Any]) -> Any:
        return False

    async def eth_accounts(params: list[Any]) -> Any:
        return []

    async def eth_blockNumber(params: list[Any]) -> Any:
        return quantity(await node.block_number())

    async def eth_getTransactionCount(params: list[Any]) -> Any:
        addr, tag = _arity(params, 1, 2, "eth_getTransactionCount")
        return quantity(await node.get_nonce(parse_address(addr), parse_block_tag(tag)))

    async def eth_getBalance(params: list[Any]) -> Any:
        addr, tag = _arity(params, 1, 2, "eth_getBalance")
        return quantity(await node.get_balance(parse_address(addr), parse_block_tag(tag)))

    async def eth_getCode(params: list[Any]) -> Any:
        addr, tag = _arity(params, 1, 2, "eth_getCode")
        parse_block_tag(tag)
        return SYSTEM_CODE_MARKER if parse_address(addr) in system else "0x"

    async def eth_getStorageAt(params: list[Any]) -> Any:
        addr, slot, tag = _arity(params, 2, 3, "eth_getStorageAt")
        parse_address(addr)
        parse_quantity(slot, "slot")
        parse_block_tag(tag)
        return "0x" + "00" * 32

    async def eth_sendRawTransaction(params: list[Any]) -> Any:
        return "0x" + (await node.submit_raw_transaction(_raw_tx_param(params))).hex()

    async def eth_getTransactionReceipt(params: list[Any]) -> Any:
        (h,) = _arity(params, 1, 1, "eth_getTransactionReceipt")
        view = await node.get_receipt(parse_hash(h, "transaction hash"))
        return None if view is None else fmt.format_receipt(view)

    async def eth_getTransactionByHash(params: list[Any]) -> Any:
        (h,) = _arity(params, 1, 1, "eth_getTransactionByHash")
        view = await node.get_transaction(parse_hash(h, "transaction hash"))
        return None if view is None else fmt.format_transaction(view.tx, view.location)

    async def eth_getBlockByNumber(params: list[Any]) -> Any:
        tag, full = _arity(params, 1, 2, "eth_getBlockByNumber")
        full = False if full is None else parse_bool(full, "full transactions")
        view = await node.get_block(parse_block_tag(tag), full)
        return None if view is None else fmt.format_block(view)

    async def eth_getBlockByHash(params: list[Any]) -> Any:
        h, full = _arity(params, 1, 2, "eth_getBlockByHash")
        full = False if full is None else parse_bool(full, "full transactions")
        view = await node.get_block_by_hash(parse_hash(h, "block hash"), full)
        return None if view is None else fmt.format_block(view)

    async def eth_getBlockTransactionCountByNumber(params: list[Any]) -> Any:
        (tag,) = _arity(params, 1, 1, "eth_getBlockTransactionCountByNumber")
        view = await node.get_block(parse_block_tag(tag), False)
        return None if view is None else quantity(len(view.transactions))

    async def eth_getBlockTransactionCountByHash(params: list[Any]) -> Any:
        (h,) = _arity(params, 1, 1, "eth_getBlockTransactionCountByHash")
        view = await node.get_block_by_hash(parse_hash(h, "block hash"), False)
        return None if view is None else quantity(len(view.transactions))

    async def eth_gasPrice(params: list[Any]) -> Any:
        return quantity(await node.gas_price())

    async def eth_maxPriorityFeePerGas(params: list[Any]) -> Any:
        return quantity(await node.max_priority_fee())

    async def eth_feeHistory(params: list[Any]) -> Any:
        count, newest, percentiles = _arity(params, 2, 3, "eth_feeHistory")
        n = parse_quantity(count, "blockCount")
        if n < 1 or n > MAX_FEE_HISTORY_BLOCKS:
            raise InvalidParams(f"blockCount must be 1 to {MAX_FEE_HISTORY_BLOCKS}, got {n}")
        pcts: list[float] | None = None
        if percentiles is not None:
            if not isinstance(percentiles, list) or len(percentiles) > _MAX_PERCENTILES:
                raise InvalidParams("rewardPercentiles: expected an array of at most 100 numbers")
            pcts = []
            for p in percentiles:
                if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 100:
                    raise InvalidParams("rewardPercentiles: each must be a number from 0 to 100")
                if pcts and p < pcts[-1]:
                    raise InvalidParams("rewardPercentiles: must be in ascending order")
                pcts.append(float(p))
        history = await node.fee_history(n, parse_block_tag(newest, "newestBlock"), pcts)
        return fmt.format_fee_history(history)

    async def eth_estimateGas(params: list[Any]) -> Any:
        obj, tag = _arity(params, 1, 2, "eth_estimateGas")
        return quantity(await node.estimate_gas(parse_call_object(obj),
                                                parse_block_tag(tag) if tag is not None else "pending"))

    async def eth_call(params: list[Any]) -> Any:
        obj, tag = _arity(params, 1, 3, "eth_call")[:2]
        return "0x" + (await node.call(parse_call_object(obj), parse_block_tag(tag))).hex()

    async def eth_getLogs(params: list[Any]) -> Any:
        (obj,) = _arity(params, 1, 1, "eth_getLogs")
        flt = parse_log_filter(obj)
        if isinstance(flt.from_block, int) and isinstance(flt.to_block, int):
            if flt.to_block < flt.from_block:
                raise InvalidParams("filter: toBlock is before fromBlock")
            if flt.to_block - flt.from_block + 1 > settings.max_log_range:
                raise LimitExceeded(f"block range too wide: at most {settings.max_log_range} blocks per query",
                                    {"limit": settings.max_log_range})
        logs = await node.get_logs(flt)
        if len(logs) > settings.max_logs:
            raise LimitExceeded(f"query returned more than {settings.max_logs} logs; narrow the range",
                                {"limit": settings.max_logs})
        return [fmt.format_log(log) for log in logs]

    async def omni_syncStatus(params: list[Any]) -> Any:
        return fmt.format_sync_status(await node.sync_status())

    async def omni_getTransactionStatus(params: list[Any]) -> Any:
        (h,) = _arity(params, 1, 1, "omni_getTransactionStatus")
        return fmt.format_tx_status(await node.get_transaction_status(parse_hash(h, "transaction hash")))

    async def omni_getTask(params: list[Any]) -> Any:
        tid, tag = _arity(params, 1, 2, "omni_getTask")
        record = await node.get_task(parse_quantity(tid, "taskId"), parse_block_tag(tag))
        return None if record is None else fmt.format_record(record)

    async def omni_getModel(params: list[Any]) -> Any:
        mid, tag = _arity(params, 1, 2, "omni_getModel")
        model_id: Any = parse_quantity(mid, "modelId") if not _is_hash(mid) else parse_hash(mid, "modelId")
        record = await node.get_model(model_id, parse_block_tag(tag))
        return None if record is None else fmt.format_record(record)

    async def omni_getStake(params: list[Any]) -> Any:
        addr, tag = _arity(params, 1, 2, "omni_getStake")
        record = await node.get_stake(parse_address(addr), parse_block_tag(tag))
        return None if record is None else fmt.format_record(record)

    async def omni_getWithdrawalProof(params: list[Any]) -> Any:
        (ref,) = _arity(params, 1, 1, "omni_getWithdrawalProof")
        key: bytes | int = parse_hash(ref, "transaction hash") if _is_hash(ref) else parse_quantity(ref, "index")
        proof = await node.get_withdrawal_proof(key)
        return None if proof is None else fmt.format_withdrawal_proof(proof)

    table: dict[str, Callable[[list[Any]], Awaitable[Any]]] = {
        name: fn for name, fn in locals().items()
        if callable(fn) and (name.startswith(("eth_", "net_", "web3_", "omni_")))
    }
    return {name: _guard(fn) for name, fn in table.items()}


def _raw_tx_param(params: list[Any]) -> bytes:
    if len(params) != 1:
        raise InvalidParams(f"eth_sendRawTransaction takes 1 parameter, got {len(params)}")
    raw = parse_data(params[0], "transaction")
    if not raw:
        raise InvalidParams("transaction: empty bytes")
    return raw


def build_batch_table(node: Any) -> dict[str, BatchHandler]:
    """Methods that run a whole batch's calls in one node call (the transfer fast path).

    ``eth_sendRawTransaction`` entries go to ``node.submit_raw_transactions(raws)`` when the node
    has it (one result per raw: the hash, or the exception), else to concurrent
    ``submit_raw_transaction`` calls started in array order."""
    many = getattr(node, "submit_raw_transactions", None)

    async def send_many(calls: Sequence[list[Any]]) -> list[Any]:
        results: list[Any] = [None] * len(calls)
        index: list[int] = []
        raws: list[bytes] = []
        for i, params in enumerate(calls):
            try:
                raws.append(_raw_tx_param(params))
                index.append(i)
            except RpcError as err:
                results[i] = err
        if not raws:
            return results
        outs: list[Any]
        if many is not None:
            try:
                outs = list(await many(raws))
            except Exception as exc:  # the whole batch was refused (standby, shutting down...)
                outs = [exc] * len(raws)
        else:
            outs = await asyncio.gather(*(node.submit_raw_transaction(r) for r in raws), return_exceptions=True)
        for i, out in zip(index, outs):
            results[i] = _send_result(out)
        return results

    return {"eth_sendRawTransaction": send_many}


def _send_result(out: Any) -> Any:
    """The JSON result (hash hex) or the RpcError for one submission outcome."""
    if isinstance(out, BaseException):
        err = translate_error(out)
        if not isinstance(err, RpcError):
            _log.error("internal error in eth_sendRawTransaction", exc_info=out)
            err = InternalError(f"internal error: {type(out).__name__}")
        return err
    return "0x" + bytes(out).hex()


def _is_hash(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 66 and value[:2] in ("0x", "0X")


def _guard(fn: Callable[[list[Any]], Awaitable[Any]]) -> Handler:
    """Wrap a method so node and core errors become JSON-RPC errors."""

    async def method(params: list[Any]) -> Any:
        try:
            return await fn(params)
        except Exception as exc:
            raise translate_error(exc) from exc

    method.__name__ = fn.__name__
    return method
