"""Withdrawal proofs against a chosen output (pure: no I/O).

``omni_getWithdrawalProof`` answers against the L2's *latest* withdrawal root; the portal needs
a proof against the withdrawal root of the output's L2 block. The tree is append-only, so the
proof for an older root is rebuilt from the leaves that existed at that block (the
``WithdrawalInitiated`` logs up to it) and checked against that block's header.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from prover.output_root import output_root
from prover.withdrawals import WithdrawalTree, decode_withdrawal, verify_withdrawal_proof

__all__ = ["Withdrawal", "OutputRootProof", "ProofError", "proof_at_root", "output_root_proof"]


class ProofError(RuntimeError):
    """The L2 data does not yield a proof against the output (the node and the L1 disagree)."""


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """The portal's ``Withdrawal`` struct."""

    nonce: int
    sender: bytes
    l1_recipient: bytes
    amount: int

    @classmethod
    def from_leaf(cls, leaf_data: bytes) -> Withdrawal:
        nonce, sender, recipient, amount = decode_withdrawal(leaf_data)
        return cls(nonce, bytes(sender), bytes(recipient), amount)

    def as_tuple(self) -> tuple[int, str, str, int]:
        from web3 import Web3

        return (self.nonce, Web3.to_checksum_address(self.sender),
                Web3.to_checksum_address(self.l1_recipient), self.amount)


@dataclass(frozen=True, slots=True)
class OutputRootProof:
    """The portal's ``OutputRootProof`` (version 0)."""

    state_root: bytes
    withdrawal_root: bytes
    l2_block_hash: bytes
    version: bytes = bytes(32)

    @property
    def output_root(self) -> bytes:
        return output_root(self.state_root, self.withdrawal_root, self.l2_block_hash)

    def as_tuple(self) -> tuple[bytes, bytes, bytes, bytes]:
        return (self.version, self.state_root, self.withdrawal_root, self.l2_block_hash)


def output_root_proof(state_root: bytes, withdrawal_root: bytes, block_hash: bytes,
                      expected_output_root: bytes) -> OutputRootProof:
    """The preimage of ``expected_output_root``; raises :class:`ProofError` if it is not."""
    proof = OutputRootProof(state_root, withdrawal_root, block_hash)
    if proof.output_root != expected_output_root:
        raise ProofError(f"the L2 block 0x{block_hash.hex()} does not hash to the proposed output "
                         f"root 0x{expected_output_root.hex()} (got 0x{proof.output_root.hex()}): "
                         "the L2 node and the L1 disagree; do not finalize against this output")
    return proof


def proof_at_root(leaves: Iterable[bytes], index: int, root: bytes) -> tuple[bytes, ...]:
    """Siblings of withdrawal ``index`` in the tree of ``leaves`` (all withdrawals up to the
    output's block, by nonce); the tree's root must be ``root``."""
    tree = WithdrawalTree.from_leaves(list(leaves))
    if tree.root != root:
        raise ProofError(f"{len(tree)} withdrawals give root 0x{tree.root.hex()}, the block says "
                         f"0x{root.hex()}")
    proof = tree.proof(index)
    if not verify_withdrawal_proof(root, proof.leaf_data, index, proof.siblings):
        raise ProofError(f"proof of withdrawal {index} does not verify")  # pragma: no cover
    return tuple(proof.siblings)
