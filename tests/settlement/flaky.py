"""A flaky JSON-RPC proxy in front of anvil: refuses, drops, delays or loses responses."""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter

import aiohttp
from aiohttp import web


class FlakyProxy:
    """Forwards JSON-RPC to ``upstream``; a share ``fail_rate`` of requests fail, in kinds:
    502 before forwarding, a hang past the client's timeout, a lost response after the upstream
    processed it (so writes do happen), or a "header not found" JSON-RPC error."""

    def __init__(self, upstream: str, fail_rate: float = 0.3, hang: float = 1.0,
                 seed: int = 7) -> None:
        self.upstream = upstream
        self.fail_rate = fail_rate
        self.hang = hang
        self.rng = random.Random(seed)
        self.stats: Counter[str] = Counter()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""

    async def __aenter__(self) -> FlakyProxy:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_post("/", self.handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None and self._session is not None
        await self._session.close()
        await self._runner.cleanup()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        roll = self.rng.random()
        share = self.fail_rate / 4
        if roll < share:
            self.stats["502"] += 1
            return web.Response(status=502, text="bad gateway")
        if roll < 2 * share:
            self.stats["hang"] += 1
            await asyncio.sleep(self.hang)
            return web.Response(status=504, text="gateway timeout")
        if roll < 3 * share:
            self.stats["header not found"] += 1
            ident = json.loads(body).get("id") if body.startswith(b"{") else None
            return web.json_response({"jsonrpc": "2.0", "id": ident,
                                      "error": {"code": -32000, "message": "header not found"}})
        assert self._session is not None
        async with self._session.post(self.upstream, data=body,
                                      headers={"Content-Type": "application/json"}) as resp:
            data = await resp.read()
        if roll < 4 * share:
            self.stats["lost response"] += 1
            return web.Response(status=503, text="upstream reset")
        self.stats["ok"] += 1
        return web.Response(body=data, content_type="application/json")
