"""Hashing backends: the protocol, the pure-Python reference, and backend selection.

Every backend computes exactly the same bytes; the fast ones (``native`` CPU, ``cupy`` GPU) run the
C/CUDA kernels of :mod:`kernels` and are tested against :class:`PythonBackend`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
from eth_hash.auto import keccak as _keccak

from .errors import BackendError, InvalidInput, UnknownBackend

__all__ = [
    "Backend",
    "Buffer",
    "Offsets",
    "PythonBackend",
    "BACKEND_NAMES",
    "ENV_VAR",
    "get_backend",
    "available_backends",
    "reset_backend_cache",
    "check_offsets",
    "as_view",
]

Buffer = bytes | bytearray | memoryview | np.ndarray
"""A contiguous byte buffer: bytes-like or a numpy array (viewed as its raw bytes)."""

Offsets = Sequence[int] | np.ndarray
"""N+1 non-decreasing byte offsets delimiting N packed messages."""

BACKEND_NAMES = ("cupy", "native", "python")
"""Backend names in order of preference when none is forced."""

ENV_VAR = "OMNIT_PROVER_BACKEND"
"""Environment variable that forces a backend when ``get_backend`` is called without a name."""


@runtime_checkable
class Backend(Protocol):
    """What a hashing backend provides. All outputs are concatenated 32-byte digests."""

    name: str

    def keccak256_many(self, msgs: Sequence[Buffer]) -> list[bytes]:
        """``keccak(m)`` for each message (variable lengths)."""
        ...

    def hash_pairs(self, data: Buffer) -> bytes:
        """One Merkle level: N*64 bytes of (left, right) pairs in, N*32 bytes of nodes out."""
        ...

    def keccak256_packed(self, data: Buffer, offsets: Offsets) -> bytes:
        """``keccak(data[offsets[i]:offsets[i+1]])`` for each i, concatenated (N+1 offsets)."""
        ...

    def leaf_hashes(self, msgs: Sequence[Buffer]) -> bytes:
        """``leaf(m) = keccak(keccak(m))`` of each message, concatenated."""
        ...

    def leaf_hashes_packed(self, data: Buffer, offsets: Offsets) -> bytes:
        """Leaf hashes of messages packed in one buffer (same layout as ``keccak256_packed``)."""
        ...

    def merkle_reduce(self, nodes: Buffer, levels: int) -> bytes:
        """Reduce a level of ``k * 2**levels`` nodes by ``levels`` levels (``k`` nodes out)."""
        ...


def as_view(buf: Buffer) -> memoryview:
    """A flat byte view of ``buf`` (numpy arrays: their raw bytes, copied only if strided)."""
    if isinstance(buf, np.ndarray):
        return memoryview(np.ascontiguousarray(buf).reshape(-1).view(np.uint8))  # type: ignore[arg-type]
    return memoryview(buf).cast("B")


def _check_pairs(data: Buffer) -> memoryview:
    view = as_view(data)
    if len(view) % 64:
        raise InvalidInput("pair buffer", f"length {len(view)} is not a multiple of 64")
    return view


def check_offsets(data: Buffer, offsets: Offsets) -> tuple[memoryview, list[int]]:
    """Validate a packed-message layout: non-decreasing offsets within the buffer."""
    view = as_view(data)
    offs = [int(o) for o in offsets]
    if not offs:
        raise InvalidInput("offsets", "need at least one offset (N messages take N+1 offsets)")
    prev = offs[0]
    if prev < 0:
        raise InvalidInput("offsets", f"negative offset {prev}")
    for o in offs[1:]:
        if o < prev:
            raise InvalidInput("offsets", f"offsets decrease ({prev} then {o})")
        prev = o
    if prev > len(view):
        raise InvalidInput("offsets", f"offset {prev} beyond buffer of {len(view)} bytes")
    return view, offs


def _check_reduce(nodes: Buffer, levels: int) -> memoryview:
    view = as_view(nodes)
    if levels < 0:
        raise InvalidInput("levels", f"{levels} is negative")
    if len(view) % (32 << levels) or not view:
        raise InvalidInput(
            "node buffer", f"length {len(view)} is not a positive multiple of 32 * 2**{levels}"
        )
    return view


class PythonBackend:
    """The reference: a plain loop over eth-hash keccak. Slow, obviously correct."""

    name = "python"

    def keccak256_many(self, msgs: Sequence[Buffer]) -> list[bytes]:
        return [_keccak(bytes(as_view(m))) for m in msgs]

    def hash_pairs(self, data: Buffer) -> bytes:
        view = _check_pairs(data)
        raw = bytes(view)
        return b"".join(_keccak(raw[i : i + 64]) for i in range(0, len(raw), 64))

    def keccak256_packed(self, data: Buffer, offsets: Offsets) -> bytes:
        view, offs = check_offsets(data, offsets)
        return b"".join(_keccak(bytes(view[a:b])) for a, b in zip(offs, offs[1:]))

    def leaf_hashes(self, msgs: Sequence[Buffer]) -> bytes:
        return b"".join(_keccak(_keccak(bytes(as_view(m)))) for m in msgs)

    def leaf_hashes_packed(self, data: Buffer, offsets: Offsets) -> bytes:
        view, offs = check_offsets(data, offsets)
        return b"".join(_keccak(_keccak(bytes(view[a:b]))) for a, b in zip(offs, offs[1:]))

    def merkle_reduce(self, nodes: Buffer, levels: int) -> bytes:
        level = bytes(_check_reduce(nodes, levels))
        for _ in range(levels):
            level = self.hash_pairs(level)
        return level


_LOCK = threading.RLock()
_CACHE: dict[str, Backend] = {}
_FAILED: dict[str, BackendError] = {}


def _gpu_present() -> bool:
    try:
        import cupy  # type: ignore[import-not-found]

        return int(cupy.cuda.runtime.getDeviceCount()) > 0
    except Exception:
        return False


def _create(name: str) -> Backend:
    if name == "python":
        return PythonBackend()
    if name == "native":
        from .native_backend import NativeBackend

        return NativeBackend()
    if name == "cupy":
        from .cupy_backend import CupyBackend

        return CupyBackend()
    raise UnknownBackend(name)


def get_backend(name: str | None = None) -> Backend:
    """Return the backend called ``name`` (cached).

    ``None`` means: ``$OMNIT_PROVER_BACKEND`` if set, else ``cupy`` when a GPU is present, else
    ``native`` when the C compiler works, else ``python``. A backend asked for by name (argument
    or environment) that cannot be created raises :class:`BackendError`; automatic selection falls
    back silently.
    """
    if name is None:
        name = os.environ.get(ENV_VAR) or None
    if name is not None:
        name = name.strip().lower()
        if name not in BACKEND_NAMES:
            raise UnknownBackend(name)
        with _LOCK:
            if name in _FAILED:
                raise _FAILED[name]
            if name not in _CACHE:
                try:
                    _CACHE[name] = _create(name)
                except BackendError as exc:
                    _FAILED[name] = exc
                    raise
                except Exception as exc:  # compiler missing, cupy missing, no device...
                    err = BackendError(name, str(exc))
                    _FAILED[name] = err
                    raise err from exc
            return _CACHE[name]
    candidates = (["cupy"] if _gpu_present() else []) + ["native"]
    for candidate in candidates:
        try:
            return get_backend(candidate)
        except BackendError:
            continue
    return get_backend("python")


def reset_backend_cache() -> None:
    """Forget created and failed backends (tests that change ``CC`` or the cache dir use it)."""
    with _LOCK:
        _CACHE.clear()
        _FAILED.clear()


def available_backends() -> list[str]:
    """Names of the backends that can be created on this machine, best first."""
    names: list[str] = []
    for candidate in BACKEND_NAMES:
        if candidate == "cupy" and not _gpu_present():
            continue
        try:
            get_backend(candidate)
        except BackendError:
            continue
        names.append(candidate)
    return names
