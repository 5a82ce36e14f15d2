"""`omnit validator keygen` and `omnit validator register`: a BLS keystore an operator can use,
and its key registered with a proof of possession on a real L1 ValidatorSet (anvil)."""

from __future__ import annotations

import asyncio
import json

from click.testing import CliRunner
from web3 import AsyncHTTPProvider, AsyncWeb3

from bridge_contracts.anvil import AnvilProcess, DevAccounts
from bridge_contracts.deploy import at
from relayer.bls import G1Point, verify_possession
from relayer.contracts import deploy_validator_set
from relayer.keystore import load_key
from relayer.validator import validator_cmd
from rollup.core.hashing import keccak

PASSPHRASE = "correct horse battery"
ENV = {"OMNIT_VALIDATOR_PASSPHRASE": PASSPHRASE}


def _keygen(path, *extra: str, env=ENV):
    return CliRunner().invoke(validator_cmd, ["keygen", str(path), *extra], env=env)


def test_keygen_writes_a_usable_keystore(tmp_path) -> None:
    out = tmp_path / "validator.json"
    result = _keygen(out)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    key = load_key(out, PASSPHRASE)
    assert [int(v, 16) for v in printed["pk1"]] == list(key.pk1.to_evm())
    assert [int(v, 16) for v in printed["pk2"]] == list(key.pk2.to_evm())
    proof = G1Point.from_evm([int(v, 16) for v in printed["proofOfPossession"]])
    assert verify_possession(key.pk1, key.pk2, proof)
    # never overwrites a key by accident; a weak passphrase is refused
    again = _keygen(out)
    assert again.exit_code != 0 and "exists" in again.output
    assert load_key(out, PASSPHRASE).secret == key.secret
    weak = _keygen(tmp_path / "weak.json", env={"OMNIT_VALIDATOR_PASSPHRASE": "short"})
    assert weak.exit_code != 0 and "at least 8" in weak.output
    assert not (tmp_path / "weak.json").exists()


def test_register_on_the_l1_validator_set(tmp_path) -> None:
    accounts = DevAccounts.derive()
    out = tmp_path / "validator.json"
    assert _keygen(out).exit_code == 0
    key = load_key(out, PASSPHRASE)
    with AnvilProcess(chain_id=7000) as anvil:
        async def deploy(home: bool) -> str:
            w3 = AsyncWeb3(AsyncHTTPProvider(anvil.url))
            try:
                vs = await deploy_validator_set(
                    w3, home=home, home_chain_id=7000, home_contract="0x" + "11" * 20,
                    admin=accounts.admin.address, account=accounts.admin)
                return vs.address
            finally:
                await w3.provider.disconnect()

        address = asyncio.run(deploy(True))
        args = ["register", "--keystore", str(out), "--l1-rpc-url", anvil.url,
                "--validator-set", address]
        env = {**ENV, "OMNIT_PRIVATE_KEY": "0x" + bytes(accounts.alice.key).hex()}
        result = CliRunner().invoke(validator_cmd, args, env=env)
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["registered"] is True
        # keys register on the home (L1) set only: a remote set refuses, by the error's name
        remote = asyncio.run(deploy(False))
        refused = CliRunner().invoke(validator_cmd, [*args[:-1], remote], env=env)
        assert refused.exit_code != 0 and "registration failed: WrongRegistryKind" in refused.output

        async def registered() -> bool:
            w3 = AsyncWeb3(AsyncHTTPProvider(anvil.url))
            try:
                key_hash = keccak(key.pk1.x.to_bytes(32, "big") + key.pk1.y.to_bytes(32, "big"))
                return await at(w3, "ValidatorSet", address).functions.keyRegistered(key_hash).call()
            finally:
                await w3.provider.disconnect()

        assert asyncio.run(registered())
        wrong = CliRunner().invoke(validator_cmd, args, env={**env, "OMNIT_VALIDATOR_PASSPHRASE": "nope-nope"})
        assert wrong.exit_code != 0 and "Traceback" not in wrong.output

