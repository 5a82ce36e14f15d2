/*
 * keccak_x4.h -- CPU-only: Keccak-256 of four equal-length messages at once, the lanes of the
 * four states held in 4-wide GCC/Clang vectors (one AVX2 register per lane). Same round macro as
 * the scalar core, so one definition of the permutation. Enabled only when the compiler targets
 * AVX2 (the -march=native build on x86-64): measured 2.6x the scalar per-core throughput there,
 * while emulated with SSE2 pairs it is slower than scalar. Included by keccak.cu outside
 * __CUDACC__ only.
 */
#ifndef OMNIT_KECCAK_X4_H
#define OMNIT_KECCAK_X4_H

#include "keccak_core.cuh"

#if (defined(__GNUC__) || defined(__clang__)) && defined(__AVX2__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && !defined(OMNIT_NO_X4)
#define OMNIT_HAVE_X4 1

/* Four lanes, one per message. */
typedef uint64_t omnit_v4 __attribute__((vector_size(32)));

/* Keccak-f[1600] on four states at once. */
static inline void omnit_keccakf_x4(omnit_v4 s[25]) { OMNIT_KECCAKF_BODY(omnit_v4, s); }

/* Lane i of the four messages' current blocks. */
static inline omnit_v4 omnit_gather4(const uint8_t *const q[4], int i) {
    omnit_v4 v = {omnit_load64(q[0] + 8 * i), omnit_load64(q[1] + 8 * i),
                  omnit_load64(q[2] + 8 * i), omnit_load64(q[3] + 8 * i)};
    return v;
}

/* keccak256 of four messages of the same length len. */
static void omnit_keccak256_x4(const uint8_t *const p[4], uint64_t len, uint8_t *const out[4]) {
    omnit_v4 s[25];
    memset(s, 0, sizeof s);
    const uint8_t *q[4] = {p[0], p[1], p[2], p[3]};
    while (len >= OMNIT_RATE) {
        for (int i = 0; i < OMNIT_RATE_LANES; ++i) s[i] ^= omnit_gather4(q, i);
        omnit_keccakf_x4(s);
        for (int k = 0; k < 4; ++k) q[k] += OMNIT_RATE;
        len -= OMNIT_RATE;
    }
    uint8_t last[4][OMNIT_RATE];
    const uint8_t *lp[4];
    for (int k = 0; k < 4; ++k) {
        memset(last[k], 0, OMNIT_RATE);
        if (len) memcpy(last[k], q[k], (size_t)len);
        last[k][len] = 0x01;
        last[k][OMNIT_RATE - 1] |= 0x80;
        lp[k] = last[k];
    }
    for (int i = 0; i < OMNIT_RATE_LANES; ++i) s[i] ^= omnit_gather4(lp, i);
    omnit_keccakf_x4(s);
    for (int k = 0; k < 4; ++k)
        for (int i = 0; i < 4; ++i) {
            uint64_t v = s[i][k];
            memcpy(out[k] + 8 * i, &v, 8);
        }
}

/* leaf hashes of four messages of the same length. */
static void omnit_leaf_hash_x4(const uint8_t *const p[4], uint64_t len, uint8_t *const out[4]) {
    uint8_t inner[4][32];
    uint8_t *ip[4] = {inner[0], inner[1], inner[2], inner[3]};
    const uint8_t *cp[4] = {inner[0], inner[1], inner[2], inner[3]};
    omnit_keccak256_x4(p, len, ip);
    omnit_keccak256_x4(cp, 32, out);
}

#endif
#endif /* OMNIT_KECCAK_X4_H */
