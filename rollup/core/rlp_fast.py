"""Fast RLP for the hot paths: a strict list splitter and a small encoder.

``split_list(buf)`` returns the items of the RLP list ``buf`` as ``bytes``; a nested list item
(only the EIP-2930 access list) is decoded with ``rlp.decode(strict=True)``. It accepts exactly
what ``rlp.decode(buf, strict=True)`` accepts when that yields a list (canonical lengths, single
bytes below 0x80 encoded as themselves, no trailing bytes); a property test checks the two agree.
It is about four times faster than the general decoder on a transfer.

``encode_bytes`` / ``encode_int`` / ``encode_list`` produce exactly ``rlp.encode``'s output
(property-tested) for receipts and records, several times faster.
"""

from __future__ import annotations

import rlp

__all__ = ["RLPError", "split_list", "encode_bytes", "encode_int", "encode_list"]


class RLPError(ValueError):
    """Malformed or non-canonical RLP (the message says which rule was broken)."""


def _long_length(buf: bytes, pos: int, ll: int, end: int) -> tuple[int, int]:
    """(payload start, payload length) of a long-form header at ``pos`` with ``ll`` length bytes."""
    start = pos + 1 + ll
    if start > end:
        raise RLPError("length prefix runs past the end of the input")
    if buf[pos + 1] == 0:
        raise RLPError("length starts with zero bytes")
    length = int.from_bytes(buf[pos + 1 : start], "big")
    if length < 56:
        raise RLPError("long-form prefix used for a short item")
    return start, length


def split_list(buf: bytes) -> list:
    """Items of the RLP list ``buf`` (strict: the whole input must be one canonical list)."""
    n = len(buf)
    if n == 0:
        raise RLPError("empty input")
    b = buf[0]
    if b < 0xC0:
        raise RLPError("expected an RLP list, got a byte string")
    if b <= 0xF7:
        pos, end = 1, 1 + b - 0xC0
    else:
        pos, length = _long_length(buf, 0, b - 0xF7, n)
        end = pos + length
    if end != n:
        raise RLPError(
            "trailing bytes after the list" if end < n else "list runs past the end of the input"
        )
    items: list = []
    append = items.append
    while pos < end:
        b = buf[pos]
        if b < 0x80:
            append(buf[pos : pos + 1])
            pos += 1
        elif b <= 0xB7:
            s = pos + 1
            e = s + b - 0x80
            if e > end:
                raise RLPError("string runs past the end of its list")
            if e - s == 1 and buf[s] < 0x80:
                raise RLPError("single byte below 0x80 encoded as a string")
            append(buf[s:e])
            pos = e
        elif b < 0xC0:
            s, length = _long_length(buf, pos, b - 0xB7, end)
            e = s + length
            if e > end:
                raise RLPError("string runs past the end of its list")
            append(buf[s:e])
            pos = e
        else:
            if b <= 0xF7:
                e = pos + 1 + b - 0xC0
            else:
                s, length = _long_length(buf, pos, b - 0xF7, end)
                e = s + length
            if e > end:
                raise RLPError("nested list runs past the end of its list")
            try:
                append(rlp.decode(buf[pos:e], strict=True))
            except Exception as exc:
                raise RLPError(str(exc)) from None
            pos = e
    return items


def _length_prefix(length: int, short_base: int) -> bytes:
    if length < 56:
        return bytes((short_base + length,))
    lb = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((short_base + 55 + len(lb),)) + lb


def encode_bytes(b: bytes) -> bytes:
    """RLP of a byte string."""
    n = len(b)
    if n == 1 and b[0] < 0x80:
        return b
    if n < 56:
        return bytes((0x80 + n,)) + b
    return _length_prefix(n, 0x80) + b


def encode_int(i: int) -> bytes:
    """RLP of a non-negative integer (big-endian, minimal)."""
    if i == 0:
        return b"\x80"
    if i < 0x80:
        return bytes((i,))
    return encode_bytes(i.to_bytes((i.bit_length() + 7) // 8, "big"))


def encode_list(encoded_items: list[bytes]) -> bytes:
    """RLP of a list whose items are already RLP-encoded."""
    payload = b"".join(encoded_items)
    n = len(payload)
    if n < 56:
        return bytes((0xC0 + n,)) + payload
    return _length_prefix(n, 0xC0) + payload
