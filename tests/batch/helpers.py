"""Helpers of the batch codec suites: deterministic keys, eth-account signing, block builders."""

from __future__ import annotations

from collections.abc import Sequence

from eth_account import Account
from eth_hash.auto import keccak

from rollup.batch import BatchBlock

CHAIN_ID = 7001
"""The L2 chain id the batches imply."""

KEYS = [keccak(b"batch test key" + bytes([i])) for i in range(8)]
"""Eight deterministic private keys."""

ACCOUNTS = [Account.from_key(k) for k in KEYS]
"""Their eth-account objects."""

REGISTRY = "0x4f4d4E4900000000000000000000000000000003"
"""The task registry system address (checksummed)."""


def sign(tx: dict[str, object], signer: int = 0) -> bytes:
    """Raw signed bytes of ``tx`` signed by test account ``signer``."""
    return bytes(ACCOUNTS[signer].sign_transaction(tx).raw_transaction)


def make_blocks(
    txs_per_block: Sequence[Sequence[bytes]], first: int = 1, origin_every: int = 2
) -> tuple[BatchBlock, ...]:
    """Consecutive blocks carrying the given raw transactions, an L1 origin change every few."""
    out = []
    for i, txs in enumerate(txs_per_block):
        origin = 100 + i // origin_every
        out.append(
            BatchBlock(
                number=first + i,
                timestamp=1_700_000_000 + i // 4,
                l1_origin_number=origin,
                l1_origin_hash=keccak(origin.to_bytes(8, "big")),
                deposit_count=i % 3,
                transactions=tuple(txs),
            )
        )
    return tuple(out)
