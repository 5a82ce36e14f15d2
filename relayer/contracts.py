"""Typed deploy and call helpers for the relay contracts (`bridge_contracts/src/relay/`).

    committee = Committee.from_seeds(b"devnet", 4)
    home = await deploy_home(w3, committee, admin=admin, account=admin)       # on the L1
    remote = await deploy_remote(w3r, committee, home_chain_id=7000,
                                 home_validator_set=home.validator_set.address,
                                 home_mailbox=home.mailbox.address, admin=admin, account=admin)

A :class:`Committee` holds BLS keys (tests and devnets: the secrets) and produces the
`SignatureData` tuples the contracts take. Built on `bridge_contracts.deploy`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from eth_abi import encode as abi_encode
from eth_hash.auto import keccak
from web3 import AsyncWeb3
from web3.contract import AsyncContract
from web3.contract.async_contract import AsyncContractFunction
from web3.types import TxReceipt

from bridge_contracts.artifacts import load_artifact
from bridge_contracts.deploy import Sender, at, deploy, send

from .bls import (
    CURVE_ORDER,
    G1Point,
    G2Point,
    G2_GENERATOR,
    KeyPair,
    aggregate_g1,
    aggregate_g2,
    hash_to_g1,
    prove_possession,
    sign,
)
from .messages import address_to_bytes32

__all__ = [
    "RelayContractError",
    "SignatureTuple",
    "Committee",
    "signature_data",
    "RelayDeployment",
    "DEFAULT_MIN_ROTATION_DELAY",
    "DEFAULT_GRACE_PERIOD",
    "deploy_validator_set",
    "deploy_home",
    "deploy_remote",
    "register_keys",
    "deploy_omni_gateway",
    "deploy_wrapped_gateway",
    "deploy_model_attestations",
    "deploy_attestation_sender",
    "link_peers",
    "set_update_hash",
    "error_selectors",
    "RELAY_CONTRACTS",
    "revert_name",
    "transact",
    "GAS_MARGIN",
]

RELAY_CONTRACTS = (
    "ValidatorSet", "Mailbox", "OmniGateway", "WrappedOmnitGateway", "WrappedOMNIT", "ModelAttestations",
    "ModelAttestationSender", "EcdsaMultisigMailbox", "RelayHarness", "ReentrantRecipient",
)
"""Artifacts whose custom errors :func:`revert_name` knows."""

DEFAULT_MIN_ROTATION_DELAY = 3600
"""One hour between rotations (devnet default; production uses an epoch of a day or more)."""

DEFAULT_GRACE_PERIOD = 600
"""Ten minutes during which the previous set still signs (messages in flight at a rotation)."""

GAS_MARGIN = (1.25, 30_000)
"""Gas limit = estimate * 1.25 + 30,000. anvil's estimate stops within about 1.5% of the true
minimum, and with the 63/64 rule (a mailbox forwarding to a recipient forwarding to a token) a
limit at the bare estimate can run a nested call out of gas."""

SignatureTuple = tuple[int, int, list[int], list[int]]
"""`ValidatorSet.SignatureData` as web3 takes it: (epoch, signers, sigma, apk2)."""


class RelayContractError(RuntimeError):
    """A relay helper was used with inconsistent arguments."""


@dataclass(frozen=True)
class Committee:
    """An epoch's validators (sorted by ``pk1.x``, the contracts' order) with their weights."""

    keys: tuple[KeyPair, ...]
    weights: tuple[int, ...]
    epoch: int = 1

    @classmethod
    def from_keys(cls, keys: Sequence[KeyPair], weights: Sequence[int] | None = None, epoch: int = 1) -> "Committee":
        weights = list(weights) if weights is not None else [1] * len(keys)
        if len(weights) != len(keys):
            raise RelayContractError("one weight per key")
        pairs = sorted(zip(keys, weights), key=lambda kw: kw[0].pk1.x)
        return cls(tuple(k for k, _ in pairs), tuple(w for _, w in pairs), epoch)

    @classmethod
    def from_seeds(cls, prefix: bytes, n: int, weights: Sequence[int] | None = None, epoch: int = 1) -> "Committee":
        """``n`` deterministic keys from ``prefix ++ u16(i)``."""
        return cls.from_keys([KeyPair.from_seed(prefix + i.to_bytes(2, "big")) for i in range(n)], weights, epoch)

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def total_weight(self) -> int:
        return sum(self.weights)

    def validators(self) -> list[tuple[list[int], int]]:
        """`ValidatorSet.Validator[]` for web3: ``[([x, y], weight), ...]``."""
        return [([k.pk1.x, k.pk1.y], w) for k, w in zip(self.keys, self.weights)]

    def quorum_indices(self) -> list[int]:
        """The smallest prefix of validators holding at least two thirds of the stake."""
        acc, out = 0, []
        for i, w in enumerate(self.weights):
            if 3 * acc >= 2 * self.total_weight:
                break
            acc += w
            out.append(i)
        return out

    def sign(self, digest: bytes, signers: Sequence[int] | None = None, *, epoch: int | None = None) -> SignatureTuple:
        """Aggregate signature of ``signers`` (default: a two-thirds quorum) over ``digest``.

        Computed as ``(sum sk_i) * H(digest)`` and ``(sum sk_i) * G2``: the same points as summing
        the individual signatures and keys, for one multiplication per group.
        """
        signers = self.quorum_indices() if signers is None else list(signers)
        bitmap = 0
        secret = 0
        for i in signers:
            bitmap |= 1 << i
            secret = (secret + self.keys[i].secret) % CURVE_ORDER
        sigma = hash_to_g1(digest) * secret
        apk2 = G2_GENERATOR * secret
        return (self.epoch if epoch is None else epoch, bitmap, list(sigma.to_evm()), list(apk2.to_evm()))

    def contributions(self, digest: bytes, signers: Sequence[int]) -> dict[int, tuple[G1Point, G2Point]]:
        """What each signer sends the relayer: its own signature and its G2 key, by set index."""
        return {i: (sign(self.keys[i].secret, digest), self.keys[i].pk2) for i in signers}

    def bitmap(self, signers: Sequence[int]) -> int:
        out = 0
        for i in signers:
            out |= 1 << i
        return out


async def transact(fn: AsyncContractFunction, account: Sender) -> TxReceipt:
    """Send ``fn`` from ``account`` with :data:`GAS_MARGIN` over the estimate (reverts raise
    web3's ``ContractCustomError`` at estimation, as with `bridge_contracts.deploy.send`)."""
    sender = account if isinstance(account, str) else account.address
    estimate = await fn.estimate_gas({"from": sender})
    factor, extra = GAS_MARGIN
    return await send(fn, account, gas=int(estimate * factor) + extra)


def signature_data(epoch: int, contributions: Mapping[int, tuple[G1Point, G2Point]]) -> SignatureTuple:
    """Aggregate individual (signature, G2 key) contributions, keyed by set index, into the
    `SignatureData` a contract takes. The relayer should check the aggregate off chain (one
    pairing product, :func:`relayer.bls.verify_with_g1_key`) before paying for a transaction."""
    if not contributions:
        raise RelayContractError("no signatures to aggregate")
    bitmap = 0
    for i in contributions:
        if not 0 <= i < 256:
            raise RelayContractError(f"signer index {i} out of range")
        bitmap |= 1 << i
    sigma = aggregate_g1(s for s, _ in contributions.values())
    apk2 = aggregate_g2(k for _, k in contributions.values())
    return (epoch, bitmap, list(sigma.to_evm()), list(apk2.to_evm()))


def set_update_hash(epoch: int, committee: Committee) -> bytes:
    """``keccak(abi.encode(epoch, validators))``: the payload a VALIDATOR_SET digest signs."""
    return keccak(abi_encode(["uint64", "(uint256[2],uint256)[]"], [epoch, committee.validators()]))


@dataclass(frozen=True, slots=True)
class RelayDeployment:
    """The relay contracts of one chain."""

    validator_set: AsyncContract
    mailbox: AsyncContract

    @property
    def mailbox_bytes32(self) -> bytes:
        return address_to_bytes32(self.mailbox.address)


async def deploy_validator_set(
    w3: AsyncWeb3,
    *,
    home: bool,
    home_chain_id: int,
    home_contract: str,
    admin: str,
    account: Sender,
    min_rotation_delay: int = DEFAULT_MIN_ROTATION_DELAY,
    grace_period: int = DEFAULT_GRACE_PERIOD,
) -> AsyncContract:
    """Deploy a `ValidatorSet` (home on the L1, remote elsewhere)."""
    return await deploy(
        w3, "ValidatorSet", home, home_chain_id, home_contract, min_rotation_delay, grace_period, admin,
        account=account,
    )


async def register_keys(validator_set: AsyncContract, keys: Sequence[KeyPair], account: Sender) -> None:
    """Register each key with its proof of possession (home registry)."""
    for key in keys:
        pop = prove_possession(key)
        await transact(
            validator_set.functions.registerKey(list(key.pk1.to_evm()), list(key.pk2.to_evm()), list(pop.to_evm())),
            account,
        )


async def deploy_home(
    w3: AsyncWeb3,
    committee: Committee,
    *,
    admin: str,
    account: Sender,
    min_rotation_delay: int = DEFAULT_MIN_ROTATION_DELAY,
    grace_period: int = DEFAULT_GRACE_PERIOD,
) -> RelayDeployment:
    """L1: a home ValidatorSet with the committee registered (PoP) and installed, and a Mailbox."""
    chain_id = await w3.eth.chain_id
    vs = await deploy_validator_set(
        w3, home=True, home_chain_id=chain_id, home_contract="0x" + "00" * 20, admin=admin, account=account,
        min_rotation_delay=min_rotation_delay, grace_period=grace_period,
    )
    await register_keys(vs, committee.keys, account)
    await transact(vs.functions.rotate(committee.validators()), account)
    mailbox = await deploy(w3, "Mailbox", vs.address, admin, account=account)
    return RelayDeployment(vs, mailbox)


async def deploy_remote(
    w3: AsyncWeb3,
    committee: Committee,
    *,
    home_chain_id: int,
    home_validator_set: str,
    admin: str,
    account: Sender,
    origins: dict[int, str | bytes] | None = None,
    min_rotation_delay: int = DEFAULT_MIN_ROTATION_DELAY,
    grace_period: int = DEFAULT_GRACE_PERIOD,
) -> RelayDeployment:
    """Remote chain: a ValidatorSet bootstrapped with ``committee`` and a Mailbox that accepts the
    given origin mailboxes (chain id to address or bytes32)."""
    vs = await deploy_validator_set(
        w3, home=False, home_chain_id=home_chain_id, home_contract=home_validator_set, admin=admin,
        account=account, min_rotation_delay=min_rotation_delay, grace_period=grace_period,
    )
    await transact(vs.functions.bootstrap(committee.epoch, committee.validators()), account)
    mailbox = await deploy(w3, "Mailbox", vs.address, admin, account=account)
    for origin, mb in (origins or {}).items():
        word = address_to_bytes32(mb) if isinstance(mb, str) or len(mb) == 20 else mb
        await transact(mailbox.functions.setRemoteMailbox(origin, word), account)
    return RelayDeployment(vs, mailbox)


async def deploy_omni_gateway(
    w3: AsyncWeb3, *, token: str, mailbox: str, owner: str, guardian: str, account: Sender
) -> AsyncContract:
    """L1: `OmniGateway` locking and releasing OMNIT at ``token``."""
    return await deploy(w3, "OmniGateway", token, mailbox, owner, guardian, account=account)


async def deploy_wrapped_gateway(
    w3: AsyncWeb3, *, mailbox: str, owner: str, guardian: str, account: Sender
) -> tuple[AsyncContract, AsyncContract]:
    """Remote: `WrappedOmnitGateway` and the `WrappedOMNIT` it deploys and alone can mint."""
    gateway = await deploy(w3, "WrappedOmnitGateway", mailbox, owner, guardian, account=account)
    token = at(w3, "WrappedOMNIT", await gateway.functions.token().call())
    return gateway, token


async def deploy_attestation_sender(w3: AsyncWeb3, *, mailbox: str, attester: str, account: Sender) -> AsyncContract:
    """L1: the `ModelAttestationSender` whose messages remote `ModelAttestations` accept."""
    return await deploy(w3, "ModelAttestationSender", mailbox, attester, account=account)


async def deploy_model_attestations(
    w3: AsyncWeb3, *, mailbox: str, home_chain_id: int, sender: str, account: Sender
) -> AsyncContract:
    """Remote: `ModelAttestations` accepting messages from ``sender`` on ``home_chain_id``."""
    return await deploy(w3, "ModelAttestations", mailbox, home_chain_id, address_to_bytes32(sender), account=account)


async def link_peers(
    a: AsyncContract, a_chain: int, b: AsyncContract, b_chain: int, *, owner: Sender,
    capacity: int | None = None, rate_per_second: int = 0,
) -> None:
    """Register two gateways as each other's peers; with ``capacity``, also set both directions'
    rate limits on both sides (token bucket of ``capacity``, refilled at ``rate_per_second``)."""
    await transact(a.functions.setRemoteGateway(b_chain, address_to_bytes32(b.address)), owner)
    await transact(b.functions.setRemoteGateway(a_chain, address_to_bytes32(a.address)), owner)
    if capacity is not None:
        for gw, chain in ((a, b_chain), (b, a_chain)):
            for direction in (0, 1):
                await transact(gw.functions.setRateLimit(chain, direction, capacity, rate_per_second), owner)


def error_selectors(*contracts: AsyncContract | Sequence[dict[str, Any]]) -> dict[str, str]:
    """``{"0x12345678": "ErrorName", ...}`` over the custom errors of the given ABIs."""
    out: dict[str, str] = {}
    for c in contracts:
        abi = c.abi if hasattr(c, "abi") else c
        for item in abi:
            if item.get("type") == "error":
                sig = f"{item['name']}({','.join(_abi_type(i) for i in item['inputs'])})"
                out["0x" + keccak(sig.encode())[:4].hex()] = item["name"]
    return out


def _abi_type(param: dict[str, Any]) -> str:
    t = param["type"]
    if t.startswith("tuple"):
        return "(" + ",".join(_abi_type(c) for c in param["components"]) + ")" + t[5:]
    return t


def revert_name(exc: BaseException) -> str | None:
    """The custom error name in a web3 revert exception (relay contracts' errors), else None."""
    data = getattr(exc, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if not isinstance(data, str) or len(data) < 10:
        return None
    return _all_selectors().get(data[:10].lower())


_SELECTORS: dict[str, str] = {}


def _all_selectors() -> dict[str, str]:
    if not _SELECTORS:
        for name in RELAY_CONTRACTS:
            _SELECTORS.update(error_selectors(list(load_artifact(name).abi)))
    return _SELECTORS
