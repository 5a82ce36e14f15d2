"""The committed contract artifacts match their sources.

The fast tests need no node: they recompute every artifact's `sourceHash` from the files on
disk. The `slow` ones recompile everything in memory with solc-js (`build --check`), which also
catches a change of compiler or settings; CI runs them (node comes with `npm ci`).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from bridge_contracts import build
from bridge_contracts.artifacts import artifact_names, is_stale, load_artifact
from bridge_contracts.sources import ARTIFACTS_DIR, REPO_ROOT, discover_sources, source_hash

_DECLARES = re.compile(r"^\s*(abstract\s+)?(contract|library|interface)\s", re.M)

L1_CONTRACTS = ("OmniToken", "OmniRollup", "OmniPortal", "MerkleLib", "IOmniRollup")


def committed() -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(ARTIFACTS_DIR.glob("*.json"))}


@pytest.fixture(scope="module")
def fresh() -> dict[str, dict[str, Any]]:
    """Artifacts from an in-memory rebuild of every source."""
    if shutil.which("node") is None:
        pytest.fail("node is required to check the contract artifacts: install it and `npm ci`")
    return build.build_artifacts()


# ---------------------------------------------------------------------------- fast (no node)


def test_source_hashes_match() -> None:
    stale = [n for n in artifact_names() if is_stale(load_artifact(n))]
    assert not stale, f"sources changed since the last build (run `make contracts`): {stale}"


def test_every_source_is_built() -> None:
    built = {load_artifact(n).source_name for n in artifact_names()}
    declaring = {u for u, text in discover_sources().items() if _DECLARES.search(text)}
    assert declaring <= built, f"sources without artifacts: {sorted(declaring - built)}"


def test_compiler_and_settings_match_the_build() -> None:
    solc_version = json.loads((REPO_ROOT / "node_modules/solc/package.json").read_text())["version"]
    for name, artifact in committed().items():
        compiler = artifact["compiler"]
        assert compiler["version"].startswith(solc_version + "+"), name
        assert compiler["evmVersion"] == build.EVM_VERSION, name
        assert compiler["optimizer"] == {"enabled": True, "runs": build.OPTIMIZER_RUNS}, name


def test_l1_artifact_fields() -> None:
    for name in L1_CONTRACTS:
        art = load_artifact(name)
        assert art.name == name
        assert art.source_name in art.sources
        assert art.source_hash.startswith("0x") and len(art.source_hash) == 66
        assert art.via_ir is False
    for name in ("OmniToken", "OmniRollup", "OmniPortal"):
        art = load_artifact(name)
        assert art.deployable and len(art.deployed_bytecode) > 2
        assert any(e.get("type") == "constructor" for e in art.abi)
    assert not load_artifact("IOmniRollup").deployable
    portal = load_artifact("OmniPortal").sources
    assert "src/MerkleLib.sol" in portal and "src/interfaces/IOmniRollup.sol" in portal
    assert any(u.startswith("@openzeppelin/") for u in portal)


def test_stale_detection(tmp_path: Path) -> None:
    artifacts = committed()
    for name, artifact in artifacts.items():
        (tmp_path / f"{name}.json").write_text(build.render_artifact(artifact))
    assert build.stale_artifacts(artifacts, tmp_path) == []

    token = json.loads((tmp_path / "OmniToken.json").read_text())
    token["sourceHash"] = "0x" + "00" * 32
    (tmp_path / "OmniToken.json").write_text(build.render_artifact(token))
    (tmp_path / "MerkleLib.json").unlink()
    (tmp_path / "Gone.json").write_text("{}")
    assert build.stale_artifacts(artifacts, tmp_path) == [
        "MerkleLib.json (missing)",
        "OmniToken.json (differs from its source)",
        "Gone.json (no such contract in src/)",
    ]


def test_is_stale_sees_a_changed_import() -> None:
    art = load_artifact("OmniPortal")
    changed = source_hash([u for u in art.sources if u != "src/MerkleLib.sol"])
    assert changed != art.source_hash


# ---------------------------------------------------------------------------- slow (node)


@pytest.mark.slow
def test_committed_artifacts_equal_a_fresh_build(fresh: dict[str, dict[str, Any]]) -> None:
    stale = build.stale_artifacts(fresh)
    assert not stale, "stale artifacts, run `python -m bridge_contracts.build`: " + ", ".join(stale)


@pytest.mark.slow
def test_check_mode_exit_code(
    fresh: dict[str, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build, "build_artifacts", lambda: fresh)
    assert build.main(["--check", "--out", str(tmp_path)]) == 1  # empty: all missing
    assert build.main(["--out", str(tmp_path)]) == 0
    assert build.main(["--check", "--out", str(tmp_path)]) == 0


_DEEP = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
contract Deep {
    function f(uint256 a, uint256 b) external pure returns (uint256) {
%s
        return %s;
    }
}
""" % (
    "\n".join(f"        uint256 x{i} = a * {i + 1} + b;" for i in range(18)),
    " + ".join(f"x{i}" for i in range(18)) + " + x0 * x17",
)

_PLAIN = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
contract Plain { function g() external pure returns (uint256) { return 1; } }
"""


@pytest.mark.slow
def test_via_ir_only_where_needed() -> None:
    out = build.compile_sources({"src/Deep.sol": _DEEP, "src/Plain.sol": _PLAIN})
    assert [(c.name, c.via_ir) for c in out.contracts] == [("Deep", True), ("Plain", False)]


@pytest.mark.slow
def test_compile_errors_are_reported() -> None:
    with pytest.raises(build.BuildError, match="DeclarationError|Undeclared"):
        build.compile_sources({"src/Bad.sol": _PLAIN.replace("return 1", "return y")})
