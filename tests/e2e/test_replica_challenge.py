"""A wrong output root on the devnet: the replica reports it (status, exit code 2 from the CLI)
and, with ``--challenge``, the challenger deletes it."""

from __future__ import annotations

import asyncio
import json

import pytest
from click.testing import CliRunner

from bridge_contracts.deploy import send
from rollup.derivation.cli import replica as replica_cmd
from rollup.derivation.replica import EXIT_MISMATCH, Replica, ReplicaSettings
from rollup.devnet_stack import DevnetStack, StackOptions

from .helpers import batched_l2_block, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


async def test_replica_detects_and_challenges_a_wrong_output(tmp_path) -> None:
    opts = StackOptions(workdir=str(tmp_path / "devnet"), l2_port=0, proposer=False, batch_interval=0.5,
                        finalization_period=3600)
    async with DevnetStack(opts) as stack:
        async def batched() -> bool:
            return await batched_l2_block(stack) >= 2
        await wait_for("a batch", batched, stack=stack)
        rollup = stack.l1.rollup
        await send(rollup.functions.proposeOutput(b"\x01" * 32, 2), stack.accounts.proposer)

        # the CLI, one round, no challenge: exit code 2 and a JSON line naming the output
        args = ["--l1-rpc-url", stack.l1_url, "--rollup", stack.rollup_address,
                "--portal", stack.portal_address, "--once"]
        result = await asyncio.to_thread(CliRunner().invoke, replica_cmd, args)
        assert result.exit_code == EXIT_MISMATCH, result.output
        lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
        assert any(e["event"] == "output_mismatch" and e["index"] == 0 for e in lines)

        # the library with the challenger's key: the output is deleted
        settings = ReplicaSettings(l1_rpc_url=stack.l1_url, rollup_address=stack.rollup_address,
                                   portal_address=stack.portal_address, challenge=True,
                                   challenger_key="0x" + bytes(stack.accounts.challenger.key).hex())
        async with Replica(settings) as rep:
            status = await rep.sync()
            assert [c.output.index for c in status.mismatches] == [0]
            assert status.challenged == [0]
        assert await rollup.functions.outputCount().call() == 0
