"""The AI-task lifecycle: post, submit, attest (approve / reject quorum), expiry refund."""

from __future__ import annotations

import pytest

from rollup.core.constants import OMNIT, ROLE_COMPUTE, ROLE_VALIDATOR
from rollup.core.genesis import DEV_STAKE
from rollup.core.records import TaskStatus
from rollup.core.system_contracts import event_topic
from rollup.core.tasks import split_reward

W = b"\x11" * 32
IN, OUT = b"\xaa" * 32, b"\xbb" * 32
POSTER, NODE, NODE2 = 0, 5, 6
V1, V2, V3, V4 = 1, 2, 3, 4


def topic(name: str) -> bytes:
    return event_topic("TaskRegistry", name)


@pytest.fixture
def posted(chain):
    """Model 1 registered, task 1 posted with a 1 OMNIT fee, deadline now + 1000."""
    chain.run(chain.call_tx(POSTER, "ModelRegistry", "registerModel", W, "ipfs://m"))
    deadline = chain.head.timestamp + 1000
    (r,) = chain.run(chain.call_tx(POSTER, "TaskRegistry", "postTask", 1, IN, deadline, value=OMNIT))
    assert r.status == 1, r.revert_reason
    chain.deadline = deadline
    return chain


def test_post_task(posted):
    c = posted
    t = c.view().task(1)
    assert (t.poster, t.model_id, t.input_commitment, t.fee, t.status) == (
        c.addr(POSTER), 1, IN, OMNIT, TaskStatus.OPEN)
    assert c.globals().total_escrow == OMNIT
    log = c.blocks[-1].receipts[0].logs[0]
    assert log.topics[0] == topic("TaskPosted")
    assert c.conservation_gap() == 0


def test_post_task_failures(posted):
    c = posted
    now = c.head.timestamp + 1
    rs = c.run(
        c.call_tx(POSTER, "TaskRegistry", "postTask", 9, IN, now + 100, value=OMNIT),
        c.call_tx(POSTER, "TaskRegistry", "postTask", 1, IN, now + 100, value=0),
        c.call_tx(POSTER, "TaskRegistry", "postTask", 1, IN, now, value=OMNIT),
        timestamp=now,
    )
    assert [r.status for r in rs] == [0, 0, 0]
    assert "model 9" in rs[0].revert_reason
    assert "must be positive" in rs[1].revert_reason
    assert "must be after the block time" in rs[2].revert_reason
    assert c.globals().total_escrow == OMNIT and c.globals().next_task_id == 2
    assert c.conservation_gap() == 0


def test_approve_quorum_pays_node_and_validators_with_dust(posted):
    c = posted
    (r,) = c.run(c.call_tx(NODE, "TaskRegistry", "submitResult", 1, OUT))
    assert r.status == 1 and r.logs[0].topics[0] == topic("ResultSubmitted")
    t = c.view().task(1)
    assert t.status == TaskStatus.SUBMITTED and t.stake_snapshot == 4 * DEV_STAKE and t.round == 1
    bal = {i: c.balance(c.addr(i)) for i in (NODE, V1, V2, V3)}
    rs = c.run(*(c.call_tx(v, "TaskRegistry", "attestResult", 1, True) for v in (V1, V2)))
    assert all(r.status == 1 for r in rs)
    assert c.view().task(1).status == TaskStatus.SUBMITTED  # 2000 of 4000: below 2/3
    (r3,) = c.run(c.call_tx(V3, "TaskRegistry", "attestResult", 1, True))
    assert r3.status == 1
    t = c.view().task(1)
    assert t.status == TaskStatus.FINALIZED and t.approve_stake == 3 * DEV_STAKE
    # pool = 10% of 1 OMNIT = 1e17, split 3 ways equally: 33333333333333333 each, 1 wei dust
    each = 10**17 // 3
    assert c.balance(c.addr(NODE)) == bal[NODE] + OMNIT - 3 * each
    for v, r in ((V1, rs[0]), (V2, rs[1]), (V3, r3)):
        assert c.balance(c.addr(v)) == bal[v] + each - r.l2_fee
    names = [lg.topics[0] for lg in r3.logs]
    assert names == [topic("ResultAttested")] + [topic("ValidatorRewarded")] * 3 + [topic("TaskFinalized")]
    assert c.globals().total_escrow == 0
    assert c.conservation_gap() == 0
    # finalized: no more attestations or reclaims
    (r,) = c.run(c.call_tx(V4, "TaskRegistry", "attestResult", 1, True))
    assert r.status == 0 and "FINALIZED" in r.revert_reason


def test_pro_rata_split_by_stake(posted):
    c = posted
    c.run(c.call_tx(V1, "Staking", "stake", ROLE_VALIDATOR, DEV_STAKE))  # V1: 2000, total 5000
    c.run(c.call_tx(NODE, "TaskRegistry", "submitResult", 1, OUT))
    assert c.view().task(1).stake_snapshot == 5 * DEV_STAKE
    bal = {i: c.balance(c.addr(i)) for i in (NODE, V1, V2, V3)}
    rs = c.run(*(c.call_tx(v, "TaskRegistry", "attestResult", 1, True) for v in (V1, V2)))
    assert c.view().task(1).status == TaskStatus.SUBMITTED  # 3000*3 < 5000*2
    (r3,) = c.run(c.call_tx(V3, "TaskRegistry", "attestResult", 1, True))
    assert c.view().task(1).status == TaskStatus.FINALIZED  # 4000*3 >= 10000
    pool = 10**17
    assert c.balance(c.addr(V1)) == bal[V1] + pool * 2 // 4 - rs[0].l2_fee
    assert c.balance(c.addr(V2)) == bal[V2] + pool // 4 - rs[1].l2_fee
    assert c.balance(c.addr(V3)) == bal[V3] + pool // 4 - r3.l2_fee
    assert c.balance(c.addr(NODE)) == bal[NODE] + OMNIT - pool
    assert c.conservation_gap() == 0


def test_split_reward_dust():
    a, b, d = b"\x01" * 20, b"\x02" * 20, b"\x03" * 20
    node, shares = split_reward(1001, ((a, 1), (b, 1), (d, 1)))
    assert shares == [(a, 33), (b, 33), (d, 33)] and node == 1001 - 99
    node, shares = split_reward(10_000, ((a, 7), (b, 2)))
    assert shares == [(a, 777), (b, 222)] and node == 10_000 - 999
    assert node + sum(s for _, s in shares) == 10_000


def test_reject_quorum_voids_and_reopens(posted):
    c = posted
    c.run(c.call_tx(NODE, "TaskRegistry", "submitResult", 1, OUT))
    rs = c.run(*(c.call_tx(v, "TaskRegistry", "attestResult", 1, False) for v in (V1, V2, V3)))
    assert all(r.status == 1 for r in rs)
    assert rs[2].logs[-1].topics[0] == topic("ResultRejected")
    t = c.view().task(1)
    assert t.status == TaskStatus.OPEN and t.round == 1 and t.compute_node == bytes(20)
    assert t.approvals == () and t.rejections == ()
    # a new result (round 2): the same validators may attest again
    (r,) = c.run(c.call_tx(NODE2, "TaskRegistry", "submitResult", 1, b"\xcc" * 32))
    assert r.status == 1 and c.view().task(1).round == 2
    bal = c.balance(c.addr(NODE2))
    c.run(*(c.call_tx(v, "TaskRegistry", "attestResult", 1, True) for v in (V1, V2, V3)))
    assert c.view().task(1).status == TaskStatus.FINALIZED
    assert c.balance(c.addr(NODE2)) > bal
    assert c.globals().total_escrow == 0 and c.conservation_gap() == 0


def test_mixed_votes_no_quorum_then_expiry_refund(posted):
    c = posted
    c.run(c.call_tx(NODE, "TaskRegistry", "submitResult", 1, OUT))
    c.run(c.call_tx(V1, "TaskRegistry", "attestResult", 1, True),
          c.call_tx(V2, "TaskRegistry", "attestResult", 1, False))
    (r,) = c.run(c.call_tx(NODE2, "TaskRegistry", "reclaimExpired", 1), timestamp=c.deadline)
    assert r.status == 0 and "has not expired" in r.revert_reason
    (r,) = c.run(c.call_tx(V3, "TaskRegistry", "attestResult", 1, True), timestamp=c.deadline + 1)
    assert r.status == 0 and "deadline" in r.revert_reason
    poster_bal = c.balance(c.addr(POSTER))
    (r,) = c.run(c.call_tx(NODE2, "TaskRegistry", "reclaimExpired", 1), timestamp=c.deadline + 1)
    assert r.status == 1 and r.logs[0].topics[0] == topic("TaskRefunded")
    assert c.balance(c.addr(POSTER)) == poster_bal + OMNIT  # refund goes to the poster
    assert c.view().task(1).status == TaskStatus.REFUNDED
    (r,) = c.run(c.call_tx(NODE2, "TaskRegistry", "reclaimExpired", 1))
    assert r.status == 0 and "REFUNDED" in r.revert_reason
    assert c.globals().total_escrow == 0 and c.conservation_gap() == 0


def test_open_task_expiry_and_late_submit(posted):
    c = posted
    (r,) = c.run(c.call_tx(NODE, "TaskRegistry", "submitResult", 1, OUT), timestamp=c.deadline + 5)
    assert r.status == 0 and "has passed" in r.revert_reason
    (r,) = c.run(c.call_tx(POSTER, "TaskRegistry", "reclaimExpired", 1))
    assert r.status == 1 and c.view().task(1).status == TaskStatus.REFUNDED


def test_roles_enforced(posted):
    c = posted
    rs = c.run(
        c.call_tx(POSTER, "TaskRegistry", "submitResult", 1, OUT),      # not a compute node
        c.call_tx(V1, "TaskRegistry", "attestResult", 1, True),         # nothing submitted
        c.call_tx(NODE, "TaskRegistry", "submitResult", 7, OUT),        # no such task
    )
    assert [r.status for r in rs] == [0, 0, 0]
    assert "not a staked compute node" in rs[0].revert_reason
    assert "is OPEN, expected SUBMITTED" in rs[1].revert_reason
    assert "task 7 does not exist" in rs[2].revert_reason
    c.run(c.call_tx(NODE, "TaskRegistry", "submitResult", 1, OUT))
    rs = c.run(
        c.call_tx(NODE2, "TaskRegistry", "attestResult", 1, True),      # compute, not validator
        c.call_tx(V1, "TaskRegistry", "attestResult", 1, True),
        c.call_tx(V1, "TaskRegistry", "attestResult", 1, False),        # second attestation
        c.call_tx(NODE2, "TaskRegistry", "submitResult", 1, OUT),       # already submitted
    )
    assert [r.status for r in rs] == [0, 1, 0, 0]
    assert "not a staked validator" in rs[0].revert_reason
    assert "already attested" in rs[2].revert_reason
    t = c.view().task(1)
    assert t.approve_stake == DEV_STAKE and t.reject_stake == 0


def test_compute_node_cannot_attest_itself(posted):
    c = posted
    c.run(c.call_tx(V1, "Staking", "stake", ROLE_COMPUTE, 200 * OMNIT))
    c.run(c.call_tx(V1, "TaskRegistry", "submitResult", 1, OUT))
    (r,) = c.run(c.call_tx(V1, "TaskRegistry", "attestResult", 1, True))
    assert r.status == 0 and "own result" in r.revert_reason


def test_min_compute_stake(posted):
    c = posted
    c.run(c.call_tx(8, "Staking", "stake", ROLE_COMPUTE, 99 * OMNIT))  # below the 100 minimum
    (r,) = c.run(c.call_tx(8, "TaskRegistry", "submitResult", 1, OUT))
    assert r.status == 0 and "at least 100000000000000000000 wei" in r.revert_reason
