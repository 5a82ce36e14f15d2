"""A fixed-depth dense binary tree of 32-byte nodes with level-by-level batch updates.

Level ``h`` holds the nodes at height ``h`` (leaves at 0, the root alone at ``depth``); a node
never written reads as ``E[h]``. Updating ``k`` leaves recomputes only the dirty parents, one
``hash_pairs`` call per level (kernel a on the fast backends). This is the engine under
:class:`prover.state_tree.StateTree` and :class:`prover.withdrawals.WithdrawalTree`.
"""

from __future__ import annotations

import numpy as np
from eth_hash.auto import keccak as _keccak

from .backend import Backend
from .errors import IndexOutOfRange, InvalidInput
from .hashing import HASH_SIZE
from .merkle import EMPTY, MAX_DEPTH
from .paged import PagedRows

__all__ = ["DenseTree", "SMALL_BATCH"]

SMALL_BATCH = 8
"""Updates of at most this many leaves walk their paths node by node with the reference keccak:
for a handful of leaves, 32 numpy gathers and kernel calls cost more than the hashing."""


def _sorted_unique(idx: np.ndarray) -> np.ndarray:
    """Distinct values of an ascending array (cheaper than ``np.unique``'s hashing)."""
    if len(idx) < 2:
        return idx
    keep = np.empty(len(idx), dtype=bool)
    keep[0] = True
    np.not_equal(idx[1:], idx[:-1], out=keep[1:])
    return idx[keep]


class DenseTree:
    """Nodes of a depth-``depth`` tree; the caller owns leaf semantics and counting."""

    __slots__ = ("depth", "backend", "_levels", "hashes_computed")

    def __init__(self, depth: int, backend: Backend) -> None:
        if not 1 <= depth <= MAX_DEPTH - 1:
            raise InvalidInput("depth", f"{depth} not in 1..{MAX_DEPTH - 1}")
        self.depth = depth
        self.backend = backend
        self._levels = [PagedRows(HASH_SIZE, EMPTY[h]) for h in range(depth + 1)]
        self.hashes_computed = 0
        """Inner-node hashes computed so far (for measurements)."""

    def copy(self) -> DenseTree:
        """Copy-on-write copy: O(allocated pages), no node bytes copied."""
        other = DenseTree.__new__(DenseTree)
        other.depth, other.backend = self.depth, self.backend
        other._levels = [lvl.copy() for lvl in self._levels]
        other.hashes_computed = 0
        return other

    @property
    def root(self) -> bytes:
        """The root node."""
        return self._levels[self.depth].get(0)

    def leaf(self, index: int) -> bytes:
        """The leaf hash at ``index`` (``E[0]`` if never set)."""
        return self._levels[0].get(index)

    def leaves(self, count: int) -> bytes:
        """The first ``count`` leaf hashes concatenated."""
        return self._levels[0].tobytes(count)

    def set_leaves(self, idx: np.ndarray, hashes: np.ndarray) -> bytes:
        """Write leaf hashes (``(k, 32)`` uint8) at distinct indices and return the new root."""
        idx = np.asarray(idx, dtype=np.int64)
        if not len(idx):
            return self.root
        if idx.min() < 0 or idx.max() >= (1 << self.depth):
            raise IndexOutOfRange(int(idx.max()), 1 << self.depth)
        if len(idx) > 1 and np.any(idx[1:] < idx[:-1]):
            order = np.argsort(idx, kind="stable")
            idx, hashes = idx[order], hashes[order]
        if len(idx) <= SMALL_BATCH:
            return self._set_few(idx.tolist(), hashes)
        self._levels[0].set_rows(idx, hashes)
        dirty = _sorted_unique(idx)
        for height in range(self.depth):
            parents = _sorted_unique(dirty >> 1)
            children = np.empty(2 * len(parents), dtype=np.int64)
            children[0::2] = parents << 1
            children[1::2] = (parents << 1) | 1
            pairs = self._levels[height].get_rows(children).reshape(len(parents), 2 * HASH_SIZE)
            out = self.backend.hash_pairs(pairs)
            self.hashes_computed += len(parents)
            nodes = np.frombuffer(out, dtype=np.uint8).reshape(len(parents), HASH_SIZE)
            self._levels[height + 1].set_rows(parents, nodes)
            dirty = parents
        return self.root

    def _set_few(self, idx: list[int], hashes: np.ndarray) -> bytes:
        """Scalar path of :meth:`set_leaves` for a few sorted leaves (same result)."""
        level0 = self._levels[0]
        for i, h in zip(idx, hashes):
            level0.set(i, h.tobytes())
        dirty = sorted(set(idx))
        for height in range(self.depth):
            below, above = self._levels[height], self._levels[height + 1]
            parents = sorted({i >> 1 for i in dirty})
            for p in parents:
                above.set(p, _keccak(below.get(2 * p) + below.get(2 * p + 1)))
            self.hashes_computed += len(parents)
            dirty = parents
        return self.root

    def siblings(self, index: int) -> tuple[bytes, ...]:
        """The ``depth`` sibling hashes of leaf ``index``, bottom-up."""
        if not 0 <= index < (1 << self.depth):
            raise IndexOutOfRange(index, 1 << self.depth)
        return tuple(self._levels[h].get((index >> h) ^ 1) for h in range(self.depth))
