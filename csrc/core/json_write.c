/* JSON writer (see hfc/json.h): serde_json-compatible escaping, shortest round-trip
 * doubles, compact or pretty (Python json.dumps(indent=n) / serde PrettyFormatter).
 * Iterative like the reader, so a deep DOM costs no C stack. */
#include "hfc/json.h"

#include "hfc/cpu.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t write_once = PTHREAD_ONCE_INIT;
static locale_t write_c_locale;

static void write_init_once(void) { write_c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

/* ---- strings ---- */

static const char hex_digits[] = "0123456789abcdef";

/* The escape of one byte that needs it ('"', '\\' or < 0x20) into out; returns length. */
static size_t escape_byte(uint8_t c, char out[6]) {
    char short_form = 0;
    switch (c) {
    case '"': short_form = '"'; break;
    case '\\': short_form = '\\'; break;
    case '\b': short_form = 'b'; break;
    case '\f': short_form = 'f'; break;
    case '\n': short_form = 'n'; break;
    case '\r': short_form = 'r'; break;
    case '\t': short_form = 't'; break;
    }
    out[0] = '\\';
    if (short_form) {
        out[1] = short_form;
        return 2;
    }
    memcpy(out + 1, "u00", 3);
    out[4] = hex_digits[c >> 4];
    out[5] = hex_digits[c & 15];
    return 6;
}

hfc_status hfc_json_write_string(hfc_buf *out, const char *s, size_t n) {
    size_t (*span)(const uint8_t *, size_t) = hfc_kernels_active.json_string_span
                                                  ? hfc_kernels_active.json_string_span
                                                  : hfc_json_string_span_ref;
    HFC_TRY(hfc_buf_reserve(out, n + 2));
    HFC_TRY(hfc_buf_putc(out, '"'));
    const uint8_t *p = (const uint8_t *)s, *end = p + n;
    while (p < end) {
        size_t run = span(p, (size_t)(end - p)); /* bytes written as they are */
        HFC_TRY(hfc_buf_append(out, p, run));
        p += run;
        if (p == end) break;
        char esc[6];
        HFC_TRY(hfc_buf_append(out, esc, escape_byte(*p++, esc)));
    }
    return hfc_buf_putc(out, '"');
}

/* ---- numbers ---- */

static size_t format_int64(int64_t v, char out[24]) {
    char tmp[24];
    size_t n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v; /* INT64_MIN safe */
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t o = 0;
    if (v < 0) out[o++] = '-';
    while (n) out[o++] = tmp[--n];
    return o;
}

/* The shortest of 15, 16, 17 significant digits in "%<conv>" form that reads back as exactly d, in the "C" locale. */
static hfc_status format_shortest(double d, char conv, char out[40], size_t *len) {
    pthread_once(&write_once, write_init_once);
    locale_t c_loc = write_c_locale;
    if (!c_loc) return hfc_fail(HFC_ERR_NOMEM, "out of memory creating the C locale");
    locale_t old = uselocale(c_loc);
    char fmt[8] = {'%', '.', '*', conv, 0};
    int n = 0;
    for (int digits = 15; digits <= 17; digits++) { /* significant digits */
        n = snprintf(out, 40, fmt, conv == 'e' ? digits - 1 : digits, d);
        double back = strtod_l(out, NULL, c_loc);
        if (memcmp(&back, &d, sizeof d) == 0) break;
    }
    uselocale(old);
    *len = (size_t)n;
    return HFC_OK;
}

hfc_status hfc_json_write_double(hfc_buf *out, double d) {
    if (!isfinite(d))
        return hfc_fail(HFC_ERR_INVALID, "cannot write %s as JSON", isnan(d) ? "NaN" : "infinity");
    char s[40];
    size_t n;
    HFC_TRY(format_shortest(d, 'g', s, &n));
    if (!memchr(s, '.', n) && !memchr(s, 'e', n)) {
        memcpy(s + n, ".0", 2); /* so it reads back as a double, not an int */
        n += 2;
    }
    return hfc_buf_append(out, s, n);
}

/* A double that was written as an integer outside int64 (HFC_JSON_F_BIGINT): its
 * shortest round-trip digits as an integer literal, e.g. 1e+30 -> 1 and 30 zeros, so it
 * reads back as the same BIGINT. */
static hfc_status write_bigint(hfc_buf *out, double d) {
    if (!isfinite(d) || fabs(d) < 1e17) return hfc_json_write_double(out, d);
    char s[40];
    size_t n;
    HFC_TRY(format_shortest(d, 'e', s, &n)); /* -?D.DDDDe+XX */
    const char *e = memchr(s, 'e', n);
    long exp10 = strtol(e + 1, NULL, 10);
    char digits[24];
    size_t nd = 0;
    for (const char *p = s; p < e; p++)
        if (*p >= '0' && *p <= '9') digits[nd++] = *p;
    if (d < 0) HFC_TRY(hfc_buf_putc(out, '-'));
    HFC_TRY(hfc_buf_append(out, digits, nd));
    for (long z = exp10 + 1 - (long)nd; z > 0; z--) HFC_TRY(hfc_buf_putc(out, '0'));
    return HFC_OK;
}

/* ---- values ---- */

static hfc_status write_scalar(hfc_buf *out, const hfc_json_value *v) {
    char s[24];
    switch ((hfc_json_type)v->type) {
    case HFC_JSON_NULL: return hfc_buf_append(out, "null", 4);
    case HFC_JSON_FALSE: return hfc_buf_append(out, "false", 5);
    case HFC_JSON_TRUE: return hfc_buf_append(out, "true", 4);
    case HFC_JSON_INT: return hfc_buf_append(out, s, format_int64(v->u.i, s));
    case HFC_JSON_DOUBLE:
        if (v->flags & HFC_JSON_F_BIGINT) return write_bigint(out, v->u.d);
        return hfc_json_write_double(out, v->u.d);
    case HFC_JSON_STRING: return hfc_json_write_string(out, v->u.s, v->len);
    case HFC_JSON_ARRAY: return hfc_buf_append(out, "[]", 2); /* empty: see write_tree */
    case HFC_JSON_OBJECT: return hfc_buf_append(out, "{}", 2);
    }
    return hfc_fail(HFC_ERR_INVALID, "cannot write a JSON value of unknown type %d", v->type);
}

static hfc_status write_newline_indent(hfc_buf *out, size_t spaces) {
    HFC_TRY(hfc_buf_reserve(out, spaces + 1));
    out->data[out->len++] = '\n';
    memset(out->data + out->len, ' ', spaces);
    out->len += spaces;
    out->data[out->len] = '\0';
    return HFC_OK;
}

typedef struct write_frame {
    const hfc_json_value *container; /* non-empty array or object */
    uint32_t next;                   /* index of the next child to write */
} write_frame;

typedef struct write_stack {
    write_frame *frames;
    size_t depth, cap;
    write_frame local[32]; /* enough for nearly every document without allocating */
} write_stack;

static hfc_status write_push(write_stack *st, const hfc_json_value *container) {
    if (st->depth == st->cap) {
        size_t cap = st->cap * 2;
        write_frame *f = hfc_malloc(cap * sizeof *f); /* cap <= 2^32 frames: no overflow */
        if (!f) return hfc_fail(HFC_ERR_NOMEM, "out of memory writing JSON");
        memcpy(f, st->frames, st->depth * sizeof *f);
        if (st->frames != st->local) hfc_free(st->frames);
        st->frames = f;
        st->cap = cap;
    }
    st->frames[st->depth].container = container;
    st->frames[st->depth].next = 0;
    st->depth++;
    return HFC_OK;
}

static bool is_open_container(const hfc_json_value *v) {
    return (v->type == HFC_JSON_ARRAY || v->type == HFC_JSON_OBJECT) && v->len > 0;
}

/* Depth-first over the tree: `v` is the next value to write; after each value the
 * innermost frame either closes or emits its separator, indentation and key. */
static hfc_status write_tree(hfc_buf *out, const hfc_json_value *v, int indent, write_stack *st) {
    bool pretty = indent >= 0;
    size_t step = pretty ? (size_t)indent : 0;
    for (;;) {
        if (is_open_container(v)) {
            HFC_TRY(hfc_buf_putc(out, v->type == HFC_JSON_ARRAY ? '[' : '{'));
            HFC_TRY(write_push(st, v));
        } else {
            HFC_TRY(write_scalar(out, v));
        }
        for (;;) { /* find the next value, closing finished containers */
            if (st->depth == 0) return HFC_OK;
            write_frame *f = &st->frames[st->depth - 1];
            const hfc_json_value *c = f->container;
            if (f->next == c->len) {
                st->depth--;
                if (pretty) HFC_TRY(write_newline_indent(out, st->depth * step));
                HFC_TRY(hfc_buf_putc(out, c->type == HFC_JSON_ARRAY ? ']' : '}'));
                continue;
            }
            if (f->next > 0) HFC_TRY(hfc_buf_putc(out, ','));
            if (pretty) HFC_TRY(write_newline_indent(out, st->depth * step));
            if (c->type == HFC_JSON_ARRAY) {
                v = &c->u.items[f->next++];
                break;
            }
            const hfc_json_member *m = &c->u.members[f->next++];
            if (m->key.type != HFC_JSON_STRING)
                return hfc_fail(HFC_ERR_INVALID, "cannot write an object key of type %s",
                                hfc_json_type_name((hfc_json_type)m->key.type));
            HFC_TRY(hfc_json_write_string(out, m->key.u.s, m->key.len));
            HFC_TRY(pretty ? hfc_buf_append(out, ": ", 2) : hfc_buf_putc(out, ':'));
            v = &m->value;
            break;
        }
    }
}

hfc_status hfc_json_write_value(hfc_buf *out, const hfc_json_value *v, int indent) {
    write_stack st;
    st.frames = st.local;
    st.depth = 0;
    st.cap = sizeof st.local / sizeof st.local[0];
    hfc_status status = write_tree(out, v, indent, &st);
    if (st.frames != st.local) hfc_free(st.frames);
    return status;
}
