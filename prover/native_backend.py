"""The ``native`` backend: ``kernels/keccak.cu`` compiled for the CPU, run through ctypes.

Buffers are passed by address without copying (numpy views over bytes, memoryviews or mmaps);
ctypes releases the GIL during each call and OpenMP spreads the work over the cores.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kernels.loader import NativeLibrary, load_native

from .backend import Buffer, Offsets, check_offsets
from .errors import InvalidInput

__all__ = ["NativeBackend", "PTR_MIN_AVG_BYTES"]

PTR_MIN_AVG_BYTES = 4096
"""Messages averaging at least this size are hashed in place by pointer; smaller ones are packed
into one buffer first (a copy, but one call instead of a pointer per message)."""


def _u8(buf: Buffer | np.ndarray) -> np.ndarray:
    """A flat, contiguous uint8 view of ``buf`` (copies only if it is not contiguous)."""
    if isinstance(buf, np.ndarray):
        arr = buf if buf.dtype == np.uint8 else buf.view(np.uint8)
        return np.ascontiguousarray(arr).reshape(-1)
    return np.frombuffer(buf, dtype=np.uint8)


class NativeBackend:
    """CPU kernels via the system C compiler and OpenMP."""

    name = "native"

    def __init__(self, library: NativeLibrary | None = None) -> None:
        self.lib = library or load_native()

    @property
    def threads(self) -> int:
        """OpenMP threads in use."""
        return self.lib.threads

    def hash_pairs(self, data: Buffer) -> bytes:
        src = _u8(data)
        if len(src) % 64:
            raise InvalidInput("pair buffer", f"length {len(src)} is not a multiple of 64")
        n = len(src) // 64
        out = np.empty(n * 32, dtype=np.uint8)
        if n:
            self.lib.hash_pairs(src.ctypes.data, out.ctypes.data, n)
        return out.tobytes()

    def _packed(self, data: Buffer, offsets: Offsets, leaf: bool) -> bytes:
        src = _u8(data)
        offs = np.ascontiguousarray(offsets, dtype=np.int64)
        if offs.ndim != 1 or len(offs) == 0:
            raise InvalidInput("offsets", "need a flat array of N+1 offsets")
        n = len(offs) - 1
        if n and (offs[0] < 0 or np.any(np.diff(offs) < 0) or offs[-1] > len(src)):
            check_offsets(src, offs.tolist())  # raises with the precise reason
        out = np.empty(n * 32, dtype=np.uint8)
        if n:
            base = src.ctypes.data if len(src) else np.zeros(1, np.uint8).ctypes.data
            self.lib.keccak_packed(base, offs.ctypes.data, n, out.ctypes.data, leaf)
        return out.tobytes()

    def _many(self, msgs: Sequence[Buffer], leaf: bool) -> bytes:
        n = len(msgs)
        if n == 0:
            return b""
        arrays = [_u8(m) for m in msgs]
        lens = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=n)
        total = int(lens.sum())
        if total < PTR_MIN_AVG_BYTES * n:
            packed = np.concatenate(arrays) if total else np.zeros(1, np.uint8)
            offs = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(lens, out=offs[1:])
            return self._packed(packed, offs, leaf)
        dummy = np.zeros(1, np.uint8)
        ptrs = np.fromiter(
            (a.ctypes.data if len(a) else dummy.ctypes.data for a in arrays),
            dtype=np.uintp,
            count=n,
        )
        out = np.empty(n * 32, dtype=np.uint8)
        self.lib.keccak_ptrs(ptrs.ctypes.data, lens.ctypes.data, n, out.ctypes.data, leaf)
        del arrays  # the views (and the buffers they pin) lived through the call
        return out.tobytes()

    def keccak256_many(self, msgs: Sequence[Buffer]) -> list[bytes]:
        raw = self._many(msgs, leaf=False)
        return [raw[i : i + 32] for i in range(0, len(raw), 32)]

    def keccak256_packed(self, data: Buffer, offsets: Offsets) -> bytes:
        return self._packed(data, offsets, leaf=False)

    def leaf_hashes(self, msgs: Sequence[Buffer]) -> bytes:
        return self._many(msgs, leaf=True)

    def leaf_hashes_packed(self, data: Buffer, offsets: Offsets) -> bytes:
        return self._packed(data, offsets, leaf=True)

    def merkle_reduce(self, nodes: Buffer, levels: int) -> bytes:
        src = _u8(nodes)
        if levels < 0 or not len(src) or len(src) % (32 << levels):
            raise InvalidInput(
                "node buffer", f"length {len(src)} is not a positive multiple of 32 * 2**{levels}"
            )
        n = len(src) // 32
        out = np.empty((n >> levels) * 32, dtype=np.uint8)
        self.lib.merkle_reduce(src.ctypes.data, n, levels, out.ctypes.data)
        return out.tobytes()
