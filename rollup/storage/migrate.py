"""The migration runner: plain SQL files ``NNNN_name.sql`` applied in order, once each.

Files live in the package :mod:`rollup.storage.migrations` (package data). One file serves both
databases; the only dialect rewrite is the type name ``BLOB`` -> ``BYTEA`` for PostgreSQL.
Applied versions are recorded in ``schema_migrations``; each store applies the pending files in
one transaction under its write lock, so two processes opening one database at once migrate it
exactly once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from .errors import MigrationError

__all__ = ["Migration", "load_migrations", "MIGRATIONS_TABLE_SQL", "translate"]

MIGRATIONS_TABLE_SQL = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version BIGINT PRIMARY KEY, name TEXT NOT NULL)"
)
"""Bookkeeping table of applied migrations (created outside the numbered files)."""

_FILE_RE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_BLOB_RE = re.compile(r"\bBLOB\b")


@dataclass(frozen=True, slots=True)
class Migration:
    """One migration file: its version number, name and statements (comments stripped)."""

    version: int
    name: str
    statements: tuple[str, ...]


def translate(sql: str, dialect: str) -> str:
    """Rewrite portable SQL for ``dialect`` (``sqlite`` or ``postgresql``)."""
    return _BLOB_RE.sub("BYTEA", sql) if dialect == "postgresql" else sql


def _split(text: str) -> tuple[str, ...]:
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("--")]
    statements, current = [], []
    for line in lines:
        current.append(line)
        if line.rstrip().endswith(";"):
            stmt = "\n".join(current).strip().rstrip(";").strip()
            if stmt:
                statements.append(stmt)
            current = []
    if "\n".join(current).strip():
        raise MigrationError("?", "trailing statement without ';'")
    return tuple(statements)


def load_migrations(dialect: str) -> list[Migration]:
    """All migration files, in version order, translated for ``dialect``."""
    folder = resources.files("rollup.storage.migrations")
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _FILE_RE.match(entry.name)
        if not match:
            continue
        text = translate(entry.read_text(encoding="utf-8"), dialect)
        try:
            statements = _split(text)
        except MigrationError as exc:
            raise MigrationError(entry.name, exc.detail) from None
        found.append(Migration(int(match.group(1)), match.group(2), statements))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError("migrations/", f"duplicate version numbers {versions}")
    return found
