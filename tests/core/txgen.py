"""Fast transaction signing for tests and benchmarks (coincurve directly; checked against
eth-account in test_transactions.py)."""

from __future__ import annotations

import rlp
from coincurve import PrivateKey
from eth_hash.auto import keccak

from rollup.core.constants import DEFAULT_CHAIN_ID, GWEI

__all__ = ["sign_dynamic", "sign_legacy", "Signer"]


def _sig(key: bytes, msg_hash: bytes) -> tuple[int, int, int]:
    sig = PrivateKey(key).sign_recoverable(msg_hash, hasher=None)
    return int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big"), sig[64]


def sign_dynamic(
    key: bytes, *, nonce: int, to: bytes, value: int = 0, data: bytes = b"", gas: int = 21_000,
    max_fee: int = 10 * GWEI, max_priority: int = GWEI, chain_id: int = DEFAULT_CHAIN_ID,
    access_list: list | None = None,
) -> bytes:
    fields = [chain_id, nonce, max_priority, max_fee, gas, to, value, data, access_list or []]
    r, s, v = _sig(key, keccak(b"\x02" + rlp.encode(fields)))
    return b"\x02" + rlp.encode(fields + [v, r, s])


def sign_legacy(
    key: bytes, *, nonce: int, to: bytes, value: int = 0, data: bytes = b"", gas: int = 21_000,
    gas_price: int = 10 * GWEI, chain_id: int = DEFAULT_CHAIN_ID,
) -> bytes:
    fields = [nonce, gas_price, gas, to, value, data]
    r, s, v = _sig(key, keccak(rlp.encode(fields + [chain_id, 0, 0])))
    return rlp.encode(fields + [chain_id * 2 + 35 + v, r, s])


class Signer:
    """Signs type-2 transactions for one key, tracking its nonce."""

    def __init__(self, key: bytes, address: bytes, chain_id: int = DEFAULT_CHAIN_ID) -> None:
        self.key, self.address, self.chain_id, self.nonce = key, address, chain_id, 0

    def tx(self, to: bytes, value: int = 0, data: bytes = b"", gas: int | None = None, **kw) -> bytes:
        if gas is None:
            gas = 21_000 + 16 * len(data) + (100_000 if data else 0)
        raw = sign_dynamic(self.key, nonce=self.nonce, to=to, value=value, data=data, gas=gas,
                           chain_id=self.chain_id, **kw)
        self.nonce += 1
        return raw
