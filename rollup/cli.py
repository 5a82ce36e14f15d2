"""The ``omnit`` command line: services (sequencer, devnet), user commands, keys and benchmarks.

Every command is a thin wrapper: the work lives in library modules (``rollup.rpc.service``,
``rollup.devnet``, ``rollup.rpc.client``, ``rollup.bench.sequencer``) that tests call directly.
Other packages' groups (``prover``) are registered lazily, so a missing or broken one never breaks
the rest of the CLI.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import sys
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Final, Optional

import click

__all__ = ["main", "omnit", "DEFAULT_RPC_URL", "parse_amount"]

DEFAULT_RPC_URL: Final = "http://127.0.0.1:9545"
"""Where user commands find the L2 JSON-RPC unless ``--rpc-url``/``OMNIT_RPC_URL`` says otherwise."""

_UNITS: Final = {"wei": 0, "gwei": 9, "omnit": 18, "ether": 18, "eth": 18}
"""Amount suffixes accepted by ``--value``/``--fee`` and their decimal exponents."""


def parse_amount(text: str) -> int:
    """``"1.5omnit"``, ``"2 gwei"``, ``"1000"`` (wei) -> wei."""
    raw = text.strip().lower().replace(" ", "")
    exp = 0
    for unit, e in sorted(_UNITS.items(), key=lambda kv: -len(kv[0])):
        if raw.endswith(unit):
            raw, exp = raw[: -len(unit)], e
            break
    try:
        value = Decimal(raw) * (Decimal(10) ** exp)
    except InvalidOperation:
        raise click.BadParameter(f"{text!r} is not an amount (examples: 1000, 2gwei, 1.5omnit)") from None
    if value < 0 or value != value.to_integral_value():
        raise click.BadParameter(f"{text!r} is not a whole, non-negative number of wei")
    return int(value)


class _AmountType(click.ParamType):
    name = "amount"

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        return value if isinstance(value, int) else parse_amount(str(value))


AMOUNT: Final = _AmountType()
"""Click parameter type for OMNIT amounts with units."""


class _LazyGroup(click.Group):
    """A group whose sub-commands from other packages are imported on first use."""

    lazy: dict[str, tuple[str, str]] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, name: str) -> Optional[click.Command]:
        cmd = super().get_command(ctx, name)
        return cmd if cmd is not None else self._load(name)

    def _load(self, name: str) -> Optional[click.Command]:
        target = self.lazy.get(name)
        if target is None:
            return None
        module, attr = target
        # Every lazy target ships in this distribution: an import error is a bug and must be loud.
        cmd = getattr(importlib.import_module(module), attr)
        if not isinstance(cmd, click.Command):
            raise TypeError(f"{module}.{attr} is not a click command")
        return cmd


class _RootGroup(_LazyGroup):
    lazy = {"prover": ("prover.cli", "prover"), "replica": ("rollup.derivation.cli", "replica"),
            "bridge": ("rollup.bridge.cli", "bridge"),
            "batcher": ("rollup.settlement.cli", "batcher_cmd"),
            "proposer": ("rollup.settlement.cli", "proposer_cmd"),
            "validator": ("relayer.cli", "validator_cmd"),
            "relayer": ("relayer.cli", "relayer_cmd")}


class _BenchGroup(_LazyGroup):
    lazy = {"prover": ("prover.cli", "bench"), "batch": ("rollup.batch.cli", "bench_batch"),
            "relayer": ("relayer.bench", "bench_relayer_cmd")}


def _run(coro_fn: Callable[[], Any]) -> Any:
    """Run a coroutine, turning our typed errors into clean CLI errors."""
    from rollup.keys import KeyError_
    from rollup.rpc.client import ClientError

    import aiohttp

    try:
        return asyncio.run(coro_fn())
    except (KeyError_, ClientError) as exc:
        raise click.ClickException(str(exc)) from exc
    except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
        raise click.ClickException(f"cannot reach the node: {exc or type(exc).__name__}") from exc
    except KeyboardInterrupt:
        raise SystemExit(130) from None


@click.group(cls=_RootGroup)
@click.version_option(package_name="omnitensor-rollup", prog_name="omnit")
def omnit() -> None:
    """OmniTensor L2 rollup: sequencer, devnet, user commands and benchmarks."""


# -- services ------------------------------------------------------------------------------

@omnit.command()
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              help="TOML settings file (keys of NodeSettings; OMNIT_* variables override).")
@click.option("--rpc-port", type=int, default=None, help="Override the JSON-RPC port.")
@click.option("--db-url", default=None, help="Override the database URL (sqlite:///... or postgresql://...).")
def sequencer(config_path: str | None, rpc_port: int | None, db_url: str | None) -> None:
    """Run the L2 node and its JSON-RPC server until SIGINT/SIGTERM."""
    from rollup.node.config import ConfigError, load_settings
    from rollup.rpc.service import serve_until_stopped

    overrides: dict[str, Any] = {}
    if rpc_port is not None:
        overrides["rpc_port"] = rpc_port
    if db_url is not None:
        overrides["db_url"] = db_url
    try:
        settings = load_settings(config_path, **overrides)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    _ensure_sqlite_dir(settings.db_url)

    def ready(node: Any, server: Any) -> None:
        click.echo(json.dumps({"event": "ready", "rpc_url": server.url, "chain_id": node.chain_id}), err=True)

    _run_service(lambda: serve_until_stopped(settings, on_ready=ready))


def _run_service(coro_fn: Callable[[], Any]) -> Any:
    """Run a long-lived service; if its shutdown fails, report it and exit non-zero at once.

    Acknowledged transactions are already durable, so a hard exit loses nothing; without it a
    store thread left open by a failed shutdown would keep the process alive after Ctrl-C."""
    try:
        return asyncio.run(coro_fn())
    except KeyboardInterrupt:
        os._exit(130)
    except BaseException as exc:  # noqa: BLE001 - the last line of defence of a service process
        import traceback

        traceback.print_exception(exc)
        click.echo(f"omnit: stopped with an error: {type(exc).__name__}: {exc}", err=True)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)


def _ensure_sqlite_dir(db_url: str) -> None:
    if db_url.startswith("sqlite:///"):
        path = db_url[len("sqlite:///"):]
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, exist_ok=True)


@omnit.command()
@click.option("--dir", "workdir", default=".omnit/devnet", show_default=True, help="Data directory.")
@click.option("--port", default=9545, show_default=True, help="L2 JSON-RPC port (0: any free port).")
@click.option("--demo", is_flag=True, help="Run the scripted scenario against the devnet, then exit.")
@click.option("--fresh/--keep", default=True, show_default=True, help="Start from an empty database.")
def devnet(workdir: str, port: int, demo: bool, fresh: bool) -> None:
    """Start the devnet: anvil L1 + contracts, L2 sequencer, watcher, batcher, proposer (Ctrl-C stops it)."""
    from rollup.devnet import DevnetOptions, run_devnet

    code = _run_service(lambda: run_devnet(DevnetOptions(workdir=workdir, port=port, demo=demo, fresh=fresh),
                                           echo=click.echo))
    sys.exit(code)


# -- user commands -------------------------------------------------------------------------

def _client_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option("--keystore", type=click.Path(exists=True, dir_okay=False), default=None,
                      help="Encrypted keystore (password from OMNIT_KEYSTORE_PASSWORD or prompt). "
                           "Default: the key in OMNIT_PRIVATE_KEY.")(fn)
    fn = click.option("--rpc-url", envvar="OMNIT_RPC_URL", default=DEFAULT_RPC_URL, show_default=True,
                      help="L2 JSON-RPC URL (env OMNIT_RPC_URL).")(fn)
    fn = click.option("--timeout", default=60.0, show_default=True, help="Seconds to wait for the receipt.")(fn)
    return fn


def _session(rpc_url: str, keystore: str | None, timeout: float, need_key: bool = True) -> Any:
    from rollup.keys import KeyError_, load_account
    from rollup.rpc.client import OmniClient

    try:
        account = load_account(keystore, prompt=lambda p: click.prompt(p, hide_input=True)) if need_key else None
    except KeyError_ as exc:
        raise click.ClickException(str(exc)) from exc
    return OmniClient(rpc_url, account, timeout=timeout)


def _report(outcome: Any) -> None:
    click.echo(outcome.describe())
    if not outcome.ok:
        sys.exit(1)


@omnit.group()
def tx() -> None:
    """Transactions."""


@tx.command("send")
@click.option("--to", "to", required=True, help="Recipient address (0x...).")
@click.option("--value", type=AMOUNT, required=True, help="Amount: wei, or with a unit (1.5omnit, 2gwei).")
@_client_options
def tx_send(to: str, value: int, rpc_url: str, keystore: str | None, timeout: float) -> None:
    """Send OMNIT to an address and wait for the receipt."""
    client = _session(rpc_url, keystore, timeout)
    _report(_run(lambda: client.transfer(to, value)))


@omnit.group()
def task() -> None:
    """AI tasks: post, submit a result, attest, status."""


@task.command("post")
@click.option("--model-id", type=int, required=True, help="Registered model id.")
@click.option("--input", "input_commitment", required=True, help="32-byte input commitment (0x...).")
@click.option("--fee", type=AMOUNT, required=True, help="Fee escrowed for the task (e.g. 1omnit).")
@click.option("--deadline", type=int, default=3600, show_default=True, help="Seconds from now until expiry.")
@_client_options
def task_post(model_id: int, input_commitment: str, fee: int, deadline: int,
              rpc_url: str, keystore: str | None, timeout: float) -> None:
    """Post an AI task with a fee."""
    client = _session(rpc_url, keystore, timeout)
    _report(_run(lambda: client.post_task(model_id, input_commitment, fee, deadline)))


@task.command("submit")
@click.option("--task-id", type=int, required=True)
@click.option("--output", "output_commitment", required=True, help="32-byte result commitment (0x...).")
@_client_options
def task_submit(task_id: int, output_commitment: str, rpc_url: str, keystore: str | None, timeout: float) -> None:
    """Submit a result commitment for a task (compute nodes)."""
    client = _session(rpc_url, keystore, timeout)
    _report(_run(lambda: client.submit_result(task_id, output_commitment)))


@task.command("attest")
@click.option("--task-id", type=int, required=True)
@click.option("--reject", is_flag=True, help="Attest that the result is wrong.")
@_client_options
def task_attest(task_id: int, reject: bool, rpc_url: str, keystore: str | None, timeout: float) -> None:
    """Attest a submitted result (validators)."""
    client = _session(rpc_url, keystore, timeout)
    _report(_run(lambda: client.attest_result(task_id, not reject)))


@task.command("status")
@click.option("--task-id", type=int, required=True)
@click.option("--rpc-url", envvar="OMNIT_RPC_URL", default=DEFAULT_RPC_URL, show_default=True)
def task_status(task_id: int, rpc_url: str) -> None:
    """Show a task's record."""
    client = _session(rpc_url, None, 10.0, need_key=False)
    record = _run(lambda: client.task_status(task_id))
    if record is None:
        raise click.ClickException(f"no task {task_id}")
    click.echo(json.dumps(record, indent=2))


class _ModelGroup(_LazyGroup):
    lazy = {"attest": ("relayer.cli", "model_attest")}


@omnit.group(cls=_ModelGroup)
def model() -> None:
    """Models: register on the L2, attest on another chain."""


@model.command("register")
@click.option("--weights", "weights_commitment", required=True, help="32-byte weights commitment (0x...).")
@click.option("--uri", "metadata_uri", default="", help="Metadata URI.")
@_client_options
def model_register(weights_commitment: str, metadata_uri: str, rpc_url: str, keystore: str | None,
                   timeout: float) -> None:
    """Register a model by its weights commitment."""
    client = _session(rpc_url, keystore, timeout)
    _report(_run(lambda: client.register_model(weights_commitment, metadata_uri)))


@omnit.group()
def keys() -> None:
    """Keys and keystores."""


@keys.command("new")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="Keystore file to write.")
@click.password_option(envvar="OMNIT_KEYSTORE_PASSWORD", help="Keystore password (env OMNIT_KEYSTORE_PASSWORD).")
def keys_new(out_path: str, password: str) -> None:
    """Create a random key and write it as an encrypted keystore."""
    from rollup.keys import new_account, write_keystore

    account = new_account()
    try:
        path = write_keystore(out_path, account, password)
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"address {account.address}\nkeystore {path}")


# -- benchmarks ----------------------------------------------------------------------------

@omnit.group(cls=_BenchGroup)
def bench() -> None:
    """Benchmarks."""


@bench.command("sequencer")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines (the last one has the ratio).")
@click.option("-n", "--txs", default=20_000, show_default=True, help="Transfers to send.")
@click.option("--senders", default=200, show_default=True, help="Distinct funded senders.")
@click.option("--batch", default=500, show_default=True, help="Transactions per JSON-RPC batch.")
@click.option("--concurrency", default=8, show_default=True, help="Batches in flight.")
@click.option("--db", type=click.Choice(["sqlite", "postgres"]), default="sqlite", show_default=True)
@click.option("--pg-dsn", envvar="OMNIT_TEST_PG_DSN", default="postgresql://postgres@127.0.0.1:5432/postgres",
              show_default=True, help="PostgreSQL server for --db postgres (a scratch database is made).")
@click.option("--no-anvil", is_flag=True, help="Skip the anvil peer run.")
@click.option("--profile", type=click.Path(dir_okay=False), default=None,
              help="Write a cProfile of the node process here.")
def bench_sequencer(as_json: bool, txs: int, senders: int, batch: int, concurrency: int, db: str,
                    pg_dsn: str, no_anvil: bool, profile: str | None) -> None:
    """Transfers/s of our sequencer over JSON-RPC, and of anvil --block-time 1 under the same load."""
    from rollup.bench.sequencer import BenchOptions, run_benchmark

    opts = BenchOptions(txs=txs, senders=senders, batch=batch, concurrency=concurrency, db=db,
                        pg_dsn=pg_dsn, anvil=not no_anvil, profile=profile)
    lines = asyncio.run(run_benchmark(opts, log=lambda m: click.echo(m, err=True)))
    for line in lines:
        click.echo(json.dumps(line) if as_json else "  ".join(f"{k}={v}" for k, v in line.items()))


def main() -> None:
    """Console-script entry point (``omnit``)."""
    omnit(prog_name="omnit")


if __name__ == "__main__":
    main()
