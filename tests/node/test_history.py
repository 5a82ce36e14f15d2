"""State at older blocks: balances, nonces, records and calls read back from the history."""

from __future__ import annotations

import pytest

from rollup.core.constants import MODEL_REGISTRY_ADDRESS
from rollup.core.system_contracts import encode_call
from rollup.node import L2Node, NodeSettings, StateUnavailable
from rollup.node.chain import META_HISTORY_FROM

from .test_node import included, wait_for


async def _send(node: L2Node, raw: bytes) -> int:
    """Submit, wait for inclusion, return the block number."""
    tx_hash = await node.submit_raw_transaction(raw)
    await wait_for(lambda: included(node, tx_hash))
    return (await node.get_receipt(tx_hash)).location.block_number


async def test_reads_at_older_blocks(make_node, wallets, any_db_url) -> None:
    node = await make_node(db_url=any_db_url)
    alice, bob = wallets[2], wallets[3]
    start = await node.block_number()
    bob_at = {start: await node.get_balance(bob.address)}
    blocks = []
    for nonce in range(3):
        number = await _send(node, alice.transfer(nonce, bob.address, 1000 + nonce))
        blocks.append(number)
        bob_at[number] = await node.get_balance(bob.address, number)
    count_call = {"to": MODEL_REGISTRY_ADDRESS, "data": encode_call("ModelRegistry", "modelCount")}
    models_before = int.from_bytes(await node.call(count_call), "big")
    registered = await _send(node, alice.transfer(
        3, MODEL_REGISTRY_ADDRESS, 0, gas=200_000,
        data=encode_call("ModelRegistry", "registerModel", b"\x11" * 32, "ipfs://history")))
    await _send(node, alice.transfer(4, bob.address, 7))  # the head moves past it
    # balances and nonces after each block, read back while the head is newer
    assert bob_at[blocks[0]] == bob_at[start] + 1000
    assert bob_at[blocks[2]] == bob_at[start] + 1000 + 1001 + 1002
    for i, number in enumerate(blocks):
        assert await node.get_nonce(alice.address, number) == i + 1
        assert await node.get_balance(bob.address, number) == bob_at[number]
    assert await node.get_balance(bob.address, blocks[0] - 1) == bob_at[start]
    assert await node.get_nonce(alice.address, blocks[0] - 1) == 0
    # records and calls at an older block
    model_id = models_before + 1
    assert await node.get_model(model_id, registered - 1) is None
    assert (await node.get_model(model_id, registered)).metadata_uri == "ipfs://history"
    assert int.from_bytes(await node.call(count_call, registered - 1), "big") == models_before
    assert int.from_bytes(await node.call(count_call, registered), "big") == models_before + 1
    assert await node.get_balance(bob.address, "latest") == bob_at[blocks[2]] + 7
    with pytest.raises(StateUnavailable) as beyond:
        await node.get_balance(bob.address, await node.block_number() + 5)
    assert "beyond the head" in str(beyond.value)


async def test_an_older_database_answers_from_its_upgrade_on(any_db_url, wallets) -> None:
    settings = NodeSettings(db_url=any_db_url, block_time=0.05, empty_block_interval=0,
                            sequencer_id="H")
    alice, bob = wallets[4], wallets[5]
    async with L2Node.open(settings) as node:
        first = await _send(node, alice.transfer(0, bob.address, 5))
        # as if the database predated the history: it is kept from the current head on
        upgraded = await node.block_number()
        await node.store.put_meta(META_HISTORY_FROM, str(upgraded).encode())
    async with L2Node.open(settings) as node:
        later = await _send(node, alice.transfer(1, bob.address, 6))
        assert later > upgraded
        assert await node.get_nonce(alice.address, upgraded) == 1
        assert await node.get_nonce(alice.address, later) == 2
        with pytest.raises(StateUnavailable) as refused:
            await node.get_nonce(alice.address, first - 1)
        assert refused.value.oldest == upgraded
        assert f"keeps the state from block {upgraded} on" in str(refused.value)
