"""Repository-wide test configuration.

Component suites keep their fixtures in their own ``conftest.py``; this file holds only what
every suite shares: an isolated cache directory for compiled kernels and the PostgreSQL DSN.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
"""The repository root (tests start anvil and solc-js from its node_modules)."""

PG_DSN = os.environ.get("OMNIT_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
"""The PostgreSQL server the storage suites run against (trust auth on the dev and CI machines)."""


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def pg_dsn() -> str:
    return PG_DSN
