"""Run every benchmarks/bench_*.py; each writes benchmarks/results/<module>.md."""
import glob
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
env = dict(os.environ)
# BENCHMARKS.md: these variables slow current NumPy; unset for the benchmark commands.
env.pop("OPENBLAS_CORETYPE", None)
env.pop("OPENBLAS_L2_SIZE", None)
failed = []
for path in sorted(glob.glob(os.path.join(here, "bench_*.py"))):
    print(f"== {os.path.basename(path)}", flush=True)
    if subprocess.call([sys.executable, path], env=env) != 0:
        failed.append(path)
sys.exit(1 if failed else 0)
