"""The L2Node with a watcher and a settlement status: deposits arrive through the node, the
safe/finalized tags follow the L1."""

from __future__ import annotations

from bridge_contracts.anvil import increase_time, mine
from rollup.node.config import NodeSettings
from rollup.node.node import L2Node
from rollup.settlement import L1Client, SettlementStatus, start_watcher

from .conftest import OMNIT, deposit, wait_for
from .test_batcher import catch_up, close, new_batcher
from .test_proposer import new_proposer

WHO = bytes.fromhex("e0" * 20)


async def test_node_with_watcher_and_status(anvil, w3, l1, accounts, settings, tmp_path):
    settings = settings.replace(confirmations=1, output_interval=2, da="calldata")
    watcher = await start_watcher(settings)                 # attached by the node
    status = SettlementStatus(L1Client(anvil.url), settings.rollup_address, confirmations=1)
    node_settings = NodeSettings(db_url=f"sqlite:///{tmp_path}/node.sqlite", block_time=0.05,
                                 empty_block_interval=0.2)
    async with L2Node.open(node_settings, l1_feed=watcher, settlement=status) as node:
        await deposit(l1, accounts, WHO, 4 * OMNIT)
        await mine(w3, 1)
        await wait_for(lambda: _balance(node), timeout=15)
        await wait_for(lambda: _at_least(node, 2), timeout=15)
        head = await node.block_number()
        assert (await node.sync_status()).safe == 0
        batcher = await new_batcher(settings, node, accounts)
        await catch_up(batcher, head)
        proposer = await new_proposer(settings, node)
        assert await proposer.step() is not None
        await mine(w3, 2)
        await status.refresh()
        sync = await node.sync_status()
        assert sync.safe >= head and sync.finalized == 0
        await increase_time(w3, 31)
        await status.refresh()
        assert (await node.sync_status()).finalized >= 2
        await close(batcher)
        await close(proposer)
    await watcher.aclose()
    await watcher.client.aclose()
    await status.client.aclose()


async def _balance(node) -> bool:
    return await node.get_balance(WHO) == 4 * OMNIT


async def _at_least(node, number: int) -> bool:
    return await node.block_number() >= number
