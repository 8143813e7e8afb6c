"""hfc.hub under injected faults: every fault either recovers with the exact content or raises,
and never leaves a wrong blob (nor a partial one after an error other than a network cut)."""
import errno
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from hub_util import hub_env, hub_server, run_hf  # noqa: F401
from hub_client_util import hfc_env, sha256  # noqa: F401

from hfc import _C, hub

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def repo(hub_server):
    srv = hub_server
    srv.lfs_threshold = 64 * 1024
    files = {"config.json": b'{"a": 1}\n' * 2000, "model.bin": os.urandom(3 << 20),
             "big.bin": os.urandom(6 << 20)}
    srv.create_repo("org/m")
    commit = srv.commit("org/m", files)
    return srv, files, commit


def _blobs(home):
    d = home / "hub" / "models--org--m" / "blobs"
    return sorted(os.listdir(d)) if d.exists() else []


def _gets(srv, name):
    return [r for r in srv.requests if r.method == "GET" and name in r.path]


def test_cut_connections_resume_from_the_cut(repo, hfc_env):
    srv, files, _ = repo
    home = hfc_env(srv)
    srv.add_fault("/lfs/*", "cut", times=2, server="cdn", at=700_000)
    srv.add_fault("*/config.json", "cut", times=1, server="hub", methods="GET", at=5000)
    p = hub.hf_hub_download("org/m", "model.bin", connections=1)
    assert open(p, "rb").read() == files["model.bin"]
    ranges = [r.headers.get("range") for r in _gets(srv, "/lfs/")]
    assert ranges[:3] == ["bytes=0-3145727", "bytes=700000-3145727", "bytes=1400000-3145727"]
    p = hub.hf_hub_download("org/m", "config.json")
    assert open(p, "rb").read() == files["config.json"]
    assert not [b for b in _blobs(home) if "incomplete" in b]


def test_server_errors_are_retried(repo, hfc_env):
    srv, files, _ = repo
    hfc_env(srv)
    srv.add_fault("/lfs/*", "status", times=2, server="cdn", code=503)
    srv.add_fault("*/resolve/*", "status", times=1, server="hub", methods="HEAD", code=500)
    p = hub.hf_hub_download("org/m", "model.bin")
    assert open(p, "rb").read() == files["model.bin"]
    # a lasting 500 ends in an error (after the retries), not in a blob
    srv.add_fault("*/config.json", "status", server="hub", methods="GET", code=500)
    with pytest.raises(hub.HfHubHTTPError) as e:
        hub.hf_hub_download("org/m", "config.json")
    assert e.value.response.status_code == 500


@pytest.mark.parametrize("connections", [1, 4])
def test_corrupt_bytes_raise_and_leave_no_blob(repo, hfc_env, connections):
    srv, files, commit = repo
    home = hfc_env(srv)
    srv.add_fault("/lfs/*", "corrupt", server="cdn", offset=2_000_000)
    with pytest.raises(OSError, match="SHA-256 mismatch"):
        hub.hf_hub_download("org/m", "big.bin", connections=connections)
    assert _blobs(home) == []
    assert not (home / "hub" / "models--org--m" / "snapshots" / commit / "big.bin").exists()
    # regular files: the git blob id is checked the same way
    srv.add_fault("*/config.json", "corrupt", server="hub", offset=100)
    with pytest.raises(OSError, match="git SHA-1 mismatch"):
        hub.hf_hub_download("org/m", "config.json")
    assert _blobs(home) == []
    # a one-off corruption is repaired by the one restart from zero
    srv.clear_faults()
    srv.add_fault("/lfs/*", "corrupt", times=1, server="cdn", offset=10)
    p = hub.hf_hub_download("org/m", "big.bin", connections=connections)
    assert open(p, "rb").read() == files["big.bin"]


def test_parallel_ranges_and_a_server_ignoring_range(repo, hfc_env):
    srv, files, _ = repo
    hfc_env(srv)
    p = hub.hf_hub_download("org/m", "big.bin", connections=4)
    assert open(p, "rb").read() == files["big.bin"]
    ranges = sorted(r.headers.get("range") for r in _gets(srv, "/lfs/"))
    n = len(files["big.bin"])
    q = n // 4
    assert ranges == sorted(f"bytes={i * q}-{(i + 1) * q - 1 if i < 3 else n - 1}" for i in range(4))
    srv.add_fault("/lfs/*", "no_range", server="cdn")
    p = hub.hf_hub_download("org/m", "model.bin", connections=3)
    assert open(p, "rb").read() == files["model.bin"]


def _spawn_download(srv, home, name, connections=1):
    env = hub_env(srv, home)
    env["PYTHONPATH"] = os.path.join(ROOT, "python")
    code = ("from hfc import hub; import sys; "
            f"sys.stdout.write(hub.hf_hub_download('org/m', '{name}', connections={connections}))")
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _wait_for(pred, timeout=60):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if pred():
            return True
        time.sleep(0.05)
    return False


def _partial(home, etag):
    return home / "hub" / "models--org--m" / "blobs" / f"{etag}.incomplete"


@pytest.mark.parametrize("connections", [1, 3])
def test_killed_download_resumes_in_the_next_process(repo, hfc_env, tmp_path, connections):
    srv, files, _ = repo
    home = hfc_env(srv, tmp_path / "home")
    etag = sha256(files["big.bin"])
    srv.add_fault("/lfs/*", "slow", server="cdn", bps=1 << 20)
    proc = _spawn_download(srv, home, "big.bin", connections)
    parts = _partial(home, etag).with_name(f"{etag}.incomplete.parts")
    try:
        assert _wait_for(lambda: parts.exists() and sum(
            int.from_bytes(parts.read_bytes()[24 + 24 * i + 16:24 + 24 * i + 24], "little")
            for i in range(connections)) > (1 << 20))
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert _partial(home, etag).exists() and _blobs(home) != [] and etag not in _blobs(home)
    srv.clear_faults()
    srv.clear_requests()
    p = hub.hf_hub_download("org/m", "big.bin", connections=connections)
    assert open(p, "rb").read() == files["big.bin"]
    starts = [int(r.headers["range"].split("=")[1].split("-")[0]) for r in _gets(srv, "/lfs/")]
    seg = len(files["big.bin"]) // connections
    assert any(s % seg != 0 for s in starts)  # at least one request started mid-segment: resumed
    assert sum(len(files["big.bin"]) - s for s in starts) < len(files["big.bin"]) * 2
    assert not _partial(home, etag).exists() and not parts.exists()


def test_a_tampered_partial_file_is_not_trusted(repo, hfc_env, tmp_path):
    srv, files, _ = repo
    home = hfc_env(srv, tmp_path / "home")
    etag = sha256(files["big.bin"])
    srv.add_fault("/lfs/*", "slow", server="cdn", bps=1 << 20)
    proc = _spawn_download(srv, home, "big.bin")
    part = _partial(home, etag)
    try:
        assert _wait_for(lambda: part.with_name(f"{etag}.incomplete.parts").exists()
                         and int.from_bytes(part.with_name(f"{etag}.incomplete.parts").read_bytes()[40:48], "little")
                         > 500_000)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    with open(part, "r+b") as f:  # flip bytes inside the part the record claims is done
        f.seek(1000)
        f.write(b"\xff" * 16)
    srv.clear_faults()
    p = hub.hf_hub_download("org/m", "big.bin")
    assert open(p, "rb").read() == files["big.bin"]


def test_eight_processes_one_blob(repo, tmp_path):
    srv, files, commit = repo
    home = tmp_path / "home"
    srv.add_fault("/lfs/*", "slow", server="cdn", bps=8 << 20)
    procs = [_spawn_download(srv, home, "big.bin", 2) for _ in range(8)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, [o[1][-2000:] for o in outs]
    paths = {o[0] for o in outs}
    assert len(paths) == 1
    assert open(paths.pop(), "rb").read() == files["big.bin"]
    etag = sha256(files["big.bin"])
    assert _blobs(home) == [etag]
    # the lock made the other seven wait and reuse the blob: one download's worth of range requests
    assert len(_gets(srv, "/lfs/")) == 2


def test_stale_lock_file_and_dead_holder(repo, hfc_env, tmp_path):
    srv, files, _ = repo
    home = hfc_env(srv, tmp_path / "home")
    etag = sha256(files["model.bin"])
    lock = home / "hub" / ".locks" / "models--org--m" / f"{etag}.lock"
    lock.parent.mkdir(parents=True)
    lock.write_text("left behind by a crashed process")
    srv.add_fault("/lfs/*", "slow", server="cdn", bps=1 << 20)
    proc = _spawn_download(srv, home, "model.bin")   # holds the flock while it downloads
    try:
        assert _wait_for(lambda: _partial(home, etag).exists())
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    srv.clear_faults()
    p = hub.hf_hub_download("org/m", "model.bin")  # the kernel released the dead holder's lock
    assert open(p, "rb").read() == files["model.bin"]


def test_full_disk_injected(repo, hfc_env):
    srv, files, _ = repo
    home = hfc_env(srv)
    _C._hub_inject_write_error(3, errno.ENOSPC)
    try:
        with pytest.raises(OSError) as e:
            hub.hf_hub_download("org/m", "model.bin")
    finally:
        _C._hub_inject_write_error(0, 0)
    assert e.value.errno == errno.ENOSPC and "no space left" in str(e.value)
    assert _blobs(home) == []  # no blob, no partial file
    p = hub.hf_hub_download("org/m", "model.bin")
    assert open(p, "rb").read() == files["model.bin"]


def test_full_disk_tmpfs(repo, hfc_env, tmp_path):
    srv, files, _ = repo
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({r.stderr.decode().strip()}); test_full_disk_injected covers it")
    try:
        hfc_env(srv, mnt)
        with pytest.raises(OSError) as e:
            hub.hf_hub_download("org/m", "model.bin")  # 3 MB into 2 MB
        assert e.value.errno == errno.ENOSPC and "model.bin" not in str(e.value) or "no space" in str(e.value)
        assert _blobs(mnt) == []
        p = hub.hf_hub_download("org/m", "config.json")  # small files still fit
        assert open(p, "rb").read() == files["config.json"]
    finally:
        subprocess.run(["umount", str(mnt)])


def test_dropped_and_delayed_requests_are_retried(repo, hfc_env):
    srv, files, _ = repo
    hfc_env(srv, HF_HUB_DOWNLOAD_TIMEOUT="1")
    srv.add_fault("/lfs/*", "drop", times=2, server="cdn")
    p = hub.hf_hub_download("org/m", "model.bin")
    assert open(p, "rb").read() == files["model.bin"]
    # a response later than the timeout is abandoned and asked again
    srv.add_fault("/lfs/*", "delay", times=1, server="cdn", seconds=4)
    srv.clear_requests()
    p = hub.hf_hub_download("org/m", "big.bin")
    assert open(p, "rb").read() == files["big.bin"]
    assert len(_gets(srv, "/lfs/")) >= 2


def test_ctrl_c_interrupts_and_the_part_resumes(repo, hfc_env, tmp_path):
    srv, files, _ = repo
    home = hfc_env(srv, tmp_path / "home")
    etag = sha256(files["big.bin"])
    srv.add_fault("/lfs/*", "slow", server="cdn", bps=1 << 20)
    env = hub_env(srv, home)
    env["PYTHONPATH"] = os.path.join(ROOT, "python")
    code = ("from hfc import hub\n"
            "try:\n"
            "    hub.hf_hub_download('org/m', 'big.bin', connections=1)\n"
            "except KeyboardInterrupt:\n"
            "    print('interrupted')\n")
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    parts = _partial(home, etag).with_name(f"{etag}.incomplete.parts")
    try:
        assert _wait_for(lambda: parts.exists() and int.from_bytes(parts.read_bytes()[40:48], "little") > 500_000)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)   # the 6 MB at 1 MB/s would take seconds more
    finally:
        if proc.poll() is None:
            proc.kill()
    assert out.strip() == "interrupted", err
    assert _partial(home, etag).exists() and etag not in _blobs(home)
    srv.clear_faults()
    srv.clear_requests()
    p = hub.hf_hub_download("org/m", "big.bin", connections=1)
    assert open(p, "rb").read() == files["big.bin"]
    assert int(_gets(srv, "/lfs/")[0].headers["range"].split("=")[1].split("-")[0]) > 500_000
