"""The ``cupy`` backend: the kernels of ``kernels/keccak.cu`` on a GPU through CuPy.

Thin by design (it cannot be exercised on the GPU-less build machines): pack inputs, copy them
to the device, launch, copy back. Its kernel source is the one the native backend tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from kernels.cuda import load_cupy_module

from .backend import Buffer, Offsets, check_offsets
from .errors import BackendError, InvalidInput

__all__ = ["CupyBackend", "THREADS_PER_BLOCK", "REDUCE_LEVELS"]

THREADS_PER_BLOCK = 256
"""Threads per block of the per-item kernels."""

REDUCE_LEVELS = 8
"""Levels one block of the subtree kernel reduces (256 nodes, 128 threads, 8 KiB shared)."""


def _u8(buf: Buffer | np.ndarray) -> np.ndarray:
    if isinstance(buf, np.ndarray):
        return np.ascontiguousarray(buf).view(np.uint8).reshape(-1)
    return np.frombuffer(buf, dtype=np.uint8)


class CupyBackend:
    """GPU kernels via CuPy ``RawModule``."""

    name = "cupy"

    def __init__(self) -> None:
        try:
            import cupy  # type: ignore[import-not-found]
        except ImportError as exc:
            raise BackendError("cupy", "CuPy is not installed (pip install cupy-cuda12x)") from exc
        if cupy.cuda.runtime.getDeviceCount() < 1:
            raise BackendError("cupy", "no CUDA device")
        self._cp: Any = cupy
        self._mod = load_cupy_module()
        self._pairs = self._mod.get_function("omnit_hash_pairs_kernel")
        self._packed_k = self._mod.get_function("omnit_keccak_packed_kernel")
        self._reduce = self._mod.get_function("omnit_subtree_reduce_kernel")

    def _grid(self, n: int) -> tuple[int]:
        return ((n + THREADS_PER_BLOCK - 1) // THREADS_PER_BLOCK,)

    def hash_pairs(self, data: Buffer) -> bytes:
        src = _u8(data)
        if len(src) % 64:
            raise InvalidInput("pair buffer", f"length {len(src)} is not a multiple of 64")
        n = len(src) // 64
        if n == 0:
            return b""
        cp = self._cp
        d_in, d_out = cp.asarray(src), cp.empty(n * 32, dtype=cp.uint8)
        self._pairs(self._grid(n), (THREADS_PER_BLOCK,), (d_in, d_out, np.uint64(n)))
        return cp.asnumpy(d_out).tobytes()

    def _packed(self, data: Buffer, offsets: Offsets, leaf: bool) -> bytes:
        view, offs = check_offsets(data, offsets)
        n = len(offs) - 1
        if n == 0:
            return b""
        cp = self._cp
        d_data = cp.asarray(_u8(view) if len(view) else np.zeros(1, np.uint8))
        d_offs = cp.asarray(np.asarray(offs, dtype=np.int64))
        d_out = cp.empty(n * 32, dtype=cp.uint8)
        self._packed_k(
            self._grid(n), (THREADS_PER_BLOCK,), (d_data, d_offs, d_out, np.uint64(n), np.int32(leaf))
        )
        return cp.asnumpy(d_out).tobytes()

    def _many(self, msgs: Sequence[Buffer], leaf: bool) -> bytes:
        arrays = [_u8(m) for m in msgs]
        offs = np.zeros(len(arrays) + 1, dtype=np.int64)
        np.cumsum([len(a) for a in arrays], out=offs[1:])
        packed = np.concatenate(arrays) if offs[-1] else np.zeros(0, np.uint8)
        return self._packed(packed, offs.tolist(), leaf)

    def keccak256_many(self, msgs: Sequence[Buffer]) -> list[bytes]:
        raw = self._many(msgs, False)
        return [raw[i : i + 32] for i in range(0, len(raw), 32)]

    def keccak256_packed(self, data: Buffer, offsets: Offsets) -> bytes:
        return self._packed(data, offsets, False)

    def leaf_hashes(self, msgs: Sequence[Buffer]) -> bytes:
        return self._many(msgs, True)

    def leaf_hashes_packed(self, data: Buffer, offsets: Offsets) -> bytes:
        return self._packed(data, offsets, True)

    def merkle_reduce(self, nodes: Buffer, levels: int) -> bytes:
        src = _u8(nodes)
        if levels < 0 or not len(src) or len(src) % (32 << levels):
            raise InvalidInput(
                "node buffer", f"length {len(src)} is not a positive multiple of 32 * 2**{levels}"
            )
        cp = self._cp
        level = cp.asarray(src)
        while levels > 0:
            step = min(levels, REDUCE_LEVELS)
            groups = len(level) // (32 << step)
            out = cp.empty(groups * 32, dtype=cp.uint8)
            self._reduce(
                (groups,), (1 << (step - 1),), (level, out, np.int32(step)), shared_mem=32 << step
            )
            level, levels = out, levels - step
        return cp.asnumpy(level).tobytes()
