"""Binary keccak Merkle trees (spec section 1): empty subtrees, list roots and proofs.

``leaf(data) = keccak(keccak(data))``; ``node(l, r) = keccak(l ++ r)``; ``E[0] = Z``,
``E[h+1] = node(E[h], E[h])``. A *list root* over N items pads the leaf hashes to ``2**d``
(``d = ceil(log2(max(N, 1)))``) with ``E[0]`` and mixes the length in:
``keccak(tree_root ++ u256(N))``. Fixed-depth trees (state, withdrawals) use
:func:`fold_proof` with ``D = 32`` siblings and no length mixing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .backend import Backend, Buffer, as_view, get_backend
from .errors import IndexOutOfRange, InvalidInput
from .hashing import HASH_SIZE, ZERO_HASH, keccak, leaf_hash, node_hash, u256

__all__ = [
    "EMPTY",
    "MAX_DEPTH",
    "leaf_hash",
    "node_hash",
    "depth_for",
    "tree_root",
    "tree_levels",
    "list_root",
    "list_root_from_hashes",
    "ListProof",
    "list_proof",
    "list_proof_from_hashes",
    "verify_list_proof",
    "fold_proof",
    "verify_fixed_proof",
]

MAX_DEPTH = 64
"""Deepest tree supported: list lengths and indices are 64-bit."""


def _empty_hashes(count: int) -> tuple[bytes, ...]:
    out = [ZERO_HASH]
    for _ in range(count - 1):
        out.append(node_hash(out[-1], out[-1]))
    return tuple(out)


EMPTY: tuple[bytes, ...] = _empty_hashes(MAX_DEPTH + 1)
"""``EMPTY[h]`` is ``E[h]``, the root of an all-empty subtree of height ``h`` (0..64)."""

_REDUCE_SLACK = 16
"""Bulk reduction pads with at most ``N / _REDUCE_SLACK`` empty leaves before falling back."""


def depth_for(count: int) -> int:
    """``ceil(log2(max(count, 1)))``: the depth of a list tree of ``count`` leaves."""
    if count < 0:
        raise InvalidInput("count", f"{count} is negative")
    return max(count - 1, 0).bit_length()


def _as_hashes(hashes: Buffer) -> bytes:
    raw = bytes(hashes)
    if len(raw) % HASH_SIZE:
        raise InvalidInput("hash buffer", f"length {len(raw)} is not a multiple of 32")
    return raw


def _pad(level: bytes, height: int) -> bytes:
    """Append ``E[height]`` if the level has an odd number of nodes."""
    if (len(level) // HASH_SIZE) % 2:
        return level + EMPTY[height]
    return level


def tree_root(hashes: Buffer, depth: int, backend: Backend | None = None) -> bytes:
    """Root of a depth-``depth`` tree whose first leaves are ``hashes`` (concatenated), rest ``E[0]``.

    Uses the backend's one-call subtree reduction (kernel c) for the bulk of the levels when the
    leaf count needs little padding, then one ``hash_pairs`` call per remaining level.
    """
    raw = _as_hashes(hashes)
    count = len(raw) // HASH_SIZE
    if not 0 <= depth <= MAX_DEPTH or count > (1 << depth):
        raise InvalidInput("depth", f"{count} leaves do not fit a tree of depth {depth}")
    if count == 0:
        return EMPTY[depth]
    be = backend or get_backend()
    level, height = raw, 0
    bulk = 0
    while bulk < depth:
        block = 1 << (bulk + 1)
        padded = -(-count // block) * block
        if padded - count > count // _REDUCE_SLACK:
            break
        bulk += 1
    if bulk >= 2:
        padded = -(-count // (1 << bulk)) * (1 << bulk)
        level = be.merkle_reduce(raw + ZERO_HASH * (padded - count), bulk)
        height = bulk
    while height < depth:
        level = be.hash_pairs(_pad(level, height))
        height += 1
    return level


def tree_levels(hashes: Buffer, depth: int, backend: Backend | None = None) -> list[bytes]:
    """Every level of the tree, leaves first; level ``h`` holds ``ceil(N / 2**h)`` nodes.

    Nodes beyond a level's count are implicitly ``E[h]``.
    """
    raw = _as_hashes(hashes)
    count = len(raw) // HASH_SIZE
    if not 0 <= depth <= MAX_DEPTH or count > (1 << depth):
        raise InvalidInput("depth", f"{count} leaves do not fit a tree of depth {depth}")
    be = backend or get_backend()
    levels = [raw]
    for height in range(depth):
        level = levels[-1]
        levels.append(be.hash_pairs(_pad(level, height)) if level else b"")
    return levels


def list_root_from_hashes(hashes: Buffer, backend: Backend | None = None) -> bytes:
    """List root from already-computed leaf hashes (concatenated)."""
    raw = _as_hashes(hashes)
    count = len(raw) // HASH_SIZE
    return keccak(tree_root(raw, depth_for(count), backend) + u256(count))


def list_root(leaves_data: Sequence[Buffer], backend: Backend | None = None) -> bytes:
    """``keccak(tree_root ++ u256(N))`` over ``leaf(data)`` of each item."""
    be = backend or get_backend()
    return list_root_from_hashes(be.leaf_hashes(leaves_data) if leaves_data else b"", be)


@dataclass(frozen=True, slots=True)
class ListProof:
    """Inclusion proof of item ``index`` in a list of ``size`` items: ``d`` siblings bottom-up."""

    index: int
    size: int
    siblings: tuple[bytes, ...]

    def to_json(self) -> dict[str, Any]:
        """JSON form: ``{"index", "size", "siblings": ["0x..."]}``."""
        return {
            "index": self.index,
            "size": self.size,
            "siblings": ["0x" + s.hex() for s in self.siblings],
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> ListProof:
        """Inverse of :meth:`to_json`; raises :class:`InvalidInput` on malformed data."""
        try:
            sibs = tuple(bytes.fromhex(str(s).removeprefix("0x")) for s in obj["siblings"])
            return cls(int(obj["index"]), int(obj["size"]), sibs)
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput("list proof", str(exc)) from exc


def list_proof_from_hashes(
    hashes: Buffer, index: int, backend: Backend | None = None
) -> ListProof:
    """Proof for item ``index`` given all leaf hashes (concatenated)."""
    raw = _as_hashes(hashes)
    count = len(raw) // HASH_SIZE
    if not 0 <= index < count:
        raise IndexOutOfRange(index, count)
    levels = tree_levels(raw, depth_for(count), backend)
    siblings = []
    for height in range(depth_for(count)):
        sib = (index >> height) ^ 1
        level = levels[height]
        if (sib + 1) * HASH_SIZE <= len(level):
            siblings.append(level[sib * HASH_SIZE : (sib + 1) * HASH_SIZE])
        else:
            siblings.append(EMPTY[height])
    return ListProof(index, count, tuple(siblings))


def list_proof(
    leaves_data: Sequence[Buffer], index: int, backend: Backend | None = None
) -> ListProof:
    """Proof that ``leaves_data[index]`` is item ``index`` of the list."""
    be = backend or get_backend()
    if not 0 <= index < len(leaves_data):
        raise IndexOutOfRange(index, len(leaves_data))
    return list_proof_from_hashes(be.leaf_hashes(leaves_data), index, be)


def fold_proof(leaf: bytes, index: int, siblings: Sequence[bytes]) -> bytes:
    """Fold a leaf hash up with bottom-up siblings: bit ``i`` of ``index`` set means right child."""
    h = leaf
    for height, sib in enumerate(siblings):
        if len(sib) != HASH_SIZE:
            raise InvalidInput("sibling", f"sibling {height} is {len(sib)} bytes, not 32")
        h = node_hash(sib, h) if (index >> height) & 1 else node_hash(h, sib)
    return h


def verify_list_proof(root: bytes, leaf_data: Buffer, proof: ListProof) -> bool:
    """True iff ``leaf_data`` is item ``proof.index`` of the list of ``proof.size`` items."""
    if not 0 <= proof.index < proof.size or len(proof.siblings) != depth_for(proof.size):
        return False
    if any(len(s) != HASH_SIZE for s in proof.siblings):
        return False
    tree = fold_proof(leaf_hash(bytes(as_view(leaf_data))), proof.index, proof.siblings)
    return keccak(tree + u256(proof.size)) == root


def verify_fixed_proof(
    root: bytes, leaf: bytes, index: int, siblings: Sequence[bytes], depth: int = 32
) -> bool:
    """True iff leaf hash ``leaf`` sits at ``index`` of a depth-``depth`` tree with ``root``."""
    if len(siblings) != depth or not 0 <= index < (1 << depth) or len(leaf) != HASH_SIZE:
        return False
    if any(len(s) != HASH_SIZE for s in siblings):
        return False
    return fold_proof(leaf, index, siblings) == root
