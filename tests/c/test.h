/* Minimal C unit-test harness: each tests/c/test_*.c is its own program.
 *
 *   static void test_thing(void) { CHECK(x == 1); CHECK_EQ_INT(a, b); CHECK_OK(f()); }
 *   int main(void) { RUN(test_thing); return test_summary(); }
 *
 * Built with ASan + UBSan by `make test-c` (see Makefile); linked against the core only.
 */
#ifndef HFC_TEST_H
#define HFC_TEST_H

#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "hfc/hfc.h"

static int test_failures_ = 0;
static int test_checks_ = 0;
static const char *test_current_ = "";

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        test_checks_++;                                                                  \
        if (!(cond)) {                                                                   \
            test_failures_++;                                                            \
            fprintf(stderr, "%s:%d: %s: CHECK(%s) failed\n", __FILE__, __LINE__,         \
                    test_current_, #cond);                                               \
        }                                                                                \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                               \
    do {                                                                                 \
        long long ta_ = (long long)(a), tb_ = (long long)(b);                            \
        test_checks_++;                                                                  \
        if (ta_ != tb_) {                                                                \
            test_failures_++;                                                            \
            fprintf(stderr, "%s:%d: %s: %s == %s failed: %lld != %lld\n", __FILE__,      \
                    __LINE__, test_current_, #a, #b, ta_, tb_);                          \
        }                                                                                \
    } while (0)

#define CHECK_STATUS(expr, want)                                                         \
    do {                                                                                 \
        hfc_status ts_ = (expr);                                                         \
        test_checks_++;                                                                  \
        if (ts_ != (want)) {                                                             \
            test_failures_++;                                                            \
            fprintf(stderr, "%s:%d: %s: %s returned %s, want %s (message: %s)\n",        \
                    __FILE__, __LINE__, test_current_, #expr, hfc_status_name(ts_),      \
                    hfc_status_name(want), hfc_error_message());                         \
        }                                                                                \
    } while (0)

#define CHECK_OK(expr) CHECK_STATUS(expr, HFC_OK)

/* The last error message contains `needle`. */
#define CHECK_MSG(needle)                                                                \
    do {                                                                                 \
        test_checks_++;                                                                  \
        if (!strstr(hfc_error_message(), (needle))) {                                    \
            test_failures_++;                                                            \
            fprintf(stderr, "%s:%d: %s: message \"%s\" lacks \"%s\"\n", __FILE__,        \
                    __LINE__, test_current_, hfc_error_message(), (needle));             \
        }                                                                                \
    } while (0)

#define RUN(fn)                                                                          \
    do {                                                                                 \
        test_current_ = #fn;                                                             \
        int before_ = test_failures_;                                                    \
        fn();                                                                            \
        fprintf(stderr, "  %-40s %s\n", #fn, test_failures_ == before_ ? "ok" : "FAIL"); \
    } while (0)

/* A failing allocator for out-of-memory sweeps: after test_oom_budget more allocations
 * succeed, every one fails (-1: never fail). Install with hfc_set_allocator(&test_oom_allocator). */
static long test_oom_budget = -1;
static void *test_oom_malloc(void *ud, size_t n) {
    (void)ud;
    if (test_oom_budget == 0) return NULL;
    if (test_oom_budget > 0) test_oom_budget--;
    return malloc(n ? n : 1);
}
static void *test_oom_realloc(void *ud, void *p, size_t n) {
    (void)ud;
    if (test_oom_budget == 0) return NULL;
    if (test_oom_budget > 0) test_oom_budget--;
    return realloc(p, n ? n : 1);
}
static void test_oom_free(void *ud, void *p) {
    (void)ud;
    free(p);
}
__attribute__((unused)) static const hfc_allocator test_oom_allocator = {
    test_oom_malloc, test_oom_realloc, test_oom_free, NULL};

static inline int test_summary(void) {
    fprintf(stderr, "%d checks, %d failures\n", test_checks_, test_failures_);
    return test_failures_ ? 1 : 0;
}

#endif /* HFC_TEST_H */
