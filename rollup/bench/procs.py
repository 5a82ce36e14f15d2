"""Processes under test: our sequencer (``python -m rollup.cli sequencer``) and anvil.

Both run as subprocesses on a free loopback port so the load generator measures them the same
way, over HTTP, with the client's own CPU time kept out of the server's process.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import aiohttp

__all__ = [
    "ManagedProcess",
    "ProcessFailed",
    "free_port",
    "find_anvil",
    "start_sequencer",
    "start_anvil",
    "wait_rpc_ready",
    "READY_TIMEOUT",
    "ANVIL_GAS_LIMIT",
    "cpu_seconds",
]

READY_TIMEOUT: Final = 60.0
"""Seconds a started node has to answer eth_chainId before the benchmark gives up."""

_STOP_TIMEOUT: Final = 15.0
"""Seconds a node has to exit after SIGINT before it is killed."""


class ProcessFailed(RuntimeError):
    """A node process exited early or never became ready; carries the tail of its output."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_anvil() -> str:
    """The anvil binary: the repository's npm install first, then PATH."""
    here = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "anvil"
    if here.exists():
        return str(here)
    found = shutil.which("anvil")
    if found is None:
        raise ProcessFailed("anvil not found: run `npm ci` in the repository (it installs @foundry-rs/anvil)")
    return found


@dataclass
class ManagedProcess:
    """A started node: the process, its RPC URL and the file that collects its output."""

    name: str
    proc: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def tail(self, lines: int = 30) -> str:
        """The last lines of the process output (for error messages)."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    async def stop(self) -> int:
        """SIGINT (clean shutdown), then SIGKILL after a grace period; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            for _ in range(int(_STOP_TIMEOUT * 10)):
                if self.proc.poll() is not None:
                    break
                await asyncio.sleep(0.1)
            else:
                self.proc.kill()
        return self.proc.wait()


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) ``pid`` has used, from ``/proc`` (0.0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def cpu_seconds(pid: int) -> float | None:
    """CPU seconds used so far by ``pid`` and its live descendants (the node's decode workers);
    None where ``/proc`` is not available (the figure is then left out of the report)."""
    if not os.path.exists(f"/proc/{pid}/stat"):
        return None
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += _proc_cpu(p)
        todo.extend(_children(p))
    return total


def _spawn(name: str, argv: list[str], env: dict[str, str], log_path: Path, url: str) -> ManagedProcess:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return ManagedProcess(name, proc, url, log_path)


def start_sequencer(workdir: Path, db_url: str, *, port: int | None = None, profile: str | None = None,
                    extra_env: dict[str, str] | None = None) -> ManagedProcess:
    """Start ``omnit sequencer`` on a free port with the dev genesis and ``db_url``."""
    port = port or free_port()
    env = dict(os.environ)
    env.update({"OMNIT_DB_URL": db_url, "OMNIT_RPC_PORT": str(port), "OMNIT_RPC_HOST": "127.0.0.1",
                "PYTHONUNBUFFERED": "1"})
    env.update(extra_env or {})
    env.pop("OMNIT_CONFIG", None)
    prefix = [sys.executable]
    if profile:
        prefix += ["-m", "cProfile", "-o", profile]
    argv = prefix + ["-m", "rollup.cli", "sequencer"]
    return _spawn("omnit", argv, env, workdir / "sequencer.log", f"http://127.0.0.1:{port}")


ANVIL_GAS_LIMIT: Final = 400_000_000
"""Block gas limit anvil is started with: the same gas per second as ours (``DEFAULT_BLOCK_GAS_LIMIT``
of 100M every 250 ms is 400M per second, and anvil seals every second), so the peer is measured at
its processing capacity: with its 30M default it would be capped at 1,428 transfers per block, and
with 100M at 4,761 per second, below what it can accept here (about 6,000 to 7,000 per second)."""


def start_anvil(workdir: Path, chain_id: int, *, block_time: float = 1.0, port: int | None = None,
                gas_limit: int = ANVIL_GAS_LIMIT) -> ManagedProcess:
    """Start anvil with ``--block-time`` on a free port, with the same chain id and block gas limit as ours."""
    port = port or free_port()
    argv = [find_anvil(), "--port", str(port), "--host", "127.0.0.1", "--chain-id", str(chain_id),
            "--block-time", str(block_time), "--gas-limit", str(gas_limit), "--quiet"]
    return _spawn("anvil", argv, dict(os.environ), workdir / "anvil.log", f"http://127.0.0.1:{port}")


async def wait_rpc_ready(node: ManagedProcess, timeout: float = READY_TIMEOUT) -> None:
    """Poll eth_chainId until the node answers; raise :class:`ProcessFailed` if it dies or stalls."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
    deadline = asyncio.get_running_loop().time() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            if node.proc.poll() is not None:
                raise ProcessFailed(f"{node.name} exited with {node.proc.returncode}:\n{node.tail()}")
            try:
                async with session.post(node.url, json=body, timeout=aiohttp.ClientTimeout(total=2)) as resp:
                    if resp.status == 200 and "result" in await resp.json(content_type=None):
                        return
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise ProcessFailed(f"{node.name} not ready after {timeout}s:\n{node.tail()}")
            await asyncio.sleep(0.2)
