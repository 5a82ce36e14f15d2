"""The system contracts' interface: function and event specs, ABI JSON, calldata and logs.

Four contracts live at fixed addresses (see :mod:`rollup.core.constants`). This module is the
source of truth for their ABI; ``rollup/core/abi/<Name>.json`` are generated from it (a test
checks they match) so that web3.py contract objects and wallets can build calls and decode logs.

A handler (in :mod:`models`, :mod:`staking`, :mod:`tasks`, :mod:`withdrawals`) receives a
:class:`CallContext` and the decoded arguments, may emit logs through :meth:`CallContext.emit`,
returns ABI-encoded return data, and raises :class:`Revert` to fail the call (the transaction is
still included with a failed receipt; all its state changes except nonce and fees are undone).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Callable

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from prover.withdrawals import encode_withdrawal

from .hashing import keccak
from .config import BlockEnv
from .constants import (
    ATTEST_RESULT_GAS,
    CLAIM_UNBONDED_GAS,
    L2_TO_L1_ADDRESS,
    MODEL_REGISTRY_ADDRESS,
    POST_TASK_GAS,
    RECLAIM_EXPIRED_GAS,
    REGISTER_MODEL_GAS,
    STAKE_GAS,
    STAKING_ADDRESS,
    SUBMIT_RESULT_GAS,
    TASK_REGISTRY_ADDRESS,
    UNSTAKE_GAS,
    UPDATE_MODEL_GAS,
    VIEW_CALL_GAS,
    WITHDRAW_GAS,
)
from .blocks import Log
from .state import Overlay
from .types import Address, Gas, Hash32, Wei

__all__ = [
    "Revert",
    "Param",
    "FunctionSpec",
    "EventSpec",
    "ContractSpec",
    "CONTRACTS",
    "CONTRACTS_BY_ADDRESS",
    "WithdrawalLeaf",
    "CallContext",
    "function_spec",
    "find_function",
    "encode_call",
    "decode_args",
    "event_topic",
    "abi_json",
    "load_abi",
]


class Revert(Exception):
    """A system call failed: the transaction is included with status 0 and this reason."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class Param:
    """An ABI parameter."""

    name: str
    type: str
    indexed: bool = False


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """A system function: its ABI shape and its fixed execution gas."""

    name: str
    inputs: tuple[Param, ...]
    outputs: tuple[Param, ...]
    mutability: str  # "nonpayable" | "payable" | "view"
    gas: Gas

    @property
    def signature(self) -> str:
        return f"{self.name}({','.join(p.type for p in self.inputs)})"

    @property
    def selector(self) -> bytes:
        return keccak(self.signature.encode())[:4]

    @property
    def input_types(self) -> tuple[str, ...]:
        return tuple(p.type for p in self.inputs)

    @property
    def output_types(self) -> tuple[str, ...]:
        return tuple(p.type for p in self.outputs)


@dataclass(frozen=True, slots=True)
class EventSpec:
    """A system event (topics: signature hash, then the indexed args; data: the others)."""

    name: str
    params: tuple[Param, ...]

    @property
    def signature(self) -> str:
        return f"{self.name}({','.join(p.type for p in self.params)})"

    @property
    def topic(self) -> Hash32:
        return Hash32(keccak(self.signature.encode()))


@dataclass(frozen=True, slots=True)
class ContractSpec:
    """A system contract: name (= ABI file name), address, functions, events."""

    name: str
    address: Address
    functions: tuple[FunctionSpec, ...]
    events: tuple[EventSpec, ...]

    def event(self, name: str) -> EventSpec:
        for e in self.events:
            if e.name == name:
                return e
        raise KeyError(f"{self.name} has no event {name}")


def _p(spec: str) -> tuple[Param, ...]:
    """``"uint256 indexed modelId, address owner"`` -> params."""
    out = []
    for part in filter(None, (s.strip() for s in spec.split(","))):
        words = part.split()
        out.append(Param(words[-1], words[0], "indexed" in words[1:-1]))
    return tuple(out)


def _f(name: str, inputs: str, outputs: str, mutability: str, gas: int) -> FunctionSpec:
    return FunctionSpec(name, _p(inputs), _p(outputs), mutability, Gas(gas))


_TASK_TUPLE = (
    "address poster, uint256 modelId, bytes32 inputCommitment, uint64 deadline, uint256 fee, "
    "uint8 status, address computeNode, bytes32 outputCommitment, uint32 round, "
    "uint256 stakeSnapshot, uint256 approveStake, uint256 rejectStake"
)
_MODEL_TUPLE = (
    "address owner, bytes32 weightsCommitment, string metadataURI, uint8 status, uint64 version, "
    "uint64 registeredBlock, uint64 updatedBlock"
)

CONTRACTS: tuple[ContractSpec, ...] = (
    ContractSpec(
        "ModelRegistry", MODEL_REGISTRY_ADDRESS,
        (
            _f("registerModel", "bytes32 weightsCommitment, string metadataURI", "uint256 modelId", "nonpayable", REGISTER_MODEL_GAS),
            _f("updateModel", "uint256 modelId, bytes32 weightsCommitment, string metadataURI", "uint64 version", "nonpayable", UPDATE_MODEL_GAS),
            _f("getModel", "uint256 modelId", _MODEL_TUPLE, "view", VIEW_CALL_GAS),
            _f("modelCount", "", "uint256 count", "view", VIEW_CALL_GAS),
        ),
        (
            EventSpec("ModelRegistered", _p("uint256 indexed modelId, address indexed owner, bytes32 weightsCommitment, string metadataURI")),
            EventSpec("ModelUpdated", _p("uint256 indexed modelId, address indexed owner, bytes32 weightsCommitment, string metadataURI, uint64 version")),
        ),
    ),
    ContractSpec(
        "Staking", STAKING_ADDRESS,
        (
            _f("stake", "uint8 role, uint256 amount", "", "nonpayable", STAKE_GAS),
            _f("unstake", "uint8 role, uint256 amount", "uint64 releaseTime", "nonpayable", UNSTAKE_GAS),
            _f("claimUnbonded", "", "uint256 amount", "nonpayable", CLAIM_UNBONDED_GAS),
            _f("getStake", "address staker", "uint256 computeStake, uint256 validatorStake, uint256 unbonding, uint256 claimable", "view", VIEW_CALL_GAS),
            _f("totalStake", "uint8 role", "uint256 total", "view", VIEW_CALL_GAS),
        ),
        (
            EventSpec("Staked", _p("address indexed staker, uint8 indexed role, uint256 amount")),
            EventSpec("Unstaked", _p("address indexed staker, uint8 indexed role, uint256 amount, uint64 releaseTime")),
            EventSpec("UnbondedClaimed", _p("address indexed staker, uint256 amount")),
        ),
    ),
    ContractSpec(
        "TaskRegistry", TASK_REGISTRY_ADDRESS,
        (
            _f("postTask", "uint256 modelId, bytes32 inputCommitment, uint64 deadline", "uint256 taskId", "payable", POST_TASK_GAS),
            _f("submitResult", "uint256 taskId, bytes32 outputCommitment", "", "nonpayable", SUBMIT_RESULT_GAS),
            _f("attestResult", "uint256 taskId, bool approve", "", "nonpayable", ATTEST_RESULT_GAS),
            _f("reclaimExpired", "uint256 taskId", "", "nonpayable", RECLAIM_EXPIRED_GAS),
            _f("getTask", "uint256 taskId", _TASK_TUPLE, "view", VIEW_CALL_GAS),
            _f("taskCount", "", "uint256 count", "view", VIEW_CALL_GAS),
        ),
        (
            EventSpec("TaskPosted", _p("uint256 indexed taskId, uint256 indexed modelId, address indexed poster, bytes32 inputCommitment, uint64 deadline, uint256 fee")),
            EventSpec("ResultSubmitted", _p("uint256 indexed taskId, address indexed computeNode, bytes32 outputCommitment, uint32 round")),
            EventSpec("ResultAttested", _p("uint256 indexed taskId, address indexed validator, bool approve, uint256 weight")),
            EventSpec("TaskFinalized", _p("uint256 indexed taskId, address indexed computeNode, bytes32 outputCommitment, uint256 computeReward, uint256 validatorReward")),
            EventSpec("ValidatorRewarded", _p("uint256 indexed taskId, address indexed validator, uint256 amount")),
            EventSpec("ResultRejected", _p("uint256 indexed taskId, address indexed computeNode, uint32 round")),
            EventSpec("TaskRefunded", _p("uint256 indexed taskId, address indexed poster, uint256 fee")),
        ),
    ),
    ContractSpec(
        "L2ToL1MessagePasser", L2_TO_L1_ADDRESS,
        (
            _f("withdraw", "address l1Recipient", "uint256 nonce", "payable", WITHDRAW_GAS),
            _f("withdrawalCount", "", "uint256 count", "view", VIEW_CALL_GAS),
        ),
        (
            EventSpec("WithdrawalInitiated", _p("uint256 indexed nonce, address indexed sender, address indexed l1Recipient, uint256 amount")),
        ),
    ),
)
"""Every system contract (the ABI JSON files are generated from these)."""

CONTRACTS_BY_ADDRESS: dict[bytes, ContractSpec] = {c.address: c for c in CONTRACTS}
"""System contract by its 20-byte address."""

_BY_SELECTOR: dict[tuple[bytes, bytes], FunctionSpec] = {
    (c.address, f.selector): f for c in CONTRACTS for f in c.functions
}


def find_function(address: bytes, data: bytes) -> FunctionSpec | None:
    """The function ``data`` calls on system contract ``address`` (None: unknown selector)."""
    return _BY_SELECTOR.get((address, data[:4]))


def function_spec(contract: str, name: str) -> FunctionSpec:
    """Look up a function by contract and function name."""
    for c in CONTRACTS:
        if c.name == contract:
            for f in c.functions:
                if f.name == name:
                    return f
    raise KeyError(f"no system function {contract}.{name}")


def encode_call(contract: str, name: str, *args: Any) -> bytes:
    """Calldata: selector ++ ABI-encoded args (for tests, CLI and the RPC's helpers)."""
    f = function_spec(contract, name)
    return f.selector + abi_encode(list(f.input_types), list(args))


def decode_args(f: FunctionSpec, data: bytes) -> tuple:
    """Decode calldata args (addresses as 20 raw bytes); :class:`Revert` on malformed data."""
    types = f.input_types
    try:
        values = abi_decode(list(types), data[4:], strict=True)
    except Exception as exc:
        raise Revert(f"invalid calldata for {f.signature}: {exc}") from None
    return tuple(
        Address(bytes.fromhex(v[2:])) if t == "address" else v for t, v in zip(types, values)
    )


def event_topic(contract: str, event: str) -> Hash32:
    """topic0 of an event."""
    for c in CONTRACTS:
        if c.name == contract:
            return c.event(event).topic
    raise KeyError(contract)


@dataclass(frozen=True, slots=True)
class WithdrawalLeaf:
    """A withdrawal initiated on the L2 (leaf ``nonce`` of the withdrawal tree)."""

    nonce: int
    sender: Address
    l1_recipient: Address
    amount: Wei
    transaction_hash: Hash32

    @property
    def leaf_data(self) -> bytes:
        """``abi.encode(uint256 nonce, address sender, address l1Recipient, uint256 amount)``."""
        return encode_withdrawal(self.nonce, self.sender, self.l1_recipient, self.amount)


@dataclass(slots=True)
class CallContext:
    """What a system-call handler sees and produces."""

    state: Overlay
    env: BlockEnv
    sender: Address
    contract: ContractSpec
    value: Wei
    transaction_hash: Hash32
    logs: list[Log] = field(default_factory=list)
    withdrawals: list[WithdrawalLeaf] = field(default_factory=list)

    def emit(self, event: str, *args: Any) -> None:
        """Append the log of ``event`` with positional ``args`` in ABI order."""
        spec = self.contract.event(event)
        topics = [spec.topic]
        data_types, data_values = [], []
        for p, v in zip(spec.params, args, strict=True):
            if p.indexed:
                topics.append(Hash32(abi_encode([p.type], [v])))
            else:
                data_types.append(p.type)
                data_values.append(v)
        self.logs.append(
            Log(self.contract.address, tuple(topics), abi_encode(data_types, data_values))
        )


Handler = Callable[[CallContext, tuple], bytes]
"""A system function's implementation: (context, decoded args) -> ABI-encoded return data."""


def abi_json(contract: ContractSpec) -> list[dict[str, Any]]:
    """The contract's ABI in the standard JSON shape web3.py expects."""
    def params(ps: tuple[Param, ...], event: bool = False) -> list[dict[str, Any]]:
        out = []
        for p in ps:
            d: dict[str, Any] = {"name": p.name, "type": p.type, "internalType": p.type}
            if event:
                d["indexed"] = p.indexed
            out.append(d)
        return out

    entries: list[dict[str, Any]] = []
    for f in contract.functions:
        entries.append({
            "type": "function", "name": f.name, "inputs": params(f.inputs),
            "outputs": params(f.outputs), "stateMutability": f.mutability,
        })
    for e in contract.events:
        entries.append({
            "type": "event", "name": e.name, "inputs": params(e.params, event=True),
            "anonymous": False,
        })
    return entries


@cache
def _load(name: str) -> str:
    return resources.files("rollup.core").joinpath("abi", f"{name}.json").read_text()


def load_abi(name: str) -> list[dict[str, Any]]:
    """The published ABI JSON of a system contract (``ModelRegistry``, ``Staking``,
    ``TaskRegistry``, ``L2ToL1MessagePasser``)."""
    return json.loads(_load(name))
