"""What the sequencer takes from the L1: the L1 origin of the next block and the deposits.

:class:`L1Feed` is a small synchronous protocol (no I/O: the watcher polls the L1 in its own
task and the sequencer only reads what it has seen). At every block the sequencer calls
:func:`l1_block_env`, which

- picks the L1 origin: the feed's latest confirmed L1 block (``head - confirmations``), but
  never one below the parent's origin, and never a different hash at the parent's origin
  number (a batch refuses both);
- sets ``l1_fee_per_byte`` from the chosen origin's base fee (``16 x base fee``, floored; the
  pre-L1 default while there is no origin), exactly as derivation recomputes it;
- returns every pending deposit from L1 blocks ``<= origin``, in deposit-nonce order, to be put
  FIRST in the block (docs/spec.md §4 section 2: derivation rebuilds them from the events).

Forced inclusion follows: every deposit at or below the origin is included in the very next
block, and the origin trails the L1 head by only the confirmation depth, far inside
``OmniPortal.forcedInclusionWindow()``. If the watcher loses the L1 the origin stops moving;
the watcher reports that (``L1Watcher.origin_lag``) and derivation enforces the window.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Iterable, Protocol, runtime_checkable

from rollup.core.blocks import Header
from rollup.core.config import BlockEnv
from rollup.core.transactions import DepositTransaction
from rollup.core.types import Hash32, L1BlockNumber, Wei

__all__ = ["L1Origin", "L1Feed", "l1_block_env", "l1_fee_per_byte", "L1_GAS_PER_BYTE",
           "MIN_L1_FEE_PER_BYTE"]

_log = logging.getLogger(__name__)

L1_GAS_PER_BYTE = 16
"""L1 gas per byte of posted data (EIP-2028 non-zero calldata byte): the L1 data fee per
byte is this times the L1 base fee."""

MIN_L1_FEE_PER_BYTE = 10**6
"""Floor of the L1 data fee per byte (wei): an idle devnet L1 decays its base fee to a few wei."""


@dataclass(frozen=True, slots=True)
class L1Origin:
    """An L1 block the L2 may reference: number, hash, base fee (wei) and timestamp (s)."""

    number: int
    hash: bytes
    base_fee: int
    timestamp: int


@runtime_checkable
class L1Feed(Protocol):
    """The sequencer's view of the L1 (implemented by :class:`L1Watcher`)."""

    def current_origin(self) -> L1Origin | None:
        """The latest confirmed L1 block seen, or ``None`` before the first sync."""
        ...

    def take_deposits(self, up_to_l1_block: int) -> list[DepositTransaction]:
        """Deposits from L1 blocks ``<= up_to_l1_block`` not yet included, in nonce order."""
        ...

    def mark_included(self, source_hashes: Iterable[bytes]) -> None:
        """These deposits are in a durable L2 block: stop offering them."""
        ...

    def has_pending(self) -> bool:
        """Whether deposits are waiting (the sequencer seals a block for them at once)."""
        ...

    # optional: ``base_fee_of(number, hash) -> int | None``, the base fee of an L1 block the
    # feed offered before (used when the parent's origin is kept because the feed is behind)


def l1_fee_per_byte(base_fee: int) -> Wei:
    """L1 data fee per byte charged on the L2 for an L1 base fee of ``base_fee`` wei."""
    return Wei(max(MIN_L1_FEE_PER_BYTE, L1_GAS_PER_BYTE * int(base_fee)))


def l1_block_env(feed: L1Feed, parent: Header, env: BlockEnv) -> tuple[BlockEnv, list[DepositTransaction]]:
    """``env`` with the L1 origin and L1 fee of the next block, and the deposits it must
    start with (see the module docstring)."""
    number, origin_hash = int(parent.l1_origin_number), bytes(parent.l1_origin_hash)
    fee = env.l1_fee_per_byte  # no L1 origin yet: the pre-L1 default (derivation agrees)
    origin = feed.current_origin()
    if origin is not None and origin.number > number:
        number, origin_hash = origin.number, origin.hash
        fee = l1_fee_per_byte(origin.base_fee)
    elif number > 0:
        # the parent's origin stays: its own base fee sets the price, as derivation computes
        # it from the block's origin
        if origin is not None and (origin.number, origin.hash) == (number, origin_hash):
            known: int | None = origin.base_fee
        else:
            known = getattr(feed, "base_fee_of", lambda _n, _h: None)(number, origin_hash)
            if known is None:
                _log.error("base fee of L1 origin %d unknown to the feed", number)
                known = None if origin is None else origin.base_fee
        if known is not None:
            fee = l1_fee_per_byte(known)
    env = dataclasses.replace(env, l1_origin_number=L1BlockNumber(number),
                              l1_origin_hash=Hash32(origin_hash), l1_fee_per_byte=fee)
    deposits = feed.take_deposits(number) if origin is not None else []
    return env, deposits
