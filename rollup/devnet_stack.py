"""The whole devnet in one process: anvil L1, contracts, L2 node + RPC, watcher, batcher, proposer.

    async with DevnetStack(StackOptions(workdir=".omnit/devnet")) as stack:
        print(stack.l1_url, stack.l2_url, stack.addresses)

Order of start: anvil (automine while the contracts deploy, then interval mining every
``l1_block_time`` seconds), contracts (``bridge_contracts.devnet.deploy_devnet_l1``: OMNIT minted
to the ten dev accounts), the L2 node on SQLite with its JSON-RPC server, the L1 watcher attached
to the sequencer (L1 origins and deposits), then the batcher and proposer as asyncio tasks in the
same loop. Exit stops them in the reverse order. Used by ``omnit devnet`` (``rollup.devnet``) and
the end-to-end tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from web3 import AsyncHTTPProvider, AsyncWeb3

__all__ = ["StackOptions", "DevnetStack", "L1_CHAIN_ID"]

_log = logging.getLogger(__name__)

L1_CHAIN_ID = 7000
"""Chain id of the devnet L1 (ARCHITECTURE: chains in development)."""


@dataclass(frozen=True)
class StackOptions:
    """What the devnet runs, with devnet-friendly timings."""

    workdir: str = ".omnit/devnet"
    l2_port: int = 9545
    """L2 JSON-RPC port (0: any free port)."""
    fresh: bool = True
    """Start from an empty data directory."""
    l1_block_time: float = 1.0
    l2_block_time: float = 0.25
    finalization_period: int = 5
    """Seconds before an output is final (production: 7 days)."""
    forced_inclusion_window: int = 60
    confirmations: int = 1
    """L1 blocks on top before the watcher, batcher and proposer trust a block."""
    poll_interval: float = 0.5
    batch_interval: float = 2.0
    output_interval: int = 5
    da: str = "auto"
    batcher: bool = True
    proposer: bool = True
    watcher: bool = True
    """Attach the L1 watcher to the sequencer (False: a sequencer that ignores the L1, for tests)."""
    replica: bool = True
    """Run a replica with the challenger's key: a wrong output root is deleted while not final."""


class DevnetStack:
    """Async context manager running the devnet (see the module docstring)."""

    def __init__(self, opts: StackOptions = StackOptions()) -> None:
        self.opts = opts
        self._exit = contextlib.AsyncExitStack()
        self._tasks: dict[str, tuple[asyncio.Task[None], asyncio.Event]] = {}
        self.anvil: Any = None
        self.l1: Any = None
        self.w3: AsyncWeb3 | None = None
        self.node: Any = None
        self.server: Any = None
        self.watcher: Any = None
        self.settlement: Any = None
        self.accounts: Any = None
        self.replica: Any = None
        self.replica_events: list[dict[str, Any]] = []
        """What the devnet's replica reported (``batch_derived``, ``output_match``...)."""

    # -- endpoints ---------------------------------------------------------------------------

    @property
    def l1_url(self) -> str:
        return self.anvil.url

    @property
    def l2_url(self) -> str:
        return self.server.url

    @property
    def addresses(self) -> dict[str, str]:
        return self.l1.addresses()

    @property
    def portal_address(self) -> str:
        return self.l1.portal.address

    @property
    def rollup_address(self) -> str:
        return self.l1.rollup.address

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> DevnetStack:
        try:
            await self._start()
        except BaseException:
            await self._exit.aclose()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        for name in list(self._tasks):
            await self.stop_service(name)
        await self._exit.aclose()

    async def _start(self) -> None:
        from bridge_contracts.anvil import AnvilProcess, DevAccounts, rpc
        from bridge_contracts.devnet import deploy_devnet_l1
        from rollup.node.config import load_settings
        from rollup.rpc.service import node_with_rpc
        from rollup.settlement import L1Client, SettlementSettings, start_watcher

        opts = self.opts
        work = Path(opts.workdir)
        if opts.fresh and work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True, exist_ok=True)
        self.accounts = DevAccounts.derive()
        self.anvil = await self._exit.enter_async_context(AnvilProcess(chain_id=L1_CHAIN_ID))
        self.w3 = AsyncWeb3(AsyncHTTPProvider(self.anvil.url))
        self._exit.push_async_callback(self.w3.provider.disconnect)
        self.l1 = await deploy_devnet_l1(self.w3, self.accounts, finalization_period=opts.finalization_period,
                                         forced_inclusion_window=opts.forced_inclusion_window)
        deploy_block = int(await self.w3.eth.block_number)
        await rpc(self.w3, "evm_setIntervalMining", max(1, int(opts.l1_block_time)))
        db = work.resolve() / "l2.sqlite"
        node_settings = load_settings(None, env={}, db_url=f"sqlite:///{db}", rpc_port=opts.l2_port,
                                      block_time=opts.l2_block_time, genesis_path=None)
        self.node, self.server = await self._exit.enter_async_context(node_with_rpc(node_settings))
        self.settlement = SettlementSettings(
            l1_rpc_url=self.anvil.url, rollup_address=self.l1.rollup.address,
            portal_address=self.l1.portal.address,
            batcher_key="0x" + bytes(self.accounts.batcher.key).hex(),
            proposer_key="0x" + bytes(self.accounts.proposer.key).hex(),
            data_dir=str(work / "settlement"), confirmations=opts.confirmations,
            poll_interval=opts.poll_interval, batch_interval=opts.batch_interval,
            output_interval=opts.output_interval, da=opts.da, watcher_start_block=deploy_block)
        sequencer = self.node.sequencer
        if not opts.watcher:
            self._start_services()
            return
        watcher_client = L1Client(self.anvil.url, timeout=self.settlement.rpc_timeout)
        self._exit.push_async_callback(watcher_client.aclose)
        self.watcher = await start_watcher(self.settlement, sequencer.chain, watcher_client)
        self._exit.push_async_callback(self.watcher.aclose)
        sequencer.l1_feed = self.watcher
        self._start_services()

    def _start_services(self) -> None:
        opts = self.opts
        if opts.batcher:
            self.start_service("batcher")
        if opts.proposer:
            self.start_service("proposer")
        if opts.replica:
            self.start_service("replica")

    def start_service(self, name: str, **changes: Any) -> None:
        """Start the ``batcher`` or ``proposer`` task (``changes`` override settlement settings)."""
        from rollup.settlement import run_batcher, run_proposer

        if changes:
            self.settlement = replace(self.settlement, **changes)
        stop = asyncio.Event()
        if name == "replica":
            run: Any = self._run_replica
        else:
            run = {"batcher": run_batcher, "proposer": run_proposer}[name]

        async def service() -> None:
            try:
                await run(self.settlement, self.node.store, stop=stop)
            except asyncio.CancelledError:
                raise
            except Exception:
                _log.exception("%s stopped with an error", name)
                raise

        self._tasks[name] = (asyncio.create_task(service(), name=name), stop)

    async def _run_replica(self, settlement: Any, _store: Any, *, stop: asyncio.Event) -> None:
        from rollup.derivation.replica import Replica, ReplicaSettings

        settings = ReplicaSettings(
            l1_rpc_url=settlement.l1_rpc_url, rollup_address=settlement.rollup_address,
            portal_address=settlement.portal_address, poll_interval=max(1.0, settlement.poll_interval),
            challenge=True, challenger_key="0x" + bytes(self.accounts.challenger.key).hex())

        def record(event: dict[str, Any]) -> None:
            self.replica_events.append(event)
            if event["event"] in ("output_mismatch", "invalid_batch", "outputs_deleted"):
                _log.error("replica: %s", event)

        async with Replica(settings, on_event=record) as replica:
            self.replica = replica
            await replica.run(stop)

    async def stop_service(self, name: str) -> None:
        """Stop a service task (waits for its round to end)."""
        entry = self._tasks.pop(name, None)
        if entry is None:
            return
        task, stop = entry
        stop.set()
        try:
            await asyncio.wait_for(task, 15)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            task.cancel()
        except Exception:  # noqa: BLE001 - already logged by the task
            pass

    async def restart_service(self, name: str, **changes: Any) -> None:
        """Stop and start again with changed settings (e.g. ``da="blob"``)."""
        await self.stop_service(name)
        self.start_service(name, **changes)

    def service_failed(self) -> str | None:
        """Name of a service task that died, if any."""
        for name, (task, _) in self._tasks.items():
            if task.done() and not task.cancelled() and task.exception() is not None:
                return f"{name}: {type(task.exception()).__name__}: {task.exception()}"
        return None
