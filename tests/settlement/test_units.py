"""Pure pieces: settings, error classification, the L1 origin rule, the nonce ledger."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from web3.exceptions import ContractLogicError, Web3RPCError

from rollup.core.blocks import Header
from rollup.core.config import BlockEnv
from rollup.core.transactions import deposit_source_hash, make_deposit
from rollup.settlement import (
    L1Origin,
    NonceLedger,
    SettlementConfigError,
    is_transient,
    l1_block_env,
    l1_fee_per_byte,
    load_settlement_settings,
)
from rollup.settlement.ledger import CONFIRMED, PENDING, Attempt, LedgerTx


def test_settings_from_toml_env_and_overrides(tmp_path):
    path = tmp_path / "omnit.toml"
    path.write_text('db_url = "sqlite:///x"\n[settlement]\nconfirmations = 5\nda = "blob"\n'
                    'rollup-address = "0xabc"\n')
    s = load_settlement_settings(path, env={"OMNIT_CONFIRMATIONS": "3",
                                            "OMNIT_BATCHER_KEY": "0x01"}, output_interval=7)
    assert (s.confirmations, s.da, s.rollup_address, s.batcher_key, s.output_interval) == \
        (3, "blob", "0xabc", "0x01", 7)
    assert s.ledger_path("batcher").name == "batcher-ledger.sqlite"
    path.write_text("[settlement]\nconfirmation = 5\n")
    with pytest.raises(SettlementConfigError, match="unknown setting"):
        load_settlement_settings(path, env={})
    with pytest.raises(SettlementConfigError, match="da"):
        load_settlement_settings(None, env={}, da="carrier-pigeon")
    with pytest.raises(SettlementConfigError, match="10%"):
        load_settlement_settings(None, env={}, fee_bump_percent=5)


def _rpc_error(code: int, message: str) -> Web3RPCError:
    return Web3RPCError(message, rpc_response={"jsonrpc": "2.0", "id": 1,
                                               "error": {"code": code, "message": message}})


def test_transient_vs_permanent():
    info = aiohttp.RequestInfo(url="http://x", method="POST", headers={}, real_url="http://x")  # type: ignore[arg-type]
    assert is_transient(aiohttp.ClientResponseError(info, (), status=502))
    assert is_transient(aiohttp.ClientResponseError(info, (), status=429))
    assert not is_transient(aiohttp.ClientResponseError(info, (), status=400))
    assert is_transient(asyncio.TimeoutError())
    assert is_transient(aiohttp.ClientConnectionError())
    assert is_transient(_rpc_error(-32000, "header not found"))
    assert is_transient(_rpc_error(-32005, "limit exceeded"))
    assert not is_transient(_rpc_error(-32602, "invalid argument 0"))
    assert not is_transient(_rpc_error(-32000, "nonce too low"))
    assert not is_transient(ContractLogicError("execution reverted"))


class _Feed:
    def __init__(self, origin, deposits=()):
        self.origin = origin
        self.deposits = list(deposits)
        self.asked = None

    def current_origin(self):
        return self.origin

    def take_deposits(self, up_to):
        self.asked = up_to
        return self.deposits

    def mark_included(self, hashes):
        pass

    def has_pending(self):
        return bool(self.deposits)


def _header(origin_number: int, origin_hash: bytes) -> Header:
    z = bytes(32)
    return Header(number=5, parent_hash=z, timestamp=100, l1_origin_number=origin_number,
                  l1_origin_hash=origin_hash, base_fee=10**9, gas_limit=10**8, gas_used=0,
                  fee_vault=bytes(20), tx_root=z, receipts_root=z, state_root=z,
                  withdrawal_root=z, extra_data=b"")


def test_l1_origin_rule():
    env = BlockEnv(number=6, timestamp=101, parent_hash=bytes(32), base_fee=10**9)
    dep = make_deposit(deposit_source_hash(b"\x01" * 32, 0), b"\x02" * 20, b"\x03" * 20, 5)
    parent = _header(10, b"\xaa" * 32)
    # newer origin: taken, with its fee and its deposits
    feed = _Feed(L1Origin(12, b"\xbb" * 32, 2 * 10**9, 0), [dep])
    new, deposits = l1_block_env(feed, parent, env)
    assert (new.l1_origin_number, new.l1_origin_hash) == (12, b"\xbb" * 32)
    assert new.l1_fee_per_byte == l1_fee_per_byte(2 * 10**9) == 32 * 10**9
    assert deposits == [dep] and feed.asked == 12
    # same origin: its own base fee
    new, _ = l1_block_env(_Feed(L1Origin(10, b"\xaa" * 32, 3 * 10**9, 0)), parent, env)
    assert new.l1_fee_per_byte == l1_fee_per_byte(3 * 10**9)
    # older origin, or the same number with another hash: the parent's origin stays, priced
    # at ITS base fee (derivation recomputes the fee from the block's origin)
    for origin in (L1Origin(9, b"\xcc" * 32, 1, 0), L1Origin(10, b"\xdd" * 32, 1, 0)):
        feed = _Feed(origin)
        feed.base_fee_of = lambda n, h: 5 * 10**9 if (n, h) == (10, b"\xaa" * 32) else None
        new, _ = l1_block_env(feed, parent, env)
        assert (new.l1_origin_number, new.l1_origin_hash) == (10, b"\xaa" * 32)
        assert new.l1_fee_per_byte == l1_fee_per_byte(5 * 10**9)
    # no L1 seen yet: nothing changes, no deposits
    new, deposits = l1_block_env(_Feed(None, [dep]), parent, env)
    assert new.l1_origin_number == 10 and deposits == []


async def test_ledger_round_trip(tmp_path):
    ledger = NonceLedger(tmp_path / "l.sqlite")
    await ledger.open()
    tx = LedgerTx(3, "batch", {"index": 1}, "0x" + "11" * 20, b"\x01\x02", 100_000, b"frame")
    await ledger.record(tx, Attempt(0, b"\xaa" * 32, b"raw0", 2 * 10**9, 10**9, 0, 1.0))
    await ledger.add_attempt(tx, Attempt(1, b"\xbb" * 32, b"raw1", 3 * 10**9, 2 * 10**9, 0, 2.0))
    await ledger.close()
    ledger = NonceLedger(tmp_path / "l.sqlite")
    await ledger.open()
    [loaded] = await ledger.load_open()
    assert loaded.status == PENDING and loaded.meta == {"index": 1}
    assert [a.tx_hash for a in loaded.attempts] == [b"\xaa" * 32, b"\xbb" * 32]
    assert loaded.latest.raw == b"raw1" and loaded.blob_frame == b"frame"
    await ledger.set_status(loaded, CONFIRMED, 7, b"\xcc" * 32, b"\xbb" * 32)
    assert await ledger.load_open() == []
    assert await ledger.max_nonce() == 3
    await ledger.close()
