"""The sequencer benchmark: its helpers, and a small end-to-end run against both nodes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from rollup.bench.load import percentile
from rollup.bench.sequencer import presign
from rollup.core.transactions import decode_transaction


def test_percentile() -> None:
    values = [float(i) for i in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([], 50) == 0.0


def test_presign_round_robin_nonces() -> None:
    raws, hashes, accounts = presign(10, 3)
    assert len(raws) == len(hashes) == 10 and len(accounts) == 3
    txs = [decode_transaction(bytes.fromhex(r[2:]), 7001) for r in raws]
    assert [t.nonce for t in txs[:6]] == [0, 0, 0, 1, 1, 1]
    assert txs[0].sender == bytes.fromhex(accounts[0].address[2:])
    assert ["0x" + t.hash.hex() for t in txs] == hashes


@pytest.mark.slow
def test_bench_small_run_prints_ratio() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIT_")}
    out = subprocess.run([sys.executable, "-m", "rollup.cli", "bench", "sequencer", "--json", "-n", "400",
                          "--senders", "20", "--batch", "20", "--concurrency", "4"],
                         env=env, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert [line.get("target") for line in lines[:2]] == ["omnit", "anvil"]
    assert lines[0]["accepted"] == 400 and lines[1]["accepted"] == 400
    assert lines[-1]["ratio"] > 0 and lines[-1]["ours_e2e_tps"] > 0
