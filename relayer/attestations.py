"""Model attestations: the body the L1 ``ModelAttestationSender`` dispatches, and the check every
validator makes against the L2 before signing one (docs/design-relayer.md, "attestations").

    body = abi.encode(bytes32 modelId, bytes32 weightsCommitment, address owner,
                      uint8 status, uint64 version, uint64 l2Block)

``modelId`` is the L2 model id as a u256 word; ``l2Block`` is the L2 block that registered this
version of the model (``updatedBlock``, equal to ``registeredBlock`` for version 1). A validator
signs only if the L2 record (``omni_getModel``) has the same commitment, owner, status, version
and block, and that block is in a batch on the L1 (``omni_syncStatus().safe >= l2Block``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp
from eth_abi import decode as abi_decode, encode as abi_encode

__all__ = ["Attestation", "AttestationMismatch", "AttestationNotSafe", "L2Client", "STATUS_CODES",
           "check_against_l2", "attestation_from_record"]

BODY_TYPES = ("bytes32", "bytes32", "address", "uint8", "uint64", "uint64")
"""ABI types of an attestation body."""

STATUS_CODES = {"none": 0, "active": 1}
"""The L2's model status names (``omni_getModel``) as the uint8 the contracts store."""


class AttestationMismatch(ValueError):
    """The attestation does not say what the L2 says: never signed."""


class AttestationNotSafe(RuntimeError):
    """The L2 block behind the attestation is not in a batch on the L1 yet: ask again later."""


@dataclass(frozen=True, slots=True)
class Attestation:
    model_id: int
    weights_commitment: bytes
    owner: str
    status: int
    version: int
    l2_block: int

    def encode(self) -> bytes:
        return abi_encode(list(BODY_TYPES), [self.model_id.to_bytes(32, "big"), self.weights_commitment,
                                             self.owner, self.status, self.version, self.l2_block])

    @classmethod
    def decode(cls, body: bytes) -> "Attestation":
        mid, wc, owner, status, version, block = abi_decode(list(BODY_TYPES), body)
        return cls(int.from_bytes(mid, "big"), bytes(wc), owner.lower(), status, version, block)


class L2Client:
    """The few L2 JSON-RPC calls the relay needs (plain JSON-RPC: no rollup imports)."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def call(self, method: str, *params: Any) -> Any:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
        async with self._session.post(self.url, json=body) as resp:
            resp.raise_for_status()
            answer = await resp.json()
        if answer.get("error"):
            raise RuntimeError(f"L2 {method} failed: {answer['error']}")
        return answer.get("result")

    async def get_model(self, model_id: int) -> dict[str, Any] | None:
        return await self.call("omni_getModel", hex(model_id))

    async def safe_head(self) -> int:
        return int((await self.call("omni_syncStatus"))["safe"], 16)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def _q(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def attestation_from_record(model_id: int, record: dict[str, Any]) -> Attestation:
    """What an honest attestation of the L2 record says."""
    status = record["status"]
    code = STATUS_CODES.get(status.lower(), -1) if isinstance(status, str) else int(status)
    return Attestation(model_id, bytes.fromhex(record["weightsCommitment"].removeprefix("0x")),
                       record["owner"].lower(), code, _q(record["version"]),
                       _q(record.get("updatedBlock", record.get("registeredBlock"))))


async def check_against_l2(l2: L2Client, attestation: Attestation) -> None:
    """Raise :class:`AttestationMismatch` if the L2 disagrees, :class:`AttestationNotSafe` if it
    agrees but the block is not safe yet; return if the attestation may be signed."""
    record = await l2.get_model(attestation.model_id)
    if record is None:
        raise AttestationMismatch(f"model {attestation.model_id} is not registered on the L2")
    truth = attestation_from_record(attestation.model_id, record)
    for name in ("weights_commitment", "owner", "status", "version", "l2_block"):
        got, want = getattr(attestation, name), getattr(truth, name)
        if got != want:
            shown = (lambda v: "0x" + v.hex() if isinstance(v, bytes) else v)
            raise AttestationMismatch(f"{name}: attestation says {shown(got)}, the L2 says {shown(want)}")
    safe = await l2.safe_head()
    if safe < attestation.l2_block:
        raise AttestationNotSafe(f"L2 block {attestation.l2_block} not safe yet (safe head {safe})")
