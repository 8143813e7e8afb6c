/* Strict JSON reader (RFC 8259) into an arena-allocated DOM, and a JSON writer.
 *
 * Strict means: the whole input must be exactly one JSON value plus whitespace; UTF-8
 * is validated (invalid bytes, overlongs, surrogates rejected); escapes are checked
 * (a \u surrogate must be a proper pair); nesting is limited to max_depth; numbers that
 * overflow a double (1e400) are rejected; duplicate object keys are rejected unless
 * allowed. Integer literals that fit int64 are HFC_JSON_INT; larger ones become
 * HFC_JSON_DOUBLE with HFC_JSON_F_BIGINT set.
 *
 * Every error message names the input (opts.name), the byte offset, line and column,
 * and the JSON path of the value being read, e.g.
 *   tokenizer.json: byte 1834 (line 52, column 17), $.model.merges[3]: expected ',' or ']'
 *
 * The parser is iterative (an explicit stack), so depth costs no C stack.
 */
#ifndef HFC_JSON_H
#define HFC_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "status.h"
#include "alloc.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hfc_json_type {
    HFC_JSON_NULL = 0,
    HFC_JSON_FALSE,
    HFC_JSON_TRUE,
    HFC_JSON_INT,    /* u.i */
    HFC_JSON_DOUBLE, /* u.d */
    HFC_JSON_STRING, /* u.s, len bytes, valid UTF-8, may contain NUL */
    HFC_JSON_ARRAY,  /* u.items[len] */
    HFC_JSON_OBJECT  /* u.members[len], in document order */
} hfc_json_type;

enum {
    HFC_JSON_F_BIGINT = 1, /* DOUBLE that was written as an integer outside int64 */
    HFC_JSON_F_COPIED = 2, /* STRING decoded into the arena (had escapes); NUL-terminated.
                              Otherwise u.s points into the source and is NOT terminated. */
};

typedef struct hfc_json_value hfc_json_value;
typedef struct hfc_json_member hfc_json_member;

struct hfc_json_value {
    uint8_t type;   /* hfc_json_type */
    uint8_t flags;  /* HFC_JSON_F_* */
    uint32_t len;   /* string bytes / array items / object members */
    size_t offset;  /* byte offset of the value's first byte in the source */
    union {
        int64_t i;
        double d;
        const char *s;
        hfc_json_value *items;
        hfc_json_member *members;
    } u;
};

struct hfc_json_member {
    hfc_json_value key; /* always HFC_JSON_STRING */
    hfc_json_value value;
};

typedef struct hfc_json_opts {
    uint32_t max_depth;        /* 0 -> HFC_JSON_DEFAULT_MAX_DEPTH */
    bool allow_duplicate_keys; /* default false: duplicate key is an error */
    const char *name;          /* shown in messages ("tokenizer.json"); NULL -> "<json>" */
} hfc_json_opts;

#define HFC_JSON_DEFAULT_MAX_DEPTH 512

typedef struct hfc_json_doc hfc_json_doc;

/* Parse buf[0..len). The doc may point into buf: keep buf alive and unchanged until
 * hfc_json_free. Errors: HFC_ERR_INVALID (syntax, UTF-8, depth, duplicates, range),
 * HFC_ERR_NOMEM. opts may be NULL. */
hfc_status hfc_json_parse(const char *buf, size_t len, const hfc_json_opts *opts,
                          hfc_json_doc **out);
/* Map the file and parse it; the doc owns the mapping. opts->name defaults to path. */
hfc_status hfc_json_parse_file(const char *path, const hfc_json_opts *opts,
                               hfc_json_doc **out);
void hfc_json_free(hfc_json_doc *doc);

const hfc_json_value *hfc_json_root(const hfc_json_doc *doc);
const char *hfc_json_source(const hfc_json_doc *doc, size_t *len); /* the parsed bytes */
const char *hfc_json_name(const hfc_json_doc *doc);
size_t hfc_json_value_count(const hfc_json_doc *doc); /* values in the DOM (statistics) */

/* ---- navigation ---- */
/* Member value of `obj` whose key equals key[0..keylen); the last one if duplicates were
 * allowed. NULL if obj is not an object or has no such key. Linear scan. */
const hfc_json_value *hfc_json_get(const hfc_json_value *obj, const char *key, size_t keylen);
static inline const hfc_json_value *hfc_json_getz(const hfc_json_value *obj, const char *key) {
    size_t n = 0;
    while (key[n]) n++;
    return hfc_json_get(obj, key, n);
}
static inline bool hfc_json_str_eq(const hfc_json_value *v, const char *s, size_t n) {
    if (!v || v->type != HFC_JSON_STRING || v->len != n) return false;
    for (size_t i = 0; i < n; i++)
        if (v->u.s[i] != s[i]) return false;
    return true;
}
const char *hfc_json_type_name(hfc_json_type t); /* "null", "string", "object", ... */
/* Same structure and values, bit for bit (doubles compared by bits; members in order). */
bool hfc_json_equal(const hfc_json_value *a, const hfc_json_value *b);

/* Record an HFC_ERR_INVALID failure about value `at` (may be NULL) of `doc`, located by
 * `path` (a JSON path the caller tracks, e.g. "$.model.vocab"), in the same format as
 * the parser's own errors. For consumers such as the tokenizer.json loader. */
hfc_status hfc_json_fail_at(const hfc_json_doc *doc, const hfc_json_value *at,
                            const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Line and column (1-based, column in bytes) of a byte offset in the doc's source. */
void hfc_json_line_col(const hfc_json_doc *doc, size_t offset, size_t *line, size_t *col);

/* ---- writer ----
 * Strings are escaped as serde_json does: '"' '\\' and control characters only
 * (\b \f \n \r \t, others \u00XX); everything else, including non-ASCII and '/', is
 * written as-is. Doubles use the shortest form that round-trips ("%.17g" fallback),
 * always with a '.' or exponent so they read back as doubles; a DOUBLE flagged
 * HFC_JSON_F_BIGINT is written as an integer literal instead (those shortest digits,
 * zero-padded: 1e+30 -> 1000000000000000000000000000000) so it reads back as the same
 * BIGINT. Number formatting never depends on the process locale. indent < 0: compact
 * (no spaces); indent >= 0: pretty like Python json.dumps(indent=n): a newline and that
 * many spaces per level, ": " after keys, empty containers as [] and {}. On failure `out`
 * may hold a partial document (still the caller's to free). */
hfc_status hfc_json_write_string(hfc_buf *out, const char *s, size_t n);
hfc_status hfc_json_write_double(hfc_buf *out, double d); /* HFC_ERR_INVALID for nan/inf */
hfc_status hfc_json_write_value(hfc_buf *out, const hfc_json_value *v, int indent);

#ifdef __cplusplus
}
#endif
#endif /* HFC_JSON_H */
