/* Render every value of an hfc_arrow_table as text (the format of
 * tests/c/data/gen_arrow_seeds.py), through the core's checked accessors. Shared by
 * test_arrow.c and fuzz_arrow.c. */
#ifndef HFC_ARROW_RENDER_H
#define HFC_ARROW_RENDER_H
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hfc/hfc.h"
#include "hfc/arrow.h"

/* Values left to render: inputs may validly claim billions of null or zero-width rows;
 * past the budget render_* return HFC_ERR_RANGE. */
static long render_budget_ = 0;

static hfc_status render_value(hfc_buf *o, const hfc_arrow_array *a, int64_t i, int depth);

static hfc_status render_value(hfc_buf *o, const hfc_arrow_array *a, int64_t i, int depth) {
    if (depth > 80) return hfc_fail(HFC_ERR_INVALID, "render: too deep");
    if (--render_budget_ < 0) return hfc_fail(HFC_ERR_RANGE, "render: over budget");
    if (hfc_arrow_is_null(a, i)) return hfc_buf_putc(o, 'N');
    if (a->indices) {
        int64_t k;
        HFC_TRY(hfc_arrow_dict_index(a, i, &k));
        return render_value(o, a->dictionary, k, depth + 1);
    }
    int64_t s, e;
    switch (a->type) {
    case HFC_ARROW_BOOL: return hfc_buf_putc(o, hfc_arrow_bool(a, i) ? 'T' : 'F');
    case HFC_ARROW_UINT64: {
        uint64_t v;
        memcpy(&v, a->values + 8 * i, 8);
        return hfc_buf_printf(o, "%" PRIu64, v);
    }
    case HFC_ARROW_INT8: case HFC_ARROW_INT16: case HFC_ARROW_INT32: case HFC_ARROW_INT64:
    case HFC_ARROW_UINT8: case HFC_ARROW_UINT16: case HFC_ARROW_UINT32:
        return hfc_buf_printf(o, "%" PRId64, hfc_arrow_int_at(a, i));
    case HFC_ARROW_FLOAT32: {
        float v;
        memcpy(&v, a->values + 4 * i, 4);
        return hfc_buf_printf(o, "%.17g", (double)v);
    }
    case HFC_ARROW_FLOAT64: {
        double v;
        memcpy(&v, a->values + 8 * i, 8);
        return hfc_buf_printf(o, "%.17g", v);
    }
    case HFC_ARROW_FLOAT16: return hfc_buf_printf(o, "h%04x", (a->values[2 * i + 1] << 8) | a->values[2 * i]);
    case HFC_ARROW_UTF8: case HFC_ARROW_LARGE_UTF8:
        HFC_TRY(hfc_arrow_range(a, i, &s, &e));
        HFC_TRY(hfc_buf_putc(o, '"'));
        HFC_TRY(hfc_buf_append(o, a->data + s, (size_t)(e - s)));
        return hfc_buf_putc(o, '"');
    case HFC_ARROW_BINARY: case HFC_ARROW_LARGE_BINARY: case HFC_ARROW_FIXED_SIZE_BINARY:
        HFC_TRY(hfc_arrow_range(a, i, &s, &e));
        HFC_TRY(hfc_buf_append(o, "b'", 2));
        for (int64_t k = s; k < e; k++) HFC_TRY(hfc_buf_printf(o, "%02x", a->data[k]));
        return hfc_buf_putc(o, '\'');
    case HFC_ARROW_LIST: case HFC_ARROW_LARGE_LIST: case HFC_ARROW_FIXED_SIZE_LIST:
        HFC_TRY(hfc_arrow_range(a, i, &s, &e));
        HFC_TRY(hfc_buf_putc(o, '['));
        for (int64_t k = s; k < e; k++) {
            if (k > s) HFC_TRY(hfc_buf_putc(o, ','));
            HFC_TRY(render_value(o, &a->children[0], k, depth + 1));
        }
        return hfc_buf_putc(o, ']');
    case HFC_ARROW_STRUCT:
        HFC_TRY(hfc_buf_putc(o, '{'));
        for (size_t k = 0; k < a->n_children; k++) {
            if (k) HFC_TRY(hfc_buf_putc(o, ','));
            HFC_TRY(hfc_buf_printf(o, "%s=", a->children[k].field->name));
            HFC_TRY(render_value(o, &a->children[k], i, depth + 1));
        }
        return hfc_buf_putc(o, '}');
    default: return hfc_buf_putc(o, '?');
    }
}

/* Rows [0, num_rows) in `order` (NULL = natural), one line each. */
static hfc_status render_table(hfc_buf *o, const hfc_arrow_table *t, const int64_t *order) {
    render_budget_ = 1L << 20;
    for (int64_t r = 0; r < t->num_rows; r++) {
        size_t b;
        int64_t k;
        hfc_arrow_table_locate(t, order ? order[r] : r, &b, &k);
        if (--render_budget_ < 0) return hfc_fail(HFC_ERR_RANGE, "render: over budget");
        for (size_t c = 0; c < t->n_fields; c++) {
            HFC_TRY(hfc_buf_printf(o, "%s%s=", c ? ";" : "", t->fields[c].name));
            HFC_TRY(render_value(o, &t->batches[b].columns[c], k, 0));
        }
        HFC_TRY(hfc_buf_putc(o, '\n'));
    }
    return HFC_OK;
}

#endif
