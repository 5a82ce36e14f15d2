"""Settings of the JSON-RPC server: where it listens and the limits it enforces."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_BATCH",
    "DEFAULT_MAX_LOG_RANGE",
    "DEFAULT_MAX_LOGS",
    "RpcSettings",
    "coerce_settings",
]

DEFAULT_HOST: Final = "127.0.0.1"
"""Loopback by default: an operator exposes the RPC on purpose, never by accident."""
DEFAULT_PORT: Final = 9545
"""Default L2 RPC port (8545 is the usual L1 port; the L2 sits beside it)."""
DEFAULT_MAX_BODY_BYTES: Final = 16 * 1024 * 1024
"""Largest request body accepted: a batch of 1,000 signed transfers is about 250 KiB; 16 MiB leaves room."""
DEFAULT_MAX_BATCH: Final = 1_000
"""Most requests in one JSON array batch (geth also defaults to 1,000)."""
DEFAULT_MAX_LOG_RANGE: Final = 10_000
"""Widest block range one eth_getLogs may scan."""
DEFAULT_MAX_LOGS: Final = 10_000
"""Most log entries one eth_getLogs may return."""


@dataclass(frozen=True, slots=True)
class RpcSettings:
    """Listening address and request limits of the JSON-RPC server."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_batch: int = DEFAULT_MAX_BATCH
    max_log_range: int = DEFAULT_MAX_LOG_RANGE
    max_logs: int = DEFAULT_MAX_LOGS
    client_version: str = "omnit/0.1.0"
    cors_origin: str | None = None

    def __post_init__(self) -> None:
        if self.max_body_bytes <= 0 or self.max_batch <= 0:
            raise ValueError("RPC limits must be positive")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"RPC port {self.port} is out of range")

    @classmethod
    def from_node_settings(cls, node_settings: Any) -> RpcSettings:
        """RPC settings from the node's settings object (its ``rpc_*`` fields)."""
        return cls(
            host=node_settings.rpc_host,
            port=node_settings.rpc_port,
            max_body_bytes=node_settings.rpc_max_body_bytes,
            max_batch=node_settings.rpc_max_batch,
        )


def coerce_settings(settings: Any) -> RpcSettings:
    """Accept :class:`RpcSettings`, the node's settings (``rpc_*`` fields) or ``None``."""
    if settings is None:
        return RpcSettings()
    if isinstance(settings, RpcSettings):
        return settings
    if hasattr(settings, "rpc_host"):
        return RpcSettings.from_node_settings(settings)
    raise TypeError(f"expected RpcSettings or node settings, got {type(settings).__name__}")
