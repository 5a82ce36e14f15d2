"""The encoder refuses what it cannot carry with typed errors carrying their data."""

from __future__ import annotations

import pytest
import rlp
from eth_hash.auto import keccak

from rollup.batch import (
    Batch,
    BatchBlock,
    BlockTooLarge,
    ChainIdMismatch,
    InvalidBlockSequence,
    MalformedTransaction,
    NonCanonicalTransaction,
    UnsupportedTransaction,
    encode_frame,
    split_blocks,
)
from rollup.batch.txfields import parse_transaction

from .helpers import ACCOUNTS, CHAIN_ID, make_blocks, sign


def _t2(**kw: object) -> dict[str, object]:
    tx: dict[str, object] = {"chainId": CHAIN_ID, "type": 2, "nonce": 0, "gas": 21_000,
                             "maxFeePerGas": 10**9, "maxPriorityFeePerGas": 1,
                             "to": ACCOUNTS[1].address, "value": 1}
    tx.update(kw)
    return tx


def test_deposit_is_refused() -> None:
    with pytest.raises(UnsupportedTransaction) as err:
        parse_transaction(b"\x7e" + rlp.encode([b"\x01" * 32]), CHAIN_ID)
    assert err.value.tx_type == 0x7E


def test_eip2930_is_refused() -> None:
    raw = sign({"chainId": CHAIN_ID, "type": 1, "nonce": 0, "gas": 21_000, "gasPrice": 1,
                "to": ACCOUNTS[1].address, "value": 1, "accessList": []})
    with pytest.raises(UnsupportedTransaction) as err:
        parse_transaction(raw, CHAIN_ID)
    assert err.value.tx_type == 1


def test_wrong_chain_is_refused_for_both_types() -> None:
    with pytest.raises(ChainIdMismatch) as err:
        parse_transaction(sign(_t2(chainId=1)), CHAIN_ID)
    assert (err.value.expected, err.value.got) == (CHAIN_ID, 1)
    legacy = sign({"chainId": 5, "nonce": 0, "gas": 21_000, "gasPrice": 1,
                   "to": ACCOUNTS[1].address, "value": 1})
    with pytest.raises(ChainIdMismatch):
        parse_transaction(legacy, CHAIN_ID)


def test_non_canonical_bytes_are_refused() -> None:
    raw = sign(_t2())
    items = rlp.decode(raw[1:])
    items[1] = b"\x00"  # nonce 0 written as a zero byte instead of the empty string
    with pytest.raises(NonCanonicalTransaction):
        parse_transaction(b"\x02" + rlp.encode(items), CHAIN_ID)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x02",
        b"\x02\xc0",
        b"\x02" + rlp.encode([b""] * 11),
        b"\xc3\x01\x02\x03",
        b"\x02" + rlp.encode([b"\x1b\x59"] + [b""] * 4 + [b"\x01" * 19] + [b""] * 6),
        b"\x02" + rlp.encode([b"\x1b\x59", [], b"", b"", b"", b"", b"", b"", [], b"", b"", b""]),
        b"\x02" + rlp.encode([b"\x1b\x59", b"", b"", b"", b"", b"", b"", b"", b"", b"\x02", b"", b""]),
        b"\x02" + rlp.encode([b"\x1b\x59", b"\x01" * 9] + [b""] * 6 + [[], b"", b"", b""]),
        rlp.encode([b""] * 6 + [b"\x05", b"", b""]),  # legacy v = 5
    ],
)
def test_malformed_transactions(raw: bytes) -> None:
    with pytest.raises((MalformedTransaction, UnsupportedTransaction)):
        parse_transaction(raw, CHAIN_ID)


def _block(n: int, ts: int = 0, origin: int = 0, h: bytes = bytes(32)) -> BatchBlock:
    return BatchBlock(n, ts, origin, h, 0, ())


@pytest.mark.parametrize(
    "blocks",
    [
        (),
        (_block(1), _block(3)),
        (_block(1, ts=5), _block(2, ts=4)),
        (_block(1, origin=5), _block(2, origin=4)),
        (_block(1, origin=5, h=b"\x01" * 32), _block(2, origin=5, h=b"\x02" * 32)),
        (_block(1, h=b"\x01"),),
        (_block(-1),),
        (_block(2**64),),
    ],
)
def test_invalid_block_sequences(blocks: tuple[BatchBlock, ...]) -> None:
    with pytest.raises(InvalidBlockSequence):
        encode_frame(Batch(bytes(32), blocks))


def test_parent_hash_must_be_32_bytes() -> None:
    with pytest.raises(InvalidBlockSequence):
        encode_frame(Batch(b"\x01", (_block(1),)))


def test_block_too_large_names_the_block() -> None:
    txs = [sign(_t2(nonce=n, data=keccak(bytes([n])) * 8)) for n in range(20)]
    blocks = make_blocks([txs[:2], txs])
    with pytest.raises(BlockTooLarge) as err:
        split_blocks(blocks, 1_000)
    assert (err.value.block_number, err.value.limit) == (2, 1_000) and err.value.size > 1_000
