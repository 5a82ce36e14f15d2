"""Hex encoding and decoding of JSON-RPC parameters and results.

Ethereum JSON-RPC carries every number as a hex "quantity" string (``"0x1a"``) and every byte
string as hex "data" (``"0xdeadbeef"``). Quantities up to 256 bits must survive exactly, so they
are parsed here by hand from the string and never handed to a JSON library as numbers. Every parse
function raises :class:`~rollup.rpc.errors.InvalidParams` with a message naming the parameter and
what was wrong with it.
"""

from __future__ import annotations

from typing import Any, Final

from .errors import InvalidParams

__all__ = [
    "MAX_UINT256",
    "BLOCK_TAGS",
    "parse_quantity",
    "parse_data",
    "parse_address",
    "parse_hash",
    "parse_block_tag",
    "parse_bool",
    "quantity",
    "data",
    "opt_quantity",
]

MAX_UINT256: Final = (1 << 256) - 1
"""The largest value a quantity may carry (EVM words are 256 bits)."""

BLOCK_TAGS: Final = frozenset({"latest", "pending", "safe", "finalized", "earliest"})
"""Named block tags accepted wherever a block number is."""

_HEX_DIGITS: Final = frozenset("0123456789abcdefABCDEF")
"""Characters allowed after the ``0x`` prefix."""

_MAX_QUANTITY_DIGITS: Final = 64
"""Hex digits of a 256-bit quantity; more (after leading zeros) cannot fit."""


def parse_quantity(value: Any, name: str = "quantity", *, max_value: int = MAX_UINT256) -> int:
    """Parse a hex quantity (or a non-negative JSON integer, which some clients send)."""
    if isinstance(value, bool):
        raise InvalidParams(f"{name}: expected a hex quantity, got a boolean")
    if isinstance(value, int):
        if value < 0 or value > max_value:
            raise InvalidParams(f"{name}: {value} is out of range")
        return value
    if not isinstance(value, str):
        raise InvalidParams(f"{name}: expected a hex quantity string like \"0x1\", got {type(value).__name__}")
    if len(value) < 3 or value[0] != "0" or value[1] not in "xX":
        raise InvalidParams(f"{name}: {_clip(value)!r} is not a hex quantity (expected \"0x\" and hex digits)")
    digits = value[2:].lstrip("0")
    if len(digits) > _MAX_QUANTITY_DIGITS:
        raise InvalidParams(f"{name}: {_clip(value)!r} exceeds 256 bits")
    if not _HEX_DIGITS.issuperset(value[2:]):
        raise InvalidParams(f"{name}: {_clip(value)!r} contains non-hex characters")
    result = int(digits, 16) if digits else 0
    if result > max_value:
        raise InvalidParams(f"{name}: {_clip(value)!r} is out of range")
    return result


def parse_data(value: Any, name: str = "data", *, length: int | None = None) -> bytes:
    """Parse hex data (``0x`` followed by an even number of hex digits), optionally of a fixed length."""
    if not isinstance(value, str):
        raise InvalidParams(f"{name}: expected a 0x-prefixed hex string, got {type(value).__name__}")
    if len(value) < 2 or value[0] != "0" or value[1] not in "xX":
        raise InvalidParams(f"{name}: {_clip(value)!r} is missing the 0x prefix")
    try:
        raw = bytes.fromhex(value[2:])
    except ValueError:
        raise InvalidParams(f"{name}: {_clip(value)!r} is not valid hex (odd length or non-hex characters)") from None
    if length is not None and len(raw) != length:
        raise InvalidParams(f"{name}: expected {length} bytes, got {len(raw)}")
    return raw


def parse_address(value: Any, name: str = "address") -> bytes:
    """Parse a 20-byte address (checksum case is accepted but not enforced)."""
    return parse_data(value, name, length=20)


def parse_hash(value: Any, name: str = "hash") -> bytes:
    """Parse a 32-byte hash."""
    return parse_data(value, name, length=32)


def parse_block_tag(value: Any, name: str = "block") -> int | str:
    """Parse a block parameter: a tag name, a hex number, or an EIP-1898 object with blockNumber."""
    if value is None:
        return "latest"
    if isinstance(value, str) and value in BLOCK_TAGS:
        return value
    if isinstance(value, dict):
        if "blockNumber" in value:
            return parse_block_tag(value["blockNumber"], name)
        raise InvalidParams(f"{name}: block objects must carry blockNumber (blockHash is not supported here)")
    return parse_quantity(value, name, max_value=(1 << 63) - 1)


def parse_bool(value: Any, name: str) -> bool:
    """Parse a JSON boolean."""
    if not isinstance(value, bool):
        raise InvalidParams(f"{name}: expected true or false, got {type(value).__name__}")
    return value


def quantity(value: int) -> str:
    """Encode a non-negative integer as a hex quantity."""
    return hex(value)


def opt_quantity(value: int | None) -> str | None:
    """Encode an optional integer as a hex quantity or null."""
    return None if value is None else hex(value)


def data(value: bytes | bytearray | memoryview) -> str:
    """Encode bytes as 0x-prefixed hex data."""
    return "0x" + bytes(value).hex()


def _clip(text: str, limit: int = 80) -> str:
    """Shorten a user-supplied string for an error message."""
    return text if len(text) <= limit else text[:limit] + "..."
