/* Read-only file mappings with shared ownership.
 *
 * hfc_mmap_open maps a whole file read-only. The mapping is reference counted: every
 * view handed out (a NumPy array over safetensors data, an Arrow buffer, a JSON doc's
 * strings) holds a reference, so the bytes stay valid after the opener is done and
 * even after the file is unlinked. Empty files map to a valid zero-length view.
 */
#ifndef HFC_MMAP_H
#define HFC_MMAP_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hfc_mmap hfc_mmap;

typedef enum hfc_mmap_advice {
    HFC_MMAP_NORMAL = 0,
    HFC_MMAP_SEQUENTIAL, /* madvise(SEQUENTIAL): one pass over the file */
    HFC_MMAP_RANDOM,     /* madvise(RANDOM): random rows / tensors */
    HFC_MMAP_WILLNEED    /* madvise(WILLNEED): prefetch now */
} hfc_mmap_advice;

/* Open and map `path`. Errors: HFC_ERR_IO with errno (message names the path),
 * HFC_ERR_INVALID for a directory or other non-regular file. Refcount starts at 1. */
hfc_status hfc_mmap_open(const char *path, hfc_mmap **out);
void hfc_mmap_retain(hfc_mmap *m);
void hfc_mmap_release(hfc_mmap *m); /* unmaps when the last reference goes; NULL ok */

const uint8_t *hfc_mmap_data(const hfc_mmap *m); /* never NULL, even for size 0 */
size_t hfc_mmap_size(const hfc_mmap *m);
const char *hfc_mmap_path(const hfc_mmap *m);
/* Hint the kernel about an access pattern for [offset, offset+len) (clamped). */
void hfc_mmap_advise(hfc_mmap *m, size_t offset, size_t len, hfc_mmap_advice advice);

/* Bounds-checked sub-range: fails with HFC_ERR_INVALID naming the file and offsets
 * when [offset, offset+len) is not inside the mapping. */
hfc_status hfc_mmap_range(const hfc_mmap *m, size_t offset, size_t len, const uint8_t **out);

#ifdef __cplusplus
}
#endif
#endif /* HFC_MMAP_H */
