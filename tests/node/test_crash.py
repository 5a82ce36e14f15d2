"""Crash test: ``kill -9`` the node while it acknowledges transactions over HTTP.

Every transaction the JSON-RPC acknowledged must be present after the restart (included, or
pending and then included), and the chain must equal a reference replay of its blocks.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from pathlib import Path
from typing import AsyncIterator

import aiohttp
import pytest

from rollup.node.replay import replay_store
from rollup.storage import create_store
from rollup.storage.testing import postgres_available, temporary_postgres_database

from .conftest import CHAIN_ID

pytestmark = pytest.mark.slow

SENDERS = 4
PER_SENDER = 120
BATCH = 8
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", "postgresql"])
async def crash_db(request, tmp_path, pg_dsn) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/crash.sqlite"
        return
    if not await postgres_available(pg_dsn):
        pytest.fail(f"PostgreSQL not reachable at {pg_dsn}: start it (.ci/run does)")
    async with temporary_postgres_database(pg_dsn) as url:
        yield url


async def start_node(db_url: str, log: Path) -> tuple[asyncio.subprocess.Process, str]:
    env = dict(os.environ, OMNIT_DB_URL=db_url, OMNIT_RPC_PORT="0", OMNIT_BLOCK_TIME="0.05",
               OMNIT_SEQUENCER_ID="crash-test", OMNIT_EMPTY_BLOCK_INTERVAL="0",
               OMNIT_CHAIN_ID=str(CHAIN_ID), PYTHONUNBUFFERED="1")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "rollup.node", cwd=REPO, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=log.open("ab"))
    async with asyncio.timeout(60):
        while True:
            line = (await proc.stdout.readline()).decode()
            if not line:
                raise RuntimeError(f"node exited early; see {log}")
            if line.startswith("omnit-node ready"):
                return proc, line.split()[2]


async def rpc(session: aiohttp.ClientSession, url: str, calls: list[tuple[str, list]]) -> list:
    body = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
    async with session.post(url, json=body) as resp:
        replies = await resp.json()
    return [r for r in sorted(replies, key=lambda r: r["id"])]


async def send_all(url: str, raws: list[list[bytes]], acked: set[str]) -> None:
    """Per sender, batches in nonce order; a hash counts as acknowledged only from a reply."""
    async with aiohttp.ClientSession() as session:
        async def sender(mine: list[bytes]) -> None:
            for k in range(0, len(mine), BATCH):
                calls = [("eth_sendRawTransaction", ["0x" + r.hex()]) for r in mine[k:k + BATCH]]
                for reply in await rpc(session, url, calls):
                    assert "error" not in reply, reply
                    acked.add(reply["result"])
        await asyncio.gather(*(sender(m) for m in raws))


async def test_kill_9_loses_no_acknowledged_transaction(crash_db, tmp_path, wallets) -> None:
    rng = random.Random()
    raws = [[wallets[i].transfer(n, wallets[(i + 1) % 10].address, 1 + n)
             for n in range(PER_SENDER)] for i in range(SENDERS)]
    log = tmp_path / "node.log"
    proc, url = await start_node(crash_db, log)
    acked: set[str] = set()
    sending = asyncio.create_task(send_all(url, raws, acked))
    total = SENDERS * PER_SENDER
    kill_after = rng.randint(total // 10, total * 8 // 10)
    try:
        async with asyncio.timeout(60):
            while len(acked) < kill_after and not sending.done():
                await asyncio.sleep(rng.uniform(0.0, 0.01))
        if sending.done():
            sending.result()  # surfaces an error reply
            pytest.fail("the node acknowledged everything before the kill")
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    finally:
        try:
            await sending
        except (aiohttp.ClientError, asyncio.TimeoutError, AssertionError):
            pass  # the connection died with the node
    assert acked, "nothing was acknowledged before the kill"

    proc, url = await start_node(crash_db, log)
    try:
        async with aiohttp.ClientSession() as session:
            missing = set(acked)
            async with asyncio.timeout(30):
                while missing:
                    calls = [("eth_getTransactionReceipt", [h]) for h in sorted(missing)]
                    for call, reply in zip(calls, await rpc(session, url, calls)):
                        if reply.get("result") is not None:
                            assert reply["result"]["status"] == "0x1"
                            missing.discard(call[1][0])
                    await asyncio.sleep(0.05)
            latest = (await rpc(session, url, [("eth_getBlockByNumber", ["latest", False])]))[0]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 20) == 0

    store = create_store(crash_db)
    await store.open()
    try:
        report = await replay_store(store, CHAIN_ID)
        head = await store.head()
        assert await store.load_pending() == []
    finally:
        await store.close()
    assert report.head == head.number
    assert report.state_root == head.state_root
    assert int(latest["result"]["number"], 16) <= head.number
    assert report.transactions >= len(acked)
