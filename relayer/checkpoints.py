"""Checkpoints: one signature for many messages (docs/spec.md §7 section 4).

A checkpoint of an origin mailbox after ``count`` dispatches is the spec's *list root* (docs/spec.md
section 1) over the ids of messages ``0 .. count-1`` in nonce order, leaf data = the 32-byte id:
``leaf = keccak(keccak(id))``, ``root = keccak(treeRoot ++ u256(count))``. Validators sign
``signing_digest(CHECKPOINT, origin, originMailbox, root)``; a destination verifies that once, stores
``root -> count``, then accepts message ``nonce`` with the ``depth_for(count)`` siblings of leaf
``nonce``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from prover.hashing import keccak, leaf_hash, u256
from prover.merkle import depth_for, list_proof_from_hashes, tree_root

from .messages import MessageError, MessageKind, signing_digest

__all__ = [
    "CheckpointError",
    "Checkpoint",
    "message_leaf",
    "build_checkpoint",
    "checkpoint_proof",
    "verify_checkpoint_proof",
]


class CheckpointError(MessageError):
    """A checkpoint or proof request that does not fit the message list."""


def message_leaf(message_id: bytes) -> bytes:
    """``keccak(keccak(id))``: the leaf hash of a message id."""
    if len(message_id) != 32:
        raise CheckpointError(f"message id must be 32 bytes, got {len(message_id)}")
    return leaf_hash(message_id)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The state of an origin mailbox after ``count`` messages."""

    origin: int
    origin_mailbox: bytes
    count: int
    tree_root: bytes

    @property
    def root(self) -> bytes:
        """The list root ``keccak(treeRoot ++ u256(count))``: the signed payload."""
        return keccak(self.tree_root + u256(self.count))

    @property
    def depth(self) -> int:
        """Siblings in each proof against this checkpoint."""
        return depth_for(self.count)

    def digest(self) -> bytes:
        """What the validators sign for this checkpoint."""
        return signing_digest(MessageKind.CHECKPOINT, self.origin, self.origin_mailbox, self.root)


def _leaves(ids: Sequence[bytes]) -> bytes:
    return b"".join(message_leaf(i) for i in ids)


def build_checkpoint(origin: int, origin_mailbox: bytes, ids: Sequence[bytes]) -> Checkpoint:
    """Checkpoint over ``ids`` (the ids of nonces 0..len-1, in order)."""
    if not ids:
        raise CheckpointError("a checkpoint covers at least one message")
    if len(origin_mailbox) == 20:
        origin_mailbox = bytes(12) + origin_mailbox
    root = tree_root(_leaves(ids), depth_for(len(ids)))
    return Checkpoint(origin, origin_mailbox, len(ids), root)


def checkpoint_proof(ids: Sequence[bytes], nonce: int) -> tuple[bytes, ...]:
    """Sibling hashes (bottom up) of message ``nonce`` in the checkpoint over ``ids``."""
    if not 0 <= nonce < len(ids):
        raise CheckpointError(f"nonce {nonce} not covered by a checkpoint of {len(ids)} messages")
    return list_proof_from_hashes(_leaves(ids), nonce).siblings


def verify_checkpoint_proof(root: bytes, count: int, message_id: bytes, nonce: int, proof: Sequence[bytes]) -> bool:
    """The destination's check: fold the proof at index ``nonce`` and mix in ``count``."""
    if not 0 <= nonce < count or len(proof) != depth_for(count):
        return False
    h = message_leaf(message_id)
    for height, sib in enumerate(proof):
        h = keccak(sib + h) if (nonce >> height) & 1 else keccak(h + sib)
    return keccak(h + u256(count)) == root
