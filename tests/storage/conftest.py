"""Fixtures of the storage suite: every test runs against SQLite and PostgreSQL."""

from __future__ import annotations

from typing import AsyncIterator, Awaitable, Callable

import pytest

from rollup.storage import Store, create_store
from rollup.storage.testing import postgres_available, temporary_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request: pytest.FixtureRequest, tmp_path, pg_dsn: str) -> AsyncIterator[str]:
    """A fresh database URL of each backend (PostgreSQL skipped when the server is down)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/l2.sqlite"
        return
    if not await postgres_available(pg_dsn):
        pytest.fail(f"PostgreSQL not reachable at {pg_dsn}: start it (.ci/run does)")
    async with temporary_postgres_database(pg_dsn) as url:
        yield url


StoreFactory = Callable[..., Awaitable[Store]]


@pytest.fixture
async def make_store(db_url: str) -> AsyncIterator[StoreFactory]:
    """Open stores on the test database (several may share it); all are closed afterwards."""
    opened: list[Store] = []

    async def factory(**kwargs) -> Store:
        store = create_store(db_url, **kwargs)
        await store.open()
        opened.append(store)
        return store

    yield factory
    for store in opened:
        await store.close()


@pytest.fixture
async def store(make_store: StoreFactory) -> Store:
    return await make_store()
