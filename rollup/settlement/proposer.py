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

from prover.output_root import output_root
from rollup.storage import Store

from .config import SettlementSettings
from .l1 import L1Client
from .ledger import LedgerTx
from .submitter import Submitter
from .txmanager import Fault

__all__ = ["Proposer", "run_proposer", "PROPOSE_GAS", "next_output_block"]

_log = logging.getLogger(__name__)

PROPOSE_GAS = 200_000
"""Gas limit of ``proposeOutput`` (measured: 80-95k)."""


def next_output_block(latest_output_block: int, interval: int) -> int:
    """The next L2 block to propose: the next multiple of ``interval`` above the latest."""
    return (latest_output_block // interval + 1) * interval


class Proposer(Submitter):
    """The proposer service (see the module docstring)."""

    role = "proposer"

    async def step(self) -> LedgerTx | None:
        """One round; returns the submitted transaction, if any."""
        if await self.busy():
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


async def run_proposer(settings: SettlementSettings, store: Store, *,
                       stop: asyncio.Event | None = None, client: L1Client | None = None,
                       fault: Fault | None = None) -> None:
    """Run the proposer until ``stop`` is set (library form of ``omnit proposer``)."""
    await Proposer.serve(settings, store, stop=stop, client=client, fault=fault)
