"""A tiny sequencer simulation on the pure core: blocks with deposits and signed transfers, and
the batches a batcher would post for them (for the derivation unit tests)."""

from __future__ import annotations

from dataclasses import dataclass, field

from eth_hash.auto import keccak

from prover.state_tree import StateTree
from prover.withdrawals import WithdrawalTree
from rollup.batch import KIND_CALLDATA, Batch, BatchBlock, batch_hash, calldata_data_hash, encode_frame
from rollup.core.builder import BlockBuilder, SealedBlock, next_base_fee
from rollup.core.config import BlockEnv
from rollup.core.genesis import Genesis, build_genesis_block, dev_accounts, dev_genesis
from rollup.core.state import MemoryState
from rollup.core.transactions import DepositTransaction, decode_transaction
from rollup.settlement.feed import l1_fee_per_byte
from rollup.derivation.inputs import L1Block, L1Deposit, PostedBatch
from tests.core.txgen import Signer

OMNIT = 10**18


def l1_hash(number: int) -> bytes:
    return keccak(b"l1 block %d" % number)


@dataclass
class FakeL1:
    """Canonical L1 blocks 0..head, 12 s apart from time 1000."""

    head: int = 100
    overrides: dict[int, bytes] = field(default_factory=dict)

    def block(self, number: int) -> L1Block | None:
        if number > self.head:
            return None
        return L1Block(number, self.overrides.get(number, l1_hash(number)), 1000 + 12 * number, 10**9 + number)


def deposit(nonce: int, l1_block: int, to: bytes, amount: int, l1: FakeL1 | None = None) -> L1Deposit:
    l1 = l1 or FakeL1()
    b = l1.block(l1_block)
    assert b is not None
    return L1Deposit(nonce, b"\x11" * 20, to, amount, b.timestamp, l1_block, b.hash, nonce)


def batch_block_of(sealed: SealedBlock) -> BatchBlock:
    h = sealed.header
    deposits = sum(1 for tx in sealed.transactions if isinstance(tx, DepositTransaction))
    return BatchBlock(h.number, h.timestamp, h.l1_origin_number, h.l1_origin_hash, deposits,
                      tuple(tx.raw for tx in sealed.transactions[deposits:]))


class SimSequencer:
    """Builds blocks like the node's sequencer, with explicit origins and deposits."""

    def __init__(self, genesis: Genesis | None = None) -> None:
        self.genesis = genesis or dev_genesis()
        self.state_tree, self.withdrawal_tree = StateTree(), WithdrawalTree()
        g = build_genesis_block(self.genesis, self.state_tree, self.withdrawal_tree)
        self.state = MemoryState()
        self.state.apply(g.state_writes)
        self.blocks: list[SealedBlock] = [g]
        accts = dev_accounts(3)
        self.signers = [Signer(a.private_key, a.address) for a in accts]

    @property
    def head(self):
        return self.blocks[-1].header

    def build(self, timestamp: int, origin: int, deposits=(), transfers: int = 1,
              l1: FakeL1 | None = None) -> SealedBlock:
        l1 = l1 or FakeL1()
        head = self.head
        o = l1.block(origin)
        assert o is not None
        env = BlockEnv(number=head.number + 1, timestamp=timestamp, parent_hash=head.hash,
                       base_fee=next_base_fee(head, self.genesis.config), config=self.genesis.config,
                       gas_limit=self.genesis.config.block_gas_limit, fee_vault=self.genesis.fee_vault,
                       l1_origin_number=origin, l1_origin_hash=o.hash,
                       l1_fee_per_byte=l1_fee_per_byte(o.base_fee))
        b = BlockBuilder(self.state, self.state_tree, self.withdrawal_tree, env)
        for d in deposits:
            b.add(d.transaction())
        for i in range(transfers):
            s = self.signers[i % len(self.signers)]
            b.add(decode_transaction(s.tx(b"\x22" * 20, value=OMNIT), self.genesis.config.chain_id))
        sealed = b.seal()
        self.state.apply(sealed.state_writes)
        self.blocks.append(sealed)
        return sealed


def post(blocks: list[SealedBlock], index: int, prev_hash: bytes, l1_block_number: int = 1000,
         frame: bytes | None = None) -> PostedBatch:
    """The calldata batch of ``blocks`` as the L1 would show it."""
    bb = tuple(batch_block_of(b) for b in blocks)
    if frame is None:
        frame = encode_frame(Batch(prev_hash, bb))
    dh = calldata_data_hash(frame)
    first, last = bb[0].number, bb[-1].number
    h = batch_hash(prev_hash, index, first, last, dh, KIND_CALLDATA)
    return PostedBatch(index, h, prev_hash, first, last, dh, False, frame, l1_block_number)
