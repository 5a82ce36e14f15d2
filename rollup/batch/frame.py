"""The frame: ``version ++ header ++ brotli(body)``, the bytes a batch puts on the L1.

::

    frame = 0x01                      frame / batch format version
         ++ parent_hash   (32 bytes)  the previous batch's hash (OmniRollup prevHash)
         ++ first_block   (u64 BE)    first L2 block carried
         ++ last_block    (u64 BE)    last L2 block carried (>= first_block)
         ++ brotli(body)              the columnar body (body.py)

The header is in the clear so that derivation (and, on the calldata route, the contract) can
check a frame against its L1 call without decompressing it, and so that bodies can be
compressed before the previous batch's hash is known. Decompression is bounded: a hostile frame
cannot make a decoder allocate more than ``max_body`` bytes, and anything that is not one
complete Brotli stream is rejected.
"""

from __future__ import annotations

from dataclasses import dataclass

import brotli

from .constants import BROTLI_QUALITY, BROTLI_WINDOW_BITS, FRAME_VERSION, MAX_BODY_BYTES, MAX_UINT64
from .exceptions import DecompressionFailed, MalformedBatch, TruncatedData, UnknownVersion

__all__ = [
    "FrameHeader",
    "HEADER_BYTES",
    "encode_header",
    "read_header",
    "compress_body",
    "decompress_body",
]

HEADER_BYTES = 1 + 32 + 8 + 8
"""Version, parent hash, first block, last block: 49 bytes in front of the Brotli stream."""

_CHUNK = 1 << 20
"""Output granularity of the bounded decompression loop."""


@dataclass(frozen=True, slots=True)
class FrameHeader:
    """The clear-text head of a frame."""

    parent_hash: bytes
    first_block: int
    last_block: int
    version: int = FRAME_VERSION

    @property
    def block_count(self) -> int:
        """Blocks carried."""
        return self.last_block - self.first_block + 1


def encode_header(header: FrameHeader) -> bytes:
    """The 49 header bytes."""
    if len(header.parent_hash) != 32:
        raise ValueError("parent hash must be 32 bytes")
    if not 0 <= header.first_block <= header.last_block <= MAX_UINT64:
        raise ValueError(f"invalid block range {header.first_block}..{header.last_block}")
    return (
        bytes((header.version,))
        + header.parent_hash
        + header.first_block.to_bytes(8, "big")
        + header.last_block.to_bytes(8, "big")
    )


def read_header(frame: bytes) -> tuple[FrameHeader, bytes]:
    """The header of ``frame`` and the compressed payload after it (nothing is decompressed)."""
    if not frame:
        raise TruncatedData("frame version", 1, 0)
    if frame[0] != FRAME_VERSION:
        raise UnknownVersion("frame", frame[0])
    if len(frame) < HEADER_BYTES:
        raise TruncatedData("frame header", HEADER_BYTES, len(frame))
    first = int.from_bytes(frame[33:41], "big")
    last = int.from_bytes(frame[41:49], "big")
    if last < first:
        raise MalformedBatch("frame header", f"last block {last} before first block {first}")
    return FrameHeader(bytes(frame[1:33]), first, last, frame[0]), frame[HEADER_BYTES:]


def compress_body(body: bytes, quality: int = BROTLI_QUALITY) -> bytes:
    """``brotli(body)`` with a 2**24 window."""
    return brotli.compress(body, mode=brotli.MODE_GENERIC, quality=quality, lgwin=BROTLI_WINDOW_BITS)


def decompress_body(payload: bytes, max_body: int = MAX_BODY_BYTES) -> bytes:
    """The body inside a frame's payload; ``BatchDecodeError`` subclasses for anything wrong."""
    dec = brotli.Decompressor()
    out = bytearray()
    try:
        chunk = dec.process(payload, output_buffer_limit=_CHUNK)
        while True:
            out += chunk
            if len(out) > max_body:
                raise DecompressionFailed(f"body larger than {max_body} bytes")
            if dec.can_accept_more_data():
                break
            chunk = dec.process(b"", output_buffer_limit=_CHUNK)
    except brotli.error as exc:
        raise DecompressionFailed(str(exc) or "invalid Brotli stream") from None
    if not dec.is_finished():
        raise DecompressionFailed("Brotli stream ends early")
    return bytes(out)
