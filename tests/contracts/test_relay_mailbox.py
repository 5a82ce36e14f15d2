"""Mailbox and ValidatorSet on a remote chain (7002): delivery paths and every listed attack.

Messages come from the L1 (7000) mailbox; they are built and signed in Python (the L1 side is
exercised end to end in test_relay_routes.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from web3 import AsyncWeb3
from web3.contract import AsyncContract
from web3.exceptions import ContractCustomError, ContractLogicError
from web3.logs import DISCARD

from bridge_contracts.anvil import AnvilProcess, increase_time
from bridge_contracts.deploy import deploy
from relayer.bls import G1Point, G2Point
from relayer.checkpoints import build_checkpoint, checkpoint_proof
from relayer.contracts import (
    Committee,
    RelayDeployment,
    deploy_remote,
    deploy_validator_set,
    revert_name,
    set_update_hash,
    signature_data,
    transact,
)
from relayer.messages import Message, MessageKind, address_to_bytes32, message_digest, signing_digest

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("fresh_chain")]

HOME = 7000
REMOTE = 7002
HOME_MAILBOX = address_to_bytes32("0x" + "22" * 20)
HOME_SET = "0x" + "44" * 20
SENDER = address_to_bytes32("0x" + "aa" * 20)
MIN_DELAY = 3600
GRACE = 600

COMMITTEE = Committee.from_seeds(b"mailbox-test", 4, weights=[40, 30, 20, 10])
NEXT = Committee.from_seeds(b"mailbox-next", 3, epoch=2)
OUTSIDERS = Committee.from_seeds(b"mailbox-outsiders", 4, weights=[40, 30, 20, 10])


def idx(weight: int) -> int:
    """Index (in the sorted set) of the validator with ``weight``."""
    return COMMITTEE.weights.index(weight)


@pytest.fixture(scope="module")
def anvil() -> Iterator[AnvilProcess]:
    with AnvilProcess(chain_id=REMOTE) as node:
        yield node


@dataclass
class World:
    remote: RelayDeployment
    recipient: AsyncContract
    admin: Any

    @property
    def mailbox(self) -> AsyncContract:
        return self.remote.mailbox

    @property
    def vset(self) -> AsyncContract:
        return self.remote.validator_set


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(w3: AsyncWeb3, accounts: Any) -> World:
    admin = accounts.admin
    remote = await deploy_remote(
        w3, COMMITTEE, home_chain_id=HOME, home_validator_set=HOME_SET, admin=admin.address, account=admin,
        origins={HOME: HOME_MAILBOX}, min_rotation_delay=MIN_DELAY, grace_period=GRACE)
    recipient = await deploy(w3, "ReentrantRecipient", remote.mailbox.address, account=admin)
    return World(remote, recipient, admin)


def message(world: World, nonce: int = 0, *, destination: int = REMOTE, origin: int = HOME, body: bytes = b"x") -> Message:
    return Message(nonce, origin, SENDER, destination, address_to_bytes32(world.recipient.address), body)


async def reverts(call: Awaitable[Any], name: str) -> None:
    with pytest.raises((ContractCustomError, ContractLogicError)) as info:
        await call
    assert revert_name(info.value) == name, f"expected {name}, got {info.value!r}"


async def process(world: World, msg: Message, sig: Any) -> Any:
    return await transact(world.mailbox.functions.process(msg.encode(), sig), world.admin)


# ------------------------------------------------------------------ direct path


async def test_direct_delivery_and_replay(world: World) -> None:
    msg = message(world)
    sig = COMMITTEE.sign(message_digest(msg, HOME_MAILBOX))
    receipt = await process(world, msg, sig)
    assert await world.mailbox.functions.delivered(HOME, 0).call()
    assert await world.recipient.functions.handled().call() == 1
    events = world.mailbox.events.Process().process_receipt(receipt, errors=DISCARD)
    assert events[0]["args"]["id"] == msg.id
    await reverts(process(world, msg, sig), "AlreadyDelivered")


async def test_individually_signed_contributions_aggregate(world: World) -> None:
    msg = message(world)
    digest = message_digest(msg, HOME_MAILBOX)
    signers = [idx(40), idx(30)]
    sig = signature_data(1, COMMITTEE.contributions(digest, signers))
    assert sig == COMMITTEE.sign(digest, signers)
    await process(world, msg, sig)
    assert await world.mailbox.functions.delivered(HOME, 0).call()


async def test_message_for_another_destination(world: World) -> None:
    msg = message(world, destination=7003)
    await reverts(process(world, msg, COMMITTEE.sign(message_digest(msg, HOME_MAILBOX))), "WrongDestination")


async def test_message_from_unknown_origin(world: World) -> None:
    msg = message(world, origin=7005)
    await reverts(process(world, msg, COMMITTEE.sign(message_digest(msg, HOME_MAILBOX))), "UnknownOrigin")


async def test_forged_signatures(world: World) -> None:
    msg = message(world)
    digest = message_digest(msg, HOME_MAILBOX)
    # keys outside the set, claiming to be the quorum
    await reverts(process(world, msg, OUTSIDERS.sign(digest, COMMITTEE.quorum_indices())), "InvalidSignature")
    # the set's signature, but over another origin mailbox / another kind / another body
    other_mb = message_digest(msg, address_to_bytes32("0x" + "23" * 20))
    await reverts(process(world, msg, COMMITTEE.sign(other_mb)), "InvalidSignature")
    as_checkpoint = signing_digest(MessageKind.CHECKPOINT, HOME, HOME_MAILBOX, msg.id)
    await reverts(process(world, msg, COMMITTEE.sign(as_checkpoint)), "InvalidSignature")
    await reverts(process(world, message(world, body=b"y"), COMMITTEE.sign(digest)), "InvalidSignature")
    # the bitmap claims a signer whose signature is not in the aggregate
    epoch, _, sigma, apk2 = COMMITTEE.sign(digest, [idx(40), idx(30)])
    claimed = COMMITTEE.bitmap([idx(40), idx(30), idx(20)])
    await reverts(process(world, msg, (epoch, claimed, sigma, apk2)), "InvalidSignature")
    # points at infinity never verify
    full = COMMITTEE.sign(digest)
    await reverts(process(world, msg, (epoch, full[1], full[2], [0, 0, 0, 0])), "InvalidSignature")
    await reverts(process(world, msg, (epoch, full[1], [0, 0], full[3])), "InvalidSignature")
    assert not await world.mailbox.functions.delivered(HOME, 0).call()


async def test_under_quorum_stake(world: World) -> None:
    msg = message(world)
    digest = message_digest(msg, HOME_MAILBOX)
    # three of four validators, but only 60 of 100 stake
    low = [idx(30), idx(20), idx(10)]
    await reverts(process(world, msg, COMMITTEE.sign(digest, low)), "InsufficientQuorum")
    # exactly two thirds is not reached by 40 + 20 = 60 either; 40 + 30 = 70 is
    await reverts(process(world, msg, COMMITTEE.sign(digest, [idx(40), idx(20)])), "InsufficientQuorum")
    await process(world, msg, COMMITTEE.sign(digest, [idx(40), idx(30)]))


async def test_duplicate_signer(world: World) -> None:
    msg = message(world)
    digest = message_digest(msg, HOME_MAILBOX)
    # validator 40 "signs twice" to reach 40 + 40 + 20 = 100: the bitmap has one bit per
    # validator, so its stake counts once (60 < 2/3) whatever the aggregate holds
    one = COMMITTEE.sign(digest, [idx(40)])
    base = COMMITTEE.sign(digest, [idx(40), idx(20)])
    sig2 = G1Point.from_evm(base[2]) + G1Point.from_evm(one[2])
    key2 = G2Point.from_evm(base[3]) + G2Point.from_evm(one[3])
    bitmap = COMMITTEE.bitmap([idx(40), idx(20)])
    await reverts(process(world, msg, (1, bitmap, list(sig2.to_evm()), list(key2.to_evm()))), "InsufficientQuorum")
    # with a quorum bitmap, a signature counted twice no longer matches the signers' key
    full = COMMITTEE.sign(digest, [idx(40), idx(30), idx(20)])
    sig3 = G1Point.from_evm(full[2]) + G1Point.from_evm(one[2])
    key3 = G2Point.from_evm(full[3]) + G2Point.from_evm(one[3])
    await reverts(process(world, msg, (1, full[1], list(sig3.to_evm()), list(key3.to_evm()))), "InvalidSignature")


async def test_signer_bitmap_bounds(world: World) -> None:
    msg = message(world)
    digest = message_digest(msg, HOME_MAILBOX)
    epoch, _, sigma, apk2 = COMMITTEE.sign(digest)
    await reverts(process(world, msg, (epoch, 0, sigma, apk2)), "InvalidSignerBitmap")
    await reverts(process(world, msg, (epoch, 0b11111, sigma, apk2)), "InvalidSignerBitmap")
    await reverts(process(world, msg, (7, COMMITTEE.bitmap([0, 1, 2]), sigma, apk2)), "UnknownEpoch")


async def test_zero_threshold_or_empty_set_rejected(w3: AsyncWeb3, world: World) -> None:
    admin = world.admin
    vs = await deploy_validator_set(w3, home=False, home_chain_id=HOME, home_contract=HOME_SET, admin=admin.address,
                                    account=admin)
    await reverts(transact(vs.functions.bootstrap(1, []), admin), "InvalidSetSize")
    zero = Committee.from_seeds(b"zero", 3, weights=[0, 0, 0])
    await reverts(transact(vs.functions.bootstrap(1, zero.validators()), admin), "ZeroWeight")
    dup = COMMITTEE.validators()
    await reverts(transact(vs.functions.bootstrap(1, [dup[0], dup[0], dup[1]]), admin), "DuplicateOrUnsortedKey")
    await reverts(transact(vs.functions.bootstrap(1, [([1, 3], 1)]), admin), "InvalidKey")
    # before any set, nothing verifies (epoch 0 is not a set)
    await reverts(vs.functions.verify(b"\x00" * 32, (0, 1, [1, 2], [0, 0, 0, 0])).call(), "UnknownEpoch")


async def test_reentrant_recipient_cannot_replay(world: World) -> None:
    msg = message(world)
    sig = COMMITTEE.sign(message_digest(msg, HOME_MAILBOX))
    replay = world.mailbox.functions.process(msg.encode(), sig)._encode_transaction_data()
    await transact(world.recipient.functions.arm(replay), world.admin)
    await process(world, msg, sig)
    assert await world.recipient.functions.handled().call() == 1
    assert not await world.recipient.functions.reentrySucceeded().call()
    err = await world.recipient.functions.reentryError().call()

    class _E(Exception):
        data = "0x" + err.hex()

    assert revert_name(_E()) == "AlreadyDelivered"


# ------------------------------------------------------------------ checkpoints


async def test_checkpoint_path(world: World) -> None:
    msgs = [message(world, n, body=bytes([n])) for n in range(5)]
    ids = [m.id for m in msgs]
    cp = build_checkpoint(HOME, HOME_MAILBOX, ids)
    submit = world.mailbox.functions.submitCheckpoint
    # a forged checkpoint, and a true root with a false count, are refused
    await reverts(transact(submit(HOME, cp.tree_root, cp.count, OUTSIDERS.sign(cp.digest())), world.admin),
                  "InvalidSignature")
    await reverts(transact(submit(HOME, cp.tree_root, cp.count + 1, COMMITTEE.sign(cp.digest())), world.admin),
                  "InvalidSignature")
    await transact(submit(HOME, cp.tree_root, cp.count, COMMITTEE.sign(cp.digest())), world.admin)
    assert await world.mailbox.functions.checkpointCount(HOME, cp.root).call() == 5
    pwp = world.mailbox.functions.processWithProof
    await reverts(transact(pwp(msgs[1].encode(), cp.root, list(checkpoint_proof(ids, 2))), world.admin), "InvalidProof")
    await reverts(transact(pwp(msgs[1].encode(), cp.root, list(checkpoint_proof(ids, 1))[:-1]), world.admin),
                  "BadProofLength")
    await reverts(transact(pwp(msgs[1].encode(), b"\x01" * 32, list(checkpoint_proof(ids, 1))), world.admin),
                  "UnknownCheckpoint")
    late = message(world, 5)
    await reverts(transact(pwp(late.encode(), cp.root, list(checkpoint_proof(ids, 1))), world.admin),
                  "NonceNotInCheckpoint")
    for n, m in enumerate(msgs):
        await transact(pwp(m.encode(), cp.root, list(checkpoint_proof(ids, n))), world.admin)
    assert await world.recipient.functions.handled().call() == 5
    await reverts(transact(pwp(msgs[3].encode(), cp.root, list(checkpoint_proof(ids, 3))), world.admin),
                  "AlreadyDelivered")
    # the direct path sees the same delivered bit
    await reverts(process(world, msgs[0], COMMITTEE.sign(message_digest(msgs[0], HOME_MAILBOX))), "AlreadyDelivered")


# ------------------------------------------------------------------ rotation


async def rotate(world: World, new: Committee, signer: Committee, epoch: int | None = None) -> Any:
    new_epoch = new.epoch if epoch is None else epoch
    digest = signing_digest(MessageKind.VALIDATOR_SET, HOME, address_to_bytes32(HOME_SET), set_update_hash(new_epoch, new))
    return await transact(world.vset.functions.rotateSigned(new_epoch, new.validators(), signer.sign(digest)), world.admin)


async def test_rotation_with_delay_and_grace(w3: AsyncWeb3, world: World) -> None:
    await reverts(rotate(world, NEXT, COMMITTEE), "RotationTooSoon")
    await increase_time(w3, MIN_DELAY)
    await reverts(rotate(world, NEXT, OUTSIDERS), "InvalidSignature")
    await reverts(rotate(world, NEXT, COMMITTEE, epoch=3), "WrongEpoch")
    await rotate(world, NEXT, COMMITTEE)
    assert await world.vset.functions.epoch().call() == 2
    # both sets sign during the grace period
    m0, m1, m2 = (message(world, n) for n in range(3))
    await process(world, m0, NEXT.sign(message_digest(m0, HOME_MAILBOX)))
    await process(world, m1, COMMITTEE.sign(message_digest(m1, HOME_MAILBOX)))
    # the previous set cannot push a rotation, and expires after the grace period
    third = Committee.from_seeds(b"mailbox-third", 2, epoch=3)
    await increase_time(w3, MIN_DELAY)
    digest3 = signing_digest(MessageKind.VALIDATOR_SET, HOME, address_to_bytes32(HOME_SET), set_update_hash(3, third))
    await reverts(transact(world.vset.functions.rotateSigned(3, third.validators(), COMMITTEE.sign(digest3, epoch=1)),
                       world.admin), "UnknownEpoch")
    await reverts(process(world, m2, COMMITTEE.sign(message_digest(m2, HOME_MAILBOX))), "PreviousSetExpired")
    await process(world, m2, NEXT.sign(message_digest(m2, HOME_MAILBOX)))
    (vals, total, _apk) = await world.vset.functions.validatorsOf(2).call()
    assert total == NEXT.total_weight and len(vals) == 3


async def test_bootstrap_only_once_and_admin_only(world: World, accounts: Any) -> None:
    await reverts(transact(world.vset.functions.bootstrap(1, COMMITTEE.validators()), world.admin), "AlreadyInitialized")
    await reverts(transact(world.vset.functions.bootstrap(1, COMMITTEE.validators()), accounts.mallory), "NotAdmin")
    await reverts(transact(world.vset.functions.rotate(COMMITTEE.validators()), world.admin), "WrongRegistryKind")
