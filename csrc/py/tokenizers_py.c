/* hfc._C.Tokenizer: the binding of the C tokenizer (csrc/tokenizers/).
 *
 * One Tokenizer is shared freely between Python threads: the core tokenizer is immutable
 * during encodes, and each call borrows a scratch from a small mutex-protected pool. The
 * GIL is released around all core work; encode_batch runs on hfc's worker pool.
 * Encodings come back as tuples of lists that python/hfc/tokenizers.py wraps in an
 * Encoding class mirroring tokenizers.Encoding (offsets in characters, as HF's binding). */
#include "hfc_py.h"
#include "hfc/tokenizers.h"

#include <pthread.h>
#include <string.h>

#define SCRATCH_POOL 64

typedef struct {
    PyObject_HEAD
    hfc_tokenizer *tok;
    pthread_mutex_t lock; /* guards the scratch pool and settings changes */
    pthread_rwlock_t settings; /* encodes hold read, setting changes hold write */
    hfc_tk_scratch *pool[SCRATCH_POOL];
    int npool;
} TokenizerObject;

static hfc_status borrow_scratch(TokenizerObject *self, hfc_tk_scratch **out) {
    pthread_mutex_lock(&self->lock);
    hfc_tk_scratch *s = self->npool ? self->pool[--self->npool] : NULL;
    pthread_mutex_unlock(&self->lock);
    if (s) {
        *out = s;
        return HFC_OK;
    }
    return hfc_tk_scratch_create(out);
}

static void return_scratch(TokenizerObject *self, hfc_tk_scratch *s) {
    pthread_mutex_lock(&self->lock);
    if (self->npool < SCRATCH_POOL) {
        self->pool[self->npool++] = s;
        s = NULL;
    }
    pthread_mutex_unlock(&self->lock);
    hfc_tk_scratch_free(s);
}

static PyObject *wrap(PyTypeObject *type, hfc_tokenizer *tok) {
    TokenizerObject *self = (TokenizerObject *)type->tp_alloc(type, 0);
    if (!self) {
        hfc_tokenizer_free(tok);
        return NULL;
    }
    self->tok = tok;
    pthread_mutex_init(&self->lock, NULL);
    pthread_rwlock_init(&self->settings, NULL);
    self->npool = 0;
    return (PyObject *)self;
}

static void Tokenizer_dealloc(TokenizerObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    for (int i = 0; i < self->npool; i++) hfc_tk_scratch_free(self->pool[i]);
    hfc_tokenizer_free(self->tok);
    pthread_mutex_destroy(&self->lock);
    pthread_rwlock_destroy(&self->settings);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyObject *Tokenizer_from_file(PyTypeObject *type, PyObject *arg) {
    PyObject *path;
    if (!PyUnicode_FSConverter(arg, &path)) return NULL;
    hfc_tokenizer *tok = NULL;
    hfc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = hfc_tokenizer_from_file(PyBytes_AS_STRING(path), &tok);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    if (st != HFC_OK) return hfc_py_raise(st);
    return wrap(type, tok);
}

static PyObject *from_bytes(PyTypeObject *type, const char *buf, Py_ssize_t len, const char *name) {
    hfc_tokenizer *tok = NULL;
    hfc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = hfc_tokenizer_from_json(buf, (size_t)len, name, &tok);
    Py_END_ALLOW_THREADS
    if (st != HFC_OK) return hfc_py_raise(st);
    return wrap(type, tok);
}

static PyObject *Tokenizer_from_str(PyTypeObject *type, PyObject *arg) {
    Py_ssize_t len;
    const char *s = PyUnicode_AsUTF8AndSize(arg, &len);
    if (!s) return NULL;
    return from_bytes(type, s, len, "<string>");
}

static PyObject *Tokenizer_from_buffer(PyTypeObject *type, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    PyObject *r = from_bytes(type, view.buf, view.len, "<buffer>");
    PyBuffer_Release(&view);
    return r;
}

/* ---- encoding results ---- */

/* Byte offset -> character offset, HF's BytesToCharOffsetConverter. `chars[b]` is the index
 * of the character containing byte b (NULL for ASCII text: identity). */
typedef struct char_map {
    uint32_t *chars;
    size_t len;
} char_map;

static int char_map_build(const char *s, size_t len, int ascii, char_map *m) {
    m->len = len;
    m->chars = NULL;
    if (ascii) return 0;
    m->chars = PyMem_Malloc((len + 1) * sizeof(uint32_t));
    if (!m->chars) return -1;
    uint32_t ci = 0;
    for (size_t i = 0; i < len; ci++) {
        unsigned char b = (unsigned char)s[i];
        size_t w = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
        for (size_t k = 0; k < w && i + k < len; k++) m->chars[i + k] = ci;
        i += w;
    }
    return 0;
}

static void convert_offsets(const char_map *m, uint32_t start, uint32_t end, size_t *cs,
                            size_t *ce) {
    *cs = start;
    *ce = end;
    if (start >= m->len) return; /* not in the map: HF keeps the offsets as they are */
    if (!m->chars) return;        /* ASCII: identity */
    *cs = m->chars[start];
    if (end < m->len) *ce = m->chars[end];
    else *ce = (end >= 1 ? m->chars[end - 1] : *cs) + 1;
}

static PyObject *list_u32(const uint32_t *v, size_t n) {
    PyObject *l = PyList_New((Py_ssize_t)n);
    if (!l) return NULL;
    for (size_t i = 0; i < n; i++) {
        PyObject *x = PyLong_FromUnsignedLong(v[i]);
        if (!x) { Py_DECREF(l); return NULL; }
        PyList_SET_ITEM(l, (Py_ssize_t)i, x);
    }
    return l;
}

static PyObject *list_u8(const uint8_t *v, size_t n) {
    PyObject *l = PyList_New((Py_ssize_t)n);
    if (!l) return NULL;
    for (size_t i = 0; i < n; i++) {
        PyObject *x = PyLong_FromLong(v[i]);
        PyList_SET_ITEM(l, (Py_ssize_t)i, x);
    }
    return l;
}

static PyObject *list_opt(const int32_t *v, size_t n) {
    PyObject *l = PyList_New((Py_ssize_t)n);
    if (!l) return NULL;
    for (size_t i = 0; i < n; i++) {
        PyObject *x;
        if (v[i] < 0) { x = Py_None; Py_INCREF(x); }
        else x = PyLong_FromLong(v[i]);
        PyList_SET_ITEM(l, (Py_ssize_t)i, x);
    }
    return l;
}

/* (ids, type_ids, offsets, words, sequence_ids, special_tokens_mask, attention_mask,
 *  overflowing: list of the same tuples) */
static PyObject *encoding_to_py(const hfc_encoding *e, const char_map *ma, const char_map *mb) {
    PyObject *offs = PyList_New((Py_ssize_t)e->n);
    if (!offs) return NULL;
    for (size_t i = 0; i < e->n; i++) {
        size_t cs, ce;
        const char_map *m = e->seq_ids[i] == 1 && mb ? mb : ma;
        if (e->seq_ids[i] < 0) { cs = e->offsets[2 * i]; ce = e->offsets[2 * i + 1]; }
        else convert_offsets(m, e->offsets[2 * i], e->offsets[2 * i + 1], &cs, &ce);
        PyObject *t = Py_BuildValue("(nn)", (Py_ssize_t)cs, (Py_ssize_t)ce);
        if (!t) { Py_DECREF(offs); return NULL; }
        PyList_SET_ITEM(offs, (Py_ssize_t)i, t);
    }
    PyObject *ids = list_u32(e->ids, e->n), *types = list_u32(e->type_ids, e->n),
             *words = list_opt(e->words, e->n), *seqs = list_opt(e->seq_ids, e->n),
             *special = list_u8(e->special_mask, e->n), *attn = list_u8(e->attention_mask, e->n);
    if (!ids || !types || !words || !seqs || !special || !attn) {
        Py_XDECREF(ids); Py_XDECREF(types); Py_XDECREF(words); Py_XDECREF(seqs);
        Py_XDECREF(special); Py_XDECREF(attn); Py_DECREF(offs);
        return NULL;
    }
    PyObject *over = PyList_New((Py_ssize_t)e->n_overflowing);
    for (size_t k = 0; over && k < e->n_overflowing; k++) {
        PyObject *o = encoding_to_py(&e->overflowing[k], ma, mb);
        if (!o) { Py_CLEAR(over); break; }
        PyList_SET_ITEM(over, (Py_ssize_t)k, o);
    }
    if (!over) {
        Py_DECREF(ids); Py_DECREF(types); Py_DECREF(words); Py_DECREF(seqs);
        Py_DECREF(special); Py_DECREF(attn); Py_DECREF(offs);
        return NULL;
    }
    return Py_BuildValue("(NNNNNNNN)", ids, types, offs, words, seqs, special, attn, over);
}

typedef struct text_in {
    PyObject *obj; /* borrowed str */
    const char *s;
    Py_ssize_t len;
    int ascii;
} text_in;

static int get_text(PyObject *o, const char *what, text_in *t) {
    if (!PyUnicode_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s must be a str, not %.100s", what, Py_TYPE(o)->tp_name);
        return -1;
    }
    t->obj = o;
    t->s = PyUnicode_AsUTF8AndSize(o, &t->len); /* lone surrogates raise UnicodeEncodeError */
    t->ascii = PyUnicode_IS_ASCII(o);
    return t->s ? 0 : -1;
}

static PyObject *finish_encoding(const hfc_encoding *e, const text_in *a, const text_in *b) {
    char_map ma, mb;
    if (char_map_build(a->s, (size_t)a->len, a->ascii, &ma) < 0) return PyErr_NoMemory();
    if (b && char_map_build(b->s, (size_t)b->len, b->ascii, &mb) < 0) {
        PyMem_Free(ma.chars);
        return PyErr_NoMemory();
    }
    PyObject *r = encoding_to_py(e, &ma, b ? &mb : NULL);
    PyMem_Free(ma.chars);
    if (b) PyMem_Free(mb.chars);
    return r;
}

static PyObject *Tokenizer_encode(TokenizerObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"sequence", "pair", "add_special_tokens", NULL};
    PyObject *seq, *pair = Py_None;
    int add_special = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|Op:encode", kwlist, &seq, &pair, &add_special))
        return NULL;
    text_in a, b;
    if (get_text(seq, "sequence", &a) < 0) return NULL;
    if (pair != Py_None && get_text(pair, "pair", &b) < 0) return NULL;
    hfc_tk_scratch *s;
    hfc_encoding e;
    hfc_encoding_init(&e);
    hfc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = borrow_scratch(self, &s);
    if (st == HFC_OK) {
        pthread_rwlock_rdlock(&self->settings);
        st = hfc_tokenizer_encode(self->tok, s, a.s, (size_t)a.len, pair != Py_None ? b.s : NULL,
                                  pair != Py_None ? (size_t)b.len : 0, add_special != 0, &e);
        pthread_rwlock_unlock(&self->settings);
        return_scratch(self, s);
    }
    Py_END_ALLOW_THREADS
    if (st != HFC_OK) {
        hfc_encoding_free(&e);
        return hfc_py_raise(st);
    }
    PyObject *r = finish_encoding(&e, &a, pair != Py_None ? &b : NULL);
    hfc_encoding_free(&e);
    return r;
}

/* ---- batch encoding on the pool ---- */

typedef struct batch_job {
    TokenizerObject *self;
    text_in *a, *b; /* b entries with s == NULL: no pair */
    hfc_encoding *out;
    bool add_special;
    hfc_tk_scratch **scratch; /* one per worker */
} batch_job;

static hfc_status batch_task(void *vctx, size_t begin, size_t end, int worker) {
    batch_job *j = vctx;
    if (!j->scratch[worker]) HFC_TRY(borrow_scratch(j->self, &j->scratch[worker]));
    for (size_t i = begin; i < end; i++) {
        const text_in *b = j->b ? &j->b[i] : NULL;
        HFC_TRY(hfc_tokenizer_encode(j->self->tok, j->scratch[worker], j->a[i].s,
                                     (size_t)j->a[i].len, b && b->s ? b->s : NULL,
                                     b && b->s ? (size_t)b->len : 0, j->add_special, &j->out[i]));
    }
    return HFC_OK;
}

static PyObject *Tokenizer_encode_batch(TokenizerObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"inputs", "add_special_tokens", NULL};
    PyObject *inputs;
    int add_special = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|p:encode_batch", kwlist, &inputs, &add_special))
        return NULL;
    PyObject *seq = PySequence_Fast(inputs, "encode_batch expects a list of str or (str, str)");
    if (!seq) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    text_in *a = PyMem_Calloc((size_t)n + 1, sizeof *a), *b = PyMem_Calloc((size_t)n + 1, sizeof *b);
    hfc_encoding *out = PyMem_Calloc((size_t)n + 1, sizeof *out);
    int nthreads = hfc_get_num_threads();
    hfc_tk_scratch **scratch = PyMem_Calloc((size_t)nthreads + 1, sizeof *scratch);
    PyObject *result = NULL;
    bool any_pair = false;
    if (!a || !b || !out || !scratch) { PyErr_NoMemory(); goto done; }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        if (PyTuple_Check(item) || PyList_Check(item)) {
            if (PySequence_Size(item) != 2) {
                PyErr_SetString(PyExc_ValueError, "encode_batch: a pair input must have 2 items");
                goto done;
            }
            PyObject *x = PySequence_Fast_GET_ITEM(item, 0), *y = PySequence_Fast_GET_ITEM(item, 1);
            if (get_text(x, "sequence", &a[i]) < 0 || get_text(y, "pair", &b[i]) < 0) goto done;
            any_pair = true;
        } else if (get_text(item, "sequence", &a[i]) < 0) {
            goto done;
        }
    }
    batch_job job = {self, a, any_pair ? b : NULL, out, add_special != 0, scratch};
    hfc_status st;
    Py_BEGIN_ALLOW_THREADS
    pthread_rwlock_rdlock(&self->settings);
    st = hfc_parallel_for((size_t)n, 1, batch_task, &job);
    if (st == HFC_OK && hfc_tokenizer_padding(self->tok))
        st = hfc_encodings_pad_batch(hfc_tokenizer_padding(self->tok), out, (size_t)n);
    pthread_rwlock_unlock(&self->settings);
    Py_END_ALLOW_THREADS
    if (st != HFC_OK) { hfc_py_raise(st); goto done; }
    result = PyList_New(n);
    if (!result) goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *r = finish_encoding(&out[i], &a[i], b[i].s ? &b[i] : NULL);
        if (!r) { Py_CLEAR(result); goto done; }
        PyList_SET_ITEM(result, i, r);
    }
done:
    if (scratch) for (int w = 0; w < nthreads; w++) if (scratch[w]) return_scratch(self, scratch[w]);
    if (out) for (Py_ssize_t i = 0; i < n; i++) hfc_encoding_free(&out[i]);
    PyMem_Free(scratch);
    PyMem_Free(out);
    PyMem_Free(a);
    PyMem_Free(b);
    Py_DECREF(seq);
    return result;
}

/* ---- decoding ---- */

static int ids_from_py(PyObject *ids, uint32_t **out, Py_ssize_t *n) {
    PyObject *seq = PySequence_Fast(ids, "ids must be a sequence of int");
    if (!seq) return -1;
    *n = PySequence_Fast_GET_SIZE(seq);
    *out = PyMem_Malloc(((size_t)*n + 1) * sizeof **out);
    if (!*out) { Py_DECREF(seq); PyErr_NoMemory(); return -1; }
    for (Py_ssize_t i = 0; i < *n; i++) {
        unsigned long v = PyLong_AsUnsignedLong(PySequence_Fast_GET_ITEM(seq, i));
        if (v == (unsigned long)-1 && PyErr_Occurred()) {
            PyMem_Free(*out);
            Py_DECREF(seq);
            return -1;
        }
        if (v > UINT32_MAX) {
            PyErr_SetString(PyExc_OverflowError, "token id out of range for u32");
            PyMem_Free(*out);
            Py_DECREF(seq);
            return -1;
        }
        (*out)[i] = (uint32_t)v;
    }
    Py_DECREF(seq);
    return 0;
}

static PyObject *decode_ids(TokenizerObject *self, PyObject *ids_obj, int skip_special) {
    uint32_t *ids;
    Py_ssize_t n;
    if (ids_from_py(ids_obj, &ids, &n) < 0) return NULL;
    hfc_buf out = {0};
    hfc_tk_scratch *s;
    hfc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = borrow_scratch(self, &s);
    if (st == HFC_OK) {
        st = hfc_tokenizer_decode(self->tok, s, ids, (size_t)n, skip_special != 0, &out);
        return_scratch(self, s);
    }
    Py_END_ALLOW_THREADS
    PyMem_Free(ids);
    if (st != HFC_OK) {
        hfc_buf_free(&out);
        return hfc_py_raise(st);
    }
    PyObject *r = PyUnicode_DecodeUTF8(out.data ? out.data : "", (Py_ssize_t)out.len, "replace");
    hfc_buf_free(&out);
    return r;
}

static PyObject *Tokenizer_decode(TokenizerObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"ids", "skip_special_tokens", NULL};
    PyObject *ids;
    int skip = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|p:decode", kwlist, &ids, &skip)) return NULL;
    return decode_ids(self, ids, skip);
}

/* ---- vocabulary ---- */

static PyObject *Tokenizer_token_to_id(TokenizerObject *self, PyObject *arg) {
    Py_ssize_t len;
    const char *s = PyUnicode_AsUTF8AndSize(arg, &len);
    if (!s) return NULL;
    int64_t id = hfc_tokenizer_token_to_id(self->tok, s, (size_t)len);
    if (id < 0) Py_RETURN_NONE;
    return PyLong_FromLongLong(id);
}

static PyObject *Tokenizer_id_to_token(TokenizerObject *self, PyObject *arg) {
    unsigned long id = PyLong_AsUnsignedLong(arg);
    if (id == (unsigned long)-1 && PyErr_Occurred()) return NULL;
    uint32_t len;
    const char *s = id <= UINT32_MAX ? hfc_tokenizer_id_to_token(self->tok, (uint32_t)id, &len) : NULL;
    if (!s) Py_RETURN_NONE;
    return PyUnicode_DecodeUTF8(s, len, "strict");
}

static PyObject *Tokenizer_ids_to_tokens(TokenizerObject *self, PyObject *arg) {
    uint32_t *ids;
    Py_ssize_t n;
    if (ids_from_py(arg, &ids, &n) < 0) return NULL;
    PyObject *l = PyList_New(n);
    for (Py_ssize_t i = 0; l && i < n; i++) {
        uint32_t len;
        const char *s = hfc_tokenizer_id_to_token(self->tok, ids[i], &len);
        PyObject *x = s ? PyUnicode_DecodeUTF8(s, len, "strict") : (Py_INCREF(Py_None), Py_None);
        if (!x) { Py_CLEAR(l); break; }
        PyList_SET_ITEM(l, i, x);
    }
    PyMem_Free(ids);
    return l;
}

static PyObject *Tokenizer_get_vocab_size(TokenizerObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"with_added_tokens", NULL};
    int with_added = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|p:get_vocab_size", kwlist, &with_added)) return NULL;
    return PyLong_FromSize_t(hfc_tokenizer_vocab_size(self->tok, with_added != 0));
}

static PyObject *Tokenizer_get_vocab(TokenizerObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"with_added_tokens", NULL};
    int with_added = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|p:get_vocab", kwlist, &with_added)) return NULL;
    PyObject *d = PyDict_New();
    size_t slots = hfc_tokenizer_vocab_slots(self->tok);
    for (size_t i = 0; d && i < slots; i++) {
        const char *s;
        uint32_t len, id;
        if (!hfc_tokenizer_vocab_entry(self->tok, with_added != 0, i, &s, &len, &id)) continue;
        PyObject *k = PyUnicode_DecodeUTF8(s, len, "strict"), *v = PyLong_FromUnsignedLong(id);
        if (!k || !v || PyDict_SetItem(d, k, v) < 0) Py_CLEAR(d);
        Py_XDECREF(k);
        Py_XDECREF(v);
    }
    return d;
}

static PyObject *Tokenizer_num_special_tokens_to_add(TokenizerObject *self, PyObject *arg) {
    int is_pair = PyObject_IsTrue(arg);
    if (is_pair < 0) return NULL;
    return PyLong_FromSize_t(hfc_tokenizer_num_special_tokens_to_add(self->tok, is_pair != 0));
}

static PyObject *Tokenizer_get_encode_special_tokens(TokenizerObject *self, void *c) {
    (void)c;
    return PyBool_FromLong(hfc_tokenizer_get_encode_special_tokens(self->tok));
}

static int Tokenizer_set_encode_special_tokens(TokenizerObject *self, PyObject *v, void *c) {
    (void)c;
    int b = v ? PyObject_IsTrue(v) : -1;
    if (b < 0) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "cannot delete encode_special_tokens");
        return -1;
    }
    Py_BEGIN_ALLOW_THREADS
    pthread_rwlock_wrlock(&self->settings);
    hfc_tokenizer_set_encode_special_tokens(self->tok, b != 0);
    pthread_rwlock_unlock(&self->settings);
    Py_END_ALLOW_THREADS
    return 0;
}

/* _set_truncation(None) or _set_truncation(max_length, stride, strategy, left) with strategy
 * 0 longest_first, 1 only_first, 2 only_second. */
static PyObject *Tokenizer_set_truncation(TokenizerObject *self, PyObject *args) {
    hfc_truncation tr = {true, 0, 0, HFC_TRUNC_LONGEST_FIRST, false};
    int strategy = 0, left = 0;
    int off = PyTuple_GET_SIZE(args) == 1 && PyTuple_GET_ITEM(args, 0) == Py_None;
    if (!off && !PyArg_ParseTuple(args, "nnip:_set_truncation", &tr.max_length, &tr.stride,
                                  &strategy, &left))
        return NULL;
    if (!off && (strategy < 0 || strategy > 2)) {
        PyErr_SetString(PyExc_ValueError, "bad truncation strategy");
        return NULL;
    }
    tr.strategy = (hfc_trunc_strategy)strategy;
    tr.left = left != 0;
    Py_BEGIN_ALLOW_THREADS
    pthread_rwlock_wrlock(&self->settings);
    hfc_tokenizer_set_truncation(self->tok, off ? NULL : &tr);
    pthread_rwlock_unlock(&self->settings);
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

static PyObject *Tokenizer_get_truncation(TokenizerObject *self, PyObject *unused) {
    pthread_rwlock_rdlock(&self->settings);
    const hfc_truncation *tr = hfc_tokenizer_truncation(self->tok);
    hfc_truncation copy;
    if (tr) copy = *tr;
    pthread_rwlock_unlock(&self->settings);
    if (!tr) Py_RETURN_NONE;
    return Py_BuildValue("(nnii)", (Py_ssize_t)copy.max_length, (Py_ssize_t)copy.stride,
                         (int)copy.strategy, (int)copy.left);
}

/* _set_padding(None) or _set_padding(length or None, pad_to_multiple_of or None, pad_id,
 * pad_type_id, pad_token, left) */
static PyObject *Tokenizer_set_padding(TokenizerObject *self, PyObject *args) {
    hfc_padding pd;
    memset(&pd, 0, sizeof pd);
    int off = PyTuple_GET_SIZE(args) == 1 && PyTuple_GET_ITEM(args, 0) == Py_None;
    PyObject *length, *multiple;
    unsigned int pad_id, pad_type_id;
    const char *tok;
    Py_ssize_t toklen;
    int left;
    if (!off) {
        if (!PyArg_ParseTuple(args, "OOIIs#p:_set_padding", &length, &multiple, &pad_id,
                              &pad_type_id, &tok, &toklen, &left))
            return NULL;
        if ((size_t)toklen >= sizeof pd.pad_token) {
            PyErr_SetString(PyExc_ValueError, "pad_token is too long");
            return NULL;
        }
        pd.enabled = true;
        if (length != Py_None) {
            pd.fixed = true;
            pd.length = PyLong_AsSize_t(length);
            if (pd.length == (size_t)-1 && PyErr_Occurred()) return NULL;
        }
        if (multiple != Py_None) {
            pd.pad_to_multiple_of = PyLong_AsSize_t(multiple);
            if (pd.pad_to_multiple_of == (size_t)-1 && PyErr_Occurred()) return NULL;
        }
        pd.pad_id = pad_id;
        pd.pad_type_id = pad_type_id;
        memcpy(pd.pad_token, tok, (size_t)toklen);
        pd.left = left != 0;
    }
    Py_BEGIN_ALLOW_THREADS
    pthread_rwlock_wrlock(&self->settings);
    hfc_tokenizer_set_padding(self->tok, off ? NULL : &pd);
    pthread_rwlock_unlock(&self->settings);
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

static PyObject *Tokenizer_get_padding(TokenizerObject *self, PyObject *unused) {
    pthread_rwlock_rdlock(&self->settings);
    const hfc_padding *pd = hfc_tokenizer_padding(self->tok);
    hfc_padding c;
    if (pd) c = *pd;
    pthread_rwlock_unlock(&self->settings);
    if (!pd) Py_RETURN_NONE;
    PyObject *length = c.fixed ? PyLong_FromSize_t(c.length) : (Py_INCREF(Py_None), Py_None);
    PyObject *mult = c.pad_to_multiple_of ? PyLong_FromSize_t(c.pad_to_multiple_of)
                                          : (Py_INCREF(Py_None), Py_None);
    return Py_BuildValue("(NNIIsi)", length, mult, c.pad_id, c.pad_type_id, c.pad_token, (int)c.left);
}

static PyMethodDef Tokenizer_methods[] = {
    {"_set_truncation", (PyCFunction)Tokenizer_set_truncation, METH_VARARGS, "internal"},
    {"_get_truncation", (PyCFunction)Tokenizer_get_truncation, METH_NOARGS, "internal"},
    {"_set_padding", (PyCFunction)Tokenizer_set_padding, METH_VARARGS, "internal"},
    {"_get_padding", (PyCFunction)Tokenizer_get_padding, METH_NOARGS, "internal"},
    {"from_file", (PyCFunction)Tokenizer_from_file, METH_O | METH_CLASS, "from_file(path)"},
    {"from_str", (PyCFunction)Tokenizer_from_str, METH_O | METH_CLASS, "from_str(json)"},
    {"from_buffer", (PyCFunction)Tokenizer_from_buffer, METH_O | METH_CLASS, "from_buffer(bytes)"},
    {"encode", (PyCFunction)(void (*)(void))Tokenizer_encode, METH_VARARGS | METH_KEYWORDS,
     "encode(sequence, pair=None, add_special_tokens=True) -> tuple of lists"},
    {"encode_batch", (PyCFunction)(void (*)(void))Tokenizer_encode_batch, METH_VARARGS | METH_KEYWORDS,
     "encode_batch(inputs, add_special_tokens=True) -> list of tuples"},
    {"decode", (PyCFunction)(void (*)(void))Tokenizer_decode, METH_VARARGS | METH_KEYWORDS,
     "decode(ids, skip_special_tokens=True) -> str"},
    {"token_to_id", (PyCFunction)Tokenizer_token_to_id, METH_O, "token_to_id(token) -> int | None"},
    {"id_to_token", (PyCFunction)Tokenizer_id_to_token, METH_O, "id_to_token(id) -> str | None"},
    {"ids_to_tokens", (PyCFunction)Tokenizer_ids_to_tokens, METH_O, "ids_to_tokens(ids) -> list"},
    {"get_vocab_size", (PyCFunction)(void (*)(void))Tokenizer_get_vocab_size, METH_VARARGS | METH_KEYWORDS,
     "get_vocab_size(with_added_tokens=True)"},
    {"get_vocab", (PyCFunction)(void (*)(void))Tokenizer_get_vocab, METH_VARARGS | METH_KEYWORDS,
     "get_vocab(with_added_tokens=True)"},
    {"num_special_tokens_to_add", (PyCFunction)Tokenizer_num_special_tokens_to_add, METH_O,
     "num_special_tokens_to_add(is_pair)"},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Tokenizer_getset[] = {
    {"encode_special_tokens", (getter)Tokenizer_get_encode_special_tokens,
     (setter)Tokenizer_set_encode_special_tokens, "tokenize special tokens like plain text", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot Tokenizer_slots[] = {
    {Py_tp_dealloc, Tokenizer_dealloc},
    {Py_tp_methods, Tokenizer_methods},
    {Py_tp_getset, Tokenizer_getset},
    {Py_tp_doc, (void *)"The C core of hfc.tokenizers.Tokenizer (use that class)."},
    {0, NULL},
};

static PyType_Spec Tokenizer_spec = {
    .name = "hfc._C.Tokenizer",
    .basicsize = sizeof(TokenizerObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .slots = Tokenizer_slots,
};

int hfc_py_init_tokenizers(PyObject *m) {
    PyObject *tp = PyType_FromModuleAndSpec(m, &Tokenizer_spec, NULL);
    if (!tp) return -1;
    if (PyModule_AddObject(m, "Tokenizer", tp) < 0) {
        Py_DECREF(tp);
        return -1;
    }
    return 0;
}
