"""``omnit bench batch``: the batch codec benchmark as a click command.

Register it under the ``bench`` group, for instance with
``_BenchGroup.lazy["batch"] = ("rollup.batch.cli", "bench_batch")`` in ``rollup/cli.py``.
"""

from __future__ import annotations

import json

import click

__all__ = ["bench_batch"]


@click.command("batch")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
@click.option("--txs", default=12_000, show_default=True, help="Transactions per workload.")
@click.option("--senders", default=200, show_default=True, help="Distinct signing accounts.")
@click.option("--base-fee-gwei", default=2.0, show_default=True, help="L1 base fee for the gas/wei figures.")
@click.option("--blob-base-fee-gwei", default=1.0, show_default=True, help="L1 blob base fee.")
@click.option("--fresh/--no-fresh", default=True, show_default=True,
              help="Also measure transfers to never-seen addresses (the worst case for the address table).")
@click.option("--l1/--no-l1", "with_l1", default=True, show_default=True,
              help="Also measure deposit latency and L2-inclusion-to-L1-batch time on a real anvil L1.")
def bench_batch(
    as_json: bool, txs: int, senders: int, base_fee_gwei: float, blob_base_fee_gwei: float, fresh: bool,
    with_l1: bool,
) -> None:
    """L1 bytes and gas per L2 transaction: raw signed vs calldata batch vs blob batch."""
    from .bench import bench_batch as run

    result = run(
        transactions=txs,
        senders=senders,
        base_fee_gwei=base_fee_gwei,
        blob_base_fee_gwei=blob_base_fee_gwei,
        fresh_recipients=fresh,
    )
    if with_l1:
        from rollup.settlement.bench import run_settlement_bench

        ratio = result.pop("ratio")
        result["l1_latency"] = run_settlement_bench()
        result["ratio"] = ratio  # stays the last key
    if as_json:
        click.echo(json.dumps(result))
        return
    for name in ("transfers", "mix", "transfers_to_fresh_addresses"):
        if name not in result:
            continue
        r = result[name]
        click.echo(
            f"{name:30s} raw {r['raw_signed_bytes_per_tx']:7.2f} B/tx | "
            f"calldata {r['calldata']['l1_bytes_per_tx']:6.2f} B/tx {r['calldata']['gas_per_tx']:8.1f} gas/tx | "
            f"blob {r['blob']['l1_bytes_per_tx']:6.2f} B/tx {r['blob']['blob_gas_per_tx']:6.1f} blob gas/tx"
        )
    if "l1_latency" in result:
        click.echo(f"L1 latency: {json.dumps(result['l1_latency'])}")
    click.echo(f"ratio (worst bytes per transfer / 90): {result['ratio']}")
