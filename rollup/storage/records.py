"""Plain records the store reads and writes: bytes and ints only, no core types.

The node converts core objects (header, transaction, receipt, log, state record) to these and
back; the store never decodes a raw encoding. 256-bit quantities are ints here and 32-byte
big-endian blobs in the database.

The records a block holds one (or more) of per transaction, :class:`TxRecord`,
:class:`ReceiptRecord`, :class:`LogRecord` and :class:`StateRow`, are named tuples rather than
frozen dataclasses: a sequencer builds thousands per block, and a named tuple costs about a
third as much to build. Their fields are in their table's column order (see
:mod:`rollup.storage.sql`), so the SQL layer can bind a record as its row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, NamedTuple, Sequence

__all__ = [
    "BlockRecord",
    "TxRecord",
    "ReceiptRecord",
    "LogRecord",
    "StateRow",
    "HistoryRow",
    "PendingTx",
    "Outcome",
    "WithdrawalRecord",
    "BlockWrite",
    "Lease",
]


@dataclass(frozen=True, slots=True)
class BlockRecord:
    """A sealed block's header fields, its hash and its raw canonical header encoding."""

    number: int
    hash: bytes
    parent_hash: bytes
    timestamp: int
    state_root: bytes
    tx_root: bytes
    withdrawal_root: bytes
    gas_used: int
    gas_limit: int
    base_fee: int
    tx_count: int
    raw: bytes


class TxRecord(NamedTuple):
    """An included transaction: hash, raw EIP-2718 bytes, sender, nonce and position."""

    hash: bytes
    raw: bytes
    sender: bytes
    nonce: int
    block_number: int
    index: int


class ReceiptRecord(NamedTuple):
    """A receipt's queryable fields plus its raw encoding."""

    tx_hash: bytes
    block_number: int
    index: int
    status: int
    gas_used: int
    cumulative_gas_used: int
    effective_gas_price: int
    raw: bytes


class LogRecord(NamedTuple):
    """One log; ``log_index`` counts logs within the block, ``topics`` holds 0 to 4 topics."""

    block_number: int
    log_index: int
    tx_index: int
    tx_hash: bytes
    address: bytes
    topics: tuple[bytes, ...]
    data: bytes


class StateRow(NamedTuple):
    """A state-tree leaf: 32-byte key, its (never reused) tree index and the encoded value."""

    key: bytes
    tree_index: int
    value: bytes


class HistoryRow(NamedTuple):
    """The value ``prior`` (empty: absent) that ``key`` had before block ``block_number``
    changed it (table ``state_history``: historical state reads)."""

    key: bytes
    block_number: int
    prior: bytes


@dataclass(frozen=True, slots=True)
class PendingTx:
    """An acknowledged transaction not yet included; ``seq`` is its arrival order."""

    seq: int
    hash: bytes
    raw: bytes
    sender: bytes
    nonce: int
    arrived_at: float


@dataclass(frozen=True, slots=True)
class Outcome:
    """A transaction that will never be included, and why (``replaced_by`` for replacements)."""

    hash: bytes
    reason: str
    at: float
    replaced_by: bytes | None = None


@dataclass(frozen=True, slots=True)
class WithdrawalRecord:
    """A withdrawal-tree leaf: its index (the withdrawal nonce), block, transaction, leaf data."""

    leaf_index: int
    block_number: int
    tx_hash: bytes
    leaf: bytes


@dataclass(frozen=True, slots=True)
class BlockWrite:
    """Everything one sealed block changes, written in ONE database transaction.

    ``included_pending``: hashes removed from the pending table (the block's transactions);
    ``dropped``: pending transactions that get a final "dropped" outcome in the same commit;
    ``meta``: chain-config entries written with the block (genesis);
    ``history``: the prior values of the keys in ``state`` (historical state).
    """

    block: BlockRecord
    transactions: Sequence[TxRecord] = ()
    receipts: Sequence[ReceiptRecord] = ()
    logs: Sequence[LogRecord] = ()
    state: Sequence[StateRow] = ()
    withdrawals: Sequence[WithdrawalRecord] = ()
    included_pending: Sequence[bytes] = ()
    dropped: Sequence[Outcome] = ()
    meta: Mapping[str, bytes] = field(default_factory=dict)
    history: Sequence[HistoryRow] = ()


@dataclass(frozen=True, slots=True)
class Lease:
    """The sequencer lease as stored: ``holder`` ('' for nobody), expiry (Unix seconds), and
    ``epoch``, incremented every time the lease changes hands."""

    holder: str
    expires_at: float
    epoch: int

    def held_by(self, holder: str, now: float) -> bool:
        """True if ``holder`` holds an unexpired lease at ``now``."""
        return self.holder == holder and self.expires_at >= now
