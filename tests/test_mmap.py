"""MappedFile: the core's read-only mmap seen through the buffer protocol."""
import gc
import os

import numpy as np
import pytest

from hfc._C import MappedFile


def test_reads_file(tmp_path):
    p = tmp_path / "a.bin"
    data = os.urandom(100_000)
    p.write_bytes(data)
    m = MappedFile(str(p))
    assert len(m) == m.size == len(data)
    assert bytes(memoryview(m)) == data
    assert m.path == str(p)
    assert "a.bin" in repr(m)


def test_numpy_view_keeps_map_alive(tmp_path):
    p = tmp_path / "arr.bin"
    arr = np.arange(1000, dtype=np.int32)
    p.write_bytes(arr.tobytes())
    view = np.frombuffer(MappedFile(p), dtype=np.int32)  # the MappedFile is only the base
    gc.collect()
    os.unlink(p)  # mapping outlives the directory entry
    assert np.array_equal(view, arr)
    assert isinstance(view.base, (memoryview, MappedFile))


def test_read_only(tmp_path):
    p = tmp_path / "r.bin"
    p.write_bytes(b"abc")
    view = np.frombuffer(MappedFile(str(p)), dtype=np.uint8)
    assert not view.flags.writeable
    with pytest.raises(ValueError):
        view[0] = 1


def test_empty_file(tmp_path):
    p = tmp_path / "empty"
    p.write_bytes(b"")
    m = MappedFile(str(p))
    assert len(m) == 0 and bytes(memoryview(m)) == b""


def test_errors(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        MappedFile(str(tmp_path / "nope.bin"))
    assert "nope.bin" in str(e.value)
    with pytest.raises(ValueError, match=str(tmp_path)):
        MappedFile(str(tmp_path))
    if os.geteuid() != 0:  # root reads anything
        p = tmp_path / "secret"
        p.write_bytes(b"x")
        p.chmod(0)
        with pytest.raises(PermissionError):
            MappedFile(str(p))
