"""Persistent storage of the L2 node: one :class:`Store` protocol, SQLite and PostgreSQL."""

from .errors import LeaseLost, LeaseUnavailable, MigrationError, StorageError, UnsupportedURL
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
from .store import Store, create_store

__all__ = [
    "Store",
    "create_store",
    "StorageError",
    "LeaseLost",
    "LeaseUnavailable",
    "MigrationError",
    "UnsupportedURL",
    "BlockRecord",
    "BlockWrite",
    "Lease",
    "LogRecord",
    "Outcome",
    "PendingTx",
    "ReceiptRecord",
    "StateRow",
    "HistoryRow",
    "TxRecord",
    "WithdrawalRecord",
]
