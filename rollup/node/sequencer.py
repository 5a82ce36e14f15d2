"""The sequencer service: group-commit intake, the sealing loop and the lease.

Two asyncio tasks in one :class:`asyncio.TaskGroup`:

- **intake writer**: submissions are validated and admitted to the pool tentatively, then queued;
  the writer collects whatever is queued (after ``intake_batch_window``), writes it in ONE
  database transaction, and only then confirms the entries and resolves the submitters'
  futures. Durability strictly before acknowledgement; a failed write acknowledges nothing.
- **sealer**: every ``block_time`` (or at once when the ready gas fills a block) it picks
  transactions by effective tip (nonce order per sender), builds the block on copies of the
  trees (in a worker thread), writes the block and all its effects in ONE transaction (which also
  renews the lease), and only then advances the live state, trees and pool. When idle it seals an
  empty block every ``empty_block_interval`` seconds, expires gap-buffer transactions, and
  renews the lease.

A :class:`LeaseLost` from any write *fences* the sequencer: nothing more is written or
acknowledged, and :attr:`Sequencer.failed` is set so the process can exit.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence


from rollup.core.exceptions import BlockGasExhausted, NonceTooHigh, NonceTooLow, TransactionError
from rollup.core.builder import BlockBuilder, SealedBlock
from rollup.core.execution import validate_transaction
from rollup.core.state import Overlay
from rollup.core.transactions import decode_transaction
from rollup.storage import BlockWrite, LeaseLost, Outcome, PendingTx, Store

from .chain import Chain, block_write
from .config import NodeSettings
from .decode_pool import CHUNK_MIN, DecodePool
from .errors import NodeError, NotSequencer, Overloaded, ShuttingDown
from .mempool import REASON_GAP_EXPIRED, REASON_REPLACED, REASON_STALE_NONCE, Mempool, PoolEntry

__all__ = ["Sequencer", "SealResult", "OUTCOME_CACHE_SIZE", "REASON_INVALID_PREFIX",
           "DECODE_THREAD_MIN"]

_log = logging.getLogger(__name__)

OUTCOME_CACHE_SIZE = 100_000
"""Recent drop outcomes kept in memory (older ones are read from the store)."""

REASON_INVALID_PREFIX = "invalid at inclusion: "
"""Prefix of the reason of a transaction the block builder refused."""

DECODE_THREAD_MIN = 32
"""Batches at least this large are decoded in a worker thread (signature recovery releases the
GIL, so it overlaps with the event loop); smaller ones inline (the thread hop costs more)."""


class _Group:
    """The submitters of one batch wait on one future; per-entry failures are kept apart."""

    __slots__ = ("fut", "left", "errors")

    def __init__(self, fut: asyncio.Future[None]) -> None:
        self.fut = fut
        self.left = 0
        self.errors: dict[bytes, Exception] = {}

    def done_one(self) -> None:
        self.done(1)

    def done(self, count: int) -> None:
        """``count`` of the group's entries are settled (resolved once none is left)."""
        self.left -= count
        if self.left <= 0 and not self.fut.done():
            self.fut.set_result(None)

    def fail(self, tx_hash: bytes, error: Exception) -> None:
        self.errors[tx_hash] = error
        self.done_one()


@dataclass(slots=True)
class SealResult:
    """What one sealing round did (for tests and metrics)."""

    sealed: SealedBlock | None
    included: list[PoolEntry] = field(default_factory=list)
    dropped: list[tuple[PoolEntry, str]] = field(default_factory=list)
    unused: list[PoolEntry] = field(default_factory=list)


@dataclass(slots=True)
class _Built:
    sealed: SealedBlock
    state_tree: Any
    withdrawal_tree: Any
    included: list[PoolEntry]
    dropped: list[tuple[PoolEntry, str]]
    unused: list[PoolEntry]
    write: BlockWrite


def _build(chain: Chain, candidates: list[PoolEntry], now: float,
           extra_drops: list[Outcome], env: Any = None, deposits: Sequence[Any] = ()) -> _Built:
    """Build and seal the next block from ``candidates`` and derive its store records (runs in
    a worker thread: it reads the head state and works on tree copies only)."""
    state_tree = chain.state_tree.copy()
    withdrawal_tree = chain.withdrawal_tree.copy()
    builder = BlockBuilder(chain.state, state_tree, withdrawal_tree, env or chain.next_env(now))
    for deposit in deposits:  # L1 deposits first, in nonce order (rollup.settlement.feed)
        try:
            builder.add(deposit)
        except TransactionError:  # already applied: never credited twice
            pass
    included: list[PoolEntry] = []
    dropped: list[tuple[PoolEntry, str]] = []
    unused: list[PoolEntry] = []
    for entry in candidates:
        try:
            builder.add(entry.tx)
        except (BlockGasExhausted, NonceTooHigh):
            unused.append(entry)
        except TransactionError as exc:
            dropped.append((entry, REASON_INVALID_PREFIX + str(exc)))
        else:
            included.append(entry)
    sealed = builder.seal()
    drops = [Outcome(e.hash, reason, now) for e, reason in dropped] + extra_drops
    write = block_write(sealed, state_tree, included_pending=[e.hash for e in included],
                        dropped=drops, pre_state=chain.state)
    return _Built(sealed, state_tree, withdrawal_tree, included, dropped, unused, write)


class Sequencer:
    """Intake, pool and sealing of one lease-holding sequencer."""

    def __init__(self, settings: NodeSettings, store: Store, chain: Chain,
                 clock: Callable[[], float] = time.time, l1_feed: Any = None,
                 decoder: DecodePool | None = None) -> None:
        self.settings = settings
        self.l1_feed = l1_feed  # rollup.settlement.feed.L1Feed, or None: no L1 (origin zero)
        self.store = store
        self.chain = chain
        self.holder = settings.sequencer_id
        self.pool = Mempool(
            max_size=settings.pool_max_size, max_per_sender=settings.pool_max_per_sender,
            gap_max=settings.gap_max, gap_time=settings.gap_buffer_time,
            bump_percent=settings.replacement_bump_percent)
        self.failed = asyncio.Event()
        self.failure: BaseException | None = None
        self.blocks_sealed = 0
        self.txs_included = 0
        self._clock = clock
        self._queue: collections.deque[tuple[PoolEntry, _Group]] = collections.deque()
        self._queued = 0
        self._waiters: dict[bytes, asyncio.Future[None]] = {}
        self._intake_wake = asyncio.Event()
        self._seal_wake = asyncio.Event()
        self._outcomes: collections.OrderedDict[bytes, Outcome] = collections.OrderedDict()
        self._dropping: dict[bytes, Outcome] = {}
        self._unsaved_drops: list[Outcome] = []
        self._next_seq = 1
        self._closing = False
        self._writing = False
        self._env_key: tuple[bytes, int] | None = None
        self._env: object = None
        self._view_key: tuple[bytes, int] | None = None
        self._view: Overlay | None = None
        self._view_nonces: dict[bytes, int] = {}
        self._runner: asyncio.Task[None] | None = None
        self._last_write = time.monotonic()
        self._seal_lock = asyncio.Lock()
        self._decoder = decoder or DecodePool(
            settings.decode_processes, settings.chain_id, native=settings.decode_native)

    # -- lifecycle ------------------------------------------------------------------------

    async def restore_pending(self) -> int:
        """Re-admit the acknowledged, not yet included transactions (restart)."""
        rows = await self.store.load_pending()
        now = self._clock()
        drops: list[Outcome] = []
        for row in rows:
            self._next_seq = max(self._next_seq, row.seq + 1)
            try:
                tx = decode_transaction(row.raw, self.settings.chain_id)
            except TransactionError as exc:
                drops.append(Outcome(row.hash, f"undecodable at restart: {exc}", now))
                continue
            account_nonce = self.chain.account(tx.sender).nonce
            if tx.nonce < account_nonce:
                drops.append(Outcome(row.hash, REASON_STALE_NONCE, now))
                continue
            loser = self.pool.restore(PoolEntry(tx, row.seq, row.arrived_at), account_nonce, now)
            if loser is not None:
                drops.append(Outcome(loser.hash, REASON_REPLACED, now, tx.hash))
        if drops:
            await self.store.commit_intake(self.holder, [], drops)
            self._remember(drops)
        return len(rows) - len(drops)

    def start(self) -> None:
        """Start the intake writer and the sealer (and the decode workers, if not yet)."""
        self._decoder.start()
        self._runner = asyncio.create_task(self._run(), name="sequencer")

    async def wait_decoders(self) -> bool:
        """See :meth:`rollup.node.node.L2Node.wait_decoders`."""
        ready = await self._decoder.wait_ready()
        if not ready and self.settings.decode_processes > 0:
            _log.warning("decode workers not ready; decoding in threads until they are")
        return ready

    async def _run(self) -> None:
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self._intake_loop(), name="intake-writer")
                tg.create_task(self._seal_loop(), name="sealer")
        except Exception as group:
            errors = group.exceptions if isinstance(group, ExceptionGroup) else (group,)
            lost = [e for e in errors if isinstance(e, LeaseLost)]
            if lost:
                _log.error("sequencer fenced: %s", lost[0])
            else:
                _log.error("sequencer stopped", exc_info=errors[0])
            self._fence(lost[0] if lost else errors[0])

    def _fence(self, exc: BaseException) -> None:
        self.failure = exc
        self.failed.set()
        for entry, group in list(self._queue):
            self.pool.abandon(entry)
            self._waiters.pop(entry.hash, None)
            group.fail(entry.hash, NotSequencer(getattr(exc, "current", None)))
        self._queue.clear()
        self._queued = 0

    async def stop(self) -> None:
        """Stop accepting, flush the acknowledged intake, seal nothing more, stop the tasks."""
        self._closing = True
        self._decoder.close()
        if self._runner is None:
            return
        if not self.failed.is_set():
            self._intake_wake.set()
            while (self._queue or self._writing) and not self.failed.is_set():
                await asyncio.sleep(0.005)
        async with self._seal_lock:
            self._runner.cancel()
            try:
                await self._runner
            except asyncio.CancelledError:
                pass
        self._runner = None

    # -- intake ---------------------------------------------------------------------------

    async def submit(self, raw: bytes) -> bytes:
        """Admit ``raw``, wait until it is durable, return its hash (see ``L2Node``)."""
        (result,) = await self.submit_many([raw])
        if isinstance(result, Exception):
            raise result
        return result

    async def submit_many(self, raws: Sequence[bytes]) -> list[bytes | Exception]:
        """Admit a batch; per item its hash once durable, or the exception that refused it.

        One future serves the whole batch; large batches are decoded (signature recovery) in a
        worker thread, which the C library runs without the GIL."""
        if self.failed.is_set():
            raise NotSequencer(getattr(self.failure, "current", None))
        if self._closing:
            raise ShuttingDown()
        if self._queued >= self.settings.intake_queue_size:
            return [Overloaded(self.settings.intake_queue_size) for _ in raws]
        results: list[bytes | Exception | None] = [None] * len(raws)
        hashes: list[bytes | None] = [None] * len(raws)
        blobs = [bytes(r) for r in raws]
        first: dict[bytes, int] = {}
        todo: list[int] = []
        for i, raw in enumerate(blobs):  # a duplicate inside the batch shares the first's fate
            if first.setdefault(raw, i) == i:
                todo.append(i)
        # decoding also hashes (keccak of the raw bytes): no separate hashing pass here, so no
        # extra C calls that give the GIL away on the event loop's thread
        decoded = await self._decode([blobs[i] for i in todo])
        foreign: list[asyncio.Future[None]] = []
        group = _Group(asyncio.get_running_loop().create_future())
        now = self._clock()
        env = self._intake_env(now)
        view, account_nonces = self._intake_view(now)
        room = self.settings.intake_queue_size - self._queued
        base_fee = env.base_fee
        pool = self.pool
        known_entry, admit = pool.by_hash.get, pool.admit_entry
        queue_append, waiters, fut = self._queue.append, self._waiters, group.fut
        too_low = False
        for i, tx in zip(todo, decoded):
            if isinstance(tx, Exception):
                results[i] = tx
                continue
            tx_hash = hashes[i] = tx.hash
            known = known_entry(tx_hash)
            if known is not None:
                results[i] = tx_hash  # idempotent: pending already
                if not known.durable:
                    foreign.append(waiters[tx_hash])
                continue
            if room <= 0:
                results[i] = Overloaded(self.settings.intake_queue_size)
                continue
            try:
                validate_transaction(view, tx, base_fee, env)
                # the sender's account nonce, read once per view (validate_transaction read
                # the same account of the same view just now)
                sender = tx.sender
                account_nonce = account_nonces.get(sender)
                if account_nonce is None:
                    account_nonce = account_nonces[sender] = view.account(sender).nonce
                entry = admit(tx, self._next_seq, now, account_nonce)
            except (TransactionError, NodeError) as exc:
                results[i] = exc  # NonceTooLow: maybe already included, checked below
                too_low = too_low or isinstance(exc, NonceTooLow)
                continue
            self._next_seq += 1
            room -= 1
            group.left += 1
            queue_append((entry, group))
            waiters[tx_hash] = fut
            results[i] = tx_hash
        self._queued += group.left
        if group.left:
            self._intake_wake.set()
            await asyncio.shield(group.fut)
        else:
            group.fut.set_result(None)
        for other in foreign:
            await asyncio.shield(other)
        if too_low or group.errors:  # otherwise the loop below would change nothing
            for i, result in enumerate(results):
                tx_hash = hashes[i]
                if tx_hash is None:
                    continue
                if isinstance(result, NonceTooLow) and await self.store.get_transaction(tx_hash):
                    results[i] = tx_hash  # already included: idempotent
                elif result == tx_hash and tx_hash in group.errors:
                    results[i] = group.errors[tx_hash]
        if len(todo) < len(blobs):  # duplicates inside the batch
            for i, raw in enumerate(blobs):
                if first[raw] != i:
                    results[i] = results[first[raw]]
        return results  # type: ignore[return-value]

    async def _decode(self, raws: list[bytes]) -> list[Any]:
        chain_id = self.settings.chain_id

        def run() -> list[Any]:
            out: list[Any] = []
            for raw in raws:
                try:
                    out.append(decode_transaction(raw, chain_id))
                except TransactionError as exc:
                    out.append(exc)
            return out

        if len(raws) >= CHUNK_MIN and self._decoder.usable:
            try:
                return await self._decoder.decode(raws)
            except concurrent.futures.BrokenExecutor:
                pass  # the pool is marked broken: a thread from now on
        if len(raws) >= DECODE_THREAD_MIN:
            return await asyncio.to_thread(run)
        return run()

    def _intake_env(self, now: float):  # -> BlockEnv of the next block (cached per head)
        key = (self.chain.head.hash, int(now))
        if key != self._env_key:
            self._env = self.chain.next_env(now)
            self._env_key = key
        return self._env

    def _intake_view(self, now: float) -> tuple[Overlay, dict[bytes, int]]:
        """The read view of the head state that intake validates against, and the account
        nonces read from it so far.

        Shared by the intake batches of one head within one second, so a sender's account is
        decoded once, not once per batch. The head state changes only in :meth:`_seal` (which
        drops the view right before ``chain.advance``) and every change makes a new head, which
        is part of the key as well; the second bounds how many accounts one view holds."""
        key = (self.chain.head.hash, int(now))
        if self._view is None or key != self._view_key:
            self._view = Overlay(self.chain.state)
            self._view_nonces = {}
            self._view_key = key
        return self._view, self._view_nonces

    async def _intake_loop(self) -> None:
        settings = self.settings
        while True:
            await self._intake_wake.wait()
            self._intake_wake.clear()
            if len(self._queue) < settings.intake_batch_max and not self._closing:
                await asyncio.sleep(settings.intake_batch_window)
            while self._queue:
                count = min(len(self._queue), settings.intake_batch_max)
                batch = [self._queue.popleft() for _ in range(count)]
                self._writing = True
                try:
                    await self._write_intake(batch)
                finally:
                    self._writing = False
            if self.pool.ready_gas >= self.chain.gas_limit:
                self._seal_wake.set()

    async def _write_intake(self, batch: list[tuple[PoolEntry, _Group]]) -> None:
        now = self._clock()
        added = [PendingTx(e.seq, e.tx.hash, e.tx.raw, e.tx.sender, e.tx.nonce, e.arrived_at)
                 for e, _ in batch]
        replaced = [Outcome(e.replaces.hash, REASON_REPLACED, now, e.hash)
                    for e, _ in batch if e.replaces is not None]
        self._queued -= len(batch)
        try:
            await self.store.commit_intake(self.holder, added, replaced)
        except BaseException as exc:
            error = NotSequencer(exc.current) if isinstance(exc, LeaseLost) else exc
            if not isinstance(error, Exception):
                # cancelled: by stop() (shutting down), or because the sealer was fenced or
                # failed and the task group stopped this writer too (not sequencing any more)
                error = ShuttingDown() if self._closing else NotSequencer(
                    getattr(self.failure, "current", None))
            for entry, group in batch:
                self.pool.abandon(entry)
                self._waiters.pop(entry.hash, None)
                group.fail(entry.hash, error)
            if isinstance(exc, (LeaseLost, asyncio.CancelledError)):
                raise
            _log.exception("intake write failed; %d submissions refused", len(batch))
            return
        self._last_write = time.monotonic()
        self._remember(replaced)
        confirm, waiters = self.pool.confirm, self._waiters
        # One submit_many batch queues its entries back to back, so `batch` holds each group's
        # entries in runs: settle a group once per run, not once per entry. Its future still
        # resolves at its last entry, as with done_one() per entry (nothing awaits in between).
        run_group: _Group | None = None
        run = 0
        for entry, group in batch:
            confirm(entry, now)
            waiters.pop(entry.tx.hash, None)
            if group is not run_group:
                if run_group is not None:
                    run_group.done(run)
                run_group, run = group, 0
            run += 1
        if run_group is not None:
            run_group.done(run)

    # -- outcomes -------------------------------------------------------------------------

    def _remember(self, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            self._dropping.pop(outcome.hash, None)
            self._outcomes[outcome.hash] = outcome
            self._outcomes.move_to_end(outcome.hash)
        while len(self._outcomes) > OUTCOME_CACHE_SIZE:
            self._outcomes.popitem(last=False)

    def recent_outcome(self, tx_hash: bytes) -> Outcome | None:
        """A drop decided by this process (durable, or being written right now)."""
        return self._dropping.get(tx_hash) or self._outcomes.get(tx_hash)

    # -- sealing --------------------------------------------------------------------------

    async def _seal_loop(self) -> None:
        settings = self.settings
        loop = asyncio.get_running_loop()
        last_block = round_start = loop.time()
        while True:
            # rounds start every block_time (a long round is not followed by a full pause)
            pause = max(0.0, round_start + settings.block_time - loop.time())
            try:
                async with asyncio.timeout(pause):
                    await self._seal_wake.wait()
            except TimeoutError:
                pass
            self._seal_wake.clear()
            round_start = loop.time()
            has_work = self.pool.ready_gas > 0 or (
                self.l1_feed is not None and self.l1_feed.has_pending())
            idle_due = (settings.empty_block_interval > 0
                        and loop.time() - last_block >= settings.empty_block_interval)
            try:
                if has_work or idle_due:
                    await self.seal_once()
                    last_block = loop.time()
                    if self.pool.ready_gas >= self.chain.gas_limit:
                        self._seal_wake.set()
                else:
                    await self._housekeeping()
            except LeaseLost:
                raise
            except Exception:
                _log.exception("sealing round failed; retrying after %.3fs", settings.block_time)
                await asyncio.sleep(settings.block_time)

    async def _housekeeping(self) -> None:
        drops = self._expire_gaps()
        if drops:
            await self.store.commit_intake(self.holder, [], drops)
            self._remember(drops)
            self._unsaved_drops.clear()
        elif time.monotonic() - self._last_write >= self.settings.lease_ttl / 3:
            await self.store.renew_lease(self.holder, self.settings.lease_ttl)
            self._last_write = time.monotonic()

    def _expire_gaps(self) -> list[Outcome]:
        now = self._clock()
        for entry in self.pool.expire_gaps(now):
            outcome = Outcome(entry.hash, REASON_GAP_EXPIRED, now)
            self._dropping[entry.hash] = outcome
            self._unsaved_drops.append(outcome)
        return list(self._unsaved_drops)

    async def seal_once(self) -> SealResult:
        """Seal one block now (possibly empty) and make it durable."""
        async with self._seal_lock:
            return await self._seal()

    async def _seal(self) -> SealResult:
        chain = self.chain
        now = self._clock()
        env = chain.next_env(now)
        deposits: list[Any] = []
        if self.l1_feed is not None:  # L1 origin, L1 fee and deposits (rollup.settlement.feed)
            from rollup.settlement.feed import l1_block_env
            env, deposits = l1_block_env(self.l1_feed, chain.head, env)
        gap_drops = self._expire_gaps()
        selection = self.pool.selection(env.base_fee, lambda a: chain.account(a).nonce)
        candidates: list[PoolEntry] = []
        gas_left = chain.gas_limit
        while (entry := selection.pop()) is not None:
            candidates.append(entry)
            gas_left -= entry.tx.gas
            if gas_left < 21_000:
                break
            selection.accepted(entry)
        try:
            if len(candidates) > 64:
                built = await asyncio.to_thread(_build, chain, candidates, now, gap_drops,
                                                env, deposits)
            else:
                built = _build(chain, candidates, now, gap_drops, env, deposits)
            sealed, included, dropped, unused = (built.sealed, built.included, built.dropped,
                                                 built.unused)
            drops = list(built.write.dropped)
            for outcome in drops:
                self._dropping[outcome.hash] = outcome
            await self.store.write_block(self.holder, built.write, self.settings.lease_ttl)
        except BaseException:
            self.pool.commit_block([], [], candidates,
                                   lambda a: chain.account(a).nonce, now)
            for e in candidates:
                self._dropping.pop(e.hash, None)
            raise
        self._last_write = time.monotonic()
        self._view = None  # the head state changes: intake reads a new view (_intake_view)
        chain.advance(sealed, built.state_tree, built.withdrawal_tree)
        if self.l1_feed is not None and deposits:
            self.l1_feed.mark_included(d.source_hash for d in deposits)
        self._unsaved_drops.clear()
        stale = self.pool.commit_block(included, [e for e, _ in dropped], unused,
                                       lambda a: chain.account(a).nonce, now)
        self._remember(drops)
        if stale:
            stale_drops = [Outcome(e.hash, REASON_STALE_NONCE, now) for e in stale]
            for outcome in stale_drops:
                self._dropping[outcome.hash] = outcome
            self._unsaved_drops.extend(stale_drops)
        self.blocks_sealed += 1
        self.txs_included += len(included)
        return SealResult(sealed, included, dropped, unused)
