"""Batches (issue 4): versioned, columnar, Brotli-compressed encodings of L2 block ranges.

Pure: no I/O, no clock. The batcher encodes sealed blocks with ``encode_batches`` (or
``encode_frame`` per range), picks the route with ``choose_da``, packs blobs with ``to_blobs``;
derivation reverses it with ``from_blobs`` / ``parse_append_batch_calldata``, checks the
clear header (``frame_header``) against the L1 event, and runs ``decode_frame``. Format: docs/spec.md §4.
"""

from __future__ import annotations

from .blobs import blob_count, from_blobs, max_frame_for_blobs, to_blobs
from .calldata import (
    append_batch_calldata,
    append_blob_batch_calldata,
    parse_append_batch_calldata,
)
from .codec import (
    CodecConfig,
    assemble_frame,
    check_frame_header,
    decode_frame,
    encode_frame,
    frame_header,
)
from .commitment import (
    GENESIS_PARENT_HASH,
    KIND_BLOB,
    KIND_CALLDATA,
    batch_hash,
    blob_data_hash,
    calldata_data_hash,
    da_kind,
    kzg_versioned_hash,
)
from .cost import L1Cost, blob_batch_cost, calldata_batch_cost, calldata_gas, choose_da
from .exceptions import (
    BatchDecodeError,
    BatchEncodeError,
    BatchError,
    BlockTooLarge,
    ChainIdMismatch,
    DecompressionFailed,
    HeaderMismatch,
    InvalidBlobs,
    InvalidBlockSequence,
    MalformedBatch,
    MalformedTransaction,
    NonCanonicalTransaction,
    TruncatedData,
    UnknownVersion,
    UnsupportedTransaction,
)
from .frame import HEADER_BYTES, FrameHeader
from .model import Batch, BatchBlock
from .splitter import EncodedBatch, encode_batches, split_blocks

__all__ = [
    "Batch",
    "BatchBlock",
    "CodecConfig",
    "EncodedBatch",
    "L1Cost",
    "FrameHeader",
    "HEADER_BYTES",
    "encode_frame",
    "decode_frame",
    "frame_header",
    "check_frame_header",
    "assemble_frame",
    "split_blocks",
    "encode_batches",
    "to_blobs",
    "from_blobs",
    "blob_count",
    "max_frame_for_blobs",
    "append_batch_calldata",
    "append_blob_batch_calldata",
    "parse_append_batch_calldata",
    "batch_hash",
    "calldata_data_hash",
    "blob_data_hash",
    "kzg_versioned_hash",
    "da_kind",
    "GENESIS_PARENT_HASH",
    "KIND_CALLDATA",
    "KIND_BLOB",
    "calldata_gas",
    "calldata_batch_cost",
    "blob_batch_cost",
    "choose_da",
    "BatchError",
    "BatchEncodeError",
    "BatchDecodeError",
    "UnsupportedTransaction",
    "MalformedTransaction",
    "NonCanonicalTransaction",
    "ChainIdMismatch",
    "InvalidBlockSequence",
    "BlockTooLarge",
    "UnknownVersion",
    "TruncatedData",
    "MalformedBatch",
    "DecompressionFailed",
    "InvalidBlobs",
    "HeaderMismatch",
]
