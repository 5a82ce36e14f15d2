"""``omnit bridge deposit / withdraw / status / finalize`` against the devnet stack."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from click.testing import CliRunner

from rollup.bridge.cli import bridge
from rollup.devnet_stack import DevnetStack, StackOptions

from .helpers import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

OMNIT = 10**18


async def test_bridge_commands(tmp_path) -> None:
    async with DevnetStack(StackOptions(workdir=str(tmp_path / "devnet"), l2_port=0, output_interval=3,
                                        finalization_period=3)) as stack:
        user = stack.accounts.bob
        env = {"OMNIT_RPC_URL": stack.l2_url, "OMNIT_L1_RPC_URL": stack.l1_url,
               "OMNIT_PORTAL_ADDRESS": stack.portal_address,
               "OMNIT_PRIVATE_KEY": "0x" + bytes(user.key).hex()}
        runner = CliRunner()

        async def omnit(*args: str):
            result = await asyncio.to_thread(runner.invoke, bridge, list(args), env=env)
            return result

        l1_before = int(await stack.l1.token.functions.balanceOf(user.address).call())
        out = await omnit("deposit", "--amount", "7omnit", "--permit")
        assert out.exit_code == 0, out.output
        assert "included in L2 block" in out.output
        out = await omnit("withdraw", "--amount", "2omnit")
        assert out.exit_code == 0, out.output
        tx = re.search(r"L2 tx (0x[0-9a-f]{64})", out.output).group(1)
        out = await omnit("finalize", tx)
        assert out.exit_code != 0 and ("output" in out.output)  # too early: a clean message

        async def ready() -> bool:
            st = await omnit("status", tx, "--json")
            return st.exit_code == 0 and json.loads(st.output)["state"] == "ready"
        await wait_for("ready", ready, timeout=120, poll=1.0, stack=stack)
        out = await omnit("finalize", tx)
        assert out.exit_code == 0, out.output
        st = await omnit("status", tx)
        assert "finalized" in st.output
        assert int(await stack.l1.token.functions.balanceOf(user.address).call()) == l1_before - 5 * OMNIT
