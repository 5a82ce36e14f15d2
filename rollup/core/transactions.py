"""Transactions accepted by the L2: decoding, signature recovery, hashing.

A closed union, decoded by one function that reads aloud:

- first byte ``>= 0xc0`` (an RLP list): EIP-155 legacy transaction (``gas_price`` is both the fee
  cap and the priority fee cap); pre-EIP-155 (``v`` in {27, 28}) is refused;
- type byte ``0x02``: EIP-1559 fee-market transaction;
- type byte ``0x7e``: deposit system transaction, only where deposits are allowed (block bodies
  derived from the L1), never from ``eth_sendRawTransaction``;
- anything else: :class:`UnsupportedTransactionType`.

The transaction hash is ``keccak(raw)`` exactly as on Ethereum. Decoding splits the RLP list with
:func:`rollup.core.rlp_fast.split_list` (strict, canonical, checked against ``rlp``) and recovers the sender with coincurve directly: the signing payload is sliced out of
the raw bytes instead of being re-encoded, which keeps decode + recover around 30-40 µs.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Union

import rlp
from coincurve import PublicKey

from .hashing import keccak
from .rlp_fast import RLPError, split_list
from .constants import (
    MAX_TX_SIZE,
    SECP256K1_HALF_N,
    SECP256K1_N,
    TX_TYPE_DEPOSIT,
    TX_TYPE_DYNAMIC_FEE,
    TX_TYPE_LEGACY,
    UINT64_MAX,
    UINT256_MAX,
)
from .exceptions import (
    ChainIdMismatch,
    ContractCreationNotSupported,
    DepositNotAllowed,
    EmptyTransaction,
    InvalidField,
    InvalidSignature,
    MalformedRLP,
    TransactionTooLarge,
    UnsupportedTransactionType,
)
from .types import Address, ChainId, Gas, Hash32, Nonce, Wei

__all__ = [
    "AccessList",
    "LegacyTransaction",
    "DynamicFeeTransaction",
    "DepositTransaction",
    "SignedTransaction",
    "Transaction",
    "decode_transaction",
    "encode_deposit",
    "make_deposit",
    "deposit_source_hash",
    "recover_sender",
]

AccessList = tuple[tuple[Address, tuple[bytes, ...]], ...]
"""EIP-2930 access list: (address, storage keys) pairs. Accepted and charged, otherwise unused."""


@dataclass(frozen=True, slots=True)
class LegacyTransaction:
    """An EIP-155 legacy transaction, bound to a chain id through ``v``."""

    nonce: Nonce
    gas_price: Wei
    gas: Gas
    to: Address
    value: Wei
    data: bytes
    chain_id: ChainId
    v: int
    r: int
    s: int
    sender: Address
    hash: Hash32
    raw: bytes

    tx_type = TX_TYPE_LEGACY

    @property
    def max_fee_per_gas(self) -> Wei:
        """The gas price is the fee cap."""
        return self.gas_price

    @property
    def max_priority_fee_per_gas(self) -> Wei:
        """The gas price is also the priority fee cap (all above the base fee tips)."""
        return self.gas_price

    @property
    def access_list(self) -> AccessList:
        return ()


@dataclass(frozen=True, slots=True)
class DynamicFeeTransaction:
    """An EIP-1559 (type 2) transaction."""

    chain_id: ChainId
    nonce: Nonce
    max_priority_fee_per_gas: Wei
    max_fee_per_gas: Wei
    gas: Gas
    to: Address
    value: Wei
    data: bytes
    access_list: AccessList
    y_parity: int
    r: int
    s: int
    sender: Address
    hash: Hash32
    raw: bytes

    tx_type = TX_TYPE_DYNAMIC_FEE


@dataclass(frozen=True, slots=True)
class DepositTransaction:
    """A deposit from the L1 bridge: mints ``mint`` wei to ``to``. Unsigned, gas-free, no nonce.

    ``sender`` is the L1 depositor (the ``from`` field); it is not charged and its L2 nonce is
    not touched. The deposit is identified by ``source_hash`` and applied at most once.
    """

    source_hash: Hash32
    sender: Address
    to: Address
    mint: Wei
    hash: Hash32
    raw: bytes

    tx_type = TX_TYPE_DEPOSIT
    nonce = None
    gas = Gas(0)
    value = Wei(0)
    data = b""
    max_fee_per_gas = Wei(0)
    max_priority_fee_per_gas = Wei(0)
    chain_id = None


def _pickle_by_fields(cls: type) -> None:
    """Pickle ``cls`` as ``cls(*fields)``: the dataclass default (``__getstate__`` /
    ``__setstate__`` calling ``dataclasses.fields`` per object) costs about twice as much, and
    decoded transactions cross a process boundary on the node's intake path."""
    values = attrgetter(*(f.name for f in fields(cls)))

    def __reduce__(self):  # noqa: N807 - the pickle protocol's name
        return cls, values(self)

    cls.__reduce__ = __reduce__  # type: ignore[method-assign]


for _cls in (LegacyTransaction, DynamicFeeTransaction, DepositTransaction):
    _pickle_by_fields(_cls)


SignedTransaction = Union[LegacyTransaction, DynamicFeeTransaction]
"""A user transaction (what ``eth_sendRawTransaction`` accepts)."""

Transaction = Union[LegacyTransaction, DynamicFeeTransaction, DepositTransaction]
"""Anything that can appear in an L2 block body."""


def decode_transaction(
    raw: bytes, chain_id: int, *, allow_deposit: bool = False
) -> Transaction:
    """Decode and authenticate ``raw`` (the EIP-2718 envelope), bound to ``chain_id``.

    Raises a :class:`~rollup.core.exceptions.TransactionError` subclass (never anything else)
    for bytes that are not an acceptable transaction. Deposits (0x7e) raise
    :class:`DepositNotAllowed` unless ``allow_deposit`` (block bodies derived from the L1).
    """
    if not isinstance(raw, bytes):
        raw = bytes(raw)
    size = len(raw)
    if size == 0:
        raise EmptyTransaction()
    if size > MAX_TX_SIZE:
        raise TransactionTooLarge(MAX_TX_SIZE, size)
    first = raw[0]
    if first >= 0xC0:
        return _decode_legacy(raw, chain_id)
    if first == TX_TYPE_DYNAMIC_FEE:
        return _decode_dynamic_fee(raw, chain_id)
    if first == TX_TYPE_DEPOSIT:
        if not allow_deposit:
            raise DepositNotAllowed()
        return _decode_deposit(raw)
    raise UnsupportedTransactionType(first)


def deposit_source_hash(l1_block_hash: bytes, l1_log_index: int) -> Hash32:
    """``keccak(u256(0) ++ keccak(l1_block_hash ++ u256(l1_log_index)))`` (domain 0: user deposit)."""
    if len(l1_block_hash) != 32:
        raise ValueError(f"l1_block_hash must be 32 bytes, got {len(l1_block_hash)}")
    inner = keccak(l1_block_hash + l1_log_index.to_bytes(32, "big"))
    return Hash32(keccak(bytes(32) + inner))


def encode_deposit(source_hash: bytes, sender: bytes, to: bytes, mint: int) -> bytes:
    """Raw deposit: ``0x7e ++ rlp([source_hash, from, to, mint])``."""
    if len(source_hash) != 32 or len(sender) != 20 or len(to) != 20:
        raise ValueError("deposit needs a 32-byte source hash and 20-byte from/to addresses")
    if not 0 <= mint <= UINT256_MAX:
        raise ValueError(f"deposit mint out of range: {mint}")
    return bytes([TX_TYPE_DEPOSIT]) + rlp.encode([source_hash, sender, to, mint])


def make_deposit(source_hash: bytes, sender: bytes, to: bytes, mint: int) -> DepositTransaction:
    """Build a :class:`DepositTransaction` (what the L1 watcher produces for a bridge event)."""
    raw = encode_deposit(source_hash, sender, to, mint)
    return DepositTransaction(
        Hash32(bytes(source_hash)), Address(bytes(sender)), Address(bytes(to)), Wei(mint),
        Hash32(keccak(raw)), raw,
    )


def recover_sender(msg_hash: bytes, y_parity: int, r: int, s: int) -> Address:
    """Recover the signer's address; raises :class:`InvalidSignature` (incl. high ``s``)."""
    if not 0 < r < SECP256K1_N:
        raise InvalidSignature(f"r out of range: expected 1 <= r < secp256k1 n, got {r}")
    if not 0 < s <= SECP256K1_HALF_N:
        if 0 < s < SECP256K1_N:
            raise InvalidSignature("high s value: expected s <= secp256k1 n/2 (EIP-2)")
        raise InvalidSignature(f"s out of range: expected 1 <= s <= secp256k1 n/2, got {s}")
    if y_parity not in (0, 1):
        raise InvalidSignature(f"y parity must be 0 or 1, got {y_parity}")
    rs = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    pub = _recover_uncompressed(rs, y_parity, msg_hash)
    return Address(keccak(pub[1:])[12:])


def _recover_wrapped(rs: bytes, y_parity: int, msg_hash: bytes) -> bytes:
    """Reference path: coincurve's public API."""
    try:
        pub = PublicKey.from_signature_and_message(rs + bytes((y_parity,)), msg_hash, hasher=None)
    except Exception as exc:  # coincurve raises ValueError / its own errors
        raise InvalidSignature(f"public key not recoverable ({exc})") from None
    return pub.format(compressed=False)


def _make_direct_recover():
    """Fast path: libsecp256k1 through coincurve's cffi binding, without the wrapper objects
    (about 15% less per recovery). None if the binding does not expose what is needed."""
    try:
        from coincurve._libsecp256k1 import ffi, lib
        from coincurve.context import GLOBAL_CONTEXT

        ctx = GLOBAL_CONTEXT.ctx
        parse = lib.secp256k1_ecdsa_recoverable_signature_parse_compact
        recover = lib.secp256k1_ecdsa_recover
        serialize = lib.secp256k1_ec_pubkey_serialize
        uncompressed = lib.SECP256K1_EC_UNCOMPRESSED
    except Exception:
        return None

    def direct(rs: bytes, y_parity: int, msg_hash: bytes) -> bytes:
        sig = ffi.new("secp256k1_ecdsa_recoverable_signature *")
        pub = ffi.new("secp256k1_pubkey *")
        if not parse(ctx, sig, rs, y_parity) or not recover(ctx, pub, sig, msg_hash):
            raise InvalidSignature("public key not recoverable from (r, s, y parity)")
        out = ffi.new("unsigned char[65]")
        size = ffi.new("size_t *", 65)
        serialize(ctx, out, size, pub, uncompressed)
        return bytes(ffi.buffer(out, 65))

    return direct


_recover_uncompressed = _make_direct_recover() or _recover_wrapped


# -- decoding helpers -------------------------------------------------------------------------


def _rlp_list(payload: bytes, n_fields: int, what: str) -> list:
    try:
        fields = split_list(payload)
    except RLPError as exc:
        raise MalformedRLP(f"{what}: {exc}") from None
    if len(fields) != n_fields:
        raise MalformedRLP(f"{what}: expected {n_fields} fields, got {len(fields)}")
    return fields


def _int(value: object, name: str, limit: int = UINT256_MAX) -> int:
    if not isinstance(value, bytes):
        raise InvalidField(name, "expected an integer, got a list")
    if value[:1] == b"\x00":
        raise InvalidField(name, "integer has leading zero bytes (non-canonical)")
    n = int.from_bytes(value, "big")
    if n > limit:
        raise InvalidField(name, f"value {n} exceeds the maximum {limit}")
    return n


def _to(value: object) -> Address:
    if not isinstance(value, bytes):
        raise InvalidField("to", "expected an address, got a list")
    if len(value) == 0:
        raise ContractCreationNotSupported()
    if len(value) != 20:
        raise InvalidField("to", f"expected 20 bytes, got {len(value)}")
    return Address(value)


def _data(value: object) -> bytes:
    if not isinstance(value, bytes):
        raise InvalidField("data", "expected a byte string, got a list")
    return value


def _access_list(value: object) -> AccessList:
    if not isinstance(value, list):
        raise InvalidField("accessList", "expected a list")
    out = []
    for entry in value:
        if not isinstance(entry, list) or len(entry) != 2:
            raise InvalidField("accessList", "each entry must be [address, [storage keys]]")
        addr, keys = entry
        if not isinstance(addr, bytes) or len(addr) != 20:
            raise InvalidField("accessList", "entry address must be 20 bytes")
        if not isinstance(keys, list) or any(
            not isinstance(k, bytes) or len(k) != 32 for k in keys
        ):
            raise InvalidField("accessList", "storage keys must be a list of 32-byte strings")
        out.append((Address(addr), tuple(keys)))
    return tuple(out)


def _item_end(buf: bytes, pos: int) -> int:
    """End offset of the RLP item starting at ``pos`` (``buf`` already validated by rlp)."""
    b = buf[pos]
    if b < 0x80:
        return pos + 1
    if b <= 0xB7:
        return pos + 1 + b - 0x80
    if b < 0xC0:
        ll = b - 0xB7
        return pos + 1 + ll + int.from_bytes(buf[pos + 1 : pos + 1 + ll], "big")
    if b <= 0xF7:
        return pos + 1 + b - 0xC0
    ll = b - 0xF7
    return pos + 1 + ll + int.from_bytes(buf[pos + 1 : pos + 1 + ll], "big")


def _list_body_start(buf: bytes) -> int:
    b = buf[0]
    return 1 if b <= 0xF7 else 1 + b - 0xF7


def _list_header(length: int) -> bytes:
    if length < 56:
        return bytes((0xC0 + length,))
    lb = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((0xF7 + len(lb),)) + lb


def _prefix_items(buf: bytes, count: int) -> bytes:
    """The concatenated encodings of the first ``count`` items of the RLP list ``buf``."""
    start = pos = _list_body_start(buf)
    for _ in range(count):
        pos = _item_end(buf, pos)
    return buf[start:pos]


def _decode_dynamic_fee(raw: bytes, chain_id: int) -> DynamicFeeTransaction:
    payload = raw[1:]
    f = _rlp_list(payload, 12, "EIP-1559 transaction")
    tx_chain = _int(f[0], "chainId")
    if tx_chain != chain_id:
        raise ChainIdMismatch(chain_id, tx_chain)
    nonce = _int(f[1], "nonce", UINT64_MAX - 1)
    max_priority = _int(f[2], "maxPriorityFeePerGas")
    max_fee = _int(f[3], "maxFeePerGas")
    gas = _int(f[4], "gas", UINT64_MAX)
    to = _to(f[5])
    value = _int(f[6], "value")
    data = _data(f[7])
    access_list = _access_list(f[8]) if f[8] else ()
    y_parity = _int(f[9], "yParity", 255)
    r = _int(f[10], "r")
    s = _int(f[11], "s")
    body = _prefix_items(payload, 9)
    msg_hash = keccak(b"\x02" + _list_header(len(body)) + body)
    sender = recover_sender(msg_hash, y_parity, r, s)
    return DynamicFeeTransaction(
        ChainId(tx_chain), Nonce(nonce), Wei(max_priority), Wei(max_fee), Gas(gas), to,
        Wei(value), data, access_list, y_parity, r, s, sender, Hash32(keccak(raw)), raw,
    )


def _decode_legacy(raw: bytes, chain_id: int) -> LegacyTransaction:
    f = _rlp_list(raw, 9, "legacy transaction")
    nonce = _int(f[0], "nonce", UINT64_MAX - 1)
    gas_price = _int(f[1], "gasPrice")
    gas = _int(f[2], "gas", UINT64_MAX)
    to = _to(f[3])
    value = _int(f[4], "value")
    data = _data(f[5])
    v = _int(f[6], "v")
    r = _int(f[7], "r")
    s = _int(f[8], "s")
    if v in (27, 28):
        raise ChainIdMismatch(chain_id, None)
    if v < 35:
        raise InvalidSignature(f"legacy v must be 27, 28 or chain_id * 2 + 35/36, got {v}")
    tx_chain, y_parity = divmod(v - 35, 2)
    if tx_chain != chain_id:
        raise ChainIdMismatch(chain_id, tx_chain)
    body = _prefix_items(raw, 6) + rlp.encode(tx_chain) + b"\x80\x80"
    msg_hash = keccak(_list_header(len(body)) + body)
    sender = recover_sender(msg_hash, y_parity, r, s)
    return LegacyTransaction(
        Nonce(nonce), Wei(gas_price), Gas(gas), to, Wei(value), data, ChainId(tx_chain), v, r,
        s, sender, Hash32(keccak(raw)), raw,
    )


def _decode_deposit(raw: bytes) -> DepositTransaction:
    f = _rlp_list(raw[1:], 4, "deposit transaction")
    source_hash, sender = f[0], f[1]
    if not isinstance(source_hash, bytes) or len(source_hash) != 32:
        raise InvalidField("sourceHash", "expected 32 bytes")
    if not isinstance(sender, bytes) or len(sender) != 20:
        raise InvalidField("from", "expected 20 bytes")
    to = _to(f[2])
    mint = _int(f[3], "mint")
    return DepositTransaction(
        Hash32(source_hash), Address(sender), to, Wei(mint), Hash32(keccak(raw)), raw
    )
