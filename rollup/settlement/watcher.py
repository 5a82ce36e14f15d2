"""The L1 watcher: OmniPortal deposits below the confirmation depth, and the L1 origin.

One polling round (:meth:`L1Watcher.poll`):

1. ``target = L1 head - confirmations``; nothing above it is ever read, so a reorg inside the
   confirmation depth never reaches the L2.
2. Reorg check: the cursor (last scanned block, number and hash) must still be canonical. If
   not, the watcher walks back its checkpoints (hashes of the blocks it scanned) to the
   highest one still canonical, forgets the pending deposits above it, and re-reads from there.
   Deposits of a reorged-out block that the L2 already included mean the L1 reorged deeper
   than the confirmation depth: logged as an error (the operator raises ``confirmations``).
3. ``DepositInitiated`` logs from ``cursor + 1`` to ``target`` (chunked), each turned into a
   deposit system transaction with ``source_hash = deposit_source_hash(log.blockHash,
   log.logIndex)``; the target block is read before and after, so a reorg during the scan
   discards the round.
4. The target block becomes the L1 origin offered to the sequencer.

The cursor is not stored anywhere: at start (:meth:`resume`) it is the L1 origin of the L2 head
(every deposit at or below it is in the L2, the sequencer's rule), re-scanned from a few blocks
earlier with the L2 state (applied source hashes) filtering what is already credited. The L2
state is the only source of truth, and the core refuses an applied source hash anyway.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from eth_hash.auto import keccak

from rollup.core.records import deposit_key
from rollup.core.transactions import DepositTransaction, deposit_source_hash, make_deposit

from .config import SettlementSettings
from .errors import L1Error
from .feed import L1Origin
from .l1 import L1Client

__all__ = ["L1Watcher", "ObservedDeposit", "DEPOSIT_TOPIC", "start_watcher", "run_watcher",
           "applied_in"]

_log = logging.getLogger(__name__)

DEPOSIT_TOPIC = keccak(b"DepositInitiated(uint256,address,address,uint256,uint256,uint256)")
"""Topic 0 of ``OmniPortal.DepositInitiated``."""

RESUME_LOOKBACK = 64
"""L1 blocks below the L2 head's origin re-scanned at start (filtered by the L2 state)."""

CHECKPOINTS = 512
"""Scanned-block hashes kept to find the common ancestor after a reorg."""


@dataclass(frozen=True, slots=True)
class ObservedDeposit:
    """A ``DepositInitiated`` event below the confirmation depth and its L2 transaction."""

    nonce: int
    l1_block: int
    l1_block_hash: bytes
    log_index: int
    l1_timestamp: int
    tx: DepositTransaction


def applied_in(chain: Any) -> Callable[[bytes], bool]:
    """``applied(source_hash)`` over a node ``Chain``'s live state (``AppliedDeposit`` records)."""
    return lambda source_hash: chain.state.get(deposit_key(source_hash)) is not None


class L1Watcher:
    """Reads deposits and the L1 origin; implements :class:`rollup.settlement.feed.L1Feed`."""

    def __init__(self, client: L1Client, portal_address: str, confirmations: int = 2, *,
                 start_block: int = 0, chunk: int = 2000,
                 clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.portal = client.contract("OmniPortal", portal_address)
        self.confirmations = confirmations
        self.start_block = start_block
        self.chunk = chunk
        self.forced_inclusion_window: int | None = None
        self.poll_interval = 1.0
        self.reorgs = 0
        self._clock = clock
        self._applied: Callable[[bytes], bool] = lambda _h: False
        self._cursor: tuple[int, bytes | None] = (start_block - 1, None)
        self._checkpoints: OrderedDict[int, bytes] = OrderedDict()
        self._pending: dict[int, ObservedDeposit] = {}
        self._included: OrderedDict[bytes, int] = OrderedDict()  # source hash -> L1 block
        self._origin: L1Origin | None = None
        self._origin_fees: OrderedDict[tuple[int, bytes], int] = OrderedDict()
        self._task: asyncio.Task[None] | None = None
        self.seen_at: dict[bytes, float] = {}  # source hash -> when first seen (bench)

    # -- L1Feed ----------------------------------------------------------------------------

    def current_origin(self) -> L1Origin | None:
        return self._origin

    def take_deposits(self, up_to_l1_block: int) -> list[DepositTransaction]:
        return [d.tx for n, d in sorted(self._pending.items())
                if d.l1_block <= up_to_l1_block and not self._applied(d.tx.source_hash)]

    def mark_included(self, source_hashes: Iterable[bytes]) -> None:
        done = set(bytes(h) for h in source_hashes)
        for nonce, dep in list(self._pending.items()):
            if dep.tx.source_hash in done:
                del self._pending[nonce]
                self._included[dep.tx.source_hash] = dep.l1_block
        while len(self._included) > 100_000:
            self._included.popitem(last=False)

    def base_fee_of(self, number: int, block_hash: bytes) -> int | None:
        """Base fee of an L1 block this watcher offered as an origin (None if unknown)."""
        return self._origin_fees.get((number, bytes(block_hash)))

    def _set_origin(self, origin: L1Origin) -> None:
        self._origin = origin
        self._origin_fees[(origin.number, origin.hash)] = origin.base_fee
        while len(self._origin_fees) > CHECKPOINTS:
            self._origin_fees.popitem(last=False)

    def has_pending(self) -> bool:
        origin = self._origin
        return origin is not None and any(d.l1_block <= origin.number
                                          for d in self._pending.values())

    # -- state -----------------------------------------------------------------------------

    @property
    def cursor(self) -> tuple[int, bytes | None]:
        """Last scanned L1 block (number, hash)."""
        return self._cursor

    def pending(self) -> list[ObservedDeposit]:
        """Deposits seen and not yet included, in nonce order."""
        return [d for _, d in sorted(self._pending.items())]

    def origin_lag(self) -> float | None:
        """Seconds between now and the origin's timestamp (None before the first sync)."""
        return None if self._origin is None else self._clock() - self._origin.timestamp

    async def resume(self, origin_number: int = 0, origin_hash: bytes = bytes(32),
                     applied: Callable[[bytes], bool] | None = None,
                     lookback: int = RESUME_LOOKBACK) -> None:
        """Start from the L2 head's L1 origin; ``applied`` says which deposits the L2 holds."""
        if applied is not None:
            self._applied = applied
        self.forced_inclusion_window = int(await self.client.call(
            "forcedInclusionWindow", self.portal.functions.forcedInclusionWindow().call))
        start = self.start_block
        if origin_number > 0:
            block = await self.client.get_block(origin_number)
            if block is None or bytes(block["hash"]) != bytes(origin_hash):
                _log.error("the L2 head's L1 origin %d (%s) is not on the canonical L1 chain: "
                           "the L1 reorged deeper than the confirmation depth",
                           origin_number, bytes(origin_hash).hex())
                lookback *= 4
            else:
                self._set_origin(L1Origin(origin_number, bytes(block["hash"]),
                                          int(block.get("baseFeePerGas", 0)),
                                          int(block["timestamp"])))
            start = max(start, origin_number - lookback)
        self._cursor = (start - 1, None)
        self._pending.clear()
        self._checkpoints.clear()

    async def poll(self) -> int:
        """One round (module docstring); returns the number of new deposits."""
        head = await self.client.block_number()
        target = head - self.confirmations
        number, known = self._cursor
        if known is not None:
            block = await self.client.get_block(number)
            if block is None or bytes(block["hash"]) != known:
                await self._rewind()
                number, known = self._cursor
        if target <= number or target < 0:
            return 0
        top = await self.client.get_block(target)
        if top is None:
            return 0
        found: list[ObservedDeposit] = []
        first = number + 1
        while first <= target:
            last = min(target, first + self.chunk - 1)
            logs = await self.client.get_logs({
                "address": self.portal.address, "topics": ["0x" + DEPOSIT_TOPIC.hex()],
                "fromBlock": first, "toBlock": last})
            found.extend(self._decode(log) for log in logs)
            first = last + 1
        again = await self.client.get_block(target)
        if again is None or bytes(again["hash"]) != bytes(top["hash"]):
            _log.info("L1 reorg during the scan up to %d; retrying next round", target)
            return 0
        timestamps: dict[int, int] = {}
        now = self._clock()
        added = 0
        for dep in found:
            if dep.nonce in self._pending or dep.tx.source_hash in self._included:
                continue
            if self._applied(dep.tx.source_hash):
                continue
            self._pending[dep.nonce] = dep
            self.seen_at.setdefault(dep.tx.source_hash, now)
            timestamps[dep.l1_block] = dep.l1_timestamp
            added += 1
        top_hash = bytes(top["hash"])
        self._cursor = (target, top_hash)
        self._checkpoints[target] = top_hash
        while len(self._checkpoints) > CHECKPOINTS:
            self._checkpoints.popitem(last=False)
        self._set_origin(L1Origin(target, top_hash, int(top.get("baseFeePerGas", 0)),
                                  int(top["timestamp"])))
        return added

    def _decode(self, log: Any) -> ObservedDeposit:
        event = self.portal.events.DepositInitiated().process_log(log)
        args = event["args"]
        block_hash = bytes(log["blockHash"])
        source = deposit_source_hash(block_hash, int(log["logIndex"]))
        tx = make_deposit(source, bytes.fromhex(args["from"][2:]),
                          bytes.fromhex(args["l2Recipient"][2:]), int(args["amount"]))
        return ObservedDeposit(int(args["nonce"]), int(log["blockNumber"]), block_hash,
                               int(log["logIndex"]), int(args["l1Timestamp"]), tx)

    async def _rewind(self) -> None:
        """The cursor left the canonical chain: go back to the highest canonical checkpoint."""
        self.reorgs += 1
        ancestor = self.start_block - 1
        ancestor_hash: bytes | None = None
        for number in sorted(self._checkpoints, reverse=True):
            block = await self.client.get_block(number)
            if block is not None and bytes(block["hash"]) == self._checkpoints[number]:
                ancestor, ancestor_hash = number, self._checkpoints[number]
                break
        for number in [n for n in self._checkpoints if n > ancestor]:
            del self._checkpoints[number]
        for nonce, dep in list(self._pending.items()):
            if dep.l1_block > ancestor:
                del self._pending[nonce]
        lost = [h for h, blk in self._included.items() if blk > ancestor]
        if lost:
            _log.error("L1 reorg below the confirmation depth removed %d deposits the L2 already "
                       "included (L1 blocks above %d): raise `confirmations`", len(lost), ancestor)
        _log.warning("L1 reorg: watcher rewinds from %d to %d", self._cursor[0], ancestor)
        self._cursor = (ancestor, ancestor_hash)
        if self._origin is not None and self._origin.number > ancestor:
            # no origin until one on the new chain is confirmed (the sequencer keeps its
            # parent's origin meanwhile: the L2 never goes back)
            self._origin = None

    async def run(self, stop: asyncio.Event | None = None, interval: float = 1.0) -> None:
        """Poll until ``stop`` is set; L1 outages are logged and retried."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                await self.poll()
            except L1Error as exc:
                _log.warning("watcher round failed: %s", exc)
            except Exception:  # keep the service alive; the next round starts from the L1 again
                _log.exception("watcher round failed unexpectedly")
            lag = self.origin_lag()
            window = self.forced_inclusion_window
            if lag is not None and window and lag > window / 2:
                _log.error("L1 origin is %.0fs old (forced-inclusion window %ds): the L1 is "
                           "unreachable or stalled", lag, window)
            try:
                await asyncio.wait_for(stop.wait(), interval)
            except TimeoutError:
                pass

    async def attach(self, chain: Any, interval: float | None = None) -> None:
        """Resume from ``chain``'s head (L1 origin, applied deposits), sync once, and poll in
        the background (``L2Node.start`` calls this for its ``l1_feed``)."""
        head = chain.head
        await self.resume(int(head.l1_origin_number), bytes(head.l1_origin_hash),
                          applied_in(chain))
        try:
            await self.poll()
        except L1Error as exc:
            _log.warning("first L1 sync failed (will retry): %s", exc)
        self.start(self.poll_interval if interval is None else interval)

    def start(self, interval: float = 1.0) -> None:
        """Run :meth:`run` as a background task (stop it with :meth:`aclose`)."""
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self.run(self._stop, interval), name="l1-watcher")

    async def aclose(self) -> None:
        """Stop the background task started by :meth:`start`."""
        if self._task is not None:
            self._stop.set()
            await self._task
            self._task = None


async def start_watcher(settings: SettlementSettings, chain: Any = None,
                        client: L1Client | None = None) -> L1Watcher:
    """A watcher for ``settings``. With ``chain`` it is attached at once (resumed from the
    head, synced, polling in the background); without, pass it as ``L2Node.open(...,
    l1_feed=watcher)`` and the node attaches it at start."""
    client = client or L1Client(settings.l1_rpc_url, timeout=settings.rpc_timeout,
                                attempts=settings.rpc_attempts)
    watcher = L1Watcher(client, settings.portal_address, settings.confirmations,
                        start_block=settings.watcher_start_block)
    watcher.poll_interval = settings.poll_interval
    if chain is not None:
        await watcher.attach(chain)
    return watcher


async def run_watcher(settings: SettlementSettings, chain: Any, *,
                      stop: asyncio.Event | None = None, client: L1Client | None = None) -> None:
    """Run a watcher for ``chain`` until ``stop`` is set (library form of the service)."""
    watcher = await start_watcher(settings, chain, client)
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        await watcher.aclose()
