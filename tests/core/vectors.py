"""Builds the L2 test vectors (tests/vectors/l2_*.json) other implementations check.

Regenerate: ``OMNIT_REGEN_VECTORS=1 pytest tests/core/test_vectors.py``.
"""

from __future__ import annotations

from typing import Any

from rollup.core.blocks import Header, Log, Receipt, logs_bloom
from rollup.core.constants import OMNIT
from rollup.core.fees import l1_data_size
from rollup.core.genesis import dev_accounts
from rollup.core.records import (
    GLOBALS_KEY,
    Account,
    Globals,
    Model,
    ModelStatus,
    Stake,
    Task,
    TaskStatus,
    Unbonding,
    account_key,
    deposit_key,
    model_key,
    stake_key,
    task_key,
)
from rollup.core.system_contracts import CONTRACTS
from rollup.core.transactions import decode_transaction, deposit_source_hash, make_deposit
from txgen import sign_dynamic, sign_legacy


def _h(b: bytes) -> str:
    return "0x" + b.hex()


def transactions() -> dict[str, Any]:
    a = dev_accounts(2)
    key, to = a[0].private_key, a[1].address
    out: list[dict[str, Any]] = []
    for name, raw in (
        ("type2_transfer", sign_dynamic(key, nonce=0, to=to, value=OMNIT, max_fee=2 * 10**9,
                                        max_priority=10**8)),
        ("type2_call", sign_dynamic(key, nonce=1, to=b"OMNI" + bytes(15) + b"\x01",
                                    data=bytes.fromhex("c6a645fe"), gas=30_000)),
        ("legacy_transfer", sign_legacy(key, nonce=2, to=to, value=1, gas_price=10**9)),
    ):
        tx = decode_transaction(raw, 7001)
        out.append({"name": name, "raw": _h(raw), "hash": _h(tx.hash), "sender": _h(tx.sender),
                    "type": tx.tx_type, "l1DataSize": l1_data_size(raw)})
    sh = deposit_source_hash(b"\x11" * 32, 7)
    dep = make_deposit(sh, b"\x22" * 20, to, 5 * OMNIT)
    return {
        "chainId": 7001,
        "signed": out,
        "deposit": {"l1BlockHash": _h(b"\x11" * 32), "l1LogIndex": 7, "sourceHash": _h(sh),
                    "from": _h(b"\x22" * 20), "to": _h(to), "mint": str(5 * OMNIT),
                    "raw": _h(dep.raw), "hash": _h(dep.hash)},
    }


def state() -> dict[str, Any]:
    a = b"\x11" * 20
    recs = [
        ("account", account_key(a), Account(3, 10**21)),
        ("model", model_key(1), Model(a, b"\x01" * 32, "ipfs://model", ModelStatus.ACTIVE, 2, 5, 9)),
        ("task", task_key(1), Task(a, 1, b"\x02" * 32, 1000, 7, TaskStatus.SUBMITTED, 4, 1,
                                   b"\x22" * 20, b"\x03" * 32, 99, 4000, 1000, 0,
                                   ((b"\x33" * 20, 1000),), ())),
        ("stake", stake_key(a), Stake(5, 6, (Unbonding(1, 7, 8),))),
        ("globals", GLOBALS_KEY, Globals(2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)),
    ]
    return {
        "records": [{"kind": k, "key": _h(key), "encoded": _h(r.encode())} for k, key, r in recs],
        "depositKey": {"sourceHash": _h(b"\x05" * 32), "key": _h(deposit_key(b"\x05" * 32))},
    }


def blocks() -> dict[str, Any]:
    h = Header(5, b"\x01" * 32, 1_700_000_000, 9, b"\x02" * 32, 10**9, 100_000_000, 42_000,
               b"\x03" * 20, b"\x04" * 32, b"\x05" * 32, b"\x06" * 32, b"\x07" * 32, b"omni")
    log = Log(b"\x01" * 20, (b"\x02" * 32, b"\x03" * 32), b"data")
    r = Receipt(2, 1, 50_000, 21_000, 10**9, (log,), 21_000 * 10**9, 77, "")
    return {
        "header": {"encoded": _h(h.encode()), "hash": _h(h.hash)},
        "receipt": {"encoded": _h(r.encode()), "logsBloom": _h(logs_bloom([log]))},
    }


def abi() -> dict[str, Any]:
    return {
        c.name: {
            "address": _h(c.address),
            "functions": {f.signature: _h(f.selector) for f in c.functions},
            "events": {e.signature: _h(e.topic) for e in c.events},
        }
        for c in CONTRACTS
    }


def build_vectors() -> dict[str, dict[str, Any]]:
    return {
        "l2_transactions.json": transactions(),
        "l2_state.json": state(),
        "l2_blocks.json": blocks(),
        "l2_system_contracts.json": abi(),
    }
