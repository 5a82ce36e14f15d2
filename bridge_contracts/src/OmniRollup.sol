// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable2Step, Ownable} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IOmniRollup} from "./interfaces/IOmniRollup.sol";

/// @title OmniRollup
/// @notice The OmniTensor L2's settlement contract on the L1: the batch inbox (calldata and
///         EIP-4844 blob batches, chained by hash) and the output oracle (output roots proposed
///         by the proposer, final after the finalization period unless the challenger deletes
///         them first). Formats: docs/spec.md §5.
/// @dev Batches cover contiguous L2 block ranges starting at block 1 (block 0 is the genesis,
///      defined by configuration). The batch hash chains every batch to the one before it:
///      batchHash = keccak256(abi.encode(prevHash, index, firstL2Block, lastL2Block, dataHash,
///      kind)) with kind 0 for calldata (dataHash = keccak256(data)) and 1 for blobs
///      (dataHash = keccak256(abi.encodePacked(versionedHashes))). Batch 0 has prevHash 0.
contract OmniRollup is IOmniRollup, Ownable2Step {
    /// @notice Role tag of the batcher (posts batches).
    bytes32 public constant BATCHER_ROLE = keccak256("BATCHER_ROLE");
    /// @notice Role tag of the proposer (posts output roots).
    bytes32 public constant PROPOSER_ROLE = keccak256("PROPOSER_ROLE");
    /// @notice Role tag of the challenger (deletes outputs that are not final yet).
    bytes32 public constant CHALLENGER_ROLE = keccak256("CHALLENGER_ROLE");

    /// @notice Batch kind mixed into the batch hash: data posted as calldata.
    uint256 public constant KIND_CALLDATA = 0;
    /// @notice Batch kind mixed into the batch hash: data posted as EIP-4844 blobs.
    uint256 public constant KIND_BLOB = 1;

    /// @inheritdoc IOmniRollup
    uint256 public immutable finalizationPeriodSeconds;

    /// @notice The address allowed to post batches.
    address public batcher;
    /// @notice The address allowed to propose outputs.
    address public proposer;
    /// @notice The address allowed to delete outputs that are not final.
    address public challenger;

    /// @dev Batch count and highest batched L2 block, packed in one slot (one write per batch).
    struct BatchCursor {
        uint64 count;
        uint64 lastL2Block;
    }

    BatchCursor private _cursor;
    mapping(uint256 index => bytes32) private _batchHashes;
    OutputProposal[] private _outputs;

    /// @notice The caller lacks `role`.
    error Unauthorized(bytes32 role, address caller);
    /// @notice A zero address was given for a role.
    error ZeroAddress();
    /// @notice The batch names `givenPrev` as its predecessor; the latest batch is `expectedPrev`.
    error BatchNotChained(bytes32 expectedPrev, bytes32 givenPrev);
    /// @notice The batch's L2 block range does not start right after the last batched block
    ///         (`expectedFirst`) or is empty.
    error BatchRangeInvalid(uint256 expectedFirst, uint256 firstL2Block, uint256 lastL2Block);
    /// @notice A calldata batch without data.
    error EmptyBatch();
    /// @notice A blob batch sent in a transaction that carries no blobs.
    error NoBlobs();
    /// @notice The output's L2 block is beyond the last batched block.
    error L2BlockNotBatched(uint256 l2BlockNumber, uint256 lastBatchedL2Block);
    /// @notice The output's L2 block is not above the previous output's.
    error OutputNotAfterPrevious(uint256 l2BlockNumber, uint256 previousL2BlockNumber);
    /// @notice An output root of zero.
    error ZeroOutputRoot();
    /// @notice No batch at that index.
    error InvalidBatchIndex(uint256 index);
    /// @notice No output at that index.
    error InvalidOutputIndex(uint256 outputIndex);
    /// @notice There are no outputs yet.
    error NoOutputs();
    /// @notice The output is final and can no longer be deleted.
    error OutputAlreadyFinalized(uint256 outputIndex, uint256 finalizedAt);

    /// @notice A batch was appended to the chain of batches.
    /// @param index Position of the batch (0 for the first).
    /// @param batchHash The batch's hash (see the contract's dev notes).
    /// @param prevHash The previous batch's hash (0 for the first batch).
    /// @param firstL2Block First L2 block in the batch.
    /// @param lastL2Block Last L2 block in the batch.
    /// @param dataHash keccak of the calldata, or of the blobs' versioned hashes.
    /// @param isBlob True for a blob batch.
    event BatchAppended(
        uint256 indexed index,
        bytes32 indexed batchHash,
        bytes32 prevHash,
        uint256 firstL2Block,
        uint256 lastL2Block,
        bytes32 dataHash,
        bool isBlob
    );

    /// @notice An output root was proposed.
    /// @param outputIndex Its index.
    /// @param outputRoot The output root.
    /// @param l2BlockNumber The L2 block it describes.
    /// @param l1Timestamp The L1 time of the proposal.
    event OutputProposed(
        uint256 indexed outputIndex,
        bytes32 indexed outputRoot,
        uint256 indexed l2BlockNumber,
        uint256 l1Timestamp
    );

    /// @notice Outputs from `fromIndex` on were deleted by the challenger.
    /// @param fromIndex First deleted index.
    /// @param previousCount Number of outputs before the deletion.
    event OutputsDeleted(uint256 indexed fromIndex, uint256 previousCount);

    /// @notice A role changed hands.
    /// @param role The role tag.
    /// @param previous The previous holder.
    /// @param account The new holder.
    event RoleTransferred(bytes32 indexed role, address indexed previous, address indexed account);

    /// @param initialOwner Owner: can reassign the roles.
    /// @param batcher_ The batcher.
    /// @param proposer_ The proposer.
    /// @param challenger_ The challenger.
    /// @param finalizationPeriod Seconds before an output is final (7 days in production).
    constructor(
        address initialOwner,
        address batcher_,
        address proposer_,
        address challenger_,
        uint256 finalizationPeriod
    ) Ownable(initialOwner) {
        finalizationPeriodSeconds = finalizationPeriod;
        _setRole(BATCHER_ROLE, batcher_);
        _setRole(PROPOSER_ROLE, proposer_);
        _setRole(CHALLENGER_ROLE, challenger_);
    }

    modifier onlyRole(bytes32 role, address holder) {
        if (msg.sender != holder) revert Unauthorized(role, msg.sender);
        _;
    }

    // ------------------------------------------------------------------ batches

    /// @notice Append a batch whose data is this call's `data` (calldata batch).
    /// @param prevHash The hash of the latest batch (0 before the first); guards against races.
    /// @param firstL2Block First L2 block in the batch: lastBatchedL2Block + 1.
    /// @param lastL2Block Last L2 block in the batch (>= firstL2Block).
    /// @param data The encoded batch (format: docs/spec.md, batches).
    /// @return newBatchHash The new batch's hash.
    function appendBatch(bytes32 prevHash, uint256 firstL2Block, uint256 lastL2Block, bytes calldata data)
        external
        onlyRole(BATCHER_ROLE, batcher)
        returns (bytes32 newBatchHash)
    {
        if (data.length == 0) revert EmptyBatch();
        return _append(prevHash, firstL2Block, lastL2Block, keccak256(data), KIND_CALLDATA);
    }

    /// @notice Append a batch whose data are the blobs of this (type-3) transaction.
    /// @dev The versioned hashes are read with `blobhash(i)` until it returns 0.
    /// @param prevHash The hash of the latest batch (0 before the first).
    /// @param firstL2Block First L2 block in the batch: lastBatchedL2Block + 1.
    /// @param lastL2Block Last L2 block in the batch (>= firstL2Block).
    /// @return newBatchHash The new batch's hash.
    function appendBlobBatch(bytes32 prevHash, uint256 firstL2Block, uint256 lastL2Block)
        external
        onlyRole(BATCHER_ROLE, batcher)
        returns (bytes32 newBatchHash)
    {
        bytes32 dataHash;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            let n := 0
            for {} 1 { n := add(n, 1) } {
                let h := blobhash(n)
                if iszero(h) { break }
                mstore(add(ptr, mul(n, 0x20)), h)
            }
            if n { dataHash := keccak256(ptr, mul(n, 0x20)) }
        }
        if (dataHash == bytes32(0)) revert NoBlobs();
        return _append(prevHash, firstL2Block, lastL2Block, dataHash, KIND_BLOB);
    }

    function _append(bytes32 prevHash, uint256 firstL2Block, uint256 lastL2Block, bytes32 dataHash, uint256 kind)
        private
        returns (bytes32 newBatchHash)
    {
        BatchCursor memory cursor = _cursor;
        uint256 index = cursor.count;
        bytes32 expectedPrev = index == 0 ? bytes32(0) : _batchHashes[index - 1];
        if (prevHash != expectedPrev) revert BatchNotChained(expectedPrev, prevHash);
        uint256 expectedFirst = uint256(cursor.lastL2Block) + 1;
        if (firstL2Block != expectedFirst || lastL2Block < firstL2Block || lastL2Block > type(uint64).max) {
            revert BatchRangeInvalid(expectedFirst, firstL2Block, lastL2Block);
        }
        newBatchHash = keccak256(abi.encode(prevHash, index, firstL2Block, lastL2Block, dataHash, kind));
        _batchHashes[index] = newBatchHash;
        _cursor = BatchCursor(uint64(index + 1), uint64(lastL2Block));
        emit BatchAppended(index, newBatchHash, prevHash, firstL2Block, lastL2Block, dataHash, kind == KIND_BLOB);
    }

    /// @notice Number of batches posted.
    function batchCount() external view returns (uint256) {
        return _cursor.count;
    }

    /// @notice Highest L2 block covered by a posted batch (0: only the genesis).
    function lastBatchedL2Block() public view returns (uint256) {
        return _cursor.lastL2Block;
    }

    /// @notice Hash of batch `index`; reverts InvalidBatchIndex if there is no such batch.
    /// @param index The batch index.
    function batchHash(uint256 index) external view returns (bytes32) {
        if (index >= _cursor.count) revert InvalidBatchIndex(index);
        return _batchHashes[index];
    }

    /// @notice Hash of the latest batch (0 if none): the `prevHash` of the next batch.
    function latestBatchHash() external view returns (bytes32) {
        uint256 n = _cursor.count;
        return n == 0 ? bytes32(0) : _batchHashes[n - 1];
    }

    // ------------------------------------------------------------------ outputs

    /// @notice Propose the output root of L2 block `l2BlockNumber`.
    /// @dev The block must be batched, and above the previous output's block.
    /// @param outputRoot keccak(u256(0) ++ stateRoot ++ withdrawalRoot ++ l2BlockHash).
    /// @param l2BlockNumber The L2 block.
    /// @return outputIndex Index of the new output.
    function proposeOutput(bytes32 outputRoot, uint256 l2BlockNumber)
        external
        onlyRole(PROPOSER_ROLE, proposer)
        returns (uint256 outputIndex)
    {
        if (outputRoot == bytes32(0)) revert ZeroOutputRoot();
        uint256 lastBatched = _cursor.lastL2Block;
        if (l2BlockNumber > lastBatched) revert L2BlockNotBatched(l2BlockNumber, lastBatched);
        outputIndex = _outputs.length;
        if (outputIndex != 0) {
            uint256 previous = _outputs[outputIndex - 1].l2BlockNumber;
            if (l2BlockNumber <= previous) revert OutputNotAfterPrevious(l2BlockNumber, previous);
        }
        _outputs.push(OutputProposal(outputRoot, uint64(l2BlockNumber), uint64(block.timestamp)));
        emit OutputProposed(outputIndex, outputRoot, l2BlockNumber, block.timestamp);
    }

    /// @notice Delete output `fromIndex` and every output after it (challenger only, and only
    ///         while output `fromIndex` is not final).
    /// @param fromIndex First output to delete.
    function deleteOutputs(uint256 fromIndex) external onlyRole(CHALLENGER_ROLE, challenger) {
        uint256 count = _outputs.length;
        if (fromIndex >= count) revert InvalidOutputIndex(fromIndex);
        uint256 finalizedAt = finalizesAt(fromIndex);
        if (block.timestamp >= finalizedAt) revert OutputAlreadyFinalized(fromIndex, finalizedAt);
        OutputProposal[] storage outputs = _outputs;
        assembly ("memory-safe") {
            sstore(outputs.slot, fromIndex)
        }
        emit OutputsDeleted(fromIndex, count);
    }

    /// @inheritdoc IOmniRollup
    function outputCount() external view returns (uint256) {
        return _outputs.length;
    }

    /// @notice Index of the latest output; reverts NoOutputs if there is none.
    function latestOutputIndex() external view returns (uint256) {
        uint256 n = _outputs.length;
        if (n == 0) revert NoOutputs();
        return n - 1;
    }

    /// @notice L2 block of the latest output (0 if none).
    function latestOutputL2Block() external view returns (uint256) {
        uint256 n = _outputs.length;
        return n == 0 ? 0 : _outputs[n - 1].l2BlockNumber;
    }

    /// @inheritdoc IOmniRollup
    function getOutput(uint256 outputIndex) public view returns (OutputProposal memory) {
        if (outputIndex >= _outputs.length) revert InvalidOutputIndex(outputIndex);
        return _outputs[outputIndex];
    }

    /// @notice L1 time from which output `outputIndex` is final.
    /// @param outputIndex The output.
    function finalizesAt(uint256 outputIndex) public view returns (uint256) {
        return getOutput(outputIndex).l1Timestamp + finalizationPeriodSeconds;
    }

    /// @inheritdoc IOmniRollup
    function isOutputFinalized(uint256 outputIndex) external view returns (bool) {
        return block.timestamp >= finalizesAt(outputIndex);
    }

    // ------------------------------------------------------------------ roles

    /// @notice Replace the batcher (owner only).
    /// @param account The new batcher.
    function setBatcher(address account) external onlyOwner {
        _setRole(BATCHER_ROLE, account);
    }

    /// @notice Replace the proposer (owner only).
    /// @param account The new proposer.
    function setProposer(address account) external onlyOwner {
        _setRole(PROPOSER_ROLE, account);
    }

    /// @notice Replace the challenger (owner only).
    /// @param account The new challenger.
    function setChallenger(address account) external onlyOwner {
        _setRole(CHALLENGER_ROLE, account);
    }

    function _setRole(bytes32 role, address account) private {
        if (account == address(0)) revert ZeroAddress();
        address previous;
        if (role == BATCHER_ROLE) {
            (previous, batcher) = (batcher, account);
        } else if (role == PROPOSER_ROLE) {
            (previous, proposer) = (proposer, account);
        } else {
            (previous, challenger) = (challenger, account);
        }
        emit RoleTransferred(role, previous, account);
    }
}
