"""The ``Store`` protocol: everything the node persists, and :func:`create_store`.

Two implementations share one schema and one SQL text (:mod:`.sql`): :class:`SqliteStore`
(default, embedded) and :class:`PostgresStore`. Writes that change the chain
(:meth:`Store.write_block`) or acknowledge transactions (:meth:`Store.commit_intake`) name the
lease ``holder`` and are refused with :class:`LeaseLost` unless that holder holds the sequencer
lease, checked inside the same database transaction.
"""

from __future__ import annotations

import time
from typing import Callable, Protocol, Sequence, runtime_checkable

from .errors import UnsupportedURL
from .records import (
    BlockRecord,
    BlockWrite,
    Lease,
    LogRecord,
    Outcome,
    PendingTx,
    ReceiptRecord,
    HistoryRow,
    StateRow,
    TxRecord,
    WithdrawalRecord,
)

__all__ = ["Store", "create_store"]


@runtime_checkable
class Store(Protocol):
    """Persistent chain data of one L2 node."""

    dialect: str

    async def open(self) -> None:
        """Connect and apply pending migrations."""
        ...

    async def close(self) -> None:
        """Close the connections (idempotent)."""
        ...

    async def schema_version(self) -> int:
        """Highest applied migration."""
        ...

    # lease
    async def get_lease(self) -> Lease:
        """The lease row as stored."""
        ...

    async def acquire_lease(self, holder: str, ttl: float) -> Lease:
        """Take (or renew) the lease for ``ttl`` seconds if free, expired or already ours;
        :class:`LeaseUnavailable` otherwise."""
        ...

    async def renew_lease(self, holder: str, ttl: float) -> None:
        """Extend our lease; :class:`LeaseLost` if someone else holds it."""
        ...

    async def release_lease(self, holder: str) -> None:
        """Give the lease up (no-op if not ours)."""
        ...

    # writes
    async def put_meta(self, key: str, value: bytes) -> None:
        """Set a chain-config entry."""
        ...

    async def write_block(self, holder: str, block: BlockWrite, lease_ttl: float | None = None) -> None:
        """Write a sealed block and everything it changes in one transaction (and renew the
        lease by ``lease_ttl`` when given). All or nothing; :class:`LeaseLost` if not holder."""
        ...

    async def commit_intake(
        self, holder: str, added: Sequence[PendingTx], dropped: Sequence[Outcome] = ()
    ) -> None:
        """Make acknowledged transactions durable and record drops, in one transaction."""
        ...

    # reads
    async def get_meta(self, key: str) -> bytes | None: ...
    async def head(self) -> BlockRecord | None: ...
    async def get_block(self, number: int) -> BlockRecord | None: ...
    async def get_block_by_hash(self, block_hash: bytes) -> BlockRecord | None: ...
    async def get_blocks(self, first: int, last: int) -> list[BlockRecord]: ...
    async def get_block_transactions(self, number: int) -> list[TxRecord]: ...

    async def get_block_transaction_hashes(self, number: int) -> tuple[list[bytes], int]:
        """The block's transaction hashes in order and the summed length of their raw bytes:
        what a block view without full transactions needs, without reading the raw bytes."""
        ...

    async def get_block_receipts(self, number: int) -> list[ReceiptRecord]: ...
    async def get_transaction(self, tx_hash: bytes) -> TxRecord | None: ...
    async def get_receipt(self, tx_hash: bytes) -> ReceiptRecord | None: ...

    async def get_logs(
        self,
        first: int,
        last: int,
        addresses: Sequence[bytes] = (),
        topics: Sequence[Sequence[bytes] | None] = (),
        limit: int = 10_000,
    ) -> list[LogRecord]:
        """Logs in ``[first, last]`` matching any address and, per position, any topic."""
        ...

    async def load_state(self) -> list[StateRow]:
        """Every state row in tree-index order (restart rebuilds the tree from it)."""
        ...

    async def get_state(self, key: bytes) -> StateRow | None: ...

    async def get_state_at(self, key: bytes, number: int) -> bytes | None:
        """The encoded value of ``key`` after block ``number`` (None: absent), from the history
        rows and the current state in one consistent read. Only meaningful for blocks from meta
        ``history_from`` to the stored head (the caller checks)."""
        ...

    async def load_pending(self) -> list[PendingTx]:
        """Acknowledged, not yet included transactions in arrival order."""
        ...

    async def get_pending(self, tx_hash: bytes) -> PendingTx | None: ...
    async def max_pending_seq(self) -> int: ...
    async def get_outcome(self, tx_hash: bytes) -> Outcome | None: ...
    async def load_withdrawals(self) -> list[WithdrawalRecord]: ...
    async def get_withdrawals_by_tx(self, tx_hash: bytes) -> list[WithdrawalRecord]: ...


def create_store(url: str, pool_size: int = 4, clock: Callable[[], float] = time.time) -> Store:
    """The store for ``url`` (not opened): ``sqlite:///path`` or ``postgresql://...``."""
    if url.startswith("sqlite:"):
        from .sqlite import SqliteStore

        return SqliteStore(url, clock=clock)
    if url.startswith(("postgresql:", "postgres:")):
        from .postgres import PostgresStore

        return PostgresStore(url, pool_size=pool_size, clock=clock)
    raise UnsupportedURL(url)
