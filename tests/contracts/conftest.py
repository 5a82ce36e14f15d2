"""Fixtures for contract tests: one anvil per test module, dev accounts, an AsyncWeb3 client.

Async tests in these modules run on the module's event loop so they can share the module-scoped
client and deployments; put this at the top of each test module:

    pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("fresh_chain")]

`fresh_chain` snapshots the chain before each test and reverts it after, so every test starts
from the module's deployment state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from web3 import AsyncHTTPProvider, AsyncWeb3

from bridge_contracts.anvil import AnvilProcess, DevAccounts, revert, snapshot
from bridge_contracts.deploy import L1Deployment, L1Roles, deploy_l1, send

L1_CHAIN_ID = 7000
"""Chain id of the OmniTensor L1 in development (docs/ARCHITECTURE: chains)."""


@pytest.fixture(scope="session")
def accounts() -> DevAccounts:
    """The ten dev accounts by role (10 000 ETH each at genesis)."""
    return DevAccounts.derive()


@pytest.fixture(scope="module")
def anvil() -> Iterator[AnvilProcess]:
    """A fresh anvil (cancun, automine) for the test module."""
    with AnvilProcess(chain_id=L1_CHAIN_ID) as node:
        yield node


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def w3(anvil: AnvilProcess) -> AsyncIterator[AsyncWeb3]:
    """An AsyncWeb3 client on the module's anvil."""
    client = AsyncWeb3(AsyncHTTPProvider(anvil.url))
    yield client
    await client.provider.disconnect()


@pytest_asyncio.fixture(loop_scope="module")
async def fresh_chain(w3: AsyncWeb3) -> AsyncIterator[None]:
    """Snapshot before the test, revert after it."""
    snap = await snapshot(w3)
    yield
    await revert(w3, snap)


FINALIZATION_PERIOD = 3600
"""Challenge window of the test deployment (seconds; production uses 7 days)."""

FORCED_INCLUSION_WINDOW = 600
"""Forced-inclusion window of the test deployment (seconds)."""

OMNIT = 10**18
"""One OMNIT in wei-units."""

INITIAL_BALANCE = 1_000_000 * OMNIT
"""OMNIT minted to alice and bob by the `l1` fixture."""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def l1(w3: AsyncWeb3, accounts: DevAccounts) -> L1Deployment:
    """Token, rollup and portal deployed by `admin` with one account per role; alice and bob
    hold `INITIAL_BALANCE` OMNIT each."""
    roles = L1Roles(
        owner=accounts.admin.address,
        batcher=accounts.batcher.address,
        proposer=accounts.proposer.address,
        challenger=accounts.challenger.address,
        guardian=accounts.guardian.address,
    )
    deployment = await deploy_l1(
        w3, roles, account=accounts.admin, finalization_period=FINALIZATION_PERIOD,
        forced_inclusion_window=FORCED_INCLUSION_WINDOW,
    )
    for holder in (accounts.alice, accounts.bob):
        await send(deployment.token.functions.mint(holder.address, INITIAL_BALANCE), accounts.admin)
    return deployment

