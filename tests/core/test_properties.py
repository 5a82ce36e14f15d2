"""Property tests: the decoder never crashes; random histories conserve OMNIT, deterministically."""

from __future__ import annotations

import rlp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollup.core import decode_transaction, make_deposit
from rollup.core.constants import GWEI, OMNIT
from rollup.core.exceptions import InclusionError, TransactionError
from rollup.core.hashing import keccak, reference_keccak
from rollup.core.transactions import deposit_source_hash
from chainkit import Chain
from txgen import sign_dynamic

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.binary(max_size=300))
def test_decoder_only_raises_typed_errors(raw):
    for allow in (False, True):
        try:
            decode_transaction(raw, 7001, allow_deposit=allow)
        except TransactionError:
            pass


_item = st.recursive(
    st.binary(max_size=70) | st.integers(0, 2**256 - 1).map(lambda n: n.to_bytes((n.bit_length() + 7) // 8, "big")),
    lambda children: st.lists(children, max_size=4),
    max_leaves=20,
)


@FAST
@given(st.sampled_from([b"", b"\x02", b"\x7e"]), st.lists(_item, max_size=13))
def test_decoder_on_structured_rlp(prefix, fields):
    raw = prefix + rlp.encode(fields)
    try:
        decode_transaction(raw, 7001, allow_deposit=True)
    except TransactionError:
        pass


@FAST
@given(st.binary(max_size=200), st.integers(0, 199), st.integers(0, 255))
def test_mutated_valid_tx_never_crashes(data, pos, byte):
    raw = bytearray(sign_dynamic(b"\x01" * 32, nonce=1, to=b"\x02" * 20, data=data, gas=10**6))
    raw[pos % len(raw)] = byte
    try:
        tx = decode_transaction(bytes(raw), 7001)
    except TransactionError:
        return
    assert tx.hash == keccak(bytes(raw))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_fast_keccak_matches_reference(data):
    assert keccak(data) == reference_keccak(data)


# -- random histories -----------------------------------------------------------------------

_op = st.tuples(
    st.sampled_from([
        "transfer", "transfer", "register", "stake", "unstake", "claim", "post", "submit",
        "attest", "reclaim", "withdraw", "deposit", "garbage", "update",
    ]),
    st.integers(0, 9),          # signer
    st.integers(0, 9),          # other account / role / id selector
    st.integers(0, 3 * OMNIT),  # amount
    st.booleans(),
)
_blocks = st.lists(st.tuples(st.lists(_op, max_size=6), st.integers(0, 90)), min_size=1, max_size=5)


def _raw_for(c: Chain, op, dep_counter: list[int]):
    kind, s, o, amount, flag = op
    nxt_task = c.view().globals().next_task_id
    task_id = 1 + o % max(1, nxt_task - 1)
    if kind == "transfer":
        return c.transfer(s, c.addr(o), amount)
    if kind == "register":
        return c.call_tx(s, "ModelRegistry", "registerModel", bytes([o + 1]) * 32, "m")
    if kind == "update":
        return c.call_tx(s, "ModelRegistry", "updateModel", 1 + o % 3, b"\x09" * 32, "v")
    if kind == "stake":
        return c.call_tx(s, "Staking", "stake", 1 + o % 2, amount)
    if kind == "unstake":
        return c.call_tx(s, "Staking", "unstake", 1 + o % 2, amount)
    if kind == "claim":
        return c.call_tx(s, "Staking", "claimUnbonded")
    if kind == "post":
        return c.call_tx(s, "TaskRegistry", "postTask", 1 + o % 2, b"\x01" * 32,
                         c.head.timestamp + 30 + o * 10, value=amount)
    if kind == "submit":
        return c.call_tx(s, "TaskRegistry", "submitResult", task_id, b"\x02" * 32)
    if kind == "attest":
        return c.call_tx(s, "TaskRegistry", "attestResult", task_id, flag)
    if kind == "reclaim":
        return c.call_tx(s, "TaskRegistry", "reclaimExpired", task_id)
    if kind == "withdraw":
        return c.call_tx(s, "L2ToL1MessagePasser", "withdraw", b"\x55" * 20, value=amount)
    if kind == "deposit":
        dep_counter[0] += 1
        return make_deposit(deposit_source_hash(b"\x01" * 32, dep_counter[0] // (1 + flag)),
                            b"\x66" * 20, c.addr(o), amount)
    return c.signers[s].tx(c.addr(o) if flag else b"OMNI" + bytes(15) + b"\x03",
                           data=bytes([o]) * 5, gas=30_000)


def _run(history) -> Chain:
    c = Chain(l1_fee_per_byte=GWEI)
    deps = [0]
    for ops, dt in history:
        b = c.builder(timestamp=c.head.timestamp + dt)
        for op in ops:
            raw = _raw_for(c, op, deps)
            tx = raw if not isinstance(raw, bytes) else decode_transaction(raw, 7001)
            try:
                b.add(tx)
            except InclusionError:
                if not isinstance(raw, bytes):
                    continue
                signer = c.signers[op[1]]
                signer.nonce = b.state.account(signer.address).nonce
        block = b.seal()
        c.state.apply(block.state_writes)
        c.blocks.append(block)
        assert c.conservation_gap() == 0, c.globals()
    return c


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_blocks)
def test_random_histories_conserve_omnit_and_are_deterministic(history):
    a = _run(history)
    b = _run(history)
    assert [blk.hash for blk in a.blocks] == [blk.hash for blk in b.blocks]
    assert a.tree.root == b.tree.root and a.wtree.root == b.wtree.root
    g = a.globals()
    assert g.withdrawal_count == len(a.wtree)


# -- the fast RLP splitter agrees with rlp.decode(strict=True) --------------------------------

from rollup.core.rlp_fast import RLPError, split_list  # noqa: E402


def _reference_split(buf: bytes):
    try:
        out = rlp.decode(buf, strict=True)
    except Exception:
        return None
    return out if isinstance(out, list) else None


@settings(max_examples=400, deadline=None)
@given(st.one_of(
    st.binary(max_size=80),
    st.lists(_item, max_size=10).map(rlp.encode),
    st.tuples(st.lists(_item, max_size=6).map(rlp.encode), st.integers(0, 60), st.integers(0, 255))
      .map(lambda t: t[0][: t[1] % (len(t[0]) + 1)] + bytes([t[2]]) + t[0][t[1] % (len(t[0]) + 1) + 1 :]),
))
def test_split_list_agrees_with_rlp(buf):
    expected = _reference_split(buf)
    try:
        got = split_list(buf)
    except RLPError:
        assert expected is None
        return
    assert got == expected


from rollup.core.rlp_fast import encode_bytes, encode_int, encode_list  # noqa: E402


def _fast_encode(obj) -> bytes:
    if isinstance(obj, list):
        return encode_list([_fast_encode(x) for x in obj])
    if isinstance(obj, int):
        return encode_int(obj)
    return encode_bytes(obj)


_enc_item = st.recursive(
    st.binary(max_size=70) | st.integers(0, 2**256 - 1),
    lambda children: st.lists(children, max_size=5),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(_enc_item)
def test_fast_encoder_matches_rlp(obj):
    assert _fast_encode(obj) == rlp.encode(obj)


from rollup.core import transactions as _txmod  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.integers(1, 2**256 - 1), st.integers(1, 2**256 - 1),
       st.integers(0, 1))
def test_direct_recovery_matches_coincurve(msg, r, s, v):
    rs = (r % (2**256)).to_bytes(32, "big") + (s % (2**256)).to_bytes(32, "big")
    outcomes = []
    for fn in (_txmod._recover_uncompressed, _txmod._recover_wrapped):
        try:
            outcomes.append(fn(rs, v, msg))
        except Exception as exc:
            outcomes.append(type(exc).__name__)
    assert outcomes[0] == outcomes[1]


def test_fast_keccak_in_use():
    from rollup.core.hashing import FAST_KECCAK

    assert FAST_KECCAK, "pycryptodome's _keccak library could not be loaded: hot paths are slower"
