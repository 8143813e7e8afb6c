"""A Hub-compatible HTTP server for tests: two real TCP ports on 127.0.0.1.

The "hub" port speaks the parts of the Hugging Face Hub protocol that huggingface_hub uses without
Xet (resolve, API, tree, refs, commits, preupload, LFS batch, NDJSON commit, whoami); the "cdn"
port stands for the LFS storage (signed 302 targets for downloads, S3-like upload URLs).
"""

import base64
import hashlib
import hmac
import json
import mimetypes
import os
import re
import socket
import threading
import time
import uuid
from collections import namedtuple
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlencode

from .faults import FaultSet
from .storage import (REPO_TYPES, URL_PREFIXES, HubError, Store, check_repo_path, git_blob_sha1,
                      lfs_patterns_from_gitattributes, now_iso, path_matches_lfs)

Request = namedtuple("Request", "method host path headers")

_TRUE = ("1", "true", "True", "yes")
_API_WORDS = {"revision", "tree", "refs", "preupload", "commit", "commits", "branch", "tag",
              "paths-info", "auth-check", "settings"}
CHUNK = 1 << 20


class Headers(dict):
    """Request headers as a dict with lower-case keys, looked up case-insensitively."""

    def __init__(self, items):
        super().__init__((k.lower(), v) for k, v in items)

    def __getitem__(self, k):
        return super().__getitem__(k.lower())

    def __contains__(self, k):
        return super().__contains__(k.lower())

    def get(self, k, default=None):
        return super().get(k.lower(), default)


class _Redirect(Exception):
    def __init__(self, status, location):
        self.status, self.location = status, location


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, addr, handler, hub, role):
        self.hub, self.role = hub, role
        self.conns = set()
        self.conns_lock = threading.Lock()
        super().__init__(addr, handler)

    def handle_error(self, request, client_address):
        import sys
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)

    def process_request_thread(self, request, client_address):
        with self.conns_lock:
            self.conns.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.conns_lock:
                self.conns.discard(request)

    def close_connections(self):
        with self.conns_lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _parse_range(value, size):
    """(start, end) inclusive, None for 'whole body', or 'bad' for an unsatisfiable range."""
    m = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", value or "")
    if not m:
        return None  # absent, malformed or multi-range: S3-like, answer with the whole body
    a, b = m.groups()
    if a == "" and b == "":
        return None
    if a == "":
        n = int(b)
        if n == 0:
            return "bad"
        return (max(0, size - n), size - 1)
    start = int(a)
    end = size - 1 if b == "" else min(int(b), size - 1)
    if start >= size or (b != "" and int(b) < start):
        return "bad"
    return (start, end)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hfc-test-hub/1.0"
    timeout = 120
    disable_nagle_algorithm = True   # headers and body go out in separate writes: no 40 ms stalls

    def log_message(self, *args):
        pass

    # ------------------------------------------------------------------ plumbing
    @property
    def hub(self):
        return self.server.hub

    def do_GET(self):
        self._dispatch()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_GET

    def _dispatch(self):
        self._body_read = False
        raw, _, query = self.path.partition("?")
        self.raw_path, self.query = raw, parse_qs(query, keep_blank_values=True)
        self.upath = unquote(raw)
        role = self.server.role
        hub = self.hub
        hub._record(Request(self.command, f"127.0.0.1:{self.server.server_address[1]}", self.path,
                            Headers(self.headers.items())))
        try:
            early = hub.faults.take(("drop", "delay", "status"), self.command, self.upath, role)
            if "drop" in early:  # connection closed before any byte of the response
                return self._hang_up()
            if "delay" in early:
                time.sleep(float(early["delay"].kw["seconds"]))
            f = early.get("status")
            if f is not None:
                code = int(f.kw["code"])
                hdrs = dict(f.kw.get("headers", {}))
                raise HubError(code, f.kw.get("message", f"injected {code}"), f.kw.get("error_code"), hdrs)
            if role == "cdn":
                self._cdn()
            else:
                self._hub_route()
        except _Redirect as r:
            body = f"Redirecting to {r.location}".encode()
            self._send(r.status, body, {"Location": r.location}, "text/plain; charset=utf-8")
        except HubError as e:
            self._error(e)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True
        except Exception as e:  # a server bug: make it visible to the test
            import traceback
            traceback.print_exc()
            try:
                self._error(HubError(500, f"internal test-server error: {e!r}"))
            except OSError:
                self.close_connection = True

    def _hang_up(self):
        self.wfile.flush()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _finish_body(self):
        """Before answering: consume an unread request body (small) or drop keep-alive (large)."""
        if self._body_read:
            return
        self._body_read = True
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.close_connection = True
            return
        n = int(self.headers.get("Content-Length") or 0)
        if n > (1 << 20):
            self.close_connection = True
        elif n:
            self.rfile.read(n)

    def _send(self, status, body=b"", headers=None, ctype="application/json; charset=utf-8"):
        self._finish_body()
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            if not k.startswith("_"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _json(self, obj, status=200, headers=None):
        self._send(status, json.dumps(obj).encode(), headers)

    def _error(self, e):
        hdrs = dict(e.headers)
        if e.code:
            hdrs["X-Error-Code"] = e.code
        hdrs["X-Error-Message"] = e.message.encode("latin-1", "replace").decode("latin-1")
        body = {"error": e.message}
        if "_url" in hdrs:
            body["url"] = hdrs["_url"]
        self._json(body, e.status, hdrs)

    def _read_chunks(self):
        """Yield the request body (Content-Length or chunked) in pieces."""
        self._body_read = True
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                line = self.rfile.readline(65537)
                n = int(line.split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return
                left = n
                while left:
                    piece = self.rfile.read(min(left, CHUNK))
                    if not piece:
                        raise ConnectionResetError("client closed during chunked body")
                    left -= len(piece)
                    yield piece
                self.rfile.readline(3)
        else:
            left = int(self.headers.get("Content-Length") or 0)
            while left:
                piece = self.rfile.read(min(left, CHUNK))
                if not piece:
                    raise ConnectionResetError("client closed during body")
                left -= len(piece)
                yield piece

    def _body(self):
        return b"".join(self._read_chunks())

    def _json_body(self):
        data = self._body()
        try:
            return json.loads(data or b"{}")
        except ValueError:
            raise HubError(400, "Invalid JSON body")

    def _q(self, name, default=None):
        v = self.query.get(name)
        return v[0] if v else default

    # ------------------------------------------------------------------ auth
    def _user(self):
        auth = self.headers.get("Authorization")
        if not auth:
            return None
        tok = auth[7:].strip() if auth.startswith("Bearer ") else None
        user = self.hub.tokens.get(tok) if tok else None
        if user is None:
            raise HubError(401, "Invalid credentials in Authorization header")
        return user

    def _repo(self, rtype, rid, *, write=False, download=False):
        user = self._user()
        hub = self.hub
        repo = hub.store.get(rtype, rid)
        if repo is None:
            new = hub.store.renamed.get((rtype, rid))
            if new is not None:
                prefix = "/" + URL_PREFIXES[rtype] if not self.raw_path.startswith("/api/") else \
                    f"/api/{rtype}s/"
                old = prefix + rid
                if self.raw_path.startswith(old):
                    loc = prefix + new + self.raw_path[len(old):]
                    q = self.path.partition("?")[2]
                    raise _Redirect(307, loc + ("?" + q if q else ""))
        if repo is None or (repo.private and not hub._can_read(repo, user)):
            raise HubError(401 if user is None else 404, "Repository not found", "RepoNotFound")
        if write:
            if user is None:
                raise HubError(401, "You must be authenticated to write to this repo")
            if not hub._can_write(repo, user):
                raise HubError(403, f"You don't have the rights to write to {rtype} {rid}")
        if download and repo.gated and not hub._can_read(repo, user):
            name = f"{rtype} {rid}"
            if user is None:
                raise HubError(401, f"Access to {name} is restricted. You must have access to it and be "
                                    f"authenticated to access it. Please log in.", "GatedRepo")
            raise HubError(403, f"Access to {name} is restricted and you are not in the authorized list. "
                                f"Visit {hub.endpoint}/{URL_PREFIXES[rtype]}{rid} to ask for access.",
                           "GatedRepo")
        return repo, user

    @staticmethod
    def _commit_of(repo, rev, headers=None):
        c = repo.resolve(rev)
        if c is None:
            raise HubError(404, f"Invalid rev id: {rev}", "RevisionNotFound", headers)
        return c

    # ------------------------------------------------------------------ routing (hub port)
    def _hub_route(self):
        segs = self.raw_path.strip("/").split("/")
        m = self.command
        if self.raw_path == "/api/whoami-v2" and m == "GET":
            return self._whoami()
        if self.raw_path.startswith("/api/repos/"):
            return self._repos_api(segs[2] if len(segs) > 2 else "")
        if self.raw_path == "/api/complete_multipart" and m == "POST":
            return self._complete_multipart()
        if len(segs) >= 5 and segs[:2] == ["api", "resolve-cache"] and m in ("GET", "HEAD"):
            return self._resolve_cache(segs[2], segs[3:])
        if len(segs) >= 3 and segs[0] == "api" and segs[1] in ("models", "datasets", "spaces"):
            return self._repo_api(segs[1][:-1], segs[2:])
        rtype = "model"
        if segs[0] in ("datasets", "spaces") and len(segs) > 1:
            rtype, segs = segs[0][:-1], segs[1:]
        for i in (2, 1):
            if len(segs) > i + 1 and segs[i] == "resolve" and m in ("GET", "HEAD"):
                return self._resolve(rtype, "/".join(segs[:i]), segs[i + 1:])
        for i in (2, 1):
            if len(segs) >= i + 4 and segs[i - 1].endswith(".git") and segs[i:i + 3] == ["info", "lfs", "objects"]:
                rid = "/".join(segs[:i])[:-4]
                if m == "POST" and segs[i + 3:] == ["batch"]:
                    return self._lfs_batch(rtype, rid)
                if m == "POST" and segs[i + 3:] == ["verify"]:
                    return self._lfs_verify(rtype, rid)
        raise HubError(404, f"Sorry, we can't find the page you are looking for ({m} {self.raw_path})")

    def _split_api(self, segs):
        """repo id and the rest of /api/{type}s/... (namespaced or legacy single-segment ids)."""
        if len(segs) >= 3 and segs[2] in _API_WORDS:
            return "/".join(segs[:2]), segs[2:]
        if len(segs) == 2 and segs[1] not in _API_WORDS:
            return "/".join(segs), []
        if len(segs) >= 2 and segs[1] in _API_WORDS:
            return segs[0], segs[1:]
        if len(segs) == 1:
            return segs[0], []
        return "/".join(segs[:2]), segs[2:]

    def _repo_api(self, rtype, segs):
        rid, rest = self._split_api(segs)
        m = self.command
        word = rest[0] if rest else None
        arg = unquote("/".join(rest[1:])) if len(rest) > 1 else None
        if word is None and m == "GET":
            return self._info(rtype, rid, "main", default_rev=True)
        if word == "revision" and m == "GET" and arg:
            return self._info(rtype, rid, arg)
        if word == "tree" and m == "GET" and len(rest) >= 2:
            path = "/".join(unquote(s) for s in rest[2:])
            return self._tree(rtype, rid, unquote(rest[1]), path)
        if word == "refs" and m == "GET":
            return self._refs(rtype, rid)
        if word == "commits" and m == "GET":
            return self._commits(rtype, rid, arg or "main")
        if word == "paths-info" and m == "POST" and arg:
            return self._paths_info(rtype, rid, arg)
        if word == "preupload" and m == "POST" and arg:
            return self._preupload(rtype, rid, arg)
        if word == "commit" and m == "POST" and arg:
            return self._commit(rtype, rid, arg)
        if word in ("branch", "tag") and arg and m in ("POST", "DELETE"):
            return self._ref(rtype, rid, arg, "branches" if word == "branch" else "tags")
        if word == "auth-check" and m == "GET":
            self._repo(rtype, rid, download=True)
            return self._json({})
        if word == "settings" and m == "PUT":
            return self._settings(rtype, rid)
        raise HubError(404, f"Sorry, we can't find the page you are looking for ({m} {self.raw_path})")

    # ------------------------------------------------------------------ resolve + file bodies
    def _resolve(self, rtype, rid, rest):
        if rest[0] == "refs" and len(rest) > 2 and rest[1] in ("pr", "heads", "tags", "convert"):
            rev, rest = "/".join(rest[:3]), rest[3:]
        else:
            rev, rest = rest[0], rest[1:]
        rev = unquote(rev)
        fpath = unquote("/".join(rest))
        repo, _ = self._repo(rtype, rid, download=True)
        commit = self._commit_of(repo, rev)
        hdrs = {"X-Repo-Commit": commit.sha}
        escapes = self.hub.faults.escape_paths()
        if fpath in escapes:
            data = escapes[fpath]
            tmp = self.hub.store.put_regular(data)
            path = self.hub.store._obj_path("objects", tmp)
            hdrs["ETag"] = f'"{tmp}"'
            return self._serve_file(path, len(data), hdrs, fpath)
        entry = commit.files.get(fpath)
        if entry is None:
            raise HubError(404, "Entry not found", "EntryNotFound", hdrs)
        if entry.is_lfs:
            loc = self.hub.cdn_url(entry.sha256, fpath)
            hdrs.update({"Location": loc, "X-Linked-Etag": f'"{entry.sha256}"',
                         "X-Linked-Size": str(entry.size), "ETag": f'"{entry.oid}"',
                         "Accept-Ranges": "bytes", "Vary": "Origin, Accept"})
            return self._send(302, f"Found. Redirecting to {loc}".encode(), hdrs, "text/plain; charset=utf-8")
        if self.hub.resolve_cache:
            # the Hub answers regular files with a relative redirect to a commit-pinned cache URL
            orig = f"/{URL_PREFIXES[rtype]}{rid}/resolve/{quote(rev, safe='')}/{quote(fpath)}"
            loc = (f"/api/resolve-cache/{rtype}s/{rid}/{commit.sha}/{quote(fpath)}"
                   f"?{quote(orig, safe='')}=&etag={quote(chr(34) + entry.oid + chr(34), safe='')}")
            hdrs.update({"Location": loc, "Vary": "Origin, Accept"})
            return self._send(307, f"Temporary Redirect. Redirecting to {loc}".encode(), hdrs,
                              "text/plain; charset=utf-8")
        hdrs["ETag"] = f'"{entry.oid}"'
        return self._serve_file(self.hub.store.blob_path(entry), entry.size, hdrs, fpath)

    def _resolve_cache(self, type_seg, segs):
        """/api/resolve-cache/{type}s/{repo}/{commit}/{path}: a regular file at a pinned commit."""
        if type_seg not in ("models", "datasets", "spaces"):
            raise HubError(404, "Sorry, we can't find the page you are looking for")
        i = next((k for k in (1, 2) if len(segs) > k + 1 and re.fullmatch(r"[0-9a-f]{40}", segs[k])), None)
        if i is None:
            raise HubError(404, "Sorry, we can't find the page you are looking for")
        rtype, rid, sha = type_seg[:-1], "/".join(segs[:i]), segs[i]
        fpath = unquote("/".join(segs[i + 1:]))
        repo, _ = self._repo(rtype, rid, download=True)
        commit = self._commit_of(repo, sha)
        hdrs = {"X-Repo-Commit": commit.sha}
        entry = commit.files.get(fpath)
        if entry is None:
            raise HubError(404, "Entry not found", "EntryNotFound", hdrs)
        if entry.is_lfs:
            raise HubError(400, "LFS files are not served from the resolve cache")
        hdrs["ETag"] = f'"{entry.oid}"'
        return self._serve_file(self.hub.store.blob_path(entry), entry.size, hdrs, fpath)

    def _serve_file(self, disk_path, size, hdrs, name):
        base = name.rsplit("/", 1)[-1]
        hdrs = dict(hdrs)
        hdrs["Accept-Ranges"] = "bytes"
        hdrs["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(base)}; filename=\"{base}\";"
        ctype = mimetypes.guess_type(base)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype == "application/json":
            ctype += "; charset=utf-8"
        role, meth, up = self.server.role, self.command, self.upath
        faults = self.hub.faults.take(("no_range",), meth, up, role) if meth == "GET" else {}
        if meth == "GET" and "gzip" in (self.headers.get("Accept-Encoding") or ""):
            if self.hub.faults.take(("gzip",), meth, up, role):
                return self._serve_gzip(disk_path, ctype, hdrs)
        rng = None if "no_range" in faults else _parse_range(self.headers.get("Range"), size)
        if rng == "bad":
            hdrs["Content-Range"] = f"bytes */{size}"
            raise HubError(416, "Requested Range Not Satisfiable", None, hdrs)
        status, (start, end) = (206, rng) if rng else (200, (0, size - 1))
        if rng:
            hdrs["Content-Range"] = f"bytes {start}-{end}/{size}"
        n = end - start + 1
        if meth == "GET":
            faults.update(self.hub.faults.take(("cut", "slow"), meth, up, role))
            faults.update(self.hub.faults.take(
                ("corrupt",), meth, up, role,
                pred=lambda f: n > 0 and start <= int(f.kw.get("offset", size // 2)) <= end))
        self._finish_body()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in hdrs.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(n))
        self.end_headers()
        if meth == "HEAD" or n <= 0:
            return
        with open(disk_path, "rb") as fh:
            if not any(k in faults for k in ("cut", "slow", "corrupt")):
                self.wfile.flush()
                self.connection.sendfile(fh, start, n)
                return
            cut = faults.get("cut")
            cut_at = int(cut.kw.get("at", n // 2)) if cut else None
            slow = faults.get("slow")
            step = int(slow.kw.get("chunk") or max(1, int(slow.kw["bps"]) // 20)) if slow else CHUNK
            cor = faults.get("corrupt")
            if cor:
                c_off = int(cor.kw.get("offset", size // 2))
                c_cnt = int(cor.kw.get("count", 1))
            fh.seek(start)
            sent, pos = 0, start
            while sent < n:
                want = min(step, n - sent)
                if cut_at is not None:
                    want = min(want, cut_at - sent)
                    if want <= 0:
                        return self._hang_up()
                buf = fh.read(want)
                if cor and pos < c_off + c_cnt and c_off < pos + len(buf):
                    b = bytearray(buf)
                    for i in range(max(c_off, pos), min(c_off + c_cnt, pos + len(buf))):
                        b[i - pos] ^= 0xFF
                    buf = bytes(b)
                self.wfile.write(buf)
                sent += len(buf)
                pos += len(buf)
                if slow:
                    time.sleep(len(buf) / float(slow.kw["bps"]))

    def _serve_gzip(self, disk_path, ctype, hdrs):
        """Like the Hub's CDN for text files: gzip, chunked, no Content-Length, Range ignored."""
        import gzip
        with open(disk_path, "rb") as fh:
            data = gzip.compress(fh.read())
        self._finish_body()
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        for k, v in hdrs.items():
            self.send_header(k, v)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for i in range(0, len(data), 4096):
            piece = data[i:i + 4096]
            self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    # ------------------------------------------------------------------ API: info, tree, refs, commits
    def _sibling(self, e, blobs):
        d = {"rfilename": e.path}
        if blobs:
            d["size"], d["blobId"] = e.size, e.oid
            if e.is_lfs:
                d["lfs"] = {"sha256": e.sha256, "size": e.size, "pointerSize": e.pointer_size}
        return d

    def _info(self, rtype, rid, rev, default_rev=False):
        repo, _ = self._repo(rtype, rid)
        commit = repo.resolve(rev) if not default_rev else repo.commits.get(repo.head())
        if commit is None:
            raise HubError(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        blobs = self._q("blobs") in _TRUE
        sibs = [self._sibling(commit.files[p], blobs) for p in sorted(commit.files)]
        for p, data in self._escapes():
            sibs.append({"rfilename": p, **({"size": len(data), "blobId": git_blob_sha1(data)} if blobs else {})})
        d = {
            "_id": hashlib.md5(f"{rtype}/{rid}".encode()).hexdigest()[:24],
            "id": rid, "author": repo.namespace, "sha": commit.sha,
            "lastModified": now_iso(commit.date), "createdAt": now_iso(repo.created_at),
            "private": repo.private, "gated": repo.gated or False, "disabled": False,
            "downloads": 0, "likes": 0, "tags": [], "siblings": sibs,
        }
        if rtype == "model":
            d["modelId"] = rid
        if blobs:
            d["usedStorage"] = sum(e.size for e in commit.files.values())
        self._json(d)

    def _escapes(self):
        fs = self.hub.faults.take(("escape",), self.command, self.upath, self.server.role)
        f = fs.get("escape")
        if f is None:
            return []
        paths = f.kw["path"] if isinstance(f.kw["path"], (list, tuple)) else [f.kw["path"]]
        return [(p, f.kw["content"]) for p in paths]

    def _entry_json(self, repo, commit, path, is_dir, expand, last=None):
        if is_dir:
            d = {"type": "directory", "oid": commit.tree_oids()[path], "size": 0, "path": path}
        else:
            e = commit.files[path]
            d = {"type": "file", "oid": e.oid, "size": e.size, "path": path}
            if e.is_lfs:
                d["lfs"] = {"oid": e.sha256, "size": e.size, "pointerSize": e.pointer_size}
        if expand and last is not None:
            c = last[path]
            d["lastCommit"] = {"id": c.sha, "title": c.title, "date": now_iso(c.date)}
            if not is_dir:
                d["securityFileStatus"] = {"status": "safe", "avScan": {"status": "safe"},
                                           "pickleImportScan": {"status": "unscanned"}}
        return d

    def _tree(self, rtype, rid, rev, tpath):
        repo, _ = self._repo(rtype, rid)
        commit = self._commit_of(repo, rev)
        tpath = tpath.strip("/")
        recursive = self._q("recursive") in _TRUE
        expand = self._q("expand") in _TRUE
        dirs = commit.tree_oids()
        if tpath and tpath not in dirs:
            raise HubError(404, f"Entry not found: {tpath}", "EntryNotFound")
        prefix = tpath + "/" if tpath else ""
        items = []
        for p in dirs:
            if p and p.startswith(prefix) and (recursive or "/" not in p[len(prefix):]):
                items.append((p, True))
        for p in commit.files:
            if p.startswith(prefix) and (recursive or "/" not in p[len(prefix):]):
                items.append((p, False))
        items.sort(key=lambda t: t[0].split("/"))
        page_size = self.hub.page_size_expand if expand else self.hub.page_size
        try:
            off = int(base64.urlsafe_b64decode(self._q("cursor", "") + "==").decode() or 0)
        except ValueError:
            raise HubError(400, "Invalid cursor")
        page = items[off:off + page_size]
        last = self.hub.store.last_commits(repo, commit, [p for p, _ in page]) if expand else None
        out = [self._entry_json(repo, commit, p, d, expand, last) for p, d in page]
        if off == 0:
            for p, data in self._escapes():
                out.append({"type": "file", "oid": git_blob_sha1(data), "size": len(data), "path": p})
        hdrs = {}
        if off + page_size < len(items):
            q = {k: v[0] for k, v in self.query.items() if k != "cursor"}
            q["cursor"] = base64.urlsafe_b64encode(str(off + page_size).encode()).decode().rstrip("=")
            hdrs["Link"] = f'<{self.hub.endpoint}{self.raw_path}?{urlencode(q)}>; rel="next"'
        self._json(out, 200, hdrs)

    def _paths_info(self, rtype, rid, rev):
        repo, _ = self._repo(rtype, rid)
        commit = self._commit_of(repo, rev)
        body = self._body()
        ctype = self.headers.get("Content-Type", "")
        if "json" in ctype:
            form = json.loads(body or b"{}")
            paths, expand = form.get("paths", []), bool(form.get("expand"))
        else:
            form = parse_qs(body.decode(), keep_blank_values=True)
            paths, expand = form.get("paths", []), form.get("expand", ["False"])[0] in _TRUE
        dirs = commit.tree_oids()
        found = [(p.strip("/"), p.strip("/") in dirs) for p in paths
                 if p.strip("/") in commit.files or (p.strip("/") and p.strip("/") in dirs)]
        last = self.hub.store.last_commits(repo, commit, [p for p, _ in found]) if expand else None
        self._json([self._entry_json(repo, commit, p, d, expand, last) for p, d in found])

    def _refs(self, rtype, rid):
        repo, _ = self._repo(rtype, rid)
        with self.hub.store.lock:
            d = self._refs_json(repo)
        self._json(d)

    def _refs_json(self, repo):
        d = {
            "branches": [{"name": b, "ref": f"refs/heads/{b}", "targetCommit": s} for b, s in repo.branches.items()],
            "converts": [],
            "tags": [{"name": t, "ref": f"refs/tags/{t}", "targetCommit": s} for t, s in repo.tags.items()],
        }
        if self._q("include_prs") in _TRUE:
            d["pullRequests"] = [{"name": f"refs/pr/{n}", "ref": f"refs/pr/{n}", "targetCommit": s}
                                 for n, s in sorted(repo.prs.items())]
        return d

    def _commits(self, rtype, rid, rev):
        repo, _ = self._repo(rtype, rid)
        commit = self._commit_of(repo, rev)
        hist = self.hub.store.history(repo, commit)
        p = int(self._q("p", "0"))
        n = self.hub.commits_page_size
        out = [{"id": c.sha, "title": c.title, "message": c.message, "authors": [{"user": c.author}],
                "date": now_iso(c.date)} for c in hist[p * n:(p + 1) * n]]
        hdrs = {}
        if (p + 1) * n < len(hist):
            q = {k: v[0] for k, v in self.query.items() if k != "p"}
            q["p"] = str(p + 1)
            hdrs["Link"] = f'<{self.hub.endpoint}{self.raw_path}?{urlencode(q)}>; rel="next"'
        self._json(out, 200, hdrs)

    # ------------------------------------------------------------------ API: repos, refs, settings
    def _whoami(self):
        user = self._user()
        if user is None:
            raise HubError(401, "Invalid credentials in Authorization header")
        self._json({"type": "user", "id": hashlib.md5(user.encode()).hexdigest()[:24], "name": user,
                    "fullname": user, "email": None, "emailVerified": False, "isPro": False, "orgs": [],
                    "auth": {"type": "access_token",
                             "accessToken": {"displayName": "hfc-test", "role": "write"}}})

    def _repos_api(self, what):
        user = self._user()
        body = self._json_body() if self.command in ("POST", "DELETE", "PUT") else {}
        store = self.hub.store
        if user is None:
            raise HubError(401, "Invalid credentials in Authorization header")
        rtype = body.get("type") or "model"
        if rtype not in REPO_TYPES:
            raise HubError(400, f"Invalid repo type {rtype!r}")
        if what == "create" and self.command == "POST":
            name, org = body.get("name"), body.get("organization")
            if not name:
                raise HubError(400, "Missing repo name")
            rid = f"{org or user}/{name}"
            private = body.get("visibility") == "private" or bool(body.get("private"))
            try:
                store.create(rtype, rid, private=private, owner=user)
            except HubError as e:
                if e.status == 409:
                    e.headers["_url"] = f"{self.hub.endpoint}/{URL_PREFIXES[rtype]}{rid}"
                raise
            return self._json({"url": f"{self.hub.endpoint}/{URL_PREFIXES[rtype]}{rid}", "name": rid,
                               "id": hashlib.md5(f"{rtype}/{rid}".encode()).hexdigest()[:24]})
        if what == "delete" and self.command == "DELETE":
            name, org = body.get("name"), body.get("organization")
            rid = f"{org}/{name}" if org else name
            repo = store.get(rtype, rid)
            if repo is None or (repo.private and not self.hub._can_read(repo, user)):
                raise HubError(404, "Repository not found", "RepoNotFound")
            if not self.hub._can_write(repo, user):
                raise HubError(403, f"You don't have the rights to delete {rtype} {rid}")
            store.delete(rtype, rid)
            return self._json({})
        if what == "move" and self.command == "POST":
            old, new = body.get("fromRepo", ""), body.get("toRepo", "")
            repo = store.get(rtype, old)
            if repo is None or not self.hub._can_write(repo, user):
                raise HubError(404, "Repository not found", "RepoNotFound")
            store.rename(rtype, old, new)
            return self._json({})
        raise HubError(404, f"Sorry, we can't find the page you are looking for ({self.raw_path})")

    def _settings(self, rtype, rid):
        repo, _ = self._repo(rtype, rid, write=True)
        body = self._json_body()
        with self.hub.store.lock:
            if "private" in body:
                repo.private = bool(body["private"])
            if body.get("visibility") in ("private", "public"):
                repo.private = body["visibility"] == "private"
            if "gated" in body:
                repo.gated = body["gated"] or False
            self.hub.store.save(repo)
        self._json({})

    def _ref(self, rtype, rid, arg, table):
        """POST/DELETE .../branch/{branch} (body: startingPoint) and .../tag/{revision} (body: tag)."""
        repo, user = self._repo(rtype, rid, write=True)
        refs = getattr(repo, table)
        store = self.hub.store
        with store.lock:
            if self.command == "DELETE":
                if arg not in refs:
                    raise HubError(404, f"Invalid rev id: {arg}", "RevisionNotFound")
                del refs[arg]
            else:
                body = self._json_body()
                name, start = (arg, body.get("startingPoint") or "main") if table == "branches" \
                    else (body.get("tag"), arg)
                if not name:
                    raise HubError(400, "Missing tag name")
                if name in refs:
                    raise HubError(409, f"Reference already exists: {name}")
                refs[name] = self._commit_of(repo, start).sha
            store.save(repo)
        self._json({})

    # ------------------------------------------------------------------ upload: preupload, LFS, commit
    def _preupload(self, rtype, rid, rev):
        repo, _ = self._repo(rtype, rid, write=True)
        body = self._json_body()
        commit = repo.resolve(rev)
        if commit is None:
            raise HubError(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        patterns = self.hub.store.lfs_patterns(commit, rtype)
        out = []
        for f in body.get("files", []):
            path, size = f.get("path"), int(f.get("size", 0))
            sample = base64.b64decode(f.get("sample", "") or "")
            lfs = self.hub._is_lfs(path, size, sample, patterns)
            d = {"path": path, "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False}
            e = commit.files.get(path)
            if e is not None:
                d["oid"] = e.sha256 if e.is_lfs else e.oid
            out.append(d)
        self._json({"files": out, "commitOid": commit.sha})

    def _lfs_batch(self, rtype, rid):
        body = self._json_body()
        op = body.get("operation")
        repo, user = self._repo(rtype, rid, write=(op == "upload"), download=(op == "download"))
        hub = self.hub
        transfers = body.get("transfers") or ["basic"]
        chosen = "basic"
        objs = []
        for o in body.get("objects", []):
            oid, size = o.get("oid"), o.get("size")
            if not (isinstance(oid, str) and re.fullmatch(r"[0-9a-f]{64}", oid) and isinstance(size, int)):
                raise HubError(422, "Invalid object in LFS batch request")
            d = {"oid": oid, "size": size, "authenticated": True}
            if op == "download":
                if hub.store.has_lfs(oid):
                    d["actions"] = {"download": {"href": hub.cdn_url(oid, oid), "header": {}}}
                else:
                    d["error"] = {"code": 404, "message": "Object does not exist"}
            elif not hub.store.has_lfs(oid):
                verify = {"href": f"{hub.endpoint}/{URL_PREFIXES[rtype]}{rid}.git/info/lfs/objects/verify",
                          "header": {"Authorization": self.headers.get("Authorization", "")}}
                if size >= hub.multipart_threshold and "multipart" in transfers:
                    chosen = "multipart"
                    up_id = uuid.uuid4().hex
                    chunk = hub.multipart_chunk_size
                    nparts = max(1, -(-size // chunk))
                    with hub._uploads_lock:
                        hub._uploads[up_id] = {"oid": oid, "size": size, "parts": nparts, "etags": {}}
                    header = {"chunk_size": str(chunk)}
                    for i in range(1, nparts + 1):
                        header["%05d" % i] = hub._signed(f"{hub.cdn_endpoint}/upload/{oid}/{up_id}/{i}", oid)
                    upload = {"href": f"{hub.endpoint}/api/complete_multipart?uploadId={up_id}", "header": header}
                else:
                    upload = {"href": hub._signed(f"{hub.cdn_endpoint}/upload/{oid}?size={size}", oid),
                              "header": {}}
                d["actions"] = {"upload": upload, "verify": verify}
            objs.append(d)
        self._send(200, json.dumps({"transfer": chosen, "objects": objs}).encode(), None,
                   "application/vnd.git-lfs+json")

    def _lfs_verify(self, rtype, rid):
        self._repo(rtype, rid, write=True)
        body = self._json_body()
        oid, size = body.get("oid", ""), body.get("size")
        store = self.hub.store
        if not (re.fullmatch(r"[0-9a-f]{64}", oid) and store.has_lfs(oid)):
            raise HubError(404, f"Object {oid} not found")
        if size is not None and os.path.getsize(store.lfs_path(oid)) != size:
            raise HubError(422, f"Object {oid} has a different size")
        self._send(200, b"{}", None, "application/vnd.git-lfs+json")

    def _complete_multipart(self):
        hub = self.hub
        up_id = self._q("uploadId", "")
        body = self._json_body()
        with hub._uploads_lock:
            up = hub._uploads.get(up_id)
        if up is None:
            raise HubError(404, "Unknown upload id")
        parts = body.get("parts", [])
        if body.get("oid") != up["oid"] or [p.get("partNumber") for p in parts] != list(range(1, up["parts"] + 1)):
            raise HubError(400, "Invalid multipart completion payload")
        h = hashlib.sha256()
        with hub.store.tmp_file() as out:
            for p in parts:
                got = up["etags"].get(p["partNumber"])
                if got is None or got[0] != p.get("etag"):
                    raise HubError(400, f"Part {p['partNumber']} missing or etag mismatch")
                with open(got[1], "rb") as f:
                    while True:
                        buf = f.read(CHUNK)
                        if not buf:
                            break
                        h.update(buf)
                        out.write(buf)
            size = out.tell()
        for _, path in up["etags"].values():
            os.unlink(path)
        if h.hexdigest() != up["oid"] or size != up["size"]:
            os.unlink(out.name)
            raise HubError(400, "Uploaded content does not match the announced oid/size")
        hub.store.put_lfs_file(out.name, up["oid"])
        with hub._uploads_lock:
            hub._uploads.pop(up_id, None)
        self._json({})

    def _commit(self, rtype, rid, rev):
        repo, user = self._repo(rtype, rid, write=True)
        lines = [ln for ln in self._body().split(b"\n") if ln.strip()]
        try:
            items = [json.loads(ln) for ln in lines]
        except ValueError:
            raise HubError(400, "Invalid NDJSON commit payload")
        if not items or items[0].get("key") != "header":
            raise HubError(400, "The first line of a commit payload must be its header")
        header = items[0]["value"]
        adds, dels = {}, []
        for it in items[1:]:
            key, v = it.get("key"), it.get("value") or {}
            path = v.get("path", "")
            if key in ("file", "lfsFile") and not check_repo_path(path):
                raise HubError(400, f"Invalid path in repo: {path!r}")
            if key == "file":
                if v.get("encoding", "base64") != "base64":
                    raise HubError(400, "Only base64 encoding is supported")
                adds[path] = ("regular", base64.b64decode(v.get("content", "")))
            elif key == "lfsFile":
                if v.get("algo", "sha256") != "sha256":
                    raise HubError(400, "Only sha256 LFS oids are supported")
                adds[path] = ("lfs", v.get("oid", ""))
            elif key == "deletedFile":
                dels.append(("file", path))
            elif key == "deletedFolder":
                dels.append(("folder", path))
            else:
                raise HubError(400, f"Unknown commit operation {key!r}")
        create_pr = self._q("create_pr") in _TRUE
        store = self.hub.store
        with store.lock:
            if create_pr:
                base = self._commit_of(repo, rev)
                c = store.commit(repo, None, adds, dels, header.get("summary"), header.get("description"),
                                 user, parent=base.sha, pr=True)
            else:
                c = store.commit(repo, rev, adds, dels, header.get("summary"), header.get("description"),
                                 user, parent=header.get("parentCommit"))
        url = f"{self.hub.endpoint}/{URL_PREFIXES[rtype]}{rid}"
        d = {"success": True, "commitOid": c.sha, "commitUrl": f"{url}/commit/{c.sha}", "hookOutput": ""}
        if create_pr:
            d["pullRequestUrl"] = f"{url}/discussions/{c.pr_num}"
        self._json(d)

    # ------------------------------------------------------------------ CDN port
    def _cdn(self):
        segs = self.raw_path.strip("/").split("/")
        hub = self.hub
        if segs[0] == "lfs" and len(segs) >= 2 and self.command in ("GET", "HEAD"):
            oid = segs[1]
            self._check_sig(oid)
            if not (re.fullmatch(r"[0-9a-f]{64}", oid) and hub.store.has_lfs(oid)):
                raise HubError(404, "NoSuchKey")
            path = hub.store.lfs_path(oid)
            name = unquote(segs[-1]) if len(segs) > 2 else oid
            hdrs = {"ETag": f'"{oid}"', "Cache-Control": "public, max-age=604800, immutable",
                    "X-Cache": "Hit from cloudfront"}
            return self._serve_file(path, os.path.getsize(path), hdrs, name)
        if segs[0] == "upload" and self.command == "PUT":
            oid = segs[1] if len(segs) > 1 else ""
            self._check_sig(oid)
            if len(segs) == 2:
                return self._cdn_put_object(oid)
            if len(segs) == 4:
                return self._cdn_put_part(oid, segs[2], int(segs[3]))
        raise HubError(404, "NoSuchKey")

    def _check_sig(self, oid):
        exp, sig = self._q("Expires", "0"), self._q("Signature", "")
        if not hmac.compare_digest(sig, self.hub._sign(oid, exp)) or int(exp) < time.time():
            raise HubError(403, "AccessDenied: invalid or expired signature")

    def _cdn_put_object(self, oid):
        size = int(self._q("size", "-1"))
        store = self.hub.store
        h = hashlib.sha256()
        with store.tmp_file() as out:
            for piece in self._read_chunks():
                h.update(piece)
                out.write(piece)
            got = out.tell()
        if h.hexdigest() != oid or (size >= 0 and got != size):
            os.unlink(out.name)
            raise HubError(400, "BadDigest: content does not match the object id")
        store.put_lfs_file(out.name, oid)
        self._send(200, b"", {"ETag": f'"{oid}"'}, None)

    def _cdn_put_part(self, oid, up_id, num):
        hub = self.hub
        with hub._uploads_lock:
            up = hub._uploads.get(up_id)
        if up is None or up["oid"] != oid or not 1 <= num <= up["parts"]:
            raise HubError(404, "NoSuchUpload")
        md5 = hashlib.md5()
        with hub.store.tmp_file() as out:
            for piece in self._read_chunks():
                md5.update(piece)
                out.write(piece)
        etag = f'"{md5.hexdigest()}"'
        with hub._uploads_lock:
            old = up["etags"].get(num)
            up["etags"][num] = (etag, out.name)
        if old:
            os.unlink(old[1])
        self._send(200, b"", {"ETag": etag}, None)


class HubServer:
    """Hub + CDN test servers over one on-disk store. See tests/hub_util.py for the pytest API."""

    DEFAULT_TOKEN = "hf_hfcTestWriteToken000000000000000"
    DEFAULT_USER = "hfc-tester"

    def __init__(self, storage_dir, host="127.0.0.1"):
        self.store = Store(storage_dir)
        self.host = host
        self.tokens = {self.DEFAULT_TOKEN: self.DEFAULT_USER}
        self.faults = FaultSet()
        self.page_size = 1000          # tree page size (Hub: 1000)
        self.page_size_expand = 50     # tree page size with expand=true (Hub: 50)
        self.commits_page_size = 50
        self.lfs_threshold = 10 * 1024 * 1024   # larger files are LFS whatever their name
        self.multipart_threshold = 20 * 1024 * 1024
        self.multipart_chunk_size = 8 * 1024 * 1024
        self.url_ttl = 3600
        self.resolve_cache = True      # regular files: relative 307 to /api/resolve-cache/... (as the Hub)
        self.record = True
        self._secret = os.urandom(16)
        self._requests = []
        self._req_lock = threading.Lock()
        self._uploads = {}
        self._uploads_lock = threading.Lock()
        self._servers = []
        self._threads = []

    # ---------------------------------------------------------------- lifecycle
    def start(self):
        if self._servers:
            return self
        for role in ("hub", "cdn"):
            s = _Server((self.host, 0), Handler, self, role)
            t = threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05},
                                 name=f"hub-test-{role}", daemon=True)
            t.start()
            self._servers.append(s)
            self._threads.append(t)
        return self

    def stop(self):
        for s in self._servers:
            s.shutdown()
            s.close_connections()
            s.server_close()
        for t in self._threads:
            t.join(5)
        self._servers, self._threads = [], []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def port(self):
        return self._servers[0].server_address[1]

    @property
    def cdn_port(self):
        return self._servers[1].server_address[1]

    @property
    def endpoint(self):
        return f"http://{self.host}:{self.port}"

    @property
    def cdn_endpoint(self):
        return f"http://{self.host}:{self.cdn_port}"

    # ---------------------------------------------------------------- requests log
    def _record(self, req):
        if self.record:
            with self._req_lock:
                self._requests.append(req)

    @property
    def requests(self):
        with self._req_lock:
            return list(self._requests)

    def clear_requests(self):
        with self._req_lock:
            self._requests.clear()

    # ---------------------------------------------------------------- faults
    def add_fault(self, glob, kind, times=None, methods=None, server=None, **kw):
        return self.faults.add(glob, kind, times=times, methods=methods, server=server, **kw)

    def clear_faults(self):
        self.faults.clear()

    # ---------------------------------------------------------------- signing / policy
    def _sign(self, oid, expires):
        return hmac.new(self._secret, f"{oid}|{expires}".encode(), hashlib.sha256).hexdigest()

    def _signed(self, url, oid):
        exp = str(int(time.time()) + self.url_ttl)
        sep = "&" if "?" in url else "?"
        return f"{url}{sep}Expires={exp}&Signature={self._sign(oid, exp)}&Key-Pair-Id=HFCTESTKEY"

    def cdn_url(self, sha256, name):
        base = name.rsplit("/", 1)[-1]
        return self._signed(f"{self.cdn_endpoint}/lfs/{sha256}/{quote(base)}", sha256)

    def _can_read(self, repo, user):
        return user is not None and (user in (repo.owner, repo.namespace) or user in repo.granted)

    def _can_write(self, repo, user):
        return user is not None and (repo.owner is None or user in (repo.owner, repo.namespace)
                                     or user in repo.granted)

    def _is_lfs(self, path, size, sample, patterns):
        return path_matches_lfs(path, patterns) or size > self.lfs_threshold or b"\0" in sample[:512]

    # ---------------------------------------------------------------- direct (in-process) repo API
    def _get(self, repo_id, repo_type):
        repo = self.store.get(repo_type, repo_id)
        if repo is None:
            raise KeyError(f"no {repo_type} repo {repo_id!r} on the test hub")
        return repo

    def create_repo(self, repo_id, repo_type="model", private=False, gated=False, token=None, exist_ok=False):
        """Create a repo with its initial commit (.gitattributes); returns the repo id."""
        owner = self.tokens[token] if token is not None else None
        if gated is True:
            gated = "auto"
        try:
            self.store.create(repo_type, repo_id, private=private, gated=gated, owner=owner)
        except HubError as e:
            if not (exist_ok and e.status == 409):
                raise
        return repo_id

    def delete_repo(self, repo_id, repo_type="model"):
        return self.store.delete(repo_type, repo_id)

    def rename_repo(self, old, new, repo_type="model"):
        """Move a repo; the old name then answers with relative 307 redirects, like the Hub."""
        self.store.rename(repo_type, old, new)

    def update_repo(self, repo_id, repo_type="model", private=None, gated=None):
        repo = self._get(repo_id, repo_type)
        with self.store.lock:
            if private is not None:
                repo.private = bool(private)
            if gated is not None:
                repo.gated = "auto" if gated is True else gated
            self.store.save(repo)

    def grant_access(self, repo_id, user, repo_type="model"):
        """Let `user` read a private/gated repo (and write to it)."""
        repo = self._get(repo_id, repo_type)
        with self.store.lock:
            repo.granted.add(user)
            self.store.save(repo)

    def commit(self, repo_id, files=None, repo_type="model", revision="main", message="", delete=(),
               lfs=None, description="", author=None, parent_commit=None):
        """Commit `files` {path: bytes | str | os.PathLike (a local file, streamed)} and delete
        `delete` (paths; a trailing '/' deletes a folder).

        lfs: None = decided like the Hub (.gitattributes patterns, size > lfs_threshold, binary
        sample), True/False = all/none, or a collection of paths stored as LFS. Returns the commit sha.
        """
        repo = self._get(repo_id, repo_type)
        store = self.store
        with store.lock:
            base = repo.resolve(revision)
            patterns = store.lfs_patterns(base, repo_type)
            if files and ".gitattributes" in files:
                patterns = lfs_patterns_from_gitattributes(files[".gitattributes"])
            adds = {}
            for path, data in (files or {}).items():
                if isinstance(data, str):
                    data = data.encode()
                local = isinstance(data, os.PathLike)
                if local:
                    size = os.path.getsize(data)
                    with open(data, "rb") as f:
                        sample = f.read(512)
                else:
                    size, sample = len(data), data[:512]
                if lfs is None:
                    as_lfs = self._is_lfs(path, size, sample, patterns)
                elif isinstance(lfs, bool):
                    as_lfs = lfs
                else:
                    as_lfs = path in lfs
                if as_lfs:
                    adds[path] = ("lfs", store.put_lfs_path(data) if local else store.put_lfs_bytes(data))
                elif local:
                    with open(data, "rb") as f:
                        adds[path] = ("regular", f.read())
                else:
                    adds[path] = ("regular", bytes(data))
            dels = [("folder", p.rstrip("/")) if p.endswith("/") else ("file", p) for p in delete]
            c = store.commit(repo, revision, adds, dels, message or "update", description,
                             author or repo.owner or repo.namespace or self.DEFAULT_USER, parent=parent_commit)
            return c.sha

    def _set_ref(self, table, repo_id, name, revision, repo_type):
        repo = self._get(repo_id, repo_type)
        with self.store.lock:
            c = repo.resolve(revision)
            if c is None:
                raise KeyError(f"unknown revision {revision!r}")
            getattr(repo, table)[name] = c.sha
            self.store.save(repo)
            return c.sha

    def create_branch(self, repo_id, branch, revision="main", repo_type="model"):
        """Point branch `branch` at `revision` (creates or moves it); returns the commit sha."""
        return self._set_ref("branches", repo_id, branch, revision, repo_type)

    def create_tag(self, repo_id, tag, revision="main", repo_type="model"):
        """Point tag `tag` at `revision`; returns the commit sha."""
        return self._set_ref("tags", repo_id, tag, revision, repo_type)

    def resolve(self, repo_id, revision="main", repo_type="model"):
        """Commit sha a revision points to (None if unknown)."""
        c = self._get(repo_id, repo_type).resolve(revision)
        return c.sha if c else None

    def history(self, repo_id, revision="main", repo_type="model"):
        """Commit shas from `revision` back to the initial commit."""
        repo = self._get(repo_id, repo_type)
        return [c.sha for c in self.store.history(repo, repo.resolve(revision))]

    def commit_info(self, repo_id, sha, repo_type="model"):
        """{'sha', 'tree', 'parents', 'title', 'message', 'author', 'date' (unix seconds, float)}."""
        c = self._get(repo_id, repo_type).commits[sha]
        return {"sha": c.sha, "tree": c.tree, "parents": list(c.parents), "title": c.title,
                "message": c.message, "author": c.author, "date": c.date}

    def list_files(self, repo_id, revision="main", repo_type="model"):
        return sorted(self._get(repo_id, repo_type).resolve(revision).files)

    def file_info(self, repo_id, path, revision="main", repo_type="model"):
        """{'size', 'oid' (git blob sha1), 'sha256' (LFS only, else None), 'lfs' (bool)}."""
        e = self._get(repo_id, repo_type).resolve(revision).files[path]
        return {"size": e.size, "oid": e.oid, "sha256": e.sha256, "lfs": e.is_lfs}

    def read_file(self, repo_id, path, revision="main", repo_type="model"):
        return self.store.read(self._get(repo_id, repo_type).resolve(revision).files[path])

    def read_files(self, repo_id, revision="main", repo_type="model"):
        c = self._get(repo_id, repo_type).resolve(revision)
        return {p: self.store.read(e) for p, e in c.files.items()}

    def url(self, repo_id, path, revision="main", repo_type="model"):
        """The /resolve URL huggingface_hub builds for this file."""
        return (f"{self.endpoint}/{URL_PREFIXES[repo_type]}{repo_id}/resolve/"
                f"{quote(revision, safe='')}/{quote(path)}")
