"""Keccak-256 / Merkle kernels: one CUDA C source built for the GPU (CuPy) or the CPU (cc).

The loader is imported lazily so ``python -m kernels.loader`` runs it cleanly as a script.
"""

from __future__ import annotations

from typing import Any

from .errors import CompilerNotFound, KernelBuildError, KernelError, KernelLoadError

__all__ = [
    "KernelError",
    "KernelBuildError",
    "CompilerNotFound",
    "KernelLoadError",
    "build_native",
    "load_native",
    "cache_dir",
]

_LAZY = {"build_native", "load_native", "cache_dir"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import loader

        return getattr(loader, name)
    raise AttributeError(f"module 'kernels' has no attribute {name!r}")
