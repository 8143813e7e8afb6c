"""`python -m hfc.demo` (make demo): hfc's main job on an embedded default.

Today (foundation): show the CPU features and ISA level hfc dispatches to, the worker
pool, and load the bundled Llama-2 tokenizer.json with hfc's C JSON reader beside
Python's json. Grows as modules land (tokenizers, models, ...).
"""
import gzip
import json
import os
import tempfile
import time
from importlib import resources

import hfc
from hfc import _C


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
          f" (set HFC_MAX_ISA=scalar|avx2|avx512 to cap)")
    print(f"  worker threads: {hfc.get_num_threads()}")
    data = gzip.decompress(
        resources.files("hfc").joinpath("data/llama2-tokenizer.json.gz").read_bytes())
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "tokenizer.json")
        with open(path, "wb") as out:
            out.write(data)
        n_values = _C._json_parse_file(path)
        t_hfc = _best(lambda: _C._json_parse_file(path))
        t_py = _best(lambda: json.loads(open(path, "rb").read()))
    mb = len(data) / 1e6
    print(f"Loaded the bundled Llama-2 tokenizer.json ({mb:.1f} MB, {n_values} JSON values):")
    print(f"  hfc C reader: {t_hfc * 1e3:7.2f} ms ({mb / t_hfc:,.0f} MB/s)")
    print(f"  Python json : {t_py * 1e3:7.2f} ms ({mb / t_py:,.0f} MB/s)  -> hfc {t_py / t_hfc:.1f}x")
    print("Modules: tokenizers, datasets, models, hub are not implemented yet (see README).")


if __name__ == "__main__":
    main()
