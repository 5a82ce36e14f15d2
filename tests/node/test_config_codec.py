"""Settings loading (TOML + environment) and the receipt storage codec."""

from __future__ import annotations

import pytest

from rollup.core.blocks import Log, Receipt
from rollup.node.config import ConfigError, NodeSettings, load_settings
from rollup.node.receipt_codec import decode_receipt, encode_receipt
from rollup.storage import ReceiptRecord


def test_settings_precedence(tmp_path) -> None:
    path = tmp_path / "node.toml"
    path.write_text('[node]\nblock_time = 0.5\ngap-max = 10\ndb_url = "sqlite:///x.db"\n')
    env = {"OMNIT_BLOCK_TIME": "0.1", "OMNIT_LEASE_WAIT": "none", "OMNIT_RPC_PORT": "0"}
    s = load_settings(path, env=env, chain_id=7009)
    assert (s.block_time, s.gap_max, s.db_url, s.chain_id) == (0.1, 10, "sqlite:///x.db", 7009)
    assert s.lease_wait is None and s.rpc_port == 0
    assert load_settings(env={"OMNIT_CONFIG": str(path)}).gap_max == 10
    assert NodeSettings().sequencer_id != NodeSettings().sequencer_id


def test_settings_errors(tmp_path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("blok_time = 1\n")
    with pytest.raises(ConfigError):
        load_settings(path, env={})
    with pytest.raises(ConfigError):
        load_settings(env={"OMNIT_BLOCK_TIME": "fast"})
    with pytest.raises(ConfigError):
        NodeSettings(db_url="mysql://x")
    with pytest.raises(ConfigError):
        NodeSettings(block_time=0)


@pytest.mark.parametrize("to,revert,logs", [
    (b"\x11" * 20, "", ()),
    (None, "out of gas: ünicode", ()),
    (b"\x22" * 20, "", (Log(b"\x33" * 20, (b"\x44" * 32, b"\x55" * 32), b"payload", 7),
                        Log(b"\x66" * 20, (), b"", 8))),
])
def test_receipt_codec_round_trip(to, revert, logs) -> None:
    receipt = Receipt(2, 1 if not revert else 0, 63_000, 21_000, 1_234_567, logs,
                      (1 << 200) + 5, 99, revert, b"\x77" * 32, 3, b"\x88" * 20, to)
    record = ReceiptRecord(receipt.transaction_hash, 9, 3, receipt.status, 21_000, 63_000,
                           1_234_567, encode_receipt(receipt))
    assert decode_receipt(record.raw, record) == receipt


def test_tip_percentiles_are_gas_weighted() -> None:
    from rollup.node.fees import tip_percentiles

    tips = [(5, 21_000), (1, 21_000), (9, 63_000)]
    assert tip_percentiles(tips, [0, 20, 50, 100], 105_000) == [1, 1, 9, 9]
    assert tip_percentiles([], [50], 0) == [0]
