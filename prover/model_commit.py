"""Model-weight commitments: a Merkle root over a model's tensors, streamed chunk by chunk.

The *data stream* of a model is the raw little-endian bytes of its tensors concatenated in
ascending name order. It is cut into ``chunk_size`` chunks (the last may be shorter); the chunks
are list-tree leaves (``data_root``). Each tensor's layout (name, dtype, shape, offset in the
stream, byte length) is a leaf of a second list tree (``layout_root``). The commitment is::

    root = keccak(u256(0) ++ u256(chunk_size) ++ u256(total_bytes) ++ layout_root ++ data_root)

so renaming, re-typing or re-shaping a tensor changes the root even when the bytes do not.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .backend import Backend, get_backend
from .errors import IndexOutOfRange, InvalidInput
from .hashing import keccak, leaf_hash, u256
from .merkle import ListProof, fold_proof, list_proof_from_hashes, list_root, list_root_from_hashes
from .model_format import ModelFile, TensorEntry, open_model

__all__ = [
    "MODEL_COMMIT_VERSION",
    "DEFAULT_CHUNK_SIZE",
    "BATCH_BYTES",
    "TensorLayout",
    "ModelCommitment",
    "ChunkProof",
    "encode_layout",
    "commitment_root",
    "commit_model",
    "prove_chunk",
    "verify_chunk",
    "read_chunk",
]

MODEL_COMMIT_VERSION = 0
"""Version word of the commitment preimage."""

DEFAULT_CHUNK_SIZE = 1 << 20
"""1 MiB chunks: large enough that per-chunk overhead vanishes and both cores stay busy, small
enough that a chunk proof ships a modest amount of data."""

BATCH_BYTES = 64 << 20
"""Bytes of chunks handed to the backend per call (bounds memory for chunks copied across
tensor boundaries and sets the progress granularity)."""

Progress = Callable[[int, int], None]
"""``progress(bytes_done, total_bytes)``, called after each batch."""


@dataclass(frozen=True, slots=True)
class TensorLayout:
    """Where a tensor sits in the data stream, and what it is."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    offset: int
    nbytes: int

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "name": self.name,
            "dtype": self.dtype,
            "shape": list(self.shape),
            "offset": self.offset,
            "nbytes": self.nbytes,
        }


def encode_layout(t: TensorLayout) -> bytes:
    """Leaf data of a tensor's layout: length-prefixed name and dtype, rank, dims, offset, size.

    ``u256(len(name)) ++ utf8(name) ++ u256(len(dtype)) ++ ascii(dtype) ++ u256(ndim) ++
    u256(dim_0) ++ ... ++ u256(offset) ++ u256(nbytes)``
    """
    name, dtype = t.name.encode("utf-8"), t.dtype.encode("ascii")
    dims = b"".join(u256(d) for d in t.shape)
    return (
        u256(len(name)) + name + u256(len(dtype)) + dtype + u256(len(t.shape)) + dims
        + u256(t.offset) + u256(t.nbytes)
    )


def commitment_root(chunk_size: int, total_bytes: int, layout_root: bytes, data_root: bytes) -> bytes:
    """``keccak(u256(0) ++ u256(chunk_size) ++ u256(total_bytes) ++ layout_root ++ data_root)``."""
    return keccak(
        u256(MODEL_COMMIT_VERSION) + u256(chunk_size) + u256(total_bytes) + layout_root + data_root
    )


@dataclass(frozen=True, slots=True)
class ModelCommitment:
    """The commitment to a model file and what it was computed over (JSON-serialisable)."""

    root: bytes
    layout_root: bytes
    data_root: bytes
    chunk_size: int
    num_chunks: int
    total_bytes: int
    format: str
    tensors: tuple[TensorLayout, ...]
    chunk_hashes: bytes = field(default=b"", repr=False, compare=False)

    def to_json(self, with_tensors: bool = True) -> dict[str, Any]:
        """JSON form; byte strings as 0x-hex."""
        out: dict[str, Any] = {
            "version": MODEL_COMMIT_VERSION,
            "root": "0x" + self.root.hex(),
            "layout_root": "0x" + self.layout_root.hex(),
            "data_root": "0x" + self.data_root.hex(),
            "chunk_size": self.chunk_size,
            "num_chunks": self.num_chunks,
            "total_bytes": self.total_bytes,
            "num_tensors": len(self.tensors),
            "format": self.format,
        }
        if with_tensors:
            out["tensors"] = [t.to_json() for t in self.tensors]
        return out


@dataclass(frozen=True, slots=True)
class ChunkProof:
    """Proof that a chunk is chunk ``index`` of the model committed to by ``root``."""

    root: bytes
    chunk_size: int
    total_bytes: int
    layout_root: bytes
    chunk: ListProof

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "version": MODEL_COMMIT_VERSION,
            "root": "0x" + self.root.hex(),
            "chunk_size": self.chunk_size,
            "total_bytes": self.total_bytes,
            "layout_root": "0x" + self.layout_root.hex(),
            "index": self.chunk.index,
            "num_chunks": self.chunk.size,
            "siblings": ["0x" + s.hex() for s in self.chunk.siblings],
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> ChunkProof:
        """Inverse of :meth:`to_json`."""
        try:
            unhex = lambda s: bytes.fromhex(str(s).removeprefix("0x"))  # noqa: E731
            return cls(
                unhex(obj["root"]),
                int(obj["chunk_size"]),
                int(obj["total_bytes"]),
                unhex(obj["layout_root"]),
                ListProof(
                    int(obj["index"]),
                    int(obj["num_chunks"]),
                    tuple(unhex(s) for s in obj["siblings"]),
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput("chunk proof", str(exc)) from exc


def _layouts(model: ModelFile) -> list[TensorLayout]:
    out, offset = [], 0
    for t in model.tensors:
        out.append(TensorLayout(t.name, t.dtype, t.shape, offset, t.nbytes))
        offset += t.nbytes
    return out


def _check_chunk_size(chunk_size: int) -> None:
    if not isinstance(chunk_size, int) or not 1 <= chunk_size <= (1 << 32):
        raise InvalidInput("chunk_size", f"{chunk_size!r} not in 1..2**32")


def _chunks(tensors: list[TensorEntry], chunk_size: int, first: int = 0) -> Iterator[memoryview | bytes]:
    """Chunks of the data stream from chunk ``first`` on: zero-copy views when a chunk lies in
    one tensor, a joined copy when it spans a boundary."""
    pending: list[memoryview] = []
    pending_len = 0
    skip = first * chunk_size
    for t in tensors:
        if t.nbytes == 0:
            continue
        if skip >= t.nbytes:
            skip -= t.nbytes
            continue
        view = t.data()
        pos = skip
        skip = 0
        if pending:
            take = min(chunk_size - pending_len, len(view) - pos)
            pending.append(view[pos : pos + take])
            pending_len += take
            pos += take
            if pending_len < chunk_size:
                continue
            yield b"".join(pending)
            pending, pending_len = [], 0
        while len(view) - pos >= chunk_size:
            yield view[pos : pos + chunk_size]
            pos += chunk_size
        if pos < len(view):
            pending, pending_len = [view[pos:]], len(view) - pos
    if pending:
        yield b"".join(pending)


def _chunk_hashes(
    model: ModelFile, chunk_size: int, backend: Backend, progress: Progress | None
) -> tuple[bytes, int]:
    total = sum(t.nbytes for t in model.tensors)
    per_batch = max(1, BATCH_BYTES // chunk_size)
    hashes: list[bytes] = []
    batch: list[memoryview | bytes] = []
    done = 0
    for chunk in _chunks(model.tensors, chunk_size):
        batch.append(chunk)
        if len(batch) == per_batch:
            hashes.append(backend.leaf_hashes(batch))
            done += sum(len(c) for c in batch)
            batch = []
            if progress:
                progress(done, total)
    if batch:
        hashes.append(backend.leaf_hashes(batch))
        done += sum(len(c) for c in batch)
    if progress:
        progress(done, total)
    return b"".join(hashes), total


def commit_model(
    path: str | os.PathLike[str],
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    backend: Backend | None = None,
    progress: Progress | None = None,
    fmt: str | None = None,
) -> ModelCommitment:
    """Commit to a safetensors or PyTorch ``state_dict`` file, streaming it through an mmap."""
    _check_chunk_size(chunk_size)
    be = backend or get_backend()
    with open_model(path, fmt) as model:
        layouts = _layouts(model)
        chunk_hashes, total = _chunk_hashes(model, chunk_size, be, progress)
        kind = model.format
    layout_root = list_root([encode_layout(t) for t in layouts], be)
    data_root = list_root_from_hashes(chunk_hashes, be)
    return ModelCommitment(
        root=commitment_root(chunk_size, total, layout_root, data_root),
        layout_root=layout_root,
        data_root=data_root,
        chunk_size=chunk_size,
        num_chunks=len(chunk_hashes) // 32,
        total_bytes=total,
        format=kind,
        tensors=tuple(layouts),
        chunk_hashes=chunk_hashes,
    )


def read_chunk(
    path: str | os.PathLike[str], index: int, chunk_size: int = DEFAULT_CHUNK_SIZE, fmt: str | None = None
) -> bytes:
    """The bytes of chunk ``index`` of the model's data stream."""
    _check_chunk_size(chunk_size)
    with open_model(path, fmt) as model:
        total = sum(t.nbytes for t in model.tensors)
        count = -(-total // chunk_size)
        if not 0 <= index < count:
            raise IndexOutOfRange(index, count)
        return bytes(next(_chunks(model.tensors, chunk_size, first=index)))


def prove_chunk(
    path: str | os.PathLike[str],
    index: int,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    backend: Backend | None = None,
    commitment: ModelCommitment | None = None,
) -> tuple[bytes, ChunkProof]:
    """Chunk ``index`` and its proof (recomputes the commitment unless one with hashes is given)."""
    c = commitment
    if c is None or not c.chunk_hashes or c.chunk_size != chunk_size:
        c = commit_model(path, chunk_size, backend)
    if not 0 <= index < c.num_chunks:
        raise IndexOutOfRange(index, c.num_chunks)
    proof = list_proof_from_hashes(c.chunk_hashes, index, backend)
    chunk = read_chunk(path, index, chunk_size)
    return chunk, ChunkProof(c.root, c.chunk_size, c.total_bytes, c.layout_root, proof)


def verify_chunk(root: bytes, chunk: bytes, proof: ChunkProof) -> bool:
    """True iff ``chunk`` is chunk ``proof.chunk.index`` of the model committed to by ``root``."""
    p = proof.chunk
    if proof.chunk_size < 1 or proof.total_bytes < 0:
        return False
    count = -(-proof.total_bytes // proof.chunk_size)
    if p.size != count or not 0 <= p.index < count:
        return False
    expected = min(proof.chunk_size, proof.total_bytes - p.index * proof.chunk_size)
    if len(chunk) != expected or len(p.siblings) != max(count - 1, 0).bit_length():
        return False
    if any(len(s) != 32 for s in p.siblings) or len(proof.layout_root) != 32:
        return False
    tree = fold_proof(leaf_hash(chunk), p.index, p.siblings)
    data_root = keccak(tree + u256(count))
    return commitment_root(proof.chunk_size, proof.total_bytes, proof.layout_root, data_root) == root
