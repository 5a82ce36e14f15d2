"""PostgreSQL implementation of :class:`relayer.store.Store` (asyncpg): several relayer
processes share one queue. Claims take rows with ``SELECT ... FOR UPDATE SKIP LOCKED`` and stamp
a lease in the same statement, so two workers never claim the same message; nonces come from a
wallet row locked ``FOR UPDATE`` in the transaction that records the signed transaction. The SQL
it shares with the SQLite store is in :mod:`relayer.store_sql` (``?`` placeholders, numbered
here)."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import asyncpg

from . import store_sql as shared
from .store import CLAIMABLE, LedgerTx, MessageRecord, MessageState

__all__ = ["PostgresStore", "SCHEMA"]

SCHEMA = shared.schema("BIGINT", "BYTEA", "DOUBLE PRECISION")

_LOCK_KEY = 0x6F6D6E6974
"""Advisory lock taken while creating the schema (several processes start at once)."""


def _ids_sql(sql: str) -> str:
    """A shared statement over a set of ids: one array parameter, numbered placeholders."""
    return shared.numbered(sql.format(ids="id = ANY(?::bytea[])"))


class PostgresStore(shared.SqlStore):
    """The shared queue: a connection pool; every method is one DB transaction."""

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 5) -> None:
        self.url = url
        self._pool: asyncpg.Pool | None = None
        self._sizes = (min_size, max_size)

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("store not initialised")
        return self._pool

    async def init(self) -> None:
        self._pool = await asyncpg.create_pool(self.url, min_size=self._sizes[0], max_size=self._sizes[1])
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
            await conn.execute(SCHEMA)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def _all(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        return await self.pool.fetch(shared.numbered(sql), *args)

    async def _execute(self, sql: str, args: Sequence[Any] = ()) -> None:
        await self.pool.execute(shared.numbered(sql), *args)

    async def _execute_ids(self, sql: str, before: Sequence[Any], ids: Sequence[bytes],
                           after: Sequence[Any] = ()) -> None:
        await self.pool.execute(_ids_sql(sql), *before, list(ids), *after)

    # indexer
    async def add_messages(self, records: Sequence[MessageRecord]) -> int:
        n = 0
        async with self.pool.acquire() as conn, conn.transaction():
            for r in records:
                status = await conn.execute(shared.numbered(shared.INSERT_MESSAGE), *shared.msg_values(r))
                n += int(status.split()[-1])
        return n

    async def rewind(self, origin: int, from_block: int) -> int:
        async with self.pool.acquire() as conn, conn.transaction():
            status = await conn.execute(shared.numbered(shared.DELETE_UNDELIVERED_FROM), origin, from_block,
                                        MessageState.DELIVERED.value)
            await conn.execute(shared.numbered(shared.REWIND_CURSOR), from_block - 1, b"", origin)
        return int(status.split()[-1])

    async def contiguous_count(self, origin: int) -> int:
        # the first nonce whose row is missing: nonces are unique, so count(nonce < k) == k up to the gap
        row = await self.pool.fetchrow(
            "SELECT COALESCE(MIN(m.nonce + 1), 0) FROM messages m WHERE m.origin = $1 AND NOT EXISTS "
            "(SELECT 1 FROM messages n WHERE n.origin = m.origin AND n.nonce = m.nonce + 1)", origin)
        first_missing = row[0]
        has_zero = await self.pool.fetchval("SELECT 1 FROM messages WHERE origin = $1 AND nonce = 0", origin)
        return int(first_missing) if has_zero else 0

    # queue
    async def claim(self, destination: int, owner: str, now: float, lease: float, limit: int) -> list[MessageRecord]:
        rows = await self.pool.fetch(
            f"UPDATE messages SET lease_owner = $1, lease_until = $2 WHERE id IN ("
            "SELECT id FROM messages WHERE destination = $3 AND state = ANY($4::text[]) AND next_attempt_at <= $5 "
            "AND (lease_until IS NULL OR lease_until < $5 OR lease_owner = $1) "
            "ORDER BY origin, nonce LIMIT $6 FOR UPDATE SKIP LOCKED) "
            f"RETURNING {shared.MSG_COLS}", owner, now + lease, destination, list(CLAIMABLE), now, limit)
        return sorted((shared.msg_record(r) for r in rows), key=lambda m: (m.origin, m.nonce))

    # nonce ledger
    async def record_tx(self, chain_id: int, sender: str, chain_nonce: int, sign: Callable[[int], LedgerTx],
                        nonce: int | None = None) -> LedgerTx:
        async with self.pool.acquire() as conn, conn.transaction():
            if nonce is None:
                await conn.execute("INSERT INTO wallets VALUES ($1, $2, 0) ON CONFLICT DO NOTHING", chain_id, sender)
                stored = await conn.fetchval("SELECT next_nonce FROM wallets WHERE chain_id = $1 AND sender = $2 "
                                             "FOR UPDATE", chain_id, sender)
                use = max(chain_nonce, stored)
                await conn.execute("UPDATE wallets SET next_nonce = $1 WHERE chain_id = $2 AND sender = $3",
                                   use + 1, chain_id, sender)
            else:
                use = nonce
            tx = sign(use)
            await conn.execute(shared.numbered(shared.INSERT_TX), *shared.tx_values(tx, chain_id, sender, use))
            if tx.message_ids:
                await conn.execute(_ids_sql(shared.MARK_SUBMITTED), MessageState.SUBMITTED.value, tx.tx_hash,
                                   list(tx.message_ids), MessageState.DELIVERED.value)
            return tx
