"""The native decoder (txdecode.c) gives exactly what the reference ``decode_transaction`` gives:
the same transaction for every valid input, the same exception (type and message) for every
invalid one, on hand-picked, mutated and random inputs."""

from __future__ import annotations

import random

import pytest
import rlp
from eth_account import Account
from hypothesis import HealthCheck, given, settings, strategies as st

from rollup.core.exceptions import TransactionError
from rollup.core.transactions import decode_transaction
from rollup.node.decode_pool import CHUNK_MIN, DecodePool
from rollup.node.native_decode import NativeDecoder, load_native_decoder

from .conftest import CHAIN_ID

KEY = Account.from_key("0x" + "42" * 32)
OTHER = Account.from_key("0x" + "17" * 32)


def _reference(raw: bytes, chain_id: int = CHAIN_ID) -> object:
    try:
        return decode_transaction(raw, chain_id)
    except TransactionError as exc:
        return exc


def _same(native: object, reference: object) -> bool:
    if isinstance(reference, Exception):
        return type(native) is type(reference) and str(native) == str(reference)
    return native == reference


@pytest.fixture(scope="module")
def native() -> NativeDecoder:
    decoder = load_native_decoder(CHAIN_ID)
    assert decoder is not None, "the C compiler must be able to build rollup/node/txdecode.c"
    return decoder


def _type2(account=KEY, **over) -> bytes:
    tx = {"type": 2, "chainId": CHAIN_ID, "nonce": 0, "to": b"\xab" * 20, "value": 1,
          "gas": 21_000, "maxFeePerGas": 50 * 10**9, "maxPriorityFeePerGas": 10**9, "data": b""}
    tx.update(over)
    return bytes(account.sign_transaction(tx).raw_transaction)


def _legacy(account=KEY, **over) -> bytes:
    tx = {"chainId": CHAIN_ID, "nonce": 0, "to": b"\xcd" * 20, "value": 1, "gas": 21_000,
          "gasPrice": 10**10, "data": b""}
    tx.update(over)
    return bytes(account.sign_transaction(tx).raw_transaction)


VALID = [
    _type2(),
    _type2(OTHER, nonce=2**64 - 2, value=0, gas=2**64 - 1, maxFeePerGas=2**256 - 1,
           maxPriorityFeePerGas=0),
    _type2(nonce=127, value=2**256 - 1, data=bytes(range(256)) * 3),  # long data, long list
    _type2(nonce=128, value=128, data=b"\x00"),
    _legacy(),
    _legacy(OTHER, nonce=5, value=0, gasPrice=1, data=b"\x01\x02"),
    _legacy(nonce=2**64 - 2, gas=2**64 - 1, value=2**255, data=b"\xff" * 300),
]


def test_valid_transactions_decode_like_the_reference(native) -> None:
    out = native.decode_many(VALID)
    assert out == [decode_transaction(raw, CHAIN_ID) for raw in VALID]
    scan = native.scan(VALID)
    assert scan.status == [0] * len(VALID)  # all of them took the fast path


def test_what_the_fast_path_leaves_to_the_reference(native) -> None:
    with_access_list = _type2(accessList=[{"address": "0x" + "11" * 20,
                                           "storageKeys": ["0x" + "22" * 32]}])
    other_chain = _type2(chainId=CHAIN_ID + 1)
    pre_eip155 = bytes(KEY.sign_transaction({"nonce": 0, "to": b"\xcd" * 20, "value": 1,
                                            "gas": 21_000, "gasPrice": 1}).raw_transaction)
    contract_creation = _type2(to=b"", data=b"\x60\x00")
    raws = [with_access_list, other_chain, pre_eip155, contract_creation, b"", b"\x7e\xc0",
            b"\x01\xc0", b"\x02", b"\x02\xc0", b"\xc0", b"\x02" + b"\x00" * 3000]
    scan = native.scan(raws)
    assert all(status != 0 for status in scan.status)
    for raw, got in zip(raws, native.decode_many(raws)):
        assert _same(got, _reference(raw)), raw.hex()


def _fields_mutations(raw: bytes) -> list[bytes]:
    """Re-encodings with one field changed: high s, zero r, y parity 2, leading zeros, ..."""
    typed = raw[0] == 0x02
    fields = rlp.decode(raw[1:] if typed else raw)
    r_at, s_at = (10, 11) if typed else (7, 8)
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    changes = [
        (s_at, (n - int.from_bytes(fields[s_at], "big")).to_bytes(32, "big")),  # high s
        (r_at, b""), (s_at, b""), (r_at, n.to_bytes(32, "big")),
        (0, b"\x00" + fields[0]), (1, b"\x00\x01"), (2, b"\x00"), (3, b"\x01" * 33),
        (4, b"\x01" * 9), (5, b"\x01" * 19), (5, b""), (5, [b"\x01"]), (6, b"\x00\x01"),
        (r_at - 1, b"\x02") if typed else (6, b"\x1b"),
        (r_at - 1, b"\x00") if typed else (6, (CHAIN_ID * 2 + 37).to_bytes(2, "big")),
        (0, (2**64 - 1).to_bytes(8, "big")) if not typed else (1, (2**64 - 1).to_bytes(8, "big")),
    ]
    out = []
    for index, value in changes:
        copy = list(fields)
        copy[index] = value
        body = rlp.encode(copy)
        out.append(b"\x02" + body if typed else body)
    return out


def test_field_mutations_are_refused_like_the_reference(native) -> None:
    raws = [m for raw in VALID for m in _fields_mutations(raw)]
    for raw, got in zip(raws, native.decode_many(raws)):
        assert _same(got, _reference(raw)), raw.hex()


def test_byte_mutations_match_the_reference(native) -> None:
    rng = random.Random(7001)
    raws = []
    for _ in range(3000):
        raw = bytearray(rng.choice(VALID))
        op = rng.randrange(4)
        at = rng.randrange(len(raw))
        if op == 0:
            raw[at] ^= 1 << rng.randrange(8)
        elif op == 1:
            del raw[at:at + rng.randrange(1, 4)]
        elif op == 2:
            raw[at:at] = bytes([rng.randrange(256)])
        else:
            raw[at] = rng.choice([0x00, 0x7f, 0x80, 0x81, 0xb7, 0xb8, 0xbf, 0xc0, 0xf7, 0xf8, 0xff])
        raws.append(bytes(raw))
    for raw, got in zip(raws, native.decode_many(raws)):
        assert _same(got, _reference(raw)), raw.hex()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=st.sampled_from([b"\x02", b""]), body=st.binary(max_size=300))
def test_random_bytes_match_the_reference(native, prefix: bytes, body: bytes) -> None:
    raw = prefix + body
    (got,) = native.decode_many([raw])
    assert _same(got, _reference(raw))


async def test_pool_uses_the_native_decoder(wallets) -> None:
    raws = [wallets[1].transfer(n, b"\x01" * 20, n + 1) for n in range(CHUNK_MIN + 1)]
    raws[3] = b"\x02\xc1\x80"
    pool = DecodePool(1, CHAIN_ID, native=True)
    try:
        pool.start()
        assert pool.native is not None and pool.usable and await pool.wait_ready(0.1)
        out = await pool.decode(raws)
    finally:
        pool.close()
    assert all(_same(got, _reference(raw)) for raw, got in zip(raws, out))
