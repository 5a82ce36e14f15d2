"""Compile the Solidity sources with the pinned solc-js and write the committed artifacts.

    python -m bridge_contracts.build            # rebuild bridge_contracts/artifacts/*.json
    python -m bridge_contracts.build --check    # recompile in memory; exit 1 listing stale files

Every `bridge_contracts/src/**/*.sol` is compiled in one standard-JSON run by
`bridge_contracts/compile.mjs` (node + the `solc` npm package; `@openzeppelin/...` imports are
read from `node_modules/`). Settings: optimizer on with 200 runs, EVM version cancun, and the IR
pipeline only if the legacy one fails with "stack too deep". Each contract, library and
interface defined under `src/` gets `artifacts/<Name>.json` (see `bridge_contracts.artifacts`
for the fields). Node is needed only here, never when loading artifacts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge_contracts.sources import (
    ARTIFACTS_DIR,
    CONTRACTS_DIR,
    REPO_ROOT,
    discover_sources,
    source_hash,
)

__all__ = [
    "BuildError",
    "CompileOutput",
    "Compiled",
    "EVM_VERSION",
    "OPTIMIZER_RUNS",
    "build_artifacts",
    "check",
    "compile_sources",
    "main",
    "render_artifact",
    "stale_artifacts",
    "write_artifacts",
]

EVM_VERSION = "cancun"
"""Target EVM: cancun has `blobhash`, transient storage and `mcopy`; the L1 anvil runs it."""

OPTIMIZER_RUNS = 200
"""Optimizer runs: the usual balance between deployment size and call cost."""

COMPILE_SCRIPT: Path = CONTRACTS_DIR / "compile.mjs"
"""The node driver around solc-js."""


class BuildError(RuntimeError):
    """The compiler could not be run, or it reported errors (the message lists them)."""


@dataclass(frozen=True, slots=True)
class Compiled:
    """One contract's compiler output and whether it needed the IR pipeline."""

    unit: str
    name: str
    output: Mapping[str, Any]
    via_ir: bool


@dataclass(frozen=True, slots=True)
class CompileOutput:
    """A build: the compiler's long version and every contract defined under `src/`."""

    version: str
    contracts: tuple[Compiled, ...]


_SELECTION = [
    "abi",
    "metadata",
    "evm.bytecode.object",
    "evm.bytecode.linkReferences",
    "evm.deployedBytecode.object",
]


def _node() -> str:
    node = os.environ.get("OMNIT_NODE") or shutil.which("node")
    if not node:
        raise BuildError("node not found: install Node.js 20+ (or set OMNIT_NODE), then `npm ci`")
    return node


def _job(sources: Mapping[str, str], units: Iterable[str], via_ir: bool) -> dict[str, Any]:
    """A standard-JSON input that parses every source but generates code only for `units`."""
    return {
        "language": "Solidity",
        "sources": {unit: {"content": text} for unit, text in sources.items()},
        "settings": {
            "optimizer": {"enabled": True, "runs": OPTIMIZER_RUNS},
            "evmVersion": EVM_VERSION,
            "viaIR": via_ir,
            "outputSelection": {unit: {"*": _SELECTION} for unit in units},
        },
    }


def _run_jobs(jobs: Sequence[Mapping[str, Any]]) -> tuple[str, list[Mapping[str, Any]]]:
    """Run several compiler jobs in one node process; return the version and the outputs."""
    proc = subprocess.run(
        [_node(), str(COMPILE_SCRIPT)],
        input=json.dumps({"jobs": list(jobs)}),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )
    if proc.returncode != 0:
        raise BuildError(f"compile.mjs failed ({proc.returncode}):\n{proc.stderr.strip()}")
    reply = json.loads(proc.stdout)
    return reply["version"], reply["outputs"]


def _errors(output: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [e for e in output.get("errors", []) if e.get("severity") == "error"]


def _stack_too_deep(errors: Sequence[Mapping[str, Any]]) -> bool:
    return bool(errors) and all(
        "StackTooDeep" in str(e.get("type")) or "Stack too deep" in str(e.get("message"))
        for e in errors
    )


def _raise(errors: Sequence[Mapping[str, Any]]) -> None:
    text = "\n\n".join(str(e.get("formattedMessage") or e.get("message")) for e in errors)
    raise BuildError(f"solc reported {len(errors)} error(s):\n{text}")


def _collect(output: Mapping[str, Any], via_ir: bool) -> list[Compiled]:
    return [
        Compiled(unit, name, out, via_ir)
        for unit, contracts in sorted(output.get("contracts", {}).items())
        if unit.startswith("src/")
        for name, out in sorted(contracts.items())
    ]


def compile_sources(sources: Mapping[str, str] | None = None) -> CompileOutput:
    """Compile all sources (default: everything under `src/`).

    One legacy-pipeline run for everything. Only if it fails with "stack too deep" alone, each
    source unit is compiled on its own with the legacy pipeline, and the units that still fail
    are compiled with viaIR: the IR pipeline is used for those contracts and no others.
    """
    sources = discover_sources() if sources is None else sources
    if not sources:
        raise BuildError("no Solidity sources under bridge_contracts/src")
    version, (output,) = _run_jobs([_job(sources, sources, via_ir=False)])
    errors = _errors(output)
    if not errors:
        compiled = _collect(output, via_ir=False)
    elif not _stack_too_deep(errors):
        _raise(errors)
    else:
        units = sorted(sources)
        _, outputs = _run_jobs([_job(sources, [u], via_ir=False) for u in units])
        compiled, deep = [], []
        for unit, out in zip(units, outputs, strict=True):
            unit_errors = _errors(out)
            if not unit_errors:
                compiled += _collect(out, via_ir=False)
            elif _stack_too_deep(unit_errors):
                deep.append(unit)
            else:
                _raise(unit_errors)
        _, (out,) = _run_jobs([_job(sources, deep, via_ir=True)])
        if _errors(out):
            _raise(_errors(out))
        compiled += _collect(out, via_ir=True)
    seen = set()
    for warning in output.get("errors", []):
        if warning.get("severity") == "error":
            continue
        text = str(warning.get("formattedMessage", "")).rstrip()
        if text not in seen and not str(warning.get("sourceLocation", {}).get("file")).startswith("@"):
            seen.add(text)
            print(text, file=sys.stderr)
    return CompileOutput(version, tuple(sorted(compiled, key=lambda c: (c.unit, c.name))))


def render_artifact(artifact: Mapping[str, Any]) -> str:
    """The exact committed text of an artifact (stable key order, trailing newline)."""
    return json.dumps(artifact, indent=2, sort_keys=True) + "\n"


def build_artifacts(result: CompileOutput | None = None) -> dict[str, dict[str, Any]]:
    """Artifacts by contract name for every contract defined under `src/`."""
    result = compile_sources() if result is None else result
    artifacts: dict[str, dict[str, Any]] = {}
    for compiled in result.contracts:
        unit, name, out = compiled.unit, compiled.name, compiled.output
        if name in artifacts:
            raise BuildError(
                f"contract name {name} defined twice ({artifacts[name]['sourceName']} and "
                f"{unit}): artifacts are keyed by name, rename one"
            )
        units = sorted(json.loads(out["metadata"])["sources"])
        artifacts[name] = {
            "contractName": name,
            "sourceName": unit,
            "abi": out["abi"],
            "bytecode": "0x" + out["evm"]["bytecode"]["object"],
            "deployedBytecode": "0x" + out["evm"]["deployedBytecode"]["object"],
            "linkReferences": out["evm"]["bytecode"].get("linkReferences", {}),
            "compiler": {
                "name": "solc-js",
                "version": result.version,
                "evmVersion": EVM_VERSION,
                "optimizer": {"enabled": True, "runs": OPTIMIZER_RUNS},
                "viaIR": compiled.via_ir,
            },
            "sources": units,
            "sourceHash": source_hash(units),
        }
    return artifacts


def stale_artifacts(
    artifacts: Mapping[str, Mapping[str, Any]], directory: Path = ARTIFACTS_DIR
) -> list[str]:
    """Names of artifact files that differ from a fresh build: changed, missing or orphaned."""
    stale: list[str] = []
    for name, artifact in sorted(artifacts.items()):
        path = directory / f"{name}.json"
        if not path.is_file():
            stale.append(f"{name}.json (missing)")
        elif path.read_text("utf-8") != render_artifact(artifact):
            stale.append(f"{name}.json (differs from its source)")
    for path in sorted(directory.glob("*.json")):
        if path.stem not in artifacts:
            stale.append(f"{path.name} (no such contract in src/)")
    return stale


def write_artifacts(
    artifacts: Mapping[str, Mapping[str, Any]], directory: Path = ARTIFACTS_DIR
) -> list[Path]:
    """Write every artifact, remove orphaned ones; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, artifact in sorted(artifacts.items()):
        path = directory / f"{name}.json"
        text = render_artifact(artifact)
        if not path.is_file() or path.read_text("utf-8") != text:
            path.write_text(text, "utf-8")
        written.append(path)
    for path in directory.glob("*.json"):
        if path.stem not in artifacts:
            path.unlink()
    return written


def check(directory: Path = ARTIFACTS_DIR) -> list[str]:
    """Recompile in memory and return the stale artifact files (empty: all up to date)."""
    return stale_artifacts(build_artifacts(), directory)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bridge_contracts.build", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if any artifact is stale")
    parser.add_argument("--out", type=Path, default=ARTIFACTS_DIR, metavar="DIR",
                        help="artifact directory (default: bridge_contracts/artifacts)")
    args = parser.parse_args(argv)
    try:
        artifacts = build_artifacts()
    except BuildError as err:
        print(f"build failed: {err}", file=sys.stderr)
        return 2
    if args.check:
        stale = stale_artifacts(artifacts, args.out)
        if stale:
            print("stale contract artifacts (run `python -m bridge_contracts.build`):",
                  file=sys.stderr)
            for line in stale:
                print(f"  {line}", file=sys.stderr)
            return 1
        print(f"{len(artifacts)} artifacts up to date")
        return 0
    written = write_artifacts(artifacts, args.out)
    print(f"wrote {len(written)} artifacts to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
