/* hfc._C runtime functions: CPU features / dispatch, worker pool size. */
#include "hfc_py.h"

static int set_flag(PyObject *d, const char *name, bool v) {
    return PyDict_SetItemString(d, name, v ? Py_True : Py_False);
}

static int set_str(PyObject *d, const char *name, const char *v) {
    PyObject *s = PyUnicode_FromString(v);
    if (!s) return -1;
    int rc = PyDict_SetItemString(d, name, s);
    Py_DECREF(s);
    return rc;
}

static PyObject *py_cpu_features(PyObject *self, PyObject *unused) {
    (void)self; (void)unused;
    const hfc_cpu_features *f = hfc_cpu_detect();
    PyObject *flags = PyDict_New(), *out = PyDict_New(), *avail = PyList_New(0);
    if (!flags || !out || !avail) goto fail;
#define FLAG(name) if (set_flag(flags, #name, f->name) < 0) goto fail;
    FLAG(sse2) FLAG(ssse3) FLAG(sse41) FLAG(sse42) FLAG(popcnt) FLAG(avx) FLAG(avx2)
    FLAG(fma) FLAG(bmi1) FLAG(bmi2) FLAG(f16c) FLAG(avx512f) FLAG(avx512bw) FLAG(avx512vl)
    FLAG(avx512dq) FLAG(avx512cd) FLAG(avx512vnni) FLAG(avx512bf16) FLAG(avx512vbmi)
    FLAG(avx512fp16) FLAG(os_avx) FLAG(os_avx512)
#undef FLAG
    for (int i = 0; i <= (int)hfc_isa_detected(); i++) {
        PyObject *s = PyUnicode_FromString(hfc_isa_name((hfc_isa)i));
        if (!s || PyList_Append(avail, s) < 0) { Py_XDECREF(s); goto fail; }
        Py_DECREF(s);
    }
    const char *env = getenv("HFC_MAX_ISA");
    if (set_str(out, "vendor", f->vendor) < 0 || set_str(out, "brand", f->brand) < 0 ||
        set_str(out, "isa_detected", hfc_isa_name(hfc_isa_detected())) < 0 ||
        set_str(out, "isa_used", hfc_isa_name(hfc_isa_active())) < 0 ||
        PyDict_SetItemString(out, "isa_available", avail) < 0 ||
        (env ? set_str(out, "max_isa_env", env)
             : PyDict_SetItemString(out, "max_isa_env", Py_None)) < 0 ||
        PyDict_SetItemString(out, "flags", flags) < 0)
        goto fail;
    Py_DECREF(flags);
    Py_DECREF(avail);
    return out;
fail:
    Py_XDECREF(flags);
    Py_XDECREF(out);
    Py_XDECREF(avail);
    return NULL;
}

static PyObject *py_set_num_threads(PyObject *self, PyObject *arg) {
    (void)self;
    long n = PyLong_AsLong(arg);
    if (n == -1 && PyErr_Occurred()) return NULL;
    if (n < 1 || n > 1024) {
        PyErr_Format(PyExc_ValueError, "set_num_threads: n must be in 1..1024, got %ld", n);
        return NULL;
    }
    hfc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = hfc_set_num_threads((int)n);
    Py_END_ALLOW_THREADS
    if (st != HFC_OK) return hfc_py_raise(st);
    Py_RETURN_NONE;
}

static PyObject *py_get_num_threads(PyObject *self, PyObject *unused) {
    (void)self; (void)unused;
    return PyLong_FromLong(hfc_get_num_threads());
}

/* _pool_probe(n): sum 0..n-1 on the pool; returns (sum, distinct workers that ran
 * chunks). A diagnostic for tests (fork safety, thread counts), not a user API. */
typedef struct probe_ctx {
    _Atomic unsigned long long sum;
    _Atomic unsigned long long worker_mask;
} probe_ctx;

static hfc_status probe_task(void *vctx, size_t begin, size_t end, int worker) {
    probe_ctx *ctx = vctx;
    unsigned long long s = 0;
    for (size_t i = begin; i < end; i++) s += i;
    ctx->sum += s;
    ctx->worker_mask |= 1ULL << (worker & 63);
    return HFC_OK;
}

static PyObject *py_pool_probe(PyObject *self, PyObject *arg) {
    (void)self;
    Py_ssize_t n = PyLong_AsSsize_t(arg);
    if (n == -1 && PyErr_Occurred()) return NULL;
    if (n < 0) {
        PyErr_SetString(PyExc_ValueError, "_pool_probe: n must be >= 0");
        return NULL;
    }
    probe_ctx ctx = {0, 0};
    hfc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = hfc_parallel_for((size_t)n, 1024, probe_task, &ctx);
    Py_END_ALLOW_THREADS
    if (st != HFC_OK) return hfc_py_raise(st);
    return Py_BuildValue("(Ki)", (unsigned long long)ctx.sum,
                         __builtin_popcountll((unsigned long long)ctx.worker_mask));
}

PyMethodDef hfc_py_runtime_methods[] = {
    {"cpu_features", py_cpu_features, METH_NOARGS,
     "cpu_features() -> dict: detected CPU flags, the ISA level detected and the one used."},
    {"set_num_threads", py_set_num_threads, METH_O,
     "set_num_threads(n): size hfc's worker pool (1..1024 threads, caller included)."},
    {"get_num_threads", py_get_num_threads, METH_NOARGS,
     "get_num_threads() -> int: threads hfc's parallel work uses."},
    {"_pool_probe", py_pool_probe, METH_O, "diagnostic: sum range(n) on the pool"},
    {NULL, NULL, 0, NULL},
};

PyObject *hfc_py_int_cache[HFC_PY_INT_CACHE];

PyObject *hfc_py_list_32(const void *data, size_t n, bool is_signed) {
    /* the list's item array without PyList_New's zero-filling calloc: every slot is
     * written below before the list is seen (a failure NULLs the rest first) */
    PyObject *l = PyList_New(0);
    if (!l || n == 0) return l;
    PyObject **items = PyMem_Malloc(n * sizeof *items);
    if (!items) {
        Py_DECREF(l);
        return PyErr_NoMemory();
    }
    PyListObject *lo = (PyListObject *)l;
    lo->ob_item = items;
    lo->allocated = (Py_ssize_t)n;
    Py_SET_SIZE(lo, (Py_ssize_t)n);
    const uint8_t *p = data;
    size_t k = 0;
    for (; k + 4 <= n; k += 4) { /* four cached ints at a time */
        uint32_t v[4];
        memcpy(v, p + 4 * k, 16);
        if ((v[0] | v[1] | v[2] | v[3]) >= HFC_PY_INT_CACHE) break; /* power of two */
        PyObject *o0 = hfc_py_int_cache[v[0]], *o1 = hfc_py_int_cache[v[1]];
        PyObject *o2 = hfc_py_int_cache[v[2]], *o3 = hfc_py_int_cache[v[3]];
        if (!o0 || !o1 || !o2 || !o3) break;
        Py_INCREF(o0);
        Py_INCREF(o1);
        Py_INCREF(o2);
        Py_INCREF(o3);
        items[k] = o0;
        items[k + 1] = o1;
        items[k + 2] = o2;
        items[k + 3] = o3;
    }
    for (; k < n; k++) {
        uint32_t v;
        memcpy(&v, p + 4 * k, 4);
        PyObject *o = v < HFC_PY_INT_CACHE ? hfc_py_int_cache[v] : NULL;
        if (o) {
            Py_INCREF(o);
        } else if (!(o = hfc_py_int(is_signed ? (long long)(int32_t)v : (long long)v))) {
            for (size_t j = k; j < n; j++) items[j] = NULL;
            Py_DECREF(l);
            return NULL;
        }
        items[k] = o;
    }
    return l;
}

int hfc_py_init_runtime(PyObject *m) {
    return PyModule_AddFunctions(m, hfc_py_runtime_methods);
}
