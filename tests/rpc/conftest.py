"""Fixtures of the RPC client tests: one real L2 node (``omnit sequencer`` subprocess) per session.

The node runs on SQLite in a temporary directory with the dev genesis, on a free loopback port.
Tests that share it use different dev accounts (see ``ACCOUNT_USE``) so they do not disturb each
other's nonces and balances.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest
from eth_account.signers.local import LocalAccount

from rollup.bench.procs import ManagedProcess, start_sequencer, wait_rpc_ready
from rollup.devnet import dev_accounts

ACCOUNT_USE = {"web3": 0, "cast": 3, "errors": 5, "errors_victim": 6, "cli": 7}
"""Which dev account each client suite signs with."""

CAST = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "cast"
"""Foundry's cast from the repository's npm install."""


@pytest.fixture(scope="session")
def dev_keys() -> list[LocalAccount]:
    """The ten dev accounts of the test mnemonic."""
    return dev_accounts(10)


@pytest.fixture(scope="session")
def l2_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagedProcess]:
    """A running ``omnit sequencer`` subprocess with the dev genesis (session-wide)."""
    work = tmp_path_factory.mktemp("l2node")
    node = start_sequencer(work, f"sqlite:///{work / 'l2.sqlite'}",
                           extra_env={"OMNIT_BLOCK_TIME": "0.1", "OMNIT_EMPTY_BLOCK_INTERVAL": "0.5"})
    try:
        asyncio.run(wait_rpc_ready(node))
    except Exception:
        asyncio.run(node.stop())
        raise
    yield node
    code = asyncio.run(node.stop())
    assert code == 0, f"node did not shut down cleanly ({code}):\n{node.tail()}"


@pytest.fixture(scope="session")
def rpc_url(l2_node: ManagedProcess) -> str:
    """The node's JSON-RPC URL."""
    return l2_node.url


def rpc_call(url: str, method: str, *params: Any) -> dict[str, Any]:
    """One blocking JSON-RPC call; returns the whole response object."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def post_raw(url: str, body: bytes) -> tuple[int, Any]:
    """POST raw bytes; returns (HTTP status, parsed JSON body or None)."""
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read()
            return resp.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as err:
        raw = err.read()
        return err.code, (json.loads(raw) if raw else None)
