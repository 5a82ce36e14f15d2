"""The relay part of ``omnit devnet``: a remote chain (7002), the relay contracts on both chains,
four validators and one relayer as asyncio tasks in the calling process.

    stack = await start_relay_stack(l1_url, l1_token, l2_rpc_url, workdir)
    for line in stack.describe(): print(line)
    await demo_relay(stack)            # OMNIT L1 -> 7002 -> L1, and a model attestation
    await stack.stop()
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from eth_account.signers.local import LocalAccount
from web3 import AsyncWeb3
from web3.contract import AsyncContract

from bridge_contracts.anvil import AnvilProcess, DevAccounts
from bridge_contracts.deploy import at, deploy
from .attestations import L2Client
from .chain import make_web3
from .config import ChainConfig, RelayerSettings, ValidatorSettings
from .contracts import (
    Committee, RelayDeployment, deploy_attestation_sender, deploy_home, deploy_model_attestations,
    deploy_omni_gateway, deploy_remote, deploy_wrapped_gateway, link_peers, transact,
)
from .keystore import save_key
from .messages import address_to_bytes32
from .relayer import Relayer
from .routes import publish_attestation, send_tokens
from .store import Store, open_store
from .validator import Validator

__all__ = ["DEV_BLS_SEED", "RelayContracts", "RelayStack", "deploy_relay_contracts", "start_relay_stack",
           "demo_relay", "DemoRelayFailed"]

log = logging.getLogger("omnit.relay.devnet")

DEV_BLS_SEED = b"omnit-devnet"
"""Prefix of the devnet's deterministic validator keys (``Committee.from_seeds``). Public: dev only."""

REMOTE_CHAIN_ID = 7002
"""The remote EVM chain of the devnet."""

DEV_KEYSTORE_PASSPHRASE = "devnet"
"""Passphrase of the keystores the devnet writes (dev keys; never for real stake)."""


class DemoRelayFailed(RuntimeError):
    """The relay demo did not end with the expected balances or attestation."""


@dataclass
class RelayContracts:
    l1_chain_id: int
    remote_chain_id: int
    home: RelayDeployment
    remote: RelayDeployment
    token: AsyncContract
    l1_gateway: AsyncContract
    remote_gateway: AsyncContract
    wrapped: AsyncContract
    attestation_sender: AsyncContract
    attestations: AsyncContract
    start_blocks: dict[int, int] = field(default_factory=dict)

    def addresses(self) -> dict[str, str]:
        return {
            "l1.validatorSet": self.home.validator_set.address, "l1.mailbox": self.home.mailbox.address,
            "l1.omnit": self.token.address, "l1.gateway": self.l1_gateway.address,
            "l1.attestationSender": self.attestation_sender.address,
            "remote.validatorSet": self.remote.validator_set.address, "remote.mailbox": self.remote.mailbox.address,
            "remote.gateway": self.remote_gateway.address, "remote.wrappedOmnit": self.wrapped.address,
            "remote.modelAttestations": self.attestations.address,
        }


async def deploy_relay_contracts(w3: AsyncWeb3, w3r: AsyncWeb3, committee: Committee, *, admin: LocalAccount,
                                 guardian: str, token: str | None = None, attester: str | None = None,
                                 rate_capacity: int = 10**6 * 10**18, rate_per_second: int = 10**18) -> RelayContracts:
    """Every relay contract on the L1 (``w3``) and a remote chain (``w3r``), linked to each other."""
    l1, remote_id = await w3.eth.chain_id, await w3r.eth.chain_id
    starts = {l1: await w3.eth.block_number, remote_id: await w3r.eth.block_number}
    home = await deploy_home(w3, committee, admin=admin.address, account=admin)
    remote = await deploy_remote(w3r, committee, home_chain_id=l1, home_validator_set=home.validator_set.address,
                                 admin=admin.address, account=admin, origins={l1: home.mailbox.address})
    await transact(home.mailbox.functions.setRemoteMailbox(remote_id, remote.mailbox_bytes32), admin)
    if token is None:
        omnit = await deploy(w3, "OmniToken", admin.address, account=admin)
    else:
        omnit = at(w3, "OmniToken", token)
    l1_gw = await deploy_omni_gateway(w3, token=omnit.address, mailbox=home.mailbox.address, owner=admin.address,
                                      guardian=guardian, account=admin)
    r_gw, wrapped = await deploy_wrapped_gateway(w3r, mailbox=remote.mailbox.address, owner=admin.address,
                                                 guardian=guardian, account=admin)
    await link_peers(l1_gw, l1, r_gw, remote_id, owner=admin, capacity=rate_capacity, rate_per_second=rate_per_second)
    sender = await deploy_attestation_sender(w3, mailbox=home.mailbox.address, attester=attester or admin.address,
                                             account=admin)
    attest = await deploy_model_attestations(w3r, mailbox=remote.mailbox.address, home_chain_id=l1,
                                             sender=sender.address, account=admin)
    await transact(sender.functions.setRemoteAttestations(remote_id, address_to_bytes32(attest.address)),
                   admin if attester in (None, admin.address) else admin)
    return RelayContracts(l1, remote_id, home, remote, omnit, l1_gw, r_gw, wrapped, sender, attest, starts)


@dataclass
class RelayStack:
    """What ``start_relay_stack`` started; ``stop()`` ends it all."""

    contracts: RelayContracts
    l1_url: str
    remote_url: str
    l2_rpc_url: str | None
    validators: list[Validator]
    relayer: Relayer | None
    store: Store | None
    remote_anvil: AnvilProcess | None
    tasks: list[asyncio.Task[Any]]
    stop_event: asyncio.Event
    workdir: Path
    committee: Committee

    @property
    def validator_urls(self) -> list[str]:
        return [v.url for v in self.validators]

    def chains(self, confirmations: int = 1) -> tuple[ChainConfig, ...]:
        c = self.contracts
        return (ChainConfig(c.l1_chain_id, self.l1_url, c.home.mailbox.address, confirmations,
                            c.start_blocks[c.l1_chain_id]),
                ChainConfig(c.remote_chain_id, self.remote_url, c.remote.mailbox.address, confirmations,
                            c.start_blocks[c.remote_chain_id]))

    def describe(self) -> list[str]:
        lines = [f"remote chain {self.contracts.remote_chain_id}: {self.remote_url}"]
        lines += [f"validator {i}: {u}" for i, u in enumerate(self.validator_urls)]
        lines += [f"{k}: {v}" for k, v in self.contracts.addresses().items()]
        return lines

    async def stop(self) -> None:
        self.stop_event.set()
        for t in self.tasks:
            try:
                await asyncio.wait_for(t, 10)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                t.cancel()
            except Exception as exc:  # noqa: BLE001 - report, keep stopping
                log.warning("relay task ended with %r", exc)
        if self.store is not None:
            await self.store.close()
        if self.remote_anvil is not None:
            await asyncio.to_thread(self.remote_anvil.stop)


async def start_relay_stack(
    l1_url: str,
    l1_token: str | None,
    l2_rpc_url: str | None,
    workdir: str | Path,
    *,
    remote_url: str | None = None,
    accounts: DevAccounts | None = None,
    relayer_account: LocalAccount | None = None,
    confirmations: int = 1,
    validators: int = 4,
    db_url: str | None = None,
    poll_interval: float = 0.2,
    start_relayer: bool = True,
    relayer_overrides: dict[str, Any] | None = None,
    remote_block_time: float | None = 1.0,
) -> RelayStack:
    """Start the relay next to a running L1 (and L2): see the module docstring.

    ``l1_token`` is OMNIT on the L1 (None deploys a fresh one, for tests). The remote chain is a
    new anvil unless ``remote_url`` is given. The devnet's dev accounts play the roles: admin
    deploys and attests, spare relays.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    accounts = accounts or DevAccounts.derive()
    remote_anvil = None
    if remote_url is None:
        # A block time, not automine: with confirmations > 0 a message is final only once later
        # blocks exist, and on an idle chain automine would never make them.
        remote_anvil = AnvilProcess(chain_id=REMOTE_CHAIN_ID, block_time=remote_block_time)
        await asyncio.to_thread(remote_anvil.start)
        remote_url = remote_anvil.url
    committee = Committee.from_seeds(DEV_BLS_SEED, validators)
    w3, w3r = make_web3(l1_url), make_web3(remote_url)
    try:
        contracts = await deploy_relay_contracts(w3, w3r, committee, admin=accounts.admin,
                                                 guardian=accounts.guardian.address, token=l1_token)
    finally:
        await w3.provider.disconnect()
        await w3r.provider.disconnect()
    stop = asyncio.Event()
    stack = RelayStack(contracts, l1_url, remote_url, l2_rpc_url, [], None, None, remote_anvil, [], stop, workdir,
                       committee)
    chains = stack.chains(confirmations)
    for i, key in enumerate(committee.keys):
        save_key(workdir / f"validator-{i}.json", key, DEV_KEYSTORE_PASSPHRASE, scrypt_n=2**12)
        v = Validator(ValidatorSettings(chains, l2_rpc_url, contracts.attestation_sender.address,
                                        contracts.l1_chain_id, port=0, poll_interval=poll_interval),
                      key, name=f"validator-{i}")
        await v.start_http()
        stack.validators.append(v)
        stack.tasks.append(asyncio.create_task(v.run(stop), name=f"validator-{i}"))
    if start_relayer:
        settings = RelayerSettings(chains, tuple(stack.validator_urls), db_url or f"sqlite:///{workdir / 'relayer.sqlite'}",
                                   worker_id="devnet-relayer", poll_interval=poll_interval,
                                   **(relayer_overrides or {}))
        stack.store = await open_store(settings.db_url)
        stack.relayer = Relayer(settings, stack.store, relayer_account or accounts.spare)
        stack.tasks.append(asyncio.create_task(stack.relayer.run(stop), name="relayer"))
    return stack


async def _wait(what: str, check: Callable[[], Any], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.2)
    raise DemoRelayFailed(f"timed out after {timeout:.0f} s waiting for {what}")


async def demo_relay(stack: RelayStack, *, user: LocalAccount | None = None, amount: int = 25 * 10**18,
                     model_id: int | None = None, echo: Callable[[str], Any] = print,
                     timeout: float = 60.0) -> dict[str, Any]:
    """Bridge ``amount`` OMNIT from the L1 to the remote chain and back, with exact balances, and
    (with ``model_id`` and an L2) attest an L2 model on the remote chain. Returns the figures."""
    c = stack.contracts
    accounts = DevAccounts.derive()
    user = user or accounts.alice
    admin = accounts.admin
    w3, w3r = make_web3(stack.l1_url), make_web3(stack.remote_url)
    l1_gw = at(w3, "OmniGateway", c.l1_gateway.address)
    r_gw = at(w3r, "WrappedOmnitGateway", c.remote_gateway.address)
    token = at(w3, "OmniToken", c.token.address)
    wrapped = at(w3r, "WrappedOMNIT", c.wrapped.address)
    out: dict[str, Any] = {}
    try:
        if await token.functions.balanceOf(user.address).call() < amount:
            await transact(token.functions.mint(user.address, amount), admin)
        l1_before = await token.functions.balanceOf(user.address).call()
        w_before = await wrapped.functions.balanceOf(user.address).call()
        t0 = time.monotonic()
        msg = await send_tokens(w3, l1_gw, user, destination=c.remote_chain_id, recipient=user.address, amount=amount)
        echo(f"bridge: locked {amount} on {c.l1_chain_id}, message 0x{msg.id.hex()} (nonce {msg.nonce})")

        async def minted() -> bool:
            return await wrapped.functions.balanceOf(user.address).call() == w_before + amount
        await _wait("the mint on the remote chain", minted, timeout)
        out["outbound_seconds"] = round(time.monotonic() - t0, 2)
        echo(f"bridge: {amount} wrapped OMNIT minted on {c.remote_chain_id} after {out['outbound_seconds']} s")
        t1 = time.monotonic()
        back = await send_tokens(w3r, r_gw, user, destination=c.l1_chain_id, recipient=user.address, amount=amount)
        echo(f"bridge: burned {amount} on {c.remote_chain_id}, message 0x{back.id.hex()}")

        async def released() -> bool:
            return await token.functions.balanceOf(user.address).call() == l1_before
        await _wait("the release on the L1", released, timeout)
        out["inbound_seconds"] = round(time.monotonic() - t1, 2)
        locked = await token.functions.balanceOf(l1_gw.address).call()
        supply = await wrapped.functions.totalSupply().call()
        if locked != supply:
            raise DemoRelayFailed(f"locked on the L1 ({locked}) differs from the wrapped supply ({supply})")
        echo(f"bridge: back on the L1 after {out['inbound_seconds']} s; locked {locked} == wrapped supply {supply}")
        if model_id is not None and stack.l2_rpc_url:
            l2 = L2Client(stack.l2_rpc_url)
            sender = at(w3, "ModelAttestationSender", c.attestation_sender.address)
            attestations = at(w3r, "ModelAttestations", c.attestations.address)
            try:
                await _wait_safe(l2, model_id, timeout)
                att_msg = await publish_attestation(w3, sender, l2, admin, model_id=model_id,
                                                    destination=c.remote_chain_id)
            finally:
                await l2.close()
            echo(f"attest: model {model_id} published, message 0x{att_msg.id.hex()}")

            async def attested() -> bool:
                a = await attestations.functions.attestation(model_id.to_bytes(32, "big")).call()
                return a[3] > 0
            await _wait("the attestation on the remote chain", attested, timeout)
            out["attestation"] = await attestations.functions.attestation(model_id.to_bytes(32, "big")).call()
            echo(f"attest: model {model_id} attested on {c.remote_chain_id}: version {out['attestation'][3]}")
        return out
    finally:
        await w3.provider.disconnect()
        await w3r.provider.disconnect()


async def _wait_safe(l2: L2Client, model_id: int, timeout: float) -> None:
    async def safe() -> bool:
        record = await l2.get_model(model_id)
        if record is None:
            return False
        block = int(record.get("updatedBlock", record["registeredBlock"]), 16)
        return await l2.safe_head() >= block
    await _wait(f"model {model_id} to be safe on the L2", safe, timeout)
