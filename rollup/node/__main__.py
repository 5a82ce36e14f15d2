"""``python -m rollup.node [--config node.toml]``: run the sequencer node with its JSON-RPC.

Settings come from the TOML file (``--config`` or ``$OMNIT_CONFIG``) and ``OMNIT_*`` environment
variables. Once serving, one line ``omnit-node ready <url> block=<n>`` is printed to stdout (tests
and scripts wait for it; ``OMNIT_RPC_PORT=0`` picks a free port). Exit status: 0 after SIGINT or
SIGTERM, 3 when the sequencer was fenced (another sequencer took the lease) or failed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any

from .config import load_settings

__all__ = ["main", "EXIT_FENCED"]

EXIT_FENCED = 3
"""Exit status when the sequencer stopped because it lost the lease or hit a fatal error."""


async def _run(settings: Any) -> int:
    from rollup.rpc.service import serve_until_stopped

    stop = asyncio.Event()
    fenced = False

    async def on_ready(node: Any, server: Any) -> None:
        head = await node.block_number()
        print(f"omnit-node ready {server.url} block={head}", flush=True)

        async def watch() -> None:
            nonlocal fenced
            await node.failed.wait()
            fenced = True
            stop.set()

        asyncio.get_running_loop().create_task(watch())

    await serve_until_stopped(settings, on_ready=on_ready, stop=stop)
    return EXIT_FENCED if fenced else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m rollup.node", description=__doc__)
    parser.add_argument("--config", help="TOML settings file (default: $OMNIT_CONFIG)")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings(args.config)
    return asyncio.run(_run(settings))


if __name__ == "__main__":
    sys.exit(main())
