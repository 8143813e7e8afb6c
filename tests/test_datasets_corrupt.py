"""Corrupt and truncated Arrow files: a ValueError naming the file and a byte offset (or
NotImplementedError for valid-but-unsupported input), never a crash or an out-of-bounds
read. pyarrow writes the files; its own verdict is the reference for which inputs are
readable."""
import re

import numpy as np
import pytest

import pyarrow as pa
import hfc.datasets as hd  # noqa: E402
from hfc._C import ArrowTable  # noqa: E402


def _table():
    return pa.table({
        "i": pa.array([1, None, 3, 4, 5], pa.int32()),
        "s": ["a", None, "ccc", "", "ee"],
        "l": pa.array([[1, 2], None, [], [3], [4, 5, 6]], pa.list_(pa.int64())),
        "st": pa.array([{"x": 1, "y": "q"}, None, {"x": None, "y": "z"}, {"x": 2, "y": ""},
                        {"x": 3, "y": "w"}]),
        "d": pa.array(["x", "y", "x", None, "z"]).dictionary_encode(),
        "f": pa.array([[1.0, 2.0]] * 5, pa.list_(pa.float32(), 2)),
    })


def _write(path, fmt):
    t = _table()
    with pa.OSFile(str(path), "wb") as sink:
        mk = pa.ipc.new_file if fmt == "file" else pa.ipc.new_stream
        with mk(sink, t.schema) as w:
            w.write_table(t, max_chunksize=2)
    return path.read_bytes()


def _read_all(path):
    t = ArrowTable([str(path)])
    return [t.row(i) for i in range(t.num_rows)]


BYTE_MSG = re.compile(r"byte \d+")


@pytest.mark.parametrize("fmt", ["stream", "file"])
def test_truncated_every_length(tmp_path, fmt):
    data = _write(tmp_path / "ok.arrow", fmt)
    want = _table().to_pylist()
    bad = tmp_path / "bad.arrow"
    errors = 0
    for n in range(len(data)):
        bad.write_bytes(data[:n])
        try:
            rows = _read_all(bad)
        except ValueError as e:
            errors += 1
            assert str(bad) in str(e) and BYTE_MSG.search(str(e)), str(e)
            continue
        # a stream cut at a message boundary is a shorter valid stream
        assert fmt == "stream" and rows == want[:len(rows)]
    assert errors > len(data) // 2


@pytest.mark.parametrize("fmt", ["stream", "file"])
def test_byte_flips(tmp_path, fmt):
    data = bytearray(_write(tmp_path / "ok.arrow", fmt))
    rng = np.random.default_rng(1)
    bad = tmp_path / "bad.arrow"
    outcomes = {"ok": 0, "error": 0}
    for _ in range(1500):
        d = bytearray(data)
        for _ in range(int(rng.integers(1, 4))):
            d[int(rng.integers(0, len(d)))] = int(rng.integers(0, 256))
        bad.write_bytes(bytes(d))
        try:
            _read_all(bad)
            outcomes["ok"] += 1
        except (ValueError, NotImplementedError) as e:
            outcomes["error"] += 1
            if isinstance(e, ValueError) and not isinstance(e, UnicodeDecodeError):
                assert str(bad) in str(e), str(e)
    assert outcomes["error"] > 0


def test_corrupt_offsets_named(tmp_path):
    """An offset past the data: the error names the file, the field, and the byte offset
    where the offsets buffer entry is."""
    t = pa.table({"s": ["ab", "cd", "ef"]})
    p = tmp_path / "s.arrow"
    with pa.OSFile(str(p), "wb") as sink:
        with pa.ipc.new_stream(sink, t.schema) as w:
            w.write_table(t)
    data = bytearray(p.read_bytes())
    # offsets [0,2,4,6] as int32 followed by "abcdef": make the middle one 200
    at = data.find(bytes(np.array([0, 2, 4, 6], np.int32)))
    assert at > 0
    data[at + 8:at + 12] = bytes(np.array([200], np.int32))
    p.write_bytes(bytes(data))
    ds = hd.Dataset.from_file(p)
    assert ds[0] == {"s": "ab"}
    with pytest.raises(ValueError, match=rf"{re.escape(str(p))}.*'s'.*byte {at + 4}"):
        ds[1]


def test_not_arrow(tmp_path):
    p = tmp_path / "x.arrow"
    for blob in (b"", b"hello world, not arrow", b"ARROW1\0\0garbage", b"\xff\xff\xff\xff"):
        p.write_bytes(blob)
        with pytest.raises(ValueError, match=re.escape(str(p))):
            ArrowTable([str(p)])
    with pytest.raises(FileNotFoundError):
        ArrowTable([str(tmp_path / "missing.arrow")])


def test_compressed_is_not_implemented(tmp_path):
    t = pa.table({"a": list(range(100))})
    p = tmp_path / "z.arrow"
    with pa.OSFile(str(p), "wb") as sink:
        with pa.ipc.new_stream(sink, t.schema,
                               options=pa.ipc.IpcWriteOptions(compression="zstd")) as w:
            w.write_table(t)
    with pytest.raises(NotImplementedError, match="compress"):
        ArrowTable([str(p)])


def test_schema_mismatch_between_shards(tmp_path):
    for name, t in (("a.arrow", pa.table({"a": [1]})), ("b.arrow", pa.table({"a": ["x"]}))):
        with pa.OSFile(str(tmp_path / name), "wb") as sink:
            with pa.ipc.new_stream(sink, t.schema) as w:
                w.write_table(t)
    with pytest.raises(ValueError, match="schema differs"):
        ArrowTable([str(tmp_path / "a.arrow"), str(tmp_path / "b.arrow")])
