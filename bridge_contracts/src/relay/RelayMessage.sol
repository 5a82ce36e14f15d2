// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title RelayMessage
/// @notice The cross-chain message format and the signed digests (docs/spec.md §7 sections 1-2).
/// @dev Message: version u8 | nonce u32 | origin u32 | sender bytes32 | destination u32 |
///      recipient bytes32 | body (77-byte header). id = keccak(message).
///      digest = keccak(DOMAIN_TAG ++ u8 kind ++ u32 originChainId ++ originContract ++ payloadHash).
library RelayMessage {
    /// @notice Version byte of the encoding.
    uint8 internal constant VERSION = 1;
    /// @notice Bytes before the body.
    uint256 internal constant HEADER_SIZE = 77;
    /// @notice keccak("OmniTensor/relay/v1"): prefix of every signed digest.
    bytes32 internal constant DOMAIN_TAG = keccak256("OmniTensor/relay/v1");

    /// @notice Kind: proof of possession of a BLS key.
    uint8 internal constant KIND_POP = 0;
    /// @notice Kind: one message on the direct path.
    uint8 internal constant KIND_MESSAGE = 1;
    /// @notice Kind: a checkpoint (list root over message ids).
    uint8 internal constant KIND_CHECKPOINT = 2;
    /// @notice Kind: a validator set rotation pushed to a remote chain.
    uint8 internal constant KIND_VALIDATOR_SET = 3;

    /// @notice The message is shorter than its header.
    error MessageTooShort(uint256 length);
    /// @notice The version byte is not VERSION.
    error UnsupportedVersion(uint8 version);

    /// @notice Decoded header fields.
    struct Header {
        uint32 nonce;
        uint32 origin;
        bytes32 sender;
        uint32 destination;
        bytes32 recipient;
    }

    /// @notice Encode a message.
    function encode(
        uint32 nonce,
        uint32 origin,
        bytes32 sender,
        uint32 destination,
        bytes32 recipient,
        bytes memory payload
    ) internal pure returns (bytes memory) {
        return abi.encodePacked(VERSION, nonce, origin, sender, destination, recipient, payload);
    }

    /// @notice Decode the header of a message in calldata (checks length and version).
    function header(bytes calldata message) internal pure returns (Header memory h) {
        if (message.length < HEADER_SIZE) revert MessageTooShort(message.length);
        if (uint8(message[0]) != VERSION) revert UnsupportedVersion(uint8(message[0]));
        h.nonce = uint32(bytes4(message[1:5]));
        h.origin = uint32(bytes4(message[5:9]));
        h.sender = bytes32(message[9:41]);
        h.destination = uint32(bytes4(message[41:45]));
        h.recipient = bytes32(message[45:77]);
    }

    /// @notice The body of a message in calldata.
    function body(bytes calldata message) internal pure returns (bytes calldata) {
        return message[HEADER_SIZE:];
    }

    /// @notice A domain-separated digest for the validators to sign.
    function digest(uint8 kind, uint32 originChainId, bytes32 originContract, bytes32 payloadHash)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encodePacked(DOMAIN_TAG, kind, originChainId, originContract, payloadHash));
    }

    /// @notice An address as a bytes32 (left-padded with zeros).
    function toBytes32(address a) internal pure returns (bytes32) {
        return bytes32(uint256(uint160(a)));
    }

    /// @notice The address in the low 20 bytes of a bytes32.
    function toAddress(bytes32 b) internal pure returns (address) {
        return address(uint160(uint256(b)));
    }
}
