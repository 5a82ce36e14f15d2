"""Records, keys, and the journaling Overlay."""

from __future__ import annotations

from eth_hash.auto import keccak

from rollup.core.records import (
    GLOBALS_KEY,
    Account,
    AppliedDeposit,
    Globals,
    Model,
    ModelStatus,
    Stake,
    Task,
    TaskStatus,
    Unbonding,
    account_key,
    deposit_key,
    model_key,
    stake_key,
    task_key,
)
from rollup.core.state import MemoryState, Overlay, StateReader, value_hash

A = b"\x11" * 20


def test_keys():
    assert account_key(A) == keccak(b"\x01" + A)
    assert model_key(3) == keccak(b"\x02" + (3).to_bytes(32, "big"))
    assert task_key(3) == keccak(b"\x03" + (3).to_bytes(32, "big"))
    assert stake_key(A) == keccak(b"\x04" + A)
    assert deposit_key(b"\x05" * 32) == keccak(b"\x05" + b"\x05" * 32)
    assert GLOBALS_KEY == keccak(b"\x00globals")


def test_record_roundtrips():
    recs = [
        Account(3, 10**20),
        Model(A, b"\x01" * 32, "ipfs://ü", ModelStatus.ACTIVE, 2, 5, 9),
        Task(A, 1, b"\x02" * 32, 1000, 7, TaskStatus.SUBMITTED, 4, 1, b"\x22" * 20, b"\x03" * 32,
             99, 4000, 1000, 0, ((b"\x33" * 20, 1000),), ()),
        Stake(5, 6, (Unbonding(1, 7, 8), Unbonding(2, 9, 10))),
        Globals(2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12),
        AppliedDeposit(17),
    ]
    for r in recs:
        assert type(r).decode(r.encode()) == r


def test_overlay_checkpoint_revert_and_writes():
    base = MemoryState({account_key(A): Account(1, 100).encode()})
    assert isinstance(base, StateReader)
    o = Overlay(base)
    assert o.account(A) == Account(1, 100)
    o.set_account(A, Account(2, 90))
    mark = o.checkpoint()
    o.set_account(A, Account(2, 50))
    o.set_account(b"\x22" * 20, Account(0, 50))
    o.set_globals(Globals(burned=1))
    assert o.account(b"\x22" * 20).balance == 50
    o.revert(mark)
    assert o.account(A) == Account(2, 90) and o.account(b"\x22" * 20) == Account()
    assert o.get(account_key(A)) == Account(2, 90).encode()
    assert o.writes() == {account_key(A): Account(2, 90).encode()}
    assert base.get(account_key(A)) == Account(1, 100).encode()  # base untouched


def test_overlay_drops_unchanged_and_deletes():
    base = MemoryState({account_key(A): Account(1, 100).encode()})
    o = Overlay(base)
    o.set_account(A, Account(1, 100))  # same value: no write
    o.set_account(b"\x22" * 20, Account(0, 5))
    o.set_account(b"\x22" * 20, Account())  # created and emptied: no write
    assert o.writes() == {}
    o.set_account(A, Account())
    assert o.writes() == {account_key(A): None}
    assert o.get(account_key(A)) is None


def test_overlays_stack():
    base = MemoryState()
    o1 = Overlay(base)
    o1.set_account(A, Account(0, 7))
    o2 = Overlay(o1)
    assert o2.account(A).balance == 7


def test_value_hash():
    assert value_hash(None) == bytes(32)
    assert value_hash(b"abc") == keccak(b"abc")
