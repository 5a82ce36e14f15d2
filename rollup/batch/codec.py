"""Batch to frame and back: the clear header and the columnar body under Brotli.

``encode_frame(batch)`` is what the batcher posts (as calldata or packed into blobs);
``decode_frame(frame)`` is what derivation runs on the bytes it finds on the L1. Decoding any
byte string either returns a ``Batch`` whose transactions are the exact signed bytes that were
encoded, or raises a ``BatchDecodeError``; nothing else escapes.
"""

from __future__ import annotations

from dataclasses import dataclass

from .body import decode_body, encode_body
from .constants import BROTLI_QUALITY, DEFAULT_CHAIN_ID, MAX_BODY_BYTES
from .exceptions import BatchDecodeError, HeaderMismatch, MalformedBatch
from .frame import FrameHeader, compress_body, decompress_body, encode_header, read_header
from .model import Batch

__all__ = [
    "CodecConfig",
    "DEFAULT_CONFIG",
    "encode_frame",
    "decode_frame",
    "frame_header",
    "assemble_frame",
    "check_frame_header",
]


@dataclass(frozen=True, slots=True)
class CodecConfig:
    """Parameters of the codec: the implied chain id and the compression/decoding bounds."""

    chain_id: int = DEFAULT_CHAIN_ID
    brotli_quality: int = BROTLI_QUALITY
    max_body_bytes: int = MAX_BODY_BYTES


DEFAULT_CONFIG = CodecConfig()
"""Chain 7001, Brotli quality 11, bodies up to 16 MiB."""


def assemble_frame(parent_hash: bytes, first_block: int, last_block: int, payload: bytes) -> bytes:
    """A frame from its header fields and an already compressed body."""
    return encode_header(FrameHeader(parent_hash, first_block, last_block)) + payload


def encode_frame(batch: Batch, config: CodecConfig = DEFAULT_CONFIG) -> bytes:
    """The frame of ``batch``; ``BatchEncodeError`` on bad input."""
    payload = compress_body(encode_body(batch, config.chain_id), config.brotli_quality)
    return assemble_frame(batch.parent_hash, batch.first_block, batch.last_block, payload)


def frame_header(frame: bytes) -> FrameHeader:
    """The clear header of ``frame`` (parent hash, first and last block), without decompressing."""
    return read_header(frame)[0]


def check_frame_header(frame: bytes, prev_hash: bytes, first_block: int, last_block: int) -> FrameHeader:
    """The header of ``frame`` if it agrees with the L1 posting (``BatchAppended``'s
    ``prevHash``, ``firstL2Block``, ``lastL2Block``); ``HeaderMismatch`` naming the field if not."""
    header = read_header(frame)[0]
    for field, expected, got in (
        ("parent hash", prev_hash, header.parent_hash),
        ("first block", first_block, header.first_block),
        ("last block", last_block, header.last_block),
    ):
        if expected != got:
            raise HeaderMismatch(field, expected, got)
    return header


def decode_frame(frame: bytes, config: CodecConfig = DEFAULT_CONFIG) -> Batch:
    """The batch inside ``frame``; raises only ``BatchDecodeError`` subclasses."""
    header, payload = read_header(frame)
    body = decompress_body(payload, config.max_body_bytes)
    try:
        return decode_body(body, header.parent_hash, header.first_block, header.block_count, config.chain_id)
    except BatchDecodeError:
        raise
    except (ValueError, IndexError, OverflowError, MemoryError, RecursionError) as exc:
        # defence in depth: the body decoder checks every field, but a decoder must never
        # surface an untyped error to derivation
        raise MalformedBatch("body", f"{type(exc).__name__}: {exc}") from None
