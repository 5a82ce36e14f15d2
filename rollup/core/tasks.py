"""TaskRegistry: the AI-task lifecycle.

1. ``postTask(modelId, inputCommitment, deadline) -> taskId`` (payable): the call's ``value`` is
   the fee, held in escrow. The model must be active, the fee positive, the deadline (unix
   seconds) after the block timestamp. Status OPEN. Event ``TaskPosted``.
2. ``submitResult(taskId, outputCommitment)``: by a compute node with at least
   ``min_compute_stake`` bonded, while OPEN and not past the deadline. Snapshots the total
   validator stake (must be non-zero). Status SUBMITTED, ``round`` + 1. Event ``ResultSubmitted``.
3. ``attestResult(taskId, approve)``: by a validator with at least ``min_validator_stake``
   bonded, once per result, not the compute node itself, while SUBMITTED and not past the
   deadline. Weight = the validator's bonded stake now. Event ``ResultAttested``.
   - approve weight * 3 >= snapshot * 2: FINALIZED. Validators' pool = fee * 10% split pro rata
     by weight among the approvers (floor); the compute node gets the rest (incl. rounding
     dust). Events ``ValidatorRewarded`` (each) and ``TaskFinalized``.
   - reject weight * 3 >= snapshot * 2: the result is voided, the task is OPEN again for any
     compute node. Event ``ResultRejected``.
4. ``reclaimExpired(taskId)``: anyone, once the block timestamp is past the deadline and the task
   is not final (OPEN or SUBMITTED): the fee goes back to the poster. Status REFUNDED. Event
   ``TaskRefunded``. Expiry is never automatic (no per-block scans).
5. ``getTask(taskId)`` (unknown: all zeros, status NONE), ``taskCount()``.
"""

from __future__ import annotations

from dataclasses import replace

from eth_abi import encode as abi_encode

from .constants import BPS_DENOMINATOR, QUORUM_DENOMINATOR, QUORUM_NUMERATOR, VALIDATION_SHARE_BPS
from .records import ModelStatus, Task, TaskStatus
from .system_contracts import CallContext, Revert
from .types import Address, Hash32, ModelId, Timestamp, Wei

__all__ = [
    "post_task",
    "submit_result",
    "attest_result",
    "reclaim_expired",
    "get_task",
    "task_count",
    "split_reward",
    "TASK_OUTPUT_TYPES",
]

TASK_OUTPUT_TYPES = (
    "address", "uint256", "bytes32", "uint64", "uint256", "uint8", "address", "bytes32",
    "uint32", "uint256", "uint256", "uint256",
)
"""ABI types of getTask's return tuple."""

_NO_NODE = Address(bytes(20))


def _reached(weight: int, snapshot: int) -> bool:
    return weight * QUORUM_DENOMINATOR >= snapshot * QUORUM_NUMERATOR


def split_reward(
    fee: int, approvals: tuple[tuple[Address, Wei], ...]
) -> tuple[int, list[tuple[Address, int]]]:
    """(compute node reward, [(validator, reward)]) for a finalized task (dust to the node)."""
    pool = fee * VALIDATION_SHARE_BPS // BPS_DENOMINATOR
    total = sum(w for _, w in approvals)
    shares = [(a, pool * w // total) for a, w in approvals] if total else []
    paid = sum(r for _, r in shares)
    return fee - paid, shares


def _task(ctx: CallContext, task_id: int) -> Task:
    t = ctx.state.task(task_id)
    if t is None:
        raise Revert(f"task {task_id} does not exist")
    return t


def _expect(t: Task, task_id: int, status: TaskStatus) -> None:
    if t.status != status:
        raise Revert(f"task {task_id} is {t.status.name}, expected {status.name}")


def _before_deadline(ctx: CallContext, t: Task, task_id: int) -> None:
    if ctx.env.timestamp > t.deadline:
        raise Revert(
            f"task {task_id} deadline {t.deadline} has passed (block time {ctx.env.timestamp})"
        )


def post_task(ctx: CallContext, args: tuple) -> bytes:
    model_id, input_commitment, deadline = args
    model = ctx.state.model(model_id)
    if model is None or model.status != ModelStatus.ACTIVE:
        raise Revert(f"model {model_id} is not a registered active model")
    if ctx.value == 0:
        raise Revert("task fee (the call's value) must be positive")
    if deadline <= ctx.env.timestamp:
        raise Revert(f"deadline {deadline} must be after the block time {ctx.env.timestamp}")
    g = ctx.state.globals()
    task_id = g.next_task_id
    ctx.state.set_task(task_id, Task(
        ctx.sender, ModelId(model_id), Hash32(input_commitment), Timestamp(deadline), ctx.value,
        TaskStatus.OPEN, ctx.env.number,
    ))
    ctx.state.set_globals(
        replace(g, next_task_id=task_id + 1, total_escrow=g.total_escrow + ctx.value)
    )
    ctx.emit("TaskPosted", task_id, model_id, ctx.sender, input_commitment, deadline, ctx.value)
    return abi_encode(["uint256"], [task_id])


def submit_result(ctx: CallContext, args: tuple) -> bytes:
    task_id, output_commitment = args
    t = _task(ctx, task_id)
    _expect(t, task_id, TaskStatus.OPEN)
    _before_deadline(ctx, t, task_id)
    minimum = ctx.env.config.min_compute_stake
    bonded = ctx.state.stake(ctx.sender).compute
    if bonded < minimum or bonded == 0:
        raise Revert(
            f"sender is not a staked compute node: {bonded} wei bonded, at least "
            f"{max(minimum, 1)} wei needed"
        )
    snapshot = ctx.state.globals().total_validator_stake
    if snapshot == 0:
        raise Revert("no validator stake is bonded: results cannot be attested")
    rnd = t.round + 1
    ctx.state.set_task(task_id, replace(
        t, status=TaskStatus.SUBMITTED, round=rnd, compute_node=ctx.sender,
        output_commitment=Hash32(output_commitment), submitted_at=ctx.env.timestamp,
        stake_snapshot=snapshot, approve_stake=Wei(0), reject_stake=Wei(0), approvals=(),
        rejections=(),
    ))
    ctx.emit("ResultSubmitted", task_id, ctx.sender, output_commitment, rnd)
    return b""


def attest_result(ctx: CallContext, args: tuple) -> bytes:
    task_id, approve = args
    t = _task(ctx, task_id)
    _expect(t, task_id, TaskStatus.SUBMITTED)
    _before_deadline(ctx, t, task_id)
    sender = ctx.sender
    weight = ctx.state.stake(sender).validator
    minimum = ctx.env.config.min_validator_stake
    if weight < minimum or weight == 0:
        raise Revert(
            f"sender is not a staked validator: {weight} wei bonded, at least "
            f"{max(minimum, 1)} wei needed"
        )
    if sender == t.compute_node:
        raise Revert("the compute node cannot attest its own result")
    if any(a == sender for a, _ in t.approvals) or any(a == sender for a, _ in t.rejections):
        raise Revert(f"validator already attested result round {t.round} of task {task_id}")
    ctx.emit("ResultAttested", task_id, sender, approve, weight)
    if approve:
        t = replace(t, approve_stake=Wei(t.approve_stake + weight),
                    approvals=t.approvals + ((sender, weight),))
        if _reached(t.approve_stake, t.stake_snapshot):
            _finalize(ctx, task_id, t)
            return b""
    else:
        t = replace(t, reject_stake=Wei(t.reject_stake + weight),
                    rejections=t.rejections + ((sender, weight),))
        if _reached(t.reject_stake, t.stake_snapshot):
            ctx.emit("ResultRejected", task_id, t.compute_node, t.round)
            t = replace(
                t, status=TaskStatus.OPEN, compute_node=_NO_NODE, output_commitment=Hash32(bytes(32)),
                submitted_at=Timestamp(0), stake_snapshot=Wei(0), approve_stake=Wei(0),
                reject_stake=Wei(0), approvals=(), rejections=(),
            )
    ctx.state.set_task(task_id, t)
    return b""


def _finalize(ctx: CallContext, task_id: int, t: Task) -> None:
    node_reward, shares = split_reward(t.fee, t.approvals)
    for validator, reward in shares:
        ctx.state.credit(validator, reward)
        ctx.emit("ValidatorRewarded", task_id, validator, reward)
    ctx.state.credit(t.compute_node, node_reward)
    g = ctx.state.globals()
    ctx.state.set_globals(replace(g, total_escrow=g.total_escrow - t.fee))
    ctx.state.set_task(task_id, replace(t, status=TaskStatus.FINALIZED))
    ctx.emit("TaskFinalized", task_id, t.compute_node, t.output_commitment, node_reward,
             t.fee - node_reward)


def reclaim_expired(ctx: CallContext, args: tuple) -> bytes:
    (task_id,) = args
    t = _task(ctx, task_id)
    if t.status not in (TaskStatus.OPEN, TaskStatus.SUBMITTED):
        raise Revert(f"task {task_id} is {t.status.name}: only OPEN or SUBMITTED tasks expire")
    if ctx.env.timestamp <= t.deadline:
        raise Revert(
            f"task {task_id} has not expired: deadline {t.deadline}, block time {ctx.env.timestamp}"
        )
    ctx.state.credit(t.poster, t.fee)
    g = ctx.state.globals()
    ctx.state.set_globals(replace(g, total_escrow=g.total_escrow - t.fee))
    ctx.state.set_task(task_id, replace(t, status=TaskStatus.REFUNDED))
    ctx.emit("TaskRefunded", task_id, t.poster, t.fee)
    return b""


def get_task(ctx: CallContext, args: tuple) -> bytes:
    (task_id,) = args
    t = ctx.state.task(task_id)
    if t is None:
        values = [_NO_NODE, 0, bytes(32), 0, 0, 0, _NO_NODE, bytes(32), 0, 0, 0, 0]
    else:
        values = [t.poster, t.model_id, t.input_commitment, t.deadline, t.fee, int(t.status),
                  t.compute_node, t.output_commitment, t.round, t.stake_snapshot,
                  t.approve_stake, t.reject_stake]
    return abi_encode(list(TASK_OUTPUT_TYPES), values)


def task_count(ctx: CallContext, args: tuple) -> bytes:
    return abi_encode(["uint256"], [ctx.state.globals().next_task_id - 1])
