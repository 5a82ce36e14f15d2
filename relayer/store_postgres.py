"""PostgreSQL implementation of :class:`relayer.store.Store` (asyncpg): several relayer
processes share one queue. Claims take rows with ``SELECT ... FOR UPDATE SKIP LOCKED`` and stamp
a lease in the same statement, so two workers never claim the same message; nonces come from a
wallet row locked ``FOR UPDATE`` in the transaction that records the signed transaction."""

from __future__ import annotations

import json
from typing import Any, Callable, Sequence

import asyncpg

from .store import CLAIMABLE, CheckpointRecord, LedgerTx, MessageRecord, MessageState

__all__ = ["PostgresStore", "SCHEMA"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS cursors (
    origin BIGINT PRIMARY KEY, block_number BIGINT NOT NULL, block_hash BYTEA NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    id BYTEA PRIMARY KEY, origin BIGINT NOT NULL, nonce BIGINT NOT NULL, destination BIGINT NOT NULL,
    message BYTEA NOT NULL, block_number BIGINT NOT NULL, block_hash BYTEA NOT NULL, tx_hash BYTEA NOT NULL,
    state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at DOUBLE PRECISION NOT NULL DEFAULT 0,
    last_error TEXT, lease_owner TEXT, lease_until DOUBLE PRECISION, observed_at DOUBLE PRECISION NOT NULL,
    delivered_at DOUBLE PRECISION, delivery_tx BYTEA, gas_used BIGINT,
    UNIQUE (origin, nonce));
CREATE INDEX IF NOT EXISTS messages_queue ON messages (destination, state, next_attempt_at);
CREATE TABLE IF NOT EXISTS wallets (
    chain_id BIGINT NOT NULL, sender TEXT NOT NULL, next_nonce BIGINT NOT NULL, PRIMARY KEY (chain_id, sender));
CREATE TABLE IF NOT EXISTS txs (
    tx_hash BYTEA PRIMARY KEY, chain_id BIGINT NOT NULL, sender TEXT NOT NULL, nonce BIGINT NOT NULL,
    raw BYTEA NOT NULL, kind TEXT NOT NULL, message_ids TEXT NOT NULL, state TEXT NOT NULL,
    max_fee TEXT NOT NULL, tip TEXT NOT NULL, gas BIGINT NOT NULL, owner TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL, gas_used BIGINT);
CREATE INDEX IF NOT EXISTS txs_nonce ON txs (chain_id, sender, nonce);
CREATE TABLE IF NOT EXISTS checkpoints (
    destination BIGINT NOT NULL, origin BIGINT NOT NULL, count BIGINT NOT NULL, root BYTEA NOT NULL,
    tree_root BYTEA NOT NULL, PRIMARY KEY (destination, origin, count));
"""

_MSG_COLS = ("id, origin, nonce, destination, message, block_number, block_hash, tx_hash, state, attempts, "
             "next_attempt_at, last_error, lease_owner, lease_until, observed_at, delivered_at, delivery_tx, gas_used")
_TX_COLS = "tx_hash, chain_id, sender, nonce, raw, kind, message_ids, state, max_fee, tip, gas, owner, created_at, gas_used"
_LOCK_KEY = 0x6F6D6E6974
"""Advisory lock taken while creating the schema (several processes start at once)."""


def _msg(row: Any) -> MessageRecord:
    r = list(row)
    r[8] = MessageState(r[8])
    return MessageRecord(*r)


def _tx(row: Any) -> LedgerTx:
    (h, chain, sender, nonce, raw, kind, ids, state, max_fee, tip, gas, owner, created, used) = row
    return LedgerTx(bytes(h), chain, sender, nonce, bytes(raw), kind, tuple(bytes.fromhex(i) for i in json.loads(ids)),
                    state, int(max_fee), int(tip), gas, owner, created, used)


class PostgresStore:
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

    # indexer
    async def get_cursor(self, origin: int) -> tuple[int, bytes] | None:
        row = await self.pool.fetchrow("SELECT block_number, block_hash FROM cursors WHERE origin = $1", origin)
        return (row[0], bytes(row[1])) if row else None

    async def set_cursor(self, origin: int, block_number: int, block_hash: bytes) -> None:
        await self.pool.execute("INSERT INTO cursors VALUES ($1, $2, $3) ON CONFLICT (origin) DO UPDATE SET "
                                "block_number = excluded.block_number, block_hash = excluded.block_hash",
                                origin, block_number, block_hash)

    async def add_messages(self, records: Sequence[MessageRecord]) -> int:
        n = 0
        async with self.pool.acquire() as conn, conn.transaction():
            for r in records:
                status = await conn.execute(
                    f"INSERT INTO messages ({_MSG_COLS}) VALUES ({', '.join(f'${i}' for i in range(1, 19))}) "
                    "ON CONFLICT DO NOTHING",
                    r.id, r.origin, r.nonce, r.destination, r.message, r.block_number, r.block_hash, r.tx_hash,
                    r.state.value, r.attempts, r.next_attempt_at, r.last_error, r.lease_owner, r.lease_until,
                    r.observed_at, r.delivered_at, r.delivery_tx, r.gas_used)
                n += int(status.split()[-1])
        return n

    async def rewind(self, origin: int, from_block: int) -> int:
        async with self.pool.acquire() as conn, conn.transaction():
            status = await conn.execute("DELETE FROM messages WHERE origin = $1 AND block_number >= $2 AND state != $3",
                                        origin, from_block, MessageState.DELIVERED.value)
            await conn.execute("UPDATE cursors SET block_number = $1, block_hash = $2 WHERE origin = $3",
                               from_block - 1, b"", origin)
        return int(status.split()[-1])

    async def contiguous_count(self, origin: int) -> int:
        # the first nonce whose row is missing: nonces are unique, so count(nonce < k) == k up to the gap
        row = await self.pool.fetchrow(
            "SELECT COALESCE(MIN(m.nonce + 1), 0) FROM messages m WHERE m.origin = $1 AND NOT EXISTS "
            "(SELECT 1 FROM messages n WHERE n.origin = m.origin AND n.nonce = m.nonce + 1)", origin)
        first_missing = row[0]
        has_zero = await self.pool.fetchval("SELECT 1 FROM messages WHERE origin = $1 AND nonce = 0", origin)
        return int(first_missing) if has_zero else 0

    async def ids_upto(self, origin: int, count: int) -> list[bytes]:
        rows = await self.pool.fetch("SELECT id FROM messages WHERE origin = $1 AND nonce < $2 ORDER BY nonce",
                                     origin, count)
        return [bytes(r[0]) for r in rows]

    # queue
    async def claim(self, destination: int, owner: str, now: float, lease: float, limit: int) -> list[MessageRecord]:
        rows = await self.pool.fetch(
            f"UPDATE messages SET lease_owner = $1, lease_until = $2 WHERE id IN ("
            "SELECT id FROM messages WHERE destination = $3 AND state = ANY($4::text[]) AND next_attempt_at <= $5 "
            "AND (lease_until IS NULL OR lease_until < $5 OR lease_owner = $1) "
            "ORDER BY origin, nonce LIMIT $6 FOR UPDATE SKIP LOCKED) "
            f"RETURNING {_MSG_COLS}", owner, now + lease, destination, list(CLAIMABLE), now, limit)
        return sorted((_msg(r) for r in rows), key=lambda m: (m.origin, m.nonce))

    async def release(self, ids: Sequence[bytes], owner: str) -> None:
        await self.pool.execute("UPDATE messages SET lease_owner = NULL, lease_until = NULL "
                                "WHERE id = ANY($1::bytea[]) AND lease_owner = $2", list(ids), owner)

    async def mark_delivered(self, ids: Sequence[bytes], tx_hash: bytes | None, gas_used: int | None, now: float) -> None:
        await self.pool.execute(
            "UPDATE messages SET state = $1, delivered_at = COALESCE(delivered_at, $2), "
            "delivery_tx = COALESCE($3, delivery_tx), gas_used = COALESCE($4, gas_used), "
            "lease_owner = NULL, lease_until = NULL, last_error = NULL WHERE id = ANY($5::bytea[])",
            MessageState.DELIVERED.value, now, tx_hash, gas_used, list(ids))

    async def reschedule(self, ids: Sequence[bytes], state: MessageState, reason: str | None,
                         next_attempt_at: float, count_attempt: bool) -> None:
        await self.pool.execute(
            "UPDATE messages SET state = $1, last_error = $2, next_attempt_at = $3, attempts = attempts + $4, "
            "lease_owner = NULL, lease_until = NULL WHERE id = ANY($5::bytea[]) AND state != $6",
            state.value, reason, next_attempt_at, int(count_attempt), list(ids), MessageState.DELIVERED.value)

    async def get_message(self, message_id: bytes) -> MessageRecord | None:
        row = await self.pool.fetchrow(f"SELECT {_MSG_COLS} FROM messages WHERE id = $1", message_id)
        return _msg(row) if row else None

    async def counts_by_state(self) -> dict[str, int]:
        return {r[0]: r[1] for r in await self.pool.fetch("SELECT state, COUNT(*) FROM messages GROUP BY state")}

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
            await conn.execute(f"INSERT INTO txs ({_TX_COLS}) VALUES ({', '.join(f'${i}' for i in range(1, 15))})",
                               tx.tx_hash, chain_id, sender, use, tx.raw, tx.kind,
                               json.dumps([i.hex() for i in tx.message_ids]), tx.state, str(tx.max_fee), str(tx.tip),
                               tx.gas, tx.owner, tx.created_at, None)
            if tx.message_ids:
                await conn.execute("UPDATE messages SET state = $1, delivery_tx = $2 WHERE id = ANY($3::bytea[]) "
                                   "AND state != $4", MessageState.SUBMITTED.value, tx.tx_hash, list(tx.message_ids),
                                   MessageState.DELIVERED.value)
            return tx

    async def update_tx(self, tx_hash: bytes, state: str, gas_used: int | None = None) -> None:
        await self.pool.execute("UPDATE txs SET state = $1, gas_used = COALESCE($2, gas_used) WHERE tx_hash = $3",
                                state, gas_used, tx_hash)

    async def get_tx(self, tx_hash: bytes) -> LedgerTx | None:
        row = await self.pool.fetchrow(f"SELECT {_TX_COLS} FROM txs WHERE tx_hash = $1", tx_hash)
        return _tx(row) if row else None

    async def txs_with_nonce(self, chain_id: int, sender: str, nonce: int) -> list[LedgerTx]:
        rows = await self.pool.fetch(f"SELECT {_TX_COLS} FROM txs WHERE chain_id = $1 AND sender = $2 AND nonce = $3 "
                                     "ORDER BY created_at", chain_id, sender, nonce)
        return [_tx(r) for r in rows]

    async def open_txs(self, chain_id: int, sender: str) -> list[LedgerTx]:
        rows = await self.pool.fetch(f"SELECT {_TX_COLS} FROM txs WHERE chain_id = $1 AND sender = $2 AND state IN "
                                     "('recorded', 'sent') ORDER BY nonce, created_at", chain_id, sender)
        return [_tx(r) for r in rows]

    async def gas_spent(self) -> int:
        return int(await self.pool.fetchval("SELECT COALESCE(SUM(gas_used), 0) FROM txs"))

    # checkpoints
    async def save_checkpoint(self, record: CheckpointRecord) -> None:
        await self.pool.execute("INSERT INTO checkpoints VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                                record.destination, record.origin, record.count, record.root, record.tree_root)

    async def covering_checkpoint(self, destination: int, origin: int, nonce: int) -> CheckpointRecord | None:
        row = await self.pool.fetchrow("SELECT destination, origin, count, root, tree_root FROM checkpoints "
                                       "WHERE destination = $1 AND origin = $2 AND count > $3 "
                                       "ORDER BY count DESC LIMIT 1", destination, origin, nonce)
        if row is None:
            return None
        return CheckpointRecord(row[0], row[1], row[2], bytes(row[3]), bytes(row[4]))
