"""Derivation rules on the pure engine: a valid chain re-derives exactly; each rule is enforced."""

from __future__ import annotations

import dataclasses

import pytest

from rollup.derivation.deriver import DerivationParams, Deriver, ZERO_HASH
from rollup.derivation.errors import (
    BatchDataMismatch,
    BrokenBatchChain,
    DepositRuleViolation,
    ForcedInclusionViolation,
    FutureOrigin,
    NonCanonicalOrigin,
    OriginDecreasing,
    TimestampDecreasing,
    TransactionRejected,
)
from rollup.derivation.inputs import ProposedOutput

from .simchain import OMNIT, FakeL1, SimSequencer, deposit, post
from prover.output_root import output_root

ALICE = b"\xaa" * 20
WINDOW = 60


def deriver(seq: SimSequencer, window: int = WINDOW) -> Deriver:
    return Deriver(seq.genesis, DerivationParams(forced_inclusion_window=window))


def test_rederives_sequencer_blocks_exactly() -> None:
    l1 = FakeL1()
    seq = SimSequencer()
    d0, d1 = deposit(0, 3, ALICE, 5 * OMNIT), deposit(1, 4, ALICE, 2 * OMNIT)
    b1 = seq.build(1050, 3, [d0], transfers=2)
    b2 = seq.build(1051, 4, [d1], transfers=1)
    b3 = seq.build(1053, 4, [], transfers=3)
    d = deriver(seq)
    d.add_deposits([d1, d0])
    p0 = post([b1, b2], 0, ZERO_HASH)
    out = d.apply_batch(p0, l1)
    assert [b.hash for b in out] == [b1.hash, b2.hash]
    p1 = post([b3], 1, p0.batch_hash)
    out = d.apply_batch(p1, l1)
    assert out[0].hash == b3.hash and d.head.state_root == b3.header.state_root
    assert d.next_deposit == 2
    good = output_root(b3.header.state_root, b3.header.withdrawal_root, b3.hash)
    assert d.check_output(ProposedOutput(0, good, 3, 0)).status == "match"
    assert d.check_output(ProposedOutput(0, b"\x01" * 32, 3, 0)).status == "mismatch"
    assert d.check_output(ProposedOutput(1, good, 9, 0)).status == "pending"


def test_bad_chain_detected() -> None:
    l1, seq = FakeL1(), SimSequencer()
    b1 = seq.build(1050, 3)
    b2 = seq.build(1051, 3)
    d = deriver(seq)
    p0 = post([b1], 0, ZERO_HASH)
    with pytest.raises(BrokenBatchChain):  # prevHash not zero for batch 0
        d.apply_batch(post([b1], 0, b"\x05" * 32), l1)
    with pytest.raises(BrokenBatchChain):  # wrong index
        d.apply_batch(dataclasses.replace(p0, index=1), l1)
    d.apply_batch(p0, l1)
    with pytest.raises(BrokenBatchChain):  # skips the previous batch hash
        d.apply_batch(post([b2], 1, ZERO_HASH), l1)
    with pytest.raises(BatchDataMismatch):  # data hash of other bytes
        bad = post([b2], 1, p0.batch_hash)
        d.apply_batch(dataclasses.replace(bad, frame=bad.frame + b"\x00"), l1)
    d.apply_batch(post([b2], 1, p0.batch_hash), l1)
    assert d.head.hash == b2.hash and d.batch_count == 2


def test_failed_batch_changes_nothing() -> None:
    l1, seq = FakeL1(), SimSequencer()
    b1 = seq.build(1050, 3)
    b2 = seq.build(1040, 3)  # timestamp goes backwards (the simulator does not check)
    d = deriver(seq)
    p0 = post([b1], 0, ZERO_HASH)
    d.apply_batch(p0, l1)
    root = d.state_tree.root
    # within a batch the codec cannot even express it; across batches derivation checks it
    with pytest.raises(TimestampDecreasing):
        d.apply_batch(post([b2], 1, p0.batch_hash), l1)
    assert d.head.number == 1 and d.batch_count == 1 and d.state_tree.root == root


def test_non_canonical_origin_detected() -> None:
    seq = SimSequencer()
    b1 = seq.build(1050, 3)
    reorged = FakeL1(overrides={3: b"\x33" * 32})
    with pytest.raises(NonCanonicalOrigin) as info:
        deriver(seq).apply_batch(post([b1], 0, ZERO_HASH), reorged)
    assert info.value.l1_number == 3 and info.value.l2_block == 1


def test_origin_rules() -> None:
    l1, seq = FakeL1(), SimSequencer()
    b1 = seq.build(1050, 5)
    b2 = seq.build(1051, 4)
    d = deriver(seq)
    p0 = post([b1], 0, ZERO_HASH)
    d.apply_batch(p0, l1)
    with pytest.raises(OriginDecreasing):
        d.apply_batch(post([b2], 1, p0.batch_hash), l1)
    seq = SimSequencer()
    b1 = seq.build(1050, 5)
    with pytest.raises(FutureOrigin):
        deriver(seq).apply_batch(post([b1], 0, ZERO_HASH, l1_block_number=5), l1)
    with pytest.raises(NonCanonicalOrigin):  # origin beyond the L1 head
        seq = SimSequencer()
        b1 = seq.build(1050, 5)
        deriver(seq).apply_batch(post([b1], 0, ZERO_HASH), FakeL1(head=4))


def test_deposit_from_after_origin_rejected() -> None:
    l1, seq = FakeL1(), SimSequencer()
    d0 = deposit(0, 7, ALICE, OMNIT)
    b1 = seq.build(1050, 3, [d0])  # includes a deposit of L1 block 7 with origin 3
    d = deriver(seq)
    d.add_deposits([d0])
    with pytest.raises(DepositRuleViolation):
        d.apply_batch(post([b1], 0, ZERO_HASH), l1)


def test_deposit_that_does_not_exist_rejected() -> None:
    l1, seq = FakeL1(), SimSequencer()
    d0 = deposit(0, 2, ALICE, OMNIT)
    b1 = seq.build(1050, 3, [d0])
    with pytest.raises(DepositRuleViolation):
        deriver(seq).apply_batch(post([b1], 0, ZERO_HASH), l1)  # replica never saw it on the L1


def test_deposits_out_of_order_change_the_state() -> None:
    l1, seq = FakeL1(), SimSequencer()
    d0, d1 = deposit(0, 2, ALICE, OMNIT), deposit(1, 2, b"\xbb" * 20, 3 * OMNIT)
    b1 = seq.build(1050, 3, [d1, d0])  # wrong order: derivation rebuilds nonce order
    p = post([b1], 0, ZERO_HASH)
    d = deriver(seq)
    d.add_deposits([d0, d1])
    d.apply_batch(p, l1)
    assert d.head.hash != b1.hash  # a different block: the proposer's output would not match
    good = output_root(b1.header.state_root, b1.header.withdrawal_root, b1.hash)
    assert d.check_output(ProposedOutput(0, good, 1, 0)).status == "mismatch"


def test_forced_inclusion_violation_detected() -> None:
    l1, seq = FakeL1(), SimSequencer()
    d0 = deposit(0, 2, ALICE, OMNIT)  # L1 time 1024
    b1 = seq.build(1024 + WINDOW, 3)  # exactly the window: still allowed
    b2 = seq.build(1024 + WINDOW + 1, 3)  # one second older than the window, not included
    d = deriver(seq)
    d.add_deposits([d0])
    d.apply_batch(post([b1], 0, ZERO_HASH), l1)
    with pytest.raises(ForcedInclusionViolation) as info:
        d.apply_batch(post([b2], 1, d.last_batch_hash), l1)
    assert info.value.deposit_nonce == 0 and info.value.window == WINDOW
    assert info.value.kind == "forced_inclusion_violation"
    assert info.value.details()["l2_timestamp"] == 1024 + WINDOW + 1


def test_forced_inclusion_satisfied_when_included() -> None:
    l1, seq = FakeL1(), SimSequencer()
    d0 = deposit(0, 2, ALICE, OMNIT)
    b1 = seq.build(1024 + WINDOW + 30, 3, [d0])
    d = deriver(seq)
    d.add_deposits([d0])
    assert d.apply_batch(post([b1], 0, ZERO_HASH), l1)[0].hash == b1.hash


def test_invalid_transaction_rejected() -> None:
    l1, seq = FakeL1(), SimSequencer()
    b1 = seq.build(1050, 3, transfers=1)
    # replay the same block as block 2: the transfer's nonce is now too low
    from rollup.batch import Batch, encode_frame
    from .simchain import batch_block_of
    bb1 = batch_block_of(b1)
    bb2 = dataclasses.replace(bb1, number=2)
    frame = encode_frame(Batch(ZERO_HASH, (bb1, bb2)))
    d = deriver(seq)
    with pytest.raises(TransactionRejected) as info:
        d.apply_batch(_posted_for(frame, 1, 2), l1)
    assert info.value.l2_block == 2


def _posted_for(frame: bytes, first: int, last: int):
    from rollup.batch import KIND_CALLDATA, batch_hash, calldata_data_hash
    from rollup.derivation.inputs import PostedBatch
    dh = calldata_data_hash(frame)
    return PostedBatch(0, batch_hash(ZERO_HASH, 0, first, last, dh, KIND_CALLDATA), ZERO_HASH, first, last,
                       dh, False, frame, 1000)


def test_pre_l1_origin_accepted_then_real_origin() -> None:
    """Blocks sealed before the sequencer saw the L1 carry the genesis origin (0, Z)."""
    from rollup.core.builder import BlockBuilder, next_base_fee
    from rollup.core.config import BlockEnv
    from rollup.core.constants import DEFAULT_L1_FEE_PER_BYTE

    l1, seq = FakeL1(), SimSequencer()
    head = seq.head
    env = BlockEnv(number=1, timestamp=1050, parent_hash=head.hash,
                   base_fee=next_base_fee(head, seq.genesis.config), config=seq.genesis.config,
                   gas_limit=seq.genesis.config.block_gas_limit, fee_vault=seq.genesis.fee_vault,
                   l1_fee_per_byte=DEFAULT_L1_FEE_PER_BYTE)
    b = BlockBuilder(seq.state, seq.state_tree, seq.withdrawal_tree, env)
    from rollup.core.transactions import decode_transaction
    b.add(decode_transaction(seq.signers[0].tx(b"\x22" * 20, value=OMNIT), seq.genesis.config.chain_id))
    b1 = b.seal()
    seq.state.apply(b1.state_writes)
    seq.blocks.append(b1)
    b2 = seq.build(1052, 4)
    d = deriver(seq)
    p0 = post([b1, b2], 0, ZERO_HASH)
    assert [blk.hash for blk in d.apply_batch(p0, l1)] == [b1.hash, b2.hash]


def test_l1_fee_follows_the_origin_base_fee() -> None:
    """A sequencer charging another L1 fee than the origin's rule yields a different block."""
    l1, seq = FakeL1(), SimSequencer()
    b1 = seq.build(1050, 3)
    d = Deriver(seq.genesis, DerivationParams(forced_inclusion_window=WINDOW, l1_fee_rule=lambda base: 1))
    out = d.apply_batch(post([b1], 0, ZERO_HASH), l1)
    assert out[0].hash != b1.hash
