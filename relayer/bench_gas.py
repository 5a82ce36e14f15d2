"""Destination gas per delivered message: BLS Mailbox (direct and checkpoint) versus N-of-M ECDSA.

    python -m relayer.bench_gas            # JSON on stdout (the lead wires `omnit bench relayer`)

For each validator-set size (4, 16, 64, 128 by default) a fresh deployment on one fresh anvil
(chain 7002) receives OMNIT mint messages from the L1 (7000) gateway, signed by the smallest
two-thirds quorum:

- ``bls.single``: `Mailbox.process` of one message (aggregate signature, one pairing check);
- ``bls.checkpoint``: `submitCheckpoint` over the messages of the burst;
- ``bls.burst_per_message``: (checkpoint + the burst's `processWithProof` calls) / burst;
- ``ecdsa.single`` and ``ecdsa.burst_per_message``: `EcdsaMultisigMailbox.process` (a
  signature per signer per message; a burst is the same call repeated).

Every figure is a transaction's ``gasUsed`` (21,000 intrinsic and calldata included) and each
message mints wrapped OMNIT to a fresh account through a `WrappedOmnitGateway`, on both paths.
``apk_schemes`` compares four ways to get the signers' aggregate G1 key and stake (gas inside
the call, plus calldata for the calldata scheme). The last key of the result is ``ratio``: BLS over ECDSA per message, burst, at 64 validators.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any, Sequence

from eth_abi import encode as abi_encode
from eth_keys import keys as eth_keys
from web3 import AsyncHTTPProvider, AsyncWeb3

from bridge_contracts.anvil import AnvilProcess, dev_accounts
from bridge_contracts.deploy import deploy

from .checkpoints import build_checkpoint, checkpoint_proof
from .contracts import Committee, deploy_remote, deploy_wrapped_gateway, transact
from .messages import Message, address_to_bytes32, message_digest

__all__ = ["DEFAULT_SIZES", "BURST", "ORIGIN", "DESTINATION", "SizeResult", "measure", "run", "main"]

DEFAULT_SIZES = (4, 16, 64, 128)
"""Validator-set sizes measured."""

BURST = 16
"""Messages per burst (one checkpoint)."""

ORIGIN = 7000
"""Chain id the messages come from (the L1)."""

DESTINATION = 7002
"""Chain id of the fresh anvil the contracts run on."""

_ORIGIN_MAILBOX = address_to_bytes32("0x" + "22" * 20)
_ORIGIN_GATEWAY = address_to_bytes32("0x" + "33" * 20)
_AMOUNT = 10**18
_BIG = 2**120


@dataclass(frozen=True, slots=True)
class SizeResult:
    """Gas figures for one validator-set size."""

    validators: int
    signers: int
    bls_single: int
    bls_checkpoint: int
    bls_burst_per_message: int
    ecdsa_single: int
    ecdsa_burst_per_message: int

    def to_json(self) -> dict[str, Any]:
        return {
            "validators": self.validators,
            "signers": self.signers,
            "bls": {"single": self.bls_single, "checkpoint": self.bls_checkpoint,
                    "burst_per_message": self.bls_burst_per_message},
            "ecdsa": {"single": self.ecdsa_single, "burst_per_message": self.ecdsa_burst_per_message},
            "ratio_single": round(self.bls_single / self.ecdsa_single, 3),
            "ratio_burst": round(self.bls_burst_per_message / self.ecdsa_burst_per_message, 3),
        }


def _messages(gateway: str, count: int, first_recipient: int) -> list[Message]:
    out = []
    for nonce in range(count):
        to = (first_recipient + nonce).to_bytes(20, "big")
        body = bytes(12) + to + _AMOUNT.to_bytes(32, "big")
        out.append(Message(nonce, ORIGIN, _ORIGIN_GATEWAY, DESTINATION, address_to_bytes32(gateway), body))
    return out


async def _gateway(w3: AsyncWeb3, mailbox: str, admin: Any) -> Any:
    gw, _token = await deploy_wrapped_gateway(w3, mailbox=mailbox, owner=admin.address, guardian=admin.address,
                                              account=admin)
    await transact(gw.functions.setRemoteGateway(ORIGIN, _ORIGIN_GATEWAY), admin)
    await transact(gw.functions.setRateLimit(ORIGIN, 1, _BIG, _BIG), admin)
    return gw


async def _measure_bls(w3: AsyncWeb3, n: int, admin: Any, burst: int) -> tuple[int, int, int, int]:
    committee = Committee.from_seeds(b"bench-" + n.to_bytes(2, "big"), n)
    signers = committee.quorum_indices()
    remote = await deploy_remote(w3, committee, home_chain_id=ORIGIN, home_validator_set="0x" + "44" * 20,
                                 admin=admin.address, account=admin, origins={ORIGIN: _ORIGIN_MAILBOX})
    gw = await _gateway(w3, remote.mailbox.address, admin)
    msgs = _messages(gw.address, burst + 1, 0x1000 + n * 100)
    first = msgs[0]
    receipt = await transact(remote.mailbox.functions.process(
        first.encode(), committee.sign(message_digest(first, _ORIGIN_MAILBOX), signers)), admin)
    single = receipt["gasUsed"]
    ids = [m.id for m in msgs]
    cp = build_checkpoint(ORIGIN, _ORIGIN_MAILBOX, ids)
    receipt = await transact(remote.mailbox.functions.submitCheckpoint(
        ORIGIN, cp.tree_root, cp.count, committee.sign(cp.digest(), signers)), admin)
    checkpoint = receipt["gasUsed"]
    total = checkpoint
    for m in msgs[1:]:
        receipt = await transact(remote.mailbox.functions.processWithProof(
            m.encode(), cp.root, list(checkpoint_proof(ids, m.nonce))), admin)
        total += receipt["gasUsed"]
    return len(signers), single, checkpoint, total // burst


async def _measure_ecdsa(w3: AsyncWeb3, n: int, admin: Any, burst: int) -> tuple[int, int]:
    keys = [eth_keys.PrivateKey((0x5EED0000 + n * 1000 + i).to_bytes(32, "big")) for i in range(n)]
    addresses = [k.public_key.to_checksum_address() for k in keys]
    threshold = -(-2 * n // 3)
    mailbox = await deploy(w3, "EcdsaMultisigMailbox", addresses, threshold, admin.address, account=admin)
    await transact(mailbox.functions.setRemoteMailbox(ORIGIN, _ORIGIN_MAILBOX), admin)
    gw = await _gateway(w3, mailbox.address, admin)
    msgs = _messages(gw.address, burst + 1, 0x1000 + n * 100)
    signers = list(range(threshold))
    bitmap = sum(1 << i for i in signers)
    gases = []
    for m in msgs:
        digest = message_digest(m, _ORIGIN_MAILBOX)
        sigs = b""
        for i in signers:
            s = keys[i].sign_msg_hash(digest)
            sigs += s.r.to_bytes(32, "big") + s.s.to_bytes(32, "big") + bytes([s.v + 27])
        receipt = await transact(mailbox.functions.process(m.encode(), addresses, bitmap, sigs), admin)
        gases.append(receipt["gasUsed"])
    return gases[0], sum(gases[1:]) // burst


def _calldata_gas(data: bytes) -> int:
    return sum(16 if b else 4 for b in data)


async def _measure_apk_schemes(w3: AsyncWeb3, n: int, admin: Any) -> dict[str, int]:
    """Gas to get the signers' G1 aggregate key and stake, four ways (see `ApkSchemes.sol`)."""
    committee = Committee.from_seeds(b"bench-" + n.to_bytes(2, "big"), n)
    keys = [[k.pk1.x, k.pk1.y] for k in committee.keys]
    weights = list(committee.weights)
    bench = await deploy(w3, "ApkSchemes", keys, weights, account=admin)
    bitmap = committee.bitmap(committee.quorum_indices())
    out: dict[str, int] = {}
    results = {}
    for name in ("blobSubtract", "blobSum", "storageSubtract"):
        gas, apk1, _signed = await getattr(bench.functions, name)(bitmap).call()
        out[name] = gas
        results[name] = tuple(apk1)
    gas, apk1, _signed = await bench.functions.calldataKeys(keys, weights, bitmap).call()
    extra = _calldata_gas(abi_encode(["uint256[2][]", "uint256[]"], [keys, weights]))
    out["calldataKeys"] = gas + extra
    results["calldataKeys"] = tuple(apk1)
    if len(set(results.values())) != 1:
        raise RuntimeError(f"apk schemes disagree: {results}")
    return out


async def measure(
    sizes: Sequence[int] = DEFAULT_SIZES, burst: int = BURST, with_apk_schemes: bool = True
) -> dict[str, Any]:
    """Start a fresh anvil, measure every size, return the JSON-ready result (``ratio`` last)."""
    started = time.monotonic()
    results: list[SizeResult] = []
    schemes: dict[str, dict[str, int]] = {}
    async with AnvilProcess(chain_id=DESTINATION, extra_args=("--gas-limit", "100000000")) as node:
        w3 = AsyncWeb3(AsyncHTTPProvider(node.url))
        admin = dev_accounts(1)[0]
        try:
            for n in sizes:
                signers, single, checkpoint, per_msg = await _measure_bls(w3, n, admin, burst)
                e_single, e_per_msg = await _measure_ecdsa(w3, n, admin, burst)
                results.append(SizeResult(n, signers, single, checkpoint, per_msg, e_single, e_per_msg))
                if with_apk_schemes:
                    schemes[str(n)] = await _measure_apk_schemes(w3, n, admin)
        finally:
            await w3.provider.disconnect()
    at64 = next((r for r in results if r.validators == 64), results[-1])
    return {
        "benchmark": "relayer destination gas per delivered message",
        "burst": burst,
        "signers": "smallest two-thirds quorum (equal stake)",
        "results": [r.to_json() for r in results],
        "apk_schemes": schemes,
        "seconds": round(time.monotonic() - started, 1),
        "ratio_at_validators": at64.validators,
        "ratio": round(at64.bls_burst_per_message / at64.ecdsa_burst_per_message, 3),
    }


def run(sizes: Sequence[int] = DEFAULT_SIZES, burst: int = BURST, with_apk_schemes: bool = True) -> dict[str, Any]:
    """Synchronous wrapper of :func:`measure`."""
    return asyncio.run(measure(sizes, burst, with_apk_schemes))


def main() -> None:
    print(json.dumps(run(), indent=2))


if __name__ == "__main__":
    main()
