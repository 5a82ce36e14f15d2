"""SQLite implementation of the store (aiosqlite): the embedded default.

Durability: WAL journal with ``synchronous=FULL``, so a commit is fsynced before ``commit``
returns; a ``kill -9`` (or power loss) after the return keeps the transaction. One writer
connection (``BEGIN IMMEDIATE`` takes the database write lock up front, so two processes on one
file serialize instead of deadlocking) and one reader connection (WAL readers never block the
writer and see only committed transactions).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Sequence

import aiosqlite

from .errors import UnsupportedURL
from .sql import SqlStore, Writer

__all__ = ["SqliteStore", "sqlite_path", "BUSY_TIMEOUT_MS"]

BUSY_TIMEOUT_MS = 30_000
"""How long a connection waits for another process's write lock before failing."""

_PRAGMAS = (
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",  # first: the journal switch may wait for a lock
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=OFF",
    "PRAGMA cache_size=-65536",
)

_JOURNAL_RETRIES = 50
"""Attempts at switching a brand-new file to WAL while another process does the same."""


def sqlite_path(url: str) -> str:
    """``sqlite:///rel/path`` -> ``rel/path``; ``sqlite:////abs/path`` -> ``/abs/path``."""
    if not url.startswith("sqlite:///"):
        raise UnsupportedURL(url)
    path = url[len("sqlite:///"):]
    if not path or path == ":memory:":
        raise UnsupportedURL(url + " (an in-memory database cannot be shared; use a file)")
    return path


class _SqliteWriter(Writer):
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        async with self._conn.execute(sql, tuple(args)) as cur:
            return cur.rowcount

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        async with self._conn.executemany(sql, rows):
            pass

    async def fetchone(self, sql: str, args: Sequence[Any] = ()) -> Sequence[Any] | None:
        async with self._conn.execute(sql, tuple(args)) as cur:
            return await cur.fetchone()


class SqliteStore(SqlStore):
    """The store on one SQLite file."""

    dialect = "sqlite"

    def __init__(self, url: str, clock: Callable[[], float] = time.time) -> None:
        super().__init__(clock)
        self.url = url
        self.path = sqlite_path(url)
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        for pragma in _PRAGMAS:
            for attempt in range(_JOURNAL_RETRIES):
                try:
                    await conn.execute(pragma)
                    break
                except sqlite3.OperationalError:  # "database is locked" on a racing switch
                    if attempt == _JOURNAL_RETRIES - 1:
                        await conn.close()
                        raise
                    await asyncio.sleep(0.02)
        return conn

    async def open(self) -> None:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._writer = await self._connect()
        async with self._write() as w:
            await self._migrate(w)
        self._reader = await self._connect()
        await self._reader.execute("PRAGMA query_only=ON")

    async def close(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[Writer]:
        conn = self._writer
        if conn is None:
            raise RuntimeError("store is not open")
        async with self._lock:
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteWriter(conn)
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            else:
                await conn.execute("COMMIT")

    async def _fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Sequence[Any]]:
        conn = self._reader
        if conn is None:
            raise RuntimeError("store is not open")
        async with conn.execute(sql, tuple(args)) as cur:
            return list(await cur.fetchall())
