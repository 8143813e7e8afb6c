/* tk_memo: a shared, lock-free memo of short strings -> short token lists (tk.h).
 *
 * A table of results for keys up to TK_MEMO_KEY bytes and TK_MEMO_ITEMS
 * items, stored inline (no allocation, nothing to reclaim). Each slot is a seqlock:
 * readers only load (relaxed atomic loads, validated by the sequence number before and
 * after), so concurrent readers never write shared lines; a writer claims a slot with one
 * CAS and gives up if another thread holds it. A torn or busy read is a miss, so nobody
 * ever waits. Memos change speed, never results.
 *
 * Two-way: a key lives in either slot of the pair its hash picks (a miss checks both).
 *
 * Slot (W_N words; 192 bytes, three cache lines, for the default 64-byte keys and 16
 * items): w[0] sequence (odd: being written); w[1] head: tag (low 32 bits, never 0) |
 * key length << 32 | item count << 40 | aux << 48; then the key, zero-padded; the ids
 * (two per word); starts, ends, words (one byte per item). A wide memo has the same
 * layout with room for TK_MEMO_WIDE_KEY bytes and TK_MEMO_WIDE_ITEMS items.
 */
#include "memo.h"

static hfc_status memo_create(size_t capacity, uint32_t key_words, uint32_t items, tk_memo **out) {
    *out = NULL;
    if (!capacity) return HFC_OK;
    tk_memo *m = hfc_calloc(1, sizeof *m);
    if (!m) return hfc_fail(HFC_ERR_NOMEM, "out of memory for a token memo");
    m->key_words = key_words;
    m->items = items;
    m->words = W_N(key_words, items);
    size_t n = 16;
    while (n < capacity && n < ((size_t)1 << 22)) n <<= 1;
    m->mem = hfc_calloc(1, n * m->words * 8 + 64);
    if (!m->mem) {
        hfc_free(m);
        return hfc_fail(HFC_ERR_NOMEM, "out of memory for a token memo");
    }
    m->slots = (_Atomic uint64_t *)(((uintptr_t)m->mem + 63) & ~(uintptr_t)63);
    m->mask = n - 1;
    *out = m;
    return HFC_OK;
}

hfc_status tk_memo_create(size_t capacity, tk_memo **out) {
    return memo_create(capacity, TK_MEMO_KEY / 8, TK_MEMO_ITEMS, out);
}

hfc_status tk_memo_create_wide(size_t capacity, tk_memo **out) {
    return memo_create(capacity, TK_MEMO_WIDE_KEY / 8, TK_MEMO_WIDE_ITEMS, out);
}

void tk_memo_free(tk_memo *m) {
    if (!m) return;
    hfc_free(m->mem);
    hfc_free(m);
}

void tk_memo_clear(tk_memo *m) {
    for (size_t i = 0; m && i <= m->mask; i++)
        atomic_store_explicit(&m->slots[i * m->words + W_HEAD], 0, memory_order_relaxed);
}

void tk_memo_put(tk_memo *m, const tk_memo_key *key, const tk_memo_item *items, uint32_t n,
                 uint32_t aux) {
    _Atomic uint64_t *pair = key->slot;
    if (!m || !pair || n > m->items || aux > 0xFFFF) return;
    const uint32_t KW = m->key_words, MI = m->items;
    /* the way: an empty one, else one chosen by the hash (no recency kept: readers never
     * write) */
    _Atomic uint64_t *w = pair + ((key->head >> 8) & 1) * m->words;
    for (int way = 0; way < 2; way++)
        if (!(memo_ld(&pair[way * m->words + W_HEAD]) & 0xFFFFFFFFull)) w = pair + way * m->words;
    uint64_t ids[TK_MEMO_WIDE_ITEMS / 2] = {0}, st[TK_MEMO_WIDE_ITEMS / 8] = {0},
             en[TK_MEMO_WIDE_ITEMS / 8] = {0}, wd[TK_MEMO_WIDE_ITEMS / 8] = {0};
    uint8_t *sb = (uint8_t *)st, *eb = (uint8_t *)en, *wb = (uint8_t *)wd;
    for (uint32_t j = 0; j < n; j++) {
        memcpy((char *)ids + 4 * j, &items[j].id, 4);
        sb[j] = items[j].start;
        eb[j] = items[j].end;
        wb[j] = items[j].word;
    }
    uint32_t len = (uint32_t)(key->head >> 32) & 0xFF;
    uint64_t s1 = memo_ld(&w[W_SEQ]);
    if ((s1 & 1) || !atomic_compare_exchange_strong_explicit(&w[W_SEQ], &s1, s1 + 1,
                                                             memory_order_relaxed,
                                                             memory_order_relaxed))
        return;
    atomic_thread_fence(memory_order_release);
    memo_st(&w[W_HEAD], key->head | (uint64_t)n << 40 | (uint64_t)aux << 48);
    for (uint32_t j = 0; j < (len + 7) / 8; j++) memo_st(&w[W_KEY + j], key->k[j]);
    for (uint32_t j = 0; j < (n + 1) / 2; j++) memo_st(&w[W_ID(KW) + j], ids[j]);
    for (uint32_t j = 0; j < (n + 7) / 8; j++) {
        memo_st(&w[W_START(KW, MI) + j], st[j]);
        memo_st(&w[W_END(KW, MI) + j], en[j]);
        memo_st(&w[W_WORD(KW, MI) + j], wd[j]);
    }
    atomic_store_explicit(&w[W_SEQ], s1 + 2, memory_order_release);
}
