"""Signing keys for the CLI: from the environment, from an encrypted keystore, or freshly made.

Precedence when a command needs a key: ``--keystore FILE`` (password from
``OMNIT_KEYSTORE_PASSWORD`` or a prompt) > ``OMNIT_PRIVATE_KEY``. Keys never appear in
command-line arguments (they would land in shell history and ``ps``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable, Final, Mapping

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak

__all__ = [
    "ENV_PRIVATE_KEY",
    "ENV_KEYSTORE_PASSWORD",
    "KeyError_",
    "NoKeyConfigured",
    "BadKeystore",
    "load_account",
    "write_keystore",
    "new_account",
    "bench_keys",
]

ENV_PRIVATE_KEY: Final = "OMNIT_PRIVATE_KEY"
"""Environment variable holding a hex private key (``0x`` optional)."""
ENV_KEYSTORE_PASSWORD: Final = "OMNIT_KEYSTORE_PASSWORD"
"""Environment variable holding the keystore password (for scripts; otherwise prompted)."""


class KeyError_(Exception):
    """Base of key-loading errors (named with a trailing underscore to not shadow ``KeyError``)."""


class NoKeyConfigured(KeyError_):
    """Neither a keystore nor ``OMNIT_PRIVATE_KEY`` was given."""

    def __init__(self) -> None:
        super().__init__(
            f"no signing key: set {ENV_PRIVATE_KEY}=0x... or pass --keystore FILE "
            f"(create one with `omnit keys new`)"
        )


class BadKeystore(KeyError_):
    """The keystore file is unreadable, not a keystore, or the password is wrong."""

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(f"cannot open keystore {path}: {detail}")
        self.path = path
        self.detail = detail


def load_account(
    keystore: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    prompt: Callable[[str], str] | None = None,
) -> LocalAccount:
    """The signing account from ``keystore`` or the environment (see the module docstring)."""
    env = os.environ if env is None else env
    if keystore is not None:
        path = Path(keystore)
        try:
            blob = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise BadKeystore(str(path), str(exc)) from exc
        password = env.get(ENV_KEYSTORE_PASSWORD)
        if password is None:
            if prompt is None:
                raise BadKeystore(str(path), f"no password: set {ENV_KEYSTORE_PASSWORD} or run interactively")
            password = prompt(f"password for {path}")
        try:
            key = Account.decrypt(blob, password)
        except (ValueError, KeyError, TypeError) as exc:
            raise BadKeystore(str(path), "wrong password or corrupt file") from exc
        return Account.from_key(key)
    raw = env.get(ENV_PRIVATE_KEY)
    if not raw:
        raise NoKeyConfigured()
    try:
        return Account.from_key(raw.strip())
    except (ValueError, TypeError) as exc:
        raise KeyError_(f"{ENV_PRIVATE_KEY} is not a valid 32-byte hex private key") from exc


def new_account() -> LocalAccount:
    """A fresh random account (from the OS random source)."""
    return Account.create()


def write_keystore(path: str | os.PathLike[str], account: LocalAccount, password: str,
                   *, iterations: int | None = None) -> Path:
    """Write ``account`` encrypted with ``password`` (scrypt keystore v3); refuses to overwrite.

    ``iterations`` lowers the scrypt work factor (tests only; the default is eth-account's)."""
    target = Path(path)
    if target.exists():
        raise FileExistsError(f"{target} exists; choose another path")
    target.parent.mkdir(parents=True, exist_ok=True)
    blob = Account.encrypt(account.key, password, iterations=iterations)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(blob, fh)
    return target


def bench_keys(count: int, label: bytes = b"omnit-bench") -> list[LocalAccount]:
    """``count`` deterministic throwaway accounts (keccak of a label and an index; never for value)."""
    return [Account.from_key(keccak(label + i.to_bytes(4, "big"))) for i in range(count)]
