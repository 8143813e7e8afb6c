"""Build hfc._C: the whole C core (csrc/) plus its one binding layer (csrc/py/).

HFC_SANITIZE=1 builds with AddressSanitizer + UndefinedBehaviorSanitizer (then run
Python with LD_PRELOAD=$(gcc -print-file-name=libasan.so)). System libraries are found
with pkg-config; `make deps` installs the Debian packages when they are missing.
"""
import glob
import os
import shlex
import subprocess
import sys

import numpy
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))

# pkg-config name -> Debian package that provides it (for the error message).
SYSTEM_LIBS = {
    "oniguruma": "libonig-dev",          # regex engine with HF tokenizers' semantics
    "libcurl": "libcurl4-openssl-dev",   # hub client
    "libcrypto": "libssl-dev",           # SHA-256 for hub downloads
}


def pkg_config(name):
    try:
        cflags = subprocess.run(["pkg-config", "--cflags", name], check=True,
                                capture_output=True, text=True).stdout
        libs = subprocess.run(["pkg-config", "--libs", name], check=True,
                              capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        sys.exit(f"hfc build: system library '{name}' not found by pkg-config. "
                 f"Install it with `make deps` (Debian package {SYSTEM_LIBS[name]}).")
    return shlex.split(cflags), shlex.split(libs)


def sources():
    files = sorted(glob.glob("csrc/**/*.c", recursive=True))
    return [f for f in files if "/fuzz/" not in f]


class BuildExt(build_ext):
    """Compile the many C files of the core in parallel."""

    def finalize_options(self):
        super().finalize_options()
        if self.parallel is None:
            self.parallel = os.cpu_count() or 1


def extension():
    cflags = ["-std=c11", "-D_GNU_SOURCE", "-fvisibility=hidden", "-Wall", "-Wextra",
              "-Wno-unused-parameter", "-Wno-missing-field-initializers"]
    ldflags = ["-lpthread", "-lm"]
    for lib in SYSTEM_LIBS:
        c, l = pkg_config(lib)
        cflags += c
        ldflags += l
    if os.environ.get("HFC_SANITIZE") == "1":
        san = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-O1", "-g"]
        cflags += san
        ldflags += ["-fsanitize=address,undefined"]
    else:
        cflags += ["-O3", "-g0"]
    # Never -march=native: SIMD variants use per-function target attributes and are
    # chosen at run time (csrc/core/cpu.c).
    return Extension(
        "hfc._C",
        sources=sources(),
        include_dirs=["csrc/include", numpy.get_include()],
        extra_compile_args=cflags,
        extra_link_args=ldflags,
        depends=sorted(glob.glob("csrc/**/*.h", recursive=True)),
    )


setup(ext_modules=[extension()], cmdclass={"build_ext": BuildExt})
