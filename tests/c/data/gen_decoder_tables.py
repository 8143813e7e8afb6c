"""Print the expected-output tables of tests/c/test_decoders.c from the reference library.

    python3 tests/c/data/gen_decoder_tables.py > /tmp/decoder_tables.inc

Each case: a decoder JSON (as the "decoder" of a tokenizer.json) and token lists; the
expectation is `Tokenizer.from_str(...).decoder.decode(tokens)` (with its byte length, as
it may hold NULs), or "ERR:<message>" when decode raises (HF panics in Strip).
tokenizers==0.23.3.
"""
import json
import os

os.environ.setdefault("RUST_BACKTRACE", "0")

from tokenizers import Tokenizer  # noqa: E402

BASE = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": [],
        "normalizer": None, "pre_tokenizer": None, "post_processor": None,
        "model": {"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "a"}}


def decoder(dec):
    t = dict(BASE)
    t["decoder"] = dec
    return Tokenizer.from_str(json.dumps(t)).decoder


def render(dec, tokens):
    try:
        return decoder(dec).decode(tokens)
    except BaseException as e:  # noqa: BLE001 - PanicException is a BaseException
        return "ERR:" + str(e).split("\n")[0]


def c_str(s):
    """A C string literal; a hex escape is closed ("" "") only before a hex digit."""
    out, raw = [], s.encode("utf-8", "surrogatepass")
    for i, b in enumerate(raw):
        if b == 0x22 or b == 0x5C:
            out.append("\\" + chr(b))
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            nxt = chr(raw[i + 1]) if i + 1 < len(raw) else ""
            out.append(f"\\x{b:02x}" + ('""' if nxt and nxt in "0123456789abcdefABCDEF" else ""))
    return '"' + "".join(out) + '"'


def bl(b):
    """bytes -> GPT-2 byte-level string"""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for x in range(256):
        if x not in bs:
            bs.append(x)
            cs.append(256 + n)
            n += 1
    m = dict(zip(bs, cs))
    return "".join(chr(m[x]) for x in b)


BYTELEVEL_TOKENS = [
    ["Hello", "\u0120world", "!"],
    [bl("caf\u00e9".encode()), bl(" \u65e5\u672c".encode())],
    [bl(b"\xc3"), bl(b"\xa9")],                      # a char split over two tokens
    [bl(b"\xe6\x97"), bl(b" ok")],                   # truncated 3-byte sequence
    [bl(b"\x80\xbf"), bl(b"\xc0\xaf"), bl(b"\xed\xa0\x80")],  # continuation, overlong, surrogate
    [bl(b"\xf4\x90\x80\x80"), bl(b"\xf0\x9f\x98"), bl(b"\xf0\x9f\x98\x80")],
    [bl(b"\xe0\x80\x80"), bl(b"\xf5\xff"), bl(b"\xe1\x80\x41")],
    ["hello\u4e16\u754c", "\u0120x"],                 # a char outside the byte alphabet
    ["\u0100\u0101\u010a", "\u0120\u0120"],           # control bytes, spaces
    [],
    [""],
]
METASPACE_TOKENS = [
    ["\u2581Hey", "\u2581friend", "!"],
    ["\u2581\u2581a\u2581b", "\u2581c\u2581"],
    ["Hey", "\u2581you"],
    ["\u2581"],
    [],
]
WORDPIECE_TOKENS = [
    ["my", "name", "is", "john", "##ny", "."],
    ["i", "do", "not", "know", "it", "'", "s", "fine", "!"],
    ["don", "'", "t", "you", "'", "re", "i", "'", "m", "we", "'", "ve", "can", "n't", "?", ","],
    ["a", "' ", "b", " do not", "##", "##x"],
    ["##start", "##"],
    [],
]
BPE_TOKENS = [
    ["hello</w>", "wor", "ld</w>", "!</w>"],
    ["a</w>b</w>", "c"],
    ["x", "y</w>"],
    [],
]
BYTEFALLBACK_TOKENS = [
    ["<0x61>", "<0x62>", "c", "<0xE6>", "<0x97>", "<0xA5>"],
    ["<0xe6>", "<0x97>", "<0xa5>", "<0xFF>", "x", "<0xC3>", "<0x61>"],
    ["<0x+A>", "<0x-1>", "<0xGG>", "<0x0A", "<0x100>", "<0x>", "<0x41> "],
    ["<0xF0>", "<0x9F>", "<0x98>", "<0x80>", "<0xF0>", "<0x9F>"],
    ["\u2581hi", "<0x20>", "<0xC3>"],
    [],
]
CTC_TOKENS = [
    ["<pad>", "<pad>", "h", "e", "e", "l", "l", "<pad>", "l", "o", "o", "o", "|", "w", "o", "r",
     "l", "d", "<pad>", "|", "|", "<pad>"],
    ["a", " .", "|", "i", "do not", "<pad>"],
    ["a<pad>b", "a<pad>b", "|x|"],
    [],
]
STRIP_TOKENS = [
    ["  hello  ", " x", "y  "],
    ["\u00e9\u00e9a\u00e9", "\u00e9"],
]
REPLACE_TOKENS = [
    ["\u2581Hey", "\u2581\u2581friend", "!\u2581"],
    ["a  b", "\t c\n", ""],
    ["aaa", "baab"],
]
SEQ_TOKENS = [
    ["\u2581Hey", "\u2581friend", "<0x21>", "<0xE6>", "<0x97>", "<0xA5>", "\u2581<0x41>"],
    ["\u2581", "\u2581a", "<0xFF>"],
    [],
]


def random_utf8ish(n, seed=7):
    """Byte strings near UTF-8: valid chars with bytes dropped, swapped or corrupted."""
    import random
    rng = random.Random(seed)
    interesting = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
                   0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xF8, 0xFF]
    out = []
    for _ in range(n):
        b = bytearray()
        for _ in range(rng.randint(1, 4)):
            r = rng.random()
            if r < 0.4:
                b += chr(rng.choice([0x41, 0xE9, 0x65E5, 0x1F600, 0x10FFFF, 0xFFFD, 0x7FF,
                                     0x800, 0xD7FF, 0xE000])).encode()
            elif r < 0.7:
                b += chr(rng.choice([0xE9, 0x65E5, 0x1F600, 0x10FFFF])).encode()[:rng.randint(1, 3)]
            else:
                b.append(rng.choice(interesting))
        out.append([bl(bytes(b[: len(b) // 2])), bl(bytes(b[len(b) // 2:]))])
    return out


CASES = [
    ("bytelevel_lossy", {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False},
     random_utf8ish(120)),
    ("bytelevel", {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                   "use_regex": True}, BYTELEVEL_TOKENS),
    ("metaspace_always", {"type": "Metaspace", "replacement": "\u2581",
                          "prepend_scheme": "always", "split": True}, METASPACE_TOKENS),
    ("metaspace_first", {"type": "Metaspace", "replacement": "\u2581",
                         "prepend_scheme": "first", "split": False}, METASPACE_TOKENS),
    ("metaspace_never", {"type": "Metaspace", "replacement": "\u2581",
                         "prepend_scheme": "never"}, METASPACE_TOKENS),
    ("metaspace_legacy_true", {"type": "Metaspace", "replacement": "\u2581",
                               "add_prefix_space": True}, METASPACE_TOKENS),
    ("metaspace_legacy_false", {"type": "Metaspace", "replacement": "\u2581",
                                "add_prefix_space": False, "prepend_scheme": "never"},
     METASPACE_TOKENS),
    ("metaspace_underscore", {"type": "Metaspace", "replacement": "_",
                              "prepend_scheme": "always"}, [["_a_b", "_c"], ["\u2581x_"]]),
    ("wordpiece_cleanup", {"type": "WordPiece", "prefix": "##", "cleanup": True},
     WORDPIECE_TOKENS),
    ("wordpiece_raw", {"type": "WordPiece", "prefix": "##", "cleanup": False},
     WORDPIECE_TOKENS),
    ("wordpiece_empty_prefix", {"type": "WordPiece", "prefix": "", "cleanup": True},
     WORDPIECE_TOKENS[:2]),
    ("bpe_suffix", {"type": "BPEDecoder", "suffix": "</w>"}, BPE_TOKENS),
    ("bpe_empty_suffix", {"type": "BPEDecoder", "suffix": ""}, [["ab", "c"], ["\u00e9"]]),
    ("bytefallback", {"type": "ByteFallback"}, BYTEFALLBACK_TOKENS),
    ("fuse", {"type": "Fuse"}, [["a", " b", "", "c"], []]),
    ("strip_space", {"type": "Strip", "content": " ", "start": 1, "stop": 1}, STRIP_TOKENS),
    ("strip_e", {"type": "Strip", "content": "\u00e9", "start": 5, "stop": 1}, STRIP_TOKENS),
    ("strip_panic_stop", {"type": "Strip", "content": "a", "start": 0, "stop": 3},
     [["baa"], ["aaa"], [""]]),
    ("strip_panic_cross", {"type": "Strip", "content": "a", "start": 3, "stop": 3},
     [["aaaa"], ["xaaa"]]),
    ("ctc_cleanup", {"type": "CTC", "pad_token": "<pad>", "word_delimiter_token": "|",
                     "cleanup": True}, CTC_TOKENS),
    ("ctc_raw", {"type": "CTC", "pad_token": "<pad>", "word_delimiter_token": "|",
                 "cleanup": False}, CTC_TOKENS),
    ("ctc_empty", {"type": "CTC", "pad_token": "", "word_delimiter_token": "",
                   "cleanup": True}, [["a", "a", "b", " ."]]),
    ("replace_string", {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
     REPLACE_TOKENS),
    ("replace_regex", {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": "_"},
     REPLACE_TOKENS),
    ("replace_regex_drop", {"type": "Replace", "pattern": {"Regex": "a+"}, "content": ""},
     REPLACE_TOKENS),
    ("seq_llama", {"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
        {"type": "ByteFallback"}, {"type": "Fuse"},
        {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}, SEQ_TOKENS),
    ("seq_metaspace", {"type": "Sequence", "decoders": [
        {"type": "ByteFallback"}, {"type": "Metaspace", "replacement": "\u2581",
                                   "prepend_scheme": "always", "split": True}]}, SEQ_TOKENS),
    ("seq_nested", {"type": "Sequence", "decoders": [
        {"type": "Sequence", "decoders": [{"type": "Fuse"}]},
        {"type": "Sequence", "decoders": []},
        {"type": "WordPiece", "prefix": "##", "cleanup": True}]}, [["a", " ,", "##b"]]),
    ("seq_empty", {"type": "Sequence", "decoders": []}, [["a", "b"], []]),
    ("untyped_bpe", {"suffix": "</w>"}, [["a</w>", "b"]]),
    ("untyped_wordpiece", {"prefix": "##", "cleanup": False}, [["a", "##b", "c"]]),
    ("untyped_ctc", {"pad_token": "<pad>", "word_delimiter_token": "|", "cleanup": True},
     [["a", "a", "|", "b"]]),
    ("untyped_replace", {"pattern": {"String": "x"}, "content": "y"}, [["axb"]]),
    ("untyped_strip", {"content": "x", "start": 1, "stop": 1}, [["xax"]]),
]

# Decoders that must not load, with HF's verdict on record.
LOAD_ERRORS = [
    {"type": "Foo"},
    {"type": "BPEDecoder"},
    {"type": "WordPiece", "prefix": "##"},
    {"type": "Metaspace"},
    {"type": "Metaspace", "replacement": "ab"},
    {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": False},
    {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "sometimes"},
    {"type": "Strip", "content": "ab", "start": 1, "stop": 1},
    {"type": "Strip", "content": " ", "start": -1, "stop": 1},
    {"type": "CTC", "pad_token": "<pad>", "word_delimiter_token": "|", "cleanup": 1},
    {"type": "Replace", "pattern": {"Regex": "("}, "content": ""},
    {"type": "Replace", "pattern": "a", "content": "b"},
    {"type": "Sequence"},
    {"type": "Sequence", "decoders": [{"type": "Fuse"}, {"type": "Foo"}]},
    {"type": "ByteLevel"},
    {"add_prefix_space": True, "trim_offsets": True},
]


def main():
    print("/* Generated by tests/c/data/gen_decoder_tables.py (tokenizers==0.23.3). */")
    print("/* Load errors, HF's outcome for each (the C test checks our status, path and text):")
    for i, d in enumerate(LOAD_ERRORS):
        try:
            decoder(d)
            r = "OK (loads in HF)"
        except BaseException as e:  # noqa: BLE001
            r = str(e).split("\n")[0]
        print(f" *   [{i}] {json.dumps(d, ensure_ascii=False)}\n *       -> {r}")
    print(" */")
    for name, dec, token_lists in CASES:
        print(f"static const char *const {name}_json =\n    {c_str(json.dumps(dec, ensure_ascii=False))};")
        print(f"static const decoder_case {name}_cases[] = {{")
        for toks in token_lists:
            lst = ", ".join(c_str(t) for t in toks)
            exp = render(dec, toks)
            nbytes = len(exp.encode("utf-8", "surrogatepass"))
            print(f"    {{(const char *const[]){{{lst + ', ' if lst else ''}NULL}}, {c_str(exp)}, {nbytes}}},")
        print("};")


if __name__ == "__main__":
    main()
