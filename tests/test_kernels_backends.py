"""Every backend gives the bytes of the pure-Python reference (eth-hash keccak)."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest
from eth_hash.auto import keccak

from prover.backend import PythonBackend, get_backend
from prover.errors import InvalidInput
from prover.merkle import EMPTY, list_root_from_hashes, tree_root

PY = PythonBackend()
LENGTHS = [0, 1, 7, 8, 31, 32, 33, 63, 64, 65, 127, 135, 136, 137, 271, 272, 273, 1000, 4096, 5000]


@pytest.fixture(scope="module")
def native():
    return get_backend("native")


def test_known_keccak_vectors(native) -> None:
    assert native.keccak256_many([b""])[0].hex() == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )
    assert native.keccak256_many([b"abc"])[0].hex() == (
        "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"
    )


@pytest.mark.parametrize("length", LENGTHS)
def test_variable_lengths_match(native, length: int) -> None:
    msgs = [os.urandom(length) for _ in range(5)]
    assert native.keccak256_many(msgs) == [keccak(m) for m in msgs]
    assert native.leaf_hashes(msgs) == PY.leaf_hashes(msgs)


def test_large_messages_by_pointer(native) -> None:
    big = os.urandom(3 * 70_000 + 11)
    view = memoryview(big)
    msgs = [view[0:70_000], view[70_000:140_000], view[140_000:]]
    assert native.leaf_hashes(msgs) == PY.leaf_hashes(msgs)
    assert native.keccak256_many(msgs) == [keccak(bytes(m)) for m in msgs]


def test_packed_offsets_random(native) -> None:
    rng = random.Random(7)
    lens = [rng.choice(LENGTHS) for _ in range(600)]
    data = os.urandom(sum(lens) + 5)
    offsets = [0]
    for n in lens:
        offsets.append(offsets[-1] + n)
    assert native.keccak256_packed(data, offsets) == PY.keccak256_packed(data, offsets)
    assert native.leaf_hashes_packed(data, offsets) == PY.leaf_hashes_packed(data, offsets)


def test_packed_bad_offsets(native) -> None:
    for be in (native, PY):
        with pytest.raises(InvalidInput):
            be.keccak256_packed(b"abc", [0, 2, 1])
        with pytest.raises(InvalidInput):
            be.keccak256_packed(b"abc", [0, 4])


def test_empty_inputs(native) -> None:
    assert native.keccak256_many([]) == []
    assert native.leaf_hashes([]) == b""
    assert native.hash_pairs(b"") == b""
    assert native.keccak256_packed(b"", [0]) == b""


@pytest.mark.parametrize("pairs", [1, 2, 3, 511, 512, 513, 2000])
def test_hash_pairs_match(native, pairs: int) -> None:
    data = os.urandom(64 * pairs)
    assert native.hash_pairs(data) == PY.hash_pairs(data)


def test_hash_pairs_rejects_partial_pair(native) -> None:
    for be in (native, PY):
        with pytest.raises(InvalidInput):
            be.hash_pairs(b"\x00" * 65)


@pytest.mark.parametrize("levels,groups", [(0, 3), (1, 1), (1, 5), (4, 3), (10, 2)])
def test_merkle_reduce_matches(native, levels: int, groups: int) -> None:
    nodes = os.urandom(32 * groups << levels)
    assert native.merkle_reduce(nodes, levels) == PY.merkle_reduce(nodes, levels)


def test_merkle_reduce_bad_sizes(native) -> None:
    for be in (native, PY):
        with pytest.raises(InvalidInput):
            be.merkle_reduce(b"\x00" * 96, 1)
        with pytest.raises(InvalidInput):
            be.merkle_reduce(b"", 0)


def test_numpy_inputs(native) -> None:
    arr = np.frombuffer(os.urandom(64 * 40), dtype=np.uint8).reshape(40, 64)
    assert native.hash_pairs(arr) == PY.hash_pairs(arr)
    assert native.hash_pairs(arr[::2]) == PY.hash_pairs(np.ascontiguousarray(arr[::2]))


@pytest.mark.parametrize("count", [0, 1, 2, 3, 5, 17, 1000, 1025, 4097])
def test_tree_roots_match(native, count: int) -> None:
    hashes = os.urandom(32 * count)
    assert list_root_from_hashes(hashes, native) == list_root_from_hashes(hashes, PY)


def test_two_to_the_twenty_leaves(native) -> None:
    """2^20 leaves: bulk reduce (kernel c) equals level-by-level pairs (kernel a)."""
    n = 1 << 20
    hashes = np.random.default_rng(1).integers(0, 256, 32 * n, dtype=np.uint8).tobytes()
    bulk = tree_root(hashes, 20, native)
    level = hashes
    for _ in range(20):
        level = native.hash_pairs(level)
    assert bulk == level
    # the python reference on the top of the same tree (first 2^10 subtree roots)
    tops = native.merkle_reduce(hashes, 10)
    assert PY.merkle_reduce(tops, 10) == bulk
    # and a python check of one bottom subtree
    assert PY.merkle_reduce(hashes[: 32 << 10], 10) == tops[:32]


def test_padding_uses_empty_subtrees(native) -> None:
    leaf = os.urandom(32)
    assert tree_root(leaf, 3, native) == tree_root(leaf + EMPTY[0] * 7, 3, PY)
    assert tree_root(b"", 5, native) == EMPTY[5]
