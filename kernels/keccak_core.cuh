/*
 * keccak_core.cuh -- Keccak-f[1600] and Keccak-256 (Ethereum padding) as functions usable from
 * host C code (gcc/clang, -x c) and from CUDA device code (nvcc or NVRTC through CuPy).
 *
 * Lanes are the 25 little-endian 64-bit words of the state, lane (x, y) at index x + 5*y.
 * Keccak-256: rate 136 bytes (17 lanes), capacity 512 bits, pad10*1 with domain byte 0x01
 * (Ethereum's Keccak, not NIST SHA3's 0x06).
 *
 * Merkle conventions (docs/spec.md section 1): leaf(d) = keccak(keccak(d)),
 * node(l, r) = keccak(l ++ r).
 */
#ifndef OMNIT_KECCAK_CORE_CUH
#define OMNIT_KECCAK_CORE_CUH

#if defined(__CUDACC_RTC__)
/* NVRTC has no C library headers: define the few fixed-width types we use. */
typedef unsigned char uint8_t;
typedef unsigned int uint32_t;
typedef unsigned long long uint64_t;
typedef long long int64_t;
#else
#include <stdint.h>
#include <string.h>
#endif

/*
 * OMNIT_HD marks the small helpers (inlined everywhere). OMNIT_HD_PERM marks the permutation:
 * on the device it is a real call unless OMNIT_GPU_INLINE_PERM is defined, which keeps code size,
 * register pressure and nvcc/NVRTC compile time down (one copy of the 24 unrolled rounds
 * instead of one per call site: 9 s instead of 30 s for an sm_90 cubin).
 */
#if defined(__CUDACC__)
#define OMNIT_HD __host__ __device__ __forceinline__
#if defined(OMNIT_GPU_INLINE_PERM)
#define OMNIT_HD_PERM __host__ __device__ __forceinline__
#else
#define OMNIT_HD_PERM __host__ __device__ __noinline__
#endif
#else
#define OMNIT_HD static inline
#define OMNIT_HD_PERM static inline
#endif

/* Bytes absorbed per permutation by Keccak-256. */
#define OMNIT_RATE 136
/* Lanes absorbed per permutation (OMNIT_RATE / 8). */
#define OMNIT_RATE_LANES 17

/* Rotate left; the "& 63" keeps a rotation by 0 well defined. */
#define OMNIT_ROL(v, n) (((v) << (n)) | ((v) >> ((64 - (n)) & 63)))

/* Round constants of the iota step, rounds 0..23. */
#define OMNIT_RC0 0x0000000000000001ULL
#define OMNIT_RC1 0x0000000000008082ULL
#define OMNIT_RC2 0x800000000000808AULL
#define OMNIT_RC3 0x8000000080008000ULL
#define OMNIT_RC4 0x000000000000808BULL
#define OMNIT_RC5 0x0000000080000001ULL
#define OMNIT_RC6 0x8000000080008081ULL
#define OMNIT_RC7 0x8000000000008009ULL
#define OMNIT_RC8 0x000000000000008AULL
#define OMNIT_RC9 0x0000000000000088ULL
#define OMNIT_RC10 0x0000000080008009ULL
#define OMNIT_RC11 0x000000008000000AULL
#define OMNIT_RC12 0x000000008000808BULL
#define OMNIT_RC13 0x800000000000008BULL
#define OMNIT_RC14 0x8000000000008089ULL
#define OMNIT_RC15 0x8000000000008003ULL
#define OMNIT_RC16 0x8000000000008002ULL
#define OMNIT_RC17 0x8000000000000080ULL
#define OMNIT_RC18 0x000000000000800AULL
#define OMNIT_RC19 0x800000008000000AULL
#define OMNIT_RC20 0x8000000080008081ULL
#define OMNIT_RC21 0x8000000000008080ULL
#define OMNIT_RC22 0x0000000080000001ULL
#define OMNIT_RC23 0x8000000080008008ULL

/*
 * One round (theta, rho, pi, chi, iota) from the 25 lane variables P0..P24 into Q0..Q24, lanes
 * of type T (uint64_t here; a 4-wide GCC vector of them in the CPU build's 4-way keccak).
 * Output lane (X, Y) of rho+pi takes input lane ((X + 3Y) mod 5, X) rotated by its rho offset;
 * the (source lane, rotation) pairs are written out plane by plane. Lanes live in scalar
 * variables, not arrays, so the compiler keeps them in registers.
 */
#define OMNIT_ROUND(T, P, Q, rc)                                                     \
    do {                                                                            \
        T c0 = P##0 ^ P##5 ^ P##10 ^ P##15 ^ P##20;                          \
        T c1 = P##1 ^ P##6 ^ P##11 ^ P##16 ^ P##21;                          \
        T c2 = P##2 ^ P##7 ^ P##12 ^ P##17 ^ P##22;                          \
        T c3 = P##3 ^ P##8 ^ P##13 ^ P##18 ^ P##23;                          \
        T c4 = P##4 ^ P##9 ^ P##14 ^ P##19 ^ P##24;                          \
        T d0 = c4 ^ OMNIT_ROL(c1, 1);                                        \
        T d1 = c0 ^ OMNIT_ROL(c2, 1);                                        \
        T d2 = c1 ^ OMNIT_ROL(c3, 1);                                        \
        T d3 = c2 ^ OMNIT_ROL(c4, 1);                                        \
        T d4 = c3 ^ OMNIT_ROL(c0, 1);                                        \
        T b0, b1, b2, b3, b4;                                                \
        /* plane 0: lanes 0, 6, 12, 18, 24 */                                       \
        b0 = P##0 ^ d0;                                                             \
        b1 = P##6 ^ d1;  b1 = OMNIT_ROL(b1, 44);                                    \
        b2 = P##12 ^ d2; b2 = OMNIT_ROL(b2, 43);                                    \
        b3 = P##18 ^ d3; b3 = OMNIT_ROL(b3, 21);                                    \
        b4 = P##24 ^ d4; b4 = OMNIT_ROL(b4, 14);                                    \
        Q##0 = b0 ^ (~b1 & b2) ^ (rc);                                              \
        Q##1 = b1 ^ (~b2 & b3);                                                     \
        Q##2 = b2 ^ (~b3 & b4);                                                     \
        Q##3 = b3 ^ (~b4 & b0);                                                     \
        Q##4 = b4 ^ (~b0 & b1);                                                     \
        /* plane 1: lanes 3, 9, 10, 16, 22 */                                       \
        b0 = P##3 ^ d3;  b0 = OMNIT_ROL(b0, 28);                                    \
        b1 = P##9 ^ d4;  b1 = OMNIT_ROL(b1, 20);                                    \
        b2 = P##10 ^ d0; b2 = OMNIT_ROL(b2, 3);                                     \
        b3 = P##16 ^ d1; b3 = OMNIT_ROL(b3, 45);                                    \
        b4 = P##22 ^ d2; b4 = OMNIT_ROL(b4, 61);                                    \
        Q##5 = b0 ^ (~b1 & b2);                                                     \
        Q##6 = b1 ^ (~b2 & b3);                                                     \
        Q##7 = b2 ^ (~b3 & b4);                                                     \
        Q##8 = b3 ^ (~b4 & b0);                                                     \
        Q##9 = b4 ^ (~b0 & b1);                                                     \
        /* plane 2: lanes 1, 7, 13, 19, 20 */                                       \
        b0 = P##1 ^ d1;  b0 = OMNIT_ROL(b0, 1);                                     \
        b1 = P##7 ^ d2;  b1 = OMNIT_ROL(b1, 6);                                     \
        b2 = P##13 ^ d3; b2 = OMNIT_ROL(b2, 25);                                    \
        b3 = P##19 ^ d4; b3 = OMNIT_ROL(b3, 8);                                     \
        b4 = P##20 ^ d0; b4 = OMNIT_ROL(b4, 18);                                    \
        Q##10 = b0 ^ (~b1 & b2);                                                    \
        Q##11 = b1 ^ (~b2 & b3);                                                    \
        Q##12 = b2 ^ (~b3 & b4);                                                    \
        Q##13 = b3 ^ (~b4 & b0);                                                    \
        Q##14 = b4 ^ (~b0 & b1);                                                    \
        /* plane 3: lanes 4, 5, 11, 17, 23 */                                       \
        b0 = P##4 ^ d4;  b0 = OMNIT_ROL(b0, 27);                                    \
        b1 = P##5 ^ d0;  b1 = OMNIT_ROL(b1, 36);                                    \
        b2 = P##11 ^ d1; b2 = OMNIT_ROL(b2, 10);                                    \
        b3 = P##17 ^ d2; b3 = OMNIT_ROL(b3, 15);                                    \
        b4 = P##23 ^ d3; b4 = OMNIT_ROL(b4, 56);                                    \
        Q##15 = b0 ^ (~b1 & b2);                                                    \
        Q##16 = b1 ^ (~b2 & b3);                                                    \
        Q##17 = b2 ^ (~b3 & b4);                                                    \
        Q##18 = b3 ^ (~b4 & b0);                                                    \
        Q##19 = b4 ^ (~b0 & b1);                                                    \
        /* plane 4: lanes 2, 8, 14, 15, 21 */                                       \
        b0 = P##2 ^ d2;  b0 = OMNIT_ROL(b0, 62);                                    \
        b1 = P##8 ^ d3;  b1 = OMNIT_ROL(b1, 55);                                    \
        b2 = P##14 ^ d4; b2 = OMNIT_ROL(b2, 39);                                    \
        b3 = P##15 ^ d0; b3 = OMNIT_ROL(b3, 41);                                    \
        b4 = P##21 ^ d1; b4 = OMNIT_ROL(b4, 2);                                     \
        Q##20 = b0 ^ (~b1 & b2);                                                    \
        Q##21 = b1 ^ (~b2 & b3);                                                    \
        Q##22 = b2 ^ (~b3 & b4);                                                    \
        Q##23 = b3 ^ (~b4 & b0);                                                    \
        Q##24 = b4 ^ (~b0 & b1);                                                    \
    } while (0)

/* Declare lane variables P0..P24 of type T (used for both ping-pong copies of the state). */
#define OMNIT_LANES(T, P)                                                           \
    T P##0, P##1, P##2, P##3, P##4, P##5, P##6, P##7, P##8, P##9, P##10,     \
        P##11, P##12, P##13, P##14, P##15, P##16, P##17, P##18, P##19, P##20,       \
        P##21, P##22, P##23, P##24

/* Copy the state array into / out of lane variables P0..P24. */
#define OMNIT_LOAD_LANES(P, s)                                                      \
    P##0 = s[0]; P##1 = s[1]; P##2 = s[2]; P##3 = s[3]; P##4 = s[4];                \
    P##5 = s[5]; P##6 = s[6]; P##7 = s[7]; P##8 = s[8]; P##9 = s[9];                \
    P##10 = s[10]; P##11 = s[11]; P##12 = s[12]; P##13 = s[13]; P##14 = s[14];      \
    P##15 = s[15]; P##16 = s[16]; P##17 = s[17]; P##18 = s[18]; P##19 = s[19];      \
    P##20 = s[20]; P##21 = s[21]; P##22 = s[22]; P##23 = s[23]; P##24 = s[24]
#define OMNIT_STORE_LANES(P, s)                                                     \
    s[0] = P##0; s[1] = P##1; s[2] = P##2; s[3] = P##3; s[4] = P##4;                \
    s[5] = P##5; s[6] = P##6; s[7] = P##7; s[8] = P##8; s[9] = P##9;                \
    s[10] = P##10; s[11] = P##11; s[12] = P##12; s[13] = P##13; s[14] = P##14;      \
    s[15] = P##15; s[16] = P##16; s[17] = P##17; s[18] = P##18; s[19] = P##19;      \
    s[20] = P##20; s[21] = P##21; s[22] = P##22; s[23] = P##23; s[24] = P##24

/* The 24 rounds of Keccak-f[1600] on a state array s of lane type T, ping-ponging between lane
 * sets a and e. */
#define OMNIT_KECCAKF_BODY(T, s)                                                    \
    do {                                                                            \
        OMNIT_LANES(T, a);                                                          \
        OMNIT_LANES(T, e);                                                          \
        OMNIT_LOAD_LANES(a, s);                                                     \
        OMNIT_ROUND(T, a, e, OMNIT_RC0);  OMNIT_ROUND(T, e, a, OMNIT_RC1);          \
        OMNIT_ROUND(T, a, e, OMNIT_RC2);  OMNIT_ROUND(T, e, a, OMNIT_RC3);          \
        OMNIT_ROUND(T, a, e, OMNIT_RC4);  OMNIT_ROUND(T, e, a, OMNIT_RC5);          \
        OMNIT_ROUND(T, a, e, OMNIT_RC6);  OMNIT_ROUND(T, e, a, OMNIT_RC7);          \
        OMNIT_ROUND(T, a, e, OMNIT_RC8);  OMNIT_ROUND(T, e, a, OMNIT_RC9);          \
        OMNIT_ROUND(T, a, e, OMNIT_RC10); OMNIT_ROUND(T, e, a, OMNIT_RC11);         \
        OMNIT_ROUND(T, a, e, OMNIT_RC12); OMNIT_ROUND(T, e, a, OMNIT_RC13);         \
        OMNIT_ROUND(T, a, e, OMNIT_RC14); OMNIT_ROUND(T, e, a, OMNIT_RC15);         \
        OMNIT_ROUND(T, a, e, OMNIT_RC16); OMNIT_ROUND(T, e, a, OMNIT_RC17);         \
        OMNIT_ROUND(T, a, e, OMNIT_RC18); OMNIT_ROUND(T, e, a, OMNIT_RC19);         \
        OMNIT_ROUND(T, a, e, OMNIT_RC20); OMNIT_ROUND(T, e, a, OMNIT_RC21);         \
        OMNIT_ROUND(T, a, e, OMNIT_RC22); OMNIT_ROUND(T, e, a, OMNIT_RC23);         \
        OMNIT_STORE_LANES(a, s);                                                    \
    } while (0)

/* Keccak-f[1600] on one state. */
OMNIT_HD_PERM void omnit_keccakf(uint64_t s[25]) { OMNIT_KECCAKF_BODY(uint64_t, s); }

/* Load 8 little-endian bytes (any alignment). */
OMNIT_HD uint64_t omnit_load64(const uint8_t *p) {
#if !defined(__CUDACC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
#else
    return (uint64_t)p[0] | ((uint64_t)p[1] << 8) | ((uint64_t)p[2] << 16) |
           ((uint64_t)p[3] << 24) | ((uint64_t)p[4] << 32) | ((uint64_t)p[5] << 40) |
           ((uint64_t)p[6] << 48) | ((uint64_t)p[7] << 56);
#endif
}

/* Store the first four lanes (the 32-byte digest) little-endian. */
OMNIT_HD void omnit_store_digest(const uint64_t s[25], uint8_t out[32]) {
    for (int i = 0; i < 4; ++i) {
        uint64_t v = s[i];
        for (int j = 0; j < 8; ++j) out[8 * i + j] = (uint8_t)(v >> (8 * j));
    }
}

/* keccak256(in[0..len)) -> out[32]. */
OMNIT_HD void omnit_keccak256(const uint8_t *in, uint64_t len, uint8_t out[32]) {
    uint64_t s[25];
    for (int i = 0; i < 25; ++i) s[i] = 0;
    while (len >= OMNIT_RATE) {
        for (int i = 0; i < OMNIT_RATE_LANES; ++i) s[i] ^= omnit_load64(in + 8 * i);
        omnit_keccakf(s);
        in += OMNIT_RATE;
        len -= OMNIT_RATE;
    }
    /* Last, partial block: whole lanes, then the tail bytes, then the padding. */
    uint64_t full = len / 8;
    for (uint64_t i = 0; i < full; ++i) s[i] ^= omnit_load64(in + 8 * i);
    uint64_t tail = 0;
    uint64_t rem = len % 8;
    for (uint64_t j = 0; j < rem; ++j) tail |= (uint64_t)in[8 * full + j] << (8 * j);
    tail |= (uint64_t)0x01 << (8 * rem);
    s[full] ^= tail;
    s[OMNIT_RATE_LANES - 1] ^= 0x8000000000000000ULL;
    omnit_keccakf(s);
    omnit_store_digest(s, out);
}

/* keccak256 of exactly 32 bytes (the second hash of a leaf). */
OMNIT_HD void omnit_keccak256_32(const uint8_t in[32], uint8_t out[32]) {
    uint64_t s[25];
    for (int i = 0; i < 25; ++i) s[i] = 0;
    for (int i = 0; i < 4; ++i) s[i] = omnit_load64(in + 8 * i);
    s[4] = 0x01;
    s[OMNIT_RATE_LANES - 1] = 0x8000000000000000ULL;
    omnit_keccakf(s);
    omnit_store_digest(s, out);
}

/* keccak256 of exactly 64 bytes: node(l, r) of one Merkle pair. */
OMNIT_HD void omnit_keccak256_64(const uint8_t in[64], uint8_t out[32]) {
    uint64_t s[25];
    for (int i = 0; i < 25; ++i) s[i] = 0;
    for (int i = 0; i < 8; ++i) s[i] = omnit_load64(in + 8 * i);
    s[8] = 0x01;
    s[OMNIT_RATE_LANES - 1] = 0x8000000000000000ULL;
    omnit_keccakf(s);
    omnit_store_digest(s, out);
}

/* leaf(in) = keccak256(keccak256(in)). */
OMNIT_HD void omnit_leaf_hash(const uint8_t *in, uint64_t len, uint8_t out[32]) {
    uint8_t inner[32];
    omnit_keccak256(in, len, inner);
    omnit_keccak256_32(inner, out);
}

#endif /* OMNIT_KECCAK_CORE_CUH */
