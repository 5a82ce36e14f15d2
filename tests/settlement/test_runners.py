"""The services as libraries (``run_batcher``, ``run_proposer``, ``run_watcher``) and as click
commands; forced inclusion on the sequencer side."""

from __future__ import annotations

import asyncio

from click.testing import CliRunner

from bridge_contracts.anvil import increase_time, mine
from rollup.settlement import run_batcher, run_proposer
from rollup.settlement.cli import batcher_cmd, proposer_cmd

from .conftest import FORCED_INCLUSION_WINDOW, OMNIT, deposit, make_watcher, wait_for
from .test_batcher import fill_l2

WHO = bytes.fromhex("f0" * 20)


async def test_runners_until_stopped(anvil, w3, l1, accounts, l2, settings):
    settings = settings.replace(da="calldata", output_interval=2)
    await fill_l2(l2, 4, txs_per_block=1)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(run_batcher(settings, l2.store, stop=stop)),
             asyncio.create_task(run_proposer(settings, l2.store, stop=stop))]
    fns = l1.rollup.functions

    async def done() -> bool:
        await mine(w3, 1)
        return (await fns.lastBatchedL2Block().call() == 4
                and await fns.latestOutputL2Block().call() == 4)

    try:
        await wait_for(done, timeout=30, interval=0.1)
    finally:
        stop.set()
        await asyncio.gather(*tasks)


def test_cli_commands_parse():
    for cmd in (batcher_cmd, proposer_cmd):
        result = CliRunner().invoke(cmd, ["--help"])
        assert result.exit_code == 0 and "--l1-rpc-url" in result.output


async def test_old_deposit_is_included_at_once(anvil, w3, l1, accounts, l2):
    """Forced inclusion, sequencer side: a deposit older than the window (the sequencer was
    down) goes into the very next block with all the others up to the origin."""
    watcher = await make_watcher(anvil, l1, l2, confirmations=1)
    await deposit(l1, accounts, WHO, OMNIT)
    await increase_time(w3, FORCED_INCLUSION_WINDOW + 10)
    await mine(w3, 1)
    await watcher.poll()
    assert watcher.forced_inclusion_window == FORCED_INCLUSION_WINDOW
    block = await l2.seal()
    assert l2.balance(WHO) == OMNIT
    assert block.header.l1_origin_number == (await w3.eth.block_number) - 1
    await watcher.client.aclose()
