"""The benchmark runs end to end (tiny sizes; figures are not checked)."""

from __future__ import annotations

import json

from click.testing import CliRunner

import prover.bench as bench
from prover.cli import bench_prover


def test_bench_json_lines(monkeypatch) -> None:
    monkeypatch.setattr(bench, "MERKLE_LEAVES", 1 << 10)
    monkeypatch.setattr(bench, "STATE_LEAVES", 2000)
    monkeypatch.setattr(bench, "STATE_BATCH", 160)
    monkeypatch.setattr(bench, "python_loop_rate", lambda count=0: 1000.0)
    res = CliRunner().invoke(bench_prover, ["--json", "--model-mib", "1"])
    assert res.exit_code == 0, res.output
    lines = [json.loads(line) for line in res.output.strip().splitlines()]
    assert lines[-1]["ratio"] > 0
    backends = {line["backend"] for line in lines if "backend" in line}
    assert {"native", "python"} <= backends
    assert all(line["model_commit_mb_s"] > 0 for line in lines if "backend" in line)


def test_hash_count_model() -> None:
    counts = bench.dense_vs_sparse_hashes(1 << 16, 100)
    assert 32 <= counts["dense32"] <= 100 * 32
    assert counts["sparse256"] > 192 * 100
