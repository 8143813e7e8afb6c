"""hfc: drop-in C fast paths for the Hugging Face stack.

The work happens in hfc's C core (``hfc._C``); this package re-exports it with
Python-side conveniences. Module status is in the README.

Runtime controls:
    hfc.cpu_features()        -> dict of detected CPU flags and the ISA level in use
    hfc.set_num_threads(n)    size of hfc's one worker pool (default: CPUs in the
                              process affinity mask, or $HFC_NUM_THREADS)
    hfc.get_num_threads()
Environment: HFC_MAX_ISA=scalar|avx2|avx512 caps the SIMD level chosen at import.
"""
from ._C import __version__, cpu_features, get_num_threads, set_num_threads

__all__ = ["__version__", "cpu_features", "get_num_threads", "set_num_threads"]
