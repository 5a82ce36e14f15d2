/*
 * keccak.cu -- Merkle kernels over keccak_core.cuh, one source for two builds:
 *
 *   GPU: compiled by NVRTC through CuPy RawModule (or nvcc); __CUDACC__ is defined and the
 *        __global__ kernels below are the entry points.
 *   CPU: compiled as C (cc -O3 -fopenmp -shared -fPIC -x c keccak.cu); __CUDACC__ is not
 *        defined and the omnit_* functions at the end are the entry points, parallelised over
 *        the cores with OpenMP.
 *
 * Kernels: (a) hash_pairs: N fixed 64-byte inputs -> N digests (one Merkle level);
 *          (b) keccak_packed: N variable-length messages packed in one buffer with N+1 offsets
 *              (plain keccak or leaf hash);
 *          (c) subtree_reduce: reduce groups of 2^levels nodes to one node in one launch.
 */
#include "keccak_core.cuh"

/* ABI version of the entry points; the Python loader refuses a library with another one. */
#define OMNIT_KERNELS_ABI 1

#if defined(__CUDACC__)

#ifndef OMNIT_MAX_REDUCE_LEVELS
/* Largest subtree one block reduces: 2^10 nodes (32 KiB of shared memory, 512 threads). */
#define OMNIT_MAX_REDUCE_LEVELS 10
#endif

/* (a) One Merkle level: out[i] = keccak(in[64 i .. 64 i + 64)). */
extern "C" __global__ void omnit_hash_pairs_kernel(const uint8_t *in, uint8_t *out,
                                                   uint64_t n) {
    uint64_t i = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) omnit_keccak256_64(in + 64 * i, out + 32 * i);
}

/* (b) Packed messages: message i is data[offsets[i] .. offsets[i + 1]). */
extern "C" __global__ void omnit_keccak_packed_kernel(const uint8_t *data, const int64_t *offsets,
                                                      uint8_t *out, uint64_t n, int leaf) {
    uint64_t i = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const uint8_t *msg = data + offsets[i];
    uint64_t len = (uint64_t)(offsets[i + 1] - offsets[i]);
    if (leaf) omnit_leaf_hash(msg, len, out + 32 * i);
    else omnit_keccak256(msg, len, out + 32 * i);
}

/*
 * (c) Subtree reduce: block b reduces nodes [b * 2^levels, (b + 1) * 2^levels) to out[b].
 * Launch with blockDim.x = 2^(levels - 1) threads and 2^levels * 32 bytes of shared memory.
 */
extern "C" __global__ void omnit_subtree_reduce_kernel(const uint8_t *in, uint8_t *out,
                                                       int levels) {
    extern __shared__ uint8_t level_buf[];
    uint64_t base = (uint64_t)blockIdx.x << levels;
    unsigned t = threadIdx.x;
    /* First level straight from global memory into shared memory. */
    omnit_keccak256_64(in + 32 * (base + 2 * t), level_buf + 32 * t);
    __syncthreads();
    for (unsigned width = blockDim.x >> 1; width > 0; width >>= 1) {
        uint8_t tmp[32];
        if (t < width) omnit_keccak256_64(level_buf + 64 * t, tmp);
        __syncthreads();
        if (t < width)
            for (int j = 0; j < 32; ++j) level_buf[32 * t + j] = tmp[j];
        __syncthreads();
    }
    if (t == 0)
        for (int j = 0; j < 32; ++j) out[32 * blockIdx.x + j] = level_buf[j];
}

#else /* CPU build */

#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "keccak_x4.h"

/* Below this many items a level is hashed on one thread (OpenMP start-up costs more). */
#define OMNIT_PAR_MIN 512

int omnit_abi_version(void) { return OMNIT_KERNELS_ABI; }

/* Threads OpenMP will use (1 without OpenMP). */
int omnit_max_threads(void) {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* Items per work unit: four messages of equal length go through the 4-way keccak. */
#define OMNIT_GROUP 4

/*
 * Hash up to four messages (count of them) into out[32 * k]: the 4-way path when there are four
 * of the same length, one at a time otherwise.
 */
static void omnit_hash_group(const uint8_t *const ptr[OMNIT_GROUP],
                             const uint64_t len[OMNIT_GROUP], int count, uint8_t *out,
                             int leaf) {
#ifdef OMNIT_HAVE_X4
    if (count == OMNIT_GROUP && len[0] == len[1] && len[0] == len[2] && len[0] == len[3]) {
        uint8_t *const o[4] = {out, out + 32, out + 64, out + 96};
        if (leaf) omnit_leaf_hash_x4(ptr, len[0], o);
        else omnit_keccak256_x4(ptr, len[0], o);
        return;
    }
#endif
    for (int k = 0; k < count; ++k) {
        if (leaf) omnit_leaf_hash(ptr[k], len[k], out + 32 * k);
        else omnit_keccak256(ptr[k], len[k], out + 32 * k);
    }
}

/* (a) n pairs of 64 bytes -> n digests. */
void omnit_hash_pairs(const uint8_t *in, uint8_t *out, int64_t n) {
    int64_t g, groups = (n + OMNIT_GROUP - 1) / OMNIT_GROUP;
#pragma omp parallel for schedule(static) if (n >= OMNIT_PAR_MIN)
    for (g = 0; g < groups; ++g) {
        int64_t i = g * OMNIT_GROUP;
        int count = (int)(n - i < OMNIT_GROUP ? n - i : OMNIT_GROUP);
        const uint8_t *ptr[OMNIT_GROUP];
        uint64_t len[OMNIT_GROUP];
        for (int k = 0; k < count; ++k) {
            ptr[k] = in + 64 * (i + k);
            len[k] = 64;
        }
        omnit_hash_group(ptr, len, count, out + 32 * i, 0);
    }
}

/* (b) n messages data[offsets[i] .. offsets[i + 1]) -> n digests (leaf != 0: leaf hashes). */
void omnit_keccak_packed(const uint8_t *data, const int64_t *offsets, int64_t n, uint8_t *out,
                         int leaf) {
    int64_t g, groups = (n + OMNIT_GROUP - 1) / OMNIT_GROUP;
    int par = n >= OMNIT_PAR_MIN || (n > 1 && offsets[n] - offsets[0] >= (1 << 16));
#pragma omp parallel for schedule(dynamic, 1) if (par)
    for (g = 0; g < groups; ++g) {
        int64_t i = g * OMNIT_GROUP;
        int count = (int)(n - i < OMNIT_GROUP ? n - i : OMNIT_GROUP);
        const uint8_t *ptr[OMNIT_GROUP];
        uint64_t len[OMNIT_GROUP];
        for (int k = 0; k < count; ++k) {
            ptr[k] = data + offsets[i + k];
            len[k] = (uint64_t)(offsets[i + k + 1] - offsets[i + k]);
        }
        omnit_hash_group(ptr, len, count, out + 32 * i, leaf);
    }
}

/* (b') CPU-only variant: messages anywhere in memory (e.g. an mmap'ed model file), no copy. */
void omnit_keccak_ptrs(const uint8_t *const *ptrs, const int64_t *lens, int64_t n, uint8_t *out,
                       int leaf) {
    int64_t i, g, total = 0, groups = (n + OMNIT_GROUP - 1) / OMNIT_GROUP;
    for (i = 0; i < n; ++i) total += lens[i];
    int par = n >= OMNIT_PAR_MIN || (n > 1 && total >= (1 << 16));
#pragma omp parallel for schedule(dynamic, 1) if (par)
    for (g = 0; g < groups; ++g) {
        int64_t j = g * OMNIT_GROUP;
        int count = (int)(n - j < OMNIT_GROUP ? n - j : OMNIT_GROUP);
        const uint8_t *ptr[OMNIT_GROUP];
        uint64_t len[OMNIT_GROUP];
        for (int k = 0; k < count; ++k) {
            ptr[k] = ptrs[j + k];
            len[k] = (uint64_t)lens[j + k];
        }
        omnit_hash_group(ptr, len, count, out + 32 * j, leaf);
    }
}

/*
 * (c) Reduce n nodes (n a multiple of 2^levels) by `levels` levels into out (n >> levels nodes).
 * Returns 0, or -1 if scratch memory cannot be allocated.
 */
int omnit_merkle_reduce(const uint8_t *in, int64_t n, int levels, uint8_t *out) {
    if (levels == 0) {
        memcpy(out, in, (size_t)n * 32);
        return 0;
    }
    /* Two ping-pong buffers: hashing a level in place would race between OpenMP threads. */
    uint8_t *buf[2] = {NULL, NULL};
    if (levels > 1) {
        buf[0] = (uint8_t *)malloc((size_t)(n / 2) * 32);
        buf[1] = (uint8_t *)malloc((size_t)(n / 4) * 32 + 32);
        if (!buf[0] || !buf[1]) {
            free(buf[0]);
            free(buf[1]);
            return -1;
        }
    }
    const uint8_t *src = in;
    for (int level = 0; level < levels; ++level) {
        int64_t pairs = n >> (level + 1);
        uint8_t *dst = (level == levels - 1) ? out : buf[level & 1];
        omnit_hash_pairs(src, dst, pairs);
        src = dst;
    }
    free(buf[0]);
    free(buf[1]);
    return 0;
}

#endif
