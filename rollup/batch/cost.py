"""L1 cost model of posting a frame, and the calldata-or-blob choice. Pure arithmetic.

Calldata (``appendBatch``): ``21,000 + 4 * tokens + execution`` with ``tokens = zero bytes +
4 * non-zero bytes`` (EIP-2028's 4 / 16 gas), raised to the EIP-7623 floor
``21,000 + 10 * tokens`` when that is higher (Prague; on by default because the L1 devnet
runs the latest hardfork). Blobs (``appendBlobBatch``): the same formula for the small call,
paid at the base fee, plus ``131,072`` blob gas per blob at the blob base fee. Priority fees
are left out: they apply to the execution gas of either route alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from .blobs import blob_count, max_frame_for_blobs
from .calldata import append_batch_calldata, append_blob_batch_calldata
from .constants import (
    CALLDATA_NONZERO_BYTE_GAS,
    CALLDATA_ZERO_BYTE_GAS,
    DA_BLOB,
    DA_CALLDATA,
    FLOOR_TOKEN_GAS,
    GAS_PER_BLOB,
    MAX_BLOBS_PER_BATCH,
    MAX_CALLDATA_FRAME_BYTES,
    TX_BASE_GAS,
)

__all__ = [
    "APPEND_BATCH_EXEC_GAS",
    "L1Cost",
    "calldata_gas",
    "calldata_batch_cost",
    "blob_batch_cost",
    "choose_da",
]

APPEND_BATCH_EXEC_GAS = 60_000
"""Estimated execution gas of ``appendBatch`` / ``appendBlobBatch``: a new storage slot for
the batch hash (22,100), the array length and ``lastBatchedL2Block`` updates (2 x 5,000), the
event and the keccak of the data; an estimate to refine with the contract's gas report."""


@dataclass(frozen=True, slots=True)
class L1Cost:
    """Gas and wei of one posting. ``blob_gas`` is 0 for calldata."""

    mode: str
    gas: int
    blob_gas: int
    blobs: int
    wei: int


def calldata_gas(calldata: bytes, eip7623: bool = True, exec_gas: int = APPEND_BATCH_EXEC_GAS) -> int:
    """L1 gas of a transaction carrying ``calldata`` and spending ``exec_gas`` in execution."""
    zeros = calldata.count(0)
    nonzero = len(calldata) - zeros
    standard = TX_BASE_GAS + CALLDATA_ZERO_BYTE_GAS * zeros + CALLDATA_NONZERO_BYTE_GAS * nonzero
    standard += exec_gas
    if not eip7623:
        return standard
    floor = TX_BASE_GAS + FLOOR_TOKEN_GAS * (zeros + 4 * nonzero)
    return max(standard, floor)


def calldata_batch_cost(
    frame: bytes, base_fee: int, first_block: int = 1, last_block: int = 1, eip7623: bool = True
) -> L1Cost:
    """Cost of posting ``frame`` through ``appendBatch`` at ``base_fee`` wei per gas."""
    data = append_batch_calldata(bytes(32), first_block, last_block, frame)
    gas = calldata_gas(data, eip7623)
    return L1Cost(DA_CALLDATA, gas, 0, 0, gas * base_fee)


def blob_batch_cost(frame_len: int, base_fee: int, blob_base_fee: int, eip7623: bool = True) -> L1Cost:
    """Cost of posting a frame of ``frame_len`` bytes through ``appendBlobBatch`` and blobs."""
    n = blob_count(frame_len)
    # the block numbers are small, the prev hash is random: count it as 32 non-zero bytes
    data = append_blob_batch_calldata(b"\xff" * 32, 1, 1)
    gas = calldata_gas(data, eip7623)
    blob_gas = n * GAS_PER_BLOB
    return L1Cost(DA_BLOB, gas, blob_gas, n, gas * base_fee + blob_gas * blob_base_fee)


def choose_da(
    frame_len: int,
    base_fee: int,
    blob_base_fee: int,
    eip7623: bool = True,
    max_calldata: int = MAX_CALLDATA_FRAME_BYTES,
    max_blobs: int = MAX_BLOBS_PER_BATCH,
) -> str:
    """``"calldata"`` or ``"blob"``: the cheaper route for a frame of ``frame_len`` bytes.

    The frame is counted as all non-zero bytes (a Brotli stream has about 1/256 zeros).
    A frame over ``max_calldata`` goes to blobs; one over the blob capacity raises
    ``ValueError`` (the encoder never produces one). Ties go to calldata.
    """
    if frame_len > max_frame_for_blobs(max_blobs):
        raise ValueError(f"frame of {frame_len} bytes exceeds {max_blobs} blobs")
    blob = blob_batch_cost(frame_len, base_fee, blob_base_fee, eip7623)
    if frame_len > max_calldata:
        return DA_BLOB
    call = calldata_batch_cost(b"\xff" * frame_len, base_fee, eip7623=eip7623)
    return DA_CALLDATA if call.wei <= blob.wei else DA_BLOB
