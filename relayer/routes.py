"""The user side of the two routes: send OMNIT through a gateway, publish a model attestation
from the L2 record. Library functions behind ``omnit bridge send`` and ``omnit model attest``."""

from __future__ import annotations

from eth_account.signers.local import LocalAccount
from web3 import AsyncWeb3
from web3.contract import AsyncContract

from bridge_contracts.deploy import at
from .attestations import Attestation, AttestationNotSafe, L2Client, attestation_from_record
from .chain import fetch_dispatches
from .contracts import transact
from .messages import Message, address_to_bytes32

__all__ = ["RouteError", "send_tokens", "publish_attestation", "dispatched_in"]


class RouteError(RuntimeError):
    """A user command that cannot go ahead; the message says why and what to do."""


async def dispatched_in(w3: AsyncWeb3, mailbox: str, receipt: dict) -> list[Message]:
    """The messages a transaction dispatched."""
    block = int(receipt["blockNumber"])
    tx = bytes(receipt["transactionHash"])
    return [d.message for d in await fetch_dispatches(w3, mailbox, block, block) if d.tx_hash == tx]


async def send_tokens(w3: AsyncWeb3, gateway: AsyncContract, account: LocalAccount, *, destination: int,
                      recipient: str, amount: int) -> Message:
    """Lock (L1 ``OmniGateway``: approves first) or burn (remote ``WrappedOmnitGateway``) ``amount``
    and dispatch it to ``recipient`` on ``destination``; returns the dispatched message."""
    if amount <= 0:
        raise RouteError("amount must be positive")
    token_address = await gateway.functions.token().call()
    token = at(w3, "OmniToken", token_address)  # the ERC-20 functions used here are in both tokens
    balance = await token.functions.balanceOf(account.address).call()
    if balance < amount:
        raise RouteError(f"balance {balance} is below the amount {amount}")
    is_l1 = not await _is_wrapped_gateway(w3, gateway, token_address)
    if is_l1:
        allowance = await token.functions.allowance(account.address, gateway.address).call()
        if allowance < amount:
            await transact(token.functions.approve(gateway.address, amount), account)
    receipt = await transact(gateway.functions.bridge(destination, address_to_bytes32(recipient), amount), account)
    mailbox = await gateway.functions.mailbox().call()
    (msg,) = await dispatched_in(w3, mailbox, receipt)
    return msg


async def _is_wrapped_gateway(w3: AsyncWeb3, gateway: AsyncContract, token: str) -> bool:
    wrapped = at(w3, "WrappedOMNIT", token)
    try:
        return (await wrapped.functions.gateway().call()).lower() == gateway.address.lower()
    except Exception:  # noqa: BLE001 - OMNIT on the L1 has no gateway() view
        return False


async def publish_attestation(w3: AsyncWeb3, sender: AsyncContract, l2: L2Client, account: LocalAccount, *,
                              model_id: int, destination: int) -> Message:
    """Read model ``model_id`` from the L2, require its block to be safe (in a batch on the L1),
    and publish it through the L1 ``ModelAttestationSender``; returns the dispatched message."""
    record = await l2.get_model(model_id)
    if record is None:
        raise RouteError(f"model {model_id} is not registered on the L2 (omnit model register first)")
    att: Attestation = attestation_from_record(model_id, record)
    safe = await l2.safe_head()
    if safe < att.l2_block:
        raise AttestationNotSafe(f"model {model_id} was registered in L2 block {att.l2_block}, not yet in a batch "
                                 f"on the L1 (safe head {safe}); retry once the batcher has posted it")
    fn = sender.functions.publish(destination, model_id.to_bytes(32, "big"), att.weights_commitment,
                                  AsyncWeb3.to_checksum_address(att.owner), att.status, att.version, att.l2_block)
    receipt = await transact(fn, account)
    mailbox = await sender.functions.mailbox().call()
    (msg,) = await dispatched_in(w3, mailbox, receipt)
    return msg
