/* Patterns (csrc/tokenizers/regex.c, regex_scan.c): every hand-written scanner against
 * Oniguruma running the same pattern, on tricky strings and on random ones; the
 * Oniguruma path's find_iter rules; literals; errors; threads; the class tables against
 * the linked libonig.
 *
 * The reference here is an independent loop over libonig (ref_find), written from the
 * onig crate's FindMatches and HF's find_matches. The class tables come from the
 * Oniguruma inside HF's wheel (Unicode 16); the system libonig may know an older Unicode,
 * so random text avoids the code points the two disagree on (all unassigned in the
 * older one; test_tables_vs_libonig checks exactly that).
 *
 * HFC_REGEX_RANDOM=<n> sets the number of random strings, each run through every scanner
 * (default 30000: Oniguruma mallocs per search, which ASan makes slow).
 */
#include <oniguruma.h>
#include <pthread.h>
#include <stdint.h>

#include "test.h"
#include "../../csrc/tokenizers/tk.h"
#include "../../csrc/tokenizers/regex_scan.h"
#include "../../csrc/tokenizers/regex_tables.h"

/* ------------------------------------------------------------------ reference */

#include "onig_ref.h"

/* ------------------------------------------------------------------ comparing */

static int shown_failures = 0;

static void print_text(const uint8_t *s, uint32_t len) {
    fputc('"', stderr);
    for (uint32_t i = 0; i < len; i++) {
        if (s[i] >= 0x20 && s[i] < 0x7F && s[i] != '"' && s[i] != '\\') fputc(s[i], stderr);
        else fprintf(stderr, "\\x%02x", s[i]);
    }
    fputc('"', stderr);
}

static void print_spans(const char *what, const tk_span *v, size_t n) {
    fprintf(stderr, "  %-8s", what);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " %u-%u%s", v[i].start, v[i].end, v[i].is_match ? "" : "_");
    fputc('\n', stderr);
}

static bool same_spans(const tk_spans *got, const spanvec *want) {
    if (got->n != want->n) return false;
    for (size_t i = 0; i < got->n; i++)
        if (got->v[i].start != want->v[i].start || got->v[i].end != want->v[i].end ||
            got->v[i].is_match != want->v[i].is_match)
            return false;
    return true;
}

/* Run re on s and compare with the reference spans; true if equal. */
static bool agree(const tk_regex *re, tk_ctx *c, const uint8_t *s, uint32_t len,
                  const spanvec *want) {
    tk_spans got = {0};
    tk_ctx_reset(c);
    hfc_status st = tk_regex_find_matches(re, c, (const char *)s, len, &got);
    bool ok = st == HFC_OK && same_spans(&got, want);
    if (!ok && shown_failures++ < 20) {
        fprintf(stderr, "%s: %s differs from Oniguruma on ", test_current_, tk_regex_kind(re));
        print_text(s, len);
        fputc('\n', stderr);
        print_spans("got", got.v, got.n);
        print_spans("want", want->v, want->n);
    }
    return ok;
}

/* Each scanner, the same pattern through tk's Oniguruma path ("(?:" p ")" is not
 * recognised), and the reference. */
typedef struct engine {
    tk_scan_kind kind;
    tk_regex *scan, *onig;
    regex_t *ref;
    long checked, failed;
} engine;

static engine engines[TK_SCAN_COUNT];

static void engines_init(void) {
    for (int k = TK_SCAN_NONE + 1; k < TK_SCAN_COUNT; k++) {
        engine *e = &engines[k];
        size_t len;
        const char *p = tk_scan_pattern((tk_scan_kind)k, &len);
        char *wrapped = malloc(len + 5);
        memcpy(wrapped, "(?:", 3);
        memcpy(wrapped + 3, p, len);
        memcpy(wrapped + 3 + len, ")", 2);
        e->kind = (tk_scan_kind)k;
        CHECK_OK(tk_regex_compile(p, len, &e->scan));
        CHECK_OK(tk_regex_compile(wrapped, len + 4, &e->onig));
        e->ref = ref_compile(p, len);
        free(wrapped);
    }
}

static void engines_free(void) {
    for (int k = TK_SCAN_NONE + 1; k < TK_SCAN_COUNT; k++) {
        tk_regex_free(engines[k].scan);
        tk_regex_free(engines[k].onig);
        onig_free(engines[k].ref);
    }
}

/* Compare scanner k (and, if with_onig, tk's Oniguruma path) with the reference. */
static bool check_text(engine *e, tk_ctx *c, spanvec *want, const uint8_t *s, uint32_t len,
                       bool with_onig) {
    ref_find(e->ref, s, len, want);
    bool ok = agree(e->scan, c, s, len, want);
    if (with_onig) ok = agree(e->onig, c, s, len, want) && ok;
    e->checked++;
    if (!ok) e->failed++;
    return ok;
}

/* ------------------------------------------------------------------ tricky strings */

/* (generated from a Python list: the byte lengths count NULs and split hex escapes) */
static const struct {
    const char *s;
    uint32_t len;
} tricky[] = {
    {"", 0}, {" ", 1}, {"  ", 2}, {"   ", 3}, {"\t", 1}, {"\n", 1}, {"\r\n", 2}, {"a", 1},
    {"'", 1}, {"''", 2}, {"'s", 2}, {"'S", 2}, {"'t'", 3}, {"''s", 3}, {"Hello world", 11},
    {"Hello, world!", 13}, {"  leading", 9}, {"trailing  ", 10}, {"trailing \t", 10},
    {"x  y", 4}, {"I'm you're we've he'll I'd they'RE WE'VE SHE'LL I'D IT'S DON'T", 62},
    {"'re'", 4}, {"'ll", 3}, {"'l", 2}, {"'Re 'rE 'vE 'LL 'lL 'M 'D", 25},
    {"don\xe2\x80\x99t", 7}, {"it\xe2\x80\x99s", 6}, {"'\xc5\xbf", 3}, {"'\xc5\xbf" "a", 4},
    {"x'\xc5\xbf y'S", 8}, {"'\xe1\xba\x9e", 4}, {"'\xef\xac\x85", 4},
    {"'K \xe2\x84\xaa", 6}, {"\xc4\xb0'S", 4}, {"1", 1}, {"12", 2}, {"123", 3}, {"1234", 4},
    {"12345", 5}, {"123456", 6}, {"1234567", 7}, {"a1b22c333d4444", 14},
    {"\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6", 8}, {"\xc2\xbd\xe2\x85\xab\xe2\x91\xa0", 8},
    {"x1,000,000.50", 13}, {"3.14159", 7}, {"a\r\nb", 4}, {"a\n\nb", 4}, {"a\r\r\n\nb", 6},
    {"a \n b", 5}, {"a\n \n b", 6}, {" \n", 2}, {"\n ", 2}, {"\n \t", 3}, {"x \r\n", 4},
    {"!!\n\n", 4}, {"!!\r\n\r\nz", 7}, {" !\n/", 4}, {"x/\n//y", 6}, {"a//b", 4},
    {"///\n", 4}, {"? \n", 3}, {"'\n", 2}, {"!\n\n/x", 5}, {"a  b", 4}, {"a   b", 5},
    {"a \tb", 4}, {"a\t b", 4}, {"a\t\tb", 4}, {"a \xc2\xa0" "b", 5},
    {"a\xc2\xa0\xc2\xa0 b", 7}, {"\xe3\x80\x80\xe3\x80\x80x", 7}, {"\xc2\x85x", 3},
    {"a\xe2\x80\xa8" "b", 5}, {"\x0b\x0c x", 4}, {"a\xc2\xa0", 3}, {"\xc2\xa0" "a", 3},
    {"\xe3\x80\x80" "a", 4}, {"\xe2\x80\x83\xe2\x80\x83", 6}, {"cafe\xcc\x81", 6},
    {" \xcc\x81", 3}, {"\xcc\x81\xcc\x81" "a", 5}, {"\xcc\x81" "A", 3},
    {"\xcc\x81" "AB'S", 6}, {"\xcc\x81's", 4}, {"!\xcc\x81", 3}, {" \xcc\x81x", 4},
    {"A\xcc\x81" "b", 4}, {"ABc", 3}, {"ABC", 3}, {"AbC", 3}, {"aBC", 3}, {"ABC's", 5},
    {"abc'S", 5}, {"\xc7\x85" "ab", 4}, {"\xca\xb0" "a", 3}, {"a\xca\xb0" "B", 4},
    {"\xe3\x83\xbc\xe3\x82\xa2", 6}, {"\xcc\x81\xcc\x81", 4}, {"A\xca\xb0", 3},
    {"\xca\xb0" "A'S", 5}, {"AB\xcc\x81" "C d", 7},
    {"\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7", 18},
    {"\xe2\x9d\xa4\xef\xb8\x8f!", 7}, {" \xf0\x9f\x98\x80\xf0\x9f\x98\x80x", 10},
    {"\xf0\x9f\x87\xba\xf0\x9f\x87\xb8", 8}, {"\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97", 9},
    {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x86\xe3\x82\xad\xe3\x82\xb9\xe3\x83\x88", 24},
    {"\xe4\xb8\x80\xe9\xbe\xa5\xe9\xbe\xa6\xe3\x81\x80\xe3\x81\x81\xe3\x82\x9f\xe3\x82\xa0\xe3\x83\xbf\xe3\x84\x80\xe3\x80\xbf", 30},
    {"\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4 \xed\x85\x8d\xec\x8a\xa4\xed\x8a\xb8", 19},
    {"\xd8\xa7\xd9\x84\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a\xd8\xa9 \xd9\x86\xd8\xb5\xd9\x91", 21},
    {"\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", 8},
    {"\xe0\xa4\xb9\xe0\xa4\xbf\xe0\xa4\xa8\xe0\xa5\x8d\xe0\xa4\xa6\xe0\xa5\x80", 18},
    {"\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82, \xd0\xbc\xd0\xb8\xd1\x80!", 21},
    {"\x01\x02" "a\x7f", 4}, {"\x00" "a\x00", 3}, {"\xef\xbf\xbd\xef\xbf\xbe", 6},
    {"\xee\x80\x80x", 4}, {"\xf4\x8f\xbf\xbf", 4}, {"\xe2\x80\x8b\xe2\x80\x8b" "a", 7},
    {" \xe2\x80\x8d" "a", 5}, {"$x #y .z -w [a]b {c}d", 21}, {"(hello) [world]", 15},
    {"((a", 3}, {".a.b", 4}, {"'hello'", 7}, {"\"quoted\"", 8}, {"a.b,c;d:e!f?g", 13},
    {"...", 3}, {" ...", 4}, {"-- --", 5}, {"C++ and C#", 10},
    {"https://example.com/a/b?c=d", 27},
    {"x = y + z; // comment\n\tif (a) {\n\t\treturn b;\n\t}\n", 47},
    {"def f(x):\n    return x  \n\n", 26},
    {"The quick brown fox jumps over the lazy dog.\n", 45},
    {"\xe2\x80\x94" "em\xe2\x80\x94" "dash\xe2\x80\x94", 15}, {"1 2  3\t4\n5", 10},
    {" 1", 2}, {" 12345", 6}, {"a1", 2}, {"\xd9\xa3" "a", 3}, {"x\xc2\xb2", 3},
    {" \xc2\xbd", 3}, {"'1", 2}, {"'s1", 3}, {"$1", 2}, {"-1", 2}, {" -1", 3},
    {"internationalization", 20}, {" Internationalization's", 23},
    {"abcdefghijklmnopqrstuvwxyzABCDEFGH", 34}, {"aaaaaaaa\xc3\xa9" "bbbbbbbbbb", 20},
    {"aaaaaaa\xe4\xb8\xad" "bbbbbbbbb cc", 22}, {"12345678901234567890", 20},
    {"abcdefgh1", 9}, {"ABCDEFGHIJKLMNOPQRSTUVwxyz's", 28},
    {"abcdefghIJKLMNOPqrstuvwx", 24},
    {"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" "abcdefghij\xc3\xa9", 20}, {" abcdefg", 8},
    {"abcdefg ", 8}, {"abcdefgh", 8}, {"abcdefghi", 9}, {"x\xcc\x81yyyyyyyyyyy", 14},
    {"HELLOworldFOObar", 16},
};

static void test_tricky_strings(void) {
    tk_ctx c;
    tk_ctx_init(&c);
    spanvec want = {0};
    for (int k = TK_SCAN_NONE + 1; k < TK_SCAN_COUNT; k++) {
        for (size_t i = 0; i < sizeof tricky / sizeof *tricky; i++)
            CHECK(check_text(&engines[k], &c, &want, (const uint8_t *)tricky[i].s,
                             tricky[i].len, true));
    }
    free(want.v);
    tk_ctx_free(&c);
}

/* ------------------------------------------------------------------ random strings */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void) {
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

/* Code points where the tables (HF's Oniguruma) and the linked libonig may disagree:
 * filled by test_tables_vs_libonig, excluded from random text. */
static uint8_t *engine_diff; /* bitmap over 0..0x10FFFF */
static bool is_engine_diff(uint32_t cp) {
    return engine_diff && (engine_diff[cp >> 3] >> (cp & 7) & 1);
}

static const uint32_t pool_ws[] = {' ', ' ', ' ', ' ', '\t', '\n', '\n', '\r', 0x0B, 0x0C,
                                   0x85, 0xA0, 0x1680, 0x2000, 0x2009, 0x200A, 0x2028,
                                   0x2029, 0x202F, 0x205F, 0x3000};
static const uint32_t pool_apos[] = {'\'', '\'', '\'', 0x2019, '"', '`'};
static const uint32_t pool_contr[] = {'s', 't', 'r', 'e', 'v', 'm', 'l', 'd', 'S', 'T', 'R',
                                      'E', 'V', 'M', 'L', 'D', 0x17F, 0x1E9E, 0xFB05, 0x212A};
static const uint32_t pool_letter[] = {
    'a', 'b', 'c', 'x', 'A', 'B', 'Z', 0xE9, 0xDF, 0x3A9, 0x3C9, 0x436, 0x416, 0x1C5,
    0x2B0, 0x2B7, 0x30FC, 0x4E2D, 0x6587, 0x9FA5, 0x9FA6, 0x4E00, 0x3042, 0x30A2, 0x30FF,
    0x309F, 0x30A0, 0x3041, 0xD55C, 0x627, 0x644, 0x5D0, 0x939, 0x130, 0x131, 0x1D400,
    0x10400, 0x10428, 0x2C00, 0xA7AF};
static const uint32_t pool_mark[] = {0x301, 0x308, 0x64B, 0x651, 0x93F, 0x94D, 0x20DD,
                                     0xFE0F, 0x1F3FB, 0x302A, 0x3099, 0xE0100};
static const uint32_t pool_digit[] = {'0', '1', '2', '5', '9', 0x663, 0x6F4, 0x966, 0xBD,
                                      0x216B, 0x2460, 0x1D7D8, 0xFF11, 0x3007, 0x10107};
static const uint32_t pool_punct[] = {'.', ',', '!', '?', '-', '(', ')', '[', ']', '{', '}',
                                      '/', '/', '\\', '#', '$', '%', '&', '*', '+', '<', '=',
                                      '>', '@', '^', '_', '|', '~', ':', ';', 0x2014, 0x201C,
                                      0x3002, 0xFF01, 0x00A7, 0x20AC, 0x2192, 0x1F600,
                                      0x1F468, 0x2764, 0x1F1FA, 0x1F1F8};
static const uint32_t pool_other[] = {0x0, 0x1, 0x1F, 0x7F, 0x200D, 0x200B, 0x2060, 0xFEFF,
                                      0xAD, 0xFFFD, 0xE000, 0xFFFF, 0x10FFFF, 0xF0000, 0x378,
                                      0x061C};

#define POOL(p) {p, sizeof p / sizeof *p}
static const struct {
    const uint32_t *v;
    size_t n;
    int weight;
} pools[] = {
    {pool_ws, sizeof pool_ws / sizeof *pool_ws, 18},
    {pool_apos, sizeof pool_apos / sizeof *pool_apos, 8},
    {pool_contr, sizeof pool_contr / sizeof *pool_contr, 14},
    {pool_letter, sizeof pool_letter / sizeof *pool_letter, 22},
    {pool_mark, sizeof pool_mark / sizeof *pool_mark, 6},
    {pool_digit, sizeof pool_digit / sizeof *pool_digit, 10},
    {pool_punct, sizeof pool_punct / sizeof *pool_punct, 12},
    {pool_other, sizeof pool_other / sizeof *pool_other, 3},
    {NULL, 0, 7}, /* any code point the two engines agree on */
};

static uint32_t random_cp(void) {
    int total = 0;
    for (size_t i = 0; i < sizeof pools / sizeof *pools; i++) total += pools[i].weight;
    int r = (int)(rng() % (uint64_t)total);
    for (size_t i = 0; i < sizeof pools / sizeof *pools; i++) {
        if (r < pools[i].weight) {
            if (pools[i].v) return pools[i].v[rng() % pools[i].n];
            for (;;) {
                /* half the time from the BMP, where most assigned characters are */
                uint32_t cp = (uint32_t)(rng() % (rng() & 1 ? 0x10000 : 0x110000));
                if ((cp < 0xD800 || cp > 0xDFFF) && !is_engine_diff(cp)) return cp;
            }
        }
        r -= pools[i].weight;
    }
    return 'a';
}

/* Up to 64 characters; one step in eight is an ASCII word or number of 1..20 characters
 * (the scanners' 8-bytes-at-a-time paths). buf holds 64 * 4 bytes. */
static uint32_t random_text(uint8_t *buf) {
    uint32_t n = (uint32_t)(rng() % 65), len = 0, chars = 0;
    while (chars < n) {
        uint64_t r = rng();
        if (r % 8 == 0) {
            static const char *const runs[] = {"abcdefghijklmnopqrstuvwxyz",
                                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"};
            const char *set = runs[(r >> 3) % 3];
            uint32_t m = 1 + (uint32_t)((r >> 5) % 20), setlen = (uint32_t)strlen(set);
            for (uint32_t k = 0; k < m && chars < n; k++, chars++)
                buf[len++] = (uint8_t)set[(rng() >> 7) % setlen];
            continue;
        }
        len += (uint32_t)tk_utf8_encode(random_cp(), buf + len);
        chars++;
    }
    return len;
}

static long random_count(void) {
    const char *e = getenv("HFC_REGEX_RANDOM");
    return e ? atol(e) : 30000;
}

static void test_random_strings(void) {
    tk_ctx c;
    tk_ctx_init(&c);
    spanvec want = {0};
    uint8_t buf[64 * 4];
    long count = random_count();
    for (long i = 0; i < count; i++) {
        uint32_t len = random_text(buf);
        for (int k = TK_SCAN_NONE + 1; k < TK_SCAN_COUNT; k++)
            check_text(&engines[k], &c, &want, buf, len, i % 16 == 0);
    }
    for (int k = TK_SCAN_NONE + 1; k < TK_SCAN_COUNT; k++) {
        CHECK_EQ_INT(engines[k].failed, 0);
        fprintf(stderr, "    %-16s %ld strings compared, %ld differ\n",
                tk_scan_name(engines[k].kind), engines[k].checked, engines[k].failed);
    }
    free(want.v);
    tk_ctx_free(&c);
}

/* Long inputs: spans grow past the first arena chunk. */
static void test_long_text(void) {
    tk_ctx c;
    tk_ctx_init(&c);
    spanvec want = {0};
    uint32_t cap = 1 << 18, len = 0;
    uint8_t *buf = malloc(cap);
    while (len + 4 < cap) len += (uint32_t)tk_utf8_encode(random_cp(), buf + len);
    for (int k = TK_SCAN_NONE + 1; k < TK_SCAN_COUNT; k++)
        CHECK(check_text(&engines[k], &c, &want, buf, len, false));
    free(buf);
    free(want.v);
    tk_ctx_free(&c);
}

/* ------------------------------------------------------------------ class tables */

/* Every scalar value as one UTF-8 string; offs[i] = byte offset of code point i (with
 * surrogates given zero length). */
static uint8_t *all_text(uint32_t **offs_out, uint32_t *len_out) {
    uint8_t *t = malloc(0x110000 * 4);
    uint32_t *offs = malloc((0x110000 + 1) * sizeof *offs), len = 0;
    for (uint32_t cp = 0; cp < 0x110000; cp++) {
        offs[cp] = len;
        if (cp < 0xD800 || cp > 0xDFFF) len += (uint32_t)tk_utf8_encode(cp, t + len);
    }
    offs[0x110000] = len;
    *offs_out = offs;
    *len_out = len;
    return t;
}

/* Mark the code points matched by (?:prop)+ in libonig. */
static void onig_prop(const char *prop, const uint8_t *t, uint32_t len, const uint32_t *offs,
                      uint8_t *hit) {
    char pat[64];
    snprintf(pat, sizeof pat, "(?:%s)+", prop);
    regex_t *re = ref_compile(pat, strlen(pat));
    OnigRegion *region = onig_region_new();
    uint32_t pos = 0, cp = 0;
    memset(hit, 0, 0x110000);
    while (pos < len &&
           onig_search(re, t, t + len, t + pos, t + len, region, ONIG_OPTION_NONE) >= 0) {
        uint32_t a = (uint32_t)region->beg[0], b = (uint32_t)region->end[0];
        while (offs[cp] < a) cp++;
        for (; cp < 0x110000 && offs[cp] < b; cp++) hit[cp] = 1;
        pos = b;
    }
    onig_region_free(region, 1);
    onig_free(re);
}

/* The tables equal libonig on every code point libonig knows as assigned; where they
 * differ libonig must say \p{Cn} (a newer Unicode in HF's Oniguruma). */
static void test_tables_vs_libonig(void) {
    static const struct {
        const char *prop;
        unsigned mask; /* the table flags whose union the property is */
    } props[] = {
        {"\\p{L}", TK_RC_L},   {"[\\p{Lu}\\p{Lt}]", TK_RC_LU}, {"\\p{Ll}", TK_RC_LL},
        {"[\\p{Lm}\\p{Lo}]", TK_RC_LO}, {"\\p{M}", TK_RC_M}, {"\\p{N}", TK_RC_N},
        {"\\s", TK_RC_WS},     {"\\p{P}", TK_RC_P},            {"\\p{S}", TK_RC_S},
    };
    uint32_t *offs, len;
    uint8_t *t = all_text(&offs, &len);
    uint8_t *cn = malloc(0x110000), *hit = malloc(0x110000);
    onig_prop("\\p{Cn}", t, len, offs, cn);
    free(engine_diff);
    engine_diff = calloc(0x110000 / 8, 1);
    long diff = 0, bad = 0;
    for (size_t p = 0; p < sizeof props / sizeof *props; p++) {
        onig_prop(props[p].prop, t, len, offs, hit);
        for (uint32_t cp = 0; cp < 0x110000; cp++) {
            if (cp >= 0xD800 && cp <= 0xDFFF) continue;
            bool in_table = (tk_rc_class(cp) & props[p].mask) != 0;
            if (in_table == (hit[cp] != 0)) continue;
            if (!(engine_diff[cp >> 3] >> (cp & 7) & 1)) diff++;
            engine_diff[cp >> 3] |= (uint8_t)(1u << (cp & 7));
            if (!cn[cp] && bad++ < 10)
                fprintf(stderr, "  U+%04X: table %s %s, libonig %s (assigned there)\n", cp,
                        in_table ? "has" : "lacks", props[p].prop, hit[cp] ? "has" : "lacks");
        }
    }
    CHECK_EQ_INT(bad, 0);
    fprintf(stderr, "    libonig %s: %ld code points classified differently, all unassigned there\n",
            onig_version(), diff);
    free(cn);
    free(hit);
    free(offs);
    free(t);
}

/* Characters new in Unicode 15 / 16 are classified as HF's wheel does. */
static void test_tables_follow_hf(void) {
    CHECK(tk_rc_class(0x1E5D0) & TK_RC_LO); /* Ol Onal letter (Unicode 16) */
    CHECK(tk_rc_class(0x31350) & TK_RC_LO); /* CJK extension H (15.0) */
    CHECK(tk_rc_class(0x2EBF0) & TK_RC_LO); /* CJK extension I (15.1) */
    CHECK(tk_rc_class(0x1E030) & TK_RC_LO); /* Cyrillic modifier letter (15.0), Lm */
    CHECK_EQ_INT(tk_rc_class(0x1E6C0), 0);  /* unassigned in 16 */
    CHECK_EQ_INT(tk_rc_class('a'), TK_RC_LL);
    CHECK_EQ_INT(tk_rc_class(' '), TK_RC_WS);
    CHECK_EQ_INT(tk_rc_class(0x85), TK_RC_WS);
    CHECK_EQ_INT(tk_rc_class(0x200B), 0); /* ZERO WIDTH SPACE is Cf, not \s */
    CHECK_EQ_INT(tk_rc_class(0x110000), 0);
    CHECK_EQ_INT(tk_rc_stage1[0], 0); /* the scanners index block 0 as the ASCII table */
    /* and the scanners use them: one GPT-2 word */
    tk_ctx c;
    tk_ctx_init(&c);
    tk_spans out = {0};
    const char *w = "a\xf0\x9e\x97\x90z";
    CHECK_OK(tk_regex_find_matches(engines[TK_SCAN_GPT2].scan, &c, w, (uint32_t)strlen(w), &out));
    CHECK_EQ_INT(out.n, 1);
    tk_ctx_free(&c);
}

/* ------------------------------------------------------------------ API behaviour */

typedef struct want_span {
    uint32_t a, b;
    int m;
} want_span;

static void check_spans(const char *pattern, bool literal, const char *text,
                        const want_span *w, size_t nw) {
    tk_regex *re = NULL;
    tk_ctx c;
    tk_ctx_init(&c);
    tk_spans out = {0};
    CHECK_OK(literal ? tk_regex_compile_literal(pattern, strlen(pattern), &re)
                     : tk_regex_compile(pattern, strlen(pattern), &re));
    if (re) CHECK_OK(tk_regex_find_matches(re, &c, text, (uint32_t)strlen(text), &out));
    bool ok = out.n == nw;
    for (size_t i = 0; ok && i < nw; i++)
        ok = out.v[i].start == w[i].a && out.v[i].end == w[i].b && out.v[i].is_match == w[i].m;
    CHECK(ok);
    if (!ok) {
        fprintf(stderr, "  pattern %s%s on \"%s\":\n", pattern, literal ? " (literal)" : "", text);
        print_spans("got", out.v, out.n);
    }
    tk_regex_free(re);
    tk_ctx_free(&c);
}
#define SPANS(pattern, literal, text, ...)                                               \
    do {                                                                                 \
        static const want_span w_[] = {__VA_ARGS__};                                     \
        check_spans(pattern, literal, text, w_, sizeof w_ / sizeof *w_);                 \
    } while (0)

/* Checked against tokenizers 0.23.3: Replace(Regex("a*"), "x") on "baab" gives
 * "xbxbx", Split("", "isolated") splits into characters. */
static void test_onig_find_iter(void) {
    SPANS("a*", false, "baab", {0, 0, 1}, {0, 1, 0}, {1, 3, 1}, {3, 4, 0}, {4, 4, 1});
    SPANS("a*", false, "", {0, 0, 0});
    SPANS("x", false, "abc", {0, 3, 0});
    SPANS("\\s+", false, "a  b ", {0, 1, 0}, {1, 3, 1}, {3, 4, 0}, {4, 5, 1});
    SPANS("", false, "a\xc3\xa9", {0, 0, 1}, {0, 1, 0}, {1, 1, 1}, {1, 3, 0}, {3, 3, 1});
    SPANS("\\b", false, "ab cd", {0, 0, 1}, {0, 2, 0}, {2, 2, 1}, {2, 3, 0}, {3, 3, 1},
          {3, 5, 0}, {5, 5, 1});
    SPANS("(?<=a)b", false, "abab", {0, 1, 0}, {1, 2, 1}, {2, 3, 0}, {3, 4, 1});
    SPANS("$", false, "ab", {0, 2, 0}, {2, 2, 1});
    SPANS("^", false, "a\nb", {0, 0, 1}, {0, 2, 0}, {2, 2, 1}, {2, 3, 0});
}

static void test_literal(void) {
    SPANS("aa", true, "aaa", {0, 2, 1}, {2, 3, 0});
    SPANS("-&~#", true, "a-&~#b", {0, 1, 0}, {1, 5, 1}, {5, 6, 0});
    SPANS(".", true, "a.b", {0, 1, 0}, {1, 2, 1}, {2, 3, 0});
    SPANS(" ", true, " a  ", {0, 1, 1}, {1, 2, 0}, {2, 3, 1}, {3, 4, 1});
    SPANS("\xc3\xa9", true, "\xc3\xa9t\xc3\xa9", {0, 2, 1}, {2, 3, 0}, {3, 5, 1});
    SPANS("xyz", true, "xy", {0, 2, 0});
    SPANS("", true, "a\xc3\xa9", {0, 0, 1}, {0, 1, 0}, {1, 1, 1}, {1, 3, 0}, {3, 3, 1});
    SPANS("", true, "", {0, 0, 0});
    tk_regex *re;
    CHECK_OK(tk_regex_compile_literal("ab", 2, &re));
    CHECK(strcmp(tk_regex_kind(re), "literal") == 0);
    tk_regex_free(re);
}

/* A literal is Oniguruma on regex::escape(literal): compare on random needles. */
static void test_literal_vs_onig(void) {
    tk_ctx c;
    tk_ctx_init(&c);
    spanvec want = {0};
    uint8_t hay[64 * 4], lit[8 * 4];
    char esc[8 * 8];
    long bad = 0;
    for (int i = 0; i < 20000; i++) {
        uint32_t hl = 0, ll = 0, n = (uint32_t)(rng() % 40), m = 1 + (uint32_t)(rng() % 3);
        static const uint32_t alpha[] = {'a', 'b', '.', '*', '-', '\\', 0xE9, 0x4E2D, ' '};
        for (uint32_t k = 0; k < n; k++) hl += (uint32_t)tk_utf8_encode(alpha[rng() % 9], hay + hl);
        for (uint32_t k = 0; k < m; k++) ll += (uint32_t)tk_utf8_encode(alpha[rng() % 9], lit + ll);
        size_t el = 0;
        for (uint32_t k = 0; k < ll; k++) {
            if (strchr("\\.+*?()|[]{}^$#&-~", lit[k]) && lit[k]) esc[el++] = '\\';
            esc[el++] = (char)lit[k];
        }
        tk_regex *re;
        CHECK_OK(tk_regex_compile_literal((const char *)lit, ll, &re));
        regex_t *ref = ref_compile(esc, el);
        ref_find(ref, hay, hl, &want);
        if (!agree(re, &c, hay, hl, &want)) bad++;
        onig_free(ref);
        tk_regex_free(re);
    }
    CHECK_EQ_INT(bad, 0);
    free(want.v);
    tk_ctx_free(&c);
}

static void test_kinds(void) {
    static const char *names[TK_SCAN_COUNT] = {
        [TK_SCAN_GPT2] = "gpt2", [TK_SCAN_CL100K] = "cl100k", [TK_SCAN_QWEN2] = "qwen2",
        [TK_SCAN_O200K] = "o200k", [TK_SCAN_DS_DIGITS] = "deepseek_digits",
        [TK_SCAN_DS_CJK] = "deepseek_cjk", [TK_SCAN_DS_TEXT] = "deepseek_text"};
    for (int k = TK_SCAN_NONE + 1; k < TK_SCAN_COUNT; k++) {
        CHECK(strcmp(tk_regex_kind(engines[k].scan), names[k]) == 0);
        CHECK(strcmp(tk_regex_kind(engines[k].onig), "onig") == 0);
    }
    tk_regex *re;
    /* one byte off: not recognised */
    const char *near = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s*";
    CHECK_OK(tk_regex_compile(near, strlen(near), &re));
    CHECK(strcmp(tk_regex_kind(re), "onig") == 0);
    tk_regex_free(re);
    tk_regex_free(NULL);
}

static void test_errors(void) {
    tk_regex *re = (tk_regex *)1;
    CHECK_STATUS(tk_regex_compile("(ab", 3, &re), HFC_ERR_INVALID);
    CHECK_MSG("(ab");
    CHECK_MSG("end pattern with unmatched parenthesis");
    CHECK(re == NULL);
    CHECK_STATUS(tk_regex_compile("\\p{Foo}", 7, &re), HFC_ERR_INVALID);
    CHECK_MSG("invalid character property name");
    CHECK_STATUS(tk_regex_compile("*a", 2, &re), HFC_ERR_INVALID);
    CHECK_MSG("target of repeat operator is not specified");
    CHECK_STATUS(tk_regex_compile("\xff", 1, &re), HFC_ERR_INVALID);
    CHECK_MSG("UTF-8");
    CHECK_STATUS(tk_regex_compile_literal("a\xc3", 2, &re), HFC_ERR_INVALID);
    /* the pattern in the message is cut at 200 bytes */
    char big[600];
    memset(big, 'a', sizeof big);
    big[0] = '(';
    CHECK_STATUS(tk_regex_compile(big, sizeof big, &re), HFC_ERR_INVALID);
    CHECK(strlen(hfc_error_message()) < 400);
    /* a pattern with a NUL byte compiles (patterns are counted, not terminated) */
    CHECK_OK(tk_regex_compile("a\0b", 3, &re));
    tk_ctx c;
    tk_ctx_init(&c);
    tk_spans out = {0};
    CHECK_OK(tk_regex_find_matches(re, &c, "xa\0b", 4, &out));
    CHECK(out.n == 2 && out.v[1].start == 1 && out.v[1].end == 4 && out.v[1].is_match);
    tk_regex_free(re);
    tk_ctx_free(&c);
}

/* find_matches appends: spans already in `out` stay. */
static void test_appends(void) {
    tk_ctx c;
    tk_ctx_init(&c);
    tk_spans out = {0};
    CHECK_OK(tk_regex_find_matches(engines[TK_SCAN_GPT2].scan, &c, "a b", 3, &out));
    CHECK_EQ_INT(out.n, 2);
    CHECK_OK(tk_regex_find_matches(engines[TK_SCAN_GPT2].onig, &c, "a b", 3, &out));
    CHECK_EQ_INT(out.n, 4);
    CHECK(out.v[2].start == 0 && out.v[3].start == 1 && out.v[3].end == 3);
    tk_ctx_free(&c);
}

/* ------------------------------------------------------------------ threads */

typedef struct thread_arg {
    uint64_t seed;
    long failed;
} thread_arg;

static void *thread_main(void *p) {
    thread_arg *a = p;
    tk_ctx c;
    tk_ctx_init(&c);
    uint64_t x = a->seed;
    uint8_t buf[256];
    for (int i = 0; i < 1500; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint32_t len = 0, n = (uint32_t)(x % 60);
        for (uint32_t k = 0; k < n; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            static const uint32_t alpha[] = {'a', 'B', ' ', '\'', 's', '1', '\n', '!', 0xE9,
                                             0x4E2D, 0x301, 0xA0};
            len += (uint32_t)tk_utf8_encode(alpha[x % 12], buf + len);
        }
        for (int k = TK_SCAN_NONE + 1; k < TK_SCAN_COUNT; k++) {
            tk_spans s1 = {0}, s2 = {0};
            tk_ctx_reset(&c);
            if (tk_regex_find_matches(engines[k].scan, &c, (char *)buf, len, &s1) ||
                tk_regex_find_matches(engines[k].onig, &c, (char *)buf, len, &s2) ||
                s1.n != s2.n) {
                a->failed++;
                continue;
            }
            for (size_t j = 0; j < s1.n; j++)
                if (s1.v[j].start != s2.v[j].start || s1.v[j].end != s2.v[j].end ||
                    s1.v[j].is_match != s2.v[j].is_match)
                    a->failed++;
        }
    }
    tk_ctx_free(&c);
    return NULL;
}

/* Shared compiled regexes (scanners and Oniguruma) used from 4 threads at once. */
static void test_threads(void) {
    pthread_t th[4];
    thread_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (thread_arg){0x1234567ull * (uint64_t)(i + 1), 0};
        CHECK(pthread_create(&th[i], NULL, thread_main, &args[i]) == 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ_INT(args[i].failed, 0);
    }
}

int main(void) {
    engines_init();
    RUN(test_kinds);
    RUN(test_tables_vs_libonig);
    RUN(test_tables_follow_hf);
    RUN(test_tricky_strings);
    RUN(test_random_strings);
    RUN(test_long_text);
    RUN(test_onig_find_iter);
    RUN(test_literal);
    RUN(test_literal_vs_onig);
    RUN(test_errors);
    RUN(test_appends);
    RUN(test_threads);
    engines_free();
    free(engine_diff);
    onig_end();
    return test_summary();
}
