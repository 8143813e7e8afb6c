/* Patterns with HF's semantics: Oniguruma, hand-written scanners, literals.
 *
 * HF compiles every pattern with the onig crate: Regex::new(p) = onig_new(p, NONE,
 * UTF-8, OnigDefaultSyntax). In Oniguruma 6.9.x that is ONIG_SYNTAX_ONIGURUMA, not Ruby
 * as the crate's doc says: HF accepts "(*FAIL)", "(?W:...)", "(?I)". It iterates with
 * FindMatches:
 *
 *     search from last_end; match (s, e);
 *     if s == e and e == the previous match's end: last_end += one char; search again
 *     else yield (s, e); last_end = e
 *
 * So empty matches ARE yielded (e.g. "a*" on "baab" gives (0,0) (1,3) (4,4)), except one
 * right at the end of the previous match. HF's find_matches then fills the gaps with
 * non-matches and returns [(0,0), false] for an empty input without searching.
 *
 * String patterns (Split / Replace with {"String": s}) are onig_new(regex::escape(s)):
 * a non-empty literal is plain leftmost non-overlapping substring search, done here
 * with memmem; the empty literal is the empty regex, which matches at every character
 * boundary.
 *
 * Texts must be valid UTF-8 (they are normalized pieces, Rust strs in HF): neither
 * Oniguruma (no ONIG_OPTION_CHECK_VALIDITY_OF_STRING, as in the onig crate) nor the
 * scanners check. Patterns and literals are checked at compile time.
 *
 * Threads: a compiled regex is read-only. onig_search on a shared regex_t is safe with
 * a region per call (the onig crate marks Regex Send + Sync and HF shares it across
 * rayon threads); onig_new is not (global tables), so it runs under a mutex as the onig
 * crate does.
 */
#include <oniguruma.h>
#include <pthread.h>
#include <string.h>

#include "regex_scan.h"
#include "tk.h"

typedef enum re_kind { RE_ONIG, RE_LITERAL, RE_SCAN } re_kind;

struct tk_regex {
    re_kind kind;
    tk_scan_kind scan; /* RE_SCAN */
    regex_t *onig;     /* RE_ONIG */
    char *lit;         /* RE_LITERAL: the string (len bytes, may be empty) */
    size_t len;
};

static pthread_once_t onig_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t onig_lock = PTHREAD_MUTEX_INITIALIZER;
static int onig_init_rc;

static void onig_init_once(void) {
    OnigEncoding enc = ONIG_ENCODING_UTF8;
    onig_init_rc = onig_initialize(&enc, 1);
}

/* Push with the arena vector's fast path inlined. */
static inline hfc_status push(tk_ctx *c, tk_spans *sp, uint32_t a, uint32_t b, bool m) {
    if (HFC_LIKELY(sp->n < sp->cap)) {
        tk_span *x = &sp->v[sp->n++];
        x->start = a;
        x->end = b;
        x->is_match = m;
        return HFC_OK;
    }
    return tk_spans_push(c, sp, a, b, m);
}

/* ------------------------------------------------------------------ compile */

/* At most 200 bytes of the pattern in messages. */
#define PAT_SHOWN(len) ((int)((len) > 200 ? 200 : (len)))
#define PAT_MORE(len) ((len) > 200 ? "..." : "")

static hfc_status compile_onig(const char *pattern, size_t len, regex_t **out) {
    pthread_once(&onig_once, onig_init_once);
    if (onig_init_rc != ONIG_NORMAL)
        return hfc_fail(HFC_ERR_STATE, "Oniguruma failed to initialize (code %d)", onig_init_rc);
    OnigErrorInfo einfo;
    memset(&einfo, 0, sizeof einfo);
    const UChar *p = (const UChar *)pattern;
    pthread_mutex_lock(&onig_lock);
    int rc = onig_new(out, p, p + len, ONIG_OPTION_NONE, ONIG_ENCODING_UTF8,
                      ONIG_SYNTAX_DEFAULT, &einfo);
    UChar msg[ONIG_MAX_ERROR_MESSAGE_LEN];
    if (rc != ONIG_NORMAL) onig_error_code_to_str(msg, rc, &einfo);
    pthread_mutex_unlock(&onig_lock);
    if (rc == ONIGERR_MEMORY) return hfc_fail(HFC_ERR_NOMEM, "Oniguruma: %s", (char *)msg);
    if (rc != ONIG_NORMAL)
        return hfc_fail(HFC_ERR_INVALID, "invalid regex '%.*s%s': %s", PAT_SHOWN(len), pattern,
                        PAT_MORE(len), (char *)msg);
    return HFC_OK;
}

static void free_onig(regex_t *onig) {
    pthread_mutex_lock(&onig_lock);
    onig_free(onig);
    pthread_mutex_unlock(&onig_lock);
}

void tk_regex_free(tk_regex *re) {
    if (!re) return;
    if (re->onig) free_onig(re->onig);
    hfc_free(re->lit);
    hfc_free(re);
}

static hfc_status check_utf8(const char *s, size_t len, const char *what) {
    size_t ok = hfc_utf8_valid_prefix_ref((const uint8_t *)s, len);
    if (ok != len)
        return hfc_fail(HFC_ERR_INVALID, "%s is not valid UTF-8 (byte %zu)", what, ok);
    return HFC_OK;
}

static hfc_status regex_new(re_kind kind, tk_regex **out) {
    tk_regex *re = hfc_calloc(1, sizeof *re);
    if (!re) return hfc_fail(HFC_ERR_NOMEM, "out of memory compiling a regex");
    re->kind = kind;
    *out = re;
    return HFC_OK;
}

hfc_status tk_regex_compile(const char *pattern, size_t len, tk_regex **out) {
    *out = NULL;
    HFC_TRY(check_utf8(pattern, len, "regex pattern"));
    tk_scan_kind scan = tk_scan_lookup(pattern, len);
    regex_t *onig = NULL;
    if (scan == TK_SCAN_NONE) HFC_TRY(compile_onig(pattern, len, &onig));
    hfc_status st = regex_new(scan ? RE_SCAN : RE_ONIG, out);
    if (st != HFC_OK) {
        if (onig) free_onig(onig);
        return st;
    }
    (*out)->scan = scan;
    (*out)->onig = onig;
    return HFC_OK;
}

hfc_status tk_regex_compile_literal(const char *lit, size_t len, tk_regex **out) {
    *out = NULL;
    HFC_TRY(check_utf8(lit, len, "split/replace string"));
    char *copy = hfc_malloc(len ? len : 1);
    if (!copy) return hfc_fail(HFC_ERR_NOMEM, "out of memory compiling a literal pattern");
    if (len) memcpy(copy, lit, len);
    hfc_status st = regex_new(RE_LITERAL, out);
    if (st != HFC_OK) {
        hfc_free(copy);
        return st;
    }
    (*out)->lit = copy;
    (*out)->len = len;
    return HFC_OK;
}

const char *tk_regex_literal(const tk_regex *re, size_t *len) {
    if (re->kind != RE_LITERAL) return NULL;
    *len = re->len;
    return re->lit;
}

const char *tk_regex_kind(const tk_regex *re) {
    switch (re->kind) {
    case RE_ONIG: return "onig";
    case RE_LITERAL: return "literal";
    case RE_SCAN: return tk_scan_name(re->scan);
    }
    return "?";
}

/* ------------------------------------------------------------------ matching */

/* Oniguruma with the onig crate's find_iter rule for empty matches (top of file). */
static hfc_status find_onig(const tk_regex *re, tk_ctx *c, const uint8_t *s, uint32_t len,
                            tk_spans *out) {
    OnigRegion region;
    onig_region_init(&region);
    hfc_status st = HFC_OK;
    uint32_t last_end = 0, prev = 0;
    int64_t last_match_end = -1;
    while (last_end <= len) {
        int r = onig_search(re->onig, s, s + len, s + last_end, s + len, &region,
                            ONIG_OPTION_NONE);
        if (r == ONIG_MISMATCH) break;
        if (r < 0) {
            UChar msg[ONIG_MAX_ERROR_MESSAGE_LEN];
            onig_error_code_to_str(msg, r);
            st = hfc_fail(HFC_ERR_INVALID, "regex search failed at byte %u of %u: %s",
                          (unsigned)last_end, (unsigned)len, (char *)msg);
            break;
        }
        uint32_t ms = (uint32_t)region.beg[0], me = (uint32_t)region.end[0];
        if (ms == me && last_match_end == (int64_t)me) {
            last_end += last_end < len ? (uint32_t)tk_utf8_len(s[last_end]) : 1;
            continue;
        }
        last_end = last_match_end = me;
        if (prev != ms && (st = push(c, out, prev, ms, false)) != HFC_OK) break;
        if ((st = push(c, out, ms, me, true)) != HFC_OK) break;
        prev = me;
    }
    onig_region_free(&region, 0);
    if (st == HFC_OK && prev != len) st = push(c, out, prev, len, false);
    return st;
}

static hfc_status find_literal(const tk_regex *re, tk_ctx *c, const uint8_t *s, uint32_t len,
                               tk_spans *out) {
    uint32_t prev = 0;
    if (re->len == 0) {
        /* the empty regex: an empty match at every character boundary */
        for (uint32_t i = 0;; i += (uint32_t)tk_utf8_len(s[i])) {
            if (i > prev) HFC_TRY(push(c, out, prev, i, false));
            HFC_TRY(push(c, out, i, i, true));
            prev = i;
            if (i >= len) break;
        }
        return HFC_OK;
    }
    const uint8_t *p = s, *end = s + len;
    while ((size_t)(end - p) >= re->len) {
        const uint8_t *hit = re->len == 1 ? memchr(p, re->lit[0], (size_t)(end - p))
                                          : memmem(p, (size_t)(end - p), re->lit, re->len);
        if (!hit) break;
        uint32_t ms = (uint32_t)(hit - s), me = ms + (uint32_t)re->len;
        if (ms != prev) HFC_TRY(push(c, out, prev, ms, false));
        HFC_TRY(push(c, out, ms, me, true));
        prev = me;
        p = s + me;
    }
    if (prev != len) HFC_TRY(push(c, out, prev, len, false));
    return HFC_OK;
}

hfc_status tk_regex_find_matches(const tk_regex *re, tk_ctx *c, const char *s, uint32_t len,
                                 tk_spans *out) {
    if (len == 0) return push(c, out, 0, 0, false);
    const uint8_t *u = (const uint8_t *)s;
    switch (re->kind) {
    case RE_SCAN: return tk_scan_find(re->scan, c, u, len, out);
    case RE_LITERAL: return find_literal(re, c, u, len, out);
    case RE_ONIG: return find_onig(re, c, u, len, out);
    }
    return hfc_fail(HFC_ERR_STATE, "corrupt regex");
}

/* Public: the pattern strings that run on hand-written scanners (tests and docs use this
 * to know which patterns are exact to HF's own engine tables). */
const char *hfc_regex_scanner_pattern(size_t i, size_t *len) {
    if (i + 1 >= (size_t)TK_SCAN_COUNT) return NULL;
    return tk_scan_pattern((tk_scan_kind)(i + 1), len);
}
