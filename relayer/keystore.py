"""Validator BLS keystores: a BN254 secret in an scrypt-encrypted JSON file.

The file is an ordinary Web3 Secret Storage (version 3) document written by eth-keyfile's
``create_keyfile_json`` with ``kdf="scrypt"`` over the 32-byte big-endian BLS secret, plus three
members of our own::

    {"crypto": {...scrypt + aes-128-ctr + mac...}, "version": 3, "id": ...,
     "kind": "omnit-bls-bn254", "pk1": ["0x..", "0x.."], "pk2": ["0x..", ...]}

(eth-keyfile also writes an ``address``: the secp256k1 address of the same 32 bytes; it means
nothing here and is ignored.) ``pk1``/``pk2`` let an operator see which key a file holds without
the passphrase; on load they are checked against the decrypted secret.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from eth_keyfile import create_keyfile_json, decode_keyfile_json

from .bls import G1Point, KeyPair

__all__ = ["KeystoreError", "KEYSTORE_KIND", "SCRYPT_N", "encrypt_key", "decrypt_key", "save_key", "load_key"]

KEYSTORE_KIND = "omnit-bls-bn254"
"""The ``kind`` member that marks a file as one of ours (not an Ethereum account key)."""

SCRYPT_N = 2**18
"""scrypt cost for production keystores (eth-keyfile's default; about a second to open)."""


class KeystoreError(ValueError):
    """A keystore that cannot be used: wrong kind, wrong passphrase, or keys that do not match."""


def encrypt_key(key: KeyPair, passphrase: str, *, scrypt_n: int = SCRYPT_N) -> dict[str, Any]:
    """The keystore document for ``key`` (tests pass a small ``scrypt_n``)."""
    doc = create_keyfile_json(key.secret.to_bytes(32, "big"), passphrase.encode(), kdf="scrypt", iterations=scrypt_n)
    doc["kind"] = KEYSTORE_KIND
    doc["pk1"] = [hex(w) for w in key.pk1.to_evm()]
    doc["pk2"] = [hex(w) for w in key.pk2.to_evm()]
    return doc


def decrypt_key(doc: dict[str, Any], passphrase: str) -> KeyPair:
    """Open a keystore document; checks the kind and that the stored G1 key matches."""
    if doc.get("kind") != KEYSTORE_KIND:
        raise KeystoreError(f"not an OmniTensor BLS keystore (kind={doc.get('kind')!r}, expected {KEYSTORE_KIND!r})")
    try:
        secret = int.from_bytes(decode_keyfile_json(doc, passphrase.encode()), "big")
    except ValueError as exc:
        raise KeystoreError(f"cannot decrypt the keystore: {exc} (wrong passphrase?)") from None
    key = KeyPair.from_secret(secret)
    if "pk1" in doc and key.pk1 != G1Point.from_evm([int(w, 16) for w in doc["pk1"]]):
        raise KeystoreError("the keystore's pk1 does not match its secret: the file was edited")
    return key


def save_key(path: str | Path, key: KeyPair, passphrase: str, *, scrypt_n: int = SCRYPT_N) -> Path:
    """Write a keystore file readable by its owner only (mode 0600)."""
    path = Path(path)
    data = json.dumps(encrypt_key(key, passphrase, scrypt_n=scrypt_n), indent=2)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(data)
    return path


def load_key(path: str | Path, passphrase: str) -> KeyPair:
    """Read and decrypt a keystore file."""
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise KeystoreError(f"cannot read keystore {path}: {exc}") from None
    return decrypt_key(doc, passphrase)
