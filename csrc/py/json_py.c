/* Private JSON entry points for tests and benchmarks: the core reader/writer seen
 * from Python. Users never need these; tokenizer.json etc. are read in C. */
#include "hfc_py.h"

static PyObject *value_to_py(const hfc_json_value *v);

static PyObject *object_to_py(const hfc_json_value *v) {
    PyObject *d = PyDict_New();
    if (!d) return NULL;
    for (uint32_t i = 0; i < v->len; i++) {
        const hfc_json_member *m = &v->u.members[i];
        PyObject *k = PyUnicode_DecodeUTF8(m->key.u.s, m->key.len, "strict");
        PyObject *val = k ? value_to_py(&m->value) : NULL;
        if (!val || PyDict_SetItem(d, k, val) < 0) {
            Py_XDECREF(k);
            Py_XDECREF(val);
            Py_DECREF(d);
            return NULL;
        }
        Py_DECREF(k);
        Py_DECREF(val);
    }
    return d;
}

static PyObject *value_to_py(const hfc_json_value *v) {
    switch ((hfc_json_type)v->type) {
    case HFC_JSON_NULL: Py_RETURN_NONE;
    case HFC_JSON_FALSE: Py_RETURN_FALSE;
    case HFC_JSON_TRUE: Py_RETURN_TRUE;
    case HFC_JSON_INT: return PyLong_FromLongLong(v->u.i);
    case HFC_JSON_DOUBLE: return PyFloat_FromDouble(v->u.d);
    case HFC_JSON_STRING: return PyUnicode_DecodeUTF8(v->u.s, v->len, "strict");
    case HFC_JSON_ARRAY: {
        PyObject *l = PyList_New(v->len);
        if (!l) return NULL;
        for (uint32_t i = 0; i < v->len; i++) {
            PyObject *item = value_to_py(&v->u.items[i]);
            if (!item) { Py_DECREF(l); return NULL; }
            PyList_SET_ITEM(l, i, item);
        }
        return l;
    }
    case HFC_JSON_OBJECT: return object_to_py(v);
    }
    PyErr_SetString(PyExc_SystemError, "hfc: corrupt JSON value type");
    return NULL;
}

/* Borrow the bytes of `data` (bytes-like or str). The view is held until
 * release_input, so a DOM pointing into it stays valid while we convert it. */
typedef struct json_input {
    Py_buffer view;
    int have_view;
    const char *buf;
    Py_ssize_t len;
} json_input;

static int get_input(PyObject *data, json_input *in) {
    in->have_view = 0;
    if (PyUnicode_Check(data)) {
        in->buf = PyUnicode_AsUTF8AndSize(data, &in->len);
        return in->buf ? 0 : -1;
    }
    if (PyObject_GetBuffer(data, &in->view, PyBUF_SIMPLE) < 0) return -1;
    in->have_view = 1;
    in->buf = in->view.buf;
    in->len = in->view.len;
    return 0;
}

static void release_input(json_input *in) {
    if (in->have_view) PyBuffer_Release(&in->view);
    in->have_view = 0;
}

/* Parse with the GIL released; on failure raises and releases the input. */
static int parse_input(json_input *in, const hfc_json_opts *opts, hfc_json_doc **doc) {
    hfc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = hfc_json_parse(in->buf, (size_t)in->len, opts, doc);
    Py_END_ALLOW_THREADS
    if (st == HFC_OK) return 0;
    release_input(in);
    return hfc_py_raise_int(st);
}

static int parse_opts(PyObject *kwargs_max_depth, int allow_dup, const char *name,
                      hfc_json_opts *opts) {
    opts->max_depth = 0;
    opts->allow_duplicate_keys = allow_dup != 0;
    opts->name = name;
    if (kwargs_max_depth && kwargs_max_depth != Py_None) {
        long d = PyLong_AsLong(kwargs_max_depth);
        if (d == -1 && PyErr_Occurred()) return -1;
        if (d < 1 || d > 1000000) {
            PyErr_SetString(PyExc_ValueError, "max_depth must be in 1..1000000");
            return -1;
        }
        opts->max_depth = (uint32_t)d;
    }
    return 0;
}

static PyObject *py_json_loads(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *kwlist[] = {"data", "max_depth", "allow_duplicate_keys", "name", NULL};
    PyObject *data, *max_depth = Py_None;
    int allow_dup = 0;
    const char *name = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$Ops:_json_loads", kwlist, &data,
                                     &max_depth, &allow_dup, &name))
        return NULL;
    hfc_json_opts opts;
    if (parse_opts(max_depth, allow_dup, name, &opts) < 0) return NULL;
    json_input in;
    hfc_json_doc *doc = NULL;
    if (get_input(data, &in) < 0 || parse_input(&in, &opts, &doc) < 0) return NULL;
    PyObject *out = value_to_py(hfc_json_root(doc));
    hfc_json_free(doc);
    release_input(&in);
    return out;
}

static PyObject *py_json_roundtrip(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *kwlist[] = {"data", "indent", NULL};
    PyObject *data;
    int indent = -1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$i:_json_roundtrip", kwlist, &data, &indent))
        return NULL;
    json_input in;
    hfc_json_doc *doc = NULL;
    if (get_input(data, &in) < 0 || parse_input(&in, NULL, &doc) < 0) return NULL;
    hfc_buf out = {0};
    hfc_status st = hfc_json_write_value(&out, hfc_json_root(doc), indent);
    hfc_json_free(doc);
    release_input(&in);
    if (st != HFC_OK) {
        hfc_buf_free(&out);
        return hfc_py_raise(st);
    }
    PyObject *b = PyBytes_FromStringAndSize(out.data ? out.data : "", (Py_ssize_t)out.len);
    hfc_buf_free(&out);
    return b;
}

/* _json_parse_file(path) -> number of values: the C parse alone, for benchmarks. */
static PyObject *py_json_parse_file(PyObject *self, PyObject *arg) {
    (void)self;
    PyObject *bytes_path;
    if (!PyUnicode_FSConverter(arg, &bytes_path)) return NULL;
    hfc_json_doc *doc = NULL;
    hfc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = hfc_json_parse_file(PyBytes_AS_STRING(bytes_path), NULL, &doc);
    Py_END_ALLOW_THREADS
    Py_DECREF(bytes_path);
    if (st != HFC_OK) return hfc_py_raise(st);
    size_t n = hfc_json_value_count(doc);
    hfc_json_free(doc);
    return PyLong_FromSize_t(n);
}

PyMethodDef hfc_py_json_methods[] = {
    {"_json_loads", (PyCFunction)(void (*)(void))py_json_loads, METH_VARARGS | METH_KEYWORDS,
     "_json_loads(data, *, max_depth=None, allow_duplicate_keys=False, name=None): parse with "
     "hfc's strict C reader into Python objects (tests)."},
    {"_json_roundtrip", (PyCFunction)(void (*)(void))py_json_roundtrip,
     METH_VARARGS | METH_KEYWORDS,
     "_json_roundtrip(data, *, indent=-1) -> bytes: parse then write back (tests)."},
    {"_json_parse_file", py_json_parse_file, METH_O,
     "_json_parse_file(path) -> int: parse a file into the C DOM, return its value count."},
    {NULL, NULL, 0, NULL},
};

int hfc_py_init_json(PyObject *m) { return PyModule_AddFunctions(m, hfc_py_json_methods); }
