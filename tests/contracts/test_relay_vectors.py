"""The relay vectors (tests/vectors/bls_*.json, relay_*.json) checked by the Solidity side.

`RelayHarness` exposes BN254.hashToG1, BN254.verifyBound, RelayMessage and the checkpoint check.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from web3 import AsyncWeb3
from web3.contract import AsyncContract

from bridge_contracts.deploy import deploy

pytestmark = [pytest.mark.asyncio(loop_scope="module")]

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


def load(name: str) -> dict[str, Any]:
    return json.loads((VECTORS / name).read_text())


def b(h: str) -> bytes:
    return bytes.fromhex(h.removeprefix("0x"))


def ints(ws: list[str]) -> list[int]:
    return [int(w, 16) for w in ws]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def harness(w3: AsyncWeb3, accounts: Any) -> AsyncContract:
    return await deploy(w3, "RelayHarness", account=accounts.admin)


async def test_hash_to_g1_vectors(harness: AsyncContract) -> None:
    v = load("bls_hash_to_g1.json")
    for case in v["cases"]:
        pt, ctr = await harness.functions.hashToG1(b(case["message"])).call()
        assert pt == ints(case["point"]) and ctr == case["counter"], case["message"]


async def test_signature_vectors(harness: AsyncContract) -> None:
    v = load("bls_signatures.json")
    digest = b(v["digest"])
    agg = v["aggregate"]
    assert await harness.functions.verify(digest, ints(agg["signature"]), ints(agg["apk1"]), ints(agg["apk2"])).call()
    for key in v["keys"]:
        assert await harness.functions.verify(digest, ints(key["signature"]), ints(key["pk1"]), ints(key["pk2"])).call()
    for bad in v["invalid"]:
        ok = await harness.functions.verify(digest, ints(bad["signature"]), ints(bad["apk1"]), ints(bad["apk2"])).call()
        assert not ok, bad["why"]


async def test_message_vectors(harness: AsyncContract) -> None:
    v = load("relay_messages.json")
    for m in v["messages"]:
        enc = await harness.functions.encodeMessage(
            m["nonce"], m["origin"], b(m["sender"]), m["destination"], b(m["recipient"]), b(m["body"])).call()
        assert enc == b(m["encoded"])
        assert await harness.functions.messageId(enc).call() == b(m["id"])
        nonce, origin, sender, destination, recipient = await harness.functions.decodeHeader(enc).call()
        assert (nonce, origin, sender, destination, recipient) == (
            m["nonce"], m["origin"], b(m["sender"]), m["destination"], b(m["recipient"]))
        dig = await harness.functions.digest(1, m["origin"], b(v["originMailbox"]), b(m["id"])).call()
        assert dig == b(m["digest"])
    for d in v["digests"]:
        got = await harness.functions.digest(d["kind"], d["origin"], b(d["originContract"]), b(d["payloadHash"])).call()
        assert got == b(d["digest"])


async def test_checkpoint_vectors(harness: AsyncContract) -> None:
    v = load("relay_checkpoints.json")
    ids = [b(i) for i in v["ids"]]
    for cp in v["checkpoints"]:
        root = b(cp["root"])
        dig = await harness.functions.digest(2, v["origin"], b(v["originMailbox"]), root).call()
        assert dig == b(cp["digest"])
        for p in cp["proofs"]:
            proof = [b(s) for s in p["proof"]]
            assert await harness.functions.checkpointIncludes(root, cp["count"], ids[p["index"]], p["index"], proof).call()
            wrong = (p["index"] + 1) % cp["count"]
            if wrong != p["index"]:
                assert not await harness.functions.checkpointIncludes(
                    root, cp["count"], ids[wrong], p["index"], proof).call()


async def test_gas_of_primitives(harness: AsyncContract) -> None:
    v = load("bls_signatures.json")
    agg = v["aggregate"]
    gas = await harness.functions.verifyGas(b(v["digest"]), ints(agg["signature"]), ints(agg["apk1"]), ints(agg["apk2"])).call()
    assert 113_000 < gas < 140_000
    h2c = await harness.functions.hashToG1Gas(b(v["digest"])).call()
    assert h2c < 12_000


async def test_validator_set_vectors(w3: AsyncWeb3, accounts: Any, harness: AsyncContract) -> None:
    vs = await deploy(w3, "ValidatorSet", True, 7000, "0x" + "00" * 20, 0, 0, accounts.admin.address,
                      account=accounts.admin)
    v = load("relay_validator_set.json")
    validators = [(ints(x["pk"]), x["weight"]) for x in v["validators"]]
    assert await vs.functions.setUpdateHash(v["epoch"], validators).call() == b(v["updateHash"])
    got = await harness.functions.digest(3, v["homeChainId"], b(v["homeValidatorSet"]), b(v["updateHash"])).call()
    assert got == b(v["digest"])
    for key in load("bls_signatures.json")["keys"]:
        assert await vs.functions.popDigest(ints(key["pk1"]), ints(key["pk2"])).call() == b(key["popDigest"])
