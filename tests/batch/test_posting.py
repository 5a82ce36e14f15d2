"""Blob packing, calldata framing, the batch hash chain and the cost model."""

from __future__ import annotations

import pytest
from eth_abi import encode as abi_encode
from eth_hash.auto import keccak

from rollup.batch import (
    InvalidBlobs,
    MalformedBatch,
    TruncatedData,
    append_batch_calldata,
    append_blob_batch_calldata,
    batch_hash,
    blob_batch_cost,
    blob_count,
    blob_data_hash,
    calldata_batch_cost,
    calldata_data_hash,
    calldata_gas,
    choose_da,
    from_blobs,
    kzg_versioned_hash,
    max_frame_for_blobs,
    parse_append_batch_calldata,
    to_blobs,
)
from rollup.batch.constants import BLOB_BYTES, BLOB_DATA_BYTES

# ------------------------------------------------------------------------------- blobs


@pytest.mark.parametrize("size", [0, 1, 30, 31, 32, BLOB_DATA_BYTES - 4, BLOB_DATA_BYTES - 3,
                                  2 * BLOB_DATA_BYTES - 4, 2 * BLOB_DATA_BYTES])
def test_blob_boundaries(size: int) -> None:
    frame = bytes((i * 7 + 1) % 256 for i in range(size))
    blobs = to_blobs(frame)
    assert len(blobs) == blob_count(size) == max(1, -(-(size + 4) // BLOB_DATA_BYTES))
    assert all(len(b) == BLOB_BYTES for b in blobs)
    assert all(b[i] == 0 for b in blobs for i in range(0, BLOB_BYTES, 32))
    assert from_blobs(blobs) == frame


def test_blob_layout_is_prefix_then_frame_31_bytes_per_element() -> None:
    blob = to_blobs(b"\xab" * 40)[0]
    assert blob[:32] == b"\x00" + (40).to_bytes(4, "big") + b"\xab" * 27
    assert blob[32:64] == b"\x00" + b"\xab" * 13 + bytes(18)


def test_max_frame_for_six_blobs() -> None:
    assert max_frame_for_blobs(6) == 6 * 126_976 - 4
    assert blob_count(max_frame_for_blobs(6)) == 6
    assert blob_count(max_frame_for_blobs(6) + 1) == 7


def test_blob_errors() -> None:
    good = to_blobs(b"hello")
    with pytest.raises(InvalidBlobs):
        from_blobs([])
    with pytest.raises(InvalidBlobs):
        from_blobs([good[0][:-1]])
    with pytest.raises(InvalidBlobs):  # high byte set
        from_blobs([b"\x01" + good[0][1:]])
    with pytest.raises(InvalidBlobs):  # extra empty blob
        from_blobs(good + [bytes(BLOB_BYTES)])
    with pytest.raises(InvalidBlobs):  # non-zero padding
        from_blobs([good[0][:-1] + b"\x01"])
    with pytest.raises(InvalidBlobs):  # length beyond the blobs
        from_blobs([b"\x00\xff\xff\xff\xff" + good[0][5:]])


# ---------------------------------------------------------------------------- calldata


def test_append_batch_calldata_is_solidity_abi() -> None:
    frame = b"\x01" + bytes(range(70))
    prev = keccak(b"prev")
    data = append_batch_calldata(prev, 5, 9, frame)
    sel = keccak(b"appendBatch(bytes32,uint256,uint256,bytes)")[:4]
    assert data == sel + abi_encode(["bytes32", "uint256", "uint256", "bytes"], [prev, 5, 9, frame])
    assert parse_append_batch_calldata(data) == (prev, 5, 9, frame)
    blob_call = append_blob_batch_calldata(prev, 5, 9)
    assert blob_call == keccak(b"appendBlobBatch(bytes32,uint256,uint256)")[:4] + abi_encode(
        ["bytes32", "uint256", "uint256"], [prev, 5, 9]
    )


@pytest.mark.parametrize("mutate", ["short", "selector", "offset", "pad", "length", "range"])
def test_append_batch_calldata_errors(mutate: str) -> None:
    data = bytearray(append_batch_calldata(bytes(32), 1, 2, b"\x01\x02\x03"))
    if mutate == "short":
        data = data[:100]
    elif mutate == "selector":
        data[0] ^= 1
    elif mutate == "offset":
        data[4 + 3 * 32 + 31] = 0x40
    elif mutate == "pad":
        data[-1] = 1
    elif mutate == "length":
        data[4 + 4 * 32 + 31] = 0x60
    else:
        data[4 + 2 * 32 + 31] = 0
    with pytest.raises((MalformedBatch, TruncatedData)):
        parse_append_batch_calldata(bytes(data))


# ------------------------------------------------------------------------- commitment


def test_batch_hash_matches_solidity_abi_encode() -> None:
    prev, dh = keccak(b"a"), keccak(b"b")
    expected = keccak(
        abi_encode(["bytes32", "uint256", "uint256", "uint256", "bytes32", "uint256"], [prev, 3, 10, 20, dh, 1])
    )
    assert batch_hash(prev, 3, 10, 20, dh, 1) == expected


def test_data_hashes() -> None:
    assert calldata_data_hash(b"frame") == keccak(b"frame")
    v = [b"\x01" + bytes(31), b"\x01" + b"\x02" * 31]
    assert blob_data_hash(v) == keccak(v[0] + v[1])
    with pytest.raises(ValueError):
        blob_data_hash([])
    vh = kzg_versioned_hash(bytes(48))
    assert vh[0] == 1 and len(vh) == 32


# ------------------------------------------------------------------------------- cost


def test_calldata_gas_rules() -> None:
    data = b"\x00" * 10 + b"\x01" * 10
    assert calldata_gas(data, eip7623=False, exec_gas=0) == 21_000 + 40 + 160
    # floor: 10 per token, tokens = 10 + 4 * 10 = 50
    assert calldata_gas(data, eip7623=True, exec_gas=0) == 21_000 + 500
    assert calldata_gas(data, eip7623=True, exec_gas=100_000) == 21_000 + 200 + 100_000


def test_blob_cost() -> None:
    cost = blob_batch_cost(200_000, base_fee=10, blob_base_fee=3)
    assert cost.blobs == 2 and cost.blob_gas == 2 * 131_072
    assert cost.wei == cost.gas * 10 + cost.blob_gas * 3


def test_choose_da() -> None:
    # cheap blobs: blobs win even for a small frame? only if the blob's fixed cost is lower
    assert choose_da(100_000, base_fee=10**9, blob_base_fee=1) == "blob"
    # expensive blobs, small frame: calldata
    assert choose_da(1_000, base_fee=10**9, blob_base_fee=10**12) == "calldata"
    # over the calldata cap: always blob
    assert choose_da(125_000, base_fee=1, blob_base_fee=10**15) == "blob"
    with pytest.raises(ValueError):
        choose_da(max_frame_for_blobs(6) + 1, 1, 1)
    small = calldata_batch_cost(b"\xff" * 1_000, 10**9)
    assert small.mode == "calldata" and small.blob_gas == 0
