"""Two chains end to end: OMNIT L1 (7000) <-> remote chain (7002) through Mailbox and gateways,
and model attestations, with messages taken from the real Dispatch events and signed in Python.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from eth_abi import encode as abi_encode
from web3 import AsyncHTTPProvider, AsyncWeb3
from web3.contract import AsyncContract
from web3.exceptions import ContractCustomError, ContractLogicError
from web3.logs import DISCARD

from bridge_contracts.anvil import AnvilProcess, increase_time, revert, snapshot
from bridge_contracts.deploy import deploy
from relayer.bls import KeyPair, prove_possession
from relayer.checkpoints import build_checkpoint, checkpoint_proof
from relayer.contracts import (
    Committee,
    RelayDeployment,
    deploy_attestation_sender,
    deploy_home,
    deploy_model_attestations,
    deploy_omni_gateway,
    deploy_remote,
    deploy_wrapped_gateway,
    link_peers,
    revert_name,
    set_update_hash,
    transact,
)
from relayer.messages import Message, MessageKind, address_to_bytes32, message_digest, signing_digest

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("fresh_chain", "fresh_remote")]

L1 = 7000
REMOTE = 7002
E18 = 10**18
COMMITTEE = Committee.from_seeds(b"routes", 4)
OUT_CAP = 10_000 * E18
IN_CAP = 500 * E18
RATE = 1 * E18  # per second


@pytest.fixture(scope="module")
def remote_anvil() -> Iterator[AnvilProcess]:
    with AnvilProcess(chain_id=REMOTE) as node:
        yield node


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def w3r(remote_anvil: AnvilProcess) -> AsyncIterator[AsyncWeb3]:
    client = AsyncWeb3(AsyncHTTPProvider(remote_anvil.url))
    yield client
    await client.provider.disconnect()


@pytest_asyncio.fixture(loop_scope="module")
async def fresh_remote(w3r: AsyncWeb3, world: "World") -> AsyncIterator[None]:
    snap = await snapshot(w3r)
    yield
    await revert(w3r, snap)


@dataclass
class World:
    w3: AsyncWeb3
    w3r: AsyncWeb3
    accounts: Any
    home: RelayDeployment
    remote: RelayDeployment
    token: AsyncContract
    l1_gateway: AsyncContract
    r_gateway: AsyncContract
    wrapped: AsyncContract
    sender: AsyncContract
    attestations: AsyncContract

    @property
    def admin(self) -> Any:
        return self.accounts.admin


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(w3: AsyncWeb3, w3r: AsyncWeb3, accounts: Any) -> World:
    admin, guardian = accounts.admin, accounts.guardian
    home = await deploy_home(w3, COMMITTEE, admin=admin.address, account=admin)
    remote = await deploy_remote(w3r, COMMITTEE, home_chain_id=L1, home_validator_set=home.validator_set.address,
                                 admin=admin.address, account=admin, origins={L1: home.mailbox.address})
    await transact(home.mailbox.functions.setRemoteMailbox(REMOTE, remote.mailbox_bytes32), admin)
    token = await deploy(w3, "OmniToken", admin.address, account=admin)
    l1_gw = await deploy_omni_gateway(w3, token=token.address, mailbox=home.mailbox.address, owner=admin.address,
                                      guardian=guardian.address, account=admin)
    r_gw, wrapped = await deploy_wrapped_gateway(w3r, mailbox=remote.mailbox.address, owner=admin.address,
                                                 guardian=guardian.address, account=admin)
    await link_peers(l1_gw, L1, r_gw, REMOTE, owner=admin, capacity=OUT_CAP, rate_per_second=RATE)
    for gw, chain in ((l1_gw, REMOTE), (r_gw, L1)):  # inbound buckets smaller than outbound
        await transact(gw.functions.setRateLimit(chain, 1, IN_CAP, RATE), admin)
    sender = await deploy_attestation_sender(w3, mailbox=home.mailbox.address, attester=admin.address, account=admin)
    attest = await deploy_model_attestations(w3r, mailbox=remote.mailbox.address, home_chain_id=L1,
                                             sender=sender.address, account=admin)
    await transact(sender.functions.setRemoteAttestations(REMOTE, address_to_bytes32(attest.address)), admin)
    await transact(token.functions.mint(accounts.alice.address, 1_000 * E18), admin)
    return World(w3, w3r, accounts, home, remote, token, l1_gw, r_gw, wrapped, sender, attest)


async def reverts(call: Awaitable[Any], name: str) -> None:
    with pytest.raises((ContractCustomError, ContractLogicError)) as info:
        await call
    assert revert_name(info.value) == name, f"expected {name}, got {info.value!r}"


def dispatched(src: RelayDeployment, receipt: Any) -> list[Message]:
    events = src.mailbox.events.Dispatch().process_receipt(receipt, errors=DISCARD)
    return [Message.decode(bytes(e["args"]["message"])) for e in events]


async def deliver(world: World, src: RelayDeployment, dst: RelayDeployment, msg: Message) -> Any:
    sig = COMMITTEE.sign(message_digest(msg, src.mailbox_bytes32))
    return await transact(dst.mailbox.functions.process(msg.encode(), sig), world.admin)


async def bridge_out(world: World, amount: int, to: str) -> Message:
    alice = world.accounts.alice
    await transact(world.token.functions.approve(world.l1_gateway.address, amount), alice)
    receipt = await transact(world.l1_gateway.functions.bridge(REMOTE, address_to_bytes32(to), amount), alice)
    (msg,) = dispatched(world.home, receipt)
    return msg


async def balances(world: World) -> dict[str, int]:
    a = world.accounts
    return {
        "alice": await world.token.functions.balanceOf(a.alice.address).call(),
        "carol": await world.token.functions.balanceOf(a.carol.address).call(),
        "locked": await world.token.functions.balanceOf(world.l1_gateway.address).call(),
        "bob_w": await world.wrapped.functions.balanceOf(a.bob.address).call(),
        "supply_w": await world.wrapped.functions.totalSupply().call(),
        "supply": await world.token.functions.totalSupply().call(),
    }


# ------------------------------------------------------------------ token route


async def test_round_trip_conserves_supply(world: World) -> None:
    a = world.accounts
    msg = await bridge_out(world, 100 * E18, a.bob.address)
    b = await balances(world)
    assert (b["alice"], b["locked"], b["bob_w"]) == (900 * E18, 100 * E18, 0)
    await deliver(world, world.home, world.remote, msg)
    b = await balances(world)
    assert (b["bob_w"], b["supply_w"]) == (100 * E18, 100 * E18)
    receipt = await transact(world.r_gateway.functions.bridge(L1, address_to_bytes32(a.carol.address), 40 * E18), a.bob)
    (back,) = dispatched(world.remote, receipt)
    b = await balances(world)
    assert (b["bob_w"], b["supply_w"], b["carol"]) == (60 * E18, 60 * E18, 0)
    await deliver(world, world.remote, world.home, back)
    b = await balances(world)
    assert (b["alice"], b["carol"], b["locked"], b["bob_w"], b["supply_w"]) == (
        900 * E18, 40 * E18, 60 * E18, 60 * E18, 60 * E18)
    assert b["locked"] == b["supply_w"] and b["supply"] == 1_000 * E18
    await reverts(deliver(world, world.remote, world.home, back), "AlreadyDelivered")


async def test_bad_transfers_rejected(world: World) -> None:
    alice = world.accounts.alice
    await transact(world.token.functions.approve(world.l1_gateway.address, 10 * E18), alice)
    bridge = world.l1_gateway.functions.bridge
    await reverts(transact(bridge(REMOTE, b"\x01" * 32, E18), alice), "InvalidTransfer")  # not an address
    await reverts(transact(bridge(REMOTE, bytes(32), E18), alice), "InvalidTransfer")
    await reverts(transact(bridge(REMOTE, address_to_bytes32(alice.address), 0), alice), "InvalidTransfer")
    await reverts(transact(bridge(7777, address_to_bytes32(alice.address), E18), alice), "UnknownRoute")


async def test_unregistered_gateway_rejected(world: World) -> None:
    # a genuine, validator-signed mailbox message, but sent by mallory rather than the gateway
    mallory = world.accounts.mallory
    body = address_to_bytes32(mallory.address) + (10**6 * E18).to_bytes(32, "big")
    receipt = await transact(world.home.mailbox.functions.dispatch(REMOTE, address_to_bytes32(world.r_gateway.address), body),
                         mallory)
    (msg,) = dispatched(world.home, receipt)
    await reverts(deliver(world, world.home, world.remote, msg), "UnregisteredGateway")
    assert await world.wrapped.functions.totalSupply().call() == 0
    # and nobody but the mailbox may call handle
    await reverts(transact(world.r_gateway.functions.handle(L1, address_to_bytes32(world.l1_gateway.address), body),
                       mallory), "Unauthorized")


async def test_rate_limits_per_direction(world: World) -> None:
    a = world.accounts
    msg = await bridge_out(world, 600 * E18, a.bob.address)  # outbound cap 10k: fine
    await reverts(deliver(world, world.home, world.remote, msg), "RateLimited")  # inbound cap 500
    await increase_time(world.w3r, 100)  # +100 tokens: bucket full at 500 (capacity), still short
    await reverts(deliver(world, world.home, world.remote, msg), "RateLimited")
    await transact(world.r_gateway.functions.setRateLimit(L1, 1, 1_000 * E18, RATE), world.admin)
    await deliver(world, world.home, world.remote, msg)  # retried after the limit changed
    assert await world.r_gateway.functions.available(L1, 1).call() == 400 * E18
    await transact(world.token.functions.mint(a.alice.address, 20_000 * E18), world.admin)
    await transact(world.token.functions.approve(world.l1_gateway.address, 20_000 * E18), a.alice)
    await reverts(transact(world.l1_gateway.functions.bridge(REMOTE, address_to_bytes32(a.bob.address), 9_500 * E18),
                       a.alice), "RateLimited")


async def test_paused_route_resumes_by_itself(world: World) -> None:
    a = world.accounts
    msg = await bridge_out(world, 10 * E18, a.bob.address)
    await reverts(transact(world.r_gateway.functions.pause(L1, 3600), a.mallory), "Unauthorized")
    await reverts(transact(world.r_gateway.functions.pause(L1, 8 * 24 * 3600), a.guardian), "PauseTooLong")
    await transact(world.r_gateway.functions.pause(L1, 3600), a.guardian)
    await reverts(deliver(world, world.home, world.remote, msg), "RoutePausedError")
    await reverts(transact(world.r_gateway.functions.bridge(L1, address_to_bytes32(a.bob.address), 1), a.bob),
                  "RoutePausedError")
    await increase_time(world.w3r, 3600)
    await deliver(world, world.home, world.remote, msg)
    assert await world.wrapped.functions.balanceOf(a.bob.address).call() == 10 * E18


# ------------------------------------------------------------------ attestations


async def publish(world: World, model: bytes, version: int, commitment: bytes) -> Message:
    receipt = await transact(world.sender.functions.publish(
        REMOTE, model, commitment, world.accounts.carol.address, 1, version, 1000 + version), world.admin)
    (msg,) = dispatched(world.home, receipt)
    return msg


async def test_attestations_monotonic_via_checkpoint(world: World) -> None:
    model = b"\x07" * 32
    m1 = await publish(world, model, 1, b"\x01" * 32)
    m2 = await publish(world, model, 2, b"\x02" * 32)
    m3 = await publish(world, model, 3, b"\x03" * 32)
    ids = [m1.id, m2.id, m3.id]
    cp = build_checkpoint(L1, world.home.mailbox_bytes32, ids)
    mb = world.remote.mailbox
    await transact(mb.functions.submitCheckpoint(L1, cp.tree_root, cp.count, COMMITTEE.sign(cp.digest())), world.admin)
    # newest first, then the older ones arrive late
    for n in (2, 0, 1):
        await transact(mb.functions.processWithProof([m1, m2, m3][n].encode(), cp.root, list(checkpoint_proof(ids, n))),
                   world.admin)
    stored = await world.attestations.functions.attestation(model).call()
    assert tuple(stored) == (b"\x03" * 32, world.accounts.carol.address, 1, 3, 1003)
    # idempotent: the same version again changes nothing
    again = await publish(world, model, 3, b"\x09" * 32)
    receipt = await deliver(world, world.home, world.remote, again)
    ignored = world.attestations.events.AttestationIgnored().process_receipt(receipt, errors=DISCARD)
    assert ignored and ignored[0]["args"]["storedVersion"] == 3
    assert (await world.attestations.functions.attestation(model).call())[0] == b"\x03" * 32


async def test_attestation_from_other_sender_rejected(world: World) -> None:
    mallory = world.accounts.mallory
    body = abi_encode(["bytes32", "bytes32", "address", "uint8", "uint64", "uint64"],
                      [b"\x07" * 32, b"\x66" * 32, mallory.address, 1, 99, 1])
    receipt = await transact(world.home.mailbox.functions.dispatch(
        REMOTE, address_to_bytes32(world.attestations.address), body), mallory)
    (msg,) = dispatched(world.home, receipt)
    await reverts(deliver(world, world.home, world.remote, msg), "UnauthorizedSender")
    await reverts(transact(world.sender.functions.publish(REMOTE, b"\x07" * 32, b"\x66" * 32, mallory.address, 1, 99, 1),
                       mallory), "NotAttester")


# ------------------------------------------------------------------ home registry


async def test_home_registry_requires_proof_of_possession(world: World) -> None:
    vs = world.home.validator_set
    key, other = KeyPair.from_seed(b"newcomer"), KeyPair.from_seed(b"someone-else")
    wrong_pop = prove_possession(other)
    await reverts(transact(vs.functions.registerKey(list(key.pk1.to_evm()), list(key.pk2.to_evm()),
                                                list(wrong_pop.to_evm())), world.admin), "InvalidProofOfPossession")
    # a G2 key that does not match the G1 key fails too, even with the G2 key's own PoP
    await reverts(transact(vs.functions.registerKey(list(key.pk1.to_evm()), list(other.pk2.to_evm()),
                                                list(wrong_pop.to_evm())), world.admin), "InvalidProofOfPossession")
    newcomers = Committee.from_keys([key, *COMMITTEE.keys[:2]], epoch=2)
    await increase_time(world.w3, 3600)
    await reverts(transact(vs.functions.rotate(newcomers.validators()), world.admin), "KeyNotRegistered")
    await transact(vs.functions.registerKey(list(key.pk1.to_evm()), list(key.pk2.to_evm()),
                                        list(prove_possession(key).to_evm())), world.admin)
    await reverts(transact(vs.functions.rotate(newcomers.validators()), world.accounts.mallory), "NotAdmin")
    receipt = await transact(vs.functions.rotate(newcomers.validators()), world.admin)
    assert await vs.functions.epoch().call() == 2
    # the remote chain follows: the epoch-1 set signs the update the L1 emitted
    (event,) = vs.events.ValidatorSetRotated().process_receipt(receipt, errors=DISCARD)
    update = set_update_hash(2, newcomers)
    assert bytes(event["args"]["setHash"]) == update
    digest = signing_digest(MessageKind.VALIDATOR_SET, L1, address_to_bytes32(vs.address), update)
    await increase_time(world.w3r, 3600)
    await transact(world.remote.validator_set.functions.rotateSigned(2, newcomers.validators(), COMMITTEE.sign(digest)),
                   world.admin)
    assert await world.remote.validator_set.functions.epoch().call() == 2
    # and the new set now delivers L1 messages there
    msg = await publish(world, b"\x08" * 32, 1, b"\x01" * 32)
    sig = newcomers.sign(message_digest(msg, world.home.mailbox_bytes32))
    await transact(world.remote.mailbox.functions.process(msg.encode(), sig), world.admin)
    assert (await world.attestations.functions.attestation(b"\x08" * 32).call())[3] == 1
