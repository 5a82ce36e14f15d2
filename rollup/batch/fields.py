"""Compact encodings of single transaction fields, shared by the body encoder and decoder.

* **Decimal varint** for amounts (values, fees): ``x = m * 10**e`` with ``e`` the count of
  trailing decimal zeros (at most 31), written as ``uvarint(m * 32 + e)``. Human and wallet
  amounts (1.5 OMNIT, 2 gwei) are round in decimal, so they shrink to a few bytes.
* **ABI words**: call data of the shape ``selector ++ 32-byte words`` is stored as a selector
  index plus, per word, a one-byte code and the significant bytes only: code ``k`` in 0..32 is
  a right-aligned word (integers, addresses, bools) with ``k`` significant bytes; code
  ``32 + k`` with ``k`` in 1..31 is a left-aligned word (``bytesN``, strings) with ``k``
  significant bytes. The shorter form wins, right-aligned on a tie.
"""

from __future__ import annotations

from .constants import MAX_UINT256
from .exceptions import MalformedBatch
from .wire import ByteReader, uvarint

__all__ = [
    "DECIMAL_EXPONENT_BITS",
    "MAX_DECIMAL_EXPONENT",
    "WORD_BYTES",
    "MAX_WORD_CODE",
    "decimal_code",
    "read_decimal",
    "word_code",
    "word_from_code",
]

DECIMAL_EXPONENT_BITS = 5
"""Low bits of a decimal varint that hold the power of ten."""

MAX_DECIMAL_EXPONENT = (1 << DECIMAL_EXPONENT_BITS) - 1
"""Largest power of ten a decimal varint holds (31); larger ones stay in the mantissa."""

WORD_BYTES = 32
"""Size of an ABI word."""

MAX_WORD_CODE = 2 * WORD_BYTES - 1
"""Largest ABI word code (63: a left-aligned word with 31 significant bytes)."""

_MAX_DECIMAL_CODE = (MAX_UINT256 << DECIMAL_EXPONENT_BITS) | MAX_DECIMAL_EXPONENT
"""Bound on a decimal varint's code, so a hostile varint stops after about 37 bytes."""

_POW10 = tuple(10**e for e in range(MAX_DECIMAL_EXPONENT + 1))
"""Powers of ten 10**0 .. 10**31."""


def decimal_code(x: int) -> bytes:
    """The decimal varint of ``x`` (0 <= x < 2**256)."""
    if x == 0:
        return b"\x00"
    e = 0
    while e < MAX_DECIMAL_EXPONENT and x % 10 == 0:
        x //= 10
        e += 1
    return uvarint((x << DECIMAL_EXPONENT_BITS) | e)


def read_decimal(reader: ByteReader, field: str) -> int:
    """Read a decimal varint; rejects non-canonical forms and values of 2**256 or more."""
    code = reader.uvarint(field, _MAX_DECIMAL_CODE)
    m, e = code >> DECIMAL_EXPONENT_BITS, code & MAX_DECIMAL_EXPONENT
    if m == 0:
        if e:
            raise MalformedBatch(field, "zero with an exponent")
        return 0
    if e < MAX_DECIMAL_EXPONENT and m % 10 == 0:
        raise MalformedBatch(field, "mantissa has a trailing zero")
    x = m * _POW10[e]
    if x > MAX_UINT256:
        raise MalformedBatch(field, "value of 2**256 or more")
    return x


def word_code(word: bytes) -> tuple[int, bytes]:
    """The code and significant bytes of one 32-byte ABI word."""
    right = word.lstrip(b"\x00")
    if not right:
        return 0, b""
    left = word.rstrip(b"\x00")
    if len(left) < len(right):
        return WORD_BYTES + len(left), left
    return len(right), right


def word_from_code(code: int, reader: ByteReader, field: str) -> bytes:
    """Read the significant bytes for ``code`` and rebuild the 32-byte word (canonical only)."""
    if code > MAX_WORD_CODE:
        raise MalformedBatch(field, f"word code {code}")
    if code <= WORD_BYTES:
        sig = reader.raw(code, field)
        word = bytes(WORD_BYTES - code) + sig
    else:
        sig = reader.raw(code - WORD_BYTES, field)
        word = sig + bytes(WORD_BYTES - len(sig))
    if word_code(word)[0] != code:
        raise MalformedBatch(field, "word not in its shortest form")
    return word
