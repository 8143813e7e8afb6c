/* Binding for hfc.datasets: Arrow IPC tables and datasets. */
#include "hfc_py.h"

int hfc_py_init_datasets(PyObject *m) {
    (void)m;
    return 0;
}
