/* Allocation: one injectable allocator for the whole core, overflow-checked size
 * arithmetic, and a bump arena for many small objects freed together.
 *
 * All core allocations go through hfc_malloc/hfc_realloc/hfc_free so tests can inject
 * a failing allocator (hfc_set_allocator) and exercise every out-of-memory path.
 */
#ifndef HFC_ALLOC_H
#define HFC_ALLOC_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hfc_allocator {
    void *(*malloc_fn)(void *ud, size_t size);
    void *(*realloc_fn)(void *ud, void *ptr, size_t size);
    void (*free_fn)(void *ud, void *ptr);
    void *ud;
} hfc_allocator;

/* Replace the process-wide allocator (NULL restores libc). Not thread-safe: call it
 * before any other hfc function, or from single-threaded tests only. */
void hfc_set_allocator(const hfc_allocator *a);

void *hfc_malloc(size_t size);                 /* NULL on failure (size 0 -> non-NULL) */
void *hfc_calloc(size_t n, size_t size);       /* zeroed, overflow-checked */
void *hfc_realloc(void *ptr, size_t size);
void hfc_free(void *ptr);
char *hfc_strndup(const char *s, size_t n);    /* NUL-terminated copy */

/* Ask the kernel to back the HFC_HUGE_PAGE-aligned interior of [p, p + size) with huge
 * pages (Linux transparent huge pages in madvise mode): one TLB entry then covers 2 MiB
 * instead of 4 KiB of a big array read at random. Call it before the memory is first
 * written; a block aligned to HFC_HUGE_PAGE is covered whole. A hint: nothing happens
 * on other systems or where no whole huge page fits. */
#define HFC_HUGE_PAGE ((size_t)2 << 20)
void hfc_advise_huge(void *p, size_t size);

/* Overflow-checked arithmetic: return false on overflow (out untouched). */
static inline bool hfc_mul_size(size_t a, size_t b, size_t *out) {
    return !__builtin_mul_overflow(a, b, out);
}
static inline bool hfc_add_size(size_t a, size_t b, size_t *out) {
    return !__builtin_add_overflow(a, b, out);
}

/* Grow a dynamic array so it holds at least `need` elements of `elem` bytes.
 * *cap is in elements; growth is geometric. Returns HFC_ERR_NOMEM/OVERFLOW on failure
 * (the old block stays valid). */
hfc_status hfc_grow(void **ptr, size_t *cap, size_t need, size_t elem);

/* ---- growable byte buffer (writers, message building) ---- */
typedef struct hfc_buf {
    char *data; /* NUL-terminated after every successful append (when data != NULL) */
    size_t len;
    size_t cap;
} hfc_buf;

hfc_status hfc_buf_reserve(hfc_buf *b, size_t extra);
hfc_status hfc_buf_append(hfc_buf *b, const void *p, size_t n);
hfc_status hfc_buf_putc(hfc_buf *b, char c);
hfc_status hfc_buf_printf(hfc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hfc_buf_free(hfc_buf *b);

/* ---- arena: bump allocation in chunks, freed all at once ---- */
typedef struct hfc_arena_chunk hfc_arena_chunk;
typedef struct hfc_arena {
    hfc_arena_chunk *head;  /* newest chunk */
    char *cur, *end;        /* free space in head */
    size_t chunk_size;      /* default size of new chunks */
    size_t total;           /* bytes handed out (statistics) */
    size_t peak;            /* most bytes out at once since the last reset */
    unsigned small_rounds;  /* rounds in a row that used little of a big kept chunk */
} hfc_arena;

typedef struct hfc_arena_mark {
    hfc_arena_chunk *head;
    char *cur, *end;
    size_t total;
} hfc_arena_mark;

void hfc_arena_init(hfc_arena *a, size_t chunk_size); /* 0 -> 64 KiB */
/* `align` must be a power of two <= 4096. NULL on failure (with hfc_fail set). */
void *hfc_arena_alloc(hfc_arena *a, size_t size, size_t align);
char *hfc_arena_strndup(hfc_arena *a, const char *s, size_t n); /* NUL-terminated */
void *hfc_arena_memdup(hfc_arena *a, const void *p, size_t n, size_t align);
hfc_arena_mark hfc_arena_save(const hfc_arena *a);
void hfc_arena_rewind(hfc_arena *a, hfc_arena_mark m); /* frees chunks newer than m */
/* Drop everything, keeping memory for the next round: when the round needed several
 * chunks and at most HFC_ARENA_KEEP bytes, one chunk that holds it all (a scratch arena
 * reset per input then reuses the same pages for inputs of the same size, instead of
 * faulting in fresh ones: a 1 MB input touches tens of MB); otherwise the first chunk.
 * A big kept chunk that HFC_ARENA_SMALL_ROUNDS rounds in a row used less than an eighth
 * of is given back (the next round starts a default chunk). */
#define HFC_ARENA_SMALL_ROUNDS 4
#define HFC_ARENA_KEEP ((size_t)64 << 20)
void hfc_arena_reset(hfc_arena *a);
void hfc_arena_free(hfc_arena *a);

#ifdef __cplusplus
}
#endif
#endif /* HFC_ALLOC_H */
