"""hfc.datasets against HF datasets on the same files: rows, batches, columns, features,
index mappings, formats, the save_to_disk round trip, pickling, threads."""
import json
import os
import pickle
import threading

import numpy as np
import pytest

import datasets
import pyarrow as pa
import hfc.datasets as hd  # noqa: E402
from datasets_util import N_ROWS, columns, features, make_saved  # noqa: E402

datasets.disable_progress_bars()


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    path = tmp_path_factory.mktemp("ds") / "full"
    ref = make_saved(path, num_shards=3)
    return path, ref


@pytest.fixture(scope="module")
def pair(saved):
    path, ref = saved
    return hd.load_from_disk(path), ref


def test_shards_and_len(pair, saved):
    h, r = pair
    assert len(h._table.paths) == 3
    assert len(h) == len(r) == N_ROWS
    assert h.column_names == r.column_names
    assert h.features == r.features
    assert h.shape == r.shape


def test_every_row(pair):
    h, r = pair
    for i in range(len(r)):
        assert h[i] == r[i], i
    assert h[-1] == r[-1]


def test_iteration(pair):
    h, r = pair
    assert list(h) == list(r)


def test_slices_lists_arrays(pair):
    h, r = pair
    for key in (slice(0, 10), slice(5, 200, 7), slice(-20, None), slice(100, 50)):
        assert h[key] == r[key]
    idx = [5, 0, 256, 17, 17, 90]
    assert h[idx] == r[idx]
    assert h[np.array(idx)] == r[np.array(idx)]


def test_columns(pair):
    h, r = pair
    for c in r.column_names:
        assert h[c] == list(r[c]), c


def test_index_errors(pair):
    h, r = pair
    for bad in (N_ROWS, -N_ROWS - 1):
        with pytest.raises(IndexError):
            r[bad]
        with pytest.raises(IndexError):
            h[bad]
    with pytest.raises(ValueError):      # datasets' Column("nope") raises ValueError
        r["nope"]
    with pytest.raises(ValueError):
        h["nope"]


@pytest.mark.parametrize("seed", [0, 1, 42, 2**31])
def test_shuffle_same_order(pair, seed):
    h, r = pair
    hs, rs = h.shuffle(seed=seed), r.shuffle(seed=seed)
    assert hs[:] == rs[:]
    assert hs[3] == rs[3]


def test_select_filter_shard(pair):
    h, r = pair
    idx = [3, 1, 4, 1, 5, 9, 2, 6]
    assert h.select(idx)[:] == r.select(idx)[:]
    assert h.select(range(10, 30))[:] == r.select(range(10, 30))[:]
    fn = lambda ex: ex["i64"] is not None and ex["i64"] % 3 == 0  # noqa: E731
    hf, rf = h.filter(fn), r.filter(fn)
    assert len(hf) == len(rf) and hf[:] == rf[:]
    fb = lambda b: [x is not None for x in b["s"]]  # noqa: E731
    assert h.filter(fb, batched=True, batch_size=10)[:] == r.filter(fb, batched=True, batch_size=10)[:]
    for n, k in ((4, 0), (4, 3), (7, 2), (3, 1)):
        for contiguous in (True, False):
            assert h.shard(n, k, contiguous=contiguous)[:] == r.shard(n, k, contiguous=contiguous)[:]


def test_composed_mappings(pair):
    h, r = pair
    hc = h.shuffle(seed=7).select(range(0, 100, 3)).filter(lambda e: e["b"] is not None).shuffle(seed=1)
    rc = r.shuffle(seed=7).select(range(0, 100, 3)).filter(lambda e: e["b"] is not None).shuffle(seed=1)
    assert hc[:] == rc[:]


@pytest.mark.parametrize("kw", [dict(test_size=0.2, seed=3), dict(test_size=10, seed=0),
                                dict(train_size=0.5, test_size=0.3, seed=5),
                                dict(test_size=0.25, shuffle=False)])
def test_train_test_split(pair, kw):
    h, r = pair
    hs, rs = h.train_test_split(**kw), r.train_test_split(**kw)
    for split in ("train", "test"):
        assert hs[split][:] == rs[split][:], split


@pytest.mark.parametrize("world", [1, 2, 3, 8])
def test_split_dataset_by_node(pair, world):
    from datasets.distributed import split_dataset_by_node
    h, r = pair
    for rank in range(world):
        assert hd.split_dataset_by_node(h, rank, world)[:] == split_dataset_by_node(r, rank, world)[:]


def test_numpy_format(pair):
    h, r = pair
    cols = ["i32", "u8", "f32", "f64", "i64", "s", "ids", "fixed", "label"]
    hn, rn = h.with_format("numpy", columns=cols), r.with_format("numpy", columns=cols)
    for key in (slice(0, 20), [4, 8, 15, 16, 23, 42]):
        hb, rb = hn[key], rn[key]
        assert list(hb) == list(rb)
        for c in cols:
            _assert_np_equal(hb[c], rb[c], c)
    for i in (0, 3, 10):
        hr, rr = hn[i], rn[i]
        for c in cols:
            _assert_np_equal(hr[c], rr[c], c)


def _assert_np_equal(a, b, what):
    assert type(a) == type(b), (what, type(a), type(b))
    if isinstance(b, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, (what, a.dtype, b.dtype, a.shape, b.shape)
        if b.dtype == object:
            for x, y in zip(a, b):
                _assert_np_equal(x, y, what)
        else:
            np.testing.assert_array_equal(a, b)
    else:
        assert a == b or (a != a and b != b), what


def _assert_torch_equal(a, b, what):
    import torch
    assert type(a) == type(b), (what, type(a), type(b))
    if isinstance(b, torch.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape, (what, a.dtype, b.dtype)
        assert torch.equal(a, b) or (torch.isnan(a).any() and torch.allclose(
            a.nan_to_num(), b.nan_to_num())), what
    elif isinstance(b, (list, tuple)):
        assert len(a) == len(b), what
        for x, y in zip(a, b):
            _assert_torch_equal(x, y, what)
    elif isinstance(b, dict):
        assert a.keys() == b.keys()
        for k in b:
            _assert_torch_equal(a[k], b[k], what)
    else:
        assert a == b, what


def test_torch_format(pair):
    import torch  # noqa: F401 (test extra)
    h, r = pair
    cols = ["i32", "u16", "f32", "f64", "fixed", "ids", "s", "label"]
    ht, rt = h.with_format("torch", columns=cols), r.with_format("torch", columns=cols)
    for key in (slice(0, 6), slice(20, 60), [9, 2, 200]):
        _assert_torch_equal(ht[key], rt[key], key)
    for i in (0, 3, 77):
        _assert_torch_equal(ht[i], rt[i], i)


def test_iter_batches(pair):
    h, r = pair
    for drop in (False, True):
        hb = list(h.iter(batch_size=50, drop_last_batch=drop))
        rb = list(r.iter(batch_size=50, drop_last_batch=drop))
        assert hb == rb


def test_ragged_zero_copy(pair):
    h, r = pair
    values, offsets = h.ragged("ids", 0, 20)
    assert values.base is not None and not values.flags.writeable   # a view of the file
    rows = r[0:20]["ids"]
    for k, row in enumerate(rows):
        assert list(values[offsets[k]:offsets[k + 1]]) == (row or [])
    hs = h.shuffle(seed=2)
    v2, o2 = hs.ragged("ids", 10, 40)
    rows = r.shuffle(seed=2)[10:40]["ids"]
    assert o2[0] == 0 and len(o2) == 31
    for k, row in enumerate(rows):
        assert list(v2[o2[k]:o2[k + 1]]) == (row or [])


def test_gather(pair):
    h, r = pair
    pos = np.random.default_rng(0).integers(0, N_ROWS, 100)
    got = h.gather("i32", pos)
    assert got.dtype == np.int32 and got.tolist() == [r[int(p)]["i32"] for p in pos]


def test_save_to_disk_round_trip(pair, tmp_path):
    h, r = pair
    for name, hv, rv in (("plain", h, r), ("shuffled", h.shuffle(seed=9), r.shuffle(seed=9)),
                         ("filtered", h.filter(lambda e: e["u8"] % 2 == 0),
                          r.filter(lambda e: e["u8"] % 2 == 0))):
        out = tmp_path / name
        hv.save_to_disk(out, num_shards=2)
        back = datasets.load_from_disk(str(out))
        assert back.features == rv.features
        assert back[:] == rv[:], name
        # and hfc reads its own output identically
        assert hd.load_from_disk(out)[:] == rv[:]
        with open(out / "state.json") as f:
            assert [d["filename"] for d in json.load(f)["_data_files"]] == [
                "data-00000-of-00002.arrow", "data-00001-of-00002.arrow"]


def test_dataset_dict(tmp_path):
    ref = datasets.DatasetDict({
        "train": datasets.Dataset.from_dict(columns(40), features=features()),
        "test": datasets.Dataset.from_dict(columns(9, seed=1), features=features())})
    ref.save_to_disk(str(tmp_path / "dd"))
    h = hd.load_from_disk(tmp_path / "dd")
    assert set(h) == {"train", "test"}
    for s in ("train", "test"):
        assert h[s][:] == ref[s][:]
    h.save_to_disk(tmp_path / "dd2")
    back = datasets.load_from_disk(str(tmp_path / "dd2"))
    for s in ("train", "test"):
        assert back[s][:] == ref[s][:]


def test_from_file_cache(tmp_path):
    ref = datasets.Dataset.from_dict(columns(30), features=features())
    cache = tmp_path / "cache.arrow"
    ref2 = ref.map(lambda b: b, batched=True, cache_file_name=str(cache))
    h = hd.Dataset.from_file(cache)
    assert h[:] == ref2[:] and h.features == ref2.features


def test_from_dict_and_map():
    data = {"a": [1, 2, None, 4], "t": ["x", "yy", "zzz", None], "l": [[1], [], None, [2, 3]]}
    h, r = hd.Dataset.from_dict(data), datasets.Dataset.from_dict(data)
    assert h[:] == r[:] and h.features == r.features
    fn = lambda b: {"n": [len(t or "") for t in b["t"]]}  # noqa: E731
    assert h.map(fn, batched=True)[:] == r.map(fn, batched=True)[:]
    fr = lambda e: {"a2": (e["a"] or 0) * 2}  # noqa: E731
    assert h.map(fr)[:] == r.map(fr)[:]
    assert h.map(fn, batched=True, remove_columns=["l"])[:] == \
        r.map(fn, batched=True, remove_columns=["l"])[:]


def test_pickle_is_paths(pair):
    h, r = pair
    hs = h.shuffle(seed=4).with_format("numpy", columns=["i32"])
    blob = pickle.dumps(hs)
    assert len(blob) < 10_000 + 8 * N_ROWS   # the paths and the index array, not the bytes
    back = pickle.loads(blob)
    assert back._table.paths == h._table.paths
    np.testing.assert_array_equal(back[0:30]["i32"], hs[0:30]["i32"])


def test_dataloader_workers(pair):
    import torch
    h, r = pair
    hs = h.shuffle(seed=11).with_format("torch", columns=["i32", "f64"])
    rs = r.shuffle(seed=11).with_format("torch", columns=["i32", "f64"])
    for ctx in ("fork", "spawn"):
        dl = torch.utils.data.DataLoader(hs, batch_size=16, num_workers=2,
                                         multiprocessing_context=ctx)
        got = torch.cat([b["i32"] for b in dl])
        want = torch.tensor([x for x in rs["i32"]])
        assert torch.equal(got, want), ctx


def test_threads(pair):
    h, r = pair
    hs = h.shuffle(seed=5)
    want = r.shuffle(seed=5)[:]
    errors = []

    def work(k):
        try:
            for _ in range(3):
                got = hs[:]
                if got != want:
                    errors.append(k)
                for i in range(k, len(hs), 4):
                    hs[i]
        except Exception as e:  # pragma: no cover
            errors.append(e)

    ts = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors


def test_repr_html(pair):
    h, _ = pair
    s = h._repr_html_()
    assert "<table>" in s and str(N_ROWS) in s


def test_local_files(tmp_path):
    import pyarrow.csv as pc
    import pyarrow.parquet as pq
    tbl = pa.table({"a": [1, 2, 3], "s": ["x", None, "z"]})
    pq.write_table(tbl, tmp_path / "d.parquet")
    pc.write_csv(tbl, tmp_path / "d.csv")
    with open(tmp_path / "d.jsonl", "w") as f:
        for row in tbl.to_pylist():
            f.write(json.dumps(row) + "\n")
    for builder, name in (("parquet", "d.parquet"), ("csv", "d.csv"), ("json", "d.jsonl")):
        hdd = hd.load_dataset(builder, data_files=str(tmp_path / name))
        rdd = datasets.load_dataset(builder, data_files=str(tmp_path / name),
                                    cache_dir=str(tmp_path / "cache"))
        assert list(hdd) == list(rdd) == ["train"]
        h, r = hdd["train"], rdd["train"]
        assert h[:] == r[:], builder
        assert h.features == r.features, builder
        h2 = hd.load_dataset(builder, data_files={"test": [str(tmp_path / name)] * 2}, split="test")
        r2 = datasets.load_dataset(builder, data_files={"test": [str(tmp_path / name)] * 2},
                                   split="test", cache_dir=str(tmp_path / "cache2"))
        assert h2[:] == r2[:], builder


def test_arrow_formats_and_dictionary(tmp_path):
    """File format, legacy stream and dictionary-encoded columns, against pyarrow."""
    tbl = pa.table({"d": pa.array(["a", "b", None, "a", "c"] * 3).dictionary_encode(),
                    "n": pa.array([[1, None], None, [], [4], [5, 6]] * 3, pa.list_(pa.int64())),
                    "st": pa.array([{"x": [1.5]}, None, {"x": None}, {"x": []}, {"x": [2.0]}] * 3)})
    want = tbl.to_pylist()
    writers = {
        "file.arrow": lambda s: pa.ipc.new_file(s, tbl.schema),
        "stream.arrow": lambda s: pa.ipc.new_stream(s, tbl.schema),
        "legacy.arrow": lambda s: pa.ipc.new_stream(
            s, tbl.schema, options=pa.ipc.IpcWriteOptions(use_legacy_format=True)),
    }
    for name, mk in writers.items():
        with pa.OSFile(str(tmp_path / name), "wb") as sink:
            with mk(sink) as w:
                w.write_table(tbl, max_chunksize=4)
        h = hd.Dataset.from_file(tmp_path / name)
        assert [h[i] for i in range(len(h))] == want, name
        # written back decoded, read by pyarrow
        h.shuffle(seed=0).save_to_disk(tmp_path / ("out_" + name))
        back = pa.ipc.open_stream(str(tmp_path / ("out_" + name) / "data-00000-of-00001.arrow")).read_all()
        perm = np.random.default_rng(0).permutation(len(tbl))
        assert back.to_pylist() == [want[i] for i in perm]


def _growing_dictionary_batches(n_batches, seed):
    """Record batches whose dictionaries (strings with a null, ints, int lists) grow by
    a few values from one batch to the next, some batches adding none."""
    rng = np.random.default_rng(seed)
    it = pa.int32()
    words = [f"w{k}\u00e9" * (k % 3 + 1) for k in range(400)]
    schema = pa.schema([("s", pa.dictionary(it, pa.string())), ("i", pa.dictionary(pa.int8(), pa.int64())),
                        ("l", pa.dictionary(it, pa.list_(pa.int16()))), ("v", pa.int64())])
    s_vals, i_vals, l_vals, out = [], [], [], []
    for b in range(n_batches):
        grow = 0 if b % 4 == 2 else int(rng.integers(1, 6))
        s_vals += [None if len(s_vals) == 3 else words[len(s_vals)] for _ in range(grow)]
        i_vals += [int(x) for x in rng.integers(-10**12, 10**12, grow)]
        l_vals += [[int(x) for x in rng.integers(-5, 5, int(rng.integers(0, 4)))] for _ in range(grow)]
        n = int(rng.integers(0, 7))
        pick = lambda m: [None if rng.random() < 0.1 else int(x) for x in rng.integers(0, m, n)] \
            if m else [None] * n  # noqa: E731
        out.append(pa.record_batch([
            pa.DictionaryArray.from_arrays(pa.array(pick(len(s_vals)), it), pa.array(s_vals, pa.string())),
            pa.DictionaryArray.from_arrays(pa.array(pick(len(i_vals)), pa.int8()), pa.array(i_vals, pa.int64())),
            pa.DictionaryArray.from_arrays(pa.array(pick(len(l_vals)), it), pa.array(l_vals, pa.list_(pa.int16()))),
            pa.array(np.arange(n) + 1000 * b)], schema=schema))
    return schema, out


def _write_ipc(path, fmt, schema, batches, **opts):
    with pa.OSFile(str(path), "wb") as sink:
        mk = pa.ipc.new_file if fmt == "file" else pa.ipc.new_stream
        with mk(sink, schema, options=pa.ipc.IpcWriteOptions(**opts)) as w:
            for b in batches:
                w.write_batch(b)
    return (pa.ipc.open_file if fmt == "file" else pa.ipc.open_stream)(str(path)).read_all()


@pytest.mark.parametrize("fmt", ["stream", "file"])
def test_delta_dictionaries(tmp_path, fmt):
    """Dictionary batches with isDelta (pyarrow's emit_dictionary_deltas): rows equal
    pyarrow's (and datasets' for the value types it has), through a shuffle, a batch
    slice and the write-back."""
    schema, batches = _growing_dictionary_batches(40, 7)
    path = tmp_path / f"delta_{fmt}.arrow"
    want = _write_ipc(path, fmt, schema, batches, emit_dictionary_deltas=True).to_pylist()
    if fmt == "stream":   # the stream really carries deltas
        stats = pa.ipc.open_stream(str(path))
        stats.read_all()
        assert stats.stats.num_dictionary_deltas > 0
    h = hd.Dataset.from_file(path)
    assert len(h) == len(want) and [h[i] for i in range(len(h))] == want
    assert h[:] == {k: [r[k] for r in want] for k in want[0]}
    h.shuffle(seed=1).save_to_disk(tmp_path / "out")
    back = pa.ipc.open_stream(str(tmp_path / "out" / "data-00000-of-00001.arrow")).read_all()
    perm = np.random.default_rng(1).permutation(len(want))
    assert back.to_pylist() == [want[i] for i in perm]
    # datasets reads streams, and has no dtype for dictionaries of lists: the other
    # columns against it
    if fmt == "stream":
        flat = pa.schema([schema.field(k) for k in ("s", "i", "v")])
        _write_ipc(tmp_path / "flat.arrow", fmt, flat,
                   [b.select(["s", "i", "v"]) for b in batches], emit_dictionary_deltas=True)
        h, r = hd.Dataset.from_file(tmp_path / "flat.arrow"), datasets.Dataset.from_file(str(tmp_path / "flat.arrow"))
        assert h[:] == r[:]
        hs, rs = h.shuffle(seed=3), r.shuffle(seed=3)
        assert [hs[i] for i in range(len(hs))] == [rs[i] for i in range(len(rs))]


def test_works_without_reference_libraries(saved, tmp_path):
    """hfc.datasets reads, shuffles, formats and saves with datasets/pyarrow/pandas/torch
    unimportable; the rows equal datasets' (checked here, in the parent)."""
    import subprocess
    import sys
    path, ref = saved
    out = tmp_path / "nolibs"
    code = f"""
import sys, json
class Block:
    def find_spec(self, name, path, target=None):
        if name.split('.')[0] in ('datasets', 'pyarrow', 'pandas', 'torch'):
            raise ImportError('blocked ' + name)
sys.meta_path.insert(0, Block())
import hfc.datasets as hd
h = hd.load_from_disk({str(path)!r}).shuffle(seed=6)
h.save_to_disk({str(out)!r})
print(json.dumps([len(h), h.with_format('numpy')[0:3]['i32'].tolist()]))
"""
    env = dict(os.environ)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    n, i32 = json.loads(r.stdout)
    rs = ref.shuffle(seed=6)
    assert n == len(rs) and i32 == rs[0:3]["i32"]
    assert datasets.load_from_disk(str(out))[:] == rs[:]
