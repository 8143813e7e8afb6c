/* The binding layer's shared declarations. Only csrc/py/ includes Python.h. */
#ifndef HFC_PY_H
#define HFC_PY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "hfc/hfc.h"

#define HFC_PY_SLOTS 16

/* Per-module state (multi-phase init): the heap types this module defines. */
typedef struct hfc_py_state {
    PyTypeObject *MappedFile_type;
    PyTypeObject *Encoding_type;    /* hfc._C.Encoding */
    PyTypeObject *Encoding_subtype; /* hfc.tokenizers.Encoding, registered at its import */
    /* Heap types (or other objects) of the later modules: each binding file indexes its
     * own array with its own enum; module.c visits and clears all of them. */
    PyObject *models[HFC_PY_SLOTS];
    PyObject *datasets[HFC_PY_SLOTS];
    PyObject *hub[HFC_PY_SLOTS];
} hfc_py_state;

static inline hfc_py_state *hfc_py_get_state(PyObject *module) {
    return (hfc_py_state *)PyModule_GetState(module);
}

extern PyModuleDef hfc_py_module_def;

/* hfc._C (borrowed) from the type of one of its objects, Python subclasses included
 * (hfc.tokenizers.Tokenizer subclasses the core type); NULL with an exception if none. */
static inline PyObject *hfc_py_module_of(PyObject *obj) {
    return PyType_GetModuleByDef(Py_TYPE(obj), &hfc_py_module_def);
}

/* The ONE place a core status becomes a Python exception: sets the exception from
 * `st` and the core's thread-local message, returns NULL. */
PyObject *hfc_py_raise(hfc_status st);
/* Same, returning -1 (for int-returning slots). */
int hfc_py_raise_int(hfc_status st);

/* Python ints for ids and labels: those in [0, HFC_PY_INT_CACHE) are made once and shared
 * (ints are immutable), so a list of token ids costs an incref per id, not an allocation.
 * Filled lazily under the GIL; never freed (like CPython's own small ints). */
#define HFC_PY_INT_CACHE (1 << 18)
extern PyObject *hfc_py_int_cache[HFC_PY_INT_CACHE];
static inline PyObject *hfc_py_int(long long v) {
    if ((unsigned long long)v < HFC_PY_INT_CACHE) {
        PyObject *o = hfc_py_int_cache[v];
        if (o) return Py_NewRef(o);
        o = PyLong_FromLongLong(v);
        if (o) hfc_py_int_cache[v] = Py_NewRef(o);
        return o;
    }
    return PyLong_FromLongLong(v);
}

/* A list of the n 32-bit ints at p (little-endian, any alignment; int32 when is_signed,
 * else uint32), from the int cache where it can: token ids, id columns. */
PyObject *hfc_py_list_32(const void *p, size_t n, bool is_signed);

/* The C tokenizer of an hfc._C.Tokenizer (or of an hfc.tokenizers.Tokenizer wrapping one),
 * for other bindings (datasets' tokenize), with its settings read-locked until
 * hfc_py_tokenizer_release(*hold): setting changes wait, encoding may run without the GIL.
 * NULL with a TypeError for anything else. */
struct hfc_tokenizer;
const struct hfc_tokenizer *hfc_py_tokenizer_acquire(PyObject *obj, PyObject **hold);
void hfc_py_tokenizer_release(PyObject *hold);

/* Sub-module registration: each adds its functions/types to the module. */
int hfc_py_init_runtime(PyObject *m);   /* cpu features, threads */
int hfc_py_init_json(PyObject *m);      /* _json_loads, _json_roundtrip */
int hfc_py_init_mmap(PyObject *m);      /* MappedFile */
int hfc_py_init_tokenizers(PyObject *m); /* Tokenizer */
int hfc_py_init_models(PyObject *m);    /* safetensors, kernels, encoders (models_py.c) */
int hfc_py_init_datasets(PyObject *m);  /* Arrow tables, datasets (datasets_py.c) */
int hfc_py_init_hub(PyObject *m);       /* Hub client and cache (hub_py.c) */

extern PyMethodDef hfc_py_runtime_methods[];
extern PyMethodDef hfc_py_json_methods[];

#endif /* HFC_PY_H */
