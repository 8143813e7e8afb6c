/* WordLevel model (HF models/wordlevel/mod.rs): the whole piece is one token, else the
 * unk token; an error when the unk token itself is not in the vocab. */
#include "tk.h"

struct tk_wordlevel {
    tk_vocab *vocab;
    char *unk;
    uint32_t unk_len;
    int64_t unk_id;
};

void tk_wordlevel_free(tk_wordlevel *m) {
    if (!m) return;
    tk_vocab_free(m->vocab);
    hfc_free(m->unk);
    hfc_free(m);
}

hfc_status tk_wordlevel_from_json(const hfc_json_doc *doc, const hfc_json_value *v,
                                  const char *path, tk_wordlevel **out) {
    *out = NULL;
    char p[512];
    const hfc_json_value *type = hfc_json_getz(v, "type");
    if (type && !hfc_json_str_eq(type, "WordLevel", 9)) {
        tkm_path(p, sizeof p, path, "type");
        return hfc_json_fail_at(doc, type, p, "invalid value: expected WordLevel");
    }
    const hfc_json_value *unk, *voc = hfc_json_getz(v, "vocab");
    HFC_TRY(tkm_get_string(doc, v, path, "unk_token", true, &unk));
    if (!voc) return hfc_json_fail_at(doc, v, path, "missing field `vocab`");
    tk_wordlevel *m = hfc_calloc(1, sizeof *m);
    if (!m) return hfc_fail(HFC_ERR_NOMEM, "out of memory creating a WordLevel model");
    hfc_status st = HFC_ERR_NOMEM;
    if (!(m->unk = tkm_strdup(unk))) goto fail;
    m->unk_len = unk->len;
    tkm_path(p, sizeof p, path, "vocab");
    if ((st = tkm_vocab_from_json(doc, voc, p, &m->vocab)) != HFC_OK) goto fail;
    m->unk_id = tk_vocab_get(m->vocab, m->unk, m->unk_len);
    *out = m;
    return HFC_OK;
fail:
    tk_wordlevel_free(m);
    return st;
}

const tk_vocab *tk_wordlevel_vocab(const tk_wordlevel *m) { return m->vocab; }

const char *tk_wordlevel_unk_token(const tk_wordlevel *m, uint32_t *len) {
    if (len) *len = m->unk_len;
    return m->unk;
}

hfc_status tk_wordlevel_tokenize(const tk_wordlevel *m, tk_ctx *c, const char *s, uint32_t len,
                                 tk_tokens *out) {
    int64_t id = tk_vocab_get(m->vocab, s, len);
    if (id < 0) id = m->unk_id;
    if (id < 0)
        return hfc_fail(HFC_ERR_INVALID,
                        "WordLevel error: Missing [UNK] token from the vocabulary");
    return tk_tokens_push(c, out, (uint32_t)id, 0, len);
}
