"""The relay services' view of an EVM chain: clients with timeouts, transient-error retries, and
the mailbox's ``Dispatch`` events read straight from ``eth_getLogs``.

Only this module and the delivery code talk to chains; everything above works on
:class:`Dispatched` records.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, TypeVar

import aiohttp
from eth_abi import decode as abi_decode
from eth_hash.auto import keccak
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential
from web3 import AsyncHTTPProvider, AsyncWeb3
from web3.exceptions import (BlockNotFound, ContractCustomError, ContractLogicError, TimeExhausted, TransactionNotFound,
                             Web3RPCError)

from .messages import Message, MessageDecodeError

__all__ = [
    "DISPATCH_TOPIC",
    "Dispatched",
    "make_web3",
    "is_transient",
    "with_retries",
    "fetch_dispatches",
    "LOG_CHUNK",
]

DISPATCH_TOPIC = "0x" + keccak(b"Dispatch(bytes32,uint32,uint32,bytes)").hex()
"""topic0 of ``Mailbox.Dispatch(bytes32 indexed id, uint32 indexed nonce, uint32 indexed destination, bytes message)``."""

LOG_CHUNK = 2_000
"""Blocks per ``eth_getLogs`` call (providers cap ranges; 2,000 is under every common cap)."""

T = TypeVar("T")


def make_web3(url: str, timeout: float = 10.0) -> AsyncWeb3:
    """An AsyncWeb3 with a per-request timeout and web3's own retries off (ours classify errors)."""
    provider = AsyncHTTPProvider(url, request_kwargs={"timeout": aiohttp.ClientTimeout(total=timeout)},
                                 exception_retry_configuration=None)
    return AsyncWeb3(provider)


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: the network or the node failed, not the request (reverts are permanent)."""
    if isinstance(exc, (ContractLogicError, ContractCustomError, TransactionNotFound, BlockNotFound)):
        return False
    if isinstance(exc, (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError, ConnectionError, TimeExhausted)):
        return True
    if isinstance(exc, Web3RPCError):
        return "revert" not in str(exc).lower()
    # web3 reports an HTTP 5xx or a non-JSON body as a plain exception from the provider
    return type(exc).__name__ in {"HTTPError", "JSONDecodeError", "ClientResponseError", "BadResponseFormat"}


async def with_retries(fn: Callable[[], Awaitable[T]], *, attempts: int = 6, max_wait: float = 2.0) -> T:
    """Run ``fn`` again on transient errors (exponential backoff, tenacity); others raise at once."""
    async for attempt in AsyncRetrying(
        retry=retry_if_exception(is_transient), stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=0.1, max=max_wait), reraise=True,
    ):
        with attempt:
            return await fn()
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True, slots=True)
class Dispatched:
    """One ``Dispatch`` event: the message and where it was emitted."""

    message: Message
    id: bytes
    block_number: int
    block_hash: bytes
    tx_hash: bytes
    log_index: int


def _decode_log(log: Any) -> Dispatched:
    topics = log["topics"]
    (raw,) = abi_decode(["bytes"], bytes(log["data"]))
    message = Message.decode(raw)
    event_id = bytes(topics[1])
    if keccak(raw) != event_id:
        raise MessageDecodeError(f"event id {event_id.hex()} is not keccak of the message")
    if int.from_bytes(bytes(topics[2]), "big") != message.nonce:
        raise MessageDecodeError("event nonce differs from the message nonce")
    return Dispatched(message, event_id, int(log["blockNumber"]), bytes(log["blockHash"]),
                      bytes(log["transactionHash"]), int(log["logIndex"]))


async def fetch_dispatches(w3: AsyncWeb3, mailbox: str, from_block: int, to_block: int) -> list[Dispatched]:
    """The mailbox's Dispatch events in ``[from_block, to_block]``, in chain order.

    Logs from any other address are impossible (the filter names the mailbox); a malformed one
    raises :class:`relayer.messages.MessageDecodeError`.
    """
    out: list[Dispatched] = []
    address = AsyncWeb3.to_checksum_address(mailbox)
    start = from_block
    while start <= to_block:
        end = min(to_block, start + LOG_CHUNK - 1)
        logs = await with_retries(lambda: w3.eth.get_logs(
            {"address": address, "fromBlock": start, "toBlock": end, "topics": [DISPATCH_TOPIC]}))
        for log in logs:
            if log.get("removed"):
                continue
            out.append(_decode_log(log))
        start = end + 1
    out.sort(key=lambda d: (d.block_number, d.log_index))
    return out
