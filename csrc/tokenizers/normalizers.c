/* Normalizers: HF tokenizers' normalizers/ (bert.rs, unicode.rs, ...) on tk_norm,
 * alignments included.
 *
 * Every normalizer rewrites a piece the way HF's NormalizedString methods do (nfd, nfc,
 * lowercase, filter, map, prepend, replace, lrstrip, transform in tokenizer/normalizer.rs),
 * so the alignments to the original text come out byte-identical. Where a rewrite cannot
 * move any alignment (a char replaced by one of the same UTF-8 length, a pure strip), we
 * skip the general transform and copy bytes only.
 *
 * JSON: the serde shapes of normalizers/mod.rs: {"type": ..., fields}; required fields
 * missing or of the wrong type are errors naming the JSON path, unknown fields ignored.
 */
#include "tk.h"

#include <stdio.h>
#include <string.h>

typedef enum nz_kind {
    NZ_BERT,
    NZ_STRIP,
    NZ_STRIP_ACCENTS,
    NZ_NFC,
    NZ_NFD,
    NZ_NFKC,
    NZ_NFKD,
    NZ_SEQUENCE,
    NZ_LOWERCASE,
    NZ_NMT,
    NZ_REPLACE,
    NZ_PREPEND,
    NZ_BYTE_LEVEL,
} nz_kind;

struct tk_normalizer {
    nz_kind kind;
    union {
        struct { bool clean_text, chinese, strip_accents, lowercase, defer_chinese; } bert;
        struct { bool left, right; } strip;
        struct { tk_regex *re; char *content; uint32_t content_len; } replace;
        struct { char *s; uint32_t len; } prepend;
        struct { tk_normalizer **items; size_t n; } seq;
    } u;
};

/* ------------------------------------------------------------------ JSON helpers */

/* path + ".key" or path + "[index]" into buf[n] (truncated if needed). */
void tk_json_subpath(char *buf, size_t n, const char *path, const char *key, long index) {
    char tail[32];
    const char *t = tail;
    if (key) t = key;
    else snprintf(tail, sizeof tail, "[%ld]", index);
    size_t pl = strlen(path), tl = strlen(t), w = 0;
    if (n == 0) return;
    for (size_t i = 0; i < pl && w + 1 < n; i++) buf[w++] = path[i];
    if (key && w + 1 < n) buf[w++] = '.';
    for (size_t i = 0; i < tl && w + 1 < n; i++) buf[w++] = t[i];
    buf[w] = 0;
}

static hfc_status missing(const hfc_json_doc *doc, const hfc_json_value *obj, const char *path,
                          const char *key) {
    return hfc_json_fail_at(doc, obj, path, "missing field `%s`", key);
}

hfc_status tk_json_get_bool(const hfc_json_doc *doc, const hfc_json_value *obj,
                            const char *path, const char *key, int dflt, bool *out) {
    const hfc_json_value *v = hfc_json_getz(obj, key);
    if (!v) {
        if (dflt < 0) return missing(doc, obj, path, key);
        *out = dflt != 0;
        return HFC_OK;
    }
    if (v->type != HFC_JSON_TRUE && v->type != HFC_JSON_FALSE) {
        char p[512];
        tk_json_subpath(p, sizeof p, path, key, 0);
        return hfc_json_fail_at(doc, v, p, "expected a boolean, got %s",
                                hfc_json_type_name((hfc_json_type)v->type));
    }
    *out = v->type == HFC_JSON_TRUE;
    return HFC_OK;
}

hfc_status tk_json_get_str(const hfc_json_doc *doc, const hfc_json_value *obj, const char *path,
                           const char *key, const hfc_json_value **out) {
    const hfc_json_value *v = hfc_json_getz(obj, key);
    if (!v) return missing(doc, obj, path, key);
    if (v->type != HFC_JSON_STRING) {
        char p[512];
        tk_json_subpath(p, sizeof p, path, key, 0);
        return hfc_json_fail_at(doc, v, p, "expected a string, got %s",
                                hfc_json_type_name((hfc_json_type)v->type));
    }
    *out = v;
    return HFC_OK;
}

/* A JSON string holding exactly one character (serde `char`). */
hfc_status tk_json_get_char(const hfc_json_doc *doc, const hfc_json_value *obj,
                            const char *path, const char *key, uint32_t *out) {
    const hfc_json_value *v;
    HFC_TRY(tk_json_get_str(doc, obj, path, key, &v));
    int l = 0;
    uint32_t cp = v->len ? tk_utf8_decode((const uint8_t *)v->u.s, v->len, &l) : 0;
    if (v->len == 0 || (uint32_t)l != v->len) {
        char p[512];
        tk_json_subpath(p, sizeof p, path, key, 0);
        return hfc_json_fail_at(doc, v, p, "invalid value: string \"%.*s\", expected a character",
                                (int)(v->len > 64 ? 64 : v->len), v->u.s);
    }
    *out = cp;
    return HFC_OK;
}

/* {"String": s} or {"Regex": r} (HF's ReplacePattern / SplitPattern) -> compiled regex. */
hfc_status tk_json_get_pattern(const hfc_json_doc *doc, const hfc_json_value *obj,
                               const char *path, const char *key, tk_regex **out) {
    const hfc_json_value *v = hfc_json_getz(obj, key);
    if (!v) return missing(doc, obj, path, key);
    char p[512], pp[560];
    tk_json_subpath(p, sizeof p, path, key, 0);
    if (v->type != HFC_JSON_OBJECT || v->len != 1)
        return hfc_json_fail_at(doc, v, p, "expected {\"String\": ...} or {\"Regex\": ...}");
    const hfc_json_member *m = &v->u.members[0];
    bool is_regex = hfc_json_str_eq(&m->key, "Regex", 5);
    if (!is_regex && !hfc_json_str_eq(&m->key, "String", 6))
        return hfc_json_fail_at(doc, v, p, "unknown variant `%.*s`, expected `String` or `Regex`",
                                (int)(m->key.len > 64 ? 64 : m->key.len), m->key.u.s);
    snprintf(pp, sizeof pp, "%s.%s", p, is_regex ? "Regex" : "String");
    if (m->value.type != HFC_JSON_STRING)
        return hfc_json_fail_at(doc, &m->value, pp, "expected a string, got %s",
                                hfc_json_type_name((hfc_json_type)m->value.type));
    hfc_status st = is_regex ? tk_regex_compile(m->value.u.s, m->value.len, out)
                             : tk_regex_compile_literal(m->value.u.s, m->value.len, out);
    if (st != HFC_OK) { /* restate the regex error at its JSON location */
        char msg[HFC_ERROR_MESSAGE_MAX];
        snprintf(msg, sizeof msg, "%s", hfc_error_message());
        hfc_json_fail_at(doc, &m->value, pp, "%s", msg);
        return st;
    }
    return HFC_OK;
}

/* ------------------------------------------------------------------ rewriting helpers */

/* A change list with room for `cap` entries (then filled without bound checks). */
static hfc_status changes_alloc(tk_ctx *c, tk_changes *ch, size_t cap) {
    ch->v = tk_alloc(c, (cap ? cap : 1) * sizeof *ch->v);
    ch->n = 0;
    ch->cap = cap;
    return ch->v ? HFC_OK : HFC_ERR_NOMEM;
}
static inline void changes_put(tk_changes *ch, uint32_t cp, int32_t change) {
    ch->v[ch->n].cp = cp;
    ch->v[ch->n].change = change;
    ch->n++;
}

/* HF NormalizedString::filter: keep chars where keep(cp); removed runs fold into the
 * previous kept char's change. */
static hfc_status filter_chars(tk_ctx *c, tk_norm *n, bool (*keep)(uint32_t)) {
    const uint8_t *s = (const uint8_t *)n->s;
    uint32_t i = 0;
    for (; i < n->len;) { /* fast scan: nothing to remove? */
        int l;
        uint32_t cp = tk_utf8_decode(s + i, n->len - i, &l);
        if (!keep(cp)) break;
        i += (uint32_t)l;
    }
    if (i == n->len) return HFC_OK;
    tk_changes ch;
    HFC_TRY(changes_alloc(c, &ch, n->len));
    int32_t removed = 0;
    size_t removed_start = 0;
    bool have_last = false;
    uint32_t last = 0;
    for (i = 0; i < n->len;) {
        int l;
        uint32_t cp = tk_utf8_decode(s + i, n->len - i, &l);
        i += (uint32_t)l;
        if (keep(cp)) {
            if (have_last) changes_put(&ch, last, -removed);
            else removed_start = (size_t)removed;
            last = cp;
            have_last = true;
            removed = 0;
        } else {
            removed++;
        }
    }
    if (have_last) changes_put(&ch, last, -removed);
    return tk_norm_transform(c, n, ch.v, ch.n, removed_start);
}

/* HF NormalizedString::map: every char replaced by map(cp) with change 0. */
static hfc_status map_chars(tk_ctx *c, tk_norm *n, uint32_t (*map)(uint32_t)) {
    const uint8_t *s = (const uint8_t *)n->s;
    uint8_t *out = NULL;
    bool same_len = true;
    for (uint32_t i = 0; i < n->len;) {
        int l;
        uint32_t cp = tk_utf8_decode(s + i, n->len - i, &l), m = map(cp);
        if (m != cp) {
            uint8_t tmp[4];
            if (tk_utf8_encode(m, tmp) != l) {
                same_len = false;
                break;
            }
            if (!out) {
                out = tk_alloc(c, n->len + 1);
                if (!out) return HFC_ERR_NOMEM;
                memcpy(out, s, n->len);
            }
            memcpy(out + i, tmp, (size_t)l);
        }
        i += (uint32_t)l;
    }
    if (same_len) { /* same UTF-8 lengths: transform would leave every alignment */
        if (out) n->s = (const char *)out;
        return HFC_OK;
    }
    tk_changes ch;
    HFC_TRY(changes_alloc(c, &ch, n->len));
    for (uint32_t i = 0; i < n->len;) {
        int l;
        uint32_t cp = tk_utf8_decode(s + i, n->len - i, &l);
        i += (uint32_t)l;
        changes_put(&ch, map(cp), 0);
    }
    return tk_norm_transform(c, n, ch.v, ch.n, 0);
}

static hfc_status unicode_form(tk_ctx *c, tk_norm *n, tk_nf form) {
    tk_changes ch = {0};
    bool identity;
    HFC_TRY(tk_unicode_normalize(c, form, n->s, n->len, &ch, &identity));
    if (identity) return HFC_OK;
    return tk_norm_transform(c, n, ch.v, ch.n, 0);
}

/* HF NormalizedString::lowercase: char::to_lowercase, extra chars inserted (change 1). */
static hfc_status lowercase(tk_ctx *c, tk_norm *n) {
    const uint8_t *s = (const uint8_t *)n->s;
    uint8_t *out = NULL;
    uint32_t i = 0;
    for (; i < n->len;) {
        uint8_t b = s[i];
        if (b < 0x80) {
            if ((unsigned)(b - 'A') < 26u) {
                if (!out) {
                    out = tk_alloc(c, n->len + 1);
                    if (!out) return HFC_ERR_NOMEM;
                    memcpy(out, s, n->len);
                }
                out[i] = (uint8_t)(b + 32);
            }
            i++;
            continue;
        }
        int l;
        uint32_t cp = tk_utf8_decode(s + i, n->len - i, &l), lo[3];
        int k = tk_to_lowercase(cp, lo);
        if (k != 1 || lo[0] != cp) {
            uint8_t tmp[4];
            if (k != 1 || tk_utf8_encode(lo[0], tmp) != l) break; /* general path */
            if (!out) {
                out = tk_alloc(c, n->len + 1);
                if (!out) return HFC_ERR_NOMEM;
                memcpy(out, s, n->len);
            }
            memcpy(out + i, tmp, (size_t)l);
        }
        i += (uint32_t)l;
    }
    if (i == n->len) { /* same UTF-8 lengths: transform would leave every alignment */
        if (out) n->s = (const char *)out;
        return HFC_OK;
    }
    tk_changes ch; /* a char lowercases to at most as many chars as it has bytes */
    HFC_TRY(changes_alloc(c, &ch, n->len));
    for (i = 0; i < n->len;) {
        int l;
        uint32_t cp = tk_utf8_decode(s + i, n->len - i, &l), lo[3];
        i += (uint32_t)l;
        int k = tk_to_lowercase(cp, lo);
        for (int j = 0; j < k && j < l; j++) changes_put(&ch, lo[j], j > 0);
    }
    return tk_norm_transform(c, n, ch.v, ch.n, 0);
}

/* HF lrstrip: the kept chars keep their alignments, so this is a narrowing of the piece
 * that leaves its original range (HF's original_shift) alone. */
static void strip(tk_norm *n, bool left, bool right) {
    const uint8_t *s = (const uint8_t *)n->s;
    uint32_t a = 0, b = n->len;
    if (left)
        while (a < b) {
            int l;
            if (!tk_is_whitespace(tk_utf8_decode(s + a, b - a, &l))) break;
            a += (uint32_t)l;
        }
    if (right)
        while (b > a) {
            uint32_t p = b - 1;
            while (p > a && (s[p] & 0xC0) == 0x80) p--;
            int l;
            if (!tk_is_whitespace(tk_utf8_decode(s + p, b - p, &l))) break;
            b = p;
        }
    n->s += a;
    n->al += a;
    n->len = b - a;
}

/* HF NormalizedString::prepend. Every inserted char takes the first char's alignment;
 * an empty string re-inserts the first char as "new", which HF aligns to {0, 0}. */
hfc_status tk_norm_prepend(tk_ctx *c, tk_norm *n, const char *p, uint32_t plen) {
    if (n->len == 0) return HFC_OK;
    if (plen == 0) {
        tk_align *al = tk_alloc(c, (size_t)n->len * sizeof *al);
        if (!al) return HFC_ERR_NOMEM;
        memcpy(al, n->al, (size_t)n->len * sizeof *al);
        uint32_t w = (uint32_t)tk_utf8_len((uint8_t)n->s[0]);
        tk_align z = {n->orig_start, n->orig_start};
        for (uint32_t i = 0; i < w && i < n->len; i++) al[i] = z;
        n->al = al;
        return HFC_OK;
    }
    if ((uint64_t)n->len + plen > UINT32_MAX)
        return hfc_fail(HFC_ERR_OVERFLOW, "normalized text exceeds 4 GiB");
    uint32_t len = n->len + plen;
    char *s = tk_alloc(c, len + 1);
    tk_align *al = tk_alloc(c, (size_t)len * sizeof *al);
    if (!s || !al) return HFC_ERR_NOMEM;
    memcpy(s, p, plen);
    memcpy(s + plen, n->s, n->len);
    for (uint32_t i = 0; i < plen; i++) al[i] = n->al[0];
    memcpy(al + plen, n->al, (size_t)n->len * sizeof *al);
    n->s = s;
    n->al = al;
    n->len = len;
    return HFC_OK;
}

/* HF NormalizedString::replace: each match's content chars are all aligned like the
 * match's last byte ({0, 0} for an empty match at the start). */
hfc_status tk_norm_replace_spans(tk_ctx *c, tk_norm *n, const tk_spans *sp, const char *content,
                                 uint32_t clen) {
    size_t total = 0, nmatch = 0;
    for (size_t i = 0; i < sp->n; i++) {
        if (sp->v[i].is_match) {
            total += clen;
            nmatch++;
        } else {
            total += sp->v[i].end - sp->v[i].start;
        }
    }
    if (nmatch == 0) return HFC_OK;
    if (total > UINT32_MAX) return hfc_fail(HFC_ERR_OVERFLOW, "normalized text exceeds 4 GiB");
    char *s = tk_alloc(c, total + 1);
    tk_align *al = tk_alloc(c, (total ? total : 1) * sizeof *al);
    if (!s || !al) return HFC_ERR_NOMEM;
    size_t w = 0;
    tk_align origin = {n->orig_start, n->orig_start};
    for (size_t i = 0; i < sp->n; i++) {
        uint32_t a = sp->v[i].start, b = sp->v[i].end;
        if (!sp->v[i].is_match) {
            memcpy(s + w, n->s + a, b - a);
            memcpy(al + w, n->al + a, (size_t)(b - a) * sizeof *al);
            w += b - a;
            continue;
        }
        tk_align x = b >= 1 ? n->al[b - 1] : origin;
        memcpy(s + w, content, clen);
        for (uint32_t k = 0; k < clen; k++) al[w + k] = x;
        w += clen;
    }
    n->s = s;
    n->al = al;
    n->len = (uint32_t)w;
    return HFC_OK;
}

/* Replace of one ASCII byte (" " -> "\u2581" in SentencePiece-style tokenizers): one pass,
 * the same output as matching then tk_norm_replace_spans. */
static hfc_status replace_byte(tk_ctx *c, tk_norm *n, uint8_t b, const char *content, uint32_t clen) {
    const uint8_t *u = (const uint8_t *)n->s;
    size_t hits = 0;
    for (uint32_t i = 0; i < n->len; i++) hits += u[i] == b;
    if (!hits) return HFC_OK;
    size_t total = n->len + hits * clen - hits;
    if (total > UINT32_MAX) return hfc_fail(HFC_ERR_OVERFLOW, "normalized text exceeds 4 GiB");
    char *s = tk_alloc(c, total + 1);
    tk_align *al = tk_alloc(c, (total ? total : 1) * sizeof *al);
    if (!s || !al) return HFC_ERR_NOMEM;
    size_t w = 0;
    for (uint32_t i = 0; i < n->len; i++) {
        if (u[i] != b) {
            s[w] = (char)u[i];
            al[w++] = n->al[i];
            continue;
        }
        for (uint32_t k = 0; k < clen; k++) {
            s[w] = content[k];
            al[w++] = n->al[i];
        }
    }
    n->s = s;
    n->al = al;
    n->len = (uint32_t)w;
    return HFC_OK;
}

static hfc_status replace(const tk_normalizer *nz, tk_ctx *c, tk_norm *n) {
    size_t llen;
    const char *lit = tk_regex_literal(nz->u.replace.re, &llen);
    if (lit && llen == 1 && (uint8_t)lit[0] < 0x80)
        return replace_byte(c, n, (uint8_t)lit[0], nz->u.replace.content, nz->u.replace.content_len);
    tk_spans sp = {0};
    HFC_TRY(tk_regex_find_matches(nz->u.replace.re, c, n->s, n->len, &sp));
    return tk_norm_replace_spans(c, n, &sp, nz->u.replace.content, nz->u.replace.content_len);
}

/* Each byte becomes its GPT-2 alphabet char: the char's first byte replaces it (change 0),
 * the following bytes are inserted (change 1). */
hfc_status tk_norm_byte_level(tk_ctx *c, tk_norm *n) {
    if (n->len == 0) return HFC_OK;
    const uint8_t *s = (const uint8_t *)n->s;
    bool ascii_visible = true;
    for (uint32_t i = 0; i < n->len && ascii_visible; i++)
        ascii_visible = s[i] >= 0x21 && s[i] <= 0x7E;
    if (ascii_visible) return HFC_OK; /* those bytes map to themselves */
    size_t out_len = 0;
    for (uint32_t i = 0; i < n->len; i++) out_len += tk_byte_to_char(s[i]) < 0x80 ? 1 : 2;
    if (out_len > UINT32_MAX) return hfc_fail(HFC_ERR_OVERFLOW, "normalized text exceeds 4 GiB");
    uint8_t *o = tk_alloc(c, out_len + 1);
    tk_align *al = tk_alloc(c, out_len * sizeof *al);
    if (!o || !al) return HFC_ERR_NOMEM;
    size_t w = 0;
    for (uint32_t i = 0; i < n->len;) {
        uint32_t l = (uint32_t)tk_utf8_len(s[i]);
        if (l > n->len - i) l = n->len - i;
        for (uint32_t k = 0; k < l; k++) {
            tk_align a = k == 0 ? n->al[i] : n->al[i + l - 1];
            int bytes = tk_utf8_encode(tk_byte_to_char(s[i + k]), o + w);
            for (int q = 0; q < bytes; q++) al[w + (size_t)q] = a;
            w += (size_t)bytes;
        }
        i += l;
    }
    n->s = (const char *)o;
    n->al = al;
    n->len = (uint32_t)w;
    return HFC_OK;
}

/* ---- BertNormalizer (normalizers/bert.rs) ---- */

static bool bert_keep(uint32_t cp) { return !(cp == 0 || cp == 0xFFFD || tk_is_control(cp)); }
static uint32_t bert_space(uint32_t cp) {
    return cp == '\t' || cp == '\n' || cp == '\r' || tk_is_whitespace(cp) ? ' ' : cp;
}
static bool not_mn(uint32_t cp) { return !tk_is_mark_nonspacing(cp); }
static bool not_mark(uint32_t cp) { return !tk_is_combining_mark(cp); }

/* Spaces around each Chinese char. Deferred (tk_normalizer_defer_chinese), text without
 * compatibility ideographs is left as it is: BertPreTokenizer then isolates the Chinese
 * chars, which splits the text as the spaces would (they are removed there), with the same
 * offsets, and keeps the text's alignments (so the memo applies). The steps after this one
 * neither make nor unmake a Chinese char outside the compatibility block (NFD maps only
 * those into the ranges; lowercasing and removing Mn marks never do) nor look across
 * one (both a space and a Chinese char are starters, uncased, not case-ignorable). */
static hfc_status chinese_chars(tk_ctx *c, tk_norm *n, bool defer) {
    const uint8_t *s = (const uint8_t *)n->s;
    uint32_t i = 0;
    for (; i < n->len;) {
        int l;
        if (s[i] >= 0xE3) {
            uint32_t cp = tk_utf8_decode(s + i, n->len - i, &l);
            if (tk_is_chinese_char(cp) && (!defer || tk_is_cjk_compat(cp))) break;
        }
        i += (uint32_t)tk_utf8_len(s[i]);
    }
    if (i >= n->len) return HFC_OK;
    tk_changes ch; /* chinese chars take 3+ bytes and become 3 chars */
    HFC_TRY(changes_alloc(c, &ch, n->len));
    for (i = 0; i < n->len;) {
        int l;
        uint32_t cp = tk_utf8_decode(s + i, n->len - i, &l);
        i += (uint32_t)l;
        if (tk_is_chinese_char(cp)) {
            changes_put(&ch, ' ', 0);
            changes_put(&ch, cp, 1);
            changes_put(&ch, ' ', 1);
        } else {
            changes_put(&ch, cp, 0);
        }
    }
    return tk_norm_transform(c, n, ch.v, ch.n, 0);
}

/* Text every step leaves char for char: printable ASCII and \t \n \r, and non-ASCII chars
 * no step changes (tk_bert_char; Chinese chars when deferred, and other whitespace when
 * deferred too: BertPreTokenizer removes it whether it became ' ' or not). Then the
 * alignments stay as they are and only ASCII bytes change; else *done is false. */
static hfc_status bert_fast(const tk_normalizer *nz, tk_ctx *c, tk_norm *n, bool *done) {
    const uint8_t *u = (const uint8_t *)n->s;
    const bool clean = nz->u.bert.clean_text, lower = nz->u.bert.lowercase;
    const uint32_t len = n->len;
    *done = false;
    uint8_t *o = tk_alloc(c, (size_t)len + 1);
    if (!o) return HFC_ERR_NOMEM;
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint32_t i = 0;
    for (; i + 8 <= len; i += 8) { /* 8 printable ASCII bytes at a time (SWAR) */
        uint64_t x;
        memcpy(&x, u + i, 8);
        uint64_t ctl = (x - 0x20 * ones) & ~x & high; /* bytes below 0x20 */
        uint64_t del = ((x ^ 0x7F * ones) - ones) & ~(x ^ 0x7F * ones) & high;
        if ((x & high) || ctl || del) break; /* non-ASCII or a control char: bytewise below */
        if (lower) {
            uint64_t gt_z = x + (0x7F - 'Z') * ones, ge_a = x + (0x80 - 'A') * ones;
            x |= ((ge_a ^ gt_z) & high) >> 2; /* 'A'..'Z' get 0x20 */
        }
        memcpy(o + i, &x, 8);
    }
    const bool defer = nz->u.bert.chinese && nz->u.bert.defer_chinese;
    const unsigned need = (clean ? TK_BERT_CLEAN : 0) | (lower ? TK_BERT_LOWER : 0) |
                          (nz->u.bert.strip_accents ? TK_BERT_STRIP : 0);
    for (; i < len; i++) {
        uint8_t b = u[i];
        if (b >= 0x80) {
            int l;
            uint32_t cp = tk_utf8_decode(u + i, len - i, &l);
            if (nz->u.bert.chinese && tk_is_chinese_char(cp) && (!defer || tk_is_cjk_compat(cp)))
                return HFC_OK;
            unsigned f = tk_bert_char(cp);
            if (defer && (f & TK_BERT_SPACE)) f |= TK_BERT_CLEAN;
            if ((f & need) != need) return HFC_OK;
            memcpy(o + i, u + i, (size_t)l);
            i += (uint32_t)l - 1;
            continue;
        }
        if (clean && ((b < 0x20 && b != '\t' && b != '\n' && b != '\r') || b == 0x7F)) return HFC_OK;
        if (clean && (b == '\t' || b == '\n' || b == '\r')) b = ' ';
        if (lower && b >= 'A' && b <= 'Z') b = (uint8_t)(b + 32);
        o[i] = b;
    }
    n->s = (const char *)o;
    *done = true;
    return HFC_OK;
}

static hfc_status bert(const tk_normalizer *nz, tk_ctx *c, tk_norm *n) {
    bool done;
    HFC_TRY(bert_fast(nz, c, n, &done));
    if (done) return HFC_OK;
    if (nz->u.bert.clean_text) {
        HFC_TRY(filter_chars(c, n, bert_keep));
        HFC_TRY(map_chars(c, n, bert_space));
    }
    if (nz->u.bert.chinese) HFC_TRY(chinese_chars(c, n, nz->u.bert.defer_chinese));
    if (nz->u.bert.strip_accents) {
        HFC_TRY(unicode_form(c, n, TK_NFD));
        HFC_TRY(filter_chars(c, n, not_mn));
    }
    if (nz->u.bert.lowercase) HFC_TRY(lowercase(c, n));
    return HFC_OK;
}

/* ---- Nmt (normalizers/unicode.rs) ---- */

static bool nmt_keep(uint32_t cp) {
    return !((cp >= 0x1 && cp <= 0x8) || cp == 0xB || (cp >= 0xE && cp <= 0x1F) || cp == 0x7F ||
             cp == 0x8F || cp == 0x9F);
}
static uint32_t nmt_map(uint32_t cp) {
    switch (cp) {
    case 0x9: case 0xA: case 0xC: case 0xD: case 0x1680: case 0x200B: case 0x200C:
    case 0x200D: case 0x200E: case 0x200F: case 0x2028: case 0x2029: case 0x2581:
    case 0xFEFF: case 0xFFFD:
        return ' ';
    default:
        return cp;
    }
}

/* ------------------------------------------------------------------ apply */

hfc_status tk_normalizer_apply(const tk_normalizer *nz, tk_ctx *c, tk_norm *n) {
    switch (nz->kind) {
    case NZ_BERT: return bert(nz, c, n);
    case NZ_STRIP:
        strip(n, nz->u.strip.left, nz->u.strip.right);
        return HFC_OK;
    case NZ_STRIP_ACCENTS: return filter_chars(c, n, not_mark);
    case NZ_NFC: return unicode_form(c, n, TK_NFC);
    case NZ_NFD: return unicode_form(c, n, TK_NFD);
    case NZ_NFKC: return unicode_form(c, n, TK_NFKC);
    case NZ_NFKD: return unicode_form(c, n, TK_NFKD);
    case NZ_SEQUENCE:
        for (size_t i = 0; i < nz->u.seq.n; i++)
            HFC_TRY(tk_normalizer_apply(nz->u.seq.items[i], c, n));
        return HFC_OK;
    case NZ_LOWERCASE: return lowercase(c, n);
    case NZ_NMT:
        HFC_TRY(filter_chars(c, n, nmt_keep));
        return map_chars(c, n, nmt_map);
    case NZ_REPLACE: return replace(nz, c, n);
    case NZ_PREPEND: return tk_norm_prepend(c, n, nz->u.prepend.s, nz->u.prepend.len);
    case NZ_BYTE_LEVEL: return tk_norm_byte_level(c, n);
    }
    return hfc_fail(HFC_ERR_STATE, "corrupt normalizer");
}

/* ------------------------------------------------------------------ lifecycle */

void tk_normalizer_free(tk_normalizer *nz) {
    if (!nz) return;
    switch (nz->kind) {
    case NZ_SEQUENCE:
        for (size_t i = 0; i < nz->u.seq.n; i++) tk_normalizer_free(nz->u.seq.items[i]);
        hfc_free(nz->u.seq.items);
        break;
    case NZ_REPLACE:
        if (nz->u.replace.re) tk_regex_free(nz->u.replace.re);
        hfc_free(nz->u.replace.content);
        break;
    case NZ_PREPEND: hfc_free(nz->u.prepend.s); break;
    default: break;
    }
    hfc_free(nz);
}

static const struct { const char *name; nz_kind kind; } NZ_TYPES[] = {
    {"BertNormalizer", NZ_BERT}, {"Bert", NZ_BERT}, {"Strip", NZ_STRIP},
    {"StripAccents", NZ_STRIP_ACCENTS}, {"NFC", NZ_NFC}, {"NFD", NZ_NFD}, {"NFKC", NZ_NFKC},
    {"NFKD", NZ_NFKD}, {"Sequence", NZ_SEQUENCE}, {"Lowercase", NZ_LOWERCASE},
    {"Nmt", NZ_NMT}, {"Replace", NZ_REPLACE}, {"Prepend", NZ_PREPEND},
    {"ByteLevel", NZ_BYTE_LEVEL},
};

static hfc_status parse(const hfc_json_doc *doc, const hfc_json_value *v, const char *path,
                        tk_normalizer *nz) {
    const hfc_json_value *t = hfc_json_getz(v, "type");
    char p[512];
    if (!t) {
        /* HF's untagged legacy form: only BertNormalizer's fields identify it. */
        if (hfc_json_getz(v, "clean_text") && hfc_json_getz(v, "lowercase")) {
            nz->kind = NZ_BERT;
        } else {
            return hfc_json_fail_at(doc, v, path, "normalizer has no \"type\"");
        }
    } else {
        if (t->type != HFC_JSON_STRING) {
            tk_json_subpath(p, sizeof p, path, "type", 0);
            return hfc_json_fail_at(doc, t, p, "expected a string, got %s",
                                    hfc_json_type_name((hfc_json_type)t->type));
        }
        if (hfc_json_str_eq(t, "Precompiled", 11)) {
            tk_json_subpath(p, sizeof p, path, "type", 0);
            hfc_json_fail_at(doc, t, p, "Precompiled normalizer (SentencePiece) is not "
                                        "supported yet");
            return HFC_ERR_UNSUPPORTED; /* the message is set; only the code differs */
        }
        size_t k = 0;
        for (; k < sizeof NZ_TYPES / sizeof *NZ_TYPES; k++)
            if (hfc_json_str_eq(t, NZ_TYPES[k].name, strlen(NZ_TYPES[k].name))) break;
        if (k == sizeof NZ_TYPES / sizeof *NZ_TYPES) {
            tk_json_subpath(p, sizeof p, path, "type", 0);
            return hfc_json_fail_at(doc, t, p, "unknown normalizer type \"%.*s\"",
                                    (int)(t->len > 64 ? 64 : t->len), t->u.s);
        }
        nz->kind = NZ_TYPES[k].kind;
    }
    switch (nz->kind) {
    case NZ_BERT: {
        bool lc, sa;
        HFC_TRY(tk_json_get_bool(doc, v, path, "clean_text", -1, &nz->u.bert.clean_text));
        HFC_TRY(tk_json_get_bool(doc, v, path, "handle_chinese_chars", -1, &nz->u.bert.chinese));
        HFC_TRY(tk_json_get_bool(doc, v, path, "lowercase", -1, &lc));
        const hfc_json_value *s = hfc_json_getz(v, "strip_accents");
        if (!s || s->type == HFC_JSON_NULL) sa = lc; /* None: follow lowercase */
        else HFC_TRY(tk_json_get_bool(doc, v, path, "strip_accents", -1, &sa));
        nz->u.bert.lowercase = lc;
        nz->u.bert.strip_accents = sa;
        return HFC_OK;
    }
    case NZ_STRIP:
        HFC_TRY(tk_json_get_bool(doc, v, path, "strip_left", -1, &nz->u.strip.left));
        return tk_json_get_bool(doc, v, path, "strip_right", -1, &nz->u.strip.right);
    case NZ_REPLACE: {
        const hfc_json_value *content;
        HFC_TRY(tk_json_get_str(doc, v, path, "content", &content));
        nz->u.replace.content = hfc_strndup(content->u.s, content->len);
        if (!nz->u.replace.content) return hfc_fail(HFC_ERR_NOMEM, "out of memory");
        nz->u.replace.content_len = content->len;
        return tk_json_get_pattern(doc, v, path, "pattern", &nz->u.replace.re);
    }
    case NZ_PREPEND: {
        const hfc_json_value *s;
        HFC_TRY(tk_json_get_str(doc, v, path, "prepend", &s));
        nz->u.prepend.s = hfc_strndup(s->u.s, s->len);
        if (!nz->u.prepend.s) return hfc_fail(HFC_ERR_NOMEM, "out of memory");
        nz->u.prepend.len = s->len;
        return HFC_OK;
    }
    case NZ_SEQUENCE: {
        const hfc_json_value *a = hfc_json_getz(v, "normalizers");
        if (!a) return missing(doc, v, path, "normalizers");
        tk_json_subpath(p, sizeof p, path, "normalizers", 0);
        if (a->type != HFC_JSON_ARRAY)
            return hfc_json_fail_at(doc, a, p, "expected an array, got %s",
                                    hfc_json_type_name((hfc_json_type)a->type));
        nz->u.seq.items = hfc_calloc(a->len ? a->len : 1, sizeof *nz->u.seq.items);
        if (!nz->u.seq.items) return hfc_fail(HFC_ERR_NOMEM, "out of memory");
        for (uint32_t i = 0; i < a->len; i++) {
            char ip[512];
            tk_json_subpath(ip, sizeof ip, p, NULL, (long)i);
            HFC_TRY(tk_normalizer_from_json(doc, &a->u.items[i], ip, &nz->u.seq.items[i]));
            nz->u.seq.n = i + 1;
        }
        return HFC_OK;
    }
    default:
        return HFC_OK;
    }
}

hfc_status tk_normalizer_from_json(const hfc_json_doc *doc, const hfc_json_value *v,
                                   const char *path, tk_normalizer **out) {
    *out = NULL;
    if (!v || v->type != HFC_JSON_OBJECT)
        return hfc_json_fail_at(doc, v, path, "expected a normalizer object, got %s",
                                v ? hfc_json_type_name((hfc_json_type)v->type) : "nothing");
    tk_normalizer *nz = hfc_calloc(1, sizeof *nz);
    if (!nz) return hfc_fail(HFC_ERR_NOMEM, "out of memory");
    nz->kind = NZ_NFC;
    hfc_status st = parse(doc, v, path, nz);
    if (st != HFC_OK) {
        tk_normalizer_free(nz);
        return st;
    }
    *out = nz;
    return HFC_OK;
}

/* Normalizers under which text can be cut before a non-space character that follows a
 * newline without changing the result: none, NFC (a newline is a starter nothing composes
 * with), and sequences of those. The tokenizer uses this to encode long documents in
 * chunks. */
bool tk_normalizer_spaces_chinese(const tk_normalizer *nz) {
    return nz && nz->kind == NZ_BERT && nz->u.bert.chinese;
}

void tk_normalizer_defer_chinese(tk_normalizer *nz, bool defer) {
    if (tk_normalizer_spaces_chinese(nz)) nz->u.bert.defer_chinese = defer;
}

bool tk_normalizer_newline_local(const tk_normalizer *nz) {
    if (!nz) return true;
    if (nz->kind == NZ_NFC) return true;
    if (nz->kind != NZ_SEQUENCE) return false;
    for (size_t i = 0; i < nz->u.seq.n; i++)
        if (!tk_normalizer_newline_local(nz->u.seq.items[i])) return false;
    return true;
}
