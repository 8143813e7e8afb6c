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

/* ---- int lists ----
 * A list of token ids touches one int object per id, so where those objects live decides
 * what a cold row costs. Besides the pointer table above, ids in [HFC_INT_SMALL,
 * HFC_PY_INT_CACHE) have their object in one block at a computed address,
 * int_block + v * int_stride: no pointer to load before the object, so all of a row's
 * objects can be asked for (prefetched) at once, and neighbouring ids share cache lines.
 * Each block object is a byte copy of the int CPython made for v, holding one reference
 * that is never given up (like CPython's own static small ints), so it is never
 * deallocated. Slots are filled on first use (a zero ob_type marks an empty one). Ids
 * below HFC_INT_SMALL stay CPython's small ints (`x is 5` as with any other int).
 * The block is off (int_stride 0: the pointer table alone) on builds where a byte copy
 * of an object is not a valid object: reference tracing, debug reference totals,
 * free threading. */
#define HFC_INT_SMALL 257
static uint8_t *int_block;
static size_t int_stride, int_bytes; /* slot size, object size */

#if !defined(Py_TRACE_REFS) && !defined(Py_REF_DEBUG) && !defined(Py_GIL_DISABLED)
static size_t int_size(long long v) { /* bytes of the int object CPython makes for v */
    PyObject *o = PyLong_FromLongLong(v), *n = o ? PyObject_CallMethod(o, "__sizeof__", NULL) : NULL;
    Py_XDECREF(o);
    size_t sz = n ? PyLong_AsSize_t(n) : 0;
    Py_XDECREF(n);
    PyErr_Clear();
    return sz == (size_t)-1 ? 0 : sz;
}

static void int_block_init(void) {
    if (int_block) return; /* once per process, however many interpreters import hfc */
    /* one size for every int of the block's range (same digit count), at least a header */
    size_t sz = int_size(HFC_INT_SMALL);
    if (sz < sizeof(PyObject) || sz > 64 || int_size(HFC_PY_INT_CACHE - 1) != sz) return;
    size_t stride = (sz + 7) & ~(size_t)7;
    size_t bytes = (size_t)HFC_PY_INT_CACHE * stride;
    uint8_t *raw = PyMem_RawCalloc(1, bytes + 64); /* pages are touched when first used */
    if (!raw) return;
    int_block = (uint8_t *)(((uintptr_t)raw + 63) & ~(uintptr_t)63);
    int_stride = stride;
    int_bytes = sz;
}
#else
static void int_block_init(void) {}
#endif

/* The object for v in [HFC_INT_SMALL, HFC_PY_INT_CACHE), filled now if empty; a new
 * reference. NULL with an exception on failure. */
static PyObject *int_block_fill(uint32_t v) {
    PyObject *slot = (PyObject *)(int_block + (size_t)v * int_stride);
    if (!Py_TYPE(slot)) {
        PyObject *o = PyLong_FromLong((long)v);
        if (!o) return NULL;
        memcpy(slot, o, int_bytes);
        Py_SET_REFCNT(slot, 1); /* the block's own reference, never released */
        Py_DECREF(o);
        if (!hfc_py_int_cache[v]) hfc_py_int_cache[v] = Py_NewRef(slot);
    }
    return Py_NewRef(slot);
}

/* ids ahead of the one being stored whose objects are prefetched: enough misses in flight
 * to cover the latency, few enough to stay in L1 until used */
#define HFC_INT_PREFETCH 32

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
    if (int_stride) {
        const uint8_t *block = int_block;
        const size_t stride = int_stride;
        size_t ahead = n < HFC_INT_PREFETCH ? n : HFC_INT_PREFETCH;
        for (size_t j = 0; j < ahead; j++) {
            uint32_t v;
            memcpy(&v, p + 4 * j, 4);
            if (v < HFC_PY_INT_CACHE) __builtin_prefetch(block + (size_t)v * stride, 1, 3);
        }
        for (; k < n; k++) {
            uint32_t v;
            if (k + HFC_INT_PREFETCH < n) {
                memcpy(&v, p + 4 * (k + HFC_INT_PREFETCH), 4);
                if (v < HFC_PY_INT_CACHE) __builtin_prefetch(block + (size_t)v * stride, 1, 3);
            }
            memcpy(&v, p + 4 * k, 4);
            PyObject *o;
            if (v - HFC_INT_SMALL < HFC_PY_INT_CACHE - HFC_INT_SMALL) {
                o = (PyObject *)(block + (size_t)v * stride);
                if (Py_TYPE(o)) Py_INCREF(o);
                else if (!(o = int_block_fill(v))) break;
            } else if (!(o = hfc_py_int(is_signed ? (long long)(int32_t)v : (long long)v))) {
                break;
            }
            items[k] = o;
        }
    } else {
        for (; k < n; k++) {
            uint32_t v;
            memcpy(&v, p + 4 * k, 4);
            PyObject *o = hfc_py_int(is_signed ? (long long)(int32_t)v : (long long)v);
            if (!o) break;
            items[k] = o;
        }
    }
    if (k < n) { /* failed at k: the rest NULL so the list can be freed */
        for (size_t j = k; j < n; j++) items[j] = NULL;
        Py_DECREF(l);
        return NULL;
    }
    return l;
}

int hfc_py_init_runtime(PyObject *m) {
    int_block_init();
    return PyModule_AddFunctions(m, hfc_py_runtime_methods);
}
