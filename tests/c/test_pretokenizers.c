/* Pre-tokenizers (alone and after a normalizer), against vectors from the reference.
 * The runner lives in test_normalizers.c; see there for the data format. */
#define NORM_PRETOK_NO_MAIN
#include "test_normalizers.c"

static void test_pretokenizer_vectors(void) {
    run_stats rs = {0, 0};
    run_vectors(true, &rs);
    fprintf(stderr, "    pre-tokenizer vectors: %d cases, %d failed\n", rs.cases, rs.failed);
    CHECK(rs.cases > 0);
}

static void test_pretokenizer_errors(void) { run_errors("p"); }

/* Splits that already carry tokens (added tokens) pass through untouched, in order. */
static void test_tokenized_splits_kept(void) {
    hfc_json_doc *doc = NULL;
    const char *js = "{\"type\":\"WhitespaceSplit\"}";
    CHECK_OK(hfc_json_parse(js, strlen(js), NULL, &doc));
    tk_pretokenizer *pk = NULL;
    CHECK_OK(tk_pretokenizer_from_json(doc, hfc_json_root(doc), "$.pre_tokenizer", &pk));
    tk_ctx c;
    tk_ctx_init(&c);
    const char *text = "a b<s>c d";
    tk_norm whole, left, tok, right;
    CHECK_OK(tk_norm_from_original(&c, text, 9, 0, &whole));
    tk_norm_slice(&whole, 0, 3, &left);
    tk_norm_slice(&whole, 3, 6, &tok);
    tk_norm_slice(&whole, 6, 9, &right);
    tk_pretok pt = {0};
    CHECK_OK(tk_pretok_push(&c, &pt, &left));
    CHECK_OK(tk_pretok_push(&c, &pt, &tok));
    static tk_token t = {7, 0, 3};
    pt.v[1].toks = &t;
    pt.v[1].ntoks = 1;
    pt.v[1].tokenized = true;
    CHECK_OK(tk_pretok_push(&c, &pt, &right));
    if (pk) CHECK_OK(tk_pretokenizer_apply(pk, &c, &pt));
    CHECK_EQ_INT(pt.n, 5);
    if (pt.n == 5) {
        CHECK(pt.v[2].tokenized && pt.v[2].toks == &t && pt.v[2].norm.orig_start == 3);
        CHECK(!pt.v[3].tokenized && pt.v[3].norm.len == 1 && pt.v[3].norm.s[0] == 'c');
        CHECK_EQ_INT(pt.v[4].norm.orig_start, 8);
    }
    tk_pretokenizer_free(pk);
    tk_ctx_free(&c);
    hfc_json_free(doc);
}

/* Metaspace's prepend_scheme "first" looks at the piece's original start, so only the
 * piece at offset 0 of the input gets the replacement prepended. */
static void test_metaspace_first_offsets(void) {
    hfc_json_doc *doc = NULL;
    const char *js = "{\"type\":\"Metaspace\",\"replacement\":\"_\",\"prepend_scheme\":\"first\"}";
    CHECK_OK(hfc_json_parse(js, strlen(js), NULL, &doc));
    tk_pretokenizer *pk = NULL;
    CHECK_OK(tk_pretokenizer_from_json(doc, hfc_json_root(doc), "$.pre_tokenizer", &pk));
    tk_ctx c;
    tk_ctx_init(&c);
    tk_norm whole, a, b;
    CHECK_OK(tk_norm_from_original(&c, "ab", 2, 0, &whole));
    tk_norm_slice(&whole, 0, 1, &a);
    tk_norm_slice(&whole, 1, 2, &b);
    tk_pretok pt = {0};
    CHECK_OK(tk_pretok_push(&c, &pt, &a));
    CHECK_OK(tk_pretok_push(&c, &pt, &b));
    if (pk) CHECK_OK(tk_pretokenizer_apply(pk, &c, &pt));
    CHECK_EQ_INT(pt.n, 2);
    if (pt.n == 2) {
        CHECK(pt.v[0].norm.len == 2 && memcmp(pt.v[0].norm.s, "_a", 2) == 0);
        CHECK(pt.v[1].norm.len == 1 && pt.v[1].norm.s[0] == 'b');
    }
    tk_pretokenizer_free(pk);
    tk_ctx_free(&c);
    hfc_json_free(doc);
}

static void test_pretokenizer_oom(void) {
    oom_sweep('p',
              "{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Metaspace\","
              "\"replacement\":\"_\",\"prepend_scheme\":\"always\"},{\"type\":\"Punctuation\"},"
              "{\"type\":\"Digits\",\"individual_digits\":false},{\"type\":\"UnicodeScripts\"},"
              "{\"type\":\"Split\",\"pattern\":{\"Regex\":\"\\\\s+\"},\"behavior\":\"Isolated\","
              "\"invert\":false},{\"type\":\"ByteLevel\",\"add_prefix_space\":true,"
              "\"trim_offsets\":true},{\"type\":\"FixedLength\",\"length\":2}]}",
              "Hello, w\xc3\xb6rld 123 \xe4\xb8\xad\xe6\x96\x87!");
}

int main(void) {
    RUN(test_pretokenizer_vectors);
    RUN(test_pretokenizer_errors);
    RUN(test_tokenized_splits_kept);
    RUN(test_metaspace_first_offsets);
    RUN(test_pretokenizer_oom);
    return test_summary();
}
