"""OmniPortal on anvil: OMNIT deposits, withdrawals proven against final outputs, the pause."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from web3 import AsyncWeb3
from web3.types import TxReceipt

from bridge_contracts.anvil import DevAccounts, increase_time
from bridge_contracts.deploy import L1Deployment, deploy, deploy_omni_portal, events, send
from bridge_contracts.errors import expect_revert, role_tag
from prover.output_root import output_root
from prover.withdrawals import WithdrawalTree, encode_withdrawal

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("fresh_chain")]

OMNIT = 10**18
INITIAL_BALANCE = 1_000_000 * OMNIT  # minted to alice and bob by the `l1` fixture
ZERO_ADDRESS = "0x" + "00" * 20
STATE_ROOT = b"\x5a" * 32
BLOCK_HASH = b"\xb1" * 32


def event(contract: Any, name: str, receipt: TxReceipt) -> Any:
    logs = events(contract, name, receipt)
    assert len(logs) == 1, f"{len(logs)} {name} events"
    return logs[0]["args"]


async def balance(l1: L1Deployment, who: str) -> int:
    return int(await l1.token.functions.balanceOf(who).call())


async def deposit(l1: L1Deployment, account: LocalAccount, l2_recipient: str,
                  amount: int) -> TxReceipt:
    await send(l1.token.functions.approve(l1.portal.address, amount), account)
    return await send(l1.portal.functions.depositOMNIT(l2_recipient, amount), account)


async def sign_permit(w3: AsyncWeb3, l1: L1Deployment, owner: LocalAccount, spender: str,
                      value: int, deadline: int) -> tuple[int, bytes, bytes]:
    nonce = await l1.token.functions.nonces(owner.address).call()
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
        "message": {"owner": owner.address, "spender": spender, "value": value,
                    "nonce": nonce, "deadline": deadline},
    })
    sig = owner.sign_message(signable)
    return sig.v, sig.r.to_bytes(32, "big"), sig.s.to_bytes(32, "big")


# ---------------------------------------------------------------------------- deposits


async def test_parameters(l1: L1Deployment, accounts: DevAccounts) -> None:
    portal = l1.portal.functions
    assert await portal.token().call() == l1.token.address
    assert await portal.rollup().call() == l1.rollup.address
    assert await portal.guardian().call() == accounts.guardian.address
    assert await portal.forcedInclusionWindow().call() == 600
    assert await portal.finalizationPeriodSeconds().call() == 3600
    assert await portal.WITHDRAWAL_TREE_DEPTH().call() == 32
    assert await portal.paused().call() is False


async def test_deposit(w3: AsyncWeb3, l1: L1Deployment, accounts: DevAccounts) -> None:
    alice, carol = accounts.alice, accounts.carol
    receipt = await deposit(l1, alice, carol.address, 1_000 * OMNIT)
    block = await w3.eth.get_block(receipt["blockNumber"])
    ev = event(l1.portal, "DepositInitiated", receipt)
    assert dict(ev) == {
        "nonce": 0, "from": alice.address, "l2Recipient": carol.address,
        "amount": 1_000 * OMNIT, "l1Timestamp": block["timestamp"],
        "l1BlockNumber": receipt["blockNumber"],
    }
    assert await balance(l1, alice.address) == INITIAL_BALANCE - 1_000 * OMNIT
    assert await balance(l1, l1.portal.address) == 1_000 * OMNIT
    assert await balance(l1, carol.address) == 0  # credited on the L2, not here

    receipt = await deposit(l1, accounts.bob, accounts.bob.address, 1)
    assert event(l1.portal, "DepositInitiated", receipt)["nonce"] == 1
    assert await l1.portal.functions.depositNonce().call() == 2
    assert await balance(l1, l1.portal.address) == 1_000 * OMNIT + 1


async def test_deposit_with_permit(w3: AsyncWeb3, l1: L1Deployment,
                                   accounts: DevAccounts) -> None:
    alice = accounts.alice
    deadline = (await w3.eth.get_block("latest"))["timestamp"] + 600
    v, r, s = await sign_permit(w3, l1, alice, l1.portal.address, 40 * OMNIT, deadline)
    receipt = await send(l1.portal.functions.depositOMNITWithPermit(
        alice.address, 40 * OMNIT, deadline, v, r, s), alice)
    assert event(l1.portal, "DepositInitiated", receipt)["amount"] == 40 * OMNIT
    assert await balance(l1, l1.portal.address) == 40 * OMNIT

    # someone front-runs the permit: the deposit still goes through on the allowance
    v, r, s = await sign_permit(w3, l1, alice, l1.portal.address, 2 * OMNIT, deadline)
    await send(l1.token.functions.permit(alice.address, l1.portal.address, 2 * OMNIT, deadline,
                                         v, r, s), accounts.mallory)
    await send(l1.portal.functions.depositOMNITWithPermit(
        alice.address, 2 * OMNIT, deadline, v, r, s), alice)
    assert await balance(l1, l1.portal.address) == 42 * OMNIT
    assert await balance(l1, alice.address) == INITIAL_BALANCE - 42 * OMNIT


async def test_deposit_rejections(l1: L1Deployment, accounts: DevAccounts) -> None:
    portal, alice = l1.portal.functions, accounts.alice
    await send(l1.token.functions.approve(l1.portal.address, 10 * OMNIT), alice)
    with expect_revert("ZeroAmount"):
        await send(portal.depositOMNIT(alice.address, 0), alice)
    with expect_revert("ZeroAddress"):
        await send(portal.depositOMNIT(ZERO_ADDRESS, OMNIT), alice)
    with expect_revert("ERC20InsufficientAllowance", l1.portal.address, 10 * OMNIT, 11 * OMNIT):
        await send(portal.depositOMNIT(alice.address, 11 * OMNIT), alice)
    with expect_revert("ERC20InsufficientBalance", accounts.carol.address, 0, OMNIT):
        await deposit(l1, accounts.carol, accounts.carol.address, OMNIT)
    with expect_revert("ZeroAmount"):
        await send(portal.depositOMNITWithPermit(alice.address, 0, 0, 27, b"\x00" * 32,
                                                 b"\x00" * 32), alice)
    assert await portal.depositNonce().call() == 0


# ---------------------------------------------------------------------------- pause


async def test_pause(w3: AsyncWeb3, l1: L1Deployment, accounts: DevAccounts) -> None:
    portal, guardian, alice = l1.portal.functions, accounts.guardian, accounts.alice
    role = role_tag("GUARDIAN_ROLE")
    with expect_revert("Unauthorized", role, accounts.mallory.address):
        await send(portal.pause(), accounts.mallory)
    with expect_revert("Unauthorized", role, accounts.admin.address):
        await send(portal.pause(), accounts.admin)

    receipt = await send(portal.pause(), guardian)
    assert dict(event(l1.portal, "PauseChanged", receipt)) == {
        "paused": True, "guardian": guardian.address}
    assert await portal.paused().call() is True

    await send(l1.token.functions.approve(l1.portal.address, OMNIT), alice)
    with expect_revert("Paused"):
        await send(portal.depositOMNIT(alice.address, OMNIT), alice)
    with expect_revert("Paused"):
        await send(portal.depositOMNITWithPermit(alice.address, OMNIT, 0, 27, b"\x00" * 32,
                                                 b"\x00" * 32), alice)
    w = (0, alice.address, alice.address, OMNIT)
    with expect_revert("Paused"):
        await send(portal.finalizeWithdrawal(w, 0, (b"\x00" * 32,) * 4, [b"\x00" * 32] * 32),
                   alice)

    with expect_revert("Unauthorized", role, accounts.mallory.address):
        await send(portal.unpause(), accounts.mallory)
    await send(portal.unpause(), guardian)
    await send(portal.depositOMNIT(alice.address, OMNIT), alice)


async def test_guardian_is_replaced_by_the_owner(l1: L1Deployment, accounts: DevAccounts) -> None:
    portal = l1.portal.functions
    with expect_revert("OwnableUnauthorizedAccount", accounts.guardian.address):
        await send(portal.setGuardian(accounts.carol.address), accounts.guardian)
    with expect_revert("ZeroAddress"):
        await send(portal.setGuardian(ZERO_ADDRESS), accounts.admin)
    receipt = await send(portal.setGuardian(accounts.carol.address), accounts.admin)
    assert dict(event(l1.portal, "GuardianTransferred", receipt)) == {
        "previous": accounts.guardian.address, "guardian": accounts.carol.address}
    await send(portal.pause(), accounts.carol)
    with expect_revert("Unauthorized"):
        await send(portal.unpause(), accounts.guardian)


# ---------------------------------------------------------------------------- withdrawals


@dataclass
class Posted:
    """An L2 output with withdrawals, posted on the L1 (batch + output proposal)."""

    tree: WithdrawalTree
    withdrawals: list[tuple[int, str, str, int]]
    root_proof: tuple[bytes, bytes, bytes, bytes]
    output_index: int
    finalizes_at: int

    def proof(self, nonce: int) -> list[bytes]:
        return list(self.tree.proof(nonce).siblings)


async def post_output(l1: L1Deployment, accounts: DevAccounts,
                      withdrawals: list[tuple[int, str, str, int]],
                      l2_block: int = 10) -> Posted:
    """Fund the portal, build the withdrawal tree in Python, batch and propose its output."""
    await deposit(l1, accounts.alice, accounts.alice.address, 10_000 * OMNIT)
    tree = WithdrawalTree.from_leaves(encode_withdrawal(*w) for w in withdrawals)
    root = output_root(STATE_ROOT, tree.root, BLOCK_HASH)
    rollup = l1.rollup.functions
    first = await rollup.lastBatchedL2Block().call() + 1
    prev = await rollup.latestBatchHash().call()
    await send(rollup.appendBatch(prev, first, l2_block, b"\x00batch"), accounts.batcher)
    receipt = await send(rollup.proposeOutput(root, l2_block), accounts.proposer)
    index = event(l1.rollup, "OutputProposed", receipt)["outputIndex"]
    return Posted(tree, withdrawals, (bytes(32), STATE_ROOT, tree.root, BLOCK_HASH), index,
                  await rollup.finalizesAt(index).call())


def sample(accounts: DevAccounts) -> list[tuple[int, str, str, int]]:
    return [
        (0, accounts.alice.address, accounts.carol.address, 100 * OMNIT),
        (1, accounts.bob.address, accounts.bob.address, 250 * OMNIT + 7),
        (2, accounts.alice.address, accounts.spare.address, 1),
    ]


async def test_withdrawal_end_to_end(w3: AsyncWeb3, l1: L1Deployment,
                                     accounts: DevAccounts) -> None:
    posted = await post_output(l1, accounts, sample(accounts))
    await increase_time(w3, 3600)
    portal = l1.portal.functions
    locked = await balance(l1, l1.portal.address)
    bob_before = await balance(l1, accounts.bob.address)

    # anyone may relay the proof; the funds go to the withdrawal's l1Recipient
    w = posted.withdrawals[1]
    receipt = await send(portal.finalizeWithdrawal(w, posted.output_index, posted.root_proof,
                                                   posted.proof(1)), accounts.mallory)
    assert dict(event(l1.portal, "WithdrawalFinalized", receipt)) == {
        "nonce": 1, "sender": accounts.bob.address, "l1Recipient": accounts.bob.address,
        "amount": 250 * OMNIT + 7, "outputIndex": posted.output_index}
    assert await balance(l1, accounts.bob.address) == bob_before + 250 * OMNIT + 7
    assert await balance(l1, l1.portal.address) == locked - 250 * OMNIT - 7
    assert await balance(l1, accounts.mallory.address) == 0
    assert await portal.isWithdrawalFinalized(1).call() is True
    assert await portal.isWithdrawalFinalized(0).call() is False

    for nonce in (0, 2):
        await send(portal.finalizeWithdrawal(posted.withdrawals[nonce], posted.output_index,
                                             posted.root_proof, posted.proof(nonce)),
                   accounts.alice)
    assert await balance(l1, accounts.carol.address) == 100 * OMNIT
    assert await balance(l1, accounts.spare.address) == 1
    assert await balance(l1, l1.portal.address) == locked - 350 * OMNIT - 8


async def test_leaf_and_output_root_match_the_prover(l1: L1Deployment,
                                                     accounts: DevAccounts) -> None:
    from prover.hashing import leaf_hash

    w = sample(accounts)[1]
    assert await l1.portal.functions.withdrawalLeaf(w).call() == leaf_hash(encode_withdrawal(*w))
    preimage = (bytes(32), STATE_ROOT, b"\x77" * 32, BLOCK_HASH)
    assert await l1.portal.functions.hashOutputRootProof(preimage).call() == output_root(
        STATE_ROOT, b"\x77" * 32, BLOCK_HASH)


async def test_finalizing_early(w3: AsyncWeb3, l1: L1Deployment, accounts: DevAccounts) -> None:
    posted = await post_output(l1, accounts, sample(accounts))
    portal = l1.portal.functions
    call = portal.finalizeWithdrawal(posted.withdrawals[0], posted.output_index,
                                     posted.root_proof, posted.proof(0))
    with expect_revert("NotFinalized", posted.output_index, posted.finalizes_at):
        await send(call, accounts.alice)
    await increase_time(w3, 3600 - 60)
    with expect_revert("NotFinalized", posted.output_index, posted.finalizes_at):
        await send(call, accounts.alice)
    await increase_time(w3, 60)
    await send(call, accounts.alice)


async def test_finalizing_twice(w3: AsyncWeb3, l1: L1Deployment, accounts: DevAccounts) -> None:
    posted = await post_output(l1, accounts, sample(accounts))
    await increase_time(w3, 3600)
    call = l1.portal.functions.finalizeWithdrawal(posted.withdrawals[2], posted.output_index,
                                                  posted.root_proof, posted.proof(2))
    await send(call, accounts.alice)
    with expect_revert("AlreadyFinalized", 2):
        await send(call, accounts.alice)


async def test_wrong_proofs(w3: AsyncWeb3, l1: L1Deployment, accounts: DevAccounts) -> None:
    posted = await post_output(l1, accounts, sample(accounts))
    await increase_time(w3, 3600)
    portal = l1.portal.functions
    w0, w1 = posted.withdrawals[0], posted.withdrawals[1]
    idx, rp = posted.output_index, posted.root_proof

    tampered = posted.proof(0)
    tampered[5] = b"\x01" * 32
    bad_cases = [
        (w0, tampered),                                   # a wrong sibling
        (w0, posted.proof(1)),                            # another leaf's proof
        ((w0[0], w0[1], w0[2], w0[3] + 1), posted.proof(0)),   # amount raised
        ((w0[0], w0[1], accounts.mallory.address, w0[3]), posted.proof(0)),  # recipient swapped
        ((1, w0[1], w0[2], w0[3]), posted.proof(0)),      # nonce swapped
        (w0, posted.proof(0)[:31]),                       # 31 siblings
        (w0, posted.proof(0) + [bytes(32)]),              # 33 siblings
        ((2**32, w0[1], w0[2], w0[3]), posted.proof(0)),  # nonce beyond the tree
    ]
    for w, proof in bad_cases:
        with expect_revert("InvalidProof"):
            await send(portal.finalizeWithdrawal(w, idx, rp, proof), accounts.alice)

    with expect_revert("InvalidOutputRootProof"):
        await send(portal.finalizeWithdrawal(w1, idx, (rp[0], b"\x00" * 32, rp[2], rp[3]),
                                             posted.proof(1)), accounts.alice)
    with expect_revert("UnsupportedOutputVersion", (1).to_bytes(32, "big")):
        await send(portal.finalizeWithdrawal(w1, idx, ((1).to_bytes(32, "big"),) + rp[1:],
                                             posted.proof(1)), accounts.alice)
    with expect_revert("InvalidOutputIndex", idx + 1):
        await send(portal.finalizeWithdrawal(w1, idx + 1, rp, posted.proof(1)), accounts.alice)
    with expect_revert("ZeroAmount"):
        await send(portal.finalizeWithdrawal((1, w1[1], w1[2], 0), idx, rp, posted.proof(1)),
                   accounts.alice)
    with expect_revert("ZeroAddress"):
        await send(portal.finalizeWithdrawal((1, w1[1], ZERO_ADDRESS, w1[3]), idx, rp,
                                             posted.proof(1)), accounts.alice)
    assert await portal.isWithdrawalFinalized(0).call() is False


async def test_deleted_output_cannot_be_used(w3: AsyncWeb3, l1: L1Deployment,
                                             accounts: DevAccounts) -> None:
    posted = await post_output(l1, accounts, sample(accounts))
    await send(l1.rollup.functions.deleteOutputs(posted.output_index), accounts.challenger)
    await increase_time(w3, 3600)
    with expect_revert("InvalidOutputIndex", posted.output_index):
        await send(l1.portal.functions.finalizeWithdrawal(
            posted.withdrawals[0], posted.output_index, posted.root_proof, posted.proof(0)),
            accounts.alice)


async def test_later_output_proves_earlier_withdrawals(w3: AsyncWeb3, l1: L1Deployment,
                                                       accounts: DevAccounts) -> None:
    first = await post_output(l1, accounts, sample(accounts)[:1], l2_block=5)
    second = await post_output(l1, accounts, sample(accounts), l2_block=12)
    assert (first.output_index, second.output_index) == (0, 1)
    await increase_time(w3, 3600)
    await send(l1.portal.functions.finalizeWithdrawal(
        second.withdrawals[0], second.output_index, second.root_proof, second.proof(0)),
        accounts.alice)
    assert await balance(l1, accounts.carol.address) == 100 * OMNIT


# ---------------------------------------------------------------------------- reentrancy


async def test_reentrancy_guard(w3: AsyncWeb3, l1: L1Deployment, accounts: DevAccounts) -> None:
    """A token that calls back into the portal mid-transfer is stopped by the guard."""
    token = await deploy(w3, "ReentrantToken", account=accounts.admin)
    portal = await deploy_omni_portal(w3, token=token.address, rollup=l1.rollup.address,
                                      owner=accounts.admin.address,
                                      guardian=accounts.guardian.address, account=accounts.admin)
    alice = accounts.alice
    await send(token.functions.mint(alice.address, 10 * OMNIT), alice)
    await send(token.functions.approve(portal.address, 10 * OMNIT), alice)
    await send(portal.functions.depositOMNIT(alice.address, 5 * OMNIT), alice)  # disarmed: fine

    reenter = portal.encode_abi("depositOMNIT", [alice.address, 1])
    await send(token.functions.arm(portal.address, reenter), alice)
    with expect_revert("ReentrancyGuardReentrantCall"):
        await send(portal.functions.depositOMNIT(alice.address, OMNIT), alice)

    # the withdrawal path: the payout transfer calls back into finalizeWithdrawal
    w = (0, alice.address, alice.address, OMNIT)
    tree = WithdrawalTree.from_leaves([encode_withdrawal(*w)])
    rollup = l1.rollup.functions
    await send(rollup.appendBatch(bytes(32), 1, 1, b"\x00batch"), accounts.batcher)
    await send(rollup.proposeOutput(output_root(STATE_ROOT, tree.root, BLOCK_HASH), 1),
               accounts.proposer)
    await increase_time(w3, 3600)
    args = (w, 0, (bytes(32), STATE_ROOT, tree.root, BLOCK_HASH), list(tree.proof(0).siblings))
    await send(token.functions.arm(portal.address, portal.encode_abi("finalizeWithdrawal", args)),
               alice)
    with expect_revert("ReentrancyGuardReentrantCall"):
        await send(portal.functions.finalizeWithdrawal(*args), alice)
    await send(token.functions.arm(ZERO_ADDRESS, b""), alice)
    await send(portal.functions.finalizeWithdrawal(*args), alice)
    assert await token.functions.balanceOf(alice.address).call() == 6 * OMNIT


async def test_spec_vectors(l1: L1Deployment) -> None:
    """docs/spec.md §5, L1.7: a withdrawal leaf and an output root."""
    w = (7, "0x" + "11" * 20, "0x" + "22" * 20, OMNIT)
    assert encode_withdrawal(*w).hex() == (
        "0000000000000000000000000000000000000000000000000000000000000007"
        "0000000000000000000000001111111111111111111111111111111111111111"
        "0000000000000000000000002222222222222222222222222222222222222222"
        "0000000000000000000000000000000000000000000000000de0b6b3a7640000")
    leaf = await l1.portal.functions.withdrawalLeaf(w).call()
    assert leaf.hex() == "e159a146b472d6b9eb6920b7ff763eb77505a793a1f39c717a4307cd3200995e"
    root = await l1.portal.functions.hashOutputRootProof(
        (bytes(32), b"\x5a" * 32, b"\x77" * 32, b"\xb1" * 32)).call()
    assert root.hex() == "9944e021cf360923b6c7097f2a7cecd202c60f05862fc496408f010b6b5aa93a"
