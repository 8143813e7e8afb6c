"""Shared benchmark helpers: paired rounds, median ratios, machine description.

Method (../shared/docs/BENCHMARKS.md): time hfc and each peer on the same input in the
same process, alternating A B A B after a warm-up; report the median of per-round ratios
with the min-max, next to a physical bound measured in the same run.
"""
import gc
import os
import platform
import statistics
import time

import numpy as np


def best_time(fn, repeat=3):
    """Best wall time of `repeat` calls of fn()."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def paired(fns, rounds=7, warmup=1, inner=1, setup=None):
    """fns: {name: callable}. Returns {name: [seconds per round]} measured in alternation.
    setup: {name: callable} run untimed before each of that contender's calls (e.g. its
    thread count and a call that starts its workers). The garbage collector is emptied
    (untimed) before each call: otherwise the full collection that one contender's garbage
    makes due lands in whichever call comes next (always the same one, the order being
    fixed), and each call pays for its own objects."""
    setup = setup or {}
    for _ in range(warmup):
        for name, fn in fns.items():
            if name in setup:
                setup[name]()
            fn()
    times = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            if name in setup:
                setup[name]()
            gc.collect()
            t0 = time.perf_counter()
            for _ in range(inner):
                fn()
            times[name].append((time.perf_counter() - t0) / inner)
    return times


def ratio_stats(times, base, other):
    """Median and range of other/base per-round time ratios (= speedup of base)."""
    ratios = [o / b for b, o in zip(times[base], times[other])]
    return statistics.median(ratios), min(ratios), max(ratios)


def memcpy_bandwidth(nbytes=256 << 20):
    """Plain large copy (read + write) in GB/s of bytes copied: the memory-speed bound."""
    src = np.ones(nbytes, dtype=np.uint8)
    dst = np.empty_like(src)
    t = best_time(lambda: np.copyto(dst, src), repeat=5)
    return nbytes / t / 1e9


def machine_header(threads):
    import hfc
    f = hfc.cpu_features()
    return (f"- CPU: {f['brand'] or platform.processor()} ({os.cpu_count()} logical CPUs)\n"
            f"- ISA used by hfc: {f['isa_used']} (detected {f['isa_detected']})\n"
            f"- threads: {threads}\n"
            f"- Python {platform.python_version()}, hfc {hfc.__version__}, NumPy {np.__version__}\n")


def write_result(name, body):
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", f"{name}.md")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write(body)
    print(body)
    print(f"(written to {out})")
