/* Fast paths over Arrow tables: fixed-width gathers by row index and group_texts packing. */
#include <string.h>

#include "hfc/arrow.h"
#include "hfc/pool.h"

hfc_status hfc_arrow_gather_fixed(const hfc_arrow_table *t, size_t col, const int64_t *rows,
                                  size_t n, void *out) {
    if (col >= t->n_fields) return hfc_fail(HFC_ERR_RANGE, "column %zu out of range", col);
    int w = hfc_arrow_type_width(t->fields[col].type);
    if (w <= 0 || t->fields[col].dictionary)
        return hfc_fail(HFC_ERR_TYPE, "column '%s' (%s) is not fixed-width", t->fields[col].name,
                        hfc_arrow_type_name(t->fields[col].type));
    uint8_t *o = out;
    for (size_t i = 0; i < n; i++) {
        if (rows[i] < 0 || rows[i] >= t->num_rows)
            return hfc_fail(HFC_ERR_RANGE, "row %lld out of range", (long long)rows[i]);
        size_t b;
        int64_t r;
        hfc_arrow_table_locate(t, rows[i], &b, &r);
        const hfc_arrow_array *a = &t->batches[b].columns[col];
        if (hfc_arrow_is_null(a, r)) memset(o + i * (size_t)w, 0, (size_t)w);
        else memcpy(o + i * (size_t)w, a->values + (size_t)r * (size_t)w, (size_t)w);
    }
    return HFC_OK;
}

hfc_status hfc_arrow_gather_lists(const hfc_arrow_table *t, size_t col, const int64_t *rows,
                                  size_t n, void **values, int64_t *offsets) {
    if (col >= t->n_fields) return hfc_fail(HFC_ERR_RANGE, "column %zu out of range", col);
    const hfc_arrow_field *f = &t->fields[col];
    bool is_list = f->type == HFC_ARROW_LIST || f->type == HFC_ARROW_LARGE_LIST ||
                   f->type == HFC_ARROW_FIXED_SIZE_LIST;
    int w = is_list ? hfc_arrow_type_width(f->children[0].type) : 0;
    if (!is_list || f->dictionary || f->children[0].dictionary || w <= 0)
        return hfc_fail(HFC_ERR_TYPE, "column '%s' is not a list of fixed-width values", f->name);
    /* pass 1: offsets (and checks) */
    offsets[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (rows[i] < 0 || rows[i] >= t->num_rows)
            return hfc_fail(HFC_ERR_RANGE, "row %lld out of range", (long long)rows[i]);
        size_t b;
        int64_t r, s = 0, e = 0;
        hfc_arrow_table_locate(t, rows[i], &b, &r);
        const hfc_arrow_array *a = &t->batches[b].columns[col];
        if (!hfc_arrow_is_null(a, r)) {
            HFC_TRY(hfc_arrow_range(a, r, &s, &e));
            if (a->children[0].validity)
                for (int64_t k = s; k < e; k++)
                    if (hfc_arrow_is_null(&a->children[0], k))
                        return hfc_fail(HFC_ERR_INVALID, "column '%s' row %lld has a null item",
                                        f->name, (long long)rows[i]);
        }
        offsets[i + 1] = offsets[i] + (e - s);
    }
    size_t bytes = (size_t)offsets[n] * (size_t)w;
    uint8_t *out = hfc_malloc(bytes ? bytes : 1);
    if (!out) return hfc_fail(HFC_ERR_NOMEM, "gather: out of memory for %zu bytes", bytes);
    /* pass 2: copy (ranges were validated in pass 1) */
    for (size_t i = 0; i < n; i++) {
        int64_t len = offsets[i + 1] - offsets[i];
        if (!len) continue;
        size_t b;
        int64_t r, s, e;
        hfc_arrow_table_locate(t, rows[i], &b, &r);
        const hfc_arrow_array *a = &t->batches[b].columns[col];
        (void)hfc_arrow_range(a, r, &s, &e);
        memcpy(out + (size_t)offsets[i] * (size_t)w, a->children[0].values + (size_t)s * (size_t)w,
               (size_t)len * (size_t)w);
    }
    *values = out;
    return HFC_OK;
}

/* Row r's list of integers: child array and [s, e). */
static hfc_status int_list(const hfc_arrow_table *t, size_t col, int64_t row,
                           const hfc_arrow_array **child, int64_t *s, int64_t *e) {
    if (row < 0 || row >= t->num_rows)
        return hfc_fail(HFC_ERR_RANGE, "row %lld out of range", (long long)row);
    size_t b;
    int64_t r;
    hfc_arrow_table_locate(t, row, &b, &r);
    const hfc_arrow_array *a = &t->batches[b].columns[col];
    if (hfc_arrow_is_null(a, r)) { *s = *e = 0; *child = NULL; return HFC_OK; }
    HFC_TRY(hfc_arrow_range(a, r, s, e));
    *child = &a->children[0];
    return HFC_OK;
}

static void copy_ints(int32_t *dst, const hfc_arrow_array *c, int64_t s, int64_t n) {
    if (c->type == HFC_ARROW_INT32 || c->type == HFC_ARROW_UINT32) {
        memcpy(dst, c->values + 4 * s, 4 * (size_t)n);
        return;
    }
    for (int64_t k = 0; k < n; k++) dst[k] = (int32_t)hfc_arrow_int_at(c, s + k);
}

hfc_status hfc_arrow_pack(const hfc_arrow_table *t, size_t col, const int64_t *rows,
                          int64_t n, int64_t block_size, int64_t eos_id, int64_t group_rows,
                          int32_t **out, int64_t *n_blocks) {
    if (col >= t->n_fields) return hfc_fail(HFC_ERR_RANGE, "column %zu out of range", col);
    const hfc_arrow_field *f = &t->fields[col];
    bool is_list = f->type == HFC_ARROW_LIST || f->type == HFC_ARROW_LARGE_LIST ||
                   f->type == HFC_ARROW_FIXED_SIZE_LIST;
    if (!is_list || f->dictionary || f->children[0].dictionary ||
        f->children[0].type < HFC_ARROW_INT8 || f->children[0].type > HFC_ARROW_UINT64)
        return hfc_fail(HFC_ERR_TYPE, "pack: column '%s' must be a list of integers", f->name);
    if (block_size <= 0) return hfc_fail(HFC_ERR_INVALID, "pack: block_size must be positive");
    if (!rows) n = t->num_rows;
    if (group_rows <= 0 || group_rows > n) group_rows = n > 0 ? n : 1;
    /* pass 1: whole blocks of each group of group_rows rows */
    int64_t nb = 0, total = 0;
    for (int64_t i = 0; i < n; i++) {
        const hfc_arrow_array *c;
        int64_t s, e;
        HFC_TRY(int_list(t, col, rows ? rows[i] : i, &c, &s, &e));
        if (c && c->validity) {
            for (int64_t k = s; k < e; k++)
                if (hfc_arrow_is_null(c, k))
                    return hfc_fail(HFC_ERR_INVALID, "pack: column '%s' has a null token", f->name);
        }
        total += (e - s) + (eos_id >= 0);
        if ((i + 1) % group_rows == 0 || i + 1 == n) {
            nb += total / block_size;
            total = 0;
        }
    }
    size_t bytes;
    if (!hfc_mul_size((size_t)nb, (size_t)block_size * 4, &bytes))
        return hfc_fail(HFC_ERR_OVERFLOW, "pack: too many tokens");
    int32_t *dst = hfc_malloc(bytes ? bytes : 1);
    if (!dst) return hfc_fail(HFC_ERR_NOMEM, "pack: out of memory for %zu bytes", bytes);
    /* pass 2: each group's tokens up to its last whole block */
    int64_t at = 0;
    for (int64_t g = 0; g < n; g += group_rows) {
        int64_t end = g + group_rows < n ? g + group_rows : n, tokens = 0;
        for (int64_t i = g; i < end; i++) {
            const hfc_arrow_array *c;
            int64_t s, e;
            hfc_status st = int_list(t, col, rows ? rows[i] : i, &c, &s, &e);
            if (st != HFC_OK) { hfc_free(dst); return st; }
            tokens += (e - s) + (eos_id >= 0);
        }
        int64_t keep = at + tokens / block_size * block_size;
        for (int64_t i = g; i < end && at < keep; i++) {
            const hfc_arrow_array *c;
            int64_t s, e;
            hfc_status st = int_list(t, col, rows ? rows[i] : i, &c, &s, &e);
            if (st != HFC_OK) { hfc_free(dst); return st; }
            int64_t m = e - s < keep - at ? e - s : keep - at;
            if (m > 0) copy_ints(dst + at, c, s, m);
            at += m;
            if (eos_id >= 0 && at < keep) dst[at++] = (int32_t)eos_id;
        }
    }
    *out = dst;
    *n_blocks = nb;
    return HFC_OK;
}
