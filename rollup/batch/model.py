"""The batch as a value: a contiguous range of L2 blocks, chained to the previous batch.

The codec works on its own small block record (``BatchBlock``) rather than the core's sealed
block, so that it depends on nothing but raw transaction bytes: the batcher converts a sealed
block into a ``BatchBlock`` (header fields plus the raw signed user transactions, deposits
left out and only counted), and derivation converts back.
"""

from __future__ import annotations

from dataclasses import dataclass

from .constants import BATCH_VERSION, MAX_UINT64
from .exceptions import InvalidBlockSequence

__all__ = ["BatchBlock", "Batch", "check_block_sequence", "HASH_BYTES"]

HASH_BYTES = 32
"""Length of a block hash, L1 origin hash or batch hash."""


@dataclass(frozen=True, slots=True)
class BatchBlock:
    """One L2 block as a batch carries it.

    ``deposit_count`` is the number of deposit transactions the block includes (they are
    rebuilt from the L1 origin's events, not stored); ``transactions`` are the raw signed bytes
    of the block's user transactions, in block order.
    """

    number: int
    timestamp: int
    l1_origin_number: int
    l1_origin_hash: bytes
    deposit_count: int
    transactions: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class Batch:
    """A contiguous, non-empty range of L2 blocks and the hash of the batch before it."""

    parent_hash: bytes
    blocks: tuple[BatchBlock, ...]
    version: int = BATCH_VERSION

    @property
    def first_block(self) -> int:
        """Number of the first L2 block carried."""
        return self.blocks[0].number

    @property
    def last_block(self) -> int:
        """Number of the last L2 block carried."""
        return self.blocks[-1].number

    @property
    def transaction_count(self) -> int:
        """User transactions carried (deposits excluded)."""
        return sum(len(b.transactions) for b in self.blocks)


def check_block_sequence(blocks: tuple[BatchBlock, ...] | list[BatchBlock]) -> None:
    """Raise ``InvalidBlockSequence`` unless the blocks can form one batch.

    Rules: at least one block; numbers consecutive; timestamps non-decreasing; L1 origin
    numbers non-decreasing; consecutive blocks with the same L1 origin number have the same
    L1 origin hash; all hashes 32 bytes; every number a uint64.
    """
    if not blocks:
        raise InvalidBlockSequence(-1, "a batch needs at least one block")
    prev: BatchBlock | None = None
    for block in blocks:
        n = block.number
        fields = (n, block.timestamp, block.l1_origin_number, block.deposit_count)
        if min(fields) < 0 or max(fields) > MAX_UINT64:
            raise InvalidBlockSequence(n, "number, timestamp, origin or deposit count not a uint64")
        if len(block.l1_origin_hash) != HASH_BYTES:
            raise InvalidBlockSequence(n, "L1 origin hash is not 32 bytes")
        if prev is not None:
            if n != prev.number + 1:
                raise InvalidBlockSequence(n, f"follows block {prev.number}")
            if block.timestamp < prev.timestamp:
                raise InvalidBlockSequence(n, "timestamp goes backwards")
            if block.l1_origin_number < prev.l1_origin_number:
                raise InvalidBlockSequence(n, "L1 origin goes backwards")
            if (
                block.l1_origin_number == prev.l1_origin_number
                and block.l1_origin_hash != prev.l1_origin_hash
            ):
                raise InvalidBlockSequence(n, "same L1 origin number with a different hash")
        prev = block
