"""A tiny in-memory chain over the core, for tests: genesis, build blocks, read state."""

from __future__ import annotations

from typing import Any, Iterable

from prover.state_tree import StateTree
from prover.withdrawals import WithdrawalTree

from rollup.core import (
    BlockBuilder,
    BlockEnv,
    Genesis,
    SealedBlock,
    Transaction,
    build_genesis_block,
    decode_transaction,
    dev_accounts,
    dev_genesis,
    next_base_fee,
)
from rollup.core.blocks import Receipt
from rollup.core.records import Globals
from rollup.core.state import MemoryState, Overlay
from rollup.core.system_contracts import encode_call, function_spec, CONTRACTS

from txgen import Signer

__all__ = ["Chain", "CONTRACT_ADDRESS"]

CONTRACT_ADDRESS = {c.name: c.address for c in CONTRACTS}


class Chain:
    def __init__(self, genesis: Genesis | None = None, l1_fee_per_byte: int = 0) -> None:
        self.genesis = genesis or dev_genesis()
        self.config = self.genesis.config
        self.l1_fee_per_byte = l1_fee_per_byte
        self.state = MemoryState()
        self.tree = StateTree()
        self.wtree = WithdrawalTree()
        block0 = build_genesis_block(self.genesis, self.tree, self.wtree)
        self.state.apply(block0.state_writes)
        self.blocks: list[SealedBlock] = [block0]
        self.accounts = dev_accounts(10)
        self.signers = [Signer(a.private_key, a.address, self.config.chain_id) for a in self.accounts]

    @property
    def head(self):
        return self.blocks[-1].header

    def addr(self, i: int) -> bytes:
        return self.accounts[i].address

    def env(self, timestamp: int | None = None, **kw: Any) -> BlockEnv:
        head = self.head
        return BlockEnv(
            head.number + 1,
            head.timestamp + 1 if timestamp is None else timestamp,
            head.hash,
            next_base_fee(head, self.config),
            self.config,
            self.config.block_gas_limit,
            l1_fee_per_byte=kw.pop("l1_fee_per_byte", self.l1_fee_per_byte),
            **kw,
        )

    def builder(self, timestamp: int | None = None, **kw: Any) -> BlockBuilder:
        return BlockBuilder(self.state, self.tree, self.wtree, self.env(timestamp, **kw))

    def build(
        self, txs: Iterable[bytes | Transaction], timestamp: int | None = None, **kw: Any
    ) -> SealedBlock:
        b = self.builder(timestamp, **kw)
        for tx in txs:
            if isinstance(tx, (bytes, bytearray)):
                tx = decode_transaction(bytes(tx), self.config.chain_id, allow_deposit=True)
            b.add(tx)
        block = b.seal()
        self.state.apply(block.state_writes)
        self.blocks.append(block)
        return block

    def run(self, *txs: bytes | Transaction, timestamp: int | None = None, **kw: Any) -> list[Receipt]:
        return list(self.build(txs, timestamp, **kw).receipts)

    def call_tx(self, signer: int, contract: str, fn: str, *args: Any, value: int = 0,
                gas: int | None = None) -> bytes:
        data = encode_call(contract, fn, *args)
        if gas is None:
            gas = 21_000 + 16 * len(data) + function_spec(contract, fn).gas
        return self.signers[signer].tx(CONTRACT_ADDRESS[contract], value=value, data=data, gas=gas)

    def transfer(self, signer: int, to: bytes, value: int) -> bytes:
        return self.signers[signer].tx(to, value=value)

    def view(self) -> Overlay:
        return Overlay(self.state)

    def balance(self, addr: bytes) -> int:
        return self.view().account(addr).balance

    def globals(self) -> Globals:
        return self.view().globals()

    def total_balances(self, extra: Iterable[bytes] = ()) -> int:
        addrs = {a.address for a in self.accounts} | {self.genesis.fee_vault} | set(extra)
        v = self.view()
        return sum(v.account(a).balance for a in addrs)

    def conservation_gap(self, extra: Iterable[bytes] = ()) -> int:
        """LHS - RHS of the OMNIT conservation equation (0 when it holds)."""
        g = self.globals()
        lhs = (self.total_balances(extra) + g.total_escrow + g.total_compute_stake
               + g.total_validator_stake + g.total_unbonding + g.burned)
        return lhs - (g.genesis_supply + g.total_deposited - g.total_withdrawn)
