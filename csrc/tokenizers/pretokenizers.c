/* Pre-tokenizers: HF tokenizers' pre_tokenizers/ (byte_level.rs, split.rs, ...) on a tk_pretok.
 *
 * Each one splits every untokenized split of the tk_pretok the way HF's
 * PreTokenizedString::split does: the split function turns one piece into sub-pieces
 * (slices of it, possibly after rewriting it), empty sub-pieces are dropped, and splits
 * that already carry tokens (added tokens) pass through untouched.
 *
 * Character-predicate patterns (HF's `impl Pattern for Fn(char) -> bool`) make every
 * matching char its own match; the maximal runs between them are the non-matches.
 */
#include "tk.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef enum pt_kind {
    PT_BERT,
    PT_BYTE_LEVEL,
    PT_DELIMITER,
    PT_METASPACE,
    PT_WHITESPACE,
    PT_SEQUENCE,
    PT_SPLIT,
    PT_PUNCTUATION,
    PT_WHITESPACE_SPLIT,
    PT_DIGITS,
    PT_UNICODE_SCRIPTS,
    PT_FIXED_LENGTH,
} pt_kind;

typedef enum ms_scheme { MS_ALWAYS, MS_FIRST, MS_NEVER } ms_scheme;

struct tk_pretokenizer {
    pt_kind kind;
    union {
        struct { bool add_prefix_space, trim_offsets, use_regex; tk_regex *re; } bl;
        struct { uint32_t delim; } delim;
        struct { bool chinese; } bert; /* also isolate Chinese chars (tk_pretokenizer_isolate_chinese) */
        struct { uint32_t repl; char rep[4]; uint32_t rep_len; ms_scheme scheme; bool split; } ms;
        struct { tk_regex *re; tk_split_behavior behavior; bool invert; } split;
        struct { tk_split_behavior behavior; } punct;
        struct { bool individual; } digits;
        struct { uint32_t length; } fixed;
        struct { tk_pretokenizer **items; size_t n; } seq;
    } u;
};

/* The GPT-2 pattern of pre_tokenizers/byte_level.rs. */
static const char GPT2_PATTERN[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/* ------------------------------------------------------------------ split plumbing */

static hfc_status push_piece(tk_ctx *c, tk_pretok *out, const tk_norm *n, uint32_t a,
                             uint32_t b) {
    if (a >= b) return HFC_OK; /* HF drops empty splits */
    tk_norm s;
    tk_norm_slice(n, a, b, &s);
    return tk_pretok_push(c, out, &s);
}

static hfc_status push_kept(tk_ctx *c, tk_pretok *out, const tk_norm *n, const tk_spans *kept) {
    for (size_t i = 0; i < kept->n; i++)
        HFC_TRY(push_piece(c, out, n, kept->v[i].start, kept->v[i].end));
    return HFC_OK;
}

/* HF `impl Pattern for F: Fn(char) -> bool` (find_matches), with an extra argument. */
typedef bool (*cp_pred)(uint32_t cp, const void *arg);

static hfc_status pred_matches(tk_ctx *c, const tk_norm *n, cp_pred pred, const void *arg,
                               tk_spans *out) {
    out->n = 0;
    if (n->len == 0) return tk_spans_push(c, out, 0, 0, false);
    const uint8_t *s = (const uint8_t *)n->s;
    uint32_t last = 0;
    for (uint32_t i = 0; i < n->len;) {
        int l;
        uint32_t cp = tk_utf8_decode(s + i, n->len - i, &l);
        if (pred(cp, arg)) {
            if (last < i) HFC_TRY(tk_spans_push(c, out, last, i, false));
            HFC_TRY(tk_spans_push(c, out, i, i + (uint32_t)l, true));
            last = i + (uint32_t)l;
        }
        i += (uint32_t)l;
    }
    if (last < n->len) HFC_TRY(tk_spans_push(c, out, last, n->len, false));
    return HFC_OK;
}

static hfc_status split_by_pred(tk_ctx *c, tk_pretok *out, const tk_norm *n, cp_pred pred,
                                const void *arg, tk_split_behavior b) {
    tk_spans m = {0}, kept = {0};
    HFC_TRY(pred_matches(c, n, pred, arg, &m));
    HFC_TRY(tk_spans_apply_behavior(c, &m, b, &kept));
    return push_kept(c, out, n, &kept);
}

static bool pred_whitespace(uint32_t cp, const void *arg) {
    (void)arg;
    return tk_is_whitespace(cp);
}
static bool pred_punct(uint32_t cp, const void *arg) {
    (void)arg;
    return tk_is_ascii_punctuation(cp) || tk_is_punctuation(cp);
}
static bool pred_numeric(uint32_t cp, const void *arg) {
    (void)arg;
    return tk_is_numeric(cp);
}
static bool pred_equal(uint32_t cp, const void *arg) { return cp == *(const uint32_t *)arg; }

/* ------------------------------------------------------------------ the pre-tokenizers */

/* Whitespace: `\w+|[^\w\s]+` (regex crate) kept, the rest removed: maximal runs of word
 * chars and of chars that are neither word nor space. */
static hfc_status whitespace(tk_ctx *c, tk_pretok *out, const tk_norm *n) {
    const uint8_t *s = (const uint8_t *)n->s;
    uint32_t start = 0;
    int cur = 0; /* class of the open run: 0 none, 1 word, 2 other */
    for (uint32_t i = 0; i < n->len;) {
        int l;
        uint32_t cp = tk_utf8_decode(s + i, n->len - i, &l);
        int k = tk_is_word_char(cp) ? 1 : tk_is_whitespace(cp) ? 0 : 2;
        if (k != cur) {
            if (cur) HFC_TRY(push_piece(c, out, n, start, i));
            start = i;
            cur = k;
        }
        i += (uint32_t)l;
    }
    if (cur) HFC_TRY(push_piece(c, out, n, start, n->len));
    return HFC_OK;
}

/* BertPreTokenizer's classes of the ASCII chars (0 other, 1 whitespace, 2 punctuation),
 * from the same predicates, filled once. */
static uint8_t bert_ascii[128];
static pthread_once_t bert_ascii_once = PTHREAD_ONCE_INIT;
static void bert_ascii_init(void) {
    for (uint32_t cp = 0; cp < 128; cp++)
        bert_ascii[cp] = tk_is_whitespace(cp) ? 1 : pred_punct(cp, NULL) ? 2 : 0;
}

/* BertPreTokenizer: split on whitespace (removed), then isolate punctuation. */
/* BertPreTokenizer's pieces of n as byte ranges (is_match unused); with `chinese`, Chinese
 * chars are isolated too (the spaces a deferring BertNormalizer did not insert). */
static hfc_status bert_spans(tk_ctx *c, const tk_norm *n, bool chinese, tk_spans *out) {
    pthread_once(&bert_ascii_once, bert_ascii_init);
    const uint8_t *s = (const uint8_t *)n->s;
    uint32_t start = 0;
    bool open = false;
    for (uint32_t i = 0; i < n->len;) {
        if (s[i] < 0x80 && bert_ascii[s[i]] == 0) { /* the common case: inside a word */
            if (!open) {
                open = true;
                start = i;
            }
            i++;
            continue;
        }
        int l;
        uint32_t cp = tk_utf8_decode(s + i, n->len - i, &l);
        if (cp < 0x80 ? bert_ascii[cp] != 0
                      : (tk_is_whitespace(cp) || pred_punct(cp, NULL) ||
                         (chinese && tk_is_chinese_char(cp)))) {
            if (open) HFC_TRY(tk_spans_push(c, out, start, i, false));
            open = false;
            if (cp < 0x80 ? bert_ascii[cp] == 2 : !tk_is_whitespace(cp))
                HFC_TRY(tk_spans_push(c, out, i, i + (uint32_t)l, false));
        } else if (!open) {
            open = true;
            start = i;
        }
        i += (uint32_t)l;
    }
    if (open) HFC_TRY(tk_spans_push(c, out, start, n->len, false));
    return HFC_OK;
}

static hfc_status bert(const tk_pretokenizer *p, tk_ctx *c, tk_pretok *out, const tk_norm *n) {
    tk_spans sp = {0};
    HFC_TRY(bert_spans(c, n, p->u.bert.chinese, &sp));
    return push_kept(c, out, n, &sp);
}

static hfc_status byte_level_split(const tk_pretokenizer *p, tk_ctx *c, tk_pretok *out,
                                   tk_norm *n) {
    if (p->u.bl.add_prefix_space && !(n->len && n->s[0] == ' '))
        HFC_TRY(tk_norm_prepend(c, n, " ", 1));
    if (!p->u.bl.use_regex) return n->len ? tk_pretok_push(c, out, n) : HFC_OK; /* as is */
    tk_spans m = {0};
    HFC_TRY(tk_regex_find_matches(p->u.bl.re, c, n->s, n->len, &m));
    for (size_t i = 0; i < m.n; i++) HFC_TRY(push_piece(c, out, n, m.v[i].start, m.v[i].end));
    return HFC_OK;
}

static bool starts_with_cp(const tk_norm *n, uint32_t cp) {
    int l;
    return n->len && tk_utf8_decode((const uint8_t *)n->s, n->len, &l) == cp;
}

static hfc_status metaspace(const tk_pretokenizer *p, tk_ctx *c, tk_pretok *out, tk_norm *n) {
    static const uint32_t space = ' ';
    tk_spans m = {0};
    HFC_TRY(pred_matches(c, n, pred_equal, &space, &m));
    HFC_TRY(tk_norm_replace_spans(c, n, &m, p->u.ms.rep, p->u.ms.rep_len));
    bool pre = false;
    if (p->u.ms.scheme == MS_ALWAYS) pre = !starts_with_cp(n, p->u.ms.repl);
    else if (p->u.ms.scheme == MS_FIRST)
        pre = !starts_with_cp(n, p->u.ms.repl) && n->orig_start == 0;
    if (pre) HFC_TRY(tk_norm_prepend(c, n, p->u.ms.rep, p->u.ms.rep_len));
    if (!p->u.ms.split) return n->len ? tk_pretok_push(c, out, n) : HFC_OK; /* as is */
    return split_by_pred(c, out, n, pred_equal, &p->u.ms.repl, TK_SPLIT_MERGED_WITH_NEXT);
}

static hfc_status split_regex(const tk_pretokenizer *p, tk_ctx *c, tk_pretok *out,
                              const tk_norm *n) {
    tk_spans m = {0}, kept = {0};
    HFC_TRY(tk_regex_find_matches(p->u.split.re, c, n->s, n->len, &m));
    if (p->u.split.invert)
        for (size_t i = 0; i < m.n; i++) m.v[i].is_match = !m.v[i].is_match;
    HFC_TRY(tk_spans_apply_behavior(c, &m, p->u.split.behavior, &kept));
    return push_kept(c, out, n, &kept);
}

/* UnicodeScripts: a new piece starts at every non-Any char whose script differs from the
 * previous non-Any char's (the first non-Any char included, so leading Any chars are
 * dropped, and a piece of Any chars only vanishes), as pre_tokenizer.rs does. */
static hfc_status unicode_scripts(tk_ctx *c, tk_pretok *out, const tk_norm *n) {
    const uint8_t *s = (const uint8_t *)n->s;
    int last = -1;
    bool have = false;
    uint32_t start = 0;
    for (uint32_t i = 0; i < n->len;) {
        int l;
        uint32_t cp = tk_utf8_decode(s + i, n->len - i, &l);
        int k = tk_script_class(cp); /* fixed_script(): kana and U+30FC are Han, ' ' Any */
        if (k != 0 && k != last) {
            if (have) HFC_TRY(push_piece(c, out, n, start, i));
            have = true;
            start = i;
        }
        if (k != 0) last = k;
        i += (uint32_t)l;
    }
    if (have) HFC_TRY(push_piece(c, out, n, start, n->len));
    return HFC_OK;
}

static hfc_status fixed_length(const tk_pretokenizer *p, tk_ctx *c, tk_pretok *out,
                               const tk_norm *n) {
    if (n->len == 0) return HFC_OK;
    if (p->u.fixed.length == 0)
        return hfc_fail(HFC_ERR_INVALID, "FixedLength pre-tokenizer: length must be non-zero");
    uint32_t start = 0, count = 0;
    for (uint32_t i = 0; i < n->len;) {
        i += (uint32_t)tk_utf8_len((uint8_t)n->s[i]);
        if (i > n->len) i = n->len;
        if (++count == p->u.fixed.length) {
            HFC_TRY(push_piece(c, out, n, start, i));
            start = i;
            count = 0;
        }
    }
    return push_piece(c, out, n, start, n->len);
}

/* One split function over one untokenized piece (which it may rewrite). */
static hfc_status split_one(const tk_pretokenizer *p, tk_ctx *c, tk_pretok *out, tk_norm *n) {
    switch (p->kind) {
    case PT_BERT: return bert(p, c, out, n);
    case PT_BYTE_LEVEL: return byte_level_split(p, c, out, n);
    case PT_DELIMITER:
        return split_by_pred(c, out, n, pred_equal, &p->u.delim.delim, TK_SPLIT_REMOVED);
    case PT_METASPACE: return metaspace(p, c, out, n);
    case PT_WHITESPACE: return whitespace(c, out, n);
    case PT_SPLIT: return split_regex(p, c, out, n);
    case PT_PUNCTUATION: return split_by_pred(c, out, n, pred_punct, NULL, p->u.punct.behavior);
    case PT_WHITESPACE_SPLIT:
        return split_by_pred(c, out, n, pred_whitespace, NULL, TK_SPLIT_REMOVED);
    case PT_DIGITS:
        return split_by_pred(c, out, n, pred_numeric, NULL,
                             p->u.digits.individual ? TK_SPLIT_ISOLATED : TK_SPLIT_CONTIGUOUS);
    case PT_UNICODE_SCRIPTS: return unicode_scripts(c, out, n);
    case PT_FIXED_LENGTH: return fixed_length(p, c, out, n);
    case PT_SEQUENCE: break;
    }
    return hfc_fail(HFC_ERR_STATE, "corrupt pre-tokenizer");
}

/* tk_norm_byte_level, table-driven (the same output and alignments): each byte becomes
 * its GPT-2 alphabet char (1 or 2 UTF-8 bytes, from a 256-entry table); all
 * output bytes of the char's first byte align like it, those of later bytes like the
 * char's last byte. Output bytes and alignments share one arena block. */
typedef struct bl_code {
    uint8_t len, b0, b1;
} bl_code;
/* UTF-8 of tk_byte_to_char(b) (HF bytes_char(), byte_level.rs), generated; len, b0, b1 */
static const bl_code bl_table[256] = {
    {2, 0xC4, 0x80}, {2, 0xC4, 0x81}, {2, 0xC4, 0x82}, {2, 0xC4, 0x83}, {2, 0xC4, 0x84}, {2, 0xC4, 0x85},
    {2, 0xC4, 0x86}, {2, 0xC4, 0x87}, {2, 0xC4, 0x88}, {2, 0xC4, 0x89}, {2, 0xC4, 0x8A}, {2, 0xC4, 0x8B},
    {2, 0xC4, 0x8C}, {2, 0xC4, 0x8D}, {2, 0xC4, 0x8E}, {2, 0xC4, 0x8F}, {2, 0xC4, 0x90}, {2, 0xC4, 0x91},
    {2, 0xC4, 0x92}, {2, 0xC4, 0x93}, {2, 0xC4, 0x94}, {2, 0xC4, 0x95}, {2, 0xC4, 0x96}, {2, 0xC4, 0x97},
    {2, 0xC4, 0x98}, {2, 0xC4, 0x99}, {2, 0xC4, 0x9A}, {2, 0xC4, 0x9B}, {2, 0xC4, 0x9C}, {2, 0xC4, 0x9D},
    {2, 0xC4, 0x9E}, {2, 0xC4, 0x9F}, {2, 0xC4, 0xA0}, {1, 0x21, 0x00}, {1, 0x22, 0x00}, {1, 0x23, 0x00},
    {1, 0x24, 0x00}, {1, 0x25, 0x00}, {1, 0x26, 0x00}, {1, 0x27, 0x00}, {1, 0x28, 0x00}, {1, 0x29, 0x00},
    {1, 0x2A, 0x00}, {1, 0x2B, 0x00}, {1, 0x2C, 0x00}, {1, 0x2D, 0x00}, {1, 0x2E, 0x00}, {1, 0x2F, 0x00},
    {1, 0x30, 0x00}, {1, 0x31, 0x00}, {1, 0x32, 0x00}, {1, 0x33, 0x00}, {1, 0x34, 0x00}, {1, 0x35, 0x00},
    {1, 0x36, 0x00}, {1, 0x37, 0x00}, {1, 0x38, 0x00}, {1, 0x39, 0x00}, {1, 0x3A, 0x00}, {1, 0x3B, 0x00},
    {1, 0x3C, 0x00}, {1, 0x3D, 0x00}, {1, 0x3E, 0x00}, {1, 0x3F, 0x00}, {1, 0x40, 0x00}, {1, 0x41, 0x00},
    {1, 0x42, 0x00}, {1, 0x43, 0x00}, {1, 0x44, 0x00}, {1, 0x45, 0x00}, {1, 0x46, 0x00}, {1, 0x47, 0x00},
    {1, 0x48, 0x00}, {1, 0x49, 0x00}, {1, 0x4A, 0x00}, {1, 0x4B, 0x00}, {1, 0x4C, 0x00}, {1, 0x4D, 0x00},
    {1, 0x4E, 0x00}, {1, 0x4F, 0x00}, {1, 0x50, 0x00}, {1, 0x51, 0x00}, {1, 0x52, 0x00}, {1, 0x53, 0x00},
    {1, 0x54, 0x00}, {1, 0x55, 0x00}, {1, 0x56, 0x00}, {1, 0x57, 0x00}, {1, 0x58, 0x00}, {1, 0x59, 0x00},
    {1, 0x5A, 0x00}, {1, 0x5B, 0x00}, {1, 0x5C, 0x00}, {1, 0x5D, 0x00}, {1, 0x5E, 0x00}, {1, 0x5F, 0x00},
    {1, 0x60, 0x00}, {1, 0x61, 0x00}, {1, 0x62, 0x00}, {1, 0x63, 0x00}, {1, 0x64, 0x00}, {1, 0x65, 0x00},
    {1, 0x66, 0x00}, {1, 0x67, 0x00}, {1, 0x68, 0x00}, {1, 0x69, 0x00}, {1, 0x6A, 0x00}, {1, 0x6B, 0x00},
    {1, 0x6C, 0x00}, {1, 0x6D, 0x00}, {1, 0x6E, 0x00}, {1, 0x6F, 0x00}, {1, 0x70, 0x00}, {1, 0x71, 0x00},
    {1, 0x72, 0x00}, {1, 0x73, 0x00}, {1, 0x74, 0x00}, {1, 0x75, 0x00}, {1, 0x76, 0x00}, {1, 0x77, 0x00},
    {1, 0x78, 0x00}, {1, 0x79, 0x00}, {1, 0x7A, 0x00}, {1, 0x7B, 0x00}, {1, 0x7C, 0x00}, {1, 0x7D, 0x00},
    {1, 0x7E, 0x00}, {2, 0xC4, 0xA1}, {2, 0xC4, 0xA2}, {2, 0xC4, 0xA3}, {2, 0xC4, 0xA4}, {2, 0xC4, 0xA5},
    {2, 0xC4, 0xA6}, {2, 0xC4, 0xA7}, {2, 0xC4, 0xA8}, {2, 0xC4, 0xA9}, {2, 0xC4, 0xAA}, {2, 0xC4, 0xAB},
    {2, 0xC4, 0xAC}, {2, 0xC4, 0xAD}, {2, 0xC4, 0xAE}, {2, 0xC4, 0xAF}, {2, 0xC4, 0xB0}, {2, 0xC4, 0xB1},
    {2, 0xC4, 0xB2}, {2, 0xC4, 0xB3}, {2, 0xC4, 0xB4}, {2, 0xC4, 0xB5}, {2, 0xC4, 0xB6}, {2, 0xC4, 0xB7},
    {2, 0xC4, 0xB8}, {2, 0xC4, 0xB9}, {2, 0xC4, 0xBA}, {2, 0xC4, 0xBB}, {2, 0xC4, 0xBC}, {2, 0xC4, 0xBD},
    {2, 0xC4, 0xBE}, {2, 0xC4, 0xBF}, {2, 0xC5, 0x80}, {2, 0xC5, 0x81}, {2, 0xC5, 0x82}, {2, 0xC2, 0xA1},
    {2, 0xC2, 0xA2}, {2, 0xC2, 0xA3}, {2, 0xC2, 0xA4}, {2, 0xC2, 0xA5}, {2, 0xC2, 0xA6}, {2, 0xC2, 0xA7},
    {2, 0xC2, 0xA8}, {2, 0xC2, 0xA9}, {2, 0xC2, 0xAA}, {2, 0xC2, 0xAB}, {2, 0xC2, 0xAC}, {2, 0xC5, 0x83},
    {2, 0xC2, 0xAE}, {2, 0xC2, 0xAF}, {2, 0xC2, 0xB0}, {2, 0xC2, 0xB1}, {2, 0xC2, 0xB2}, {2, 0xC2, 0xB3},
    {2, 0xC2, 0xB4}, {2, 0xC2, 0xB5}, {2, 0xC2, 0xB6}, {2, 0xC2, 0xB7}, {2, 0xC2, 0xB8}, {2, 0xC2, 0xB9},
    {2, 0xC2, 0xBA}, {2, 0xC2, 0xBB}, {2, 0xC2, 0xBC}, {2, 0xC2, 0xBD}, {2, 0xC2, 0xBE}, {2, 0xC2, 0xBF},
    {2, 0xC3, 0x80}, {2, 0xC3, 0x81}, {2, 0xC3, 0x82}, {2, 0xC3, 0x83}, {2, 0xC3, 0x84}, {2, 0xC3, 0x85},
    {2, 0xC3, 0x86}, {2, 0xC3, 0x87}, {2, 0xC3, 0x88}, {2, 0xC3, 0x89}, {2, 0xC3, 0x8A}, {2, 0xC3, 0x8B},
    {2, 0xC3, 0x8C}, {2, 0xC3, 0x8D}, {2, 0xC3, 0x8E}, {2, 0xC3, 0x8F}, {2, 0xC3, 0x90}, {2, 0xC3, 0x91},
    {2, 0xC3, 0x92}, {2, 0xC3, 0x93}, {2, 0xC3, 0x94}, {2, 0xC3, 0x95}, {2, 0xC3, 0x96}, {2, 0xC3, 0x97},
    {2, 0xC3, 0x98}, {2, 0xC3, 0x99}, {2, 0xC3, 0x9A}, {2, 0xC3, 0x9B}, {2, 0xC3, 0x9C}, {2, 0xC3, 0x9D},
    {2, 0xC3, 0x9E}, {2, 0xC3, 0x9F}, {2, 0xC3, 0xA0}, {2, 0xC3, 0xA1}, {2, 0xC3, 0xA2}, {2, 0xC3, 0xA3},
    {2, 0xC3, 0xA4}, {2, 0xC3, 0xA5}, {2, 0xC3, 0xA6}, {2, 0xC3, 0xA7}, {2, 0xC3, 0xA8}, {2, 0xC3, 0xA9},
    {2, 0xC3, 0xAA}, {2, 0xC3, 0xAB}, {2, 0xC3, 0xAC}, {2, 0xC3, 0xAD}, {2, 0xC3, 0xAE}, {2, 0xC3, 0xAF},
    {2, 0xC3, 0xB0}, {2, 0xC3, 0xB1}, {2, 0xC3, 0xB2}, {2, 0xC3, 0xB3}, {2, 0xC3, 0xB4}, {2, 0xC3, 0xB5},
    {2, 0xC3, 0xB6}, {2, 0xC3, 0xB7}, {2, 0xC3, 0xB8}, {2, 0xC3, 0xB9}, {2, 0xC3, 0xBA}, {2, 0xC3, 0xBB},
    {2, 0xC3, 0xBC}, {2, 0xC3, 0xBD}, {2, 0xC3, 0xBE}, {2, 0xC3, 0xBF},
};

static hfc_status byte_level_piece(tk_ctx *c, tk_norm *n) {
    uint32_t len = n->len;
    if (len == 0) return HFC_OK;
    const uint8_t *s = (const uint8_t *)n->s;
    size_t out_len = 0;
    for (uint32_t i = 0; i < len; i++) out_len += bl_table[s[i]].len;
    if (out_len == len) { /* all ASCII: unchanged unless some byte maps elsewhere */
        uint32_t i = 0;
        while (i < len && bl_table[s[i]].b0 == s[i]) i++;
        if (i == len) return HFC_OK;
    }
    if (out_len > UINT32_MAX) return hfc_fail(HFC_ERR_OVERFLOW, "normalized text exceeds 4 GiB");
    tk_align *al = tk_alloc(c, out_len * (sizeof *al + 1) + 1);
    if (!al) return HFC_ERR_NOMEM;
    uint8_t *o = (uint8_t *)(al + out_len);
    const tk_align *ia = n->al;
    size_t w = 0;
    for (uint32_t i = 0; i < len;) {
        uint8_t b = s[i];
        if (b < 0x80) { /* a one-byte char */
            bl_code e = bl_table[b];
            o[w] = e.b0;
            o[w + 1] = e.b1; /* harmless when e.len == 1: overwritten or past the end */
            al[w] = ia[i];
            if (e.len > 1) al[w + 1] = ia[i];
            w += e.len;
            i++;
            continue;
        }
        uint32_t l = (uint32_t)tk_utf8_len(b);
        if (l > len - i) l = len - i;
        tk_align first = ia[i], last = ia[i + l - 1];
        for (uint32_t k = 0; k < l; k++) {
            bl_code e = bl_table[s[i + k]];
            tk_align a = k == 0 ? first : last;
            o[w] = e.b0;
            o[w + 1] = e.b1;
            al[w] = a;
            if (e.len > 1) al[w + 1] = a;
            w += e.len;
        }
        i += l;
    }
    n->s = (const char *)o;
    n->al = al;
    n->len = (uint32_t)w;
    return HFC_OK;
}

/* The byte-to-char mapping of every untokenized split, in place (dropping empty ones, as a
 * split would). */
static hfc_status byte_level_in_place(tk_ctx *c, tk_pretok *pt) {
    size_t w = 0;
    for (size_t i = 0; i < pt->n; i++) {
        if (!pt->v[i].tokenized && pt->v[i].norm.len == 0) continue;
        pt->v[w] = pt->v[i];
        if (!pt->v[w].tokenized) HFC_TRY(byte_level_piece(c, &pt->v[w].norm));
        w++;
    }
    pt->n = w;
    return HFC_OK;
}

hfc_status tk_pretokenizer_apply(const tk_pretokenizer *p, tk_ctx *c, tk_pretok *pt) {
    if (p->kind == PT_SEQUENCE) {
        for (size_t i = 0; i < p->u.seq.n; i++)
            HFC_TRY(tk_pretokenizer_apply(p->u.seq.items[i], c, pt));
        return HFC_OK;
    }
    if (p->kind == PT_BYTE_LEVEL && !p->u.bl.use_regex && !p->u.bl.add_prefix_space)
        return byte_level_in_place(c, pt); /* no splitting */
    tk_pretok out = {0};
    for (size_t i = 0; i < pt->n; i++) {
        if (pt->v[i].tokenized) {
            HFC_TRY(tk_pretok_push(c, &out, &pt->v[i].norm));
            out.v[out.n - 1] = pt->v[i];
            continue;
        }
        tk_norm n = pt->v[i].norm;
        HFC_TRY(split_one(p, c, &out, &n));
    }
    if (p->kind == PT_BYTE_LEVEL) /* then pretokenized.normalize(byte-level transform) */
        for (size_t i = 0; i < out.n; i++)
            if (!out.v[i].tokenized) HFC_TRY(byte_level_piece(c, &out.v[i].norm));
    *pt = out;
    return HFC_OK;
}

/* ---- the memo cut (tokenizer.c). A pre-tokenizer step that cuts a piece into slices of it
 * (Split, BertPreTokenizer, Whitespace, Punctuation, Digits, ...; ByteLevel by its regex,
 * its byte mapping counted as the step after) followed only by steps that work on each
 * piece alone (no Metaspace: its "first" scheme looks at the piece's position) gives, for
 * each slice, a result that depends on that slice's bytes (and alignments) only. In a
 * Sequence the cut is the last such step; the steps before it run as they are. */
static bool piecewise(const tk_pretokenizer *p) {
    switch (p->kind) {
    case PT_METASPACE: return false;
    case PT_BYTE_LEVEL: return !p->u.bl.add_prefix_space;
    case PT_SEQUENCE:
        for (size_t i = 0; i < p->u.seq.n; i++)
            if (!piecewise(p->u.seq.items[i])) return false;
        return true;
    default: return true;
    }
}

static bool slicing(const tk_pretokenizer *p) {
    switch (p->kind) {
    case PT_METASPACE:
    case PT_SEQUENCE: return false;
    case PT_BYTE_LEVEL: return p->u.bl.use_regex && !p->u.bl.add_prefix_space;
    default: return true;
    }
}

const tk_pretokenizer *tk_pretokenizer_memo_cut(const tk_pretokenizer *p, size_t *stage) {
    *stage = 0;
    if (!p) return NULL;
    if (p->kind != PT_SEQUENCE) return slicing(p) ? p : NULL;
    for (size_t k = p->u.seq.n; k-- > 0;) {
        if (slicing(p->u.seq.items[k])) {
            *stage = k;
            return p->u.seq.items[k];
        }
        if (!piecewise(p->u.seq.items[k])) return NULL;
    }
    return NULL;
}

const tk_regex *tk_pretokenizer_cut_regex(const tk_pretokenizer *cut) {
    if (cut->kind == PT_BYTE_LEVEL) return cut->u.bl.re;
    if (cut->kind == PT_SPLIT && cut->u.split.behavior == TK_SPLIT_ISOLATED && !cut->u.split.invert)
        return cut->u.split.re;
    return NULL;
}

hfc_status tk_pretokenizer_cut(const tk_pretokenizer *cut, tk_ctx *c, const tk_norm *n, tk_spans *out) {
    if (cut->kind == PT_BERT) return bert_spans(c, n, cut->u.bert.chinese, out);
    tk_pretok pieces = {0};
    tk_norm x = *n;
    HFC_TRY(split_one(cut, c, &pieces, &x));
    for (size_t i = 0; i < pieces.n; i++) { /* slices of n */
        uint32_t a = (uint32_t)(pieces.v[i].norm.s - n->s);
        HFC_TRY(tk_spans_push(c, out, a, a + pieces.v[i].norm.len, false));
    }
    return HFC_OK;
}

hfc_status tk_pretokenizer_apply_stages(const tk_pretokenizer *p, size_t from, tk_ctx *c,
                                        tk_pretok *pt, size_t to) {
    if (p->kind != PT_SEQUENCE) return from == 0 && to > 0 ? tk_pretokenizer_apply(p, c, pt) : HFC_OK;
    for (size_t i = from; i < to && i < p->u.seq.n; i++)
        HFC_TRY(tk_pretokenizer_apply(p->u.seq.items[i], c, pt));
    return HFC_OK;
}

/* The pre-tokenizer after its memo cut, on pieces that cut made (one per split). */
hfc_status tk_pretokenizer_apply_rest(const tk_pretokenizer *p, size_t stage, tk_ctx *c,
                                      tk_pretok *pt) {
    const tk_pretokenizer *cut = p->kind == PT_SEQUENCE ? p->u.seq.items[stage] : p;
    /* a Split: the cut was all of it; ByteLevel: the byte-to-char mapping remains */
    if (cut->kind == PT_BYTE_LEVEL) HFC_TRY(byte_level_in_place(c, pt));
    return p->kind == PT_SEQUENCE ? tk_pretokenizer_apply_stages(p, stage + 1, c, pt, SIZE_MAX) : HFC_OK;
}

/* Pre-tokenizers whose pieces never span a newline followed by a non-space character:
 * ByteLevel (its GPT-2 regex, or none) and Isolated/Removed Splits on the standard
 * patterns run by hand-written scanners (none of them joins "\n" with what follows a
 * newline), and sequences of those. See tk_normalizer_newline_local. */
static bool regex_newline_local(const tk_regex *re) {
    const char *k = tk_regex_kind(re);
    return strcmp(k, "gpt2") == 0 || strcmp(k, "cl100k") == 0 || strcmp(k, "qwen2") == 0 ||
           strcmp(k, "o200k") == 0 || strncmp(k, "deepseek", 8) == 0;
}

bool tk_pretokenizer_cut_is_last(const tk_pretokenizer *p, size_t stage) {
    const tk_pretokenizer *cut = p->kind == PT_SEQUENCE ? p->u.seq.items[stage] : p;
    return cut->kind != PT_BYTE_LEVEL && (p->kind != PT_SEQUENCE || stage + 1 == p->u.seq.n);
}

bool tk_pretokenizer_is_bert(const tk_pretokenizer *p) { return p && p->kind == PT_BERT; }

void tk_pretokenizer_isolate_chinese(tk_pretokenizer *p, bool isolate) {
    if (tk_pretokenizer_is_bert(p)) p->u.bert.chinese = isolate;
}

bool tk_pretokenizer_newline_local(const tk_pretokenizer *p) {
    if (!p) return false; /* no pre-tokenizer: the model sees whole lines and beyond */
    switch (p->kind) {
    case PT_BYTE_LEVEL:
        return !p->u.bl.add_prefix_space && (!p->u.bl.use_regex || regex_newline_local(p->u.bl.re));
    case PT_SPLIT:
        return !p->u.split.invert && p->u.split.re && regex_newline_local(p->u.split.re) &&
               (p->u.split.behavior == TK_SPLIT_ISOLATED || p->u.split.behavior == TK_SPLIT_REMOVED);
    case PT_SEQUENCE:
        for (size_t i = 0; i < p->u.seq.n; i++)
            if (!tk_pretokenizer_newline_local(p->u.seq.items[i])) return false;
        return p->u.seq.n > 0;
    default:
        return false;
    }
}

/* ------------------------------------------------------------------ lifecycle */

void tk_pretokenizer_free(tk_pretokenizer *p) {
    if (!p) return;
    switch (p->kind) {
    case PT_SEQUENCE:
        for (size_t i = 0; i < p->u.seq.n; i++) tk_pretokenizer_free(p->u.seq.items[i]);
        hfc_free(p->u.seq.items);
        break;
    case PT_BYTE_LEVEL:
        if (p->u.bl.re) tk_regex_free(p->u.bl.re);
        break;
    case PT_SPLIT:
        if (p->u.split.re) tk_regex_free(p->u.split.re);
        break;
    default: break;
    }
    hfc_free(p);
}

static const struct { const char *name; pt_kind kind; } PT_TYPES[] = {
    {"BertPreTokenizer", PT_BERT}, {"ByteLevel", PT_BYTE_LEVEL},
    {"CharDelimiterSplit", PT_DELIMITER}, {"Metaspace", PT_METASPACE},
    {"Whitespace", PT_WHITESPACE}, {"Sequence", PT_SEQUENCE}, {"Split", PT_SPLIT},
    {"Punctuation", PT_PUNCTUATION}, {"WhitespaceSplit", PT_WHITESPACE_SPLIT},
    {"Digits", PT_DIGITS}, {"UnicodeScripts", PT_UNICODE_SCRIPTS},
    {"FixedLength", PT_FIXED_LENGTH},
};

static const char *const BEHAVIORS[] = {"Removed", "Isolated", "MergedWithPrevious",
                                        "MergedWithNext", "Contiguous"};

static hfc_status get_behavior(const hfc_json_doc *doc, const hfc_json_value *v,
                               const char *path, bool required, tk_split_behavior *out) {
    const hfc_json_value *b = hfc_json_getz(v, "behavior");
    if (!b) {
        if (required) return hfc_json_fail_at(doc, v, path, "missing field `behavior`");
        *out = TK_SPLIT_ISOLATED;
        return HFC_OK;
    }
    char p[512];
    tk_json_subpath(p, sizeof p, path, "behavior", 0);
    for (int k = 0; k < 5; k++)
        if (hfc_json_str_eq(b, BEHAVIORS[k], strlen(BEHAVIORS[k]))) {
            *out = (tk_split_behavior)k; /* same order as tk_split_behavior */
            return HFC_OK;
        }
    if (b->type != HFC_JSON_STRING)
        return hfc_json_fail_at(doc, b, p, "expected a string, got %s",
                                hfc_json_type_name((hfc_json_type)b->type));
    return hfc_json_fail_at(doc, b, p, "unknown variant `%.*s`, expected one of `Removed`, "
                            "`Isolated`, `MergedWithPrevious`, `MergedWithNext`, `Contiguous`",
                            (int)(b->len > 64 ? 64 : b->len), b->u.s);
}

static hfc_status parse_metaspace(const hfc_json_doc *doc, const hfc_json_value *v,
                                  const char *path, tk_pretokenizer *p) {
    HFC_TRY(tk_json_get_char(doc, v, path, "replacement", &p->u.ms.repl));
    p->u.ms.rep_len = (uint32_t)tk_utf8_encode(p->u.ms.repl, (uint8_t *)p->u.ms.rep);
    p->u.ms.scheme = MS_ALWAYS;
    const hfc_json_value *s = hfc_json_getz(v, "prepend_scheme");
    if (s) {
        char pp[512];
        tk_json_subpath(pp, sizeof pp, path, "prepend_scheme", 0);
        if (hfc_json_str_eq(s, "first", 5)) p->u.ms.scheme = MS_FIRST;
        else if (hfc_json_str_eq(s, "never", 5)) p->u.ms.scheme = MS_NEVER;
        else if (!hfc_json_str_eq(s, "always", 6))
            return hfc_json_fail_at(doc, s, pp, "unknown variant, expected one of `first`, "
                                                "`never`, `always`");
    }
    const hfc_json_value *a = hfc_json_getz(v, "add_prefix_space");
    if (a && a->type != HFC_JSON_NULL) {
        bool aps;
        HFC_TRY(tk_json_get_bool(doc, v, path, "add_prefix_space", -1, &aps));
        if (!aps) {
            if (p->u.ms.scheme != MS_NEVER)
                return hfc_json_fail_at(doc, v, path, "add_prefix_space does not match "
                                                      "declared prepend_scheme");
            p->u.ms.scheme = MS_NEVER;
        }
    }
    const hfc_json_value *sp = hfc_json_getz(v, "split");
    p->u.ms.split = true;
    if (sp && sp->type != HFC_JSON_NULL)
        HFC_TRY(tk_json_get_bool(doc, v, path, "split", -1, &p->u.ms.split));
    return HFC_OK;
}

static hfc_status parse(const hfc_json_doc *doc, const hfc_json_value *v, const char *path,
                        tk_pretokenizer *p) {
    const hfc_json_value *t = hfc_json_getz(v, "type");
    char pp[512];
    if (!t) return hfc_json_fail_at(doc, v, path, "pre-tokenizer has no \"type\"");
    tk_json_subpath(pp, sizeof pp, path, "type", 0);
    if (t->type != HFC_JSON_STRING)
        return hfc_json_fail_at(doc, t, pp, "expected a string, got %s",
                                hfc_json_type_name((hfc_json_type)t->type));
    size_t k = 0;
    for (; k < sizeof PT_TYPES / sizeof *PT_TYPES; k++)
        if (hfc_json_str_eq(t, PT_TYPES[k].name, strlen(PT_TYPES[k].name))) break;
    if (k == sizeof PT_TYPES / sizeof *PT_TYPES)
        return hfc_json_fail_at(doc, t, pp, "unknown pre-tokenizer type \"%.*s\"",
                                (int)(t->len > 64 ? 64 : t->len), t->u.s);
    p->kind = PT_TYPES[k].kind;
    switch (p->kind) {
    case PT_BYTE_LEVEL:
        HFC_TRY(tk_json_get_bool(doc, v, path, "add_prefix_space", -1, &p->u.bl.add_prefix_space));
        HFC_TRY(tk_json_get_bool(doc, v, path, "trim_offsets", -1, &p->u.bl.trim_offsets));
        HFC_TRY(tk_json_get_bool(doc, v, path, "use_regex", 1, &p->u.bl.use_regex));
        return tk_regex_compile(GPT2_PATTERN, sizeof GPT2_PATTERN - 1, &p->u.bl.re);
    case PT_DELIMITER: return tk_json_get_char(doc, v, path, "delimiter", &p->u.delim.delim);
    case PT_METASPACE: return parse_metaspace(doc, v, path, p);
    case PT_SPLIT:
        HFC_TRY(get_behavior(doc, v, path, true, &p->u.split.behavior));
        HFC_TRY(tk_json_get_bool(doc, v, path, "invert", -1, &p->u.split.invert));
        return tk_json_get_pattern(doc, v, path, "pattern", &p->u.split.re);
    case PT_PUNCTUATION: return get_behavior(doc, v, path, false, &p->u.punct.behavior);
    case PT_DIGITS:
        return tk_json_get_bool(doc, v, path, "individual_digits", -1, &p->u.digits.individual);
    case PT_FIXED_LENGTH: {
        const hfc_json_value *l = hfc_json_getz(v, "length");
        p->u.fixed.length = 5;
        if (!l) return HFC_OK;
        tk_json_subpath(pp, sizeof pp, path, "length", 0);
        if (l->type != HFC_JSON_INT || l->u.i < 0 || l->u.i > UINT32_MAX)
            return hfc_json_fail_at(doc, l, pp, "expected a non-negative integer");
        p->u.fixed.length = (uint32_t)l->u.i;
        return HFC_OK;
    }
    case PT_SEQUENCE: {
        const hfc_json_value *a = hfc_json_getz(v, "pretokenizers");
        if (!a) return hfc_json_fail_at(doc, v, path, "missing field `pretokenizers`");
        tk_json_subpath(pp, sizeof pp, path, "pretokenizers", 0);
        if (a->type != HFC_JSON_ARRAY)
            return hfc_json_fail_at(doc, a, pp, "expected an array, got %s",
                                    hfc_json_type_name((hfc_json_type)a->type));
        p->u.seq.items = hfc_calloc(a->len ? a->len : 1, sizeof *p->u.seq.items);
        if (!p->u.seq.items) return hfc_fail(HFC_ERR_NOMEM, "out of memory");
        for (uint32_t i = 0; i < a->len; i++) {
            char ip[512];
            tk_json_subpath(ip, sizeof ip, pp, NULL, (long)i);
            HFC_TRY(tk_pretokenizer_from_json(doc, &a->u.items[i], ip, &p->u.seq.items[i]));
            p->u.seq.n = i + 1;
        }
        return HFC_OK;
    }
    default: return HFC_OK;
    }
}

hfc_status tk_pretokenizer_from_json(const hfc_json_doc *doc, const hfc_json_value *v,
                                     const char *path, tk_pretokenizer **out) {
    *out = NULL;
    if (!v || v->type != HFC_JSON_OBJECT)
        return hfc_json_fail_at(doc, v, path, "expected a pre-tokenizer object, got %s",
                                v ? hfc_json_type_name((hfc_json_type)v->type) : "nothing");
    tk_pretokenizer *p = hfc_calloc(1, sizeof *p);
    if (!p) return hfc_fail(HFC_ERR_NOMEM, "out of memory");
    p->kind = PT_WHITESPACE;
    hfc_status st = parse(doc, v, path, p);
    if (st != HFC_OK) {
        tk_pretokenizer_free(p);
        return st;
    }
    *out = p;
    return HFC_OK;
}
