"""The decode workers give exactly what ``decode_transaction`` gives, refusals included."""

from __future__ import annotations

import asyncio

import pytest

from rollup.core.exceptions import ChainIdMismatch, MalformedRLP
from rollup.core.transactions import decode_transaction
from rollup.node.decode_pool import CHUNK_MIN, DecodePool

from .conftest import CHAIN_ID


async def _ready(pool: DecodePool) -> None:
    pool.start()
    for _ in range(600):
        if pool.usable:
            return
        await asyncio.sleep(0.05)
    pytest.fail("decode workers did not start")


async def test_workers_decode_like_the_core(wallets) -> None:
    w = wallets[0]
    raws = [w.transfer(n, bytes(20) + b"", n + 1) for n in range(2 * CHUNK_MIN + 3)]
    raws[5] = b"\x02\xc1\x80"  # malformed
    other_chain = w.account.sign_transaction({
        "type": 2, "chainId": CHAIN_ID + 1, "nonce": 0, "to": bytes(20), "value": 1,
        "gas": 21_000, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 1})
    raws[7] = bytes(other_chain.raw_transaction)
    legacy = w.account.sign_transaction({  # pickled by fields like the type-2 ones
        "chainId": CHAIN_ID, "nonce": 9, "to": bytes(20), "value": 3, "gas": 21_000,
        "gasPrice": 10**10})
    raws[9] = bytes(legacy.raw_transaction)
    pool = DecodePool(2, CHAIN_ID)
    try:
        await _ready(pool)
        out = await pool.decode(raws)
    finally:
        pool.close()
    assert isinstance(out[5], MalformedRLP)
    assert isinstance(out[7], ChainIdMismatch)
    for i, raw in enumerate(raws):
        if i not in (5, 7):
            assert out[i] == decode_transaction(raw, CHAIN_ID)
    assert type(out[9]).__name__ == "LegacyTransaction"


def test_zero_processes_means_threads() -> None:
    pool = DecodePool(0, CHAIN_ID)
    pool.start()
    assert not pool.usable
    pool.close()
