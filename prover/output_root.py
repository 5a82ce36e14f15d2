"""The L2 output root the proposer posts to the L1 (spec: prover section)."""

from __future__ import annotations

from .errors import InvalidInput
from .hashing import HASH_SIZE, keccak, u256

__all__ = ["OUTPUT_ROOT_VERSION", "output_root"]

OUTPUT_ROOT_VERSION = 0
"""Version word of the output-root preimage; bumped if the preimage layout ever changes."""


def output_root(state_root: bytes, withdrawal_root: bytes, block_hash: bytes) -> bytes:
    """``keccak(u256(0) ++ state_root ++ withdrawal_root ++ l2_block_hash)``."""
    for what, value in (
        ("state_root", state_root),
        ("withdrawal_root", withdrawal_root),
        ("block_hash", block_hash),
    ):
        if len(value) != HASH_SIZE:
            raise InvalidInput(what, f"expected 32 bytes, got {len(value)}")
    return keccak(u256(OUTPUT_ROOT_VERSION) + state_root + withdrawal_root + block_hash)
