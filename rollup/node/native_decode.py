"""The native fast path of transaction decoding (``txdecode.c``), for the sequencer's intake.

``NativeDecoder.decode_many(raws)`` gives exactly what ``[decode_transaction(raw, chain_id)]``
gives, item by item (a transaction, or the exception the reference raises). The C library does
the costly part for a whole batch in one call that holds no Python object, so ctypes runs it
without the GIL and it overlaps with the event loop on the other core: RLP layout, keccak of the
raw bytes and of the signing payload, signature recovery (libsecp256k1 from coincurve: its
context and function addresses are handed over through cffi). Python then builds each
transaction from the reported field spans (a few µs). Anything the C code does not take (a
refusal, an access list, a deposit, a very large transaction) is decoded by the reference, so
every refusal keeps the reference's exception and message.

The library is compiled on first use with the system C compiler into the kernels' cache
directory (named by a digest of the sources and flags); :func:`load_native_decoder` returns
None where that is impossible (no compiler, no coincurve cffi binding), and the node falls back
to decoding in worker processes.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Sequence

from rollup.core.exceptions import TransactionError
from rollup.core.transactions import DynamicFeeTransaction, LegacyTransaction, decode_transaction
from rollup.core.types import Address, ChainId, Gas, Hash32, Nonce, Wei

__all__ = ["NativeDecoder", "load_native_decoder", "SOURCE", "ABI_VERSION"]

_log = logging.getLogger(__name__)

SOURCE: Final = Path(__file__).with_name("txdecode.c")
"""The C source (shipped as package data)."""

ABI_VERSION: Final = 1
"""Must equal ``OMNIT_TXDECODE_ABI`` in ``txdecode.c``."""

_FLAGS: Final = ("-O2", "-std=gnu11", "-fPIC", "-shared")
"""Compiler flags (no OpenMP: one batch is one thread's work; the node runs it in a thread)."""

_SPANS: Final = 12
"""Field spans per transaction in the library's output (``OMNIT_TX_SPANS``)."""

_LOCK = threading.Lock()
_CACHED: dict[int, NativeDecoder | None] = {}


def _build() -> Path:
    from kernels.loader import cache_dir, find_compiler
    from kernels.source import KERNEL_DIR

    argv = find_compiler()
    header = KERNEL_DIR / "keccak_core.cuh"
    digest = hashlib.sha256()
    for part in (SOURCE.read_bytes(), header.read_bytes(), " ".join(argv + list(_FLAGS)).encode()):
        digest.update(part + b"\0")
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"omnit_txdecode_{digest.hexdigest()[:24]}.so"
    if target.exists():
        return target
    fd, tmp_name = tempfile.mkstemp(prefix=".build-", suffix=".so", dir=directory)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        done = subprocess.run([*argv, *_FLAGS, "-I", str(KERNEL_DIR), str(SOURCE), "-o", str(tmp)],
                              capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"cc failed ({done.returncode}): {done.stderr.strip()[:2000]}")
        os.replace(tmp, target)  # atomic: a concurrent builder never sees half a file
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _secp_api() -> tuple[int, int, int, int]:
    """coincurve's libsecp256k1: (context, parse_compact, recover, serialize) addresses."""
    from coincurve._libsecp256k1 import ffi, lib
    from coincurve.context import GLOBAL_CONTEXT

    def address(obj: Any) -> int:
        return int(ffi.cast("uintptr_t", obj))

    return (address(GLOBAL_CONTEXT.ctx),
            address(ffi.addressof(lib, "secp256k1_ecdsa_recoverable_signature_parse_compact")),
            address(ffi.addressof(lib, "secp256k1_ecdsa_recover")),
            address(ffi.addressof(lib, "secp256k1_ec_pubkey_serialize")))


@dataclass(frozen=True, slots=True)
class _Scan:
    """What the C batch call reported (see ``omnit_tx_decode_batch`` in ``txdecode.c``)."""

    raws: list[bytes]
    status: list[int]
    spans: list[int]
    senders: bytes
    hashes: bytes


class NativeDecoder:
    """The loaded library, bound to one chain id."""

    def __init__(self, path: Path, chain_id: int) -> None:
        lib = ctypes.CDLL(str(path))
        lib.omnit_txdecode_abi.restype = ctypes.c_int
        if lib.omnit_txdecode_abi() != ABI_VERSION:
            raise RuntimeError(f"{path}: ABI {lib.omnit_txdecode_abi()}, expected {ABI_VERSION}")
        fn = lib.omnit_tx_decode_batch
        fn.restype = None
        fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_uint64,
                       ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                       ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        self._fn = fn
        self._secp = _secp_api()
        self.chain_id = chain_id
        self.path = path

    def decode_many(self, raws: Sequence[bytes]) -> list[Any]:
        """Per raw transaction: the decoded transaction, or the exception the reference
        decoder raises for it (as :func:`rollup.core.transactions.decode_transaction`)."""
        return self.build(self.scan(raws))

    def scan(self, raws: Sequence[bytes]) -> _Scan:
        """The C part (no Python object is touched while it runs: call it in a thread)."""
        n = len(raws)
        blobs = [r if type(r) is bytes else bytes(r) for r in raws]
        status = (ctypes.c_int32 * n)()
        spans = (ctypes.c_int32 * (2 * _SPANS * n))()
        senders = ctypes.create_string_buffer(20 * n)
        hashes = ctypes.create_string_buffer(32 * n)
        if n:
            ptrs = (ctypes.c_char_p * n)(*blobs)  # borrows the buffers of `blobs` (kept alive)
            lens = (ctypes.c_int64 * n)(*map(len, blobs))
            self._fn(ptrs, lens, n, self.chain_id, *self._secp, status, spans, senders, hashes)
        return _Scan(blobs, list(status), memoryview(spans).cast("B").cast("i").tolist(),
                     senders.raw, hashes.raw)

    def build(self, scan: _Scan) -> list[Any]:
        """The transactions (or the reference's exceptions) from a :meth:`scan`."""
        return self._build(scan.raws, scan.status, scan.spans, scan.senders, scan.hashes)

    def _build(self, raws: list[bytes], status: list[int], spans: list[int], senders: bytes,
               hashes: bytes) -> list[Any]:
        out: list[Any] = []
        chain_id = ChainId(self.chain_id)
        for i, raw in enumerate(raws):
            if status[i] != 0:
                try:
                    out.append(decode_transaction(raw, self.chain_id))
                except TransactionError as exc:
                    out.append(exc)
                continue
            k = 2 * _SPANS * i
            f = [raw[spans[j]:spans[j] + spans[j + 1]] for j in range(k, k + 2 * _SPANS, 2)]
            sender = Address(senders[20 * i:20 * i + 20])
            tx_hash = Hash32(hashes[32 * i:32 * i + 32])
            if raw[0] == 0x02:
                out.append(DynamicFeeTransaction(
                    chain_id, Nonce(int.from_bytes(f[1], "big")), Wei(int.from_bytes(f[2], "big")),
                    Wei(int.from_bytes(f[3], "big")), Gas(int.from_bytes(f[4], "big")),
                    Address(f[5]), Wei(int.from_bytes(f[6], "big")), f[7], (),
                    int.from_bytes(f[9], "big"), int.from_bytes(f[10], "big"),
                    int.from_bytes(f[11], "big"), sender, tx_hash, raw))
            else:
                v = int.from_bytes(f[6], "big")
                out.append(LegacyTransaction(
                    Nonce(int.from_bytes(f[0], "big")), Wei(int.from_bytes(f[1], "big")),
                    Gas(int.from_bytes(f[2], "big")), Address(f[3]),
                    Wei(int.from_bytes(f[4], "big")), f[5], chain_id, v,
                    int.from_bytes(f[7], "big"), int.from_bytes(f[8], "big"), sender, tx_hash, raw))
        return out


def load_native_decoder(chain_id: int) -> NativeDecoder | None:
    """The native decoder for ``chain_id`` (built on first use), or None if it cannot be built
    or loaded here (the reason is logged once)."""
    with _LOCK:
        if chain_id not in _CACHED:
            try:
                _CACHED[chain_id] = NativeDecoder(_build(), chain_id)
            except Exception as exc:  # noqa: BLE001 - any failure means: use the fallback
                _log.warning("native transaction decoder unavailable (%s); using worker processes",
                             exc)
                _CACHED[chain_id] = None
        return _CACHED[chain_id]
