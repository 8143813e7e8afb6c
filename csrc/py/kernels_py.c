/* Private test/benchmark bindings of the hfc.models kernels (csrc/include/hfc/kernels.h):
 * hfc._C._k_* take and return NumPy arrays. Not a public API: the models use the kernels
 * from C. Called from hfc_py_init_models (models_py.c). */
#include "hfc_py.h"
#include "hfc_numpy.h"

#include <math.h>
#include <string.h>

#include "hfc/kernels.h"

/* A C-contiguous, aligned array of `type` with `nd` dims (new reference) or NULL. */
static PyArrayObject *as_array(PyObject *o, int type, int nd, const char *what) {
    PyArrayObject *a = (PyArrayObject *)PyArray_FROMANY(
        o, type, nd, nd, NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED);
    if (!a && PyErr_ExceptionMatches(PyExc_ValueError)) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "%s: expected a %d-d array", what, nd);
    }
    return a;
}

static int parse_act(const char *s, hfc_act *out) {
    static const char *names[] = {"none", "gelu", "gelu_tanh", "relu", "tanh", "quick_gelu", "silu"};
    for (int i = 0; i < 7; i++)
        if (strcmp(s, names[i]) == 0) return *out = (hfc_act)i, 0;
    PyErr_Format(PyExc_ValueError, "unknown activation '%s' (none, gelu, gelu_tanh, relu, tanh, "
                 "quick_gelu, silu)", s);
    return -1;
}

/* Weight array -> (data, wtype): float32, float16, or uint16 holding bf16 bits. */
static PyArrayObject *weight_array(PyObject *o, int bf16, int nd, hfc_wtype *wt) {
    PyArrayObject *w;
    if (bf16) {
        w = as_array(o, NPY_UINT16, nd, "weight (bf16 bits)");
        *wt = HFC_DT_BF16;
    } else if (PyArray_Check(o) && PyArray_TYPE((PyArrayObject *)o) == NPY_FLOAT16) {
        w = as_array(o, NPY_FLOAT16, nd, "weight");
        *wt = HFC_DT_F16;
    } else {
        w = as_array(o, NPY_FLOAT32, nd, "weight");
        *wt = HFC_DT_F32;
    }
    return w;
}

static PyObject *new_f32(int nd, npy_intp *dims) {
    return PyArray_SimpleNew(nd, dims, NPY_FLOAT32);
}

/* _k_linear(x[m,k], w[n,k], bias=None, act="none", bf16=False) -> y[m,n] */
static PyObject *py_k_linear(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"x", "w", "bias", "act", "bf16", NULL};
    PyObject *xo, *wo, *bo = Py_None, *out = NULL;
    const char *acts = "none";
    int bf16 = 0;
    hfc_act act;
    hfc_wtype wt;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|Osp:_k_linear", kwlist, &xo, &wo, &bo,
                                     &acts, &bf16) ||
        parse_act(acts, &act) < 0)
        return NULL;
    PyArrayObject *x = as_array(xo, NPY_FLOAT32, 2, "x"), *w = NULL, *b = NULL;
    if (!x || !(w = weight_array(wo, bf16, 2, &wt))) goto done;
    if (bo != Py_None && !(b = as_array(bo, NPY_FLOAT32, 1, "bias"))) goto done;
    npy_intp m = PyArray_DIM(x, 0), k = PyArray_DIM(x, 1), n = PyArray_DIM(w, 0);
    if (PyArray_DIM(w, 1) != k || (b && PyArray_DIM(b, 0) != n)) {
        PyErr_SetString(PyExc_ValueError, "_k_linear: shape mismatch");
        goto done;
    }
    npy_intp dims[2] = {m, n};
    if (!(out = new_f32(2, dims))) goto done;
    hfc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = hfc_linear(PyArray_DATA(x), (size_t)m, (size_t)k, PyArray_DATA(w), wt, (size_t)n,
                    b ? PyArray_DATA(b) : NULL, act, PyArray_DATA((PyArrayObject *)out));
    Py_END_ALLOW_THREADS
    if (st != HFC_OK) {
        Py_CLEAR(out);
        hfc_py_raise(st);
    }
done:
    Py_XDECREF(x), Py_XDECREF(w), Py_XDECREF(b);
    return out;
}

/* _k_gemm(a[m,k], b, trans_b=False, alpha=1, beta=0, c=None) -> alpha a·op(b) + beta c */
static PyObject *py_k_gemm(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"a", "b", "trans_b", "alpha", "beta", "c", NULL};
    PyObject *ao, *bo, *co = Py_None, *out = NULL;
    int trans = 0;
    float alpha = 1.0f, beta = 0.0f;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|pffO:_k_gemm", kwlist, &ao, &bo, &trans,
                                     &alpha, &beta, &co))
        return NULL;
    PyArrayObject *a = as_array(ao, NPY_FLOAT32, 2, "a"), *b = NULL;
    if (!a || !(b = as_array(bo, NPY_FLOAT32, 2, "b"))) goto done;
    npy_intp m = PyArray_DIM(a, 0), k = PyArray_DIM(a, 1);
    npy_intp n = trans ? PyArray_DIM(b, 0) : PyArray_DIM(b, 1);
    if ((trans ? PyArray_DIM(b, 1) : PyArray_DIM(b, 0)) != k) {
        PyErr_SetString(PyExc_ValueError, "_k_gemm: shape mismatch");
        goto done;
    }
    npy_intp dims[2] = {m, n};
    if (co != Py_None) {
        out = (PyObject *)PyArray_FROMANY(co, NPY_FLOAT32, 2, 2,
                                          NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ENSURECOPY);
        if (out && (PyArray_DIM((PyArrayObject *)out, 0) != m ||
                    PyArray_DIM((PyArrayObject *)out, 1) != n)) {
            Py_CLEAR(out);
            PyErr_SetString(PyExc_ValueError, "_k_gemm: c shape mismatch");
        }
    } else {
        out = new_f32(2, dims);
    }
    if (!out) goto done;
    hfc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = hfc_gemm_f32(trans, (size_t)m, (size_t)n, (size_t)k, alpha, PyArray_DATA(a),
                      (size_t)k, PyArray_DATA(b), (size_t)PyArray_DIM(b, 1), beta,
                      PyArray_DATA((PyArrayObject *)out), (size_t)n);
    Py_END_ALLOW_THREADS
    if (st != HFC_OK) {
        Py_CLEAR(out);
        hfc_py_raise(st);
    }
done:
    Py_XDECREF(a), Py_XDECREF(b);
    return out;
}

/* _k_layernorm(x[m,n], gamma, beta, eps, residual=None) -> LN(x (+ residual)) */
static PyObject *py_k_layernorm(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"x", "gamma", "beta", "eps", "residual", NULL};
    PyObject *xo, *go, *bo, *ro = Py_None, *out = NULL;
    float eps;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOOf|O:_k_layernorm", kwlist, &xo, &go, &bo,
                                     &eps, &ro))
        return NULL;
    PyArrayObject *x = as_array(xo, NPY_FLOAT32, 2, "x"), *g = NULL, *b = NULL, *r = NULL;
    if (!x) goto done;
    npy_intp m = PyArray_DIM(x, 0), n = PyArray_DIM(x, 1);
    if (go != Py_None && !(g = as_array(go, NPY_FLOAT32, 1, "gamma"))) goto done;
    if (bo != Py_None && !(b = as_array(bo, NPY_FLOAT32, 1, "beta"))) goto done;
    if (ro != Py_None && !(r = as_array(ro, NPY_FLOAT32, 2, "residual"))) goto done;
    if ((g && PyArray_DIM(g, 0) != n) || (b && PyArray_DIM(b, 0) != n) ||
        (r && (PyArray_DIM(r, 0) != m || PyArray_DIM(r, 1) != n))) {
        PyErr_SetString(PyExc_ValueError, "_k_layernorm: shape mismatch");
        goto done;
    }
    npy_intp dims[2] = {m, n};
    if (!(out = new_f32(2, dims))) goto done;
    hfc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = hfc_add_layernorm(PyArray_DATA(x), r ? PyArray_DATA(r) : NULL, (size_t)m, (size_t)n,
                           g ? PyArray_DATA(g) : NULL, b ? PyArray_DATA(b) : NULL, eps,
                           PyArray_DATA((PyArrayObject *)out));
    Py_END_ALLOW_THREADS
    if (st != HFC_OK) {
        Py_CLEAR(out);
        hfc_py_raise(st);
    }
done:
    Py_XDECREF(x), Py_XDECREF(g), Py_XDECREF(b), Py_XDECREF(r);
    return out;
}

/* _k_act(x, kind) -> a new array: kind in gelu, gelu_tanh, relu, softmax (last dim) */
static PyObject *py_k_act(PyObject *self, PyObject *args) {
    PyObject *xo;
    const char *kind;
    if (!PyArg_ParseTuple(args, "Os:_k_act", &xo, &kind)) return NULL;
    PyArrayObject *x = (PyArrayObject *)PyArray_FROMANY(
        xo, NPY_FLOAT32, 1, 0, NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ENSURECOPY);
    if (!x) return NULL;
    size_t n = (size_t)PyArray_SIZE(x);
    float *p = PyArray_DATA(x);
    hfc_status st = HFC_OK;
    if (strcmp(kind, "gelu") == 0) hfc_gelu_erf(p, n);
    else if (strcmp(kind, "gelu_tanh") == 0) hfc_gelu_tanh(p, n);
    else if (strcmp(kind, "relu") == 0) hfc_relu(p, n);
    else if (strcmp(kind, "quick_gelu") == 0) hfc_quick_gelu(p, n);
    else if (strcmp(kind, "silu") == 0) hfc_silu(p, n);
    else if (strcmp(kind, "softmax") == 0) {
        size_t cols = (size_t)PyArray_DIM(x, PyArray_NDIM(x) - 1);
        Py_BEGIN_ALLOW_THREADS
        st = hfc_softmax_rows(p, cols ? n / cols : 0, cols);
        Py_END_ALLOW_THREADS
    } else {
        Py_DECREF(x);
        return PyErr_Format(PyExc_ValueError, "_k_act: unknown kind '%s'", kind);
    }
    if (st != HFC_OK) return Py_DECREF(x), hfc_py_raise(st);
    return (PyObject *)x;
}

/* _k_attention(q, k, v, heads, mask=None, scale=None) with q,k,v [b,s,hidden]; or
 * _k_attention(qkv, None, None, heads, ...) with qkv [b,s,3*hidden] (strided slices). */
static PyObject *py_k_attention(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"q", "k", "v", "heads", "mask", "scale", NULL};
    PyObject *qo, *ko, *vo, *mo = Py_None, *so = Py_None, *out = NULL;
    Py_ssize_t heads;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOOn|OO:_k_attention", kwlist, &qo, &ko, &vo,
                                     &heads, &mo, &so))
        return NULL;
    int fused = ko == Py_None;
    PyArrayObject *q = as_array(qo, NPY_FLOAT32, 3, "q"), *k = NULL, *v = NULL, *m = NULL;
    if (!q) goto done;
    if (!fused && (!(k = as_array(ko, NPY_FLOAT32, 3, "k")) || !(v = as_array(vo, NPY_FLOAT32, 3, "v"))))
        goto done;
    if (mo != Py_None && !(m = as_array(mo, NPY_INT32, 2, "mask"))) goto done;
    npy_intp B = PyArray_DIM(q, 0), S = PyArray_DIM(q, 1), W = PyArray_DIM(q, 2);
    npy_intp hidden = fused ? W / 3 : W;
    if (heads <= 0 || hidden % heads || (fused && W % 3) ||
        (!fused && (!PyArray_SAMESHAPE(q, k) || !PyArray_SAMESHAPE(q, v))) ||
        (m && (PyArray_DIM(m, 0) != B || PyArray_DIM(m, 1) != S))) {
        PyErr_SetString(PyExc_ValueError, "_k_attention: shape mismatch");
        goto done;
    }
    float scale = so == Py_None ? 1.0f / sqrtf((float)(hidden / heads)) : (float)PyFloat_AsDouble(so);
    if (PyErr_Occurred()) goto done;
    npy_intp dims[3] = {B, S, hidden};
    if (!(out = new_f32(3, dims))) goto done;
    const float *qd = PyArray_DATA(q);
    hfc_attention_args a = {.batch = (size_t)B, .seq = (size_t)S, .heads = (size_t)heads,
                            .head_dim = (size_t)(hidden / heads), .q = qd,
                            .k = fused ? qd + hidden : PyArray_DATA(k),
                            .v = fused ? qd + 2 * hidden : PyArray_DATA(v),
                            .ld_qkv = (size_t)W, .mask_i32 = m ? PyArray_DATA(m) : NULL,
                            .scale = scale, .out = PyArray_DATA((PyArrayObject *)out),
                            .ld_out = (size_t)hidden};
    hfc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = hfc_attention(&a);
    Py_END_ALLOW_THREADS
    if (st != HFC_OK) {
        Py_CLEAR(out);
        hfc_py_raise(st);
    }
done:
    Py_XDECREF(q), Py_XDECREF(k), Py_XDECREF(v), Py_XDECREF(m);
    return out;
}

/* _k_embedding(table[rows,dim], ids (int64 1-d), bf16=False, out=None) -> out (+)= table[ids] */
static PyObject *py_k_embedding(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"table", "ids", "bf16", "out", NULL};
    PyObject *to, *io, *oo = Py_None, *out = NULL;
    int bf16 = 0;
    hfc_wtype wt;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|pO:_k_embedding", kwlist, &to, &io, &bf16, &oo))
        return NULL;
    PyArrayObject *t = weight_array(to, bf16, 2, &wt), *ids = NULL;
    if (!t || !(ids = as_array(io, NPY_INT64, 1, "ids"))) goto done;
    npy_intp n = PyArray_DIM(ids, 0), dim = PyArray_DIM(t, 1);
    npy_intp dims[2] = {n, dim};
    if (oo != Py_None) {
        out = (PyObject *)PyArray_FROMANY(oo, NPY_FLOAT32, 2, 2,
                                          NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ENSURECOPY);
        if (out && (PyArray_DIM((PyArrayObject *)out, 0) != n || PyArray_DIM((PyArrayObject *)out, 1) != dim)) {
            Py_CLEAR(out);
            PyErr_SetString(PyExc_ValueError, "_k_embedding: out shape mismatch");
        }
    } else {
        out = new_f32(2, dims);
    }
    if (!out) goto done;
    hfc_status st = (oo != Py_None ? hfc_embedding_gather_add : hfc_embedding_gather)(
        PyArray_DATA(t), wt, (size_t)PyArray_DIM(t, 0), (size_t)dim, PyArray_DATA(ids),
        (size_t)n, PyArray_DATA((PyArrayObject *)out));
    if (st != HFC_OK) {
        Py_CLEAR(out);
        hfc_py_raise(st);
    }
done:
    Py_XDECREF(t), Py_XDECREF(ids);
    return out;
}

/* _k_convert(x, to): float32 -> "bf16"/"f16" (uint16 bits); uint16 bits -> float32 from
 * "bf16"/"f16" (to="f32_from_bf16" / "f32_from_f16"). */
static PyObject *py_k_convert(PyObject *self, PyObject *args) {
    PyObject *xo;
    const char *to;
    if (!PyArg_ParseTuple(args, "Os:_k_convert", &xo, &to)) return NULL;
    int from_f32 = strcmp(to, "bf16") == 0 || strcmp(to, "f16") == 0;
    int to_f32 = strcmp(to, "f32_from_bf16") == 0 || strcmp(to, "f32_from_f16") == 0;
    if (!from_f32 && !to_f32) return PyErr_Format(PyExc_ValueError, "_k_convert: unknown target '%s'", to);
    PyArrayObject *x = (PyArrayObject *)PyArray_FROMANY(
        xo, from_f32 ? NPY_FLOAT32 : NPY_UINT16, 1, 1, NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED);
    if (!x) return NULL;
    npy_intp n = PyArray_DIM(x, 0);
    PyObject *out = PyArray_SimpleNew(1, &n, from_f32 ? NPY_UINT16 : NPY_FLOAT32);
    if (out) {
        void *o = PyArray_DATA((PyArrayObject *)out), *i = PyArray_DATA(x);
        if (strcmp(to, "bf16") == 0) hfc_f32_to_bf16(i, o, (size_t)n);
        else if (strcmp(to, "f16") == 0) hfc_f32_to_f16(i, o, (size_t)n);
        else if (strcmp(to, "f32_from_bf16") == 0) hfc_bf16_to_f32(i, o, (size_t)n);
        else hfc_f16_to_f32(i, o, (size_t)n);
    }
    Py_DECREF(x);
    return out;
}

static PyObject *py_k_fma_peak(PyObject *self, PyObject *args) {
    double seconds;
    int threads;
    if (!PyArg_ParseTuple(args, "di:_k_fma_peak", &seconds, &threads)) return NULL;
    double g;
    Py_BEGIN_ALLOW_THREADS
    g = hfc_fma_peak_gflops(seconds, threads);
    Py_END_ALLOW_THREADS
    return PyFloat_FromDouble(g);
}

/* _k_set_isa(name) -> previous level name: select the dispatch level (tests, benches). */
static PyObject *py_k_set_isa(PyObject *self, PyObject *arg) {
    const char *name = PyUnicode_AsUTF8(arg);
    if (!name) return NULL;
    hfc_isa isa, prev = hfc_isa_active();
    hfc_status st = hfc_isa_parse(name, &isa);
    if (st == HFC_OK) st = hfc_dispatch_select(isa);
    if (st != HFC_OK) return hfc_py_raise(st);
    return PyUnicode_FromString(hfc_isa_name(prev));
}

static PyMethodDef kernels_methods[] = {
    {"_k_linear", (PyCFunction)(void (*)(void))py_k_linear, METH_VARARGS | METH_KEYWORDS,
     "test: y = act(x @ w.T + bias)"},
    {"_k_gemm", (PyCFunction)(void (*)(void))py_k_gemm, METH_VARARGS | METH_KEYWORDS,
     "test: alpha * a @ op(b) + beta * c"},
    {"_k_layernorm", (PyCFunction)(void (*)(void))py_k_layernorm, METH_VARARGS | METH_KEYWORDS,
     "test: layer norm over the last dim"},
    {"_k_act", py_k_act, METH_VARARGS, "test: gelu / gelu_tanh / relu / softmax"},
    {"_k_attention", (PyCFunction)(void (*)(void))py_k_attention, METH_VARARGS | METH_KEYWORDS,
     "test: encoder attention with a key padding mask"},
    {"_k_embedding", (PyCFunction)(void (*)(void))py_k_embedding, METH_VARARGS | METH_KEYWORDS,
     "test: embedding gather (/ add)"},
    {"_k_convert", py_k_convert, METH_VARARGS, "test: bf16/f16 <-> f32"},
    {"_k_fma_peak", py_k_fma_peak, METH_VARARGS, "bench: measured fp32 FMA GFLOP/s"},
    {"_k_set_isa", py_k_set_isa, METH_O, "test: select the dispatch level, return the old"},
    {NULL, NULL, 0, NULL},
};

int hfc_py_init_kernels(PyObject *m) { return PyModule_AddFunctions(m, kernels_methods); }
