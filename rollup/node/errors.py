"""Typed errors of the sequencer node (pool policy, intake, lease, state availability).

Invalid transactions (bad signature, nonce too low, insufficient funds...) raise the core's
:mod:`rollup.core.exceptions`; the errors here are the node's own policy decisions. Each carries
its data, a JSON-RPC error ``rpc_code`` and a ``rpc_data`` dict the RPC server can send as is::

    NodeError
    ├── Overloaded              intake queue full: retry later (nothing was acknowledged)
    ├── NotSequencer            this node does not hold the sequencer lease (standby)
    ├── PoolRejection
    │   ├── NonceGapTooLarge    future nonce further ahead than the gap buffer accepts
    │   ├── ReplacementUnderpriced  same sender+nonce without the required fee bump
    │   ├── NonceInFlight       same sender+nonce is being sealed or replaced right now
    │   └── PoolFull            too many pending transactions for one sender
    ├── StateUnavailable        a state older than the node's history (or beyond the head) was asked for
    ├── UnknownBlock            a block tag or number that does not exist (yet)
    ├── StateRootMismatch       restart: the rebuilt tree does not match the stored header
    ├── LogQueryTooLarge        eth_getLogs over too many blocks or matching too many logs
    ├── ShuttingDown            the node is stopping; the submission was not acknowledged
    └── CallReverted            eth_call / eth_estimateGas: the call failed (JSON-RPC code 3)
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "NodeError",
    "Overloaded",
    "NotSequencer",
    "PoolRejection",
    "NonceGapTooLarge",
    "ReplacementUnderpriced",
    "NonceInFlight",
    "PoolFull",
    "StateUnavailable",
    "UnknownBlock",
    "StateRootMismatch",
    "ShuttingDown",
    "CallReverted",
    "LogQueryTooLarge",
    "RPC_SERVER_BUSY",
    "RPC_TX_REJECTED",
    "RPC_INVALID_PARAMS",
    "RPC_RESOURCE_UNAVAILABLE",
    "RPC_INTERNAL",
]

RPC_SERVER_BUSY = -32005
"""JSON-RPC "limit exceeded" (EIP-1474): the client should back off and retry."""

RPC_TX_REJECTED = -32003
"""JSON-RPC "transaction rejected" (EIP-1474): a pool policy refused the transaction."""

RPC_INVALID_PARAMS = -32602
"""JSON-RPC "invalid params": the request named something that does not exist."""

RPC_RESOURCE_UNAVAILABLE = -32002
"""JSON-RPC "resource unavailable" (EIP-1474): e.g. historical state that is not kept."""

RPC_INTERNAL = -32603
"""JSON-RPC "internal error"."""


class NodeError(Exception):
    """Base of the node's errors. ``rpc_code``/``rpc_data`` map it to a JSON-RPC error object."""

    rpc_code: int = RPC_INTERNAL

    @property
    def rpc_data(self) -> dict[str, Any]:
        """Structured details for the JSON-RPC ``data`` member (JSON-safe values only)."""
        return {}


class Overloaded(NodeError):
    """The intake queue holds ``capacity`` submissions already; retry after a short pause."""

    rpc_code = RPC_SERVER_BUSY

    def __init__(self, capacity: int) -> None:
        super().__init__(f"sequencer overloaded: intake queue full ({capacity}); retry later")
        self.capacity = capacity

    @property
    def rpc_data(self) -> dict[str, Any]:
        return {"capacity": self.capacity}


class NotSequencer(NodeError):
    """Submissions go to the lease holder; this node is on standby."""

    rpc_code = RPC_RESOURCE_UNAVAILABLE

    def __init__(self, holder: str | None) -> None:
        who = holder or "nobody yet"
        super().__init__(f"this node is not the active sequencer (lease held by {who})")
        self.holder = holder

    @property
    def rpc_data(self) -> dict[str, Any]:
        return {"holder": self.holder}


class PoolRejection(NodeError):
    """The pool's policy refused the transaction (it is valid, but not acceptable now)."""

    rpc_code = RPC_TX_REJECTED


class NonceGapTooLarge(PoolRejection):
    """``got`` is more than ``max_gap`` ahead of the sender's next nonce ``expected``."""

    def __init__(self, sender: str, expected: int, got: int, max_gap: int) -> None:
        super().__init__(
            f"nonce {got} too far ahead: next nonce for {sender} is {expected}, "
            f"at most {max_gap} ahead is buffered; send the missing nonces first"
        )
        self.sender = sender
        self.expected = expected
        self.got = got
        self.max_gap = max_gap

    @property
    def rpc_data(self) -> dict[str, Any]:
        return {"sender": self.sender, "expected": self.expected, "got": self.got,
                "maxGap": self.max_gap}


class ReplacementUnderpriced(PoolRejection):
    """A second transaction for (sender, nonce) must raise both fee caps by the bump."""

    def __init__(self, sender: str, nonce: int, min_tip: int, min_fee_cap: int) -> None:
        super().__init__(
            f"replacement transaction underpriced for {sender} nonce {nonce}: need "
            f"maxPriorityFeePerGas >= {min_tip} and maxFeePerGas >= {min_fee_cap}"
        )
        self.sender = sender
        self.nonce = nonce
        self.min_tip = min_tip
        self.min_fee_cap = min_fee_cap

    @property
    def rpc_data(self) -> dict[str, Any]:
        return {"sender": self.sender, "nonce": self.nonce, "minTip": hex(self.min_tip),
                "minFeeCap": hex(self.min_fee_cap)}


class NonceInFlight(PoolRejection):
    """(sender, nonce) is being sealed into a block or replaced right now: retry shortly."""

    def __init__(self, sender: str, nonce: int) -> None:
        super().__init__(f"transaction for {sender} nonce {nonce} is being sealed or replaced; "
                         f"retry after the next block")
        self.sender = sender
        self.nonce = nonce

    @property
    def rpc_data(self) -> dict[str, Any]:
        return {"sender": self.sender, "nonce": self.nonce}


class PoolFull(PoolRejection):
    """The sender already has ``limit`` transactions waiting."""

    def __init__(self, sender: str, limit: int) -> None:
        super().__init__(f"{sender} already has {limit} pending transactions; wait for inclusion")
        self.sender = sender
        self.limit = limit

    @property
    def rpc_data(self) -> dict[str, Any]:
        return {"sender": self.sender, "limit": self.limit}


class StateUnavailable(NodeError):
    """The state at ``block`` is not kept: older than the history (``oldest``, the first block
    the node can read back) or newer than the head ``head``."""

    rpc_code = RPC_RESOURCE_UNAVAILABLE

    def __init__(self, block: int, head: int, oldest: int | None = None) -> None:
        if block > head:
            detail = f"block {block} is beyond the head {head}"
        else:
            detail = f"this node keeps the state from block {oldest if oldest is not None else head} on"
        super().__init__(f"state at block {block} is not available ({detail}; head is {head})")
        self.block = block
        self.head = head
        self.oldest = oldest

    @property
    def rpc_data(self) -> dict[str, Any]:
        return {"block": self.block, "head": self.head, "oldest": self.oldest}


class UnknownBlock(NodeError):
    """The block tag or number ``block`` names no stored block."""

    rpc_code = RPC_INVALID_PARAMS

    def __init__(self, block: object) -> None:
        super().__init__(f"unknown block {block!r}")
        self.block = block


class StateRootMismatch(NodeError):
    """At start, the state tree rebuilt from the store does not match the head header."""

    def __init__(self, block: int, stored: bytes, rebuilt: bytes) -> None:
        super().__init__(
            f"state root mismatch at block {block}: header has 0x{stored.hex()}, rows rebuild "
            f"to 0x{rebuilt.hex()}; the database is inconsistent, refusing to start"
        )
        self.block = block
        self.stored = stored
        self.rebuilt = rebuilt


class ShuttingDown(NodeError):
    """The node is stopping; the submission was not acknowledged (retry elsewhere or later)."""

    rpc_code = RPC_SERVER_BUSY

    def __init__(self) -> None:
        super().__init__("node is shutting down; transaction not accepted")


class CallReverted(NodeError):
    """``eth_call``/``eth_estimateGas``: the call failed with ``reason`` (and ``return_data``)."""

    rpc_code = 3

    def __init__(self, reason: str, return_data: bytes = b"") -> None:
        super().__init__(f"execution reverted: {reason}" if reason else "execution reverted")
        self.reason = reason
        self.return_data = return_data

    @property
    def rpc_data(self) -> dict[str, Any]:
        return {"reason": self.reason, "data": "0x" + bytes(self.return_data).hex()}


class LogQueryTooLarge(NodeError):
    """An ``eth_getLogs`` filter spans more than ``limit`` blocks or matches more than ``limit``
    logs (``what`` says which); narrow the block range or the filter."""

    rpc_code = RPC_SERVER_BUSY

    def __init__(self, what: str, limit: int) -> None:
        super().__init__(f"log query too large: more than {limit} {what}; narrow the range")
        self.what = what
        self.limit = limit

    @property
    def rpc_data(self) -> dict[str, Any]:
        return {"limit": self.limit, "what": self.what}
