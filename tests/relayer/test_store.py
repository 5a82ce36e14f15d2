"""The Store protocol: one suite, run on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio

from relayer.store import CheckpointRecord, LedgerTx, MessageRecord, MessageState, Store, open_store


def rec(nonce: int, origin: int = 7000, block: int = 10, dest: int = 7002) -> MessageRecord:
    mid = bytes([origin % 256, nonce % 256]) + bytes(30)
    return MessageRecord(id=mid, origin=origin, nonce=nonce, destination=dest, message=b"m%d" % nonce,
                         block_number=block + nonce, block_hash=b"\x01" * 32, tx_hash=b"\x02" * 32, observed_at=1.0)


async def test_index_cursor_and_gaps(store: Store) -> None:
    assert await store.get_cursor(7000) is None
    await store.set_cursor(7000, 5, b"\xaa" * 32)
    assert await store.get_cursor(7000) == (5, b"\xaa" * 32)
    assert await store.add_messages([rec(0), rec(1), rec(3)]) == 3
    assert await store.add_messages([rec(1)]) == 0  # idempotent
    assert await store.contiguous_count(7000) == 2
    await store.add_messages([rec(2)])
    assert await store.contiguous_count(7000) == 4
    assert await store.ids_upto(7000, 3) == [rec(i).id for i in range(3)]
    assert await store.contiguous_count(7002) == 0


async def test_rewind_keeps_delivered(store: Store) -> None:
    await store.add_messages([rec(i) for i in range(4)])  # blocks 10..13
    await store.mark_delivered([rec(0).id], b"\x09" * 32, 100, 2.0)
    await store.set_cursor(7000, 13, b"\xbb" * 32)
    assert await store.rewind(7000, 10) == 3
    assert await store.get_cursor(7000) == (9, b"")
    assert (await store.get_message(rec(0).id)).state is MessageState.DELIVERED
    assert await store.get_message(rec(1).id) is None


async def test_claim_lease_and_reschedule(store: Store) -> None:
    await store.add_messages([rec(i) for i in range(5)])
    a = await store.claim(7002, "a", now=100.0, lease=30.0, limit=3)
    b = await store.claim(7002, "b", now=100.0, lease=30.0, limit=10)
    assert [m.nonce for m in a] == [0, 1, 2] and [m.nonce for m in b] == [3, 4]
    assert await store.claim(7002, "c", now=110.0, lease=30.0, limit=10) == []
    # a lease expires: another worker may take it; the owner itself may re-claim at once
    assert [m.nonce for m in await store.claim(7002, "a", now=101.0, lease=30.0, limit=10)] == [0, 1, 2]
    assert [m.nonce for m in await store.claim(7002, "c", now=200.0, lease=30.0, limit=10)] == [0, 1, 2, 3, 4]
    await store.reschedule([rec(0).id], MessageState.PARKED, "RateLimited", 500.0, True)
    m0 = await store.get_message(rec(0).id)
    assert (m0.state, m0.attempts, m0.last_error, m0.next_attempt_at, m0.lease_owner) == (
        MessageState.PARKED, 1, "RateLimited", 500.0, None)
    await store.release([rec(1).id], "c")
    got = await store.claim(7002, "d", now=210.0, lease=30.0, limit=10)
    assert [m.nonce for m in got] == [1]  # 0 waits for its backoff (500), 2..4 still leased by c (230)
    counts = await store.counts_by_state()
    assert counts == {"parked": 1, "pending": 4}


async def test_nonce_ledger(store: Store) -> None:
    await store.add_messages([rec(0), rec(1)])

    def signer(kind: str, ids: tuple[bytes, ...]):
        def sign(nonce: int) -> LedgerTx:
            return LedgerTx(bytes([nonce, len(kind)]) + bytes(30), 7002, "0xabc", nonce, b"raw%d" % nonce, kind, ids,
                            max_fee=10**20, tip=1, gas=100_000, owner="a", created_at=float(nonce))
        return sign

    t0 = await store.record_tx(7002, "0xabc", 5, signer("process", (rec(0).id,)))
    t1 = await store.record_tx(7002, "0xabc", 0, signer("checkpoint", ()))
    assert (t0.nonce, t1.nonce) == (5, 6)
    m0 = await store.get_message(rec(0).id)
    assert m0.state is MessageState.SUBMITTED and m0.delivery_tx == t0.tx_hash
    bump = await store.record_tx(7002, "0xabc", 0, signer("process-bump", (rec(0).id,)), nonce=5)
    assert [t.tx_hash for t in await store.txs_with_nonce(7002, "0xabc", 5)] == [t0.tx_hash, bump.tx_hash]
    await store.update_tx(t0.tx_hash, "mined", gas_used=90_000)
    got = await store.get_tx(t0.tx_hash)
    assert (got.state, got.gas_used, got.message_ids, got.max_fee) == ("mined", 90_000, (rec(0).id,), 10**20)
    assert await store.gas_spent() == 90_000
    await store.mark_delivered([rec(0).id], t0.tx_hash, 90_000, 3.0)
    assert (await store.get_message(rec(0).id)).state is MessageState.DELIVERED


async def test_checkpoints(store: Store) -> None:
    await store.save_checkpoint(CheckpointRecord(7002, 7000, 4, b"\x01" * 32, b"\x02" * 32))
    await store.save_checkpoint(CheckpointRecord(7002, 7000, 8, b"\x03" * 32, b"\x04" * 32))
    assert (await store.covering_checkpoint(7002, 7000, 5)).count == 8
    assert await store.covering_checkpoint(7002, 7000, 8) is None
    assert await store.covering_checkpoint(7000, 7002, 0) is None


async def test_reopen_keeps_state(store_url: str) -> None:
    s = await open_store(store_url)
    await s.add_messages([rec(0)])
    await s.reschedule([rec(0).id], MessageState.PARKED, "x", 123.0, True)
    await s.close()
    s = await open_store(store_url)
    m = await s.get_message(rec(0).id)
    assert (m.state, m.next_attempt_at, m.attempts) == (MessageState.PARKED, 123.0, 1)
    await s.close()


async def test_concurrent_claims_never_overlap(store_url: str) -> None:
    if store_url.startswith("sqlite"):
        stores = [await open_store(store_url)]
    else:
        stores = [await open_store(store_url) for _ in range(3)]
    await stores[0].add_messages([rec(i) for i in range(60)])
    got = await asyncio.gather(*(stores[i % len(stores)].claim(7002, f"w{i}", 10.0, 60.0, 7) for i in range(12)))
    ids = [m.id for batch in got for m in batch]
    assert len(ids) == len(set(ids)) == 60
    for s in stores:
        await s.close()
