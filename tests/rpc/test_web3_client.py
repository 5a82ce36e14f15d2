"""Acceptance: web3.py 8 ``AsyncWeb3(AsyncHTTPProvider)`` drives a real node over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_hash.auto import keccak
from web3 import AsyncHTTPProvider, AsyncWeb3

from rollup.rpc.client import system_contract

from .conftest import ACCOUNT_USE

pytestmark = pytest.mark.slow


@pytest.fixture
async def w3(rpc_url: str) -> Any:
    web3 = AsyncWeb3(AsyncHTTPProvider(rpc_url))
    yield web3
    await web3.provider.disconnect()


async def _fees(w3: AsyncWeb3) -> dict[str, int]:
    tip = await w3.eth.max_priority_fee
    latest = await w3.eth.get_block("latest")
    return {"maxPriorityFeePerGas": tip, "maxFeePerGas": latest["baseFeePerGas"] * 2 + tip}


async def _send(w3: AsyncWeb3, acct: Any, tx: dict[str, Any]) -> Any:
    tx = {"type": 2, "chainId": await w3.eth.chain_id, "value": 0,
          "nonce": await w3.eth.get_transaction_count(acct.address, "pending"), **(await _fees(w3)), **tx}
    if "gas" not in tx:
        tx["gas"] = await w3.eth.estimate_gas({**tx, "from": acct.address})
    signed = acct.sign_transaction(tx)
    tx_hash = await w3.eth.send_raw_transaction(signed.raw_transaction)
    assert tx_hash == signed.hash
    return await w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.05)


async def test_chain_basics(w3: AsyncWeb3) -> None:
    assert await w3.eth.chain_id == 7001
    assert await w3.is_connected()
    assert await w3.eth.block_number >= 0
    latest = await w3.eth.get_block("latest")
    assert latest["baseFeePerGas"] > 0 and len(latest["extraData"]) <= 32
    again = await w3.eth.get_block(latest["hash"])
    assert again["number"] == latest["number"]
    assert await w3.eth.gas_price > 0
    assert await w3.eth.syncing is False
    code = await w3.eth.get_code(system_contract(w3, "TaskRegistry").address)
    assert len(code) > 0


async def test_transfer_and_balances(w3: AsyncWeb3, dev_keys: list[Any]) -> None:
    sender = dev_keys[ACCOUNT_USE["web3"]]
    recipient = Account.from_key(keccak(b"web3 test recipient")).address
    before = await w3.eth.get_balance(sender.address)
    receipt = await _send(w3, sender, {"to": recipient, "value": 12345, "gas": 21_000})
    assert receipt["status"] == 1 and receipt["gasUsed"] == 21_000
    assert await w3.eth.get_balance(recipient) == 12345
    after = await w3.eth.get_balance(sender.address)
    assert before - after >= 12345 + receipt["gasUsed"] * receipt["effectiveGasPrice"]
    tx = await w3.eth.get_transaction(receipt["transactionHash"])
    assert tx["from"] == sender.address and tx["blockNumber"] == receipt["blockNumber"]
    block = await w3.eth.get_block(receipt["blockNumber"], full_transactions=True)
    assert any(t["hash"] == receipt["transactionHash"] for t in block["transactions"])
    latest_nonce = await w3.eth.get_transaction_count(sender.address, "latest")
    assert latest_nonce == await w3.eth.get_transaction_count(sender.address, "pending")


async def test_send_raw_is_idempotent(w3: AsyncWeb3, dev_keys: list[Any]) -> None:
    sender = dev_keys[ACCOUNT_USE["web3"]]
    tx = {"type": 2, "chainId": 7001, "nonce": await w3.eth.get_transaction_count(sender.address, "pending"),
          "to": "0x" + "33" * 20, "value": 1, "gas": 21_000, **(await _fees(w3))}
    signed = sender.sign_transaction(tx)
    first = await w3.eth.send_raw_transaction(signed.raw_transaction)
    second = await w3.eth.send_raw_transaction(signed.raw_transaction)
    assert first == second == signed.hash
    receipt = await w3.eth.wait_for_transaction_receipt(first, timeout=30, poll_latency=0.05)
    third = await w3.eth.send_raw_transaction(signed.raw_transaction)
    assert third == first and receipt["status"] == 1


async def test_ai_task_with_contract_objects(w3: AsyncWeb3, dev_keys: list[Any]) -> None:
    poster = dev_keys[ACCOUNT_USE["web3"]]
    models = system_contract(w3, "ModelRegistry")
    tasks = system_contract(w3, "TaskRegistry")
    weights = keccak(b"web3 model weights")
    receipt = await _send(w3, poster, {"to": models.address,
                                       "data": models.encode_abi("registerModel", args=[weights, "ipfs://m"])})
    assert receipt["status"] == 1
    (registered,) = models.events.ModelRegistered().process_receipt(receipt)
    model_id = registered["args"]["modelId"]
    assert registered["args"]["owner"] == poster.address
    assert registered["args"]["weightsCommitment"] == weights

    latest = await w3.eth.get_block("latest")
    deadline = latest["timestamp"] + 3600
    fn = tasks.functions.postTask(model_id, keccak(b"task input"), deadline)
    tx = await fn.build_transaction({"from": poster.address, "value": 3 * 10**18,
                                     "nonce": await w3.eth.get_transaction_count(poster.address, "pending")})
    assert tx["chainId"] == 7001 and tx["gas"] >= 21_000
    signed = poster.sign_transaction(tx)
    receipt = await w3.eth.wait_for_transaction_receipt(
        await w3.eth.send_raw_transaction(signed.raw_transaction), timeout=30, poll_latency=0.05)
    assert receipt["status"] == 1
    (posted,) = tasks.events.TaskPosted().process_receipt(receipt)
    task_id = posted["args"]["taskId"]
    assert posted["args"]["fee"] == 3 * 10**18 and posted["args"]["modelId"] == model_id

    record = await tasks.functions.getTask(task_id).call()
    assert record[0] == poster.address and record[1] == model_id
    logs = await tasks.events.TaskPosted.get_logs(from_block=receipt["blockNumber"], to_block=receipt["blockNumber"])
    assert [log["args"]["taskId"] for log in logs] == [task_id]
    status = await w3.provider.make_request("omni_getTask", [hex(task_id)])  # type: ignore[arg-type]
    assert status["result"] is not None
    # the same reads at the block before the task was posted (historical state)
    before = receipt["blockNumber"] - 1
    earlier = await w3.provider.make_request("omni_getTask", [hex(task_id), hex(before)])  # type: ignore[arg-type]
    assert earlier["result"] is None
    assert (await tasks.functions.taskCount().call(block_identifier=before)) == task_id - 1
    assert (await tasks.functions.taskCount().call(block_identifier=receipt["blockNumber"])) == task_id


async def test_gas_estimation_and_fee_history(w3: AsyncWeb3, dev_keys: list[Any]) -> None:
    sender = dev_keys[ACCOUNT_USE["web3"]]
    assert await w3.eth.estimate_gas({"from": sender.address, "to": "0x" + "44" * 20, "value": 1}) == 21_000
    tasks = system_contract(w3, "TaskRegistry")
    data = tasks.encode_abi("postTask", args=[1, b"\x01" * 32, 2**40])
    estimate = await w3.eth.estimate_gas({"from": sender.address, "to": tasks.address, "data": data,
                                          "value": 10**18})
    assert estimate > 21_000
    history = await w3.eth.fee_history(4, "latest", [25.0, 75.0])
    assert len(history["baseFeePerGas"]) == len(history["gasUsedRatio"]) + 1
    assert all(len(r) == 2 for r in history["reward"])
    assert await w3.eth.max_priority_fee >= 0
