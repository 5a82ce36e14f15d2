"""``omnit bench sequencer``: end-to-end transfers per second, ours against anvil.

One run:

1. pre-sign ``txs`` transfers from ``senders`` throwaway keys (round robin, nonces 0, 1, ...),
   chain id 7001, so the very same bytes are valid on both chains;
2. for each target (our sequencer as a subprocess on SQLite or PostgreSQL, then anvil with
   ``--block-time 1``, ``--chain-id 7001`` and our block gas limit ``--gas-limit 100000000``,
   so the peer is measured at its capacity, not capped at 1,428 transfers per block by its
   30M default): start it, fund the senders with transfers from the first dev account (the
   same mnemonic funds both), send the load as JSON-RPC batches, wait until every transaction
   is in a block, stop it;
3. report one JSON object per target and a last line with ``ratio`` = ours / anvil end-to-end.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Final

from eth_account import Account

from rollup.keys import bench_keys

from .load import RpcSession, batch_body, run_load
from .procs import ANVIL_GAS_LIMIT, ManagedProcess, cpu_seconds, start_anvil, start_sequencer, wait_rpc_ready
from .signing import TransferSigner

__all__ = ["BenchOptions", "run_benchmark", "presign", "CHAIN_ID", "MAX_FEE", "TIP", "FUNDING"]

CHAIN_ID: Final = 7001
"""The L2 chain id; anvil is started with it too so the same signed bytes work on both."""
MAX_FEE: Final = 50 * 10**9
"""Fee cap of the load (50 gwei): above both chains' base fees even as anvil's climbs under load."""
TIP: Final = 10**6
"""Priority fee of the load (0.001 gwei)."""
FUNDING: Final = 10**18
"""Wei sent to each sender before the run (1 OMNIT covers 100 transfers at the fee cap)."""
DEV_MNEMONIC: Final = "test test test test test test test test test test test junk"
"""Funded on our dev genesis and on anvil by default."""
_RECIPIENT_COUNT: Final = 64
"""Distinct recipients of the load (fresh addresses, so every transfer creates or touches state)."""


@dataclass(frozen=True)
class BenchOptions:
    """What to run."""

    txs: int = 20_000
    senders: int = 200
    batch: int = 500
    concurrency: int = 8
    db: str = "sqlite"
    pg_dsn: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    anvil: bool = True
    profile: str | None = None
    workdir: str | None = None
    timeout: float = 600.0


def presign(txs: int, senders: int) -> tuple[list[str], list[str], list[Any]]:
    """``txs`` signed transfers (raw hex, hash hex) and the sender accounts."""
    accounts = bench_keys(senders)
    signers = [TransferSigner(bytes(a.key), CHAIN_ID, max_fee=MAX_FEE, tip=TIP) for a in accounts]
    recipients = [bytes([0xBE, 0xEF]) + i.to_bytes(18, "big") for i in range(_RECIPIENT_COUNT)]
    raws: list[str] = []
    hashes: list[str] = []
    for i in range(txs):
        s, nonce = i % senders, i // senders
        signed = signers[s].sign(nonce, recipients[i % _RECIPIENT_COUNT], 1 + i % 1000)
        raws.append(signed.raw_hex)
        hashes.append(signed.hash_hex)
    return raws, hashes, accounts


async def fund_senders(url: str, accounts: list[Any], amount: int = FUNDING, timeout: float = 120.0) -> None:
    """Send ``amount`` to each account from dev account 0 and wait until all are included."""
    import aiohttp

    Account.enable_unaudited_hdwallet_features()
    dev = Account.from_mnemonic(DEV_MNEMONIC)

    async with aiohttp.ClientSession() as session:
        rpc = RpcSession(url, session)
        nonce = int(await rpc.call("eth_getTransactionCount", dev.address, "pending"), 16)
        signer = TransferSigner(bytes(dev.key), CHAIN_ID, max_fee=MAX_FEE, tip=TIP)
        txs = [signer.sign(nonce + i, bytes.fromhex(a.address[2:]), amount) for i, a in enumerate(accounts)]
        # the pool buffers at most a small nonce gap, so send in order, in chunks
        for start in range(0, len(txs), 50):
            chunk = txs[start:start + 50]
            out = await rpc.post_raw(batch_body([t.raw_hex for t in chunk]))
            bad = [r for r in out if "error" in r]
            if bad:
                raise RuntimeError(f"funding refused: {bad[0]['error']}")
        deadline = time.monotonic() + timeout
        last = txs[-1].hash_hex
        while time.monotonic() < deadline:
            receipt = await rpc.call("eth_getTransactionReceipt", last)
            if receipt is not None:
                break
            await asyncio.sleep(0.1)
        else:
            raise RuntimeError("funding transactions were not included in time")
        balance = int(await rpc.call("eth_getBalance", accounts[-1].address, "latest"), 16)
        if balance < amount:
            raise RuntimeError(f"sender not funded: balance {balance}")


async def _measure(node: ManagedProcess, opts: BenchOptions, raws: list[str], hashes: list[str],
                   accounts: list[Any], log: Callable[[str], None]) -> dict[str, Any]:
    try:
        await wait_rpc_ready(node)
        log(f"{node.name}: ready at {node.url}; funding {len(accounts)} senders")
        await fund_senders(node.url, accounts)
        log(f"{node.name}: sending {len(raws)} transfers in batches of {opts.batch} x{opts.concurrency}")
        cpu_before = cpu_seconds(node.proc.pid)
        result = await run_load(node.url, raws, hashes, batch=opts.batch, concurrency=opts.concurrency,
                                timeout=opts.timeout)
        cpu_after = cpu_seconds(node.proc.pid)
        summary = result.summary()
        if cpu_before is not None and cpu_after is not None and result.accepted:
            # server CPU per transaction (all its processes and threads): steadier than tx/s
            summary["server_cpu_us_per_tx"] = round((cpu_after - cpu_before) / result.accepted * 1e6, 1)
        return summary
    finally:
        code = await node.stop()
        if code not in (0, -2, 130):
            log(f"{node.name}: exited with {code}\n{node.tail()}")


async def _create_pg_database(dsn: str) -> tuple[str, str]:
    """A scratch database on the server of ``dsn``: (its DSN, its name)."""
    import asyncpg

    name = f"omnit_bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = dsn.rsplit("/", 1)[0]
    return f"{base}/{name}", name


async def _drop_pg_database(dsn: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def run_benchmark(opts: BenchOptions, log: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Run the benchmark; return the JSON lines (per target, then the comparison)."""
    t0 = time.perf_counter()
    raws, hashes, accounts = presign(opts.txs, opts.senders)
    log(f"pre-signed {len(raws)} transfers from {len(accounts)} senders in {time.perf_counter() - t0:.1f}s")
    lines: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="omnit-bench-", dir=opts.workdir) as tmp:
        work = Path(tmp)
        pg_name = None
        if opts.db == "postgres":
            db_url, pg_name = await _create_pg_database(opts.pg_dsn)
        else:
            db_url = f"sqlite:///{work / 'l2.sqlite'}"
        try:
            node = start_sequencer(work, db_url, profile=opts.profile)
            ours = await _measure(node, opts, raws, hashes, accounts, log)
        finally:
            if pg_name is not None:
                await _drop_pg_database(opts.pg_dsn, pg_name)
        lines.append({"target": "omnit", "db": opts.db, **ours})
        log(f"omnit: {ours}")
        anvil: dict[str, Any] | None = None
        if opts.anvil:
            peer = start_anvil(work, CHAIN_ID, block_time=1)
            anvil = await _measure(peer, opts, raws, hashes, accounts, log)
            lines.append({"target": "anvil", "block_time": 1, "gas_limit": ANVIL_GAS_LIMIT, **anvil})
            log(f"anvil: {anvil}")
    last: dict[str, Any] = {
        "bench": "sequencer",
        "db": opts.db,
        "txs": opts.txs,
        "senders": opts.senders,
        "ours_accepted_tps": ours["accepted_tps"],
        "ours_e2e_tps": ours["e2e_tps"],
        "ours_accept_p50_ms": ours["accept_p50_ms"],
        "ours_accept_p99_ms": ours["accept_p99_ms"],
    }
    if anvil is not None:
        last.update(anvil_accepted_tps=anvil["accepted_tps"], anvil_e2e_tps=anvil["e2e_tps"],
                    anvil_accept_p50_ms=anvil["accept_p50_ms"], anvil_accept_p99_ms=anvil["accept_p99_ms"],
                    ratio=round(ours["e2e_tps"] / max(anvil["e2e_tps"], 1e-9), 3))
    lines.append(last)
    return lines
