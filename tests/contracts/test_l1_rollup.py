"""OmniRollup on anvil: calldata and blob batches, chaining, output proposals, deletion."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode
from eth_hash.auto import keccak
from web3 import AsyncWeb3
from web3.types import TxReceipt

from bridge_contracts.anvil import DevAccounts, increase_time
from bridge_contracts.blobs import BLOB_SIZE, BlobSidecar, make_sidecar, send_blob_transaction
from bridge_contracts.deploy import L1Deployment, events, send
from bridge_contracts.errors import expect_revert, role_tag

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("fresh_chain")]

ZERO = bytes(32)
KIND_CALLDATA, KIND_BLOB = 0, 1


def batch_hash(prev: bytes, index: int, first: int, last: int, data_hash: bytes, kind: int) -> bytes:
    """The chaining rule of docs/spec.md §5, computed independently of the contract."""
    types = ["bytes32", "uint256", "uint256", "uint256", "bytes32", "uint256"]
    return keccak(encode(types, [prev, index, first, last, data_hash, kind]))


def make_blob(tag: bytes) -> bytes:
    """A valid blob: every 32-byte field element starts with a zero byte."""
    blob = bytearray(BLOB_SIZE)
    blob[1 : 1 + len(tag)] = tag
    return bytes(blob)


# KZG commitment and proof of make_blob(tag), precomputed so that the fast tests need not load
# the trusted setup (seconds); anvil checks them on every run, test_precomputed_sidecar (slow)
# recomputes them with ckzg.
PRECOMPUTED = {
    b"omnit batch part 1": (
        "8def069b133e30af3d3a1cf54a1aafb081bd17355cadee98ee5b7cf67be6b92445c76f4eb324d83339e404e0fbab5a58",
        "aa0ab20e9b03b5eb9e9c4c1099f0294493f32ced98b3964d0ef8fe73320a5e811a2a087c4e2549eed34a3fc331dfdd34",
    ),
    b"omnit batch part 2": (
        "8d8369696ff9f3e4fab67af454d4c20dbf737ffe8e8b71e11f4cdd277b4806eb67655e622e7b800cb377ee983323f7fd",
        "a21db5213827810c1bc2f419a8925d598995b9e8cfd0b68ee52aca4f2c38c16a7c883c8ead34e26478e54867774bb458",
    ),
}


def sidecar(*tags: bytes) -> BlobSidecar:
    return BlobSidecar(
        blobs=tuple(make_blob(t) for t in tags),
        commitments=tuple(bytes.fromhex(PRECOMPUTED[t][0]) for t in tags),
        proofs=tuple(bytes.fromhex(PRECOMPUTED[t][1]) for t in tags),
    )


def event(contract: Any, name: str, receipt: TxReceipt) -> Any:
    logs = events(contract, name, receipt)
    assert len(logs) == 1, f"{len(logs)} {name} events"
    return logs[0]["args"]


async def append(l1: L1Deployment, accounts: DevAccounts, first: int, last: int,
                 data: bytes = b"\x00batch") -> TxReceipt:
    prev = await l1.rollup.functions.latestBatchHash().call()
    return await send(l1.rollup.functions.appendBatch(prev, first, last, data), accounts.batcher)


# ---------------------------------------------------------------------------- batches


async def test_calldata_batches_are_chained(l1: L1Deployment, accounts: DevAccounts) -> None:
    rollup = l1.rollup.functions
    r0 = await send(rollup.appendBatch(ZERO, 1, 5, b"\x00first"), accounts.batcher)
    ev0 = event(l1.rollup, "BatchAppended", r0)
    h0 = batch_hash(ZERO, 0, 1, 5, keccak(b"\x00first"), KIND_CALLDATA)
    assert (ev0["index"], ev0["batchHash"], ev0["prevHash"]) == (0, h0, ZERO)
    assert (ev0["firstL2Block"], ev0["lastL2Block"], ev0["isBlob"]) == (1, 5, False)
    assert ev0["dataHash"] == keccak(b"\x00first")

    r1 = await send(rollup.appendBatch(h0, 6, 6, b"\x00second"), accounts.batcher)
    ev1 = event(l1.rollup, "BatchAppended", r1)
    h1 = batch_hash(h0, 1, 6, 6, keccak(b"\x00second"), KIND_CALLDATA)
    assert (ev1["index"], ev1["batchHash"], ev1["prevHash"]) == (1, h1, h0)

    assert await rollup.batchCount().call() == 2
    assert await rollup.batchHash(0).call() == h0
    assert await rollup.latestBatchHash().call() == h1
    assert await rollup.lastBatchedL2Block().call() == 6


async def test_blob_batch(w3: AsyncWeb3, l1: L1Deployment, accounts: DevAccounts) -> None:
    await append(l1, accounts, 1, 3)
    prev = await l1.rollup.functions.latestBatchHash().call()
    blobs = sidecar(b"omnit batch part 1", b"omnit batch part 2")
    receipt = await send_blob_transaction(
        l1.rollup.functions.appendBlobBatch(prev, 4, 9), blobs, accounts.batcher)
    tx = await w3.eth.get_transaction(receipt["transactionHash"])
    hashes = blobs.versioned_hashes
    assert [bytes(h) for h in tx["blobVersionedHashes"]] == hashes
    assert receipt["blobGasUsed"] == 2 * 131072

    ev = event(l1.rollup, "BatchAppended", receipt)
    data_hash = keccak(b"".join(hashes))
    assert data_hash == blobs.data_hash
    assert ev["isBlob"] is True and ev["dataHash"] == data_hash
    assert ev["batchHash"] == batch_hash(prev, 1, 4, 9, data_hash, KIND_BLOB)
    assert ev["prevHash"] == prev
    assert await l1.rollup.functions.lastBatchedL2Block().call() == 9


@pytest.mark.slow
async def test_precomputed_sidecar() -> None:
    tags = list(PRECOMPUTED)
    assert make_sidecar([make_blob(t) for t in tags]) == sidecar(*tags)


@pytest.mark.slow
async def test_blob_batch_from_raw_blobs(l1: L1Deployment, accounts: DevAccounts) -> None:
    receipt = await send_blob_transaction(l1.rollup.functions.appendBlobBatch(ZERO, 1, 1),
                                          [make_blob(b"raw")], accounts.batcher)
    assert event(l1.rollup, "BatchAppended", receipt)["isBlob"] is True


async def test_blob_batch_without_blobs(l1: L1Deployment, accounts: DevAccounts) -> None:
    with expect_revert("NoBlobs"):
        await send(l1.rollup.functions.appendBlobBatch(ZERO, 1, 1), accounts.batcher)


async def test_only_the_batcher_appends(l1: L1Deployment, accounts: DevAccounts) -> None:
    rollup = l1.rollup.functions
    role = role_tag("BATCHER_ROLE")
    with expect_revert("Unauthorized", role, accounts.mallory.address):
        await send(rollup.appendBatch(ZERO, 1, 1, b"\x00x"), accounts.mallory)
    with expect_revert("Unauthorized", role, accounts.proposer.address):
        await send(rollup.appendBlobBatch(ZERO, 1, 1), accounts.proposer)
    with expect_revert("Unauthorized", role, accounts.mallory.address):
        await send_blob_transaction(rollup.appendBlobBatch(ZERO, 1, 1),
                                    sidecar(b"omnit batch part 1"), accounts.mallory)


async def test_batch_must_name_its_predecessor(l1: L1Deployment, accounts: DevAccounts) -> None:
    rollup = l1.rollup.functions
    bogus = b"\x11" * 32
    with expect_revert("BatchNotChained", ZERO, bogus):
        await send(rollup.appendBatch(bogus, 1, 1, b"\x00x"), accounts.batcher)
    await append(l1, accounts, 1, 2)
    latest = await rollup.latestBatchHash().call()
    with expect_revert("BatchNotChained", latest, ZERO):
        await send(rollup.appendBatch(ZERO, 3, 3, b"\x00x"), accounts.batcher)


async def test_batch_ranges_are_contiguous(l1: L1Deployment, accounts: DevAccounts) -> None:
    rollup = l1.rollup.functions
    with expect_revert("BatchRangeInvalid", 1, 0, 3):
        await send(rollup.appendBatch(ZERO, 0, 3, b"\x00x"), accounts.batcher)
    with expect_revert("BatchRangeInvalid", 1, 2, 3):
        await send(rollup.appendBatch(ZERO, 2, 3, b"\x00x"), accounts.batcher)
    with expect_revert("BatchRangeInvalid", 1, 1, 0):
        await send(rollup.appendBatch(ZERO, 1, 0, b"\x00x"), accounts.batcher)
    with expect_revert("BatchRangeInvalid", 1, 1, 2**64):
        await send(rollup.appendBatch(ZERO, 1, 2**64, b"\x00x"), accounts.batcher)
    await append(l1, accounts, 1, 4)
    latest = await rollup.latestBatchHash().call()
    with expect_revert("BatchRangeInvalid", 5, 4, 8):
        await send(rollup.appendBatch(latest, 4, 8, b"\x00x"), accounts.batcher)


async def test_empty_calldata_batch(l1: L1Deployment, accounts: DevAccounts) -> None:
    with expect_revert("EmptyBatch"):
        await send(l1.rollup.functions.appendBatch(ZERO, 1, 1, b""), accounts.batcher)


async def test_batch_index_getter(l1: L1Deployment) -> None:
    with expect_revert("InvalidBatchIndex", 0):
        await l1.rollup.functions.batchHash(0).call()
    assert await l1.rollup.functions.latestBatchHash().call() == ZERO


# ---------------------------------------------------------------------------- outputs


async def test_propose_output(w3: AsyncWeb3, l1: L1Deployment, accounts: DevAccounts) -> None:
    rollup = l1.rollup.functions
    await append(l1, accounts, 1, 10)
    root = b"\x42" * 32
    receipt = await send(rollup.proposeOutput(root, 10), accounts.proposer)
    ts = (await w3.eth.get_block(receipt["blockNumber"]))["timestamp"]
    ev = event(l1.rollup, "OutputProposed", receipt)
    assert (ev["outputIndex"], ev["outputRoot"], ev["l2BlockNumber"], ev["l1Timestamp"]) == (
        0, root, 10, ts)
    assert tuple(await rollup.getOutput(0).call()) == (root, 10, ts)
    assert await rollup.latestOutputIndex().call() == 0
    assert await rollup.outputCount().call() == 1
    assert await rollup.latestOutputL2Block().call() == 10
    period = await rollup.finalizationPeriodSeconds().call()
    assert await rollup.finalizesAt(0).call() == ts + period
    assert await rollup.isOutputFinalized(0).call() is False

    await increase_time(w3, period)
    assert await rollup.isOutputFinalized(0).call() is True


async def test_output_rules(l1: L1Deployment, accounts: DevAccounts) -> None:
    rollup = l1.rollup.functions
    with expect_revert("L2BlockNotBatched", 1, 0):
        await send(rollup.proposeOutput(b"\x01" * 32, 1), accounts.proposer)
    await append(l1, accounts, 1, 10)
    with expect_revert("L2BlockNotBatched", 11, 10):
        await send(rollup.proposeOutput(b"\x01" * 32, 11), accounts.proposer)
    with expect_revert("ZeroOutputRoot"):
        await send(rollup.proposeOutput(ZERO, 5), accounts.proposer)
    await send(rollup.proposeOutput(b"\x01" * 32, 5), accounts.proposer)
    with expect_revert("OutputNotAfterPrevious", 5, 5):
        await send(rollup.proposeOutput(b"\x02" * 32, 5), accounts.proposer)
    with expect_revert("OutputNotAfterPrevious", 4, 5):
        await send(rollup.proposeOutput(b"\x02" * 32, 4), accounts.proposer)
    await send(rollup.proposeOutput(b"\x02" * 32, 10), accounts.proposer)
    assert await rollup.latestOutputIndex().call() == 1


async def test_only_the_proposer_proposes(l1: L1Deployment, accounts: DevAccounts) -> None:
    await append(l1, accounts, 1, 10)
    with expect_revert("Unauthorized", role_tag("PROPOSER_ROLE"), accounts.batcher.address):
        await send(l1.rollup.functions.proposeOutput(b"\x01" * 32, 5), accounts.batcher)


async def test_output_getters_on_missing_outputs(l1: L1Deployment) -> None:
    rollup = l1.rollup.functions
    with expect_revert("NoOutputs"):
        await rollup.latestOutputIndex().call()
    for call in (rollup.getOutput(0), rollup.isOutputFinalized(0), rollup.finalizesAt(3)):
        with expect_revert("InvalidOutputIndex"):
            await call.call()
    assert await rollup.latestOutputL2Block().call() == 0


async def _three_outputs(l1: L1Deployment, accounts: DevAccounts) -> None:
    await append(l1, accounts, 1, 30)
    for i, block in enumerate((10, 20, 30)):
        await send(l1.rollup.functions.proposeOutput(bytes([i + 1]) * 32, block), accounts.proposer)


async def test_challenger_deletes_output_and_successors(l1: L1Deployment,
                                                        accounts: DevAccounts) -> None:
    rollup = l1.rollup.functions
    await _three_outputs(l1, accounts)
    receipt = await send(rollup.deleteOutputs(1), accounts.challenger)
    ev = event(l1.rollup, "OutputsDeleted", receipt)
    assert (ev["fromIndex"], ev["previousCount"]) == (1, 3)
    assert await rollup.outputCount().call() == 1
    assert await rollup.latestOutputL2Block().call() == 10
    # the proposer carries on from the surviving output, and may re-propose block 20
    await send(rollup.proposeOutput(b"\x09" * 32, 20), accounts.proposer)
    assert tuple(await rollup.getOutput(1).call())[:2] == (b"\x09" * 32, 20)


async def test_delete_rules(w3: AsyncWeb3, l1: L1Deployment, accounts: DevAccounts) -> None:
    rollup = l1.rollup.functions
    await _three_outputs(l1, accounts)
    with expect_revert("Unauthorized", role_tag("CHALLENGER_ROLE"), accounts.proposer.address):
        await send(rollup.deleteOutputs(0), accounts.proposer)
    with expect_revert("InvalidOutputIndex", 3):
        await send(rollup.deleteOutputs(3), accounts.challenger)
    await increase_time(w3, await rollup.finalizationPeriodSeconds().call())
    finalized_at = await rollup.finalizesAt(0).call()
    with expect_revert("OutputAlreadyFinalized", 0, finalized_at):
        await send(rollup.deleteOutputs(0), accounts.challenger)


# ---------------------------------------------------------------------------- roles


async def test_roles(l1: L1Deployment, accounts: DevAccounts) -> None:
    rollup = l1.rollup.functions
    assert await rollup.batcher().call() == accounts.batcher.address
    assert await rollup.proposer().call() == accounts.proposer.address
    assert await rollup.challenger().call() == accounts.challenger.address
    assert await rollup.owner().call() == accounts.admin.address

    with expect_revert("OwnableUnauthorizedAccount", accounts.mallory.address):
        await send(rollup.setBatcher(accounts.mallory.address), accounts.mallory)
    with expect_revert("ZeroAddress"):
        await send(rollup.setProposer("0x" + "00" * 20), accounts.admin)

    receipt = await send(rollup.setBatcher(accounts.carol.address), accounts.admin)
    ev = event(l1.rollup, "RoleTransferred", receipt)
    assert (ev["role"], ev["previous"], ev["account"]) == (
        role_tag("BATCHER_ROLE"), accounts.batcher.address, accounts.carol.address)
    await send(rollup.appendBatch(ZERO, 1, 1, b"\x00x"), accounts.carol)
    with expect_revert("Unauthorized"):
        await append(l1, accounts, 2, 2)
    await send(rollup.setProposer(accounts.carol.address), accounts.admin)
    await send(rollup.setChallenger(accounts.carol.address), accounts.admin)
    assert await rollup.challenger().call() == accounts.carol.address


async def test_spec_vector(l1: L1Deployment, accounts: DevAccounts) -> None:
    """docs/spec.md §5, L1.7: batch 0 over data 0x016f6d6e6974 covering L2 blocks 1..5."""
    data = bytes.fromhex("016f6d6e6974")
    receipt = await send(l1.rollup.functions.appendBatch(ZERO, 1, 5, data), accounts.batcher)
    ev = event(l1.rollup, "BatchAppended", receipt)
    assert ev["dataHash"].hex() == "16550ab6b81798b23b189324d660664aa38436f345af4e84902019783cf7c5d7"
    assert ev["batchHash"].hex() == "82488fb907e311d4c84657c8d68bd46fb9480c978b56203d43c4621c4d73ac31"
