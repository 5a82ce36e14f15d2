"""Unit tests of the JSON-RPC server over HTTP against the in-memory fake facade."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from eth_account import Account

from rollup.rpc import RpcSettings, create_app
from rollup.rpc.hexcodec import parse_quantity
from rollup.rpc.errors import InvalidParams

from .fake_node import BASE_FEE, FakeNode

KEY = "0x" + "11" * 32
ACCT = Account.from_key(KEY)
RECIPIENT = "0x" + "22" * 20


def sign(nonce: int, value: int = 1, chain_id: int = 7001, **extra: Any) -> str:
    tx = {"type": 2, "chainId": chain_id, "nonce": nonce, "to": RECIPIENT, "value": value,
          "gas": 21_000, "maxFeePerGas": 2 * BASE_FEE, "maxPriorityFeePerGas": 1}
    tx.update(extra)
    return "0x" + ACCT.sign_transaction(tx).raw_transaction.hex()


@pytest.fixture
async def env() -> Any:
    node = FakeNode({bytes.fromhex(ACCT.address[2:]): 10**21})
    app = create_app(node, RpcSettings(max_batch=10, max_body_bytes=4096))
    client = TestClient(TestServer(app))
    await client.start_server()
    yield node, client
    await client.close()


async def rpc(client: TestClient, method: str, *params: Any) -> dict[str, Any]:
    resp = await client.post("/", json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
    assert resp.status == 200
    return await resp.json()


async def test_chain_id_and_versions(env: Any) -> None:
    _, client = env
    assert (await rpc(client, "eth_chainId"))["result"] == "0x1b59"
    assert (await rpc(client, "net_version"))["result"] == "7001"
    assert (await rpc(client, "eth_syncing"))["result"] is False
    assert (await rpc(client, "eth_accounts"))["result"] == []


async def test_send_idempotent_and_receipt(env: Any) -> None:
    node, client = env
    raw = sign(0)
    first = await rpc(client, "eth_sendRawTransaction", raw)
    again = await rpc(client, "eth_sendRawTransaction", raw)
    assert first["result"] == again["result"]
    assert (await rpc(client, "eth_getTransactionReceipt", first["result"]))["result"] is None
    pending = (await rpc(client, "eth_getTransactionByHash", first["result"]))["result"]
    assert pending["blockNumber"] is None and pending["from"].lower() == ACCT.address.lower()
    node.seal()
    receipt = (await rpc(client, "eth_getTransactionReceipt", first["result"]))["result"]
    assert receipt["status"] == "0x1" and receipt["blockNumber"] == "0x1"
    status = (await rpc(client, "omni_getTransactionStatus", first["result"]))["result"]
    assert status["status"] == "included"
    block = (await rpc(client, "eth_getBlockByNumber", "latest", True))["result"]
    assert block["transactions"][0]["hash"] == first["result"]
    assert block["baseFeePerGas"] == hex(BASE_FEE)
    for key in ("number", "hash", "parentHash", "nonce", "sha3Uncles", "logsBloom", "transactionsRoot",
                "stateRoot", "receiptsRoot", "miner", "difficulty", "totalDifficulty", "extraData",
                "size", "gasLimit", "gasUsed", "timestamp", "uncles", "mixHash"):
        assert key in block
    by_hash = (await rpc(client, "eth_getBlockByHash", block["hash"], False))["result"]
    assert by_hash["transactions"] == [first["result"]]


async def test_batch_in_order(env: Any) -> None:
    node, client = env
    batch = [{"jsonrpc": "2.0", "id": i, "method": "eth_sendRawTransaction", "params": [sign(i)]}
             for i in range(5)]
    resp = await client.post("/", json=batch)
    out = await resp.json()
    assert [r["id"] for r in out] == list(range(5))
    assert all("result" in r for r in out), out
    assert len(node.pending) == 5


async def test_parse_error_and_invalid_request(env: Any) -> None:
    _, client = env
    resp = await client.post("/", data=b"{not json", headers={"Content-Type": "application/json"})
    body = await resp.json()
    assert body["error"]["code"] == -32700 and body["id"] is None
    body = await (await client.post("/", json={"id": 1, "method": "eth_chainId"})).json()
    assert body["error"]["code"] == -32600
    body = await (await client.post("/", json=[])).json()
    assert body["error"]["code"] == -32600
    body = await (await client.post("/", json=[1, {"jsonrpc": "2.0", "id": 2, "method": "eth_chainId"}])).json()
    assert body[0]["error"]["code"] == -32600 and body[1]["result"] == "0x1b59"


async def test_method_not_found_and_bad_params(env: Any) -> None:
    _, client = env
    assert (await rpc(client, "eth_nope"))["error"]["code"] == -32601
    err = (await rpc(client, "eth_getBalance", "0x1234", "latest"))["error"]
    assert err["code"] == -32602 and "20 bytes" in err["message"]
    err = (await rpc(client, "eth_getBalance", 5, "latest"))["error"]
    assert err["code"] == -32602
    err = (await rpc(client, "eth_getBlockByNumber", "0xzz", False))["error"]
    assert err["code"] == -32602 and "non-hex" in err["message"]
    err = (await rpc(client, "eth_getBlockByNumber"))["error"]
    assert err["code"] == -32602 and "parameters" in err["message"]


async def test_limits(env: Any) -> None:
    _, client = env
    batch = [{"jsonrpc": "2.0", "id": i, "method": "eth_chainId"} for i in range(11)]
    body = await (await client.post("/", json=batch)).json()
    assert body["error"]["code"] == -32005 and "batch too large" in body["error"]["message"]
    resp = await client.post("/", data=b"[" + b" " * 5000 + b"]", headers={"Content-Type": "application/json"})
    assert resp.status == 413
    body = await resp.json()
    assert body["error"]["code"] == -32005 and "too large" in body["error"]["message"]
    assert (await rpc(client, "eth_chainId"))["result"] == "0x1b59"


async def test_tx_errors(env: Any) -> None:
    node, client = env
    err = (await rpc(client, "eth_sendRawTransaction", sign(0, chain_id=1)))["error"]
    assert err["code"] == -32000 and "chain id" in err["message"]
    assert err["data"]["reason"] == "ChainIdMismatch"
    err = (await rpc(client, "eth_sendRawTransaction", sign(0, value=10**30)))["error"]
    assert err["code"] == -32000 and "insufficient funds" in err["message"]
    err = (await rpc(client, "eth_sendRawTransaction", sign(100)))["error"]
    assert "too far ahead" in err["message"]
    err = (await rpc(client, "eth_sendRawTransaction", "0x05aa"))["error"]
    assert "unsupported transaction type" in err["message"]
    node.overloaded = True
    err = (await rpc(client, "eth_sendRawTransaction", sign(0)))["error"]
    assert err["code"] == -32005
    node.overloaded = False
    assert node.pending == {}


async def test_notification_gets_no_body(env: Any) -> None:
    _, client = env
    resp = await client.post("/", json={"jsonrpc": "2.0", "method": "eth_chainId"})
    assert resp.status == 204


async def test_health_and_metrics(env: Any) -> None:
    _, client = env
    await rpc(client, "eth_chainId")
    await rpc(client, "eth_bogus")
    resp = await client.get("/health")
    assert resp.status == 200 and (await resp.json())["head"] == 0
    text = await (await client.get("/metrics")).text()
    assert 'omnit_rpc_requests_total{method="eth_chainId",outcome="ok"} 1.0' in text
    assert 'method="unknown",outcome="method_not_found"' in text
    assert "omnit_l2_head 0.0" in text and "omnit_rpc_request_seconds_bucket" in text


async def test_fee_history_and_estimate(env: Any) -> None:
    _, client = env
    fh = (await rpc(client, "eth_feeHistory", "0x4", "latest", [25, 75]))["result"]
    assert fh["baseFeePerGas"] and fh["reward"] == [["0x1", "0x1"]]
    err = (await rpc(client, "eth_feeHistory", "0x4", "latest", [75, 25]))["error"]
    assert err["code"] == -32602
    gas = (await rpc(client, "eth_estimateGas", {"from": ACCT.address, "to": RECIPIENT, "value": "0x1"}))
    assert gas["result"] == hex(21_000)


def test_quantity_parsing() -> None:
    assert parse_quantity("0x" + "f" * 64) == 2**256 - 1
    assert parse_quantity("0x0") == 0
    for bad in ("0x", "12", "0x1" + "0" * 64, "0xg", None, True, -1):
        with pytest.raises(InvalidParams):
            parse_quantity(bad)


async def test_large_quantity_roundtrip(env: Any) -> None:
    _, client = env
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_estimateGas",
                       "params": [{"to": RECIPIENT, "value": "0x" + "f" * 64}]})
    out = await (await client.post("/", data=body)).json()
    assert out["result"] == hex(21_000)


class _BatchNode(FakeNode):
    """A fake that also offers the batch submission API."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batches: list[int] = []

    async def submit_raw_transactions(self, raws: list[bytes]) -> list[Any]:
        self.batches.append(len(raws))
        out: list[Any] = []
        for raw in raws:
            try:
                out.append(await self.submit_raw_transaction(raw))
            except Exception as exc:  # the batch API returns errors in place
                out.append(exc)
        return out


async def test_batch_api_used_in_one_call() -> None:
    node = _BatchNode({bytes.fromhex(ACCT.address[2:]): 10**21})
    client = TestClient(TestServer(create_app(node, RpcSettings())))
    await client.start_server()
    try:
        batch = [{"jsonrpc": "2.0", "id": i, "method": "eth_sendRawTransaction", "params": [sign(i)]}
                 for i in range(4)]
        batch.append({"jsonrpc": "2.0", "id": 9, "method": "eth_sendRawTransaction", "params": [sign(0, value=10**30)]})
        batch.append({"jsonrpc": "2.0", "id": 10, "method": "eth_sendRawTransaction", "params": ["0xzz"]})
        batch.append({"jsonrpc": "2.0", "id": 11, "method": "eth_chainId"})
        out = await (await client.post("/", json=batch)).json()
        assert node.batches == [5]
        assert [r["id"] for r in out] == [0, 1, 2, 3, 9, 10, 11]
        assert all("result" in r for r in out[:4])
        assert "nonce too low" in out[4]["error"]["message"]  # nonce 0 was taken by the first entry
        assert out[5]["error"]["code"] == -32602 and out[6]["result"] == "0x1b59"
        text = await (await client.get("/metrics")).text()
        assert 'omnit_rpc_requests_total{method="eth_sendRawTransaction",outcome="ok"} 4.0' in text
        assert 'omnit_rpc_request_seconds_count{method="batch"} 1.0' in text
    finally:
        await client.close()


async def test_call_revert_is_code_3(env: Any) -> None:
    from rollup.node.errors import CallReverted

    node, client = env

    async def reverting(tx_fields: Any, block: Any = "latest") -> bytes:
        raise CallReverted("unknown task 7", b"\x08\xc3\x79\xa0")

    node.call = reverting
    err = (await rpc(client, "eth_call", {"to": RECIPIENT, "data": "0x"}, "latest"))["error"]
    assert err["code"] == 3 and "unknown task 7" in err["message"] and err["data"] == "0x08c379a0"


async def test_internal_error_keeps_serving(env: Any) -> None:
    node, client = env

    async def broken() -> int:
        raise ZeroDivisionError

    node.gas_price = broken
    err = (await rpc(client, "eth_gasPrice"))["error"]
    assert err["code"] == -32603 and "ZeroDivisionError" in err["message"]
    assert (await rpc(client, "eth_chainId"))["result"] == "0x1b59"


def test_format_legacy_and_deposit() -> None:
    from rollup.core.transactions import decode_transaction, make_deposit
    from rollup.rpc.formatting import format_transaction

    raw = ACCT.sign_transaction({"chainId": 7001, "nonce": 3, "to": RECIPIENT, "value": 5, "gas": 21_000,
                                 "gasPrice": 2 * BASE_FEE}).raw_transaction
    legacy = format_transaction(decode_transaction(bytes(raw), 7001), None)
    assert legacy["type"] == "0x0" and legacy["gasPrice"] == hex(2 * BASE_FEE) and legacy["blockHash"] is None
    assert legacy["chainId"] == "0x1b59" and int(legacy["v"], 16) in (7001 * 2 + 35, 7001 * 2 + 36)
    deposit = format_transaction(make_deposit(b"\x01" * 32, b"\x02" * 20, b"\x03" * 20, 10**18), None)
    assert deposit["type"] == "0x7e" and deposit["mint"] == hex(10**18) and deposit["nonce"] == "0x0"


async def test_batch_refused_as_a_whole_maps_each_entry() -> None:
    from rollup.node.errors import ShuttingDown

    class Refusing(_BatchNode):
        async def submit_raw_transactions(self, raws: list[bytes]) -> list[Any]:
            raise ShuttingDown()

    node = Refusing({bytes.fromhex(ACCT.address[2:]): 10**21})
    client = TestClient(TestServer(create_app(node, RpcSettings())))
    await client.start_server()
    try:
        batch = [{"jsonrpc": "2.0", "id": i, "method": "eth_sendRawTransaction", "params": [sign(i)]}
                 for i in range(3)]
        out = await (await client.post("/", json=batch)).json()
        assert [r["error"]["code"] for r in out] == [-32005] * 3
        assert "shutting down" in out[0]["error"]["message"]
    finally:
        await client.close()
