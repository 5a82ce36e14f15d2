"""One suite, both databases: round trips, atomicity, restart, lease, pending durability."""

from __future__ import annotations

import asyncio

import pytest

from rollup.storage import (
    BlockRecord,
    BlockWrite,
    LeaseLost,
    LeaseUnavailable,
    LogRecord,
    Outcome,
    PendingTx,
    ReceiptRecord,
    StateRow,
    TxRecord,
    WithdrawalRecord,
    create_store,
)
from rollup.storage.migrate import load_migrations

LATEST = max(m.version for m in load_migrations("sqlite"))
"""The newest schema version (the highest numbered migration file)."""

HOLDER = "seq-a"
TTL = 30.0


def h(n: int, tag: int = 0) -> bytes:
    return bytes([tag]) + n.to_bytes(31, "big")


def addr(n: int) -> bytes:
    return n.to_bytes(20, "big")


def block_record(number: int, tx_count: int = 0) -> BlockRecord:
    return BlockRecord(
        number=number, hash=h(number, 0xB0), parent_hash=h(number - 1, 0xB0) if number else bytes(32),
        timestamp=1_700_000_000 + number, state_root=h(number, 0x50), tx_root=h(number, 0x70),
        withdrawal_root=h(number, 0x77), gas_used=21_000 * tx_count, gas_limit=30_000_000,
        base_fee=(1 << 200) + number, tx_count=tx_count, raw=b"header-%d" % number,
    )


def pending(seq: int, sender: int = 1, nonce: int | None = None) -> PendingTx:
    return PendingTx(seq, h(seq, 0x7A), b"raw-%d" % seq, addr(sender),
                     seq if nonce is None else nonce, 1000.0 + seq)


def full_block(number: int, txs: list[PendingTx], state_base: int = 0) -> BlockWrite:
    tx_records = [TxRecord(p.hash, p.raw, p.sender, p.nonce, number, i) for i, p in enumerate(txs)]
    receipts = [ReceiptRecord(p.hash, number, i, 1, 21_000, 21_000 * (i + 1), 10**9 + i, b"rc")
                for i, p in enumerate(txs)]
    logs = [LogRecord(number, i, i, p.hash, addr(0xC0 + i % 2), (h(i % 3, 0xE0), h(7)), b"d%d" % i)
            for i, p in enumerate(txs)]
    state = [StateRow(h(k, 0x5E), state_base + k, b"v%d-%d" % (number, k)) for k in range(3)]
    return BlockWrite(
        block=block_record(number, len(txs)), transactions=tx_records, receipts=receipts,
        logs=logs, state=state, included_pending=[p.hash for p in txs],
    )


@pytest.fixture
async def leased(store):
    await store.acquire_lease(HOLDER, TTL)
    return store


async def test_migrations_are_idempotent(make_store) -> None:
    first = await make_store()
    second = await make_store()
    assert await first.schema_version() == await second.schema_version() == LATEST


async def test_concurrent_open_migrates_once(db_url) -> None:
    stores = [create_store(db_url) for _ in range(3)]
    await asyncio.gather(*(s.open() for s in stores))
    try:
        assert {await s.schema_version() for s in stores} == {LATEST}
    finally:
        for s in stores:
            await s.close()


async def test_block_round_trip(leased) -> None:
    txs = [pending(i) for i in range(1, 4)]
    await leased.commit_intake(HOLDER, txs)
    await leased.write_block(HOLDER, BlockWrite(block_record(0)))
    bw = full_block(1, txs)
    await leased.write_block(HOLDER, bw, lease_ttl=TTL)

    head = await leased.head()
    assert head == bw.block
    assert head.base_fee == (1 << 200) + 1
    assert await leased.get_block(1) == bw.block
    assert await leased.get_block_by_hash(bw.block.hash) == bw.block
    assert await leased.get_block(2) is None
    assert [b.number for b in await leased.get_blocks(0, 5)] == [0, 1]
    assert await leased.get_block_transactions(1) == list(bw.transactions)
    assert await leased.get_block_receipts(1) == list(bw.receipts)
    assert await leased.get_transaction(txs[1].hash) == bw.transactions[1]
    assert await leased.get_receipt(txs[2].hash) == bw.receipts[2]
    assert await leased.get_receipt(h(99)) is None
    assert await leased.load_pending() == []
    assert await leased.load_state() == list(bw.state)


async def test_log_filters(leased) -> None:
    txs = [pending(i) for i in range(1, 7)]
    await leased.commit_intake(HOLDER, txs)
    await leased.write_block(HOLDER, full_block(1, txs[:3]))
    await leased.write_block(HOLDER, full_block(2, txs[3:]))
    everything = await leased.get_logs(0, 10)
    assert [(lg.block_number, lg.log_index) for lg in everything] == [
        (1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2)]
    assert everything[0].topics == (h(0, 0xE0), h(7))
    by_addr = await leased.get_logs(0, 10, addresses=[addr(0xC1)])
    assert [(lg.block_number, lg.log_index) for lg in by_addr] == [(1, 1), (2, 1)]
    by_topic = await leased.get_logs(2, 2, topics=[[h(0, 0xE0), h(2, 0xE0)]])
    assert [lg.log_index for lg in by_topic] == [0, 2]
    second_topic = await leased.get_logs(0, 10, topics=[None, [h(7)]])
    assert len(second_topic) == 6
    assert await leased.get_logs(0, 10, topics=[None, [h(8)]]) == []
    assert len(await leased.get_logs(0, 10, limit=2)) == 2


async def test_state_upsert_keeps_tree_index(leased) -> None:
    await leased.write_block(HOLDER, BlockWrite(block_record(0), state=[
        StateRow(h(1), 0, b"a"), StateRow(h(2), 1, b"b")]))
    await leased.write_block(HOLDER, BlockWrite(block_record(1), state=[
        StateRow(h(2), 1, b"b2"), StateRow(h(3), 2, b"c")]))
    assert await leased.load_state() == [
        StateRow(h(1), 0, b"a"), StateRow(h(2), 1, b"b2"), StateRow(h(3), 2, b"c")]
    assert await leased.get_state(h(2)) == StateRow(h(2), 1, b"b2")


async def test_failed_block_write_leaves_nothing(leased) -> None:
    txs = [pending(i) for i in range(1, 4)]
    await leased.commit_intake(HOLDER, txs)
    await leased.write_block(HOLDER, BlockWrite(block_record(0)))
    good = full_block(1, txs)
    # a duplicate transaction hash makes the insert fail after the block row went in
    bad = BlockWrite(
        block=good.block, transactions=list(good.transactions) + [good.transactions[0]],
        receipts=good.receipts, logs=good.logs, state=good.state,
        included_pending=good.included_pending,
    )
    with pytest.raises(Exception):
        await leased.write_block(HOLDER, bad)
    assert (await leased.head()).number == 0
    assert await leased.get_transaction(txs[0].hash) is None
    assert await leased.get_block_receipts(1) == []
    assert await leased.load_state() == []
    assert [p.hash for p in await leased.load_pending()] == [p.hash for p in txs]
    await leased.write_block(HOLDER, good)  # the store is still usable
    assert (await leased.head()).number == 1


async def test_restart_resumes(make_store, db_url) -> None:
    store = await make_store()
    await store.acquire_lease(HOLDER, TTL)
    txs = [pending(i) for i in range(1, 6)]
    await store.commit_intake(HOLDER, txs)
    await store.write_block(HOLDER, BlockWrite(block_record(0), meta={"chain_id": b"7001"}))
    await store.write_block(HOLDER, full_block(1, txs[:2]))
    await store.close()

    again = await make_store()
    assert (await again.head()).number == 1
    assert await again.get_meta("chain_id") == b"7001"
    assert [p.seq for p in await again.load_pending()] == [3, 4, 5]
    assert await again.max_pending_seq() == 5
    assert len(await again.load_state()) == 3
    # the old holder's lease is still ours after a restart with the same id
    await again.acquire_lease(HOLDER, TTL)
    await again.write_block(HOLDER, full_block(2, txs[2:]), lease_ttl=TTL)
    assert await again.load_pending() == []


async def test_pending_durability_and_drops(leased, make_store) -> None:
    txs = [pending(i, nonce=0) for i in range(1, 4)]
    await leased.commit_intake(HOLDER, txs[:1])
    # tx 2 replaces tx 1 in one transaction
    replaced = Outcome(txs[0].hash, "replaced by a higher-fee transaction", 5.0, txs[1].hash)
    await leased.commit_intake(HOLDER, txs[1:2], [replaced])
    other = await make_store()
    assert [p.hash for p in await other.load_pending()] == [txs[1].hash]
    assert await other.get_pending(txs[1].hash) == txs[1]
    assert await other.get_outcome(txs[0].hash) == replaced
    assert await other.get_outcome(txs[1].hash) is None
    # a dropped transaction that is submitted again becomes pending, its outcome cleared
    again = PendingTx(9, txs[0].hash, txs[0].raw, txs[0].sender, 0, 9.0)
    await leased.commit_intake(HOLDER, [again])
    assert await other.get_outcome(txs[0].hash) is None
    # drops recorded with a block remove the pending rows atomically
    gap = Outcome(txs[1].hash, "nonce gap not filled", 6.0)
    await leased.write_block(HOLDER, BlockWrite(block_record(0), dropped=[gap]))
    assert await other.get_outcome(txs[1].hash) == gap
    assert [p.seq for p in await other.load_pending()] == [9]


async def test_lease_exclusive_between_two_stores(make_store) -> None:
    now = [1000.0]
    a = await make_store(clock=lambda: now[0])
    b = await make_store(clock=lambda: now[0])
    lease = await a.acquire_lease("A", 5.0)
    assert lease.holder == "A" and lease.held_by("A", now[0])
    with pytest.raises(LeaseUnavailable) as info:
        await b.acquire_lease("B", 5.0)
    assert info.value.current == "A"
    with pytest.raises(LeaseLost):
        await b.write_block("B", BlockWrite(block_record(0)))
    with pytest.raises(LeaseLost):
        await b.commit_intake("B", [pending(1)])
    await a.write_block("A", BlockWrite(block_record(0)), lease_ttl=5.0)
    assert await b.load_pending() == []

    now[0] += 4.0  # renewed by the block write: still A's
    with pytest.raises(LeaseUnavailable):
        await b.acquire_lease("B", 5.0)
    now[0] += 2.0  # expired: B takes over, A is fenced off
    taken = await b.acquire_lease("B", 5.0)
    assert taken.holder == "B" and taken.epoch == lease.epoch + 1
    with pytest.raises(LeaseLost) as lost:
        await a.write_block("A", BlockWrite(block_record(1)), lease_ttl=5.0)
    assert lost.value.current == "B"
    with pytest.raises(LeaseLost):
        await a.renew_lease("A", 5.0)
    await b.write_block("B", BlockWrite(block_record(1)))
    await b.release_lease("B")
    assert (await a.get_lease()).holder == ""
    assert (await a.acquire_lease("A", 5.0)).holder == "A"


async def test_racing_acquire_has_one_winner(make_store) -> None:
    stores = [await make_store() for _ in range(4)]
    results = await asyncio.gather(
        *(s.acquire_lease(f"S{i}", 10.0) for i, s in enumerate(stores)), return_exceptions=True)
    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(r, LeaseUnavailable) for r in results if r not in winners)


async def test_withdrawals(leased) -> None:
    ws = [WithdrawalRecord(i, 1, h(i % 2, 0x7A), b"leaf%d" % i) for i in range(3)]
    await leased.write_block(HOLDER, BlockWrite(block_record(1), withdrawals=ws))
    assert await leased.load_withdrawals() == ws
    assert [w.leaf_index for w in await leased.get_withdrawals_by_tx(h(0, 0x7A))] == [0, 2]


async def test_bulk_paths_round_trip(leased) -> None:
    """Large blocks take the dialects' bulk paths (PostgreSQL: COPY, unnest, = ANY)."""
    txs = [pending(i, sender=i % 7) for i in range(1, 201)]
    await leased.commit_intake(HOLDER, txs)
    first = full_block(1, txs[:120])
    first = BlockWrite(block=first.block, transactions=first.transactions,
                       receipts=first.receipts, logs=first.logs,
                       state=[StateRow(h(k, 0x5E), k, b"a%d" % k) for k in range(100)],
                       included_pending=first.included_pending)
    await leased.write_block(HOLDER, first)
    update = [StateRow(h(k, 0x5E), k, b"b%d" % k) for k in range(50, 150)]
    second = full_block(2, txs[120:])
    await leased.write_block(HOLDER, BlockWrite(
        block=second.block, transactions=second.transactions, receipts=second.receipts,
        logs=second.logs, state=update, included_pending=second.included_pending,
        dropped=[Outcome(h(999), "gone", 1.0)]))
    state = await leased.load_state()
    assert [r.tree_index for r in state] == list(range(150))
    assert state[10].value == b"a10" and state[60].value == b"b60" and state[149].value == b"b149"
    assert await leased.load_pending() == []
    assert len(await leased.get_block_transactions(1)) == 120
    assert await leased.get_block_receipts(2) == list(second.receipts)
    assert len(await leased.get_logs(0, 5, limit=1000)) == 200
    # a re-accepted transaction loses its old outcome (bulk delete path)
    again = [PendingTx(1000 + i, h(5000 + i, 0x7A), b"r", addr(1), i, 0.0) for i in range(40)]
    await leased.commit_intake(HOLDER, [], [Outcome(p.hash, "x", 0.0) for p in again])
    await leased.commit_intake(HOLDER, again)
    assert await leased.get_outcome(again[5].hash) is None
