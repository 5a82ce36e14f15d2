"""Fixtures for the settlement tests: a fresh anvil L1 with the contracts per test, an L2
sequencer on SQLite, and helpers to deposit, seal and decode what the batcher posted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from eth_account import Account
from web3 import AsyncHTTPProvider, AsyncWeb3

from bridge_contracts.anvil import AnvilProcess, DevAccounts, mine
from bridge_contracts.deploy import L1Deployment, L1Roles, deploy_l1, send
from rollup.core.genesis import dev_accounts as l2_dev_accounts
from rollup.node.chain import Chain, open_chain
from rollup.node.config import NodeSettings
from rollup.node.sequencer import Sequencer
from rollup.settlement import L1Client, L1Watcher, SettlementSettings, applied_in
from rollup.storage import Store, create_store

L1_CHAIN_ID = 7000
L2_CHAIN_ID = 7001
OMNIT = 10**18
FORCED_INCLUSION_WINDOW = 600
FINALIZATION_PERIOD = 30


@pytest.fixture(scope="session")
def accounts() -> DevAccounts:
    return DevAccounts.derive()


@pytest.fixture
def anvil() -> Iterator[AnvilProcess]:
    with AnvilProcess(chain_id=L1_CHAIN_ID) as node:
        yield node


@pytest_asyncio.fixture
async def w3(anvil: AnvilProcess) -> AsyncIterator[AsyncWeb3]:
    client = AsyncWeb3(AsyncHTTPProvider(anvil.url))
    yield client
    await client.provider.disconnect()


@pytest_asyncio.fixture
async def l1(w3: AsyncWeb3, accounts: DevAccounts) -> L1Deployment:
    roles = L1Roles(owner=accounts.admin.address, batcher=accounts.batcher.address,
                    proposer=accounts.proposer.address, challenger=accounts.challenger.address,
                    guardian=accounts.guardian.address)
    deployment = await deploy_l1(w3, roles, account=accounts.admin,
                                 finalization_period=FINALIZATION_PERIOD,
                                 forced_inclusion_window=FORCED_INCLUSION_WINDOW)
    await send(deployment.token.functions.mint(accounts.alice.address, 10**6 * OMNIT),
               accounts.admin)
    await send(deployment.token.functions.approve(deployment.portal.address, 2**255),
               accounts.alice)
    return deployment


def settlement_settings(anvil: AnvilProcess, l1: L1Deployment, accounts: DevAccounts,
                        tmp_path: Path, **changes: Any) -> SettlementSettings:
    values: dict[str, Any] = dict(
        l1_rpc_url=anvil.url, rollup_address=l1.rollup.address,
        portal_address=l1.portal.address, batcher_key=accounts.batcher.key.hex(),
        proposer_key=accounts.proposer.key.hex(), data_dir=str(tmp_path / "settlement"),
        confirmations=2, poll_interval=0.05, batch_interval=0.0, rpc_timeout=5.0,
        resubmit_after=30.0)
    values.update(changes)
    return SettlementSettings(**values)


@pytest.fixture
def settings(anvil: AnvilProcess, l1: L1Deployment, accounts: DevAccounts,
             tmp_path: Path) -> SettlementSettings:
    return settlement_settings(anvil, l1, accounts, tmp_path)


@dataclass
class L2:
    """A sequencer on SQLite (intake and sealing loops running only when started)."""

    settings: NodeSettings
    store: Store
    chain: Chain
    sequencer: Sequencer

    async def seal(self) -> Any:
        return (await self.sequencer.seal_once()).sealed

    def balance(self, address: bytes) -> int:
        return self.chain.account(address).balance


async def open_l2(path: Path, feed: Any = None) -> L2:
    # blocks are made by the tests (seal_once), never by the clock: a background round could
    # otherwise take a just-submitted transaction first and leave seal_once an empty block
    settings = NodeSettings(db_url=f"sqlite:///{path}", sequencer_id="seq-test",
                            block_time=3600, empty_block_interval=0, lease_ttl=3600)
    store = create_store(settings.db_url)
    await store.open()
    await store.acquire_lease(settings.sequencer_id, 3600)
    chain = await open_chain(store, settings, settings.sequencer_id)
    return L2(settings, store, chain, Sequencer(settings, store, chain, l1_feed=feed))


@pytest_asyncio.fixture
async def l2(tmp_path: Path) -> AsyncIterator[L2]:
    node = await open_l2(tmp_path / "l2.sqlite")
    yield node
    await node.sequencer.stop()
    await node.store.close()


def transfer(nonce: int, to: bytes, value: int, sender: int = 0) -> bytes:
    """A signed type-2 transfer on the L2 from dev account ``sender``."""
    key = l2_dev_accounts()[sender].private_key
    signed = Account.sign_transaction({
        "type": 2, "chainId": L2_CHAIN_ID, "nonce": nonce,
        "to": AsyncWeb3.to_checksum_address("0x" + to.hex()),
        "value": value, "gas": 21_000, "maxFeePerGas": 50 * 10**9,
        "maxPriorityFeePerGas": 10**9, "data": b""}, key)
    return bytes(signed.raw_transaction)


async def deposit(l1: L1Deployment, accounts: DevAccounts, recipient: bytes, amount: int) -> Any:
    """alice deposits ``amount`` OMNIT to ``recipient`` on the L2; returns the receipt."""
    to = AsyncWeb3.to_checksum_address("0x" + recipient.hex())
    return await send(l1.portal.functions.depositOMNIT(to, amount),
                      accounts.alice)


async def make_watcher(anvil: AnvilProcess, l1: L1Deployment, l2: L2, confirmations: int = 2,
                       client: L1Client | None = None) -> L1Watcher:
    client = client or L1Client(anvil.url, timeout=2.0)
    watcher = L1Watcher(client, l1.portal.address, confirmations)
    head = l2.chain.head
    await watcher.resume(int(head.l1_origin_number), bytes(head.l1_origin_hash),
                         applied_in(l2.chain))
    l2.sequencer.l1_feed = watcher
    return watcher


async def wait_for(predicate: Any, timeout: float = 20.0, interval: float = 0.05) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(interval)


__all__ = ["mine"]
