/* safetensors: a zero-copy reader over a memory map, and a writer.
 *
 * File layout: u64 little-endian header length N (<= 100 MB), N bytes of UTF-8 JSON,
 * then the data buffer. The JSON object maps tensor names to
 *   {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}
 * (offsets relative to the data buffer) plus an optional "__metadata__" object of
 * string -> string. A file is valid when, with tensors sorted by offsets, they tile the
 * data buffer exactly: the first begins at 0, each begins where the previous ended, the
 * last ends at the end of the file, and every tensor's byte size equals
 * prod(shape) * bits(dtype) / 8 (a whole number of bytes). Every rule is checked on open;
 * messages name the file and the tensor ("model.safetensors: tensor 'a.weight': ...").
 * hfc is stricter than the reference in one place: a duplicate key in the header JSON
 * is an error (safetensors keeps the last one).
 *
 * The writer produces the bytes safetensors (0.8.0) writes for the same tensors:
 * tensors ordered by descending dtype (the enum order below), then by name (bytewise);
 * compact JSON in serde_json's escaping, "__metadata__" first; the header padded with
 * spaces to a multiple of 8 bytes. Metadata entries are written sorted by key (the
 * reference writes them in hash order, which varies between runs).
 */
#ifndef HFC_SAFETENSORS_H
#define HFC_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"
#include "alloc.h"
#include "mmap.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HFC_ST_MAX_HEADER 100000000u

/* In the reference's enum order (the writer sorts by it, descending). */
typedef enum hfc_st_dtype {
    HFC_ST_BOOL = 0,
    HFC_ST_F4,
    HFC_ST_F6_E2M3,
    HFC_ST_F6_E3M2,
    HFC_ST_U8,
    HFC_ST_I8,
    HFC_ST_F8_E5M2,
    HFC_ST_F8_E4M3,
    HFC_ST_F8_E8M0,
    HFC_ST_F8_E4M3FNUZ,
    HFC_ST_F8_E5M2FNUZ,
    HFC_ST_I16,
    HFC_ST_U16,
    HFC_ST_F16,
    HFC_ST_BF16,
    HFC_ST_I32,
    HFC_ST_U32,
    HFC_ST_F32,
    HFC_ST_C64,
    HFC_ST_F64,
    HFC_ST_I64,
    HFC_ST_U64,
    HFC_ST_DTYPE_COUNT
} hfc_st_dtype;

const char *hfc_st_dtype_name(hfc_st_dtype d); /* "F32"; "?" when out of range */
unsigned hfc_st_dtype_bits(hfc_st_dtype d);     /* 4, 6, 8, 16, 32 or 64 */
/* Parse a format code ("BF16"); HFC_ERR_INVALID listing the valid ones otherwise. */
hfc_status hfc_st_dtype_parse(const char *s, size_t n, hfc_st_dtype *out);

typedef struct hfc_st_tensor {
    const char *name; /* NUL-terminated (a name may also contain NUL: use name_len) */
    size_t name_len;
    hfc_st_dtype dtype;
    uint32_t ndim;
    const uint64_t *shape; /* ndim dims */
    uint64_t nelem;        /* prod(shape) */
    size_t begin, end;     /* byte offsets in the data buffer */
    const uint8_t *data;   /* begin's address in the file (valid while the file lives) */
} hfc_st_tensor;

typedef struct hfc_st_file hfc_st_file;

/* Map and validate `path`. Errors: HFC_ERR_IO (open), HFC_ERR_INVALID (format). */
hfc_status hfc_st_open(const char *path, hfc_st_file **out);
/* Validate buf[0..len) without copying it: the caller keeps buf alive and unchanged
 * until hfc_st_free. `name` is used in messages (NULL -> "<bytes>"). */
hfc_status hfc_st_open_buffer(const uint8_t *buf, size_t len, const char *name,
                              hfc_st_file **out);
void hfc_st_free(hfc_st_file *f);

const char *hfc_st_name(const hfc_st_file *f);    /* path or buffer name */
hfc_mmap *hfc_st_mmap(const hfc_st_file *f);      /* NULL for open_buffer files */
size_t hfc_st_header_size(const hfc_st_file *f);  /* N, the JSON header's length */
size_t hfc_st_count(const hfc_st_file *f);
/* Tensors in data-offset order (i < hfc_st_count). */
const hfc_st_tensor *hfc_st_at(const hfc_st_file *f, size_t i);
/* i-th tensor in name order (bytewise, as the reference's keys() sorts). */
const hfc_st_tensor *hfc_st_at_sorted(const hfc_st_file *f, size_t i);
/* By name (binary search); NULL if absent. */
const hfc_st_tensor *hfc_st_find(const hfc_st_file *f, const char *name, size_t len);
/* -1: no "__metadata__" (or null); else the number of entries. */
long hfc_st_metadata_count(const hfc_st_file *f);
void hfc_st_metadata_at(const hfc_st_file *f, size_t i, const char **key, size_t *klen,
                        const char **val, size_t *vlen);

/* ---- checkpoints: one file, or shards listed by model.safetensors.index.json ---- */
typedef struct hfc_st_checkpoint hfc_st_checkpoint;

/* `path` is a folder (model.safetensors, else model.safetensors.index.json), an
 * index .json file or a .safetensors file. Shards must hold exactly the tensors the
 * index's "weight_map" gives them. A folder with only pytorch_model.bin / *.bin is
 * HFC_ERR_UNSUPPORTED (pickle checkpoints are not read); none at all is HFC_ERR_IO. */
hfc_status hfc_st_checkpoint_open(const char *path, hfc_st_checkpoint **out);
void hfc_st_checkpoint_free(hfc_st_checkpoint *c);
const hfc_st_tensor *hfc_st_checkpoint_find(const hfc_st_checkpoint *c, const char *name,
                                            size_t len);
/* Which file a tensor comes from (for messages); NULL if absent. */
const char *hfc_st_checkpoint_file_of(const hfc_st_checkpoint *c, const hfc_st_tensor *t);
size_t hfc_st_checkpoint_files(const hfc_st_checkpoint *c);
/* The index .json path the checkpoint was opened from, or NULL for a single file. */
const char *hfc_st_checkpoint_index(const hfc_st_checkpoint *c);
const hfc_st_file *hfc_st_checkpoint_file(const hfc_st_checkpoint *c, size_t i);
/* Total bytes of tensor data over all files. */
size_t hfc_st_checkpoint_data_size(const hfc_st_checkpoint *c);

/* ---- writer ---- */
typedef struct hfc_st_input {
    const char *name;
    size_t name_len;
    hfc_st_dtype dtype;
    uint32_t ndim;
    const uint64_t *shape;
    const void *data; /* nbytes bytes, little-endian, dense */
    size_t nbytes;
} hfc_st_input;

typedef struct hfc_st_kv {
    const char *key;
    size_t klen;
    const char *val;
    size_t vlen;
} hfc_st_kv;

/* The 8-byte length + padded JSON header for these tensors (has_meta = 0: no
 * "__metadata__" key at all, even when nmeta is 0). `order` (n entries) receives the
 * input indices in file order. Checks each nbytes against its shape and dtype, duplicate
 * names and the header size. */
hfc_status hfc_st_build_header(const hfc_st_input *t, size_t n, int has_meta,
                               const hfc_st_kv *meta, size_t nmeta, hfc_buf *out,
                               size_t *order);
/* The whole file's bytes into `out`. */
hfc_status hfc_st_serialize(const hfc_st_input *t, size_t n, int has_meta,
                            const hfc_st_kv *meta, size_t nmeta, hfc_buf *out);
/* Write `path` atomically: a temporary file in the same directory, renamed over path
 * (so maps of an existing file stay valid). */
hfc_status hfc_st_write_file(const char *path, const hfc_st_input *t, size_t n, int has_meta,
                             const hfc_st_kv *meta, size_t nmeta);

#ifdef __cplusplus
}
#endif
#endif /* HFC_SAFETENSORS_H */
