// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MerkleLib} from "../MerkleLib.sol";

/// @title MerkleLibHarness
/// @notice Test-only: exposes MerkleLib's internal functions so Python tests can check them
///         against the prover's trees. Never deployed outside tests.
contract MerkleLibHarness {
    /// @notice MerkleLib.leafHash.
    function leafHash(bytes calldata data) external pure returns (bytes32) {
        return MerkleLib.leafHash(data);
    }

    /// @notice MerkleLib.node.
    function node(bytes32 left, bytes32 right) external pure returns (bytes32) {
        return MerkleLib.node(left, right);
    }

    /// @notice MerkleLib.verify (memory proof, any depth).
    function verify(bytes32 root, bytes32 leaf, uint256 index, bytes32[] memory proof)
        external
        pure
        returns (bool)
    {
        return MerkleLib.verify(root, leaf, index, proof);
    }

    /// @notice MerkleLib.verifyCalldata (any depth).
    function verifyCalldata(bytes32 root, bytes32 leaf, uint256 index, bytes32[] calldata proof)
        external
        pure
        returns (bool)
    {
        return MerkleLib.verifyCalldata(root, leaf, index, proof);
    }

    /// @notice MerkleLib.verifyFixed (depth 32, reverts on another length).
    function verifyFixed(bytes32 root, bytes32 leaf, uint256 index, bytes32[] calldata proof)
        external
        pure
        returns (bool)
    {
        return MerkleLib.verifyFixed(root, leaf, index, proof);
    }

    /// @notice MerkleLib.computeRoot.
    function computeRoot(bytes32 leaf, uint256 index, bytes32[] memory proof) external pure returns (bytes32) {
        return MerkleLib.computeRoot(leaf, index, proof);
    }

    /// @notice MerkleLib.listRoot.
    function listRoot(bytes32 treeRoot, uint256 length) external pure returns (bytes32) {
        return MerkleLib.listRoot(treeRoot, length);
    }
}
