import gzip
import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
TOKENIZER_NAMES = ["llama2", "qwen3", "deepseek_v3"]


@pytest.fixture(scope="session")
def fixture_dir(tmp_path_factory):
    """Decompressed copies of tests/fixtures (session-wide, read-only use)."""
    out = tmp_path_factory.mktemp("fixtures")
    for name in TOKENIZER_NAMES:
        src = FIXTURES / "tokenizers" / name
        dst = out / "tokenizers" / name
        dst.mkdir(parents=True)
        with gzip.open(src / "tokenizer.json.gz", "rb") as f, open(dst / "tokenizer.json", "wb") as g:
            shutil.copyfileobj(f, g)
        shutil.copy(src / "tokenizer_config.json", dst / "tokenizer_config.json")
    return out


@pytest.fixture(scope="session")
def tokenizer_json_path(fixture_dir):
    def get(name):
        return fixture_dir / "tokenizers" / name / "tokenizer.json"
    return get


def run_python(code, env=None, timeout=120):
    """Run `code` in a fresh interpreter; returns CompletedProcess."""
    import subprocess
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=full_env, timeout=timeout)
