"""A realistic, deterministic L2 workload for the batch benchmark and tests.

Many senders (200 by default) with sequential nonces, wallet-style fees (``maxFeePerGas = 2 *
base fee + tip`` against a base fee that moves every block per EIP-1559, a tenth of the
transfers legacy EIP-155), transfers between the users, and AI-task calls ABI-encoded to the
task registry system address: ``postTask`` (with the fee as value, a random input commitment, a
unix deadline) from users, ``submitResult`` (random output commitment) from compute nodes,
``attestResult`` from validators. Signed with eth-account. Seeded: the same arguments give the
same bytes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from eth_account import Account
from eth_hash.auto import keccak
from eth_utils import to_checksum_address

from .model import BatchBlock

__all__ = ["WorkloadConfig", "Workload", "generate_transactions", "group_blocks", "system_targets"]

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
"""Order of the secp256k1 group (bench keys are reduced modulo it)."""

PLACEHOLDER_TASK_REGISTRY = bytes.fromhex("4f4d4e4900000000000000000000000000000003")
"""Task registry address used if ``rollup.core.constants`` is not importable."""

GWEI = 10**9
"""Wei per gwei."""


def system_targets() -> tuple[bytes, dict[str, bytes]]:
    """The task registry address and the selectors of postTask / submitResult / attestResult.

    Read from ``rollup.core`` (constants and the published ABI) when it is present, so the
    benchmark measures the real calls; placeholders with the same signatures otherwise.
    """
    signatures = {
        "postTask": "postTask(uint256,bytes32,uint64)",
        "submitResult": "submitResult(uint256,bytes32)",
        "attestResult": "attestResult(uint256,bool)",
    }
    address = PLACEHOLDER_TASK_REGISTRY
    try:
        import json
        from importlib import resources

        from rollup.core.constants import TASK_REGISTRY_ADDRESS

        address = bytes(TASK_REGISTRY_ADDRESS)
        abi = json.loads(resources.files("rollup.core").joinpath("abi/TaskRegistry.json").read_text())
        for item in abi:
            if item.get("type") == "function" and item.get("name") in signatures:
                types = ",".join(i["type"] for i in item["inputs"])
                signatures[item["name"]] = f"{item['name']}({types})"
    except (ImportError, OSError, ValueError, KeyError):
        pass
    return address, {name: keccak(sig.encode())[:4] for name, sig in signatures.items()}


@dataclass(frozen=True, slots=True)
class WorkloadConfig:
    """Shape of the generated workload (shares need not sum to 1: they are weights)."""

    transactions: int = 12_000
    senders: int = 200
    transfer_share: float = 0.4
    post_task_share: float = 0.2
    submit_result_share: float = 0.2
    attest_result_share: float = 0.2
    legacy_share: float = 0.1
    fresh_recipient_share: float = 0.0
    block_txs: int = 1_500
    chain_id: int = 7001
    seed: int = 7001


@dataclass(frozen=True, slots=True)
class Workload:
    """The signed transactions, in order, and their kinds (for per-kind figures)."""

    raw: tuple[bytes, ...]
    kinds: tuple[str, ...]


def _u256(x: int) -> bytes:
    return x.to_bytes(32, "big")


def _amount(rng: random.Random, lo_exp: int, hi_exp: int) -> int:
    """A human-looking amount: 1 to 4 significant digits times a power of ten."""
    digits = rng.choice((1, 1, 2, 2, 3, 4))
    return rng.randrange(1, 10**digits) * 10 ** rng.randint(lo_exp, hi_exp)


def generate_transactions(cfg: WorkloadConfig) -> Workload:
    """Sign ``cfg.transactions`` transactions of the configured mix."""
    rng = random.Random(cfg.seed)
    keys = [
        int.from_bytes(keccak(b"omnit bench key" + i.to_bytes(4, "big")), "big") % SECP256K1_N
        for i in range(cfg.senders)
    ]
    accounts = [Account.from_key(k.to_bytes(32, "big")) for k in keys]
    nonces = [rng.randrange(0, 3_000) for _ in range(cfg.senders)]
    compute_nodes = list(range(0, max(1, cfg.senders // 8)))
    validators = list(range(len(compute_nodes), len(compute_nodes) + max(1, cfg.senders // 10)))
    users = list(range(len(compute_nodes) + len(validators), cfg.senders)) or [0]
    registry, selectors = system_targets()
    kinds_w = (
        ("transfer", cfg.transfer_share),
        ("postTask", cfg.post_task_share),
        ("submitResult", cfg.submit_result_share),
        ("attestResult", cfg.attest_result_share),
    )
    names = [k for k, w in kinds_w if w > 0]
    weights = [w for _, w in kinds_w if w > 0]
    next_task = 120_001
    open_tasks: list[int] = list(range(next_task - 200, next_task))
    base_fees = [GWEI // 10]
    timestamp = 1_790_000_000
    raw: list[bytes] = []
    kinds: list[str] = []
    tips = (GWEI // 1000, GWEI // 1000, GWEI // 1000, GWEI // 100, GWEI // 10, GWEI)
    for i in range(cfg.transactions):
        if i and i % cfg.block_txs == 0:  # a new block: EIP-1559 base fee step (+/- 12.5% max)
            step = rng.uniform(-0.05, 0.125)
            base_fees.append(max(10_000_000, int(base_fees[-1] * (1 + step))))
        kind = rng.choices(names, weights)[0]
        if kind == "transfer":
            sender = rng.randrange(cfg.senders)
            if rng.random() < cfg.fresh_recipient_share:
                to = rng.randbytes(20)
            else:
                to = bytes.fromhex(accounts[rng.randrange(cfg.senders)].address[2:])
            value, data, gas = _amount(rng, 14, 18), b"", 21_000
        elif kind == "postTask":
            sender = rng.choice(users)
            model = min(int(rng.paretovariate(1.2)), 64)
            deadline = timestamp + i // (4 * cfg.block_txs) + rng.choice((600, 1800, 3600))
            data = selectors["postTask"] + _u256(model) + rng.randbytes(32) + _u256(deadline)
            value, to = _amount(rng, 15, 18), registry
            open_tasks.append(next_task)
            next_task += 1
        elif kind == "submitResult":
            sender = rng.choice(compute_nodes)
            task = open_tasks[max(0, len(open_tasks) - 1 - int(rng.expovariate(1 / 100)))]
            data = selectors["submitResult"] + _u256(task) + rng.randbytes(32)
            value, to = 0, registry
        else:
            sender = rng.choice(validators)
            task = open_tasks[max(0, len(open_tasks) - 1 - int(rng.expovariate(1 / 150)))]
            data = selectors["attestResult"] + _u256(task) + _u256(1 if rng.random() < 0.95 else 0)
            value, to = 0, registry
        if data:
            calldata_gas = sum(16 if b else 4 for b in data)
            exec_gas = {"postTask": 80_000, "submitResult": 60_000, "attestResult": 60_000}[kind]
            gas = 21_000 + calldata_gas + exec_gas
        lag = min(len(base_fees), rng.choice((1, 1, 1, 1, 2, 3)))
        base_fee = base_fees[-lag]
        tip = rng.choice(tips)
        tx: dict[str, object] = {
            "chainId": cfg.chain_id,
            "nonce": nonces[sender],
            "gas": gas,
            "to": to_checksum_address(to),
            "value": value,
            "data": data,
        }
        if kind == "transfer" and rng.random() < cfg.legacy_share:
            tx["gasPrice"] = base_fee + tip
        else:
            tx["type"] = 2
            tx["maxPriorityFeePerGas"] = tip
            tx["maxFeePerGas"] = 2 * base_fee + tip
        nonces[sender] += 1
        signed = accounts[sender].sign_transaction(tx)
        raw.append(bytes(signed.raw_transaction))
        kinds.append(kind)
    return Workload(tuple(raw), tuple(kinds))


def group_blocks(
    raw: tuple[bytes, ...] | list[bytes], block_txs: int, first_block: int = 1
) -> list[BatchBlock]:
    """Cut a transaction stream into 250 ms blocks of ``block_txs`` with L1 origins every 12 s."""
    blocks = []
    t0 = 1_790_000_000
    for n, start in enumerate(range(0, len(raw), block_txs)):
        origin = 20_000_000 + n // 48
        blocks.append(
            BatchBlock(
                number=first_block + n,
                timestamp=t0 + n // 4,
                l1_origin_number=origin,
                l1_origin_hash=keccak(b"l1 block" + origin.to_bytes(8, "big")),
                deposit_count=(3 if n % 48 == 0 else 0),
                transactions=tuple(raw[start : start + block_txs]),
            )
        )
    return blocks
