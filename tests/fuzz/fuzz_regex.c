/* libFuzzer differential target for csrc/tokenizers/regex*.c.
 *
 * data[0] % 8 picks what to compare; the rest is the text (skipped unless valid UTF-8):
 *   0..6  scanner TK_SCAN_GPT2 + k against libonig running the same pattern
 *   7     a literal: data[1] % 9 is a byte budget; the whole characters of data[2..] within
 *         it are the needle, the rest the text; compared with libonig on the
 *         regex::escape'd needle (the empty needle included)
 * Both sides must give identical span lists (HF find_matches over the onig crate's
 * find_iter). Texts holding a character libonig does not know but the class tables do
 * (newer Unicode in HF's Oniguruma) are skipped.
 */
#include <oniguruma.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../csrc/tokenizers/tk.h"
#include "../../csrc/tokenizers/regex_scan.h"
#include "../../csrc/tokenizers/regex_tables.h"

#include "../c/onig_ref.h"

static tk_regex *scanners[TK_SCAN_COUNT];
static regex_t *refs[TK_SCAN_COUNT];
static uint8_t *unknown; /* bitmap: libonig says \p{Cn}, the tables give a class */
static spanvec want;
static tk_ctx ctx;

static void init(void) {
    OnigEncoding enc = ONIG_ENCODING_UTF8;
    onig_initialize(&enc, 1);
    for (int k = TK_SCAN_NONE + 1; k < TK_SCAN_COUNT; k++) {
        size_t len;
        const char *p = tk_scan_pattern((tk_scan_kind)k, &len);
        if (tk_regex_compile(p, len, &scanners[k]) != HFC_OK) abort();
        refs[k] = ref_compile(p, len);
    }
    /* one pass of (?:\p{Cn})+ over every scalar value */
    uint8_t *t = malloc(0x110000 * 4);
    uint32_t *cp_at = malloc(0x110000 * 4 * sizeof *cp_at), len = 0;
    for (uint32_t cp = 0; cp < 0x110000; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        int l = tk_utf8_encode(cp, t + len);
        for (int i = 0; i < l; i++) cp_at[len + (uint32_t)i] = cp;
        len += (uint32_t)l;
    }
    unknown = calloc(0x110000 / 8, 1);
    regex_t *cn = ref_compile("(?:\\p{Cn})+", 11);
    OnigRegion *region = onig_region_new();
    uint32_t pos = 0;
    while (pos < len &&
           onig_search(cn, t, t + len, t + pos, t + len, region, ONIG_OPTION_NONE) >= 0) {
        for (uint32_t i = (uint32_t)region->beg[0]; i < (uint32_t)region->end[0]; i++)
            if (tk_rc_class(cp_at[i])) unknown[cp_at[i] >> 3] |= (uint8_t)(1u << (cp_at[i] & 7));
        pos = (uint32_t)region->end[0];
    }
    onig_region_free(region, 1);
    onig_free(cn);
    free(cp_at);
    free(t);
    tk_ctx_init(&ctx);
}

static bool has_unknown(const uint8_t *s, uint32_t n) {
    for (uint32_t i = 0; i < n;) {
        int l;
        uint32_t cp = tk_utf8_decode(s + i, n - i, &l);
        if (unknown[cp >> 3] >> (cp & 7) & 1) return true;
        i += (uint32_t)l;
    }
    return false;
}

static void compare(const tk_regex *re, const uint8_t *s, uint32_t n) {
    tk_spans got = {0};
    tk_ctx_reset(&ctx);
    if (tk_regex_find_matches(re, &ctx, (const char *)s, n, &got) != HFC_OK) abort();
    bool same = got.n == want.n;
    for (size_t i = 0; same && i < got.n; i++)
        same = got.v[i].start == want.v[i].start && got.v[i].end == want.v[i].end &&
               got.v[i].is_match == want.v[i].is_match;
    if (same) return;
    fprintf(stderr, "%s differs from Oniguruma on %u bytes:\n  got ", tk_regex_kind(re), n);
    for (size_t i = 0; i < got.n; i++)
        fprintf(stderr, " %u-%u%s", got.v[i].start, got.v[i].end, got.v[i].is_match ? "" : "_");
    fprintf(stderr, "\n  want");
    for (size_t i = 0; i < want.n; i++)
        fprintf(stderr, " %u-%u%s", want.v[i].start, want.v[i].end, want.v[i].is_match ? "" : "_");
    fputc('\n', stderr);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!unknown) init();
    if (size < 1 || size > 4096) return 0;
    unsigned mode = data[0] % 8;
    const uint8_t *s = data + 1;
    uint32_t n = (uint32_t)size - 1;
    if (mode < 7) {
        if (hfc_utf8_valid_prefix_ref(s, n) != n) return 0;
        if (has_unknown(s, n)) return 0;
        int k = TK_SCAN_GPT2 + (int)mode;
        ref_find(refs[k], s, n, &want);
        compare(scanners[k], s, n);
        return 0;
    }
    /* data[1] % 9: the needle's byte budget; needle = whole characters within it */
    if (n < 1) return 0;
    uint32_t budget = data[1] % 9, cut = 0;
    const uint8_t *body = data + 2;
    uint32_t nb = n - 1;
    if (hfc_utf8_valid_prefix_ref(body, nb) != nb) return 0;
    while (cut < nb && cut + (uint32_t)tk_utf8_len(body[cut]) <= budget)
        cut += (uint32_t)tk_utf8_len(body[cut]);
    const uint8_t *lit = body, *text = body + cut;
    uint32_t ll = cut, tl = nb - cut;
    char esc[64];
    size_t el = 0;
    for (uint32_t i = 0; i < ll; i++) {
        if (lit[i] && strchr("\\.+*?()|[]{}^$#&-~", lit[i])) esc[el++] = '\\';
        esc[el++] = (char)lit[i];
    }
    tk_regex *re;
    if (tk_regex_compile_literal((const char *)lit, ll, &re) != HFC_OK) abort();
    regex_t *ref = ref_compile(esc, el);
    ref_find(ref, text, tl, &want);
    compare(re, text, tl);
    onig_free(ref);
    tk_regex_free(re);
    return 0;
}
