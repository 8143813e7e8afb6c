/* Hand-written scanners for the well-known pre-tokenizer patterns.
 *
 * Oniguruma is a backtracking engine: at each start position it tries the alternatives
 * in order and takes the first that matches (not the longest), with greedy quantifiers
 * giving back one character at a time. Each *_at function below replays that for one
 * start position and returns the match end (or `i` when nothing matches there), reading
 * character classes from regex_tables.h, which the generator derived from Oniguruma.
 * None of these patterns can match the empty string, so find_iter's empty-match rule
 * never applies. Notation: L = \p{L}, N = \p{N}, WS = \s, "other" = [^\s\p{L}\p{N}].
 *
 * Speed: one table lookup per character (a 128-entry one for ASCII), no allocation
 * besides the output spans.
 */
#include <string.h>

#include "regex_scan.h"
#include "regex_tables.h"

_Static_assert(TK_RC_SHIFT >= 7, "class-table block 0 must cover ASCII");

static const struct {
    const char *name;
    const char *pattern;
} scan_kinds[TK_SCAN_COUNT] = {
    [TK_SCAN_GPT2] = {"gpt2",
                      "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|"
                      "\\s+(?!\\S)|\\s+"},
    [TK_SCAN_CL100K] = {"cl100k",
                        "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
                        "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
                        "\\s+(?!\\S)|\\s+"},
    [TK_SCAN_QWEN2] = {"qwen2",
                       "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
                       "\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
                       "\\s+(?!\\S)|\\s+"},
    [TK_SCAN_O200K] = {"o200k",
                       "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*"
                       "[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
                       "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+"
                       "[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
                       "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|"
                       "\\s+(?!\\S)|\\s+"},
    [TK_SCAN_DS_DIGITS] = {"deepseek_digits", "\\p{N}{1,3}"},
    /* [一-龥぀-ゟ゠-ヿ]+ */
    [TK_SCAN_DS_CJK] = {"deepseek_cjk",
                        "[\xe4\xb8\x80-\xe9\xbe\xa5\xe3\x81\x80-\xe3\x82\x9f\xe3\x82\xa0-"
                        "\xe3\x83\xbf]+"},
    /* As in the tokenizer.json: the [^\r\n...] classes hold real CR and LF characters. */
    [TK_SCAN_DS_TEXT] = {"deepseek_text",
                         "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|"
                         "[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|"
                         "\\s*[\r\n]+|\\s+(?!\\S)|\\s+"},
};

tk_scan_kind tk_scan_lookup(const char *pattern, size_t len) {
    for (int k = TK_SCAN_NONE + 1; k < TK_SCAN_COUNT; k++) {
        const char *p = scan_kinds[k].pattern;
        if (strlen(p) == len && memcmp(p, pattern, len) == 0) return (tk_scan_kind)k;
    }
    return TK_SCAN_NONE;
}

const char *tk_scan_name(tk_scan_kind kind) {
    return kind > TK_SCAN_NONE && kind < TK_SCAN_COUNT ? scan_kinds[kind].name : "none";
}

const char *tk_scan_pattern(tk_scan_kind kind, size_t *len) {
    const char *p = kind > TK_SCAN_NONE && kind < TK_SCAN_COUNT ? scan_kinds[kind].pattern : "";
    *len = strlen(p);
    return p;
}

/* ------------------------------------------------------------------ primitives */

#define C_L TK_RC_L
#define C_N TK_RC_N
#define C_WS TK_RC_WS
#define C_LNW (TK_RC_L | TK_RC_N | TK_RC_WS)
#define C_UP (TK_RC_LU | TK_RC_LO | TK_RC_M) /* [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] */
#define C_LOW (TK_RC_LL | TK_RC_LO | TK_RC_M) /* [\p{Ll}\p{Lm}\p{Lo}\p{M}] */

/* Class flags of the character at s[i] (i < n); *next = the index after it. Block 0 of
 * the table is ASCII (the generator numbers blocks in order, tests check it). */
static inline unsigned cls_at(const uint8_t *s, uint32_t n, uint32_t i, uint32_t *next) {
    uint8_t b = s[i];
    if (HFC_LIKELY(b < 0x80)) {
        *next = i + 1;
        return tk_rc_stage2[0][b];
    }
    int l;
    uint32_t cp = tk_utf8_decode(s + i, n - i, &l);
    *next = i + (uint32_t)l;
    return tk_rc_class(cp);
}

/* End of the run of characters from i whose class intersects `mask`. */
static inline uint32_t run_in(const uint8_t *s, uint32_t n, uint32_t i, unsigned mask) {
    uint32_t nx;
    while (i < n && (cls_at(s, n, i, &nx) & mask)) i = nx;
    return i;
}

/* run_in for runs that are mostly ASCII: 8 bytes at a time while the bytes are ASCII
 * in [lo, hi] (after | 0x20 when `fold`), which must be exactly the ASCII characters
 * with a class in `mask` (so any other ASCII byte ends the run). The end of a word is
 * then a count-trailing-zeros instead of a mispredicted loop exit. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SCAN_SWAR 1
static inline uint64_t swar_in_range(uint64_t x, bool fold, uint8_t lo, uint8_t hi) {
    const uint64_t ones = 0x0101010101010101ull, high = ones * 0x80;
    uint64_t y = (fold ? x | ones * 0x20 : x) & ~high; /* 7-bit lanes: no carries below */
    uint64_t ge_lo = (y + ones * (uint64_t)(0x80 - lo)) & high;
    uint64_t gt_hi = (y + ones * (uint64_t)(0x7F - hi)) & high;
    return ~x & high & ge_lo & ~gt_hi; /* high bit of each ASCII byte in range */
}
#else
#define SCAN_SWAR 0
#endif

static inline uint32_t run_ascii_fast(const uint8_t *s, uint32_t n, uint32_t i, unsigned mask,
                                      bool fold, uint8_t lo, uint8_t hi) {
    for (;;) {
#if SCAN_SWAR
        while (n - i >= 8) {
            uint64_t x, stop;
            memcpy(&x, s + i, 8);
            stop = ~swar_in_range(x, fold, lo, hi) & 0x8080808080808080ull;
            if (stop) {
                i += (uint32_t)__builtin_ctzll(stop) >> 3;
                if (s[i] < 0x80) return i; /* an ASCII byte out of [lo, hi] */
                break;
            }
            i += 8;
        }
#else
        (void)fold, (void)lo, (void)hi;
#endif
        do { /* one character at a time until the next ASCII byte */
            uint32_t nx;
            if (i >= n || !(cls_at(s, n, i, &nx) & mask)) return i;
            i = nx;
        } while (i < n && s[i] >= 0x80);
    }
}

/* End of the run of characters from i whose class misses `mask`. */
static inline uint32_t run_out(const uint8_t *s, uint32_t n, uint32_t i, unsigned mask) {
    uint32_t nx;
    while (i < n && !(cls_at(s, n, i, &nx) & mask)) i = nx;
    return i;
}

/* Up to `more` further \p{N} characters after i. */
static inline uint32_t digits(const uint8_t *s, uint32_t n, uint32_t i, int more) {
    uint32_t nx;
    while (more-- > 0 && i < n && (cls_at(s, n, i, &nx) & C_N)) i = nx;
    return i;
}

/* [\r\n]* (and '/' too when `slash`). */
static inline uint32_t newlines(const uint8_t *s, uint32_t n, uint32_t i, bool slash) {
    while (i < n && (s[i] == '\r' || s[i] == '\n' || (slash && s[i] == '/'))) i++;
    return i;
}

static inline bool ascii_alpha(uint8_t b) { return (uint8_t)((b | 0x20) - 'a') < 26; }

static inline uint8_t ascii_lower(uint8_t b) {
    return b >= 'A' && b <= 'Z' ? (uint8_t)(b + 32) : b;
}

/* 's|'t|'re|'ve|'m|'ll|'d at s[i] == '\'': the end, or 0. With `fold` it is (?i:...),
 * where Oniguruma also lets U+017F LATIN SMALL LETTER LONG S match 's' (the generator
 * checks that no other character folds to these letters). */
static inline uint32_t contraction(const uint8_t *s, uint32_t n, uint32_t i, bool fold) {
    if (i + 1 >= n) return 0;
    uint8_t a = s[i + 1], want;
    if (fold) {
        if (a == 0xC5 && i + 2 < n && s[i + 2] == 0xBF) return i + 3;
        a = ascii_lower(a);
    }
    switch (a) {
    case 's': case 't': case 'm': case 'd': return i + 2;
    case 'r': case 'v': want = 'e'; break;
    case 'l': want = 'l'; break;
    default: return 0;
    }
    if (i + 2 >= n) return 0;
    uint8_t b = fold ? ascii_lower(s[i + 2]) : s[i + 2];
    return b == want ? i + 3 : 0;
}

/* The whitespace alternatives from a \s character at i (ending at j):
 * [\s*[\r\n]+|]  \s+(?!\S)  |  \s+
 * \s*[\r\n]+ backtracks to the last CR/LF of the run. \s+(?!\S) takes the whole run at
 * the end of the text, else gives back its last character (needs two). \s+ takes one
 * (the run is then one character long). */
static inline uint32_t ws_tail(const uint8_t *s, uint32_t n, uint32_t i, uint32_t j,
                               bool crlf_alt) {
    uint32_t last = i, nl_end = (s[i] == '\r' || s[i] == '\n') ? j : 0, k = j, nx;
    while (k < n && (cls_at(s, n, k, &nx) & C_WS)) {
        if (s[k] == '\r' || s[k] == '\n') nl_end = nx;
        last = k;
        k = nx;
    }
    if (crlf_alt && nl_end) return nl_end;
    if (k == n) return n;
    return last > i ? last : k;
}

/* ------------------------------------------------------------------ GPT-2
 * 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
static inline uint32_t gpt2_at(const uint8_t *s, uint32_t n, uint32_t i) {
    uint8_t b = s[i];
    uint32_t j, j2 = n, e;
    /* the common cases first: an ASCII letter, or a space and one (" ?\p{L}+") */
    if (ascii_alpha(b)) return run_ascii_fast(s, n, i + 1, C_L, true, 'a', 'z');
    if (b == ' ' && i + 1 < n && ascii_alpha(s[i + 1]))
        return run_ascii_fast(s, n, i + 2, C_L, true, 'a', 'z');
    if (b == '\'' && (e = contraction(s, n, i, false))) return e;
    unsigned c = cls_at(s, n, i, &j);
    if (b == ' ' && j < n) {
        unsigned c2 = cls_at(s, n, j, &j2);
        if (c2 & C_L) return run_ascii_fast(s, n, j2, C_L, true, 'a', 'z');
        if (c2 & C_N) return run_ascii_fast(s, n, j2, C_N, false, '0', '9');
        if (!(c2 & C_WS)) return run_out(s, n, j2, C_LNW);
    }
    if (c & C_L) return run_ascii_fast(s, n, j, C_L, true, 'a', 'z');
    if (c & C_N) return run_ascii_fast(s, n, j, C_N, false, '0', '9');
    if (!(c & C_WS)) return run_out(s, n, j, C_LNW);
    return ws_tail(s, n, i, j, false);
}

/* ------------------------------------------------------------------ cl100k, Qwen2
 * (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 *  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+        (Qwen2: \p{N} for \p{N}{1,3}) */
static inline uint32_t cl100k_at(const uint8_t *s, uint32_t n, uint32_t i, int max_digits) {
    uint8_t b = s[i];
    uint32_t j, j2 = n, e;
    /* the common cases first: an ASCII letter, or a space and one
     * ("[^\r\n\p{L}\p{N}]?\p{L}+"; the contractions need a quote) */
    if (ascii_alpha(b)) return run_ascii_fast(s, n, i + 1, C_L, true, 'a', 'z');
    if (b == ' ' && i + 1 < n && ascii_alpha(s[i + 1]))
        return run_ascii_fast(s, n, i + 2, C_L, true, 'a', 'z');
    if (b == '\'' && (e = contraction(s, n, i, true))) return e;
    unsigned c = cls_at(s, n, i, &j);
    if (c & C_L) return run_ascii_fast(s, n, j, C_L, true, 'a', 'z');
    if (c & C_N) return digits(s, n, j, max_digits - 1);
    /* c is WS or other here: a one-character prefix unless CR/LF */
    unsigned c2 = j < n ? cls_at(s, n, j, &j2) : C_WS;
    if (b != '\r' && b != '\n' && (c2 & C_L)) return run_ascii_fast(s, n, j2, C_L, true, 'a', 'z');
    if (b == ' ' && !(c2 & C_LNW)) return newlines(s, n, run_out(s, n, j2, C_LNW), false);
    if (!(c & C_WS)) return newlines(s, n, run_out(s, n, j, C_LNW), false);
    return ws_tail(s, n, i, j, true);
}

/* ------------------------------------------------------------------ o200k
 * A1 [^\r\n\p{L}\p{N}]?UP*LOW+C? | A2 [^\r\n\p{L}\p{N}]?UP+LOW*C? | \p{N}{1,3} |
 *  ?[^\s\p{L}\p{N}]+[\r\n/]* | \s*[\r\n]+ | \s+(?!\S) | \s+
 * with UP = [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}], LOW = [\p{Ll}\p{Lm}\p{Lo}\p{M}] (they share
 * Lm Lo M), C = (?i:'s|'t|'re|'ve|'m|'ll|'d). The optional prefix is tried with, then
 * without; marks are both prefix characters and UP/LOW, so both attempts matter. */

static inline uint32_t o200k_suffix(const uint8_t *s, uint32_t n, uint32_t e) {
    uint32_t k;
    if (e < n && s[e] == '\'' && (k = contraction(s, n, e, true))) return k;
    return e;
}

/* UP*LOW+C? from q: the end, or 0. UP* is greedy: if the character after the UP run is
 * Ll (LOW but not UP), LOW+ runs on from there; otherwise UP* gives characters back
 * until LOW+ can start at the last Lm/Lo/M of the run, which the next Lu/Lt (or the
 * end of the run) stops after one character. */
static inline uint32_t o200k_a1(const uint8_t *s, uint32_t n, uint32_t q) {
    uint32_t k = q, nx = q, last_low_end = 0;
    unsigned c = 0;
    while (k < n) {
        c = cls_at(s, n, k, &nx);
        if (!(c & C_UP)) break;
        if (c & C_LOW) last_low_end = nx;
        k = nx;
    }
    if (k < n && (c & TK_RC_LL)) return o200k_suffix(s, n, run_ascii_fast(s, n, nx, C_LOW, false, 'a', 'z'));
    if (last_low_end) return o200k_suffix(s, n, last_low_end);
    return 0;
}

/* UP+LOW*C? from q: the end, or 0. */
static inline uint32_t o200k_a2(const uint8_t *s, uint32_t n, uint32_t q) {
    uint32_t k = run_in(s, n, q, C_UP);
    if (k == q) return 0;
    return o200k_suffix(s, n, run_ascii_fast(s, n, k, C_LOW, false, 'a', 'z'));
}

static inline uint32_t o200k_at(const uint8_t *s, uint32_t n, uint32_t i) {
    uint8_t b = s[i];
    uint32_t j, j2 = n, e;
    unsigned c = cls_at(s, n, i, &j);
    bool prefix = !(c & (C_L | C_N)) && b != '\r' && b != '\n';
    if (c & (C_L | TK_RC_M)) {
        /* A mark may also be the prefix, but UP* takes it the same way: A1 without the
         * prefix ends where A1 with it does, and always matches (a mark is LOW). */
        if ((e = o200k_a1(s, n, i))) return e;
        return o200k_a2(s, n, i); /* c is Lu/Lt: never 0 */
    }
    if (c & C_N) return digits(s, n, j, 2);
    if (prefix && j < n && (e = o200k_a1(s, n, j))) return e;
    if (prefix && j < n && (e = o200k_a2(s, n, j))) return e;
    unsigned c2 = j < n ? cls_at(s, n, j, &j2) : C_WS;
    if (b == ' ' && !(c2 & C_LNW)) return newlines(s, n, run_out(s, n, j2, C_LNW), true);
    if (!(c & C_WS)) return newlines(s, n, run_out(s, n, j, C_LNW), true);
    return ws_tail(s, n, i, j, true);
}

/* ------------------------------------------------------------------ DeepSeek-V3
 * [!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+|
 *  ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * Not every character starts a match (a lone digit, a control character). */

static inline bool ascii_punct(uint8_t b) {
    return (b >= 0x21 && b <= 0x2F) || (b >= 0x3A && b <= 0x40) || (b >= 0x5B && b <= 0x60) ||
           (b >= 0x7B && b <= 0x7E);
}

#define C_LM (TK_RC_L | TK_RC_M)
#define C_PS (TK_RC_P | TK_RC_S)

static inline uint32_t ds_text_at(const uint8_t *s, uint32_t n, uint32_t i) {
    uint8_t b = s[i];
    uint32_t j, j2 = n;
    if (ascii_punct(b) && i + 1 < n && ascii_alpha(s[i + 1])) {
        uint32_t k = i + 2;
        while (k < n && ascii_alpha(s[k])) k++;
        return k;
    }
    unsigned c = cls_at(s, n, i, &j);
    unsigned c2 = j < n ? cls_at(s, n, j, &j2) : 0;
    if (!(c & (TK_RC_L | C_PS)) && b != '\r' && b != '\n' && (c2 & C_LM))
        return run_ascii_fast(s, n, j2, C_LM, true, 'a', 'z');
    if (c & C_LM) return run_ascii_fast(s, n, j, C_LM, true, 'a', 'z');
    if (b == ' ' && (c2 & C_PS)) return newlines(s, n, run_in(s, n, j2, C_PS), false);
    if (c & C_PS) return newlines(s, n, run_in(s, n, j, C_PS), false);
    if (c & C_WS) return ws_tail(s, n, i, j, true);
    return i;
}

static inline uint32_t ds_digits_at(const uint8_t *s, uint32_t n, uint32_t i) {
    uint32_t j;
    if (!(cls_at(s, n, i, &j) & C_N)) return i;
    return digits(s, n, j, 2);
}

/* [一-龥぀-ゟ゠-ヿ]: U+4E00..U+9FA5, U+3040..U+30FF */
static inline bool ds_cjk_char(const uint8_t *s, uint32_t n, uint32_t i, uint32_t *next) {
    int l;
    uint32_t cp = tk_utf8_decode(s + i, n - i, &l);
    *next = i + (uint32_t)l;
    return (cp >= 0x4E00 && cp <= 0x9FA5) || (cp >= 0x3040 && cp <= 0x30FF);
}

static inline uint32_t ds_cjk_at(const uint8_t *s, uint32_t n, uint32_t i) {
    uint32_t nx;
    if (s[i] < 0xE3 || s[i] > 0xE9 || !ds_cjk_char(s, n, i, &nx)) return i;
    i = nx;
    while (i < n && s[i] >= 0xE3 && s[i] <= 0xE9 && ds_cjk_char(s, n, i, &nx)) i = nx;
    return i;
}

/* ------------------------------------------------------------------ driver */

/* Append span {a, b, m} through the locals v_/k_/cap_ (kept out of *out so the compiler
 * need not reload them after every store); tk_spans_push grows the vector. */
#define EMIT(a, b, m)                                                                    \
    do {                                                                                 \
        if (HFC_LIKELY(k_ < cap_)) {                                                     \
            v_[k_].start = (a);                                                          \
            v_[k_].end = (b);                                                            \
            v_[k_].is_match = (m);                                                       \
            k_++;                                                                        \
        } else {                                                                         \
            out->n = k_;                                                                 \
            HFC_TRY(tk_spans_push(c, out, (a), (b), (m)));                               \
            v_ = out->v, k_ = out->n, cap_ = out->cap;                                   \
        }                                                                                \
    } while (0)

/* Scan with AT(s, n, i) -> match end (== i: no match at i). */
#define SCAN_LOOP(AT)                                                                    \
    do {                                                                                 \
        tk_span *v_ = out->v;                                                            \
        size_t k_ = out->n, cap_ = out->cap;                                             \
        uint32_t i_ = 0, prev_ = 0;                                                      \
        while (i_ < n) {                                                                 \
            uint32_t e_ = AT;                                                            \
            if (e_ == i_) {                                                              \
                i_ += (uint32_t)tk_utf8_len(s[i_]);                                      \
                continue;                                                                \
            }                                                                            \
            if (prev_ != i_) EMIT(prev_, i_, false);                                     \
            EMIT(i_, e_, true);                                                          \
            prev_ = i_ = e_;                                                             \
        }                                                                                \
        if (prev_ != n) EMIT(prev_, n, false);                                           \
        out->n = k_;                                                                     \
    } while (0)

static hfc_status scan_gpt2(tk_ctx *c, const uint8_t *s, uint32_t n, tk_spans *out) {
    SCAN_LOOP(gpt2_at(s, n, i_));
    return HFC_OK;
}
static hfc_status scan_cl100k(tk_ctx *c, const uint8_t *s, uint32_t n, tk_spans *out) {
    SCAN_LOOP(cl100k_at(s, n, i_, 3));
    return HFC_OK;
}
static hfc_status scan_qwen2(tk_ctx *c, const uint8_t *s, uint32_t n, tk_spans *out) {
    SCAN_LOOP(cl100k_at(s, n, i_, 1));
    return HFC_OK;
}
static hfc_status scan_o200k(tk_ctx *c, const uint8_t *s, uint32_t n, tk_spans *out) {
    SCAN_LOOP(o200k_at(s, n, i_));
    return HFC_OK;
}
static hfc_status scan_ds_digits(tk_ctx *c, const uint8_t *s, uint32_t n, tk_spans *out) {
    SCAN_LOOP(ds_digits_at(s, n, i_));
    return HFC_OK;
}
static hfc_status scan_ds_cjk(tk_ctx *c, const uint8_t *s, uint32_t n, tk_spans *out) {
    SCAN_LOOP(ds_cjk_at(s, n, i_));
    return HFC_OK;
}
static hfc_status scan_ds_text(tk_ctx *c, const uint8_t *s, uint32_t n, tk_spans *out) {
    SCAN_LOOP(ds_text_at(s, n, i_));
    return HFC_OK;
}

hfc_status tk_scan_find(tk_scan_kind kind, tk_ctx *c, const uint8_t *s, uint32_t n,
                        tk_spans *out) {
    if (n == 0) return tk_spans_push(c, out, 0, 0, false);
    switch (kind) {
    case TK_SCAN_GPT2: return scan_gpt2(c, s, n, out);
    case TK_SCAN_CL100K: return scan_cl100k(c, s, n, out);
    case TK_SCAN_QWEN2: return scan_qwen2(c, s, n, out);
    case TK_SCAN_O200K: return scan_o200k(c, s, n, out);
    case TK_SCAN_DS_DIGITS: return scan_ds_digits(c, s, n, out);
    case TK_SCAN_DS_CJK: return scan_ds_cjk(c, s, n, out);
    case TK_SCAN_DS_TEXT: return scan_ds_text(c, s, n, out);
    default: return hfc_fail(HFC_ERR_STATE, "regex scanner %d does not exist", (int)kind);
    }
}
