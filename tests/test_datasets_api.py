"""hfc.datasets against HF datasets: the per-row C path (str decoding of every width,
the C base class's ds[int] / len), Column objects, tokenize options, stratified
train_test_split, map/filter with num_proc."""
import gc
import sys

import numpy as np
import pytest

import datasets
import hfc.datasets as hd

datasets.disable_progress_bars()

# characters at every UTF-8 length and str-width boundary
_EDGES = ["a", "\x7f", "\x80", "é", "\xff", "\u0100", "\u07ff", "\u0800", "€", "\uffff",
          "\U00010000", "😀", "\U0010ffff", " ", "z"]


def _strings(n, seed):
    rng = np.random.default_rng(seed)
    out = ["", "a" * 8, "a" * 7 + "é", "é" + "a" * 15, "😀" * 9, "ab\x00cd"]
    for _ in range(n):
        length = int(rng.integers(0, 40))
        pool = _EDGES if rng.random() < 0.5 else ["a", "b", " ", "c", _EDGES[rng.integers(len(_EDGES))]]
        out.append("".join(pool[k] for k in rng.integers(0, len(pool), length)))
    return out


def test_rows_decode_every_str_width(tmp_path):
    texts = _strings(600, 0)
    datasets.Dataset.from_dict({"t": texts}).save_to_disk(tmp_path / "u")
    h, r = hd.load_from_disk(tmp_path / "u"), datasets.load_from_disk(tmp_path / "u")
    for i in range(len(r)):
        a, b = h[i]["t"], r[i]["t"]
        assert a == b, i
        assert sys.getsizeof(a) == sys.getsizeof(b), i   # same (narrowest) str kind
    assert h["t"][:] == r["t"][:]


def test_rows_invalid_utf8_raises(tmp_path):
    import pyarrow as pa
    bad = pa.Array.from_buffers(pa.string(), 2, [None, pa.py_buffer(np.array([0, 2, 4], np.int32)),
                                                  pa.py_buffer(b"ok\xc3\x28")])
    path = tmp_path / "bad.arrow"
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, pa.schema([("t", pa.string())])) as w:
        w.write_batch(pa.record_batch([bad], names=["t"]))
    h = hd.Dataset.from_file(path)
    assert h[0] == {"t": "ok"}
    with pytest.raises(UnicodeDecodeError):
        h[1]


def test_base_class_int_path(tmp_path):
    d = datasets.Dataset.from_dict({"x": list(range(50)), "s": [str(i) for i in range(50)]})
    d.save_to_disk(tmp_path / "b")
    h, r = hd.load_from_disk(tmp_path / "b"), datasets.load_from_disk(tmp_path / "b")
    for key in (0, 49, -1, -50, np.int64(3)):
        assert h[key] == r[key]
    with pytest.raises(TypeError):
        h[True]
    with pytest.raises(TypeError):
        r[True]
    for key in (50, -51):
        with pytest.raises(IndexError):
            h[key]
        with pytest.raises(IndexError):
            r[key]
    hs, rs = h.shuffle(seed=1).select([3, 1, 2]), r.shuffle(seed=1).select([3, 1, 2])
    assert len(hs) == len(rs) == 3
    assert [hs[i] for i in range(-3, 3)] == [rs[i] for i in range(-3, 3)]
    hf, rf = hs.with_format("numpy"), rs.with_format("numpy")
    assert hf[0]["x"] == rf[0]["x"] and type(hf[0]["x"]) is type(rf[0]["x"])
    hf.set_format(None)
    rf.set_format(None)
    assert hf[0] == rf[0]
    hc, rc = hs.with_format(None, columns=["s"]), rs.with_format(None, columns=["s"])
    assert hc[1] == rc[1]


# ---------------------------------------------------------------- Column (ds["col"])

@pytest.fixture(scope="module")
def col_pair(tmp_path_factory):
    from datasets_util import make_saved
    path = tmp_path_factory.mktemp("col") / "d"
    ref = make_saved(path, num_shards=2)
    return hd.load_from_disk(path), ref


def _eq(a, b):
    if isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape):
            return False
        if b.dtype == object:
            return all(_eq(x, y) for x, y in zip(a.ravel(), b.ravel()))
        return np.array_equal(a, b, equal_nan=b.dtype.kind == "f")
    if isinstance(b, list):
        return isinstance(a, list) and len(a) == len(b) and all(_eq(x, y) for x, y in zip(a, b))
    if isinstance(b, dict):
        return isinstance(a, dict) and a.keys() == b.keys() and all(_eq(a[k], b[k]) for k in b)
    if isinstance(b, float) and b != b:
        return isinstance(a, float) and a != a
    return type(a) is type(b) and a == b


def test_column_type_api(col_pair):
    h, r = col_pair
    for c in r.column_names:
        hc, rc = h[c], r[c]
        assert type(rc).__name__ == type(hc).__name__ == "Column"
        assert len(hc) == len(rc)
        assert hc == rc[:] and (hc == list(rc)) and (list(hc) == list(rc)), c
        assert list(hc) == list(rc), c
        for k in (0, 5, -1, -7):
            assert _eq(hc[k], rc[k]), (c, k)
        for k in (slice(0, 10), slice(3, 40, 4), slice(-5, None), [4, 0, 9, 9]):
            assert _eq(hc[k], rc[k]), (c, k)
        assert repr(hc) == repr(rc) and str(hc) == str(rc)
        assert hc.features == rc.features
        assert (hc[3] in hc) == (rc[3] in rc)
    with pytest.raises(ValueError):
        h["nope"]
    with pytest.raises(ValueError):
        r["nope"]


def test_column_nested_and_mapped(col_pair):
    h, r = col_pair
    hn, rn = h["nested"]["x"], r["nested"]["x"]
    assert type(hn).__name__ == "Column" and len(hn) == len(rn)
    ok = [i for i in range(len(r)) if r[i]["nested"] is not None]
    assert len(ok) < len(r)      # null structs: datasets fails on them, so must we
    with pytest.raises(TypeError):
        list(rn)
    with pytest.raises(TypeError):
        list(hn)
    assert [hn[i] for i in ok] == [rn[i] for i in ok]
    assert hn[ok[:9]] == rn[ok[:9]]
    assert list(h.select(ok)["nested"]["tags"]) == list(r.select(ok)["nested"]["tags"])
    with pytest.raises(ValueError):
        h["nested"]["nope"]
    with pytest.raises(ValueError):
        r["nested"]["nope"]
    with pytest.raises(ValueError):
        h["ids"]["x"]
    with pytest.raises(ValueError):
        r["ids"]["x"]
    hs, rs = h.shuffle(seed=4).select(range(30)), r.shuffle(seed=4).select(range(30))
    assert hs["s"] == rs["s"] and list(hs["ids"]) == list(rs["ids"])
    assert hs["label"][::-3] == rs["label"][::-3]


@pytest.mark.parametrize("fmt", ["numpy", "torch"])
def test_column_formatted(col_pair, fmt):
    h, r = col_pair
    hf, rf = h.with_format(fmt), r.with_format(fmt)
    import torch
    for c in ("i32", "f32", "ids", "s", "fixed", "label"):
        a, b = hf[c], rf[c]
        assert len(a) == len(b)
        x, y = a[:], b[:]
        assert type(x) is type(y), c
        if isinstance(y, torch.Tensor):
            assert torch.equal(x, y) or (x.dtype.is_floating_point and torch.allclose(x, y, equal_nan=True))
        elif isinstance(y, np.ndarray):
            assert _eq(x, y), c
        xa, ya = a[4], b[4]
        assert type(xa) is type(ya), c
        for u, v in zip(list(a)[:20], list(b)[:20]):
            assert type(u) is type(v), c


# ---------------------------------------------------------------- tokenize options

TOK_TEXTS = ["Hello world", "The quick brown fox jumps over the lazy dog.", "",
             "héllo 日本語 🙂 " * 12, "  leading and trailing  ", "line\nbreaks\n\nhere",
             "numbers 12345 67.89", "a b c d e f g h i j k l m n o p q r s t u v w x y z"]


def _tok_data(n=203):
    return {"text": [TOK_TEXTS[i % len(TOK_TEXTS)] + (f" #{i}" * (i % 5)) for i in range(n)],
            "label": [i % 3 for i in range(n)], "idx": list(range(n))}


@pytest.mark.parametrize("name,pad", [("llama2", "</s>"), ("qwen3", "<|endoftext|>")])
@pytest.mark.parametrize("kw", [
    dict(),
    dict(truncation=True, max_length=12),
    dict(truncation=True, max_length=9, truncation_side="left"),
    dict(padding="max_length", max_length=24, truncation=True),
    dict(padding="max_length", max_length=16),                    # longer rows stay long
    dict(padding=True),
    dict(padding="longest", pad_to_multiple_of=8, truncation=True, max_length=24),
    dict(padding="max_length", pad_to_multiple_of=8, max_length=13),
    dict(padding=True, padding_side="left", return_token_type_ids=True),
    dict(padding=True, batch_size=37, return_attention_mask=False),
    dict(return_token_type_ids=True, remove_columns=["text", "label"]),
    dict(truncation=True, max_length=7, padding=True, add_special_tokens=False, remove_columns="idx"),
])
def test_tokenize_options_match_datasets_map(tokenizer_json_path, name, pad, kw):
    from transformers import PreTrainedTokenizerFast
    import hfc.tokenizers as ht
    path = str(tokenizer_json_path(name))
    kw = dict(kw)
    bs = kw.pop("batch_size", 1000)
    rm = kw.pop("remove_columns", None)
    tside = kw.pop("truncation_side", "right")
    hf = PreTrainedTokenizerFast(tokenizer_file=path, pad_token=pad, truncation_side=tside)
    call = dict(kw)
    call.setdefault("return_attention_mask", True)
    call.setdefault("return_token_type_ids", False)
    r = datasets.Dataset.from_dict(_tok_data()).shuffle(seed=5).select(range(180))
    r = r.map(lambda b: hf(b["text"], **call), batched=True, batch_size=bs, remove_columns=rm)
    tok = ht.Tokenizer.from_file(path)
    before = (tok.truncation, tok.padding)
    h = hd.Dataset.from_dict(_tok_data()).shuffle(seed=5).select(range(180))
    out = h.tokenize(tok, pad_token=pad if kw.get("padding") else None, truncation_side=tside,
                     batch_size=bs, remove_columns=rm, **kw)
    assert (tok.truncation, tok.padding) == before          # the caller's tokenizer untouched
    assert out.column_names == r.column_names
    assert out.features == r.features
    assert out[:] == r[:]
    reread = datasets.Dataset.from_file(out.cache_files[0]["filename"])   # datasets reads it
    assert reread[:] == r[:] and reread.features == r.features


@pytest.mark.parametrize("rm", [None, ["input_ids"], ["attention_mask", "text"], ["label"],
                                ["attention_mask", "text", "input_ids", "label"]])
@pytest.mark.parametrize("ttype", [False, True])
def test_tokenize_column_order_matches_datasets_map(tokenizer_json_path, rm, ttype):
    """Output columns named like input columns (kept or removed) keep those columns'
    places, as datasets.map writes them; the other new ones come last."""
    from transformers import PreTrainedTokenizerFast
    import hfc.tokenizers as ht
    path = str(tokenizer_json_path("llama2"))
    base = _tok_data(60)
    cols = {"attention_mask": [[7, 7]] * 60, "text": base["text"], "input_ids": [[1]] * 60,
            "label": base["label"]}
    hf = PreTrainedTokenizerFast(tokenizer_file=path)
    r = datasets.Dataset.from_dict(cols).shuffle(seed=2)
    r = r.map(lambda b: hf(b["text"], return_token_type_ids=ttype), batched=True,
              remove_columns=rm)
    h = hd.Dataset.from_dict(cols).shuffle(seed=2)
    out = h.tokenize(ht.Tokenizer.from_file(path), return_token_type_ids=ttype, remove_columns=rm)
    assert out.column_names == r.column_names
    assert out.features == r.features
    assert out[:] == r[:]
    reread = datasets.Dataset.from_file(out.cache_files[0]["filename"])
    assert reread.column_names == r.column_names and reread[:] == r[:]


def test_tokenize_option_errors(tokenizer_json_path):
    import hfc.tokenizers as ht
    tok = ht.Tokenizer.from_file(str(tokenizer_json_path("llama2")))
    h = hd.Dataset.from_dict({"text": ["a", "b"]})
    with pytest.raises(ValueError, match="padding token"):
        h.tokenize(tok, padding=True)
    with pytest.raises(ValueError, match="max_length"):
        h.tokenize(tok, padding="max_length", pad_token="</s>")
    with pytest.raises(ValueError, match="padding must be"):
        h.tokenize(tok, padding="sideways")
    with pytest.raises(ValueError):
        h.tokenize(tok, remove_columns=["nope"])
    with pytest.raises(ValueError, match="multiple of pad_to_multiple_of"):
        h.tokenize(tok, padding=True, truncation=True, max_length=20, pad_to_multiple_of=8,
                   pad_token="</s>")


# ---------------------------------------------------------------- stratified split

def _labelled(tmp_path, n, weights, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.choice(len(weights), size=n, p=np.asarray(weights) / sum(weights)).tolist()
    feats = datasets.Features({"x": datasets.Value("int64"),
                               "label": datasets.ClassLabel(num_classes=len(weights))})
    d = datasets.Dataset.from_dict({"x": list(range(n)), "label": labels}, features=feats)
    d.save_to_disk(tmp_path / f"l{n}_{seed}")
    return hd.load_from_disk(tmp_path / f"l{n}_{seed}"), datasets.load_from_disk(tmp_path / f"l{n}_{seed}")


@pytest.mark.parametrize("n,weights,kw", [
    (200, [1, 1], dict(test_size=0.2, seed=0)),
    (257, [5, 3, 1], dict(test_size=0.25, seed=7)),
    (1000, [10, 1, 1, 3, 7], dict(test_size=37, seed=123)),
    (301, [2, 2, 2], dict(train_size=0.5, seed=1)),
    (150, [1, 4], dict(test_size=0.3, train_size=0.5, seed=99)),
    (90, [1, 1, 1], dict(seed=2**31)),
])
def test_stratified_split_matches_datasets(tmp_path, n, weights, kw):
    h, r = _labelled(tmp_path, n, weights)
    hs = h.train_test_split(stratify_by_column="label", **kw)
    rs = r.train_test_split(stratify_by_column="label", **kw)
    for split in ("train", "test"):
        assert hs[split][:] == rs[split][:], split
    # on a shuffled view, with a generator
    hs2 = h.shuffle(seed=3).train_test_split(stratify_by_column="label",
                                             generator=np.random.default_rng(11), test_size=0.2)
    rs2 = r.shuffle(seed=3).train_test_split(stratify_by_column="label",
                                             generator=np.random.default_rng(11), test_size=0.2)
    assert hs2["train"][:] == rs2["train"][:] and hs2["test"][:] == rs2["test"][:]


def test_stratified_split_errors(tmp_path):
    h, r = _labelled(tmp_path, 40, [1, 1])
    for ds in (h, r):
        with pytest.raises(ValueError):
            ds.train_test_split(stratify_by_column="x", seed=0)          # not a ClassLabel
        with pytest.raises(ValueError):
            ds.train_test_split(stratify_by_column="nope", seed=0)
        with pytest.raises(ValueError):
            ds.train_test_split(stratify_by_column="label", shuffle=False)
        with pytest.raises(ValueError):
            ds.train_test_split(stratify_by_column="label", test_size=1, seed=0)  # < n classes
    h1, r1 = _labelled(tmp_path, 10, [1, 1], seed=5)
    sel = [i for i in range(10) if r1[i]["label"] == 0][:1] + \
        [i for i in range(10) if r1[i]["label"] == 1]
    for ds in (h1.select(sel), r1.select(sel)):
        with pytest.raises(ValueError, match="only 1"):
            ds.train_test_split(stratify_by_column="label", test_size=0.5, seed=0)


# ---------------------------------------------------------------- map / filter num_proc

@pytest.fixture()
def mp_pair(tmp_path_factory):
    # a fresh reference per test: datasets reuses a cached map result across num_proc
    # values even with load_from_cache_file=False
    path = tmp_path_factory.mktemp("mp") / "d"
    n = 2503
    datasets.Dataset.from_dict({"x": list(range(n)), "s": [f"r{i}" * (i % 4) for i in range(n)],
                                "ids": [list(range(i % 7)) for i in range(n)]}).save_to_disk(path)
    return hd.load_from_disk(path).shuffle(seed=2), datasets.load_from_disk(path).shuffle(seed=2)


def _batch_fn(b, idx):       # depends on batch boundaries and on global indices
    return {"y": [x * 2 + len(b["x"]) for x in b["x"]], "i": idx, "first": [b["x"][0]] * len(idx)}


@pytest.mark.parametrize("num_proc", [2, 3])
@pytest.mark.parametrize("kw", [dict(batched=True, batch_size=100),
                                dict(batched=True, batch_size=333, drop_last_batch=True),
                                dict(batched=False)])
def test_map_num_proc_matches_datasets(mp_pair, num_proc, kw):
    h, r = mp_pair
    if kw["batched"]:
        fn = _batch_fn
    else:
        def fn(row, i):
            return {"y": row["x"] * 3, "i": i, "n": len(row["ids"])}
    ro = r.map(fn, with_indices=True, num_proc=num_proc, remove_columns=["s"],
               load_from_cache_file=False, **kw)   # datasets' cache ignores num_proc
    ho = h.map(fn, with_indices=True, num_proc=num_proc, remove_columns=["s"], **kw)
    assert ho.column_names == ro.column_names
    assert ho[:] == ro[:]
    # a batch-independent function gives the num_proc=None result, as datasets promises
    g = lambda b: {"z": [len(v) for v in b["ids"]]}  # noqa: E731
    assert h.map(g, batched=True, num_proc=num_proc)[:] == h.map(g, batched=True)[:] == \
        r.map(g, batched=True, num_proc=num_proc, load_from_cache_file=False)[:]


@pytest.mark.parametrize("num_proc", [2, 4])
def test_filter_num_proc_matches_datasets(mp_pair, num_proc):
    h, r = mp_pair
    f1 = lambda row, i: (row["x"] + i) % 3 == 0  # noqa: E731
    assert h.filter(f1, with_indices=True, num_proc=num_proc)[:] == \
        r.filter(f1, with_indices=True, num_proc=num_proc, load_from_cache_file=False)[:]
    f2 = lambda b: [x % 5 < len(b["x"]) % 4 for x in b["x"]]  # noqa: E731  batch-dependent
    assert h.filter(f2, batched=True, batch_size=64, num_proc=num_proc)[:] == \
        r.filter(f2, batched=True, batch_size=64, num_proc=num_proc, load_from_cache_file=False)[:]
    assert h.filter(f1, with_indices=True, num_proc=num_proc)[:] == \
        h.filter(f1, with_indices=True)[:]
    small_h, small_r = h.select(range(3)), r.select(range(3))    # more processes than rows
    assert small_h.filter(f1, with_indices=True, num_proc=8)[:] == \
        small_r.filter(f1, with_indices=True, num_proc=8, load_from_cache_file=False)[:]


def test_rows_int_lists_every_range(tmp_path):
    rng = np.random.default_rng(3)
    pool = [0, 1, 255, 256, 2**18 - 1, 2**18, 2**31 - 1, -1, -2**31, 50_000, 7]
    lists = [[pool[k] for k in rng.integers(0, len(pool), int(rng.integers(0, 11)))]
             for _ in range(700)]
    lists += [list(range(i, i + 9)) for i in range(0, 2**18 + 40, 2**14)]
    feats = datasets.Features({"ids": datasets.List(datasets.Value("int32"))})
    # several record batches of uneven sizes: row lookup must find the right batch
    d = datasets.Dataset.from_dict({"ids": lists}, features=feats)
    d.save_to_disk(tmp_path / "ints", max_shard_size="4KB")
    h, r = hd.load_from_disk(tmp_path / "ints"), datasets.load_from_disk(tmp_path / "ints")
    assert len(h._table.paths) > 1
    for i in list(range(len(r))) + [-1, -len(r)]:
        assert h[i] == r[i], i
    hs, rs = h.shuffle(seed=9), r.shuffle(seed=9)
    assert [hs[i] for i in range(len(rs))] == [rs[i] for i in range(len(rs))]
    # the ints themselves: exact int type, same hash and size, CPython's small ints shared
    # as datasets' are; still intact after many lists holding them were made and dropped
    for _ in range(3):
        for i in range(len(r)):
            for a, b in zip(h[i]["ids"], r[i]["ids"]):
                assert type(a) is int and a == b and hash(a) == hash(b)
                assert sys.getsizeof(a) == sys.getsizeof(b)
                assert (a is b) == (b is int(str(b)))
        gc.collect()


def test_rows_utf8_validation_like_cpython(tmp_path):
    """Every short / long byte string: hfc's str equals bytes.decode('utf-8'), or both raise
    UnicodeDecodeError (overlongs, surrogates, > U+10FFFF, truncated, stray bytes)."""
    import pyarrow as pa
    cases = [b"\xc0\x80", b"\xc1\xbf", b"\xc2\x80", b"\xdf\xbf", b"\xe0\x80\x80", b"\xe0\x9f\xbf",
             b"\xe0\xa0\x80", b"\xed\x9f\xbf", b"\xed\xa0\x80", b"\xef\xbf\xbf", b"\xf0\x8f\xbf\xbf",
             b"\xf0\x90\x80\x80", b"\xf4\x8f\xbf\xbf", b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80",
             b"\xff", b"\x80", b"\xbf", b"\xe2\x82", b"\xf0\x9f\x98", b"\xc3", b"\xe2\x28\xa1"]
    texts = []
    for c in cases:
        for pre, post in ((b"", b""), (b"abcdefg", b""), (b"", b"xyz"), (b"a" * 13, b"b" * 9),
                          ("é€😀".encode() * 3, b"."), (b"z" * 600, b""), (b"", "€".encode() * 300)):
            texts.append(pre + c + post)
    offs = np.zeros(len(texts) + 1, np.int32)
    offs[1:] = np.cumsum([len(t) for t in texts])
    arr = pa.Array.from_buffers(pa.string(), len(texts), [None, pa.py_buffer(offs),
                                                          pa.py_buffer(b"".join(texts))])
    path = tmp_path / "v.arrow"
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, pa.schema([("t", pa.string())])) as w:
        w.write_batch(pa.record_batch([arr], names=["t"]))
    h = hd.Dataset.from_file(path)
    for i, t in enumerate(texts):
        try:
            want = t.decode("utf-8")
        except UnicodeDecodeError:
            with pytest.raises(UnicodeDecodeError):
                h[i]
            continue
        got = h[i]["t"]
        assert got == want and sys.getsizeof(got) == sys.getsizeof(want), (i, t)


def test_rows_follow_in_place_changes(tmp_path):
    """ds[int] is answered in C from state derived when the attributes are set: in-place
    format changes and a replaced mapping are seen, and the mapping cannot be resized
    under it."""
    d = datasets.Dataset.from_dict({"x": list(range(50)), "v": [[i, i + 1] for i in range(50)]})
    d.save_to_disk(tmp_path / "d")
    h, r = hd.load_from_disk(tmp_path / "d").shuffle(seed=4), datasets.load_from_disk(tmp_path / "d").shuffle(seed=4)
    assert [h[i] for i in range(50)] == [r[i] for i in range(50)]
    h.set_format("numpy")
    r.set_format("numpy")
    for i in (0, 7, -1):
        assert h[i].keys() == r[i].keys()
        for k in r[i]:
            assert np.array_equal(h[i][k], r[i][k]) and type(h[i][k]) is type(r[i][k])
    h.reset_format()
    r.reset_format()
    assert [h[i] for i in range(50)] == [r[i] for i in range(50)]
    with pytest.raises(ValueError):
        h._indices.resize(3)          # refused: hfc holds a view of it
    hs, rs = h.select([3, 1, 4]), r.select([3, 1, 4])
    hs._indices = h._indices[:2].copy()
    assert len(hs) == 2 and [hs[i] for i in range(2)] == [r[i] for i in range(2)]
    with pytest.raises(IndexError):
        hs[2]
    # a mapping in another byte order is read as numbers, not as raw bytes
    hs._indices = h._indices[:3].astype(">i8")
    assert [hs[i] for i in range(3)] == [r[i] for i in range(3)]
