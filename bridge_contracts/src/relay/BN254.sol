// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title BN254
/// @notice BN254 (alt_bn128) arithmetic over the EVM precompiles, try-and-increment hash-to-G1,
///         and the BLS check used by the relay (docs/spec.md §7 section 3).
/// @dev Points use the precompile encodings: G1 as uint256[2] (x, y), G2 as uint256[4]
///      (x.c1, x.c0, y.c1, y.c0); infinity is all zeros. All functions are internal (no linking).
library BN254 {
    /// @notice The base field modulus p.
    uint256 internal constant P = 21888242871839275222246405745257275088696311157297823662689037894645226208583;
    /// @notice The group order r.
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice (p + 1) / 4: square roots are one exponentiation because p = 3 mod 4.
    uint256 internal constant SQRT_EXP = 5472060717959818805561601436314318772174077789324455915672259473661306552146;
    /// @notice keccak("OmniTensor/relay/v1/hash-to-G1/try-and-increment"): hash-to-curve domain.
    bytes32 internal constant HASH_TO_G1_DOMAIN = keccak256("OmniTensor/relay/v1/hash-to-G1/try-and-increment");

    // -G2: the negated standard generator of EIP-197 (x.c1, x.c0, -y.c1, -y.c0).
    uint256 internal constant NEG_G2_X1 = 11559732032986387107991004021392285783925812861821192530917403151452391805634;
    uint256 internal constant NEG_G2_X0 = 10857046999023057135944570762232829481370756359578518086990519993285655852781;
    uint256 internal constant NEG_G2_Y1 = 17805874995975841540914202342111839520379459829704422454583296818431106115052;
    uint256 internal constant NEG_G2_Y0 = 13392588948715843804641432497768002650278120570034223513918757245338268106653;

    /// @notice A precompile call failed (invalid point or out of gas).
    /// @param precompile The precompile address.
    error PrecompileFailed(uint256 precompile);

    /// @notice hashToG1 found no point in 256 tries (probability 2**-256).
    error HashToCurveFailed();

    /// @notice a + b in G1 (ecAdd, 0x06).
    function add(uint256[2] memory a, uint256[2] memory b) internal view returns (uint256[2] memory out) {
        bool ok;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, mload(a))
            mstore(add(m, 0x20), mload(add(a, 0x20)))
            mstore(add(m, 0x40), mload(b))
            mstore(add(m, 0x60), mload(add(b, 0x20)))
            ok := staticcall(gas(), 0x06, m, 0x80, out, 0x40)
        }
        if (!ok) revert PrecompileFailed(6);
    }

    /// @notice s * a in G1 (ecMul, 0x07).
    function mul(uint256[2] memory a, uint256 s) internal view returns (uint256[2] memory out) {
        bool ok;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, mload(a))
            mstore(add(m, 0x20), mload(add(a, 0x20)))
            mstore(add(m, 0x40), s)
            ok := staticcall(gas(), 0x07, m, 0x60, out, 0x40)
        }
        if (!ok) revert PrecompileFailed(7);
    }

    /// @notice -a in G1.
    function neg(uint256[2] memory a) internal pure returns (uint256[2] memory) {
        if (a[0] == 0 && a[1] == 0) return a;
        return [a[0], P - (a[1] % P)];
    }

    /// @notice base^exp mod p with the modexp precompile (0x05).
    function expModP(uint256 base, uint256 exponent) internal view returns (uint256 out) {
        bool ok;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, 0x20)
            mstore(add(m, 0x20), 0x20)
            mstore(add(m, 0x40), 0x20)
            mstore(add(m, 0x60), base)
            mstore(add(m, 0x80), exponent)
            mstore(add(m, 0xa0), P)
            ok := staticcall(gas(), 0x05, m, 0xc0, m, 0x20)
            out := mload(m)
        }
        if (!ok) revert PrecompileFailed(5);
    }

    /// @notice Try-and-increment hash to G1 (identical to relayer.bls.hash_to_g1).
    /// @dev x = keccak(domain ++ message ++ u8(ctr)) mod p; s = x^3 + 3; y = s^((p+1)/4);
    ///      accept if y^2 == s and take min(y, p - y). Expected two modexp calls. The message is
    ///      public, so the data-dependent number of tries leaks nothing.
    /// @param message The bytes to hash (a 32-byte digest in the relay).
    /// @return pt The point.
    /// @return ctr The counter that succeeded.
    function hashToG1(bytes memory message) internal view returns (uint256[2] memory pt, uint256 ctr) {
        bytes32 domain = HASH_TO_G1_DOMAIN;
        for (ctr = 0; ctr < 256; ++ctr) {
            uint256 x = uint256(keccak256(abi.encodePacked(domain, message, uint8(ctr)))) % P;
            uint256 s = addmod(mulmod(mulmod(x, x, P), x, P), 3, P);
            uint256 y = expModP(s, SQRT_EXP);
            if (mulmod(y, y, P) == s) {
                if (y > P - y) y = P - y;
                pt[0] = x;
                pt[1] = y;
                return (pt, ctr);
            }
        }
        revert HashToCurveFailed();
    }

    /// @notice Hash of a 32-byte digest to G1 (the relay's only use of hashToG1).
    function hashDigestToG1(bytes32 digest) internal view returns (uint256[2] memory pt) {
        (pt,) = hashToG1(abi.encodePacked(digest));
    }

    /// @notice Whether e(a1, a2) * e(b1, b2) == 1 (ecPairing, 0x08). Reverts on invalid points.
    function pairing2(uint256[2] memory a1, uint256[4] memory a2, uint256[2] memory b1, uint256[4] memory b2)
        internal
        view
        returns (bool result)
    {
        bool ok;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, mload(a1))
            mstore(add(m, 0x20), mload(add(a1, 0x20)))
            mstore(add(m, 0x40), mload(a2))
            mstore(add(m, 0x60), mload(add(a2, 0x20)))
            mstore(add(m, 0x80), mload(add(a2, 0x40)))
            mstore(add(m, 0xa0), mload(add(a2, 0x60)))
            mstore(add(m, 0xc0), mload(b1))
            mstore(add(m, 0xe0), mload(add(b1, 0x20)))
            mstore(add(m, 0x100), mload(b2))
            mstore(add(m, 0x120), mload(add(b2, 0x20)))
            mstore(add(m, 0x140), mload(add(b2, 0x40)))
            mstore(add(m, 0x160), mload(add(b2, 0x60)))
            ok := staticcall(gas(), 0x08, m, 0x180, m, 0x20)
            result := mload(m)
        }
        if (!ok) revert PrecompileFailed(8);
    }

    /// @notice The BLS check with a G1 aggregate key bound to a G2 aggregate key:
    ///         gamma = keccak(digest ++ sig ++ apk1 ++ apk2) mod r and
    ///         e(sig + gamma*apk1, -G2) * e(H(digest) + gamma*G1, apk2) == 1.
    /// @param digest The signed digest.
    /// @param sig Aggregate signature (G1).
    /// @param apk1 Aggregate public key of the signers in G1 (computed on chain).
    /// @param apk2 The same aggregate key in G2 (supplied by the relayer).
    /// @return Whether the signature is valid.
    function verifyBound(bytes32 digest, uint256[2] memory sig, uint256[2] memory apk1, uint256[4] memory apk2)
        internal
        view
        returns (bool)
    {
        // Points at infinity never verify (mirrors relayer.bls.verify_with_g1_key).
        if ((sig[0] | sig[1]) == 0 || (apk1[0] | apk1[1]) == 0 || (apk2[0] | apk2[1] | apk2[2] | apk2[3]) == 0) {
            return false;
        }
        uint256 gamma = uint256(
            keccak256(abi.encodePacked(digest, sig[0], sig[1], apk1[0], apk1[1], apk2[0], apk2[1], apk2[2], apk2[3]))
        ) % R;
        uint256[2] memory left = add(sig, mul(apk1, gamma));
        uint256[2] memory right = add(hashDigestToG1(digest), mul([uint256(1), uint256(2)], gamma));
        return pairing2(left, [NEG_G2_X1, NEG_G2_X0, NEG_G2_Y1, NEG_G2_Y0], right, apk2);
    }
}
