"""A small L2 client on web3.py: transfers and system-contract calls, signed locally.

What the ``omnit`` user commands and the devnet demo use; also a worked example of driving the
L2 with nothing but web3.py ``AsyncWeb3`` and the published ABI (``rollup/core/abi/*.json``).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Final, Sequence

from eth_account.signers.local import LocalAccount
from web3 import AsyncHTTPProvider, AsyncWeb3
from web3.exceptions import ContractLogicError, TimeExhausted, Web3RPCError

__all__ = [
    "ClientError",
    "TxOutcome",
    "OmniClient",
    "SYSTEM_CONTRACTS",
    "load_system_abi",
    "decode_events",
    "system_contract",
    "GAS_HEADROOM_PERCENT",
]

SYSTEM_CONTRACTS: Final = {
    "ModelRegistry": "MODEL_REGISTRY_ADDRESS",
    "Staking": "STAKING_ADDRESS",
    "TaskRegistry": "TASK_REGISTRY_ADDRESS",
    "L2ToL1MessagePasser": "L2_TO_L1_ADDRESS",
}
"""Published system contracts: ABI file name -> address constant in ``rollup.core.constants``."""

GAS_HEADROOM_PERCENT: Final = 20
"""Gas limit = estimate plus this percentage (system-call gas is fixed, so this is plenty)."""


class ClientError(Exception):
    """The node refused the request, or the receipt did not come in time."""


def load_system_abi(name: str) -> list[dict[str, Any]]:
    """The published ABI of a system contract (``TaskRegistry``, ``Staking``...)."""
    text = resources.files("rollup.core").joinpath("abi", f"{name}.json").read_text()
    blob = json.loads(text)
    return blob["abi"] if isinstance(blob, dict) else blob


def system_contract(w3: AsyncWeb3, name: str) -> Any:
    """A web3 contract object for a system contract, at its fixed address."""
    from rollup.core import constants

    address = AsyncWeb3.to_checksum_address(getattr(constants, SYSTEM_CONTRACTS[name]))
    return w3.eth.contract(address=address, abi=load_system_abi(name))


@dataclass
class TxOutcome:
    """What happened to a transaction we sent: its receipt and the decoded events."""

    action: str
    tx_hash: str
    status: int
    block_number: int
    gas_used: int
    events: list[dict[str, Any]] = field(default_factory=list)
    revert_reason: str | None = None

    @property
    def ok(self) -> bool:
        """True when the receipt has status 1."""
        return self.status == 1

    def describe(self) -> str:
        """A short human summary."""
        head = (f"{self.action}: {'ok' if self.ok else 'FAILED'} tx {self.tx_hash} "
                f"block {self.block_number} gas {self.gas_used}")
        lines = [head]
        if self.revert_reason:
            lines.append(f"  reason: {self.revert_reason}")
        for ev in self.events:
            args = ", ".join(f"{k}={_show(v)}" for k, v in ev["args"].items())
            lines.append(f"  event {ev['event']}({args})")
        return "\n".join(lines)


def decode_events(contract: Any, receipt: Any) -> list[dict[str, Any]]:
    """The logs of ``receipt`` emitted by ``contract``, decoded with its ABI, in log order."""
    from web3.logs import DISCARD

    decoded: list[tuple[int, dict[str, Any]]] = []
    for entry in contract.abi:
        if entry.get("type") != "event":
            continue
        event = contract.events[entry["name"]]()
        for ev in event.process_receipt(receipt, errors=DISCARD):
            decoded.append((ev["logIndex"], {"event": ev["event"], "args": dict(ev["args"])}))
    return [item for _, item in sorted(decoded, key=lambda pair: pair[0])]


def _show(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    return str(value)


class OmniClient:
    """Signs with ``account`` and talks to the L2 at ``rpc_url``."""

    def __init__(self, rpc_url: str, account: LocalAccount | None, *, timeout: float = 60.0) -> None:
        self.w3 = AsyncWeb3(AsyncHTTPProvider(rpc_url, request_kwargs={"timeout": 30}))
        self.account = account
        self.timeout = timeout
        self._contracts: dict[str, Any] = {}

    def contract(self, name: str) -> Any:
        """The cached contract object of a system contract."""
        if name not in self._contracts:
            self._contracts[name] = system_contract(self.w3, name)
        return self._contracts[name]

    async def _fees(self) -> dict[str, int]:
        tip = await self.w3.eth.max_priority_fee
        block = await self.w3.eth.get_block("latest")
        return {"maxPriorityFeePerGas": tip, "maxFeePerGas": 2 * block["baseFeePerGas"] + tip}

    async def send(self, tx: dict[str, Any], action: str, decode_with: Sequence[str] = ()) -> TxOutcome:
        """Fill nonce, chain id, fees and gas; sign; send; wait for the receipt; decode events."""
        if self.account is None:
            raise ClientError("this command needs a signing key")
        try:
            tx = dict(tx)
            tx.setdefault("from", self.account.address)
            tx.setdefault("value", 0)
            tx["chainId"] = await self.w3.eth.chain_id
            tx["nonce"] = await self.w3.eth.get_transaction_count(self.account.address, "pending")
            tx.update(await self._fees())
            if "gas" not in tx:
                estimate = await self.w3.eth.estimate_gas(tx)  # type: ignore[arg-type]
                tx["gas"] = estimate + estimate * GAS_HEADROOM_PERCENT // 100
            tx["type"] = 2
            signed = self.account.sign_transaction(tx)
            tx_hash = await self.w3.eth.send_raw_transaction(signed.raw_transaction)
            receipt = await self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=self.timeout,
                                                                     poll_latency=0.1)
        except ContractLogicError as exc:
            raise ClientError(f"{action}: would fail: {exc.message or exc}") from exc
        except Web3RPCError as exc:
            raise ClientError(f"{action}: node refused: {exc.message or exc}") from exc
        except TimeExhausted as exc:
            raise ClientError(f"{action}: no receipt after {self.timeout}s (check omni_getTransactionStatus)") from exc
        events = []
        for name in decode_with:
            events.extend(decode_events(self.contract(name), receipt))
        return TxOutcome(action, "0x" + bytes(tx_hash).hex(), receipt["status"], receipt["blockNumber"],
                         receipt["gasUsed"], events, receipt.get("revertReason"))

    async def _call(self, contract: str, fn: str, *args: Any, value: int = 0) -> TxOutcome:
        c = self.contract(contract)
        data = c.encode_abi(fn, args=list(args))
        return await self.send({"to": c.address, "data": data, "value": value}, fn, [contract])

    async def transfer(self, to: str, value: int) -> TxOutcome:
        """Send ``value`` wei to ``to``."""
        try:
            checksum = AsyncWeb3.to_checksum_address(to)
        except ValueError as exc:
            raise ClientError(f"--to {to!r} is not an address") from exc
        return await self.send({"to": checksum, "value": value, "gas": 21_000}, f"transfer {value} wei")

    async def register_model(self, weights_commitment: str, metadata_uri: str) -> TxOutcome:
        """registerModel(weightsCommitment, metadataURI)."""
        return await self._call("ModelRegistry", "registerModel", _b32(weights_commitment), metadata_uri)

    async def stake(self, role: int, amount: int) -> TxOutcome:
        """stake(role, amount): 1 = compute, 2 = validator."""
        return await self._call("Staking", "stake", role, amount)

    async def post_task(self, model_id: int, input_commitment: str, fee: int, deadline_in: int) -> TxOutcome:
        """postTask(modelId, inputCommitment, deadline) with ``fee`` escrowed as the value."""
        block = await self.w3.eth.get_block("latest")
        deadline = max(int(block["timestamp"]), int(time.time())) + deadline_in
        return await self._call("TaskRegistry", "postTask", model_id, _b32(input_commitment), deadline, value=fee)

    async def submit_result(self, task_id: int, output_commitment: str) -> TxOutcome:
        """submitResult(taskId, outputCommitment)."""
        return await self._call("TaskRegistry", "submitResult", task_id, _b32(output_commitment))

    async def attest_result(self, task_id: int, approve: bool) -> TxOutcome:
        """attestResult(taskId, approve)."""
        return await self._call("TaskRegistry", "attestResult", task_id, approve)

    async def withdraw(self, l1_recipient: str, amount: int) -> TxOutcome:
        """withdraw(l1Recipient) burning ``amount`` on the L2."""
        return await self._call("L2ToL1MessagePasser", "withdraw",
                                AsyncWeb3.to_checksum_address(l1_recipient), value=amount)

    async def task_status(self, task_id: int) -> dict[str, Any] | None:
        """The node's view of a task (``omni_getTask``)."""
        return await self.raw("omni_getTask", [hex(task_id)])

    async def raw(self, method: str, params: list[Any]) -> Any:
        """Any JSON-RPC method; raises :class:`ClientError` on an error object."""
        resp = await self.w3.provider.make_request(method, params)  # type: ignore[arg-type]
        if "error" in resp:
            raise ClientError(f"{method}: {resp['error'].get('message')}")
        return resp.get("result")

    async def balance(self, address: str) -> int:
        """Balance of ``address`` in wei."""
        return await self.w3.eth.get_balance(AsyncWeb3.to_checksum_address(address))


def _b32(text: str) -> bytes:
    raw = bytes.fromhex(text[2:] if text.startswith(("0x", "0X")) else text)
    if len(raw) != 32:
        raise ClientError(f"{text!r} is not a 32-byte hex value")
    return raw
