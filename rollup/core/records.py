"""State records, their state keys and their canonical encodings.

Every record is a frozen dataclass stored under a 32-byte key ``keccak(namespace ++ id)`` and
encoded as the RLP list of its fields (integers big-endian minimal, addresses 20 bytes, hashes 32
bytes, strings UTF-8). A record equal to its empty value (an account with nonce 0 and balance 0,
a stake record with nothing bonded or unbonding) is deleted rather than stored.

=====  ===============  ==========================  ============================================
ns     record           id                          fields
=====  ===============  ==========================  ============================================
0x00   Globals          ``b"globals"``              counters and totals (one record)
0x01   Account          address (20 bytes)          nonce, balance
0x02   Model            u256(model id)              owner, weights, uri, status, version, blocks
0x03   Task             u256(task id)               see :class:`Task`
0x04   Stake            address (20 bytes)          compute, validator, unbonding entries
0x05   AppliedDeposit   source hash (32 bytes)      l2 block number
=====  ===============  ==========================  ============================================
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache

import rlp

from .hashing import keccak
from .rlp_fast import encode_int, encode_list, split_list
from .types import Address, Hash32, L2BlockNumber, ModelId, StateKey, Timestamp, Wei

__all__ = [
    "NS_GLOBALS",
    "NS_ACCOUNT",
    "NS_MODEL",
    "NS_TASK",
    "NS_STAKE",
    "NS_DEPOSIT",
    "GLOBALS_KEY",
    "account_key",
    "model_key",
    "task_key",
    "stake_key",
    "deposit_key",
    "Record",
    "Account",
    "EMPTY_ACCOUNT",
    "ModelStatus",
    "Model",
    "TaskStatus",
    "Task",
    "Unbonding",
    "Stake",
    "EMPTY_STAKE",
    "Globals",
    "AppliedDeposit",
]

NS_GLOBALS = 0x00
"""Namespace byte of the single :class:`Globals` record."""
NS_ACCOUNT = 0x01
"""Namespace byte of :class:`Account` records (id: the 20-byte address)."""
NS_MODEL = 0x02
"""Namespace byte of :class:`Model` records (id: u256 model id)."""
NS_TASK = 0x03
"""Namespace byte of :class:`Task` records (id: u256 task id)."""
NS_STAKE = 0x04
"""Namespace byte of :class:`Stake` records (id: the 20-byte staker address)."""
NS_DEPOSIT = 0x05
"""Namespace byte of :class:`AppliedDeposit` markers (id: the 32-byte source hash)."""

GLOBALS_KEY = StateKey(keccak(bytes((NS_GLOBALS,)) + b"globals"))
"""State key of the :class:`Globals` record."""


@lru_cache(maxsize=1 << 16)
def account_key(address: bytes) -> StateKey:
    """``keccak(0x01 ++ address)`` (cached: every transaction touches several accounts)."""
    return StateKey(keccak(b"\x01" + address))


def model_key(model_id: int) -> StateKey:
    """``keccak(0x02 ++ u256(model_id))``."""
    return StateKey(keccak(b"\x02" + model_id.to_bytes(32, "big")))


def task_key(task_id: int) -> StateKey:
    """``keccak(0x03 ++ u256(task_id))``."""
    return StateKey(keccak(b"\x03" + task_id.to_bytes(32, "big")))


def stake_key(address: bytes) -> StateKey:
    """``keccak(0x04 ++ address)``."""
    return StateKey(keccak(b"\x04" + address))


def deposit_key(source_hash: bytes) -> StateKey:
    """``keccak(0x05 ++ source_hash)``."""
    return StateKey(keccak(b"\x05" + source_hash))


def _i(b: bytes) -> int:
    return int.from_bytes(b, "big")


class Record:
    """Interface of every record: ``encode() -> bytes`` and ``decode(raw) -> record``."""

    __slots__ = ()

    def encode(self) -> bytes:  # pragma: no cover - interface
        raise NotImplementedError

    @classmethod
    def decode(cls, raw: bytes) -> "Record":  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Account(Record):
    """An externally owned account: ``rlp([nonce, balance])``."""

    nonce: int = 0
    balance: Wei = Wei(0)

    def is_empty(self) -> bool:
        return self.nonce == 0 and self.balance == 0

    def encode(self) -> bytes:
        return encode_list([encode_int(self.nonce), encode_int(self.balance)])

    @classmethod
    def decode(cls, raw: bytes) -> "Account":
        n, b = split_list(raw)
        return cls(_i(n), Wei(_i(b)))


EMPTY_ACCOUNT = Account()
"""The value of an account that was never touched (not stored)."""


class ModelStatus(IntEnum):
    """Lifecycle of a registered model (``uint8`` in the ABI)."""

    NONE = 0
    ACTIVE = 1


@dataclass(frozen=True, slots=True)
class Model(Record):
    """A registered model: ``rlp([owner, weights_commitment, metadata_uri, status, version,
    registered_block, updated_block])``. ``version`` starts at 1 and increments on each update."""

    owner: Address
    weights_commitment: Hash32
    metadata_uri: str
    status: ModelStatus
    version: int
    registered_block: L2BlockNumber
    updated_block: L2BlockNumber

    def encode(self) -> bytes:
        return rlp.encode([
            self.owner, self.weights_commitment, self.metadata_uri.encode(), int(self.status),
            self.version, self.registered_block, self.updated_block,
        ])

    @classmethod
    def decode(cls, raw: bytes) -> "Model":
        o, w, u, st, v, rb, ub = rlp.decode(raw)
        return cls(Address(o), Hash32(w), u.decode(), ModelStatus(_i(st)), _i(v),
                   L2BlockNumber(_i(rb)), L2BlockNumber(_i(ub)))


class TaskStatus(IntEnum):
    """Lifecycle of a task (``uint8`` in the ABI)."""

    NONE = 0
    OPEN = 1
    SUBMITTED = 2
    FINALIZED = 3
    REFUNDED = 4


@dataclass(frozen=True, slots=True)
class Task(Record):
    """An AI task. ``fee`` is held in escrow until the task is finalized or refunded.

    Result fields (``compute_node`` ... ``rejections``) describe the current result and are reset
    when a result is voided (``round`` counts submitted results). ``compute_node`` is 20 zero
    bytes while there is no result. ``approvals`` / ``rejections`` are (validator, weight) pairs.
    """

    poster: Address
    model_id: ModelId
    input_commitment: Hash32
    deadline: Timestamp
    fee: Wei
    status: TaskStatus
    posted_block: L2BlockNumber
    round: int = 0
    compute_node: Address = Address(bytes(20))
    output_commitment: Hash32 = Hash32(bytes(32))
    submitted_at: Timestamp = Timestamp(0)
    stake_snapshot: Wei = Wei(0)
    approve_stake: Wei = Wei(0)
    reject_stake: Wei = Wei(0)
    approvals: tuple[tuple[Address, Wei], ...] = ()
    rejections: tuple[tuple[Address, Wei], ...] = ()

    def encode(self) -> bytes:
        return rlp.encode([
            self.poster, self.model_id, self.input_commitment, self.deadline, self.fee,
            int(self.status), self.posted_block, self.round, self.compute_node,
            self.output_commitment, self.submitted_at, self.stake_snapshot, self.approve_stake,
            self.reject_stake, [[a, w] for a, w in self.approvals],
            [[a, w] for a, w in self.rejections],
        ])

    @classmethod
    def decode(cls, raw: bytes) -> "Task":
        f = rlp.decode(raw)
        return cls(
            Address(f[0]), ModelId(_i(f[1])), Hash32(f[2]), Timestamp(_i(f[3])), Wei(_i(f[4])),
            TaskStatus(_i(f[5])), L2BlockNumber(_i(f[6])), _i(f[7]), Address(f[8]), Hash32(f[9]),
            Timestamp(_i(f[10])), Wei(_i(f[11])), Wei(_i(f[12])), Wei(_i(f[13])),
            tuple((Address(a), Wei(_i(w))) for a, w in f[14]),
            tuple((Address(a), Wei(_i(w))) for a, w in f[15]),
        )


@dataclass(frozen=True, slots=True)
class Unbonding:
    """Stake leaving a role: claimable once the block timestamp reaches ``release_time``."""

    role: int
    amount: Wei
    release_time: Timestamp


@dataclass(frozen=True, slots=True)
class Stake(Record):
    """A staker's bonded stake per role and pending unbonding entries:
    ``rlp([compute, validator, [[role, amount, release_time], ...]])``."""

    compute: Wei = Wei(0)
    validator: Wei = Wei(0)
    unbonding: tuple[Unbonding, ...] = ()

    def is_empty(self) -> bool:
        return self.compute == 0 and self.validator == 0 and not self.unbonding

    def bonded(self, role: int) -> Wei:
        return self.compute if role == 1 else self.validator

    @property
    def unbonding_total(self) -> Wei:
        return Wei(sum(u.amount for u in self.unbonding))

    def encode(self) -> bytes:
        return rlp.encode([
            self.compute, self.validator,
            [[u.role, u.amount, u.release_time] for u in self.unbonding],
        ])

    @classmethod
    def decode(cls, raw: bytes) -> "Stake":
        c, v, ub = rlp.decode(raw)
        return cls(Wei(_i(c)), Wei(_i(v)),
                   tuple(Unbonding(_i(r), Wei(_i(a)), Timestamp(_i(t))) for r, a, t in ub))


EMPTY_STAKE = Stake()
"""Stake record of an address that never staked (not stored)."""


@dataclass(frozen=True, slots=True)
class Globals(Record):
    """Counters and totals, one record under :data:`GLOBALS_KEY`.

    Conservation of OMNIT (checked by the tests): sum of balances + ``total_escrow`` +
    ``total_compute_stake`` + ``total_validator_stake`` + ``total_unbonding`` + ``burned`` ==
    ``genesis_supply`` + ``total_deposited`` - ``total_withdrawn`` (the fee vault is a balance).
    """

    next_model_id: int = 1
    next_task_id: int = 1
    withdrawal_count: int = 0
    burned: Wei = Wei(0)
    total_escrow: Wei = Wei(0)
    total_compute_stake: Wei = Wei(0)
    total_validator_stake: Wei = Wei(0)
    total_unbonding: Wei = Wei(0)
    total_deposited: Wei = Wei(0)
    total_withdrawn: Wei = Wei(0)
    genesis_supply: Wei = Wei(0)

    def encode(self) -> bytes:
        return rlp.encode([
            self.next_model_id, self.next_task_id, self.withdrawal_count, self.burned,
            self.total_escrow, self.total_compute_stake, self.total_validator_stake,
            self.total_unbonding, self.total_deposited, self.total_withdrawn, self.genesis_supply,
        ])

    @classmethod
    def decode(cls, raw: bytes) -> "Globals":
        fields = rlp.decode(raw)
        if len(fields) != 11:
            raise ValueError(f"Globals has 11 fields, got {len(fields)}")
        return cls(*(_i(x) for x in fields))


@dataclass(frozen=True, slots=True)
class AppliedDeposit(Record):
    """Marker that the deposit with this source hash was applied: ``rlp([l2_block])``."""

    l2_block: L2BlockNumber

    def encode(self) -> bytes:
        return rlp.encode([self.l2_block])

    @classmethod
    def decode(cls, raw: bytes) -> "AppliedDeposit":
        (b,) = rlp.decode(raw)
        return cls(L2BlockNumber(_i(b)))
