/* The reference the regex scanners are proven against: the system Oniguruma driven the way
 * the onig crate's FindMatches and HF's find_matches drive it. Shared by tests/c/test_regex.c
 * and tests/fuzz/fuzz_regex.c. Include after <oniguruma.h> and csrc/tokenizers/tk.h. */
#ifndef HFC_TEST_ONIG_REF_H
#define HFC_TEST_ONIG_REF_H

#include <stdio.h>
#include <stdlib.h>

typedef struct spanvec {
    tk_span *v;
    size_t n, cap;
} spanvec;

static void sv_push(spanvec *sv, uint32_t a, uint32_t b, bool m) {
    if (sv->n == sv->cap) {
        sv->cap = sv->cap ? sv->cap * 2 : 64;
        sv->v = realloc(sv->v, sv->cap * sizeof *sv->v);
        if (!sv->v) abort();
    }
    sv->v[sv->n++] = (tk_span){a, b, m};
}

static regex_t *ref_compile(const char *p, size_t len) {
    regex_t *re = NULL;
    OnigErrorInfo ei;
    OnigEncoding enc = ONIG_ENCODING_UTF8;
    onig_initialize(&enc, 1);
    int rc = onig_new(&re, (const UChar *)p, (const UChar *)p + len, ONIG_OPTION_NONE,
                      ONIG_ENCODING_UTF8, ONIG_SYNTAX_DEFAULT, &ei);
    if (rc != ONIG_NORMAL) {
        fprintf(stderr, "reference onig_new failed (%d) on %.*s\n", rc, (int)len, p);
        abort();
    }
    return re;
}

/* onig crate FindMatches + HF find_matches, straight from their source. */
static void ref_find(regex_t *re, const uint8_t *s, uint32_t len, spanvec *out) {
    out->n = 0;
    if (len == 0) {
        sv_push(out, 0, 0, false);
        return;
    }
    OnigRegion *region = onig_region_new();
    size_t last_end = 0, prev = 0;
    long last_match_end = -1;
    while (last_end <= len) {
        if (onig_search(re, s, s + len, s + last_end, s + len, region, ONIG_OPTION_NONE) < 0)
            break;
        size_t ms = (size_t)region->beg[0], me = (size_t)region->end[0];
        if (ms == me && last_match_end == (long)me) {
            last_end += last_end < len ? (size_t)tk_utf8_len(s[last_end]) : 1;
            continue;
        }
        last_end = me;
        last_match_end = (long)me;
        if (prev != ms) sv_push(out, (uint32_t)prev, (uint32_t)ms, false);
        sv_push(out, (uint32_t)ms, (uint32_t)me, true);
        prev = me;
    }
    if (prev != len) sv_push(out, (uint32_t)prev, len, false);
    onig_region_free(region, 1);
}

#endif
