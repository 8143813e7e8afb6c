/* The tokenizer: tokenizer.json loading and the encode / decode pipelines
 * (HF tokenizers/src/tokenizer/mod.rs and serialization.rs). */
#include "hfc/tokenizers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "added_vocab.h"
#include "encoding.h"
#include "postprocess.h"
#include "tk.h"
#include "memo.h"

#define MEMO_SLOTS 8192 /* first-cut pieces remembered (192 bytes each) */

struct hfc_tokenizer {
    tk_normalizer *normalizer;       /* may be NULL */
    tk_pretokenizer *pretokenizer;   /* may be NULL */
    tk_model *model;
    tk_postproc *postproc;           /* may be NULL */
    tk_decoder *decoder;             /* may be NULL */
    tk_added_vocab added;
    bool encode_special_tokens;
    hfc_truncation trunc;
    hfc_padding pad;
    char *source;      /* the tokenizer.json it was loaded from (for to_str) */
    bool chunkable;    /* long inputs may be encoded in chunks (see encode_text) */
    size_t source_len;
    const tk_pretokenizer *memo_cut; /* the pre-tokenizer's memo cut when memo is set (encode_memo) */
    const tk_regex *memo_re;         /* its regex when it is an Isolated regex split */
    size_t memo_stage;               /* its step in a Sequence */
    tk_memo *memo;           /* piece of the memo cut -> its tokens */
    bool memo_plain;         /* the cut is the pre-tokenizer's last step (see encode_cut) */
};

struct hfc_tk_scratch {
    tk_ctx ctx;
    hfc_encoding a, b; /* per-sequence encodings before post-processing */
};

void hfc_tokenizer_free(hfc_tokenizer *t) {
    if (!t) return;
    tk_normalizer_free(t->normalizer);
    tk_pretokenizer_free(t->pretokenizer);
    tk_model_free(t->model);
    tk_postproc_free(t->postproc);
    tk_decoder_free(t->decoder);
    tk_added_free(&t->added);
    tk_memo_free(t->memo);
    hfc_free(t->source);
    hfc_free(t);
}

hfc_status hfc_tk_scratch_create(hfc_tk_scratch **out) {
    hfc_tk_scratch *s = hfc_calloc(1, sizeof *s);
    if (!s) return hfc_fail(HFC_ERR_NOMEM, "out of memory");
    tk_ctx_init(&s->ctx);
    hfc_encoding_init(&s->a);
    hfc_encoding_init(&s->b);
    *out = s;
    return HFC_OK;
}

void hfc_tk_scratch_free(hfc_tk_scratch *s) {
    if (!s) return;
    tk_ctx_free(&s->ctx);
    hfc_encoding_free(&s->a);
    hfc_encoding_free(&s->b);
    hfc_free(s);
}

/* ------------------------------------------------------------------ loading */

static bool json_bool(const hfc_json_value *obj, const char *key, bool dflt) {
    const hfc_json_value *v = hfc_json_getz(obj, key);
    if (!v) return dflt;
    if (v->type == HFC_JSON_TRUE) return true;
    if (v->type == HFC_JSON_FALSE) return false;
    return dflt;
}

static hfc_status load_added_tokens(hfc_tokenizer *t, const hfc_json_doc *doc,
                                    const hfc_json_value *list) {
    if (!list || list->type == HFC_JSON_NULL) return HFC_OK;
    if (list->type != HFC_JSON_ARRAY)
        return hfc_json_fail_at(doc, list, "$.added_tokens", "expected a list");
    tk_added_token *toks = hfc_calloc(list->len ? list->len : 1, sizeof *toks);
    if (!toks) return hfc_fail(HFC_ERR_NOMEM, "out of memory");
    hfc_status st = HFC_OK;
    for (uint32_t i = 0; i < list->len && st == HFC_OK; i++) {
        const hfc_json_value *a = &list->u.items[i];
        char path[64];
        snprintf(path, sizeof path, "$.added_tokens[%u]", i);
        const hfc_json_value *content = hfc_json_getz(a, "content");
        if (a->type != HFC_JSON_OBJECT || !content || content->type != HFC_JSON_STRING) {
            st = hfc_json_fail_at(doc, a, path, "an added token needs a \"content\" string");
            break;
        }
        toks[i].content = (char *)content->u.s; /* copied by tk_added_add */
        toks[i].len = content->len;
        toks[i].special = json_bool(a, "special", false);
        toks[i].single_word = json_bool(a, "single_word", false);
        toks[i].lstrip = json_bool(a, "lstrip", false);
        toks[i].rstrip = json_bool(a, "rstrip", false);
        toks[i].normalized = json_bool(a, "normalized", !toks[i].special);
    }
    if (st == HFC_OK)
        st = tk_added_add(&t->added, toks, list->len, t->model, t->normalizer, NULL);
    hfc_free(toks);
    return st;
}

static bool present(const hfc_json_value *v) { return v && v->type != HFC_JSON_NULL; }

static hfc_status json_size(const hfc_json_doc *doc, const hfc_json_value *obj, const char *key,
                            const char *path, size_t dflt, size_t *out) {
    const hfc_json_value *v = hfc_json_getz(obj, key);
    if (!present(v)) { *out = dflt; return HFC_OK; }
    if (v->type != HFC_JSON_INT || v->u.i < 0)
        return hfc_json_fail_at(doc, v, path, "\"%s\" must be a non-negative integer", key);
    *out = (size_t)v->u.i;
    return HFC_OK;
}

static hfc_status load_truncation(hfc_tokenizer *t, const hfc_json_doc *doc, const hfc_json_value *v) {
    hfc_truncation tr = {true, 0, 0, HFC_TRUNC_LONGEST_FIRST, false};
    if (v->type != HFC_JSON_OBJECT) return hfc_json_fail_at(doc, v, "$.truncation", "expected an object");
    HFC_TRY(json_size(doc, v, "max_length", "$.truncation.max_length", 0, &tr.max_length));
    HFC_TRY(json_size(doc, v, "stride", "$.truncation.stride", 0, &tr.stride));
    const hfc_json_value *x = hfc_json_getz(v, "strategy");
    if (x && hfc_json_str_eq(x, "OnlyFirst", 9)) tr.strategy = HFC_TRUNC_ONLY_FIRST;
    else if (x && hfc_json_str_eq(x, "OnlySecond", 10)) tr.strategy = HFC_TRUNC_ONLY_SECOND;
    else if (x && !hfc_json_str_eq(x, "LongestFirst", 12))
        return hfc_json_fail_at(doc, x, "$.truncation.strategy", "unknown truncation strategy");
    x = hfc_json_getz(v, "direction");
    if (x && hfc_json_str_eq(x, "Left", 4)) tr.left = true;
    else if (x && !hfc_json_str_eq(x, "Right", 5))
        return hfc_json_fail_at(doc, x, "$.truncation.direction", "unknown truncation direction");
    t->trunc = tr;
    return HFC_OK;
}

static hfc_status load_padding(hfc_tokenizer *t, const hfc_json_doc *doc, const hfc_json_value *v) {
    hfc_padding pd;
    memset(&pd, 0, sizeof pd);
    pd.enabled = true;
    memcpy(pd.pad_token, "[PAD]", 6);
    if (v->type != HFC_JSON_OBJECT) return hfc_json_fail_at(doc, v, "$.padding", "expected an object");
    const hfc_json_value *x = hfc_json_getz(v, "strategy");
    const hfc_json_value *fixed = x ? hfc_json_getz(x, "Fixed") : NULL;
    if (fixed) {
        if (fixed->type != HFC_JSON_INT || fixed->u.i < 0)
            return hfc_json_fail_at(doc, fixed, "$.padding.strategy.Fixed", "expected a length");
        pd.fixed = true;
        pd.length = (size_t)fixed->u.i;
    } else if (x && !hfc_json_str_eq(x, "BatchLongest", 12)) {
        return hfc_json_fail_at(doc, x, "$.padding.strategy", "unknown padding strategy");
    }
    x = hfc_json_getz(v, "direction");
    if (x && hfc_json_str_eq(x, "Left", 4)) pd.left = true;
    HFC_TRY(json_size(doc, v, "pad_to_multiple_of", "$.padding.pad_to_multiple_of", 0, &pd.pad_to_multiple_of));
    size_t id = 0, type_id = 0;
    HFC_TRY(json_size(doc, v, "pad_id", "$.padding.pad_id", 0, &id));
    HFC_TRY(json_size(doc, v, "pad_type_id", "$.padding.pad_type_id", 0, &type_id));
    pd.pad_id = (uint32_t)id;
    pd.pad_type_id = (uint32_t)type_id;
    x = hfc_json_getz(v, "pad_token");
    if (x && x->type == HFC_JSON_STRING) {
        if (x->len >= sizeof pd.pad_token)
            return hfc_json_fail_at(doc, x, "$.padding.pad_token", "pad token longer than %zu bytes",
                                    sizeof pd.pad_token - 1);
        memcpy(pd.pad_token, x->u.s, x->len);
        pd.pad_token[x->len] = 0;
    }
    t->pad = pd;
    return HFC_OK;
}

static bool chunkable(const hfc_tokenizer *t);

/* BERT's BertNormalizer (handle_chinese_chars) + BertPreTokenizer: the normalizer's spaces
 * around Chinese chars only make the pre-tokenizer split there, so the pre-tokenizer
 * isolates them instead (normalizers.c chinese_chars says why that is the same), and CJK
 * text keeps its alignments and goes through the memo. Not with normalized added tokens:
 * they are matched in the normalized text, spaces included. */
static void cjk_fusion(hfc_tokenizer *t, bool on) {
    on = on && tk_normalizer_spaces_chinese(t->normalizer) &&
         tk_pretokenizer_is_bert(t->pretokenizer) && !t->added.has_norm;
    tk_normalizer_defer_chinese(t->normalizer, on);
    tk_pretokenizer_isolate_chinese(t->pretokenizer, on);
}

static hfc_status load_doc(hfc_tokenizer *t, const hfc_json_doc *doc) {
    const hfc_json_value *root = hfc_json_root(doc);
    if (root->type != HFC_JSON_OBJECT)
        return hfc_json_fail_at(doc, root, "$", "a tokenizer.json must be an object");
    const hfc_json_value *v = hfc_json_getz(root, "version");
    if (v && !hfc_json_str_eq(v, "1.0", 3))
        return hfc_json_fail_at(doc, v, "$.version", "unknown tokenizer version");
    v = hfc_json_getz(root, "truncation");
    if (present(v)) HFC_TRY(load_truncation(t, doc, v));
    v = hfc_json_getz(root, "padding");
    if (present(v)) HFC_TRY(load_padding(t, doc, v));
    v = hfc_json_getz(root, "normalizer");
    if (present(v)) HFC_TRY(tk_normalizer_from_json(doc, v, "$.normalizer", &t->normalizer));
    v = hfc_json_getz(root, "pre_tokenizer");
    if (present(v)) HFC_TRY(tk_pretokenizer_from_json(doc, v, "$.pre_tokenizer", &t->pretokenizer));
    v = hfc_json_getz(root, "model");
    if (!present(v)) return hfc_json_fail_at(doc, root, "$", "missing \"model\"");
    HFC_TRY(tk_model_from_json(doc, v, "$.model", &t->model));
    v = hfc_json_getz(root, "post_processor");
    if (present(v)) HFC_TRY(tk_postproc_from_json(doc, v, "$.post_processor", &t->postproc));
    v = hfc_json_getz(root, "decoder");
    if (present(v)) HFC_TRY(tk_decoder_from_json(doc, v, "$.decoder", &t->decoder));
    HFC_TRY(load_added_tokens(t, doc, hfc_json_getz(root, "added_tokens")));
    cjk_fusion(t, true);
    t->chunkable = chunkable(t);
    t->memo_cut = tk_pretokenizer_memo_cut(t->pretokenizer, &t->memo_stage);
    if (t->memo_cut) {
        t->memo_re = tk_pretokenizer_cut_regex(t->memo_cut);
        t->memo_plain = tk_pretokenizer_cut_is_last(t->pretokenizer, t->memo_stage);
        HFC_TRY(tk_memo_create(MEMO_SLOTS, &t->memo));
    }
    return HFC_OK;
}

static hfc_status load(hfc_json_doc *doc, hfc_tokenizer **out) {
    hfc_tokenizer *t = hfc_calloc(1, sizeof *t);
    if (!t) {
        hfc_json_free(doc);
        return hfc_fail(HFC_ERR_NOMEM, "out of memory");
    }
    tk_added_init(&t->added);
    hfc_status st = load_doc(t, doc);
    if (st != HFC_OK) {
        /* messages from components name the JSON path; make sure the file is named too */
        const char *name = hfc_json_name(doc);
        if (strncmp(hfc_error_message(), name, strlen(name)) != 0) hfc_error_prefix(st, "%s: ", name);
        hfc_json_free(doc);
        hfc_tokenizer_free(t);
        return st;
    }
    size_t len;
    const char *src = hfc_json_source(doc, &len);
    t->source = hfc_malloc(len + 1);
    if (!t->source) {
        hfc_json_free(doc);
        hfc_tokenizer_free(t);
        return hfc_fail(HFC_ERR_NOMEM, "out of memory");
    }
    memcpy(t->source, src, len);
    t->source_len = len;
    hfc_json_free(doc);
    *out = t;
    return HFC_OK;
}

hfc_status hfc_tokenizer_from_json(const char *buf, size_t len, const char *name,
                                   hfc_tokenizer **out) {
    hfc_json_opts opts = {0, false, name ? name : "<string>"};
    /* serde_json keeps the last of duplicate keys; vocabularies in the wild have none,
       but HF loads such files, so do we */
    opts.allow_duplicate_keys = true;
    hfc_json_doc *doc;
    HFC_TRY(hfc_json_parse(buf, len, &opts, &doc));
    return load(doc, out);
}

hfc_status hfc_tokenizer_from_file(const char *path, hfc_tokenizer **out) {
    hfc_json_opts opts = {0, true, path};
    hfc_json_doc *doc;
    HFC_TRY(hfc_json_parse_file(path, &opts, &doc));
    return load(doc, out);
}

/* ------------------------------------------------------------------ encoding */

/* Tokenize every untokenized split. (tokenizers 0.23.1-0.23.2 stopped early when
 * truncating, which emptied Encoding.overflowing (HF issue #2091); 0.23.3, our reference,
 * tokenizes everything again, and so do we.) */
static hfc_status tokenize_splits(const hfc_tokenizer *t, tk_ctx *c, tk_pretok *pt) {
    for (size_t i = 0; i < pt->n; i++) {
        tk_split *sp = &pt->v[i];
        if (sp->tokenized) continue;
        tk_tokens toks = {0};
        HFC_TRY(tk_model_tokenize(t->model, c, sp->norm.s, sp->norm.len, &toks));
        sp->toks = toks.v;
        sp->ntoks = (uint32_t)toks.n;
        sp->tokenized = true;
    }
    return HFC_OK;
}

/* Append the tokens of a tokenized split to e (offsets through its alignments). */
static hfc_status push_split(const hfc_tokenizer *t, const tk_split *sp, uint32_t type_id,
                             int32_t word, hfc_encoding *e) {
    const tk_token *tv = sp->toks;
    size_t nt = sp->ntoks;
    HFC_TRY(hfc_encoding_reserve(e, e->n + nt));
    for (size_t k = 0; k < nt; k++) {
        tk_align o = tk_norm_to_original(&sp->norm, tv[k].start, tv[k].end);
        HFC_TRY(tk_encoding_push(e, tv[k].id, type_id, o.start, o.end, word, 0, 0, 1));
        if (sp->from_added) { /* HF's value: the matched slice of the normalized text */
            uint32_t vlen;
            const char *v = hfc_tokenizer_token_value(t, tv[k].id, &vlen);
            if (!v || vlen != sp->norm.len || memcmp(v, sp->norm.s, vlen))
                HFC_TRY(tk_encoding_set_override(e, e->n - 1, sp->norm.s, sp->norm.len));
        }
    }
    return HFC_OK;
}

/* Which part of the pre-tokenizer encode_splits applies. */
typedef enum { PRE_ALL, PRE_BEFORE_CUT, PRE_FROM_CUT, PRE_AFTER_CUT } pre_part;

static hfc_status pretokenize(const hfc_tokenizer *t, tk_ctx *c, tk_pretok *pt, pre_part part) {
    const tk_pretokenizer *p = t->pretokenizer;
    if (!p) return HFC_OK;
    switch (part) {
    case PRE_ALL: return tk_pretokenizer_apply(p, c, pt);
    case PRE_BEFORE_CUT: return tk_pretokenizer_apply_stages(p, 0, c, pt, t->memo_stage);
    case PRE_FROM_CUT: return tk_pretokenizer_apply_stages(p, t->memo_stage, c, pt, SIZE_MAX);
    case PRE_AFTER_CUT: return tk_pretokenizer_apply_rest(p, t->memo_stage, c, pt);
    }
    return HFC_OK;
}

/* Pre-tokenize (part of the pre-tokenizer) and tokenize the splits of pt, appending to e;
 * word ids are split indices from *nword on (or `word` for all when word >= 0); *nword
 * advances by the splits made. */
static hfc_status encode_splits(const hfc_tokenizer *t, tk_ctx *c, tk_pretok *pt, pre_part part,
                                uint32_t type_id, int32_t word, int32_t *nword, hfc_encoding *e) {
    HFC_TRY(pretokenize(t, c, pt, part));
    HFC_TRY(tokenize_splits(t, c, pt));
    for (size_t i = 0; i < pt->n; i++)
        HFC_TRY(push_split(t, &pt->v[i], type_id, word >= 0 ? word : *nword + (int32_t)i, e));
    *nword += (int32_t)pt->n;
    return HFC_OK;
}

/* Are the piece's alignments those of original text (each byte aligned to its character's
 * bytes, counting from its first byte's offset)? Then what the rest of the pipeline makes
 * of it, in offsets from its start, depends on its bytes only. O(1) when the alignments are
 * still (a slice of) the input's own: a normalizer keeps them only when it rewrites bytes
 * in place, char for char (e.g. BertNormalizer's ASCII lowercasing); else one pass. */
static bool identity_aligned(const tk_norm *n, const tk_norm *whole) {
    if (n->al >= whole->al && n->al + n->len <= whole->al + whole->len) return true;
    if (n->len == 0) return true;
    const uint8_t *u = (const uint8_t *)n->s;
    uint32_t a0 = n->al[0].start;
    for (uint32_t i = 0; i < n->len;) {
        if (u[i] < 0x80) { /* one byte: {a0 + i, a0 + i + 1} as one word */
            uint64_t x, want = ((uint64_t)a0 | (uint64_t)(a0 + 1) << 32) + (uint64_t)i * 0x100000001ull;
            memcpy(&x, &n->al[i], 8);
            if (x != want) return false;
            i++;
            continue;
        }
        uint32_t l = (uint32_t)tk_utf8_len(u[i]);
        if (l > n->len - i) return false;
        for (uint32_t k = 0; k < l; k++)
            if (n->al[i + k].start != a0 + i || n->al[i + k].end != a0 + i + l) return false;
        i += l;
    }
    return true;
}

/* One identity-aligned split, from the memo cut on: each slice of the cut has its tokens
 * (ids, offsets from the slice's start, word ids from its first split on, and the number
 * of splits it makes) in the memo, or they are made by the rest of the pre-tokenizer and
 * the model and remembered. When the cut is the pre-tokenizer's last step (memo_plain),
 * the model's tokens are byte ranges of the slice itself: the memo keeps those (in the
 * slice's bytes, not original offsets) and maps them through the slice's alignments as
 * push_split does, so any split can take this path, whatever its normalizer did. */
static hfc_status encode_cut(const hfc_tokenizer *t, tk_ctx *c, const tk_norm *n, uint32_t type_id,
                             int32_t word, int32_t *nword, hfc_encoding *e) {
    /* the slices [a, b) of n: spans of the regex's matches, or the cut's own splits */
    tk_spans cuts = {0};
    if (t->memo_re) HFC_TRY(tk_regex_find_matches(t->memo_re, c, n->s, n->len, &cuts));
    else HFC_TRY(tk_pretokenizer_cut(t->memo_cut, c, n, &cuts));
    for (size_t j = 0; j < cuts.n; j++) {
        uint32_t a = cuts.v[j].start, b = cuts.v[j].end;
        if (a >= b) continue; /* HF drops empty splits */
        uint32_t at = n->al[a].start, cnt = 0, nsplits = 0;
        tk_memo_key key;
        tk_memo_item it[TK_MEMO_ITEMS];
        if (tk_memo_get(t->memo, n->s + a, b - a, &key, it, &cnt, &nsplits)) {
            if (e->n + cnt > e->cap) HFC_TRY(hfc_encoding_reserve(e, e->n + cnt));
            for (uint32_t k = 0; k < cnt; k++) {
                uint32_t s0 = at + it[k].start, s1 = at + it[k].end;
                if (t->memo_plain) {
                    s0 = n->al[a + it[k].start].start;
                    s1 = n->al[a + it[k].end - 1].end;
                }
                tk_encoding_set(e, e->n + k, it[k].id, type_id, s0, s1,
                                word >= 0 ? word : *nword + it[k].word, 0, 0, 1);
            }
            e->n += cnt;
            *nword += (int32_t)nsplits;
            continue;
        }
        tk_pretok one = {0};
        tk_norm q;
        tk_norm_slice(n, a, b, &q);
        HFC_TRY(tk_pretok_push(c, &one, &q));
        size_t first = e->n;
        int32_t w0 = *nword;
        HFC_TRY(encode_splits(t, c, &one, PRE_AFTER_CUT, type_id, word, nword, e));
        bool fits = key.slot && word < 0 && e->n - first <= TK_MEMO_ITEMS && one.n <= 0xFFFF;
        if (t->memo_plain) { /* one split (non-empty), its tokens in the slice's bytes */
            fits = fits && one.n == 1 && one.v[0].ntoks == e->n - first;
            for (size_t k = 0; fits && k < e->n - first; k++) {
                const tk_token *tk = &one.v[0].toks[k];
                if (tk->start >= tk->end || tk->end > 255) fits = false;
                else it[k] = (tk_memo_item){tk->id, (uint8_t)tk->start, (uint8_t)tk->end, 0};
            }
            if (fits) tk_memo_put(t->memo, &key, it, (uint32_t)(e->n - first), 1);
            continue;
        }
        for (size_t k = first; fits && k < e->n; k++) {
            uint32_t s0 = e->offsets[2 * k] - at, s1 = e->offsets[2 * k + 1] - at;
            int32_t wd = e->words[k] - w0;
            if (e->offsets[2 * k] < at || s0 > 255 || s1 > 255 || wd < 0 || wd > 255) fits = false;
            else it[k - first] = (tk_memo_item){e->ids[k], (uint8_t)s0, (uint8_t)s1, (uint8_t)wd};
        }
        if (fits) tk_memo_put(t->memo, &key, it, (uint32_t)(e->n - first), (uint32_t)one.n);
    }
    return HFC_OK;
}

/* Steps 3-4 through the memo (t->memo_cut). The result of the pre-tokenizer's steps after
 * its memo cut, and of the model, depends on each identity-aligned slice's bytes only
 * (tk_pretokenizer_memo_cut), so this equals the direct path. Other splits (added tokens,
 * text a normalizer resized) take the direct path. */
static hfc_status encode_memo(const hfc_tokenizer *t, tk_ctx *c, tk_pretok *pt, const tk_norm *whole,
                              uint32_t type_id, int32_t word, int32_t *nword, hfc_encoding *e) {
    for (size_t i = 0; i < pt->n; i++) {
        tk_split *sp = &pt->v[i];
        bool memoizable = !sp->tokenized && (t->memo_plain || identity_aligned(&sp->norm, whole));
        if (memoizable && t->memo_stage == 0) {
            HFC_TRY(encode_cut(t, c, &sp->norm, type_id, word, nword, e));
            continue;
        }
        tk_pretok one = {0};
        HFC_TRY(tk_pretok_push(c, &one, &sp->norm));
        one.v[0] = *sp;
        if (!memoizable) {
            HFC_TRY(encode_splits(t, c, &one, PRE_ALL, type_id, word, nword, e));
            continue;
        }
        HFC_TRY(pretokenize(t, c, &one, PRE_BEFORE_CUT)); /* the steps before the cut */
        for (size_t j = 0; j < one.n; j++) {
            if (!one.v[j].tokenized && (t->memo_plain || identity_aligned(&one.v[j].norm, whole))) {
                HFC_TRY(encode_cut(t, c, &one.v[j].norm, type_id, word, nword, e));
                continue;
            }
            tk_pretok rest = {0};
            HFC_TRY(tk_pretok_push(c, &rest, &one.v[j].norm));
            rest.v[0] = one.v[j];
            HFC_TRY(encode_splits(t, c, &rest, PRE_FROM_CUT, type_id, word, nword, e));
        }
    }
    return HFC_OK;
}

/* Encode one text (HF encode_single_sequence's inner `encode`), appending to e. Word ids
 * are split indices, or `word` for every token when word >= 0 (pre-tokenized input). */
static hfc_status encode_one(const hfc_tokenizer *t, tk_ctx *c, const char *text, uint32_t len,
                             uint32_t base, uint32_t type_id, int32_t word, int32_t word_base,
                             size_t *n_words, hfc_encoding *e) {
    tk_pretok pt = {0};
    tk_norm whole;
    HFC_TRY(tk_norm_from_original(c, text, len, base, &whole));
    HFC_TRY(tk_pretok_push(c, &pt, &whole));
    /* 1. added tokens matched in the raw text */
    HFC_TRY(tk_added_split(&t->added, c, &pt, false, t->encode_special_tokens));
    /* 2. normalize what is left, then match normalized added tokens */
    if (t->normalizer)
        for (size_t i = 0; i < pt.n; i++)
            if (!pt.v[i].tokenized) HFC_TRY(tk_normalizer_apply(t->normalizer, c, &pt.v[i].norm));
    /* HF drops pieces that normalized to nothing when it splits next */
    size_t w = 0;
    for (size_t i = 0; i < pt.n; i++)
        if (pt.v[i].tokenized || pt.v[i].norm.len) pt.v[w++] = pt.v[i];
    pt.n = w;
    HFC_TRY(tk_added_split(&t->added, c, &pt, true, t->encode_special_tokens));
    /* 3. pre-tokenize, 4. model, and the encoding in original offsets */
    int32_t nword = word_base;
    if (t->memo) HFC_TRY(encode_memo(t, c, &pt, &whole, type_id, word, &nword, e));
    else HFC_TRY(encode_splits(t, c, &pt, PRE_ALL, type_id, word, &nword, e));
    if (n_words) *n_words = (size_t)(nword - word_base);
    return HFC_OK;
}

/* ---- long documents: encoded in chunks of ~CHUNK bytes, cut where no component can
 * join across the cut (tk_pretokenizer_newline_local, tk_normalizer_newline_local, added
 * tokens without newlines or whitespace rules): after "x\n" (x not whitespace) and before
 * a non-space character. Each chunk's scratch is dropped before the next, so memory stays
 * bounded and the cost per byte flat. */
#define CHUNK_BYTES ((size_t)256 << 10)


static bool ascii_space(uint8_t b) { return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\v' || b == '\f'; }

/* A cut in text[from, len) at or after `from`, or len if none. */
static size_t chunk_cut(const char *text, size_t from, size_t len) {
    const uint8_t *u = (const uint8_t *)text;
    for (size_t i = from < 2 ? 2 : from; i < len; i++) {
        if (u[i - 1] != '\n' || ascii_space(u[i - 2]) || ascii_space(u[i]) || u[i] == 0x85) continue;
        if (u[i] >= 0x80) { /* non-ASCII: a letter or digit only */
            int l;
            uint32_t cp = tk_utf8_decode(u + i, len - i, &l);
            if (!tk_is_alphanumeric(cp)) continue;
        } else if (!((u[i] >= 'a' && u[i] <= 'z') || (u[i] >= 'A' && u[i] <= 'Z') ||
                     (u[i] >= '0' && u[i] <= '9'))) {
            continue;
        }
        return i;
    }
    return len;
}

static bool chunkable(const hfc_tokenizer *t) {
    if (!tk_pretokenizer_newline_local(t->pretokenizer) || !tk_normalizer_newline_local(t->normalizer))
        return false;
    for (size_t i = 0; i < t->added.n; i++) {
        const tk_added_token *a = &t->added.v[i];
        if (a->single_word || a->lstrip || a->rstrip || memchr(a->content, '\n', a->len) ||
            (a->norm && memchr(a->norm, '\n', a->norm_len)))
            return false;
    }
    return true;
}

typedef struct chunk_job {
    const hfc_tokenizer *t;
    const char *text;
    const size_t *cuts; /* n + 1 cut points */
    uint32_t type_id;
    hfc_encoding *encs; /* one per chunk */
    size_t *n_words;    /* splits per chunk (word ids are per chunk until joined) */
    tk_ctx *ctxs;       /* one per worker */
} chunk_job;

static hfc_status chunk_task(void *vjob, size_t begin, size_t end, int worker) {
    chunk_job *j = vjob;
    for (size_t i = begin; i < end; i++) {
        tk_ctx_reset(&j->ctxs[worker]);
        HFC_TRY(encode_one(j->t, &j->ctxs[worker], j->text + j->cuts[i],
                           (uint32_t)(j->cuts[i + 1] - j->cuts[i]), (uint32_t)j->cuts[i], j->type_id,
                           -1, 0, &j->n_words[i], &j->encs[i]));
    }
    return HFC_OK;
}

/* Chunks are encoded on the pool (inline when called from a pool task, e.g. encode_batch),
 * then joined in order with word ids shifted by the splits of the chunks before. */
static hfc_status encode_chunks(const hfc_tokenizer *t, const char *text, const size_t *cuts,
                                size_t n, uint32_t type_id, hfc_encoding *e) {
    int workers = hfc_get_num_threads();
    hfc_encoding *encs = hfc_calloc(n, sizeof *encs);
    size_t *n_words = hfc_calloc(n, sizeof *n_words);
    tk_ctx *ctxs = hfc_calloc((size_t)workers, sizeof *ctxs);
    hfc_status st = HFC_OK;
    if (!encs || !n_words || !ctxs) st = hfc_fail(HFC_ERR_NOMEM, "out of memory");
    for (int w = 0; ctxs && w < workers; w++) tk_ctx_init(&ctxs[w]);
    if (st == HFC_OK) {
        chunk_job job = {t, text, cuts, type_id, encs, n_words, ctxs};
        st = hfc_parallel_for_max(n, 1, workers, chunk_task, &job);
    }
    int32_t word_base = 0;
    for (size_t i = 0; st == HFC_OK && i < n; i++) {
        for (size_t k = 0; k < encs[i].n; k++) encs[i].words[k] += word_base;
        word_base += (int32_t)n_words[i];
        if (i == 0 && e->n == 0 && !e->n_overflowing) { /* the first chunk moves, not copied */
            hfc_encoding x = *e;
            *e = encs[0];
            encs[0] = x;
        } else {
            st = tk_encoding_append(e, &encs[i], -1, -2);
        }
    }
    for (size_t i = 0; encs && i < n; i++) hfc_encoding_free(&encs[i]);
    for (int w = 0; ctxs && w < workers; w++) tk_ctx_free(&ctxs[w]);
    hfc_free(encs);
    hfc_free(n_words);
    hfc_free(ctxs);
    return st;
}

static hfc_status encode_text(const hfc_tokenizer *t, tk_ctx *c, const char *text, size_t len,
                              uint32_t type_id, int32_t word, hfc_encoding *e) {
    if (len <= 2 * CHUNK_BYTES || word >= 0 || !t->chunkable)
        return encode_one(t, c, text, (uint32_t)len, 0, type_id, word, 0, NULL, e);
    size_t *cuts = NULL, n = 0, cap = 0, pos = 0;
    hfc_status st = HFC_OK;
    while (st == HFC_OK) {
        void *p = cuts;
        if ((st = hfc_grow(&p, &cap, n + 2, sizeof *cuts)) != HFC_OK) break;
        cuts = p;
        cuts[n++] = pos;
        if (pos == len) break;
        pos = len - pos <= 2 * CHUNK_BYTES ? len : chunk_cut(text, pos + CHUNK_BYTES, len);
    }
    if (st == HFC_OK && n == 2) /* no cut found: one chunk, encoded as a short text is */
        st = encode_one(t, c, text, (uint32_t)len, 0, type_id, word, 0, NULL, e);
    else if (st == HFC_OK)
        st = encode_chunks(t, text, cuts, n - 1, type_id, e);
    hfc_free(cuts);
    return st;
}

/* HF truncate_encodings (utils/truncation.rs). */
static hfc_status truncate_encodings(const hfc_truncation *tr, size_t max_length, hfc_encoding *a,
                                     hfc_encoding *b) {
    if (max_length == 0) {
        HFC_TRY(tk_encoding_truncate(a, 0, tr->stride, tr->left));
        return b ? tk_encoding_truncate(b, 0, tr->stride, tr->left) : HFC_OK;
    }
    size_t total = a->n + (b ? b->n : 0);
    if (total <= max_length) return HFC_OK;
    size_t to_remove = total - max_length;
    if (tr->strategy == HFC_TRUNC_LONGEST_FIRST) {
        if (!b) return tk_encoding_truncate(a, total - to_remove, tr->stride, tr->left);
        size_t n1 = a->n, n2 = b->n;
        bool swap = n1 > n2;
        if (swap) { size_t x = n1; n1 = n2; n2 = x; }
        if (n1 > max_length) n2 = n1;
        else n2 = n1 > max_length - n1 ? n1 : max_length - n1;
        if (n1 + n2 > max_length) {
            n1 = max_length / 2;
            n2 = n1 + max_length % 2;
        }
        if (swap) { size_t x = n1; n1 = n2; n2 = x; }
        HFC_TRY(tk_encoding_truncate(a, n1, tr->stride, tr->left));
        return tk_encoding_truncate(b, n2, tr->stride, tr->left);
    }
    hfc_encoding *target = tr->strategy == HFC_TRUNC_ONLY_FIRST ? a : b;
    if (!target)
        return hfc_fail(HFC_ERR_INVALID, "Truncation error: Second sequence not provided");
    if (target->n <= to_remove)
        return hfc_fail(HFC_ERR_INVALID, "Truncation error: Sequence to truncate too short to "
                        "respect the provided max_length");
    return tk_encoding_truncate(target, target->n - to_remove, tr->stride, tr->left);
}

static size_t padded_length(const hfc_padding *pd, size_t longest) {
    size_t len = pd->fixed ? pd->length : longest;
    if (pd->pad_to_multiple_of && len % pd->pad_to_multiple_of)
        len += pd->pad_to_multiple_of - len % pd->pad_to_multiple_of;
    return len;
}

hfc_status hfc_encodings_pad_batch(const hfc_padding *pd, hfc_encoding *encs, size_t n) {
    if (!pd->enabled || n == 0) return HFC_OK;
    size_t longest = 0;
    for (size_t i = 0; i < n; i++) longest = encs[i].n > longest ? encs[i].n : longest;
    size_t len = padded_length(pd, longest);
    for (size_t i = 0; i < n; i++)
        HFC_TRY(tk_encoding_pad(&encs[i], len, pd->pad_id, pd->pad_type_id, pd->left));
    return HFC_OK;
}

/* HF TokenizerImpl::post_process: truncate, add special tokens, pad. */
static hfc_status post_process(const hfc_tokenizer *t, hfc_encoding *a, hfc_encoding *b,
                               bool add_special, hfc_encoding *out) {
    if (t->trunc.enabled) {
        size_t n_added = hfc_tokenizer_num_special_tokens_to_add(t, b != NULL);
        size_t max_length = t->trunc.max_length;
        /* HF computes max_length - n_added in wrapping usize arithmetic: a max_length
         * below the special-token count means "no truncation". Same here. */
        if (add_special && n_added > 0) max_length -= n_added;
        HFC_TRY(truncate_encodings(&t->trunc, max_length, a, b));
    }
    hfc_encoding_clear(out);
    if (!b && !a->n_overflowing && tk_postproc_keeps_single(t->postproc)) {
        /* the result is `a` itself (type and sequence ids 0 as encode_sequence set them):
         * hand its arrays over instead of copying them */
        hfc_encoding x = *out;
        *out = *a;
        *a = x;
    } else {
        /* padding to a fixed length: room for it now, not a second block when padding */
        if (t->pad.enabled && t->pad.fixed)
            HFC_TRY(hfc_encoding_reserve(out, padded_length(&t->pad, 0)));
        if (t->postproc) HFC_TRY(tk_postproc_process(t->postproc, t, a, b, add_special, out));
        else HFC_TRY(tk_postproc_default(a, b, out));
    }
    if (t->pad.enabled) HFC_TRY(hfc_encodings_pad_batch(&t->pad, out, 1));
    return HFC_OK;
}

void hfc_tokenizer_set_truncation(hfc_tokenizer *t, const hfc_truncation *tr) {
    if (tr) { t->trunc = *tr; t->trunc.enabled = true; }
    else memset(&t->trunc, 0, sizeof t->trunc);
}

void hfc_tokenizer_set_padding(hfc_tokenizer *t, const hfc_padding *pd) {
    if (pd) { t->pad = *pd; t->pad.enabled = true; }
    else memset(&t->pad, 0, sizeof t->pad);
}

const hfc_truncation *hfc_tokenizer_truncation(const hfc_tokenizer *t) {
    return t->trunc.enabled ? &t->trunc : NULL;
}

const hfc_padding *hfc_tokenizer_padding(const hfc_tokenizer *t) {
    return t->pad.enabled ? &t->pad : NULL;
}

static hfc_status check_input(const hfc_tk_input *in, const char *what) {
    for (size_t i = 0; i < in->n; i++) {
        if (in->lens[i] > UINT32_MAX / 2)
            return hfc_fail(HFC_ERR_INVALID, "%s of %zu bytes is too long (limit 2 GiB)", what,
                            in->lens[i]);
        if (in->utf8_valid) continue;
        size_t bad = hfc_kernels_active.utf8_valid_prefix((const uint8_t *)in->texts[i], in->lens[i]);
        if (bad != in->lens[i])
            return hfc_fail(HFC_ERR_INVALID, "%s is not valid UTF-8 (byte %zu)", what, bad);
    }
    return HFC_OK;
}

/* HF encode_single_sequence: a raw text, or pre-tokenized words each encoded on its own
 * (offsets relative to the word, word id = its index), concatenated. */
static hfc_status encode_sequence(const hfc_tokenizer *t, tk_ctx *c, const hfc_tk_input *in,
                                  uint32_t type_id, hfc_encoding *e) {
    for (size_t i = 0; i < in->n; i++)
        HFC_TRY(encode_text(t, c, in->texts[i], in->lens[i], type_id,
                            in->pretokenized ? (int32_t)i : -1, e));
    return HFC_OK;
}

static hfc_status encode_input(const hfc_tokenizer *t, hfc_tk_scratch *s, const hfc_tk_input *seq,
                               const hfc_tk_input *pair, bool add_special_tokens, bool fast,
                               hfc_encoding *out) {
    HFC_TRY(check_input(seq, "input"));
    if (pair) HFC_TRY(check_input(pair, "pair input"));
    tk_ctx_reset(&s->ctx);
    hfc_encoding_clear(&s->a);
    hfc_encoding_clear(&s->b);
    HFC_TRY(encode_sequence(t, &s->ctx, seq, 0, &s->a));
    if (pair) HFC_TRY(encode_sequence(t, &s->ctx, pair, fast ? 0 : 1, &s->b));
    HFC_TRY(post_process(t, &s->a, pair ? &s->b : NULL, add_special_tokens, out));
    if (fast) hfc_encoding_drop_offsets(out);
    return HFC_OK;
}

hfc_status hfc_tokenizer_encode_input(const hfc_tokenizer *t, hfc_tk_scratch *s,
                                      const hfc_tk_input *seq, const hfc_tk_input *pair,
                                      bool add_special_tokens, hfc_encoding *out) {
    return encode_input(t, s, seq, pair, add_special_tokens, false, out);
}

hfc_status hfc_tokenizer_encode_input_fast(const hfc_tokenizer *t, hfc_tk_scratch *s,
                                           const hfc_tk_input *seq, const hfc_tk_input *pair,
                                           bool add_special_tokens, hfc_encoding *out) {
    return encode_input(t, s, seq, pair, add_special_tokens, true, out);
}

hfc_status hfc_tokenizer_encode(const hfc_tokenizer *t, hfc_tk_scratch *s, const char *text,
                                size_t len, const char *pair, size_t pair_len,
                                bool add_special_tokens, hfc_encoding *out) {
    hfc_tk_input a = {&text, &len, 1, false}, b = {&pair, &pair_len, 1, false};
    return hfc_tokenizer_encode_input(t, s, &a, pair ? &b : NULL, add_special_tokens, out);
}

/* ------------------------------------------------------------------ vocabulary */

const char *hfc_tokenizer_id_to_token(const hfc_tokenizer *t, uint32_t id, uint32_t *len) {
    const tk_added_token *a = tk_added_by_id(&t->added, id);
    if (a) { /* HF simple_id_to_token: the normalized form of a normalized added token */
        *len = a->norm ? a->norm_len : a->len;
        return a->norm ? a->norm : a->content;
    }
    return tk_vocab_token(tk_model_vocab(t->model), id, len);
}

const char *hfc_tokenizer_token_value(const hfc_tokenizer *t, uint32_t id, uint32_t *len) {
    const char *s = tk_vocab_token(tk_model_vocab(t->model), id, len);
    if (s) return s;
    const tk_added_token *a = tk_added_by_id(&t->added, id);
    if (!a) return NULL;
    *len = a->len;
    return a->content;
}

int64_t hfc_tokenizer_token_to_id(const hfc_tokenizer *t, const char *tok, size_t len) {
    if (len > UINT32_MAX) return -1;
    if (t->added.map) {
        int64_t id = tk_vocab_get(t->added.map, tok, (uint32_t)len);
        if (id >= 0) return id;
    }
    return tk_vocab_get(tk_model_vocab(t->model), tok, (uint32_t)len);
}

size_t hfc_tokenizer_vocab_size(const hfc_tokenizer *t, bool with_added) {
    const tk_vocab *v = tk_model_vocab(t->model);
    size_t n = tk_vocab_size(v);
    if (!with_added) return n;
    /* HF get_vocab_size(true): model size plus added tokens not already in the model */
    for (size_t i = 0; i < t->added.n; i++) {
        uint32_t l;
        const char *s = tk_vocab_token(v, t->added.v[i].id, &l);
        if (!s || l != t->added.v[i].len || memcmp(s, t->added.v[i].content, l)) n++;
    }
    return n;
}

size_t hfc_tokenizer_vocab_slots(const hfc_tokenizer *t) {
    return tk_vocab_max_id(tk_model_vocab(t->model)) + t->added.n;
}

bool hfc_tokenizer_vocab_entry(const hfc_tokenizer *t, bool with_added, size_t i,
                               const char **tok, uint32_t *len, uint32_t *id) {
    const tk_vocab *v = tk_model_vocab(t->model);
    size_t model_slots = tk_vocab_max_id(v);
    if (i < model_slots) {
        *tok = tk_vocab_token(v, (uint32_t)i, len);
        *id = (uint32_t)i;
        return *tok != NULL;
    }
    i -= model_slots;
    if (!with_added || i >= t->added.n) return false;
    *tok = t->added.v[i].content;
    *len = t->added.v[i].len;
    *id = t->added.v[i].id;
    return true;
}

void hfc_tokenizer_set_encode_special_tokens(hfc_tokenizer *t, bool v) { t->encode_special_tokens = v; }
bool hfc_tokenizer_get_encode_special_tokens(const hfc_tokenizer *t) { return t->encode_special_tokens; }

size_t hfc_tokenizer_num_special_tokens_to_add(const hfc_tokenizer *t, bool is_pair) {
    return t->postproc ? tk_postproc_added_tokens(t->postproc, is_pair) : 0;
}

/* ------------------------------------------------------------------ decoding */

hfc_status hfc_tokenizer_decode(const hfc_tokenizer *t, hfc_tk_scratch *s, const uint32_t *ids,
                                size_t n, bool skip_special_tokens, hfc_buf *out) {
    tk_ctx_reset(&s->ctx);
    tk_strs toks = {0};
    for (size_t i = 0; i < n; i++) {
        const tk_added_token *a = tk_added_by_id(&t->added, ids[i]);
        const char *str;
        uint32_t len;
        if (a) {
            if (skip_special_tokens && a->special) continue;
            str = a->norm ? a->norm : a->content; /* HF simple_id_to_token: normalized form */
            len = a->norm ? a->norm_len : a->len;
        } else {
            str = tk_vocab_token(tk_model_vocab(t->model), ids[i], &len);
            if (!str) continue;
            /* a model token whose text equals a special added token is skipped too */
            if (skip_special_tokens && t->added.map) {
                int64_t aid = tk_vocab_get(t->added.map, str, len);
                const tk_added_token *sa = aid >= 0 ? tk_added_by_id(&t->added, (uint32_t)aid) : NULL;
                if (sa && sa->special) continue;
            }
        }
        HFC_TRY(tk_strs_push(&s->ctx, &toks, str, len));
    }
    if (t->decoder) return tk_decoder_decode(t->decoder, &s->ctx, &toks, out);
    for (size_t i = 0; i < toks.n; i++) {
        if (i) HFC_TRY(hfc_buf_putc(out, ' '));
        HFC_TRY(hfc_buf_append(out, toks.s[i], toks.len[i]));
    }
    return HFC_OK;
}

/* ------------------------------------------------------------------ serialization */

static hfc_status indent_line(hfc_buf *b, int indent, int level) {
    if (indent < 0) return HFC_OK;
    HFC_TRY(hfc_buf_putc(b, '\n'));
    for (int i = 0; i < indent * level; i++) HFC_TRY(hfc_buf_putc(b, ' '));
    return HFC_OK;
}

/* Write a flat object of (key, preformatted JSON value) pairs at nesting `level`. */
static hfc_status write_fields(hfc_buf *b, const char *const *kv, size_t n, int indent, int level) {
    HFC_TRY(hfc_buf_putc(b, '{'));
    for (size_t i = 0; i < n; i++) {
        if (i) HFC_TRY(hfc_buf_putc(b, ','));
        HFC_TRY(indent_line(b, indent, level + 1));
        HFC_TRY(hfc_json_write_string(b, kv[2 * i], strlen(kv[2 * i])));
        HFC_TRY(hfc_buf_append(b, indent < 0 ? ":" : ": ", indent < 0 ? 1 : 2));
        HFC_TRY(hfc_buf_append(b, kv[2 * i + 1], strlen(kv[2 * i + 1])));
    }
    if (n) HFC_TRY(indent_line(b, indent, level));
    return hfc_buf_putc(b, '}');
}

static hfc_status write_truncation(const hfc_tokenizer *t, hfc_buf *b, int indent) {
    if (!t->trunc.enabled) return hfc_buf_append(b, "null", 4);
    char ml[32], st[32];
    snprintf(ml, sizeof ml, "%zu", t->trunc.max_length);
    snprintf(st, sizeof st, "%zu", t->trunc.stride);
    static const char *const strategies[] = {"\"LongestFirst\"", "\"OnlyFirst\"", "\"OnlySecond\""};
    const char *kv[] = {"direction", t->trunc.left ? "\"Left\"" : "\"Right\"", "max_length", ml,
                        "strategy", strategies[t->trunc.strategy], "stride", st};
    return write_fields(b, kv, 4, indent, 1);
}

static hfc_status write_padding(const hfc_tokenizer *t, hfc_buf *b, int indent) {
    if (!t->pad.enabled) return hfc_buf_append(b, "null", 4);
    char strategy[64], mult[32], id[16], type_id[16];
    hfc_buf tok = {0};
    if (t->pad.fixed) snprintf(strategy, sizeof strategy, "{\"Fixed\":%zu}", t->pad.length);
    else snprintf(strategy, sizeof strategy, "\"BatchLongest\"");
    if (t->pad.pad_to_multiple_of) snprintf(mult, sizeof mult, "%zu", t->pad.pad_to_multiple_of);
    else snprintf(mult, sizeof mult, "null");
    snprintf(id, sizeof id, "%u", t->pad.pad_id);
    snprintf(type_id, sizeof type_id, "%u", t->pad.pad_type_id);
    HFC_TRY(hfc_json_write_string(&tok, t->pad.pad_token, strlen(t->pad.pad_token)));
    const char *kv[] = {"strategy", strategy, "direction", t->pad.left ? "\"Left\"" : "\"Right\"",
                        "pad_to_multiple_of", mult, "pad_id", id, "pad_type_id", type_id,
                        "pad_token", tok.data};
    hfc_status st = write_fields(b, kv, 6, indent, 1);
    hfc_buf_free(&tok);
    return st;
}

static int cmp_added_id(const void *x, const void *y) {
    uint32_t a = (*(const tk_added_token *const *)x)->id, b = (*(const tk_added_token *const *)y)->id;
    return a < b ? -1 : a > b;
}

static hfc_status write_added_tokens(const hfc_tokenizer *t, hfc_buf *b, int indent) {
    const tk_added_token **v = hfc_calloc(t->added.n + 1, sizeof *v);
    if (!v) return hfc_fail(HFC_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < t->added.n; i++) v[i] = &t->added.v[i];
    qsort(v, t->added.n, sizeof *v, cmp_added_id);
    hfc_status st = hfc_buf_putc(b, '[');
    for (size_t i = 0; st == HFC_OK && i < t->added.n; i++) {
        const tk_added_token *a = v[i];
        char id[16];
        hfc_buf content = {0};
        snprintf(id, sizeof id, "%u", a->id);
        st = hfc_json_write_string(&content, a->content, a->len);
        const char *kv[] = {"id", id, "content", content.data ? content.data : "\"\"",
                            "single_word", a->single_word ? "true" : "false",
                            "lstrip", a->lstrip ? "true" : "false",
                            "rstrip", a->rstrip ? "true" : "false",
                            "normalized", a->normalized ? "true" : "false",
                            "special", a->special ? "true" : "false"};
        if (st == HFC_OK && i) st = hfc_buf_putc(b, ',');
        if (st == HFC_OK) st = indent_line(b, indent, 2);
        if (st == HFC_OK) st = write_fields(b, kv, 7, indent, 2);
        hfc_buf_free(&content);
    }
    if (st == HFC_OK && t->added.n) st = indent_line(b, indent, 1);
    if (st == HFC_OK) st = hfc_buf_putc(b, ']');
    hfc_free(v);
    return st;
}

hfc_status hfc_tokenizer_to_json(const hfc_tokenizer *t, int indent, hfc_buf *out) {
    return hfc_tokenizer_to_json_with(t, indent, NULL, NULL, 0, out);
}

hfc_status hfc_tokenizer_component_json(const hfc_tokenizer *t, const char *name, hfc_buf *out) {
    hfc_json_opts opts = {0, true, "tokenizer"};
    hfc_json_doc *doc;
    HFC_TRY(hfc_json_parse(t->source, t->source_len, &opts, &doc));
    const hfc_json_value *v = hfc_json_getz(hfc_json_root(doc), name);
    hfc_status st = v ? hfc_json_write_value(out, v, -1) : hfc_buf_append(out, "null", 4);
    hfc_json_free(doc);
    return st;
}

hfc_status hfc_tokenizer_to_json_with(const hfc_tokenizer *t, int indent, const char *name,
                                      const char *value, size_t value_len, hfc_buf *out) {
    hfc_json_opts opts = {0, true, "tokenizer"};
    hfc_json_doc *doc;
    HFC_TRY(hfc_json_parse(t->source, t->source_len, &opts, &doc));
    const hfc_json_value *root = hfc_json_root(doc);
    hfc_status st = hfc_buf_putc(out, '{');
    bool wrote_added = false, wrote_trunc = false, wrote_pad = false, wrote_name = !name;
    for (uint32_t i = 0; st == HFC_OK && i < root->len; i++) {
        const hfc_json_member *m = &root->u.members[i];
        if (i) st = hfc_buf_putc(out, ',');
        if (st == HFC_OK) st = indent_line(out, indent, 1);
        if (st == HFC_OK) st = hfc_json_write_string(out, m->key.u.s, m->key.len);
        if (st == HFC_OK) st = hfc_buf_append(out, indent < 0 ? ":" : ": ", indent < 0 ? 1 : 2);
        if (st != HFC_OK) break;
        if (name && hfc_json_str_eq(&m->key, name, strlen(name))) { st = hfc_buf_append(out, value, value_len); wrote_name = true; }
        else if (hfc_json_str_eq(&m->key, "truncation", 10)) { st = write_truncation(t, out, indent); wrote_trunc = true; }
        else if (hfc_json_str_eq(&m->key, "padding", 7)) { st = write_padding(t, out, indent); wrote_pad = true; }
        else if (hfc_json_str_eq(&m->key, "added_tokens", 12)) { st = write_added_tokens(t, out, indent); wrote_added = true; }
        else {
            /* nested values: re-indent by writing into a temporary and shifting lines */
            hfc_buf tmp = {0};
            st = hfc_json_write_value(&tmp, &m->value, indent);
            for (size_t k = 0; st == HFC_OK && k < tmp.len; k++) {
                st = hfc_buf_putc(out, tmp.data[k]);
                if (st == HFC_OK && tmp.data[k] == '\n' && indent > 0)
                    for (int sp = 0; sp < indent && st == HFC_OK; sp++) st = hfc_buf_putc(out, ' ');
            }
            hfc_buf_free(&tmp);
        }
    }
    bool any = root->len > 0;
    hfc_json_free(doc);
    /* fields the source lacked (hand-written files) go at the end */
    static const char *const names[] = {"truncation", "padding", "added_tokens"};
    bool wrote[] = {wrote_trunc, wrote_pad, wrote_added};
    for (int f = 0; st == HFC_OK && f < 3; f++) {
        if (wrote[f]) continue;
        if (any) st = hfc_buf_putc(out, ',');
        any = true;
        if (st == HFC_OK) st = indent_line(out, indent, 1);
        if (st == HFC_OK) st = hfc_buf_printf(out, indent < 0 ? "\"%s\":" : "\"%s\": ", names[f]);
        if (st == HFC_OK) st = f == 0 ? write_truncation(t, out, indent)
                             : f == 1 ? write_padding(t, out, indent) : write_added_tokens(t, out, indent);
    }
    if (st == HFC_OK && !wrote_name) { /* a component the source lacked */
        if (any) st = hfc_buf_putc(out, ',');
        any = true;
        if (st == HFC_OK) st = indent_line(out, indent, 1);
        if (st == HFC_OK) st = hfc_json_write_string(out, name, strlen(name));
        if (st == HFC_OK) st = hfc_buf_append(out, indent < 0 ? ":" : ": ", indent < 0 ? 1 : 2);
        if (st == HFC_OK) st = hfc_buf_append(out, value, value_len);
    }
    if (st == HFC_OK && any) st = indent_line(out, indent, 0);
    if (st == HFC_OK) st = hfc_buf_putc(out, '}');
    return st;
}

hfc_status hfc_tokenizer_add_tokens(hfc_tokenizer *t, const hfc_added_token_spec *tokens,
                                    size_t n, size_t *n_added) {
    tk_added_token *v = hfc_calloc(n + 1, sizeof *v);
    if (!v) return hfc_fail(HFC_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        v[i].content = (char *)tokens[i].content;
        v[i].len = (uint32_t)tokens[i].len;
        v[i].single_word = tokens[i].single_word;
        v[i].lstrip = tokens[i].lstrip;
        v[i].rstrip = tokens[i].rstrip;
        v[i].normalized = tokens[i].normalized;
        v[i].special = tokens[i].special;
    }
    cjk_fusion(t, false); /* new normalized tokens are normalized exactly */
    hfc_status st = tk_added_add(&t->added, v, n, t->model, t->normalizer, n_added);
    cjk_fusion(t, true);
    hfc_free(v);
    t->chunkable = chunkable(t);
    return st;
}
