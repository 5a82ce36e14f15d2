"""The node in process: intake, sealing, outcomes, lease, restart."""

from __future__ import annotations

import asyncio
import time

import pytest

from rollup.core.exceptions import InsufficientFunds, NonceTooLow
from rollup.node import (
    L2Node,
    NodeSettings,
    NonceGapTooLarge,
    NotSequencer,
    Overloaded,
    ReplacementUnderpriced,
    StateRootMismatch,
)
from rollup.node.mempool import REASON_GAP_EXPIRED, REASON_REPLACED
from rollup.node.views import TxState
from rollup.storage import LeaseUnavailable, create_store

from .conftest import GWEI

OMNIT = 10**18


async def wait_for(predicate, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not await predicate():
            await asyncio.sleep(0.01)


async def included(node: L2Node, *hashes: bytes) -> bool:
    states = [(await node.get_transaction_status(h)).state for h in hashes]
    return all(s is TxState.INCLUDED for s in states)


async def test_submit_include_receipt_idempotent(make_node, wallets, any_db_url) -> None:
    node = await make_node(db_url=any_db_url)
    alice, bob = wallets[0], wallets[1]
    before = await node.get_balance(bob.address)
    raws = [alice.transfer(n, bob.address, 1000) for n in range(3)]
    hashes = await asyncio.gather(*(node.submit_raw_transaction(r) for r in raws))
    assert (await node.submit_raw_transaction(raws[0])) == hashes[0]  # pending: same hash
    assert await node.get_nonce(alice.address, "pending") == 3
    await wait_for(lambda: included(node, *hashes))
    assert await node.get_balance(bob.address) == before + 3000
    assert await node.get_nonce(alice.address) == 3
    assert (await node.submit_raw_transaction(raws[1])) == hashes[1]  # included: same hash
    receipt = await node.get_receipt(hashes[2])
    assert receipt.status == 1 and receipt.gas_used == 21_000
    assert receipt.sender == alice.address and receipt.to == bob.address
    view = await node.get_transaction(hashes[2])
    assert view.location == receipt.location
    block = await node.get_block(receipt.location.block_number, full=True)
    assert block.hash == receipt.location.block_hash
    assert hashes[2] in [tx.hash for tx in block.transactions]
    assert (await node.get_block_by_hash(block.hash)).header == block.header
    history = await node.fee_history(4, "latest", [10, 90])
    assert len(history.base_fee_per_gas) == len(history.gas_used_ratio) + 1
    assert await node.gas_price() >= await node.max_priority_fee() > 0
    status = await node.sync_status()
    assert status.unsafe == status.safe == status.finalized == await node.block_number()


async def test_invalid_transactions_rejected(make_node, wallets) -> None:
    node = await make_node()
    alice = wallets[0]
    with pytest.raises(InsufficientFunds):
        await node.submit_raw_transaction(alice.transfer(0, wallets[1].address, 10**9 * OMNIT))
    with pytest.raises(NonceGapTooLarge):
        await node.submit_raw_transaction(alice.transfer(65, wallets[1].address))
    first = await node.submit_raw_transaction(alice.transfer(0, wallets[1].address))
    await wait_for(lambda: included(node, first))
    with pytest.raises(NonceTooLow):
        await node.submit_raw_transaction(alice.transfer(0, wallets[2].address))


async def test_seals_by_time(make_node, wallets) -> None:
    node = await make_node(block_time=0.1)
    h = await node.submit_raw_transaction(wallets[0].transfer(0, wallets[1].address))
    start = time.monotonic()
    await wait_for(lambda: included(node, h), timeout=2.0)
    assert time.monotonic() - start < 1.0


async def test_seals_as_soon_as_the_block_is_full(make_node, wallets) -> None:
    node = await make_node(block_time=30.0, block_gas_limit=3 * 21_000)
    head = await node.block_number()
    raws = [wallets[0].transfer(n, wallets[1].address) for n in range(3)]
    hashes = await asyncio.gather(*(node.submit_raw_transaction(r) for r in raws))
    await wait_for(lambda: included(node, *hashes), timeout=3.0)
    block = await node.get_block(head + 1)
    assert len(block.transactions) == 3 and block.header.gas_used == 3 * 21_000


async def test_empty_blocks_keep_time_moving(make_node) -> None:
    node = await make_node(block_time=0.02, empty_block_interval=0.1)
    head = await node.block_number()
    await asyncio.sleep(0.5)
    assert await node.block_number() >= head + 2
    idle = await make_node(db_url=node.settings.db_url.replace("node.sqlite", "idle.sqlite"),
                           block_time=0.02, empty_block_interval=0)
    await asyncio.sleep(0.2)
    assert await idle.block_number() == 0


async def test_replacement_outcome(make_node, wallets) -> None:
    node = await make_node(block_time=30.0)  # nothing is sealed during the test
    alice, bob = wallets[0], wallets[1]
    old = await node.submit_raw_transaction(alice.transfer(0, bob.address, tip=GWEI))
    with pytest.raises(ReplacementUnderpriced):
        await node.submit_raw_transaction(alice.transfer(0, bob.address, tip=GWEI + 1))
    new = await node.submit_raw_transaction(
        alice.transfer(0, bob.address, tip=2 * GWEI, max_fee=60 * GWEI))
    status = await node.get_transaction_status(old)
    assert status.state is TxState.DROPPED
    assert status.reason == REASON_REPLACED and status.replaced_by == new
    assert (await node.get_transaction_status(new)).state is TxState.PENDING
    outcome = await node.store.get_outcome(old)  # durable, not just in memory
    assert outcome.reason == REASON_REPLACED
    await node.sequencer.seal_once()
    assert await included(node, new)


async def test_gap_expiry_drops_with_reason(make_node, wallets) -> None:
    node = await make_node(gap_buffer_time=0.2)
    alice, bob = wallets[0], wallets[1]
    waiting = await node.submit_raw_transaction(alice.transfer(2, bob.address))
    assert (await node.get_transaction_status(waiting)).state is TxState.PENDING

    async def dropped() -> bool:
        return (await node.get_transaction_status(waiting)).state is TxState.DROPPED

    async def durable() -> bool:
        return await node.store.get_outcome(waiting) is not None

    await wait_for(dropped, timeout=3.0)
    assert (await node.get_transaction_status(waiting)).reason == REASON_GAP_EXPIRED
    await wait_for(durable, timeout=1.0)
    assert (await node.store.get_outcome(waiting)).reason == REASON_GAP_EXPIRED
    assert await node.store.get_pending(waiting) is None


async def test_gap_filled_in_time(make_node, wallets) -> None:
    node = await make_node(gap_buffer_time=5.0)
    alice, bob = wallets[0], wallets[1]
    later = await node.submit_raw_transaction(alice.transfer(1, bob.address))
    await asyncio.sleep(0.15)
    assert (await node.get_transaction_status(later)).state is TxState.PENDING
    first = await node.submit_raw_transaction(alice.transfer(0, bob.address))
    await wait_for(lambda: included(node, first, later))


async def test_every_transaction_gets_an_outcome(make_node, wallets) -> None:
    node = await make_node(gap_buffer_time=0.3)
    alice, carol, dave = wallets[0], wallets[2], wallets[3]
    balance = await node.get_balance(carol.address)
    acked = []
    # carol spends almost everything, then a second transfer that cannot be paid at inclusion
    acked.append(await node.submit_raw_transaction(
        carol.transfer(0, alice.address, balance - 10**16)))
    acked.append(await node.submit_raw_transaction(carol.transfer(1, alice.address, 10**18)))
    acked.append(await node.submit_raw_transaction(dave.transfer(5, alice.address)))  # gap
    acked += [await node.submit_raw_transaction(alice.transfer(n, dave.address))
              for n in range(5)]

    async def settled() -> bool:
        states = [(await node.get_transaction_status(h)).state for h in acked]
        return TxState.PENDING not in states

    await wait_for(settled, timeout=5.0)
    statuses = [await node.get_transaction_status(h) for h in acked]
    assert statuses[0].state is TxState.INCLUDED
    assert statuses[1].state is TxState.DROPPED
    assert statuses[1].reason.startswith("invalid at inclusion")
    assert statuses[2].state is TxState.DROPPED and statuses[2].reason == REASON_GAP_EXPIRED
    assert all(s.state is TxState.INCLUDED for s in statuses[3:])

    async def all_durable() -> bool:  # drops are reported as soon as decided, then written
        return await node.store.load_pending() == []

    await wait_for(all_durable, timeout=2.0)
    assert (await node.store.get_outcome(acked[2])).reason == REASON_GAP_EXPIRED


async def test_intake_overflow_is_typed_and_loses_nothing(make_node, wallets, monkeypatch) -> None:
    node = await make_node(intake_queue_size=2, intake_batch_window=0.001)
    gate = asyncio.Event()
    real_commit = node.store.commit_intake

    async def slow_commit(*args, **kwargs):
        await gate.wait()
        return await real_commit(*args, **kwargs)

    monkeypatch.setattr(node.store, "commit_intake", slow_commit)
    alice, bob = wallets[0], wallets[1]
    first = asyncio.create_task(node.submit_raw_transaction(alice.transfer(0, bob.address)))
    await asyncio.sleep(0.05)  # the writer took it and waits on the gate
    queued = [asyncio.create_task(node.submit_raw_transaction(alice.transfer(n, bob.address)))
              for n in (1, 2)]
    await asyncio.sleep(0.05)
    with pytest.raises(Overloaded):
        await node.submit_raw_transaction(alice.transfer(3, bob.address))
    gate.set()
    hashes = [await first] + [await t for t in queued]
    await wait_for(lambda: included(node, *hashes))


async def test_two_sequencers_one_database(make_node, any_db_url, wallets) -> None:
    sqlite_url = any_db_url
    a = await make_node(db_url=any_db_url, sequencer_id="A", lease_ttl=0.5)
    with pytest.raises(LeaseUnavailable):
        await make_node(db_url=any_db_url, sequencer_id="B", lease_wait=0.3)
    h = await a.submit_raw_transaction(wallets[0].transfer(0, wallets[1].address))
    await wait_for(lambda: included(a, h))
    # an operator forces the lease over (A looks dead to someone with a later clock)
    usurper = create_store(sqlite_url, clock=lambda: time.time() + 60)
    await usurper.open()
    try:
        await usurper.acquire_lease("C", 600)
    finally:
        await usurper.close()
    with pytest.raises(NotSequencer):
        await a.submit_raw_transaction(wallets[0].transfer(1, wallets[1].address))
    await asyncio.wait_for(a.failed.wait(), 2.0)
    head = await create_head(sqlite_url)
    await asyncio.sleep(0.2)
    assert await create_head(sqlite_url) == head  # A wrote nothing more


async def create_head(url: str) -> int:
    store = create_store(url)
    await store.open()
    try:
        return (await store.head()).number
    finally:
        await store.close()


async def test_standby_takes_over_after_release(make_node, any_db_url, wallets) -> None:
    a = await make_node(db_url=any_db_url, sequencer_id="A")
    h = await a.submit_raw_transaction(wallets[0].transfer(0, wallets[1].address))
    await wait_for(lambda: included(a, h))
    b_task = asyncio.create_task(make_node(db_url=any_db_url, sequencer_id="B", lease_wait=5.0))
    await asyncio.sleep(0.2)
    assert not b_task.done()
    await a.aclose()
    b = await b_task
    assert await b.get_nonce(wallets[0].address) == 1
    h2 = await b.submit_raw_transaction(wallets[0].transfer(1, wallets[1].address))
    await wait_for(lambda: included(b, h2))


async def test_restart_reloads_pending_and_state(any_db_url, wallets) -> None:
    settings = NodeSettings(db_url=any_db_url, block_time=0.05, empty_block_interval=0,
                            sequencer_id="S", gap_buffer_time=60)
    alice, bob = wallets[0], wallets[1]
    async with L2Node.open(settings) as node:
        done = await node.submit_raw_transaction(alice.transfer(0, bob.address))
        await wait_for(lambda: included(node, done))
        waiting = await node.submit_raw_transaction(alice.transfer(2, bob.address))  # gapped
        root = node.sequencer.chain.head.state_root
        head = await node.block_number()
    async with L2Node.open(settings) as node:
        assert await node.block_number() == head
        assert node.sequencer.chain.state_tree.root == root
        assert (await node.get_transaction_status(waiting)).state is TxState.PENDING
        assert await node.get_nonce(alice.address, "pending") == 1
        fill = await node.submit_raw_transaction(alice.transfer(1, bob.address))
        await wait_for(lambda: included(node, fill, waiting))
        assert await node.get_nonce(alice.address) == 3


async def test_restart_refuses_a_corrupt_state(make_node, sqlite_url, wallets) -> None:
    node = await make_node(sequencer_id="S")
    h = await node.submit_raw_transaction(wallets[0].transfer(0, wallets[1].address))
    await wait_for(lambda: included(node, h))
    await node.aclose()
    store = create_store(sqlite_url)
    await store.open()
    try:
        row = (await store.load_state())[0]
        async with store._write() as w:  # simulate a torn write / manual edit
            await w.execute("UPDATE state SET value = ? WHERE key = ?", (b"\x01" + row.value, row.key))
    finally:
        await store.close()
    with pytest.raises(StateRootMismatch):
        await make_node(sequencer_id="S")


async def test_withdrawal_logs_and_proof(make_node, wallets) -> None:
    from prover.withdrawals import verify_withdrawal_proof
    from rollup.core.constants import L2_TO_L1_ADDRESS
    from rollup.core.system_contracts import encode_call
    from rollup.node.errors import LogQueryTooLarge
    from rollup.node.views import LogFilter

    node = await make_node()
    alice = wallets[0]
    data = encode_call("L2ToL1MessagePasser", "withdraw", alice.address)
    gas = await node.estimate_gas({"from": alice.address, "to": L2_TO_L1_ADDRESS,
                                   "data": data, "value": 10**18})
    hashes = [await node.submit_raw_transaction(
        alice.transfer(n, L2_TO_L1_ADDRESS, 10**18, gas=gas, data=data)) for n in range(2)]
    await wait_for(lambda: included(node, *hashes))
    receipt = await node.get_receipt(hashes[1])
    assert receipt.status == 1 and len(receipt.logs) == 1
    log = receipt.logs[0]
    assert log.address == L2_TO_L1_ADDRESS and log.tx_hash == hashes[1]
    found = await node.get_logs(LogFilter(from_block=0, to_block="latest",
                                          addresses=(L2_TO_L1_ADDRESS,),
                                          topics=((log.topics[0],), None, None)))
    assert [(lg.tx_hash, lg.log_index) for lg in found] == [
        (h, (await node.get_receipt(h)).logs[0].log_index) for h in hashes]
    assert found[1] == log
    by_hash = await node.get_logs(LogFilter(block_hash=receipt.location.block_hash))
    assert log in by_hash
    node.settings = node.settings.replace(max_logs=1)
    with pytest.raises(LogQueryTooLarge):
        await node.get_logs(LogFilter(from_block=0, to_block="latest"))
    node.settings = node.settings.replace(max_log_range=2)
    with pytest.raises(LogQueryTooLarge):
        await node.get_logs(LogFilter(from_block=0, to_block=5))

    proof = await node.get_withdrawal_proof(hashes[1])
    assert proof.leaf_index == 1 and proof.tx_hash == hashes[1]
    assert verify_withdrawal_proof(proof.root, proof.leaf, proof.leaf_index, proof.siblings)
    assert proof.root == node.sequencer.chain.head.withdrawal_root
    assert (await node.get_withdrawal_proof(0)).leaf_index == 0
    assert await node.get_withdrawal_proof(7) is None
    assert await node.get_withdrawal_proof(b"\x00" * 32) is None
    await node.aclose()  # the withdrawal tree is rebuilt from the store at restart
    again = await make_node()
    assert (await again.get_withdrawal_proof(hashes[1])).root == proof.root


async def test_genesis_from_file(make_node, tmp_path, wallets) -> None:
    import json

    from rollup.node.config import ConfigError

    alice, bob = wallets[0], wallets[1]
    genesis = {
        "chainId": 7001, "timestamp": 1_700_000_000,
        "alloc": {
            "0x" + alice.address.hex(): {"balance": str(5 * OMNIT), "validatorStake": str(OMNIT)},
            "0x" + bob.address.hex(): {"balance": "0x1"},
        },
    }
    path = tmp_path / "genesis.json"
    path.write_text(json.dumps(genesis))
    node = await make_node(genesis_path=str(path))
    assert await node.get_balance(alice.address) == 5 * OMNIT
    assert await node.get_balance(bob.address) == 1
    assert (await node.get_stake(alice.address)).validator == OMNIT
    assert (await node.get_block(0)).header.timestamp == 1_700_000_000
    with pytest.raises(ConfigError):
        await make_node(db_url=f"sqlite:///{tmp_path}/other.sqlite", genesis_path=str(path),
                        chain_id=7005)
