"""Calldata framing: the L1 call that posts a frame to ``OmniRollup.appendBatch``.

``appendBatch(bytes32 prevHash, uint256 firstL2Block, uint256 lastL2Block, bytes data)`` with
``data = frame``: the contract hashes ``data`` into the batch hash (docs/spec.md §4
section 6). The blob route calls ``appendBlobBatch(bytes32, uint256, uint256)``, whose calldata
is the same head without the bytes argument. Both encodings are plain Solidity ABI, written
out here so the pure codec needs no ABI library and the cost model can count the bytes.
"""

from __future__ import annotations

from eth_hash.auto import keccak

from .exceptions import MalformedBatch, TruncatedData

__all__ = [
    "APPEND_BATCH_SIGNATURE",
    "APPEND_BLOB_BATCH_SIGNATURE",
    "APPEND_BATCH_SELECTOR",
    "APPEND_BLOB_BATCH_SELECTOR",
    "append_batch_calldata",
    "append_blob_batch_calldata",
    "parse_append_batch_calldata",
]

APPEND_BATCH_SIGNATURE = "appendBatch(bytes32,uint256,uint256,bytes)"
"""The calldata route of OmniRollup.sol."""

APPEND_BLOB_BATCH_SIGNATURE = "appendBlobBatch(bytes32,uint256,uint256)"
"""The blob route of OmniRollup.sol (the blobs ride in the type-3 transaction)."""

APPEND_BATCH_SELECTOR = keccak(APPEND_BATCH_SIGNATURE.encode())[:4]
"""4-byte selector of ``appendBatch``."""

APPEND_BLOB_BATCH_SELECTOR = keccak(APPEND_BLOB_BATCH_SIGNATURE.encode())[:4]
"""4-byte selector of ``appendBlobBatch``."""

_WORD = 32
"""Size of an ABI word."""


def _u256(x: int) -> bytes:
    return x.to_bytes(_WORD, "big")


def append_batch_calldata(prev_hash: bytes, first_block: int, last_block: int, frame: bytes) -> bytes:
    """ABI-encoded call of ``appendBatch(prevHash, first, last, frame)``."""
    pad = -len(frame) % _WORD
    return b"".join(
        (
            APPEND_BATCH_SELECTOR,
            prev_hash,
            _u256(first_block),
            _u256(last_block),
            _u256(4 * _WORD),  # offset of the bytes argument
            _u256(len(frame)),
            frame,
            bytes(pad),
        )
    )


def append_blob_batch_calldata(prev_hash: bytes, first_block: int, last_block: int) -> bytes:
    """ABI-encoded call of ``appendBlobBatch(prevHash, first, last)``."""
    return APPEND_BLOB_BATCH_SELECTOR + prev_hash + _u256(first_block) + _u256(last_block)


def parse_append_batch_calldata(calldata: bytes) -> tuple[bytes, int, int, bytes]:
    """``(prev_hash, first, last, frame)`` from ``appendBatch`` calldata (for derivation).

    Only the canonical encoding produced by ``append_batch_calldata`` (which is what Solidity
    tooling emits) is accepted; anything else raises a ``BatchDecodeError``.
    """
    head = 4 + 5 * _WORD
    if len(calldata) < head:
        raise TruncatedData("appendBatch calldata", head, len(calldata))
    if calldata[:4] != APPEND_BATCH_SELECTOR:
        raise MalformedBatch("calldata", "not an appendBatch call")
    words = [calldata[4 + i * _WORD : 4 + (i + 1) * _WORD] for i in range(5)]
    if int.from_bytes(words[3], "big") != 4 * _WORD:
        raise MalformedBatch("calldata", "non-canonical offset of the data argument")
    length = int.from_bytes(words[4], "big")
    if length > len(calldata):
        raise TruncatedData("appendBatch data", length, len(calldata) - head)
    expected = head + length + (-length % _WORD)
    if len(calldata) != expected:
        raise MalformedBatch("calldata", f"{len(calldata)} bytes, expected {expected}")
    frame = calldata[head : head + length]
    if any(calldata[head + length :]):
        raise MalformedBatch("calldata", "non-zero padding")
    first, last = int.from_bytes(words[1], "big"), int.from_bytes(words[2], "big")
    if first == 0 or last < first:
        raise MalformedBatch("calldata", f"invalid block range {first}..{last}")
    return words[0], first, last, frame
