/* Strict JSON reader into an arena DOM (see hfc/json.h).
 *
 * Design, for speed on 2-33 MB tokenizer.json files:
 *  - One pass, no recursion. `frames` is the explicit stack of open containers. The
 *    children of every open container accumulate on one of two scratch stacks (`vals`
 *    for arrays, `mems` for objects); when the container closes, its children are
 *    copied once into one contiguous arena block and popped. Scratch memory is reused
 *    by every container, so the DOM costs one copy per value and no reallocation.
 *  - UTF-8 is validated once for the whole buffer (one SIMD pass, faster than a kernel
 *    call per string on these files). Outside strings the grammar admits ASCII only, so
 *    the parser just needs to know where the first invalid byte is (`utf8_bad`): a
 *    string whose body reaches it is an error.
 *  - String bodies are skipped with the json_string_span kernel. Strings without
 *    escapes point into the source; escaped ones are decoded into the arena.
 *  - Duplicate keys are checked when an object closes: pairwise for small objects, with
 *    a reused open-addressing table of member indices for big ones (vocabularies).
 *  - Errors build the JSON path from the explicit stack, only when failing.
 */
#include "hfc/json.h"

#include "hfc/cpu.h"
#include "hfc/mmap.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct hfc_json_doc {
    hfc_json_value root;
    const char *src;
    size_t len;
    const char *name;   /* in the arena */
    hfc_mmap *map;      /* the mapping src lives in (hfc_json_parse_file), else NULL */
    size_t value_count; /* root + every array item and member value */
    hfc_arena arena;    /* container blocks, decoded strings, name */
};

/* ---- process-wide constants: the "C" locale for strtod_l, the hash seed ---- */

static pthread_once_t json_once = PTHREAD_ONCE_INIT;
static locale_t json_c_locale;
static uint64_t json_hash_seed;

static void json_init_once(void) {
    json_c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    /* A per-process seed so crafted keys cannot turn duplicate detection quadratic. */
    uint64_t seed = 0;
    if (getentropy(&seed, sizeof seed) != 0) seed = (uint64_t)(uintptr_t)&seed;
    json_hash_seed = seed | 1;
}

/* The "C" locale, so that number parsing never depends on the process locale. NULL only
 * if newlocale failed (out of memory). */
static locale_t json_locale(void) {
    pthread_once(&json_once, json_init_once);
    return json_c_locale;
}

/* ---- parser state ---- */

typedef struct json_frame {
    size_t base;   /* index of this container's first child on vals (array) or mems (object) */
    size_t slot;   /* where this container sits in its parent: item index or member index */
    size_t offset; /* byte offset of its '[' or '{' */
    bool is_object;
} json_frame;

typedef struct json_parser {
    const uint8_t *src, *end;
    const uint8_t *utf8_bad; /* first byte of the first invalid UTF-8 sequence, or end */
    size_t (*string_span)(const uint8_t *p, size_t n);
    hfc_arena *arena;
    const char *name;
    uint32_t max_depth;
    bool allow_duplicate_keys;

    json_frame *frames; /* [depth] open containers, outermost first */
    size_t depth, frames_cap;
    hfc_json_value *vals; /* [nvals] items of all open arrays */
    size_t nvals, vals_cap;
    hfc_json_member *mems; /* [nmems] members of all open objects; the last one of an
                              object whose value is being parsed has only its key set */
    size_t nmems, mems_cap;
    uint64_t *keyset; /* duplicate check: (hash >> 32) << 32 | (member index + 1), 0 = empty */
    size_t keyset_cap;
    char *numbuf; /* NUL-terminated copy of a number for strtod_l */
    size_t numbuf_cap;
    size_t value_count;
} json_parser;

/* Which segment the innermost open container contributes to an error's JSON path. */
typedef enum json_where {
    WHERE_CONTAINER,  /* none: the error is about the container itself (e.g. a key) */
    WHERE_NEXT_CHILD, /* the child being read: [count] or the pending member's key */
    WHERE_LAST_CHILD, /* the child just read: [count - 1] or the last member's key */
    WHERE_MEMBER,     /* a given member (duplicate key) */
} json_where;

/* ---- errors: "<name>: byte <off> (line <l>, column <c>), <path>: <what>" ---- */

#define JSON_SEGMENT_MAX 320 /* one path segment: a 40-byte key, each byte escaped as \u00XX */
#define JSON_PATH_MAX 600    /* longer paths keep their head and tail around a "…" */
#define JSON_KEY_SHOWN 40    /* key bytes shown before "…" */

static void line_col(const char *src, size_t offset, size_t *line, size_t *col) {
    size_t l = 1;
    const char *p = src, *stop = src + offset, *line_start = src;
    const char *nl;
    while (p < stop && (nl = memchr(p, '\n', (size_t)(stop - p))) != NULL) {
        l++;
        p = line_start = nl + 1;
    }
    *line = l;
    *col = (size_t)(stop - line_start) + 1;
}

static bool is_identifier(const char *s, size_t n) {
    if (n == 0) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool alpha = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
        if (!(alpha || c == '_' || (i > 0 && c >= '0' && c <= '9'))) return false;
    }
    return true;
}

/* Write key bytes JSON-escaped, at most JSON_KEY_SHOWN of them (cut at a UTF-8 character
 * boundary, then "…"). out holds >= JSON_SEGMENT_MAX - 4 bytes. Returns bytes written. */
static size_t format_key_body(char *out, const char *s, size_t n) {
    size_t shown = n;
    if (n > JSON_KEY_SHOWN) {
        shown = JSON_KEY_SHOWN;
        while (shown > 0 && ((unsigned char)s[shown] & 0xC0) == 0x80) shown--;
    }
    size_t o = 0;
    for (size_t i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *short_escape = c < 0x20 ? strchr("\bb\ff\nn\rr\tt", c) : NULL;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (short_escape && c != 0) {
            out[o++] = '\\';
            out[o++] = short_escape[1];
        } else if (c < 0x20) {
            o += (size_t)snprintf(out + o, 7, "\\u%04x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    if (shown < n) {
        memcpy(out + o, "\xE2\x80\xA6", 3); /* … */
        o += 3;
    }
    return o;
}

/* A member key as a path segment: .key for identifiers, else ["key"]. */
static size_t format_key_segment(char *out, const hfc_json_value *key) {
    if (is_identifier(key->u.s, key->len)) {
        out[0] = '.';
        return 1 + format_key_body(out + 1, key->u.s, key->len);
    }
    size_t o = 0;
    out[o++] = '[';
    out[o++] = '"';
    o += format_key_body(out + o, key->u.s, key->len);
    out[o++] = '"';
    out[o++] = ']';
    return o;
}

/* Path segment i (0-based, i < depth) into out[JSON_SEGMENT_MAX]: how frame i's child on
 * the path is named. Returns its length (0: no segment). */
static size_t format_segment(const json_parser *P, size_t i, json_where where, size_t member,
                             char *out) {
    const json_frame *f = &P->frames[i];
    size_t slot; /* item index (array) or member index (object) of the child */
    if (i + 1 < P->depth) {
        slot = P->frames[i + 1].slot;
    } else if (where == WHERE_CONTAINER) {
        return 0;
    } else if (where == WHERE_MEMBER) {
        slot = member;
    } else if (f->is_object) {
        slot = P->nmems - 1;
    } else {
        slot = P->nvals - f->base - (where == WHERE_LAST_CHILD);
    }
    if (f->is_object) return format_key_segment(out, &P->mems[slot].key);
    return (size_t)snprintf(out, JSON_SEGMENT_MAX, "[%zu]", slot);
}

/* "$" + segments into out[JSON_PATH_MAX + JSON_SEGMENT_MAX]; when too long, the middle
 * segments are replaced by "…" so both ends (the most telling parts) stay. */
static void format_path(const json_parser *P, json_where where, size_t member, char *out) {
    char seg[JSON_SEGMENT_MAX];
    size_t total = 1;
    for (size_t i = 0; i < P->depth; i++) total += format_segment(P, i, where, member, seg);
    size_t o = 0;
    out[o++] = '$';
    size_t head_budget = total <= JSON_PATH_MAX ? total : JSON_PATH_MAX / 3;
    size_t i = 0, left = total - 1; /* bytes of the segments not yet written */
    for (; i < P->depth; i++) {
        size_t n = format_segment(P, i, where, member, seg);
        if (o + n > head_budget) break;
        memcpy(out + o, seg, n);
        o += n;
        left -= n;
    }
    if (i < P->depth) {
        memcpy(out + o, "\xE2\x80\xA6", 3);
        o += 3;
        for (; i < P->depth; i++) { /* skip until the rest fits */
            size_t n = format_segment(P, i, where, member, seg);
            if (o + left <= JSON_PATH_MAX) break;
            left -= n;
        }
        for (; i < P->depth; i++) {
            size_t n = format_segment(P, i, where, member, seg);
            memcpy(out + o, seg, n);
            o += n;
        }
    }
    out[o] = '\0';
}

static hfc_status json_fail_v(const json_parser *P, const uint8_t *at, json_where where,
                              size_t member, const char *fmt, va_list ap) {
    char what[512];
    vsnprintf(what, sizeof what, fmt, ap);
    char path[JSON_PATH_MAX + JSON_SEGMENT_MAX];
    format_path(P, where, member, path);
    size_t off = (size_t)(at - P->src), line, col;
    line_col((const char *)P->src, off, &line, &col);
    return hfc_fail(HFC_ERR_INVALID, "%s: byte %zu (line %zu, column %zu), %s: %s", P->name, off,
                    line, col, path, what);
}

__attribute__((cold, noinline, format(printf, 4, 5))) static hfc_status
json_fail(const json_parser *P, const uint8_t *at, json_where where, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    hfc_status st = json_fail_v(P, at, where, 0, fmt, ap);
    va_end(ap);
    return st;
}

__attribute__((cold, noinline, format(printf, 4, 5))) static hfc_status
json_fail_member(const json_parser *P, size_t member, json_where where, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    const uint8_t *at = P->src + P->mems[member].key.offset;
    hfc_status st = json_fail_v(P, at, where, member, fmt, ap);
    va_end(ap);
    return st;
}

__attribute__((cold, noinline)) static hfc_status json_fail_duplicate(const json_parser *P,
                                                                      size_t member) {
    const hfc_json_value *key = &P->mems[member].key;
    char shown[JSON_SEGMENT_MAX];
    shown[format_key_body(shown, key->u.s, key->len)] = '\0';
    return json_fail_member(P, member, WHERE_MEMBER, "duplicate key \"%s\"", shown);
}

/* The byte at p, for "expected X, found Y" messages. */
static const char *describe_byte(const json_parser *P, const uint8_t *p, char out[48]) {
    if (p >= P->end) return "end of input";
    uint8_t c = *p;
    if (c >= 0x20 && c < 0x7F)
        snprintf(out, 48, "'%c'", c);
    else if (p == P->utf8_bad)
        snprintf(out, 48, "byte 0x%02x (invalid UTF-8)", c);
    else
        snprintf(out, 48, "byte 0x%02x", c);
    return out;
}

__attribute__((cold, noinline)) static hfc_status
json_fail_expected(const json_parser *P, const uint8_t *at, json_where where, const char *what) {
    char found[48];
    return json_fail(P, at, where, "expected %s, found %s", what, describe_byte(P, at, found));
}

__attribute__((cold, noinline)) static hfc_status json_fail_utf8(const json_parser *P,
                                                                 json_where where) {
    return json_fail(P, P->utf8_bad, where, "invalid UTF-8 (byte 0x%02x)", *P->utf8_bad);
}

/* ---- lexing ---- */

static inline uint64_t load64(const uint8_t *p) {
    uint64_t x;
    memcpy(&x, p, 8);
    return x;
}

/* Index of the first nonzero byte of a nonzero x loaded from memory. */
static inline unsigned first_nonzero_byte(uint64_t x) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return (unsigned)__builtin_ctzll(x) >> 3;
#else
    return (unsigned)__builtin_clzll(x) >> 3;
#endif
}

/* Skip JSON whitespace. Pretty-printed tokenizer.json files are mostly newline plus
 * indentation, so runs of spaces go 8 bytes at a time (measured: faster here than a
 * 16-byte SSE2 compare of every class). */
static inline const uint8_t *skip_ws(const uint8_t *p, const uint8_t *end) {
    while (p < end) {
        uint8_t c = *p;
        if (c > ' ') break;
        if (c == ' ' && end - p >= 8) {
            uint64_t x = load64(p) ^ 0x2020202020202020ull; /* zero bytes were spaces */
            p += x ? first_nonzero_byte(x) : 8;
        } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
            p++;
        } else {
            break;
        }
    }
    return p;
}

static inline bool is_digit(uint8_t c) { return (uint8_t)(c - '0') < 10; }

static inline hfc_json_value make_value(hfc_json_type type, size_t offset) {
    hfc_json_value v;
    v.type = (uint8_t)type;
    v.flags = 0;
    v.len = 0;
    v.offset = offset;
    v.u.i = 0;
    return v;
}

/* ---- strings ---- */

static int hex_value(uint8_t c) {
    if (is_digit(c)) return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* The 4 hex digits at p[0..4), or -1. */
static int32_t read_hex4(const uint8_t *p) {
    int32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_value(p[i]);
        if (h < 0) return -1;
        v = v << 4 | h;
    }
    return v;
}

static char *put_utf8(char *o, uint32_t cp) {
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | cp >> 12);
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | cp >> 18);
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* Decode the \u escape at s (s[0] == '\\', s[1] == 'u'), in a string body ending at q,
 * into *o; a high surrogate must be followed by a \u low surrogate. Advances *ps, *po. */
static hfc_status decode_u_escape(const json_parser *P, const uint8_t **ps, const uint8_t *q,
                                  char **po, json_where where) {
    const uint8_t *s = *ps;
    int32_t cp = q - s >= 6 ? read_hex4(s + 2) : -1;
    if (cp < 0) return json_fail(P, s, where, "invalid \\u escape (expected 4 hex digits)");
    size_t used = 6;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return json_fail(P, s, where, "unpaired low surrogate \\u%04X", (unsigned)cp);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        int32_t lo = q - s >= 12 && s[6] == '\\' && s[7] == 'u' ? read_hex4(s + 8) : -1;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return json_fail(P, s, where,
                             "unpaired high surrogate \\u%04X (expected a \\uDC00-\\uDFFF escape "
                             "after it)",
                             (unsigned)cp);
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        used = 12;
    }
    *po = put_utf8(*po, (uint32_t)cp);
    *ps = s + used;
    return HFC_OK;
}

/* Decode the escape at s (s[0] == '\\'; s + 1 < q) into *o. Advances *ps, *po. */
static hfc_status decode_escape(const json_parser *P, const uint8_t **ps, const uint8_t *q,
                                char **po, json_where where) {
    const uint8_t *s = *ps;
    char c;
    switch (s[1]) {
    case '"': c = '"'; break;
    case '\\': c = '\\'; break;
    case '/': c = '/'; break;
    case 'b': c = '\b'; break;
    case 'f': c = '\f'; break;
    case 'n': c = '\n'; break;
    case 'r': c = '\r'; break;
    case 't': c = '\t'; break;
    case 'u': return decode_u_escape(P, ps, q, po, where);
    default: {
        char found[48];
        return json_fail(P, s, where, "invalid escape: backslash followed by %s",
                         describe_byte(P, s + 1, found));
    }
    }
    *(*po)++ = c;
    *ps = s + 2;
    return HFC_OK;
}

static inline size_t string_span(const json_parser *P, const uint8_t *p, size_t n);

/* A string with escapes: `open` is its '"', `e` the first '\\' (or a raw control
 * character, or the end) in its body. Finds the closing quote, then decodes the body
 * into the arena (decoding never lengthens it). */
__attribute__((noinline)) static hfc_status
parse_escaped_string(json_parser *P, const uint8_t **pp, const uint8_t *e, hfc_json_value *v,
                     json_where where) {
    const uint8_t *open = *pp, *end = P->end, *q = e;
    for (;;) { /* q: at a '"', '\\' or control character in the body, or at end */
        if (q >= end) return json_fail(P, open, where, "unterminated string");
        if (*q == '"') break;
        if (*q < 0x20)
            return json_fail(P, q, where,
                             "raw control character 0x%02x in string (must be escaped)", *q);
        if (end - q < 2) return json_fail(P, open, where, "unterminated string");
        q += 2; /* the backslash and the byte it escapes */
        q += string_span(P, q, (size_t)(end - q));
    }
    if (q > P->utf8_bad) return json_fail_utf8(P, where);
    if ((size_t)(q - open) > UINT32_MAX)
        return json_fail(P, open, where, "string longer than 4 GiB");

    const uint8_t *s = open + 1;
    char *out = hfc_arena_alloc(P->arena, (size_t)(q - s) + 1, 1);
    if (!out) return HFC_ERR_NOMEM;
    char *o = out;
    while (s < q) {
        const uint8_t *bs = memchr(s, '\\', (size_t)(q - s));
        size_t run = (size_t)((bs ? bs : q) - s);
        memcpy(o, s, run);
        o += run;
        s += run;
        if (s < q) HFC_TRY(decode_escape(P, &s, q, &o, where));
    }
    *o = '\0';
    *v = make_value(HFC_JSON_STRING, (size_t)(open - P->src));
    v->flags = HFC_JSON_F_COPIED;
    v->len = (uint32_t)(o - out);
    v->u.s = out;
    *pp = q + 1;
    return HFC_OK;
}

/* Bytes that end a plain run in a string body ('"', '\\', < 0x20) as 0x80 flags, exact
 * up to the first one (borrows only run towards later bytes on little-endian). */
static inline uint64_t string_stop_mask(uint64_t x) {
    const uint64_t ones = 0x0101010101010101ull;
    uint64_t quote = x ^ (ones * '"'), backslash = x ^ (ones * '\\');
    uint64_t m = ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) |
                 ((x - ones * 0x20) & ~x);
    return m & (ones * 0x80);
}

/* json_string_span, with the first 16 bytes checked inline: most strings in tokenizer
 * files (vocabulary tokens, merges) end there, and a kernel call costs more than that. */
static inline size_t string_span(const json_parser *P, const uint8_t *p, size_t n) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n >= 16) {
        uint64_t m = string_stop_mask(load64(p));
        if (m) return first_nonzero_byte(m);
        m = string_stop_mask(load64(p + 8));
        if (m) return 8 + first_nonzero_byte(m);
        return 16 + P->string_span(p + 16, n - 16);
    }
#endif
    return P->string_span(p, n);
}

/* The string whose opening '"' is at *pp, into *v; advances *pp past the closing quote. */
static inline __attribute__((always_inline)) hfc_status
parse_string(json_parser *P, const uint8_t **pp, hfc_json_value *v, json_where where) {
    const uint8_t *body = *pp + 1;
    size_t n = string_span(P, body, (size_t)(P->end - body));
    const uint8_t *e = body + n;
    if (HFC_UNLIKELY(e >= P->end || *e != '"')) return parse_escaped_string(P, pp, e, v, where);
    if (HFC_UNLIKELY(e > P->utf8_bad)) return json_fail_utf8(P, where);
    if (HFC_UNLIKELY(n > UINT32_MAX)) return json_fail(P, *pp, where, "string longer than 4 GiB");
    v->type = HFC_JSON_STRING;
    v->flags = 0;
    v->len = (uint32_t)n;
    v->offset = (size_t)(*pp - P->src);
    v->u.s = (const char *)body;
    *pp = e + 1;
    return HFC_OK;
}

/* ---- numbers ---- */

/* Exact powers of ten for the Clinger fast path. */
static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Correctly rounded conversion of the literal [start, stop) with strtod_l in the "C"
 * locale. Out of double range is an error; underflow rounds to 0 or a subnormal. */
__attribute__((noinline)) static hfc_status number_slow(json_parser *P, const uint8_t *start,
                                                        const uint8_t *stop, double *out) {
    locale_t loc = json_locale();
    if (!loc) return hfc_fail(HFC_ERR_NOMEM, "out of memory creating the C locale");
    size_t n = (size_t)(stop - start);
    void *buf = P->numbuf;
    HFC_TRY(hfc_grow(&buf, &P->numbuf_cap, n + 1, 1));
    P->numbuf = buf;
    memcpy(P->numbuf, start, n);
    P->numbuf[n] = '\0';
    double d = strtod_l(P->numbuf, NULL, loc);
    if (isinf(d)) return json_fail(P, start, WHERE_NEXT_CHILD, "number out of range");
    *out = d;
    return HFC_OK;
}

static hfc_status number_digits_expected(const json_parser *P, const uint8_t *at,
                                         const char *where_in) {
    char found[48];
    return json_fail(P, at, WHERE_NEXT_CHILD, "invalid number: expected a digit %s, found %s",
                     where_in, describe_byte(P, at, found));
}

/* An integer literal of ndigits digits, value m (exact when ndigits <= 19). */
static hfc_status finish_integer(json_parser *P, const uint8_t *start, const uint8_t *stop,
                                 bool neg, uint64_t m, size_t ndigits, hfc_json_value *v) {
    *v = make_value(HFC_JSON_INT, (size_t)(start - P->src));
    if (ndigits <= 19) {
        if (!neg && m <= (uint64_t)INT64_MAX) {
            v->u.i = (int64_t)m;
            return HFC_OK;
        }
        if (neg && m <= (uint64_t)INT64_MAX + 1) {
            v->u.i = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
            return HFC_OK;
        }
    }
    v->type = HFC_JSON_DOUBLE;
    v->flags = HFC_JSON_F_BIGINT;
    return number_slow(P, start, stop, &v->u.d);
}

/* The number starting at *pp ('-' or a digit): strict RFC 8259 grammar
 *   -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?  */
static hfc_status parse_number(json_parser *P, const uint8_t **pp, hfc_json_value *v) {
    const uint8_t *start = *pp, *p = start, *end = P->end;
    bool neg = *p == '-';
    p += neg;
    if (p == end || !is_digit(*p)) return number_digits_expected(P, p, "after '-'");
    uint64_t m = 0; /* all mantissa digits; exact while sig <= 19 */
    const uint8_t *int_start = p;
    if (*p == '0') {
        p++;
        if (p < end && is_digit(*p))
            return json_fail(P, p - 1, WHERE_NEXT_CHILD, "invalid number: leading zero");
    } else {
        while (p < end && is_digit(*p)) m = m * 10 + (uint64_t)(*p++ - '0');
    }
    /* significant digits, counted from the first integer digit unless it is a lone 0
     * (then also leading fraction zeros count: conservative, only costs the fast path) */
    size_t sig = *int_start == '0' ? 0 : (size_t)(p - int_start);
    if (p == end || (*p != '.' && (*p | 0x20) != 'e')) {
        *pp = p;
        return finish_integer(P, start, p, neg, m, sig, v);
    }
    int64_t exp10 = 0;
    if (*p == '.') {
        const uint8_t *frac = ++p;
        while (p < end && is_digit(*p)) m = m * 10 + (uint64_t)(*p++ - '0');
        if (p == frac) return number_digits_expected(P, p, "after '.'");
        sig += (size_t)(p - frac);
        exp10 = -(int64_t)(p - frac);
    }
    if (p < end && (*p | 0x20) == 'e') {
        p++;
        bool eneg = p < end && *p == '-';
        if (p < end && (*p == '-' || *p == '+')) p++;
        if (p == end || !is_digit(*p)) return number_digits_expected(P, p, "in the exponent");
        int64_t e = 0;
        for (; p < end && is_digit(*p); p++)
            if (e < 100000000) e = e * 10 + (*p - '0'); /* saturate: far beyond any double */
        exp10 += eneg ? -e : e;
    }
    *pp = p;
    *v = make_value(HFC_JSON_DOUBLE, (size_t)(start - P->src));
    if (sig <= 19 && m <= (1ull << 53) && exp10 >= -22 && exp10 <= 22) {
        /* Clinger: m and 10^|e| are exact doubles, so one rounding gives the right answer */
        double d = (double)m;
        d = exp10 < 0 ? d / pow10_exact[-exp10] : d * pow10_exact[exp10];
        v->u.d = neg ? -d : d;
        return HFC_OK;
    }
    return number_slow(P, start, p, &v->u.d);
}

/* ---- containers ---- */

static hfc_status open_container(json_parser *P, const uint8_t *at, bool is_object) {
    if (HFC_UNLIKELY(P->depth >= P->max_depth))
        return json_fail(P, at, WHERE_NEXT_CHILD, "nesting depth exceeds max_depth (%u)",
                         (unsigned)P->max_depth);
    if (HFC_UNLIKELY(P->depth == P->frames_cap)) {
        void *frames = P->frames;
        HFC_TRY(hfc_grow(&frames, &P->frames_cap, P->depth + 1, sizeof(json_frame)));
        P->frames = frames;
    }
    size_t slot = 0;
    if (P->depth > 0) {
        const json_frame *parent = &P->frames[P->depth - 1];
        slot = parent->is_object ? P->nmems - 1 : P->nvals - parent->base;
    }
    json_frame *f = &P->frames[P->depth++];
    f->base = is_object ? P->nmems : P->nvals;
    f->slot = slot;
    f->offset = (size_t)(at - P->src);
    f->is_object = is_object;
    return HFC_OK;
}

/* Where the value about to be read goes: the root, the pending member's value, or the
 * next item of the innermost array (vals[nvals], counted once complete). Values are
 * parsed in place, never built elsewhere and copied. */
static inline hfc_status value_slot(json_parser *P, hfc_json_value *root, hfc_json_value **out) {
    if (P->depth == 0) {
        *out = root;
    } else if (P->frames[P->depth - 1].is_object) {
        *out = &P->mems[P->nmems - 1].value;
    } else {
        if (HFC_UNLIKELY(P->nvals == P->vals_cap)) {
            void *vals = P->vals;
            HFC_TRY(hfc_grow(&vals, &P->vals_cap, P->nvals + 1, sizeof(hfc_json_value)));
            P->vals = vals;
        }
        *out = &P->vals[P->nvals];
    }
    return HFC_OK;
}

/* Room for one more member (its key is parsed in place at mems[nmems]). */
static inline hfc_status reserve_member(json_parser *P) {
    if (HFC_UNLIKELY(P->nmems == P->mems_cap)) {
        void *mems = P->mems;
        HFC_TRY(hfc_grow(&mems, &P->mems_cap, P->nmems + 1, sizeof(hfc_json_member)));
        P->mems = mems;
    }
    return HFC_OK;
}

/* hfc_arena_alloc for the DOM blocks, with its common case inline (the arena's fields
 * are public). */
static inline void *arena_alloc8(hfc_arena *a, size_t size) {
    char *p = (char *)(((uintptr_t)a->cur + 7) & ~(uintptr_t)7);
    if (HFC_LIKELY(a->cur && p <= a->end && (size_t)(a->end - p) >= size)) {
        a->cur = p + size;
        a->total += size;
        return p;
    }
    return hfc_arena_alloc(a, size, 8);
}

static hfc_status check_duplicate_keys(json_parser *P, size_t base, size_t n);

/* Pop the innermost container: copy its children (items or members) from the scratch
 * stack into one arena block, and store the container in its parent's value slot. */
static hfc_status close_container(json_parser *P, hfc_json_value *root) {
    const json_frame *f = &P->frames[P->depth - 1];
    bool is_object = f->is_object;
    size_t base = f->base, offset = f->offset;
    size_t n = (is_object ? P->nmems : P->nvals) - base;
    if (HFC_UNLIKELY(n > UINT32_MAX))
        return json_fail(P, P->src + offset, WHERE_CONTAINER, "more than %u %s",
                         (unsigned)UINT32_MAX, is_object ? "members" : "items");
    if (is_object && n > 1 && !P->allow_duplicate_keys) HFC_TRY(check_duplicate_keys(P, base, n));
    void *block = NULL; /* empty containers have none (and the scratch may be NULL) */
    if (n) {
        size_t bytes = is_object ? sizeof(hfc_json_member) : sizeof(hfc_json_value);
        const void *children = is_object ? (const void *)(P->mems + base)
                                         : (const void *)(P->vals + base);
        block = arena_alloc8(P->arena, n * bytes);
        if (!block) return HFC_ERR_NOMEM;
        memcpy(block, children, n * bytes);
    }
    if (is_object)
        P->nmems = base;
    else
        P->nvals = base;
    P->depth--;
    P->value_count += n;
    hfc_json_value *v;
    HFC_TRY(value_slot(P, root, &v));
    v->type = is_object ? HFC_JSON_OBJECT : HFC_JSON_ARRAY;
    v->flags = 0;
    v->len = (uint32_t)n;
    v->offset = offset;
    v->u.items = block; /* same pointer slot as u.members */
    return HFC_OK;
}

/* ---- duplicate keys ---- */

#define JSON_SMALL_OBJECT 12 /* up to this many members: pairwise comparison */

static inline bool keys_equal(const hfc_json_value *a, const hfc_json_value *b) {
    return a->len == b->len && memcmp(a->u.s, b->u.s, a->len) == 0;
}

static inline uint64_t mum(uint64_t a, uint64_t b) {
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t load32(const uint8_t *p) {
    uint32_t x;
    memcpy(&x, p, 4);
    return x;
}

/* wyhash-style hash of s[0..n): reads only inside the key. */
static uint64_t key_hash(const uint8_t *s, size_t n, uint64_t seed) {
    const uint64_t k1 = 0xa0761d6478bd642full, k2 = 0xe7037ed1a0b428dbull;
    uint64_t a = 0, b = 0;
    if (n <= 16) {
        if (n >= 4) {
            size_t mid = (n >> 3) << 2;
            a = load32(s) << 32 | load32(s + mid);
            b = load32(s + n - 4) << 32 | load32(s + n - 4 - mid);
        } else if (n > 0) {
            a = (uint64_t)s[0] << 16 | (uint64_t)s[n >> 1] << 8 | s[n - 1];
        }
    } else {
        size_t i = n;
        for (; i > 16; i -= 16, s += 16) seed = mum(load64(s) ^ k1, load64(s + 8) ^ seed);
        a = load64(s + i - 16);
        b = load64(s + i - 8);
    }
    return mum(k1 ^ n, mum(a ^ k2, b ^ seed));
}

static hfc_status check_duplicates_small(const json_parser *P, size_t base, size_t n) {
    const hfc_json_member *m = P->mems + base;
    for (size_t i = 1; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (keys_equal(&m[i].key, &m[j].key)) return json_fail_duplicate(P, base + i);
    return HFC_OK;
}

/* Insert the keys in order into an open-addressing table (load < 3/4) of member indices
 * tagged with their hash's high half; the first key already present fails. Big objects
 * make the table bigger than the caches, so hashes are computed HASH_AHEAD keys in advance
 * and their slots prefetched. */
#define HASH_AHEAD 8
static hfc_status check_duplicates_hashed(json_parser *P, size_t base, size_t n) {
    size_t cap = 32;
    while (cap - cap / 4 <= n) cap *= 2;
    if (P->keyset_cap < cap) {
        hfc_free(P->keyset);
        P->keyset_cap = 0;
        P->keyset = hfc_malloc(cap * sizeof(uint64_t));
        if (!P->keyset) return hfc_fail(HFC_ERR_NOMEM, "out of memory checking duplicate keys");
        P->keyset_cap = cap;
    }
    uint64_t *table = P->keyset;
    memset(table, 0, cap * sizeof(uint64_t));
    const hfc_json_member *m = P->mems + base;
    size_t mask = cap - 1;
    uint64_t seed = json_hash_seed, ahead[HASH_AHEAD];
    for (size_t i = 0; i < n && i < HASH_AHEAD; i++) {
        ahead[i] = key_hash((const uint8_t *)m[i].key.u.s, m[i].key.len, seed);
        __builtin_prefetch(&table[ahead[i] & mask]);
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t h = ahead[i % HASH_AHEAD];
        if (i + HASH_AHEAD < n) {
            const hfc_json_value *k = &m[i + HASH_AHEAD].key;
            uint64_t next = key_hash((const uint8_t *)k->u.s, k->len, seed);
            ahead[i % HASH_AHEAD] = next;
            __builtin_prefetch(&table[next & mask]);
        }
        uint64_t tag = h & 0xFFFFFFFF00000000ull;
        for (size_t pos = (size_t)h & mask;; pos = (pos + 1) & mask) {
            uint64_t e = table[pos];
            if (e == 0) {
                table[pos] = tag | (uint64_t)(i + 1);
                break;
            }
            if ((e & 0xFFFFFFFF00000000ull) == tag &&
                keys_equal(&m[i].key, &m[(uint32_t)e - 1].key))
                return json_fail_duplicate(P, base + i);
        }
    }
    return HFC_OK;
}

static hfc_status check_duplicate_keys(json_parser *P, size_t base, size_t n) {
    if (n <= JSON_SMALL_OBJECT) return check_duplicates_small(P, base, n);
    return check_duplicates_hashed(P, base, n);
}

/* ---- the parse loop ---- */

/* A literal (true, false, null) at p. */
static hfc_status parse_literal(json_parser *P, const uint8_t **pp, hfc_json_value *v) {
    static const char *const words[3] = {"null", "false", "true"};
    const uint8_t *p = *pp;
    hfc_json_type type = *p == 'n' ? HFC_JSON_NULL : *p == 'f' ? HFC_JSON_FALSE : HFC_JSON_TRUE;
    const char *word = words[type];
    size_t n = strlen(word);
    if ((size_t)(P->end - p) < n || memcmp(p, word, n) != 0) {
        char expected[16];
        snprintf(expected, sizeof expected, "'%s'", word);
        size_t k = 1; /* point at the first wrong byte */
        while (k < n && p + k < P->end && p[k] == (uint8_t)word[k]) k++;
        return json_fail_expected(P, p + k, WHERE_NEXT_CHILD, expected);
    }
    *v = make_value(type, (size_t)(p - P->src));
    *pp = p + n;
    return HFC_OK;
}

/* A scalar value at p (p < end): string, number or literal. */
static inline hfc_status parse_scalar(json_parser *P, const uint8_t **pp, hfc_json_value *v) {
    switch (**pp) {
    case '"': return parse_string(P, pp, v, WHERE_NEXT_CHILD);
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9': return parse_number(P, pp, v);
    case 't': case 'f': case 'n': return parse_literal(P, pp, v);
    default: return json_fail_expected(P, *pp, WHERE_NEXT_CHILD, "a value");
    }
}

/* The whole document into *root. A state machine over the explicit stack:
 *   value:      read one value into its slot; '[' '{' push a frame instead
 *   key:        read an object key (in place, mems[nmems]) and ':'
 *   value_done: after a value, ',' continues the innermost container, ']' '}' close it
 *   close:      pop the innermost container into its parent's slot */
static hfc_status parse_document(json_parser *P, hfc_json_value *root) {
    const uint8_t *end = P->end;
    const uint8_t *p = skip_ws(P->src, end);
    hfc_json_value *slot;
    if (p == end) return json_fail(P, p, WHERE_CONTAINER, "empty input (expected a JSON value)");

value:
    if (HFC_UNLIKELY(p == end)) return json_fail_expected(P, p, WHERE_NEXT_CHILD, "a value");
    if (*p == '[' || *p == '{') {
        bool is_object = *p == '{';
        HFC_TRY(open_container(P, p, is_object));
        p = skip_ws(p + 1, end);
        if (p < end && *p == (is_object ? '}' : ']')) {
            p++;
            goto close;
        }
        if (is_object) goto key;
        goto value;
    }
    HFC_TRY(value_slot(P, root, &slot));
    HFC_TRY(parse_scalar(P, &p, slot));
    goto value_done;

key:
    if (HFC_UNLIKELY(p == end || *p != '"'))
        return json_fail_expected(P, p, WHERE_CONTAINER, "'\"' to start an object key");
    HFC_TRY(reserve_member(P));
    HFC_TRY(parse_string(P, &p, &P->mems[P->nmems].key, WHERE_CONTAINER));
    P->nmems++;
    p = skip_ws(p, end);
    if (HFC_UNLIKELY(p == end || *p != ':'))
        return json_fail_expected(P, p, WHERE_NEXT_CHILD, "':' after an object key");
    p = skip_ws(p + 1, end);
    goto value;

value_done:
    if (P->depth == 0) goto done;
    p = skip_ws(p, end);
    if (!P->frames[P->depth - 1].is_object) {
        P->nvals++; /* the item parsed in place at vals[nvals] */
        if (HFC_LIKELY(p < end && *p == ',')) {
            p = skip_ws(p + 1, end);
            goto value;
        }
        if (HFC_LIKELY(p < end && *p == ']')) {
            p++;
            goto close;
        }
        return json_fail_expected(P, p, WHERE_LAST_CHILD, "',' or ']' after an array item");
    }
    if (HFC_LIKELY(p < end && *p == ',')) {
        p = skip_ws(p + 1, end);
        goto key;
    }
    if (HFC_LIKELY(p < end && *p == '}')) {
        p++;
        goto close;
    }
    return json_fail_expected(P, p, WHERE_LAST_CHILD, "',' or '}' after an object member");

close:
    HFC_TRY(close_container(P, root));
    goto value_done;

done:
    p = skip_ws(p, end);
    if (p != end) {
        char found[48];
        return json_fail(P, p, WHERE_CONTAINER, "trailing characters after the JSON value: %s",
                         describe_byte(P, p, found));
    }
    if (P->utf8_bad != end) return json_fail_utf8(P, WHERE_CONTAINER); /* unreachable */
    P->value_count++;
    return HFC_OK;
}

static void parser_free(json_parser *P) {
    hfc_free(P->frames);
    hfc_free(P->vals);
    hfc_free(P->mems);
    hfc_free(P->keyset);
    hfc_free(P->numbuf);
}

/* ---- public API ---- */

/* One arena chunk sized from the input holds the whole DOM of a typical file (the DOM
 * of a pretty-printed tokenizer.json is 1.2-1.7x its size; untouched pages cost nothing),
 * and one big block is reused by malloc across parses instead of being unmapped. */
static size_t arena_chunk_for(size_t len) {
    const size_t max_chunk = (size_t)256 << 20;
    size_t chunk = len < max_chunk / 2 ? 2 * len : max_chunk;
    return chunk + 4096;
}

static hfc_status parse_into(hfc_json_doc *doc, const hfc_json_opts *opts) {
    const hfc_kernels *k = &hfc_kernels_active;
    json_parser P;
    memset(&P, 0, sizeof P);
    P.src = (const uint8_t *)doc->src;
    P.end = P.src + doc->len;
    P.string_span = k->json_string_span ? k->json_string_span : hfc_json_string_span_ref;
    size_t (*utf8_valid_prefix)(const uint8_t *, size_t) =
        k->utf8_valid_prefix ? k->utf8_valid_prefix : hfc_utf8_valid_prefix_ref;
    P.utf8_bad = P.src + utf8_valid_prefix(P.src, doc->len);
    P.arena = &doc->arena;
    P.name = doc->name;
    P.max_depth = opts && opts->max_depth ? opts->max_depth : HFC_JSON_DEFAULT_MAX_DEPTH;
    P.allow_duplicate_keys = opts && opts->allow_duplicate_keys;
    pthread_once(&json_once, json_init_once); /* hash seed */
    hfc_status st = parse_document(&P, &doc->root);
    doc->value_count = P.value_count;
    parser_free(&P);
    return st;
}

hfc_status hfc_json_parse(const char *buf, size_t len, const hfc_json_opts *opts,
                          hfc_json_doc **out) {
    *out = NULL;
    if (!buf && len) return hfc_fail(HFC_ERR_INVALID, "hfc_json_parse: NULL buffer");
    hfc_json_doc *doc = hfc_malloc(sizeof *doc);
    if (!doc) return hfc_fail(HFC_ERR_NOMEM, "out of memory allocating a JSON document");
    memset(doc, 0, sizeof *doc);
    doc->src = buf ? buf : "";
    doc->len = len;
    hfc_arena_init(&doc->arena, arena_chunk_for(len));
    const char *name = opts && opts->name ? opts->name : "<json>";
    doc->name = hfc_arena_strndup(&doc->arena, name, strlen(name));
    hfc_status st = doc->name ? parse_into(doc, opts)
                              : hfc_fail(HFC_ERR_NOMEM, "out of memory allocating a JSON document");
    if (st != HFC_OK) {
        hfc_json_free(doc);
        return st;
    }
    *out = doc;
    return HFC_OK;
}

hfc_status hfc_json_parse_file(const char *path, const hfc_json_opts *opts, hfc_json_doc **out) {
    *out = NULL;
    hfc_mmap *map;
    HFC_TRY(hfc_mmap_open(path, &map));
    hfc_json_opts o = opts ? *opts : (hfc_json_opts){0};
    if (!o.name) o.name = path;
    hfc_mmap_advise(map, 0, hfc_mmap_size(map), HFC_MMAP_SEQUENTIAL);
    hfc_status st = hfc_json_parse((const char *)hfc_mmap_data(map), hfc_mmap_size(map), &o, out);
    if (st != HFC_OK) {
        hfc_mmap_release(map);
        return st;
    }
    (*out)->map = map; /* the doc's strings point into the mapping: it keeps our reference */
    return HFC_OK;
}

void hfc_json_free(hfc_json_doc *doc) {
    if (!doc) return;
    hfc_arena_free(&doc->arena);
    hfc_mmap_release(doc->map);
    hfc_free(doc);
}

const hfc_json_value *hfc_json_root(const hfc_json_doc *doc) { return &doc->root; }

const char *hfc_json_source(const hfc_json_doc *doc, size_t *len) {
    if (len) *len = doc->len;
    return doc->src;
}

const char *hfc_json_name(const hfc_json_doc *doc) { return doc->name; }

size_t hfc_json_value_count(const hfc_json_doc *doc) { return doc->value_count; }

const hfc_json_value *hfc_json_get(const hfc_json_value *obj, const char *key, size_t keylen) {
    if (!obj || obj->type != HFC_JSON_OBJECT) return NULL;
    for (size_t i = obj->len; i-- > 0;) { /* from the end: the last duplicate wins */
        const hfc_json_member *m = &obj->u.members[i];
        if (m->key.len == keylen && (keylen == 0 || memcmp(m->key.u.s, key, keylen) == 0))
            return &m->value;
    }
    return NULL;
}

const char *hfc_json_type_name(hfc_json_type t) {
    static const char *const names[] = {"null", "false", "true",  "int",
                                        "double", "string", "array", "object"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "unknown";
}

void hfc_json_line_col(const hfc_json_doc *doc, size_t offset, size_t *line, size_t *col) {
    if (offset > doc->len) offset = doc->len;
    line_col(doc->src, offset, line, col);
}

hfc_status hfc_json_fail_at(const hfc_json_doc *doc, const hfc_json_value *at, const char *path,
                            const char *fmt, ...) {
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const char *name = doc ? doc->name : "<json>";
    if (!path) path = "$";
    if (!doc || !at || at->offset > doc->len)
        return hfc_fail(HFC_ERR_INVALID, "%s: %s: %s", name, path, what);
    size_t line, col;
    line_col(doc->src, at->offset, &line, &col);
    return hfc_fail(HFC_ERR_INVALID, "%s: byte %zu (line %zu, column %zu), %s: %s", name,
                    at->offset, line, col, path, what);
}

bool hfc_json_equal(const hfc_json_value *a, const hfc_json_value *b) {
    if (a->type != b->type || a->len != b->len) return false;
    if ((a->flags & HFC_JSON_F_BIGINT) != (b->flags & HFC_JSON_F_BIGINT)) return false;
    switch ((hfc_json_type)a->type) {
    case HFC_JSON_INT: return a->u.i == b->u.i;
    case HFC_JSON_DOUBLE: return memcmp(&a->u.d, &b->u.d, sizeof(double)) == 0;
    case HFC_JSON_STRING: return a->len == 0 || memcmp(a->u.s, b->u.s, a->len) == 0;
    case HFC_JSON_ARRAY:
        for (uint32_t i = 0; i < a->len; i++)
            if (!hfc_json_equal(&a->u.items[i], &b->u.items[i])) return false;
        return true;
    case HFC_JSON_OBJECT:
        for (uint32_t i = 0; i < a->len; i++)
            if (!hfc_json_equal(&a->u.members[i].key, &b->u.members[i].key) ||
                !hfc_json_equal(&a->u.members[i].value, &b->u.members[i].value))
                return false;
        return true;
    default: return true;
    }
}
