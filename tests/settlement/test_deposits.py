"""Deposits: L1 event -> deposit system transaction on the L2, after the confirmation depth,
exactly once, and never from a reorged-out L1 block."""

from __future__ import annotations

from bridge_contracts.anvil import mine, revert, snapshot
from rollup.core.transactions import DepositTransaction

from .conftest import OMNIT, deposit, make_watcher, open_l2, transfer

ALICE_L2 = bytes.fromhex("a1" * 20)
BOB_L2 = bytes.fromhex("b0" * 20)


async def test_deposit_credited_once_after_confirmations(anvil, w3, l1, accounts, l2, tmp_path):
    watcher = await make_watcher(anvil, l1, l2, confirmations=2)
    receipt = await deposit(l1, accounts, ALICE_L2, 5 * OMNIT)
    assert await watcher.poll() == 0            # not 2 blocks deep yet
    await l2.seal()
    assert l2.balance(ALICE_L2) == 0
    await mine(w3, 2)
    assert await watcher.poll() == 1
    assert watcher.has_pending()
    block = await l2.seal()
    assert l2.balance(ALICE_L2) == 5 * OMNIT
    first = block.transactions[0]
    assert isinstance(first, DepositTransaction) and first.mint == 5 * OMNIT
    assert block.header.l1_origin_number >= receipt["blockNumber"]
    assert block.header.l1_origin_hash == bytes((await w3.eth.get_block(
        block.header.l1_origin_number))["hash"])
    # more rounds and a restarted watcher: never credited twice
    await watcher.poll()
    await l2.seal()
    again = await make_watcher(anvil, l1, l2, confirmations=2)
    await again.poll()
    assert again.take_deposits(10**9) == []
    await l2.seal()
    assert l2.balance(ALICE_L2) == 5 * OMNIT
    await watcher.client.aclose()
    await again.client.aclose()


async def test_deposits_first_in_nonce_order_with_user_txs(anvil, w3, l1, accounts, l2):
    watcher = await make_watcher(anvil, l1, l2, confirmations=1)
    for i in range(3):
        await deposit(l1, accounts, BOB_L2, (i + 1) * OMNIT)
    await mine(w3, 1)
    await watcher.poll()
    l2.sequencer.start()
    await l2.sequencer.submit(transfer(0, ALICE_L2, OMNIT))
    await l2.sequencer.seal_once()
    txs = [t for n in range(1, l2.chain.head.number + 1)
           for t in await l2.store.get_block_transactions(n)]
    kinds = [t.raw[0] for t in txs]
    assert kinds.count(0x7E) == 3
    assert l2.balance(BOB_L2) == 6 * OMNIT
    # in each block the deposits come first, in nonce order (amounts 1, 2, 3)
    for n in range(1, l2.chain.head.number + 1):
        raws = [t.raw[0] for t in await l2.store.get_block_transactions(n)]
        assert raws == sorted(raws, key=lambda k: k != 0x7E)
    await watcher.client.aclose()


async def test_reorg_inside_confirmation_depth(anvil, w3, l1, accounts, l2):
    watcher = await make_watcher(anvil, l1, l2, confirmations=2)
    snap = await snapshot(w3)
    await deposit(l1, accounts, ALICE_L2, 7 * OMNIT)       # will be reorged out
    assert await watcher.poll() == 0
    await revert(w3, snap)
    await deposit(l1, accounts, BOB_L2, 3 * OMNIT)         # the canonical one
    await mine(w3, 2)
    assert await watcher.poll() == 1
    await l2.seal()
    assert l2.balance(ALICE_L2) == 0
    assert l2.balance(BOB_L2) == 3 * OMNIT
    await watcher.client.aclose()


async def test_reorg_of_scanned_blocks_is_detected(anvil, w3, l1, accounts, l2):
    """With no confirmation depth the watcher does see a block that is then reorged out: it
    notices the cursor left the canonical chain, forgets that deposit and re-reads."""
    watcher = await make_watcher(anvil, l1, l2, confirmations=0)
    await mine(w3, 1)
    await watcher.poll()
    snap = await snapshot(w3)
    await deposit(l1, accounts, ALICE_L2, 7 * OMNIT)
    assert await watcher.poll() == 1
    await revert(w3, snap)
    await mine(w3, 1)
    await deposit(l1, accounts, BOB_L2, 3 * OMNIT)
    assert await watcher.poll() == 1
    assert watcher.reorgs == 1
    await l2.seal()
    assert l2.balance(ALICE_L2) == 0
    assert l2.balance(BOB_L2) == 3 * OMNIT
    await watcher.client.aclose()


async def test_origin_never_goes_backwards(anvil, w3, l1, accounts, l2):
    watcher = await make_watcher(anvil, l1, l2, confirmations=0)
    await mine(w3, 5)
    await watcher.poll()
    block = await l2.seal()
    high = block.header.l1_origin_number
    snap_target = high
    assert snap_target > 0
    # a watcher that is behind (e.g. restarted against a lagging node) offers an older origin
    watcher._origin = type(watcher._origin)(1, bytes(32), 1, 0)
    block = await l2.seal()
    assert block.header.l1_origin_number == high
    await watcher.client.aclose()


async def test_restart_resumes_from_l2_head_origin(anvil, w3, l1, accounts, tmp_path):
    path = tmp_path / "l2.sqlite"
    l2 = await open_l2(path)
    watcher = await make_watcher(anvil, l1, l2, confirmations=1)
    await deposit(l1, accounts, ALICE_L2, 2 * OMNIT)
    await mine(w3, 1)
    await watcher.poll()
    await l2.seal()
    await l2.store.close()
    await watcher.client.aclose()
    l2 = await open_l2(path)
    assert l2.balance(ALICE_L2) == 2 * OMNIT
    watcher = await make_watcher(anvil, l1, l2, confirmations=1)
    assert watcher.cursor[0] < l2.chain.head.l1_origin_number  # re-scans a little, filtered
    await deposit(l1, accounts, ALICE_L2, 1 * OMNIT)
    await mine(w3, 1)
    assert await watcher.poll() == 1
    await l2.seal()
    assert l2.balance(ALICE_L2) == 3 * OMNIT
    await l2.store.close()
    await watcher.client.aclose()
