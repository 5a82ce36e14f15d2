"""Split a raw signed transaction into the fields a batch stores, and rebuild the exact bytes.

The batch never stores a transaction's bytes: it stores its fields in columns and rebuilds the
canonical encoding on decode, so the rebuilt bytes (and so the transaction hash) equal the
signed bytes. ``parse_transaction`` therefore accepts only canonical encodings: it rebuilds the
bytes from the parsed fields and refuses the transaction if they differ.

Carried: EIP-1559 (type 2) and legacy transactions, EIP-155 (chain id bound) or not. Refused
with a typed error: deposits (0x7E, derived from L1 events), other typed transactions.
"""

from __future__ import annotations

from dataclasses import dataclass

import rlp

from .constants import MAX_UINT64, MAX_UINT256, TX_TYPE_DEPOSIT, TX_TYPE_FEE_MARKET, TX_TYPE_LEGACY
from .exceptions import (
    ChainIdMismatch,
    MalformedBatch,
    MalformedTransaction,
    NonCanonicalTransaction,
    UnsupportedTransaction,
)

__all__ = [
    "TxFields",
    "parse_transaction",
    "build_transaction",
    "check_access_list",
    "EMPTY_ACCESS_LIST",
]

EMPTY_ACCESS_LIST = b"\xc0"
"""RLP of the empty access list (the usual case; the batch then stores only a clear flag bit)."""

ADDRESS_BYTES = 20
"""Length of a ``to`` address; an empty ``to`` is a contract creation."""


@dataclass(frozen=True, slots=True)
class TxFields:
    """The signed fields of one transaction, as the batch columns hold them.

    ``max_fee`` is ``max_fee_per_gas`` for type 2 and ``gas_price`` for legacy;
    ``max_priority_fee`` is 0 for legacy. ``to`` is ``None`` for a contract creation.
    ``access_list`` is the RLP encoding of the access list (type 2 only).
    ``eip155`` tells whether a legacy signature binds the chain id.
    """

    tx_type: int
    nonce: int
    max_priority_fee: int
    max_fee: int
    gas_limit: int
    to: bytes | None
    value: int
    data: bytes
    access_list: bytes
    y_parity: int
    r: int
    s: int
    eip155: bool = True


def _enc_bytes(b: bytes) -> bytes:
    n = len(b)
    if n == 1 and b[0] < 0x80:
        return b
    if n <= 55:
        return bytes((0x80 + n,)) + b
    ln = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0xB7 + len(ln),)) + ln + b


def _enc_int(i: int) -> bytes:
    if i == 0:
        return b"\x80"
    if i < 0x80:
        return bytes((i,))
    return _enc_bytes(i.to_bytes((i.bit_length() + 7) // 8, "big"))


def _enc_list(payload: bytes) -> bytes:
    n = len(payload)
    if n <= 55:
        return bytes((0xC0 + n,)) + payload
    ln = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0xF7 + len(ln),)) + ln + payload


def build_transaction(tx: TxFields, chain_id: int) -> bytes:
    """The canonical raw signed bytes of ``tx`` (EIP-2718 envelope for type 2)."""
    to = b"" if tx.to is None else tx.to
    if tx.tx_type == TX_TYPE_FEE_MARKET:
        payload = b"".join(
            (
                _enc_int(chain_id),
                _enc_int(tx.nonce),
                _enc_int(tx.max_priority_fee),
                _enc_int(tx.max_fee),
                _enc_int(tx.gas_limit),
                _enc_bytes(to),
                _enc_int(tx.value),
                _enc_bytes(tx.data),
                tx.access_list,
                _enc_int(tx.y_parity),
                _enc_int(tx.r),
                _enc_int(tx.s),
            )
        )
        return b"\x02" + _enc_list(payload)
    v = (chain_id * 2 + 35 if tx.eip155 else 27) + tx.y_parity
    payload = b"".join(
        (
            _enc_int(tx.nonce),
            _enc_int(tx.max_fee),
            _enc_int(tx.gas_limit),
            _enc_bytes(to),
            _enc_int(tx.value),
            _enc_bytes(tx.data),
            _enc_int(v),
            _enc_int(tx.r),
            _enc_int(tx.s),
        )
    )
    return _enc_list(payload)


def _int(item: object, name: str, limit: int) -> int:
    if not isinstance(item, bytes):
        raise MalformedTransaction(f"{name} is a list, not an integer")
    value = int.from_bytes(item, "big")
    if value > limit:
        raise MalformedTransaction(f"{name} {value} over {limit}")
    return value


def _to(item: object) -> bytes | None:
    if not isinstance(item, bytes) or len(item) not in (0, ADDRESS_BYTES):
        raise MalformedTransaction("to is neither empty nor a 20-byte address")
    return item or None


def _data(item: object) -> bytes:
    if not isinstance(item, bytes):
        raise MalformedTransaction("data is a list, not bytes")
    return item


def _decode_list(payload: bytes, size: int) -> list[object]:
    try:
        items = rlp.decode(payload, strict=True)
    except Exception as exc:  # rlp raises several unrelated exception classes
        raise MalformedTransaction(f"invalid RLP: {exc}") from None
    if not isinstance(items, list) or len(items) != size:
        raise MalformedTransaction(f"expected an RLP list of {size} items")
    return items


def parse_transaction(raw: bytes, chain_id: int) -> TxFields:
    """Split canonical raw signed bytes into ``TxFields``; typed errors for anything else."""
    if not raw:
        raise MalformedTransaction("empty transaction")
    first = raw[0]
    if first == TX_TYPE_FEE_MARKET:
        items = _decode_list(raw[1:], 12)
        got_chain = _int(items[0], "chain id", MAX_UINT256)
        if got_chain != chain_id:
            raise ChainIdMismatch(chain_id, got_chain)
        access = items[8]
        if not isinstance(access, list):
            raise MalformedTransaction("access list is not a list")
        y_parity = _int(items[9], "y_parity", MAX_UINT256)
        if y_parity > 1:
            raise MalformedTransaction(f"y_parity {y_parity} is not 0 or 1")
        tx = TxFields(
            tx_type=TX_TYPE_FEE_MARKET,
            nonce=_int(items[1], "nonce", MAX_UINT64),
            max_priority_fee=_int(items[2], "max priority fee", MAX_UINT256),
            max_fee=_int(items[3], "max fee", MAX_UINT256),
            gas_limit=_int(items[4], "gas limit", MAX_UINT64),
            to=_to(items[5]),
            value=_int(items[6], "value", MAX_UINT256),
            data=_data(items[7]),
            access_list=rlp.encode(access),
            y_parity=y_parity,
            r=_int(items[10], "r", MAX_UINT256),
            s=_int(items[11], "s", MAX_UINT256),
        )
    elif first >= 0xC0:
        items = _decode_list(raw, 9)
        v = _int(items[6], "v", MAX_UINT256)
        if v in (27, 28):
            eip155, y_parity = False, v - 27
        elif v >= 35:
            got_chain, y_parity = divmod(v - 35, 2)
            if got_chain != chain_id:
                raise ChainIdMismatch(chain_id, got_chain)
            eip155 = True
        else:
            raise MalformedTransaction(f"legacy v {v} is neither 27/28 nor EIP-155")
        tx = TxFields(
            tx_type=TX_TYPE_LEGACY,
            nonce=_int(items[0], "nonce", MAX_UINT64),
            max_priority_fee=0,
            max_fee=_int(items[1], "gas price", MAX_UINT256),
            gas_limit=_int(items[2], "gas limit", MAX_UINT64),
            to=_to(items[3]),
            value=_int(items[4], "value", MAX_UINT256),
            data=_data(items[5]),
            access_list=EMPTY_ACCESS_LIST,
            y_parity=y_parity,
            r=_int(items[7], "r", MAX_UINT256),
            s=_int(items[8], "s", MAX_UINT256),
            eip155=eip155,
        )
    elif first == TX_TYPE_DEPOSIT:
        raise UnsupportedTransaction(first, "deposits are derived from L1 events, not batched")
    else:
        raise UnsupportedTransaction(first, "only type 2 and legacy transactions are carried")
    if build_transaction(tx, chain_id) != raw:
        raise NonCanonicalTransaction(raw)
    return tx


def check_access_list(encoded: bytes, field: str) -> None:
    """Decoder-side check that stored access-list bytes are one canonical RLP list.

    The shape (addresses of 20 bytes, 32-byte keys) is the L2's business; the batch only
    guarantees that the rebuilt transaction is well-formed RLP.
    """
    try:
        item = rlp.decode(encoded, strict=True)
    except Exception:  # rlp raises several unrelated exception classes
        raise MalformedBatch(field, "access list is not valid RLP") from None
    if not isinstance(item, list) or rlp.encode(item) != encoded:
        raise MalformedBatch(field, "access list is not a canonical RLP list")
