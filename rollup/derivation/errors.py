"""Typed outcomes of derivation: each names the batch or block and carries its data.

```
DerivationError
├── InvalidBatch(batch_index, reason)          the L1 data of one batch is unusable
│   ├── BatchDataMismatch                       frame vs event (data hash, header fields)
│   └── BrokenBatchChain                        prevHash / index / first block out of sequence
├── InvalidBlock(l2_block, reason)              a block the batch describes breaks a rule
│   ├── NonContiguousBlocks, TimestampDecreasing, OriginDecreasing,
│   ├── NonCanonicalOrigin(l1_number, expected, got), FutureOrigin
│   ├── DepositRuleViolation                    too many / too new deposits
│   ├── ForcedInclusionViolation(deposit_nonce, l1_timestamp, window, l2_timestamp)
│   └── TransactionRejected(tx_index, error)    the core refused a carried transaction
└── OutputMismatch(output_index, l2_block, proposed, derived)
```

A derivation error stops the replica at the offending batch (docs/spec.md §6): the
batcher and proposer are permissioned roles, so an invalid batch is an operator fault to repair,
not a state to guess around.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "DerivationError",
    "InvalidBatch",
    "BatchDataMismatch",
    "BrokenBatchChain",
    "InvalidBlock",
    "NonContiguousBlocks",
    "TimestampDecreasing",
    "OriginDecreasing",
    "NonCanonicalOrigin",
    "FutureOrigin",
    "DepositRuleViolation",
    "ForcedInclusionViolation",
    "TransactionRejected",
    "OutputMismatch",
]


def _hex(value: Any) -> Any:
    return "0x" + bytes(value).hex() if isinstance(value, (bytes, bytearray)) else value


class DerivationError(Exception):
    """Base class; ``kind`` is a stable snake-case name for logs and JSON reports."""

    kind = "derivation_error"

    def details(self) -> dict[str, Any]:
        """The error's data as JSON-ready values (bytes as 0x-hex)."""
        return {k: _hex(v) for k, v in vars(self).items() if not k.startswith("_")}


class InvalidBatch(DerivationError):
    """Batch ``batch_index`` cannot be used."""

    kind = "invalid_batch"

    def __init__(self, batch_index: int, reason: str) -> None:
        super().__init__(f"batch {batch_index}: {reason}")
        self.batch_index = batch_index
        self.reason = reason


class BatchDataMismatch(InvalidBatch):
    """The posted data does not match the ``BatchAppended`` event (hash or frame header)."""

    kind = "batch_data_mismatch"


class BrokenBatchChain(InvalidBatch):
    """The batch does not follow the previous one (prevHash, index or first block)."""

    kind = "broken_batch_chain"


class InvalidBlock(DerivationError):
    """L2 block ``l2_block`` as the batch describes it breaks a derivation rule."""

    kind = "invalid_block"

    def __init__(self, l2_block: int, reason: str, batch_index: int | None = None) -> None:
        where = f"batch {batch_index}, " if batch_index is not None else ""
        super().__init__(f"{where}L2 block {l2_block}: {reason}")
        self.l2_block = l2_block
        self.reason = reason
        self.batch_index = batch_index


class NonContiguousBlocks(InvalidBlock):
    kind = "non_contiguous_blocks"


class TimestampDecreasing(InvalidBlock):
    kind = "timestamp_decreasing"


class OriginDecreasing(InvalidBlock):
    kind = "origin_decreasing"


class NonCanonicalOrigin(InvalidBlock):
    """The L1 origin hash is not the canonical L1 block hash at that number."""

    kind = "non_canonical_origin"

    def __init__(self, l2_block: int, l1_number: int, expected: bytes | None, got: bytes,
                 batch_index: int | None = None) -> None:
        shown = "no such L1 block" if expected is None else f"canonical 0x{expected.hex()}"
        super().__init__(l2_block, f"L1 origin {l1_number} hash 0x{got.hex()} is not canonical ({shown})",
                         batch_index)
        self.l1_number = l1_number
        self.expected = expected
        self.got = got


class FutureOrigin(InvalidBlock):
    """The L1 origin is not older than the L1 block that carries the batch."""

    kind = "future_origin"


class DepositRuleViolation(InvalidBlock):
    """The block counts deposits that do not exist yet or come from after its L1 origin."""

    kind = "deposit_rule_violation"


class ForcedInclusionViolation(InvalidBlock):
    """A deposit older than the forced-inclusion window is still missing at this block."""

    kind = "forced_inclusion_violation"

    def __init__(self, l2_block: int, deposit_nonce: int, l1_timestamp: int, window: int,
                 l2_timestamp: int, batch_index: int | None = None) -> None:
        super().__init__(
            l2_block,
            f"deposit {deposit_nonce} (L1 time {l1_timestamp}) is older than the forced-inclusion "
            f"window of {window}s at L2 time {l2_timestamp} and is not included",
            batch_index)
        self.deposit_nonce = deposit_nonce
        self.l1_timestamp = l1_timestamp
        self.window = window
        self.l2_timestamp = l2_timestamp


class TransactionRejected(InvalidBlock):
    """The pure core refused a transaction the batch carries."""

    kind = "transaction_rejected"

    def __init__(self, l2_block: int, tx_index: int, error: Exception,
                 batch_index: int | None = None) -> None:
        super().__init__(l2_block, f"transaction {tx_index} refused: {type(error).__name__}: {error}",
                         batch_index)
        self.tx_index = tx_index
        self.error = f"{type(error).__name__}: {error}"


class OutputMismatch(DerivationError):
    """A proposed output root differs from the one derived from L1 data."""

    kind = "output_mismatch"

    def __init__(self, output_index: int, l2_block: int, proposed: bytes, derived: bytes) -> None:
        super().__init__(f"output {output_index} (L2 block {l2_block}): proposed 0x{proposed.hex()}, "
                         f"derived 0x{derived.hex()}")
        self.output_index = output_index
        self.l2_block = l2_block
        self.proposed = proposed
        self.derived = derived
