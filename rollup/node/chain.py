"""The sequencer's live chain: head header, in-memory head state and the two prover trees.

:func:`open_chain` either writes genesis (empty database) or rebuilds everything from the store
and checks it: state rows in tree-index order must rebuild the state root of the latest stored
header, withdrawal rows its withdrawal root; otherwise the node refuses to start.
:func:`block_write` turns a sealed block into the records the store writes in one transaction.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Sequence

from prover.state_tree import StateTree
from prover.withdrawals import WithdrawalTree
from rollup.core.blocks import Header, Receipt
from rollup.core.builder import SealedBlock, next_base_fee
from rollup.core.config import BlockEnv, ChainConfig
from rollup.core.genesis import (
    Genesis,
    build_genesis_block,
    dev_genesis,
    genesis_to_json,
    load_genesis,
    parse_genesis,
)
from rollup.core.records import Account, account_key
from rollup.core.state import MemoryState, StateReader, value_hash
from rollup.core.types import Address, Gas, Hash32, L2BlockNumber, Timestamp
from rollup.storage import (
    BlockRecord,
    BlockWrite,
    HistoryRow,
    LogRecord,
    Outcome,
    ReceiptRecord,
    StateRow,
    Store,
    TxRecord,
    WithdrawalRecord,
)

from .config import ConfigError, NodeSettings
from .errors import StateRootMismatch
from .receipt_codec import encode_receipts

__all__ = ["Chain", "open_chain", "block_write", "META_CHAIN_ID", "META_GENESIS",
           "META_HISTORY_FROM", "DELETED_VALUE"]

META_CHAIN_ID = "chain_id"
"""Meta key: the chain id (decimal ASCII), checked against the settings at every start."""

META_GENESIS = "genesis"
"""Meta key: the genesis file as canonical JSON (the chain config comes from it at restart)."""

META_HISTORY_FROM = "history_from"
"""Meta key: the first block whose state can be read back (decimal ASCII): 0 for a chain started
with historical state, else the head when an older database was first opened with it."""

DELETED_VALUE = b""
"""Stored value of a deleted state key: its tree slot stays (value hash zero). Record
encodings are RLP lists, never empty, so the empty value is unambiguous."""


@dataclass(slots=True)
class Chain:
    """Head header plus the state and trees as of that header (mutated only after a block
    is durable)."""

    config: ChainConfig
    genesis: Genesis
    head: Header
    state: MemoryState
    state_tree: StateTree
    withdrawal_tree: WithdrawalTree
    gas_limit: int

    def account(self, address: bytes) -> Account:
        raw = self.state.data.get(account_key(address))
        return Account() if raw is None else Account.decode(raw)

    def next_env(self, timestamp: float) -> BlockEnv:
        """The environment of the block after the head at wall-clock ``timestamp``."""
        return self.env_after(self.head, timestamp)

    def env_after(self, parent: Header, timestamp: float) -> BlockEnv:
        """The environment of a block on top of ``parent`` at wall-clock ``timestamp`` (the
        head's child, or for a call at an older block, that block's child)."""
        return BlockEnv(
            number=L2BlockNumber(parent.number + 1),
            timestamp=Timestamp(max(parent.timestamp, int(timestamp))),
            parent_hash=parent.hash,
            base_fee=next_base_fee(parent, self.config),
            config=self.config,
            gas_limit=Gas(self.gas_limit),
            fee_vault=self.genesis.fee_vault,
        )

    def advance(self, sealed: SealedBlock, state_tree: StateTree,
                withdrawal_tree: WithdrawalTree) -> None:
        """Make a durable block the head (its trees were advanced by the builder)."""
        self.state.apply(sealed.state_writes)
        self.state_tree = state_tree
        self.withdrawal_tree = withdrawal_tree
        self.head = sealed.header


def _genesis_for(settings: NodeSettings) -> Genesis:
    if settings.genesis_path:
        genesis = load_genesis(settings.genesis_path)
    else:
        genesis = dev_genesis(chain_id=settings.chain_id)
    if genesis.config.chain_id != settings.chain_id:
        raise ConfigError("chain_id", settings.chain_id,
                          f"genesis {settings.genesis_path} is for chain {genesis.config.chain_id}")
    return genesis


def _gas_limit(settings: NodeSettings, config: ChainConfig) -> int:
    return settings.block_gas_limit or int(config.block_gas_limit)


async def open_chain(store: Store, settings: NodeSettings, holder: str) -> Chain:
    """Load the chain from ``store`` (verifying roots) or write genesis if the store is empty.
    The caller holds the lease as ``holder``."""
    head = await store.head()
    if head is None:
        genesis = _genesis_for(settings)
        state_tree, withdrawal_tree = StateTree(), WithdrawalTree()
        sealed = build_genesis_block(genesis, state_tree, withdrawal_tree)
        meta = {
            META_CHAIN_ID: str(settings.chain_id).encode(),
            META_GENESIS: json.dumps(genesis_to_json(genesis), sort_keys=True).encode(),
            META_HISTORY_FROM: b"0",
        }
        await store.write_block(holder, block_write(sealed, state_tree, meta=meta),
                                settings.lease_ttl)
        state = MemoryState()
        state.apply(sealed.state_writes)
        return Chain(genesis.config, genesis, sealed.header, state, state_tree, withdrawal_tree,
                     _gas_limit(settings, genesis.config))

    stored_id = await store.get_meta(META_CHAIN_ID)
    if stored_id is not None and int(stored_id) != settings.chain_id:
        raise ConfigError("chain_id", settings.chain_id,
                          f"the database holds chain {int(stored_id)}")
    raw_genesis = await store.get_meta(META_GENESIS)
    genesis = parse_genesis(json.loads(raw_genesis)) if raw_genesis else _genesis_for(settings)
    header = Header.decode(head.raw)
    rows = await store.load_state()
    for position, row in enumerate(rows):
        if row.tree_index != position:
            raise StateRootMismatch(head.number, header.state_root, b"")
    state_tree = StateTree.from_leaves(
        (row.key, value_hash(row.value or None)) for row in rows)
    if state_tree.root != header.state_root:
        raise StateRootMismatch(head.number, header.state_root, state_tree.root)
    withdrawal_tree = WithdrawalTree.from_leaves(w.leaf for w in await store.load_withdrawals())
    if withdrawal_tree.root != header.withdrawal_root:
        raise StateRootMismatch(head.number, header.withdrawal_root, withdrawal_tree.root)
    state = MemoryState({row.key: row.value for row in rows if row.value != DELETED_VALUE})
    if await store.get_meta(META_HISTORY_FROM) is None:  # a database from before the history
        await store.put_meta(META_HISTORY_FROM, str(head.number).encode())
    return Chain(genesis.config, genesis, header, state, state_tree, withdrawal_tree,
                 _gas_limit(settings, genesis.config))


def _receipt_for_storage(receipt: Receipt, tx: object, index: int) -> Receipt:
    if receipt.transaction_hash == tx.hash and receipt.transaction_index == index:  # type: ignore[attr-defined]
        return receipt
    return dataclasses.replace(
        receipt, transaction_hash=Hash32(tx.hash), transaction_index=index,  # type: ignore[attr-defined]
        sender=Address(tx.sender), to=getattr(tx, "to", None) or None)  # type: ignore[attr-defined]


def block_write(
    sealed: SealedBlock,
    state_tree: StateTree,
    *,
    included_pending: Sequence[bytes] = (),
    dropped: Sequence[Outcome] = (),
    meta: dict[str, bytes] | None = None,
    pre_state: StateReader | None = None,
) -> BlockWrite:
    """The store records of ``sealed``; ``state_tree`` is the tree after the block (indices),
    ``pre_state`` the state before it (the prior values of historical state; None for genesis,
    which has no prior state)."""
    header = sealed.header
    number = int(header.number)
    record = BlockRecord(
        number=number, hash=header.hash, parent_hash=header.parent_hash,
        timestamp=int(header.timestamp), state_root=header.state_root, tx_root=header.tx_root,
        withdrawal_root=header.withdrawal_root, gas_used=int(header.gas_used),
        gas_limit=int(header.gas_limit), base_fee=int(header.base_fee),
        tx_count=len(sealed.transactions), raw=header.encode(),
    )
    pairs = list(zip(sealed.transactions, sealed.receipts))
    stored = [_receipt_for_storage(receipt, tx, index)
              for index, (tx, receipt) in enumerate(pairs)]
    raws = encode_receipts(stored)  # in one batch: see receipt_codec.encode_receipts
    txs, receipts, logs = [], [], []
    for index, ((tx, _), receipt, raw) in enumerate(zip(pairs, stored, raws)):
        tx_hash = tx.hash
        txs.append(TxRecord(tx_hash, tx.raw, tx.sender, int(tx.nonce or 0), number, index))
        receipts.append(ReceiptRecord(
            tx_hash, number, index, int(receipt.status), int(receipt.gas_used),
            int(receipt.cumulative_gas_used), int(receipt.effective_gas_price), raw))
        for log in receipt.logs:
            logs.append(LogRecord(number, int(log.log_index), index, tx_hash, log.address,
                                  tuple(log.topics), log.data))
    state = []
    for key, value in sealed.state_writes.items():
        tree_index = state_tree.index_of(key)
        assert tree_index is not None, "the builder inserted every written key into the tree"
        state.append(StateRow(key, tree_index, DELETED_VALUE if value is None else value))
    history: list[HistoryRow] = []
    if pre_state is not None:
        get = pre_state.get
        history = [HistoryRow(key, number, get(key) or DELETED_VALUE)
                   for key in sealed.state_writes]
    withdrawals = [
        WithdrawalRecord(int(w.nonce), number, w.transaction_hash, w.leaf_data)
        for w in sealed.withdrawals
    ]
    return BlockWrite(
        block=record, transactions=txs, receipts=receipts, logs=logs, state=state,
        withdrawals=withdrawals, included_pending=included_pending, dropped=dropped,
        meta=meta or {}, history=history,
    )
