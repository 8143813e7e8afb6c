/* hfc._C.MappedFile: a read-only memory map exposing the buffer protocol.
 *
 * memoryview(m), numpy.frombuffer(m) and every NumPy view hfc hands out over file data
 * keep the MappedFile (and so the core hfc_mmap) alive through their base object. */
#include "hfc_py.h"
#include <structmember.h>

typedef struct {
    PyObject_HEAD
    hfc_mmap *map;
    Py_ssize_t exports; /* live buffer views */
} MappedFileObject;

static PyObject *MappedFile_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"path", NULL};
    PyObject *path_bytes = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&:MappedFile", kwlist, PyUnicode_FSConverter,
                                     &path_bytes))
        return NULL;
    hfc_mmap *map = NULL;
    hfc_status st;
    Py_BEGIN_ALLOW_THREADS
    st = hfc_mmap_open(PyBytes_AS_STRING(path_bytes), &map);
    Py_END_ALLOW_THREADS
    Py_DECREF(path_bytes);
    if (st != HFC_OK) return hfc_py_raise(st);
    MappedFileObject *self = (MappedFileObject *)type->tp_alloc(type, 0);
    if (!self) {
        hfc_mmap_release(map);
        return NULL;
    }
    self->map = map;
    self->exports = 0;
    return (PyObject *)self;
}

static void MappedFile_dealloc(MappedFileObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    hfc_mmap_release(self->map);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static int MappedFile_getbuffer(MappedFileObject *self, Py_buffer *view, int flags) {
    if (flags & PyBUF_WRITABLE) {
        PyErr_SetString(PyExc_BufferError, "MappedFile is read-only");
        return -1;
    }
    int rc = PyBuffer_FillInfo(view, (PyObject *)self, (void *)hfc_mmap_data(self->map),
                               (Py_ssize_t)hfc_mmap_size(self->map), 1, flags);
    if (rc == 0) self->exports++;
    return rc;
}

static void MappedFile_releasebuffer(MappedFileObject *self, Py_buffer *view) {
    (void)view;
    self->exports--;
}

static Py_ssize_t MappedFile_len(MappedFileObject *self) {
    return (Py_ssize_t)hfc_mmap_size(self->map);
}

static PyObject *MappedFile_get_path(MappedFileObject *self, void *closure) {
    (void)closure;
    return PyUnicode_DecodeFSDefault(hfc_mmap_path(self->map));
}

static PyObject *MappedFile_get_size(MappedFileObject *self, void *closure) {
    (void)closure;
    return PyLong_FromSize_t(hfc_mmap_size(self->map));
}

static PyObject *MappedFile_repr(MappedFileObject *self) {
    PyObject *path = MappedFile_get_path(self, NULL);
    if (!path) return NULL;
    PyObject *r = PyUnicode_FromFormat("MappedFile(%R, size=%zu)", path, hfc_mmap_size(self->map));
    Py_DECREF(path);
    return r;
}

static PyGetSetDef MappedFile_getset[] = {
    {"path", (getter)MappedFile_get_path, NULL, "the mapped file's path", NULL},
    {"size", (getter)MappedFile_get_size, NULL, "size in bytes", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot MappedFile_slots[] = {
    {Py_tp_new, MappedFile_new},
    {Py_tp_dealloc, MappedFile_dealloc},
    {Py_tp_repr, MappedFile_repr},
    {Py_tp_getset, MappedFile_getset},
    {Py_sq_length, MappedFile_len},
    {Py_bf_getbuffer, MappedFile_getbuffer},
    {Py_bf_releasebuffer, MappedFile_releasebuffer},
    {Py_tp_doc, (void *)"MappedFile(path): a read-only memory map of a whole file "
                        "(buffer protocol; views keep it alive)."},
    {0, NULL},
};

static PyType_Spec MappedFile_spec = {
    .name = "hfc._C.MappedFile",
    .basicsize = sizeof(MappedFileObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = MappedFile_slots,
};

int hfc_py_init_mmap(PyObject *m) {
    PyObject *tp = PyType_FromModuleAndSpec(m, &MappedFile_spec, NULL);
    if (!tp) return -1;
    hfc_py_get_state(m)->MappedFile_type = (PyTypeObject *)tp;
    Py_INCREF(tp);
    if (PyModule_AddObject(m, "MappedFile", tp) < 0) {
        Py_DECREF(tp);
        return -1;
    }
    return 0;
}
