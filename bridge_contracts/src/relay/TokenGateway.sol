// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IMessageRecipient} from "./IMessageRecipient.sol";
import {Mailbox} from "./Mailbox.sol";
import {RelayMessage} from "./RelayMessage.sol";

/// @title TokenGateway
/// @notice The common part of the OMNIT token route (docs/spec.md §7 section 6): registered peer
///         gateways per remote chain, token-bucket rate limits per route and direction, and a
///         guardian pause per route that expires by itself. Subclasses decide how tokens leave and
///         arrive (lock/release on the L1, burn/mint on a remote chain).
/// @dev Transfer body: recipient bytes32 | amount u256 (64 bytes).
abstract contract TokenGateway is IMessageRecipient {
    /// @notice Direction of a rate limit: tokens leaving this chain.
    uint8 public constant OUTBOUND = 0;
    /// @notice Direction of a rate limit: tokens arriving on this chain.
    uint8 public constant INBOUND = 1;
    /// @notice Longest pause the guardian can set in one call.
    uint64 public constant MAX_PAUSE = 7 days;
    /// @notice Bytes of a transfer body.
    uint256 internal constant BODY_SIZE = 64;

    /// @notice A token bucket: up to `capacity` tokens, refilled at `ratePerSecond`.
    struct Bucket {
        uint128 capacity;
        uint128 ratePerSecond;
        uint128 available;
        uint64 updatedAt;
    }

    /// @notice The mailbox this gateway sends and receives through.
    Mailbox public immutable mailbox;
    /// @notice Configures peers and limits; may lift pauses.
    address public owner;
    /// @notice May pause a route for at most MAX_PAUSE at a time.
    address public guardian;
    /// @notice The peer gateway on each remote chain (0 = route closed).
    mapping(uint32 chain => bytes32 gateway) public remoteGateway;
    /// @notice Rate limit per route and direction.
    mapping(uint32 chain => mapping(uint8 direction => Bucket)) public buckets;
    /// @notice A route is paused until this time.
    mapping(uint32 chain => uint64 until) public pausedUntil;

    /// @notice Tokens left this chain.
    event TransferSent(bytes32 indexed messageId, uint32 indexed destination, address indexed from, bytes32 recipient, uint256 amount);
    /// @notice Tokens arrived on this chain.
    event TransferReceived(uint32 indexed origin, address indexed recipient, uint256 amount);
    /// @notice A peer gateway was registered.
    event RemoteGatewaySet(uint32 indexed chain, bytes32 gateway);
    /// @notice A rate limit was configured (the bucket starts full).
    event RateLimitSet(uint32 indexed chain, uint8 indexed direction, uint128 capacity, uint128 ratePerSecond);
    /// @notice A route was paused (or unpaused with until = 0).
    event RoutePaused(uint32 indexed chain, uint64 until, address by);
    /// @notice The guardian changed.
    event GuardianSet(address guardian);
    /// @notice Ownership moved.
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    /// @notice Caller lacks the role.
    error Unauthorized(address caller);
    /// @notice The message does not come from the registered peer gateway of its origin.
    error UnregisteredGateway(uint32 origin, bytes32 sender);
    /// @notice No peer gateway for the destination.
    error UnknownRoute(uint32 chain);
    /// @notice The route is paused until `until`.
    error RoutePausedError(uint32 chain, uint64 until);
    /// @notice The amount exceeds what the bucket holds now.
    error RateLimited(uint32 chain, uint8 direction, uint256 amount, uint256 available);
    /// @notice Pause longer than MAX_PAUSE.
    error PauseTooLong(uint64 duration);
    /// @notice Zero amount, or a recipient that is zero or not an EVM address.
    error InvalidTransfer();
    /// @notice The body is not 64 bytes.
    error BadBody(uint256 length);

    modifier onlyOwner() {
        if (msg.sender != owner) revert Unauthorized(msg.sender);
        _;
    }

    constructor(Mailbox mailbox_, address owner_, address guardian_) {
        mailbox = mailbox_;
        owner = owner_;
        guardian = guardian_;
        emit OwnershipTransferred(address(0), owner_);
        emit GuardianSet(guardian_);
    }

    // ------------------------------------------------------------------ admin

    /// @notice Register the peer gateway on `chain` (zero closes the route).
    function setRemoteGateway(uint32 chain, bytes32 gateway) external onlyOwner {
        remoteGateway[chain] = gateway;
        emit RemoteGatewaySet(chain, gateway);
    }

    /// @notice Configure a route's rate limit; the bucket starts full.
    function setRateLimit(uint32 chain, uint8 direction, uint128 capacity, uint128 ratePerSecond) external onlyOwner {
        buckets[chain][direction] = Bucket(capacity, ratePerSecond, capacity, uint64(block.timestamp));
        emit RateLimitSet(chain, direction, capacity, ratePerSecond);
    }

    /// @notice Set the guardian.
    function setGuardian(address guardian_) external onlyOwner {
        guardian = guardian_;
        emit GuardianSet(guardian_);
    }

    /// @notice Move ownership.
    function transferOwnership(address newOwner) external onlyOwner {
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }

    /// @notice Guardian or owner: pause a route for `duration` seconds (at most MAX_PAUSE); it
    ///         resumes by itself afterwards. Inbound messages revert while paused and can be retried.
    function pause(uint32 chain, uint64 duration) external {
        if (msg.sender != guardian && msg.sender != owner) revert Unauthorized(msg.sender);
        if (duration > MAX_PAUSE) revert PauseTooLong(duration);
        uint64 until = uint64(block.timestamp) + duration;
        pausedUntil[chain] = until;
        emit RoutePaused(chain, until, msg.sender);
    }

    /// @notice Owner: lift a pause early.
    function unpause(uint32 chain) external onlyOwner {
        pausedUntil[chain] = 0;
        emit RoutePaused(chain, 0, msg.sender);
    }

    /// @notice Tokens the bucket of a route and direction holds now.
    function available(uint32 chain, uint8 direction) public view returns (uint256) {
        Bucket memory b = buckets[chain][direction];
        uint256 refill = (block.timestamp - b.updatedAt) * uint256(b.ratePerSecond);
        uint256 amount = uint256(b.available) + refill;
        return amount > b.capacity ? b.capacity : amount;
    }

    // ------------------------------------------------------------------ transfers

    /// @notice Send `amount` to `recipient` on chain `destination`.
    /// @return id The message id.
    function bridge(uint32 destination, bytes32 recipient, uint256 amount) external returns (bytes32 id) {
        // recipients are EVM addresses: a word with high bits set would be truncated on arrival
        if (amount == 0 || recipient == bytes32(0) || uint256(recipient) >> 160 != 0) revert InvalidTransfer();
        bytes32 peer = remoteGateway[destination];
        if (peer == bytes32(0)) revert UnknownRoute(destination);
        _checkNotPaused(destination);
        _consume(destination, OUTBOUND, amount);
        _take(msg.sender, amount);
        id = mailbox.dispatch(destination, peer, abi.encodePacked(recipient, amount));
        emit TransferSent(id, destination, msg.sender, recipient, amount);
    }

    /// @inheritdoc IMessageRecipient
    function handle(uint32 origin, bytes32 sender, bytes calldata body) external {
        if (msg.sender != address(mailbox)) revert Unauthorized(msg.sender);
        bytes32 peer = remoteGateway[origin];
        if (peer == bytes32(0) || sender != peer) revert UnregisteredGateway(origin, sender);
        if (body.length != BODY_SIZE) revert BadBody(body.length);
        _checkNotPaused(origin);
        address recipient = RelayMessage.toAddress(bytes32(body[0:32]));
        uint256 amount = uint256(bytes32(body[32:64]));
        _consume(origin, INBOUND, amount);
        _give(recipient, amount);
        emit TransferReceived(origin, recipient, amount);
    }

    function _checkNotPaused(uint32 chain) internal view {
        uint64 until = pausedUntil[chain];
        if (block.timestamp < until) revert RoutePausedError(chain, until);
    }

    function _consume(uint32 chain, uint8 direction, uint256 amount) internal {
        uint256 now_ = available(chain, direction);
        if (amount > now_) revert RateLimited(chain, direction, amount, now_);
        Bucket storage b = buckets[chain][direction];
        b.available = uint128(now_ - amount);
        b.updatedAt = uint64(block.timestamp);
    }

    /// @dev Take `amount` from `from` (lock or burn).
    function _take(address from, uint256 amount) internal virtual;

    /// @dev Give `amount` to `to` (release or mint).
    function _give(address to, uint256 amount) internal virtual;
}
