"""The committed vectors (tests/vectors/batch_*.json) still describe this code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import brotli
import pytest
from eth_hash.auto import keccak

from rollup.batch import (
    Batch,
    BatchBlock,
    batch_hash,
    blob_batch_cost,
    calldata_batch_cost,
    choose_da,
    decode_frame,
    encode_frame,
    from_blobs,
    parse_append_batch_calldata,
    to_blobs,
)
from rollup.batch.body import decode_body, encode_body

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


def _load(name: str) -> dict[str, Any]:
    return json.loads((VECTORS / f"{name}.json").read_text())


def _b(x: str) -> bytes:
    return bytes.fromhex(x[2:])


def _batch(case: dict[str, Any]) -> Batch:
    blocks = tuple(
        BatchBlock(b["number"], b["timestamp"], b["l1_origin_number"], _b(b["l1_origin_hash"]),
                   b["deposit_count"], tuple(_b(t) for t in b["transactions"]))
        for b in case["blocks"]
    )
    return Batch(_b(case["parent_hash"]), blocks)


CODEC = _load("batch_codec")


@pytest.mark.parametrize("case", CODEC["cases"], ids=lambda c: c["name"])
def test_codec_vectors(case: dict[str, Any]) -> None:
    batch = _batch(case)
    chain = case["chain_id"]
    assert encode_body(batch, chain) == _b(case["body"])
    assert decode_body(_b(case["body"]), batch.parent_hash, batch.first_block, len(batch.blocks), chain) == batch
    assert decode_frame(_b(case["frame"])) == batch
    hashes = [keccak(t) for b in batch.blocks for t in b.transactions]
    assert hashes == [_b(h) for h in case["transaction_hashes"]]
    if brotli.version == CODEC["brotli_version"]:
        assert encode_frame(batch) == _b(case["frame"])


def test_hash_vectors() -> None:
    data = _load("batch_hash")
    for c in data["single"] + data["chain"]:
        got = batch_hash(_b(c["prevHash"]), c["index"], c["firstL2Block"], c["lastL2Block"],
                         _b(c["dataHash"]), c["kind"])
        if "batchHash" in c:
            assert got == _b(c["batchHash"])
    prev = bytes(32)
    for c in data["chain"]:
        p, first, last, frame = parse_append_batch_calldata(_b(c["appendBatchCalldata"]))
        assert (p, first, last) == (prev, c["firstL2Block"], c["lastL2Block"])
        assert keccak(frame) == _b(c["dataHash"])
        decoded = decode_frame(frame)
        assert (decoded.parent_hash, decoded.first_block, decoded.last_block) == (prev, first, last)
        prev = _b(c["batchHash"])


def test_blob_vectors() -> None:
    for c in _load("batch_blobs")["cases"]:
        n = c["frame_length"]
        frame = _b(c["frame"]) if c["frame"] is not None else bytes((i * 13 + 5) % 251 for i in range(n))
        assert keccak(frame) == _b(c["frame_keccak"])
        blobs = to_blobs(frame)
        assert [keccak(b) for b in blobs] == [_b(h) for h in c["blob_keccaks"]]
        assert [b[:32] for b in blobs] == [_b(h) for h in c["first_elements"]]
        assert from_blobs(blobs) == frame


def test_cost_vectors() -> None:
    for c in _load("batch_cost")["cases"]:
        n, base, blob_base = c["frame_length"], c["base_fee"], c["blob_base_fee"]
        if c["calldata_gas"] is not None:
            call = calldata_batch_cost(b"\xff" * n, base)
            assert (call.gas, call.wei) == (c["calldata_gas"], c["calldata_wei"])
        blob = blob_batch_cost(n, base, blob_base)
        assert (blob.gas, blob.blob_gas, blob.wei) == (c["blob_call_gas"], c["blob_gas"], c["blob_wei"])
        assert choose_da(n, base, blob_base) == c["choice"]
