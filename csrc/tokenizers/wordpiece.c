/* WordPiece model (HF models/wordpiece/mod.rs, serialization.rs).
 *
 * Greedy longest-match-first: from `start`, try the longest substring [start, end) (with
 * continuing_subword_prefix when start > 0) and shorten by one char until it is in the
 * vocab. No match at some start, or more than max_input_chars_per_word chars -> one unk
 * token covering the whole piece. The search starts at the longest end that could match
 * (the vocab's longest token), which skips only lookups that cannot succeed.
 */
#include "tk.h"

#include <string.h>

struct tk_wordpiece {
    tk_vocab *vocab;
    char *unk, *prefix;
    uint32_t unk_len, prefix_len;
    uint64_t max_chars;
    int64_t unk_id;
    size_t max_token_len;
};

void tk_wordpiece_free(tk_wordpiece *m) {
    if (!m) return;
    tk_vocab_free(m->vocab);
    hfc_free(m->unk);
    hfc_free(m->prefix);
    hfc_free(m);
}

hfc_status tk_wordpiece_from_json(const hfc_json_doc *doc, const hfc_json_value *v,
                                  const char *path, tk_wordpiece **out) {
    *out = NULL;
    char p[512];
    const hfc_json_value *type = hfc_json_getz(v, "type");
    if (type && !hfc_json_str_eq(type, "WordPiece", 9)) {
        tkm_path(p, sizeof p, path, "type");
        return hfc_json_fail_at(doc, type, p, "invalid value: expected WordPiece");
    }
    const hfc_json_value *unk, *prefix, *voc;
    uint64_t max_chars = 0;
    HFC_TRY(tkm_get_string(doc, v, path, "unk_token", true, &unk));
    HFC_TRY(tkm_get_string(doc, v, path, "continuing_subword_prefix", true, &prefix));
    HFC_TRY(tkm_get_uint(doc, v, path, "max_input_chars_per_word", true, UINT64_MAX, NULL,
                         &max_chars));
    voc = hfc_json_getz(v, "vocab");
    if (!voc) return hfc_json_fail_at(doc, v, path, "missing field `vocab`");

    tk_wordpiece *m = hfc_calloc(1, sizeof *m);
    if (!m) return hfc_fail(HFC_ERR_NOMEM, "out of memory creating a WordPiece model");
    m->max_chars = max_chars;
    hfc_status st = HFC_ERR_NOMEM;
    if (!(m->unk = tkm_strdup(unk)) || !(m->prefix = tkm_strdup(prefix))) goto fail;
    m->unk_len = unk->len;
    m->prefix_len = prefix->len;
    tkm_path(p, sizeof p, path, "vocab");
    if ((st = tkm_vocab_from_json(doc, voc, p, &m->vocab)) != HFC_OK) goto fail;
    m->unk_id = tk_vocab_get(m->vocab, m->unk, m->unk_len);
    m->max_token_len = tk_vocab_max_token_len(m->vocab);
    *out = m;
    return HFC_OK;
fail:
    tk_wordpiece_free(m);
    return st;
}

const tk_vocab *tk_wordpiece_vocab(const tk_wordpiece *m) { return m->vocab; }

const char *tk_wordpiece_unk_token(const tk_wordpiece *m, uint32_t *len) {
    if (len) *len = m->unk_len;
    return m->unk;
}

static hfc_status push_unk(const tk_wordpiece *m, tk_ctx *c, uint32_t len, tk_tokens *out) {
    if (m->unk_id < 0)
        return hfc_fail(HFC_ERR_INVALID,
                        "WordPiece error: Missing [UNK] token from the vocabulary");
    return tk_tokens_push(c, out, (uint32_t)m->unk_id, 0, len);
}

hfc_status tk_wordpiece_tokenize(const tk_wordpiece *m, tk_ctx *c, const char *s, uint32_t len,
                                 tk_tokens *out) {
    const uint8_t *u = (const uint8_t *)s;
    uint64_t nchars = 0;
    for (uint32_t i = 0; i < len; i++) nchars += (u[i] & 0xC0) != 0x80;
    if (nchars > m->max_chars) return push_unk(m, c, len, out);

    size_t mark = out->n;
    char *buf = NULL;
    for (uint32_t start = 0; start < len;) {
        uint32_t pl = start ? m->prefix_len : 0;
        /* longest candidate end: pl + (end - start) <= max_token_len, on a char boundary */
        uint32_t end = len;
        if (m->max_token_len < pl) end = start;
        else if ((size_t)(end - start) > m->max_token_len - pl) {
            end = start + (uint32_t)(m->max_token_len - pl);
            while (end > start && (u[end] & 0xC0) == 0x80) end--;
        }
        int64_t id = -1;
        for (; end > start; end--) {
            if (end < len && (u[end] & 0xC0) == 0x80) continue; /* not a char boundary */
            if (!pl) {
                id = tk_vocab_get(m->vocab, s + start, end - start);
            } else {
                if (!buf && !(buf = tk_alloc(c, (size_t)m->prefix_len + len)))
                    return HFC_ERR_NOMEM;
                memcpy(buf, m->prefix, pl);
                memcpy(buf + pl, s + start, end - start);
                id = tk_vocab_get(m->vocab, buf, pl + end - start);
            }
            if (id >= 0) break;
        }
        if (id < 0) { /* no piece fits: the whole word is unknown */
            out->n = mark;
            return push_unk(m, c, len, out);
        }
        HFC_TRY(tk_tokens_push(c, out, (uint32_t)id, start, end));
        start = end;
    }
    return HFC_OK;
}
