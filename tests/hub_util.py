"""pytest-facing API of the Hub-compatible test server (tests/hub_server).

    from hub_util import hub_server, hub_env, run_hf   # fixtures/helpers, import into a test module

    def test_x(hub_server, tmp_path):
        hub_server.create_repo("org/model")
        sha = hub_server.commit("org/model", {"config.json": b"{}", "model.safetensors": data})
        env = hub_env(hub_server, tmp_path)          # HF_ENDPOINT, HF_HOME, HF_HUB_DISABLE_XET=1, ...
        r = run_hf("from huggingface_hub import hf_hub_download; print(hf_hub_download('org/model', 'config.json'))", env)

The server is a real HTTP server on 127.0.0.1 (hub port + a "CDN" port for LFS redirects and
uploads); nothing global is changed: tests set HF_ENDPOINT themselves (monkeypatch or hub_env()).
"""

import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from hub_server import FAULT_KINDS, HubError, HubServer, Request  # noqa: E402

__all__ = ["HubServer", "Request", "HubError", "FAULT_KINDS", "hub_server", "hub_server_module",
           "hub_server_session", "hub_env", "run_hf", "run_hf_json", "TOKEN", "USER"]

TOKEN = HubServer.DEFAULT_TOKEN   # a write token known to every server (srv.tokens)
USER = HubServer.DEFAULT_USER     # its user name


def _served(store_dir):
    srv = HubServer(store_dir).start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def hub_server(tmp_path):
    """A started HubServer storing into tmp_path/hub-store; stopped after the test."""
    yield from _served(tmp_path / "hub-store")


@pytest.fixture(scope="module")
def hub_server_module(tmp_path_factory):
    """Module-scoped HubServer (reset faults/requests yourself: srv.clear_faults(), srv.clear_requests())."""
    yield from _served(tmp_path_factory.mktemp("hub-store"))


@pytest.fixture(scope="session")
def hub_server_session(tmp_path_factory):
    """Session-scoped HubServer."""
    yield from _served(tmp_path_factory.mktemp("hub-store"))


def hub_env(srv, home, token=None, **extra):
    """Environment for a clean client process talking to `srv`, with its cache under `home`.

    Sets HF_ENDPOINT, HF_HOME (so HF_HUB_CACHE = home/hub), HF_HUB_DISABLE_XET=1, no telemetry, no
    progress bars; HF_TOKEN=token if given (any other HF_* variable of this process is dropped).
    extra: more variables (value None removes one).
    """
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HF_", "HUGGINGFACE_")) and k not in ("XDG_CACHE_HOME",)}
    env.update({
        "HF_ENDPOINT": srv.endpoint, "HF_HOME": str(home), "HF_HUB_DISABLE_XET": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "HF_HUB_ETAG_TIMEOUT": "30", "HF_HUB_DOWNLOAD_TIMEOUT": "30",
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
    })
    if token is not None:
        env["HF_TOKEN"] = token
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = str(v)
    return env


def run_hf(code, env, timeout=300, check=True):
    """Run `code` in a fresh interpreter with `env`; returns CompletedProcess (text).

    check=True raises AssertionError with stdout/stderr when the process fails.
    """
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"client process failed ({r.returncode}):\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}")
    return r


def run_hf_json(code, env, timeout=300):
    """Run `code`, which must print one JSON document as its LAST stdout line; returns it parsed."""
    r = run_hf(code, env, timeout=timeout)
    lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
    if not lines:
        raise AssertionError(f"no output; stderr:\n{r.stderr}")
    return json.loads(lines[-1])
