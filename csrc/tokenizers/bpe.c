/* BPE model (HF models/bpe/model.rs, word.rs, serialization.rs).
 *
 * Tokenizing a piece:
 *   1. ignore_merges: the whole piece in the vocab -> that one token.
 *   2. Split into characters; a non-first char gets continuing_subword_prefix, the last one
 *      end_of_word_suffix; look each up. Unknown: byte_fallback <0xXX> tokens (all bytes
 *      of the affixed char, each of length 1 -- HF counts them so, and emits them before
 *      a pending unk), else unk (fused runs when fuse_unk), else the char is dropped (no
 *      unk_token).
 *   3. merge_all: a min-heap of (rank, position) over adjacent pairs; pop, skip entries
 *      made stale by earlier merges (HF's validity test: the left symbol is alive, has a
 *      right neighbour, and their pair still maps to the entry's new id -- checked by a
 *      table lookup only when the pair differs from the one recorded at push time),
 *      merge, push the pairs formed with the neighbours. Entries with equal (rank, pos)
 *      are the same merge, so any correct heap yields HF's result.
 *   4. Offsets are running sums of symbol byte lengths (so dropped chars shift later
 *      offsets left, as in HF).
 * dropout: null or 0 (or an f32 that rounds to 0) is plain BPE; 1 drops every merge
 * (deterministic: no merges, and ignore_merges is skipped as HF does); anything else is
 * random in HF and refused here.
 *
 * Data: pairs (id_a, id_b) -> (rank, new_id) live in an open-addressing table keyed by
 * the 64-bit pair; symbols are an array linked by prev/next; all per-call memory comes
 * from the ctx arena.
 *
 * Word cache (HF keeps one too; it changes speed, never results): a direct-mapped table
 * of results for words up to CACHE_WORD bytes / CACHE_TOKS tokens, stored inline (no
 * allocation, nothing to reclaim). Each slot has its own try-lock: a reader that finds
 * the slot busy simply computes the word, so threads sharing a model never wait.
 */
#include "tk.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

typedef struct merge_slot {
    uint64_t key;    /* (a << 32) | b */
    uint32_t rank;   /* UINT32_MAX: empty */
    uint32_t new_id;
} merge_slot;

#define CHAR_TABLE 2048 /* direct ids for code points below this (plain, un-affixed) */

#define CACHE_WORD 32     /* longest cached word, bytes */
#define CACHE_TOKS 14     /* most tokens in a cached result */
#define CACHE_DEFAULT 8192 /* slots (128 bytes each) */

typedef struct cache_slot {
    atomic_uint busy;
    uint32_t tag; /* 0: empty */
    uint8_t wlen, ntok;
    uint16_t end[CACHE_TOKS]; /* token end offsets (starts are the previous ends) */
    uint32_t id[CACHE_TOKS];
    char word[CACHE_WORD];
} cache_slot;
_Static_assert(sizeof(cache_slot) == 128, "a cache slot is two cache lines");

struct tk_bpe {
    tk_vocab *vocab;
    merge_slot *merges;
    size_t mmask, nmerges;
    char *unk, *prefix, *suffix; /* NULL when absent */
    uint32_t unk_len, prefix_len, suffix_len;
    int64_t unk_id; /* -1: unk_token not in vocab (an error only once needed) */
    bool fuse_unk, byte_fallback, ignore_merges;
    bool dropout_set;
    float dropout;
    bool no_merges; /* dropout == 1: every merge is dropped */
    int64_t byte_id[256];
    int64_t char_id[CHAR_TABLE];
    cache_slot *cache; /* cache_mask + 1 slots, 64-byte aligned inside cache_mem */
    void *cache_mem;
    size_t cache_mask;
};

/* ------------------------------------------------------------------ merge table */

static inline size_t pair_hash(uint64_t key, size_t mask) {
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 29) & mask;
}

static inline const merge_slot *merge_get(const tk_bpe *m, uint32_t a, uint32_t b) {
    uint64_t key = ((uint64_t)a << 32) | b;
    for (size_t i = pair_hash(key, m->mmask);; i = (i + 1) & m->mmask) {
        const merge_slot *s = &m->merges[i];
        if (s->rank == UINT32_MAX) return NULL;
        if (s->key == key) return s;
    }
}

/* Later duplicates overwrite earlier ones, as collecting into HF's HashMap does. */
static void merge_put(tk_bpe *m, uint32_t a, uint32_t b, uint32_t rank, uint32_t new_id) {
    uint64_t key = ((uint64_t)a << 32) | b;
    size_t i = pair_hash(key, m->mmask);
    while (m->merges[i].rank != UINT32_MAX && m->merges[i].key != key) i = (i + 1) & m->mmask;
    if (m->merges[i].rank == UINT32_MAX) m->nmerges++;
    m->merges[i] = (merge_slot){key, rank, new_id};
}

/* ------------------------------------------------------------------ loading */

void tk_bpe_free(tk_bpe *m) {
    if (!m) return;
    tk_vocab_free(m->vocab);
    hfc_free(m->cache_mem);
    hfc_free(m->merges);
    hfc_free(m->unk);
    hfc_free(m->prefix);
    hfc_free(m->suffix);
    hfc_free(m);
}

static hfc_status opt_string(const hfc_json_doc *doc, const hfc_json_value *v, const char *path,
                             const char *key, char **dst, uint32_t *len) {
    const hfc_json_value *s;
    HFC_TRY(tkm_get_string(doc, v, path, key, false, &s));
    if (!s) return HFC_OK;
    if (!(*dst = tkm_strdup(s))) return HFC_ERR_NOMEM;
    *len = s->len;
    return HFC_OK;
}

static hfc_status opt_bool(const hfc_json_doc *doc, const hfc_json_value *v, const char *path,
                           const char *key, bool *dst) {
    return tkm_get_bool(doc, v, path, key, false, NULL, dst);
}

static hfc_status read_dropout(tk_bpe *m, const hfc_json_doc *doc, const hfc_json_value *v,
                               const char *path) {
    const hfc_json_value *d = hfc_json_getz(v, "dropout");
    if (!d || d->type == HFC_JSON_NULL) return HFC_OK;
    char p[512];
    tkm_path(p, sizeof p, path, "dropout");
    double x;
    if (d->type == HFC_JSON_INT) x = (double)d->u.i;
    else if (d->type == HFC_JSON_DOUBLE) x = d->u.d;
    else return hfc_json_fail_at(doc, d, p, "expected a number or null, got %s",
                                 hfc_json_type_name((hfc_json_type)d->type));
    float f = (float)x; /* HF keeps an f32 */
    if (!(f >= 0.0f && f <= 1.0f))
        return hfc_json_fail_at(doc, d, p, "Dropout should be between 0 and 1, inclusive");
    m->dropout_set = true;
    m->dropout = f;
    if (f == 1.0f) m->no_merges = true; /* random() < 1.0 always: deterministic */
    else if (f != 0.0f) {
        hfc_json_fail_at(doc, d, p, "BPE dropout is not supported at inference (dropout=%g)", x);
        return HFC_ERR_UNSUPPORTED;
    }
    return HFC_OK;
}

static hfc_status merge_error(const hfc_json_doc *doc, const hfc_json_value *at,
                              const char *path, uint32_t index, const char *fmt, int n,
                              const char *tok) {
    char p[512];
    tkm_path_index(p, sizeof p, path, index);
    return hfc_json_fail_at(doc, at, p, fmt, n, tok);
}

/* One merge "a b": look up a, b and a + b[prefix_len..] (HF strips the prefix's length
 * from b whether or not b starts with it). */
static hfc_status add_merge(tk_bpe *m, const hfc_json_doc *doc, const hfc_json_value *at,
                            const char *path, uint32_t index, const char *a, uint32_t alen,
                            const char *b, uint32_t blen, uint32_t rank, char **buf,
                            size_t *bufcap) {
    static const char oov[] = "Token `%.*s` out of vocabulary";
    int64_t ia = tk_vocab_get(m->vocab, a, alen);
    if (ia < 0) return merge_error(doc, at, path, index, oov, (int)alen, a);
    int64_t ib = tk_vocab_get(m->vocab, b, blen);
    if (ib < 0) return merge_error(doc, at, path, index, oov, (int)blen, b);
    uint32_t pl = m->prefix ? m->prefix_len : 0;
    if (blen < pl)
        return merge_error(doc, at, path, index,
                           "merge token `%.*s` is shorter than continuing_subword_prefix",
                           (int)blen, b);
    size_t n = (size_t)alen + blen - pl;
    if (n > *bufcap) {
        void *q = *buf;
        HFC_TRY(hfc_grow(&q, bufcap, n, 1));
        *buf = q;
    }
    memcpy(*buf, a, alen);
    memcpy(*buf + alen, b + pl, blen - pl);
    int64_t inew = tk_vocab_get(m->vocab, *buf, (uint32_t)n);
    if (inew < 0) return merge_error(doc, at, path, index, oov, (int)n, *buf);
    merge_put(m, (uint32_t)ia, (uint32_t)ib, rank, (uint32_t)inew);
    return HFC_OK;
}

/* Software pipelining of the merge lookups (the loop is bound by cache misses): for a
 * merge some iterations ahead, prefetch the vocab slots of a, b and their concatenation. */
static void prefetch_merge(const tk_bpe *m, const hfc_json_value *e, bool legacy) {
    const char *a, *b;
    uint32_t alen, blen;
    if (!legacy) {
        a = e->u.items[0].u.s;
        alen = e->u.items[0].len;
        b = e->u.items[1].u.s;
        blen = e->u.items[1].len;
    } else {
        const char *sp = memchr(e->u.s, ' ', e->len);
        if (!sp) return;
        a = e->u.s;
        alen = (uint32_t)(sp - e->u.s);
        b = sp + 1;
        blen = e->len - alen - 1;
    }
    tk_vocab_prefetch(m->vocab, a, alen);
    tk_vocab_prefetch(m->vocab, b, blen);
    uint32_t pl = m->prefix ? m->prefix_len : 0;
    char cat[64];
    if (blen >= pl && (size_t)alen + blen - pl <= sizeof cat) {
        memcpy(cat, a, alen);
        memcpy(cat + alen, b + pl, blen - pl);
        tk_vocab_prefetch(m->vocab, cat, alen + blen - pl);
    }
}

/* merges: ["a b", ...] (legacy: lines starting "#version" skipped, each must split on ' '
 * into exactly two parts) or [["a", "b"], ...]; an empty list is either. */
static hfc_status read_merges(tk_bpe *m, const hfc_json_doc *doc, const hfc_json_value *ms,
                              const char *path) {
    char p[512];
    if (ms->type != HFC_JSON_ARRAY)
        return hfc_json_fail_at(doc, ms, path, "expected a list of merges, got %s",
                                hfc_json_type_name((hfc_json_type)ms->type));
    bool legacy = ms->len && ms->u.items[0].type == HFC_JSON_STRING;
    for (uint32_t i = 0; i < ms->len; i++) {
        const hfc_json_value *e = &ms->u.items[i];
        bool ok = legacy ? e->type == HFC_JSON_STRING
                         : e->type == HFC_JSON_ARRAY && e->len == 2 &&
                               e->u.items[0].type == HFC_JSON_STRING &&
                               e->u.items[1].type == HFC_JSON_STRING;
        if (!ok) {
            tkm_path_index(p, sizeof p, path, i);
            return hfc_json_fail_at(doc, e, p,
                                    "expected every merge to be a \"a b\" string or every "
                                    "merge an [\"a\", \"b\"] pair");
        }
    }
    size_t cap = 16;
    while (cap < (size_t)ms->len + ms->len / 2 + 1) cap <<= 1;
    m->merges = hfc_malloc(cap * sizeof *m->merges);
    if (!m->merges) return hfc_fail(HFC_ERR_NOMEM, "out of memory for %u merges", ms->len);
    memset(m->merges, 0xFF, cap * sizeof *m->merges);
    m->mmask = cap - 1;

    char *buf = NULL;
    size_t bufcap = 0;
    hfc_status st = HFC_OK;
    uint32_t rank = 0;
    for (uint32_t i = 0; i < ms->len && st == HFC_OK; i++) {
        const hfc_json_value *e = &ms->u.items[i];
        if (i + 16 < ms->len) prefetch_merge(m, &ms->u.items[i + 16], legacy);
        if (!legacy) {
            const hfc_json_value *a = &e->u.items[0], *b = &e->u.items[1];
            st = add_merge(m, doc, e, path, i, a->u.s, a->len, b->u.s, b->len, rank++, &buf,
                           &bufcap);
            continue;
        }
        if (e->len >= 8 && memcmp(e->u.s, "#version", 8) == 0) continue;
        const char *sp = memchr(e->u.s, ' ', e->len);
        if (!sp || memchr(sp + 1, ' ', e->len - (size_t)(sp + 1 - e->u.s))) {
            tkm_path_index(p, sizeof p, path, i);
            st = hfc_json_fail_at(doc, e, p, "Merges text file invalid at line %u", rank + 1);
            break;
        }
        uint32_t alen = (uint32_t)(sp - e->u.s);
        st = add_merge(m, doc, e, path, i, e->u.s, alen, sp + 1, e->len - alen - 1, rank++,
                       &buf, &bufcap);
    }
    hfc_free(buf);
    return st;
}

static void build_tables(tk_bpe *m) {
    for (int b = 0; b < 256; b++) {
        char code[8];
        snprintf(code, sizeof code, "<0x%02X>", b);
        m->byte_id[b] = tk_vocab_get(m->vocab, code, 6);
    }
    for (uint32_t cp = 0; cp < CHAR_TABLE; cp++) {
        uint8_t u[4];
        int n = tk_utf8_encode(cp, u);
        m->char_id[cp] = tk_vocab_get(m->vocab, (const char *)u, (uint32_t)n);
    }
    m->unk_id = m->unk ? tk_vocab_get(m->vocab, m->unk, m->unk_len) : -1;
}

hfc_status tk_bpe_from_json(const hfc_json_doc *doc, const hfc_json_value *v,
                            const char *path, tk_bpe **out) {
    *out = NULL;
    const hfc_json_value *type = hfc_json_getz(v, "type");
    if (type && !hfc_json_str_eq(type, "BPE", 3)) {
        char p[512];
        tkm_path(p, sizeof p, path, "type");
        return hfc_json_fail_at(doc, type, p, "invalid value: expected BPE");
    }
    const hfc_json_value *voc = hfc_json_getz(v, "vocab"), *ms = hfc_json_getz(v, "merges");
    if (!voc || !ms) return hfc_json_fail_at(doc, v, path, "Missing vocab/merges");

    tk_bpe *m = hfc_calloc(1, sizeof *m);
    if (!m) return hfc_fail(HFC_ERR_NOMEM, "out of memory creating a BPE model");
    hfc_status st;
    char p[512];
    if ((st = read_dropout(m, doc, v, path)) != HFC_OK ||
        (st = opt_string(doc, v, path, "unk_token", &m->unk, &m->unk_len)) != HFC_OK ||
        (st = opt_string(doc, v, path, "continuing_subword_prefix", &m->prefix,
                         &m->prefix_len)) != HFC_OK ||
        (st = opt_string(doc, v, path, "end_of_word_suffix", &m->suffix, &m->suffix_len)) !=
            HFC_OK ||
        (st = opt_bool(doc, v, path, "fuse_unk", &m->fuse_unk)) != HFC_OK ||
        (st = opt_bool(doc, v, path, "byte_fallback", &m->byte_fallback)) != HFC_OK ||
        (st = opt_bool(doc, v, path, "ignore_merges", &m->ignore_merges)) != HFC_OK)
        goto fail;
    tkm_path(p, sizeof p, path, "vocab");
    if ((st = tkm_vocab_from_json(doc, voc, p, &m->vocab)) != HFC_OK) goto fail;
    tkm_path(p, sizeof p, path, "merges");
    if ((st = read_merges(m, doc, ms, p)) != HFC_OK) goto fail;
    build_tables(m);
    if ((st = tk_bpe_resize_cache(m, CACHE_DEFAULT)) != HFC_OK) goto fail;
    *out = m;
    return HFC_OK;
fail:
    tk_bpe_free(m);
    return st;
}

const tk_vocab *tk_bpe_vocab(const tk_bpe *m) { return m->vocab; }

const char *tk_bpe_unk_token(const tk_bpe *m, uint32_t *len) {
    if (len) *len = m->unk ? m->unk_len : 0;
    return m->unk;
}

/* ------------------------------------------------------------------ the word */

typedef struct sym {
    uint32_t id;
    int32_t prev, next; /* -1: none */
    uint32_t len;       /* bytes; 0 = merged away */
} sym;

typedef struct word {
    sym *s;
    uint32_t n;
} word;

static inline void word_add(word *w, uint32_t id, uint32_t len) {
    int32_t k = (int32_t)w->n;
    if (k) w->s[k - 1].next = k;
    w->s[k] = (sym){id, k - 1, -1, len};
    w->n++;
}

typedef struct hentry {
    uint64_t key;           /* (rank << 32) | pos: min first */
    uint32_t new_id;
    uint32_t left, right;   /* the pair when pushed: unchanged pair = still valid */
} hentry;

/* A binary min-heap in the ctx arena; it grows on demand (it usually stays near the
 * word's symbol count, far below the 3n worst case). */
typedef struct heap {
    hentry *v;
    size_t n, cap;
} heap;

static hfc_status heap_reserve(tk_ctx *c, heap *h, size_t need) {
    if (need <= h->cap) return HFC_OK;
    size_t ncap = h->cap * 2 > need ? h->cap * 2 : need;
    hentry *nv = tk_alloc(c, ncap * sizeof *nv);
    if (!nv) return HFC_ERR_NOMEM;
    if (h->n) memcpy(nv, h->v, h->n * sizeof *nv);
    h->v = nv;
    h->cap = ncap;
    return HFC_OK;
}

static inline void heap_push(heap *hp, hentry e) {
    hentry *h = hp->v;
    size_t i = hp->n++;
    while (i) {
        size_t parent = (i - 1) / 2;
        if (h[parent].key <= e.key) break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = e;
}

static inline hentry heap_pop(heap *hp) {
    hentry *h = hp->v;
    hentry top = h[0], last = h[--hp->n];
    size_t i = 0, cnt = hp->n;
    for (;;) {
        size_t l = 2 * i + 1;
        if (l >= cnt) break;
        size_t r = l + 1, c = r < cnt && h[r].key < h[l].key ? r : l;
        if (h[c].key >= last.key) break;
        h[i] = h[c];
        i = c;
    }
    if (cnt) h[i] = last;
    return top;
}

/* Queue the pair (pos, next of pos) if it is a merge; the heap has room for it. */
static inline void push_pair(const tk_bpe *m, heap *h, const word *w, int32_t pos) {
    uint32_t a = w->s[pos].id, b = w->s[w->s[pos].next].id;
    const merge_slot *ms = merge_get(m, a, b);
    if (ms) heap_push(h, (hentry){((uint64_t)ms->rank << 32) | (uint32_t)pos, ms->new_id, a, b});
}

/* HF Word::merge_all without dropout. */
static hfc_status merge_all(const tk_bpe *m, tk_ctx *c, word *w) {
    if (w->n < 2) return HFC_OK;
    heap h = {0};
    HFC_TRY(heap_reserve(c, &h, (size_t)w->n + 15));
    for (uint32_t i = 0; i + 1 < w->n; i++) push_pair(m, &h, w, (int32_t)i);
    while (h.n) {
        hentry top = heap_pop(&h);
        int32_t pos = (int32_t)(uint32_t)top.key;
        sym *cur = &w->s[pos];
        if (cur->len == 0 || cur->next == -1) continue;
        sym *right = &w->s[cur->next];
        if (cur->id != top.left || right->id != top.right) { /* pair changed: HF's test */
            const merge_slot *ms = merge_get(m, cur->id, right->id);
            if (!ms || ms->new_id != top.new_id) continue; /* stale */
        }
        cur->id = top.new_id;
        cur->len += right->len;
        cur->next = right->next;
        right->len = 0;
        if (cur->next != -1) w->s[cur->next].prev = pos;
        HFC_TRY(heap_reserve(c, &h, h.n + 2));
        if (cur->prev >= 0) push_pair(m, &h, w, cur->prev);
        if (cur->next != -1) push_pair(m, &h, w, pos);
    }
    return HFC_OK;
}

/* ------------------------------------------------------------------ tokenize */

static hfc_status unk_missing(const tk_bpe *m) {
    return hfc_fail(HFC_ERR_INVALID, "Unk token `%.*s` not found in the vocabulary",
                    (int)m->unk_len, m->unk);
}

/* Step 2 of the file comment: chars -> symbols. */
static hfc_status split_word(const tk_bpe *m, tk_ctx *c, const char *s, uint32_t len, word *w) {
    bool use_prefix = m->prefix && m->prefix_len, use_suffix = m->suffix && m->suffix_len;
    size_t affix = (use_prefix ? m->prefix_len : 0) + (use_suffix ? m->suffix_len : 0);
    /* bound: byte_fallback emits one symbol per byte of each (affixed) char */
    size_t cap = (size_t)len * (1 + (use_prefix ? m->prefix_len : 0)) + affix + 1;
    w->s = tk_alloc(c, cap * sizeof *w->s);
    w->n = 0;
    char *buf = affix ? tk_alloc(c, affix + 4) : NULL;
    if (!w->s || (affix && !buf)) return HFC_ERR_NOMEM;

    const uint8_t *u = (const uint8_t *)s;
    bool unk_pending = false;
    uint32_t unk_id = 0, unk_len = 0;
    for (uint32_t i = 0; i < len;) {
        int cl;
        uint32_t cp = tk_utf8_decode(u + i, len - i, &cl);
        uint32_t blen = (uint32_t)cl;
        if (blen > len - i) blen = len - i;
        bool first = i == 0, last = i + blen >= len;
        const char *key = s + i;
        uint32_t klen = blen;
        int64_t id;
        if ((use_prefix && !first) || (use_suffix && last)) {
            klen = 0;
            if (use_prefix && !first) {
                memcpy(buf, m->prefix, m->prefix_len);
                klen = m->prefix_len;
            }
            memcpy(buf + klen, s + i, blen);
            klen += blen;
            if (use_suffix && last) {
                memcpy(buf + klen, m->suffix, m->suffix_len);
                klen += m->suffix_len;
            }
            key = buf;
            id = tk_vocab_get(m->vocab, key, klen);
        } else {
            id = cp < CHAR_TABLE && blen == (uint32_t)cl ? m->char_id[cp]
                                                          : tk_vocab_get(m->vocab, key, klen);
        }
        i += blen;
        if (id >= 0) {
            if (unk_pending) { word_add(w, unk_id, unk_len); unk_pending = false; }
            word_add(w, (uint32_t)id, blen);
            continue;
        }
        if (m->byte_fallback) {
            bool all = true;
            for (uint32_t k = 0; k < klen && all; k++) all = m->byte_id[(uint8_t)key[k]] >= 0;
            if (all) { /* HF adds these without flushing a pending unk first */
                for (uint32_t k = 0; k < klen; k++)
                    word_add(w, (uint32_t)m->byte_id[(uint8_t)key[k]], 1);
                continue;
            }
        }
        if (!m->unk) continue; /* no unk token: the char is dropped */
        if (unk_pending && m->fuse_unk) {
            unk_len += blen;
            continue;
        }
        if (unk_pending) word_add(w, unk_id, unk_len);
        if (m->unk_id < 0) return unk_missing(m);
        unk_pending = true;
        unk_id = (uint32_t)m->unk_id;
        unk_len = blen;
    }
    if (unk_pending) word_add(w, unk_id, unk_len);
    return HFC_OK;
}

/* ------------------------------------------------------------------ word cache */

hfc_status tk_bpe_resize_cache(tk_bpe *m, size_t capacity) {
    hfc_free(m->cache_mem);
    m->cache_mem = NULL;
    m->cache = NULL;
    m->cache_mask = 0;
    if (!capacity) return HFC_OK;
    size_t slots = 16;
    while (slots < capacity && slots < ((size_t)1 << 24)) slots <<= 1;
    m->cache_mem = hfc_calloc(1, slots * sizeof(cache_slot) + 64);
    if (!m->cache_mem) return hfc_fail(HFC_ERR_NOMEM, "out of memory for a BPE word cache");
    m->cache = (cache_slot *)(((uintptr_t)m->cache_mem + 63) & ~(uintptr_t)63);
    m->cache_mask = slots - 1;
    return HFC_OK;
}

void tk_bpe_clear_cache(tk_bpe *m) {
    for (size_t i = 0; m->cache && i <= m->cache_mask; i++) m->cache[i].tag = 0;
}

static inline bool slot_lock(cache_slot *sl) {
    return !atomic_exchange_explicit(&sl->busy, 1, memory_order_acquire);
}
static inline void slot_unlock(cache_slot *sl) {
    atomic_store_explicit(&sl->busy, 0, memory_order_release);
}

/* 1: hit, tokens pushed; 0: miss; <0: push failed (status in *st). */
static int cache_get(cache_slot *sl, uint32_t tag, tk_ctx *c, const char *s, uint32_t len,
                     tk_tokens *out, hfc_status *st) {
    if (!slot_lock(sl)) return 0;
    bool hit = sl->tag == tag && sl->wlen == len && memcmp(sl->word, s, len) == 0;
    uint32_t id[CACHE_TOKS];
    uint16_t end[CACHE_TOKS];
    uint8_t n = 0;
    if (hit) {
        n = sl->ntok;
        memcpy(id, sl->id, n * sizeof *id);
        memcpy(end, sl->end, n * sizeof *end);
    }
    slot_unlock(sl);
    if (!hit) return 0;
    uint32_t start = 0;
    for (uint8_t i = 0; i < n; i++) {
        if ((*st = tk_tokens_push(c, out, id[i], start, end[i])) != HFC_OK) return -1;
        start = end[i];
    }
    return 1;
}

static void cache_put(cache_slot *sl, uint32_t tag, const char *s, uint32_t len,
                      const tk_token *t, size_t n) {
    if (n > CACHE_TOKS || !slot_lock(sl)) return;
    sl->tag = tag;
    sl->wlen = (uint8_t)len;
    sl->ntok = (uint8_t)n;
    memcpy(sl->word, s, len);
    for (size_t i = 0; i < n; i++) {
        sl->id[i] = t[i].id;
        sl->end[i] = (uint16_t)t[i].end;
    }
    slot_unlock(sl);
}

/* ------------------------------------------------------------------ tokenize */

hfc_status tk_bpe_tokenize(const tk_bpe *m, tk_ctx *c, const char *s, uint32_t len,
                           tk_tokens *out) {
    if (len == 0) return HFC_OK;
    if (m->ignore_merges && !m->no_merges) {
        int64_t id = tk_vocab_get(m->vocab, s, len);
        if (id >= 0) return tk_tokens_push(c, out, (uint32_t)id, 0, len);
    }
    cache_slot *sl = NULL;
    uint32_t tag = 0;
    if (m->cache && len <= CACHE_WORD) {
        uint64_t h = tk_hash_bytes(s, len);
        sl = &m->cache[(size_t)h & m->cache_mask];
        tag = (uint32_t)(h >> 32) | 1;
        hfc_status st = HFC_OK;
        int r = cache_get(sl, tag, c, s, len, out, &st);
        if (r) return st;
    }
    word w;
    HFC_TRY(split_word(m, c, s, len, &w));
    if (!m->no_merges) HFC_TRY(merge_all(m, c, &w));
    size_t first = out->n;
    uint32_t pos = 0;
    for (uint32_t i = 0; i < w.n; i++) {
        if (!w.s[i].len) continue;
        HFC_TRY(tk_tokens_push(c, out, w.s[i].id, pos, pos + w.s[i].len));
        pos += w.s[i].len;
    }
    if (sl && pos <= UINT16_MAX) cache_put(sl, tag, s, len, out->v + first, out->n - first);
    return HFC_OK;
}
