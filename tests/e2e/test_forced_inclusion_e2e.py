"""A sequencer that ignores the L1 (no watcher) leaves a deposit out past the forced-inclusion
window: the replica, reading the real L1, declares the batch invalid."""

from __future__ import annotations

import pytest

from bridge_contracts.deploy import send
from rollup.derivation.errors import ForcedInclusionViolation
from rollup.derivation.replica import EXIT_INVALID_BATCH, Replica, ReplicaSettings
from rollup.devnet_stack import DevnetStack, StackOptions

from .helpers import batched_l2_block, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

WINDOW = 3


async def test_censored_deposit_is_reported(tmp_path) -> None:
    opts = StackOptions(workdir=str(tmp_path / "devnet"), l2_port=0, watcher=False, replica=False,
                        proposer=False, forced_inclusion_window=WINDOW, batch_interval=0.5)
    async with DevnetStack(opts) as stack:
        alice = stack.accounts.alice
        token, portal = stack.l1.token, stack.l1.portal
        await send(token.functions.approve(portal.address, 10**18), alice)
        receipt = await send(portal.functions.depositOMNIT(alice.address, 10**18), alice)
        l1_time = (await stack.w3.eth.get_block(receipt["blockNumber"]))["timestamp"]

        async def past_window() -> bool:
            head = await stack.node.store.head()
            return head.timestamp > l1_time + WINDOW and await batched_l2_block(stack) >= head.number
        await wait_for("L2 blocks past the window to be batched", past_window, timeout=90, stack=stack)

        settings = ReplicaSettings(l1_rpc_url=stack.l1_url, rollup_address=stack.rollup_address,
                                   portal_address=stack.portal_address)
        async with Replica(settings) as rep:
            status = await rep.sync()
        assert isinstance(status.error, ForcedInclusionViolation), status.summary()
        assert status.error.deposit_nonce == 0 and status.error.window == WINDOW
        assert status.exit_code == EXIT_INVALID_BATCH
        assert status.summary()["error"]["kind"] == "forced_inclusion_violation"
