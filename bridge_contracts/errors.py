"""Decode the custom errors of this project's contracts from revert data.

    try:
        await send(portal.functions.finalizeWithdrawal(...), account)
    except ContractCustomError as err:
        decoded = decode_error(err.data)   # DecodedError("NotFinalized", (0, 1_700_000_000))

Every error declared in any artifact's ABI is known; identical signatures declared in several
contracts (for example `Unauthorized(bytes32,address)`) decode to the same thing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from eth_abi import decode
from eth_hash.auto import keccak
from web3.exceptions import ContractCustomError

from bridge_contracts.artifacts import artifact_names, load_artifact

__all__ = [
    "DecodedError",
    "UnknownError",
    "decode_error",
    "error_selector",
    "expect_revert",
    "role_tag",
]


class UnknownError(ValueError):
    """Revert data whose selector is not an error of any artifact."""


@dataclass(frozen=True, slots=True)
class DecodedError:
    """A decoded custom error: its name and its arguments (eth-abi Python values)."""

    name: str
    args: tuple[Any, ...]

    def __str__(self) -> str:
        return f"{self.name}({', '.join(map(repr, self.args))})"


def _type(param: dict[str, Any]) -> str:
    kind: str = param["type"]
    if kind.startswith("tuple"):
        return "(" + ",".join(_type(c) for c in param["components"]) + ")" + kind[5:]
    return kind


def error_selector(signature: str) -> bytes:
    """The 4-byte selector of an error signature such as `Paused()`."""
    return keccak(signature.encode())[:4]


def role_tag(name: str) -> bytes:
    """keccak256 of a role name, as the contracts' `*_ROLE` constants (e.g. `BATCHER_ROLE`)."""
    return keccak(name.encode())


@lru_cache(maxsize=1)
def _errors() -> dict[bytes, tuple[str, tuple[str, ...]]]:
    table: dict[bytes, tuple[str, tuple[str, ...]]] = {}
    for name in artifact_names():
        for entry in load_artifact(name).abi:
            if entry.get("type") == "error":
                types = tuple(_type(p) for p in entry["inputs"])
                selector = error_selector(f"{entry['name']}({','.join(types)})")
                table[selector] = (entry["name"], types)
    return table


def decode_error(data: str | bytes) -> DecodedError:
    """Decode revert data (`0x` hex or bytes) into the error's name and arguments."""
    raw = bytes.fromhex(data.removeprefix("0x")) if isinstance(data, str) else bytes(data)
    known = _errors().get(raw[:4])
    if known is None:
        raise UnknownError(f"revert data 0x{raw.hex()} is not a known custom error")
    name, types = known
    return DecodedError(name, tuple(decode(list(types), raw[4:])))


def _normalise(value: object) -> object:
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, (tuple, list)):
        return tuple(_normalise(v) for v in value)
    return value


@contextmanager
def expect_revert(name: str, *args: object) -> Iterator[None]:
    """Assert that the block raises web3's `ContractCustomError` for error `name`.

        with expect_revert("NotFinalized", 0, finalizes_at):
            await send(portal.functions.finalizeWithdrawal(...), account)

    With `args`, the decoded arguments must equal them too (strings compare case-insensitively,
    so checksummed and lower-case addresses match). Raises AssertionError otherwise.
    """
    try:
        yield
    except ContractCustomError as err:
        decoded = decode_error(str(err.data))
        if decoded.name != name:
            raise AssertionError(f"expected {name}, got {decoded}") from err
        if args and _normalise(decoded.args) != _normalise(args):
            raise AssertionError(f"expected {name}{args!r}, got {decoded}") from err
        return
    raise AssertionError(f"expected a revert with {name}, but the call succeeded")
