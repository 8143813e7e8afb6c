/* hfc._C: module definition (PEP 489 multi-phase init with module state). */
#include "hfc_py.h"

#define HFC_NUMPY_IMPORT
#include "hfc_numpy.h"

static int hfc_exec(PyObject *m) {
    if (PyArray_ImportNumPyAPI() < 0) return -1;
    hfc_status st = hfc_dispatch_init();
    if (st != HFC_OK) return hfc_py_raise_int(st);
    if (hfc_py_init_runtime(m) < 0) return -1;
    if (hfc_py_init_json(m) < 0) return -1;
    if (hfc_py_init_mmap(m) < 0) return -1;
    if (hfc_py_init_tokenizers(m) < 0) return -1;
    if (hfc_py_init_models(m) < 0) return -1;
    if (hfc_py_init_datasets(m) < 0) return -1;
    if (hfc_py_init_hub(m) < 0) return -1;
    if (PyModule_AddStringConstant(m, "__version__", HFC_VERSION) < 0) return -1;
    return 0;
}

static int hfc_traverse(PyObject *m, visitproc visit, void *arg) {
    hfc_py_state *s = hfc_py_get_state(m);
    Py_VISIT(s->MappedFile_type);
    Py_VISIT(s->Encoding_type);
    Py_VISIT(s->Encoding_subtype);
    for (int i = 0; i < HFC_PY_SLOTS; i++) {
        Py_VISIT(s->models[i]);
        Py_VISIT(s->datasets[i]);
        Py_VISIT(s->hub[i]);
    }
    return 0;
}

static int hfc_clear(PyObject *m) {
    hfc_py_state *s = hfc_py_get_state(m);
    Py_CLEAR(s->MappedFile_type);
    Py_CLEAR(s->Encoding_type);
    Py_CLEAR(s->Encoding_subtype);
    for (int i = 0; i < HFC_PY_SLOTS; i++) {
        Py_CLEAR(s->models[i]);
        Py_CLEAR(s->datasets[i]);
        Py_CLEAR(s->hub[i]);
    }
    return 0;
}

static void hfc_free_module(void *m) { hfc_clear((PyObject *)m); }

static PyModuleDef_Slot hfc_slots[] = {
    {Py_mod_exec, (void *)hfc_exec},
    {0, NULL},
};

PyModuleDef hfc_py_module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "hfc._C",
    .m_doc = "hfc's C core. Use the hfc package, not this module.",
    .m_size = sizeof(hfc_py_state),
    .m_slots = hfc_slots,
    .m_traverse = hfc_traverse,
    .m_clear = hfc_clear,
    .m_free = hfc_free_module,
};

PyMODINIT_FUNC PyInit__C(void) { return PyModuleDef_Init(&hfc_py_module_def); }
