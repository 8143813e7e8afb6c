/* Binding for hfc.hub: Hub client and cache. */
#include "hfc_py.h"

int hfc_py_init_hub(PyObject *m) {
    (void)m;
    return 0;
}
