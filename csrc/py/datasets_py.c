/* Binding for hfc.datasets: hfc._C.ArrowTable, a memory-mapped Arrow table (one or more
 * IPC files sharing a schema) with row access as Python objects, zero-copy NumPy views
 * of its buffers, gathers, group_texts packing and the IPC stream writer.
 *
 * The table is immutable once opened, so every method is safe from any thread; NumPy
 * views keep the ArrowTable (and so the mappings) alive through their base. */
#include "hfc_py.h"
#include <structmember.h>
#include "hfc_numpy.h"
#include "hfc/arrow.h"
#include "hfc/tokenizers.h"
#include "hfc/cpu.h"

enum { DS_ARROW_TABLE = 0, DS_DATASET_BASE = 1 };

/* What reading one row needs of one column of one batch, copied out of the table's
 * structs at open. A row read of a shuffled dataset is a chain of dependent cache misses
 * (index mapping, batch, column struct, offsets, a list's child struct, values, int
 * objects); with these in one flat array at an address computed from the batch number,
 * the hops through the table's structs leave the chain. */
typedef struct row_col {
    const hfc_arrow_array *a; /* the column: every read other than the ids32 one uses it */
    const uint8_t *offsets;   /* int32/int64 offsets (strings, binaries, lists of fixed-width
                               * values without dictionary), else NULL */
    const uint8_t *data;      /* what they index: bytes or the child's values; for a
                               * fixed-width column its values; NULL when neither */
    int64_t length;           /* rows of the column */
    int64_t data_n;           /* elements in data */
    uint8_t width;            /* bytes per element of data */
    bool large;               /* int64 offsets */
    bool ids32;               /* list<int32>, no nulls in the list or its values */
} row_col;

typedef struct {
    PyObject_HEAD
    hfc_arrow_table *t;
    PyObject *paths; /* tuple of str */
    PyObject *names; /* tuple of str: column names */
    row_col *rc;         /* (n_batches, n_fields) */
    int64_t *row_starts; /* n_batches + 1: first row of each batch, then num_rows */
    double batch_scale;  /* n_batches / num_rows: the batch a uniform split puts a row in */
    size_t n_batches, n_fields; /* t's, here to spare a row read the hop to t */
    int64_t num_rows;
} ArrowTableObject;

/* ---- values as Python objects ---- */

_Static_assert((HFC_PY_INT_CACHE & (HFC_PY_INT_CACHE - 1)) == 0,
               "list_to_py tests four ids against the int cache size with one OR");


/* str from UTF-8 bytes, equal to PyUnicode_DecodeUTF8(p, n, "strict") (which it calls
 * for invalid input, to raise the same error). CPython's decoder fills a Latin-1 buffer
 * and widens it when it meets a wider character; here the bytes are validated with
 * hfc's SIMD kernel, the characters counted and the widest kind found first, and the
 * string is written once at its final width. */
#define HI8 0x8080808080808080ULL

/* 8 ASCII bytes (the bytes of w in memory order) as 8 characters of 1, 2 or 4 bytes.
 * SSE2 is part of x86-64, so no dispatch is needed for the widening unpacks. */
static inline void widen8_Py_UCS1(Py_UCS1 *o, uint64_t w) { memcpy(o, &w, 8); }
#if defined(__SSE2__)
#include <emmintrin.h>
static inline void widen8_Py_UCS2(Py_UCS2 *o, uint64_t w) {
    __m128i z = _mm_setzero_si128(), b = _mm_cvtsi64_si128((long long)w);
    _mm_storeu_si128((__m128i *)o, _mm_unpacklo_epi8(b, z));
}
static inline void widen8_Py_UCS4(Py_UCS4 *o, uint64_t w) {
    __m128i z = _mm_setzero_si128(), h = _mm_unpacklo_epi8(_mm_cvtsi64_si128((long long)w), z);
    _mm_storeu_si128((__m128i *)o, _mm_unpacklo_epi16(h, z));
    _mm_storeu_si128((__m128i *)(o + 4), _mm_unpackhi_epi16(h, z));
}
#else
static inline void widen8_Py_UCS2(Py_UCS2 *o, uint64_t w) {
    uint8_t b[8];
    memcpy(b, &w, 8);
    for (int j = 0; j < 8; j++) o[j] = b[j];
}
static inline void widen8_Py_UCS4(Py_UCS4 *o, uint64_t w) {
    uint8_t b[8];
    memcpy(b, &w, 8);
    for (int j = 0; j < 8; j++) o[j] = b[j];
}
#endif

/* Write the n valid UTF-8 bytes at p as characters of type T at PyUnicode_DATA(u): 8
 * ASCII bytes at a time where they are, else character by character to the end of the
 * 8-byte window. */
#define DECODE_INTO(T)                                                                  \
    do {                                                                                \
        T *o = (T *)PyUnicode_DATA(u);                                                  \
        Py_ssize_t i = 0;                                                               \
        while (i < n) {                                                                 \
            Py_ssize_t stop = i + 8 < n ? i + 8 : n;                                    \
            if (i + 8 <= n) {                                                           \
                uint64_t w;                                                             \
                memcpy(&w, p + i, 8);                                                   \
                if (!(w & HI8)) {                                                       \
                    widen8_##T(o, w);                                                   \
                    o += 8;                                                             \
                    i += 8;                                                             \
                    continue;                                                           \
                }                                                                       \
            }                                                                           \
            while (i < stop) {                                                          \
                uint32_t b = p[i];                                                      \
                if (b < 0x80) {                                                         \
                    *o++ = (T)b;                                                        \
                    i++;                                                                \
                } else if (b < 0xE0) {                                                  \
                    *o++ = (T)(((b & 0x1F) << 6) | (p[i + 1] & 0x3F));                  \
                    i += 2;                                                             \
                } else if (b < 0xF0) {                                                  \
                    *o++ = (T)(((b & 0x0F) << 12) | ((p[i + 1] & 0x3F) << 6) |          \
                               (p[i + 2] & 0x3F));                                      \
                    i += 3;                                                             \
                } else {                                                                \
                    *o++ = (T)(((b & 0x07) << 18) | ((p[i + 1] & 0x3F) << 12) |         \
                               ((p[i + 2] & 0x3F) << 6) | (p[i + 3] & 0x3F));           \
                    i += 4;                                                             \
                }                                                                       \
            }                                                                           \
        }                                                                               \
    } while (0)

/* Bytes 10xxxxxx (continuations) in w; `wide` and `astral` collect bytes >= 0xC4 (a
 * valid lead of a character >= U+0100) and >= 0xF0 (>= U+10000) in their high bits. */
static inline Py_ssize_t utf8_scan_word(uint64_t w, uint64_t *hi, uint64_t *wide,
                                        uint64_t *astral) {
    uint64_t h = w & HI8, u = w & (w << 1);
    *hi |= h;
    *wide |= u & ((w << 2) | (w << 3) | (w << 4) | (w << 5));
    *astral |= u & (w << 2) & (w << 3);
    uint64_t cont = (h & ~(w << 1)) >> 7; /* 0 or 1 per byte */
    return (Py_ssize_t)((cont * 0x0101010101010101ULL) >> 56);
}

/* Short strings (most rows): one pass that validates (RFC 3629, as CPython's strict
 * decoder) and decodes into a UCS4 buffer on the stack, OR-ing the characters to learn
 * the narrowest kind, then one narrowing copy into the str. Invalid input goes to
 * PyUnicode_DecodeUTF8 for CPython's exact error. */
#define SHORT_STR 512

static PyObject *utf8_to_str_short(const uint8_t *p, Py_ssize_t n) {
    Py_UCS4 buf[SHORT_STR];
    Py_UCS4 *o = buf, top = 0;
    Py_ssize_t i = 0;
    while (i < n) {
        if (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (!(w & HI8)) {
                widen8_Py_UCS4(o, w);
                o += 8;
                i += 8;
                continue;
            }
        }
        uint32_t b = p[i], c;
        if (b < 0x80) {
            *o++ = b;
            i++;
            continue;
        }
        if (b < 0xC2) goto invalid;
        if (b < 0xE0) {
            if (i + 1 >= n || (p[i + 1] & 0xC0) != 0x80) goto invalid;
            c = ((b & 0x1F) << 6) | (p[i + 1] & 0x3F);
            i += 2;
        } else if (b < 0xF0) {
            if (i + 2 >= n) goto invalid;
            uint32_t b1 = p[i + 1], b2 = p[i + 2];
            if (b1 < (b == 0xE0 ? 0xA0u : 0x80u) || b1 > (b == 0xED ? 0x9Fu : 0xBFu) ||
                (b2 & 0xC0) != 0x80)
                goto invalid;
            c = ((b & 0x0F) << 12) | ((b1 & 0x3F) << 6) | (b2 & 0x3F);
            i += 3;
        } else if (b < 0xF5) {
            if (i + 3 >= n) goto invalid;
            uint32_t b1 = p[i + 1], b2 = p[i + 2], b3 = p[i + 3];
            if (b1 < (b == 0xF0 ? 0x90u : 0x80u) || b1 > (b == 0xF4 ? 0x8Fu : 0xBFu) ||
                (b2 & 0xC0) != 0x80 || (b3 & 0xC0) != 0x80)
                goto invalid;
            c = ((b & 0x07) << 18) | ((b1 & 0x3F) << 12) | ((b2 & 0x3F) << 6) | (b3 & 0x3F);
            i += 4;
        } else {
            goto invalid;
        }
        top |= c; /* OR bounds the max at the power-of-two kind limits */
        *o++ = c;
    }
    Py_ssize_t len = o - buf;
    PyObject *u;
    if (!top) {
        if ((u = PyUnicode_New(n, 0x7F))) memcpy(PyUnicode_DATA(u), p, (size_t)n);
        return u;
    }
    if (top < 0x100) {
        if (!(u = PyUnicode_New(len, 0xFF))) return NULL;
        Py_UCS1 *d = PyUnicode_1BYTE_DATA(u);
        for (Py_ssize_t k = 0; k < len; k++) d[k] = (Py_UCS1)buf[k];
    } else if (top < 0x10000) {
        if (!(u = PyUnicode_New(len, 0xFFFF))) return NULL;
        Py_UCS2 *d = PyUnicode_2BYTE_DATA(u);
        for (Py_ssize_t k = 0; k < len; k++) d[k] = (Py_UCS2)buf[k];
    } else {
        if (!(u = PyUnicode_New(len, 0x10FFFF))) return NULL;
        memcpy(PyUnicode_4BYTE_DATA(u), buf, (size_t)len * sizeof *buf);
    }
    return u;
invalid:
    return PyUnicode_DecodeUTF8((const char *)p, n, "strict");
}

static PyObject *utf8_to_str(const uint8_t *p, Py_ssize_t n) {
    if (n <= SHORT_STR) return utf8_to_str_short(p, n);
    if (hfc_kernels_active.utf8_valid_prefix(p, (size_t)n) != (size_t)n)
        return PyUnicode_DecodeUTF8((const char *)p, n, "strict");
    Py_ssize_t cont = 0, i = 0;
    uint64_t hi = 0, wide = 0, astral = 0, w;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, p + i, 8);
        if (w & HI8) cont += utf8_scan_word(w, &hi, &wide, &astral);
    }
    if (i < n) {
        w = 0;
        memcpy(&w, p + i, (size_t)(n - i));
        cont += utf8_scan_word(w, &hi, &wide, &astral);
    }
    Py_UCS4 maxchar = (astral & HI8) ? 0x10FFFF : (wide & HI8) ? 0xFFFF : hi ? 0xFF : 0x7F;
    PyObject *u = PyUnicode_New(n - cont, maxchar);
    if (!u) return NULL;
    if (maxchar == 0x7F) memcpy(PyUnicode_DATA(u), p, (size_t)n);
    else if (maxchar == 0xFF) DECODE_INTO(Py_UCS1);
    else if (maxchar == 0xFFFF) DECODE_INTO(Py_UCS2);
    else DECODE_INTO(Py_UCS4);
    return u;
}

static PyObject *value_to_py(const hfc_arrow_array *a, int64_t i);

static PyObject *list_to_py(const hfc_arrow_array *a, int64_t i) {
    int64_t s, e;
    hfc_status st = hfc_arrow_range(a, i, &s, &e);
    if (st != HFC_OK) return hfc_py_raise(st);
    const hfc_arrow_array *c = &a->children[0];
    if (c->type == HFC_ARROW_INT32 && !c->validity && !c->indices && e > s) { /* token ids */
        return hfc_py_list_32(c->values + 4 * s, (size_t)(e - s), true);
    }
    PyObject *l = PyList_New((Py_ssize_t)(e - s));
    if (!l) return NULL;
    for (int64_t k = s; k < e; k++) {
        PyObject *v = value_to_py(&a->children[0], k);
        if (!v) { Py_DECREF(l); return NULL; }
        PyList_SET_ITEM(l, (Py_ssize_t)(k - s), v);
    }
    return l;
}

static PyObject *struct_to_py(const hfc_arrow_array *a, int64_t i) {
    PyObject *d = PyDict_New();
    if (!d) return NULL;
    for (size_t k = 0; k < a->n_children; k++) {
        PyObject *v = value_to_py(&a->children[k], i);
        if (!v || PyDict_SetItemString(d, a->children[k].field->name, v) < 0) {
            Py_XDECREF(v);
            Py_DECREF(d);
            return NULL;
        }
        Py_DECREF(v);
    }
    return d;
}

static PyObject *value_to_py(const hfc_arrow_array *a, int64_t i) {
    if (hfc_arrow_is_null(a, i)) Py_RETURN_NONE;
    if (a->indices) {
        int64_t k;
        hfc_status st = hfc_arrow_dict_index(a, i, &k);
        if (st != HFC_OK) return hfc_py_raise(st);
        return value_to_py(a->dictionary, k);
    }
    const uint8_t *p = a->values;
    int64_t s, e;
    switch (a->type) {
    case HFC_ARROW_BOOL: return PyBool_FromLong(hfc_arrow_bool(a, i));
    case HFC_ARROW_INT8: case HFC_ARROW_INT16: case HFC_ARROW_INT32: case HFC_ARROW_INT64:
    case HFC_ARROW_UINT8: case HFC_ARROW_UINT16: case HFC_ARROW_UINT32:
        return hfc_py_int(hfc_arrow_int_at(a, i));
    case HFC_ARROW_UINT64: {
        uint64_t v;
        memcpy(&v, p + 8 * i, 8);
        return PyLong_FromUnsignedLongLong(v);
    }
    case HFC_ARROW_FLOAT16: return PyFloat_FromDouble(PyFloat_Unpack2((const char *)p + 2 * i, 1));
    case HFC_ARROW_FLOAT32: {
        float v;
        memcpy(&v, p + 4 * i, 4);
        return PyFloat_FromDouble(v);
    }
    case HFC_ARROW_FLOAT64: {
        double v;
        memcpy(&v, p + 8 * i, 8);
        return PyFloat_FromDouble(v);
    }
    case HFC_ARROW_UTF8: case HFC_ARROW_LARGE_UTF8: {
        hfc_status st = hfc_arrow_range(a, i, &s, &e);
        if (st != HFC_OK) return hfc_py_raise(st);
        return utf8_to_str(a->data + s, (Py_ssize_t)(e - s));
    }
    case HFC_ARROW_BINARY: case HFC_ARROW_LARGE_BINARY: case HFC_ARROW_FIXED_SIZE_BINARY: {
        hfc_status st = hfc_arrow_range(a, i, &s, &e);
        if (st != HFC_OK) return hfc_py_raise(st);
        return PyBytes_FromStringAndSize((const char *)a->data + s, (Py_ssize_t)(e - s));
    }
    case HFC_ARROW_LIST: case HFC_ARROW_LARGE_LIST: case HFC_ARROW_FIXED_SIZE_LIST:
        return list_to_py(a, i);
    case HFC_ARROW_STRUCT: return struct_to_py(a, i);
    default: Py_RETURN_NONE;
    }
}

/* ---- argument helpers ---- */

/* Column selection: None = all, else a sequence of column indices. */
static int parse_cols(ArrowTableObject *self, PyObject *obj, size_t **cols, size_t *n) {
    *cols = NULL;
    *n = self->t->n_fields;
    if (obj == Py_None) return 0;
    PyObject *seq = PySequence_Fast(obj, "columns must be a sequence of indices");
    if (!seq) return -1;
    Py_ssize_t m = PySequence_Fast_GET_SIZE(seq);
    *cols = PyMem_Malloc(((size_t)m + 1) * sizeof **cols);
    if (!*cols) { Py_DECREF(seq); PyErr_NoMemory(); return -1; }
    for (Py_ssize_t k = 0; k < m; k++) {
        Py_ssize_t c = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(seq, k));
        if (c == -1 && PyErr_Occurred()) goto fail;
        if (c < 0 || (size_t)c >= self->t->n_fields) {
            PyErr_Format(PyExc_IndexError, "column index %zd out of range", c);
            goto fail;
        }
        (*cols)[k] = (size_t)c;
    }
    *n = (size_t)m;
    Py_DECREF(seq);
    return 0;
fail:
    PyMem_Free(*cols);
    *cols = NULL;
    Py_DECREF(seq);
    return -1;
}

/* Row indices as a contiguous int64 array (owned reference), or NULL with an error. */
static PyArrayObject *as_rows(PyObject *obj) {
    return (PyArrayObject *)PyArray_FROMANY(obj, NPY_INT64, 1, 1,
                                            NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED);
}

static int check_rows(ArrowTableObject *self, const int64_t *rows, npy_intp n) {
    for (npy_intp k = 0; k < n; k++)
        if (rows[k] < 0 || rows[k] >= self->t->num_rows) {
            PyErr_Format(PyExc_IndexError, "row %lld out of range for %lld rows",
                         (long long)rows[k], (long long)self->t->num_rows);
            return -1;
        }
    return 0;
}

/* ---- row descriptors ---- */

static bool is_large_offsets(hfc_arrow_type t) {
    return t == HFC_ARROW_LARGE_UTF8 || t == HFC_ARROW_LARGE_BINARY || t == HFC_ARROW_LARGE_LIST;
}

static void row_col_init(row_col *rc, const hfc_arrow_array *a) {
    memset(rc, 0, sizeof *rc);
    rc->a = a;
    rc->length = a->length;
    if (a->indices || !a->values) return;
    switch (a->type) {
    case HFC_ARROW_UTF8: case HFC_ARROW_LARGE_UTF8: case HFC_ARROW_BINARY: case HFC_ARROW_LARGE_BINARY:
        if (!a->data) return;
        rc->offsets = a->values, rc->data = a->data, rc->data_n = a->data_len, rc->width = 1;
        break;
    case HFC_ARROW_LIST: case HFC_ARROW_LARGE_LIST: {
        const hfc_arrow_array *c = &a->children[0];
        int w = hfc_arrow_type_width(c->type);
        if (w <= 0 || !c->values || c->indices) return;
        rc->offsets = a->values, rc->data = c->values, rc->data_n = c->length, rc->width = (uint8_t)w;
        rc->ids32 = a->type == HFC_ARROW_LIST && c->type == HFC_ARROW_INT32 && !a->validity &&
                    !c->validity;
        break;
    }
    default: {
        int w = hfc_arrow_type_width(a->type);
        if (w > 0) rc->data = a->values, rc->data_n = a->length, rc->width = (uint8_t)w;
        return;
    }
    }
    rc->large = is_large_offsets(a->type);
}

static int row_cols_init(ArrowTableObject *self) {
    const hfc_arrow_table *t = self->t;
    size_t nb = t->n_batches, nf = t->n_fields;
    self->row_starts = PyMem_Malloc((nb + 1) * sizeof *self->row_starts);
    self->rc = PyMem_Malloc((nb * nf > 0 ? nb * nf : 1) * sizeof *self->rc);
    if (!self->row_starts || !self->rc) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t b = 0; b < nb; b++) {
        self->row_starts[b] = t->batches[b].row_start;
        for (size_t c = 0; c < nf; c++) row_col_init(&self->rc[b * nf + c], &t->batches[b].columns[c]);
    }
    self->row_starts[nb] = t->num_rows;
    self->n_batches = nb;
    self->n_fields = nf;
    self->num_rows = t->num_rows;
    self->batch_scale = t->num_rows > 0 ? (double)nb / (double)t->num_rows : 0.0;
    return 0;
}

/* The descriptors of the batch holding table row `row` (in range), and the row in it. */
static inline const row_col *row_locate(const ArrowTableObject *self, int64_t row, int64_t *r) {
    const int64_t *rs = self->row_starts;
    size_t nb = self->n_batches;
    size_t b = (size_t)((double)row * self->batch_scale); /* batches are mostly one size */
    if (b >= nb) b = nb - 1;
    if (!(rs[b] <= row && row < rs[b + 1])) { /* the last batch starting at or before row */
        size_t lo = 0, hi = nb;                /* (a non-empty one: it holds the row) */
        while (hi - lo > 1) {
            size_t mid = lo + (hi - lo) / 2;
            if (rs[mid] <= row) lo = mid;
            else hi = mid;
        }
        b = lo;
    }
    *r = row - rs[b];
    return &self->rc[b * self->n_fields];
}

/* ---- type ---- */

static PyObject *ArrowTable_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"paths", NULL};
    PyObject *paths_obj;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O:ArrowTable", kwlist, &paths_obj)) return NULL;
    PyObject *paths = PySequence_Tuple(paths_obj);
    if (!paths) return NULL;
    hfc_arrow_table *t;
    hfc_status st = hfc_arrow_table_create(&t);
    if (st != HFC_OK) { Py_DECREF(paths); return hfc_py_raise(st); }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(paths); i++) {
        PyObject *b = NULL;
        if (!PyUnicode_FSConverter(PyTuple_GET_ITEM(paths, i), &b)) goto fail;
        Py_BEGIN_ALLOW_THREADS
        st = hfc_arrow_table_add_file(t, PyBytes_AS_STRING(b));
        Py_END_ALLOW_THREADS
        Py_DECREF(b);
        if (st != HFC_OK) { hfc_py_raise(st); goto fail; }
    }
    ArrowTableObject *self = (ArrowTableObject *)type->tp_alloc(type, 0);
    if (!self) goto fail;
    self->t = t;
    self->paths = paths;
    self->names = PyTuple_New((Py_ssize_t)t->n_fields);
    if (!self->names) { Py_DECREF(self); return NULL; }
    for (size_t i = 0; i < t->n_fields; i++) {
        PyObject *s = PyUnicode_FromString(t->fields[i].name);
        if (!s) { Py_DECREF(self); return NULL; }
        PyTuple_SET_ITEM(self->names, (Py_ssize_t)i, s);
    }
    if (row_cols_init(self) < 0) { Py_DECREF(self); return NULL; }
    return (PyObject *)self;
fail:
    hfc_arrow_table_free(t);
    Py_DECREF(paths);
    return NULL;
}

static void ArrowTable_dealloc(ArrowTableObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    hfc_arrow_table_free(self->t);
    PyMem_Free(self->rc);
    PyMem_Free(self->row_starts);
    Py_XDECREF(self->paths);
    Py_XDECREF(self->names);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyObject *field_to_py(const hfc_arrow_field *f) {
    PyObject *children = PyList_New((Py_ssize_t)f->n_children);
    if (!children) return NULL;
    for (size_t i = 0; i < f->n_children; i++) {
        PyObject *c = field_to_py(&f->children[i]);
        if (!c) { Py_DECREF(children); return NULL; }
        PyList_SET_ITEM(children, (Py_ssize_t)i, c);
    }
    return Py_BuildValue("{s:s,s:s,s:O,s:i,s:N,s:z,s:z,s:z}", "name", f->name, "type",
                         hfc_arrow_type_name(f->type), "nullable", f->nullable ? Py_True : Py_False,
                         "fixed_size", (int)f->fixed_size, "children", children,
                         "dictionary_index",
                         f->dictionary ? hfc_arrow_type_name(f->index_type) : NULL,
                         "extension_name", f->extension_name, "extension_metadata",
                         f->extension_metadata);
}

static PyObject *ArrowTable_schema(ArrowTableObject *self, PyObject *unused) {
    PyObject *l = PyList_New((Py_ssize_t)self->t->n_fields);
    if (!l) return NULL;
    for (size_t i = 0; i < self->t->n_fields; i++) {
        PyObject *f = field_to_py(&self->t->fields[i]);
        if (!f) { Py_DECREF(l); return NULL; }
        PyList_SET_ITEM(l, (Py_ssize_t)i, f);
    }
    return l;
}

static PyObject *ArrowTable_metadata(ArrowTableObject *self, void *c) {
    PyObject *d = PyDict_New();
    if (!d) return NULL;
    for (size_t i = 0; i < self->t->n_metadata; i++) {
        PyObject *v = PyUnicode_DecodeUTF8(self->t->meta_values[i],
                                           (Py_ssize_t)strlen(self->t->meta_values[i]), "replace");
        if (!v || PyDict_SetItemString(d, self->t->meta_keys[i], v) < 0) {
            Py_XDECREF(v);
            Py_DECREF(d);
            return NULL;
        }
        Py_DECREF(v);
    }
    return d;
}

static PyObject *ArrowTable_num_rows(ArrowTableObject *self, void *c) {
    return PyLong_FromLongLong(self->t->num_rows);
}
static PyObject *ArrowTable_num_batches(ArrowTableObject *self, void *c) {
    return PyLong_FromSize_t(self->t->n_batches);
}
static PyObject *ArrowTable_paths(ArrowTableObject *self, void *c) {
    return Py_NewRef(self->paths);
}
static PyObject *ArrowTable_names(ArrowTableObject *self, void *c) {
    return Py_NewRef(self->names);
}
static PyObject *ArrowTable_batch_rows(ArrowTableObject *self, void *c) {
    npy_intp n = (npy_intp)self->t->n_batches + 1;
    PyArrayObject *a = (PyArrayObject *)PyArray_SimpleNew(1, &n, NPY_INT64);
    if (!a) return NULL;
    int64_t *d = PyArray_DATA(a);
    for (size_t i = 0; i < self->t->n_batches; i++) d[i] = self->t->batches[i].row_start;
    d[n - 1] = self->t->num_rows;
    return (PyObject *)a;
}

/* A random row touches a few cold cache lines per column (offsets, then the bytes or
 * child values they point at). Asking for all of them before building any object lets
 * the misses overlap instead of queueing one after another. Hints only: offsets are
 * read unchecked here but only to form prefetch addresses (prefetches never fault). */
static void prefetch_row(const row_col *rc, const size_t *cols, size_t nc, int64_t r) {
    for (size_t k = 0; k < nc; k++) {
        const row_col *c = &rc[cols ? cols[k] : k];
        if (r >= c->length) continue;
        if (c->offsets) __builtin_prefetch(c->offsets + (c->large ? 8 : 4) * r);
        else if (c->data) __builtin_prefetch(c->data + c->width * r);
    }
    for (size_t k = 0; k < nc; k++) {
        const row_col *c = &rc[cols ? cols[k] : k];
        if (!c->offsets || r >= c->length) continue;
        int64_t s, e;
        if (c->large) {
            memcpy(&s, c->offsets + 8 * r, 8);
            memcpy(&e, c->offsets + 8 * r + 8, 8);
        } else {
            int32_t se[2];
            memcpy(se, c->offsets + 4 * r, 8);
            s = se[0];
            e = se[1];
        }
        if (s < 0 || e < s) continue;
        if (e > c->data_n) e = c->data_n;
        int64_t from = c->width * s, to = c->width * e;
        if (to - from > 1024) to = from + 1024; /* the first KB: the rest streams in */
        for (int64_t at = from; at < to; at += 64) __builtin_prefetch(c->data + at);
    }
}

/* Row r of a column: an int32 list straight from its descriptor when its offsets are in
 * range (a corrupt file's error comes from the general path). */
static PyObject *col_to_py(const row_col *c, int64_t r) {
    if (c->ids32 && r < c->length) {
        int32_t se[2];
        memcpy(se, c->offsets + 4 * r, 8);
        if (se[0] >= 0 && se[0] <= se[1] && se[1] <= c->data_n)
            return hfc_py_list_32(c->data + 4 * (int64_t)se[0], (size_t)(se[1] - se[0]), true);
    }
    return value_to_py(c->a, r);
}

/* Table row `row` (already mapped and bounds-checked) as a dict of the columns `cols`
 * (all when NULL). */
static PyObject *row_dict(ArrowTableObject *self, int64_t row, const size_t *cols, size_t nc) {
    int64_t r;
    const row_col *rc = row_locate(self, row, &r);
    prefetch_row(rc, cols, nc, r);
    PyObject *d = _PyDict_NewPresized((Py_ssize_t)nc);
    for (size_t k = 0; d && k < nc; k++) {
        size_t c = cols ? cols[k] : k;
        PyObject *v = col_to_py(&rc[c], r);
        if (!v || PyDict_SetItem(d, PyTuple_GET_ITEM(self->names, (Py_ssize_t)c), v) < 0) {
            Py_XDECREF(v);
            Py_CLEAR(d);
            break;
        }
        Py_DECREF(v);
    }
    return d;
}

/* Position `pos` of a dataset (negative counts from the end) through the index mapping
 * `ix` (a 1-D C-contiguous int64 array, or NULL for none) to a checked table row;
 * -1 with IndexError. */
static int64_t map_row(ArrowTableObject *self, long long pos, PyArrayObject *ix) {
    long long n = self->t->num_rows;
    if (ix) {
        long long m = (long long)PyArray_DIM(ix, 0);
        if (pos < 0) pos += m;
        if (pos < 0 || pos >= m) {
            PyErr_Format(PyExc_IndexError, "Index %lld out of range for dataset of size %lld", pos, m);
            return -1;
        }
        long long row = ((const int64_t *)PyArray_DATA(ix))[pos];
        if (row < 0 || row >= n) {
            PyErr_Format(PyExc_IndexError, "index mapping points at row %lld of %lld", row, n);
            return -1;
        }
        return row;
    }
    if (pos < 0) pos += n;
    if (pos < 0 || pos >= n) {
        PyErr_Format(PyExc_IndexError, "Index %lld out of range for dataset of size %lld", pos, n);
        return -1;
    }
    return pos;
}

static int is_index_array(PyObject *o) {
    return PyArray_Check(o) && PyArray_TYPE((PyArrayObject *)o) == NPY_INT64 &&
           PyArray_NDIM((PyArrayObject *)o) == 1 && PyArray_IS_C_CONTIGUOUS((PyArrayObject *)o) &&
           PyArray_ISNOTSWAPPED((PyArrayObject *)o) && PyArray_ISALIGNED((PyArrayObject *)o);
}

/* row(i, cols=None, indices=None) -> dict; with `indices` (a C-contiguous int64 array,
 * a dataset's index mapping) position i is mapped through it first. */
static PyObject *ArrowTable_row(ArrowTableObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 1 || nargs > 3) {
        PyErr_SetString(PyExc_TypeError, "row(index, columns=None, indices=None)");
        return NULL;
    }
    long long pos = PyLong_AsLongLong(args[0]);
    if (pos == -1 && PyErr_Occurred()) return NULL;
    PyArrayObject *ix = NULL;
    if (nargs > 2 && args[2] != Py_None) {
        if (!is_index_array(args[2])) {
            PyErr_SetString(PyExc_TypeError, "row: indices must be a contiguous int64 array");
            return NULL;
        }
        ix = (PyArrayObject *)args[2];
    }
    int64_t row = map_row(self, pos, ix);
    if (row < 0) return NULL;
    size_t *cols = NULL, nc;
    if (parse_cols(self, nargs > 1 ? args[1] : Py_None, &cols, &nc) < 0) return NULL;
    PyObject *d = row_dict(self, row, cols, nc);
    PyMem_Free(cols);
    return d;
}

/* rows(indices, cols=None) -> dict of lists (datasets' batch format) */
static PyObject *ArrowTable_rows(ArrowTableObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "rows(indices, columns=None)");
        return NULL;
    }
    PyArrayObject *ra = as_rows(args[0]);
    if (!ra) return NULL;
    const int64_t *rows = PyArray_DATA(ra);
    npy_intp m = PyArray_SIZE(ra);
    size_t *cols = NULL, n;
    PyObject *d = NULL;
    if (check_rows(self, rows, m) < 0 || parse_cols(self, nargs > 1 ? args[1] : Py_None, &cols, &n) < 0)
        goto done;
    d = _PyDict_NewPresized((Py_ssize_t)n);
    for (size_t k = 0; d && k < n; k++) {
        size_t c = cols ? cols[k] : k;
        PyObject *l = PyList_New(m);
        if (!l) { Py_CLEAR(d); break; }
        for (npy_intp j = 0; j < m; j++) {
            size_t b;
            int64_t r;
            hfc_arrow_table_locate(self->t, rows[j], &b, &r);
            PyObject *v = value_to_py(&self->t->batches[b].columns[c], r);
            if (!v) { Py_CLEAR(l); break; }
            PyList_SET_ITEM(l, j, v);
        }
        if (!l || PyDict_SetItem(d, PyTuple_GET_ITEM(self->names, (Py_ssize_t)c), l) < 0) {
            Py_XDECREF(l);
            Py_CLEAR(d);
            break;
        }
        Py_DECREF(l);
    }
done:
    PyMem_Free(cols);
    Py_DECREF(ra);
    return d;
}

/* ---- zero-copy views ---- */

static PyObject *view(ArrowTableObject *self, const void *p, npy_intp n, int typenum) {
    static const uint8_t empty[8];
    PyObject *a = PyArray_New(&PyArray_Type, 1, &n, typenum, NULL, (void *)(p ? p : empty), 0,
                              NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED, NULL);
    if (!a) return NULL;
    PyArray_CLEARFLAGS((PyArrayObject *)a, NPY_ARRAY_WRITEABLE);
    if (PyArray_SetBaseObject((PyArrayObject *)a, Py_NewRef(self)) < 0) {
        Py_DECREF(a);
        return NULL;
    }
    return a;
}

static int npy_type(hfc_arrow_type t) {
    switch (t) {
    case HFC_ARROW_INT8: return NPY_INT8;
    case HFC_ARROW_INT16: return NPY_INT16;
    case HFC_ARROW_INT32: return NPY_INT32;
    case HFC_ARROW_INT64: return NPY_INT64;
    case HFC_ARROW_UINT8: return NPY_UINT8;
    case HFC_ARROW_UINT16: return NPY_UINT16;
    case HFC_ARROW_UINT32: return NPY_UINT32;
    case HFC_ARROW_UINT64: return NPY_UINT64;
    case HFC_ARROW_FLOAT16: return NPY_FLOAT16;
    case HFC_ARROW_FLOAT32: return NPY_FLOAT32;
    case HFC_ARROW_FLOAT64: return NPY_FLOAT64;
    default: return -1;
    }
}

/* An array's buffers: (type, length, null_count, validity|None, values|None, data|None,
 * [children], dictionary|None). Values are typed NumPy views (offsets as int32/int64,
 * bools and validity as packed uint8). */
static PyObject *array_to_py(ArrowTableObject *self, const hfc_arrow_array *a) {
    PyObject *validity = NULL, *values = NULL, *data = NULL, *children = NULL, *dict = NULL;
    int64_t n = a->length;
    if (a->validity) validity = view(self, a->validity, (npy_intp)((n + 7) / 8), NPY_UINT8);
    else validity = Py_NewRef(Py_None);
    int nt = npy_type(a->type);
    switch (a->type) {
    case HFC_ARROW_NA: case HFC_ARROW_STRUCT: case HFC_ARROW_FIXED_SIZE_LIST:
        values = Py_NewRef(Py_None);
        break;
    case HFC_ARROW_BOOL: values = view(self, a->values, (npy_intp)((n + 7) / 8), NPY_UINT8); break;
    case HFC_ARROW_UTF8: case HFC_ARROW_BINARY: case HFC_ARROW_LIST:
        values = view(self, a->values, n ? (npy_intp)n + 1 : 0, NPY_INT32);
        break;
    case HFC_ARROW_LARGE_UTF8: case HFC_ARROW_LARGE_BINARY: case HFC_ARROW_LARGE_LIST:
        values = view(self, a->values, n ? (npy_intp)n + 1 : 0, NPY_INT64);
        break;
    case HFC_ARROW_FIXED_SIZE_BINARY:
        values = view(self, a->values, (npy_intp)(n * a->field->fixed_size), NPY_UINT8);
        break;
    default: values = view(self, a->values, (npy_intp)n, nt); break;
    }
    if (a->data && a->type != HFC_ARROW_FIXED_SIZE_BINARY && hfc_arrow_type_width(a->type) == 0)
        data = view(self, a->data, (npy_intp)a->data_len, NPY_UINT8);
    else
        data = Py_NewRef(Py_None);
    children = PyList_New((Py_ssize_t)a->n_children);
    for (size_t i = 0; children && i < a->n_children; i++) {
        PyObject *c = array_to_py(self, &a->children[i]);
        if (!c) Py_CLEAR(children);
        else PyList_SET_ITEM(children, (Py_ssize_t)i, c);
    }
    dict = a->indices && a->dictionary ? array_to_py(self, a->dictionary) : Py_NewRef(Py_None);
    if (!validity || !values || !data || !children || !dict) {
        Py_XDECREF(validity); Py_XDECREF(values); Py_XDECREF(data);
        Py_XDECREF(children); Py_XDECREF(dict);
        return NULL;
    }
    return Py_BuildValue("(sLLNNNNN)", hfc_arrow_type_name(a->type), (long long)n,
                         (long long)a->null_count, validity, values, data, children, dict);
}

/* chunks(col) -> [array tuple per record batch] */
static PyObject *ArrowTable_chunks(ArrowTableObject *self, PyObject *arg) {
    Py_ssize_t c = PyLong_AsSsize_t(arg);
    if (c == -1 && PyErr_Occurred()) return NULL;
    if (c < 0 || (size_t)c >= self->t->n_fields) {
        PyErr_Format(PyExc_IndexError, "column index %zd out of range", c);
        return NULL;
    }
    PyObject *l = PyList_New((Py_ssize_t)self->t->n_batches);
    for (size_t b = 0; l && b < self->t->n_batches; b++) {
        PyObject *x = array_to_py(self, &self->t->batches[b].columns[c]);
        if (!x) Py_CLEAR(l);
        else PyList_SET_ITEM(l, (Py_ssize_t)b, x);
    }
    return l;
}

/* null_count(col) -> total nulls of a top-level column over all batches */
static PyObject *ArrowTable_null_count(ArrowTableObject *self, PyObject *arg) {
    Py_ssize_t c = PyLong_AsSsize_t(arg);
    if (c == -1 && PyErr_Occurred()) return NULL;
    if (c < 0 || (size_t)c >= self->t->n_fields) {
        PyErr_Format(PyExc_IndexError, "column index %zd out of range", c);
        return NULL;
    }
    long long n = 0;
    for (size_t b = 0; b < self->t->n_batches; b++) n += self->t->batches[b].columns[c].null_count;
    return PyLong_FromLongLong(n);
}

/* chunk(col, batch) -> the array tuple of one record batch */
static PyObject *ArrowTable_chunk(ArrowTableObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Py_ssize_t c, b;
    if (nargs != 2) { PyErr_SetString(PyExc_TypeError, "chunk(column, batch)"); return NULL; }
    if ((c = PyLong_AsSsize_t(args[0])) == -1 && PyErr_Occurred()) return NULL;
    if ((b = PyLong_AsSsize_t(args[1])) == -1 && PyErr_Occurred()) return NULL;
    if (c < 0 || (size_t)c >= self->t->n_fields || b < 0 || (size_t)b >= self->t->n_batches) {
        PyErr_Format(PyExc_IndexError, "column %zd / batch %zd out of range", c, b);
        return NULL;
    }
    return array_to_py(self, &self->t->batches[b].columns[c]);
}

/* gather(col, rows) -> ndarray of a fixed-width column's values at rows */
static PyObject *ArrowTable_gather(ArrowTableObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Py_ssize_t c;
    if (nargs != 2) { PyErr_SetString(PyExc_TypeError, "gather(column, rows)"); return NULL; }
    if ((c = PyLong_AsSsize_t(args[0])) == -1 && PyErr_Occurred()) return NULL;
    if (c < 0 || (size_t)c >= self->t->n_fields) {
        PyErr_Format(PyExc_IndexError, "column index %zd out of range", c);
        return NULL;
    }
    int nt = npy_type(self->t->fields[c].type);
    if (nt < 0 || self->t->fields[c].dictionary) {
        PyErr_Format(PyExc_TypeError, "gather: column '%s' is not fixed-width",
                     self->t->fields[c].name);
        return NULL;
    }
    PyArrayObject *ra = as_rows(args[1]);
    if (!ra) return NULL;
    npy_intp m = PyArray_SIZE(ra);
    PyObject *out = PyArray_SimpleNew(1, &m, nt);
    hfc_status st = HFC_OK;
    if (out) {
        Py_BEGIN_ALLOW_THREADS
        st = hfc_arrow_gather_fixed(self->t, (size_t)c, PyArray_DATA(ra), (size_t)m,
                                    PyArray_DATA((PyArrayObject *)out));
        Py_END_ALLOW_THREADS
    }
    Py_DECREF(ra);
    if (st != HFC_OK) { Py_XDECREF(out); return hfc_py_raise(st); }
    return out;
}

static void free_capsule(PyObject *cap) { hfc_free(PyCapsule_GetPointer(cap, "hfc.buf")); }

/* pack(col, rows|None, block_size, eos_id, group_rows=0) -> int32 ndarray (n_blocks, block_size) */
static PyObject *ArrowTable_pack(ArrowTableObject *self, PyObject *args) {
    Py_ssize_t c;
    PyObject *rows_obj;
    long long block, eos, group = 0;
    if (!PyArg_ParseTuple(args, "nOLL|L:pack", &c, &rows_obj, &block, &eos, &group)) return NULL;
    if (c < 0 || (size_t)c >= self->t->n_fields) {
        PyErr_Format(PyExc_IndexError, "column index %zd out of range", c);
        return NULL;
    }
    PyArrayObject *ra = NULL;
    if (rows_obj != Py_None && !(ra = as_rows(rows_obj))) return NULL;
    int32_t *out = NULL;
    int64_t nb = 0;
    hfc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = hfc_arrow_pack(self->t, (size_t)c, ra ? PyArray_DATA(ra) : NULL,
                        ra ? (int64_t)PyArray_SIZE(ra) : 0, block, eos, group, &out, &nb);
    Py_END_ALLOW_THREADS
    Py_XDECREF(ra);
    if (st != HFC_OK) return hfc_py_raise(st);
    npy_intp dims[2] = {(npy_intp)nb, (npy_intp)block};
    PyObject *a = PyArray_SimpleNewFromData(2, dims, NPY_INT32, out);
    PyObject *cap = a ? PyCapsule_New(out, "hfc.buf", free_capsule) : NULL;
    if (!cap) { Py_XDECREF(a); hfc_free(out); return NULL; }
    if (PyArray_SetBaseObject((PyArrayObject *)a, cap) < 0) { Py_DECREF(a); return NULL; }
    return a;
}

static hfc_arrow_type arrow_type_of(PyArrayObject *a) {
    switch (PyArray_TYPE(a)) {
    case NPY_INT8: return HFC_ARROW_INT8;
    case NPY_INT16: return HFC_ARROW_INT16;
    case NPY_INT32: return HFC_ARROW_INT32;
    case NPY_INT64: return HFC_ARROW_INT64;
    case NPY_UINT8: return HFC_ARROW_UINT8;
    case NPY_UINT16: return HFC_ARROW_UINT16;
    case NPY_UINT32: return HFC_ARROW_UINT32;
    case NPY_UINT64: return HFC_ARROW_UINT64;
    case NPY_FLOAT32: return HFC_ARROW_FLOAT32;
    case NPY_FLOAT64: return HFC_ARROW_FLOAT64;
    default: return HFC_ARROW_NA;
    }
}

/* Flat list columns from Python: names (list of str), arrays (one 1-D numeric array
 * each), offsets (n_rows + 1 int64; ignored when fixed > 0). Fills cols[0..n) and holds
 * references (held[], *offs) released by free_flat_lists. -1 with an exception. */
typedef struct flat_lists {
    Py_ssize_t n;
    PyObject **held;
    hfc_arrow_list_column *cols;
    PyArrayObject *offs;
} flat_lists;

static void free_flat_lists(flat_lists *fl) {
    for (Py_ssize_t i = 0; fl->held && i < fl->n; i++) Py_XDECREF(fl->held[i]);
    Py_XDECREF(fl->offs);
    PyMem_Free(fl->held);
    PyMem_Free(fl->cols);
}

static int parse_flat_lists(PyObject *names, PyObject *arrays, PyObject *offs_obj,
                            long long n_rows, int fixed, flat_lists *fl) {
    memset(fl, 0, sizeof *fl);
    if (!PyList_Check(names) || !PyList_Check(arrays) ||
        PyList_GET_SIZE(arrays) != PyList_GET_SIZE(names)) {
        PyErr_SetString(PyExc_ValueError, "list columns: one array per name (two lists)");
        return -1;
    }
    Py_ssize_t n = fl->n = PyList_GET_SIZE(names);
    fl->held = PyMem_Calloc((size_t)n + 1, sizeof *fl->held);
    fl->cols = PyMem_Calloc((size_t)n + 1, sizeof *fl->cols);
    if (!fl->held || !fl->cols) { PyErr_NoMemory(); return -1; }
    if (fixed <= 0) {
        fl->offs = (PyArrayObject *)PyArray_FROMANY(offs_obj, NPY_INT64, 1, 1, NPY_ARRAY_CARRAY_RO);
        if (!fl->offs) return -1;
        if (PyArray_SIZE(fl->offs) != n_rows + 1) {
            PyErr_SetString(PyExc_ValueError, "list columns: offsets must have n_rows + 1 items");
            return -1;
        }
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyArrayObject *a = (PyArrayObject *)PyArray_FROMANY(PyList_GET_ITEM(arrays, i), NPY_NOTYPE,
                                                            1, 1, NPY_ARRAY_CARRAY_RO);
        if (!a) return -1;
        fl->held[i] = (PyObject *)a;
        if (!(fl->cols[i].name = PyUnicode_AsUTF8(PyList_GET_ITEM(names, i)))) return -1;
        fl->cols[i].type = arrow_type_of(a);
        fl->cols[i].values = PyArray_DATA(a);
        int64_t need = fixed > 0 ? n_rows * fixed : ((const int64_t *)PyArray_DATA(fl->offs))[n_rows];
        if (fl->cols[i].type == HFC_ARROW_NA || PyArray_SIZE(a) < need) {
            PyErr_Format(PyExc_ValueError, "list column '%s' needs %lld numeric values",
                         fl->cols[i].name, (long long)need);
            return -1;
        }
    }
    return 0;
}

/* Schema metadata dict (str -> str, or NULL) as two arrays of UTF-8 pointers borrowed
 * from the dict (PyMem-allocated; the caller frees both). -1 with an exception. */
static int meta_arrays(PyObject *meta, const char ***keys, const char ***vals) {
    Py_ssize_t n = meta ? PyDict_Size(meta) : 0;
    *keys = PyMem_Calloc((size_t)n + 1, sizeof **keys);
    *vals = PyMem_Calloc((size_t)n + 1, sizeof **vals);
    if (!*keys || !*vals) { PyErr_NoMemory(); return -1; }
    Py_ssize_t pos = 0, k = 0;
    PyObject *key, *val;
    while (meta && PyDict_Next(meta, &pos, &key, &val)) {
        if (!((*keys)[k] = PyUnicode_AsUTF8(key)) || !((*vals)[k] = PyUnicode_AsUTF8(val))) return -1;
        k++;
    }
    return 0;
}

/* write(path, rows=None, columns=None, batch_rows=1000, metadata={}, lists=None): the
 * table's rows/columns, plus flat list columns appended when lists = (names, arrays,
 * offsets|None, fixed_size) (offsets over the written rows). */
static PyObject *ArrowTable_write(ArrowTableObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"path", "rows", "columns", "batch_rows", "metadata", "lists", NULL};
    PyObject *path_b = NULL, *rows_obj = Py_None, *cols_obj = Py_None, *meta = NULL;
    PyObject *lists = Py_None;
    long long batch_rows = 1000;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|OOLO!O:write", kwlist, PyUnicode_FSConverter,
                                     &path_b, &rows_obj, &cols_obj, &batch_rows, &PyDict_Type,
                                     &meta, &lists))
        return NULL;
    PyArrayObject *ra = NULL;
    size_t *cols = NULL, n_cols = 0, *list_pos = NULL;
    const char **keys = NULL, **vals = NULL;
    PyObject *result = NULL;
    flat_lists fl = {0};
    if (rows_obj != Py_None) {
        if (!(ra = as_rows(rows_obj))) goto done;
        if (check_rows(self, PyArray_DATA(ra), PyArray_SIZE(ra)) < 0) goto done;
    }
    long long n_out = ra ? (long long)PyArray_SIZE(ra) : self->t->num_rows;
    int fixed = 0;
    if (lists != Py_None) {
        PyObject *ln, *la, *lo, *lp = Py_None;
        if (!PyArg_ParseTuple(lists, "OOOi|O:write lists", &ln, &la, &lo, &fixed, &lp)) goto done;
        if (parse_flat_lists(ln, la, lo, n_out, fixed, &fl) < 0) goto done;
        if (lp != Py_None) {
            Py_ssize_t np_ = PySequence_Size(lp);
            if (np_ < 0) goto done;
            if (np_ != fl.n) {
                PyErr_SetString(PyExc_ValueError, "write: one position per list column");
                goto done;
            }
            if (!(list_pos = PyMem_Malloc(((size_t)np_ + 1) * sizeof *list_pos))) {
                PyErr_NoMemory();
                goto done;
            }
            for (Py_ssize_t k = 0; k < np_; k++) {
                PyObject *it = PySequence_GetItem(lp, k);
                size_t v = it ? PyLong_AsSize_t(it) : (size_t)-1;
                Py_XDECREF(it);
                if (v == (size_t)-1 && PyErr_Occurred()) goto done;
                list_pos[k] = v;
            }
        }
    }
    if (parse_cols(self, cols_obj, &cols, &n_cols) < 0) goto done;
    if (meta_arrays(meta, &keys, &vals) < 0) goto done;
    hfc_arrow_write_opts o = {
        .rows = ra ? PyArray_DATA(ra) : NULL, .n_rows = ra ? (int64_t)PyArray_SIZE(ra) : 0,
        .cols = cols, .n_cols = n_cols, .batch_rows = batch_rows,
        .meta_keys = keys, .meta_values = vals, .n_meta = meta ? (size_t)PyDict_Size(meta) : 0,
        .lists = fl.cols, .n_lists = (size_t)fl.n,
        .list_offsets = fl.offs ? PyArray_DATA(fl.offs) : NULL, .list_fixed_size = fixed,
        .list_pos = list_pos};
    hfc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = hfc_arrow_write_stream(self->t, &o, PyBytes_AS_STRING(path_b));
    Py_END_ALLOW_THREADS
    if (st != HFC_OK) { hfc_py_raise(st); goto done; }
    result = Py_NewRef(Py_None);
done:
    free_flat_lists(&fl);
    PyMem_Free(list_pos);
    Py_XDECREF(ra);
    PyMem_Free(cols);
    PyMem_Free(keys);
    PyMem_Free(vals);
    Py_DECREF(path_b);
    return result;
}

/* An owning 1-D array over hfc_malloc'ed memory (freed with the array). */
static PyObject *owned_array(void *p, npy_intp n, int typenum) {
    PyObject *a = PyArray_SimpleNewFromData(1, &n, typenum, p);
    PyObject *cap = a ? PyCapsule_New(p, "hfc.buf", free_capsule) : NULL;
    if (!cap) { Py_XDECREF(a); hfc_free(p); return NULL; }
    if (PyArray_SetBaseObject((PyArrayObject *)a, cap) < 0) { Py_DECREF(a); return NULL; }
    return a;
}

/* tokenize(tokenizer, col, rows|None, add_special_tokens) -> (ids int32, offsets int64) */
static PyObject *ArrowTable_tokenize(ArrowTableObject *self, PyObject *args) {
    PyObject *tok_obj, *rows_obj, *hold = NULL;
    Py_ssize_t c;
    int add_special, want_types = 0;
    if (!PyArg_ParseTuple(args, "OnOp|p:tokenize", &tok_obj, &c, &rows_obj, &add_special,
                          &want_types))
        return NULL;
    if (c < 0 || (size_t)c >= self->t->n_fields) {
        PyErr_Format(PyExc_IndexError, "column index %zd out of range", c);
        return NULL;
    }
    /* the rows first: converting them may run Python code, which must not run while the
     * tokenizer's settings are read-locked (it could want to change them) */
    PyArrayObject *ra = NULL;
    if (rows_obj != Py_None && !(ra = as_rows(rows_obj))) return NULL;
    const hfc_tokenizer *tok = hfc_py_tokenizer_acquire(tok_obj, &hold);
    if (!tok) { Py_XDECREF(ra); return NULL; }
    int32_t *ids = NULL;
    int64_t *offs = NULL;
    uint8_t *types = NULL;
    int64_t n = ra ? (int64_t)PyArray_SIZE(ra) : self->t->num_rows;
    hfc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = hfc_arrow_tokenize_ex(self->t, (size_t)c, ra ? PyArray_DATA(ra) : NULL, n, tok,
                               add_special != 0, &ids, &offs, want_types ? &types : NULL);
    Py_END_ALLOW_THREADS
    Py_XDECREF(ra);
    hfc_py_tokenizer_release(hold);
    if (st != HFC_OK) return hfc_py_raise(st);
    npy_intp total = (npy_intp)offs[n];
    PyObject *o = owned_array(offs, (npy_intp)n + 1, NPY_INT64);
    if (!o) { hfc_free(ids); hfc_free(types); return NULL; }
    PyObject *v = owned_array(ids, total, NPY_INT32);
    if (!v) { Py_DECREF(o); hfc_free(types); return NULL; }
    if (!want_types) return Py_BuildValue("(NN)", v, o);
    PyObject *ty = owned_array(types, total, NPY_UINT8);
    if (!ty) { Py_DECREF(o); Py_DECREF(v); return NULL; }
    return Py_BuildValue("(NNN)", v, o, ty);
}

/* gather_lists(col, rows) -> (values, offsets int64): rows of a list column, copied */
static PyObject *ArrowTable_gather_lists(ArrowTableObject *self, PyObject *const *args,
                                         Py_ssize_t nargs) {
    Py_ssize_t c;
    if (nargs != 2) { PyErr_SetString(PyExc_TypeError, "gather_lists(column, rows)"); return NULL; }
    if ((c = PyLong_AsSsize_t(args[0])) == -1 && PyErr_Occurred()) return NULL;
    if (c < 0 || (size_t)c >= self->t->n_fields) {
        PyErr_Format(PyExc_IndexError, "column index %zd out of range", c);
        return NULL;
    }
    const hfc_arrow_field *f = &self->t->fields[c];
    int nt = f->n_children ? npy_type(f->children[0].type) : -1;
    if (nt < 0) {
        PyErr_Format(PyExc_TypeError, "gather_lists: column '%s' is not a list of numbers", f->name);
        return NULL;
    }
    PyArrayObject *ra = as_rows(args[1]);
    if (!ra) return NULL;
    npy_intp m = PyArray_SIZE(ra);
    int64_t *offs = hfc_malloc(((size_t)m + 1) * sizeof *offs);
    void *vals = NULL;
    hfc_status st = offs ? HFC_OK : hfc_fail(HFC_ERR_NOMEM, "gather_lists: out of memory");
    if (st == HFC_OK) {
        Py_BEGIN_ALLOW_THREADS
        st = hfc_arrow_gather_lists(self->t, (size_t)c, PyArray_DATA(ra), (size_t)m, &vals, offs);
        Py_END_ALLOW_THREADS
    }
    Py_DECREF(ra);
    if (st != HFC_OK) { hfc_free(offs); return hfc_py_raise(st); }
    npy_intp nv = (npy_intp)offs[m];
    PyObject *o = owned_array(offs, m + 1, NPY_INT64);
    if (!o) { hfc_free(vals); return NULL; }
    PyObject *v = owned_array(vals, nv, nt);
    if (!v) { Py_DECREF(o); return NULL; }
    return Py_BuildValue("(NN)", v, o);
}

static PyObject *ArrowTable_reduce(ArrowTableObject *self, PyObject *unused) {
    return Py_BuildValue("(O(O))", Py_TYPE(self), self->paths);
}

static PyMethodDef ArrowTable_methods[] = {
    {"schema", (PyCFunction)ArrowTable_schema, METH_NOARGS, "fields as nested dicts"},
    {"row", (PyCFunction)(void (*)(void))ArrowTable_row, METH_FASTCALL,
     "row(i, columns=None) -> dict of Python values"},
    {"rows", (PyCFunction)(void (*)(void))ArrowTable_rows, METH_FASTCALL,
     "rows(indices, columns=None) -> dict of lists"},
    {"chunks", (PyCFunction)ArrowTable_chunks, METH_O,
     "chunks(column) -> per batch (type, length, null_count, validity, values, data, "
     "children, dictionary), zero-copy NumPy views"},
    {"chunk", (PyCFunction)(void (*)(void))ArrowTable_chunk, METH_FASTCALL,
     "chunk(column, batch) -> one batch's array tuple (see chunks)"},
    {"null_count", (PyCFunction)ArrowTable_null_count, METH_O,
     "null_count(column) -> nulls of the column over all batches"},
    {"gather", (PyCFunction)(void (*)(void))ArrowTable_gather, METH_FASTCALL,
     "gather(column, rows) -> ndarray of a fixed-width column at rows"},
    {"pack", (PyCFunction)ArrowTable_pack, METH_VARARGS,
     "pack(column, rows|None, block_size, eos_id|-1, group_rows=0) -> int32 (n_blocks, "
     "block_size); group_rows > 0: each group of that many rows drops its own remainder"},
    {"write", (PyCFunction)(void (*)(void))ArrowTable_write, METH_VARARGS | METH_KEYWORDS,
     "write(path, rows=None, columns=None, batch_rows=1000, metadata=None, lists=None): Arrow "
     "IPC stream; lists = (names, arrays, offsets|None, fixed_size[, positions]) adds flat "
     "list columns (at `positions` among the output columns, else last)"},
    {"gather_lists", (PyCFunction)(void (*)(void))ArrowTable_gather_lists, METH_FASTCALL,
     "gather_lists(column, rows) -> (values, offsets): rows of a list column, copied in C"},
    {"tokenize", (PyCFunction)ArrowTable_tokenize, METH_VARARGS,
     "tokenize(tokenizer, column, rows|None, add_special_tokens) -> (ids int32, offsets int64)"},
    {"__reduce__", (PyCFunction)ArrowTable_reduce, METH_NOARGS, "pickles as its paths"},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef ArrowTable_getset[] = {
    {"num_rows", (getter)ArrowTable_num_rows, NULL, "rows in all files", NULL},
    {"num_batches", (getter)ArrowTable_num_batches, NULL, "record batches", NULL},
    {"batch_offsets", (getter)ArrowTable_batch_rows, NULL, "first row of each batch + num_rows", NULL},
    {"paths", (getter)ArrowTable_paths, NULL, "the files", NULL},
    {"column_names", (getter)ArrowTable_names, NULL, "top-level field names", NULL},
    {"metadata", (getter)ArrowTable_metadata, NULL, "schema metadata (str -> str)", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static Py_ssize_t ArrowTable_len(ArrowTableObject *self) { return (Py_ssize_t)self->t->num_rows; }

static PyType_Slot ArrowTable_slots[] = {
    {Py_tp_new, ArrowTable_new},
    {Py_tp_dealloc, ArrowTable_dealloc},
    {Py_tp_methods, ArrowTable_methods},
    {Py_tp_getset, ArrowTable_getset},
    {Py_sq_length, ArrowTable_len},
    {Py_tp_doc, (void *)"ArrowTable(paths): memory-mapped Arrow IPC files sharing a schema."},
    {0, NULL},
};

/* _write_lists(path, names, values_arrays, offsets|None, n_rows, fixed_size, batch_rows,
 *              metadata) -> None: list (or fixed-size list) columns from flat arrays. */
static PyObject *write_lists(PyObject *mod, PyObject *args) {
    PyObject *path_b = NULL, *names, *arrays, *offs_obj, *meta;
    long long n_rows, batch_rows;
    int fixed;
    if (!PyArg_ParseTuple(args, "O&OOOLiLO!:_write_lists", PyUnicode_FSConverter, &path_b,
                          &names, &arrays, &offs_obj, &n_rows, &fixed, &batch_rows, &PyDict_Type,
                          &meta))
        return NULL;
    flat_lists fl;
    const char **keys = NULL, **vals = NULL;
    PyObject *result = NULL;
    if (parse_flat_lists(names, arrays, offs_obj, n_rows, fixed, &fl) < 0 ||
        meta_arrays(meta, &keys, &vals) < 0)
        goto done;
    hfc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = hfc_arrow_write_lists(PyBytes_AS_STRING(path_b), fl.cols, (size_t)fl.n,
                               fl.offs ? PyArray_DATA(fl.offs) : NULL, n_rows, fixed, batch_rows,
                               keys, vals, (size_t)PyDict_Size(meta));
    Py_END_ALLOW_THREADS
    if (st != HFC_OK) { hfc_py_raise(st); goto done; }
    result = Py_NewRef(Py_None);
done:
    free_flat_lists(&fl);
    PyMem_Free(keys);
    PyMem_Free(vals);
    Py_DECREF(path_b);
    return result;
}

/* ---- _DatasetBase: the C part of hfc.datasets.Dataset ----
 * Holds the table, the index mapping and the format as attributes the Python subclass
 * sets (_table, _indices, _format_type, _format_columns). ds[i] for a plain int on an
 * unformatted dataset is answered here in one C call (mapping + all columns into a
 * dict); every other key goes to the subclass's _getitem(key). len(ds) is here too. */

typedef struct {
    PyObject_HEAD
    PyObject *table, *indices, *format_type, *format_columns;
    /* Derived when any of those is set: `fast` is the table when ds[int] can be answered
     * here (an ArrowTable, no format, no mapping or an int64 index array), else NULL; `ix`
     * points into `ix_view`, a view of the mapping held so that the array cannot be
     * resized under it (numpy refuses while another reference exists). */
    ArrowTableObject *fast;
    PyObject *ix_view;
    const int64_t *ix;
    int64_t ix_n;
} DatasetBaseObject;

static PyObject *str_getitem; /* interned "_getitem" */

static PyObject *DatasetBase_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    return type->tp_alloc(type, 0);
}

static int DatasetBase_traverse(DatasetBaseObject *self, visitproc visit, void *arg) {
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->table);
    Py_VISIT(self->indices);
    Py_VISIT(self->format_type);
    Py_VISIT(self->format_columns);
    Py_VISIT(self->ix_view);
    return 0;
}

static int DatasetBase_clear(DatasetBaseObject *self) {
    self->fast = NULL;
    self->ix = NULL;
    Py_CLEAR(self->ix_view);
    Py_CLEAR(self->table);
    Py_CLEAR(self->indices);
    Py_CLEAR(self->format_type);
    Py_CLEAR(self->format_columns);
    return 0;
}

static void DatasetBase_dealloc(DatasetBaseObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    DatasetBase_clear(self);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static inline int is_none(PyObject *o) { return !o || o == Py_None; }

static int DatasetBase_derive(DatasetBaseObject *self) {
    self->fast = NULL;
    self->ix = NULL;
    self->ix_n = 0;
    Py_CLEAR(self->ix_view);
    PyObject *t = self->table;
    if (!t || Py_TYPE(t)->tp_dealloc != (destructor)ArrowTable_dealloc ||
        !is_none(self->format_type) || !is_none(self->format_columns))
        return 0;
    if (!is_none(self->indices)) {
        if (!is_index_array(self->indices)) return 0;
        PyObject *v = PyArray_View((PyArrayObject *)self->indices, NULL, NULL);
        if (!v) return -1;
        self->ix_view = v;
        self->ix = PyArray_DATA((PyArrayObject *)v);
        self->ix_n = (int64_t)PyArray_DIM((PyArrayObject *)v, 0);
    }
    self->fast = (ArrowTableObject *)t;
    return 0;
}

static PyObject *DatasetBase_subscript(DatasetBaseObject *self, PyObject *key) {
    ArrowTableObject *at = self->fast;
    if (at && PyLong_CheckExact(key)) {
        long long pos = PyLong_AsLongLong(key);
        if (pos == -1 && PyErr_Occurred()) return NULL;
        long long n = self->ix ? self->ix_n : at->num_rows;
        if (pos < 0) pos += n;
        if (pos < 0 || pos >= n) {
            PyErr_Format(PyExc_IndexError, "Index %lld out of range for dataset of size %lld",
                         pos, n);
            return NULL;
        }
        long long row = pos;
        if (self->ix) {
            row = self->ix[pos];
            if (row < 0 || row >= at->num_rows) {
                PyErr_Format(PyExc_IndexError, "index mapping points at row %lld of %lld", row,
                             (long long)at->num_rows);
                return NULL;
            }
        }
        return row_dict(at, row, NULL, at->n_fields);
    }
    return PyObject_CallMethodOneArg((PyObject *)self, str_getitem, key);
}

static Py_ssize_t DatasetBase_length(DatasetBaseObject *self) {
    if (self->fast) return (Py_ssize_t)(self->ix ? self->ix_n : self->fast->num_rows);
    if (!is_none(self->indices) && PyArray_Check(self->indices))
        return (Py_ssize_t)PyArray_SIZE((PyArrayObject *)self->indices);
    if (self->table && Py_TYPE(self->table)->tp_dealloc == (destructor)ArrowTable_dealloc)
        return (Py_ssize_t)((ArrowTableObject *)self->table)->t->num_rows;
    return PyObject_Size(is_none(self->indices) ? self->table : self->indices);
}

/* The four attributes, each re-deriving the fast path when set. */
static PyObject *DatasetBase_get(DatasetBaseObject *self, void *off) {
    PyObject *v = *(PyObject **)((char *)self + (size_t)off);
    return Py_NewRef(v ? v : Py_None);
}

static int DatasetBase_set(DatasetBaseObject *self, PyObject *value, void *off) {
    PyObject **slot = (PyObject **)((char *)self + (size_t)off);
    Py_XSETREF(*slot, Py_XNewRef(value));
    return DatasetBase_derive(self);
}

#define DS_ATTR(name, field, doc) \
    {name, (getter)DatasetBase_get, (setter)DatasetBase_set, doc, \
     (void *)offsetof(DatasetBaseObject, field)}
static PyGetSetDef DatasetBase_getset[] = {
    DS_ATTR("_table", table, "the ArrowTable"),
    DS_ATTR("_indices", indices, "index mapping (int64 array) or None"),
    DS_ATTR("_format_type", format_type, "None (python), 'numpy' or 'torch'"),
    DS_ATTR("_format_columns", format_columns, "formatted columns or None"),
    {NULL, NULL, NULL, NULL, NULL},
};
#undef DS_ATTR

static PyType_Slot DatasetBase_slots[] = {
    {Py_tp_new, DatasetBase_new},
    {Py_tp_dealloc, DatasetBase_dealloc},
    {Py_tp_traverse, DatasetBase_traverse},
    {Py_tp_clear, DatasetBase_clear},
    {Py_tp_getset, DatasetBase_getset},
    {Py_mp_subscript, DatasetBase_subscript},
    {Py_mp_length, DatasetBase_length},
    {Py_tp_doc, (void *)"Base of hfc.datasets.Dataset: ds[int] and len(ds) in C."},
    {0, NULL},
};

static PyType_Spec DatasetBase_spec = {
    .name = "hfc._C._DatasetBase",
    .basicsize = sizeof(DatasetBaseObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = DatasetBase_slots,
};

static PyMethodDef datasets_module_methods[] = {
    {"_arrow_write_lists", write_lists, METH_VARARGS,
     "_arrow_write_lists(path, names, arrays, offsets|None, n_rows, fixed_size, batch_rows, "
     "metadata): Arrow IPC stream of list columns from flat arrays"},
    {NULL, NULL, 0, NULL},
};

static PyType_Spec ArrowTable_spec = {
    .name = "hfc._C.ArrowTable",
    .basicsize = sizeof(ArrowTableObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = ArrowTable_slots,
};

int hfc_py_init_datasets(PyObject *m) {
    if (!str_getitem && !(str_getitem = PyUnicode_InternFromString("_getitem"))) return -1;
    PyObject *tp = PyType_FromModuleAndSpec(m, &ArrowTable_spec, NULL);
    if (!tp) return -1;
    hfc_py_get_state(m)->datasets[DS_ARROW_TABLE] = Py_NewRef(tp);
    if (PyModule_AddFunctions(m, datasets_module_methods) < 0) {
        Py_DECREF(tp);
        return -1;
    }
    if (PyModule_AddObject(m, "ArrowTable", tp) < 0) {
        Py_DECREF(tp);
        return -1;
    }
    PyObject *base = PyType_FromModuleAndSpec(m, &DatasetBase_spec, NULL);
    if (!base) return -1;
    hfc_py_get_state(m)->datasets[DS_DATASET_BASE] = Py_NewRef(base);
    if (PyModule_AddObject(m, "_DatasetBase", base) < 0) {
        Py_DECREF(base);
        return -1;
    }
    return 0;
}
