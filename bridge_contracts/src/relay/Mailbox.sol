// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MerkleLib} from "../MerkleLib.sol";
import {IMessageRecipient} from "./IMessageRecipient.sol";
import {RelayMessage} from "./RelayMessage.sol";
import {ValidatorSet} from "./ValidatorSet.sol";

/// @title Mailbox
/// @notice Sends and receives cross-chain messages secured by the OmniTensor validator set
///         (docs/spec.md §7 sections 1, 2 and 4).
/// @dev Outbound: `dispatch` numbers messages 0, 1, 2... and emits them. Inbound, two paths:
///      - direct: `process(message, sig)` with an aggregate signature over the MESSAGE digest;
///      - checkpoint: `submitCheckpoint` verifies one signature over a list root of all message ids
///        of an origin up to a count, then `processWithProof` delivers each message with a Merkle
///        proof only.
///      Each (origin, nonce) is delivered at most once; it is marked before the recipient is called.
contract Mailbox {
    /// @notice This chain's id (the destination every inbound message must name).
    uint32 public immutable localDomain;
    /// @notice The validator set that signs inbound messages.
    ValidatorSet public immutable validatorSet;

    /// @notice Registers origin mailboxes.
    address public owner;
    /// @notice Nonce of the next dispatched message.
    uint32 public nonce;
    /// @notice The mailbox contract on each origin chain (part of every signed digest).
    mapping(uint32 origin => bytes32 mailbox) public remoteMailbox;
    /// @notice Delivered bits: bit (nonce % 256) of word (nonce / 256) per origin.
    mapping(uint32 origin => mapping(uint256 word => uint256 bits)) internal _delivered;
    /// @notice Accepted checkpoints: list root => message count (0 = unknown).
    mapping(uint32 origin => mapping(bytes32 root => uint256 count)) public checkpointCount;

    /// @notice A message was sent.
    event Dispatch(bytes32 indexed id, uint32 indexed nonce, uint32 indexed destination, bytes message);
    /// @notice A message was delivered.
    event Process(bytes32 indexed id, uint32 indexed origin, uint32 nonce);
    /// @notice A checkpoint was verified and stored.
    event CheckpointAccepted(uint32 indexed origin, bytes32 indexed root, uint256 count, uint64 epoch);
    /// @notice An origin mailbox was registered.
    event RemoteMailboxSet(uint32 indexed origin, bytes32 mailbox);
    /// @notice Ownership moved.
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    /// @notice Caller is not the owner.
    error NotOwner(address caller);
    /// @notice The message names another destination chain.
    error WrongDestination(uint32 expected, uint32 destination);
    /// @notice No mailbox is registered for the origin chain.
    error UnknownOrigin(uint32 origin);
    /// @notice The message was already delivered.
    error AlreadyDelivered(uint32 origin, uint32 nonce);
    /// @notice The checkpoint root is not known for the origin.
    error UnknownCheckpoint(uint32 origin, bytes32 root);
    /// @notice The message's nonce is not covered by the checkpoint.
    error NonceNotInCheckpoint(uint32 nonce, uint256 count);
    /// @notice The proof does not have depth_for(count) siblings.
    error BadProofLength(uint256 expected, uint256 actual);
    /// @notice The proof does not fold to the checkpoint root.
    error InvalidProof();
    /// @notice A checkpoint must cover at least one message.
    error EmptyCheckpoint();
    /// @notice The outbound nonce space is exhausted.
    error NonceOverflow();

    /// @param validatorSet_ The validator set of this chain.
    /// @param owner_ The owner (registers origin mailboxes).
    constructor(ValidatorSet validatorSet_, address owner_) {
        localDomain = uint32(block.chainid);
        validatorSet = validatorSet_;
        owner = owner_;
        emit OwnershipTransferred(address(0), owner_);
    }

    /// @notice Register (or replace) the mailbox of an origin chain.
    function setRemoteMailbox(uint32 origin, bytes32 mailbox) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        remoteMailbox[origin] = mailbox;
        emit RemoteMailboxSet(origin, mailbox);
    }

    /// @notice Move ownership.
    function transferOwnership(address newOwner) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }

    // ------------------------------------------------------------------ outbound

    /// @notice Send `body` to `recipient` on chain `destination`.
    /// @return id keccak of the encoded message.
    function dispatch(uint32 destination, bytes32 recipient, bytes calldata body) external returns (bytes32 id) {
        uint32 n = nonce;
        if (n == type(uint32).max) revert NonceOverflow();
        nonce = n + 1;
        bytes memory message =
            RelayMessage.encode(n, localDomain, RelayMessage.toBytes32(msg.sender), destination, recipient, body);
        id = keccak256(message);
        emit Dispatch(id, n, destination, message);
    }

    // ------------------------------------------------------------------ inbound

    /// @notice Whether message `nonce` from `origin` was delivered.
    function delivered(uint32 origin, uint32 nonce_) external view returns (bool) {
        return (_delivered[origin][nonce_ >> 8] >> (nonce_ & 0xff)) & 1 == 1;
    }

    /// @notice Direct path: deliver one message signed by a quorum over its MESSAGE digest.
    function process(bytes calldata message, ValidatorSet.SignatureData calldata sig) external {
        RelayMessage.Header memory h = _checkHeader(message);
        bytes32 id = keccak256(message);
        validatorSet.verify(
            RelayMessage.digest(RelayMessage.KIND_MESSAGE, h.origin, remoteMailbox[h.origin], id), sig
        );
        _deliver(h, id, message);
    }

    /// @notice Verify a quorum signature over a checkpoint of `origin` (list root over the ids of
    ///         its messages 0..count-1) and remember it.
    /// @param origin Origin chain id.
    /// @param treeRoot Root of the padded tree of leaves keccak(keccak(id)).
    /// @param count Number of messages covered.
    /// @param sig Aggregate signature over the CHECKPOINT digest of keccak(treeRoot ++ u256(count)).
    /// @return root The list root (the key for processWithProof).
    function submitCheckpoint(uint32 origin, bytes32 treeRoot, uint256 count, ValidatorSet.SignatureData calldata sig)
        external
        returns (bytes32 root)
    {
        if (count == 0 || count > uint256(type(uint32).max) + 1) revert EmptyCheckpoint();
        bytes32 originMailbox = remoteMailbox[origin];
        if (originMailbox == bytes32(0)) revert UnknownOrigin(origin);
        root = MerkleLib.listRoot(treeRoot, count);
        validatorSet.verify(RelayMessage.digest(RelayMessage.KIND_CHECKPOINT, origin, originMailbox, root), sig);
        checkpointCount[origin][root] = count;
        emit CheckpointAccepted(origin, root, count, sig.epoch);
    }

    /// @notice Checkpoint path: deliver a message covered by an accepted checkpoint.
    /// @param message The encoded message (its nonce is its leaf index).
    /// @param root The checkpoint's list root.
    /// @param proof depth_for(count) sibling hashes, bottom up.
    function processWithProof(bytes calldata message, bytes32 root, bytes32[] calldata proof) external {
        RelayMessage.Header memory h = _checkHeader(message);
        uint256 count = checkpointCount[h.origin][root];
        if (count == 0) revert UnknownCheckpoint(h.origin, root);
        if (h.nonce >= count) revert NonceNotInCheckpoint(h.nonce, count);
        uint256 depth = _depthFor(count);
        if (proof.length != depth) revert BadProofLength(depth, proof.length);
        bytes32 id = keccak256(message);
        bytes32 leaf = keccak256(abi.encodePacked(keccak256(abi.encodePacked(id))));
        bytes32 tree = MerkleLib.computeRootCalldata(leaf, h.nonce, proof);
        if (MerkleLib.listRoot(tree, count) != root) revert InvalidProof();
        _deliver(h, id, message);
    }

    function _checkHeader(bytes calldata message) internal view returns (RelayMessage.Header memory h) {
        h = RelayMessage.header(message);
        if (h.destination != localDomain) revert WrongDestination(localDomain, h.destination);
        if (remoteMailbox[h.origin] == bytes32(0)) revert UnknownOrigin(h.origin);
    }

    /// @dev Effects (delivered bit, event) before the interaction (recipient.handle).
    function _deliver(RelayMessage.Header memory h, bytes32 id, bytes calldata message) internal {
        uint256 word = h.nonce >> 8;
        uint256 bit = uint256(1) << (h.nonce & 0xff);
        uint256 bits = _delivered[h.origin][word];
        if (bits & bit != 0) revert AlreadyDelivered(h.origin, h.nonce);
        _delivered[h.origin][word] = bits | bit;
        emit Process(id, h.origin, h.nonce);
        IMessageRecipient(RelayMessage.toAddress(h.recipient)).handle(h.origin, h.sender, RelayMessage.body(message));
    }

    /// @dev ceil(log2(max(count, 1))): the depth of a list tree of `count` leaves.
    function _depthFor(uint256 count) internal pure returns (uint256 d) {
        uint256 v = count - 1;
        while (v != 0) {
            ++d;
            v >>= 1;
        }
    }
}
