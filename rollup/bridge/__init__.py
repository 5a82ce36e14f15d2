"""The user side of the OMNIT bridge (deposit, withdraw, finalize, status); docs/bridge.md."""

from __future__ import annotations

from .client import (
    FINALIZED,
    IN_CHALLENGE_PERIOD,
    READY,
    WAITING_FOR_OUTPUT,
    BridgeClient,
    BridgeError,
    DepositResult,
    WithdrawalResult,
    WithdrawalStatus,
)
from .proofs import OutputRootProof, ProofError, Withdrawal, output_root_proof, proof_at_root

__all__ = [
    "BridgeClient", "BridgeError", "DepositResult", "WithdrawalResult", "WithdrawalStatus",
    "WAITING_FOR_OUTPUT", "IN_CHALLENGE_PERIOD", "READY", "FINALIZED",
    "OutputRootProof", "ProofError", "Withdrawal", "output_root_proof", "proof_at_root",
]
