"""The JSON-RPC 2.0 envelope: parse a body, run single or batch calls, build the response body.

Independent of HTTP and of the node: it takes bytes and a method table, and returns bytes.

Batches: the entries are validated first; entries whose method has a *batch handler* (today
``eth_sendRawTransaction``) are handed to it in one call, in array order, so the node validates
them in order and makes them durable with one group commit; the other entries run concurrently
(``asyncio.gather``). Requests without an ``id`` member are notifications and get no response
entry. Metrics are aggregated per batch (one counter update per method and outcome, one latency
observation per HTTP request) to keep the per-call cost low.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from time import perf_counter
from typing import Any, Awaitable, Callable, Final, Mapping, Sequence

from .errors import (
    InternalError,
    InvalidParams,
    InvalidRequest,
    LimitExceeded,
    MethodNotFound,
    ParseError,
    RpcError,
)
from .metrics import RpcMetrics

__all__ = ["Handler", "BatchHandler", "Dispatcher", "error_body", "OUTCOME_OK", "outcome_of"]

Handler = Callable[[list[Any]], Awaitable[Any]]
"""A method implementation: takes the positional params list, returns a JSON-able result."""

BatchHandler = Callable[[Sequence[list[Any]]], Awaitable[list[Any]]]
"""Runs many calls of one method at once: one params list each in, one result or RpcError each out."""

OUTCOME_OK: Final = "ok"
"""Metric outcome label of a successful call."""

_OUTCOMES: Final = {
    -32700: "parse_error",
    -32600: "invalid_request",
    -32601: "method_not_found",
    -32602: "invalid_params",
    -32603: "internal_error",
    -32000: "server_error",
    -32003: "tx_rejected",
    -32002: "unavailable",
    -32005: "limit_exceeded",
    3: "reverted",
}
"""Metric outcome label per error code."""

_BATCH_LABEL: Final = "batch"
"""Latency-histogram label of a batch request."""

_log = logging.getLogger(__name__)
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True).encode
_loads = json.loads


def outcome_of(err: RpcError) -> str:
    """Metric outcome label of an error."""
    return _OUTCOMES.get(err.code, "error")


def error_body(error: RpcError, request_id: Any = None) -> bytes:
    """A complete JSON-RPC error response body."""
    return _dumps({"jsonrpc": "2.0", "id": request_id, "error": error.to_json()}).encode()


class _Call:
    """A validated request: its id (if any), method and params."""

    __slots__ = ("has_id", "id", "method", "params")

    def __init__(self, has_id: bool, request_id: Any, method: str, params: list[Any]) -> None:
        self.has_id = has_id
        self.id = request_id
        self.method = method
        self.params = params


class Dispatcher:
    """Runs JSON-RPC calls against a method table, with batch limits and metrics."""

    def __init__(self, methods: Mapping[str, Handler], *, max_batch: int, metrics: RpcMetrics | None,
                 batch_methods: Mapping[str, BatchHandler] | None = None) -> None:
        self._methods = dict(methods)
        self._batch_methods = dict(batch_methods or {})
        self._max_batch = max_batch
        self._metrics = metrics

    @property
    def method_names(self) -> list[str]:
        """Names of all served methods."""
        return sorted(self._methods)

    async def handle_body(self, body: bytes) -> bytes | None:
        """Answer a request body; ``None`` means nothing to send (only notifications)."""
        start = perf_counter()
        try:
            payload = _loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            self._count_http("rejected")
            return error_body(ParseError(f"parse error: body is not valid JSON ({exc})"))
        if isinstance(payload, list):
            out = await self._handle_batch(payload, start)
            return None if out is None else _dumps(out).encode()
        outcomes: Counter[tuple[str, str]] = Counter()
        response = await self._handle_single(payload, outcomes)
        self._flush(outcomes, payload.get("method") if isinstance(payload, dict) else None, start)
        return None if response is None else _dumps(response).encode()

    # -- single --------------------------------------------------------------------------------

    async def _handle_single(self, request: Any, outcomes: Counter[tuple[str, str]]) -> dict[str, Any] | None:
        call = _validate(request)
        if isinstance(call, dict):
            return call
        try:
            handler = self._methods.get(call.method)
            if handler is None:
                raise MethodNotFound(f"the method {call.method} does not exist/is not available")
            result = await handler(call.params)
        except RpcError as err:
            outcomes[(call.method, outcome_of(err))] += 1
            return _error_response(call.id, err) if call.has_id else None
        except Exception as exc:  # a bug: answer, log, keep serving
            outcomes[(call.method, "internal_error")] += 1
            return _internal(call, exc)
        outcomes[(call.method, OUTCOME_OK)] += 1
        return {"jsonrpc": "2.0", "id": call.id, "result": result} if call.has_id else None

    # -- batch ---------------------------------------------------------------------------------

    async def _handle_batch(self, items: list[Any], start: float) -> list[dict[str, Any]] | dict[str, Any] | None:
        self._count_http("batch")
        if not items:
            return _error_response(None, InvalidRequest("invalid request: empty batch"))
        if len(items) > self._max_batch:
            return _error_response(None, LimitExceeded(
                f"batch too large: {len(items)} requests, the limit is {self._max_batch}; split the batch",
                {"limit": self._max_batch, "got": len(items)}))
        outcomes: Counter[tuple[str, str]] = Counter()
        responses: list[dict[str, Any] | None] = [None] * len(items)
        grouped: dict[str, list[tuple[int, _Call]]] = {}
        others: list[tuple[int, Any]] = []
        for i, item in enumerate(items):
            call = _validate(item)
            if isinstance(call, dict):
                responses[i] = call
            elif call.method in self._batch_methods:
                grouped.setdefault(call.method, []).append((i, call))
            else:
                others.append((i, item))
        for method, calls in grouped.items():
            await self._run_grouped(method, calls, responses, outcomes)
        if others:
            results = await asyncio.gather(*(self._handle_single(item, outcomes) for _, item in others))
            for (i, _), response in zip(others, results):
                responses[i] = response
        self._flush(outcomes, _BATCH_LABEL, start)
        out = [r for r in responses if r is not None]
        return out or None

    async def _run_grouped(self, method: str, calls: list[tuple[int, _Call]],
                           responses: list[dict[str, Any] | None], outcomes: Counter[tuple[str, str]]) -> None:
        try:
            results = await self._batch_methods[method]([c.params for _, c in calls])
        except Exception as exc:  # a bug in the batch path: every entry gets the internal error
            outcomes[(method, "internal_error")] += len(calls)
            for i, call in calls:
                responses[i] = _internal(call, exc)
            return
        ok = 0
        for (i, call), result in zip(calls, results):
            if isinstance(result, RpcError):
                outcomes[(method, outcome_of(result))] += 1
                if call.has_id:
                    responses[i] = {"jsonrpc": "2.0", "id": call.id, "error": result.to_json()}
            else:
                ok += 1
                if call.has_id:
                    responses[i] = {"jsonrpc": "2.0", "id": call.id, "result": result}
        if ok:
            outcomes[(method, OUTCOME_OK)] += ok

    # -- metrics -------------------------------------------------------------------------------

    def _flush(self, outcomes: Counter[tuple[str, str]], latency_label: Any, start: float) -> None:
        if self._metrics is None:
            return
        for (method, outcome), n in outcomes.items():
            self._metrics.count(method, outcome, n)
        label = latency_label if isinstance(latency_label, str) else "unknown"
        self._metrics.observe_latency(label, perf_counter() - start)

    def _count_http(self, kind: str) -> None:
        if self._metrics is not None:
            self._metrics.http_request(kind)


def _validate(request: Any) -> _Call | dict[str, Any]:
    """A :class:`_Call`, or the error response for a request that is not a valid request object."""
    if not isinstance(request, dict):
        return _error_response(None, InvalidRequest("invalid request: expected a JSON object"))
    has_id = "id" in request
    request_id = request.get("id")
    if isinstance(request_id, bool) or not (request_id is None or isinstance(request_id, (str, int, float))):
        return _error_response(None, InvalidRequest("invalid request: id must be a string, number or null"))
    if request.get("jsonrpc") != "2.0":
        return _error_response(request_id, InvalidRequest('invalid request: "jsonrpc" must be "2.0"'))
    method = request.get("method")
    if not isinstance(method, str):
        return _error_response(request_id, InvalidRequest('invalid request: "method" must be a string'))
    params = request.get("params")
    if params is None:
        params = []
    elif not isinstance(params, list):
        return _error_response(request_id, InvalidParams("params must be a JSON array (positional parameters)"))
    return _Call(has_id, request_id, method, params)


def _internal(call: _Call, exc: BaseException) -> dict[str, Any] | None:
    _log.error("internal error in %s", call.method, exc_info=exc)
    err = InternalError(f"internal error: {type(exc).__name__}")
    return _error_response(call.id, err) if call.has_id else None


def _error_response(request_id: Any, error: RpcError) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": error.to_json()}
