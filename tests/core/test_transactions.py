"""Decoding, signature recovery and hashing of L2 transactions."""

from __future__ import annotations

import rlp
import pytest
from eth_account import Account
from eth_hash.auto import keccak
from eth_utils import to_checksum_address

from rollup.core import decode_transaction, dev_accounts, make_deposit
from rollup.core.constants import MAX_TX_SIZE, SECP256K1_N
from rollup.core.exceptions import (
    ChainIdMismatch,
    ContractCreationNotSupported,
    DecodeError,
    DepositNotAllowed,
    EmptyTransaction,
    InvalidField,
    InvalidSignature,
    MalformedRLP,
    TransactionError,
    TransactionTooLarge,
    UnsupportedTransactionType,
)
from rollup.core.transactions import (
    DepositTransaction,
    DynamicFeeTransaction,
    LegacyTransaction,
    deposit_source_hash,
    encode_deposit,
)
from txgen import sign_dynamic, sign_legacy

CHAIN = 7001
KEY = dev_accounts(2)[0].private_key
SENDER = dev_accounts(2)[0].address
TO = dev_accounts(2)[1].address


def _eth_account_type2(**over) -> bytes:
    tx = {
        "type": 2, "chainId": CHAIN, "nonce": 7, "maxPriorityFeePerGas": 2 * 10**9,
        "maxFeePerGas": 30 * 10**9, "gas": 50_000, "to": to_checksum_address(TO),
        "value": 12345, "data": b"\x00\x01hello", "accessList": [],
    }
    tx.update(over)
    return bytes(Account.sign_transaction(tx, KEY).raw_transaction)


def _eth_account_legacy(**over) -> bytes:
    tx = {"chainId": CHAIN, "nonce": 3, "gasPrice": 5 * 10**9, "gas": 21_000,
          "to": to_checksum_address(TO), "value": 10**18, "data": b""}
    tx.update(over)
    return bytes(Account.sign_transaction(tx, KEY).raw_transaction)


def test_type2_signed_by_eth_account():
    raw = _eth_account_type2()
    tx = decode_transaction(raw, CHAIN)
    assert isinstance(tx, DynamicFeeTransaction)
    assert tx.sender == SENDER
    assert tx.hash == keccak(raw)
    assert (tx.nonce, tx.gas, tx.value, tx.to, tx.data) == (7, 50_000, 12345, TO, b"\x00\x01hello")
    assert (tx.max_fee_per_gas, tx.max_priority_fee_per_gas) == (30 * 10**9, 2 * 10**9)
    assert tx.tx_type == 2 and tx.chain_id == CHAIN and tx.raw == raw


def test_type2_with_access_list():
    al = [{"address": to_checksum_address(TO), "storageKeys": ["0x" + "11" * 32, "0x" + "22" * 32]}]
    tx = decode_transaction(_eth_account_type2(accessList=al), CHAIN)
    assert tx.sender == SENDER
    assert tx.access_list == ((TO, (b"\x11" * 32, b"\x22" * 32)),)


def test_legacy_eip155_signed_by_eth_account():
    raw = _eth_account_legacy()
    tx = decode_transaction(raw, CHAIN)
    assert isinstance(tx, LegacyTransaction)
    assert tx.sender == SENDER and tx.hash == keccak(raw)
    assert tx.max_fee_per_gas == tx.max_priority_fee_per_gas == tx.gas_price == 5 * 10**9
    assert tx.chain_id == CHAIN and tx.value == 10**18


def test_fast_signer_matches_eth_account_bytes():
    # RFC 6979 nonces on both sides: identical signatures, identical bytes.
    assert sign_dynamic(KEY, nonce=7, to=TO, value=12345, data=b"\x00\x01hello", gas=50_000,
                        max_fee=30 * 10**9, max_priority=2 * 10**9) == _eth_account_type2()
    assert sign_legacy(KEY, nonce=3, to=TO, value=10**18, gas_price=5 * 10**9) == _eth_account_legacy()


@pytest.mark.parametrize("make", [_eth_account_type2, _eth_account_legacy])
def test_wrong_chain_id(make):
    with pytest.raises(ChainIdMismatch) as e:
        decode_transaction(make(chainId=1), CHAIN)
    assert (e.value.expected, e.value.got) == (CHAIN, 1)
    assert "expected 7001, got 1" in str(e.value)


def test_unprotected_legacy_refused():
    fields = [0, 10**9, 21000, TO, 1, b""]
    h = keccak(rlp.encode(fields))
    from coincurve import PrivateKey
    sig = PrivateKey(KEY).sign_recoverable(h, hasher=None)
    raw = rlp.encode(fields + [27 + sig[64], sig[:32], sig[32:64]])
    with pytest.raises(ChainIdMismatch) as e:
        decode_transaction(raw, CHAIN)
    assert e.value.got is None and "EIP-155" in str(e.value)


@pytest.mark.parametrize("raw", [b"\x02", b"\x02\xc0", b"\x02\x83ab", b"\xc3\x01\x02", b"\x02\xf8\x01"])
def test_bad_rlp(raw):
    with pytest.raises(MalformedRLP):
        decode_transaction(raw, CHAIN)


def test_truncated_and_trailing_bytes():
    raw = _eth_account_type2()
    with pytest.raises(MalformedRLP):
        decode_transaction(raw[:-1], CHAIN)
    with pytest.raises(MalformedRLP):
        decode_transaction(raw + b"\x00", CHAIN)


def _resign_fields(raw: bytes, index: int, value) -> bytes:
    fields = rlp.decode(raw[1:])
    fields[index] = value
    return b"\x02" + rlp.encode(fields)


def test_high_s_rejected():
    raw = _eth_account_type2()
    fields = rlp.decode(raw[1:])
    s = int.from_bytes(fields[11], "big")
    fields[11] = SECP256K1_N - s
    fields[9] = 1 - int.from_bytes(fields[9], "big")
    with pytest.raises(InvalidSignature, match="high s"):
        decode_transaction(b"\x02" + rlp.encode(fields), CHAIN)


@pytest.mark.parametrize("index,value,match", [
    (10, 0, "r out of range"),
    (11, 0, "s out of range"),
    (10, SECP256K1_N, "r out of range"),
    (9, 2, "y parity"),
])
def test_bad_signature_values(index, value, match):
    with pytest.raises(InvalidSignature, match=match):
        decode_transaction(_resign_fields(_eth_account_type2(), index, value), CHAIN)


def test_tampered_payload_recovers_other_sender_or_fails():
    raw = _resign_fields(_eth_account_type2(), 6, 99999)  # value changed after signing
    try:
        tx = decode_transaction(raw, CHAIN)
    except InvalidSignature:
        return
    assert tx.sender != SENDER


def test_non_canonical_integer():
    fields = rlp.decode(_eth_account_type2()[1:])
    fields[1] = b"\x00\x07"  # nonce with a leading zero
    with pytest.raises(InvalidField, match="nonce"):
        decode_transaction(b"\x02" + rlp.encode(fields), CHAIN)


@pytest.mark.parametrize("type_byte", [0x00, 0x01, 0x03, 0x04, 0x7F, 0x80])
def test_unsupported_type(type_byte):
    with pytest.raises(UnsupportedTransactionType) as e:
        decode_transaction(bytes([type_byte]) + b"\xc0", CHAIN)
    assert e.value.type_byte == type_byte and f"0x{type_byte:02x}" in str(e.value)


def test_oversized_and_empty():
    with pytest.raises(TransactionTooLarge) as e:
        decode_transaction(b"\x02" + b"\x00" * MAX_TX_SIZE, CHAIN)
    assert e.value.limit == MAX_TX_SIZE and e.value.got == MAX_TX_SIZE + 1
    with pytest.raises(EmptyTransaction):
        decode_transaction(b"", CHAIN)


def test_large_but_allowed():
    data = b"\x01" * (100 * 1024)
    raw = sign_dynamic(KEY, nonce=0, to=TO, data=data, gas=2_000_000)
    assert decode_transaction(raw, CHAIN).data == data


def test_contract_creation_refused():
    tx = {"type": 2, "chainId": CHAIN, "nonce": 0, "maxPriorityFeePerGas": 1, "maxFeePerGas": 1,
          "gas": 100_000, "value": 0, "data": b"\x60\x00", "accessList": []}
    raw = bytes(Account.sign_transaction(tx, KEY).raw_transaction)
    with pytest.raises(ContractCreationNotSupported):
        decode_transaction(raw, CHAIN)


def test_deposit_roundtrip_and_gate():
    sh = deposit_source_hash(b"\xaa" * 32, 5)
    dep = make_deposit(sh, b"\x01" * 20, TO, 10**18)
    assert dep.raw[0] == 0x7E and dep.hash == keccak(dep.raw)
    with pytest.raises(DepositNotAllowed):
        decode_transaction(dep.raw, CHAIN)
    back = decode_transaction(dep.raw, CHAIN, allow_deposit=True)
    assert isinstance(back, DepositTransaction) and back == dep
    assert back.gas == 0 and back.nonce is None


def test_deposit_source_hash_definition():
    l1_hash, idx = bytes(range(32)), 3
    inner = keccak(l1_hash + idx.to_bytes(32, "big"))
    assert deposit_source_hash(l1_hash, idx) == keccak(bytes(32) + inner)
    assert deposit_source_hash(l1_hash, 4) != deposit_source_hash(l1_hash, 3)


def test_deposit_bad_fields():
    bad = b"\x7e" + rlp.encode([b"\x01" * 31, b"\x01" * 20, TO, 1])
    with pytest.raises(InvalidField, match="sourceHash"):
        decode_transaction(bad, CHAIN, allow_deposit=True)
    with pytest.raises(ValueError):
        encode_deposit(b"\x01" * 32, b"\x01" * 19, TO, 1)


def test_errors_are_typed_and_have_codes():
    for exc in (MalformedRLP("x"), UnsupportedTransactionType(1), TransactionTooLarge(1, 2)):
        assert isinstance(exc, DecodeError) and isinstance(exc, TransactionError)
        assert exc.rpc_code == -32602
    assert ChainIdMismatch(1, 2).rpc_code == -32000
