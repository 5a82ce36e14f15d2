"""Send EIP-4844 blob transactions to a contract (the blob batch path of `OmniRollup`).

The blobs are given ready-made (131 072 bytes each, every 32-byte field element below the
BLS12-381 modulus): how batch bytes are packed into blobs is the batch codec's business.
The KZG commitments, proofs and versioned hashes are computed with ckzg and the trusted setup
bundled with eth-account, loaded once per process (loading takes seconds).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import ckzg
import eth_account
import rlp
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak
from web3 import AsyncWeb3
from web3.contract.async_contract import AsyncContractFunction
from web3.types import TxReceipt

from bridge_contracts.deploy import TransactionFailed, with_margin

__all__ = [
    "BLOB_SIZE",
    "VERSIONED_HASH_VERSION_KZG",
    "BlobSidecar",
    "make_sidecar",
    "send_blob_transaction",
    "versioned_hash",
    "versioned_hashes",
    "warm_up",
    "wrap_blob_transaction",
]

BLOB_SIZE = 4096 * 32
"""Bytes in one blob: 4096 field elements of 32 bytes."""

VERSIONED_HASH_VERSION_KZG = 0x01
"""First byte of a versioned hash: `0x01 ++ sha256(commitment)[1:]` (EIP-4844)."""

_TRUSTED_SETUP = (Path(eth_account.__file__).parent / "typed_transactions" / "blob_transactions"
                  / "kzg_trusted_setup.txt")


@lru_cache(maxsize=1)
def _settings() -> Any:
    return ckzg.load_trusted_setup(str(_TRUSTED_SETUP), 0)


def warm_up() -> None:
    """Load the KZG trusted setup now (it takes seconds; done once per process)."""
    _settings()


def versioned_hash(commitment: bytes) -> bytes:
    """The versioned hash of a KZG commitment."""
    return bytes([VERSIONED_HASH_VERSION_KZG]) + hashlib.sha256(commitment).digest()[1:]


def _check(blob: bytes) -> bytes:
    if len(blob) != BLOB_SIZE:
        raise ValueError(f"a blob is {BLOB_SIZE} bytes, got {len(blob)}")
    return bytes(blob)


@dataclass(frozen=True, slots=True)
class BlobSidecar:
    """Blobs with their KZG commitments and proofs: what a type-3 transaction carries.

    `proofs` holds one blob proof per blob (EIP-4844 sidecar), or with `cell_proofs` 128 cell
    proofs per blob (EIP-7594 sidecar, required from Osaka on).
    """

    blobs: tuple[bytes, ...]
    commitments: tuple[bytes, ...]
    proofs: tuple[bytes, ...]
    cell_proofs: bool = False

    @property
    def versioned_hashes(self) -> list[bytes]:
        """What `blobhash(i)` returns on chain, in blob order."""
        return [versioned_hash(c) for c in self.commitments]

    @property
    def data_hash(self) -> bytes:
        """`OmniRollup`'s dataHash of a blob batch: keccak of the concatenated versioned hashes."""
        return keccak(b"".join(self.versioned_hashes))


def make_sidecar(blobs: Sequence[bytes], cell_proofs: bool = False) -> BlobSidecar:
    """Compute commitments and proofs for `blobs` with ckzg (loads the trusted setup once)."""
    settings = _settings()
    checked = tuple(_check(b) for b in blobs)
    commitments = tuple(ckzg.blob_to_kzg_commitment(b, settings) for b in checked)
    if cell_proofs:
        proofs = tuple(p for b in checked for p in ckzg.compute_cells_and_kzg_proofs(b, settings)[1])
    else:
        proofs = tuple(ckzg.compute_blob_kzg_proof(b, c, settings)
                       for b, c in zip(checked, commitments, strict=True))
    return BlobSidecar(checked, commitments, proofs, cell_proofs)


def versioned_hashes(blobs: Sequence[bytes]) -> list[bytes]:
    """Versioned hashes of `blobs`, in order (what `blobhash(i)` returns on chain)."""
    settings = _settings()
    return [versioned_hash(ckzg.blob_to_kzg_commitment(_check(b), settings)) for b in blobs]


def wrap_blob_transaction(raw_transaction: bytes, sidecar: BlobSidecar) -> bytes:
    """The network form of a signed type-3 transaction: the transaction plus its blob sidecar.

    `raw_transaction` is the signed transaction without blobs (`0x03 ++ rlp(body)`). The result
    is EIP-4844's `0x03 ++ rlp([body, blobs, commitments, proofs])`, or for a cell-proof sidecar
    EIP-7594's `0x03 ++ rlp([body, 1, blobs, commitments, cell_proofs])`.
    """
    if raw_transaction[:1] != b"\x03":
        raise ValueError("not a type-3 (blob) transaction")
    body = rlp.decode(raw_transaction[1:])
    blobs, commitments, proofs = list(sidecar.blobs), list(sidecar.commitments), list(sidecar.proofs)
    if sidecar.cell_proofs:
        return b"\x03" + rlp.encode([body, 1, blobs, commitments, proofs])
    return b"\x03" + rlp.encode([body, blobs, commitments, proofs])


async def send_blob_transaction(
    fn: AsyncContractFunction,
    blobs: Sequence[bytes] | BlobSidecar,
    account: LocalAccount,
    *,
    max_fee_per_blob_gas: int | None = None,
    gas: int | None = None,
    cell_proofs: bool = False,
) -> TxReceipt:
    """Send the contract call `fn` as a type-3 transaction carrying `blobs`; wait and check.

    Blob transactions need a local signing account. Given raw blobs, the sidecar is built here
    with one cached ckzg trusted setup (eth-account would reload it, seconds, for every blob);
    `cell_proofs` selects the EIP-7594 sidecar that Osaka nodes require. A prepared
    `BlobSidecar` is sent as it is.
    """
    sidecar = blobs if isinstance(blobs, BlobSidecar) else make_sidecar(blobs, cell_proofs)
    w3: AsyncWeb3 = fn.w3
    if max_fee_per_blob_gas is None:
        max_fee_per_blob_gas = max(2 * int(await w3.eth.blob_base_fee), 10**9)
    params: dict[str, Any] = {
        "from": account.address,
        "type": 3,
        "maxFeePerBlobGas": max_fee_per_blob_gas,
        "nonce": await w3.eth.get_transaction_count(account.address, "pending"),
        "chainId": await w3.eth.chain_id,
        # also lets gas estimation see the blobs (`blobhash(i)` is 0 without them)
        "blobVersionedHashes": sidecar.versioned_hashes,
    }
    params["gas"] = gas if gas is not None else with_margin(await fn.estimate_gas(params))  # type: ignore[arg-type]
    tx = await fn.build_transaction(params)  # type: ignore[arg-type]
    tx.pop("from", None)
    signed = account.sign_transaction(tx)
    raw = wrap_blob_transaction(bytes(signed.raw_transaction), sidecar)
    tx_hash = await w3.eth.send_raw_transaction(raw)
    receipt = await w3.eth.wait_for_transaction_receipt(tx_hash)
    if receipt["status"] != 1:
        raise TransactionFailed(f"{fn.fn_name} (blob)", receipt)
    return receipt
