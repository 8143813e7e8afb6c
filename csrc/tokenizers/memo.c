/* tk_memo: a shared, lock-free memo of short strings -> short token lists (tk.h).
 *
 * A direct-mapped table of results for keys up to TK_MEMO_KEY bytes and TK_MEMO_ITEMS
 * items, stored inline (no allocation, nothing to reclaim). Each slot is a seqlock:
 * readers only load (relaxed atomic loads, validated by the sequence number before and
 * after), so concurrent readers never write shared lines; a writer claims a slot with one
 * CAS and gives up if another thread holds it. A torn or busy read is a miss, so nobody
 * ever waits. Memos change speed, never results.
 *
 * Slot (192 bytes, three cache lines): w[0] sequence (odd: being written); w[1] head:
 * tag (low 32 bits, never 0) | key length << 32 | item count << 40 | aux << 48;
 * w[2..9] the key, zero-padded; w[10..17] ids (two per word); w[18..19] starts,
 * w[20..21] ends, w[22..23] words (one byte per item).
 */
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

hfc_status tk_memo_create(size_t capacity, tk_memo **out) {
    *out = NULL;
    if (!capacity) return HFC_OK;
    tk_memo *m = hfc_calloc(1, sizeof *m);
    if (!m) return hfc_fail(HFC_ERR_NOMEM, "out of memory for a token memo");
    size_t n = 16;
    while (n < capacity && n < ((size_t)1 << 22)) n <<= 1;
    m->mem = hfc_calloc(1, n * sizeof(memo_slot) + 64);
    if (!m->mem) {
        hfc_free(m);
        return hfc_fail(HFC_ERR_NOMEM, "out of memory for a token memo");
    }
    m->slots = (memo_slot *)(((uintptr_t)m->mem + 63) & ~(uintptr_t)63);
    m->mask = n - 1;
    *out = m;
    return HFC_OK;
}

void tk_memo_free(tk_memo *m) {
    if (!m) return;
    hfc_free(m->mem);
    hfc_free(m);
}

void tk_memo_clear(tk_memo *m) {
    for (size_t i = 0; m && i <= m->mask; i++)
        atomic_store_explicit(&m->slots[i].w[W_HEAD], 0, memory_order_relaxed);
}

static inline uint64_t mum64(uint64_t a, uint64_t b) {
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* Bytes p[0..n), n < 8, as a zero-padded little-endian word (no reads past p + n). */
static inline uint64_t load_tail(const uint8_t *p, uint32_t n) {
    if (n >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + n - 4, 4);
        return (uint64_t)lo | (uint64_t)hi << (8 * (n - 4)); /* overlap: equal bytes */
    }
    if (n == 0) return 0;
    return (uint64_t)p[0] | (uint64_t)p[n >> 1] << (8 * (n >> 1)) | (uint64_t)p[n - 1] << (8 * (n - 1));
}

static const uint64_t SEEDS[8] = {
    0xa0761d6478bd642full, 0xe7037ed1a0b428dbull, 0x8ebc6af09c88c6e3ull, 0x589965cc75374cc3ull,
    0x1d8e4e27c47d124full, 0xd6e8feb86659fd93ull, 0xcb7b8f2a7e1f5e35ull, 0x9fb21c651e98df25ull,
};

#define LD(p) atomic_load_explicit((p), memory_order_relaxed)
#define ST(p, v) atomic_store_explicit((p), (v), memory_order_relaxed)

bool tk_memo_get(const tk_memo *m, const char *s, uint32_t len, tk_memo_key *key,
                 tk_memo_item *items, uint32_t *n_items, uint32_t *aux) {
    key->slot = NULL;
    if (!m || len > TK_MEMO_KEY) return false;
    const uint8_t *p = (const uint8_t *)s;
    uint64_t *k = key->k;
    uint32_t nw = (len + 7) / 8, i = 0;
    for (; i + 8 <= len; i += 8) memcpy(&k[i / 8], p + i, 8);
    if (i < len) k[i / 8] = load_tail(p + i, len - i);
    uint64_t h = mum64((nw > 0 ? k[0] : 0) ^ SEEDS[0], (nw > 1 ? k[1] : 0) ^ SEEDS[1] ^ len);
    for (uint32_t j = 2; j < nw; j += 2)
        h ^= mum64(k[j] ^ SEEDS[j], (j + 1 < nw ? k[j + 1] : 0) ^ SEEDS[j + 1]);
    h = mum64(h ^ 0x1d8e4e27c47d124full, 0x9E3779B97F4A7C15ull);
    memo_slot *sl = &m->slots[(size_t)h & m->mask];
    key->slot = sl;
    key->head = (uint64_t)((uint32_t)(h >> 32) | 1) | (uint64_t)len << 32;

    _Atomic uint64_t *w = sl->w;
    uint64_t s1 = atomic_load_explicit(&w[W_SEQ], memory_order_acquire);
    if (s1 & 1) return false;
    uint64_t hd = LD(&w[W_HEAD]);
    if ((hd & 0xFFFFFFFFFFull) != key->head) return false;
    uint32_t n = (uint32_t)(hd >> 40) & 0xFF;
    if (n > TK_MEMO_ITEMS) return false; /* torn */
    for (uint32_t j = 0; j < nw; j++)
        if (LD(&w[W_KEY + j]) != k[j]) return false;
    uint64_t st[2], en[2], wd[2];
    for (uint32_t j = 0; j < (n + 7) / 8; j++) {
        st[j] = LD(&w[W_START + j]);
        en[j] = LD(&w[W_END + j]);
        wd[j] = LD(&w[W_WORD + j]);
    }
    for (uint32_t j = 0; j < n; j += 2) {
        uint64_t ids = LD(&w[W_ID + j / 2]);
        items[j].id = (uint32_t)ids;
        items[j + 1].id = (uint32_t)(ids >> 32); /* items has TK_MEMO_ITEMS entries */
    }
    atomic_thread_fence(memory_order_acquire);
    if (LD(&w[W_SEQ]) != s1) return false;
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

void tk_memo_put(tk_memo *m, const tk_memo_key *key, const tk_memo_item *items, uint32_t n,
                 uint32_t aux) {
    memo_slot *sl = key->slot;
    if (!m || !sl || n > TK_MEMO_ITEMS || aux > 0xFFFF) return;
    uint64_t ids[TK_MEMO_ITEMS / 2] = {0}, st[2] = {0}, en[2] = {0}, wd[2] = {0};
    uint8_t *sb = (uint8_t *)st, *eb = (uint8_t *)en, *wb = (uint8_t *)wd;
    for (uint32_t j = 0; j < n; j++) {
        memcpy((char *)ids + 4 * j, &items[j].id, 4);
        sb[j] = items[j].start;
        eb[j] = items[j].end;
        wb[j] = items[j].word;
    }
    uint32_t len = (uint32_t)(key->head >> 32) & 0xFF;
    _Atomic uint64_t *w = sl->w;
    uint64_t s1 = LD(&w[W_SEQ]);
    if ((s1 & 1) || !atomic_compare_exchange_strong_explicit(&w[W_SEQ], &s1, s1 + 1,
                                                             memory_order_relaxed,
                                                             memory_order_relaxed))
        return;
    atomic_thread_fence(memory_order_release);
    ST(&w[W_HEAD], key->head | (uint64_t)n << 40 | (uint64_t)aux << 48);
    for (uint32_t j = 0; j < (len + 7) / 8; j++) ST(&w[W_KEY + j], key->k[j]);
    for (uint32_t j = 0; j < (n + 1) / 2; j++) ST(&w[W_ID + j], ids[j]);
    for (int j = 0; j < 2; j++) {
        ST(&w[W_START + j], st[j]);
        ST(&w[W_END + j], en[j]);
        ST(&w[W_WORD + j], wd[j]);
    }
    atomic_store_explicit(&w[W_SEQ], s1 + 2, memory_order_release);
}

#undef LD
#undef ST
