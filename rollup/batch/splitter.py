"""Cutting a run of sealed blocks into batches that each fit one L1 posting.

A block is never split. For each batch in turn, the splitter finds the longest prefix of the
remaining blocks whose frame fits ``max_frame_bytes``. Brotli does better on longer runs, so
sizes are measured, not estimated: trial compressions at ``PROBE_QUALITY`` (about 20 times
faster than quality 11, and about 1% larger, so a range that fits at the probe quality fits at
quality 11), exponential then binary search; then the chosen range is compressed once at full
quality and topped up one block at a time while the full-quality frame still fits. The body
does not depend on the parent hash (it sits in the clear frame header), so the compressed
payloads are final and ``encode_batches`` only prefixes each with its header and chains the
batch hashes exactly as OmniRollup.sol does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .body import encode_body
from .codec import DEFAULT_CONFIG, CodecConfig, assemble_frame
from .commitment import KIND_CALLDATA, batch_hash, calldata_data_hash
from .exceptions import BlockTooLarge
from .frame import HEADER_BYTES, compress_body
from .model import Batch, BatchBlock, check_block_sequence
from .txfields import TxFields, parse_transaction

__all__ = ["EncodedBatch", "split_blocks", "encode_batches", "PROBE_QUALITY"]

PROBE_QUALITY = 9
"""Brotli quality of the trial compressions that choose the block ranges."""

_ANY_PARENT = bytes(32)
"""Parent hash given to the body encoder while planning (the body does not contain it)."""


@dataclass(frozen=True, slots=True)
class EncodedBatch:
    """A batch, its frame, its index in the L1 chain of batches and its batch hash."""

    batch: Batch
    frame: bytes
    index: int
    batch_hash: bytes


class _Planner:
    """Measures frames of block ranges, caching every trial."""

    def __init__(self, blocks: tuple[BatchBlock, ...], config: CodecConfig) -> None:
        self.blocks = blocks
        self.config = config
        self.parsed: list[list[TxFields]] = [
            [parse_transaction(raw, config.chain_id) for raw in b.transactions] for b in blocks
        ]
        self._probe: dict[tuple[int, int], int] = {}

    def payload(self, a: int, b: int, quality: int) -> bytes:
        flat = [tx for txs in self.parsed[a:b] for tx in txs]
        body = encode_body(Batch(_ANY_PARENT, self.blocks[a:b]), self.config.chain_id, flat)
        return compress_body(body, quality)

    def probe(self, a: int, b: int) -> int:
        if (a, b) not in self._probe:
            quality = min(PROBE_QUALITY, self.config.brotli_quality)
            self._probe[(a, b)] = HEADER_BYTES + len(self.payload(a, b, quality))
        return self._probe[(a, b)]

    def plan(self, max_frame_bytes: int) -> list[tuple[int, int, bytes]]:
        """``(start, end, payload)`` per batch, payloads at full quality."""
        n = len(self.blocks)
        quality = self.config.brotli_quality
        out: list[tuple[int, int, bytes]] = []
        a = 0
        while a < n:
            b = self._longest_probe_fit(a, max_frame_bytes)
            payload = self.payload(a, b, quality)
            while HEADER_BYTES + len(payload) > max_frame_bytes:  # probe was optimistic
                if b - a == 1:
                    raise BlockTooLarge(self.blocks[a].number, HEADER_BYTES + len(payload), max_frame_bytes)
                b -= 1
                payload = self.payload(a, b, quality)
            while b < n:  # top up: the full-quality frame is usually a little smaller
                estimate = (HEADER_BYTES + len(payload)) * self.probe(a, b + 1) / self.probe(a, b)
                if estimate > max_frame_bytes:
                    break
                bigger = self.payload(a, b + 1, quality)
                if HEADER_BYTES + len(bigger) > max_frame_bytes:
                    break
                b, payload = b + 1, bigger
            out.append((a, b, payload))
            a = b
        return out

    def _longest_probe_fit(self, a: int, limit: int) -> int:
        n = len(self.blocks)
        one = self.probe(a, a + 1)
        if one > limit:
            return a + 1  # maybe full quality fits; plan() raises BlockTooLarge otherwise
        lo, hi = a + 1, n + 1  # lo fits; hi is the first known not to (or a sentinel)
        step = max(1, limit // max(one, 1) - 1)
        while lo + 1 < hi:
            j = min(lo + step, hi - 1)
            if self.probe(a, j) <= limit:
                lo, step = j, step * 2
            else:
                hi = j
                break
        while lo + 1 < hi:
            mid = (lo + hi) // 2
            if self.probe(a, mid) <= limit:
                lo = mid
            else:
                hi = mid
        return lo


def split_blocks(
    blocks: Sequence[BatchBlock], max_frame_bytes: int, config: CodecConfig = DEFAULT_CONFIG
) -> list[tuple[BatchBlock, ...]]:
    """Block ranges, in order, each of whose frames fits ``max_frame_bytes``.

    Raises ``BlockTooLarge`` if a block alone does not fit, and ``BatchEncodeError`` for
    blocks that cannot form batches at all.
    """
    blocks = tuple(blocks)
    check_block_sequence(blocks)
    return [blocks[a:b] for a, b, _ in _Planner(blocks, config).plan(max_frame_bytes)]


def encode_batches(
    blocks: Sequence[BatchBlock],
    parent_hash: bytes,
    next_index: int,
    max_frame_bytes: int,
    config: CodecConfig = DEFAULT_CONFIG,
    data_hash: Callable[[bytes], bytes] | None = None,
    kind: int = KIND_CALLDATA,
) -> list[EncodedBatch]:
    """Encode ``blocks`` as chained batches starting at L1 batch index ``next_index``.

    ``parent_hash`` is the hash of the latest posted batch (``GENESIS_PARENT_HASH`` before
    the first). Calldata (the default): the data hash is ``keccak(frame)``. Blobs: pass
    ``kind=KIND_BLOB`` and a ``data_hash`` that turns a frame into ``blob_data_hash`` of its
    blobs' versioned hashes (it needs the KZG commitments, which the batcher computes).
    """
    blocks = tuple(blocks)
    check_block_sequence(blocks)
    hasher = data_hash if data_hash is not None else calldata_data_hash
    out: list[EncodedBatch] = []
    index = next_index
    for a, b, payload in _Planner(blocks, config).plan(max_frame_bytes):
        batch = Batch(parent_hash, blocks[a:b])
        frame = assemble_frame(parent_hash, batch.first_block, batch.last_block, payload)
        h = batch_hash(parent_hash, index, batch.first_block, batch.last_block, hasher(frame), kind)
        out.append(EncodedBatch(batch, frame, index, h))
        parent_hash = h
        index += 1
    return out
