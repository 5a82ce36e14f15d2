// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Mailbox} from "./Mailbox.sol";

/// @title ModelAttestationSender
/// @notice On the L1: the one sender remote `ModelAttestations` contracts accept. Its attester (the
///         L1 model registry or the validators' operator key) publishes attestations; the validator
///         set then signs the resulting Mailbox messages like any other.
contract ModelAttestationSender {
    /// @notice The L1 mailbox.
    Mailbox public immutable mailbox;
    /// @notice May publish and configure destinations.
    address public attester;
    /// @notice The ModelAttestations contract on each remote chain.
    mapping(uint32 chain => bytes32 target) public remoteAttestations;

    /// @notice An attestation was sent.
    event AttestationPublished(bytes32 indexed messageId, uint32 indexed destination, bytes32 indexed modelId, uint64 version);
    /// @notice A destination was registered.
    event RemoteAttestationsSet(uint32 indexed chain, bytes32 target);

    /// @notice Caller is not the attester.
    error NotAttester(address caller);
    /// @notice No ModelAttestations registered for the chain.
    error UnknownDestination(uint32 chain);

    constructor(Mailbox mailbox_, address attester_) {
        mailbox = mailbox_;
        attester = attester_;
    }

    /// @notice Register the ModelAttestations contract of a remote chain.
    function setRemoteAttestations(uint32 chain, bytes32 target) external {
        if (msg.sender != attester) revert NotAttester(msg.sender);
        remoteAttestations[chain] = target;
        emit RemoteAttestationsSet(chain, target);
    }

    /// @notice Publish an attestation to `destination`.
    function publish(
        uint32 destination,
        bytes32 modelId,
        bytes32 weightsCommitment,
        address owner,
        uint8 status,
        uint64 version,
        uint64 l2Block
    ) external returns (bytes32 id) {
        if (msg.sender != attester) revert NotAttester(msg.sender);
        bytes32 target = remoteAttestations[destination];
        if (target == bytes32(0)) revert UnknownDestination(destination);
        id = mailbox.dispatch(
            destination, target, abi.encode(modelId, weightsCommitment, owner, status, version, l2Block)
        );
        emit AttestationPublished(id, destination, modelId, version);
    }
}
