"""Helpers for tests and benchmarks: throw-away databases for either backend.

``temporary_postgres_database(dsn)`` creates ``omnit_test_<random>`` on the server of ``dsn``
and drops it afterwards, so parallel test runs never share a schema.
"""

from __future__ import annotations

import secrets
from contextlib import asynccontextmanager
from typing import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg

__all__ = ["temporary_postgres_database", "postgres_available", "with_database"]


def with_database(dsn: str, database: str) -> str:
    """``dsn`` with its database name replaced by ``database``."""
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


async def postgres_available(dsn: str) -> bool:
    """True if a connection to ``dsn`` can be made within two seconds."""
    try:
        conn = await asyncpg.connect(dsn, timeout=2)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await conn.close()
    return True


@asynccontextmanager
async def temporary_postgres_database(dsn: str) -> AsyncIterator[str]:
    """Yield the URL of a fresh, empty database; drop it (forcefully) on exit."""
    name = f"omnit_test_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield with_database(dsn, name)
    finally:
        admin = await asyncpg.connect(dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
