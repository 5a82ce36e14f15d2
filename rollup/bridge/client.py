"""The user side of the OMNIT bridge: deposit on the L1, withdraw on the L2, finalize on the L1.

    bridge = BridgeClient(l1_rpc_url, l2_rpc_url, portal_address, account)
    dep = await bridge.deposit(10 * OMNIT, to=account.address)      # approve + depositOMNIT
    await bridge.wait_deposit(dep)                                  # the 0x7e tx on the L2
    wd = await bridge.withdraw(1 * OMNIT, to=account.address)       # L2 withdraw system call
    print(await bridge.status(wd.tx_hash))                          # waiting/challenge/ready/final
    await bridge.finalize(wd.tx_hash)                               # finalizeWithdrawal on the L1

Finalization: the withdrawal's leaf comes from ``omni_getWithdrawalProof``; the output is the
first one (``OmniRollup.getOutput``) whose L2 block is at or after the withdrawal's block; the
``OutputRootProof`` is that L2 block's state root, withdrawal root and hash (L2
``eth_getBlockByNumber``), checked to hash to the proposed root before anything is sent; the
Merkle proof is against that block's withdrawal root (rebuilt from the ``WithdrawalInitiated``
logs when the L2's latest root differs).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak
from eth_utils import event_abi_to_log_topic
from web3 import AsyncHTTPProvider, AsyncWeb3

from bridge_contracts.deploy import at, events, send
from prover.withdrawals import encode_withdrawal
from rollup.core.constants import L2_TO_L1_ADDRESS
from rollup.core.transactions import deposit_source_hash, encode_deposit
from rollup.rpc.client import OmniClient, decode_events

from .proofs import OutputRootProof, ProofError, Withdrawal, output_root_proof, proof_at_root

__all__ = ["BridgeClient", "BridgeError", "DepositResult", "WithdrawalResult", "WithdrawalStatus",
           "WAITING_FOR_OUTPUT", "IN_CHALLENGE_PERIOD", "READY", "FINALIZED", "L2_LOG_RANGE"]

WAITING_FOR_OUTPUT = "waiting_for_output"
"""No output on the L1 covers the withdrawal's L2 block yet."""
IN_CHALLENGE_PERIOD = "in_challenge_period"
"""An output covers it; its finalization period has not passed."""
READY = "ready"
"""Provable now: ``omnit bridge finalize``."""
FINALIZED = "finalized"
"""Paid out on the L1 (the nonce is spent)."""

L2_LOG_RANGE = 10_000
"""Most L2 blocks asked for in one ``eth_getLogs`` (the node's limit)."""


class BridgeError(RuntimeError):
    """A bridge operation cannot proceed; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class DepositResult:
    """A deposit made on the L1 and the L2 transaction it becomes."""

    l1_tx_hash: bytes
    l1_block: int
    nonce: int
    sender: bytes
    recipient: bytes
    amount: int
    source_hash: bytes
    l2_tx_hash: bytes
    """Hash of the 0x7e deposit transaction on the L2 (``eth_getTransactionReceipt`` finds it)."""
    sent_at: float


@dataclass(frozen=True, slots=True)
class WithdrawalResult:
    """A withdrawal started on the L2."""

    tx_hash: bytes
    l2_block: int
    nonce: int
    amount: int
    l1_recipient: bytes


@dataclass(frozen=True, slots=True)
class WithdrawalStatus:
    """Where a withdrawal is on its way to the L1."""

    state: str
    nonce: int
    amount: int
    l1_recipient: bytes
    l2_block: int
    output_index: int | None = None
    output_l2_block: int | None = None
    finalizes_at: int | None = None
    seconds_left: int | None = None

    def describe(self) -> str:
        base = (f"withdrawal {self.nonce}: {self.amount / 10**18:,.6f} OMNIT to "
                f"0x{self.l1_recipient.hex()} (L2 block {self.l2_block}): {self.state}")
        if self.state == IN_CHALLENGE_PERIOD:
            base += f", output {self.output_index} final in {self.seconds_left}s (at {self.finalizes_at})"
        elif self.state == READY:
            base += f", provable against output {self.output_index} (L2 block {self.output_l2_block})"
        return base


def _b(value: Any) -> bytes:
    return bytes.fromhex(value.removeprefix("0x")) if isinstance(value, str) else bytes(value)


class BridgeClient:
    """L1 (web3.py AsyncWeb3) plus L2 (JSON-RPC) sides of the bridge for one signing account."""

    def __init__(self, l1_rpc_url: str, l2_rpc_url: str, portal_address: str,
                 account: LocalAccount | None, *, timeout: float = 60.0) -> None:
        self.l1 = AsyncWeb3(AsyncHTTPProvider(l1_rpc_url, request_kwargs={"timeout": 30}))
        self.l2 = OmniClient(l2_rpc_url, account, timeout=timeout)
        self.account = account
        self.timeout = timeout
        self.portal = at(self.l1, "OmniPortal", portal_address)
        self._token: Any = None
        self._rollup: Any = None

    async def aclose(self) -> None:
        for w3 in (self.l1, self.l2.w3):
            try:
                await w3.provider.disconnect()
            except Exception:  # noqa: BLE001 - closing is best effort
                pass

    def _need_account(self) -> LocalAccount:
        if self.account is None:
            raise BridgeError("this command needs a signing key (OMNIT_PRIVATE_KEY or --keystore)")
        return self.account

    async def token(self) -> Any:
        if self._token is None:
            self._token = at(self.l1, "OmniToken", await self.portal.functions.token().call())
        return self._token

    async def rollup(self) -> Any:
        if self._rollup is None:
            self._rollup = at(self.l1, "OmniRollup", await self.portal.functions.rollup().call())
        return self._rollup

    # -- balances -----------------------------------------------------------------------------

    async def l1_balance(self, address: str) -> int:
        return int(await (await self.token()).functions.balanceOf(AsyncWeb3.to_checksum_address(address)).call())

    async def l2_balance(self, address: str) -> int:
        return await self.l2.balance(address)

    # -- deposits -----------------------------------------------------------------------------

    async def deposit(self, amount: int, to: str | None = None, *, permit: bool = False) -> DepositResult:
        """Lock ``amount`` OMNIT in the portal for ``to`` on the L2 (approve + depositOMNIT, or
        one transaction with an EIP-2612 permit)."""
        account = self._need_account()
        if amount <= 0:
            raise BridgeError("the amount must be positive")
        recipient = AsyncWeb3.to_checksum_address(to or account.address)
        token = await self.token()
        balance = await self.l1_balance(account.address)
        if balance < amount:
            raise BridgeError(f"L1 OMNIT balance {balance} is below the amount {amount}")
        sent_at = time.time()
        if permit:
            receipt = await self._deposit_with_permit(token, recipient, amount)
        else:
            allowance = int(await token.functions.allowance(account.address, self.portal.address).call())
            if allowance < amount:
                await send(token.functions.approve(self.portal.address, amount), account)
            receipt = await send(self.portal.functions.depositOMNIT(recipient, amount), account)
        (ev,) = events(self.portal, "DepositInitiated", receipt)
        source = deposit_source_hash(bytes(receipt["blockHash"]), int(ev["logIndex"]))
        sender = _b(ev.args["from"])
        raw = encode_deposit(source, sender, _b(recipient), amount)
        return DepositResult(bytes(receipt["transactionHash"]), int(receipt["blockNumber"]),
                             int(ev.args.nonce), sender, _b(recipient), amount, source, keccak(raw), sent_at)

    async def _deposit_with_permit(self, token: Any, recipient: str, amount: int) -> Any:
        account = self._need_account()
        deadline = int(time.time()) + 3600
        nonce = int(await token.functions.nonces(account.address).call())
        chain_id = await self.l1.eth.chain_id
        signed = Account.sign_typed_data(
            account.key,
            domain_data={"name": "OmniTensor", "version": "1", "chainId": chain_id,
                         "verifyingContract": token.address},
            message_types={"Permit": [
                {"name": "owner", "type": "address"}, {"name": "spender", "type": "address"},
                {"name": "value", "type": "uint256"}, {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint256"}]},
            message_data={"owner": account.address, "spender": self.portal.address, "value": amount,
                          "nonce": nonce, "deadline": deadline},
        )
        return await send(self.portal.functions.depositOMNITWithPermit(
            recipient, amount, deadline, signed.v, signed.r.to_bytes(32, "big"),
            signed.s.to_bytes(32, "big")), account)

    async def deposit_receipt(self, dep: DepositResult) -> dict[str, Any] | None:
        """The L2 receipt of the deposit's 0x7e transaction, or ``None`` while not included."""
        return await self.l2.raw("eth_getTransactionReceipt", ["0x" + dep.l2_tx_hash.hex()])

    async def wait_deposit(self, dep: DepositResult, timeout: float | None = None,
                           poll: float = 0.2) -> dict[str, Any]:
        """Wait until the deposit is in an L2 block; returns its receipt."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            receipt = await self.deposit_receipt(dep)
            if receipt is not None:
                return receipt
            if time.monotonic() > deadline:
                raise BridgeError(f"deposit {dep.nonce} not on the L2 after {timeout or self.timeout}s "
                                  "(is the sequencer's L1 watcher running?)")
            await asyncio.sleep(poll)

    # -- withdrawals --------------------------------------------------------------------------

    async def withdraw(self, amount: int, to: str | None = None) -> WithdrawalResult:
        """Burn ``amount`` on the L2 for ``to`` on the L1 (``L2ToL1MessagePasser.withdraw``)."""
        account = self._need_account()
        recipient = AsyncWeb3.to_checksum_address(to or account.address)
        outcome = await self.l2.withdraw(recipient, amount)
        if not outcome.ok:
            raise BridgeError(f"withdraw failed on the L2: {outcome.revert_reason or 'status 0'}")
        nonce = next(int(e["args"]["nonce"]) for e in outcome.events if e["event"] == "WithdrawalInitiated")
        return WithdrawalResult(_b(outcome.tx_hash), outcome.block_number, nonce, amount, _b(recipient))

    async def _withdrawal(self, tx_hash: bytes) -> tuple[Withdrawal, int, dict[str, Any]]:
        proof = await self.l2.raw("omni_getWithdrawalProof", ["0x" + tx_hash.hex()])
        if proof is None:
            raise BridgeError(f"no withdrawal in L2 transaction 0x{tx_hash.hex()} (pending, failed, "
                              "or not a withdraw call)")
        receipt = await self.l2.raw("eth_getTransactionReceipt", ["0x" + tx_hash.hex()])
        if receipt is None:
            raise BridgeError(f"L2 transaction 0x{tx_hash.hex()} has no receipt yet")
        w = Withdrawal.from_leaf(_b(proof["leaf"]))
        return w, int(receipt["blockNumber"], 16), proof

    async def _covering_output(self, l2_block: int) -> tuple[int, Any] | None:
        """The first output whose L2 block is >= ``l2_block`` (binary search), or None."""
        rollup = await self.rollup()
        count = int(await rollup.functions.outputCount().call())
        lo, hi = 0, count
        while lo < hi:
            mid = (lo + hi) // 2
            out = await rollup.functions.getOutput(mid).call()
            if int(out[1]) >= l2_block:
                hi = mid
            else:
                lo = mid + 1
        if lo == count:
            return None
        return lo, await rollup.functions.getOutput(lo).call()

    async def status(self, tx_hash: bytes) -> WithdrawalStatus:
        """``waiting_for_output``, ``in_challenge_period`` (with time left), ``ready`` or
        ``finalized``."""
        w, l2_block, _ = await self._withdrawal(tx_hash)
        base = dict(nonce=w.nonce, amount=w.amount, l1_recipient=w.l1_recipient, l2_block=l2_block)
        if await self.portal.functions.isWithdrawalFinalized(w.nonce).call():
            return WithdrawalStatus(FINALIZED, **base)
        found = await self._covering_output(l2_block)
        if found is None:
            return WithdrawalStatus(WAITING_FOR_OUTPUT, **base)
        index, out = found
        rollup = await self.rollup()
        finalizes_at = int(await rollup.functions.finalizesAt(index).call())
        now = int((await self.l1.eth.get_block("latest"))["timestamp"])
        extra = dict(output_index=index, output_l2_block=int(out[1]), finalizes_at=finalizes_at)
        if now < finalizes_at:
            return WithdrawalStatus(IN_CHALLENGE_PERIOD, seconds_left=finalizes_at - now, **base, **extra)
        return WithdrawalStatus(READY, seconds_left=0, **base, **extra)

    async def _leaves_up_to(self, l2_block: int) -> list[bytes]:
        """Leaf data of every withdrawal in L2 blocks 0..l2_block (from the L2 logs)."""
        contract = self.l2.contract("L2ToL1MessagePasser")
        abi = next(e for e in contract.abi if e.get("type") == "event" and e["name"] == "WithdrawalInitiated")
        topic = "0x" + event_abi_to_log_topic(abi).hex()
        leaves: dict[int, bytes] = {}
        start = 0
        while start <= l2_block:
            end = min(l2_block, start + L2_LOG_RANGE - 1)
            params: dict[str, Any] = {"address": AsyncWeb3.to_checksum_address(L2_TO_L1_ADDRESS),
                                      "fromBlock": hex(start), "toBlock": hex(end)}
            params["topics"] = [topic]
            for log in await self.l2.raw("eth_getLogs", [params]):
                decoded = decode_events(contract, {"logs": [_log_for_web3(log)]})
                for ev in decoded:
                    if ev["event"] == "WithdrawalInitiated":
                        a = ev["args"]
                        leaves[int(a["nonce"])] = encode_withdrawal(int(a["nonce"]), _b(a["sender"]),
                                                                    _b(a["l1Recipient"]), int(a["amount"]))
            start = end + 1
        if sorted(leaves) != list(range(len(leaves))):
            raise ProofError("the L2 logs miss some withdrawals (node pruned logs?)")
        return [leaves[i] for i in range(len(leaves))]

    async def prove(self, tx_hash: bytes) -> tuple[Withdrawal, int, OutputRootProof, tuple[bytes, ...]]:
        """Everything ``finalizeWithdrawal`` needs: (withdrawal, output index, root proof, siblings)."""
        w, l2_block, proof = await self._withdrawal(tx_hash)
        found = await self._covering_output(l2_block)
        if found is None:
            raise BridgeError(f"withdrawal {w.nonce} (L2 block {l2_block}) is not covered by an output "
                              "on the L1 yet: wait for the proposer (omnit bridge status)")
        index, out = found
        output_block = int(out[1])
        block = await self.l2.raw("eth_getBlockByNumber", [hex(output_block), False])
        if block is None:
            raise BridgeError(f"the L2 node has no block {output_block}")
        root_proof = output_root_proof(_b(block["stateRoot"]), _b(block["withdrawalRoot"]),
                                       _b(block["hash"]), bytes(out[0]))
        if _b(proof["root"]) == root_proof.withdrawal_root:
            siblings = tuple(_b(s) for s in proof["siblings"])
        else:
            siblings = proof_at_root(await self._leaves_up_to(output_block), w.nonce,
                                     root_proof.withdrawal_root)
        return w, index, root_proof, siblings

    async def finalize(self, tx_hash: bytes) -> dict[str, Any]:
        """Prove and finalize the withdrawal of L2 transaction ``tx_hash`` on the L1."""
        account = self._need_account()
        st = await self.status(tx_hash)
        if st.state == FINALIZED:
            raise BridgeError(f"withdrawal {st.nonce} is already finalized")
        if st.state == WAITING_FOR_OUTPUT:
            raise BridgeError(f"withdrawal {st.nonce} is not covered by an output yet: wait for the proposer")
        if st.state == IN_CHALLENGE_PERIOD:
            raise BridgeError(f"withdrawal {st.nonce}: output {st.output_index} is in its challenge period "
                              f"for {st.seconds_left}s more (final at L1 time {st.finalizes_at})")
        w, index, root_proof, siblings = await self.prove(tx_hash)
        receipt = await send(self.portal.functions.finalizeWithdrawal(
            w.as_tuple(), index, root_proof.as_tuple(), list(siblings)), account)
        return {"l1_tx_hash": bytes(receipt["transactionHash"]), "l1_block": int(receipt["blockNumber"]),
                "nonce": w.nonce, "amount": w.amount, "output_index": index,
                "gas_used": int(receipt["gasUsed"])}


def _log_for_web3(log: dict[str, Any]) -> dict[str, Any]:
    """A JSON log as web3's event decoder expects it (bytes topics and data, ints)."""
    from hexbytes import HexBytes

    return {
        "address": AsyncWeb3.to_checksum_address(log["address"]),
        "topics": [HexBytes(t) for t in log["topics"]],
        "data": HexBytes(log["data"]),
        "blockNumber": int(log["blockNumber"], 16), "logIndex": int(log["logIndex"], 16),
        "transactionIndex": int(log["transactionIndex"], 16),
        "transactionHash": HexBytes(log["transactionHash"]), "blockHash": HexBytes(log["blockHash"]),
    }
