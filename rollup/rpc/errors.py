"""JSON-RPC error objects: the standard codes and the typed exceptions that carry them.

A handler raises one of these; the dispatcher turns it into ``{"code", "message", "data"}``.
The tree::

    RpcError
    ├── ParseError          -32700  the body is not JSON
    ├── InvalidRequest      -32600  JSON, but not a JSON-RPC 2.0 request object
    ├── MethodNotFound      -32601  no such method
    ├── InvalidParams       -32602  wrong number, type or format of parameters
    ├── InternalError       -32603  a bug or an unexpected failure on our side
    ├── ServerError         -32000  the request was understood but refused (invalid transaction, ...)
    ├── ExecutionReverted   3       eth_call / eth_estimateGas reverted (data carries the revert bytes)
    └── LimitExceeded       -32005  body, batch or range too large; intake overloaded
"""

from __future__ import annotations

from typing import Any, Final

__all__ = [
    "PARSE_ERROR",
    "INVALID_REQUEST",
    "METHOD_NOT_FOUND",
    "INVALID_PARAMS",
    "INTERNAL_ERROR",
    "SERVER_ERROR",
    "LIMIT_EXCEEDED",
    "EXECUTION_REVERTED",
    "RpcError",
    "ParseError",
    "InvalidRequest",
    "MethodNotFound",
    "InvalidParams",
    "InternalError",
    "ServerError",
    "ExecutionReverted",
    "LimitExceeded",
]

PARSE_ERROR: Final = -32700
"""Invalid JSON was received (JSON-RPC 2.0)."""
INVALID_REQUEST: Final = -32600
"""The JSON sent is not a valid request object (JSON-RPC 2.0)."""
METHOD_NOT_FOUND: Final = -32601
"""The method does not exist or is not available (JSON-RPC 2.0)."""
INVALID_PARAMS: Final = -32602
"""Invalid method parameters (JSON-RPC 2.0)."""
INTERNAL_ERROR: Final = -32603
"""Internal JSON-RPC error (JSON-RPC 2.0)."""
SERVER_ERROR: Final = -32000
"""Generic server error; Ethereum nodes use it for invalid transactions (EIP-1474)."""
LIMIT_EXCEEDED: Final = -32005
"""Request exceeds a defined limit or the node is overloaded (EIP-1474)."""
EXECUTION_REVERTED: Final = 3
"""Execution reverted; ``data`` carries the revert payload (geth convention, used by web3.py)."""


class RpcError(Exception):
    """A JSON-RPC error with its code, a human message and optional structured data."""

    code: int = SERVER_ERROR

    def __init__(self, message: str, data: Any = None, *, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.data = data
        if code is not None:
            self.code = code

    def to_json(self) -> dict[str, Any]:
        """The error object as it goes on the wire."""
        obj: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            obj["data"] = self.data
        return obj


class ParseError(RpcError):
    """The request body is not valid JSON."""

    code = PARSE_ERROR


class InvalidRequest(RpcError):
    """The body is JSON but not a JSON-RPC 2.0 request (or an empty batch)."""

    code = INVALID_REQUEST


class MethodNotFound(RpcError):
    """No method of that name."""

    code = METHOD_NOT_FOUND


class InvalidParams(RpcError):
    """A parameter is missing, extra, of the wrong type or badly formatted."""

    code = INVALID_PARAMS


class InternalError(RpcError):
    """Something failed on our side; the message never leaks internals beyond the exception type."""

    code = INTERNAL_ERROR


class ServerError(RpcError):
    """The request was understood but refused, e.g. an invalid transaction."""

    code = SERVER_ERROR


class ExecutionReverted(RpcError):
    """A call reverted; ``data`` is the hex revert payload."""

    code = EXECUTION_REVERTED


class LimitExceeded(RpcError):
    """A size or count limit was exceeded, or the node is too busy to take more work."""

    code = LIMIT_EXCEEDED
