"""End to end on two anvil chains (7000 and 7002) with four HTTP validators on loopback, a real
L2 node (``omnit sequencer``) for model records, and relayers driven per test.

Module layout: one L1 anvil, one remote anvil, the relay contracts, four validators (running
for the whole module) and a block miner; each test starts its own relayer(s) with their own store.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from web3 import AsyncWeb3

from bridge_contracts.anvil import AnvilProcess, DevAccounts
from bridge_contracts.deploy import at
from relayer.attestations import L2Client
from relayer.chain import make_web3
from relayer.config import RelayerSettings
from relayer.contracts import transact
from relayer.devnet import RelayStack, demo_relay, start_relay_stack
from relayer.relayer import Relayer, RelayerCrash, message_status
from relayer.routes import publish_attestation, send_tokens
from relayer.store import MessageState, open_store

from relay_helpers import Miner, process_count, wait_for

pytestmark = [pytest.mark.asyncio(loop_scope="module")]

E18 = 10**18


@pytest.fixture(scope="module")
def l2_node(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A real L2 node with a safe head 3 blocks behind its head (no batcher here)."""
    from rollup.bench.procs import start_sequencer, wait_rpc_ready

    work = tmp_path_factory.mktemp("l2")
    node = start_sequencer(work, f"sqlite:///{work / 'l2.sqlite'}",
                           extra_env={"OMNIT_BLOCK_TIME": "0.1", "OMNIT_EMPTY_BLOCK_INTERVAL": "0.2",
                                      "OMNIT_SAFE_LAG": "3"})
    try:
        asyncio.run(wait_rpc_ready(node))
    except Exception:
        asyncio.run(node.stop())
        raise
    yield node
    asyncio.run(node.stop())


@pytest.fixture(scope="module")
def anvils() -> Any:
    with AnvilProcess(chain_id=7000) as l1, AnvilProcess(chain_id=7002) as remote:
        yield l1, remote


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(anvils: Any, l2_node: Any, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RelayStack]:
    l1, remote = anvils
    work = tmp_path_factory.mktemp("relay")
    s = await start_relay_stack(l1.url, None, l2_node.url, work, remote_url=remote.url, confirmations=1,
                                start_relayer=False, poll_interval=0.1)
    accounts = DevAccounts.derive()
    w3 = make_web3(l1.url)
    token = at(w3, "OmniToken", s.contracts.token.address)
    await transact(token.functions.mint(accounts.alice.address, 1_000 * E18), accounts.admin)
    await w3.provider.disconnect()
    miner = Miner([make_web3(l1.url), make_web3(remote.url)])
    miner.start()
    s.miner = miner  # type: ignore[attr-defined]
    yield s
    await miner.stop()
    await s.stop()


@pytest.fixture(scope="module")
def accounts() -> DevAccounts:
    return DevAccounts.derive()


def settings(stack: RelayStack, tmp: Path, **kw: Any) -> RelayerSettings:
    db = kw.pop("db_url", f"sqlite:///{tmp / 'relayer.sqlite'}")
    base = dict(worker_id="w1", poll_interval=0.1, backoff_base=0.5, backoff_max=5.0, rpc_timeout=5.0)
    base.update(kw)
    return RelayerSettings(stack.chains(1), tuple(stack.validator_urls), db, **base)


class Running:
    """A relayer task; ``stop`` ends it and returns its exception, if any."""

    def __init__(self, relayer: Relayer) -> None:
        self.relayer = relayer
        self.stop_event = asyncio.Event()
        self.task = asyncio.create_task(relayer.run(self.stop_event))

    async def stop(self, close_store: bool = True) -> BaseException | None:
        self.stop_event.set()
        error: BaseException | None = None
        try:
            await asyncio.wait_for(self.task, 15)
        except Exception as exc:  # noqa: BLE001
            error = exc
        if close_store:
            await self.relayer.store.close()
        return error


async def start_relayer(stack: RelayStack, tmp: Path, account: Any, *, crash_at: str | None = None,
                        **kw: Any) -> Running:
    s = settings(stack, tmp, **kw)
    store = await open_store(s.db_url)
    r = Relayer(s, store, account, crash_at=crash_at)
    return Running(r)


def contracts(stack: RelayStack) -> dict[str, Any]:
    c = stack.contracts
    w3, w3r = make_web3(stack.l1_url), make_web3(stack.remote_url)
    return {
        "w3": w3, "w3r": w3r,
        "token": at(w3, "OmniToken", c.token.address), "l1_gw": at(w3, "OmniGateway", c.l1_gateway.address),
        "r_gw": at(w3r, "WrappedOmnitGateway", c.remote_gateway.address),
        "wrapped": at(w3r, "WrappedOMNIT", c.wrapped.address),
        "sender": at(w3, "ModelAttestationSender", c.attestation_sender.address),
        "attestations": at(w3r, "ModelAttestations", c.attestations.address),
    }


# ------------------------------------------------------------------ token route


async def test_round_trip_exact_balances(stack: RelayStack, accounts: DevAccounts, tmp_path: Path) -> None:
    running = await start_relayer(stack, tmp_path, accounts.spare)
    try:
        c = contracts(stack)
        figures = await demo_relay(stack, user=accounts.alice, amount=25 * E18, echo=lambda _: None)
        supply_l1 = await c["token"].functions.totalSupply().call()
        assert figures["outbound_seconds"] < 30 and figures["inbound_seconds"] < 30
        assert await c["token"].functions.balanceOf(c["l1_gw"].address).call() == \
            await c["wrapped"].functions.totalSupply().call() == 0
        # a burst both ways (checkpoint path), exact balances and supply conserved across chains
        alice, bob = accounts.alice, accounts.bob
        a0 = await c["token"].functions.balanceOf(alice.address).call()
        ids = [(await send_tokens(c["w3"], c["l1_gw"], alice, destination=7002, recipient=bob.address,
                                  amount=(i + 1) * E18)).id for i in range(4)]

        async def arrived() -> bool:
            return await c["wrapped"].functions.balanceOf(bob.address).call() == 10 * E18
        await wait_for("the burst on 7002", arrived)
        assert await c["token"].functions.balanceOf(alice.address).call() == a0 - 10 * E18
        assert await c["token"].functions.balanceOf(c["l1_gw"].address).call() == \
            await c["wrapped"].functions.totalSupply().call() == 10 * E18
        assert await c["token"].functions.totalSupply().call() == supply_l1
        async def settled() -> bool:  # the relayer records delivery right after the receipts
            states = [(await message_status(running.relayer.store, mid) or {}).get("state") for mid in ids]
            return states == ["delivered"] * len(ids)
        await wait_for("the relayer to record the deliveries", settled)
        for mid in ids:
            assert await process_count(c["w3r"], stack.contracts.remote.mailbox.address, mid) == 1
            status = await message_status(running.relayer.store, mid)
            assert status["deliveryTx"] and status["gasUsed"] > 0
        kinds = await running.relayer.store.counts_by_state()
        assert kinds.get("parked", 0) == 0
    finally:
        assert await running.stop() is None


# ------------------------------------------------------------------ attestation route


async def _register_model(l2_url: str, weights: bytes) -> int:
    from rollup.devnet import dev_accounts
    from rollup.rpc.client import OmniClient

    client = OmniClient(l2_url, dev_accounts(10)[9])
    outcome = await client.register_model("0x" + weights.hex(), "ipfs://model")
    assert outcome.ok, outcome.describe()
    (event,) = [e for e in outcome.events if e["event"] == "ModelRegistered"]
    return int(event["args"]["modelId"])


async def _wait_l2_safe(l2: L2Client, model_id: int) -> dict[str, Any]:
    async def safe() -> Any:
        record = await l2.get_model(model_id)
        return record if record and await l2.safe_head() >= int(record["updatedBlock"], 16) else None
    return await wait_for("the model's L2 block to be safe", safe)


async def test_model_attestation_delivered(stack: RelayStack, accounts: DevAccounts, tmp_path: Path) -> None:
    weights = bytes(range(32))
    model_id = await _register_model(stack.l2_rpc_url, weights)
    running = await start_relayer(stack, tmp_path, accounts.spare)
    l2 = L2Client(stack.l2_rpc_url)
    try:
        c = contracts(stack)
        record = await _wait_l2_safe(l2, model_id)
        msg = await publish_attestation(c["w3"], c["sender"], l2, accounts.admin, model_id=model_id, destination=7002)

        async def attested() -> Any:
            a = await c["attestations"].functions.attestation(model_id.to_bytes(32, "big")).call()
            return a if a[3] > 0 else None
        wc, owner, status, version, l2_block = await wait_for("the attestation on 7002", attested)
        assert (wc, owner.lower(), status, version, l2_block) == (
            weights, record["owner"].lower(), 1, 1, int(record["updatedBlock"], 16))
        assert await process_count(c["w3r"], stack.contracts.remote.mailbox.address, msg.id) == 1
    finally:
        await l2.close()
        assert await running.stop() is None


# ------------------------------------------------------------------ faults


@pytest.mark.parametrize("step", ["recorded", "sent"])
async def test_restart_in_the_middle_of_delivery(stack: RelayStack, accounts: DevAccounts, tmp_path: Path,
                                                 step: str) -> None:
    """The relayer dies right after recording (or broadcasting) its transaction; a restarted one
    finds it in the ledger: the message is delivered exactly once, nothing is lost."""
    c = contracts(stack)
    carol = accounts.carol
    before = await c["wrapped"].functions.balanceOf(carol.address).call()
    msg = await send_tokens(c["w3"], c["l1_gw"], accounts.alice, destination=7002, recipient=carol.address,
                            amount=3 * E18)
    first = await start_relayer(stack, tmp_path, accounts.spare, crash_at=step)
    await wait_for("the crash", lambda: asyncio.sleep(0, first.task.done()))
    assert isinstance(first.task.exception(), RelayerCrash)
    store = first.relayer.store
    record = await store.get_message(msg.id)
    assert record.state is MessageState.SUBMITTED and record.delivery_tx is not None
    tx = await store.get_tx(record.delivery_tx)
    assert tx.state == step
    await store.close()

    second = await start_relayer(stack, tmp_path, accounts.spare)
    try:
        async def delivered() -> bool:
            m = await second.relayer.store.get_message(msg.id)
            return m is not None and m.state is MessageState.DELIVERED
        await wait_for("delivery after the restart", delivered)
        assert await c["wrapped"].functions.balanceOf(carol.address).call() == before + 3 * E18
        assert await process_count(c["w3r"], stack.contracts.remote.mailbox.address, msg.id) == 1
        assert (await second.relayer.store.get_message(msg.id)).delivery_tx == record.delivery_tx
    finally:
        assert await second.stop() is None


class FlakyProxy:
    """A JSON-RPC proxy that answers some requests with HTTP 502 and holds others past the
    client's timeout (a seeded random pattern, so the test is reproducible)."""

    def __init__(self, target: str, fail: float = 0.2, hang_p: float = 0.05, hang: float = 2.5, seed: int = 7) -> None:
        import random

        self.target, self.fail, self.hang_p, self.hang = target, fail, hang_p, hang
        self.rng = random.Random(seed)
        self.count = self.failed = self.hung = 0
        self.url = ""

    async def handle(self, request: Any) -> Any:
        from aiohttp import ClientSession, web

        self.count += 1
        body = await request.read()
        roll = self.rng.random()
        if roll < self.fail:
            self.failed += 1
            return web.Response(status=502, text="bad gateway")
        if roll < self.fail + self.hang_p:
            self.hung += 1
            await asyncio.sleep(self.hang)
        async with ClientSession() as s, s.post(self.target, data=body,
                                                headers={"Content-Type": "application/json"}) as r:
            return web.Response(body=await r.read(), content_type="application/json")

    async def start(self) -> None:
        from aiohttp import web

        app = web.Application()
        app.router.add_post("/", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        await self.runner.cleanup()


@pytest.mark.slow
async def test_flaky_rpc_errors_and_timeouts(stack: RelayStack, accounts: DevAccounts, tmp_path: Path) -> None:
    from dataclasses import replace

    proxies = [FlakyProxy(stack.l1_url), FlakyProxy(stack.remote_url)]
    for p in proxies:
        await p.start()
    s = settings(stack, tmp_path, rpc_timeout=1.0)
    chains = tuple(replace(ch, rpc_url=p.url) for ch, p in zip(s.chains, proxies))
    s = replace(s, chains=chains)
    relayer = Relayer(s, await open_store(s.db_url), accounts.mallory)
    running = Running(relayer)
    c = contracts(stack)
    try:
        dave = "0x" + "d0" * 20
        ids = [(await send_tokens(c["w3"], c["l1_gw"], accounts.alice, destination=7002, recipient=dave,
                                  amount=E18)).id for _ in range(3)]

        async def arrived() -> bool:
            return await c["wrapped"].functions.balanceOf(AsyncWeb3.to_checksum_address(dave)).call() == 3 * E18
        await wait_for("delivery through the flaky proxy", arrived, timeout=90)
        for mid in ids:
            assert await process_count(c["w3r"], stack.contracts.remote.mailbox.address, mid) == 1
        assert sum(p.failed for p in proxies) > 5 and sum(p.hung for p in proxies) > 2
    finally:
        assert await running.stop() is None
        for p in proxies:
            await p.stop()


async def test_destination_revert_is_parked_and_retried(stack: RelayStack, accounts: DevAccounts,
                                                        tmp_path: Path) -> None:
    c = contracts(stack)
    await transact(c["r_gw"].functions.pause(7000, 3600), accounts.guardian)
    running = await start_relayer(stack, tmp_path, accounts.spare)
    store = running.relayer.store
    try:
        # paused inbound on 7002: deliveries from the L1 revert with RoutePausedError
        msg = await send_tokens(c["w3"], c["l1_gw"], accounts.alice, destination=7002,
                                recipient=accounts.carol.address, amount=2 * E18)

        async def parked() -> Any:
            m = await store.get_message(msg.id)
            return m if m is not None and m.state is MessageState.PARKED else None
        m = await wait_for("the message to be parked", parked)
        assert m.last_error == "RoutePausedError" and m.attempts >= 1
        status = await message_status(store, msg.id)
        assert status["state"] == "parked" and status["lastError"] == "RoutePausedError"
        await wait_for("a second attempt with backoff",
                       lambda: _attempts_at_least(store, msg.id, 2))
        await transact(c["r_gw"].functions.unpause(7000), accounts.admin)

        async def delivered() -> bool:
            m = await store.get_message(msg.id)
            return m.state is MessageState.DELIVERED
        await wait_for("delivery after the pause is lifted", delivered)
        assert await process_count(c["w3r"], stack.contracts.remote.mailbox.address, msg.id) == 1
    finally:
        await transact(c["r_gw"].functions.unpause(7000), accounts.admin)
        assert await running.stop() is None


async def _attempts_at_least(store: Any, mid: bytes, n: int) -> bool:
    m = await store.get_message(mid)
    return m.attempts >= n


async def test_reorg_before_finality_is_not_delivered(stack: RelayStack, accounts: DevAccounts,
                                                      tmp_path: Path) -> None:
    """The relayer indexes at the head (no confirmations); the origin reorganises before the
    validators' finality line: the reorged-out message is forgotten, its replacement delivered."""
    from bridge_contracts.anvil import revert, snapshot

    c = contracts(stack)
    miner = stack.miner  # type: ignore[attr-defined]
    running = await start_relayer(stack, tmp_path, accounts.spare, index_confirmations=0)
    store = running.relayer.store
    try:
        miner.running.clear()
        await asyncio.sleep(0.5)
        snap = await snapshot(c["w3"])
        ghost = await send_tokens(c["w3"], c["l1_gw"], accounts.alice, destination=7002,
                                  recipient=accounts.bob.address, amount=7 * E18)
        await wait_for("the relayer to index the soon-reorged message", lambda: store.get_message(ghost.id))
        await revert(c["w3"], snap)
        erin = "0x" + "e1" * 20
        real = await send_tokens(c["w3"], c["l1_gw"], accounts.alice, destination=7002, recipient=erin,
                                 amount=5 * E18)
        assert real.nonce == ghost.nonce and real.id != ghost.id
        miner.running.set()

        async def delivered() -> bool:
            m = await store.get_message(real.id)
            return m is not None and m.state is MessageState.DELIVERED
        await wait_for("the canonical message", delivered)
        assert await store.get_message(ghost.id) is None
        assert await process_count(c["w3r"], stack.contracts.remote.mailbox.address, ghost.id) == 0
        assert await c["wrapped"].functions.balanceOf(AsyncWeb3.to_checksum_address(erin)).call() == 5 * E18
    finally:
        miner.running.set()
        assert await running.stop() is None


@pytest.mark.slow
async def test_postgres_queue_two_workers_deliver_once(stack: RelayStack, accounts: DevAccounts, tmp_path: Path,
                                                       pg_url: str) -> None:
    c = contracts(stack)
    frank = "0x" + "f4" * 20
    ids = []
    for i in range(8):
        ids.append((await send_tokens(c["w3"], c["l1_gw"], accounts.alice, destination=7002, recipient=frank,
                                      amount=E18)).id)
    workers = [await start_relayer(stack, tmp_path, acct, db_url=pg_url, worker_id=f"pg-{i}", max_batch=3)
               for i, acct in enumerate((accounts.spare, accounts.mallory))]
    try:
        async def all_delivered() -> bool:
            states = [await workers[0].relayer.store.get_message(i) for i in ids]
            return all(m is not None and m.state is MessageState.DELIVERED for m in states)
        await wait_for("every message delivered", all_delivered, timeout=90)
        assert await c["wrapped"].functions.balanceOf(AsyncWeb3.to_checksum_address(frank)).call() == 8 * E18
        for mid in ids:
            assert await process_count(c["w3r"], stack.contracts.remote.mailbox.address, mid) == 1
        senders = {(await workers[0].relayer.store.get_tx((await workers[0].relayer.store.get_message(i)).delivery_tx)).sender
                   for i in ids}
        assert len(senders) >= 1
        reverted = await workers[0].relayer.store.counts_by_state()
        assert reverted.get("parked", 0) == 0
    finally:
        for w in workers:
            assert await w.stop() is None


async def test_bridge_send_command(stack: RelayStack, accounts: DevAccounts) -> None:
    """``omnit bridge send`` (here ``python -m relayer.cli bridge send``) locks on the L1 and
    prints the message id; the burn direction is picked by --from-chain."""
    import os
    import sys

    c = contracts(stack)
    alice = accounts.alice
    before = await c["token"].functions.balanceOf(alice.address).call()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "relayer.cli", "bridge", "send", "--from-chain", "7000", "--to-chain", "7002",
        "--amount", "1.5", "--to", "0x" + "c1" * 20, "--rpc-url", stack.l1_url,
        "--gateway", stack.contracts.l1_gateway.address,
        env={**os.environ, "OMNIT_PRIVATE_KEY": alice.key.hex()},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, out.decode()
    assert "locked 1500000000000000000 on 7000; message 0x" in out.decode()
    assert await c["token"].functions.balanceOf(alice.address).call() == before - 15 * 10**17
    wrong = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "relayer.cli", "bridge", "send", "--from-chain", "7002", "--to-chain", "7000",
        "--amount", "1", "--rpc-url", stack.l1_url, "--gateway", stack.contracts.l1_gateway.address,
        env={**os.environ, "OMNIT_PRIVATE_KEY": alice.key.hex()},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(wrong.communicate(), 60)
    assert wrong.returncode != 0 and "serves chain 7000, not --from-chain 7002" in out.decode()


# ------------------------------------------------------------------ last: leaves a refused message on the L1


async def test_validator_refuses_attestation_not_matching_the_l2(stack: RelayStack, accounts: DevAccounts,
                                                                tmp_path: Path) -> None:
    """A published attestation whose commitment is not the L2's is refused by every validator
    (403 with the reason) and never delivered. Runs last: the refusal stops the L1 origin's
    checkpoint frontier (later L1 messages go one by one on the direct path)."""
    import aiohttp

    c = contracts(stack)
    weights = b"\x42" * 32
    model_id = await _register_model(stack.l2_rpc_url, weights)
    l2 = L2Client(stack.l2_rpc_url)
    running = await start_relayer(stack, tmp_path, accounts.spare)
    try:
        record = await _wait_l2_safe(l2, model_id)
        forged = c["sender"].functions.publish(7002, model_id.to_bytes(32, "big"), b"\x66" * 32,
                                               AsyncWeb3.to_checksum_address(record["owner"]), 1, 1,
                                               int(record["updatedBlock"], 16))
        receipt = await transact(forged, accounts.admin)
        from relayer.routes import dispatched_in
        (msg,) = await dispatched_in(c["w3"], stack.contracts.home.mailbox.address, receipt)

        async def refused() -> Any:
            out = []
            async with aiohttp.ClientSession() as s:
                for url in stack.validator_urls:
                    async with s.get(f"{url}/signatures/message/0x{msg.id.hex()}") as r:
                        out.append((r.status, await r.json()))
            return out if all(status == 403 for status, _ in out) else None
        answers = await wait_for("every validator to refuse", refused)
        assert all("does not match the L2" in body["reason"] and "weights_commitment" in body["reason"]
                   for _, body in answers)
        await asyncio.sleep(2.0)
        m = await running.relayer.store.get_message(msg.id)
        assert m is not None and m.state is not MessageState.DELIVERED
        assert await process_count(c["w3r"], stack.contracts.remote.mailbox.address, msg.id) == 0
        a = await c["attestations"].functions.attestation(model_id.to_bytes(32, "big")).call()
        assert a[3] == 0
        # an honest attestation of the same model still goes through (direct path)
        good = await publish_attestation(c["w3"], c["sender"], l2, accounts.admin, model_id=model_id,
                                         destination=7002)

        async def attested() -> Any:
            a = await c["attestations"].functions.attestation(model_id.to_bytes(32, "big")).call()
            return a if a[3] == 1 else None
        assert (await wait_for("the honest attestation", attested))[0] == weights
        assert await process_count(c["w3r"], stack.contracts.remote.mailbox.address, good.id) == 1
    finally:
        await l2.close()
        assert await running.stop() is None
