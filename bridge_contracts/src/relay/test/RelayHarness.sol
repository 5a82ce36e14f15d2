// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MerkleLib} from "../../MerkleLib.sol";
import {BN254} from "../BN254.sol";
import {RelayMessage} from "../RelayMessage.sol";

/// @title RelayHarness
/// @notice Test-only: exposes the relay libraries so the Python test vectors can be checked on chain.
contract RelayHarness {
    /// @notice BN254.hashToG1 with its counter.
    function hashToG1(bytes calldata message) external view returns (uint256[2] memory pt, uint256 ctr) {
        return BN254.hashToG1(message);
    }

    /// @notice Gas used by hashToG1 (for the spec's cost table).
    function hashToG1Gas(bytes calldata message) external view returns (uint256 used) {
        uint256 g = gasleft();
        BN254.hashToG1(message);
        used = g - gasleft();
    }

    /// @notice keccak of a message.
    function messageId(bytes calldata message) external pure returns (bytes32) {
        return keccak256(message);
    }

    /// @notice RelayMessage.encode.
    function encodeMessage(uint32 nonce, uint32 origin, bytes32 sender, uint32 destination, bytes32 recipient, bytes calldata body)
        external
        pure
        returns (bytes memory)
    {
        return RelayMessage.encode(nonce, origin, sender, destination, recipient, body);
    }

    /// @notice RelayMessage.header.
    function decodeHeader(bytes calldata message) external pure returns (RelayMessage.Header memory) {
        return RelayMessage.header(message);
    }

    /// @notice RelayMessage.digest.
    function digest(uint8 kind, uint32 originChainId, bytes32 originContract, bytes32 payloadHash)
        external
        pure
        returns (bytes32)
    {
        return RelayMessage.digest(kind, originChainId, originContract, payloadHash);
    }

    /// @notice BN254.verifyBound.
    function verify(bytes32 digest_, uint256[2] calldata sig, uint256[2] calldata apk1, uint256[4] calldata apk2)
        external
        view
        returns (bool)
    {
        return BN254.verifyBound(digest_, sig, apk1, apk2);
    }

    /// @notice Gas used by BN254.verifyBound.
    function verifyGas(bytes32 digest_, uint256[2] calldata sig, uint256[2] calldata apk1, uint256[4] calldata apk2)
        external
        view
        returns (uint256 used)
    {
        uint256 g = gasleft();
        BN254.verifyBound(digest_, sig, apk1, apk2);
        used = g - gasleft();
    }

    /// @notice The checkpoint check of Mailbox.processWithProof, as a pure function.
    function checkpointIncludes(bytes32 root, uint256 count, bytes32 id, uint256 index, bytes32[] calldata proof)
        external
        pure
        returns (bool)
    {
        if (index >= count) return false;
        bytes32 leaf = keccak256(abi.encodePacked(keccak256(abi.encodePacked(id))));
        return MerkleLib.listRoot(MerkleLib.computeRootCalldata(leaf, index, proof), count) == root;
    }
}
