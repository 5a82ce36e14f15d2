"""Reference replay: re-execute every stored block from genesis and compare the headers.

Used by the crash test and as an operator check ("is this database consistent?"): each block's
transactions are applied with a fresh :class:`BlockBuilder` in the environment its header
records; the rebuilt header must hash to the stored hash, and the final trees must equal the
ones the node rebuilds from the state rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from prover.state_tree import StateTree
from prover.withdrawals import WithdrawalTree
from rollup.core.blocks import Header
from rollup.core.builder import BlockBuilder, next_base_fee
from rollup.core.config import BlockEnv
from rollup.core.genesis import build_genesis_block, parse_genesis
from rollup.core.state import MemoryState
from rollup.core.transactions import decode_transaction
from rollup.storage import Store

from .chain import META_GENESIS

__all__ = ["ReplayMismatch", "ReplayReport", "replay_store"]


class ReplayMismatch(Exception):
    """Block ``number`` re-executes to a different header than the stored one."""

    def __init__(self, number: int, stored: bytes, replayed: bytes) -> None:
        super().__init__(f"block {number}: stored hash 0x{stored.hex()}, replay gives "
                         f"0x{replayed.hex()}")
        self.number = number
        self.stored = stored
        self.replayed = replayed


@dataclass(frozen=True, slots=True)
class ReplayReport:
    """Head reached by the replay, its state root, and how much was re-executed."""

    head: int
    state_root: bytes
    withdrawal_root: bytes
    blocks: int
    transactions: int


async def replay_store(store: Store, chain_id: int) -> ReplayReport:
    """Re-execute blocks 1..head of ``store`` on top of its genesis; raise on any mismatch."""
    raw_genesis = await store.get_meta(META_GENESIS)
    if raw_genesis is None:
        raise ValueError("the store holds no genesis (was the node ever started?)")
    genesis = parse_genesis(json.loads(raw_genesis))
    state_tree, withdrawal_tree = StateTree(), WithdrawalTree()
    sealed = build_genesis_block(genesis, state_tree, withdrawal_tree)
    stored_genesis = await store.get_block(0)
    if stored_genesis is None or stored_genesis.hash != sealed.header.hash:
        raise ReplayMismatch(0, stored_genesis.hash if stored_genesis else b"", sealed.header.hash)
    state = MemoryState()
    state.apply(sealed.state_writes)
    parent = sealed.header
    head = await store.head()
    count = 0
    for number in range(1, (head.number if head else 0) + 1):
        record = await store.get_block(number)
        assert record is not None
        header = Header.decode(record.raw)
        env = BlockEnv(
            number=header.number, timestamp=header.timestamp, parent_hash=parent.hash,
            base_fee=next_base_fee(parent, genesis.config), config=genesis.config,
            gas_limit=header.gas_limit, fee_vault=header.fee_vault,
            l1_origin_number=header.l1_origin_number, l1_origin_hash=header.l1_origin_hash,
            extra_data=header.extra_data,
        )
        builder = BlockBuilder(state, state_tree, withdrawal_tree, env)
        for tx_record in await store.get_block_transactions(number):
            builder.add(decode_transaction(tx_record.raw, chain_id, allow_deposit=True))
            count += 1
        sealed = builder.seal()
        if sealed.header.hash != record.hash:
            raise ReplayMismatch(number, record.hash, sealed.header.hash)
        state.apply(sealed.state_writes)
        parent = sealed.header
    return ReplayReport(int(parent.number), state_tree.root, withdrawal_tree.root,
                        int(parent.number), count)
