"""The batcher: calldata and blob batches land chained; restarts and faults never lose,
duplicate or reorder L2 data; stuck transactions are replaced; reorged-out batches re-sent."""

from __future__ import annotations

import pytest
from eth_account import Account

from bridge_contracts.anvil import mine, revert, rpc, snapshot
from rollup.settlement import Batcher, L1Client, NonceLedger
from rollup.settlement.ledger import CONFIRMED, INCLUDED, PENDING

from .conftest import OMNIT, deposit, make_watcher, transfer, wait_for
from .l1view import assert_l1_matches_store

DEST = bytes.fromhex("c0" * 20)


class Crash(Exception):
    """Injected fault: the process 'dies' here."""


async def fill_l2(l2, blocks: int, txs_per_block: int = 3, nonce: int = 0) -> int:
    if l2.sequencer._runner is None:
        l2.sequencer.start()
    for _ in range(blocks):
        for _ in range(txs_per_block):
            await l2.sequencer.submit(transfer(nonce, DEST, OMNIT // 100 + nonce))
            nonce += 1
        await l2.sequencer.seal_once()
    return nonce


async def new_batcher(settings, l2, accounts, **kw):
    client = L1Client(settings.l1_rpc_url, timeout=settings.rpc_timeout)
    ledger = NonceLedger(settings.ledger_path("batcher"))
    await ledger.open()
    batcher = Batcher(settings, l2.store, client, Account.from_key(settings.batcher_key), ledger,
                      **kw)
    await batcher.start()
    return batcher


async def drain(batcher):
    """Wait until none of the batcher's transactions is unmined."""
    await wait_for(lambda: _mined(batcher))


async def _mined(batcher):
    await batcher.txm.poll()
    return not batcher.txm.pending()


async def catch_up(batcher, head: int) -> None:
    """Step the batcher until every block up to ``head`` is batched and mined."""
    for _ in range(200):
        await batcher.step()
        await drain(batcher)
        if (await batcher.chain_tip())[2] >= head:
            return
    raise AssertionError("batcher did not catch up")


async def close(batcher):
    await batcher.txm.ledger.close()
    await batcher.client.aclose()


@pytest.mark.slow
async def test_calldata_then_blob_batches_chain(anvil, w3, l1, accounts, l2, settings):
    watcher = await make_watcher(anvil, l1, l2, confirmations=0)
    await deposit(l1, accounts, DEST, 2 * OMNIT)
    await watcher.poll()
    nonce = await fill_l2(l2, 3)
    batcher = await new_batcher(settings.replace(da="calldata"), l2, accounts)
    tx = await batcher.step()
    assert tx is not None and tx.meta["mode"] == "calldata"
    await drain(batcher)
    assert await batcher.step() is None          # nothing new
    await fill_l2(l2, 2, nonce=nonce)
    await close(batcher)
    batcher = await new_batcher(settings.replace(da="blob"), l2, accounts)
    tx = await batcher.step()
    assert tx is not None and tx.meta["mode"] == "blob"
    await drain(batcher)
    await mine(w3, 3)
    await batcher.txm.poll()
    posted = await assert_l1_matches_store(w3, l1, l2.store)
    assert [p.is_blob for p in posted] == [False, True]
    assert posted[0].batch.blocks[0].deposit_count == 1
    assert await l1.rollup.functions.batchHash(1).call() == bytes.fromhex(tx.meta["batch_hash"])
    ledger = await batcher.txm.ledger.load_all()
    assert [t.status for t in ledger] == [CONFIRMED, CONFIRMED]
    await close(batcher)
    await watcher.client.aclose()


@pytest.mark.slow
async def test_auto_mode_picks_blobs_at_anvil_prices(anvil, w3, l1, accounts, l2, settings):
    await fill_l2(l2, 2)
    batcher = await new_batcher(settings, l2, accounts)
    tx = await batcher.step()
    # anvil's blob base fee is 1 wei: a blob is far cheaper than calldata
    assert tx.meta["mode"] == "blob"
    await drain(batcher)
    await assert_l1_matches_store(w3, l1, l2.store)
    await close(batcher)


@pytest.mark.parametrize("stage", ["recorded", "broadcast"])
async def test_crash_during_submission_then_restart(anvil, w3, l1, accounts, l2, settings, stage):
    nonce = await fill_l2(l2, 3)

    def fault(at, tx):
        if at == stage:
            raise Crash(at)

    batcher = await new_batcher(settings.replace(da="calldata", max_blocks_per_batch=2), l2,
                                accounts, fault=fault)
    with pytest.raises(Crash):
        await batcher.step()
    await close(batcher)
    expected = 1 if stage == "broadcast" else 0
    assert await l1.rollup.functions.batchCount().call() == expected
    await fill_l2(l2, 2, nonce=nonce)
    batcher = await new_batcher(settings.replace(da="calldata", max_blocks_per_batch=2), l2,
                                accounts)
    # start() rebroadcast the recorded transaction with the same nonce
    assert await l1.rollup.functions.batchCount().call() == 1
    await catch_up(batcher, l2.chain.head.number)
    records = await batcher.txm.ledger.load_all()
    assert [t.nonce for t in records] == list(range(len(records)))
    assert len({t.meta["index"] for t in records}) == len(records)  # never posted twice
    await assert_l1_matches_store(w3, l1, l2.store)
    assert await l1.rollup.functions.lastBatchedL2Block().call() == l2.chain.head.number
    await close(batcher)


async def test_stuck_transaction_is_replaced_with_higher_fees(anvil, w3, l1, accounts, l2,
                                                             settings):
    await fill_l2(l2, 2)
    now = [1000.0]
    batcher = await new_batcher(settings.replace(da="calldata", resubmit_after=10), l2,
                                accounts, clock=lambda: now[0])
    await rpc(w3, "evm_setAutomine", False)
    tx = await batcher.step()
    assert tx.status == PENDING
    now[0] += 11
    await batcher.step()
    assert len(tx.attempts) == 2
    first, second = tx.attempts
    assert second.max_fee >= first.max_fee * 110 // 100 and second.tip >= first.tip * 110 // 100
    await mine(w3, 1)
    await rpc(w3, "evm_setAutomine", True)
    await batcher.txm.poll()
    assert tx.status in (INCLUDED, CONFIRMED) and tx.tx_hash == second.tx_hash
    await assert_l1_matches_store(w3, l1, l2.store)
    await close(batcher)


@pytest.mark.slow
async def test_stuck_blob_transaction_bumps_blob_fee(anvil, w3, l1, accounts, l2, settings):
    await fill_l2(l2, 1)
    now = [1000.0]
    batcher = await new_batcher(settings.replace(da="blob", resubmit_after=10), l2, accounts,
                                clock=lambda: now[0])
    await rpc(w3, "evm_setAutomine", False)
    tx = await batcher.step()
    now[0] += 11
    await batcher.step()
    first, second = tx.attempts
    assert second.blob_fee >= 2 * first.blob_fee
    await mine(w3, 1)
    await rpc(w3, "evm_setAutomine", True)
    await batcher.txm.poll()
    assert tx.tx_hash == second.tx_hash
    await assert_l1_matches_store(w3, l1, l2.store)
    await close(batcher)


async def test_reorged_out_batch_is_resent(anvil, w3, l1, accounts, l2, settings):
    await fill_l2(l2, 2)
    batcher = await new_batcher(settings.replace(da="calldata"), l2, accounts)
    snap = await snapshot(w3)
    tx = await batcher.step()
    await batcher.txm.poll()
    assert tx.status == INCLUDED
    await revert(w3, snap)                           # the batch's L1 block is gone
    assert await l1.rollup.functions.batchCount().call() == 0
    await batcher.txm.poll()                         # notices, re-sends the same bytes
    assert batcher.txm.resends >= 1
    await mine(w3, 2)
    await batcher.txm.poll()
    assert tx.status == CONFIRMED
    assert await l1.rollup.functions.batchCount().call() == 1
    await assert_l1_matches_store(w3, l1, l2.store)
    await close(batcher)


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["recorded", "broadcast"])
async def test_kill_9_during_submission_then_restart(anvil, w3, l1, accounts, l2, settings,
                                                     stage, tmp_path):
    """A real batcher process killed with SIGKILL right after its ledger write (before the
    broadcast) or right after the broadcast of its second batch; a new batcher resumes."""
    import asyncio
    import dataclasses
    import json
    import sys

    from bridge_contracts.sources import REPO_ROOT

    await fill_l2(l2, 5, txs_per_block=2)
    settings = settings.replace(da="calldata", max_blocks_per_batch=2)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.settlement.batcher_proc",
        json.dumps(dataclasses.asdict(settings)), l2.settings.db_url, stage, "2",
        cwd=str(REPO_ROOT))
    assert await asyncio.wait_for(proc.wait(), 60) == -9
    assert await l1.rollup.functions.batchCount().call() == (1 if stage == "recorded" else 2)
    batcher = await new_batcher(settings, l2, accounts)
    assert await l1.rollup.functions.batchCount().call() == 2   # the recorded tx, same nonce
    await catch_up(batcher, l2.chain.head.number)
    records = await batcher.txm.ledger.load_all()
    # one record per batch index, consecutive nonces: nothing built twice (the sequencer's own
    # loop may have cut the 10 transactions into more than 5 blocks)
    assert [t.meta["index"] for t in records] == list(range(len(records)))
    assert [t.nonce for t in records] == list(range(len(records)))
    assert len(records) >= 3
    await assert_l1_matches_store(w3, l1, l2.store)
    assert await l1.rollup.functions.lastBatchedL2Block().call() == l2.chain.head.number
    await close(batcher)
