"""A small in-memory stand-in for the L2Node facade, for pure unit tests of the RPC layer.

It decodes and authenticates transactions with the real core decoder, keeps balances and nonces
in dicts, and seals a block when ``seal()`` is called. It is not a model of the sequencer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_hash.auto import keccak

from rollup.core.exceptions import InsufficientFunds, NonceTooLow
from rollup.core.transactions import decode_transaction
from rollup.node.errors import NonceGapTooLarge, Overloaded
from rollup.node.views import (
    BlockView,
    FeeHistory,
    ReceiptView,
    SyncStatus,
    TransactionView,
    TxLocation,
    TxState,
    TxStatus,
)

__all__ = ["FakeNode", "FakeHeader", "BASE_FEE"]

BASE_FEE = 1_000_000_000
"""The fake chain's constant base fee (1 gwei)."""


@dataclass(frozen=True)
class FakeHeader:
    number: int
    parent_hash: bytes
    timestamp: int
    gas_limit: int
    gas_used: int
    base_fee: int
    state_root: bytes
    extra_data: bytes = b""


@dataclass(frozen=True)
class FakeReceipt:
    status: int
    tx_type: int = 2


class FakeNode:
    """In-memory facade: accounts, a pool, sealed blocks."""

    def __init__(self, balances: dict[bytes, int], chain_id: int = 7001) -> None:
        self.chain_id = chain_id
        self.balances = dict(balances)
        self.nonces: dict[bytes, int] = {}
        self.pending: dict[bytes, Any] = {}
        self.included: dict[bytes, tuple[Any, TxLocation]] = {}
        self.blocks: list[tuple[FakeHeader, bytes, list[Any]]] = []
        self.overloaded = False
        self.submits = 0
        self._make_block([])

    def _make_block(self, txs: list[Any]) -> None:
        number = len(self.blocks)
        parent = self.blocks[-1][1] if self.blocks else bytes(32)
        header = FakeHeader(number, parent, 1_700_000_000 + number, 30_000_000,
                            21_000 * len(txs), BASE_FEE, keccak(repr(self.balances).encode()),
                            b"omnit-fake")
        block_hash = keccak(repr(header).encode())
        for i, tx in enumerate(txs):
            self.included[tx.hash] = (tx, TxLocation(number, block_hash, i))
        self.blocks.append((header, block_hash, txs))

    def seal(self) -> None:
        txs = sorted(self.pending.values(), key=lambda t: (t.sender, t.nonce))
        self.pending.clear()
        for tx in txs:
            cost = tx.value + 21_000 * BASE_FEE
            self.balances[tx.sender] = self.balances.get(tx.sender, 0) - cost
            self.balances[tx.to] = self.balances.get(tx.to, 0) + tx.value
        self._make_block(txs)

    def _pending_nonce(self, sender: bytes) -> int:
        n = self.nonces.get(sender, 0)
        return n

    async def submit_raw_transaction(self, raw: bytes) -> bytes:
        self.submits += 1
        if self.overloaded:
            raise Overloaded(10)
        tx = decode_transaction(raw, self.chain_id)
        if tx.hash in self.pending or tx.hash in self.included:
            return tx.hash
        expected = self._pending_nonce(tx.sender)
        if tx.nonce < expected:
            raise NonceTooLow(expected, tx.nonce)
        if tx.nonce > expected + 64:
            raise NonceGapTooLarge("0x" + tx.sender.hex(), expected, tx.nonce, 64)
        cost = tx.value + tx.gas * tx.max_fee_per_gas
        have = self.balances.get(tx.sender, 0)
        if cost > have:
            raise InsufficientFunds(tx.sender, cost, have)
        self.nonces[tx.sender] = tx.nonce + 1
        self.pending[tx.hash] = tx
        return tx.hash

    async def block_number(self) -> int:
        return len(self.blocks) - 1

    async def sync_status(self) -> SyncStatus:
        n = len(self.blocks) - 1
        return SyncStatus(n, n, n, True, len(self.pending))

    def _view(self, index: int, full: bool) -> BlockView:
        header, block_hash, txs = self.blocks[index]
        items = list(txs) if full else [t.hash for t in txs]
        return BlockView(header, block_hash, 500 + 110 * len(txs), items, full)  # type: ignore[arg-type]

    async def get_block(self, block: Any, full: bool = False) -> BlockView | None:
        if isinstance(block, str):
            block = 0 if block == "earliest" else len(self.blocks) - 1
        if block >= len(self.blocks):
            return None
        return self._view(block, full)

    async def get_block_by_hash(self, block_hash: bytes, full: bool = False) -> BlockView | None:
        for i, (_, h, _) in enumerate(self.blocks):
            if h == block_hash:
                return self._view(i, full)
        return None

    async def get_transaction(self, tx_hash: bytes) -> TransactionView | None:
        if tx_hash in self.pending:
            return TransactionView(self.pending[tx_hash], None)
        if tx_hash in self.included:
            tx, loc = self.included[tx_hash]
            return TransactionView(tx, loc)
        return None

    async def get_receipt(self, tx_hash: bytes) -> ReceiptView | None:
        if tx_hash not in self.included:
            return None
        tx, loc = self.included[tx_hash]
        return ReceiptView(FakeReceipt(1), tx_hash, loc, tx.sender, tx.to, BASE_FEE,  # type: ignore[arg-type]
                           21_000, 21_000 * (loc.index + 1), 1, ())

    async def get_transaction_status(self, tx_hash: bytes) -> TxStatus:
        if tx_hash in self.pending:
            return TxStatus(TxState.PENDING)
        if tx_hash in self.included:
            return TxStatus(TxState.INCLUDED, self.included[tx_hash][1])
        return TxStatus(TxState.UNKNOWN)

    async def get_logs(self, flt: Any) -> list[Any]:
        return []

    async def get_balance(self, address: bytes, block: Any = "latest") -> int:
        return self.balances.get(address, 0)

    async def get_nonce(self, address: bytes, block: Any = "latest") -> int:
        return self.nonces.get(address, 0)

    async def get_task(self, task_id: int, block: Any = "latest") -> Any:
        return None

    async def get_model(self, model_id: Any, block: Any = "latest") -> Any:
        return None

    async def get_stake(self, address: bytes, block: Any = "latest") -> Any:
        return None

    async def call(self, tx_fields: Any, block: Any = "latest") -> bytes:
        return b""

    async def estimate_gas(self, tx_fields: Any, block: Any = "pending") -> int:
        return 21_000

    async def gas_price(self) -> int:
        return BASE_FEE + 1

    async def max_priority_fee(self) -> int:
        return 1

    async def fee_history(self, count: int, newest: Any, percentiles: Any = None) -> FeeHistory:
        head = len(self.blocks) - 1
        n = min(count, head + 1)
        reward = [[1 for _ in percentiles] for _ in range(n)] if percentiles else None
        return FeeHistory(head - n + 1, [BASE_FEE] * (n + 1), [0.0] * n, reward)

    async def get_withdrawal_proof(self, ref: Any) -> Any:
        return None

    def stats(self) -> dict[str, int]:
        return {"tx_accepted": self.submits, "tx_dropped": 0}
