"""Benchmarks: ``omnit bench sequencer`` (ours against anvil over JSON-RPC)."""

from __future__ import annotations

__all__: list[str] = []
