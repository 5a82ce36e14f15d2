"""Splitting blocks into size-bounded batches and chaining their hashes."""

from __future__ import annotations

import pytest

from rollup.batch import (
    GENESIS_PARENT_HASH,
    KIND_BLOB,
    Batch,
    BlockTooLarge,
    batch_hash,
    blob_data_hash,
    calldata_data_hash,
    decode_frame,
    encode_batches,
    encode_frame,
    split_blocks,
)
from rollup.batch.workload import WorkloadConfig, generate_transactions, group_blocks


@pytest.fixture(scope="module")
def blocks() -> list:
    work = generate_transactions(WorkloadConfig(transactions=900, senders=40, seed=3))
    return group_blocks(work.raw, 60)


def test_split_respects_limit_and_keeps_blocks_whole(blocks: list) -> None:
    limit = 12_000
    ranges = split_blocks(blocks, limit)
    assert [b for r in ranges for b in r] == list(blocks)
    assert len(ranges) > 2
    for r in ranges:
        assert len(encode_frame(Batch(GENESIS_PARENT_HASH, r))) <= limit
    # greedy: the next block would not have fitted (within the probe's 2% pessimism)
    for r, nxt in zip(ranges, ranges[1:]):
        grown = encode_frame(Batch(GENESIS_PARENT_HASH, r + nxt[:1]))
        assert len(grown) > limit - limit // 50


def test_encode_batches_chains_hashes_like_the_contract(blocks: list) -> None:
    out = encode_batches(blocks, GENESIS_PARENT_HASH, 0, 15_000)
    parent = GENESIS_PARENT_HASH
    for i, e in enumerate(out):
        assert e.index == i and e.batch.parent_hash == parent
        assert e.batch_hash == batch_hash(
            parent, i, e.batch.first_block, e.batch.last_block, calldata_data_hash(e.frame), 0
        )
        assert decode_frame(e.frame) == e.batch
        parent = e.batch_hash
    assert out[0].batch.first_block == 1 and out[-1].batch.last_block == len(blocks)


def test_encode_batches_blob_kind_uses_the_given_data_hash(blocks: list) -> None:
    fake_versioned = lambda frame: blob_data_hash([b"\x01" + calldata_data_hash(frame)[1:]])  # noqa: E731
    out = encode_batches(blocks[:3], b"\x07" * 32, 9, 1_000_000, data_hash=fake_versioned, kind=KIND_BLOB)
    assert len(out) == 1
    e = out[0]
    assert e.batch_hash == batch_hash(b"\x07" * 32, 9, 1, 3, fake_versioned(e.frame), KIND_BLOB)


def test_one_block_over_the_limit(blocks: list) -> None:
    with pytest.raises(BlockTooLarge):
        encode_batches(blocks, GENESIS_PARENT_HASH, 0, 2_000)
