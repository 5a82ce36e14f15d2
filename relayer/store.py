"""The relayer's durable state behind one :class:`Store` protocol, two implementations with the
same schema and the same test suite: SQLite (single process, the default) and PostgreSQL (several
relayer processes sharing one queue).

Tables:

- ``cursors(origin)``: the indexer's position, block number and hash (reorg detection);
- ``messages(id)``: every indexed message with its delivery state
  (``pending`` -> ``submitted`` -> ``delivered``, or ``parked`` after a revert, with
  ``attempts``, ``next_attempt_at`` and ``last_error``), and a claim lease (``lease_owner``,
  ``lease_until``) so that two workers never work on the same message;
- ``wallets(chain_id, sender)`` and ``txs(tx_hash)``: the nonce ledger. A transaction is signed
  and recorded (raw bytes included) in the same database transaction that takes its nonce,
  *before* it is broadcast, so a restarted relayer finds it and rebroadcasts or settles it;
- ``checkpoints(destination, origin, count)``: checkpoints accepted on a destination.

Every state change is committed before the call returns.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import Enum
from typing import Awaitable, Callable, Protocol, Sequence

__all__ = [
    "MessageState",
    "MessageRecord",
    "LedgerTx",
    "CheckpointRecord",
    "Store",
    "StoreError",
    "open_store",
    "CLAIMABLE",
]


class StoreError(RuntimeError):
    """A database URL or state the store cannot work with."""


class MessageState(str, Enum):
    PENDING = "pending"
    """Indexed; waiting for signatures or its next attempt."""
    SUBMITTED = "submitted"
    """A delivery transaction is recorded (see ``delivery_tx``)."""
    DELIVERED = "delivered"
    """The destination's ``delivered`` bit is set."""
    PARKED = "parked"
    """The last delivery reverted (``last_error``); retried at ``next_attempt_at``."""


CLAIMABLE = (MessageState.PENDING.value, MessageState.PARKED.value, MessageState.SUBMITTED.value)
"""States a worker may claim (``submitted`` only to settle a transaction whose lease expired)."""


@dataclass(frozen=True, slots=True)
class MessageRecord:
    id: bytes
    origin: int
    nonce: int
    destination: int
    message: bytes
    block_number: int
    block_hash: bytes
    tx_hash: bytes
    state: MessageState = MessageState.PENDING
    attempts: int = 0
    next_attempt_at: float = 0.0
    last_error: str | None = None
    lease_owner: str | None = None
    lease_until: float | None = None
    observed_at: float = 0.0
    delivered_at: float | None = None
    delivery_tx: bytes | None = None
    gas_used: int | None = None


@dataclass(frozen=True, slots=True)
class LedgerTx:
    tx_hash: bytes
    chain_id: int
    sender: str
    nonce: int
    raw: bytes
    kind: str
    message_ids: tuple[bytes, ...]
    state: str = "recorded"
    """recorded (signed, maybe not broadcast) | sent | mined | failed | dropped | replaced"""
    max_fee: int = 0
    tip: int = 0
    gas: int = 0
    owner: str = ""
    created_at: float = 0.0
    gas_used: int | None = None


@dataclass(frozen=True, slots=True)
class CheckpointRecord:
    destination: int
    origin: int
    count: int
    root: bytes
    tree_root: bytes


class Store(Protocol):
    """The relayer's durable state (see the module docstring)."""

    async def init(self) -> None: ...
    async def close(self) -> None: ...

    # indexer
    async def get_cursor(self, origin: int) -> tuple[int, bytes] | None: ...
    async def set_cursor(self, origin: int, block_number: int, block_hash: bytes) -> None: ...
    async def add_messages(self, records: Sequence[MessageRecord]) -> int: ...
    async def rewind(self, origin: int, from_block: int) -> int:
        """Forget undelivered messages from ``from_block`` on and move the cursor before it."""
        ...
    async def contiguous_count(self, origin: int) -> int:
        """Number of messages ``0..n-1`` indexed without a gap."""
        ...
    async def ids_upto(self, origin: int, count: int) -> list[bytes]: ...

    # queue
    async def claim(self, destination: int, owner: str, now: float, lease: float, limit: int) -> list[MessageRecord]: ...
    async def release(self, ids: Sequence[bytes], owner: str) -> None: ...
    async def mark_delivered(self, ids: Sequence[bytes], tx_hash: bytes | None, gas_used: int | None, now: float) -> None: ...
    async def reschedule(self, ids: Sequence[bytes], state: MessageState, reason: str | None,
                         next_attempt_at: float, count_attempt: bool) -> None: ...
    async def get_message(self, message_id: bytes) -> MessageRecord | None: ...
    async def counts_by_state(self) -> dict[str, int]: ...

    # nonce ledger
    async def record_tx(self, chain_id: int, sender: str, chain_nonce: int,
                        sign: Callable[[int], Awaitable[LedgerTx]] | Callable[[int], LedgerTx],
                        nonce: int | None = None) -> LedgerTx:
        """Take the next nonce (at least ``chain_nonce``; or ``nonce`` for a replacement), sign
        with it, record the transaction and mark its messages submitted: one DB transaction."""
        ...
    async def update_tx(self, tx_hash: bytes, state: str, gas_used: int | None = None) -> None: ...
    async def get_tx(self, tx_hash: bytes) -> LedgerTx | None: ...
    async def txs_with_nonce(self, chain_id: int, sender: str, nonce: int) -> list[LedgerTx]: ...
    async def open_txs(self, chain_id: int, sender: str) -> list[LedgerTx]:
        """Transactions still ``recorded`` or ``sent`` (not settled), by nonce."""
        ...
    async def gas_spent(self) -> int: ...

    # checkpoints
    async def save_checkpoint(self, record: CheckpointRecord) -> None: ...
    async def covering_checkpoint(self, destination: int, origin: int, nonce: int) -> CheckpointRecord | None: ...


def now() -> float:
    return time.time()


async def open_store(url: str) -> Store:
    """``sqlite:///path`` (``sqlite://:memory:``) or ``postgresql://...``; initialised."""
    store: Store
    if url.startswith("sqlite:"):
        from .store_sqlite import SqliteStore

        path = url.removeprefix("sqlite:").removeprefix("///").removeprefix("//") or ":memory:"
        store = SqliteStore(path)
    elif url.startswith(("postgresql:", "postgres:")):
        from .store_postgres import PostgresStore

        store = PostgresStore(url)
    else:
        raise StoreError(f"unsupported database URL {url!r}: use sqlite:///path or postgresql://...")
    await store.init()
    return store
