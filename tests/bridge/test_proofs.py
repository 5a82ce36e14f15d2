"""Withdrawal proofs against an older output's root, and the output-root preimage check."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from prover.withdrawals import WithdrawalTree, encode_withdrawal, verify_withdrawal_proof
from rollup.bridge import OutputRootProof, ProofError, Withdrawal, output_root_proof, proof_at_root
from rollup.bridge.cli import bridge


def leaves(n: int) -> list[bytes]:
    return [encode_withdrawal(i, b"\x11" * 20, b"\x22" * 20, (i + 1) * 10**18) for i in range(n)]


def test_proof_against_an_older_root() -> None:
    old = WithdrawalTree.from_leaves(leaves(3))
    new = WithdrawalTree.from_leaves(leaves(7))
    latest = new.proof(1)
    # the node's proof (latest root) does not verify against the older output's root ...
    assert not verify_withdrawal_proof(old.root, latest.leaf_data, 1, latest.siblings)
    # ... the rebuilt one does
    siblings = proof_at_root(leaves(3), 1, old.root)
    assert verify_withdrawal_proof(old.root, leaves(3)[1], 1, siblings)
    with pytest.raises(ProofError):
        proof_at_root(leaves(4), 1, old.root)


def test_withdrawal_struct_from_leaf() -> None:
    w = Withdrawal.from_leaf(leaves(3)[2])
    assert (w.nonce, w.sender, w.l1_recipient, w.amount) == (2, b"\x11" * 20, b"\x22" * 20, 3 * 10**18)
    assert w.as_tuple()[1].lower() == "0x" + "11" * 20


def test_output_root_proof_matches_spec_vector() -> None:
    # docs/spec.md §5 L1.7
    root = bytes.fromhex("9944e021cf360923b6c7097f2a7cecd202c60f05862fc496408f010b6b5aa93a")
    p = output_root_proof(b"\x5a" * 32, b"\x77" * 32, b"\xb1" * 32, root)
    assert p.as_tuple() == (bytes(32), b"\x5a" * 32, b"\x77" * 32, b"\xb1" * 32)
    with pytest.raises(ProofError, match="disagree"):
        output_root_proof(b"\x5a" * 32, b"\x77" * 32, b"\xb2" * 32, root)
    assert isinstance(p, OutputRootProof)


def test_cli_help_and_bad_hash() -> None:
    runner = CliRunner()
    out = runner.invoke(bridge, ["--help"])
    assert out.exit_code == 0
    for cmd in ("deposit", "withdraw", "finalize", "status"):
        assert cmd in out.output
    out = runner.invoke(bridge, ["status", "0x1234", "--portal", "0x" + "00" * 20],
                        env={"OMNIT_RPC_URL": "http://127.0.0.1:1", "OMNIT_L1_RPC_URL": "http://127.0.0.1:1"})
    assert out.exit_code != 0
