/* Arrow IPC reader: hand-parsed flatbuffers (Message, Schema, RecordBatch,
 * DictionaryBatch, Footer) with a bounds check on every offset, over mapped bytes.
 *
 * Flatbuffers in one paragraph: a buffer starts with a u32 offset to the root table. A
 * table starts with an i32 soffset; its vtable is at table - soffset and holds u16
 * vtable size, u16 table size, then one u16 per field (0 = absent) giving the field's
 * position inside the table. Reference fields (tables, vectors, strings) hold a u32
 * relative to their own position. Vectors are a u32 count then the elements; a union is
 * a u8 type field (id n) followed by a reference field (id n+1).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hfc/arrow.h"
#include "arrow_internal.h"

/* ---- flatbuffer access ---- */

typedef struct fb {
    const uint8_t *buf;   /* the flatbuffer */
    size_t len;
    size_t file_off;      /* byte offset of buf[0] in the file (for messages) */
    const char *name;
} fb;

typedef struct fbt {
    const fb *f;
    size_t pos;           /* table start */
    size_t vt;            /* vtable start */
    uint16_t vt_len, t_len;
} fbt;

static hfc_status fb_bad(const fb *f, size_t pos, const char *what) {
    return hfc_fail(HFC_ERR_INVALID, "%s: corrupt Arrow file: %s at byte %zu", f->name, what,
                    f->file_off + pos);
}

static inline bool fb_in(const fb *f, size_t pos, size_t n) {
    return pos <= f->len && n <= f->len - pos;
}
static inline uint32_t rd_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint16_t rd_u16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline int64_t rd_i64(const uint8_t *p) { int64_t v; memcpy(&v, p, 8); return v; }

static hfc_status fb_table_at(const fb *f, size_t pos, fbt *t) {
    if (!fb_in(f, pos, 4)) return fb_bad(f, pos, "table offset out of range");
    int32_t soff = (int32_t)rd_u32(f->buf + pos);
    int64_t vt = (int64_t)pos - (int64_t)soff;
    if (vt < 0 || !fb_in(f, (size_t)vt, 4)) return fb_bad(f, pos, "vtable out of range");
    t->f = f;
    t->pos = pos;
    t->vt = (size_t)vt;
    t->vt_len = rd_u16(f->buf + vt);
    t->t_len = rd_u16(f->buf + vt + 2);
    if (t->vt_len < 4 || (t->vt_len & 1) || !fb_in(f, t->vt, t->vt_len))
        return fb_bad(f, t->vt, "bad vtable");
    if (t->t_len < 4 || !fb_in(f, pos, t->t_len)) return fb_bad(f, pos, "bad table size");
    return HFC_OK;
}

static hfc_status fb_root(const fb *f, fbt *t) {
    if (!fb_in(f, 0, 4)) return fb_bad(f, 0, "truncated flatbuffer");
    return fb_table_at(f, rd_u32(f->buf), t);
}

/* Position of field `id` inside the table (0 = absent); checked for `size` bytes. */
static hfc_status fbt_field(const fbt *t, int id, size_t size, size_t *pos) {
    size_t slot = 4 + 2 * (size_t)id;
    *pos = 0;
    if (slot + 2 > t->vt_len) return HFC_OK;
    uint16_t off = rd_u16(t->f->buf + t->vt + slot);
    if (!off) return HFC_OK;
    if ((size_t)off + size > t->t_len) return fb_bad(t->f, t->pos, "field outside its table");
    *pos = t->pos + off;
    return HFC_OK;
}

static hfc_status fbt_int(const fbt *t, int id, size_t size, int64_t dflt, int64_t *out) {
    size_t p;
    HFC_TRY(fbt_field(t, id, size, &p));
    if (!p) { *out = dflt; return HFC_OK; }
    const uint8_t *b = t->f->buf + p;
    switch (size) {
    case 1: *out = (int8_t)b[0]; break;
    case 2: *out = (int16_t)rd_u16(b); break;
    case 4: *out = (int32_t)rd_u32(b); break;
    default: *out = rd_i64(b); break;
    }
    return HFC_OK;
}

/* Target of reference field `id` (0 when absent). */
static hfc_status fbt_ref(const fbt *t, int id, size_t *target) {
    size_t p;
    HFC_TRY(fbt_field(t, id, 4, &p));
    *target = 0;
    if (!p) return HFC_OK;
    uint64_t to = (uint64_t)p + rd_u32(t->f->buf + p);
    if (to >= t->f->len) return fb_bad(t->f, p, "reference out of range");
    *target = (size_t)to;
    return HFC_OK;
}

static hfc_status fbt_table(const fbt *t, int id, fbt *out, bool *present) {
    size_t to;
    HFC_TRY(fbt_ref(t, id, &to));
    *present = to != 0;
    if (!to) return HFC_OK;
    return fb_table_at(t->f, to, out);
}

/* Vector field: *n elements of elem bytes starting at *start. */
static hfc_status fbt_vector(const fbt *t, int id, size_t elem, size_t *start, size_t *n) {
    size_t to;
    HFC_TRY(fbt_ref(t, id, &to));
    *start = 0;
    *n = 0;
    if (!to) return HFC_OK;
    if (!fb_in(t->f, to, 4)) return fb_bad(t->f, to, "vector out of range");
    size_t cnt = rd_u32(t->f->buf + to), bytes;
    if (!hfc_mul_size(cnt, elem, &bytes) || !fb_in(t->f, to + 4, bytes))
        return fb_bad(t->f, to, "vector out of range");
    *start = to + 4;
    *n = cnt;
    return HFC_OK;
}

/* Element i of a vector of tables. */
static hfc_status fb_vec_table(const fb *f, size_t start, size_t i, fbt *out) {
    size_t p = start + 4 * i;
    uint64_t to = (uint64_t)p + rd_u32(f->buf + p);
    if (to >= f->len) return fb_bad(f, p, "reference out of range");
    return fb_table_at(f, (size_t)to, out);
}

static hfc_status fbt_string(const fbt *t, int id, hfc_arena *a, char **out) {
    size_t start, n;
    HFC_TRY(fbt_vector(t, id, 1, &start, &n));
    *out = NULL;
    if (!start) return HFC_OK;
    *out = hfc_arena_strndup(a, (const char *)t->f->buf + start, n);
    return *out ? HFC_OK : HFC_ERR_NOMEM;
}

/* ---- types and schema ---- */

static const struct { const char *name; int width; } TYPE_INFO[HFC_ARROW_TYPE_COUNT] = {
    [HFC_ARROW_NA] = {"null", 0}, [HFC_ARROW_BOOL] = {"bool", 0},
    [HFC_ARROW_INT8] = {"int8", 1}, [HFC_ARROW_INT16] = {"int16", 2},
    [HFC_ARROW_INT32] = {"int32", 4}, [HFC_ARROW_INT64] = {"int64", 8},
    [HFC_ARROW_UINT8] = {"uint8", 1}, [HFC_ARROW_UINT16] = {"uint16", 2},
    [HFC_ARROW_UINT32] = {"uint32", 4}, [HFC_ARROW_UINT64] = {"uint64", 8},
    [HFC_ARROW_FLOAT16] = {"float16", 2}, [HFC_ARROW_FLOAT32] = {"float32", 4},
    [HFC_ARROW_FLOAT64] = {"float64", 8}, [HFC_ARROW_UTF8] = {"string", 0},
    [HFC_ARROW_LARGE_UTF8] = {"large_string", 0}, [HFC_ARROW_BINARY] = {"binary", 0},
    [HFC_ARROW_LARGE_BINARY] = {"large_binary", 0},
    [HFC_ARROW_FIXED_SIZE_BINARY] = {"fixed_size_binary", 0}, [HFC_ARROW_LIST] = {"list", 0},
    [HFC_ARROW_LARGE_LIST] = {"large_list", 0},
    [HFC_ARROW_FIXED_SIZE_LIST] = {"fixed_size_list", 0}, [HFC_ARROW_STRUCT] = {"struct", 0},
};

int hfc_arrow_type_width(hfc_arrow_type t) {
    return (unsigned)t < HFC_ARROW_TYPE_COUNT ? TYPE_INFO[t].width : 0;
}
const char *hfc_arrow_type_name(hfc_arrow_type t) {
    return (unsigned)t < HFC_ARROW_TYPE_COUNT ? TYPE_INFO[t].name : "?";
}

static hfc_status int_type(const fbt *it, hfc_arrow_type *out) {
    int64_t bits, sign;
    HFC_TRY(fbt_int(it, 0, 4, 0, &bits));
    HFC_TRY(fbt_int(it, 1, 1, 0, &sign));
    int k = bits == 8 ? 0 : bits == 16 ? 1 : bits == 32 ? 2 : bits == 64 ? 3 : -1;
    if (k < 0) return fb_bad(it->f, it->pos, "bad integer bit width");
    *out = (hfc_arrow_type)((sign ? HFC_ARROW_INT8 : HFC_ARROW_UINT8) + k);
    return HFC_OK;
}

#define MAX_DEPTH 64

static hfc_status parse_field(hfc_arrow_table *t, const fbt *ft, hfc_arrow_field *fld, int depth);

static hfc_status parse_children(hfc_arrow_table *t, const fbt *ft, hfc_arrow_field *fld,
                                 int depth) {
    size_t start, n;
    HFC_TRY(fbt_vector(ft, 5, 4, &start, &n));
    fld->n_children = n;
    fld->children = NULL;
    if (!n) return HFC_OK;
    fld->children = hfc_arena_alloc(&t->arena, n * sizeof *fld->children, 8);
    if (!fld->children) return HFC_ERR_NOMEM;
    memset(fld->children, 0, n * sizeof *fld->children);
    for (size_t i = 0; i < n; i++) {
        fbt ct;
        HFC_TRY(fb_vec_table(ft->f, start, i, &ct));
        HFC_TRY(parse_field(t, &ct, &fld->children[i], depth + 1));
    }
    return HFC_OK;
}

/* custom_metadata: [KeyValue] at field `id` of `tt`; calls back per pair. */
typedef hfc_status (*kv_fn)(void *ctx, char *key, char *value);

static hfc_status parse_kv(hfc_arrow_table *t, const fbt *tt, int id, kv_fn fn, void *ctx) {
    size_t start, n;
    HFC_TRY(fbt_vector(tt, id, 4, &start, &n));
    for (size_t i = 0; i < n; i++) {
        fbt kv;
        char *k, *v;
        HFC_TRY(fb_vec_table(tt->f, start, i, &kv));
        HFC_TRY(fbt_string(&kv, 0, &t->arena, &k));
        HFC_TRY(fbt_string(&kv, 1, &t->arena, &v));
        HFC_TRY(fn(ctx, k ? k : "", v ? v : ""));
    }
    return HFC_OK;
}

static hfc_status field_kv(void *ctx, char *key, char *value) {
    hfc_arrow_field *f = ctx;
    if (!strcmp(key, "ARROW:extension:name")) f->extension_name = value;
    else if (!strcmp(key, "ARROW:extension:metadata")) f->extension_metadata = value;
    return HFC_OK;
}

static hfc_status parse_field(hfc_arrow_table *t, const fbt *ft, hfc_arrow_field *fld, int depth) {
    if (depth > MAX_DEPTH) return fb_bad(ft->f, ft->pos, "fields nested too deeply");
    int64_t nullable, type_type;
    HFC_TRY(fbt_string(ft, 0, &t->arena, &fld->name));
    if (!fld->name && !(fld->name = hfc_arena_strndup(&t->arena, "", 0))) return HFC_ERR_NOMEM;
    HFC_TRY(fbt_int(ft, 1, 1, 0, &nullable));
    fld->nullable = nullable != 0;
    HFC_TRY(fbt_int(ft, 2, 1, 0, &type_type));
    fbt tt;
    bool has_type;
    HFC_TRY(fbt_table(ft, 3, &tt, &has_type));
    HFC_TRY(parse_children(t, ft, fld, depth));
    HFC_TRY(parse_kv(t, ft, 6, field_kv, fld));
    size_t want_children = 0;
    switch (type_type) {
    case 1: fld->type = HFC_ARROW_NA; break;
    case 2:
        if (!has_type) return fb_bad(ft->f, ft->pos, "Int type without a table");
        HFC_TRY(int_type(&tt, &fld->type));
        break;
    case 3: {
        int64_t prec;
        if (!has_type) return fb_bad(ft->f, ft->pos, "FloatingPoint without a table");
        HFC_TRY(fbt_int(&tt, 0, 2, 0, &prec));
        if (prec < 0 || prec > 2) return fb_bad(ft->f, tt.pos, "bad float precision");
        fld->type = (hfc_arrow_type)(HFC_ARROW_FLOAT16 + prec);
        break;
    }
    case 4: fld->type = HFC_ARROW_BINARY; break;
    case 5: fld->type = HFC_ARROW_UTF8; break;
    case 6: fld->type = HFC_ARROW_BOOL; break;
    case 12: fld->type = HFC_ARROW_LIST; want_children = 1; break;
    case 13: fld->type = HFC_ARROW_STRUCT; want_children = fld->n_children; break;
    case 15: {
        int64_t w;
        if (!has_type) return fb_bad(ft->f, ft->pos, "FixedSizeBinary without a table");
        HFC_TRY(fbt_int(&tt, 0, 4, 0, &w));
        if (w < 0) return fb_bad(ft->f, tt.pos, "negative byteWidth");
        fld->type = HFC_ARROW_FIXED_SIZE_BINARY;
        fld->fixed_size = (int32_t)w;
        break;
    }
    case 16: {
        int64_t w;
        if (!has_type) return fb_bad(ft->f, ft->pos, "FixedSizeList without a table");
        HFC_TRY(fbt_int(&tt, 0, 4, 0, &w));
        if (w < 0) return fb_bad(ft->f, tt.pos, "negative listSize");
        fld->type = HFC_ARROW_FIXED_SIZE_LIST;
        fld->fixed_size = (int32_t)w;
        want_children = 1;
        break;
    }
    case 19: fld->type = HFC_ARROW_LARGE_BINARY; break;
    case 20: fld->type = HFC_ARROW_LARGE_UTF8; break;
    case 21: fld->type = HFC_ARROW_LARGE_LIST; want_children = 1; break;
    default:
        return hfc_fail(HFC_ERR_UNSUPPORTED,
                        "%s: Arrow type #%lld of field '%s' (byte %zu) is not supported by "
                        "hfc.datasets", ft->f->name, (long long)type_type, fld->name,
                        ft->f->file_off + ft->pos);
    }
    if (fld->n_children != want_children)
        return fb_bad(ft->f, ft->pos, "wrong number of child fields for the type");
    fbt de;
    bool has_dict;
    HFC_TRY(fbt_table(ft, 4, &de, &has_dict));
    if (has_dict) {
        fbt it;
        bool has_it;
        fld->dictionary = true;
        HFC_TRY(fbt_int(&de, 0, 8, 0, &fld->dict_id));
        HFC_TRY(fbt_table(&de, 1, &it, &has_it));
        fld->index_type = HFC_ARROW_INT32;
        if (has_it) HFC_TRY(int_type(&it, &fld->index_type));
    }
    return HFC_OK;
}

static bool field_equal(const hfc_arrow_field *a, const hfc_arrow_field *b) {
    if (strcmp(a->name, b->name) || a->type != b->type || a->fixed_size != b->fixed_size ||
        a->dictionary != b->dictionary || a->n_children != b->n_children)
        return false;
    if (a->dictionary && (a->index_type != b->index_type || a->dict_id != b->dict_id))
        return false;
    for (size_t i = 0; i < a->n_children; i++)
        if (!field_equal(&a->children[i], &b->children[i])) return false;
    return true;
}

typedef struct schema_kv_ctx { hfc_arrow_table *t; } schema_kv_ctx;

static hfc_status schema_kv(void *ctx, char *key, char *value) {
    hfc_arrow_table *t = ((schema_kv_ctx *)ctx)->t;
    size_t n = t->n_metadata + 1;
    char **k = hfc_arena_alloc(&t->arena, n * sizeof *k, 8);
    char **v = hfc_arena_alloc(&t->arena, n * sizeof *v, 8);
    if (!k || !v) return HFC_ERR_NOMEM;
    if (t->n_metadata) {
        memcpy(k, t->meta_keys, t->n_metadata * sizeof *k);
        memcpy(v, t->meta_values, t->n_metadata * sizeof *v);
    }
    k[t->n_metadata] = key;
    v[t->n_metadata] = value;
    t->meta_keys = k;
    t->meta_values = v;
    t->n_metadata = n;
    return HFC_OK;
}

static hfc_status register_dicts(hfc_arrow_table *t, const fb *f, hfc_arrow_field *fld) {
    if (fld->dictionary) {
        for (size_t i = 0; i < t->n_dicts; i++)
            if (t->dicts[i].id == fld->dict_id)
                return fb_bad(f, 0, "duplicate dictionary id in the schema");
        HFC_TRY(hfc_grow((void **)&t->dicts, &t->cap_dicts, t->n_dicts + 1, sizeof *t->dicts));
        t->dicts[t->n_dicts++] = (struct hfc_arrow_dict){fld->dict_id, fld, NULL};
    }
    for (size_t i = 0; i < fld->n_children; i++)
        HFC_TRY(register_dicts(t, f, &fld->children[i]));
    return HFC_OK;
}

/* The first file's schema becomes the table's; a later file's must equal it. */
static hfc_status parse_schema(hfc_arrow_table *t, const fbt *st) {
    int64_t endian;
    HFC_TRY(fbt_int(st, 0, 2, 0, &endian));
    if (endian != 0)
        return hfc_fail(HFC_ERR_UNSUPPORTED, "%s: big-endian Arrow data is not supported",
                        st->f->name);
    size_t start, n;
    HFC_TRY(fbt_vector(st, 1, 4, &start, &n));
    hfc_arrow_field *fields = hfc_arena_alloc(&t->arena, (n ? n : 1) * sizeof *fields, 8);
    if (!fields) return HFC_ERR_NOMEM;
    memset(fields, 0, (n ? n : 1) * sizeof *fields);
    for (size_t i = 0; i < n; i++) {
        fbt ft;
        HFC_TRY(fb_vec_table(st->f, start, i, &ft));
        HFC_TRY(parse_field(t, &ft, &fields[i], 0));
    }
    if (t->fields) {
        bool same = t->n_fields == n;
        for (size_t i = 0; same && i < n; i++) same = field_equal(&t->fields[i], &fields[i]);
        if (!same)
            return hfc_fail(HFC_ERR_INVALID, "%s: schema differs from the first file's",
                            st->f->name);
        return HFC_OK;
    }
    t->fields = fields;
    t->n_fields = n;
    for (size_t i = 0; i < n; i++) HFC_TRY(register_dicts(t, st->f, &fields[i]));
    schema_kv_ctx c = {t};
    return parse_kv(t, st, 2, schema_kv, &c);
}

/* ---- record batches ---- */

typedef struct batch_ctx {
    hfc_arrow_table *t;
    const fb *f;
    size_t nodes, n_nodes, node_i;   /* FieldNode vector (16-byte structs) */
    size_t bufs, n_bufs, buf_i;      /* Buffer vector (16-byte structs) */
    const uint8_t *body;
    size_t body_len, body_off;       /* body_off: file offset of the body */
    const hfc_arrow_source *src;
} batch_ctx;

static hfc_status body_bad(const batch_ctx *c, size_t off, const char *what, const char *field) {
    return hfc_fail(HFC_ERR_INVALID, "%s: corrupt Arrow file: %s of field '%s' at byte %zu",
                    c->f->name, what, field, off);
}

static hfc_status next_buffer(batch_ctx *c, const char *field, const uint8_t **p, int64_t *len) {
    if (c->buf_i >= c->n_bufs)
        return fb_bad(c->f, c->bufs, "record batch has too few buffers");
    const uint8_t *b = c->f->buf + c->bufs + 16 * c->buf_i++;
    int64_t off = rd_i64(b), n = rd_i64(b + 8);
    if (off < 0 || n < 0 || (uint64_t)off > c->body_len || (uint64_t)n > c->body_len - (uint64_t)off)
        return body_bad(c, c->f->file_off + (size_t)(b - c->f->buf), "buffer outside the body",
                        field);
    *p = c->body + off;
    *len = n;
    return HFC_OK;
}

static hfc_status need_bytes(batch_ctx *c, const uint8_t *p, int64_t have, int64_t count,
                             int64_t width_bits, const char *what, const char *field) {
    /* count elements of width_bits bits must fit in `have` bytes */
    uint64_t bits;
    if (__builtin_mul_overflow((uint64_t)count, (uint64_t)width_bits, &bits) ||
        (bits + 7) / 8 > (uint64_t)have)
        return body_bad(c, c->body_off + (size_t)(p - c->body), what, field);
    return HFC_OK;
}

static int64_t offset_at(const uint8_t *values, bool large, int64_t i) {
    if (large) return rd_i64(values + 8 * i);
    return (int32_t)rd_u32(values + 4 * i);
}

static hfc_status decode_array(batch_ctx *c, const hfc_arrow_field *fld, bool as_dict_values,
                               hfc_arrow_array *a, int depth);

static hfc_status decode_children(batch_ctx *c, const hfc_arrow_field *fld, hfc_arrow_array *a,
                                  int depth) {
    a->n_children = fld->n_children;
    if (!fld->n_children) return HFC_OK;
    a->children = hfc_arena_alloc(&c->t->arena, fld->n_children * sizeof *a->children, 8);
    if (!a->children) return HFC_ERR_NOMEM;
    memset(a->children, 0, fld->n_children * sizeof *a->children);
    for (size_t i = 0; i < fld->n_children; i++)
        HFC_TRY(decode_array(c, &fld->children[i], false, &a->children[i], depth + 1));
    return HFC_OK;
}

static hfc_status decode_array(batch_ctx *c, const hfc_arrow_field *fld, bool as_dict_values,
                               hfc_arrow_array *a, int depth) {
    if (depth > MAX_DEPTH) return fb_bad(c->f, c->nodes, "arrays nested too deeply");
    if (c->node_i >= c->n_nodes) return fb_bad(c->f, c->nodes, "record batch has too few nodes");
    const uint8_t *nd = c->f->buf + c->nodes + 16 * c->node_i++;
    a->field = fld;
    a->src = c->src;
    a->length = rd_i64(nd);
    a->null_count = rd_i64(nd + 8);
    if (a->length < 0 || a->null_count < 0 || a->null_count > a->length)
        return body_bad(c, c->f->file_off + (size_t)(nd - c->f->buf), "bad node length",
                        fld->name);
    bool dict = fld->dictionary && !as_dict_values;
    a->type = dict ? fld->index_type : fld->type;
    if (a->type == HFC_ARROW_NA) {
        a->null_count = a->length;
        return HFC_OK;
    }
    const uint8_t *vp;
    int64_t vlen;
    HFC_TRY(next_buffer(c, fld->name, &vp, &vlen));
    if (a->null_count > 0) {
        HFC_TRY(need_bytes(c, vp, vlen, a->length, 1, "validity bitmap too short", fld->name));
        a->validity = vp;
    }
    if (dict) {
        const uint8_t *p;
        int64_t n;
        HFC_TRY(next_buffer(c, fld->name, &p, &n));
        HFC_TRY(need_bytes(c, p, n, a->length, 8 * hfc_arrow_type_width(a->type),
                           "dictionary indices too short", fld->name));
        a->values = p;
        a->indices = true;
        for (size_t i = 0; i < c->t->n_dicts; i++)
            if (c->t->dicts[i].id == fld->dict_id) a->dictionary = c->t->dicts[i].values;
        if (!a->dictionary && a->length > a->null_count)
            return body_bad(c, c->body_off, "dictionary batch missing before record batch",
                            fld->name);
        return HFC_OK;
    }
    int w = hfc_arrow_type_width(a->type);
    const uint8_t *p;
    int64_t n;
    switch (a->type) {
    case HFC_ARROW_BOOL:
        HFC_TRY(next_buffer(c, fld->name, &p, &n));
        HFC_TRY(need_bytes(c, p, n, a->length, 1, "bool values too short", fld->name));
        a->values = p;
        return HFC_OK;
    case HFC_ARROW_FIXED_SIZE_BINARY:
        w = fld->fixed_size;
        /* fallthrough */
    default:
        if (w > 0 || a->type == HFC_ARROW_FIXED_SIZE_BINARY) {
            HFC_TRY(next_buffer(c, fld->name, &p, &n));
            HFC_TRY(need_bytes(c, p, n, a->length, 8 * (int64_t)w, "values too short", fld->name));
            a->values = p;
            a->data = p;
            a->data_len = n;
            return HFC_OK;
        }
        break;
    case HFC_ARROW_UTF8: case HFC_ARROW_BINARY: case HFC_ARROW_LARGE_UTF8:
    case HFC_ARROW_LARGE_BINARY: case HFC_ARROW_LIST: case HFC_ARROW_LARGE_LIST: {
        bool large = a->type == HFC_ARROW_LARGE_UTF8 || a->type == HFC_ARROW_LARGE_BINARY ||
                     a->type == HFC_ARROW_LARGE_LIST;
        bool is_list = a->type == HFC_ARROW_LIST || a->type == HFC_ARROW_LARGE_LIST;
        HFC_TRY(next_buffer(c, fld->name, &p, &n));
        int64_t limit;
        if (a->length > 0) {
            HFC_TRY(need_bytes(c, p, n, a->length + 1, large ? 64 : 32, "offsets too short",
                               fld->name));
        }
        a->values = a->length > 0 ? p : NULL;
        if (is_list) {
            HFC_TRY(decode_children(c, fld, a, depth));
            limit = a->children[0].length;
        } else {
            HFC_TRY(next_buffer(c, fld->name, &a->data, &a->data_len));
            limit = a->data_len;
        }
        /* Offsets are checked against `limit` per element when read (hfc_arrow_range):
         * checking them here would touch every batch's body at open. */
        (void)limit;
        return HFC_OK;
    }
    case HFC_ARROW_FIXED_SIZE_LIST: {
        HFC_TRY(decode_children(c, fld, a, depth));
        uint64_t need;
        if (__builtin_mul_overflow((uint64_t)a->length, (uint64_t)fld->fixed_size, &need) ||
            need > (uint64_t)a->children[0].length)
            return body_bad(c, c->body_off, "fixed-size list child too short", fld->name);
        return HFC_OK;
    }
    case HFC_ARROW_STRUCT:
        HFC_TRY(decode_children(c, fld, a, depth));
        for (size_t i = 0; i < a->n_children; i++)
            if (a->children[i].length < a->length)
                return body_bad(c, c->body_off, "struct child too short", fld->name);
        return HFC_OK;
    }
    return hfc_fail(HFC_ERR_UNSUPPORTED, "%s: Arrow type %s not supported", c->f->name,
                    hfc_arrow_type_name(a->type));
}

/* RecordBatch table `rb` with its body: decode the fields in `fields` (n of them). */
static hfc_status decode_batch(hfc_arrow_table *t, const fbt *rb, const uint8_t *body,
                               size_t body_len, size_t body_off, const hfc_arrow_field *fields,
                               size_t n, bool dict_values, int64_t *length,
                               hfc_arrow_array **out) {
    batch_ctx c = {.t = t, .f = rb->f, .body = body, .body_len = body_len, .body_off = body_off,
                   .src = NULL};
    hfc_arrow_source *src = hfc_arena_alloc(&t->arena, sizeof *src, 8);
    if (!src) return HFC_ERR_NOMEM;
    src->name = rb->f->name;
    src->base = body - body_off; /* the mapping (rb may sit in a pread buffer) */
    c.src = src;
    fbt comp;
    bool has_comp;
    HFC_TRY(fbt_table(rb, 3, &comp, &has_comp));
    if (has_comp)
        return hfc_fail(HFC_ERR_UNSUPPORTED,
                        "%s: compressed Arrow record batches (LZ4/ZSTD body compression) are "
                        "not supported by hfc.datasets", rb->f->name);
    HFC_TRY(fbt_int(rb, 0, 8, 0, length));
    if (*length < 0) return fb_bad(rb->f, rb->pos, "negative batch length");
    HFC_TRY(fbt_vector(rb, 1, 16, &c.nodes, &c.n_nodes));
    HFC_TRY(fbt_vector(rb, 2, 16, &c.bufs, &c.n_bufs));
    hfc_arrow_array *cols = hfc_arena_alloc(&t->arena, (n ? n : 1) * sizeof *cols, 8);
    if (!cols) return HFC_ERR_NOMEM;
    memset(cols, 0, (n ? n : 1) * sizeof *cols);
    for (size_t i = 0; i < n; i++) {
        HFC_TRY(decode_array(&c, &fields[i], dict_values, &cols[i], 0));
        if (cols[i].length != *length)
            return fb_bad(rb->f, rb->pos, "column length differs from the batch length");
    }
    *out = cols;
    return HFC_OK;
}

/* ---- messages ---- */

typedef struct message {
    fb f;
    fbt msg;
    int64_t header_type;
    fbt header;
    const uint8_t *body;
    size_t body_len, body_off;
    size_t next;          /* file offset after the body */
    bool eos;
} message;

/* Where message metadata comes from. With an fd, metadata and footers are read with
 * pread into `buf`, so opening a large file maps no pages of it into the process (the
 * kernel's fault-around would otherwise map ~64 KiB around every header); bodies are
 * always viewed in the mapping. Without an fd, everything is viewed in `data`. */
typedef struct src_io {
    const uint8_t *data;
    size_t size;
    int fd;
    uint8_t *buf;
    size_t cap;
    const char *name;
} src_io;

/* Bytes [off, off + len) of the file, range already checked; valid until the next call. */
static hfc_status io_read(src_io *io, size_t off, size_t len, const uint8_t **out) {
    if (io->fd < 0) {
        *out = io->data + off;
        return HFC_OK;
    }
    HFC_TRY(hfc_grow((void **)&io->buf, &io->cap, len ? len : 1, 1));
    size_t got = 0;
    while (got < len) {
        ssize_t r = pread(io->fd, io->buf + got, len - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return hfc_fail_errno(errno, "%s: read failed at byte %zu", io->name, off + got);
        if (r == 0)
            return hfc_fail(HFC_ERR_INVALID, "%s: file shrank while being read (byte %zu)",
                            io->name, off + got);
        got += (size_t)r;
    }
    *out = io->buf;
    return HFC_OK;
}

/* Parse the message prefixed at file offset `pos`: 0xFFFFFFFF + i32 length, or the
 * legacy i32 length alone; length 0 = end of stream. */
static hfc_status read_message(src_io *io, size_t pos, message *m) {
    const uint8_t *file = io->data, *p;
    size_t size = io->size;
    const char *name = io->name;
    fb whole = {file, size, 0, name};
    memset(m, 0, sizeof *m);
    if (pos == size) { m->eos = true; return HFC_OK; }
    if (!fb_in(&whole, pos, 4)) return fb_bad(&whole, pos, "truncated message length");
    HFC_TRY(io_read(io, pos, size - pos < 8 ? size - pos : 8, &p));
    uint32_t len = rd_u32(p);
    pos += 4;
    if (len == 0xFFFFFFFFu) {
        if (!fb_in(&whole, pos, 4)) return fb_bad(&whole, pos, "truncated message length");
        len = rd_u32(p + 4);
        pos += 4;
    }
    if (len == 0) { m->eos = true; return HFC_OK; }
    if ((int32_t)len < 0 || !fb_in(&whole, pos, len))
        return fb_bad(&whole, pos - 4, "message length past the end of the file");
    HFC_TRY(io_read(io, pos, len, &p));
    m->f = (fb){p, len, pos, name};
    HFC_TRY(fb_root(&m->f, &m->msg));
    int64_t body_len, version;
    HFC_TRY(fbt_int(&m->msg, 0, 2, 0, &version));
    HFC_TRY(fbt_int(&m->msg, 1, 1, 0, &m->header_type));
    HFC_TRY(fbt_int(&m->msg, 3, 8, 0, &body_len));
    if (version < 3)
        return hfc_fail(HFC_ERR_UNSUPPORTED, "%s: Arrow metadata version V%lld is too old",
                        name, (long long)version + 1);
    bool has_header;
    HFC_TRY(fbt_table(&m->msg, 2, &m->header, &has_header));
    if (!has_header) return fb_bad(&m->f, m->msg.pos, "message without a header");
    size_t body = pos + len;
    if (body_len < 0 || !fb_in(&whole, body, (size_t)body_len))
        return fb_bad(&whole, body, "message body past the end of the file");
    m->body = file + body;
    m->body_len = (size_t)body_len;
    m->body_off = body;
    m->next = body + (size_t)body_len;
    return HFC_OK;
}

static hfc_status add_batch(hfc_arrow_table *t, const message *m) {
    int64_t len = 0;
    hfc_arrow_array *cols = NULL;
    HFC_TRY(decode_batch(t, &m->header, m->body, m->body_len, m->body_off, t->fields, t->n_fields,
                         false, &len, &cols));
    HFC_TRY(hfc_grow((void **)&t->batches, &t->cap_batches, t->n_batches + 1, sizeof *t->batches));
    if (len > INT64_MAX - t->num_rows) return fb_bad(&m->f, 0, "too many rows");
    t->batches[t->n_batches++] = (hfc_arrow_batch){len, t->num_rows, cols};
    t->num_rows += len;
    return HFC_OK;
}

static bool has_child_dictionary(const hfc_arrow_field *f) {
    for (size_t i = 0; i < f->n_children; i++)
        if (f->children[i].dictionary || has_child_dictionary(&f->children[i])) return true;
    return false;
}

/* A delta dictionary batch (message m) for dictionary d: d's values so far with `delta`'s
 * appended, in *out. The two are written as one record batch by the Arrow writer into
 * the table's arena and read back, so any value type the writer and reader share works
 * and batches read before the delta keep the dictionary they were read with. */
static hfc_status concat_dictionary(hfc_arrow_table *t, const message *m,
                                    const struct hfc_arrow_dict *d, const hfc_arrow_array *delta,
                                    const hfc_arrow_array **out) {
    if (has_child_dictionary(d->field))
        return hfc_fail(HFC_ERR_UNSUPPORTED, "%s: delta dictionary batch at byte %zu for field "
                        "'%s', whose values hold dictionaries themselves, is not supported",
                        m->f.name, m->f.file_off, d->field->name);
    hfc_arrow_field vf = *d->field; /* the values' field: the writer writes them as they are */
    vf.dictionary = false;
    hfc_arrow_batch parts[2] = {{d->values->length, 0, (hfc_arrow_array *)d->values},
                                {delta->length, d->values->length, (hfc_arrow_array *)delta}};
    hfc_arrow_table both = {.n_fields = 1, .fields = &vf, .n_batches = 2, .batches = parts,
                            .num_rows = parts[0].length + parts[1].length};
    hfc_arrow_write_opts o = {.batch_rows = both.num_rows};
    hfc_buf buf = {0};
    hfc_status st = hfc_arrow_write_stream_buf(&both, &o, &buf);
    const uint8_t *bytes = NULL;
    size_t n = buf.len;
    if (st == HFC_OK && !(bytes = hfc_arena_memdup(&t->arena, buf.data, n, 8)))
        st = hfc_fail(HFC_ERR_NOMEM, "%s: out of memory for a delta dictionary", m->f.name);
    hfc_buf_free(&buf);
    HFC_TRY(st);
    src_io io = {bytes, n, -1, NULL, 0, m->f.name};
    message schema, batch;
    st = read_message(&io, 0, &schema);
    if (st == HFC_OK) st = read_message(&io, schema.next, &batch);
    if (st == HFC_OK && (batch.eos || batch.header_type != 3))
        st = hfc_fail(HFC_ERR_STATE, "%s: delta dictionary at byte %zu: no batch written",
                      m->f.name, m->f.file_off);
    int64_t len = 0;
    hfc_arrow_array *vals = NULL;
    if (st == HFC_OK)
        st = decode_batch(t, &batch.header, batch.body, batch.body_len, batch.body_off, d->field,
                          1, true, &len, &vals);
    hfc_free(io.buf);
    if (st == HFC_OK) *out = vals;
    return st;
}

static hfc_status add_dictionary(hfc_arrow_table *t, const message *m) {
    int64_t id, delta, len = 0;
    fbt rb;
    bool has_rb;
    HFC_TRY(fbt_int(&m->header, 0, 8, 0, &id));
    HFC_TRY(fbt_int(&m->header, 2, 1, 0, &delta));
    HFC_TRY(fbt_table(&m->header, 1, &rb, &has_rb));
    if (!has_rb) return fb_bad(&m->f, m->header.pos, "dictionary batch without data");
    struct hfc_arrow_dict *d = NULL;
    for (size_t i = 0; i < t->n_dicts; i++)
        if (t->dicts[i].id == id) d = &t->dicts[i];
    if (!d) return fb_bad(&m->f, m->header.pos, "dictionary id not in the schema");
    hfc_arrow_array *vals = NULL;
    HFC_TRY(decode_batch(t, &rb, m->body, m->body_len, m->body_off, d->field, 1, true, &len,
                         &vals));
    /* isDelta: appended to the dictionary so far (the first one when there is none yet) */
    if (delta && d->values && d->values->length > 0) {
        if (vals->length == 0) return HFC_OK;
        const hfc_arrow_array *both;
        HFC_TRY(concat_dictionary(t, m, d, vals, &both));
        d->values = both;
        return HFC_OK;
    }
    d->values = vals;
    return HFC_OK;
}

/* Stream format from `pos` (schema message first unless have_schema). */
static hfc_status read_stream(hfc_arrow_table *t, src_io *io) {
    bool have_schema = false;
    const char *name = io->name;
    size_t pos = 0;
    for (;;) {
        message m;
        HFC_TRY(read_message(io, pos, &m));
        if (m.eos) break;
        if (!have_schema && m.header_type != 1)
            return fb_bad(&m.f, 0, "stream does not start with a schema message");
        switch (m.header_type) {
        case 1:
            if (have_schema) return fb_bad(&m.f, 0, "second schema message in the stream");
            HFC_TRY(parse_schema(t, &m.header));
            have_schema = true;
            break;
        case 2: HFC_TRY(add_dictionary(t, &m)); break;
        case 3: HFC_TRY(add_batch(t, &m)); break;
        default:
            return hfc_fail(HFC_ERR_UNSUPPORTED, "%s: Arrow message type %lld at byte %zu is not "
                            "supported", name, (long long)m.header_type, m.f.file_off);
        }
        pos = m.next;
    }
    if (!have_schema) return hfc_fail(HFC_ERR_INVALID, "%s: not an Arrow file (no schema message at byte 0)", name);
    return HFC_OK;
}

static hfc_status read_blocks(hfc_arrow_table *t, src_io *io, const fbt *footer, int id,
                              int want_type) {
    size_t start, n;
    HFC_TRY(fbt_vector(footer, id, 24, &start, &n));
    for (size_t i = 0; i < n; i++) {
        int64_t off = rd_i64(footer->f->buf + start + 24 * i);
        if (off < 0 || (uint64_t)off >= io->size)
            return fb_bad(footer->f, start + 24 * i, "block offset past the end of the file");
        message m;
        HFC_TRY(read_message(io, (size_t)off, &m));
        if (m.eos || m.header_type != want_type)
            return fb_bad(footer->f, start + 24 * i, "block does not point at the right message");
        HFC_TRY(want_type == 2 ? add_dictionary(t, &m) : add_batch(t, &m));
    }
    return HFC_OK;
}

static hfc_status read_file_format(hfc_arrow_table *t, src_io *io) {
    const uint8_t *data = io->data;
    size_t size = io->size;
    const char *name = io->name;
    fb whole = {data, size, 0, name};
    if (size < 6 + 2 + 4 + 6 || memcmp(data + size - 6, "ARROW1", 6))
        return fb_bad(&whole, size, "truncated Arrow file (no trailing ARROW1 magic)");
    int32_t flen = (int32_t)rd_u32(data + size - 10);
    if (flen <= 0 || (size_t)flen > size - 18)
        return fb_bad(&whole, size - 10, "bad footer length");
    size_t fpos = size - 10 - (size_t)flen;
    /* the footer gets its own buffer: messages are read into io's while it is in use */
    src_io fio = {io->data, io->size, io->fd, NULL, 0, name};
    const uint8_t *fp;
    hfc_status st = io_read(&fio, fpos, (size_t)flen, &fp);
    fb f = {fp, (size_t)flen, fpos, name};
    fbt footer, schema;
    bool has_schema = false;
    if (st == HFC_OK) st = fb_root(&f, &footer);
    if (st == HFC_OK) st = fbt_table(&footer, 1, &schema, &has_schema);
    if (st == HFC_OK && !has_schema) st = fb_bad(&f, footer.pos, "footer without a schema");
    if (st == HFC_OK) st = parse_schema(t, &schema);
    if (st == HFC_OK) st = read_blocks(t, io, &footer, 2, 2);
    if (st == HFC_OK) st = read_blocks(t, io, &footer, 3, 3);
    hfc_free(fio.buf);
    return st;
}

/* ---- table ---- */

hfc_status hfc_arrow_table_create(hfc_arrow_table **out) {
    hfc_arrow_table *t = hfc_calloc(1, sizeof *t);
    if (!t) return hfc_fail(HFC_ERR_NOMEM, "out of memory creating an Arrow table");
    hfc_arena_init(&t->arena, 0);
    *out = t;
    return HFC_OK;
}

void hfc_arrow_table_free(hfc_arrow_table *t) {
    if (!t) return;
    for (size_t i = 0; i < t->n_maps; i++) hfc_mmap_release(t->maps[i]);
    hfc_free(t->maps);
    hfc_free(t->batches);
    hfc_free(t->dicts);
    hfc_arena_free(&t->arena);
    hfc_free(t);
}

static hfc_status add_source(hfc_arrow_table *t, const uint8_t *data, size_t size,
                             const char *name, hfc_mmap *owner, int fd) {
    size_t n_batches = t->n_batches, n_dicts = t->n_dicts;
    int64_t num_rows = t->num_rows;
    bool first = t->fields == NULL;
    char *nm = hfc_arena_strndup(&t->arena, name, strlen(name));
    hfc_status st = nm ? HFC_OK : hfc_fail(HFC_ERR_NOMEM, "%s: out of memory", name);
    if (st == HFC_OK) {
        src_io io = {data, size, fd, NULL, 0, nm};
        if (size >= 8 && !memcmp(data, "ARROW1", 6)) st = read_file_format(t, &io);
        else st = read_stream(t, &io);
        hfc_free(io.buf);
    }
    if (st == HFC_OK && owner) {
        st = hfc_grow((void **)&t->maps, &t->cap_maps, t->n_maps + 1, sizeof *t->maps);
        if (st == HFC_OK) {
            hfc_mmap_retain(owner);
            t->maps[t->n_maps++] = owner;
        }
    }
    if (st != HFC_OK) { /* roll back: the arena keeps the bytes until the table is freed */
        if (st == HFC_ERR_NOMEM && !*hfc_error_message())
            hfc_fail(HFC_ERR_NOMEM, "%s: out of memory reading Arrow data", name);
        t->n_batches = n_batches;
        t->num_rows = num_rows;
        t->n_dicts = n_dicts;
        if (first) {
            t->fields = NULL;
            t->n_fields = 0;
            t->n_metadata = 0;
            t->n_dicts = 0;
        }
    }
    return st;
}

hfc_status hfc_arrow_table_add_memory(hfc_arrow_table *t, const uint8_t *data, size_t size,
                                      const char *name, hfc_mmap *owner) {
    return add_source(t, data, size, name, owner, -1);
}

hfc_status hfc_arrow_table_add_file(hfc_arrow_table *t, const char *path) {
    hfc_mmap *m;
    HFC_TRY(hfc_mmap_open(path, &m));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    hfc_status st = fd >= 0 ? add_source(t, hfc_mmap_data(m), hfc_mmap_size(m), path, m, fd)
                            : hfc_fail_errno(errno, "%s: cannot open", path);
    if (fd >= 0) close(fd);
    hfc_mmap_release(m);
    return st;
}

const char *hfc_arrow_table_metadata(const hfc_arrow_table *t, const char *key) {
    for (size_t i = 0; i < t->n_metadata; i++)
        if (!strcmp(t->meta_keys[i], key)) return t->meta_values[i];
    return NULL;
}

ptrdiff_t hfc_arrow_table_field_index(const hfc_arrow_table *t, const char *name) {
    for (size_t i = 0; i < t->n_fields; i++)
        if (!strcmp(t->fields[i].name, name)) return (ptrdiff_t)i;
    return -1;
}

void hfc_arrow_table_locate(const hfc_arrow_table *t, int64_t row, size_t *batch, int64_t *r) {
    /* batches are mostly of one size: try the batch a uniform split puts the row in */
    size_t nb = t->n_batches;
    if (nb > 1 && row >= 0 && row < t->num_rows) {
        size_t g = (size_t)((double)row / (double)t->num_rows * (double)nb);
        if (g >= nb) g = nb - 1;
        const hfc_arrow_batch *bg = &t->batches[g];
        if (bg->row_start <= row && row - bg->row_start < bg->length) {
            *batch = g;
            *r = row - bg->row_start;
            return;
        }
    }
    size_t lo = 0, hi = t->n_batches;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->batches[mid].row_start <= row) lo = mid;
        else hi = mid;
    }
    /* skip empty batches sharing the same row_start */
    while (lo + 1 < t->n_batches && t->batches[lo].length == 0 &&
           t->batches[lo + 1].row_start <= row)
        lo++;
    *batch = lo;
    *r = row - t->batches[lo].row_start;
}

/* ---- element access ---- */

hfc_status hfc_arrow_range(const hfc_arrow_array *a, int64_t i, int64_t *start, int64_t *end) {
    int64_t limit;
    bool large = false;
    switch (a->type) {
    case HFC_ARROW_FIXED_SIZE_LIST:
    case HFC_ARROW_FIXED_SIZE_BINARY:
        *start = i * a->field->fixed_size;
        *end = *start + a->field->fixed_size;
        return HFC_OK;
    case HFC_ARROW_LARGE_UTF8: case HFC_ARROW_LARGE_BINARY: large = true; /* fallthrough */
    case HFC_ARROW_UTF8: case HFC_ARROW_BINARY: limit = a->data_len; break;
    case HFC_ARROW_LARGE_LIST: large = true; /* fallthrough */
    case HFC_ARROW_LIST: limit = a->children[0].length; break;
    default: return hfc_fail(HFC_ERR_STATE, "hfc_arrow_range on a %s array",
                             hfc_arrow_type_name(a->type));
    }
    int64_t s = offset_at(a->values, large, i), e = offset_at(a->values, large, i + 1);
    if (HFC_UNLIKELY(s < 0 || s > e || e > limit))
        return hfc_fail(HFC_ERR_INVALID,
                        "%s: corrupt Arrow file: offsets of field '%s' row %lld at byte %zu "
                        "out of range", a->src->name, a->field->name, (long long)i,
                        (size_t)(a->values + (large ? 8 : 4) * i - a->src->base));
    *start = s;
    *end = e;
    return HFC_OK;
}

int64_t hfc_arrow_int_at(const hfc_arrow_array *a, int64_t i) {
    const uint8_t *p = a->values;
    switch (a->type) {
    case HFC_ARROW_INT8: return ((const int8_t *)p)[i];
    case HFC_ARROW_UINT8: return p[i];
    case HFC_ARROW_INT16: { int16_t v; memcpy(&v, p + 2 * i, 2); return v; }
    case HFC_ARROW_UINT16: return rd_u16(p + 2 * i);
    case HFC_ARROW_INT32: return (int32_t)rd_u32(p + 4 * i);
    case HFC_ARROW_UINT32: return rd_u32(p + 4 * i);
    case HFC_ARROW_INT64: case HFC_ARROW_UINT64: return rd_i64(p + 8 * i);
    default: return 0;
    }
}

hfc_status hfc_arrow_dict_index(const hfc_arrow_array *a, int64_t i, int64_t *out) {
    int64_t k = hfc_arrow_int_at(a, i);
    if (HFC_UNLIKELY(!a->dictionary || k < 0 || k >= a->dictionary->length))
        return hfc_fail(HFC_ERR_INVALID,
                        "%s: corrupt Arrow file: dictionary index %lld of field '%s' row %lld "
                        "at byte %zu out of range", a->src->name, (long long)k, a->field->name,
                        (long long)i,
                        (size_t)(a->values + hfc_arrow_type_width(a->type) * i - a->src->base));
    *out = k;
    return HFC_OK;
}
