"""Where contract sources live and how an artifact commits to them (no node needed).

A *source unit name* is the path the compiler knows a file by: `src/...` for this project's
sources (relative to `bridge_contracts/`), `@openzeppelin/...` for npm packages (relative to the
repository's `node_modules/`).

`source_hash(units)` is the artifact's fingerprint of its sources: with the units sorted,
`keccak( ++ over units of keccak(utf8(unit)) ++ keccak(file bytes) )`. Any change to the
contract's file or to any file it imports, directly or not, changes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from eth_hash.auto import keccak

__all__ = [
    "ARTIFACTS_DIR",
    "CONTRACTS_DIR",
    "REPO_ROOT",
    "SRC_DIR",
    "SourceMissing",
    "discover_sources",
    "resolve_unit",
    "source_hash",
]

CONTRACTS_DIR: Path = Path(__file__).resolve().parent
"""The `bridge_contracts/` package directory."""

REPO_ROOT: Path = CONTRACTS_DIR.parent
"""The repository root (holds `node_modules/` and `package.json`)."""

SRC_DIR: Path = CONTRACTS_DIR / "src"
"""Solidity sources of this project; every `*.sol` under it is compiled."""

ARTIFACTS_DIR: Path = CONTRACTS_DIR / "artifacts"
"""Committed build output: one `<ContractName>.json` per contract."""


class SourceMissing(FileNotFoundError):
    """A source unit an artifact depends on cannot be found on disk."""


def resolve_unit(unit: str) -> Path:
    """Return the file behind a source unit name (see the module docstring)."""
    base = REPO_ROOT / "node_modules" if unit.startswith("@") else CONTRACTS_DIR
    path = (base / unit).resolve()
    if base.resolve() not in path.parents:
        raise SourceMissing(f"source unit {unit!r} escapes {base}")
    if not path.is_file():
        raise SourceMissing(f"source unit {unit!r} not found at {path}; run `npm ci`?")
    return path


def discover_sources() -> dict[str, str]:
    """Every `src/**/*.sol` file as {unit name: content}, sorted by unit name."""
    files = sorted(SRC_DIR.rglob("*.sol"))
    return {p.relative_to(CONTRACTS_DIR).as_posix(): p.read_text("utf-8") for p in files}


def source_hash(units: Iterable[str]) -> str:
    """The `0x`-prefixed fingerprint of the given source units' current files."""
    parts = bytearray()
    for unit in sorted(set(units)):
        parts += keccak(unit.encode("utf-8"))
        parts += keccak(resolve_unit(unit).read_bytes())
    return "0x" + keccak(bytes(parts)).hex()
