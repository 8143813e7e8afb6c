"""hfc.tokenizers beside HF tokenizers, tiktoken and the other PyPI tokenizers that load
the same tokenizer.json — one process, paired rounds, median ratios (BENCHMARKS.md).

Workloads: English prose, code and CJK text encoded line by line (what a data pipeline
does), single thread; encode_batch on 2 threads; cost per byte at 1 KB / 1 MB / 100 MB
single documents; adversarial inputs ("a" * 1M, 1 MB without whitespace); load time.
Writes benchmarks/results/tokenizers.md.
"""
import gc
import glob
import gzip
import os
import random
import statistics
import sys
import sysconfig
import tempfile
import time

os.environ.setdefault("RAYON_NUM_THREADS", "2")  # HF's pool, before it is imported
os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))
from common import machine_header, memcpy_bandwidth, paired, ratio_stats, write_result  # noqa: E402

import tokenizers  # noqa: E402

import hfc  # noqa: E402
from hfc.tokenizers import Tokenizer  # noqa: E402

ROUNDS = int(os.environ.get("HFC_BENCH_ROUNDS", "5"))
QUICK = os.environ.get("HFC_BENCH_QUICK") == "1"


def version(mod):
    try:
        from importlib.metadata import version as v
        return v(mod)
    except Exception:  # noqa: BLE001 - a peer's metadata is optional
        return "?"


def corpora():
    stdlib = sysconfig.get_paths()["stdlib"]
    prose = "".join(open(p, encoding="utf-8", errors="replace").read()
                    for p in sorted(glob.glob("/usr/share/common-licenses/*"))
                    if os.path.isfile(p))
    if len(prose) < 100_000:  # not Debian: fall back to the project's own prose
        prose = open(os.path.join(ROOT, "README.md")).read() * 20
    code = "".join(open(p, encoding="utf-8").read()
                   for p in sorted(glob.glob(os.path.join(stdlib, "json", "*.py")))
                   + [os.path.join(stdlib, "argparse.py"), os.path.join(stdlib, "typing.py")])
    cjk = "".join(open(p, encoding="utf-8").read()
                  for p in sorted(glob.glob(os.path.join(stdlib, "test", "cjkencodings", "*-utf8.txt"))))
    limit = 200_000 if QUICK else 600_000
    return {"prose": prose[:limit], "code": code[:limit], "cjk": (cjk * 4)[:limit]}


def tokenizer_files(tmp):
    files = {}
    for name in ("llama2", "qwen3", "deepseek_v3"):
        path = os.path.join(tmp, f"{name}.json")
        with gzip.open(os.path.join(ROOT, "tests/fixtures/tokenizers", name, "tokenizer.json.gz")) as f, \
                open(path, "wb") as g:
            g.write(f.read())
        files[name] = path
    path = os.path.join(tmp, "minilm.json")
    with gzip.open(os.path.join(ROOT, "tests/fixtures/minilm/tokenizer.json.gz")) as f, open(path, "wb") as g:
        g.write(f.read())
    files["minilm (WordPiece)"] = path
    try:  # GPT-2 vocabulary built from whisper's ranks by the parity test's converter
        from test_tokenizers_pypi import _gpt2
        path = os.path.join(tmp, "gpt2.json")
        with open(path, "w") as g:
            g.write(_gpt2(["<|endoftext|>"]))
        files["gpt2"] = path
    except Exception as e:  # noqa: BLE001 - reported in the results
        print("gpt2 vocabulary unavailable:", e)
    return files


def tiktoken_for(path):
    """A tiktoken Encoding from the same byte-level ranks and pre-tokenizer regex."""
    import json
    import tiktoken
    doc = json.load(open(path))
    pre = doc.get("pre_tokenizer") or {}
    pattern = None
    for p in pre.get("pretokenizers", [pre]):
        if p.get("type") == "Split" and "Regex" in p.get("pattern", {}):
            if pattern is not None:
                return None  # several Splits: no single tiktoken pattern
            pattern = p["pattern"]["Regex"]
        if p.get("type") == "ByteLevel" and p.get("use_regex"):
            pattern = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
    if pattern is None or doc["model"]["type"] != "BPE":
        return None
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    dec = {chr(c): b for b, c in zip(bs, cs)}
    ranks = {}
    for tok, i in doc["model"]["vocab"].items():
        try:
            ranks[bytes(dec[ch] for ch in tok)] = i
        except KeyError:
            return None
    return tiktoken.Encoding("bench", pat_str=pattern, mergeable_ranks=ranks, special_tokens={})


def peers_for(path):
    """name -> callable(lines) giving lists of ids."""
    ours = Tokenizer.from_file(path)
    ref = tokenizers.Tokenizer.from_file(path)
    fns = {
        "hfc": lambda lines: [e.ids for e in map(ours.encode, lines)],
        "HF tokenizers": lambda lines: [e.ids for e in map(ref.encode, lines)],  # the same loop as hfc's
    }
    try:
        enc = tiktoken_for(path)
        if enc is not None:
            fns["tiktoken"] = lambda lines: [enc.encode_ordinary(x) for x in lines]
    except Exception as e:  # noqa: BLE001
        print("tiktoken unavailable:", e)
    for name, make in [
        ("fastokens", lambda: __import__("fastokens").Tokenizer.from_file(path)),
        ("tokie", lambda: __import__("tokie").Tokenizer.from_json(path)),
        ("kitoken", lambda: __import__("kitoken").Kitoken.from_tokenizers_file(path)),
    ]:
        try:
            t = make()
            if name == "kitoken":
                t.encode("probe", True)
                fns[name] = lambda lines, t=t: [t.encode(x, True) for x in lines]
            else:
                r = t.encode("probe")
                if hasattr(r, "ids"):
                    fns[name] = lambda lines, t=t: [t.encode(x).ids for x in lines]
                else:
                    fns[name] = lambda lines, t=t: [list(t.encode(x)) for x in lines]
        except Exception as e:  # noqa: BLE001 - a peer that cannot load the file is reported
            print(f"{name} cannot load {os.path.basename(path)}: {type(e).__name__}: {e}"[:200])
    return fns, ours, ref


def agreement(fns, lines):
    """Fraction of lines on which each peer's ids equal HF's (exactness, beside speed)."""
    want = fns["HF tokenizers"](lines)
    out = {}
    for name, fn in fns.items():
        got = fn(lines)
        out[name] = sum(list(a) == list(b) for a, b in zip(got, want)) / max(1, len(want))
    return out


def fmt_ratio(stats):
    med, lo, hi = stats
    return f"{med:.1f}x ({lo:.1f}–{hi:.1f})"


def main():
    hfc.set_num_threads(1)
    tmp = tempfile.mkdtemp()
    files = tokenizer_files(tmp)
    texts = corpora()
    bw = memcpy_bandwidth()
    peer_order = ["HF tokenizers", "tiktoken", "fastokens", "tokie", "kitoken"]
    rows, agree_rows = [], []
    for tname, path in files.items():
        fns, ours, ref = peers_for(path)
        for cname, text in texts.items():
            lines = text.splitlines(keepends=True)
            mb = len(text.encode()) / 1e6
            times = paired({k: (lambda f=f: f(lines)) for k, f in fns.items()}, rounds=ROUNDS)
            med_hfc = statistics.median(times["hfc"])
            row = f"| {tname} | {cname} | {mb / med_hfc:.1f} MB/s |"
            for p in peer_order:
                row += f" {fmt_ratio(ratio_stats(times, 'hfc', p))} |" if p in times else " – |"
            rows.append(row)
            ag = agreement(fns, lines[:2000])
            agree_rows.append(f"| {tname} | {cname} | " + " | ".join(
                f"{ag[p] * 100:.1f}%" if p in ag else "–" for p in ["hfc"] + peer_order[1:]) + " |")
        del fns, ours, ref
        gc.collect()

    # threads: encode_batch on 2 threads vs our single thread, and vs HF's batch (2 threads)
    thread_rows = []
    for tname in ("qwen3", "minilm (WordPiece)"):
        path = files[tname]
        ours = Tokenizer.from_file(path)
        ref = tokenizers.Tokenizer.from_file(path)
        lines = texts["prose"].splitlines(keepends=True)

        # (threads, call): hfc's pool is resized before a contender's turn and one untimed
        # call starts its workers (resizing stops them), as a program that sets its thread
        # count once; HF's pool is its own (RAYON_NUM_THREADS=2)
        plan = {"hfc 1 thread": (1, lambda: ours.encode_batch(lines)),
                "hfc 2 threads": (2, lambda: ours.encode_batch(lines)),
                "HF encode_batch (2 threads)": (2, lambda: ref.encode_batch(lines)),
                "hfc encode_batch_ids 2 threads": (2, lambda: ours.encode_batch_ids(lines))}
        times = paired({k: fn for k, (n, fn) in plan.items()}, rounds=ROUNDS, warmup=0,
                       setup={k: (lambda n=n, fn=fn: (hfc.set_num_threads(n), fn()))
                              for k, (n, fn) in plan.items()})
        thread_rows.append(
            f"| {tname} | {fmt_ratio(ratio_stats(times, 'hfc 2 threads', 'hfc 1 thread'))} | "
            f"{fmt_ratio(ratio_stats(times, 'hfc 2 threads', 'HF encode_batch (2 threads)'))} | "
            f"{fmt_ratio(ratio_stats(times, 'hfc encode_batch_ids 2 threads', 'HF encode_batch (2 threads)'))} |")
    hfc.set_num_threads(1)

    # growth: one document of 1 KB, 1 MB, 100 MB (hfc only; ns per byte)
    ours = Tokenizer.from_file(files["qwen3"])
    base = texts["prose"]
    growth_rows = []
    for label, size in [("1 KB", 1 << 10), ("1 MB", 1 << 20), ("100 MB", (10 if QUICK else 100) << 20)]:
        doc = (base * (size // len(base) + 1))[:size]
        reps = max(1, (1 << 22) // size)
        t = min(_timed(lambda: [ours.encode_batch_ids([doc]) for _ in range(reps)]) for _ in range(3 if size < (50 << 20) else 1)) / reps
        growth_rows.append(f"| {label if size >= 1 << 10 else label} | {t / len(doc.encode()) * 1e9:.1f} ns/byte | "
                           f"{len(doc.encode()) / t / 1e6:.1f} MB/s |")
        del doc
        gc.collect()

    # adversarial inputs: per-byte cost relative to prose, hfc and HF
    ref = tokenizers.Tokenizer.from_file(files["qwen3"])
    rng = random.Random(0)
    n = 1 << 20
    cases = {"prose": (base * (n // len(base) + 1))[:n], '"a" * 1M': "a" * n,
             "1 MB, no whitespace": "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(n))}
    adv_rows = []
    # paired rounds: each round times every input once, hfc and HF, so the ratios to prose
    # compare moments of the same machine state (this VM's speed drifts by tens of percent)
    t_ours = {label: [] for label in cases}
    t_ref = {label: [] for label in cases}
    for _ in range(ROUNDS):
        for label, doc in cases.items():
            t_ours[label].append(_timed(lambda: ours.encode_batch_ids([doc])) / len(doc))
            small = doc[: 100_000]
            t_ref[label].append(_timed(lambda: ref.encode(small)) / len(small))
    for label in cases:
        o_rel = statistics.median(a / b for a, b in zip(t_ours[label], t_ours["prose"]))
        r_rel = statistics.median(a / b for a, b in zip(t_ref[label], t_ref["prose"]))
        adv_rows.append(f"| {label} | {statistics.median(t_ours[label]) * 1e9:.1f} ns/byte ({o_rel:.2f}x prose) | "
                        f"{statistics.median(t_ref[label]) * 1e9:.1f} ns/byte ({r_rel:.2f}x prose) |")

    # inside transformers: PreTrainedTokenizerFast(tokenizer_object=...) on hfc's Tokenizer
    # vs on HF's, the same class and call (2 threads each: transformers calls encode_batch)
    tf_rows = []
    try:
        import transformers
        transformers.logging.set_verbosity_error()
        hfc.set_num_threads(2)
        lines = texts["prose"].splitlines()
        for tname in ("qwen3", "minilm (WordPiece)"):
            with open(files[tname], encoding="utf-8") as f:
                doc = f.read()
            pad = {"qwen3": "<|endoftext|>"}.get(tname, "[PAD]")
            fast = {"hfc": transformers.PreTrainedTokenizerFast(tokenizer_object=Tokenizer.from_str(doc),
                                                                pad_token=pad),
                    "HF": transformers.PreTrainedTokenizerFast(
                        tokenizer_object=tokenizers.Tokenizer.from_str(doc), pad_token=pad)}
            for what, call in [("`tok(lines)`", lambda t: t(lines)),
                               ("`tok(lines, truncation=True, max_length=128, padding=True, return_tensors=\"np\")`",
                                lambda t: t(lines, truncation=True, max_length=128, padding=True,
                                            return_tensors="np"))]:
                times = paired({k: (lambda t=t: call(t)) for k, t in fast.items()}, rounds=ROUNDS)
                tf_rows.append(f"| {tname} | {what} | {statistics.median(times['hfc']) * 1e3:.0f} ms | "
                               f"{statistics.median(times['HF']) * 1e3:.0f} ms | "
                               f"{fmt_ratio(ratio_stats(times, 'hfc', 'HF'))} |")
        hfc.set_num_threads(1)
    except ImportError as e:
        tf_rows.append(f"| transformers unavailable: {e} | | | | |")

    # load time
    load_rows = []
    for tname in ("llama2", "deepseek_v3", "qwen3"):
        path = files[tname]
        fns = {"hfc": lambda: Tokenizer.from_file(path), "HF": lambda: tokenizers.Tokenizer.from_file(path)}
        times = paired(fns, rounds=ROUNDS)
        load_rows.append(f"| {tname} | {os.path.getsize(path) / 1e6:.1f} MB | "
                         f"{statistics.median(times['hfc']) * 1e3:.0f} ms | "
                         f"{statistics.median(times['HF']) * 1e3:.0f} ms | {fmt_ratio(ratio_stats(times, 'hfc', 'HF'))} |")

    body = (
        "# hfc.tokenizers benchmarks\n\n" + machine_header(1) +
        f"- memcpy bandwidth in this run: {bw:.1f} GB/s (read + write of the copied bytes)\n"
        f"- peers: tokenizers {version('tokenizers')}, tiktoken {version('tiktoken')}, "
        f"fastokens {version('fastokens')}, tokie {version('tokie')}, kitoken {version('kitoken')}\n"
        f"- method: paired rounds ({ROUNDS} after a warm-up) in one process; ratio = peer time / hfc "
        "time (higher = hfc faster), median (min–max)\n\n"
        "## Single thread, line by line (`encode(line).ids`)\n\n"
        "| tokenizer.json | text | hfc | HF tokenizers | tiktoken | fastokens | tokie | kitoken |\n"
        "|---|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n\n"
        "Agreement with HF tokenizers' ids on the first 2000 lines (exactness beside speed; "
        "tiktoken does not apply the tokenizer's normalizer or added tokens):\n\n"
        "| tokenizer.json | text | hfc | tiktoken | fastokens | tokie | kitoken |\n"
        "|---|---|---|---|---|---|---|\n" + "\n".join(agree_rows) + "\n\n"
        "## Threads (prose lines, `encode_batch`)\n\n"
        "| tokenizer.json | hfc 2 threads vs hfc 1 thread | hfc vs HF (both 2 threads) | "
        "hfc `encode_batch_ids` (NumPy) vs HF |\n|---|---|---|---|\n" + "\n".join(thread_rows) + "\n\n"
        "## Growth: one document (qwen3, ids to NumPy, 1 thread)\n\n"
        "| size | cost | throughput |\n|---|---|---|\n" + "\n".join(growth_rows) + "\n\n"
        "## Adversarial inputs (qwen3; HF measured on the first 100 KB; per round, cost per byte relative to prose in the same round, median of the rounds)\n\n"
        "| input | hfc | HF tokenizers |\n|---|---|---|\n" + "\n".join(adv_rows) + "\n\n"
        f"## Inside transformers (`PreTrainedTokenizerFast(tokenizer_object=...)`, {len(texts['prose'].splitlines()):,} prose lines, 2 threads)\n\n"
        "The same transformers class and call, its backend hfc's Tokenizer or HF's (outputs equal: "
        "tests/test_tokenizers_transformers.py); transformers' own Python work is in both.\n\n"
        "| tokenizer.json | call | on hfc | on HF | speedup |\n|---|---|---|---|---|\n" + "\n".join(tf_rows) + "\n\n"
        "## Load time (`from_file`)\n\n"
        "| file | size | hfc | HF | HF / hfc |\n|---|---|---|---|---|\n" + "\n".join(load_rows) + "\n")
    write_result("tokenizers", body)


def _timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
