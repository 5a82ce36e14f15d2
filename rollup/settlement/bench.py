"""Settlement benchmark on anvil: deposit latency and L2-to-L1 batch delay, gas per batch.

``run_settlement_bench()`` (sync) / ``settlement_bench()`` (async) start an anvil L1 with a
block every ``l1_block_time`` seconds, deploy the contracts, run an L2 node with the L1 watcher,
the batcher and the settlement status in one process, and measure:

- **deposit latency**: from the L1 receipt of ``depositOMNIT`` to the credit on the L2 (so it
  includes the ``confirmations`` L1 blocks the watcher waits for);
- **L2-to-L1 batch delay**: from a transaction's L2 inclusion to ``lastBatchedL2Block``
  covering its block on the L1 (``batch_interval`` plus one L1 block), and to the batch being
  ``confirmations`` deep (the node's safe head);
- **gas per batch** of what the batcher posted (and blob gas for blob batches).

Returns a dict; the lead wires it into ``omnit bench batch``.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from eth_account import Account
from web3 import AsyncHTTPProvider, AsyncWeb3

__all__ = ["settlement_bench", "run_settlement_bench"]


def _summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {"median_s": round(statistics.median(values), 3), "max_s": round(max(values), 3),
            "min_s": round(min(values), 3), "n": len(values)}


async def settlement_bench(*, deposits: int = 5, l2_txs: int = 5, l1_block_time: float = 1.0,
                           confirmations: int = 2, da: str = "auto",
                           batch_interval: float = 0.5) -> dict[str, Any]:
    """See the module docstring."""
    from bridge_contracts.anvil import AnvilProcess, DevAccounts
    from bridge_contracts.deploy import L1Roles, deploy_l1, send
    from rollup.core.genesis import dev_accounts as l2_accounts
    from rollup.node.config import NodeSettings
    from rollup.node.node import L2Node

    from .batcher import Batcher
    from .config import SettlementSettings
    from .l1 import L1Client
    from .ledger import NonceLedger
    from .status import SettlementStatus
    from .watcher import start_watcher

    dev = DevAccounts.derive()
    with tempfile.TemporaryDirectory() as tmp, AnvilProcess(chain_id=7000) as anvil:
        w3 = AsyncWeb3(AsyncHTTPProvider(anvil.url))
        roles = L1Roles(dev.admin.address, dev.batcher.address, dev.proposer.address,
                        dev.challenger.address, dev.guardian.address)
        l1 = await deploy_l1(w3, roles, account=dev.admin, finalization_period=60,
                             forced_inclusion_window=600)
        await send(l1.token.functions.mint(dev.alice.address, 10**24), dev.admin)
        await send(l1.token.functions.approve(l1.portal.address, 2**255), dev.alice)
        await w3.provider.make_request("evm_setIntervalMining", [l1_block_time])  # type: ignore[arg-type]
        settings = SettlementSettings(
            l1_rpc_url=anvil.url, rollup_address=l1.rollup.address,
            portal_address=l1.portal.address, batcher_key=dev.batcher.key.hex(),
            data_dir=str(Path(tmp) / "settlement"), confirmations=confirmations,
            poll_interval=0.1, batch_interval=batch_interval, da=da)
        watcher = await start_watcher(settings)
        status_client = L1Client(anvil.url)
        status = SettlementStatus(status_client, settings.rollup_address, confirmations)
        node_settings = NodeSettings(db_url=f"sqlite:///{tmp}/l2.sqlite", block_time=0.05,
                                     empty_block_interval=1.0)
        result: dict[str, Any] = {"l1_block_time_s": l1_block_time,
                                  "confirmations": confirmations, "da": da,
                                  "batch_interval_s": batch_interval}
        async with L2Node.open(node_settings, l1_feed=watcher, settlement=status) as node:
            client = L1Client(anvil.url)
            ledger = NonceLedger(settings.ledger_path("batcher"))
            await ledger.open()
            batcher = Batcher(settings, node.store, client, Account.from_key(settings.batcher_key),
                              ledger)
            await batcher.start()
            stop = asyncio.Event()
            runner = asyncio.create_task(batcher.run(stop))
            try:
                async with asyncio.timeout(180):
                    await _measure(result, node, l1, dev, batcher, status, deposits, l2_txs)
            finally:
                stop.set()
                await runner
                await watcher.aclose()

            gas = []
            for rec in await ledger.load_all():
                if rec.tx_hash is None:
                    continue
                r = await client.receipt(rec.tx_hash)
                if r is None:
                    continue
                gas.append({"index": rec.meta["index"], "mode": rec.meta["mode"],
                            "blocks": rec.meta["last"] - rec.meta["first"] + 1,
                            "frame_bytes": rec.meta["frame_bytes"], "gas_used": r["gasUsed"],
                            "blob_gas_used": int(r.get("blobGasUsed", 0) or 0)})
            result["batches"] = {
                "count": len(gas),
                "modes": sorted({g["mode"] for g in gas}),
                "blocks_per_batch_median": statistics.median(g["blocks"] for g in gas) if gas else 0,
                "frame_bytes_median": statistics.median(g["frame_bytes"] for g in gas) if gas else 0,
                "gas_used_median": statistics.median(g["gas_used"] for g in gas) if gas else 0,
                "gas_used_first": gas[0]["gas_used"] if gas else 0,
                "blob_gas_used_median": statistics.median(g["blob_gas_used"] for g in gas) if gas else 0,
            }
            await ledger.close()
            await client.aclose()
        await watcher.client.aclose()
        await status_client.aclose()
        await w3.provider.disconnect()
    return result


async def _measure(result: dict[str, Any], node: Any, l1: Any, dev: Any, batcher: Any,
                   status: Any, deposits: int, l2_txs: int) -> None:
    from bridge_contracts.deploy import send
    from rollup.core.genesis import dev_accounts as l2_accounts

    # deposit latency: L1 receipt -> L2 credit
    latencies = []
    for i in range(deposits):
        who = bytes([0xAB, i + 1]) + bytes(18)
        to = AsyncWeb3.to_checksum_address("0x" + who.hex())
        await send(l1.portal.functions.depositOMNIT(to, 10**18), dev.alice)
        mined = time.monotonic()
        while await node.get_balance(who) == 0:
            await asyncio.sleep(0.02)
        latencies.append(time.monotonic() - mined)
    result["deposit_latency"] = _summary(latencies)

    # L2 inclusion -> batch on the L1 (and confirmed)
    key = l2_accounts()[0].private_key
    posted, safe = [], []
    for nonce in range(l2_txs):
        raw = Account.sign_transaction({
            "type": 2, "chainId": 7001, "nonce": nonce, "gas": 21000, "value": 1,
            "to": AsyncWeb3.to_checksum_address("0x" + "cd" * 20), "maxFeePerGas": 50 * 10**9,
            "maxPriorityFeePerGas": 10**9}, key).raw_transaction
        tx_hash = await node.submit_raw_transaction(bytes(raw))
        while (receipt := await node.get_receipt(tx_hash)) is None:
            await asyncio.sleep(0.01)
        included = time.monotonic()
        number = receipt.location.block_number
        while (await batcher.chain_tip())[2] < number:
            await asyncio.sleep(0.02)
        posted.append(time.monotonic() - included)
        while (await status.refresh())[0] < number:
            await asyncio.sleep(0.05)
        safe.append(time.monotonic() - included)
        await asyncio.sleep(0.3)
    result["l2_to_l1_batch_delay"] = _summary(posted)
    result["l2_to_safe_delay"] = _summary(safe)


def run_settlement_bench(**kwargs: Any) -> dict[str, Any]:
    """Synchronous wrapper of :func:`settlement_bench`."""
    return asyncio.run(settlement_bench(**kwargs))


if __name__ == "__main__":
    import json

    print(json.dumps(run_settlement_bench(), indent=2))
