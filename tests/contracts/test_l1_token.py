"""OmniToken (OMNIT) on anvil: metadata, cap, minting roles, burning, EIP-2612 permits."""

from __future__ import annotations

import pytest
from eth_account.messages import encode_typed_data
from web3 import AsyncWeb3

from bridge_contracts.anvil import DevAccounts
from bridge_contracts.deploy import L1Deployment, send
from bridge_contracts.errors import expect_revert, role_tag

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("fresh_chain")]

OMNIT = 10**18
MAX_SUPPLY = 1_000_000_000 * OMNIT
INITIAL_BALANCE = 1_000_000 * OMNIT  # minted to alice and bob by the `l1` fixture


async def test_metadata(l1: L1Deployment) -> None:
    token = l1.token.functions
    assert await token.name().call() == "OmniTensor"
    assert await token.symbol().call() == "OMNIT"
    assert await token.decimals().call() == 18
    assert await token.cap().call() == MAX_SUPPLY
    assert await token.MAX_SUPPLY().call() == MAX_SUPPLY
    assert await token.totalSupply().call() == 2 * INITIAL_BALANCE


async def test_mint_requires_owner_or_minter(l1: L1Deployment, accounts: DevAccounts) -> None:
    token = l1.token.functions
    with expect_revert("Unauthorized", role_tag("MINTER_ROLE"), accounts.mallory.address):
        await send(token.mint(accounts.mallory.address, OMNIT), accounts.mallory)

    with expect_revert("OwnableUnauthorizedAccount", accounts.mallory.address):
        await send(token.setMinter(accounts.mallory.address, True), accounts.mallory)

    await send(token.setMinter(accounts.carol.address, True), accounts.admin)
    await send(token.mint(accounts.carol.address, 5 * OMNIT), accounts.carol)
    assert await token.balanceOf(accounts.carol.address).call() == 5 * OMNIT

    await send(token.setMinter(accounts.carol.address, False), accounts.admin)
    with expect_revert("Unauthorized"):
        await send(token.mint(accounts.carol.address, OMNIT), accounts.carol)


async def test_cap(l1: L1Deployment, accounts: DevAccounts) -> None:
    token = l1.token.functions
    room = MAX_SUPPLY - 2 * INITIAL_BALANCE
    with expect_revert("ERC20ExceededCap", MAX_SUPPLY + 1, MAX_SUPPLY):
        await send(token.mint(accounts.carol.address, room + 1), accounts.admin)
    await send(token.mint(accounts.carol.address, room), accounts.admin)
    assert await token.totalSupply().call() == MAX_SUPPLY


async def test_burn(l1: L1Deployment, accounts: DevAccounts) -> None:
    token = l1.token.functions
    await send(token.burn(10 * OMNIT), accounts.alice)
    assert await token.balanceOf(accounts.alice.address).call() == INITIAL_BALANCE - 10 * OMNIT
    assert await token.totalSupply().call() == 2 * INITIAL_BALANCE - 10 * OMNIT


async def test_permit(w3: AsyncWeb3, l1: L1Deployment, accounts: DevAccounts) -> None:
    token = l1.token.functions
    owner, spender = accounts.alice, accounts.carol
    deadline = (await w3.eth.get_block("latest"))["timestamp"] + 3600
    message = {
        "owner": owner.address, "spender": spender.address, "value": 7 * OMNIT,
        "nonce": await token.nonces(owner.address).call(), "deadline": deadline,
    }
    signable = encode_typed_data(full_message={
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Permit": [
                {"name": "owner", "type": "address"}, {"name": "spender", "type": "address"},
                {"name": "value", "type": "uint256"}, {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint256"},
            ],
        },
        "primaryType": "Permit",
        "domain": {"name": "OmniTensor", "version": "1", "chainId": await w3.eth.chain_id,
                   "verifyingContract": l1.token.address},
        "message": message,
    })
    sig = owner.sign_message(signable)
    await send(token.permit(owner.address, spender.address, 7 * OMNIT, deadline, sig.v,
                            sig.r.to_bytes(32, "big"), sig.s.to_bytes(32, "big")), spender)
    assert await token.allowance(owner.address, spender.address).call() == 7 * OMNIT
    assert await token.nonces(owner.address).call() == 1


async def test_two_step_ownership(l1: L1Deployment, accounts: DevAccounts) -> None:
    token = l1.token.functions
    await send(token.transferOwnership(accounts.carol.address), accounts.admin)
    assert await token.owner().call() == accounts.admin.address
    assert await token.pendingOwner().call() == accounts.carol.address
    with expect_revert("OwnableUnauthorizedAccount", accounts.mallory.address):
        await send(token.acceptOwnership(), accounts.mallory)
    await send(token.acceptOwnership(), accounts.carol)
    assert await token.owner().call() == accounts.carol.address
    await send(token.mint(accounts.carol.address, OMNIT), accounts.carol)
