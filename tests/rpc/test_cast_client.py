"""Acceptance: Foundry's ``cast`` talks to a real node over HTTP."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
from eth_account import Account
from eth_hash.auto import keccak

from .conftest import ACCOUNT_USE, CAST

pytestmark = [pytest.mark.slow]


@pytest.fixture(autouse=True)
def _require_cast() -> None:
    if not CAST.exists():
        pytest.fail(f"cast not found at {CAST}: run `npm ci` (make install does)")


def cast(*args: str, timeout: float = 60) -> str:
    proc = subprocess.run([str(CAST), *args], capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"cast {' '.join(args)} failed:\n{proc.stderr}"
    return proc.stdout.strip()


def test_chain_id(rpc_url: str) -> None:
    assert cast("chain-id", "--rpc-url", rpc_url) == "7001"


def test_block_latest(rpc_url: str) -> None:
    out = json.loads(cast("block", "latest", "--json", "--rpc-url", rpc_url))
    assert int(out["number"], 16) >= 0 and out["baseFeePerGas"]
    assert cast("block-number", "--rpc-url", rpc_url).isdigit()
    text = cast("block", "latest", "--rpc-url", rpc_url)
    assert "baseFeePerGas" in text and "hash" in text


def test_send_receipt_balance(rpc_url: str, dev_keys: list[Any]) -> None:
    sender = dev_keys[ACCOUNT_USE["cast"]]
    recipient = Account.from_key(keccak(b"cast test recipient")).address
    key = "0x" + bytes(sender.key).hex()
    out = json.loads(cast("send", recipient, "--value", "0.25ether", "--private-key", key,
                          "--rpc-url", rpc_url, "--json"))
    assert out["status"] == "0x1"
    tx_hash = out["transactionHash"]
    receipt = json.loads(cast("receipt", tx_hash, "--json", "--rpc-url", rpc_url))
    assert receipt["status"] == "0x1" and receipt["transactionHash"] == tx_hash
    assert cast("balance", recipient, "--rpc-url", rpc_url) == str(25 * 10**16)
    included = int(receipt["blockNumber"], 16)
    # the state of an older block: before the transfer the recipient held nothing
    assert cast("balance", recipient, "--block", str(included - 1), "--rpc-url", rpc_url) == "0"
    assert cast("balance", recipient, "--block", str(included), "--rpc-url", rpc_url) == str(25 * 10**16)
    tx = json.loads(cast("tx", tx_hash, "--json", "--rpc-url", rpc_url))
    assert tx["from"].lower() == sender.address.lower()
    nonce = cast("nonce", sender.address, "--rpc-url", rpc_url)
    assert int(nonce) >= 1


def test_gas_price_and_code(rpc_url: str) -> None:
    assert int(cast("gas-price", "--rpc-url", rpc_url)) > 0
    assert cast("code", "0x4f4d4e4900000000000000000000000000000003", "--rpc-url", rpc_url) != "0x"
