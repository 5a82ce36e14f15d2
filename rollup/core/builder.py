"""Block building: :class:`BlockBuilder` and the :class:`SealedBlock` it produces.

The builder executes transactions one by one on an :class:`Overlay` over the pre-state; a
transaction that cannot be included raises and leaves no trace. ``seal()`` computes every root
with the prover: ``tx_root = list_root(raw txs)``, ``receipts_root = list_root(canonical
receipts)``, the state root by feeding ``(key, value_hash)`` of the block's writes to the state
tree, the withdrawal root by appending the block's withdrawal leaves. The two trees are advanced
in place: pass copies if the block may be discarded.

Fast paths (:data:`FAST_PATHS`, on by default) give the same blocks with less work per
transaction: plain transfers go through :func:`~rollup.core.execution.apply_plain_transfer`,
their fee-vault credits and burns are summed and applied once before anything else can read the
fee vault or Globals, and ``seal`` encodes the receipts in one batch and hands the prover one
packed buffer per list root. With ``FAST_PATHS = False`` every step is the readable reference;
tests/core/test_fast_paths.py builds random blocks both ways and compares everything.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import accumulate
from typing import Protocol, Sequence

from prover.backend import get_backend
from prover.merkle import list_root, list_root_from_hashes

from .blocks import Header, Receipt, encode_receipts, logs_bloom
from .config import BlockEnv, ChainConfig
from .exceptions import BlockGasExhausted, BuilderError, GasLimitTooHigh
from .execution import apply_plain_transfer, apply_transaction
from .fees import next_base_fee_from
from .state import Overlay, StateReader, value_hash
from .system_contracts import WithdrawalLeaf
from .transactions import Transaction
from .types import Gas, Hash32, StateKey, Wei

__all__ = [
    "StateTreeLike", "WithdrawalTreeLike", "SealedBlock", "BlockBuilder", "next_base_fee",
    "seal_header", "FAST_PATHS",
]

FAST_PATHS = True
"""Whether new builders use the fast paths (see the module docstring). Read when a builder is
created; tests set it to False to build the reference block."""


class StateTreeLike(Protocol):
    """What the builder needs of ``prover.state_tree.StateTree``."""

    @property
    def root(self) -> bytes: ...

    def update(self, items: list[tuple[bytes, bytes]]) -> bytes: ...


class WithdrawalTreeLike(Protocol):
    """What the builder needs of ``prover.withdrawals.WithdrawalTree``."""

    @property
    def root(self) -> bytes: ...

    def extend(self, leaves: list[bytes]) -> list[int]: ...


@dataclass(frozen=True, slots=True)
class SealedBlock:
    """A sealed block: header (with all roots), body, receipts and its effects."""

    header: Header
    transactions: tuple[Transaction, ...]
    receipts: tuple[Receipt, ...]
    state_writes: dict[StateKey, bytes | None]
    withdrawals: tuple[WithdrawalLeaf, ...]

    @property
    def hash(self) -> Hash32:
        return self.header.hash

    @property
    def number(self) -> int:
        return self.header.number

    @property
    def logs_bloom(self) -> bytes:
        """The block's bloom (union of its receipts' logs)."""
        return logs_bloom(log for r in self.receipts for log in r.logs)


def next_base_fee(parent: Header, config: ChainConfig | None = None) -> Wei:
    """Base fee of the child of ``parent`` (EIP-1559 rule with the chain's floor)."""
    floor = (config or ChainConfig()).min_base_fee
    return next_base_fee_from(parent.base_fee, parent.gas_used, parent.gas_limit, floor)


def packed_list_root(items: Sequence[bytes]) -> bytes:
    """Fast path of :func:`prover.merkle.list_root` (same root): the items go to the prover as
    one joined buffer plus offsets. ``list_root`` makes one numpy view per item, which for
    transactions and receipts of ~100 bytes costs more than hashing them."""
    if not items:
        return list_root(items)
    backend = get_backend()
    offsets = list(accumulate(map(len, items), initial=0))
    return list_root_from_hashes(backend.leaf_hashes_packed(b"".join(items), offsets), backend)


def seal_header(
    env: BlockEnv, gas_used: int, tx_root: bytes, receipts_root: bytes, state_root: bytes,
    withdrawal_root: bytes,
) -> Header:
    """The header of a block built in ``env`` with these roots."""
    return Header(
        env.number, env.parent_hash, env.timestamp, env.l1_origin_number, env.l1_origin_hash,
        env.base_fee, env.gas_limit, Gas(gas_used), env.fee_vault, Hash32(tx_root),
        Hash32(receipts_root), Hash32(state_root), Hash32(withdrawal_root), env.extra_data,
    )


class BlockBuilder:
    """Builds one block: ``add`` transactions, then ``seal`` once."""

    __slots__ = ("env", "_overlay", "gas_used", "transactions", "receipts", "withdrawals",
                 "_state_tree", "_withdrawal_tree", "_log_count", "_sealed", "_fast",
                 "_owed_fee_vault", "_owed_burn")

    def __init__(
        self,
        pre_state: StateReader,
        state_tree: StateTreeLike,
        withdrawal_tree: WithdrawalTreeLike,
        env: BlockEnv,
    ) -> None:
        if len(env.extra_data) > 32:
            raise BuilderError(f"extra_data is {len(env.extra_data)} bytes, at most 32 allowed")
        self.env = env
        self._overlay = Overlay(pre_state)
        self.gas_used = Gas(0)
        self.transactions: list[Transaction] = []
        self.receipts: list[Receipt] = []
        self.withdrawals: list[WithdrawalLeaf] = []
        self._state_tree = state_tree
        self._withdrawal_tree = withdrawal_tree
        self._log_count = 0
        self._sealed = False
        self._fast = FAST_PATHS
        # Fee-vault credit and burn of the fast-path transactions since the last settle.
        self._owed_fee_vault = 0
        self._owed_burn = 0

    @property
    def state(self) -> Overlay:
        """The pending state (a StateReader: the RPC's "pending" tag can read it), with every
        transaction added so far fully applied. Read the property again after adding
        transactions: fast-path fee-vault credits and burns are applied when it is read."""
        self._settle()
        return self._overlay

    @property
    def remaining_gas(self) -> Gas:
        return Gas(self.env.gas_limit - self.gas_used)

    def _settle(self) -> None:
        """Apply the fee-vault credit and burn the fast path deferred.

        The reference credits the vault and rebuilds Globals once per transaction; a run of
        fast-path transactions touches neither record otherwise (the fast path refuses the fee
        vault as sender or recipient), so one update with the sums leaves the same records. Run
        before any other transaction, before sealing, and before the state is handed out.
        """
        if self._owed_fee_vault:
            self._overlay.credit(self.env.fee_vault, self._owed_fee_vault)
            self._owed_fee_vault = 0
        if self._owed_burn:
            g = self._overlay.globals()
            self._overlay.set_globals(replace(g, burned=Wei(g.burned + self._owed_burn)))
            self._owed_burn = 0

    def add(self, tx: Transaction) -> Receipt:
        """Execute ``tx``; raises a :class:`TransactionError` and changes nothing if it cannot be
        included (``BlockGasExhausted``: retry it in the next block)."""
        if self._sealed:
            raise BuilderError("block already sealed: start a new BlockBuilder")
        limit = self.env.gas_limit
        if tx.gas > limit:
            raise GasLimitTooHigh(limit, tx.gas)
        if tx.gas > limit - self.gas_used:
            raise BlockGasExhausted(limit - self.gas_used, tx.gas)
        if self._fast:
            fast = apply_plain_transfer(
                self._overlay, tx, self.env, self.gas_used, len(self.transactions))
            if fast is not None:
                receipt, fee_vault_credit, burn = fast
                self._owed_fee_vault += fee_vault_credit
                self._owed_burn += burn
                self.gas_used = receipt.cumulative_gas_used
                self.transactions.append(tx)
                self.receipts.append(receipt)
                return receipt
            self._settle()
        out = apply_transaction(
            self._overlay, tx, self.env, cumulative_gas_before=self.gas_used,
            tx_index=len(self.transactions), log_index_start=self._log_count,
        )
        receipt = out.receipt
        self.gas_used = receipt.cumulative_gas_used
        self.transactions.append(tx)
        self.receipts.append(receipt)
        self._log_count += len(receipt.logs)
        if out.withdrawals:
            self.withdrawals.extend(out.withdrawals)
        return receipt

    def seal(self) -> SealedBlock:
        """Compute the roots, advance the trees, and return the block (once)."""
        if self._sealed:
            raise BuilderError("block already sealed")
        self._sealed = True
        self._settle()
        writes = self._overlay.writes()
        state_root = self._state_tree.update([(k, value_hash(v)) for k, v in writes.items()])
        if self.withdrawals:
            self._withdrawal_tree.extend([w.leaf_data for w in self.withdrawals])
        raws = [tx.raw for tx in self.transactions]
        if self._fast:
            tx_root = packed_list_root(raws)
            receipts_root = packed_list_root(encode_receipts(self.receipts))
        else:
            tx_root = list_root(raws)
            receipts_root = list_root([r.encode() for r in self.receipts])
        header = seal_header(
            self.env, self.gas_used, tx_root, receipts_root, state_root,
            self._withdrawal_tree.root,
        )
        return SealedBlock(
            header, tuple(self.transactions), tuple(self.receipts), writes,
            tuple(self.withdrawals),
        )
