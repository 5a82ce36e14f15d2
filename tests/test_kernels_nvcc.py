"""The CUDA source compiles for sm_90 with the installed nvcc (no GPU needed).

Two builds run concurrently: ``keccak.cu`` from disk to a cubin (device code through ptxas),
and the single inlined string CuPy hands to NVRTC, to PTX.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kernels.cuda import KERNEL_NAMES
from kernels.source import KERNEL_DIR, MAIN_SOURCE, inlined_source

NVCC = shutil.which("nvcc")



@pytest.fixture(autouse=True)
def _require_nvcc() -> None:
    """The compile check is a requirement, not an option: the build machines have nvcc."""
    if NVCC is None:
        pytest.fail("nvcc not found on PATH: install the CUDA toolkit (no GPU is needed)")


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str, Path]]:
    tmp = tmp_path_factory.mktemp("nvcc")
    inlined = tmp / "inlined.cu"
    inlined.write_text(inlined_source())
    jobs = {
        "cubin": (
            [NVCC, "-arch=sm_90", "-cubin", "-I", str(KERNEL_DIR), str(MAIN_SOURCE)],
            tmp / "keccak.cubin",
        ),
        "ptx": ([NVCC, "-arch=sm_90", "-ptx", str(inlined)], tmp / "inlined.ptx"),
    }
    procs = {
        k: subprocess.Popen([*cmd, "-o", str(out)], stderr=subprocess.PIPE, text=True)
        for k, (cmd, out) in jobs.items()
    }
    results = {}
    for k, proc in procs.items():
        _, err = proc.communicate(timeout=600)
        results[k] = (proc.returncode, err, jobs[k][1])
    return results


def test_keccak_cu_compiles_for_sm90(builds) -> None:
    code, err, out = builds["cubin"]
    assert code == 0, err
    blob = out.read_bytes()
    for name in KERNEL_NAMES:
        assert name.encode() in blob


def test_inlined_source_compiles_to_ptx(builds) -> None:
    code, err, out = builds["ptx"]
    assert code == 0, err
    ptx = out.read_text()
    assert ".target sm_90" in ptx
    for name in KERNEL_NAMES:
        assert f".entry {name}" in ptx
