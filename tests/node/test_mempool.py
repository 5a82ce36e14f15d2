"""The mempool on its own: ordering, replacement, the gap buffer, limits, gas accounting."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from rollup.core.exceptions import NonceTooLow
from rollup.node.errors import (
    NonceGapTooLarge,
    NonceInFlight,
    Overloaded,
    PoolFull,
    ReplacementUnderpriced,
)
from rollup.node.mempool import Mempool, PoolEntry

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
