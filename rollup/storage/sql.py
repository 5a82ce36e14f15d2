"""The shared SQL implementation of :class:`~rollup.storage.store.Store`.

Every query is written once here, with ``?`` placeholders; the dialect classes
(:mod:`.sqlite`, :mod:`.postgres`) supply connections, a write transaction and placeholder
translation. Every write transaction starts by renewing the lease row *for its holder*; when
that updates no row the transaction is rolled back and :class:`LeaseLost` raised, so a sequencer
that lost the lease can never write a block or acknowledge a transaction.
"""

from __future__ import annotations

import abc
import time
from contextlib import AbstractAsyncContextManager
from typing import Any, Callable, Iterable, Sequence

from .errors import LeaseLost, LeaseUnavailable, MigrationError
from .migrate import MIGRATIONS_TABLE_SQL, load_migrations
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

__all__ = ["SqlStore", "Writer", "LEASE_NAME", "u256", "from_u256"]

LEASE_NAME = "sequencer"
"""Name of the lease row that guards block and intake writes."""

_BLOCK_COLS = (
    "number, hash, parent_hash, timestamp, state_root, tx_root, withdrawal_root, gas_used, "
    "gas_limit, base_fee, tx_count, raw"
)
_TX_COLS = "hash, raw, sender, nonce, block_number, idx"
_RECEIPT_COLS = (
    "tx_hash, block_number, idx, status, gas_used, cumulative_gas_used, effective_gas_price, raw"
)
_LOG_COLS = "block_number, log_index, tx_index, tx_hash, address, topic0, topic1, topic2, topic3, data"
_PENDING_COLS = "seq, hash, raw, sender, nonce, arrived_at"


def u256(value: int) -> bytes:
    """A non-negative integer below 2**256 as 32 big-endian bytes (database form)."""
    return value.to_bytes(32, "big")


def from_u256(raw: bytes) -> int:
    """Inverse of :func:`u256`."""
    return int.from_bytes(raw, "big")


class Writer(abc.ABC):
    """The statements available inside one write transaction."""

    @abc.abstractmethod
    async def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        """Run one statement; return the number of rows it changed."""

    @abc.abstractmethod
    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each row of arguments."""

    @abc.abstractmethod
    async def fetchone(self, sql: str, args: Sequence[Any] = ()) -> Sequence[Any] | None:
        """First row of a query run inside the transaction."""

    async def insert_many(self, table: str, columns: str, rows: Sequence[Sequence[Any]]) -> None:
        """Plain bulk insert (no conflict handling); dialects may use a faster path."""
        marks = ", ".join("?" * len(columns.split(",")))
        await self.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)

    async def upsert_many(self, table: str, columns: str, types: str, key: str, update: str,
                          rows: Sequence[Sequence[Any]]) -> None:
        """Insert rows; on a ``key`` conflict overwrite the ``update`` columns. ``types`` are
        the portable column types (``BLOB``, ``BIGINT``...) for dialects that bulk-bind."""
        marks = ", ".join("?" * len(columns.split(",")))
        sets = ", ".join(f"{c.strip()} = excluded.{c.strip()}" for c in update.split(","))
        await self.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({marks}) "
            f"ON CONFLICT ({key}) DO UPDATE SET {sets}", rows)

    async def delete_many(self, table: str, column: str, values: Sequence[Any]) -> None:
        """Delete the rows whose ``column`` is one of ``values``."""
        await self.executemany(f"DELETE FROM {table} WHERE {column} = ?", [(v,) for v in values])


def _rows(records: Sequence[tuple]) -> Sequence[tuple]:
    """Records that are named tuples in their table's column order, as the rows to bind:
    the sequence itself when it is a list or tuple of them (no copy per row)."""
    return records if isinstance(records, (list, tuple)) else list(records)


def _block(row: Sequence[Any]) -> BlockRecord:
    return BlockRecord(
        int(row[0]), bytes(row[1]), bytes(row[2]), int(row[3]), bytes(row[4]), bytes(row[5]),
        bytes(row[6]), int(row[7]), int(row[8]), from_u256(row[9]), int(row[10]), bytes(row[11]),
    )


def _tx(row: Sequence[Any]) -> TxRecord:
    return TxRecord(bytes(row[0]), bytes(row[1]), bytes(row[2]), int(row[3]), int(row[4]),
                    int(row[5]))


def _receipt(row: Sequence[Any]) -> ReceiptRecord:
    return ReceiptRecord(bytes(row[0]), int(row[1]), int(row[2]), int(row[3]), int(row[4]),
                         int(row[5]), from_u256(row[6]), bytes(row[7]))


def _log(row: Sequence[Any]) -> LogRecord:
    topics = tuple(bytes(t) for t in row[5:9] if t is not None)
    return LogRecord(int(row[0]), int(row[1]), int(row[2]), bytes(row[3]), bytes(row[4]),
                     topics, bytes(row[9]))


def _pending(row: Sequence[Any]) -> PendingTx:
    return PendingTx(int(row[0]), bytes(row[1]), bytes(row[2]), bytes(row[3]), int(row[4]),
                     float(row[5]))


class SqlStore(abc.ABC):
    """Queries shared by both dialects. Subclasses implement the connection primitives."""

    dialect: str = "sql"
    """``sqlite`` or ``postgresql`` (selects the migration translation)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock

    # -- primitives supplied by the dialect -------------------------------------------------

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect and apply pending migrations."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Close every connection. Idempotent."""

    @abc.abstractmethod
    def _write(self) -> AbstractAsyncContextManager[Writer]:
        """One exclusive write transaction (committed on exit, rolled back on error)."""

    @abc.abstractmethod
    async def _fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Sequence[Any]]:
        """All rows of a read query."""

    async def _fetchone(self, sql: str, args: Sequence[Any] = ()) -> Sequence[Any] | None:
        rows = await self._fetch(sql, args)
        return rows[0] if rows else None

    # -- migrations -------------------------------------------------------------------------

    async def _migrate(self, w: Writer) -> None:
        """Apply the migrations not yet recorded (call inside the dialect's write lock)."""
        await w.execute(MIGRATIONS_TABLE_SQL)
        row = await w.fetchone("SELECT MAX(version) FROM schema_migrations")
        current = int(row[0]) if row and row[0] is not None else 0
        migrations = load_migrations(self.dialect)
        if migrations and current > migrations[-1].version:
            raise MigrationError(
                "schema", f"database is at version {current}, code knows {migrations[-1].version}"
            )
        for migration in migrations:
            if migration.version <= current:
                continue
            for statement in migration.statements:
                await w.execute(statement)
            await w.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                            (migration.version, migration.name))

    async def schema_version(self) -> int:
        """Highest applied migration version."""
        row = await self._fetchone("SELECT MAX(version) FROM schema_migrations")
        return int(row[0]) if row and row[0] is not None else 0

    # -- lease ------------------------------------------------------------------------------

    async def _check_lease(self, w: Writer, holder: str, ttl: float | None) -> None:
        if ttl is None:
            changed = await w.execute(
                "UPDATE lease SET holder = holder WHERE name = ? AND holder = ?",
                (LEASE_NAME, holder))
        else:
            changed = await w.execute(
                "UPDATE lease SET expires_at = ? WHERE name = ? AND holder = ?",
                (self._clock() + ttl, LEASE_NAME, holder))
        if changed != 1:
            row = await w.fetchone("SELECT holder FROM lease WHERE name = ?", (LEASE_NAME,))
            raise LeaseLost(holder, str(row[0]) if row else "")

    async def get_lease(self) -> Lease:
        row = await self._fetchone(
            "SELECT holder, expires_at, epoch FROM lease WHERE name = ?", (LEASE_NAME,))
        assert row is not None, "migration 0001 seeds the lease row"
        return Lease(str(row[0]), float(row[1]), int(row[2]))

    async def acquire_lease(self, holder: str, ttl: float) -> Lease:
        if not holder:
            raise ValueError("lease holder id must be non-empty")
        now = self._clock()
        async with self._write() as w:
            changed = await w.execute(
                "UPDATE lease SET holder = ?, expires_at = ?, "
                "epoch = CASE WHEN holder = ? THEN epoch ELSE epoch + 1 END "
                "WHERE name = ? AND (holder = ? OR holder = '' OR expires_at < ?)",
                (holder, now + ttl, holder, LEASE_NAME, holder, now))
            row = await w.fetchone(
                "SELECT holder, expires_at, epoch FROM lease WHERE name = ?", (LEASE_NAME,))
        assert row is not None
        lease = Lease(str(row[0]), float(row[1]), int(row[2]))
        if not changed:
            raise LeaseUnavailable(holder, lease.holder, lease.expires_at)
        return lease

    async def renew_lease(self, holder: str, ttl: float) -> None:
        async with self._write() as w:
            await self._check_lease(w, holder, ttl)

    async def release_lease(self, holder: str) -> None:
        async with self._write() as w:
            await w.execute("UPDATE lease SET holder = '', expires_at = 0 "
                            "WHERE name = ? AND holder = ?", (LEASE_NAME, holder))

    # -- writes -----------------------------------------------------------------------------

    async def put_meta(self, key: str, value: bytes) -> None:
        async with self._write() as w:
            await self._put_meta(w, {key: value})

    async def _put_meta(self, w: Writer, entries: dict[str, bytes] | Any) -> None:
        if entries:
            await w.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [(k, bytes(v)) for k, v in entries.items()])

    async def write_block(self, holder: str, block: BlockWrite, lease_ttl: float | None = None) -> None:
        async with self._write() as w:
            await self._check_lease(w, holder, lease_ttl)
            b = block.block
            await w.execute(
                f"INSERT INTO blocks ({_BLOCK_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (b.number, b.hash, b.parent_hash, b.timestamp, b.state_root, b.tx_root,
                 b.withdrawal_root, b.gas_used, b.gas_limit, u256(b.base_fee), b.tx_count, b.raw))
            if block.transactions:
                # a TxRecord is its row: (hash, raw, sender, nonce, block_number, idx)
                await w.insert_many("transactions", _TX_COLS, _rows(block.transactions))
            if block.receipts:
                await w.insert_many(
                    "receipts", _RECEIPT_COLS,
                    [(r.tx_hash, r.block_number, r.index, r.status, r.gas_used,
                      r.cumulative_gas_used, u256(r.effective_gas_price), r.raw)
                     for r in block.receipts])
            if block.logs:
                await w.insert_many(
                    "logs", _LOG_COLS,
                    [(lg.block_number, lg.log_index, lg.tx_index, lg.tx_hash, lg.address,
                      *(tuple(lg.topics) + (None,) * (4 - len(lg.topics))), lg.data)
                     for lg in block.logs])
            if block.state:
                # a StateRow is its row: (key, tree_index, value)
                await w.upsert_many(
                    "state", "key, tree_index, value", "BLOB, BIGINT, BLOB", "key", "value",
                    _rows(block.state))
            if block.withdrawals:
                await w.insert_many(
                    "withdrawals", "leaf_index, block_number, tx_hash, leaf",
                    [(x.leaf_index, x.block_number, x.tx_hash, x.leaf) for x in block.withdrawals])
            if block.history:
                # a HistoryRow is its row: (key, block_number, prior)
                await w.insert_many("state_history", "key, block_number, prior",
                                    _rows(block.history))
            await self._delete_pending(w, block.included_pending)
            await self._record_drops(w, block.dropped)
            await self._put_meta(w, block.meta)

    async def _delete_pending(self, w: Writer, hashes: Iterable[bytes]) -> None:
        values = list(hashes)
        if values:
            await w.delete_many("pending_txs", "hash", values)

    async def _record_drops(self, w: Writer, dropped: Sequence[Outcome]) -> None:
        if not dropped:
            return
        await self._delete_pending(w, (o.hash for o in dropped))
        await w.executemany(
            "INSERT INTO tx_outcomes (hash, reason, replaced_by, at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (hash) DO UPDATE SET reason = excluded.reason, "
            "replaced_by = excluded.replaced_by, at = excluded.at",
            [(o.hash, o.reason, o.replaced_by, o.at) for o in dropped])

    async def commit_intake(
        self, holder: str, added: Sequence[PendingTx], dropped: Sequence[Outcome] = ()
    ) -> None:
        async with self._write() as w:
            await self._check_lease(w, holder, None)
            if added:
                await w.insert_many(
                    "pending_txs", _PENDING_COLS,
                    [(p.seq, p.hash, p.raw, p.sender, p.nonce, p.arrived_at) for p in added])
                await w.delete_many("tx_outcomes", "hash", [p.hash for p in added])
            await self._record_drops(w, dropped)

    # -- reads ------------------------------------------------------------------------------

    async def get_meta(self, key: str) -> bytes | None:
        row = await self._fetchone("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else bytes(row[0])

    async def head(self) -> BlockRecord | None:
        row = await self._fetchone(
            f"SELECT {_BLOCK_COLS} FROM blocks ORDER BY number DESC LIMIT 1")
        return None if row is None else _block(row)

    async def get_block(self, number: int) -> BlockRecord | None:
        row = await self._fetchone(f"SELECT {_BLOCK_COLS} FROM blocks WHERE number = ?", (number,))
        return None if row is None else _block(row)

    async def get_block_by_hash(self, block_hash: bytes) -> BlockRecord | None:
        row = await self._fetchone(f"SELECT {_BLOCK_COLS} FROM blocks WHERE hash = ?",
                                   (bytes(block_hash),))
        return None if row is None else _block(row)

    async def get_blocks(self, first: int, last: int) -> list[BlockRecord]:
        rows = await self._fetch(
            f"SELECT {_BLOCK_COLS} FROM blocks WHERE number >= ? AND number <= ? ORDER BY number",
            (first, last))
        return [_block(r) for r in rows]

    async def get_block_transactions(self, number: int) -> list[TxRecord]:
        rows = await self._fetch(
            f"SELECT {_TX_COLS} FROM transactions WHERE block_number = ? ORDER BY idx", (number,))
        return [_tx(r) for r in rows]

    async def get_block_transaction_hashes(self, number: int) -> tuple[list[bytes], int]:
        rows = await self._fetch(
            "SELECT hash, length(raw) FROM transactions WHERE block_number = ? ORDER BY idx",
            (number,))
        return [bytes(r[0]) for r in rows], sum(int(r[1]) for r in rows)

    async def get_block_receipts(self, number: int) -> list[ReceiptRecord]:
        rows = await self._fetch(
            f"SELECT {_RECEIPT_COLS} FROM receipts WHERE block_number = ? ORDER BY idx", (number,))
        return [_receipt(r) for r in rows]

    async def get_transaction(self, tx_hash: bytes) -> TxRecord | None:
        row = await self._fetchone(f"SELECT {_TX_COLS} FROM transactions WHERE hash = ?",
                                   (bytes(tx_hash),))
        return None if row is None else _tx(row)

    async def get_receipt(self, tx_hash: bytes) -> ReceiptRecord | None:
        row = await self._fetchone(f"SELECT {_RECEIPT_COLS} FROM receipts WHERE tx_hash = ?",
                                   (bytes(tx_hash),))
        return None if row is None else _receipt(row)

    async def get_logs(
        self,
        first: int,
        last: int,
        addresses: Sequence[bytes] = (),
        topics: Sequence[Sequence[bytes] | None] = (),
        limit: int = 10_000,
    ) -> list[LogRecord]:
        where = ["block_number >= ?", "block_number <= ?"]
        args: list[Any] = [first, last]
        if addresses:
            where.append(f"address IN ({', '.join('?' * len(addresses))})")
            args.extend(bytes(a) for a in addresses)
        for position, alternatives in enumerate(topics[:4]):
            if alternatives:
                where.append(f"topic{position} IN ({', '.join('?' * len(alternatives))})")
                args.extend(bytes(t) for t in alternatives)
        args.append(limit)
        rows = await self._fetch(
            f"SELECT {_LOG_COLS} FROM logs WHERE {' AND '.join(where)} "
            f"ORDER BY block_number, log_index LIMIT ?", args)
        return [_log(r) for r in rows]

    async def load_state(self) -> list[StateRow]:
        rows = await self._fetch("SELECT key, tree_index, value FROM state ORDER BY tree_index")
        return [StateRow(bytes(r[0]), int(r[1]), bytes(r[2])) for r in rows]

    async def get_state(self, key: bytes) -> StateRow | None:
        row = await self._fetchone("SELECT key, tree_index, value FROM state WHERE key = ?",
                                   (bytes(key),))
        return None if row is None else StateRow(bytes(row[0]), int(row[1]), bytes(row[2]))

    async def get_state_at(self, key: bytes, number: int) -> bytes | None:
        # one statement: one snapshot, so a block written meanwhile cannot mix in
        row = await self._fetchone(
            "SELECT COALESCE("
            "(SELECT prior FROM state_history WHERE key = ? AND block_number > ? "
            "ORDER BY block_number LIMIT 1), "
            "(SELECT value FROM state WHERE key = ?))", (bytes(key), number, bytes(key)))
        value = None if row is None or row[0] is None else bytes(row[0])
        return value or None

    async def load_pending(self) -> list[PendingTx]:
        rows = await self._fetch(f"SELECT {_PENDING_COLS} FROM pending_txs ORDER BY seq")
        return [_pending(r) for r in rows]

    async def get_pending(self, tx_hash: bytes) -> PendingTx | None:
        row = await self._fetchone(f"SELECT {_PENDING_COLS} FROM pending_txs WHERE hash = ?",
                                   (bytes(tx_hash),))
        return None if row is None else _pending(row)

    async def max_pending_seq(self) -> int:
        row = await self._fetchone("SELECT MAX(seq) FROM pending_txs")
        return int(row[0]) if row and row[0] is not None else 0

    async def get_outcome(self, tx_hash: bytes) -> Outcome | None:
        row = await self._fetchone(
            "SELECT hash, reason, at, replaced_by FROM tx_outcomes WHERE hash = ?",
            (bytes(tx_hash),))
        if row is None:
            return None
        return Outcome(bytes(row[0]), str(row[1]), float(row[2]),
                       None if row[3] is None else bytes(row[3]))

    async def load_withdrawals(self) -> list[WithdrawalRecord]:
        rows = await self._fetch(
            "SELECT leaf_index, block_number, tx_hash, leaf FROM withdrawals ORDER BY leaf_index")
        return [WithdrawalRecord(int(r[0]), int(r[1]), bytes(r[2]), bytes(r[3])) for r in rows]

    async def get_withdrawals_by_tx(self, tx_hash: bytes) -> list[WithdrawalRecord]:
        rows = await self._fetch(
            "SELECT leaf_index, block_number, tx_hash, leaf FROM withdrawals WHERE tx_hash = ? "
            "ORDER BY leaf_index", (bytes(tx_hash),))
        return [WithdrawalRecord(int(r[0]), int(r[1]), bytes(r[2]), bytes(r[3])) for r in rows]
