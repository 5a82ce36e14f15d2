"""A batcher in its own process that SIGKILLs itself at the n-th occurrence of a stage
(``python -m tests.settlement.batcher_proc SETTINGS_JSON DB_URL STAGE N``)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys

from eth_account import Account

from rollup.settlement import Batcher, L1Client, NonceLedger, SettlementSettings
from rollup.storage import create_store


async def main(settings_json: str, db_url: str, stage: str, nth: int) -> None:
    settings = SettlementSettings(**json.loads(settings_json))
    seen = [0]

    def fault(at: str, tx: object) -> None:
        if at == stage:
            seen[0] += 1
            if seen[0] == nth:
                os.kill(os.getpid(), signal.SIGKILL)

    store = create_store(db_url)
    await store.open()
    client = L1Client(settings.l1_rpc_url)
    ledger = NonceLedger(settings.ledger_path("batcher"))
    await ledger.open()
    batcher = Batcher(settings, store, client, Account.from_key(settings.batcher_key), ledger,
                      fault=fault)
    await batcher.start()
    head = (await store.head()).number
    while (await batcher.chain_tip())[2] < head:
        await batcher.step()
        await asyncio.sleep(0.05)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
