"""hfc.models.safetensors against safetensors 0.8.0: bytes written, tensors read, slices,
metadata, sharded checkpoints, and every malformed-file rule."""
import json
import os
import struct

import numpy as np
import pytest

from hfc.models import safetensors as hs

import safetensors.numpy as ref
import safetensors
import torch
import safetensors.torch as st_torch
try:  # bfloat16 / float8 NumPy dtypes for the writer tests (a dependency of onnx / jax)
    import ml_dtypes  # noqa: F401
    HAVE_ML_DTYPES = True
except ImportError:
    HAVE_ML_DTYPES = False

NP_TYPES = [np.float64, np.float32, np.float16, np.int64, np.uint64, np.int32, np.uint32,
            np.int16, np.uint16, np.int8, np.uint8, np.bool_, np.complex64]
ML_TYPES = (["bfloat16", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz",
             "float8_e8m0fnu"] if HAVE_ML_DTYPES else [])
TORCH_TYPES = {  # torch dtype -> safetensors code
    torch.bfloat16: "BF16", torch.float8_e4m3fn: "F8_E4M3", torch.float8_e5m2: "F8_E5M2",
    torch.float8_e4m3fnuz: "F8_E4M3FNUZ", torch.float8_e5m2fnuz: "F8_E5M2FNUZ",
    torch.float8_e8m0fnu: "F8_E8M0", torch.float16: "F16", torch.float32: "F32",
    torch.int64: "I64", torch.uint16: "U16", torch.bool: "BOOL", torch.complex64: "C64",
}


def random_array(rng, dtype, shape):
    return np.asarray(_random_array(rng, dtype, shape))


def _random_array(rng, dtype, shape):
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.integers(0, 2, shape).astype(bool)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
    if dtype.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    if dtype.kind == "f":
        return (rng.standard_normal(shape) * 10).astype(dtype)
    bits = np.uint16 if dtype.itemsize == 2 else np.uint8  # ml_dtypes: raw bits
    return rng.integers(0, np.iinfo(bits).max, shape, dtype=bits, endpoint=True).view(dtype)


def random_dict(rng, n, dtypes):
    names = set()
    while len(names) < n:
        k = int(rng.integers(1, 12))
        alphabet = "abcxyz._0123456789é中-"
        names.add("".join(alphabet[int(i)] for i in rng.integers(0, len(alphabet), k)))
    out = {}
    for name in sorted(names):
        ndim = int(rng.integers(0, 4))
        shape = tuple(int(s) for s in rng.integers(0, 5, ndim))
        out[name] = random_array(rng, dtypes[int(rng.integers(0, len(dtypes)))], shape)
    return out


def raw(a):
    return np.ascontiguousarray(a).tobytes()


# ---- writing: bytes identical to safetensors ----

@pytest.mark.parametrize("seed", range(40))
def test_save_bytes_identical(seed):
    rng = np.random.default_rng(seed)
    d = random_dict(rng, int(rng.integers(0, 9)), NP_TYPES + [np.dtype(t) for t in ML_TYPES])
    meta = [None, {}, {"format": "np"}, {"k\n\"é": "v\u0001\\"}][seed % 4]
    assert hs.save(d, metadata=meta) == ref.save(d, metadata=meta)


@pytest.mark.parametrize("seed", range(10))
def test_save_file_identical_and_atomic(tmp_path, seed):
    rng = np.random.default_rng(100 + seed)
    d = random_dict(rng, 6, NP_TYPES)
    a, b = tmp_path / "hfc.safetensors", tmp_path / "ref.safetensors"
    hs.save_file(d, a, metadata={"format": "np"})
    ref.save_file(d, b, metadata={"format": "np"})
    assert a.read_bytes() == b.read_bytes()
    assert [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == []


def test_save_metadata_many_entries_equal_as_json():
    # the reference writes __metadata__ in hash order; hfc sorts it: same JSON content
    d = {"a": np.arange(3, dtype=np.float32)}
    meta = {f"k{i}": f"v{i}" for i in range(6)}
    mine, theirs = hs.save(d, metadata=meta), ref.save(d, metadata=meta)
    assert len(mine) == len(theirs) and mine[-12:] == theirs[-12:]
    n = struct.unpack("<Q", mine[:8])[0]
    assert json.loads(mine[8:8 + n]) == json.loads(theirs[8:8 + n])
    assert list(json.loads(mine[8:8 + n])["__metadata__"]) == sorted(meta)


def test_save_big_endian_and_non_contiguous():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((5, 7)).astype(">f4")
    t = rng.standard_normal((6, 4))[:, ::2]
    assert hs.save({"x": x, "t": t}) == ref.save({"x": x, "t": np.ascontiguousarray(t)})


def test_save_overwrites_mapped_file_keeping_old_views(tmp_path):
    p = tmp_path / "w.safetensors"
    hs.save_file({"a": np.arange(1000, dtype=np.float32)}, p)
    old = hs.load_file(p)["a"]
    hs.save_file({"a": np.zeros(1000, dtype=np.float32)}, p)
    assert np.array_equal(old, np.arange(1000, dtype=np.float32))
    assert not hs.load_file(p)["a"].any()


def test_save_rejects_bad_input():
    with pytest.raises(ValueError, match="'c'.*complex128"):
        hs.save({"c": np.zeros(2, np.complex128)})
    with pytest.raises(TypeError):
        hs.save({"a": np.zeros(1)}, metadata={"k": 1})
    with pytest.raises(TypeError):
        hs.save({1: np.zeros(1)})


# ---- reading: files written by safetensors ----

@pytest.mark.parametrize("seed", range(30))
def test_load_reference_files(tmp_path, seed):
    rng = np.random.default_rng(200 + seed)
    d = random_dict(rng, int(rng.integers(0, 9)), NP_TYPES)
    p = tmp_path / "r.safetensors"
    ref.save_file(d, p, metadata={"seed": str(seed)})
    for got in (hs.load_file(p), hs.load(p.read_bytes())):
        want = ref.load_file(p)
        # file order (the reference orders zero-size tensors at one offset by hash)
        assert [k for k in got if got[k].nbytes] == [k for k in want if want[k].nbytes]
        assert sorted(got) == sorted(want)
        for k in want:
            assert got[k].dtype == want[k].dtype and got[k].shape == want[k].shape
            assert raw(got[k]) == raw(want[k])
    with hs.safe_open(p, framework="np") as f, safetensors.safe_open(p, framework="np") as g:
        assert f.keys() == g.keys()
        assert ([k for k in f.offset_keys() if f.get_tensor(k).nbytes]
                == [k for k in g.offset_keys() if g.get_tensor(k).nbytes])
        assert f.metadata() == g.metadata()
        for k in g.keys():
            assert raw(f.get_tensor(k)) == raw(g.get_tensor(k))


def test_load_torch_only_dtypes(tmp_path):
    rng = np.random.default_rng(3)
    d = {}
    for i, dt in enumerate(TORCH_TYPES):
        x = torch.from_numpy(rng.standard_normal((3, 4)).astype(np.float32) * 4)
        d[f"t{i}"] = x.to(dt) if dt != torch.uint16 else x.abs().to(torch.int32).to(dt)
    p = tmp_path / "t.safetensors"
    st_torch.save_file(d, p)
    got = hs.load_file(p)
    with hs.safe_open(p, "np") as f:
        for k, t in d.items():
            code = TORCH_TYPES[t.dtype]
            assert f.get_slice(k).get_dtype() == code
            bits = t.contiguous().view(torch.uint8).numpy().tobytes()
            assert raw(got[k]) == bits, k
            assert got[k].dtype == hs.NP_DTYPES[code] and got[k].shape == tuple(t.shape)
    # converted on request, equal to torch's own conversion
    conv = hs.load_file(p, convert=True)
    for k, t in d.items():
        if t.dtype in (torch.bfloat16, torch.float16, torch.float8_e4m3fn, torch.float8_e5m2):
            want = t.to(torch.float32).numpy()
            assert conv[k].dtype == np.float32
            np.testing.assert_array_equal(conv[k], want)


def test_f8_conversion_all_codes():
    for code, tdt in (("F8_E4M3", torch.float8_e4m3fn), ("F8_E5M2", torch.float8_e5m2)):
        bits = np.arange(256, dtype=np.uint8)
        want = torch.from_numpy(bits).view(tdt).to(torch.float32).numpy()
        got = hs.to_float32(bits, code)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_array_equal(got[~np.isnan(got)], want[~np.isnan(want)])


def test_load_f4_packed(tmp_path):
    hdr = json.dumps({"a": {"dtype": "F4", "shape": [2, 4], "data_offsets": [0, 4]}},
                     separators=(",", ":")).encode()
    data = struct.pack("<Q", len(hdr)) + hdr + b"\x12\x34\x56\x78"
    got = hs.load(data)["a"]
    assert got.dtype == np.uint8 and got.tobytes() == b"\x12\x34\x56\x78"


# ---- zero copy ----

def test_views_are_zero_copy_and_outlive_the_file(tmp_path):
    p = tmp_path / "z.safetensors"
    d = {"a": np.arange(64, dtype=np.float32), "b": np.arange(32, dtype=np.int64)}
    ref.save_file(d, p)
    with hs.safe_open(p, "np") as f:
        a, b = f.get_tensor("a"), f.get_tensor("b")
    off = {k: v for k, v in zip(("b", "a"), (0, 256))}  # I64 sorts before F32
    pa, pb = a.__array_interface__["data"][0], b.__array_interface__["data"][0]
    assert pa - pb == off["a"] - off["b"]
    assert not a.flags.writeable
    os.unlink(p)
    assert np.array_equal(a, d["a"]) and np.array_equal(b, d["b"])
    with pytest.raises(ValueError, match="closed"):
        f.keys()


# ---- get_slice ----

SLICES = [np.s_[:], np.s_[1:3], np.s_[1:3, 2:], np.s_[:, 0], np.s_[-1], np.s_[0, 1:2, 3],
          np.s_[2:4, :, 1:5], (), np.s_[1], np.s_[0:0], np.s_[:, :, 4], np.s_[-2, -1],
          # positive steps (safetensors 0.8 honours them)
          np.s_[::2], np.s_[1:4:2, ::3], np.s_[0, :, 1:6:4], np.s_[::5], np.s_[2:2:3],
          np.s_[:, 1::1, ::7]]


@pytest.mark.parametrize("idx", range(len(SLICES)))
def test_get_slice_like_reference(tmp_path, idx):
    x = np.arange(4 * 3 * 6, dtype=np.float32).reshape(4, 3, 6)
    p = tmp_path / "s.safetensors"
    ref.save_file({"x": x, "y": x.astype(np.int16)}, p)
    with hs.safe_open(p, "np") as f, safetensors.safe_open(p, "np") as g:
        for name in ("x", "y"):
            a, b = f.get_slice(name), g.get_slice(name)
            assert a.get_shape() == b.get_shape() and a.get_dtype() == b.get_dtype()
            got, want = a[SLICES[idx]], b[SLICES[idx]]
            assert got.dtype == want.dtype and got.shape == want.shape
            assert np.array_equal(got, want)


@pytest.mark.parametrize("bad", [np.s_[4], np.s_[0:5], np.s_[5:], np.s_[:, 3], np.s_[0, 0, 0, 0],
                                 np.s_[-5], np.s_[::-1], np.s_[::0], np.s_[0:5:2], np.s_[:, 3:0:-1]])
def test_get_slice_out_of_range(tmp_path, bad):
    x = np.zeros((4, 3), np.float32)
    p = tmp_path / "s.safetensors"
    ref.save_file({"x": x}, p)
    with safetensors.safe_open(p, "np") as g:
        with pytest.raises(Exception):
            g.get_slice("x")[bad]
    with hs.safe_open(p, "np") as f:
        with pytest.raises(ValueError, match="'x'"):
            f.get_slice("x")[bad]


# ---- sharded checkpoints ----

def test_sharded_checkpoint(tmp_path):
    import transformers
    cfg = transformers.BertConfig(vocab_size=99, hidden_size=32, num_hidden_layers=2,
                                  num_attention_heads=2, intermediate_size=37)
    torch.manual_seed(0)
    model = transformers.BertModel(cfg)
    model.save_pretrained(tmp_path, safe_serialization=True, max_shard_size="20KB")
    index = json.loads((tmp_path / "model.safetensors.index.json").read_text())
    assert len(set(index["weight_map"].values())) > 1
    got = hs.load_sharded(tmp_path)
    want = {}
    for shard in sorted(set(index["weight_map"].values())):
        want.update(ref.load_file(tmp_path / shard))
    assert sorted(got) == sorted(want)
    for k in want:
        assert raw(got[k]) == raw(want[k])
    ck = hs.ShardedCheckpoint(tmp_path / "model.safetensors.index.json")
    assert ck.keys() == sorted(want)
    with pytest.raises(KeyError):
        ck.get_tensor("nope")
    # an index naming a shard that does not hold the tensor
    index["weight_map"]["extra.weight"] = sorted(set(index["weight_map"].values()))[0]
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps(index))
    with pytest.raises(ValueError, match="extra.weight"):
        hs.ShardedCheckpoint(tmp_path)


def test_sharded_checkpoint_index_errors(tmp_path):
    # the index checks are the C checkpoint reader's (the one AutoModel loads through)
    ref.save_file({"a": np.zeros(3, np.float32)}, str(tmp_path / "s1.safetensors"))
    ref.save_file({"b": np.ones(2, np.float32)}, str(tmp_path / "s2.safetensors"))
    idx = tmp_path / "model.safetensors.index.json"

    def opened(index):
        idx.write_text(json.dumps(index))
        return hs.ShardedCheckpoint(tmp_path)

    ck = opened({"metadata": {"total_size": 20}, "weight_map": {"a": "s1.safetensors",
                                                                 "b": "s2.safetensors"}})
    assert ck.keys() == ["a", "b"] and ck.metadata() == {"total_size": 20}
    assert ck.shard_of("b") == str(tmp_path / "s2.safetensors")
    assert raw(ck.get_tensor("b")) == raw(np.ones(2, np.float32))
    with pytest.raises(ValueError, match="weight_map"):
        opened({"metadata": {}})
    with pytest.raises(ValueError, match="bad shard file name"):
        opened({"weight_map": {"a": "../s1.safetensors", "b": "s2.safetensors"}})
    with pytest.raises(ValueError, match="'b' is mapped to s1.safetensors"):
        opened({"weight_map": {"a": "s1.safetensors", "b": "s1.safetensors"}})
    ref.save_file({"c": np.zeros(1, np.float32), "d": np.zeros(1, np.float32)},
                  str(tmp_path / "s3.safetensors"))
    with pytest.raises(ValueError, match="unlisted"):  # s3 also holds "d"
        opened({"weight_map": {"a": "s1.safetensors", "c": "s3.safetensors"}})
    with pytest.raises(FileNotFoundError, match="s4.safetensors"):
        opened({"weight_map": {"a": "s1.safetensors", "b": "s4.safetensors"}})
    idx.write_text("{")
    with pytest.raises(ValueError, match="model.safetensors.index.json"):
        hs.ShardedCheckpoint(tmp_path)


# ---- malformed files: every rule, hfc ValueError naming the tensor; reference rejects too ----

def build(header, data=b"", raw_header=False):
    h = header if raw_header else json.dumps(header, separators=(",", ":"))
    h = h.encode() if isinstance(h, str) else h
    return struct.pack("<Q", len(h)) + h + data


def T(dtype, shape, b, e):
    return {"dtype": dtype, "shape": shape, "data_offsets": [b, e]}


BAD = {
    # name: (file bytes, pattern hfc's message must match, reference rejects too)
    "overlap": (build({"a": T("U8", [2], 0, 2), "b": T("U8", [2], 1, 3)}, b"xyz"),
                r"tensor 'b'.*overlap tensor 'a'", True),
    "gap": (build({"a": T("U8", [1], 0, 1), "b": T("U8", [1], 2, 3)}, b"xyz"),
            r"tensor 'b'.*gap", True),
    "gap_at_start": (build({"a": T("U8", [1], 1, 2)}, b"xy"), r"tensor 'a'.*gap", True),
    "past_end": (build({"a": T("U8", [4], 0, 4)}, b"xy"), r"tensor 'a'.*past the end", True),
    "trailing_bytes": (build({"a": T("U8", [1], 0, 1)}, b"xyz"), r"2 bytes at the end", True),
    "size_mismatch": (build({"w": T("F32", [2], 0, 4)}, b"xyzw"),
                      r"tensor 'w'.*need 8 bytes.*hold 4", True),
    "reversed_offsets": (build({"a": T("U8", [0], 1, 0)}, b"x"), r"tensor 'a'.*end before", True),
    "unknown_dtype": (build({"a": T("F33", [1], 0, 1)}, b"x"), r"tensor 'a'.*unknown dtype", True),
    "negative_dim": (build({"a": T("U8", [-1], 0, 1)}, b"x"), r"tensor 'a'.*shape\[0\]", True),
    "float_dim": (build({"a": T("U8", [1.0], 0, 1)}, b"x"), r"tensor 'a'.*shape\[0\]", True),
    "shape_overflow": (build({"a": T("U8", [2**32, 2**32], 0, 1)}, b"x"),
                       r"tensor 'a'.*overflow", True),
    "sub_byte": (build({"a": T("F4", [3], 0, 1)}, b"x"), r"tensor 'a'.*whole number of bytes", True),
    "missing_field": (build({"a": {"dtype": "U8", "shape": [1]}}, b"x"),
                      r"tensor 'a'.*data_offsets", True),
    "offsets_not_pair": (build({"a": {"dtype": "U8", "shape": [1], "data_offsets": [0]}}, b"x"),
                         r"tensor 'a'.*data_offsets", True),
    "info_not_object": (build({"a": [1, 2]}), r"tensor 'a'.*expected an object", True),
    "metadata_not_strings": (build({"__metadata__": {"k": 1}}), r"__metadata__ 'k'", True),
    "header_not_object": (build([]), r"header is array", True),
    "bad_json": (build(b'{"a":', raw_header=True), r"header", True),
    "bad_utf8": (build(b'{"\xff":{}}', raw_header=True), r"header", True),
    "nul_after_json": (build(b'{}\x00', raw_header=True), r"header", True),
    "too_small": (b"\x01\x00", r"too small", True),
    "header_past_end": (struct.pack("<Q", 100) + b"{}", r"runs past the end", True),
    "header_too_large": (struct.pack("<Q", 100_000_001) + b"{}", r"100 MB", True),
    "header_len_huge": (struct.pack("<Q", 2**64 - 1) + b"{}", r"100 MB", True),
    "duplicate_metadata": (build(b'{"__metadata__":{},"__metadata__":{}}', raw_header=True),
                           r"duplicate key", True),
    # stricter than the reference, which keeps the last of two equal keys
    "duplicate_tensor": (build(b'{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},'
                               b'"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}',
                               raw_header=True, data=b"x"), r'duplicate key \\?"a', False),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_malformed(tmp_path, case):
    data, pattern, ref_rejects = BAD[case]
    p = tmp_path / f"{case}.safetensors"
    p.write_bytes(data)
    with pytest.raises(ValueError, match=pattern) as e:
        hs.load_file(p)
    assert str(p) in str(e.value)
    with pytest.raises(ValueError, match=pattern):
        hs.load(data)
    if ref_rejects:
        with pytest.raises(Exception):
            ref.load(data)
    else:
        ref.load(data)


def test_valid_edge_cases_match_reference():
    cases = [build({}), build(b"  {}  ", raw_header=True), build({"__metadata__": None}),
             build({"a": T("U8", [1], 0, 1), "z": {**T("U8", [0], 1, 1), "extra": 1}}, b"x"),
             build({"e": T("F32", [0, 3], 0, 0), "f": T("F32", [0], 0, 0)})]
    for data in cases:
        got, want = hs.load(data), ref.load(data)
        assert sorted(got) == sorted(want)
        for k in want:
            assert raw(got[k]) == raw(want[k]) and got[k].shape == want[k].shape


def test_missing_tensor_and_file():
    data = build({"a": T("U8", [1], 0, 1)}, b"x")
    f = hs._C.SafetensorsFile(data=data)
    with pytest.raises(KeyError, match="'b'"):
        f.info("b")
    with pytest.raises(FileNotFoundError):
        hs.load_file("/nonexistent/x.safetensors")
