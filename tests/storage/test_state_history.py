"""Historical state: ``get_state_at`` answers a key's value after any block from the history
rows written with each block and the current state, on both databases."""

from __future__ import annotations

from rollup.storage import BlockWrite, HistoryRow, StateRow

from .test_store import HOLDER, block_record

K1, K2, K3 = (bytes([0x5E, n]) + bytes(30) for n in (1, 2, 3))
INDEX = {K1: 0, K2: 1, K3: 2}
"""Tree index of each key (fixed for a key's life, as in the node)."""


def _block(number: int, writes: dict[bytes, bytes], before: dict[bytes, bytes]) -> BlockWrite:
    """Block ``number`` writing ``writes`` (b"": deleted) over the state ``before``."""
    state = [StateRow(k, INDEX[k], v) for k, v in writes.items()]
    history = [HistoryRow(k, number, before.get(k, b"")) for k in writes]
    return BlockWrite(block=block_record(number), state=state, history=history)


async def test_values_after_each_block(store) -> None:
    await store.acquire_lease(HOLDER, 30)
    # block 0 (genesis: no prior state, no history rows): K1 = a
    await store.write_block(HOLDER, BlockWrite(block=block_record(0), state=[StateRow(K1, 0, b"a")]))
    states = [{K1: b"a"}]
    changes = [
        {K1: b"b", K2: b"x"},   # block 1: K1 changes, K2 appears
        {K2: b"y"},             # block 2: only K2
        {},                     # block 3: nothing
        {K1: b"", K2: b"z"},    # block 4: K1 deleted
        {K1: b"c"},             # block 5: K1 back
    ]
    for number, writes in enumerate(changes, start=1):
        before = states[-1]
        # the state table keeps a deleted key's row with the empty value (its tree slot stays)
        await store.write_block(HOLDER, _block(number, writes, before))
        after = {**before, **writes}
        states.append({k: v for k, v in after.items() if v})
    for number, expected in enumerate(states):
        for key in (K1, K2, K3):
            assert await store.get_state_at(key, number) == expected.get(key), (number, key)
    # after the head: the current value
    assert await store.get_state_at(K1, 99) == b"c"
    assert await store.get_state_at(K3, 0) is None
