"""Prometheus metrics of the relayer (one registry per relayer instance, so several can run in a
process: the devnet runs four validators and a relayer in one)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["RelayerMetrics"]

LATENCY_BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800)
"""Seconds from indexing a message to seeing it delivered."""


class RelayerMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.messages = Gauge("omnit_relayer_messages", "Messages in the store by state", ["state"], registry=r)
        self.latency = Histogram("omnit_relayer_delivery_latency_seconds",
                                 "From indexing on the origin to delivery on the destination",
                                 buckets=LATENCY_BUCKETS, registry=r)
        self.gas_used = Counter("omnit_relayer_gas_used", "Gas used by the relayer's transactions",
                                ["chain", "kind"], registry=r)
        self.fees = Counter("omnit_relayer_fees_wei", "Fees paid (gasUsed * effectiveGasPrice)", ["chain"], registry=r)
        self.balance = Gauge("omnit_relayer_wallet_balance_wei", "The relayer wallet's balance", ["chain"], registry=r)
        self.txs = Counter("omnit_relayer_transactions", "Transactions by outcome", ["chain", "outcome"], registry=r)
        self.reorgs = Counter("omnit_relayer_reorgs", "Reorgs detected by the indexer", ["origin"], registry=r)
        self.gaps = Gauge("omnit_relayer_nonce_gap", "1 if the indexed nonces of an origin have a gap", ["origin"],
                          registry=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)
