"""The whole settlement loop on anvil: deposit, L2 transactions, a calldata batch and a blob
batch, an output, a withdrawal finalized on the L1, exact balances on both layers, and a replica
that rebuilds the sequencer's exact chain from L1 data alone."""

from __future__ import annotations

import pytest

from rollup.bridge.client import READY, BridgeClient
from rollup.derivation.replica import Replica, ReplicaSettings
from rollup.devnet_stack import DevnetStack, StackOptions
from rollup.rpc.client import OmniClient

from .helpers import batched_l2_block, l2_cost, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

OMNIT = 10**18


async def test_settlement_end_to_end(tmp_path) -> None:
    opts = StackOptions(workdir=str(tmp_path / "devnet"), l2_port=0, da="calldata", output_interval=4,
                        finalization_period=4, batch_interval=1.0)
    async with DevnetStack(opts) as stack:
        alice, bob = stack.accounts.alice, stack.accounts.bob
        br = BridgeClient(stack.l1_url, stack.l2_url, stack.portal_address, alice)
        l2 = OmniClient(stack.l2_url, alice)
        l2_bob = bob.address  # also funded on the L2 by the dev genesis
        l1_start = await br.l1_balance(alice.address)
        l2_start = await l2.balance(alice.address)
        bob_l2_start = await l2.balance(l2_bob)
        fees = 0

        # 1. deposit 10 OMNIT: L1 -> L2
        dep = await br.deposit(10 * OMNIT, alice.address)
        receipt = await br.wait_deposit(dep, 60)
        assert int(receipt["status"], 16) == 1
        assert await l2.balance(alice.address) == l2_start + 10 * OMNIT
        assert await br.l1_balance(alice.address) == l1_start - 10 * OMNIT

        # 2. L2 transactions, then the calldata batch that carries them
        t1 = await l2.transfer(l2_bob, 2 * OMNIT)
        fees += await l2_cost(l2, t1.tx_hash)
        head = await l2.w3.eth.block_number
        await wait_for("a calldata batch", lambda: _batched_at_least(stack, head), stack=stack)

        # 3. the blob route for the next batch
        await stack.restart_service("batcher", da="blob")
        t2 = await l2.transfer(l2_bob, 1 * OMNIT)
        fees += await l2_cost(l2, t2.tx_hash)
        wd = await br.withdraw(3 * OMNIT, alice.address)
        fees += await l2_cost(l2, wd.tx_hash)
        await wait_for("a blob batch", lambda: _batched_at_least(stack, wd.l2_block), timeout=120, stack=stack)

        # 4. output, challenge period, finalization
        async def ready() -> bool:
            return (await br.status(wd.tx_hash)).state == READY
        await wait_for("the withdrawal to be provable", ready, timeout=120, stack=stack)
        out = await br.finalize(wd.tx_hash)
        assert out["nonce"] == wd.nonce and out["amount"] == 3 * OMNIT

        # 5. exact balances
        assert await br.l1_balance(alice.address) == l1_start - 10 * OMNIT + 3 * OMNIT
        assert await l2.balance(alice.address) == l2_start + 10 * OMNIT - 3 * OMNIT - 3 * OMNIT - fees
        assert await l2.balance(l2_bob) == bob_l2_start + 3 * OMNIT
        assert await br.l1_balance(stack.portal_address) == 10 * OMNIT - 3 * OMNIT

        # 6. replica from L1 data alone == the sequencer, block by block
        events: list[dict] = []
        settings = ReplicaSettings(l1_rpc_url=stack.l1_url, rollup_address=stack.rollup_address,
                                   portal_address=stack.portal_address)
        async with Replica(settings, on_event=events.append) as replica:
            # The batcher keeps posting while the replica syncs: read the batched head first.
            last = await batched_l2_block(stack)
            status = await replica.sync()
            assert status.error is None, status.error
            assert status.l2_head >= last >= wd.l2_block
            for n in range(status.l2_head + 1):
                record = await stack.node.store.get_block(n)
                derived = replica.deriver.headers[n]
                assert derived.hash == record.hash, f"block {n}"
                assert derived.state_root == record.state_root
            kinds = {e["blob"] for e in events if e["event"] == "batch_derived"}
            assert kinds == {False, True}, events
            assert status.outputs and not status.mismatches
            assert any(c.status == "match" for c in status.outputs.values())
        await br.aclose()


async def _batched_at_least(stack: DevnetStack, block: int) -> bool:
    return await batched_l2_block(stack) >= block
