"""Per-transaction cost of the core (run: python tests/core/bench_core.py [N]).

Reports CPU time (``time.process_time``, best of 5 rounds) so that other load on the machine
distorts the numbers less than wall time would.
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

from prover.withdrawals import WithdrawalTree  # noqa: E402

from chainkit import Chain  # noqa: E402
from rollup.core import BlockBuilder, decode_transaction  # noqa: E402
from rollup.core.blocks import Receipt  # noqa: E402


def best(fn, rounds: int = 5) -> float:
    times = []
    for _ in range(rounds):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return min(times)


def main(n: int = 1500) -> None:
    c = Chain()
    raws = [c.transfer(i % 10, c.addr((i + 1) % 10), 1) for i in range(n)]
    c2 = Chain()
    calls = [c2.call_tx(i % 10, "ModelRegistry", "registerModel", b"\x01" * 32, "ipfs://x")
             for i in range(n // 10)]
    txs = [decode_transaction(r, 7001) for r in raws]
    ctxs = [decode_transaction(r, 7001) for r in calls]
    print(f"decode + recover (transfer): {best(lambda: [decode_transaction(r, 7001) for r in raws]) / n * 1e6:7.1f} us/tx")

    def build(items, chain=c):
        b = BlockBuilder(chain.state, chain.tree.copy(), WithdrawalTree(), chain.env())
        for tx in items:
            b.add(tx)
        return b

    print(f"apply transfer (builder.add): {best(lambda: build(txs)) / n * 1e6:7.1f} us/tx")
    m = len(ctxs)
    print(f"apply registerModel:          {best(lambda: build(ctxs, c2)) / m * 1e6:7.1f} us/tx")
    b = build(txs)
    t = time.process_time()
    blk = b.seal()
    print(f"seal {n} transfers:           {(time.process_time() - t) * 1e3:7.1f} ms "
          f"({len(blk.state_writes)} state writes)")
    r: Receipt = blk.receipts[0]
    print(f"receipt encode:               {best(lambda: [r.encode() for _ in range(n)]) / n * 1e6:7.1f} us")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1500)
