"""hfc.tokenizers.Tokenizer inside transformers: PreTrainedTokenizerFast(tokenizer_object=...)
built on hfc's Tokenizer gives what the same class built on HF's Tokenizer gives (it reads
and sets the components, calls encode_batch and reads the Encodings)."""
import gzip
import json

import pytest
import tokenizers
import transformers  # in the test extra

from hfc.tokenizers import Tokenizer

from conftest import FIXTURES, TOKENIZER_NAMES
from test_tokenizers_pypi import minilm_json


TEXTS = ["Hello world, this is a test.", "naïve café 東京 🤗 x", "  spaces   and\ttabs\n",
         "def f(x):\n    return x ** 2  # code", "A much longer sentence that will need truncating "
         "when max_length is small, with words words words words words words."]
PAIRS = [(a, b) for a, b in zip(TEXTS, TEXTS[1:])]
PARTS = ("normalizer", "pre_tokenizer", "post_processor", "decoder", "model")


def _json(name):
    if name == "minilm":
        return minilm_json()
    with gzip.open(FIXTURES / "tokenizers" / name / "tokenizer.json.gz", "rt", encoding="utf-8") as f:
        return f.read()


@pytest.fixture(scope="module", params=TOKENIZER_NAMES + ["minilm"])
def both(request):
    text = _json(request.param)
    return request.param, Tokenizer.from_str(text), tokenizers.Tokenizer.from_str(text)


def _state(part):
    return None if part is None else json.loads(part.__getstate__())


def test_components_are_hfs(both):
    name, ours, ref = both
    for part in PARTS:
        got, want = getattr(ours, part), getattr(ref, part)
        assert type(got) is type(want), (name, part)
        if part != "model":  # the model's state holds its vocabulary: compared below
            assert _state(got) == _state(want), (name, part)
    assert [t.id for t in ours.model.tokenize("hello")] == [t.id for t in ref.model.tokenize("hello")]
    if ours.normalizer is not None:
        assert ours.normalizer.normalize_str(TEXTS[1]) == ref.normalizer.normalize_str(TEXTS[1])
    if ours.pre_tokenizer is not None:
        assert ours.pre_tokenizer.pre_tokenize_str(TEXTS[3]) == ref.pre_tokenizer.pre_tokenize_str(TEXTS[3])


def test_setting_components_like_hf(both):
    name, ours, ref = both
    from tokenizers import decoders, processors

    ids = [5, 6, 7]
    tp = processors.TemplateProcessing(single="$A:0 [X]:1", pair="$A:0 [X]:0 $B:1",
                                       special_tokens=[("[X]", 3)])
    for tok in (ours, ref):
        tok.encode_special_tokens = True
        tok.post_processor = tp
        tok.decoder = decoders.Fuse()
    assert ours.encode_special_tokens  # kept, as HF keeps it
    for a, b in [(TEXTS[0], None), PAIRS[0]]:
        got, want = ours.encode(a, b), ref.encode(a, b)
        assert (got.ids, got.type_ids, got.offsets, got.special_tokens_mask) == \
               (want.ids, want.type_ids, want.offsets, want.special_tokens_mask)
    assert ours.decode(ids) == ref.decode(ids)
    for tok in (ours, ref):
        tok.post_processor = None
        tok.normalizer = None
    assert ours.post_processor is None and ours.normalizer is None
    assert ours.encode(TEXTS[1]).ids == ref.encode(TEXTS[1]).ids
    with pytest.raises(TypeError):
        ours.decoder = "not a decoder"


def _fast(tok, name, **kw):
    pad = {"llama2": "<unk>", "qwen3": "<|endoftext|>", "deepseek_v3": "<｜end▁of▁sentence｜>",
           "minilm": "[PAD]"}[name]
    return transformers.PreTrainedTokenizerFast(tokenizer_object=tok, pad_token=pad, **kw)


def test_pretrainedtokenizerfast_on_hfc(both):
    name, ours, ref = both
    _same_calls(name, _fast(ours, name), _fast(ref, name))


def test_pretrainedtokenizerfast_bos_eos_update():
    """add_bos_token / add_eos_token make transformers write a new TemplateProcessing into
    the tokenizer (the post_processor setter)."""
    text = _json("llama2")
    kw = {"add_bos_token": True, "add_eos_token": True, "bos_token": "<s>", "eos_token": "</s>"}
    f = _fast(Tokenizer.from_str(text), "llama2", **kw)
    g = _fast(tokenizers.Tokenizer.from_str(text), "llama2", **kw)
    assert _state(f.backend_tokenizer.post_processor) == _state(g.backend_tokenizer.post_processor)
    _same_calls("llama2", f, g)


def _same_calls(name, f, g):
    calls = [
        lambda t: t(TEXTS),
        lambda t: t(TEXTS, padding=True, return_offsets_mapping=True, return_special_tokens_mask=True),
        lambda t: t(TEXTS, truncation=True, max_length=8, padding="max_length"),
        lambda t: t([a for a, _ in PAIRS], [b for _, b in PAIRS], truncation="only_second", max_length=24,
                    padding=True),
        lambda t: t(TEXTS[4], truncation=True, max_length=8, stride=2, return_overflowing_tokens=True),
        lambda t: t(TEXTS, add_special_tokens=False),
        lambda t: t.tokenize(TEXTS[1]),
        lambda t: t.convert_ids_to_tokens(t(TEXTS[0])["input_ids"]),
        lambda t: t.batch_decode(t(TEXTS)["input_ids"]),
        lambda t: t.batch_decode(t(TEXTS)["input_ids"], skip_special_tokens=True),
        lambda t: t.decode(t(TEXTS[3])["input_ids"], clean_up_tokenization_spaces=True),
        lambda t: t(TEXTS, padding=True, return_tensors="np")["input_ids"].tolist(),
        lambda t: (t.add_tokens(["<newtok>", "東京"]), t("x <newtok> y 東京")["input_ids"]),
        lambda t: (t.add_special_tokens({"additional_special_tokens": ["<extra>"]}),
                   t("a <extra> b")["input_ids"], t.get_added_vocab()),
        lambda t: len(t),
    ]
    for i, call in enumerate(calls):
        try:
            want = call(g)
        except Exception as e:  # noqa: BLE001 - HF's error: hfc must raise that class too
            with pytest.raises(type(e)):
                call(f)
            continue
        got = call(f)
        if hasattr(want, "data"):
            got, want = dict(got), dict(want)
        assert got == want, (name, i)


@pytest.mark.parametrize("name", TOKENIZER_NAMES + ["minilm"])
def test_use_in_transformers(name, fixture_dir, tmp_path):
    """use_in_transformers(): AutoTokenizer's tokenizers (model-specific classes included)
    run on hfc's Tokenizer and give what they give on HF's."""
    import shutil

    from hfc.tokenizers import use_in_transformers

    if name == "minilm":
        folder = tmp_path / "minilm"
        folder.mkdir()
        (folder / "tokenizer.json").write_text(_json("minilm"), encoding="utf-8")
        for f in ("tokenizer_config.json", "special_tokens_map.json"):
            shutil.copy(FIXTURES / "minilm" / f, folder / f)
    else:
        folder = fixture_dir / "tokenizers" / name
    ref = transformers.AutoTokenizer.from_pretrained(folder)
    use_in_transformers()
    try:
        ours = transformers.AutoTokenizer.from_pretrained(folder)
    finally:
        use_in_transformers(False)
    assert isinstance(ours.backend_tokenizer, Tokenizer)
    assert not isinstance(transformers.AutoTokenizer.from_pretrained(folder).backend_tokenizer, Tokenizer)
    assert type(ours) is type(ref)
    if ref.pad_token is None:
        ours.pad_token = ref.pad_token = ref.eos_token or ref.unk_token
    _same_calls(name, ours, ref)
