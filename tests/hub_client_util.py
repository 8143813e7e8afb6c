"""Helpers for the hfc.hub client tests (tests/test_hub_client*.py).

hfc.hub reads its environment at every call, so in-process tests point it at the test server
with monkeypatch; huggingface_hub reads its configuration at import, so it runs in a fresh
interpreter (hub_util.run_hf) with hub_util.hub_env.
"""
import hashlib
import os

import pytest

from hub_util import hub_env  # noqa: F401


def sha256(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def cache_listing(root, skip_locks=False):
    """{relative path: ("dir",) | ("link", target) | ("file", sha256)} of a cache folder."""
    out = {}
    root = str(root)
    for d, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(d, name)
            rel = os.path.relpath(p, root)
            if skip_locks and rel.split(os.sep)[0] == ".locks":
                continue
            if os.path.islink(p):
                out[rel] = ("link", os.readlink(p))
            elif os.path.isdir(p):
                out[rel] = ("dir",)
            else:
                with open(p, "rb") as f:
                    out[rel] = ("file", sha256(f.read()))
    return out


@pytest.fixture
def hfc_env(monkeypatch, tmp_path):
    """Point in-process hfc.hub at a server: call with the server, get the HF_HOME path."""
    for k in list(os.environ):
        if k.startswith(("HF_", "HUGGINGFACE_")):
            monkeypatch.delenv(k, raising=False)

    def setup(srv, home=None, token=None, **extra):
        home = home or tmp_path / "hfc-home"
        monkeypatch.setenv("HF_ENDPOINT", srv.endpoint)
        monkeypatch.setenv("HF_HOME", str(home))
        monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        if token is not None:
            monkeypatch.setenv("HF_TOKEN", token)
        for k, v in extra.items():
            monkeypatch.setenv(k, str(v))
        return home
    return setup


def make_model_repo(srv, repo_id="org/model", big=400_000):
    """Regular, LFS (by pattern and by size) and nested files, a tag v1 and a branch dev."""
    srv.lfs_threshold = 256 * 1024
    files = {
        "config.json": b'{"hidden_size": 8}\n',
        "model.safetensors": os.urandom(300_000),
        "big.dat": os.urandom(big),
        "sub/dir/notes.txt": b"nested\n",
        "tokenizer.json": b'{"version": "1.0"}\n',
    }
    srv.create_repo(repo_id)
    c1 = srv.commit(repo_id, files, message="add files")
    srv.create_tag(repo_id, "v1")
    c2 = srv.commit(repo_id, {"config.json": b'{"hidden_size": 16}\n'}, message="bump")
    srv.create_branch(repo_id, "dev", revision=c1)
    return files, c1, c2
