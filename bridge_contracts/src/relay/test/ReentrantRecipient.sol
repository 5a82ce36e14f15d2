// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IMessageRecipient} from "../IMessageRecipient.sol";

/// @title ReentrantRecipient
/// @notice Test-only: a hostile recipient that, inside `handle`, replays an armed call into its
///         mailbox (for example the same `process` call) and records what happened.
contract ReentrantRecipient is IMessageRecipient {
    /// @notice The mailbox to call back.
    address public immutable mailbox;
    /// @notice The calldata replayed inside handle.
    bytes public armed;
    /// @notice Deliveries seen.
    uint256 public handled;
    /// @notice Whether the reentrant call succeeded.
    bool public reentrySucceeded;
    /// @notice Revert data of the reentrant call.
    bytes public reentryError;

    /// @notice A delivery arrived.
    event Handled(uint32 origin, bytes32 sender, bytes body, bool reentrySucceeded);

    constructor(address mailbox_) {
        mailbox = mailbox_;
    }

    /// @notice Set the calldata to replay.
    function arm(bytes calldata callData) external {
        armed = callData;
    }

    /// @inheritdoc IMessageRecipient
    function handle(uint32 origin, bytes32 sender, bytes calldata body) external {
        handled += 1;
        if (armed.length != 0) {
            bytes memory data = armed;
            delete armed;
            (bool ok, bytes memory ret) = mailbox.call(data);
            reentrySucceeded = ok;
            reentryError = ret;
        }
        emit Handled(origin, sender, body, reentrySucceeded);
    }
}
