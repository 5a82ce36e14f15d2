// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IMessageRecipient
/// @notice What a Mailbox calls to deliver a message. Recipients must check that the caller is
///         their Mailbox and that (origin, sender) is a peer they trust.
interface IMessageRecipient {
    /// @notice Deliver a message; reverting leaves the message undelivered (it can be retried).
    /// @param origin Origin chain id.
    /// @param sender Sender on the origin chain (address left-padded to 32 bytes).
    /// @param body The message body.
    function handle(uint32 origin, bytes32 sender, bytes calldata body) external;
}
