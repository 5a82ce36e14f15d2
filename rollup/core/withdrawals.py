"""L2ToL1MessagePasser: withdrawals of OMNIT to the L1.

``withdraw(l1Recipient) -> nonce`` (payable): the call's ``value`` is burned on the L2
(``Globals.total_withdrawn``) and a leaf ``abi.encode(uint256 nonce, address sender,
address l1Recipient, uint256 amount)`` is appended to the withdrawal tree at index ``nonce``
(``Globals.withdrawal_count`` before the call). Event ``WithdrawalInitiated``. The builder
appends the leaves when it seals the block; they are proven on the L1 against an output root.
"""

from __future__ import annotations

from dataclasses import replace

from eth_abi import encode as abi_encode

from .system_contracts import CallContext, Revert, WithdrawalLeaf
from .types import Address

__all__ = ["withdraw", "withdrawal_count"]


def withdraw(ctx: CallContext, args: tuple) -> bytes:
    (recipient,) = args
    amount = ctx.value
    if amount == 0:
        raise Revert("withdrawal amount (the call's value) must be positive")
    if recipient == bytes(20):
        raise Revert("l1Recipient must not be the zero address")
    g = ctx.state.globals()
    nonce = g.withdrawal_count
    ctx.state.set_globals(
        replace(g, withdrawal_count=nonce + 1, total_withdrawn=g.total_withdrawn + amount)
    )
    ctx.withdrawals.append(
        WithdrawalLeaf(nonce, ctx.sender, Address(recipient), amount, ctx.transaction_hash)
    )
    ctx.emit("WithdrawalInitiated", nonce, ctx.sender, recipient, amount)
    return abi_encode(["uint256"], [nonce])


def withdrawal_count(ctx: CallContext, args: tuple) -> bytes:
    return abi_encode(["uint256"], [ctx.state.globals().withdrawal_count])
