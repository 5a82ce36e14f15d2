"""The state transition: validate a transaction for the pool, apply one to a block's state.

A signed transaction is applied in these steps (``apply_transaction``):

1. inclusion checks (exact nonce, fee caps, intrinsic gas, balance for
   ``value + gas * max_fee + l1_fee``); failure raises an :class:`InclusionError`, nothing changes;
2. gas used is known up front from the fixed schedule: ``intrinsic + op gas`` (op gas is 0 for a
   transfer to an ordinary address, the function's constant for a system call,
   ``SYSTEM_CALL_FAILED_GAS`` for an unknown selector); a gas limit below it fails the call
   ("out of gas") and uses the whole gas limit;
3. the sender pays ``gas_used * effective_gas_price + l1_fee`` and its nonce increments;
4. the call runs under a checkpoint: a value transfer, or a system function; a :class:`Revert`
   (bad calldata, wrong role, non-payable with value...) undoes step 4 only: status 0;
5. ``gas_used * base_fee`` is burned, ``gas_used * priority_fee + l1_fee`` goes to the fee vault.

A deposit marks its source hash applied, mints ``mint`` to ``to``: no gas, no fee, no nonce.

:func:`apply_plain_transfer` (end of the module) is a fast path for the commonest case, a plain
value transfer; the block builder uses it, and tests check it against :func:`apply_transaction`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from . import models, staking, tasks, withdrawals
from .blocks import Log, Receipt
from .config import BlockEnv
from .constants import SYSTEM_CALL_FAILED_GAS, TX_TYPE_DEPOSIT
from .exceptions import (
    DepositAlreadyApplied,
    FeeCapTooLow,
    GasLimitTooHigh,
    InsufficientFunds,
    IntrinsicGasTooLow,
    NonceTooHigh,
    NonceTooLow,
    PriorityFeeAboveFeeCap,
)
from .fees import intrinsic_gas, l1_data_fee
from .records import Account, AppliedDeposit, Globals, account_key
from .state import Overlay, StateReader
from .system_contracts import (
    CONTRACTS,
    CONTRACTS_BY_ADDRESS,
    CallContext,
    FunctionSpec,
    Revert,
    WithdrawalLeaf,
    decode_args,
)
from .transactions import DepositTransaction, SignedTransaction, Transaction
from .types import Address, Gas, Hash32, Wei

__all__ = [
    "TxOutcome",
    "CallResult",
    "validate_transaction",
    "apply_transaction",
    "execute_call",
    "required_balance",
    "apply_plain_transfer",
]

Handler = Callable[[CallContext, tuple], bytes]

_IMPLEMENTATIONS: dict[tuple[str, str], Handler] = {
    ("ModelRegistry", "registerModel"): models.register_model,
    ("ModelRegistry", "updateModel"): models.update_model,
    ("ModelRegistry", "getModel"): models.get_model,
    ("ModelRegistry", "modelCount"): models.model_count,
    ("Staking", "stake"): staking.stake,
    ("Staking", "unstake"): staking.unstake,
    ("Staking", "claimUnbonded"): staking.claim_unbonded,
    ("Staking", "getStake"): staking.get_stake,
    ("Staking", "totalStake"): staking.total_stake,
    ("TaskRegistry", "postTask"): tasks.post_task,
    ("TaskRegistry", "submitResult"): tasks.submit_result,
    ("TaskRegistry", "attestResult"): tasks.attest_result,
    ("TaskRegistry", "reclaimExpired"): tasks.reclaim_expired,
    ("TaskRegistry", "getTask"): tasks.get_task,
    ("TaskRegistry", "taskCount"): tasks.task_count,
    ("L2ToL1MessagePasser", "withdraw"): withdrawals.withdraw,
    ("L2ToL1MessagePasser", "withdrawalCount"): withdrawals.withdrawal_count,
}

_DISPATCH: dict[tuple[bytes, bytes], tuple[FunctionSpec, Handler]] = {
    (c.address, f.selector): (f, _IMPLEMENTATIONS[(c.name, f.name)])
    for c in CONTRACTS
    for f in c.functions
}


@dataclass(frozen=True, slots=True)
class TxOutcome:
    """What applying one transaction produced (its state changes are in the overlay)."""

    receipt: Receipt
    withdrawals: tuple[WithdrawalLeaf, ...]


@dataclass(frozen=True, slots=True)
class CallResult:
    """Result of :func:`execute_call` (``eth_call`` / ``eth_estimateGas``)."""

    success: bool
    return_data: bytes
    gas_used: Gas
    revert_reason: str
    logs: tuple[Log, ...]


def required_balance(tx: SignedTransaction, env: BlockEnv) -> Wei:
    """``value + gas * max_fee + l1_fee``: what the sender must hold for ``tx`` to be included."""
    return Wei(tx.value + tx.gas * tx.max_fee_per_gas + l1_data_fee(tx.raw, env.l1_fee_per_byte))


def _check(
    acct: Account, tx: SignedTransaction, base_fee: int, env: BlockEnv, exact: bool
) -> tuple[Gas, Wei]:
    """Raise the first :class:`InclusionError` ``tx`` meets on ``acct``, in a fixed order.

    Returns ``(intrinsic gas, l1 data fee)``, which the checks compute anyway (the transfer
    fast path reuses them instead of computing them a second time).
    """
    if tx.nonce < acct.nonce:
        raise NonceTooLow(acct.nonce, tx.nonce)
    if exact and tx.nonce > acct.nonce:
        raise NonceTooHigh(acct.nonce, tx.nonce)
    max_fee = tx.max_fee_per_gas
    if tx.max_priority_fee_per_gas > max_fee:
        raise PriorityFeeAboveFeeCap(tx.max_priority_fee_per_gas, max_fee)
    if max_fee < base_fee:
        raise FeeCapTooLow(base_fee, max_fee)
    if tx.gas > env.gas_limit:
        raise GasLimitTooHigh(env.gas_limit, tx.gas)
    intrinsic = intrinsic_gas(tx.data, tx.access_list)
    if tx.gas < intrinsic:
        raise IntrinsicGasTooLow(intrinsic, tx.gas)
    l1_fee = l1_data_fee(tx.raw, env.l1_fee_per_byte)
    required = tx.value + tx.gas * max_fee + l1_fee  # required_balance(tx, env)
    if acct.balance < required:
        raise InsufficientFunds(tx.sender, required, acct.balance)
    return intrinsic, l1_fee


def validate_transaction(
    state: StateReader, tx: Transaction, base_fee: Wei, env: BlockEnv, *, exact_nonce: bool = False
) -> None:
    """Raise an :class:`InclusionError` if ``tx`` can never be included on ``state``.

    For the pool: a nonce above the account's is fine unless ``exact_nonce``.
    """
    view = state if isinstance(state, Overlay) else Overlay(state)
    if tx.tx_type == TX_TYPE_DEPOSIT:
        if view.deposit_applied(tx.source_hash):  # type: ignore[union-attr]
            raise DepositAlreadyApplied(tx.source_hash)  # type: ignore[union-attr]
        return
    _check(view.account(tx.sender), tx, base_fee, env, exact_nonce)  # type: ignore[arg-type]


def _op_gas(to: Address, data: bytes) -> tuple[Gas, tuple[FunctionSpec, Handler] | None, bool]:
    """(execution gas, dispatch entry, is a system address)."""
    if to not in CONTRACTS_BY_ADDRESS:
        return Gas(0), None, False
    entry = _DISPATCH.get((to, data[:4])) if len(data) >= 4 else None
    return (entry[0].gas if entry else SYSTEM_CALL_FAILED_GAS), entry, True


def _run_call(
    ctx: CallContext, entry: tuple[FunctionSpec, Handler] | None, data: bytes
) -> bytes:
    """Run a system call inside a checkpoint the caller holds; raises Revert."""
    contract = ctx.contract
    if entry is None:
        if len(data) < 4:
            raise Revert(
                f"{contract.name} accepts only ABI-encoded calls (no plain transfers): "
                f"calldata is {len(data)} bytes, expected a 4-byte selector"
            )
        raise Revert(f"unknown function selector 0x{data[:4].hex()} for {contract.name}")
    spec, handler = entry
    value = ctx.value
    if value and spec.mutability != "payable":
        raise Revert(f"{contract.name}.{spec.name} is not payable: value must be 0, got {value}")
    args = decode_args(spec, data)
    if value:
        st = ctx.state
        acct = st.account(ctx.sender)
        if acct.balance < value:
            raise Revert(f"insufficient balance for value: have {acct.balance}, need {value}")
        st.set_account(ctx.sender, Account(acct.nonce, Wei(acct.balance - value)))
    return handler(ctx, args)


def _transfer(state: Overlay, sender: Address, to: Address, value: int) -> None:
    if value:
        acct = state.account(sender)
        if acct.balance < value:
            raise Revert(f"insufficient balance for value: have {acct.balance}, need {value}")
        state.set_account(sender, Account(acct.nonce, Wei(acct.balance - value)))
        state.credit(to, value)


def apply_transaction(
    state: Overlay,
    tx: Transaction,
    env: BlockEnv,
    *,
    cumulative_gas_before: Gas = Gas(0),
    tx_index: int = 0,
    log_index_start: int = 0,
) -> TxOutcome:
    """Apply ``tx`` to ``state``; raise an :class:`InclusionError` (nothing changed) or return."""
    if tx.tx_type == TX_TYPE_DEPOSIT:
        return _apply_deposit(state, tx, env, cumulative_gas_before, tx_index)  # type: ignore[arg-type]
    sender = tx.sender
    acct = state.account(sender)
    base_fee = env.base_fee
    _check(acct, tx, base_fee, env, True)  # type: ignore[arg-type]
    data, to = tx.data, tx.to
    op_gas, entry, is_system = _op_gas(to, data)
    needed = intrinsic_gas(data, tx.access_list) + op_gas
    out_of_gas = tx.gas < needed
    gas_used = tx.gas if out_of_gas else needed
    priority = min(tx.max_priority_fee_per_gas, tx.max_fee_per_gas - base_fee)
    price = base_fee + priority
    l2_fee = gas_used * price
    l1_fee = l1_data_fee(tx.raw, env.l1_fee_per_byte)
    state.set_account(sender, Account(acct.nonce + 1, Wei(acct.balance - l2_fee - l1_fee)))

    status, reason = 1, ""
    logs: list[Log] = []
    wds: list[WithdrawalLeaf] = []
    if out_of_gas:
        status, reason = 0, f"out of gas: gas limit {tx.gas}, {needed} needed"
    elif not is_system:
        mark = state.checkpoint()
        try:
            _transfer(state, sender, to, tx.value)
        except Revert as exc:
            state.revert(mark)
            status, reason = 0, exc.reason
    else:
        mark = state.checkpoint()
        ctx = CallContext(state, env, sender, CONTRACTS_BY_ADDRESS[to], tx.value, tx.hash)
        try:
            _run_call(ctx, entry, data)
            logs, wds = ctx.logs, ctx.withdrawals
        except Revert as exc:
            state.revert(mark)
            status, reason = 0, exc.reason

    state.credit(env.fee_vault, gas_used * priority + l1_fee)
    burn = gas_used * base_fee
    if burn:
        g = state.globals()
        state.set_globals(Globals(
            g.next_model_id, g.next_task_id, g.withdrawal_count, Wei(g.burned + burn),
            g.total_escrow, g.total_compute_stake, g.total_validator_stake, g.total_unbonding,
            g.total_deposited, g.total_withdrawn, g.genesis_supply,
        ))
    receipt = Receipt(
        tx.tx_type, status, Gas(cumulative_gas_before + gas_used), Gas(gas_used), Wei(price),
        tuple(Log(lg.address, lg.topics, lg.data, log_index_start + i) for i, lg in enumerate(logs)),
        Wei(l2_fee), l1_fee, reason, tx.hash, tx_index, sender, to,
    )
    return TxOutcome(receipt, tuple(wds))


def _apply_deposit(
    state: Overlay, tx: DepositTransaction, env: BlockEnv, cumulative: Gas, tx_index: int
) -> TxOutcome:
    if state.deposit_applied(tx.source_hash):
        raise DepositAlreadyApplied(tx.source_hash)
    state.mark_deposit(tx.source_hash, AppliedDeposit(env.number))
    state.credit(tx.to, tx.mint)
    if tx.mint:
        g = state.globals()
        state.set_globals(replace(g, total_deposited=Wei(g.total_deposited + tx.mint)))
    receipt = Receipt(
        tx.tx_type, 1, cumulative, Gas(0), Wei(0), (), Wei(0), Wei(0), "", tx.hash, tx_index,
        tx.sender, tx.to,
    )
    return TxOutcome(receipt, ())


def execute_call(
    state: StateReader,
    env: BlockEnv,
    sender: Address,
    to: Address,
    data: bytes = b"",
    value: Wei = Wei(0),
) -> CallResult:
    """Simulate a call without fees or nonce checks (eth_call / eth_estimateGas).

    Nothing is written to ``state``. ``gas_used`` is what a transaction with this call would use
    (intrinsic + op gas): the ``eth_estimateGas`` answer when ``success``.
    """
    overlay = Overlay(state)
    op_gas, entry, is_system = _op_gas(to, data)
    gas = Gas(intrinsic_gas(data) + op_gas)
    try:
        if not is_system:
            _transfer(overlay, sender, to, value)
            return CallResult(True, b"", gas, "", ())
        ctx = CallContext(overlay, env, sender, CONTRACTS_BY_ADDRESS[to], value, Hash32(bytes(32)))
        out = _run_call(ctx, entry, data)
        return CallResult(True, out, gas, "", tuple(ctx.logs))
    except Revert as exc:
        return CallResult(False, b"", gas, exc.reason, ())


# -- fast path: plain value transfers ----------------------------------------------------------
#
# Most transactions a sequencer sees are plain OMNIT transfers between ordinary addresses. For
# them :func:`apply_transaction` does more than it needs: a checkpoint and journal for a transfer
# that cannot fail, an intermediate sender record (fee debit, then value debit), and per
# transaction a fee-vault credit and a rebuilt Globals record for the burn. The function below
# gives the same result with the work a transfer needs; tests/core/test_fast_paths.py builds
# blocks both ways (BlockBuilder with and without fast paths) and compares them.


def apply_plain_transfer(
    state: Overlay,
    tx: Transaction,
    env: BlockEnv,
    cumulative_gas_before: int,
    tx_index: int,
) -> tuple[Receipt, int, int] | None:
    """Fast path of :func:`apply_transaction` for a value transfer to an ordinary address.

    Returns None, having changed nothing, unless ``tx`` is a signed transaction to an address
    that is neither a system contract nor the fee vault, from a sender that is not the fee
    vault; the caller then runs :func:`apply_transaction`. Raises the same
    :class:`InclusionError` as :func:`apply_transaction` (same checks, same order, nothing
    changed). Otherwise applies the sender's debit and nonce and the recipient's credit, and
    returns ``(receipt, fee_vault_credit, burn)``: the caller owes the fee vault
    ``fee_vault_credit`` and ``Globals.burned`` ``burn``, and must apply both before anything
    reads the fee vault or Globals (:class:`~rollup.core.builder.BlockBuilder` sums them over
    consecutive fast-path transactions and applies the sums once; the sums commute with the
    per-transaction updates because nothing else touches those two records in between).
    """
    if tx.tx_type == TX_TYPE_DEPOSIT:
        return None
    sender, to, vault = tx.sender, tx.to, env.fee_vault
    if to in CONTRACTS_BY_ADDRESS or to == vault or sender == vault:
        return None
    acct = state.account(sender)
    base_fee = env.base_fee
    intrinsic, l1_fee = _check(acct, tx, base_fee, env, True)  # type: ignore[arg-type]
    # An ordinary address has no op gas, and _check refused tx.gas < intrinsic: the gas used is
    # exactly the intrinsic gas, never "out of gas".
    priority = min(tx.max_priority_fee_per_gas, tx.max_fee_per_gas - base_fee)
    price = base_fee + priority
    l2_fee = intrinsic * price
    value = tx.value
    left = acct.balance - l2_fee - l1_fee
    if left < value:
        # Unreachable: _check required balance >= value + gas * max_fee + l1_fee, and
        # l2_fee <= gas * max_fee. Should it ever happen, the reference path (status 0) decides.
        return None
    # Unjournaled writes: the whole transaction is decided above, nothing can revert it. The
    # sender keeps a nonce >= 1 and the recipient a balance >= 1, so neither record is empty
    # (the typed setters would delete an empty one).
    state.put(account_key(sender), Account(acct.nonce + 1, Wei(left - value)))
    if value:
        # read after the sender's write: right when the sender pays itself
        dest = state.account(to)
        state.put(account_key(to), Account(dest.nonce, Wei(dest.balance + value)))
    receipt = Receipt(
        tx.tx_type, 1, Gas(cumulative_gas_before + intrinsic), intrinsic, Wei(price), (),
        Wei(l2_fee), l1_fee, "", tx.hash, tx_index, sender, to,
    )
    return receipt, intrinsic * priority + l1_fee, intrinsic * base_fee
