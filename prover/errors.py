"""Exception tree of the prover.

::

    ProverError
    ├── BackendError
    │   └── UnknownBackend
    ├── ProofError
    │   ├── IndexOutOfRange
    │   └── KeyNotFound
    ├── InvalidInput
    └── ModelFileError
        ├── SafetensorsHeaderError
        ├── UnknownDtype
        ├── TruncatedModelFile
        └── NotAStateDict

Kernel build failures raise :class:`kernels.errors.KernelBuildError` (and its subclass
``CompilerNotFound``); ``BackendError`` wraps them when a backend is forced.
"""

from __future__ import annotations

__all__ = [
    "ProverError",
    "BackendError",
    "UnknownBackend",
    "ProofError",
    "IndexOutOfRange",
    "KeyNotFound",
    "InvalidInput",
    "ModelFileError",
    "SafetensorsHeaderError",
    "UnknownDtype",
    "TruncatedModelFile",
    "NotAStateDict",
]


class ProverError(Exception):
    """Base class of every error raised by :mod:`prover`."""


class BackendError(ProverError):
    """A hashing backend could not be created or used."""

    def __init__(self, backend: str, reason: str) -> None:
        super().__init__(f"prover backend {backend!r} unavailable: {reason}")
        self.backend = backend
        self.reason = reason


class UnknownBackend(BackendError):
    """The requested backend name is not one of ``cupy``, ``native``, ``python``."""

    def __init__(self, backend: str) -> None:
        super().__init__(backend, "unknown backend name (choose cupy, native or python)")


class ProofError(ProverError):
    """A proof cannot be produced for the request."""


class IndexOutOfRange(ProofError):
    """A leaf index outside ``[0, size)``."""

    def __init__(self, index: int, size: int) -> None:
        super().__init__(f"leaf index {index} out of range for {size} leaves")
        self.index = index
        self.size = size


class KeyNotFound(ProofError):
    """The state tree holds no leaf for ``key``."""

    def __init__(self, key: bytes) -> None:
        super().__init__(f"key 0x{key.hex()} is not in the state tree")
        self.key = key


class InvalidInput(ProverError):
    """An argument has the wrong type or length (e.g. a key that is not 32 bytes)."""

    def __init__(self, what: str, detail: str) -> None:
        super().__init__(f"invalid {what}: {detail}")
        self.what = what
        self.detail = detail


class ModelFileError(ProverError):
    """A model-weight file cannot be committed to."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class SafetensorsHeaderError(ModelFileError):
    """The safetensors header is missing, too large, not JSON, or inconsistent."""


class UnknownDtype(ModelFileError):
    """A tensor has a dtype the commitment format does not define."""

    def __init__(self, path: str, tensor: str, dtype: str) -> None:
        super().__init__(path, f"tensor {tensor!r} has unknown dtype {dtype!r}")
        self.tensor = tensor
        self.dtype = dtype


class TruncatedModelFile(ModelFileError):
    """The file ends before the byte ranges its header announces."""


class NotAStateDict(ModelFileError):
    """A PyTorch file that is not a plain ``{str: Tensor}`` mapping (or is unsafe to load)."""
