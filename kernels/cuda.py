"""The GPU path: compile the same ``keccak.cu`` with CuPy ``RawModule`` (NVRTC).

Kept deliberately thin: it only compiles the inlined source and hands out the three kernels;
the launch logic lives in :mod:`prover.cupy_backend`. It cannot run on machines without a GPU,
so its source is checked by the nvcc compile test instead.
"""

from __future__ import annotations

import threading
from typing import Any

from .errors import KernelBuildError
from .source import inlined_source

__all__ = ["KERNEL_NAMES", "NVRTC_OPTIONS", "load_cupy_module"]

KERNEL_NAMES = (
    "omnit_hash_pairs_kernel",
    "omnit_keccak_packed_kernel",
    "omnit_subtree_reduce_kernel",
)
"""The ``extern "C"`` kernels of ``keccak.cu``."""

NVRTC_OPTIONS = ("--std=c++14",)
"""Options passed to NVRTC (the architecture is chosen by CuPy for the current device)."""

_LOCK = threading.Lock()
_MODULE: Any = None


def load_cupy_module() -> Any:
    """Compile (once per process) and return the ``cupy.RawModule``."""
    global _MODULE
    with _LOCK:
        if _MODULE is None:
            import cupy  # type: ignore[import-not-found]

            try:
                module = cupy.RawModule(code=inlined_source(), options=NVRTC_OPTIONS)
                for name in KERNEL_NAMES:
                    module.get_function(name)  # forces compilation now, not at first launch
            except cupy.cuda.compiler.CompileException as exc:
                raise KernelBuildError("nvrtc", 1, str(exc)) from exc
            _MODULE = module
        return _MODULE
