"""Typed errors of the storage layer::

    StorageError
    ├── LeaseLost          a write from a holder that does not hold the sequencer lease
    ├── LeaseUnavailable   another holder has an unexpired lease (acquire gave up)
    ├── MigrationError     a migration file failed or the database is newer than the code
    └── UnsupportedURL     the database URL names no known backend
"""

from __future__ import annotations

__all__ = ["StorageError", "LeaseLost", "LeaseUnavailable", "MigrationError", "UnsupportedURL"]


class StorageError(Exception):
    """Base of the storage errors."""


class LeaseLost(StorageError):
    """``holder`` tried to write but the lease is held by ``current`` (nothing was written)."""

    def __init__(self, holder: str, current: str) -> None:
        super().__init__(
            f"write refused: {holder!r} does not hold the sequencer lease "
            f"(held by {current or 'nobody'!r}); another sequencer took over"
        )
        self.holder = holder
        self.current = current


class LeaseUnavailable(StorageError):
    """``current`` holds the lease until ``expires_at``; ``holder`` could not take it."""

    def __init__(self, holder: str, current: str, expires_at: float) -> None:
        super().__init__(
            f"sequencer lease is held by {current!r} until {expires_at:.3f}; {holder!r} is on "
            f"standby (stop the other sequencer or wait for its lease to expire)"
        )
        self.holder = holder
        self.current = current
        self.expires_at = expires_at


class MigrationError(StorageError):
    """Migration ``name`` could not be applied."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(f"migration {name}: {detail}")
        self.name = name
        self.detail = detail


class UnsupportedURL(StorageError):
    """The database URL is neither ``sqlite:///...`` nor ``postgresql://...``."""

    def __init__(self, url: str) -> None:
        super().__init__(f"unsupported database URL {url!r}: use sqlite:///path or postgresql://")
        self.url = url
