/* Include NumPy's C API from any binding file. module.c defines HFC_NUMPY_IMPORT before
 * including this and calls PyArray_ImportNumPyAPI(); every other file sees the shared
 * API table through PY_ARRAY_UNIQUE_SYMBOL. */
#ifndef HFC_NUMPY_H
#define HFC_NUMPY_H
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#define PY_ARRAY_UNIQUE_SYMBOL hfc_ARRAY_API
#ifndef HFC_NUMPY_IMPORT
#define NO_IMPORT_ARRAY
#endif
#include <numpy/arrayobject.h>
#endif
