"""The destination-gas benchmark (relayer.bench_gas) runs and reports in the agreed shape."""

from __future__ import annotations

import pytest

from relayer.bench_gas import measure

pytestmark = pytest.mark.slow


async def test_bench_small_sizes() -> None:
    result = await measure(sizes=(4, 16), burst=4, with_apk_schemes=True)
    assert list(result)[-1] == "ratio"
    rows = {r["validators"]: r for r in result["results"]}
    assert set(rows) == {4, 16}
    for r in rows.values():
        assert r["bls"]["burst_per_message"] < r["bls"]["single"]
        assert 100_000 < r["ecdsa"]["single"] < 300_000
    # ECDSA grows with the signers, BLS barely
    assert rows[16]["ecdsa"]["single"] - rows[4]["ecdsa"]["single"] > 40_000
    assert rows[16]["bls"]["single"] - rows[4]["bls"]["single"] < 20_000
    schemes = result["apk_schemes"]["16"]
    assert schemes["blobSubtract"] == min(schemes.values())
