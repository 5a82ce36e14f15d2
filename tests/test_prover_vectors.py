"""The committed JSON vectors match the code, and verify with a minimal independent verifier."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_hash.auto import keccak

from prover.vectors import FILES, dumps, generate

VECTORS = Path(__file__).parent / "vectors"


def unhex(s: str) -> bytes:
    return bytes.fromhex(s.removeprefix("0x"))


def fold(leaf: bytes, index: int, siblings: list[str]) -> bytes:
    """What the Solidity verifier does."""
    h = leaf
    for i, s in enumerate(siblings):
        h = keccak(unhex(s) + h) if (index >> i) & 1 else keccak(h + unhex(s))
    return h


@pytest.fixture(scope="module")
def generated() -> dict:
    return generate()


@pytest.mark.parametrize("name", FILES)
def test_files_are_current(generated, name: str) -> None:
    assert (VECTORS / name).read_text() == dumps(generated[name]), (
        f"{name} is stale: run python -m prover.vectors tests/vectors"
    )


def load(name: str) -> dict:
    return json.loads((VECTORS / name).read_text())


def test_merkle_vectors_verify() -> None:
    v = load("merkle_list.json")
    for case in v["lists"]:
        n = len(case["leaves"])
        for p in case["proofs"]:
            leaf = keccak(keccak(unhex(case["leaves"][p["index"]])))
            assert keccak(fold(leaf, p["index"], p["siblings"]) + n.to_bytes(32, "big")) == unhex(case["root"])


def test_state_vectors_verify() -> None:
    v = load("state_tree.json")
    root = unhex(v["batches"][-1]["root"])
    for p in v["proofs"]:
        assert len(p["siblings"]) == 32
        leaf = keccak(keccak(unhex(p["key"]) + unhex(p["value_hash"])))
        assert fold(leaf, p["index"], p["siblings"]) == root


def test_withdrawal_vectors_verify() -> None:
    v = load("withdrawal_tree.json")
    root = unhex(v["withdrawals"][-1]["root_after"])
    for p in v["proofs"]:
        assert fold(keccak(keccak(unhex(p["leaf_data"]))), p["index"], p["siblings"]) == root


def test_output_root_vectors() -> None:
    for c in load("output_root.json")["cases"]:
        pre = bytes(32) + unhex(c["state_root"]) + unhex(c["withdrawal_root"]) + unhex(c["l2_block_hash"])
        assert keccak(pre) == unhex(c["output_root"])


def test_model_vectors_verify() -> None:
    v = load("model_commit.json")
    c = v["commitment"]
    for ch in v["chunks"]:
        p = ch["proof"]
        leaf = keccak(keccak(unhex(ch["data"])))
        data_root = keccak(fold(leaf, p["index"], p["siblings"]) + p["num_chunks"].to_bytes(32, "big"))
        root = keccak(
            bytes(32) + c["chunk_size"].to_bytes(32, "big") + c["total_bytes"].to_bytes(32, "big")
            + unhex(c["layout_root"]) + data_root
        )
        assert root == unhex(c["root"])
    stream = b"".join(unhex(t["data"]) for t in sorted(v["tensors"], key=lambda t: t["name"]))
    assert len(stream) == c["total_bytes"]
