"""Typed async deploy helpers on web3.py `AsyncWeb3`, from the committed artifacts.

    token = await deploy_omni_token(w3, owner=admin.address, account=admin)
    l1 = await deploy_l1(w3, L1Roles.all(admin.address), account=admin)

`account` is either a `LocalAccount` (the transaction is signed locally and sent raw: works on
any node) or an address string the node holds the key of (anvil's dev accounts, or any address
after `anvil_impersonateAccount`). Every helper waits for the receipt and raises
`TransactionFailed` if the transaction reverted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import AsyncWeb3
from web3.contract import AsyncContract
from web3.contract.async_contract import AsyncContractFunction
from web3.logs import DISCARD
from web3.types import EventData, TxParams, TxReceipt

from bridge_contracts.artifacts import load_artifact

__all__ = [
    "DEFAULT_FINALIZATION_PERIOD",
    "DEFAULT_FORCED_INCLUSION_WINDOW",
    "DeployError",
    "L1Deployment",
    "L1Roles",
    "Sender",
    "TransactionFailed",
    "at",
    "deploy",
    "deploy_l1",
    "deploy_omni_portal",
    "deploy_omni_rollup",
    "deploy_omni_token",
    "events",
    "send",
    "send_transaction",
    "with_margin",
]

Sender = LocalAccount | str
"""Who sends a transaction: a local signing account, or an address unlocked on the node."""

DEFAULT_FINALIZATION_PERIOD = 7 * 24 * 3600
"""Seven days: the production challenge window for output roots (the devnet uses seconds)."""

DEFAULT_FORCED_INCLUSION_WINDOW = 12 * 3600
"""Twelve hours: a deposit older than this must appear in the L2 (enforced by derivation)."""


class DeployError(RuntimeError):
    """A contract could not be deployed (not deployable, or no address in the receipt)."""


class TransactionFailed(RuntimeError):
    """A transaction was mined but reverted."""

    def __init__(self, what: str, receipt: TxReceipt) -> None:
        super().__init__(f"{what} reverted in tx {receipt['transactionHash'].hex()} "
                         f"(block {receipt['blockNumber']}, gas used {receipt['gasUsed']})")
        self.receipt = receipt


def _address(sender: Sender) -> str:
    return sender if isinstance(sender, str) else sender.address


def with_margin(estimate: int) -> int:
    """Gas limit for an estimate: +20% and 10,000 (estimates can fall short, e.g. with refunds
    or when the state changes between estimation and inclusion)."""
    return int(estimate * 1.2) + 10_000


async def send_transaction(w3: AsyncWeb3, tx: TxParams, account: Sender,
                           what: str = "transaction") -> TxReceipt:
    """Fill in nonce, gas and fees, send `tx` from `account`, wait for and check the receipt."""
    tx = dict(tx)  # type: ignore[assignment]
    tx["from"] = _address(account)
    tx.setdefault("chainId", await w3.eth.chain_id)
    if "gas" not in tx:
        tx["gas"] = with_margin(await w3.eth.estimate_gas(tx))
    if isinstance(account, str):
        tx_hash = await w3.eth.send_transaction(tx)
    else:
        tx.setdefault("nonce", await w3.eth.get_transaction_count(account.address, "pending"))
        if "gasPrice" not in tx and "maxFeePerGas" not in tx:
            base = (await w3.eth.get_block("latest"))["baseFeePerGas"]
            tip = await w3.eth.max_priority_fee
            tx["maxPriorityFeePerGas"] = tip
            tx["maxFeePerGas"] = 2 * base + tip
        signed = account.sign_transaction(tx)  # type: ignore[arg-type]
        tx_hash = await w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = await w3.eth.wait_for_transaction_receipt(tx_hash)
    if receipt["status"] != 1:
        raise TransactionFailed(what, receipt)
    return receipt


async def send(fn: AsyncContractFunction, account: Sender, **tx: Any) -> TxReceipt:
    """Send a contract call as a transaction from `account` (extra `tx` fields optional).

    Reverts surface as web3's `ContractCustomError` during gas estimation, before sending.
    """
    params: TxParams = {"from": _address(account), **tx}  # type: ignore[typeddict-item]
    if "gas" not in params:
        params["gas"] = with_margin(await fn.estimate_gas(params))
    built = await fn.build_transaction(params)
    return await send_transaction(fn.w3, built, account, what=fn.fn_name)


def events(contract: AsyncContract, name: str, receipt: TxReceipt) -> list[EventData]:
    """The `name` events that `contract` emitted in the transaction of `receipt`."""
    logs = [log for log in receipt["logs"] if log["address"] == contract.address]
    event = getattr(contract.events, name)()
    return list(event.process_receipt({**receipt, "logs": logs}, errors=DISCARD))


def at(w3: AsyncWeb3, name: str, address: str) -> AsyncContract:
    """The contract `name` (by artifact) at `address`."""
    return w3.eth.contract(address=w3.to_checksum_address(address), abi=load_artifact(name).abi)


async def deploy(w3: AsyncWeb3, name: str, *args: Any, account: Sender) -> AsyncContract:
    """Deploy contract `name` with constructor `args` from `account`; return the contract."""
    artifact = load_artifact(name)
    if not artifact.deployable:
        raise DeployError(f"{name} has no creation code (interface, or a library to link)")
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    constructor = factory.constructor(*args)
    params: TxParams = {"from": _address(account)}
    params["gas"] = with_margin(await constructor.estimate_gas(params))
    tx = await constructor.build_transaction(params)
    receipt = await send_transaction(w3, tx, account, what=f"deploy {name}")
    address = receipt.get("contractAddress")
    if not address:
        raise DeployError(f"deploy {name}: no contract address in the receipt")
    return at(w3, name, address)


# --- one function per L1 contract -------------------------------------------------------------


async def deploy_omni_token(w3: AsyncWeb3, *, owner: str, account: Sender) -> AsyncContract:
    """Deploy `OmniToken` (OMNIT, capped at 1e9 tokens); `owner` mints and appoints minters."""
    return await deploy(w3, "OmniToken", owner, account=account)


async def deploy_omni_rollup(
    w3: AsyncWeb3,
    *,
    owner: str,
    batcher: str,
    proposer: str,
    challenger: str,
    finalization_period: int = DEFAULT_FINALIZATION_PERIOD,
    account: Sender,
) -> AsyncContract:
    """Deploy `OmniRollup` (batch inbox and output oracle) with its roles and challenge window."""
    return await deploy(w3, "OmniRollup", owner, batcher, proposer, challenger,
                        finalization_period, account=account)


async def deploy_omni_portal(
    w3: AsyncWeb3,
    *,
    token: str,
    rollup: str,
    owner: str,
    guardian: str,
    forced_inclusion_window: int = DEFAULT_FORCED_INCLUSION_WINDOW,
    account: Sender,
) -> AsyncContract:
    """Deploy `OmniPortal` (OMNIT deposits and withdrawals) on top of a token and a rollup."""
    return await deploy(w3, "OmniPortal", token, rollup, owner, guardian,
                        forced_inclusion_window, account=account)


@dataclass(frozen=True, slots=True)
class L1Roles:
    """Who holds each L1 role (addresses)."""

    owner: str
    batcher: str
    proposer: str
    challenger: str
    guardian: str

    @classmethod
    def all(cls, address: str) -> L1Roles:
        """Every role held by one address (quick setups)."""
        return cls(address, address, address, address, address)


@dataclass(frozen=True, slots=True)
class L1Deployment:
    """The three L1 contracts of one deployment."""

    token: AsyncContract
    rollup: AsyncContract
    portal: AsyncContract

    def addresses(self) -> dict[str, str]:
        """{"OmniToken": address, ...} for config files."""
        return {"OmniToken": self.token.address, "OmniRollup": self.rollup.address,
                "OmniPortal": self.portal.address}


async def deploy_l1(
    w3: AsyncWeb3,
    roles: L1Roles,
    *,
    account: Sender,
    finalization_period: int = DEFAULT_FINALIZATION_PERIOD,
    forced_inclusion_window: int = DEFAULT_FORCED_INCLUSION_WINDOW,
) -> L1Deployment:
    """Deploy token, rollup and portal in order (three transactions from `account`)."""
    token = await deploy_omni_token(w3, owner=roles.owner, account=account)
    rollup = await deploy_omni_rollup(
        w3, owner=roles.owner, batcher=roles.batcher, proposer=roles.proposer,
        challenger=roles.challenger, finalization_period=finalization_period, account=account)
    portal = await deploy_omni_portal(
        w3, token=token.address, rollup=rollup.address, owner=roles.owner,
        guardian=roles.guardian, forced_inclusion_window=forced_inclusion_window,
        account=account)
    return L1Deployment(token, rollup, portal)

