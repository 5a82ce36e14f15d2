"""Fixtures of the relayer suite: stores (SQLite and PostgreSQL), two anvil chains with the relay
contracts, in-process validators serving HTTP on loopback."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio

from relayer.store import Store, open_store

PG_DSN = os.environ.get("OMNIT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
"""Server for the PostgreSQL tests (each test creates and drops its own database)."""


async def _pg_available() -> bool:
    try:
        conn = await asyncio.wait_for(asyncpg.connect(PG_DSN), 3)
    except Exception:
        return False
    await conn.close()
    return True


async def create_pg_database() -> str:
    name = f"relayer_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(PG_DSN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return PG_DSN.rsplit("/", 1)[0] + "/" + name


async def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(PG_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest_asyncio.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database URL (skips if no server)."""
    if not await _pg_available():
        pytest.fail(f"PostgreSQL not reachable at {PG_DSN}: start it (.ci/run does)")
    url = await create_pg_database()
    yield url
    await drop_pg_database(url)


@pytest_asyncio.fixture(params=["sqlite", "postgres"])
async def store_url(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[str]:
    """One URL per implementation: every store test runs on both."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'relayer.sqlite'}"
        return
    if not await _pg_available():
        pytest.fail(f"PostgreSQL not reachable at {PG_DSN}: start it (.ci/run does)")
    url = await create_pg_database()
    yield url
    await drop_pg_database(url)


@pytest_asyncio.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    s = await open_store(store_url)
    yield s
    await s.close()
