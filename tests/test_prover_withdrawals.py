"""Withdrawal tree and output root."""

from __future__ import annotations

import os

import pytest
from eth_hash.auto import keccak

from prover.backend import PythonBackend, get_backend
from prover.errors import IndexOutOfRange, InvalidInput
from prover.merkle import EMPTY
from prover.output_root import output_root
from prover.withdrawals import (
    WithdrawalTree,
    decode_withdrawal,
    encode_withdrawal,
    verify_withdrawal_proof,
)

A = bytes.fromhex("11" * 20)
B = "0x" + "22" * 20


def test_encoding_is_abi_encode() -> None:
    data = encode_withdrawal(7, A, B, 10**18)
    assert len(data) == 128
    assert data[:32] == (7).to_bytes(32, "big")
    assert data[32:64] == bytes(12) + A
    assert data[64:96] == bytes(12) + bytes.fromhex("22" * 20)
    assert data[96:] == (10**18).to_bytes(32, "big")
    assert decode_withdrawal(data) == (7, A, bytes.fromhex("22" * 20), 10**18)
    with pytest.raises(InvalidInput):
        encode_withdrawal(-1, A, B, 1)
    with pytest.raises(InvalidInput):
        encode_withdrawal(0, b"\x01" * 19, B, 1)


@pytest.mark.parametrize("backend", [PythonBackend(), get_backend("native")], ids=lambda b: b.name)
def test_append_and_prove(backend) -> None:
    t = WithdrawalTree(backend)
    assert t.root == EMPTY[32]
    leaves = [encode_withdrawal(i, A, B, i * 3) for i in range(11)]
    for i, leaf in enumerate(leaves):
        assert t.append(leaf) == i
    root = t.root
    for i in range(11):
        p = t.proof(i)
        assert verify_withdrawal_proof(root, p.leaf_data, i, p.siblings)
        assert not verify_withdrawal_proof(root, p.leaf_data, i ^ 1, p.siblings)
        assert not verify_withdrawal_proof(root, leaves[(i + 1) % 11], i, p.siblings)
    assert WithdrawalTree.from_leaves(leaves, backend).root == root
    with pytest.raises(IndexOutOfRange):
        t.proof(11)


def test_nonce_must_be_index() -> None:
    t = WithdrawalTree(PythonBackend())
    with pytest.raises(InvalidInput):
        t.append(encode_withdrawal(1, A, B, 5))
    with pytest.raises(InvalidInput):
        t.append(b"\x00" * 127)


def test_copy_and_extend() -> None:
    t = WithdrawalTree()
    t.extend([encode_withdrawal(i, A, B, 1) for i in range(5)])
    c = t.copy()
    c.append(encode_withdrawal(5, A, B, 1))
    assert len(t) == 5 and len(c) == 6 and t.root != c.root
    assert c.leaves()[:5] == t.leaves()


def test_single_withdrawal_root() -> None:
    data = encode_withdrawal(0, A, B, 1)
    h = keccak(keccak(data))
    for level in range(32):
        h = keccak(h + EMPTY[level])
    t = WithdrawalTree()
    t.append(data)
    assert t.root == h


def test_output_root() -> None:
    s, w, b = os.urandom(32), os.urandom(32), os.urandom(32)
    assert output_root(s, w, b) == keccak(bytes(32) + s + w + b)
    with pytest.raises(InvalidInput):
        output_root(s[:31], w, b)
