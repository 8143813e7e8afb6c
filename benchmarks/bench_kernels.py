"""hfc.models kernels: GEMM (hfc_linear) GFLOP/s beside the measured fp32 FMA peak,
NumPy/OpenBLAS and torch at the same thread count; plus the row kernels and attention
against torch.

Method: per shape, hfc / NumPy / torch run in paired rounds (A B C A B C ...), and in
every round the FMA peak is measured for as long as hfc's call took, so "% of peak"
is a per-round ratio taken under the same machine load. The machine is shared: the
median says what a typical round got, the best round what the code can do.

OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE slow current NumPy on some CPUs: this script
re-executes itself without them (this command only) and records OpenBLAS's config.
Usage: python benchmarks/bench_kernels.py [threads] [--quick]
"""
import os
import sys

if any(v in os.environ for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")):
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import machine_header, write_result  # noqa: E402

import hfc  # noqa: E402
from hfc import _C  # noqa: E402

CUBES = [(512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048)]
# (m, k, n) of a BERT-base-like / MiniLM encoder at batch 32 x 128 tokens and at 16 tokens
BERT = [(4096, 384, 1152), (4096, 384, 384), (4096, 384, 1536), (4096, 1536, 384),
        (4096, 768, 3072), (16, 384, 1536), (16, 1536, 384), (16, 768, 768)]


def blas_info():
    try:
        from threadpoolctl import threadpool_info
        infos = [i for i in threadpool_info() if i.get("internal_api") in ("openblas", "mkl")]
        return "; ".join(f"{i['internal_api']} {i.get('version')} {i.get('architecture')} "
                         f"threads={i.get('num_threads')} ({os.path.basename(i['filepath'])})"
                         for i in infos) or "threadpoolctl found no BLAS"
    except ImportError:
        return "threadpoolctl not installed"


def limit_blas(threads):
    try:
        from threadpoolctl import threadpool_limits
        return threadpool_limits(threads)
    except ImportError:
        os.environ["OPENBLAS_NUM_THREADS"] = str(threads)
        return None


def rounds_of(fns, rounds, peak_threads=None, peak_of=None):
    """Paired rounds; optionally an FMA-peak burst as long as fns[peak_of] took. Short
    calls get more rounds (up to 40, about half a second of hfc time)."""
    for fn in fns.values():
        fn()
    if peak_of:
        t0 = time.perf_counter()
        fns[peak_of]()
        rounds = max(rounds, min(40, int(0.5 / max(time.perf_counter() - t0, 1e-6))))
    times = {k: [] for k in fns}
    peaks = []
    for _ in range(rounds):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
        if peak_of:
            peaks.append(_C._k_fma_peak(max(times[peak_of][-1], 0.002), peak_threads))
    return times, peaks


def gemm_rows(shapes, threads, rounds, torch):
    rows = []
    for m, k, n in shapes:
        g = np.random.default_rng(0)
        x = g.standard_normal((m, k), dtype=np.float32)
        w = g.standard_normal((n, k), dtype=np.float32)
        flops = 2.0 * m * k * n
        fns = {"hfc": lambda: _C._k_linear(x, w), "numpy": lambda: x @ w.T}
        if torch:
            xt, wt = torch.from_numpy(x), torch.from_numpy(w)
            fns["torch"] = lambda: torch.matmul(xt, wt.T)
        times, peaks = rounds_of(fns, rounds, threads, "hfc")
        hfc_g = [flops / t / 1e9 for t in times["hfc"]]
        pct = [h / p * 100 for h, p in zip(hfc_g, peaks)]
        row = (f"| {m}x{k}x{n} | {statistics.median(hfc_g):.0f} (best {max(hfc_g):.0f}) | "
               f"{statistics.median(peaks):.0f} (best {max(peaks):.0f}) | "
               f"{statistics.median(pct):.0f}% | {100 * max(hfc_g) / max(peaks):.0f}% |")
        for peer in ("numpy", "torch"):
            if peer in times:
                pg = statistics.median(flops / t / 1e9 for t in times[peer])
                ratios = [o / h for h, o in zip(times["hfc"], times[peer])]
                row += f" {pg:.0f} | {statistics.median(ratios):.2f}x |"
            else:
                row += " n/a | n/a |"
        rows.append(row)
        print(row, flush=True)
    return rows


def bf16_rows(shapes, threads, rounds, torch):
    rows = []
    for m, k, n in shapes:
        g = np.random.default_rng(0)
        x = g.standard_normal((m, k), dtype=np.float32)
        w = g.standard_normal((n, k), dtype=np.float32)
        bits = (w.view(np.uint32) >> 16).astype(np.uint16)  # truncation is fine for timing
        flops = 2.0 * m * k * n
        fns = {"hfc_bf16": lambda: _C._k_linear(x, bits, bf16=True),
               "hfc_f32": lambda: _C._k_linear(x, w)}
        if torch:
            xt, wb = torch.from_numpy(x), torch.from_numpy(w).bfloat16()
            # torch has no fp32-activation x bf16-weight matmul: convert, then fp32 matmul
            fns["torch"] = lambda: torch.matmul(xt, wb.float().T)
        times, peaks = rounds_of(fns, rounds, threads, "hfc_bf16")
        hb = [flops / t / 1e9 for t in times["hfc_bf16"]]
        pct = [h / p * 100 for h, p in zip(hb, peaks)]
        row = (f"| {m}x{k}x{n} | {statistics.median(hb):.0f} | {statistics.median(pct):.0f}% | "
               f"{statistics.median(flops / t / 1e9 for t in times['hfc_f32']):.0f} |")
        if torch:
            ratios = [o / h for h, o in zip(times["hfc_bf16"], times["torch"])]
            row += f" {statistics.median(ratios):.2f}x |"
        rows.append(row)
        print(row, flush=True)
    return rows


def op_rows(threads, rounds, torch):
    if not torch:
        return ["(torch absent)"]
    F = torch.nn.functional
    g = np.random.default_rng(0)
    rows = []
    x = g.standard_normal((4096, 384), dtype=np.float32)
    r = g.standard_normal((4096, 384), dtype=np.float32)
    gam, bet = np.ones(384, np.float32), np.zeros(384, np.float32)
    h = g.standard_normal((4096, 1536), dtype=np.float32)
    s = g.standard_normal((32 * 12 * 128, 128), dtype=np.float32)
    b, sq, heads, d = 32, 128, 12, 32
    qkv = g.standard_normal((b, sq, 3 * heads * d), dtype=np.float32)
    mask = np.ones((b, sq), np.int32)
    mask[:, 100:] = 0
    tq = torch.from_numpy(qkv).view(b, sq, 3, heads, d).permute(2, 0, 3, 1, 4)
    tmask = torch.zeros(b, 1, 1, sq).masked_fill_(torch.from_numpy(mask == 0).view(b, 1, 1, sq),
                                                  torch.finfo(torch.float32).min)
    cases = [
        ("add+LayerNorm 4096x384", lambda: _C._k_layernorm(x, gam, bet, 1e-12, r),
         lambda: F.layer_norm(torch.from_numpy(x) + torch.from_numpy(r), (384,),
                              torch.from_numpy(gam), torch.from_numpy(bet), 1e-12)),
        ("GELU(erf) 4096x1536", lambda: _C._k_act(h, "gelu"),
         lambda: F.gelu(torch.from_numpy(h))),
        ("GELU(tanh) 4096x1536", lambda: _C._k_act(h, "gelu_tanh"),
         lambda: F.gelu(torch.from_numpy(h), approximate="tanh")),
        ("softmax 49152x128", lambda: _C._k_act(s, "softmax"),
         lambda: torch.softmax(torch.from_numpy(s), -1)),
        ("attention b32 s128 h12 d32, padded", lambda: _C._k_attention(qkv, None, None, heads, mask),
         lambda: F.scaled_dot_product_attention(tq[0], tq[1], tq[2], attn_mask=tmask)),
    ]
    for name, ours, theirs in cases:
        times, _ = rounds_of({"hfc": ours, "torch": theirs}, rounds)
        ratios = [o / h for h, o in zip(times["hfc"], times["torch"])]
        row = (f"| {name} | {statistics.median(times['hfc']) * 1e3:.2f} ms | "
               f"{statistics.median(times['torch']) * 1e3:.2f} ms | {statistics.median(ratios):.2f}x "
               f"({min(ratios):.2f}–{max(ratios):.2f}) |")
        rows.append(row)
        print(row, flush=True)
    return rows


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    quick = "--quick" in sys.argv
    threads = int(args[0]) if args else 2
    rounds = 3 if quick else 7
    hfc.set_num_threads(threads)
    limiter = limit_blas(threads)
    try:
        import torch
        torch.set_num_threads(threads)
    except ImportError:
        torch = None
    peak1 = max(_C._k_fma_peak(0.05, 1) for _ in range(5))
    peakT = max(_C._k_fma_peak(0.05, threads) for _ in range(5))
    cubes = gemm_rows(CUBES, threads, rounds, torch)
    bert = gemm_rows(BERT, threads, rounds, torch)
    bf16 = bf16_rows(CUBES[:2] + BERT[2:4] + BERT[5:6], threads, rounds, torch)
    ops = op_rows(threads, rounds, torch)
    head = ("| shape m x k x n | hfc GFLOP/s (median, best) | FMA peak GFLOP/s (same rounds: "
            "median, best) | hfc / peak (median of rounds) | best hfc / best peak | "
            "NumPy GFLOP/s | hfc speedup vs NumPy | torch GFLOP/s | hfc speedup vs torch |\n"
            "|---|---|---|---|---|---|---|---|---|\n")
    body = (
        "# hfc.models kernels\n\n" + machine_header(threads) +
        f"- fp32 FMA peak (best of 5 x 50 ms): {peak1:.0f} GFLOP/s on 1 thread, "
        f"{peakT:.0f} on {threads}\n"
        f"- NumPy {np.__version__}; BLAS: {blas_info()}\n"
        f"- torch {torch.__version__ if torch else 'absent'} "
        f"(threads {torch.get_num_threads() if torch else '-'})\n"
        f"- OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset for this run\n"
        f"- {rounds}-40 paired rounds per row after a warm-up (more for short calls); the "
        "machine is shared with other jobs and the load changes within milliseconds, so "
        "each round also measures the FMA peak for as long as hfc's call took: 'median of "
        "rounds' is the typical per-round ratio, 'best / best' the ratio of the quietest "
        "rounds (closest to an idle machine)\n\n"
        "## GEMM: y = x · wᵀ (hfc_linear, fp32 weights)\n\n" + head + "\n".join(cubes) +
        "\n\nEncoder shapes (batch 32 x 128 tokens = 4096 rows; 16 = batch-1 latency):\n\n" +
        head + "\n".join(bert) +
        "\n\n## bf16 weights (converted to fp32 while packing, fp32 accumulate)\n\n"
        "| shape | hfc bf16 GFLOP/s | of peak | hfc fp32 GFLOP/s | vs torch (bf16→fp32 + matmul) |\n"
        "|---|---|---|---|---|\n" + "\n".join(bf16) +
        "\n\n## Row kernels and attention vs torch (same threads)\n\n"
        "| op | hfc | torch | hfc speedup |\n|---|---|---|---|\n" + "\n".join(ops) + "\n")
    write_result("kernels", body)
    del limiter


if __name__ == "__main__":
    main()
