"""The columnar batch body (format version 1): layout, encoder and decoder.

The body is what Brotli compresses; the frame header (parent batch hash, first and last block,
``frame.py``) stays in front of it in the clear. Like fields are stored together (all timestamps, then
all nonces, then all recipients, ...) so the compressor sees runs of similar bytes; the
signature scalars, which nothing can compress, come last. The exact layout is normative and
written in docs/spec.md §4 section 3; the order of the sections below follows it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from .constants import MAX_UINT64, TX_TYPE_FEE_MARKET, TX_TYPE_LEGACY
from .exceptions import InvalidBlockSequence, MalformedBatch
from .fields import WORD_BYTES, decimal_code, read_decimal, word_code, word_from_code
from .model import HASH_BYTES, Batch, BatchBlock, check_block_sequence
from .txfields import (
    EMPTY_ACCESS_LIST,
    TxFields,
    build_transaction,
    check_access_list,
    parse_transaction,
)
from .wire import ByteReader, ByteWriter, pack_bits, unpack_bits

__all__ = [
    "encode_body",
    "decode_body",
    "KIND_FEE_MARKET",
    "KIND_CREATE",
    "KIND_ACCESS_LIST",
    "KIND_PRE_EIP155",
    "DATA_EMPTY",
    "DATA_RAW",
    "DATA_ABI_BASE",
]

KIND_FEE_MARKET = 0x01
"""Kind bit: the transaction is type 2 (EIP-1559); clear: legacy."""

KIND_CREATE = 0x02
"""Kind bit: ``to`` is empty (contract creation); no entry in the recipient column."""

KIND_ACCESS_LIST = 0x04
"""Kind bit: a type 2 transaction with a non-empty access list (stored RLP in its column)."""

KIND_PRE_EIP155 = 0x08
"""Kind bit: a legacy transaction whose ``v`` is 27/28 (signature not bound to a chain id)."""

_KIND_MASK = KIND_FEE_MARKET | KIND_CREATE | KIND_ACCESS_LIST | KIND_PRE_EIP155
"""Every defined kind bit; a kind byte with any other bit set is malformed."""

DATA_EMPTY = 0
"""Data mode: no call data."""

DATA_RAW = 1
"""Data mode: call data stored as is (length column, then bytes column)."""

DATA_ABI_BASE = 2
"""Data mode ``2 + k``: ``selector_table[k]`` followed by ABI words stored in word columns."""

ADDRESS_BYTES = 20
"""Size of an entry of the address table."""

SELECTOR_BYTES = 4
"""Size of an entry of the selector table."""

SCALAR_BYTES = 32
"""Size of a stored signature scalar (r or s), big-endian, zero-padded."""

MIN_TX_BYTES = 2 * SCALAR_BYTES
"""Least body bytes a transaction occupies (r and s); bounds counts read from hostile input."""


def _table(items: list[bytes]) -> tuple[list[bytes], dict[bytes, int]]:
    """Distinct items, most frequent first (ties: first seen first), and their indices."""
    counts = Counter(items)
    order = sorted(counts, key=lambda k: -counts[k])  # sorted() is stable: first seen first
    return order, {item: i for i, item in enumerate(order)}


def _kind(tx: TxFields) -> int:
    kind = KIND_FEE_MARKET if tx.tx_type == TX_TYPE_FEE_MARKET else 0
    if tx.to is None:
        kind |= KIND_CREATE
    if tx.access_list != EMPTY_ACCESS_LIST:
        kind |= KIND_ACCESS_LIST
    if not tx.eip155:
        kind |= KIND_PRE_EIP155
    return kind


def _is_abi(data: bytes) -> bool:
    return len(data) >= SELECTOR_BYTES and (len(data) - SELECTOR_BYTES) % WORD_BYTES == 0


def encode_body(
    batch: Batch, chain_id: int, parsed: Sequence[TxFields] | None = None
) -> bytes:
    """The uncompressed columnar body of ``batch``; typed ``BatchEncodeError`` on bad input.

    ``parsed`` may give the already parsed transactions of the batch, in order (the splitter
    parses each transaction once however many trial encodings it makes).
    """
    blocks = batch.blocks
    check_block_sequence(blocks)
    if len(batch.parent_hash) != HASH_BYTES:
        raise InvalidBlockSequence(blocks[0].number, "parent batch hash is not 32 bytes")
    if parsed is None:
        txs = [parse_transaction(raw, chain_id) for b in blocks for raw in b.transactions]
    else:
        txs = list(parsed)
        if len(txs) != batch.transaction_count:
            raise ValueError("parsed transactions do not match the batch")

    w = ByteWriter()
    # 3.1 block columns (the header with parent hash, first and last block is in the frame)
    w.uvarint(blocks[0].timestamp)
    for prev, cur in zip(blocks, blocks[1:]):
        w.uvarint(cur.timestamp - prev.timestamp)
    w.uvarint(blocks[0].l1_origin_number)
    for prev, cur in zip(blocks, blocks[1:]):
        w.uvarint(cur.l1_origin_number - prev.l1_origin_number)
    w.raw(blocks[0].l1_origin_hash)
    for prev, cur in zip(blocks, blocks[1:]):
        if cur.l1_origin_number != prev.l1_origin_number:
            w.raw(cur.l1_origin_hash)
    for b in blocks:
        w.uvarint(b.deposit_count)
    for b in blocks:
        w.uvarint(len(b.transactions))
    # 3.2 tables
    addresses, addr_index = _table([tx.to for tx in txs if tx.to is not None])
    selectors, sel_index = _table([tx.data[:SELECTOR_BYTES] for tx in txs if _is_abi(tx.data)])
    w.uvarint(len(addresses))
    for a in addresses:
        w.raw(a)
    w.uvarint(len(selectors))
    for s in selectors:
        w.raw(s)
    # 3.3 transaction columns
    for tx in txs:
        w.byte(_kind(tx))
    w.raw(pack_bits([tx.y_parity for tx in txs]))
    for tx in txs:
        w.uvarint(tx.nonce)
    for tx in txs:
        if tx.tx_type == TX_TYPE_FEE_MARKET:
            w.raw(decimal_code(tx.max_priority_fee))
    for tx in txs:
        w.raw(decimal_code(tx.max_fee))
    for tx in txs:
        w.uvarint(tx.gas_limit)
    for tx in txs:
        if tx.to is not None:
            w.uvarint(addr_index[tx.to])
    for tx in txs:
        w.raw(decimal_code(tx.value))
    modes = []
    for tx in txs:
        if not tx.data:
            mode = DATA_EMPTY
        elif _is_abi(tx.data):
            mode = DATA_ABI_BASE + sel_index[tx.data[:SELECTOR_BYTES]]
        else:
            mode = DATA_RAW
        modes.append(mode)
        w.uvarint(mode)
    for tx, mode in zip(txs, modes):
        if mode == DATA_RAW:
            w.uvarint(len(tx.data))
        elif mode >= DATA_ABI_BASE:
            w.uvarint((len(tx.data) - SELECTOR_BYTES) // WORD_BYTES)
    codes = ByteWriter()
    sig_bytes = ByteWriter()
    for tx, mode in zip(txs, modes):
        if mode >= DATA_ABI_BASE:
            data = tx.data
            for off in range(SELECTOR_BYTES, len(data), WORD_BYTES):
                code, sig = word_code(data[off : off + WORD_BYTES])
                codes.byte(code)
                sig_bytes.raw(sig)
    w.raw(codes.getvalue())
    w.raw(sig_bytes.getvalue())
    for tx, mode in zip(txs, modes):
        if mode == DATA_RAW:
            w.raw(tx.data)
    for tx in txs:
        if tx.access_list != EMPTY_ACCESS_LIST:
            w.blob(tx.access_list)
    for tx in txs:
        w.raw(tx.r.to_bytes(SCALAR_BYTES, "big"))
    for tx in txs:
        w.raw(tx.s.to_bytes(SCALAR_BYTES, "big"))
    return w.getvalue()


def _read_blocks(
    r: ByteReader, first: int, count: int
) -> tuple[list[BatchBlock], list[int]]:
    """Block columns: the blocks without their transactions, and their transaction counts."""
    if count < 1 or first < 0 or first + count - 1 > MAX_UINT64:
        raise MalformedBatch("block range", f"{count} blocks from {first}")
    if count * 4 > r.remaining:
        raise MalformedBatch("block range", f"{count} blocks cannot fit a {r.remaining}-byte body")
    timestamps = [r.uvarint("timestamp", MAX_UINT64)]
    for _ in range(count - 1):
        timestamps.append(timestamps[-1] + r.uvarint("timestamp delta", MAX_UINT64))
    if timestamps[-1] > MAX_UINT64:
        raise MalformedBatch("timestamp", "past 2**64")
    origins = [r.uvarint("L1 origin number", MAX_UINT64)]
    for _ in range(count - 1):
        origins.append(origins[-1] + r.uvarint("L1 origin delta", MAX_UINT64))
    if origins[-1] > MAX_UINT64:
        raise MalformedBatch("L1 origin number", "past 2**64")
    hashes = [r.raw(HASH_BYTES, "L1 origin hash")]
    for i in range(1, count):
        changed = origins[i] != origins[i - 1]
        hashes.append(r.raw(HASH_BYTES, "L1 origin hash") if changed else hashes[-1])
    deposits = [r.uvarint("deposit count", MAX_UINT64) for _ in range(count)]
    tx_counts = []
    total = 0
    for _ in range(count):
        n = r.uvarint("transaction count", r.remaining // MIN_TX_BYTES)
        total += n
        tx_counts.append(n)
    if total * MIN_TX_BYTES > r.remaining:
        raise MalformedBatch("transaction count", f"{total} transactions cannot fit the body")
    blocks = [
        BatchBlock(first + i, timestamps[i], origins[i], hashes[i], deposits[i], ())
        for i in range(count)
    ]
    return blocks, tx_counts


def _read_table(r: ByteReader, field: str, size: int) -> list[bytes]:
    n = r.count(field, size)
    table = [r.raw(size, field) for _ in range(n)]
    if len(set(table)) != n:
        raise MalformedBatch(field, "duplicate entry")
    return table


def decode_body(
    body: bytes, parent_hash: bytes, first_block: int, block_count: int, chain_id: int
) -> Batch:
    """Rebuild the batch (with the exact raw transaction bytes) from a body and the frame
    header's fields; raises only ``BatchDecodeError`` subclasses."""
    if len(parent_hash) != HASH_BYTES:
        raise MalformedBatch("parent hash", "not 32 bytes")
    r = ByteReader(body)
    shells, tx_counts = _read_blocks(r, first_block, block_count)
    n = sum(tx_counts)
    addresses = _read_table(r, "address table", ADDRESS_BYTES)
    selectors = _read_table(r, "selector table", SELECTOR_BYTES)

    kinds = list(r.raw(n, "kind column"))
    for k in kinds:
        if k & ~_KIND_MASK:
            raise MalformedBatch("kind column", f"unknown kind bits 0x{k:02x}")
        if k & KIND_FEE_MARKET and k & KIND_PRE_EIP155:
            raise MalformedBatch("kind column", "type 2 marked pre-EIP-155")
        if not k & KIND_FEE_MARKET and k & KIND_ACCESS_LIST:
            raise MalformedBatch("kind column", "legacy transaction with an access list")
    parities = unpack_bits(r.raw((n + 7) // 8, "parity bits"), n, "parity bits")
    nonces = [r.uvarint("nonce", MAX_UINT64) for _ in range(n)]
    prio = [read_decimal(r, "priority fee") if k & KIND_FEE_MARKET else 0 for k in kinds]
    max_fees = [read_decimal(r, "max fee") for _ in range(n)]
    gas = [r.uvarint("gas limit", MAX_UINT64) for _ in range(n)]
    tos: list[bytes | None] = []
    for k in kinds:
        if k & KIND_CREATE:
            tos.append(None)
            continue
        idx = r.uvarint("recipient index", len(addresses) - 1) if addresses else -1
        if idx < 0:
            raise MalformedBatch("recipient index", "no address table")
        tos.append(addresses[idx])
    values = [read_decimal(r, "value") for _ in range(n)]
    modes = [r.uvarint("data mode", DATA_ABI_BASE + len(selectors) - 1) for _ in range(n)]
    lengths = [
        r.uvarint("data length", r.remaining) if m == DATA_RAW
        else r.uvarint("word count", r.remaining) if m >= DATA_ABI_BASE
        else 0
        for m in modes
    ]
    total_words = sum(ln for m, ln in zip(modes, lengths) if m >= DATA_ABI_BASE)
    codes = r.raw(total_words, "word codes")
    words: list[bytes] = []
    for code in codes:
        words.append(word_from_code(code, r, "word bytes"))
    datas: list[bytes] = []
    wi = 0
    for m, ln in zip(modes, lengths):
        if m >= DATA_ABI_BASE:
            datas.append(selectors[m - DATA_ABI_BASE] + b"".join(words[wi : wi + ln]))
            wi += ln
        else:
            datas.append(b"")
    for i, (m, ln) in enumerate(zip(modes, lengths)):
        if m == DATA_RAW:
            data = r.raw(ln, "raw data")
            if not data or _is_abi(data):
                raise MalformedBatch("raw data", "data that has a shorter mode")
            datas[i] = data
    access: list[bytes] = []
    for k in kinds:
        if k & KIND_ACCESS_LIST:
            al = r.blob("access list")
            check_access_list(al, "access list")
            if al == EMPTY_ACCESS_LIST:
                raise MalformedBatch("access list", "empty list flagged as non-empty")
            access.append(al)
        else:
            access.append(EMPTY_ACCESS_LIST)
    rs = [int.from_bytes(r.raw(SCALAR_BYTES, "r"), "big") for _ in range(n)]
    ss = [int.from_bytes(r.raw(SCALAR_BYTES, "s"), "big") for _ in range(n)]
    r.expect_end()

    raws = [
        build_transaction(
            TxFields(
                tx_type=TX_TYPE_FEE_MARKET if kinds[i] & KIND_FEE_MARKET else TX_TYPE_LEGACY,
                nonce=nonces[i],
                max_priority_fee=prio[i],
                max_fee=max_fees[i],
                gas_limit=gas[i],
                to=tos[i],
                value=values[i],
                data=datas[i],
                access_list=access[i],
                y_parity=parities[i],
                r=rs[i],
                s=ss[i],
                eip155=not kinds[i] & KIND_PRE_EIP155,
            ),
            chain_id,
        )
        for i in range(n)
    ]
    blocks = []
    pos = 0
    for shell, count in zip(shells, tx_counts):
        blocks.append(replace(shell, transactions=tuple(raws[pos : pos + count])))
        pos += count
    return Batch(parent_hash=parent_hash, blocks=tuple(blocks))
