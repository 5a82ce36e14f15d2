"""State access: the :class:`StateReader` protocol and the journaling :class:`Overlay`.

The state is a flat map from 32-byte keys to encoded records (see :mod:`rollup.core.records`).
A block is executed on an :class:`Overlay` over the pre-state: reads go through to the base,
writes stay in the overlay (as decoded records: encoding happens once, in :meth:`Overlay.writes`),
and :meth:`Overlay.checkpoint` / :meth:`Overlay.revert` undo a failed transaction's effects.
An Overlay is itself a StateReader, so overlays stack (``eth_call`` on top of a pending block).
"""

from __future__ import annotations

from typing import Mapping, Protocol, TypeVar, runtime_checkable


from .hashing import keccak
from .exceptions import StateCorruption
from .records import (
    EMPTY_ACCOUNT,
    EMPTY_STAKE,
    GLOBALS_KEY,
    Account,
    AppliedDeposit,
    Globals,
    Model,
    Record,
    Stake,
    Task,
    account_key,
    deposit_key,
    model_key,
    stake_key,
    task_key,
)
from .types import Address, StateKey

__all__ = ["StateReader", "MemoryState", "Overlay", "value_hash", "ZERO_VALUE_HASH"]

ZERO_VALUE_HASH = bytes(32)
"""Value hash the state tree stores for a deleted (or never written) key."""

R = TypeVar("R", bound=Record)
_MISSING = object()


def value_hash(encoded: bytes | None) -> bytes:
    """``keccak(encoded)``, or 32 zero bytes for a deleted key (what the state tree stores)."""
    return ZERO_VALUE_HASH if encoded is None else keccak(encoded)


@runtime_checkable
class StateReader(Protocol):
    """Read access to a state: the encoded record under ``key``, or None if absent."""

    def get(self, key: bytes) -> bytes | None: ...


class MemoryState:
    """A dict-backed :class:`StateReader` (tests, genesis, and the node's in-memory head state)."""

    __slots__ = ("data",)

    def __init__(self, data: Mapping[bytes, bytes] | None = None) -> None:
        self.data: dict[bytes, bytes] = dict(data or {})

    def get(self, key: bytes) -> bytes | None:
        return self.data.get(key)

    def apply(self, writes: Mapping[bytes, bytes | None]) -> None:
        """Apply a block's writes (None deletes)."""
        for k, v in writes.items():
            if v is None:
                self.data.pop(k, None)
            else:
                self.data[k] = v


class Overlay:
    """A journaled write layer over a base :class:`StateReader`."""

    __slots__ = ("_base", "_cache", "_base_raw", "_dirty", "_journal")

    def __init__(self, base: StateReader) -> None:
        self._base = base
        self._cache: dict[bytes, Record | None] = {}
        self._base_raw: dict[bytes, bytes | None] = {}
        self._dirty: set[bytes] = set()
        self._journal: list[tuple[bytes, object, bool]] = []

    # -- generic record access ------------------------------------------------------------

    def read(self, key: bytes, cls: type[R]) -> R | None:
        """The current record under ``key`` decoded as ``cls``, or None."""
        try:
            return self._cache[key]  # type: ignore[return-value]
        except KeyError:
            pass
        raw = self._base.get(key)
        self._base_raw[key] = raw
        rec = None
        if raw is not None:
            try:
                rec = cls.decode(raw)
            except Exception as exc:
                raise StateCorruption(key, f"cannot decode as {cls.__name__}: {exc}") from None
        self._cache[key] = rec
        return rec  # type: ignore[return-value]

    def write(self, key: bytes, record: Record | None) -> None:
        """Set (or with None, delete) the record under ``key``; journaled."""
        cache = self._cache
        if key not in cache:
            raw = self._base.get(key)
            self._base_raw[key] = raw
            cache[key] = _MISSING  # type: ignore[assignment]
        self._journal.append((key, cache[key], key in self._dirty))
        cache[key] = record
        self._dirty.add(key)

    def put(self, key: bytes, record: Record | None) -> None:
        """:meth:`write` without the journal entry: :meth:`revert` cannot undo it.

        For fast paths that have decided a whole transaction before writing (nothing left to
        revert) and hold no checkpoint. A checkpoint taken later is unaffected: :meth:`revert`
        only undoes journal entries after its mark, and restores what was current then.
        """
        cache = self._cache
        if key not in cache:
            self._base_raw[key] = self._base.get(key)
        cache[key] = record
        self._dirty.add(key)

    def checkpoint(self) -> int:
        """A mark to :meth:`revert` to."""
        return len(self._journal)

    def revert(self, mark: int) -> None:
        """Undo every write since ``mark``."""
        journal, cache, dirty = self._journal, self._cache, self._dirty
        while len(journal) > mark:
            key, old, was_dirty = journal.pop()
            if old is _MISSING:
                del cache[key]
            else:
                cache[key] = old  # type: ignore[assignment]
            if not was_dirty:
                dirty.discard(key)

    def get(self, key: bytes) -> bytes | None:
        """:class:`StateReader`: the current encoded record under ``key``."""
        if key in self._dirty:
            rec = self._cache[key]
            return None if rec is None else rec.encode()
        return self._base.get(key)

    def writes(self) -> dict[StateKey, bytes | None]:
        """Final writes (encoded; None = delete), without keys whose value did not change."""
        out: dict[StateKey, bytes | None] = {}
        for key in sorted(self._dirty):
            rec = self._cache[key]
            enc = None if rec is None else rec.encode()
            if enc != self._base_raw.get(key, _MISSING):
                out[StateKey(key)] = enc
        return out

    # -- typed accessors ------------------------------------------------------------------

    def account(self, address: bytes) -> Account:
        return self.read(account_key(address), Account) or EMPTY_ACCOUNT

    def set_account(self, address: bytes, account: Account) -> None:
        self.write(account_key(address), None if account.is_empty() else account)

    def stake(self, address: bytes) -> Stake:
        return self.read(stake_key(address), Stake) or EMPTY_STAKE

    def set_stake(self, address: bytes, stake: Stake) -> None:
        self.write(stake_key(address), None if stake.is_empty() else stake)

    def globals(self) -> Globals:
        return self.read(GLOBALS_KEY, Globals) or Globals()

    def set_globals(self, g: Globals) -> None:
        self.write(GLOBALS_KEY, g)

    def model(self, model_id: int) -> Model | None:
        return self.read(model_key(model_id), Model)

    def set_model(self, model_id: int, model: Model) -> None:
        self.write(model_key(model_id), model)

    def task(self, task_id: int) -> Task | None:
        return self.read(task_key(task_id), Task)

    def set_task(self, task_id: int, task: Task) -> None:
        self.write(task_key(task_id), task)

    def deposit_applied(self, source_hash: bytes) -> bool:
        return self.read(deposit_key(source_hash), AppliedDeposit) is not None

    def mark_deposit(self, source_hash: bytes, marker: AppliedDeposit) -> None:
        self.write(deposit_key(source_hash), marker)

    def credit(self, address: Address | bytes, amount: int) -> None:
        """Add ``amount`` wei to ``address``'s balance."""
        if amount:
            a = self.account(address)
            self.set_account(address, Account(a.nonce, a.balance + amount))
