"""The withdrawal tree: append-only, fixed depth 32, one leaf per L2 -> L1 withdrawal.

Leaf data is ``abi.encode(uint256 nonce, address sender, address l1Recipient, uint256 amount)``
(four 32-byte words, addresses left-padded with zeros); the nonce is the leaf index. Leaf hash is
``keccak(keccak(leaf_data))``; the root after each block is the block's withdrawal root, ``E[32]``
when no withdrawal was ever made.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .backend import Backend, get_backend
from .dense_tree import DenseTree
from .errors import IndexOutOfRange, InvalidInput
from .hashing import HASH_SIZE, leaf_hash
from .merkle import verify_fixed_proof
from .paged import PagedRows

__all__ = [
    "WITHDRAWAL_DEPTH",
    "WITHDRAWAL_LEAF_SIZE",
    "WithdrawalTree",
    "WithdrawalProof",
    "encode_withdrawal",
    "decode_withdrawal",
    "verify_withdrawal_proof",
]

WITHDRAWAL_DEPTH = 32
"""Depth of the withdrawal tree (2**32 withdrawals, 32-sibling proofs)."""

WITHDRAWAL_LEAF_SIZE = 128
"""Bytes of one encoded withdrawal: nonce, sender, recipient, amount as 32-byte words."""

_U256_MAX = (1 << 256) - 1


def _address(value: bytes | str, what: str) -> bytes:
    raw = bytes.fromhex(value.removeprefix("0x")) if isinstance(value, str) else bytes(value)
    if len(raw) != 20:
        raise InvalidInput(what, f"an address is 20 bytes, got {len(raw)}")
    return raw


def encode_withdrawal(nonce: int, sender: bytes | str, recipient: bytes | str, amount: int) -> bytes:
    """``abi.encode(uint256 nonce, address sender, address l1Recipient, uint256 amount)``."""
    for what, value in (("nonce", nonce), ("amount", amount)):
        if not isinstance(value, int) or not 0 <= value <= _U256_MAX:
            raise InvalidInput(what, f"{value!r} is not a uint256")
    return (
        nonce.to_bytes(32, "big")
        + bytes(12) + _address(sender, "sender")
        + bytes(12) + _address(recipient, "recipient")
        + amount.to_bytes(32, "big")
    )


def decode_withdrawal(leaf_data: bytes) -> tuple[int, bytes, bytes, int]:
    """Inverse of :func:`encode_withdrawal`: ``(nonce, sender, recipient, amount)``."""
    if len(leaf_data) != WITHDRAWAL_LEAF_SIZE:
        raise InvalidInput("withdrawal", f"leaf data is {len(leaf_data)} bytes, not 128")
    if any(leaf_data[32:44]) or any(leaf_data[64:76]):
        raise InvalidInput("withdrawal", "address words must be left-padded with zeros")
    return (
        int.from_bytes(leaf_data[:32], "big"),
        leaf_data[44:64],
        leaf_data[76:96],
        int.from_bytes(leaf_data[96:], "big"),
    )


@dataclass(frozen=True, slots=True)
class WithdrawalProof:
    """Proof of withdrawal ``index``: its leaf data and 32 siblings bottom-up."""

    index: int
    leaf_data: bytes
    siblings: tuple[bytes, ...]

    def to_json(self) -> dict[str, Any]:
        """JSON form with 0x-hex byte strings."""
        return {
            "index": self.index,
            "leaf_data": "0x" + self.leaf_data.hex(),
            "siblings": ["0x" + s.hex() for s in self.siblings],
        }


def verify_withdrawal_proof(
    root: bytes, leaf_data: bytes, index: int, siblings: Sequence[bytes]
) -> bool:
    """True iff ``leaf_data`` is withdrawal ``index`` under withdrawal root ``root``."""
    if len(leaf_data) != WITHDRAWAL_LEAF_SIZE:
        return False
    if int.from_bytes(leaf_data[:32], "big") != index:
        return False
    return verify_fixed_proof(root, leaf_hash(leaf_data), index, siblings, WITHDRAWAL_DEPTH)


class WithdrawalTree:
    """Append-only depth-32 tree of encoded withdrawals."""

    __slots__ = ("backend", "_tree", "_data", "_count")

    def __init__(self, backend: Backend | None = None) -> None:
        self.backend = backend or get_backend()
        self._tree = DenseTree(WITHDRAWAL_DEPTH, self.backend)
        self._data = PagedRows(WITHDRAWAL_LEAF_SIZE)
        self._count = 0

    @classmethod
    def from_leaves(
        cls, leaves: Iterable[bytes], backend: Backend | None = None
    ) -> WithdrawalTree:
        """Rebuild from all leaf data in index order."""
        tree = cls(backend)
        tree.extend(leaves)
        return tree

    def copy(self) -> WithdrawalTree:
        """Copy-on-write copy (O(allocated pages))."""
        other = WithdrawalTree.__new__(WithdrawalTree)
        other.backend = self.backend
        other._tree = self._tree.copy()
        other._data = self._data.copy()
        other._count = self._count
        return other

    def __len__(self) -> int:
        return self._count

    @property
    def root(self) -> bytes:
        """The withdrawal root."""
        return self._tree.root

    def append(self, leaf_data: bytes) -> int:
        """Append one encoded withdrawal whose nonce must equal the next index; return it."""
        return self.extend([leaf_data])[0]

    def extend(self, leaves: Iterable[bytes]) -> list[int]:
        """Append several withdrawals with one level-by-level update; return their indices."""
        batch = [bytes(d) for d in leaves]
        for offset, data in enumerate(batch):
            nonce, _, _, _ = decode_withdrawal(data)
            if nonce != self._count + offset:
                raise InvalidInput(
                    "withdrawal", f"nonce {nonce} but the next index is {self._count + offset}"
                )
        if not batch:
            return []
        if self._count + len(batch) > (1 << WITHDRAWAL_DEPTH):
            raise InvalidInput("withdrawal", "withdrawal tree is full")
        idx = np.arange(self._count, self._count + len(batch), dtype=np.int64)
        packed = np.frombuffer(b"".join(batch), dtype=np.uint8).reshape(-1, WITHDRAWAL_LEAF_SIZE)
        offsets = np.arange(len(batch) + 1, dtype=np.int64) * WITHDRAWAL_LEAF_SIZE
        hashes = self.backend.leaf_hashes_packed(packed, offsets)
        self._data.set_rows(idx, packed)
        self._tree.set_leaves(idx, np.frombuffer(hashes, dtype=np.uint8).reshape(-1, HASH_SIZE))
        self._count += len(batch)
        return idx.tolist()

    def leaf_data(self, index: int) -> bytes:
        """The encoded withdrawal at ``index``."""
        if not 0 <= index < self._count:
            raise IndexOutOfRange(index, self._count)
        return self._data.get(index)

    def leaves(self) -> list[bytes]:
        """All leaf data in index order (input of :meth:`from_leaves`)."""
        raw = self._data.tobytes(self._count)
        return [raw[i : i + WITHDRAWAL_LEAF_SIZE] for i in range(0, len(raw), WITHDRAWAL_LEAF_SIZE)]

    def proof(self, index: int) -> WithdrawalProof:
        """Inclusion proof of withdrawal ``index``."""
        if not 0 <= index < self._count:
            raise IndexOutOfRange(index, self._count)
        return WithdrawalProof(index, self._data.get(index), self._tree.siblings(index))
