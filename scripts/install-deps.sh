#!/bin/sh
# Install the system packages hfc builds and tests against, when they are missing.
# Debian/Ubuntu only (apt-get); uses sudo when not root. Safe to re-run: installs nothing
# when everything is present.
set -eu

missing=""
need_pc() { pkg-config --exists "$1" 2>/dev/null || missing="$missing $2"; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }

need_cmd pkg-config pkg-config
need_cmd gcc gcc
need_cmd git git                       # tests compare the Hub server's object ids with git's
need_pc oniguruma libonig-dev          # regex engine (HF tokenizers' semantics)
need_pc libpcre2-8 libpcre2-dev        # JIT regex where proven identical to Oniguruma
need_pc libcurl libcurl4-openssl-dev   # hub client
need_pc libcrypto libssl-dev           # SHA-256
need_cmd clang clang                   # libFuzzer targets (make fuzz)
# libFuzzer's runtime ships separately from clang on Debian
if command -v clang >/dev/null 2>&1; then
    fuzzer_lib=$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null || true)
    [ -f "$fuzzer_lib" ] || missing="$missing libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev"
else
    missing="$missing libclang-rt-dev"
fi

if [ -z "$missing" ]; then
    echo "deps: system packages present"
    exit 0
fi

echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
if ! command -v apt-get >/dev/null 2>&1; then
    echo "deps: no apt-get here; install these yourself:$missing" >&2
    exit 1
fi
$SUDO apt-get update -qq
# libclang-rt-dev is a placeholder when clang was missing: resolve it after clang lands
pkgs=$(echo "$missing" | sed 's/libclang-rt-dev//')
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $pkgs
if echo "$missing" | grep -q libclang-rt-dev; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
        "libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev"
fi
echo "deps: done"
