"""Generate normalizer / pre-tokenizer parity vectors for tests/c/test_normalizers.c and
tests/c/test_pretokenizers.c from the reference library (tokenizers==0.23.3).

    python3 tests/c/data/gen_norm_pretok.py [--random N] [--seed S] [--out FILE]

Writes one JSON document (default tests/c/data/norm_pretok.json):

  {"cases": [{"n": <normalizer JSON or null>, "p": <pre-tokenizer JSON or null>,
              "io": [[input, [piece, ...]], ...]}, ...],
   "errors": [{"n" | "p": <JSON>, "status": "HFC_ERR_...", "msg": <substring>}, ...]}

where each expected piece is [text, orig_start, orig_end, chars] with byte offsets into
the input: (orig_start, orig_end) is the piece's original range and `chars` lists, for
every character of the piece's normalized text, the original [start, end) it aligns to,
flattened (s0, e0, s1, e1, ...), or null when every character is simply itself in the
input (text == input[orig_start:orig_end] with identity alignments).

The expected values come from running the reference on a tokenizers.PreTokenizedString:
normalize (if any) with the normalizer, pre-tokenize (if any), read get_splits("original",
"byte"); then split every piece into single characters (Split on [\\s\\S], Isolated) and
read the splits again for the per-character alignments. A normalizer-only case therefore
expects exactly one piece (possibly empty), as HF's PreTokenizedString holds it.

--random N adds N random strings per configuration (for a bigger parity run: write them
to /tmp and point HFC_NORM_VECTORS at the file; the committed file uses N=0).
"""
import argparse
import json
import os
import random

import tokenizers
from tokenizers import Regex, pre_tokenizers as P, normalizers as N

HERE = os.path.dirname(os.path.abspath(__file__))

CORPUS = [
    "",
    " ",
    "Hello World!",
    "  leading and trailing  ",
    "H\u00e9llo W\u00f6rld, na\u00efve caf\u00e9",
    "e\u0301 a\u0308\u0323 \u1ec7 x\u0301\u0316\u0300 \u0301abc",
    "\u0344\u0f73\u0f75 \u1e9b\u0323 \u212b \u0390",
    "\ufb01 \ufb02 \ufb03 \u2163 \u00bd \u00b2 \u2075 \u33ff \u32ff",
    "\uff21\uff22\uff23\uff11\uff12\uff13 \uff8a\uff9f \uff76\uff9e",
    "\u0130stanbul \u0049\u0307 Stra\u00dfe \u1e9e",
    "\u03a3\u0391\u03a3 \u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3 \u01c4\u01c5\u01c6",
    "\u4e2d\u6587\u5b57\u7b26 \u65e5\u672c\u8a9e\u304b\u306a\u30ab\u30ca\u30fc\u3002",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467 \U0001f600\U0001f970 \u2764\ufe0f",
    "a\x00b\x01c\x7f\u200bd\ufeffe\ufffdf\u00adg\x85h",
    "tab\there\nnew\r\nline\x0bvt\x0cff",
    "nbsp\u00a0x\u3000y\u2009z\u1680w\u202fv\u2028u",
    "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd \u0645\u0631\u062d\u0628\u0627 \u200f",
    "\ud55c\uad6d\uc5b4 \u1100\u1161\u11a8 \u1112\u1161\u11ab",
    "don't you'll I'M 123 4567 \u0663\u0664 \u2167",
    "a--b..c!?;(x) [y] {z} $5+3=8 ^_^ `q` |p| ~",
    "\u2581already\u2581meta \u2581\u2581x",
    "mixed123abc 3.14 1,000 \U0001d7ce\U0001d400",
    "\u1c89 \ua7ce \ua7cb \u08d3\u0915\u093c \U00011938 \U0001f979",
    "\u0e01\u0e34\u0e19\u0e02\u0e49\u0e32\u0e27 \u0915\u094d\u0937 \u0dc1\u0dca\u200d\u0dbb\u0dd3",
    "\u0391\u0301\u0345 \u1f80 \u1fb3\u0301 o\u031b\u0323",
]

SPLIT_CHARS = P.Split(Regex(r"[\s\S]"), "isolated")


NORMALIZERS = [
    {"type": "NFC"}, {"type": "NFD"}, {"type": "NFKC"}, {"type": "NFKD"},
    {"type": "Lowercase"},
    {"type": "Strip", "strip_left": True, "strip_right": True},
    {"type": "Strip", "strip_left": True, "strip_right": False},
    {"type": "Strip", "strip_left": False, "strip_right": True},
    {"type": "StripAccents"},
    {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"},
    {"type": "Replace", "pattern": {"String": "a"}, "content": "xyz"},
    {"type": "Replace", "pattern": {"String": "ll"}, "content": ""},
    {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "},
    {"type": "Replace", "pattern": {"Regex": "[aeiou\u00e9]"}, "content": ""},
    {"type": "Replace", "pattern": {"Regex": "(?i)h"}, "content": "\u00df\u00df"},
    {"type": "Prepend", "prepend": "\u2581"},
    {"type": "Prepend", "prepend": ""},
    {"type": "Prepend", "prepend": "ab"},
    {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
     "strip_accents": None, "lowercase": True},
    {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": False,
     "strip_accents": None, "lowercase": False},
    {"type": "BertNormalizer", "clean_text": False, "handle_chinese_chars": True,
     "strip_accents": True, "lowercase": False},
    {"type": "BertNormalizer", "clean_text": False, "handle_chinese_chars": False,
     "strip_accents": False, "lowercase": True},
    {"type": "Nmt"},
    {"type": "ByteLevel"},
    {"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "StripAccents"},
                                         {"type": "Lowercase"}]},
    {"type": "Sequence", "normalizers": [
        {"type": "Prepend", "prepend": "\u2581"},
        {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
    {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"},
                                         {"type": "Strip", "strip_left": True,
                                          "strip_right": True}]},
]

BEHAVIORS = ["Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"]
PRETOKENIZERS = (
    [{"type": "ByteLevel", "add_prefix_space": a, "trim_offsets": True, "use_regex": r}
     for a in (True, False) for r in (True, False)]
    + [{"type": "Split", "pattern": {"String": " "}, "behavior": b, "invert": False}
       for b in BEHAVIORS]
    + [{"type": "Split", "pattern": {"Regex": "\\s+"}, "behavior": b, "invert": False}
       for b in BEHAVIORS]
    + [{"type": "Split", "pattern": {"Regex": "\\s+"}, "behavior": b, "invert": True}
       for b in ("Removed", "MergedWithPrevious", "Contiguous")]
    + [{"type": "Split", "pattern": {"Regex": "\\p{N}{1,3}"}, "behavior": "Isolated",
        "invert": False},
       {"type": "Split", "pattern": {"String": "--"}, "behavior": "Removed", "invert": False},
       {"type": "Split", "pattern": {"Regex":
        "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}"
        "\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}, "behavior": "Isolated",
        "invert": False}]
    + [{"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": s, "split": sp}
       for s in ("always", "first", "never") for sp in (True, False)]
    + [{"type": "Metaspace", "replacement": "_", "add_prefix_space": True}]
    + [{"type": "Whitespace"}, {"type": "WhitespaceSplit"}, {"type": "BertPreTokenizer"}]
    + [{"type": "Punctuation", "behavior": b} for b in BEHAVIORS] + [{"type": "Punctuation"}]
    + [{"type": "Digits", "individual_digits": d} for d in (True, False)]
    + [{"type": "CharDelimiterSplit", "delimiter": d} for d in ("-", " ", "\u00e9")]
    + [{"type": "UnicodeScripts"}, {"type": "FixedLength", "length": 3}, {"type": "FixedLength"}]
    + [{"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"},
                                              {"type": "Digits", "individual_digits": True}]},
       {"type": "Sequence", "pretokenizers": [
           {"type": "WhitespaceSplit"},
           {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first"}]},
       {"type": "Sequence", "pretokenizers": [
           {"type": "Split", "pattern": {"Regex": "\\p{N}{1,3}"}, "behavior": "Isolated",
            "invert": False},
           {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
            "use_regex": False}]}]
)

# Normalizer + pre-tokenizer pairs as real tokenizers use them.
PAIRS = [
    (NORMALIZERS[18], {"type": "BertPreTokenizer"}),  # BERT uncased
    ({"type": "NFKC"}, {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                        "use_regex": True}),
    ({"type": "Sequence", "normalizers": [{"type": "Strip", "strip_left": True,
                                           "strip_right": True}, {"type": "Lowercase"}]},
     {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": True}),
    ({"type": "Replace", "pattern": {"Regex": "[aeiou\u00e9]"}, "content": ""},
     {"type": "Whitespace"}),
    ({"type": "Prepend", "prepend": ""}, {"type": "UnicodeScripts"}),
    ({"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
      "strip_accents": None, "lowercase": True},
     {"type": "Sequence", "pretokenizers": [{"type": "Punctuation", "behavior": "Contiguous"},
                                            {"type": "FixedLength", "length": 2}]}),
]

# Empty regex matches (Oniguruma find_iter semantics), on short inputs only.
EDGE_INPUTS = ["", "a", "abc", "xxaxx", "h\u00e9llo x w\u00f6rld", "  "]
EDGES = [
    ({"type": "Replace", "pattern": {"Regex": "x*"}, "content": "-"}, None),
    ({"type": "Replace", "pattern": {"String": ""}, "content": "+"}, None),
    ({"type": "Replace", "pattern": {"Regex": "$"}, "content": "$"}, None),
    (None, {"type": "Split", "pattern": {"Regex": "x*"}, "behavior": "MergedWithNext",
            "invert": True}),
    (None, {"type": "Split", "pattern": {"Regex": "(?=a)"}, "behavior": "MergedWithPrevious",
            "invert": False}),
]

# Loader failures: (kind, JSON, status, message substring)
ERRORS = [
    ("n", {"type": "Precompiled", "precompiled_charsmap": "AAAA"}, "HFC_ERR_UNSUPPORTED",
     "Precompiled normalizer (SentencePiece) is not supported yet"),
    ("n", {"type": "Foo"}, "HFC_ERR_INVALID", "unknown normalizer type \"Foo\""),
    ("n", {"type": "Strip", "strip_left": True}, "HFC_ERR_INVALID", "strip_right"),
    ("n", {"type": "BertNormalizer", "clean_text": 1, "handle_chinese_chars": True,
           "lowercase": True}, "HFC_ERR_INVALID", "$.normalizer.clean_text"),
    ("n", {"type": "Replace", "pattern": "l", "content": "L"}, "HFC_ERR_INVALID",
     "$.normalizer.pattern"),
    ("n", {"type": "Replace", "pattern": {"Regex": "(unclosed"}, "content": ""},
     "HFC_ERR_INVALID", "$.normalizer.pattern.Regex"),
    ("n", {"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Nope"}]},
     "HFC_ERR_INVALID", "$.normalizer.normalizers[1].type"),
    ("n", {"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Precompiled"}]},
     "HFC_ERR_UNSUPPORTED", "$.normalizer.normalizers[1]"),
    ("n", {"type": "Sequence"}, "HFC_ERR_INVALID", "normalizers"),
    ("p", {"type": "ByteLevel", "add_prefix_space": True}, "HFC_ERR_INVALID", "trim_offsets"),
    ("p", {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": False},
     "HFC_ERR_INVALID", "add_prefix_space does not match"),
    ("p", {"type": "Metaspace", "replacement": "ab"}, "HFC_ERR_INVALID",
     "$.pre_tokenizer.replacement"),
    ("p", {"type": "Split", "pattern": {"String": "l"}, "behavior": "Isolated"},
     "HFC_ERR_INVALID", "invert"),
    ("p", {"type": "Split", "pattern": {"String": "l"}, "behavior": "isolated",
           "invert": False}, "HFC_ERR_INVALID", "$.pre_tokenizer.behavior"),
    ("p", {"type": "Digits"}, "HFC_ERR_INVALID", "individual_digits"),
    ("p", {"type": "Delimiter", "delimiter": "l"}, "HFC_ERR_INVALID", "Delimiter"),
    ("p", {"type": "Sequence", "pretokenizers": [{"type": "Whitespace"}, 3]},
     "HFC_ERR_INVALID", "$.pre_tokenizer.pretokenizers[1]"),
]


def check_errors_in_reference():
    """Every ERRORS entry must also fail to load in the reference (except Precompiled,
    which the reference supports)."""
    from tokenizers import Tokenizer
    for kind, js, _, _ in ERRORS:
        if js.get("type") == "Precompiled" or any(
                x.get("type") == "Precompiled" for x in js.get("normalizers", [])):
            continue
        doc = {"version": "1.0", "added_tokens": [], "normalizer": None, "pre_tokenizer": None,
               "model": {"type": "WordLevel", "vocab": {"u": 0}, "unk_token": "u"}}
        doc["normalizer" if kind == "n" else "pre_tokenizer"] = js
        try:
            Tokenizer.from_str(json.dumps(doc))
        except Exception:
            continue
        raise SystemExit(f"reference accepts {js}, expected a failure")


def build(nz, pt):
    from tokenizers import Tokenizer
    doc = {"version": "1.0", "added_tokens": [], "normalizer": nz, "pre_tokenizer": pt,
           "model": {"type": "WordLevel", "vocab": {"u": 0}, "unk_token": "u"}}
    tok = Tokenizer.from_str(json.dumps(doc))
    return tok.normalizer, tok.pre_tokenizer


def expected(norm, pre, s):
    pts = tokenizers.PreTokenizedString(s)
    if norm is not None:
        pts.normalize(lambda ns: norm.normalize(ns))
    if pre is not None:
        pre.pre_tokenize(pts)
    pieces = pts.get_splits("original", "byte")
    SPLIT_CHARS.pre_tokenize(pts)
    chars = pts.get_splits("original", "byte")
    raw = s.encode("utf-8")
    out, k = [], 0
    for text, (a, b), _ in pieces:
        nch = len(text)
        cs = chars[k:k + nch]
        k += nch
        assert "".join(t for t, _, _ in cs) == text
        flat = [x for _, (cs_, ce), _ in cs for x in (cs_, ce)]
        ident = raw[a:b] == text.encode("utf-8")
        if ident:
            pos = a
            for ch, (cs_, ce), _ in cs:
                w = len(ch.encode("utf-8"))
                if (cs_, ce) != (pos, pos + w):
                    ident = False
                    break
                pos += w
        out.append([text, a, b, None if ident else flat])
    assert k == len(chars), "per-char splits do not line up with the pieces"
    return out


ALPHABET = (
    [chr(c) for c in range(0x20, 0x7F)] * 3
    + list("\t\n\r\x0b\x0c\x00\x01\x7f\x85\xa0\xad\u3000\u2028\ufeff\u200b\ufffd\u2581")
    + [chr(c) for c in range(0xC0, 0x180)]
    + [chr(c) for c in range(0x300, 0x370)]  # combining marks
    + [chr(c) for c in range(0x390, 0x3D0)]
    + [chr(c) for c in range(0x1E00, 0x1F00, 7)]
    + [chr(c) for c in range(0x1F00, 0x2000, 5)]
    + [chr(c) for c in range(0x2000, 0x2070)]
    + [chr(c) for c in range(0x3040, 0x3100, 3)]
    + [chr(c) for c in range(0x4E00, 0x4E40)]
    + [chr(c) for c in range(0xAC00, 0xAC40)] + [chr(c) for c in range(0x1100, 0x1200, 3)]
    + [chr(c) for c in range(0xFB00, 0xFB50)] + [chr(c) for c in range(0xFF00, 0xFFF0, 2)]
    + [chr(c) for c in range(0x0F70, 0x0F90)] + [chr(c) for c in range(0x0900, 0x0980, 2)]
    + ["\U0001F600", "\U0001F970", "\U0001D400", "\U00011938", "\u1C89", "\uA7CE", "\u0130"]
)


def random_strings(rng, n):
    out = []
    for _ in range(n):
        k = rng.choice([1, 2, 3, 5, 8, 13, 30])
        out.append("".join(rng.choice(ALPHABET) for _ in range(k)))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--random", type=int, default=0, help="random strings per configuration")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--out", default=os.path.join(HERE, "norm_pretok.json"))
    args = ap.parse_args()
    assert tokenizers.__version__ == "0.23.3", tokenizers.__version__
    check_errors_in_reference()
    rng = random.Random(args.seed)
    configs = [(n, None) for n in NORMALIZERS] + [(None, p) for p in PRETOKENIZERS] + PAIRS
    cases = []
    for nz, pt in configs:
        norm, pre = build(nz, pt)
        inputs = CORPUS + random_strings(rng, args.random)
        cases.append({"n": nz, "p": pt,
                      "io": [[s, expected(norm, pre, s)] for s in inputs]})
    for nz, pt in EDGES:
        norm, pre = build(nz, pt)
        cases.append({"n": nz, "p": pt, "io": [[s, expected(norm, pre, s)] for s in EDGE_INPUTS]})
    errors = [{kind: js, "status": st, "msg": msg} for kind, js, st, msg in ERRORS]
    text = json.dumps({"cases": cases, "errors": errors}, ensure_ascii=False,
                      separators=(",", ":"))
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    print(f"wrote {args.out}: {len(cases)} configurations, "
          f"{sum(len(c['io']) for c in cases)} cases, {len(text.encode())} bytes")


if __name__ == "__main__":
    main()
