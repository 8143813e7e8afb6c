/* Decoders: HF decoders/{bpe,byte_fallback,ctc,fuse,sequence,strip,wordpiece}.rs, plus
 * pre_tokenizers/byte_level.rs and metaspace.rs (ByteLevel, Metaspace) and
 * normalizers/replace.rs (Replace).
 *
 * HF's decode_chain maps a list of token strings to a list of strings; a Sequence feeds
 * each decoder's output to the next; the final decode concatenates. Here a list is a
 * tk_strs whose strings live in the ctx arena (or point into the input tokens, which
 * outlive the call), so every step allocates from the arena and nothing is freed until
 * tk_ctx_reset.
 *
 * Rust string semantics reproduced: str::replace (left-to-right, non-overlapping; an
 * empty pattern matches at every char boundary), String::from_utf8_lossy (one U+FFFD per
 * maximal invalid subsequence), u8::from_str_radix (accepts a leading '+'). Where HF
 * panics (Strip with stop past the start of a token) we return HFC_ERR_INVALID.
 */
#include "tk.h"

#include <stdio.h>
#include <string.h>

typedef enum dec_kind {
    DEC_BPE,
    DEC_BYTELEVEL,
    DEC_WORDPIECE,
    DEC_METASPACE,
    DEC_CTC,
    DEC_SEQUENCE,
    DEC_REPLACE,
    DEC_FUSE,
    DEC_STRIP,
    DEC_BYTEFALLBACK,
} dec_kind;

typedef enum prepend_scheme { PREPEND_ALWAYS, PREPEND_FIRST, PREPEND_NEVER } prepend_scheme;

struct tk_decoder {
    dec_kind kind;
    char *s1; /* BPE suffix, WordPiece prefix, CTC pad_token, Replace content */
    char *s2; /* CTC word_delimiter_token, Replace pattern */
    uint32_t l1, l2;
    bool cleanup;                      /* WordPiece, CTC */
    uint32_t ch;                       /* Metaspace replacement, Strip content */
    prepend_scheme prepend;            /* Metaspace */
    bool split;                        /* Metaspace */
    uint64_t start, stop;              /* Strip */
    bool regex;                        /* Replace: pattern is a Regex (else a String) */
    tk_regex *re;                      /* Replace */
    bool add_prefix_space, trim_offsets, use_regex; /* ByteLevel (kept for the record) */
    tk_decoder **children;             /* Sequence */
    size_t nchildren;
};

/* ------------------------------------------------------------------ UTF-8 */

/* Length of the valid sequence at s[0..n), or 0 when invalid; *bad = bytes to replace
 * by one U+FFFD in that case (Rust's Utf8Chunks: the maximal prefix of a valid sequence,
 * at least one byte). */
static size_t utf8_step(const uint8_t *s, size_t n, size_t *bad) {
    uint8_t b = s[0];
    *bad = 1;
    if (b < 0x80) return 1;
    size_t w;
    uint8_t lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) w = 2;
    else if (b >= 0xE0 && b <= 0xEF) {
        w = 3;
        if (b == 0xE0) lo = 0xA0;
        if (b == 0xED) hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        w = 4;
        if (b == 0xF0) lo = 0x90;
        if (b == 0xF4) hi = 0x8F;
    } else return 0;
    if (n < 2 || s[1] < lo || s[1] > hi) return 0;
    for (size_t k = 2; k < w; k++) {
        if (k >= n || s[k] < 0x80 || s[k] > 0xBF) {
            *bad = k;
            return 0;
        }
    }
    return w;
}

bool tk_utf8_valid(const uint8_t *s, size_t n) {
    size_t bad;
    for (size_t i = 0; i < n;) {
        if (s[i] < 0x80) { i++; continue; }
        size_t w = utf8_step(s + i, n - i, &bad);
        if (!w) return false;
        i += w;
    }
    return true;
}

size_t tk_utf8_lossy(const uint8_t *s, size_t n, char *out) {
    size_t o = 0, bad;
    for (size_t i = 0; i < n;) {
        size_t w = s[i] < 0x80 ? 1 : utf8_step(s + i, n - i, &bad);
        if (w) {
            memcpy(out + o, s + i, w);
            o += w;
            i += w;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i += bad;
        }
    }
    return o;
}

/* ------------------------------------------------------------------ string helpers */

static hfc_status push_copy(tk_ctx *c, tk_strs *v, const char *s, size_t n) {
    char *d = tk_alloc(c, n + 1);
    if (!d) return HFC_ERR_NOMEM;
    memcpy(d, s, n);
    return tk_strs_push(c, v, d, (uint32_t)n);
}

/* Next match of pat in s[from..n) as Rust's StrSearcher finds it (empty pattern: every
 * char boundary). Returns n + 1 when none. */
static size_t find_from(const char *s, size_t n, size_t from, const char *pat, size_t pn) {
    if (!pn) return from <= n ? from : n + 1;
    if (pn > n) return n + 1;
    for (size_t i = from; i + pn <= n; i++) {
        const char *p = memchr(s + i, pat[0], n - pn + 1 - i);
        if (!p) break;
        i = (size_t)(p - s);
        if (memcmp(p, pat, pn) == 0) return i;
    }
    return n + 1;
}

/* Rust's str::replace into the arena. */
static hfc_status str_replace(tk_ctx *c, const char *s, size_t n, const char *pat, size_t pn,
                              const char *rep, size_t rn, const char **out, size_t *outn) {
    size_t count = 0;
    for (size_t i = find_from(s, n, 0, pat, pn); i <= n;) {
        count++;
        size_t next = i + pn;
        if (!pn) next = i < n ? i + (size_t)tk_utf8_len((uint8_t)s[i]) : n + 1;
        i = find_from(s, n, next, pat, pn);
    }
    if (!count) {
        *out = s;
        *outn = n;
        return HFC_OK;
    }
    size_t total = n - count * pn + count * rn; /* matches never overlap */
    char *d = tk_alloc(c, total + 1);
    if (!d) return HFC_ERR_NOMEM;
    size_t o = 0, last = 0;
    for (size_t i = find_from(s, n, 0, pat, pn); i <= n;) {
        memcpy(d + o, s + last, i - last);
        o += i - last;
        memcpy(d + o, rep, rn);
        o += rn;
        last = i + pn;
        size_t next = last;
        if (!pn) {
            if (i >= n) break;
            size_t w = (size_t)tk_utf8_len((uint8_t)s[i]);
            memcpy(d + o, s + i, w); /* the char between two empty matches */
            o += w;
            last = next = i + w;
        }
        i = find_from(s, n, next, pat, pn);
    }
    memcpy(d + o, s + last, n - last);
    o += n - last;
    *out = d;
    *outn = o;
    return HFC_OK;
}

/* HF decoders/wordpiece.rs cleanup(): these replacements, in this order. */
static hfc_status wordpiece_cleanup(tk_ctx *c, const char **s, size_t *n) {
    static const char *const rules[][2] = {
        {" .", "."},   {" ?", "?"},   {" !", "!"},   {" ,", ","},
        {" ' ", "'"},  {" n't", "n't"}, {" 'm", "'m"}, {" do not", " don't"},
        {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
    };
    for (size_t r = 0; r < sizeof rules / sizeof *rules; r++) {
        if (*n < strlen(rules[r][0])) continue;
        HFC_TRY(str_replace(c, *s, *n, rules[r][0], strlen(rules[r][0]), rules[r][1],
                            strlen(rules[r][1]), s, n));
    }
    return HFC_OK;
}

/* ------------------------------------------------------------------ the decoders */

static hfc_status dec_bpe(const tk_decoder *d, tk_ctx *c, const tk_strs *in, tk_strs *out) {
    for (size_t i = 0; i < in->n; i++) {
        const char *s;
        size_t n;
        HFC_TRY(str_replace(c, in->s[i], in->len[i], d->s1, d->l1, " ", i + 1 == in->n ? 0 : 1,
                            &s, &n));
        HFC_TRY(tk_strs_push(c, out, s, (uint32_t)n));
    }
    return HFC_OK;
}

static hfc_status dec_bytelevel(tk_ctx *c, const tk_strs *in, tk_strs *out) {
    size_t total = 0;
    for (size_t i = 0; i < in->n; i++) total += in->len[i];
    uint8_t *bytes = tk_alloc(c, total + 1);
    if (!bytes) return HFC_ERR_NOMEM;
    size_t o = 0;
    for (size_t i = 0; i < in->n; i++) {
        const uint8_t *s = (const uint8_t *)in->s[i];
        size_t n = in->len[i], start = o;
        bool mapped = true;
        for (size_t k = 0; k < n && mapped;) {
            int cl;
            uint32_t cp = tk_utf8_decode(s + k, n - k, &cl);
            int b = tk_char_to_byte(cp);
            if (b < 0) mapped = false;
            else bytes[o++] = (uint8_t)b;
            k += (size_t)cl;
        }
        if (!mapped) { /* a char outside the byte alphabet: the token's own bytes */
            memcpy(bytes + start, s, n);
            o = start + n;
        }
    }
    char *text = tk_alloc(c, o * 3 + 1);
    if (!text) return HFC_ERR_NOMEM;
    return tk_strs_push(c, out, text, (uint32_t)tk_utf8_lossy(bytes, o, text));
}

static hfc_status dec_wordpiece(const tk_decoder *d, tk_ctx *c, const tk_strs *in,
                                tk_strs *out) {
    for (size_t i = 0; i < in->n; i++) {
        const char *s = in->s[i];
        size_t n = in->len[i];
        if (i != 0) {
            if (n >= d->l1 && memcmp(s, d->s1, d->l1) == 0) {
                s += d->l1;
                n -= d->l1;
            } else {
                char *t = tk_alloc(c, n + 2);
                if (!t) return HFC_ERR_NOMEM;
                t[0] = ' ';
                memcpy(t + 1, s, n);
                s = t;
                n++;
            }
        }
        if (d->cleanup) HFC_TRY(wordpiece_cleanup(c, &s, &n));
        HFC_TRY(tk_strs_push(c, out, s, (uint32_t)n));
    }
    return HFC_OK;
}

static hfc_status dec_metaspace(const tk_decoder *d, tk_ctx *c, const tk_strs *in,
                                tk_strs *out) {
    for (size_t i = 0; i < in->n; i++) {
        const uint8_t *s = (const uint8_t *)in->s[i];
        size_t n = in->len[i], o = 0;
        char *t = tk_alloc(c, n + 1);
        if (!t) return HFC_ERR_NOMEM;
        /* HF drops every replacement char of the first token (not only a leading one) */
        bool drop = i == 0 && d->prepend != PREPEND_NEVER;
        for (size_t k = 0; k < n;) {
            int cl;
            uint32_t cp = tk_utf8_decode(s + k, n - k, &cl);
            if (cp == d->ch) {
                if (!drop) t[o++] = ' ';
            } else {
                memcpy(t + o, s + k, (size_t)cl);
                o += (size_t)cl;
            }
            k += (size_t)cl;
        }
        HFC_TRY(tk_strs_push(c, out, t, (uint32_t)o));
    }
    return HFC_OK;
}

static hfc_status dec_ctc(const tk_decoder *d, tk_ctx *c, const tk_strs *in, tk_strs *out) {
    for (size_t i = 0; i < in->n; i++) {
        if (i > 0 && in->len[i] == in->len[i - 1] &&
            memcmp(in->s[i], in->s[i - 1], in->len[i]) == 0)
            continue; /* itertools dedup: consecutive duplicates */
        const char *s;
        size_t n;
        HFC_TRY(str_replace(c, in->s[i], in->len[i], d->s1, d->l1, "", 0, &s, &n));
        if (d->cleanup) {
            HFC_TRY(wordpiece_cleanup(c, &s, &n));
            HFC_TRY(str_replace(c, s, n, d->s2, d->l2, " ", 1, &s, &n));
        }
        if (n) HFC_TRY(tk_strs_push(c, out, s, (uint32_t)n));
    }
    return HFC_OK;
}

static hfc_status dec_replace(const tk_decoder *d, tk_ctx *c, const tk_strs *in, tk_strs *out) {
    for (size_t i = 0; i < in->n; i++) {
        tk_spans sp = {0};
        HFC_TRY(tk_regex_find_matches(d->re, c, in->s[i], in->len[i], &sp));
        size_t total = 0;
        for (size_t k = 0; k < sp.n; k++)
            total += sp.v[k].is_match ? d->l1 : sp.v[k].end - sp.v[k].start;
        char *t = tk_alloc(c, total + 1);
        if (!t) return HFC_ERR_NOMEM;
        size_t o = 0;
        for (size_t k = 0; k < sp.n; k++) {
            if (sp.v[k].is_match) {
                memcpy(t + o, d->s1, d->l1);
                o += d->l1;
            } else {
                memcpy(t + o, in->s[i] + sp.v[k].start, sp.v[k].end - sp.v[k].start);
                o += sp.v[k].end - sp.v[k].start;
            }
        }
        HFC_TRY(tk_strs_push(c, out, t, (uint32_t)o));
    }
    return HFC_OK;
}

static hfc_status dec_fuse(tk_ctx *c, const tk_strs *in, tk_strs *out) {
    size_t total = 0;
    for (size_t i = 0; i < in->n; i++) total += in->len[i];
    if (total > UINT32_MAX) return hfc_fail(HFC_ERR_OVERFLOW, "decoded text exceeds 4 GiB");
    char *t = tk_alloc(c, total + 1);
    if (!t) return HFC_ERR_NOMEM;
    size_t o = 0;
    for (size_t i = 0; i < in->n; i++) {
        memcpy(t + o, in->s[i], in->len[i]);
        o += in->len[i];
    }
    return tk_strs_push(c, out, t, (uint32_t)o);
}

static hfc_status dec_strip(const tk_decoder *d, tk_ctx *c, const tk_strs *in, tk_strs *out) {
    for (size_t i = 0; i < in->n; i++) {
        const uint8_t *s = (const uint8_t *)in->s[i];
        size_t n = in->len[i], nchars = 0;
        for (size_t k = 0; k < n; k++) nchars += (s[k] & 0xC0) != 0x80;
        /* chars are compared by code point; cuts are char indices turned into bytes */
        size_t start_cut = 0, start_byte = 0, pos = 0;
        for (size_t ci = 0; ci < nchars && ci < d->start; ci++) {
            int cl;
            uint32_t cp = tk_utf8_decode(s + pos, n - pos, &cl);
            if (cp != d->ch) break;
            pos += (size_t)cl;
            start_cut = ci + 1;
            start_byte = pos;
        }
        size_t stop_cut = nchars, stop_byte = n, end = n;
        for (uint64_t k = 0; k < d->stop; k++) {
            if (k >= nchars)
                return hfc_fail(HFC_ERR_INVALID,
                                "Strip decoder: stop=%llu reaches before the start of token "
                                "%zu (HF panics: index out of bounds)",
                                (unsigned long long)d->stop, i);
            size_t b = end - 1;
            while (b > 0 && (s[b] & 0xC0) == 0x80) b--;
            int cl;
            if (tk_utf8_decode(s + b, n - b, &cl) != d->ch) break;
            stop_cut = nchars - (size_t)k - 1;
            stop_byte = end = b;
        }
        if (start_cut > stop_cut)
            return hfc_fail(HFC_ERR_INVALID,
                            "Strip decoder: token %zu is cut from char %zu to %zu (HF panics: "
                            "slice index starts after its end)",
                            i, start_cut, stop_cut);
        HFC_TRY(tk_strs_push(c, out, (const char *)s + start_byte,
                             (uint32_t)(stop_byte - start_byte)));
    }
    return HFC_OK;
}

/* "<0xXX>" -> byte, as `token.len() == 6 && starts_with("<0x") && ends_with('>')` and
 * u8::from_str_radix(&token[3..5], 16) (which takes a leading '+'). */
static int byte_token(const char *s, size_t n) {
    if (n != 6 || memcmp(s, "<0x", 3) != 0 || s[5] != '>') return -1;
    int v = 0, digits = 0;
    for (int k = 3; k < 5; k++) {
        char ch = s[k];
        int dv;
        if (k == 3 && ch == '+') continue;
        if (ch >= '0' && ch <= '9') dv = ch - '0';
        else if (ch >= 'a' && ch <= 'f') dv = ch - 'a' + 10;
        else if (ch >= 'A' && ch <= 'F') dv = ch - 'A' + 10;
        else return -1;
        v = v * 16 + dv;
        digits++;
    }
    return digits ? v : -1;
}

static hfc_status flush_bytes(tk_ctx *c, tk_strs *out, const uint8_t *b, size_t n) {
    if (!n) return HFC_OK;
    if (tk_utf8_valid(b, n)) return push_copy(c, out, (const char *)b, n);
    for (size_t k = 0; k < n; k++) HFC_TRY(tk_strs_push(c, out, "\xEF\xBF\xBD", 3));
    return HFC_OK;
}

static hfc_status dec_bytefallback(tk_ctx *c, const tk_strs *in, tk_strs *out) {
    uint8_t *pending = tk_alloc(c, in->n + 1);
    if (!pending) return HFC_ERR_NOMEM;
    size_t np = 0;
    for (size_t i = 0; i < in->n; i++) {
        int b = byte_token(in->s[i], in->len[i]);
        if (b >= 0) {
            pending[np++] = (uint8_t)b;
            continue;
        }
        HFC_TRY(flush_bytes(c, out, pending, np));
        np = 0;
        HFC_TRY(tk_strs_push(c, out, in->s[i], in->len[i]));
    }
    return flush_bytes(c, out, pending, np);
}

static hfc_status decode_chain(const tk_decoder *d, tk_ctx *c, const tk_strs *in, tk_strs *out) {
    switch (d->kind) {
    case DEC_BPE: return dec_bpe(d, c, in, out);
    case DEC_BYTELEVEL: return dec_bytelevel(c, in, out);
    case DEC_WORDPIECE: return dec_wordpiece(d, c, in, out);
    case DEC_METASPACE: return dec_metaspace(d, c, in, out);
    case DEC_CTC: return dec_ctc(d, c, in, out);
    case DEC_REPLACE: return dec_replace(d, c, in, out);
    case DEC_FUSE: return dec_fuse(c, in, out);
    case DEC_STRIP: return dec_strip(d, c, in, out);
    case DEC_BYTEFALLBACK: return dec_bytefallback(c, in, out);
    case DEC_SEQUENCE: {
        tk_strs cur = *in;
        for (size_t k = 0; k < d->nchildren; k++) {
            tk_strs next = {0};
            HFC_TRY(decode_chain(d->children[k], c, &cur, &next));
            cur = next;
        }
        *out = cur; /* may alias `in`'s arrays: callers only read */
        return HFC_OK;
    }
    }
    return hfc_fail(HFC_ERR_STATE, "corrupt decoder kind %d", (int)d->kind);
}

hfc_status tk_decoder_decode_chain(const tk_decoder *d, tk_ctx *c, const tk_strs *tokens,
                                   tk_strs *out) {
    *out = (tk_strs){0};
    return decode_chain(d, c, tokens, out);
}

hfc_status tk_decoder_decode(const tk_decoder *d, tk_ctx *c, const tk_strs *tokens,
                             hfc_buf *out) {
    tk_strs res;
    HFC_TRY(tk_decoder_decode_chain(d, c, tokens, &res));
    size_t total = 0;
    for (size_t i = 0; i < res.n; i++) total += res.len[i];
    HFC_TRY(hfc_buf_reserve(out, total));
    for (size_t i = 0; i < res.n; i++) {
        memcpy(out->data + out->len, res.s[i], res.len[i]);
        out->len += res.len[i];
    }
    out->data[out->len] = '\0';
    return HFC_OK;
}

/* ------------------------------------------------------------------ loading */

void tk_decoder_free(tk_decoder *d) {
    if (!d) return;
    for (size_t k = 0; k < d->nchildren; k++) tk_decoder_free(d->children[k]);
    hfc_free(d->children);
    hfc_free(d->s1);
    hfc_free(d->s2);
    if (d->re) tk_regex_free(d->re);
    hfc_free(d);
}

static hfc_status req_string(const hfc_json_doc *doc, const hfc_json_value *v, const char *path,
                             const char *key, char **dst, uint32_t *len) {
    const hfc_json_value *s;
    HFC_TRY(tkm_get_string(doc, v, path, key, true, &s));
    if (!(*dst = tkm_strdup(s))) return HFC_ERR_NOMEM;
    *len = s->len;
    return HFC_OK;
}

/* A Rust `char` field: a string of exactly one code point. */
static hfc_status req_char(const hfc_json_doc *doc, const hfc_json_value *v, const char *path,
                           const char *key, uint32_t *out) {
    const hfc_json_value *s;
    HFC_TRY(tkm_get_string(doc, v, path, key, true, &s));
    int cl = 0;
    if (s->len) *out = tk_utf8_decode((const uint8_t *)s->u.s, s->len, &cl);
    if (!s->len || (uint32_t)cl != s->len) {
        char p[512];
        tkm_path(p, sizeof p, path, key);
        return hfc_json_fail_at(doc, s, p, "expected a single character, got \"%.*s\"",
                                (int)(s->len > 50 ? 50 : s->len), s->u.s);
    }
    return HFC_OK;
}

static hfc_status load_metaspace(tk_decoder *d, const hfc_json_doc *doc, const hfc_json_value *v,
                                 const char *path) {
    HFC_TRY(req_char(doc, v, path, "replacement", &d->ch));
    bool aps = true, aps_set = false, split = true;
    HFC_TRY(tkm_get_bool(doc, v, path, "add_prefix_space", false, &aps_set, &aps));
    HFC_TRY(tkm_get_bool(doc, v, path, "split", false, NULL, &split));
    const hfc_json_value *str_rep; /* legacy, ignored, but HF wants a string or null */
    HFC_TRY(tkm_get_string(doc, v, path, "str_rep", false, &str_rep));
    d->split = split;
    d->prepend = PREPEND_ALWAYS;
    const hfc_json_value *ps = hfc_json_getz(v, "prepend_scheme");
    if (ps) {
        char p[512];
        tkm_path(p, sizeof p, path, "prepend_scheme");
        if (hfc_json_str_eq(ps, "first", 5)) d->prepend = PREPEND_FIRST;
        else if (hfc_json_str_eq(ps, "never", 5)) d->prepend = PREPEND_NEVER;
        else if (!hfc_json_str_eq(ps, "always", 6))
            return hfc_json_fail_at(doc, ps, p,
                                    "expected \"first\", \"never\" or \"always\"");
    }
    if (aps_set && !aps) {
        if (d->prepend != PREPEND_NEVER)
            return hfc_json_fail_at(doc, v, path,
                                    "add_prefix_space does not match declared prepend_scheme");
    }
    return HFC_OK;
}

static hfc_status load_replace(tk_decoder *d, const hfc_json_doc *doc, const hfc_json_value *v,
                               const char *path) {
    char p[512];
    const hfc_json_value *pat = hfc_json_getz(v, "pattern");
    tkm_path(p, sizeof p, path, "pattern");
    if (!pat) return hfc_json_fail_at(doc, v, path, "missing field `pattern`");
    if (pat->type != HFC_JSON_OBJECT || pat->len != 1 ||
        pat->u.members[0].value.type != HFC_JSON_STRING ||
        !(hfc_json_str_eq(&pat->u.members[0].key, "String", 6) ||
          hfc_json_str_eq(&pat->u.members[0].key, "Regex", 5)))
        return hfc_json_fail_at(doc, pat, p,
                                "expected {\"String\": \"...\"} or {\"Regex\": \"...\"}");
    const hfc_json_value *ps = &pat->u.members[0].value;
    d->regex = hfc_json_str_eq(&pat->u.members[0].key, "Regex", 5);
    HFC_TRY(req_string(doc, v, path, "content", &d->s1, &d->l1));
    if (!(d->s2 = tkm_strdup(ps))) return HFC_ERR_NOMEM;
    d->l2 = ps->len;
    hfc_status st = d->regex ? tk_regex_compile(d->s2, d->l2, &d->re)
                             : tk_regex_compile_literal(d->s2, d->l2, &d->re);
    if (st != HFC_OK) {
        char msg[HFC_ERROR_MESSAGE_MAX];
        snprintf(msg, sizeof msg, "%s", hfc_error_message());
        tkm_path(p, sizeof p, path, "pattern");
        hfc_json_fail_at(doc, ps, p, "%s", msg);
        return st;
    }
    return HFC_OK;
}

static hfc_status load_sequence(tk_decoder *d, const hfc_json_doc *doc, const hfc_json_value *v,
                                const char *path) {
    char p[512];
    const hfc_json_value *list = hfc_json_getz(v, "decoders");
    tkm_path(p, sizeof p, path, "decoders");
    if (!list) return hfc_json_fail_at(doc, v, path, "missing field `decoders`");
    if (list->type != HFC_JSON_ARRAY)
        return hfc_json_fail_at(doc, list, p, "expected a list of decoders, got %s",
                                hfc_json_type_name((hfc_json_type)list->type));
    if (list->len) {
        d->children = hfc_calloc(list->len, sizeof *d->children);
        if (!d->children) return hfc_fail(HFC_ERR_NOMEM, "out of memory for a decoder sequence");
    }
    for (uint32_t i = 0; i < list->len; i++) {
        char ip[512];
        tkm_path_index(ip, sizeof ip, p, i);
        HFC_TRY(tk_decoder_from_json(doc, &list->u.items[i], ip, &d->children[i]));
        d->nchildren++;
    }
    return HFC_OK;
}

static hfc_status load(tk_decoder *d, const hfc_json_doc *doc, const hfc_json_value *v,
                       const char *path) {
    uint64_t start = 0, stop = 0;
    switch (d->kind) {
    case DEC_BPE: return req_string(doc, v, path, "suffix", &d->s1, &d->l1);
    case DEC_BYTELEVEL:
        d->use_regex = true;
        HFC_TRY(tkm_get_bool(doc, v, path, "add_prefix_space", true, NULL, &d->add_prefix_space));
        HFC_TRY(tkm_get_bool(doc, v, path, "trim_offsets", true, NULL, &d->trim_offsets));
        return tkm_get_bool(doc, v, path, "use_regex", false, NULL, &d->use_regex);
    case DEC_WORDPIECE:
        HFC_TRY(req_string(doc, v, path, "prefix", &d->s1, &d->l1));
        return tkm_get_bool(doc, v, path, "cleanup", true, NULL, &d->cleanup);
    case DEC_METASPACE: return load_metaspace(d, doc, v, path);
    case DEC_CTC:
        HFC_TRY(req_string(doc, v, path, "pad_token", &d->s1, &d->l1));
        HFC_TRY(req_string(doc, v, path, "word_delimiter_token", &d->s2, &d->l2));
        return tkm_get_bool(doc, v, path, "cleanup", true, NULL, &d->cleanup);
    case DEC_SEQUENCE: return load_sequence(d, doc, v, path);
    case DEC_REPLACE: return load_replace(d, doc, v, path);
    case DEC_FUSE:
    case DEC_BYTEFALLBACK: return HFC_OK;
    case DEC_STRIP:
        HFC_TRY(req_char(doc, v, path, "content", &d->ch));
        HFC_TRY(tkm_get_uint(doc, v, path, "start", true, UINT64_MAX, NULL, &start));
        HFC_TRY(tkm_get_uint(doc, v, path, "stop", true, UINT64_MAX, NULL, &stop));
        d->start = start;
        d->stop = stop;
        return HFC_OK;
    }
    return HFC_OK;
}

static const struct {
    const char *name;
    dec_kind kind;
} kinds[] = {
    {"BPEDecoder", DEC_BPE},     {"ByteLevel", DEC_BYTELEVEL}, {"WordPiece", DEC_WORDPIECE},
    {"Metaspace", DEC_METASPACE}, {"CTC", DEC_CTC},           {"Sequence", DEC_SEQUENCE},
    {"Replace", DEC_REPLACE},    {"Fuse", DEC_FUSE},           {"Strip", DEC_STRIP},
    {"ByteFallback", DEC_BYTEFALLBACK},
};

/* No "type": HF's untagged fallback keeps the first decoder that deserializes; only the
 * ones whose struct does not insist on a "type" can match (BPEDecoder, WordPiece, CTC,
 * Replace, Strip), in HF's order. */
static bool infer_kind(const hfc_json_value *v, dec_kind *kind) {
#define HAS(k) (hfc_json_getz(v, k) != NULL)
    if (HAS("suffix")) *kind = DEC_BPE;
    else if (HAS("prefix") && HAS("cleanup")) *kind = DEC_WORDPIECE;
    else if (HAS("pad_token") && HAS("word_delimiter_token") && HAS("cleanup")) *kind = DEC_CTC;
    else if (HAS("pattern") && HAS("content")) *kind = DEC_REPLACE;
    else if (HAS("content") && HAS("start") && HAS("stop")) *kind = DEC_STRIP;
    else return false;
    return true;
#undef HAS
}

hfc_status tk_decoder_from_json(const hfc_json_doc *doc, const hfc_json_value *v,
                                const char *path, tk_decoder **out) {
    *out = NULL;
    if (!v || v->type != HFC_JSON_OBJECT)
        return hfc_json_fail_at(doc, v, path, "expected a decoder object, got %s",
                                v ? hfc_json_type_name((hfc_json_type)v->type) : "nothing");
    const hfc_json_value *type = hfc_json_getz(v, "type");
    dec_kind kind = DEC_FUSE;
    bool found = false;
    if (!type) {
        if (!infer_kind(v, &kind))
            return hfc_json_fail_at(doc, v, path,
                                    "decoder has no \"type\" and its fields match no decoder");
        found = true;
    } else {
        char tp[512];
        tkm_path(tp, sizeof tp, path, "type");
        for (size_t k = 0; k < sizeof kinds / sizeof *kinds && !found; k++)
            if (hfc_json_str_eq(type, kinds[k].name, strlen(kinds[k].name))) {
                kind = kinds[k].kind;
                found = true;
            }
        if (!found && type->type != HFC_JSON_STRING)
            return hfc_json_fail_at(doc, type, tp, "expected a decoder type string, got %s",
                                    hfc_json_type_name((hfc_json_type)type->type));
        if (!found)
            return hfc_json_fail_at(doc, type, tp,
                                    "unknown decoder type \"%.*s\" (expected BPEDecoder, "
                                    "ByteLevel, WordPiece, Metaspace, CTC, Sequence, Replace, "
                                    "Fuse, Strip or ByteFallback)",
                                    (int)(type->len > 100 ? 100 : type->len), type->u.s);
    }
    tk_decoder *d = hfc_calloc(1, sizeof *d);
    if (!d) return hfc_fail(HFC_ERR_NOMEM, "out of memory creating a decoder");
    d->kind = kind;
    hfc_status st = load(d, doc, v, path);
    if (st != HFC_OK) {
        tk_decoder_free(d);
        return st;
    }
    *out = d;
    return HFC_OK;
}
