"""Acceptance: bad input gets a JSON-RPC error saying what was wrong, changes nothing, and the node
keeps serving."""

from __future__ import annotations

import json
import time
from typing import Any, Iterator

import pytest
import rlp

from .conftest import ACCOUNT_USE, post_raw, rpc_call

pytestmark = pytest.mark.slow

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
TASK_REGISTRY = "0x4f4d4E4900000000000000000000000000000003"
GWEI = 10**9


@pytest.fixture
def acct(dev_keys: list[Any]) -> Any:
    return dev_keys[ACCOUNT_USE["errors"]]


@pytest.fixture
def unchanged(rpc_url: str, acct: Any) -> Iterator[None]:
    """Asserts after the test that the account's state did not move and the node still serves."""
    before = (rpc_call(rpc_url, "eth_getBalance", acct.address, "latest")["result"],
              rpc_call(rpc_url, "eth_getTransactionCount", acct.address, "pending")["result"])
    yield
    after = (rpc_call(rpc_url, "eth_getBalance", acct.address, "latest")["result"],
             rpc_call(rpc_url, "eth_getTransactionCount", acct.address, "pending")["result"])
    assert after == before
    assert rpc_call(rpc_url, "eth_chainId")["result"] == "0x1b59"


def _nonce(url: str, address: str) -> int:
    return int(rpc_call(url, "eth_getTransactionCount", address, "pending")["result"], 16)


def sign(url: str, acct: Any, **overrides: Any) -> str:
    tx = {"type": 2, "chainId": 7001, "nonce": _nonce(url, acct.address), "to": "0x" + "55" * 20,
          "value": 1, "gas": 21_000, "maxFeePerGas": 100 * GWEI, "maxPriorityFeePerGas": 1}
    tx.update(overrides)
    return "0x" + acct.sign_transaction(tx).raw_transaction.hex()


def send_error(url: str, raw: str) -> dict[str, Any]:
    out = rpc_call(url, "eth_sendRawTransaction", raw)
    assert "error" in out, f"expected an error, got {out}"
    err = out["error"]
    assert isinstance(err["code"], int) and err["message"]
    return err


def test_malformed_json(rpc_url: str, unchanged: None) -> None:
    status, body = post_raw(rpc_url, b'{"jsonrpc": "2.0", "method": ')
    assert body["error"]["code"] == -32700 and "JSON" in body["error"]["message"]
    status, body = post_raw(rpc_url, b'{"method": "eth_chainId", "id": 1}')
    assert body["error"]["code"] == -32600


def test_unknown_method(rpc_url: str, unchanged: None) -> None:
    err = rpc_call(rpc_url, "eth_doesNotExist")["error"]
    assert err["code"] == -32601 and "eth_doesNotExist" in err["message"]


@pytest.mark.parametrize("method,params,needle", [
    ("eth_getBalance", [123, "latest"], "address"),
    ("eth_getBalance", ["0x1234", "latest"], "20 bytes"),
    ("eth_getBlockByNumber", ["yesterday", False], "hex quantity"),
    ("eth_getBlockByNumber", ["0x1", "yes"], "true or false"),
    ("eth_getTransactionReceipt", ["0xabc"], "hash"),
    ("eth_sendRawTransaction", [], "1 parameter"),
    ("eth_feeHistory", ["0x0", "latest", []], "blockCount"),
    ("eth_call", ["not an object", "latest"], "call object"),
])
def test_wrong_parameter_types(rpc_url: str, method: str, params: list[Any], needle: str) -> None:
    err = rpc_call(rpc_url, method, *params)["error"]
    assert err["code"] == -32602 and needle in err["message"], err


def test_oversized_body_and_batch(rpc_url: str, unchanged: None) -> None:
    status, body = post_raw(rpc_url, b"[" + b" " * (9 * 1024 * 1024) + b"]")
    assert status == 413 and body["error"]["code"] == -32005 and "too large" in body["error"]["message"]
    batch = [{"jsonrpc": "2.0", "id": i, "method": "eth_chainId"} for i in range(5000)]
    status, body = post_raw(rpc_url, json.dumps(batch).encode())
    assert body["error"]["code"] == -32005 and "batch too large" in body["error"]["message"]


def test_wrong_chain_id(rpc_url: str, acct: Any, unchanged: None) -> None:
    err = send_error(rpc_url, sign(rpc_url, acct, chainId=1))
    assert err["code"] == -32000 and "chain id" in err["message"] and "7001" in err["message"]


def test_bad_rlp(rpc_url: str, unchanged: None) -> None:
    err = send_error(rpc_url, "0x02c0ffee")
    assert "RLP" in err["message"] or "malformed" in err["message"]
    err = send_error(rpc_url, "0xf8")
    assert err["message"]


def test_bad_signature(rpc_url: str, acct: Any, unchanged: None) -> None:
    raw = bytes.fromhex(sign(rpc_url, acct)[2:])
    fields = rlp.decode(raw[1:])
    s = int.from_bytes(fields[11], "big")
    fields[11] = (SECP256K1_N - s).to_bytes(32, "big")  # high s: malleable, must be refused
    err = send_error(rpc_url, "0x02" + rlp.encode(fields).hex())
    assert "signature" in err["message"]
    fields[10] = b""  # r = 0
    err = send_error(rpc_url, "0x02" + rlp.encode(fields).hex())
    assert "signature" in err["message"]


@pytest.mark.parametrize("type_byte", ["01", "03", "04", "7e"])
def test_unsupported_type(rpc_url: str, type_byte: str, unchanged: None) -> None:
    err = send_error(rpc_url, "0x" + type_byte + "c0")
    assert "type" in err["message"] or "deposit" in err["message"]


def test_nonce_too_low(rpc_url: str, dev_keys: list[Any]) -> None:
    victim = dev_keys[ACCOUNT_USE["errors_victim"]]
    raw = sign(rpc_url, victim)
    tx_hash = rpc_call(rpc_url, "eth_sendRawTransaction", raw)["result"]
    deadline = time.time() + 30
    while rpc_call(rpc_url, "eth_getTransactionReceipt", tx_hash)["result"] is None:
        assert time.time() < deadline
        time.sleep(0.05)
    err = send_error(rpc_url, sign(rpc_url, victim, nonce=0, value=2))
    assert err["code"] == -32000 and "nonce too low" in err["message"]


def test_nonce_gap_too_large(rpc_url: str, acct: Any, unchanged: None) -> None:
    err = send_error(rpc_url, sign(rpc_url, acct, nonce=_nonce(rpc_url, acct.address) + 10_000))
    assert "nonce" in err["message"]


def test_insufficient_balance(rpc_url: str, acct: Any, unchanged: None) -> None:
    err = send_error(rpc_url, sign(rpc_url, acct, value=10**30))
    assert err["code"] == -32000 and "insufficient funds" in err["message"]


def test_fee_cap_below_base_fee(rpc_url: str, acct: Any, unchanged: None) -> None:
    err = send_error(rpc_url, sign(rpc_url, acct, maxFeePerGas=1, maxPriorityFeePerGas=1))
    assert "base fee" in err["message"] or "fee" in err["message"]


def test_gas_limit_below_intrinsic(rpc_url: str, acct: Any, unchanged: None) -> None:
    err = send_error(rpc_url, sign(rpc_url, acct, gas=20_000))
    assert "intrinsic gas" in err["message"]


def test_oversized_transaction(rpc_url: str, acct: Any, unchanged: None) -> None:
    raw = sign(rpc_url, acct, data=b"\x01" * (130 * 1024), gas=3_000_000)
    err = send_error(rpc_url, raw)
    assert "too large" in err["message"]


def test_system_call_with_bad_abi_data_fails_in_receipt(rpc_url: str, dev_keys: list[Any]) -> None:
    victim = dev_keys[ACCOUNT_USE["errors_victim"]]
    selector = bytes.fromhex("00000000")
    raw = sign(rpc_url, victim, to=TASK_REGISTRY, data=selector + b"\x01\x02\x03", gas=200_000, value=0)
    tx_hash = rpc_call(rpc_url, "eth_sendRawTransaction", raw)["result"]
    assert tx_hash is not None
    deadline = time.time() + 30
    while (receipt := rpc_call(rpc_url, "eth_getTransactionReceipt", tx_hash)["result"]) is None:
        assert time.time() < deadline
        time.sleep(0.05)
    assert receipt["status"] == "0x0" and receipt["logs"] == []
    status = rpc_call(rpc_url, "omni_getTransactionStatus", tx_hash)["result"]
    assert status["status"] == "included"


def test_unknown_transaction_status(rpc_url: str) -> None:
    status = rpc_call(rpc_url, "omni_getTransactionStatus", "0x" + "ab" * 32)["result"]
    assert status["status"] == "unknown"
    assert rpc_call(rpc_url, "eth_getTransactionReceipt", "0x" + "ab" * 32)["result"] is None


def test_node_keeps_serving(rpc_url: str) -> None:
    assert rpc_call(rpc_url, "eth_chainId")["result"] == "0x1b59"
    status, _ = post_raw(rpc_url, b"garbage")
    assert rpc_call(rpc_url, "eth_blockNumber")["result"].startswith("0x")
    import urllib.request

    with urllib.request.urlopen(rpc_url + "/health", timeout=10) as resp:
        assert resp.status == 200 and "head" in json.loads(resp.read())
    with urllib.request.urlopen(rpc_url + "/metrics", timeout=10) as resp:
        text = resp.read().decode()
    assert "omnit_rpc_requests_total" in text and "omnit_l2_head" in text
