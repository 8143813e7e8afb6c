/* Post-processors (HF tokenizers/src/processors/): add special tokens around one or two
 * encoded sequences and set type ids. */
#include "postprocess.h"
#include "encoding.h"

#include <stdio.h>
#include <string.h>

typedef enum { PP_TEMPLATE, PP_BERT, PP_BYTELEVEL, PP_SEQUENCE } pp_kind;

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
    uint32_t cls_id, sep_id; /* Bert */
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
        const hfc_json_value *trim = hfc_json_getz(v, "trim_offsets");
        if (trim && trim->type == HFC_JSON_TRUE)
            st = hfc_fail(HFC_ERR_UNSUPPORTED, "%s: ByteLevel post-processor with trim_offsets=true "
                          "is not supported yet", path);
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
        st = hfc_fail(HFC_ERR_UNSUPPORTED, "%s: RobertaProcessing post-processor is not supported yet", path);
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
    case PP_BYTELEVEL: return 0;
    case PP_SEQUENCE:
        for (size_t i = 0; i < p->n_children; i++) n += tk_postproc_added_tokens(p->children[i], is_pair);
        return n;
    }
    return 0;
}

/* Encodings as HF's PostProcessor::process sees them: sequence ids (overflowing
 * included) and, when `set_types`, type ids i for sequence i. Copies into an/bn. */
static hfc_status prepare(const hfc_encoding *e, int32_t seq, bool set_types, hfc_encoding *out) {
    HFC_TRY(tk_encoding_copy(out, e));
    for (size_t i = 0; i < out->n; i++) {
        out->seq_ids[i] = seq;
        if (set_types) out->type_ids[i] = (uint32_t)seq;
    }
    for (size_t k = 0; k < out->n_overflowing; k++)
        for (size_t i = 0; i < out->overflowing[k].n; i++) out->overflowing[k].seq_ids[i] = seq;
    return HFC_OK;
}

static hfc_status merge_special(hfc_encoding *out, const uint32_t *ids, size_t n, uint32_t type_id) {
    hfc_encoding s;
    hfc_encoding_init(&s);
    hfc_status st = HFC_OK;
    for (size_t i = 0; i < n && st == HFC_OK; i++)
        st = tk_encoding_push(&s, ids[i], type_id, 0, 0, -1, -1, 1, 1);
    if (st == HFC_OK) st = tk_encoding_merge_with(out, &s);
    hfc_encoding_free(&s);
    return st;
}

/* Merge a copy of seq (main part's type ids set to type_id when >= 0). */
static hfc_status merge_sequence(hfc_encoding *out, hfc_encoding *seq, int64_t type_id) {
    if (type_id >= 0)
        for (size_t i = 0; i < seq->n; i++) seq->type_ids[i] = (uint32_t)type_id;
    return tk_encoding_merge_with(out, seq);
}

hfc_status tk_postproc_default(const hfc_encoding *a, const hfc_encoding *b, hfc_encoding *out) {
    if (!a->n_overflowing && (!b || !b->n_overflowing)) {
        HFC_TRY(tk_encoding_append(out, a, -1, 0));
        return b ? tk_encoding_append(out, b, -1, 1) : HFC_OK;
    }
    hfc_encoding x, y;
    hfc_status st = prepare(a, 0, false, &x);
    if (st == HFC_OK) st = tk_encoding_merge_with(out, &x);
    hfc_encoding_free(&x);
    if (st == HFC_OK && b) {
        st = prepare(b, 1, false, &y);
        if (st == HFC_OK) st = tk_encoding_merge_with(out, &y);
        hfc_encoding_free(&y);
    }
    return st;
}

static hfc_status apply_template(const tk_postproc *p, hfc_encoding *a, hfc_encoding *b,
                                 bool add_special, hfc_encoding *out) {
    const tpl_piece *t = b ? p->pair : p->single;
    size_t cnt = b ? p->n_pair : p->n_single;
    for (size_t i = 0; i < cnt; i++) {
        if (t[i].is_seq) {
            hfc_encoding *e = t[i].seq == 0 ? a : b;
            if (!e) return hfc_fail(HFC_ERR_INVALID, "template refers to sequence B without a pair");
            HFC_TRY(merge_sequence(out, e, t[i].type_id));
        } else if (add_special) {
            const tpl_special *s = &p->specials[t[i].special];
            HFC_TRY(merge_special(out, s->ids, s->n, t[i].type_id));
        }
    }
    return HFC_OK;
}

static hfc_status process_prepared(const tk_postproc *p, hfc_encoding *a, hfc_encoding *b,
                                   bool add_special, hfc_encoding *out) {
    switch (p->kind) {
    case PP_TEMPLATE:
        return apply_template(p, a, b, add_special, out);
    case PP_BERT:
        if (!add_special) {
            HFC_TRY(merge_sequence(out, a, -1));
            return b ? merge_sequence(out, b, -1) : HFC_OK;
        }
        HFC_TRY(merge_special(out, &p->cls_id, 1, 0));
        HFC_TRY(merge_sequence(out, a, -1));
        HFC_TRY(merge_special(out, &p->sep_id, 1, 0));
        if (b) {
            HFC_TRY(merge_sequence(out, b, -1));
            HFC_TRY(merge_special(out, &p->sep_id, 1, 1));
        }
        return HFC_OK;
    case PP_BYTELEVEL:
        HFC_TRY(merge_sequence(out, a, -1));
        return b ? merge_sequence(out, b, -1) : HFC_OK;
    case PP_SEQUENCE:
        if (p->n_children == 0) {
            HFC_TRY(merge_sequence(out, a, -1));
            return b ? merge_sequence(out, b, -1) : HFC_OK;
        }
        if (p->n_children == 1) return process_prepared(p->children[0], a, b, add_special, out);
        return hfc_fail(HFC_ERR_UNSUPPORTED, "Sequence post-processor with %zu processors is not "
                        "supported yet", p->n_children);
    }
    return hfc_fail(HFC_ERR_STATE, "corrupt post-processor");
}

static hfc_status push_special(hfc_encoding *out, const uint32_t *ids, size_t n, uint32_t type_id) {
    for (size_t i = 0; i < n; i++)
        HFC_TRY(tk_encoding_push(out, ids[i], type_id, 0, 0, -1, -1, 1, 1));
    return HFC_OK;
}

/* The common case, no overflowing anywhere: merges are plain appends, so write straight
 * into `out` with the type / sequence ids HF's process() would set, without copies. */
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
        if (add_special) HFC_TRY(push_special(out, &p->cls_id, 1, 0));
        HFC_TRY(tk_encoding_append(out, a, 0, 0));
        if (add_special) HFC_TRY(push_special(out, &p->sep_id, 1, 0));
        if (b) {
            HFC_TRY(tk_encoding_append(out, b, 1, 1));
            if (add_special) HFC_TRY(push_special(out, &p->sep_id, 1, 1));
        }
        return HFC_OK;
    case PP_BYTELEVEL:
        HFC_TRY(tk_encoding_append(out, a, 0, 0));
        return b ? tk_encoding_append(out, b, 1, 1) : HFC_OK;
    case PP_SEQUENCE:
        break;
    }
    return HFC_ERR_UNSUPPORTED; /* caller takes the general path */
}

hfc_status tk_postproc_process(const tk_postproc *p, const hfc_encoding *a,
                               const hfc_encoding *b, bool add_special, hfc_encoding *out) {
    if (!a->n_overflowing && (!b || !b->n_overflowing) && p->kind != PP_SEQUENCE)
        return process_direct(p, a, b, add_special, out);
    hfc_encoding x, y;
    hfc_encoding_init(&y);
    hfc_status st = prepare(a, 0, true, &x);
    if (st == HFC_OK && b) st = prepare(b, 1, true, &y);
    if (st == HFC_OK) st = process_prepared(p, &x, b ? &y : NULL, add_special, out);
    hfc_encoding_free(&x);
    hfc_encoding_free(&y);
    return st;
}
