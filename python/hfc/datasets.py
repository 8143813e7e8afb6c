"""hfc.datasets: memory-mapped Arrow datasets compatible with HF ``datasets``.

Reads the very files ``datasets`` writes (``save_to_disk`` folders, cache ``.arrow``
files), zero-copy, through hfc's C Arrow reader (``hfc._C.ArrowTable``). Row selection
(select, shuffle, filter, shard, train_test_split) keeps an index array, never copied
rows; ``save_to_disk`` writes Arrow IPC streams with hfc's C writer that
``datasets.load_from_disk`` reads back.

    ds = hfc.datasets.load_from_disk("my_dataset")["train"].shuffle(seed=0)
    ds[0]                                   # dict, equal to datasets' row
    for batch in ds.with_format("numpy").iter(batch_size=64): ...
    blocks = ds.pack(1024, column="input_ids")   # group_texts in C -> (n, 1024) int32

A Dataset pickles as its file paths, its index array and its format, so DataLoader
workers (fork or spawn) re-map the files instead of copying bytes. pyarrow is needed
only for from_dict / map / Parquet, CSV and JSON-lines loading; ``datasets`` only to
return ``datasets.Features`` objects (a plain dict otherwise).
"""
from __future__ import annotations

import html
import json
import math
import os
import tempfile
import uuid
from collections.abc import Sequence

import numpy as np

from ._C import ArrowTable, _DatasetBase

__all__ = ["Dataset", "DatasetDict", "Column", "load_from_disk", "load_dataset", "split_dataset_by_node",
           "ArrowTable"]

_FORMATS = ("python", "numpy", "np", "torch", "pt", None)


# ---------------------------------------------------------------------------- features

def _feature_from_field(f):
    """datasets' Features JSON for an Arrow field (as ``ArrowTable.schema()`` gives)."""
    t = f["type"]
    if t in ("list", "large_list", "fixed_size_list"):
        out = {"feature": _feature_from_field(f["children"][0])}
        if t == "fixed_size_list":
            out["length"] = f["fixed_size"]
        out["_type"] = "LargeList" if t == "large_list" else "List"
        return out
    if t == "struct":
        return {c["name"]: _feature_from_field(c) for c in f["children"]}
    if t == "fixed_size_binary":
        return {"dtype": "binary", "_type": "Value"}
    return {"dtype": t, "_type": "Value"}


def _features_json(table):
    meta = table.metadata.get("huggingface")
    if meta:
        try:
            feats = json.loads(meta).get("info", {}).get("features")
            if feats is not None:
                return feats
        except ValueError:
            pass
    return {f["name"]: _feature_from_field(f) for f in table.schema()}


def _to_features(js):
    try:
        import datasets
    except ImportError:
        return js
    return datasets.Features.from_dict(js)


def _progress(total, desc, enabled=None):
    """A tqdm bar (notebook-aware via tqdm.auto) for work of `total` units, or a no-op when
    tqdm is missing, disabled, or the work is small. HFC_DISABLE_PROGRESS=1 turns bars off."""
    if enabled is None:
        enabled = total >= 50_000 and not os.environ.get("HFC_DISABLE_PROGRESS")
    if enabled:
        try:
            from tqdm.auto import tqdm
            return tqdm(total=total, desc=desc, unit=" rows")
        except ImportError:
            pass
    return _NoProgress()


class _NoProgress:
    def update(self, n=1):
        pass

    def close(self):
        pass


def _new_cache_path(prefix="hfc-"):
    d = os.path.join(tempfile.gettempdir(), "hfc_datasets_cache")
    os.makedirs(d, exist_ok=True)
    return os.path.join(d, f"{prefix}{uuid.uuid4().hex}.arrow")


# ---------------------------------------------------------------------------- formatting

_NP_DTYPES = {"int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64,
              "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64,
              "float16": np.float16, "float32": np.float32, "float64": np.float64,
              "bool": np.bool_}


def _list_dtype(field):
    """NumPy dtype of the items of a list-of-primitives field (else None)."""
    if field["type"] in ("list", "large_list", "fixed_size_list"):
        return _NP_DTYPES.get(field["children"][0]["type"])
    return None


def _np_column(values, item_dtype=None, numeric=False):
    """datasets' NumpyArrowExtractor on a column of Python values (lists -> arrays)."""
    conv = [np.asarray(v, dtype=item_dtype) if isinstance(v, list) else v for v in values]
    if conv and any(isinstance(x, np.ndarray) for x in conv):
        first = next(x for x in conv if isinstance(x, np.ndarray))
        if any((isinstance(x, np.ndarray) and (x.dtype == object or x.shape != first.shape))
               or x is None for x in conv):
            out = np.empty(len(conv), dtype=object)
            out[:] = conv
            return out
        return np.stack(conv)
    if any(v is None for v in conv):
        if numeric:
            return np.array([np.nan if v is None else v for v in conv], dtype=np.float64)
        out = np.empty(len(conv), dtype=object)
        out[:] = conv
        return out
    return np.asarray(conv)


def _np_tensorize(v):
    """datasets' NumpyFormatter._tensorize (default kwargs): ints -> int64, floats -> float32."""
    if isinstance(v, (str, bytes, type(None))):
        return v
    if isinstance(v, (np.character, np.ndarray)) and np.issubdtype(v.dtype, np.character):
        return v
    if isinstance(v, np.number):
        return v
    if isinstance(v, np.ndarray) and np.issubdtype(v.dtype, np.integer):
        return np.asarray(v, dtype=np.int64)
    if isinstance(v, np.ndarray) and np.issubdtype(v.dtype, np.floating):
        return np.asarray(v, dtype=np.float32)
    return np.asarray(v)


def _np_consolidate(column):
    if isinstance(column, list):
        if column and all(isinstance(x, (np.ndarray, np.number, np.bool_))
                          and x.shape == column[0].shape and x.dtype == column[0].dtype
                          for x in column):
            return np.stack(column)
        out = np.empty(len(column), dtype=object)
        out[:] = column
        return out
    return column


def _pt_tensorize(v):
    """datasets' TorchFormatter._tensorize (default kwargs)."""
    import torch

    if isinstance(v, (str, bytes, type(None))):
        return v
    if isinstance(v, (np.character, np.ndarray)) and np.issubdtype(v.dtype, np.character):
        return v.tolist()
    kw = {}
    if isinstance(v, (np.number, np.ndarray)) and np.issubdtype(v.dtype, np.integer):
        kw = {"dtype": torch.int64}
        if v.dtype in (np.uint16, np.uint32):
            v = v.astype(np.int64)
    elif isinstance(v, (np.number, np.ndarray)) and np.issubdtype(v.dtype, np.floating):
        kw = {"dtype": torch.float32}
    return torch.tensor(v, **kw)


def _pt_consolidate(column):
    import torch

    if isinstance(column, list) and column and all(
            isinstance(x, torch.Tensor) and x.shape == column[0].shape
            and x.dtype == column[0].dtype for x in column):
        return torch.stack(column)
    return column


def _recursive(v, tz, cons):
    if isinstance(v, dict):
        return {k: _recursive(x, tz, cons) for k, x in v.items()}
    if tz is _pt_tensorize and hasattr(v, "__array__") and not isinstance(v, np.ndarray) \
            and type(v).__module__ != "torch":
        v = v.__array__()      # as TorchFormatter: numpy scalars become 0-d arrays first
    if (isinstance(v, np.ndarray) and v.dtype == object) or isinstance(v, (list, tuple)):
        return cons([_recursive(x, tz, cons) for x in v])
    return tz(v)


class _Formatter:
    """Turns (table, rows, columns) into rows/batches in the dataset's format, as
    datasets' Python / NumPy / Torch formatters do."""

    def __init__(self, ds):
        self.ds = ds

    def _extract(self, rows, cols):
        ds = self.ds
        out = {}
        for c in cols:
            name = ds._table.column_names[c]
            if ds._fixed[c] and not ds._nullable_data[c]:
                out[name] = ds._table.gather(c, rows)
            else:
                out[name] = _np_column(ds._table.rows(rows, (c,))[name], ds._item_dtype[c],
                                       ds._numeric[c])
        return out

    def _tensorizers(self):
        if self.ds._format_type == "torch":
            return _pt_tensorize, _pt_consolidate
        return _np_tensorize, _np_consolidate

    def batch(self, rows, cols):
        ds = self.ds
        if ds._format_type is None:
            return ds._table.rows(rows, cols)
        tz, cons = self._tensorizers()
        return {k: cons(_recursive(v, tz, cons)) for k, v in self._extract(rows, cols).items()}

    def row(self, i, cols):
        ds = self.ds
        if ds._format_type is None:
            return ds._table.row(i, cols)
        tz, cons = self._tensorizers()
        b = self._extract(np.array([i], dtype=np.int64), cols)
        return {k: _recursive(v[0], tz, cons) for k, v in b.items()}


# ---------------------------------------------------------------------------- Column

def _is_struct_feature(f):
    """A struct in features JSON / Features: a plain dict of sub-features (a dict with
    "_type" is a single feature such as List or Value)."""
    if hasattr(f, "_type") or not isinstance(f, dict):
        return False
    return "_type" not in f


class Column(Sequence):
    """ds["col"], as datasets' Column: a lazy sequence over one column of a Dataset (or a
    field of a struct Column: ds["meta"]["source"]). len, ds["col"][i] / [slice] / [list],
    iteration, equality with lists and Columns, repr; values are formatted like the
    dataset's rows (python, numpy or torch)."""

    def __init__(self, source, column_name):
        self.source = source
        self.column_name = column_name
        feats = source._info["features"] if isinstance(source, Dataset) else source._feats
        if not _is_struct_feature(feats) or column_name not in feats:
            raise ValueError(f"Column '{column_name}' doesn't exist.")
        self._feats = feats[column_name]     # features JSON (or Features) of this column

    @property
    def features(self):
        return self.source.features[self.column_name]

    def __iter__(self):
        src = self.source
        if isinstance(src, Dataset):
            c = src._col_index(self.column_name)
            n = len(src)
            if src._format_type is None:
                for s0 in range(0, n, 1000):   # batches of Python values, as rows give them
                    rows = src._rows_for(slice(s0, min(s0 + 1000, n)))
                    yield from src._table.rows(rows, (c,))[self.column_name]
            else:
                for i in range(n):
                    yield src._formatter.row(src._row_index(i), (c,))[self.column_name]
        else:
            for example in src:
                yield example[self.column_name]

    def __getitem__(self, key):
        if isinstance(key, str):
            return Column(self, key)
        src = self.source
        if isinstance(src, Dataset):
            return src._column_values(self.column_name, key)
        if isinstance(key, (int, np.integer)):
            return src[key][self.column_name]
        return [item[self.column_name] for item in src[key]]

    def __len__(self):
        return len(self.source)

    def __repr__(self):
        return "Column(" + repr(list(self[:5]))[:-1] + (", ...])" if len(self) > 5 else "])")

    def __str__(self):
        return "Column(" + str(list(self[:5]))[:-1] + (", ...])" if len(self) > 5 else "])")

    def __eq__(self, value):
        if isinstance(value, Column):
            return list(self) == list(value)
        return value == list(self)

    __hash__ = None


# ---------------------------------------------------------------------------- Dataset

class Dataset(_DatasetBase):
    """A memory-mapped Arrow dataset with an optional index mapping.

    ds[int] on an unformatted dataset and len(ds) are answered by the C base class
    (_DatasetBase) in one call; other keys come to _getitem."""

    def __init__(self, table, indices=None, info=None, split=None, format_type=None,
                 format_columns=None, output_all_columns=False, fingerprint=None):
        self._table = table
        self._indices = None if indices is None else np.ascontiguousarray(indices, dtype=np.int64)
        self._info = dict(info) if info else {}
        if "features" not in self._info:
            self._info["features"] = _features_json(table)
        self._split = split
        self._format_type = None if format_type in ("python",) else format_type
        self._format_columns = format_columns
        self._output_all_columns = output_all_columns
        self._fingerprint = fingerprint or uuid.uuid4().hex[:16]
        schema = table.schema()
        self._item_dtype = [_list_dtype(f) for f in schema]
        self._numeric = [f["type"] in _NP_DTYPES and f["type"] != "bool" and
                         not f["dictionary_index"] for f in schema]
        self._fixed = [f["type"] in _FIXED and not f["dictionary_index"] for f in schema]
        self._nullable_data = [not fx or table.null_count(c) > 0
                               for c, fx in enumerate(self._fixed)]
        self._formatter = _Formatter(self)
        self._bo = None            # batch row offsets, computed on first use
        self._chunk_cache = {}     # (column, batch) -> zero-copy array tuple

    # -- construction ------------------------------------------------------------------

    @classmethod
    def from_file(cls, filename, info=None, split=None, indices_filename=None, in_memory=False):
        table = ArrowTable([os.fspath(filename)])
        indices = None
        if indices_filename is not None:
            it = ArrowTable([os.fspath(indices_filename)])
            indices = np.asarray(it.gather(0, np.arange(len(it))), dtype=np.int64)
        return cls(table, indices=indices, info=info, split=split)

    @classmethod
    def from_dict(cls, mapping, features=None, info=None, split=None):
        import pyarrow as pa

        schema = None
        if features is not None:
            feats = features if isinstance(features, dict) and not hasattr(features, "arrow_schema") \
                else None
            if feats is None:
                schema = features.arrow_schema
        tbl = pa.table(mapping, schema=schema) if schema is not None else _infer_table(mapping)
        return cls._from_arrow(tbl, features, info, split)

    @classmethod
    def _from_arrow(cls, tbl, features=None, info=None, split=None):
        import pyarrow as pa

        if features is not None and hasattr(features, "to_dict"):
            feats = features.to_dict()
        elif features is not None:
            feats = features
        else:
            feats = None
        if feats is None:
            try:
                import datasets

                feats = datasets.Features.from_arrow_schema(tbl.schema).to_dict()
            except ImportError:
                feats = None
        meta = {"huggingface": json.dumps({"info": {"features": feats}})} if feats else {}
        tbl = tbl.replace_schema_metadata(meta)
        path = _new_cache_path()
        with pa.OSFile(path, "wb") as sink:
            with pa.ipc.new_stream(sink, tbl.schema) as w:
                w.write_table(tbl, max_chunksize=1000)
        info = dict(info or {})
        if feats is not None:
            info["features"] = feats
        return cls(ArrowTable([path]), info=info, split=split)

    def _derive(self, indices=None, keep_indices=False, **kw):
        """A new Dataset over the same files with `indices` composed onto this one's."""
        if keep_indices:
            idx = self._indices
        elif indices is None:
            idx = None
        else:
            idx = indices if self._indices is None else self._indices[indices]
        args = dict(info=self._info, split=self._split, format_type=self._format_type,
                    format_columns=self._format_columns,
                    output_all_columns=self._output_all_columns)
        args.update(kw)
        return Dataset(self._table, indices=idx, **args)

    # -- basics ------------------------------------------------------------------------

    @property
    def num_rows(self):
        return len(self)

    @property
    def column_names(self):
        return list(self._table.column_names)

    @property
    def num_columns(self):
        return len(self._table.column_names)

    @property
    def shape(self):
        return (len(self), self.num_columns)

    @property
    def features(self):
        return _to_features(self._info["features"])

    @property
    def info(self):
        return self._info

    @property
    def split(self):
        return self._split

    @property
    def format(self):
        return {"type": self._format_type, "format_kwargs": {},
                "columns": self._format_columns if self._format_columns is not None
                else self.column_names, "output_all_columns": self._output_all_columns}

    @property
    def cache_files(self):
        return [{"filename": p} for p in self._table.paths]

    @property
    def data_indices(self):
        return self._indices

    def __repr__(self):
        return (f"Dataset({{\n    features: {self.column_names},\n    num_rows: {len(self)}\n}})")

    def _repr_html_(self):
        n = min(len(self), 5)
        cols = self.column_names
        rows = "".join(
            "<tr>" + "".join(f"<td>{html.escape(repr(r[c])[:80])}</td>" for c in cols) + "</tr>"
            for r in (self._table.row(int(self._row_index(i))) for i in range(n)))
        head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
        return (f"<div><b>hfc.datasets.Dataset</b> — {len(self)} rows × {len(cols)} columns"
                f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>")

    def __reduce__(self):
        return (_rebuild, (self._table.paths, self._indices, self._info, self._split,
                           self._format_type, self._format_columns, self._output_all_columns,
                           self._fingerprint))

    # -- indexing ----------------------------------------------------------------------

    def _cols(self):
        if self._format_columns is None or (self._output_all_columns and self._format_type is None):
            return None
        want = set(self._format_columns)
        return tuple(i for i, c in enumerate(self._table.column_names) if c in want)

    def _row_index(self, i):
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"Index {i} out of range for dataset of size {n}.")
        return i if self._indices is None else int(self._indices[i])

    def _rows_for(self, key):
        """Table rows for a slice / list / array key."""
        n = len(self)
        if isinstance(key, slice):
            pos = np.arange(*key.indices(n), dtype=np.int64)
        else:
            pos = np.asarray(key)
            if pos.dtype == bool:
                pos = np.flatnonzero(pos)
            pos = pos.astype(np.int64, copy=False).ravel()
            if pos.size and (pos.min() < -n or pos.max() >= n):
                bad = pos[(pos < -n) | (pos >= n)][0]
                raise IndexError(f"Index {bad} out of range for dataset of size {n}.")
            pos = np.where(pos < 0, pos + n, pos)
        return pos if self._indices is None else self._indices[pos]

    def _all_cols(self):
        cols = self._cols()
        return tuple(range(self.num_columns)) if cols is None else cols

    def _getitem(self, key):
        """ds[key] for every key the C base class does not answer itself."""
        if isinstance(key, bool):
            raise TypeError("dataset index must be int, str, slice or collection of int, not bool")
        if isinstance(key, (int, np.integer)):
            return self._formatter.row(self._row_index(int(key)), self._all_cols())
        if isinstance(key, str):
            return Column(self, key)
        return self._formatter.batch(self._rows_for(key), self._all_cols())

    def _column_values(self, column, key):
        """Values of one column at a dataset key (int -> value, else a batch column),
        formatted like the dataset, as datasets' _fast_select_column(column)[key][column]."""
        c = self._col_index(column)
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            return self._formatter.row(self._row_index(int(key)), (c,))[column]
        if isinstance(key, bool):
            raise TypeError("dataset index must be int, str, slice or collection of int, not bool")
        return self._formatter.batch(self._rows_for(key), (c,))[column]

    def __getitems__(self, keys):
        batch = self[list(keys)]
        n = len(keys)
        return [{k: v[i] for k, v in batch.items()} for i in range(n)]

    def __iter__(self):
        cols = self._all_cols()
        for i in range(len(self)):
            yield self._formatter.row(self._row_index(i), cols)

    def iter(self, batch_size, drop_last_batch=False):
        n = len(self)
        stop = n - n % batch_size if drop_last_batch else n
        cols = self._all_cols()
        for s in range(0, stop, batch_size):
            yield self._formatter.batch(self._rows_for(slice(s, min(s + batch_size, n))), cols)

    def to_dict(self):
        return self[:]

    def to_list(self):
        b = self[:]
        return [{k: v[i] for k, v in b.items()} for i in range(len(self))]

    # -- zero-copy and fast paths ------------------------------------------------------

    def _col_index(self, column):
        names = self._table.column_names
        if column not in names:
            raise KeyError(f"Column {column} not in the dataset")
        return names.index(column)

    def column_chunks(self, column):
        """Per record batch, the column's Arrow buffers as zero-copy NumPy views:
        (type, length, null_count, validity, values, data, children, dictionary)."""
        return self._table.chunks(self._col_index(column))

    def ragged(self, column, start=0, stop=None):
        """(values, offsets) of a list column over rows [start, stop).

        Zero-copy views when the dataset has no index mapping and the rows lie in one
        record batch; otherwise a gather into fresh arrays. offsets are relative to
        values (offsets[0] == 0 for gathers; for views they index the batch's values)."""
        c = self._col_index(column)
        n = len(self)
        stop = n if stop is None else min(stop, n)
        if self._indices is None:
            bo = self._batch_offsets()
            b = int(np.searchsorted(bo, start, side="right") - 1)
            if 0 <= b < len(bo) - 1 and stop <= bo[b + 1]:
                key = (c, b)
                ch = self._chunk_cache.get(key)
                if ch is None:
                    ch = self._chunk_cache[key] = self._table.chunk(c, b)
                typ, length, nulls, validity, offs, data, children, dic = ch
                if typ in ("list", "large_list") and children[0][4] is not None and \
                        children[0][2] == 0:
                    lo, hi = start - int(bo[b]), stop - int(bo[b])
                    return children[0][4], offs[lo:hi + 1]
        return self._gather_ragged(c, self._rows_for(slice(start, stop)))

    def _batch_offsets(self):
        if self._bo is None:
            self._bo = self._table.batch_offsets
        return self._bo

    def _gather_ragged(self, c, rows):
        return self._table.gather_lists(c, rows)

    def iter_ragged(self, column, batch_size, drop_last_batch=False):
        """Batches of a list column as (values, offsets) NumPy arrays (zero-copy views
        where possible: see ragged())."""
        n = len(self)
        stop = n - n % batch_size if drop_last_batch else n
        for s in range(0, stop, batch_size):
            yield self.ragged(column, s, min(s + batch_size, n))

    def gather(self, column, positions):
        """A fixed-width column's values at dataset positions, copied in C."""
        return self._table.gather(self._col_index(column), self._rows_for(positions))

    def pack(self, block_size, column="input_ids", eos_id=None, output="numpy", batch_size=None):
        """group_texts in C: concatenate the token lists of `column` (in dataset order,
        with eos_id appended to each when given), drop the remainder, cut into blocks.

        batch_size=None (or <= 0): one concatenation of the whole dataset, so only its last
        partial block is dropped. batch_size=k: the rows are taken in batches of k (the last
        one shorter) and each batch drops its own remainder -- exactly the blocks of
        transformers' run_clm recipe, ``ds.map(group_texts, batched=True, batch_size=k)``
        (datasets.map's default k is 1000). With map's num_proc=p, datasets batches each of
        its p contiguous shards separately, so its blocks are those of packing each shard
        (``ds.shard(p, i, contiguous=True).pack(...)``) one after another.

        output="numpy": int32 ndarray (n_blocks, block_size); output="dataset": a Dataset
        with `column` as fixed-length lists (datasets' List(length=block_size))."""
        rows = self._indices
        group = 0 if batch_size is None else int(batch_size)
        blocks = self._table.pack(self._col_index(column), rows, int(block_size),
                                  -1 if eos_id is None else int(eos_id), max(group, 0))
        if output == "numpy":
            return blocks
        feats = {column: {"feature": {"dtype": "int32", "_type": "Value"},
                          "length": int(block_size), "_type": "List"}}
        return _lists_dataset([column], [blocks.reshape(-1)], None, len(blocks), feats,
                              fixed_size=int(block_size))

    def tokenize(self, tokenizer, column="text", add_special_tokens=True, *, truncation=False,
                 max_length=None, padding=False, pad_to_multiple_of=None, padding_side="right",
                 truncation_side="right", pad_token=None, return_attention_mask=True,
                 return_token_type_ids=False, remove_columns=None, batch_size=1000,
                 batch_rows=1000):
        """Tokenize `column` with an hfc.tokenizers Tokenizer in C on hfc's pool: the result
        of ``ds.map(lambda b: tok(b[column], ...), batched=True, batch_size=batch_size,
        remove_columns=remove_columns)`` with transformers' PreTrainedTokenizerFast ``tok``
        built on the same tokenizer.json and called with the same truncation / max_length /
        padding / pad_to_multiple_of / padding_side / truncation_side /
        return_attention_mask / return_token_type_ids.

        As transformers does, the tokenizer's own truncation and padding settings are
        replaced by these arguments for the call (the tokenizer passed in is not changed).
        truncation=True cuts to max_length (special tokens included; without max_length
        nothing is cut, as with a tokenizer whose model_max_length is unset). padding=True
        or "longest" pads to the longest row of each batch of `batch_size` rows (as map's
        batches), "max_length" to max_length; the pad token is `pad_token` or the
        tokenizer's padding pad_token (transformers takes it from there too). The defaults
        of the return_* flags are those of a tokenizer whose model_input_names are
        ["input_ids", "attention_mask"] (GPT-2, Llama); pass return_token_type_ids=True
        for BERT-style tokenizers. Other columns are kept (the dataset's index mapping
        applied) unless named in remove_columns. New columns: input_ids (list<int32>),
        token_type_ids and attention_mask (list<int8>), the types datasets stores.
        Columns are in datasets.map's order: a new column named like a column of this
        dataset (kept or removed) takes its place, the others come last."""
        c, n = self._col_index(column), len(self)
        pad = {True: "longest", False: None, "do_not_pad": None}.get(padding, padding)
        if pad not in (None, "longest", "max_length"):
            raise ValueError(f"tokenize: padding must be True, False, 'longest' or 'max_length', "
                             f"not {padding!r}")
        trunc = {True: "longest_first", False: None, "do_not_truncate": None}.get(truncation, truncation)
        if trunc not in (None, "longest_first", "only_first"):
            raise ValueError(f"tokenize: truncation must be True, False, 'longest_first' or "
                             f"'only_first', not {truncation!r}")
        if pad == "max_length" and max_length is None:
            raise ValueError("tokenize: padding='max_length' needs max_length")
        if trunc and pad and pad_to_multiple_of is not None and max_length is not None and \
                max_length % pad_to_multiple_of != 0:       # transformers' check
            raise ValueError("Truncation and padding are both activated but truncation length "
                             f"({max_length}) is not a multiple of pad_to_multiple_of "
                             f"({pad_to_multiple_of}).")
        drop = set([remove_columns] if isinstance(remove_columns, str) else remove_columns or ())
        missing = sorted(drop - set(self._table.column_names))
        if missing:      # datasets.map's check, before any work
            raise ValueError(f"Column to remove {missing} not in the dataset. Current columns in "
                             f"the dataset: {list(self._table.column_names)}")
        tok = _tokenizer_for_call(tokenizer, max_length if trunc else None, truncation_side)
        pad_id = None
        if pad is not None:
            if pad_token is None:
                cfg = getattr(tokenizer, "padding", None)
                pad_token = cfg["pad_token"] if cfg else None
            pad_id = tokenizer.token_to_id(pad_token) if pad_token is not None else None
            if pad_id is None:
                raise ValueError("Asking to pad but the tokenizer does not have a padding token "
                                 f"({pad_token!r}): pass pad_token=")
        rows = self._indices if self._indices is not None else None
        step = max(n // 32, 65_536)        # a few C calls when a progress bar is shown
        bar = _progress(n, "Tokenizing")
        parts, tparts, offs, base = [], [], [np.zeros(1, dtype=np.int64)], 0
        for s0 in range(0, n, step):
            sl = rows[s0:s0 + step] if rows is not None else np.arange(s0, min(s0 + step, n))
            res = self._table.tokenize(tok, c, sl, bool(add_special_tokens),
                                       bool(return_token_type_ids))
            parts.append(res[0])
            if return_token_type_ids:
                tparts.append(res[2].view(np.int8))
            offs.append(res[1][1:] + base)
            base += int(res[1][-1])
            bar.update(min(step, n - s0))
        bar.close()
        cat = lambda xs, dt: xs[0] if len(xs) == 1 else np.concatenate(xs) if xs else \
            np.zeros(0, dt)  # noqa: E731
        ids, offsets = cat(parts, np.int32), cat(offs, np.int64)
        types = cat(tparts, np.int8) if return_token_type_ids else None
        mask = None
        if pad is not None:
            ids, types, mask, offsets = _pad_ragged(ids, types, offsets, pad, max_length,
                                                    pad_to_multiple_of, batch_size, pad_id,
                                                    padding_side == "left")
        names, arrays = ["input_ids"], [ids]
        feats_new = {"input_ids": {"feature": {"dtype": "int32", "_type": "Value"},
                                   "_type": "List"}}
        int8_list = {"feature": {"dtype": "int8", "_type": "Value"}, "_type": "List"}
        if return_token_type_ids:
            names.append("token_type_ids")
            arrays.append(types)
            feats_new["token_type_ids"] = int8_list
        if return_attention_mask:
            names.append("attention_mask")
            arrays.append(mask if mask is not None else np.ones(len(ids), dtype=np.int8))
            feats_new["attention_mask"] = int8_list
        # datasets.map's column order: its writer follows the input schema, so a new column
        # named like an input column (kept or in remove_columns) takes that column's place;
        # the other new columns follow in the tokenizer's order
        in_names = list(self._table.column_names)
        keep = [k for k, name in enumerate(in_names) if name not in drop and name not in feats_new]
        out = [name for name in in_names if name in feats_new or (name not in drop)]
        out += [name for name in names if name not in in_names]
        old_feats = self._info["features"]
        feats = {name: feats_new[name] if name in feats_new else old_feats[name] for name in out}
        path = _new_cache_path()
        self._table.write(path, rows=rows, columns=keep, batch_rows=batch_rows,
                          metadata={"huggingface": json.dumps({"info": {"features": feats}})},
                          lists=(names, arrays, offsets, 0, [out.index(nm) for nm in names]))
        return Dataset(ArrowTable([path]), info={**self._info, "features": feats},
                       split=self._split)

    # -- row selection (index arrays only) ---------------------------------------------

    def select(self, indices, keep_in_memory=False, indices_cache_file_name=None,
               writer_batch_size=1000, new_fingerprint=None):
        pos = self._rows_positions(indices)
        return self._derive(pos)

    def _rows_positions(self, indices):
        n = len(self)
        if isinstance(indices, range):
            pos = np.arange(indices.start, indices.stop, indices.step, dtype=np.int64)
        else:
            pos = np.asarray(list(indices) if not hasattr(indices, "__len__") else indices)
            pos = pos.astype(np.int64, copy=False).ravel()
        if pos.size and (pos.min() < 0 or pos.max() >= n):
            bad = pos[(pos < 0) | (pos >= n)][0]
            raise IndexError(f"Index {bad} out of range for dataset of size {n}.")
        return pos

    def shuffle(self, seed=None, generator=None, keep_in_memory=False, **kwargs):
        generator = generator if generator is not None else _generator(seed)
        return self._derive(generator.permutation(len(self)))

    def shard(self, num_shards, index, contiguous=True, **kwargs):
        if not 0 <= index < num_shards:
            raise ValueError("index should be in [0, num_shards-1]")
        n = len(self)
        if contiguous:
            div, mod = divmod(n, num_shards)
            start = div * index + min(index, mod)
            end = start + div + (1 if index < mod else 0)
            pos = np.arange(start, end, dtype=np.int64)
        else:
            pos = np.arange(index, n, num_shards, dtype=np.int64)
        return self._derive(pos)

    def train_test_split(self, test_size=None, train_size=None, shuffle=True, seed=None,
                         generator=None, **kwargs):
        stratify = kwargs.get("stratify_by_column")
        n_samples = len(self)
        if test_size is None and train_size is None:
            test_size = 0.25
        if isinstance(test_size, float):
            n_test = math.ceil(test_size * n_samples)
        elif isinstance(test_size, int):
            n_test = float(test_size)
        if isinstance(train_size, float):
            n_train = math.floor(train_size * n_samples)
        elif isinstance(train_size, int):
            n_train = float(train_size)
        if train_size is None:
            n_train = n_samples - n_test
        elif test_size is None:
            n_test = n_samples - n_train
        if n_train + n_test > n_samples:
            raise ValueError(f"The sum of train_size and test_size = {n_train + n_test}, should be "
                             f"smaller than the number of samples {n_samples}.")
        n_train, n_test = int(n_train), int(n_test)
        if n_train == 0:
            raise ValueError("the resulting train set would be empty")
        if not shuffle:
            if stratify is not None:
                raise ValueError("Stratified train/test split is not implemented for `shuffle=False`")
            train_idx = np.arange(n_train)
            test_idx = np.arange(n_train, n_train + n_test)
        elif stratify is not None:
            feats = self._info["features"]
            if stratify not in feats:
                raise ValueError(f"Key {stratify} not found in {list(feats)}")
            kind = feats[stratify].get("_type") if isinstance(feats[stratify], dict) else None
            if kind != "ClassLabel":
                raise ValueError(f"Stratifying by column is only supported for ClassLabel column, "
                                 f"and column {stratify} is {kind or 'dict'}.")
            generator = generator if generator is not None else _generator(seed)
            labels = np.asarray(self.with_format("numpy")[stratify][:])
            train_idx, test_idx = _stratified_split(labels, n_train, n_test, generator, stratify)
        else:
            generator = generator if generator is not None else _generator(seed)
            perm = generator.permutation(n_samples)
            test_idx = perm[:n_test]
            train_idx = perm[n_test:n_test + n_train]
        return DatasetDict({"train": self._derive(train_idx), "test": self._derive(test_idx)})

    def filter(self, function=None, with_indices=False, input_columns=None, batched=False,
               batch_size=1000, num_proc=None, **kwargs):
        """Like datasets.filter: a new index mapping of the rows `function` keeps. With
        num_proc, the dataset is cut into num_proc contiguous shards (batches inside each
        shard, indices global) run in forked processes, as datasets does."""
        if function is None:
            return self
        cols = [input_columns] if isinstance(input_columns, str) else input_columns

        def run(plain, lo, hi):
            keep = []
            if batched:
                for s in range(lo, hi, batch_size):
                    e = min(s + batch_size, hi)
                    batch = plain[s:e]
                    args = [batch[c] for c in cols] if cols else [batch]
                    if with_indices:
                        args.append(list(range(s, e)))
                    keep.append(np.asarray(function(*args), dtype=bool))
                return np.concatenate(keep) if keep else np.zeros(0, dtype=bool)
            mask = np.empty(hi - lo, dtype=bool)
            for i in range(lo, hi):
                row = plain[i]
                args = [row[c] for c in cols] if cols else [row]
                if with_indices:
                    args.append(i)
                mask[i - lo] = bool(function(*args))
            return mask

        parts = self._run_sharded(run, num_proc)
        mask = np.concatenate(parts) if parts else np.zeros(0, dtype=bool)
        return self._derive(np.flatnonzero(mask))

    def _run_sharded(self, run, num_proc):
        """[run(plain, lo, hi) for each contiguous shard] -- one shard without num_proc,
        else num_proc shards (datasets' contiguous sharding) in forked worker processes
        (threads where fork is unavailable). `plain` is this dataset without a format."""
        plain = Dataset(self._table, self._indices, self._info)   # python format for fn inputs
        n = len(self)
        k = max(1, min(int(num_proc or 1), n))
        div, mod = divmod(n, k)
        bounds = [(div * i + min(i, mod), div * (i + 1) + min(i + 1, mod)) for i in range(k)]
        if k == 1:
            return [run(plain, 0, n)]
        global _FORK_JOB
        import multiprocessing as mp
        if "fork" in mp.get_all_start_methods():
            _FORK_JOB = (run, plain, bounds)
            try:
                with mp.get_context("fork").Pool(k) as pool:
                    return pool.map(_fork_worker, range(k))
            finally:
                _FORK_JOB = None
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(k) as ex:
            return list(ex.map(lambda b: run(plain, *b), bounds))

    def map(self, function=None, with_indices=False, input_columns=None, batched=False,
            batch_size=1000, drop_last_batch=False, remove_columns=None, features=None,
            num_proc=None, **kwargs):
        """Like datasets.map: the outputs, merged over the inputs, go to a new cache file
        (via pyarrow). With num_proc, the dataset is cut into num_proc contiguous shards
        (batches and drop_last_batch inside each shard, indices global) run in forked
        processes and joined in order, as datasets does."""
        if function is None:
            function = lambda x: x  # noqa: E731
        remove = set([remove_columns] if isinstance(remove_columns, str) else remove_columns or [])
        cols = [input_columns] if isinstance(input_columns, str) else input_columns

        def run(plain, lo, hi):
            out_batches = []
            step = batch_size if batched and batch_size else max(hi - lo, 1)
            stop = hi - (hi - lo) % step if (batched and drop_last_batch) else hi
            for s in range(lo, stop, step):
                e = min(s + step, hi)
                batch = plain[s:e]
                if batched:
                    args = [batch[c] for c in cols] if cols else [batch]
                    if with_indices:
                        args.append(list(range(s, e)))
                    res = function(*args)
                    res = {} if res is None else dict(res)
                else:
                    outs = []
                    for i in range(s, e):
                        row = {k: v[i - s] for k, v in batch.items()}
                        args = [row[c] for c in cols] if cols else [row]
                        if with_indices:
                            args.append(i)
                        r = function(*args)
                        outs.append({} if r is None else dict(r))
                    res = {k: [o[k] for o in outs] for k in (outs[0] if outs else {})}
                merged = {k: v for k, v in batch.items() if k not in remove}
                merged.update(res)
                out_batches.append(merged)
            return out_batches

        out_batches = [b for part in self._run_sharded(run, num_proc) for b in part]
        keys = list(out_batches[0]) if out_batches else self.column_names
        data = {k: [v for b in out_batches for v in b[k]] for k in keys}
        return Dataset.from_dict(data, features=features)

    def remove_columns(self, column_names):
        drop = [column_names] if isinstance(column_names, str) else list(column_names)
        keep = [c for c in self.column_names if c not in drop]
        return self.select_columns(keep)

    def select_columns(self, column_names):
        keep = [column_names] if isinstance(column_names, str) else list(column_names)
        path = _new_cache_path()
        cols = [self._col_index(c) for c in keep]
        feats = {c: self._info["features"][c] for c in keep if c in self._info["features"]}
        self._table.write(path, rows=self._indices, columns=cols,
                          metadata={"huggingface": json.dumps({"info": {"features": feats}})})
        return Dataset(ArrowTable([path]), info={**self._info, "features": feats},
                       split=self._split)

    def flatten_indices(self, **kwargs):
        if self._indices is None:
            return self
        path = _new_cache_path()
        self._table.write(path, rows=self._indices, metadata=self._hf_metadata())
        return Dataset(ArrowTable([path]), info=self._info, split=self._split,
                       format_type=self._format_type, format_columns=self._format_columns,
                       output_all_columns=self._output_all_columns)

    # -- formats -----------------------------------------------------------------------

    def with_format(self, type=None, columns=None, output_all_columns=False, **format_kwargs):
        if type not in _FORMATS:
            raise ValueError(f"Format {type!r} is not supported by hfc.datasets "
                             f"(python, numpy, torch)")
        t = {"np": "numpy", "pt": "torch", "python": None}.get(type, type)
        return self._derive(keep_indices=True, format_type=t,
                            format_columns=list(columns) if columns is not None else None,
                            output_all_columns=output_all_columns)

    def set_format(self, type=None, columns=None, output_all_columns=False, **format_kwargs):
        new = self.with_format(type, columns, output_all_columns)
        self._format_type, self._format_columns = new._format_type, new._format_columns
        self._output_all_columns = output_all_columns

    def reset_format(self):
        self.set_format(None)

    def with_transform(self, *a, **k):
        raise NotImplementedError("hfc.datasets: with_transform is not supported")

    # -- writing -----------------------------------------------------------------------

    def _hf_metadata(self):
        return {"huggingface": json.dumps({"info": {"features": self._info["features"]}})}

    def save_to_disk(self, dataset_path, max_shard_size=None, num_shards=None, **kwargs):
        dataset_path = os.fspath(dataset_path)
        os.makedirs(dataset_path, exist_ok=True)
        n = len(self)
        if num_shards is None:
            limit = _parse_size(max_shard_size or "500MB")
            nbytes = sum(os.path.getsize(p) for p in self._table.paths)
            if self._indices is not None and len(self._table):
                nbytes = nbytes * n // len(self._table)
            num_shards = max(int(nbytes / limit) + 1, 1)
        num_shards = min(num_shards, max(n, 1))
        files = []
        meta = self._hf_metadata()
        bar = _progress(n, f"Saving the dataset ({num_shards} shards)")
        for k in range(num_shards):
            shard = self.shard(num_shards, k, contiguous=True)
            rows = shard._indices if shard._indices is not None else np.arange(len(shard))
            name = f"data-{k:05d}-of-{num_shards:05d}.arrow"
            self._table.write(os.path.join(dataset_path, name), rows=rows, metadata=meta)
            files.append({"filename": name})
            bar.update(len(rows))
        bar.close()
        state = {"_data_files": files, "_fingerprint": self._fingerprint,
                 "_format_columns": self._format_columns, "_format_kwargs": {},
                 "_format_type": self._format_type, "_output_all_columns":
                 self._output_all_columns, "_split": self._split}
        info = {"citation": "", "description": "", "homepage": "", "license": ""}
        info.update({k: v for k, v in self._info.items()})
        _write_json(os.path.join(dataset_path, "state.json"), state)
        _write_json(os.path.join(dataset_path, "dataset_info.json"), info)


_FIXED = {"bool": False, "int8": 1, "int16": 1, "int32": 1, "int64": 1, "uint8": 1, "uint16": 1,
          "uint32": 1, "uint64": 1, "float16": 1, "float32": 1, "float64": 1}
_FIXED = {k for k, v in _FIXED.items() if v}


_FORK_JOB = None     # (run, dataset, shard bounds) inherited by forked map/filter workers


def _fork_worker(k):
    run, plain, bounds = _FORK_JOB
    return run(plain, *bounds[k])


def _generator(seed):
    """datasets' generator for shuffle/train_test_split: default_rng(seed), or with no seed
    one drawn from NumPy's global state the way datasets draws it."""
    if seed is None:
        _, seed_arr, pos, *_ = np.random.get_state()
        seed = seed_arr[pos] if pos < 624 else seed_arr[0]
        _ = np.random.random()
    return np.random.default_rng(seed)


def _hypergeometric_mode(counts, n_draws, rng):
    """How many of n_draws fall in each class of `counts` (an approximate mode of the
    multivariate hypergeometric): the proportional share floored, then one more for
    the classes with the largest fractional parts, ties broken by rng.choice -- the
    same draws, in the same order, as datasets.utils.stratify."""
    share = n_draws * counts / counts.sum()
    out = np.floor(share)
    missing = int(n_draws - out.sum())
    frac = share - out
    for v in np.sort(np.unique(frac))[::-1]:
        if missing <= 0:
            break
        tied = np.flatnonzero(frac == v)
        take = min(len(tied), missing)
        out[rng.choice(tied, size=take, replace=False)] += 1
        missing -= take
    return out.astype(np.int64)


def _stratified_split(labels, n_train, n_test, rng, column):
    """datasets' stratified train_test_split (its StratifiedShuffleSplit port, first split):
    per class a random permutation of its rows, the class's share to train then test, and
    each side shuffled. Consumes `rng` exactly as datasets does, so a seed gives its split."""
    classes, y = np.unique(labels, return_inverse=True)
    counts = np.bincount(y)
    if counts.min() < 2:
        raise ValueError(f"The least populated class in {column} column has only 1 member, which "
                         f"is too few. The minimum number of groups for any class cannot be less "
                         f"than 2.")
    for what, n in (("train_size", n_train), ("test_size", n_test)):
        if n < len(classes):
            raise ValueError(f"The {what} = {n} should be greater or equal to the number of "
                             f"classes = {len(classes)}")
    members = np.split(np.argsort(y, kind="mergesort"), np.cumsum(counts)[:-1])
    to_train = _hypergeometric_mode(counts, n_train, rng)
    to_test = _hypergeometric_mode(counts - to_train, n_test, rng)
    train, test = [], []
    for k in range(len(classes)):
        rows = members[k].take(rng.permutation(counts[k]), mode="clip")
        train.extend(rows[:to_train[k]])
        test.extend(rows[to_train[k]:to_train[k] + to_test[k]])
    return rng.permutation(train), rng.permutation(test)


def _tokenizer_for_call(tokenizer, max_length, direction):
    """The tokenizer with transformers' per-call settings: no padding (done afterwards on
    the flat arrays), truncation to max_length or none. The caller's tokenizer is used
    as it is when it already has those settings, else a private copy."""
    trunc = getattr(tokenizer, "truncation", None)
    want = None if max_length is None else {"max_length": int(max_length), "stride": 0,
                                            "strategy": "longest_first", "direction": direction}
    if getattr(tokenizer, "padding", None) is None and trunc == want:
        return tokenizer
    if not hasattr(tokenizer, "to_str"):
        raise TypeError("tokenize: truncation/padding settings need an hfc.tokenizers.Tokenizer")
    tok = type(tokenizer).from_str(tokenizer.to_str())
    tok.no_padding()
    if want is None:
        tok.no_truncation()
    else:
        tok.enable_truncation(want["max_length"], strategy="longest_first", direction=direction)
    return tok


def _pad_ragged(ids, types, offsets, mode, max_length, multiple, batch_size, pad_id, left):
    """Pad ragged rows (values cut by offsets) as HF's PaddingParams: to the longest row of
    each batch of batch_size rows, or to max_length (longer rows stay as they are); the
    length rounded up to pad_to_multiple_of. Returns (ids, types|None, mask, offsets)."""
    lens = np.diff(offsets)
    n = len(lens)
    if mode == "max_length":
        target = np.full(n, int(max_length), dtype=np.int64)
    else:
        starts = np.arange(0, n, batch_size)
        longest = np.maximum.reduceat(lens, starts) if n else np.zeros(0, np.int64)
        target = np.repeat(longest, np.diff(np.append(starts, n)))
    if multiple:
        target = -(-target // int(multiple)) * int(multiple)
    target = np.maximum(target, lens)
    new_offs = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(target, out=new_offs[1:])
    total = int(new_offs[-1])
    shift = new_offs[:-1] - offsets[:-1] + (target - lens if left else 0)
    dest = np.repeat(shift, lens) + np.arange(len(ids), dtype=np.int64)
    out_ids = np.full(total, pad_id, dtype=np.int32)
    out_ids[dest] = ids
    mask = np.zeros(total, dtype=np.int8)
    mask[dest] = 1
    out_types = None
    if types is not None:
        out_types = np.zeros(total, dtype=np.int8)     # transformers' pad_token_type_id
        out_types[dest] = types
    return out_ids, out_types, mask, new_offs


def _lists_dataset(names, arrays, offsets, n_rows, feats, fixed_size=0, batch_rows=1000):
    """A Dataset of list columns written in C from flat arrays (a new cache file)."""
    from . import _C

    path = _new_cache_path()
    _C._arrow_write_lists(path, list(names), list(arrays), offsets, int(n_rows), int(fixed_size),
                          int(batch_rows), {"huggingface": json.dumps({"info": {"features": feats}})})
    return Dataset(ArrowTable([path]), info={"features": feats})


def _rebuild(paths, indices, info, split, fmt, fcols, oac, fp):
    return Dataset(ArrowTable(list(paths)), indices=indices, info=info, split=split,
                   format_type=fmt, format_columns=fcols, output_all_columns=oac,
                   fingerprint=fp)


def _parse_size(s):
    if isinstance(s, int):
        return s
    s = s.upper().strip()
    for unit, mult in (("GIB", 2**30), ("MIB", 2**20), ("KIB", 2**10), ("GB", 10**9),
                       ("MB", 10**6), ("KB", 10**3), ("B", 1)):
        if s.endswith(unit):
            return int(float(s[: -len(unit)]) * mult)
    return int(s)


def _write_json(path, obj):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, sort_keys=False)
    os.replace(tmp, path)


def _infer_table(mapping):
    import pyarrow as pa

    try:
        import datasets

        return datasets.Dataset.from_dict(mapping).data.table
    except ImportError:
        return pa.table(mapping)


# ---------------------------------------------------------------------------- DatasetDict

class DatasetDict(dict):
    """A dict of splits, like datasets.DatasetDict."""

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)

        def call(*a, **k):
            return DatasetDict({s: getattr(d, name)(*a, **k) for s, d in self.items()})
        return call

    @property
    def column_names(self):
        return {k: v.column_names for k, v in self.items()}

    @property
    def num_rows(self):
        return {k: len(v) for k, v in self.items()}

    def save_to_disk(self, dataset_dict_path, **kwargs):
        dataset_dict_path = os.fspath(dataset_dict_path)
        os.makedirs(dataset_dict_path, exist_ok=True)
        _write_json(os.path.join(dataset_dict_path, "dataset_dict.json"), {"splits": list(self)})
        for k, d in self.items():
            d.save_to_disk(os.path.join(dataset_dict_path, k), **kwargs)


# ---------------------------------------------------------------------------- loading

def load_from_disk(dataset_path, keep_in_memory=None, storage_options=None):
    """Open a folder written by datasets' (or hfc's) save_to_disk: a Dataset, or a
    DatasetDict when the folder holds dataset_dict.json."""
    dataset_path = os.fspath(dataset_path)
    dd = os.path.join(dataset_path, "dataset_dict.json")
    if os.path.isfile(dd):
        with open(dd, encoding="utf-8") as f:
            splits = json.load(f)["splits"]
        return DatasetDict({s: load_from_disk(os.path.join(dataset_path, s)) for s in splits})
    state_p = os.path.join(dataset_path, "state.json")
    if not os.path.isfile(state_p):
        raise FileNotFoundError(f"Directory {dataset_path} is neither a `Dataset` directory nor a "
                                f"`DatasetDict` directory.")
    with open(state_p, encoding="utf-8") as f:
        state = json.load(f)
    info = {}
    info_p = os.path.join(dataset_path, "dataset_info.json")
    if os.path.isfile(info_p):
        with open(info_p, encoding="utf-8") as f:
            info = json.load(f)
    paths = [os.path.join(dataset_path, d["filename"]) for d in state["_data_files"]]
    table = ArrowTable(paths)
    if not info.get("features"):
        info["features"] = _features_json(table)
    return Dataset(table, info=info, split=state.get("_split"),
                   format_type=state.get("_format_type"),
                   format_columns=state.get("_format_columns"),
                   output_all_columns=state.get("_output_all_columns", False),
                   fingerprint=state.get("_fingerprint"))


def load_dataset(builder, data_files=None, split=None, **kwargs):
    """Local "parquet", "json" (JSON lines), "csv" or "arrow" files via pyarrow into an
    hfc cache file. data_files: a path, a list, or {split: path(s)}. Like datasets, a
    DatasetDict ({"train": ...} for a path or list) unless `split` is given."""
    if not isinstance(data_files, dict):
        data_files = {"train": data_files}
    d = DatasetDict({k: _load_files(builder, v) for k, v in data_files.items()})
    return d[split] if split else d


def _load_files(builder, data_files):
    files = [data_files] if isinstance(data_files, (str, os.PathLike)) else list(data_files)
    if builder == "arrow":
        return Dataset(ArrowTable([os.fspath(p) for p in files]))
    import pyarrow as pa

    tables = []
    for p in files:
        if builder == "parquet":
            import pyarrow.parquet as pq
            tables.append(pq.read_table(p))
        elif builder == "json":
            import pyarrow.json as pj
            tables.append(pj.read_json(p))
        elif builder == "csv":
            tables.append(_read_csv(p))
        else:
            raise ValueError(f"hfc.datasets.load_dataset: unsupported builder {builder!r}")
    tbl = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
    return Dataset._from_arrow(tbl.replace_schema_metadata(None))


def _read_csv(path):
    """CSV as datasets reads it (pandas.read_csv, then Arrow), or pyarrow.csv without pandas."""
    import pyarrow as pa
    try:
        import pandas as pd
    except ImportError:
        import pyarrow.csv as pc
        return pc.read_csv(path, convert_options=pc.ConvertOptions(strings_can_be_null=True))
    return pa.Table.from_pandas(pd.read_csv(path), preserve_index=False)


def split_dataset_by_node(dataset, rank, world_size):
    """datasets.distributed.split_dataset_by_node for map-style datasets: a contiguous
    shard."""
    return dataset.shard(num_shards=world_size, index=rank, contiguous=True)
