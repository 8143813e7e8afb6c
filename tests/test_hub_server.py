"""The Hub-compatible test server (tests/hub_server) against the official client, huggingface_hub.

Every client call runs in a fresh interpreter (hub_util.run_hf) with HF_ENDPOINT pointing at the
server and HF_HUB_DISABLE_XET=1, so huggingface_hub reads its configuration cleanly.
"""

import hashlib
import os

import pytest

from hub_util import (TOKEN, USER, hub_env, hub_server, hub_server_module, hub_server_session,  # noqa: F401
                      run_hf, run_hf_json)

import huggingface_hub  # noqa: F401 (test extra)
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
    # and huggingface_hub downloads back exactly what it uploaded
    back = run_hf_json(f"""
import json, hashlib, os
from huggingface_hub import snapshot_download
root = snapshot_download("{repo}")
print(json.dumps({{os.path.relpath(os.path.join(d, f), root): hashlib.sha256(open(os.path.join(d, f), "rb").read()).hexdigest()
                  for d, _, fs in os.walk(root) for f in fs}}))
""", hub_env(srv, tmp_path / "home2", token=TOKEN))
    assert back == {".gitattributes": _sha256(srv.read_file(repo, ".gitattributes")), "c.txt": _sha256(b"ccc"),
                    "big.safetensors": _sha256(big.read_bytes()),
                    "f/sub/w.bin": _sha256((folder / "sub" / "w.bin").read_bytes())}


# ---------------------------------------------------------------------------- git object ids

def test_object_ids_are_git_ids(model_repo, tmp_path):
    """Blob, tree and commit ids equal what git itself computes for the same content and metadata."""
    import subprocess  # git: installed by make deps
    srv = model_repo[0]
    from hub_server import lfs_pointer
    work = tmp_path / "git"
    work.mkdir()
    for sha in reversed(srv.history("org/model")):   # oldest first: parents exist when children are made
        info = srv.commit_info("org/model", sha)
        env = dict(os.environ, GIT_DIR=str(work / ".git"), GIT_WORK_TREE=str(work),
                   GIT_AUTHOR_NAME=info["author"], GIT_COMMITTER_NAME=info["author"],
                   GIT_AUTHOR_EMAIL=f"{info['author']}@users.noreply.huggingface.co",
                   GIT_COMMITTER_EMAIL=f"{info['author']}@users.noreply.huggingface.co",
                   GIT_AUTHOR_DATE=f"@{int(info['date'])} +0000", GIT_COMMITTER_DATE=f"@{int(info['date'])} +0000")

        def git(*args, stdin=None):
            return subprocess.run(["git", *args], env=env, check=True, capture_output=True,
                                  input=stdin).stdout.decode().strip()
        if not (work / ".git").exists():
            git("init", "-q")
        git("read-tree", "--empty")
        for path in srv.list_files("org/model", revision=sha):
            fi = srv.file_info("org/model", path, revision=sha)
            data = srv.read_file("org/model", path, revision=sha)
            blob = lfs_pointer(fi["sha256"], fi["size"]) if fi["lfs"] else data
            oid = git("hash-object", "-w", "--no-filters", "--stdin", stdin=blob)
            assert oid == fi["oid"], path
            git("update-index", "--add", "--cacheinfo", f"100644,{oid},{path}")
        assert git("write-tree") == info["tree"]
        args = ["commit-tree", info["tree"], "-m", info["title"]]
        if info["message"]:
            args += ["-m", info["message"]]
        for p in info["parents"]:
            args += ["-p", p]
        assert git(*args) == sha


# ---------------------------------------------------------------------------- raw protocol

def _http(srv, method, url, headers=None, body=None, follow_relative=True):
    """One request: (status, headers (lower-case keys), body). Like huggingface_hub, relative
    redirects (same host) are followed unless follow_relative=False; absolute ones never are."""
    import http.client
    from urllib.parse import urlsplit
    u = urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        conn.request(method, u.path + (f"?{u.query}" if u.query else ""), body=body, headers=headers or {})
        r = conn.getresponse()
        st, h, data = r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()
    if follow_relative and st in (301, 302, 307, 308) and h["location"].startswith("/"):
        return _http(srv, method, f"{u.scheme}://{u.netloc}{h['location']}", headers, body)
    return st, h, data


def test_resolve_headers_and_ranges(model_repo):
    srv, files, c1, c2 = model_repo
    from hub_server import git_blob_sha1
    # regular file: a relative 307 to the commit-pinned resolve-cache URL (as the Hub does), which
    # serves it from the hub port with ETag = quoted git blob id
    cfg = srv.read_file("org/model", "config.json")
    st, h, _ = _http(srv, "HEAD", srv.url("org/model", "config.json"), follow_relative=False)
    assert st == 307 and h["x-repo-commit"] == c2
    assert h["location"].startswith(f"/api/resolve-cache/models/org/model/{c2}/config.json?")
    st, h, body = _http(srv, "HEAD", srv.endpoint + h["location"])
    assert st == 200 and h["x-repo-commit"] == c2 and h["etag"] == '"%s"' % git_blob_sha1(cfg)
    srv.resolve_cache = False           # or served directly
    st, h, body = _http(srv, "HEAD", srv.url("org/model", "config.json"))
    assert st == 200 and h["x-repo-commit"] == c2 and h["etag"] == '"%s"' % git_blob_sha1(cfg)
    assert int(h["content-length"]) == len(srv.read_file("org/model", "config.json")) and h["accept-ranges"] == "bytes"
    # LFS file: 302 to the CDN port, signed, with X-Linked-Etag (sha256) and X-Linked-Size
    data = files["model.safetensors"]
    st, h, _ = _http(srv, "HEAD", srv.url("org/model", "model.safetensors", revision="v1"))
    assert st == 302 and h["x-repo-commit"] == c1
    assert h["x-linked-etag"] == f'"{_sha256(data)}"' and int(h["x-linked-size"]) == len(data)
    loc = h["location"]
    assert loc.startswith(srv.cdn_endpoint + "/") and "Signature=" in loc and "Expires=" in loc
    st, h, body = _http(srv, "GET", loc)
    assert st == 200 and body == data
    # ranges, including several concurrent ones
    from concurrent.futures import ThreadPoolExecutor
    spans = [(i * 37_000, min(len(data), (i + 1) * 37_000) - 1) for i in range(-(-len(data) // 37_000))]
    with ThreadPoolExecutor(8) as ex:
        parts = list(ex.map(lambda s: _http(srv, "GET", loc, {"Range": f"bytes={s[0]}-{s[1]}"}), spans))
    for (a, b), (st, h, body) in zip(spans, parts):
        assert st == 206 and h["content-range"] == f"bytes {a}-{b}/{len(data)}" and body == data[a:b + 1]
    assert _http(srv, "GET", loc, {"Range": "bytes=-10"})[2] == data[-10:]
    assert _http(srv, "GET", loc, {"Range": "bytes=299990-"})[2] == data[299990:]
    st, h, _ = _http(srv, "GET", loc, {"Range": f"bytes={len(data)}-"})
    assert st == 416 and h["content-range"] == f"bytes */{len(data)}"
    # a tampered signature is refused by the CDN
    assert _http(srv, "GET", loc.replace("Signature=", "Signature=0"))[0] == 403
    # revision given URL-encoded (refs/...), 404s with the Hub's error codes
    assert _http(srv, "HEAD", srv.url("org/model", "config.json", revision="refs/heads/dev"))[1]["x-repo-commit"] == c1
    st, h, _ = _http(srv, "HEAD", srv.url("org/model", "nope.txt"))
    assert (st, h["x-error-code"], h["x-repo-commit"]) == (404, "EntryNotFound", c2)
    st, h, _ = _http(srv, "HEAD", srv.url("org/model", "config.json", revision="nope"))
    assert (st, h["x-error-code"]) == (404, "RevisionNotFound")
    st, h, _ = _http(srv, "HEAD", srv.url("org/nope", "config.json"))
    assert (st, h["x-error-code"]) == (401, "RepoNotFound")


# ---------------------------------------------------------------------------- huggingface_hub downloads

_ERRORS = """
import json
from huggingface_hub import hf_hub_download
from huggingface_hub.errors import (RepositoryNotFoundError, RevisionNotFoundError, EntryNotFoundError,
                                    GatedRepoError, HfHubHTTPError)
def kind(fn):
    try:
        fn()
        return "ok"
    except (GatedRepoError, RepositoryNotFoundError, RevisionNotFoundError, EntryNotFoundError) as e:
        return type(e).__name__ + ":" + str(getattr(e.response, "status_code", ""))
    except HfHubHTTPError as e:
        return "HfHubHTTPError:" + str(e.response.status_code)
"""


def test_download_errors(model_repo, tmp_path):
    srv = model_repo[0]
    out = run_hf_json(_ERRORS + """
r = {
  "repo": kind(lambda: hf_hub_download("org/missing", "config.json")),
  "rev": kind(lambda: hf_hub_download("org/model", "config.json", revision="nope")),
  "entry": kind(lambda: hf_hub_download("org/model", "missing.txt")),
}
print(json.dumps(r))
""", hub_env(srv, tmp_path / "home"))
    assert out == {"repo": "RepositoryNotFoundError:401", "rev": "RevisionNotFoundError:404",
                   "entry": "RemoteEntryNotFoundError:404"}
    # the missing entry is remembered in the cache (.no_exist/<commit>/missing.txt), as with the Hub
    c2 = model_repo[3]
    assert (tmp_path / "home" / "hub" / "models--org--model" / ".no_exist" / c2 / "missing.txt").exists()


def test_private_and_gated_repos(hub_server, tmp_path):
    srv = hub_server
    srv.tokens["hf_other"] = "someone-else"
    srv.create_repo("alice/private", private=True)
    srv.commit("alice/private", {"secret.txt": b"secret\n"})
    srv.tokens["hf_alice"] = "alice"
    srv.create_repo("org/gated", gated=True)
    srv.commit("org/gated", {"weights.txt": b"gated\n"})
    srv.grant_access("org/gated", "alice")
    code = _ERRORS + """
from huggingface_hub import HfApi
r = {
  "private": kind(lambda: hf_hub_download("alice/private", "secret.txt")),
  "gated": kind(lambda: hf_hub_download("org/gated", "weights.txt")),
  "gated_info": kind(lambda: HfApi().model_info("org/gated")),
}
print(json.dumps(r))
"""
    anon = run_hf_json(code, hub_env(srv, tmp_path / "anon"))
    other = run_hf_json(code, hub_env(srv, tmp_path / "other", token="hf_other"))
    alice = run_hf_json(code, hub_env(srv, tmp_path / "alice", token="hf_alice"))
    bad = run_hf_json(code, hub_env(srv, tmp_path / "bad", token="hf_not_a_token"))
    assert anon == {"private": "RepositoryNotFoundError:401", "gated": "GatedRepoError:401", "gated_info": "ok"}
    assert other == {"private": "RepositoryNotFoundError:404", "gated": "GatedRepoError:403", "gated_info": "ok"}
    assert alice == {"private": "ok", "gated": "ok", "gated_info": "ok"}
    assert bad == {"private": "HfHubHTTPError:401", "gated": "HfHubHTTPError:401", "gated_info": "HfHubHTTPError:401"}
    # the token went to the hub, never to the CDN
    assert any(r.headers.get("authorization") == "Bearer hf_alice" for r in srv.requests)
    assert not any("authorization" in r.headers for r in srv.requests if r.host.endswith(f":{srv.cdn_port}"))


def test_dataset_repo_and_snapshot_patterns(hub_server, tmp_path):
    srv = hub_server
    files = {"README.md": b"# data\n", "data/train-00000.parquet": os.urandom(2000),
             "data/test-00000.parquet": os.urandom(1500), "data/extra.json": b"[1, 2]\n", "script.py": b"x = 1\n"}
    srv.create_repo("org/data", repo_type="dataset")
    sha = srv.commit("org/data", files, repo_type="dataset")
    srv.create_repo("org/space", repo_type="space")
    srv.commit("org/space", {"app.py": b"print(1)\n"}, repo_type="space")
    assert srv.file_info("org/data", "data/train-00000.parquet", repo_type="dataset")["lfs"]
    out = run_hf_json("""
import json, os
from huggingface_hub import snapshot_download, hf_hub_download
def listing(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)
a = snapshot_download("org/data", repo_type="dataset", allow_patterns=["data/*.parquet"])
a_files = listing(a)
b = snapshot_download("org/data", repo_type="dataset", ignore_patterns=["*.parquet", "*.py"],
                      local_dir=os.environ["HF_HOME"] + "/local")
c = hf_hub_download("org/data", "data/extra.json", repo_type="dataset")
s = hf_hub_download("org/space", "app.py", repo_type="space")
print(json.dumps({"a": a_files, "a_root": a, "b": listing(b), "c": open(c).read(), "s": [s, open(s).read()]}))
""", hub_env(srv, tmp_path / "home"))
    assert out["a"] == ["data/test-00000.parquet", "data/train-00000.parquet"]
    assert out["a_root"].endswith(f"datasets--org--data/snapshots/{sha}")
    assert [p for p in out["b"] if not p.startswith(".cache")] == [".gitattributes", "README.md", "data/extra.json"]
    assert out["c"] == "[1, 2]\n" and out["s"][1] == "print(1)\n" and "/spaces--org--space/snapshots/" in out["s"][0]
    for p in out["a"]:
        assert (tmp_path / "home" / "hub" / "datasets--org--data" / "snapshots" / sha / p).read_bytes() == files[p]


def test_list_files_pagination_and_info(hub_server, tmp_path):
    srv = hub_server
    srv.page_size = 4
    srv.page_size_expand = 3
    files = {f"d{i % 3}/f{i:02d}.txt": f"{i}\n".encode() for i in range(17)}
    files["w.safetensors"] = os.urandom(1000)
    srv.create_repo("org/many")
    sha = srv.commit("org/many", files)
    out = run_hf_json("""
import json
from huggingface_hub import HfApi
api = HfApi()
info = api.model_info("org/many", files_metadata=True)
tree = list(api.list_repo_tree("org/many", recursive=True, expand=True))
top = list(api.list_repo_tree("org/many"))
sub = list(api.list_repo_tree("org/many", path_in_repo="d1"))
print(json.dumps({
  "files": api.list_repo_files("org/many"),
  "sha": info.sha, "siblings": [[s.rfilename, s.size, s.blob_id, s.lfs.sha256 if s.lfs else None] for s in info.siblings],
  "tree": [[t.path, type(t).__name__, t.last_commit.oid if t.last_commit else None] for t in tree],
  "top": sorted(t.path for t in top), "sub": sorted(t.path for t in sub),
}))
""", hub_env(srv, tmp_path / "home"))
    assert sorted(out["files"]) == srv.list_files("org/many")
    assert out["sha"] == sha
    for name, size, blob, lfs_sha in out["siblings"]:
        fi = srv.file_info("org/many", name)
        assert [size, blob, lfs_sha] == [fi["size"], fi["oid"], fi["sha256"]]
    assert sorted(p for p, kind, _ in out["tree"] if kind == "RepoFolder") == ["d0", "d1", "d2"]
    assert all(last == sha for p, kind, last in out["tree"] if p != ".gitattributes")
    assert out["top"] == [".gitattributes", "d0", "d1", "d2", "w.safetensors"]
    assert out["sub"] == sorted(p for p in files if p.startswith("d1/"))
    # listings were really paginated through Link headers
    tree_calls = [r for r in srv.requests if "/tree/" in r.path]
    assert sum("cursor=" in r.path for r in tree_calls) >= 5


def test_renamed_repo_redirects(model_repo, tmp_path):
    srv, files = model_repo[0], model_repo[1]
    srv.rename_repo("org/model", "org/renamed")
    st, h, _ = _http(srv, "HEAD", srv.url("org/model", "config.json"), follow_relative=False)
    assert st == 307 and h["location"].startswith("/org/renamed/resolve/main/config.json")
    out = run_hf_json("""
import json, hashlib
from huggingface_hub import hf_hub_download
p = hf_hub_download("org/model", "model.safetensors")
print(json.dumps(hashlib.sha256(open(p, "rb").read()).hexdigest()))
""", hub_env(srv, tmp_path / "home"))
    assert out == _sha256(files["model.safetensors"])


def test_storage_persists_across_servers(model_repo, tmp_path):
    from hub_server import HubServer
    srv, files, c1, c2 = model_repo
    again = HubServer(srv.store.root)
    assert again.history("org/model") == srv.history("org/model")
    assert again.read_file("org/model", "model.safetensors", revision="v1") == files["model.safetensors"]
    assert again.resolve("org/model", "dev") == c1


# ---------------------------------------------------------------------------- huggingface_hub uploads

def test_upload_api_surface(hub_server, tmp_path):
    """create_repo exist_ok/409, branches, tags, create_pr, commits listing, repo deletion."""
    srv = hub_server
    repo = f"{USER}/surface"
    out = run_hf_json(_ERRORS + f"""
from huggingface_hub import HfApi, CommitOperationAdd
api = HfApi()
me = api.whoami()["name"]
api.create_repo("surface", private=True)
dup = kind(lambda: api.create_repo("surface"))
api.create_repo("surface", exist_ok=True)
a = api.upload_file(path_or_fileobj=b"one", path_in_repo="x.txt", repo_id="{repo}").oid
api.create_branch("{repo}", branch="dev")
api.create_tag("{repo}", tag="v1", revision="dev")
b = api.upload_file(path_or_fileobj=b"two", path_in_repo="x.txt", repo_id="{repo}", revision="dev").oid
pr = api.create_commit("{repo}", [CommitOperationAdd("y.txt", b"pr")], commit_message="pr", create_pr=True)
refs = api.list_repo_refs("{repo}", include_pull_requests=True)
commits = [c.commit_id for c in api.list_repo_commits("{repo}", revision="dev")]
api.upload_file(path_or_fileobj=b"pr2", path_in_repo="y.txt", repo_id="{repo}", revision="refs/pr/1")
x_pr = open(hf_hub_download("{repo}", "y.txt", revision="refs/pr/1")).read()
api.delete_tag("{repo}", tag="v1")
api.delete_branch("{repo}", branch="dev")
api.delete_repo("{repo}")
gone = kind(lambda: api.model_info("{repo}"))
print(json.dumps({{"me": me, "dup": dup, "a": a, "b": b, "pr": pr.pr_url, "pr_oid": pr.oid, "x_pr": x_pr, "commits": commits,
  "branches": sorted(r.name for r in refs.branches), "tags": [r.name for r in refs.tags],
  "prs": [r.name for r in refs.pull_requests], "gone": gone}}))
""", hub_env(srv, tmp_path / "home", token=TOKEN))
    assert out["me"] == USER and out["dup"] == "HfHubHTTPError:409"
    assert out["branches"] == ["dev", "main"] and out["tags"] == ["v1"] and out["prs"] == ["refs/pr/1"]
    assert out["commits"][:2] == [out["b"], out["a"]] and len(out["commits"]) == 3
    assert out["pr"].endswith("/discussions/1") and out["x_pr"] == "pr2"
    assert out["gone"] == "RepositoryNotFoundError:404"


# ---------------------------------------------------------------------------- fault injection

_FETCH = """
import json, hashlib, os, glob
from huggingface_hub import hf_hub_download
from huggingface_hub.errors import HfHubHTTPError
def fetch(name, **kw):
    try:
        p = hf_hub_download("org/model", name, **kw)
        return {"sha256": hashlib.sha256(open(p, "rb").read()).hexdigest(), "size": os.path.getsize(p),
                "blob": os.path.basename(os.path.realpath(p))}
    except HfHubHTTPError as e:
        return {"error": type(e).__name__, "status": e.response.status_code}
def leftovers():
    return sorted(os.path.basename(p) for p in glob.glob(os.environ["HF_HOME"] + "/hub/models--org--model/blobs/*"))
"""


def _cdn_gets(srv):
    return [r for r in srv.requests if r.host.endswith(f":{srv.cdn_port}") and r.method == "GET"]


def test_fault_cut_is_resumed(model_repo, tmp_path):
    """A cut after huggingface_hub wrote its first 10 MiB chunk: resumed with a Range request.

    huggingface_hub writes in DOWNLOAD_CHUNK_SIZE (10 MiB) pieces; a cut before the first piece
    restarts from zero (no Range), which the small file shows.
    """
    srv, files = model_repo[0], model_repo[1]
    large = os.urandom(11 * 2**20 + 123)
    srv.commit("org/model", {"large.bin": large})
    lfs_cut = srv.add_fault("/lfs/*", "cut", times=1, at=10 * 2**20 + 5000)
    hub_cut = srv.add_fault("*/sub/dir/notes.txt", "cut", times=1, at=3, methods="GET")
    out = run_hf_json(_FETCH + """
print(json.dumps([fetch("large.bin"), fetch("sub/dir/notes.txt")]))
""", hub_env(srv, tmp_path / "home"))
    assert out[0]["sha256"] == _sha256(large) and out[1]["sha256"] == _sha256(files["sub/dir/notes.txt"])
    assert lfs_cut.hits == 1 and hub_cut.hits == 1
    gets = _cdn_gets(srv)
    assert [r.headers.get("range") for r in gets] == [None, f"bytes={10 * 2**20}-"]
    notes = [r for r in srv.requests if r.method == "GET" and r.path.split("?")[0].endswith("notes.txt")]
    assert [r.headers.get("range") for r in notes] == [None, None]


def test_fault_cut_with_no_range_restarts(model_repo, tmp_path):
    """The server ignores Range on the resume: huggingface_hub gets a 200 and starts over."""
    srv, files = model_repo[0], model_repo[1]
    large = os.urandom(11 * 2**20)
    srv.commit("org/model", {"large.bin": large})
    srv.add_fault("/lfs/*", "cut", times=1, at=10 * 2**20 + 1)
    no_range = srv.add_fault("/lfs/*", "no_range")
    out = run_hf_json(_FETCH + 'print(json.dumps(fetch("large.bin")))', hub_env(srv, tmp_path / "home"))
    assert out["sha256"] == _sha256(large)
    gets = _cdn_gets(srv)
    assert [r.headers.get("range") for r in gets] == [None, f"bytes={10 * 2**20}-"] and no_range.hits == 2
    loc = _http(srv, "HEAD", srv.url("org/model", "model.safetensors"))[1]["location"]
    st, h, body = _http(srv, "GET", loc, {"Range": "bytes=0-9"})
    assert st == 200 and body == files["model.safetensors"] and "content-range" not in h


def test_fault_status_codes(model_repo, tmp_path):
    srv, files = model_repo[0], model_repo[1]
    # 429 on the CDN once: huggingface_hub retries it; 503 on a HEAD once: retried too
    f429 = srv.add_fault("/lfs/*", "status", code=429, times=1)
    f503 = srv.add_fault("*/resolve/main/config.json", "status", code=503, times=1, methods="HEAD")
    out = run_hf_json(_FETCH + 'print(json.dumps([fetch("model.safetensors"), fetch("config.json")]))',
                      hub_env(srv, tmp_path / "home"))
    assert out[0]["sha256"] == _sha256(files["model.safetensors"]) and f429.hits == 1 and f503.hits == 1
    assert out[1]["sha256"] == _sha256(srv.read_file("org/model", "config.json"))
    heads = [r for r in srv.requests if r.method == "HEAD" and r.path.endswith("/config.json")]
    assert len(heads) == 2 and len(_cdn_gets(srv)) == 2
    # a persistent 500 on the CDN: an HfHubHTTPError, and no blob is left behind
    srv.clear_faults()
    f500 = srv.add_fault("/lfs/*", "status", code=500)
    out = run_hf_json(_FETCH + 'print(json.dumps([fetch("big.dat"), leftovers()]))', hub_env(srv, tmp_path / "h2"))
    assert out[0] == {"error": "HfHubHTTPError", "status": 500} and out[1] == [] and f500.hits >= 1
    # injected Hub error codes map to huggingface_hub's error classes
    srv.clear_faults()
    srv.add_fault("*/resolve/*", "status", code=404, error_code="EntryNotFound", message="Entry not found")
    out = run_hf_json(_FETCH + 'print(json.dumps(fetch("config.json")))', hub_env(srv, tmp_path / "h3"))
    assert out == {"error": "RemoteEntryNotFoundError", "status": 404}


def test_fault_slow_stall_is_resumed(model_repo, tmp_path):
    """A body that stalls longer than the client's read timeout: huggingface_hub retries it."""
    srv, files = model_repo[0], model_repo[1]
    slow = srv.add_fault("/lfs/*", "slow", times=1, bps=10_000, chunk=40_000)   # 40 kB, then a 4 s pause
    out = run_hf_json(_FETCH + 'print(json.dumps(fetch("model.safetensors")))',
                      hub_env(srv, tmp_path / "home", HF_HUB_DOWNLOAD_TIMEOUT=1))
    assert out["sha256"] == _sha256(files["model.safetensors"]) and slow.hits == 1
    assert len(_cdn_gets(srv)) == 2   # timed out, then fetched again (nothing written yet: no Range)


def test_fault_slow_throttles_but_delivers(model_repo):
    srv, files = model_repo[0], model_repo[1]
    data = files["sub/dir/notes.txt"]
    f = srv.add_fault("*/notes.txt", "slow", bps=50, chunk=2)
    st, _, body = _http(srv, "GET", srv.url("org/model", "sub/dir/notes.txt"))
    assert st == 200 and body == data and f.hits == 1


def test_fault_corrupt_is_detectable(model_repo, tmp_path):
    srv, files = model_repo[0], model_repo[1]
    data = files["model.safetensors"]
    cor = srv.add_fault("/lfs/*", "corrupt", offset=1234, count=3)
    loc = _http(srv, "HEAD", srv.url("org/model", "model.safetensors"))[1]["location"]
    # a range that does not cover the offset is served intact and does not consume the fault
    assert _http(srv, "GET", loc, {"Range": "bytes=0-999"})[2] == data[:1000] and cor.hits == 0
    body = _http(srv, "GET", loc, {"Range": "bytes=1000-1999"})[2]
    assert len(body) == 1000 and body != data[1000:2000] and cor.hits == 1
    assert bytes(a ^ b for a, b in zip(body, data[1000:2000])).count(0xFF) == 3
    # huggingface_hub does not check sha256: the blob named after X-Linked-Etag has other content
    out = run_hf_json(_FETCH + 'print(json.dumps(fetch("model.safetensors")))', hub_env(srv, tmp_path / "home"))
    assert out["blob"] == _sha256(data) and out["size"] == len(data) and out["sha256"] != _sha256(data)
    srv.clear_faults()
    out = run_hf_json(_FETCH + 'print(json.dumps(fetch("model.safetensors", force_download=True)))',
                      hub_env(srv, tmp_path / "home"))
    assert out["sha256"] == _sha256(data)


@pytest.mark.parametrize("evil", ["../../evil.txt", "/tmp/hfc-hub-evil.txt", "sub/../../evil.txt", "a\\b.txt"])
def test_fault_escape_paths(model_repo, tmp_path, evil):
    srv = model_repo[0]
    f = srv.add_fault("/api/models/org/model*", "escape", path=evil, content=b"pwned\n")
    home = tmp_path / "a" / "b" / "home"
    out = run_hf_json(f"""
import json
from huggingface_hub import list_repo_files, snapshot_download, HfApi
files = list_repo_files("org/model")
sibs = [s.rfilename for s in HfApi().model_info("org/model").siblings]
try:
    snapshot_download("org/model")
    err = None
except ValueError as e:
    err = str(e)
print(json.dumps({{"files": files, "sibs": sibs, "err": err}}))
""", hub_env(srv, home))
    assert evil in out["files"] and evil in out["sibs"] and f.hits >= 2
    # the server also serves the escaping path if a client asks for it
    st, _, body = _http(srv, "GET", srv.url("org/model", evil))
    assert st == 200 and body == b"pwned\n"
    # huggingface_hub refuses '..' and absolute paths; a backslash is a plain character on POSIX
    if evil != "a\\b.txt":
        assert "Invalid filename" in out["err"]
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.read_bytes() == b"pwned\n"
               and not str(p).startswith(srv.store.root)]
    assert all(str(p).startswith(str(home / "hub" / "models--org--model")) for p in written)
    assert not os.path.exists("/tmp/hfc-hub-evil.txt")


def test_fault_rules_api(hub_server):
    srv = hub_server
    with pytest.raises(ValueError):
        srv.add_fault("*", "explode")
    f = srv.add_fault("/org/x/*", "status", code=418, times=2)
    srv.create_repo("org/x")
    srv.commit("org/x", {"a.txt": b"a"})
    codes = [_http(srv, "GET", srv.url("org/x", "a.txt"))[0] for _ in range(3)]
    assert codes == [418, 418, 200] and f.hits == 2 and not f.active
    srv.clear_faults()
    assert srv.faults.rules == []


def test_fault_gzip_like_the_hub_cdn(model_repo, tmp_path):
    """Text served gzip-compressed and chunked (no Content-Length), as the Hub does for some files."""
    srv = model_repo[0]
    cfg = srv.read_file("org/model", "config.json")
    f = srv.add_fault("*/config.json", "gzip")
    import gzip
    st, h, body = _http(srv, "GET", srv.url("org/model", "config.json"), {"Accept-Encoding": "gzip"})
    assert st == 200 and h["content-encoding"] == "gzip" and "content-length" not in h
    assert gzip.decompress(body) == cfg
    st, h, body = _http(srv, "GET", srv.url("org/model", "config.json"))     # no gzip accepted: identity
    assert body == cfg and "content-encoding" not in h
    out = run_hf_json(_FETCH + 'print(json.dumps(fetch("config.json")))', hub_env(srv, tmp_path / "home"))
    assert out["sha256"] == _sha256(cfg) and f.hits == 2


# ---------------------------------------------------------------------------- server-side behaviour

def test_commit_from_local_path_and_lfs_override(hub_server, tmp_path):
    srv = hub_server
    src = tmp_path / "weights.gguf"
    src.write_bytes(os.urandom(70_000))
    txt = tmp_path / "notes.md"
    txt.write_bytes(b"# notes\n")
    srv.create_repo("org/paths")
    srv.commit("org/paths", {"weights.gguf": src, "notes.md": txt, "forced.txt": b"lfs anyway\n",
                             "zeros.dat": b"\0" * 10}, lfs=None)
    assert srv.file_info("org/paths", "weights.gguf")["lfs"] and not srv.file_info("org/paths", "notes.md")["lfs"]
    assert srv.file_info("org/paths", "zeros.dat")["lfs"]          # binary sample: LFS, like the Hub
    assert srv.read_file("org/paths", "weights.gguf") == src.read_bytes()
    srv.commit("org/paths", {"forced.txt": b"lfs anyway\n"}, lfs={"forced.txt"})
    fi = srv.file_info("org/paths", "forced.txt")
    assert fi["lfs"] and fi["sha256"] == _sha256(b"lfs anyway\n")
    srv.commit("org/paths", delete=["forced.txt"])
    assert "forced.txt" not in srv.list_files("org/paths")


def test_raw_commit_and_lfs_endpoints(hub_server):
    import base64
    import json
    srv = hub_server
    srv.create_repo(f"{USER}/raw")
    url = f"{srv.endpoint}/api/models/{USER}/raw/commit/main"
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/x-ndjson"}

    def ndjson(*ops, parent=None):
        head = {"summary": "s", "description": ""}
        if parent:
            head["parentCommit"] = parent
        items = [{"key": "header", "value": head}] + list(ops)
        return b"".join(json.dumps(i).encode() + b"\n" for i in items)

    def add(path, data):
        return {"key": "file", "value": {"path": path, "content": base64.b64encode(data).decode(), "encoding": "base64"}}
    st, _, body = _http(srv, "POST", url, auth, ndjson(add("ok.txt", b"ok")))
    good = json.loads(body)["commitOid"]
    assert st == 200 and srv.resolve(f"{USER}/raw") == good
    for path in ("../x", "/abs", "a\\b", "a//b", ""):
        st, h, _ = _http(srv, "POST", url, auth, ndjson(add(path, b"x")))
        assert st == 400, path
    assert _http(srv, "POST", url, {"Content-Type": "application/x-ndjson"}, ndjson(add("y", b"y")))[0] == 401
    lfs = {"key": "lfsFile", "value": {"path": "w.bin", "algo": "sha256", "oid": "ab" * 32}}
    assert _http(srv, "POST", url, auth, ndjson(lfs))[0] == 422
    assert _http(srv, "POST", url, auth, ndjson(add("z", b"z"), parent="0" * 40))[0] == 412
    st, h, _ = _http(srv, "POST", url, auth, ndjson({"key": "deletedFile", "value": {"path": "nope"}}))
    assert (st, h["x-error-code"]) == (404, "EntryNotFound")
    assert srv.resolve(f"{USER}/raw") == good            # failed commits changed nothing
    # LFS batch: upload a basic object through the CDN, verify, then ask to download it
    data = os.urandom(1000)
    oid = _sha256(data)
    batch = f"{srv.endpoint}/{USER}/raw.git/info/lfs/objects/batch"
    req = {"operation": "upload", "transfers": ["basic"], "objects": [{"oid": oid, "size": len(data)}]}
    st, _, body = _http(srv, "POST", batch, auth, json.dumps(req).encode())
    obj = json.loads(body)["objects"][0]
    put = obj["actions"]["upload"]["href"]
    assert st == 200 and put.startswith(srv.cdn_endpoint)
    assert _http(srv, "PUT", put, {}, data[:-1] + b"!")[0] == 400      # wrong bytes are refused
    assert _http(srv, "PUT", put, {}, data)[0] == 200
    verify = obj["actions"]["verify"]["href"]
    assert _http(srv, "POST", verify, auth, json.dumps({"oid": oid, "size": len(data)}).encode())[0] == 200
    st, _, body = _http(srv, "POST", batch, auth, json.dumps(req).encode())
    assert "actions" not in json.loads(body)["objects"][0]               # already stored: nothing to upload
    req["operation"] = "download"
    href = json.loads(_http(srv, "POST", batch, auth, json.dumps(req).encode())[2])["objects"][0]["actions"]["download"]["href"]
    assert _http(srv, "GET", href)[2] == data
    lfs["value"]["oid"] = oid
    assert _http(srv, "POST", url, auth, ndjson(lfs))[0] == 200
    assert srv.read_file(f"{USER}/raw", "w.bin") == data and srv.file_info(f"{USER}/raw", "w.bin")["lfs"]


def test_concurrent_clients_one_blob(model_repo, tmp_path):
    """8 huggingface_hub processes fetch the same LFS file into one cache at once."""
    import subprocess
    import sys
    srv, files = model_repo[0], model_repo[1]
    env = hub_env(srv, tmp_path / "home")
    code = "from huggingface_hub import hf_hub_download; print(hf_hub_download('org/model', 'big.dat'))"
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(8)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-2000:] for o in outs]
    paths = {o[0].decode().strip() for o in outs}
    assert len(paths) == 1
    blobs = list((tmp_path / "home" / "hub" / "models--org--model" / "blobs").iterdir())
    assert [b.name for b in blobs] == [_sha256(files["big.dat"])] and blobs[0].read_bytes() == files["big.dat"]


def test_special_file_names(hub_server, tmp_path):
    srv = hub_server
    files = {"dir with space/naïve ü.txt": b"unicode\n", "a+b=c&d%20e.json": b"{}\n", "#hash?.txt": b"q\n",
             "deep/er/w 1.safetensors": os.urandom(5000)}
    srv.create_repo("org/names")
    srv.create_branch("org/names", "feature/x")
    sha = srv.commit("org/names", files, revision="feature/x")
    out = run_hf_json("""
import json, hashlib
from huggingface_hub import hf_hub_download, list_repo_files
names = list_repo_files("org/names", revision="feature/x")
print(json.dumps({n: hashlib.sha256(open(hf_hub_download("org/names", n, revision="feature/x"), "rb").read()).hexdigest()
                  for n in names}))
""", hub_env(srv, tmp_path / "home"))
    assert out == {p: _sha256(srv.read_file("org/names", p, revision=sha)) for p in srv.list_files("org/names", sha)}
    assert set(files) < set(out)


def test_signed_urls_expire(model_repo):
    srv = model_repo[0]
    srv.url_ttl = -10
    st, h, _ = _http(srv, "HEAD", srv.url("org/model", "model.safetensors"))
    assert st == 302 and _http(srv, "GET", h["location"])[0] == 403


def test_fault_drop_and_delay(model_repo, tmp_path):
    srv, files = model_repo[0], model_repo[1]
    data = files["model.safetensors"]
    drop = srv.add_fault("/lfs/*", "drop", times=1)
    out = run_hf_json(_FETCH + 'print(json.dumps(fetch("model.safetensors")))', hub_env(srv, tmp_path / "h1"))
    assert out["sha256"] == _sha256(data) and drop.hits == 1 and len(_cdn_gets(srv)) == 2
    # a HEAD answered by a closed connection: huggingface_hub gives up
    srv.clear_faults()
    srv.add_fault("*/resolve/*", "drop", times=1, methods="HEAD")
    r = run_hf(_FETCH + 'fetch("config.json")', hub_env(srv, tmp_path / "h2"), check=False)
    assert r.returncode != 0 and "Server disconnected without sending a response" in r.stderr
    srv.clear_faults()
    # a HEAD slower than HF_HUB_ETAG_TIMEOUT: huggingface_hub times out, then retries with a longer timeout
    slow_head = srv.add_fault("*/resolve/*", "delay", seconds=3, methods="HEAD")
    out = run_hf_json(_FETCH + 'print(json.dumps(fetch("config.json")))',
                      hub_env(srv, tmp_path / "h3", HF_HUB_ETAG_TIMEOUT=1))
    assert out["sha256"] == _sha256(srv.read_file("org/model", "config.json")) and slow_head.hits == 2


def test_hf_filesystem_ranges(model_repo, tmp_path):
    """HfFileSystem reads a slice with a Range GET that follows the 302 to the CDN."""
    srv, files = model_repo[0], model_repo[1]
    data = files["model.safetensors"]
    out = run_hf_json("""
import json
from huggingface_hub import HfFileSystem
fs = HfFileSystem()
with fs.open("org/model/model.safetensors", "rb", block_size=1000) as f:
    f.seek(5000)
    part = f.read(3000)
print(json.dumps({"part": part.hex(), "ls": sorted(fs.ls("org/model", detail=False))}))
""", hub_env(srv, tmp_path / "home"))
    assert bytes.fromhex(out["part"]) == data[5000:8000]
    assert out["ls"] == sorted(f"org/model/{p}" for p in (".gitattributes", "big.dat", "config.json",
                                                          "model.safetensors", "sub"))
    ranged = [r for r in _cdn_gets(srv) if "range" in r.headers]
    assert ranged and all(r.headers["range"].startswith("bytes=") for r in ranged)


def test_spawned_server_process(model_repo, tmp_path):
    """The same store served from another process (for benchmarks): huggingface_hub downloads from it."""
    from hub_util import spawn_hub_server
    srv, files = model_repo[0], model_repo[1]
    with spawn_hub_server(srv.store.root) as other:
        assert other.port != srv.port
        out = run_hf_json(_FETCH + 'print(json.dumps([fetch("model.safetensors", revision="v1"), fetch("config.json")]))',
                          hub_env(other, tmp_path / "home"))
    assert out[0]["sha256"] == _sha256(files["model.safetensors"])
    assert out[1]["sha256"] == _sha256(srv.read_file("org/model", "config.json"))
    assert other.proc.returncode == 0


@pytest.mark.parametrize("scope", ["module", "session"])
def test_shared_fixtures(scope, request):
    srv = request.getfixturevalue(f"hub_server_{scope}")
    srv.create_repo(f"org/shared-{scope}", exist_ok=True)
    st, h, body = _http(srv, "GET", f"{srv.endpoint}/api/whoami-v2", {"Authorization": f"Bearer {TOKEN}"})
    assert st == 200 and b'"name": "%s"' % USER.encode() in body
    assert _http(srv, "GET", f"{srv.endpoint}/api/whoami-v2")[0] == 401
    assert _http(srv, "GET", f"{srv.endpoint}/api/models/org/shared-{scope}")[0] == 200


def test_existence_and_paths_info(model_repo, tmp_path):
    srv, files, c1, c2 = model_repo
    out = run_hf_json("""
import json
from huggingface_hub import HfApi
api = HfApi()
info = api.get_paths_info("org/model", ["model.safetensors", "sub", "nope"], expand=True, revision="v1")
print(json.dumps({
  "exists": [api.file_exists("org/model", "sub/dir/notes.txt"), api.file_exists("org/model", "nope"),
             api.repo_exists("org/model"), api.repo_exists("org/nope"),
             api.revision_exists("org/model", "dev"), api.revision_exists("org/model", "nope")],
  "info": [[i.path, type(i).__name__, i.last_commit.oid, getattr(i, "blob_id", None) or i.tree_id] for i in info],
}))
""", hub_env(srv, tmp_path / "home"))
    assert out["exists"] == [True, False, True, False, True, False]
    assert [i[:3] for i in out["info"]] == [["model.safetensors", "RepoFile", c1], ["sub", "RepoFolder", c1]]
    assert out["info"][0][3] == srv.file_info("org/model", "model.safetensors", revision=c1)["oid"]


def test_write_permissions(hub_server):
    import json
    srv = hub_server
    srv.tokens.update({"hf_alice": "alice", "hf_bob": "bob"})
    srv.create_repo("alice/pub", token="hf_alice")
    srv.create_repo("alice/priv", private=True, token="hf_alice")
    body = b'{"key": "header", "value": {"summary": "s"}}\n'

    def commit(repo, token):
        hdrs = {"Content-Type": "application/x-ndjson"}
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        st, h, _ = _http(srv, "POST", f"{srv.endpoint}/api/models/{repo}/commit/main", hdrs, body)
        return st, h.get("x-error-code")
    assert commit("alice/pub", "hf_alice")[0] == 200
    assert commit("alice/pub", "hf_bob") == (403, None)
    assert commit("alice/pub", None) == (401, None)
    assert commit("alice/priv", "hf_bob") == (404, "RepoNotFound")
    srv.grant_access("alice/pub", "bob")
    assert commit("alice/pub", "hf_bob")[0] == 200
    create = json.dumps({"name": "new", "organization": "alice", "type": "model"}).encode()
    assert _http(srv, "POST", f"{srv.endpoint}/api/repos/create", {}, create)[0] == 401
    assert _http(srv, "DELETE", f"{srv.endpoint}/api/repos/delete", {"Authorization": "Bearer hf_bob"},
                 json.dumps({"name": "priv", "organization": "alice"}).encode())[0] == 404
