"""Pure unit tests: keystore, amounts, attestation checks, config, the status command."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from relayer.attestations import Attestation, AttestationMismatch, AttestationNotSafe, check_against_l2
from relayer.bls import KeyPair
from relayer.cli import main, parse_amount
from relayer.config import relayer_settings
from relayer.keystore import KeystoreError, decrypt_key, encrypt_key, load_key, save_key
from relayer.store import MessageRecord, MessageState, open_store


def test_keystore_round_trip(tmp_path: Path) -> None:
    key = KeyPair.from_seed(b"keystore")
    path = save_key(tmp_path / "v.json", key, "correct horse", scrypt_n=2**10)
    assert path.stat().st_mode & 0o777 == 0o600
    doc = json.loads(path.read_text())
    assert doc["kind"] == "omnit-bls-bn254" and doc["crypto"]["kdf"] == "scrypt"
    assert hex(key.secret)[2:] not in path.read_text()
    assert load_key(path, "correct horse") == key
    with pytest.raises(KeystoreError, match="wrong passphrase"):
        load_key(path, "wrong")
    doc["pk1"] = [hex(w) for w in KeyPair.from_seed(b"other").pk1.to_evm()]
    with pytest.raises(KeystoreError, match="does not match"):
        decrypt_key(doc, "correct horse")
    with pytest.raises(KeystoreError, match="not an OmniTensor"):
        decrypt_key({**encrypt_key(key, "x", scrypt_n=2**10), "kind": "eth"}, "x")


def test_parse_amount() -> None:
    assert parse_amount("1.5") == 15 * 10**17
    assert parse_amount("123wei") == 123
    assert parse_amount("2omnit") == 2 * 10**18
    for bad in ("0", "-1", "abc", "0.0000000000000000001"):
        with pytest.raises(click.BadParameter):
            parse_amount(bad)


class FakeL2:
    """An in-memory L2 for the pure check (the e2e tests use the real node)."""

    def __init__(self, record: dict | None, safe: int) -> None:
        self.record, self.safe = record, safe

    async def get_model(self, model_id: int) -> dict | None:
        return self.record

    async def safe_head(self) -> int:
        return self.safe


RECORD = {"owner": "0x" + "ab" * 20, "weightsCommitment": "0x" + "11" * 32, "status": "active",
          "version": "0x2", "registeredBlock": "0x5", "updatedBlock": "0x9"}


def test_attestation_checked_against_the_l2() -> None:
    good = Attestation(3, b"\x11" * 32, "0x" + "ab" * 20, 1, 2, 9)
    assert Attestation.decode(good.encode()) == good
    asyncio.run(check_against_l2(FakeL2(RECORD, 9), good))  # type: ignore[arg-type]
    with pytest.raises(AttestationNotSafe):
        asyncio.run(check_against_l2(FakeL2(RECORD, 8), good))  # type: ignore[arg-type]
    for field, value in (("weights_commitment", b"\x12" * 32), ("version", 1), ("l2_block", 5), ("status", 0),
                         ("owner", "0x" + "cd" * 20)):
        bad = Attestation(**{**{f: getattr(good, f) for f in good.__slots__}, field: value})
        with pytest.raises(AttestationMismatch, match=field):
            asyncio.run(check_against_l2(FakeL2(RECORD, 99), bad))  # type: ignore[arg-type]
    with pytest.raises(AttestationMismatch, match="not registered"):
        asyncio.run(check_against_l2(FakeL2(None, 99), good))  # type: ignore[arg-type]


def test_settings_from_toml_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "r.toml"
    cfg.write_text('[[chains]]\nchain_id = 7000\nrpc_url = "http://a"\nmailbox = "0x01"\nconfirmations = 3\n'
                   '[relayer]\nvalidators = ["http://v1", "http://v2"]\nmax_batch = 8\n')
    monkeypatch.setenv("OMNIT_RELAYER_DB_URL", "sqlite:///x.sqlite")
    monkeypatch.setenv("OMNIT_RELAYER_BACKOFF_BASE", "0.5")
    s = relayer_settings(cfg, worker_id="w")
    assert (s.chain(7000).confirmations, s.validators, s.max_batch, s.db_url, s.backoff_base, s.worker_id) == (
        3, ("http://v1", "http://v2"), 8, "sqlite:///x.sqlite", 0.5, "w")


def test_relayer_status_command(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.sqlite'}"
    mid = b"\x07" * 32

    async def seed() -> None:
        store = await open_store(db)
        await store.add_messages([MessageRecord(mid, 7000, 0, 7002, b"m", 3, b"\x01" * 32, b"\x02" * 32,
                                                observed_at=1.0)])
        await store.reschedule([mid], MessageState.PARKED, "RateLimited", 2e9, True)
        await store.close()

    asyncio.run(seed())
    result = CliRunner().invoke(main, ["relayer", "--db-url", db, "status", "0x" + mid.hex()])
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert (status["state"], status["lastError"], status["attempts"]) == ("parked", "RateLimited", 1)
    assert status["nextAttemptIn"] > 0
    missing = CliRunner().invoke(main, ["relayer", "--db-url", db, "status", "0x" + "00" * 32])
    assert missing.exit_code != 0 and "not indexed" in missing.output
