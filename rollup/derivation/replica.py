"""The replica: rebuilds the L2 from L1 data alone and checks every proposed output root.

One round (:meth:`Replica.sync`):

1. read the L1 head (minus ``confirmations``);
2. read new ``DepositInitiated`` events up to it (the deriver needs every deposit up to a
   batch's L1 block to judge forced inclusion);
3. for each new ``BatchAppended`` event, in index order: fetch its data (calldata or blobs),
   fetch the canonical L1 blocks its L2 blocks name as origins, and apply it with the pure
   :class:`~rollup.derivation.deriver.Deriver` (any rule broken: a ``DerivationError``, the
   replica stops deriving there and reports it);
4. compare every proposed output root whose L2 block is derived with the derived one; a
   mismatch is reported and, when ``challenge`` is set, the challenger deletes the output
   (``OmniRollup.deleteOutputs(i)``) while it is not final.

Reports are JSON-ready dicts passed to ``on_event`` (the CLI prints them as JSON lines) and
logged through the standard ``logging`` module.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from eth_account import Account

from rollup.batch import decode_frame
from rollup.core.genesis import Genesis, dev_genesis, load_genesis
from rollup.settlement.l1 import L1Client

from .deriver import DerivationParams, Deriver, OutputCheck
from .errors import DerivationError
from .inputs import L1Block, PostedBatch
from .l1_source import BlobSource, L1DataSource

__all__ = ["ReplicaSettings", "Replica", "ReplicaStatus", "run_replica", "EXIT_OK", "EXIT_MISMATCH",
           "EXIT_INVALID_BATCH"]

_log = logging.getLogger(__name__)

EXIT_OK = 0
"""Everything derived matches the proposals."""
EXIT_MISMATCH = 2
"""At least one proposed output root differs from the derived one."""
EXIT_INVALID_BATCH = 3
"""A posted batch breaks a derivation rule (the replica stopped there)."""

Event = Callable[[dict[str, Any]], None]


@dataclass(frozen=True, slots=True)
class ReplicaSettings:
    """What a replica needs: the L1, the two contracts, the genesis (and how to challenge)."""

    l1_rpc_url: str
    rollup_address: str
    portal_address: str
    genesis_path: str | None = None
    """L2 genesis JSON; ``None``: the dev genesis."""
    chain_id: int = 7001
    gas_limit: int | None = None
    confirmations: int = 0
    """Derive only from L1 blocks this deep (0 on the devnet: anvil does not reorg)."""
    poll_interval: float = 1.0
    start_block: int = 0
    """First L1 block to scan (the contracts' deployment block)."""
    challenge: bool = False
    """Delete mismatching outputs with ``challenger_key`` (``OmniRollup.deleteOutputs``)."""
    challenger_key: str | None = None
    rpc_timeout: float = 10.0


@dataclass(slots=True)
class ReplicaStatus:
    """Where the replica is."""

    l1_scanned: int = -1
    batches: int = 0
    l2_head: int = 0
    deposits_seen: int = 0
    outputs: dict[int, OutputCheck] = field(default_factory=dict)
    error: DerivationError | None = None
    challenged: list[int] = field(default_factory=list)

    @property
    def mismatches(self) -> list[OutputCheck]:
        return [c for c in self.outputs.values() if c.status == "mismatch"]

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return EXIT_INVALID_BATCH
        return EXIT_MISMATCH if self.mismatches else EXIT_OK

    def summary(self) -> dict[str, Any]:
        return {
            "event": "status", "l1_scanned": self.l1_scanned, "batches": self.batches,
            "l2_head": self.l2_head, "deposits": self.deposits_seen,
            "outputs_matched": sum(1 for c in self.outputs.values() if c.status == "match"),
            "outputs_mismatched": [c.output.index for c in self.mismatches],
            "outputs_pending": sum(1 for c in self.outputs.values() if c.status == "pending"),
            "error": None if self.error is None else {"kind": self.error.kind, "message": str(self.error)},
            "challenged": list(self.challenged),
        }


class _CachedL1:
    """The ``CanonicalL1`` the deriver reads: blocks prefetched by the async source."""

    def __init__(self) -> None:
        self.blocks: dict[int, L1Block] = {}

    def block(self, number: int) -> L1Block | None:
        return self.blocks.get(number)


def _genesis(settings: ReplicaSettings) -> Genesis:
    if settings.genesis_path:
        return load_genesis(settings.genesis_path)
    return dev_genesis(chain_id=settings.chain_id)


class Replica:
    """A verifier node: L1 data in, L2 blocks and output verdicts out."""

    def __init__(self, settings: ReplicaSettings, *, client: L1Client | None = None,
                 genesis: Genesis | None = None, blob_source: BlobSource | None = None,
                 on_event: Event | None = None) -> None:
        self.settings = settings
        self.client = client or L1Client(settings.l1_rpc_url, timeout=settings.rpc_timeout)
        self._own_client = client is None
        self.source = L1DataSource(self.client, settings.rollup_address, settings.portal_address,
                                   blob_source)
        self.genesis = genesis or _genesis(settings)
        self.status = ReplicaStatus(l1_scanned=settings.start_block - 1)
        self.deriver: Deriver | None = None
        self._pending_events: list[Any] = []
        self._l1 = _CachedL1()
        self._on_event = on_event or (lambda e: None)

    async def aclose(self) -> None:
        if self._own_client:
            await self.client.aclose()

    async def __aenter__(self) -> Replica:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _emit(self, event: dict[str, Any], level: int = logging.INFO) -> None:
        _log.log(level, "%s", event)
        self._on_event(event)

    async def _deriver(self) -> Deriver:
        if self.deriver is None:
            window = await self.source.forced_inclusion_window()
            self.deriver = Deriver(self.genesis, DerivationParams(forced_inclusion_window=window,
                                                                  gas_limit=self.settings.gas_limit))
        return self.deriver

    async def sync(self) -> ReplicaStatus:
        """One round (see the module docstring); returns the status."""
        deriver = await self._deriver()
        st = self.status
        head = await self.source.head() - self.settings.confirmations
        if head > st.l1_scanned and st.error is None:
            start = st.l1_scanned + 1
            deposits = await self.source.deposits(start, head)
            deriver.add_deposits(deposits)
            st.deposits_seen = len(deriver.deposits)
            self._pending_events.extend(await self.source.batch_events(start, head))
            st.l1_scanned = head
        while self._pending_events and st.error is None:
            event = self._pending_events[0]
            try:
                posted = await self.source.posted_batch(event)
                await self._prefetch_origins(posted)
                blocks = deriver.apply_batch(posted, self._l1)
            except DerivationError as exc:
                st.error = exc
                self._emit({"event": "invalid_batch", "kind": exc.kind, "message": str(exc),
                            **exc.details()}, logging.ERROR)
                break
            self._pending_events.pop(0)
            st.batches, st.l2_head = deriver.batch_count, deriver.head.number
            self._emit({"event": "batch_derived", "index": posted.index, "blob": posted.is_blob,
                        "l1_block": posted.l1_block_number, "first": blocks[0].number,
                        "last": blocks[-1].number, "state_root": "0x" + deriver.head.state_root.hex()})
        await self._check_outputs(deriver)
        return st

    async def _prefetch_origins(self, posted: PostedBatch) -> None:
        try:
            batch = decode_frame(posted.frame)
        except Exception:  # noqa: BLE001 - the deriver reports undecodable frames precisely
            return
        for number in sorted({b.l1_origin_number for b in batch.blocks}):
            if number not in self._l1.blocks:
                block = await self.source.block(number)
                if block is not None:
                    self._l1.blocks[number] = block

    async def _check_outputs(self, deriver: Deriver) -> None:
        st = self.status
        current = await self.source.outputs()
        live = {o.index for o in current}
        for index in [i for i in st.outputs if i not in live]:
            del st.outputs[index]  # deleted by the challenger: the index may be reused
        for output in current:
            known = st.outputs.get(output.index)
            if known is not None and known.status != "pending" and known.output == output:
                continue
            check = deriver.check_output(output)
            st.outputs[output.index] = check
            if check.status == "pending":
                continue
            event = {"event": "output_" + check.status, "index": output.index,
                     "l2_block": output.l2_block_number, "proposed": "0x" + output.output_root.hex(),
                     "derived": "0x" + (check.derived_root or b"").hex()}
            self._emit(event, logging.INFO if check.status == "match" else logging.ERROR)
            if check.status == "mismatch" and self.settings.challenge:
                await self._challenge(output.index)

    async def _challenge(self, index: int) -> None:
        from bridge_contracts.deploy import send

        if not self.settings.challenger_key:
            self._emit({"event": "challenge_skipped", "index": index, "reason": "no challenger key"},
                       logging.WARNING)
            return
        if await self.source.output_finalized(index):
            self._emit({"event": "challenge_too_late", "index": index}, logging.ERROR)
            return
        account = Account.from_key(self.settings.challenger_key)
        receipt = await send(self.source.rollup.functions.deleteOutputs(index), account)
        self.status.challenged.append(index)
        self._emit({"event": "outputs_deleted", "from_index": index,
                    "l1_tx": "0x" + bytes(receipt["transactionHash"]).hex()}, logging.WARNING)

    async def run(self, stop: asyncio.Event | None = None, *, once: bool = False) -> ReplicaStatus:
        """Sync every ``poll_interval`` until ``stop`` (or once); returns the last status."""
        stop = stop or asyncio.Event()
        while True:
            try:
                await self.sync()
            except Exception as exc:  # noqa: BLE001 - L1 trouble: report, retry next round
                if once:
                    raise
                self._emit({"event": "round_failed", "error": f"{type(exc).__name__}: {exc}"},
                           logging.WARNING)
            if once or stop.is_set():
                return self.status
            try:
                await asyncio.wait_for(stop.wait(), self.settings.poll_interval)
            except TimeoutError:
                pass


async def run_replica(settings: ReplicaSettings, *, stop: asyncio.Event | None = None, once: bool = False,
                      on_event: Event | None = None) -> ReplicaStatus:
    """Run a replica (``omnit replica``) and return its final status."""
    async with Replica(settings, on_event=on_event) as replica:
        status = await replica.run(stop, once=once)
        (on_event or (lambda e: None))(status.summary())
        return status


