"""Click commands of the relay (the lead mounts them on ``omnit``):

- ``bridge_send``   -> ``omnit bridge send``   (add to the group in rollup/bridge/cli.py)
- ``model_attest``  -> ``omnit model attest``  (add to the ``model`` group in rollup/cli.py)
- ``validator_cmd`` -> ``omnit validator``
- ``relayer_cmd``   -> ``omnit relayer`` (runs the service) and ``omnit relayer status MESSAGE_ID``

``python -m relayer.cli ...`` runs them standalone (the benchmark starts relayer processes so).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from decimal import Decimal, InvalidOperation
from typing import Any

import click
from eth_account import Account

from .validator import validator_cmd

__all__ = ["bridge_send", "model_attest", "validator_cmd", "relayer_cmd", "main", "parse_amount"]

OMNIT_DECIMALS = 18
"""OMNIT and wrapped OMNIT have 18 decimals."""


def parse_amount(text: str) -> int:
    """``"1.5"`` -> 1.5 OMNIT in base units; ``"123wei"`` -> 123."""
    text = text.strip().lower()
    try:
        if text.endswith("wei"):
            return int(text[:-3])
        value = Decimal(text.removesuffix("omnit"))
    except (InvalidOperation, ValueError):
        raise click.BadParameter(f"{text!r} is not an amount (e.g. 1.5 or 1500000000000000000wei)") from None
    units = value * (10**OMNIT_DECIMALS)
    if units != units.to_integral_value() or units <= 0:
        raise click.BadParameter(f"{text!r}: positive, at most {OMNIT_DECIMALS} decimals")
    return int(units)


def _account(private_key: str | None, keystore: str | None) -> Any:
    if private_key:
        return Account.from_key(private_key)
    if keystore:
        passphrase = os.environ.get("OMNIT_KEYSTORE_PASSPHRASE") or click.prompt("passphrase", hide_input=True)
        with open(keystore) as fh:
            return Account.from_key(Account.decrypt(json.load(fh), passphrase))
    raise click.UsageError("a signing key is required: --private-key (or OMNIT_PRIVATE_KEY) or --keystore")


def _run(coro: Any) -> Any:
    try:
        return asyncio.run(coro)
    except Exception as exc:  # noqa: BLE001 - user commands print the reason, not a traceback
        from .attestations import AttestationNotSafe
        from .routes import RouteError

        if isinstance(exc, (RouteError, AttestationNotSafe)):
            raise click.ClickException(str(exc)) from None
        raise


_key_options = [
    click.option("--private-key", envvar="OMNIT_PRIVATE_KEY", help="Hex key of the sender (or OMNIT_PRIVATE_KEY)."),
    click.option("--keystore", type=click.Path(exists=True, dir_okay=False), help="Ethereum keystore of the sender."),
]


def _with_keys(fn: Any) -> Any:
    for opt in reversed(_key_options):
        fn = opt(fn)
    return fn


@click.command("send")
@click.option("--from-chain", type=int, default=7000, show_default=True, help="Origin chain id (7000 = the L1).")
@click.option("--to-chain", type=int, required=True, help="Destination chain id.")
@click.option("--amount", required=True, help="OMNIT to send (e.g. 2.5, or 123wei).")
@click.option("--to", "recipient", help="Recipient on the destination (default: the sender).")
@click.option("--rpc-url", envvar="OMNIT_BRIDGE_RPC_URL", required=True, help="RPC of the origin chain.")
@click.option("--gateway", envvar="OMNIT_BRIDGE_GATEWAY", required=True,
              help="Gateway on the origin chain (OmniGateway on the L1, WrappedOmnitGateway elsewhere).")
@_with_keys
def bridge_send(from_chain: int, to_chain: int, amount: str, recipient: str | None, rpc_url: str, gateway: str,
                private_key: str | None, keystore: str | None) -> None:
    """Send OMNIT to another chain: lock on the L1 gateway, or burn wrapped OMNIT on its way back."""
    from bridge_contracts.deploy import at
    from .chain import make_web3
    from .routes import send_tokens

    account = _account(private_key, keystore)
    value = parse_amount(amount)

    async def go() -> None:
        w3 = make_web3(rpc_url)
        try:
            chain = await w3.eth.chain_id
            if chain != from_chain:
                raise click.ClickException(f"--rpc-url serves chain {chain}, not --from-chain {from_chain}")
            name = "OmniGateway" if from_chain == 7000 else "WrappedOmnitGateway"
            msg = await send_tokens(w3, at(w3, name, gateway), account, destination=to_chain,
                                    recipient=recipient or account.address, amount=value)
            verb = "locked" if from_chain == 7000 else "burned"
            click.echo(f"{verb} {value} on {from_chain}; message 0x{msg.id.hex()} (nonce {msg.nonce}) to {to_chain}")
            click.echo(f"track it with: omnit relayer status 0x{msg.id.hex()}")
        finally:
            await w3.provider.disconnect()

    _run(go())


@click.command("attest")
@click.argument("model_id", type=int)
@click.option("--to-chain", type=int, required=True, help="Chain whose ModelAttestations receives it.")
@click.option("--l1-rpc-url", envvar="OMNIT_L1_RPC_URL", required=True, help="RPC of the L1.")
@click.option("--l2-rpc-url", envvar="OMNIT_RPC_URL", required=True, help="RPC of the L2 node.")
@click.option("--sender", "sender_address", envvar="OMNIT_ATTESTATION_SENDER", required=True,
              help="The L1 ModelAttestationSender.")
@_with_keys
def model_attest(model_id: int, to_chain: int, l1_rpc_url: str, l2_rpc_url: str, sender_address: str,
                 private_key: str | None, keystore: str | None) -> None:
    """Attest an L2 model on another chain: checks the L2 record is in a batch on the L1, then
    publishes it through the L1 sender; the validators re-check it against the L2 before signing."""
    from bridge_contracts.deploy import at
    from .attestations import L2Client
    from .chain import make_web3
    from .routes import publish_attestation

    account = _account(private_key, keystore)

    async def go() -> None:
        w3, l2 = make_web3(l1_rpc_url), L2Client(l2_rpc_url)
        try:
            msg = await publish_attestation(w3, at(w3, "ModelAttestationSender", sender_address), l2, account,
                                            model_id=model_id, destination=to_chain)
            click.echo(f"attestation of model {model_id} published; message 0x{msg.id.hex()} to {to_chain}")
        finally:
            await w3.provider.disconnect()
            await l2.close()

    _run(go())


@click.group("relayer", invoke_without_command=True)
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), help="TOML settings file.")
@click.option("--db-url", help="sqlite:///path or postgresql://... (default sqlite:///relayer.sqlite).")
@click.option("--worker-id", help="Stable name of this worker (its leases survive a restart).")
@click.option("--metrics-port", type=int, help="Serve /metrics on this port.")
@click.pass_context
def relayer_cmd(ctx: click.Context, config_path: str | None, db_url: str | None, worker_id: str | None,
                metrics_port: int | None) -> None:
    """Run the relayer (index, collect signatures, deliver); see `status` for one message."""
    from .config import relayer_settings

    settings = relayer_settings(config_path, db_url=db_url, worker_id=worker_id, metrics_port=metrics_port)
    ctx.obj = settings
    if ctx.invoked_subcommand is not None:
        return
    from .relayer import Relayer
    from .store import open_store

    if not settings.chains or not settings.validators:
        raise click.UsageError("configure [[chains]] and [relayer] validators (see docs/relayer.md)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    async def go() -> None:
        store = await open_store(settings.db_url)
        try:
            await Relayer(settings, store).run()
        finally:
            await store.close()

    try:
        asyncio.run(go())
    except KeyboardInterrupt:
        pass


@relayer_cmd.command("status")
@click.argument("message_id")
@click.pass_obj
def relayer_status(settings: Any, message_id: str) -> None:
    """Where a message is: pending, submitted, delivered or parked (with the reason)."""
    from .relayer import message_status
    from .store import open_store

    try:
        mid = bytes.fromhex(message_id.removeprefix("0x"))
    except ValueError:
        raise click.BadParameter("MESSAGE_ID is 32 bytes of hex") from None

    async def go() -> Any:
        store = await open_store(settings.db_url)
        try:
            return await message_status(store, mid)
        finally:
            await store.close()

    status = asyncio.run(go())
    if status is None:
        raise click.ClickException(f"message {message_id} is not indexed (yet?) in {settings.db_url}")
    click.echo(json.dumps(status, indent=2))


@click.group()
def main() -> None:
    """Relay commands (standalone entry point; `omnit` mounts the same commands)."""


@main.group("bridge")
def _bridge() -> None:
    """Cross-chain OMNIT."""


@main.group("model")
def _model() -> None:
    """Model attestations."""


_bridge.add_command(bridge_send)
_model.add_command(model_attest)
main.add_command(validator_cmd)
main.add_command(relayer_cmd)

if __name__ == "__main__":
    main()
