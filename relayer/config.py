"""Typed settings of the validator and relayer services (TOML file plus ``OMNIT_*`` environment).

    [[chains]]                       # every chain the relay serves, origin and destination alike
    chain_id = 7000
    rpc_url = "http://127.0.0.1:8545"
    mailbox = "0x..."
    confirmations = 2                # the finality line: head - confirmations

    [validator]
    keystore = "validator.json"      # passphrase: OMNIT_VALIDATOR_PASSPHRASE
    l2_rpc_url = "http://127.0.0.1:8547"
    attestation_sender = "0x..."     # the L1 ModelAttestationSender
    home_chain_id = 7000
    port = 9100

    [relayer]
    validators = ["http://127.0.0.1:9100", ...]
    db_url = "sqlite:///relayer.sqlite"   # or postgresql://user@host/db
    private_key = "0x..."                  # or OMNIT_RELAYER_PRIVATE_KEY
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

__all__ = ["ConfigError", "ChainConfig", "ValidatorSettings", "RelayerSettings", "load_chains"]


class ConfigError(ValueError):
    """A setting is missing or invalid; the message names it."""


@dataclass(frozen=True, slots=True)
class ChainConfig:
    """One chain: where to reach it, its mailbox, and how deep a block must be to count as final."""

    chain_id: int
    rpc_url: str
    mailbox: str
    confirmations: int = 2
    start_block: int = 0
    """First block to scan (the mailbox's deployment block)."""


@dataclass(frozen=True, slots=True)
class ValidatorSettings:
    """``omnit validator``."""

    chains: tuple[ChainConfig, ...]
    l2_rpc_url: str | None = None
    attestation_sender: str | None = None
    home_chain_id: int = 7000
    host: str = "127.0.0.1"
    port: int = 9100
    poll_interval: float = 0.5
    keystore: str | None = None


@dataclass(frozen=True, slots=True)
class RelayerSettings:
    """``omnit relayer``."""

    chains: tuple[ChainConfig, ...]
    validators: tuple[str, ...]
    db_url: str = "sqlite:///relayer.sqlite"
    private_key: str | None = None
    worker_id: str = field(default_factory=lambda: f"relayer-{os.getpid()}")
    poll_interval: float = 0.5
    index_confirmations: int | None = None
    """Blocks behind the head at which the relayer indexes (default: each chain's confirmations).
    Lower values index earlier; a reorg above the line is rewound (the validators still wait)."""
    lease_seconds: float = 60.0
    max_batch: int = 32
    backoff_base: float = 2.0
    backoff_max: float = 300.0
    gas_margin: float = 1.25
    gas_extra: int = 30_000
    bump_after: float = 30.0
    max_bumps: int = 3
    max_fee_cap_gwei: float = 500.0
    signature_timeout: float = 5.0
    rpc_timeout: float = 10.0
    metrics_port: int | None = None

    def chain(self, chain_id: int) -> ChainConfig:
        for c in self.chains:
            if c.chain_id == chain_id:
                return c
        raise ConfigError(f"chain {chain_id} is not configured (add a [[chains]] entry)")


def load_chains(items: list[dict[str, Any]]) -> tuple[ChainConfig, ...]:
    try:
        return tuple(ChainConfig(**item) for item in items)
    except TypeError as exc:
        raise ConfigError(f"[[chains]]: {exc}") from None


def _env(cls: type, values: dict[str, Any], prefix: str) -> dict[str, Any]:
    for f in fields(cls):
        raw = os.environ.get(f"{prefix}{f.name.upper()}")
        if raw is None or f.name == "chains":
            continue
        if f.name == "validators":
            values[f.name] = tuple(u for u in raw.split(",") if u)
        elif f.type in ("int", "int | None"):
            values[f.name] = int(raw)
        elif f.type in ("float", "float | None"):
            values[f.name] = float(raw)
        else:
            values[f.name] = raw
    return values


def _load(path: str | Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        return tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from None


def validator_settings(path: str | Path | None, **overrides: Any) -> ValidatorSettings:
    doc = _load(path)
    values = dict(doc.get("validator", {}))
    values["chains"] = load_chains(doc.get("chains", []))
    values = _env(ValidatorSettings, values, "OMNIT_VALIDATOR_")
    values.update({k: v for k, v in overrides.items() if v is not None})
    return ValidatorSettings(**values)


def relayer_settings(path: str | Path | None, **overrides: Any) -> RelayerSettings:
    doc = _load(path)
    values = dict(doc.get("relayer", {}))
    values["chains"] = load_chains(doc.get("chains", []))
    if "validators" in values:
        values["validators"] = tuple(values["validators"])
    values = _env(RelayerSettings, values, "OMNIT_RELAYER_")
    values.update({k: v for k, v in overrides.items() if v is not None})
    values.setdefault("validators", ())
    return RelayerSettings(**values)


__all__ += ["validator_settings", "relayer_settings", "replace"]
