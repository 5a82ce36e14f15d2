"""SQLite implementation of :class:`relayer.store.Store` (one process; aiosqlite, WAL)."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable, Sequence

import aiosqlite

from .store import CLAIMABLE, CheckpointRecord, LedgerTx, MessageRecord, MessageState

__all__ = ["SqliteStore", "SCHEMA"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS cursors (
    origin INTEGER PRIMARY KEY, block_number INTEGER NOT NULL, block_hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    id BLOB PRIMARY KEY, origin INTEGER NOT NULL, nonce INTEGER NOT NULL, destination INTEGER NOT NULL,
    message BLOB NOT NULL, block_number INTEGER NOT NULL, block_hash BLOB NOT NULL, tx_hash BLOB NOT NULL,
    state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error TEXT, lease_owner TEXT, lease_until REAL, observed_at REAL NOT NULL,
    delivered_at REAL, delivery_tx BLOB, gas_used INTEGER,
    UNIQUE (origin, nonce));
CREATE INDEX IF NOT EXISTS messages_queue ON messages (destination, state, next_attempt_at);
CREATE TABLE IF NOT EXISTS wallets (
    chain_id INTEGER NOT NULL, sender TEXT NOT NULL, next_nonce INTEGER NOT NULL, PRIMARY KEY (chain_id, sender));
CREATE TABLE IF NOT EXISTS txs (
    tx_hash BLOB PRIMARY KEY, chain_id INTEGER NOT NULL, sender TEXT NOT NULL, nonce INTEGER NOT NULL,
    raw BLOB NOT NULL, kind TEXT NOT NULL, message_ids TEXT NOT NULL, state TEXT NOT NULL,
    max_fee TEXT NOT NULL, tip TEXT NOT NULL, gas INTEGER NOT NULL, owner TEXT NOT NULL,
    created_at REAL NOT NULL, gas_used INTEGER);
CREATE INDEX IF NOT EXISTS txs_nonce ON txs (chain_id, sender, nonce);
CREATE TABLE IF NOT EXISTS checkpoints (
    destination INTEGER NOT NULL, origin INTEGER NOT NULL, count INTEGER NOT NULL, root BLOB NOT NULL,
    tree_root BLOB NOT NULL, PRIMARY KEY (destination, origin, count));
"""
"""The schema (the PostgreSQL one has the same tables and columns)."""

_MSG_COLS = ("id, origin, nonce, destination, message, block_number, block_hash, tx_hash, state, attempts, "
             "next_attempt_at, last_error, lease_owner, lease_until, observed_at, delivered_at, delivery_tx, gas_used")
_TX_COLS = "tx_hash, chain_id, sender, nonce, raw, kind, message_ids, state, max_fee, tip, gas, owner, created_at, gas_used"


def _msg(row: Any) -> MessageRecord:
    r = list(row)
    r[8] = MessageState(r[8])
    for i in (0, 4, 6, 7, 16):
        r[i] = bytes(r[i]) if r[i] is not None else None
    return MessageRecord(*r)


def _tx(row: Any) -> LedgerTx:
    (h, chain, sender, nonce, raw, kind, ids, state, max_fee, tip, gas, owner, created, used) = row
    return LedgerTx(bytes(h), chain, sender, nonce, bytes(raw), kind, tuple(bytes.fromhex(i) for i in json.loads(ids)),
                    state, int(max_fee), int(tip), gas, owner, created, used)


class SqliteStore:
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

    # indexer
    async def get_cursor(self, origin: int) -> tuple[int, bytes] | None:
        rows = await self._all("SELECT block_number, block_hash FROM cursors WHERE origin = ?", (origin,))
        return (rows[0][0], bytes(rows[0][1])) if rows else None

    async def set_cursor(self, origin: int, block_number: int, block_hash: bytes) -> None:
        async def go(db: aiosqlite.Connection) -> None:
            await db.execute("INSERT INTO cursors VALUES (?, ?, ?) ON CONFLICT (origin) DO UPDATE SET "
                             "block_number = excluded.block_number, block_hash = excluded.block_hash",
                             (origin, block_number, block_hash))
        await self._write(go)

    async def add_messages(self, records: Sequence[MessageRecord]) -> int:
        async def go(db: aiosqlite.Connection) -> int:
            n = 0
            for r in records:
                cur = await db.execute(
                    f"INSERT INTO messages ({_MSG_COLS}) VALUES ({', '.join('?' * 18)}) ON CONFLICT DO NOTHING",
                    (r.id, r.origin, r.nonce, r.destination, r.message, r.block_number, r.block_hash, r.tx_hash,
                     r.state.value, r.attempts, r.next_attempt_at, r.last_error, r.lease_owner, r.lease_until,
                     r.observed_at, r.delivered_at, r.delivery_tx, r.gas_used))
                n += cur.rowcount
            return n
        return await self._write(go)

    async def rewind(self, origin: int, from_block: int) -> int:
        async def go(db: aiosqlite.Connection) -> int:
            cur = await db.execute("DELETE FROM messages WHERE origin = ? AND block_number >= ? AND state != ?",
                                   (origin, from_block, MessageState.DELIVERED.value))
            await db.execute("UPDATE cursors SET block_number = ?, block_hash = ? WHERE origin = ?",
                             (from_block - 1, b"", origin))
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

    async def ids_upto(self, origin: int, count: int) -> list[bytes]:
        rows = await self._all("SELECT id FROM messages WHERE origin = ? AND nonce < ? ORDER BY nonce", (origin, count))
        return [bytes(r[0]) for r in rows]

    # queue
    async def claim(self, destination: int, owner: str, now: float, lease: float, limit: int) -> list[MessageRecord]:
        async def go(db: aiosqlite.Connection) -> list[MessageRecord]:
            rows = await self._all(
                f"SELECT {_MSG_COLS} FROM messages WHERE destination = ? AND state IN (?, ?, ?) "
                "AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ? OR lease_owner = ?) "
                "ORDER BY origin, nonce LIMIT ?", (destination, *CLAIMABLE, now, now, owner, limit))
            for row in rows:
                await db.execute("UPDATE messages SET lease_owner = ?, lease_until = ? WHERE id = ?",
                                 (owner, now + lease, row[0]))
            return [_msg(r) for r in rows]
        return await self._write(go)

    async def release(self, ids: Sequence[bytes], owner: str) -> None:
        async def go(db: aiosqlite.Connection) -> None:
            for i in ids:
                await db.execute("UPDATE messages SET lease_owner = NULL, lease_until = NULL "
                                 "WHERE id = ? AND lease_owner = ?", (i, owner))
        await self._write(go)

    async def mark_delivered(self, ids: Sequence[bytes], tx_hash: bytes | None, gas_used: int | None, now: float) -> None:
        async def go(db: aiosqlite.Connection) -> None:
            for i in ids:
                await db.execute(
                    "UPDATE messages SET state = ?, delivered_at = COALESCE(delivered_at, ?), "
                    "delivery_tx = COALESCE(?, delivery_tx), gas_used = COALESCE(?, gas_used), "
                    "lease_owner = NULL, lease_until = NULL, last_error = NULL WHERE id = ?",
                    (MessageState.DELIVERED.value, now, tx_hash, gas_used, i))
        await self._write(go)

    async def reschedule(self, ids: Sequence[bytes], state: MessageState, reason: str | None,
                         next_attempt_at: float, count_attempt: bool) -> None:
        async def go(db: aiosqlite.Connection) -> None:
            for i in ids:
                await db.execute(
                    "UPDATE messages SET state = ?, last_error = ?, next_attempt_at = ?, attempts = attempts + ?, "
                    "lease_owner = NULL, lease_until = NULL WHERE id = ? AND state != ?",
                    (state.value, reason, next_attempt_at, int(count_attempt), i, MessageState.DELIVERED.value))
        await self._write(go)

    async def get_message(self, message_id: bytes) -> MessageRecord | None:
        rows = await self._all(f"SELECT {_MSG_COLS} FROM messages WHERE id = ?", (message_id,))
        return _msg(rows[0]) if rows else None

    async def counts_by_state(self) -> dict[str, int]:
        return {s: n for s, n in await self._all("SELECT state, COUNT(*) FROM messages GROUP BY state")}

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
            await db.execute(f"INSERT INTO txs ({_TX_COLS}) VALUES ({', '.join('?' * 14)})",
                             (tx.tx_hash, chain_id, sender, use, tx.raw, tx.kind,
                              json.dumps([i.hex() for i in tx.message_ids]), tx.state, str(tx.max_fee), str(tx.tip),
                              tx.gas, tx.owner, tx.created_at, None))
            for i in tx.message_ids:
                await db.execute("UPDATE messages SET state = ?, delivery_tx = ? WHERE id = ? AND state != ?",
                                 (MessageState.SUBMITTED.value, tx.tx_hash, i, MessageState.DELIVERED.value))
            return tx
        return await self._write(go)

    async def update_tx(self, tx_hash: bytes, state: str, gas_used: int | None = None) -> None:
        async def go(db: aiosqlite.Connection) -> None:
            await db.execute("UPDATE txs SET state = ?, gas_used = COALESCE(?, gas_used) WHERE tx_hash = ?",
                             (state, gas_used, tx_hash))
        await self._write(go)

    async def get_tx(self, tx_hash: bytes) -> LedgerTx | None:
        rows = await self._all(f"SELECT {_TX_COLS} FROM txs WHERE tx_hash = ?", (tx_hash,))
        return _tx(rows[0]) if rows else None

    async def txs_with_nonce(self, chain_id: int, sender: str, nonce: int) -> list[LedgerTx]:
        rows = await self._all(f"SELECT {_TX_COLS} FROM txs WHERE chain_id = ? AND sender = ? AND nonce = ? "
                               "ORDER BY created_at", (chain_id, sender, nonce))
        return [_tx(r) for r in rows]

    async def open_txs(self, chain_id: int, sender: str) -> list[LedgerTx]:
        rows = await self._all(f"SELECT {_TX_COLS} FROM txs WHERE chain_id = ? AND sender = ? AND state IN "
                               "('recorded', 'sent') ORDER BY nonce, created_at", (chain_id, sender))
        return [_tx(r) for r in rows]

    async def gas_spent(self) -> int:
        rows = await self._all("SELECT COALESCE(SUM(gas_used), 0) FROM txs")
        return int(rows[0][0])

    # checkpoints
    async def save_checkpoint(self, record: CheckpointRecord) -> None:
        async def go(db: aiosqlite.Connection) -> None:
            await db.execute("INSERT INTO checkpoints VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                             (record.destination, record.origin, record.count, record.root, record.tree_root))
        await self._write(go)

    async def covering_checkpoint(self, destination: int, origin: int, nonce: int) -> CheckpointRecord | None:
        rows = await self._all("SELECT destination, origin, count, root, tree_root FROM checkpoints "
                               "WHERE destination = ? AND origin = ? AND count > ? ORDER BY count DESC LIMIT 1",
                               (destination, origin, nonce))
        if not rows:
            return None
        d, o, c, r, t = rows[0]
        return CheckpointRecord(d, o, c, bytes(r), bytes(t))
