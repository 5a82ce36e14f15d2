"""``omnit devnet``: the whole system on one machine, and its scripted demo.

``run_devnet`` starts (``rollup.devnet_stack.DevnetStack``): an anvil L1 (chain id 7000, blobs,
1-second blocks), the L1 contracts (OmniToken with OMNIT minted to the ten dev accounts,
OmniRollup with a 5-second finalization period, OmniPortal), the L2 sequencer on SQLite under
``--dir`` with its JSON-RPC server (chain id 7001, the funded dev genesis), the L1 watcher
(deposits and L1 origins), the batcher and the proposer; prints the endpoints, the contract
addresses and the dev keys; and runs until Ctrl-C, stopping everything in reverse order.

``--demo`` runs ``rollup.devnet_demo.run_full_demo`` instead of waiting: deposit on the L1, L2
transfers and the AI-task lifecycle, batch and output on the L1, withdrawal finalized on the L1,
a replica check, every balance verified; exit 0 only if every check passes.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from dataclasses import dataclass
from typing import Callable, Final

from eth_account import Account
from eth_account.signers.local import LocalAccount

from rollup.devnet_demo import DemoFailed

__all__ = ["DevnetOptions", "run_devnet", "run_demo", "dev_accounts", "DEV_MNEMONIC", "DemoFailed"]

DEV_MNEMONIC: Final = "test test test test test test test test test test test junk"
"""The well-known development mnemonic; the dev genesis (L2) and anvil (L1) fund its accounts."""

DEV_ACCOUNT_COUNT: Final = 10
"""Dev accounts printed at start (m/44'/60'/0'/0/0..9)."""

OMNIT: Final = 10**18
"""Wei per OMNIT."""

ROLES: Final = ("admin / owner", "batcher", "proposer", "challenger", "guardian", "alice", "bob",
                "carol", "mallory", "spare")
"""What each dev account does on the L1 (``bridge_contracts.anvil.DevAccounts``)."""

Echo = Callable[[str], None]
"""Where progress lines go (click.echo in the CLI, a list in tests)."""


@dataclass(frozen=True)
class DevnetOptions:
    """What ``omnit devnet`` starts."""

    workdir: str = ".omnit/devnet"
    port: int = 9545
    demo: bool = False
    fresh: bool = True
    block_time: float = 0.25


def dev_accounts(count: int = DEV_ACCOUNT_COUNT) -> list[LocalAccount]:
    """The dev accounts of the test mnemonic (the same keys anvil and hardhat use)."""
    Account.enable_unaudited_hdwallet_features()
    return [Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}") for i in range(count)]


def _print_endpoints(stack: object, echo: Echo, started: float) -> None:
    s = stack  # rollup.devnet_stack.DevnetStack
    echo(f"OmniTensor devnet up in {time.monotonic() - started:.1f}s (data in {s.opts.workdir})")  # type: ignore[attr-defined]
    echo(f"  L1 RPC  {s.l1_url}   chain id 7000 (anvil, blobs, {s.opts.l1_block_time:g}s blocks)")  # type: ignore[attr-defined]
    echo(f"  L2 RPC  {s.l2_url}   chain id {s.node.chain_id}")  # type: ignore[attr-defined]
    for name, addr in s.addresses.items():  # type: ignore[attr-defined]
        echo(f"  {name:<11} {addr}")
    echo(f"  finalization period {s.opts.finalization_period}s, forced-inclusion window "  # type: ignore[attr-defined]
         f"{s.opts.forced_inclusion_window}s, an output every {s.opts.output_interval} L2 blocks")  # type: ignore[attr-defined]
    echo("Dev accounts (1,000,000 OMNIT and 10,000 ETH on the L1, 10,000 OMNIT on the L2; never use "
         "these keys for value):")
    for i, acct in enumerate(dev_accounts()):
        echo(f"  ({i}) {acct.address}  key 0x{bytes(acct.key).hex()}  {ROLES[i]}")
    echo(f"Bridge: export OMNIT_RPC_URL={s.l2_url} OMNIT_L1_RPC_URL={s.l1_url} "  # type: ignore[attr-defined]
         f"OMNIT_PORTAL_ADDRESS={s.portal_address}")  # type: ignore[attr-defined]


async def run_devnet(opts: DevnetOptions, echo: Echo = print, stop: asyncio.Event | None = None) -> int:
    """Start the devnet, print how to reach it, then run until Ctrl-C (or run the demo): exit code."""
    from relayer.devnet import demo_relay, start_relay_stack
    from rollup.devnet_demo import run_full_demo
    from rollup.devnet_stack import DevnetStack, StackOptions
    from rollup.rpc.service import install_stop_signals

    stop = stop or asyncio.Event()
    install_stop_signals(stop)
    started = time.monotonic()
    stack_opts = StackOptions(workdir=opts.workdir, l2_port=opts.port, fresh=opts.fresh,
                              l2_block_time=opts.block_time)
    async with DevnetStack(stack_opts) as stack:
        relay = await start_relay_stack(stack.l1_url, stack.addresses["OmniToken"], stack.l2_url,
                                        Path(opts.workdir) / "relay")
        try:
            _print_endpoints(stack, echo, started)
            echo("Cross-chain relay (4 validators, 1 relayer):")
            for line in relay.describe():
                echo(f"  {line}")
            if opts.demo:
                try:
                    report = await run_full_demo(stack, echo)
                    echo("relay: OMNIT L1 -> chain 7002 and back, and the L2 model attested on 7002")
                    await demo_relay(relay, model_id=report.model_id, echo=echo)
                except Exception as exc:  # report and fail: the demo is a smoke test
                    echo(f"demo FAILED: {type(exc).__name__}: {exc}")
                    return 1
                echo(f"demo finished in {time.monotonic() - started:.1f}s")
                return 0
            echo("Ctrl-C to stop")
            while not stop.is_set():
                failed = stack.service_failed()
                if failed:
                    echo(f"a service stopped: {failed}")
                    return 1
                try:
                    await asyncio.wait_for(stop.wait(), 1.0)
                except TimeoutError:
                    pass
            echo("stopping")
        finally:
            await relay.stop()
    return 0


async def run_demo(stack: object, echo: Echo = print) -> None:
    """The scripted scenario on a running :class:`rollup.devnet_stack.DevnetStack`."""
    from rollup.devnet_demo import run_full_demo

    await run_full_demo(stack, echo)
