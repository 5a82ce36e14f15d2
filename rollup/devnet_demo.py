"""The scripted scenario of ``omnit devnet --demo`` on the full devnet (L1 + L2 + settlement).

Steps, each printed: deposit OMNIT on the L1; on the L2 a transfer, a model registration, a
compute stake, a task posted, its result submitted and attested by validators until it is
final; a withdrawal; the batch and the output that carry it on the L1; the challenge period;
the finalization on the L1; a replica rebuilding the L2 from L1 data alone. Every balance the
scenario touches is predicted exactly (amounts moved, fees from the receipts, rewards from the
protocol's rule) and checked: a wrong balance raises :class:`DemoFailed`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from eth_hash.auto import keccak

from rollup.bridge.client import READY, BridgeClient
from rollup.rpc.client import OmniClient, TxOutcome

__all__ = ["DemoFailed", "DemoReport", "run_full_demo", "l2_fee_paid"]

OMNIT = 10**18
Echo = Callable[[str], None]

DEPOSIT = 100 * OMNIT
TRANSFER = 5 * OMNIT
COMPUTE_STAKE = 100 * OMNIT
TASK_FEE = 5 * OMNIT
WITHDRAW = 20 * OMNIT
VALIDATOR_POOL_BPS = 1000
"""Validators share this many basis points of a task fee (docs/spec.md §3, attestResult)."""


class DemoFailed(RuntimeError):
    """A demo step did not have the expected outcome."""


@dataclass
class DemoReport:
    """Figures of one demo run."""

    deposit_latency: float = 0.0
    """Seconds from the L1 deposit transaction's inclusion to the L2 block holding it."""
    deposit_total: float = 0.0
    """Seconds from sending approve + deposit to the L2 inclusion."""
    withdraw_to_finalized: float = 0.0
    """Seconds from the L2 withdrawal's receipt to the L1 finalization's receipt."""
    balances: dict[str, int] = field(default_factory=dict)
    replica_blocks: int = 0
    model_id: int = 0
    """The model the demo registered on the L2 (the relay demo attests it on the remote chain)."""


async def l2_fee_paid(client: OmniClient, tx_hash: str) -> int:
    """Execution fee plus L1 data fee the sender of an L2 transaction paid."""
    r = await client.raw("eth_getTransactionReceipt", [tx_hash])
    if r is None:
        raise DemoFailed(f"no receipt for {tx_hash}")
    return int(r["gasUsed"], 16) * int(r["effectiveGasPrice"], 16) + int(r.get("l1Fee") or "0x0", 16)


async def _wait(what: str, check: Callable[[], Any], timeout: float, stack: Any, poll: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        failed = stack.service_failed()
        if failed:
            raise DemoFailed(f"{what}: {failed}")
        if time.monotonic() > deadline:
            raise DemoFailed(f"{what}: nothing after {timeout:.0f}s")
        await asyncio.sleep(poll)


async def run_full_demo(stack: Any, echo: Echo = print) -> DemoReport:
    """Run the scenario on a started :class:`rollup.devnet_stack.DevnetStack`."""
    from bridge_contracts.anvil import DevAccounts

    report = DemoReport()
    dev: DevAccounts = stack.accounts
    user, node_op, spare = dev.alice, dev.carol, dev.spare
    validators = [dev.batcher, dev.proposer, dev.challenger]  # dev genesis validators 1..3 on the L2
    bridge = BridgeClient(stack.l1_url, stack.l2_url, stack.portal_address, user, timeout=60)
    l2 = {a.address: OmniClient(stack.l2_url, a, timeout=30) for a in [user, node_op, *validators]}
    c_user, c_node = l2[user.address], l2[node_op.address]
    fees: dict[str, int] = {a: 0 for a in l2}

    async def step(title: str, outcome: TxOutcome, who: str) -> TxOutcome:
        echo(f"-- {title}")
        echo("   " + outcome.describe().replace("\n", "\n   "))
        if not outcome.ok:
            raise DemoFailed(f"{title}: receipt status 0 ({outcome.revert_reason or 'no reason given'})")
        fees[who] += await l2_fee_paid(c_user, outcome.tx_hash)
        return outcome

    def event_arg(outcome: TxOutcome, event: str, arg: str) -> Any:
        for ev in outcome.events:
            if ev["event"] == event:
                return ev["args"][arg]
        raise DemoFailed(f"{outcome.action}: no {event} event in the receipt")

    async def show_balances(title: str) -> dict[str, int]:
        echo(f"   balances {title}:")
        out = {
            "user L1": await bridge.l1_balance(user.address),
            "user L2": await c_user.balance(user.address),
            "node L2": await c_user.balance(node_op.address),
            "spare L2": await c_user.balance(spare.address),
            "validator L2": await c_user.balance(validators[0].address),
            "portal L1": await bridge.l1_balance(stack.portal_address),
        }
        for name, wei in out.items():
            echo(f"     {name:<13} {wei / OMNIT:>22,.6f} OMNIT")
        return out

    try:
        start = await show_balances("at start")

        # 1. deposit on the L1
        echo(f"-- deposit {DEPOSIT // OMNIT} OMNIT on the L1 (approve + OmniPortal.depositOMNIT)")
        dep = await bridge.deposit(DEPOSIT, user.address)
        l1_block = await stack.w3.eth.get_block(dep.l1_block)
        echo(f"   L1 tx 0x{dep.l1_tx_hash.hex()} block {dep.l1_block}, deposit nonce {dep.nonce}")
        receipt = await bridge.wait_deposit(dep, 60)
        l2_block = int(receipt["blockNumber"], 16)
        included = await c_user.w3.eth.get_block(l2_block)
        report.deposit_total = time.time() - dep.sent_at
        report.deposit_latency = max(0.0, float(included["timestamp"]) - float(l1_block["timestamp"]))
        echo(f"   on the L2 in block {l2_block} as 0x{dep.l2_tx_hash.hex()} "
             f"({report.deposit_total:.1f}s after sending, ~{report.deposit_latency:.0f}s after the L1 block)")

        # 2. L2 activity: transfer, model, stake, task lifecycle
        await step(f"transfer {TRANSFER // OMNIT} OMNIT to the spare account",
                   await c_user.transfer(spare.address, TRANSFER), user.address)
        reg = await step("registerModel", await c_user.register_model(
            "0x" + keccak(b"omnit demo weights").hex(), "ipfs://omnit-demo-model"), user.address)
        model_id = int(event_arg(reg, "ModelRegistered", "modelId"))
        report.model_id = model_id
        await step(f"stake {COMPUTE_STAKE // OMNIT} OMNIT as a compute node",
                   await c_node.stake(1, COMPUTE_STAKE), node_op.address)
        post = await step(f"postTask with a {TASK_FEE // OMNIT} OMNIT fee", await c_user.post_task(
            model_id, "0x" + keccak(b"omnit demo input").hex(), TASK_FEE, 3600), user.address)
        task_id = int(event_arg(post, "TaskPosted", "taskId"))
        await step("submitResult", await c_node.submit_result(
            task_id, "0x" + keccak(b"omnit demo output").hex()), node_op.address)
        compute_reward = None
        for v in validators:
            out = await step(f"attestResult (approve) from validator {v.address}",
                             await l2[v.address].attest_result(task_id, True), v.address)
            if any(ev["event"] == "TaskFinalized" for ev in out.events):
                compute_reward = int(event_arg(out, "TaskFinalized", "computeReward"))
                break
        if compute_reward is None:
            raise DemoFailed("the task did not reach finality (TaskFinalized) with the validators' attestations")
        approvers = validators[: [v.address for v in validators].index(v.address) + 1]
        stake_each = 1_000 * OMNIT  # dev genesis validator bond
        pool = TASK_FEE * VALIDATOR_POOL_BPS // 10_000
        share = pool * stake_each // (stake_each * len(approvers))
        if compute_reward != TASK_FEE - share * len(approvers):
            raise DemoFailed(f"compute reward {compute_reward}, expected {TASK_FEE - share * len(approvers)}")
        echo(f"   task {task_id} final: compute node {compute_reward / OMNIT:.6f} OMNIT, "
             f"each of {len(approvers)} validators {share / OMNIT:.6f} OMNIT")

        # 3. withdraw on the L2
        echo(f"-- withdraw {WITHDRAW // OMNIT} OMNIT to the L1")
        wd = await bridge.withdraw(WITHDRAW, user.address)
        fees[user.address] += await l2_fee_paid(c_user, "0x" + wd.tx_hash.hex())
        wd_at = time.time()
        echo(f"   L2 tx 0x{wd.tx_hash.hex()} block {wd.l2_block}, withdrawal nonce {wd.nonce}")

        # 4. batch and output on the L1, challenge period, finalization
        async def batched() -> int:
            last = int(await stack.l1.rollup.functions.lastBatchedL2Block().call())
            return last if last >= wd.l2_block else 0
        last = await _wait("batch carrying the withdrawal", batched, 90, stack)
        count = int(await stack.l1.rollup.functions.batchCount().call())
        echo(f"-- batches on the L1: {count} (L2 blocks up to {last})")
        shown: set[str] = set()

        async def ready() -> bool:
            st = await bridge.status(wd.tx_hash)
            if st.state not in shown:
                shown.add(st.state)
                echo(f"   {st.describe()}")
            return st.state == READY
        await _wait("withdrawal ready to finalize", ready, 120, stack)
        out = await bridge.finalize(wd.tx_hash)
        report.withdraw_to_finalized = time.time() - wd_at
        echo(f"-- finalizeWithdrawal on the L1: output {out['output_index']}, L1 tx "
             f"0x{out['l1_tx_hash'].hex()}, gas {out['gas_used']} "
             f"({report.withdraw_to_finalized:.1f}s after the withdrawal)")

        # 5. verify every balance
        end = await show_balances("at the end")
        report.balances = end
        expected = {
            "user L1": start["user L1"] - DEPOSIT + WITHDRAW,
            "user L2": start["user L2"] + DEPOSIT - TRANSFER - TASK_FEE - WITHDRAW - fees[user.address],
            "node L2": start["node L2"] - COMPUTE_STAKE + compute_reward - fees[node_op.address],
            "spare L2": start["spare L2"] + TRANSFER,
            "validator L2": start["validator L2"] + share - fees[validators[0].address],
            "portal L1": start["portal L1"] + DEPOSIT - WITHDRAW,
        }
        wrong = {k: (end[k], v) for k, v in expected.items() if end[k] != v}
        if wrong:
            raise DemoFailed("wrong balances (got, expected): " + ", ".join(f"{k} {g} != {e}"
                                                                            for k, (g, e) in wrong.items()))
        echo("   every balance is exactly as expected")

        # 6. a replica from L1 data alone
        from rollup.derivation.replica import Replica, ReplicaSettings

        settings = ReplicaSettings(l1_rpc_url=stack.l1_url, rollup_address=stack.rollup_address,
                                   portal_address=stack.portal_address)
        async with Replica(settings) as rep:
            status = await rep.sync()
            if status.error is not None or status.mismatches:
                raise DemoFailed(f"replica: {status.summary()}")
            for n in range(status.l2_head + 1):
                record = await stack.node.store.get_block(n)
                if record is None or rep.deriver.headers[n].hash != record.hash:
                    raise DemoFailed(f"replica block {n} differs from the sequencer's")
            matched = sum(1 for c in status.outputs.values() if c.status == "match")
            report.replica_blocks = status.l2_head
            echo(f"-- replica: {status.batches} batches, L2 blocks 0..{status.l2_head} rebuilt from the L1 "
                 f"with the sequencer's exact hashes and state roots; {matched} output roots match")
        watched = getattr(stack, "replica_events", [])
        bad = [e for e in watched if e["event"] in ("output_mismatch", "invalid_batch")]
        if bad:
            raise DemoFailed(f"the devnet's replica reported {bad}")
        if watched:
            echo(f"-- the devnet's own replica (with the challenger's key): "
                 f"{sum(1 for e in watched if e['event'] == 'batch_derived')} batches derived, "
                 f"{sum(1 for e in watched if e['event'] == 'output_match')} outputs matched, none challenged")
        echo(f"figures: deposit {report.deposit_total:.1f}s end to end; withdrawal to L1 finalization "
             f"{report.withdraw_to_finalized:.1f}s (finalization period {stack.opts.finalization_period}s)")
        return report
    finally:
        await bridge.aclose()
        for c in l2.values():
            try:
                await c.w3.provider.disconnect()
            except Exception:  # noqa: BLE001
                pass
