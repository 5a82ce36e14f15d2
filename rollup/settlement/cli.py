"""``omnit batcher`` and ``omnit proposer``: the settlement services as click commands.

Register them in ``rollup/cli.py`` (the lead's file), e.g. lazily:
``lazy["batcher"] = ("rollup.settlement.cli", "batcher_cmd")`` and
``lazy["proposer"] = ("rollup.settlement.cli", "proposer_cmd")``.

Both read the L2 node's database (``db_url`` of the node settings, same TOML file / ``OMNIT_DB_URL``)
and the settlement settings (``[settlement]`` table / ``OMNIT_*`` env); they run until SIGINT or
SIGTERM and resume safely after any stop (nonce ledger under ``data_dir``).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any, Awaitable, Callable

import click

__all__ = ["batcher_cmd", "proposer_cmd"]


def _common(fn: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed([
        click.option("--config", "config", type=click.Path(dir_okay=False), default=None,
                     help="TOML file (node keys at top level or [node]; [settlement] table)."),
        click.option("--db-url", default=None, help="The L2 node's database (OMNIT_DB_URL)."),
        click.option("--l1-rpc-url", default=None, help="L1 JSON-RPC endpoint (OMNIT_L1_RPC_URL)."),
        click.option("--rollup-address", default=None, help="OmniRollup address."),
        click.option("--data-dir", default=None, help="Directory of the nonce ledger."),
        click.option("--confirmations", type=int, default=None, help="L1 confirmation depth."),
        click.option("-v", "--verbose", is_flag=True, help="Log every round."),
    ]):
        fn = option(fn)
    return fn


def _load(config: str | None, **overrides: Any) -> tuple[Any, Any]:
    from rollup.node.config import load_settings

    from .config import load_settlement_settings

    db_url = overrides.pop("db_url", None)
    node = load_settings(config, **({"db_url": db_url} if db_url else {}))
    chosen = {k: v for k, v in overrides.items() if v is not None}
    return node, load_settlement_settings(config, **chosen)


def _serve(node_settings: Any, service: Callable[..., Awaitable[None]], settings: Any,
           verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")

    async def main() -> None:
        from rollup.storage import create_store

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        store = create_store(node_settings.db_url, node_settings.db_pool_size)
        await store.open()
        try:
            await service(settings, store, stop=stop)
        finally:
            await store.close()

    asyncio.run(main())


@click.command("batcher")
@_common
@click.option("--da", type=click.Choice(["auto", "calldata", "blob"]), default=None,
              help="Data-availability route (default auto: the cheaper one per batch).")
def batcher_cmd(config: str | None, verbose: bool, **options: Any) -> None:
    """Post sealed L2 blocks to OmniRollup as batches (calldata or blobs)."""
    from .batcher import run_batcher

    node, settings = _load(config, **options)
    _serve(node, run_batcher, settings, verbose)


@click.command("proposer")
@_common
@click.option("--output-interval", type=int, default=None, help="Propose every N L2 blocks.")
def proposer_cmd(config: str | None, verbose: bool, **options: Any) -> None:
    """Post output roots of batched L2 blocks to OmniRollup."""
    from .proposer import run_proposer

    node, settings = _load(config, **options)
    _serve(node, run_proposer, settings, verbose)
