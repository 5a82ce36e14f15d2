"""Errors raised while building or loading the keccak kernels."""

from __future__ import annotations

__all__ = ["KernelError", "KernelBuildError", "CompilerNotFound", "KernelLoadError"]


class KernelError(Exception):
    """Base class of kernel build and load errors."""


class KernelBuildError(KernelError):
    """The C compiler (or NVRTC) rejected the kernel source."""

    def __init__(self, compiler: str, returncode: int, stderr: str) -> None:
        super().__init__(
            f"building the keccak kernels with {compiler!r} failed (exit {returncode}):\n"
            f"{stderr.strip()[-4000:]}"
        )
        self.compiler = compiler
        self.returncode = returncode
        self.stderr = stderr


class CompilerNotFound(KernelBuildError):
    """No usable C compiler: install gcc or clang, or set CC to one."""

    def __init__(self, compiler: str) -> None:
        KernelError.__init__(
            self,
            f"C compiler {compiler!r} not found: install gcc or clang, set CC to a working "
            "compiler, or use the pure-Python prover backend (OMNIT_PROVER_BACKEND=python)",
        )
        self.compiler = compiler
        self.returncode = -1
        self.stderr = ""


class KernelLoadError(KernelError):
    """A built library could not be loaded or has the wrong ABI version."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot load kernel library {path}: {reason}")
        self.path = path
        self.reason = reason
