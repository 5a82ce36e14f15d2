"""SQLite implementation of :class:`relayer.store.Store` (one process; aiosqlite, WAL). The SQL
it shares with the PostgreSQL store is in :mod:`relayer.store_sql`."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Sequence

import aiosqlite

from . import store_sql as shared
from .store import CLAIMABLE, LedgerTx, MessageRecord, MessageState

__all__ = ["SqliteStore", "SCHEMA"]

SCHEMA = shared.schema("INTEGER", "BLOB", "REAL")
"""The schema (the PostgreSQL one has the same tables and columns)."""


class SqliteStore(shared.SqlStore):
    """The embedded default: one connection, one writer at a time (an asyncio lock)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("store not initialised")
        return self._db

    async def init(self) -> None:
        self._db = await aiosqlite.connect(self.path, isolation_level=None)
        await self.db.execute("PRAGMA journal_mode=WAL")
        await self.db.execute("PRAGMA synchronous=FULL")
        await self.db.executescript(SCHEMA)

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    async def _write(self, fn: Callable[[aiosqlite.Connection], Any]) -> Any:
        async with self._lock:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                out = await fn(self.db)
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise
            await self.db.execute("COMMIT")
            return out

    async def _all(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        async with self.db.execute(sql, args) as cur:
            return list(await cur.fetchall())

    async def _execute(self, sql: str, args: Sequence[Any] = ()) -> None:
        async def go(db: aiosqlite.Connection) -> None:
            await db.execute(sql, args)
        await self._write(go)

    @staticmethod
    async def _each_id(db: aiosqlite.Connection, sql: str, before: Sequence[Any], ids: Sequence[bytes],
                       after: Sequence[Any]) -> None:
        one = sql.format(ids="id = ?")
        for i in ids:
            await db.execute(one, (*before, i, *after))

    async def _execute_ids(self, sql: str, before: Sequence[Any], ids: Sequence[bytes],
                           after: Sequence[Any] = ()) -> None:
        async def go(db: aiosqlite.Connection) -> None:
            await self._each_id(db, sql, before, ids, after)
        await self._write(go)

    # indexer
    async def add_messages(self, records: Sequence[MessageRecord]) -> int:
        async def go(db: aiosqlite.Connection) -> int:
            n = 0
            for r in records:
                cur = await db.execute(shared.INSERT_MESSAGE, shared.msg_values(r))
                n += cur.rowcount
            return n
        return await self._write(go)

    async def rewind(self, origin: int, from_block: int) -> int:
        async def go(db: aiosqlite.Connection) -> int:
            cur = await db.execute(shared.DELETE_UNDELIVERED_FROM,
                                   (origin, from_block, MessageState.DELIVERED.value))
            await db.execute(shared.REWIND_CURSOR, (from_block - 1, b"", origin))
            return cur.rowcount
        return await self._write(go)

    async def contiguous_count(self, origin: int) -> int:
        rows = await self._all("SELECT nonce FROM messages WHERE origin = ? ORDER BY nonce", (origin,))
        n = 0
        for (nonce,) in rows:
            if nonce != n:
                break
            n += 1
        return n

    # queue
    async def claim(self, destination: int, owner: str, now: float, lease: float, limit: int) -> list[MessageRecord]:
        async def go(db: aiosqlite.Connection) -> list[MessageRecord]:
            rows = await self._all(
                f"SELECT {shared.MSG_COLS} FROM messages WHERE destination = ? AND state IN (?, ?, ?) "
                "AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ? OR lease_owner = ?) "
                "ORDER BY origin, nonce LIMIT ?", (destination, *CLAIMABLE, now, now, owner, limit))
            for row in rows:
                await db.execute("UPDATE messages SET lease_owner = ?, lease_until = ? WHERE id = ?",
                                 (owner, now + lease, row[0]))
            return [shared.msg_record(r) for r in rows]
        return await self._write(go)

    # nonce ledger
    async def record_tx(self, chain_id: int, sender: str, chain_nonce: int, sign: Callable[[int], LedgerTx],
                        nonce: int | None = None) -> LedgerTx:
        async def go(db: aiosqlite.Connection) -> LedgerTx:
            if nonce is None:
                rows = await self._all("SELECT next_nonce FROM wallets WHERE chain_id = ? AND sender = ?",
                                       (chain_id, sender))
                use = max(chain_nonce, rows[0][0] if rows else 0)
                await db.execute("INSERT INTO wallets VALUES (?, ?, ?) ON CONFLICT (chain_id, sender) "
                                 "DO UPDATE SET next_nonce = excluded.next_nonce", (chain_id, sender, use + 1))
            else:
                use = nonce
            tx = sign(use)
            await db.execute(shared.INSERT_TX, shared.tx_values(tx, chain_id, sender, use))
            await self._each_id(db, shared.MARK_SUBMITTED, (MessageState.SUBMITTED.value, tx.tx_hash),
                                tx.message_ids, (MessageState.DELIVERED.value,))
            return tx
        return await self._write(go)
