"""The committed L2 vectors match what the code computes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from vectors import build_vectors

VECTORS = Path(__file__).resolve().parent.parent / "vectors"


@pytest.mark.parametrize("name,content", sorted(build_vectors().items()))
def test_vector_file(name, content):
    path = VECTORS / name
    if os.environ.get("OMNIT_REGEN_VECTORS") == "1":
        path.write_text(json.dumps(content, indent=2) + "\n")
    assert json.loads(path.read_text()) == content
