"""Run an L2 node together with its JSON-RPC server until told to stop.

Used by ``omnit sequencer``, ``omnit devnet`` and the sequencer benchmark (which starts
``omnit sequencer`` as a subprocess). Shutdown order on SIGINT/SIGTERM or a stop event: stop the
HTTP server first (no new submissions; in-flight requests finish), then close the node (which
flushes acknowledged intake, stops sealing and releases the lease).
"""

from __future__ import annotations

import asyncio
import gc
import signal
import sys
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Awaitable, Callable

from .server import RunningServer, start_server
from .settings import RpcSettings, coerce_settings

__all__ = ["node_with_rpc", "serve_until_stopped", "install_stop_signals", "tune_runtime", "GC_THRESHOLDS", "SWITCH_INTERVAL"]

GC_THRESHOLDS = (50_000, 20, 10)
"""Cyclic-GC thresholds of a service process (CPython's default is (700, 10, 10)). The intake
and the block builder allocate tens of container objects per transaction (pool entries, decoded
transactions, records, receipts); with the default a young collection runs every few dozen
transactions and older generations, which hold the whole pool, are walked again and again: about
a fifth of the node's CPU at 5,000 transfers/s. Young collections every 50,000 allocations cost
a few milliseconds each; cyclic garbage is still collected."""


SWITCH_INTERVAL = 0.001
"""Seconds a thread may hold the GIL while another waits for it (CPython's default is 0.005).
The node's helper threads (database driver, block builder, decoding) release the GIL around
every C call and then wait for it again; with 5 ms they queue behind the event loop's compute
and a block write of thousands of rows stretches out. 1 ms gave 5 to 15 percent more
transfers per second in the sequencer benchmark."""


def tune_runtime() -> None:
    """Service-process runtime policy: collect once, move everything alive after start-up
    (modules, the loaded state, the trees) to the permanent generation so later collections
    never walk it, collect the young generation less often (:data:`GC_THRESHOLDS`), and hand
    the GIL over sooner (:data:`SWITCH_INTERVAL`)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    sys.setswitchinterval(SWITCH_INTERVAL)


@asynccontextmanager
async def node_with_rpc(node_settings: Any, rpc_settings: RpcSettings | None = None
                        ) -> AsyncIterator[tuple[Any, RunningServer]]:
    """Start ``L2Node.open(node_settings)`` and its RPC server; stop both on exit. The port
    opens once the decode workers answer (``L2Node.wait_decoders``): a client that starts
    sending as soon as the port answers is not decoded in threads meanwhile."""
    from rollup.node.node import L2Node

    node = L2Node.open(node_settings)
    await node.start()
    try:
        await node.wait_decoders()
        server = await start_server(node, rpc_settings or coerce_settings(node_settings))
        try:
            yield node, server
        finally:
            await server.stop()
    finally:
        await node.aclose()


def install_stop_signals(stop: asyncio.Event) -> None:
    """Set ``stop`` on SIGINT or SIGTERM (a second signal is ignored: shutdown is in progress)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread / not supported
            pass


async def serve_until_stopped(
    node_settings: Any,
    rpc_settings: RpcSettings | None = None,
    *,
    on_ready: Callable[[Any, RunningServer], Awaitable[None] | None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run the node and the RPC server until ``stop`` is set or SIGINT/SIGTERM arrives."""
    stop = stop or asyncio.Event()
    install_stop_signals(stop)
    async with node_with_rpc(node_settings, rpc_settings) as (node, server):
        tune_runtime()
        if on_ready is not None:
            result = on_ready(node, server)
            if asyncio.iscoroutine(result):
                await result
        await stop.wait()
