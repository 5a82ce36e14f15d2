"""Typed errors of the L2 core.

Tree::

    RollupError
    ├── TransactionError                 a transaction that cannot be accepted / included
    │   ├── DecodeError                  the bytes are not a well-formed transaction
    │   │   ├── TransactionTooLarge(limit, got)
    │   │   ├── EmptyTransaction()
    │   │   ├── UnsupportedTransactionType(type_byte)
    │   │   ├── MalformedRLP(detail)
    │   │   ├── InvalidField(field, detail)
    │   │   └── ContractCreationNotSupported()
    │   ├── InvalidSignature(detail)     bad r/s/v, high s, unrecoverable
    │   ├── ChainIdMismatch(expected, got)   got is None for a pre-EIP-155 legacy transaction
    │   └── InclusionError               valid bytes, but not includable against this state/block
    │       ├── NonceTooLow(expected, got)
    │       ├── NonceTooHigh(expected, got)
    │       ├── InsufficientFunds(address, required, available)
    │       ├── FeeCapTooLow(base_fee, max_fee)
    │       ├── PriorityFeeAboveFeeCap(max_priority_fee, max_fee)
    │       ├── IntrinsicGasTooLow(required, got)
    │       ├── GasLimitTooHigh(limit, got)           above the block gas limit
    │       ├── BlockGasExhausted(remaining, got)     no room left in this block
    │       ├── DepositAlreadyApplied(source_hash)
    │       └── DepositNotAllowed()                   a deposit where only signed txs are allowed
    ├── StateCorruption(key, detail)     a stored record that does not decode (a bug or bad storage)
    ├── BuilderError(detail)             misuse of a BlockBuilder (add after seal...)
    └── GenesisError(detail)             a genesis file that does not parse or is inconsistent

Every error has ``rpc_code`` (the JSON-RPC error code to use: -32000 like geth for rejected
transactions, -32602 for undecodable input) and a message saying what was wrong, with expected
versus got where there is one. Calls that fail *inside* a system contract are not errors: they
are included with a failed receipt (see :mod:`rollup.core.execution`).
"""

from __future__ import annotations

__all__ = [
    "RollupError",
    "TransactionError",
    "DecodeError",
    "TransactionTooLarge",
    "EmptyTransaction",
    "UnsupportedTransactionType",
    "MalformedRLP",
    "InvalidField",
    "ContractCreationNotSupported",
    "InvalidSignature",
    "ChainIdMismatch",
    "InclusionError",
    "NonceTooLow",
    "NonceTooHigh",
    "InsufficientFunds",
    "FeeCapTooLow",
    "PriorityFeeAboveFeeCap",
    "IntrinsicGasTooLow",
    "GasLimitTooHigh",
    "BlockGasExhausted",
    "DepositAlreadyApplied",
    "DepositNotAllowed",
    "StateCorruption",
    "BuilderError",
    "GenesisError",
]

RPC_INVALID_PARAMS = -32602
"""JSON-RPC code for input that cannot be decoded."""

RPC_TX_REJECTED = -32000
"""JSON-RPC code geth uses for transactions rejected by the pool (nonce too low, ...)."""


class RollupError(Exception):
    """Base of every error raised by :mod:`rollup.core`."""

    rpc_code: int = RPC_TX_REJECTED


class TransactionError(RollupError):
    """A transaction that cannot be accepted or included; nothing was changed."""


class DecodeError(TransactionError):
    """The bytes are not a well-formed transaction of an accepted type."""

    rpc_code = RPC_INVALID_PARAMS


class TransactionTooLarge(DecodeError):
    def __init__(self, limit: int, got: int) -> None:
        self.limit, self.got = limit, got
        super().__init__(f"transaction too large: {got} bytes, limit is {limit} bytes")


class EmptyTransaction(DecodeError):
    def __init__(self) -> None:
        super().__init__("empty transaction: expected an RLP list or a type byte")


class UnsupportedTransactionType(DecodeError):
    def __init__(self, type_byte: int) -> None:
        self.type_byte = type_byte
        super().__init__(
            f"unsupported transaction type 0x{type_byte:02x}: expected 0x02 (EIP-1559) "
            "or an EIP-155 legacy transaction"
        )


class MalformedRLP(DecodeError):
    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"malformed RLP: {detail}")


class InvalidField(DecodeError):
    def __init__(self, field: str, detail: str) -> None:
        self.field, self.detail = field, detail
        super().__init__(f"invalid transaction field {field!r}: {detail}")


class ContractCreationNotSupported(DecodeError):
    def __init__(self) -> None:
        super().__init__(
            "contract creation is not supported on the OmniTensor L2: 'to' must be a 20-byte address"
        )


class InvalidSignature(TransactionError):
    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"invalid signature: {detail}")


class ChainIdMismatch(TransactionError):
    def __init__(self, expected: int, got: int | None) -> None:
        self.expected, self.got = expected, got
        if got is None:
            msg = f"transaction is not replay-protected (pre-EIP-155): sign it for chain id {expected}"
        else:
            msg = f"wrong chain id: expected {expected}, got {got}"
        super().__init__(msg)


class InclusionError(TransactionError):
    """A well-formed, correctly signed transaction that this state or block cannot include."""


class NonceTooLow(InclusionError):
    def __init__(self, expected: int, got: int) -> None:
        self.expected, self.got = expected, got
        super().__init__(f"nonce too low: expected {expected}, got {got}")


class NonceTooHigh(InclusionError):
    def __init__(self, expected: int, got: int) -> None:
        self.expected, self.got = expected, got
        super().__init__(f"nonce too high: expected {expected}, got {got}")


class InsufficientFunds(InclusionError):
    def __init__(self, address: bytes, required: int, available: int) -> None:
        self.address, self.required, self.available = address, required, available
        super().__init__(
            f"insufficient funds for value + gas * max fee + l1 fee: account 0x{address.hex()} "
            f"has {available} wei, needs {required} wei"
        )


class FeeCapTooLow(InclusionError):
    def __init__(self, base_fee: int, max_fee: int) -> None:
        self.base_fee, self.max_fee = base_fee, max_fee
        super().__init__(
            f"max fee per gas less than block base fee: max fee {max_fee} wei, base fee {base_fee} wei"
        )


class PriorityFeeAboveFeeCap(InclusionError):
    def __init__(self, max_priority_fee: int, max_fee: int) -> None:
        self.max_priority_fee, self.max_fee = max_priority_fee, max_fee
        super().__init__(
            f"max priority fee per gas {max_priority_fee} is higher than max fee per gas {max_fee}"
        )


class IntrinsicGasTooLow(InclusionError):
    def __init__(self, required: int, got: int) -> None:
        self.required, self.got = required, got
        super().__init__(f"intrinsic gas too low: gas limit {got}, at least {required} needed")


class GasLimitTooHigh(InclusionError):
    def __init__(self, limit: int, got: int) -> None:
        self.limit, self.got = limit, got
        super().__init__(f"gas limit {got} exceeds the block gas limit {limit}")


class BlockGasExhausted(InclusionError):
    def __init__(self, remaining: int, got: int) -> None:
        self.remaining, self.got = remaining, got
        super().__init__(f"block is full: {remaining} gas left, transaction needs up to {got}")


class DepositAlreadyApplied(InclusionError):
    def __init__(self, source_hash: bytes) -> None:
        self.source_hash = source_hash
        super().__init__(f"deposit with source hash 0x{source_hash.hex()} was already applied")


class DepositNotAllowed(InclusionError):
    rpc_code = RPC_INVALID_PARAMS

    def __init__(self) -> None:
        super().__init__(
            "deposit transactions (type 0x7e) come only from L1 events and cannot be submitted"
        )


class StateCorruption(RollupError):
    rpc_code = -32603

    def __init__(self, key: bytes, detail: str) -> None:
        self.key, self.detail = key, detail
        super().__init__(f"state record under key 0x{key.hex()} is corrupt: {detail}")


class BuilderError(RollupError):
    rpc_code = -32603

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


class GenesisError(RollupError):
    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"invalid genesis: {detail}")
