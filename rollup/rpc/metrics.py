"""Prometheus metrics of the RPC server and the node gauges it exports at ``GET /metrics``.

Each server owns its registry (no process-global state), so several servers in one test process do
not collide. Labelled children are cached: the hot path pays one dict lookup and one increment.
"""

from __future__ import annotations

from typing import Any, Final, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import CONTENT_TYPE_LATEST

__all__ = ["RpcMetrics", "CONTENT_TYPE_LATEST", "LATENCY_BUCKETS", "UNKNOWN_METHOD_LABEL"]

LATENCY_BUCKETS: Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
"""Latency buckets in seconds: a transfer acceptance is about a millisecond, a big eth_getLogs seconds."""

UNKNOWN_METHOD_LABEL: Final = "unknown"
"""Label used for method names we do not serve, so junk names cannot grow the label set."""


class RpcMetrics:
    """Request counters, the latency histogram and node gauges, in one registry."""

    def __init__(self, known_methods: Iterable[str]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._known = frozenset(known_methods)
        self._requests = Counter(
            "omnit_rpc_requests", "JSON-RPC calls by method and outcome", ("method", "outcome"),
            registry=self.registry,
        )
        self._latency = Histogram(
            "omnit_rpc_request_seconds", "JSON-RPC HTTP request latency by method (batch: the whole batch)", ("method",),
            buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self._http = Counter(
            "omnit_rpc_http_requests", "HTTP requests to the JSON-RPC endpoint by kind", ("kind",),
            registry=self.registry,
        )
        self.head = Gauge("omnit_l2_head", "Number of the latest sealed L2 block", registry=self.registry)
        self.safe = Gauge("omnit_l2_safe_head", "Number of the latest safe L2 block", registry=self.registry)
        self.finalized = Gauge(
            "omnit_l2_finalized_head", "Number of the latest finalized L2 block", registry=self.registry
        )
        self.mempool = Gauge("omnit_l2_mempool_size", "Transactions waiting in the pool", registry=self.registry)
        self.accepted = Gauge(
            "omnit_l2_tx_accepted", "Transactions accepted into the pool since start", registry=self.registry
        )
        self.dropped = Gauge(
            "omnit_l2_tx_dropped", "Transactions dropped from the pool since start", registry=self.registry
        )
        self._extra: dict[str, Gauge] = {}
        self.submitted_ok = 0
        """Transactions this server saw accepted (the ``tx_accepted`` gauge when the node has none)."""
        self._children: dict[tuple[str, str], Any] = {}
        self._latency_children: dict[str, Any] = {}

    def label(self, method: str) -> str:
        """The metric label for a method name (unknown names collapse to one label)."""
        return method if method in self._known else UNKNOWN_METHOD_LABEL

    def count(self, method: str, outcome: str, n: int = 1) -> None:
        """Count ``n`` calls of ``method`` that ended with ``outcome``."""
        if outcome == "ok" and method == "eth_sendRawTransaction":
            self.submitted_ok += n
        key = (method, outcome)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self._requests.labels(self.label(method), outcome)
        child.inc(n)

    def observe_latency(self, label: str, seconds: float) -> None:
        """Record the latency of one HTTP request (labelled by its method, or ``batch``)."""
        lat = self._latency_children.get(label)
        if lat is None:
            name = label if label == "batch" else self.label(label)
            lat = self._latency_children[label] = self._latency.labels(name)
        lat.observe(seconds)

    def http_request(self, kind: str) -> None:
        """Count one HTTP request (``single``, ``batch``, ``rejected``)."""
        self._http.labels(kind).inc()

    def set_node_gauges(self, stats: dict[str, Any]) -> None:
        """Copy node figures (sync status and the facade's ``stats()``) into gauges.

        Known keys have fixed gauges; any other numeric key becomes ``omnit_l2_<key>``."""
        if "tx_accepted" not in stats:
            stats = {**stats, "tx_accepted": self.submitted_ok}
        fixed = {"head": self.head, "safe": self.safe, "finalized": self.finalized,
                 "mempool_size": self.mempool, "tx_accepted": self.accepted, "tx_dropped": self.dropped}
        for key, value in stats.items():
            if value is None or not isinstance(value, (int, float)) or isinstance(value, bool):
                continue
            gauge = fixed.get(key) or self._extra.get(key)
            if gauge is None:
                if not key.replace("_", "").isalnum():
                    continue
                gauge = self._extra[key] = Gauge(f"omnit_l2_{key}", f"Node figure {key}", registry=self.registry)
            gauge.set(value)

    def render(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)
