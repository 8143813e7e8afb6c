"""hfc's one worker pool: sizing, concurrency, and fork safety."""
import multiprocessing as mp
import os
import threading

import pytest

import hfc
from hfc import _C
from conftest import run_python


def expected_sum(n):
    return n * (n - 1) // 2


@pytest.fixture
def restore_threads():
    before = hfc.get_num_threads()
    yield
    hfc.set_num_threads(before)


def test_default_is_affinity_mask():
    r = run_python("import hfc; print(hfc.get_num_threads())", env={"HFC_NUM_THREADS": ""})
    assert r.returncode == 0, r.stderr
    assert int(r.stdout) == len(os.sched_getaffinity(0))


def test_env_sets_default():
    r = run_python("import hfc; print(hfc.get_num_threads())", env={"HFC_NUM_THREADS": "3"})
    assert int(r.stdout) == 3


def test_set_get(restore_threads):
    for n in (1, 2, 3, 1, 4):
        hfc.set_num_threads(n)
        assert hfc.get_num_threads() == n
        total, workers = _C._pool_probe(1_000_000)
        assert total == expected_sum(1_000_000)
        assert 1 <= workers <= n


@pytest.mark.parametrize("bad", [0, -1, 1025])
def test_set_rejects_bad_values(bad, restore_threads):
    with pytest.raises(ValueError, match="1..1024"):
        hfc.set_num_threads(bad)


def test_set_rejects_non_int(restore_threads):
    with pytest.raises(TypeError):
        hfc.set_num_threads("2")


def test_uses_several_workers(restore_threads):
    hfc.set_num_threads(2)
    seen = max(_C._pool_probe(20_000_000)[1] for _ in range(5))
    assert seen == 2


def test_many_python_threads_at_once(restore_threads):
    hfc.set_num_threads(2)
    errors = []

    def work():
        try:
            for _ in range(50):
                assert _C._pool_probe(200_000)[0] == expected_sum(200_000)
        except Exception as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(6)]
    # resize while jobs run: must neither deadlock nor corrupt a job
    for t in threads:
        t.start()
    for n in (1, 2, 1, 2):
        hfc.set_num_threads(n)
    for t in threads:
        t.join(60)
        assert not t.is_alive()
    assert errors == []


def _child_job(q):
    q.put(_C._pool_probe(5_000_000))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX-only")
def test_os_fork_child_recreates_pool(restore_threads):
    hfc.set_num_threads(2)
    assert _C._pool_probe(5_000_000)[0] == expected_sum(5_000_000)  # workers started
    pid = os.fork()
    if pid == 0:  # child: must not hang on the parent's dead workers
        try:
            ok = _C._pool_probe(5_000_000)[0] == expected_sum(5_000_000)
            ok = ok and hfc.get_num_threads() == 2
        finally:
            os._exit(0 if ok else 3)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_multiprocessing_workers(method, restore_threads):
    if method not in mp.get_all_start_methods():
        pytest.skip(f"{method} start method unavailable on this platform")
    hfc.set_num_threads(2)
    _C._pool_probe(1_000_000)
    ctx = mp.get_context(method)
    q = ctx.Queue()
    procs = [ctx.Process(target=_child_job, args=(q,)) for _ in range(3)]
    for p in procs:
        p.start()
    results = [q.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert all(total == expected_sum(5_000_000) for total, _ in results)


def test_fork_while_another_thread_runs_a_job(restore_threads):
    """A fork that lands mid-job in another thread still leaves the child a working pool."""
    hfc.set_num_threads(2)
    stop = threading.Event()

    def busy():
        while not stop.is_set():
            _C._pool_probe(2_000_000)

    t = threading.Thread(target=busy)
    t.start()
    try:
        for _ in range(5):
            pid = os.fork()
            if pid == 0:
                ok = _C._pool_probe(1_000_000)[0] == expected_sum(1_000_000)
                os._exit(0 if ok else 3)
            _, status = os.waitpid(pid, 0)
            assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    finally:
        stop.set()
        t.join()
