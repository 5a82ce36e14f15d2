/*
 * txdecode.c: the node's fast path for decoding signed transactions, a batch per call.
 *
 * For each raw transaction it checks the envelope and the RLP layout, hashes it, builds the
 * signing payload, recovers the sender with libsecp256k1 and reports where each field lies in
 * the raw bytes. It handles only the plain, common shape and says "not mine" (status != 0) for
 * everything else; the caller then runs the readable reference,
 * rollup.core.transactions.decode_transaction, which decides and words every refusal. So this
 * code must never ACCEPT what the reference refuses, and when it accepts, every field it reports
 * must equal the reference's (tests/node/test_native_decode.py checks both on valid and mutated
 * transactions).
 *
 * Accepted here (status 0):
 *   - type 2 (EIP-1559): 0x02 || rlp([chainId, nonce, maxPriorityFee, maxFee, gas, to, value,
 *     data, accessList, yParity, r, s]) with an EMPTY access list;
 *   - EIP-155 legacy: rlp([nonce, gasPrice, gas, to, value, data, v, r, s]), v = 2 * id + 35/36;
 * with canonical RLP, integers without leading zeros and within their limits, a 20-byte `to`,
 * the chain id of the node, 1 <= r < n, 1 <= s <= n / 2, y parity 0 or 1, a recoverable key,
 * and at most OMNIT_TX_FAST_MAX bytes in all.
 *
 * libsecp256k1 is the copy inside the Python package coincurve: the caller passes its context
 * and three function pointers (cffi exposes their addresses), so nothing is linked here.
 * The batch loop touches no Python object: ctypes calls it with the GIL released.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "keccak_core.cuh"

#define OMNIT_TXDECODE_ABI 1
/* Largest transaction handled here (bigger ones go to the reference; transfers are ~115 B). */
#define OMNIT_TX_FAST_MAX 2048
/* Field spans reported per transaction: (start, length) pairs, room for 12 fields. */
#define OMNIT_TX_SPANS 12

/* Status codes (anything but OK sends the transaction to the reference decoder). */
enum { TX_OK = 0, TX_NOT_MINE = 1, TX_BAD_RLP = 2, TX_BAD_FIELD = 3, TX_BAD_SIG = 4 };

/* libsecp256k1's opaque types, by size (its ABI). */
typedef struct { unsigned char data[65]; } secp_recsig;
typedef struct { unsigned char data[64]; } secp_pubkey;
typedef int (*secp_parse_fn)(const void *ctx, secp_recsig *sig, const unsigned char *in64, int recid);
typedef int (*secp_recover_fn)(const void *ctx, secp_pubkey *pub, const secp_recsig *sig,
                               const unsigned char *msg32);
typedef int (*secp_serialize_fn)(const void *ctx, unsigned char *out, size_t *outlen,
                                 const secp_pubkey *pub, unsigned int flags);
#define SECP_EC_UNCOMPRESSED 2u /* SECP256K1_FLAGS_TYPE_COMPRESSION */

/* secp256k1 group order n and n / 2, big-endian. */
static const uint8_t SECP_N[32] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,
    0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48, 0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41};
static const uint8_t SECP_HALF_N[32] = {
    0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0x5D, 0x57, 0x6E, 0x73, 0x57, 0xA4, 0x50, 0x1D, 0xDF, 0xE9, 0x2F, 0x46, 0x68, 0x1B, 0x20, 0xA0};

int omnit_txdecode_abi(void) { return OMNIT_TXDECODE_ABI; }

/* One RLP item inside [pos, end): header start, payload start, payload length, is a list. */
typedef struct { int32_t at, start, len, list; } rlp_item;

/* Canonical long-form length at buf[pos + 1 .. pos + 1 + ll); -1 if not canonical or too long. */
static int64_t long_length(const uint8_t *buf, int64_t pos, int ll, int64_t end) {
    if (pos + 1 + ll > end || buf[pos + 1] == 0 || ll > 4) return -1;
    int64_t length = 0;
    for (int i = 0; i < ll; ++i) length = (length << 8) | buf[pos + 1 + i];
    return length < 56 ? -1 : length;
}

/* Parse the item at pos (within end); 0 on success. Strings follow the strict rules of
 * rollup.core.rlp_fast.split_list; a nested list is only located (the caller checks it). */
static int next_item(const uint8_t *buf, int64_t pos, int64_t end, rlp_item *it) {
    uint8_t b = buf[pos];
    it->at = (int32_t)pos;
    if (b < 0x80) {
        it->start = (int32_t)pos; it->len = 1; it->list = 0;
        return 0;
    }
    if (b <= 0xB7) {
        int64_t len = b - 0x80;
        if (pos + 1 + len > end) return -1;
        if (len == 1 && buf[pos + 1] < 0x80) return -1;
        it->start = (int32_t)(pos + 1); it->len = (int32_t)len; it->list = 0;
        return 0;
    }
    if (b < 0xC0) {
        int ll = b - 0xB7;
        int64_t len = long_length(buf, pos, ll, end);
        if (len < 0 || pos + 1 + ll + len > end) return -1;
        it->start = (int32_t)(pos + 1 + ll); it->len = (int32_t)len; it->list = 0;
        return 0;
    }
    if (b <= 0xF7) {
        int64_t len = b - 0xC0;
        if (pos + 1 + len > end) return -1;
        it->start = (int32_t)(pos + 1); it->len = (int32_t)len; it->list = 1;
        return 0;
    }
    int ll = b - 0xF7;
    int64_t len = long_length(buf, pos, ll, end);
    if (len < 0 || pos + 1 + ll + len > end) return -1;
    it->start = (int32_t)(pos + 1 + ll); it->len = (int32_t)len; it->list = 1;
    return 0;
}

/* Split the list that must span exactly buf[0 .. n) into at most `want` items; returns the
 * number of items, or -1. */
static int split(const uint8_t *buf, int64_t n, rlp_item *items, int want) {
    rlp_item outer;
    if (n <= 0 || buf[0] < 0xC0 || next_item(buf, 0, n, &outer) != 0) return -1;
    if ((int64_t)outer.start + outer.len != n) return -1;
    int64_t pos = outer.start, end = n;
    int count = 0;
    while (pos < end) {
        if (count == want) return -1;
        if (next_item(buf, pos, end, &items[count]) != 0) return -1;
        pos = (int64_t)items[count].start + items[count].len;
        ++count;
    }
    return count;
}

/* An integer field: a string, no leading zero byte, at most max_bytes long. */
static int int_ok(const uint8_t *buf, const rlp_item *it, int max_bytes) {
    return !it->list && it->len <= max_bytes && (it->len == 0 || buf[it->start] != 0);
}

/* Value of an integer field of at most 8 bytes. */
static uint64_t small_int(const uint8_t *buf, const rlp_item *it) {
    uint64_t v = 0;
    for (int i = 0; i < it->len; ++i) v = (v << 8) | buf[it->start + i];
    return v;
}

/* The field as a 32-byte big-endian number (len <= 32 checked by the caller). */
static void be32(const uint8_t *buf, const rlp_item *it, uint8_t out[32]) {
    memset(out, 0, 32);
    memcpy(out + 32 - it->len, buf + it->start, (size_t)it->len);
}

static int is_zero32(const uint8_t a[32]) {
    for (int i = 0; i < 32; ++i) if (a[i]) return 0;
    return 1;
}

/* RLP list header for a payload of `len` bytes into out; returns its size. */
static int list_header(int64_t len, uint8_t *out) {
    if (len < 56) { out[0] = (uint8_t)(0xC0 + len); return 1; }
    int lb = 0;
    for (int64_t v = len; v; v >>= 8) ++lb;
    out[0] = (uint8_t)(0xF7 + lb);
    for (int i = 0; i < lb; ++i) out[1 + i] = (uint8_t)(len >> (8 * (lb - 1 - i)));
    return 1 + lb;
}

/* RLP of an unsigned integer (chain id) into out; returns its size. */
static int rlp_uint(uint64_t v, uint8_t *out) {
    if (v == 0) { out[0] = 0x80; return 1; }
    if (v < 0x80) { out[0] = (uint8_t)v; return 1; }
    int lb = 0;
    for (uint64_t t = v; t; t >>= 8) ++lb;
    out[0] = (uint8_t)(0x80 + lb);
    for (int i = 0; i < lb; ++i) out[1 + i] = (uint8_t)(v >> (8 * (lb - 1 - i)));
    return 1 + lb;
}

typedef struct {
    const void *ctx;
    secp_parse_fn parse;
    secp_recover_fn recover;
    secp_serialize_fn serialize;
} secp_api;

/* r, s range checks (EIP-2 low s) and recovery of the signer's address from msg32. */
static int recover_address(const secp_api *api, const uint8_t *buf, const rlp_item *r,
                           const rlp_item *s, int parity, const uint8_t msg32[32],
                           uint8_t address[20]) {
    uint8_t rs[64], pub65[65], digest[32];
    be32(buf, r, rs);
    be32(buf, s, rs + 32);
    if (is_zero32(rs) || memcmp(rs, SECP_N, 32) >= 0) return TX_BAD_SIG;
    if (is_zero32(rs + 32) || memcmp(rs + 32, SECP_HALF_N, 32) > 0) return TX_BAD_SIG;
    secp_recsig sig;
    secp_pubkey pub;
    size_t outlen = 65;
    if (!api->parse(api->ctx, &sig, rs, parity) || !api->recover(api->ctx, &pub, &sig, msg32))
        return TX_BAD_SIG;
    if (!api->serialize(api->ctx, pub65, &outlen, &pub, SECP_EC_UNCOMPRESSED) || outlen != 65)
        return TX_BAD_SIG;
    omnit_keccak256(pub65 + 1, 64, digest);
    memcpy(address, digest + 12, 20);
    return TX_OK;
}

static void record_spans(const rlp_item *items, int count, int32_t *spans) {
    for (int i = 0; i < OMNIT_TX_SPANS; ++i) {
        spans[2 * i] = i < count ? items[i].start : 0;
        spans[2 * i + 1] = i < count ? items[i].len : 0;
    }
}

static int decode_dynamic_fee(const secp_api *api, const uint8_t *raw, int64_t n, uint64_t chain_id,
                              int32_t *spans, uint8_t sender[20]) {
    const uint8_t *payload = raw + 1;
    rlp_item f[12];
    if (split(payload, n - 1, f, 12) != 12) return TX_BAD_RLP;
    for (int i = 0; i < 12; ++i) if (i != 8 && f[i].list) return TX_BAD_FIELD;
    if (!f[8].list || f[8].len != 0) return TX_NOT_MINE; /* an access list: the reference */
    if (!int_ok(payload, &f[0], 8) || small_int(payload, &f[0]) != chain_id) return TX_BAD_FIELD;
    if (!int_ok(payload, &f[1], 8) || small_int(payload, &f[1]) == UINT64_MAX) return TX_BAD_FIELD;
    if (!int_ok(payload, &f[2], 32) || !int_ok(payload, &f[3], 32)) return TX_BAD_FIELD;
    if (!int_ok(payload, &f[4], 8)) return TX_BAD_FIELD;
    if (f[5].len != 20) return TX_BAD_FIELD;
    if (!int_ok(payload, &f[6], 32)) return TX_BAD_FIELD;
    if (!int_ok(payload, &f[9], 1) || small_int(payload, &f[9]) > 1) return TX_BAD_FIELD;
    if (!int_ok(payload, &f[10], 32) || !int_ok(payload, &f[11], 32)) return TX_BAD_FIELD;
    /* signing payload: 0x02 || rlp list of the first 9 items (their encodings as they are) */
    uint8_t msg[OMNIT_TX_FAST_MAX + 16], digest[32];
    int64_t body = (int64_t)f[9].at - f[0].at;
    int h = list_header(body, msg + 1);
    msg[0] = 0x02;
    memcpy(msg + 1 + h, payload + f[0].at, (size_t)body);
    omnit_keccak256(msg, (uint64_t)(1 + h + body), digest);
    int status = recover_address(api, payload, &f[10], &f[11], (int)small_int(payload, &f[9]),
                                 digest, sender);
    if (status != TX_OK) return status;
    for (int i = 0; i < 12; ++i) f[i].start += 1; /* spans relative to raw, not payload */
    record_spans(f, 12, spans);
    return TX_OK;
}

static int decode_legacy(const secp_api *api, const uint8_t *raw, int64_t n, uint64_t chain_id,
                         int32_t *spans, uint8_t sender[20]) {
    rlp_item f[9];
    if (split(raw, n, f, 9) != 9) return TX_BAD_RLP;
    for (int i = 0; i < 9; ++i) if (f[i].list) return TX_BAD_FIELD;
    if (!int_ok(raw, &f[0], 8) || small_int(raw, &f[0]) == UINT64_MAX) return TX_BAD_FIELD;
    if (!int_ok(raw, &f[1], 32) || !int_ok(raw, &f[2], 8)) return TX_BAD_FIELD;
    if (f[3].len != 20 || !int_ok(raw, &f[4], 32)) return TX_BAD_FIELD;
    if (!int_ok(raw, &f[6], 8) || !int_ok(raw, &f[7], 32) || !int_ok(raw, &f[8], 32))
        return TX_BAD_FIELD;
    uint64_t v = small_int(raw, &f[6]);
    if (v < 35 || (v - 35) / 2 != chain_id) return TX_BAD_FIELD;
    int parity = (int)((v - 35) % 2);
    /* signing payload: rlp([nonce, gasPrice, gas, to, value, data, chainId, 0, 0]) */
    uint8_t tail[16], msg[OMNIT_TX_FAST_MAX + 32], digest[32];
    int t = rlp_uint(chain_id, tail);
    tail[t++] = 0x80;
    tail[t++] = 0x80;
    int64_t prefix = (int64_t)f[6].at - f[0].at;
    int h = list_header(prefix + t, msg);
    memcpy(msg + h, raw + f[0].at, (size_t)prefix);
    memcpy(msg + h + prefix, tail, (size_t)t);
    omnit_keccak256(msg, (uint64_t)(h + prefix + t), digest);
    int status = recover_address(api, raw, &f[7], &f[8], parity, digest, sender);
    if (status != TX_OK) return status;
    record_spans(f, 9, spans);
    return TX_OK;
}

/*
 * Decode n transactions (raws[i], lens[i]) for chain_id. Per transaction: status[i] (0: decoded
 * here; otherwise the caller uses the reference decoder), and when 0: spans[24 i ..] the
 * (start, length) in the raw bytes of each RLP field's payload, in the transaction's field
 * order; senders[20 i ..] the recovered address; hashes[32 i ..] keccak(raw).
 */
void omnit_tx_decode_batch(const uint8_t *const *raws, const int64_t *lens, int64_t n,
                           uint64_t chain_id, const void *ctx, const void *parse,
                           const void *recover, const void *serialize, int32_t *status,
                           int32_t *spans, uint8_t *senders, uint8_t *hashes) {
    secp_api api = {ctx, (secp_parse_fn)parse, (secp_recover_fn)recover,
                    (secp_serialize_fn)serialize};
    for (int64_t i = 0; i < n; ++i) {
        const uint8_t *raw = raws[i];
        int64_t len = lens[i];
        int32_t *sp = spans + 2 * OMNIT_TX_SPANS * i;
        int st = TX_NOT_MINE;
        if (len >= 1 && len <= OMNIT_TX_FAST_MAX) {
            if (raw[0] >= 0xC0)
                st = decode_legacy(&api, raw, len, chain_id, sp, senders + 20 * i);
            else if (raw[0] == 0x02)
                st = decode_dynamic_fee(&api, raw, len, chain_id, sp, senders + 20 * i);
        }
        status[i] = st;
        if (st == TX_OK) omnit_keccak256(raw, (uint64_t)len, hashes + 32 * i);
    }
}
