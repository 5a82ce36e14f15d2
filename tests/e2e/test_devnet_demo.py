"""``omnit devnet --demo`` as a user runs it: a subprocess that must exit 0 within 3 minutes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_devnet_demo_exits_zero(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIT_")}
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "rollup.cli", "devnet", "--demo", "--port", "0",
                          "--dir", str(tmp_path / "devnet")], env=env, capture_output=True, text=True,
                         timeout=280)
    elapsed = time.monotonic() - started
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]
    assert elapsed < 240, f"demo took {elapsed:.0f}s"
    text = out.stdout
    for needle in ("L1 RPC", "L2 RPC", "OmniPortal", "deposit 100 OMNIT", "registerModel", "stake",
                   "postTask", "submitResult", "TaskFinalized", "withdraw", "finalizeWithdrawal",
                   "every balance is exactly as expected", "replica:",
                   "Cross-chain relay", "wrapped OMNIT minted on 7002", "back on the L1",
                   "attested on 7002", "demo finished"):
        assert needle in text, f"{needle!r} missing:\n{text[-4000:]}"
