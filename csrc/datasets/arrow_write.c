/* Arrow IPC stream writer: gathers rows (in any order) of a table into fresh buffers and
 * writes Schema + RecordBatch messages, the format `datasets.save_to_disk` produces.
 *
 * Flatbuffers are laid out front to back: a table is written, then the objects its
 * reference fields point at, each reference patched once its target's position is known
 * (references are unsigned and must point forward; vtables sit just before their table).
 * Scalars of 8 bytes are 8-aligned relative to the message start, as Arrow's verifier
 * requires; each message starts 8-aligned in the file.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hfc/arrow.h"
#include "arrow_internal.h"

/* ---- flatbuffer building ---- */

static hfc_status pad_to(hfc_buf *b, size_t align, size_t phase) {
    static const char zeros[16] = {0};
    size_t need = (phase + align - (b->len % align)) % align;
    return hfc_buf_append(b, zeros, need);
}

static void put_u32(hfc_buf *b, size_t at, uint32_t v) { memcpy(b->data + at, &v, 4); }

/* Point the reference slot at `slot` to the current end of b. */
static void patch_here(hfc_buf *b, size_t slot) { put_u32(b, slot, (uint32_t)(b->len - slot)); }

typedef struct fw_field {
    int id;
    int size;        /* 1, 2, 4, 8 scalar bytes; 0 = reference (4 bytes, patched later) */
    uint64_t value;
    size_t slot;     /* out: position of a reference field */
} fw_field;

/* Write vtable + table with `fs` and point the reference at `ref` (position 0 = root) to it;
 * reference fields' own slots come back in fs[i].slot. */
static hfc_status fw_table(hfc_buf *b, size_t ref, fw_field *fs, int n) {
    int n_ids = 0;
    for (int i = 0; i < n; i++)
        if (fs[i].id + 1 > n_ids) n_ids = fs[i].id + 1;
    size_t vt_size = 4 + 2 * (size_t)n_ids;
    uint16_t offs[16] = {0};
    size_t at[16] = {0};
    size_t pos = 4; /* after the soffset; the table starts at 4 mod 8, so pos 4 is 8-aligned */
    static const int order[] = {8, 0, 4, 2, 1};
    for (int k = 0; k < 5; k++)
        for (int i = 0; i < n; i++) {
            if (fs[i].size != order[k]) continue;
            size_t w = fs[i].size ? (size_t)fs[i].size : 4;
            pos = (pos + 4 + w - 1) / w * w - 4; /* aligned in absolute terms */
            at[i] = pos;
            offs[fs[i].id] = (uint16_t)pos;
            pos += w;
        }
    size_t t_size = (pos + 3) / 4 * 4;
    /* vtable then table, the table starting at 4 mod 8 */
    HFC_TRY(pad_to(b, 8, (4 + 8 - vt_size % 8) % 8));
    size_t vt = b->len;
    uint16_t hdr[2] = {(uint16_t)vt_size, (uint16_t)t_size};
    HFC_TRY(hfc_buf_append(b, hdr, 4));
    HFC_TRY(hfc_buf_append(b, offs, 2 * (size_t)n_ids));
    size_t tpos = b->len;
    HFC_TRY(hfc_buf_reserve(b, t_size));
    memset(b->data + tpos, 0, t_size);
    b->len += t_size;
    int32_t soff = (int32_t)(tpos - vt);
    memcpy(b->data + tpos, &soff, 4);
    for (int i = 0; i < n; i++) {
        if (fs[i].size) memcpy(b->data + tpos + at[i], &fs[i].value, (size_t)fs[i].size);
        else fs[i].slot = tpos + at[i];
    }
    put_u32(b, ref, (uint32_t)(tpos - ref));
    return HFC_OK;
}

static hfc_status fw_string(hfc_buf *b, size_t slot, const char *s) {
    HFC_TRY(pad_to(b, 4, 0));
    patch_here(b, slot);
    uint32_t n = (uint32_t)strlen(s);
    HFC_TRY(hfc_buf_append(b, &n, 4));
    return hfc_buf_append(b, s, (size_t)n + 1);
}

/* Vector of n references at `slot`; the element slots are returned in slots[]. */
static hfc_status fw_ref_vector(hfc_buf *b, size_t slot, size_t n, size_t *slots) {
    HFC_TRY(pad_to(b, 4, 0));
    patch_here(b, slot);
    uint32_t cnt = (uint32_t)n;
    HFC_TRY(hfc_buf_append(b, &cnt, 4));
    for (size_t i = 0; i < n; i++) {
        slots[i] = b->len;
        HFC_TRY(hfc_buf_append(b, &cnt, 4));
    }
    return HFC_OK;
}

/* Vector of n 16-byte structs (pairs of int64), elements 8-aligned. */
static hfc_status fw_struct_vector(hfc_buf *b, size_t slot, const int64_t *pairs, size_t n) {
    HFC_TRY(pad_to(b, 8, 4));
    patch_here(b, slot);
    uint32_t cnt = (uint32_t)n;
    HFC_TRY(hfc_buf_append(b, &cnt, 4));
    return hfc_buf_append(b, pairs, 16 * n);
}

static hfc_status fw_kv_vector(hfc_buf *b, size_t slot, const char *const *keys,
                               const char *const *values, size_t n) {
    size_t *slots = hfc_calloc(n ? n : 1, sizeof *slots);
    if (!slots) return HFC_ERR_NOMEM;
    hfc_status st = fw_ref_vector(b, slot, n, slots);
    for (size_t i = 0; st == HFC_OK && i < n; i++) {
        fw_field kv[2] = {{0, 0, 0, 0}, {1, 0, 0, 0}};
        st = fw_table(b, slots[i], kv, 2);
        if (st == HFC_OK) st = fw_string(b, kv[0].slot, keys[i]);
        if (st == HFC_OK) st = fw_string(b, kv[1].slot, values[i]);
    }
    hfc_free(slots);
    return st;
}

/* ---- schema ---- */

static int type_union_id(hfc_arrow_type t) {
    switch (t) {
    case HFC_ARROW_NA: return 1;
    case HFC_ARROW_BOOL: return 6;
    case HFC_ARROW_FLOAT16: case HFC_ARROW_FLOAT32: case HFC_ARROW_FLOAT64: return 3;
    case HFC_ARROW_UTF8: return 5;
    case HFC_ARROW_BINARY: return 4;
    case HFC_ARROW_LARGE_UTF8: return 20;
    case HFC_ARROW_LARGE_BINARY: return 19;
    case HFC_ARROW_FIXED_SIZE_BINARY: return 15;
    case HFC_ARROW_LIST: return 12;
    case HFC_ARROW_LARGE_LIST: return 21;
    case HFC_ARROW_FIXED_SIZE_LIST: return 16;
    case HFC_ARROW_STRUCT: return 13;
    default: return 2; /* Int */
    }
}

static hfc_status fw_type(hfc_buf *b, size_t slot, const hfc_arrow_field *f) {
    fw_field fs[2];
    int n = 0;
    hfc_arrow_type t = f->type;
    if (t >= HFC_ARROW_INT8 && t <= HFC_ARROW_UINT64) {
        int k = (t - HFC_ARROW_INT8) % 4;
        fs[n++] = (fw_field){0, 4, (uint64_t)(8 << k), 0};
        fs[n++] = (fw_field){1, 1, t <= HFC_ARROW_INT64, 0};
    } else if (t >= HFC_ARROW_FLOAT16 && t <= HFC_ARROW_FLOAT64) {
        fs[n++] = (fw_field){0, 2, (uint64_t)(t - HFC_ARROW_FLOAT16), 0};
    } else if (t == HFC_ARROW_FIXED_SIZE_LIST || t == HFC_ARROW_FIXED_SIZE_BINARY) {
        fs[n++] = (fw_field){0, 4, (uint64_t)(uint32_t)f->fixed_size, 0};
    }
    return fw_table(b, slot, fs, n);
}

static hfc_status fw_field_table(hfc_buf *b, size_t slot, const hfc_arrow_field *f) {
    fw_field fs[6] = {{0, 0, 0, 0}, {1, 1, f->nullable, 0},
                      {2, 1, (uint64_t)type_union_id(f->type), 0}, {3, 0, 0, 0},
                      {5, 0, 0, 0}, {6, 0, 0, 0}};
    int n = f->extension_name ? 6 : 5;
    HFC_TRY(fw_table(b, slot, fs, n));
    HFC_TRY(fw_string(b, fs[0].slot, f->name));
    HFC_TRY(fw_type(b, fs[3].slot, f));
    size_t *slots = hfc_calloc(f->n_children ? f->n_children : 1, sizeof *slots);
    if (!slots) return HFC_ERR_NOMEM;
    hfc_status st = fw_ref_vector(b, fs[4].slot, f->n_children, slots);
    for (size_t i = 0; st == HFC_OK && i < f->n_children; i++)
        st = fw_field_table(b, slots[i], &f->children[i]);
    hfc_free(slots);
    HFC_TRY(st);
    if (f->extension_name) {
        const char *k[2] = {"ARROW:extension:name", "ARROW:extension:metadata"};
        const char *v[2] = {f->extension_name,
                            f->extension_metadata ? f->extension_metadata : ""};
        HFC_TRY(fw_kv_vector(b, fs[5].slot, k, v, 2));
    }
    return HFC_OK;
}

/* Message{version V5, header_type, header, bodyLength}: returns the header's ref slot. */
static hfc_status fw_message(hfc_buf *b, int header_type, int64_t body_len, size_t *header) {
    uint32_t root = 0;
    HFC_TRY(hfc_buf_append(b, &root, 4));
    fw_field fs[4] = {{0, 2, 4, 0}, {1, 1, (uint64_t)header_type, 0}, {2, 0, 0, 0},
                      {3, 8, (uint64_t)body_len, 0}};
    HFC_TRY(fw_table(b, 0, fs, 4));
    *header = fs[2].slot;
    return HFC_OK;
}

/* Schema message for fields[cols[i]] (cols == NULL: fields[0..n)). */
static hfc_status write_schema_msg(const hfc_arrow_field *fields, const size_t *cols, size_t n,
                                   const char *const *keys, const char *const *values,
                                   size_t n_meta, hfc_buf *m) {
    size_t hdr;
    HFC_TRY(fw_message(m, 1, 0, &hdr));
    fw_field fs[2] = {{1, 0, 0, 0}, {2, 0, 0, 0}};
    HFC_TRY(fw_table(m, hdr, fs, 2));
    size_t *slots = hfc_calloc(n ? n : 1, sizeof *slots);
    if (!slots) return HFC_ERR_NOMEM;
    hfc_status st = fw_ref_vector(m, fs[0].slot, n, slots);
    for (size_t i = 0; st == HFC_OK && i < n; i++)
        st = fw_field_table(m, slots[i], &fields[cols ? cols[i] : i]);
    hfc_free(slots);
    HFC_TRY(st);
    return fw_kv_vector(m, fs[1].slot, keys, values, n_meta);
}

/* ---- gathering rows into new buffers ---- */

typedef struct builder {
    const hfc_arrow_field *field;
    hfc_arrow_type type;
    int64_t length, null_count;
    hfc_buf validity, values, data;   /* values: fixed-width values, bools, or offsets */
    size_t n_children;
    struct builder *children;
} builder;

static hfc_status builder_init(builder *b, const hfc_arrow_field *f) {
    memset(b, 0, sizeof *b);
    b->field = f;
    b->type = f->type;
    b->n_children = f->n_children;
    if (f->n_children) {
        b->children = hfc_calloc(f->n_children, sizeof *b->children);
        if (!b->children) return HFC_ERR_NOMEM;
        for (size_t i = 0; i < f->n_children; i++)
            HFC_TRY(builder_init(&b->children[i], &f->children[i]));
    }
    return HFC_OK;
}

static void builder_free(builder *b) {
    for (size_t i = 0; i < b->n_children; i++) builder_free(&b->children[i]);
    hfc_free(b->children);
    hfc_buf_free(&b->validity);
    hfc_buf_free(&b->values);
    hfc_buf_free(&b->data);
}

static void builder_reset(builder *b) {
    b->length = b->null_count = 0;
    b->validity.len = b->values.len = b->data.len = 0;
    for (size_t i = 0; i < b->n_children; i++) builder_reset(&b->children[i]);
}

static hfc_status put_bit(hfc_buf *buf, int64_t i, bool v) {
    if ((i & 7) == 0) HFC_TRY(hfc_buf_putc(buf, 0));
    if (v) buf->data[i >> 3] |= (char)(1 << (i & 7));
    return HFC_OK;
}

static bool is_var(hfc_arrow_type t) {
    return t == HFC_ARROW_UTF8 || t == HFC_ARROW_BINARY || t == HFC_ARROW_LARGE_UTF8 ||
           t == HFC_ARROW_LARGE_BINARY || t == HFC_ARROW_LIST || t == HFC_ARROW_LARGE_LIST;
}
static bool is_large(hfc_arrow_type t) {
    return t == HFC_ARROW_LARGE_UTF8 || t == HFC_ARROW_LARGE_BINARY || t == HFC_ARROW_LARGE_LIST;
}

static hfc_status put_offset(builder *b, int64_t v) {
    if (is_large(b->type)) return hfc_buf_append(&b->values, &v, 8);
    if (v > INT32_MAX)
        return hfc_fail(HFC_ERR_OVERFLOW, "column '%s': more than 2^31 bytes/items in one batch; "
                        "use a smaller batch size", b->field->name);
    int32_t w = (int32_t)v;
    return hfc_buf_append(&b->values, &w, 4);
}

static int64_t child_len(const builder *b) {
    return b->type == HFC_ARROW_LIST || b->type == HFC_ARROW_LARGE_LIST ? b->children[0].length
                                                                         : (int64_t)b->data.len;
}

static hfc_status append_value(builder *b, const hfc_arrow_array *a, int64_t i);

static hfc_status append_null(builder *b) {
    if (is_var(b->type) && b->values.len == 0) HFC_TRY(put_offset(b, 0));
    HFC_TRY(put_bit(&b->validity, b->length, false));
    b->null_count++;
    int w = hfc_arrow_type_width(b->type);
    if (b->type == HFC_ARROW_FIXED_SIZE_BINARY) w = b->field->fixed_size;
    if (b->type == HFC_ARROW_BOOL) {
        HFC_TRY(put_bit(&b->values, b->length, false));
    } else if (w > 0 || b->type == HFC_ARROW_FIXED_SIZE_BINARY) {
        HFC_TRY(hfc_buf_reserve(&b->values, (size_t)w));
        memset(b->values.data + b->values.len, 0, (size_t)w);
        b->values.len += (size_t)w;
    } else if (is_var(b->type)) {
        HFC_TRY(put_offset(b, child_len(b)));
    } else if (b->type == HFC_ARROW_FIXED_SIZE_LIST) {
        for (int32_t k = 0; k < b->field->fixed_size; k++) HFC_TRY(append_null(&b->children[0]));
    } else if (b->type == HFC_ARROW_STRUCT) {
        for (size_t k = 0; k < b->n_children; k++) HFC_TRY(append_null(&b->children[k]));
    }
    b->length++;
    return HFC_OK;
}

static hfc_status append_value(builder *b, const hfc_arrow_array *a, int64_t i) {
    if (a->indices && !hfc_arrow_is_null(a, i)) {
        int64_t k;
        HFC_TRY(hfc_arrow_dict_index(a, i, &k));
        a = a->dictionary;
        i = k;
    }
    if (hfc_arrow_is_null(a, i)) return append_null(b);
    if (is_var(b->type) && b->values.len == 0) HFC_TRY(put_offset(b, 0));
    HFC_TRY(put_bit(&b->validity, b->length, true));
    int w = hfc_arrow_type_width(b->type);
    int64_t s, e;
    switch (b->type) {
    case HFC_ARROW_NA: break;
    case HFC_ARROW_BOOL: HFC_TRY(put_bit(&b->values, b->length, hfc_arrow_bool(a, i))); break;
    case HFC_ARROW_UTF8: case HFC_ARROW_BINARY: case HFC_ARROW_LARGE_UTF8:
    case HFC_ARROW_LARGE_BINARY:
        HFC_TRY(hfc_arrow_range(a, i, &s, &e));
        HFC_TRY(hfc_buf_append(&b->data, a->data + s, (size_t)(e - s)));
        HFC_TRY(put_offset(b, (int64_t)b->data.len));
        break;
    case HFC_ARROW_LIST: case HFC_ARROW_LARGE_LIST:
        HFC_TRY(hfc_arrow_range(a, i, &s, &e));
        for (int64_t k = s; k < e; k++) HFC_TRY(append_value(&b->children[0], &a->children[0], k));
        HFC_TRY(put_offset(b, b->children[0].length));
        break;
    case HFC_ARROW_FIXED_SIZE_LIST:
        HFC_TRY(hfc_arrow_range(a, i, &s, &e));
        for (int64_t k = s; k < e; k++) HFC_TRY(append_value(&b->children[0], &a->children[0], k));
        break;
    case HFC_ARROW_STRUCT:
        for (size_t k = 0; k < b->n_children; k++)
            HFC_TRY(append_value(&b->children[k], &a->children[k], i));
        break;
    case HFC_ARROW_FIXED_SIZE_BINARY:
        w = b->field->fixed_size;
        /* fallthrough */
    default:
        HFC_TRY(hfc_buf_append(&b->values, a->values + (size_t)w * (size_t)i, (size_t)w));
        break;
    }
    b->length++;
    return HFC_OK;
}

/* ---- record batch messages ---- */

typedef struct batch_out {
    int64_t *nodes;   size_t n_nodes, cap_nodes;  /* pairs */
    int64_t *bufs;    size_t n_bufs, cap_bufs;    /* pairs (offset, length) */
    const hfc_buf **bodies; size_t cap_bodies;    /* one per buffer (NULL = empty) */
    int64_t body_len;
} batch_out;

static hfc_status out_buffer(batch_out *o, const hfc_buf *buf, size_t len) {
    HFC_TRY(hfc_grow((void **)&o->bufs, &o->cap_bufs, 2 * (o->n_bufs + 1), sizeof *o->bufs));
    HFC_TRY(hfc_grow((void **)&o->bodies, &o->cap_bodies, o->n_bufs + 1, sizeof *o->bodies));
    o->bufs[2 * o->n_bufs] = o->body_len;
    o->bufs[2 * o->n_bufs + 1] = (int64_t)len;
    o->bodies[o->n_bufs++] = len ? buf : NULL;
    o->body_len += ((int64_t)len + 7) / 8 * 8;
    return HFC_OK;
}

static hfc_status collect(batch_out *o, builder *b) {
    if (b->length > 0 && is_var(b->type) && b->values.len == 0) HFC_TRY(put_offset(b, 0));
    HFC_TRY(hfc_grow((void **)&o->nodes, &o->cap_nodes, 2 * (o->n_nodes + 1), sizeof *o->nodes));
    o->nodes[2 * o->n_nodes] = b->length;
    o->nodes[2 * o->n_nodes + 1] = b->type == HFC_ARROW_NA ? b->length : b->null_count;
    o->n_nodes++;
    if (b->type == HFC_ARROW_NA) return HFC_OK;
    HFC_TRY(out_buffer(o, &b->validity, b->null_count ? b->validity.len : 0));
    switch (b->type) {
    case HFC_ARROW_STRUCT: case HFC_ARROW_FIXED_SIZE_LIST: break;
    default: HFC_TRY(out_buffer(o, &b->values, b->values.len)); break;
    }
    if (b->type == HFC_ARROW_UTF8 || b->type == HFC_ARROW_BINARY ||
        b->type == HFC_ARROW_LARGE_UTF8 || b->type == HFC_ARROW_LARGE_BINARY)
        HFC_TRY(out_buffer(o, &b->data, b->data.len));
    for (size_t i = 0; i < b->n_children; i++) HFC_TRY(collect(o, &b->children[i]));
    return HFC_OK;
}

typedef struct sink {
    FILE *fp;      /* or */
    hfc_buf *mem;
    const char *path;
} sink;

static hfc_status sink_write(sink *s, const void *p, size_t n) {
    if (s->mem) return hfc_buf_append(s->mem, p, n);
    if (n && fwrite(p, 1, n, s->fp) != n) return hfc_fail_errno(errno, "%s: write failed", s->path);
    return HFC_OK;
}

/* 0xFFFFFFFF, metadata length (padded to 8), metadata, body. */
static hfc_status emit_message(sink *s, hfc_buf *meta, const batch_out *o) {
    HFC_TRY(pad_to(meta, 8, 0));
    uint32_t pre[2] = {0xFFFFFFFFu, (uint32_t)meta->len};
    HFC_TRY(sink_write(s, pre, 8));
    HFC_TRY(sink_write(s, meta->data, meta->len));
    static const char zeros[8] = {0};
    for (size_t i = 0; o && i < o->n_bufs; i++) {
        size_t len = (size_t)o->bufs[2 * i + 1];
        if (!len) continue;
        HFC_TRY(sink_write(s, o->bodies[i]->data, len));
        HFC_TRY(sink_write(s, zeros, (8 - len % 8) % 8));
    }
    return HFC_OK;
}

/* RecordBatch message for the nodes and buffers gathered in o; frees o's arrays. */
static hfc_status emit_batch(sink *s, batch_out *o, int64_t length, hfc_buf *meta,
                             hfc_status st) {
    size_t hdr;
    meta->len = 0;
    if (st == HFC_OK) st = fw_message(meta, 3, o->body_len, &hdr);
    fw_field fs[3] = {{0, 8, (uint64_t)length, 0}, {1, 0, 0, 0}, {2, 0, 0, 0}};
    if (st == HFC_OK) st = fw_table(meta, hdr, fs, 3);
    if (st == HFC_OK) st = fw_struct_vector(meta, fs[1].slot, o->nodes, o->n_nodes);
    if (st == HFC_OK) st = fw_struct_vector(meta, fs[2].slot, o->bufs, o->n_bufs);
    if (st == HFC_OK) st = emit_message(s, meta, o);
    hfc_free(o->nodes);
    hfc_free(o->bufs);
    hfc_free(o->bodies);
    return st;
}

/* Nodes and buffers of flat list columns for output rows [r0, r1) into o: offsets
 * rebased into `offs`, values borrowed into vals[c] (non-owning hfc_bufs). */
/* The rows [r0, r1) of the flat list columns: their shared offsets rebased into `offs`
 * (unless fixed-size), the value range in *v0..*v1. */
static hfc_status lists_range(const int64_t *offsets, int32_t fixed_size, int64_t r0, int64_t r1,
                              hfc_buf *offs, int64_t *v0, int64_t *v1) {
    if (fixed_size > 0) {
        *v0 = r0 * fixed_size;
        *v1 = r1 * fixed_size;
        return HFC_OK;
    }
    *v0 = offsets[r0];
    *v1 = offsets[r1];
    if (*v1 - *v0 > INT32_MAX)
        return hfc_fail(HFC_ERR_OVERFLOW, "list batch over 2^31 values; use fewer rows");
    offs->len = 0;
    for (int64_t r = r0; r <= r1; r++) {
        int32_t x = (int32_t)(offsets[r] - *v0);
        HFC_TRY(hfc_buf_append(offs, &x, 4));
    }
    return HFC_OK;
}

/* One flat list column's nodes and buffers for values v0..v1 of rows r0..r1. */
static hfc_status collect_list(batch_out *o, const hfc_arrow_list_column *col, int32_t fixed_size,
                               int64_t r0, int64_t r1, int64_t v0, int64_t v1, hfc_buf *offs,
                               hfc_buf *val) {
    size_t w = (size_t)hfc_arrow_type_width(col->type);
    *val = (hfc_buf){(char *)col->values + w * (size_t)v0, w * (size_t)(v1 - v0), 0};
    HFC_TRY(hfc_grow((void **)&o->nodes, &o->cap_nodes, 2 * (o->n_nodes + 2), sizeof *o->nodes));
    int64_t *nd = o->nodes + 2 * o->n_nodes;
    nd[0] = r1 - r0; nd[1] = 0; nd[2] = v1 - v0; nd[3] = 0;
    o->n_nodes += 2;
    HFC_TRY(out_buffer(o, NULL, 0));
    if (fixed_size <= 0) HFC_TRY(out_buffer(o, offs, offs->len));
    HFC_TRY(out_buffer(o, NULL, 0));
    return out_buffer(o, val, val->len);
}

/* The fields of flat list columns: fields[0..n) (items in fields[n..2n)). */
static void list_fields(const hfc_arrow_list_column *cols, size_t n, int32_t fixed_size,
                        hfc_arrow_field *fields) {
    hfc_arrow_field *items = fields + n;
    for (size_t c = 0; c < n; c++) {
        items[c] = (hfc_arrow_field){.name = "item", .type = cols[c].type, .nullable = true};
        fields[c] = (hfc_arrow_field){.name = (char *)cols[c].name, .nullable = true,
                                      .type = fixed_size > 0 ? HFC_ARROW_FIXED_SIZE_LIST
                                                             : HFC_ARROW_LIST,
                                      .fixed_size = fixed_size, .n_children = 1,
                                      .children = &items[c]};
    }
}

/* Output column k: table column order[k] when order[k] < n_cols, else list column
 * order[k] - n_cols. Lists go at o->list_pos (all after the table's columns when NULL). */
static hfc_status column_order(const hfc_arrow_write_opts *o, size_t n_cols, size_t *order) {
    size_t n_out = n_cols + o->n_lists;
    for (size_t k = 0; k < n_out; k++) order[k] = SIZE_MAX;
    for (size_t j = 0; j < o->n_lists; j++) {
        size_t at = o->list_pos ? o->list_pos[j] : n_cols + j;
        if (at >= n_out || order[at] != SIZE_MAX)
            return hfc_fail(HFC_ERR_RANGE, "write: list column '%s' position %zu taken or out "
                            "of range (%zu columns)", o->lists[j].name, at, n_out);
        order[at] = n_cols + j;
    }
    size_t c = 0;
    for (size_t k = 0; k < n_out; k++)
        if (order[k] == SIZE_MAX) order[k] = c++;
    return HFC_OK;
}

static hfc_status write_all(const hfc_arrow_table *t, const hfc_arrow_write_opts *o, sink *s) {
    size_t n_cols = o->cols ? o->n_cols : t->n_fields;
    for (size_t i = 0; o->cols && i < n_cols; i++)
        if (o->cols[i] >= t->n_fields) return hfc_fail(HFC_ERR_RANGE, "column %zu out of range",
                                                       o->cols[i]);
    for (size_t c = 0; c < o->n_lists; c++)
        if (hfc_arrow_type_width(o->lists[c].type) <= 0)
            return hfc_fail(HFC_ERR_TYPE, "write: list column '%s' must be fixed-width",
                            o->lists[c].name);
    int64_t n_rows = o->rows ? o->n_rows : t->num_rows;
    int64_t per = o->batch_rows > 0 ? o->batch_rows : 1000;
    size_t n_out = n_cols + o->n_lists;
    hfc_buf meta = {0}, offs = {0};
    builder *cols = hfc_calloc(n_cols ? n_cols : 1, sizeof *cols);
    /* schema: the output columns in order, then the list columns' item fields */
    hfc_arrow_field *fields = hfc_calloc(n_out + o->n_lists + 1, sizeof *fields);
    hfc_arrow_field *lf = hfc_calloc(2 * o->n_lists + 1, sizeof *lf);
    hfc_buf *vals = hfc_calloc(o->n_lists + 1, sizeof *vals);
    size_t *order = hfc_calloc(n_out + 1, sizeof *order);
    hfc_status st = cols && fields && lf && vals && order ? HFC_OK : HFC_ERR_NOMEM;
    if (st == HFC_OK) st = column_order(o, n_cols, order);
    for (size_t i = 0; st == HFC_OK && i < n_cols; i++)
        st = builder_init(&cols[i], &t->fields[o->cols ? o->cols[i] : i]);
    if (st == HFC_OK) {
        list_fields(o->lists, o->n_lists, o->list_fixed_size, lf);
        for (size_t k = 0; k < n_out; k++) {
            if (order[k] < n_cols) {
                fields[k] = t->fields[o->cols ? o->cols[order[k]] : order[k]];
                continue;
            }
            size_t j = order[k] - n_cols;
            fields[k] = lf[j];
            fields[n_out + j] = lf[o->n_lists + j];
            fields[k].children = &fields[n_out + j];
        }
        st = write_schema_msg(fields, NULL, n_out, o->meta_keys, o->meta_values, o->n_meta,
                              &meta);
    }
    if (st == HFC_OK) st = emit_message(s, &meta, NULL);
    for (int64_t r0 = 0; st == HFC_OK && r0 < n_rows; r0 += per) {
        int64_t r1 = r0 + per < n_rows ? r0 + per : n_rows;
        for (size_t c = 0; c < n_cols; c++) builder_reset(&cols[c]);
        for (int64_t r = r0; st == HFC_OK && r < r1; r++) {
            int64_t row = o->rows ? o->rows[r] : r;
            if (row < 0 || row >= t->num_rows) {
                st = hfc_fail(HFC_ERR_RANGE, "row %lld out of range (%lld rows)",
                              (long long)row, (long long)t->num_rows);
                break;
            }
            size_t b;
            int64_t k;
            hfc_arrow_table_locate(t, row, &b, &k);
            for (size_t c = 0; st == HFC_OK && c < n_cols; c++)
                st = append_value(&cols[c], &t->batches[b].columns[o->cols ? o->cols[c] : c], k);
        }
        if (st == HFC_OK) {
            batch_out bo = {0};
            int64_t v0 = 0, v1 = 0;
            if (o->n_lists) st = lists_range(o->list_offsets, o->list_fixed_size, r0, r1, &offs,
                                             &v0, &v1);
            for (size_t k = 0; st == HFC_OK && k < n_out; k++) {
                if (order[k] < n_cols) st = collect(&bo, &cols[order[k]]);
                else st = collect_list(&bo, &o->lists[order[k] - n_cols], o->list_fixed_size,
                                       r0, r1, v0, v1, &offs, &vals[order[k] - n_cols]);
            }
            st = emit_batch(s, &bo, r1 - r0, &meta, st);
        }
    }
    if (st == HFC_OK) {
        uint32_t eos[2] = {0xFFFFFFFFu, 0};
        st = sink_write(s, eos, 8);
    }
    for (size_t i = 0; cols && i < n_cols; i++) builder_free(&cols[i]);
    hfc_free(cols);
    hfc_free(fields);
    hfc_free(lf);
    hfc_free(vals);
    hfc_free(order);
    hfc_buf_free(&meta);
    hfc_buf_free(&offs);
    return st;
}

hfc_status hfc_arrow_write_stream_buf(const hfc_arrow_table *t, const hfc_arrow_write_opts *o,
                                      hfc_buf *out) {
    sink s = {NULL, out, "<memory>"};
    return write_all(t, o, &s);
}

typedef hfc_status (*write_fn)(void *ctx, sink *s);

/* Run fn into `path` atomically: a temporary file renamed over path on success. */
static hfc_status write_file(const char *path, write_fn fn, void *ctx) {
    hfc_buf tmp = {0};
    HFC_TRY(hfc_buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid()));
    sink s = {fopen(tmp.data, "wb"), NULL, path};
    if (!s.fp) {
        hfc_status st = hfc_fail_errno(errno, "%s: cannot create", tmp.data);
        hfc_buf_free(&tmp);
        return st;
    }
    hfc_status st = fn(ctx, &s);
    if (fclose(s.fp) != 0 && st == HFC_OK) st = hfc_fail_errno(errno, "%s: write failed", path);
    if (st == HFC_OK && rename(tmp.data, path) != 0)
        st = hfc_fail_errno(errno, "%s: rename failed", path);
    if (st != HFC_OK) unlink(tmp.data);
    hfc_buf_free(&tmp);
    return st;
}

typedef struct table_job {
    const hfc_arrow_table *t;
    const hfc_arrow_write_opts *o;
} table_job;

static hfc_status table_fn(void *ctx, sink *s) {
    table_job *j = ctx;
    return write_all(j->t, j->o, s);
}

hfc_status hfc_arrow_write_stream(const hfc_arrow_table *t, const hfc_arrow_write_opts *o,
                                  const char *path) {
    table_job j = {t, o};
    return write_file(path, table_fn, &j);
}

/* ---- flat list columns ---- */

typedef struct lists_job {
    const hfc_arrow_list_column *cols;
    size_t n_cols;
    const int64_t *offsets;
    int64_t n_rows;
    int32_t fixed_size;
    int64_t batch_rows;
    const char *const *keys, *const *values;
    size_t n_meta;
} lists_job;

static hfc_status lists_fn(void *ctx, sink *s) {
    lists_job *j = ctx;
    hfc_arrow_field *fields = hfc_calloc(2 * j->n_cols + 1, sizeof *fields);
    if (!fields) return HFC_ERR_NOMEM;
    list_fields(j->cols, j->n_cols, j->fixed_size, fields);
    hfc_buf meta = {0}, offs = {0};
    hfc_status st = write_schema_msg(fields, NULL, j->n_cols, j->keys, j->values, j->n_meta, &meta);
    if (st == HFC_OK) st = emit_message(s, &meta, NULL);
    int64_t per = j->batch_rows > 0 ? j->batch_rows : 1000;
    hfc_buf *vals = hfc_calloc(j->n_cols + 1, sizeof *vals);
    if (!vals && st == HFC_OK) st = HFC_ERR_NOMEM;
    for (int64_t r0 = 0; st == HFC_OK && r0 < j->n_rows; r0 += per) {
        int64_t r1 = r0 + per < j->n_rows ? r0 + per : j->n_rows;
        batch_out o = {0};
        int64_t v0, v1;
        st = lists_range(j->offsets, j->fixed_size, r0, r1, &offs, &v0, &v1);
        for (size_t c = 0; st == HFC_OK && c < j->n_cols; c++)
            st = collect_list(&o, &j->cols[c], j->fixed_size, r0, r1, v0, v1, &offs, &vals[c]);
        st = emit_batch(s, &o, r1 - r0, &meta, st);
    }
    if (st == HFC_OK) {
        uint32_t eos[2] = {0xFFFFFFFFu, 0};
        st = sink_write(s, eos, 8);
    }
    hfc_free(vals);
    hfc_free(fields);
    hfc_buf_free(&meta);
    hfc_buf_free(&offs);
    return st;
}

hfc_status hfc_arrow_write_lists(const char *path, const hfc_arrow_list_column *cols,
                                 size_t n_cols, const int64_t *offsets, int64_t n_rows,
                                 int32_t fixed_size, int64_t batch_rows,
                                 const char *const *meta_keys, const char *const *meta_values,
                                 size_t n_meta) {
    for (size_t c = 0; c < n_cols; c++)
        if (hfc_arrow_type_width(cols[c].type) <= 0)
            return hfc_fail(HFC_ERR_TYPE, "write_lists: column '%s' must be fixed-width",
                            cols[c].name);
    lists_job j = {cols, n_cols, offsets, n_rows, fixed_size, batch_rows, meta_keys,
                   meta_values, n_meta};
    return write_file(path, lists_fn, &j);
}
