"""What the SQLite and PostgreSQL stores share: the schema, the statements, the row conversions
and the methods whose SQL is the same on both.

Statements are written with ``?`` placeholders (SQLite's); :func:`numbered` turns them into
PostgreSQL's ``$1, $2, ...``. A ``{ids}`` field in a statement stands for the match on a set of
message ids, which each driver fills its own way (one statement per id, or ``= ANY(array)``).
The driver-specific parts stay in :mod:`relayer.store_sqlite` and :mod:`relayer.store_postgres`:
connections and transactions, claims (``SKIP LOCKED``), the wallet nonce lock, gap counting.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Sequence

from .store import CheckpointRecord, LedgerTx, MessageRecord, MessageState

__all__ = ["SqlStore", "schema", "numbered", "MSG_COLS", "TX_COLS"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cursors (
    origin {int} PRIMARY KEY, block_number {int} NOT NULL, block_hash {blob} NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    id {blob} PRIMARY KEY, origin {int} NOT NULL, nonce {int} NOT NULL, destination {int} NOT NULL,
    message {blob} NOT NULL, block_number {int} NOT NULL, block_hash {blob} NOT NULL, tx_hash {blob} NOT NULL,
    state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at {real} NOT NULL DEFAULT 0,
    last_error TEXT, lease_owner TEXT, lease_until {real}, observed_at {real} NOT NULL,
    delivered_at {real}, delivery_tx {blob}, gas_used {int},
    UNIQUE (origin, nonce));
CREATE INDEX IF NOT EXISTS messages_queue ON messages (destination, state, next_attempt_at);
CREATE TABLE IF NOT EXISTS wallets (
    chain_id {int} NOT NULL, sender TEXT NOT NULL, next_nonce {int} NOT NULL, PRIMARY KEY (chain_id, sender));
CREATE TABLE IF NOT EXISTS txs (
    tx_hash {blob} PRIMARY KEY, chain_id {int} NOT NULL, sender TEXT NOT NULL, nonce {int} NOT NULL,
    raw {blob} NOT NULL, kind TEXT NOT NULL, message_ids TEXT NOT NULL, state TEXT NOT NULL,
    max_fee TEXT NOT NULL, tip TEXT NOT NULL, gas {int} NOT NULL, owner TEXT NOT NULL,
    created_at {real} NOT NULL, gas_used {int});
CREATE INDEX IF NOT EXISTS txs_nonce ON txs (chain_id, sender, nonce);
CREATE TABLE IF NOT EXISTS checkpoints (
    destination {int} NOT NULL, origin {int} NOT NULL, count {int} NOT NULL, root {blob} NOT NULL,
    tree_root {blob} NOT NULL, PRIMARY KEY (destination, origin, count));
"""


def schema(int_type: str, blob_type: str, real_type: str) -> str:
    """The tables, with the driver's names for 64-bit integers, byte strings and doubles."""
    return _SCHEMA.format(int=int_type, blob=blob_type, real=real_type)


@lru_cache(maxsize=None)
def numbered(sql: str) -> str:
    """``sql`` with its ``?`` placeholders numbered ``$1, $2, ...`` (PostgreSQL)."""
    counter = iter(range(1, sql.count("?") + 1))
    return re.sub(r"\?", lambda _: f"${next(counter)}", sql)


MSG_COLS = ("id, origin, nonce, destination, message, block_number, block_hash, tx_hash, state, attempts, "
            "next_attempt_at, last_error, lease_owner, lease_until, observed_at, delivered_at, delivery_tx, gas_used")
TX_COLS = "tx_hash, chain_id, sender, nonce, raw, kind, message_ids, state, max_fee, tip, gas, owner, created_at, gas_used"

INSERT_MESSAGE = f"INSERT INTO messages ({MSG_COLS}) VALUES ({', '.join('?' * 18)}) ON CONFLICT DO NOTHING"
DELETE_UNDELIVERED_FROM = "DELETE FROM messages WHERE origin = ? AND block_number >= ? AND state != ?"
REWIND_CURSOR = "UPDATE cursors SET block_number = ?, block_hash = ? WHERE origin = ?"
INSERT_TX = f"INSERT INTO txs ({TX_COLS}) VALUES ({', '.join('?' * 14)})"
MARK_SUBMITTED = "UPDATE messages SET state = ?, delivery_tx = ? WHERE {ids} AND state != ?"
RELEASE = "UPDATE messages SET lease_owner = NULL, lease_until = NULL WHERE {ids} AND lease_owner = ?"
MARK_DELIVERED = ("UPDATE messages SET state = ?, delivered_at = COALESCE(delivered_at, ?), "
                  "delivery_tx = COALESCE(?, delivery_tx), gas_used = COALESCE(?, gas_used), "
                  "lease_owner = NULL, lease_until = NULL, last_error = NULL WHERE {ids}")
RESCHEDULE = ("UPDATE messages SET state = ?, last_error = ?, next_attempt_at = ?, attempts = attempts + ?, "
              "lease_owner = NULL, lease_until = NULL WHERE {ids} AND state != ?")


def msg_record(row: Any) -> MessageRecord:
    """A ``messages`` row (columns :data:`MSG_COLS`) as a record."""
    r = list(row)
    r[8] = MessageState(r[8])
    for i in (0, 4, 6, 7, 16):
        r[i] = bytes(r[i]) if r[i] is not None else None
    return MessageRecord(*r)


def msg_values(r: MessageRecord) -> tuple[Any, ...]:
    """The parameters of :data:`INSERT_MESSAGE` for ``r``."""
    return (r.id, r.origin, r.nonce, r.destination, r.message, r.block_number, r.block_hash, r.tx_hash,
            r.state.value, r.attempts, r.next_attempt_at, r.last_error, r.lease_owner, r.lease_until,
            r.observed_at, r.delivered_at, r.delivery_tx, r.gas_used)


def tx_record(row: Any) -> LedgerTx:
    """A ``txs`` row (columns :data:`TX_COLS`) as a record."""
    (h, chain, sender, nonce, raw, kind, ids, state, max_fee, tip, gas, owner, created, used) = row
    return LedgerTx(bytes(h), chain, sender, nonce, bytes(raw), kind, tuple(bytes.fromhex(i) for i in json.loads(ids)),
                    state, int(max_fee), int(tip), gas, owner, created, used)


def tx_values(tx: LedgerTx, chain_id: int, sender: str, nonce: int) -> tuple[Any, ...]:
    """The parameters of :data:`INSERT_TX` for ``tx`` signed with ``nonce`` (not yet mined)."""
    return (tx.tx_hash, chain_id, sender, nonce, tx.raw, tx.kind, json.dumps([i.hex() for i in tx.message_ids]),
            tx.state, str(tx.max_fee), str(tx.tip), tx.gas, tx.owner, tx.created_at, None)


class SqlStore:
    """The :class:`relayer.store.Store` methods that are the same SQL on both drivers. A driver
    supplies :meth:`_all` (rows of a query), :meth:`_execute` (one committed statement) and
    :meth:`_execute_ids` (one committed statement over a set of message ids), all taking
    ``?`` placeholders."""

    async def _all(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        raise NotImplementedError

    async def _execute(self, sql: str, args: Sequence[Any] = ()) -> None:
        raise NotImplementedError

    async def _execute_ids(self, sql: str, before: Sequence[Any], ids: Sequence[bytes],
                           after: Sequence[Any] = ()) -> None:
        """Run ``sql`` (its ``{ids}`` field the match on ``ids``) with the parameters
        ``before``, the ids, ``after``: one DB transaction."""
        raise NotImplementedError

    # indexer
    async def get_cursor(self, origin: int) -> tuple[int, bytes] | None:
        rows = await self._all("SELECT block_number, block_hash FROM cursors WHERE origin = ?", (origin,))
        return (rows[0][0], bytes(rows[0][1])) if rows else None

    async def set_cursor(self, origin: int, block_number: int, block_hash: bytes) -> None:
        await self._execute("INSERT INTO cursors VALUES (?, ?, ?) ON CONFLICT (origin) DO UPDATE SET "
                            "block_number = excluded.block_number, block_hash = excluded.block_hash",
                            (origin, block_number, block_hash))

    async def ids_upto(self, origin: int, count: int) -> list[bytes]:
        rows = await self._all("SELECT id FROM messages WHERE origin = ? AND nonce < ? ORDER BY nonce", (origin, count))
        return [bytes(r[0]) for r in rows]

    # queue
    async def release(self, ids: Sequence[bytes], owner: str) -> None:
        await self._execute_ids(RELEASE, (), ids, (owner,))

    async def mark_delivered(self, ids: Sequence[bytes], tx_hash: bytes | None, gas_used: int | None, now: float) -> None:
        await self._execute_ids(MARK_DELIVERED, (MessageState.DELIVERED.value, now, tx_hash, gas_used), ids)

    async def reschedule(self, ids: Sequence[bytes], state: MessageState, reason: str | None,
                         next_attempt_at: float, count_attempt: bool) -> None:
        await self._execute_ids(RESCHEDULE, (state.value, reason, next_attempt_at, int(count_attempt)), ids,
                                (MessageState.DELIVERED.value,))

    async def get_message(self, message_id: bytes) -> MessageRecord | None:
        rows = await self._all(f"SELECT {MSG_COLS} FROM messages WHERE id = ?", (message_id,))
        return msg_record(rows[0]) if rows else None

    async def counts_by_state(self) -> dict[str, int]:
        return {r[0]: r[1] for r in await self._all("SELECT state, COUNT(*) FROM messages GROUP BY state")}

    # nonce ledger
    async def update_tx(self, tx_hash: bytes, state: str, gas_used: int | None = None) -> None:
        await self._execute("UPDATE txs SET state = ?, gas_used = COALESCE(?, gas_used) WHERE tx_hash = ?",
                            (state, gas_used, tx_hash))

    async def get_tx(self, tx_hash: bytes) -> LedgerTx | None:
        rows = await self._all(f"SELECT {TX_COLS} FROM txs WHERE tx_hash = ?", (tx_hash,))
        return tx_record(rows[0]) if rows else None

    async def txs_with_nonce(self, chain_id: int, sender: str, nonce: int) -> list[LedgerTx]:
        rows = await self._all(f"SELECT {TX_COLS} FROM txs WHERE chain_id = ? AND sender = ? AND nonce = ? "
                               "ORDER BY created_at", (chain_id, sender, nonce))
        return [tx_record(r) for r in rows]

    async def open_txs(self, chain_id: int, sender: str) -> list[LedgerTx]:
        rows = await self._all(f"SELECT {TX_COLS} FROM txs WHERE chain_id = ? AND sender = ? AND state IN "
                               "('recorded', 'sent') ORDER BY nonce, created_at", (chain_id, sender))
        return [tx_record(r) for r in rows]

    async def gas_spent(self) -> int:
        rows = await self._all("SELECT COALESCE(SUM(gas_used), 0) FROM txs")
        return int(rows[0][0])

    # checkpoints
    async def save_checkpoint(self, record: CheckpointRecord) -> None:
        await self._execute("INSERT INTO checkpoints VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                            (record.destination, record.origin, record.count, record.root, record.tree_root))

    async def covering_checkpoint(self, destination: int, origin: int, nonce: int) -> CheckpointRecord | None:
        rows = await self._all("SELECT destination, origin, count, root, tree_root FROM checkpoints "
                               "WHERE destination = ? AND origin = ? AND count > ? ORDER BY count DESC LIMIT 1",
                               (destination, origin, nonce))
        if not rows:
            return None
        d, o, c, r, t = rows[0]
        return CheckpointRecord(d, o, c, bytes(r), bytes(t))
