"""The nonce ledger: every L1 transaction a service signs, recorded BEFORE it is broadcast.

One SQLite file per signing service (``<data_dir>/batcher-ledger.sqlite``). A record is the
*intent* (nonce, purpose, target, calldata, gas, the frame of a blob batch) plus every signed
*attempt* (the first one and each fee-bumped replacement: hash, raw bytes, fees). After a crash
the service reloads the open records and rebroadcasts them with the same nonce, so a transaction
that may already be in a mempool is never built twice. Statuses:

``pending`` (signed, maybe broadcast, no receipt) -> ``included`` (receipt seen, not yet
``confirmations`` deep) -> ``confirmed``; or ``failed`` (mined and reverted), or ``dropped``
(the nonce was consumed by a transaction that is not in the ledger).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite

__all__ = ["NonceLedger", "LedgerTx", "Attempt", "PENDING", "INCLUDED", "CONFIRMED", "FAILED",
           "DROPPED", "OPEN_STATUSES"]

PENDING = "pending"
"""Signed (and recorded); no receipt seen yet."""
INCLUDED = "included"
"""Mined with status 1, fewer than ``confirmations`` blocks deep."""
CONFIRMED = "confirmed"
"""Mined, at least ``confirmations`` deep and on the canonical chain: final for the service."""
FAILED = "failed"
"""Mined and reverted."""
DROPPED = "dropped"
"""Its nonce was used by another transaction."""
OPEN_STATUSES = (PENDING, INCLUDED)
"""Statuses the transaction manager still watches."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS txs (
    nonce INTEGER PRIMARY KEY,
    purpose TEXT NOT NULL,
    meta TEXT NOT NULL,
    to_addr TEXT NOT NULL,
    data BLOB NOT NULL,
    gas INTEGER NOT NULL,
    blob_frame BLOB,
    status TEXT NOT NULL,
    included_block INTEGER,
    included_hash BLOB,
    tx_hash BLOB,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS attempts (
    nonce INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    tx_hash BLOB NOT NULL,
    raw BLOB NOT NULL,
    max_fee INTEGER NOT NULL,
    tip INTEGER NOT NULL,
    blob_fee INTEGER NOT NULL,
    sent_at REAL NOT NULL,
    PRIMARY KEY (nonce, seq)
);
"""


@dataclass(slots=True)
class Attempt:
    """One signed version of a ledger transaction (fees differ between attempts)."""

    seq: int
    tx_hash: bytes
    raw: bytes
    max_fee: int
    tip: int
    blob_fee: int
    sent_at: float


@dataclass(slots=True)
class LedgerTx:
    """A transaction of ours, by nonce. ``meta`` is the service's own JSON (batch index...)."""

    nonce: int
    purpose: str
    meta: dict[str, Any]
    to: str
    data: bytes
    gas: int
    blob_frame: bytes | None
    status: str = PENDING
    included_block: int | None = None
    included_hash: bytes | None = None
    tx_hash: bytes | None = None
    created: float = 0.0
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def latest(self) -> Attempt:
        """The newest attempt (the one to rebroadcast)."""
        return self.attempts[-1]


class NonceLedger:
    """SQLite ledger of one signer (see the module docstring)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._db: aiosqlite.Connection | None = None

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(self.path)
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=FULL")
        await db.executescript(_SCHEMA)
        await db.commit()
        self._db = db

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("ledger not open")
        return self._db

    async def record(self, tx: LedgerTx, attempt: Attempt) -> None:
        """Durably record a new transaction and its first attempt (one SQLite transaction)."""
        db = self.db
        await db.execute(
            "INSERT INTO txs (nonce, purpose, meta, to_addr, data, gas, blob_frame, status, "
            "created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (tx.nonce, tx.purpose, json.dumps(tx.meta, sort_keys=True), tx.to, tx.data, tx.gas,
             tx.blob_frame, tx.status, tx.created))
        await self._insert_attempt(tx.nonce, attempt)
        await db.commit()
        tx.attempts.append(attempt)

    async def add_attempt(self, tx: LedgerTx, attempt: Attempt) -> None:
        """Durably record a replacement before it is broadcast."""
        await self._insert_attempt(tx.nonce, attempt)
        await self.db.commit()
        tx.attempts.append(attempt)

    async def _insert_attempt(self, nonce: int, a: Attempt) -> None:
        await self.db.execute(
            "INSERT INTO attempts (nonce, seq, tx_hash, raw, max_fee, tip, blob_fee, sent_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (nonce, a.seq, a.tx_hash, a.raw, str(a.max_fee), str(a.tip), str(a.blob_fee),
             a.sent_at))

    async def touch(self, tx: LedgerTx, sent_at: float) -> None:
        """Note a rebroadcast of the latest attempt."""
        tx.latest.sent_at = sent_at
        await self.db.execute("UPDATE attempts SET sent_at = ? WHERE nonce = ? AND seq = ?",
                              (sent_at, tx.nonce, tx.latest.seq))
        await self.db.commit()

    async def set_status(self, tx: LedgerTx, status: str, block: int | None = None,
                         block_hash: bytes | None = None, tx_hash: bytes | None = None) -> None:
        tx.status, tx.included_block, tx.included_hash, tx.tx_hash = status, block, block_hash, tx_hash
        await self.db.execute(
            "UPDATE txs SET status = ?, included_block = ?, included_hash = ?, tx_hash = ? "
            "WHERE nonce = ?", (status, block, block_hash, tx_hash, tx.nonce))
        await self.db.commit()

    async def _load(self, where: str, args: tuple[Any, ...]) -> list[LedgerTx]:
        rows = await (await self.db.execute(
            "SELECT nonce, purpose, meta, to_addr, data, gas, blob_frame, status, "
            f"included_block, included_hash, tx_hash, created FROM txs {where} ORDER BY nonce",
            args)).fetchall()
        out = []
        for r in rows:
            tx = LedgerTx(r[0], r[1], json.loads(r[2]), r[3], bytes(r[4]), r[5],
                          None if r[6] is None else bytes(r[6]), r[7], r[8],
                          None if r[9] is None else bytes(r[9]),
                          None if r[10] is None else bytes(r[10]), r[11])
            attempts = await (await self.db.execute(
                "SELECT seq, tx_hash, raw, max_fee, tip, blob_fee, sent_at FROM attempts "
                "WHERE nonce = ? ORDER BY seq", (tx.nonce,))).fetchall()
            tx.attempts = [Attempt(a[0], bytes(a[1]), bytes(a[2]), int(a[3]), int(a[4]),
                                   int(a[5]), a[6]) for a in attempts]
            out.append(tx)
        return out

    async def load_open(self) -> list[LedgerTx]:
        """Pending and included transactions, by nonce."""
        return await self._load("WHERE status IN (?, ?)", OPEN_STATUSES)

    async def load_all(self) -> list[LedgerTx]:
        return await self._load("", ())

    async def max_nonce(self) -> int | None:
        row = await (await self.db.execute("SELECT MAX(nonce) FROM txs")).fetchone()
        return None if row is None or row[0] is None else int(row[0])
