"""An L1 RPC that fails 30% of calls (502s, hangs past the timeout, lost responses after the
write happened, "header not found"): watcher, batcher and proposer still get everything
through, exactly once."""

from __future__ import annotations

import pytest
from eth_account import Account

from bridge_contracts.anvil import mine
from prover.output_root import output_root
from rollup.settlement import (
    Batcher,
    L1Client,
    L1Error,
    L1Unavailable,
    NonceLedger,
    Proposer,
)

from .conftest import OMNIT, deposit, make_watcher
from .flaky import FlakyProxy
from .l1view import assert_l1_matches_store
from .test_batcher import fill_l2

RECIPIENT = bytes.fromhex("d0" * 20)


async def test_l1_client_retries_and_gives_up(anvil):
    async with FlakyProxy(anvil.url, fail_rate=1.0, hang=0.3) as proxy:
        client = L1Client(proxy.url, timeout=0.2, attempts=3, backoff_max=0.05)
        with pytest.raises(L1Unavailable):
            await client.block_number()
        await client.aclose()
    async with FlakyProxy(anvil.url, fail_rate=0.3, hang=0.5) as proxy:
        client = L1Client(proxy.url, timeout=0.3, attempts=12, backoff_max=0.1)
        for _ in range(30):
            assert await client.block_number() >= 0
        assert client.retries > 0
        await client.aclose()


@pytest.mark.slow
async def test_services_survive_a_flaky_l1(anvil, w3, l1, accounts, l2, settings):
    settings = settings.replace(output_interval=2, max_blocks_per_batch=2, confirmations=1,
                                resubmit_after=5.0)
    async with FlakyProxy(anvil.url, fail_rate=0.3, hang=0.6) as proxy:
        watcher = await make_watcher(
            anvil, l1, l2, confirmations=1,
            client=L1Client(proxy.url, timeout=0.4, attempts=10, backoff_max=0.1))
        batcher_client = L1Client(proxy.url, timeout=0.4, attempts=10, backoff_max=0.1)
        proposer_client = L1Client(proxy.url, timeout=0.4, attempts=10, backoff_max=0.1)
        b_ledger = NonceLedger(settings.ledger_path("batcher"))
        p_ledger = NonceLedger(settings.ledger_path("proposer"))
        await b_ledger.open()
        await p_ledger.open()
        batcher = Batcher(settings.replace(da="calldata"), l2.store, batcher_client,
                          Account.from_key(settings.batcher_key), b_ledger)
        proposer = Proposer(settings, l2.store, proposer_client,
                            Account.from_key(settings.proposer_key), p_ledger)
        for service in (batcher, proposer):
            while True:
                try:
                    await service.start()
                    break
                except L1Error:
                    pass
        for i in range(3):
            await deposit(l1, accounts, RECIPIENT, (i + 1) * OMNIT)
        nonce = await fill_l2(l2, 1, txs_per_block=2)
        for round_ in range(200):
            if round_ < 4:
                nonce = await fill_l2(l2, 1, txs_per_block=2, nonce=nonce)
            await mine(w3, 1)
            for step in (watcher.poll, batcher.step, proposer.step):
                try:
                    await step()
                except L1Error:
                    pass
            if watcher.has_pending():
                await l2.seal()
            batched = await l1.rollup.functions.lastBatchedL2Block().call()
            proposed = await l1.rollup.functions.latestOutputL2Block().call()
            head = l2.chain.head.number
            if (round_ > 4 and batched == head and proposed >= head - head % 2
                    and not watcher.has_pending() and not batcher.txm.unconfirmed()
                    and not proposer.txm.unconfirmed()
                    and l2.balance(RECIPIENT) == 6 * OMNIT + 0):
                break
        else:
            pytest.fail(f"services did not catch up: proxy {proxy.stats}")
        assert proxy.stats["ok"] > 0 and sum(v for k, v in proxy.stats.items() if k != "ok") > 10
        await assert_l1_matches_store(w3, l1, l2.store)
        count = await l1.rollup.functions.outputCount().call()
        for i in range(count):
            root, number, _ = await l1.rollup.functions.getOutput(i).call()
            record = await l2.store.get_block(number)
            assert root == output_root(record.state_root, record.withdrawal_root, record.hash)
        nonces = [t.nonce for t in await b_ledger.load_all()]
        assert nonces == list(range(len(nonces)))
        await b_ledger.close()
        await p_ledger.close()
        for c in (watcher.client, batcher_client, proposer_client):
            await c.aclose()
