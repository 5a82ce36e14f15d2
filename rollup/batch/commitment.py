"""The batch hash chain, exactly as ``OmniRollup.sol`` computes it.

``batch_hash = keccak(abi.encode(prevHash, index, firstL2Block, lastL2Block, dataHash, kind))``:
six 32-byte words. ``kind`` is 0 for calldata, where ``dataHash = keccak(frame)`` (the
``data`` argument of ``appendBatch`` is the frame), and 1 for blobs, where
``dataHash = keccak(versionedHash_0 ++ ... ++ versionedHash_{n-1})`` over the blobs of the
posting transaction in order. Batch 0 has ``prevHash = 0``; each later batch names its
predecessor's hash, which the frame also carries in its body (docs/spec.md §4 section 6).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from eth_hash.auto import keccak

from .constants import DA_BLOB, DA_CALLDATA

__all__ = [
    "KIND_CALLDATA",
    "KIND_BLOB",
    "GENESIS_PARENT_HASH",
    "VERSIONED_HASH_VERSION_KZG",
    "calldata_data_hash",
    "blob_data_hash",
    "kzg_versioned_hash",
    "batch_hash",
    "da_kind",
]

KIND_CALLDATA = 0
"""``kind`` word of a calldata batch (OmniRollup.KIND_CALLDATA)."""

KIND_BLOB = 1
"""``kind`` word of a blob batch (OmniRollup.KIND_BLOB)."""

GENESIS_PARENT_HASH = bytes(32)
"""``prevHash`` of the first batch (index 0)."""

VERSIONED_HASH_VERSION_KZG = 0x01
"""First byte of an EIP-4844 versioned hash."""


def calldata_data_hash(frame: bytes) -> bytes:
    """``dataHash`` of a calldata batch: keccak of the frame."""
    return keccak(frame)


def blob_data_hash(versioned_hashes: Sequence[bytes]) -> bytes:
    """``dataHash`` of a blob batch: keccak of the concatenated versioned hashes, in order."""
    if not versioned_hashes or any(len(h) != 32 for h in versioned_hashes):
        raise ValueError("a blob batch needs one or more 32-byte versioned hashes")
    return keccak(b"".join(versioned_hashes))


def kzg_versioned_hash(commitment: bytes) -> bytes:
    """EIP-4844 versioned hash of a 48-byte KZG commitment: ``0x01 ++ sha256(c)[1:]``."""
    if len(commitment) != 48:
        raise ValueError("a KZG commitment is 48 bytes")
    return bytes((VERSIONED_HASH_VERSION_KZG,)) + hashlib.sha256(commitment).digest()[1:]


def da_kind(mode: str) -> int:
    """The ``kind`` word for a data-availability mode name ("calldata" or "blob")."""
    if mode == DA_CALLDATA:
        return KIND_CALLDATA
    if mode == DA_BLOB:
        return KIND_BLOB
    raise ValueError(f"unknown data-availability mode {mode!r}")


def batch_hash(
    prev_hash: bytes, index: int, first_block: int, last_block: int, data_hash: bytes, kind: int
) -> bytes:
    """The hash OmniRollup.sol stores for batch ``index`` (see the module docstring)."""
    if len(prev_hash) != 32 or len(data_hash) != 32:
        raise ValueError("prev_hash and data_hash are 32 bytes")
    if kind not in (KIND_CALLDATA, KIND_BLOB):
        raise ValueError(f"unknown batch kind {kind}")
    words = (index, first_block, last_block)
    return keccak(
        prev_hash
        + b"".join(w.to_bytes(32, "big") for w in words)
        + data_hash
        + kind.to_bytes(32, "big")
    )
