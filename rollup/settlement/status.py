"""Safe and finalized L2 heads from the L1, for the node's sync status.

- **safe**: the highest L2 block in a batch that is ``confirmations`` deep on the L1
  (``lastBatchedL2Block`` read at block ``head - confirmations``);
- **finalized**: the highest L2 block of a finalized output (``isOutputFinalized``; a binary
  search, since outputs finalize in index order).

:meth:`SettlementStatus.refresh` reads both; :meth:`run` refreshes every ``interval``. The node
reads ``safe`` / ``finalized`` (plain ints, no I/O) when answering ``safe``/``finalized`` tags.
"""

from __future__ import annotations

import asyncio
import logging

from .errors import L1Error
from .l1 import L1Client

__all__ = ["SettlementStatus"]

_log = logging.getLogger(__name__)


class SettlementStatus:
    """Cached safe / finalized L2 block numbers (0 until known)."""

    def __init__(self, client: L1Client, rollup_address: str, confirmations: int = 2) -> None:
        self.client = client
        self.rollup = client.contract("OmniRollup", rollup_address)
        self.confirmations = confirmations
        self.safe = 0
        self.finalized = 0

    async def refresh(self) -> tuple[int, int]:
        """Read both heads from the L1; returns ``(safe, finalized)``. They never go backwards
        here unless the L1 itself reorged deeper than the confirmation depth."""
        fns = self.rollup.functions
        head = await self.client.block_number()
        at = max(0, head - self.confirmations)
        safe = int(await self.client.call(
            "lastBatchedL2Block", lambda: fns.lastBatchedL2Block().call(block_identifier=at)))
        count = int(await self.client.call("outputCount", fns.outputCount().call))
        # outputs finalize in index order (their L1 timestamps only grow): binary search for
        # the last finalized one, O(log n) calls
        lo, hi = 0, count  # outputs [0, lo) are final, [hi, count) are not
        while lo < hi:
            mid = (lo + hi) // 2
            if await self.client.call("isOutputFinalized", fns.isOutputFinalized(mid).call):
                lo = mid + 1
            else:
                hi = mid
        finalized = 0
        if lo > 0:
            output = await self.client.call("getOutput", fns.getOutput(lo - 1).call)
            finalized = int(output[1])
        self.safe, self.finalized = safe, finalized
        return self.safe, self.finalized

    async def run(self, stop: asyncio.Event | None = None, interval: float = 2.0) -> None:
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                await self.refresh()
            except L1Error as exc:
                _log.warning("settlement status refresh failed: %s", exc)
            except Exception:  # keep the service alive; the next round starts from the L1 again
                _log.exception("settlement status refresh round failed unexpectedly")
            try:
                await asyncio.wait_for(stop.wait(), interval)
            except TimeoutError:
                pass

    def start(self, interval: float = 2.0) -> None:
        """Refresh in a background task (stop it with :meth:`aclose`)."""
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self.run(self._stop, interval), name="settlement-status")

    async def aclose(self) -> None:
        task = getattr(self, "_task", None)
        if task is not None:
            self._stop.set()
            await task
            self._task = None
