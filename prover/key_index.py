"""An append-only key -> index map with O(1)-ish copies, for the state tree.

Keys are never removed and their index never changes, so a copy can share every existing entry:
the map is a chain of frozen dict layers plus one private mutable layer. ``copy()`` freezes the
private layer (shared by both sides) and gives each side a fresh one. Chains are compacted when
they grow deep, so lookups stay a few dict probes.
"""

from __future__ import annotations

__all__ = ["KeyIndex", "MAX_LAYERS"]

MAX_LAYERS = 6
"""Frozen layers kept before the small ones are merged (bounds lookup cost)."""


class KeyIndex:
    """``bytes -> int`` map, append-only, with cheap copy-on-write copies."""

    __slots__ = ("_frozen", "_own")

    def __init__(self) -> None:
        self._frozen: tuple[dict[bytes, int], ...] = ()
        self._own: dict[bytes, int] = {}

    @classmethod
    def from_dict(cls, mapping: dict[bytes, int]) -> KeyIndex:
        """Adopt ``mapping`` (not copied) as the private layer."""
        out = cls()
        out._own = mapping
        return out

    def get(self, key: bytes) -> int | None:
        """Index of ``key`` or ``None``."""
        hit = self._own.get(key)
        if hit is not None:
            return hit
        for layer in self._frozen:
            hit = layer.get(key)
            if hit is not None:
                return hit
        return None

    def add(self, key: bytes, index: int) -> None:
        """Insert a key that is not present."""
        self._own[key] = index

    def __len__(self) -> int:
        return len(self._own) + sum(len(layer) for layer in self._frozen)

    def copy(self) -> KeyIndex:
        """Freeze the private layer and share the chain (cost: O(layers))."""
        if self._own:
            self._frozen = self._frozen + (self._own,)
            self._own = {}
        if len(self._frozen) > MAX_LAYERS:
            self._frozen = self._compact(self._frozen)
        other = KeyIndex()
        other._frozen = self._frozen
        return other

    @staticmethod
    def _compact(layers: tuple[dict[bytes, int], ...]) -> tuple[dict[bytes, int], ...]:
        """Merge all layers but the biggest into one; merge everything if that one is small."""
        big = max(range(len(layers)), key=lambda i: len(layers[i]))
        merged: dict[bytes, int] = {}
        for i, layer in enumerate(layers):
            if i != big:
                merged.update(layer)
        if len(merged) * 4 >= len(layers[big]):
            full = dict(layers[big])
            full.update(merged)
            return (full,)
        return (layers[big], merged)
