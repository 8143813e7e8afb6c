/* tk_memo internals shared by memo.c and its hot callers: the slot layout and the lookup,
 * inline (it runs once per word). See memo.c for the design. */
#ifndef HFC_TK_MEMO_H
#define HFC_TK_MEMO_H

#include "tk.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

/* Slot layout in 64-bit words, for a memo of KW key words and MI items (memo.c): */
#define W_SEQ 0
#define W_HEAD 1
#define W_KEY 2
#define W_ID(KW) (W_KEY + (KW))
#define W_START(KW, MI) (W_ID(KW) + (MI) / 2)
#define W_END(KW, MI) (W_START(KW, MI) + (MI) / 8)
#define W_WORD(KW, MI) (W_END(KW, MI) + (MI) / 8)
#define W_N(KW, MI) ((W_WORD(KW, MI) + (MI) / 8 + 7) & ~7u) /* whole cache lines */

_Static_assert(W_N(TK_MEMO_KEY / 8, TK_MEMO_ITEMS) == 24, "a memo slot is three cache lines");
_Static_assert(TK_MEMO_ITEMS % 8 == 0 && TK_MEMO_WIDE_ITEMS % 8 == 0, "items per word");
_Static_assert(TK_MEMO_WIDE_KEY < 256 && TK_MEMO_WIDE_ITEMS < 256, "8-bit lengths");

struct tk_memo {
    _Atomic uint64_t *slots; /* mask + 1 slots of `words` words, 64-byte aligned in mem */
    void *mem;
    size_t mask;
    uint32_t key_words, items, words;
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

/* The lookup for a memo of KW key words and MI items (constants at each call site). */
static inline bool memo_get(const tk_memo *m, const char *s, uint32_t len, tk_memo_key *key,
                            tk_memo_item *items, uint32_t *n_items, uint32_t *aux,
                            const uint32_t KW, const uint32_t MI) {
    key->slot = NULL;
    if (!m || len > 8 * KW) return false;
    const uint8_t *p = (const uint8_t *)s;
    uint64_t *k = key->k;
    uint32_t nw = (len + 7) / 8, i = 0;
    for (; i + 8 <= len; i += 8) memcpy(&k[i / 8], p + i, 8);
    if (i < len) k[i / 8] = memo_tail(p + i, len - i);
    uint64_t h = memo_mum((nw > 0 ? k[0] : 0) ^ MEMO_SEEDS[0], (nw > 1 ? k[1] : 0) ^ MEMO_SEEDS[1] ^ len);
    for (uint32_t j = 2; j < nw; j += 2)
        h ^= memo_mum(k[j] ^ MEMO_SEEDS[j & 7], (j + 1 < nw ? k[j + 1] : 0) ^ MEMO_SEEDS[(j + 1) & 7]);
    h = memo_mum(h ^ 0x1d8e4e27c47d124full, 0x9E3779B97F4A7C15ull);
    /* two-way: the key may sit in either slot of its pair */
    const size_t words = W_N(KW, MI);
    _Atomic uint64_t *pair = m->slots + ((size_t)h & m->mask & ~(size_t)1) * words;
    key->slot = pair;
    key->head = (uint64_t)((uint32_t)(h >> 32) | 1) | (uint64_t)len << 32;
    for (int way = 0; way < 2; way++) {
        _Atomic uint64_t *w = pair + way * words;
        uint64_t s1 = atomic_load_explicit(&w[W_SEQ], memory_order_acquire);
        if (s1 & 1) continue;
        uint64_t hd = memo_ld(&w[W_HEAD]);
        if ((hd & 0xFFFFFFFFFFull) != key->head) continue;
        uint32_t n = (uint32_t)(hd >> 40) & 0xFF;
        if (n > MI) continue; /* torn */
        bool same = true;
        for (uint32_t j = 0; j < nw && same; j++) same = memo_ld(&w[W_KEY + j]) == k[j];
        if (!same) continue;
        uint64_t st[TK_MEMO_WIDE_ITEMS / 8], en[TK_MEMO_WIDE_ITEMS / 8], wd[TK_MEMO_WIDE_ITEMS / 8];
        for (uint32_t j = 0; j < (n + 7) / 8; j++) {
            st[j] = memo_ld(&w[W_START(KW, MI) + j]);
            en[j] = memo_ld(&w[W_END(KW, MI) + j]);
            wd[j] = memo_ld(&w[W_WORD(KW, MI) + j]);
        }
        for (uint32_t j = 0; j < n; j += 2) {
            uint64_t ids = memo_ld(&w[W_ID(KW) + j / 2]);
            items[j].id = (uint32_t)ids;
            items[j + 1].id = (uint32_t)(ids >> 32); /* items has MI entries */
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

static inline bool tk_memo_get(const tk_memo *m, const char *s, uint32_t len, tk_memo_key *key,
                               tk_memo_item *items, uint32_t *n_items, uint32_t *aux) {
    return memo_get(m, s, len, key, items, n_items, aux, TK_MEMO_KEY / 8, TK_MEMO_ITEMS);
}

static inline bool tk_memo_get_wide(const tk_memo *m, const char *s, uint32_t len,
                                    tk_memo_key *key, tk_memo_item *items, uint32_t *n_items,
                                    uint32_t *aux) {
    return memo_get(m, s, len, key, items, n_items, aux, TK_MEMO_WIDE_KEY / 8, TK_MEMO_WIDE_ITEMS);
}

#endif /* HFC_TK_MEMO_H */
