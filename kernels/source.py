"""The kernel sources on disk and the single-string form NVRTC and the build cache key use."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

__all__ = ["KERNEL_DIR", "MAIN_SOURCE", "HEADERS", "source_text", "inlined_source", "source_digest"]

KERNEL_DIR = Path(__file__).resolve().parent
"""Directory holding ``keccak.cu`` and its headers (shipped as package data)."""

MAIN_SOURCE = KERNEL_DIR / "keccak.cu"
"""The one translation unit: CUDA kernels and, outside ``__CUDACC__``, the CPU entry points."""

HEADERS = (KERNEL_DIR / "keccak_core.cuh", KERNEL_DIR / "keccak_x4.h")
"""Headers ``keccak.cu`` includes (part of the cache key); ``keccak_x4.h`` is CPU-only."""

_INCLUDE = re.compile(r'^#include "([^"]+)"\s*$', re.MULTILINE)


def source_text() -> str:
    """``keccak.cu`` as written."""
    return MAIN_SOURCE.read_text()


def inlined_source() -> str:
    """``keccak.cu`` with local ``#include "..."`` lines replaced by the header text.

    NVRTC (CuPy ``RawModule``) compiles from a string without a file system, so the GPU path
    uses this form; the nvcc compile test checks it too.
    """

    seen: set[str] = set()

    def expand(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in seen:  # include guards make repeats empty anyway
            return ""
        seen.add(name)
        return _INCLUDE.sub(expand, (KERNEL_DIR / name).read_text())

    return _INCLUDE.sub(expand, source_text())


def source_digest(*extra: str) -> str:
    """Hex digest of all sources plus ``extra`` strings (compiler, flags): the cache key."""
    h = hashlib.sha256()
    for path in (MAIN_SOURCE, *HEADERS):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for item in extra:
        h.update(item.encode() + b"\0")
    return h.hexdigest()[:24]
