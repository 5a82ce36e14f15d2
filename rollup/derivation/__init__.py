"""Derivation (issue 4): rebuild the L2 from L1 data alone and check the proposed outputs.

- ``inputs``: what is read from the L1, as plain values (batches, deposits, L1 blocks, outputs);
- ``deriver``: the pure engine (rules of docs/spec.md §6, re-execution with the core);
- ``errors``: the typed verdicts (invalid batch, rule violations, output mismatch);
- ``l1_source``: the async reads (events, calldata, blobs) over ``rollup.settlement.L1Client``;
- ``replica``: the service behind ``omnit replica`` (``Replica``, ``run_replica``);
- ``cli``: the click command.
"""

from __future__ import annotations

from .deriver import ZERO_HASH, DerivationParams, Deriver, OutputCheck
from .errors import (
    BatchDataMismatch,
    BrokenBatchChain,
    DepositRuleViolation,
    DerivationError,
    ForcedInclusionViolation,
    FutureOrigin,
    InvalidBatch,
    InvalidBlock,
    NonCanonicalOrigin,
    NonContiguousBlocks,
    OriginDecreasing,
    OutputMismatch,
    TimestampDecreasing,
    TransactionRejected,
)
from .inputs import CanonicalL1, L1Block, L1Deposit, PostedBatch, ProposedOutput

__all__ = [
    "Deriver", "DerivationParams", "OutputCheck", "ZERO_HASH",
    "CanonicalL1", "L1Block", "L1Deposit", "PostedBatch", "ProposedOutput",
    "DerivationError", "InvalidBatch", "BatchDataMismatch", "BrokenBatchChain", "InvalidBlock",
    "NonContiguousBlocks", "TimestampDecreasing", "OriginDecreasing", "NonCanonicalOrigin",
    "FutureOrigin", "DepositRuleViolation", "ForcedInclusionViolation", "TransactionRejected",
    "OutputMismatch",
]
