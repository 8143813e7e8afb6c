"""hfc.tokenizers vs HF tokenizers on the inputs that exercise hfc's shortcuts.

hfc takes shortcuts that must be invisible: BERT's Chinese-char spacing done by
BertPreTokenizer instead of BertNormalizer (when both are top level and no normalized added
token exists), BertNormalizer's one-pass path for text no step changes, and the memo of
tokens per pre-tokenizer slice, which also serves splits whose normalizer changed their
alignments when the memo cut is the pre-tokenizer's last step (NFD'd Hangul and kana,
accents stripped, "İ" lowercased to two chars, ...). Each text is encoded twice (the second
time from the memo) and every field is compared with HF's.
"""
import json
import random

import pytest

import tokenizers  # the reference, pinned in the test extra
from tokenizers import AddedToken as HFAddedToken

from hfc.tokenizers import AddedToken, Tokenizer

from test_tokenizers_pypi import minilm_json
from test_tokenizers_trained import LINES, differences

HF = tokenizers.Tokenizer

# chars each shortcut treats specially: Chinese (unified, extension B, compatibility
# ideographs, which NFD changes), kana with and without voicing marks, Hangul (NFD splits
# it), ideographic space and other whitespace, Greek sigma, combining marks, a control
# char, U+FFFD, zero-width space, full-width forms, Kangxi radicals (compatibility only)
ALPHABET = (list("中国人的字ΣσςAbcXyz é,.。、！!?-'") + ["\t", "\n", "\r", "\u3000", "\u00a0", "\u2003"]
            + ["\u0301", "\u0300", "\u0308", "\u3099", "\u309a"]
            + ["\uF900", "\uFA0E", "\uFA10", "\U0002F800", "\U0002FA1D", "\U00020000", "\u3400", "\u9fff"]
            + ["が", "か", "パ", "ﾊﾟ", "한", "국", "어", "ᄀ", "ᅡ", "İ", "ẞ", "Ǆ", "\u200b", "\x00", "\x07",
               "\ufffd", "ｶ", "Ａ", "１", "\u2F00", "\u2E80", "٣", "ß", "ﬁ"])


def _random_texts(n, seed):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        k = rng.randint(1, 40)
        out.append("".join(rng.choice(ALPHABET) for _ in range(k)))
    return out


TEXTS = _random_texts(600, 0) + [line for line in LINES if any(ord(ch) > 0x2000 for ch in line)] + [
    "日本語のテキストと한국어 텍스트, 中文文本。",
    "ＡＢＣ　ｄｅｆ　全角スペース",
    "Ελληνικά ΣΟΦΟΣ σοφός",
    "\uF900\uF901 豈更 compat",
    "a\u3000b\u3000\u3000c",
]


def _variant(normalizer=None, pre_tokenizer=None):
    j = json.loads(minilm_json())
    j["truncation"] = None
    j["padding"] = None
    if normalizer is not None:
        j["normalizer"] = normalizer
    if pre_tokenizer is not None:
        j["pre_tokenizer"] = pre_tokenizer
    return json.dumps(j)


def _bert(clean, chinese, strip, lower):
    return {"type": "BertNormalizer", "clean_text": clean, "handle_chinese_chars": chinese,
            "strip_accents": strip, "lowercase": lower}


BERT_FLAGS = [(c, h, s, lo) for c in (True, False) for h in (True, False)
              for s in (None, True, False) for lo in (True, False)]

PRE_TOKENIZERS = {
    "bert": {"type": "BertPreTokenizer"},
    "whitespace": {"type": "Whitespace"},
    "whitespace_split": {"type": "WhitespaceSplit"},
    "punctuation": {"type": "Punctuation", "behavior": "Isolated"},
    "digits": {"type": "Digits", "individual_digits": True},
    "char_delimiter": {"type": "CharDelimiterSplit", "delimiter": " "},
    "split_regex": {"type": "Split", "pattern": {"Regex": r"\s+|[\p{P}]"}, "behavior": "Isolated",
                    "invert": False},
    "sequence_bert": {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"},
                                                            {"type": "BertPreTokenizer"}]},
}

NORMALIZERS = {
    "nfd_strip_lower": {"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "StripAccents"},
                                                           {"type": "Lowercase"}]},
    "nfkc": {"type": "NFKC"},
    "lower": {"type": "Lowercase"},
    "replace": {"type": "Replace", "pattern": {"String": "中"}, "content": "中中"},
    "bert_in_sequence": {"type": "Sequence", "normalizers": [_bert(True, True, None, True)]},
}


def _check(ref, ours, texts):
    bad = []
    for rnd in range(2):  # the second round is served from the memo
        for text in texts:
            d = differences(ref, ours, text)
            if d:
                bad.append((rnd, text, d[:3]))
    assert not bad, bad[:5]


@pytest.mark.parametrize("flags", BERT_FLAGS, ids=lambda f: "clean%d-chinese%d-strip%s-lower%d" % f)
def test_bert_normalizer_with_bert_pretokenizer(flags):
    js = _variant(normalizer=_bert(*flags))
    _check(HF.from_str(js), Tokenizer.from_str(js), TEXTS)


@pytest.mark.parametrize("pre", sorted(PRE_TOKENIZERS))
@pytest.mark.parametrize("norm", sorted(NORMALIZERS) + ["bert"])
def test_memo_with_resizing_normalizers(norm, pre):
    normalizer = _bert(True, True, None, True) if norm == "bert" else NORMALIZERS[norm]
    js = _variant(normalizer=normalizer, pre_tokenizer=PRE_TOKENIZERS[pre])
    _check(HF.from_str(js), Tokenizer.from_str(js), TEXTS[:300] + TEXTS[600:])


def test_normalized_added_tokens_turn_the_fusion_off():
    """Normalized added tokens are matched in the normalized text, where BertNormalizer's
    spaces around Chinese chars count: loaded from the file and added later."""
    js = json.loads(_variant())
    js["added_tokens"].append({"id": 30522, "content": "中国", "single_word": False, "lstrip": False,
                               "rstrip": False, "normalized": True, "special": False})
    js = json.dumps(js)
    texts = TEXTS[:200] + ["中国人", "我在中国", "中 国", "中国中国", "x中国y"]
    _check(HF.from_str(js), Tokenizer.from_str(js), texts)

    ref, ours = HF.from_str(_variant()), Tokenizer.from_str(_variant())
    _check(ref, ours, texts)  # fused, memo warm
    ref.add_tokens([HFAddedToken("人的", normalized=True), HFAddedToken("字", normalized=True, single_word=True)])
    ours.add_tokens([AddedToken("人的", normalized=True), AddedToken("字", normalized=True, single_word=True)])
    _check(ref, ours, texts + ["中国人的字", "人的 字", "的字人"])
    ref.add_tokens([HFAddedToken("國", normalized=False)])
    ours.add_tokens([AddedToken("國", normalized=False)])
    _check(ref, ours, texts + ["中國人", "國的"])


def _long_words(seed):
    """Single pre-tokenizer words around the memos' limits (64 and 240 bytes, 16 and 96
    tokens): CJK runs, Latin letters, byte-fallback-prone symbols."""
    rng = random.Random(seed)
    pools = ["中国人的字日本語", "한국어텍스트", "abcdefghijklmnopqrstuvwxyz", "ÀÉÎÕÜàéîõü", "ΣσςΑΒΓ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢"]
    out = []
    for nbytes in (60, 63, 64, 65, 66, 100, 200, 239, 240, 241, 300, 800):
        for pool in pools:
            w = ""
            while len((w + pool[0]).encode()) <= nbytes:
                w += rng.choice(pool)
            out.append(w)
    return out


@pytest.mark.parametrize("name", ["qwen3", "deepseek_v3", "llama2"])
def test_long_word_memo(tokenizer_json_path, name):
    path = str(tokenizer_json_path(name))
    ref, ours = HF.from_file(path), Tokenizer.from_file(path)
    words = _long_words(1)
    texts = words + [" ".join(words[i:i + 3]) for i in range(0, len(words), 3)]
    _check(ref, ours, texts)


def test_long_word_memo_threads(tokenizer_json_path):
    """Many threads fill and read the word memos at once (the wide one included): every
    encoding equals HF's."""
    from concurrent.futures import ThreadPoolExecutor

    path = str(tokenizer_json_path("qwen3"))
    ref, ours = HF.from_file(path), Tokenizer.from_file(path)
    texts = _long_words(2) + _long_words(3)
    want = [(e.ids, e.offsets) for e in ref.encode_batch(texts)]

    def run(k):
        order = list(range(len(texts)))
        random.Random(k).shuffle(order)
        return [(i, ours.encode(texts[i])) for i in order for _ in range(2)]

    with ThreadPoolExecutor(4) as ex:
        results = list(ex.map(run, range(8)))
    bad = [(i, texts[i]) for res in results for i, e in res if (e.ids, e.offsets) != want[i]]
    assert not bad, bad[:3]
    got = ours.encode_batch(texts * 3)
    assert [(e.ids, e.offsets) for e in got] == want * 3


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("padding", [None, "longest", "fixed"])
def test_encode_batch_objects_made_while_encoding(tokenizer_json_path, threads, padding):
    """encode_batch on several threads makes the Encoding objects of finished items while the
    rest is encoded (also with padding to a fixed length, not to the batch's longest, which
    needs the whole batch): same encodings as HF's, in order, pairs included, and no
    reference leaked or lost."""
    import sys

    import hfc

    path = str(tokenizer_json_path("qwen3"))
    ref, ours = HF.from_file(path), Tokenizer.from_file(path)
    if padding:
        length = 48 if padding == "fixed" else None
        ref.enable_padding(pad_id=0, pad_token="<|endoftext|>", length=length)
        ours.enable_padding(pad_id=0, pad_token="<|endoftext|>", length=length)
    texts = [f"{i}: {text}" for i, text in enumerate(TEXTS)][:400]
    assert len(texts) == 400
    batch = texts[:200] + list(zip(texts[200:300], texts[300:400]))
    counts = [sys.getrefcount(t) for t in texts]
    old = hfc.get_num_threads()
    hfc.set_num_threads(threads)
    try:
        want = ref.encode_batch(batch)
        def fields(encodings):
            return [(e.ids, e.offsets, e.attention_mask, e.type_ids) for e in encodings]

        for _ in range(3):
            assert fields(ours.encode_batch(batch)) == fields(want)
        assert [sys.getrefcount(t) for t in texts] == counts
        with pytest.raises(TypeError):
            ours.encode_batch(texts[:100] + [12] + texts[:100])
        assert [sys.getrefcount(t) for t in texts] == counts
        # a core error after some Encodings were made: HF and hfc raise, nothing leaks
        failing = [(t, "x") for t in texts[:150]] + [("a", t) for t in texts[150:]]
        for tok in (ref, ours):
            tok.enable_truncation(max_length=3, strategy="only_second")
        with pytest.raises(Exception) as err:
            ref.encode_batch(failing)
        with pytest.raises(ValueError, match="Truncation error"):
            ours.encode_batch(failing)
        assert "Truncation error" in str(err.value)
        del failing
        assert [sys.getrefcount(t) for t in texts] == counts
    finally:
        hfc.set_num_threads(old)


@pytest.mark.parametrize("threads", [1, 2])
def test_encode_batch_list_changed_by_another_thread(tokenizer_json_path, threads):
    """encode_batch reads its inputs with the GIL released; another Python thread replacing
    the list's items meanwhile (dropping the list's references to the strs being read)
    must not free them under it: each Encoding is HF's for the item's old or new text."""
    import threading

    import hfc

    path = str(tokenizer_json_path("qwen3"))
    ref, ours = HF.from_file(path), Tokenizer.from_file(path)
    rng = random.Random(3)
    old = ["".join(rng.choice("abc def ghi\u4e2d\u6587 ") for _ in range(200 + i % 50))
           for i in range(300)]
    new = [t[::-1] + "x" for t in old]
    want = {t: e.ids for t, e in zip(old + new, ref.encode_batch(old + new))}
    lines = list(old)
    stop = threading.Event()

    def mutate():
        r = random.Random(1)
        while not stop.is_set():  # fresh str objects, so the replaced ones are freed
            i = r.randrange(len(lines))
            lines[i] = "".join(list(new[i]))
            j = r.randrange(len(lines))
            lines[j] = "".join(list(old[j]))

    prev = hfc.get_num_threads()
    hfc.set_num_threads(threads)
    t = threading.Thread(target=mutate)
    t.start()
    try:
        for _ in range(60):
            got = ours.encode_batch(lines)
            assert all(e.ids in (want[old[i]], want[new[i]]) for i, e in enumerate(got))
    finally:
        stop.set()
        t.join()
        hfc.set_num_threads(prev)


def test_encode_batch_finalizers_during_the_batch(tokenizer_json_path):
    """Garbage collection while encode_batch makes Encodings between its blocks must not run
    finalizers there (one changing this tokenizer's settings would wait for the batch's own
    read lock): with finalizers of cyclic garbage that change the settings and a collection
    at every allocation, the batch finishes (in a child with a timeout) and equals the
    batch encoded without them."""
    from conftest import run_python

    code = f"""
import gc, hfc
from hfc.tokenizers import Tokenizer
tok = Tokenizer.from_file({str(tokenizer_json_path("qwen3"))!r})
texts = [f"line {{i}}: " + "some words to encode " * (i % 7) for i in range(3000)]
hfc.set_num_threads(2)
want = [e.ids for e in tok.encode_batch(texts)]
class Cyc:
    def __init__(self):
        self.me = self
    def __del__(self):
        tok.no_truncation()
        tok.encode_special_tokens = False
for _ in range(200):
    Cyc()
gc.set_threshold(1, 1, 1)
got = [e.ids for e in tok.encode_batch(texts)]
for _ in range(200):
    Cyc()
got2 = [e.ids for e in tok.encode_batch(texts)]
want_tokens = [tok.id_to_token(i) for i in want[5]]
encs = tok.encode_batch(texts[:50])
tokens = []
for e in encs:  # Encoding.tokens reads the settings too: garbage made right before it
    Cyc()
    tokens.append(e.tokens)
gc.set_threshold(700, 10, 10)
assert got == want and got2 == want and tokens[5] == want_tokens
print("ok")
"""
    r = run_python(code, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-2000:]
