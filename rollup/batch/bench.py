"""``omnit bench batch``: L1 bytes and gas per L2 transaction, raw vs calldata vs blobs.

Two workloads from ``workload.py``: transfers only, and the AI-task mix (transfers, postTask,
submitResult, attestResult). Each is encoded twice, with the real splitter and limits: in
1,500-transaction blocks (250 ms at full load) packed into blob batches of at most 6 blobs, and
in 500-transaction blocks packed into calldata batches of at most 120,000 bytes (a 1,500-tx
block of the mix does not fit one calldata posting; at that load blobs are the only route).

Bytes per transaction count everything the L1 carries: for calldata the whole ``appendBatch``
calldata (selector, ABI head, frame, padding); for blobs the blob space the frame occupies (the
length prefix, and 32 bytes of blob per 31 bytes of frame). Gas per transaction: calldata
gas (EIP-7623 rules) for calldata; for blobs the ``appendBlobBatch`` call gas and the blob gas
of the whole blobs posted (a partly filled last blob is paid in full).
"""

from __future__ import annotations

import time
from typing import Any

from .blobs import max_frame_for_blobs
from .calldata import append_batch_calldata
from .codec import CodecConfig, decode_frame
from .commitment import GENESIS_PARENT_HASH
from .constants import (
    BLOB_BYTES_PER_ELEMENT,
    BLOB_DATA_BYTES_PER_ELEMENT,
    BLOB_LENGTH_PREFIX_BYTES,
    MAX_BLOBS_PER_BATCH,
    MAX_CALLDATA_FRAME_BYTES,
)
from .cost import blob_batch_cost, calldata_batch_cost, choose_da
from .splitter import EncodedBatch, encode_batches
from .workload import WorkloadConfig, generate_transactions, group_blocks

__all__ = ["TARGET_TRANSFER_BYTES", "TARGET_MIX_BYTES", "bench_batch"]

TARGET_TRANSFER_BYTES = 90
"""Issue 4 target: L1 bytes per transfer after compression, framing included."""

TARGET_MIX_BYTES = 100
"""Issue 4 target: L1 bytes per transaction of the AI-task mix."""

GWEI = 10**9
"""Wei per gwei."""


def _blob_space(frame_len: int) -> int:
    elements = -(-(frame_len + BLOB_LENGTH_PREFIX_BYTES) // BLOB_DATA_BYTES_PER_ELEMENT)
    return elements * BLOB_BYTES_PER_ELEMENT


def _route(
    encoded: list[EncodedBatch], txs: int, mode: str, base_fee: int, blob_base_fee: int
) -> dict[str, Any]:
    frames = [e.frame for e in encoded]
    frame_bytes = sum(map(len, frames))
    if mode == "calldata":
        l1_bytes = sum(
            len(append_batch_calldata(GENESIS_PARENT_HASH, e.batch.first_block, e.batch.last_block, e.frame))
            for e in encoded
        )
        costs = [calldata_batch_cost(f, base_fee) for f in frames]
    else:
        l1_bytes = sum(_blob_space(len(f)) for f in frames)
        costs = [blob_batch_cost(len(f), base_fee, blob_base_fee) for f in frames]
    return {
        "batches": len(encoded),
        "blobs": sum(c.blobs for c in costs),
        "frame_bytes_per_tx": round(frame_bytes / txs, 2),
        "l1_bytes_per_tx": round(l1_bytes / txs, 2),
        "gas_per_tx": round(sum(c.gas for c in costs) / txs, 1),
        "blob_gas_per_tx": round(sum(c.blob_gas for c in costs) / txs, 1),
        "wei_per_tx": sum(c.wei for c in costs) // txs,
        "cheaper_route_per_batch": [choose_da(len(f), base_fee, blob_base_fee) for f in frames],
    }


def _measure(
    cfg: WorkloadConfig, base_fee: int, blob_base_fee: int, calldata_block_txs: int
) -> dict[str, Any]:
    t0 = time.perf_counter()
    work = generate_transactions(cfg)
    t_sign = time.perf_counter() - t0
    codec = CodecConfig(chain_id=cfg.chain_id)
    n = len(work.raw)
    raw_bytes = sum(map(len, work.raw))
    t0 = time.perf_counter()
    blob = encode_batches(
        group_blocks(work.raw, cfg.block_txs), GENESIS_PARENT_HASH, 0,
        max_frame_for_blobs(MAX_BLOBS_PER_BATCH), codec,
    )
    call = encode_batches(
        group_blocks(work.raw, calldata_block_txs), GENESIS_PARENT_HASH, 0,
        MAX_CALLDATA_FRAME_BYTES, codec,
    )
    t_encode = time.perf_counter() - t0
    t0 = time.perf_counter()
    decoded = [tx for e in blob for b in decode_frame(e.frame, codec).blocks for tx in b.transactions]
    t_decode = time.perf_counter() - t0
    if decoded != list(work.raw):
        raise AssertionError("blob batches did not round-trip")
    kinds = {k: work.kinds.count(k) for k in sorted(set(work.kinds))}
    return {
        "transactions": n,
        "kinds": kinds,
        "raw_signed_bytes_per_tx": round(raw_bytes / n, 2),
        "calldata": _route(call, n, "calldata", base_fee, blob_base_fee),
        "blob": _route(blob, n, "blob", base_fee, blob_base_fee),
        "seconds": {"sign": round(t_sign, 2), "encode": round(t_encode, 2), "decode": round(t_decode, 2)},
    }


def bench_batch(
    transactions: int = 12_000,
    senders: int = 200,
    base_fee_gwei: float = 2.0,
    blob_base_fee_gwei: float = 1.0,
    calldata_block_txs: int = 500,
    fresh_recipients: bool = True,
) -> dict[str, Any]:
    """Run the benchmark and return its figures (``ratio`` last: worst transfer bytes / 90)."""
    base_fee = int(base_fee_gwei * GWEI)
    blob_base_fee = int(blob_base_fee_gwei * GWEI)
    common = {"transactions": transactions, "senders": senders}
    transfers = WorkloadConfig(
        **common, transfer_share=1, post_task_share=0, submit_result_share=0, attest_result_share=0
    )
    mix = WorkloadConfig(**common)
    result: dict[str, Any] = {
        "prices": {"l1_base_fee_gwei": base_fee_gwei, "blob_base_fee_gwei": blob_base_fee_gwei},
        "limits": {
            "calldata_frame_bytes": MAX_CALLDATA_FRAME_BYTES,
            "blobs_per_batch": MAX_BLOBS_PER_BATCH,
            "blob_block_txs": mix.block_txs,
            "calldata_block_txs": calldata_block_txs,
        },
        "transfers": _measure(transfers, base_fee, blob_base_fee, calldata_block_txs),
        "mix": _measure(mix, base_fee, blob_base_fee, calldata_block_txs),
    }
    if fresh_recipients:
        fresh = WorkloadConfig(
            transactions=min(transactions, 3_000), senders=senders, transfer_share=1,
            post_task_share=0, submit_result_share=0, attest_result_share=0, fresh_recipient_share=1,
        )
        result["transfers_to_fresh_addresses"] = _measure(fresh, base_fee, blob_base_fee, calldata_block_txs)
    worst = {
        name: max(result[name]["calldata"]["l1_bytes_per_tx"], result[name]["blob"]["l1_bytes_per_tx"])
        for name in ("transfers", "mix")
    }
    result["targets"] = {
        "transfer_bytes": TARGET_TRANSFER_BYTES,
        "mix_bytes": TARGET_MIX_BYTES,
        "transfer_met": worst["transfers"] <= TARGET_TRANSFER_BYTES,
        "mix_met": worst["mix"] <= TARGET_MIX_BYTES,
    }
    result["ratio"] = round(worst["transfers"] / TARGET_TRANSFER_BYTES, 4)
    return result
