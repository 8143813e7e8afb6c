/* Normalizers and the Unicode tables under them, against vectors from the reference.
 *
 * tests/c/data/norm_pretok.json (tests/c/data/gen_norm_pretok.py, tokenizers==0.23.3)
 * lists component configurations with inputs and, for every resulting piece, its text,
 * original range and per-character original alignments (byte offsets). This file holds
 * the shared runner; test_pretokenizers.c includes it (NORM_PRETOK_NO_MAIN) and runs the
 * pre-tokenizer half. Set HFC_NORM_VECTORS to run a bigger generated file.
 */
#include "test.h"

#include "../../csrc/tokenizers/tk.h"

/* ------------------------------------------------------------------ vector runner */

static const char *vectors_path(void) {
    const char *p = getenv("HFC_NORM_VECTORS");
    return p && *p ? p : "tests/c/data/norm_pretok.json";
}

static int printed_ = 0;

static void show_bytes(const char *label, const char *s, size_t n) {
    fprintf(stderr, "    %s \"", label);
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)s[i];
        if (b >= 0x20 && b != '"' && b != '\\' && b != 0x7F) fputc(b, stderr);
        else fprintf(stderr, "\\x%02x", b);
    }
    fprintf(stderr, "\"\n");
}

/* Compare one piece with its expectation [text, orig_start, orig_end, chars|null]. */
static bool piece_matches(const tk_norm *n, const hfc_json_value *e, char *why, size_t wn) {
    const hfc_json_value *text = &e->u.items[0], *chars = &e->u.items[3];
    if (n->len != text->len || memcmp(n->s, text->u.s, n->len) != 0) {
        snprintf(why, wn, "text differs");
        return false;
    }
    uint32_t os = (uint32_t)e->u.items[1].u.i, oe = (uint32_t)e->u.items[2].u.i;
    if (n->orig_start != os || n->orig_end != oe) {
        snprintf(why, wn, "original range [%u, %u), want [%u, %u)", n->orig_start, n->orig_end,
                 os, oe);
        return false;
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < n->len; k++) {
        uint32_t w = (uint32_t)tk_utf8_len((uint8_t)n->s[i]);
        uint32_t ws = os + i, we = os + i + w;
        if (chars->type == HFC_JSON_ARRAY) {
            if (2 * k + 1 >= chars->len) {
                snprintf(why, wn, "more chars than expected");
                return false;
            }
            ws = (uint32_t)chars->u.items[2 * k].u.i;
            we = (uint32_t)chars->u.items[2 * k + 1].u.i;
        }
        for (uint32_t b = 0; b < w; b++)
            if (n->al[i + b].start != ws || n->al[i + b].end != we) {
                snprintf(why, wn, "char %u (byte %u) aligned to [%u, %u), want [%u, %u)", k,
                         i + b, n->al[i + b].start, n->al[i + b].end, ws, we);
                return false;
            }
        i += w;
    }
    return true;
}

typedef struct run_stats {
    int cases, failed;
} run_stats;

/* Run every case whose pre-tokenizer presence equals want_pretok. */
static void run_vectors(bool want_pretok, run_stats *rs) {
    hfc_json_doc *doc = NULL;
    hfc_status st = hfc_json_parse_file(vectors_path(), NULL, &doc);
    CHECK_OK(st);
    if (st != HFC_OK) return;
    const hfc_json_value *cases = hfc_json_getz(hfc_json_root(doc), "cases");
    CHECK(cases && cases->type == HFC_JSON_ARRAY);
    tk_ctx ctx;
    tk_ctx_init(&ctx);
    for (uint32_t ci = 0; cases && ci < cases->len; ci++) {
        const hfc_json_value *cs = &cases->u.items[ci];
        const hfc_json_value *nj = hfc_json_getz(cs, "n"), *pj = hfc_json_getz(cs, "p");
        bool has_p = pj && pj->type != HFC_JSON_NULL, has_n = nj && nj->type != HFC_JSON_NULL;
        if (has_p != want_pretok) continue;
        tk_normalizer *nz = NULL;
        tk_pretokenizer *pk = NULL;
        if (has_n) CHECK_OK(tk_normalizer_from_json(doc, nj, "$.normalizer", &nz));
        if (has_p) CHECK_OK(tk_pretokenizer_from_json(doc, pj, "$.pre_tokenizer", &pk));
        if ((has_n && !nz) || (has_p && !pk)) {
            tk_normalizer_free(nz);
            continue;
        }
        const hfc_json_value *io = hfc_json_getz(cs, "io");
        for (uint32_t k = 0; k < io->len; k++) {
            const hfc_json_value *in = &io->u.items[k].u.items[0];
            const hfc_json_value *exp = &io->u.items[k].u.items[1];
            tk_ctx_reset(&ctx);
            rs->cases++;
            tk_norm whole;
            tk_pretok pt = {0};
            char why[200] = "";
            bool ok = tk_norm_from_original(&ctx, in->u.s, in->len, 0, &whole) == HFC_OK;
            if (ok && nz) ok = tk_normalizer_apply(nz, &ctx, &whole) == HFC_OK;
            if (ok) ok = tk_pretok_push(&ctx, &pt, &whole) == HFC_OK;
            if (ok && pk) ok = tk_pretokenizer_apply(pk, &ctx, &pt) == HFC_OK;
            if (!ok) snprintf(why, sizeof why, "failed: %s", hfc_error_message());
            else if (pt.n != exp->len)
                snprintf(why, sizeof why, "%zu pieces, want %u", pt.n, exp->len), ok = false;
            for (size_t i = 0; ok && i < pt.n; i++) {
                char w2[140];
                if (!piece_matches(&pt.v[i].norm, &exp->u.items[i], w2, sizeof w2)) {
                    snprintf(why, sizeof why, "piece %zu: %s", i, w2);
                    ok = false;
                }
            }
            test_checks_++;
            if (ok) continue;
            test_failures_++;
            rs->failed++;
            if (printed_++ >= 25) continue;
            size_t cl = 0;
            const char *src = hfc_json_source(doc, &cl);
            const hfc_json_value *cfg = has_p ? pj : nj;
            size_t end = cfg->offset + 120 < cl ? cfg->offset + 120 : cl;
            fprintf(stderr, "  case %u.%u: %s\n    config %.*s\n", ci, k, why,
                    (int)(end - cfg->offset), src + cfg->offset);
            show_bytes("input", in->u.s, in->len);
            for (size_t i = 0; i < pt.n; i++) show_bytes("got  ", pt.v[i].norm.s, pt.v[i].norm.len);
            for (uint32_t i = 0; i < exp->len; i++)
                show_bytes("want ", exp->u.items[i].u.items[0].u.s,
                           exp->u.items[i].u.items[0].len);
        }
        tk_normalizer_free(nz);
        tk_pretokenizer_free(pk);
    }
    tk_ctx_free(&ctx);
    hfc_json_free(doc);
}

/* Loader failures listed under "errors" with key "n" or "p". */
static void run_errors(const char *key) {
    hfc_json_doc *doc = NULL;
    CHECK_OK(hfc_json_parse_file(vectors_path(), NULL, &doc));
    if (!doc) return;
    const hfc_json_value *errs = hfc_json_getz(hfc_json_root(doc), "errors");
    for (uint32_t i = 0; errs && i < errs->len; i++) {
        const hfc_json_value *e = &errs->u.items[i], *v = hfc_json_getz(e, key);
        if (!v) continue;
        const hfc_json_value *want = hfc_json_getz(e, "status"), *msg = hfc_json_getz(e, "msg");
        hfc_status st;
        if (key[0] == 'n') {
            tk_normalizer *nz = (tk_normalizer *)1;
            st = tk_normalizer_from_json(doc, v, "$.normalizer", &nz);
            CHECK(nz == NULL);
        } else {
            tk_pretokenizer *pk = (tk_pretokenizer *)1;
            st = tk_pretokenizer_from_json(doc, v, "$.pre_tokenizer", &pk);
            CHECK(pk == NULL);
        }
        char wantname[64], needle[256];
        snprintf(wantname, sizeof wantname, "%.*s", (int)want->len, want->u.s);
        snprintf(needle, sizeof needle, "%.*s", (int)msg->len, msg->u.s);
        test_checks_++;
        if (strcmp(hfc_status_name(st), wantname) != 0 || !strstr(hfc_error_message(), needle)) {
            test_failures_++;
            fprintf(stderr, "  error case %u: got %s \"%s\", want %s containing \"%s\"\n", i,
                    hfc_status_name(st), hfc_error_message(), wantname, needle);
        }
    }
    hfc_json_free(doc);
}

/* ------------------------------------------------------------------ out of memory */


/* Load `js` as a normalizer (kind 'n') or pre-tokenizer and run it on `text`, failing the
 * k-th allocation for every k until a run succeeds: every failure must be a clean
 * HFC_ERR_NOMEM (no crash, no leak), and the final run must succeed. */
static void oom_sweep(char kind, const char *js, const char *text) {
    static const hfc_allocator failing = {test_oom_malloc, test_oom_realloc, test_oom_free, NULL};
    hfc_json_doc *doc = NULL;
    CHECK_OK(hfc_json_parse(js, strlen(js), NULL, &doc));
    if (!doc) return;
    bool done = false;
    for (long k = 0; k < 10000 && !done; k++) {
        hfc_set_allocator(&failing);
        test_oom_budget = k;
        tk_normalizer *nz = NULL;
        tk_pretokenizer *pk = NULL;
        tk_ctx c;
        tk_ctx_init(&c);
        hfc_status st = kind == 'n'
                            ? tk_normalizer_from_json(doc, hfc_json_root(doc), "$.normalizer", &nz)
                            : tk_pretokenizer_from_json(doc, hfc_json_root(doc), "$.pre_tokenizer",
                                                        &pk);
        tk_norm n;
        tk_pretok pt = {0};
        if (st == HFC_OK) st = tk_norm_from_original(&c, text, (uint32_t)strlen(text), 0, &n);
        if (st == HFC_OK && nz) st = tk_normalizer_apply(nz, &c, &n);
        if (st == HFC_OK) st = tk_pretok_push(&c, &pt, &n);
        if (st == HFC_OK && pk) st = tk_pretokenizer_apply(pk, &c, &pt);
        test_oom_budget = -1;
        hfc_set_allocator(NULL);
        if (st != HFC_OK) CHECK_STATUS(st, HFC_ERR_NOMEM);
        done = st == HFC_OK;
        tk_normalizer_free(nz);
        tk_pretokenizer_free(pk);
        tk_ctx_free(&c);
    }
    CHECK(done);
    hfc_json_free(doc);
}

#ifndef NORM_PRETOK_NO_MAIN

/* ------------------------------------------------------------------ unicode unit tests */

static void test_unicode_properties(void) {
    CHECK(tk_is_whitespace(' ') && tk_is_whitespace('\t') && tk_is_whitespace(0x3000));
    CHECK(tk_is_whitespace(0x85) && !tk_is_whitespace(0x1C) && !tk_is_whitespace(0x200B));
    CHECK(tk_is_numeric('7') && tk_is_numeric(0x00BD) && tk_is_numeric(0x2167));
    CHECK(!tk_is_numeric('a') && tk_is_alphanumeric(0x00E9) && tk_is_alphanumeric('Z'));
    CHECK(tk_is_punctuation('!') && tk_is_punctuation(0x3002) && !tk_is_punctuation('$'));
    CHECK(tk_is_ascii_punctuation('$') && !tk_is_ascii_punctuation('a'));
    /* unicode_categories' tables predate Unicode 9.0: Adlam punctuation is not there */
    CHECK(!tk_is_punctuation(0x1E95E));
    CHECK(tk_is_control(0x00) && tk_is_control(0x200B) && tk_is_control(0xE000));
    CHECK(!tk_is_control('\t') && !tk_is_control('\n') && !tk_is_control('\r'));
    CHECK(tk_is_mark_nonspacing(0x0301) && !tk_is_mark_nonspacing(0x0903));
    CHECK(tk_is_combining_mark(0x0903) && tk_is_combining_mark(0x20DD) &&
          !tk_is_combining_mark('a'));
    CHECK(tk_is_word_char('_') && tk_is_word_char(0x0301) && !tk_is_word_char('-'));
    CHECK_EQ_INT(tk_combining_class(0x0301), 230);
    CHECK_EQ_INT(tk_combining_class(0x0316), 220);
    CHECK_EQ_INT(tk_combining_class('a'), 0);
    /* a mark added after Unicode 9.0 has class 0 in unicode-normalization-alignments */
    CHECK_EQ_INT(tk_combining_class(0x08D3), 0);
}

static void test_lowercase_map(void) {
    uint32_t o[3];
    CHECK_EQ_INT(tk_to_lowercase('A', o), 1);
    CHECK_EQ_INT(o[0], 'a');
    CHECK_EQ_INT(tk_to_lowercase(0x0130, o), 2); /* İ -> i + U+0307 */
    CHECK_EQ_INT(o[0], 'i');
    CHECK_EQ_INT(o[1], 0x0307);
    CHECK_EQ_INT(tk_to_lowercase(0x03A3, o), 1);
    CHECK_EQ_INT(o[0], 0x03C3); /* char-wise: never the final sigma */
    CHECK_EQ_INT(tk_to_lowercase(0xA7CE, o), 1);
    CHECK_EQ_INT(o[0], 0xA7CF); /* Unicode 17.0, as Rust std in the reference build */
    CHECK_EQ_INT(tk_to_lowercase(0x1E9E, o), 1);
    CHECK_EQ_INT(o[0], 0x00DF);
}

static void test_byte_alphabet(void) {
    for (int b = 0; b < 256; b++) CHECK_EQ_INT(tk_char_to_byte(tk_byte_to_char((uint8_t)b)), b);
    CHECK_EQ_INT(tk_byte_to_char(' '), 0x120);
    CHECK_EQ_INT(tk_byte_to_char('a'), 'a');
    CHECK_EQ_INT(tk_byte_to_char(0xAD), 0x143);
    CHECK_EQ_INT(tk_char_to_byte(0x144), -1);
    CHECK_EQ_INT(tk_char_to_byte(0x10FFFF), -1);
}

/* NFC of "한" written as jamo composes, NFD splits it back, with alignments per HF. */
static void test_hangul(void) {
    tk_ctx c;
    tk_ctx_init(&c);
    const char *jamo = "\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab"; /* U+1112 U+1161 U+11AB */
    tk_changes ch = {0};
    bool id;
    CHECK_OK(tk_unicode_normalize(&c, TK_NFC, jamo, 9, &ch, &id));
    CHECK(!id);
    CHECK_EQ_INT(ch.n, 1);
    if (ch.n == 1) {
        CHECK_EQ_INT(ch.v[0].cp, 0xD55C);
        CHECK_EQ_INT(ch.v[0].change, -2);
    }
    CHECK_OK(tk_unicode_normalize(&c, TK_NFD, "\xed\x95\x9c", 3, &ch, &id));
    CHECK_EQ_INT(ch.n, 3);
    if (ch.n == 3) {
        CHECK_EQ_INT(ch.v[2].cp, 0x11AB);
        CHECK_EQ_INT(ch.v[1].change, 1);
    }
    CHECK_OK(tk_unicode_normalize(&c, TK_NFKC, "plain ascii", 11, &ch, &id));
    CHECK(id);
    tk_ctx_free(&c);
}

static void test_normalizer_vectors(void) {
    run_stats rs = {0, 0};
    run_vectors(false, &rs);
    fprintf(stderr, "    normalizer vectors: %d cases, %d failed\n", rs.cases, rs.failed);
    CHECK(rs.cases > 0);
}

static void test_normalizer_errors(void) { run_errors("n"); }

/* The loader reports a non-object and the path it was given. */
static void test_normalizer_not_object(void) {
    hfc_json_doc *doc = NULL;
    CHECK_OK(hfc_json_parse("[1]", 3, NULL, &doc));
    tk_normalizer *nz = NULL;
    CHECK_STATUS(tk_normalizer_from_json(doc, &hfc_json_root(doc)->u.items[0], "$.normalizer",
                                         &nz), HFC_ERR_INVALID);
    CHECK_MSG("$.normalizer");
    CHECK(nz == NULL);
    hfc_json_free(doc);
}

static void test_normalizer_oom(void) {
    oom_sweep('n',
              "{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"NFKD\"},"
              "{\"type\":\"BertNormalizer\",\"clean_text\":true,\"handle_chinese_chars\":true,"
              "\"strip_accents\":null,\"lowercase\":true},{\"type\":\"Prepend\",\"prepend\":\"_\"},"
              "{\"type\":\"Replace\",\"pattern\":{\"String\":\" \"},\"content\":\"__\"},"
              "{\"type\":\"NFC\"},{\"type\":\"ByteLevel\"},{\"type\":\"Nmt\"}]}",
              "H\xc3\xa9llo \xef\xac\x81 W\xc3\xb6rld \xe4\xb8\xad\xe6\x96\x87 \xc4\xb0");
}

int main(void) {
    RUN(test_unicode_properties);
    RUN(test_lowercase_map);
    RUN(test_byte_alphabet);
    RUN(test_hangul);
    RUN(test_normalizer_vectors);
    RUN(test_normalizer_errors);
    RUN(test_normalizer_not_object);
    RUN(test_normalizer_oom);
    return test_summary();
}

#endif /* NORM_PRETOK_NO_MAIN */
