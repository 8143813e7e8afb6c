"""CPU feature detection and the dispatch level (HFC_MAX_ISA)."""
import json

import pytest

import hfc
from conftest import run_python

LEVELS = ["scalar", "avx2", "avx512"]


def test_cpu_features_shape():
    f = hfc.cpu_features()
    assert f["isa_detected"] in LEVELS
    assert f["isa_used"] in LEVELS
    assert f["isa_available"] == LEVELS[: LEVELS.index(f["isa_detected"]) + 1]
    assert isinstance(f["brand"], str) and isinstance(f["vendor"], str)
    flags = f["flags"]
    for name in ("sse2", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512vnni",
                 "avx512bf16", "os_avx", "os_avx512"):
        assert isinstance(flags[name], bool)


def test_levels_follow_flags():
    f = hfc.cpu_features()
    flags = f["flags"]
    if f["isa_detected"] in ("avx2", "avx512"):
        assert flags["avx2"] and flags["fma"] and flags["os_avx"]
    if f["isa_detected"] == "avx512":
        assert flags["avx512f"] and flags["avx512bw"] and flags["avx512vl"] and flags["os_avx512"]


def test_flags_agree_with_proc_cpuinfo():
    try:
        text = open("/proc/cpuinfo").read()
    except OSError:
        pytest.skip("no /proc/cpuinfo on this platform")
    words = set(text.split())
    flags = hfc.cpu_features()["flags"]
    for ours, linux in [("avx2", "avx2"), ("fma", "fma"), ("avx512f", "avx512f"),
                        ("avx512bw", "avx512bw"), ("avx512vnni", "avx512_vnni"),
                        ("avx512bf16", "avx512_bf16")]:
        assert flags[ours] == (linux in words), ours


@pytest.mark.parametrize("level", LEVELS)
def test_max_isa_env_caps_level(level):
    detected = hfc.cpu_features()["isa_available"]
    r = run_python("import hfc, json; print(json.dumps(hfc.cpu_features()))",
                   env={"HFC_MAX_ISA": level})
    assert r.returncode == 0, r.stderr
    f = json.loads(r.stdout)
    want = level if level in detected else detected[-1]
    assert f["isa_used"] == want
    assert f["max_isa_env"] == level


def test_max_isa_env_invalid_is_a_clear_error():
    r = run_python("import hfc", env={"HFC_MAX_ISA": "sse9"})
    assert r.returncode != 0
    assert "ValueError" in r.stderr and "HFC_MAX_ISA" in r.stderr and "sse9" in r.stderr
