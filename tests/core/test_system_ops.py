"""Models, staking and withdrawals through signed transactions, incl. failure paths."""

from __future__ import annotations

from eth_abi import decode as abi_decode

from rollup.core import execute_call
from rollup.core.constants import (
    L2_TO_L1_ADDRESS,
    MODEL_REGISTRY_ADDRESS,
    OMNIT,
    ROLE_COMPUTE,
    ROLE_VALIDATOR,
    STAKING_ADDRESS,
    SYSTEM_CALL_FAILED_GAS,
)
from rollup.core.fees import intrinsic_gas
from rollup.core.genesis import DEV_STAKE, DEV_UNBONDING_DELAY
from rollup.core.records import ModelStatus
from rollup.core.system_contracts import encode_call, event_topic, function_spec

W1, W2 = b"\x11" * 32, b"\x22" * 32


def _assert_failed_only_fees(chain, receipt, signer, before_balance, before_nonce):
    """A failed call: included, status 0, no logs, only nonce + fees changed."""
    assert receipt.status == 0 and receipt.logs == () and receipt.revert_reason
    acct = chain.view().account(chain.addr(signer))
    assert acct.nonce == before_nonce + 1
    assert acct.balance == before_balance - receipt.l2_fee - receipt.l1_fee


def test_register_and_update_model(chain):
    (r,) = chain.run(chain.call_tx(0, "ModelRegistry", "registerModel", W1, "ipfs://m1"))
    assert r.status == 1
    (log,) = r.logs
    assert log.address == MODEL_REGISTRY_ADDRESS
    assert log.topics[0] == event_topic("ModelRegistry", "ModelRegistered")
    assert int.from_bytes(log.topics[1], "big") == 1
    assert log.topics[2][12:] == chain.addr(0)
    m = chain.view().model(1)
    assert (m.owner, m.weights_commitment, m.metadata_uri, m.status, m.version) == (
        chain.addr(0), W1, "ipfs://m1", ModelStatus.ACTIVE, 1)
    assert m.registered_block == 1
    (r2,) = chain.run(chain.call_tx(0, "ModelRegistry", "registerModel", W2, "ipfs://m2"))
    assert int.from_bytes(r2.logs[0].topics[1], "big") == 2
    (r3,) = chain.run(chain.call_tx(0, "ModelRegistry", "updateModel", 1, W2, "ipfs://m1b"))
    assert r3.status == 1
    m = chain.view().model(1)
    assert (m.version, m.weights_commitment, m.metadata_uri, m.updated_block) == (2, W2, "ipfs://m1b", 3)
    assert chain.globals().next_model_id == 3


def test_update_model_by_non_owner_fails(chain):
    chain.run(chain.call_tx(0, "ModelRegistry", "registerModel", W1, "u"))
    before = chain.view().account(chain.addr(1))
    (r,) = chain.run(chain.call_tx(1, "ModelRegistry", "updateModel", 1, W2, "evil"))
    _assert_failed_only_fees(chain, r, 1, before.balance, before.nonce)
    assert "only the owner" in r.revert_reason
    assert chain.view().model(1).version == 1


def test_register_zero_commitment_and_unknown_model(chain):
    (r,) = chain.run(chain.call_tx(0, "ModelRegistry", "registerModel", bytes(32), "u"))
    assert r.status == 0 and "non-zero" in r.revert_reason
    (r,) = chain.run(chain.call_tx(0, "ModelRegistry", "updateModel", 9, W1, "u"))
    assert r.status == 0 and "model 9 does not exist" in r.revert_reason
    assert chain.globals().next_model_id == 1


def test_unknown_selector_bad_abi_plain_transfer_and_value_to_nonpayable(chain):
    s = chain.signers[0]
    before = chain.view().account(chain.addr(0))
    raws = [
        s.tx(MODEL_REGISTRY_ADDRESS, data=b"\xde\xad\xbe\xef", gas=60_000),
        s.tx(MODEL_REGISTRY_ADDRESS, data=function_spec("ModelRegistry", "registerModel").selector
             + b"\x01" * 7, gas=200_000),
        s.tx(STAKING_ADDRESS, value=OMNIT, gas=60_000),
        s.tx(MODEL_REGISTRY_ADDRESS, value=5,
             data=encode_call("ModelRegistry", "registerModel", W1, "u"), gas=200_000),
    ]
    rs = chain.run(*raws)
    assert [r.status for r in rs] == [0, 0, 0, 0]
    assert "unknown function selector 0xdeadbeef" in rs[0].revert_reason
    assert "invalid calldata" in rs[1].revert_reason
    assert "accepts only ABI-encoded calls" in rs[2].revert_reason
    assert "not payable" in rs[3].revert_reason
    assert rs[0].gas_used == intrinsic_gas(b"\xde\xad\xbe\xef") + SYSTEM_CALL_FAILED_GAS
    acct = chain.view().account(chain.addr(0))
    assert acct.nonce == before.nonce + 4
    assert acct.balance == before.balance - sum(r.l2_fee + r.l1_fee for r in rs)
    assert chain.globals().next_model_id == 1
    assert chain.conservation_gap() == 0


def test_out_of_gas_uses_whole_limit(chain):
    data = encode_call("ModelRegistry", "registerModel", W1, "u")
    raw = chain.signers[0].tx(MODEL_REGISTRY_ADDRESS, data=data, gas=intrinsic_gas(data) + 10)
    (r,) = chain.run(raw)
    assert r.status == 0 and r.gas_used == intrinsic_gas(data) + 10
    assert "out of gas" in r.revert_reason


def test_stake_unstake_claim(chain):
    a = chain.addr(7)
    bal0 = chain.balance(a)
    (r,) = chain.run(chain.call_tx(7, "Staking", "stake", ROLE_VALIDATOR, 100 * OMNIT))
    assert r.status == 1 and r.logs[0].topics[0] == event_topic("Staking", "Staked")
    st = chain.view().stake(a)
    assert st.validator == 100 * OMNIT and st.compute == 0
    assert chain.balance(a) == bal0 - 100 * OMNIT - r.l2_fee
    total_v = chain.globals().total_validator_stake
    assert total_v == 4 * DEV_STAKE + 100 * OMNIT

    t = chain.head.timestamp + 1
    (r,) = chain.run(chain.call_tx(7, "Staking", "unstake", ROLE_VALIDATOR, 40 * OMNIT), timestamp=t)
    assert r.status == 1
    (release,) = abi_decode(["uint64"], r.logs[0].data[32:])
    assert release == t + DEV_UNBONDING_DELAY
    st = chain.view().stake(a)
    assert st.validator == 60 * OMNIT and st.unbonding_total == 40 * OMNIT
    assert chain.globals().total_validator_stake == total_v - 40 * OMNIT
    assert chain.globals().total_unbonding == 40 * OMNIT

    (r,) = chain.run(chain.call_tx(7, "Staking", "claimUnbonded"), timestamp=t + 10)
    assert r.status == 0 and "matures at" in r.revert_reason
    bal = chain.balance(a)
    (r,) = chain.run(chain.call_tx(7, "Staking", "claimUnbonded"), timestamp=release)
    assert r.status == 1
    assert chain.balance(a) == bal + 40 * OMNIT - r.l2_fee
    assert chain.view().stake(a).unbonding == ()
    assert chain.globals().total_unbonding == 0
    assert chain.conservation_gap() == 0


def test_stake_failures(chain):
    rs = chain.run(
        chain.call_tx(7, "Staking", "stake", 3, OMNIT),
        chain.call_tx(7, "Staking", "stake", ROLE_COMPUTE, 0),
        chain.call_tx(7, "Staking", "stake", ROLE_COMPUTE, 10**9 * OMNIT),
        chain.call_tx(7, "Staking", "unstake", ROLE_COMPUTE, 1),
        chain.call_tx(7, "Staking", "claimUnbonded"),
    )
    assert [r.status for r in rs] == [0] * 5
    assert "unknown staking role 3" in rs[0].revert_reason
    assert "must be positive" in rs[1].revert_reason
    assert "insufficient balance to stake" in rs[2].revert_reason
    assert "only 0 wei bonded as compute" in rs[3].revert_reason
    assert "no unbonding stake" in rs[4].revert_reason
    assert chain.view().stake(chain.addr(7)).is_empty()


def test_get_stake_view(chain):
    v = chain.addr(1)
    res = execute_call(chain.state, chain.env(), chain.addr(0), STAKING_ADDRESS,
                       encode_call("Staking", "getStake", v))
    assert res.success
    assert abi_decode(["uint256"] * 4, res.return_data) == (0, DEV_STAKE, 0, 0)
    res = execute_call(chain.state, chain.env(), chain.addr(0), STAKING_ADDRESS,
                       encode_call("Staking", "totalStake", ROLE_COMPUTE))
    assert abi_decode(["uint256"], res.return_data) == (2 * DEV_STAKE,)


def test_withdraw(chain):
    rec = b"\x77" * 20
    (r,) = chain.run(chain.call_tx(3, "L2ToL1MessagePasser", "withdraw", rec, value=2 * OMNIT))
    assert r.status == 1
    block = chain.blocks[-1]
    (w,) = block.withdrawals
    assert (w.nonce, w.sender, w.l1_recipient, w.amount) == (0, chain.addr(3), rec, 2 * OMNIT)
    assert w.transaction_hash == r.transaction_hash
    from prover.withdrawals import encode_withdrawal
    assert w.leaf_data == encode_withdrawal(0, chain.addr(3), rec, 2 * OMNIT)
    assert len(chain.wtree) == 1 and chain.wtree.leaf_data(0) == w.leaf_data
    assert block.header.withdrawal_root == chain.wtree.root
    log = r.logs[0]
    assert log.address == L2_TO_L1_ADDRESS
    assert log.topics[0] == event_topic("L2ToL1MessagePasser", "WithdrawalInitiated")
    assert int.from_bytes(log.topics[1], "big") == 0 and log.topics[3][12:] == rec
    g = chain.globals()
    assert g.withdrawal_count == 1 and g.total_withdrawn == 2 * OMNIT
    (r2,) = chain.run(chain.call_tx(3, "L2ToL1MessagePasser", "withdraw", rec, value=1))
    assert chain.blocks[-1].withdrawals[0].nonce == 1
    assert chain.conservation_gap() == 0


def test_withdraw_failures(chain):
    rs = chain.run(
        chain.call_tx(3, "L2ToL1MessagePasser", "withdraw", b"\x77" * 20, value=0),
        chain.call_tx(3, "L2ToL1MessagePasser", "withdraw", bytes(20), value=1),
    )
    assert [r.status for r in rs] == [0, 0]
    assert "must be positive" in rs[0].revert_reason and "zero address" in rs[1].revert_reason
    assert chain.blocks[-1].withdrawals == () and len(chain.wtree) == 0


def test_execute_call_estimate_and_revert(chain):
    env = chain.env()
    data = encode_call("ModelRegistry", "registerModel", W1, "u")
    res = execute_call(chain.state, env, chain.addr(0), MODEL_REGISTRY_ADDRESS, data)
    assert res.success and abi_decode(["uint256"], res.return_data) == (1,)
    assert res.gas_used == intrinsic_gas(data) + function_spec("ModelRegistry", "registerModel").gas
    assert chain.globals().next_model_id == 1  # nothing written
    res = execute_call(chain.state, env, chain.addr(0), chain.addr(1), b"", 5)
    assert res.success and res.gas_used == 21_000
    res = execute_call(chain.state, env, b"\x99" * 20, chain.addr(1), b"", 5)
    assert not res.success and "insufficient balance" in res.revert_reason
    res = execute_call(chain.state, env, chain.addr(0), MODEL_REGISTRY_ADDRESS,
                       encode_call("ModelRegistry", "getModel", 42))
    assert res.success and abi_decode(["address", "bytes32", "string", "uint8", "uint64",
                                       "uint64", "uint64"], res.return_data)[3] == 0
