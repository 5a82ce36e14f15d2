"""List roots and proofs (spec section 1)."""

from __future__ import annotations

import os

import pytest
from eth_hash.auto import keccak

from prover.backend import PythonBackend, get_backend
from prover.errors import IndexOutOfRange
from prover.merkle import (
    EMPTY,
    ListProof,
    depth_for,
    fold_proof,
    leaf_hash,
    list_proof,
    list_root,
    verify_fixed_proof,
    verify_list_proof,
)

BACKENDS = [PythonBackend(), get_backend("native")]


def naive_list_root(items: list[bytes]) -> bytes:
    d = depth_for(len(items))
    level = [keccak(keccak(x)) for x in items] + [bytes(32)] * ((1 << d) - len(items))
    while len(level) > 1:
        level = [keccak(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return keccak(level[0] + len(items).to_bytes(32, "big"))


def test_empty_hashes() -> None:
    assert EMPTY[0] == bytes(32)
    for h in range(10):
        assert EMPTY[h + 1] == keccak(EMPTY[h] + EMPTY[h])


def test_depth_for() -> None:
    assert [depth_for(n) for n in (0, 1, 2, 3, 4, 5, 8, 9)] == [0, 0, 1, 2, 2, 3, 3, 4]


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
@pytest.mark.parametrize("count", [0, 1, 2, 3, 4, 5, 7, 8, 9, 33, 100])
def test_list_root_and_proofs(backend, count: int) -> None:
    items = [os.urandom(i % 70) for i in range(count)]
    root = list_root(items, backend)
    assert root == naive_list_root(items)
    for i in {0, count // 2, count - 1} if count else set():
        proof = list_proof(items, i, backend)
        assert len(proof.siblings) == depth_for(count)
        assert verify_list_proof(root, items[i], proof)


def test_empty_list_root() -> None:
    assert list_root([]) == keccak(bytes(32) + bytes(32))


def test_single_item_list() -> None:
    root = list_root([b"only"])
    assert root == keccak(leaf_hash(b"only") + (1).to_bytes(32, "big"))
    proof = list_proof([b"only"], 0)
    assert proof.siblings == () and verify_list_proof(root, b"only", proof)


def test_bad_proofs_fail() -> None:
    items = [bytes([i]) * 10 for i in range(6)]
    root = list_root(items)
    proof = list_proof(items, 4)
    assert not verify_list_proof(root, items[3], proof)  # wrong leaf
    assert not verify_list_proof(root, items[4], ListProof(3, 6, proof.siblings))  # wrong index
    assert not verify_list_proof(root, items[4], ListProof(4, 7, proof.siblings))  # wrong size
    assert not verify_list_proof(root, items[4], ListProof(4, 6, proof.siblings[:-1]))
    tampered = (proof.siblings[0][:-1] + b"\x01",) + proof.siblings[1:]
    assert not verify_list_proof(root, items[4], ListProof(4, 6, tampered))
    assert not verify_list_proof(root, items[4], ListProof(6, 6, proof.siblings))
    assert not verify_list_proof(os.urandom(32), items[4], proof)
    with pytest.raises(IndexOutOfRange):
        list_proof(items, 6)


def test_proof_json_roundtrip() -> None:
    items = [b"a", b"b", b"c"]
    proof = list_proof(items, 1)
    assert ListProof.from_json(proof.to_json()) == proof


def test_leaf_is_not_an_inner_node() -> None:
    """A 64-byte leaf equal to two children does not hash to their parent."""
    left, right = os.urandom(32), os.urandom(32)
    assert leaf_hash(left + right) != keccak(left + right)


def test_fixed_proof_helpers() -> None:
    leaf = leaf_hash(b"x")
    sibs = [EMPTY[h] for h in range(32)]
    root = fold_proof(leaf, 5, sibs)
    assert verify_fixed_proof(root, leaf, 5, sibs)
    assert not verify_fixed_proof(root, leaf, 4, sibs)
    assert not verify_fixed_proof(root, leaf, 5, sibs[:31])
