/* Allocator, hfc_buf, arena and status/message tests. */
#include "test.h"

#include <errno.h>
#include <stdint.h>


static void test_status_messages(void) {
    hfc_error_clear();
    CHECK(hfc_error_message()[0] == '\0');
    CHECK_STATUS(hfc_fail(HFC_ERR_INVALID, "bad %s at %d", "thing", 7), HFC_ERR_INVALID);
    CHECK(strcmp(hfc_error_message(), "bad thing at 7") == 0);
    CHECK_STATUS(hfc_error_prefix(HFC_ERR_INVALID, "%s: ", "file.json"), HFC_ERR_INVALID);
    CHECK(strcmp(hfc_error_message(), "file.json: bad thing at 7") == 0);
    CHECK_STATUS(hfc_fail_errno(ENOENT, "%s", "/nope"), HFC_ERR_IO);
    CHECK_EQ_INT(hfc_error_errno(), ENOENT);
    CHECK_MSG("/nope: No such file");
    CHECK(strcmp(hfc_status_name(HFC_ERR_KEY), "HFC_ERR_KEY") == 0);
    CHECK(strcmp(hfc_status_name((hfc_status)999), "HFC_ERR_<unknown>") == 0);
    /* a huge prefix truncates, never overflows */
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    hfc_fail(HFC_ERR_INVALID, "tail");
    hfc_error_prefix(HFC_ERR_INVALID, "%s", big);
    CHECK(strlen(hfc_error_message()) == HFC_ERROR_MESSAGE_MAX - 1);
    /* save / restore */
    hfc_error_state st;
    hfc_fail(HFC_ERR_RANGE, "saved");
    hfc_error_save(&st, HFC_ERR_RANGE);
    hfc_error_clear();
    CHECK_STATUS(hfc_error_restore(&st), HFC_ERR_RANGE);
    CHECK(strcmp(hfc_error_message(), "saved") == 0);
}

static void test_size_arith(void) {
    size_t out = 0;
    CHECK(hfc_mul_size(1000, 1000, &out) && out == 1000000);
    CHECK(!hfc_mul_size(SIZE_MAX / 2, 3, &out));
    CHECK(!hfc_add_size(SIZE_MAX, 1, &out));
    CHECK(hfc_calloc(SIZE_MAX / 2, 3) == NULL);
    void *p = NULL;
    size_t cap = 0;
    CHECK_STATUS(hfc_grow(&p, &cap, SIZE_MAX / 2, 16), HFC_ERR_OVERFLOW);
    CHECK(p == NULL && cap == 0);
    CHECK_OK(hfc_grow(&p, &cap, 100, 4));
    CHECK(cap >= 100);
    hfc_free(p);
}

static void test_buf(void) {
    hfc_buf b = {0};
    CHECK_OK(hfc_buf_append(&b, "abc", 3));
    CHECK_OK(hfc_buf_putc(&b, 'd'));
    CHECK_OK(hfc_buf_printf(&b, "-%d-%s", 42, "x"));
    CHECK(b.len == 9 && strcmp(b.data, "abcd-42-x") == 0);
    for (int i = 0; i < 10000; i++) CHECK_OK(hfc_buf_putc(&b, 'z'));
    CHECK_EQ_INT(b.len, 10009);
    CHECK(b.data[b.len] == '\0');
    hfc_buf_free(&b);
    CHECK(b.data == NULL && b.len == 0);
}

static void test_arena_basic(void) {
    hfc_arena a;
    hfc_arena_init(&a, 256);
    for (size_t align = 1; align <= 4096; align *= 2) {
        char *p = hfc_arena_alloc(&a, 13, align);
        CHECK(p != NULL);
        CHECK(((uintptr_t)p & (align - 1)) == 0);
        memset(p, 0xAB, 13);
    }
    /* bigger than a chunk */
    char *big = hfc_arena_alloc(&a, 100000, 16);
    CHECK(big != NULL);
    memset(big, 1, 100000);
    char *s = hfc_arena_strndup(&a, "hello world", 5);
    CHECK(strcmp(s, "hello") == 0);
    int v[4] = {1, 2, 3, 4};
    int *d = hfc_arena_memdup(&a, v, sizeof v, _Alignof(int));
    CHECK(d && d[3] == 4);
    CHECK(hfc_arena_alloc(&a, 0, 1) != NULL);
    hfc_arena_free(&a);
    hfc_arena_free(&a); /* idempotent */
}

static void test_arena_many_small(void) {
    hfc_arena a;
    hfc_arena_init(&a, 0);
    char **ptrs = malloc(100000 * sizeof *ptrs);
    for (int i = 0; i < 100000; i++) {
        ptrs[i] = hfc_arena_alloc(&a, (size_t)(i % 37) + 1, 8);
        memset(ptrs[i], i & 0xFF, (size_t)(i % 37) + 1);
    }
    int bad = 0;
    for (int i = 0; i < 100000; i++)
        for (int j = 0; j < (i % 37) + 1; j++)
            if ((unsigned char)ptrs[i][j] != (i & 0xFF)) bad++;
    CHECK_EQ_INT(bad, 0);
    free(ptrs);
    hfc_arena_free(&a);
}

static void test_arena_mark_rewind_reset(void) {
    hfc_arena a;
    hfc_arena_init(&a, 128);
    char *keep = hfc_arena_strndup(&a, "keep", 4);
    hfc_arena_mark m = hfc_arena_save(&a);
    for (int i = 0; i < 1000; i++) CHECK(hfc_arena_alloc(&a, 100, 8) != NULL);
    hfc_arena_rewind(&a, m);
    CHECK(strcmp(keep, "keep") == 0);
    CHECK_EQ_INT(a.total, m.total);
    char *after = hfc_arena_alloc(&a, 8, 1);
    CHECK(after != NULL);
    hfc_arena_reset(&a);
    CHECK_EQ_INT(a.total, 0);
    CHECK(hfc_arena_alloc(&a, 64, 8) != NULL);
    hfc_arena_free(&a);
}

/* A round that needed several chunks leaves one chunk that holds a whole round: the next
 * round of the same size takes no new chunk (same pages, no fresh faults). */
static void test_arena_reset_keeps_a_round(void) {
    hfc_arena a;
    hfc_arena_init(&a, 1024);
    hfc_arena_chunk *kept = NULL;
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 300; i++) {
            char *p = hfc_arena_alloc(&a, 1000, 8);
            CHECK(p != NULL);
            memset(p, round, 1000);
        }
        if (round > 0) CHECK(a.head == kept);
        hfc_arena_reset(&a);
        CHECK_EQ_INT(a.total, 0);
        if (round == 0) kept = a.head;
        CHECK(kept != NULL && a.head == kept);
    }
    /* rounds in a row that use little of it give the big chunk back */
    for (int round = 0; round < HFC_ARENA_SMALL_ROUNDS; round++) {
        CHECK(a.head == kept);
        CHECK(hfc_arena_alloc(&a, 100, 8) != NULL);
        hfc_arena_reset(&a);
    }
    CHECK(a.head == NULL);
    CHECK(hfc_arena_alloc(&a, 100, 8) != NULL);
    /* no memory for the one chunk: the arena starts empty and still works */
    for (int i = 0; i < 600; i++) CHECK(hfc_arena_alloc(&a, 1000, 8) != NULL);
    hfc_set_allocator(&test_oom_allocator);
    test_oom_budget = 0;
    hfc_arena_reset(&a);
    CHECK(a.head == NULL);
    test_oom_budget = -1;
    hfc_set_allocator(NULL);
    CHECK(hfc_arena_alloc(&a, 64, 8) != NULL);
    hfc_arena_free(&a);
}

static void test_oom(void) {
    hfc_set_allocator(&test_oom_allocator);
    test_oom_budget = 0;
    CHECK(hfc_malloc(10) == NULL);
    hfc_arena a;
    hfc_arena_init(&a, 64);
    hfc_error_clear();
    CHECK(hfc_arena_alloc(&a, 10, 8) == NULL);
    CHECK_MSG("out of memory");
    hfc_buf b = {0};
    CHECK_STATUS(hfc_buf_append(&b, "x", 1), HFC_ERR_NOMEM);
    /* budget 1: first chunk ok, the next one fails; earlier data intact */
    test_oom_budget = 1;
    char *p = hfc_arena_alloc(&a, 10, 8);
    CHECK(p != NULL);
    CHECK(hfc_arena_alloc(&a, 1000, 8) == NULL);
    test_oom_budget = -1;
    hfc_set_allocator(NULL);
    hfc_arena_free(&a);
    hfc_buf_free(&b);
}

int main(void) {
    RUN(test_status_messages);
    RUN(test_size_arith);
    RUN(test_buf);
    RUN(test_arena_basic);
    RUN(test_arena_many_small);
    RUN(test_arena_mark_rewind_reset);
    RUN(test_arena_reset_keeps_a_round);
    RUN(test_oom);
    return test_summary();
}
