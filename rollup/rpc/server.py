"""The aiohttp application: ``POST /`` JSON-RPC, ``GET /health``, ``GET /metrics``.

``create_app(node, settings)`` builds the application (usable with aiohttp's test client);
``start_server`` binds it to a socket and returns a handle with its URL; ``run_server`` serves
until a stop event is set. The body-size limit answers with a JSON-RPC error (HTTP 413) and the
connection is closed cleanly; the server keeps serving other clients.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any, Final

from aiohttp import web

from .dispatch import Dispatcher, error_body
from .errors import LimitExceeded
from .methods import build_batch_table, build_method_table
from .metrics import CONTENT_TYPE_LATEST, RpcMetrics
from .settings import coerce_settings

__all__ = ["create_app", "start_server", "run_server", "RunningServer", "NODE_KEY", "DISPATCHER_KEY"]

NODE_KEY: Final = web.AppKey("omnit_node", object)
"""Application key holding the node facade."""
DISPATCHER_KEY: Final = web.AppKey("omnit_dispatcher", Dispatcher)
"""Application key holding the JSON-RPC dispatcher."""
METRICS_KEY: Final = web.AppKey("omnit_metrics", RpcMetrics)
"""Application key holding the metrics registry."""

_JSON: Final = "application/json"
"""Content type of every JSON-RPC response."""

_log = logging.getLogger(__name__)


def create_app(node: Any, settings: Any = None) -> web.Application:
    """Build the RPC application for ``node`` (an :class:`~rollup.node.node.L2Node` or alike).

    ``settings`` is :class:`RpcSettings`, the node's settings (``rpc_*`` fields) or ``None``."""
    settings = coerce_settings(settings)
    methods = build_method_table(node, settings)
    metrics = RpcMetrics(methods)
    dispatcher = Dispatcher(methods, max_batch=settings.max_batch, metrics=metrics,
                            batch_methods=build_batch_table(node))
    app = web.Application(client_max_size=settings.max_body_bytes)
    app[NODE_KEY] = node
    app[DISPATCHER_KEY] = dispatcher
    app[METRICS_KEY] = metrics
    limit = settings.max_body_bytes
    cors = settings.cors_origin

    def _headers() -> dict[str, str] | None:
        if cors is None:
            return None
        return {
            "Access-Control-Allow-Origin": cors,
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
        }

    async def rpc(request: web.Request) -> web.StreamResponse:
        length = request.content_length
        if length is not None and length > limit:
            return _too_large(length, limit, metrics)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _too_large(None, limit, metrics)
        out = await dispatcher.handle_body(body)
        if out is None:
            return web.Response(status=204, headers=_headers())
        return web.Response(body=out, content_type=_JSON, headers=_headers())

    async def options(_request: web.Request) -> web.StreamResponse:
        return web.Response(status=204, headers=_headers())

    async def health(_request: web.Request) -> web.StreamResponse:
        try:
            status = await node.sync_status()
        except Exception as exc:  # the node is not able to answer: not healthy
            return _json_response({"status": "down", "error": type(exc).__name__}, 503)
        live = bool(getattr(status, "sequencer_active", True))
        body = {"status": "ok" if live else "standby", "head": status.unsafe,
                "safe": status.safe, "finalized": status.finalized}
        return _json_response(body, 200 if live else 503)

    async def metrics_view(_request: web.Request) -> web.StreamResponse:
        await _refresh_node_gauges(node, metrics)
        return web.Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_post("/", rpc)
    app.router.add_route("OPTIONS", "/", options)
    app.router.add_get("/health", health)
    app.router.add_get("/metrics", metrics_view)
    return app


@dataclass
class RunningServer:
    """A bound server: its URL and how to stop it."""

    runner: web.AppRunner
    host: str
    port: int

    @property
    def url(self) -> str:
        """The HTTP URL clients use."""
        return f"http://{self.host}:{self.port}"

    async def stop(self) -> None:
        """Stop accepting, finish in-flight requests, release the socket."""
        await self.runner.cleanup()


async def start_server(node: Any, settings: Any = None) -> RunningServer:
    """Bind the RPC application on ``settings.host:settings.port`` (port 0 picks a free port)."""
    settings = coerce_settings(settings)
    app = create_app(node, settings)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port, backlog=1024, reuse_address=True)
    await site.start()
    port = settings.port
    server = getattr(site, "_server", None)
    if server is not None and server.sockets:
        port = server.sockets[0].getsockname()[1]
    _log.info("JSON-RPC listening on http://%s:%d", settings.host, port)
    return RunningServer(runner=runner, host=settings.host, port=port)


async def run_server(node: Any, settings: Any = None,
                     stop: asyncio.Event | None = None) -> None:
    """Serve until ``stop`` is set (forever if no event is given), then shut down cleanly."""
    server = await start_server(node, settings)
    try:
        await (stop.wait() if stop is not None else asyncio.Event().wait())
    finally:
        await server.stop()


def _too_large(length: int | None, limit: int, metrics: RpcMetrics) -> web.Response:
    metrics.http_request("rejected")
    got = f"{length} bytes" if length is not None else "more than that"
    err = LimitExceeded(f"request body too large: {got}, the limit is {limit} bytes",
                        {"limit": limit, "got": length})
    return web.Response(status=413, body=error_body(err), content_type=_JSON)


def _json_response(body: dict[str, Any], status: int) -> web.Response:
    return web.Response(status=status, body=json.dumps(body).encode(), content_type=_JSON)


async def _refresh_node_gauges(node: Any, metrics: RpcMetrics) -> None:
    """Copy the node's figures into the gauges before a scrape (best effort)."""
    stats: dict[str, Any] = {}
    try:
        status = await node.sync_status()
        stats.update(head=status.unsafe, safe=status.safe, finalized=status.finalized,
                     mempool_size=getattr(status, "pending_count", None))
    except Exception:  # a scrape must not fail because the node is busy
        _log.debug("sync_status failed during scrape", exc_info=True)
    node_stats = getattr(node, "stats", None)
    if callable(node_stats):
        try:
            extra = node_stats()
            if asyncio.iscoroutine(extra):
                extra = await extra
            if isinstance(extra, dict):
                stats.update({k: v for k, v in extra.items() if isinstance(v, (int, float))})
        except Exception:
            _log.debug("stats failed during scrape", exc_info=True)
    metrics.set_node_gauges(stats)
