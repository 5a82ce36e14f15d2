"""``omnit bench relayer --json``: destination gas (``relayer.bench_gas``), the latency from an
origin Dispatch to the destination delivery on the devnet stack, and delivery throughput with one
and with three relayer processes sharing a PostgreSQL queue. ``ratio`` (BLS/ECDSA burst per
message at 64 validators) stays the last key.

Latency: two anvils (automine), four HTTP validators and one relayer in this process,
confirmations 0, one message at a time, L1 -> 7002; measured from the dispatch receipt to the
recipient's balance on 7002.

Throughput: ``n`` messages are dispatched and signed by the validators first (their frontier
reaches ``n``); then ``k`` relayer processes (``python -m relayer.cli relayer``, one wallet each,
one PostgreSQL database) are started and the clock runs until every message is delivered
(``messages_per_second``, which includes the processes' start, about 2 s of CPU each); the rate
from the first delivery seen to the last is ``after_first_delivery_per_second``.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from bridge_contracts.anvil import AnvilProcess, DevAccounts, dev_accounts
from bridge_contracts.deploy import at
from .chain import make_web3
from .contracts import transact
from .devnet import RelayStack, start_relay_stack
from .routes import send_tokens

__all__ = ["measure_latency", "measure_throughput", "measure", "run", "bench_relayer_cmd", "DEFAULT_PG"]

DEFAULT_PG = os.environ.get("OMNIT_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
"""Server on which the throughput benchmark creates (and drops) its database."""

E18 = 10**18


async def _fund(stack: RelayStack, user: Any, total: int) -> tuple[Any, Any, Any]:
    w3 = make_web3(stack.l1_url)
    accounts = DevAccounts.derive()
    token = at(w3, "OmniToken", stack.contracts.token.address)
    await transact(token.functions.mint(user.address, total), accounts.admin)
    await transact(token.functions.approve(stack.contracts.l1_gateway.address, total), user)
    return w3, token, at(w3, "OmniGateway", stack.contracts.l1_gateway.address)


async def measure_latency(messages: int = 5) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as work:
        async with AnvilProcess(chain_id=7000) as l1:
            stack = await start_relay_stack(l1.url, None, None, work, confirmations=0, poll_interval=0.1)
            try:
                user = DevAccounts.derive().alice
                w3, _token, gateway = await _fund(stack, user, messages * E18)
                w3r = make_web3(stack.remote_url)
                wrapped = at(w3r, "WrappedOMNIT", stack.contracts.wrapped.address)
                samples = []
                for i in range(messages):
                    before = await wrapped.functions.balanceOf(user.address).call()
                    await send_tokens(w3, gateway, user, destination=7002, recipient=user.address, amount=E18)
                    t0 = time.monotonic()
                    while await wrapped.functions.balanceOf(user.address).call() == before:
                        await asyncio.sleep(0.05)
                    samples.append(time.monotonic() - t0)
                await w3.provider.disconnect()
                await w3r.provider.disconnect()
            finally:
                await stack.stop()
    return {"messages": messages, "confirmations": 0, "p50_seconds": round(statistics.median(samples), 2),
            "max_seconds": round(max(samples), 2), "samples": [round(s, 2) for s in samples]}


async def _frontier(urls: list[str], origin: int) -> int:
    async with aiohttp.ClientSession() as s:
        out = []
        for u in urls:
            async with s.get(u + "/health") as r:
                out.append((await r.json())["origins"][str(origin)]["frontier"])
    return min(out)


async def _create_db(server: str) -> str:
    import asyncpg

    name = f"relayer_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(server)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return server.rsplit("/", 1)[0] + "/" + name


async def _drop_db(server: str, url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server)
    await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    await conn.close()


def _config(stack: RelayStack, db_url: str, max_batch: int) -> str:
    lines = []
    for c in stack.chains(0):
        lines += ["[[chains]]", f"chain_id = {c.chain_id}", f'rpc_url = "{c.rpc_url}"', f'mailbox = "{c.mailbox}"',
                  "confirmations = 0", f"start_block = {c.start_block}", ""]
    urls = ", ".join(f'"{u}"' for u in stack.validator_urls)
    lines += ["[relayer]", f"validators = [{urls}]", f'db_url = "{db_url}"', "poll_interval = 0.1",
              f"max_batch = {max_batch}", "lease_seconds = 120"]
    return "\n".join(lines) + "\n"


async def measure_throughput(workers: int, messages: int = 48, pg_server: str = DEFAULT_PG,
                             max_batch: int = 16) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as work:
        async with AnvilProcess(chain_id=7000) as l1:
            stack = await start_relay_stack(l1.url, None, None, work, confirmations=0, poll_interval=0.1,
                                            start_relayer=False)
            db_url = await _create_db(pg_server)
            procs: list[subprocess.Popen[bytes]] = []
            try:
                user = DevAccounts.derive().alice
                w3, _token, gateway = await _fund(stack, user, messages * E18)
                recipient = "0x" + "5a" * 20
                for _ in range(messages):
                    await transact(gateway.functions.bridge(7002, bytes(12) + bytes.fromhex(recipient[2:]), E18),
                                   user)
                await w3.provider.disconnect()
                while await _frontier(stack.validator_urls, 7000) < messages:
                    await asyncio.sleep(0.1)
                cfg = Path(work) / "relayer.toml"
                cfg.write_text(_config(stack, db_url, max_batch))
                keys = dev_accounts(10)[6:6 + workers]
                t0 = time.monotonic()
                for i, key in enumerate(keys):
                    env = dict(os.environ, OMNIT_RELAYER_PRIVATE_KEY=key.key.hex(), PYTHONUNBUFFERED="1")
                    log = open(Path(work) / f"relayer-{i}.log", "wb")
                    procs.append(subprocess.Popen([sys.executable, "-m", "relayer.cli", "relayer", "--config",
                                                   str(cfg), "--worker-id", f"bench-{i}"], env=env, stdout=log,
                                                  stderr=subprocess.STDOUT))
                w3r = make_web3(stack.remote_url)
                wrapped = at(w3r, "WrappedOMNIT", stack.contracts.wrapped.address)
                check = w3r.to_checksum_address(recipient)
                deadline = time.monotonic() + 300
                first: tuple[float, int] | None = None
                while (balance := await wrapped.functions.balanceOf(check).call()) < messages * E18:
                    if first is None and balance > 0:
                        first = (time.monotonic(), balance // E18)
                    if time.monotonic() > deadline:
                        raise RuntimeError("throughput benchmark timed out")
                    await asyncio.sleep(0.05)
                done = time.monotonic()
                elapsed = done - t0
                if first is None or done - first[0] < 0.05:
                    steady = None
                else:
                    steady = round((messages - first[1]) / (done - first[0]), 2)
                await w3r.provider.disconnect()
            finally:
                for p in procs:
                    p.terminate()
                for p in procs:
                    try:
                        p.wait(15)
                    except subprocess.TimeoutExpired:
                        p.kill()
                await stack.stop()
                await _drop_db(pg_server, db_url)
    return {"relayers": workers, "messages": messages, "seconds": round(elapsed, 2),
            "messages_per_second": round(messages / elapsed, 2),
            "after_first_delivery_per_second": steady}


async def measure(gas: bool = True, pg_server: str = DEFAULT_PG) -> dict[str, Any]:
    from .bench_gas import measure as measure_gas

    out: dict[str, Any] = {"benchmark": "relayer"}
    gas_table = await measure_gas() if gas else {}
    ratio = gas_table.pop("ratio", None)
    out["gas"] = gas_table
    out["latency"] = await measure_latency()
    out["throughput"] = [await measure_throughput(1, pg_server=pg_server),
                         await measure_throughput(3, pg_server=pg_server)]
    out["ratio"] = ratio
    return out


def run(gas: bool = True, pg_server: str = DEFAULT_PG) -> dict[str, Any]:
    return asyncio.run(measure(gas, pg_server))


def _make_cmd() -> Any:
    import click

    @click.command("relayer")
    @click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
    @click.option("--no-gas", is_flag=True, help="Skip the gas table (about 45 s).")
    def bench_relayer(as_json: bool, no_gas: bool) -> None:
        """Relay gas (BLS vs ECDSA), latency origin -> destination, msgs/s with 1 and 3 relayers."""
        result = run(gas=not no_gas)
        click.echo(json.dumps(result) if as_json else json.dumps(result, indent=2))

    return bench_relayer


bench_relayer_cmd = _make_cmd()
"""The click command the lead mounts as ``omnit bench relayer``."""

if __name__ == "__main__":
    bench_relayer_cmd()
