"""The L2Node facade: everything the JSON-RPC server and the CLI ask of the node.

Lifecycle::

    settings = load_settings("node.toml")
    async with L2Node.open(settings) as node:      # migrate, genesis, lease, restart recovery
        tx_hash = await node.submit_raw_transaction(raw)

``L2Node.open(settings)`` returns an async context manager; ``await node.start()`` /
``await node.aclose()`` are the explicit form. All methods are coroutines; arguments and results
are core types, the views of :mod:`rollup.node.views`, or plain ``int``/``bytes``.
Addresses are 20 raw bytes, hashes 32 raw bytes. Block identifiers are ``int`` or one of the tags
``"latest"``, ``"pending"``, ``"safe"``, ``"finalized"``, ``"earliest"``.

Errors: invalid transactions raise :mod:`rollup.core.exceptions` errors; the node's own policy
raises :mod:`rollup.node.errors` (each has ``rpc_code``/``rpc_data``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable, Mapping, Sequence, TypeVar

from rollup.core.blocks import Header
from rollup.core.exceptions import ContractCreationNotSupported
from rollup.core.execution import execute_call
from rollup.core.records import Model, Stake, Task
from rollup.core.state import Overlay
from rollup.core.transactions import decode_transaction
from rollup.core.types import Address, Wei
from rollup.storage import LeaseUnavailable, Store, create_store
from rollup.storage.records import BlockRecord, LogRecord

from .chain import META_HISTORY_FROM, open_chain
from .config import NodeSettings
from .decode_pool import DecodePool
from .errors import (
    CallReverted,
    LogQueryTooLarge,
    NotSequencer,
    StateUnavailable,
    UnknownBlock,
)
from .fees import fee_history, suggest_tip
from .history import run_at
from .receipt_codec import decode_receipt
from .sequencer import Sequencer
from .views import (
    BlockId,
    BlockView,
    FeeHistory,
    LogFilter,
    LogView,
    ReceiptView,
    SyncStatus,
    TransactionView,
    TxLocation,
    TxState,
    TxStatus,
    WithdrawalProof,
)

__all__ = ["L2Node"]

_log = logging.getLogger(__name__)

_ZERO_ADDRESS = Address(bytes(20))
T = TypeVar("T")
_HEAD_TAGS = ("latest", "pending")


class L2Node:
    """Facade over the sequencer (writes) and the store plus live state (reads)."""

    settings: NodeSettings

    def __init__(self, settings: NodeSettings, store: Store | None = None,
                 clock: Callable[[], float] = time.time, *, l1_feed: Any = None,
                 settlement: Any = None) -> None:
        self.settings = settings
        self._l1_feed = l1_feed  # rollup.settlement L1Feed (e.g. L1Watcher); None: no L1
        self._settlement = settlement  # rollup.settlement.SettlementStatus: safe/finalized
        self._store = store
        self._clock = clock
        self._sequencer: Sequencer | None = None
        self._block_hashes: dict[int, bytes] = {}
        self._tip_cache: tuple[int, int] | None = None
        self._oldest_state: int | None = None
        self._started = False

    # -- lifecycle -------------------------------------------------------------------------

    @classmethod
    def open(cls, settings: NodeSettings, *, store: Store | None = None,
             clock: Callable[[], float] = time.time, l1_feed: Any = None,
             settlement: Any = None) -> L2Node:
        """A node for ``settings`` (not started). Use ``async with L2Node.open(s) as node``.
        ``store`` overrides the one ``settings.db_url`` names (tests). ``l1_feed`` (an
        ``L1Watcher``: attached to the chain at start) gives blocks their L1 origin and
        deposits; ``settlement`` (a ``SettlementStatus``) answers the safe/finalized tags."""
        return cls(settings, store, clock, l1_feed=l1_feed, settlement=settlement)

    async def start(self) -> None:
        """Open the store, migrate, take the sequencer lease (waiting up to
        ``settings.lease_wait``), write genesis if empty or rebuild the trees and check the head
        state root, reload the acknowledged pending transactions, and start the intake and
        sealing tasks."""
        if self._started:
            return
        settings = self.settings
        store = self._store or create_store(settings.db_url, settings.db_pool_size, self._clock)
        self._store = store
        await store.open()
        # the decode workers import the core while the chain loads (see wait_decoders)
        decoder = DecodePool(settings.decode_processes, settings.chain_id,
                             native=settings.decode_native)
        decoder.start()
        try:
            await self._acquire_lease(store)
            chain = await open_chain(store, settings, settings.sequencer_id)
            if self._l1_feed is not None and hasattr(self._l1_feed, "attach"):
                await self._l1_feed.attach(chain)
            sequencer = Sequencer(settings, store, chain, self._clock, l1_feed=self._l1_feed,
                                  decoder=decoder)
            restored = await sequencer.restore_pending()
            sequencer.start()
        except BaseException:
            decoder.close()
            await store.close()
            raise
        self._sequencer = sequencer
        self._started = True
        _log.info("sequencer %s active at block %d (%d pending restored)",
                  settings.sequencer_id, chain.head.number, restored)

    async def wait_decoders(self) -> bool:
        """Wait (bounded) until the decode worker processes answer: a service calls this before
        it announces itself ready, so the first load is not decoded in threads. Whether they
        are in use (False with ``decode_processes = 0``)."""
        return await self.sequencer.wait_decoders()

    async def _acquire_lease(self, store: Store) -> None:
        settings = self.settings
        loop = asyncio.get_running_loop()
        give_up = None if settings.lease_wait is None else loop.time() + settings.lease_wait
        while True:
            try:
                await store.acquire_lease(settings.sequencer_id, settings.lease_ttl)
                return
            except LeaseUnavailable as exc:
                if give_up is not None and loop.time() >= give_up:
                    raise
                _log.info("standby: %s", exc)
                pause = min(max(settings.lease_ttl / 3, 0.05), 1.0)
                if give_up is not None:
                    pause = max(0.0, min(pause, give_up - loop.time()))
                await asyncio.sleep(pause)

    async def aclose(self) -> None:
        """Stop accepting, flush acknowledged-but-unwritten intake, stop sealing, release the
        lease, close the store. Idempotent."""
        sequencer, self._sequencer = self._sequencer, None
        store = self._store
        try:
            if sequencer is not None:
                await sequencer.stop()
                if not sequencer.failed.is_set() and store is not None:
                    try:
                        await store.release_lease(self.settings.sequencer_id)
                    except Exception:  # closing anyway; the lease expires on its own
                        _log.warning("could not release the lease", exc_info=True)
        finally:
            if store is not None and self._started:
                await store.close()
            self._started = False

    async def __aenter__(self) -> L2Node:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def sequencer(self) -> Sequencer:
        """The running sequencer (raises ``NotSequencer`` before start or after close)."""
        if self._sequencer is None:
            raise NotSequencer(None)
        return self._sequencer

    @property
    def store(self) -> Store:
        """The node's store."""
        assert self._store is not None, "node not started"
        return self._store

    @property
    def failed(self) -> asyncio.Event:
        """Set when the sequencer stopped for good (lease lost, fatal error)."""
        return self.sequencer.failed

    # -- chain -----------------------------------------------------------------------------

    @property
    def chain_id(self) -> int:
        """The L2 chain id (``eth_chainId``)."""
        return self.settings.chain_id

    def _head(self) -> int:
        return int(self.sequencer.chain.head.number)

    async def block_number(self) -> int:
        """Number of the latest sealed block (``eth_blockNumber``)."""
        return self._head()

    def resolve_block(self, block: BlockId) -> int:
        """A block number for a number or tag (tags relative to the head; may exceed it)."""
        head = self._head()
        if isinstance(block, int):
            if block < 0:
                raise UnknownBlock(block)
            return block
        tag = str(block).lower()
        if tag in _HEAD_TAGS:
            return head
        if tag == "safe":
            if self._settlement is not None:
                return min(head, int(self._settlement.safe))
            return max(0, head - self.settings.safe_lag)
        if tag == "finalized":
            if self._settlement is not None:
                return min(head, int(self._settlement.finalized))
            return max(0, head - self.settings.finalized_lag)
        if tag == "earliest":
            return 0
        try:
            return int(tag, 0)
        except ValueError:
            raise UnknownBlock(block) from None

    async def sync_status(self) -> SyncStatus:
        """Unsafe/safe/finalized heads (safe and finalized = latest minus the configured lags
        until L1 settlement is wired in), whether this node sequences, and the pool size."""
        seq = self.sequencer
        head = int(seq.chain.head.number)
        return SyncStatus(
            unsafe=head,
            safe=self.resolve_block("safe"),
            finalized=self.resolve_block("finalized"),
            sequencer_active=not seq.failed.is_set(),
            pending_count=len(seq.pool),
        )

    def stats(self) -> dict[str, int]:
        """Figures for the metrics endpoint."""
        seq = self._sequencer
        if seq is None:
            return {}
        return {
            "mempool_size": len(seq.pool),
            "intake_queue": len(seq._queue),
            "blocks_sealed": seq.blocks_sealed,
            "txs_included": seq.txs_included,
        }

    # -- writes ----------------------------------------------------------------------------

    async def submit_raw_transaction(self, raw: bytes) -> bytes:
        """Validate ``raw`` (EIP-2718 bytes), make it durable, return its 32-byte hash.

        Returns only after the transaction is committed to the database (``kill -9`` after the
        return loses nothing). Idempotent: the same bytes again return the same hash whether
        pending or included. Raises core errors for invalid transactions, ``Overloaded`` when
        the intake queue is full, ``NonceGapTooLarge``/``ReplacementUnderpriced``/``PoolFull``/
        ``NonceInFlight`` for pool policy, ``NotSequencer`` on a fenced or closed node.
        """
        return await self.sequencer.submit(raw)

    async def submit_raw_transactions(self, raws: Sequence[bytes]) -> list[bytes | Exception]:
        """Batch form of :meth:`submit_raw_transaction` (for JSON-RPC batch requests): one
        result per item, in order, either its hash (durable, like the single form) or the
        exception that refused it (returned, not raised). Much cheaper per transaction: one
        wait for the whole batch, signature recovery off the event loop for large batches.
        Raises only ``NotSequencer``/``ShuttingDown`` (nothing in the batch was accepted)."""
        return await self.sequencer.submit_many(raws)

    # -- blocks and transactions -----------------------------------------------------------

    async def _block_hash(self, number: int) -> bytes | None:
        cached = self._block_hashes.get(number)
        if cached is None:
            record = await self.store.get_block(number)
            if record is None:
                return None
            cached = record.hash
            if len(self._block_hashes) > 8192:
                self._block_hashes.clear()
            self._block_hashes[number] = cached
        return cached

    async def _block_view(self, record: BlockRecord | None, full: bool) -> BlockView | None:
        if record is None:
            return None
        items: list[Any]
        if full:
            txs = await self.store.get_block_transactions(record.number)
            size = len(record.raw) + sum(len(t.raw) for t in txs)
            items = [decode_transaction(t.raw, self.chain_id, allow_deposit=True) for t in txs]
        else:
            # hashes and sizes only: pollers of eth_getBlockByNumber(n, false) do not pay for
            # reading every transaction's raw bytes
            items, tx_bytes = await self.store.get_block_transaction_hashes(record.number)
            size = len(record.raw) + tx_bytes
        return BlockView(Header.decode(record.raw), record.hash, size, items, full)

    async def get_block(self, block: BlockId, full: bool = False) -> BlockView | None:
        """The block with that number or tag (``pending`` means ``latest``), or ``None``."""
        number = self.resolve_block(block)
        if number > self._head():
            return None
        return await self._block_view(await self.store.get_block(number), full)

    async def get_block_by_hash(self, block_hash: bytes, full: bool = False) -> BlockView | None:
        """The block with that hash, or ``None``."""
        return await self._block_view(await self.store.get_block_by_hash(block_hash), full)

    async def get_transaction(self, tx_hash: bytes) -> TransactionView | None:
        """The transaction (included, or pending with ``location=None``), or ``None``."""
        entry = self.sequencer.pool.get(bytes(tx_hash))
        if entry is not None and entry.durable:
            return TransactionView(entry.tx, None)
        record = await self.store.get_transaction(tx_hash)
        if record is None:
            return None
        tx = decode_transaction(record.raw, self.chain_id, allow_deposit=True)
        block_hash = await self._block_hash(record.block_number)
        return TransactionView(tx, TxLocation(record.block_number, block_hash or b"", record.index))

    async def get_receipt(self, tx_hash: bytes) -> ReceiptView | None:
        """The receipt of an included transaction; ``None`` while pending or unknown."""
        record = await self.store.get_receipt(tx_hash)
        if record is None:
            return None
        receipt = decode_receipt(record.raw, record)
        block_hash = await self._block_hash(record.block_number) or b""
        location = TxLocation(record.block_number, block_hash, record.index)
        logs = tuple(
            LogView(log.address, tuple(log.topics), log.data, record.block_number, block_hash,
                    bytes(tx_hash), record.index, log.log_index)
            for log in receipt.logs
        )
        return ReceiptView(
            receipt=receipt, tx_hash=bytes(tx_hash), location=location, sender=receipt.sender,
            to=receipt.to, effective_gas_price=record.effective_gas_price,
            gas_used=record.gas_used, cumulative_gas_used=record.cumulative_gas_used,
            status=record.status, logs=logs,
        )

    async def get_transaction_status(self, tx_hash: bytes) -> TxStatus:
        """pending, included (with location), dropped (with reason) or unknown."""
        tx_hash = bytes(tx_hash)
        seq = self.sequencer
        entry = seq.pool.get(tx_hash)
        if entry is not None and entry.durable:
            return TxStatus(TxState.PENDING)
        outcome = seq.recent_outcome(tx_hash)
        if outcome is None:
            record = await self.store.get_transaction(tx_hash)
            if record is not None:
                block_hash = await self._block_hash(record.block_number) or b""
                return TxStatus(TxState.INCLUDED,
                                TxLocation(record.block_number, block_hash, record.index))
            outcome = await self.store.get_outcome(tx_hash)
        if outcome is not None:
            return TxStatus(TxState.DROPPED, reason=outcome.reason,
                            replaced_by=outcome.replaced_by)
        if await self.store.get_pending(tx_hash) is not None:
            return TxStatus(TxState.PENDING)
        return TxStatus(TxState.UNKNOWN)

    async def get_logs(self, flt: LogFilter) -> list[LogView]:
        """Logs matching ``flt`` in block order (``eth_getLogs``)."""
        if flt.block_hash is not None:
            record = await self.store.get_block_by_hash(flt.block_hash)
            if record is None:
                raise UnknownBlock("0x" + bytes(flt.block_hash).hex())
            first = last = record.number
        else:
            first = self.resolve_block(flt.from_block)
            last = min(self.resolve_block(flt.to_block), self._head())
        if first > last:
            return []
        if last - first + 1 > self.settings.max_log_range:
            raise LogQueryTooLarge("blocks", self.settings.max_log_range)
        limit = self.settings.max_logs
        records = await self.store.get_logs(first, last, flt.addresses, flt.topics, limit + 1)
        if len(records) > limit:
            raise LogQueryTooLarge("logs", limit)
        return [await self._log_view(r) for r in records]

    async def _log_view(self, r: LogRecord) -> LogView:
        block_hash = await self._block_hash(r.block_number) or b""
        return LogView(r.address, r.topics, r.data, r.block_number, block_hash, r.tx_hash,
                       r.tx_index, r.log_index)

    # -- state -----------------------------------------------------------------------------

    async def _at(self, block: BlockId, fn: Callable[[Overlay], T]) -> T:
        """``fn`` over the state after ``block``: the head's in-memory state, or an older
        block's state read back from the store's history (``rollup.node.history``)."""
        head = self._head()
        number = self.resolve_block(block)
        if number == head:
            return fn(Overlay(self.sequencer.chain.state))
        oldest = await self._history_from()
        if number > head or number < oldest:
            raise StateUnavailable(number, head, oldest)
        # number < head: the store holds every block up to the in-memory head
        return await run_at(self.store, number, lambda reader: fn(Overlay(reader)))

    async def _history_from(self) -> int:
        if self._oldest_state is None:
            raw = await self.store.get_meta(META_HISTORY_FROM)
            self._oldest_state = int(raw) if raw is not None else self._head()
        return self._oldest_state

    async def get_balance(self, address: bytes, block: BlockId = "latest") -> int:
        """Balance in wei after ``block`` (a number or tag; ``pending`` is the same as latest:
        the pool does not pre-apply balances). States older than the node's history raise
        ``StateUnavailable``."""
        return await self._at(block, lambda st: int(st.account(address).balance))

    async def get_nonce(self, address: bytes, block: BlockId = "latest") -> int:
        """Next nonce after ``block``; ``pending`` also counts the sender's contiguous pool
        transactions (what wallets use to pick the next nonce)."""
        nonce = await self._at(block, lambda st: int(st.account(address).nonce))
        if isinstance(block, str) and block.lower() == "pending":
            return self.sequencer.pool.pending_nonce(bytes(address), nonce)
        return nonce

    async def get_task(self, task_id: int, block: BlockId = "latest") -> Task | None:
        """The core's task record after ``block``, or ``None``."""
        return await self._at(block, lambda st: st.task(task_id))

    async def get_model(self, model_id: Any, block: BlockId = "latest") -> Model | None:
        """The core's model record after ``block``, or ``None``."""
        return await self._at(block, lambda st: st.model(int(model_id)))

    async def get_stake(self, address: bytes, block: BlockId = "latest") -> Stake | None:
        """The core's stake record of ``address`` after ``block``, or ``None``."""
        stake = await self._at(block, lambda st: st.stake(address))
        return None if stake.is_empty() else stake

    async def _call(self, tx_fields: Mapping[str, Any], block: BlockId):  # -> CallResult
        to = tx_fields.get("to")
        if to is None:
            raise ContractCreationNotSupported()
        chain = self.sequencer.chain
        tag = "latest" if str(block).lower() == "pending" else block
        number, now = self.resolve_block(tag), self._clock()
        if number == chain.head.number:
            env = chain.next_env(now)
        else:  # a call at an older block runs in the environment of that block's child
            record = await self.store.get_block(number) if number < chain.head.number else None
            if record is None:
                raise StateUnavailable(number, int(chain.head.number), await self._history_from())
            env = chain.env_after(Header.decode(record.raw), now)
        sender = Address(bytes(tx_fields.get("from") or _ZERO_ADDRESS))
        data = bytes(tx_fields.get("data") or b"")
        value = Wei(int(tx_fields.get("value") or 0))
        result = await self._at(number, lambda st: execute_call(
            st, env, sender, Address(bytes(to)), data, value))  # type: ignore[arg-type]
        if not result.success:
            raise CallReverted(result.revert_reason, result.return_data)
        return result

    async def call(self, tx_fields: Mapping[str, Any], block: BlockId = "latest") -> bytes:
        """Execute a call against the state after ``block`` without writing (``eth_call``).

        ``tx_fields`` keys (all optional): ``from``/``to`` (20 bytes), ``gas``, ``gas_price``,
        ``max_fee_per_gas``, ``max_priority_fee_per_gas``, ``value``, ``nonce`` (int),
        ``data`` (bytes). A revert raises ``CallReverted``."""
        return bytes((await self._call(tx_fields, block)).return_data)

    async def estimate_gas(self, tx_fields: Mapping[str, Any], block: BlockId = "pending") -> int:
        """Gas the transaction needs (``eth_estimateGas``), same keys as :meth:`call`."""
        return int((await self._call(tx_fields, block)).gas_used)

    # -- fees ------------------------------------------------------------------------------

    def _next_base_fee(self) -> int:
        chain = self.sequencer.chain
        return int(chain.next_env(self._clock()).base_fee)

    async def gas_price(self) -> int:
        """Suggested legacy gas price: next base fee plus the suggested tip."""
        return self._next_base_fee() + await self.max_priority_fee()

    async def max_priority_fee(self) -> int:
        """Suggested tip (``eth_maxPriorityFeePerGas``): the median tip of the last few blocks,
        at least :data:`~rollup.node.fees.SUGGESTED_TIP_FLOOR` (cached per head)."""
        head = self._head()
        if self._tip_cache is None or self._tip_cache[0] != head:
            self._tip_cache = (head, await suggest_tip(self.store, head))
        return self._tip_cache[1]

    async def fee_history(
        self, block_count: int, newest: BlockId, percentiles: Sequence[float] | None = None
    ) -> FeeHistory:
        """``eth_feeHistory`` from the stored headers and receipts (at most 1024 blocks)."""
        last = min(self.resolve_block(newest), self._head())
        return await fee_history(self.store, self.sequencer.chain.config, block_count, last,
                                 percentiles)

    # -- withdrawals -----------------------------------------------------------------------

    async def get_withdrawal_proof(self, ref: bytes | int) -> WithdrawalProof | None:
        """Proof of a withdrawal, by the hash of the transaction that made it or by its leaf
        index (withdrawal nonce), against the withdrawal root of the latest block."""
        tx_hash: bytes | None = None
        if isinstance(ref, int):
            index = ref
        else:
            found = await self.store.get_withdrawals_by_tx(bytes(ref))
            if not found:
                return None
            index, tx_hash = found[0].leaf_index, bytes(ref)
        chain = self.sequencer.chain
        tree = chain.withdrawal_tree
        if not 0 <= index < len(tree):
            return None
        proof = tree.proof(index)
        return WithdrawalProof(index, proof.leaf_data, tuple(proof.siblings), tree.root,
                               int(chain.head.number), tx_hash)

