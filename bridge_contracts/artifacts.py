"""Load the committed contract artifacts (`bridge_contracts/artifacts/<Name>.json`).

Artifacts are written by `python -m bridge_contracts.build`; loading them needs no node. Fields:

- `contractName`, `sourceName` (source unit, e.g. `src/OmniPortal.sol`)
- `abi`, `bytecode` and `deployedBytecode` (`0x` hex), `linkReferences` (always empty here:
  libraries are internal)
- `compiler`: solc-js long version, evmVersion, optimizer settings, viaIR
- `sources`: every source unit the contract was compiled from (its file and all imports)
- `sourceHash`: the fingerprint of those files (see `bridge_contracts.sources.source_hash`)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bridge_contracts.sources import ARTIFACTS_DIR, SourceMissing, source_hash

__all__ = ["Artifact", "ArtifactNotFound", "artifact_names", "is_stale", "load_artifact"]


class ArtifactNotFound(LookupError):
    """No artifact for that contract name (typo, or the build has not been run)."""


@dataclass(frozen=True, slots=True)
class Artifact:
    """One compiled contract, as committed."""

    name: str
    source_name: str
    abi: tuple[dict[str, Any], ...]
    bytecode: str
    deployed_bytecode: str
    compiler_version: str
    evm_version: str
    via_ir: bool
    sources: tuple[str, ...]
    source_hash: str
    link_references: dict[str, Any]

    @property
    def deployable(self) -> bool:
        """Whether it has creation code (false for interfaces and internal-only libraries)."""
        return len(self.bytecode) > 2 and not self.link_references

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Artifact:
        """Build from the parsed artifact file."""
        compiler = data["compiler"]
        return cls(
            name=data["contractName"],
            source_name=data["sourceName"],
            abi=tuple(data["abi"]),
            bytecode=data["bytecode"],
            deployed_bytecode=data["deployedBytecode"],
            compiler_version=compiler["version"],
            evm_version=compiler["evmVersion"],
            via_ir=bool(compiler["viaIR"]),
            sources=tuple(data["sources"]),
            source_hash=data["sourceHash"],
            link_references=dict(data.get("linkReferences") or {}),
        )


def artifact_names(directory: Path = ARTIFACTS_DIR) -> list[str]:
    """Names of all committed artifacts, sorted."""
    return sorted(p.stem for p in directory.glob("*.json"))


@lru_cache(maxsize=None)
def _load(name: str, directory: Path) -> Artifact:
    path = directory / f"{name}.json"
    if not path.is_file():
        known = ", ".join(artifact_names(directory)) or "none"
        raise ArtifactNotFound(
            f"no artifact {name!r} in {directory} (known: {known}); "
            "run `python -m bridge_contracts.build`"
        )
    return Artifact.from_json(json.loads(path.read_text("utf-8")))


def load_artifact(name: str, directory: Path = ARTIFACTS_DIR) -> Artifact:
    """The artifact of contract `name` (cached per process)."""
    return _load(name, directory)


def is_stale(artifact: Artifact) -> bool:
    """Whether the artifact's sources on disk no longer match its `sourceHash` (no node needed).

    A missing source file counts as stale.
    """
    try:
        return source_hash(artifact.sources) != artifact.source_hash
    except SourceMissing:
        return True
