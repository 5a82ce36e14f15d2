"""``omnit validator``: watch the origin mailboxes below their finality line, check each message,
sign it and the checkpoints of its origin, and serve the signatures over HTTP.

    GET /signatures/message/{id}                 200 signature | 202 pending | 403 refused | 404 unknown
    GET /signatures/checkpoint/{origin}/{count}  200 signature | 409 not (yet) signable | 404 unknown origin
    GET /health                                  cursors and frontiers per origin
    GET /metrics                                 Prometheus text

A message is signed once it is final (``head - confirmations``), well formed (its id is keccak of
its bytes, emitted by the configured mailbox, its origin is the chain it was read from), in nonce
order without gaps, for a known destination, and, if it is a model attestation from the L1
``ModelAttestationSender``, equal to the L2 record with the L2 block safe. A checkpoint of
``count`` messages is signed only if all of messages ``0..count-1`` were signed: the *frontier* is
the length of that prefix. A refused message stops the frontier (later messages can still be
delivered one by one on the direct path).

State lives in memory and is rebuilt from the chains at start (``start_block`` onwards): the
chains are the source of truth and signing is deterministic, so a restarted validator serves the
same signatures.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import click
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest, CONTENT_TYPE_LATEST

from .attestations import Attestation, AttestationMismatch, AttestationNotSafe, L2Client, check_against_l2
from .bls import G1Point, KeyPair, sign
from .chain import Dispatched, fetch_dispatches, make_web3, with_retries
from .checkpoints import Checkpoint, build_checkpoint
from .config import ChainConfig, ValidatorSettings, validator_settings
from .messages import address_to_bytes32, message_digest

__all__ = ["Verdict", "Validator", "signature_json", "validator_cmd"]

log = logging.getLogger("omnit.validator")

CHECKPOINT_CACHE = 64
"""Signed checkpoints kept per origin (relayers ask for the same counts repeatedly)."""


class Verdict(str, Enum):
    OK = "ok"
    PENDING = "pending"
    REFUSED = "refused"


@dataclass(slots=True)
class Entry:
    event: Dispatched
    verdict: Verdict = Verdict.PENDING
    reason: str = ""
    signature: G1Point | None = None


@dataclass(slots=True)
class OriginState:
    chain: ChainConfig
    next_block: int
    entries: list[Entry] = field(default_factory=list)
    frontier: int = 0
    checkpoints: dict[int, tuple[Checkpoint, G1Point]] = field(default_factory=dict)

    @property
    def mailbox32(self) -> bytes:
        return address_to_bytes32(self.chain.mailbox)


def signature_json(signature: G1Point, key: KeyPair) -> dict[str, Any]:
    """The signature and both public keys as hex words (EVM encodings)."""
    return {"signature": [hex(w) for w in signature.to_evm()], "pk1": [hex(w) for w in key.pk1.to_evm()],
            "pk2": [hex(w) for w in key.pk2.to_evm()]}


class Validator:
    """One validator's watcher, signer and HTTP server (``run`` them, or call ``tick`` in tests)."""

    def __init__(self, settings: ValidatorSettings, key: KeyPair, *, name: str = "validator") -> None:
        self.settings = settings
        self.key = key
        self.name = name
        self.origins = {c.chain_id: OriginState(c, c.start_block) for c in settings.chains}
        self.destinations = {c.chain_id for c in settings.chains}
        self._w3 = {c.chain_id: make_web3(c.rpc_url) for c in settings.chains}
        self.l2 = L2Client(settings.l2_rpc_url) if settings.l2_rpc_url else None
        self._attester = (address_to_bytes32(settings.attestation_sender)
                          if settings.attestation_sender else None)
        self.registry = CollectorRegistry()
        self.m_messages = Counter("omnit_validator_messages", "Messages judged, by origin and verdict",
                                  ["origin", "verdict"], registry=self.registry)
        self.m_frontier = Gauge("omnit_validator_frontier", "Signable checkpoint count per origin",
                                ["origin"], registry=self.registry)
        self.m_served = Counter("omnit_validator_signatures_served", "Signatures served, by kind",
                                ["kind"], registry=self.registry)
        self.port: int | None = None
        self._runner: web.AppRunner | None = None

    # ------------------------------------------------------------------ watching

    async def tick(self) -> None:
        """One pass: read new final events of every origin, re-check pending ones."""
        for origin in self.origins.values():
            try:
                await self._scan(origin)
            except Exception as exc:  # noqa: BLE001 - one bad origin must not stop the others
                log.warning("%s: origin %d: %s", self.name, origin.chain.chain_id, exc)
            await self._recheck(origin)
            self._advance_frontier(origin)

    async def _scan(self, origin: OriginState) -> None:
        w3 = self._w3[origin.chain.chain_id]
        head = await with_retries(lambda: w3.eth.block_number)
        final = head - origin.chain.confirmations
        if final < origin.next_block:
            return
        for event in await fetch_dispatches(w3, origin.chain.mailbox, origin.next_block, final):
            expected = len(origin.entries)
            if event.message.nonce < expected:
                if origin.entries[event.message.nonce].event.id != event.id:
                    raise RuntimeError(f"nonce {event.message.nonce} seen twice with different ids")
                continue
            if event.message.nonce > expected:
                raise RuntimeError(f"gap: expected nonce {expected}, got {event.message.nonce}; will rescan")
            entry = Entry(event)
            origin.entries.append(entry)
            await self._judge(origin, entry)
        origin.next_block = final + 1

    async def _recheck(self, origin: OriginState) -> None:
        for entry in origin.entries[origin.frontier:]:
            if entry.verdict is Verdict.PENDING:
                await self._judge(origin, entry)

    def _advance_frontier(self, origin: OriginState) -> None:
        while origin.frontier < len(origin.entries) and origin.entries[origin.frontier].verdict is Verdict.OK:
            origin.frontier += 1
        self.m_frontier.labels(str(origin.chain.chain_id)).set(origin.frontier)

    async def _judge(self, origin: OriginState, entry: Entry) -> None:
        msg = entry.event.message
        verdict, reason = Verdict.OK, ""
        if msg.origin != origin.chain.chain_id:
            verdict, reason = Verdict.REFUSED, f"origin field {msg.origin} differs from chain {origin.chain.chain_id}"
        elif msg.destination not in self.destinations or msg.destination == msg.origin:
            verdict, reason = Verdict.REFUSED, f"unknown destination {msg.destination}"
        elif self._attester is not None and msg.origin == self.settings.home_chain_id and msg.sender == self._attester:
            verdict, reason = await self._judge_attestation(msg.body)
        entry.verdict, entry.reason = verdict, reason
        if verdict is Verdict.OK:
            entry.signature = sign(self.key.secret, message_digest(msg, origin.mailbox32))
        if verdict is not Verdict.PENDING:
            self.m_messages.labels(str(origin.chain.chain_id), verdict.value).inc()
            if verdict is Verdict.REFUSED:
                log.warning("%s: refused message %s: %s", self.name, entry.event.id.hex(), reason)

    async def _judge_attestation(self, body: bytes) -> tuple[Verdict, str]:
        try:
            attestation = Attestation.decode(body)
        except Exception as exc:  # noqa: BLE001 - undecodable body
            return Verdict.REFUSED, f"undecodable attestation: {exc}"
        if self.l2 is None:
            return Verdict.PENDING, "no L2 RPC configured: cannot check attestations"
        try:
            await check_against_l2(self.l2, attestation)
        except AttestationMismatch as exc:
            return Verdict.REFUSED, f"attestation does not match the L2: {exc}"
        except AttestationNotSafe as exc:
            return Verdict.PENDING, str(exc)
        except Exception as exc:  # noqa: BLE001 - L2 unreachable: ask again next tick
            return Verdict.PENDING, f"L2 unavailable: {exc}"
        return Verdict.OK, ""

    # ------------------------------------------------------------------ signing

    def find(self, message_id: bytes) -> Entry | None:
        for origin in self.origins.values():
            for entry in reversed(origin.entries):
                if entry.event.id == message_id:
                    return entry
        return None

    def checkpoint(self, origin_id: int, count: int) -> tuple[Checkpoint, G1Point]:
        origin = self.origins[origin_id]
        if not 0 < count <= origin.frontier:
            raise ValueError(f"count {count} outside 1..{origin.frontier} (the signable frontier)")
        if count not in origin.checkpoints:
            cp = build_checkpoint(origin_id, origin.mailbox32, [e.event.id for e in origin.entries[:count]])
            if len(origin.checkpoints) >= CHECKPOINT_CACHE:
                origin.checkpoints.pop(next(iter(origin.checkpoints)))
            origin.checkpoints[count] = (cp, sign(self.key.secret, cp.digest()))
        return origin.checkpoints[count]

    # ------------------------------------------------------------------ HTTP

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/signatures/message/{id}", self._h_message)
        app.router.add_get("/signatures/checkpoint/{origin}/{count}", self._h_checkpoint)
        app.router.add_get("/health", self._h_health)
        app.router.add_get("/metrics", self._h_metrics)
        return app

    async def _h_message(self, request: web.Request) -> web.Response:
        try:
            mid = bytes.fromhex(request.match_info["id"].removeprefix("0x"))
        except ValueError:
            return web.json_response({"error": "id must be 32 bytes of hex"}, status=400)
        entry = self.find(mid)
        if entry is None:
            return web.json_response({"status": "unknown", "error": "not seen below the finality line"}, status=404)
        if entry.verdict is Verdict.PENDING:
            return web.json_response({"status": "pending", "reason": entry.reason}, status=202)
        if entry.verdict is Verdict.REFUSED or entry.signature is None:
            return web.json_response({"status": "refused", "reason": entry.reason}, status=403)
        self.m_served.labels("message").inc()
        msg = entry.event.message
        return web.json_response({"status": "signed", "id": "0x" + mid.hex(), "origin": msg.origin,
                                  "nonce": msg.nonce, **signature_json(entry.signature, self.key)})

    async def _h_checkpoint(self, request: web.Request) -> web.Response:
        try:
            origin, count = int(request.match_info["origin"]), int(request.match_info["count"])
        except ValueError:
            return web.json_response({"error": "origin and count are integers"}, status=400)
        if origin not in self.origins:
            return web.json_response({"error": f"unknown origin {origin}"}, status=404)
        try:
            cp, sig = await asyncio.to_thread(self.checkpoint, origin, count)
        except ValueError as exc:
            return web.json_response({"status": "unavailable", "error": str(exc),
                                      "frontier": self.origins[origin].frontier}, status=409)
        self.m_served.labels("checkpoint").inc()
        return web.json_response({"status": "signed", "origin": origin, "count": count, "root": "0x" + cp.root.hex(),
                                  "treeRoot": "0x" + cp.tree_root.hex(), **signature_json(sig, self.key)})

    async def _h_health(self, request: web.Request) -> web.Response:
        return web.json_response({
            "status": "ok", "name": self.name, "pk1": [hex(w) for w in self.key.pk1.to_evm()],
            "origins": {str(k): {"nextBlock": o.next_block, "messages": len(o.entries), "frontier": o.frontier}
                        for k, o in self.origins.items()},
        })

    async def _h_metrics(self, request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    # ------------------------------------------------------------------ lifecycle

    async def start_http(self) -> str:
        """Start the HTTP server; returns its base URL (port 0 picks a free port)."""
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, self.settings.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self.url

    @property
    def url(self) -> str:
        return f"http://{self.settings.host}:{self.port}"

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Serve and watch until ``stop`` is set (or the task is cancelled)."""
        stop = stop or asyncio.Event()
        if self._runner is None:
            await self.start_http()
        try:
            while not stop.is_set():
                await self.tick()
                try:
                    await asyncio.wait_for(stop.wait(), self.settings.poll_interval)
                except asyncio.TimeoutError:
                    pass
        finally:
            await self.close()

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.l2 is not None:
            await self.l2.close()
        for w3 in self._w3.values():
            await w3.provider.disconnect()


@click.group("validator", invoke_without_command=True)
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), help="TOML settings file.")
@click.option("--keystore", help="BLS keystore (relayer/keystore.py); passphrase from OMNIT_VALIDATOR_PASSPHRASE.")
@click.option("--port", type=int, help="HTTP port (default 9100).")
@click.pass_context
def validator_cmd(ctx: click.Context, config_path: str | None, keystore: str | None, port: int | None) -> None:
    """Run a relay validator: sign final cross-chain messages and serve the signatures
    (``keygen`` and ``register`` prepare its key)."""
    if ctx.invoked_subcommand is not None:
        return
    from .keystore import load_key

    settings = validator_settings(config_path, keystore=keystore, port=port)
    if not settings.keystore:
        raise click.UsageError("a keystore is required (--keystore or [validator] keystore)")
    passphrase = _passphrase(confirm=False)
    key = load_key(settings.keystore, passphrase)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    async def main() -> None:
        v = Validator(settings, key)
        url = await v.start_http()
        click.echo(f"validator {hex(key.pk1.x)[:18]}... serving on {url}")
        await v.run()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass


def _passphrase(*, confirm: bool) -> str:
    """The keystore passphrase: OMNIT_VALIDATOR_PASSPHRASE, else asked on the terminal."""
    import os

    passphrase = os.environ.get("OMNIT_VALIDATOR_PASSPHRASE")
    if passphrase is None:
        passphrase = click.prompt("keystore passphrase", hide_input=True,
                                  confirmation_prompt=confirm)
    return passphrase


def _public_json(key: KeyPair) -> dict[str, Any]:
    """What an operator shares: the public keys and the proof of possession (EVM encodings)."""
    from .bls import prove_possession

    def words(point: Any) -> list[str]:
        return [hex(v) for v in point.to_evm()]

    return {"pk1": words(key.pk1), "pk2": words(key.pk2),
            "proofOfPossession": words(prove_possession(key))}


@validator_cmd.command("keygen")
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
def validator_keygen(out: str, force: bool) -> None:
    """Create a BLS validator key, encrypted into the keystore file OUT (passphrase from
    OMNIT_VALIDATOR_PASSPHRASE or asked twice); print its public keys and proof of possession."""
    from pathlib import Path

    from .keystore import save_key

    if Path(out).exists() and not force:
        raise click.ClickException(f"{out} exists: choose another file or pass --force")
    passphrase = _passphrase(confirm=True)
    if len(passphrase) < 8:
        raise click.ClickException("the passphrase must have at least 8 characters")
    key = KeyPair.generate()
    save_key(out, key, passphrase)
    click.echo(json.dumps({"keystore": str(Path(out).resolve()), **_public_json(key)}, indent=2))


@validator_cmd.command("register")
@click.option("--keystore", required=True, type=click.Path(exists=True, dir_okay=False),
              help="The validator's BLS keystore (passphrase from OMNIT_VALIDATOR_PASSPHRASE).")
@click.option("--l1-rpc-url", required=True, help="JSON-RPC URL of the OmniTensor L1.")
@click.option("--validator-set", "validator_set", required=True, help="Address of the L1 ValidatorSet.")
@click.option("--private-key", envvar="OMNIT_PRIVATE_KEY", required=True,
              help="Hex key of the account that pays for the registration (or OMNIT_PRIVATE_KEY).")
def validator_register(keystore: str, l1_rpc_url: str, validator_set: str, private_key: str) -> None:
    """Register the keystore's BLS key with its proof of possession on the L1 ValidatorSet (the
    staking admin then includes it in a rotation)."""
    from eth_account import Account
    from web3 import AsyncHTTPProvider, AsyncWeb3

    from bridge_contracts.deploy import at

    from .contracts import register_keys, revert_name
    from .keystore import KeystoreError, load_key

    try:
        key = load_key(keystore, _passphrase(confirm=False))
    except KeystoreError as exc:
        raise click.ClickException(str(exc)) from None
    account = Account.from_key(private_key)

    async def go() -> None:
        w3 = AsyncWeb3(AsyncHTTPProvider(l1_rpc_url))
        try:
            await register_keys(at(w3, "ValidatorSet", validator_set), [key], account)
        finally:
            await w3.provider.disconnect()

    try:
        asyncio.run(go())
    except Exception as exc:  # noqa: BLE001 - one line for the operator, the revert's name if any
        name = revert_name(exc)
        raise click.ClickException(f"registration failed: {name or exc}") from None
    click.echo(json.dumps({"registered": True, **_public_json(key)}, indent=2))
