"""Constants of the batch format (issue 4): versions, sizes, limits and L1 gas prices.

Every value here is part of the wire format or of the cost model written in
``docs/spec.md §4``; changing one changes the format or the numbers the batcher uses.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "BATCH_VERSION",
    "FRAME_VERSION",
    "DEFAULT_CHAIN_ID",
    "TX_TYPE_LEGACY",
    "TX_TYPE_FEE_MARKET",
    "TX_TYPE_DEPOSIT",
    "BROTLI_QUALITY",
    "BROTLI_WINDOW_BITS",
    "MAX_BODY_BYTES",
    "MAX_UINT64",
    "MAX_UINT256",
    "BLOB_FIELD_ELEMENTS",
    "BLOB_BYTES_PER_ELEMENT",
    "BLOB_DATA_BYTES_PER_ELEMENT",
    "BLOB_BYTES",
    "BLOB_DATA_BYTES",
    "BLOB_LENGTH_PREFIX_BYTES",
    "MAX_BLOBS_PER_BATCH",
    "MAX_CALLDATA_FRAME_BYTES",
    "DA_CALLDATA",
    "DA_BLOB",
    "TX_BASE_GAS",
    "CALLDATA_ZERO_BYTE_GAS",
    "CALLDATA_NONZERO_BYTE_GAS",
    "FLOOR_TOKEN_GAS",
    "GAS_PER_BLOB",
]

BATCH_VERSION: Final = 0x01
"""Version of the batch format (frame header and columnar body) of docs/spec.md §4."""

FRAME_VERSION: Final = BATCH_VERSION
"""First byte of every frame: ``frame = FRAME_VERSION ++ header ++ brotli(body)``."""

DEFAULT_CHAIN_ID: Final = 7001
"""The L2 chain id implied by every transaction of a batch (never written to the batch)."""

TX_TYPE_LEGACY: Final = 0x00
"""Type column code of an untyped (legacy, EIP-155 or pre-EIP-155) transaction."""

TX_TYPE_FEE_MARKET: Final = 0x02
"""EIP-2718 type byte and type column code of an EIP-1559 fee-market transaction."""

TX_TYPE_DEPOSIT: Final = 0x7E
"""EIP-2718 type byte of a deposit system transaction: derived from L1 events, never batched."""

BROTLI_QUALITY: Final = 11
"""Brotli quality used by the encoder (the densest setting; decoding speed does not depend on it)."""

BROTLI_WINDOW_BITS: Final = 24
"""log2 of the Brotli window: 16 MiB, the largest window of the standard Brotli format."""

MAX_BODY_BYTES: Final = 16 * 1024 * 1024
"""Largest decompressed body a decoder accepts (bounds the memory a hostile frame can claim)."""

MAX_UINT64: Final = 2**64 - 1
"""Largest nonce and gas limit (EIP-2681 bounds the nonce; the L2 bounds gas to 64 bits)."""

MAX_UINT256: Final = 2**256 - 1
"""Largest value, fee, r or s a transaction can carry."""

BLOB_FIELD_ELEMENTS: Final = 4096
"""Field elements in one EIP-4844 blob."""

BLOB_BYTES_PER_ELEMENT: Final = 32
"""Bytes per blob field element (each must be below the BLS12-381 scalar modulus)."""

BLOB_DATA_BYTES_PER_ELEMENT: Final = 31
"""Payload bytes per field element: the high byte is always 0, so every element is below the modulus."""

BLOB_BYTES: Final = BLOB_FIELD_ELEMENTS * BLOB_BYTES_PER_ELEMENT
"""Size of one blob: 131,072 bytes."""

BLOB_DATA_BYTES: Final = BLOB_FIELD_ELEMENTS * BLOB_DATA_BYTES_PER_ELEMENT
"""Payload capacity of one blob: 126,976 bytes."""

BLOB_LENGTH_PREFIX_BYTES: Final = 4
"""The frame length is written big-endian in the first 4 payload bytes of the first blob."""

MAX_BLOBS_PER_BATCH: Final = 6
"""Default cap on blobs per batch (the Cancun/Deneb per-block maximum)."""

MAX_CALLDATA_FRAME_BYTES: Final = 120_000
"""Default cap on a calldata frame: leaves room under the 128 KiB transaction size of L1 pools."""

DA_CALLDATA: Final = "calldata"
"""Name of the calldata data-availability mode."""

DA_BLOB: Final = "blob"
"""Name of the EIP-4844 blob data-availability mode."""

TX_BASE_GAS: Final = 21_000
"""Intrinsic gas of any L1 transaction."""

CALLDATA_ZERO_BYTE_GAS: Final = 4
"""L1 gas per zero calldata byte (EIP-2028)."""

CALLDATA_NONZERO_BYTE_GAS: Final = 16
"""L1 gas per non-zero calldata byte (EIP-2028)."""

FLOOR_TOKEN_GAS: Final = 10
"""EIP-7623 floor: gas per calldata token (a zero byte is 1 token, a non-zero byte 4 tokens)."""

GAS_PER_BLOB: Final = 131_072
"""Blob gas consumed by one blob (EIP-4844: 2**17)."""
