"""Fees: intrinsic gas, the EIP-1559 base fee, effective gas price, and the L1 data fee.

A signed transaction pays, in wei:

- ``gas_used * base_fee``: burned (``Globals.burned``);
- ``gas_used * priority``, ``priority = min(max_priority_fee, max_fee - base_fee)``: fee vault;
- ``l1_fee = l1_data_size(raw) * l1_fee_per_byte``: fee vault.

``l1_data_size`` is a deterministic estimate of the compressed size, *not* zlib's output: the
stdlib's zlib is whatever the platform links (zlib, zlib-ng...) and their compressed lengths
differ, which would make nodes disagree on fees and hence on the state root. The estimate counts
a non-zero byte as 1 and a zero byte as 1/4 (Ethereum's 16/4 calldata ratio), rounded up.

Inclusion requires ``balance >= value + gas_limit * max_fee + l1_fee``.
"""

from __future__ import annotations

from .constants import (
    ACCESS_LIST_ADDRESS_GAS,
    ACCESS_LIST_STORAGE_KEY_GAS,
    BASE_FEE_MAX_CHANGE_DENOMINATOR,
    CALLDATA_NONZERO_BYTE_GAS,
    CALLDATA_ZERO_BYTE_GAS,
    ELASTICITY_MULTIPLIER,
    TX_BASE_GAS,
)
from .types import Gas, Wei

__all__ = [
    "calldata_gas",
    "intrinsic_gas",
    "next_base_fee_from",
    "effective_priority_fee",
    "effective_gas_price",
    "l1_data_size",
    "l1_data_fee",
]


def calldata_gas(data: bytes) -> Gas:
    """16 gas per non-zero byte, 4 per zero byte."""
    zeros = data.count(0)
    return Gas(zeros * CALLDATA_ZERO_BYTE_GAS + (len(data) - zeros) * CALLDATA_NONZERO_BYTE_GAS)


def intrinsic_gas(data: bytes, access_list: tuple = ()) -> Gas:
    """21,000 + calldata gas + access-list gas: the least gas limit a transaction may carry."""
    gas = TX_BASE_GAS + calldata_gas(data) if data else TX_BASE_GAS
    for _, keys in access_list:
        gas += ACCESS_LIST_ADDRESS_GAS + ACCESS_LIST_STORAGE_KEY_GAS * len(keys)
    return Gas(gas)


def next_base_fee_from(
    parent_base_fee: int, parent_gas_used: int, parent_gas_limit: int, min_base_fee: int
) -> Wei:
    """EIP-1559 update: target = limit / 2, at most 1/8 change per block, never below the floor.

    Above target the fee rises by at least 1 wei; below it falls proportionally.
    """
    target = parent_gas_limit // ELASTICITY_MULTIPLIER
    if target == 0 or parent_gas_used == target:
        fee = parent_base_fee
    elif parent_gas_used > target:
        delta = parent_base_fee * (parent_gas_used - target) // target // BASE_FEE_MAX_CHANGE_DENOMINATOR
        fee = parent_base_fee + max(delta, 1)
    else:
        delta = parent_base_fee * (target - parent_gas_used) // target // BASE_FEE_MAX_CHANGE_DENOMINATOR
        fee = parent_base_fee - delta
    return Wei(max(fee, min_base_fee))


def effective_priority_fee(max_fee: int, max_priority_fee: int, base_fee: int) -> Wei:
    """``min(max_priority_fee, max_fee - base_fee)`` (requires ``max_fee >= base_fee``)."""
    return Wei(min(max_priority_fee, max_fee - base_fee))


def effective_gas_price(max_fee: int, max_priority_fee: int, base_fee: int) -> Wei:
    """What each unit of gas costs the sender: base fee + effective priority fee."""
    return Wei(base_fee + min(max_priority_fee, max_fee - base_fee))


def l1_data_size(raw: bytes) -> int:
    """Estimated compressed size: non-zero bytes + ceil(zero bytes / 4) (deterministic)."""
    zeros = raw.count(0)
    return len(raw) - zeros + (zeros + 3) // 4


def l1_data_fee(raw: bytes, l1_fee_per_byte: int) -> Wei:
    """``l1_data_size(raw) * l1_fee_per_byte``; deposits pay none."""
    if not l1_fee_per_byte:
        return Wei(0)
    return Wei(l1_data_size(raw) * l1_fee_per_byte)
