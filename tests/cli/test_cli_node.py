"""The ``omnit`` user commands and ``omnit devnet --demo`` against real nodes (subprocesses)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
from eth_hash.auto import keccak

from rollup.bench.procs import ManagedProcess, start_sequencer, wait_rpc_ready
from rollup.devnet import dev_accounts

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagedProcess]:
    work = tmp_path_factory.mktemp("clinode")
    proc = start_sequencer(work, f"sqlite:///{work / 'l2.sqlite'}", extra_env={"OMNIT_BLOCK_TIME": "0.1"})
    try:
        asyncio.run(wait_rpc_ready(proc))
        yield proc
    finally:
        asyncio.run(proc.stop())


def omnit(node: ManagedProcess, key_index: int, *args: str) -> subprocess.CompletedProcess[str]:
    key = "0x" + bytes(dev_accounts(key_index + 1)[key_index].key).hex()
    env = {**os.environ, "OMNIT_RPC_URL": node.url, "OMNIT_PRIVATE_KEY": key}
    return subprocess.run([sys.executable, "-m", "rollup.cli", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_tx_send(node: ManagedProcess) -> None:
    out = omnit(node, 7, "tx", "send", "--to", "0x" + "77" * 20, "--value", "0.5omnit")
    assert out.returncode == 0, out.stderr
    assert ": ok tx 0x" in out.stdout


def test_model_register_and_task_post_status(node: ManagedProcess) -> None:
    reg = omnit(node, 8, "model", "register", "--weights", "0x" + keccak(b"cli weights").hex(), "--uri", "ipfs://x")
    assert reg.returncode == 0, reg.stderr
    assert "event ModelRegistered(modelId=" in reg.stdout
    model_id = reg.stdout.split("modelId=")[1].split(",")[0]
    post = omnit(node, 8, "task", "post", "--model-id", model_id, "--input", "0x" + "ab" * 32, "--fee", "1omnit")
    assert post.returncode == 0, post.stderr
    task_id = post.stdout.split("taskId=")[1].split(",")[0]
    status = omnit(node, 8, "task", "status", "--task-id", task_id)
    assert status.returncode == 0, status.stderr
    record = json.loads(status.stdout)
    assert record["status"] == "posted" or record["status"]
    missing = omnit(node, 8, "task", "status", "--task-id", "999999")
    assert missing.returncode != 0 and "no task" in missing.stderr


def test_refused_transaction_is_a_clean_error(node: ManagedProcess) -> None:
    out = omnit(node, 9, "tx", "send", "--to", "0x" + "77" * 20, "--value", "100000000omnit")
    assert out.returncode != 0
    assert "insufficient funds" in out.stderr and "Traceback" not in out.stderr


def test_sequencer_config_file_env_and_sigterm(tmp_path: Path) -> None:
    import signal

    from rollup.bench.procs import free_port

    port = free_port()
    config = tmp_path / "node.toml"
    config.write_text(f'[node]\ndb_url = "sqlite:///{tmp_path}/l2.sqlite"\nrpc_port = 1\nblock_time = 0.1\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIT_")}
    env["OMNIT_RPC_PORT"] = str(port)  # the environment overrides the file
    proc = subprocess.Popen([sys.executable, "-m", "rollup.cli", "sequencer", "--config", str(config)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        managed = ManagedProcess("omnit", proc, f"http://127.0.0.1:{port}", tmp_path / "none.log")
        asyncio.run(wait_rpc_ready(managed))
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err[-3000:]
        assert '"event": "ready"' in err and (tmp_path / "l2.sqlite").exists()
    finally:
        if proc.poll() is None:
            proc.kill()
