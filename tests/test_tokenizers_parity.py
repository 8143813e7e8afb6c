"""hfc.tokenizers vs HF tokenizers: byte-identical ids, tokens, offsets and decode.

The reference is the `tokenizers` package pinned in the test extra; every expected value
comes from running it on the same input in this process."""
import random
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

import tokenizers  # noqa: E402  the reference, pinned in the test extra

from hfc.tokenizers import AddedToken, Tokenizer  # noqa: E402

from conftest import TOKENIZER_NAMES  # noqa: E402

CORPUS = (Path(__file__).parent / "data" / "parity_corpus.txt").read_text(encoding="utf-8")
LINES = [line.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
         if "\\x" in line or "\\n" in line else line for line in CORPUS.splitlines()]


def texts():
    yield ""
    yield " "
    yield CORPUS
    yield from LINES
    yield "a" * 3000
    yield " ".join(LINES[:5]) * 20
    rng = random.Random(1234)
    chars = "".join(LINES) + "\u200d\u0301\u00a0\u3000\r\n\t\x00"
    for _ in range(200):
        yield "".join(rng.choice(chars) for _ in range(rng.randint(1, 80)))


@pytest.fixture(scope="module", params=TOKENIZER_NAMES)
def pair(request, tokenizer_json_path):
    path = str(tokenizer_json_path(request.param))
    return request.param, tokenizers.Tokenizer.from_file(path), Tokenizer.from_file(path)


def assert_same(ref, ours, text, pair_text=None, add_special_tokens=True):
    r = ref.encode(text, pair_text, add_special_tokens=add_special_tokens)
    o = ours.encode(text, pair_text, add_special_tokens=add_special_tokens)
    assert o.ids == r.ids, text
    assert o.tokens == r.tokens, text
    assert o.offsets == r.offsets, text
    assert o.type_ids == r.type_ids, text
    assert o.word_ids == r.word_ids, text
    assert o.special_tokens_mask == r.special_tokens_mask, text
    assert o.attention_mask == r.attention_mask, text
    for skip in (True, False):
        assert ours.decode(o.ids, skip_special_tokens=skip) == ref.decode(r.ids, skip_special_tokens=skip), text


def test_corpus(pair):
    name, ref, ours = pair
    n = 0
    for text in texts():
        assert_same(ref, ours, text)
        assert_same(ref, ours, text, add_special_tokens=False)
        n += 1
    assert n > 200


def test_pairs(pair):
    name, ref, ours = pair
    for a, b in zip(LINES, LINES[1:]):
        assert_same(ref, ours, a, b)


def test_batch_matches_single(pair):
    name, ref, ours = pair
    batch = list(texts())
    got = ours.encode_batch(batch)
    want = ref.encode_batch(batch)
    assert [e.ids for e in got] == [e.ids for e in want]
    assert [e.offsets for e in got] == [e.offsets for e in want]


def test_vocab(pair):
    name, ref, ours = pair
    assert ours.get_vocab_size() == ref.get_vocab_size()
    assert ours.get_vocab_size(with_added_tokens=False) == ref.get_vocab_size(with_added_tokens=False)
    assert ours.get_vocab() == ref.get_vocab()
    for tok, i in list(ref.get_vocab().items())[:2000]:
        assert ours.token_to_id(tok) == i
        assert ours.id_to_token(i) == ref.id_to_token(i)
    assert ours.token_to_id("definitely not a token \u2603\u2603") is None
    assert ours.id_to_token(10**9) is None


def test_decode_random_ids(pair):
    name, ref, ours = pair
    rng = random.Random(7)
    size = ref.get_vocab_size()
    for _ in range(300):
        ids = [rng.randrange(size) for _ in range(rng.randint(1, 30))]
        for skip in (True, False):
            assert ours.decode(ids, skip_special_tokens=skip) == ref.decode(ids, skip_special_tokens=skip), ids


@settings(max_examples=150, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=60))
def test_hypothesis_unicode(tokenizer_json_path, text):
    for name in TOKENIZER_NAMES:
        ref, ours = _cached(tokenizer_json_path, name)
        assert_same(ref, ours, text)


_CACHE = {}


def _cached(tokenizer_json_path, name):
    if name not in _CACHE:
        path = str(tokenizer_json_path(name))
        _CACHE[name] = (tokenizers.Tokenizer.from_file(path), Tokenizer.from_file(path))
    return _CACHE[name]


def test_bad_input_raises_the_same_error_class(pair):
    name, ref, ours = pair
    for call in (lambda t: t.encode("a\ud800b"), lambda t: t.encode("ok", "\udfff"),
                 lambda t: t.encode_batch(["fine", "bad\ud800"]), lambda t: t.encode(12),
                 lambda t: t.decode([10**10])):
        with pytest.raises(Exception) as want:
            call(ref)
        with pytest.raises(want.type):
            call(ours)


def test_encode_call_forms_like_hf(pair):
    """encode is the core's method itself: HF's parameter order and keywords, and the
    error class HF raises for a bad call."""
    name, ref, ours = pair
    words = LINES[3].split()
    forms = [((LINES[0],), {}), ((LINES[0], LINES[1]), {}), ((LINES[0], None, False, False), {}),
             ((words, words[::-1], True), {}), ((), {"sequence": LINES[2], "add_special_tokens": False}),
             ((LINES[0],), {"pair": LINES[4], "is_pretokenized": False}),
             ((words,), {"is_pretokenized": True, "add_special_tokens": False})]
    for args, kw in forms:
        encodings_equal(ours.encode(*args, **kw), ref.encode(*args, **kw), f"{name} {args} {kw}")
    for call in (lambda t: t.encode(), lambda t: t.encode("a", bogus=1),
                 lambda t: t.encode("a", sequence="b"), lambda t: t.encode("a", None, False, True, 5),
                 lambda t: t.encode(pair="b")):
        with pytest.raises(Exception) as want:
            call(ref)
        with pytest.raises(want.type):
            call(ours)


def test_construction_needs_a_file():
    """Tokenizer objects come from from_file/from_str/from_buffer (HF's constructor takes a
    model object hfc does not have): calling the class, or the C core's class, raises
    TypeError instead of making an empty tokenizer."""
    from hfc import _C
    with pytest.raises(TypeError):
        tokenizers.Tokenizer()
    for cls in (Tokenizer, _C.Tokenizer):
        with pytest.raises(TypeError):
            cls()


def test_encodings_and_the_garbage_collector(tokenizer_json_path):
    """Encodings of str inputs stay out of the collector's lists (nothing they reference
    can lead back to them); an Encoding that could be part of a cycle (a tokenizer
    subclass with attributes, a str subclass input) is tracked, and such a cycle is
    collected."""
    import gc
    import weakref

    path = tokenizer_json_path("qwen3")
    tok = Tokenizer.from_file(path)
    assert not gc.is_tracked(tok.encode("plain text"))
    assert not any(gc.is_tracked(e) for e in tok.encode_batch(["a b", ("c", "d")]))
    assert not gc.is_tracked(tok.encode(["pre", "tokenized"], is_pretokenized=True))

    class Text(str):
        pass

    assert gc.is_tracked(tok.encode(Text("a str subclass may hold attributes")))

    class MyTokenizer(Tokenizer):
        pass

    mine = MyTokenizer.from_file(path)
    enc = mine.encode("cycle")
    assert gc.is_tracked(enc)
    mine.last = enc  # mine -> its dict -> enc -> mine
    ref = weakref.ref(mine)
    del mine, enc
    gc.collect()
    assert ref() is None


def test_threads_share_one_tokenizer(pair):
    """Concurrent encodes while another thread flips a setting: every result equals one of
    the reference's results for the two settings (HF itself raises "Already borrowed")."""
    import threading
    name, ref, ours = pair
    text = "<|im_start|>user hi <s> there</s><|endoftext|> " + LINES[2]
    want = set()
    for flag in (False, True):
        ref.encode_special_tokens = flag
        want.add(tuple(ref.encode(text).ids))
    ref.encode_special_tokens = False
    errors, stop = [], threading.Event()

    def worker():
        try:
            for k in range(200):
                assert tuple(ours.encode(text).ids) in want
                # batches over 16 items have their Encodings made while they are encoded
                batch = [text] * (40 if k % 10 == 0 else 4)
                assert all(tuple(e.ids) in want for e in ours.encode_batch(batch))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    def flipper():
        while not stop.is_set():
            ours.encode_special_tokens = not ours.encode_special_tokens

    threads = [threading.Thread(target=worker) for _ in range(4)]
    f = threading.Thread(target=flipper)
    f.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    f.join()
    ours.encode_special_tokens = False
    assert errors == []


def encodings_equal(o, r, where):
    assert o.ids == r.ids, where
    assert o.tokens == r.tokens, where
    assert o.offsets == r.offsets, where
    assert o.type_ids == r.type_ids, where
    assert o.word_ids == r.word_ids, where
    assert o.special_tokens_mask == r.special_tokens_mask, where
    assert o.attention_mask == r.attention_mask, where
    assert o.sequence_ids == r.sequence_ids, where
    assert len(o.overflowing) == len(r.overflowing), where
    for oo, ro in zip(o.overflowing, r.overflowing):
        encodings_equal(oo, ro, where + " (overflowing)")


TRUNCATIONS = [
    dict(max_length=8),
    dict(max_length=16, stride=4),
    dict(max_length=10, stride=2, direction="left"),
    dict(max_length=12, strategy="only_first"),
    dict(max_length=12, strategy="only_second", stride=1),
    dict(max_length=3),
    dict(max_length=0),
]
PADDINGS = [
    None,
    dict(),
    dict(length=40, pad_id=3, pad_type_id=1, pad_token="<pad>"),
    dict(direction="left", pad_to_multiple_of=8),
]


def test_truncation_and_padding(pair):
    name, ref, ours = pair
    texts_ = [LINES[1], LINES[2], LINES[7], "short", ""]
    try:
        for trunc in TRUNCATIONS:
            for pad in PADDINGS:
                ref.enable_truncation(**trunc)
                ours.enable_truncation(**trunc)
                assert ours.truncation == ref.truncation
                if pad is None:
                    ref.no_padding()
                    ours.no_padding()
                else:
                    ref.enable_padding(**pad)
                    ours.enable_padding(**pad)
                    assert ours.padding == ref.padding
                for a in texts_:
                    for b in (None, LINES[3]):
                        where = f"{name} {trunc} {pad} {a!r} {b!r}"
                        try:
                            r = ref.encode(a, b)
                        except Exception as e:  # HF rejects some combinations: so must we
                            with pytest.raises(Exception):
                                ours.encode(a, b)
                            continue
                        encodings_equal(ours.encode(a, b), r, where)
                batch = texts_ + [(LINES[0], LINES[4])]
                try:
                    want = ref.encode_batch(batch)
                except Exception:
                    with pytest.raises(Exception):
                        ours.encode_batch(batch)
                    continue
                got = ours.encode_batch(batch)
                assert len(got) == len(want)
                for o, r in zip(got, want):
                    encodings_equal(o, r, f"{name} batch {trunc} {pad}")
    finally:
        ref.no_truncation()
        ref.no_padding()
        ours.no_truncation()
        ours.no_padding()
    assert ours.truncation is None and ours.padding is None


def test_encode_batch_ids_numpy(pair):
    import numpy as np
    name, ref, ours = pair
    batch = LINES[:12] + [""]
    want = [e.ids for e in ref.encode_batch(batch)]
    ids, offs = ours.encode_batch_ids(batch)
    assert ids.dtype == np.int32 and offs.dtype == np.int64 and len(offs) == len(batch) + 1
    assert [ids[offs[i]:offs[i + 1]].tolist() for i in range(len(batch))] == want
    ids2, mask = ours.encode_batch_ids(batch, padded=True, pad_id=7)
    longest = max(len(w) for w in want)
    assert ids2.shape == (len(batch), longest) == mask.shape
    for row, m, w in zip(ids2.tolist(), mask.tolist(), want):
        assert row == w + [7] * (longest - len(w))
        assert m == [1] * len(w) + [0] * (longest - len(w))


def test_decode_stream(pair):
    from tokenizers.decoders import DecodeStream as RefStream
    from hfc.tokenizers import DecodeStream
    name, ref, ours = pair
    for text in LINES[:10] + [CORPUS[:500]]:
        ids = ref.encode(text).ids
        for skip in (True, False):
            rs, hs = RefStream(skip_special_tokens=skip), DecodeStream(skip_special_tokens=skip)
            got = [hs.step(ours, i) for i in ids]
            want = [rs.step(ref, i) for i in ids]
            assert got == want, text


def test_pretokenized(pair):
    name, ref, ours = pair
    for line in LINES[:15]:
        words = line.split(" ")
        r = ref.encode(words, is_pretokenized=True)
        o = ours.encode(words, is_pretokenized=True)
        encodings_equal(o, r, f"{name} {words}")
        r = ref.encode(words, words[::-1], is_pretokenized=True)
        o = ours.encode(words, words[::-1], is_pretokenized=True)
        encodings_equal(o, r, f"{name} pair {words}")
    batch = [w.split() for w in LINES[:6]] + [(LINES[0].split(), LINES[1].split())]
    for o, r in zip(ours.encode_batch(batch, is_pretokenized=True),
                    ref.encode_batch(batch, is_pretokenized=True)):
        encodings_equal(o, r, f"{name} batch")


def test_to_str_and_save_round_trip(pair, tmp_path):
    import json
    name, ref, ours = pair
    ours.enable_truncation(32, stride=3, direction="left")
    ours.enable_padding(length=40, pad_id=0, pad_token="<pad>")
    try:
        text = ours.to_str()
        doc = json.loads(text)
        ref.enable_truncation(32, stride=3, direction="left")
        ref.enable_padding(length=40, pad_id=0, pad_token="<pad>")
        want = json.loads(ref.to_str())
        for key in ("truncation", "padding", "added_tokens", "normalizer", "pre_tokenizer",
                    "post_processor", "decoder"):
            assert doc[key] == want[key], key
        # HF loads what we wrote and encodes exactly as before
        back = tokenizers.Tokenizer.from_str(text)
        for line in LINES[:8]:
            encodings_equal(ours.encode(line), back.encode(line), f"{name} reloaded {line!r}")
        path = tmp_path / "saved.json"
        ours.save(str(path))
        again = Tokenizer.from_file(str(path))
        assert again.truncation == ours.truncation and again.padding == ours.padding
        assert json.loads(path.read_text()) == doc
    finally:
        for t in (ours, ref):
            t.no_truncation()
            t.no_padding()


def test_add_tokens(tokenizer_json_path):
    from tokenizers import AddedToken as RefAdded
    from hfc.tokenizers import AddedToken
    for name in TOKENIZER_NAMES:
        path = str(tokenizer_json_path(name))
        ref, ours = tokenizers.Tokenizer.from_file(path), Tokenizer.from_file(path)
        specs = [("<new1>", {}), ("hello", dict(single_word=True)), (" <pad>", dict(lstrip=True, rstrip=True)),
                 ("WORLD", dict(normalized=False)), ("zz9", dict(rstrip=True))]
        assert ours.add_tokens([AddedToken(c, **kw) for c, kw in specs]) == \
            ref.add_tokens([RefAdded(c, **kw) for c, kw in specs])
        assert ours.add_special_tokens(["<sp1>", AddedToken("<sp2>", lstrip=True)]) == \
            ref.add_special_tokens(["<sp1>", RefAdded("<sp2>", lstrip=True)])
        assert ours.add_tokens(["hello"]) == ref.add_tokens(["hello"])  # re-adding
        assert ours.get_vocab_size() == ref.get_vocab_size()
        for text in ["say hello <new1>world", "hellothere <sp1> x  <sp2>  y", "WORLD world zz9   end",
                     "<new1><new1>hello hello,hello"] + LINES[:5]:
            for skip in (True, False):
                r, o = ref.encode(text), ours.encode(text)
                encodings_equal(o, r, f"{name} {text!r}")
                assert ours.decode(o.ids, skip_special_tokens=skip) == ref.decode(r.ids, skip_special_tokens=skip)


_QWEN_SPECIAL = {"<|im_start|>": {"id": "<|im_start|>", "ids": [151644], "tokens": ["<|im_start|>"]}}
POST_PROCESSORS = {
    "bytelevel_trim": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
    "bytelevel_trim_prefix": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
    "roberta": {"type": "RobertaProcessing", "sep": ["<|endoftext|>", 151643], "cls": ["<|im_start|>", 151644],
                "trim_offsets": True, "add_prefix_space": True},
    "roberta_no_trim": {"type": "RobertaProcessing", "sep": ["<|endoftext|>", 151643],
                        "cls": ["<|im_start|>", 151644], "trim_offsets": False, "add_prefix_space": False},
    "bert": {"type": "BertProcessing", "sep": ["<|endoftext|>", 151643], "cls": ["<|im_start|>", 151644]},
    "llama3_sequence": {"type": "Sequence", "processors": [
        {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        {"type": "TemplateProcessing",
         "single": [{"SpecialToken": {"id": "<|im_start|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
         "pair": [{"SpecialToken": {"id": "<|im_start|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                  {"SpecialToken": {"id": "<|im_start|>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
         "special_tokens": _QWEN_SPECIAL}]},
    "trim_then_bert": {"type": "Sequence", "processors": [
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        {"type": "BertProcessing", "sep": ["<|endoftext|>", 151643], "cls": ["<|im_start|>", 151644]}]},
}


def post_processor_parity(tokenizer_json_path, post_processor, inputs, truncations, where, refused):
    """hfc vs HF with `post_processor` on the Qwen3 vocabulary over inputs x pairs x
    add_special_tokens x truncations. Where HF panics, hfc must raise one of `refused`.
    Returns how many of HF's encodings had overflowing parts."""
    import json
    doc = json.loads(tokenizers.Tokenizer.from_file(str(tokenizer_json_path("qwen3"))).to_str())
    doc["post_processor"] = post_processor
    text = json.dumps(doc)
    ref, ours = tokenizers.Tokenizer.from_str(text), Tokenizer.from_str(text)
    overflowed = 0
    for trunc in truncations:
        for t in (ref, ours):
            t.enable_truncation(**trunc) if trunc else t.no_truncation()
        for a in inputs:
            for b in (None, LINES[2], "  spaced pair  "):
                for add in (True, False):
                    at = f"{where} {trunc} {a!r} {b!r} {add}"
                    try:
                        want = ref.encode(a, b, add_special_tokens=add)
                    except BaseException:  # a pyo3 PanicException
                        with pytest.raises(refused):
                            ours.encode(a, b, add_special_tokens=add)
                        continue
                    encodings_equal(ours.encode(a, b, add_special_tokens=add), want, at)
                    overflowed += bool(want.overflowing)
    return overflowed


@pytest.mark.parametrize("name", list(POST_PROCESSORS))
def test_post_processors(name, tokenizer_json_path):
    """Post-processors on the real Qwen3 vocabulary: offsets trimming, Roberta / Bert special
    tokens and type ids, a Llama-3-style Sequence; with truncation (overflowing) too. HF panics
    on a stride too large: hfc raises ValueError."""
    inputs = LINES[:12] + ["  two leading", "trailing  ", " x ", "   ", "", "a  b   c"]
    assert post_processor_parity(tokenizer_json_path, POST_PROCESSORS[name], inputs,
                                 (None, dict(max_length=9, stride=2)), name, ValueError)


_BL_TRIM = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
_BERT = {"type": "BertProcessing", "sep": ["<|endoftext|>", 151643], "cls": ["<|im_start|>", 151644]}
_ROBERTA = {"type": "RobertaProcessing", "sep": ["<|endoftext|>", 151643], "cls": ["<|im_start|>", 151644],
            "trim_offsets": True, "add_prefix_space": False}
_TEMPLATE = {"type": "TemplateProcessing",
             "single": [{"SpecialToken": {"id": "<|im_start|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                        {"SpecialToken": {"id": "<|im_start|>", "type_id": 1}}],
             "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<|im_start|>", "type_id": 0}},
                      {"Sequence": {"id": "B", "type_id": 1}}, {"Sequence": {"id": "A", "type_id": 2}}],
             "special_tokens": _QWEN_SPECIAL}
# Sequences HF runs as a list of encodings through each processor (Template makes one per
# piece, ByteLevel numbers the entries as sequences, Bert / Roberta wrap each entry)
LIST_CHAINS = {
    "template_then_bytelevel": [_TEMPLATE, _BL_TRIM],
    "bert_then_bytelevel": [_BERT, _BL_TRIM],
    "bert_then_template": [_BERT, _TEMPLATE],
    "roberta_then_template": [_ROBERTA, _TEMPLATE],
    "template_then_bert": [_TEMPLATE, _BERT],
    "template_then_roberta": [_TEMPLATE, _ROBERTA],
    "bert_then_roberta": [_BERT, _ROBERTA],
    "nested": [{"type": "Sequence", "processors": [_BL_TRIM, _BERT]}, {"type": "Sequence", "processors": [_BL_TRIM]}],
    "template_then_template": [_TEMPLATE, _TEMPLATE],
}


@pytest.mark.parametrize("name", list(LIST_CHAINS))
def test_post_processor_sequence_chains(name, tokenizer_json_path):
    """Sequence post-processors with a processor after one that adds tokens, as HF runs them
    (ids, tokens, offsets, type / sequence ids, masks, words), with truncation (overflowing
    parts, nested combinations) too. HF panics where Template gets more than two encodings
    (hfc raises NotImplementedError) and on a stride too large (ValueError)."""
    inputs = LINES[:6] + ["  two leading", "trailing  ", " x ", "", "a  b   c"]
    truncations = (None, dict(max_length=9, stride=2), dict(max_length=14, stride=0, direction="left"))
    overflowed = post_processor_parity(tokenizer_json_path, {"type": "Sequence", "processors": LIST_CHAINS[name]},
                                       inputs, truncations, name, (NotImplementedError, ValueError))
    assert overflowed or name == "template_then_template"


@pytest.mark.parametrize("name", ["qwen3", "deepseek_v3", "llama2"])
def test_long_documents(name, tokenizer_json_path):
    """Documents over 512 KB are encoded in chunks (on the pool) where the pipeline allows
    it: the result must be exactly HF's single pass — ids, offsets, word ids."""
    path = str(tokenizer_json_path(name))
    ref, ours = tokenizers.Tokenizer.from_file(path), Tokenizer.from_file(path)
    rng = random.Random(5)
    lines = LINES + ["  indented line", "\tTabbed", "x\r", "中文开头的行", "1234 starts with digits", "",
                     "trailing spaces   ", "<|im_start|>user", "é combining start"]
    doc = "\n".join(rng.choice(lines) for _ in range(16000))
    assert len(doc.encode()) > 600_000
    for text, pair_text in ((doc, None), (doc[:300_000] + "\r\n" + doc, "short pair")):
        encodings_equal(ours.encode(text, pair_text), ref.encode(text, pair_text), name)


def _encode_in_child(tok, texts):
    return [(e.ids, e.offsets) for e in tok.encode_batch(texts)]


def test_pickle_like_hf(pair):
    """A Tokenizer pickles (and copies) as HF's does: the tokenizer.json text with the current
    truncation, padding and added tokens, encode_special_tokens left out; a spawned process
    pool gets it by pickle."""
    import copy
    import multiprocessing
    import pickle

    name, _, _ = pair
    ref = tokenizers.Tokenizer.from_str(pair[1].to_str())
    ours = Tokenizer.from_str(pair[2].to_str())
    for tok in (ref, ours):
        tok.add_tokens(["zzqq", "<tool_x>"])
        tok.enable_truncation(12, stride=2)
        tok.enable_padding(length=16, pad_id=0, pad_token="<pad>")
        tok.encode_special_tokens = True
    ref2, ours2 = pickle.loads(pickle.dumps(ref)), pickle.loads(pickle.dumps(ours))
    assert isinstance(ours2, Tokenizer)
    assert ours2.encode_special_tokens == ref2.encode_special_tokens
    assert ours2.truncation == ref2.truncation and ours2.padding == ref2.padding
    assert ours2.get_vocab_size() == ref2.get_vocab_size()
    texts = LINES[:8] + ["a zzqq b <tool_x> c " * 5, "<|endoftext|> <s> [CLS]"]
    for t in texts:
        encodings_equal(ours2.encode(t), ref2.encode(t), f"{name}: {t!r}")
        encodings_equal(copy.deepcopy(ours).encode(t), ref2.encode(t), f"{name}: {t!r}")
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        got = pool.apply(_encode_in_child, (ours, texts))
    assert got == [(e.ids, e.offsets) for e in ref2.encode_batch(texts)]


def test_encode_batch_fast_like_hf(pair):
    """encode_batch_fast: HF's encode without offsets (offsets (0, 0), no word ids, the text's
    tokens as empty strings), with truncation, overflowing, padding and pairs; the async_*
    methods give what their synchronous versions give."""
    import asyncio

    name, _, _ = pair
    ref = tokenizers.Tokenizer.from_str(pair[1].to_str())
    ours = Tokenizer.from_str(pair[2].to_str())
    texts = LINES[:6] + [(LINES[6], LINES[7]), "x <s> y <|endoftext|> [CLS] z"]
    fields = ("ids", "tokens", "offsets", "word_ids", "sequence_ids", "special_tokens_mask",
              "type_ids", "attention_mask")

    def same(got, want):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            for f in fields:
                assert getattr(g, f) == getattr(w, f), (name, f)
            assert len(g.overflowing) == len(w.overflowing)
            same(g.overflowing, w.overflowing)
            assert [g.char_to_token(1), g.token_to_chars(0)] == [w.char_to_token(1), w.token_to_chars(0)]

    for trunc, pad in [(None, None), (dict(max_length=16, stride=1), dict(length=20)),
                       (dict(max_length=9), dict(direction="left"))]:
        for tok in (ref, ours):
            tok.no_truncation() if trunc is None else tok.enable_truncation(**trunc)
            tok.no_padding() if pad is None else tok.enable_padding(**pad)
        same(ours.encode_batch_fast(texts), ref.encode_batch_fast(texts))
        same(ours.encode_batch_fast(texts * 10), ref.encode_batch_fast(texts * 10))  # > 16 items

    async def run(tok):
        a = await tok.async_encode(LINES[0], LINES[1])
        b = await tok.async_encode_batch(texts)
        c = await tok.async_encode_batch_fast(texts)
        d = await tok.async_decode_batch([a.ids, b[0].ids])
        return a, b, c, d

    (a1, b1, c1, d1), (a2, b2, c2, d2) = asyncio.run(run(ours)), asyncio.run(run(ref))
    same([a1], [a2])
    same(b1, b2)
    same(c1, c2)
    assert d1 == d2
    # bad input raises what HF raises; so does an async_* call outside a running loop
    async def bad(t):
        return await t.async_encode(12)

    for call in (lambda t: t.encode_batch_fast(["a", 12]), lambda t: t.encode_batch_fast(["bad\ud800"]),
                 lambda t: asyncio.run(bad(t)), lambda t: t.async_encode(LINES[2]),
                 lambda t: t.__setstate__(b"{not json")):
        with pytest.raises(Exception) as want:
            call(ref)
        with pytest.raises(want.type):
            call(ours)


def test_added_tokens_decoder_like_hf(pair):
    import tokenizers as hf

    name, _, _ = pair
    ref = tokenizers.Tokenizer.from_str(pair[1].to_str())
    ours = Tokenizer.from_str(pair[2].to_str())
    ref.add_tokens(["zzqq", hf.AddedToken("<tool>", lstrip=True, single_word=True)])
    ref.add_special_tokens([hf.AddedToken("<ctl>", rstrip=True, normalized=True)])
    ours.add_tokens(["zzqq", AddedToken("<tool>", lstrip=True, single_word=True)])
    ours.add_special_tokens([AddedToken("<ctl>", rstrip=True, normalized=True)])
    want, got = ref.get_added_tokens_decoder(), ours.get_added_tokens_decoder()
    assert list(got) == list(want)
    for i in want:
        w, g = want[i], got[i]
        assert (g.content, g.single_word, g.lstrip, g.rstrip, g.normalized, g.special) == \
            (w.content, w.single_word, w.lstrip, w.rstrip, w.normalized, w.special), (name, i)
        assert repr(g) == repr(w) and str(g) == str(w)
    # AddedToken compares every field and hashes by content, as HF's
    assert (AddedToken("a") == AddedToken("a", special=True)) == (hf.AddedToken("a") == hf.AddedToken("a", special=True))
    assert AddedToken("a", lstrip=True) == AddedToken("a", lstrip=True)
    assert hash(AddedToken("a")) == hash(AddedToken("a", lstrip=True))
