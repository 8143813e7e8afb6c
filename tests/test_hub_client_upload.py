"""hfc.hub uploads and model cards, compared with huggingface_hub on the same test server."""
import json
import os

import pytest

from hub_util import TOKEN, hub_env, hub_server, run_hf, run_hf_json  # noqa: F401
from hub_client_util import hfc_env, sha256  # noqa: F401

import huggingface_hub  # noqa: F401 (test extra)
from hfc import hub  # noqa: E402


def _tree(srv, repo_id, repo_type="model"):
    """Content-addressed view of a repo head: path -> (git oid, size, lfs sha256 or None)."""
    out = {}
    for path in srv.list_files(repo_id, repo_type=repo_type):
        info = srv.file_info(repo_id, path, repo_type=repo_type)
        out[path] = (info["oid"], info["size"], info["sha256"] if info["lfs"] else None)
    return out


def _folder(tmp_path):
    root = tmp_path / "folder"
    (root / "sub" / "deep").mkdir(parents=True)
    (root / "config.json").write_bytes(b'{"hidden": 8}\n')
    (root / "sub" / "deep" / "notes.txt").write_bytes(b"deep\n")
    (root / "weights.safetensors").write_bytes(os.urandom(200_000))   # LFS by pattern
    (root / "large.bin").write_bytes(os.urandom(3 << 20))              # LFS, multipart above 1 MiB
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_bytes(b"ignored\n")
    return root


def test_uploads_match_huggingface_hub_and_download_back(hub_server, hfc_env, tmp_path):
    srv = hub_server
    srv.multipart_threshold = 1 << 20
    srv.multipart_chunk_size = 1 << 20
    root = _folder(tmp_path)
    blob = os.urandom(50_000) + b"\0"
    (tmp_path / "blob.dat").write_bytes(blob)
    run_hf(f"""
from huggingface_hub import HfApi
api = HfApi()
api.create_repo("{srv.DEFAULT_USER}/ref")
api.upload_folder(repo_id="{srv.DEFAULT_USER}/ref", folder_path="{root}")
api.upload_file(path_or_fileobj=b"single\\n", path_in_repo="single.txt", repo_id="{srv.DEFAULT_USER}/ref")
api.upload_file(path_or_fileobj="{tmp_path / 'blob.dat'}", path_in_repo="bin/blob.dat", repo_id="{srv.DEFAULT_USER}/ref")
api.delete_file("sub/deep/notes.txt", repo_id="{srv.DEFAULT_USER}/ref")
""", hub_env(srv, tmp_path / "hf", token=TOKEN))
    hfc_env(srv, token=TOKEN)
    url = hub.create_repo(f"{srv.DEFAULT_USER}/mine")
    assert url.endswith(f"/{srv.DEFAULT_USER}/mine")
    with pytest.raises(hub.HfHubHTTPError) as e:
        hub.create_repo(f"{srv.DEFAULT_USER}/mine")
    assert e.value.response.status_code == 409
    assert hub.create_repo(f"{srv.DEFAULT_USER}/mine", exist_ok=True) == url
    info = hub.upload_folder(repo_id=f"{srv.DEFAULT_USER}/mine", folder_path=str(root))
    assert len(info.oid) == 40
    hub.upload_file(path_or_fileobj=b"single\n", path_in_repo="single.txt", repo_id=f"{srv.DEFAULT_USER}/mine")
    hub.upload_file(path_or_fileobj=blob, path_in_repo="bin/blob.dat", repo_id=f"{srv.DEFAULT_USER}/mine")
    hub.delete_file("sub/deep/notes.txt", repo_id=f"{srv.DEFAULT_USER}/mine")
    mine, ref = _tree(srv, f"{srv.DEFAULT_USER}/mine"), _tree(srv, f"{srv.DEFAULT_USER}/ref")
    assert mine == ref
    assert mine["large.bin"][2] == sha256((root / "large.bin").read_bytes())  # stored as LFS
    assert any("/upload/" in r.path and r.path.count("/") >= 4 for r in srv.requests)  # multipart parts
    # huggingface_hub downloads back exactly what hfc uploaded
    got = run_hf_json(f"""
import json, hashlib, os
from huggingface_hub import snapshot_download
d = snapshot_download("{srv.DEFAULT_USER}/mine")
print(json.dumps({{os.path.relpath(os.path.join(a, f), d): hashlib.sha256(open(os.path.join(a, f), "rb").read()).hexdigest()
                  for a, _, fs in os.walk(d) for f in fs}}))
""", hub_env(srv, tmp_path / "back"))
    want = {p: sha256((root / p).read_bytes()) for p in ("config.json", "weights.safetensors", "large.bin")}
    want.update({"single.txt": sha256(b"single\n"), "bin/blob.dat": sha256(blob)})
    assert {k: v for k, v in got.items() if k != ".gitattributes"} == want


def test_fork_download_change_push(hub_server, hfc_env, tmp_path):
    srv = hub_server
    srv.lfs_threshold = 100_000
    srv.create_repo("org/base")
    srv.commit("org/base", {"config.json": b'{"layers": 2}\n', "w.bin": os.urandom(300_000)})
    hfc_env(srv, token=TOKEN)
    d = hub.snapshot_download("org/base")
    work = tmp_path / "fork"
    work.mkdir()
    for name in os.listdir(d):
        data = open(os.path.join(d, name), "rb").read()
        (work / name).write_bytes(data.replace(b"2", b"4") if name == "config.json" else data)
    hub.create_repo(f"{srv.DEFAULT_USER}/fork")
    hub.upload_folder(repo_id=f"{srv.DEFAULT_USER}/fork", folder_path=str(work))
    assert srv.read_file(f"{srv.DEFAULT_USER}/fork", "config.json") == b'{"layers": 4}\n'
    assert srv.read_file(f"{srv.DEFAULT_USER}/fork", "w.bin") == srv.read_file("org/base", "w.bin")
    assert srv.file_info(f"{srv.DEFAULT_USER}/fork", "w.bin")["lfs"]


_CARDS = [
    "---\nlicense: apache-2.0\ntags:\n- text-classification\n- hfc\nbase_model: org/base\ndatasets:\n- org/data\n"
    "pipeline_tag: text-classification\nlibrary_name: transformers\n---\n\n# My model\n\nSome text.\n",
    "---\nlanguage: en\nlicense: mit\n---\n# Title\n",
    "# No metadata at all\n",
    "---\r\nlicense: other\r\ntags: [a, b]\r\n---\r\nwindows\r\n",
    "---\nlicense: cc-by-4.0\nwidget:\n- text: Hello\n  example_title: greeting\nextra: {a: 1, b: [2, 3]}\n---\nbody ü\n",
]


def test_model_card_parity(hub_server, hfc_env, tmp_path):
    srv = hub_server
    paths = []
    for i, text in enumerate(_CARDS):
        p = tmp_path / f"card{i}.md"
        p.write_bytes(text.encode())
        paths.append(str(p))
    ref = run_hf_json(f"""
import json
from huggingface_hub import ModelCard
out = []
for i, p in enumerate({paths!r}):
    c = ModelCard.load(p)
    c.save(p + ".hf")
    out.append({{"data": c.data.to_dict(), "text": c.text, "str": str(c),
                "saved": open(p + ".hf", "rb").read().decode()}})
print(json.dumps(out))
""", hub_env(srv, tmp_path / "hf"))
    hfc_env(srv)
    for p, want in zip(paths, ref):
        c = hub.ModelCard.load(p)
        c.save(p + ".hfc")
        got = {"data": c.data.to_dict(), "text": c.text, "str": str(c), "saved": open(p + ".hfc", "rb").read().decode()}
        assert got == want, p
    c = hub.ModelCard.load(paths[0])
    assert (c.data.license, c.data.tags, c.data.base_model, c.data.datasets, c.data.pipeline_tag,
            c.data.library_name) == ("apache-2.0", ["text-classification", "hfc"], "org/base", ["org/data"],
                                     "text-classification", "transformers")


def test_model_card_from_repo_and_push(hub_server, hfc_env, tmp_path):
    srv = hub_server
    srv.create_repo(f"{srv.DEFAULT_USER}/carded")
    srv.commit(f"{srv.DEFAULT_USER}/carded", {"README.md": _CARDS[0].encode()})
    hfc_env(srv, token=TOKEN)
    c = hub.ModelCard.load(f"{srv.DEFAULT_USER}/carded")
    assert c.data.license == "apache-2.0"
    c.data.license = "mit"
    c.data.tags = c.data.tags + ["forked"]
    c.push_to_hub(f"{srv.DEFAULT_USER}/carded")
    out = run_hf_json(f"""
import json
from huggingface_hub import ModelCard
c = ModelCard.load("{srv.DEFAULT_USER}/carded")
print(json.dumps({{"data": c.data.to_dict(), "text": c.text}}))
""", hub_env(srv, tmp_path / "hf"))
    assert out["data"]["license"] == "mit" and out["data"]["tags"][-1] == "forked"
    assert out["text"] == c.text


def test_card_yaml_subset_without_pyyaml(monkeypatch):
    """The fallback parser gives PyYAML's data for the card fields hfc documents."""
    import yaml
    from hfc import _hub_card
    for text in _CARDS[:4]:
        m = _hub_card._YAML_BLOCK.search(text)
        if not m:
            continue
        assert _hub_card._subset_load(m.group(2)) == yaml.safe_load(m.group(2))
        d = yaml.safe_load(m.group(2))
        assert yaml.safe_load(_hub_card._subset_dump(d)) == d
