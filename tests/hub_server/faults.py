"""Fault injection rules of the test server."""

import fnmatch
import threading
from dataclasses import dataclass, field

KINDS = ("cut", "status", "slow", "corrupt", "escape", "no_range", "gzip", "drop", "delay")
# kinds that act on the bytes of a file body (hub GET of a regular file, CDN GET of an LFS object)
BODY_KINDS = ("cut", "slow", "corrupt", "no_range", "gzip")


@dataclass
class Fault:
    glob: str
    kind: str
    times: int = None          # None: every matching request; k: the first k matching requests
    methods: tuple = None      # None: any method
    server: str = None         # None: both, "hub" or "cdn"
    kw: dict = field(default_factory=dict)
    hits: int = 0              # how many requests it acted on

    def matches(self, method, path, role):
        if self.server is not None and self.server != role:
            return False
        if self.methods is not None and method not in self.methods:
            return False
        return fnmatch.fnmatchcase(path, self.glob)

    @property
    def active(self):
        return self.times is None or self.hits < self.times


class FaultSet:
    def __init__(self):
        self._lock = threading.Lock()
        self.rules = []

    def add(self, glob, kind, times=None, methods=None, server=None, **kw):
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {KINDS}")
        if server not in (None, "hub", "cdn"):
            raise ValueError("server must be None, 'hub' or 'cdn'")
        if kind == "status":
            kw.setdefault("code", 500)
        if kind == "delay":
            kw.setdefault("seconds", 1.0)
        if kind == "slow":
            kw.setdefault("bps", 64 * 1024)
        if kind == "escape":
            kw.setdefault("path", "../../evil.txt")
            kw.setdefault("content", b"escaped the repo folder\n")
        if isinstance(methods, str):
            methods = (methods,)
        f = Fault(glob, kind, times, tuple(m.upper() for m in methods) if methods else None, server, kw)
        with self._lock:
            self.rules.append(f)
        return f

    def clear(self):
        with self._lock:
            self.rules.clear()

    def take(self, kinds, method, path, role, pred=None):
        """Matching active faults of the given kinds (at most one per kind), consuming one use each."""
        out = {}
        with self._lock:
            for f in self.rules:
                if (f.kind in kinds and f.kind not in out and f.active and f.matches(method, path, role)
                        and (pred is None or pred(f))):
                    f.hits += 1
                    out[f.kind] = f
        return out

    def escape_paths(self):
        with self._lock:
            return {f.kw["path"]: f.kw["content"] for f in self.rules if f.kind == "escape"}
