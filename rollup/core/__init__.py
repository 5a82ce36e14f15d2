"""The pure protocol core of the OmniTensor L2.

No asyncio, no I/O, no clock, no randomness: the same inputs give the same outputs on every
machine. See ``docs/design-l2-core.md`` for the API and ``docs/spec.md §3`` for the formats.

Modules: :mod:`types`, :mod:`constants`, :mod:`exceptions`, :mod:`config` (ChainConfig,
BlockEnv), :mod:`transactions`, :mod:`records`, :mod:`state`, :mod:`fees`, :mod:`blocks`,
:mod:`system_contracts` (+ ``abi/*.json``), :mod:`models`, :mod:`staking`, :mod:`tasks`,
:mod:`withdrawals`, :mod:`execution`, :mod:`builder`, :mod:`genesis`.
"""

from .blocks import Header, Log, Receipt, logs_bloom
from .builder import BlockBuilder, SealedBlock, next_base_fee
from .config import BlockEnv, ChainConfig
from .execution import (
    CallResult,
    TxOutcome,
    apply_transaction,
    execute_call,
    required_balance,
    validate_transaction,
)
from .genesis import Genesis, build_genesis_block, dev_accounts, dev_genesis, load_genesis
from .state import MemoryState, Overlay, StateReader
from .system_contracts import WithdrawalLeaf, encode_call, load_abi
from .transactions import (
    DepositTransaction,
    DynamicFeeTransaction,
    LegacyTransaction,
    SignedTransaction,
    Transaction,
    decode_transaction,
    deposit_source_hash,
    make_deposit,
)

__all__ = [
    "BlockBuilder", "BlockEnv", "CallResult", "ChainConfig", "DepositTransaction",
    "DynamicFeeTransaction", "Genesis", "Header", "LegacyTransaction", "Log", "MemoryState",
    "Overlay", "Receipt", "SealedBlock", "SignedTransaction", "StateReader", "Transaction",
    "TxOutcome", "WithdrawalLeaf", "apply_transaction", "build_genesis_block",
    "decode_transaction", "deposit_source_hash", "dev_accounts", "dev_genesis", "encode_call",
    "execute_call", "load_abi", "load_genesis", "logs_bloom", "make_deposit", "next_base_fee",
    "required_balance", "validate_transaction",
]
