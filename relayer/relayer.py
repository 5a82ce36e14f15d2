"""``omnit relayer``: index Dispatch events, collect validator signatures, deliver.

One round per destination:

1. **index** every origin below its indexing line (``head - confirmations``) from a cursor
   (block number and hash). If the cursor's block hash is no longer the chain's, the origin
   reorganised: undelivered messages of the last blocks are forgotten and indexed again.
2. **claim** up to ``max_batch`` due messages for the destination (a lease; PostgreSQL claims
   with ``FOR UPDATE SKIP LOCKED``), settle any whose transaction is already recorded, and drop
   those the destination already delivered (``delivered(origin, nonce)``).
3. **deliver** per origin: a lone message on the direct path (``process``, ~235k gas), a burst of
   two or more with one checkpoint (``submitCheckpoint`` ~200k, then ``processWithProof`` ~95k
   each), or through a checkpoint the destination already accepted. Every transaction is signed
   and recorded in the store's nonce ledger before it is broadcast, carries the estimate plus a
   margin, and is replaced with higher fees (capped) if it is not mined in time.
4. **settle**: on a receipt, check ``delivered`` again; a reverted delivery (or one that fails at
   estimation: rate limit, pause...) is *parked* with its reason and retried with exponential
   backoff (``next_attempt_at`` is persisted).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from aiohttp import web
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import AsyncWeb3
from web3.contract import AsyncContract
from web3.contract.async_contract import AsyncContractFunction
from web3.exceptions import BlockNotFound, ContractCustomError, ContractLogicError, TransactionNotFound, Web3RPCError

from bridge_contracts.deploy import at
from .chain import fetch_dispatches, make_web3, with_retries
from .checkpoints import build_checkpoint, checkpoint_proof
from .config import ChainConfig, RelayerSettings
from .contracts import revert_name
from .messages import Message, address_to_bytes32, message_digest
from .metrics import RelayerMetrics
from .signatures import SetView, SignatureCollector, load_set
from .store import CheckpointRecord, LedgerTx, MessageRecord, MessageState, Store

__all__ = ["Relayer", "RelayerCrash", "Reverted", "BURST_MIN", "message_status"]

log = logging.getLogger("omnit.relayer")

BURST_MIN = 2
"""Messages from one origin at which a checkpoint pays: 200k + n * 95k < n * 235k from n = 2."""

SIGNATURE_WAIT = 1.0
"""Seconds before asking the validators again for a message they have not signed yet."""

RECEIPT_POLL = 0.1
"""Seconds between receipt polls."""

BUMP_FACTOR = 1.125
"""Fee multiplier of a replacement (nodes require at least +10% on both fee fields)."""


class RelayerCrash(RuntimeError):
    """Raised by the test hook ``crash_at`` to simulate a process dying at a given step."""


class Reverted(RuntimeError):
    """The destination would revert (at estimation) or did (receipt status 0)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class _Dest:
    chain: ChainConfig
    w3: AsyncWeb3
    mailbox: AsyncContract
    validator_set: AsyncContract | None = None
    view: SetView | None = None
    view_at: float = 0.0


class Relayer:
    """The relayer service (``run``), also driven step by step in tests (``index_all``, ``deliver``)."""

    def __init__(self, settings: RelayerSettings, store: Store, account: LocalAccount | None = None,
                 *, crash_at: str | None = None) -> None:
        self.settings = settings
        self.store = store
        key = account if account is not None else (Account.from_key(settings.private_key)
                                                    if settings.private_key else None)
        if key is None:
            raise ValueError("the relayer needs a funded key (private_key / OMNIT_RELAYER_PRIVATE_KEY)")
        self.account: LocalAccount = key
        self.owner = settings.worker_id
        self.metrics = RelayerMetrics()
        self.collector = SignatureCollector(settings.validators, settings.signature_timeout)
        self.chains: dict[int, _Dest] = {}
        for c in settings.chains:
            w3 = make_web3(c.rpc_url, settings.rpc_timeout)
            self.chains[c.chain_id] = _Dest(c, w3, at(w3, "Mailbox", c.mailbox))
        self.crash_at = crash_at
        self._http: web.AppRunner | None = None

    @property
    def sender(self) -> str:
        return self.account.address

    def _crash(self, step: str) -> None:
        if self.crash_at == step:
            raise RelayerCrash(step)

    # ------------------------------------------------------------------ indexing

    def _index_line(self, chain: ChainConfig, head: int) -> int:
        conf = chain.confirmations if self.settings.index_confirmations is None else self.settings.index_confirmations
        return head - conf

    async def index(self, origin: int) -> int:
        """Index new Dispatch events of ``origin``; returns the number of new messages."""
        d = self.chains[origin]
        w3, chain = d.w3, d.chain
        head = await with_retries(lambda: w3.eth.block_number)
        cursor = await self.store.get_cursor(origin)
        if cursor is not None and cursor[1]:
            try:
                block_hash = bytes((await with_retries(lambda: w3.eth.get_block(cursor[0])))["hash"])
            except BlockNotFound:  # the chain is shorter than our cursor: it reorganised
                block_hash = b""
            if block_hash != cursor[1]:
                target = max(chain.start_block, cursor[0] - 2 * max(chain.confirmations, 1))
                dropped = await self.store.rewind(origin, target)
                self.metrics.reorgs.labels(str(origin)).inc()
                log.warning("origin %d reorganised at block %d: rewound to %d, forgot %d undelivered messages",
                            origin, cursor[0], target, dropped)
                cursor = await self.store.get_cursor(origin)
        start = chain.start_block if cursor is None else cursor[0] + 1
        line = self._index_line(chain, head)
        if line < start:
            return 0
        events = await fetch_dispatches(w3, chain.mailbox, start, line)
        now = time.time()
        records = [
            MessageRecord(e.id, origin, e.message.nonce, e.message.destination, e.message.encode(), e.block_number,
                          e.block_hash, e.tx_hash, observed_at=now)
            for e in events if e.message.destination in self.chains and e.message.origin == origin
        ]
        added = await self.store.add_messages(records) if records else 0
        line_block = await with_retries(lambda: w3.eth.get_block(line))
        await self.store.set_cursor(origin, line, bytes(line_block["hash"]))
        if records:
            top = max(r.nonce for r in records)
            gap = await self.store.contiguous_count(origin) <= top
            self.metrics.gaps.labels(str(origin)).set(int(gap))
            if gap:
                log.warning("origin %d: indexed nonces have a gap below %d (start_block after the first "
                            "message?); checkpoints are off for the messages above it", origin, top)
        return added

    async def index_all(self) -> int:
        total = 0
        for origin in self.chains:
            try:
                total += await self.index(origin)
            except Exception as exc:  # noqa: BLE001 - an unreachable origin must not stop the others
                log.warning("indexing origin %d failed: %s", origin, exc)
        return total

    # ------------------------------------------------------------------ delivery

    async def _view(self, dest: _Dest) -> SetView:
        if dest.view is None or time.monotonic() - dest.view_at > 60:
            if dest.validator_set is None:
                vs = await with_retries(lambda: dest.mailbox.functions.validatorSet().call())
                dest.validator_set = at(dest.w3, "ValidatorSet", vs)
            dest.view = await load_set(dest.validator_set)
            dest.view_at = time.monotonic()
        return dest.view

    def _backoff(self, attempts: int) -> float:
        return min(self.settings.backoff_max, self.settings.backoff_base * 2 ** attempts)

    async def deliver(self, destination: int) -> int:
        """One claim round for ``destination``; returns the number of messages delivered."""
        dest = self.chains[destination]
        await self.recover(destination)  # at start, and after a broadcast that failed mid-round
        batch = await self.store.claim(destination, self.owner, time.time(), self.settings.lease_seconds,
                                       self.settings.max_batch)
        if not batch:
            return 0
        log.debug("claimed %d for %d, oldest indexed %.2f s ago", len(batch), destination,
                  time.time() - min(m.observed_at for m in batch))
        delivered = 0
        fresh: list[MessageRecord] = []
        for m in batch:
            if m.state is MessageState.SUBMITTED and m.delivery_tx is not None:
                tx = await self.store.get_tx(m.delivery_tx)
                if tx is not None and tx.state in ("recorded", "sent"):
                    delivered += await self.settle(dest, tx)
                    continue
            if await self._is_delivered(dest, m):
                await self.store.mark_delivered([m.id], None, None, time.time())
                delivered += 1
                continue
            fresh.append(m)
        by_origin: dict[int, list[MessageRecord]] = defaultdict(list)
        for m in fresh:
            by_origin[m.origin].append(m)
        for origin, msgs in by_origin.items():
            try:
                delivered += await self._deliver_origin(dest, origin, sorted(msgs, key=lambda m: m.nonce))
            except RelayerCrash:
                raise
            except Exception as exc:  # noqa: BLE001 - transient trouble: back off, keep the messages
                log.warning("delivery %d -> %d failed: %r", origin, destination, exc)
                await self.store.reschedule([m.id for m in msgs], MessageState.PENDING, f"error: {exc!r}"[:500],
                                            time.time() + self._backoff(0), False)
        return delivered

    async def _is_delivered(self, dest: _Dest, m: MessageRecord) -> bool:
        return bool(await with_retries(lambda: dest.mailbox.functions.delivered(m.origin, m.nonce).call()))

    async def _deliver_origin(self, dest: _Dest, origin: int, msgs: list[MessageRecord]) -> int:
        view = await self._view(dest)
        cp = await self.store.covering_checkpoint(dest.chain.chain_id, origin, msgs[-1].nonce)
        if cp is None and len(msgs) >= BURST_MIN:
            count = msgs[-1].nonce + 1
            if await self.store.contiguous_count(origin) >= count:
                cp = await self._checkpoint(dest, view, origin, count)
        if cp is not None:
            return await self._deliver_with_proofs(dest, cp, msgs)
        done = 0
        for m in msgs:
            done += await self._deliver_direct(dest, view, m)
        return done

    async def _checkpoint(self, dest: _Dest, view: SetView, origin: int, count: int) -> CheckpointRecord | None:
        ids = await self.store.ids_upto(origin, count)
        origin_mailbox = address_to_bytes32(self.chains[origin].chain.mailbox)
        cp = build_checkpoint(origin, origin_mailbox, ids)
        record = CheckpointRecord(dest.chain.chain_id, origin, count, cp.root, cp.tree_root)
        accepted = await with_retries(lambda: dest.mailbox.functions.checkpointCount(origin, cp.root).call())
        if accepted == count:
            await self.store.save_checkpoint(record)
            return record
        got = await self.collector.collect(f"/signatures/checkpoint/{origin}/{count}", cp.digest(), view)
        if got is None:
            return None  # validators not there yet: the direct path for what they have signed
        fn = dest.mailbox.functions.submitCheckpoint(origin, cp.tree_root, count, got.signature)
        try:
            tx = await self._record(dest, fn, f"checkpoint:{origin}:{count}", ())
        except Reverted as exc:
            log.warning("checkpoint %d/%d refused by %d: %s", origin, count, dest.chain.chain_id, exc.reason)
            return None
        receipt = await self._broadcast_and_wait(dest, tx)
        if receipt is None or receipt["status"] != 1:
            return None
        await self.store.save_checkpoint(record)
        return record

    async def _deliver_with_proofs(self, dest: _Dest, cp: CheckpointRecord, msgs: list[MessageRecord]) -> int:
        ids = await self.store.ids_upto(cp.origin, cp.count)
        fns = [dest.mailbox.functions.processWithProof(m.message, cp.root, [bytes(p) for p in checkpoint_proof(ids, m.nonce)])
               for m in msgs]
        # estimates are independent: ask for them concurrently; nonces are then taken in order
        estimates = await asyncio.gather(*(self._estimate(fn) for fn in fns), return_exceptions=True)
        fees = await self._fees(dest)
        recorded: list[LedgerTx] = []
        for m, fn, estimate in zip(msgs, fns, estimates):
            if isinstance(estimate, Reverted):
                await self._park(dest, [m], estimate.reason)
                continue
            if isinstance(estimate, BaseException):
                raise estimate
            recorded.append(await self._record(dest, fn, "processWithProof", (m.id,), estimate=estimate, fees=fees))
        for tx in recorded:
            await self._broadcast(dest, tx)
        done = 0
        for tx in recorded:
            done += await self.settle(dest, tx, broadcast=False)
        return done

    async def _deliver_direct(self, dest: _Dest, view: SetView, m: MessageRecord) -> int:
        msg = Message.decode(m.message)
        digest = message_digest(msg, address_to_bytes32(self.chains[m.origin].chain.mailbox))
        t0 = time.monotonic()
        got = await self.collector.collect(f"/signatures/message/0x{m.id.hex()}", digest, view)
        log.debug("signatures for %s: %s in %.2f s", m.id.hex()[:12], "quorum" if got else "no quorum",
                  time.monotonic() - t0)
        if got is None:
            await self.store.reschedule([m.id], MessageState.PENDING, "waiting for a quorum of signatures",
                                        time.time() + SIGNATURE_WAIT, False)
            return 0
        try:
            tx = await self._record(dest, dest.mailbox.functions.process(m.message, got.signature), "process", (m.id,))
        except Reverted as exc:
            await self._park(dest, [m], exc.reason)
            return 0
        return await self.settle(dest, tx)

    async def _park(self, dest: _Dest, msgs: Sequence[MessageRecord], reason: str) -> None:
        if reason == "AlreadyDelivered":
            await self.store.mark_delivered([m.id for m in msgs], None, None, time.time())
            return
        for m in msgs:
            wait = self._backoff(m.attempts)
            log.info("message %s parked: %s (retry in %.0f s)", m.id.hex()[:12], reason, wait)
            await self.store.reschedule([m.id], MessageState.PARKED, reason, time.time() + wait, True)

    # ------------------------------------------------------------------ transactions

    async def _fees(self, dest: _Dest) -> tuple[int, int]:
        block = await with_retries(lambda: dest.w3.eth.get_block("latest"))
        tip = await with_retries(lambda: dest.w3.eth.max_priority_fee)
        cap = int(self.settings.max_fee_cap_gwei * 10**9)
        return min(cap, 2 * int(block["baseFeePerGas"]) + tip), min(cap, tip)

    async def _estimate(self, fn: AsyncContractFunction) -> int:
        """Gas estimate; a revert raises :class:`Reverted` with the custom error's name."""
        try:
            return await with_retries(lambda: fn.estimate_gas({"from": self.sender}))
        except (ContractLogicError, ContractCustomError) as exc:
            raise Reverted(revert_name(exc) or str(exc)) from None

    async def _record(self, dest: _Dest, fn: AsyncContractFunction, kind: str, ids: tuple[bytes, ...], *,
                      estimate: int | None = None, fees: tuple[int, int] | None = None) -> LedgerTx:
        """Estimate, sign and record (nonce taken from the ledger); raises :class:`Reverted`."""
        if estimate is None:
            estimate = await self._estimate(fn)
        gas = int(estimate * self.settings.gas_margin) + self.settings.gas_extra
        max_fee, tip = fees if fees is not None else await self._fees(dest)
        chain_nonce = await with_retries(lambda: dest.w3.eth.get_transaction_count(self.sender, "pending"))
        chain_id = dest.chain.chain_id
        tx = await fn.build_transaction({"from": self.sender, "gas": gas, "maxFeePerGas": max_fee,
                                         "maxPriorityFeePerGas": tip, "nonce": 0, "chainId": chain_id})
        ledger = await self.store.record_tx(chain_id, self.sender, chain_nonce,
                                            self._signer(tx, kind, ids, max_fee, tip, gas))
        self._crash("recorded")
        return ledger

    def _signer(self, tx: dict[str, Any], kind: str, ids: tuple[bytes, ...], max_fee: int, tip: int,
                gas: int) -> Callable[[int], LedgerTx]:
        def sign(nonce: int) -> LedgerTx:
            signed = self.account.sign_transaction({**tx, "nonce": nonce, "maxFeePerGas": max_fee,
                                                    "maxPriorityFeePerGas": tip})
            return LedgerTx(bytes(signed.hash), int(tx["chainId"]), self.sender, nonce, bytes(signed.raw_transaction),
                            kind, ids, "recorded", max_fee, tip, gas, self.owner, time.time())
        return sign

    async def _broadcast(self, dest: _Dest, tx: LedgerTx) -> None:
        try:
            await with_retries(lambda: dest.w3.eth.send_raw_transaction(tx.raw))
        except Web3RPCError as exc:
            text = str(exc).lower()
            if "already" not in text and "known" not in text and "nonce too low" not in text:
                raise
        await self.store.update_tx(tx.tx_hash, "sent")
        self._crash("sent")

    async def _broadcast_and_wait(self, dest: _Dest, tx: LedgerTx) -> Any:
        await self._broadcast(dest, tx)
        return await self._wait(dest, tx)

    async def _receipt(self, dest: _Dest, tx_hash: bytes) -> Any:
        try:
            return await with_retries(lambda: dest.w3.eth.get_transaction_receipt(tx_hash))
        except TransactionNotFound:
            return None

    async def _wait(self, dest: _Dest, tx: LedgerTx) -> Any:
        """Wait for ``tx`` (or a replacement) to be mined; bump fees every ``bump_after`` seconds,
        at most ``max_bumps`` times. Returns the receipt, or None if the nonce went to another tx."""
        candidates = [tx]
        bumps = 0
        deadline = time.monotonic() + self.settings.bump_after
        while True:
            for c in candidates:
                receipt = await self._receipt(dest, c.tx_hash)
                if receipt is not None:
                    await self._on_receipt(dest, c, receipt, [x for x in candidates if x is not c])
                    return receipt
            latest = await with_retries(lambda: dest.w3.eth.get_transaction_count(self.sender, "latest"))
            if latest > tx.nonce:
                await asyncio.sleep(RECEIPT_POLL)  # a receipt may lag the nonce by a poll
                if all([await self._receipt(dest, c.tx_hash) is None for c in candidates]):
                    for c in candidates:
                        await self.store.update_tx(c.tx_hash, "dropped")
                    return None
                continue
            if time.monotonic() > deadline:
                if bumps >= self.settings.max_bumps:
                    log.warning("tx %s not mined after %d bumps; leaving it to the next round", tx.tx_hash.hex(), bumps)
                    raise TimeoutError("transaction not mined")
                candidates.append(await self._bump(dest, candidates[-1]))
                bumps += 1
                deadline = time.monotonic() + self.settings.bump_after
            await asyncio.sleep(RECEIPT_POLL)

    async def _bump(self, dest: _Dest, prev: LedgerTx) -> LedgerTx:
        cap = int(self.settings.max_fee_cap_gwei * 10**9)
        max_fee = min(cap, int(prev.max_fee * BUMP_FACTOR) + 1)
        tip = min(max_fee, int(prev.tip * BUMP_FACTOR) + 1)
        from eth_account.typed_transactions import TypedTransaction

        fields = TypedTransaction.from_bytes(prev.raw).as_dict()
        tx = {"to": AsyncWeb3.to_checksum_address("0x" + bytes(fields["to"]).hex()), "data": bytes(fields["data"]), "value": fields["value"],
              "gas": fields["gas"], "chainId": fields["chainId"], "nonce": prev.nonce, "type": 2,
              "maxFeePerGas": max_fee, "maxPriorityFeePerGas": tip}
        new = await self.store.record_tx(prev.chain_id, self.sender, 0,
                                         self._signer(tx, prev.kind, prev.message_ids, max_fee, tip, prev.gas),
                                         nonce=prev.nonce)
        log.info("replacing %s with %s (max fee %d)", prev.tx_hash.hex()[:12], new.tx_hash.hex()[:12], max_fee)
        await self._broadcast(dest, new)
        return new

    async def _on_receipt(self, dest: _Dest, tx: LedgerTx, receipt: Any, others: Sequence[LedgerTx]) -> None:
        ok = receipt["status"] == 1
        used = int(receipt["gasUsed"])
        await self.store.update_tx(tx.tx_hash, "mined" if ok else "failed", used)
        for o in others:
            await self.store.update_tx(o.tx_hash, "replaced")
        chain = str(dest.chain.chain_id)
        self.metrics.gas_used.labels(chain, tx.kind.split(":")[0]).inc(used)
        self.metrics.fees.labels(chain).inc(used * int(receipt.get("effectiveGasPrice", 0)))
        self.metrics.txs.labels(chain, "mined" if ok else "reverted").inc()

    async def settle(self, dest: _Dest, tx: LedgerTx, *, broadcast: bool = True) -> int:
        """Bring a recorded transaction to its end: (re)broadcast, wait, then check ``delivered``
        for its messages and mark them delivered, parked or pending. Returns messages delivered."""
        receipt = None
        for c in await self.store.txs_with_nonce(tx.chain_id, tx.sender, tx.nonce):
            receipt = await self._receipt(dest, c.tx_hash)
            if receipt is not None:
                if c.state in ("recorded", "sent"):
                    await self._on_receipt(dest, c, receipt, [])
                tx = c
                break
        if receipt is None:
            try:
                if broadcast or tx.state == "recorded":
                    await self._broadcast(dest, tx)
                receipt = await self._wait(dest, tx)
            except (TimeoutError, Web3RPCError) as exc:
                log.warning("tx %s: %s", tx.tx_hash.hex()[:12], exc)
        msgs = [m for m in [await self.store.get_message(i) for i in tx.message_ids] if m is not None]
        done = 0
        now = time.time()
        for m in msgs:
            if await self._is_delivered(dest, m):
                ok = receipt is not None and receipt["status"] == 1
                await self.store.mark_delivered([m.id], tx.tx_hash if ok else None,
                                                int(receipt["gasUsed"]) if ok else None, now)
                self.metrics.latency.observe(max(0.0, now - m.observed_at))
                done += 1
            elif receipt is not None and receipt["status"] != 1:
                reason = await self._revert_reason(dest, m) or "reverted"
                await self._park(dest, [m], reason)
            else:  # dropped or not mined: try again soon
                await self.store.reschedule([m.id], MessageState.PENDING, "transaction not mined",
                                            now + SIGNATURE_WAIT, False)
        return done

    async def _revert_reason(self, dest: _Dest, m: MessageRecord) -> str | None:
        """Why a delivery reverts now (re-estimated: the receipt carries no reason)."""
        try:
            fn = dest.mailbox.functions.process(m.message, (0, 1, [1, 2], [0, 0, 0, 0]))
            await fn.estimate_gas({"from": self.sender})
        except (ContractLogicError, ContractCustomError) as exc:
            return revert_name(exc)
        except Exception:  # noqa: BLE001
            return None
        return None

    async def recover(self, destination: int) -> None:
        """Settle every transaction this wallet recorded but did not see mined (after a restart,
        or a broadcast that failed): a recorded nonce is never left as a gap."""
        dest = self.chains[destination]
        for tx in await self.store.open_txs(destination, self.sender):
            log.info("recovering tx %s (nonce %d, %s)", tx.tx_hash.hex()[:12], tx.nonce, tx.kind)
            await self.settle(dest, tx)

    # ------------------------------------------------------------------ service

    async def refresh_metrics(self) -> None:
        counts = await self.store.counts_by_state()
        for state in MessageState:
            self.metrics.messages.labels(state.value).set(counts.get(state.value, 0))
        for cid, d in self.chains.items():
            try:
                bal = await d.w3.eth.get_balance(self.sender)
                self.metrics.balance.labels(str(cid)).set(bal)
            except Exception:  # noqa: BLE001 - metrics are best effort
                pass

    async def step(self) -> int:
        await self.index_all()
        done = 0
        for destination in self.chains:
            done += await self.deliver(destination)
        return done

    async def serve_metrics(self, host: str = "127.0.0.1", port: int = 0) -> int:
        async def metrics(_: web.Request) -> web.Response:
            await self.refresh_metrics()
            return web.Response(body=self.metrics.render(), content_type="text/plain")
        app = web.Application()
        app.router.add_get("/metrics", metrics)
        self._http = web.AppRunner(app, access_log=None)
        await self._http.setup()
        site = web.TCPSite(self._http, host, port)
        await site.start()
        return site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def run(self, stop: asyncio.Event | None = None) -> None:
        stop = stop or asyncio.Event()
        if self.settings.metrics_port is not None and self._http is None:
            await self.serve_metrics(port=self.settings.metrics_port)
        try:
            while not stop.is_set():
                try:
                    done = await self.step()
                except RelayerCrash:
                    raise
                except Exception as exc:  # noqa: BLE001 - keep serving; the store holds the state
                    log.warning("relayer round failed: %r", exc)
                    log.debug("round failure", exc_info=True)
                    done = 0
                if done == 0:
                    try:
                        await asyncio.wait_for(stop.wait(), self.settings.poll_interval)
                    except asyncio.TimeoutError:
                        pass
        finally:
            await self.close()

    async def close(self) -> None:
        await self.collector.close()
        if self._http is not None:
            await self._http.cleanup()
            self._http = None
        for d in self.chains.values():
            await d.w3.provider.disconnect()


async def message_status(store: Store, message_id: bytes) -> dict[str, Any] | None:
    """What ``omnit relayer status`` prints."""
    m = await store.get_message(message_id)
    if m is None:
        return None
    out: dict[str, Any] = {
        "id": "0x" + m.id.hex(), "origin": m.origin, "nonce": m.nonce, "destination": m.destination,
        "state": m.state.value, "attempts": m.attempts, "originBlock": m.block_number,
        "originTx": "0x" + m.tx_hash.hex(),
    }
    if m.last_error:
        out["lastError"] = m.last_error
    if m.state in (MessageState.PARKED, MessageState.PENDING) and m.next_attempt_at > time.time():
        out["nextAttemptIn"] = round(m.next_attempt_at - time.time(), 1)
    if m.delivery_tx:
        out["deliveryTx"] = "0x" + m.delivery_tx.hex()
    if m.delivered_at:
        out["latencySeconds"] = round(m.delivered_at - m.observed_at, 3)
    if m.gas_used:
        out["gasUsed"] = m.gas_used
    return out
