/* Read-only, reference-counted file mappings (see hfc/mmap.h).
 *
 * The descriptor is closed as soon as the file is mapped: the mapping alone keeps the
 * pages reachable, also after the file is unlinked. A file truncated by someone else
 * while mapped makes reads past its new end fault (SIGBUS); like every mmap reader we
 * cannot prevent that, only avoid it for files we own.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT, MADV_*, mkfifo */
#endif
#include "hfc/mmap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hfc/alloc.h"

struct hfc_mmap {
    _Atomic size_t refs;
    const uint8_t *data; /* the mapping, or &empty_byte for a zero-length file */
    size_t size;
    char path[]; /* NUL-terminated copy */
};

static const uint8_t empty_byte;

/* O_NONBLOCK: opening a FIFO must not wait for a writer (it is rejected right after). */
static hfc_status open_regular(const char *path, int *fd_out, size_t *size_out) {
    int fd;
    do fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return hfc_fail_errno(errno, "%s", path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return hfc_fail_errno(e, "%s", path);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return hfc_fail(HFC_ERR_INVALID, "%s: %s", path,
                        S_ISDIR(st.st_mode) ? "is a directory, not a file"
                                            : "not a regular file");
    }
#if SIZE_MAX < INTMAX_MAX
    if ((uintmax_t)st.st_size > SIZE_MAX) {
        close(fd);
        return hfc_fail(HFC_ERR_OVERFLOW, "%s: %jd bytes is too large to map", path,
                        (intmax_t)st.st_size);
    }
#endif
    *fd_out = fd;
    *size_out = (size_t)st.st_size;
    return HFC_OK;
}

hfc_status hfc_mmap_open(const char *path, hfc_mmap **out) {
    *out = NULL;
    if (!path) return hfc_fail(HFC_ERR_INVALID, "hfc_mmap_open: path is NULL");
    size_t path_len = strlen(path), bytes;
    if (!hfc_add_size(sizeof(hfc_mmap), path_len + 1, &bytes))
        return hfc_fail(HFC_ERR_OVERFLOW, "hfc_mmap_open: path too long");

    int fd = -1;
    size_t size = 0;
    HFC_TRY(open_regular(path, &fd, &size));
    const uint8_t *data = &empty_byte;
    if (size > 0) {
        void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            int e = errno;
            close(fd);
            return hfc_fail_errno(e, "%s", path);
        }
        data = p;
    }
    close(fd); /* the mapping keeps the file's pages alive */

    hfc_mmap *m = hfc_malloc(bytes);
    if (!m) {
        if (size > 0) munmap((void *)data, size);
        return hfc_fail(HFC_ERR_NOMEM, "%s: out of memory", path);
    }
    atomic_init(&m->refs, 1);
    m->data = data;
    m->size = size;
    memcpy(m->path, path, path_len + 1);
    *out = m;
    return HFC_OK;
}

void hfc_mmap_retain(hfc_mmap *m) {
    if (m) atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
}

void hfc_mmap_release(hfc_mmap *m) {
    if (!m) return;
    /* release: our reads of the bytes happen before the unmap in whichever thread
     * drops the last reference (acquire) */
    if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) != 1) return;
    if (m->size > 0) munmap((void *)m->data, m->size);
    hfc_free(m);
}

const uint8_t *hfc_mmap_data(const hfc_mmap *m) { return m->data; }
size_t hfc_mmap_size(const hfc_mmap *m) { return m->size; }
const char *hfc_mmap_path(const hfc_mmap *m) { return m->path; }

void hfc_mmap_advise(hfc_mmap *m, size_t offset, size_t len, hfc_mmap_advice advice) {
    if (!m || m->size == 0 || offset >= m->size) return;
    int how;
    switch (advice) {
    case HFC_MMAP_NORMAL: how = MADV_NORMAL; break;
    case HFC_MMAP_SEQUENTIAL: how = MADV_SEQUENTIAL; break;
    case HFC_MMAP_RANDOM: how = MADV_RANDOM; break;
    case HFC_MMAP_WILLNEED: how = MADV_WILLNEED; break;
    default: return;
    }
    if (len > m->size - offset) len = m->size - offset;
    if (len == 0) return;
    long ps = sysconf(_SC_PAGESIZE);
    size_t page = ps > 0 ? (size_t)ps : 4096;
    /* madvise wants a page-aligned start; the mapping itself is page-aligned and its
     * last page is whole, so rounding the end up stays inside it. */
    size_t start = offset & ~(page - 1);
    size_t end = offset + len; /* <= size, no overflow */
    size_t mapped = (m->size + page - 1) & ~(page - 1);
    end = (end + page - 1) & ~(page - 1);
    if (end > mapped) end = mapped;
    (void)madvise((void *)(m->data + start), end - start, how); /* a hint: errors ignored */
}

hfc_status hfc_mmap_range(const hfc_mmap *m, size_t offset, size_t len, const uint8_t **out) {
    /* offset + len may overflow: compare against what is left instead */
    if (offset > m->size || len > m->size - offset) {
        *out = NULL;
        return hfc_fail(HFC_ERR_INVALID,
                        "%s: range at offset %zu, length %zu is outside the file (%zu bytes)",
                        m->path, offset, len, m->size);
    }
    *out = m->data + offset;
    return HFC_OK;
}
