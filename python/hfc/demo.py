"""`python -m hfc.demo` (make demo): hfc's main job on an embedded default.

Loads the bundled Llama-2 tokenizer.json and tokenizes a bundled multilingual text with
hfc.tokenizers, checks the ids against HF tokenizers when it is installed, and prints
both speeds. Also shows the CPU features hfc dispatches on and its worker pool.
"""
import gzip
import os
import tempfile
import time
from importlib import resources

import hfc
from hfc.tokenizers import Tokenizer


def _best(fn, repeat=5):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    f = hfc.cpu_features()
    print(f"hfc {hfc.__version__} on {f['brand'] or f['vendor']}")
    print(f"  ISA detected: {f['isa_detected']}, used: {f['isa_used']}"
          f" (HFC_MAX_ISA=scalar|avx2|avx512 caps it); worker threads: {hfc.get_num_threads()}")
    data = resources.files("hfc").joinpath("data")
    tokenizer_json = gzip.decompress(data.joinpath("llama2-tokenizer.json.gz").read_bytes())
    text = data.joinpath("sample.txt").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line] * 20
    mb = sum(len(line.encode()) for line in lines) / 1e6

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "tokenizer.json")
        with open(path, "wb") as out:
            out.write(tokenizer_json)
        t0 = time.perf_counter()
        tok = Tokenizer.from_file(path)
        load = time.perf_counter() - t0
        enc = tok.encode(lines[0])
        print(f"\nLlama-2 tokenizer.json loaded in {load * 1e3:.0f} ms; {lines[0]!r} ->")
        print(f"  tokens {enc.tokens[:12]}{' ...' if len(enc) > 12 else ''}")
        print(f"  ids    {enc.ids[:12]}{' ...' if len(enc) > 12 else ''}")
        print(f"  decode {tok.decode(enc.ids)!r}")

        hfc.set_num_threads(1)
        t_ours = _best(lambda: [tok.encode(line).ids for line in lines])
        print(f"\nEncoding {len(lines)} lines ({mb:.2f} MB), one thread:")
        print(f"  hfc.tokenizers       {t_ours * 1e3:8.1f} ms  ({mb / t_ours:6.1f} MB/s)")
        try:
            import tokenizers
        except ImportError:
            print("  (install `tokenizers` to compare with HF tokenizers)")
            return
        ref = tokenizers.Tokenizer.from_file(path)
        same = all(tok.encode(line).ids == ref.encode(line).ids for line in lines[:200])
        t_ref = _best(lambda: [ref.encode(line).ids for line in lines], repeat=3)
        print(f"  HF tokenizers {tokenizers.__version__:6s} {t_ref * 1e3:8.1f} ms  ({mb / t_ref:6.1f} MB/s)"
              f"  -> hfc is {t_ref / t_ours:.1f}x faster; identical ids: {same}")
        print("  (a small sample, repeated: both libraries' word caches are warm; "
              "benchmarks/results/tokenizers.md has the full comparison)")


if __name__ == "__main__":
    main()
