"""The anvil helpers: process lifecycle, state files, block time, and the RPC helpers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from web3 import AsyncHTTPProvider, AsyncWeb3

from bridge_contracts.anvil import (
    AnvilError,
    AnvilProcess,
    DevAccounts,
    increase_time,
    mine,
    revert,
    set_balance,
    set_next_block_timestamp,
    snapshot,
)

module_loop = pytest.mark.asyncio(loop_scope="module")


@module_loop
async def test_rpc_helpers(w3: AsyncWeb3, accounts: DevAccounts) -> None:
    start = await w3.eth.block_number
    snap = await snapshot(w3)
    await mine(w3, 5)
    assert await w3.eth.block_number == start + 5
    before = (await w3.eth.get_block("latest"))["timestamp"]
    await increase_time(w3, 1000)
    assert (await w3.eth.get_block("latest"))["timestamp"] >= before + 1000
    await set_next_block_timestamp(w3, before + 5000)
    await mine(w3)
    assert (await w3.eth.get_block("latest"))["timestamp"] == before + 5000
    await set_balance(w3, accounts.spare.address, 123)
    assert await w3.eth.get_balance(accounts.spare.address) == 123
    await revert(w3, snap)
    assert await w3.eth.block_number == start
    assert await w3.eth.get_balance(accounts.spare.address) == 10_000 * 10**18
    with pytest.raises(AnvilError):
        await revert(w3, snap)  # a snapshot is used up by reverting to it


@module_loop
async def test_dev_accounts_are_funded(w3: AsyncWeb3, accounts: DevAccounts) -> None:
    assert accounts.admin.address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert await w3.eth.chain_id == 7000
    assert await w3.eth.get_balance(accounts.mallory.address) > 0


def test_state_file_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "l1.json"
    with AnvilProcess(chain_id=7002, state=state) as node:
        node.rpc("anvil_mine", "0x7")
    assert not node.running and state.is_file()
    with AnvilProcess(chain_id=7002, state=state) as node:
        assert int(node.rpc("eth_blockNumber"), 16) == 7


def test_block_time() -> None:
    with AnvilProcess(block_time=0.5) as node:
        time.sleep(1.3)
        assert int(node.rpc("eth_blockNumber"), 16) >= 2
        assert "--block-time" in node.command()


@module_loop
async def test_async_context_manager() -> None:
    async with AnvilProcess(chain_id=7123, hardfork="prague") as node:
        client = AsyncWeb3(AsyncHTTPProvider(node.url))
        assert await client.eth.chain_id == 7123
        await client.provider.disconnect()
    assert not node.running


def test_missing_binary(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OMNIT_ANVIL", str(tmp_path / "no-anvil"))
    with pytest.raises(OSError):
        AnvilProcess().start()
    monkeypatch.setenv("OMNIT_ANVIL", "/bin/false")
    with pytest.raises(AnvilError, match="did not start"):
        AnvilProcess(startup_timeout=5).start()
