"""The fast paths give exactly what the readable reference gives.

- :func:`rollup.core.execution.apply_plain_transfer` with the builder's deferred fee-vault
  credit and burn, batched receipt encoding and packed list roots (``builder.FAST_PATHS``):
  random blocks are built twice in lockstep, fast and reference, and every outcome is compared:
  receipts (all fields), errors (type and message), headers, state writes, withdrawals, and
  mid-block reads of the pending state.
- :func:`rollup.core.blocks.encode_receipts` against :meth:`Receipt.encode`,
  :func:`rollup.node.receipt_codec.encode_receipts` against ``encode_receipt``,
  :func:`rollup.core.builder.packed_list_root` against ``list_root``,
  :func:`rollup.node.chain.block_write` against the records built one by one.
"""

from __future__ import annotations

import dataclasses
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prover.merkle import list_root

from rollup.core import builder as builder_mod
from rollup.core import decode_transaction, make_deposit
from rollup.core.blocks import Log, Receipt, encode_receipts
from rollup.core.builder import BlockBuilder, packed_list_root
from rollup.core.constants import GWEI, OMNIT
from rollup.core.genesis import dev_accounts, dev_genesis
from rollup.core.records import GLOBALS_KEY, Account, account_key
from rollup.core.state import MemoryState, Overlay
from rollup.core.transactions import deposit_source_hash
from rollup.node.chain import DELETED_VALUE, block_write
from rollup.node.receipt_codec import encode_receipt, encode_receipts as encode_stored_receipts
from rollup.storage import LogRecord, ReceiptRecord, StateRow, TxRecord, WithdrawalRecord
from chainkit import CONTRACT_ADDRESS, Chain
from txgen import sign_dynamic, sign_legacy

FRESH = [bytes([0x77]) * 19 + bytes([i]) for i in range(4)]
"""Addresses that hold nothing at genesis."""

KINDS = [
    "transfer", "transfer", "transfer", "self", "zero", "fresh", "to_vault", "data", "access",
    "legacy", "too_much", "nonce_high", "nonce_low", "fee_cap", "low_gas", "register", "stake",
    "withdraw", "garbage", "out_of_gas", "nonpayable", "deposit", "deposit_again",
    "deposit_vault",
]

_op = st.tuples(
    st.sampled_from(KINDS),
    st.integers(0, 9),          # signer
    st.integers(0, 9),          # other account / selector
    st.integers(0, 3 * OMNIT),  # amount
)
_block = st.tuples(st.lists(_op, max_size=12), st.integers(0, 30), st.booleans())
_history = st.tuples(
    st.booleans(),                      # the fee vault is dev account 9 (it signs and receives)
    st.sampled_from([0, GWEI]),         # l1 fee per byte
    st.lists(_block, min_size=1, max_size=4),
)


class Twins:
    """Two identical chains; blocks are built on both in lockstep, fast and reference."""

    def __init__(self, vault_is_account: bool, l1_fee_per_byte: int) -> None:
        genesis = dev_genesis()
        if vault_is_account:
            genesis = dataclasses.replace(genesis, fee_vault=dev_accounts(10)[9].address)
        self.fast = Chain(genesis, l1_fee_per_byte)
        self.ref = Chain(genesis, l1_fee_per_byte)
        self.keys = [a.private_key for a in self.fast.accounts]
        self.nonces = [0] * 10
        self.deposits = 0

    def builders(self, timestamp: int) -> tuple[BlockBuilder, BlockBuilder]:
        saved = builder_mod.FAST_PATHS
        try:
            vault = self.fast.genesis.fee_vault  # chainkit's env uses the default otherwise
            builder_mod.FAST_PATHS = True
            fast = self.fast.builder(timestamp, fee_vault=vault)
            builder_mod.FAST_PATHS = False
            ref = self.ref.builder(timestamp, fee_vault=vault)
        finally:
            builder_mod.FAST_PATHS = saved
        return fast, ref

    def raw_for(self, op, vault: bytes) -> tuple[object, int | None]:
        """(transaction, signer whose next nonce it uses, or None)."""
        c = self.fast
        kind, s, o, amount = op
        key, nonce, fee = self.keys[s], self.nonces[s], c.config.chain_id
        other = c.addr(o)

        def dyn(to: bytes, **kw) -> bytes:
            return sign_dynamic(key, nonce=kw.pop("nonce", nonce), to=to, chain_id=fee, **kw)

        def call(contract: str, fn: str, *args, value: int = 0, gas: int | None = None) -> bytes:
            c.signers[s].nonce = nonce
            return c.call_tx(s, contract, fn, *args, value=value, gas=gas)

        if kind == "transfer":
            return dyn(other, value=amount), s
        if kind == "self":
            return dyn(c.addr(s), value=amount), s
        if kind == "zero":
            return dyn(other), s
        if kind == "fresh":
            return dyn(FRESH[o % len(FRESH)], value=amount + 1), s
        if kind == "to_vault":
            return dyn(vault, value=amount), s
        if kind == "data":
            return dyn(other, value=amount, data=bytes([o, 0, 0, 7]), gas=30_000), s
        if kind == "access":
            return dyn(other, value=amount, gas=30_000,
                       access_list=[[b"\x42" * 20, [b"\x01" * 32]]]), s
        if kind == "legacy":
            return sign_legacy(key, nonce=nonce, to=other, value=amount, chain_id=fee), s
        if kind == "too_much":
            return dyn(other, value=10**30), s
        if kind == "nonce_high":
            return dyn(other, value=amount, nonce=nonce + 2), None
        if kind == "nonce_low":
            return (dyn(other, value=amount, nonce=nonce - 1), None) if nonce else (dyn(other), s)
        if kind == "fee_cap":
            return dyn(other, value=amount, max_fee=1, max_priority=1), s
        if kind == "low_gas":
            return dyn(other, value=amount, gas=20_999), s
        if kind == "register":
            return call("ModelRegistry", "registerModel", bytes([o + 1]) * 32, "m"), s
        if kind == "stake":
            return call("Staking", "stake", 1 + o % 2, amount), s
        if kind == "withdraw":
            return call("L2ToL1MessagePasser", "withdraw", b"\x55" * 20, value=amount), s
        if kind == "garbage":
            return dyn(CONTRACT_ADDRESS["TaskRegistry"], data=bytes([o]) * 5, gas=30_000), s
        if kind == "out_of_gas":
            return call("ModelRegistry", "registerModel", b"\x01" * 32, "m", gas=22_000), s
        if kind == "nonpayable":
            return call("Staking", "claimUnbonded", value=1 + amount), s
        # deposits
        if kind == "deposit":
            self.deposits += 1
        source = deposit_source_hash(b"\x01" * 32, self.deposits)
        to = vault if kind == "deposit_vault" else other
        return make_deposit(source, b"\x66" * 20, to, amount), None


def _outcome(builder: BlockBuilder, tx) -> tuple:
    try:
        return ("ok", builder.add(tx))
    except Exception as exc:  # compared by type and message
        return ("error", type(exc), str(exc))


def _check_history(vault_is_account: bool, l1_fee: int, blocks) -> None:
    t = Twins(vault_is_account, l1_fee)
    vault = t.fast.genesis.fee_vault
    watched = [GLOBALS_KEY, account_key(vault)] + [account_key(a) for a in FRESH[:2]]
    for ops, dt, peek in blocks:
        fast, ref = t.builders(t.fast.head.timestamp + 1 + dt)
        for op in ops:
            tx, signer = t.raw_for(op, vault)
            if isinstance(tx, bytes):
                tx = decode_transaction(tx, t.fast.config.chain_id)
            got, want = _outcome(fast, tx), _outcome(ref, tx)
            assert got == want, op
            if got[0] == "ok" and signer is not None:
                t.nonces[signer] += 1
            if peek:  # what an RPC "pending" read would see mid-block
                assert [fast.state.get(k) for k in watched] == [ref.state.get(k) for k in watched]
                assert fast.state.writes() == ref.state.writes()
        a, b = fast.seal(), ref.seal()
        assert a.header == b.header and a.hash == b.hash
        assert a.receipts == b.receipts
        assert a.transactions == b.transactions
        assert a.state_writes == b.state_writes
        assert list(a.state_writes) == list(b.state_writes)
        assert a.withdrawals == b.withdrawals
        assert t.fast.tree.root == t.ref.tree.root and t.fast.wtree.root == t.ref.wtree.root
        for chain, block in ((t.fast, a), (t.ref, b)):
            chain.state.apply(block.state_writes)
            chain.blocks.append(block)
        assert t.fast.conservation_gap(FRESH) == 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_history)
def test_fast_builder_matches_reference(history):
    _check_history(*history)


@pytest.mark.parametrize("seed", range(4))
def test_fast_builder_matches_reference_long_blocks(seed):
    """Long blocks, mostly transfers (the sequencer's load), some of everything else."""
    rng = random.Random(seed)
    weights = [40 if k == "transfer" else 1 for k in KINDS]

    def op():
        return (rng.choices(KINDS, weights)[0], rng.randrange(10), rng.randrange(10),
                rng.randrange(3 * OMNIT))

    blocks = [([op() for _ in range(150)], rng.randrange(5), i == 1) for i in range(3)]
    _check_history(seed % 2 == 1, GWEI * (seed % 2), blocks)


def test_fast_path_is_used_for_plain_transfers():
    """The fast path really runs (a silent fallback to the reference would pass the others)."""
    t = Twins(False, GWEI)
    fast, _ = t.builders(t.fast.head.timestamp + 1)
    assert fast._fast
    tx = decode_transaction(t.raw_for(("transfer", 0, 1, 5), t.fast.genesis.fee_vault)[0], 7001)
    fast.add(tx)
    assert fast._owed_fee_vault > 0 and fast._owed_burn > 0  # deferred, not yet applied
    fast.state  # reading the pending state applies them
    assert fast._owed_fee_vault == 0 and fast._owed_burn == 0


def test_overlay_put_is_not_reverted():
    base = MemoryState()
    o = Overlay(base)
    k1, k2 = account_key(b"\x01" * 20), account_key(b"\x02" * 20)
    o.put(k1, Account(1, 5))
    mark = o.checkpoint()
    o.write(k1, Account(2, 6))
    o.write(k2, Account(0, 7))
    o.revert(mark)
    assert o.read(k1, Account) == Account(1, 5)
    assert o.read(k2, Account) is None
    assert o.writes() == {k1: Account(1, 5).encode()}


# -- encoders and list roots ------------------------------------------------------------------

_u256 = st.integers(0, 2**256 - 1)
_small = st.sampled_from([0, 1, 0x7F, 0x80, 21_000, 10**9, 2**64 - 1])
_log = st.builds(
    Log, st.binary(min_size=20, max_size=20),
    st.lists(st.binary(min_size=32, max_size=32), max_size=4).map(tuple),
    st.binary(max_size=80), st.integers(0, 2**32 - 1),
)
_receipt = st.builds(
    Receipt, st.sampled_from([0, 2, 0x7E]), st.integers(0, 1), _small | _u256, _small,
    _small | _u256, st.lists(_log, max_size=2).map(tuple) | st.just(()), _small | _u256,
    _small | _u256, st.sampled_from(["", "out of gas: x", "r" * 70]) | st.text(max_size=60),
    st.binary(min_size=32, max_size=32), st.integers(0, 10**6),
    st.binary(min_size=20, max_size=20) | st.binary(max_size=19),
    st.none() | st.just(b"") | st.binary(min_size=20, max_size=20),
)


_FIELDS = [f.name for f in dataclasses.fields(Receipt)]


@st.composite
def _receipts_with_variants(draw):
    """Receipts, each followed by copies differing in one field: the memo keys must tell
    every field apart (a key missing a field would reuse a wrong cached part)."""
    out = []
    for r in draw(st.lists(_receipt, min_size=1, max_size=5)):
        out.append(r)
        for name in draw(st.lists(st.sampled_from(_FIELDS), max_size=4)):
            other = draw(_receipt)
            out.append(dataclasses.replace(r, **{name: getattr(other, name)}))
    return out


@settings(max_examples=300, deadline=None)
@given(_receipts_with_variants())
def test_encode_receipts_matches_reference(receipts):
    assert encode_receipts(receipts) == [r.encode() for r in receipts]
    assert encode_stored_receipts(receipts) == [encode_receipt(r) for r in receipts]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=70))
def test_packed_list_root_matches_list_root(items):
    assert packed_list_root(items) == list_root(items)


# -- block_write ------------------------------------------------------------------------------

def _reference_block_write(sealed, state_tree):
    """The store records of ``sealed`` built one by one with the per-receipt encoder."""
    number = int(sealed.header.number)
    txs, receipts, logs = [], [], []
    for index, (tx, receipt) in enumerate(zip(sealed.transactions, sealed.receipts)):
        txs.append(TxRecord(tx.hash, tx.raw, tx.sender, int(tx.nonce or 0), number, index))
        receipts.append(ReceiptRecord(
            tx.hash, number, index, receipt.status, receipt.gas_used,
            receipt.cumulative_gas_used, receipt.effective_gas_price, encode_receipt(receipt)))
        for log in receipt.logs:
            logs.append(LogRecord(number, log.log_index, index, tx.hash, log.address,
                                  tuple(log.topics), log.data))
    state = [StateRow(k, state_tree.index_of(k), DELETED_VALUE if v is None else v)
             for k, v in sealed.state_writes.items()]
    withdrawals = [WithdrawalRecord(w.nonce, number, w.transaction_hash, w.leaf_data)
                   for w in sealed.withdrawals]
    return txs, receipts, logs, state, withdrawals


def test_block_write_records_match_reference():
    c = Chain(l1_fee_per_byte=GWEI)
    txs = [
        c.transfer(0, c.addr(1), 5 * OMNIT),
        c.call_tx(2, "L2ToL1MessagePasser", "withdraw", b"\x55" * 20, value=OMNIT),
        c.call_tx(3, "ModelRegistry", "registerModel", b"\x09" * 32, "m"),
        c.signers[4].tx(CONTRACT_ADDRESS["TaskRegistry"], data=b"\x01" * 5, gas=30_000),
        make_deposit(deposit_source_hash(b"\x01" * 32, 1), b"\x66" * 20, c.addr(5), OMNIT),
        c.transfer(6, c.addr(6), 0),
    ]
    sealed = c.build(txs)
    bw = block_write(sealed, c.tree)
    want = _reference_block_write(sealed, c.tree)
    assert (list(bw.transactions), list(bw.receipts), list(bw.logs), list(bw.state),
            list(bw.withdrawals)) == want
    assert bw.logs and bw.withdrawals and {r.raw[2] for r in bw.receipts} == {0, 1}
