"""Deterministic JSON test vectors for the trees and roots (``tests/vectors/*.json``).

The Solidity verifiers and any other implementation check these. Regenerate with
``python -m prover.vectors tests/vectors``; the test suite fails if the files drift from the code.
All byte strings are 0x-hex; integers are JSON numbers (all below 2**53) or decimal strings.
"""

from __future__ import annotations

import json
import struct
import sys
import tempfile
from pathlib import Path
from typing import Any

from .backend import PythonBackend
from .hashing import keccak, leaf_hash
from .merkle import EMPTY, list_proof, list_root
from .model_commit import commit_model, encode_layout, prove_chunk, read_chunk
from .output_root import output_root
from .state_tree import StateTree
from .withdrawals import WithdrawalTree, encode_withdrawal

__all__ = ["generate", "write_all", "FILES"]

FILES = (
    "merkle_list.json",
    "state_tree.json",
    "withdrawal_tree.json",
    "output_root.json",
    "model_commit.json",
)
"""The vector files this module owns."""

_PY = PythonBackend()


def _h(b: bytes) -> str:
    return "0x" + b.hex()


def _det(label: str, i: int) -> bytes:
    """A deterministic 32-byte value."""
    return keccak(f"{label}:{i}".encode())


def merkle_vectors() -> dict[str, Any]:
    """List roots and proofs for assorted sizes, plus E[0..32]."""
    cases = []
    for n in (0, 1, 2, 3, 4, 5, 8, 13):
        items = [bytes(range(i % 5 + i)) for i in range(n)] if n else []
        root = list_root(items, _PY)
        proofs = [list_proof(items, i, _PY).to_json() for i in sorted({0, n // 2, n - 1}) if n]
        cases.append({
            "leaves": [_h(x) for x in items],
            "leaf_hashes": [_h(leaf_hash(x)) for x in items],
            "root": _h(root),
            "proofs": proofs,
        })
    return {
        "description": "list_root = keccak(tree_root ++ u256(N)); leaf = keccak(keccak(data)); "
        "node = keccak(l ++ r); padding E[0] = 32 zero bytes",
        "empty_subtrees": [_h(e) for e in EMPTY[:33]],
        "lists": cases,
    }


def state_tree_vectors() -> dict[str, Any]:
    """Batches applied in order to an empty depth-32 state tree, roots after each, proofs."""
    tree = StateTree(backend=_PY)
    keys = [_det("key", i) for i in range(12)]
    batches = [
        [(keys[i], _det("v0", i)) for i in (5, 1, 9, 3)],
        [(keys[1], _det("v1", 1)), (keys[7], _det("v1", 7)), (keys[0], _det("v1", 0))],
        [(keys[5], bytes(32)), (keys[11], _det("v2", 11)), (keys[2], _det("v2", 2)),
         (keys[2], _det("v2b", 2))],
    ]
    steps = []
    for batch in batches:
        root = tree.update(batch)
        steps.append({
            "items": [[_h(k), _h(v)] for k, v in batch],
            "root": _h(root),
            "leaves_in_index_order": [[_h(k), _h(v)] for k, v in tree.leaves()],
        })
    proofs = [tree.proof(k).to_json() for k, _ in tree.leaves()]
    return {
        "description": "indexed dense tree, depth 32; leaf = keccak(keccak(key ++ value_hash)); "
        "new keys of a batch appended in ascending key order; last write of a key in a batch wins",
        "depth": 32,
        "empty_root": _h(EMPTY[32]),
        "batches": steps,
        "proofs": proofs,
    }


def withdrawal_vectors() -> dict[str, Any]:
    """Withdrawals appended one by one, the root after each, and a proof of each."""
    tree = WithdrawalTree(_PY)
    steps = []
    for i in range(5):
        sender = _det("sender", i)[:20]
        recipient = _det("recipient", i)[:20]
        amount = 10**18 * (i + 1) + i
        data = encode_withdrawal(i, sender, recipient, amount)
        tree.append(data)
        steps.append({
            "nonce": i,
            "sender": _h(sender),
            "l1_recipient": _h(recipient),
            "amount": str(amount),
            "leaf_data": _h(data),
            "leaf_hash": _h(leaf_hash(data)),
            "root_after": _h(tree.root),
        })
    return {
        "description": "append-only depth-32 tree; leaf data = abi.encode(uint256 nonce, address "
        "sender, address l1Recipient, uint256 amount); leaf = keccak(keccak(leaf_data))",
        "depth": 32,
        "empty_root": _h(EMPTY[32]),
        "withdrawals": steps,
        "proofs": [tree.proof(i).to_json() for i in range(len(tree))],
    }


def output_root_vectors() -> dict[str, Any]:
    """Output roots of a few (state, withdrawal, block hash) triples."""
    cases = []
    for i in range(3):
        s = EMPTY[32] if i == 0 else _det("state", i)
        w = EMPTY[32] if i < 2 else _det("withdrawals", i)
        b = _det("block", i)
        cases.append({
            "state_root": _h(s),
            "withdrawal_root": _h(w),
            "l2_block_hash": _h(b),
            "output_root": _h(output_root(s, w, b)),
        })
    return {
        "description": "output_root = keccak(u256(0) ++ state_root ++ withdrawal_root ++ block_hash)",
        "version": 0,
        "cases": cases,
    }


_MODEL = [
    ("b.weight", "F32", [3, 5]),
    ("a.bias", "F16", [7]),
    ("c.mask", "BOOL", [3]),
    ("d.empty", "I64", [0, 2]),
]
_SIZES = {"F32": 4, "F16": 2, "BOOL": 1, "I64": 8}


def _model_file(path: Path) -> list[dict[str, Any]]:
    header: dict[str, Any] = {}
    blobs, offset, tensors = [], 0, []
    for i, (name, dtype, shape) in enumerate(_MODEL):
        n = _SIZES[dtype]
        for d in shape:
            n *= d
        data = bytes((i * 31 + j * 7) % (2 if dtype == "BOOL" else 256) for j in range(n))
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n]}
        blobs.append(data)
        offset += n
        tensors.append({"name": name, "dtype": dtype, "shape": shape, "data": _h(data)})
    raw = json.dumps(header, separators=(",", ":")).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))
    return tensors


def model_vectors() -> dict[str, Any]:
    """A tiny model, its layout leaves, commitment and a proof per chunk."""
    chunk_size = 32
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.safetensors"
        tensors = _model_file(path)
        c = commit_model(path, chunk_size, _PY)
        chunks = []
        for i in range(c.num_chunks):
            chunk, proof = prove_chunk(path, i, chunk_size, _PY, commitment=c)
            assert chunk == read_chunk(path, i, chunk_size)
            chunks.append({"data": _h(chunk), "proof": proof.to_json()})
    return {
        "description": "data stream = tensor bytes in ascending name order, cut into chunk_size "
        "chunks (list tree); layout leaves = encode_layout per tensor (list tree); root = "
        "keccak(u256(0) ++ u256(chunk_size) ++ u256(total_bytes) ++ layout_root ++ data_root)",
        "tensors": tensors,
        "commitment": c.to_json(),
        "layout_leaves": [_h(encode_layout(t)) for t in c.tensors],
        "chunks": chunks,
    }


def generate() -> dict[str, Any]:
    """All vector files as ``{file name: JSON object}``."""
    return {
        "merkle_list.json": merkle_vectors(),
        "state_tree.json": state_tree_vectors(),
        "withdrawal_tree.json": withdrawal_vectors(),
        "output_root.json": output_root_vectors(),
        "model_commit.json": model_vectors(),
    }


def dumps(obj: Any) -> str:
    """The canonical text of a vector file."""
    return json.dumps(obj, indent=1) + "\n"


def write_all(directory: Path) -> None:
    """Write every vector file into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, obj in generate().items():
        (directory / name).write_text(dumps(obj))


if __name__ == "__main__":
    write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/vectors"))
