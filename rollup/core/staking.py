"""Staking: bonding OMNIT as a compute node (role 1) or validator (role 2), and unbonding.

The amount is an argument and is debited from the sender's balance (the call carries no value):

- ``stake(role, amount)``: balance -> bonded stake of ``role``; event ``Staked``.
- ``unstake(role, amount) -> releaseTime``: bonded -> an unbonding entry claimable at
  ``block.timestamp + unbonding_delay`` (at most :data:`MAX_UNBONDING_ENTRIES` pending); the
  stake stops counting immediately (quorums, minimum stake); event ``Unstaked``.
- ``claimUnbonded() -> amount``: every matured entry back to the balance; event
  ``UnbondedClaimed``; reverts when nothing has matured.
- ``getStake(staker) -> (computeStake, validatorStake, unbonding, claimable)``,
  ``totalStake(role) -> total``.
"""

from __future__ import annotations

from dataclasses import replace

from eth_abi import encode as abi_encode

from .constants import MAX_UNBONDING_ENTRIES, ROLE_COMPUTE, ROLE_VALIDATOR
from .records import Account, Stake, Unbonding
from .system_contracts import CallContext, Revert
from .types import Timestamp, Wei

__all__ = ["stake", "unstake", "claim_unbonded", "get_stake", "total_stake", "ROLE_NAMES"]

ROLE_NAMES = {ROLE_COMPUTE: "compute", ROLE_VALIDATOR: "validator"}
"""Human names of the staking roles (for messages)."""


def _role(role: int) -> int:
    if role not in ROLE_NAMES:
        raise Revert(f"unknown staking role {role}: expected 1 (compute) or 2 (validator)")
    return role


def _with_bonded(s: Stake, role: int, amount: int) -> Stake:
    if role == ROLE_COMPUTE:
        return Stake(Wei(amount), s.validator, s.unbonding)
    return Stake(s.compute, Wei(amount), s.unbonding)


def stake(ctx: CallContext, args: tuple) -> bytes:
    role, amount = _role(args[0]), args[1]
    if amount == 0:
        raise Revert("stake amount must be positive")
    st = ctx.state
    acct = st.account(ctx.sender)
    if acct.balance < amount:
        raise Revert(f"insufficient balance to stake: have {acct.balance} wei, need {amount} wei")
    st.set_account(ctx.sender, Account(acct.nonce, Wei(acct.balance - amount)))
    s = st.stake(ctx.sender)
    st.set_stake(ctx.sender, _with_bonded(s, role, s.bonded(role) + amount))
    g = st.globals()
    if role == ROLE_COMPUTE:
        g = replace(g, total_compute_stake=g.total_compute_stake + amount)
    else:
        g = replace(g, total_validator_stake=g.total_validator_stake + amount)
    st.set_globals(g)
    ctx.emit("Staked", ctx.sender, role, amount)
    return b""


def unstake(ctx: CallContext, args: tuple) -> bytes:
    role, amount = _role(args[0]), args[1]
    if amount == 0:
        raise Revert("unstake amount must be positive")
    st = ctx.state
    s = st.stake(ctx.sender)
    bonded = s.bonded(role)
    if bonded < amount:
        raise Revert(
            f"cannot unstake {amount} wei: only {bonded} wei bonded as {ROLE_NAMES[role]}"
        )
    if len(s.unbonding) >= MAX_UNBONDING_ENTRIES:
        raise Revert(
            f"too many pending unbonding entries ({MAX_UNBONDING_ENTRIES}): claim matured ones first"
        )
    release = Timestamp(ctx.env.timestamp + ctx.env.config.unbonding_delay)
    s = _with_bonded(s, role, bonded - amount)
    st.set_stake(ctx.sender, Stake(s.compute, s.validator,
                                   s.unbonding + (Unbonding(role, Wei(amount), release),)))
    g = st.globals()
    if role == ROLE_COMPUTE:
        g = replace(g, total_compute_stake=g.total_compute_stake - amount)
    else:
        g = replace(g, total_validator_stake=g.total_validator_stake - amount)
    st.set_globals(replace(g, total_unbonding=g.total_unbonding + amount))
    ctx.emit("Unstaked", ctx.sender, role, amount, release)
    return abi_encode(["uint64"], [release])


def _claimable(s: Stake, now: int) -> int:
    return sum(u.amount for u in s.unbonding if u.release_time <= now)


def claim_unbonded(ctx: CallContext, args: tuple) -> bytes:
    st = ctx.state
    s = st.stake(ctx.sender)
    now = ctx.env.timestamp
    matured = _claimable(s, now)
    if matured == 0:
        if s.unbonding:
            nxt = min(u.release_time for u in s.unbonding)
            raise Revert(f"nothing to claim: next unbonding entry matures at {nxt}, now is {now}")
        raise Revert("nothing to claim: no unbonding stake")
    st.set_stake(ctx.sender, Stake(s.compute, s.validator,
                                   tuple(u for u in s.unbonding if u.release_time > now)))
    st.credit(ctx.sender, matured)
    g = st.globals()
    st.set_globals(replace(g, total_unbonding=g.total_unbonding - matured))
    ctx.emit("UnbondedClaimed", ctx.sender, matured)
    return abi_encode(["uint256"], [matured])


def get_stake(ctx: CallContext, args: tuple) -> bytes:
    (addr,) = args
    s = ctx.state.stake(bytes.fromhex(addr[2:]) if isinstance(addr, str) else addr)
    return abi_encode(
        ["uint256", "uint256", "uint256", "uint256"],
        [s.compute, s.validator, s.unbonding_total, _claimable(s, ctx.env.timestamp)],
    )


def total_stake(ctx: CallContext, args: tuple) -> bytes:
    role = _role(args[0])
    g = ctx.state.globals()
    total = g.total_compute_stake if role == ROLE_COMPUTE else g.total_validator_stake
    return abi_encode(["uint256"], [total])
