"""PostgreSQL implementation of the store (asyncpg): production and sequencer failover.

A dedicated writer connection runs every write transaction (serialized by an asyncio lock, as
with SQLite); reads use a small pool. Durability comes from PostgreSQL's commit (WAL flushed
before ``COMMIT`` returns, with the default ``synchronous_commit=on``). The lease row is updated
first in every write transaction, which row-locks it: a competing ``acquire_lease`` waits for the
writer's commit and then sees the holder unchanged.
"""

from __future__ import annotations

import asyncio
import re
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Callable, Sequence

import asyncpg

from .sql import SqlStore, Writer

__all__ = ["PostgresStore", "to_dollar_params", "MIGRATION_LOCK_KEY", "COPY_MIN_ROWS"]

MIGRATION_LOCK_KEY = 0x0A17_0001
"""Advisory lock key held while migrating, so concurrent openers migrate exactly once."""

COPY_MIN_ROWS = 32
"""Bulk inserts of at least this many rows use ``COPY`` (below it the round trips are cheaper)."""

_QMARK = re.compile(r"\?")
_CACHE: dict[str, str] = {}


def to_dollar_params(sql: str) -> str:
    """Rewrite ``?`` placeholders as ``$1, $2, ...`` (the store's SQL has no literal ``?``)."""
    cached = _CACHE.get(sql)
    if cached is None:
        counter = iter(range(1, 10_000))
        cached = _QMARK.sub(lambda _m: f"${next(counter)}", sql)
        _CACHE[sql] = cached
    return cached


def _rowcount(status: str) -> int:
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


class _PgWriter(Writer):
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        return _rowcount(await self._conn.execute(to_dollar_params(sql), *args))

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self._conn.executemany(to_dollar_params(sql), rows)

    async def fetchone(self, sql: str, args: Sequence[Any] = ()) -> Sequence[Any] | None:
        return await self._conn.fetchrow(to_dollar_params(sql), *args)

    async def insert_many(self, table: str, columns: str, rows: Sequence[Sequence[Any]]) -> None:
        """``COPY ... FROM STDIN`` (binary): several times faster than ``executemany``."""
        if len(rows) < COPY_MIN_ROWS:
            await super().insert_many(table, columns, rows)
            return
        await self._conn.copy_records_to_table(
            table, records=rows, columns=[c.strip() for c in columns.split(",")])

    async def upsert_many(self, table: str, columns: str, types: str, key: str, update: str,
                          rows: Sequence[Sequence[Any]]) -> None:
        """One statement over ``unnest`` of one array per column."""
        if len(rows) < COPY_MIN_ROWS:
            await super().upsert_many(table, columns, types, key, update, rows)
            return
        casts = [_pg_type(t) for t in types.split(",")]
        arrays = ", ".join(f"${i + 1}::{t}[]" for i, t in enumerate(casts))
        sets = ", ".join(f"{c.strip()} = excluded.{c.strip()}" for c in update.split(","))
        await self._conn.execute(
            f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays}) "
            f"ON CONFLICT ({key}) DO UPDATE SET {sets}", *[list(col) for col in zip(*rows)])

    async def delete_many(self, table: str, column: str, values: Sequence[Any]) -> None:
        """One statement: ``column = ANY($1)``."""
        kind = "bytea" if values and isinstance(values[0], (bytes, bytearray)) else "bigint"
        await self._conn.execute(
            f"DELETE FROM {table} WHERE {column} = ANY($1::{kind}[])", list(values))


def _pg_type(portable: str) -> str:
    name = portable.strip().upper()
    return {"BLOB": "bytea", "BIGINT": "bigint", "TEXT": "text",
            "DOUBLE PRECISION": "double precision"}[name]


class PostgresStore(SqlStore):
    """The store on one PostgreSQL database."""

    dialect = "postgresql"

    def __init__(self, url: str, pool_size: int = 4, clock: Callable[[], float] = time.time) -> None:
        super().__init__(clock)
        self.url = url
        self._pool_size = max(1, pool_size)
        self._pool: asyncpg.Pool | None = None
        self._writer: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        self._writer = await asyncpg.connect(self.url)
        async with self._write() as w:
            await w.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK_KEY,))
            await self._migrate(w)
        self._pool = await asyncpg.create_pool(self.url, min_size=1, max_size=self._pool_size)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
        if self._writer is not None:
            await self._writer.close()
        self._pool = self._writer = None

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[Writer]:
        conn = self._writer
        if conn is None:
            raise RuntimeError("store is not open")
        async with self._lock:
            async with conn.transaction():
                yield _PgWriter(conn)

    async def _fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Sequence[Any]]:
        if self._pool is None:
            raise RuntimeError("store is not open")
        return list(await self._pool.fetch(to_dollar_params(sql), *args))
