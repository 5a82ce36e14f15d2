"""``get_block_transaction_hashes`` agrees with ``get_block_transactions`` (both databases)."""

from __future__ import annotations

import pytest

from rollup.storage import BlockRecord, BlockWrite, StateRow, TxRecord

HOLDER = "seq-a"


@pytest.fixture
async def leased(store):
    await store.acquire_lease(HOLDER, 30.0)
    return store


def _block(number: int, txs: list[TxRecord]) -> BlockWrite:
    record = BlockRecord(number, bytes([number]) * 32, bytes(32), 1_700_000_000 + number,
                         bytes(32), bytes(32), bytes(32), 0, 30_000_000, 10**9, len(txs),
                         b"header-%d" % number)
    return BlockWrite(block=record, transactions=txs,
                      state=[StateRow(bytes([0x5E, number]) + bytes(30), number, b"v")])


async def test_hashes_and_raw_size_match_the_transactions(leased) -> None:
    # sizes straddle the lengths where SQLite or PostgreSQL change a blob's storage
    sizes = [1, 55, 56, 110, 300, 2_000, 70_000] + [100 + i for i in range(40)]
    txs = [TxRecord(bytes([0xAA, i]) + bytes(30), bytes([i % 251 + 1]) * size + b"\x00",
                    bytes(20), i, 1, i)
           for i, size in enumerate(sizes)]
    await leased.write_block(HOLDER, _block(0, []))
    await leased.write_block(HOLDER, _block(1, txs))

    stored = await leased.get_block_transactions(1)
    assert stored == txs
    hashes, size = await leased.get_block_transaction_hashes(1)
    assert hashes == [t.hash for t in stored]
    assert size == sum(len(t.raw) for t in stored)
    assert await leased.get_block_transaction_hashes(0) == ([], 0)
    assert await leased.get_block_transaction_hashes(7) == ([], 0)
