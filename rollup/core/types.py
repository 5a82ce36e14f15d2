"""Distinct value types for the quantities of the L2 protocol.

Each quantity gets its own ``NewType`` so that a type checker flags an amount of OMNIT passed
where an amount of gas is expected, or an L1 block number used as an L2 block number. At run
time they are plain ``int`` / ``bytes`` (no cost on the hot path).
"""

from __future__ import annotations

from typing import NewType

__all__ = [
    "Address",
    "Hash32",
    "Wei",
    "Gas",
    "Nonce",
    "ChainId",
    "Timestamp",
    "L1BlockNumber",
    "L2BlockNumber",
    "ModelId",
    "TaskId",
    "WithdrawalNonce",
    "StateKey",
]

Address = NewType("Address", bytes)
"""A 20-byte account address (raw bytes, not a checksum string)."""

Hash32 = NewType("Hash32", bytes)
"""A 32-byte Keccak-256 digest (transaction hash, block hash, root, commitment)."""

Wei = NewType("Wei", int)
"""An amount of OMNIT in its smallest unit (OMNIT has 18 decimals: 1 OMNIT = 10**18 wei)."""

Gas = NewType("Gas", int)
"""An amount of L2 gas."""

Nonce = NewType("Nonce", int)
"""An account's transaction counter."""

ChainId = NewType("ChainId", int)
"""An EIP-155 chain id."""

Timestamp = NewType("Timestamp", int)
"""Seconds since the Unix epoch, as carried in L2 block headers."""

L1BlockNumber = NewType("L1BlockNumber", int)
"""A block number on the OmniTensor L1."""

L2BlockNumber = NewType("L2BlockNumber", int)
"""A block number on this L2."""

ModelId = NewType("ModelId", int)
"""A registered model's id (sequential from 1)."""

TaskId = NewType("TaskId", int)
"""An AI task's id (sequential from 1)."""

WithdrawalNonce = NewType("WithdrawalNonce", int)
"""A withdrawal's nonce, equal to its leaf index in the withdrawal tree."""

StateKey = NewType("StateKey", bytes)
"""A 32-byte state-tree key: ``keccak(namespace byte ++ id)``."""
