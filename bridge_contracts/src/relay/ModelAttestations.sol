// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IMessageRecipient} from "./IMessageRecipient.sol";
import {Mailbox} from "./Mailbox.sol";

/// @title ModelAttestations
/// @notice Model attestations on a remote chain (docs/spec.md §7 section 7): model id to weights
///         commitment, owner, status, version and L2 block. Attestations arrive as ordinary Mailbox
///         messages from the registered L1 `ModelAttestationSender`, so they are signed by the
///         validator set like any message (direct or checkpoint path).
/// @dev Idempotent and monotonic: an attestation with a version at or below the stored one is
///      ignored (not reverted: the message is consumed and never retried).
///      Body: abi.encode(modelId, weightsCommitment, owner, status, version, l2Block).
contract ModelAttestations is IMessageRecipient {
    /// @notice One model's latest attestation.
    struct Attestation {
        bytes32 weightsCommitment;
        address owner;
        uint8 status;
        uint64 version;
        uint64 l2Block;
    }

    /// @notice The mailbox that delivers attestations.
    Mailbox public immutable mailbox;
    /// @notice Chain id of the L1.
    uint32 public immutable homeChainId;
    /// @notice The L1 ModelAttestationSender (bytes32).
    bytes32 public immutable sender;
    /// @notice Latest attestation per model.
    mapping(bytes32 modelId => Attestation) internal _attestations;

    /// @notice A model attestation was stored.
    event AttestationUpdated(bytes32 indexed modelId, uint64 version, bytes32 weightsCommitment, address owner, uint8 status, uint64 l2Block);
    /// @notice An attestation was not newer than the stored one and was ignored.
    event AttestationIgnored(bytes32 indexed modelId, uint64 version, uint64 storedVersion);

    /// @notice Caller is not the mailbox.
    error NotMailbox(address caller);
    /// @notice The message does not come from the L1 attestation sender.
    error UnauthorizedSender(uint32 origin, bytes32 sender);

    constructor(Mailbox mailbox_, uint32 homeChainId_, bytes32 sender_) {
        mailbox = mailbox_;
        homeChainId = homeChainId_;
        sender = sender_;
    }

    /// @notice The latest attestation of `modelId` (version 0 = none).
    function attestation(bytes32 modelId) external view returns (Attestation memory) {
        return _attestations[modelId];
    }

    /// @inheritdoc IMessageRecipient
    function handle(uint32 origin, bytes32 sender_, bytes calldata body) external {
        if (msg.sender != address(mailbox)) revert NotMailbox(msg.sender);
        if (origin != homeChainId || sender_ != sender) revert UnauthorizedSender(origin, sender_);
        (bytes32 modelId, bytes32 commitment, address owner, uint8 status, uint64 version, uint64 l2Block) =
            abi.decode(body, (bytes32, bytes32, address, uint8, uint64, uint64));
        Attestation storage a = _attestations[modelId];
        if (version <= a.version) {
            emit AttestationIgnored(modelId, version, a.version);
            return;
        }
        _attestations[modelId] = Attestation(commitment, owner, status, version, l2Block);
        emit AttestationUpdated(modelId, version, commitment, owner, status, l2Block);
    }
}
