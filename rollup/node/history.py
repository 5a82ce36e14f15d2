"""Reads of the state at an older block, from the store's history rows.

The store answers one key at a time (``Store.get_state_at``); the core's readers (``Overlay``,
``execute_call``) read keys synchronously and on demand. :func:`run_at` bridges the two without
threads: it runs the pure function over a :class:`PrefetchedState` that knows the keys fetched
so far and raises :class:`MissingKey` for any other, fetches that key, and runs the function
again. The core is deterministic and side-effect free, so a rerun is just a rerun; a call
touches a handful of keys, so a handful of reruns.
"""

from __future__ import annotations

from typing import Callable, Final, TypeVar

from rollup.storage import Store

__all__ = ["MissingKey", "PrefetchedState", "run_at", "MAX_KEYS"]

MAX_KEYS: Final = 256
"""Most distinct keys one historical read may touch (a system call touches fewer than 10)."""

T = TypeVar("T")


class MissingKey(Exception):
    """The function read ``key``, which has not been fetched yet."""

    def __init__(self, key: bytes) -> None:
        super().__init__(key.hex())
        self.key = key


class PrefetchedState:
    """A :class:`~rollup.core.state.StateReader` over the keys fetched so far."""

    __slots__ = ("known",)

    def __init__(self, known: dict[bytes, bytes | None]) -> None:
        self.known = known

    def get(self, key: bytes) -> bytes | None:
        try:
            return self.known[key]
        except KeyError:
            raise MissingKey(bytes(key)) from None


async def run_at(store: Store, number: int, fn: Callable[[PrefetchedState], T]) -> T:
    """``fn`` over the state after block ``number`` (a block the store's history covers)."""
    known: dict[bytes, bytes | None] = {}
    while True:
        try:
            return fn(PrefetchedState(known))
        except MissingKey as missing:
            if len(known) >= MAX_KEYS:
                raise RuntimeError(f"historical read touched more than {MAX_KEYS} keys") from None
            known[missing.key] = await store.get_state_at(missing.key, number)
