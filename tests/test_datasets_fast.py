"""The C fast paths: tokenize (hfc.tokenizers on the pool) against HF tokenizers and
datasets.map(tokenizer), pack against the group_texts recipe run by datasets.map, and
gather against datasets' rows."""
from itertools import chain

import numpy as np
import pytest

import datasets
import tokenizers
import hfc.datasets as hd  # noqa: E402
import hfc.tokenizers as ht  # noqa: E402

datasets.disable_progress_bars()

TEXTS = ["Hello world", "The quick brown fox jumps over the lazy dog.", "",
         "héllo 日本語 🙂 " * 30, "  leading and trailing  ", "line\nbreaks\n\nhere",
         "numbers 12345 67.89", "a" * 500]


def _texts(n=300):
    return [TEXTS[i % len(TEXTS)] + (f" #{i}" if i % 3 else "") for i in range(n)]


@pytest.mark.parametrize("name", ["llama2", "qwen3", "deepseek_v3"])
@pytest.mark.parametrize("special", [True, False])
def test_tokenize_matches_hf(tokenizer_json_path, name, special):
    path = str(tokenizer_json_path(name))
    ref = tokenizers.Tokenizer.from_file(path)
    tok = ht.Tokenizer.from_file(path)
    h = hd.Dataset.from_dict({"text": _texts()}).shuffle(seed=3).select(range(250))
    out = h.tokenize(tok, add_special_tokens=special, remove_columns=["text"])
    encs = ref.encode_batch(h["text"], add_special_tokens=special)
    assert out["input_ids"] == [e.ids for e in encs]
    assert out["attention_mask"] == [e.attention_mask for e in encs]
    # the same dataset datasets.map(tokenizer) builds (columns, types, values)
    r = datasets.Dataset.from_dict({"text": h["text"]}).map(
        lambda b: {"input_ids": [e.ids for e in ref.encode_batch(b["text"], add_special_tokens=special)],
                   "attention_mask": [e.attention_mask for e in
                                      ref.encode_batch(b["text"], add_special_tokens=special)]},
        batched=True, remove_columns=["text"])
    assert out.features == r.features
    assert out[:] == r[:]


def test_tokenize_errors(tokenizer_json_path):
    path = str(tokenizer_json_path("llama2"))
    tok = ht.Tokenizer.from_file(path)
    with pytest.raises(ValueError, match="null"):
        hd.Dataset.from_dict({"text": ["a", None]}).tokenize(tok)
    with pytest.raises(TypeError, match="hfc.tokenizers.Tokenizer"):
        hd.Dataset.from_dict({"text": ["a"]}).tokenize(tokenizers.Tokenizer.from_file(path))
    with pytest.raises(TypeError, match="not a string column"):
        hd.Dataset.from_dict({"text": [1]}).tokenize(tok)


def _group_texts_ref(ds, block_size, eos_id, batch_size=None, num_proc=None):
    """HF's run_clm group_texts through datasets.map(batched=True): over the whole dataset
    (batch_size=None) or per batch of batch_size rows, as run_clm runs it."""
    def add_eos(b):
        return {"input_ids": [x + [eos_id] for x in b["input_ids"]]}

    def group(examples):
        cat = list(chain(*examples["input_ids"]))
        total = len(cat) // block_size * block_size
        return {"input_ids": [cat[i:i + block_size] for i in range(0, total, block_size)]}

    if eos_id is not None:
        ds = ds.map(add_eos, batched=True)
    return ds.map(group, batched=True, batch_size=batch_size, remove_columns=ds.column_names,
                  num_proc=num_proc, load_from_cache_file=False)


@pytest.mark.parametrize("block", [1, 7, 64, 1000])
@pytest.mark.parametrize("eos", [None, 2])
def test_pack_matches_group_texts(tokenizer_json_path, block, eos):
    tok = ht.Tokenizer.from_file(str(tokenizer_json_path("llama2")))
    h = hd.Dataset.from_dict({"text": _texts(200)}).tokenize(tok).shuffle(seed=5)
    r = datasets.Dataset.from_dict({"input_ids": h["input_ids"]})
    want = _group_texts_ref(r, block, eos)
    got = h.pack(block, eos_id=eos)
    assert got.dtype == np.int32 and got.shape == (len(want), block)
    assert got.tolist() == want["input_ids"]
    gd = h.pack(block, eos_id=eos, output="dataset")
    assert gd[:] == want[:]


@pytest.mark.parametrize("batch_size", [1, 3, 16, 45, 1000])
@pytest.mark.parametrize("block,eos", [(1, None), (7, None), (64, 2), (100, None)])
def test_pack_per_batch_matches_group_texts(tokenizer_json_path, batch_size, block, eos):
    """pack(batch_size=k): the blocks of run_clm's ds.map(group_texts, batched=True,
    batch_size=k) -- every batch drops its own remainder -- on a shuffled dataset."""
    tok = ht.Tokenizer.from_file(str(tokenizer_json_path("llama2")))
    h = hd.Dataset.from_dict({"text": _texts(200)}).tokenize(tok).shuffle(seed=6)
    r = datasets.Dataset.from_dict({"input_ids": h["input_ids"]})
    want = _group_texts_ref(r, block, eos, batch_size=batch_size)
    got = h.pack(block, eos_id=eos, batch_size=batch_size)
    assert got.dtype == np.int32 and got.shape == (len(want), block)
    assert got.tolist() == want["input_ids"]
    assert h.pack(block, eos_id=eos, batch_size=batch_size, output="dataset")[:] == want[:]


def test_pack_per_batch_num_proc_shards(tokenizer_json_path):
    """datasets.map(num_proc=p) batches each contiguous shard separately: its blocks are
    those of pack over each shard in turn (as pack's docstring says)."""
    tok = ht.Tokenizer.from_file(str(tokenizer_json_path("llama2")))
    h = hd.Dataset.from_dict({"text": _texts(150)}).tokenize(tok)
    r = datasets.Dataset.from_dict({"input_ids": h["input_ids"]})
    want = _group_texts_ref(r, 50, None, batch_size=20, num_proc=2)
    got = np.concatenate([h.shard(2, i, contiguous=True).pack(50, batch_size=20) for i in range(2)])
    assert got.tolist() == want["input_ids"]
    for k in (None, 0, -1):   # map's batch_size None / <= 0: one batch of everything
        assert h.pack(50, batch_size=k).tolist() == _group_texts_ref(r, 50, None)["input_ids"]


def test_pack_int64_lists():
    """pack works on any integer list column (datasets' default int64 lists)."""
    rows = [[1, 2, 3], [], None, [4, 5], [6, 7, 8, 9]]
    h = hd.Dataset.from_dict({"input_ids": rows})
    r = datasets.Dataset.from_dict({"input_ids": [x or [] for x in rows]})
    assert h.pack(2).tolist() == _group_texts_ref(r, 2, None)["input_ids"]


def test_gather_shuffled_batch():
    ds = datasets.Dataset.from_dict({"x": np.arange(1000, dtype=np.int64) * 3,
                                     "y": np.linspace(0, 1, 1000, dtype=np.float32)})
    h = hd.Dataset.from_dict(ds.to_dict())
    hs, rs = h.shuffle(seed=1), ds.shuffle(seed=1)
    pos = np.arange(100, 356)
    assert hs.gather("x", pos).tolist() == rs[100:356]["x"]
    np.testing.assert_array_equal(hs.gather("y", pos), np.array(rs[100:356]["y"], np.float32))
