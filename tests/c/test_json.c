/* JSON reader/writer tests: every value type, escapes, malformed input with offsets and
 * paths, depth, numbers, UTF-8, duplicate keys, the real tokenizer.json fixtures, and
 * out-of-memory at every allocation. */
#include "test.h"

#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <unistd.h>

/* ---- helpers ---- */

static hfc_json_doc *parse_n(const char *s, size_t n) {
    hfc_json_doc *doc = NULL;
    hfc_status st = hfc_json_parse(s, n, NULL, &doc);
    CHECK_OK(st);
    return doc;
}

static hfc_json_doc *parse(const char *s) { return parse_n(s, strlen(s)); }

/* Parse must fail with HFC_ERR_INVALID, the message naming `offset`, `path` and `what`. */
static void expect_error_opts(const char *s, size_t n, const hfc_json_opts *opts, size_t offset,
                              const char *path, const char *what, int line) {
    hfc_json_doc *doc = (hfc_json_doc *)1;
    hfc_status st = hfc_json_parse(s, n, opts, &doc);
    test_checks_++;
    char at[64];
    snprintf(at, sizeof at, ": byte %zu (", offset);
    char where[256]; /* "*..." : the path is shortened; only check that it contains ... */
    snprintf(where, sizeof where, path[0] == '*' ? "%s" : "), %s: ", path + (path[0] == '*'));
    const char *msg = hfc_error_message();
    if (st != HFC_ERR_INVALID || doc != NULL || !strstr(msg, at) || !strstr(msg, where) ||
        !strstr(msg, what)) {
        test_failures_++;
        fprintf(stderr, "%s:%d: %s: input %.60s: got %s \"%s\", want byte %zu, path %s, \"%s\"\n",
                __FILE__, line, test_current_, s, hfc_status_name(st), msg, offset, path, what);
    }
    if (st == HFC_OK) hfc_json_free(doc);
}

#define EXPECT_ERROR(s, offset, path, what)                                              \
    expect_error_opts((s), strlen(s), NULL, (offset), (path), (what), __LINE__)
#define EXPECT_ERROR_N(s, n, offset, path, what)                                         \
    expect_error_opts((s), (n), NULL, (offset), (path), (what), __LINE__)

/* v written with `indent`, as a malloc'd string (NULL on failure). */
static char *write_json(const hfc_json_value *v, int indent) {
    hfc_buf b = {0};
    if (hfc_json_write_value(&b, v, indent) != HFC_OK) {
        hfc_buf_free(&b);
        return NULL;
    }
    char *s = strdup(b.data ? b.data : "");
    hfc_buf_free(&b);
    return s;
}


/* Written compactly and pretty, `s` reads back as the same DOM. */
static void check_roundtrip(const char *s) {
    hfc_json_doc *doc = parse(s);
    if (!doc) return;
    for (int indent = -1; indent <= 4; indent += 2) {
        char *out = write_json(hfc_json_root(doc), indent);
        CHECK(out != NULL);
        if (!out) continue;
        hfc_json_doc *again = parse(out);
        CHECK(again && hfc_json_equal(hfc_json_root(doc), hfc_json_root(again)));
        hfc_json_free(again);
        free(out);
    }
    hfc_json_free(doc);
}

/* Every ISA level this CPU has, so kernels are exercised through the parser. */
static int isa_levels(hfc_isa *out) {
    int n = 0;
    for (int i = 0; i <= (int)hfc_isa_detected(); i++) {
        hfc_kernels k;
        if (hfc_kernels_for((hfc_isa)i, &k) == HFC_OK) out[n++] = (hfc_isa)i;
    }
    return n;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static char *nested_arrays(size_t depth, const char *inner);

/* ---- valid documents ---- */

static void test_scalars(void) {
    hfc_json_doc *doc = parse("null");
    CHECK(doc && hfc_json_root(doc)->type == HFC_JSON_NULL);
    hfc_json_free(doc);
    doc = parse(" \t\r\ntrue \n");
    CHECK(doc && hfc_json_root(doc)->type == HFC_JSON_TRUE && hfc_json_root(doc)->offset == 4);
    hfc_json_free(doc);
    doc = parse("false");
    CHECK(doc && hfc_json_root(doc)->type == HFC_JSON_FALSE);
    hfc_json_free(doc);
    doc = parse("-42");
    CHECK(doc && hfc_json_root(doc)->type == HFC_JSON_INT && hfc_json_root(doc)->u.i == -42);
    hfc_json_free(doc);
    doc = parse("2.5e-3");
    CHECK(doc && hfc_json_root(doc)->type == HFC_JSON_DOUBLE && hfc_json_root(doc)->u.d == 2.5e-3);
    hfc_json_free(doc);
    const char *src = "\"hello\"";
    doc = parse(src);
    const hfc_json_value *v = doc ? hfc_json_root(doc) : NULL;
    CHECK(v && v->type == HFC_JSON_STRING && v->len == 5 && v->flags == 0);
    CHECK(v && v->u.s == src + 1); /* no escapes: points into the source */
    CHECK(v && hfc_json_str_eq(v, "hello", 5));
    hfc_json_free(doc);
}

static void test_containers(void) {
    const char *src = "{\"a\": [1, 2.0, \"x\", null, true, false, [], {}], \"b\": {\"c\": -0}}";
    hfc_json_doc *doc = parse(src);
    if (!doc) return;
    const hfc_json_value *root = hfc_json_root(doc);
    CHECK(root->type == HFC_JSON_OBJECT && root->len == 2 && root->offset == 0);
    const hfc_json_value *a = hfc_json_getz(root, "a");
    CHECK(a && a->type == HFC_JSON_ARRAY && a->len == 8 && a->offset == 6);
    if (a && a->len == 8) {
        static const hfc_json_type want[8] = {HFC_JSON_INT,   HFC_JSON_DOUBLE, HFC_JSON_STRING,
                                              HFC_JSON_NULL,  HFC_JSON_TRUE,   HFC_JSON_FALSE,
                                              HFC_JSON_ARRAY, HFC_JSON_OBJECT};
        for (int i = 0; i < 8; i++) CHECK_EQ_INT(a->u.items[i].type, want[i]);
        CHECK_EQ_INT(a->u.items[1].offset, 10);
        CHECK(a->u.items[6].len == 0 && a->u.items[7].len == 0);
    }
    const hfc_json_value *c = hfc_json_getz(hfc_json_getz(root, "b"), "c");
    CHECK(c && c->type == HFC_JSON_INT && c->u.i == 0);
    CHECK(hfc_json_getz(root, "zz") == NULL);
    CHECK(hfc_json_getz(a, "a") == NULL); /* not an object */
    CHECK(hfc_json_get(NULL, "a", 1) == NULL);
    CHECK_EQ_INT(hfc_json_value_count(doc), 1 + 2 + 8 + 1);
    size_t len = 0;
    CHECK(hfc_json_source(doc, &len) == src && len == strlen(src));
    CHECK(strcmp(hfc_json_name(doc), "<json>") == 0);
    hfc_json_free(doc);
    hfc_json_free(NULL);

    CHECK(strcmp(hfc_json_type_name(HFC_JSON_OBJECT), "object") == 0);
    CHECK(strcmp(hfc_json_type_name(HFC_JSON_STRING), "string") == 0);
    CHECK(strcmp(hfc_json_type_name(HFC_JSON_NULL), "null") == 0);
    CHECK(strcmp(hfc_json_type_name((hfc_json_type)99), "unknown") == 0);
}

static void test_get_last_duplicate(void) {
    hfc_json_opts opts = {.allow_duplicate_keys = true, .name = "dups.json"};
    hfc_json_doc *doc = NULL;
    const char *s = "{\"a\":1,\"b\":2,\"a\":3,\"\":4}";
    CHECK_OK(hfc_json_parse(s, strlen(s), &opts, &doc));
    if (!doc) return;
    const hfc_json_value *a = hfc_json_getz(hfc_json_root(doc), "a");
    CHECK(a && a->type == HFC_JSON_INT && a->u.i == 3);
    const hfc_json_value *empty = hfc_json_get(hfc_json_root(doc), "", 0);
    CHECK(empty && empty->u.i == 4);
    CHECK(strcmp(hfc_json_name(doc), "dups.json") == 0);
    hfc_json_free(doc);
}

/* ---- strings ---- */

static void check_string(const char *json, const char *want, size_t want_len, bool copied) {
    hfc_json_doc *doc = parse(json);
    if (!doc) return;
    const hfc_json_value *v = hfc_json_root(doc);
    test_checks_++;
    if (v->type != HFC_JSON_STRING || v->len != want_len || memcmp(v->u.s, want, want_len) != 0 ||
        ((v->flags & HFC_JSON_F_COPIED) != 0) != copied ||
        (copied && v->u.s[want_len] != '\0')) {
        test_failures_++;
        fprintf(stderr, "%s: string %s decoded wrong (len %u, flags %u)\n", test_current_, json,
                v->len, v->flags);
    }
    hfc_json_free(doc);
}

static void test_strings(void) {
    check_string("\"\"", "", 0, false);
    check_string("\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",
                 14, false);
    check_string("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 8, true);
    check_string("\"\\u00e9\\u00E9\"", "\xC3\xA9\xC3\xA9", 4, true);
    check_string("\"\\u20AC\"", "\xE2\x82\xAC", 3, true);
    check_string("\"\\u0041\\u007f\\u0080\\u07FF\\u0800\\uFFFF\"",
                 "A\x7F\xC2\x80\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF", 12, true);
    check_string("\"\\uD83D\\uDE00\"", "\xF0\x9F\x98\x80", 4, true);       /* U+1F600 */
    check_string("\"\\ud800\\udc00\"", "\xF0\x90\x80\x80", 4, true);       /* U+10000 */
    check_string("\"\\uDBFF\\uDFFF\"", "\xF4\x8F\xBF\xBF", 4, true);       /* U+10FFFF */
    check_string("\"a\\u0000b\"", "a\0b", 3, true);                       /* embedded NUL */
    check_string("\"\\u0000\"", "\0", 1, true);
    check_string("\"x\\ny\\u00e9z\"", "x\ny\xC3\xA9z", 6, true);
    /* long strings cross the inline 16-byte check and the kernel */
    char json[300], want[300];
    for (int i = 0; i < 200; i++) want[i] = (char)('a' + i % 26);
    json[0] = '"';
    memcpy(json + 1, want, 200);
    strcpy(json + 201, "\\tend\"");
    memcpy(want + 200, "\tend", 4);
    check_string(json, want, 204, true);
    json[201] = '"';
    json[202] = '\0';
    check_string(json, want, 200, false);
    /* raw DEL and every printable ASCII byte are fine */
    check_string("\"\x7F ~!#$%&'()*+,-./:;<=>?@[]^_`{|}\"", "\x7F ~!#$%&'()*+,-./:;<=>?@[]^_`{|}", 32,
                 false);
}

/* ---- writer ---- */

static void check_write(const char *json, int indent, const char *want) {
    hfc_json_doc *doc = parse(json);
    if (!doc) return;
    char *out = write_json(hfc_json_root(doc), indent);
    test_checks_++;
    if (!out || strcmp(out, want) != 0) {
        test_failures_++;
        fprintf(stderr, "%s: write(%s, %d) = %s, want %s\n", test_current_, json, indent,
                out ? out : "(failed)", want);
    }
    free(out);
    hfc_json_free(doc);
}

static void test_write_values(void) {
    const char *doc = "{\"a\": [1, 2.5, {}], \"b\": {\"c\": null, \"d\": [true, false]}, \"e\": [], "
                      "\"f\": \"x\\u00e9\\n\"}";
    check_write(doc, -1, "{\"a\":[1,2.5,{}],\"b\":{\"c\":null,\"d\":[true,false]},\"e\":[],"
                         "\"f\":\"x\xC3\xA9\\n\"}");
    /* == json.dumps(obj, indent=2, ensure_ascii=False) */
    check_write(doc, 2,
                "{\n  \"a\": [\n    1,\n    2.5,\n    {}\n  ],\n  \"b\": {\n    \"c\": null,\n"
                "    \"d\": [\n      true,\n      false\n    ]\n  },\n  \"e\": [],\n"
                "  \"f\": \"x\xC3\xA9\\n\"\n}");
    check_write("[1,[2]]", 0, "[\n1,\n[\n2\n]\n]");
    check_write("[]", 2, "[]");
    check_write("{}", 2, "{}");
    check_write("\"s\"", 2, "\"s\"");
    check_write("[-9223372036854775808, 9223372036854775807, 0, -0]", -1,
                "[-9223372036854775808,9223372036854775807,0,0]");
    check_write("[123456789012345678901234567890, -1e30, 9223372036854775808]", -1, /* BIGINT */
                "[123456789012345680000000000000,-1e+30,9223372036854776000]");
    check_write("[1e30, -18446744073709551616]", -1, "[1e+30,-18446744073709552000]");
}

static void test_write_strings(void) {
    hfc_buf b = {0};
    CHECK_OK(hfc_json_write_string(&b, "a\"b\\c/d\x01\x1f\x7f\b\f\n\r\t\xC3\xA9", 17));
    CHECK(b.data && strcmp(b.data, "\"a\\\"b\\\\c/d\\u0001\\u001f\x7f\\b\\f\\n\\r\\t\xC3\xA9\"") == 0);
    b.len = 0;
    CHECK_OK(hfc_json_write_string(&b, "x\0y", 3));
    CHECK(b.data && strcmp(b.data, "\"x\\u0000y\"") == 0);
    b.len = 0;
    CHECK_OK(hfc_json_write_string(&b, "", 0));
    CHECK(b.data && strcmp(b.data, "\"\"") == 0);
    hfc_buf_free(&b);
}

static void check_double(double d, const char *want) {
    hfc_buf b = {0};
    CHECK_OK(hfc_json_write_double(&b, d));
    test_checks_++;
    if (!b.data || strcmp(b.data, want) != 0) {
        test_failures_++;
        fprintf(stderr, "%s: write_double(%.17g) = %s, want %s\n", test_current_, d,
                b.data ? b.data : "(null)", want);
    }
    hfc_buf_free(&b);
}

static void test_write_doubles(void) {
    check_double(0.1, "0.1");
    check_double(1.0, "1.0");
    check_double(-0.0, "-0.0");
    check_double(0.0, "0.0");
    check_double(100.0, "100.0");
    check_double(1e300, "1e+300");
    check_double(0.30000000000000004, "0.30000000000000004");
    check_double(1.0 / 3, "0.3333333333333333");
    check_double(5e-324, "4.94065645841247e-324"); /* 15 digits already round-trip */
    check_double(1.7976931348623157e308, "1.7976931348623157e+308");
    check_double(123456789.0, "123456789.0");
    check_double(1e16, "1e+16");
    hfc_buf b = {0};
    CHECK_STATUS(hfc_json_write_double(&b, NAN), HFC_ERR_INVALID);
    CHECK_MSG("NaN");
    CHECK_STATUS(hfc_json_write_double(&b, INFINITY), HFC_ERR_INVALID);
    CHECK_STATUS(hfc_json_write_double(&b, -INFINITY), HFC_ERR_INVALID);
    CHECK_MSG("infinity");
    /* a DOM holding a nan cannot be written either */
    hfc_json_value v = {.type = HFC_JSON_DOUBLE, .u.d = NAN};
    hfc_json_value arr = {.type = HFC_JSON_ARRAY, .len = 1, .u.items = &v};
    CHECK_STATUS(hfc_json_write_value(&b, &arr, -1), HFC_ERR_INVALID);
    hfc_buf_free(&b);
    /* random doubles: shortest output reads back to the same bits */
    for (int i = 0; i < 2000; i++) {
        uint64_t bits = rng();
        double d;
        memcpy(&d, &bits, sizeof d);
        if (!isfinite(d)) continue;
        hfc_buf out = {0};
        CHECK_OK(hfc_json_write_double(&out, d));
        hfc_json_doc *doc = out.data ? parse(out.data) : NULL;
        const hfc_json_value *r = doc ? hfc_json_root(doc) : NULL;
        CHECK(r && r->type == HFC_JSON_DOUBLE && memcmp(&r->u.d, &d, sizeof d) == 0);
        hfc_json_free(doc);
        hfc_buf_free(&out);
    }
}

static void test_roundtrip(void) {
    char *deep = nested_arrays(40, "{\"k\":[]}");
    check_roundtrip(deep);
    free(deep);
    check_roundtrip("{\"a\": [1, 2.5, {}], \"b\": {\"c\": null}, \"e\": [], \"f\": \"\\u0000\\u001f\"}");
    check_roundtrip("[1e300, -1e-300, 5e-324, 0.1, -0.0, 123456789012345678901234567890]");
    check_roundtrip("[-9223372036854775808, 9223372036854775807, -9223372036854775809]");
    check_roundtrip("\"\\ud83d\\ude00 \\\" \\\\ \\/ \\b\\f\\n\\r\\t \xE2\x82\xAC\"");
    check_roundtrip("{\"\":{\"\":{\"\":\"\"}}}");
}

/* ---- malformed input ---- */

typedef struct bad_doc {
    const char *json;
    size_t offset;
    const char *path;
    const char *what;
} bad_doc;

static const bad_doc bad_docs[] = {
    {"", 0, "$", "empty input"},
    {"  \n ", 4, "$", "empty input"},
    {"[", 1, "$[0]", "expected a value, found end of input"},
    {"[1", 2, "$[0]", "expected ',' or ']' after an array item, found end of input"},
    {"[1,", 3, "$[1]", "expected a value, found end of input"},
    {"[1,]", 3, "$[1]", "expected a value, found ']'"},
    {"[\"a\",,]", 5, "$[1]", "expected a value, found ','"},
    {"[1 2]", 3, "$[0]", "expected ',' or ']'"},
    {"{", 1, "$", "expected '\"' to start an object key, found end of input"},
    {"{\"a\"", 4, "$.a", "expected ':' after an object key, found end of input"},
    {"{\"a\" 1}", 5, "$.a", "expected ':' after an object key, found '1'"},
    {"{\"a\":", 5, "$.a", "expected a value, found end of input"},
    {"{\"a\":}", 5, "$.a", "expected a value, found '}'"},
    {"{\"a\":1", 6, "$.a", "expected ',' or '}' after an object member"},
    {"{\"a\":1 \"b\":2}", 7, "$.a", "expected ',' or '}'"},
    {"{\"a\":1,}", 7, "$", "expected '\"' to start an object key, found '}'"},
    {"{a:1}", 1, "$", "found 'a'"},
    {"{'a':1}", 1, "$", "found '''"},
    {"1 2", 2, "$", "trailing characters after the JSON value: '2'"},
    {"[]]", 2, "$", "trailing characters"},
    {"{}x", 2, "$", "trailing characters"},
    {"01", 0, "$", "invalid number: leading zero"},
    {"-01", 1, "$", "invalid number: leading zero"},
    {"[00]", 1, "$[0]", "leading zero"},
    {"+1", 0, "$", "expected a value, found '+'"},
    {".5", 0, "$", "expected a value, found '.'"},
    {"1.", 2, "$", "expected a digit after '.', found end of input"},
    {"[1.e5]", 3, "$[0]", "expected a digit after '.', found 'e'"},
    {"1e", 2, "$", "expected a digit in the exponent"},
    {"1e+", 3, "$", "expected a digit in the exponent"},
    {"1E-x", 3, "$", "expected a digit in the exponent, found 'x'"},
    {"-", 1, "$", "expected a digit after '-'"},
    {"[-]", 2, "$[0]", "expected a digit after '-', found ']'"},
    {"NaN", 0, "$", "expected a value, found 'N'"},
    {"Infinity", 0, "$", "found 'I'"},
    {"-Infinity", 1, "$", "expected a digit after '-', found 'I'"},
    {"0x10", 1, "$", "trailing characters after the JSON value: 'x'"},
    {"tru", 3, "$", "expected 'true', found end of input"},
    {"nul1", 3, "$", "expected 'null', found '1'"},
    {"[falsy]", 5, "$[0]", "expected 'false', found 'y'"},
    {"fals", 4, "$", "expected 'false'"},
    {"True", 0, "$", "found 'T'"},
    {"\"abc", 0, "$", "unterminated string"},
    {"[\"a\\", 1, "$[0]", "unterminated string"},
    {"\"a\\\"", 0, "$", "unterminated string"},
    {"\"a\nb\"", 2, "$", "raw control character 0x0a in string (must be escaped)"},
    {"{\"k\":\"\t\"}", 6, "$.k", "raw control character 0x09"},
    {"{\"k\x01\":1}", 3, "$", "raw control character 0x01"},
    {"\"\\x\"", 1, "$", "invalid escape: backslash followed by 'x'"},
    {"\"\\U0041\"", 1, "$", "invalid escape"},
    {"\"\\u12\"", 1, "$", "invalid \\u escape (expected 4 hex digits)"},
    {"\"ab\\u12G4\"", 3, "$", "invalid \\u escape"},
    {"\"\\uD800\"", 1, "$", "unpaired high surrogate \\uD800"},
    {"\"\\uD800\\u0041\"", 1, "$", "unpaired high surrogate"},
    {"\"\\uD800\\n\"", 1, "$", "unpaired high surrogate"},
    {"\"\\uDBFF\\uDBFF\"", 1, "$", "unpaired high surrogate \\uDBFF"},
    {"\"x\\uDC00\"", 2, "$", "unpaired low surrogate \\uDC00"},
    {"[1e400]", 1, "$[0]", "number out of range"},
    {"-1e400", 0, "$", "number out of range"},
    {"{\"a\":1,\"a\":2}", 7, "$.a", "duplicate key \"a\""},
    {"\xEF\xBB\xBF{}", 0, "$", "expected a value, found byte 0xef"}, /* BOM */
    {"[1]\x7f", 3, "$", "trailing characters after the JSON value: byte 0x7f"},
    {"/* c */ 1", 0, "$", "found '/'"},
    {"[1,\n  2,\n  x]", 11, "$[2]", "(line 3, column 3), $[2]: expected a value, found 'x'"},
};

static void test_malformed(void) {
    hfc_isa levels[HFC_ISA_COUNT], active = hfc_isa_active();
    int nlevels = isa_levels(levels);
    for (int l = 0; l < nlevels; l++) {
        CHECK_OK(hfc_dispatch_select(levels[l]));
        for (size_t i = 0; i < sizeof bad_docs / sizeof bad_docs[0]; i++) {
            const bad_doc *b = &bad_docs[i];
            expect_error_opts(b->json, strlen(b->json), NULL, b->offset, b->path, b->what,
                              __LINE__);
        }
        /* NUL bytes: inside a string and after the value */
        EXPECT_ERROR_N("\"a\0\"", 4, 2, "$", "raw control character 0x00");
        EXPECT_ERROR_N("1\0", 2, 1, "$", "trailing characters after the JSON value: byte 0x00");
        EXPECT_ERROR_N("[1\0", 3, 2, "$[0]", "found byte 0x00");
    }
    CHECK_OK(hfc_dispatch_select(active));
    /* the name comes first */
    hfc_json_opts opts = {.name = "tokenizer.json"};
    hfc_json_doc *doc;
    CHECK_STATUS(hfc_json_parse("[1,]", 4, &opts, &doc), HFC_ERR_INVALID);
    CHECK(strcmp(hfc_error_message(),
                 "tokenizer.json: byte 3 (line 1, column 4), $[1]: expected a value, found ']'") == 0);
    CHECK(doc == NULL);
    /* NULL buffer */
    CHECK_STATUS(hfc_json_parse(NULL, 3, NULL, &doc), HFC_ERR_INVALID);
    CHECK_STATUS(hfc_json_parse(NULL, 0, NULL, &doc), HFC_ERR_INVALID);
    CHECK_MSG("empty input");
}

/* ---- nesting depth ---- */

static char *nested_arrays(size_t depth, const char *inner) {
    size_t n = strlen(inner);
    char *s = malloc(2 * depth + n + 1);
    memset(s, '[', depth);
    memcpy(s + depth, inner, n);
    memset(s + depth + n, ']', depth);
    s[2 * depth + n] = '\0';
    return s;
}

static void test_depth(void) {
    char *s = nested_arrays(HFC_JSON_DEFAULT_MAX_DEPTH, "1");
    hfc_json_doc *doc = parse(s);
    hfc_json_free(doc);
    free(s);
    s = nested_arrays(HFC_JSON_DEFAULT_MAX_DEPTH + 1, "1");
    EXPECT_ERROR(s, HFC_JSON_DEFAULT_MAX_DEPTH, "*$[0][0][0]", "[0][0]: nesting depth exceeds max_depth (512)");
    free(s);

    hfc_json_opts opts = {.max_depth = 3};
    const char *ok = "{\"a\":{\"b\":[1]}}", *deep = "{\"a\":{\"b\":[{}]}}";
    CHECK_OK(hfc_json_parse(ok, strlen(ok), &opts, &doc));
    hfc_json_free(doc);
    expect_error_opts(deep, strlen(deep), &opts, 11, "$.a.b[0]", "max_depth (3)", __LINE__);
    opts.max_depth = 1;
    CHECK_OK(hfc_json_parse("[1,2]", 5, &opts, &doc));
    hfc_json_free(doc);
    expect_error_opts("[[]]", 4, &opts, 1, "$[0]", "max_depth (1)", __LINE__);
    CHECK_OK(hfc_json_parse("7", 1, &opts, &doc)); /* scalars have depth 0 */
    hfc_json_free(doc);

    /* 100000 '[' stop at the limit: no recursion, no stack growth past max_depth */
    size_t n = 100000;
    s = malloc(n + 1);
    memset(s, '[', n);
    s[n] = '\0';
    EXPECT_ERROR(s, HFC_JSON_DEFAULT_MAX_DEPTH, "*$[0][0]", "[0]: nesting depth exceeds max_depth (512)");
    CHECK(strlen(hfc_error_message()) < HFC_ERROR_MESSAGE_MAX - 1); /* path was shortened */
    CHECK_MSG("\xE2\x80\xA6");
    free(s);

    /* a deep document with a raised limit parses, writes back, and frees without recursion */
    opts.max_depth = 200000;
    s = nested_arrays(n, "");
    CHECK_OK(hfc_json_parse(s, 2 * n, &opts, &doc));
    if (doc) {
        char *out = write_json(hfc_json_root(doc), -1);
        CHECK(out && strcmp(out, s) == 0);
        free(out);
        hfc_json_free(doc);
    }
    free(s);
    s = nested_arrays(1000, ""); /* pretty output grows with depth squared */
    CHECK_OK(hfc_json_parse(s, 2000, &opts, &doc));
    if (doc) {
        char *out = write_json(hfc_json_root(doc), 1);
        CHECK(out && strlen(out) == 2000 + 999 * 2 + 999 * 999); /* newlines + indentation */
        free(out);
        hfc_json_free(doc);
    }
    free(s);
    /* an error deep inside names both ends of the path */
    s = nested_arrays(n, "{\"key\":x}");
    hfc_status st = hfc_json_parse(s, strlen(s), &opts, &doc);
    CHECK_STATUS(st, HFC_ERR_INVALID);
    CHECK_MSG("$[0][0][0]");
    CHECK_MSG("[0][0].key: expected a value, found 'x'");
    free(s);
}

/* ---- numbers ---- */

static void check_int(const char *s, int64_t want) {
    hfc_json_doc *doc = parse(s);
    const hfc_json_value *v = doc ? hfc_json_root(doc) : NULL;
    test_checks_++;
    if (!v || v->type != HFC_JSON_INT || v->u.i != want || v->flags) {
        test_failures_++;
        fprintf(stderr, "%s: %s did not parse as INT %lld\n", test_current_, s, (long long)want);
    }
    hfc_json_free(doc);
}

static void check_dbl(const char *s, double want, uint8_t flags) {
    hfc_json_doc *doc = parse(s);
    const hfc_json_value *v = doc ? hfc_json_root(doc) : NULL;
    test_checks_++;
    if (!v || v->type != HFC_JSON_DOUBLE || memcmp(&v->u.d, &want, sizeof want) != 0 ||
        v->flags != flags) {
        test_failures_++;
        fprintf(stderr, "%s: %s did not parse as DOUBLE %.17g flags %u (got type %d %.17g)\n",
                test_current_, s, want, flags, v ? v->type : -1, v ? v->u.d : 0.0);
    }
    hfc_json_free(doc);
}

static void test_numbers(void) {
    check_int("0", 0);
    check_int("-0", 0);
    check_int("7", 7);
    check_int("1234567890123456789", 1234567890123456789ll);
    check_int("9223372036854775807", INT64_MAX);
    check_int("-9223372036854775807", -INT64_MAX);
    check_int("-9223372036854775808", INT64_MIN);
    check_int("999999999999999999", 999999999999999999ll);
    check_dbl("9223372036854775808", 9223372036854775808.0, HFC_JSON_F_BIGINT);
    check_dbl("-9223372036854775809", -9223372036854775808.0, HFC_JSON_F_BIGINT);
    check_dbl("18446744073709551615", 18446744073709551615.0, HFC_JSON_F_BIGINT);
    check_dbl("18446744073709551616", 18446744073709551616.0, HFC_JSON_F_BIGINT); /* wraps to 0 */
    check_dbl("123456789012345678901234567890", 123456789012345678901234567890.0,
              HFC_JSON_F_BIGINT);
    check_dbl("1e-400", 0.0, 0);
    check_dbl("-1e-400", -0.0, 0);
    check_dbl("1e-320", 1e-320, 0);
    check_dbl("0.0", 0.0, 0);
    check_dbl("-0.0", -0.0, 0);
    check_dbl("0e99999999999999999999", 0.0, 0);
    check_dbl("1.5", 1.5, 0);
    check_dbl("1E2", 100.0, 0);
    check_dbl("1e+2", 100.0, 0);
    check_dbl("12.5e-1", 1.25, 0);
    check_dbl("0.1", 0.1, 0);
    check_dbl("0.000001", 0.000001, 0);
    check_dbl("1e22", 1e22, 0);
    check_dbl("1e23", 1e23, 0);
    check_dbl("9007199254740993.0", 9007199254740992.0, 0); /* 2^53 + 1 rounds to even */
    check_dbl("9007199254740993e0", 9007199254740992.0, 0);
    check_dbl("2.2250738585072011e-308", 2.2250738585072011e-308, 0);
    check_dbl("1.7976931348623157e308", 1.7976931348623157e308, 0);
    check_dbl("4.9406564584124654e-324", 4.9406564584124654e-324, 0);
    check_dbl("0.30000000000000004", 0.30000000000000004, 0);
    /* 1 + 2^-53 is exactly between two doubles: ties to even; a hair more rounds up */
    check_dbl("1.00000000000000011102230246251565404236316680908203125", 1.0, 0);
    check_dbl("1.00000000000000011102230246251565404236316680908203126", 1.0000000000000002, 0);
    check_dbl("1.00000000000000011102230246251565404236316680908203124", 1.0, 0);
    EXPECT_ERROR("1e400", 0, "$", "number out of range");
    EXPECT_ERROR("1.8e308", 0, "$", "number out of range");
    EXPECT_ERROR("-1e99999999999999999999", 0, "$", "number out of range");
    /* 400-digit integer: a BIGINT that overflows a double */
    char big[402];
    memset(big, '9', 400);
    big[400] = '\0';
    EXPECT_ERROR(big, 0, "$", "number out of range");
    big[0] = '1';
    memset(big + 1, '0', 300);
    big[301] = '\0';
    check_dbl(big, 1e300, HFC_JSON_F_BIGINT);
    /* a long fraction goes through the slow path */
    char longfrac[1100] = "0.";
    memset(longfrac + 2, '3', 1000);
    longfrac[1002] = '\0';
    check_dbl(longfrac, 1.0 / 3, 0);
}

/* Random doubles printed with %.17g (and shorter), random decimal literals: the parser
 * agrees bit for bit with strtod. */
static void test_number_precision(void) {
    char s[64];
    for (int i = 0; i < 500; i++) {
        uint64_t bits = rng();
        double d;
        memcpy(&d, &bits, sizeof d);
        if (!isfinite(d)) continue;
        snprintf(s, sizeof s, "%.*g", i % 3 == 0 ? 17 : 1 + (int)(rng() % 17), d);
        double want = strtod(s, NULL);
        hfc_json_doc *doc = parse(s);
        const hfc_json_value *v = doc ? hfc_json_root(doc) : NULL;
        bool same = v && ((v->type == HFC_JSON_DOUBLE && memcmp(&v->u.d, &want, sizeof d) == 0) ||
                          (v->type == HFC_JSON_INT && (double)v->u.i == want));
        test_checks_++;
        if (!same) {
            test_failures_++;
            fprintf(stderr, "%s: %s parsed to %.17g, strtod says %.17g\n", test_current_, s,
                    v ? v->u.d : 0.0, want);
        }
        hfc_json_free(doc);
    }
    for (int i = 0; i < 1000; i++) {
        size_t n = 0;
        if (rng() & 1) s[n++] = '-';
        int int_digits = 1 + (int)(rng() % 20);
        for (int k = 0; k < int_digits; k++) s[n++] = (char)('0' + (k == 0 ? 1 + rng() % 9 : rng() % 10));
        if (rng() & 1) {
            s[n++] = '.';
            int frac = 1 + (int)(rng() % 12);
            for (int k = 0; k < frac; k++) s[n++] = (char)('0' + rng() % 10);
        }
        if (rng() & 1) n += (size_t)snprintf(s + n, 16, "e%d", (int)(rng() % 60) - 30);
        else if (i % 7 == 0) n += (size_t)snprintf(s + n, 16, "E%+d", (int)(rng() % 640) - 330);
        s[n] = '\0';
        double want = strtod(s, NULL);
        hfc_json_doc *doc = NULL;
        hfc_status st = hfc_json_parse(s, n, NULL, &doc);
        const hfc_json_value *v = doc ? hfc_json_root(doc) : NULL;
        bool same = isinf(want) ? st == HFC_ERR_INVALID
                                : v && ((v->type == HFC_JSON_DOUBLE && memcmp(&v->u.d, &want, sizeof want) == 0) ||
                                        (v->type == HFC_JSON_INT && (double)v->u.i == want));
        test_checks_++;
        if (!same) {
            test_failures_++;
            fprintf(stderr, "%s: %s parsed to %.17g (status %s), strtod says %.17g\n",
                    test_current_, s, v ? v->u.d : 0.0, hfc_status_name(st), want);
        }
        hfc_json_free(doc);
    }
}

/* Numbers read and write the same under a locale whose decimal point is ','. */
static void test_locale_independent(void) {
    const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", "ru_RU.UTF-8"};
    const char *found = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !found; i++)
        if (setlocale(LC_ALL, names[i])) found = names[i];
    if (!found) {
        fprintf(stderr, "  note: no comma-decimal locale installed: skipping the locale check\n");
        return;
    }
    check_dbl("1.5e300", 1.5e300, 0);                             /* strtod_l path */
    check_dbl("0.1000000000000000055511151231257827", 0.1, 0);    /* > 19 digits: strtod_l */
    check_dbl("123456789012345678901234567890", 123456789012345678901234567890.0, HFC_JSON_F_BIGINT);
    check_dbl("2.5", 2.5, 0);
    check_double(0.5, "0.5");
    check_double(1e300, "1e+300");
    check_double(-2.25e-10, "-2.25e-10");
    check_write("[123456789012345678901234567890, 0.25]", -1, "[123456789012345680000000000000,0.25]");
    setlocale(LC_ALL, "C");
}

/* ---- UTF-8 ---- */

static void test_invalid_utf8(void) {
    hfc_isa levels[HFC_ISA_COUNT], active = hfc_isa_active();
    int nlevels = isa_levels(levels);
    for (int l = 0; l < nlevels; l++) {
        CHECK_OK(hfc_dispatch_select(levels[l]));
        EXPECT_ERROR("\"\xC0\x80\"", 1, "$", "invalid UTF-8 (byte 0xc0)");               /* overlong NUL */
        EXPECT_ERROR("\"ab\xE0\x80\xAF\"", 3, "$", "invalid UTF-8 (byte 0xe0)");         /* overlong '/' */
        EXPECT_ERROR("[\"ok\", \"\xED\xA0\x80\"]", 8, "$[1]", "invalid UTF-8 (byte 0xed)"); /* U+D800 */
        EXPECT_ERROR("\"\xE2\x82\"", 1, "$", "invalid UTF-8");                           /* truncated */
        EXPECT_ERROR("\"\xF0\x9F\x98\"", 1, "$", "invalid UTF-8");                       /* truncated */
        EXPECT_ERROR("\"\xF0\x9F\x98", 0, "$", "unterminated string");
        EXPECT_ERROR("\"x\xFF\"", 2, "$", "invalid UTF-8 (byte 0xff)");
        EXPECT_ERROR("\"\xF4\x90\x80\x80\"", 1, "$", "invalid UTF-8 (byte 0xf4)");       /* > U+10FFFF */
        EXPECT_ERROR("\"\x80\"", 1, "$", "invalid UTF-8 (byte 0x80)");                   /* lone continuation */
        EXPECT_ERROR("\"caf\xC3\xA9\xC3\"", 6, "$", "invalid UTF-8");
        EXPECT_ERROR("{\"k\xFF\":1}", 3, "$", "invalid UTF-8");                           /* in a key */
        EXPECT_ERROR("{\"k\":\"a\\n\xFF\"}", 9, "$.k", "invalid UTF-8");                  /* escaped string */
        EXPECT_ERROR("[\xFF]", 1, "$[0]", "expected a value, found byte 0xff (invalid UTF-8)");
        EXPECT_ERROR("[\xC3\xA9]", 1, "$[0]", "expected a value, found byte 0xc3");     /* valid, but not syntax */
        /* a long string: the bad byte is found past the inline check */
        char s[200];
        s[0] = '"';
        memset(s + 1, 'a', 150);
        s[151] = '\xC0';
        s[152] = '"';
        s[153] = '\0';
        EXPECT_ERROR(s, 151, "$", "invalid UTF-8");
    }
    CHECK_OK(hfc_dispatch_select(active));
    check_string("\"\xF4\x8F\xBF\xBF \xEF\xBF\xBF \xED\x9F\xBF \xEE\x80\x80\"",
                 "\xF4\x8F\xBF\xBF \xEF\xBF\xBF \xED\x9F\xBF \xEE\x80\x80", 16, false);
}

/* ---- duplicate keys ---- */

/* {"k0":0,...,"k<n-1>":n-1} plus, if dup >= 0, "k<dup>" again; *dup_offset is its offset */
static char *object_with_keys(int n, int dup, size_t *dup_offset) {
    hfc_buf b = {0};
    hfc_buf_putc(&b, '{');
    for (int i = 0; i < n; i++) hfc_buf_printf(&b, "%s\"k%d\":%d", i ? "," : "", i, i);
    if (dup >= 0) {
        *dup_offset = b.len + 1;
        hfc_buf_printf(&b, ",\"k%d\":0", dup);
    }
    hfc_buf_putc(&b, '}');
    return b.data;
}

static void test_duplicate_keys(void) {
    EXPECT_ERROR("{\"a\":1,\"b\":2,\"a\":3}", 13, "$.a", "duplicate key \"a\"");
    EXPECT_ERROR("{\"x\":{\"a b\":1,\"a b\":2}}", 14, "$.x[\"a b\"]", "duplicate key \"a b\"");
    EXPECT_ERROR("{\"a\":1,\"\\u0061\":2}", 7, "$.a", "duplicate key \"a\""); /* equal once decoded */
    EXPECT_ERROR("{\"\":1,\"\":2}", 6, "$[\"\"]", "duplicate key \"\"");
    EXPECT_ERROR("[{}, {\"q\\\"\":1, \"q\\\"\":2}]", 15, "$[1][\"q\\\"\"]", "duplicate key \"q\\\"\"");
    hfc_json_doc *doc = parse("{\"ab\":1,\"ba\":2,\"a\":3,\"b\":4,\"\":5}");
    hfc_json_free(doc);
    /* big objects use the hash table */
    size_t off = 0;
    int sizes[] = {13, 100, 1000, 20000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int n = sizes[i];
        char *s = object_with_keys(n, -1, &off);
        doc = parse(s);
        CHECK(doc && hfc_json_root(doc)->len == (uint32_t)n);
        const hfc_json_value *last = doc ? hfc_json_getz(hfc_json_root(doc), "k0") : NULL;
        CHECK(last && last->u.i == 0);
        hfc_json_free(doc);
        free(s);
        int dups[] = {0, n / 2, n - 1};
        for (int d = 0; d < 3; d++) {
            s = object_with_keys(n, dups[d], &off);
            char path[32], what[48];
            snprintf(path, sizeof path, "$.k%d", dups[d]);
            snprintf(what, sizeof what, "duplicate key \"k%d\"", dups[d]);
            EXPECT_ERROR(s, off, path, what);
            hfc_json_opts opts = {.allow_duplicate_keys = true};
            CHECK_OK(hfc_json_parse(s, strlen(s), &opts, &doc));
            snprintf(what, sizeof what, "k%d", dups[d]);
            const hfc_json_value *v = doc ? hfc_json_getz(hfc_json_root(doc), what) : NULL;
            CHECK(v && v->u.i == 0 && v->offset == strlen(s) - 2);
            hfc_json_free(doc);
            free(s);
        }
    }
    /* the first duplicate in document order is the one reported */
    char *s = object_with_keys(50, -1, &off);
    size_t len = strlen(s);
    s[len - 1] = '\0';
    hfc_buf b = {0};
    hfc_buf_printf(&b, "%s,\"k7\":1,\"k3\":1}", s);
    EXPECT_ERROR(b.data, len, "$.k7", "duplicate key \"k7\"");
    hfc_buf_free(&b);
    free(s);
}

/* ---- paths, positions, hfc_json_fail_at ---- */

static void test_paths(void) {
    EXPECT_ERROR("{\"model\":{\"vocab\":{\"a\\\"b\":tru}}}", 29, "$.model.vocab[\"a\\\"b\"]",
                 "expected 'true', found '}'");
    EXPECT_ERROR("{\"added_tokens\":[{},{},{},{\"content\":12x}]}", 39, "$.added_tokens[3].content",
                 "expected ',' or '}'");
    EXPECT_ERROR("{\"a\":[[1],[2,[3,x]]]}", 16, "$.a[1][1][1]", "expected a value");
    EXPECT_ERROR("{\"\xC3\xA9t\xC3\xA9\":x}", 9, "$[\"\xC3\xA9t\xC3\xA9\"]", "found 'x'");
    EXPECT_ERROR("{\"a\\nb\":x}", 8, "$[\"a\\nb\"]", "found 'x'");
    EXPECT_ERROR("{\"_Ok9\":{\"9no\":x}}", 15, "$._Ok9[\"9no\"]", "found 'x'");
    /* long keys are cut at 40 bytes (on a character boundary) with an ellipsis */
    char s[400];
    strcpy(s, "{\"");
    for (int i = 0; i < 100; i++) strcat(s, "x");
    strcat(s, "\":?}");
    char want[64] = "$.";
    for (int i = 0; i < 40; i++) strcat(want, "x");
    strcat(want, "\xE2\x80\xA6");
    EXPECT_ERROR(s, 104, want, "found '?'");
    strcpy(s, "{\"");
    for (int i = 0; i < 30; i++) strcat(s, "\xE2\x82\xAC"); /* 90 bytes of euro signs */
    strcat(s, "\":?}");
    strcpy(want, "$[\"");
    for (int i = 0; i < 13; i++) strcat(want, "\xE2\x82\xAC"); /* 39 bytes */
    strcat(want, "\xE2\x80\xA6\"]");
    EXPECT_ERROR(s, 94, want, "found '?'");
    /* line and column */
    EXPECT_ERROR("{\n  \"a\": x\n}", 9, "$.a", "(line 2, column 8)");
    EXPECT_ERROR("\n\n\n  [", 6, "$[0]", "(line 4, column 4)");
}

static void test_fail_at(void) {
    const char *src = "{\n \"model\": {\"vocab\": [1]}}";
    hfc_json_opts opts = {.name = "tok.json"};
    hfc_json_doc *doc = NULL;
    CHECK_OK(hfc_json_parse(src, strlen(src), &opts, &doc));
    if (!doc) return;
    const hfc_json_value *vocab = hfc_json_getz(hfc_json_getz(hfc_json_root(doc), "model"), "vocab");
    CHECK_STATUS(hfc_json_fail_at(doc, vocab, "$.model.vocab", "expected an object, got %s",
                                  hfc_json_type_name((hfc_json_type)vocab->type)),
                 HFC_ERR_INVALID);
    CHECK(strcmp(hfc_error_message(),
                 "tok.json: byte 22 (line 2, column 21), $.model.vocab: expected an object, got array") == 0);
    CHECK_STATUS(hfc_json_fail_at(doc, NULL, "$.model", "missing \"%s\"", "merges"), HFC_ERR_INVALID);
    CHECK(strcmp(hfc_error_message(), "tok.json: $.model: missing \"merges\"") == 0);
    CHECK_STATUS(hfc_json_fail_at(doc, hfc_json_root(doc), NULL, "bad"), HFC_ERR_INVALID);
    CHECK(strcmp(hfc_error_message(), "tok.json: byte 0 (line 1, column 1), $: bad") == 0);
    size_t line, col;
    hfc_json_line_col(doc, vocab->offset, &line, &col);
    CHECK(line == 2 && col == 21);
    hfc_json_line_col(doc, 0, &line, &col);
    CHECK(line == 1 && col == 1);
    hfc_json_line_col(doc, 2, &line, &col);
    CHECK(line == 2 && col == 1);
    hfc_json_line_col(doc, 9999, &line, &col); /* clamped to the end */
    CHECK(line == 2 && col == strlen(src) - 1);
    hfc_json_free(doc);
}

/* ---- files ---- */

static void test_parse_file(void) {
    char path[] = "/tmp/hfc_test_json_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) return;
    const char *body = "{\"a\": \"in the mapping\", \"b\": [1,2,x]}";
    CHECK(write(fd, body, strlen(body)) == (ssize_t)strlen(body));
    close(fd);
    hfc_json_doc *doc = NULL;
    CHECK_STATUS(hfc_json_parse_file(path, NULL, &doc), HFC_ERR_INVALID);
    CHECK(doc == NULL);
    char want[128];
    snprintf(want, sizeof want, "%s: byte 34 (line 1, column 35), $.b[2]: expected a value", path);
    CHECK_MSG(want);
    hfc_json_opts opts = {.name = "custom"};
    CHECK_STATUS(hfc_json_parse_file(path, &opts, &doc), HFC_ERR_INVALID);
    CHECK(strncmp(hfc_error_message(), "custom: byte 34", 15) == 0);

    fd = open(path, O_WRONLY | O_TRUNC);
    body = "{\"a\": \"in the mapping\"}";
    CHECK(write(fd, body, strlen(body)) == (ssize_t)strlen(body));
    close(fd);
    CHECK_OK(hfc_json_parse_file(path, NULL, &doc));
    unlink(path); /* the doc keeps the mapping */
    if (doc) {
        CHECK(strcmp(hfc_json_name(doc), path) == 0);
        const hfc_json_value *a = hfc_json_getz(hfc_json_root(doc), "a");
        CHECK(a && hfc_json_str_eq(a, "in the mapping", 14));
        size_t len;
        CHECK(a && a->u.s == hfc_json_source(doc, &len) + 7 && len == strlen(body));
        hfc_json_free(doc);
    }
    CHECK_STATUS(hfc_json_parse_file("/nonexistent/hfc.json", NULL, &doc), HFC_ERR_IO);
    CHECK_MSG("/nonexistent/hfc.json");
    CHECK(doc == NULL);
    CHECK_STATUS(hfc_json_parse_file("/tmp", NULL, &doc), HFC_ERR_INVALID);
    /* an empty file */
    strcpy(path, "/tmp/hfc_test_json_XXXXXX");
    fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK_STATUS(hfc_json_parse_file(path, NULL, &doc), HFC_ERR_INVALID);
    CHECK_MSG("byte 0 (line 1, column 1), $: empty input");
    unlink(path);
}

/* ---- the real tokenizer.json files ---- */

static const char *fixtures_dir(char *buf, size_t cap) {
    const char *env = getenv("HFC_FIXTURES");
    if (env && *env) return env;
    const char *file = __FILE__, *suffix = "tests/c/test_json.c";
    size_t n = strlen(file), m = strlen(suffix);
    size_t root = n >= m && strcmp(file + n - m, suffix) == 0 ? n - m : 0;
    snprintf(buf, cap, "%.*s../shared/fixtures", (int)root, file);
    return buf;
}

typedef struct fixture {
    const char *name;
    uint32_t vocab, merges, added;
    int64_t id_sum;     /* sum of vocab ids */
    size_t key_bytes;   /* UTF-8 bytes of all vocab keys */
    uint64_t key_hash;  /* h = h * 31 + byte over all keys, in order */
} fixture;

static const fixture fixtures[] = {
    {"llama2", 32000, 58980, 3, 511984000, 204670, 0x6dba549f6080135full},
    {"qwen3", 151643, 151387, 26, 11497723903ll, 1369483, 0x9c1560d3fdd761ffull},
    {"deepseek_v3", 128000, 127741, 818, 8191936000ll, 1249843, 0x3d75289c8b841e30ull},
};

static void check_fixture(const fixture *f, const hfc_json_doc *doc) {
    const hfc_json_value *root = hfc_json_root(doc);
    const hfc_json_value *model = hfc_json_getz(root, "model");
    const hfc_json_value *vocab = hfc_json_getz(model, "vocab");
    const hfc_json_value *merges = hfc_json_getz(model, "merges");
    const hfc_json_value *added = hfc_json_getz(root, "added_tokens");
    CHECK(hfc_json_str_eq(hfc_json_getz(model, "type"), "BPE", 3));
    CHECK(vocab && vocab->type == HFC_JSON_OBJECT && vocab->len == f->vocab);
    CHECK(merges && merges->type == HFC_JSON_ARRAY && merges->len == f->merges);
    CHECK(added && added->type == HFC_JSON_ARRAY && added->len == f->added);
    if (!vocab || vocab->type != HFC_JSON_OBJECT) return;
    int64_t ids = 0;
    size_t bytes = 0;
    uint64_t h = 0;
    for (uint32_t i = 0; i < vocab->len; i++) {
        const hfc_json_member *m = &vocab->u.members[i];
        ids += m->value.type == HFC_JSON_INT ? m->value.u.i : -1000000;
        bytes += m->key.len;
        for (uint32_t k = 0; k < m->key.len; k++) h = h * 31 + (uint8_t)m->key.u.s[k];
    }
    CHECK_EQ_INT(ids, f->id_sum);
    CHECK_EQ_INT(bytes, f->key_bytes);
    CHECK(h == f->key_hash);
}

static void test_fixtures(void) {
    char buf[4096], path[4200];
    const char *dir = fixtures_dir(buf, sizeof buf);
    snprintf(path, sizeof path, "%s/tokenizers", dir);
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "  note: %s not found: skipping the fixture checks\n", path);
        return;
    }
    hfc_isa levels[HFC_ISA_COUNT], active = hfc_isa_active();
    int nlevels = isa_levels(levels);
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
        snprintf(path, sizeof path, "%s/tokenizers/%s/tokenizer.json", dir, fixtures[i].name);
        for (int l = 0; l < nlevels; l++) {
            CHECK_OK(hfc_dispatch_select(levels[l]));
            hfc_json_doc *doc = NULL;
            CHECK_OK(hfc_json_parse_file(path, NULL, &doc));
            if (!doc) continue;
            check_fixture(&fixtures[i], doc);
            if (l == 0) { /* write back compact and pretty: same DOM */
                for (int indent = -1; indent <= 2; indent += 3) {
                    char *out = write_json(hfc_json_root(doc), indent);
                    hfc_json_doc *again = out ? parse(out) : NULL;
                    CHECK(again && hfc_json_equal(hfc_json_root(doc), hfc_json_root(again)));
                    hfc_json_free(again);
                    free(out);
                }
            }
            hfc_json_free(doc);
        }
    }
    CHECK_OK(hfc_dispatch_select(active));
}

/* ---- out of memory ---- */

static long oom_countdown; /* the allocation that brings this to 0 fails */
static long oom_live;      /* blocks allocated and not yet freed */

static void *oom_malloc(void *ud, size_t n) {
    (void)ud;
    if (--oom_countdown == 0) return NULL;
    void *p = malloc(n);
    if (p) oom_live++;
    return p;
}
static void *oom_realloc(void *ud, void *p, size_t n) {
    (void)ud;
    if (--oom_countdown == 0) return NULL;
    void *q = realloc(p, n);
    if (q && !p) oom_live++;
    return q;
}
static void oom_free(void *ud, void *p) {
    (void)ud;
    if (p) oom_live--;
    free(p);
}
static const hfc_allocator oom_allocator = {oom_malloc, oom_realloc, oom_free, NULL};

/* ~30 KB exercising every allocation: arena chunks, scratch growth, decoded strings, big
 * objects (hashed duplicate check), slow-path numbers, nesting. */
static char *oom_document(void) {
    hfc_buf b = {0};
    hfc_buf_printf(&b, "{\"model\":{\"type\":\"BPE\",\"vocab\":{");
    for (int i = 0; i < 600; i++) hfc_buf_printf(&b, "%s\"t\\u00e9%d\":%d", i ? "," : "", i, i);
    hfc_buf_printf(&b, "},\"merges\":[");
    for (int i = 0; i < 400; i++) hfc_buf_printf(&b, "%s[\"a%d\",\"b\\n\"]", i ? "," : "", i);
    hfc_buf_printf(&b, "]},\"nums\":[1.5,1e300,123456789012345678901234,0.1,-0.0,"
                       "3.14159265358979323846264338327950288],\"deep\":");
    for (int i = 0; i < 40; i++) hfc_buf_putc(&b, '[');
    hfc_buf_printf(&b, "{\"\\ud83d\\ude00\":null}");
    for (int i = 0; i < 40; i++) hfc_buf_putc(&b, ']');
    hfc_buf_printf(&b, ",\"added_tokens\":[");
    for (int i = 0; i < 100; i++)
        hfc_buf_printf(&b, "%s{\"id\":%d,\"content\":\"<tok%d>\",\"special\":true}", i ? "," : "", i, i);
    hfc_buf_printf(&b, "]}");
    return b.data;
}

static void test_out_of_memory(void) {
    char *s = oom_document();
    size_t len = strlen(s);
    hfc_json_doc *ref = parse_n(s, len);
    CHECK(ref != NULL);
    int failures = 0;
    long k;
    for (k = 1; k < 100000; k++) {
        oom_countdown = k;
        oom_live = 0;
        hfc_set_allocator(&oom_allocator);
        hfc_json_doc *doc = NULL;
        hfc_status st = hfc_json_parse(s, len, NULL, &doc);
        hfc_status wst = HFC_OK;
        hfc_buf out = {0};
        if (st == HFC_OK) {
            wst = hfc_json_write_value(&out, hfc_json_root(doc), 2);
            hfc_buf_free(&out);
            hfc_json_free(doc);
        }
        long live = oom_live;
        bool hit = oom_countdown <= 0; /* the k-th allocation happened (and failed) */
        hfc_set_allocator(NULL);
        CHECK_EQ_INT(live, 0);
        if (!hit) {
            CHECK_OK(st);
            CHECK_OK(wst);
            break;
        }
        if (st != HFC_ERR_NOMEM && wst != HFC_ERR_NOMEM) {
            failures++;
            fprintf(stderr, "%s: allocation %ld failed: parse %s, write %s (%s)\n",
                    test_current_, k, hfc_status_name(st), hfc_status_name(wst),
                    hfc_error_message());
        }
        test_checks_++;
        if (st == HFC_ERR_NOMEM || wst == HFC_ERR_NOMEM) CHECK(hfc_error_message()[0] != '\0');
    }
    test_failures_ += failures;
    CHECK(k > 20); /* the document really needs many allocations */
    fprintf(stderr, "  (out of memory injected at each of %ld allocations)\n", k - 1);
    hfc_json_free(ref);
    free(s);
}

static const char *only; /* run only the tests whose names contain this (argv[1]) */
#undef RUN
#define RUN(fn)                                                                          \
    do {                                                                                 \
        if (only && !strstr(#fn, only)) break;                                           \
        test_current_ = #fn;                                                             \
        int before_ = test_failures_;                                                    \
        fn();                                                                            \
        fprintf(stderr, "  %-40s %s\n", #fn, test_failures_ == before_ ? "ok" : "FAIL"); \
    } while (0)

int main(int argc, char **argv) {
    only = argc > 1 ? argv[1] : NULL;
    CHECK_OK(hfc_dispatch_init());
    RUN(test_scalars);
    RUN(test_containers);
    RUN(test_get_last_duplicate);
    RUN(test_strings);
    RUN(test_write_values);
    RUN(test_write_strings);
    RUN(test_write_doubles);
    RUN(test_roundtrip);
    RUN(test_malformed);
    RUN(test_depth);
    RUN(test_numbers);
    RUN(test_number_precision);
    RUN(test_locale_independent);
    RUN(test_invalid_utf8);
    RUN(test_duplicate_keys);
    RUN(test_paths);
    RUN(test_fail_at);
    RUN(test_parse_file);
    RUN(test_fixtures);
    RUN(test_out_of_memory);
    return test_summary();
}
