/* Binding for hfc.models: safetensors, kernels, encoders. */
#include "hfc_py.h"

int hfc_py_init_kernels(PyObject *m); /* kernels_py.c: private _k_* test bindings */

int hfc_py_init_models(PyObject *m) {
    if (hfc_py_init_kernels(m) < 0) return -1;
    return 0;
}
