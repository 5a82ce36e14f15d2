"""Primitive encodings of the batch body: unsigned LEB128 varints, fixed bytes, packed bits.

``ByteWriter`` appends, ``ByteReader`` consumes with bounds checks. Readers raise only
``TruncatedData`` and ``MalformedBatch``; varints must be minimal (no redundant trailing
``0x80 0x00`` groups) so that every value has one encoding.
"""

from __future__ import annotations

from .exceptions import MalformedBatch, TruncatedData

__all__ = ["ByteWriter", "ByteReader", "uvarint", "pack_bits", "unpack_bits"]


def uvarint(value: int) -> bytes:
    """The unsigned LEB128 encoding of ``value`` (7 bits per byte, low group first)."""
    if value < 0:
        raise ValueError(f"uvarint of a negative number: {value}")
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def pack_bits(bits: list[int]) -> bytes:
    """Pack 0/1 values eight to a byte, first value in the lowest bit; the last byte is zero-padded."""
    out = bytearray((len(bits) + 7) // 8)
    for i, bit in enumerate(bits):
        if bit:
            out[i >> 3] |= 1 << (i & 7)
    return bytes(out)


def unpack_bits(data: bytes, count: int, field: str) -> list[int]:
    """Inverse of ``pack_bits``; padding bits after ``count`` must be zero."""
    if len(data) != (count + 7) // 8:
        raise MalformedBatch(field, f"{len(data)} bytes for {count} bits")
    bits = [(data[i >> 3] >> (i & 7)) & 1 for i in range(count)]
    if count & 7 and data[-1] >> (count & 7):
        raise MalformedBatch(field, "non-zero padding bits")
    return bits


class ByteWriter:
    """An append-only byte buffer with the batch body's primitive encodings."""

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = bytearray()

    def uvarint(self, value: int) -> None:
        """Append an unsigned LEB128 varint."""
        self._buf += uvarint(value)

    def raw(self, data: bytes) -> None:
        """Append bytes as they are (fixed-size fields)."""
        self._buf += data

    def byte(self, value: int) -> None:
        """Append one byte."""
        self._buf.append(value)

    def blob(self, data: bytes) -> None:
        """Append a varint length then the bytes."""
        self.uvarint(len(data))
        self._buf += data

    def getvalue(self) -> bytes:
        """The bytes written so far."""
        return bytes(self._buf)

    def __len__(self) -> int:
        return len(self._buf)


class ByteReader:
    """A bounds-checked cursor over a body; every read names the field it reads."""

    __slots__ = ("_data", "_pos")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    @property
    def remaining(self) -> int:
        """Bytes not yet consumed."""
        return len(self._data) - self._pos

    def raw(self, size: int, field: str) -> bytes:
        """Consume exactly ``size`` bytes."""
        if size > self.remaining:
            raise TruncatedData(field, size, self.remaining)
        start = self._pos
        self._pos += size
        return self._data[start : self._pos]

    def byte(self, field: str) -> int:
        """Consume one byte."""
        if self.remaining < 1:
            raise TruncatedData(field, 1, 0)
        value = self._data[self._pos]
        self._pos += 1
        return value

    def uvarint(self, field: str, max_value: int) -> int:
        """Consume a minimal unsigned LEB128 varint no larger than ``max_value``."""
        data = self._data
        pos = self._pos
        end = len(data)
        result = 0
        shift = 0
        max_bits = max_value.bit_length() + 7
        while True:
            if pos >= end:
                raise TruncatedData(field, 1, 0)
            b = data[pos]
            pos += 1
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                if b == 0 and shift:
                    raise MalformedBatch(field, "overlong varint")
                break
            shift += 7
            if shift > max_bits:
                raise MalformedBatch(field, "varint too long")
        if result > max_value:
            raise MalformedBatch(field, f"value {result} over {max_value}")
        self._pos = pos
        return result

    def count(self, field: str, min_bytes_each: int) -> int:
        """Consume a varint element count, bounded by what the remaining bytes could hold.

        ``min_bytes_each`` is the least number of body bytes each element occupies later on; a
        count that could not possibly fit is rejected before anything is allocated for it.
        """
        limit = self.remaining if min_bytes_each <= 0 else self.remaining // min_bytes_each
        return self.uvarint(field, max(limit, 0))

    def blob(self, field: str) -> bytes:
        """Consume a varint length then that many bytes."""
        size = self.uvarint(field, self.remaining)
        return self.raw(size, field)

    def expect_end(self) -> None:
        """Raise unless every byte was consumed."""
        if self.remaining:
            raise MalformedBatch("body", f"{self.remaining} trailing bytes")
