"""Commitments for the OmniTensor rollup: Merkle trees, state and withdrawal trees, output
roots and model-weight commitments, over interchangeable hashing backends.

Submodules are imported on demand; the most used names are re-exported here.
"""

from __future__ import annotations

from .backend import Backend, get_backend
from .errors import ProverError
from .merkle import EMPTY, leaf_hash, list_root
from .output_root import output_root
from .state_tree import StateTree, verify_state_proof
from .withdrawals import WithdrawalTree, encode_withdrawal, verify_withdrawal_proof

__all__ = [
    "Backend",
    "get_backend",
    "ProverError",
    "EMPTY",
    "leaf_hash",
    "list_root",
    "output_root",
    "StateTree",
    "verify_state_proof",
    "WithdrawalTree",
    "encode_withdrawal",
    "verify_withdrawal_proof",
]
