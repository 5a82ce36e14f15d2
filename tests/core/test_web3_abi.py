"""The published ABI works with web3.py contract objects (offline encode / decode)."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3 import Web3

from rollup.core.constants import MODEL_REGISTRY_ADDRESS, OMNIT, TASK_REGISTRY_ADDRESS
from rollup.core.system_contracts import CONTRACTS, abi_json, encode_call, load_abi


def _w3() -> Web3:
    return Web3()  # no provider: offline encoding and decoding only


def _web3_log(log, block) -> dict:
    return {
        "address": to_checksum_address(log.address),
        "topics": [HexBytes(t) for t in log.topics],
        "data": HexBytes(log.data),
        "logIndex": log.log_index,
        "transactionIndex": 0,
        "transactionHash": HexBytes(block.receipts[0].transaction_hash),
        "blockHash": HexBytes(block.hash),
        "blockNumber": block.header.number,
        "removed": False,
    }


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.name)
def test_abi_files_match_specs(contract):
    text = resources.files("rollup.core").joinpath("abi", f"{contract.name}.json").read_text()
    assert json.loads(text) == abi_json(contract)
    assert load_abi(contract.name) == abi_json(contract)


def test_selectors_unique_per_contract():
    for c in CONTRACTS:
        sels = [f.selector for f in c.functions]
        assert len(sels) == len(set(sels))


def test_web3_builds_call_executed_by_core_and_decodes_event(chain):
    w3 = _w3()
    reg = w3.eth.contract(address=to_checksum_address(MODEL_REGISTRY_ADDRESS),
                          abi=load_abi("ModelRegistry"))
    weights = b"\x42" * 32
    data = HexBytes(reg.encode_abi("registerModel", args=[weights, "ipfs://model"]))
    assert bytes(data) == encode_call("ModelRegistry", "registerModel", weights, "ipfs://model")
    raw = chain.signers[0].tx(MODEL_REGISTRY_ADDRESS, data=bytes(data), gas=200_000)
    block = chain.build([raw])
    (r,) = block.receipts
    assert r.status == 1
    ev = reg.events.ModelRegistered().process_log(_web3_log(r.logs[0], block))
    assert ev["event"] == "ModelRegistered"
    assert ev["args"]["modelId"] == 1
    assert ev["args"]["owner"] == to_checksum_address(chain.addr(0))
    assert ev["args"]["weightsCommitment"] == weights
    assert ev["args"]["metadataURI"] == "ipfs://model"


def test_web3_task_events_and_view_decoding(chain):
    from rollup.core import execute_call

    w3 = _w3()
    tasks = w3.eth.contract(address=to_checksum_address(TASK_REGISTRY_ADDRESS),
                            abi=load_abi("TaskRegistry"))
    chain.run(chain.call_tx(0, "ModelRegistry", "registerModel", b"\x01" * 32, "u"))
    deadline = chain.head.timestamp + 100
    data = bytes(HexBytes(tasks.encode_abi("postTask", args=[1, b"\x02" * 32, deadline])))
    raw = chain.signers[0].tx(TASK_REGISTRY_ADDRESS, data=data, value=OMNIT, gas=200_000)
    block = chain.build([raw])
    ev = tasks.events.TaskPosted().process_log(_web3_log(block.receipts[0].logs[0], block))
    assert ev["args"]["taskId"] == 1 and ev["args"]["fee"] == OMNIT
    assert ev["args"]["deadline"] == deadline
    assert ev["args"]["poster"] == to_checksum_address(chain.addr(0))
    # eth_call of a view, decoded with web3's output decoder
    call = bytes(HexBytes(tasks.encode_abi("getTask", args=[1])))
    res = execute_call(chain.state, chain.env(), chain.addr(0), TASK_REGISTRY_ADDRESS, call)
    assert res.success
    fn = tasks.get_function_by_name("getTask")
    from eth_abi import decode
    out = decode([o["type"] for o in fn.abi["outputs"]], res.return_data)
    assert out[0] == to_checksum_address(chain.addr(0)).lower() or out[0].lower() == "0x" + chain.addr(0).hex()
    assert out[4] == OMNIT and out[5] == 1
