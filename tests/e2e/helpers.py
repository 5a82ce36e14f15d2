"""Shared steps of the end-to-end tests: waiting, fee accounting, replica checks."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable

from rollup.rpc.client import OmniClient


async def wait_for(what: str, check: Callable[[], Awaitable[Any]], timeout: float = 90.0,
                   poll: float = 0.5, stack: Any = None) -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if stack is not None and stack.service_failed():
            raise AssertionError(f"while waiting for {what}: {stack.service_failed()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(poll)


async def l2_cost(client: OmniClient, tx_hash: str | bytes) -> int:
    """What the sender paid in fees for an L2 transaction (execution fee plus L1 data fee)."""
    h = tx_hash if isinstance(tx_hash, str) else "0x" + tx_hash.hex()
    r = await client.raw("eth_getTransactionReceipt", [h])
    assert r is not None, f"no receipt for {h}"
    return int(r["gasUsed"], 16) * int(r["effectiveGasPrice"], 16) + int(r.get("l1Fee", "0x0"), 16)


async def batched_l2_block(stack: Any) -> int:
    return int(await stack.l1.rollup.functions.lastBatchedL2Block().call())
