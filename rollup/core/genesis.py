"""Genesis: the file format, the dev genesis (test mnemonic), and block 0.

Genesis file (JSON; quantities as decimal strings, ``0x`` hex strings or JSON integers, so that
256-bit values never pass through a 64-bit JSON number)::

    {
      "version": 0,
      "chainId": 7001,
      "timestamp": 0,
      "unbondingDelay": 604800,
      "minComputeStake": "100000000000000000000",
      "minValidatorStake": "1",
      "minBaseFee": "10000000",
      "initialBaseFee": "1000000000",
      "gasLimit": 100000000,
      "feeVault": "0x4f4d4e49000000000000000000000000000000fe",
      "extraData": "0x",
      "alloc": {"0xf39f...": {"balance": "10000000000000000000000",
                              "computeStake": "0", "validatorStake": "0"}}
    }

Every field but ``alloc`` is optional (defaults: :class:`ChainConfig`). Stakes are bonded at
genesis on top of the balance; the genesis supply is the sum of balances and stakes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from eth_account import Account as EthAccount
from prover.merkle import list_root

from .blocks import Header
from .builder import SealedBlock, StateTreeLike, WithdrawalTreeLike, seal_header
from .config import BlockEnv, ChainConfig
from .constants import DEFAULT_CHAIN_ID, DEFAULT_FEE_VAULT, OMNIT
from .exceptions import GenesisError
from .records import GLOBALS_KEY, Account, Globals, Stake, account_key, stake_key
from .state import value_hash
from .types import Address, ChainId, Gas, Hash32, L2BlockNumber, StateKey, Timestamp, Wei

__all__ = [
    "DEV_MNEMONIC",
    "DEV_BALANCE",
    "DEV_STAKE",
    "DEV_UNBONDING_DELAY",
    "DEV_VALIDATORS",
    "DEV_COMPUTE_NODES",
    "GENESIS_VERSION",
    "DevAccount",
    "GenesisAlloc",
    "Genesis",
    "dev_accounts",
    "dev_genesis",
    "parse_genesis",
    "load_genesis",
    "genesis_to_json",
    "genesis_writes",
    "build_genesis_block",
]

DEV_MNEMONIC = "test test test test test test test test test test test junk"
"""The well-known development mnemonic (anvil's and hardhat's); keys at m/44'/60'/0'/0/i."""

DEV_BALANCE = Wei(10_000 * OMNIT)
"""L2 balance of each of the 10 dev accounts."""

DEV_STAKE = Wei(1_000 * OMNIT)
"""Bonded stake of each dev validator / compute node (on top of its balance)."""

DEV_UNBONDING_DELAY = 60
"""Unbonding delay of the dev chain in seconds (short, so tests and demos can claim)."""

DEV_VALIDATORS = (1, 2, 3, 4)
"""Indices of the dev accounts bonded as validators."""

DEV_COMPUTE_NODES = (5, 6)
"""Indices of the dev accounts bonded as compute nodes."""

GENESIS_VERSION = 0
"""Version of the genesis file format."""


@dataclass(frozen=True, slots=True)
class DevAccount:
    """A dev account: address and 32-byte private key."""

    address: Address
    private_key: bytes


@dataclass(frozen=True, slots=True)
class GenesisAlloc:
    """What an address holds at genesis."""

    balance: Wei = Wei(0)
    compute_stake: Wei = Wei(0)
    validator_stake: Wei = Wei(0)


@dataclass(frozen=True, slots=True)
class Genesis:
    """A parsed genesis: chain config, timestamp, allocations, fee vault of block 0."""

    config: ChainConfig
    timestamp: Timestamp
    alloc: dict[Address, GenesisAlloc] = field(default_factory=dict)
    fee_vault: Address = DEFAULT_FEE_VAULT
    extra_data: bytes = b""

    @property
    def supply(self) -> Wei:
        return Wei(sum(a.balance + a.compute_stake + a.validator_stake for a in self.alloc.values()))


@cache
def _derive(index: int) -> DevAccount:
    EthAccount.enable_unaudited_hdwallet_features()
    acct = EthAccount.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return DevAccount(Address(bytes.fromhex(acct.address[2:])), bytes(acct.key))


def dev_accounts(count: int = 10) -> tuple[DevAccount, ...]:
    """The first ``count`` accounts of :data:`DEV_MNEMONIC` (derived once per process)."""
    return tuple(_derive(i) for i in range(count))


def dev_genesis(timestamp: int = 0, chain_id: int = DEFAULT_CHAIN_ID) -> Genesis:
    """10 accounts with 10,000 OMNIT; 1..4 validators and 5..6 compute nodes (1,000 bonded)."""
    alloc: dict[Address, GenesisAlloc] = {}
    for i, acct in enumerate(dev_accounts(10)):
        alloc[acct.address] = GenesisAlloc(
            DEV_BALANCE,
            DEV_STAKE if i in DEV_COMPUTE_NODES else Wei(0),
            DEV_STAKE if i in DEV_VALIDATORS else Wei(0),
        )
    config = ChainConfig(chain_id=ChainId(chain_id), unbonding_delay=DEV_UNBONDING_DELAY)
    return Genesis(config, Timestamp(timestamp), alloc)


def _qty(obj: dict[str, Any], name: str, default: int) -> int:
    v = obj.get(name, default)
    try:
        if isinstance(v, bool):
            raise ValueError("boolean")
        if isinstance(v, int):
            n = v
        elif isinstance(v, str):
            n = int(v, 16) if v.lower().startswith("0x") else int(v, 10)
        else:
            raise ValueError(f"type {type(v).__name__}")
    except ValueError as exc:
        raise GenesisError(f"{name}: expected an integer or a decimal/0x string, got {v!r} ({exc})") from None
    if n < 0 or n >= 2**256:
        raise GenesisError(f"{name}: {n} is out of range 0..2**256-1")
    return n


def _addr(text: Any, what: str) -> Address:
    if not isinstance(text, str) or not text.startswith("0x") or len(text) != 42:
        raise GenesisError(f"{what}: expected a 0x-prefixed 20-byte hex address, got {text!r}")
    try:
        return Address(bytes.fromhex(text[2:]))
    except ValueError:
        raise GenesisError(f"{what}: not hex: {text!r}") from None


def parse_genesis(obj: dict[str, Any]) -> Genesis:
    """Parse a genesis JSON object (see the module docstring)."""
    if not isinstance(obj, dict):
        raise GenesisError("expected a JSON object")
    if _qty(obj, "version", GENESIS_VERSION) != GENESIS_VERSION:
        raise GenesisError(f"unsupported version {obj.get('version')!r}: expected {GENESIS_VERSION}")
    d = ChainConfig()
    config = ChainConfig(
        chain_id=ChainId(_qty(obj, "chainId", d.chain_id)),
        unbonding_delay=_qty(obj, "unbondingDelay", d.unbonding_delay),
        min_compute_stake=Wei(_qty(obj, "minComputeStake", d.min_compute_stake)),
        min_validator_stake=Wei(_qty(obj, "minValidatorStake", d.min_validator_stake)),
        min_base_fee=Wei(_qty(obj, "minBaseFee", d.min_base_fee)),
        initial_base_fee=Wei(_qty(obj, "initialBaseFee", d.initial_base_fee)),
        block_gas_limit=Gas(_qty(obj, "gasLimit", d.block_gas_limit)),
    )
    if config.initial_base_fee < config.min_base_fee:
        raise GenesisError(
            f"initialBaseFee {config.initial_base_fee} is below minBaseFee {config.min_base_fee}"
        )
    extra = obj.get("extraData", "0x")
    try:
        extra_data = bytes.fromhex(extra[2:]) if isinstance(extra, str) and extra.startswith("0x") else None
    except ValueError:
        extra_data = None
    if extra_data is None or len(extra_data) > 32:
        raise GenesisError(f"extraData: expected 0x-hex of at most 32 bytes, got {extra!r}")
    raw_alloc = obj.get("alloc", {})
    if not isinstance(raw_alloc, dict):
        raise GenesisError("alloc: expected an object of address -> {balance, ...}")
    alloc: dict[Address, GenesisAlloc] = {}
    for key, entry in raw_alloc.items():
        addr = _addr(key, "alloc key")
        if addr in alloc:
            raise GenesisError(f"alloc: duplicate address {key}")
        if not isinstance(entry, dict):
            raise GenesisError(f"alloc[{key}]: expected an object")
        alloc[addr] = GenesisAlloc(
            Wei(_qty(entry, "balance", 0)),
            Wei(_qty(entry, "computeStake", 0)),
            Wei(_qty(entry, "validatorStake", 0)),
        )
    fee_vault = _addr(obj.get("feeVault", "0x" + DEFAULT_FEE_VAULT.hex()), "feeVault")
    return Genesis(config, Timestamp(_qty(obj, "timestamp", 0)), alloc, fee_vault, extra_data)


def load_genesis(path: str) -> Genesis:
    """Read and parse a genesis JSON file."""
    try:
        with open(path, encoding="utf-8") as fh:
            obj = json.load(fh)
    except (OSError, json.JSONDecodeError) as exc:
        raise GenesisError(f"cannot read {path}: {exc}") from None
    return parse_genesis(obj)


def genesis_to_json(genesis: Genesis) -> dict[str, Any]:
    """The JSON object :func:`parse_genesis` reads back to ``genesis``."""
    c = genesis.config
    return {
        "version": GENESIS_VERSION,
        "chainId": c.chain_id,
        "timestamp": genesis.timestamp,
        "unbondingDelay": c.unbonding_delay,
        "minComputeStake": str(c.min_compute_stake),
        "minValidatorStake": str(c.min_validator_stake),
        "minBaseFee": str(c.min_base_fee),
        "initialBaseFee": str(c.initial_base_fee),
        "gasLimit": c.block_gas_limit,
        "feeVault": "0x" + genesis.fee_vault.hex(),
        "extraData": "0x" + genesis.extra_data.hex(),
        "alloc": {
            "0x" + a.hex(): {
                "balance": str(v.balance),
                "computeStake": str(v.compute_stake),
                "validatorStake": str(v.validator_stake),
            }
            for a, v in sorted(genesis.alloc.items())
        },
    }


def genesis_writes(genesis: Genesis) -> dict[StateKey, bytes]:
    """The genesis state as encoded records (empty accounts/stakes are not stored)."""
    out: dict[StateKey, bytes] = {}
    total_compute = total_validator = 0
    for addr, a in sorted(genesis.alloc.items()):
        if a.balance:
            out[account_key(addr)] = Account(0, a.balance).encode()
        if a.compute_stake or a.validator_stake:
            out[stake_key(addr)] = Stake(a.compute_stake, a.validator_stake).encode()
        total_compute += a.compute_stake
        total_validator += a.validator_stake
    out[GLOBALS_KEY] = Globals(
        total_compute_stake=Wei(total_compute), total_validator_stake=Wei(total_validator),
        genesis_supply=genesis.supply,
    ).encode()
    return dict(sorted(out.items()))


def build_genesis_block(
    genesis: Genesis, state_tree: StateTreeLike, withdrawal_tree: WithdrawalTreeLike
) -> SealedBlock:
    """Block 0: no transactions, the genesis writes; advances ``state_tree`` in place."""
    writes = genesis_writes(genesis)
    state_root = state_tree.update([(k, value_hash(v)) for k, v in writes.items()])
    env = BlockEnv(
        L2BlockNumber(0), genesis.timestamp, Hash32(bytes(32)), genesis.config.initial_base_fee,
        genesis.config, genesis.config.block_gas_limit, genesis.fee_vault,
        extra_data=genesis.extra_data,
    )
    empty = list_root([])
    header: Header = seal_header(env, 0, empty, empty, state_root, withdrawal_tree.root)
    return SealedBlock(header, (), (), dict(writes), ())
