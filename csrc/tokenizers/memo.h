/* tk_memo internals shared by memo.c and its hot callers: the slot layout and the lookup,
 * inline (it runs once per word). See memo.c for the design. */
#ifndef HFC_TK_MEMO_H
#define HFC_TK_MEMO_H

#include "tk.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

enum { W_SEQ = 0, W_HEAD = 1, W_KEY = 2, W_ID = 10, W_START = 18, W_END = 20, W_WORD = 22, W_N = 24 };

typedef struct memo_slot {
    _Atomic uint64_t w[W_N];
} memo_slot;
_Static_assert(sizeof(memo_slot) == 192, "a memo slot is three cache lines");
_Static_assert(TK_MEMO_KEY == 8 * (W_ID - W_KEY), "key words");
_Static_assert(TK_MEMO_ITEMS == 2 * (W_START - W_ID), "id words");

struct tk_memo {
    memo_slot *slots; /* mask + 1 slots, 64-byte aligned inside mem */
    void *mem;
    size_t mask;
};

static inline uint64_t memo_mum(uint64_t a, uint64_t b) {
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* Bytes p[0..n), n < 8, as a zero-padded little-endian word (no reads past p + n). */
static inline uint64_t memo_tail(const uint8_t *p, uint32_t n) {
    if (n >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + n - 4, 4);
        return (uint64_t)lo | (uint64_t)hi << (8 * (n - 4)); /* overlap: equal bytes */
    }
    if (n == 0) return 0;
    return (uint64_t)p[0] | (uint64_t)p[n >> 1] << (8 * (n >> 1)) | (uint64_t)p[n - 1] << (8 * (n - 1));
}

static const uint64_t MEMO_SEEDS[8] = {
    0xa0761d6478bd642full, 0xe7037ed1a0b428dbull, 0x8ebc6af09c88c6e3ull, 0x589965cc75374cc3ull,
    0x1d8e4e27c47d124full, 0xd6e8feb86659fd93ull, 0xcb7b8f2a7e1f5e35ull, 0x9fb21c651e98df25ull,
};

#define memo_ld(p) atomic_load_explicit((p), memory_order_relaxed)
#define memo_st(p, v) atomic_store_explicit((p), (v), memory_order_relaxed)

static inline bool tk_memo_get(const tk_memo *m, const char *s, uint32_t len, tk_memo_key *key,
                 tk_memo_item *items, uint32_t *n_items, uint32_t *aux) {
    key->slot = NULL;
    if (!m || len > TK_MEMO_KEY) return false;
    const uint8_t *p = (const uint8_t *)s;
    uint64_t *k = key->k;
    uint32_t nw = (len + 7) / 8, i = 0;
    for (; i + 8 <= len; i += 8) memcpy(&k[i / 8], p + i, 8);
    if (i < len) k[i / 8] = memo_tail(p + i, len - i);
    uint64_t h = memo_mum((nw > 0 ? k[0] : 0) ^ MEMO_SEEDS[0], (nw > 1 ? k[1] : 0) ^ MEMO_SEEDS[1] ^ len);
    for (uint32_t j = 2; j < nw; j += 2)
        h ^= memo_mum(k[j] ^ MEMO_SEEDS[j], (j + 1 < nw ? k[j + 1] : 0) ^ MEMO_SEEDS[j + 1]);
    h = memo_mum(h ^ 0x1d8e4e27c47d124full, 0x9E3779B97F4A7C15ull);
    /* two-way: the key may sit in either slot of its pair */
    memo_slot *pair = &m->slots[(size_t)h & m->mask & ~(size_t)1];
    key->slot = pair;
    key->head = (uint64_t)((uint32_t)(h >> 32) | 1) | (uint64_t)len << 32;
    for (int way = 0; way < 2; way++) {
        _Atomic uint64_t *w = pair[way].w;
        uint64_t s1 = atomic_load_explicit(&w[W_SEQ], memory_order_acquire);
        if (s1 & 1) continue;
        uint64_t hd = memo_ld(&w[W_HEAD]);
        if ((hd & 0xFFFFFFFFFFull) != key->head) continue;
        uint32_t n = (uint32_t)(hd >> 40) & 0xFF;
        if (n > TK_MEMO_ITEMS) continue; /* torn */
        bool same = true;
        for (uint32_t j = 0; j < nw && same; j++) same = memo_ld(&w[W_KEY + j]) == k[j];
        if (!same) continue;
        uint64_t st[2], en[2], wd[2];
        for (uint32_t j = 0; j < (n + 7) / 8; j++) {
            st[j] = memo_ld(&w[W_START + j]);
            en[j] = memo_ld(&w[W_END + j]);
            wd[j] = memo_ld(&w[W_WORD + j]);
        }
        for (uint32_t j = 0; j < n; j += 2) {
            uint64_t ids = memo_ld(&w[W_ID + j / 2]);
            items[j].id = (uint32_t)ids;
            items[j + 1].id = (uint32_t)(ids >> 32); /* items has TK_MEMO_ITEMS entries */
        }
        atomic_thread_fence(memory_order_acquire);
        if (memo_ld(&w[W_SEQ]) != s1) continue;
        const uint8_t *sb = (const uint8_t *)st, *eb = (const uint8_t *)en, *wb = (const uint8_t *)wd;
        for (uint32_t j = 0; j < n; j++) {
            items[j].start = sb[j];
            items[j].end = eb[j];
            items[j].word = wb[j];
        }
        *n_items = n;
        if (aux) *aux = (uint32_t)(hd >> 48);
        return true;
    }
    return false;
}

#endif /* HFC_TK_MEMO_H */
