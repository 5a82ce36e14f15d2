"""Collect validator signatures over HTTP until a quorum of stake, verify them off chain, and
aggregate them into the ``SignatureData`` the destination takes.

Verification: a contribution is counted under the G1 key the destination's set holds for the
validator (matched by ``pk1``), never under a key the validator claims. The contributions are
checked together with the contracts' own equation over the aggregate (one two-pairing product with
py-ecc, about a second), which binds the aggregate G2 key to the set's G1 keys and verifies the
aggregate signature; only if that fails is each contribution checked alone with the same equation
(``verify_with_g1_key(pk1_i, pk2_i, digest, sig_i)``) and the bad ones dropped. Every signature counted has therefore been verified off chain before any gas is
spent; the batch check is what keeps the pure-Python pairing cost at one product per delivery.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Sequence

import aiohttp
from web3.contract import AsyncContract

from .bls import G1Point, G2Point, aggregate_g1, aggregate_g2, verify_with_g1_key
from .chain import with_retries
from .contracts import SignatureTuple, signature_data

__all__ = ["SetView", "Collected", "SignatureCollector", "load_set"]

log = logging.getLogger("omnit.relayer.signatures")


@dataclass(frozen=True, slots=True)
class SetView:
    """A destination's current validator set: G1 keys (set order) and weights."""

    epoch: int
    keys: tuple[G1Point, ...]
    weights: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.weights)

    def index_of(self, pk1: G1Point) -> int | None:
        try:
            return self.keys.index(pk1)
        except ValueError:
            return None

    def has_quorum(self, indices: Sequence[int]) -> bool:
        return 3 * sum(self.weights[i] for i in indices) >= 2 * self.total


async def load_set(validator_set: AsyncContract) -> SetView:
    epoch = await with_retries(lambda: validator_set.functions.epoch().call())
    validators, _total, _apk = await with_retries(lambda: validator_set.functions.validatorsOf(epoch).call())
    return SetView(epoch, tuple(G1Point.from_evm(v[0]) for v in validators), tuple(v[1] for v in validators))


@dataclass(frozen=True, slots=True)
class Collected:
    signature: SignatureTuple
    signers: tuple[int, ...]
    refused: dict[str, str]
    """Endpoint -> reason, for validators that answered but would not sign (403)."""


def _g1(words: Sequence[str]) -> G1Point:
    return G1Point.from_evm([int(w, 16) for w in words])


def _g2(words: Sequence[str]) -> G2Point:
    return G2Point.from_evm([int(w, 16) for w in words])


class SignatureCollector:
    """Asks every validator endpoint, concurrently, with a timeout per request."""

    def __init__(self, endpoints: Sequence[str], timeout: float = 5.0) -> None:
        self.endpoints = tuple(e.rstrip("/") for e in endpoints)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _get(self, url: str) -> tuple[int, dict[str, Any] | None]:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.get(url) as resp:
                return resp.status, await resp.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            log.debug("validator %s: %s", url, exc)
            return 0, None

    async def collect(self, path: str, digest: bytes, view: SetView) -> Collected | None:
        """Signatures over ``digest`` from ``GET {endpoint}{path}``; None without a quorum."""
        answers = await asyncio.gather(*(self._get(e + path) for e in self.endpoints))
        contributions: dict[int, tuple[G1Point, G2Point]] = {}
        refused: dict[str, str] = {}
        for endpoint, (status, body) in zip(self.endpoints, answers):
            if status == 403 and body:
                refused[endpoint] = str(body.get("reason", "refused"))
            if status != 200 or not body:
                continue
            try:
                pk1, pk2, sig = _g1(body["pk1"]), _g2(body["pk2"]), _g1(body["signature"])
            except (KeyError, ValueError, TypeError) as exc:
                log.warning("validator %s sent a malformed signature: %s", endpoint, exc)
                continue
            index = view.index_of(pk1)
            if index is None or index in contributions:
                continue
            contributions[index] = (sig, pk2)
        if not view.has_quorum(list(contributions)):
            return None
        if not await asyncio.to_thread(self._aggregate_ok, digest, view, contributions):
            for i, (sig, pk2) in list(contributions.items()):
                if not await asyncio.to_thread(verify_with_g1_key, view.keys[i], pk2, digest, sig):
                    log.warning("validator %d sent an invalid signature over %s", i, digest.hex())
                    del contributions[i]
            if not view.has_quorum(list(contributions)):
                return None
        return Collected(signature_data(view.epoch, contributions), tuple(sorted(contributions)), refused)

    @staticmethod
    def _aggregate_ok(digest: bytes, view: SetView, contributions: dict[int, tuple[G1Point, G2Point]]) -> bool:
        apk1 = aggregate_g1(view.keys[i] for i in contributions)
        apk2 = aggregate_g2(k for _, k in contributions.values())
        sigma = aggregate_g1(s for s, _ in contributions.values())
        return verify_with_g1_key(apk1, apk2, digest, sigma)
