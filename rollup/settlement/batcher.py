"""The batcher: sealed L2 blocks -> versioned columnar batches -> OmniRollup on the L1.

Each round (:meth:`Batcher.step`):

1. follow our open L1 transactions (:class:`TxManager`: inclusion, reorgs, fee bumps); while
   one is still unmined, post nothing new (the next batch chains on it);
2. read the contract: ``batchCount``, ``latestBatchHash``, ``lastBatchedL2Block``. The contract
   is the source of truth for where the chain of batches stands, so a restart, a reverted or a
   reorged-out batch all resume from the right place, and a batch can never be posted twice (the
   contract also refuses a range or parent that does not chain);
3. once the oldest unbatched block has waited ``batch_interval`` (or ``max_blocks_per_batch``
   are ready), read the blocks from the store, encode the first batch that fits the route's
   frame cap (``encode_batches``), choose calldata or blobs (``da = auto``: ``choose_da`` at the
   current base and blob base fees), and submit ``appendBatch`` / ``appendBlobBatch`` through the
   transaction manager (recorded in the nonce ledger before it is broadcast).

Sealed blocks become :class:`BatchBlock` with :func:`batch_blocks_from_store`: the header's L1
origin, the deposit count (deposits are the block's first transactions) and the raw user
transactions.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Callable

from eth_account.signers.local import LocalAccount

from bridge_contracts.blobs import versioned_hashes, warm_up
from rollup.batch import (
    KIND_BLOB,
    BatchBlock,
    append_batch_calldata,
    append_blob_batch_calldata,
    batch_hash,
    blob_data_hash,
    calldata_gas,
    choose_da,
    encode_batches,
    max_frame_for_blobs,
    to_blobs,
)
from rollup.core.blocks import Header
from rollup.core.transactions import TX_TYPE_DEPOSIT
from rollup.storage import Store

from .config import SettlementSettings
from .errors import LedgerMismatch
from .l1 import L1Client
from .ledger import LedgerTx, NonceLedger
from .submitter import Submitter
from .txmanager import Fault

__all__ = ["Batcher", "BatchPlan", "run_batcher", "batch_blocks_from_store",
           "BLOB_CALL_GAS", "CALLDATA_EXEC_GAS"]

_log = logging.getLogger(__name__)

CALLDATA_EXEC_GAS = 120_000
"""Execution gas budgeted for ``appendBatch`` on top of the calldata (measured: 41-73k)."""

BLOB_CALL_GAS = 150_000
"""Gas limit of an ``appendBlobBatch`` call (measured: about 63k)."""


@dataclass(frozen=True, slots=True)
class BatchPlan:
    """The next batch: its place in the chain, its frame and its route."""

    index: int
    prev_hash: bytes
    first: int
    last: int
    frame: bytes
    mode: str
    batch_hash: bytes


async def batch_blocks_from_store(store: Store, first: int, last: int) -> list[BatchBlock]:
    """Blocks ``first..last`` of ``store`` as the batch codec carries them."""
    out = []
    for record in await store.get_blocks(first, last):
        header = Header.decode(record.raw)
        raws = [t.raw for t in await store.get_block_transactions(record.number)]
        deposits = 0
        while deposits < len(raws) and raws[deposits][0] == TX_TYPE_DEPOSIT:
            deposits += 1
        if any(r[0] == TX_TYPE_DEPOSIT for r in raws[deposits:]):
            raise LedgerMismatch(f"L2 block {record.number} has a deposit after a user "
                                 "transaction: batch format v1 cannot carry it")
        out.append(BatchBlock(record.number, int(header.timestamp), int(header.l1_origin_number),
                              bytes(header.l1_origin_hash), deposits, tuple(raws[deposits:])))
    if [b.number for b in out] != list(range(first, last + 1)):
        raise LedgerMismatch(f"store is missing blocks in {first}..{last}")
    return out


def plan_batch(blocks: list[BatchBlock], prev_hash: bytes, index: int, mode: str,
               base_fee: int, blob_base_fee: int, settings: SettlementSettings) -> BatchPlan:
    """Encode the first batch of ``blocks`` and choose its route (pure; run in a thread)."""
    limit = (settings.max_calldata_frame if mode == "calldata"
             else max_frame_for_blobs(settings.max_blobs))
    first = encode_batches(blocks, prev_hash, index, limit)[0]
    frame = first.frame
    if mode == "auto":
        mode = choose_da(len(frame), base_fee, blob_base_fee,
                         max_calldata=settings.max_calldata_frame, max_blobs=settings.max_blobs)
    b = first.batch
    if mode == "blob":
        data_hash = blob_data_hash(versioned_hashes(to_blobs(frame)))
        h = batch_hash(prev_hash, index, b.first_block, b.last_block, data_hash, KIND_BLOB)
    else:
        h = first.batch_hash
    return BatchPlan(index, prev_hash, b.first_block, b.last_block, frame, mode, h)


class Batcher(Submitter):
    """The batcher service (see the module docstring)."""

    role = "batcher"
    sends_blobs = True

    def __init__(self, settings: SettlementSettings, store: Store, client: L1Client,
                 account: LocalAccount, ledger: NonceLedger, *, fault: Fault | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(settings, store, client, account, ledger, fault=fault, clock=clock)
        self._clock = clock
        self._waiting_since: tuple[int, float] | None = None
        self.posted: list[BatchPlan] = []

    async def start(self) -> None:
        """Reconcile the ledger (rebroadcast unconfirmed records with their nonce)."""
        if self.settings.da != "calldata":
            await asyncio.to_thread(warm_up)
        await super().start()

    async def chain_tip(self) -> tuple[int, bytes, int]:
        """``(batchCount, latestBatchHash, lastBatchedL2Block)`` at the L1 head."""
        fns = self.rollup.functions
        count = await self.client.call("batchCount", fns.batchCount().call)
        latest = await self.client.call("latestBatchHash", fns.latestBatchHash().call)
        last = await self.client.call("lastBatchedL2Block", fns.lastBatchedL2Block().call)
        return int(count), bytes(latest), int(last)

    async def step(self) -> LedgerTx | None:
        """One round; returns the submitted transaction, if any."""
        if await self.busy():
            return None
        count, prev_hash, last_batched = await self.chain_tip()
        head = await self.store.head()
        if head is None or head.number <= last_batched:
            self._waiting_since = None
            return None
        first = last_batched + 1
        end = min(head.number, last_batched + self.settings.max_blocks_per_batch)
        now = self._clock()
        if self._waiting_since is None or self._waiting_since[0] != first:
            self._waiting_since = (first, now)
        full = end - first + 1 >= self.settings.max_blocks_per_batch
        if not full and now - self._waiting_since[1] < self.settings.batch_interval:
            return None
        blocks = await batch_blocks_from_store(self.store, first, end)
        fees = await self.client.fees()
        plan = await asyncio.to_thread(plan_batch, blocks, prev_hash, count, self.settings.da,
                                       fees.base_fee, fees.blob_base_fee, self.settings)
        tx = await self.submit(plan)
        self._waiting_since = None
        return tx

    async def submit(self, plan: BatchPlan) -> LedgerTx:
        """Send ``plan`` (recorded in the ledger first)."""
        meta = {"index": plan.index, "first": plan.first, "last": plan.last,
                "prev_hash": plan.prev_hash.hex(), "batch_hash": plan.batch_hash.hex(),
                "mode": plan.mode, "frame_bytes": len(plan.frame)}
        if plan.mode == "blob":
            data = append_blob_batch_calldata(plan.prev_hash, plan.first, plan.last)
            tx = await self.txm.submit("batch", meta, self.rollup.address, data, BLOB_CALL_GAS,
                                       blob_frame=plan.frame)
        else:
            data = append_batch_calldata(plan.prev_hash, plan.first, plan.last, plan.frame)
            gas = calldata_gas(data, eip7623=True, exec_gas=CALLDATA_EXEC_GAS)
            tx = await self.txm.submit("batch", meta, self.rollup.address, data, gas)
        self.posted.append(plan)
        _log.info("batch %d (L2 blocks %d..%d, %d bytes, %s) sent with nonce %d", plan.index,
                  plan.first, plan.last, len(plan.frame), plan.mode, tx.nonce)
        return tx


async def run_batcher(settings: SettlementSettings, store: Store, *,
                      stop: asyncio.Event | None = None, client: L1Client | None = None,
                      fault: Fault | None = None) -> None:
    """Run the batcher until ``stop`` is set (library form of ``omnit batcher``). ``store`` is
    an opened L2 store (read only here)."""
    await Batcher.serve(settings, store, stop=stop, client=client, fault=fault)
