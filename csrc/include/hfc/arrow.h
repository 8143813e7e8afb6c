/* hfc.datasets core: Arrow IPC tables, memory-mapped and zero-copy.
 *
 * An hfc_arrow_table is the concatenation of one or more Arrow IPC files (the stream
 * format `datasets` writes, the legacy stream without continuation markers, or the
 * file format with its footer) that share one schema. Arrays point straight into the
 * mapped files; the table holds a reference on every mapping it views. The one copy:
 * a delta dictionary batch (isDelta) gives a new dictionary, the old values with the
 * delta's appended, built in the table's arena (batches read before keep the old one).
 *
 * Trust model: every flatbuffer offset, vtable and buffer range is checked when a file
 * is added (a bad one gives HFC_ERR_INVALID naming the file and byte offset). Per-row
 * offsets of variable-size arrays are checked when a row is read (hfc_arrow_range), so
 * opening stays O(batches), not O(rows).
 *
 *   hfc_arrow_table *t; hfc_arrow_table_create(&t);
 *   HFC_TRY(hfc_arrow_table_add_file(t, "data-00000-of-00002.arrow"));
 *   HFC_TRY(hfc_arrow_table_add_file(t, "data-00001-of-00002.arrow"));
 *   size_t b; int64_t r; hfc_arrow_table_locate(t, row, &b, &r);
 *   const hfc_arrow_array *col = &t->batches[b].columns[0];
 */
#ifndef HFC_ARROW_H
#define HFC_ARROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "alloc.h"
#include "mmap.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hfc_arrow_type {
    HFC_ARROW_NA = 0,
    HFC_ARROW_BOOL,
    HFC_ARROW_INT8, HFC_ARROW_INT16, HFC_ARROW_INT32, HFC_ARROW_INT64,
    HFC_ARROW_UINT8, HFC_ARROW_UINT16, HFC_ARROW_UINT32, HFC_ARROW_UINT64,
    HFC_ARROW_FLOAT16, HFC_ARROW_FLOAT32, HFC_ARROW_FLOAT64,
    HFC_ARROW_UTF8, HFC_ARROW_LARGE_UTF8, HFC_ARROW_BINARY, HFC_ARROW_LARGE_BINARY,
    HFC_ARROW_FIXED_SIZE_BINARY,
    HFC_ARROW_LIST, HFC_ARROW_LARGE_LIST, HFC_ARROW_FIXED_SIZE_LIST,
    HFC_ARROW_STRUCT,
    HFC_ARROW_TYPE_COUNT
} hfc_arrow_type;

/* Byte width of a fixed-width primitive (0 for bool, variable-size and nested types). */
int hfc_arrow_type_width(hfc_arrow_type t);
const char *hfc_arrow_type_name(hfc_arrow_type t); /* "int32", "large_string", ... */

typedef struct hfc_arrow_field {
    char *name;
    hfc_arrow_type type;       /* the value type (for dictionary fields: the dictionary's) */
    int32_t fixed_size;        /* FIXED_SIZE_LIST list size, FIXED_SIZE_BINARY width */
    bool nullable;
    bool dictionary;           /* dictionary-encoded: arrays hold indices of index_type */
    hfc_arrow_type index_type;
    int64_t dict_id;
    char *extension_name;      /* ARROW:extension:name (read as storage), or NULL */
    char *extension_metadata;  /* ARROW:extension:metadata, or NULL */
    size_t n_children;
    struct hfc_arrow_field *children;
} hfc_arrow_field;

/* Where an array's bytes came from, for error messages. */
typedef struct hfc_arrow_source {
    const char *name;          /* file path */
    const uint8_t *base;       /* start of the file's bytes */
} hfc_arrow_source;

typedef struct hfc_arrow_array {
    const hfc_arrow_field *field;
    hfc_arrow_type type;       /* physical type: the index type for dictionary arrays */
    int64_t length, null_count;
    const uint8_t *validity;   /* bit i set = valid; NULL when there are no nulls */
    const uint8_t *values;     /* primitive values, or int32/int64 offsets (length+1) */
    const uint8_t *data;       /* utf8/binary bytes */
    int64_t data_len;
    size_t n_children;
    struct hfc_arrow_array *children;
    const struct hfc_arrow_array *dictionary; /* values of a dictionary-encoded array */
    bool indices;              /* this array holds dictionary indices (see `dictionary`) */
    const hfc_arrow_source *src;
} hfc_arrow_array;

typedef struct hfc_arrow_batch {
    int64_t length;
    int64_t row_start;          /* first row of this batch in the table */
    hfc_arrow_array *columns;   /* n_fields columns */
} hfc_arrow_batch;

typedef struct hfc_arrow_table hfc_arrow_table;
struct hfc_arrow_table {
    size_t n_fields;
    hfc_arrow_field *fields;
    size_t n_metadata;
    char **meta_keys, **meta_values; /* schema custom_metadata (e.g. "huggingface") */
    size_t n_batches;
    hfc_arrow_batch *batches;
    int64_t num_rows;
    /* private */
    size_t cap_batches;
    size_t n_maps, cap_maps;
    hfc_mmap **maps;
    size_t n_dicts, cap_dicts;
    struct hfc_arrow_dict *dicts;
    hfc_arena arena;
};

hfc_status hfc_arrow_table_create(hfc_arrow_table **out);
void hfc_arrow_table_free(hfc_arrow_table *t);
/* Map `path` and append its batches. The first file sets the schema; later files must
 * have an equal one (HFC_ERR_INVALID otherwise). On failure the table is unchanged. */
hfc_status hfc_arrow_table_add_file(hfc_arrow_table *t, const char *path);
/* Same over bytes the caller keeps alive (and `owner`, retained if non-NULL). */
hfc_status hfc_arrow_table_add_memory(hfc_arrow_table *t, const uint8_t *data, size_t size,
                                      const char *name, hfc_mmap *owner);
/* Metadata value for `key`, or NULL. */
const char *hfc_arrow_table_metadata(const hfc_arrow_table *t, const char *key);
/* Index of the top-level field named `name`, or -1. */
ptrdiff_t hfc_arrow_table_field_index(const hfc_arrow_table *t, const char *name);
/* Batch and row within it for table row `row` (0 <= row < num_rows). */
void hfc_arrow_table_locate(const hfc_arrow_table *t, int64_t row, size_t *batch, int64_t *r);

static inline bool hfc_arrow_is_null(const hfc_arrow_array *a, int64_t i) {
    if (a->type == HFC_ARROW_NA) return true;
    return a->validity && !((a->validity[i >> 3] >> (i & 7)) & 1);
}
static inline bool hfc_arrow_bool(const hfc_arrow_array *a, int64_t i) {
    return (a->values[i >> 3] >> (i & 7)) & 1;
}
/* [*start, *end) of element i of a utf8/binary (bytes in a->data), list (child rows),
 * fixed-size list or fixed-size binary array; checked against the data / child length.
 * HFC_ERR_INVALID names the file and byte offset of a bad offset. */
hfc_status hfc_arrow_range(const hfc_arrow_array *a, int64_t i, int64_t *start, int64_t *end);
/* Dictionary index of element i, checked against the dictionary's length. */
hfc_status hfc_arrow_dict_index(const hfc_arrow_array *a, int64_t i, int64_t *out);
/* Element i of an integer array as int64 (uint64 values above INT64_MAX wrap). */
int64_t hfc_arrow_int_at(const hfc_arrow_array *a, int64_t i);

/* ---- writing ---- */

/* A list column given flat (see hfc_arrow_write_lists). */
typedef struct hfc_arrow_list_column {
    const char *name;
    hfc_arrow_type type;
    const void *values;
} hfc_arrow_list_column;

/* Write rows `rows[0..n)` of `t` (all rows in order when rows == NULL; then n is ignored)
 * as an Arrow IPC stream to `path` (atomically: tmp file + rename), keeping the columns
 * `cols[0..n_cols)` (all when cols == NULL), in record batches of `batch_rows` rows.
 * Dictionary columns are written decoded. `meta_keys/meta_values` replace the schema
 * metadata (n_meta entries). `lists[0..n_lists)` follow the table's columns (or go at
 * list_pos):
 * output row r holds values[list_offsets[r] .. list_offsets[r+1]) of each (offsets shared,
 * list_offsets[0] == 0), or fixed_size_list<...>[list_fixed_size] when that is > 0. */
typedef struct hfc_arrow_write_opts {
    const int64_t *rows;
    int64_t n_rows;
    const size_t *cols;
    size_t n_cols;
    int64_t batch_rows;
    const char *const *meta_keys;
    const char *const *meta_values;
    size_t n_meta;
    const hfc_arrow_list_column *lists;
    size_t n_lists;
    const int64_t *list_offsets;
    int32_t list_fixed_size;
    const size_t *list_pos;  /* output column of each list column (NULL: after the table's
                              * columns); the table's columns fill the others in order */
} hfc_arrow_write_opts;
hfc_status hfc_arrow_write_stream(const hfc_arrow_table *t, const hfc_arrow_write_opts *o,
                                  const char *path);
/* Same into a buffer (tests, fuzzing). */
hfc_status hfc_arrow_write_stream_buf(const hfc_arrow_table *t, const hfc_arrow_write_opts *o,
                                      hfc_buf *out);

/* ---- fast paths ---- */

/* Gather fixed-width values: for a primitive column `col`, copy the value of every row
 * in rows[0..n) into out (n * width bytes). Nulls give zero bytes. */
hfc_status hfc_arrow_gather_fixed(const hfc_arrow_table *t, size_t col, const int64_t *rows,
                                  size_t n, void *out);

/* Gather a list-of-fixed-width column (no nulls among the items) at rows[0..n): *values
 * (hfc_malloc'ed, caller frees) gets the items back to back, offsets[0..n] (caller's
 * buffer) where row k's items start; a null row is empty. */
hfc_status hfc_arrow_gather_lists(const hfc_arrow_table *t, size_t col, const int64_t *rows,
                                  size_t n, void **values, int64_t *offsets);

/* group_texts: concatenate the int lists of column `col` over rows[0..n) (all rows when
 * rows == NULL), appending eos_id after each when eos_id >= 0, drop the remainder and
 * cut into blocks of block_size. With group_rows > 0 this is done per group of
 * group_rows consecutive rows (the last group may be shorter), each dropping its own
 * remainder, as datasets.map(group_texts, batched=True, batch_size=group_rows) does;
 * group_rows <= 0 is one group of all rows. *out (hfc_malloc'ed, caller frees) gets
 * n_blocks * block_size int32 values. */
hfc_status hfc_arrow_pack(const hfc_arrow_table *t, size_t col, const int64_t *rows,
                          int64_t n, int64_t block_size, int64_t eos_id, int64_t group_rows,
                          int32_t **out, int64_t *n_blocks);

/* Tokenize the utf8 column `col` over rows[0..n) (all rows when rows == NULL) with an
 * hfc tokenizer on the pool (padding is not applied; truncation is, as configured).
 * *ids (n_tokens int32) and *offsets (n + 1 int64, row i = ids[offsets[i]..offsets[i+1]))
 * are hfc_malloc'ed; the caller frees them. A null text is HFC_ERR_INVALID. */
struct hfc_tokenizer;
hfc_status hfc_arrow_tokenize(const hfc_arrow_table *t, size_t col, const int64_t *rows,
                              int64_t n, const struct hfc_tokenizer *tok, bool add_special,
                              int32_t **ids, int64_t **offsets);
/* Same, also giving each token's type id (*type_ids: n_tokens uint8, hfc_malloc'ed) when
 * type_ids != NULL. */
hfc_status hfc_arrow_tokenize_ex(const hfc_arrow_table *t, size_t col, const int64_t *rows,
                                 int64_t n, const struct hfc_tokenizer *tok, bool add_special,
                                 int32_t **ids, int64_t **offsets, uint8_t **type_ids);

/* Write list columns given flat: column k is list<types[k]> with values values[k] (of
 * hfc_arrow_type_width(types[k]) bytes each) cut by offsets[0..n_rows] (shared by all
 * columns, offsets[0] == 0), as an Arrow IPC stream (atomic), batch_rows rows a batch.
 * fixed_size > 0 writes fixed_size_list<type>[fixed_size] (offsets ignored). */
hfc_status hfc_arrow_write_lists(const char *path, const hfc_arrow_list_column *cols,
                                 size_t n_cols, const int64_t *offsets, int64_t n_rows,
                                 int32_t fixed_size, int64_t batch_rows,
                                 const char *const *meta_keys, const char *const *meta_values,
                                 size_t n_meta);

#ifdef __cplusplus
}
#endif
#endif /* HFC_ARROW_H */
