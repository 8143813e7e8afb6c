/* Binding for hfc.hub: Hub client and cache. Private entry points used by python/hfc/hub.py;
 * the GIL is released around every network or disk call. */
#include "hfc_py.h"
#include "hfc/hub.h"

/* ---- shared option parsing ---- */

typedef struct http_args {
    PyObject *headers_seq; /* tuple of str, owned */
    const char **headers;  /* NULL-terminated, pointers into headers_seq's strings */
    hfc_hub_http_opts o;
} http_args;

static void http_args_free(http_args *a) {
    PyMem_Free(a->headers);
    Py_XDECREF(a->headers_seq);
}

static int http_args_fill(http_args *a, PyObject *headers, const char *token, const char *auth_origin,
                          double timeout, int retries, int redirects) {
    memset(a, 0, sizeof *a);
    a->o.token = token;
    a->o.auth_origin = auth_origin;
    a->o.timeout = timeout;
    a->o.retries = retries;
    a->o.redirects = redirects;
    if (headers && headers != Py_None) {
        a->headers_seq = PySequence_Tuple(headers);
        if (!a->headers_seq) return -1;
        Py_ssize_t n = PyTuple_GET_SIZE(a->headers_seq);
        a->headers = PyMem_Calloc((size_t)n + 1, sizeof(char *));
        if (!a->headers) {
            PyErr_NoMemory();
            return -1;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            const char *s = PyUnicode_AsUTF8(PyTuple_GET_ITEM(a->headers_seq, i));
            if (!s) return -1;
            if (strpbrk(s, "\r\n")) {
                PyErr_SetString(PyExc_ValueError, "HTTP header lines must not contain CR or LF");
                return -1;
            }
            a->headers[i] = s;
        }
        a->o.headers = a->headers;
    }
    return 0;
}

static PyObject *response_to_py(const hfc_hub_response *r) {
    return Py_BuildValue("(lsy#y#i)", r->status, r->url ? r->url : "",
                         r->headers.data ? r->headers.data : "", (Py_ssize_t)r->headers.len,
                         r->body.data ? r->body.data : "", (Py_ssize_t)r->body.len,
                         r->redirected_cross_origin);
}

/* _hub_request(method, url, headers=None, token=None, auth_origin=None, body=None,
 *              body_path=None, body_offset=0, body_len=-1, timeout=10.0, retries=-1,
 *              redirects=2) -> (status, final_url, raw_headers: bytes, body: bytes, cross_origin) */
static PyObject *py_request(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"method", "url", "headers", "token", "auth_origin", "body", "body_path",
                             "body_offset", "body_len", "timeout", "retries", "redirects", NULL};
    const char *method, *url, *token = NULL, *auth_origin = NULL, *body_path = NULL;
    PyObject *headers = NULL;
    Py_buffer body = {0};
    long long off = 0, blen = -1;
    double timeout = 10.0;
    int retries = -1, redirects = 2;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "ss|Ozzz*zLLdii:_hub_request", kwlist, &method, &url,
                                     &headers, &token, &auth_origin, &body, &body_path, &off, &blen,
                                     &timeout, &retries, &redirects))
        return NULL;
    http_args a;
    if (http_args_fill(&a, headers, token, auth_origin, timeout, retries, redirects) < 0) {
        http_args_free(&a);
        PyBuffer_Release(&body);
        return NULL;
    }
    hfc_hub_response r;
    hfc_status st;
    Py_BEGIN_ALLOW_THREADS
    if (body_path) st = hfc_hub_http_file(method, url, body_path, off, blen, &a.o, &r);
    else st = hfc_hub_http(method, url, body.buf, body.buf ? (size_t)body.len : 0, &a.o, &r);
    Py_END_ALLOW_THREADS
    http_args_free(&a);
    PyBuffer_Release(&body);
    PyObject *res = st == HFC_OK ? response_to_py(&r) : hfc_py_raise(st);
    hfc_hub_response_clear(&r);
    return res;
}

/* ---- fetch ---- */

typedef struct progress_ctx {
    PyObject *fn;
} progress_ctx;

/* Progress and Ctrl-C: feeds the bar (if any), and cancels the fetch when a signal handler
 * raised (KeyboardInterrupt) — checked only on the main thread, where Python runs handlers;
 * the exception stays set on that thread and is raised when _hub_fetch returns. */
static int progress_cb(void *ud, int64_t delta) {
    progress_ctx *p = ud;
    PyGILState_STATE g = PyGILState_Ensure();
    if (p->fn != Py_None && delta) {
        PyObject *r = PyObject_CallFunction(p->fn, "L", (long long)delta);
        if (!r) PyErr_WriteUnraisable(p->fn);
        Py_XDECREF(r);
    }
    int stop = PyErr_CheckSignals() < 0;
    PyGILState_Release(g);
    return stop;
}

static const char *opt_str(PyObject *o) {
    if (o == Py_None) return NULL;
    return PyUnicode_AsUTF8(o);
}

/* _hub_fetch(items, workers=1, headers=None, token=None, auth_origin=None, timeout=10.0,
 *            retries=-1, connections=0, force=False, copy_pointer=False, progress=None)
 * items: sequence of (url, blob_path, lock_path|None, pointer_path|None, etag, size)
 * -> (results, failure): results = [(downloaded, bytes, resumed_from, connections, restarts)],
 *    failure = None or (index, http_status, raw_headers, message) for an HTTP error status. */
static PyObject *py_fetch(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"items", "workers", "headers", "token", "auth_origin", "timeout",
                             "retries", "connections", "force", "copy_pointer", "progress", NULL};
    PyObject *items_in, *headers = NULL, *progress = Py_None;
    const char *token = NULL, *auth_origin = NULL;
    int workers = 1, retries = -1, connections = 0, force = 0, copy_pointer = 0;
    double timeout = 10.0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|iOzzdiippO:_hub_fetch", kwlist, &items_in, &workers,
                                     &headers, &token, &auth_origin, &timeout, &retries, &connections,
                                     &force, &copy_pointer, &progress))
        return NULL;
    PyObject *items = PySequence_Tuple(items_in);
    if (!items) return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(items);
    http_args a;
    hfc_hub_fetch *fs = NULL;
    hfc_hub_fetch_result *rs = NULL;
    PyObject *out = NULL;
    progress_ctx pc = {progress};
    if (http_args_fill(&a, headers, token, auth_origin, timeout, retries, 2) < 0) goto done;
    fs = PyMem_Calloc((size_t)n + 1, sizeof *fs);
    rs = PyMem_Calloc((size_t)n + 1, sizeof *rs);
    if (!fs || !rs) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *t = PyTuple_GET_ITEM(items, i);
        if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 6) {
            PyErr_Format(PyExc_TypeError, "_hub_fetch: item %zd must be a 6-tuple", i);
            goto done;
        }
        hfc_hub_fetch *f = &fs[i];
        hfc_hub_fetch_init(f);
        f->url = opt_str(PyTuple_GET_ITEM(t, 0));
        f->blob_path = opt_str(PyTuple_GET_ITEM(t, 1));
        f->lock_path = opt_str(PyTuple_GET_ITEM(t, 2));
        f->pointer_path = opt_str(PyTuple_GET_ITEM(t, 3));
        f->etag = opt_str(PyTuple_GET_ITEM(t, 4));
        PyObject *sz = PyTuple_GET_ITEM(t, 5);
        f->size = sz == Py_None ? -1 : PyLong_AsLongLong(sz);
        if (PyErr_Occurred()) goto done;
        if (!f->url || !f->blob_path || !f->etag) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_TypeError, "_hub_fetch: item %zd needs url, blob_path and etag", i);
            goto done;
        }
        f->http = a.o;
        f->connections = connections;
        f->force = force;
        f->copy_pointer = copy_pointer;
        f->progress = progress_cb;
        f->progress_ctx = &pc;
    }
    hfc_status st;
    long failed = -1;
    Py_BEGIN_ALLOW_THREADS
    st = hfc_hub_fetch_many(fs, (size_t)n, workers, rs, &failed);
    Py_END_ALLOW_THREADS
    if (PyErr_Occurred()) { /* KeyboardInterrupt (or another signal handler's exception) */
        hfc_error_clear();
        goto done;
    }
    if (st != HFC_OK) {
        if (failed >= 0 && rs[failed].http_status >= 300) {
            const char *h = rs[failed].error_headers ? rs[failed].error_headers : "";
            out = Py_BuildValue("(O(lly#s))", Py_None, failed, rs[failed].http_status, h,
                                (Py_ssize_t)strlen(h), hfc_error_message());
            hfc_error_clear();
        } else {
            hfc_py_raise(st);
        }
        goto done;
    }
    PyObject *lst = PyList_New(n);
    if (!lst) goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *r = Py_BuildValue("(OLLii)", rs[i].downloaded ? Py_True : Py_False,
                                    (long long)rs[i].bytes, (long long)rs[i].resumed_from,
                                    rs[i].connections, rs[i].restarts);
        if (!r) {
            Py_DECREF(lst);
            goto done;
        }
        PyList_SET_ITEM(lst, i, r);
    }
    out = Py_BuildValue("(NO)", lst, Py_None);
done:
    if (rs)
        for (Py_ssize_t i = 0; i < n; i++) hfc_hub_fetch_result_clear(&rs[i]);
    PyMem_Free(fs);
    PyMem_Free(rs);
    http_args_free(&a);
    Py_DECREF(items);
    return out;
}

/* ---- parsers ---- */

static PyObject *str_or_none(const char *s) {
    if (!s) Py_RETURN_NONE;
    return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "surrogateescape");
}

static PyObject *py_parse_tree(PyObject *self, PyObject *arg) {
    Py_buffer b;
    if (PyObject_GetBuffer(arg, &b, PyBUF_SIMPLE) < 0) return NULL;
    hfc_hub_tree t = {0};
    hfc_status st = hfc_hub_parse_tree(b.buf, (size_t)b.len, &t);
    PyBuffer_Release(&b);
    if (st != HFC_OK) {
        hfc_hub_tree_clear(&t);
        return hfc_py_raise(st);
    }
    PyObject *lst = PyList_New((Py_ssize_t)t.len);
    for (size_t i = 0; lst && i < t.len; i++) {
        hfc_hub_tree_entry *e = &t.items[i];
        PyObject *r = Py_BuildValue("(ONLNNLN)", e->is_dir ? Py_True : Py_False, str_or_none(e->path),
                                    (long long)e->size, str_or_none(e->oid), str_or_none(e->lfs_oid),
                                    (long long)e->lfs_size, str_or_none(e->xet_hash));
        if (!r) Py_CLEAR(lst);
        else PyList_SET_ITEM(lst, (Py_ssize_t)i, r);
    }
    hfc_hub_tree_clear(&t);
    return lst;
}

static PyObject *py_header_get(PyObject *self, PyObject *args) {
    Py_buffer b;
    const char *name;
    if (!PyArg_ParseTuple(args, "y*s:_hub_header", &b, &name)) return NULL;
    size_t n = 0;
    const char *v = hfc_hub_header_get(b.buf, (size_t)b.len, name, &n);
    PyObject *r = v ? PyUnicode_DecodeLatin1(v, (Py_ssize_t)n, NULL) : (Py_INCREF(Py_None), Py_None);
    PyBuffer_Release(&b);
    return r;
}

static PyObject *py_link_next(PyObject *self, PyObject *arg) {
    Py_ssize_t len;
    const char *s = PyUnicode_AsUTF8AndSize(arg, &len);
    if (!s) return NULL;
    size_t n = 0;
    const char *u = hfc_hub_link_next(s, (size_t)len, &n);
    if (!u) Py_RETURN_NONE;
    return PyUnicode_FromStringAndSize(u, (Py_ssize_t)n);
}

static PyObject *py_normalize_etag(PyObject *self, PyObject *arg) {
    Py_ssize_t len;
    const char *s = PyUnicode_AsUTF8AndSize(arg, &len);
    if (!s) return NULL;
    char out[1024];
    hfc_status st = hfc_hub_normalize_etag(s, (size_t)len, out, sizeof out);
    if (st != HFC_OK) return hfc_py_raise(st);
    return PyUnicode_FromString(out);
}

static PyObject *py_check_relpath(PyObject *self, PyObject *arg) {
    Py_ssize_t len;
    const char *s = PyUnicode_AsUTF8AndSize(arg, &len);
    if (!s) return NULL;
    hfc_status st = hfc_hub_check_relpath(s, (size_t)len);
    if (st == HFC_OK && memchr(s, 0, (size_t)len))
        st = hfc_fail(HFC_ERR_INVALID, "refusing file path with a NUL byte");
    if (st != HFC_OK) return hfc_py_raise(st);
    Py_RETURN_NONE;
}

static PyObject *hash_common(PyObject *arg, bool git) {
    PyObject *b;
    if (!PyUnicode_FSConverter(arg, &b)) return NULL;
    char out[65];
    hfc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = git ? hfc_hub_git_sha1_file(PyBytes_AS_STRING(b), out) : hfc_hub_sha256_file(PyBytes_AS_STRING(b), out);
    Py_END_ALLOW_THREADS
    Py_DECREF(b);
    if (st != HFC_OK) return hfc_py_raise(st);
    return PyUnicode_FromString(out);
}
static PyObject *py_sha256_file(PyObject *self, PyObject *arg) { return hash_common(arg, false); }
static PyObject *py_git_sha1_file(PyObject *self, PyObject *arg) { return hash_common(arg, true); }

static PyObject *py_link_pointer(PyObject *self, PyObject *args) {
    const char *blob, *ptr;
    int copy = 0, move = 0;
    if (!PyArg_ParseTuple(args, "ss|pp:_hub_link_pointer", &blob, &ptr, &copy, &move)) return NULL;
    hfc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = hfc_hub_link_pointer(blob, ptr, copy, move);
    Py_END_ALLOW_THREADS
    if (st != HFC_OK) return hfc_py_raise(st);
    Py_RETURN_NONE;
}

static PyObject *py_inject_write_error(PyObject *self, PyObject *args) {
    long nth;
    int err;
    if (!PyArg_ParseTuple(args, "li:_hub_inject_write_error", &nth, &err)) return NULL;
    hfc_hub_inject_write_error(nth, err);
    Py_RETURN_NONE;
}

static PyObject *py_default_connections(PyObject *self, PyObject *arg) {
    long long n = PyLong_AsLongLong(arg);
    if (n == -1 && PyErr_Occurred()) return NULL;
    return PyLong_FromLong(hfc_hub_default_connections(n));
}

static PyMethodDef hub_methods[] = {
    {"_hub_request", (PyCFunction)(void (*)(void))py_request, METH_VARARGS | METH_KEYWORDS, NULL},
    {"_hub_fetch", (PyCFunction)(void (*)(void))py_fetch, METH_VARARGS | METH_KEYWORDS, NULL},
    {"_hub_parse_tree", py_parse_tree, METH_O, NULL},
    {"_hub_header", py_header_get, METH_VARARGS, NULL},
    {"_hub_link_next", py_link_next, METH_O, NULL},
    {"_hub_normalize_etag", py_normalize_etag, METH_O, NULL},
    {"_hub_check_relpath", py_check_relpath, METH_O, NULL},
    {"_hub_sha256_file", py_sha256_file, METH_O, NULL},
    {"_hub_git_sha1_file", py_git_sha1_file, METH_O, NULL},
    {"_hub_link_pointer", py_link_pointer, METH_VARARGS, NULL},
    {"_hub_inject_write_error", py_inject_write_error, METH_VARARGS, NULL},
    {"_hub_default_connections", py_default_connections, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

int hfc_py_init_hub(PyObject *m) {
    return PyModule_AddFunctions(m, hub_methods);
}
