"""pytest-facing API of the Hub-compatible test server (tests/hub_server, pure stdlib Python).

    from hub_util import hub_server, hub_env, run_hf, run_hf_json, TOKEN, USER   # import the fixtures

    def test_x(hub_server, tmp_path):
        hub_server.create_repo("org/model")
        sha = hub_server.commit("org/model", {"config.json": b"{}", "model.safetensors": data})
        out = run_hf_json("from huggingface_hub import hf_hub_download as d; import json; "
                          "print(json.dumps(d('org/model', 'config.json')))", hub_env(hub_server, tmp_path))

Fixtures: hub_server (per test, storage in tmp_path/hub-store), hub_server_module, hub_server_session.
Nothing global is changed: set HF_ENDPOINT yourself (monkeypatch, or hub_env() for a subprocess).
Helpers: hub_env(srv, home, token=None, **extra) -> env dict for a clean client process;
run_hf(code, env, timeout=300, check=True); run_hf_json(code, env) (last stdout line parsed);
spawn_hub_server(storage_dir) context manager: the same store served by another process
(`python tests/hub_server STORAGE_DIR` prints {"endpoint", "cdn_endpoint", "pid"}), for benchmarks.

HubServer(storage_dir, host="127.0.0.1")  .start() -> self, .stop(), context manager
  .endpoint "http://127.0.0.1:PORT" (hub), .cdn_endpoint (second port: LFS 302 targets, upload URLs),
  .port, .cdn_port
  knobs: .tokens {token: user} (starts with {TOKEN: USER}), .page_size (tree, 1000), .page_size_expand (50),
  .commits_page_size (50), .lfs_threshold (10 MiB), .multipart_threshold (20 MiB), .multipart_chunk_size
  (8 MiB), .url_ttl (CDN signature lifetime, s), .record (log requests, True), .resolve_cache (True:
  regular files answer /resolve with the Hub's relative 307 to /api/resolve-cache/...; False: 200 direct)
  repos: create_repo(repo_id, repo_type="model", private=False, gated=False|True|"auto"|"manual",
         token=None, exist_ok=False)  -- initial commit with the Hub's default .gitattributes;
         token -> owner = tokens[token]. delete_repo, rename_repo(old, new) (old name answers relative
         307s), update_repo(private=, gated=), grant_access(repo_id, user)
  commit(repo_id, files={path: bytes|str|os.PathLike}, repo_type="model", revision="main", message="",
         delete=[paths, "folder/" deletes a folder], lfs=None|True|False|{paths}, description="",
         author=None, parent_commit=None) -> 40-hex git commit id (parent chain; blob/tree/commit ids
         are what git computes). LFS when lfs=None: .gitattributes filter=lfs patterns (*.safetensors,
         *.bin, *.gguf, *.parquet, ...), size > lfs_threshold, or a NUL byte in the first 512 bytes.
  create_branch(repo_id, branch, revision="main"), create_tag(repo_id, tag, revision="main") -> sha
  read back: resolve(repo_id, rev) -> sha|None, history(repo_id, rev) -> [sha newest first],
         commit_info(repo_id, sha), list_files(repo_id, rev), file_info(repo_id, path, rev) ->
         {size, oid (git blob sha1), sha256 (LFS) | None, lfs}, read_file, read_files, url(repo_id, path, rev)
  (all take repo_type= too)
  faults: add_fault(glob, kind, times=None, methods=None, server=None, **kw) -> Fault (.hits, .active);
         clear_faults(). glob: fnmatch on the URL-decoded request path (no query; "*" crosses "/"),
         e.g. "/lfs/*" (LFS bodies on the CDN), "*/resolve/*/config.json", "/api/models/org/m*".
         times: first k matching requests (None = all); methods: "GET" or a tuple; server: "hub"/"cdn"/None.
         kinds: "status" (code=500, error_code=None -> X-Error-Code, message, headers={}): any request;
                "drop": any request: the connection is closed before any response byte;
                "delay" (seconds=1.0): any request: sleep before handling it;
                "cut" (at=half of the body): close the connection after `at` body bytes;
                "slow" (bps=65536, chunk=bps/20): send chunk, sleep chunk/bps;
                "corrupt" (offset=size//2, count=1): XOR 0xFF of file bytes [offset, offset+count)
                   (absolute file offsets; consumed only by responses covering the offset);
                "no_range": ignore Range (200 + whole body);
                "gzip": if Accept-Encoding has gzip: gzip body, chunked, no Content-Length, Range ignored;
                "escape" (path="../../evil.txt" or a list, content=b"..."): tree (first page) and
                   model_info listings matching the glob also list `path`; /resolve serves `content` for it.
         cut/slow/corrupt/no_range/gzip act on file bodies (GET): hub regular files and CDN LFS objects.
  requests: .requests -> [Request(method, host "127.0.0.1:PORT", path (raw, with query), headers)],
         headers a dict with lower-case keys looked up case-insensitively; .clear_requests().

Protocol (huggingface_hub 2.4.0, no Xet): HEAD/GET /{repo}/resolve/{rev}/{path} (/datasets/..,
/spaces/..; rev URL-encoded or refs/...): regular -> relative 307 (X-Repo-Commit) to
/api/resolve-cache/{type}s/{repo}/{commit}/{path}?..., which answers 200, ETag "<git blob sha1>",
X-Repo-Commit, Range (206/416); LFS -> 302 to the CDN (absolute, signed Expires/Signature) with X-Linked-Etag "<sha256>",
X-Linked-Size. Errors: X-Error-Code RepoNotFound (401 anonymous, 404 authenticated), RevisionNotFound,
EntryNotFound (404, with X-Repo-Commit), GatedRepo (401 anonymous / 403 not granted), bad token ->
401 "Invalid credentials in Authorization header". API: /api/{models,datasets,spaces}/{repo}
[/revision/{rev}] (?blobs=true), /tree/{rev}[/{path}] (recursive, expand, cursor + Link rel="next"),
/paths-info/{rev}, /refs (include_prs), /commits/{rev} (Link), /preupload/{rev}, /commit/{rev} (NDJSON,
create_pr), /branch/{b}, /tag/{rev}, /settings, /auth-check; /api/repos/{create,delete,move};
/api/whoami-v2; /{repo}.git/info/lfs/objects/{batch,verify} (basic + multipart, completion at
/api/complete_multipart). Multi-range requests get the whole body (like S3).
Access: private/gated repos are readable by their owner (token user at creation), their namespace
user and granted users; writes need a token of such a user, or any valid token for repos created by
create_repo() without token.
"""

import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from hub_server import FAULT_KINDS, HubError, HubServer, Request  # noqa: E402

__all__ = ["HubServer", "Request", "HubError", "FAULT_KINDS", "hub_server", "hub_server_module",
           "hub_server_session", "hub_env", "run_hf", "run_hf_json", "spawn_hub_server", "TOKEN", "USER"]

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


class spawn_hub_server:
    """Context manager: serve `storage_dir` from a separate process (e.g. for benchmarks, so the server
    does not share the caller's GIL). Populate the store first (HubServer(storage_dir).commit(...));
    later changes made in this process are not seen. Yields an object with .endpoint, .cdn_endpoint,
    .cdn_port, .port, .proc. No fault injection or request log across the process boundary.
    """

    def __init__(self, storage_dir, record=False):
        self.storage_dir, self.record = str(storage_dir), record

    def __enter__(self):
        here = os.path.dirname(os.path.abspath(__file__))
        cmd = [sys.executable, os.path.join(here, "hub_server"), self.storage_dir] + (["--record"] if self.record else [])
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            self.proc.kill()
            raise RuntimeError("hub_server process did not start")
        info = json.loads(line)
        self.endpoint, self.cdn_endpoint = info["endpoint"], info["cdn_endpoint"]
        self.port = int(self.endpoint.rsplit(":", 1)[1])
        self.cdn_port = int(self.cdn_endpoint.rsplit(":", 1)[1])
        return self

    def __exit__(self, *exc):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


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
