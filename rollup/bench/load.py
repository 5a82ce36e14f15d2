"""The load generator: send pre-signed transactions as JSON-RPC batches and watch them land.

Batch bodies are serialized before the clock starts, so the generator's own CPU cost during the
run is one HTTP request and one small JSON parse per batch. A watcher task follows the chain head
from the start and records when the last of our transactions appears in a block.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from dataclasses import dataclass, field
from typing import Any, Final, Sequence

import aiohttp

__all__ = ["RpcSession", "LoadResult", "run_load", "percentile", "batch_body", "InclusionTimeout"]

_POLL_INTERVAL: Final = 0.05
"""Seconds between head polls of the inclusion watcher."""

_OVERLOAD_CODE: Final = -32005
"""JSON-RPC "limit exceeded": the node asks us to back off; the batch entries are retried."""


class InclusionTimeout(RuntimeError):
    """Not all transactions were included before the deadline."""


class RpcSession:
    """A thin JSON-RPC client over one aiohttp session."""

    def __init__(self, url: str, session: aiohttp.ClientSession) -> None:
        self.url = url
        self.session = session
        self._id = 0

    async def call(self, method: str, *params: Any) -> Any:
        """One call; raises RuntimeError with the error object on failure."""
        self._id += 1
        body = {"jsonrpc": "2.0", "id": self._id, "method": method, "params": list(params)}
        async with self.session.post(self.url, json=body) as resp:
            out = await resp.json(content_type=None)
        if "error" in out:
            raise RuntimeError(f"{method}: {out['error']}")
        return out["result"]

    async def post_raw(self, body: bytes) -> Any:
        """POST a pre-serialized body, return the parsed response."""
        async with self.session.post(self.url, data=body, headers={"Content-Type": "application/json"}) as resp:
            return json.loads(await resp.read())


def batch_body(raws: Sequence[str], first_id: int = 0) -> bytes:
    """A JSON-RPC batch of eth_sendRawTransaction calls."""
    return json.dumps([
        {"jsonrpc": "2.0", "id": first_id + i, "method": "eth_sendRawTransaction", "params": [raw]}
        for i, raw in enumerate(raws)
    ]).encode()


def _retry_body(raws: Sequence[str], ids: Sequence[int]) -> bytes:
    """A batch re-sending the entries ``ids`` (their ids are their indexes into ``raws``)."""
    return json.dumps([{"jsonrpc": "2.0", "id": i, "method": "eth_sendRawTransaction", "params": [raws[i]]}
                       for i in ids]).encode()


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending sequence."""
    if not sorted_values:
        return 0.0
    rank = max(0, min(len(sorted_values) - 1, math.ceil(pct / 100 * len(sorted_values)) - 1))
    return sorted_values[rank]


@dataclass
class LoadResult:
    """Timings of one run."""

    sent: int
    accepted: int
    rejected: int
    first_send: float
    last_accept: float
    all_included: float
    latencies: list[float] = field(default_factory=list)
    blocks: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The figures the benchmark prints."""
        lat = sorted(self.latencies)
        accept_span = max(self.last_accept - self.first_send, 1e-9)
        e2e_span = max(self.all_included - self.first_send, 1e-9)
        return {
            "txs": self.sent,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "accepted_tps": round(self.accepted / accept_span, 1),
            "e2e_tps": round(self.accepted / e2e_span, 1),
            "accept_seconds": round(accept_span, 3),
            "e2e_seconds": round(e2e_span, 3),
            "accept_p50_ms": round(percentile(lat, 50) * 1000, 2),
            "accept_p99_ms": round(percentile(lat, 99) * 1000, 2),
            "blocks": self.blocks,
            "errors": self.errors,
        }


async def _watch_inclusion(rpc: RpcSession, hashes: set[str], start_block: int, deadline: float,
                           done: asyncio.Event) -> tuple[float, int]:
    """Follow the head until every hash in ``hashes`` is in a block; return (time, blocks seen)."""
    next_block = start_block + 1
    blocks = 0
    while True:
        head = int(await rpc.call("eth_blockNumber"), 16)
        while next_block <= head:
            block = await rpc.call("eth_getBlockByNumber", hex(next_block), False)
            if block is None:
                break
            txs = block["transactions"]
            if txs:
                blocks += 1
                hashes.difference_update(txs)
            next_block += 1
            if not hashes and done.is_set():
                return time.perf_counter(), blocks
        if not hashes and done.is_set():
            return time.perf_counter(), blocks
        if time.perf_counter() > deadline:
            raise InclusionTimeout(f"{len(hashes)} transactions still not included")
        await asyncio.sleep(_POLL_INTERVAL)


async def run_load(url: str, raws: Sequence[str], hashes: Sequence[str], *, batch: int, concurrency: int,
                   timeout: float = 600.0) -> LoadResult:
    """Send ``raws`` in batches with ``concurrency`` batches in flight; wait for all inclusions."""
    chunks = [list(range(i, min(i + batch, len(raws)))) for i in range(0, len(raws), batch)]
    bodies = [batch_body([raws[j] for j in chunk], chunk[0]) for chunk in chunks]
    connector = aiohttp.TCPConnector(limit=concurrency + 4)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        rpc = RpcSession(url, session)
        start_block = int(await rpc.call("eth_blockNumber"), 16)
        pending = set(hashes)
        accepted_hashes: set[str] = set()
        latencies: list[float] = []
        errors: dict[str, int] = {}
        rejected = 0
        last_accept = 0.0
        queue: asyncio.Queue[int] = asyncio.Queue()
        for k in range(len(bodies)):
            queue.put_nowait(k)
        sending_done = asyncio.Event()
        first_send = time.perf_counter()
        watcher = asyncio.create_task(
            _watch_inclusion(rpc, pending, start_block, first_send + timeout, sending_done))

        async def worker() -> None:
            nonlocal rejected, last_accept
            while True:
                try:
                    k = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                body = bodies[k]
                while True:
                    t0 = time.perf_counter()
                    out = await rpc.post_raw(body)
                    t1 = time.perf_counter()
                    if isinstance(out, dict):  # the whole batch was refused
                        if out.get("error", {}).get("code") == _OVERLOAD_CODE:
                            await asyncio.sleep(0.05)
                            continue
                        raise RuntimeError(f"batch refused: {out.get('error')}")
                    retry = [r for r in out if r.get("error", {}).get("code") == _OVERLOAD_CODE]
                    if retry:
                        await asyncio.sleep(0.05)
                        body = _retry_body(raws, [r["id"] for r in retry])
                    for r in out:
                        if "result" in r:
                            accepted_hashes.add(r["result"])
                            latencies.append(t1 - t0)
                        elif r["error"].get("code") != _OVERLOAD_CODE:
                            rejected += 1
                            msg = r["error"].get("message", "")[:60]
                            errors[msg] = errors.get(msg, 0) + 1
                    last_accept = t1
                    if not retry:
                        break

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        if rejected:
            pending.intersection_update(accepted_hashes)
        sending_done.set()
        all_included, blocks = await watcher
    return LoadResult(len(raws), len(accepted_hashes), rejected, first_send, last_accept, all_included,
                      latencies, blocks, errors)
