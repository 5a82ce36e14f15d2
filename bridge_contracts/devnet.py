"""The L1 side of the devnet: contracts on an anvil node, OMNIT minted to the dev accounts.

    async with AnvilProcess(chain_id=7000, block_time=1) as node:
        w3 = AsyncWeb3(AsyncHTTPProvider(node.url))
        l1 = await deploy_devnet_l1(w3)
        config = devnet_config(node, l1)          # JSON-ready: url, chain id, addresses, roles

Roles are the dev accounts of `DevAccounts` (admin owns everything and is the minter).
"""

from __future__ import annotations

from typing import Any

from web3 import AsyncWeb3

from bridge_contracts.anvil import AnvilProcess, DevAccounts
from bridge_contracts.deploy import L1Deployment, L1Roles, deploy_l1, send

__all__ = [
    "DEVNET_FINALIZATION_PERIOD",
    "DEVNET_FORCED_INCLUSION_WINDOW",
    "DEVNET_MINT",
    "deploy_devnet_l1",
    "devnet_config",
    "devnet_roles",
]

DEVNET_FINALIZATION_PERIOD = 12
"""Seconds before a devnet output is final: short enough to withdraw by hand."""

DEVNET_FORCED_INCLUSION_WINDOW = 60
"""Seconds within which the devnet sequencer must include a deposit."""

DEVNET_MINT = 1_000_000 * 10**18
"""OMNIT minted to every dev account (one million)."""


def devnet_roles(accounts: DevAccounts) -> L1Roles:
    """Each role on its own dev account."""
    return L1Roles(
        owner=accounts.admin.address,
        batcher=accounts.batcher.address,
        proposer=accounts.proposer.address,
        challenger=accounts.challenger.address,
        guardian=accounts.guardian.address,
    )


async def deploy_devnet_l1(
    w3: AsyncWeb3,
    accounts: DevAccounts | None = None,
    *,
    finalization_period: int = DEVNET_FINALIZATION_PERIOD,
    forced_inclusion_window: int = DEVNET_FORCED_INCLUSION_WINDOW,
    mint: int = DEVNET_MINT,
) -> L1Deployment:
    """Deploy token, rollup and portal from `admin`; mint `mint` OMNIT to every dev account."""
    accounts = accounts or DevAccounts.derive()
    l1 = await deploy_l1(w3, devnet_roles(accounts), account=accounts.admin,
                         finalization_period=finalization_period,
                         forced_inclusion_window=forced_inclusion_window)
    if mint:
        for account in (getattr(accounts, f) for f in DevAccounts.__dataclass_fields__):
            await send(l1.token.functions.mint(account.address, mint), accounts.admin)
    return l1


def devnet_config(node: AnvilProcess, l1: L1Deployment,
                  accounts: DevAccounts | None = None) -> dict[str, Any]:
    """A JSON-ready description of the devnet L1 for the services' settings."""
    roles = devnet_roles(accounts or DevAccounts.derive())
    return {
        "url": node.url,
        "chain_id": node.chain_id,
        "contracts": l1.addresses(),
        "roles": {"owner": roles.owner, "batcher": roles.batcher, "proposer": roles.proposer,
                  "challenger": roles.challenger, "guardian": roles.guardian},
    }
