"""Keccak-256 reference primitives shared by every module (eth-hash with pycryptodome)."""

from __future__ import annotations

from eth_hash.auto import keccak as _keccak

__all__ = ["keccak", "leaf_hash", "node_hash", "u256", "HASH_SIZE", "ZERO_HASH"]

HASH_SIZE = 32
"""Bytes in a Keccak-256 digest, a tree node and a state-tree key."""

ZERO_HASH = bytes(HASH_SIZE)
"""``Z``: 32 zero bytes, the empty leaf ``E[0]`` and the deleted value hash."""


def keccak(data: bytes | bytearray | memoryview) -> bytes:
    """Keccak-256 as used by Ethereum (not NIST SHA3-256)."""
    return _keccak(bytes(data))


def leaf_hash(data: bytes | bytearray | memoryview) -> bytes:
    """``leaf(data) = keccak(keccak(data))`` (spec section 1: leaves are hashed twice)."""
    return _keccak(_keccak(bytes(data)))


def node_hash(left: bytes, right: bytes) -> bytes:
    """``node(l, r) = keccak(l ++ r)``: an inner node from two 32-byte children."""
    return _keccak(left + right)


def u256(value: int) -> bytes:
    """``value`` as a 32-byte big-endian word (must fit in 256 bits)."""
    return value.to_bytes(32, "big")
