/* The injectable allocator, growable buffers and the bump arena (see hfc/alloc.h). */
#include "hfc/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

static void *libc_malloc(void *ud, size_t size) { (void)ud; return malloc(size); }
static void *libc_realloc(void *ud, void *p, size_t size) { (void)ud; return realloc(p, size); }
static void libc_free(void *ud, void *p) { (void)ud; free(p); }

static const hfc_allocator libc_allocator = {libc_malloc, libc_realloc, libc_free, NULL};
static hfc_allocator current = {libc_malloc, libc_realloc, libc_free, NULL};

void hfc_set_allocator(const hfc_allocator *a) { current = a ? *a : libc_allocator; }

void *hfc_malloc(size_t size) { return current.malloc_fn(current.ud, size ? size : 1); }

void *hfc_calloc(size_t n, size_t size) {
    size_t total;
    if (!hfc_mul_size(n, size, &total)) return NULL;
    void *p = hfc_malloc(total);
    if (p) memset(p, 0, total);
    return p;
}

void *hfc_realloc(void *ptr, size_t size) {
    return current.realloc_fn(current.ud, ptr, size ? size : 1);
}

void hfc_free(void *ptr) {
    if (ptr) current.free_fn(current.ud, ptr);
}

char *hfc_strndup(const char *s, size_t n) {
    char *p = hfc_malloc(n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

hfc_status hfc_grow(void **ptr, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return HFC_OK;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2) { ncap = need; break; }
        ncap *= 2;
    }
    size_t bytes;
    if (!hfc_mul_size(ncap, elem, &bytes))
        return hfc_fail(HFC_ERR_OVERFLOW, "array of %zu elements of %zu bytes overflows", ncap, elem);
    void *p = hfc_realloc(*ptr, bytes);
    if (!p) return hfc_fail(HFC_ERR_NOMEM, "out of memory growing an array to %zu bytes", bytes);
    *ptr = p;
    *cap = ncap;
    return HFC_OK;
}

/* ---- hfc_buf ---- */

hfc_status hfc_buf_reserve(hfc_buf *b, size_t extra) {
    size_t need;
    if (!hfc_add_size(b->len, extra, &need) || !hfc_add_size(need, 1, &need))
        return hfc_fail(HFC_ERR_OVERFLOW, "buffer size overflows");
    void *p = b->data;
    HFC_TRY(hfc_grow(&p, &b->cap, need, 1));
    b->data = p;
    return HFC_OK;
}

hfc_status hfc_buf_append(hfc_buf *b, const void *p, size_t n) {
    HFC_TRY(hfc_buf_reserve(b, n));
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return HFC_OK;
}

hfc_status hfc_buf_putc(hfc_buf *b, char c) {
    if (HFC_LIKELY(b->data && b->len + 1 < b->cap)) {
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
        return HFC_OK;
    }
    return hfc_buf_append(b, &c, 1);
}

hfc_status hfc_buf_printf(hfc_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return hfc_fail(HFC_ERR_INVALID, "bad format string");
    HFC_TRY(hfc_buf_reserve(b, (size_t)n));
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return HFC_OK;
}

void hfc_buf_free(hfc_buf *b) {
    hfc_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ---- arena ---- */

struct hfc_arena_chunk {
    hfc_arena_chunk *prev;
    size_t size; /* usable bytes after the header */
    max_align_t data[];
};

void hfc_arena_init(hfc_arena *a, size_t chunk_size) {
    a->head = NULL;
    a->cur = a->end = NULL;
    a->chunk_size = chunk_size ? chunk_size : (size_t)64 << 10;
    a->total = a->peak = 0;
    a->small_rounds = 0;
}

static char *align_up(char *p, size_t align) {
    uintptr_t u = (uintptr_t)p;
    return (char *)((u + (align - 1)) & ~(uintptr_t)(align - 1));
}

void hfc_advise_huge(void *p, size_t size) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (!p) return;
    const uintptr_t huge = HFC_HUGE_PAGE;
    uintptr_t lo = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t hi = ((uintptr_t)p + size) & ~(huge - 1);
    if (hi > lo) (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
    (void)p;
    (void)size;
#endif
}

/* Open a new chunk big enough for `size` bytes at `align`. */
static bool arena_new_chunk(hfc_arena *a, size_t size, size_t align) {
    size_t want;
    if (!hfc_add_size(size, align, &want)) return false;
    size_t usable = want > a->chunk_size ? want : a->chunk_size;
    size_t bytes;
    if (!hfc_add_size(usable, sizeof(hfc_arena_chunk), &bytes)) return false;
    hfc_arena_chunk *c = hfc_malloc(bytes);
    if (!c) return false;
    hfc_advise_huge(c, bytes); /* a chunk this big holds one big array (a long word's) */
    c->prev = a->head;
    c->size = usable;
    a->head = c;
    a->cur = (char *)c->data;
    a->end = a->cur + usable;
    return true;
}

void *hfc_arena_alloc(hfc_arena *a, size_t size, size_t align) {
    if (align == 0) align = 1;
    if (a->cur) {
        char *p = align_up(a->cur, align);
        if (p <= a->end && (size_t)(a->end - p) >= size) {
            a->cur = p + size;
            a->total += size;
            if (a->total > a->peak) a->peak = a->total;
            return p;
        }
    }
    if (!arena_new_chunk(a, size, align)) {
        hfc_fail(HFC_ERR_NOMEM, "out of memory allocating %zu bytes in an arena", size);
        return NULL;
    }
    char *p = align_up(a->cur, align);
    a->cur = p + size;
    a->total += size;
    if (a->total > a->peak) a->peak = a->total;
    return p;
}

void *hfc_arena_memdup(hfc_arena *a, const void *src, size_t n, size_t align) {
    void *p = hfc_arena_alloc(a, n, align);
    if (p && n) memcpy(p, src, n);
    return p;
}

char *hfc_arena_strndup(hfc_arena *a, const char *s, size_t n) {
    size_t total;
    if (!hfc_add_size(n, 1, &total)) return NULL;
    char *p = hfc_arena_alloc(a, total, 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

hfc_arena_mark hfc_arena_save(const hfc_arena *a) {
    hfc_arena_mark m = {a->head, a->cur, a->end, a->total};
    return m;
}

void hfc_arena_rewind(hfc_arena *a, hfc_arena_mark m) {
    while (a->head && a->head != m.head) {
        hfc_arena_chunk *prev = a->head->prev;
        hfc_free(a->head);
        a->head = prev;
    }
    a->cur = m.cur;
    a->end = m.end;
    a->total = m.total;
}

void hfc_arena_reset(hfc_arena *a) {
    if (!a->head) return;
    size_t peak = a->peak;
    a->peak = 0;
    if (a->head->prev && peak <= HFC_ARENA_KEEP) {
        /* several chunks: one for all of it next time (alignment and chunk ends waste some;
         * without memory for it the arena starts empty, as after hfc_arena_free) */
        hfc_arena_free(a);
        a->small_rounds = 0;
        if (arena_new_chunk(a, peak + peak / 8 + a->chunk_size, 1)) a->total = 0;
        return;
    }
    if (!a->head->prev && a->head->size > 4 * a->chunk_size && peak < a->head->size / 8) {
        if (++a->small_rounds >= HFC_ARENA_SMALL_ROUNDS) { /* a big chunk no longer needed */
            hfc_arena_free(a);
            a->small_rounds = 0;
            return;
        }
    } else {
        a->small_rounds = 0;
    }
    while (a->head->prev) {
        hfc_arena_chunk *prev = a->head->prev;
        hfc_free(a->head);
        a->head = prev;
    }
    a->cur = (char *)a->head->data;
    a->end = a->cur + a->head->size;
    a->total = 0;
}

void hfc_arena_free(hfc_arena *a) {
    while (a->head) {
        hfc_arena_chunk *prev = a->head->prev;
        hfc_free(a->head);
        a->head = prev;
    }
    a->cur = a->end = NULL;
    a->total = a->peak = 0;
    a->small_rounds = 0;
}
