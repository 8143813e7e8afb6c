"""hfc.hub downloads against the Hub-compatible test server, compared with huggingface_hub.

Parity is the cache itself: the same calls made by huggingface_hub (in a fresh interpreter)
and by hfc.hub must leave byte-identical cache trees, and each client must find offline
what the other downloaded.
"""
import json
import os

import pytest

from hub_util import TOKEN, hub_env, hub_server, run_hf, run_hf_json  # noqa: F401
from hub_client_util import cache_listing, hfc_env, make_model_repo, sha256  # noqa: F401

import huggingface_hub  # noqa: F401 (test extra)
from hfc import hub  # noqa: E402

_CALLS = """
import json
from huggingface_hub import hf_hub_download, snapshot_download
r = {}
for rev in ("main", "v1", "dev", "%(c1)s"):
    for f in ("config.json", "model.safetensors", "big.dat"):
        r[rev + ":" + f] = hf_hub_download("org/model", f, revision=rev)
r["sub"] = hf_hub_download("org/model", "notes.txt", subfolder="sub/dir")
try:
    hf_hub_download("org/model", "missing.txt")
except Exception as e:
    r["missing"] = type(e).__name__
r["snap"] = snapshot_download("org/model", allow_patterns=["*.json", "sub/*"])
print(json.dumps(r))
"""


def _hfc_calls(c1):
    r = {}
    for rev in ("main", "v1", "dev", c1):
        for f in ("config.json", "model.safetensors", "big.dat"):
            r[rev + ":" + f] = hub.hf_hub_download("org/model", f, revision=rev)
    r["sub"] = hub.hf_hub_download("org/model", "notes.txt", subfolder="sub/dir")
    try:
        hub.hf_hub_download("org/model", "missing.txt")
    except Exception as e:
        r["missing"] = type(e).__name__
    r["snap"] = hub.snapshot_download("org/model", allow_patterns=["*.json", "sub/*"])
    return r


def test_cache_is_byte_identical_to_huggingface_hub(hub_server, hfc_env, tmp_path):
    files, c1, c2 = make_model_repo(hub_server)
    ref = run_hf_json(_CALLS % {"c1": c1}, hub_env(hub_server, tmp_path / "hf"))
    home = hfc_env(hub_server, tmp_path / "hfc")
    got = _hfc_calls(c1)
    rel = lambda d, root: {k: (os.path.relpath(v, root) if os.path.isabs(str(v)) else v) for k, v in d.items()}
    assert rel(got, tmp_path / "hfc") == rel(ref, tmp_path / "hf")
    want_tree = cache_listing(tmp_path / "hf" / "hub")
    got_tree = cache_listing(home / "hub")
    assert got_tree == want_tree
    # and the content is the server's
    for rev, commit in (("main", c2), ("v1", c1), ("dev", c1)):
        for f in ("config.json", "model.safetensors", "big.dat"):
            with open(got[f"{rev}:{f}"], "rb") as fh:
                assert fh.read() == hub_server.read_file("org/model", f, revision=commit)


def test_hfc_reads_what_huggingface_hub_downloaded_offline(hub_server, hfc_env, tmp_path):
    files, c1, c2 = make_model_repo(hub_server)
    home = tmp_path / "shared"
    ref = run_hf_json("""
import json
from huggingface_hub import hf_hub_download, snapshot_download
print(json.dumps({"f": hf_hub_download("org/model", "model.safetensors", revision="v1"),
                  "s": snapshot_download("org/model")}))
""", hub_env(hub_server, home))
    hfc_env(hub_server, home, HF_HUB_OFFLINE="1")
    hub_server.clear_requests()
    assert hub.hf_hub_download("org/model", "model.safetensors", revision="v1", local_files_only=True) == ref["f"]
    assert hub.snapshot_download("org/model", local_files_only=True) == ref["s"]
    assert hub.hf_hub_download("org/model", "big.dat") == os.path.join(ref["s"], "big.dat")
    assert hub_server.requests == []
    with pytest.raises(hub.LocalEntryNotFoundError):
        hub.hf_hub_download("org/model", "model.safetensors", revision="dev-missing", local_files_only=True)


def test_huggingface_hub_reads_what_hfc_downloaded_offline(hub_server, hfc_env, tmp_path):
    files, c1, c2 = make_model_repo(hub_server)
    home = hfc_env(hub_server, tmp_path / "shared")
    f = hub.hf_hub_download("org/model", "model.safetensors", revision="v1")
    s = hub.snapshot_download("org/model")
    hub_server.clear_requests()
    out = run_hf_json("""
import json
from huggingface_hub import hf_hub_download, snapshot_download, try_to_load_from_cache, scan_cache_dir
r = {"f": hf_hub_download("org/model", "model.safetensors", revision="v1", local_files_only=True),
     "s": snapshot_download("org/model", local_files_only=True),
     "t": try_to_load_from_cache("org/model", "config.json")}
info = scan_cache_dir()
r["warnings"] = [str(w) for w in info.warnings]
r["nb_files"] = sum(rev.nb_files for repo in info.repos for rev in repo.revisions)
print(json.dumps(r))
""", hub_env(hub_server, home, HF_HUB_OFFLINE="1"))
    assert out["f"] == f and out["s"] == s and out["t"] == os.path.join(s, "config.json")
    assert out["warnings"] == [] and out["nb_files"] >= 5
    assert hub_server.requests == []


def test_revisions_refs_and_commit_shortcut(hub_server, hfc_env, tmp_path):
    files, c1, c2 = make_model_repo(hub_server)
    home = hfc_env(hub_server)
    storage = home / "hub" / "models--org--model"
    for rev, commit in (("main", c2), ("v1", c1), ("dev", c1)):
        p = hub.hf_hub_download("org/model", "config.json", revision=rev)
        assert f"/snapshots/{commit}/" in p
        assert (storage / "refs" / rev).read_text() == commit
    hub_server.clear_requests()
    hub.hf_hub_download("org/model", "config.json", revision=c1)  # commit + cached: no request at all
    assert hub_server.requests == []


def test_errors_have_huggingface_hub_names(hub_server, hfc_env, tmp_path):
    files, c1, c2 = make_model_repo(hub_server)
    ref = run_hf_json("""
import json
from huggingface_hub import hf_hub_download, snapshot_download, HfApi
def kind(f):
    try:
        f(); return "ok"
    except Exception as e:
        return type(e).__name__ + ":" + str(getattr(getattr(e, "response", None), "status_code", ""))
print(json.dumps({
  "repo": kind(lambda: hf_hub_download("org/missing", "config.json")),
  "rev": kind(lambda: hf_hub_download("org/model", "config.json", revision="nope")),
  "entry": kind(lambda: hf_hub_download("org/model", "missing.txt")),
  "snap_repo": kind(lambda: snapshot_download("org/missing")),
  "snap_rev": kind(lambda: snapshot_download("org/model", revision="nope")),
  "info": kind(lambda: HfApi().model_info("org/missing")),
  "offline": kind(lambda: hf_hub_download("org/model", "never.txt", local_files_only=True)),
}))
""", hub_env(hub_server, tmp_path / "hf"))
    hfc_env(hub_server)

    def kind(f):
        try:
            f()
            return "ok"
        except Exception as e:
            return type(e).__name__ + ":" + str(getattr(getattr(e, "response", None), "status_code", ""))
    got = {
        "repo": kind(lambda: hub.hf_hub_download("org/missing", "config.json")),
        "rev": kind(lambda: hub.hf_hub_download("org/model", "config.json", revision="nope")),
        "entry": kind(lambda: hub.hf_hub_download("org/model", "missing.txt")),
        "snap_repo": kind(lambda: hub.snapshot_download("org/missing")),
        "snap_rev": kind(lambda: hub.snapshot_download("org/model", revision="nope")),
        "info": kind(lambda: hub.model_info("org/missing")),
        "offline": kind(lambda: hub.hf_hub_download("org/model", "never.txt", local_files_only=True)),
    }
    assert got == ref
    import huggingface_hub.errors as hfe
    with pytest.raises(hfe.RemoteEntryNotFoundError):
        hub.hf_hub_download("org/model", "missing.txt")
    with pytest.raises(hfe.EntryNotFoundError):
        hub.hf_hub_download("org/model", "missing.txt")
    with pytest.raises(hfe.LocalEntryNotFoundError):
        hub.hf_hub_download("org/model", "never.txt", local_files_only=True)


def test_private_gated_tokens_and_token_file(hub_server, hfc_env, tmp_path):
    srv = hub_server
    srv.tokens["hf_alice"] = "alice"
    srv.tokens["hf_other"] = "someone-else"
    srv.create_repo("alice/private", private=True)
    srv.commit("alice/private", {"secret.txt": b"secret\n"})
    srv.create_repo("org/gated", gated=True)
    srv.lfs_threshold = 1000
    srv.commit("org/gated", {"weights.bin": os.urandom(5000)})
    srv.grant_access("org/gated", "alice")
    code = """
import json
from huggingface_hub import hf_hub_download
def kind(f):
    try:
        f(); return "ok"
    except Exception as e:
        return type(e).__name__ + ":" + str(getattr(getattr(e, "response", None), "status_code", ""))
print(json.dumps({"private": kind(lambda: hf_hub_download("alice/private", "secret.txt")),
                  "gated": kind(lambda: hf_hub_download("org/gated", "weights.bin"))}))
"""

    def hfc_kind(f):
        try:
            f()
            return "ok"
        except Exception as e:
            return type(e).__name__ + ":" + str(getattr(getattr(e, "response", None), "status_code", ""))
    for who, token in (("anon", None), ("other", "hf_other"), ("alice", "hf_alice"), ("bad", "hf_nope")):
        ref = run_hf_json(code, hub_env(srv, tmp_path / f"hf-{who}", token=token))
        hfc_env(srv, tmp_path / f"hfc-{who}", token=token)
        if token is None:
            os.environ.pop("HF_TOKEN", None)
        got = {"private": hfc_kind(lambda: hub.hf_hub_download("alice/private", "secret.txt")),
               "gated": hfc_kind(lambda: hub.hf_hub_download("org/gated", "weights.bin"))}
        assert got == ref, who
    # the token file ($HF_HOME/token) is used when HF_TOKEN is unset
    os.environ.pop("HF_TOKEN", None)
    home = hfc_env(srv, tmp_path / "tokfile")
    home.mkdir(parents=True, exist_ok=True)
    (home / "token").write_text("hf_alice\n")
    srv.clear_requests()
    p = hub.hf_hub_download("org/gated", "weights.bin")
    assert open(p, "rb").read() == srv.read_file("org/gated", "weights.bin")
    # the token went to the hub, never to the CDN (the LFS file was served through a 302)
    reqs = srv.requests
    assert any(r.headers.get("authorization") == "Bearer hf_alice" for r in reqs)
    cdn = [r for r in reqs if r.host.endswith(f":{srv.cdn_port}")]
    assert cdn and not any("authorization" in r.headers for r in cdn)


def test_snapshot_patterns_and_dataset_parity(hub_server, hfc_env, tmp_path):
    srv = hub_server
    srv.create_repo("org/data", repo_type="dataset")
    files = {f"data/part-{i}.jsonl": f'{{"i": {i}}}\n'.encode() for i in range(12)}
    files.update({"README.md": b"---\nlicense: mit\n---\n# data\n", "extra/a.csv": b"a\n1\n", "x.parquet": os.urandom(2000)})
    srv.commit("org/data", files, repo_type="dataset")
    cases = [dict(), dict(allow_patterns="data/*"), dict(allow_patterns=["*.md", "extra/"]),
             dict(ignore_patterns=["data/part-1*"]), dict(allow_patterns="*.jsonl", ignore_patterns="*-3.jsonl")]
    ref = run_hf_json("""
import json, os
from huggingface_hub import snapshot_download
out = []
for i, kw in enumerate(%r):
    d = snapshot_download("org/data", repo_type="dataset", cache_dir="%s/cache%%d" %% i, **kw)
    out.append(sorted(os.path.relpath(os.path.join(a, f), d) for a, _, fs in os.walk(d) for f in fs))
print(json.dumps(out))
""" % (cases, tmp_path), hub_env(srv, tmp_path / "hf"))
    hfc_env(srv)
    got = []
    for i, kw in enumerate(cases):
        d = hub.snapshot_download("org/data", repo_type="dataset", cache_dir=str(tmp_path / f"hfc{i}"), **kw)
        got.append(sorted(os.path.relpath(os.path.join(a, f), d) for a, _, fs in os.walk(d) for f in fs))
    assert got == ref
    assert hub.list_repo_files("org/data", repo_type="dataset") == sorted(files) or \
        sorted(hub.list_repo_files("org/data", repo_type="dataset")) == sorted(list(files) + [".gitattributes"])


def test_list_files_pagination_info_and_file_exists(hub_server, hfc_env, tmp_path):
    srv = hub_server
    srv.page_size = 4
    srv.create_repo("org/many")
    files = {f"f{i:02d}/x.txt": f"{i}\n".encode() for i in range(11)}
    sha = srv.commit("org/many", files)
    ref = run_hf_json("""
import json
from huggingface_hub import HfApi
api = HfApi()
i = api.model_info("org/many")
print(json.dumps({"files": api.list_repo_files("org/many"), "sha": i.sha,
                  "sib": sorted(s.rfilename for s in i.siblings),
                  "exists": [api.file_exists("org/many", "f03/x.txt"), api.file_exists("org/many", "nope")]}))
""", hub_env(srv, tmp_path / "hf"))
    hfc_env(srv)
    info = hub.model_info("org/many")
    got = {"files": hub.list_repo_files("org/many"), "sha": info.sha, "sib": sorted(s.rfilename for s in info.siblings),
           "exists": [hub.file_exists("org/many", "f03/x.txt"), hub.file_exists("org/many", "nope")]}
    assert got == ref and got["sha"] == sha
    api = hub.HfApi(endpoint=srv.endpoint)  # the same calls through the HfApi shape
    info = api.model_info("org/many")
    assert {"files": api.list_repo_files("org/many"), "sha": info.sha,
            "sib": sorted(s.rfilename for s in info.siblings),
            "exists": [api.file_exists("org/many", "f03/x.txt"), api.file_exists("org/many", "nope")]} == ref
    pages = [r for r in srv.requests if "/tree/" in r.path]
    assert len(pages) >= 3  # Link rel="next" pagination followed


def test_local_dir_parity(hub_server, hfc_env, tmp_path):
    files, c1, c2 = make_model_repo(hub_server)
    ref = run_hf_json("""
import json
from huggingface_hub import hf_hub_download, snapshot_download
print(json.dumps([hf_hub_download("org/model", "big.dat", local_dir="%(t)s/one"),
                  snapshot_download("org/model", local_dir="%(t)s/all", allow_patterns=["*.json", "sub/*"])]))
""" % {"t": tmp_path}, hub_env(hub_server, tmp_path / "hf"))
    hfc_env(hub_server)
    got = [hub.hf_hub_download("org/model", "big.dat", local_dir=str(tmp_path / "one-hfc")),
           hub.snapshot_download("org/model", local_dir=str(tmp_path / "all-hfc"), allow_patterns=["*.json", "sub/*"])]
    assert got == [ref[0].replace("/one/", "/one-hfc/"), ref[1] + "-hfc"]

    def listing(d):  # metadata files hold a timestamp, lock files may be left or not
        return {k: v for k, v in cache_listing(d).items() if not k.endswith((".metadata", ".lock"))}
    for a, b in (("one", "one-hfc"), ("all", "all-hfc")):
        assert listing(tmp_path / b) == listing(tmp_path / a)
        metas = sorted(os.path.relpath(os.path.join(d, f), tmp_path / b)
                       for d, _, fs in os.walk(tmp_path / b) for f in fs if f.endswith(".metadata"))
        assert metas == sorted(os.path.relpath(os.path.join(d, f), tmp_path / a)
                               for d, _, fs in os.walk(tmp_path / a) for f in fs if f.endswith(".metadata"))
        for m in metas:  # commit, etag, timestamp: the same two first lines as huggingface_hub's
            assert open(tmp_path / b / m).read().splitlines()[:2] == open(tmp_path / a / m).read().splitlines()[:2]
    # huggingface_hub accepts hfc's local_dir as up to date, offline
    out = run_hf_json("""
import json
from huggingface_hub import hf_hub_download
print(json.dumps(hf_hub_download("org/model", "big.dat", local_dir="%s", local_files_only=True)))
""" % (tmp_path / "one-hfc"), hub_env(hub_server, tmp_path / "hf"))
    assert out == got[0]


def test_disable_symlinks_copies(hub_server, hfc_env, tmp_path):
    files, c1, c2 = make_model_repo(hub_server)
    ref = run_hf_json("""
import json
from huggingface_hub import snapshot_download
print(json.dumps(snapshot_download("org/model")))
""", hub_env(hub_server, tmp_path / "hf", HF_HUB_DISABLE_SYMLINKS="1"))
    home = hfc_env(hub_server, tmp_path / "hfc", HF_HUB_DISABLE_SYMLINKS="1")
    got = hub.snapshot_download("org/model")
    for p in ("config.json", "big.dat", "sub/dir/notes.txt"):
        assert not os.path.islink(os.path.join(got, p))
        assert open(os.path.join(got, p), "rb").read() == open(os.path.join(ref, p), "rb").read()
    assert os.path.relpath(got, home) == os.path.relpath(ref, tmp_path / "hf")


def test_refused_paths(hub_server, hfc_env):
    files, c1, c2 = make_model_repo(hub_server)
    hfc_env(hub_server)
    for bad in ("../x", "/etc/passwd", "a\\b", "a/../../b"):
        with pytest.raises(ValueError, match="escapes the repo folder"):
            hub.hf_hub_download("org/model", bad)
    for evil in ("../../evil.txt", "/tmp/evil.txt", "sub\\..\\..\\evil.txt"):
        hub_server.clear_faults()
        hub_server.add_fault("*", "escape", path=evil)
        with pytest.raises(ValueError, match="escapes the repo folder"):
            hub.snapshot_download("org/model", force_download=True)


def test_transformers_loads_what_hfc_downloaded(hub_server, hfc_env, tmp_path):
    import transformers
    import torch
    cfg = transformers.BertConfig(vocab_size=99, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                                  intermediate_size=32, max_position_embeddings=64)
    torch.manual_seed(0)
    model = transformers.BertModel(cfg)
    src = tmp_path / "saved"
    model.save_pretrained(src)
    hub_server.lfs_threshold = 100_000
    hub_server.create_repo("org/tiny-bert")
    hub_server.commit("org/tiny-bert", {p.name: p.read_bytes() for p in src.iterdir()})
    home = hfc_env(hub_server)
    hub.snapshot_download("org/tiny-bert")
    out = run_hf_json("""
import json, torch, transformers
m = transformers.BertModel.from_pretrained("org/tiny-bert", local_files_only=True)
ids = torch.tensor([[1, 5, 7, 9]])
print(json.dumps(m(ids).last_hidden_state.sum().item()))
""", hub_env(hub_server, home, HF_HUB_OFFLINE="1"))
    ids = torch.tensor([[1, 5, 7, 9]])
    with torch.no_grad():
        want = model.eval()(ids).last_hidden_state.sum().item()
    assert abs(out - want) < 1e-4


def test_progress_bars(hub_server, hfc_env, monkeypatch):
    files, c1, c2 = make_model_repo(hub_server)
    hfc_env(hub_server)
    seen = []

    class Bar:
        def __init__(self, total=None, **kw):
            self.total, self.n = total, 0
            seen.append(self)

        def update(self, n):
            self.n += n

        def close(self):
            pass
    hub.hf_hub_download("org/model", "big.dat", tqdm_class=Bar)
    assert seen == []  # HF_HUB_DISABLE_PROGRESS_BARS=1 (set by hfc_env)
    monkeypatch.delenv("HF_HUB_DISABLE_PROGRESS_BARS")
    hub.hf_hub_download("org/model", "model.safetensors", tqdm_class=Bar)
    hub.snapshot_download("org/model", tqdm_class=Bar)
    assert len(seen) == 2
    assert seen[0].total == seen[0].n == len(files["model.safetensors"])
    # the snapshot bar counts every byte fetched: the files not cached yet
    assert seen[1].total == seen[1].n >= len(files["tokenizer.json"]) + len(files["sub/dir/notes.txt"]) > 0


def test_runs_without_huggingface_hub(hub_server, tmp_path):
    files, c1, c2 = make_model_repo(hub_server)
    env = hub_env(hub_server, tmp_path / "home")
    env["PYTHONPATH"] = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python")
    out = run_hf_json("""
import sys, json
sys.modules["huggingface_hub"] = None          # import fails: hfc must not need it
from hfc import hub
p = hub.hf_hub_download("org/model", "config.json")
try:
    hub.hf_hub_download("org/model", "missing.txt")
except hub.EntryNotFoundError as e:
    kind = [type(e).__name__, isinstance(e, OSError), e.response.status_code]
print(json.dumps([open(p).read(), kind]))
""", env)
    assert out == [files["config.json"].decode().replace("8", "16"), ["RemoteEntryNotFoundError", True, 404]]


def test_duplicate_contents_renamed_repo_and_hub_cache_env(hub_server, hfc_env, tmp_path):
    srv = hub_server
    srv.lfs_threshold = 1000
    srv.create_repo("org/dups")
    same_lfs = os.urandom(5000)
    srv.commit("org/dups", {"a.txt": b"same\n", "b/a.txt": b"same\n", "w1.bin": same_lfs, "w2.bin": same_lfs})
    ref = run_hf_json("""
import json
from huggingface_hub import snapshot_download
print(json.dumps(snapshot_download("org/dups")))
""", hub_env(srv, tmp_path / "hf"))
    hfc_env(srv, tmp_path / "hfc", HF_HUB_CACHE=str(tmp_path / "hfc-cache"))
    got = hub.snapshot_download("org/dups")
    assert got.startswith(str(tmp_path / "hfc-cache"))
    assert cache_listing(tmp_path / "hfc-cache") == cache_listing(tmp_path / "hf" / "hub")
    assert os.path.relpath(got, tmp_path / "hfc-cache") == os.path.relpath(ref, tmp_path / "hf" / "hub")
    # a renamed repo answers the old name with a relative redirect, which HEAD follows
    srv.rename_repo("org/dups", "org/renamed")
    p = hub.hf_hub_download("org/dups", "w1.bin", force_download=True)
    assert open(p, "rb").read() == same_lfs


def test_unreachable_endpoint_falls_back_to_the_cache(hub_server, hfc_env, tmp_path):
    files, c1, c2 = make_model_repo(hub_server)
    home = hfc_env(hub_server, tmp_path / "shared")
    f = hub.hf_hub_download("org/model", "config.json")
    s = hub.snapshot_download("org/model", allow_patterns="*.json")
    dead = "http://127.0.0.1:9"  # discard port: connection refused
    code = """
import json
from huggingface_hub import hf_hub_download, snapshot_download
def kind(fn):
    try:
        return fn()
    except Exception as e:
        return type(e).__name__
print(json.dumps([kind(lambda: hf_hub_download("org/model", "config.json")),
                  kind(lambda: snapshot_download("org/model")),
                  kind(lambda: hf_hub_download("org/model", "big.dat")),
                  kind(lambda: snapshot_download("org/other"))]))
"""
    ref = run_hf_json(code, dict(hub_env(hub_server, home), HF_ENDPOINT=dead))
    os.environ["HF_ENDPOINT"] = dead

    def kind(fn):
        try:
            return fn()
        except Exception as e:
            return type(e).__name__
    got = [kind(lambda: hub.hf_hub_download("org/model", "config.json")),
           kind(lambda: hub.snapshot_download("org/model")),
           kind(lambda: hub.hf_hub_download("org/model", "big.dat")),
           kind(lambda: hub.snapshot_download("org/other"))]
    assert got == ref == [f, "IncompleteSnapshotError", "LocalEntryNotFoundError", "LocalEntryNotFoundError"]
    assert hub.snapshot_download("org/model", allow_patterns="*.json") == s  # complete for these patterns


def test_force_download_and_argument_errors(hub_server, hfc_env, tmp_path):
    files, c1, c2 = make_model_repo(hub_server)
    ref = run_hf_json("""
import json
from huggingface_hub import hf_hub_download
def kind(fn):
    try:
        fn(); return "ok"
    except Exception as e:
        return type(e).__name__
p = hf_hub_download("org/model", "big.dat")
print(json.dumps([kind(lambda: hf_hub_download("org/model", "big.dat", force_download=True)),
                  kind(lambda: hf_hub_download("org/model", "big.dat", force_download=True, local_files_only=True)),
                  kind(lambda: hf_hub_download("org/model", "big.dat", repo_type="nope"))]))
""", hub_env(hub_server, tmp_path / "hf"))
    hfc_env(hub_server)

    def kind(fn):
        try:
            fn()
            return "ok"
        except Exception as e:
            return type(e).__name__
    p = hub.hf_hub_download("org/model", "big.dat")
    hub_server.clear_requests()
    got = [kind(lambda: hub.hf_hub_download("org/model", "big.dat", force_download=True)),
           kind(lambda: hub.hf_hub_download("org/model", "big.dat", force_download=True, local_files_only=True)),
           kind(lambda: hub.hf_hub_download("org/model", "big.dat", repo_type="nope"))]
    assert got == ref
    assert any(r.method == "GET" and "/lfs/" in r.path for r in hub_server.requests)  # really fetched again
    assert open(p, "rb").read() == files["big.dat"]


def test_tokenizer_from_pretrained_through_the_hub(hub_server, hfc_env, tokenizer_json_path):
    """hfc.tokenizers.Tokenizer.from_pretrained(repo_id) downloads tokenizer.json into the shared
    cache: ids equal HF tokenizers' on the same file, and huggingface_hub finds it offline."""
    import tokenizers
    from hfc.tokenizers import Tokenizer
    src = tokenizer_json_path("qwen3")
    data = open(src, "rb").read()
    hub_server.create_repo("org/tok")
    commit = hub_server.commit("org/tok", {"tokenizer.json": data})
    home = hfc_env(hub_server)
    tok = Tokenizer.from_pretrained("org/tok")
    ref = tokenizers.Tokenizer.from_file(str(src))
    texts = ["Hello world!", "déjà vu 123 — 你好", "  spaces\n\nand tabs\t"]
    for t in texts:
        assert tok.encode(t).ids == ref.encode(t).ids
    with pytest.raises(hub.RepositoryNotFoundError):
        Tokenizer.from_pretrained("org/absent")
    out = run_hf_json("""
import json
from huggingface_hub import hf_hub_download
print(json.dumps(hf_hub_download("org/tok", "tokenizer.json", local_files_only=True)))
""", hub_env(hub_server, home, HF_HUB_OFFLINE="1"))
    assert open(out, "rb").read() == data and commit in out
