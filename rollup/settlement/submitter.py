"""What the batcher and the proposer share: a service that posts to OmniRollup from one key.

:class:`Submitter` holds the signer's :class:`TxManager` (nonce ledger written before each
broadcast, receipts, confirmations, re-send after a reorg, replace-by-fee bumps; the blob fee
bump and cap only for a service that sends blobs), the round loop (:meth:`Submitter.run`: a
failed round is logged and the next one starts from the L1 again) and the service's life
(:meth:`Submitter.serve`: key, L1 client, ledger file ``<data_dir>/<role>-ledger.sqlite``).
A subclass names its ``role`` and writes :meth:`Submitter.step`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable, ClassVar

from eth_account import Account
from eth_account.signers.local import LocalAccount

from rollup.storage import Store

from .config import SettlementSettings
from .errors import L1Error, SettlementConfigError
from .l1 import L1Client
from .ledger import LedgerTx, NonceLedger
from .txmanager import Fault, TxManager

__all__ = ["Submitter", "role_account"]


def role_account(settings: SettlementSettings, role: str) -> LocalAccount:
    """The signer of ``role`` (``settings.<role>_key``)."""
    name = f"{role}_key"
    key = getattr(settings, name)
    if not key:
        raise SettlementConfigError(name, key,
                                    f"set OMNIT_{name.upper()} to the {role} role's private key")
    return Account.from_key(key)


class Submitter:
    """Base of the batcher and the proposer (see the module docstring)."""

    role: ClassVar[str]
    """``batcher`` / ``proposer``: the key setting, the ledger file and the log lines."""
    sends_blobs: ClassVar[bool] = False
    """Whether the blob fee settings (bump percent, cap) apply to this service's transactions."""

    def __init__(self, settings: SettlementSettings, store: Store, client: L1Client,
                 account: LocalAccount, ledger: NonceLedger, *, fault: Fault | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.store = store
        self.client = client
        self.rollup = client.contract("OmniRollup", settings.rollup_address)
        blob_fees: dict[str, Any] = {}
        if self.sends_blobs:
            blob_fees = {"blob_bump_percent": settings.blob_fee_bump_percent,
                         "blob_fee_cap": settings.max_fee_per_blob_gas_cap}
        self.txm = TxManager(
            client, account, ledger, confirmations=settings.confirmations,
            resubmit_after=settings.resubmit_after, bump_percent=settings.fee_bump_percent,
            max_fee_cap=settings.max_fee_per_gas_cap, clock=clock, fault=fault, **blob_fees)
        self._log = logging.getLogger(type(self).__module__)

    async def start(self) -> None:
        """Reconcile the ledger (rebroadcast unconfirmed records with their nonce)."""
        await self.txm.start()

    async def busy(self) -> bool:
        """Follow our open L1 transactions; true while one is still unmined (post nothing new:
        the next transaction would chain on it)."""
        await self.txm.poll()
        return bool(self.txm.pending())

    async def step(self) -> LedgerTx | None:
        """One round; returns the submitted transaction, if any."""
        raise NotImplementedError

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Rounds every ``poll_interval`` until ``stop`` is set; L1 outages are retried."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                await self.step()
            except L1Error as exc:
                self._log.warning("%s round failed: %s", self.role, exc)
            except Exception:  # keep the service alive; the next round starts from the L1 again
                self._log.exception("%s round failed unexpectedly", self.role)
            try:
                await asyncio.wait_for(stop.wait(), self.settings.poll_interval)
            except TimeoutError:
                pass

    @classmethod
    async def serve(cls, settings: SettlementSettings, store: Store, *,
                    stop: asyncio.Event | None = None, client: L1Client | None = None,
                    fault: Fault | None = None) -> None:
        """Run the service until ``stop`` is set. ``store`` is an opened L2 store (read only)."""
        account = role_account(settings, cls.role)
        own = client is None
        client = client or L1Client(settings.l1_rpc_url, timeout=settings.rpc_timeout,
                                    attempts=settings.rpc_attempts)
        ledger = NonceLedger(settings.ledger_path(cls.role))
        await ledger.open()
        try:
            service = cls(settings, store, client, account, ledger, fault=fault)
            await service.start()
            await service.run(stop)
        finally:
            await ledger.close()
            if own:
                await client.aclose()
