"""safetensors for NumPy, API-compatible with ``safetensors.numpy``, read zero-copy.

    from hfc.models.safetensors import load_file, save_file, safe_open
    with safe_open("model.safetensors", framework="np") as f:
        w = f.get_tensor("encoder.layer.0.attention.self.query.weight")  # a view of the map

Arrays handed out are read-only views over the memory-mapped file (their ``base`` keeps
the mapping alive, even after the file is closed or replaced). The C core validates
every rule of the format on open; a malformed file raises ValueError naming the file and
the tensor.

dtypes: NumPy has no bfloat16 or float8, so BF16 tensors come back as uint16 and F8_*
as uint8 (the raw bits), and the sub-byte F4/F6 formats as their packed bytes (uint8,
1-D). Pass ``convert=True`` to get BF16/F16/F8_E4M3/F8_E5M2 as float32 copies instead.
(safetensors.numpy raises for these dtypes unless ml_dtypes is imported.)

Known differences from safetensors: a duplicate key in the header is an error (the
reference keeps the last one); ``get_slice`` rejects a step other than 1 (the reference
ignores it); ``__metadata__`` is written sorted by key (the reference writes it in hash
order, so its output with two or more entries varies from run to run).
"""
from __future__ import annotations

import os
import sys
from typing import Dict, Iterable, List, Optional, Union

import numpy as np

from .. import _C

__all__ = ["load_file", "save_file", "load", "save", "safe_open", "load_sharded",
           "ShardedCheckpoint", "to_float32", "NP_DTYPES"]

PathLike = Union[str, os.PathLike]

# safetensors dtype code -> the NumPy dtype of the view (raw bits where NumPy lacks it).
NP_DTYPES = {
    "F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"), "I64": np.dtype("<i8"), "U64": np.dtype("<u8"),
    "I32": np.dtype("<i4"), "U32": np.dtype("<u4"), "I16": np.dtype("<i2"),
    "U16": np.dtype("<u2"), "I8": np.dtype("i1"), "U8": np.dtype("u1"),
    "BOOL": np.dtype("bool"), "C64": np.dtype("<c8"),
    "F8_E5M2": np.dtype("u1"), "F8_E4M3": np.dtype("u1"), "F8_E8M0": np.dtype("u1"),
    "F8_E4M3FNUZ": np.dtype("u1"), "F8_E5M2FNUZ": np.dtype("u1"),
}
_PACKED = {"F4", "F6_E2M3", "F6_E3M2"}  # sub-byte: returned as packed uint8 bytes

# NumPy dtype name -> safetensors code (the names safetensors' TensorSpec accepts; the
# bfloat16 / float8 names come from ml_dtypes arrays).
_SAVE_DTYPES = {
    "bool": "BOOL", "int8": "I8", "uint8": "U8", "int16": "I16", "uint16": "U16",
    "int32": "I32", "uint32": "U32", "int64": "I64", "uint64": "U64", "float16": "F16",
    "float32": "F32", "float64": "F64", "bfloat16": "BF16", "float8_e4m3fn": "F8_E4M3",
    "float8_e4m3fnuz": "F8_E4M3FNUZ", "float8_e5m2": "F8_E5M2",
    "float8_e5m2fnuz": "F8_E5M2FNUZ", "float8_e8m0fnu": "F8_E8M0", "complex64": "C64",
}


def _f8_table(exp_bits: int, man_bits: int, fn: bool) -> np.ndarray:
    """float32 value of each of the 256 codes (OCP FP8: e4m3fn has no inf, one NaN per
    sign; e5m2 follows IEEE with inf and NaNs)."""
    bias = (1 << (exp_bits - 1)) - 1
    out = np.empty(256, np.float32)
    for code in range(256):
        s = -1.0 if code & 0x80 else 1.0
        e = (code >> man_bits) & ((1 << exp_bits) - 1)
        m = code & ((1 << man_bits) - 1)
        if fn and e == (1 << exp_bits) - 1 and m == (1 << man_bits) - 1:
            v = np.nan
        elif not fn and e == (1 << exp_bits) - 1:
            v = np.inf if m == 0 else np.nan
        elif e == 0:
            v = m / (1 << man_bits) * 2.0 ** (1 - bias)
        else:
            v = (1 + m / (1 << man_bits)) * 2.0 ** (e - bias)
        out[code] = s * v
    return out


_F8_TABLES: Dict[str, np.ndarray] = {}


def to_float32(arr: np.ndarray, dtype: str) -> np.ndarray:
    """Convert a raw view of a BF16 / F16 / F8_E4M3 / F8_E5M2 tensor to float32."""
    if dtype == "BF16":
        return (arr.astype(np.uint32) << 16).view(np.float32)
    if dtype == "F16":
        return arr.astype(np.float32)
    if dtype in ("F8_E4M3", "F8_E5M2"):
        table = _F8_TABLES.get(dtype)
        if table is None:
            table = _F8_TABLES[dtype] = (_f8_table(4, 3, True) if dtype == "F8_E4M3"
                                         else _f8_table(5, 2, False))
        return table[arr]
    if dtype in ("F32", "F64", "I64", "U64", "I32", "U32", "I16", "U16", "I8", "U8", "BOOL"):
        return arr.astype(np.float32)
    raise ValueError(f"cannot convert {dtype} to float32")


def _view(file, name, shape, offset, nbytes, dtype, convert=False) -> np.ndarray:
    if dtype in _PACKED:
        return np.frombuffer(file, np.uint8, nbytes, offset)
    npd = NP_DTYPES[dtype]
    count = nbytes // npd.itemsize
    arr = np.frombuffer(file, npd, count, offset).reshape(shape)
    if convert and dtype in ("BF16", "F16", "F8_E4M3", "F8_E5M2"):
        return to_float32(arr, dtype)
    return arr


class _Slice:
    """``safe_open(...).get_slice(name)``: shape and dtype without reading, and
    ``[...]`` indexing with slices (positive steps) and integers, as safetensors allows."""

    def __init__(self, file, info, convert):
        self._file, self._info, self._convert = file, info, convert

    def get_shape(self) -> List[int]:
        return list(self._info[1])

    def get_dtype(self) -> str:
        return self._info[4]

    def __getitem__(self, index):
        name, shape, offset, nbytes, dtype = self._info
        if isinstance(index, list):
            if index:
                raise ValueError("get_slice: non-empty lists are not implemented")
            index = (slice(0, 0),)
        if not isinstance(index, tuple):
            index = (index,)
        if len(index) > len(shape):
            raise ValueError(f"get_slice('{name}'): {len(index)} indexes for a tensor of "
                             f"{len(shape)} dimensions")
        key = []
        for dim, (ix, size) in enumerate(zip(index, shape)):
            if isinstance(ix, slice):
                step = 1 if ix.step is None else _index(ix.step, name, dim, True)
                if step < 1:  # as safetensors: only forward strides
                    raise ValueError(f"get_slice('{name}'): slice step must be a positive "
                                     f"integer, got {step}")
                start = 0 if ix.start is None else _index(ix.start, name, dim, False)
                stop = size if ix.stop is None else _index(ix.stop, name, dim, False)
                bad = start if start >= size else (stop - 1 if stop > size else None)
                if bad is not None or stop < start:
                    raise ValueError(f"get_slice('{name}'): index {bad if bad is not None else stop} "
                                     f"out of bounds for dimension {dim} of size {size}")
                key.append(slice(start, stop, step))
            else:
                i = _index(ix, name, dim, True)
                if i < 0:
                    i += size
                if not 0 <= i < size:
                    raise ValueError(f"get_slice('{name}'): index {ix} out of bounds for "
                                     f"dimension {dim} of size {size}")
                key.append(i)
        arr = _view(self._file, name, shape, offset, nbytes, dtype, self._convert)
        return np.array(arr[tuple(key)], copy=True)


def _index(v, name, dim, signed):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"get_slice('{name}'): dimension {dim}: expected an int or a slice, "
                        f"got {type(v).__name__}")
    if not signed and v < 0:
        raise ValueError(f"get_slice('{name}'): negative slice bound {v} in dimension {dim}")
    return int(v)


class safe_open:
    """``safe_open(path, framework="np")``: lazy access to one safetensors file.

    keys() (sorted), offset_keys(), get_tensor(name), get_tensors(), get_slice(name),
    metadata(). Usable as a context manager; after closing, arrays already handed out
    stay valid."""

    def __init__(self, filename: PathLike, framework: str = "np", device: str = "cpu", *,
                 convert: bool = False, **_ignored):
        if framework not in ("np", "numpy"):
            raise ValueError(f"hfc safe_open: framework {framework!r} is not supported "
                             "(only 'np'/'numpy')")
        if device not in ("cpu", None):
            raise ValueError(f"hfc safe_open: device {device!r} is not supported (only 'cpu')")
        self._file = _C.SafetensorsFile(os.fspath(filename))
        self._convert = convert

    def _f(self):
        if self._file is None:
            raise ValueError("safe_open: file is closed")
        return self._file

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._file = None

    def keys(self) -> List[str]:
        return self._f().keys()

    def offset_keys(self) -> List[str]:
        return [t[0][0] for t in self._f().tensors()]

    def metadata(self) -> Optional[Dict[str, str]]:
        return self._f().metadata()

    def get_tensor(self, name: str) -> np.ndarray:
        f = self._f()
        _, shape, offset, nbytes, dtype = f.info(name)
        return _view(f, name, shape, offset, nbytes, dtype, self._convert)

    def get_tensors(self) -> Dict[str, np.ndarray]:
        return _all_tensors(self._f(), self._convert)

    def get_slice(self, name: str) -> _Slice:
        f = self._f()
        return _Slice(f, f.info(name), self._convert)


def _all_tensors(f, convert=False) -> Dict[str, np.ndarray]:
    return {t[0]: _view(f, t[0], t[1], t[2], t[3], dtype, convert) for t, dtype in f.tensors()}


def load_file(filename: PathLike, *, convert: bool = False, **_ignored) -> Dict[str, np.ndarray]:
    """All tensors of a file as read-only NumPy views, in file order."""
    return _all_tensors(_C.SafetensorsFile(os.fspath(filename)), convert)


def load(data: bytes, *, convert: bool = False) -> Dict[str, np.ndarray]:
    """Tensors of a safetensors file held in memory (views of ``data``)."""
    return _all_tensors(_C.SafetensorsFile(data=data), convert)


def _items(tensor_dict: Dict[str, np.ndarray]):
    items = []
    for name, arr in tensor_dict.items():
        if not isinstance(name, str):
            raise TypeError(f"tensor names must be str, got {type(name).__name__}")
        arr = np.asarray(arr)
        code = _SAVE_DTYPES.get(arr.dtype.name)
        if code is None:
            raise ValueError(f"tensor '{name}': dtype {arr.dtype} cannot be stored in "
                             f"safetensors (supported: {', '.join(_SAVE_DTYPES)})")
        if arr.dtype.byteorder == ">" or (arr.dtype.byteorder == "=" and sys.byteorder == "big"):
            arr = arr.byteswap().view(arr.dtype.newbyteorder("<"))
        if not arr.flags.c_contiguous:
            arr = arr.copy(order="C")
        items.append((name, code, tuple(int(d) for d in arr.shape),
                      arr.reshape(-1).view(np.uint8) if arr.size else b""))
    return items


def save(tensor_dict: Dict[str, np.ndarray], metadata: Optional[Dict[str, str]] = None) -> bytes:
    """The bytes of a safetensors file holding these tensors (as safetensors writes them)."""
    return _C._safetensors_write(_items(tensor_dict), metadata)


def save_file(tensor_dict: Dict[str, np.ndarray], filename: PathLike,
              metadata: Optional[Dict[str, str]] = None) -> None:
    """Write a safetensors file atomically (temporary file + rename)."""
    _C._safetensors_write(_items(tensor_dict), metadata, os.fspath(filename))


class ShardedCheckpoint:
    """A checkpoint split over shards by ``model.safetensors.index.json`` (or a single
    ``model.safetensors``): keys(), get_tensor(name), metadata(), shard_of(name).

    ``path`` is a folder, an index .json or a .safetensors file; opening and every check
    of the index against the shards is hfc's C checkpoint reader (the one the encoders
    load through)."""

    def __init__(self, path: PathLike, *, convert: bool = False):
        ck = _C.SafetensorsCheckpoint(os.fspath(path))
        self._convert = convert
        self._files = {f.name: f for f in ck.shards()}
        self._map = {k: name for name, f in self._files.items() for k in f.keys()}
        if ck.index is None:
            self._meta = next(iter(self._files.values())).metadata()
        else:
            with open(ck.index, "rb") as fh:  # already validated by the C reader
                index = _C._json_loads(fh.read())
            self._meta = index.get("metadata")

    def keys(self) -> List[str]:
        return sorted(self._map)

    def metadata(self):
        return self._meta

    def shard_of(self, name: str) -> str:
        return self._map[name]

    def get_tensor(self, name: str) -> np.ndarray:
        shard = self._map.get(name)
        if shard is None:
            raise KeyError(f"no tensor named '{name}' in the checkpoint")
        f = self._files[shard]
        _, shape, offset, nbytes, dtype = f.info(name)
        return _view(f, name, shape, offset, nbytes, dtype, self._convert)


def load_sharded(path: PathLike, *, convert: bool = False) -> Dict[str, np.ndarray]:
    """Every tensor of a sharded (or single-file) checkpoint: a folder, an index.json,
    or a .safetensors path."""
    ck = ShardedCheckpoint(path, convert=convert)
    return {k: ck.get_tensor(k) for k in ck.keys()}
