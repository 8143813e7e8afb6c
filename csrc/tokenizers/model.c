/* tk_model: the "model" of tokenizer.json, dispatched on "type" to BPE (bpe.c),
 * WordPiece (wordpiece.c) or WordLevel (wordlevel.c); plus the JSON reading helpers the
 * model and decoder loaders share.
 *
 * Spec: HF models/mod.rs ModelWrapper deserialization. A "type" names the model; without
 * one HF tries each model in turn (untagged: BPE, WordPiece, WordLevel, Unigram) and keeps
 * the first that deserializes, which we mirror by trying the same order.
 */
#include "tk.h"

#include <stdio.h>
#include <string.h>

struct tk_model {
    tk_model_kind kind;
    union {
        tk_bpe *bpe;
        tk_wordpiece *wp;
        tk_wordlevel *wl;
    } u;
};

/* ------------------------------------------------------------------ JSON helpers */

void tkm_path(char *dst, size_t cap, const char *path, const char *key) {
    snprintf(dst, cap, "%s.%s", path, key);
}

void tkm_path_index(char *dst, size_t cap, const char *path, size_t i) {
    snprintf(dst, cap, "%s[%zu]", path, i);
}

static hfc_status member(const hfc_json_doc *doc, const hfc_json_value *obj, const char *path,
                         const char *key, bool required, const hfc_json_value **out) {
    const hfc_json_value *m = hfc_json_getz(obj, key);
    *out = NULL;
    if (!m || m->type == HFC_JSON_NULL) {
        if (required)
            return hfc_json_fail_at(doc, m ? m : obj, path, "missing field `%s`", key);
        return HFC_OK;
    }
    *out = m;
    return HFC_OK;
}

hfc_status tkm_get_string(const hfc_json_doc *doc, const hfc_json_value *obj,
                          const char *path, const char *key, bool required,
                          const hfc_json_value **out) {
    HFC_TRY(member(doc, obj, path, key, required, out));
    if (*out && (*out)->type != HFC_JSON_STRING) {
        char p[512];
        tkm_path(p, sizeof p, path, key);
        return hfc_json_fail_at(doc, *out, p, "expected a string, got %s",
                                hfc_json_type_name((hfc_json_type)(*out)->type));
    }
    return HFC_OK;
}

hfc_status tkm_get_bool(const hfc_json_doc *doc, const hfc_json_value *obj, const char *path,
                        const char *key, bool required, bool *present, bool *out) {
    const hfc_json_value *m;
    HFC_TRY(member(doc, obj, path, key, required, &m));
    if (present) *present = m != NULL;
    if (!m) return HFC_OK;
    if (m->type != HFC_JSON_TRUE && m->type != HFC_JSON_FALSE) {
        char p[512];
        tkm_path(p, sizeof p, path, key);
        return hfc_json_fail_at(doc, m, p, "expected a boolean, got %s",
                                hfc_json_type_name((hfc_json_type)m->type));
    }
    *out = m->type == HFC_JSON_TRUE;
    return HFC_OK;
}

hfc_status tkm_get_uint(const hfc_json_doc *doc, const hfc_json_value *obj, const char *path,
                        const char *key, bool required, uint64_t max, bool *present,
                        uint64_t *out) {
    const hfc_json_value *m;
    HFC_TRY(member(doc, obj, path, key, required, &m));
    if (present) *present = m != NULL;
    if (!m) return HFC_OK;
    if (m->type != HFC_JSON_INT || m->u.i < 0 || (uint64_t)m->u.i > max) {
        char p[512];
        tkm_path(p, sizeof p, path, key);
        if (m->type == HFC_JSON_INT)
            return hfc_json_fail_at(doc, m, p, "integer %lld out of range [0, %llu]",
                                    (long long)m->u.i, (unsigned long long)max);
        return hfc_json_fail_at(doc, m, p, "expected a non-negative integer, got %s",
                                hfc_json_type_name((hfc_json_type)m->type));
    }
    *out = (uint64_t)m->u.i;
    return HFC_OK;
}

char *tkm_strdup(const hfc_json_value *s) {
    char *r = hfc_strndup(s->u.s, s->len);
    if (!r) hfc_fail(HFC_ERR_NOMEM, "out of memory copying a string of %u bytes", s->len);
    return r;
}

hfc_status tkm_vocab_from_json(const hfc_json_doc *doc, const hfc_json_value *v,
                               const char *path, tk_vocab **out) {
    *out = NULL;
    if (v->type != HFC_JSON_OBJECT)
        return hfc_json_fail_at(doc, v, path, "expected an object {token: id}, got %s",
                                hfc_json_type_name((hfc_json_type)v->type));
    tk_vocab *voc;
    HFC_TRY(tk_vocab_create(v->len, &voc));
    for (uint32_t i = 0; i < v->len; i++) {
        const hfc_json_member *m = &v->u.members[i];
        if (i + 8 < v->len) /* hide the table's cache misses behind the next adds */
            tk_vocab_prefetch(voc, v->u.members[i + 8].key.u.s, v->u.members[i + 8].key.len);
        if (m->value.type != HFC_JSON_INT || m->value.u.i < 0 ||
            m->value.u.i > (int64_t)UINT32_MAX) {
            char p[512];
            snprintf(p, sizeof p, "%s[\"%.*s\"]", path, (int)(m->key.len > 200 ? 200 : m->key.len),
                     m->key.u.s);
            tk_vocab_free(voc);
            return hfc_json_fail_at(doc, &m->value, p, "expected a token id (integer in u32)");
        }
        hfc_status st = tk_vocab_add(voc, m->key.u.s, m->key.len, (uint32_t)m->value.u.i);
        if (st != HFC_OK) {
            tk_vocab_free(voc);
            return st;
        }
    }
    *out = voc;
    return HFC_OK;
}

/* ------------------------------------------------------------------ dispatch */

static hfc_status model_wrap(tk_model_kind kind, void *impl, tk_model **out) {
    tk_model *m = hfc_calloc(1, sizeof *m);
    if (!m) {
        if (kind == TK_MODEL_BPE) tk_bpe_free(impl);
        else if (kind == TK_MODEL_WORDPIECE) tk_wordpiece_free(impl);
        else tk_wordlevel_free(impl);
        return hfc_fail(HFC_ERR_NOMEM, "out of memory creating a model");
    }
    m->kind = kind;
    if (kind == TK_MODEL_BPE) m->u.bpe = impl;
    else if (kind == TK_MODEL_WORDPIECE) m->u.wp = impl;
    else m->u.wl = impl;
    *out = m;
    return HFC_OK;
}

static hfc_status build(tk_model_kind kind, const hfc_json_doc *doc, const hfc_json_value *v,
                        const char *path, tk_model **out) {
    void *impl = NULL;
    if (kind == TK_MODEL_BPE) HFC_TRY(tk_bpe_from_json(doc, v, path, (tk_bpe **)&impl));
    else if (kind == TK_MODEL_WORDPIECE)
        HFC_TRY(tk_wordpiece_from_json(doc, v, path, (tk_wordpiece **)&impl));
    else HFC_TRY(tk_wordlevel_from_json(doc, v, path, (tk_wordlevel **)&impl));
    return model_wrap(kind, impl, out);
}

static bool has(const hfc_json_value *v, const char *key) { return hfc_json_getz(v, key) != NULL; }

/* No "type": HF's untagged fallback, in its order. A model whose fields are present but
 * fails to build (e.g. a merge out of vocabulary) makes HF try the next one; if none
 * fits we report the first candidate's error, which is the useful one. */
static hfc_status model_untagged(const hfc_json_doc *doc, const hfc_json_value *v,
                                 const char *path, tk_model **out) {
    static const tk_model_kind order[] = {TK_MODEL_BPE, TK_MODEL_WORDPIECE, TK_MODEL_WORDLEVEL};
    hfc_error_state first;
    bool failed = false;
    for (size_t k = 0; k < sizeof order / sizeof *order; k++) {
        tk_model_kind kind = order[k];
        bool fits = kind == TK_MODEL_BPE ? has(v, "vocab") && has(v, "merges")
                  : kind == TK_MODEL_WORDPIECE
                      ? has(v, "vocab") && has(v, "unk_token") &&
                            has(v, "continuing_subword_prefix") &&
                            has(v, "max_input_chars_per_word")
                      : has(v, "vocab") && has(v, "unk_token");
        if (!fits) continue;
        hfc_status st = build(kind, doc, v, path, out);
        if (st == HFC_OK) return HFC_OK;
        if (st == HFC_ERR_NOMEM) return st;
        if (!failed) hfc_error_save(&first, st);
        failed = true;
    }
    const hfc_json_value *voc = hfc_json_getz(v, "vocab");
    if (voc && voc->type == HFC_JSON_ARRAY) { /* Unigram's vocab: [[piece, score], ...] */
        hfc_json_fail_at(doc, v, path, "Unigram model is not supported yet");
        return HFC_ERR_UNSUPPORTED;
    }
    if (failed) return hfc_error_restore(&first);
    return hfc_json_fail_at(doc, v, path,
                            "model has no \"type\" and matches no model (BPE needs \"vocab\" "
                            "and \"merges\", WordPiece and WordLevel \"vocab\" and "
                            "\"unk_token\")");
}

hfc_status tk_model_from_json(const hfc_json_doc *doc, const hfc_json_value *v,
                              const char *path, tk_model **out) {
    *out = NULL;
    if (!v || v->type != HFC_JSON_OBJECT)
        return hfc_json_fail_at(doc, v, path, "expected a model object, got %s",
                                v ? hfc_json_type_name((hfc_json_type)v->type) : "nothing");
    const hfc_json_value *type = hfc_json_getz(v, "type");
    if (!type) return model_untagged(doc, v, path, out);
    char tp[512];
    tkm_path(tp, sizeof tp, path, "type");
    if (type->type != HFC_JSON_STRING)
        return hfc_json_fail_at(doc, type, tp, "expected a model type string, got %s",
                                hfc_json_type_name((hfc_json_type)type->type));
    if (hfc_json_str_eq(type, "BPE", 3)) return build(TK_MODEL_BPE, doc, v, path, out);
    if (hfc_json_str_eq(type, "WordPiece", 9)) return build(TK_MODEL_WORDPIECE, doc, v, path, out);
    if (hfc_json_str_eq(type, "WordLevel", 9)) return build(TK_MODEL_WORDLEVEL, doc, v, path, out);
    if (hfc_json_str_eq(type, "Unigram", 7)) {
        hfc_json_fail_at(doc, type, tp, "Unigram model is not supported yet");
        return HFC_ERR_UNSUPPORTED;
    }
    return hfc_json_fail_at(doc, type, tp,
                            "unknown model type \"%.*s\" (expected BPE, WordPiece, WordLevel "
                            "or Unigram)",
                            (int)(type->len > 100 ? 100 : type->len), type->u.s);
}

void tk_model_free(tk_model *m) {
    if (!m) return;
    if (m->kind == TK_MODEL_BPE) tk_bpe_free(m->u.bpe);
    else if (m->kind == TK_MODEL_WORDPIECE) tk_wordpiece_free(m->u.wp);
    else tk_wordlevel_free(m->u.wl);
    hfc_free(m);
}

hfc_status tk_model_tokenize(const tk_model *m, tk_ctx *c, const char *s, uint32_t len,
                             tk_tokens *out) {
    switch (m->kind) {
    case TK_MODEL_BPE: return tk_bpe_tokenize(m->u.bpe, c, s, len, out);
    case TK_MODEL_WORDPIECE: return tk_wordpiece_tokenize(m->u.wp, c, s, len, out);
    default: return tk_wordlevel_tokenize(m->u.wl, c, s, len, out);
    }
}

const tk_vocab *tk_model_vocab(const tk_model *m) {
    switch (m->kind) {
    case TK_MODEL_BPE: return tk_bpe_vocab(m->u.bpe);
    case TK_MODEL_WORDPIECE: return tk_wordpiece_vocab(m->u.wp);
    default: return tk_wordlevel_vocab(m->u.wl);
    }
}

tk_model_kind tk_model_kind_of(const tk_model *m) { return m->kind; }

const char *tk_model_type_name(const tk_model *m) {
    switch (m->kind) {
    case TK_MODEL_BPE: return "BPE";
    case TK_MODEL_WORDPIECE: return "WordPiece";
    default: return "WordLevel";
    }
}

const char *tk_model_unk_token(const tk_model *m, uint32_t *len) {
    switch (m->kind) {
    case TK_MODEL_BPE: return tk_bpe_unk_token(m->u.bpe, len);
    case TK_MODEL_WORDPIECE: return tk_wordpiece_unk_token(m->u.wp, len);
    default: return tk_wordlevel_unk_token(m->u.wl, len);
    }
}

hfc_status tk_model_resize_cache(tk_model *m, size_t capacity) {
    return m->kind == TK_MODEL_BPE ? tk_bpe_resize_cache(m->u.bpe, capacity) : HFC_OK;
}

void tk_model_clear_cache(tk_model *m) {
    if (m->kind == TK_MODEL_BPE) tk_bpe_clear_cache(m->u.bpe);
}
