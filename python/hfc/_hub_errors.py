"""hfc.hub errors: huggingface_hub's names, subclassing huggingface_hub's own classes when it
is importable (so `except huggingface_hub.errors.RepositoryNotFoundError` catches ours)."""
from __future__ import annotations

import json as _json
import re

from . import _C

try:  # optional: hfc runs without huggingface_hub
    from huggingface_hub import errors as _hf
except Exception:  # pragma: no cover - exercised only without huggingface_hub
    _hf = None


class Headers:
    """Case-insensitive view of a raw header block (lookups go through the C parser)."""

    def __init__(self, raw: bytes):
        self.raw = raw

    def get(self, name: str, default=None):
        v = _C._hub_header(self.raw, name)
        return default if v is None else v

    def __getitem__(self, name: str) -> str:
        v = _C._hub_header(self.raw, name)
        if v is None:
            raise KeyError(name)
        return v

    def __contains__(self, name: str) -> bool:
        return _C._hub_header(self.raw, name) is not None


class Response:
    """The little of an HTTP response the errors and callers need."""

    def __init__(self, status: int, url: str, raw_headers: bytes, content: bytes, request_url: str | None = None):
        self.status_code = status
        self.url = url
        self.headers = Headers(raw_headers)
        self.content = content
        self.request = None
        self.request_url = request_url or url

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self):
        return _json.loads(self.content)

    def __repr__(self):
        return f"<Response [{self.status_code}] {self.url}>"


if _hf is not None:
    _BaseHTTP = _hf.HfHubHTTPError
    _BaseRepo = _hf.RepositoryNotFoundError
    _BaseGated = _hf.GatedRepoError
    _BaseRevision = _hf.RevisionNotFoundError
    _BaseEntry = _hf.EntryNotFoundError
    _BaseRemoteEntry = _hf.RemoteEntryNotFoundError
    _BaseLocalEntry = _hf.LocalEntryNotFoundError
    _BaseOffline = _hf.OfflineModeIsEnabled
    _BaseIncomplete = _hf.IncompleteSnapshotError
else:
    class _BaseHTTP(OSError):
        def __init__(self, message: str, *, response=None, server_message: str | None = None):
            super().__init__(message)
            self.response = response
            self.server_message = server_message
            self.request = None
            self.request_id = response.headers.get("x-request-id") if response is not None else None

    class _BaseRepo(_BaseHTTP):
        pass

    class _BaseGated(_BaseRepo):
        pass

    class _BaseRevision(_BaseHTTP):
        pass

    class _BaseEntry(Exception):
        pass

    class _BaseRemoteEntry(_BaseHTTP, _BaseEntry):
        pass

    class _BaseLocalEntry(FileNotFoundError, _BaseEntry):
        pass

    class _BaseOffline(ConnectionError):
        pass

    class _BaseIncomplete(_BaseLocalEntry):
        def __init__(self, message: str, snapshot_path: str):
            super().__init__(message)
            self.snapshot_path = snapshot_path


class HfHubHTTPError(_BaseHTTP):
    """An HTTP error from the Hub (status, X-Error-Code / X-Error-Message in .response)."""


class RepositoryNotFoundError(_BaseRepo, HfHubHTTPError):
    pass


class GatedRepoError(_BaseGated, RepositoryNotFoundError):
    pass


class RevisionNotFoundError(_BaseRevision, HfHubHTTPError):
    pass


class EntryNotFoundError(_BaseEntry):
    pass


class RemoteEntryNotFoundError(_BaseRemoteEntry, HfHubHTTPError, EntryNotFoundError):
    pass


class LocalEntryNotFoundError(_BaseLocalEntry, EntryNotFoundError):
    pass


class OfflineModeIsEnabled(_BaseOffline):
    pass


class IncompleteSnapshotError(_BaseIncomplete, LocalEntryNotFoundError):
    """Offline, and the cached tree listing shows the cached snapshot lacks requested files."""


_REPO_API = re.compile(r"/api/(models|datasets|spaces)/(.+?)(/|$)|/(datasets/|spaces/)?[^/]+/[^/]+/resolve/")


def _make(cls, message: str, resp: Response):
    server = resp.headers.get("x-error-message")
    if not server:
        try:
            d = resp.json()
            server = d.get("error") if isinstance(d, dict) else None
        except ValueError:
            server = None
    if server and isinstance(server, str):
        message += f"\n\n{server}"
    return cls(message, response=resp, server_message=server)


def raise_for_status(resp: Response) -> None:
    """huggingface_hub's hf_raise_for_status mapping (X-Error-Code first, then the status)."""
    s = resp.status_code
    if s < 400:
        return
    code = resp.headers.get("x-error-code")
    msg = resp.headers.get("x-error-message")
    url = resp.request_url
    kind = "Client" if s < 500 else "Server"
    if code == "RevisionNotFound":
        raise _make(RevisionNotFoundError, f"{s} Client Error.\n\nRevision Not Found for url: {url}.", resp)
    if code == "EntryNotFound":
        raise _make(RemoteEntryNotFoundError, f"{s} Client Error.\n\nEntry Not Found for url: {url}.", resp)
    if code == "GatedRepo":
        raise _make(GatedRepoError, f"{s} Client Error.\n\nCannot access gated repo for url {url}.", resp)
    if code == "RepoNotFound" or (s == 401 and msg != "Invalid credentials in Authorization header"
                                  and _REPO_API.search(url or "") is not None):
        raise _make(RepositoryNotFoundError,
                    f"{s} Client Error.\n\nRepository Not Found for url: {url}.\nPlease make sure you specified the"
                    " correct `repo_id` and `repo_type`.\nIf you are trying to access a private or gated repo, make"
                    " sure you are authenticated.", resp)
    raise _make(HfHubHTTPError, f"{s} {kind} Error for url: {url}", resp)
