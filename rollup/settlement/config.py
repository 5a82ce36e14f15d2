"""Typed settings of the settlement services (watcher, batcher, proposer).

One frozen dataclass, loaded from TOML (top-level keys or a ``[settlement]`` table) plus
``OMNIT_<FIELD>`` environment variables (``OMNIT_L1_RPC_URL``, ``OMNIT_BATCHER_KEY``...) plus
keyword overrides, in increasing precedence. Nothing is read at import time.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Mapping

from rollup.node.config import coerce_setting

from .errors import SettlementConfigError

__all__ = ["SettlementSettings", "load_settlement_settings", "DA_MODES", "ENV_PREFIX"]

ENV_PREFIX = "OMNIT_"
"""Prefix of the environment variables that override settings."""

DA_MODES = ("auto", "calldata", "blob")
"""Data-availability routes: ``auto`` picks the cheaper one per batch with ``choose_da``."""


@dataclass(frozen=True, slots=True)
class SettlementSettings:
    """Every knob of the L1-facing services. Times in seconds, fees in wei."""

    l1_rpc_url: str = "http://127.0.0.1:8545"
    """JSON-RPC endpoint of the OmniTensor L1."""
    rollup_address: str = ""
    """``OmniRollup`` (batch inbox and output oracle)."""
    portal_address: str = ""
    """``OmniPortal`` (deposits)."""
    batcher_key: str | None = None
    """Hex private key of the batcher role (``OMNIT_BATCHER_KEY``)."""
    proposer_key: str | None = None
    """Hex private key of the proposer role (``OMNIT_PROPOSER_KEY``)."""
    data_dir: str = ".omnit/settlement"
    """Directory of the nonce ledgers (``batcher-ledger.sqlite``, ``proposer-ledger.sqlite``)."""
    confirmations: int = 2
    """L1 blocks on top of a block before the services treat it as settled (devnet: 2)."""
    poll_interval: float = 1.0
    """Seconds between rounds of each service."""
    rpc_timeout: float = 10.0
    """Seconds before one L1 HTTP request is abandoned (then retried)."""
    rpc_attempts: int = 6
    """Attempts per L1 call on transient errors (exponential backoff with jitter)."""
    da: str = "auto"
    """``auto`` (cheaper route per batch), ``calldata`` or ``blob``."""
    batch_interval: float = 2.0
    """Post whatever is sealed once the oldest unbatched block is this old."""
    max_blocks_per_batch: int = 1000
    """Cap on the blocks one batch carries (bounds the encoding time)."""
    max_calldata_frame: int = 120_000
    """Largest frame posted as calldata (under the 128 KiB transaction pool limit)."""
    max_blobs: int = 6
    """Most blobs per batch transaction."""
    output_interval: int = 10
    """The proposer posts an output root every this many L2 blocks."""
    resubmit_after: float = 12.0
    """Seconds without inclusion before a transaction is replaced with higher fees."""
    fee_bump_percent: int = 15
    """Fee increase of a replacement (nodes require at least 10%)."""
    blob_fee_bump_percent: int = 100
    """Blob fee increase of a blob replacement (geth requires 100%)."""
    max_fee_per_gas_cap: int = 500 * 10**9
    """Never bid more than this per gas."""
    max_fee_per_blob_gas_cap: int = 500 * 10**9
    """Never bid more than this per blob gas."""
    watcher_start_block: int = 0
    """First L1 block the watcher scans on an L2 with no L1 origin yet (the portal's deploy block)."""

    def __post_init__(self) -> None:
        if self.da not in DA_MODES:
            raise SettlementConfigError("da", self.da, f"use one of {', '.join(DA_MODES)}")
        for name in ("poll_interval", "rpc_timeout", "batch_interval", "resubmit_after"):
            if getattr(self, name) < 0:
                raise SettlementConfigError(name, getattr(self, name), "must be >= 0")
        for name in ("rpc_attempts", "max_blocks_per_batch", "output_interval", "max_blobs"):
            if getattr(self, name) < 1:
                raise SettlementConfigError(name, getattr(self, name), "must be at least 1")
        if self.confirmations < 0:
            raise SettlementConfigError("confirmations", self.confirmations, "must be >= 0")
        if self.fee_bump_percent < 10:
            raise SettlementConfigError("fee_bump_percent", self.fee_bump_percent,
                                        "nodes refuse replacements below a 10% bump")

    def replace(self, **changes: Any) -> SettlementSettings:
        """A copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)

    def ledger_path(self, service: str) -> Path:
        """The nonce ledger file of ``service`` (``batcher`` or ``proposer``)."""
        return Path(self.data_dir) / f"{service}-ledger.sqlite"


def load_settlement_settings(
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> SettlementSettings:
    """Settings from the TOML file ``path``, then ``env`` (default ``os.environ``), then
    ``overrides``. Unknown keys in the ``[settlement]`` table are an error (typos are loud)."""
    env = os.environ if env is None else env
    known = {f.name: f for f in fields(SettlementSettings)}
    values: dict[str, Any] = {}
    if path is None and env.get(ENV_PREFIX + "CONFIG"):
        path = env[ENV_PREFIX + "CONFIG"]
    if path is not None:
        data = tomllib.loads(Path(path).read_text())
        strict = "settlement" in data
        table = data.get("settlement", data)
        for key, value in table.items():
            name = key.replace("-", "_")
            if isinstance(value, dict):
                continue
            if name not in known:
                if strict:
                    raise SettlementConfigError(key, value, f"unknown setting in {path}")
                continue  # a shared file: other services' top-level keys
            values[name] = value
    for name in known:
        if ENV_PREFIX + name.upper() in env:
            values[name] = env[ENV_PREFIX + name.upper()]
    values.update(overrides)
    typed = {n: coerce_setting(n, v, str(known[n].type), SettlementConfigError) for n, v in values.items()}
    return SettlementSettings(**typed)
