// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BN254} from "./BN254.sol";
import {RelayMessage} from "./RelayMessage.sol";

/// @title ValidatorSet
/// @notice The OmniTensor validator set as one chain sees it: BN254 BLS keys (G1 halves), stake
///         weights, an epoch, a quorum of two thirds of stake, and the previous set kept valid for
///         a grace period after a rotation (docs/spec.md §7 section 5).
/// @dev On the home chain (the L1) the admin rotates to sets of keys registered with a proof of
///      possession. On a remote chain the set is bootstrapped once by the admin and then rotated
///      only by a VALIDATOR_SET digest signed by the current set. Each set is stored as the code of
///      a data contract (write once, read with one EXTCODECOPY):
///      u256 n | u256 totalWeight | apk.x | apk.y | n * (pk.x | pk.y | weight).
contract ValidatorSet {
    /// @notice One validator: its G1 public key and its stake weight.
    struct Validator {
        uint256[2] pk;
        uint256 weight;
    }

    /// @notice An aggregate signature over a digest.
    /// @param epoch The epoch of the set that signed (current, or previous within the grace period).
    /// @param signers Bitmap of signer indices in that set (bit i = validator i).
    /// @param sigma The aggregate signature (G1).
    /// @param apk2 The signers' aggregate public key in G2, EIP-197 order.
    struct SignatureData {
        uint64 epoch;
        uint256 signers;
        uint256[2] sigma;
        uint256[4] apk2;
    }

    /// @notice Largest set: one bitmap word, and the set's data contract under the 24 KiB code limit.
    uint256 public constant MAX_VALIDATORS = 254;
    /// @notice Bytes of the set header (n, totalWeight, apk.x, apk.y).
    uint256 internal constant SET_HEADER = 128;
    /// @notice Bytes per validator in the set data.
    uint256 internal constant ENTRY = 96;

    /// @notice Whether this is the home (L1) registry, where the admin rotates.
    bool public immutable isHome;
    /// @notice Chain id of the home chain (signed into VALIDATOR_SET digests).
    uint32 public immutable homeChainId;
    /// @notice The home ValidatorSet's address as bytes32 (self on the home chain).
    bytes32 public immutable homeContract;
    /// @notice Minimum seconds between two rotations.
    uint64 public immutable minRotationDelay;
    /// @notice Seconds the previous set still signs after a rotation.
    uint64 public immutable gracePeriod;

    /// @notice Home: rotates sets. Remote: bootstraps the first set only.
    address public admin;
    /// @notice Current epoch (0 before the first set).
    uint64 public epoch;
    /// @notice Data contract of the current set.
    address public currentSet;
    /// @notice When the current set was installed.
    uint64 public rotatedAt;
    /// @notice Data contract of the previous set (epoch - 1).
    address public previousSet;
    /// @notice The previous set's signatures are rejected after this time.
    uint64 public previousExpiresAt;
    /// @notice Home: keccak(pk1) of keys whose proof of possession was verified.
    mapping(bytes32 keyHash => bool) public keyRegistered;

    /// @notice A BLS key was registered with a valid proof of possession.
    event KeyRegistered(bytes32 indexed keyHash, uint256[2] pk1, uint256[4] pk2);
    /// @notice A new set was installed.
    event ValidatorSetRotated(uint64 indexed epoch, address data, uint256 count, uint256 totalWeight, bytes32 setHash);
    /// @notice The admin role moved.
    event AdminTransferred(address indexed previousAdmin, address indexed newAdmin);

    /// @notice Caller is not the admin.
    error NotAdmin(address caller);
    /// @notice The operation is for the other kind of registry (home vs remote).
    error WrongRegistryKind();
    /// @notice The set has no validators (or more than MAX_VALIDATORS).
    error InvalidSetSize(uint256 count);
    /// @notice A validator has zero weight.
    error ZeroWeight(uint256 index);
    /// @notice Keys must be strictly increasing by x (this also rejects duplicates).
    error DuplicateOrUnsortedKey(uint256 index);
    /// @notice A key is not a valid, non-zero G1 point.
    error InvalidKey(uint256 index);
    /// @notice Home: a key was not registered with a proof of possession.
    error KeyNotRegistered(uint256 index);
    /// @notice The proof of possession does not verify.
    error InvalidProofOfPossession();
    /// @notice Too early: the minimum delay since the last rotation has not passed.
    error RotationTooSoon(uint64 allowedAt);
    /// @notice The rotation skips or repeats an epoch.
    error WrongEpoch(uint64 expected, uint64 given);
    /// @notice Remote: already bootstrapped.
    error AlreadyInitialized();
    /// @notice The signature names an epoch that is neither current nor previous.
    error UnknownEpoch(uint64 epoch);
    /// @notice The previous set signed after its grace period.
    error PreviousSetExpired(uint64 epoch, uint64 expiredAt);
    /// @notice The bitmap is empty or names validators beyond the set.
    error InvalidSignerBitmap(uint256 signers);
    /// @notice The signers hold less than two thirds of the stake.
    error InsufficientQuorum(uint256 signedWeight, uint256 totalWeight);
    /// @notice The aggregate signature does not verify.
    error InvalidSignature();
    /// @notice The set data contract could not be created.
    error SetWriteFailed();

    modifier onlyAdmin() {
        if (msg.sender != admin) revert NotAdmin(msg.sender);
        _;
    }

    /// @param home True on the L1 (admin rotations over PoP-registered keys).
    /// @param homeChainId_ Chain id of the L1.
    /// @param homeContract_ Remote: the L1 ValidatorSet address. Ignored on the home chain.
    /// @param minRotationDelay_ Minimum seconds between rotations.
    /// @param gracePeriod_ Seconds the previous set stays valid after a rotation.
    /// @param admin_ The admin.
    constructor(
        bool home,
        uint32 homeChainId_,
        address homeContract_,
        uint64 minRotationDelay_,
        uint64 gracePeriod_,
        address admin_
    ) {
        isHome = home;
        homeChainId = homeChainId_;
        homeContract = RelayMessage.toBytes32(home ? address(this) : homeContract_);
        minRotationDelay = minRotationDelay_;
        gracePeriod = gracePeriod_;
        admin = admin_;
        emit AdminTransferred(address(0), admin_);
    }

    /// @notice Move the admin role.
    function transferAdmin(address newAdmin) external onlyAdmin {
        emit AdminTransferred(admin, newAdmin);
        admin = newAdmin;
    }

    // ------------------------------------------------------------------ registration (home)

    /// @notice The digest a proof of possession signs: kind POP, origin 0, keccak(pk1 ++ pk2).
    function popDigest(uint256[2] calldata pk1, uint256[4] calldata pk2) public pure returns (bytes32) {
        return RelayMessage.digest(
            RelayMessage.KIND_POP, 0, bytes32(0), keccak256(abi.encodePacked(pk1[0], pk1[1], pk2[0], pk2[1], pk2[2], pk2[3]))
        );
    }

    /// @notice Register a BLS key pair (G1 and G2 halves) with its proof of possession: the
    ///         key's own signature over `popDigest`, checked together with e(pk1, G2) == e(G1, pk2).
    ///         This stops rogue-key attacks on aggregate keys.
    function registerKey(uint256[2] calldata pk1, uint256[4] calldata pk2, uint256[2] calldata pop) external {
        if (!isHome) revert WrongRegistryKind();
        if (!_onCurve(pk1[0], pk1[1])) revert InvalidKey(0);
        if (!BN254.verifyBound(popDigest(pk1, pk2), pop, pk1, pk2)) revert InvalidProofOfPossession();
        bytes32 h = keccak256(abi.encodePacked(pk1[0], pk1[1]));
        keyRegistered[h] = true;
        emit KeyRegistered(h, pk1, pk2);
    }

    // ------------------------------------------------------------------ rotation

    /// @notice The payload hash a VALIDATOR_SET rotation signs: keccak(abi.encode(epoch, validators)).
    function setUpdateHash(uint64 newEpoch, Validator[] calldata validators) public pure returns (bytes32) {
        return keccak256(abi.encode(newEpoch, validators));
    }

    /// @notice Home: install the next set (keys must be registered; validators sorted by pk.x).
    function rotate(Validator[] calldata validators) external onlyAdmin {
        if (!isHome) revert WrongRegistryKind();
        for (uint256 i = 0; i < validators.length; ++i) {
            if (!keyRegistered[keccak256(abi.encodePacked(validators[i].pk[0], validators[i].pk[1]))]) {
                revert KeyNotRegistered(i);
            }
        }
        _checkDelay();
        _install(epoch + 1, validators);
    }

    /// @notice Remote: install the first set (the one the L1 runs at `firstEpoch`), admin only, once.
    function bootstrap(uint64 firstEpoch, Validator[] calldata validators) external onlyAdmin {
        if (isHome) revert WrongRegistryKind();
        if (epoch != 0) revert AlreadyInitialized();
        if (firstEpoch == 0) revert WrongEpoch(1, 0);
        _install(firstEpoch, validators);
    }

    /// @notice Remote: install set `newEpoch` (= epoch + 1), signed by the current set over the
    ///         digest (VALIDATOR_SET, homeChainId, homeContract, setUpdateHash(newEpoch, validators)).
    function rotateSigned(uint64 newEpoch, Validator[] calldata validators, SignatureData calldata sig) external {
        if (isHome) revert WrongRegistryKind();
        if (epoch == 0) revert UnknownEpoch(0);
        if (newEpoch != epoch + 1) revert WrongEpoch(epoch + 1, newEpoch);
        if (sig.epoch != epoch) revert UnknownEpoch(sig.epoch);
        _checkDelay();
        bytes32 digest = RelayMessage.digest(
            RelayMessage.KIND_VALIDATOR_SET, homeChainId, homeContract, setUpdateHash(newEpoch, validators)
        );
        verify(digest, sig);
        _install(newEpoch, validators);
    }

    function _checkDelay() internal view {
        if (epoch != 0 && block.timestamp < uint256(rotatedAt) + minRotationDelay) {
            revert RotationTooSoon(rotatedAt + minRotationDelay);
        }
    }

    function _install(uint64 newEpoch, Validator[] calldata validators) internal {
        uint256 n = validators.length;
        if (n == 0 || n > MAX_VALIDATORS) revert InvalidSetSize(n);
        bytes memory data = new bytes(SET_HEADER + n * ENTRY);
        uint256[2] memory apk;
        uint256 total;
        uint256 lastX;
        for (uint256 i = 0; i < n; ++i) {
            Validator calldata v = validators[i];
            if (v.weight == 0) revert ZeroWeight(i);
            if (!_onCurve(v.pk[0], v.pk[1])) revert InvalidKey(i);
            if (i > 0 && v.pk[0] <= lastX) revert DuplicateOrUnsortedKey(i);
            lastX = v.pk[0];
            total += v.weight;
            apk = BN254.add(apk, [v.pk[0], v.pk[1]]);
            uint256 x = v.pk[0];
            uint256 y = v.pk[1];
            uint256 w = v.weight;
            uint256 off = SET_HEADER + i * ENTRY;
            assembly ("memory-safe") {
                let p := add(add(data, 0x20), off)
                mstore(p, x)
                mstore(add(p, 0x20), y)
                mstore(add(p, 0x40), w)
            }
        }
        if (total > type(uint128).max) revert ZeroWeight(type(uint256).max);
        uint256 ax = apk[0];
        uint256 ay = apk[1];
        assembly ("memory-safe") {
            let p := add(data, 0x20)
            mstore(p, n)
            mstore(add(p, 0x20), total)
            mstore(add(p, 0x40), ax)
            mstore(add(p, 0x60), ay)
        }
        address ptr = _write(data);
        if (epoch != 0) {
            previousSet = currentSet;
            previousExpiresAt = uint64(block.timestamp) + gracePeriod;
        }
        currentSet = ptr;
        epoch = newEpoch;
        rotatedAt = uint64(block.timestamp);
        emit ValidatorSetRotated(newEpoch, ptr, n, total, keccak256(abi.encode(newEpoch, validators)));
    }

    // ------------------------------------------------------------------ verification

    /// @notice Revert unless `sig` is a valid aggregate signature over `digest` by at least two
    ///         thirds of the stake of the current set (or of the previous set within its grace period).
    /// @dev Aggregate G1 key = stored apk minus the non-signers' keys (one ecAdd each); the G2
    ///      aggregate is supplied and bound by BN254.verifyBound.
    function verify(bytes32 digest, SignatureData calldata sig) public view {
        address ptr;
        uint64 current = epoch;
        if (sig.epoch == current && current != 0) {
            ptr = currentSet;
        } else if (current > 1 && sig.epoch == current - 1 && previousSet != address(0)) {
            if (block.timestamp > previousExpiresAt) revert PreviousSetExpired(sig.epoch, previousExpiresAt);
            ptr = previousSet;
        } else {
            revert UnknownEpoch(sig.epoch);
        }
        bytes memory data = _read(ptr);
        uint256 n;
        uint256 total;
        uint256[2] memory apk;
        assembly ("memory-safe") {
            let p := add(data, 0x20)
            n := mload(p)
            total := mload(add(p, 0x20))
            mstore(apk, mload(add(p, 0x40)))
            mstore(add(apk, 0x20), mload(add(p, 0x60)))
        }
        uint256 signers = sig.signers;
        if (signers == 0 || (n < 256 && signers >> n != 0)) revert InvalidSignerBitmap(signers);
        // One pass over the set: add up the signers' stake, add up the non-signers' keys.
        // Weights sum below 2**128 (checked at install), so the additions cannot overflow.
        uint256 signed;
        uint256[2] memory missing;
        bool ok = true;
        assembly ("memory-safe") {
            let entries := add(data, add(0x20, SET_HEADER))
            let scratch := mload(0x40)
            let mx := 0
            let my := 0
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let p := add(entries, mul(i, ENTRY))
                switch and(shr(i, signers), 1)
                case 1 { signed := add(signed, mload(add(p, 0x40))) }
                default {
                    mstore(scratch, mx)
                    mstore(add(scratch, 0x20), my)
                    mstore(add(scratch, 0x40), mload(p))
                    mstore(add(scratch, 0x60), mload(add(p, 0x20)))
                    ok := and(ok, staticcall(gas(), 0x06, scratch, 0x80, scratch, 0x40))
                    mx := mload(scratch)
                    my := mload(add(scratch, 0x20))
                }
            }
            mstore(missing, mx)
            mstore(add(missing, 0x20), my)
        }
        if (!ok) revert BN254.PrecompileFailed(6);
        if (signed * 3 < total * 2) revert InsufficientQuorum(signed, total);
        uint256[2] memory apk1 = BN254.add(apk, BN254.neg(missing));
        if (!BN254.verifyBound(digest, sig.sigma, apk1, sig.apk2)) revert InvalidSignature();
    }

    /// @notice The validators of the set with `epoch_` (current or previous), as stored.
    function validatorsOf(uint64 epoch_)
        external
        view
        returns (Validator[] memory validators, uint256 totalWeight, uint256[2] memory apk)
    {
        address ptr = epoch_ == epoch ? currentSet : (epoch_ + 1 == epoch ? previousSet : address(0));
        if (ptr == address(0)) revert UnknownEpoch(epoch_);
        bytes memory data = _read(ptr);
        uint256 n;
        assembly ("memory-safe") {
            let p := add(data, 0x20)
            n := mload(p)
            totalWeight := mload(add(p, 0x20))
            mstore(apk, mload(add(p, 0x40)))
            mstore(add(apk, 0x20), mload(add(p, 0x60)))
        }
        validators = new Validator[](n);
        for (uint256 i = 0; i < n; ++i) {
            uint256 off = SET_HEADER + i * ENTRY;
            uint256 x;
            uint256 y;
            uint256 w;
            assembly ("memory-safe") {
                let p := add(add(data, 0x20), off)
                x := mload(p)
                y := mload(add(p, 0x20))
                w := mload(add(p, 0x40))
            }
            validators[i] = Validator([x, y], w);
        }
    }

    // ------------------------------------------------------------------ internals

    function _onCurve(uint256 x, uint256 y) internal pure returns (bool) {
        if (x >= BN254.P || y >= BN254.P || (x == 0 && y == 0)) return false;
        return mulmod(y, y, BN254.P) == addmod(mulmod(mulmod(x, x, BN254.P), x, BN254.P), 3, BN254.P);
    }

    /// @dev Deploy `data` as the code of a new contract, behind a STOP byte so it cannot run.
    function _write(bytes memory data) internal returns (address ptr) {
        // init code: PUSH2 len; DUP1; PUSH1 12; PUSH1 0; CODECOPY; PUSH1 0; RETURN; then 0x00 ++ data
        bytes memory code = abi.encodePacked(hex"61", uint16(data.length + 1), hex"80600c6000396000f3", hex"00", data);
        assembly ("memory-safe") {
            ptr := create(0, add(code, 0x20), mload(code))
        }
        if (ptr == address(0)) revert SetWriteFailed();
    }

    /// @dev The data written by `_write` (one EXTCODECOPY after the STOP byte).
    function _read(address ptr) internal view returns (bytes memory data) {
        assembly ("memory-safe") {
            let size := sub(extcodesize(ptr), 1)
            data := mload(0x40)
            mstore(data, size)
            extcodecopy(ptr, add(data, 0x20), 1, size)
            mstore(0x40, add(add(data, 0x20), and(add(size, 31), not(31))))
        }
    }
}
