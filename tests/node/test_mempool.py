"""The mempool on its own: ordering, replacement, the gap buffer, limits, gas accounting."""

from __future__ import annotations

import heapq
import itertools
import random
from dataclasses import dataclass

import pytest

from rollup.core.exceptions import NonceTooLow
from rollup.core.fees import effective_priority_fee
from rollup.node.errors import (
    NonceGapTooLarge,
    NonceInFlight,
    Overloaded,
    PoolFull,
    ReplacementUnderpriced,
)
from rollup.node.mempool import Admission, Mempool, PoolEntry, Selection, _hex, _Sender

BASE_FEE = 100


@dataclass(frozen=True)
class FakeTx:
    sender: bytes
    nonce: int
    max_priority_fee_per_gas: int
    max_fee_per_gas: int = 10_000
    gas: int = 21_000

    @property
    def hash(self) -> bytes:
        return b"%s/%d/%d/%d" % (self.sender, self.nonce, self.max_priority_fee_per_gas,
                                 self.max_fee_per_gas)


def pool(**kw) -> Mempool:
    args = dict(max_size=1000, max_per_sender=100, gap_max=8, gap_time=30.0, bump_percent=10)
    args.update(kw)
    return Mempool(**args)


class Harness:
    def __init__(self, **kw) -> None:
        self.pool = pool(**kw)
        self.nonces: dict[bytes, int] = {}
        self.seq = 0

    def add(self, tx: FakeTx, now: float = 0.0) -> PoolEntry:
        self.seq += 1
        adm = self.pool.admit(tx, self.seq, now, self.nonces.get(tx.sender, 0))
        self.pool.confirm(adm.entry, now)
        return adm.entry

    def select(self, limit: int = 100) -> list[PoolEntry]:
        sel = self.pool.selection(BASE_FEE, lambda a: self.nonces.get(a, 0))
        out = []
        while len(out) < limit and (e := sel.pop()) is not None:
            out.append(e)
            sel.accepted(e)
        return out

    def include(self, entries: list[PoolEntry], now: float = 0.0, unused=()) -> list[PoolEntry]:
        for e in entries:
            self.nonces[e.tx.sender] = max(self.nonces.get(e.tx.sender, 0), e.tx.nonce + 1)
        return self.pool.commit_block(entries, [], list(unused),
                                      lambda a: self.nonces.get(a, 0), now)

    def check_gas(self) -> None:
        expected = sum(e.tx.gas for e in self.pool.entries()
                       if e.durable and not e.in_flight and e.gapped_since is None)
        assert self.pool.ready_gas == expected


def test_fee_priority_across_senders_nonce_order_within() -> None:
    h = Harness()
    h.add(FakeTx(b"A", 0, 5))
    h.add(FakeTx(b"A", 1, 50))
    h.add(FakeTx(b"B", 0, 10))
    h.add(FakeTx(b"C", 0, 10))
    order = [(e.tx.sender, e.tx.nonce) for e in h.select()]
    # B and C tie on tip: arrival order; A's nonce 1 pays more but waits for nonce 0
    assert order == [(b"B", 0), (b"C", 0), (b"A", 0), (b"A", 1)]
    h.check_gas()


def test_effective_tip_is_capped_by_fee_cap() -> None:
    h = Harness()
    h.add(FakeTx(b"A", 0, 1000, max_fee_per_gas=BASE_FEE + 5))  # effective tip 5
    h.add(FakeTx(b"B", 0, 6))
    h.add(FakeTx(b"C", 0, 1000, max_fee_per_gas=BASE_FEE - 1))  # below base fee: waits
    assert [e.tx.sender for e in h.select()] == [b"B", b"A"]
    assert len(h.pool) == 3


def test_replacement_needs_ten_percent_bump() -> None:
    h = Harness()
    old = h.add(FakeTx(b"A", 0, 100, 1000))
    with pytest.raises(ReplacementUnderpriced):
        h.pool.admit(FakeTx(b"A", 0, 109, 2000), 9, 0.0, 0)
    with pytest.raises(ReplacementUnderpriced):
        h.pool.admit(FakeTx(b"A", 0, 200, 1099), 9, 0.0, 0)
    adm = h.pool.admit(FakeTx(b"A", 0, 110, 1100), 9, 0.0, 0)
    assert adm.replaced is old
    # while the replacement is being written, the old one is not selectable
    assert h.select() == []
    with pytest.raises(NonceInFlight):
        h.pool.admit(FakeTx(b"A", 0, 500, 5000), 10, 0.0, 0)
    h.pool.confirm(adm.entry, 0.0)
    assert h.pool.get(old.hash) is None
    assert [e.hash for e in h.select()] == [adm.entry.hash]
    h.check_gas()


def test_abandoned_replacement_restores_the_original() -> None:
    h = Harness()
    old = h.add(FakeTx(b"A", 0, 100))
    adm = h.pool.admit(FakeTx(b"A", 0, 200, 20_000), 9, 0.0, 0)
    h.pool.abandon(adm.entry)
    assert h.pool.get(adm.entry.hash) is None
    assert [e.hash for e in h.select()] == [old.hash]


def test_in_flight_transaction_cannot_be_replaced() -> None:
    h = Harness()
    h.add(FakeTx(b"A", 0, 100))
    h.select()
    with pytest.raises(NonceInFlight):
        h.pool.admit(FakeTx(b"A", 0, 1000, 20000), 9, 0.0, 0)


def test_gap_buffer_waits_then_fills() -> None:
    h = Harness()
    later = h.add(FakeTx(b"A", 2, 100), now=0.0)
    assert later.gapped_since == 0.0 and h.select() == []
    h.add(FakeTx(b"A", 0, 100), now=1.0)
    assert [e.tx.nonce for e in h.select()] == [0]  # 2 still waits for 1
    h.check_gas()
    h.add(FakeTx(b"A", 1, 100), now=2.0)
    assert later.gapped_since is None
    assert h.pool.pending_nonce(b"A", 0) == 3


def test_gap_expiry_drops_only_expired() -> None:
    h = Harness(gap_time=10.0)
    first = h.add(FakeTx(b"A", 3, 100), now=0.0)
    second = h.add(FakeTx(b"A", 5, 100), now=5.0)
    assert h.pool.expire_gaps(9.9) == []
    assert h.pool.expire_gaps(10.0) == [first]
    assert h.pool.expire_gaps(15.0) == [second]
    assert len(h.pool) == 0
    h.check_gas()


def test_gap_beyond_max_rejected_and_nonce_too_low() -> None:
    h = Harness(gap_max=8)
    h.add(FakeTx(b"A", 8, 1))
    with pytest.raises(NonceGapTooLarge) as info:
        h.pool.admit(FakeTx(b"A", 9, 1), 2, 0.0, 0)
    assert info.value.expected == 0 and info.value.got == 9
    h.nonces[b"B"] = 5
    with pytest.raises(NonceTooLow):
        h.pool.admit(FakeTx(b"B", 4, 1), 3, 0.0, 5)


def test_limits() -> None:
    h = Harness(max_per_sender=2, max_size=3)
    h.add(FakeTx(b"A", 0, 1))
    h.add(FakeTx(b"A", 1, 1))
    with pytest.raises(PoolFull):
        h.pool.admit(FakeTx(b"A", 2, 1), 3, 0.0, 0)
    h.add(FakeTx(b"B", 0, 1))
    with pytest.raises(Overloaded):
        h.pool.admit(FakeTx(b"C", 0, 1), 4, 0.0, 0)


def test_dropped_at_inclusion_gaps_the_rest() -> None:
    h = Harness()
    entries = [h.add(FakeTx(b"A", n, 1), now=0.0) for n in range(3)]
    taken = h.select()
    assert taken == entries
    # nonce 0 included, nonce 1 invalid at inclusion, nonce 2 unused (NonceTooHigh)
    h.nonces[b"A"] = 1
    stale = h.pool.commit_block([entries[0]], [entries[1]], [entries[2]],
                                lambda a: h.nonces.get(a, 0), 7.0)
    assert stale == []
    assert entries[2].gapped_since == 7.0
    assert h.select() == []
    assert h.pool.expire_gaps(37.0) == [entries[2]]
    h.check_gas()


def test_block_commit_releases_unused_and_advances() -> None:
    h = Harness()
    entries = [h.add(FakeTx(b"A", n, 1)) for n in range(4)]
    taken = h.select()
    h.include(taken[:2], unused=taken[2:])
    h.check_gas()
    assert [e.tx.nonce for e in h.select()] == [2, 3]
    assert h.pool.pending_nonce(b"A", 2) == 4
    assert len(h.pool) == 2 and entries[0].hash not in h.pool.by_hash


def test_restore_prefers_later_arrival() -> None:
    p = pool()
    a = PoolEntry(FakeTx(b"A", 0, 1), 1, 0.0)
    b = PoolEntry(FakeTx(b"A", 0, 2), 2, 0.0)
    assert p.restore(a, 0, 0.0) is None
    assert p.restore(b, 0, 0.0) is a
    assert p.get(a.hash) is None and p.get(b.hash) is b
    assert p.ready_gas == 21_000


# -- the fast paths against the reference implementation ---------------------------------------
#
# The pool's per-transaction paths update entries and ready_gas inline instead of through the
# generic Mempool._set. RefMempool / RefSelection below are the straightforward implementation
# they replaced (every state change through _set, one _remove and _reclassify per entry, a full
# stale scan); a random walk of admissions, confirmations, abandons, sealing rounds with
# included / dropped / unused entries, failed block writes, gap expiry and restores must give
# identical results, errors and entry states in both.


# the per-sender nonce index is unchanged and shared by both pools
RefSender = _Sender


class RefMempool(Mempool):
    """The reference pool: the changed paths as they were (every state change through
    ``_set``); everything else is inherited unchanged."""

    def _remove(self, entry: PoolEntry) -> None:
        self._set(entry, durable=False, in_flight=False)
        address = entry.tx.sender
        if self.by_hash.get(entry.hash) is entry:
            del self.by_hash[entry.hash]
        sender = self._senders.get(address)
        if sender is None:
            return
        if sender.nonces.get(entry.tx.nonce) is entry:
            old_end = sender.end
            sender.discard(entry.tx.nonce)
            self._reclassify(address, old_end)
        if not sender.nonces:
            del self._senders[address]
            self._gapped.discard(address)

    def admit(self, tx, seq: int, now: float, account_nonce: int) -> Admission:
        self._now = now
        sender = self._senders.get(tx.sender)
        base = account_nonce if sender is None else max(sender.base, account_nonce)
        nonce = tx.nonce
        if nonce < base:
            raise NonceTooLow(base, nonce)
        existing = None if sender is None else sender.nonces.get(nonce)
        if existing is not None:
            if existing.in_flight or existing.locked or not existing.durable:
                raise NonceInFlight(_hex(tx.sender), nonce)
            self._check_bump(existing.tx, tx)
        else:
            if len(self.by_hash) >= self.max_size:
                raise Overloaded(self.max_size)
            if sender is not None and len(sender.nonces) >= self.max_per_sender:
                raise PoolFull(_hex(tx.sender), self.max_per_sender)
            expected = base if sender is None else max(sender.end, base)
            if nonce - expected > self.gap_max:
                raise NonceGapTooLarge(_hex(tx.sender), expected, nonce, self.gap_max)
        if sender is None:
            sender = self._senders[tx.sender] = RefSender(base)
        self._set_base(tx.sender, sender, base, now)
        entry = PoolEntry(tx, seq, now, gapped_since=now)
        self.by_hash[tx.hash] = entry
        if existing is not None:
            existing.locked = True
            entry.replaces = existing
        else:
            old_end = sender.end
            sender.add(nonce, entry)
            self._reclassify(tx.sender, old_end)
        return Admission(entry, existing)

    def confirm(self, entry: PoolEntry, now: float) -> None:
        sender = self._senders[entry.tx.sender]
        old = entry.replaces
        if old is not None:
            entry.replaces = None
            old.durable = False
            if old.gapped_since is None and not old.in_flight:
                self._ready_gas -= old.tx.gas
            self.by_hash.pop(old.hash, None)
            sender.nonces[entry.tx.nonce] = entry
        ready = entry.tx.nonce < sender.end
        self._set(entry, durable=True, gapped_since=None if ready else now)
        if not ready:
            self._gapped.add(entry.tx.sender)

    def _reclassify(self, address: bytes, old_end: int, now: float | None = None) -> None:
        sender = self._senders.get(address)
        if sender is None or sender.end == old_end:
            return
        nonces, end = sender.nonces, sender.end
        if end > old_end:
            for nonce in range(old_end, end):
                entry = nonces.get(nonce)
                if entry is not None and entry.durable and entry.gapped_since is not None:
                    self._set(entry, gapped_since=None)
        else:
            stamp = self._now if now is None else now
            for nonce in range(end + 1, old_end):
                entry = nonces.get(nonce)
                if entry is not None and entry.durable and entry.gapped_since is None:
                    self._set(entry, gapped_since=stamp)
                    self._gapped.add(address)

    def selection(self, base_fee: int, account_nonce) -> RefSelection:
        return RefSelection(self, base_fee, account_nonce)

    def commit_block(self, included, dropped, unused, account_nonce, now) -> list[PoolEntry]:
        self._now = now
        touched = {e.tx.sender for e in included} | {e.tx.sender for e in dropped}
        touched.update(e.tx.sender for e in unused)
        for address in touched:
            sender = self._senders.get(address)
            if sender is not None:
                self._set_base(address, sender, account_nonce(address), now)
        for entry in included + dropped:
            self._remove(entry)
        for entry in unused:
            self._set(entry, in_flight=False)
        stale: list[PoolEntry] = []
        for address in touched:
            sender = self._senders.get(address)
            if sender is None:
                continue
            mine = [e for n, e in sender.nonces.items()
                    if n < sender.base and e.durable and not e.in_flight and not e.locked]
            for entry in mine:
                self._remove(entry)
            stale.extend(mine)
        return stale


class RefSelection(Selection):
    """The reference walk: ``pop`` marks the entry in flight through ``_set``."""

    def pop(self) -> PoolEntry | None:
        if not self._heap:
            return None
        entry = heapq.heappop(self._heap)[3]
        self._pool._set(entry, in_flight=True)
        self.taken.append(entry)
        return entry


@dataclass(frozen=True)
class UniqueTx(FakeTx):
    uid: int = 0

    @property
    def hash(self) -> bytes:
        return b"tx%d" % self.uid


def _entry_state(e: PoolEntry) -> tuple:
    return (e.tx.hash, e.seq, e.arrived_at, e.durable, e.in_flight, e.gapped_since, e.locked,
            None if e.replaces is None else e.replaces.tx.hash)


def _pool_state(p) -> tuple:
    senders = {a: (s.base, s.end, {n: _entry_state(e) for n, e in s.nonces.items()})
               for a, s in p._senders.items()}
    return ({h: _entry_state(e) for h, e in p.by_hash.items()}, senders, sorted(p._gapped),
            p.ready_gas, p._now)


def _outcome(call):
    try:
        return "ok", call()
    except Exception as exc:  # compared by type and message
        return "error", type(exc).__name__, str(exc)


def _hashes(entries) -> list[bytes]:
    return [e.tx.hash for e in entries]


def _random_walk(seed: int, steps: int) -> None:
    rng = random.Random(seed)
    args = dict(max_size=rng.choice([12, 40, 1000]), max_per_sender=rng.choice([3, 6, 100]),
                gap_max=rng.choice([1, 3, 8]), gap_time=rng.choice([1.0, 5.0]), bump_percent=10)
    fast, ref = Mempool(**args), RefMempool(**args)
    senders = [b"S%d" % i for i in range(rng.choice([1, 3, 6]))]
    chain: dict[bytes, int] = {s: 0 for s in senders}
    pairs: dict[bytes, tuple[PoolEntry, PoolEntry]] = {}  # every entry ever made, by tx hash
    tentative: list[bytes] = []
    now, seq = 0.0, 0
    restores = rng.choice([0, 0, 5, 15])
    uids = itertools.count()

    def make_tx(sender: bytes) -> UniqueTx:
        nonce = max(0, fast.pending_nonce(sender, chain[sender]) + rng.randint(-3, 4))
        tip = rng.choice([1, 5, 10, 11, 50, 200])
        cap = rng.choice([BASE_FEE - 1, BASE_FEE + 3, 10_000, 11_000, 20_000])
        return UniqueTx(sender, nonce, tip, cap, rng.choice([21_000, 30_000, 55_555]),
                        uid=next(uids))

    for step in range(steps):
        op = rng.random()
        now += rng.choice([0.0, 0.0, 0.3, 1.0, 2.5])
        if step < restores:  # a restart (all nonces 0): the acknowledged entries come back
            sender = rng.choice(senders)
            tx = make_tx(sender)
            seq += 1
            fe, re_ = PoolEntry(tx, seq, now), PoolEntry(tx, seq, now)
            pairs[tx.hash] = (fe, re_)
            lf = fast.restore(fe, chain[sender], now)
            lr = ref.restore(re_, chain[sender], now)
            assert (lf and lf.tx.hash) == (lr and lr.tx.hash)
        elif op < 0.5:  # admission
            sender = rng.choice(senders)
            tx = make_tx(sender)
            seq += 1
            a = _outcome(lambda: fast.admit(tx, seq, now, chain[sender]))
            b = _outcome(lambda: ref.admit(tx, seq, now, chain[sender]))
            if a[0] == "ok":
                assert b[0] == "ok"
                fa, ra = a[1], b[1]
                assert _hashes([fa.entry]) == _hashes([ra.entry])
                assert (fa.replaced is None) == (ra.replaced is None)
                if fa.replaced is not None:
                    assert fa.replaced is pairs[fa.replaced.tx.hash][0]
                    assert ra.replaced is pairs[ra.replaced.tx.hash][1]
                pairs[tx.hash] = (fa.entry, ra.entry)
                tentative.append(tx.hash)
            else:
                assert a == b
        elif op < 0.7 and tentative:  # the intake write: confirm (or abandon) a few
            for _ in range(rng.randint(1, len(tentative))):
                h = tentative.pop(rng.randrange(len(tentative)) if rng.random() < 0.2 else 0)
                fe, re_ = pairs[h]
                if rng.random() < 0.9:
                    fast.confirm(fe, now)
                    ref.confirm(re_, now)
                else:
                    fast.abandon(fe)
                    ref.abandon(re_)
        elif op < 0.9:  # a sealing round
            base_fee = rng.choice([BASE_FEE, BASE_FEE + 5])
            sel_f = fast.selection(base_fee, chain.__getitem__)
            sel_r = ref.selection(base_fee, chain.__getitem__)
            limit = rng.randint(0, 12)
            taken_f: list[PoolEntry] = []
            taken_r: list[PoolEntry] = []
            while len(taken_f) < limit:
                ef, er = sel_f.pop(), sel_r.pop()
                assert (ef is None) == (er is None)
                if ef is None:
                    break
                assert ef.tx.hash == er.tx.hash
                assert fast.ready_gas == ref.ready_gas
                taken_f.append(ef)
                taken_r.append(er)
                if rng.random() < 0.9:
                    sel_f.accepted(ef)
                    sel_r.accepted(er)
                else:
                    sel_f.rejected(ef)
                    sel_r.rejected(er)
            assert _hashes(sel_f.taken) == _hashes(sel_r.taken) == _hashes(taken_f)
            if rng.random() < 0.1:  # the block write failed: everything back
                stale_f = fast.commit_block([], [], taken_f, chain.__getitem__, now)
                stale_r = ref.commit_block([], [], taken_r, chain.__getitem__, now)
            else:  # the builder: in order, exact nonces; some invalid, some left unused
                inc, drop, unused = [], [], []
                for i, e in enumerate(taken_f):
                    expected = chain[e.tx.sender]
                    r = rng.random()
                    if e.tx.nonce < expected or (e.tx.nonce == expected and r < 0.08):
                        drop.append(i)
                    elif e.tx.nonce > expected or r < 0.15:
                        unused.append(i)
                    else:
                        inc.append(i)
                        chain[e.tx.sender] = expected + 1
                if rng.random() < 0.1:  # a nonce used outside the pool (stale entries)
                    chain[rng.choice(senders)] += rng.randint(1, 2)
                stale_f = fast.commit_block(*([taken_f[i] for i in idx]
                                              for idx in (inc, drop, unused)),
                                            chain.__getitem__, now)
                stale_r = ref.commit_block(*([taken_r[i] for i in idx]
                                             for idx in (inc, drop, unused)),
                                           chain.__getitem__, now)
            assert _hashes(stale_f) == _hashes(stale_r)
        else:
            assert _hashes(fast.expire_gaps(now)) == _hashes(ref.expire_gaps(now))
        assert _pool_state(fast) == _pool_state(ref)
        assert [_entry_state(f) for f, _ in pairs.values()] == \
            [_entry_state(r) for _, r in pairs.values()]
        counted = sum(e.tx.gas for e in fast.entries()
                      if e.durable and not e.in_flight and e.gapped_since is None)
        assert fast.ready_gas == counted


@pytest.mark.parametrize("seed", range(40))
def test_fast_paths_match_the_reference_implementation(seed: int) -> None:
    _random_walk(seed, 400)
