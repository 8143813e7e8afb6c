/* Post-processors (HF tokenizers/src/processors/): add special tokens around one or two
 * encoded sequences and set type ids. */
#include "postprocess.h"
#include "encoding.h"

#include <stdio.h>
#include <string.h>

typedef enum { PP_TEMPLATE, PP_BERT, PP_ROBERTA, PP_BYTELEVEL, PP_SEQUENCE } pp_kind;

typedef struct tpl_piece {
    bool is_seq;
    int seq;          /* 0 = A, 1 = B */
    uint32_t type_id;
    uint32_t special; /* index into specials */
} tpl_piece;

typedef struct tpl_special {
    char *name;
    uint32_t *ids;
    size_t n;
} tpl_special;

struct tk_postproc {
    pp_kind kind;
    tpl_piece *single, *pair;
    size_t n_single, n_pair;
    tpl_special *specials;
    size_t n_specials;
    uint32_t cls_id, sep_id; /* Bert, Roberta */
    bool trim_offsets, add_prefix_space; /* ByteLevel, Roberta */
    tk_postproc **children;  /* Sequence */
    size_t n_children;
};

void tk_postproc_free(tk_postproc *p) {
    if (!p) return;
    hfc_free(p->single);
    hfc_free(p->pair);
    for (size_t i = 0; i < p->n_specials; i++) {
        hfc_free(p->specials[i].name);
        hfc_free(p->specials[i].ids);
    }
    hfc_free(p->specials);
    for (size_t i = 0; i < p->n_children; i++) tk_postproc_free(p->children[i]);
    hfc_free(p->children);
    hfc_free(p);
}

static hfc_status parse_specials(const hfc_json_doc *doc, const hfc_json_value *v,
                                 const char *path, tk_postproc *p) {
    if (!v || v->type != HFC_JSON_OBJECT)
        return hfc_json_fail_at(doc, v, path, "special_tokens must be an object");
    p->specials = hfc_calloc(v->len ? v->len : 1, sizeof *p->specials);
    if (!p->specials) return hfc_fail(HFC_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < v->len; i++) {
        const hfc_json_member *m = &v->u.members[i];
        tpl_special *s = &p->specials[p->n_specials++];
        s->name = hfc_strndup(m->key.u.s, m->key.len);
        const hfc_json_value *ids = hfc_json_getz(&m->value, "ids");
        if (!s->name) return hfc_fail(HFC_ERR_NOMEM, "out of memory");
        if (!ids || ids->type != HFC_JSON_ARRAY)
            return hfc_json_fail_at(doc, &m->value, path, "special token \"%s\" needs \"ids\"", s->name);
        s->ids = hfc_calloc(ids->len ? ids->len : 1, sizeof *s->ids);
        if (!s->ids) return hfc_fail(HFC_ERR_NOMEM, "out of memory");
        for (uint32_t k = 0; k < ids->len; k++) {
            const hfc_json_value *x = &ids->u.items[k];
            if (x->type != HFC_JSON_INT || x->u.i < 0 || x->u.i > UINT32_MAX)
                return hfc_json_fail_at(doc, x, path, "special token ids must be u32");
            s->ids[k] = (uint32_t)x->u.i;
        }
        s->n = ids->len;
    }
    return HFC_OK;
}

static hfc_status parse_template(const hfc_json_doc *doc, const hfc_json_value *v,
                                 const char *path, const tk_postproc *p, tpl_piece **out,
                                 size_t *n) {
    if (!v || v->type != HFC_JSON_ARRAY)
        return hfc_json_fail_at(doc, v, path, "template must be a list of pieces");
    *out = hfc_calloc(v->len ? v->len : 1, sizeof **out);
    if (!*out) return hfc_fail(HFC_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < v->len; i++) {
        const hfc_json_value *item = &v->u.items[i];
        char ipath[256];
        snprintf(ipath, sizeof ipath, "%s[%u]", path, i);
        const hfc_json_value *seq = hfc_json_getz(item, "Sequence");
        const hfc_json_value *sp = hfc_json_getz(item, "SpecialToken");
        const hfc_json_value *body = seq ? seq : sp;
        const hfc_json_value *id = body ? hfc_json_getz(body, "id") : NULL;
        const hfc_json_value *tid = body ? hfc_json_getz(body, "type_id") : NULL;
        if (!id || id->type != HFC_JSON_STRING || !tid || tid->type != HFC_JSON_INT)
            return hfc_json_fail_at(doc, item, ipath,
                                    "expected {\"Sequence\"|\"SpecialToken\": {\"id\", \"type_id\"}}");
        tpl_piece *pc = &(*out)[i];
        pc->type_id = (uint32_t)tid->u.i;
        if (seq) {
            pc->is_seq = true;
            if (hfc_json_str_eq(id, "A", 1)) pc->seq = 0;
            else if (hfc_json_str_eq(id, "B", 1)) pc->seq = 1;
            else return hfc_json_fail_at(doc, id, ipath, "sequence id must be \"A\" or \"B\"");
        } else {
            size_t k = 0;
            while (k < p->n_specials && !hfc_json_str_eq(id, p->specials[k].name, strlen(p->specials[k].name))) k++;
            if (k == p->n_specials)
                return hfc_json_fail_at(doc, id, ipath, "missing SpecialToken(s) with id(s) `%.*s`",
                                        (int)id->len, id->u.s);
            pc->special = (uint32_t)k;
        }
    }
    *n = v->len;
    return HFC_OK;
}

static hfc_status parse_pair_token(const hfc_json_doc *doc, const hfc_json_value *obj,
                                   const char *key, const char *path, uint32_t *id) {
    const hfc_json_value *v = hfc_json_getz(obj, key);
    if (!v || v->type != HFC_JSON_ARRAY || v->len != 2 || v->u.items[1].type != HFC_JSON_INT)
        return hfc_json_fail_at(doc, v ? v : obj, path, "\"%s\" must be [token, id]", key);
    *id = (uint32_t)v->u.items[1].u.i;
    return HFC_OK;
}

hfc_status tk_postproc_from_json(const hfc_json_doc *doc, const hfc_json_value *v,
                                 const char *path, tk_postproc **out) {
    *out = NULL;
    const hfc_json_value *type = hfc_json_getz(v, "type");
    if (!type || type->type != HFC_JSON_STRING)
        return hfc_json_fail_at(doc, v, path, "post_processor needs a \"type\"");
    tk_postproc *p = hfc_calloc(1, sizeof *p);
    if (!p) return hfc_fail(HFC_ERR_NOMEM, "out of memory");
    char sub[256];
    hfc_status st = HFC_OK;
    if (hfc_json_str_eq(type, "TemplateProcessing", 18)) {
        p->kind = PP_TEMPLATE;
        snprintf(sub, sizeof sub, "%s.special_tokens", path);
        st = parse_specials(doc, hfc_json_getz(v, "special_tokens"), sub, p);
        snprintf(sub, sizeof sub, "%s.single", path);
        if (st == HFC_OK) st = parse_template(doc, hfc_json_getz(v, "single"), sub, p, &p->single, &p->n_single);
        snprintf(sub, sizeof sub, "%s.pair", path);
        if (st == HFC_OK) st = parse_template(doc, hfc_json_getz(v, "pair"), sub, p, &p->pair, &p->n_pair);
    } else if (hfc_json_str_eq(type, "BertProcessing", 14)) {
        p->kind = PP_BERT;
        st = parse_pair_token(doc, v, "cls", path, &p->cls_id);
        if (st == HFC_OK) st = parse_pair_token(doc, v, "sep", path, &p->sep_id);
    } else if (hfc_json_str_eq(type, "ByteLevel", 9)) {
        p->kind = PP_BYTELEVEL;
        const hfc_json_value *x = hfc_json_getz(v, "trim_offsets");
        p->trim_offsets = !x || x->type == HFC_JSON_TRUE; /* serde default: true */
        x = hfc_json_getz(v, "add_prefix_space");
        p->add_prefix_space = !x || x->type == HFC_JSON_TRUE;
    } else if (hfc_json_str_eq(type, "Sequence", 8)) {
        p->kind = PP_SEQUENCE;
        const hfc_json_value *list = hfc_json_getz(v, "processors");
        if (!list || list->type != HFC_JSON_ARRAY) {
            st = hfc_json_fail_at(doc, v, path, "Sequence needs a \"processors\" list");
        } else {
            p->children = hfc_calloc(list->len ? list->len : 1, sizeof *p->children);
            if (!p->children) st = hfc_fail(HFC_ERR_NOMEM, "out of memory");
            for (uint32_t i = 0; st == HFC_OK && i < list->len; i++) {
                snprintf(sub, sizeof sub, "%s.processors[%u]", path, i);
                st = tk_postproc_from_json(doc, &list->u.items[i], sub, &p->children[i]);
                if (st == HFC_OK) p->n_children++;
            }
        }
    } else if (hfc_json_str_eq(type, "RobertaProcessing", 17)) {
        p->kind = PP_ROBERTA;
        st = parse_pair_token(doc, v, "cls", path, &p->cls_id);
        if (st == HFC_OK) st = parse_pair_token(doc, v, "sep", path, &p->sep_id);
        const hfc_json_value *x = hfc_json_getz(v, "trim_offsets");
        p->trim_offsets = !x || x->type == HFC_JSON_TRUE;
        x = hfc_json_getz(v, "add_prefix_space");
        p->add_prefix_space = !x || x->type == HFC_JSON_TRUE;
    } else {
        st = hfc_json_fail_at(doc, type, path, "unknown post-processor type \"%.*s\"",
                              (int)type->len, type->u.s);
    }
    if (st != HFC_OK) {
        tk_postproc_free(p);
        return st;
    }
    *out = p;
    return HFC_OK;
}

size_t tk_postproc_added_tokens(const tk_postproc *p, bool is_pair) {
    size_t n = 0;
    switch (p->kind) {
    case PP_TEMPLATE: {
        const tpl_piece *t = is_pair ? p->pair : p->single;
        size_t cnt = is_pair ? p->n_pair : p->n_single;
        for (size_t i = 0; i < cnt; i++)
            if (!t[i].is_seq) n += p->specials[t[i].special].n;
        return n;
    }
    case PP_BERT: return is_pair ? 3 : 2;
    case PP_ROBERTA: return is_pair ? 4 : 2;
    case PP_BYTELEVEL: return 0;
    case PP_SEQUENCE:
        for (size_t i = 0; i < p->n_children; i++) n += tk_postproc_added_tokens(p->children[i], is_pair);
        return n;
    }
    return 0;
}

/* Encodings as HF's default_process sees them: sequence ids (overflowing included).
 * Copies e into out. */
static hfc_status prepare(const hfc_encoding *e, int32_t seq, hfc_encoding *out) {
    HFC_TRY(tk_encoding_copy(out, e));
    for (size_t i = 0; i < out->n; i++) out->seq_ids[i] = seq;
    for (size_t k = 0; k < out->n_overflowing; k++)
        for (size_t i = 0; i < out->overflowing[k].n; i++) out->overflowing[k].seq_ids[i] = seq;
    return HFC_OK;
}

static hfc_status push_special(hfc_encoding *out, const uint32_t *ids, size_t n, uint32_t type_id) {
    for (size_t i = 0; i < n; i++)
        HFC_TRY(tk_encoding_push(out, ids[i], type_id, 0, 0, -1, -1, 1, 1));
    return HFC_OK;
}

/* ---- ByteLevel / Roberta offset trimming (HF pre_tokenizers/byte_level.rs process_offsets):
 * leading / trailing 'Ġ' (an encoded space) or whitespace characters of each token's string
 * are dropped from its offsets. Our offsets are bytes; each trimmed 'Ġ' stands for one space
 * byte, a real whitespace character for its own UTF-8 length. */
static void trim_encoding(const hfc_tokenizer *t, hfc_encoding *e, bool add_prefix_space) {
    for (size_t i = 0; i < e->n; i++) {
        uint32_t len;
        const char *s = hfc_encoding_token_override(e, i, &len);
        if (!s) s = hfc_tokenizer_token_value(t, e->ids[i], &len);
        if (!s || !len) continue;
        const uint8_t *u = (const uint8_t *)s;
        size_t lead = 0, lead_chars = 0, trail = 0, trail_chars = 0, p = 0;
        while (p < len) { /* leading */
            int l;
            uint32_t cp = tk_utf8_decode(u + p, len - p, &l);
            if (cp != 0x120 && !tk_is_whitespace(cp)) break;
            lead += cp == 0x120 ? 1 : (size_t)l;
            lead_chars++;
            p += (size_t)l;
        }
        size_t q = len;
        while (q > 0) { /* trailing */
            size_t b = q - 1;
            while (b > 0 && (u[b] & 0xC0) == 0x80) b--;
            int l;
            uint32_t cp = tk_utf8_decode(u + b, q - b, &l);
            if (cp != 0x120 && !tk_is_whitespace(cp)) break;
            trail += cp == 0x120 ? 1 : (size_t)l;
            trail_chars++;
            q = b;
        }
        if (!lead && !trail) continue;
        uint32_t *o = &e->offsets[2 * i];
        if (lead) {
            bool is_first = i == 0 || o[0] == 0;
            if (is_first && add_prefix_space && lead_chars == 1) lead = 0;
            o[0] = o[0] + lead < o[1] ? o[0] + (uint32_t)lead : o[1];
        }
        if (trail && o[1] >= trail) o[1] = o[1] - trail > o[0] ? o[1] - (uint32_t)trail : o[0];
    }
}

static void trim_all(const hfc_tokenizer *t, hfc_encoding *e, bool add_prefix_space) {
    trim_encoding(t, e, add_prefix_space);
    for (size_t k = 0; k < e->n_overflowing; k++) trim_encoding(t, &e->overflowing[k], add_prefix_space);
}

hfc_status tk_postproc_default(const hfc_encoding *a, const hfc_encoding *b, hfc_encoding *out) {
    if (!a->n_overflowing && (!b || !b->n_overflowing)) {
        HFC_TRY(tk_encoding_append(out, a, -1, 0));
        return b ? tk_encoding_append(out, b, -1, 1) : HFC_OK;
    }
    hfc_encoding x, y;
    hfc_status st = prepare(a, 0, &x);
    if (st == HFC_OK) st = tk_encoding_merge_with(out, &x);
    hfc_encoding_free(&x);
    if (st == HFC_OK && b) {
        st = prepare(b, 1, &y);
        if (st == HFC_OK) st = tk_encoding_merge_with(out, &y);
        hfc_encoding_free(&y);
    }
    return st;
}

bool tk_postproc_keeps_single(const tk_postproc *p) {
    return !p || (p->kind == PP_BYTELEVEL && !p->trim_offsets);
}

/* The common case — no overflowing, no offset trimming — is plain appends into `out`
 * with the type / sequence ids HF's process() would set, without copies. */
static bool direct_ok(const tk_postproc *p) {
    if (p->kind == PP_SEQUENCE) return false;
    return !((p->kind == PP_BYTELEVEL || p->kind == PP_ROBERTA) && p->trim_offsets);
}

static hfc_status process_direct(const tk_postproc *p, const hfc_encoding *a,
                                 const hfc_encoding *b, bool add_special, hfc_encoding *out) {
    switch (p->kind) {
    case PP_TEMPLATE: {
        const tpl_piece *t = b ? p->pair : p->single;
        size_t cnt = b ? p->n_pair : p->n_single;
        for (size_t i = 0; i < cnt; i++) {
            if (t[i].is_seq) {
                const hfc_encoding *e = t[i].seq == 0 ? a : b;
                if (!e) return hfc_fail(HFC_ERR_INVALID, "template refers to sequence B without a pair");
                HFC_TRY(tk_encoding_append(out, e, t[i].type_id, t[i].seq));
            } else if (add_special) {
                const tpl_special *s = &p->specials[t[i].special];
                HFC_TRY(push_special(out, s->ids, s->n, t[i].type_id));
            }
        }
        return HFC_OK;
    }
    case PP_BERT:
    case PP_ROBERTA: {
        uint32_t tb = p->kind == PP_ROBERTA ? 0 : 1;
        if (add_special) HFC_TRY(push_special(out, &p->cls_id, 1, 0));
        HFC_TRY(tk_encoding_append(out, a, 0, 0));
        if (add_special) HFC_TRY(push_special(out, &p->sep_id, 1, 0));
        if (b) {
            if (add_special && p->kind == PP_ROBERTA) HFC_TRY(push_special(out, &p->sep_id, 1, 0));
            HFC_TRY(tk_encoding_append(out, b, tb, 1));
            if (add_special) HFC_TRY(push_special(out, &p->sep_id, 1, tb));
        }
        return HFC_OK;
    }
    case PP_BYTELEVEL:
        HFC_TRY(tk_encoding_append(out, a, 0, 0));
        return b ? tk_encoding_append(out, b, 1, 1) : HFC_OK;
    case PP_SEQUENCE:
        break;
    }
    return hfc_fail(HFC_ERR_STATE, "corrupt post-processor");
}

/* ---- Post-processing as HF runs it (PostProcessor::process; direct_ok inputs take the
 * shortcut above): a list of encodings (the sequences at first) that each processor's
 * process_encodings maps to a new list (a Sequence: each child in turn), merged at the end
 * (Encoding::merge).
 * Template makes one encoding per template piece; ByteLevel and Roberta trim offsets, and
 * ByteLevel then gives list entry i the sequence range i; Bert and Roberta wrap each entry
 * and each of its overflowing parts in their own specials. HF's sequence ids come from a
 * map per encoding, sequence id -> token range (tk_ranges), which processors set and
 * merging shifts and overwrites; the merged encoding's ids are computed from it as HF's
 * get_sequence_ids does. */
typedef struct pl_enc {
    hfc_encoding e;
    tk_ranges r; /* r.ov[k]: the ranges of e.overflowing[k] */
} pl_enc;

typedef struct pl_list {
    pl_enc *v;
    size_t n;
} pl_list;

static void pl_free(pl_list *l) {
    for (size_t i = 0; l->v && i < l->n; i++) {
        hfc_encoding_free(&l->v[i].e);
        tk_ranges_free(&l->v[i].r);
    }
    hfc_free(l->v);
    l->v = NULL;
    l->n = 0;
}

static hfc_status pl_alloc(pl_list *l, size_t n) {
    l->v = hfc_calloc(n ? n : 1, sizeof *l->v);
    if (!l->v) return hfc_fail(HFC_ERR_NOMEM, "out of memory post-processing");
    l->n = n;
    for (size_t i = 0; i < n; i++) hfc_encoding_init(&l->v[i].e);
    return HFC_OK;
}

/* x's overflowing parts get ranges (none set) if they have none yet */
static hfc_status pl_ov_ranges(pl_enc *x) {
    if (x->r.nov == x->e.n_overflowing) return HFC_OK;
    tk_ranges_free(&x->r);
    if (!x->e.n_overflowing) return HFC_OK;
    if (!(x->r.ov = hfc_calloc(x->e.n_overflowing, sizeof *x->r.ov)))
        return hfc_fail(HFC_ERR_NOMEM, "out of memory post-processing");
    x->r.nov = x->e.n_overflowing;
    return HFC_OK;
}

/* Bert / Roberta on one encoding: entry 0 becomes cls + it + sep, the others (sep +) it +
 * sep; the wrapped tokens are not special and attended; its ranges: the wrapped part's
 * alone, under 0 (first) or 1. Roberta's type ids are all 0. */
static hfc_status pl_wrap_one(const tk_postproc *p, const hfc_encoding *in, bool first,
                              hfc_encoding *w, tk_ranges *r) {
    bool roberta = p->kind == PP_ROBERTA, lead = first || roberta;
    hfc_encoding_init(w);
    *r = (tk_ranges){0};
    hfc_status st = lead ? tk_encoding_push(w, first ? p->cls_id : p->sep_id, 0, 0, 0, -1, -1, 1, 1)
                         : HFC_OK;
    size_t mid = w->n;
    if (st == HFC_OK) st = tk_encoding_append(w, in, -1, -2);
    for (size_t k = mid; st == HFC_OK && k < w->n; k++) {
        w->special_mask[k] = 0;
        w->attention_mask[k] = 1;
        if (roberta) w->type_ids[k] = 0;
    }
    if (st == HFC_OK) st = tk_encoding_push(w, p->sep_id, lead ? 0 : 1, 0, 0, -1, -1, 1, 1);
    if (st == HFC_OK) st = tk_ranges_set(r, first ? 0 : 1, lead ? 1 : 0, w->n - 1);
    if (st != HFC_OK) hfc_encoding_free(w);
    return st;
}

static hfc_status pl_wrap(const tk_postproc *p, pl_list *l) {
    for (size_t i = 0; i < l->n; i++) {
        pl_enc *x = &l->v[i], y;
        HFC_TRY(pl_wrap_one(p, &x->e, i == 0, &y.e, &y.r));
        hfc_status st = HFC_OK;
        size_t nov = x->e.n_overflowing;
        if (nov) {
            y.e.overflowing = hfc_calloc(nov, sizeof *y.e.overflowing);
            y.r.ov = hfc_calloc(nov, sizeof *y.r.ov);
            if (!y.e.overflowing || !y.r.ov) st = hfc_fail(HFC_ERR_NOMEM, "out of memory post-processing");
        }
        for (size_t k = 0; st == HFC_OK && k < nov; k++) {
            st = pl_wrap_one(p, &x->e.overflowing[k], i == 0, &y.e.overflowing[k], &y.r.ov[k]);
            if (st == HFC_OK) y.e.n_overflowing = y.r.nov = k + 1;
        }
        hfc_encoding_free(&x->e);
        tk_ranges_free(&x->r);
        if (st != HFC_OK) {
            hfc_encoding_free(&y.e);
            tk_ranges_free(&y.r);
            x->r = (tk_ranges){0};
            return st;
        }
        *x = y;
    }
    return HFC_OK;
}

static hfc_status pl_template(const tk_postproc *p, pl_list *l, bool add_special) {
    if (l->n != 1 && l->n != 2)
        return hfc_fail(HFC_ERR_UNSUPPORTED, "TemplateProcessing in a Sequence after a processor "
                        "that made %zu encodings is not supported (HF panics: not yet "
                        "implemented)", l->n);
    const tpl_piece *tp = l->n == 2 ? p->pair : p->single;
    size_t cnt = l->n == 2 ? p->n_pair : p->n_single, n = 0;
    for (size_t i = 0; i < cnt; i++) n += tp[i].is_seq || add_special;
    pl_list o;
    HFC_TRY(pl_alloc(&o, n));
    hfc_status st = HFC_OK;
    size_t k = 0;
    for (size_t i = 0; i < cnt && st == HFC_OK; i++) {
        if (tp[i].is_seq) { /* the sequence itself gets the type and its range; a copy */
            if ((size_t)tp[i].seq >= l->n) {
                st = hfc_fail(HFC_ERR_INVALID, "template refers to sequence B without a pair");
                break;
            }
            pl_enc *x = &l->v[tp[i].seq], *y = &o.v[k++];
            for (size_t j = 0; j < x->e.n; j++) x->e.type_ids[j] = tp[i].type_id;
            if ((st = tk_ranges_set(&x->r, (uint32_t)tp[i].seq, 0, x->e.n)) != HFC_OK) break;
            if ((st = tk_encoding_copy(&y->e, &x->e)) != HFC_OK) break;
            st = tk_ranges_copy(&y->r, &x->r);
        } else if (add_special) {
            const tpl_special *sp = &p->specials[tp[i].special];
            st = push_special(&o.v[k++].e, sp->ids, sp->n, tp[i].type_id);
        }
    }
    if (st != HFC_OK) {
        pl_free(&o);
        return st;
    }
    pl_free(l);
    *l = o;
    return HFC_OK;
}

static hfc_status pl_apply(const tk_postproc *p, const hfc_tokenizer *t, pl_list *l,
                           bool add_special) {
    switch (p->kind) {
    case PP_SEQUENCE:
        for (size_t i = 0; i < p->n_children; i++) HFC_TRY(pl_apply(p->children[i], t, l, add_special));
        return HFC_OK;
    case PP_BYTELEVEL:
        for (size_t i = 0; i < l->n; i++) {
            if (p->trim_offsets) trim_all(t, &l->v[i].e, p->add_prefix_space);
            HFC_TRY(tk_ranges_set(&l->v[i].r, (uint32_t)i, 0, l->v[i].e.n));
        }
        return HFC_OK;
    case PP_ROBERTA:
        for (size_t i = 0; i < l->n; i++) {
            hfc_encoding *e = &l->v[i].e;
            if (p->trim_offsets) trim_all(t, e, p->add_prefix_space);
            memset(e->type_ids, 0, e->n * sizeof *e->type_ids);
        }
        return add_special ? pl_wrap(p, l) : HFC_OK;
    case PP_BERT:
        return add_special ? pl_wrap(p, l) : HFC_OK;
    case PP_TEMPLATE:
        return pl_template(p, l, add_special);
    }
    return hfc_fail(HFC_ERR_STATE, "corrupt post-processor");
}

static hfc_status process_list(const tk_postproc *p, const hfc_tokenizer *t, const hfc_encoding *a,
                               const hfc_encoding *b, bool add_special, hfc_encoding *out) {
    pl_list l;
    HFC_TRY(pl_alloc(&l, b ? 2 : 1));
    hfc_status st = HFC_OK;
    for (size_t i = 0; i < l.n && st == HFC_OK; i++) { /* HF's PostProcessor::process */
        pl_enc *x = &l.v[i];
        if ((st = tk_encoding_copy(&x->e, i ? b : a)) != HFC_OK) break;
        for (size_t j = 0; j < x->e.n; j++) x->e.type_ids[j] = (uint32_t)i;
        if ((st = pl_ov_ranges(x)) != HFC_OK) break;
        st = tk_ranges_set(&x->r, (uint32_t)i, 0, x->e.n);
        for (size_t k = 0; st == HFC_OK && k < x->e.n_overflowing; k++)
            st = tk_ranges_set(&x->r.ov[k], (uint32_t)i, 0, x->e.overflowing[k].n);
    }
    if (st == HFC_OK) st = pl_apply(p, t, &l, add_special);
    tk_ranges mr = {0}; /* HF Encoding::merge: each merged into the (empty) out in turn */
    for (size_t i = 0; i < l.n && st == HFC_OK; i++) {
        if ((st = pl_ov_ranges(&l.v[i])) == HFC_OK)
            st = tk_encoding_merge_ranges(out, &mr, &l.v[i].e, &l.v[i].r);
    }
    if (st == HFC_OK) tk_ranges_apply(&mr, out);
    tk_ranges_free(&mr);
    pl_free(&l);
    return st;
}

hfc_status tk_postproc_process(const tk_postproc *p, const hfc_tokenizer *t, const hfc_encoding *a,
                               const hfc_encoding *b, bool add_special, hfc_encoding *out) {
    if (!a->n_overflowing && (!b || !b->n_overflowing) && direct_ok(p))
        return process_direct(p, a, b, add_special, out);
    return process_list(p, t, a, b, add_special, out);
}
