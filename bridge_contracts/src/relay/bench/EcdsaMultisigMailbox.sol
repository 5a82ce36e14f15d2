// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IMessageRecipient} from "../IMessageRecipient.sol";
import {RelayMessage} from "../RelayMessage.sol";

/// @title EcdsaMultisigMailbox
/// @notice Gas baseline only (not deployed in production): the same inbound message path as
///         `Mailbox.process`, secured by a plain N-of-M ECDSA check instead of BLS. The validator
///         addresses are passed in calldata and checked against a stored hash; signatures are
///         65-byte (r, s, v) in the order of a signer bitmap, recovered with ecrecover.
contract EcdsaMultisigMailbox {
    /// @notice This chain's id.
    uint32 public immutable localDomain;
    /// @notice keccak(abi.encodePacked(validators)).
    bytes32 public immutable validatorsHash;
    /// @notice Signatures required.
    uint256 public immutable threshold;
    /// @notice The mailbox of each origin chain.
    mapping(uint32 origin => bytes32 mailbox) public remoteMailbox;
    /// @notice Delivered bits per origin.
    mapping(uint32 origin => mapping(uint256 word => uint256 bits)) internal _delivered;
    /// @notice Configures origin mailboxes.
    address public immutable owner;

    /// @notice A message was delivered.
    event Process(bytes32 indexed id, uint32 indexed origin, uint32 nonce);
    /// @notice An origin mailbox was registered.
    event RemoteMailboxSet(uint32 indexed origin, bytes32 mailbox);

    /// @notice Caller is not the owner.
    error NotOwner(address caller);
    /// @notice Zero threshold, empty set or threshold above the set size.
    error BadThreshold(uint256 threshold, uint256 count);
    /// @notice The validator list does not match the stored hash.
    error WrongValidatorSet();
    /// @notice The message names another destination chain.
    error WrongDestination(uint32 expected, uint32 destination);
    /// @notice No mailbox registered for the origin.
    error UnknownOrigin(uint32 origin);
    /// @notice Already delivered.
    error AlreadyDelivered(uint32 origin, uint32 nonce);
    /// @notice A signature does not recover to its validator.
    error BadSignature(uint256 index);
    /// @notice Fewer signatures than the threshold, or a malformed signature list.
    error NotEnoughSignatures(uint256 count, uint256 threshold);

    constructor(address[] memory validators, uint256 threshold_, address owner_) {
        if (threshold_ == 0 || threshold_ > validators.length) revert BadThreshold(threshold_, validators.length);
        localDomain = uint32(block.chainid);
        validatorsHash = keccak256(abi.encodePacked(validators));
        threshold = threshold_;
        owner = owner_;
    }

    /// @notice Register the mailbox of an origin chain.
    function setRemoteMailbox(uint32 origin, bytes32 mailbox) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        remoteMailbox[origin] = mailbox;
        emit RemoteMailboxSet(origin, mailbox);
    }

    /// @notice Deliver a message signed by `threshold` validators over its MESSAGE digest.
    function process(bytes calldata message, address[] calldata validators, uint256 signers, bytes calldata signatures)
        external
    {
        RelayMessage.Header memory h = RelayMessage.header(message);
        if (h.destination != localDomain) revert WrongDestination(localDomain, h.destination);
        bytes32 originMailbox = remoteMailbox[h.origin];
        if (originMailbox == bytes32(0)) revert UnknownOrigin(h.origin);
        if (keccak256(abi.encodePacked(validators)) != validatorsHash) revert WrongValidatorSet();
        bytes32 id = keccak256(message);
        bytes32 digest = RelayMessage.digest(RelayMessage.KIND_MESSAGE, h.origin, originMailbox, id);
        uint256 count;
        for (uint256 i = 0; i < validators.length; ++i) {
            if ((signers >> i) & 1 == 0) continue;
            uint256 off = count * 65;
            if (signatures.length < off + 65) revert NotEnoughSignatures(count, threshold);
            bytes32 r = bytes32(signatures[off:off + 32]);
            bytes32 s = bytes32(signatures[off + 32:off + 64]);
            uint8 v = uint8(signatures[off + 64]);
            if (uint256(s) > 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0) revert BadSignature(i);
            address signer = ecrecover(digest, v, r, s);
            if (signer == address(0) || signer != validators[i]) revert BadSignature(i);
            ++count;
        }
        if (count < threshold || signatures.length != count * 65) revert NotEnoughSignatures(count, threshold);
        uint256 word = h.nonce >> 8;
        uint256 bit = uint256(1) << (h.nonce & 0xff);
        uint256 bits = _delivered[h.origin][word];
        if (bits & bit != 0) revert AlreadyDelivered(h.origin, h.nonce);
        _delivered[h.origin][word] = bits | bit;
        emit Process(id, h.origin, h.nonce);
        IMessageRecipient(RelayMessage.toAddress(h.recipient)).handle(h.origin, h.sender, RelayMessage.body(message));
    }
}
