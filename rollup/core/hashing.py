"""Keccak-256 for the core's hot paths.

:func:`keccak` is Ethereum's Keccak-256 (not NIST SHA3-256). The reference is eth-hash with
pycryptodome; its per-call overhead (a new hash object, a SmartPointer, a string buffer) is
about three times the hashing itself for the 32 to 200-byte inputs of the core. The fast path
calls pycryptodome's own compiled ``_keccak`` library through ctypes with a reused per-thread
state. If that library cannot be loaded the reference is used. Both are tested to agree.
"""

from __future__ import annotations

import ctypes
import threading
from typing import Callable

from eth_hash.auto import keccak as reference_keccak

__all__ = ["keccak", "reference_keccak", "FAST_KECCAK"]


def _load_fast() -> Callable[[bytes], bytes] | None:
    try:
        from Crypto.Hash import keccak as _pyc

        lib = ctypes.CDLL(_pyc._raw_keccak_lib._name)
        init, reset, absorb, digest = (
            lib.keccak_init, lib.keccak_reset, lib.keccak_absorb, lib.keccak_digest
        )
    except Exception:
        return None
    init.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_size_t, ctypes.c_uint8]
    reset.argtypes = [ctypes.c_void_p]
    absorb.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    digest.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint8]
    local = threading.local()

    def _state() -> tuple[int, ctypes.Array]:
        st = ctypes.c_void_p()
        if init(ctypes.byref(st), 64, 24) != 0:  # capacity 512 bits, 24 rounds
            raise RuntimeError("keccak_init failed")
        local.s = (st.value, ctypes.create_string_buffer(32))
        return local.s

    def fast_keccak(data: bytes) -> bytes:
        try:
            st, out = local.s
        except AttributeError:
            st, out = _state()
        reset(st)
        absorb(st, data, len(data))
        digest(st, out, 32, 1)  # padding byte 0x01: Keccak, not SHA3
        return out.raw

    try:
        if fast_keccak(b"") != reference_keccak(b""):
            return None
    except Exception:
        return None
    return fast_keccak


_FAST = _load_fast()

FAST_KECCAK: bool = _FAST is not None
"""Whether the ctypes fast path is in use (else every call goes to eth-hash)."""


keccak: Callable[[bytes], bytes] = _FAST or reference_keccak
"""Keccak-256 of ``data`` (``bytes`` only: the fast path passes it to C as ``char *``)."""
