"""The L1 client: web3.py ``AsyncWeb3`` over HTTP with timeouts and classified retries.

Every call goes through :meth:`L1Client.call`, which retries **transient** failures with
exponential backoff and jitter (tenacity) and never retries **permanent** ones:

- transient: timeouts, connection errors (refused, reset, server disconnected), HTTP 5xx and
  429, JSON-RPC errors a load-balanced or lagging node gives ("header not found", "unknown
  block", "missing trie node", -32005 limit exceeded), an unreadable response body;
- permanent: reverts (``ContractLogicError`` / ``ContractCustomError``), invalid parameters
  (-32602), every other JSON-RPC error.

After the attempts run out a transient failure raises :class:`L1Unavailable`; a permanent one
raises :class:`L1RequestFailed` (reverts are re-raised as they are, for the caller to decode).
web3's own retry layer is switched off so the policy lives in one place.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, TypeVar

import aiohttp
from eth_hash.auto import keccak
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)
from web3 import AsyncHTTPProvider, AsyncWeb3
from web3.contract import AsyncContract
from web3.exceptions import (
    ContractCustomError,
    ContractLogicError,
    TimeExhausted,
    TransactionNotFound,
    Web3RPCError,
)

from bridge_contracts.artifacts import load_artifact

from .errors import L1RequestFailed, L1Unavailable

__all__ = ["L1Client", "L1Fees", "is_transient", "TRANSIENT_RPC_MESSAGES"]

T = TypeVar("T")

TRANSIENT_RPC_MESSAGES = (
    "header not found", "unknown block", "missing trie node", "timeout", "timed out",
    "too many requests", "rate limit", "limit exceeded", "try again", "temporarily",
    "connection", "internal error",
)
"""Substrings of JSON-RPC error messages that mean "ask again later" (lagging or overloaded
nodes behind a load balancer)."""

_TRANSIENT_CODES = (-32005, -32603, 429)
"""JSON-RPC error codes treated as transient: limit exceeded, internal error, too many requests."""

_ALREADY_SENT = ("already known", "known transaction", "already imported",
                 "transaction already exists", "alreadyknown")
"""Messages with which a node says it already holds exactly this transaction."""


def _rpc_error_fields(exc: Web3RPCError) -> tuple[int | None, str]:
    response = getattr(exc, "rpc_response", None) or {}
    error = response.get("error") if isinstance(response, dict) else None
    if isinstance(error, dict):
        return error.get("code"), str(error.get("message", ""))
    return None, str(exc)


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` is worth retrying (see the module docstring)."""
    if isinstance(exc, (ContractLogicError, ContractCustomError)):
        return False
    if isinstance(exc, aiohttp.ClientResponseError):
        return exc.status >= 500 or exc.status == 429
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError, aiohttp.ClientError, ConnectionError,
                        json.JSONDecodeError, TimeExhausted)):
        return True
    if isinstance(exc, Web3RPCError):
        code, message = _rpc_error_fields(exc)
        if code == -32602:
            return False
        lowered = message.lower()
        return code in _TRANSIENT_CODES or any(m in lowered for m in TRANSIENT_RPC_MESSAGES)
    return False


@dataclass(frozen=True, slots=True)
class L1Fees:
    """Current L1 prices (wei): base fee of the latest block, blob base fee, suggested tip."""

    base_fee: int
    blob_base_fee: int
    priority_fee: int


class L1Client:
    """One L1 endpoint. ``w3`` is the underlying ``AsyncWeb3`` for contract objects."""

    def __init__(self, url: str, *, timeout: float = 10.0, attempts: int = 6,
                 backoff_max: float = 2.0) -> None:
        self.url = url
        self.attempts = attempts
        self.backoff_max = backoff_max
        provider = AsyncHTTPProvider(
            url, request_kwargs={"timeout": aiohttp.ClientTimeout(total=timeout)},
            exception_retry_configuration=None)
        self.w3 = AsyncWeb3(provider)
        self.calls = 0
        self.retries = 0

    async def aclose(self) -> None:
        """Close the HTTP session."""
        await self.w3.provider.disconnect()

    async def call(self, method: str, factory: Callable[[], Awaitable[T]]) -> T:
        """``await factory()``, retried on transient errors; ``method`` names it in errors."""
        self.calls += 1
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_random_exponential(multiplier=0.05, max=self.backoff_max),
            retry=retry_if_exception(is_transient),
            reraise=False,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    if attempt.retry_state.attempt_number > 1:
                        self.retries += 1
                    return await factory()
        except RetryError as exc:
            cause = exc.last_attempt.exception()
            raise L1Unavailable(method, self.attempts, cause) from cause  # type: ignore[arg-type]
        except (ContractLogicError, ContractCustomError):
            raise
        except Web3RPCError as exc:
            raise L1RequestFailed(method, exc) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    # -- typed helpers ------------------------------------------------------------------

    def contract(self, name: str, address: str) -> AsyncContract:
        """The artifact ``name`` at ``address``."""
        return self.w3.eth.contract(address=self.w3.to_checksum_address(address),
                                    abi=load_artifact(name).abi)

    async def chain_id(self) -> int:
        return int(await self.call("eth_chainId", lambda: self.w3.eth.chain_id))

    async def block_number(self) -> int:
        return int(await self.call("eth_blockNumber", lambda: self.w3.eth.block_number))

    async def get_block(self, block: int | str) -> Any:
        """A block header (``None`` if there is no such block yet)."""
        async def get() -> Any:
            try:
                return await self.w3.eth.get_block(block)
            except Exception as exc:  # BlockNotFound
                if type(exc).__name__ == "BlockNotFound":
                    return None
                raise
        return await self.call("eth_getBlockByNumber", get)

    async def get_logs(self, params: dict[str, Any]) -> list[Any]:
        return list(await self.call("eth_getLogs", lambda: self.w3.eth.get_logs(params)))

    async def nonce(self, address: str, tag: str = "latest") -> int:
        return int(await self.call("eth_getTransactionCount",
                                   lambda: self.w3.eth.get_transaction_count(address, tag)))

    async def fees(self) -> L1Fees:
        """Base fee, blob base fee and suggested priority fee right now."""
        block = await self.get_block("latest")
        blob = int(await self.call("eth_blobBaseFee", lambda: self.w3.eth.blob_base_fee))
        # the raw method: web3's property silently falls back to eth_feeHistory on any error
        tip = await self.call("eth_maxPriorityFeePerGas", lambda: self.w3.manager.coro_request(
            "eth_maxPriorityFeePerGas", []))
        tip = int(tip, 16) if isinstance(tip, str) else int(tip)
        return L1Fees(int(block["baseFeePerGas"]), blob, tip)

    async def receipt(self, tx_hash: bytes) -> Any | None:
        """The receipt of ``tx_hash``, or ``None`` while it is not mined (or unknown)."""
        async def get() -> Any:
            try:
                return await self.w3.eth.get_transaction_receipt(tx_hash)
            except TransactionNotFound:
                return None
        return await self.call("eth_getTransactionReceipt", get)

    async def send_raw(self, raw: bytes, tx_hash: bytes | None = None) -> bytes:
        """Broadcast ``raw``. Idempotent: a node that already holds the transaction (we
        retried after a lost response) counts as success. Returns the transaction hash."""
        expected = tx_hash or keccak(raw)

        async def send() -> bytes:
            try:
                return bytes(await self.w3.eth.send_raw_transaction(raw))
            except Web3RPCError as exc:
                _, message = _rpc_error_fields(exc)
                if any(m in message.lower() for m in _ALREADY_SENT):
                    return expected
                raise
        return await self.call("eth_sendRawTransaction", send)
