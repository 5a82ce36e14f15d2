"""Fee suggestions and ``eth_feeHistory`` from stored headers and receipt columns."""

from __future__ import annotations

from typing import Sequence

from rollup.core.config import ChainConfig
from rollup.core.fees import next_base_fee_from
from rollup.storage import Store

from .views import FeeHistory

__all__ = [
    "MAX_FEE_HISTORY_BLOCKS",
    "SUGGESTED_TIP_FLOOR",
    "TIP_SAMPLE_BLOCKS",
    "suggest_tip",
    "fee_history",
    "tip_percentiles",
]

MAX_FEE_HISTORY_BLOCKS = 1024
"""Most blocks one ``eth_feeHistory`` covers (geth's limit)."""

SUGGESTED_TIP_FLOOR = 1_000_000
"""Smallest suggested priority fee (0.001 gwei): wallets mishandle a zero tip."""

TIP_SAMPLE_BLOCKS = 5
"""Recent blocks whose median tip is the suggested priority fee."""


async def suggest_tip(store: Store, head: int) -> int:
    """Median effective tip of the last :data:`TIP_SAMPLE_BLOCKS` blocks, at least the floor."""
    tips: list[int] = []
    for block in await store.get_blocks(max(0, head - TIP_SAMPLE_BLOCKS + 1), head):
        for r in await store.get_block_receipts(block.number):
            tips.append(r.effective_gas_price - block.base_fee)
    return max(SUGGESTED_TIP_FLOOR, sorted(tips)[len(tips) // 2] if tips else 0)


async def fee_history(store: Store, config: ChainConfig, block_count: int, last: int,
                      percentiles: Sequence[float] | None) -> FeeHistory:
    """History of the ``block_count`` blocks ending at ``last`` (clamped to 1024)."""
    count = max(0, min(int(block_count), MAX_FEE_HISTORY_BLOCKS))
    if count == 0:
        return FeeHistory(last, [], [], [] if percentiles is not None else None)
    first = max(0, last - count + 1)
    blocks = await store.get_blocks(first, last)
    base_fees = [b.base_fee for b in blocks]
    if blocks:
        b = blocks[-1]
        base_fees.append(int(next_base_fee_from(b.base_fee, b.gas_used, b.gas_limit,
                                                config.min_base_fee)))
    ratios = [b.gas_used / b.gas_limit if b.gas_limit else 0.0 for b in blocks]
    rewards: list[list[int]] | None = None
    if percentiles is not None:
        rewards = []
        for b in blocks:
            receipts = await store.get_block_receipts(b.number)
            rewards.append(tip_percentiles(
                [(r.effective_gas_price - b.base_fee, r.gas_used) for r in receipts],
                percentiles, b.gas_used))
    return FeeHistory(first, base_fees, ratios, rewards)


def tip_percentiles(tips: list[tuple[int, int]], percentiles: Sequence[float],
                    gas_used: int) -> list[int]:
    """Gas-weighted tip percentiles of one block, as geth computes them (0 for empty blocks)."""
    if not tips or gas_used <= 0:
        return [0 for _ in percentiles]
    tips = sorted(tips)
    out: list[int] = []
    index, cumulative = 0, tips[0][1]
    for p in percentiles:
        threshold = gas_used * float(p) / 100
        while cumulative < threshold and index < len(tips) - 1:
            index += 1
            cumulative += tips[index][1]
        out.append(tips[index][0])
    return out
