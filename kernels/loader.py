"""Build ``keccak.cu`` with the system C compiler and load it with ctypes (the CPU path).

The library is compiled on first use into a cache directory (``$OMNIT_CACHE_DIR/kernels`` or
``~/.cache/omnit/kernels``), named by a digest of the sources, compiler and flags, so a changed
source or flag rebuilds and nothing binary is committed. ``python -m kernels`` prebuilds it
(``make kernels``).
"""

from __future__ import annotations

import ctypes
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from .errors import CompilerNotFound, KernelBuildError, KernelLoadError
from .source import KERNEL_DIR, MAIN_SOURCE, source_digest

__all__ = [
    "ABI_VERSION",
    "CPU_FLAGS",
    "CACHE_ENV",
    "cache_dir",
    "find_compiler",
    "build_native",
    "load_native",
    "NativeLibrary",
]

ABI_VERSION = 1
"""Must equal ``OMNIT_KERNELS_ABI`` in ``keccak.cu``; guards against a stale cached library."""

CPU_FLAGS = ("-O3", "-std=gnu11", "-fPIC", "-shared", "-x", "c")
"""Flags for the CPU build; ``-fopenmp`` is added when the compiler supports it."""

OPENMP_FLAG = "-fopenmp"
"""Flag enabling OpenMP (gcc, and clang with libomp)."""

NATIVE_ARCH_FLAG = "-march=native"
"""Tune for the build machine (BMI ``andn``/``rorx`` make keccak ~20% faster); the cache key then
includes the CPU's identity. Disabled by ``OMNIT_KERNELS_PORTABLE=1``."""

PORTABLE_ENV = "OMNIT_KERNELS_PORTABLE"
"""Set to 1 to build for the generic target of the compiler (no ``-march=native``)."""

CACHE_ENV = "OMNIT_CACHE_DIR"
"""Environment variable naming the cache root; the kernels go in its ``kernels`` subdirectory."""

_LOCK = threading.Lock()
_LOADED: dict[str, NativeLibrary] = {}


def cache_dir() -> Path:
    """Where built libraries are kept."""
    root = os.environ.get(CACHE_ENV)
    if root:
        return Path(root) / "kernels"
    return Path.home() / ".cache" / "omnit" / "kernels"


def find_compiler() -> list[str]:
    """The C compiler command: ``$CC`` (may carry arguments) or ``cc``; raises if not found."""
    spec = os.environ.get("CC") or "cc"
    argv = shlex.split(spec)
    if not argv or shutil.which(argv[0]) is None:
        raise CompilerNotFound(spec)
    return argv


def _cpu_identity() -> str:
    """Model name and feature flags of this CPU (part of the cache key of native builds)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        import platform

        return platform.processor() + platform.machine()
    wanted = [ln for ln in text.splitlines() if ln.startswith(("model name", "flags"))]
    return "\n".join(sorted(set(wanted)))


def _flag_sets(openmp: bool) -> list[list[str]]:
    """Flag sets to try, best first: OpenMP and native tuning, then without each."""
    archs = [[]] if os.environ.get(PORTABLE_ENV) == "1" else [[NATIVE_ARCH_FLAG], []]
    omps = [[OPENMP_FLAG], []] if openmp else [[]]
    return [[*CPU_FLAGS, *omp, *arch] for omp in omps for arch in archs]


def _compile(argv: list[str], flags: list[str], out: Path) -> subprocess.CompletedProcess[str]:
    cmd = [*argv, *flags, "-I", str(KERNEL_DIR), str(MAIN_SOURCE), "-o", str(out), "-lm"]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except FileNotFoundError as exc:
        raise CompilerNotFound(argv[0]) from exc


def build_native(force: bool = False, openmp: bool = True) -> Path:
    """Compile the CPU library if it is not cached; return its path.

    Tries with OpenMP and ``-march=native`` first and falls back to builds without them if the
    compiler rejects a flag (then the library is single-threaded or generic). Raises :class:`CompilerNotFound` or :class:`KernelBuildError`.
    """
    argv = find_compiler()
    attempts = _flag_sets(openmp)
    cpu = _cpu_identity()
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    last: subprocess.CompletedProcess[str] | None = None
    for flags in attempts:
        ident = cpu if NATIVE_ARCH_FLAG in flags else ""
        key = source_digest(" ".join(argv), " ".join(flags), sys.platform, str(ABI_VERSION), ident)
        target = directory / f"omnit_keccak_{key}.so"
        if target.exists() and not force:
            return target
        fd, tmp_name = tempfile.mkstemp(prefix=".build-", suffix=".so", dir=directory)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            last = _compile(argv, flags, tmp)
            if last.returncode == 0:
                os.replace(tmp, target)  # atomic: concurrent builders never see half a file
                return target
        finally:
            tmp.unlink(missing_ok=True)
    assert last is not None
    raise KernelBuildError(" ".join(argv), last.returncode, last.stderr)


_u8p = ctypes.c_void_p
_i64 = ctypes.c_int64


class NativeLibrary:
    """The loaded CPU library with typed entry points (raw pointers; see prover.native_backend)."""

    def __init__(self, path: Path) -> None:
        try:
            lib = ctypes.CDLL(str(path))
        except OSError as exc:
            raise KernelLoadError(str(path), str(exc)) from exc
        self.path = path
        lib.omnit_abi_version.restype = ctypes.c_int
        lib.omnit_abi_version.argtypes = []
        version = lib.omnit_abi_version()
        if version != ABI_VERSION:
            raise KernelLoadError(str(path), f"ABI version {version}, expected {ABI_VERSION}")
        lib.omnit_max_threads.restype = ctypes.c_int
        lib.omnit_max_threads.argtypes = []
        lib.omnit_hash_pairs.restype = None
        lib.omnit_hash_pairs.argtypes = [_u8p, _u8p, _i64]
        lib.omnit_keccak_packed.restype = None
        lib.omnit_keccak_packed.argtypes = [_u8p, _u8p, _i64, _u8p, ctypes.c_int]
        lib.omnit_keccak_ptrs.restype = None
        lib.omnit_keccak_ptrs.argtypes = [_u8p, _u8p, _i64, _u8p, ctypes.c_int]
        lib.omnit_merkle_reduce.restype = ctypes.c_int
        lib.omnit_merkle_reduce.argtypes = [_u8p, _i64, ctypes.c_int, _u8p]
        self._lib = lib

    @property
    def threads(self) -> int:
        """OpenMP threads the library will use."""
        return int(self._lib.omnit_max_threads())

    def hash_pairs(self, src: int, dst: int, n: int) -> None:
        """(a) ``n`` 64-byte inputs at ``src`` -> ``n`` digests at ``dst``."""
        self._lib.omnit_hash_pairs(src, dst, n)

    def keccak_packed(self, data: int, offsets: int, n: int, dst: int, leaf: bool) -> None:
        """(b) packed messages (``n + 1`` int64 offsets) -> digests."""
        self._lib.omnit_keccak_packed(data, offsets, n, dst, int(leaf))

    def keccak_ptrs(self, ptrs: int, lens: int, n: int, dst: int, leaf: bool) -> None:
        """(b') messages given by pointer and int64 length arrays -> digests."""
        self._lib.omnit_keccak_ptrs(ptrs, lens, n, dst, int(leaf))

    def merkle_reduce(self, src: int, n: int, levels: int, dst: int) -> None:
        """(c) reduce ``n`` nodes by ``levels`` levels."""
        if self._lib.omnit_merkle_reduce(src, n, levels, dst) != 0:
            raise MemoryError("omnit_merkle_reduce: out of memory")


def load_native(force_build: bool = False) -> NativeLibrary:
    """Build if needed and load the CPU library (cached per process and path)."""
    with _LOCK:
        path = build_native(force=force_build)
        key = str(path)
        if key not in _LOADED or force_build:
            _LOADED[key] = NativeLibrary(path)
        return _LOADED[key]


if __name__ == "__main__":  # ``python -m kernels.loader --build [--force]`` (the Makefile's form)
    from .__main__ import main as _main

    raise SystemExit(_main([a for a in sys.argv[1:] if a != "--build"]))
