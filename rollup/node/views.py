"""Result types the :class:`~rollup.node.node.L2Node` facade returns to the RPC layer.

They wrap core types (header, transaction, receipt, log) with where-and-when information that
only the node knows (block location, log indexes, outcome of a transaction). Plain frozen
dataclasses: the RPC layer formats them to JSON.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Sequence

if TYPE_CHECKING:  # core types; the node imports them at run time where it builds these views
    from rollup.core.blocks import Header, Receipt
    from rollup.core.transactions import SignedTransaction

__all__ = [
    "BlockTag",
    "BlockId",
    "TxLocation",
    "TxState",
    "TxStatus",
    "BlockView",
    "TransactionView",
    "ReceiptView",
    "LogView",
    "LogFilter",
    "FeeHistory",
    "SyncStatus",
    "WithdrawalProof",
]

BlockTag = Literal["latest", "pending", "safe", "finalized", "earliest"]
"""The named blocks of the Ethereum JSON-RPC."""

BlockId = int | str
"""A block number or a :data:`BlockTag` (the facade validates the string)."""


@dataclass(frozen=True, slots=True)
class TxLocation:
    """Where an included transaction sits: block number, block hash, index in the block."""

    block_number: int
    block_hash: bytes
    index: int


class TxState(enum.Enum):
    """The definite outcome of a transaction, as far as this node knows."""

    PENDING = "pending"
    """Acknowledged (durable), waiting in the pool or the gap buffer."""
    INCLUDED = "included"
    """In a sealed, stored block."""
    DROPPED = "dropped"
    """Will never be included; ``reason`` says why."""
    UNKNOWN = "unknown"
    """Never acknowledged by this node."""


@dataclass(frozen=True, slots=True)
class TxStatus:
    """``state`` plus, when included, its ``location``; when dropped, its ``reason``."""

    state: TxState
    location: TxLocation | None = None
    reason: str | None = None
    replaced_by: bytes | None = None


@dataclass(frozen=True, slots=True)
class TransactionView:
    """A transaction with its location (``None`` while pending)."""

    tx: SignedTransaction
    location: TxLocation | None


@dataclass(frozen=True, slots=True)
class BlockView:
    """A stored block: its header, hash, encoded size and transactions.

    ``transactions`` holds :class:`SignedTransaction` objects when ``full`` was asked for,
    otherwise the 32-byte transaction hashes.
    """

    header: Header
    hash: bytes
    size: int
    transactions: Sequence[Any]
    full: bool


@dataclass(frozen=True, slots=True)
class LogView:
    """A log with its position: block, transaction and index of the log within the block."""

    address: bytes
    topics: tuple[bytes, ...]
    data: bytes
    block_number: int
    block_hash: bytes
    tx_hash: bytes
    tx_index: int
    log_index: int


@dataclass(frozen=True, slots=True)
class ReceiptView:
    """A receipt with the data the JSON-RPC receipt object needs beyond the core receipt."""

    receipt: Receipt
    tx_hash: bytes
    location: TxLocation
    sender: bytes
    to: bytes | None
    effective_gas_price: int
    gas_used: int
    cumulative_gas_used: int
    status: int
    logs: tuple[LogView, ...]


@dataclass(frozen=True, slots=True)
class LogFilter:
    """An ``eth_getLogs`` filter, already parsed: block range or hash, addresses, topics.

    ``topics[i]`` is ``None`` (any), or a tuple of alternatives for position ``i``.
    ``from_block``/``to_block`` accept numbers or tags; ``block_hash`` excludes them.
    """

    from_block: BlockId = "latest"
    to_block: BlockId = "latest"
    addresses: tuple[bytes, ...] = ()
    topics: tuple[tuple[bytes, ...] | None, ...] = ()
    block_hash: bytes | None = None


@dataclass(frozen=True, slots=True)
class FeeHistory:
    """``eth_feeHistory``: base fees has one more entry than the blocks (the next block's)."""

    oldest_block: int
    base_fee_per_gas: list[int]
    gas_used_ratio: list[float]
    reward: list[list[int]] | None = None


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """Chain heads: unsafe = latest sealed; safe/finalized lag it until L1 settlement lands."""

    unsafe: int
    safe: int
    finalized: int
    sequencer_active: bool
    pending_count: int


@dataclass(frozen=True, slots=True)
class WithdrawalProof:
    """Merkle proof of a withdrawal leaf against the withdrawal root of ``block_number``."""

    leaf_index: int
    leaf: bytes
    siblings: tuple[bytes, ...]
    root: bytes
    block_number: int
    tx_hash: bytes | None = None
    extra: dict[str, Any] = field(default_factory=dict)
