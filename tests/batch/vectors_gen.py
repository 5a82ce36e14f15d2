"""Writes tests/vectors/batch_*.json. Run ``python -m tests.batch.vectors_gen`` from the repo root
(or ``python tests/batch/vectors_gen.py``); ``test_vectors.py`` checks the files stay true.

Vectors:
* batch_codec.json: batches (blocks with raw signed transactions) -> normative body, frame.
* batch_hash.json:  the OmniRollup.sol batch hash chain, with appendBatch calldata per batch.
* batch_blobs.json: frames -> blob count, keccak of each blob, the first element of each blob.
* batch_cost.json:  cost model and calldata-or-blob choice at given prices.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import brotli
from eth_hash.auto import keccak

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rollup.batch import (  # noqa: E402
    GENESIS_PARENT_HASH,
    Batch,
    BatchBlock,
    append_batch_calldata,
    blob_batch_cost,
    calldata_batch_cost,
    calldata_data_hash,
    choose_da,
    encode_batches,
    encode_frame,
    to_blobs,
)
from rollup.batch.body import encode_body  # noqa: E402
from rollup.batch.workload import WorkloadConfig, generate_transactions, group_blocks  # noqa: E402

VECTORS = ROOT / "tests" / "vectors"
CHAIN_ID = 7001


def _h(b: bytes) -> str:
    return "0x" + b.hex()


def block_json(b: BatchBlock) -> dict[str, Any]:
    return {
        "number": b.number,
        "timestamp": b.timestamp,
        "l1_origin_number": b.l1_origin_number,
        "l1_origin_hash": _h(b.l1_origin_hash),
        "deposit_count": b.deposit_count,
        "transactions": [_h(t) for t in b.transactions],
    }


def odd_transactions() -> list[bytes]:
    from tests.batch.helpers import ACCOUNTS, REGISTRY, sign  # the same shapes as the fixture

    to = ACCOUNTS[1].address
    base = {"chainId": CHAIN_ID, "gas": 21_000}
    t2 = {**base, "type": 2, "maxPriorityFeePerGas": 10**6, "maxFeePerGas": 2 * 10**9 + 10**6}
    sel = keccak(b"submitResult(uint256,bytes32)")[:4]
    return [
        sign({**t2, "nonce": 0, "to": to, "value": 15 * 10**17}),
        sign({**t2, "nonce": 1, "to": to, "value": 0}),
        sign({**t2, "nonce": 2, "to": REGISTRY, "value": 0, "gas": 90_000,
              "data": sel + (123456).to_bytes(32, "big") + keccak(b"out")}),
        sign({**t2, "nonce": 3, "value": 0, "gas": 200_000, "data": bytes.fromhex("6080604052")}),
        sign({**t2, "nonce": 4, "to": to, "value": 2**256 - 1, "data": b"\x01\x02\x03"}),
        sign({**t2, "nonce": 5, "to": to, "value": 1, "maxPriorityFeePerGas": 0,
              "data": b"abcd" + b"xy" + bytes(30),
              "accessList": [{"address": to, "storageKeys": ["0x" + "00" * 31 + "07"]}]}),
        sign({**base, "nonce": 6, "gasPrice": 10**9, "to": to, "value": 123}),
        sign({"nonce": 7, "gasPrice": 3 * 10**9, "gas": 21_000, "to": to, "value": 5}),
    ]


def codec_vectors() -> dict[str, Any]:
    odd = odd_transactions()
    work = generate_transactions(WorkloadConfig(transactions=40, senders=10, seed=11))
    cases = [
        ("one empty block", Batch(GENESIS_PARENT_HASH, (BatchBlock(1, 1_700_000_000, 100, keccak(b"l1"), 0, ()),))),
        ("every transaction shape", Batch(keccak(b"parent"), (
            BatchBlock(7, 1_700_000_000, 100, keccak(b"l1-100"), 2, tuple(odd[:3])),
            BatchBlock(8, 1_700_000_000, 100, keccak(b"l1-100"), 0, ()),
            BatchBlock(9, 1_700_000_001, 102, keccak(b"l1-102"), 1, tuple(odd[3:])),
        ))),
        ("AI-task mix, 40 transactions in 4 blocks",
         Batch(keccak(b"parent 2"), tuple(group_blocks(work.raw, 10, first_block=50)))),
    ]
    out = []
    for name, batch in cases:
        body = encode_body(batch, CHAIN_ID)
        out.append({
            "name": name,
            "chain_id": CHAIN_ID,
            "parent_hash": _h(batch.parent_hash),
            "blocks": [block_json(b) for b in batch.blocks],
            "transaction_hashes": [_h(keccak(t)) for b in batch.blocks for t in b.transactions],
            "body": _h(body),
            "frame": _h(encode_frame(batch)),
        })
    return {
        "description": "Batch format v1 (docs/spec.md §4). 'body' is normative: encoders must "
                       "produce it byte for byte. 'frame' = 0x01 ++ brotli(body, quality 11, lgwin 24) "
                       "from the Brotli version named here; other Brotli versions may compress "
                       "differently, but every decoder must decode this frame to these blocks.",
        "brotli_version": brotli.version,
        "cases": out,
    }


def hash_vectors() -> dict[str, Any]:
    work = generate_transactions(WorkloadConfig(transactions=90, senders=12, seed=5))
    blocks = group_blocks(work.raw, 15)
    chain = encode_batches(blocks, GENESIS_PARENT_HASH, 0, 4_000)
    return {
        "description": "OmniRollup.sol batch chain: batchHash = keccak256(abi.encode(prevHash, index, "
                       "firstL2Block, lastL2Block, dataHash, kind)); kind 0 calldata with dataHash = "
                       "keccak256(data), kind 1 blobs with dataHash = keccak256(concat(versionedHashes)). "
                       "Each calldata batch gives the exact appendBatch calldata.",
        "single": [
            {"prevHash": _h(bytes(32)), "index": 0, "firstL2Block": 1, "lastL2Block": 1,
             "dataHash": _h(keccak(b"")), "kind": 0},
            {"prevHash": _h(keccak(b"p")), "index": 7, "firstL2Block": 100, "lastL2Block": 164,
             "dataHash": _h(keccak(b"\x01" + bytes(31))), "kind": 1},
        ],
        "chain": [
            {
                "index": e.index,
                "prevHash": _h(e.batch.parent_hash),
                "firstL2Block": e.batch.first_block,
                "lastL2Block": e.batch.last_block,
                "dataHash": _h(calldata_data_hash(e.frame)),
                "kind": 0,
                "batchHash": _h(e.batch_hash),
                "appendBatchCalldata": _h(append_batch_calldata(
                    e.batch.parent_hash, e.batch.first_block, e.batch.last_block, e.frame)),
            }
            for e in chain
        ],
    }


def blob_vectors() -> dict[str, Any]:
    frames = [b"", b"\x01\x02\x03", bytes(range(256)) * 3, bytes((i * 13 + 5) % 251 for i in range(130_000))]
    cases = []
    for f in frames:
        blobs = to_blobs(f)
        cases.append({
            "frame_length": len(f),
            "frame_keccak": _h(keccak(f)),
            "frame": _h(f) if len(f) < 1_000 else None,
            "frame_rule": None if len(f) < 1_000 else "byte i = (13 * i + 5) mod 251",
            "blob_count": len(blobs),
            "blob_keccaks": [_h(keccak(b)) for b in blobs],
            "first_elements": [_h(b[:32]) for b in blobs],
        })
    return {"description": "Frame -> EIP-4844 blobs: u32be(len) ++ frame, 31 bytes per 32-byte element "
                           "(high byte 0), zero padding, the fewest blobs.", "cases": cases}


def cost_vectors() -> dict[str, Any]:
    cases = []
    for frame_len, base, blob_base in [(1_000, 10**9, 10**9), (50_000, 2 * 10**9, 1), (100_000, 30 * 10**9, 10**11),
                                       (119_000, 10**9, 10**13), (300_000, 10**9, 10**9)]:
        call = calldata_batch_cost(b"\xff" * frame_len, base) if frame_len <= 120_000 else None
        blob = blob_batch_cost(frame_len, base, blob_base)
        cases.append({
            "frame_length": frame_len, "base_fee": base, "blob_base_fee": blob_base,
            "calldata_gas": call.gas if call else None, "calldata_wei": call.wei if call else None,
            "blob_call_gas": blob.gas, "blob_gas": blob.blob_gas, "blob_wei": blob.wei,
            "choice": choose_da(frame_len, base, blob_base),
        })
    return {"description": "Cost model of docs/spec.md §4 section 7 (EIP-7623 floor on, execution "
                           "estimate 60,000 gas, frame counted as non-zero bytes).", "cases": cases}


def main() -> None:
    VECTORS.mkdir(parents=True, exist_ok=True)
    for name, fn in (("batch_codec", codec_vectors), ("batch_hash", hash_vectors),
                     ("batch_blobs", blob_vectors), ("batch_cost", cost_vectors)):
        (VECTORS / f"{name}.json").write_text(json.dumps(fn(), indent=1) + "\n")
        print("wrote", VECTORS / f"{name}.json")


if __name__ == "__main__":
    main()
