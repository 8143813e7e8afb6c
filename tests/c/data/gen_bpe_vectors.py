"""Generate BPE parity vectors for tests/c/test_models.c from the reference library.

    python3 tests/c/data/gen_bpe_vectors.py [--per-model N] [--out DIR] [--fixtures DIR]

For each fixture tokenizer (llama2, qwen3, deepseek_v3) it writes bpe_<name>.txt: one
line per word, `hex(word UTF-8)<TAB>id,id,...<TAB>start:end,...`, where the expected
tokens come from `Tokenizer.from_file(...).model.tokenize(word)` (tokenizers==0.23.3).
Words: vocabulary tokens, random concatenations of 2-5 tokens, random Unicode words
(byte fallback / unknown chars), byte-level-mapped random bytes, and long words.
The committed files use the default N (small); pass a larger N and --out /tmp for a
bigger parity run (test_models reads HFC_BPE_VECTORS=DIR).
"""
import argparse
import os
import random

from tokenizers import Tokenizer

MODELS = ["llama2", "qwen3", "deepseek_v3"]


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


B2U = bytes_to_unicode()
# A spread of scripts and planes: Latin-1, Greek, Cyrillic, CJK, Hangul, emoji, rare.
ALPHABET = (
    [chr(c) for c in range(0x20, 0x7F)]
    + [chr(c) for c in range(0xA0, 0x180)]
    + [chr(c) for c in range(0x391, 0x3CA)]
    + [chr(c) for c in range(0x410, 0x450)]
    + [chr(c) for c in range(0x4E00, 0x4E00 + 300)]
    + [chr(c) for c in range(0xAC00, 0xAC00 + 100)]
    + [chr(c) for c in range(0x1F600, 0x1F650)]
    + ["\u2581", "\u0130", "\u1E9E", "\U00010348", "\U0002A6D6", "\uFFFD", "\t", "\n"]
)


def words_for(name, vocab, n, rng):
    toks = sorted(vocab, key=vocab.get)
    byte_level = name != "llama2"
    out = []
    k = n // 4
    out += rng.sample(toks, k)
    for _ in range(k):
        out.append("".join(rng.choice(toks) for _ in range(rng.randint(2, 5))))
    for _ in range(k):
        w = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 12)))
        if byte_level:
            w = "".join(B2U[b] for b in w.encode("utf-8"))
        elif rng.random() < 0.5:
            w = "\u2581" + w.replace(" ", "\u2581")
        out.append(w)
    for _ in range(n - 3 * k - 3):
        raw = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        if byte_level:
            out.append("".join(B2U[b] for b in raw))
        else:
            out.append(raw.decode("utf-8", "replace"))
    long_tok = [t for t in toks if len(t) >= 3][:50]
    out.append("".join(rng.choice(long_tok) for _ in range(60))[:200])
    out.append("a" * 200)
    out.append(("\u2581" if not byte_level else "\u0120") + "x" * 199)
    return [w for w in out if w]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-model", type=int, default=300)
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--fixtures", default=os.environ.get(
        "HFC_FIXTURES", os.path.join(os.path.dirname(__file__), "../../../../shared/fixtures")))
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    for name in MODELS:
        rng = random.Random(f"{args.seed}-{name}")
        tok = Tokenizer.from_file(os.path.join(args.fixtures, "tokenizers", name, "tokenizer.json"))
        model = tok.model
        words = words_for(name, tok.get_vocab(with_added_tokens=False), args.per_model, rng)
        path = os.path.join(args.out, f"bpe_{name}.txt")
        with open(path, "w", encoding="ascii") as f:
            for w in words:
                toks = model.tokenize(w)
                ids = ",".join(str(t.id) for t in toks)
                offs = ",".join(f"{t.offsets[0]}:{t.offsets[1]}" for t in toks)
                f.write(f"{w.encode('utf-8').hex()}\t{ids}\t{offs}\n")
        print(f"{path}: {len(words)} words")


if __name__ == "__main__":
    main()
