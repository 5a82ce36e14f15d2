// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BN254} from "../BN254.sol";

/// @title ApkSchemes
/// @notice Gas comparison only (never deployed in production): four ways to get the signers' G1
///         aggregate key and stake from a signer bitmap, measured with gasleft() inside one call.
///         1. set as contract code (one EXTCODECOPY), stored apk minus the non-signers (ValidatorSet's choice);
///         2. set as contract code, sum of the signers' keys;
///         3. set in storage slots, stored apk minus the non-signers (cold SLOADs);
///         4. every key and weight in calldata, checked against a stored hash, sum of the signers.
contract ApkSchemes {
    address internal immutable blob;
    uint256 internal immutable count;
    bytes32 internal immutable setHash;
    uint256[3][] internal stored;
    uint256[2] internal storedApk;
    uint256 internal storedTotal;

    /// @notice The calldata keys do not match the stored hash.
    error WrongSet();

    constructor(uint256[2][] memory keys, uint256[] memory weights) {
        uint256 n = keys.length;
        bytes memory data = new bytes(128 + n * 96);
        uint256[2] memory apk;
        uint256 total;
        for (uint256 i = 0; i < n; ++i) {
            apk = BN254.add(apk, keys[i]);
            total += weights[i];
            stored.push([keys[i][0], keys[i][1], weights[i]]);
            uint256 x = keys[i][0];
            uint256 y = keys[i][1];
            uint256 w = weights[i];
            assembly ("memory-safe") {
                let p := add(add(data, 0xa0), mul(i, 96))
                mstore(p, x)
                mstore(add(p, 0x20), y)
                mstore(add(p, 0x40), w)
            }
        }
        uint256 ax = apk[0];
        uint256 ay = apk[1];
        assembly ("memory-safe") {
            mstore(add(data, 0x20), n)
            mstore(add(data, 0x40), total)
            mstore(add(data, 0x60), ax)
            mstore(add(data, 0x80), ay)
        }
        storedApk = apk;
        storedTotal = total;
        count = n;
        setHash = keccak256(abi.encode(keys, weights));
        bytes memory code = abi.encodePacked(hex"61", uint16(data.length + 1), hex"80600c6000396000f3", hex"00", data);
        address ptr;
        assembly ("memory-safe") {
            ptr := create(0, add(code, 0x20), mload(code))
        }
        blob = ptr;
    }

    function _read() internal view returns (bytes memory data) {
        address ptr = blob;
        assembly ("memory-safe") {
            let size := sub(extcodesize(ptr), 1)
            data := mload(0x40)
            mstore(data, size)
            extcodecopy(ptr, add(data, 0x20), 1, size)
            mstore(0x40, add(add(data, 0x20), and(add(size, 31), not(31))))
        }
    }

    /// @dev One assembly pass over the blob (ValidatorSet.verify's loop): adds the stake of the
    ///      signers, and the keys of the non-signers (subtract) or of the signers (sum).
    function _pass(bytes memory data, uint256 signers, bool subtract)
        internal
        view
        returns (uint256[2] memory acc, uint256 signed)
    {
        uint256 n = count;
        assembly ("memory-safe") {
            let entries := add(data, 0xa0)
            let scratch := mload(0x40)
            let ax := 0
            let ay := 0
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let p := add(entries, mul(i, 96))
                let isSigner := and(shr(i, signers), 1)
                if isSigner { signed := add(signed, mload(add(p, 0x40))) }
                if eq(isSigner, iszero(subtract)) {
                    mstore(scratch, ax)
                    mstore(add(scratch, 0x20), ay)
                    mstore(add(scratch, 0x40), mload(p))
                    mstore(add(scratch, 0x60), mload(add(p, 0x20)))
                    pop(staticcall(gas(), 0x06, scratch, 0x80, scratch, 0x40))
                    ax := mload(scratch)
                    ay := mload(add(scratch, 0x20))
                }
            }
            mstore(acc, ax)
            mstore(add(acc, 0x20), ay)
        }
    }

    /// @notice Scheme 1: code blob, apk minus non-signers.
    function blobSubtract(uint256 signers) external view returns (uint256 gasUsed, uint256[2] memory apk1, uint256 signed) {
        uint256 g = gasleft();
        bytes memory data = _read();
        uint256[2] memory apk;
        assembly ("memory-safe") {
            mstore(apk, mload(add(data, 0x60)))
            mstore(add(apk, 0x20), mload(add(data, 0x80)))
        }
        uint256[2] memory missing;
        (missing, signed) = _pass(data, signers, true);
        apk1 = BN254.add(apk, BN254.neg(missing));
        gasUsed = g - gasleft();
    }

    /// @notice Scheme 2: code blob, sum of the signers' keys.
    function blobSum(uint256 signers) external view returns (uint256 gasUsed, uint256[2] memory apk1, uint256 signed) {
        uint256 g = gasleft();
        bytes memory data = _read();
        (apk1, signed) = _pass(data, signers, false);
        gasUsed = g - gasleft();
    }

    /// @notice Scheme 3: storage slots, apk minus non-signers.
    function storageSubtract(uint256 signers) external view returns (uint256 gasUsed, uint256[2] memory apk1, uint256 signed) {
        uint256 g = gasleft();
        uint256[2] memory missing;
        uint256 missingWeight;
        uint256 n = count;
        for (uint256 i = 0; i < n; ++i) {
            if ((signers >> i) & 1 == 1) continue;
            uint256[3] storage v = stored[i];
            missing = BN254.add(missing, [v[0], v[1]]);
            missingWeight += v[2];
        }
        signed = storedTotal - missingWeight;
        apk1 = BN254.add(storedApk, BN254.neg(missing));
        gasUsed = g - gasleft();
    }

    /// @notice Scheme 4: keys in calldata checked against a hash; sum of signers. Calldata gas
    ///         (16 per non-zero byte, 4 per zero byte) is not included and is added off chain.
    function calldataKeys(uint256[2][] calldata keys, uint256[] calldata weights, uint256 signers)
        external
        view
        returns (uint256 gasUsed, uint256[2] memory apk1, uint256 signed)
    {
        uint256 g = gasleft();
        if (keccak256(abi.encode(keys, weights)) != setHash) revert WrongSet();
        for (uint256 i = 0; i < keys.length; ++i) {
            if ((signers >> i) & 1 == 0) continue;
            signed += weights[i];
            apk1 = BN254.add(apk1, keys[i]);
        }
        gasUsed = g - gasleft();
    }
}
