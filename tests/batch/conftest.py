"""Fixtures of the batch codec suites."""

from __future__ import annotations

import pytest
from eth_hash.auto import keccak

from .helpers import ACCOUNTS, CHAIN_ID, REGISTRY, sign


@pytest.fixture(scope="session")
def odd_transactions() -> list[bytes]:
    """Signed transactions covering every shape the codec must carry."""
    to = ACCOUNTS[1].address
    base = {"chainId": CHAIN_ID, "gas": 21_000}
    t2 = {**base, "type": 2, "maxPriorityFeePerGas": 10**6, "maxFeePerGas": 2 * 10**9 + 10**6}
    sel = keccak(b"submitResult(uint256,bytes32)")[:4]
    return [
        sign({**t2, "nonce": 0, "to": to, "value": 15 * 10**17}),
        sign({**t2, "nonce": 1, "to": to, "value": 0}),  # zero value, empty data
        sign({**t2, "nonce": 2, "to": REGISTRY, "value": 0, "gas": 90_000,
              "data": sel + (123456).to_bytes(32, "big") + keccak(b"out")}),
        sign({**t2, "nonce": 3, "value": 0, "gas": 200_000, "data": bytes.fromhex("6080604052")}),  # create
        sign({**t2, "nonce": 4, "to": to, "value": 2**256 - 1, "data": b"\x01\x02\x03"}),
        sign({**t2, "nonce": 5, "to": to, "value": 1, "maxPriorityFeePerGas": 0,
              "data": b"abcd" + b"xy" + bytes(30),  # left-aligned ABI word
              "accessList": [{"address": to, "storageKeys": ["0x" + "00" * 31 + "07"]}]}),
        sign({**t2, "nonce": 2**64 - 2, "to": to, "value": 10**18, "gas": 2**63}),
        sign({**base, "nonce": 6, "gasPrice": 10**9, "to": to, "value": 123}),  # legacy EIP-155
        sign({"nonce": 7, "gasPrice": 3 * 10**9, "gas": 21_000, "to": to, "value": 5}),  # pre-155
        sign({**base, "nonce": 8, "gasPrice": 10**9, "value": 0, "gas": 100_000,
              "data": b"\x60" * 70}),  # legacy create with long data
        sign({**t2, "nonce": 9, "to": to, "value": 0, "data": bytes(4)}, signer=3),  # zero selector
        sign({**t2, "nonce": 10, "to": to, "value": 0, "data": b"\x00" * 36}, signer=3),
    ]
