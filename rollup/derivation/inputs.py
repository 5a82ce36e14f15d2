"""What derivation reads from the L1, as plain values (the async L1 source builds them).

Pure: the deriver (``rollup.derivation.deriver``) works on these and nothing else, so the rules
are unit-tested without a chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from rollup.core.transactions import DepositTransaction, deposit_source_hash, make_deposit

__all__ = ["L1Block", "PostedBatch", "L1Deposit", "ProposedOutput", "CanonicalL1"]


@dataclass(frozen=True, slots=True)
class L1Block:
    """A canonical L1 block: number, hash, timestamp, base fee (wei)."""

    number: int
    hash: bytes
    timestamp: int
    base_fee: int = 0


class CanonicalL1(Protocol):
    """The canonical L1 chain as derivation sees it (``None``: no such block yet)."""

    def block(self, number: int) -> L1Block | None: ...


@dataclass(frozen=True, slots=True)
class PostedBatch:
    """One ``BatchAppended`` event with the data posted in its transaction.

    ``frame`` is the calldata ``data`` argument or the frame unpacked from the blobs;
    ``versioned_hashes`` are the transaction's blob hashes (empty for calldata).
    """

    index: int
    batch_hash: bytes
    prev_hash: bytes
    first_block: int
    last_block: int
    data_hash: bytes
    is_blob: bool
    frame: bytes
    l1_block_number: int
    l1_tx_hash: bytes = b""
    versioned_hashes: tuple[bytes, ...] = ()


@dataclass(frozen=True, slots=True)
class L1Deposit:
    """One ``DepositInitiated`` event of OmniPortal, with where it sits on the L1."""

    nonce: int
    sender: bytes
    recipient: bytes
    amount: int
    l1_timestamp: int
    l1_block_number: int
    l1_block_hash: bytes
    log_index: int

    @property
    def source_hash(self) -> bytes:
        """The deposit's L2 identity (docs/spec.md §3 L2.1)."""
        return deposit_source_hash(self.l1_block_hash, self.log_index)

    def transaction(self) -> DepositTransaction:
        """The 0x7e system transaction this deposit becomes on the L2."""
        return make_deposit(self.source_hash, self.sender, self.recipient, self.amount)


@dataclass(frozen=True, slots=True)
class ProposedOutput:
    """One output proposal read from OmniRollup."""

    index: int
    output_root: bytes
    l2_block_number: int
    l1_timestamp: int
