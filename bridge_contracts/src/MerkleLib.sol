// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title MerkleLib
/// @notice Verification of binary keccak Merkle proofs under the OmniTensor tree rules
///         (docs/spec.md section 1): leaf(data) = keccak(keccak(data)), node(l, r) = keccak(l ++ r),
///         positional (no sorting), proofs are sibling hashes from the bottom up.
/// @dev All functions are internal so they are inlined into the calling contract (no linking).
library MerkleLib {
    /// @notice Depth of the fixed-depth trees (state tree, withdrawal tree).
    uint256 internal constant FIXED_DEPTH = 32;

    /// @notice The proof's length is not what the tree requires.
    /// @param expected Required number of siblings.
    /// @param actual Number of siblings given.
    error ProofLengthMismatch(uint256 expected, uint256 actual);

    /// @notice The leaf index does not fit in a tree of the proof's depth.
    /// @param index The leaf index.
    /// @param depth The proof's depth.
    error IndexOutOfRange(uint256 index, uint256 depth);

    /// @notice The leaf hash of `data`: keccak(keccak(data)).
    /// @param data The leaf's preimage bytes.
    /// @return The leaf hash.
    function leafHash(bytes memory data) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(keccak256(data)));
    }

    /// @notice The inner node over two children: keccak(left ++ right).
    /// @param left Left child.
    /// @param right Right child.
    /// @return h The parent hash.
    function node(bytes32 left, bytes32 right) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0x00, left)
            mstore(0x20, right)
            h := keccak256(0x00, 0x40)
        }
    }

    /// @notice Fold a proof: the root of the tree in which `leaf` sits at `index`.
    /// @dev The depth is proof.length; bit i of `index` set means the running hash is the right
    ///      child at level i. Bits of `index` above the depth must be zero.
    /// @param leaf The leaf hash (already hashed twice, see `leafHash`).
    /// @param index The leaf's position.
    /// @param proof Sibling hashes from the leaf level up.
    /// @return h The computed root.
    function computeRoot(bytes32 leaf, uint256 index, bytes32[] memory proof)
        internal
        pure
        returns (bytes32 h)
    {
        uint256 depth = proof.length;
        if (depth < 256 && index >> depth != 0) revert IndexOutOfRange(index, depth);
        h = leaf;
        for (uint256 i = 0; i < depth; ++i) {
            h = (index >> i) & 1 == 1 ? node(proof[i], h) : node(h, proof[i]);
        }
    }

    /// @notice Calldata variant of `computeRoot` (no copy of the proof to memory).
    /// @param leaf The leaf hash.
    /// @param index The leaf's position.
    /// @param proof Sibling hashes from the leaf level up.
    /// @return h The computed root.
    function computeRootCalldata(bytes32 leaf, uint256 index, bytes32[] calldata proof)
        internal
        pure
        returns (bytes32 h)
    {
        uint256 depth = proof.length;
        if (depth < 256 && index >> depth != 0) revert IndexOutOfRange(index, depth);
        h = leaf;
        for (uint256 i = 0; i < depth; ++i) {
            h = (index >> i) & 1 == 1 ? node(proof[i], h) : node(h, proof[i]);
        }
    }

    /// @notice Whether `proof` shows `leaf` at `index` in the tree with root `root`
    ///         (any depth: depth = proof.length).
    /// @param root The expected root.
    /// @param leaf The leaf hash.
    /// @param index The leaf's position (must be below 2**proof.length).
    /// @param proof Sibling hashes from the leaf level up.
    /// @return True if the proof folds to `root`.
    function verify(bytes32 root, bytes32 leaf, uint256 index, bytes32[] memory proof)
        internal
        pure
        returns (bool)
    {
        uint256 depth = proof.length;
        if (depth < 256 && index >> depth != 0) return false;
        return computeRoot(leaf, index, proof) == root;
    }

    /// @notice Calldata variant of `verify`.
    /// @param root The expected root.
    /// @param leaf The leaf hash.
    /// @param index The leaf's position (must be below 2**proof.length).
    /// @param proof Sibling hashes from the leaf level up.
    /// @return True if the proof folds to `root`.
    function verifyCalldata(bytes32 root, bytes32 leaf, uint256 index, bytes32[] calldata proof)
        internal
        pure
        returns (bool)
    {
        uint256 depth = proof.length;
        if (depth < 256 && index >> depth != 0) return false;
        return computeRootCalldata(leaf, index, proof) == root;
    }

    /// @notice Whether a fixed-depth (32) proof shows `leaf` at `index` under `root`.
    /// @dev Reverts with ProofLengthMismatch if the proof does not have exactly 32 siblings.
    /// @param root The expected root.
    /// @param leaf The leaf hash.
    /// @param index The leaf's position (below 2**32).
    /// @param proof 32 sibling hashes from the leaf level up.
    /// @return True if the proof folds to `root`.
    function verifyFixed(bytes32 root, bytes32 leaf, uint256 index, bytes32[] calldata proof)
        internal
        pure
        returns (bool)
    {
        if (proof.length != FIXED_DEPTH) revert ProofLengthMismatch(FIXED_DEPTH, proof.length);
        return verifyCalldata(root, leaf, index, proof);
    }

    /// @notice Root of a list tree: keccak(treeRoot ++ u256(length)) (docs/spec.md section 1).
    /// @param treeRoot Root of the padded tree of the list's leaves.
    /// @param length Number of items in the list.
    /// @return The list root.
    function listRoot(bytes32 treeRoot, uint256 length) internal pure returns (bytes32) {
        return node(treeRoot, bytes32(length));
    }
}
