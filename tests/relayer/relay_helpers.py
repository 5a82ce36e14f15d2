"""Shared helpers of the end-to-end relay tests: a block miner, waits, event counts."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable

from web3 import AsyncWeb3

from bridge_contracts.anvil import mine


class Miner:
    """Mines a block on each chain every ``interval`` seconds while ``running`` is set (the chains
    are automine, so the confirmations line moves only when something mines)."""

    def __init__(self, clients: list[AsyncWeb3], interval: float = 0.25) -> None:
        self.clients = clients
        self.interval = interval
        self.running = asyncio.Event()
        self.running.set()
        self._task: asyncio.Task[None] | None = None

    async def _loop(self) -> None:
        while True:
            await self.running.wait()
            for w3 in self.clients:
                try:
                    await mine(w3)
                except Exception:  # noqa: BLE001 - a chain under a test's revert: try again
                    pass
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass


async def wait_for(what: str, check: Callable[[], Awaitable[Any]], timeout: float = 45.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await check()
        if value:
            return value
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


PROCESS_TOPIC = "0x" + __import__("eth_hash.auto", fromlist=["keccak"]).keccak(b"Process(bytes32,uint32,uint32)").hex()
"""topic0 of ``Mailbox.Process``."""


async def process_count(w3: AsyncWeb3, mailbox: str, message_id: bytes) -> int:
    """How many times the destination emitted ``Process`` for ``message_id`` (must be 0 or 1)."""
    logs = await w3.eth.get_logs({"address": AsyncWeb3.to_checksum_address(mailbox), "fromBlock": 0,
                                  "toBlock": "latest", "topics": [PROCESS_TOPIC, "0x" + message_id.hex()]})
    return len(logs)
