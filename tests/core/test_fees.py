"""Base fee, burn, fee vault, L1 data fee, and inclusion errors."""

from __future__ import annotations

import pytest

from rollup.core import decode_transaction, validate_transaction
from rollup.core.builder import next_base_fee
from rollup.core.constants import DEFAULT_FEE_VAULT, GWEI, OMNIT
from rollup.core.exceptions import (
    BlockGasExhausted,
    FeeCapTooLow,
    GasLimitTooHigh,
    InsufficientFunds,
    IntrinsicGasTooLow,
    NonceTooHigh,
    NonceTooLow,
    PriorityFeeAboveFeeCap,
)
from rollup.core.fees import (
    calldata_gas,
    effective_gas_price,
    intrinsic_gas,
    l1_data_fee,
    l1_data_size,
    next_base_fee_from,
)
from txgen import sign_dynamic, sign_legacy

LIMIT = 100_000_000
FLOOR = 10_000_000


def test_base_fee_rules():
    b = 10 * GWEI
    assert next_base_fee_from(b, LIMIT // 2, LIMIT, FLOOR) == b  # at target
    assert next_base_fee_from(b, LIMIT, LIMIT, FLOOR) == b + b // 8  # full: +12.5%
    assert next_base_fee_from(b, 0, LIMIT, FLOOR) == b - b // 8  # empty: -12.5%
    assert next_base_fee_from(b, LIMIT * 3 // 4, LIMIT, FLOOR) == b + b // 16
    assert next_base_fee_from(FLOOR, 0, LIMIT, FLOOR) == FLOOR  # floor holds
    assert next_base_fee_from(FLOOR + 1, 0, LIMIT, FLOOR) == FLOOR
    assert next_base_fee_from(7, LIMIT // 2 + 1, LIMIT, 0) == 8  # rises by at least 1 wei


def test_base_fee_follows_blocks(chain):
    b1 = chain.build([])
    assert b1.header.base_fee == next_base_fee(chain.blocks[0].header, chain.config)
    assert b1.header.base_fee < chain.blocks[0].header.base_fee
    for _ in range(40):
        chain.build([])
    assert chain.head.base_fee == chain.config.min_base_fee


def test_intrinsic_and_calldata_gas():
    assert calldata_gas(b"\x00\x01\x00\xff") == 4 + 16 + 4 + 16
    assert intrinsic_gas(b"") == 21_000
    assert intrinsic_gas(b"\x01", ((b"\x00" * 20, (b"\x00" * 32,)),)) == 21_000 + 16 + 2400 + 1900


def test_l1_data_size_is_deterministic_estimate():
    assert l1_data_size(b"\x00" * 8 + b"\x01" * 3) == 3 + 2
    assert l1_data_size(b"\x00") == 1 and l1_data_size(b"") == 0
    assert l1_data_fee(b"\x01" * 10, 7) == 70 and l1_data_fee(b"\x01", 0) == 0


def test_fee_split_burn_vault_l1(chain):
    chain.l1_fee_per_byte = 3 * GWEI
    s = chain.signers[0]
    raw = s.tx(chain.addr(1), value=OMNIT, max_fee=100 * GWEI, max_priority=2 * GWEI)
    legacy = sign_legacy(chain.accounts[2].private_key, nonce=0, to=chain.addr(1), value=5,
                         gas_price=3 * GWEI)
    vault0 = chain.balance(DEFAULT_FEE_VAULT)
    bal0, bal2 = chain.balance(chain.addr(0)), chain.balance(chain.addr(2))
    block = chain.build([raw, legacy])
    base = block.header.base_fee
    r, rl = block.receipts
    assert r.effective_gas_price == base + 2 * GWEI
    assert rl.effective_gas_price == 3 * GWEI  # legacy: gas price is both caps
    assert r.l1_fee == l1_data_size(raw) * 3 * GWEI and r.l1_fee > 0
    assert chain.balance(chain.addr(0)) == bal0 - OMNIT - 21_000 * (base + 2 * GWEI) - r.l1_fee
    assert chain.balance(chain.addr(2)) == bal2 - 5 - 21_000 * 3 * GWEI - rl.l1_fee
    tips = 21_000 * 2 * GWEI + 21_000 * (3 * GWEI - base)
    assert chain.balance(DEFAULT_FEE_VAULT) == vault0 + tips + r.l1_fee + rl.l1_fee
    assert chain.globals().burned == 2 * 21_000 * base
    assert chain.conservation_gap() == 0


def test_effective_price_capped_by_max_fee():
    assert effective_gas_price(12, 5, 10) == 12
    assert effective_gas_price(20, 5, 10) == 15


def test_inclusion_errors_change_nothing(chain):
    k = chain.accounts[0].private_key
    to = chain.addr(1)
    b = chain.builder()
    base = b.env.base_fee
    cases = [
        (sign_dynamic(k, nonce=1, to=to), NonceTooHigh),
        (sign_dynamic(k, nonce=0, to=to, max_fee=base - 1, max_priority=0), FeeCapTooLow),
        (sign_dynamic(k, nonce=0, to=to, max_fee=GWEI, max_priority=2 * GWEI), PriorityFeeAboveFeeCap),
        (sign_dynamic(k, nonce=0, to=to, gas=20_999), IntrinsicGasTooLow),
        (sign_dynamic(k, nonce=0, to=to, value=10**6 * OMNIT), InsufficientFunds),
        (sign_dynamic(k, nonce=0, to=to, gas=LIMIT + 1), GasLimitTooHigh),
    ]
    for raw, exc in cases:
        with pytest.raises(exc):
            b.add(decode_transaction(raw, 7001))
    assert b.transactions == [] and b.gas_used == 0 and b.state.writes() == {}
    b.add(decode_transaction(sign_dynamic(k, nonce=0, to=to), 7001))
    with pytest.raises(NonceTooLow) as e:
        b.add(decode_transaction(sign_dynamic(k, nonce=0, to=to, value=1), 7001))
    assert (e.value.expected, e.value.got) == (1, 0)


def test_insufficient_funds_message(chain):
    raw = sign_dynamic(b"\x01" * 32, nonce=0, to=chain.addr(1), value=1)
    tx = decode_transaction(raw, 7001)
    env = chain.env()
    with pytest.raises(InsufficientFunds) as e:
        validate_transaction(chain.state, tx, env.base_fee, env)
    assert e.value.available == 0 and e.value.required == 1 + 21_000 * 10 * GWEI
    assert "has 0 wei, needs" in str(e.value)


def test_pool_validation_allows_future_nonce(chain):
    env = chain.env()
    tx = decode_transaction(sign_dynamic(chain.accounts[0].private_key, nonce=5, to=chain.addr(1)), 7001)
    validate_transaction(chain.state, tx, env.base_fee, env)
    with pytest.raises(NonceTooHigh):
        validate_transaction(chain.state, tx, env.base_fee, env, exact_nonce=True)


def test_block_gas_exhausted(chain):
    from rollup.core.config import ChainConfig
    from rollup.core.genesis import dev_genesis
    from dataclasses import replace
    from chainkit import Chain

    g = dev_genesis()
    small = Chain(replace(g, config=replace(g.config, block_gas_limit=50_000)))
    b = small.builder()
    b.add(decode_transaction(small.transfer(0, small.addr(1), 1), 7001))
    b.add(decode_transaction(small.transfer(1, small.addr(2), 1), 7001))
    with pytest.raises(BlockGasExhausted) as e:
        b.add(decode_transaction(small.transfer(2, small.addr(3), 1), 7001))
    assert (e.value.remaining, e.value.got) == (8_000, 21_000)
    assert len(b.transactions) == 2
    assert isinstance(ChainConfig(), ChainConfig)


def test_block_fits_1500_transfers():
    assert 100_000_000 // 21_000 > 1_500
