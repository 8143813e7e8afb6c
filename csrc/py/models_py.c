/* Binding for hfc.models: safetensors files, the safetensors writer, encoders.
 *
 * hfc._C.SafetensorsFile(path=None, data=None) validates a file (mapped) or a bytes-like
 * object (viewed, not copied) and exposes the whole file through the buffer protocol:
 * python/hfc/models/safetensors.py builds NumPy views with numpy.frombuffer(file, ...),
 * so every array keeps the file, and so the mapping, alive through its base. */
#include "hfc_py.h"
#include "hfc/safetensors.h"
#include "hfc/encoder.h"
#include "hfc/kernels.h"
#include "hfc_numpy.h"

#include <string.h>

enum { MODELS_SLOT_ST_FILE = 0, MODELS_SLOT_ENCODER = 1, MODELS_SLOT_CHECKPOINT = 2 };

int hfc_py_init_kernels(PyObject *m); /* kernels_py.c: private _k_* test bindings */

/* ---- SafetensorsFile ---- */

typedef struct {
    PyObject_HEAD
    hfc_st_file *file;
    Py_buffer source; /* the bytes-like object of a data= file (obj NULL for paths) */
    PyObject *owner;  /* a SafetensorsCheckpoint owning `file`, or NULL (owned here) */
} StFileObject;

static PyObject *StFile_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"path", "data", "name", NULL};
    PyObject *path = NULL, *data = NULL;
    const char *name = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O&Oz:SafetensorsFile", kwlist,
                                     PyUnicode_FSConverter, &path, &data, &name))
        return NULL;
    if ((path == NULL) == (data == NULL || data == Py_None)) {
        Py_XDECREF(path);
        PyErr_SetString(PyExc_TypeError, "SafetensorsFile: give exactly one of path or data");
        return NULL;
    }
    StFileObject *self = (StFileObject *)type->tp_alloc(type, 0);
    if (!self) {
        Py_XDECREF(path);
        return NULL;
    }
    hfc_status st;
    if (path) {
        Py_BEGIN_ALLOW_THREADS
        st = hfc_st_open(PyBytes_AS_STRING(path), &self->file);
        Py_END_ALLOW_THREADS
        Py_DECREF(path);
    } else {
        if (PyObject_GetBuffer(data, &self->source, PyBUF_SIMPLE) < 0) {
            Py_DECREF(self);
            return NULL;
        }
        Py_BEGIN_ALLOW_THREADS
        st = hfc_st_open_buffer(self->source.buf, (size_t)self->source.len,
                                name ? name : "<bytes>", &self->file);
        Py_END_ALLOW_THREADS
    }
    if (st != HFC_OK) {
        Py_DECREF(self);
        return hfc_py_raise(st);
    }
    return (PyObject *)self;
}

static void StFile_dealloc(StFileObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    if (self->owner) Py_DECREF(self->owner);
    else hfc_st_free(self->file);
    if (self->source.obj) PyBuffer_Release(&self->source);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static int StFile_getbuffer(StFileObject *self, Py_buffer *view, int flags) {
    if (flags & PyBUF_WRITABLE) {
        PyErr_SetString(PyExc_BufferError, "SafetensorsFile is read-only");
        return -1;
    }
    hfc_mmap *map = hfc_st_mmap(self->file);
    const void *buf = map ? (const void *)hfc_mmap_data(map) : self->source.buf;
    Py_ssize_t len = map ? (Py_ssize_t)hfc_mmap_size(map) : self->source.len;
    return PyBuffer_FillInfo(view, (PyObject *)self, (void *)buf, len, 1, flags);
}

static PyObject *tensor_tuple(StFileObject *self, const hfc_st_tensor *t) {
    PyObject *shape = PyTuple_New(t->ndim);
    if (!shape) return NULL;
    for (uint32_t i = 0; i < t->ndim; i++) {
        PyObject *d = PyLong_FromUnsignedLongLong(t->shape[i]);
        if (!d) {
            Py_DECREF(shape);
            return NULL;
        }
        PyTuple_SET_ITEM(shape, i, d);
    }
    size_t base = 8 + hfc_st_header_size(self->file);
    return Py_BuildValue("(s#Nnn)", t->name, (Py_ssize_t)t->name_len, shape,
                         (Py_ssize_t)(base + t->begin), (Py_ssize_t)(t->end - t->begin));
}

/* tensors() -> [(name, shape, file_offset, nbytes)], in data-offset order; dtypes() the
 * matching dtype codes. Kept apart so the common path builds few objects. */
static PyObject *StFile_tensors(StFileObject *self, PyObject *unused) {
    size_t n = hfc_st_count(self->file);
    PyObject *list = PyList_New((Py_ssize_t)n);
    if (!list) return NULL;
    for (size_t i = 0; i < n; i++) {
        const hfc_st_tensor *t = hfc_st_at(self->file, i);
        PyObject *item = tensor_tuple(self, t);
        if (!item) {
            Py_DECREF(list);
            return NULL;
        }
        PyObject *full = Py_BuildValue("(Ns)", item, hfc_st_dtype_name(t->dtype));
        if (!full) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, full);
    }
    return list;
}

static PyObject *StFile_keys(StFileObject *self, PyObject *unused) {
    size_t n = hfc_st_count(self->file);
    PyObject *list = PyList_New((Py_ssize_t)n);
    if (!list) return NULL;
    for (size_t i = 0; i < n; i++) {
        const hfc_st_tensor *t = hfc_st_at_sorted(self->file, i);
        PyObject *s = PyUnicode_FromStringAndSize(t->name, (Py_ssize_t)t->name_len);
        if (!s) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, s);
    }
    return list;
}

static PyObject *StFile_metadata(StFileObject *self, PyObject *unused) {
    long n = hfc_st_metadata_count(self->file);
    if (n < 0) Py_RETURN_NONE;
    PyObject *d = PyDict_New();
    for (long i = 0; d && i < n; i++) {
        const char *k, *v;
        size_t kl, vl;
        hfc_st_metadata_at(self->file, (size_t)i, &k, &kl, &v, &vl);
        PyObject *ko = PyUnicode_FromStringAndSize(k, (Py_ssize_t)kl);
        PyObject *vo = PyUnicode_FromStringAndSize(v, (Py_ssize_t)vl);
        if (!ko || !vo || PyDict_SetItem(d, ko, vo) < 0) Py_CLEAR(d);
        Py_XDECREF(ko);
        Py_XDECREF(vo);
    }
    return d;
}

/* info(name) -> (name, shape, file_offset, nbytes, dtype); KeyError naming the file. */
static PyObject *StFile_info(StFileObject *self, PyObject *arg) {
    Py_ssize_t len;
    const char *name = PyUnicode_AsUTF8AndSize(arg, &len);
    if (!name) return NULL;
    const hfc_st_tensor *t = hfc_st_find(self->file, name, (size_t)len);
    if (!t) {
        return hfc_py_raise(hfc_fail(HFC_ERR_KEY, "%s: no tensor named '%.*s'",
                                     hfc_st_name(self->file), (int)(len < 200 ? len : 200), name));
    }
    PyObject *item = tensor_tuple(self, t);
    if (!item) return NULL;
    PyObject *r = Py_BuildValue("(OOOOs)", PyTuple_GET_ITEM(item, 0), PyTuple_GET_ITEM(item, 1),
                                PyTuple_GET_ITEM(item, 2), PyTuple_GET_ITEM(item, 3),
                                hfc_st_dtype_name(t->dtype));
    Py_DECREF(item);
    return r;
}

static PyObject *StFile_get_name(StFileObject *self, void *closure) {
    return PyUnicode_DecodeFSDefault(hfc_st_name(self->file));
}

static PyObject *StFile_get_header_size(StFileObject *self, void *closure) {
    return PyLong_FromSize_t(hfc_st_header_size(self->file));
}

static Py_ssize_t StFile_len(StFileObject *self) {
    return (Py_ssize_t)hfc_st_count(self->file);
}

static PyMethodDef StFile_methods[] = {
    {"tensors", (PyCFunction)StFile_tensors, METH_NOARGS,
     "tensors() -> [((name, shape, file_offset, nbytes), dtype)] in data-offset order"},
    {"keys", (PyCFunction)StFile_keys, METH_NOARGS, "tensor names, sorted"},
    {"metadata", (PyCFunction)StFile_metadata, METH_NOARGS, "__metadata__ as a dict, or None"},
    {"info", (PyCFunction)StFile_info, METH_O,
     "info(name) -> (name, shape, file_offset, nbytes, dtype)"},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef StFile_getset[] = {
    {"name", (getter)StFile_get_name, NULL, "path (or the name given for bytes)", NULL},
    {"header_size", (getter)StFile_get_header_size, NULL, "JSON header length", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot StFile_slots[] = {
    {Py_tp_new, StFile_new},
    {Py_tp_dealloc, StFile_dealloc},
    {Py_tp_methods, StFile_methods},
    {Py_tp_getset, StFile_getset},
    {Py_sq_length, StFile_len},
    {Py_bf_getbuffer, StFile_getbuffer},
    {Py_tp_doc, (void *)"SafetensorsFile(path=None, data=None, name=None): a validated "
                        "safetensors file; the buffer protocol exposes its bytes."},
    {0, NULL},
};

static PyType_Spec StFile_spec = {
    .name = "hfc._C.SafetensorsFile",
    .basicsize = sizeof(StFileObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = StFile_slots,
};

/* ---- SafetensorsCheckpoint ----
 * hfc._C.SafetensorsCheckpoint(path): hfc_st_checkpoint_open (a folder, an index .json
 * or one .safetensors file; the index is checked against the shards in C). shards()
 * gives each file as a SafetensorsFile that keeps the checkpoint alive. */

typedef struct {
    PyObject_HEAD
    hfc_st_checkpoint *ck;
} StCkptObject;

static PyObject *StCkpt_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"path", NULL};
    PyObject *path = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&:SafetensorsCheckpoint", kwlist,
                                     PyUnicode_FSConverter, &path))
        return NULL;
    hfc_st_checkpoint *ck = NULL;
    hfc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = hfc_st_checkpoint_open(PyBytes_AS_STRING(path), &ck);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    if (st != HFC_OK) return hfc_py_raise(st);
    StCkptObject *self = (StCkptObject *)type->tp_alloc(type, 0);
    if (!self) {
        hfc_st_checkpoint_free(ck);
        return NULL;
    }
    self->ck = ck;
    return (PyObject *)self;
}

static void StCkpt_dealloc(StCkptObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    hfc_st_checkpoint_free(self->ck);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyObject *StCkpt_shards(StCkptObject *self, PyObject *unused) {
    PyObject *mod = PyType_GetModule(Py_TYPE(self));
    if (!mod) return NULL;
    PyTypeObject *ftype = (PyTypeObject *)hfc_py_get_state(mod)->models[MODELS_SLOT_ST_FILE];
    size_t n = hfc_st_checkpoint_files(self->ck);
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        StFileObject *f = (StFileObject *)ftype->tp_alloc(ftype, 0);
        if (!f) {
            Py_CLEAR(list);
            break;
        }
        f->file = (hfc_st_file *)hfc_st_checkpoint_file(self->ck, i);
        f->owner = Py_NewRef(self);
        PyList_SET_ITEM(list, (Py_ssize_t)i, (PyObject *)f);
    }
    return list;
}

static PyObject *StCkpt_get_index(StCkptObject *self, void *closure) {
    const char *index = hfc_st_checkpoint_index(self->ck);
    if (!index) Py_RETURN_NONE;
    return PyUnicode_DecodeFSDefault(index);
}

static PyMethodDef StCkpt_methods[] = {
    {"shards", (PyCFunction)StCkpt_shards, METH_NOARGS,
     "shards() -> [SafetensorsFile]: the checkpoint's files, in index order"},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef StCkpt_getset[] = {
    {"index", (getter)StCkpt_get_index, NULL, "the index .json path, or None for one file",
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot StCkpt_slots[] = {
    {Py_tp_new, StCkpt_new},
    {Py_tp_dealloc, StCkpt_dealloc},
    {Py_tp_methods, StCkpt_methods},
    {Py_tp_getset, StCkpt_getset},
    {Py_tp_doc, (void *)"SafetensorsCheckpoint(path): one safetensors file or the shards of "
                        "model.safetensors.index.json, validated."},
    {0, NULL},
};

static PyType_Spec StCkpt_spec = {
    .name = "hfc._C.SafetensorsCheckpoint",
    .basicsize = sizeof(StCkptObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = StCkpt_slots,
};

/* ---- writer ---- */

typedef struct write_args {
    hfc_st_input *in;
    Py_buffer *bufs;
    uint64_t *shapes;
    hfc_st_kv *meta;
    PyObject *seq; /* keeps the item tuples (and their UTF-8 names) alive */
    Py_ssize_t n, nbuf, nmeta;
} write_args;

static void write_args_free(write_args *a) {
    for (Py_ssize_t i = 0; i < a->nbuf; i++) PyBuffer_Release(&a->bufs[i]);
    PyMem_Free(a->in);
    PyMem_Free(a->bufs);
    PyMem_Free(a->shapes);
    PyMem_Free(a->meta);
    Py_XDECREF(a->seq);
}

/* items: [(name, dtype_code, shape, buffer)], metadata: dict or None. */
static int write_args_parse(PyObject *items, PyObject *metadata, write_args *a) {
    memset(a, 0, sizeof *a);
    PyObject *seq = a->seq = PySequence_Fast(items, "_safetensors_write: items must be a sequence");
    if (!seq) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq), ndims = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *it = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyTuple_Check(it) || PyTuple_GET_SIZE(it) != 4 || !PyTuple_Check(PyTuple_GET_ITEM(it, 2))) {
            PyErr_SetString(PyExc_TypeError, "_safetensors_write: items are (name, dtype, shape tuple, buffer)");
            return -1;
        }
        ndims += PyTuple_GET_SIZE(PyTuple_GET_ITEM(it, 2));
    }
    a->n = n;
    a->in = PyMem_Calloc(n ? n : 1, sizeof *a->in);
    a->bufs = PyMem_Calloc(n ? n : 1, sizeof *a->bufs);
    a->shapes = PyMem_Calloc(ndims ? ndims : 1, sizeof *a->shapes);
    if (!a->in || !a->bufs || !a->shapes) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t at = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *it = PySequence_Fast_GET_ITEM(seq, i), *shape = PyTuple_GET_ITEM(it, 2);
        hfc_st_input *t = &a->in[i];
        Py_ssize_t nl, dl;
        const char *dt;
        t->name = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(it, 0), &nl);
        if (!t->name || !(dt = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(it, 1), &dl))) goto fail;
        t->name_len = (size_t)nl;
        hfc_status st = hfc_st_dtype_parse(dt, (size_t)dl, &t->dtype);
        if (st != HFC_OK) {
            hfc_py_raise(st);
            goto fail;
        }
        t->ndim = (uint32_t)PyTuple_GET_SIZE(shape);
        t->shape = &a->shapes[at];
        for (uint32_t d = 0; d < t->ndim; d++) {
            a->shapes[at] = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(shape, d));
            if (PyErr_Occurred()) goto fail;
            at++;
        }
        if (PyObject_GetBuffer(PyTuple_GET_ITEM(it, 3), &a->bufs[i], PyBUF_C_CONTIGUOUS) < 0) goto fail;
        a->nbuf = i + 1;
        t->data = a->bufs[i].buf;
        t->nbytes = (size_t)a->bufs[i].len;
    }
    if (metadata == Py_None) return 0;
    if (!PyDict_Check(metadata)) {
        PyErr_SetString(PyExc_TypeError, "metadata must be a dict of str to str or None");
        return -1;
    }
    a->nmeta = PyDict_Size(metadata);
    a->meta = PyMem_Calloc(a->nmeta ? a->nmeta : 1, sizeof *a->meta);
    if (!a->meta) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t pos = 0, k = 0;
    PyObject *key, *val;
    while (PyDict_Next(metadata, &pos, &key, &val)) {
        if (!PyUnicode_Check(key) || !PyUnicode_Check(val)) {
            PyErr_SetString(PyExc_TypeError, "metadata must be a dict of str to str");
            return -1;
        }
        Py_ssize_t kl, vl;
        a->meta[k].key = PyUnicode_AsUTF8AndSize(key, &kl);
        a->meta[k].val = PyUnicode_AsUTF8AndSize(val, &vl);
        if (!a->meta[k].key || !a->meta[k].val) return -1;
        a->meta[k].klen = (size_t)kl;
        a->meta[k].vlen = (size_t)vl;
        k++;
    }
    return 0;
fail:
    return -1;
}

/* _safetensors_write(items, metadata, path=None) -> bytes (path None) or None. */
static PyObject *py_safetensors_write(PyObject *mod, PyObject *args) {
    PyObject *items, *metadata, *path = Py_None;
    if (!PyArg_ParseTuple(args, "OO|O:_safetensors_write", &items, &metadata, &path)) return NULL;
    write_args a;
    if (write_args_parse(items, metadata, &a) < 0) {
        write_args_free(&a);
        return NULL;
    }
    int has_meta = metadata != Py_None;
    hfc_status st;
    PyObject *result = NULL;
    if (path == Py_None) {
        hfc_buf out = {0};
        Py_BEGIN_ALLOW_THREADS
        st = hfc_st_serialize(a.in, (size_t)a.n, has_meta, a.meta, (size_t)a.nmeta, &out);
        Py_END_ALLOW_THREADS
        if (st == HFC_OK) result = PyBytes_FromStringAndSize(out.data ? out.data : "", (Py_ssize_t)out.len);
        else hfc_py_raise(st);
        hfc_buf_free(&out);
    } else {
        PyObject *pb;
        if (PyUnicode_FSConverter(path, &pb)) {
            Py_BEGIN_ALLOW_THREADS
            st = hfc_st_write_file(PyBytes_AS_STRING(pb), a.in, (size_t)a.n, has_meta, a.meta,
                                   (size_t)a.nmeta);
            Py_END_ALLOW_THREADS
            Py_DECREF(pb);
            if (st == HFC_OK) result = Py_NewRef(Py_None);
            else hfc_py_raise(st);
        }
    }
    write_args_free(&a);
    return result;
}

/* ---- Encoder ---- */

typedef struct {
    PyObject_HEAD
    hfc_encoder *enc;
} EncoderObject;

static PyObject *Encoder_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"path", NULL};
    PyObject *path = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&:Encoder", kwlist, PyUnicode_FSConverter, &path))
        return NULL;
    hfc_encoder *enc = NULL;
    hfc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = hfc_encoder_load(PyBytes_AS_STRING(path), &enc);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    if (st != HFC_OK) return hfc_py_raise(st);
    EncoderObject *self = (EncoderObject *)type->tp_alloc(type, 0);
    if (!self) {
        hfc_encoder_free(enc);
        return NULL;
    }
    self->enc = enc;
    return (PyObject *)self;
}

static void Encoder_dealloc(EncoderObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    hfc_encoder_free(self->enc);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyObject *Encoder_get_config(EncoderObject *self, void *closure) {
    const hfc_encoder_config *c = hfc_encoder_get_config(self->enc);
    static const char *acts[] = {"none", "gelu", "gelu_tanh", "relu", "tanh", "quick_gelu",
                                 "silu"};
    return Py_BuildValue("{s:s,s:n,s:n,s:n,s:n,s:n,s:n,s:n,s:d,s:s,s:L,s:O}", "model_type",
                         c->model_type, "vocab_size", (Py_ssize_t)c->vocab_size, "hidden_size",
                         (Py_ssize_t)c->hidden, "num_hidden_layers", (Py_ssize_t)c->layers,
                         "num_attention_heads", (Py_ssize_t)c->heads, "intermediate_size",
                         (Py_ssize_t)c->intermediate, "max_position_embeddings",
                         (Py_ssize_t)c->max_positions, "type_vocab_size",
                         (Py_ssize_t)c->type_vocab, "layer_norm_eps", (double)c->layer_norm_eps,
                         "activation", acts[(unsigned)c->act < 7 ? c->act : 0], "pad_token_id",
                         (long long)c->pad_token_id, "has_pooler",
                         c->has_pooler ? Py_True : Py_False);
}

static PyObject *Encoder_get_weights_size(EncoderObject *self, void *closure) {
    return PyLong_FromSize_t(hfc_encoder_weights_size(self->enc));
}

/* An optional int64 [batch, seq] C-contiguous array (the Python layer converts). */
static int int64_matrix(PyObject *o, const char *what, npy_intp b, npy_intp s, const int64_t **out) {
    *out = NULL;
    if (o == Py_None) return 0;
    if (!PyArray_Check(o) || PyArray_TYPE((PyArrayObject *)o) != NPY_INT64 ||
        PyArray_NDIM((PyArrayObject *)o) != 2 || !PyArray_IS_C_CONTIGUOUS((PyArrayObject *)o)) {
        PyErr_Format(PyExc_ValueError, "%s must be a C-contiguous int64 array of 2 dimensions", what);
        return -1;
    }
    npy_intp *d = PyArray_DIMS((PyArrayObject *)o);
    if (b >= 0 && (d[0] != b || d[1] != s)) {
        PyErr_Format(PyExc_ValueError, "%s has shape (%zd, %zd), but input_ids has (%zd, %zd)",
                     what, (Py_ssize_t)d[0], (Py_ssize_t)d[1], (Py_ssize_t)b, (Py_ssize_t)s);
        return -1;
    }
    *out = PyArray_DATA((PyArrayObject *)o);
    return 0;
}

/* forward(input_ids, attention_mask, token_type_ids) -> (last_hidden_state, pooler_output|None) */
static PyObject *Encoder_forward(EncoderObject *self, PyObject *args) {
    PyObject *ids_o, *mask_o = Py_None, *types_o = Py_None;
    if (!PyArg_ParseTuple(args, "O|OO:forward", &ids_o, &mask_o, &types_o)) return NULL;
    const int64_t *ids, *mask, *types;
    if (ids_o == Py_None) {
        PyErr_SetString(PyExc_ValueError, "input_ids is required");
        return NULL;
    }
    if (int64_matrix(ids_o, "input_ids", -1, -1, &ids) < 0) return NULL;
    npy_intp b = PyArray_DIMS((PyArrayObject *)ids_o)[0], s = PyArray_DIMS((PyArrayObject *)ids_o)[1];
    if (int64_matrix(mask_o, "attention_mask", b, s, &mask) < 0 ||
        int64_matrix(types_o, "token_type_ids", b, s, &types) < 0)
        return NULL;
    const hfc_encoder_config *c = hfc_encoder_get_config(self->enc);
    npy_intp hd[3] = {b, s, (npy_intp)c->hidden}, pd[2] = {b, (npy_intp)c->hidden};
    PyArrayObject *hidden = (PyArrayObject *)PyArray_SimpleNew(3, hd, NPY_FLOAT32);
    PyArrayObject *pooled = c->has_pooler ? (PyArrayObject *)PyArray_SimpleNew(2, pd, NPY_FLOAT32) : NULL;
    if (!hidden || (c->has_pooler && !pooled)) {
        Py_XDECREF(hidden);
        Py_XDECREF(pooled);
        return NULL;
    }
    hfc_status st;
    float *hp = PyArray_DATA(hidden), *pp = pooled ? PyArray_DATA(pooled) : NULL;
    Py_BEGIN_ALLOW_THREADS
    st = hfc_encoder_forward(self->enc, ids, mask, types, (size_t)b, (size_t)s, hp, pp);
    Py_END_ALLOW_THREADS
    if (st != HFC_OK) {
        Py_DECREF(hidden);
        Py_XDECREF(pooled);
        return hfc_py_raise(st);
    }
    return Py_BuildValue("(NN)", hidden, pooled ? (PyObject *)pooled : Py_NewRef(Py_None));
}

static PyMethodDef Encoder_methods[] = {
    {"forward", (PyCFunction)Encoder_forward, METH_VARARGS,
     "forward(input_ids, attention_mask=None, token_type_ids=None) -> (hidden, pooled|None); "
     "int64 C-contiguous [batch, seq] arrays"},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Encoder_getset[] = {
    {"config", (getter)Encoder_get_config, NULL, "the parsed configuration", NULL},
    {"weights_size", (getter)Encoder_get_weights_size, NULL, "bytes of tensor data", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot Encoder_slots[] = {
    {Py_tp_new, Encoder_new},
    {Py_tp_dealloc, Encoder_dealloc},
    {Py_tp_methods, Encoder_methods},
    {Py_tp_getset, Encoder_getset},
    {Py_tp_doc, (void *)"Encoder(path): a BERT-family encoder loaded from a model folder."},
    {0, NULL},
};

static PyType_Spec Encoder_spec = {
    .name = "hfc._C.Encoder",
    .basicsize = sizeof(EncoderObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = Encoder_slots,
};

static int add_type(PyObject *m, PyType_Spec *spec, int slot, const char *name) {
    PyObject *tp = PyType_FromModuleAndSpec(m, spec, NULL);
    if (!tp) return -1;
    hfc_py_get_state(m)->models[slot] = tp;
    Py_INCREF(tp);
    if (PyModule_AddObject(m, name, tp) < 0) {
        Py_DECREF(tp);
        return -1;
    }
    return 0;
}

static PyMethodDef models_module_methods[] = {
    {"_safetensors_write", py_safetensors_write, METH_VARARGS,
     "_safetensors_write(items, metadata, path=None): items [(name, dtype, shape, buffer)]"},
    {NULL, NULL, 0, NULL},
};

int hfc_py_init_models(PyObject *m) {
    if (hfc_py_init_kernels(m) < 0) return -1;
    if (PyModule_AddFunctions(m, models_module_methods) < 0) return -1;
    if (add_type(m, &StFile_spec, MODELS_SLOT_ST_FILE, "SafetensorsFile") < 0) return -1;
    if (add_type(m, &StCkpt_spec, MODELS_SLOT_CHECKPOINT, "SafetensorsCheckpoint") < 0) return -1;
    return add_type(m, &Encoder_spec, MODELS_SLOT_ENCODER, "Encoder");
}
