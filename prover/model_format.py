"""Streaming readers for model-weight files: safetensors (own header parser + mmap) and PyTorch
``state_dict`` files (``torch.load(mmap=True, weights_only=True)``).

A reader yields :class:`TensorEntry` records sorted by name; each gives its raw little-endian
bytes as a zero-copy view into the memory-mapped file, so files larger than RAM stream through
the page cache and are never loaded whole.
"""

from __future__ import annotations

import json
import mmap
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from math import prod
from pathlib import Path
from typing import Any

import numpy as np

from .errors import (
    ModelFileError,
    NotAStateDict,
    SafetensorsHeaderError,
    TruncatedModelFile,
    UnknownDtype,
)

__all__ = [
    "DTYPE_SIZES",
    "MAX_HEADER_BYTES",
    "TensorEntry",
    "ModelFile",
    "open_model",
    "open_safetensors",
    "open_torch",
    "detect_format",
]

DTYPE_SIZES: dict[str, int] = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1,
    "U16": 2, "I16": 2, "F16": 2, "BF16": 2,
    "U32": 4, "I32": 4, "F32": 4,
    "U64": 8, "I64": 8, "F64": 8,
}
"""Canonical dtype names (the safetensors spelling) and their sizes in bytes; a tensor of any
other dtype cannot be committed."""

MAX_HEADER_BYTES = 100 * 1024 * 1024
"""Largest safetensors JSON header accepted (the reference implementation's limit)."""

_TORCH_DTYPES = {
    "torch.bool": "BOOL", "torch.uint8": "U8", "torch.int8": "I8",
    "torch.float8_e4m3fn": "F8_E4M3", "torch.float8_e5m2": "F8_E5M2",
    "torch.uint16": "U16", "torch.int16": "I16", "torch.float16": "F16",
    "torch.bfloat16": "BF16", "torch.uint32": "U32", "torch.int32": "I32",
    "torch.float32": "F32", "torch.uint64": "U64", "torch.int64": "I64",
    "torch.float64": "F64",
}


@dataclass(frozen=True, slots=True)
class TensorEntry:
    """One tensor: name, canonical dtype, shape, and a function returning its bytes."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    nbytes: int
    data: Callable[[], memoryview]


@dataclass(slots=True)
class ModelFile:
    """An open model file: its format, tensors sorted by name, and a close hook."""

    path: str
    format: str
    tensors: list[TensorEntry]
    _close: Callable[[], None]

    def close(self) -> None:
        """Release the memory map (views handed out before must no longer be used)."""
        self._close()

    def __enter__(self) -> ModelFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def detect_format(path: str | os.PathLike[str]) -> str:
    """``"safetensors"`` or ``"pytorch"`` from the first bytes (zip => PyTorch)."""
    p = str(path)
    try:
        with open(p, "rb") as fh:
            head = fh.read(9)
    except OSError as exc:
        raise ModelFileError(p, f"cannot read: {exc.strerror or exc}") from exc
    if head[:4] == b"PK\x03\x04":
        return "pytorch"
    if head[:2] == b"\x80\x02" or p.endswith((".pt", ".pth", ".bin")):
        return "pytorch"
    return "safetensors"


def _header_error(path: str, reason: str) -> SafetensorsHeaderError:
    return SafetensorsHeaderError(path, f"bad safetensors header: {reason}")


def _parse_safetensors_header(path: str, header: Any, data_size: int) -> list[tuple[str, str, tuple[int, ...], int, int]]:
    if not isinstance(header, dict):
        raise _header_error(path, "the header is not a JSON object")
    out = []
    for name, info in header.items():
        if name == "__metadata__":
            if not isinstance(info, dict):
                raise _header_error(path, "__metadata__ is not an object")
            continue
        if not isinstance(info, dict) or set(info) - {"dtype", "shape", "data_offsets"}:
            raise _header_error(path, f"entry {name!r} is not {{dtype, shape, data_offsets}}")
        dtype, shape, offs = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if not isinstance(dtype, str):
            raise _header_error(path, f"entry {name!r} has no dtype string")
        if dtype not in DTYPE_SIZES:
            raise UnknownDtype(path, name, dtype)
        if not isinstance(shape, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
        ):
            raise _header_error(path, f"entry {name!r} has a bad shape {shape!r}")
        if (
            not isinstance(offs, list)
            or len(offs) != 2
            or not all(isinstance(o, int) and not isinstance(o, bool) for o in offs)
            or not 0 <= offs[0] <= offs[1]
        ):
            raise _header_error(path, f"entry {name!r} has bad data_offsets {offs!r}")
        nbytes = prod(shape) * DTYPE_SIZES[dtype]
        if offs[1] - offs[0] != nbytes:
            raise _header_error(
                path, f"entry {name!r}: {offs[1] - offs[0]} bytes for shape {shape} {dtype}"
            )
        if offs[1] > data_size:
            raise TruncatedModelFile(
                path, f"tensor {name!r} ends at byte {offs[1]} but the data has {data_size}"
            )
        out.append((name, dtype, tuple(shape), offs[0], offs[1]))
    spans = sorted((b, e, n) for n, _, _, b, e in out if e > b)
    for (_, e1, n1), (b2, _, n2) in zip(spans, spans[1:]):
        if b2 < e1:
            raise _header_error(path, f"tensors {n1!r} and {n2!r} overlap")
    return sorted(out)


def open_safetensors(path: str | os.PathLike[str]) -> ModelFile:
    """Parse the header (8-byte LE length + JSON) and mmap the data; no tensor is loaded."""
    p = str(path)
    try:
        fh = open(p, "rb")
    except OSError as exc:
        raise ModelFileError(p, f"cannot open: {exc.strerror or exc}") from exc
    with fh:
        size = os.fstat(fh.fileno()).st_size
        if size < 8:
            raise TruncatedModelFile(p, f"{size} bytes is too short for a safetensors file")
        hlen = int.from_bytes(fh.read(8), "little")
        if hlen > MAX_HEADER_BYTES:
            raise _header_error(p, f"header length {hlen} exceeds {MAX_HEADER_BYTES}")
        if 8 + hlen > size:
            raise TruncatedModelFile(p, f"header of {hlen} bytes but the file has {size}")
        raw = fh.read(hlen)
        try:
            header = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise _header_error(p, f"not UTF-8 JSON ({exc})") from exc
        entries = _parse_safetensors_header(p, header, size - 8 - hlen)
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else None
    base = 8 + hlen
    if mm is not None and hasattr(mm, "madvise"):
        try:
            mm.madvise(mmap.MADV_SEQUENTIAL)
        except OSError:
            pass
    view = memoryview(mm) if mm is not None else memoryview(b"")

    def slicer(begin: int, end: int) -> Callable[[], memoryview]:
        return lambda: view[base + begin : base + end]

    tensors = [
        TensorEntry(name, dtype, shape, end - begin, slicer(begin, end))
        for name, dtype, shape, begin, end in entries
    ]

    def close() -> None:
        try:
            view.release()
        except BufferError:
            pass
        if mm is not None:
            try:
                mm.close()
            except BufferError:
                pass  # a caller still holds a view; the map is freed with it

    return ModelFile(p, "safetensors", tensors, close)


def open_torch(path: str | os.PathLike[str]) -> ModelFile:
    """Load a ``state_dict`` with ``torch.load(mmap=True, weights_only=True)``.

    Tensors stay backed by the file's memory map; a non-contiguous tensor is copied (alone)
    when its bytes are requested.
    """
    import torch

    p = str(path)
    try:
        obj = torch.load(p, map_location="cpu", mmap=True, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise NotAStateDict(p, f"not a plain state dict (refused by weights_only): {exc}") from exc
    except FileNotFoundError as exc:
        raise ModelFileError(p, "no such file") from exc
    except (RuntimeError, EOFError, ValueError, OSError) as exc:
        msg = str(exc)
        if "mmap" in msg and "zipfile" in msg.lower():
            raise ModelFileError(p, f"legacy (non-zip) PyTorch format, re-save it: {msg}") from exc
        raise TruncatedModelFile(p, f"corrupt or truncated PyTorch file: {msg}") from exc
    if not isinstance(obj, dict):
        raise NotAStateDict(p, f"top-level object is a {type(obj).__name__}, not a dict")
    tensors = []
    for name, value in obj.items():
        if not isinstance(name, str) or not isinstance(value, torch.Tensor):
            raise NotAStateDict(
                p, f"entry {name!r} is a {type(value).__name__}; expected str -> Tensor only"
            )
        dtype = _TORCH_DTYPES.get(str(value.dtype))
        if dtype is None:
            raise UnknownDtype(p, name, str(value.dtype))
        if value.layout != torch.strided or value.is_quantized:
            raise NotAStateDict(p, f"tensor {name!r} is sparse or quantized")

        def data(t: Any = value) -> memoryview:
            flat = t.detach().contiguous().reshape(-1).view(torch.uint8)
            return memoryview(flat.numpy())

        nbytes = value.numel() * DTYPE_SIZES[dtype]
        tensors.append(TensorEntry(name, dtype, tuple(int(d) for d in value.shape), nbytes, data))
    tensors.sort(key=lambda t: t.name)
    return ModelFile(p, "pytorch", tensors, lambda: None)


def open_model(path: str | os.PathLike[str], fmt: str | None = None) -> ModelFile:
    """Open a safetensors or PyTorch file (format sniffed unless ``fmt`` is given)."""
    if not Path(path).is_file():
        raise ModelFileError(str(path), "no such file")
    kind = fmt or detect_format(path)
    if kind == "safetensors":
        return open_safetensors(path)
    if kind == "pytorch":
        return open_torch(path)
    raise ModelFileError(str(path), f"unknown model format {kind!r}")


def as_u8(view: memoryview) -> np.ndarray:
    """A flat uint8 numpy view of a tensor's bytes (no copy)."""
    return np.frombuffer(view, dtype=np.uint8)
