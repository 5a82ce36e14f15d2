"""Packing a frame into EIP-4844 blobs and back.

Each blob is 4096 field elements of 32 bytes; every element's first byte is 0 and its other 31
bytes carry payload, so each element is below the BLS12-381 scalar modulus whatever the data.
The payload stream across the blobs, in order, is ``u32be(len(frame)) ++ frame`` followed by
zero bytes up to the end of the last blob. The blob count is exactly the smallest that holds
the stream: no empty trailing blob.
"""

from __future__ import annotations

from .constants import (
    BLOB_BYTES,
    BLOB_BYTES_PER_ELEMENT,
    BLOB_DATA_BYTES,
    BLOB_DATA_BYTES_PER_ELEMENT,
    BLOB_FIELD_ELEMENTS,
    BLOB_LENGTH_PREFIX_BYTES,
    MAX_BLOBS_PER_BATCH,
)
from .exceptions import InvalidBlobs

__all__ = ["blob_count", "to_blobs", "from_blobs", "max_frame_for_blobs"]


def blob_count(frame_len: int) -> int:
    """Blobs needed for a frame of ``frame_len`` bytes (length prefix included)."""
    return max(1, -(-(frame_len + BLOB_LENGTH_PREFIX_BYTES) // BLOB_DATA_BYTES))


def max_frame_for_blobs(blobs: int = MAX_BLOBS_PER_BATCH) -> int:
    """Largest frame that fits in ``blobs`` blobs."""
    return blobs * BLOB_DATA_BYTES - BLOB_LENGTH_PREFIX_BYTES


def to_blobs(frame: bytes) -> list[bytes]:
    """The blobs carrying ``frame`` (each exactly 131,072 bytes)."""
    if len(frame) >= 1 << (8 * BLOB_LENGTH_PREFIX_BYTES):
        raise ValueError(f"frame of {len(frame)} bytes is too large for a 4-byte length prefix")
    n = blob_count(len(frame))
    stream = len(frame).to_bytes(BLOB_LENGTH_PREFIX_BYTES, "big") + frame
    stream += bytes(n * BLOB_DATA_BYTES - len(stream))
    blobs = []
    step = BLOB_DATA_BYTES_PER_ELEMENT
    for b in range(n):
        chunk = stream[b * BLOB_DATA_BYTES : (b + 1) * BLOB_DATA_BYTES]
        out = bytearray(BLOB_BYTES)
        for i in range(BLOB_FIELD_ELEMENTS):
            base = i * BLOB_BYTES_PER_ELEMENT + 1
            out[base : base + step] = chunk[i * step : (i + 1) * step]
        blobs.append(bytes(out))
    return blobs


def from_blobs(blobs: list[bytes] | tuple[bytes, ...]) -> bytes:
    """The frame carried by ``blobs``; ``InvalidBlobs`` for any deviation from ``to_blobs``."""
    if not blobs:
        raise InvalidBlobs("no blobs")
    parts = []
    for idx, blob in enumerate(blobs):
        if not isinstance(blob, (bytes, bytearray)) or len(blob) != BLOB_BYTES:
            raise InvalidBlobs(f"blob {idx} is not {BLOB_BYTES} bytes")
        view = memoryview(blob)
        if any(blob[i * BLOB_BYTES_PER_ELEMENT] for i in range(BLOB_FIELD_ELEMENTS)):
            raise InvalidBlobs(f"blob {idx} has a field element with a non-zero high byte")
        parts.extend(
            view[i * BLOB_BYTES_PER_ELEMENT + 1 : (i + 1) * BLOB_BYTES_PER_ELEMENT]
            for i in range(BLOB_FIELD_ELEMENTS)
        )
    stream = b"".join(parts)
    length = int.from_bytes(stream[:BLOB_LENGTH_PREFIX_BYTES], "big")
    end = BLOB_LENGTH_PREFIX_BYTES + length
    if end > len(stream):
        raise InvalidBlobs(f"length prefix {length} exceeds the {len(blobs)} blobs given")
    if blob_count(length) != len(blobs):
        raise InvalidBlobs(f"{len(blobs)} blobs for a frame that needs {blob_count(length)}")
    if any(stream[end:]):
        raise InvalidBlobs("non-zero padding after the frame")
    return stream[BLOB_LENGTH_PREFIX_BYTES:end]
