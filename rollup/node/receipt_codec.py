"""Storage encoding of receipts: a flat binary layout, cheap to write and read back.

The canonical receipt encoding (RLP, what the receipts root commits to) is the core's; the store
keeps this faster form instead, plus the queryable columns of :class:`ReceiptRecord` (gas used,
cumulative gas, effective gas price, hash and index), from which :func:`decode_receipt` rebuilds
the identical :class:`Receipt`. Layout, version 1 (big-endian)::

    u8 version=1 | u8 tx_type | u8 status | u256 l2_fee | u256 l1_fee | 20B sender
    | u8 has_to | [20B to] | u16 revert_len | revert utf-8 | u16 n_logs
    | n_logs x (u32 log_index | 20B address | u8 n_topics | 32B topics... | u32 data_len | data)
"""

from __future__ import annotations

import struct
from typing import Iterable

from rollup.core.blocks import Log, Receipt
from rollup.core.types import Address, Gas, Hash32, Wei
from rollup.storage import ReceiptRecord

__all__ = ["RECEIPT_STORAGE_VERSION", "encode_receipt", "encode_receipts", "decode_receipt"]

RECEIPT_STORAGE_VERSION = 1
"""Version byte of the storage layout (bump when the layout changes)."""

_HEAD = struct.Struct(">BBB32s32s20sB")
_U16 = struct.Struct(">H")
_LOG = struct.Struct(">I20sB")
_U32 = struct.Struct(">I")


def encode_receipt(receipt: Receipt) -> bytes:
    """The storage bytes of ``receipt`` (fields held in columns are left out)."""
    revert = receipt.revert_reason.encode()
    parts = [
        _HEAD.pack(RECEIPT_STORAGE_VERSION, receipt.tx_type, receipt.status,
                   int(receipt.l2_fee).to_bytes(32, "big"), int(receipt.l1_fee).to_bytes(32, "big"),
                   bytes(receipt.sender), 1 if receipt.to else 0),
    ]
    if receipt.to:
        parts.append(bytes(receipt.to))
    parts.append(_U16.pack(len(revert)))
    parts.append(revert)
    parts.append(_U16.pack(len(receipt.logs)))
    for log in receipt.logs:
        parts.append(_LOG.pack(log.log_index, bytes(log.address), len(log.topics)))
        parts.extend(bytes(t) for t in log.topics)
        parts.append(_U32.pack(len(log.data)))
        parts.append(bytes(log.data))
    return b"".join(parts)


_FEES = struct.Struct(">BBB32s32s")
"""The start of :data:`_HEAD`: version, type, status and the two fees."""
_NO_LOGS = _U16.pack(0)


def encode_receipts(receipts: Iterable[Receipt]) -> list[bytes]:
    """Fast path of ``[encode_receipt(r) for r in receipts]`` (a block's receipts).

    A block of transfers repeats the same type, status, fees and (empty) revert reason in
    receipt after receipt; only sender and recipient differ. A receipt without logs is joined
    from the packed fee part and the revert/logs tail, both memoized by their fields for the
    duration of one call, and its sender and recipient. Receipts with logs, or with a sender
    that is not 20 bytes (``struct`` would pad it), take :func:`encode_receipt`. Identical
    output (tests/core/test_fast_paths.py).
    """
    fees_of: dict[tuple[int, int, int, int], bytes] = {}
    tail_of: dict[str, bytes] = {}
    out: list[bytes] = []
    append = out.append
    for r in receipts:
        sender = r.sender
        if r.logs or len(sender) != 20:
            append(encode_receipt(r))
            continue
        key = (r.tx_type, r.status, r.l2_fee, r.l1_fee)
        fees = fees_of.get(key)
        if fees is None:
            fees = fees_of[key] = _FEES.pack(
                RECEIPT_STORAGE_VERSION, r.tx_type, r.status,
                int(r.l2_fee).to_bytes(32, "big"), int(r.l1_fee).to_bytes(32, "big"))
        reason = r.revert_reason
        tail = tail_of.get(reason)
        if tail is None:
            revert = reason.encode()
            tail = tail_of[reason] = _U16.pack(len(revert)) + revert + _NO_LOGS
        to = r.to
        if to:
            append(b"".join((fees, sender, b"\x01", to, tail)))
        else:
            append(b"".join((fees, sender, b"\x00", tail)))
    return out


def decode_receipt(raw: bytes, record: ReceiptRecord) -> Receipt:
    """Inverse of :func:`encode_receipt`, completed from the record's columns."""
    version, tx_type, status, l2_fee, l1_fee, sender, has_to = _HEAD.unpack_from(raw, 0)
    if version != RECEIPT_STORAGE_VERSION:
        raise ValueError(f"unknown receipt storage version {version}")
    pos = _HEAD.size
    to = None
    if has_to:
        to = Address(raw[pos:pos + 20])
        pos += 20
    (revert_len,) = _U16.unpack_from(raw, pos)
    pos += 2
    revert = raw[pos:pos + revert_len].decode()
    pos += revert_len
    (n_logs,) = _U16.unpack_from(raw, pos)
    pos += 2
    logs = []
    for _ in range(n_logs):
        log_index, address, n_topics = _LOG.unpack_from(raw, pos)
        pos += _LOG.size
        topics = tuple(Hash32(raw[pos + 32 * i:pos + 32 * (i + 1)]) for i in range(n_topics))
        pos += 32 * n_topics
        (data_len,) = _U32.unpack_from(raw, pos)
        pos += 4
        logs.append(Log(Address(address), topics, raw[pos:pos + data_len], log_index))
        pos += data_len
    return Receipt(
        tx_type, status, Gas(record.cumulative_gas_used), Gas(record.gas_used),
        Wei(record.effective_gas_price), tuple(logs), Wei(int.from_bytes(l2_fee, "big")),
        Wei(int.from_bytes(l1_fee, "big")), revert, Hash32(record.tx_hash), record.index,
        Address(sender), to,
    )
