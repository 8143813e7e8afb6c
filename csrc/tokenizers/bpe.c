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
 * Word cache (HF keeps one too; it changes speed, never results): a tk_memo (memo.c) of
 * results for words up to TK_MEMO_KEY bytes / TK_MEMO_ITEMS tokens.
 *
 * Segments (SentencePiece-style models with no pre-tokenizer, e.g. Llama 2, which BPE
 * whole lines): when the merge table provably never joins a symbol ending before a
 * "\u2581" with one starting at it (checked once at load, see build_segmenting), the
 * piece is cut before every "\u2581" that does not follow another one; each segment
 * then merges independently with the same result, stays short and hits the cache.
 */
#include "tk.h"
#include "memo.h"

#include <stdio.h>
#include <string.h>

typedef struct merge_slot {
    uint64_t key;    /* (a << 32) | b */
    uint32_t rank;   /* UINT32_MAX: empty */
    uint32_t new_id;
} merge_slot;

#define CHAR_TABLE 2048 /* direct ids for code points below this (plain, un-affixed) */

#define CACHE_DEFAULT 8192 /* memo slots */

struct tk_bpe {
    tk_vocab *vocab;
    merge_slot *merges;
    void *merges_block; /* merges is its 2 MiB-aligned part */
    size_t mmask, nmerges;
    uint64_t *bloom; /* a blocked Bloom filter of the merge pairs (see merge_get) */
    unsigned bloom_shift;
    char *unk, *prefix, *suffix; /* NULL when absent */
    uint32_t unk_len, prefix_len, suffix_len;
    int64_t unk_id; /* -1: unk_token not in vocab (an error only once needed) */
    bool fuse_unk, byte_fallback, ignore_merges;
    bool dropout_set;
    float dropout;
    bool no_merges; /* dropout == 1: every merge is dropped */
    int64_t byte_id[256];
    int64_t char_id[CHAR_TABLE];
    tk_memo *cache; /* word cache, NULL when disabled */
    tk_memo *wide;  /* the same for longer words */
    bool segment;  /* cut pieces before U+2581 (see the file comment) */
    uint32_t nranks; /* ranks are below this */
    const merge_slot **dense; /* DENSE_IDS^2: the slot of each pair of ids below DENSE_IDS */
};

#define DENSE_IDS 256

/* ------------------------------------------------------------------ merge table */

static inline size_t pair_hash(uint64_t key, size_t mask) {
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 29) & mask;
}

/* Half the pairs a long word looks up are no merge. A blocked Bloom filter of the merge
 * pairs (one 64-bit word per pair, two bits in it; about 12 bits per merge, so it stays
 * in L2) answers most of those without touching the table, which is megabytes for
 * today's vocabularies and costs a cache miss per lookup. */
static inline uint64_t bloom_hash(uint64_t key) { return key * 0xC2B2AE3D27D4EB4Full; }
static inline uint64_t bloom_bits(uint64_t h) {
    return (1ull << (h & 63)) | (1ull << ((h >> 6) & 63));
}

static inline const merge_slot *merge_get(const tk_bpe *m, uint32_t a, uint32_t b) {
    if ((a | b) < DENSE_IDS) return m->dense[a * DENSE_IDS + b];
    uint64_t key = ((uint64_t)a << 32) | b, h = bloom_hash(key), bits = bloom_bits(h);
    if ((m->bloom[h >> m->bloom_shift] & bits) != bits) return NULL;
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
    tk_memo_free(m->cache);
    tk_memo_free(m->wide);
    hfc_free(m->merges_block);
    hfc_free(m->bloom);
    hfc_free(m->dense);
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
    size_t tbytes = cap * sizeof *m->merges, huge = tbytes >= HFC_HUGE_PAGE ? HFC_HUGE_PAGE : 0;
    m->merges_block = hfc_malloc(tbytes + huge);
    if (!m->merges_block) return hfc_fail(HFC_ERR_NOMEM, "out of memory for %u merges", ms->len);
    m->merges = huge ? (merge_slot *)(((uintptr_t)m->merges_block + huge - 1) & ~(uintptr_t)(huge - 1))
                     : m->merges_block;
    if (huge) hfc_advise_huge(m->merges, tbytes);
    memset(m->merges, 0xFF, cap * sizeof *m->merges);
    m->mmask = cap - 1;
    /* prefetching pays for its hashing only when the vocabulary outgrows the caches */
    bool prefetch = tk_vocab_size(m->vocab) > 65536;

    char *buf = NULL;
    size_t bufcap = 0;
    hfc_status st = HFC_OK;
    uint32_t rank = 0;
    for (uint32_t i = 0; i < ms->len && st == HFC_OK; i++) {
        const hfc_json_value *e = &ms->u.items[i];
        if (prefetch && i + 16 < ms->len) prefetch_merge(m, &ms->u.items[i + 16], legacy);
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
    m->nranks = rank;
    return st;
}

/* The filter of merge_get. */
static hfc_status build_bloom(tk_bpe *m) {
    unsigned lg = 7; /* log2 of the filter's bits: at least 12 per merge, two words */
    while (lg < 40 && ((size_t)1 << lg) < 12 * m->nmerges) lg++;
    m->bloom = hfc_calloc((size_t)1 << (lg - 6), sizeof *m->bloom);
    if (!m->bloom) return hfc_fail(HFC_ERR_NOMEM, "out of memory for the merge filter");
    m->bloom_shift = 64 - (lg - 6);
    for (size_t i = 0; i <= m->mmask; i++) {
        if (m->merges[i].rank == UINT32_MAX) continue;
        uint64_t h = bloom_hash(m->merges[i].key);
        m->bloom[h >> m->bloom_shift] |= bloom_bits(h);
    }
    return HFC_OK;
}

/* The slots of the pairs of two ids below DENSE_IDS (byte-level BPE's single bytes: a
 * word's first pairs) in a direct table: its commonest lookups skip hashing and filter. */
static hfc_status build_dense(tk_bpe *m) {
    m->dense = hfc_calloc((size_t)DENSE_IDS * DENSE_IDS, sizeof *m->dense);
    if (!m->dense) return hfc_fail(HFC_ERR_NOMEM, "out of memory for the merge table");
    for (size_t i = 0; i <= m->mmask; i++) {
        const merge_slot *s = &m->merges[i];
        if (s->rank == UINT32_MAX) continue;
        uint32_t a = (uint32_t)(s->key >> 32), b = (uint32_t)s->key;
        if ((a | b) < DENSE_IDS) m->dense[a * DENSE_IDS + b] = s;
    }
    return HFC_OK;
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

/* May pieces be cut before U+2581 (the file comment)? A cut at p (a U+2581 not after
 * another) changes nothing iff no merge ever joins a symbol ending at p with one
 * starting at p. By induction over merges: L = ids a symbol ending in a char other than
 * U+2581 can have (initially: every id with some string not ending in U+2581, the byte
 * fallback ids and unk; a merge (a, b) -> n puts n in L when b is), R = ids a symbol
 * starting with the U+2581 char can have (initially the id of "\u2581"; n joins R when a
 * is). Cutting is exact when no merge has a in L and b in R, and the char itself is in
 * the vocab (so it is never unk or bytes, and a pending unk is flushed before it). */
static hfc_status build_segmenting(tk_bpe *m) {
    m->segment = false;
    if (m->ignore_merges || (m->prefix && m->prefix_len) || (m->suffix && m->suffix_len))
        return HFC_OK;
    /* a dropped char (no unk token, no byte tokens) could expose a symbol ending in U+2581 */
    bool all_bytes = m->byte_fallback;
    for (int b = 0; b < 256 && all_bytes; b++) all_bytes = m->byte_id[b] >= 0;
    if (!m->unk && !all_bytes) return HFC_OK;
    int64_t mark = tk_vocab_get(m->vocab, "\xE2\x96\x81", 3);
    uint32_t nid = tk_vocab_max_id(m->vocab);
    if (mark < 0 || nid == 0 || nid > (1u << 24)) return HFC_OK;
    uint8_t *f = hfc_calloc(nid, 1); /* bit 0: in L, bit 1: in R */
    if (!f) return hfc_fail(HFC_ERR_NOMEM, "out of memory loading a BPE model");
    const char *tok;
    uint32_t tlen, id;
    for (size_t i = 0; tk_vocab_entry(m->vocab, i, &tok, &tlen, &id); i++)
        if (!(tlen >= 3 && memcmp(tok + tlen - 3, "\xE2\x96\x81", 3) == 0)) f[id] |= 1;
    for (int b = 0; b < 256; b++)
        if (m->byte_id[b] >= 0) f[m->byte_id[b]] |= 1;
    if (m->unk_id >= 0) f[m->unk_id] |= 1;
    f[mark] |= 2;
    /* the merges in rank order (holes: ranks a later duplicate replaced): in a trained
     * list a merge's parts are made by earlier merges, so one pass reaches the fixed point
     * and a second confirms it */
    uint32_t (*by_rank)[3] = hfc_malloc((size_t)m->nranks * sizeof *by_rank + 1);
    if (!by_rank) {
        hfc_free(f);
        return hfc_fail(HFC_ERR_NOMEM, "out of memory loading a BPE model");
    }
    memset(by_rank, 0xFF, (size_t)m->nranks * sizeof *by_rank);
    bool bad = false; /* an id out of range, or no fixed point in 200 passes: no cuts */
    for (size_t i = 0; i <= m->mmask; i++) {
        const merge_slot *ms = &m->merges[i];
        if (ms->rank == UINT32_MAX) continue;
        uint32_t a = (uint32_t)(ms->key >> 32), b = (uint32_t)ms->key, n = ms->new_id;
        if (a >= nid || b >= nid || n >= nid || ms->rank >= m->nranks) bad = true;
        else memcpy(by_rank[ms->rank], (uint32_t[3]){a, b, n}, sizeof *by_rank);
    }
    for (int pass = 0; !bad; pass++) {
        if (pass == 200) {
            bad = true;
            break;
        }
        bool changed = false;
        for (uint32_t r = 0; r < m->nranks; r++) {
            uint32_t a = by_rank[r][0], b = by_rank[r][1], n = by_rank[r][2];
            if (a == UINT32_MAX) continue;
            uint8_t add = (uint8_t)((f[b] & 1) | (f[a] & 2));
            if ((f[n] | add) != f[n]) {
                f[n] |= add;
                changed = true;
            }
        }
        if (!changed) break;
    }
    hfc_free(by_rank);
    bool ok = !bad;
    for (size_t i = 0; ok && i <= m->mmask; i++) {
        const merge_slot *ms = &m->merges[i];
        if (ms->rank != UINT32_MAX && (f[ms->key >> 32] & 1) && (f[(uint32_t)ms->key] & 2))
            ok = false;
    }
    hfc_free(f);
    m->segment = ok;
    return HFC_OK;
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
    if ((st = build_bloom(m)) != HFC_OK) goto fail;
    if ((st = build_dense(m)) != HFC_OK) goto fail;
    build_tables(m);
    if ((st = build_segmenting(m)) != HFC_OK) goto fail;
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

/* A min-heap in the ctx arena; it grows on demand (it usually stays near the
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

/* A 4-ary heap: half the depth of a binary one, so long words (whose heaps outgrow the
 * caches) take half the misses per operation. */
static inline void heap_push(heap *hp, hentry e) {
    hentry *h = hp->v;
    size_t i = hp->n++;
    while (i) {
        size_t parent = (i - 1) / 4;
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
        size_t l = 4 * i + 1;
        if (l >= cnt) break;
        size_t c = l;
        uint64_t ck = h[l].key;
        size_t e = l + 4 < cnt ? l + 4 : cnt;
        for (size_t j = l + 1; j < e; j++)
            if (h[j].key < ck) { ck = h[j].key; c = j; }
        if (ck >= last.key) break;
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

/* Long words: the same merge order from a bucket queue by rank. Every pair a merge
 * pushes normally has a higher rank than the one being merged (a trained merge list
 * never uses a token before the merge that makes it), so ranks can be drained in
 * increasing order: bucket r holds the positions queued with rank r (blocks of
 * positions, appended in time order; a drained bucket is sorted by position, which is
 * cheap since it is a few ascending runs back to back). Entries whose rank is not
 * above the rank being drained (odd merge lists, or a stale entry made valid again by
 * HF's test) go to a small heap of full entries instead, and the next entry is always
 * the lower (rank, pos) of the heap's top and the current bucket's next position, so
 * the order is exactly HF's. Each bucket starts once: a rank is drained only when no
 * lower rank waits, and later pushes of it go to the heap. This keeps the memory
 * traffic sequential where a heap of millions of entries misses the cache on every
 * pop. The queue's memory is malloc'd and freed per word (not the arena: a text of
 * many long words would touch fresh pages for every one). */
#define LONG_WORD 512 /* symbols: below this the heap is as fast (it stays in cache) */
#define RB_CAP0 28           /* positions in a bucket's first block (128 bytes) */
#define RB_CAP1 512          /* and in its later ones (fewer links to follow) */
#define RB_GROUP 64          /* buckets allocated together */
#define RB_SLAB (64u << 10)  /* bytes of the first slab of queue memory */
#define RB_SLAB_MAX ((size_t)8 << 20) /* and of the largest */

/* A bucket's blocks: RB_CAP0 positions in the first, RB_CAP1 in each later one, so the
 * bucket's count says where the next goes (a push reads no block header). */
typedef struct rblock {
    struct rblock *next;
    uint32_t pad[2];
    uint32_t pos[];
} rblock;

typedef struct rbucket {
    rblock *head, *tail;
    uint32_t a, b, new_id, count; /* the pair of this rank; positions queued */
} rbucket;

typedef struct rgroup {
    uint64_t live; /* bit i: bucket i is queued */
    uint64_t pad[3];
    rbucket bk[RB_GROUP];
} rgroup;

typedef struct rslab {
    struct rslab *prev;
    char *cur, *end;
    size_t size;
} rslab;

typedef struct rqueue {
    rgroup **dir;         /* by rank / RB_GROUP, NULL until used */
    size_t ndir;
    rblock *free[2];      /* recycled blocks: small, big */
    rslab *slab;          /* the newest slab (they are chained) */
    heap fb;              /* entries not above cur */
    int64_t cur;          /* the rank being drained (-1 before the first) */
} rqueue;

static void *rq_alloc(rqueue *q, size_t size) { /* 64-byte aligned, size <= RB_SLAB / 2 */
    rslab *s = q->slab;
    size = (size + 63) & ~(size_t)63;
    if (!s || (size_t)(s->end - s->cur) < size) {
        /* slabs double up to RB_SLAB_MAX: a word that needs many is long, and its buckets
         * and blocks are then touched at random across them: big slabs go on huge pages */
        size_t bytes = s ? (s->size < RB_SLAB_MAX ? 2 * s->size : RB_SLAB_MAX) : RB_SLAB;
        rslab *ns = hfc_malloc(bytes);
        if (!ns) return NULL;
        hfc_advise_huge(ns, bytes);
        ns->prev = s;
        ns->size = bytes;
        ns->cur = (char *)(((uintptr_t)(ns + 1) + 63) & ~(uintptr_t)63);
        ns->end = (char *)ns + bytes;
        q->slab = s = ns;
    }
    void *p = s->cur;
    s->cur += size;
    return p;
}

static inline rblock *rq_block(rqueue *q, bool big) {
    rblock *b = q->free[big];
    if (b) q->free[big] = b->next;
    else if (!(b = rq_alloc(q, sizeof *b + (big ? RB_CAP1 : RB_CAP0) * sizeof *b->pos))) return NULL;
    b->next = NULL;
    return b;
}

/* Queue the pair (pos, next of pos) if it is a merge. */
static inline hfc_status rq_push(const tk_bpe *m, tk_ctx *c, rqueue *q, const word *w,
                                 int32_t pos) {
    uint32_t a = w->s[pos].id, b = w->s[w->s[pos].next].id;
    const merge_slot *ms = merge_get(m, a, b);
    if (!ms) return HFC_OK;
    uint32_t r = ms->rank;
    if ((int64_t)r <= q->cur) {
        HFC_TRY(heap_reserve(c, &q->fb, q->fb.n + 1));
        heap_push(&q->fb, (hentry){((uint64_t)r << 32) | (uint32_t)pos, ms->new_id, a, b});
        return HFC_OK;
    }
    rgroup *g = q->dir[r / RB_GROUP];
    if (!g) {
        if (!(g = q->dir[r / RB_GROUP] = rq_alloc(q, sizeof *g))) return HFC_ERR_NOMEM;
        g->live = 0;
    }
    uint64_t bit = 1ull << (r % RB_GROUP);
    rbucket *bk = &g->bk[r % RB_GROUP];
    rblock *t;
    uint32_t n, i;
    if (!(g->live & bit)) {
        if (!(t = rq_block(q, false))) return HFC_ERR_NOMEM;
        g->live |= bit;
        *bk = (rbucket){t, t, a, b, ms->new_id, 0};
        n = i = 0;
    } else if ((n = bk->count) < RB_CAP0) {
        t = bk->tail;
        i = n;
    } else if ((i = (n - RB_CAP0) % RB_CAP1) == 0) {
        if (!(t = rq_block(q, true))) return HFC_ERR_NOMEM;
        bk->tail->next = t;
        bk->tail = t;
    } else {
        t = bk->tail;
    }
    t->pos[i] = (uint32_t)pos;
    bk->count = n + 1;
    return HFC_OK;
}

/* The lowest queued rank >= from, or -1 (from only grows within a word, so the scan of
 * the directory costs its length once per word). */
static int64_t rq_next(const rqueue *q, uint64_t from) {
    for (uint64_t gi = from / RB_GROUP; gi < q->ndir; gi++) {
        const rgroup *g = q->dir[gi];
        if (!g) continue;
        uint64_t x = g->live;
        if (gi == from / RB_GROUP) x &= ~0ull << (from % RB_GROUP);
        if (x) return (int64_t)(gi * RB_GROUP + (uint64_t)__builtin_ctzll(x));
    }
    return -1;
}

/* Sort a[0..n) (ascending runs back to back) by merging neighbouring runs; tmp has room
 * for n. Returns the buffer holding the result. */
static uint32_t *sort_runs(uint32_t *a, uint32_t *tmp, uint32_t n) {
    for (;;) {
        uint32_t i = 0, runs = 0;
        while (i < n) {
            uint32_t j = i + 1;
            while (j < n && a[j - 1] <= a[j]) j++;
            if (i == 0 && j == n) return a;
            uint32_t k = j;
            if (k < n) {
                k++;
                while (k < n && a[k - 1] <= a[k]) k++;
            }
            uint32_t x = i, y = j, o = i;
            while (x < j && y < k) tmp[o++] = a[y] < a[x] ? a[y++] : a[x++];
            while (x < j) tmp[o++] = a[x++];
            while (y < k) tmp[o++] = a[y++];
            runs++;
            i = k;
        }
        uint32_t *t = a;
        a = tmp;
        tmp = t;
        if (runs == 1) return a;
    }
}

/* Process one queue entry as HF does (see merge_all_heap). */
static inline hfc_status rq_apply(const tk_bpe *m, tk_ctx *c, rqueue *q, word *w,
                                  const hentry *top) {
    int32_t pos = (int32_t)(uint32_t)top->key;
    sym *cur = &w->s[pos];
    if (cur->len == 0 || cur->next == -1) return HFC_OK;
    sym *right = &w->s[cur->next];
    if (cur->id != top->left || right->id != top->right) { /* pair changed: HF's test */
        const merge_slot *ms = merge_get(m, cur->id, right->id);
        if (!ms || ms->new_id != top->new_id) return HFC_OK; /* stale */
    }
    cur->id = top->new_id;
    cur->len += right->len;
    cur->next = right->next;
    right->len = 0;
    if (cur->next != -1) w->s[cur->next].prev = pos;
    if (cur->prev >= 0) HFC_TRY(rq_push(m, c, q, w, cur->prev));
    if (cur->next != -1) HFC_TRY(rq_push(m, c, q, w, pos));
    return HFC_OK;
}

static hfc_status rq_run(const tk_bpe *m, tk_ctx *c, rqueue *q, word *w, uint32_t **bufs) {
    HFC_TRY(heap_reserve(c, &q->fb, 64));
    for (uint32_t i = 0; i + 1 < w->n; i++) HFC_TRY(rq_push(m, c, q, w, (int32_t)i));
    size_t runcap = 0;
    for (;;) {
        while (q->fb.n) { /* all below every bucket */
            hentry e = heap_pop(&q->fb);
            HFC_TRY(rq_apply(m, c, q, w, &e));
        }
        int64_t r = rq_next(q, (uint64_t)(q->cur + 1));
        if (r < 0) return HFC_OK;
        q->cur = r;
        rgroup *g = q->dir[r / RB_GROUP];
        g->live &= ~(1ull << (r % RB_GROUP));
        const rbucket *bk = &g->bk[r % RB_GROUP];
        uint32_t n = bk->count;
        if (n > runcap) {
            runcap = n > 2 * runcap ? n : 2 * runcap;
            hfc_free(bufs[0]);
            hfc_free(bufs[1]);
            bufs[0] = hfc_malloc(runcap * sizeof **bufs);
            bufs[1] = hfc_malloc(runcap * sizeof **bufs);
            if (!bufs[0] || !bufs[1]) return HFC_ERR_NOMEM;
        }
        uint32_t k = 0;
        for (rblock *b = bk->head, *nx; b; b = nx) {
            nx = b->next;
            if (nx) __builtin_prefetch(nx);
            bool big = b != bk->head;
            uint32_t cap = big ? RB_CAP1 : RB_CAP0, take = n - k < cap ? n - k : cap;
            memcpy(bufs[0] + k, b->pos, take * sizeof **bufs);
            k += take;
            b->next = q->free[big];
            q->free[big] = b;
        }
        const uint32_t *v = sort_runs(bufs[0], bufs[1], n);
        hentry e = {0, bk->new_id, bk->a, bk->b};
        for (uint32_t i = 0; i < n;) {
            uint64_t key = ((uint64_t)r << 32) | v[i];
            if (q->fb.n && q->fb.v[0].key < key) {
                hentry f = heap_pop(&q->fb);
                HFC_TRY(rq_apply(m, c, q, w, &f));
                continue;
            }
            if (i + 8 < n) { /* the symbol and its neighbours, often in other lines */
                const sym *p = &w->s[v[i + 8]];
                __builtin_prefetch(p);
                __builtin_prefetch((const char *)p - 16);
                __builtin_prefetch((const char *)p + 32);
            }
            e.key = key;
            HFC_TRY(rq_apply(m, c, q, w, &e));
            i++;
        }
    }
}

static hfc_status merge_all_long(const tk_bpe *m, tk_ctx *c, word *w) {
    rqueue q = {0};
    q.cur = -1;
    q.ndir = m->nranks / RB_GROUP + 1;
    q.dir = hfc_malloc(q.ndir * sizeof *q.dir);
    if (!q.dir) return HFC_ERR_NOMEM;
    memset(q.dir, 0, q.ndir * sizeof *q.dir);
    uint32_t *bufs[2] = {NULL, NULL};
    hfc_status st = rq_run(m, c, &q, w, bufs);
    hfc_free(bufs[0]);
    hfc_free(bufs[1]);
    while (q.slab) {
        rslab *p = q.slab->prev;
        hfc_free(q.slab);
        q.slab = p;
    }
    hfc_free(q.dir);
    return st;
}

/* HF Word::merge_all without dropout, with a heap. */
static hfc_status merge_all_heap(const tk_bpe *m, tk_ctx *c, word *w) {
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

static hfc_status merge_all(const tk_bpe *m, tk_ctx *c, word *w) {
    if (w->n < 2) return HFC_OK;
    return w->n >= LONG_WORD ? merge_all_long(m, c, w) : merge_all_heap(m, c, w);
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
    uint32_t i = 0;
    if (!affix) { /* the common run first: ASCII chars that are tokens */
        sym *v = w->s;
        for (int64_t id; i < len && u[i] < 0x80 && (id = m->char_id[u[i]]) >= 0; i++)
            v[i] = (sym){(uint32_t)id, (int32_t)i - 1, (int32_t)i + 1, 1};
        if (i) v[i - 1].next = -1;
        w->n = i;
    }
    bool unk_pending = false;
    uint32_t unk_id = 0, unk_len = 0;
    while (i < len) {
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
    tk_memo_free(m->cache);
    tk_memo_free(m->wide);
    m->cache = m->wide = NULL;
    HFC_TRY(tk_memo_create(capacity, &m->cache));
    return tk_memo_create_wide(capacity / 8, &m->wide);
}

void tk_bpe_clear_cache(tk_bpe *m) {
    tk_memo_clear(m->cache);
    tk_memo_clear(m->wide);
}

/* ------------------------------------------------------------------ tokenize */

/* Room for k more tokens in t (arena, geometric growth); NULL when out of memory. */
static inline tk_token *tokens_room(tk_ctx *c, tk_tokens *t, size_t k) {
    if (t->cap - t->n >= k && t->v) return t->v + t->n;
    size_t ncap = t->cap * 2;
    if (ncap < t->n + k) ncap = t->n + k;
    if (ncap < 8) ncap = 8;
    if (ncap > SIZE_MAX / sizeof(tk_token)) return NULL;
    tk_token *v = tk_alloc(c, ncap * sizeof *v);
    if (!v) return NULL;
    if (t->n) memcpy(v, t->v, t->n * sizeof *v);
    t->v = v;
    t->cap = ncap;
    return v + t->n;
}

/* One word (a whole piece, or a segment of one): tokens with offsets from *pos on. */
static hfc_status tokenize_word(const tk_bpe *m, tk_ctx *c, const char *s, uint32_t len,
                                uint32_t *pos, tk_tokens *out) {
    uint32_t base = *pos;
    tk_memo_key key;
    tk_memo_item it[TK_MEMO_WIDE_ITEMS];
    uint32_t n = 0;
    bool wide = len > TK_MEMO_KEY;
    tk_memo *memo = wide ? m->wide : m->cache;
    if (wide ? tk_memo_get_wide(memo, s, len, &key, it, &n, NULL)
             : tk_memo_get(memo, s, len, &key, it, &n, NULL)) {
        tk_token *t = tokens_room(c, out, n);
        if (!t) return HFC_ERR_NOMEM;
        for (uint32_t i = 0; i < n; i++) t[i] = (tk_token){it[i].id, base + it[i].start, base + it[i].end};
        out->n += n;
        *pos = n ? base + it[n - 1].end : base;
        return HFC_OK;
    }
    word w;
    HFC_TRY(split_word(m, c, s, len, &w));
    if (!m->no_merges) HFC_TRY(merge_all(m, c, &w));
    tk_token *t = tokens_room(c, out, w.n);
    if (!t) return HFC_ERR_NOMEM;
    uint32_t p = base;
    bool fits = key.slot != NULL;
    for (uint32_t i = 0; i < w.n; i++) {
        if (!w.s[i].len) continue;
        t[n] = (tk_token){w.s[i].id, p, p + w.s[i].len};
        if (fits && n < (wide ? TK_MEMO_WIDE_ITEMS : TK_MEMO_ITEMS) && p + w.s[i].len - base <= 255)
            it[n] = (tk_memo_item){w.s[i].id, (uint8_t)(p - base), (uint8_t)(p + w.s[i].len - base), 0};
        else
            fits = false;
        n++;
        p += w.s[i].len;
    }
    out->n += n;
    *pos = p;
    if (fits) tk_memo_put(memo, &key, it, n, 0);
    return HFC_OK;
}

static inline bool is_mark_at(const uint8_t *u, uint32_t i) { /* U+2581 at u[i..i+3) */
    return u[i] == 0xE2 && u[i + 1] == 0x96 && u[i + 2] == 0x81;
}

hfc_status tk_bpe_tokenize(const tk_bpe *m, tk_ctx *c, const char *s, uint32_t len,
                           tk_tokens *out) {
    if (len == 0) return HFC_OK;
    if (m->ignore_merges && !m->no_merges) {
        int64_t id = tk_vocab_get(m->vocab, s, len);
        if (id >= 0) return tk_tokens_push(c, out, (uint32_t)id, 0, len);
    }
    uint32_t pos = 0;
    if (!m->segment || len <= 3) return tokenize_word(m, c, s, len, &pos, out);
    const uint8_t *u = (const uint8_t *)s;
    uint32_t a = 0;
    while (a < len) {
        /* the next cut: a U+2581 whose previous char is not one */
        uint32_t b = a + 1;
        for (;; b++) {
            const uint8_t *q = b + 3 <= len ? memchr(u + b, 0xE2, len - 2 - b) : NULL;
            if (!q) { b = len; break; }
            b = (uint32_t)(q - u);
            if (is_mark_at(u, b) && !(b >= 3 && is_mark_at(u, b - 3))) break;
        }
        HFC_TRY(tokenize_word(m, c, s + a, b - a, &pos, out));
        a = b;
    }
    return HFC_OK;
}
