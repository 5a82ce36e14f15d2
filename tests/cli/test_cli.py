"""The ``omnit`` command line: parsing, keys, lazy registration (fast tests, no node)."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from eth_account import Account

from rollup.cli import omnit, parse_amount
from rollup.keys import BadKeystore, NoKeyConfigured, bench_keys, load_account, write_keystore


@pytest.mark.parametrize("text,wei", [
    ("1000", 1000), ("2gwei", 2 * 10**9), ("1.5omnit", 15 * 10**17), ("0.25 ether", 25 * 10**16), ("0", 0),
])
def test_parse_amount(text: str, wei: int) -> None:
    assert parse_amount(text) == wei


@pytest.mark.parametrize("text", ["-1", "1.5", "abc", "1e-30omnit"])
def test_parse_amount_rejects(text: str) -> None:
    with pytest.raises(click.BadParameter):
        parse_amount(text)


def test_help_lists_commands() -> None:
    out = CliRunner().invoke(omnit, ["--help"])
    assert out.exit_code == 0
    for name in ("sequencer", "devnet", "tx", "task", "model", "keys", "bench"):
        assert name in out.output
    bench = CliRunner().invoke(omnit, ["bench", "--help"])
    assert bench.exit_code == 0 and "sequencer" in bench.output


@pytest.mark.slow
def test_keys_new_writes_encrypted_keystore(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    out = CliRunner().invoke(omnit, ["keys", "new", "--out", str(path)], env={"OMNIT_KEYSTORE_PASSWORD": "pw"})
    assert out.exit_code == 0, out.output
    address = out.output.split()[1]
    blob = json.loads(path.read_text())
    assert "crypto" in blob and address.lower().endswith(blob["address"].lower())
    acct = load_account(path, env={"OMNIT_KEYSTORE_PASSWORD": "pw"})
    assert acct.address == address
    with pytest.raises(BadKeystore):
        load_account(path, env={"OMNIT_KEYSTORE_PASSWORD": "wrong"})
    again = CliRunner().invoke(omnit, ["keys", "new", "--out", str(path)], env={"OMNIT_KEYSTORE_PASSWORD": "pw"})
    assert again.exit_code != 0 and "exists" in again.output


def test_load_account_from_env() -> None:
    key = "0x" + "42" * 32
    assert load_account(env={"OMNIT_PRIVATE_KEY": key}).address == Account.from_key(key).address
    with pytest.raises(NoKeyConfigured):
        load_account(env={})


def test_keystore_roundtrip(tmp_path: Path) -> None:
    acct = bench_keys(1)[0]
    path = write_keystore(tmp_path / "a" / "ks.json", acct, "secret", iterations=2)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_account(path, env={}, prompt=lambda _: "secret").address == acct.address


def test_user_command_without_key_fails_cleanly() -> None:
    out = CliRunner().invoke(omnit, ["tx", "send", "--to", "0x" + "11" * 20, "--value", "1"],
                             env={"OMNIT_PRIVATE_KEY": ""})
    assert out.exit_code != 0 and "OMNIT_PRIVATE_KEY" in out.output


def test_tx_send_against_unreachable_node_fails_cleanly() -> None:
    out = CliRunner().invoke(omnit, ["tx", "send", "--to", "0x" + "11" * 20, "--value", "1",
                                     "--rpc-url", "http://127.0.0.1:9"],
                             env={"OMNIT_PRIVATE_KEY": "0x" + "42" * 32})
    assert out.exit_code != 0
    assert "Traceback" not in out.output


def test_bench_signer_matches_eth_account() -> None:
    from rollup.bench.signing import TransferSigner

    key = bytes.fromhex("33" * 32)
    signed = TransferSigner(key, 7001, max_fee=5 * 10**10, tip=10**6).sign(7, b"\x22" * 20, 99)
    ref = Account.sign_transaction({"type": 2, "chainId": 7001, "nonce": 7, "to": "0x" + "22" * 20, "value": 99,
                                    "gas": 21_000, "maxFeePerGas": 5 * 10**10, "maxPriorityFeePerGas": 10**6}, key)
    assert signed.raw_hex == "0x" + ref.raw_transaction.hex()
    assert signed.hash_hex == "0x" + ref.hash.hex()


def test_lazy_group_reports_a_broken_target_loudly() -> None:
    """Every lazy sub-command ships with this distribution: a failed import is a bug, never hidden."""
    from rollup.cli import _LazyGroup

    class Group(_LazyGroup):
        lazy = {"ghost": ("no_such_package.cli", "ghost")}

    @click.group(cls=Group)
    def root() -> None:
        pass

    out = CliRunner().invoke(root, ["ghost"])
    assert out.exit_code != 0
    assert isinstance(out.exception, ModuleNotFoundError)


def test_every_registered_command_loads() -> None:
    from rollup.cli import omnit

    ctx = click.Context(omnit)
    for name in omnit.list_commands(ctx):
        assert omnit.get_command(ctx, name) is not None, name
