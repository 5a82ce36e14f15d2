"""``omnit bridge``: deposit, withdraw, finalize, status (user guide: docs/bridge.md)."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any, Callable

import click

__all__ = ["bridge"]


def _amount(text: str) -> int:
    from rollup.cli import parse_amount

    return parse_amount(text)


def _common(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--keystore", type=click.Path(exists=True, dir_okay=False), default=None,
                      help="Encrypted keystore (default: the key in OMNIT_PRIVATE_KEY).")(fn)
    fn = click.option("--portal", "portal_address", envvar="OMNIT_PORTAL_ADDRESS", required=True,
                      help="OmniPortal address on the L1 (env OMNIT_PORTAL_ADDRESS).")(fn)
    fn = click.option("--l1-rpc-url", envvar="OMNIT_L1_RPC_URL", default="http://127.0.0.1:8545",
                      show_default=True, help="L1 JSON-RPC URL (env OMNIT_L1_RPC_URL).")(fn)
    fn = click.option("--rpc-url", "l2_rpc_url", envvar="OMNIT_RPC_URL", default="http://127.0.0.1:9545",
                      show_default=True, help="L2 JSON-RPC URL (env OMNIT_RPC_URL).")(fn)
    fn = click.option("--timeout", default=120.0, show_default=True, help="Seconds to wait.")(fn)
    return fn


def _client(l2_rpc_url: str, l1_rpc_url: str, portal_address: str, keystore: str | None,
            timeout: float, need_key: bool = True) -> Any:
    from rollup.bridge.client import BridgeClient
    from rollup.keys import KeyError_, load_account

    account = None
    if need_key:
        try:
            account = load_account(keystore, prompt=lambda p: click.prompt(p, hide_input=True))
        except KeyError_ as exc:
            raise click.ClickException(str(exc)) from exc
    return BridgeClient(l1_rpc_url, l2_rpc_url, portal_address, account, timeout=timeout)


def _run(client: Any, fn: Callable[[Any], Any]) -> Any:
    from rollup.bridge.client import BridgeError
    from rollup.bridge.proofs import ProofError
    from rollup.rpc.client import ClientError

    async def main() -> Any:
        try:
            return await fn(client)
        finally:
            await client.aclose()

    try:
        return asyncio.run(main())
    except (BridgeError, ProofError, ClientError) as exc:
        raise click.ClickException(str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - a clean message for RPC/transport failures
        raise click.ClickException(f"{type(exc).__name__}: {exc}") from exc


def _tx_hash(text: str) -> bytes:
    raw = bytes.fromhex(text.removeprefix("0x"))
    if len(raw) != 32:
        raise click.BadParameter(f"{text!r} is not a 32-byte transaction hash")
    return raw


def _bridge_group_cls() -> type[click.Group]:
    from rollup.cli import _LazyGroup

    class BridgeGroup(_LazyGroup):
        lazy = {"send": ("relayer.cli", "bridge_send")}

    return BridgeGroup


@click.group(cls=_bridge_group_cls())
def bridge() -> None:
    """Move OMNIT between the L1 and the L2 (deposit, withdraw, finalize, status) and between the
    L1 and other chains through the validator-secured relay (send)."""


@bridge.command("deposit")
@click.option("--amount", required=True, help="Amount: wei, or with a unit (10omnit).")
@click.option("--to", "to", default=None, help="L2 recipient (default: the sender).")
@click.option("--permit", is_flag=True, help="One transaction with an EIP-2612 permit instead of approve.")
@click.option("--wait/--no-wait", default=True, show_default=True, help="Wait for the L2 to include it.")
@_common
def deposit(amount: str, to: str | None, permit: bool, wait: bool, l2_rpc_url: str, l1_rpc_url: str,
            portal_address: str, keystore: str | None, timeout: float) -> None:
    """Lock OMNIT in the portal on the L1; it is minted to --to on the L2."""
    value = _amount(amount)
    client = _client(l2_rpc_url, l1_rpc_url, portal_address, keystore, timeout)

    async def go(c: Any) -> None:
        dep = await c.deposit(value, to, permit=permit)
        click.echo(f"deposit {dep.nonce}: {value / 10**18:,.6f} OMNIT to 0x{dep.recipient.hex()} "
                   f"(L1 tx 0x{dep.l1_tx_hash.hex()}, block {dep.l1_block})")
        click.echo(f"L2 deposit transaction 0x{dep.l2_tx_hash.hex()}")
        if wait:
            receipt = await c.wait_deposit(dep, timeout)
            import time

            click.echo(f"included in L2 block {int(receipt['blockNumber'], 16)} "
                       f"({time.time() - dep.sent_at:.1f}s after sending)")

    _run(client, go)


@bridge.command("withdraw")
@click.option("--amount", required=True, help="Amount: wei, or with a unit (1omnit).")
@click.option("--to", "to", default=None, help="L1 recipient (default: the sender).")
@_common
def withdraw(amount: str, to: str | None, l2_rpc_url: str, l1_rpc_url: str, portal_address: str,
             keystore: str | None, timeout: float) -> None:
    """Burn OMNIT on the L2; finalize on the L1 after the challenge period."""
    value = _amount(amount)
    client = _client(l2_rpc_url, l1_rpc_url, portal_address, keystore, timeout)

    async def go(c: Any) -> None:
        wd = await c.withdraw(value, to)
        click.echo(f"withdrawal {wd.nonce}: {value / 10**18:,.6f} OMNIT to 0x{wd.l1_recipient.hex()} "
                   f"in L2 block {wd.l2_block}")
        click.echo(f"L2 tx 0x{wd.tx_hash.hex()}  (then: omnit bridge status / finalize 0x{wd.tx_hash.hex()})")

    _run(client, go)


@bridge.command("status")
@click.argument("tx_hash")
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@_common
def status(tx_hash: str, as_json: bool, l2_rpc_url: str, l1_rpc_url: str, portal_address: str,
           keystore: str | None, timeout: float) -> None:
    """Where a withdrawal is: waiting_for_output, in_challenge_period, ready, finalized."""
    client = _client(l2_rpc_url, l1_rpc_url, portal_address, keystore, timeout, need_key=False)
    st = _run(client, lambda c: c.status(_tx_hash(tx_hash)))
    if as_json:
        out = {k: ("0x" + v.hex() if isinstance(v, bytes) else v)
               for k, v in ((f, getattr(st, f)) for f in st.__dataclass_fields__)}
        click.echo(json.dumps(out))
    else:
        click.echo(st.describe())


@bridge.command("finalize")
@click.argument("tx_hash")
@_common
def finalize(tx_hash: str, l2_rpc_url: str, l1_rpc_url: str, portal_address: str, keystore: str | None,
             timeout: float) -> None:
    """Prove the withdrawal of L2 transaction TX_HASH against a final output and pay it out."""
    client = _client(l2_rpc_url, l1_rpc_url, portal_address, keystore, timeout)
    out = _run(client, lambda c: c.finalize(_tx_hash(tx_hash)))
    click.echo(f"withdrawal {out['nonce']} finalized against output {out['output_index']}: "
               f"{out['amount'] / 10**18:,.6f} OMNIT paid (L1 tx 0x{out['l1_tx_hash'].hex()}, "
               f"gas {out['gas_used']})")
    sys.stdout.flush()
