"""Errors of the settlement services, each carrying its data.

```
SettlementError
├── L1Error
│   ├── L1Unavailable(method, attempts, cause)     transient errors outlasted the retries
│   └── L1RequestFailed(method, cause)             permanent: revert, invalid params, ...
├── SubmissionFailed(purpose, nonce, tx_hash)     an L1 transaction of ours reverted
├── LedgerMismatch(detail)                        the nonce ledger disagrees with the L1
└── SettlementConfigError(name, value, reason)
```
"""

from __future__ import annotations

__all__ = [
    "SettlementError",
    "L1Error",
    "L1Unavailable",
    "L1RequestFailed",
    "SubmissionFailed",
    "LedgerMismatch",
    "SettlementConfigError",
]


class SettlementError(Exception):
    """Base of every error raised by ``rollup.settlement``."""


class L1Error(SettlementError):
    """An L1 JSON-RPC call failed."""


class L1Unavailable(L1Error):
    """Transient failures (timeouts, connection errors, 5xx, "header not found") lasted
    longer than the retries: check the L1 endpoint; the services retry on their next round."""

    def __init__(self, method: str, attempts: int, cause: BaseException) -> None:
        super().__init__(f"L1 {method}: still failing after {attempts} attempts: {cause!r}")
        self.method = method
        self.attempts = attempts
        self.cause = cause


class L1RequestFailed(L1Error):
    """A permanent error (revert, invalid parameters): retrying the same call cannot help."""

    def __init__(self, method: str, cause: BaseException) -> None:
        super().__init__(f"L1 {method} failed: {cause!r}")
        self.method = method
        self.cause = cause


class SubmissionFailed(SettlementError):
    """One of our L1 transactions was mined and reverted."""

    def __init__(self, purpose: str, nonce: int, tx_hash: bytes) -> None:
        super().__init__(f"{purpose} transaction nonce {nonce} ({tx_hash.hex()}) reverted")
        self.purpose = purpose
        self.nonce = nonce
        self.tx_hash = tx_hash


class LedgerMismatch(SettlementError):
    """The nonce ledger and the L1 disagree in a way the service cannot repair alone."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class SettlementConfigError(SettlementError, ValueError):
    """A settlement setting has a wrong value; the message says which and why."""

    def __init__(self, name: str, value: object, reason: str) -> None:
        super().__init__(f"setting {name}={value!r}: {reason}")
        self.name = name
        self.value = value
        self.reason = reason
