"""Headers, receipts, blooms, sealing, genesis."""

from __future__ import annotations

import json

import pytest
from eth_hash.auto import keccak
from prover.merkle import list_root
from prover.state_tree import StateTree
from prover.withdrawals import WithdrawalTree

from rollup.core import build_genesis_block, dev_genesis, make_deposit
from rollup.core.blocks import EMPTY_BLOOM, Header, Log, Receipt, bloom_contains, logs_bloom
from rollup.core.builder import BlockBuilder
from rollup.core.exceptions import BuilderError, DepositAlreadyApplied, GenesisError
from rollup.core.genesis import (
    DEV_BALANCE,
    dev_accounts,
    genesis_to_json,
    genesis_writes,
    load_genesis,
    parse_genesis,
)
from rollup.core.state import MemoryState, value_hash
from rollup.core.transactions import deposit_source_hash
from chainkit import Chain


def _header(**over) -> Header:
    f = dict(number=5, parent_hash=b"\x01" * 32, timestamp=1_700_000_000, l1_origin_number=9,
             l1_origin_hash=b"\x02" * 32, base_fee=10**9, gas_limit=100_000_000, gas_used=42_000,
             fee_vault=b"\x03" * 20, tx_root=b"\x04" * 32, receipts_root=b"\x05" * 32,
             state_root=b"\x06" * 32, withdrawal_root=b"\x07" * 32, extra_data=b"omni")
    f.update(over)
    return Header(**f)


def test_header_hash_and_roundtrip():
    h = _header()
    assert h.hash == keccak(h.encode())
    assert Header.decode(h.encode()) == h and Header.decode(h.encode()).hash == h.hash
    assert _header().hash == h.hash
    assert _header(gas_used=42_001).hash != h.hash
    with pytest.raises(ValueError):
        _header(extra_data=b"x" * 33)


def test_bloom():
    log = Log(b"\x11" * 20, (b"\x22" * 32,), b"")
    bloom = logs_bloom([log])
    assert len(bloom) == 256 and bloom != EMPTY_BLOOM
    assert bloom_contains(bloom, b"\x11" * 20) and bloom_contains(bloom, b"\x22" * 32)
    assert logs_bloom([]) == EMPTY_BLOOM
    assert bin(int.from_bytes(bloom, "big")).count("1") <= 6


def test_bloom_matches_ethereum_rule():
    # Each value sets 3 bits: the low 11 bits of byte pairs (0,1), (2,3), (4,5) of keccak(value).
    v = b"\x11" * 20
    h = keccak(v)
    expected = 0
    for i in (0, 2, 4):
        expected |= 1 << (((h[i] << 8) | h[i + 1]) & 2047)
    assert logs_bloom([Log(v, (), b"")]) == expected.to_bytes(256, "big")


def test_receipt_roundtrips():
    r = Receipt(2, 1, 50_000, 21_000, 10**9, (Log(b"\x01" * 20, (b"\x02" * 32,), b"dat", 3),),
                21_000 * 10**9, 77, "", b"\x09" * 32, 4, b"\x08" * 20, b"\x07" * 20)
    back = Receipt.decode(r.encode())
    assert back.encode() == r.encode() and back.logs[0].data == b"dat"
    assert Receipt.decode_full(r.encode_full()) == r
    assert r.contract_address is None


def test_sealed_block_roots(chain):
    raws = [chain.transfer(0, chain.addr(1), 5), chain.call_tx(0, "ModelRegistry", "registerModel",
                                                             b"\x01" * 32, "u")]
    pre_tree = chain.tree.copy()
    block = chain.build(raws)
    h = block.header
    assert h.tx_root == list_root(raws)
    assert h.receipts_root == list_root([r.encode() for r in block.receipts])
    assert h.gas_used == block.receipts[-1].cumulative_gas_used
    assert h.parent_hash == chain.blocks[-2].hash and h.number == 1
    assert pre_tree.update([(k, value_hash(v)) for k, v in block.state_writes.items()]) == h.state_root
    assert block.logs_bloom == logs_bloom(block.receipts[1].logs)
    assert block.receipts[1].logs[0].log_index == 0
    assert [r.transaction_index for r in block.receipts] == [0, 1]


def test_log_indices_are_block_wide(chain):
    raws = [chain.call_tx(0, "ModelRegistry", "registerModel", b"\x01" * 32, "a"),
            chain.transfer(1, chain.addr(2), 1),
            chain.call_tx(2, "ModelRegistry", "registerModel", b"\x02" * 32, "b")]
    block = chain.build(raws)
    assert [lg.log_index for r in block.receipts for lg in r.logs] == [0, 1]


def test_same_inputs_same_block():
    def run():
        c = Chain()
        c.build([c.transfer(0, c.addr(1), 5), c.call_tx(0, "ModelRegistry", "registerModel",
                                                        b"\x01" * 32, "u")], timestamp=10)
        return c.head
    a, b = run(), run()
    assert a.hash == b.hash and a.state_root == b.state_root


def test_seal_once_and_add_after_seal(chain):
    b = chain.builder()
    b.seal()
    with pytest.raises(BuilderError):
        b.seal()
    with pytest.raises(BuilderError):
        from rollup.core import decode_transaction
        b.add(decode_transaction(chain.transfer(0, chain.addr(1), 1), 7001))


def test_deposit_mints_once(chain):
    sh = deposit_source_hash(b"\xab" * 32, 0)
    dep = make_deposit(sh, b"\xee" * 20, chain.addr(9), 5 * 10**18)
    before = chain.balance(chain.addr(9))
    (r,) = chain.run(dep)
    assert r.status == 1 and r.gas_used == 0 and r.tx_type == 0x7E
    assert chain.balance(chain.addr(9)) == before + 5 * 10**18
    assert chain.globals().total_deposited == 5 * 10**18
    assert chain.view().account(b"\xee" * 20).nonce == 0
    with pytest.raises(DepositAlreadyApplied):
        chain.builder().add(dep)
    assert chain.conservation_gap() == 0


def test_genesis_block():
    g = dev_genesis()
    tree = StateTree()
    block = build_genesis_block(g, tree, WithdrawalTree())
    h = block.header
    assert h.number == 0 and h.parent_hash == bytes(32) and h.gas_used == 0
    assert h.base_fee == g.config.initial_base_fee and h.tx_root == list_root([])
    assert h.state_root == tree.root
    assert block.state_writes == genesis_writes(g)
    assert build_genesis_block(dev_genesis(), StateTree(), WithdrawalTree()).hash == block.hash
    st = MemoryState(block.state_writes)
    from rollup.core.state import Overlay
    assert Overlay(st).account(dev_accounts()[0].address).balance == DEV_BALANCE
    assert Overlay(st).globals().genesis_supply == g.supply == 10 * DEV_BALANCE + 6 * 1000 * 10**18


def test_dev_accounts_are_the_well_known_ones():
    a = dev_accounts()
    assert a[0].address.hex() == "f39fd6e51aad88f6f4ce6ab8827279cfffb92266"
    assert a[1].address.hex() == "70997970c51812dc3a010c7d01b50e0d17dc79c8"
    assert len(a) == 10 and dev_accounts() is not None


def test_genesis_json_roundtrip(tmp_path):
    g = dev_genesis(timestamp=123)
    obj = genesis_to_json(g)
    path = tmp_path / "genesis.json"
    path.write_text(json.dumps(obj))
    back = load_genesis(str(path))
    assert back == g
    assert parse_genesis({"alloc": {}}).config.chain_id == 7001


@pytest.mark.parametrize("obj,match", [
    ({"alloc": {"0x12": {}}}, "alloc key"),
    ({"chainId": "abc"}, "chainId"),
    ({"alloc": {"0x" + "11" * 20: {"balance": -1}}}, "out of range"),
    ({"version": 9}, "unsupported version"),
    ({"extraData": "0x" + "00" * 33}, "extraData"),
    ({"initialBaseFee": "1", "minBaseFee": "2"}, "below minBaseFee"),
])
def test_genesis_errors(obj, match):
    with pytest.raises(GenesisError, match=match):
        parse_genesis(obj)


def test_builder_rejects_long_extra_data(chain):
    with pytest.raises(BuilderError):
        BlockBuilder(chain.state, chain.tree, chain.wtree, chain.env(extra_data=b"x" * 33))
