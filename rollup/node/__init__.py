"""The L2 sequencer node: intake, mempool, sealing loop, lease, and the :class:`L2Node` facade."""

from .config import NodeSettings, load_settings
from .errors import (
    CallReverted,
    LogQueryTooLarge,
    NodeError,
    NonceInFlight,
    NonceGapTooLarge,
    NotSequencer,
    Overloaded,
    PoolFull,
    PoolRejection,
    ReplacementUnderpriced,
    ShuttingDown,
    StateRootMismatch,
    StateUnavailable,
    UnknownBlock,
)
from .node import L2Node

__all__ = [
    "L2Node",
    "NodeSettings",
    "load_settings",
    "CallReverted",
    "LogQueryTooLarge",
    "NodeError",
    "NonceInFlight",
    "NonceGapTooLarge",
    "NotSequencer",
    "Overloaded",
    "PoolFull",
    "PoolRejection",
    "ReplacementUnderpriced",
    "ShuttingDown",
    "StateRootMismatch",
    "StateUnavailable",
    "UnknownBlock",
]
