"""JSON load speed on real tokenizer.json files: hfc's C reader vs peers.

Why: tokenizer.json loading is the first thing hfc.tokenizers does; its reader was chosen
by this measurement (issue 2). hfc and yyjson parse into a C DOM without building Python
objects; orjson and json build Python objects (shown for scale).
"""
import gzip
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import machine_header, memcpy_bandwidth, paired, ratio_stats, write_result  # noqa: E402

from hfc import _C  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAMES = ["llama2", "deepseek_v3", "qwen3"]


def main():
    try:
        import yyjson
    except ImportError:
        yyjson = None
    try:
        import orjson
    except ImportError:
        orjson = None
    tmp = tempfile.mkdtemp()
    bw = memcpy_bandwidth()
    rows = []
    for name in NAMES:
        with gzip.open(os.path.join(ROOT, "tests/fixtures/tokenizers", name, "tokenizer.json.gz")) as f:
            data = f.read()
        path = os.path.join(tmp, f"{name}.json")
        with open(path, "wb") as f:
            f.write(data)
        fns = {"hfc": lambda: _C._json_parse_file(path)}
        if yyjson:
            fns["yyjson"] = lambda: yyjson.Document(open(path, "rb").read())
        if orjson:
            fns["orjson"] = lambda: orjson.loads(open(path, "rb").read())
        fns["json"] = lambda: json.loads(open(path, "rb").read())
        times = paired(fns, rounds=7)
        mb = len(data) / 1e6
        hfc_med = sorted(times["hfc"])[len(times["hfc"]) // 2]
        row = f"| {name} | {mb:.1f} | {hfc_med * 1e3:.1f} ms ({mb / hfc_med / 1e3:.2f} GB/s) |"
        for peer in ("yyjson", "orjson", "json"):
            if peer in times:
                med, lo, hi = ratio_stats(times, "hfc", peer)
                row += f" {med:.2f}x ({lo:.2f}–{hi:.2f}) |"
            else:
                row += " n/a |"
        rows.append(row)
    body = (
        "# Core: JSON reader\n\n" + machine_header(1) +
        f"- memcpy bandwidth in this run: {bw:.1f} GB/s\n"
        f"- peers: yyjson {getattr(yyjson, '__version__', 'n/a') if yyjson else 'absent'}, "
        f"orjson {getattr(orjson, '__version__', 'n/a') if orjson else 'absent'}\n\n"
        "Paired rounds (7, after warm-up), median ratio of peer time / hfc time (higher = hfc "
        "faster), min–max in brackets. hfc and yyjson build a C DOM only; orjson and json "
        "also build Python objects. hfc includes mmap of the file; peers include reading it.\n\n"
        "| file | MB | hfc | yyjson / hfc | orjson / hfc | json / hfc |\n"
        "|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n")
    write_result("core", body)


if __name__ == "__main__":
    main()
