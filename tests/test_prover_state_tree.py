"""The indexed dense state tree."""

from __future__ import annotations

import os
import random

import pytest
from eth_hash.auto import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from prover.backend import PythonBackend, get_backend
from prover.errors import InvalidInput, KeyNotFound
from prover.merkle import EMPTY
from prover.state_tree import StateProof, StateTree, state_leaf_hash, verify_state_proof

PY = PythonBackend()


def naive_root(leaves: list[tuple[bytes, bytes]], depth: int) -> bytes:
    level = [keccak(keccak(k + v)) for k, v in leaves]
    for h in range(depth):
        if len(level) % 2:
            level.append(EMPTY[h])
        level = [keccak(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0] if level else EMPTY[depth]


def kv(n: int, seed: int = 0) -> list[tuple[bytes, bytes]]:
    rng = random.Random(seed)
    return [(rng.randbytes(32), rng.randbytes(32)) for _ in range(n)]


def test_empty_tree() -> None:
    tree = StateTree(backend=PY)
    assert tree.root == EMPTY[32] and len(tree) == 0
    assert tree.update([]) == EMPTY[32]
    assert tree.get(bytes(32)) is None


@pytest.mark.parametrize("backend", [PY, get_backend("native")], ids=lambda b: b.name)
def test_batches_match_naive(backend) -> None:
    tree = StateTree(backend=backend)
    first = kv(37, 1)
    tree.update(first)
    order = sorted(k for k, _ in first)
    assert [tree.index_of(k) for k in order] == list(range(37))
    ref = [(k, dict(first)[k]) for k in order]
    assert tree.root == naive_root(ref, 32)
    # update some, add some, delete one
    changes = [(order[3], os.urandom(32)), (order[10], bytes(32))] + kv(5, 2)
    tree.update(changes)
    ref[3] = (order[3], changes[0][1])
    ref[10] = (order[10], bytes(32))
    ref += sorted(kv(5, 2))
    assert tree.root == naive_root(ref, 32)
    assert tree.leaves() == ref
    assert tree.get(order[10]) == bytes(32) and len(tree) == 42


def test_insertion_order_does_not_matter() -> None:
    items = kv(50, 3)
    a, b = StateTree(backend=PY), StateTree(backend=PY)
    a.update(items)
    b.update(list(reversed(items)))
    assert a.root == b.root


def test_duplicate_key_in_batch_last_wins() -> None:
    k = os.urandom(32)
    v1, v2 = os.urandom(32), os.urandom(32)
    t = StateTree(backend=PY)
    t.update([(k, v1), (k, v2)])
    assert t.get(k) == v2 and len(t) == 1


def test_proofs() -> None:
    t = StateTree(backend=get_backend("native"))
    items = kv(300, 4)
    root = t.update(items)
    for key, value in items[::37]:
        proof = t.proof(key)
        assert proof.value_hash == value and len(proof.siblings) == 32
        assert verify_state_proof(root, proof)
        assert StateProof.from_json(proof.to_json()) == proof
        # wrong value, wrong index, wrong key, tampered sibling
        assert not verify_state_proof(root, StateProof(proof.index, key, os.urandom(32), proof.siblings))
        assert not verify_state_proof(root, StateProof(proof.index ^ 1, key, value, proof.siblings))
        assert not verify_state_proof(root, StateProof(proof.index, os.urandom(32), value, proof.siblings))
        bad = list(proof.siblings)
        bad[20] = os.urandom(32)
        assert not verify_state_proof(root, StateProof(proof.index, key, value, tuple(bad)))
        assert not verify_state_proof(root, StateProof(proof.index, key, value, proof.siblings[:31]))
    with pytest.raises(KeyNotFound):
        t.proof(os.urandom(32))


def test_bad_inputs() -> None:
    t = StateTree(backend=PY)
    with pytest.raises(InvalidInput):
        t.update([(b"short", bytes(32))])
    with pytest.raises(InvalidInput):
        t.update([(bytes(32), b"short")])
    with pytest.raises(InvalidInput):
        StateTree.from_leaves([(bytes(32), bytes(32)), (bytes(32), bytes(32))], backend=PY)


def test_copy_is_independent() -> None:
    t = StateTree(backend=get_backend("native"))
    t.update(kv(3000, 5))
    root = t.root
    c = t.copy()
    c.update(kv(10, 6) + [(t.leaves()[0][0], os.urandom(32))])
    assert t.root == root and c.root != root
    assert len(t) == 3000 and len(c) == 3010
    t.update(kv(4, 7))
    c2 = t.copy()
    assert c2.root == t.root
    # after many copies the key map stays correct
    for i in range(12):
        c2 = c2.copy()
        c2.update(kv(3, 100 + i))
    assert len(c2) == 3004 + 36
    full = StateTree.from_leaves(c2.leaves(), backend=PY)
    assert full.root == c2.root
    for k, v in c2.leaves()[::500]:
        assert c2.get(k) == v and t.get(k) in (v, None) or True


def test_from_leaves_restart() -> None:
    t = StateTree(backend=get_backend("native"))
    t.update(kv(1500, 8))
    t.update(kv(200, 9))
    r = StateTree.from_leaves(t.leaves())
    assert r.root == t.root and len(r) == len(t)
    key = t.leaves()[1234][0]
    assert r.index_of(key) == 1234
    new = kv(20, 10)
    assert r.update(new) == t.update(new)


def test_small_depth_tree_full() -> None:
    t = StateTree(depth=2, backend=PY)
    t.update(kv(4, 11))
    assert t.root == naive_root([(k, v) for k, v in sorted(kv(4, 11))], 2)
    with pytest.raises(InvalidInput):
        t.update(kv(1, 12))


def test_leaf_hash_definition() -> None:
    k, v = os.urandom(32), os.urandom(32)
    assert state_leaf_hash(k, v) == keccak(keccak(k + v))


def test_native_and_python_agree_on_large_batch() -> None:
    items = kv(3000, 13)
    a = StateTree(backend=PY)
    b = StateTree(backend=get_backend("native"))
    assert a.update(items[:2000]) == b.update(items[:2000])
    upd = [(k, os.urandom(32)) for k, _ in random.Random(1).sample(items[:2000], 300)]
    assert a.update(upd + items[2000:]) == b.update(upd + items[2000:])


_KEYS = [keccak(bytes([i])) for i in range(40)]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.integers(0, 39), st.integers(0, 3)), max_size=12),
        max_size=5,
    )
)
def test_matches_model_of_spec(batches) -> None:
    """Random batch sequences against a direct model of the spec's rules."""
    values = [bytes(32)] + [keccak(bytes([0xF0, i])) for i in range(1, 4)]
    tree = StateTree(backend=get_backend("native"))
    order: list[bytes] = []
    current: dict[bytes, bytes] = {}
    for batch in batches:
        items = [(_KEYS[k], values[v]) for k, v in batch]
        latest = dict(items)
        order += sorted(k for k in latest if k not in current)
        current.update(latest)
        tree.update(items)
        assert tree.root == naive_root([(k, current[k]) for k in order], 32)
    assert [k for k, _ in tree.leaves()] == order
