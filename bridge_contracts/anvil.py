"""Run a local anvil node (Foundry's, installed from npm) for tests, the devnet and benchmarks.

    with AnvilProcess(chain_id=7000) as node:          # or: async with AnvilProcess(...)
        w3 = AsyncWeb3(AsyncHTTPProvider(node.url))
        await mine(w3, 5)

The binary is `$OMNIT_ANVIL` if set, else the platform binary that the npm package
`@foundry-rs/anvil` installs under the repository's `node_modules/` (else its `.bin/anvil` node
wrapper). The node listens on a free loopback port chosen by the OS (`--port 0`), runs the given
hardfork (cancun or later, so blob transactions and `blobhash` work) and is ready when it answers
`eth_chainId`. Accounts are anvil's defaults: `DEV_MNEMONIC`, 10 000 ETH each.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import TracebackType
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import AsyncWeb3
from web3.types import RPCEndpoint

from bridge_contracts.sources import REPO_ROOT

__all__ = [
    "AnvilError",
    "AnvilProcess",
    "DEV_MNEMONIC",
    "DevAccounts",
    "anvil_binary",
    "dev_accounts",
    "increase_time",
    "mine",
    "revert",
    "rpc",
    "set_balance",
    "set_next_block_timestamp",
    "snapshot",
]

DEV_MNEMONIC = "test test test test test test test test test test test junk"
"""Anvil's default mnemonic; its accounts are funded at genesis. Never use it on a real chain."""

DEFAULT_HARDFORK = "cancun"
"""The L1's hardfork in development: the first with EIP-4844 blobs and `BLOBHASH`."""

_LISTENING = re.compile(r"Listening on ([0-9.]+):(\d+)")


class AnvilError(RuntimeError):
    """Anvil could not be found, did not start, or answered an RPC call with an error."""


def anvil_binary() -> Path:
    """Locate the anvil executable (see the module docstring for the search order)."""
    env = os.environ.get("OMNIT_ANVIL")
    if env:
        return Path(env)
    foundry = REPO_ROOT / "node_modules" / "@foundry-rs"
    for candidate in sorted(foundry.glob("anvil-*/bin/anvil")):
        if os.access(candidate, os.X_OK):
            return candidate
    wrapper = REPO_ROOT / "node_modules" / ".bin" / "anvil"
    if wrapper.exists():
        return wrapper
    raise AnvilError(f"anvil not found under {REPO_ROOT / 'node_modules'}: run `npm ci` "
                     "(or set OMNIT_ANVIL to an anvil binary)")


@lru_cache(maxsize=None)
def _derive(mnemonic: str, count: int) -> tuple[LocalAccount, ...]:
    Account.enable_unaudited_hdwallet_features()
    return tuple(
        Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{i}") for i in range(count)
    )


def dev_accounts(count: int = 10, mnemonic: str = DEV_MNEMONIC) -> tuple[LocalAccount, ...]:
    """The first `count` accounts of `mnemonic` (anvil funds the first 10 by default)."""
    return _derive(mnemonic, count)


@dataclass(frozen=True, slots=True)
class DevAccounts:
    """Anvil's ten funded default accounts, by the role each plays in tests and the devnet."""

    admin: LocalAccount
    batcher: LocalAccount
    proposer: LocalAccount
    challenger: LocalAccount
    guardian: LocalAccount
    alice: LocalAccount
    bob: LocalAccount
    carol: LocalAccount
    mallory: LocalAccount
    spare: LocalAccount

    @classmethod
    def derive(cls, mnemonic: str = DEV_MNEMONIC) -> DevAccounts:
        """Accounts 0..9 of `mnemonic`, in field order."""
        return cls(*dev_accounts(10, mnemonic))


def _post(url: str, method: str, params: Sequence[Any], timeout: float = 5.0) -> Any:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
    request = urllib.request.Request(url, body.encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as reply:
        answer = json.loads(reply.read())
    if "error" in answer:
        raise AnvilError(f"{method} failed: {answer['error']}")
    return answer["result"]


@dataclass(slots=True)
class AnvilProcess:
    """One anvil node, started by `start()` (or the context managers) and ended by `stop()`.

    block_time: seconds between blocks; None mines one block per transaction (automine).
    state: `--state` file (loaded at start if it exists, dumped at exit);
    dump_state / load_state: the one-way variants.
    """

    chain_id: int = 7000
    block_time: float | None = None
    hardfork: str = DEFAULT_HARDFORK
    accounts: int = 10
    mnemonic: str = DEV_MNEMONIC
    state: Path | None = None
    dump_state: Path | None = None
    load_state: Path | None = None
    timestamp: int | None = None
    extra_args: tuple[str, ...] = ()
    startup_timeout: float = 20.0
    _proc: subprocess.Popen[str] | None = field(default=None, init=False, repr=False)
    _port: int | None = field(default=None, init=False, repr=False)
    _log: collections.deque[str] = field(
        default_factory=lambda: collections.deque(maxlen=200), init=False, repr=False)
    _reader: threading.Thread | None = field(default=None, init=False, repr=False)

    def command(self) -> list[str]:
        """The anvil command line this process runs."""
        cmd = [str(anvil_binary()), "--host", "127.0.0.1", "--port", "0",
               "--chain-id", str(self.chain_id), "--hardfork", self.hardfork,
               "--accounts", str(self.accounts), "--mnemonic", self.mnemonic]
        if self.block_time is not None:
            cmd += ["--block-time", f"{self.block_time:g}"]
        if self.state is not None:
            cmd += ["--state", str(self.state)]
        if self.dump_state is not None:
            cmd += ["--dump-state", str(self.dump_state)]
        if self.load_state is not None:
            cmd += ["--load-state", str(self.load_state)]
        if self.timestamp is not None:
            cmd += ["--timestamp", str(self.timestamp)]
        return cmd + list(self.extra_args)

    @property
    def port(self) -> int:
        """The TCP port anvil listens on (only once started)."""
        if self._port is None:
            raise AnvilError("anvil is not running")
        return self._port

    @property
    def url(self) -> str:
        """HTTP JSON-RPC endpoint."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        """WebSocket JSON-RPC endpoint (same port)."""
        return f"ws://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def log_tail(self) -> str:
        """The last lines anvil printed (for error messages)."""
        return "\n".join(self._log)

    def _pump(self, proc: subprocess.Popen[str], found: threading.Event) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self._log.append(line.rstrip())
            if self._port is None and (m := _LISTENING.search(line)):
                self._port = int(m.group(2))
                found.set()
        found.set()

    def start(self) -> AnvilProcess:
        """Start anvil and wait until it answers `eth_chainId`; return self."""
        if self.running:
            return self
        self._port = None
        self._log.clear()
        found = threading.Event()
        self._proc = subprocess.Popen(
            self.command(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._pump, args=(self._proc, found),
                                        daemon=True, name=f"anvil-{self._proc.pid}")
        self._reader.start()
        deadline = time.monotonic() + self.startup_timeout
        found.wait(self.startup_timeout)
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                break
            if self._port is not None:
                try:
                    if int(_post(self.url, "eth_chainId", [], timeout=1.0), 16) == self.chain_id:
                        return self
                except (OSError, AnvilError):
                    pass
            time.sleep(0.05)
        code = self._proc.poll()
        self.stop()
        raise AnvilError(f"anvil did not start (exit code {code}); output:\n{self.log_tail()}")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop anvil (SIGTERM, then SIGKILL after `timeout`); `--state` is dumped on the way."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if self._reader is not None:
            self._reader.join(timeout=2.0)  # ends at EOF of anvil's output
            self._reader = None
        self._port = None
        if proc.stdout is not None:
            proc.stdout.close()

    def rpc(self, method: str, *params: Any) -> Any:
        """A synchronous JSON-RPC call (for scripts; async code uses `rpc(w3, ...)`)."""
        return _post(self.url, method, params)

    def __enter__(self) -> AnvilProcess:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    async def __aenter__(self) -> AnvilProcess:
        return await asyncio.to_thread(self.start)

    async def __aexit__(self, et: type[BaseException] | None, ev: BaseException | None,
                        tb: TracebackType | None) -> None:
        await asyncio.to_thread(self.stop)


async def rpc(w3: AsyncWeb3, method: str, *params: Any) -> Any:
    """Call a raw JSON-RPC method (e.g. an `anvil_*` or `evm_*` one) and return its result."""
    reply = await w3.provider.make_request(RPCEndpoint(method), list(params))
    if reply.get("error"):
        raise AnvilError(f"{method} failed: {reply['error']}")
    return reply.get("result")


async def mine(w3: AsyncWeb3, blocks: int = 1, interval: int | None = None) -> None:
    """Mine `blocks` blocks now (optionally `interval` seconds apart)."""
    if interval is None:
        await rpc(w3, "anvil_mine", hex(blocks))
    else:
        await rpc(w3, "anvil_mine", hex(blocks), hex(interval))


async def increase_time(w3: AsyncWeb3, seconds: int, mine_block: bool = True) -> None:
    """Move the chain's clock forward by `seconds` (and mine a block so it takes effect)."""
    await rpc(w3, "evm_increaseTime", hex(seconds))
    if mine_block:
        await mine(w3)


async def set_next_block_timestamp(w3: AsyncWeb3, timestamp: int) -> None:
    """Fix the timestamp of the next mined block."""
    await rpc(w3, "evm_setNextBlockTimestamp", hex(timestamp))


async def snapshot(w3: AsyncWeb3) -> str:
    """Take a snapshot of the chain; `revert` to it later (a snapshot is used up by reverting)."""
    return str(await rpc(w3, "evm_snapshot"))


async def revert(w3: AsyncWeb3, snapshot_id: str) -> None:
    """Return the chain to `snapshot_id`."""
    if not await rpc(w3, "evm_revert", snapshot_id):
        raise AnvilError(f"evm_revert({snapshot_id}) refused: unknown or used-up snapshot")


async def set_balance(w3: AsyncWeb3, address: str, wei: int) -> None:
    """Set an account's ether balance."""
    await rpc(w3, "anvil_setBalance", address, hex(wei))
