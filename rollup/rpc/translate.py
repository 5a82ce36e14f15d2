"""Translation of node and core exceptions into JSON-RPC errors.

- :class:`~rollup.rpc.errors.RpcError`: passed through.
- Node errors (:mod:`rollup.node.errors`) carry ``rpc_code``/``rpc_data``: used as they are.
- Core errors (:mod:`rollup.core.exceptions`): an invalid transaction is ``-32000`` with the
  core's message (which says what was wrong) and its data; a failed call in ``eth_call`` or
  ``eth_estimateGas`` is ``3`` (execution reverted) with the revert data when the core gives one.
- Anything else is a bug: returned unchanged so the dispatcher answers ``-32603`` and logs it.
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from typing import Any, Final

from .errors import ExecutionReverted, RpcError, ServerError

__all__ = ["translate_error", "error_data", "CORE_MODULE_PREFIX"]

CORE_MODULE_PREFIX: Final = "rollup.core"
"""Exceptions defined under this package are protocol outcomes, not server bugs."""

_REVERT_NAMES: Final = ("Revert", "Reverted", "CallFailed", "ExecutionFailed")
"""Core exception class-name suffixes that mean a call failed (answered as code 3)."""


def translate_error(exc: BaseException) -> BaseException:
    """The JSON-RPC error for ``exc`` (or ``exc`` itself when it is an unexpected failure)."""
    if isinstance(exc, RpcError):
        return exc
    name = type(exc).__name__
    module = type(exc).__module__ or ""
    code = getattr(exc, "rpc_code", None)
    if code == ExecutionReverted.code or (module.startswith(CORE_MODULE_PREFIX) and name.endswith(_REVERT_NAMES)):
        revert = getattr(exc, "return_data", None) or getattr(exc, "data", None) or getattr(exc, "output", None)
        payload = "0x" + bytes(revert).hex() if isinstance(revert, (bytes, bytearray)) else "0x"
        message = str(exc)
        return ExecutionReverted(message if message.startswith("execution reverted") else
                                 f"execution reverted: {message}", payload)
    if isinstance(code, int):
        return RpcError(str(exc), error_data(exc), code=code)
    if module.startswith(CORE_MODULE_PREFIX):
        return ServerError(str(exc), error_data(exc))
    return exc


def error_data(exc: BaseException) -> dict[str, Any]:
    """``data`` of an error object: the error's class as ``reason`` plus its fields."""
    body: dict[str, Any] = {"reason": type(exc).__name__}
    extra = getattr(exc, "rpc_data", None)
    if not isinstance(extra, dict) or not extra:
        extra = {k: v for k, v in vars(exc).items() if not k.startswith("_")}
    for key, value in extra.items():
        body[_camel(key)] = _json_safe(value)
    return body


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _json_safe(value: Any) -> Any:
    """Turn error data into JSON values: bytes become hex, big ints hex, dataclasses dicts."""
    if value is None or isinstance(value, (bool, str, float)):
        return value
    if isinstance(value, int):
        return value if -(1 << 53) < value < (1 << 53) else hex(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "0x" + bytes(value).hex()
    if is_dataclass(value) and not isinstance(value, type):
        return _json_safe(asdict(value))
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_json_safe(v) for v in value]
    return str(value)
