"""Encode/decode identity on eth-account-signed transactions, odd shapes included."""

from __future__ import annotations

import rlp
from eth_account import Account
from eth_hash.auto import keccak

from rollup.batch import Batch, BatchBlock, CodecConfig, decode_frame, encode_frame
from rollup.batch.body import decode_body, encode_body
from rollup.batch.txfields import parse_transaction

from .helpers import ACCOUNTS, CHAIN_ID, make_blocks, sign


def test_every_shape_round_trips_with_identical_hashes(odd_transactions: list[bytes]) -> None:
    blocks = make_blocks([odd_transactions[:4], [], odd_transactions[4:9], odd_transactions[9:]])
    batch = Batch(keccak(b"parent"), blocks)
    decoded = decode_frame(encode_frame(batch))
    assert decoded == batch
    got = [tx for b in decoded.blocks for tx in b.transactions]
    assert [keccak(t) for t in got] == [keccak(t) for t in odd_transactions]


def test_decoded_transactions_recover_the_original_senders(odd_transactions: list[bytes]) -> None:
    batch = Batch(bytes(32), make_blocks([odd_transactions]))
    decoded = decode_frame(encode_frame(batch))
    senders = {Account.recover_transaction(t) for t in decoded.blocks[0].transactions}
    assert senders == {ACCOUNTS[0].address, ACCOUNTS[3].address}


def test_block_fields_survive(odd_transactions: list[bytes]) -> None:
    blocks = (
        BatchBlock(41, 1_000, 7, b"\x01" * 32, 0, (odd_transactions[0],)),
        BatchBlock(42, 1_000, 7, b"\x01" * 32, 5, ()),
        BatchBlock(43, 1_003, 9, b"\x02" * 32, 2**64 - 1, (odd_transactions[7],)),
        BatchBlock(44, 2**64 - 1, 2**64 - 1, b"\x03" * 32, 0, ()),
    )
    batch = Batch(b"\xaa" * 32, blocks)
    assert decode_frame(encode_frame(batch)) == batch


def test_single_empty_block() -> None:
    batch = Batch(bytes(32), (BatchBlock(0, 0, 0, bytes(32), 0, ()),))
    assert decode_body(encode_body(batch, CHAIN_ID), bytes(32), 0, 1, CHAIN_ID) == batch
    assert decode_frame(encode_frame(batch)) == batch


def test_other_chain_id_is_carried_when_configured() -> None:
    raw = sign({"chainId": 7002, "type": 2, "nonce": 1, "gas": 21_000, "maxFeePerGas": 10,
                "maxPriorityFeePerGas": 1, "to": ACCOUNTS[2].address, "value": 1})
    cfg = CodecConfig(chain_id=7002)
    batch = Batch(bytes(32), make_blocks([[raw]]))
    assert decode_frame(encode_frame(batch, cfg), cfg) == batch


def test_parse_splits_fields(odd_transactions: list[bytes]) -> None:
    tx = parse_transaction(odd_transactions[0], CHAIN_ID)
    assert (tx.tx_type, tx.nonce, tx.value, tx.data, tx.max_priority_fee) == (2, 0, 15 * 10**17, b"", 10**6)
    assert tx.to == bytes.fromhex(ACCOUNTS[1].address[2:])
    legacy = parse_transaction(odd_transactions[7], CHAIN_ID)
    assert (legacy.tx_type, legacy.eip155, legacy.max_fee) == (0, True, 10**9)
    pre155 = parse_transaction(odd_transactions[8], CHAIN_ID)
    assert pre155.eip155 is False
    assert rlp.decode(odd_transactions[8])[6] in (b"\x1b", b"\x1c")
    create = parse_transaction(odd_transactions[3], CHAIN_ID)
    assert create.to is None


def test_columnar_body_is_smaller_than_raw_after_compression(odd_transactions: list[bytes]) -> None:
    txs = [
        sign({"chainId": CHAIN_ID, "type": 2, "nonce": n, "gas": 21_000, "maxFeePerGas": 2 * 10**9,
              "maxPriorityFeePerGas": 10**6, "to": ACCOUNTS[n % 5].address, "value": (n + 1) * 10**16},
             signer=n % 4)
        for n in range(200)
    ]
    frame = encode_frame(Batch(bytes(32), make_blocks([txs])))
    assert len(frame) < 80 * len(txs) < sum(map(len, txs))
