"""Property tests: identity over random transactions and layouts; decoders raise only typed errors."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rollup.batch import (
    Batch,
    BatchBlock,
    BatchDecodeError,
    decode_frame,
    encode_frame,
    from_blobs,
    to_blobs,
)
from rollup.batch.body import decode_body, encode_body
from rollup.batch.fields import decimal_code, read_decimal, word_code, word_from_code
from rollup.batch.codec import assemble_frame
from rollup.batch.frame import compress_body
from rollup.batch.txfields import EMPTY_ACCESS_LIST, TxFields, build_transaction, parse_transaction
from rollup.batch.wire import ByteReader

from .helpers import ACCOUNTS, CHAIN_ID, sign

U256 = st.integers(0, 2**256 - 1)
U64 = st.integers(0, 2**64 - 1)
ROUND = st.builds(lambda m, e: m * 10**e, st.integers(0, 10**6), st.integers(0, 40)).filter(
    lambda x: x < 2**256
)
AMOUNT = st.one_of(U256, ROUND, st.integers(0, 300))
ADDRESSES = [bytes([i]) * 20 for i in range(1, 6)] + [bytes.fromhex("4f4d4e49" + "00" * 15 + "03")]
SELECTORS = [b"\x11\x22\x33\x44", b"\x00\x00\x00\x00", b"\xaa\xbb\xcc\xdd"]
WORD = st.one_of(
    st.binary(min_size=32, max_size=32),
    st.integers(0, 2**256 - 1).map(lambda x: x.to_bytes(32, "big")),
    st.binary(min_size=0, max_size=31).map(lambda b: b + bytes(32 - len(b))),
)
DATA = st.one_of(
    st.just(b""),
    st.binary(max_size=80),
    st.builds(lambda s, ws: s + b"".join(ws), st.sampled_from(SELECTORS), st.lists(WORD, max_size=4)),
)
ACCESS = st.one_of(
    st.just(EMPTY_ACCESS_LIST),
    st.just(bytes.fromhex("f85bf859940000000000000000000000000000000000000001f842a0")
            + bytes(31) + b"\x01" + bytes.fromhex("a0") + bytes(31) + b"\x02"),
)


def _decode(body: bytes, like: Batch) -> Batch:
    return decode_body(body, like.parent_hash, like.first_block, len(like.blocks), CHAIN_ID)


@st.composite
def tx_fields(draw: st.DrawFn) -> TxFields:
    typed = draw(st.booleans())
    to = draw(st.one_of(st.none(), st.sampled_from(ADDRESSES), st.binary(min_size=20, max_size=20)))
    return TxFields(
        tx_type=2 if typed else 0,
        nonce=draw(U64),
        max_priority_fee=draw(AMOUNT) if typed else 0,
        max_fee=draw(AMOUNT),
        gas_limit=draw(st.one_of(st.just(21_000), U64)),
        to=to,
        value=draw(AMOUNT),
        data=draw(DATA),
        access_list=draw(ACCESS) if typed else EMPTY_ACCESS_LIST,
        y_parity=draw(st.integers(0, 1)),
        r=draw(U256),
        s=draw(U256),
        eip155=True if typed else draw(st.booleans()),
    )


@st.composite
def batches(draw: st.DrawFn) -> Batch:
    n_blocks = draw(st.integers(1, 5))
    number = draw(st.integers(0, 2**40))
    ts = draw(st.integers(0, 2**40))
    origin = draw(st.integers(0, 2**40))
    h = draw(st.binary(min_size=32, max_size=32))
    blocks = []
    for i in range(n_blocks):
        if i:
            ts += draw(st.integers(0, 3))
            step = draw(st.integers(0, 2))
            if step:
                origin += step
                h = draw(st.binary(min_size=32, max_size=32))
        txs = draw(st.lists(tx_fields(), max_size=4))
        raws = tuple(build_transaction(t, CHAIN_ID) for t in txs)
        blocks.append(BatchBlock(number + i, ts, origin, h, draw(st.integers(0, 5)), raws))
    return Batch(draw(st.binary(min_size=32, max_size=32)), tuple(blocks))


@settings(max_examples=300, deadline=None)
@given(tx_fields())
def test_fields_build_then_parse_identity(tx: TxFields) -> None:
    raw = build_transaction(tx, CHAIN_ID)
    assert parse_transaction(raw, CHAIN_ID) == tx


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches())
def test_batch_encode_decode_identity(batch: Batch) -> None:
    body = encode_body(batch, CHAIN_ID)
    assert _decode(body, batch) == batch
    frame = assemble_frame(batch.parent_hash, batch.first_block, batch.last_block, compress_body(body, 5))
    assert decode_frame(frame) == batch


@settings(max_examples=40, deadline=None)
@given(
    nonce=U64.filter(lambda n: n < 2**64 - 1),
    value=AMOUNT,
    tip=st.integers(0, 10**12),
    data=DATA,
    legacy=st.booleans(),
    signer=st.integers(0, 7),
)
def test_signed_transactions_round_trip(
    nonce: int, value: int, tip: int, data: bytes, legacy: bool, signer: int
) -> None:
    tx: dict[str, object] = {"chainId": CHAIN_ID, "nonce": nonce, "gas": 1_000_000,
                             "to": ACCOUNTS[(signer + 1) % 8].address, "value": value, "data": data}
    if legacy:
        tx["gasPrice"] = tip + 7
    else:
        tx.update(type=2, maxPriorityFeePerGas=tip, maxFeePerGas=tip * 2 + 10**7)
    raw = sign(tx, signer)
    batch = Batch(bytes(32), (BatchBlock(1, 1, 1, bytes(32), 0, (raw,)),))
    assert decode_frame(encode_frame(batch)).blocks[0].transactions == (raw,)


@settings(deadline=None)
@given(st.binary(max_size=400))
def test_random_frames_raise_only_typed_errors(data: bytes) -> None:
    for frame in (data, b"\x01" + data):
        try:
            decode_frame(frame)
        except BatchDecodeError:
            pass


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.integers(0, 2**64 - 1), st.integers(0, 2**64))
def test_random_bodies_raise_only_typed_errors(body: bytes, first: int, count: int) -> None:
    try:
        decode_body(body, bytes(32), first, count, CHAIN_ID)
    except BatchDecodeError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1),
       st.binary(max_size=300))
def test_random_payloads_behind_valid_headers_raise_only_typed_errors(
    parent: bytes, first: int, last: int, payload: bytes
) -> None:
    frame = b"\x01" + parent + first.to_bytes(8, "big") + last.to_bytes(8, "big") + payload
    try:
        decode_frame(frame)
    except BatchDecodeError:
        pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches(), st.data())
def test_corrupted_bodies_raise_only_typed_errors(batch: Batch, data: st.DataObject) -> None:
    body = bytearray(encode_body(batch, CHAIN_ID))
    action = data.draw(st.sampled_from(["flip", "truncate", "insert", "delete"]))
    pos = data.draw(st.integers(0, len(body) - 1))
    if action == "flip":
        body[pos] ^= data.draw(st.integers(1, 255))
    elif action == "truncate":
        del body[pos:]
    elif action == "insert":
        body[pos:pos] = data.draw(st.binary(min_size=1, max_size=3))
    else:
        del body[pos]
    try:
        decoded = _decode(bytes(body), batch)
    except BatchDecodeError:
        return
    # whatever decodes must re-encode to a body that decodes to the same batch
    assert _decode(encode_body(decoded, CHAIN_ID), decoded) == decoded


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches(), st.integers(0, 10**6), st.integers(1, 255))
def test_corrupted_frames_raise_only_typed_errors(batch: Batch, where: int, flip: int) -> None:
    frame = bytearray(encode_frame(batch))
    frame[where % len(frame)] ^= flip
    try:
        decode_frame(bytes(frame))
    except BatchDecodeError:
        pass


@settings(deadline=None)
@given(AMOUNT)
def test_decimal_code_identity(x: int) -> None:
    assert read_decimal(ByteReader(decimal_code(x)), "x") == x


@settings(deadline=None)
@given(WORD)
def test_word_code_identity(word: bytes) -> None:
    code, sig = word_code(word)
    assert len(sig) <= 32
    assert word_from_code(code, ByteReader(sig), "w") == word


@settings(max_examples=20, deadline=None)
@given(st.binary(max_size=300_000))
def test_blob_identity(frame: bytes) -> None:
    assert from_blobs(to_blobs(frame)) == frame


@settings(max_examples=20, deadline=None)
@given(st.binary(max_size=2_000), st.integers(0, 131_071), st.integers(1, 255))
def test_corrupted_blobs_raise_only_typed_errors(frame: bytes, where: int, flip: int) -> None:
    blobs = to_blobs(frame)
    blob = bytearray(blobs[0])
    blob[where] ^= flip
    assume(bytes(blob) != blobs[0])
    try:
        assert from_blobs([bytes(blob)]) != frame
    except BatchDecodeError:
        pass
