/* hfc._C.Tokenizer: the binding of the C tokenizer (csrc/tokenizers/).
 *
 * One Tokenizer is shared freely between Python threads: the core tokenizer is immutable
 * during encodes, and each call borrows a scratch from a small mutex-protected pool. The
 * GIL is released around all core work; encode_batch runs on hfc's worker pool.
 * Encodings come back as tuples of lists that python/hfc/tokenizers.py wraps in an
 * Encoding class mirroring tokenizers.Encoding (offsets in characters, as HF's binding). */
#include "hfc_py.h"
#include "hfc/tokenizers.h"
#include "hfc_numpy.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define SCRATCH_POOL 64

typedef struct {
    PyObject_HEAD
    hfc_tokenizer *tok;
    pthread_mutex_t lock; /* guards the scratch pool and settings changes */
    pthread_rwlock_t settings; /* encodes hold read, setting changes hold write */
    hfc_tk_scratch *pool[SCRATCH_POOL];
    int npool;
    hfc_tk_scratch *gil_scratch; /* used only while holding the GIL (short inputs) */
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

static void Tokenizer_dealloc(TokenizerObject *self);

const hfc_tokenizer *hfc_py_tokenizer_acquire(PyObject *obj, PyObject **hold) {
    /* hfc.tokenizers.Tokenizer is a Python subclass of the core type */
    PyTypeObject *tp = Py_TYPE(obj);
    while (tp && tp->tp_dealloc != (destructor)Tokenizer_dealloc) tp = tp->tp_base;
    PyObject *core = tp ? Py_NewRef(obj) : NULL;
    if (!core) {
        PyErr_Format(PyExc_TypeError, "an hfc.tokenizers.Tokenizer is needed, not %.100s "
                     "(HF tokenizers is not used inside hfc's C path)", Py_TYPE(obj)->tp_name);
        Py_XDECREF(core);
        return NULL;
    }
    TokenizerObject *t = (TokenizerObject *)core;
    pthread_rwlock_rdlock(&t->settings);
    *hold = core;
    return t->tok;
}

void hfc_py_tokenizer_release(PyObject *hold) {
    if (!hold) return;
    pthread_rwlock_unlock(&((TokenizerObject *)hold)->settings);
    Py_DECREF(hold);
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
    hfc_tk_scratch_free(self->gil_scratch);
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

/* _set_state(bytes): the tokenizer.json in `arg` replaces this one (unpickling into an
 * existing object, as HF's __setstate__); the swap waits for running encodes. */
static PyObject *Tokenizer_set_state(TokenizerObject *self, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    hfc_tokenizer *tok = NULL, *old;
    hfc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = hfc_tokenizer_from_json(view.buf, (size_t)view.len, "<pickle>", &tok);
    if (st == HFC_OK) {
        pthread_rwlock_wrlock(&self->settings);
        old = self->tok;
        self->tok = tok;
        pthread_rwlock_unlock(&self->settings);
        hfc_tokenizer_free(old);
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    if (st != HFC_OK) return hfc_py_raise(st);
    Py_RETURN_NONE;
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

static PyObject *list_u32(const uint32_t *v, size_t n) { return hfc_py_list_32(v, n, false); }

static PyObject *list_u8(const uint8_t *v, size_t n) {
    PyObject *l = PyList_New((Py_ssize_t)n);
    if (!l) return NULL;
    for (size_t i = 0; i < n; i++) PyList_SET_ITEM(l, (Py_ssize_t)i, PyLong_FromLong(v[i]));
    return l;
}

static PyObject *list_opt(const int32_t *v, size_t n) {
    PyObject *l = PyList_New((Py_ssize_t)n);
    if (!l) return NULL;
    for (size_t i = 0; i < n; i++) {
        PyObject *x;
        if (v[i] < 0) { x = Py_None; Py_INCREF(x); }
        else if (!(x = hfc_py_int(v[i]))) { Py_DECREF(l); return NULL; }
        PyList_SET_ITEM(l, (Py_ssize_t)i, x);
    }
    return l;
}

/* ---- Encoding: holds the core encoding; lists are built when an attribute is read,
 * as HF's binding does (so encode() itself stays cheap). ---- */

typedef struct {
    PyObject_HEAD
    hfc_encoding enc;
    PyObject *text, *pair; /* the input str objects (char offsets), pair may be NULL */
    PyObject *tokenizer;   /* the TokenizerObject (token strings) */
} EncodingObject;

static PyTypeObject *encoding_type(PyObject *any_hfc_object) {
    PyObject *mod = hfc_py_module_of(any_hfc_object);
    if (!mod) return NULL;
    hfc_py_state *st = hfc_py_get_state(mod);
    return st->Encoding_subtype ? st->Encoding_subtype : st->Encoding_type;
}

/* Can `o` (an input: str or a tuple of words) reach back to an Encoding? Not when it
 * is an exact str or a tuple of exact strs. */
static bool input_is_atomic(PyObject *o) {
    if (!o || PyUnicode_CheckExact(o)) return true;
    if (!PyTuple_CheckExact(o)) return false;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(o); i++)
        if (!PyUnicode_CheckExact(PyTuple_GET_ITEM(o, i))) return false;
    return true;
}

/* Takes ownership of *e (leaves it empty). An Encoding whose references cannot lead back
 * to it (its inputs are strs, its tokenizer a class without added attributes: no
 * cycle can pass through it) is left out of the garbage collector's lists, as CPython
 * does for tuples of atomic values: a batch of thousands of Encodings then costs the
 * collector nothing. */
static PyObject *make_encoding(PyTypeObject *type, PyObject *tokenizer, hfc_encoding *e,
                               PyObject *text, PyObject *pair) {
    EncodingObject *o = (EncodingObject *)type->tp_alloc(type, 0);
    if (!o) return NULL;
    o->enc = *e;
    hfc_encoding_init(e);
    o->text = text;
    Py_XINCREF(text);
    o->pair = pair;
    Py_XINCREF(pair);
    o->tokenizer = tokenizer;
    Py_XINCREF(tokenizer);
    PyTypeObject *tt = tokenizer ? Py_TYPE(tokenizer) : NULL;
    if (type->tp_dictoffset == 0 && type->tp_basicsize == (Py_ssize_t)sizeof(EncodingObject) &&
        (!tt || (tt->tp_dictoffset == 0 && tt->tp_basicsize == (Py_ssize_t)sizeof(TokenizerObject))) &&
        input_is_atomic(text) && input_is_atomic(pair))
        PyObject_GC_UnTrack(o);
    return (PyObject *)o;
}

static void Encoding_dealloc(EncodingObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    hfc_encoding_free(&self->enc);
    Py_CLEAR(self->text);
    Py_CLEAR(self->pair);
    Py_CLEAR(self->tokenizer);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static int Encoding_traverse(EncodingObject *self, visitproc visit, void *arg) {
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->text);
    Py_VISIT(self->pair);
    Py_VISIT(self->tokenizer);
    return 0;
}

static int Encoding_clear(EncodingObject *self) {
    Py_CLEAR(self->text);
    Py_CLEAR(self->pair);
    Py_CLEAR(self->tokenizer);
    return 0;
}

static int text_char_map(PyObject *text, char_map *m) {
    m->chars = NULL;
    m->len = 0;
    if (!text) return 0;
    Py_ssize_t len;
    const char *s = PyUnicode_AsUTF8AndSize(text, &len);
    if (!s) return -1;
    return char_map_build(s, (size_t)len, PyUnicode_IS_ASCII(text), m);
}

/* Pre-tokenized input (a tuple of words): offsets are relative to each word. */
static PyObject *offsets_pretokenized(EncodingObject *self) {
    const hfc_encoding *e = &self->enc;
    PyObject *offs = PyList_New((Py_ssize_t)e->n);
    for (size_t i = 0; offs && i < e->n; i++) {
        size_t cs = e->offsets[2 * i], ce = e->offsets[2 * i + 1];
        PyObject *words = e->seq_ids[i] == 1 ? self->pair : self->text;
        if (e->seq_ids[i] >= 0 && words && PyTuple_Check(words) && e->words[i] >= 0 &&
            e->words[i] < PyTuple_GET_SIZE(words)) {
            char_map m;
            if (text_char_map(PyTuple_GET_ITEM(words, e->words[i]), &m) < 0) { Py_CLEAR(offs); break; }
            convert_offsets(&m, e->offsets[2 * i], e->offsets[2 * i + 1], &cs, &ce);
            PyMem_Free(m.chars);
        }
        PyObject *t = Py_BuildValue("(nn)", (Py_ssize_t)cs, (Py_ssize_t)ce);
        if (!t) { Py_CLEAR(offs); break; }
        PyList_SET_ITEM(offs, (Py_ssize_t)i, t);
    }
    return offs;
}

static PyObject *Encoding_get_offsets(EncodingObject *self, void *c) {
    if ((self->text && PyTuple_Check(self->text)) || (self->pair && PyTuple_Check(self->pair)))
        return offsets_pretokenized(self);
    const hfc_encoding *e = &self->enc;
    char_map ma, mb;
    if (text_char_map(self->text, &ma) < 0) return NULL;
    if (text_char_map(self->pair, &mb) < 0) { PyMem_Free(ma.chars); return NULL; }
    PyObject *offs = PyList_New((Py_ssize_t)e->n);
    for (size_t i = 0; offs && i < e->n; i++) {
        size_t cs = e->offsets[2 * i], ce = e->offsets[2 * i + 1];
        if (e->seq_ids[i] >= 0) {
            const char_map *m = e->seq_ids[i] == 1 && self->pair ? &mb : &ma;
            convert_offsets(m, e->offsets[2 * i], e->offsets[2 * i + 1], &cs, &ce);
        }
        PyObject *t = Py_BuildValue("(nn)", (Py_ssize_t)cs, (Py_ssize_t)ce);
        if (!t) { Py_CLEAR(offs); break; }
        PyList_SET_ITEM(offs, (Py_ssize_t)i, t);
    }
    PyMem_Free(ma.chars);
    PyMem_Free(mb.chars);
    return offs;
}

static PyObject *Encoding_get_ids(EncodingObject *self, void *c) { return list_u32(self->enc.ids, self->enc.n); }
static PyObject *Encoding_get_type_ids(EncodingObject *self, void *c) { return list_u32(self->enc.type_ids, self->enc.n); }
static PyObject *Encoding_get_word_ids(EncodingObject *self, void *c) { return list_opt(self->enc.words, self->enc.n); }
static PyObject *Encoding_get_sequence_ids(EncodingObject *self, void *c) { return list_opt(self->enc.seq_ids, self->enc.n); }
static PyObject *Encoding_get_special(EncodingObject *self, void *c) { return list_u8(self->enc.special_mask, self->enc.n); }
static PyObject *Encoding_get_attention(EncodingObject *self, void *c) { return list_u8(self->enc.attention_mask, self->enc.n); }

static PyObject *Encoding_get_n_sequences(EncodingObject *self, void *c) {
    for (size_t i = 0; i < self->enc.n; i++)
        if (self->enc.seq_ids[i] == 1) return PyLong_FromLong(2);
    return PyLong_FromLong(1);
}

static PyObject *Encoding_get_overflowing(EncodingObject *self, void *c) {
    PyObject *l = PyList_New((Py_ssize_t)self->enc.n_overflowing);
    for (size_t k = 0; l && k < self->enc.n_overflowing; k++) {
        hfc_encoding copy;
        hfc_status st = hfc_encoding_copy(&copy, &self->enc.overflowing[k]);
        if (st != HFC_OK) { hfc_encoding_free(&copy); hfc_py_raise(st); Py_CLEAR(l); break; }
        PyObject *o = make_encoding(Py_TYPE(self), self->tokenizer, &copy, self->text, self->pair);
        if (!o) { hfc_encoding_free(&copy); Py_CLEAR(l); break; }
        PyList_SET_ITEM(l, (Py_ssize_t)k, o);
    }
    return l;
}

static PyObject *Encoding_get_tokens(EncodingObject *self, void *c);

static Py_ssize_t Encoding_len(EncodingObject *self) { return (Py_ssize_t)self->enc.n; }

static PyGetSetDef Encoding_getset[] = {
    {"ids", (getter)Encoding_get_ids, NULL, "token ids", NULL},
    {"type_ids", (getter)Encoding_get_type_ids, NULL, "type ids", NULL},
    {"tokens", (getter)Encoding_get_tokens, NULL, "token strings", NULL},
    {"offsets", (getter)Encoding_get_offsets, NULL, "(start, end) character offsets", NULL},
    {"word_ids", (getter)Encoding_get_word_ids, NULL, "word index of each token (or None)", NULL},
    {"words", (getter)Encoding_get_word_ids, NULL, "alias of word_ids", NULL},
    {"sequence_ids", (getter)Encoding_get_sequence_ids, NULL, "sequence of each token (or None)", NULL},
    {"special_tokens_mask", (getter)Encoding_get_special, NULL, "1 for special tokens", NULL},
    {"attention_mask", (getter)Encoding_get_attention, NULL, "0 for padding", NULL},
    {"overflowing", (getter)Encoding_get_overflowing, NULL, "parts cut by truncation", NULL},
    {"n_sequences", (getter)Encoding_get_n_sequences, NULL, "1 or 2", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot Encoding_slots[] = {
    {Py_tp_dealloc, Encoding_dealloc},
    {Py_tp_traverse, Encoding_traverse},
    {Py_tp_clear, Encoding_clear},
    {Py_tp_getset, Encoding_getset},
    {Py_sq_length, Encoding_len},
    {Py_tp_doc, (void *)"The C side of hfc.tokenizers.Encoding."},
    {0, NULL},
};

static PyType_Spec Encoding_spec = {
    .name = "hfc._C.Encoding",
    .basicsize = sizeof(EncodingObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = Encoding_slots,
};

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
    t->s = PyUnicode_AsUTF8AndSize(o, &t->len);
    t->ascii = PyUnicode_IS_ASCII(o);
    if (t->s) return 0;
    if (PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) {
        /* a lone surrogate: HF raises TypeError ("TextInputSequence must be str") */
        PyObject *type, *cause, *tb;
        PyErr_Fetch(&type, &cause, &tb);
        PyErr_NormalizeException(&type, &cause, &tb);
        PyErr_Format(PyExc_TypeError, "%s is not valid Unicode text (%S): TextInputSequence must be str",
                     what, cause);
        Py_XDECREF(type);
        Py_XDECREF(tb);
        PyObject *t2, *exc, *tb2;
        PyErr_Fetch(&t2, &exc, &tb2);
        PyErr_NormalizeException(&t2, &exc, &tb2);
        PyException_SetCause(exc, cause); /* steals cause */
        PyErr_Restore(t2, exc, tb2);
    }
    return -1;
}

/* An encode input taken from Python: one str, or (pre-tokenized) a list/tuple of str.
 * `obj` is kept by the Encoding for character offsets. It holds a reference: the text is
 * read with the GIL released, while another thread may drop the caller's references to
 * it (an encode_batch list emptied meanwhile). */
typedef struct seq_in {
    PyObject *obj;      /* str, or the tuple of words (a reference) */
    const char **texts;
    size_t *lens;
    size_t n;
    bool pretokenized;
    const char *one_text;
    size_t one_len;
} seq_in;

static void seq_release(seq_in *q) {
    if (q->pretokenized) {
        PyMem_Free(q->texts);
        PyMem_Free(q->lens);
    }
    Py_XDECREF(q->obj);
    memset(q, 0, sizeof *q);
}

static int seq_get(PyObject *o, bool pretokenized, const char *what, seq_in *q) {
    memset(q, 0, sizeof *q);
    q->pretokenized = pretokenized;
    if (!pretokenized) {
        text_in t;
        if (get_text(o, what, &t) < 0) return -1;
        q->obj = Py_NewRef(o);
        q->one_text = t.s;
        q->one_len = (size_t)t.len;
        q->texts = &q->one_text;
        q->lens = &q->one_len;
        q->n = 1;
        return 0;
    }
    if (!PyList_Check(o) && !PyTuple_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s: a pre-tokenized input must be a list or tuple of str", what);
        return -1;
    }
    q->obj = PySequence_Tuple(o); /* a snapshot: the caller may mutate its list */
    if (!q->obj) return -1;
    q->n = (size_t)PyTuple_GET_SIZE(q->obj);
    q->texts = PyMem_Calloc(q->n + 1, sizeof *q->texts);
    q->lens = PyMem_Calloc(q->n + 1, sizeof *q->lens);
    if (!q->texts || !q->lens) { PyErr_NoMemory(); return -1; }
    for (size_t i = 0; i < q->n; i++) {
        text_in t;
        if (get_text(PyTuple_GET_ITEM(q->obj, (Py_ssize_t)i), what, &t) < 0) return -1;
        q->texts[i] = t.s;
        q->lens[i] = (size_t)t.len;
    }
    return 0;
}

/* Inputs shorter than this are encoded holding the GIL (as HF's encode does): releasing
 * and taking it back costs more than the work. Longer ones let other threads run. */
#define GIL_HOLD_BYTES 4096

/* encode(sequence, pair=None, is_pretokenized=False, add_special_tokens=True): HF's
 * signature, called straight from Python (hfc.tokenizers.Tokenizer inherits it: no
 * Python frame per call). Vectorcall arguments, keywords matched by name. */
static PyObject *Tokenizer_encode(TokenizerObject *self, PyObject *const *args, Py_ssize_t nargs,
                                  PyObject *kwnames) {
    static const char *const names[] = {"sequence", "pair", "is_pretokenized",
                                        "add_special_tokens"};
    PyObject *av[4] = {NULL, Py_None, Py_False, Py_True};
    if (nargs > 4) {
        PyErr_Format(PyExc_TypeError, "encode() takes at most 4 arguments (%zd given)", nargs);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < nargs; i++) av[i] = args[i];
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, k);
        int j = 0;
        while (j < 4 && PyUnicode_CompareWithASCIIString(key, names[j]) != 0) j++;
        if (j == 4) {
            PyErr_Format(PyExc_TypeError, "encode() got an unexpected keyword argument '%U'", key);
            return NULL;
        }
        if (j < nargs) {
            PyErr_Format(PyExc_TypeError, "encode() got multiple values for argument '%s'",
                         names[j]);
            return NULL;
        }
        av[j] = args[nargs + k];
    }
    if (!av[0]) {
        PyErr_SetString(PyExc_TypeError, "encode() missing required argument 'sequence'");
        return NULL;
    }
    PyObject *seq = av[0], *pair = av[1];
    int pretok = PyObject_IsTrue(av[2]), add_special = PyObject_IsTrue(av[3]);
    if (pretok < 0 || add_special < 0) return NULL;
    seq_in a, b;
    memset(&b, 0, sizeof b);
    if (seq_get(seq, pretok != 0, "sequence", &a) < 0 ||
        (pair != Py_None && seq_get(pair, pretok != 0, "pair", &b) < 0)) {
        seq_release(&a);
        seq_release(&b);
        return NULL;
    }
    hfc_tk_input ia = {a.texts, a.lens, a.n, a.pretokenized, true}; /* from str */
    hfc_tk_input ib = {b.texts, b.lens, b.n, b.pretokenized, true};
    size_t total = 0;
    for (size_t i = 0; i < a.n; i++) total += a.lens[i];
    for (size_t i = 0; i < b.n; i++) total += b.lens[i];
    hfc_encoding e;
    hfc_encoding_init(&e);
    hfc_status st = HFC_OK;
    if (total < GIL_HOLD_BYTES) { /* the GIL makes gil_scratch ours */
        if (!self->gil_scratch) st = hfc_tk_scratch_create(&self->gil_scratch);
        if (st == HFC_OK) {
            pthread_rwlock_rdlock(&self->settings);
            st = hfc_tokenizer_encode_input(self->tok, self->gil_scratch, &ia,
                                            pair != Py_None ? &ib : NULL, add_special != 0, &e);
            pthread_rwlock_unlock(&self->settings);
        }
    } else {
        hfc_tk_scratch *s;
        Py_BEGIN_ALLOW_THREADS
        st = borrow_scratch(self, &s);
        if (st == HFC_OK) {
            pthread_rwlock_rdlock(&self->settings);
            st = hfc_tokenizer_encode_input(self->tok, s, &ia, pair != Py_None ? &ib : NULL,
                                            add_special != 0, &e);
            pthread_rwlock_unlock(&self->settings);
            return_scratch(self, s);
        }
        Py_END_ALLOW_THREADS
    }
    PyObject *r = NULL;
    if (st != HFC_OK) {
        hfc_py_raise(st);
    } else {
        PyTypeObject *tp = encoding_type((PyObject *)self);
        if (tp) r = make_encoding(tp, (PyObject *)self, &e, a.obj, pair != Py_None ? b.obj : NULL);
    }
    hfc_encoding_free(&e);
    seq_release(&a);
    seq_release(&b);
    return r;
}

/* ---- batch encoding on the pool ---- */

/* encode_batch's Encoding objects are made while the batch is encoded: every worker posts
 * the ranges of items it finished (blocks of BATCH_BLOCK), and the caller (worker 0, the
 * thread that released the GIL) takes the GIL back between its blocks to wrap the posted
 * items, so making the objects overlaps the other workers' encoding instead of following
 * it. Not with padding (BatchLongest needs every encoding first). */
#define BATCH_BLOCK 16

typedef struct batch_objs {
    PyTypeObject *etype;
    PyObject **objs;           /* per item, NULL until made */
    size_t (*ranges)[2];       /* posted [begin, end) ranges */
    _Atomic unsigned char *ready; /* ranges[k] is written */
    _Atomic size_t posted;     /* ranges claimed */
    size_t taken;              /* ranges wrapped (caller only) */
    PyThreadState *save;       /* the caller's thread state while the GIL is released */
    bool failed;               /* a Python error is set on the caller's thread state */
} batch_objs;

typedef struct batch_job {
    TokenizerObject *self;
    seq_in *a, *b; /* b[i].n == 0: no pair */
    hfc_encoding *out;
    bool add_special;
    hfc_tk_scratch **scratch; /* one per worker */
    batch_objs *objs;         /* NULL: encodings only */
    bool fast;                /* encode_batch_fast: offsets dropped */
} batch_job;

/* Wrap the posted ranges that are ready (the caller, GIL held). */
static void batch_wrap(batch_job *j) {
    batch_objs *o = j->objs;
    size_t posted = atomic_load_explicit(&o->posted, memory_order_acquire);
    while (!o->failed && o->taken < posted &&
           atomic_load_explicit(&o->ready[o->taken], memory_order_acquire)) {
        for (size_t i = o->ranges[o->taken][0]; i < o->ranges[o->taken][1]; i++) {
            o->objs[i] = make_encoding(o->etype, (PyObject *)j->self, &j->out[i], j->a[i].obj,
                                       j->b[i].obj);
            if (!o->objs[i]) {
                o->failed = true;
                break;
            }
        }
        o->taken++;
    }
}

static hfc_status batch_task(void *vctx, size_t begin, size_t end, int worker) {
    batch_job *j = vctx;
    if (!j->scratch[worker]) HFC_TRY(borrow_scratch(j->self, &j->scratch[worker]));
    for (size_t blk = begin; blk < end;) {
        size_t stop = j->objs && end - blk > BATCH_BLOCK ? blk + BATCH_BLOCK : end;
        for (size_t i = blk; i < stop; i++) {
            const seq_in *a = &j->a[i], *b = &j->b[i];
            hfc_tk_input ia = {a->texts, a->lens, a->n, a->pretokenized, true}; /* from str */
            hfc_tk_input ib = {b->texts, b->lens, b->n, b->pretokenized, true};
            HFC_TRY((j->fast ? hfc_tokenizer_encode_input_fast : hfc_tokenizer_encode_input)(
                j->self->tok, j->scratch[worker], &ia, b->obj ? &ib : NULL, j->add_special, &j->out[i]));
        }
        if (j->objs) {
            /* the block's encodings in one allocation: the caller frees them (as Python
             * objects, one by one, holding the GIL) with one free per block */
            HFC_TRY(hfc_encodings_share(&j->out[blk], stop - blk));
            batch_objs *o = j->objs;
            size_t k = atomic_fetch_add_explicit(&o->posted, 1, memory_order_relaxed);
            o->ranges[k][0] = blk;
            o->ranges[k][1] = stop;
            atomic_store_explicit(&o->ready[k], 1, memory_order_release);
            if (worker == 0 && !o->failed) {
                PyEval_RestoreThread(o->save);
                /* no garbage collection (and so no finalizer, which could want this
                 * tokenizer's settings lock or the pool) while the job holds them */
                int gc_was = PyGC_Disable();
                batch_wrap(j);
                if (gc_was) PyGC_Enable();
                o->save = PyEval_SaveThread();
            }
        }
        blk = stop;
    }
    return HFC_OK;
}

/* A batch of inputs borrowed from Python, encoded on the pool (GIL released). */
typedef struct batch {
    PyObject *seq; /* the PySequence_Fast holding the inputs alive */
    Py_ssize_t n;
    seq_in *a, *b;
    hfc_encoding *out;
} batch;

static void batch_release(batch *bt) {
    if (bt->out) for (Py_ssize_t i = 0; i < bt->n; i++) hfc_encoding_free(&bt->out[i]);
    for (Py_ssize_t i = 0; bt->a && i < bt->n; i++) seq_release(&bt->a[i]);
    for (Py_ssize_t i = 0; bt->b && i < bt->n; i++) seq_release(&bt->b[i]);
    PyMem_Free(bt->out);
    PyMem_Free(bt->a);
    PyMem_Free(bt->b);
    Py_XDECREF(bt->seq);
    memset(bt, 0, sizeof *bt);
}

/* One batch item: a str / (str, str), or pre-tokenized: [str, ...] / ([str...], [str...]). */
static int batch_item(PyObject *item, bool pretok, seq_in *a, seq_in *b) {
    if (!pretok) {
        if (PyTuple_Check(item) || PyList_Check(item)) {
            if (PySequence_Size(item) != 2) {
                PyErr_SetString(PyExc_ValueError, "encode_batch: a pair input must have 2 items");
                return -1;
            }
            PyObject *x = PySequence_GetItem(item, 0), *y = PySequence_GetItem(item, 1);
            int rc = (x && y && seq_get(x, false, "sequence", a) == 0 && seq_get(y, false, "pair", b) == 0) ? 0 : -1;
            Py_XDECREF(x);
            Py_XDECREF(y);
            return rc;
        }
        return seq_get(item, false, "sequence", a);
    }
    if (!PyList_Check(item) && !PyTuple_Check(item)) {
        PyErr_SetString(PyExc_TypeError, "encode_batch: a pre-tokenized input must be a list of str "
                                         "or a pair of such lists");
        return -1;
    }
    Py_ssize_t m = PySequence_Size(item);
    bool all_str = true;
    for (Py_ssize_t k = 0; k < m && all_str; k++) {
        PyObject *x = PySequence_GetItem(item, k);
        all_str = x && PyUnicode_Check(x);
        Py_XDECREF(x);
    }
    if (all_str) return seq_get(item, true, "sequence", a);
    if (m != 2) {
        PyErr_SetString(PyExc_ValueError, "encode_batch: a pre-tokenized pair must have 2 items");
        return -1;
    }
    PyObject *x = PySequence_GetItem(item, 0), *y = PySequence_GetItem(item, 1);
    int rc = (x && y && seq_get(x, true, "sequence", a) == 0 && seq_get(y, true, "pair", b) == 0) ? 0 : -1;
    Py_XDECREF(x);
    Py_XDECREF(y);
    return rc;
}

static void batch_objs_free(batch_objs *o) {
    PyMem_Free(o->objs);
    PyMem_Free(o->ranges);
    PyMem_Free((void *)o->ready);
    memset(o, 0, sizeof *o);
}

/* Encode the batch on the pool. With `objs` (encode_batch), the Encoding objects may be
 * made meanwhile (batch_objs): then objs->objs is set, else the caller makes them. */
static int batch_run(TokenizerObject *self, PyObject *inputs, bool add_special, bool pretok, batch *bt,
                     batch_objs *objs, bool fast) {
    memset(bt, 0, sizeof *bt);
    bt->seq = PySequence_Fast(inputs, "encode_batch expects a list of inputs");
    if (!bt->seq) return -1;
    Py_ssize_t n = bt->n = PySequence_Fast_GET_SIZE(bt->seq);
    bt->a = PyMem_Calloc((size_t)n + 1, sizeof *bt->a);
    bt->b = PyMem_Calloc((size_t)n + 1, sizeof *bt->b);
    bt->out = PyMem_Calloc((size_t)n + 1, sizeof *bt->out);
    if (!bt->a || !bt->b || !bt->out) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        if (batch_item(PySequence_Fast_GET_ITEM(bt->seq, i), pretok, &bt->a[i], &bt->b[i]) < 0) return -1;
    int nthreads = hfc_get_num_threads();
    hfc_tk_scratch **scratch = PyMem_Calloc((size_t)nthreads + 1, sizeof *scratch);
    if (!scratch) {
        PyErr_NoMemory();
        return -1;
    }
    batch_job job = {self, bt->a, bt->b, bt->out, add_special, scratch, NULL, fast};
    if (objs && nthreads > 1 && n > BATCH_BLOCK) {
        memset(objs, 0, sizeof *objs);
        objs->etype = encoding_type((PyObject *)self);
        if (!objs->etype) {
            PyMem_Free(scratch);
            return -1;
        }
        objs->objs = PyMem_Calloc((size_t)n, sizeof *objs->objs);
        objs->ranges = PyMem_Calloc((size_t)n + 1, sizeof *objs->ranges);
        objs->ready = PyMem_Calloc((size_t)n + 1, sizeof *objs->ready);
        if (objs->objs && objs->ranges && objs->ready) job.objs = objs;
        else batch_objs_free(objs); /* no memory to spare: make them afterwards */
    }
    hfc_status st;
    PyThreadState *save = PyEval_SaveThread();
    pthread_rwlock_rdlock(&self->settings);
    /* padding to the batch's longest needs every encoding first; a fixed length does not
     * (each is padded as it is encoded, the batch pass below finds nothing to do) */
    const hfc_padding *pd = hfc_tokenizer_padding(self->tok);
    if (pd && !pd->fixed) job.objs = NULL;
    if (job.objs) job.objs->save = save;
    st = hfc_parallel_for_max((size_t)n, 1, nthreads, batch_task, &job);
    if (job.objs) save = job.objs->save;
    if (st == HFC_OK && pd && !pd->fixed) st = hfc_encodings_pad_batch(pd, bt->out, (size_t)n);
    pthread_rwlock_unlock(&self->settings);
    for (int w = 0; w < nthreads; w++) if (scratch[w]) return_scratch(self, scratch[w]);
    PyEval_RestoreThread(save);
    PyMem_Free(scratch);
    if (objs && !job.objs) batch_objs_free(objs);
    if (job.objs) batch_wrap(&job); /* what was left */
    if (st == HFC_OK && job.objs && job.objs->failed) return -1;
    return st == HFC_OK ? 0 : hfc_py_raise_int(st);
}

static PyObject *Tokenizer_encode_batch(TokenizerObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"inputs", "add_special_tokens", "is_pretokenized", "fast", NULL};
    PyObject *inputs;
    int add_special = 1, pretok = 0, fast = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|ppp:encode_batch", kwlist, &inputs, &add_special,
                                     &pretok, &fast))
        return NULL;
    batch bt;
    batch_objs objs = {0};
    PyObject *result = NULL;
    if (batch_run(self, inputs, add_special != 0, pretok != 0, &bt, &objs, fast != 0) == 0) {
        PyTypeObject *etype = encoding_type((PyObject *)self);
        result = etype ? PyList_New(bt.n) : NULL;
        for (Py_ssize_t i = 0; result && i < bt.n; i++) {
            PyObject *r = objs.objs ? objs.objs[i] : NULL;
            if (r) objs.objs[i] = NULL; /* the list takes it */
            else r = make_encoding(etype, (PyObject *)self, &bt.out[i], bt.a[i].obj, bt.b[i].obj);
            if (!r) { Py_CLEAR(result); break; }
            PyList_SET_ITEM(result, i, r);
        }
    }
    for (Py_ssize_t i = 0; objs.objs && i < bt.n; i++) Py_XDECREF(objs.objs[i]);
    batch_objs_free(&objs);
    batch_release(&bt);
    return result;
}

/* encode_batch_ids(inputs, add_special_tokens=True, padded=False, pad_id=0) -> NumPy:
 *   padded=False: (ids int32[total], row_offsets int64[n+1])  (row i = ids[off[i]:off[i+1]])
 *   padded=True:  (ids int32[n, longest], attention_mask int8[n, longest]), right-padded.
 * No Python object per token: the ids go straight from the core into the arrays. */
static PyObject *Tokenizer_encode_batch_ids(TokenizerObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"inputs", "add_special_tokens", "padded", "pad_id", NULL};
    PyObject *inputs;
    int add_special = 1, padded = 0;
    unsigned int pad_id = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|ppI:encode_batch_ids", kwlist, &inputs,
                                     &add_special, &padded, &pad_id))
        return NULL;
    batch bt;
    PyObject *result = NULL;
    if (batch_run(self, inputs, add_special != 0, false, &bt, NULL, false) < 0) {
        batch_release(&bt);
        return NULL;
    }
    size_t total = 0, longest = 0;
    for (Py_ssize_t i = 0; i < bt.n; i++) {
        total += bt.out[i].n;
        if (bt.out[i].n > longest) longest = bt.out[i].n;
    }
    if (!padded) {
        npy_intp dims1[1] = {(npy_intp)total}, dims2[1] = {(npy_intp)bt.n + 1};
        PyArrayObject *ids = (PyArrayObject *)PyArray_SimpleNew(1, dims1, NPY_INT32);
        PyArrayObject *off = (PyArrayObject *)PyArray_SimpleNew(1, dims2, NPY_INT64);
        if (ids && off) {
            int32_t *dst = PyArray_DATA(ids);
            int64_t *o = PyArray_DATA(off);
            size_t at = 0;
            o[0] = 0;
            for (Py_ssize_t i = 0; i < bt.n; i++) {
                memcpy(dst + at, bt.out[i].ids, bt.out[i].n * sizeof *dst);
                at += bt.out[i].n;
                o[i + 1] = (int64_t)at;
            }
            result = Py_BuildValue("(NN)", ids, off);
        } else {
            Py_XDECREF(ids);
            Py_XDECREF(off);
        }
    } else {
        npy_intp dims[2] = {(npy_intp)bt.n, (npy_intp)longest};
        PyArrayObject *ids = (PyArrayObject *)PyArray_SimpleNew(2, dims, NPY_INT32);
        PyArrayObject *mask = (PyArrayObject *)PyArray_ZEROS(2, dims, NPY_INT8, 0);
        if (ids && mask) {
            int32_t *dst = PyArray_DATA(ids);
            int8_t *m = PyArray_DATA(mask);
            for (Py_ssize_t i = 0; i < bt.n; i++) {
                const hfc_encoding *e = &bt.out[i];
                int32_t *row = dst + (size_t)i * longest;
                memcpy(row, e->ids, e->n * sizeof *row);
                for (size_t k = e->n; k < longest; k++) row[k] = (int32_t)pad_id;
                for (size_t k = 0; k < e->n; k++) m[(size_t)i * longest + k] = (int8_t)e->attention_mask[k];
            }
            result = Py_BuildValue("(NN)", ids, mask);
        } else {
            Py_XDECREF(ids);
            Py_XDECREF(mask);
        }
    }
    batch_release(&bt);
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
        pthread_rwlock_rdlock(&self->settings);
        st = hfc_tokenizer_decode(self->tok, s, ids, (size_t)n, skip_special != 0, &out);
        pthread_rwlock_unlock(&self->settings);
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
    pthread_rwlock_rdlock(&self->settings);
    int64_t id = hfc_tokenizer_token_to_id(self->tok, s, (size_t)len);
    pthread_rwlock_unlock(&self->settings);
    if (id < 0) Py_RETURN_NONE;
    return PyLong_FromLongLong(id);
}

static PyObject *Tokenizer_id_to_token(TokenizerObject *self, PyObject *arg) {
    unsigned long id = PyLong_AsUnsignedLong(arg);
    if (id == (unsigned long)-1 && PyErr_Occurred()) return NULL;
    uint32_t len;
    pthread_rwlock_rdlock(&self->settings);
    const char *s = id <= UINT32_MAX ? hfc_tokenizer_id_to_token(self->tok, (uint32_t)id, &len) : NULL;
    PyObject *r = s ? PyUnicode_DecodeUTF8(s, len, "strict") : (Py_INCREF(Py_None), Py_None);
    pthread_rwlock_unlock(&self->settings);
    return r;
}

static PyObject *Tokenizer_ids_to_tokens(TokenizerObject *self, PyObject *arg) {
    uint32_t *ids;
    Py_ssize_t n;
    if (ids_from_py(arg, &ids, &n) < 0) return NULL;
    PyObject *l = PyList_New(n);
    pthread_rwlock_rdlock(&self->settings);
    for (Py_ssize_t i = 0; l && i < n; i++) {
        uint32_t len;
        const char *s = hfc_tokenizer_id_to_token(self->tok, ids[i], &len);
        PyObject *x = s ? PyUnicode_DecodeUTF8(s, len, "strict") : (Py_INCREF(Py_None), Py_None);
        if (!x) { Py_CLEAR(l); break; }
        PyList_SET_ITEM(l, i, x);
    }
    pthread_rwlock_unlock(&self->settings);
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
    pthread_rwlock_rdlock(&self->settings);
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
    pthread_rwlock_unlock(&self->settings);
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

/* The JSON text a core call wrote into *out as a str (or its error); frees *out. */
static PyObject *json_text(hfc_status st, hfc_buf *out) {
    PyObject *r = st == HFC_OK ? PyUnicode_DecodeUTF8(out->data ? out->data : "", (Py_ssize_t)out->len, "strict")
                               : hfc_py_raise(st);
    hfc_buf_free(out);
    return r;
}

static PyObject *Tokenizer_to_str(TokenizerObject *self, PyObject *args) {
    int indent = -1;
    if (!PyArg_ParseTuple(args, "|i:to_str", &indent)) return NULL;
    hfc_buf out = {0};
    hfc_status st;
    Py_BEGIN_ALLOW_THREADS
    pthread_rwlock_rdlock(&self->settings);
    st = hfc_tokenizer_to_json(self->tok, indent, &out);
    pthread_rwlock_unlock(&self->settings);
    Py_END_ALLOW_THREADS
    return json_text(st, &out);
}

/* _component(name) -> str: one component of the tokenizer.json, compact JSON ("null" if
 * none); _to_str_with(name, json) -> str: to_str() with that component replaced. */
static PyObject *Tokenizer_component(TokenizerObject *self, PyObject *args) {
    const char *name, *value = NULL;
    Py_ssize_t len = 0;
    if (!PyArg_ParseTuple(args, "s|s#:_component", &name, &value, &len)) return NULL;
    hfc_buf out = {0};
    hfc_status st;
    Py_BEGIN_ALLOW_THREADS
    pthread_rwlock_rdlock(&self->settings);
    st = value ? hfc_tokenizer_to_json_with(self->tok, -1, name, value, (size_t)len, &out)
               : hfc_tokenizer_component_json(self->tok, name, &out);
    pthread_rwlock_unlock(&self->settings);
    Py_END_ALLOW_THREADS
    return json_text(st, &out);
}

/* _add_tokens([(content, single_word, lstrip, rstrip, normalized, special), ...]) -> int */
static PyObject *Tokenizer_add_tokens(TokenizerObject *self, PyObject *arg) {
    PyObject *seq = PySequence_Fast(arg, "expected a list of token tuples");
    if (!seq) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    hfc_added_token_spec *v = PyMem_Calloc((size_t)n + 1, sizeof *v);
    if (!v) { Py_DECREF(seq); return PyErr_NoMemory(); }
    for (Py_ssize_t i = 0; i < n; i++) {
        int sw, ls, rs, nm, sp;
        PyObject *content;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, i), "Uppppp", &content, &sw, &ls, &rs, &nm, &sp)) {
            PyMem_Free(v);
            Py_DECREF(seq);
            return NULL;
        }
        Py_ssize_t len;
        v[i].content = PyUnicode_AsUTF8AndSize(content, &len);
        if (!v[i].content) { PyMem_Free(v); Py_DECREF(seq); return NULL; }
        v[i].len = (size_t)len;
        v[i].single_word = sw; v[i].lstrip = ls; v[i].rstrip = rs; v[i].normalized = nm; v[i].special = sp;
    }
    size_t added = 0;
    hfc_status st;
    Py_BEGIN_ALLOW_THREADS
    pthread_rwlock_wrlock(&self->settings);
    st = hfc_tokenizer_add_tokens(self->tok, v, (size_t)n, &added);
    pthread_rwlock_unlock(&self->settings);
    Py_END_ALLOW_THREADS
    PyMem_Free(v);
    Py_DECREF(seq);
    if (st != HFC_OK) return hfc_py_raise(st);
    return PyLong_FromSize_t(added);
}

static PyMethodDef Tokenizer_methods[] = {
    {"to_str", (PyCFunction)Tokenizer_to_str, METH_VARARGS, "to_str(indent=-1) -> str"},
    {"_add_tokens", (PyCFunction)Tokenizer_add_tokens, METH_O, "internal"},
    {"_component", (PyCFunction)Tokenizer_component, METH_VARARGS,
     "internal: _component(name) -> its JSON; _component(name, json) -> to_str() with it replaced"},
    {"_set_truncation", (PyCFunction)Tokenizer_set_truncation, METH_VARARGS, "internal"},
    {"_get_truncation", (PyCFunction)Tokenizer_get_truncation, METH_NOARGS, "internal"},
    {"_set_padding", (PyCFunction)Tokenizer_set_padding, METH_VARARGS, "internal"},
    {"_get_padding", (PyCFunction)Tokenizer_get_padding, METH_NOARGS, "internal"},
    {"from_file", (PyCFunction)Tokenizer_from_file, METH_O | METH_CLASS, "from_file(path)"},
    {"from_str", (PyCFunction)Tokenizer_from_str, METH_O | METH_CLASS, "from_str(json)"},
    {"from_buffer", (PyCFunction)Tokenizer_from_buffer, METH_O | METH_CLASS, "from_buffer(bytes)"},
    {"encode", (PyCFunction)(void (*)(void))Tokenizer_encode, METH_FASTCALL | METH_KEYWORDS,
     "encode(sequence, pair=None, is_pretokenized=False, add_special_tokens=True) -> Encoding\n\n"
     "Encode a sequence (str, or a list of words with is_pretokenized) and an optional pair,\n"
     "exactly as tokenizers.Tokenizer.encode."},
    {"_set_state", (PyCFunction)Tokenizer_set_state, METH_O, "internal: unpickling"},
    {"encode_batch_ids", (PyCFunction)(void (*)(void))Tokenizer_encode_batch_ids,
     METH_VARARGS | METH_KEYWORDS,
     "encode_batch_ids(inputs, add_special_tokens=True, padded=False, pad_id=0) -> NumPy arrays"},
    {"encode_batch", (PyCFunction)(void (*)(void))Tokenizer_encode_batch, METH_VARARGS | METH_KEYWORDS,
     "encode_batch(inputs, add_special_tokens=True, is_pretokenized=False, fast=False) -> list of Encoding (fast: offsets dropped, as HF encode_batch_fast)"},
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
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = Tokenizer_slots,
};

static PyObject *Encoding_get_tokens(EncodingObject *self, void *c) {
    TokenizerObject *tok = (TokenizerObject *)self->tokenizer;
    const hfc_encoding *e = &self->enc;
    /* the list before the lock: making a container may collect garbage, whose finalizers
     * must not run while the settings are read-locked (strs are not collected) */
    PyObject *l = PyList_New((Py_ssize_t)e->n);
    if (!l) return NULL;
    pthread_rwlock_rdlock(&tok->settings);
    const hfc_padding *pd = hfc_tokenizer_padding(tok->tok);
    for (size_t i = 0; l && i < e->n; i++) {
        uint32_t len = 0;
        const char *s;
        if (pd && !e->attention_mask[i] && e->seq_ids[i] < 0) { s = pd->pad_token; len = (uint32_t)strlen(s); }
        else if (e->no_strings && !e->special_mask[i]) s = ""; /* encode_batch_fast */
        else if (!(s = hfc_encoding_token_override(e, i, &len)))
            s = hfc_tokenizer_token_value(tok->tok, e->ids[i], &len);
        PyObject *x = s ? PyUnicode_DecodeUTF8(s, len, "replace") : (Py_INCREF(Py_None), Py_None);
        if (!x) { Py_CLEAR(l); break; }
        PyList_SET_ITEM(l, (Py_ssize_t)i, x);
    }
    pthread_rwlock_unlock(&tok->settings);
    return l;
}

static PyObject *set_encoding_subtype(PyObject *module, PyObject *cls) {
    hfc_py_state *st = hfc_py_get_state(module);
    if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls, st->Encoding_type)) {
        PyErr_SetString(PyExc_TypeError, "expected a subclass of hfc._C.Encoding");
        return NULL;
    }
    /* A subclass that adds no storage, __del__ or weak references (hfc.tokenizers.Encoding:
     * methods only) is freed by the base's dealloc directly: CPython's generic subclass
     * dealloc would only look for those and then call it, and the caller of an
     * encode_batch pays that once per Encoding, on its own thread. */
    PyTypeObject *t = (PyTypeObject *)cls, *base = st->Encoding_type;
    if (t != base && t->tp_base == base && t->tp_basicsize == base->tp_basicsize &&
        t->tp_itemsize == 0 && t->tp_dictoffset == 0 &&
        t->tp_weaklistoffset == base->tp_weaklistoffset && !t->tp_finalize && !t->tp_del) {
        t->tp_dealloc = base->tp_dealloc;
        PyType_Modified(t);
    }
    Py_INCREF(cls);
    Py_XSETREF(st->Encoding_subtype, (PyTypeObject *)cls);
    Py_RETURN_NONE;
}

static PyObject *regex_scanner_patterns(PyObject *module, PyObject *unused) {
    PyObject *l = PyList_New(0);
    size_t len;
    const char *p;
    for (size_t i = 0; l && (p = hfc_regex_scanner_pattern(i, &len)); i++) {
        PyObject *x = PyUnicode_DecodeUTF8(p, (Py_ssize_t)len, "strict");
        if (!x || PyList_Append(l, x) < 0) Py_CLEAR(l);
        Py_XDECREF(x);
    }
    return l;
}

static PyMethodDef tokenizers_module_methods[] = {
    {"_regex_scanner_patterns", regex_scanner_patterns, METH_NOARGS,
     "pre-tokenizer regexes run by hand-written scanners (exact to HF's Unicode tables)"},
    {"_set_encoding_class", set_encoding_subtype, METH_O,
     "internal: the Python Encoding subclass instances are created as"},
    {NULL, NULL, 0, NULL},
};

int hfc_py_init_tokenizers(PyObject *m) {
    PyObject *et = PyType_FromModuleAndSpec(m, &Encoding_spec, NULL);
    if (!et) return -1;
    hfc_py_get_state(m)->Encoding_type = (PyTypeObject *)et;
    Py_INCREF(et);
    if (PyModule_AddObject(m, "Encoding", et) < 0) {
        Py_DECREF(et);
        return -1;
    }
    if (PyModule_AddFunctions(m, tokenizers_module_methods) < 0) return -1;
    PyObject *tp = PyType_FromModuleAndSpec(m, &Tokenizer_spec, NULL);
    if (!tp) return -1;
    if (PyModule_AddObject(m, "Tokenizer", tp) < 0) {
        Py_DECREF(tp);
        return -1;
    }
    return 0;
}
