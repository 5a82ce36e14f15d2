"""Reading back what the batcher posted: every ``BatchAppended`` with its frame decoded."""

from __future__ import annotations

from dataclasses import dataclass

from eth_hash.auto import keccak
from web3 import AsyncWeb3

from bridge_contracts.anvil import rpc
from bridge_contracts.deploy import L1Deployment
from rollup.batch import Batch, check_frame_header, decode_frame, from_blobs, parse_append_batch_calldata
from rollup.settlement import batch_blocks_from_store
from rollup.storage import Store


@dataclass
class Posted:
    index: int
    first: int
    last: int
    is_blob: bool
    batch: Batch
    tx_hash: bytes
    gas_used: int


async def posted_batches(w3: AsyncWeb3, l1: L1Deployment) -> list[Posted]:
    """Every batch on the L1 (canonical chain), frames checked against the events."""
    out = []
    for ev in await l1.rollup.events.BatchAppended().get_logs(from_block=0):
        args = ev["args"]
        tx = await w3.eth.get_transaction(ev["transactionHash"])
        receipt = await w3.eth.get_transaction_receipt(ev["transactionHash"])
        if args["isBlob"]:
            hashes = [bytes(h) for h in tx["blobVersionedHashes"]]
            assert keccak(b"".join(hashes)) == bytes(args["dataHash"])
            blobs = await rpc(w3, "anvil_getBlobsByTransactionHash",
                              "0x" + bytes(ev["transactionHash"]).hex())
            frame = from_blobs([bytes.fromhex(b[2:]) for b in blobs])
        else:
            prev, first, last, frame = parse_append_batch_calldata(bytes(tx["input"]))
            assert keccak(frame) == bytes(args["dataHash"])
        check_frame_header(frame, bytes(args["prevHash"]), args["firstL2Block"],
                           args["lastL2Block"])
        out.append(Posted(args["index"], args["firstL2Block"], args["lastL2Block"],
                          args["isBlob"], decode_frame(frame), bytes(ev["transactionHash"]),
                          receipt["gasUsed"]))
    return out


async def assert_l1_matches_store(w3: AsyncWeb3, l1: L1Deployment, store: Store) -> list[Posted]:
    """The posted batches chain, cover 1..last exactly once in order, and carry exactly the
    stored blocks."""
    posted = await posted_batches(w3, l1)
    assert [p.index for p in posted] == list(range(len(posted)))
    expected_first = 1
    for p in posted:
        assert p.first == expected_first
        assert p.batch.first_block == p.first and p.batch.last_block == p.last
        stored = await batch_blocks_from_store(store, p.first, p.last)
        assert list(p.batch.blocks) == stored
        expected_first = p.last + 1
    assert expected_first - 1 == await l1.rollup.functions.lastBatchedL2Block().call()
    return posted
