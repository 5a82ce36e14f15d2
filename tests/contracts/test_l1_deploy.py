"""The deploy, send and error-decoding helpers."""

from __future__ import annotations

import pytest
from web3 import AsyncHTTPProvider, AsyncWeb3

from bridge_contracts.anvil import AnvilProcess, DevAccounts
from bridge_contracts.artifacts import ArtifactNotFound, load_artifact
from bridge_contracts.deploy import (
    DeployError,
    L1Deployment,
    TransactionFailed,
    at,
    deploy,
    deploy_omni_token,
    send,
)
from bridge_contracts.devnet import DEVNET_MINT, deploy_devnet_l1, devnet_config
from bridge_contracts.errors import (
    DecodedError,
    UnknownError,
    decode_error,
    error_selector,
    expect_revert,
    role_tag,
)

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("fresh_chain")]


async def test_deploy_from_an_unlocked_address(w3: AsyncWeb3, accounts: DevAccounts) -> None:
    # anvil holds the dev keys: the address alone signs through eth_sendTransaction
    token = await deploy_omni_token(w3, owner=accounts.bob.address, account=accounts.bob.address)
    await send(token.functions.mint(accounts.bob.address, 5), accounts.bob.address)
    same = at(w3, "OmniToken", token.address.lower())
    assert await same.functions.balanceOf(accounts.bob.address).call() == 5
    code = await w3.eth.get_code(token.address)  # immutables differ, the length does not
    assert len(code) == len(load_artifact("OmniToken").deployed_bytecode) // 2 - 1


async def test_not_deployable(w3: AsyncWeb3, accounts: DevAccounts) -> None:
    with pytest.raises(DeployError):
        await deploy(w3, "IOmniRollup", account=accounts.admin)
    with pytest.raises(ArtifactNotFound, match="OmniTokn"):
        await deploy(w3, "OmniTokn", account=accounts.admin)


async def test_mined_revert_raises(l1: L1Deployment, accounts: DevAccounts) -> None:
    # with an explicit gas limit there is no estimate: the transaction is mined and reverts
    with pytest.raises(TransactionFailed) as info:
        await send(l1.portal.functions.pause(), accounts.mallory, gas=100_000)
    assert info.value.receipt["status"] == 0


async def test_expect_revert(l1: L1Deployment, accounts: DevAccounts) -> None:
    with pytest.raises(AssertionError, match="expected ZeroAmount, got Unauthorized"):
        with expect_revert("ZeroAmount"):
            await send(l1.portal.functions.pause(), accounts.mallory)
    with pytest.raises(AssertionError, match="succeeded"):
        with expect_revert("Paused"):
            await send(l1.portal.functions.pause(), accounts.guardian)


async def test_decode_error() -> None:
    role = role_tag("GUARDIAN_ROLE")
    data = error_selector("Unauthorized(bytes32,address)") + role + bytes(12) + b"\x01" * 20
    decoded = decode_error("0x" + data.hex())
    assert decoded == DecodedError("Unauthorized", (role, "0x" + "01" * 20))
    assert decode_error(error_selector("Paused()")) == DecodedError("Paused", ())
    with pytest.raises(UnknownError):
        decode_error("0xdeadbeef")


async def test_devnet_l1() -> None:
    async with AnvilProcess(chain_id=7000) as node:
        w3 = AsyncWeb3(AsyncHTTPProvider(node.url))
        dev = DevAccounts.derive()
        l1 = await deploy_devnet_l1(w3, dev)
        for account in (dev.admin, dev.alice, dev.spare):
            assert await l1.token.functions.balanceOf(account.address).call() == DEVNET_MINT
        assert await l1.rollup.functions.finalizationPeriodSeconds().call() == 12
        config = devnet_config(node, l1, dev)
        assert config["chain_id"] == 7000 and config["roles"]["batcher"] == dev.batcher.address
        assert set(config["contracts"]) == {"OmniToken", "OmniRollup", "OmniPortal"}
        await w3.provider.disconnect()
