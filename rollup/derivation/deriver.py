"""The derivation engine: L1 batches and deposits in, L2 blocks out (pure, synchronous).

``Deriver`` starts at the genesis block and applies posted batches one at a time. For each batch
it checks the L1 data against the ``BatchAppended`` event and the batch hash chain, decodes the
frame, checks every block against the rules of docs/spec.md §6, and re-executes the
blocks with the pure core (``BlockBuilder``): deposits first (rebuilt from the portal's events,
in nonce order), then the carried user transactions. A batch is applied atomically: if any rule
fails, a :class:`~rollup.derivation.errors.DerivationError` is raised and nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from prover.output_root import output_root
from prover.state_tree import StateTree
from prover.withdrawals import WithdrawalTree
from rollup.batch import (
    KIND_BLOB,
    KIND_CALLDATA,
    BatchDecodeError,
    BatchBlock,
    HeaderMismatch,
    batch_hash,
    blob_data_hash,
    calldata_data_hash,
    check_frame_header,
    decode_frame,
)
from rollup.core.blocks import Header
from rollup.core.builder import BlockBuilder, SealedBlock, next_base_fee
from rollup.core.config import BlockEnv
from rollup.core.constants import DEFAULT_L1_FEE_PER_BYTE
from rollup.core.exceptions import TransactionError
from rollup.core.genesis import Genesis, build_genesis_block
from rollup.core.state import MemoryState
from rollup.core.transactions import decode_transaction
from rollup.core.types import Gas, Hash32, L1BlockNumber, L2BlockNumber, Timestamp, Wei

from .errors import (
    BatchDataMismatch,
    BrokenBatchChain,
    DepositRuleViolation,
    ForcedInclusionViolation,
    FutureOrigin,
    InvalidBatch,
    NonCanonicalOrigin,
    NonContiguousBlocks,
    OriginDecreasing,
    OutputMismatch,
    TimestampDecreasing,
    TransactionRejected,
)
from .inputs import CanonicalL1, L1Deposit, PostedBatch, ProposedOutput

__all__ = ["Deriver", "DerivationParams", "OutputCheck", "ZERO_HASH"]

ZERO_HASH = bytes(32)
"""``prevHash`` of batch 0."""


@dataclass(frozen=True, slots=True)
class DerivationParams:
    """What the replica must agree on with the sequencer beyond the genesis."""

    forced_inclusion_window: int
    """Seconds (OmniPortal.forcedInclusionWindow()): older deposits must be included."""
    gas_limit: int | None = None
    """Block gas limit; ``None``: the genesis config's (as the sequencer's default)."""
    pre_l1_fee_per_byte: int = DEFAULT_L1_FEE_PER_BYTE
    """L1 data price of blocks made before the sequencer saw the L1 (origin = genesis origin)."""
    l1_fee_rule: Callable[[int], int] | None = None
    """L1 data price of a block from its L1 origin's base fee; ``None``: the sequencer's rule
    (``rollup.settlement.feed.l1_fee_per_byte``: 16 x base fee, floored)."""


@dataclass(frozen=True, slots=True)
class OutputCheck:
    """The verdict on one proposed output: ``match``, ``mismatch`` or ``pending`` (not derived yet)."""

    output: ProposedOutput
    status: str
    derived_root: bytes | None = None


@dataclass(slots=True)
class _Draft:
    """Working copies for one batch (committed only if the whole batch is valid)."""

    state: MemoryState
    state_tree: StateTree
    withdrawal_tree: WithdrawalTree
    head: Header
    next_deposit: int
    blocks: list[SealedBlock] = field(default_factory=list)


class Deriver:
    """Rebuilds the L2 chain from L1 data alone."""

    def __init__(self, genesis: Genesis, params: DerivationParams) -> None:
        self.genesis = genesis
        self.params = params
        self.config = genesis.config
        self.gas_limit = int(params.gas_limit or genesis.config.block_gas_limit)
        if params.l1_fee_rule is None:
            from rollup.settlement.feed import l1_fee_per_byte

            self.l1_fee_rule: Callable[[int], int] = l1_fee_per_byte
        else:
            self.l1_fee_rule = params.l1_fee_rule
        self.state_tree = StateTree()
        self.withdrawal_tree = WithdrawalTree()
        sealed = build_genesis_block(genesis, self.state_tree, self.withdrawal_tree)
        self.state = MemoryState()
        self.state.apply(sealed.state_writes)
        self.head: Header = sealed.header
        self.headers: list[Header] = [sealed.header]
        """Every derived header, by number (index 0 is the genesis)."""
        self.batch_count = 0
        self.last_batch_hash = ZERO_HASH
        self.deposits: list[L1Deposit] = []
        """Every deposit seen on the L1, by nonce (index == nonce)."""
        self.next_deposit = 0
        """Nonce of the oldest deposit not yet included in a derived block."""

    # -- inputs -------------------------------------------------------------------------------

    def add_deposits(self, deposits: list[L1Deposit]) -> None:
        """Record portal deposits (any order, duplicates ignored); nonces must have no gap."""
        for dep in sorted(deposits, key=lambda d: d.nonce):
            if dep.nonce < len(self.deposits):
                continue
            if dep.nonce != len(self.deposits):
                raise ValueError(f"deposit nonce {dep.nonce} seen before nonce {len(self.deposits)}")
            self.deposits.append(dep)

    # -- batches ------------------------------------------------------------------------------

    def check_batch_data(self, posted: PostedBatch) -> None:
        """Chain and data checks of ``posted`` (no execution); raises an ``InvalidBatch``."""
        i = posted.index
        if i != self.batch_count:
            raise BrokenBatchChain(i, f"expected batch index {self.batch_count}")
        if posted.prev_hash != self.last_batch_hash:
            raise BrokenBatchChain(i, f"prevHash 0x{posted.prev_hash.hex()} is not the previous batch "
                                      f"hash 0x{self.last_batch_hash.hex()}")
        if posted.first_block != self.head.number + 1 or posted.last_block < posted.first_block:
            raise BrokenBatchChain(i, f"blocks {posted.first_block}..{posted.last_block} do not follow "
                                      f"L2 block {self.head.number}")
        if posted.is_blob:
            if not posted.versioned_hashes:
                raise BatchDataMismatch(i, "blob batch without blob hashes")
            data_hash = blob_data_hash(list(posted.versioned_hashes))
        else:
            data_hash = calldata_data_hash(posted.frame)
        if data_hash != posted.data_hash:
            raise BatchDataMismatch(i, f"data hash 0x{data_hash.hex()} is not the event's "
                                       f"0x{posted.data_hash.hex()}")
        kind = KIND_BLOB if posted.is_blob else KIND_CALLDATA
        expected = batch_hash(posted.prev_hash, i, posted.first_block, posted.last_block, data_hash, kind)
        if expected != posted.batch_hash:
            raise BatchDataMismatch(i, f"batch hash 0x{posted.batch_hash.hex()} is not "
                                       f"0x{expected.hex()}")
        try:
            check_frame_header(posted.frame, posted.prev_hash, posted.first_block, posted.last_block)
        except HeaderMismatch as exc:
            raise BatchDataMismatch(i, f"frame header: {exc}") from exc
        except BatchDecodeError as exc:
            raise InvalidBatch(i, f"frame: {exc}") from exc

    def apply_batch(self, posted: PostedBatch, l1: CanonicalL1) -> list[SealedBlock]:
        """Check and execute one posted batch; on success the chain advances by its blocks."""
        self.check_batch_data(posted)
        try:
            batch = decode_frame(posted.frame)
        except BatchDecodeError as exc:
            raise InvalidBatch(posted.index, f"undecodable frame: {exc}") from exc
        if batch.first_block != posted.first_block or batch.last_block != posted.last_block:
            raise BatchDataMismatch(posted.index, "decoded block range differs from the event's")
        draft = _Draft(MemoryState(self.state.data), self.state_tree.copy(), self.withdrawal_tree.copy(),
                       self.head, self.next_deposit)
        for block in batch.blocks:
            draft.blocks.append(self._derive_block(draft, block, posted, l1))
        # commit
        self.state, self.state_tree, self.withdrawal_tree = draft.state, draft.state_tree, draft.withdrawal_tree
        self.head, self.next_deposit = draft.head, draft.next_deposit
        self.headers.extend(b.header for b in draft.blocks)
        self.batch_count += 1
        self.last_batch_hash = posted.batch_hash
        return draft.blocks

    def _derive_block(self, draft: _Draft, block: BatchBlock, posted: PostedBatch,
                      l1: CanonicalL1) -> SealedBlock:
        bi, n, parent = posted.index, block.number, draft.head
        if n != parent.number + 1:
            raise NonContiguousBlocks(n, f"follows L2 block {parent.number}", bi)
        if block.timestamp < parent.timestamp:
            raise TimestampDecreasing(n, f"timestamp {block.timestamp} < parent's {parent.timestamp}", bi)
        if block.l1_origin_number < parent.l1_origin_number:
            raise OriginDecreasing(n, f"L1 origin {block.l1_origin_number} < parent's "
                                      f"{parent.l1_origin_number}", bi)
        if block.l1_origin_number >= posted.l1_block_number:
            raise FutureOrigin(n, f"L1 origin {block.l1_origin_number} is not before the batch's "
                                  f"L1 block {posted.l1_block_number}", bi)
        genesis = self.headers[0]
        if (block.l1_origin_number, block.l1_origin_hash) == (genesis.l1_origin_number,
                                                              genesis.l1_origin_hash):
            fee = self.params.pre_l1_fee_per_byte  # made before the sequencer saw the L1
        else:
            origin = l1.block(block.l1_origin_number)
            if origin is None or origin.hash != block.l1_origin_hash:
                raise NonCanonicalOrigin(n, block.l1_origin_number, origin.hash if origin else None,
                                         block.l1_origin_hash, bi)
            fee = self.l1_fee_rule(origin.base_fee)
        # deposits: the next `deposit_count` by nonce, all from L1 blocks <= the origin
        first = draft.next_deposit
        wanted = self.deposits[first:first + block.deposit_count]
        if len(wanted) < block.deposit_count:
            raise DepositRuleViolation(n, f"counts {block.deposit_count} deposits from nonce {first}, "
                                          f"only {len(wanted)} exist on the L1", bi)
        for dep in wanted:
            if dep.l1_block_number > block.l1_origin_number:
                raise DepositRuleViolation(n, f"deposit {dep.nonce} is from L1 block {dep.l1_block_number}, "
                                              f"after the origin {block.l1_origin_number}", bi)
        draft.next_deposit = first + block.deposit_count
        # forced inclusion: the oldest deposit still missing must be younger than the window
        window = self.params.forced_inclusion_window
        if draft.next_deposit < len(self.deposits):
            oldest = self.deposits[draft.next_deposit]
            if block.timestamp - oldest.l1_timestamp > window:
                raise ForcedInclusionViolation(n, oldest.nonce, oldest.l1_timestamp, window,
                                               block.timestamp, bi)
        env = BlockEnv(
            number=L2BlockNumber(n), timestamp=Timestamp(block.timestamp), parent_hash=parent.hash,
            base_fee=next_base_fee(parent, self.config), config=self.config, gas_limit=Gas(self.gas_limit),
            fee_vault=self.genesis.fee_vault, l1_fee_per_byte=Wei(fee),
            l1_origin_number=L1BlockNumber(block.l1_origin_number),
            l1_origin_hash=Hash32(block.l1_origin_hash),
        )
        builder = BlockBuilder(draft.state, draft.state_tree, draft.withdrawal_tree, env)
        txs = [dep.transaction() for dep in wanted]
        for index, raw in enumerate(block.transactions, start=len(txs)):
            try:
                txs.append(decode_transaction(raw, self.config.chain_id))
            except TransactionError as exc:
                raise TransactionRejected(n, index, exc, bi) from exc
        for index, tx in enumerate(txs):
            try:
                builder.add(tx)
            except TransactionError as exc:
                raise TransactionRejected(n, index, exc, bi) from exc
        sealed = builder.seal()
        draft.state.apply(sealed.state_writes)
        draft.head = sealed.header
        return sealed

    # -- outputs ------------------------------------------------------------------------------

    def output_root(self, l2_block: int) -> bytes | None:
        """The output root of a derived block, or ``None`` if it is not derived yet."""
        if l2_block >= len(self.headers):
            return None
        h = self.headers[l2_block]
        return output_root(h.state_root, h.withdrawal_root, h.hash)

    def check_output(self, output: ProposedOutput) -> OutputCheck:
        """Compare a proposed output with the derived chain (never raises)."""
        derived = self.output_root(output.l2_block_number)
        if derived is None:
            return OutputCheck(output, "pending")
        return OutputCheck(output, "match" if derived == output.output_root else "mismatch", derived)

    def require_output(self, output: ProposedOutput) -> None:
        """Raise :class:`OutputMismatch` if the derived root differs (pending passes)."""
        check = self.check_output(output)
        if check.status == "mismatch":
            assert check.derived_root is not None
            raise OutputMismatch(output.index, output.l2_block_number, output.output_root,
                                 check.derived_root)
