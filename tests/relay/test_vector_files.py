"""The committed relay vectors equal a fresh build from the Python reference."""

from __future__ import annotations

import json

import pytest

from gen_vectors import FILES, VECTORS_DIR, render


@pytest.mark.parametrize("name", sorted(FILES))
def test_vector_file_is_current(name: str) -> None:
    path = VECTORS_DIR / name
    assert path.is_file(), f"{name} missing: run python tests/relay/gen_vectors.py"
    assert path.read_text() == render(FILES[name]()), f"{name} is stale: run python tests/relay/gen_vectors.py"
    json.loads(path.read_text())
