"""The benchmark and its click command (small sizes: the full run is `omnit bench batch`)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from eth_hash.auto import keccak

from rollup.batch.bench import bench_batch
from rollup.batch.cli import bench_batch as bench_command
from rollup.batch.workload import WorkloadConfig, generate_transactions, system_targets


def test_system_targets_are_the_task_registry() -> None:
    address, selectors = system_targets()
    assert address == bytes.fromhex("4f4d4e4900000000000000000000000000000003")
    assert selectors["postTask"] == keccak(b"postTask(uint256,bytes32,uint64)")[:4]
    assert selectors["submitResult"] == keccak(b"submitResult(uint256,bytes32)")[:4]
    assert selectors["attestResult"] == keccak(b"attestResult(uint256,bool)")[:4]


def test_workload_is_deterministic_and_mixed() -> None:
    cfg = WorkloadConfig(transactions=60, senders=10, seed=1)
    a, b = generate_transactions(cfg), generate_transactions(cfg)
    assert a == b
    assert set(a.kinds) == {"transfer", "postTask", "submitResult", "attestResult"}


def test_bench_reports_every_figure_with_ratio_last() -> None:
    result = bench_batch(transactions=300, senders=30, fresh_recipients=False)
    assert list(result)[-1] == "ratio"
    for name in ("transfers", "mix"):
        r = result[name]
        assert r["transactions"] == 300
        for route in ("calldata", "blob"):
            assert 64 < r[route]["l1_bytes_per_tx"] < r["raw_signed_bytes_per_tx"]
            assert r[route]["gas_per_tx"] > 0
    assert result["transfers"]["blob"]["blob_gas_per_tx"] > 0
    assert result["ratio"] == round(
        max(result["transfers"]["calldata"]["l1_bytes_per_tx"], result["transfers"]["blob"]["l1_bytes_per_tx"]) / 90, 4
    )


def test_click_command_prints_json() -> None:
    out = CliRunner().invoke(bench_command, ["--json", "--txs", "120", "--senders", "20", "--no-fresh", "--no-l1"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert "ratio" in data and data["mix"]["transactions"] == 120


@pytest.mark.slow
def test_targets_are_met_on_a_full_block_workload() -> None:
    result = bench_batch(transactions=3_000, fresh_recipients=False)
    for route in ("calldata", "blob"):
        assert result["transfers"][route]["l1_bytes_per_tx"] <= 90
        assert result["mix"][route]["l1_bytes_per_tx"] <= 100
    assert result["targets"]["transfer_met"] and result["targets"]["mix_met"]
    assert result["ratio"] <= 1
