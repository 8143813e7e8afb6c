/* libFuzzer target for the JSON reader and writer.
 *
 * Each input is parsed with a small max_depth, with the defaults, and with duplicate
 * keys allowed; with the scalar kernels too, which must agree exactly with the active
 * ones. A success must give a well-formed DOM (checked value by value against the
 * source) that the writer turns, compact and indented, into text that parses back to
 * an equal DOM. A failure must be HFC_ERR_INVALID with a located message.
 *
 * Build with clang -fsanitize=fuzzer,address,undefined, linking every .c file of csrc/core
 * and csrc/core/arch/x86; run as  ./fuzz_json NEW_CORPUS_DIR tests/fuzz/corpus/json
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hfc/hfc.h"

#define REQUIRE(cond)                                                                    \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "fuzz_json: %s:%d: %s failed (last message: %s)\n", __FILE__, \
                    __LINE__, #cond, hfc_error_message());                               \
            abort();                                                                     \
        }                                                                                \
    } while (0)

/* ---- DOM checks ---- */

typedef struct walk {
    const uint8_t *src;
    size_t len;
    size_t values; /* counted, to compare with hfc_json_value_count */
} walk;

static bool keys_equal(const hfc_json_value *a, const hfc_json_value *b) {
    return a->len == b->len && memcmp(a->u.s, b->u.s, a->len) == 0;
}

static void check_string(const walk *w, const hfc_json_value *v) {
    REQUIRE(v->type == HFC_JSON_STRING);
    REQUIRE(v->offset < w->len && w->src[v->offset] == '"');
    REQUIRE(v->len == 0 || v->u.s != NULL);
    REQUIRE(hfc_utf8_valid_prefix_ref((const uint8_t *)v->u.s, v->len) == v->len);
    if (v->flags & HFC_JSON_F_COPIED) {
        REQUIRE(v->u.s[v->len] == '\0');
    } else {
        REQUIRE(v->flags == 0);
        REQUIRE((const uint8_t *)v->u.s == w->src + v->offset + 1); /* points into the source */
        REQUIRE(v->offset + 1 + v->len < w->len && w->src[v->offset + 1 + v->len] == '"');
        REQUIRE(!memchr(v->u.s, '\\', v->len));
    }
}

/* Every value well-formed and where the source says it is. Recursion is bounded by
 * max_depth (at most the default, 512). */
static void check_value(walk *w, const hfc_json_value *v, bool allow_dups) {
    w->values++;
    REQUIRE(v->offset < w->len);
    uint8_t c = w->src[v->offset];
    switch ((hfc_json_type)v->type) {
    case HFC_JSON_NULL: REQUIRE(c == 'n' && v->flags == 0); break;
    case HFC_JSON_FALSE: REQUIRE(c == 'f' && v->flags == 0); break;
    case HFC_JSON_TRUE: REQUIRE(c == 't' && v->flags == 0); break;
    case HFC_JSON_INT: REQUIRE((c == '-' || (c >= '0' && c <= '9')) && v->flags == 0); break;
    case HFC_JSON_DOUBLE:
        REQUIRE(c == '-' || (c >= '0' && c <= '9'));
        REQUIRE(v->u.d - v->u.d == 0); /* finite */
        REQUIRE((v->flags & ~HFC_JSON_F_BIGINT) == 0);
        break;
    case HFC_JSON_STRING: check_string(w, v); break;
    case HFC_JSON_ARRAY:
        REQUIRE(c == '[' && v->flags == 0 && (v->len == 0) == (v->u.items == NULL));
        for (uint32_t i = 0; i < v->len; i++) check_value(w, &v->u.items[i], allow_dups);
        break;
    case HFC_JSON_OBJECT:
        REQUIRE(c == '{' && v->flags == 0 && (v->len == 0) == (v->u.members == NULL));
        for (uint32_t i = 0; i < v->len; i++) {
            const hfc_json_member *m = &v->u.members[i];
            check_string(w, &m->key);
            REQUIRE(m->key.offset > v->offset && m->value.offset > m->key.offset);
            check_value(w, &m->value, allow_dups);
            if (!allow_dups && v->len <= 64)
                for (uint32_t j = 0; j < i; j++) REQUIRE(!keys_equal(&m->key, &v->u.members[j].key));
        }
        break;
    default: REQUIRE(!"unknown type");
    }
}


/* ---- one parse ---- */

/* Write `doc` with `indent`, parse the text back, require the same DOM. */
static void check_rewrite(const hfc_json_doc *doc, int indent, const hfc_json_opts *opts) {
    hfc_buf out = {0};
    REQUIRE(hfc_json_write_value(&out, hfc_json_root(doc), indent) == HFC_OK);
    REQUIRE(out.data != NULL);
    hfc_json_doc *again = NULL;
    hfc_status st = hfc_json_parse(out.data, out.len, opts, &again);
    if (st != HFC_OK) fprintf(stderr, "fuzz_json: rewritten text: %s\n", out.data);
    REQUIRE(st == HFC_OK);
    REQUIRE(hfc_json_equal(hfc_json_root(doc), hfc_json_root(again)));
    hfc_json_free(again);
    hfc_buf_free(&out);
}

/* The outcome of one parse: status, message, and the doc on success (caller frees). */
typedef struct outcome {
    hfc_status st;
    char message[HFC_ERROR_MESSAGE_MAX];
    hfc_json_doc *doc;
} outcome;

static void parse_checked(const uint8_t *data, size_t size, const hfc_json_opts *opts,
                          outcome *out) {
    out->doc = NULL;
    out->st = hfc_json_parse((const char *)data, size, opts, &out->doc);
    snprintf(out->message, sizeof out->message, "%s", hfc_error_message());
    if (out->st != HFC_OK) {
        REQUIRE(out->st == HFC_ERR_INVALID && out->doc == NULL);
        REQUIRE(out->message[0] != '\0' && strstr(out->message, "byte ") != NULL);
        return;
    }
    walk w = {data, size, 0};
    check_value(&w, hfc_json_root(out->doc), opts->allow_duplicate_keys);
    REQUIRE(w.values == hfc_json_value_count(out->doc));
    check_rewrite(out->doc, -1, opts);
    check_rewrite(out->doc, 2, opts);
}

static bool same_outcome(const outcome *a, const outcome *b) {
    if (a->st != b->st) return false;
    if (a->st != HFC_OK) return strcmp(a->message, b->message) == 0;
    return hfc_json_equal(hfc_json_root(a->doc), hfc_json_root(b->doc));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static hfc_isa best = HFC_ISA_SCALAR;
    static bool initialized = false;
    if (!initialized) {
        hfc_dispatch_init();
        best = hfc_isa_active();
        initialized = true;
    }
    static outcome shallow, deflt, dups, scalar;

    hfc_json_opts shallow_opts = {.max_depth = 4, .name = "fuzz.json"};
    parse_checked(data, size, &shallow_opts, &shallow);

    hfc_json_opts default_opts = {0};
    parse_checked(data, size, &default_opts, &deflt);
    if (shallow.st == HFC_OK) REQUIRE(same_outcome(&shallow, &deflt));

    hfc_json_opts dups_opts = {.allow_duplicate_keys = true};
    parse_checked(data, size, &dups_opts, &dups);
    if (deflt.st == HFC_OK) REQUIRE(same_outcome(&deflt, &dups));
    if (dups.st != HFC_OK) REQUIRE(deflt.st != HFC_OK);

    /* the scalar kernels must give exactly the same result, message included */
    if (best != HFC_ISA_SCALAR) {
        REQUIRE(hfc_dispatch_select(HFC_ISA_SCALAR) == HFC_OK);
        parse_checked(data, size, &default_opts, &scalar);
        REQUIRE(hfc_dispatch_select(best) == HFC_OK);
        REQUIRE(same_outcome(&deflt, &scalar));
        hfc_json_free(scalar.doc);
    }
    hfc_json_free(shallow.doc);
    hfc_json_free(deflt.doc);
    hfc_json_free(dups.doc);
    return 0;
}
