"""hfc.hub vs huggingface_hub against the local Hub-compatible test server (tests/hub_server).

The server runs in its own process (so the client's CPU time is the client's alone) and
serves file bodies with sendfile. Measured, in paired rounds with a fresh cache each time:
  - one large LFS file (hf_hub_download; 302 to the "CDN" port, then the body),
  - a snapshot of many small files (snapshot_download),
  - CPU seconds per GB of the client process (all its threads),
  - SHA-256 GB/s on one core (hfc's streaming OpenSSL EVP path, file in page cache),
  - the loopback bound: curl alone fetching the same large body to /dev/null.
Usage: python benchmarks/bench_hub.py [--big-mb 1024] [--files 500] [--rounds 5]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)


def serve(store, big_mb, nfiles):
    """Child process: start the server, create the repos, print the endpoint, wait for stdin EOF."""
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from hub_util import HubServer
    srv = HubServer(store).start()
    srv.record = False
    srv.create_repo("bench/big")
    block = os.urandom(1 << 20)
    big = b"".join(bytes([i & 255]) + block[1:] for i in range(big_mb))
    srv.commit("bench/big", {"model.safetensors": big})
    del big
    srv.create_repo("bench/many")
    rnd = os.urandom(64 << 10)
    files = {f"shard-{i // 50:02d}/file-{i:04d}.json": rnd[: 1024 + (i * 97) % (32 << 10)] for i in range(nfiles)}
    srv.commit("bench/many", files, lfs=False)
    sys.stdout.write(json.dumps({"endpoint": srv.endpoint, "bytes_many": sum(map(len, files.values()))}) + "\n")
    sys.stdout.flush()
    sys.stdin.read()
    srv.stop()


def cpu_and_wall(fn):
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - c0, time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--big-mb", type=int, default=1024)
    ap.add_argument("--files", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--serve", default=None)
    args = ap.parse_args()
    if args.serve:
        return serve(args.serve, args.big_mb, args.files)

    tmp = tempfile.mkdtemp(prefix="bench_hub_")
    proc = subprocess.Popen([sys.executable, __file__, "--serve", os.path.join(tmp, "store"), "--big-mb",
                             str(args.big_mb), "--files", str(args.files)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(proc.stdout.readline())
        run(info, tmp, args)
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)


def run(info, tmp, args):
    for k in list(os.environ):
        if k.startswith(("HF_", "HUGGINGFACE_")):
            del os.environ[k]
    os.environ.update({"HF_ENDPOINT": info["endpoint"], "HF_HOME": os.path.join(tmp, "home"),
                       "HF_HUB_DISABLE_XET": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1",
                       "HF_HUB_DISABLE_TELEMETRY": "1", "NO_PROXY": "127.0.0.1"})
    import huggingface_hub
    from huggingface_hub import hf_hub_download as hf_download, snapshot_download as hf_snapshot
    import hfc
    from hfc import _C, hub
    from common import machine_header, paired, ratio_stats, write_result

    big_bytes = args.big_mb << 20
    cache = os.path.join(tmp, "cache")

    def fresh(fn):
        def go():
            shutil.rmtree(cache, ignore_errors=True)
            fn()
        return go

    cpu = {}

    def timed(name, fn):
        def go():
            c, _ = cpu_and_wall(fn)
            cpu.setdefault(name, []).append(c)
        return fresh(go)

    big = {
        "hfc": timed("big:hfc", lambda: hub.hf_hub_download("bench/big", "model.safetensors", cache_dir=cache)),
        "hfc 1 conn": timed("big:hfc1", lambda: hub.hf_hub_download("bench/big", "model.safetensors", cache_dir=cache,
                                                                  connections=1)),
        "huggingface_hub": timed("big:hf", lambda: hf_download("bench/big", "model.safetensors", cache_dir=cache)),
    }
    t_big = paired(big, rounds=args.rounds, warmup=1)
    many = {
        "hfc": timed("many:hfc", lambda: hub.snapshot_download("bench/many", cache_dir=cache)),
        "huggingface_hub": timed("many:hf", lambda: hf_snapshot("bench/many", cache_dir=cache)),
    }
    t_many = paired(many, rounds=args.rounds, warmup=1)

    # physical bounds: loopback with curl alone; SHA-256 on one core
    p = hub.hf_hub_download("bench/big", "model.safetensors", cache_dir=cache)
    loc = hub.get_hf_file_metadata(hub.hf_hub_url("bench/big", "model.safetensors")).location
    curl = []
    for _ in range(3):
        out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{speed_download}", loc],
                             capture_output=True, text=True)
        curl.append(float(out.stdout or 0) / 1e9)
    open(p, "rb").read()  # into the page cache
    c0, t0 = time.process_time(), time.perf_counter()
    _C._hub_sha256_file(p)
    sha_cpu = os.path.getsize(p) / (time.process_time() - c0) / 1e9
    sha_wall = os.path.getsize(p) / (time.perf_counter() - t0) / 1e9
    out = subprocess.run(["openssl", "speed", "-evp", "sha256", "-bytes", "1048576", "-seconds", "2"],
                         capture_output=True, text=True).stdout.strip().splitlines()
    try:
        ossl = float(out[-1].split()[-1].rstrip("k")) * 1e3 / 1e9
    except (IndexError, ValueError):
        ossl = float("nan")

    med = lambda xs: sorted(xs)[len(xs) // 2]
    gb = big_bytes / 1e9
    gb_many = info["bytes_many"] / 1e9
    lines = ["# hfc.hub vs huggingface_hub (local test server)\n", machine_header(hfc.get_num_threads()),
             f"- huggingface_hub {huggingface_hub.__version__} (HF_HUB_DISABLE_XET=1); hfc connections default "
             f"{_C._hub_default_connections(big_bytes)} for the big file, on a pool of {hfc.get_num_threads()} threads\n",
             "- server: tests/hub_server in its own process, loopback, file bodies by sendfile; LFS via a 302 to a "
             "second port\n",
             f"- paired rounds: {args.rounds} after 1 warm-up, a fresh cache every run; machine shared with other "
             "jobs, so wall times are noisy: read the ratios\n\n",
             "| case | client | median wall | throughput | client CPU | hfc speed-up (median, min-max) |\n",
             "|---|---|---|---|---|---|\n"]
    for title, t, size, key in ((f"{args.big_mb} MiB LFS file", t_big, gb, "big"),
                                (f"{args.files}-file snapshot ({info['bytes_many'] / 1e6:.1f} MB)", t_many,
                                 gb_many, "many")):
        for name in t:
            tag = {"hfc": "hfc", "hfc 1 conn": "hfc1", "huggingface_hub": "hf"}[name]
            c = med(cpu[f"{key}:{tag}"][1:])
            c = f"{c / size:.2f} s/GB" if key == "big" else f"{c / args.files * 1e3:.2f} ms/file"
            if name == "huggingface_hub":
                sp = "1.00"
            else:
                m, lo, hi = ratio_stats(t, name, "huggingface_hub")
                sp = f"**{m:.2f}x** ({lo:.2f}-{hi:.2f})"
            lines.append(f"| {title} | {name} | {med(t[name]):.3f} s | {size / med(t[name]):.3f} GB/s | {c} | {sp} |\n")
    lines.append(f"\nBounds measured in the same run: curl alone on the big file's CDN URL {med(curl):.2f} GB/s "
                 f"(loopback + this server); SHA-256 of the file by hfc (OpenSSL EVP, one thread, page cache) "
                 f"{sha_cpu:.2f} GB/s per CPU-second ({sha_wall:.2f} GB/s wall on the shared machine); "
                 f"`openssl speed -evp sha256` on this CPU: {ossl:.2f} GB/s.\n")
    lines.append("\nhfc verifies SHA-256 (LFS) / the git blob id (regular files) of every byte while downloading; "
                 "huggingface_hub 2.4 does not verify plain-HTTP downloads. The snapshot difference is mostly "
                 "protocol: hfc takes blob ids from one /tree listing and issues one GET per file on keep-alive "
                 "connections, huggingface_hub a HEAD and a GET per file.\n")
    write_result("hub", "".join(lines))


if __name__ == "__main__":
    main()
