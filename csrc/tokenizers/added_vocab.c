/* Added tokens (HF tokenizer/added_vocabulary.rs): special and normal tokens that are
 * matched in the raw text (normalized=false) or in the normalized text (normalized=true)
 * before the model runs, with single_word / lstrip / rstrip rules.
 *
 * Matching is leftmost-longest over all patterns (HF uses a daachorse Aho-Corasick with
 * MatchKind::LeftmostLongest): from each position, the longest pattern starting there;
 * the earliest start wins; scanning resumes after a match even when the match is then
 * discarded (single_word, encode_special_tokens), as HF's iterator does. A byte trie with
 * a first-byte filter does this in one pass with no backtracking beyond the longest
 * pattern. */
#include "added_vocab.h"

#include <string.h>

/* ---- byte trie: children as sibling lists; root children indexed by first byte ---- */

typedef struct trie_node {
    uint32_t first_child; /* 0 = none (node 0 is the root) */
    uint32_t next_sibling;
    int32_t value; /* added-token index, -1 = none */
    uint8_t byte;
} trie_node;

struct tk_trie {
    trie_node *nodes;
    size_t n, cap;
    uint32_t root_child[256];
    int first_byte; /* the only byte a pattern starts with (scan with memchr), or -1 */
};

static hfc_status trie_new_node(tk_trie *t, uint8_t byte, uint32_t *out) {
    if (t->n == t->cap) {
        void *p = t->nodes;
        HFC_TRY(hfc_grow(&p, &t->cap, t->n + 1, sizeof(trie_node)));
        t->nodes = p;
    }
    trie_node nd = {0, 0, -1, byte};
    t->nodes[t->n] = nd;
    *out = (uint32_t)t->n++;
    return HFC_OK;
}

static hfc_status trie_insert(tk_trie *t, const uint8_t *s, uint32_t len, int32_t value) {
    if (len == 0) return HFC_OK;
    uint32_t cur = t->root_child[s[0]];
    if (!cur) {
        HFC_TRY(trie_new_node(t, s[0], &cur));
        t->root_child[s[0]] = cur;
    }
    for (uint32_t i = 1; i < len; i++) {
        uint32_t c = t->nodes[cur].first_child;
        while (c && t->nodes[c].byte != s[i]) c = t->nodes[c].next_sibling;
        if (!c) {
            uint32_t nc;
            HFC_TRY(trie_new_node(t, s[i], &nc));
            t->nodes[nc].next_sibling = t->nodes[cur].first_child;
            t->nodes[cur].first_child = nc;
            c = nc;
        }
        cur = c;
    }
    /* duplicate pattern: the later token wins (HF builds from a map, one value each) */
    t->nodes[cur].value = value;
    return HFC_OK;
}

static void trie_free(tk_trie *t) {
    if (!t) return;
    hfc_free(t->nodes);
    hfc_free(t);
}

/* Longest pattern starting at s[0..len): returns its length (0 = none), *value set. */
static uint32_t trie_longest(const tk_trie *t, const uint8_t *s, uint32_t len, int32_t *value) {
    uint32_t cur = t->root_child[s[0]], best = 0;
    if (!cur) return 0;
    if (t->nodes[cur].value >= 0) { best = 1; *value = t->nodes[cur].value; }
    for (uint32_t i = 1; i < len; i++) {
        uint32_t c = t->nodes[cur].first_child;
        while (c && t->nodes[c].byte != s[i]) c = t->nodes[c].next_sibling;
        if (!c) break;
        cur = c;
        if (t->nodes[cur].value >= 0) { best = i + 1; *value = t->nodes[cur].value; }
    }
    return best;
}

/* ---- word / space tests with Rust regex semantics (\w, \s) ---- */

/* Rust regex \w (HF's ^\w / \w$ tests for single_word) is tk_is_word_char. */
static bool is_word_cp(uint32_t cp) { return tk_is_word_char(cp); }

static uint32_t last_cp(const uint8_t *s, uint32_t len) {
    uint32_t i = len;
    while (i > 0 && (s[i - 1] & 0xC0) == 0x80) i--;
    if (i > 0) i--;
    int l;
    return tk_utf8_decode(s + i, len - i, &l);
}

static bool ends_with_word(const uint8_t *s, uint32_t len) {
    return len > 0 && is_word_cp(last_cp(s, len));
}

static bool starts_with_word(const uint8_t *s, uint32_t len) {
    int l;
    return len > 0 && is_word_cp(tk_utf8_decode(s, len, &l));
}

/* Start of the run of whitespace that ends s (len if none). */
static uint32_t space_leftmost_at_end(const uint8_t *s, uint32_t len) {
    uint32_t end = len;
    while (end > 0) {
        uint32_t i = end;
        while (i > 0 && (s[i - 1] & 0xC0) == 0x80) i--;
        if (i > 0) i--;
        int l;
        if (!tk_is_whitespace(tk_utf8_decode(s + i, end - i, &l))) break;
        end = i;
    }
    return end;
}

/* Length of the run of whitespace that starts s. */
static uint32_t space_rightmost_at_start(const uint8_t *s, uint32_t len) {
    uint32_t i = 0;
    while (i < len) {
        int l;
        uint32_t cp = tk_utf8_decode(s + i, len - i, &l);
        if (!tk_is_whitespace(cp)) break;
        i += (uint32_t)l;
    }
    return i;
}

/* ---- the vocabulary ---- */

void tk_added_init(tk_added_vocab *av) { memset(av, 0, sizeof *av); }

void tk_added_free(tk_added_vocab *av) {
    for (size_t i = 0; i < av->n; i++) {
        hfc_free(av->v[i].content);
        hfc_free(av->v[i].norm);
    }
    hfc_free(av->v);
    tk_vocab_free(av->map);
    trie_free(av->raw_trie);
    trie_free(av->norm_trie);
    memset(av, 0, sizeof *av);
}

const tk_added_token *tk_added_by_id(const tk_added_vocab *av, uint32_t id) {
    /* most vocabularies have a few dozen; ids are mostly contiguous at the end */
    for (size_t i = av->n; i-- > 0;)
        if (av->v[i].id == id) return &av->v[i];
    return NULL;
}

static hfc_status rebuild_tries(tk_added_vocab *av) {
    trie_free(av->raw_trie);
    trie_free(av->norm_trie);
    av->raw_trie = av->norm_trie = NULL;
    tk_trie *raw = hfc_calloc(1, sizeof *raw), *nrm = hfc_calloc(1, sizeof *nrm);
    if (!raw || !nrm) {
        hfc_free(raw);
        hfc_free(nrm);
        return hfc_fail(HFC_ERR_NOMEM, "out of memory building the added-token matcher");
    }
    uint32_t root;
    hfc_status st = trie_new_node(raw, 0, &root);
    if (st == HFC_OK) st = trie_new_node(nrm, 0, &root);
    for (size_t i = 0; i < av->n && st == HFC_OK; i++) {
        const tk_added_token *a = &av->v[i];
        if (a->normalized)
            st = trie_insert(nrm, (const uint8_t *)(a->norm ? a->norm : a->content),
                             a->norm ? a->norm_len : a->len, (int32_t)i);
        else
            st = trie_insert(raw, (const uint8_t *)a->content, a->len, (int32_t)i);
    }
    tk_trie *tries[2] = {raw, nrm};
    for (int k = 0; k < 2; k++) {
        int first = -1, count = 0;
        for (int b = 0; b < 256; b++)
            if (tries[k]->root_child[b]) { first = b; count++; }
        tries[k]->first_byte = count == 1 ? first : -1;
    }
    av->raw_trie = raw;
    av->norm_trie = nrm;
    av->has_raw = av->has_norm = false;
    for (size_t i = 0; i < av->n; i++) {
        if (av->v[i].normalized) av->has_norm = true;
        else av->has_raw = true;
    }
    return st;
}

hfc_status tk_added_add(tk_added_vocab *av, const tk_added_token *tokens, size_t count,
                        const tk_model *model, const tk_normalizer *normalizer,
                        size_t *n_added) {
    const tk_vocab *mv = tk_model_vocab(model);
    size_t model_size = tk_vocab_size(mv);
    uint32_t next_id = (uint32_t)model_size;
    if (av->n) {
        uint32_t max = 0;
        for (size_t i = 0; i < av->n; i++) max = av->v[i].id > max ? av->v[i].id : max;
        if (max >= model_size || model_size == 0) next_id = max + 1;
    }
    if (!av->map) HFC_TRY(tk_vocab_create(count + 16, &av->map));
    size_t added = 0;
    tk_ctx ctx;
    tk_ctx_init(&ctx);
    hfc_status st = HFC_OK;
    for (size_t k = 0; k < count && st == HFC_OK; k++) {
        const tk_added_token *t = &tokens[k];
        if (t->len == 0) continue;
        int64_t existing = tk_vocab_get(av->map, t->content, t->len);
        if (existing >= 0) {
            const tk_added_token *old = tk_added_by_id(av, (uint32_t)existing);
            if (old && old->single_word == t->single_word && old->lstrip == t->lstrip &&
                old->rstrip == t->rstrip && old->normalized == t->normalized &&
                old->special == t->special)
                continue;
        }
        int64_t id = existing >= 0 ? existing : tk_vocab_get(mv, t->content, t->len);
        if (id < 0) id = next_id++;
        /* one entry per id (HF's added_tokens_map_r): replace in place if present */
        tk_added_token *slot = (tk_added_token *)tk_added_by_id(av, (uint32_t)id);
        if (!slot) {
            void *p = av->v;
            st = hfc_grow(&p, &av->cap, av->n + 1, sizeof *av->v);
            if (st != HFC_OK) break;
            av->v = p;
            slot = &av->v[av->n++];
            memset(slot, 0, sizeof *slot);
        } else {
            hfc_free(slot->content);
            hfc_free(slot->norm);
        }
        *slot = *t;
        slot->id = (uint32_t)id;
        slot->content = hfc_strndup(t->content, t->len);
        slot->norm = NULL;
        slot->norm_len = 0;
        if (!slot->content) { st = hfc_fail(HFC_ERR_NOMEM, "out of memory"); break; }
        if (t->normalized && normalizer) {
            tk_ctx_reset(&ctx);
            tk_norm n;
            st = tk_norm_from_original(&ctx, t->content, t->len, 0, &n);
            if (st == HFC_OK) st = tk_normalizer_apply(normalizer, &ctx, &n);
            if (st == HFC_OK && (n.len != t->len || memcmp(n.s, t->content, n.len))) {
                slot->norm = hfc_strndup(n.s, n.len);
                slot->norm_len = n.len;
                if (!slot->norm) st = hfc_fail(HFC_ERR_NOMEM, "out of memory");
            }
        }
        if (st == HFC_OK) st = tk_vocab_add(av->map, t->content, t->len, (uint32_t)id);
        added++;
    }
    tk_ctx_free(&ctx);
    if (st == HFC_OK) st = rebuild_tries(av);
    if (n_added) *n_added = added;
    return st;
}

/* Split the untokenized pieces of pt on added-token matches (raw or normalized trie). */
hfc_status tk_added_split(const tk_added_vocab *av, tk_ctx *c, tk_pretok *pt, bool normalized,
                          bool encode_special_tokens) {
    const tk_trie *trie = normalized ? av->norm_trie : av->raw_trie;
    bool any = normalized ? av->has_norm : av->has_raw;
    if (!any) return HFC_OK;
    tk_pretok out = {0};
    for (size_t si = 0; si < pt->n; si++) {
        tk_split *sp = &pt->v[si];
        if (sp->tokenized) {
            HFC_TRY(tk_pretok_push(c, &out, &sp->norm));
            out.v[out.n - 1] = *sp;
            continue;
        }
        const uint8_t *s = (const uint8_t *)sp->norm.s;
        uint32_t len = sp->norm.len, start_offset = 0, i = 0;
        while (i < len) {
            int32_t value = -1;
            if (trie->first_byte >= 0) { /* jump to the next possible start */
                const uint8_t *q = memchr(s + i, trie->first_byte, len - i);
                if (!q) break;
                i = (uint32_t)(q - s);
            }
            uint32_t mlen = trie->root_child[s[i]] ? trie_longest(trie, s + i, len - i, &value) : 0;
            if (!mlen) { i++; continue; }
            uint32_t start = i, stop = i + mlen;
            i = stop; /* the matcher resumes after this match whatever we do with it */
            const tk_added_token *a = &av->v[value];
            if (encode_special_tokens && a->special) continue;
            if (a->single_word) {
                bool start_space = start == 0 || !ends_with_word(s, start);
                bool stop_space = stop == len || !starts_with_word(s + stop, len - stop);
                if (!start_space || !stop_space) continue;
            }
            if (a->lstrip) {
                uint32_t ns = space_leftmost_at_end(s, start);
                start = ns > start_offset ? ns : start_offset;
            }
            /* HF finds every match on the unstripped text (the matcher resumes at the
             * match's own end), then widens: an rstrip-widened piece may overlap the next
             * match, and HF keeps both. So do we. */
            if (a->rstrip) stop += space_rightmost_at_start(s + stop, len - stop);
            if (start_offset < start) {
                tk_norm piece;
                tk_norm_slice(&sp->norm, start_offset, start, &piece);
                HFC_TRY(tk_pretok_push(c, &out, &piece));
            }
            tk_norm piece;
            tk_norm_slice(&sp->norm, start, stop, &piece);
            HFC_TRY(tk_pretok_push(c, &out, &piece));
            tk_token *tok = tk_alloc(c, sizeof *tok);
            if (!tok) return HFC_ERR_NOMEM;
            tok->id = a->id;
            tok->start = 0;
            tok->end = stop - start;
            out.v[out.n - 1].toks = tok;
            out.v[out.n - 1].ntoks = 1;
            out.v[out.n - 1].tokenized = true;
            out.v[out.n - 1].from_added = true;
            start_offset = stop;
        }
        if (start_offset < len) {
            tk_norm piece;
            tk_norm_slice(&sp->norm, start_offset, len, &piece);
            HFC_TRY(tk_pretok_push(c, &out, &piece));
        }
    }
    *pt = out;
    return HFC_OK;
}
