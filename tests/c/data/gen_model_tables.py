"""Print the expected-output tables of tests/c/test_models.c from the reference library.

    python3 tests/c/data/gen_model_tables.py > /tmp/model_tables.inc

Each case: a model JSON (as the "model" of a tokenizer.json) and words; the expectation is
`Tokenizer.from_str(...).model.tokenize(word)` rendered as "id@start:end id@start:end"
(byte offsets), or "ERR:<message>" when tokenize raises, or "LOADERR:<message>" when the
model does not load. tokenizers==0.23.3.
"""
import json
import os

os.environ.setdefault("RUST_BACKTRACE", "0")

from tokenizers import Tokenizer

BASE = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": [],
        "normalizer": None, "pre_tokenizer": None, "post_processor": None, "decoder": None}


def load(model):
    t = dict(BASE)
    t["model"] = model
    return Tokenizer.from_str(json.dumps(t))


def render(model, word):
    try:
        tok = load(model)
    except BaseException as e:  # noqa: BLE001 - panics too
        return "LOADERR:" + str(e).split("\n")[0]
    try:
        return " ".join(f"{x.id}@{x.offsets[0]}:{x.offsets[1]}" for x in tok.model.tokenize(word))
    except BaseException as e:  # noqa: BLE001
        return "ERR:" + str(e).split("\n")[0]


def c_str(s):
    """A C string literal; a hex escape is closed ("" "") only before a hex digit."""
    out, raw = [], s.encode("utf-8")
    for i, b in enumerate(raw):
        if b == 0x22 or b == 0x5C:
            out.append("\\" + chr(b))
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            nxt = chr(raw[i + 1]) if i + 1 < len(raw) else ""
            out.append(f"\\x{b:02x}" + ('""' if nxt in "0123456789abcdefABCDEF" and nxt else ""))
    return '"' + "".join(out) + '"'


ABC_VOCAB = {"<unk>": 0, "a": 1, "b": 2, "c": 3, "ab": 4, "bc": 5, "abc": 6, "ca": 7,
             "cab": 8, "\u00e9": 9, "\u00e9a": 10, "\u65e5": 11, "\u65e5\u672c": 12, "\u672c": 13}
ABC_MERGES = ["a b", "ab c", "c a", "ca b", "\u00e9 a", "\u65e5 \u672c"]
ABC_WORDS = ["abc", "abcabc", "cab", "cabc", "ba", "\u00e9abc", "\u65e5\u672c\u00e9a",
             "xabcx", "xx", "a\u00e9x\u65e5y", "aaaa", "c"]

UNRELATED_VOCAB = {"u": 0, "n": 1, "r": 2, "e": 3, "l": 4, "a": 5, "t": 6, "d": 7, "re": 8,
                   "at": 9, "ed": 10, "un": 11, "ated": 12, "rel": 13, "related": 14,
                   "unrelated": 15}
UNRELATED_MERGES = [["r", "e"], ["a", "t"], ["e", "d"], ["u", "n"], ["at", "ed"],
                    ["re", "l"], ["rel", "ated"], ["un", "related"]]

BF_VOCAB = {"<unk>": 0, "a": 1, "b": 2, "ab": 3, "<0x61>": 4, "<0xC3>": 5, "<0xA9>": 6,
            "<0x0A>": 7, "<0xE6>": 8, "<0x97>": 9, "<0xA5>": 10, "<0x23>": 11}
BF_WORDS = ["ab", "\u00e9", "a\u00e9b", "\n", "x", "\u65e5", "a\u65e5\u00e9x", "xx\u00e9"]

PREFIX_VOCAB = {"[UNK]": 0, "a": 1, "##b": 2, "##c": 3, "ab": 4, "abc": 5, "b": 6,
                "c</w>": 7, "##c</w>": 8, "ab</w>": 9, "abc</w>": 10, "##b</w>": 11,
                "a</w>": 12, "b</w>": 13, "##a": 14}
IGNORE_VOCAB = {".:.:": 0, "\u0120belirtilen": 1, ".": 2, ":": 3, "bel": 4, "irtilen": 5,
                "\u0120": 6, ".:": 7, "belirtilen": 8, ".:.": 9, "be": 10, "l": 11, "ir": 12,
                "ti": 13, "en": 14, "irtil": 15, "irti": 16, "i": 17, "r": 18, "t": 19,
                "b": 20, "e": 21, "n": 22}
IGNORE_MERGES = [[".", ":"], ["b", "e"], ["be", "l"], ["i", "r"], ["t", "i"], ["ir", "ti"],
                 ["e", "n"], ["irti", "l"]]

LONG = ("abc" * 70)[:200]
LONG_U = ("\u00e9a\u65e5\u672cx" * 40)[:200]

WP_VOCAB = {"[UNK]": 0, "un": 1, "##aff": 2, "##able": 3, "a": 4, "##b": 5, "##c": 6,
            "\u00e9": 7, "##\u00e9": 8, "\u65e5\u672c": 9, "##\u8a9e": 10, "abc": 11,
            "##bc": 12, "ab": 13}
WP_WORDS = ["unaffable", "abc", "abcd", "a\u00e9", "\u65e5\u672c\u8a9e", "\u65e5",
            "unaffableunaffable", "aaaaaa", "ab" + "c" * 8]

CASES = [
    ("bpe_strings", {"type": "BPE", "dropout": None, "unk_token": "<unk>",
                     "vocab": ABC_VOCAB, "merges": ABC_MERGES}, ABC_WORDS + [LONG, LONG_U]),
    ("bpe_pairs", {"type": "BPE", "unk_token": "<unk>", "vocab": ABC_VOCAB,
                   "merges": [m.split(" ") for m in ABC_MERGES]}, ABC_WORDS),
    ("bpe_fuse_unk", {"type": "BPE", "unk_token": "<unk>", "fuse_unk": True,
                      "vocab": ABC_VOCAB, "merges": ABC_MERGES}, ABC_WORDS),
    ("bpe_no_unk", {"type": "BPE", "vocab": ABC_VOCAB, "merges": ABC_MERGES}, ABC_WORDS),
    ("bpe_unk_missing", {"type": "BPE", "unk_token": "<nope>", "vocab": ABC_VOCAB,
                         "merges": ABC_MERGES}, ["abc", "x", "axb"]),
    ("bpe_ranks", {"type": "BPE", "vocab": UNRELATED_VOCAB, "merges": UNRELATED_MERGES},
     ["unrelated", "related", "unated", "nu", "rated", "relatedunrelated"]),
    ("bpe_dropout0", {"type": "BPE", "dropout": 0.0, "vocab": UNRELATED_VOCAB,
                      "merges": UNRELATED_MERGES}, ["unrelated"]),
    ("bpe_dropout1", {"type": "BPE", "dropout": 1.0, "ignore_merges": True,
                      "vocab": UNRELATED_VOCAB, "merges": UNRELATED_MERGES},
     ["unrelated", "at"]),
    ("bpe_byte_fallback", {"type": "BPE", "unk_token": "<unk>", "byte_fallback": True,
                           "vocab": BF_VOCAB, "merges": ["a b"]}, BF_WORDS),
    ("bpe_byte_fallback_fuse", {"type": "BPE", "unk_token": "<unk>", "byte_fallback": True,
                                "fuse_unk": True, "vocab": BF_VOCAB, "merges": ["a b"]},
     BF_WORDS),
    ("bpe_byte_fallback_no_unk", {"type": "BPE", "byte_fallback": True, "vocab": BF_VOCAB,
                                  "merges": ["a b"]}, BF_WORDS),
    ("bpe_byte_fallback_prefix", {"type": "BPE", "unk_token": "<unk>", "byte_fallback": True,
                                  "continuing_subword_prefix": "#", "vocab": BF_VOCAB,
                                  "merges": []}, ["aa", "a\u00e9", "ab"]),
    ("bpe_prefix", {"type": "BPE", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                    "vocab": PREFIX_VOCAB, "merges": [["a", "##b"], ["ab", "##c"]]},
     ["ab", "abc", "ba", "abx", "cab"]),
    ("bpe_suffix", {"type": "BPE", "unk_token": "[UNK]", "end_of_word_suffix": "</w>",
                    "vocab": PREFIX_VOCAB, "merges": [["a", "b</w>"], ["a", "b"]]},
     ["ab", "abc", "c", "ba", "a"]),
    ("bpe_prefix_suffix", {"type": "BPE", "unk_token": "[UNK]",
                           "continuing_subword_prefix": "##", "end_of_word_suffix": "</w>",
                           "vocab": PREFIX_VOCAB,
                           "merges": [["a", "##b"], ["ab", "##c</w>"], ["a", "##b</w>"]]},
     ["ab", "abc", "a", "b", "ac", "abab"]),
    ("bpe_ignore_merges", {"type": "BPE", "ignore_merges": True, "vocab": IGNORE_VOCAB,
                           "merges": IGNORE_MERGES},
     [".:.:", "\u0120belirtilen", "belirtilen", ".:.:.", "irtilen"]),
    ("bpe_no_ignore_merges", {"type": "BPE", "ignore_merges": False, "vocab": IGNORE_VOCAB,
                              "merges": IGNORE_MERGES},
     [".:.:", "\u0120belirtilen", "belirtilen"]),
    ("bpe_dup_merges", {"type": "BPE", "vocab": ABC_VOCAB,
                        "merges": ["c a", "a b", "ab c", "c a", "ca b"]},
     ["cabc", "abca", "cab"]),
    ("bpe_version_line", {"type": "BPE", "vocab": ABC_VOCAB,
                          "merges": ["#version: 0.2", "a b", "ab c"]}, ["abc"]),
    ("bpe_untyped", {"vocab": ABC_VOCAB, "merges": ABC_MERGES, "unk_token": "<unk>"},
     ["abcx"]),
    # no "type" and a BPE that fails to build: HF falls through to WordLevel
    ("untyped_fallback", {"vocab": {"a": 0, "b": 1, "<unk>": 2}, "merges": ["a x"],
                          "unk_token": "<unk>"}, ["ab", "a"]),
    ("wordpiece", {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                   "max_input_chars_per_word": 100, "vocab": WP_VOCAB}, WP_WORDS),
    ("wordpiece_max_chars", {"type": "WordPiece", "unk_token": "[UNK]",
                             "continuing_subword_prefix": "##", "max_input_chars_per_word": 5,
                             "vocab": WP_VOCAB}, ["abc", "unaff", "unaffable", "ab\u00e9\u00e9\u00e9", "ab\u00e9\u00e9\u00e9\u00e9"]),
    ("wordpiece_empty_prefix", {"type": "WordPiece", "unk_token": "[UNK]",
                                "continuing_subword_prefix": "", "max_input_chars_per_word": 100,
                                "vocab": WP_VOCAB}, ["abc", "aun", "\u00e9un"]),
    ("wordpiece_unk_missing", {"type": "WordPiece", "unk_token": "<unk>",
                               "continuing_subword_prefix": "##",
                               "max_input_chars_per_word": 100, "vocab": WP_VOCAB},
     ["abc", "xyz"]),
    ("wordpiece_untyped", {"unk_token": "[UNK]", "continuing_subword_prefix": "##",
                           "max_input_chars_per_word": 100, "vocab": WP_VOCAB}, ["abcd"]),
    ("wordpiece_long", {"type": "WordPiece", "unk_token": "[UNK]",
                        "continuing_subword_prefix": "##", "max_input_chars_per_word": 300,
                        "vocab": WP_VOCAB}, ["ab" + "c" * 198, "\u00e9" * 200]),
    ("wordlevel", {"type": "WordLevel", "unk_token": "<unk>",
                   "vocab": {"<unk>": 0, "hello": 1, "\u00e9t\u00e9": 2, "": 3}},
     ["hello", "\u00e9t\u00e9", "nope", ""]),
    ("wordlevel_unk_missing", {"type": "WordLevel", "unk_token": "<unk>",
                               "vocab": {"hello": 1}}, ["hello", "nope"]),
    ("wordlevel_untyped", {"unk_token": "<unk>", "vocab": {"<unk>": 0, "hi": 1}}, ["hi", "yo"]),
]


# Models that must not load (or, marked OK, that HF loads but we refuse: dropout in (0, 1),
# Unigram). Printed as comments next to the C table so the HF message is on record.
LOAD_ERRORS = [
    {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b", "a d"]},
    {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]},
    {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [["a", "b"], ["x", "b"]]},
    {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b", "a b c"]},
    {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b", ["a", "b"]]},
    {"type": "BPE", "vocab": {"a": 0}},
    {"type": "BPE", "dropout": 1.5, "vocab": {"a": 0}, "merges": []},
    {"type": "BPE", "dropout": 0.5, "vocab": {"a": 0}, "merges": []},
    {"type": "BPE", "vocab": {"a": -1}, "merges": []},
    {"type": "BPE", "fuse_unk": "yes", "vocab": {"a": 0}, "merges": []},
    {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["a", -1.0]]},
    {"type": "Foo", "vocab": {"a": 0}, "merges": []},
    {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
     "vocab": {"a": 0}},
    {"type": "WordLevel", "vocab": {"a": 0}},
    {"vocab": {"a": 0}},
    {"type": "BPE", "unk_token": "<unk>", "vocab": {"<unk>": 0}},
]


def main():
    print("/* Generated by tests/c/data/gen_model_tables.py (tokenizers==0.23.3). */")
    print("/* Load errors, HF's outcome for each (the C test checks our status, path and text):")
    for i, m in enumerate(LOAD_ERRORS):
        try:
            load(m)
            r = "OK (loads in HF)"
        except BaseException as e:  # noqa: BLE001
            r = str(e).split("\n")[0]
        print(f" *   [{i}] {json.dumps(m)}\n *       -> {r}")
    print(" */")
    for name, model, words in CASES:
        print(f"static const char *const {name}_json =\n    {c_str(json.dumps(model, ensure_ascii=False))};")
        print(f"static const model_case {name}_cases[] = {{")
        for w in words:
            print(f"    {{{c_str(w)}, {c_str(render(model, w))}}},")
        print("};")


if __name__ == "__main__":
    main()
