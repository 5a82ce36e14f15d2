"""Typed errors of the batch codec.

Tree::

    BatchError
    ├── BatchEncodeError          the input cannot be written as a batch
    │   ├── UnsupportedTransaction    a type the format does not carry (deposits, EIP-2930, ...)
    │   ├── MalformedTransaction      not decodable RLP / wrong field shapes
    │   ├── NonCanonicalTransaction   decodable, but its bytes are not the canonical encoding
    │   ├── ChainIdMismatch           signed for another chain
    │   ├── InvalidBlockSequence      numbers, timestamps or L1 origins out of order
    │   └── BlockTooLarge             one block alone exceeds the size limit
    └── BatchDecodeError          the bytes are not a valid batch
        ├── UnknownVersion            version byte not understood
        ├── TruncatedData             the input ended inside a field
        ├── MalformedBatch            a field is out of range or not canonical
        ├── DecompressionFailed       not a Brotli stream, or too large once decompressed
        ├── InvalidBlobs              blob count, size, high bytes or padding wrong
        └── HeaderMismatch            the frame header disagrees with its L1 posting

Decoding never raises anything outside ``BatchDecodeError`` on any input.
"""

from __future__ import annotations

__all__ = [
    "BatchError",
    "BatchEncodeError",
    "UnsupportedTransaction",
    "MalformedTransaction",
    "NonCanonicalTransaction",
    "ChainIdMismatch",
    "InvalidBlockSequence",
    "BlockTooLarge",
    "BatchDecodeError",
    "UnknownVersion",
    "TruncatedData",
    "MalformedBatch",
    "DecompressionFailed",
    "InvalidBlobs",
    "HeaderMismatch",
]


class BatchError(Exception):
    """Root of every batch codec error."""


class BatchEncodeError(BatchError):
    """The blocks or transactions given cannot be written as a batch."""


class UnsupportedTransaction(BatchEncodeError):
    """A transaction of a type the batch format does not carry."""

    def __init__(self, tx_type: int, reason: str) -> None:
        self.tx_type = tx_type
        self.reason = reason
        super().__init__(f"transaction type 0x{tx_type:02x} cannot be batched: {reason}")


class MalformedTransaction(BatchEncodeError):
    """The raw bytes are not a well-formed transaction."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"malformed transaction: {reason}")


class NonCanonicalTransaction(BatchEncodeError):
    """The raw bytes decode, but re-encoding the fields gives different bytes.

    The batch rebuilds transactions from their fields, so only canonical encodings (the ones
    every Ethereum library produces) can be carried with their hash unchanged.
    """

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        super().__init__(f"transaction is not canonically encoded ({len(raw)} bytes)")


class ChainIdMismatch(BatchEncodeError):
    """The transaction is signed for a chain other than the batch's chain."""

    def __init__(self, expected: int, got: int) -> None:
        self.expected = expected
        self.got = got
        super().__init__(f"transaction chain id {got}, batch chain id {expected}")


class InvalidBlockSequence(BatchEncodeError):
    """Blocks are not contiguous, or a timestamp or L1 origin goes backwards or is inconsistent."""

    def __init__(self, block_number: int, reason: str) -> None:
        self.block_number = block_number
        self.reason = reason
        super().__init__(f"block {block_number}: {reason}")


class BlockTooLarge(BatchEncodeError):
    """A single block's frame exceeds the size limit (a block is never split across batches)."""

    def __init__(self, block_number: int, size: int, limit: int) -> None:
        self.block_number = block_number
        self.size = size
        self.limit = limit
        super().__init__(
            f"block {block_number} alone compresses to {size} bytes, over the {limit}-byte limit;"
            " post it as blobs or seal smaller blocks"
        )


class BatchDecodeError(BatchError):
    """The bytes given are not a valid batch, frame or blob set."""


class UnknownVersion(BatchDecodeError):
    """A version byte this decoder does not understand."""

    def __init__(self, what: str, version: int) -> None:
        self.what = what
        self.version = version
        super().__init__(f"unknown {what} version 0x{version:02x}")


class TruncatedData(BatchDecodeError):
    """The input ended in the middle of a field."""

    def __init__(self, field: str, needed: int, available: int) -> None:
        self.field = field
        self.needed = needed
        self.available = available
        super().__init__(f"truncated {field}: needed {needed} bytes, {available} left")


class MalformedBatch(BatchDecodeError):
    """A field is out of range, inconsistent with another, or not in canonical form."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"malformed batch field {field}: {reason}")


class DecompressionFailed(BatchDecodeError):
    """The frame payload is not a complete Brotli stream, or inflates past the size limit."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"frame decompression failed: {reason}")


class InvalidBlobs(BatchDecodeError):
    """Blobs of the wrong size or count, a non-zero high byte, or non-zero padding."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"invalid blobs: {reason}")


class HeaderMismatch(BatchDecodeError):
    """A frame's clear header disagrees with the L1 call or event that posted it."""

    def __init__(self, field: str, expected: object, got: object) -> None:
        self.field = field
        self.expected = expected
        self.got = got
        super().__init__(f"frame header {field} is {got!r}, the L1 posting says {expected!r}")
