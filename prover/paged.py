"""Copy-on-write paged row storage: the memory under the fixed-depth trees.

A :class:`PagedRows` is a growable array of fixed-width byte rows split into pages of
``2**PAGE_BITS`` rows. :meth:`PagedRows.copy` shares every page and costs O(number of pages);
the first write to a shared page copies that page only. Rows never written read as ``fill``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["PagedRows", "PAGE_BITS"]

PAGE_BITS = 10
"""log2 of rows per page: 1024 rows (32 KiB of 32-byte nodes) keeps copies and page faults small."""


class PagedRows:
    """Rows of ``width`` bytes addressed by a non-negative integer index."""

    __slots__ = ("width", "fill", "_bits", "_pages", "_owned", "_fill_row")

    def __init__(self, width: int, fill: bytes | None = None, page_bits: int = PAGE_BITS) -> None:
        self.width = width
        self.fill = bytes(width) if fill is None else fill
        if len(self.fill) != width:
            raise ValueError("fill row has the wrong width")
        self._bits = page_bits
        self._pages: list[np.ndarray | None] = []
        self._owned: list[bool] = []
        self._fill_row = np.frombuffer(self.fill, dtype=np.uint8)

    def copy(self) -> PagedRows:
        """A logically independent copy sharing all pages until either side writes."""
        other = PagedRows.__new__(PagedRows)
        other.width, other.fill, other._bits = self.width, self.fill, self._bits
        other._fill_row = self._fill_row
        other._pages = list(self._pages)
        other._owned = [False] * len(self._pages)
        self._owned = [False] * len(self._pages)
        return other

    def _writable(self, page: int) -> np.ndarray:
        if page >= len(self._pages):
            extra = page + 1 - len(self._pages)
            self._pages.extend([None] * extra)
            self._owned.extend([False] * extra)
        arr = self._pages[page]
        if arr is None:
            arr = np.empty((1 << self._bits, self.width), dtype=np.uint8)
            arr[:] = self._fill_row
            self._pages[page] = arr
            self._owned[page] = True
        elif not self._owned[page]:
            arr = arr.copy()
            self._pages[page] = arr
            self._owned[page] = True
        return arr

    def _readable(self, page: int) -> np.ndarray | None:
        return self._pages[page] if page < len(self._pages) else None

    def get(self, index: int) -> bytes:
        """Row ``index`` as bytes."""
        arr = self._readable(index >> self._bits)
        if arr is None:
            return self.fill
        return arr[index & ((1 << self._bits) - 1)].tobytes()

    def set(self, index: int, row: bytes) -> None:
        """Overwrite row ``index``."""
        arr = self._writable(index >> self._bits)
        arr[index & ((1 << self._bits) - 1)] = np.frombuffer(row, dtype=np.uint8)

    def _groups(self, idx: np.ndarray) -> list[tuple[int, np.ndarray | slice]]:
        """``(page, selector)`` pairs covering ``idx``, grouped by page (one group if possible)."""
        pages = idx >> self._bits
        lo, hi = int(pages.min()), int(pages.max())
        if lo == hi:
            return [(lo, slice(None))]
        if np.all(pages[1:] >= pages[:-1]):
            order = None
            sp = pages
        else:
            order = np.argsort(pages, kind="stable")
            sp = pages[order]
        cuts = (np.flatnonzero(sp[1:] != sp[:-1]) + 1).tolist()
        bounds = [0, *cuts, len(idx)]
        groups: list[tuple[int, np.ndarray | slice]] = []
        for s, e in zip(bounds, bounds[1:]):
            groups.append((int(sp[s]), slice(s, e) if order is None else order[s:e]))
        return groups

    def get_rows(self, idx: np.ndarray) -> np.ndarray:
        """Rows at the int64 indices ``idx`` as an ``(len(idx), width)`` uint8 array."""
        idx = np.asarray(idx, dtype=np.int64)
        out = np.empty((len(idx), self.width), dtype=np.uint8)
        if not len(idx):
            return out
        mask = (1 << self._bits) - 1
        for page, sel in self._groups(idx):
            arr = self._readable(page)
            if arr is None:
                out[sel] = self._fill_row
            else:
                out[sel] = arr[idx[sel] & mask]
        return out

    def set_rows(self, idx: np.ndarray, rows: np.ndarray) -> None:
        """Write ``rows[i]`` at ``idx[i]`` (later duplicates win)."""
        idx = np.asarray(idx, dtype=np.int64)
        if not len(idx):
            return
        mask = (1 << self._bits) - 1
        for page, sel in self._groups(idx):
            self._writable(page)[idx[sel] & mask] = rows[sel]

    def tobytes(self, count: int) -> bytes:
        """The first ``count`` rows concatenated."""
        if count <= 0:
            return b""
        return self.get_rows(np.arange(count, dtype=np.int64)).tobytes()

    def page_count(self) -> int:
        """Allocated page slots (the cost unit of :meth:`copy`)."""
        return len(self._pages)
