"""The proposer: output roots of every ``output_interval``-th L2 block, once it is batched.

Each round (:meth:`Proposer.step`): follow our open transactions; while one is unmined, do
nothing. Otherwise read ``latestOutputL2Block`` and ``lastBatchedL2Block`` from OmniRollup (the
contract is the cursor: a restart, a reverted proposal or a challenger's ``deleteOutputs`` all
resume from it), take the next multiple of ``output_interval`` above the latest output, and if
that block is both sealed in the store and batched on the L1, post
``output_root(state_root, withdrawal_root, block_hash)`` of the stored block with
``proposeOutput`` (recorded in the nonce ledger before broadcast; same retry and fee-bump
discipline as the batcher).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable

from eth_account import Account
from eth_account.signers.local import LocalAccount

from prover.output_root import output_root
from rollup.storage import Store

from .config import SettlementSettings
from .errors import L1Error, SettlementConfigError
from .l1 import L1Client
from .ledger import LedgerTx, NonceLedger
from .txmanager import Fault, TxManager

__all__ = ["Proposer", "run_proposer", "PROPOSE_GAS", "next_output_block"]

_log = logging.getLogger(__name__)

PROPOSE_GAS = 200_000
"""Gas limit of ``proposeOutput`` (measured: 80-95k)."""


def next_output_block(latest_output_block: int, interval: int) -> int:
    """The next L2 block to propose: the next multiple of ``interval`` above the latest."""
    return (latest_output_block // interval + 1) * interval


class Proposer:
    """The proposer service (see the module docstring)."""

    def __init__(self, settings: SettlementSettings, store: Store, client: L1Client,
                 account: LocalAccount, ledger: NonceLedger, *, fault: Fault | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.store = store
        self.client = client
        self.rollup = client.contract("OmniRollup", settings.rollup_address)
        self.txm = TxManager(
            client, account, ledger, confirmations=settings.confirmations,
            resubmit_after=settings.resubmit_after, bump_percent=settings.fee_bump_percent,
            max_fee_cap=settings.max_fee_per_gas_cap, clock=clock, fault=fault)

    async def start(self) -> None:
        await self.txm.start()

    async def step(self) -> LedgerTx | None:
        """One round; returns the submitted transaction, if any."""
        await self.txm.poll()
        if self.txm.pending():
            return None
        fns = self.rollup.functions
        latest = int(await self.client.call("latestOutputL2Block", fns.latestOutputL2Block().call))
        batched = int(await self.client.call("lastBatchedL2Block", fns.lastBatchedL2Block().call))
        target = next_output_block(latest, self.settings.output_interval)
        if target > batched:
            return None
        record = await self.store.get_block(target)
        if record is None:
            return None
        root = output_root(record.state_root, record.withdrawal_root, record.hash)
        data = self.rollup.encode_abi("proposeOutput", args=[root, target])
        tx = await self.txm.submit("output", {"l2_block": target, "output_root": root.hex()},
                                   self.rollup.address, bytes.fromhex(data[2:]), PROPOSE_GAS)
        _log.info("output root of L2 block %d sent with nonce %d", target, tx.nonce)
        return tx

    async def run(self, stop: asyncio.Event | None = None) -> None:
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                await self.step()
            except L1Error as exc:
                _log.warning("proposer round failed: %s", exc)
            except Exception:  # keep the service alive; the next round starts from the L1 again
                _log.exception("proposer round failed unexpectedly")
            try:
                await asyncio.wait_for(stop.wait(), self.settings.poll_interval)
            except TimeoutError:
                pass


async def run_proposer(settings: SettlementSettings, store: Store, *,
                       stop: asyncio.Event | None = None, client: L1Client | None = None,
                       fault: Fault | None = None) -> None:
    """Run the proposer until ``stop`` is set (library form of ``omnit proposer``)."""
    if not settings.proposer_key:
        raise SettlementConfigError("proposer_key", None,
                                    "set OMNIT_PROPOSER_KEY to the proposer role's private key")
    account: LocalAccount = Account.from_key(settings.proposer_key)
    own = client is None
    client = client or L1Client(settings.l1_rpc_url, timeout=settings.rpc_timeout,
                                attempts=settings.rpc_attempts)
    ledger = NonceLedger(settings.ledger_path("proposer"))
    await ledger.open()
    try:
        proposer = Proposer(settings, store, client, account, ledger, fault=fault)
        await proposer.start()
        await proposer.run(stop)
    finally:
        await ledger.close()
        if own:
            await client.aclose()
