"""hfc.hub: a Hub client in C (libcurl + OpenSSL) sharing huggingface_hub's cache.

Same names and arguments as huggingface_hub for the common calls::

    from hfc.hub import hf_hub_download, snapshot_download
    path = hf_hub_download("org/model", "config.json")
    folder = snapshot_download("org/model", allow_patterns=["*.json", "*.safetensors"])

The cache layout is huggingface_hub's own (``models--org--name/{blobs,refs,snapshots}``,
relative symlinks, ``.no_exist`` markers, ``.locks`` with flock, ``trees/<commit>.json``):
a file fetched by either client is found by the other offline.

Beyond huggingface_hub: large files come in several parallel Range requests (``connections``,
default by size), a killed download resumes from its ``.incomplete`` part in the next process
(the part is re-hashed, never trusted), SHA-256 of LFS files and the git blob id of regular
files are verified while streaming, blobs appear only by atomic rename, transient failures are
retried with back-off, the token never follows a redirect to another host, and server-supplied
paths that would escape the repo folder are refused.

Environment: HF_ENDPOINT, HF_HOME, HF_HUB_CACHE, HF_HUB_OFFLINE, HF_TOKEN (and the token file
$HF_HOME/token or HF_TOKEN_PATH), HF_HUB_DISABLE_SYMLINKS, HF_HUB_DISABLE_PROGRESS_BARS,
HF_HUB_ETAG_TIMEOUT, HF_HUB_DOWNLOAD_TIMEOUT; HFC_HUB_CONNECTIONS overrides the default
connection count. Read at each call, not at import.
"""
from __future__ import annotations

import base64
import fnmatch
import json
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import quote

from . import _C
from ._hub_errors import (  # noqa: F401  (re-exported)
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    IncompleteSnapshotError,
    LocalEntryNotFoundError,
    OfflineModeIsEnabled,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
    raise_for_status,
    Response,
)

__all__ = [
    "hf_hub_download", "snapshot_download", "hf_hub_url", "try_to_load_from_cache", "file_exists",
    "list_repo_files", "list_repo_tree", "repo_info", "model_info", "dataset_info", "get_hf_file_metadata",
    "create_repo", "delete_repo", "create_commit", "upload_file", "upload_folder", "delete_file",
    "CommitOperationAdd", "CommitOperationDelete", "ModelCard", "get_token", "repo_folder_name",
    "HfHubHTTPError", "RepositoryNotFoundError", "RevisionNotFoundError", "EntryNotFoundError",
    "RemoteEntryNotFoundError", "GatedRepoError", "LocalEntryNotFoundError", "OfflineModeIsEnabled",
    "IncompleteSnapshotError",
]

REPO_TYPES = ("model", "dataset", "space")
_URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
_COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
DEFAULT_REVISION = "main"
CACHEDIR_TAG_CONTENT = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by huggingface_hub.\n"
    "# For information about cache directory tags, see:\n"
    "#\thttps://bford.info/cachedir/\n"
)


# ---------------------------------------------------------------- configuration (read per call)

def _true(name: str) -> bool:
    return (os.environ.get(name) or "").upper() in {"1", "ON", "YES", "TRUE"}


def _endpoint(endpoint: str | None = None) -> str:
    return (endpoint or os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")


def _hf_home() -> str:
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache"), "huggingface")
    return os.path.expandvars(os.path.expanduser(home))


def _default_cache_dir() -> str:
    d = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE") or os.path.join(_hf_home(), "hub")
    return os.path.expandvars(os.path.expanduser(d))


def _offline() -> bool:
    return _true("HF_HUB_OFFLINE") or _true("TRANSFORMERS_OFFLINE")


def _float_env(name: str, default: float) -> float:
    try:
        return float(os.environ[name])
    except (KeyError, ValueError):
        return default


def get_token() -> str | None:
    """HF_TOKEN (or HUGGING_FACE_HUB_TOKEN), else the token file ($HF_TOKEN_PATH or $HF_HOME/token)."""
    tok = os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN")
    if tok:
        return tok.replace("\r", "").replace("\n", "").strip() or None
    path = os.path.expandvars(os.path.expanduser(os.environ.get("HF_TOKEN_PATH") or os.path.join(_hf_home(), "token")))
    try:
        with open(path) as f:
            return f.read().strip() or None
    except OSError:
        return None


def _token(token: bool | str | None) -> str | None:
    if token is False:
        return None
    if isinstance(token, str):
        return token
    return get_token()


def repo_folder_name(*, repo_id: str, repo_type: str) -> str:
    return "--".join([f"{repo_type}s", *repo_id.split("/")])


def _check_repo_type(repo_type: str | None) -> str:
    repo_type = repo_type or "model"
    if repo_type not in REPO_TYPES:
        raise ValueError(f"Invalid repo type: {repo_type!r}; expected one of {REPO_TYPES}")
    return repo_type


def _check_repo_id(repo_id: str) -> None:
    if not isinstance(repo_id, str) or not re.fullmatch(r"[\w.\-]+(/[\w.\-]+)?", repo_id) or ".." in repo_id \
            or repo_id.startswith(("-", ".")) or repo_id.endswith(("-", ".")) or len(repo_id) > 96:
        raise ValueError(f"Repo id must be 'name' or 'namespace/name', got {repo_id!r}")


# ---------------------------------------------------------------- HTTP

def _user_agent() -> str:
    import platform
    return f"hfc/{_C.__version__}; python/{platform.python_version()}; hf_hub/compatible"


def _request(method: str, url: str, *, token: str | None = None, endpoint: str | None = None,
             headers: dict | None = None, body: bytes | None = None, body_path: str | None = None,
             body_offset: int = 0, body_len: int = -1, timeout: float = 10.0, retries: int = -1,
             redirects: int = 2) -> Response:
    lines = [f"User-Agent: {_user_agent()}"]
    for k, v in (headers or {}).items():
        if k.lower() != "authorization":
            lines.append(f"{k}: {v}")
    status, final, raw, content, _ = _C._hub_request(
        method, url, headers=lines, token=token, auth_origin=_endpoint(endpoint), body=body,
        body_path=body_path, body_offset=body_offset, body_len=body_len, timeout=timeout,
        retries=retries, redirects=redirects)
    return Response(status, final, raw, content, request_url=url)


def _api(method: str, path: str, *, token, endpoint=None, json_body=None, retries=-1, **kw) -> Response:
    url = f"{_endpoint(endpoint)}{path}"
    headers = kw.pop("headers", None) or {}
    body = None
    if json_body is not None:
        body = json.dumps(json_body).encode()
        headers = {"Content-Type": "application/json", **headers}
    r = _request(method, url, token=_token(token), endpoint=endpoint, headers=headers, body=body,
                 retries=retries, **kw)
    raise_for_status(r)
    return r


def hf_hub_url(repo_id: str, filename: str, *, subfolder: str | None = None, repo_type: str | None = None,
               revision: str | None = None, endpoint: str | None = None) -> str:
    if subfolder == "":
        subfolder = None
    if subfolder is not None:
        filename = f"{subfolder}/{filename}"
    repo_type = _check_repo_type(repo_type)
    revision = revision or DEFAULT_REVISION
    return (f"{_endpoint(endpoint)}/{_URL_PREFIX[repo_type]}{repo_id}/resolve/"
            f"{quote(revision, safe='')}/{quote(filename)}")


@dataclass
class HfFileMetadata:
    commit_hash: str | None
    etag: str | None
    location: str
    size: int | None


def get_hf_file_metadata(url: str, token: bool | str | None = None, timeout: float | None = 10,
                         endpoint: str | None = None, retries: int = 0) -> HfFileMetadata:
    """HEAD on a /resolve URL: X-Repo-Commit, ETag / X-Linked-Etag, X-Linked-Size; relative
    (same-origin) redirects followed, a cross-origin one (the CDN) reported as `location`."""
    r = _request("HEAD", url, token=_token(token), endpoint=endpoint,
                 headers={"Accept-Encoding": "identity"}, timeout=timeout or 10.0, retries=retries,
                 redirects=1)
    raise_for_status(r)
    etag = r.headers.get("x-linked-etag") or r.headers.get("etag")
    size = r.headers.get("x-linked-size") or r.headers.get("content-length")
    location = r.url
    if 300 <= r.status_code < 400 and r.headers.get("location"):
        location = _resolve_location(r.url, r.headers["location"])
    return HfFileMetadata(
        commit_hash=r.headers.get("x-repo-commit"),
        etag=_C._hub_normalize_etag(etag) if etag else None,
        location=location,
        size=int(size) if size and size.isdigit() else None,
    )


def _resolve_location(base: str, loc: str) -> str:
    from urllib.parse import urljoin
    return urljoin(base, loc)


# ---------------------------------------------------------------- cache helpers

def _write_atomic(path: str, data: bytes | str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{uuid.uuid4().hex[:8]}.tmp"
    with open(tmp, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    os.replace(tmp, path)


def _cache_ref(storage: str, revision: str, commit: str) -> None:
    if revision == commit:
        return
    _C._hub_check_relpath(revision)  # refs/<revision> must stay inside refs/ ("refs/pr/1" is fine)
    ref = os.path.join(storage, "refs", revision)
    try:
        with open(ref) as f:
            if f.read() == commit:
                return
    except OSError:
        pass
    _write_atomic(ref, commit)


def _cachedir_tag(cache_dir: str) -> None:
    tag = os.path.join(cache_dir, "CACHEDIR.TAG")
    if not os.path.exists(tag):
        try:
            os.makedirs(cache_dir, exist_ok=True)
            with open(tag, "w") as f:
                f.write(CACHEDIR_TAG_CONTENT)
        except OSError:
            pass


def _commit_from_cache(storage: str, revision: str) -> str | None:
    if _COMMIT_RE.fullmatch(revision):
        return revision
    try:
        with open(os.path.join(storage, "refs", revision)) as f:
            return f.read()
    except OSError:
        return None


def _pointer(storage: str, commit: str, filename: str) -> str:
    return os.path.join(storage, "snapshots", commit, *filename.split("/"))


def try_to_load_from_cache(repo_id: str, filename: str, cache_dir: str | Path | None = None,
                           revision: str | None = None, repo_type: str | None = None):
    """Path of the cached file, `_CACHED_NO_EXIST` if the Hub said it does not exist, else None."""
    repo_type = _check_repo_type(repo_type)
    revision = revision or DEFAULT_REVISION
    storage = os.path.join(str(cache_dir or _default_cache_dir()), repo_folder_name(repo_id=repo_id, repo_type=repo_type))
    if not os.path.isdir(storage):
        return None
    commit = _commit_from_cache(storage, revision)
    if commit is None:
        return None
    if os.path.isfile(os.path.join(storage, ".no_exist", commit, filename)):
        return _CACHED_NO_EXIST
    p = _pointer(storage, commit, filename)
    return p if os.path.isfile(p) else None


class _CachedNoExist:
    def __repr__(self):
        return "_CACHED_NO_EXIST"


_CACHED_NO_EXIST = _CachedNoExist()


def _progress_bar(total: int | None, desc: str, tqdm_class=None):
    if _true("HF_HUB_DISABLE_PROGRESS_BARS"):
        return None
    if tqdm_class is None:
        try:
            from tqdm.auto import tqdm as tqdm_class  # notebook-aware
        except ImportError:
            return None
    return tqdm_class(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=desc, leave=False)


def _connections(connections: int | None) -> int:
    if connections is not None:
        return int(connections)
    try:
        return int(os.environ.get("HFC_HUB_CONNECTIONS", "0"))
    except ValueError:
        return 0


def _fetch(items, *, token, endpoint, workers=1, connections=None, force=False, desc="", total=None,
           tqdm_class=None):
    """Run the C fetcher; map an HTTP error status to the Hub's exceptions."""
    bar = _progress_bar(total, desc, tqdm_class) if items else None
    try:
        results, failure = _C._hub_fetch(
            items, workers=workers, headers=[f"User-Agent: {_user_agent()}"], token=token,
            auth_origin=_endpoint(endpoint), timeout=_float_env("HF_HUB_DOWNLOAD_TIMEOUT", 10.0),
            connections=_connections(connections), force=force,
            copy_pointer=_true("HF_HUB_DISABLE_SYMLINKS"), progress=bar.update if bar else None)
    finally:
        if bar is not None:
            bar.close()
    if failure is not None:
        idx, status, raw, msg = failure
        raise_for_status(Response(status, items[idx][0], raw, b"", request_url=items[idx][0]))
        raise HfHubHTTPError(msg, response=Response(status, items[idx][0], raw, b""))
    return results


# ---------------------------------------------------------------- hf_hub_download

def hf_hub_download(repo_id: str, filename: str, *, subfolder: str | None = None, repo_type: str | None = None,
                    revision: str | None = None, cache_dir: str | Path | None = None,
                    local_dir: str | Path | None = None, force_download: bool = False,
                    token: bool | str | None = None, local_files_only: bool = False,
                    etag_timeout: float | None = None, endpoint: str | None = None,
                    connections: int | None = None, tqdm_class=None, **_ignored) -> str:
    """Download one file (or find it in the cache) and return its local path."""
    if subfolder == "":
        subfolder = None
    if subfolder is not None:
        filename = f"{subfolder}/{filename}"
    _C._hub_check_relpath(filename)
    repo_type = _check_repo_type(repo_type)
    revision = revision or DEFAULT_REVISION
    cache_dir = str(cache_dir or _default_cache_dir())
    etag_timeout = etag_timeout if etag_timeout is not None else _float_env("HF_HUB_ETAG_TIMEOUT", 10.0)
    local_files_only = local_files_only or _offline()
    tok = _token(token)
    if local_dir is not None:
        return _download_to_local_dir(repo_id, filename, repo_type, revision, str(local_dir), cache_dir,
                                      force_download, tok, local_files_only, etag_timeout, endpoint,
                                      connections, tqdm_class)
    storage = os.path.join(cache_dir, repo_folder_name(repo_id=repo_id, repo_type=repo_type))
    if _COMMIT_RE.fullmatch(revision) and not force_download:
        p = _pointer(storage, revision, filename)
        if os.path.exists(p):
            return p
    meta, head_error = _metadata_or_error(repo_id, filename, repo_type, revision, endpoint, etag_timeout,
                                          tok, local_files_only, storage)
    if head_error is not None:
        if not force_download:  # like huggingface_hub: the cache first, then one retrying HEAD
            commit = _commit_from_cache(storage, revision)
            if commit is not None:
                p = _pointer(storage, commit, filename)
                if os.path.exists(p):
                    return p
            if _retryable(head_error):
                meta, head_error = _metadata_or_error(repo_id, filename, repo_type, revision, endpoint,
                                                      etag_timeout, tok, local_files_only, storage, retries=4)
        if head_error is not None:
            _raise_on_head_error(head_error, force_download, local_files_only)
    commit, etag = meta.commit_hash, meta.etag
    pointer = _pointer(storage, commit, filename)
    if not force_download and os.path.exists(pointer):
        try:
            _cache_ref(storage, revision, commit)
        except OSError:
            pass
        return pointer
    _cachedir_tag(cache_dir)
    _cache_ref(storage, revision, commit)
    blob = os.path.join(storage, "blobs", etag)
    lock = os.path.join(cache_dir, ".locks", repo_folder_name(repo_id=repo_id, repo_type=repo_type), f"{etag}.lock")
    _fetch([(meta.location, os.path.abspath(blob), lock, os.path.abspath(pointer), etag, meta.size)],
           token=tok, endpoint=endpoint, connections=connections, force=force_download,
           desc=filename.rsplit("/", 1)[-1], total=meta.size, tqdm_class=tqdm_class)
    return pointer


def _retryable(err) -> bool:
    """A transport failure or a transient status: worth a second HEAD with retries."""
    if isinstance(err, HfHubHTTPError):
        return getattr(err.response, "status_code", 0) in (408, 429, 500, 502, 503, 504)
    return isinstance(err, OSError)


def _metadata_or_error(repo_id, filename, repo_type, revision, endpoint, timeout, tok, local_files_only,
                       storage, retries=0):
    if local_files_only:
        return None, OfflineModeIsEnabled(
            f"Cannot access file since 'local_files_only=True' as been set. (repo_id: {repo_id}, "
            f"repo_type: {repo_type}, revision: {revision}, filename: {filename})")
    url = hf_hub_url(repo_id, filename, repo_type=repo_type, revision=revision, endpoint=endpoint)
    try:
        meta = get_hf_file_metadata(url, token=tok or False, timeout=timeout, endpoint=endpoint, retries=retries)
    except RemoteEntryNotFoundError as e:
        commit = e.response.headers.get("x-repo-commit") if e.response is not None else None
        if storage is not None and commit is not None and _COMMIT_RE.fullmatch(commit):
            marker = os.path.join(storage, ".no_exist", commit, *filename.split("/"))
            try:
                os.makedirs(os.path.dirname(marker), exist_ok=True)
                Path(marker).touch()
            except OSError:
                pass
            _cache_ref(storage, revision, commit)
        raise
    except RevisionNotFoundError:
        raise
    except HfHubHTTPError as e:
        return None, e
    except OSError as e:  # transport: connection refused, timeout, DNS...
        return None, e
    if meta.commit_hash is None or not _COMMIT_RE.fullmatch(meta.commit_hash):
        return None, OSError(f"Response from {url} lacks a valid X-Repo-Commit header: not a Hub endpoint?")
    if meta.etag is None:
        return None, OSError(f"Response from {url} has no ETag: cannot name the blob reliably")
    return meta, None


def _raise_on_head_error(err: Exception, force_download: bool, local_files_only: bool):
    if force_download:
        if local_files_only:
            raise ValueError("Cannot pass 'force_download=True' and 'local_files_only=True' at the same time.")
        raise ValueError("Force download failed due to the above error.") from err
    if local_files_only:
        raise LocalEntryNotFoundError(
            "Cannot find the requested files in the disk cache and outgoing traffic has been disabled. To enable"
            " hf.co look-ups and downloads online, set 'local_files_only' to False.")
    if isinstance(err, (RepositoryNotFoundError, GatedRepoError)) or (
            isinstance(err, HfHubHTTPError) and getattr(err.response, "status_code", 0) == 401):
        raise err
    raise LocalEntryNotFoundError(
        "An error happened while trying to locate the file on the Hub and we cannot find the requested files"
        " in the local cache. Please check your connection and try again or make sure your Internet connection"
        f" is on. ({err})") from err


def _local_paths(local_dir: str, filename: str):
    rel = os.path.join(*filename.split("/"))
    hf_dir = os.path.join(local_dir, ".cache", "huggingface")
    os.makedirs(hf_dir, exist_ok=True)
    _cachedir_tag(hf_dir)
    gi = os.path.join(hf_dir, ".gitignore")
    if not os.path.exists(gi):
        try:
            with open(gi, "w") as f:
                f.write("*")
        except OSError:
            pass
    meta = os.path.join(hf_dir, "download", f"{rel}.metadata")
    os.makedirs(os.path.dirname(meta), exist_ok=True)
    return os.path.join(local_dir, rel), meta, meta[: -len(".metadata")] + ".lock"


def _read_local_meta(file_path, meta_path):
    try:
        with open(meta_path) as f:
            commit, etag, ts = f.readline().strip(), f.readline().strip(), float(f.readline().strip())
        if os.stat(file_path).st_mtime - 1 <= ts:
            return commit, etag
    except (OSError, ValueError):
        pass
    return None


def _write_local_meta(meta_path, commit, etag):
    with open(meta_path, "w") as f:
        f.write(f"{commit}\n{etag}\n{time.time()}\n")


def _download_to_local_dir(repo_id, filename, repo_type, revision, local_dir, cache_dir, force, tok,
                           local_files_only, etag_timeout, endpoint, connections, tqdm_class):
    file_path, meta_path, lock_path = _local_paths(local_dir, filename)
    local_meta = _read_local_meta(file_path, meta_path)
    if (_COMMIT_RE.fullmatch(revision) and os.path.isfile(file_path) and local_meta
            and local_meta[0] == revision and not force):
        return file_path
    meta, err = _metadata_or_error(repo_id, filename, repo_type, revision, endpoint, etag_timeout, tok,
                                   local_files_only, None)
    if err is not None and not force and not os.path.isfile(file_path) and _retryable(err):
        meta, err = _metadata_or_error(repo_id, filename, repo_type, revision, endpoint, etag_timeout, tok,
                                       local_files_only, None, retries=4)
    if err is not None:
        if os.path.isfile(file_path) and not force:
            return file_path
        _raise_on_head_error(err, force, local_files_only)
    if not force and os.path.isfile(file_path):
        if local_meta is not None and local_meta[1] == meta.etag:
            _write_local_meta(meta_path, meta.commit_hash, meta.etag)
            return file_path
        if local_meta is None and _SHA256_RE.fullmatch(meta.etag) and _C._hub_sha256_file(file_path) == meta.etag:
            _write_local_meta(meta_path, meta.commit_hash, meta.etag)
            return file_path
    if not force:
        cached = try_to_load_from_cache(repo_id, filename, cache_dir=cache_dir, revision=meta.commit_hash,
                                        repo_type=repo_type)
        if isinstance(cached, str):
            tmp = f"{file_path}.{uuid.uuid4().hex[:8]}.tmp"
            shutil.copyfile(cached, tmp)
            os.replace(tmp, file_path)
            _write_local_meta(meta_path, meta.commit_hash, meta.etag)
            return file_path
    _fetch([(meta.location, os.path.abspath(file_path), lock_path, None, meta.etag, meta.size)],
           token=tok, endpoint=endpoint, connections=connections, force=True,
           desc=filename.rsplit("/", 1)[-1], total=meta.size, tqdm_class=tqdm_class)
    _write_local_meta(meta_path, meta.commit_hash, meta.etag)
    return file_path


# ---------------------------------------------------------------- repo API

@dataclass
class RepoFile:
    path: str
    size: int
    blob_id: str | None
    lfs: dict | None = None
    xet_hash: str | None = None

    @property
    def rfilename(self) -> str:
        return self.path


@dataclass
class RepoFolder:
    path: str
    tree_id: str | None


@dataclass
class RepoSibling:
    rfilename: str
    size: int | None = None
    blob_id: str | None = None
    lfs: dict | None = None


@dataclass
class RepoInfo:
    id: str
    sha: str | None
    private: bool | None = None
    gated: Any = None
    tags: list = field(default_factory=list)
    siblings: list = field(default_factory=list)
    last_modified: str | None = None
    card_data: dict | None = None
    raw: dict = field(default_factory=dict, repr=False)


def repo_info(repo_id: str, *, repo_type: str | None = None, revision: str | None = None,
              token: bool | str | None = None, files_metadata: bool = False, endpoint: str | None = None,
              timeout: float | None = None, retries: int = -1) -> RepoInfo:
    repo_type = _check_repo_type(repo_type)
    path = f"/api/{repo_type}s/{repo_id}"
    if revision is not None:
        path += f"/revision/{quote(revision, safe='')}"
    if files_metadata:
        path += "?blobs=true"
    r = _api("GET", path, token=token, endpoint=endpoint, timeout=timeout or 10.0, retries=retries)
    d = r.json()
    sibs = []
    for s in d.get("siblings") or []:
        name = s.get("rfilename")
        _C._hub_check_relpath(name if isinstance(name, str) else "")
        sibs.append(RepoSibling(name, s.get("size"), s.get("blobId"), s.get("lfs")))
    return RepoInfo(id=d.get("id", repo_id), sha=d.get("sha"), private=d.get("private"), gated=d.get("gated"),
                    tags=d.get("tags") or [], siblings=sibs, last_modified=d.get("lastModified"),
                    card_data=d.get("cardData"), raw=d)


def model_info(repo_id: str, *, revision: str | None = None, token=None, files_metadata=False, **kw) -> RepoInfo:
    return repo_info(repo_id, repo_type="model", revision=revision, token=token, files_metadata=files_metadata, **kw)


def dataset_info(repo_id: str, *, revision: str | None = None, token=None, files_metadata=False, **kw) -> RepoInfo:
    return repo_info(repo_id, repo_type="dataset", revision=revision, token=token, files_metadata=files_metadata, **kw)


def _tree_pages(repo_id, repo_type, revision, token, endpoint, path_in_repo="", recursive=True):
    """All entries of /tree (Link rel="next" pagination), parsed and path-checked in C."""
    url = (f"{_endpoint(endpoint)}/api/{repo_type}s/{repo_id}/tree/{quote(revision, safe='')}"
           + (f"/{quote(path_in_repo)}" if path_in_repo else "") + ("?recursive=true" if recursive else ""))
    out = []
    tok = _token(token)
    origin = _endpoint(endpoint)
    for _ in range(100000):
        r = _request("GET", url, token=tok, endpoint=endpoint)
        raise_for_status(r)
        out.extend(_C._hub_parse_tree(r.content))
        link = r.headers.get("link")
        nxt = _C._hub_link_next(link) if link else None
        if not nxt:
            return out
        nxt = _resolve_location(url, nxt)
        if not nxt.startswith(origin + "/"):
            raise ValueError(f"refusing pagination link to another host: {nxt}")
        url = nxt
    raise ValueError("tree listing: too many pages")


def list_repo_tree(repo_id: str, path_in_repo: str | None = None, *, recursive: bool = False,
                   repo_type: str | None = None, revision: str | None = None, token=None,
                   endpoint: str | None = None):
    repo_type = _check_repo_type(repo_type)
    for is_dir, path, size, oid, lfs_oid, lfs_size, xet in _tree_pages(
            repo_id, repo_type, revision or DEFAULT_REVISION, token, endpoint, path_in_repo or "", recursive):
        if is_dir:
            yield RepoFolder(path, oid)
        else:
            yield RepoFile(path, size, oid, {"sha256": lfs_oid, "size": lfs_size} if lfs_oid else None, xet)


def list_repo_files(repo_id: str, *, revision: str | None = None, repo_type: str | None = None,
                    token=None, endpoint: str | None = None) -> list[str]:
    return [f.path for f in list_repo_tree(repo_id, recursive=True, repo_type=repo_type, revision=revision,
                                           token=token, endpoint=endpoint) if isinstance(f, RepoFile)]


def file_exists(repo_id: str, filename: str, *, repo_type: str | None = None, revision: str | None = None,
                token=None, endpoint: str | None = None) -> bool:
    url = hf_hub_url(repo_id, filename, repo_type=repo_type, revision=revision, endpoint=endpoint)
    try:
        get_hf_file_metadata(url, token=token, endpoint=endpoint)
        return True
    except (RemoteEntryNotFoundError,):
        return False


# ---------------------------------------------------------------- snapshot_download

def _filter(paths: Iterable[str], allow, ignore) -> list[str]:
    def norm(p):
        if p is None:
            return None
        p = [p] if isinstance(p, str) else list(p)
        return [x + "*" if x.endswith("/") else x for x in p]
    allow, ignore = norm(allow), norm(ignore)
    out = []
    for p in paths:
        if allow is not None and not any(fnmatch.fnmatch(p, a) for a in allow):
            continue
        if ignore is not None and any(fnmatch.fnmatch(p, i) for i in ignore):
            continue
        out.append(p)
    return out


def _read_tree_cache(folder: str, commit: str):
    try:
        with open(os.path.join(folder, "trees", f"{commit}.json"), encoding="utf-8") as f:
            d = json.load(f)
        if d.get("format_version") != 1:
            return None
        files = d["files"]
        for p in files:
            _C._hub_check_relpath(p)
        return files
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_tree_cache(folder: str, commit: str, files: dict) -> None:
    path = os.path.join(folder, "trees", f"{commit}.json")
    data = {"format_version": 1, "files": {p: files[p] for p in sorted(files)}}
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)
        os.replace(tmp, path)
    except OSError:
        pass


def _raise_if_incomplete(tree_folder, commit, base_dir, allow, ignore, repo_id, revision, api_error):
    """huggingface_hub 2.4: an offline snapshot known (from trees/<commit>.json) to lack files raises."""
    files = _read_tree_cache(tree_folder, commit)
    if files is None:
        return
    missing = [p for p in _filter(files, allow, ignore) if not os.path.isfile(os.path.join(base_dir, *p.split("/")))]
    if not missing:
        return
    sample = ", ".join(missing[:3]) + (f", ... ({len(missing) - 3} more)" if len(missing) > 3 else "")
    reason = (f"The Hub could not be reached ({api_error.__class__.__name__}: {api_error})." if api_error is not None
              else "Outgoing traffic is disabled ('local_files_only=True').")
    raise IncompleteSnapshotError(
        f"The cached snapshot for '{repo_id}' (revision '{revision}', commit {commit}) is incomplete: "
        f"{len(missing)} file(s) are missing ({sample}). {reason} Re-run the download with network access "
        "to complete the snapshot.", snapshot_path=base_dir) from api_error


def snapshot_download(repo_id: str, *, repo_type: str | None = None, revision: str | None = None,
                      cache_dir: str | Path | None = None, local_dir: str | Path | None = None,
                      allow_patterns=None, ignore_patterns=None, max_workers: int = 8,
                      token: bool | str | None = None, local_files_only: bool = False,
                      force_download: bool = False, etag_timeout: float | None = None,
                      endpoint: str | None = None, connections: int | None = None, tqdm_class=None,
                      **_ignored) -> str:
    """Download a repo snapshot (or find it in the cache); return the snapshot folder.

    One /revision call and one paginated /tree listing, then every missing file is fetched by
    the C core on hfc's pool (no per-file HEAD: the listing gives each blob's id)."""
    repo_type = _check_repo_type(repo_type)
    revision = revision or DEFAULT_REVISION
    cache_dir = str(cache_dir or _default_cache_dir())
    local_files_only = local_files_only or _offline()
    tok = _token(token)
    storage = os.path.join(cache_dir, repo_folder_name(repo_id=repo_id, repo_type=repo_type))
    tree_folder = os.path.join(str(local_dir), ".cache", "huggingface") if local_dir is not None else storage
    commit = revision if _COMMIT_RE.fullmatch(revision) else None
    files = None
    api_error = None
    if not local_files_only:
        try:
            if commit is None:
                commit = repo_info(repo_id, repo_type=repo_type, revision=revision, token=tok or False,
                                   endpoint=endpoint, retries=0).sha
                if not commit or not _COMMIT_RE.fullmatch(commit):
                    raise ValueError(f"server returned an invalid commit sha {commit!r}")
            files = _read_tree_cache(tree_folder, commit)
            if files is None:
                files = {}
                for is_dir, path, size, oid, lfs_oid, lfs_size, xet in _tree_pages(
                        repo_id, repo_type, commit, tok or False, endpoint):
                    if is_dir:
                        continue
                    e = {"size": size, "blob_id": oid}
                    if lfs_oid is not None:
                        e["lfs_sha256"], e["lfs_size"] = lfs_oid, lfs_size
                    if xet is not None:
                        e["xet_hash"] = xet
                    files[path] = e
                _write_tree_cache(tree_folder, commit, files)
        except (RevisionNotFoundError, ValueError):
            raise
        except (HfHubHTTPError, OSError) as e:
            api_error = e
            files = None
    if files is None:
        commit = _commit_from_cache(storage, revision) if commit is None else commit
        if commit is not None and local_dir is None:
            folder = os.path.join(storage, "snapshots", commit)
            if os.path.isdir(folder):
                _raise_if_incomplete(tree_folder, commit, folder, allow_patterns, ignore_patterns, repo_id,
                                     revision, api_error)
                return folder
        if local_dir is not None and os.path.isdir(str(local_dir)) and os.listdir(str(local_dir)):
            if commit is not None:
                _raise_if_incomplete(tree_folder, commit, str(local_dir), allow_patterns, ignore_patterns,
                                     repo_id, revision, api_error)
            return os.path.realpath(str(local_dir))
        if local_files_only:
            raise LocalEntryNotFoundError(
                "Cannot find an appropriate cached snapshot folder for the specified revision on the local disk "
                "and outgoing traffic has been disabled. To enable repo look-ups and downloads online, pass "
                "'local_files_only=False' as input.")
        if isinstance(api_error, (RepositoryNotFoundError, GatedRepoError)) or (
                isinstance(api_error, HfHubHTTPError) and getattr(api_error.response, "status_code", 0) == 401):
            raise api_error
        raise LocalEntryNotFoundError(
            "An error happened while trying to locate the files on the Hub and we cannot find the appropriate"
            f" snapshot folder for the specified revision on the local disk. ({api_error})") from api_error
    wanted = _filter(sorted(files), allow_patterns, ignore_patterns)
    if local_dir is not None:
        return _snapshot_to_local_dir(repo_id, repo_type, commit, wanted, str(local_dir), cache_dir, force_download,
                                      tok, etag_timeout, endpoint, connections, max_workers)
    try:
        _cache_ref(storage, revision, commit)
    except OSError:
        pass
    _cachedir_tag(cache_dir)
    locks = os.path.join(cache_dir, ".locks", repo_folder_name(repo_id=repo_id, repo_type=repo_type))
    abs_storage = os.path.abspath(storage)
    items, total = [], 0
    for path in wanted:
        e = files[path]
        pointer = _pointer(abs_storage, commit, path)
        if not force_download and os.path.exists(pointer):
            continue
        etag = e.get("lfs_sha256") or e.get("blob_id")
        if not etag:
            raise ValueError(f"tree listing has no blob id for {path!r}")
        size = e.get("lfs_size") if e.get("lfs_sha256") else e.get("size")
        url = hf_hub_url(repo_id, path, repo_type=repo_type, revision=commit, endpoint=endpoint)
        items.append((url, os.path.join(abs_storage, "blobs", etag), os.path.join(locks, f"{etag}.lock"),
                      pointer, etag, size))
        total += size or 0
    _fetch(items, token=tok, endpoint=endpoint, workers=max(1, int(max_workers)), connections=connections,
           force=force_download, desc=f"Fetching {len(items)} files", total=total, tqdm_class=tqdm_class)
    return os.path.join(storage, "snapshots", commit)


def _snapshot_to_local_dir(repo_id, repo_type, commit, wanted, local_dir, cache_dir, force, tok, etag_timeout,
                           endpoint, connections, max_workers):
    from concurrent.futures import ThreadPoolExecutor
    os.makedirs(local_dir, exist_ok=True)

    def one(path):
        hf_hub_download(repo_id, path, repo_type=repo_type, revision=commit, local_dir=local_dir,
                        cache_dir=cache_dir, force_download=force, token=tok or False, etag_timeout=etag_timeout,
                        endpoint=endpoint, connections=connections)
    with ThreadPoolExecutor(max(1, int(max_workers))) as ex:
        list(ex.map(one, wanted))
    return os.path.realpath(local_dir)


# ---------------------------------------------------------------- upload

@dataclass
class CommitOperationAdd:
    path_in_repo: str
    path_or_fileobj: str | Path | bytes | Any

    def __post_init__(self):
        _C._hub_check_relpath(self.path_in_repo)
        src = self.path_or_fileobj
        if isinstance(src, (str, Path)):
            src = str(src)
            if not os.path.isfile(src):
                raise ValueError(f"Provided path: '{src}' is not a file on the local file system")
            self._path, self._data = src, None
            self.size = os.path.getsize(src)
            with open(src, "rb") as f:
                self.sample = f.read(512)
            self.sha256 = _C._hub_sha256_file(src)
        else:
            data = src if isinstance(src, (bytes, bytearray)) else src.read()
            self._path, self._data = None, bytes(data)
            self.size = len(self._data)
            self.sample = self._data[:512]
            import hashlib
            self.sha256 = hashlib.sha256(self._data).hexdigest()
        self.upload_mode = None

    def content(self) -> bytes:
        if self._data is not None:
            return self._data
        with open(self._path, "rb") as f:
            return f.read()


@dataclass
class CommitOperationDelete:
    path_in_repo: str
    is_folder: bool | str = "auto"

    def __post_init__(self):
        if self.is_folder == "auto":
            self.is_folder = self.path_in_repo.endswith("/")
        p = self.path_in_repo.rstrip("/") if self.is_folder else self.path_in_repo
        _C._hub_check_relpath(p)


@dataclass
class CommitInfo:
    commit_url: str
    commit_message: str
    oid: str
    raw: dict = field(default_factory=dict, repr=False)

    def __str__(self):
        return self.commit_url


def create_repo(repo_id: str, *, token=None, private: bool | None = None, repo_type: str | None = None,
                exist_ok: bool = False, endpoint: str | None = None, **_ignored) -> str:
    repo_type = _check_repo_type(repo_type)
    org, _, name = repo_id.rpartition("/")
    body: dict = {"name": name, "organization": org or None}
    if private is not None:
        body["private"] = private
    if repo_type != "model":
        body["type"] = repo_type
    url = f"{_endpoint(endpoint)}/{_URL_PREFIX[repo_type]}{repo_id}"
    try:
        r = _api("POST", "/api/repos/create", token=token, endpoint=endpoint, json_body=body, retries=0)
        return r.json().get("url", url)
    except HfHubHTTPError as e:
        if exist_ok and getattr(e.response, "status_code", 0) == 409:
            return url
        raise


def delete_repo(repo_id: str, *, token=None, repo_type: str | None = None, missing_ok: bool = False,
                endpoint: str | None = None) -> None:
    repo_type = _check_repo_type(repo_type)
    org, _, name = repo_id.rpartition("/")
    body: dict = {"name": name, "organization": org or None}
    if repo_type != "model":
        body["type"] = repo_type
    try:
        _api("DELETE", "/api/repos/delete", token=token, endpoint=endpoint, json_body=body, retries=0)
    except RepositoryNotFoundError:
        if not missing_ok:
            raise


def _lfs_upload(op: CommitOperationAdd, action: dict, tok, endpoint) -> None:
    actions = action.get("actions")
    if not actions:
        return  # already stored upstream
    up = actions["upload"]
    header = up.get("header") or {}
    href = up["href"]
    chunk = header.get("chunk_size")
    if chunk is not None:
        chunk = int(chunk)
        parts = sorted((int(k), v) for k, v in header.items() if k.isdigit())
        if len(parts) != -(-op.size // chunk):
            raise ValueError("Invalid server response to upload large LFS file")
        etags = []
        for i, (num, url) in enumerate(parts):
            off, ln = i * chunk, min(chunk, op.size - i * chunk)
            r = _put_bytes(url, op, off, ln, tok, endpoint)
            raise_for_status(r)
            etags.append({"partNumber": i + 1, "etag": r.headers.get("etag")})
        r = _request("POST", href, token=tok, endpoint=endpoint,
                     headers={"Accept": "application/vnd.git-lfs+json", "Content-Type": "application/vnd.git-lfs+json"},
                     body=json.dumps({"oid": op.sha256, "parts": etags}).encode(), retries=0)
        raise_for_status(r)
    else:
        r = _put_bytes(href, op, 0, op.size, tok, endpoint)
        raise_for_status(r)
    verify = actions.get("verify")
    if verify is not None:
        r = _request("POST", verify["href"], token=tok, endpoint=endpoint,
                     headers={"Content-Type": "application/json"},
                     body=json.dumps({"oid": op.sha256, "size": op.size}).encode(), retries=0)
        raise_for_status(r)


def _put_bytes(url, op, off, ln, tok, endpoint) -> Response:
    if op._path is not None:
        return _request("PUT", url, token=tok, endpoint=endpoint, body_path=op._path, body_offset=off,
                        body_len=ln, timeout=60.0)
    return _request("PUT", url, token=tok, endpoint=endpoint, body=op._data[off:off + ln], timeout=60.0)


def create_commit(repo_id: str, operations: Iterable, *, commit_message: str, commit_description: str | None = None,
                  token=None, repo_type: str | None = None, revision: str | None = None,
                  parent_commit: str | None = None, endpoint: str | None = None, **_ignored) -> CommitInfo:
    """preupload (regular or LFS per file) -> LFS batch + basic/multipart upload -> NDJSON commit."""
    repo_type = _check_repo_type(repo_type)
    revision = revision or DEFAULT_REVISION
    ops = list(operations)
    tok = _token(token)
    adds = [o for o in ops if isinstance(o, CommitOperationAdd)]
    rev_q = quote(revision, safe="")
    for i in range(0, len(adds), 256):
        chunk = adds[i:i + 256]
        r = _api("POST", f"/api/{repo_type}s/{repo_id}/preupload/{rev_q}", token=tok or False, endpoint=endpoint,
                 json_body={"files": [{"path": o.path_in_repo, "sample": base64.b64encode(o.sample).decode("ascii"),
                                       "size": o.size} for o in chunk]})
        modes = {f["path"]: f["uploadMode"] for f in r.json().get("files", [])}
        for o in chunk:
            o.upload_mode = modes.get(o.path_in_repo, "regular")
    lfs = [o for o in adds if o.upload_mode == "lfs"]
    prefix = _URL_PREFIX[repo_type]
    for i in range(0, len(lfs), 256):
        chunk = lfs[i:i + 256]
        r = _request("POST", f"{_endpoint(endpoint)}/{prefix}{repo_id}.git/info/lfs/objects/batch", token=tok,
                     endpoint=endpoint,
                     headers={"Accept": "application/vnd.git-lfs+json", "Content-Type": "application/vnd.git-lfs+json"},
                     body=json.dumps({"operation": "upload", "transfers": ["basic", "multipart"],
                                      "objects": [{"oid": o.sha256, "size": o.size} for o in chunk],
                                      "hash_algo": "sha256"}).encode(), retries=0)
        raise_for_status(r)
        by_oid = {o.sha256: o for o in chunk}
        for obj in r.json().get("objects", []):
            if "error" in obj:
                raise ValueError(f"LFS batch error for {obj.get('oid')}: {obj['error'].get('message')}")
            _lfs_upload(by_oid[obj["oid"]], obj, tok, endpoint)
    header: dict = {"summary": commit_message, "description": commit_description or ""}
    if parent_commit is not None:
        header["parentCommit"] = parent_commit
    lines = [{"key": "header", "value": header}]
    for o in ops:
        if isinstance(o, CommitOperationAdd) and o.upload_mode == "lfs":
            lines.append({"key": "lfsFile", "value": {"path": o.path_in_repo, "algo": "sha256", "oid": o.sha256,
                                                      "size": o.size}})
        elif isinstance(o, CommitOperationAdd):
            lines.append({"key": "file", "value": {"content": base64.b64encode(o.content()).decode(),
                                                   "path": o.path_in_repo, "encoding": "base64"}})
        elif isinstance(o, CommitOperationDelete):
            lines.append({"key": "deletedFolder" if o.is_folder else "deletedFile",
                          "value": {"path": o.path_in_repo}})
        else:
            raise TypeError(f"unknown commit operation {o!r}")
    body = b"".join(json.dumps(x).encode() + b"\n" for x in lines)
    r = _request("POST", f"{_endpoint(endpoint)}/api/{repo_type}s/{repo_id}/commit/{rev_q}", token=tok,
                 endpoint=endpoint, headers={"Content-Type": "application/x-ndjson"}, body=body, retries=0,
                 timeout=60.0)
    raise_for_status(r)
    d = r.json()
    return CommitInfo(commit_url=d.get("commitUrl", ""), commit_message=commit_message, oid=d.get("commitOid"), raw=d)


def upload_file(*, path_or_fileobj, path_in_repo: str, repo_id: str, token=None, repo_type: str | None = None,
                revision: str | None = None, commit_message: str | None = None,
                commit_description: str | None = None, parent_commit: str | None = None,
                endpoint: str | None = None, **_ignored) -> CommitInfo:
    op = CommitOperationAdd(path_in_repo=path_in_repo, path_or_fileobj=path_or_fileobj)
    return create_commit(repo_id, [op], commit_message=commit_message or f"Upload {path_in_repo} with hfc",
                         commit_description=commit_description, token=token, repo_type=repo_type,
                         revision=revision, parent_commit=parent_commit, endpoint=endpoint)


def upload_folder(*, repo_id: str, folder_path: str | Path, path_in_repo: str | None = None, token=None,
                  repo_type: str | None = None, revision: str | None = None, commit_message: str | None = None,
                  commit_description: str | None = None, allow_patterns=None, ignore_patterns=None,
                  delete_patterns=None, endpoint: str | None = None, **_ignored) -> CommitInfo:
    folder = Path(folder_path).expanduser().resolve()
    if not folder.is_dir():
        raise ValueError(f"Provided path: '{folder}' is not a directory")
    rels = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    ignore = list([ignore_patterns] if isinstance(ignore_patterns, str) else (ignore_patterns or []))
    ignore += [".git/*", "*/.git/*", ".cache/huggingface/*", "*/.cache/huggingface/*", ".git", ".cache/huggingface"]
    rels = _filter(rels, allow_patterns, ignore)
    prefix = (path_in_repo or "").strip("/")
    ops: list = []
    if delete_patterns is not None:
        existing = list_repo_files(repo_id, revision=revision, repo_type=repo_type, token=token, endpoint=endpoint)
        if prefix:
            existing = [p[len(prefix) + 1:] for p in existing if p.startswith(prefix + "/")]
        keep = set(rels)
        for p in _filter(existing, delete_patterns, None):
            if p not in keep and not p.endswith(".gitattributes"):
                ops.append(CommitOperationDelete(f"{prefix}/{p}" if prefix else p))
    ops += [CommitOperationAdd(f"{prefix}/{r}" if prefix else r, str(folder / r)) for r in rels]
    return create_commit(repo_id, ops, commit_message=commit_message or "Upload folder using hfc",
                         commit_description=commit_description, token=token, repo_type=repo_type,
                         revision=revision, endpoint=endpoint)


def delete_file(path_in_repo: str, repo_id: str, *, token=None, repo_type: str | None = None,
                revision: str | None = None, commit_message: str | None = None, endpoint: str | None = None,
                **_ignored) -> CommitInfo:
    return create_commit(repo_id, [CommitOperationDelete(path_in_repo, is_folder=False)],
                         commit_message=commit_message or f"Delete {path_in_repo} with hfc", token=token,
                         repo_type=repo_type, revision=revision, endpoint=endpoint)


class HfApi:
    """huggingface_hub.HfApi's shape over this module's functions: endpoint and token bound once."""

    _FUNCS = ("hf_hub_download", "snapshot_download", "file_exists", "list_repo_files", "list_repo_tree",
              "repo_info", "model_info", "dataset_info", "create_repo", "delete_repo", "create_commit",
              "upload_file", "upload_folder", "delete_file")

    def __init__(self, endpoint: str | None = None, token: bool | str | None = None):
        self.endpoint, self.token = endpoint, token

    def __getattr__(self, name):
        if name not in HfApi._FUNCS:
            raise AttributeError(f"hfc.hub.HfApi has no method {name!r} (not implemented by hfc.hub)")
        fn = globals()[name]

        def bound(*args, **kw):
            kw.setdefault("endpoint", self.endpoint)
            if self.token is not None:
                kw.setdefault("token", self.token)
            return fn(*args, **kw)
        bound.__name__ = name
        return bound


__all__.append("HfApi")

from ._hub_card import ModelCard  # noqa: E402  (uses hf_hub_download / upload_file above)
