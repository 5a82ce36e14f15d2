"""The frame: clear header, bounded Brotli, typed errors."""

from __future__ import annotations

import brotli
import pytest
from eth_hash.auto import keccak

from rollup.batch import (
    HEADER_BYTES,
    Batch,
    BatchBlock,
    CodecConfig,
    DecompressionFailed,
    HeaderMismatch,
    MalformedBatch,
    TruncatedData,
    UnknownVersion,
    assemble_frame,
    check_frame_header,
    decode_frame,
    encode_frame,
    frame_header,
)

from .helpers import make_blocks


@pytest.fixture(scope="module")
def batch(odd_transactions: list[bytes]) -> Batch:
    return Batch(keccak(b"prev"), make_blocks([odd_transactions[:5], odd_transactions[5:]], first=77))


def test_header_is_clear_and_matches_the_contract_arguments(batch: Batch) -> None:
    frame = encode_frame(batch)
    assert frame[0] == 1
    assert frame[1:33] == keccak(b"prev")
    assert int.from_bytes(frame[33:41], "big") == 77
    assert int.from_bytes(frame[41:49], "big") == 78
    h = frame_header(frame)
    assert (h.parent_hash, h.first_block, h.last_block, h.block_count) == (keccak(b"prev"), 77, 78, 2)
    assert brotli.decompress(frame[HEADER_BYTES:])  # the rest is one plain Brotli stream


def test_header_errors(batch: Batch) -> None:
    frame = encode_frame(batch)
    with pytest.raises(TruncatedData):
        decode_frame(b"")
    with pytest.raises(UnknownVersion) as err:
        decode_frame(b"\x02" + frame[1:])
    assert err.value.version == 2
    with pytest.raises(TruncatedData):
        decode_frame(frame[:30])
    with pytest.raises(MalformedBatch):  # last < first
        decode_frame(frame[:33] + (5).to_bytes(8, "big") + (4).to_bytes(8, "big") + frame[49:])
    with pytest.raises(MalformedBatch):  # header says 3 blocks, body has 2
        decode_frame(frame[:41] + (79).to_bytes(8, "big") + frame[49:])


def test_body_is_bounded_and_complete(batch: Batch) -> None:
    frame = encode_frame(batch)
    with pytest.raises(DecompressionFailed):
        decode_frame(frame, CodecConfig(max_body_bytes=100))
    with pytest.raises(DecompressionFailed):
        decode_frame(frame[:-2])
    with pytest.raises(DecompressionFailed):
        decode_frame(frame + b"\x00")
    bomb = assemble_frame(bytes(32), 1, 1, brotli.compress(bytes(64 * 1024 * 1024), quality=1))
    assert len(bomb) < 20_000
    with pytest.raises(DecompressionFailed):
        decode_frame(bomb)


def test_trailing_body_bytes_are_rejected() -> None:
    batch = Batch(bytes(32), (BatchBlock(1, 5, 5, bytes(32), 0, ()),))
    good = encode_frame(batch)
    body = brotli.decompress(good[HEADER_BYTES:])
    with pytest.raises(MalformedBatch):
        decode_frame(good[:HEADER_BYTES] + brotli.compress(body + b"\x00"))


def test_check_frame_header_against_the_posting(batch: Batch) -> None:
    frame = encode_frame(batch)
    assert check_frame_header(frame, keccak(b"prev"), 77, 78).block_count == 2
    with pytest.raises(HeaderMismatch) as err:
        check_frame_header(frame, bytes(32), 77, 78)
    assert err.value.field == "parent hash"
    with pytest.raises(HeaderMismatch) as err:
        check_frame_header(frame, keccak(b"prev"), 77, 79)
    assert (err.value.field, err.value.expected, err.value.got) == ("last block", 79, 78)
