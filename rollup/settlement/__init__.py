"""Settlement services (issue 4): the L1 watcher (deposits, L1 origin), the batcher, the
proposer, and the safe/finalized status, all on web3.py ``AsyncWeb3``. API and design:
``docs/design-settlement.md``."""

from .batcher import Batcher, BatchPlan, batch_blocks_from_store, plan_batch, run_batcher
from .config import DA_MODES, SettlementSettings, load_settlement_settings
from .errors import (
    L1Error,
    L1RequestFailed,
    L1Unavailable,
    LedgerMismatch,
    SettlementConfigError,
    SettlementError,
    SubmissionFailed,
)
from .feed import L1Feed, L1Origin, l1_block_env, l1_fee_per_byte
from .l1 import L1Client, L1Fees, is_transient
from .ledger import Attempt, LedgerTx, NonceLedger
from .proposer import Proposer, next_output_block, run_proposer
from .status import SettlementStatus
from .txmanager import TxManager
from .watcher import L1Watcher, ObservedDeposit, applied_in, run_watcher, start_watcher

__all__ = [
    "Attempt", "BatchPlan", "Batcher", "DA_MODES", "L1Client", "L1Error", "L1Feed", "L1Fees",
    "L1Origin", "L1RequestFailed", "L1Unavailable", "L1Watcher", "LedgerMismatch", "LedgerTx",
    "NonceLedger", "ObservedDeposit", "Proposer", "SettlementConfigError", "SettlementError",
    "SettlementSettings", "SettlementStatus", "SubmissionFailed", "TxManager", "applied_in",
    "batch_blocks_from_store", "is_transient", "l1_block_env", "l1_fee_per_byte",
    "load_settlement_settings", "next_output_block", "plan_batch", "run_batcher",
    "run_proposer", "run_watcher", "start_watcher",
]
