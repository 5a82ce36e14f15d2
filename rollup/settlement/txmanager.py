"""Sending L1 transactions from one key with a persisted nonce ledger.

- :meth:`TxManager.submit` signs with the next nonce, **records** the transaction in the ledger,
  then broadcasts it. A crash between the two leaves a record that :meth:`start` rebroadcasts
  byte for byte (same nonce, same hash) instead of building a new transaction.
- :meth:`TxManager.poll` follows every open record: a receipt makes it ``included`` (status 1)
  or ``failed`` (status 0); ``confirmations`` blocks later, if its block is still canonical, it
  is ``confirmed``. An included transaction whose receipt disappears (its block was reorged
  out) goes back to ``pending`` and is re-sent. A pending transaction not mined after
  ``resubmit_after`` seconds is replaced with fees bumped by ``bump_percent`` (the blob fee by
  ``blob_bump_percent``), never above the caps; the replacement is recorded before it is sent.
  A pending record whose nonce the chain has passed without any of its attempts is ``dropped``.

All L1 calls go through :class:`L1Client` (retried when transient). ``fault`` is a test hook
called at ``"recorded"`` (ledger written, not broadcast) and ``"broadcast"``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable

from eth_account.signers.local import LocalAccount

from bridge_contracts.blobs import make_sidecar, wrap_blob_transaction
from rollup.batch import to_blobs

from .errors import L1Error, L1RequestFailed
from .ledger import (
    CONFIRMED,
    DROPPED,
    FAILED,
    INCLUDED,
    PENDING,
    Attempt,
    LedgerTx,
    NonceLedger,
)
from .l1 import L1Client

__all__ = ["TxManager", "MIN_TIP", "MIN_BLOB_FEE"]

_log = logging.getLogger(__name__)

MIN_TIP = 10**9
"""Smallest priority fee bid (1 gwei): a zero tip may never be mined by a real builder."""

MIN_BLOB_FEE = 10**9
"""Smallest max fee per blob gas bid (1 gwei); only the blob base fee is actually paid."""

Fault = Callable[[str, LedgerTx], Awaitable[None] | None]


def _bump(value: int, percent: int) -> int:
    return value + max(1, -(-value * percent // 100))


class TxManager:
    """One signer's L1 transactions (see the module docstring)."""

    def __init__(self, client: L1Client, account: LocalAccount, ledger: NonceLedger, *,
                 confirmations: int = 2, resubmit_after: float = 12.0, bump_percent: int = 15,
                 blob_bump_percent: int = 100, max_fee_cap: int = 500 * 10**9,
                 blob_fee_cap: int = 500 * 10**9, clock: Callable[[], float] = time.time,
                 fault: Fault | None = None) -> None:
        self.client = client
        self.account = account
        self.ledger = ledger
        self.confirmations = confirmations
        self.resubmit_after = resubmit_after
        self.bump_percent = bump_percent
        self.blob_bump_percent = blob_bump_percent
        self.max_fee_cap = max_fee_cap
        self.blob_fee_cap = blob_fee_cap
        self.fault = fault
        self.resend_every = max(1.0, resubmit_after / 4)
        """Seconds between rebroadcasts of an unmined attempt (a lost broadcast, a node that
        restarted with an empty pool)."""
        self._clock = clock
        self._chain_id: int | None = None
        self._next_nonce = 0
        self._open: dict[int, LedgerTx] = {}
        self._sidecars: dict[int, Any] = {}
        self._last_sent: dict[int, float] = {}
        self.bumps = 0
        self.resends = 0

    @property
    def address(self) -> str:
        return self.account.address

    async def start(self) -> None:
        """Reconcile the ledger with the chain; rebroadcast open records with their nonce."""
        self._chain_id = await self.client.chain_id()
        chain_nonce = await self.client.nonce(self.address, "latest")
        highest = await self.ledger.max_nonce()
        self._next_nonce = max(chain_nonce, -1 if highest is None else highest + 1)
        self._open = {tx.nonce: tx for tx in await self.ledger.load_open()}
        if self._open:
            _log.info("%s: %d open transactions in the ledger, resuming", self.address,
                      len(self._open))
        await self.poll(rebroadcast=True)

    def pending(self) -> list[LedgerTx]:
        """Open records without a receipt, by nonce."""
        return [t for n, t in sorted(self._open.items()) if t.status == PENDING]

    def unconfirmed(self) -> list[LedgerTx]:
        """Open records (pending or included), by nonce."""
        return [t for _, t in sorted(self._open.items())]

    # -- signing --------------------------------------------------------------------------

    def _sign(self, tx: LedgerTx, max_fee: int, tip: int, blob_fee: int) -> tuple[bytes, bytes]:
        assert self._chain_id is not None, "start() first"
        fields: dict[str, Any] = {
            "type": 2, "chainId": self._chain_id, "nonce": tx.nonce, "to": tx.to,
            "data": tx.data, "gas": tx.gas, "value": 0, "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": tip,
        }
        if tx.blob_frame is None:
            signed = self.account.sign_transaction(fields)
            return bytes(signed.raw_transaction), bytes(signed.hash)
        sidecar = self._sidecars.get(tx.nonce)
        if sidecar is None:
            sidecar = make_sidecar(to_blobs(tx.blob_frame))
            self._sidecars = {tx.nonce: sidecar}  # keep one: blobs are large
        fields.update(type=3, maxFeePerBlobGas=blob_fee,
                      blobVersionedHashes=sidecar.versioned_hashes)
        signed = self.account.sign_transaction(fields)
        return wrap_blob_transaction(bytes(signed.raw_transaction), sidecar), bytes(signed.hash)

    async def _sign_async(self, tx: LedgerTx, max_fee: int, tip: int,
                          blob_fee: int) -> tuple[bytes, bytes]:
        """:meth:`_sign`, in a thread for blob transactions (KZG proofs take ~0.2 s a blob)."""
        if tx.blob_frame is None:
            return self._sign(tx, max_fee, tip, blob_fee)
        return await asyncio.to_thread(self._sign, tx, max_fee, tip, blob_fee)

    async def _initial_fees(self, blob: bool) -> tuple[int, int, int]:
        fees = await self.client.fees()
        tip = min(max(fees.priority_fee, MIN_TIP), self.max_fee_cap)
        max_fee = min(2 * fees.base_fee + tip, self.max_fee_cap)
        blob_fee = min(max(2 * fees.blob_base_fee, MIN_BLOB_FEE), self.blob_fee_cap) if blob else 0
        return max_fee, tip, blob_fee

    # -- sending --------------------------------------------------------------------------

    async def _fault(self, stage: str, tx: LedgerTx) -> None:
        if self.fault is not None:
            result = self.fault(stage, tx)
            if result is not None:
                await result

    async def submit(self, purpose: str, meta: dict[str, Any], to: str, data: bytes, gas: int,
                     blob_frame: bytes | None = None) -> LedgerTx:
        """Sign, record, broadcast; the returned record is ``pending``."""
        max_fee, tip, blob_fee = await self._initial_fees(blob_frame is not None)
        tx = LedgerTx(self._next_nonce, purpose, meta, to, bytes(data), gas, blob_frame,
                      created=self._clock())
        raw, tx_hash = await self._sign_async(tx, max_fee, tip, blob_fee)
        await self.ledger.record(tx, Attempt(0, tx_hash, raw, max_fee, tip, blob_fee,
                                             self._clock()))
        self._next_nonce += 1
        self._open[tx.nonce] = tx
        await self._fault("recorded", tx)
        self._last_sent[tx.nonce] = self._clock()
        await self._broadcast(tx)
        await self._fault("broadcast", tx)
        return tx

    async def _broadcast(self, tx: LedgerTx) -> None:
        try:
            await self.client.send_raw(tx.latest.raw, tx.latest.tx_hash)
        except L1RequestFailed as exc:
            # "nonce too low" (already mined), "underpriced" ...: the next poll decides
            _log.info("broadcast of nonce %d refused: %s", tx.nonce, exc)
        except L1Error as exc:
            _log.warning("broadcast of nonce %d failed, will retry: %s", tx.nonce, exc)

    async def _resend(self, tx: LedgerTx) -> None:
        """Broadcast the latest attempt again (same bytes: idempotent)."""
        self.resends += 1
        self._last_sent[tx.nonce] = self._clock()
        await self._broadcast(tx)

    async def _replace(self, tx: LedgerTx) -> None:
        last = tx.latest
        fees = await self.client.fees()
        tip = min(_bump(last.tip, self.bump_percent), self.max_fee_cap)
        max_fee = min(max(_bump(last.max_fee, self.bump_percent), 2 * fees.base_fee + tip),
                      self.max_fee_cap)
        blob_fee = 0
        if tx.blob_frame is not None:
            blob_fee = min(max(_bump(last.blob_fee, self.blob_bump_percent),
                               2 * fees.blob_base_fee), self.blob_fee_cap)
        if (max_fee, tip, blob_fee) == (last.max_fee, last.tip, last.blob_fee) or tip > max_fee:
            _log.warning("nonce %d stuck at the fee caps; rebroadcasting", tx.nonce)
            await self._resend(tx)
            return
        raw, tx_hash = await self._sign_async(tx, max_fee, tip, blob_fee)
        await self.ledger.add_attempt(tx, Attempt(last.seq + 1, tx_hash, raw, max_fee, tip,
                                                  blob_fee, self._clock()))
        self.bumps += 1
        self._last_sent[tx.nonce] = self._clock()
        _log.info("nonce %d replaced: max fee %d, tip %d, blob fee %d", tx.nonce, max_fee, tip,
                  blob_fee)
        await self._broadcast(tx)

    # -- following ------------------------------------------------------------------------

    async def poll(self, rebroadcast: bool = False) -> list[LedgerTx]:
        """Follow the open records; returns those whose status changed."""
        if not self._open:
            return []
        head = await self.client.block_number()
        chain_nonce = await self.client.nonce(self.address, "latest")
        changed = []
        for nonce in sorted(self._open):
            tx = self._open[nonce]
            before = tx.status
            await self._check(tx, head, chain_nonce, rebroadcast)
            if tx.status != before:
                changed.append(tx)
            if tx.status not in (PENDING, INCLUDED):
                del self._open[nonce]
                self._sidecars.pop(nonce, None)
                self._last_sent.pop(nonce, None)
        return changed

    async def _check(self, tx: LedgerTx, head: int, chain_nonce: int, rebroadcast: bool) -> None:
        receipt = None
        for attempt in reversed(tx.attempts):
            receipt = await self.client.receipt(attempt.tx_hash)
            if receipt is not None:
                tx_hash = attempt.tx_hash
                break
        if receipt is not None:
            block, block_hash = int(receipt["blockNumber"]), bytes(receipt["blockHash"])
            if int(receipt["status"]) != 1:
                _log.error("%s nonce %d reverted in L1 block %d", tx.purpose, tx.nonce, block)
                await self.ledger.set_status(tx, FAILED, block, block_hash, tx_hash)
                return
            if head - block >= self.confirmations:
                canonical = await self.client.get_block(block)
                if canonical is not None and bytes(canonical["hash"]) == block_hash:
                    await self.ledger.set_status(tx, CONFIRMED, block, block_hash, tx_hash)
                    return
            if (tx.status, tx.included_block, tx.included_hash) != (INCLUDED, block, block_hash):
                await self.ledger.set_status(tx, INCLUDED, block, block_hash, tx_hash)
            return
        if tx.status == INCLUDED:
            _log.warning("%s nonce %d: L1 block %s reorged out; re-sending", tx.purpose,
                         tx.nonce, tx.included_block)
            await self.ledger.set_status(tx, PENDING)
            await self._resend(tx)
            return
        if tx.nonce < chain_nonce:
            # a receipt can lag the nonce by a moment on some nodes: look once more
            if any([await self.client.receipt(a.tx_hash) for a in tx.attempts]):
                return
            _log.error("%s nonce %d was used by a transaction not in the ledger", tx.purpose,
                       tx.nonce)
            await self.ledger.set_status(tx, DROPPED)
            return
        now = self._clock()
        if now - tx.latest.sent_at >= self.resubmit_after:
            await self._replace(tx)
        elif rebroadcast or now - self._last_sent.get(tx.nonce, 0.0) >= self.resend_every:
            await self._resend(tx)
