"""MerkleLib (through a test harness) against the Python trees of docs/spec.md section 1."""

from __future__ import annotations

import pytest
import pytest_asyncio
from eth_hash.auto import keccak
from web3 import AsyncWeb3
from web3.contract import AsyncContract

from bridge_contracts.anvil import DevAccounts
from bridge_contracts.deploy import deploy
from bridge_contracts.errors import expect_revert
from prover.merkle import EMPTY, list_proof, list_root, tree_root
from prover.withdrawals import WithdrawalTree, encode_withdrawal

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("fresh_chain")]


def fold(leaf: bytes, index: int, siblings: list[bytes]) -> bytes:
    """The spec's fold, written out independently of prover/ and of the contract."""
    h = leaf
    for i, sib in enumerate(siblings):
        h = keccak(sib + h) if (index >> i) & 1 else keccak(h + sib)
    return h


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def harness(w3: AsyncWeb3, accounts: DevAccounts) -> AsyncContract:
    return await deploy(w3, "MerkleLibHarness", account=accounts.admin)


async def test_leaf_and_node(harness: AsyncContract) -> None:
    data = b"omnitensor leaf"
    assert await harness.functions.leafHash(data).call() == keccak(keccak(data))
    left, right = b"\x01" * 32, b"\x02" * 32
    assert await harness.functions.node(left, right).call() == keccak(left + right)
    assert await harness.functions.listRoot(left, 5).call() == keccak(left + (5).to_bytes(32, "big"))


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8, 13])
async def test_list_proofs_any_depth(harness: AsyncContract, count: int) -> None:
    items = [f"item {i}".encode() for i in range(count)]
    root = list_root(items)
    for index in range(count):
        proof = list_proof(items, index)
        leaf = keccak(keccak(items[index]))
        siblings = list(proof.siblings)
        tree = await harness.functions.computeRoot(leaf, index, siblings).call()
        assert tree == fold(leaf, index, siblings)
        assert await harness.functions.listRoot(tree, count).call() == root
        assert await harness.functions.verify(tree, leaf, index, siblings).call() is True
        assert await harness.functions.verifyCalldata(tree, leaf, index, siblings).call() is True
        if count > 1:
            other = (index + 1) % count
            assert await harness.functions.verify(tree, leaf, other, siblings).call() is False


async def test_fixed_depth_withdrawal_proofs(harness: AsyncContract) -> None:
    sender, recipient = "0x" + "11" * 20, "0x" + "22" * 20
    tree = WithdrawalTree.from_leaves(encode_withdrawal(n, sender, recipient, 10 + n)
                                      for n in range(5))
    for index in (0, 3, 4):
        proof = tree.proof(index)
        leaf = keccak(keccak(proof.leaf_data))
        siblings = list(proof.siblings)
        assert await harness.functions.verifyFixed(tree.root, leaf, index, siblings).call()
        assert not await harness.functions.verifyFixed(tree.root, leaf, index ^ 1, siblings).call()
    assert tree_root(b"", 32) == EMPTY[32]


async def test_out_of_range_and_wrong_lengths(harness: AsyncContract) -> None:
    leaf, sibs = b"\x03" * 32, [b"\x04" * 32] * 3
    root = fold(leaf, 7, sibs)
    assert await harness.functions.verify(root, leaf, 7, sibs).call() is True
    # index 15 folds like 7 over three levels, but does not fit a depth-3 tree
    assert await harness.functions.verify(root, leaf, 15, sibs).call() is False
    assert await harness.functions.verifyCalldata(root, leaf, 15, sibs).call() is False
    with expect_revert("IndexOutOfRange", 15, 3):
        await harness.functions.computeRoot(leaf, 15, sibs).call()
    with expect_revert("ProofLengthMismatch", 32, 3):
        await harness.functions.verifyFixed(root, leaf, 7, sibs).call()
    # depth 0: the root is the leaf itself, only index 0 exists
    assert await harness.functions.verify(leaf, leaf, 0, []).call() is True
    assert await harness.functions.verify(leaf, leaf, 1, []).call() is False
