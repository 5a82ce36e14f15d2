"""Chain parameters (fixed at genesis) and the per-block execution environment."""

from __future__ import annotations

from dataclasses import dataclass, field

from .constants import (
    DEFAULT_BLOCK_GAS_LIMIT,
    DEFAULT_CHAIN_ID,
    DEFAULT_FEE_VAULT,
    DEFAULT_INITIAL_BASE_FEE,
    DEFAULT_L1_FEE_PER_BYTE,
    DEFAULT_MIN_BASE_FEE,
    DEFAULT_MIN_COMPUTE_STAKE,
    DEFAULT_MIN_VALIDATOR_STAKE,
    DEFAULT_UNBONDING_DELAY,
)
from .types import Address, ChainId, Gas, Hash32, L1BlockNumber, L2BlockNumber, Timestamp, Wei

__all__ = ["ChainConfig", "BlockEnv"]


@dataclass(frozen=True, slots=True)
class ChainConfig:
    """Parameters of one L2 chain, set by its genesis file and never changed afterwards."""

    chain_id: ChainId = DEFAULT_CHAIN_ID
    unbonding_delay: int = DEFAULT_UNBONDING_DELAY
    min_compute_stake: Wei = DEFAULT_MIN_COMPUTE_STAKE
    min_validator_stake: Wei = DEFAULT_MIN_VALIDATOR_STAKE
    min_base_fee: Wei = DEFAULT_MIN_BASE_FEE
    initial_base_fee: Wei = DEFAULT_INITIAL_BASE_FEE
    block_gas_limit: Gas = DEFAULT_BLOCK_GAS_LIMIT


@dataclass(frozen=True, slots=True)
class BlockEnv:
    """Everything the state transition needs to know about the block being built.

    ``base_fee`` comes from :func:`rollup.core.fees.next_base_fee` of the parent;
    ``l1_fee_per_byte`` is set by the sequencer (a placeholder constant until the L1 lands);
    ``fee_vault`` (the coinbase) receives priority fees and L1 data fees.
    """

    number: L2BlockNumber
    timestamp: Timestamp
    parent_hash: Hash32
    base_fee: Wei
    config: ChainConfig = field(default_factory=ChainConfig)
    gas_limit: Gas = DEFAULT_BLOCK_GAS_LIMIT
    fee_vault: Address = DEFAULT_FEE_VAULT
    l1_fee_per_byte: Wei = DEFAULT_L1_FEE_PER_BYTE
    l1_origin_number: L1BlockNumber = L1BlockNumber(0)
    l1_origin_hash: Hash32 = Hash32(bytes(32))
    extra_data: bytes = b""

    @property
    def chain_id(self) -> ChainId:
        return self.config.chain_id
