"""Building and loading the CPU kernels; backend selection."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kernels import CompilerNotFound, KernelBuildError, build_native, cache_dir
from kernels.loader import find_compiler, load_native
from kernels.source import inlined_source
from prover.backend import available_backends, get_backend, reset_backend_cache
from prover.errors import BackendError, UnknownBackend


def test_missing_compiler_is_a_typed_error(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OMNIT_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("CC", "/nonexistent/bin/omnit-cc")
    with pytest.raises(CompilerNotFound) as info:
        build_native()
    assert "/nonexistent/bin/omnit-cc" in str(info.value)
    assert "OMNIT_PROVER_BACKEND=python" in str(info.value)


def test_missing_compiler_forced_native_backend(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OMNIT_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("CC", "no-such-compiler-xyz")
    reset_backend_cache()
    try:
        with pytest.raises(BackendError) as info:
            get_backend("native")
        assert "no-such-compiler-xyz" in str(info.value)
        # automatic selection falls back to the reference
        monkeypatch.delenv("OMNIT_PROVER_BACKEND", raising=False)
        assert get_backend().name == "python"
    finally:
        reset_backend_cache()


def test_compiler_error_is_reported(monkeypatch, tmp_path: Path) -> None:
    fake = tmp_path / "fakecc"
    fake.write_text("#!/bin/sh\necho 'fake: syntax error' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("OMNIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CC", str(fake))
    with pytest.raises(KernelBuildError) as info:
        build_native()
    assert info.value.returncode == 3
    assert "syntax error" in str(info.value)


def test_build_into_cache_dir_and_reuse(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OMNIT_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("OMNIT_KERNELS_PORTABLE", "1")
    first = build_native()
    assert first.parent == cache_dir() == tmp_path / "kernels"
    mtime = first.stat().st_mtime_ns
    assert build_native() == first and first.stat().st_mtime_ns == mtime
    lib = load_native()
    assert lib.threads >= 1


def test_cc_with_arguments(monkeypatch) -> None:
    monkeypatch.setenv("CC", "cc -w")
    assert find_compiler() == ["cc", "-w"]


def test_prebuild_entry_point() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "kernels"], capture_output=True, text=True, check=True
    )
    assert "omnit_keccak_" in out.stdout


def test_source_is_inlined_for_nvrtc() -> None:
    src = inlined_source()
    assert '#include "keccak_core.cuh"' not in src
    assert "omnit_keccakf" in src and "omnit_hash_pairs_kernel" in src


def test_backend_selection(monkeypatch) -> None:
    monkeypatch.setenv("OMNIT_PROVER_BACKEND", "python")
    assert get_backend().name == "python"
    monkeypatch.setenv("OMNIT_PROVER_BACKEND", "native")
    assert get_backend().name == "native"
    assert get_backend("PYTHON").name == "python"
    with pytest.raises(UnknownBackend):
        get_backend("fortran")
    monkeypatch.delenv("OMNIT_PROVER_BACKEND")
    assert get_backend().name in ("native", "cupy")
    assert "python" in available_backends() and "native" in available_backends()


def test_cupy_forced_without_gpu_is_clear() -> None:
    try:
        import cupy  # noqa: F401
    except ImportError:
        with pytest.raises(BackendError) as info:
            get_backend("cupy")
        assert "cupy" in str(info.value)


def test_portable_build_matches_tuned_build(monkeypatch, tmp_path: Path) -> None:
    """The generic (scalar) build and the -march=native build (4-way AVX2 path) agree."""
    import os

    from kernels.loader import NativeLibrary
    from prover.native_backend import NativeBackend

    monkeypatch.setenv("OMNIT_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("OMNIT_KERNELS_PORTABLE", "1")
    portable = NativeBackend(NativeLibrary(build_native()))
    tuned = get_backend("native")
    pairs = os.urandom(64 * 1001)
    assert portable.hash_pairs(pairs) == tuned.hash_pairs(pairs)
    msgs = [os.urandom(n) for n in (0, 135, 136, 137, 5000) for _ in range(4)]
    assert portable.leaf_hashes(msgs) == tuned.leaf_hashes(msgs)
    big = memoryview(os.urandom(4 * 70_001))
    chunks = [big[i * 70_001 : (i + 1) * 70_001] for i in range(4)]
    assert portable.leaf_hashes(chunks) == tuned.leaf_hashes(chunks)
