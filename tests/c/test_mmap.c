/* File mapping tests: contents, empty files, errors with errno and path, shared
 * ownership across unlink and release, bounds checks, access hints. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT, MADV_*, mkfifo */
#endif
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp_dir[256];

static const char *tmp_path(const char *name) {
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", tmp_dir, name);
    return buf;
}

static void write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    CHECK(fwrite(data, 1, n, f) == n);
    fclose(f);
}

/* Bytes 0..n-1 of a recognisable pattern. */
static uint8_t pattern(size_t i) { return (uint8_t)(i * 131u + (i >> 8)); }

static void test_map_and_read(void) {
    const size_t n = 3 * 4096 + 123; /* not a page multiple */
    uint8_t *bytes = malloc(n);
    for (size_t i = 0; i < n; i++) bytes[i] = pattern(i);
    const char *path = tmp_path("data.bin");
    write_file(path, bytes, n);
    hfc_mmap *m = NULL;
    CHECK_OK(hfc_mmap_open(path, &m));
    CHECK(m != NULL);
    if (!m) return;
    CHECK_EQ_INT(hfc_mmap_size(m), n);
    CHECK(memcmp(hfc_mmap_data(m), bytes, n) == 0);
    CHECK(strcmp(hfc_mmap_path(m), path) == 0);
    hfc_mmap_release(m);
    free(bytes);
    unlink(path);
}

static void test_empty_file(void) {
    const char *path = tmp_path("empty.bin");
    write_file(path, "", 0);
    hfc_mmap *m = NULL;
    CHECK_OK(hfc_mmap_open(path, &m));
    if (!m) return;
    CHECK_EQ_INT(hfc_mmap_size(m), 0);
    CHECK(hfc_mmap_data(m) != NULL);
    const uint8_t *p = NULL;
    CHECK_OK(hfc_mmap_range(m, 0, 0, &p));
    CHECK(p == hfc_mmap_data(m));
    CHECK_STATUS(hfc_mmap_range(m, 0, 1, &p), HFC_ERR_INVALID);
    CHECK_STATUS(hfc_mmap_range(m, 1, 0, &p), HFC_ERR_INVALID);
    hfc_mmap_advise(m, 0, 100, HFC_MMAP_WILLNEED);
    hfc_mmap_retain(m);
    hfc_mmap_release(m);
    hfc_mmap_release(m);
    unlink(path);
}

static void test_missing_file(void) {
    const char *path = tmp_path("no/such/file.safetensors");
    hfc_mmap *m = (hfc_mmap *)1;
    hfc_error_clear();
    CHECK_STATUS(hfc_mmap_open(path, &m), HFC_ERR_IO);
    CHECK(m == NULL);
    CHECK_EQ_INT(hfc_error_errno(), ENOENT);
    CHECK_MSG(path);
    CHECK_MSG(": No such file or directory");
}

static void test_permission_denied(void) {
    if (geteuid() == 0) return; /* root reads anything */
    const char *path = tmp_path("secret.bin");
    write_file(path, "x", 1);
    chmod(path, 0);
    hfc_mmap *m = NULL;
    CHECK_STATUS(hfc_mmap_open(path, &m), HFC_ERR_IO);
    CHECK_EQ_INT(hfc_error_errno(), EACCES);
    CHECK_MSG(path);
    unlink(path);
}

static void test_not_a_regular_file(void) {
    hfc_mmap *m = NULL;
    hfc_error_clear();
    CHECK_STATUS(hfc_mmap_open(tmp_dir, &m), HFC_ERR_INVALID);
    CHECK(m == NULL);
    CHECK_MSG(tmp_dir);
    CHECK_MSG("directory");
    /* a FIFO is rejected without blocking for a writer */
    const char *fifo = tmp_path("fifo");
    CHECK(mkfifo(fifo, 0600) == 0);
    CHECK_STATUS(hfc_mmap_open(fifo, &m), HFC_ERR_INVALID);
    CHECK_MSG("not a regular file");
    unlink(fifo);
    CHECK_STATUS(hfc_mmap_open("/dev/null", &m), HFC_ERR_INVALID);
    CHECK_STATUS(hfc_mmap_open(NULL, &m), HFC_ERR_INVALID);
}

/* The view outlives the file's name and the opener's reference. */
static void test_shared_ownership(void) {
    const char *path = tmp_path("shared.bin");
    char text[] = "tensor bytes that must stay readable";
    write_file(path, text, sizeof text);
    hfc_mmap *m = NULL;
    CHECK_OK(hfc_mmap_open(path, &m));
    if (!m) return;
    CHECK(unlink(path) == 0);
    CHECK(memcmp(hfc_mmap_data(m), text, sizeof text) == 0);
    hfc_mmap *view = m;
    hfc_mmap_retain(view); /* e.g. a NumPy array's base */
    const uint8_t *bytes = hfc_mmap_data(view);
    hfc_mmap_release(m); /* the opener is done */
    CHECK(memcmp(bytes, text, sizeof text) == 0);
    CHECK(strcmp(hfc_mmap_path(view), path) == 0);
    hfc_mmap_release(view); /* last reference: unmapped and freed (LSan checks) */
    hfc_mmap_release(NULL);
    hfc_mmap_retain(NULL);
}

/* Views taken and dropped from several threads at once. */
static void *retain_release_loop(void *arg) {
    hfc_mmap *m = arg;
    for (int i = 0; i < 20000; i++) {
        hfc_mmap_retain(m);
        if (hfc_mmap_data(m)[0] != 't') return (void *)1;
        hfc_mmap_release(m);
    }
    hfc_mmap_release(m); /* the reference the creator gave this thread */
    return NULL;
}

static void test_refcount_threads(void) {
    const char *path = tmp_path("threads.bin");
    write_file(path, "threads", 7);
    hfc_mmap *m = NULL;
    CHECK_OK(hfc_mmap_open(path, &m));
    if (!m) return;
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        hfc_mmap_retain(m);
        CHECK(pthread_create(&t[i], NULL, retain_release_loop, m) == 0);
    }
    hfc_mmap_release(m); /* the opener leaves first; the threads hold it */
    for (int i = 0; i < 4; i++) {
        void *ret = NULL;
        pthread_join(t[i], &ret);
        CHECK(ret == NULL);
    }
    unlink(path);
}

static void test_ranges(void) {
    const char *path = tmp_path("range.bin");
    uint8_t bytes[100];
    for (size_t i = 0; i < sizeof bytes; i++) bytes[i] = pattern(i);
    write_file(path, bytes, sizeof bytes);
    hfc_mmap *m = NULL;
    CHECK_OK(hfc_mmap_open(path, &m));
    if (!m) return;
    const uint8_t *p = NULL;
    CHECK_OK(hfc_mmap_range(m, 0, 100, &p));
    CHECK(p == hfc_mmap_data(m));
    CHECK_OK(hfc_mmap_range(m, 10, 90, &p));
    CHECK(p && p[0] == pattern(10) && p[89] == pattern(99));
    CHECK_OK(hfc_mmap_range(m, 100, 0, &p)); /* empty range at the end */
    CHECK(p == hfc_mmap_data(m) + 100);

    hfc_error_clear();
    CHECK_STATUS(hfc_mmap_range(m, 10, 91, &p), HFC_ERR_INVALID);
    CHECK(p == NULL);
    CHECK_MSG(path);
    CHECK_MSG("offset 10");
    CHECK_MSG("length 91");
    CHECK_MSG("(100 bytes)");
    CHECK_STATUS(hfc_mmap_range(m, 101, 0, &p), HFC_ERR_INVALID);
    /* offset + length wraps around: still rejected */
    CHECK_STATUS(hfc_mmap_range(m, SIZE_MAX, 1, &p), HFC_ERR_INVALID);
    CHECK_STATUS(hfc_mmap_range(m, SIZE_MAX, 0, &p), HFC_ERR_INVALID);
    CHECK_STATUS(hfc_mmap_range(m, 1, SIZE_MAX, &p), HFC_ERR_INVALID);
    CHECK_STATUS(hfc_mmap_range(m, 50, SIZE_MAX - 49, &p), HFC_ERR_INVALID);
    CHECK_STATUS(hfc_mmap_range(m, 0, SIZE_MAX, &p), HFC_ERR_INVALID);
    hfc_mmap_release(m);
    unlink(path);
}

static void test_advise(void) {
    const size_t n = 5 * 4096 + 77;
    uint8_t *bytes = malloc(n);
    for (size_t i = 0; i < n; i++) bytes[i] = pattern(i);
    const char *path = tmp_path("advise.bin");
    write_file(path, bytes, n);
    hfc_mmap *m = NULL;
    CHECK_OK(hfc_mmap_open(path, &m));
    if (!m) {
        free(bytes);
        return;
    }
    const size_t offsets[] = {0, 1, 4095, 4096, 4097, n - 1, n, n + 1, SIZE_MAX};
    const size_t lens[] = {0, 1, 4096, n, SIZE_MAX};
    for (int a = HFC_MMAP_NORMAL; a <= HFC_MMAP_WILLNEED + 1; a++)
        for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++)
            for (size_t j = 0; j < sizeof lens / sizeof lens[0]; j++)
                hfc_mmap_advise(m, offsets[i], lens[j], (hfc_mmap_advice)a);
    hfc_mmap_advise(NULL, 0, 1, HFC_MMAP_RANDOM);
    hfc_mmap_advise(m, 0, n, HFC_MMAP_NORMAL);
    /* the contents are unchanged by the hints */
    CHECK(memcmp(hfc_mmap_data(m), bytes, n) == 0);
    hfc_mmap_release(m);
    free(bytes);
    unlink(path);
}

/* An allocation failure after mapping unmaps and reports HFC_ERR_NOMEM. */
static int fail_allocs;
static void *failing_malloc(void *ud, size_t n) {
    (void)ud;
    return fail_allocs ? NULL : malloc(n);
}
static void *failing_realloc(void *ud, void *p, size_t n) {
    (void)ud;
    return fail_allocs ? NULL : realloc(p, n);
}
static void plain_free(void *ud, void *p) {
    (void)ud;
    free(p);
}

static void test_out_of_memory(void) {
    const char *path = tmp_path("oom.bin");
    write_file(path, "abc", 3);
    const hfc_allocator failing = {failing_malloc, failing_realloc, plain_free, NULL};
    hfc_set_allocator(&failing);
    fail_allocs = 1;
    hfc_mmap *m = (hfc_mmap *)1;
    CHECK_STATUS(hfc_mmap_open(path, &m), HFC_ERR_NOMEM);
    CHECK(m == NULL);
    CHECK_MSG(path);
    fail_allocs = 0;
    hfc_set_allocator(NULL);
    CHECK_OK(hfc_mmap_open(path, &m));
    hfc_mmap_release(m);
    unlink(path);
}

int main(void) {
    const char *base = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/hfc_test_mmap_XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmp_dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_map_and_read);
    RUN(test_empty_file);
    RUN(test_missing_file);
    RUN(test_permission_denied);
    RUN(test_not_a_regular_file);
    RUN(test_shared_ownership);
    RUN(test_refcount_threads);
    RUN(test_ranges);
    RUN(test_advise);
    RUN(test_out_of_memory);
    rmdir(tmp_dir);
    return test_summary();
}
