"""The proposer: an output root every N L2 blocks, only once the block is batched, equal to the
prover's output root of the stored block; restart-safe; safe/finalized heads."""

from __future__ import annotations

import pytest
from eth_account import Account

from bridge_contracts.anvil import increase_time, mine
from prover.output_root import output_root
from rollup.settlement import L1Client, NonceLedger, Proposer, SettlementStatus, next_output_block

from .conftest import FINALIZATION_PERIOD
from .test_batcher import close, fill_l2, new_batcher


async def new_proposer(settings, l2, **kw):
    client = L1Client(settings.l1_rpc_url, timeout=settings.rpc_timeout)
    ledger = NonceLedger(settings.ledger_path("proposer"))
    await ledger.open()
    proposer = Proposer(settings, l2.store, client, Account.from_key(settings.proposer_key),
                        ledger, **kw)
    await proposer.start()
    return proposer


def test_next_output_block():
    assert next_output_block(0, 3) == 3
    assert next_output_block(3, 3) == 6
    assert next_output_block(4, 3) == 6


async def outputs(l1):
    count = await l1.rollup.functions.outputCount().call()
    return [await l1.rollup.functions.getOutput(i).call() for i in range(count)]


async def test_outputs_every_n_blocks_after_their_batch(anvil, w3, l1, accounts, l2, settings):
    settings = settings.replace(output_interval=3, da="calldata", max_blocks_per_batch=4)
    await fill_l2(l2, 7, txs_per_block=1)
    proposer = await new_proposer(settings, l2)
    assert await proposer.step() is None            # nothing batched yet
    batcher = await new_batcher(settings, l2, accounts)
    await batcher.step()                            # blocks 1..4
    assert await proposer.step() is not None        # block 3
    await mine(w3, 1)
    assert await proposer.step() is None            # block 6 is not batched yet
    await batcher.step()                            # blocks 5..7
    assert await proposer.step() is not None        # block 6
    await mine(w3, 1)
    assert await proposer.step() is None            # block 9 does not exist
    got = await outputs(l1)
    assert [o[1] for o in got] == [3, 6]
    for root, number, _ in got:
        record = await l2.store.get_block(number)
        assert root == output_root(record.state_root, record.withdrawal_root, record.hash)

    # restart: the contract is the cursor, nothing is proposed twice
    await close(proposer)
    proposer = await new_proposer(settings, l2)
    assert await proposer.step() is None
    assert len(await outputs(l1)) == 2

    # safe / finalized heads
    status = SettlementStatus(proposer.client, settings.rollup_address, confirmations=2)
    await mine(w3, 2)
    safe, finalized = await status.refresh()
    assert safe == 7 and finalized == 0
    await increase_time(w3, FINALIZATION_PERIOD + 1)
    safe, finalized = await status.refresh()
    assert finalized == 6
    await close(proposer)
    await close(batcher)


async def test_proposer_crash_after_record_rebroadcasts(anvil, w3, l1, accounts, l2, settings):
    settings = settings.replace(output_interval=2, da="calldata")
    await fill_l2(l2, 2, txs_per_block=1)
    batcher = await new_batcher(settings, l2, accounts)
    await batcher.step()

    class Crash(Exception):
        pass

    def fault(stage, tx):
        if stage == "recorded":
            raise Crash()

    proposer = await new_proposer(settings, l2, fault=fault)
    with pytest.raises(Crash):
        await proposer.step()
    await close(proposer)
    assert await l1.rollup.functions.outputCount().call() == 0
    proposer = await new_proposer(settings, l2)     # rebroadcasts the recorded proposal
    assert await l1.rollup.functions.outputCount().call() == 1
    assert await proposer.step() is None
    records = await proposer.txm.ledger.load_all()
    assert len(records) == 1
    await close(proposer)
    await close(batcher)
