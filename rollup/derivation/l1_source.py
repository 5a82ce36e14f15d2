"""Reading derivation's inputs from the L1 (async shell over ``rollup.settlement.L1Client``).

- batches: ``OmniRollup.BatchAppended`` logs; the data comes from the posting transaction:
  its calldata (``appendBatch``'s ``data`` argument) or its blobs (``blobVersionedHashes``),
  fetched by a :class:`BlobSource` and checked against the versioned hashes with ckzg;
- deposits: ``OmniPortal.DepositInitiated`` logs (source hash from the log's block hash and
  log index);
- canonical L1 blocks (origin checks), output proposals, the forced-inclusion window.

Blobs are not in the execution layer's history: on anvil they come from
``anvil_getBlobsByTransactionHash``; on a real L1 a beacon-node blob sidecar source would
implement the same :class:`BlobSource` protocol.
"""

from __future__ import annotations

from typing import Any, Protocol

from eth_utils import event_abi_to_log_topic
from web3.types import RPCEndpoint

from bridge_contracts.artifacts import load_artifact
from rollup.batch import BatchDecodeError, from_blobs, parse_append_batch_calldata
from rollup.settlement.l1 import L1Client

from .errors import BatchDataMismatch, InvalidBatch
from .inputs import L1Block, L1Deposit, PostedBatch, ProposedOutput

__all__ = ["BlobSource", "AnvilBlobSource", "L1DataSource", "LOG_RANGE"]

LOG_RANGE = 5_000
"""Most L1 blocks asked for in one ``eth_getLogs`` call."""


def _b(value: Any) -> bytes:
    if isinstance(value, str):
        return bytes.fromhex(value.removeprefix("0x"))
    return bytes(value)


class BlobSource(Protocol):
    """Where the blobs of a blob transaction come from."""

    async def blobs(self, tx_hash: bytes, versioned_hashes: list[bytes]) -> list[bytes]: ...


class AnvilBlobSource:
    """anvil keeps blobs: ``anvil_getBlobsByTransactionHash`` (else one ``anvil_getBlobByHash``
    per versioned hash)."""

    def __init__(self, client: L1Client) -> None:
        self.client = client

    async def _rpc(self, method: str, *params: Any) -> Any:
        async def call() -> Any:
            reply = await self.client.w3.provider.make_request(RPCEndpoint(method), list(params))
            if reply.get("error"):
                raise RuntimeError(f"{method}: {reply['error']}")
            return reply.get("result")
        return await self.client.call(method, call)

    async def blobs(self, tx_hash: bytes, versioned_hashes: list[bytes]) -> list[bytes]:
        try:
            found = await self._rpc("anvil_getBlobsByTransactionHash", "0x" + tx_hash.hex())
        except Exception:  # noqa: BLE001 - older anvils: fall back to one call per blob
            found = None
        if not found:
            found = [await self._rpc("anvil_getBlobByHash", "0x" + h.hex()) for h in versioned_hashes]
        return [_b(x) for x in found if x]


class L1DataSource:
    """Typed reads of the rollup's L1 contracts."""

    def __init__(self, client: L1Client, rollup_address: str, portal_address: str,
                 blob_source: BlobSource | None = None) -> None:
        self.client = client
        self.rollup = client.contract("OmniRollup", rollup_address)
        self.portal = client.contract("OmniPortal", portal_address)
        self.blob_source = blob_source or AnvilBlobSource(client)
        self._blocks: dict[int, L1Block] = {}
        self._topics = {
            name: "0x" + event_abi_to_log_topic(abi).hex()
            for contract in ("OmniRollup", "OmniPortal")
            for abi in load_artifact(contract).abi
            if abi["type"] == "event" and (name := abi["name"]) in ("BatchAppended", "DepositInitiated",
                                                                     "OutputProposed")
        }

    # -- L1 chain -----------------------------------------------------------------------------

    async def head(self) -> int:
        return await self.client.block_number()

    async def block(self, number: int) -> L1Block | None:
        """The canonical L1 block ``number`` (cached: the devnet L1 does not reorg; a production
        replica would drop the cache on a reorg signal)."""
        if number in self._blocks:
            return self._blocks[number]
        raw = await self.client.get_block(number)
        if raw is None:
            return None
        block = L1Block(number, bytes(raw["hash"]), int(raw["timestamp"]),
                        int(raw.get("baseFeePerGas", 0) or 0))
        self._blocks[number] = block
        return block

    async def forced_inclusion_window(self) -> int:
        return int(await self.client.call("forcedInclusionWindow",
                                          self.portal.functions.forcedInclusionWindow().call))

    # -- events -------------------------------------------------------------------------------

    async def _logs(self, contract: Any, event: str, from_block: int, to_block: int) -> list[Any]:
        out: list[Any] = []
        decoder = getattr(contract.events, event)()
        start = from_block
        while start <= to_block:
            end = min(to_block, start + LOG_RANGE - 1)
            logs = await self.client.get_logs({"address": contract.address, "fromBlock": start,
                                               "toBlock": end, "topics": [self._topics[event]]})
            out.extend(decoder.process_log(log) for log in logs)
            start = end + 1
        out.sort(key=lambda e: (e["blockNumber"], e["logIndex"]))
        return out

    async def deposits(self, from_block: int, to_block: int) -> list[L1Deposit]:
        """``DepositInitiated`` events of L1 blocks ``from_block..to_block``."""
        return [
            L1Deposit(int(e.args.nonce), _b(e.args["from"]), _b(e.args.l2Recipient), int(e.args.amount),
                      int(e.args.l1Timestamp), int(e.blockNumber), bytes(e.blockHash), int(e.logIndex))
            for e in await self._logs(self.portal, "DepositInitiated", from_block, to_block)
        ]

    async def batch_events(self, from_block: int, to_block: int) -> list[Any]:
        """``BatchAppended`` events of L1 blocks ``from_block..to_block``, in order."""
        return await self._logs(self.rollup, "BatchAppended", from_block, to_block)

    async def posted_batch(self, event: Any) -> PostedBatch:
        """The batch of one ``BatchAppended`` event with its data from the posting transaction."""
        a = event.args
        index = int(a["index"])
        tx_hash = bytes(event.transactionHash)
        tx = await self.client.call("eth_getTransactionByHash",
                                    lambda: self.client.w3.eth.get_transaction(tx_hash))
        hashes = tuple(bytes(h) for h in (tx.get("blobVersionedHashes") or ()))
        if a["isBlob"]:
            frame = await self._blob_frame(index, tx_hash, list(hashes))
        else:
            try:
                _, _, _, frame = parse_append_batch_calldata(_b(tx["input"]))
            except BatchDecodeError as exc:
                raise InvalidBatch(index, f"posting transaction calldata: {exc}") from exc
        return PostedBatch(index, bytes(a["batchHash"]), bytes(a["prevHash"]), int(a["firstL2Block"]),
                           int(a["lastL2Block"]), bytes(a["dataHash"]), bool(a["isBlob"]), frame,
                           int(event.blockNumber), tx_hash, hashes)

    async def _blob_frame(self, index: int, tx_hash: bytes, hashes: list[bytes]) -> bytes:
        from bridge_contracts.blobs import versioned_hashes

        if not hashes:
            raise BatchDataMismatch(index, "blob batch transaction carries no blob hashes")
        blobs = await self.blob_source.blobs(tx_hash, hashes)
        if len(blobs) != len(hashes):
            raise InvalidBatch(index, f"{len(blobs)} blobs available for {len(hashes)} blob hashes")
        if versioned_hashes(blobs) != hashes:
            raise BatchDataMismatch(index, "fetched blobs do not match the transaction's versioned hashes")
        try:
            return from_blobs(blobs)
        except BatchDecodeError as exc:
            raise InvalidBatch(index, f"blobs: {exc}") from exc

    # -- outputs ------------------------------------------------------------------------------

    async def outputs(self, start: int = 0) -> list[ProposedOutput]:
        """Current output proposals from index ``start`` (views: deleted ones are gone)."""
        count = int(await self.client.call("outputCount", self.rollup.functions.outputCount().call))
        out = []
        for i in range(start, count):
            o = await self.client.call("getOutput", self.rollup.functions.getOutput(i).call)
            out.append(ProposedOutput(i, bytes(o[0]), int(o[1]), int(o[2])))
        return out

    async def output_finalized(self, index: int) -> bool:
        return bool(await self.client.call("isOutputFinalized",
                                           self.rollup.functions.isOutputFinalized(index).call))
