/* safetensors reader (zero-copy over hfc_mmap) and writer. Format rules: safetensors.h. */
#include "hfc/safetensors.h"
#include "hfc/json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *name;
    unsigned bits;
} DTYPES[HFC_ST_DTYPE_COUNT] = {
    [HFC_ST_BOOL] = {"BOOL", 8},          [HFC_ST_F4] = {"F4", 4},
    [HFC_ST_F6_E2M3] = {"F6_E2M3", 6},    [HFC_ST_F6_E3M2] = {"F6_E3M2", 6},
    [HFC_ST_U8] = {"U8", 8},              [HFC_ST_I8] = {"I8", 8},
    [HFC_ST_F8_E5M2] = {"F8_E5M2", 8},    [HFC_ST_F8_E4M3] = {"F8_E4M3", 8},
    [HFC_ST_F8_E8M0] = {"F8_E8M0", 8},    [HFC_ST_F8_E4M3FNUZ] = {"F8_E4M3FNUZ", 8},
    [HFC_ST_F8_E5M2FNUZ] = {"F8_E5M2FNUZ", 8}, [HFC_ST_I16] = {"I16", 16},
    [HFC_ST_U16] = {"U16", 16},           [HFC_ST_F16] = {"F16", 16},
    [HFC_ST_BF16] = {"BF16", 16},         [HFC_ST_I32] = {"I32", 32},
    [HFC_ST_U32] = {"U32", 32},           [HFC_ST_F32] = {"F32", 32},
    [HFC_ST_C64] = {"C64", 64},           [HFC_ST_F64] = {"F64", 64},
    [HFC_ST_I64] = {"I64", 64},           [HFC_ST_U64] = {"U64", 64},
};

const char *hfc_st_dtype_name(hfc_st_dtype d) {
    return (unsigned)d < HFC_ST_DTYPE_COUNT ? DTYPES[d].name : "?";
}

unsigned hfc_st_dtype_bits(hfc_st_dtype d) {
    return (unsigned)d < HFC_ST_DTYPE_COUNT ? DTYPES[d].bits : 0;
}

hfc_status hfc_st_dtype_parse(const char *s, size_t n, hfc_st_dtype *out) {
    for (int d = 0; d < HFC_ST_DTYPE_COUNT; d++)
        if (strlen(DTYPES[d].name) == n && memcmp(DTYPES[d].name, s, n) == 0) {
            *out = (hfc_st_dtype)d;
            return HFC_OK;
        }
    char shown[64];
    snprintf(shown, sizeof shown, "%.*s", (int)(n < 40 ? n : 40), s);
    return hfc_fail(HFC_ERR_INVALID,
                    "unknown dtype \"%s\" (expected one of BOOL, F4, F6_E2M3, F6_E3M2, U8, I8, "
                    "F8_E5M2, F8_E4M3, F8_E8M0, F8_E4M3FNUZ, F8_E5M2FNUZ, I16, U16, F16, BF16, "
                    "I32, U32, F32, C64, F64, I64, U64)",
                    shown);
}

/* Byte size of a tensor: fails (message without a prefix) on overflow or a size that is
 * not a whole number of bytes. */
static hfc_status tensor_bytes(hfc_st_dtype d, const uint64_t *shape, uint32_t ndim,
                               uint64_t *nelem, size_t *bytes) {
    uint64_t n = 1, bits;
    for (uint32_t i = 0; i < ndim; i++)
        if (__builtin_mul_overflow(n, shape[i], &n))
            return hfc_fail(HFC_ERR_INVALID, "shape overflows computing the element count");
    if (__builtin_mul_overflow(n, (uint64_t)hfc_st_dtype_bits(d), &bits))
        return hfc_fail(HFC_ERR_INVALID, "shape overflows computing the byte size");
    if (bits % 8)
        return hfc_fail(HFC_ERR_INVALID,
                        "%llu elements of %s are not a whole number of bytes",
                        (unsigned long long)n, hfc_st_dtype_name(d));
    if (bits / 8 > SIZE_MAX) return hfc_fail(HFC_ERR_INVALID, "byte size overflows size_t");
    *nelem = n;
    *bytes = (size_t)(bits / 8);
    return HFC_OK;
}

/* ---- reader ---- */

struct hfc_st_file {
    hfc_mmap *map; /* NULL for buffers */
    const uint8_t *base;
    size_t size, header;
    char *name;
    hfc_arena arena; /* names, shapes, metadata strings */
    hfc_st_tensor *tensors;
    size_t count;
    const hfc_st_tensor **by_name;
    long nmeta; /* -1: none */
    hfc_st_kv *meta;
};

const char *hfc_st_name(const hfc_st_file *f) { return f->name; }
hfc_mmap *hfc_st_mmap(const hfc_st_file *f) { return f->map; }
size_t hfc_st_header_size(const hfc_st_file *f) { return f->header; }
size_t hfc_st_count(const hfc_st_file *f) { return f->count; }
const hfc_st_tensor *hfc_st_at(const hfc_st_file *f, size_t i) { return &f->tensors[i]; }
const hfc_st_tensor *hfc_st_at_sorted(const hfc_st_file *f, size_t i) { return f->by_name[i]; }
long hfc_st_metadata_count(const hfc_st_file *f) { return f->nmeta; }

void hfc_st_metadata_at(const hfc_st_file *f, size_t i, const char **key, size_t *klen,
                        const char **val, size_t *vlen) {
    *key = f->meta[i].key;
    *klen = f->meta[i].klen;
    *val = f->meta[i].val;
    *vlen = f->meta[i].vlen;
}

static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn) {
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

static int cmp_by_name(const void *pa, const void *pb) {
    const hfc_st_tensor *a = *(const hfc_st_tensor *const *)pa, *b = *(const hfc_st_tensor *const *)pb;
    return bytes_cmp(a->name, a->name_len, b->name, b->name_len);
}

static int cmp_by_offset(const void *pa, const void *pb) {
    const hfc_st_tensor *a = pa, *b = pb;
    if (a->begin != b->begin) return a->begin < b->begin ? -1 : 1;
    if (a->end != b->end) return a->end < b->end ? -1 : 1;
    return bytes_cmp(a->name, a->name_len, b->name, b->name_len);
}

const hfc_st_tensor *hfc_st_find(const hfc_st_file *f, const char *name, size_t len) {
    size_t lo = 0, hi = f->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const hfc_st_tensor *t = f->by_name[mid];
        int c = bytes_cmp(t->name, t->name_len, name, len);
        if (c == 0) return t;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* A name shortened for messages (names are valid UTF-8 from the JSON reader). */
static const char *shown_name(const char *s, size_t n, char buf[160]) {
    if (n < 150) {
        memcpy(buf, s, n);
        buf[n] = '\0';
        for (size_t i = 0; i < n; i++)
            if (!buf[i]) buf[i] = '?';
    } else {
        size_t k = 140;
        while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--; /* cut at a char start */
        memcpy(buf, s, k);
        memcpy(buf + k, "...", 4);
    }
    return buf;
}

static hfc_status read_uint(const hfc_json_value *v, uint64_t *out) {
    if (v->type != HFC_JSON_INT || v->u.i < 0) return HFC_ERR_INVALID;
    *out = (uint64_t)v->u.i;
    return HFC_OK;
}

/* One "name": {"dtype", "shape", "data_offsets"} entry. */
static hfc_status read_tensor(hfc_st_file *f, const hfc_json_member *m, hfc_st_tensor *t) {
    char nb[160];
    const char *tn = shown_name(m->key.u.s, m->key.len, nb);
    const hfc_json_value *info = &m->value;
    if (info->type != HFC_JSON_OBJECT)
        return hfc_fail(HFC_ERR_INVALID, "%s: tensor '%s': expected an object, found %s",
                        f->name, tn, hfc_json_type_name(info->type));
    const hfc_json_value *dt = hfc_json_getz(info, "dtype"), *sh = hfc_json_getz(info, "shape"),
                         *off = hfc_json_getz(info, "data_offsets");
    if (!dt || !sh || !off)
        return hfc_fail(HFC_ERR_INVALID, "%s: tensor '%s': missing field \"%s\"", f->name, tn,
                        !dt ? "dtype" : !sh ? "shape" : "data_offsets");
    if (dt->type != HFC_JSON_STRING)
        return hfc_fail(HFC_ERR_INVALID, "%s: tensor '%s': dtype is %s, expected a string",
                        f->name, tn, hfc_json_type_name(dt->type));
    HFC_TRY_CTX(hfc_st_dtype_parse(dt->u.s, dt->len, &t->dtype), "%s: tensor '%s': ", f->name, tn);
    if (sh->type != HFC_JSON_ARRAY)
        return hfc_fail(HFC_ERR_INVALID, "%s: tensor '%s': shape is %s, expected an array",
                        f->name, tn, hfc_json_type_name(sh->type));
    uint64_t *shape = hfc_arena_alloc(&f->arena, (sh->len ? sh->len : 1) * sizeof(uint64_t), 8);
    if (!shape) return hfc_fail(HFC_ERR_NOMEM, "%s: out of memory", f->name);
    for (uint32_t i = 0; i < sh->len; i++)
        if (read_uint(&sh->u.items[i], &shape[i]) != HFC_OK)
            return hfc_fail(HFC_ERR_INVALID,
                            "%s: tensor '%s': shape[%u] is not a non-negative integer", f->name,
                            tn, i);
    if (off->type != HFC_JSON_ARRAY || off->len != 2)
        return hfc_fail(HFC_ERR_INVALID,
                        "%s: tensor '%s': data_offsets must be an array [begin, end]", f->name, tn);
    uint64_t b, e;
    if (read_uint(&off->u.items[0], &b) != HFC_OK || read_uint(&off->u.items[1], &e) != HFC_OK)
        return hfc_fail(HFC_ERR_INVALID,
                        "%s: tensor '%s': data_offsets are not non-negative integers", f->name, tn);
    t->name = hfc_arena_strndup(&f->arena, m->key.u.s, m->key.len);
    if (!t->name) return hfc_fail(HFC_ERR_NOMEM, "%s: out of memory", f->name);
    t->name_len = m->key.len;
    t->ndim = sh->len;
    t->shape = shape;
    t->begin = (size_t)b;
    t->end = (size_t)e;
    size_t bytes;
    HFC_TRY_CTX(tensor_bytes(t->dtype, shape, t->ndim, &t->nelem, &bytes),
                "%s: tensor '%s': ", f->name, tn);
    if (e < b)
        return hfc_fail(HFC_ERR_INVALID,
                        "%s: tensor '%s': data_offsets [%llu, %llu] end before they begin",
                        f->name, tn, (unsigned long long)b, (unsigned long long)e);
    if (e - b != bytes)
        return hfc_fail(HFC_ERR_INVALID,
                        "%s: tensor '%s': dtype %s and shape of %llu elements need %zu bytes, "
                        "but data_offsets [%llu, %llu] hold %llu",
                        f->name, tn, hfc_st_dtype_name(t->dtype), (unsigned long long)t->nelem,
                        bytes, (unsigned long long)b, (unsigned long long)e,
                        (unsigned long long)(e - b));
    return HFC_OK;
}

static hfc_status read_metadata(hfc_st_file *f, const hfc_json_value *v) {
    if (v->type == HFC_JSON_NULL) return HFC_OK;
    if (v->type != HFC_JSON_OBJECT)
        return hfc_fail(HFC_ERR_INVALID, "%s: __metadata__ is %s, expected an object of strings",
                        f->name, hfc_json_type_name(v->type));
    f->meta = hfc_arena_alloc(&f->arena, (v->len ? v->len : 1) * sizeof(hfc_st_kv), 8);
    if (!f->meta) return hfc_fail(HFC_ERR_NOMEM, "%s: out of memory", f->name);
    for (uint32_t i = 0; i < v->len; i++) {
        const hfc_json_member *m = &v->u.members[i];
        char nb[160];
        if (m->value.type != HFC_JSON_STRING)
            return hfc_fail(HFC_ERR_INVALID, "%s: __metadata__ '%s' is %s, expected a string",
                            f->name, shown_name(m->key.u.s, m->key.len, nb),
                            hfc_json_type_name(m->value.type));
        hfc_st_kv *kv = &f->meta[i];
        kv->key = hfc_arena_strndup(&f->arena, m->key.u.s, m->key.len);
        kv->val = hfc_arena_strndup(&f->arena, m->value.u.s, m->value.len);
        if (!kv->key || !kv->val) return hfc_fail(HFC_ERR_NOMEM, "%s: out of memory", f->name);
        kv->klen = m->key.len;
        kv->vlen = m->value.len;
    }
    f->nmeta = v->len;
    return HFC_OK;
}

/* With tensors sorted by offsets they must tile [0, data size) exactly. */
static hfc_status check_layout(const hfc_st_file *f) {
    size_t data_size = f->size - 8 - f->header, at = 0;
    char nb[160], pb[160];
    for (size_t i = 0; i < f->count; i++) {
        const hfc_st_tensor *t = &f->tensors[i];
        const char *tn = shown_name(t->name, t->name_len, nb);
        if (t->begin < at)
            return hfc_fail(HFC_ERR_INVALID,
                            "%s: tensor '%s': data_offsets [%zu, %zu] overlap tensor '%s', "
                            "which ends at %zu",
                            f->name, tn, t->begin, t->end,
                            shown_name(f->tensors[i - 1].name, f->tensors[i - 1].name_len, pb), at);
        if (t->begin > at)
            return hfc_fail(HFC_ERR_INVALID,
                            "%s: tensor '%s': data_offsets [%zu, %zu] leave a gap: bytes "
                            "[%zu, %zu) of the data buffer belong to no tensor",
                            f->name, tn, t->begin, t->end, at, t->begin);
        if (t->end > data_size)
            return hfc_fail(HFC_ERR_INVALID,
                            "%s: tensor '%s': data_offsets [%zu, %zu] run past the end of the "
                            "file (data buffer is %zu bytes, from file offset %zu)",
                            f->name, tn, t->begin, t->end, data_size, 8 + f->header);
        at = t->end;
    }
    if (at != data_size)
        return hfc_fail(HFC_ERR_INVALID,
                        "%s: %zu bytes at the end of the file (from file offset %zu) belong "
                        "to no tensor",
                        f->name, data_size - at, 8 + f->header + at);
    return HFC_OK;
}

static hfc_status parse(hfc_st_file *f) {
    if (f->size < 8)
        return hfc_fail(HFC_ERR_INVALID,
                        "%s: file is %zu bytes, too small for the 8-byte header length",
                        f->name, f->size);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = n << 8 | f->base[i];
    if (n > HFC_ST_MAX_HEADER)
        return hfc_fail(HFC_ERR_INVALID, "%s: header length %llu exceeds the 100 MB limit",
                        f->name, (unsigned long long)n);
    if (n > f->size - 8)
        return hfc_fail(HFC_ERR_INVALID,
                        "%s: header length %llu runs past the end of the file (%zu bytes)",
                        f->name, (unsigned long long)n, f->size);
    f->header = (size_t)n;
    char jname[300];
    snprintf(jname, sizeof jname, "%s header (from file byte 8)", f->name);
    hfc_json_opts opts = {.name = jname};
    hfc_json_doc *doc = NULL;
    HFC_TRY(hfc_json_parse((const char *)f->base + 8, f->header, &opts, &doc));
    hfc_status st = HFC_OK;
    const hfc_json_value *root = hfc_json_root(doc);
    if (root->type != HFC_JSON_OBJECT) {
        st = hfc_fail(HFC_ERR_INVALID, "%s: header is %s, expected an object", f->name,
                      hfc_json_type_name(root->type));
        goto done;
    }
    f->tensors = hfc_arena_alloc(&f->arena, (root->len ? root->len : 1) * sizeof(hfc_st_tensor), 8);
    if (!f->tensors) {
        st = hfc_fail(HFC_ERR_NOMEM, "%s: out of memory", f->name);
        goto done;
    }
    for (uint32_t i = 0; i < root->len && st == HFC_OK; i++) {
        const hfc_json_member *m = &root->u.members[i];
        if (hfc_json_str_eq(&m->key, "__metadata__", 12)) st = read_metadata(f, &m->value);
        else st = read_tensor(f, m, &f->tensors[f->count++]);
    }
    if (st != HFC_OK) goto done;
    qsort(f->tensors, f->count, sizeof *f->tensors, cmp_by_offset);
    if ((st = check_layout(f)) != HFC_OK) goto done;
    f->by_name = hfc_arena_alloc(&f->arena, (f->count ? f->count : 1) * sizeof *f->by_name, 8);
    if (!f->by_name) {
        st = hfc_fail(HFC_ERR_NOMEM, "%s: out of memory", f->name);
        goto done;
    }
    const uint8_t *data = f->base + 8 + f->header;
    for (size_t i = 0; i < f->count; i++) {
        f->tensors[i].data = data + f->tensors[i].begin;
        f->by_name[i] = &f->tensors[i];
    }
    qsort(f->by_name, f->count, sizeof *f->by_name, cmp_by_name);
done:
    hfc_json_free(doc);
    return st;
}

static hfc_status open_common(const uint8_t *buf, size_t len, const char *name, hfc_mmap *map,
                              hfc_st_file **out) {
    *out = NULL;
    hfc_st_file *f = hfc_calloc(1, sizeof *f);
    char *nm = hfc_strndup(name, strlen(name));
    if (!f || !nm) {
        hfc_free(f);
        hfc_free(nm);
        hfc_mmap_release(map);
        return hfc_fail(HFC_ERR_NOMEM, "%s: out of memory", name);
    }
    f->map = map;
    f->base = buf;
    f->size = len;
    f->name = nm;
    f->nmeta = -1;
    hfc_arena_init(&f->arena, 0);
    hfc_status st = parse(f);
    if (st != HFC_OK) {
        hfc_st_free(f);
        return st;
    }
    *out = f;
    return HFC_OK;
}

hfc_status hfc_st_open(const char *path, hfc_st_file **out) {
    *out = NULL;
    hfc_mmap *map = NULL;
    HFC_TRY(hfc_mmap_open(path, &map));
    return open_common(hfc_mmap_data(map), hfc_mmap_size(map), path, map, out);
}

hfc_status hfc_st_open_buffer(const uint8_t *buf, size_t len, const char *name,
                              hfc_st_file **out) {
    return open_common(buf, len, name ? name : "<bytes>", NULL, out);
}

void hfc_st_free(hfc_st_file *f) {
    if (!f) return;
    hfc_arena_free(&f->arena);
    hfc_mmap_release(f->map);
    hfc_free(f->name);
    hfc_free(f);
}

/* ---- writer ---- */

typedef struct order_item {
    const hfc_st_input *t;
    size_t i;
} order_item;

/* The reference's file order: descending dtype, then name. */
static int cmp_write_order(const void *pa, const void *pb) {
    const order_item *a = pa, *b = pb;
    if (a->t->dtype != b->t->dtype) return a->t->dtype > b->t->dtype ? -1 : 1;
    return bytes_cmp(a->t->name, a->t->name_len, b->t->name, b->t->name_len);
}

static int cmp_input_name(const void *pa, const void *pb) {
    const order_item *a = pa, *b = pb;
    return bytes_cmp(a->t->name, a->t->name_len, b->t->name, b->t->name_len);
}

static int cmp_kv(const void *pa, const void *pb) {
    const hfc_st_kv *a = *(const hfc_st_kv *const *)pa, *b = *(const hfc_st_kv *const *)pb;
    return bytes_cmp(a->key, a->klen, b->key, b->klen);
}

static hfc_status write_metadata(hfc_buf *out, const hfc_st_kv *meta, size_t nmeta) {
    const hfc_st_kv **sorted = hfc_malloc((nmeta ? nmeta : 1) * sizeof *sorted);
    if (!sorted) return hfc_fail(HFC_ERR_NOMEM, "safetensors writer: out of memory");
    for (size_t i = 0; i < nmeta; i++) sorted[i] = &meta[i];
    qsort(sorted, nmeta, sizeof *sorted, cmp_kv);
    hfc_status st = hfc_buf_append(out, "\"__metadata__\":{", 16);
    for (size_t i = 0; i < nmeta && st == HFC_OK; i++) {
        char nb[160];
        const hfc_st_kv *kv = sorted[i];
        if (i && bytes_cmp(kv->key, kv->klen, sorted[i - 1]->key, sorted[i - 1]->klen) == 0) {
            st = hfc_fail(HFC_ERR_INVALID, "safetensors writer: duplicate metadata key '%s'",
                          shown_name(kv->key, kv->klen, nb));
            break;
        }
        if (i) st = hfc_buf_putc(out, ',');
        if (st == HFC_OK) st = hfc_json_write_string(out, kv->key, kv->klen);
        if (st == HFC_OK) st = hfc_buf_putc(out, ':');
        if (st == HFC_OK) st = hfc_json_write_string(out, kv->val, kv->vlen);
    }
    if (st == HFC_OK) st = hfc_buf_putc(out, '}');
    hfc_free(sorted);
    return st;
}

static hfc_status write_entry(hfc_buf *out, const hfc_st_input *t, size_t begin) {
    HFC_TRY(hfc_json_write_string(out, t->name, t->name_len));
    HFC_TRY(hfc_buf_printf(out, ":{\"dtype\":\"%s\",\"shape\":[", hfc_st_dtype_name(t->dtype)));
    for (uint32_t d = 0; d < t->ndim; d++)
        HFC_TRY(hfc_buf_printf(out, d ? ",%llu" : "%llu", (unsigned long long)t->shape[d]));
    return hfc_buf_printf(out, "],\"data_offsets\":[%zu,%zu]}", begin, begin + t->nbytes);
}

/* Each input's dtype and byte count agree with its shape; names are unique. */
static hfc_status check_inputs(const hfc_st_input *t, size_t n, order_item *items) {
    char nb[160];
    for (size_t i = 0; i < n; i++) {
        const char *tn = shown_name(t[i].name, t[i].name_len, nb);
        uint64_t nelem;
        size_t bytes;
        if ((unsigned)t[i].dtype >= HFC_ST_DTYPE_COUNT)
            return hfc_fail(HFC_ERR_INVALID, "safetensors writer: tensor '%s': bad dtype %d", tn,
                            (int)t[i].dtype);
        HFC_TRY_CTX(tensor_bytes(t[i].dtype, t[i].shape, t[i].ndim, &nelem, &bytes),
                    "safetensors writer: tensor '%s': ", tn);
        if (bytes != t[i].nbytes)
            return hfc_fail(HFC_ERR_INVALID,
                            "safetensors writer: tensor '%s': dtype %s and shape of %llu "
                            "elements need %zu bytes, but %zu were given",
                            tn, hfc_st_dtype_name(t[i].dtype), (unsigned long long)nelem, bytes,
                            t[i].nbytes);
        items[i] = (order_item){&t[i], i};
    }
    qsort(items, n, sizeof *items, cmp_input_name);
    for (size_t i = 1; i < n; i++)
        if (cmp_input_name(&items[i], &items[i - 1]) == 0)
            return hfc_fail(HFC_ERR_INVALID, "safetensors writer: duplicate tensor name '%s'",
                            shown_name(items[i].t->name, items[i].t->name_len, nb));
    return HFC_OK;
}

hfc_status hfc_st_build_header(const hfc_st_input *t, size_t n, int has_meta,
                               const hfc_st_kv *meta, size_t nmeta, hfc_buf *out,
                               size_t *order) {
    order_item *items = hfc_malloc((n ? n : 1) * sizeof *items);
    if (!items) return hfc_fail(HFC_ERR_NOMEM, "safetensors writer: out of memory");
    hfc_status st = check_inputs(t, n, items);
    if (st != HFC_OK) goto done;
    qsort(items, n, sizeof *items, cmp_write_order);
    size_t start = out->len, off = 0;
    st = hfc_buf_append(out, "\0\0\0\0\0\0\0\0{", 9);
    if (st == HFC_OK && has_meta) st = write_metadata(out, meta, nmeta);
    for (size_t i = 0; i < n && st == HFC_OK; i++) {
        if (i || has_meta) st = hfc_buf_putc(out, ',');
        if (st == HFC_OK) st = write_entry(out, items[i].t, off);
        off += items[i].t->nbytes;
        order[i] = items[i].i;
    }
    if (st == HFC_OK) st = hfc_buf_putc(out, '}');
    while (st == HFC_OK && (out->len - start - 8) % 8) st = hfc_buf_putc(out, ' ');
    if (st != HFC_OK) goto done;
    uint64_t hl = out->len - start - 8;
    if (hl > HFC_ST_MAX_HEADER) {
        st = hfc_fail(HFC_ERR_INVALID,
                      "safetensors writer: header of %llu bytes exceeds the 100 MB limit",
                      (unsigned long long)hl);
        goto done;
    }
    for (int i = 0; i < 8; i++) out->data[start + i] = (char)(hl >> (8 * i));
done:
    hfc_free(items);
    return st;
}

hfc_status hfc_st_serialize(const hfc_st_input *t, size_t n, int has_meta,
                            const hfc_st_kv *meta, size_t nmeta, hfc_buf *out) {
    size_t *order = hfc_malloc((n ? n : 1) * sizeof *order);
    if (!order) return hfc_fail(HFC_ERR_NOMEM, "safetensors writer: out of memory");
    hfc_status st = hfc_st_build_header(t, n, has_meta, meta, nmeta, out, order);
    size_t total = 0;
    for (size_t i = 0; i < n && st == HFC_OK; i++)
        if (!hfc_add_size(total, t[i].nbytes, &total))
            st = hfc_fail(HFC_ERR_OVERFLOW, "safetensors writer: total size overflows");
    if (st == HFC_OK) st = hfc_buf_reserve(out, total);
    for (size_t i = 0; i < n && st == HFC_OK; i++)
        st = hfc_buf_append(out, t[order[i]].data, t[order[i]].nbytes);
    hfc_free(order);
    return st;
}

static hfc_status write_all(int fd, const void *p, size_t n, const char *path) {
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n > (1u << 30) ? (1u << 30) : n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return hfc_fail_errno(errno, "%s: write failed", path);
        }
        c += w;
        n -= (size_t)w;
    }
    return HFC_OK;
}

hfc_status hfc_st_write_file(const char *path, const hfc_st_input *t, size_t n, int has_meta,
                             const hfc_st_kv *meta, size_t nmeta) {
    size_t *order = hfc_malloc((n ? n : 1) * sizeof *order);
    hfc_buf head = {0};
    char *tmp = NULL;
    int fd = -1;
    hfc_status st = HFC_OK;
    if (!order) return hfc_fail(HFC_ERR_NOMEM, "%s: out of memory", path);
    if ((st = hfc_st_build_header(t, n, has_meta, meta, nmeta, &head, order)) != HFC_OK) goto done;
    size_t plen = strlen(path);
    if (!(tmp = hfc_malloc(plen + 48))) {
        st = hfc_fail(HFC_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    /* O_EXCL with mode 0666: the file gets the umask's permissions, like a plain open. */
    static _Atomic unsigned counter;
    for (int tries = 0; fd < 0; tries++) {
        snprintf(tmp, plen + 48, "%s.tmp.%ld.%u", path, (long)getpid(), counter++);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && (errno != EEXIST || tries > 100)) {
            st = hfc_fail_errno(errno, "%s: cannot create a temporary file", path);
            goto done;
        }
    }
    st = write_all(fd, head.data, head.len, path);
    for (size_t i = 0; i < n && st == HFC_OK; i++)
        st = write_all(fd, t[order[i]].data, t[order[i]].nbytes, path);
    if (close(fd) != 0 && st == HFC_OK) st = hfc_fail_errno(errno, "%s: close failed", path);
    fd = -1;
    if (st == HFC_OK && rename(tmp, path) != 0) st = hfc_fail_errno(errno, "%s: rename failed", path);
    if (st != HFC_OK) unlink(tmp);
done:
    if (fd >= 0) close(fd);
    hfc_free(tmp);
    hfc_free(order);
    hfc_buf_free(&head);
    return st;
}
