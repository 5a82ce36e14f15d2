"""Fixtures of the node suite: signed dev-account transactions and nodes on fresh databases."""

from __future__ import annotations

from typing import AsyncIterator, Awaitable, Callable

import pytest
from eth_account import Account

from rollup.core.genesis import dev_accounts
from rollup.node import L2Node, NodeSettings
from rollup.storage.testing import postgres_available, temporary_postgres_database

CHAIN_ID = 7001
GWEI = 10**9


class Wallet:
    """Signs type-2 transfers for one dev account."""

    def __init__(self, index: int) -> None:
        dev = dev_accounts(10)[index]
        self.account = Account.from_key(dev.private_key)
        self.address = bytes(dev.address)

    def transfer(self, nonce: int, to: bytes, value: int = 1, *, tip: int = GWEI,
                 max_fee: int = 50 * GWEI, gas: int = 21_000, data: bytes = b"") -> bytes:
        signed = self.account.sign_transaction({
            "type": 2, "chainId": CHAIN_ID, "nonce": nonce, "to": to, "value": value,
            "gas": gas, "maxFeePerGas": max_fee, "maxPriorityFeePerGas": tip, "data": data,
        })
        return bytes(signed.raw_transaction)


@pytest.fixture(scope="session")
def wallets() -> list[Wallet]:
    return [Wallet(i) for i in range(10)]


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/node.sqlite"


@pytest.fixture(params=["sqlite", "postgresql"])
async def any_db_url(request: pytest.FixtureRequest, tmp_path, pg_dsn: str) -> AsyncIterator[str]:
    """A fresh database of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/node.sqlite"
        return
    if not await postgres_available(pg_dsn):
        pytest.fail(f"PostgreSQL not reachable at {pg_dsn}: start it (.ci/run does)")
    async with temporary_postgres_database(pg_dsn) as url:
        yield url


NodeFactory = Callable[..., Awaitable[L2Node]]


@pytest.fixture
async def make_node(sqlite_url: str) -> AsyncIterator[NodeFactory]:
    """Start nodes (SQLite by default, ``db_url=`` to override); all closed afterwards."""
    nodes: list[L2Node] = []

    async def factory(**overrides) -> L2Node:
        values = {"db_url": sqlite_url, "block_time": 0.05, "empty_block_interval": 0,
                  "lease_ttl": 2.0}
        values.update(overrides)
        node = L2Node.open(NodeSettings(**values))
        await node.start()
        nodes.append(node)
        return node

    yield factory
    for node in reversed(nodes):
        await node.aclose()
