"""Protocol constants of the L2: chain id, limits, system addresses, gas schedule, fee parameters.

Values that a genesis file may override (unbonding delay, minimum stakes, base-fee floor...) are
the *defaults* of :class:`rollup.core.config.ChainConfig`; the state transition reads them from
the config, never from here directly.
"""

from __future__ import annotations

from typing import Final

from .types import Address, ChainId, Gas, Wei

__all__ = [
    "DEFAULT_CHAIN_ID",
    "OMNIT",
    "GWEI",
    "MAX_TX_SIZE",
    "MAX_EXTRA_DATA_SIZE",
    "SECP256K1_N",
    "SECP256K1_HALF_N",
    "UINT64_MAX",
    "UINT256_MAX",
    "SYSTEM_ADDRESS_PREFIX",
    "MODEL_REGISTRY_ADDRESS",
    "STAKING_ADDRESS",
    "TASK_REGISTRY_ADDRESS",
    "L2_TO_L1_ADDRESS",
    "DEFAULT_FEE_VAULT",
    "SYSTEM_ADDRESSES",
    "TX_TYPE_LEGACY",
    "TX_TYPE_DYNAMIC_FEE",
    "TX_TYPE_DEPOSIT",
    "TX_BASE_GAS",
    "CALLDATA_ZERO_BYTE_GAS",
    "CALLDATA_NONZERO_BYTE_GAS",
    "ACCESS_LIST_ADDRESS_GAS",
    "ACCESS_LIST_STORAGE_KEY_GAS",
    "SYSTEM_CALL_FAILED_GAS",
    "VIEW_CALL_GAS",
    "REGISTER_MODEL_GAS",
    "UPDATE_MODEL_GAS",
    "STAKE_GAS",
    "UNSTAKE_GAS",
    "CLAIM_UNBONDED_GAS",
    "POST_TASK_GAS",
    "SUBMIT_RESULT_GAS",
    "ATTEST_RESULT_GAS",
    "RECLAIM_EXPIRED_GAS",
    "WITHDRAW_GAS",
    "MAX_METADATA_URI_BYTES",
    "MAX_UNBONDING_ENTRIES",
    "ROLE_COMPUTE",
    "ROLE_VALIDATOR",
    "DEFAULT_BLOCK_GAS_LIMIT",
    "ELASTICITY_MULTIPLIER",
    "BASE_FEE_MAX_CHANGE_DENOMINATOR",
    "DEFAULT_MIN_BASE_FEE",
    "DEFAULT_INITIAL_BASE_FEE",
    "DEFAULT_L1_FEE_PER_BYTE",
    "DEFAULT_UNBONDING_DELAY",
    "DEFAULT_MIN_COMPUTE_STAKE",
    "DEFAULT_MIN_VALIDATOR_STAKE",
    "VALIDATION_SHARE_BPS",
    "BPS_DENOMINATOR",
    "QUORUM_NUMERATOR",
    "QUORUM_DENOMINATOR",
    "HEADER_VERSION",
    "RECEIPT_VERSION",
]

DEFAULT_CHAIN_ID: Final = ChainId(7001)
"""The OmniTensor L2's EIP-155 chain id (the L1 is 7000, the remote test chain 7002)."""

OMNIT: Final = Wei(10**18)
"""One OMNIT in wei: the L2 native currency has 18 decimals like ether."""

GWEI: Final = Wei(10**9)
"""One gwei (10**9 wei), the customary unit of gas prices."""

MAX_TX_SIZE: Final = 128 * 1024
"""Largest accepted raw transaction in bytes (128 KiB, geth's pool limit): bounds decode cost and
the L1 data a single transaction can force the batcher to post."""

MAX_EXTRA_DATA_SIZE: Final = 32
"""Largest header ``extra_data`` in bytes (what Ethereum clients and web3.py accept)."""

SECP256K1_N: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
"""Order of the secp256k1 group: ``r`` and ``s`` must lie in ``[1, N)``."""

SECP256K1_HALF_N: Final = SECP256K1_N // 2
"""Largest allowed ``s`` (EIP-2: a high ``s`` would make signatures malleable)."""

UINT64_MAX: Final = 2**64 - 1
"""Largest nonce and gas limit (EIP-2681)."""

UINT256_MAX: Final = 2**256 - 1
"""Largest value, fee cap and ABI ``uint256``."""

SYSTEM_ADDRESS_PREFIX: Final = b"OMNI"
"""First four bytes (``0x4f4d4e49``) of every system address, so they read as "OMNI" in hex dumps
and cannot collide with a key-derived address except with probability 2**-160."""

MODEL_REGISTRY_ADDRESS: Final = Address(SYSTEM_ADDRESS_PREFIX + bytes(15) + b"\x01")
"""``0x4f4d4e4900000000000000000000000000000001``: registerModel, updateModel, getModel."""

STAKING_ADDRESS: Final = Address(SYSTEM_ADDRESS_PREFIX + bytes(15) + b"\x02")
"""``0x4f4d4e4900000000000000000000000000000002``: stake, unstake, claimUnbonded, getStake."""

TASK_REGISTRY_ADDRESS: Final = Address(SYSTEM_ADDRESS_PREFIX + bytes(15) + b"\x03")
"""``0x4f4d4e4900000000000000000000000000000003``: postTask, submitResult, attestResult,
reclaimExpired, getTask."""

L2_TO_L1_ADDRESS: Final = Address(SYSTEM_ADDRESS_PREFIX + bytes(15) + b"\x04")
"""``0x4f4d4e4900000000000000000000000000000004``: withdraw (burn on the L2, leaf for the L1)."""

DEFAULT_FEE_VAULT: Final = Address(SYSTEM_ADDRESS_PREFIX + bytes(15) + b"\xfe")
"""``0x4f4d4e49000000000000000000000000000000fe``: the dev sequencer's fee vault (coinbase)."""

SYSTEM_ADDRESSES: Final = frozenset(
    {MODEL_REGISTRY_ADDRESS, STAKING_ADDRESS, TASK_REGISTRY_ADDRESS, L2_TO_L1_ADDRESS}
)
"""Addresses whose calls are dispatched to the built-in system contracts."""

TX_TYPE_LEGACY: Final = 0
"""Pseudo type number of an EIP-155 legacy transaction (its raw form starts with an RLP list)."""

TX_TYPE_DYNAMIC_FEE: Final = 2
"""EIP-1559 fee-market transaction type byte."""

TX_TYPE_DEPOSIT: Final = 0x7E
"""Deposit system transaction type byte (derived from L1 events, never signed; same number as
the OP stack's deposits)."""

TX_BASE_GAS: Final = Gas(21_000)
"""Intrinsic gas of every signed transaction (and the whole cost of a plain transfer)."""

CALLDATA_ZERO_BYTE_GAS: Final = Gas(4)
"""Intrinsic gas per zero byte of calldata (as on Ethereum)."""

CALLDATA_NONZERO_BYTE_GAS: Final = Gas(16)
"""Intrinsic gas per non-zero byte of calldata (as on Ethereum, EIP-2028)."""

ACCESS_LIST_ADDRESS_GAS: Final = Gas(2_400)
"""Intrinsic gas per access-list address (EIP-2930; accepted for compatibility, no effect)."""

ACCESS_LIST_STORAGE_KEY_GAS: Final = Gas(1_900)
"""Intrinsic gas per access-list storage key (EIP-2930)."""

SYSTEM_CALL_FAILED_GAS: Final = Gas(2_000)
"""Execution gas of a call to a system address with an unknown selector or undecodable data."""

VIEW_CALL_GAS: Final = Gas(5_000)
"""Execution gas of a view function (getTask, getModel, getStake...) called in a transaction."""

REGISTER_MODEL_GAS: Final = Gas(80_000)
"""Execution gas of registerModel (writes a model record and the model counter)."""

UPDATE_MODEL_GAS: Final = Gas(40_000)
"""Execution gas of updateModel (rewrites one model record)."""

STAKE_GAS: Final = Gas(40_000)
"""Execution gas of stake (stake record, account, totals)."""

UNSTAKE_GAS: Final = Gas(45_000)
"""Execution gas of unstake (moves stake to an unbonding entry)."""

CLAIM_UNBONDED_GAS: Final = Gas(30_000)
"""Execution gas of claimUnbonded."""

POST_TASK_GAS: Final = Gas(80_000)
"""Execution gas of postTask (task record, escrow, counter)."""

SUBMIT_RESULT_GAS: Final = Gas(60_000)
"""Execution gas of submitResult."""

ATTEST_RESULT_GAS: Final = Gas(60_000)
"""Execution gas of attestResult (includes the payout when it finalizes the task)."""

RECLAIM_EXPIRED_GAS: Final = Gas(30_000)
"""Execution gas of reclaimExpired."""

WITHDRAW_GAS: Final = Gas(60_000)
"""Execution gas of withdraw (burn and a withdrawal-tree leaf)."""

MAX_METADATA_URI_BYTES: Final = 2_048
"""Longest model metadata URI (UTF-8 bytes): bounds the model record and event sizes."""

MAX_UNBONDING_ENTRIES: Final = 32
"""Most pending unbonding entries per staker: bounds the stake record's size and claim cost."""

ROLE_COMPUTE: Final = 1
"""Staking role of a compute node (submits task results)."""

ROLE_VALIDATOR: Final = 2
"""Staking role of a validator (attests task results)."""

DEFAULT_BLOCK_GAS_LIMIT: Final = Gas(100_000_000)
"""Block gas limit: room for 4,761 transfers, so a 250 ms block holds the >1,500 needed."""

ELASTICITY_MULTIPLIER: Final = 2
"""EIP-1559 elasticity: the gas target is ``gas_limit // 2``."""

BASE_FEE_MAX_CHANGE_DENOMINATOR: Final = 8
"""EIP-1559: the base fee moves by at most 1/8 per block."""

DEFAULT_MIN_BASE_FEE: Final = Wei(10_000_000)
"""Base-fee floor (0.01 gwei): an idle L2 never drifts to a zero, spam-free-for-all base fee."""

DEFAULT_INITIAL_BASE_FEE: Final = Wei(GWEI)
"""Base fee of the genesis block (1 gwei)."""

DEFAULT_L1_FEE_PER_BYTE: Final = Wei(16 * GWEI)
"""Placeholder L1 data price per compressed byte (16 gas/byte at 1 gwei) until the L1 lands and
the sequencer sets the real one in the block env."""

DEFAULT_UNBONDING_DELAY: Final = 7 * 24 * 3600
"""Seconds of L2 block time before unstaked OMNIT can be claimed (7 days on mainnet)."""

DEFAULT_MIN_COMPUTE_STAKE: Final = Wei(100 * OMNIT)
"""Bonded compute stake needed to submit a task result."""

DEFAULT_MIN_VALIDATOR_STAKE: Final = Wei(1)
"""Bonded validator stake needed to attest (any positive stake; weight is pro rata)."""

VALIDATION_SHARE_BPS: Final = 1_000
"""Share of a task fee paid to the approving validators, in basis points (10%)."""

BPS_DENOMINATOR: Final = 10_000
"""Basis points in one whole."""

QUORUM_NUMERATOR: Final = 2
"""Quorum fraction numerator: approve (or reject) stake * 3 >= snapshot * 2."""

QUORUM_DENOMINATOR: Final = 3
"""Quorum fraction denominator."""

HEADER_VERSION: Final = 0
"""First field of the canonical header encoding."""

RECEIPT_VERSION: Final = 0
"""First field of the canonical receipt encoding."""
