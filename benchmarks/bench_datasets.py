"""hfc.datasets vs HF datasets (and plain pyarrow) on the same files, paired rounds.

1. random single rows from a shuffled 1M-row dataset (text, label, token-id list);
2. batched iteration of a list<int32> column to NumPy, as GB/s beside a memcpy;
   also the shuffled batch gather (rows copied by index in C);
3. opening a large save_to_disk folder: time and RSS growth, in fresh processes;
4. tokenize + pack (group_texts) vs datasets.map(tokenizer, batched=True, num_proc=2)
   with HF's fast tokenizer (transformers.PreTrainedTokenizerFast), then group_texts.

Sizes: --open-gb (default 2; env HFC_BENCH_OPEN_GB), --text-mb (UTF-8 megabytes of text
for tokenize + pack, default 72; env HFC_BENCH_TEXT_MB; the speed bar says 1000), and
--tok-rounds (paired rounds of tokenize + pack, default 3). Data is generated once under
$TMPDIR/hfc_bench_datasets.
"""
import argparse
import glob
import json
import os
from itertools import chain
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import machine_header, memcpy_bandwidth, paired, ratio_stats, write_result  # noqa: E402

import hfc  # noqa: E402
import hfc.datasets as hd  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(tempfile.gettempdir(), "hfc_bench_datasets")
THREADS = 2


def _words():
    with open(os.path.join(ROOT, "tests", "data", "parity_corpus.txt"), encoding="utf-8") as f:
        words = f.read().split()
    extra = ("the of and to in is was for on that with as by at from his her they which this "
             "model data train token learning memory fast slow read write file batch").split()
    return np.array(sorted(set(words + extra)))


def _texts(n, rng, lo=20, hi=400):
    words = _words()
    lens = rng.integers(lo // 6, hi // 6, n)
    flat = words[rng.integers(0, len(words), int(lens.sum()))]
    out, at = [], 0
    for n_w in lens:
        out.append(" ".join(flat[at:at + n_w]))
        at += n_w
    return out


def _save_hf(path, columns, features=None):
    import datasets
    if os.path.exists(os.path.join(path, "state.json")):
        return
    datasets.Dataset.from_dict(columns, features=features).save_to_disk(path)


def make_rows_dataset(n=1_000_000):
    import datasets
    path = os.path.join(WORK, f"rows_{n}")
    if not os.path.exists(os.path.join(path, "state.json")):
        rng = np.random.default_rng(0)
        lens = rng.integers(4, 40, n)
        offs = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lens, out=offs[1:])
        vals = rng.integers(0, 32000, int(offs[-1])).astype(np.int32)
        import pyarrow as pa
        ids = pa.ListArray.from_arrays(pa.array(offs.astype(np.int32)), pa.array(vals))
        texts = _texts(n, rng, 20, 200)
        tbl = pa.table({"text": texts, "label": rng.integers(0, 5, n), "ids": ids})
        feats = datasets.Features({"text": datasets.Value("string"),
                                   "label": datasets.ClassLabel(num_classes=5),
                                   "ids": datasets.List(datasets.Value("int32"))})
        from datasets.table import InMemoryTable
        datasets.Dataset(InMemoryTable(tbl.cast(feats.arrow_schema)),
                         info=datasets.DatasetInfo(features=feats)).save_to_disk(path)
    return path


def bench_random_rows(path, what):
    import datasets
    h = hd.load_from_disk(path).shuffle(seed=0)
    r = datasets.load_from_disk(path).shuffle(seed=0)
    import pyarrow as pa
    tbl = pa.concat_tables([pa.ipc.open_stream(p).read_all() for p in h._table.paths])
    perm = np.random.default_rng(0).permutation(len(tbl))
    pos = np.random.default_rng(1).integers(0, len(h), 2000).tolist()
    assert h[pos[0]] == r[pos[0]]

    def run_h():
        for i in pos:
            h[i]

    def run_r():
        for i in pos:
            r[i]

    def run_pa():
        for i in pos:
            tbl.slice(int(perm[i]), 1).to_pylist()[0]

    times = paired({"hfc": run_h, "datasets": run_r, "pyarrow": run_pa}, rounds=5)
    med_h = sorted(times["hfc"])[2] / len(pos)
    rows = []
    for peer in ("datasets", "pyarrow"):
        m, lo, hi = ratio_stats(times, "hfc", peer)
        rows.append(f"| random row ({what}), shuffled {len(h):,} rows | hfc {med_h * 1e6:.1f} µs/row | "
                    f"{peer} {sorted(times[peer])[2] / len(pos) * 1e6:.1f} µs/row | "
                    f"**{m:.1f}x** ({lo:.1f}–{hi:.1f}) |")
    return rows


def make_ids_dataset(n_rows=400_000, mean_len=128):
    import datasets
    path = os.path.join(WORK, f"ids_{n_rows}_{mean_len}")
    if not os.path.exists(os.path.join(path, "state.json")):
        import pyarrow as pa
        rng = np.random.default_rng(2)
        lens = rng.integers(mean_len // 2, mean_len * 3 // 2, n_rows)
        offs = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(lens, out=offs[1:])
        vals = rng.integers(0, 50000, int(offs[-1])).astype(np.int32)
        col = pa.ListArray.from_arrays(pa.array(offs.astype(np.int32)), pa.array(vals))
        feats = datasets.Features({"input_ids": datasets.List(datasets.Value("int32"))})
        from datasets.table import InMemoryTable
        datasets.Dataset(InMemoryTable(pa.table({"input_ids": col})),
                         info=datasets.DatasetInfo(features=feats)).save_to_disk(path)
    return path


def bench_batches(path, bw):
    import datasets
    import pyarrow as pa
    h = hd.load_from_disk(path)
    r = datasets.load_from_disk(path).with_format("numpy")
    tbl = pa.concat_tables([pa.ipc.open_stream(p).read_all() for p in h._table.paths])
    total_vals = sum(len(v) for v, _ in h.iter_ragged("input_ids", 1000))
    nbytes = total_vals * 4
    buf = np.empty(total_vals, dtype=np.int32)

    def h_views():
        for v, o in h.iter_ragged("input_ids", 1000):
            pass

    def h_copy():
        at = 0
        for v, o in h.iter_ragged("input_ids", 1000):
            seg = v[o[0]:o[-1]]
            buf[at:at + len(seg)] = seg
            at += len(seg)

    def r_iter():
        for b in r.iter(batch_size=1000):
            pass

    def pa_iter():
        for b in tbl.to_batches(max_chunksize=1000):
            b.column(0).values.to_numpy()
            b.column(0).offsets.to_numpy()

    src = np.ones(total_vals, dtype=np.int32)

    def memcpy():
        np.copyto(buf, src)

    times = paired({"hfc_views": h_views, "hfc_copy": h_copy, "datasets": r_iter,
                    "pyarrow": pa_iter, "memcpy": memcpy}, rounds=3, warmup=1)
    med = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
    gbs = {k: nbytes / t / 1e9 for k, t in med.items()}
    rows = [f"| batches of 1000 rows, list<int32>, {nbytes / 1e6:.0f} MB of ids | "
            f"hfc zero-copy (values, offsets) views {gbs['hfc_views']:.1f} GB/s; "
            f"hfc + copy out {gbs['hfc_copy']:.2f} GB/s | datasets numpy iter "
            f"{gbs['datasets']:.3f} GB/s | **{ratio_stats(times, 'hfc_views', 'datasets')[0]:.0f}x** "
            f"(copying: {ratio_stats(times, 'hfc_copy', 'datasets')[0]:.0f}x); pyarrow "
            f"to_numpy {gbs['pyarrow']:.1f} GB/s; memcpy of the same bytes {gbs['memcpy']:.2f} "
            f"GB/s (large-copy bound {bw:.1f} GB/s) |"]
    # shuffled: rows gathered by index in C vs datasets shuffled numpy iteration
    hs = h.shuffle(seed=0)
    rs = datasets.load_from_disk(path).shuffle(seed=0).with_format("numpy")
    n_b = 100

    def hs_iter():
        for k, (v, o) in enumerate(hs.iter_ragged("input_ids", 1000)):
            if k == n_b:
                break

    def rs_iter():
        for k, b in enumerate(rs.iter(batch_size=1000)):
            if k == n_b:
                break

    t2 = paired({"hfc": hs_iter, "datasets": rs_iter}, rounds=3)
    m2, lo2, hi2 = ratio_stats(t2, "hfc", "datasets")
    shuf_bytes = sum(len(v) for k, (v, o) in zip(range(n_b), hs.iter_ragged("input_ids", 1000))) * 4
    tm = sorted(t2["hfc"])[1]
    rows.append(f"| shuffled batches (rows gathered by index), first {n_b} of 1000 rows | hfc "
                f"{shuf_bytes / tm / 1e9:.2f} GB/s copied | datasets "
                f"{shuf_bytes / sorted(t2['datasets'])[1] / 1e9:.3f} GB/s | **{m2:.0f}x** "
                f"({lo2:.0f}–{hi2:.0f}) |")
    return rows


def make_big(gb):
    """A save_to_disk folder of ~gb GB (list<int32> + text), 4 shards written by pyarrow
    with datasets' metadata, state.json and dataset_info.json."""
    import datasets
    import pyarrow as pa
    path = os.path.join(WORK, f"big_{gb}")
    if os.path.exists(os.path.join(path, "state.json")):
        return path
    os.makedirs(path, exist_ok=True)
    feats = datasets.Features({"input_ids": datasets.List(datasets.Value("int32")),
                               "text": datasets.Value("string")})
    meta = {"huggingface": json.dumps({"info": {"features": feats.to_dict()}})}
    schema = feats.arrow_schema.with_metadata(meta)
    rng = np.random.default_rng(3)
    n_shards = 4
    per_shard = int(gb * 1e9 / n_shards)
    files = []
    for s in range(n_shards):
        name = f"data-{s:05d}-of-{n_shards:05d}.arrow"
        files.append({"filename": name})
        with pa.OSFile(os.path.join(path, name), "wb") as sink, \
                pa.ipc.new_stream(sink, schema) as w:
            written = 0
            while written < per_shard:
                n = 1000
                lens = rng.integers(100, 400, n)
                offs = np.zeros(n + 1, dtype=np.int32)
                np.cumsum(lens, out=offs[1:])
                vals = rng.integers(0, 50000, int(offs[-1])).astype(np.int32)
                ids = pa.ListArray.from_arrays(pa.array(offs), pa.array(vals))
                text = pa.array(["x" * 200] * n)
                w.write_batch(pa.record_batch([ids, text], schema=schema))
                written += vals.nbytes + 200 * n
    state = {"_data_files": files, "_fingerprint": "bench", "_format_columns": None,
             "_format_kwargs": {}, "_format_type": None, "_output_all_columns": False,
             "_split": None}
    with open(os.path.join(path, "state.json"), "w") as f:
        json.dump(state, f)
    with open(os.path.join(path, "dataset_info.json"), "w") as f:
        json.dump({"features": feats.to_dict()}, f)
    return path


OPEN_CODE = r"""
import sys, time, os
def rss():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
lib, path = sys.argv[1], sys.argv[2]
if lib == 'hfc':
    import hfc.datasets as m
else:
    import datasets as m
    m.disable_progress_bars()
r0 = rss(); t0 = time.perf_counter()
ds = m.load_from_disk(path)
n = len(ds); row = ds[n // 2]
t1 = time.perf_counter(); r1 = rss()
print(t1 - t0, r1 - r0, n)
"""


def bench_open(path):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(ROOT, "python") + os.pathsep + env.get("PYTHONPATH", "")
    res = {"hfc": [], "datasets": []}
    for _ in range(5):
        for lib in res:
            out = subprocess.run([sys.executable, "-c", OPEN_CODE, lib, path], env=env,
                                 capture_output=True, text=True, check=True).stdout.split()
            res[lib].append((float(out[0]), int(out[1]), int(out[2])))
    size = sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))
    med = {k: sorted(v)[2] for k, v in res.items()}
    ratios = sorted(d[0] / h[0] for h, d in zip(res["hfc"], res["datasets"]))
    return [f"| open a {size / 1e9:.2f} GB save_to_disk folder ({med['hfc'][2]:,} rows, 4 shards) "
            f"+ read one row, fresh process, page cache warm | hfc {med['hfc'][0] * 1e3:.1f} ms, "
            f"RSS +{med['hfc'][1] / 1e6:.1f} MB | datasets {med['datasets'][0] * 1e3:.1f} ms, "
            f"RSS +{med['datasets'][1] / 1e6:.1f} MB | **{ratios[2]:.1f}x** "
            f"({ratios[0]:.1f}–{ratios[-1]:.1f}) |"]


def make_text_dataset(text_mb):
    """~text_mb MB of UTF-8 text (texts of 200-2400 characters, ~1870 bytes on average),
    written by datasets' save_to_disk in pieces of 50,000 texts."""
    import datasets
    path = os.path.join(WORK, f"utf8_text_{text_mb:g}MB")
    if os.path.exists(os.path.join(path, "state.json")):
        return path
    rng = np.random.default_rng(4)
    n = int(text_mb * 1e6 / 1870)
    parts = []
    for s in range(0, n, 50_000):
        parts.append(datasets.Dataset.from_dict({"text": _texts(min(50_000, n - s), rng, 200, 2400)}))
    datasets.concatenate_datasets(parts).save_to_disk(path)
    return path


def bench_tokenize(text_mb, tokenizer_json, rounds=3):
    import datasets
    from transformers import PreTrainedTokenizerFast
    import hfc.tokenizers as ht
    path = make_text_dataset(text_mb)
    block = 1024
    hf_tok = PreTrainedTokenizerFast(tokenizer_file=tokenizer_json)
    tok = ht.Tokenizer.from_file(tokenizer_json)
    h = hd.load_from_disk(path)
    nbytes = sum(len(t.encode()) for t in h["text"])

    def group_texts(examples):   # HF's run_clm recipe
        cat = {k: list(chain(*examples[k])) for k in examples.keys()}
        total = len(cat["input_ids"]) // block * block
        return {k: [t[i:i + block] for i in range(0, total, block)] for k, t in cat.items()}

    def run_h():   # the same outputs as the datasets side: input_ids only, text dropped
        return h.tokenize(tok, return_attention_mask=False, remove_columns=["text"]).pack(block)

    def run_r():
        for f in glob.glob(os.path.join(path, "cache-*.arrow")):   # earlier rounds' map output
            os.remove(f)
        r = datasets.load_from_disk(path)
        # input_ids only (no mask / type ids): the least work for datasets
        t = r.map(lambda b: hf_tok(b["text"], return_attention_mask=False,
                                   return_token_type_ids=False), batched=True, num_proc=2,
                  remove_columns=["text"], load_from_cache_file=False)
        return t.map(group_texts, batched=True, num_proc=2, load_from_cache_file=False)

    hfc.set_num_threads(THREADS)
    a = run_h()
    b = run_r()
    # same blocks as the HF recipe where no batch-of-1000 remainder was dropped: check the first
    assert a[0].tolist() == b[0]["input_ids"], "tokenize+pack differs from datasets' first block"
    n_blocks_h, n_blocks_r = a.shape[0], len(b)
    del a, b
    times = paired({"hfc": run_h, "datasets": run_r}, rounds=rounds, warmup=0)
    m, lo, hi = ratio_stats(times, "hfc", "datasets")
    th, tr = sorted(times["hfc"])[rounds // 2], sorted(times["datasets"])[rounds // 2]
    return [f"| tokenize + pack(1024), {nbytes / 1e6:.0f} MB text, Llama-2 tokenizer, 2 threads "
            f"/ num_proc=2, {rounds} paired rounds | hfc {nbytes / th / 1e6:.1f} MB/s ({n_blocks_h:,} blocks) | datasets.map "
            f"+ group_texts {nbytes / tr / 1e6:.1f} MB/s ({n_blocks_r:,} blocks) | **{m:.1f}x** "
            f"({lo:.1f}–{hi:.1f}) |"]


SECTIONS = ("rows", "batches", "open", "tokenize")
_ROW_PREFIX = {"| random row": "rows", "| batches of": "batches", "| shuffled batches": "batches",
               "| open a": "open", "| tokenize": "tokenize"}


def _previous_rows():
    """{section: table rows} of the current results file (for partial reruns)."""
    out = {}
    path = os.path.join(ROOT, "benchmarks", "results", "datasets.md")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                for pre, sec in _ROW_PREFIX.items():
                    if line.startswith(pre):
                        out.setdefault(sec, []).append(line.rstrip("\n"))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--text-mb", type=float, default=float(os.environ.get("HFC_BENCH_TEXT_MB", "72")),
                    help="MB of UTF-8 text for tokenize + pack (the speed bar: 1000)")
    ap.add_argument("--open-gb", type=float, default=float(os.environ.get("HFC_BENCH_OPEN_GB", "2")),
                    help="size of the dataset opened")
    ap.add_argument("--tok-rounds", type=int, default=3, help="paired rounds of tokenize + pack")
    ap.add_argument("--make-data", action="store_true", help="only generate the data, then exit")
    ap.add_argument("--only", default=",".join(SECTIONS),
                    help="comma-separated sections to run (%(default)s); the rows of the others "
                         "are kept from the existing results file")
    args = ap.parse_args()
    import datasets
    import pyarrow
    datasets.disable_progress_bars()
    os.makedirs(WORK, exist_ok=True)
    if args.make_data:
        make_rows_dataset(), make_ids_dataset(), make_big(args.open_gb), make_text_dataset(args.text_mb)
        return
    hfc.set_num_threads(THREADS)
    bw = memcpy_bandwidth()
    gb, text_mb = args.open_gb, args.text_mb
    tok_json = os.path.join(WORK, "llama2.json")
    if not os.path.exists(tok_json):
        import gzip
        import shutil
        with gzip.open(os.path.join(ROOT, "tests/fixtures/tokenizers/llama2/tokenizer.json.gz")) as f, \
                open(tok_json, "wb") as g:
            shutil.copyfileobj(f, g)
    only = [x for x in args.only.split(",") if x]
    unknown = set(only) - set(SECTIONS)
    if unknown:
        ap.error(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    got = _previous_rows() if set(only) != set(SECTIONS) else {}
    t0 = time.time()
    for sec in only:
        if sec == "rows":
            got[sec] = bench_random_rows(make_rows_dataset(), "text 20-200 chars + ClassLabel + ~20 ids") + \
                bench_random_rows(make_ids_dataset(), "input_ids, ~128 int32")
        elif sec == "batches":
            got[sec] = bench_batches(make_ids_dataset(), bw)
        elif sec == "open":
            got[sec] = bench_open(make_big(gb))
        else:
            got[sec] = bench_tokenize(text_mb, tok_json, args.tok_rounds)
        print(f"{sec} done {time.time() - t0:.0f}s", file=sys.stderr)
    rows = [r for sec in SECTIONS for r in got.get(sec, [])]
    body = ("# hfc.datasets vs datasets and pyarrow\n\n" + machine_header(THREADS) +
            f"- datasets {datasets.__version__}, pyarrow {pyarrow.__version__}\n"
            f"- memcpy bandwidth in this run: {bw:.1f} GB/s\n"
            "- paired rounds (A B A B), median of per-round ratios (min–max); the machine is "
            "shared (2 cores, other jobs running), so absolute times are noisy\n\n"
            "| workload | hfc | peer | speedup |\n|---|---|---|---|\n" + "\n".join(rows) + "\n")
    write_result("datasets", body)


if __name__ == "__main__":
    main()
