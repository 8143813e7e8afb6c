"""The Hub-compatible test server (tests/hub_server) against the official client, huggingface_hub.

Every client call runs in a fresh interpreter (hub_util.run_hf) with HF_ENDPOINT pointing at the
server and HF_HUB_DISABLE_XET=1, so huggingface_hub reads its configuration cleanly.
"""

import hashlib
import os

import pytest

from hub_util import TOKEN, USER, hub_env, hub_server, run_hf, run_hf_json  # noqa: F401

pytest.importorskip("huggingface_hub")


def _sha256(b):
    return hashlib.sha256(b).hexdigest()


@pytest.fixture
def model_repo(hub_server):
    """org/model with regular, LFS (by pattern and by size) and nested files, a branch and a tag."""
    srv = hub_server
    srv.lfs_threshold = 256 * 1024
    files = {
        "config.json": b'{"hidden_size": 8}\n',
        "model.safetensors": os.urandom(300_000),
        "big.dat": os.urandom(400_000),          # LFS by size (> lfs_threshold)
        "sub/dir/notes.txt": b"nested\n",
    }
    srv.create_repo("org/model")
    c1 = srv.commit("org/model", files, message="add files")
    srv.create_tag("org/model", "v1")
    c2 = srv.commit("org/model", {"config.json": b'{"hidden_size": 16}\n'}, message="bump")
    srv.create_branch("org/model", "dev", revision=c1)
    return srv, files, c1, c2


def test_download_regular_lfs_revisions(model_repo, tmp_path):
    srv, files, c1, c2 = model_repo
    assert srv.file_info("org/model", "model.safetensors")["lfs"]
    assert srv.file_info("org/model", "big.dat")["lfs"]
    assert not srv.file_info("org/model", "config.json")["lfs"]
    out = run_hf_json(f"""
import json, hashlib
from huggingface_hub import hf_hub_download
def h(p): return hashlib.sha256(open(p, "rb").read()).hexdigest()
r = {{}}
for rev in ("main", "v1", "dev", "{c1}", "{c2}"):
    for f in ("config.json", "model.safetensors", "big.dat"):
        p = hf_hub_download("org/model", f, revision=rev)
        r[rev + ":" + f] = [h(p), p.split("/snapshots/")[1].split("/")[0]]
p = hf_hub_download("org/model", "notes.txt", subfolder="sub/dir")
r["sub"] = [h(p), p.split("/snapshots/")[1]]
print(json.dumps(r))
""", hub_env(srv, tmp_path / "home"))
    for rev, commit in (("main", c2), ("v1", c1), ("dev", c1), (c1, c1), (c2, c2)):
        for f in ("config.json", "model.safetensors", "big.dat"):
            want = srv.read_file("org/model", f, revision=commit)
            assert out[f"{rev}:{f}"] == [_sha256(want), commit]
    assert out["sub"] == [_sha256(files["sub/dir/notes.txt"]), f"{c2}/sub/dir/notes.txt"]
    # LFS bodies came from the CDN port, regular ones from the hub port; no token ever went out
    cdn = f"127.0.0.1:{srv.cdn_port}"
    assert any(r.host == cdn and r.method == "GET" for r in srv.requests)
    assert all(r.path.startswith("/lfs/") for r in srv.requests if r.host == cdn)


def test_upload_then_download_back(hub_server, tmp_path):
    srv = hub_server
    srv.multipart_threshold = 1 << 20
    srv.multipart_chunk_size = 300_000
    folder = tmp_path / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_bytes(b"aaa\n")
    (folder / "sub" / "w.bin").write_bytes(os.urandom(5000))
    big = tmp_path / "big.safetensors"
    big.write_bytes(os.urandom(2_500_000))
    repo = f"{USER}/up"
    out = run_hf_json(f"""
import json
from huggingface_hub import HfApi, CommitOperationAdd, CommitOperationDelete
api = HfApi()
api.create_repo("up")
api.upload_file(path_or_fileobj=b"hello", path_in_repo="r.txt", repo_id="{repo}")
api.upload_file(path_or_fileobj="{big}", path_in_repo="big.safetensors", repo_id="{repo}")
api.upload_folder(folder_path="{folder}", repo_id="{repo}", path_in_repo="f")
ci = api.create_commit("{repo}", [CommitOperationAdd("c.txt", b"ccc"), CommitOperationDelete("r.txt")],
                       commit_message="cm")
api.delete_file("f/a.txt", "{repo}")
print(json.dumps({{"commit": ci.oid, "files": api.list_repo_files("{repo}")}}))
""", hub_env(srv, tmp_path / "home", token=TOKEN))
    assert out["files"] == srv.list_files(repo) == [".gitattributes", "big.safetensors", "c.txt", "f/sub/w.bin"]
    assert srv.read_file(repo, "big.safetensors") == big.read_bytes()
    assert srv.read_file(repo, "f/sub/w.bin") == (folder / "sub" / "w.bin").read_bytes()
    assert srv.file_info(repo, "big.safetensors")["lfs"] and srv.file_info(repo, "f/sub/w.bin")["lfs"]
    assert out["commit"] in srv.history(repo)
