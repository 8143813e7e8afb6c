/* Binding for hfc.models: safetensors, kernels, encoders. */
#include "hfc_py.h"

int hfc_py_init_models(PyObject *m) {
    (void)m;
    return 0;
}
