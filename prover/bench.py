"""The prover benchmark behind ``omnit bench prover``: throughput of each available backend
against a pure-Python eth-hash loop measured in the same run.

Figures per backend: keccak of 64-byte inputs per second (``hash_pairs``), seconds for the list
root of 2**20 leaves, seconds for a batch update of 10,000 keys in a 1,000,000-leaf state tree
(new keys appended, and existing keys rewritten), and model-commitment MB/s on a generated
256 MiB safetensors file. The slow ``python`` backend runs smaller sizes and scales them up
(flagged ``"scaled": true``). ``*_per_cpu_s`` figures divide by the process CPU time of all
threads: on a machine shared with other jobs they show the per-core speed the wall-clock
figures hide (an idle machine gives about ``cores`` times that).
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
from eth_hash.auto import keccak

from .backend import Backend, available_backends, get_backend
from .merkle import list_root_from_hashes
from .model_commit import DEFAULT_CHUNK_SIZE, commit_model
from .state_tree import StateTree

__all__ = [
    "python_loop_rate",
    "bench_backend",
    "run_bench",
    "write_safetensors",
    "dense_vs_sparse_hashes",
]

MERKLE_LEAVES = 1 << 20
"""Leaves of the Merkle-root benchmark."""

STATE_LEAVES = 1_000_000
"""Leaves in the state tree before the batch update."""

STATE_BATCH = 10_000
"""Keys per batch update."""

MODEL_MIB = 256
"""Size of the generated safetensors file."""

PY_SCALE = 16
"""The python backend runs 1/16 of the hashing benchmarks' sizes."""


def _best(fn: Callable[[], Any], repeat: int = 3) -> float:
    return _best_wall_cpu(fn, repeat)[0]


def _best_wall_cpu(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, float]:
    """Best wall time and best process CPU time (all threads) over ``repeat`` runs."""
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        best = min(best, time.perf_counter() - t)
        best_cpu = min(best_cpu, time.process_time() - c)
    return best, best_cpu


def python_loop_rate(count: int = 200_000) -> float:
    """64-byte keccaks per second of a plain ``[keccak(m) for m in msgs]`` loop (eth-hash)."""
    rng = np.random.default_rng(0)
    raw = rng.integers(0, 256, 64 * count, dtype=np.uint8).tobytes()
    msgs = [raw[i : i + 64] for i in range(0, len(raw), 64)]
    return count / _best(lambda: [keccak(m) for m in msgs], 2)


def write_safetensors(path: Path, mib: int, tensors: int = 64, seed: int = 0) -> None:
    """Write a ``mib`` MiB safetensors file of random F32 tensors (a benchmark input)."""
    size = (mib << 20) // tensors
    header: dict[str, Any] = {}
    for i in range(tensors):
        header[f"layers.{i:03d}.weight"] = {
            "dtype": "F32",
            "shape": [size // 4],
            "data_offsets": [i * size, (i + 1) * size],
        }
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    rng = np.random.default_rng(seed)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(raw)) + raw)
        for _ in range(tensors):
            fh.write(rng.integers(0, 256, size, dtype=np.uint8).tobytes())


def _random_keys(count: int, seed: int) -> list[bytes]:
    raw = np.random.default_rng(seed).integers(0, 256, 32 * count, dtype=np.uint8).tobytes()
    return [raw[i : i + 32] for i in range(0, len(raw), 32)]


def dense_vs_sparse_hashes(leaves: int, batch: int, seed: int = 0) -> dict[str, int]:
    """Inner-node hashes for one batch: dense depth-32 tree (random existing leaves) vs a
    256-deep sparse Merkle tree keyed by hash (random keys). Leaf hashes are not counted."""
    rng = np.random.default_rng(seed)
    idx = np.unique(rng.integers(0, leaves, batch, dtype=np.int64))
    dense = 0
    for _ in range(32):
        idx = np.unique(idx >> 1)
        dense += len(idx)
    keys = rng.integers(0, 2**63, batch, dtype=np.int64).astype(np.uint64) << np.uint64(1)
    sparse = 192 * batch  # below the top 64 bits random 256-bit keys never share a node
    top = np.unique(keys)
    for _ in range(64):
        top = np.unique(top >> np.uint64(1))
        sparse += len(top)
    return {"dense32": int(dense), "sparse256": int(sparse), "batch": batch, "leaves": leaves}


def _state_bench(backend: Backend, builder: Backend) -> dict[str, float]:
    keys = _random_keys(STATE_LEAVES, 1)
    values = _random_keys(STATE_LEAVES, 2)
    t = time.perf_counter()
    base = StateTree.from_leaves(zip(keys, values), backend=builder)
    build = time.perf_counter() - t
    scale = PY_SCALE if backend.name == "python" else 1
    batch = STATE_BATCH // scale
    new_items = list(zip(_random_keys(batch, 3), _random_keys(batch, 4)))
    rng = np.random.default_rng(5)
    existing = [(keys[i], values[(i + 1) % STATE_LEAVES]) for i in rng.integers(0, STATE_LEAVES, batch)]
    out: dict[str, float] = {"state_build_s": round(build, 3)}
    for label, items in (("state_update_new_s", new_items), ("state_update_existing_s", existing)):
        tree = base.copy()
        tree.backend = backend
        tree._tree.backend = backend
        t = time.perf_counter()
        tree.update(items)
        out[label] = round((time.perf_counter() - t) * scale, 4)
    return out


def bench_backend(
    backend: Backend, model_path: Path | None, builder: Backend | None = None
) -> dict[str, Any]:
    """All figures for one backend."""
    scale = PY_SCALE if backend.name == "python" else 1
    rng = np.random.default_rng(7)
    pairs = MERKLE_LEAVES // scale
    data = rng.integers(0, 256, 64 * pairs, dtype=np.uint8).tobytes()
    wall, cpu = _best_wall_cpu(lambda: backend.hash_pairs(data))
    rate = pairs / wall
    leaves = rng.integers(0, 256, 32 * (MERKLE_LEAVES // scale), dtype=np.uint8).tobytes()
    root_s = _best(lambda: list_root_from_hashes(leaves, backend)) * scale
    out: dict[str, Any] = {
        "backend": backend.name,
        "keccak64_per_s": round(rate),
        "keccak64_per_cpu_s": round(pairs / max(cpu, 1e-9)),
        "merkle_root_2p20_s": round(root_s, 4),
    }
    out.update(_state_bench(backend, builder or backend))
    if model_path is not None:
        commit_model(model_path, DEFAULT_CHUNK_SIZE, backend)  # warm the page cache
        secs, cpu = _best_wall_cpu(lambda: commit_model(model_path, DEFAULT_CHUNK_SIZE, backend), 2)
        mib = model_path.stat().st_size / 2**20
        out["model_commit_mb_s"] = round(mib / secs, 1)
        out["model_commit_mb_per_cpu_s"] = round(mib / max(cpu, 1e-9), 1)
    out["scaled"] = scale != 1
    return out


def run_bench(
    backends: Iterable[str] | None = None,
    model_mib: int = MODEL_MIB,
    emit: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Run the benchmark; ``emit`` receives each result line as it is ready. The last line holds
    ``ratio``: the best backend's 64-byte keccak rate over the Python loop's."""
    names = list(backends) if backends else available_backends()
    results: list[dict[str, Any]] = []

    def push(line: dict[str, Any]) -> None:
        results.append(line)
        if emit:
            emit(line)

    loop = python_loop_rate()
    push({
        "python_loop_keccak64_per_s": round(loop),
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),  # other jobs on the machine skew figures
    })
    fast = next((n for n in names if n != "python"), "python")
    builder = get_backend(fast)
    with tempfile.TemporaryDirectory(prefix="omnit-bench-") as tmp:
        model = Path(tmp) / "model.safetensors"
        if model_mib > 0:
            write_safetensors(model, model_mib)
        for name in names:
            push(bench_backend(get_backend(name), model if model_mib > 0 else None, builder))
    best = max((r for r in results if "keccak64_per_s" in r), key=lambda r: r["keccak64_per_s"])
    summary = {
        "ratio": round(best["keccak64_per_s"] / loop, 2),
        "best_backend": best["backend"],
        "python_loop_keccak64_per_s": round(loop),
        "model_commit_mb_s": best.get("model_commit_mb_s"),
        "hashes_per_batch": dense_vs_sparse_hashes(STATE_LEAVES, STATE_BATCH),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    push(summary)
    return results
