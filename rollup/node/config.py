"""Typed settings of the L2 node: one frozen dataclass, loaded from TOML plus ``OMNIT_*`` env.

Precedence: explicit keyword overrides > environment (``OMNIT_<FIELD>`` upper case, e.g.
``OMNIT_DB_URL``, ``OMNIT_BLOCK_TIME``) > TOML file (top-level keys or a ``[node]`` table) >
defaults. Nothing is read at import time; callers pass the object along.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import uuid
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

__all__ = ["NodeSettings", "ConfigError", "ENV_PREFIX", "DEFAULT_DB_URL", "coerce_setting", "load_settings"]

ENV_PREFIX = "OMNIT_"
"""Prefix of the environment variables that override settings (``OMNIT_BLOCK_TIME=0.5``)."""

DEFAULT_DB_URL = "sqlite:///.omnit/l2.sqlite"
"""Embedded SQLite database under the working directory: nothing to install."""


class ConfigError(ValueError):
    """A setting has a value of the wrong type or out of range."""

    def __init__(self, name: str, value: object, reason: str) -> None:
        super().__init__(f"setting {name}={value!r}: {reason}")
        self.name = name
        self.value = value
        self.reason = reason


def _default_sequencer_id() -> str:
    return f"seq-{os.getpid()}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True, slots=True)
class NodeSettings:
    """Every knob of the node. Times are seconds (float), sizes are counts or bytes."""

    db_url: str = DEFAULT_DB_URL
    """``sqlite:///relative/path``, ``sqlite:////abs/path`` or ``postgresql://user@host/db``."""
    chain_id: int = 7001
    """L2 chain id (must equal the genesis file's, when it names one)."""
    genesis_path: str | None = None
    """Genesis JSON (balances, stakes); ``None``: the core's dev genesis."""
    block_time: float = 0.25
    """Seal a block this often when transactions are waiting."""
    empty_block_interval: float = 2.0
    """When idle, seal an empty block at most this often (keeps L2 time moving); 0: never."""
    block_gas_limit: int | None = None
    """Gas limit of a block; ``None``: the core's default. A full block is sealed at once."""
    intake_queue_size: int = 20_000
    """Submissions waiting for their durable write; one more raises ``Overloaded``."""
    intake_batch_window: float = 0.002
    """Group commit: collect submissions this long before one DB transaction writes them."""
    intake_batch_max: int = 4096
    """Group commit: write at most this many submissions per DB transaction."""
    pool_max_size: int = 200_000
    """Transactions held in the pool plus gap buffer across all senders."""
    pool_max_per_sender: int = 4096
    """Transactions one sender may have waiting."""
    gap_buffer_time: float = 30.0
    """A future-nonce transaction waits this long for the gap to fill, then is dropped."""
    gap_max: int = 64
    """Nonces more than this far ahead of the sender's next nonce are rejected at submission."""
    replacement_bump_percent: int = 10
    """Same (sender, nonce) replaces only with both fee caps raised by at least this percent."""
    safe_lag: int = 0
    """Blocks between unsafe (latest) and safe until L1 settlement is wired in; 0: same."""
    finalized_lag: int = 0
    """Blocks between unsafe (latest) and finalized until L1 settlement is wired in; 0: same."""
    rpc_host: str = "127.0.0.1"
    """JSON-RPC listen address."""
    rpc_port: int = 9545
    """JSON-RPC listen port."""
    rpc_max_body_bytes: int = 8 * 1024 * 1024
    """Largest HTTP request body the RPC server reads."""
    rpc_max_batch: int = 2000
    """Most calls in one JSON-RPC batch request."""
    max_log_range: int = 10_000
    """Widest block range one ``eth_getLogs`` may scan (tags resolved)."""
    max_logs: int = 10_000
    """Most logs one ``eth_getLogs`` may return."""
    sequencer_id: str = field(default_factory=_default_sequencer_id)
    """This sequencer's lease holder id (unique per process by default)."""
    lease_ttl: float = 5.0
    """The lease expires this long after its last renewal (renewed every block)."""
    lease_wait: float | None = None
    """Standby: how long to wait for the lease at start (``None``: forever, 0: refuse at once)."""
    db_pool_size: int = 4
    """PostgreSQL connection pool size (readers plus the writer)."""
    decode_native: bool = True
    """Decode large intake batches with the C fast path (``rollup/node/txdecode.c``, built with
    the system C compiler on first use) in a thread, without the GIL; if it cannot be built,
    or with False, the ``decode_processes`` workers do it."""
    decode_processes: int = 1
    """Worker processes that decode (hash, recover the sender of) large intake batches beside
    the event loop's process when the native decoder is not used; 0 decodes in a thread of the
    node's process."""

    def __post_init__(self) -> None:
        if not (self.db_url.startswith("sqlite:") or self.db_url.startswith(("postgresql:", "postgres:"))):
            raise ConfigError("db_url", self.db_url, "use sqlite:///path or postgresql://...")
        for name in ("block_time", "lease_ttl", "intake_batch_window"):
            if getattr(self, name) <= 0:
                raise ConfigError(name, getattr(self, name), "must be positive")
        for name in ("intake_queue_size", "intake_batch_max", "pool_max_size",
                     "pool_max_per_sender", "gap_max", "chain_id", "rpc_max_batch"):
            if getattr(self, name) < 1:
                raise ConfigError(name, getattr(self, name), "must be at least 1")
        if self.decode_processes < 0:
            raise ConfigError("decode_processes", self.decode_processes, "must be >= 0")
        if self.gap_buffer_time < 0 or self.safe_lag < 0 or self.finalized_lag < 0:
            raise ConfigError("gap_buffer_time/safe_lag/finalized_lag", None, "must be >= 0")

    def replace(self, **changes: Any) -> NodeSettings:
        """A copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)


def coerce_setting(name: str, raw: Any, annotation: str,
                   error: type[ValueError] = ConfigError) -> Any:
    """Turn a TOML or environment value into the field's type (``int``/``float``/``str``, or None
    where the annotation allows it); ``error(name, value, reason)`` says what was wrong. Shared by
    every settings loader (node, settlement)."""
    if raw is None or (isinstance(raw, str) and raw.strip().lower() in ("", "none", "null")):
        if "None" in annotation:
            return None
        raise error(name, raw, "a value is required")  # type: ignore[call-arg]
    try:
        if "float" in annotation:
            return float(raw)
        if "int" in annotation:
            return int(raw, 0) if isinstance(raw, str) else int(raw)
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise error(name, raw, f"expected {annotation}") from exc  # type: ignore[call-arg]


def load_settings(
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> NodeSettings:
    """Settings from the TOML file at ``path`` (if given), then ``env`` (default ``os.environ``),
    then ``overrides``. Unknown TOML keys raise :class:`ConfigError` (typos should be loud)."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    if path is None and env.get(ENV_PREFIX + "CONFIG"):
        path = env[ENV_PREFIX + "CONFIG"]
    known = {f.name: f for f in fields(NodeSettings)}
    if path is not None:
        data = tomllib.loads(Path(path).read_text())
        table = data.get("node", data)
        for key, value in table.items():
            name = key.replace("-", "_")
            if isinstance(value, dict):
                continue
            if name not in known:
                raise ConfigError(key, value, f"unknown setting in {path}")
            values[name] = value
    for name in known:
        if ENV_PREFIX + name.upper() in env:
            values[name] = env[ENV_PREFIX + name.upper()]
    values.update(overrides)
    typed = {
        name: coerce_setting(name, value, str(known[name].type))
        for name, value in values.items()
    }
    return NodeSettings(**typed)
