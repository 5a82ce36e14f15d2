"""``omnit replica``: derive the L2 from L1 data and check the proposed outputs.

Exit codes: 0 every derived output matches; 2 an output root mismatch; 3 an invalid batch
(derivation stopped there); 1 another failure (L1 unreachable...). Events are JSON lines on
stdout.
"""

from __future__ import annotations

import asyncio
import json
import sys

import click

__all__ = ["replica"]


@click.command("replica")
@click.option("--l1-rpc-url", envvar="OMNIT_L1_RPC_URL", default="http://127.0.0.1:8545", show_default=True,
              help="L1 JSON-RPC URL (env OMNIT_L1_RPC_URL).")
@click.option("--rollup", "rollup_address", envvar="OMNIT_ROLLUP_ADDRESS", required=True,
              help="OmniRollup address (env OMNIT_ROLLUP_ADDRESS).")
@click.option("--portal", "portal_address", envvar="OMNIT_PORTAL_ADDRESS", required=True,
              help="OmniPortal address (env OMNIT_PORTAL_ADDRESS).")
@click.option("--genesis", "genesis_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="L2 genesis JSON (default: the dev genesis).")
@click.option("--chain-id", default=7001, show_default=True, help="L2 chain id (dev genesis).")
@click.option("--start-block", default=0, show_default=True, help="First L1 block to scan.")
@click.option("--confirmations", default=0, show_default=True, help="Derive only from blocks this deep.")
@click.option("--poll", "poll_interval", default=1.0, show_default=True, help="Seconds between rounds.")
@click.option("--once", is_flag=True, help="One round, then exit with the verdict's code.")
@click.option("--challenge", is_flag=True, help="Delete mismatching outputs (needs --challenger-key).")
@click.option("--challenger-key", envvar="OMNIT_CHALLENGER_KEY", default=None,
              help="Challenger's private key (env OMNIT_CHALLENGER_KEY).")
def replica(l1_rpc_url: str, rollup_address: str, portal_address: str, genesis_path: str | None,
            chain_id: int, start_block: int, confirmations: int, poll_interval: float, once: bool,
            challenge: bool, challenger_key: str | None) -> None:
    """Rebuild the L2 from L1 data alone and check every proposed output root."""
    from rollup.derivation.replica import ReplicaSettings, run_replica

    if challenge and not challenger_key:
        raise click.UsageError("--challenge needs --challenger-key (or OMNIT_CHALLENGER_KEY)")
    settings = ReplicaSettings(
        l1_rpc_url=l1_rpc_url, rollup_address=rollup_address, portal_address=portal_address,
        genesis_path=genesis_path, chain_id=chain_id, start_block=start_block,
        confirmations=confirmations, poll_interval=poll_interval, challenge=challenge,
        challenger_key=challenger_key)

    def emit(event: dict) -> None:
        click.echo(json.dumps(event, default=str))
        sys.stdout.flush()

    async def main() -> int:
        stop = asyncio.Event()
        try:
            from rollup.rpc.service import install_stop_signals

            install_stop_signals(stop)
        except Exception:  # noqa: BLE001 - signals are a convenience
            pass
        status = await run_replica(settings, stop=stop, once=once, on_event=emit)
        return status.exit_code

    try:
        code = asyncio.run(main())
    except KeyboardInterrupt:
        code = 130
    except Exception as exc:  # noqa: BLE001 - report and fail
        click.echo(json.dumps({"event": "failed", "error": f"{type(exc).__name__}: {exc}"}), err=True)
        code = 1
    sys.exit(code)
