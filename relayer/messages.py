"""Cross-chain message format and signed digests (docs/spec.md §7 sections 1 and 2).

A message is ``version | nonce | origin | sender | destination | recipient | body`` with fixed
widths (77-byte header)::

    version      u8       MESSAGE_VERSION (1)
    nonce        u32      per origin mailbox, from 0, also the leaf index in checkpoints
    origin       u32      origin chain id
    sender       bytes32  sender address, left-padded with zeros
    destination  u32      destination chain id
    recipient    bytes32  recipient address, left-padded with zeros
    body         bytes    the rest, any length

``id = keccak(encoding)``. Everything validators sign is a domain-separated digest::

    digest = keccak(DOMAIN_TAG ++ u8(kind) ++ u32(originChainId) ++ originContract ++ payloadHash)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from eth_hash.auto import keccak

__all__ = [
    "MessageError",
    "MessageDecodeError",
    "MESSAGE_VERSION",
    "HEADER_SIZE",
    "MAX_NONCE",
    "DOMAIN_TAG",
    "MessageKind",
    "Message",
    "address_to_bytes32",
    "bytes32_to_address",
    "signing_digest",
    "message_digest",
]

MESSAGE_VERSION = 1
"""Version byte of the message encoding defined here."""

HEADER_SIZE = 1 + 4 + 4 + 32 + 4 + 32
"""77: bytes before the body."""

MAX_NONCE = 2**32 - 1
"""Nonces are u32: four billion messages per origin mailbox."""

DOMAIN_TAG: bytes = keccak(b"OmniTensor/relay/v1")
"""32-byte tag in front of every signed digest: nothing else the validators sign can collide."""


class MessageError(ValueError):
    """Base class of message format errors."""


class MessageDecodeError(MessageError):
    """Bytes that are not a valid version-1 message."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"cannot decode message: {reason}")
        self.reason = reason


class MessageKind(IntEnum):
    """What a signed digest is about (the ``kind`` byte)."""

    POP = 0
    """Proof of possession of a BLS key (payload = keccak(pk1 ++ pk2))."""
    MESSAGE = 1
    """One message, direct path (payload = message id)."""
    CHECKPOINT = 2
    """A checkpoint of an origin mailbox (payload = list root over the message ids)."""
    VALIDATOR_SET = 3
    """A validator set rotation pushed to a remote chain (payload = set update hash)."""


def address_to_bytes32(address: str | bytes) -> bytes:
    """An EVM address left-padded to 32 bytes."""
    raw = bytes.fromhex(address.removeprefix("0x")) if isinstance(address, str) else bytes(address)
    if len(raw) != 20:
        raise MessageError(f"address must be 20 bytes, got {len(raw)}")
    return bytes(12) + raw


def bytes32_to_address(word: bytes) -> str:
    """The low 20 bytes of a 32-byte word as a 0x hex address (lower case)."""
    if len(word) != 32:
        raise MessageError(f"expected 32 bytes, got {len(word)}")
    return "0x" + word[12:].hex()


@dataclass(frozen=True, slots=True)
class Message:
    """A decoded cross-chain message."""

    nonce: int
    origin: int
    sender: bytes
    destination: int
    recipient: bytes
    body: bytes
    version: int = MESSAGE_VERSION

    def __post_init__(self) -> None:
        if self.version != MESSAGE_VERSION:
            raise MessageError(f"unsupported version {self.version}")
        if not 0 <= self.nonce <= MAX_NONCE:
            raise MessageError(f"nonce {self.nonce} out of u32 range")
        for name in ("origin", "destination"):
            if not 0 <= getattr(self, name) < 2**32:
                raise MessageError(f"{name} chain id out of u32 range")
        for name in ("sender", "recipient"):
            if len(getattr(self, name)) != 32:
                raise MessageError(f"{name} must be 32 bytes")

    def encode(self) -> bytes:
        """The canonical encoding (header then body)."""
        return (
            bytes([self.version])
            + self.nonce.to_bytes(4, "big")
            + self.origin.to_bytes(4, "big")
            + self.sender
            + self.destination.to_bytes(4, "big")
            + self.recipient
            + self.body
        )

    @property
    def id(self) -> bytes:
        """``keccak(encode())``."""
        return keccak(self.encode())

    @classmethod
    def decode(cls, data: bytes) -> "Message":
        """Inverse of :meth:`encode`; raises :class:`MessageDecodeError`."""
        if len(data) < HEADER_SIZE:
            raise MessageDecodeError(f"{len(data)} bytes, header needs {HEADER_SIZE}")
        if data[0] != MESSAGE_VERSION:
            raise MessageDecodeError(f"version {data[0]}, expected {MESSAGE_VERSION}")
        return cls(
            nonce=int.from_bytes(data[1:5], "big"),
            origin=int.from_bytes(data[5:9], "big"),
            sender=bytes(data[9:41]),
            destination=int.from_bytes(data[41:45], "big"),
            recipient=bytes(data[45:77]),
            body=bytes(data[77:]),
        )


def signing_digest(kind: MessageKind, origin_chain_id: int, origin_contract: bytes, payload_hash: bytes) -> bytes:
    """``keccak(DOMAIN_TAG ++ u8(kind) ++ u32(origin) ++ originContract ++ payloadHash)`` (101 bytes in)."""
    if len(origin_contract) == 20:
        origin_contract = bytes(12) + origin_contract
    if len(origin_contract) != 32 or len(payload_hash) != 32:
        raise MessageError("origin contract and payload hash must be 32 bytes")
    return keccak(
        DOMAIN_TAG
        + bytes([int(kind)])
        + origin_chain_id.to_bytes(4, "big")
        + origin_contract
        + payload_hash
    )


def message_digest(message: Message, origin_mailbox: bytes) -> bytes:
    """The digest validators sign to deliver ``message`` on the direct (single-message) path."""
    return signing_digest(MessageKind.MESSAGE, message.origin, origin_mailbox, message.id)
