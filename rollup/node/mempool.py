"""The mempool: per-sender nonce queues, fee-priority selection, replacement and the gap buffer.

Pure bookkeeping (no I/O, no asyncio); the caller passes the clock and each sender's account
nonce. Entry life cycle::

    admit() -> tentative (not durable, never selected)
            -> confirm() once the intake commit is durable  -> ready or gapped
            -> select()ed for a block: in flight (cannot be replaced)
            -> block committed: commit_block() removes it (included or dropped)

A transaction whose nonce is above the sender's next contiguous nonce waits in the *gap buffer*
for at most ``gap_time`` seconds; :meth:`expire_gaps` returns the ones whose time is up.

``ready_gas`` (the sealing trigger) is kept exact at every state change of an entry. The generic
rule is :meth:`Mempool._set`; the per-transaction paths (admit, confirm, selection, block
commit) apply the same rule inline, because the keyword-argument ``setattr`` loop was a
noticeable part of the sequencer's CPU per transaction. ``tests/node/test_mempool.py`` drives
this pool and the straightforward reference implementation with the same random operations and
checks that they agree on every result, error and entry state.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Callable, Iterator

from rollup.core.exceptions import NonceTooLow
from rollup.core.transactions import SignedTransaction

from .errors import (
    NonceGapTooLarge,
    NonceInFlight,
    Overloaded,
    PoolFull,
    ReplacementUnderpriced,
)

__all__ = [
    "PoolEntry",
    "Admission",
    "Mempool",
    "Selection",
    "REASON_REPLACED",
    "REASON_GAP_EXPIRED",
    "REASON_STALE_NONCE",
]

REASON_REPLACED = "replaced by a higher-fee transaction with the same nonce"
"""Outcome reason of a transaction displaced by a fee-bumped replacement."""

REASON_GAP_EXPIRED = "nonce gap not filled"
"""Outcome reason of a future-nonce transaction whose gap-buffer time ran out."""

REASON_STALE_NONCE = "nonce already used by an included transaction"
"""Outcome reason of a transaction left behind when its nonce was consumed by another."""


@dataclass(slots=True, eq=False)
class PoolEntry:
    """A transaction in the pool with its bookkeeping."""

    tx: SignedTransaction
    seq: int
    arrived_at: float
    durable: bool = False
    in_flight: bool = False
    gapped_since: float | None = None
    replaces: PoolEntry | None = None
    locked: bool = False

    @property
    def hash(self) -> bytes:
        return self.tx.hash


@dataclass(frozen=True, slots=True)
class Admission:
    """Result of :meth:`Mempool.admit`: the new entry and the entry it replaces, if any."""

    entry: PoolEntry
    replaced: PoolEntry | None


def _hex(address: bytes) -> str:
    return "0x" + address.hex()


class _Sender:
    """One sender's entries by nonce; ``end`` is the first nonce >= ``base`` not present
    (entries below ``end`` are ready, those above it wait in the gap buffer)."""

    __slots__ = ("nonces", "base", "end")

    def __init__(self, base: int) -> None:
        self.nonces: dict[int, PoolEntry] = {}
        self.base = base
        self.end = base

    def _advance(self) -> None:
        end, nonces = self.end, self.nonces
        while end in nonces:
            end += 1
        self.end = end

    def add(self, nonce: int, entry: PoolEntry) -> None:
        self.nonces[nonce] = entry
        if nonce == self.end:
            self._advance()

    def discard(self, nonce: int) -> None:
        del self.nonces[nonce]
        if self.base <= nonce < self.end:
            self.end = nonce

    def set_base(self, base: int) -> None:
        if base > self.base:
            self.base = base
            if self.end < base:
                self.end = base
                self._advance()


class Mempool:
    """Pending transactions of every sender."""

    def __init__(
        self,
        *,
        max_size: int,
        max_per_sender: int,
        gap_max: int,
        gap_time: float,
        bump_percent: int,
    ) -> None:
        self.max_size = max_size
        self.max_per_sender = max_per_sender
        self.gap_max = gap_max
        self.gap_time = gap_time
        self.bump_percent = bump_percent
        self.by_hash: dict[bytes, PoolEntry] = {}
        self._senders: dict[bytes, _Sender] = {}
        self._gapped: set[bytes] = set()
        self._ready_gas = 0
        self._now = 0.0

    def __len__(self) -> int:
        return len(self.by_hash)

    def get(self, tx_hash: bytes) -> PoolEntry | None:
        return self.by_hash.get(tx_hash)

    @property
    def ready_gas(self) -> int:
        """Gas limit sum of the durable, contiguous, not-in-flight entries (sealing trigger)."""
        return self._ready_gas

    def pending_nonce(self, sender: bytes, account_nonce: int) -> int:
        """The sender's next nonce counting the contiguous pool transactions."""
        s = self._senders.get(sender)
        if s is None:
            return account_nonce
        return max(s.end, account_nonce)

    def entries(self) -> Iterator[PoolEntry]:
        return iter(list(self.by_hash.values()))

    # -- ready-gas accounting ---------------------------------------------------------------
    # An entry's gas counts while it is durable, not in flight and not gapped (_counted). Every
    # state change goes through _set, or (per-transaction paths) changes the attributes
    # directly and adjusts _ready_gas by the same rule, as the comments there say.

    @staticmethod
    def _counted(entry: PoolEntry) -> bool:
        return entry.durable and not entry.in_flight and entry.gapped_since is None

    def _set(self, entry: PoolEntry, **changes: object) -> None:
        before = self._counted(entry)
        for name, value in changes.items():
            setattr(entry, name, value)
        after = self._counted(entry)
        if before != after:
            self._ready_gas += entry.tx.gas if after else -entry.tx.gas

    def _remove(self, entry: PoolEntry) -> None:
        # _set(entry, durable=False, in_flight=False), inline: afterwards it is not counted
        if entry.durable and not entry.in_flight and entry.gapped_since is None:
            self._ready_gas -= entry.tx.gas
        entry.durable = False
        entry.in_flight = False
        tx = entry.tx
        by_hash = self.by_hash
        if by_hash.get(tx.hash) is entry:
            del by_hash[tx.hash]
        address = tx.sender
        sender = self._senders.get(address)
        if sender is None:
            return
        nonces = sender.nonces
        nonce = tx.nonce
        if nonces.get(nonce) is entry:
            del nonces[nonce]  # _Sender.discard, inline
            if sender.base <= nonce < sender.end:
                old_end = sender.end
                sender.end = nonce
                self._reclassify(address, old_end)
        if not nonces:
            del self._senders[address]
            self._gapped.discard(address)

    # -- intake ---------------------------------------------------------------------------

    def admit(self, tx: SignedTransaction, seq: int, now: float, account_nonce: int) -> Admission:
        """Check ``tx`` against the pool policy and insert it tentatively (not selectable until
        :meth:`confirm`). Raises a pool error or :class:`NonceTooLow`; changes nothing then."""
        entry = self.admit_entry(tx, seq, now, account_nonce)
        return Admission(entry, entry.replaces)

    def admit_entry(self, tx: SignedTransaction, seq: int, now: float,
                    account_nonce: int) -> PoolEntry:
        """:meth:`admit` without the :class:`Admission` wrapper (the sequencer's intake): the
        replaced entry, if any, is the new entry's ``replaces``."""
        self._now = now
        address = tx.sender
        sender = self._senders.get(address)
        nonce = tx.nonce
        if sender is None:
            base = account_nonce
        else:
            base = sender.base if sender.base >= account_nonce else account_nonce
        if nonce < base:
            raise NonceTooLow(base, nonce)
        existing = None if sender is None else sender.nonces.get(nonce)
        if existing is not None:
            if existing.in_flight or existing.locked or not existing.durable:
                raise NonceInFlight(_hex(address), nonce)
            self._check_bump(existing.tx, tx)
        else:
            if len(self.by_hash) >= self.max_size:
                raise Overloaded(self.max_size)
            if sender is not None and len(sender.nonces) >= self.max_per_sender:
                raise PoolFull(_hex(address), self.max_per_sender)
            expected = base if sender is None else max(sender.end, base)
            if nonce - expected > self.gap_max:
                raise NonceGapTooLarge(_hex(address), expected, nonce, self.gap_max)
        if sender is None:
            sender = self._senders[address] = _Sender(base)
        elif base > sender.base:  # otherwise _set_base would change nothing
            self._set_base(address, sender, base, now)
        entry = PoolEntry(tx, seq, now, gapped_since=now)
        self.by_hash[tx.hash] = entry
        if existing is not None:
            existing.locked = True
            entry.replaces = existing
            return entry
        # sender.add + _reclassify, inline
        nonces = sender.nonces
        nonces[nonce] = entry
        if nonce == sender.end:
            end = nonce + 1
            while end in nonces:
                end += 1
            sender.end = end
            if end > nonce + 1:
                # it filled a gap: the entries after it that waited become ready (the new
                # entry itself is tentative, which _reclassify would skip anyway)
                self._reclassify(address, nonce + 1)
        return entry

    def _check_bump(self, old: SignedTransaction, new: SignedTransaction) -> None:
        factor = 100 + self.bump_percent
        min_tip = -(-old.max_priority_fee_per_gas * factor // 100)
        min_cap = -(-old.max_fee_per_gas * factor // 100)
        if new.max_priority_fee_per_gas < min_tip or new.max_fee_per_gas < min_cap:
            raise ReplacementUnderpriced(_hex(new.sender), new.nonce, min_tip, min_cap)

    def confirm(self, entry: PoolEntry, now: float) -> None:
        """The entry is durable: make it selectable (replacing its predecessor, if any)."""
        tx = entry.tx
        sender = self._senders[tx.sender]
        old = entry.replaces
        if old is not None:
            entry.replaces = None
            old.durable = False  # uncounted; its slot goes to the replacement directly
            if old.gapped_since is None and not old.in_flight:
                self._ready_gas -= old.tx.gas
            self.by_hash.pop(old.tx.hash, None)
            sender.nonces[tx.nonce] = entry
        # _set(entry, durable=True, gapped_since=None if ready else now), inline
        counted = entry.durable and not entry.in_flight and entry.gapped_since is None
        entry.durable = True
        if tx.nonce < sender.end:  # ready: counted from now on unless in flight
            entry.gapped_since = None
            if not counted and not entry.in_flight:
                self._ready_gas += tx.gas
        else:  # gapped: not counted
            entry.gapped_since = now
            if counted:
                self._ready_gas -= tx.gas
            self._gapped.add(tx.sender)

    def abandon(self, entry: PoolEntry) -> None:
        """The durable write failed: forget the tentative entry, unlock what it replaced."""
        if entry.replaces is not None:
            entry.replaces.locked = False
            entry.replaces = None
            if self.by_hash.get(entry.hash) is entry:
                del self.by_hash[entry.hash]
            return
        self._remove(entry)

    def restore(self, entry: PoolEntry, account_nonce: int, now: float) -> PoolEntry | None:
        """Restart: put back a durable entry without fee checks. A later entry for the same
        (sender, nonce) wins; the loser is returned (to be dropped as replaced)."""
        sender = self._senders.get(entry.tx.sender)
        if sender is None:
            sender = self._senders[entry.tx.sender] = _Sender(account_nonce)
        old = sender.nonces.get(entry.tx.nonce)
        if old is not None:
            self._remove(old)
            sender = self._senders.setdefault(entry.tx.sender, sender)
        entry.gapped_since = now
        self.by_hash[entry.hash] = entry
        old_end = sender.end
        sender.add(entry.tx.nonce, entry)
        ready = entry.tx.nonce < sender.end
        self._set(entry, durable=True, gapped_since=None if ready else now)
        if not ready:
            self._gapped.add(entry.tx.sender)
        self._reclassify(entry.tx.sender, old_end, now)
        return old

    # -- gap bookkeeping ------------------------------------------------------------------

    def _reclassify(self, address: bytes, old_end: int, now: float | None = None) -> None:
        """After the sender's ``end`` moved from ``old_end``: entries it passed become ready,
        entries it retreated below become gapped (their gap time starts ``now``)."""
        sender = self._senders.get(address)
        if sender is None or sender.end == old_end:
            return
        nonces, end = sender.nonces, sender.end
        # the _set(entry, gapped_since=...) of each entry inline: a durable entry that is not
        # in flight is counted exactly while it is not gapped
        if end > old_end:
            for nonce in range(old_end, end):
                entry = nonces.get(nonce)
                if entry is not None and entry.durable and entry.gapped_since is not None:
                    entry.gapped_since = None
                    if not entry.in_flight:
                        self._ready_gas += entry.tx.gas
        else:
            stamp = self._now if now is None else now
            for nonce in range(end + 1, old_end):
                entry = nonces.get(nonce)
                if entry is not None and entry.durable and entry.gapped_since is None:
                    entry.gapped_since = stamp
                    if not entry.in_flight:
                        self._ready_gas -= entry.tx.gas
                    self._gapped.add(address)

    def _set_base(self, address: bytes, sender: _Sender, base: int, now: float) -> None:
        old_end = sender.end
        sender.set_base(base)
        self._reclassify(address, old_end, now)

    def expire_gaps(self, now: float) -> list[PoolEntry]:
        """Remove and return the gapped entries that waited ``gap_time`` or longer."""
        expired: list[PoolEntry] = []
        for address in list(self._gapped):
            sender = self._senders.get(address)
            if sender is None:
                self._gapped.discard(address)
                continue
            self._now = now
            waiting = [e for n, e in sender.nonces.items() if n > sender.end and e.durable]
            mine = [e for e in waiting if not e.locked and not e.in_flight
                    and e.gapped_since is not None and now - e.gapped_since >= self.gap_time]
            for entry in mine:
                self._remove(entry)
            expired.extend(mine)
            if len(mine) == len(waiting):
                self._gapped.discard(address)
        return expired

    # -- sealing --------------------------------------------------------------------------

    def selection(self, base_fee: int, account_nonce: Callable[[bytes], int]) -> Selection:
        """A fee-priority walk over the ready transactions for the next block."""
        return Selection(self, base_fee, account_nonce)

    def commit_block(
        self,
        included: list[PoolEntry],
        dropped: list[PoolEntry],
        unused: list[PoolEntry],
        account_nonce: Callable[[bytes], int],
        now: float,
    ) -> list[PoolEntry]:
        """The block is durable: forget included and dropped entries, release unused in-flight
        ones, advance sender bases. Returns entries made stale (nonce below the new base),
        already removed."""
        self._now = now
        touched = {e.tx.sender for e in included} | {e.tx.sender for e in dropped}
        touched.update(e.tx.sender for e in unused)
        senders = self._senders
        for address in touched:  # bases first: consumed nonces must not pull `end` back
            sender = senders.get(address)
            if sender is not None:
                self._set_base(address, sender, account_nonce(address), now)
        remove = self._remove
        for entry in included:
            remove(entry)
        for entry in dropped:
            remove(entry)
        ready_gas = self._ready_gas
        for entry in unused:  # _set(entry, in_flight=False), inline
            if entry.in_flight:
                entry.in_flight = False
                if entry.durable and entry.gapped_since is None:
                    ready_gas += entry.tx.gas
        self._ready_gas = ready_gas
        stale: list[PoolEntry] = []
        for address in touched:
            sender = senders.get(address)
            if sender is None:
                continue
            nonces, base = sender.nonces, sender.base
            if not nonces or min(nonces) >= base:  # nothing below the base: skip the scan
                continue
            mine = [e for n, e in nonces.items()
                    if n < base and e.durable and not e.in_flight and not e.locked]
            for entry in mine:
                remove(entry)
            stale.extend(mine)
        return stale


class Selection:
    """Walks ready transactions best-tip first, each sender in nonce order.

    ``pop()`` returns the next candidate and marks it in flight; the caller then reports
    ``accepted(entry)`` (the sender's next nonce becomes a candidate) or ``rejected(entry)``
    (the sender is done for this block). Ties go to the earlier arrival.
    """

    def __init__(self, pool: Mempool, base_fee: int, account_nonce: Callable[[bytes], int]) -> None:
        self._pool = pool
        self._base_fee = base_fee
        self._heap: list[tuple[int, int, int, PoolEntry]] = []
        self._counter = 0
        self.taken: list[PoolEntry] = []
        for sender in pool._senders.values():
            self._push(sender.nonces.get(sender.base))

    def _push(self, entry: PoolEntry | None) -> None:
        if entry is None or not entry.durable or entry.locked or entry.in_flight:
            return
        if entry.gapped_since is not None:
            return
        tx = entry.tx
        if tx.max_fee_per_gas < self._base_fee:
            return  # waits for a lower base fee
        # rollup.core.fees.effective_priority_fee, inline (one call per transaction and block)
        tip = min(tx.max_priority_fee_per_gas, tx.max_fee_per_gas - self._base_fee)
        self._counter += 1
        heapq.heappush(self._heap, (-tip, entry.seq, self._counter, entry))

    def pop(self) -> PoolEntry | None:
        if not self._heap:
            return None
        entry = heapq.heappop(self._heap)[3]
        if not entry.in_flight:  # _set(entry, in_flight=True), inline: no longer counted
            if entry.durable and entry.gapped_since is None:
                self._pool._ready_gas -= entry.tx.gas
            entry.in_flight = True
        self.taken.append(entry)
        return entry

    def accepted(self, entry: PoolEntry) -> None:
        sender = self._pool._senders.get(entry.tx.sender)
        if sender is not None:
            self._push(sender.nonces.get(entry.tx.nonce + 1))

    def rejected(self, entry: PoolEntry) -> None:
        """Nothing more from this sender in this block."""
