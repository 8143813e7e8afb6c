/* Core status -> Python exception, in one place (STYLE.md: "the core returns status;
 * only the binding raises"). */
#include "hfc_py.h"

PyObject *hfc_py_raise(hfc_status st) {
    const char *msg = hfc_error_message();
    if (!msg[0]) msg = hfc_status_name(st);
    switch (st) {
    case HFC_OK:
        PyErr_SetString(PyExc_SystemError, "hfc: raise called with HFC_OK");
        break;
    case HFC_ERR_NOMEM:
        PyErr_SetString(PyExc_MemoryError, msg);
        break;
    case HFC_ERR_INVALID:
        PyErr_SetString(PyExc_ValueError, msg);
        break;
    case HFC_ERR_TYPE:
        PyErr_SetString(PyExc_TypeError, msg);
        break;
    case HFC_ERR_RANGE:
        PyErr_SetString(PyExc_IndexError, msg);
        break;
    case HFC_ERR_KEY:
        PyErr_SetString(PyExc_KeyError, msg);
        break;
    case HFC_ERR_IO: {
        int e = hfc_error_errno();
        /* OSError(errno, msg) picks the subclass: FileNotFoundError, PermissionError... */
        PyObject *exc = e ? PyObject_CallFunction(PyExc_OSError, "is", e, msg)
                          : PyObject_CallFunction(PyExc_OSError, "s", msg);
        if (exc) {
            PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
            Py_DECREF(exc);
        }
        break;
    }
    case HFC_ERR_UNSUPPORTED:
        PyErr_SetString(PyExc_NotImplementedError, msg);
        break;
    case HFC_ERR_OVERFLOW:
        PyErr_SetString(PyExc_OverflowError, msg);
        break;
    case HFC_ERR_STATE:
    default:
        PyErr_SetString(PyExc_RuntimeError, msg);
        break;
    }
    hfc_error_clear();
    return NULL;
}

int hfc_py_raise_int(hfc_status st) {
    hfc_py_raise(st);
    return -1;
}
