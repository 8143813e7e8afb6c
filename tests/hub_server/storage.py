"""On-disk repository store of the Hub-compatible test server.

Repos hold real git objects ids: a file's ``oid`` is the git blob SHA-1 (of the content for regular
files, of the LFS pointer for LFS files), folders get git tree SHA-1s and commits are hashed like
``git commit`` does (tree, parents, author, committer, message), so commit ids are 40-hex and chain.

Layout under ``root``:
  objects/ab/<sha1>      content of regular files (by git blob id)
  lfs/ab/<sha256>        content of LFS files (by sha256)
  repos/<type>s/<repo_id>/meta.json   refs, commits and flags of one repo
"""

import fnmatch
import hashlib
import json
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field

REPO_TYPES = ("model", "dataset", "space")
URL_PREFIXES = {"model": "", "dataset": "datasets/", "space": "spaces/"}

# The .gitattributes the Hub writes into a new repo (plus *.gguf): these files are always LFS.
_LFS_PATTERNS = [
    "*.7z", "*.arrow", "*.bin", "*.bz2", "*.ckpt", "*.ftz", "*.gz", "*.h5", "*.joblib", "*.lfs.*",
    "*.mlmodel", "*.model", "*.msgpack", "*.npy", "*.npz", "*.onnx", "*.ot", "*.parquet", "*.pb",
    "*.pickle", "*.pkl", "*.pt", "*.pth", "*.rar", "*.safetensors", "saved_model/**/*", "*.tar.*",
    "*.tar", "*.tflite", "*.tgz", "*.wasm", "*.xz", "*.zip", "*.zst", "*tfevents*", "*.gguf",
]
_DATASET_EXTRA = ["*.lz4", "*.mds", "*.mp3", "*.ogg", "*.wav", "*.jpg", "*.jpeg", "*.png", "*.webp"]


def default_gitattributes(repo_type="model"):
    pats = _LFS_PATTERNS + (_DATASET_EXTRA if repo_type == "dataset" else [])
    return "".join(f"{p} filter=lfs diff=lfs merge=lfs -text\n" for p in pats).encode()


def git_blob_sha1(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def lfs_pointer(sha256, size):
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


def now_iso(ts=None):
    ts = time.time() if ts is None else ts
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + ".%03dZ" % int((ts % 1) * 1000)


def _gitattr_regex(pattern):
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("/**", i):
            out, i = out + "/.*", i + 3
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def lfs_patterns_from_gitattributes(text):
    pats = []
    for line in text.decode("utf-8", "replace").splitlines():
        parts = line.split()
        if len(parts) >= 2 and not parts[0].startswith("#") and "filter=lfs" in parts[1:]:
            pats.append(parts[0])
    return pats


def path_matches_lfs(path, patterns):
    base = path.rsplit("/", 1)[-1]
    for p in patterns:
        p = p.lstrip("/") if p.startswith("/") else p
        if "/" in p:
            if _gitattr_regex(p).match(path):
                return True
        elif fnmatch.fnmatchcase(base, p):
            return True
    return False


def check_repo_path(path):
    """A path inside a repo: relative, no '..', no backslash, no empty segment."""
    if not isinstance(path, str) or not path or path.startswith("/") or "\\" in path or "\0" in path:
        return False
    return all(seg not in ("", ".", "..") for seg in path.split("/"))


@dataclass
class Entry:
    """A file in a commit."""
    path: str
    size: int
    oid: str                 # git blob sha1 (pointer's for LFS)
    sha256: str = None       # LFS only
    pointer_size: int = None  # LFS only

    @property
    def is_lfs(self):
        return self.sha256 is not None

    def to_json(self):
        d = {"size": self.size, "oid": self.oid}
        if self.is_lfs:
            d["sha256"], d["pointerSize"] = self.sha256, self.pointer_size
        return d

    @classmethod
    def from_json(cls, path, d):
        return cls(path, d["size"], d["oid"], d.get("sha256"), d.get("pointerSize"))


@dataclass
class Commit:
    sha: str
    parents: list
    tree: str
    files: dict               # path -> Entry
    title: str
    message: str
    author: str
    date: float
    _trees: dict = field(default=None, repr=False)   # folder path -> tree sha (lazy)

    def tree_oids(self):
        if self._trees is None:
            self._trees = {}
            self.tree = _hash_tree(self.files, self._trees)
        return self._trees


def _hash_tree(files, out):
    """Git tree ids of every folder ('' = root); returns the root tree id."""
    root = {}
    for path, e in files.items():
        node = root
        parts = path.split("/")
        for p in parts[:-1]:
            node = node.setdefault(p + "/", {})
        node[parts[-1]] = e

    def walk(node, prefix):
        body = b""
        # git orders entries by name, folders compared as 'name/'
        for key in sorted(node, key=lambda k: k.encode()):
            val = node[key]
            if key.endswith("/"):
                name = key[:-1]
                sha = walk(val, prefix + name + "/")
                body += b"40000 " + name.encode() + b"\0" + bytes.fromhex(sha)
            else:
                body += b"100644 " + key.encode() + b"\0" + bytes.fromhex(val.oid)
        sha = hashlib.sha1(b"tree %d\0" % len(body) + body).hexdigest()
        out[prefix.rstrip("/")] = sha
        return sha

    return walk(root, "")


def _hash_commit(tree, parents, author, date, title, message):
    who = f"{author} <{author}@users.noreply.huggingface.co> {int(date)} +0000"
    body = f"tree {tree}\n" + "".join(f"parent {p}\n" for p in parents)
    body += f"author {who}\ncommitter {who}\n\n{title}\n"
    if message:
        body += f"\n{message}\n"
    raw = body.encode()
    return hashlib.sha1(b"commit %d\0" % len(raw) + raw).hexdigest()


class HubError(Exception):
    """An error the server turns into an HTTP response (status, X-Error-Code, X-Error-Message)."""

    def __init__(self, status, message, code=None, headers=None):
        super().__init__(message)
        self.status, self.message, self.code, self.headers = status, message, code, headers or {}


class Repo:
    def __init__(self, repo_type, repo_id, private=False, gated=False, owner=None):
        self.repo_type, self.repo_id = repo_type, repo_id
        self.private, self.gated = bool(private), gated
        self.owner = owner
        self.granted = set()
        self.created_at = time.time()
        self.branches, self.tags, self.prs = {}, {}, {}   # name -> sha ; pr number -> sha
        self.commits = {}

    @property
    def namespace(self):
        return self.repo_id.split("/")[0] if "/" in self.repo_id else None

    def head(self):
        return self.branches.get("main") or next(iter(self.branches.values()), None)

    def resolve(self, rev):
        """Commit for a branch, tag, refs/... name or a full commit sha; None if unknown."""
        if rev in self.branches:
            return self.commits[self.branches[rev]]
        if rev in self.tags:
            return self.commits[self.tags[rev]]
        m = re.fullmatch(r"refs/(heads|tags)/(.+)", rev)
        if m:
            table = self.branches if m.group(1) == "heads" else self.tags
            return self.commits[table[m.group(2)]] if m.group(2) in table else None
        m = re.fullmatch(r"refs/pr/(\d+)", rev)
        if m:
            sha = self.prs.get(int(m.group(1)))
            return self.commits[sha] if sha else None
        if re.fullmatch(r"[0-9a-f]{40}", rev) and rev in self.commits:
            return self.commits[rev]
        return None

    def to_json(self):
        return {
            "repo_type": self.repo_type, "repo_id": self.repo_id, "private": self.private,
            "gated": self.gated, "owner": self.owner, "granted": sorted(self.granted),
            "created_at": self.created_at, "branches": self.branches, "tags": self.tags,
            "prs": {str(k): v for k, v in self.prs.items()},
            "commits": {
                c.sha: {"parents": c.parents, "tree": c.tree, "title": c.title, "message": c.message,
                        "author": c.author, "date": c.date,
                        "files": {p: e.to_json() for p, e in c.files.items()}}
                for c in self.commits.values()
            },
        }

    @classmethod
    def from_json(cls, d):
        r = cls(d["repo_type"], d["repo_id"], d["private"], d["gated"], d["owner"])
        r.granted, r.created_at = set(d["granted"]), d["created_at"]
        r.branches, r.tags = d["branches"], d["tags"]
        r.prs = {int(k): v for k, v in d["prs"].items()}
        for sha, c in d["commits"].items():
            files = {p: Entry.from_json(p, e) for p, e in c["files"].items()}
            r.commits[sha] = Commit(sha, c["parents"], c["tree"], files, c["title"], c["message"],
                                    c["author"], c["date"])
        return r


class Store:
    """Repos, refs, commits and object storage; thread-safe (one lock)."""

    def __init__(self, root):
        self.root = os.path.abspath(str(root))
        self.lock = threading.RLock()
        self.repos = {}      # (type, id) -> Repo
        self.renamed = {}    # (type, old id) -> new id
        for sub in ("objects", "lfs", "repos", "tmp"):
            os.makedirs(os.path.join(self.root, sub), exist_ok=True)
        self._load()

    # ---------------------------------------------------------------- objects
    def _obj_path(self, kind, key):
        return os.path.join(self.root, kind, key[:2], key)

    def blob_path(self, entry):
        return self._obj_path("lfs", entry.sha256) if entry.is_lfs else self._obj_path("objects", entry.oid)

    def has_lfs(self, sha256):
        return os.path.exists(self._obj_path("lfs", sha256))

    def lfs_path(self, sha256):
        return self._obj_path("lfs", sha256)

    def tmp_file(self):
        return tempfile.NamedTemporaryFile(dir=os.path.join(self.root, "tmp"), delete=False)

    def _install(self, tmp_name, dst):
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        os.replace(tmp_name, dst)

    def _put_bytes(self, kind, key, data):
        dst = self._obj_path(kind, key)
        if not os.path.exists(dst):
            with self.tmp_file() as f:
                f.write(data)
            self._install(f.name, dst)
        return key

    def put_regular(self, data):
        """Store a regular file's content; returns its git blob id."""
        return self._put_bytes("objects", git_blob_sha1(data), data)

    def put_lfs_bytes(self, data):
        """Store an LFS object; returns its sha256."""
        return self._put_bytes("lfs", hashlib.sha256(data).hexdigest(), data)

    def put_lfs_path(self, src):
        """Copy a local file into the LFS store (streamed); returns its sha256."""
        h = hashlib.sha256()
        with open(src, "rb") as f, self.tmp_file() as out:
            while True:
                buf = f.read(1 << 20)
                if not buf:
                    break
                h.update(buf)
                out.write(buf)
        sha = h.hexdigest()
        self.put_lfs_file(out.name, sha)
        return sha

    def put_lfs_file(self, tmp_name, sha256):
        """Move a verified temp file into the LFS store."""
        dst = self._obj_path("lfs", sha256)
        if os.path.exists(dst):
            os.unlink(tmp_name)
        else:
            self._install(tmp_name, dst)

    def lfs_entry(self, path, sha256):
        size = os.path.getsize(self._obj_path("lfs", sha256))
        ptr = lfs_pointer(sha256, size)
        return Entry(path, size, git_blob_sha1(ptr), sha256, len(ptr))

    def read(self, entry):
        with open(self.blob_path(entry), "rb") as f:
            return f.read()

    # ---------------------------------------------------------------- repos
    def _meta_path(self, repo):
        return os.path.join(self.root, "repos", repo.repo_type + "s", repo.repo_id, "meta.json")

    def save(self, repo):
        dst = self._meta_path(repo)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with self.tmp_file() as f:
            f.write(json.dumps(repo.to_json()).encode())
        os.replace(f.name, dst)

    def _load(self):
        base = os.path.join(self.root, "repos")
        for dirpath, _, files in os.walk(base):
            if "meta.json" in files:
                with open(os.path.join(dirpath, "meta.json")) as f:
                    r = Repo.from_json(json.load(f))
                self.repos[(r.repo_type, r.repo_id)] = r
        ren = os.path.join(self.root, "renamed.json")
        if os.path.exists(ren):
            with open(ren) as f:
                self.renamed = {(t, o): n for t, o, n in json.load(f)}

    def get(self, repo_type, repo_id):
        return self.repos.get((repo_type, repo_id))

    def create(self, repo_type, repo_id, private=False, gated=False, owner=None):
        if repo_type not in REPO_TYPES:
            raise HubError(400, f"Invalid repo type: {repo_type}")
        if not re.fullmatch(r"(?:[\w.-]+/)?[\w.-]+", repo_id) or ".." in repo_id:
            raise HubError(400, f"Invalid repo id: {repo_id}")
        with self.lock:
            if (repo_type, repo_id) in self.repos:
                raise HubError(409, f"You already created this {repo_type} repo",
                               headers={"_url": repo_id})
            repo = Repo(repo_type, repo_id, private, gated, owner)
            self.repos[(repo_type, repo_id)] = repo
            self.renamed.pop((repo_type, repo_id), None)
            self.commit(repo, "main", {".gitattributes": ("regular", default_gitattributes(repo_type))},
                        [], "initial commit", "", owner or repo.namespace or "user", new_branch=True)
            return repo

    def delete(self, repo_type, repo_id):
        with self.lock:
            repo = self.repos.pop((repo_type, repo_id), None)
            if repo is None:
                return False
            try:
                os.unlink(self._meta_path(repo))
            except FileNotFoundError:
                pass
            return True

    def rename(self, repo_type, old, new):
        with self.lock:
            repo = self.repos.get((repo_type, old))
            if repo is None:
                raise HubError(404, "Repository not found", "RepoNotFound")
            if (repo_type, new) in self.repos:
                raise HubError(409, f"Repository {new} already exists")
            self.delete(repo_type, old)
            repo.repo_id = new
            self.repos[(repo_type, new)] = repo
            self.renamed[(repo_type, old)] = new
            self.save(repo)
            with self.tmp_file() as f:
                f.write(json.dumps([[t, o, n] for (t, o), n in self.renamed.items()]).encode())
            os.replace(f.name, os.path.join(self.root, "renamed.json"))

    def lfs_patterns(self, commit, repo_type):
        ga = commit.files.get(".gitattributes") if commit else None
        text = self.read(ga) if ga is not None else default_gitattributes(repo_type)
        return lfs_patterns_from_gitattributes(text)

    def commit(self, repo, branch, additions, deletions, title, message, author,
               parent=None, new_branch=False, pr=False):
        """Apply operations on top of `branch` (or on `parent` for a new PR ref) and move the ref.

        additions: path -> ("regular", bytes) | ("lfs", sha256 already stored) | ("entry", Entry)
        deletions: list of ("file"|"folder", path)
        Returns the new Commit.
        """
        pr_ref = None
        with self.lock:
            if new_branch:
                base = None
            elif pr:
                base = repo.commits[parent]
            else:
                m = re.fullmatch(r"refs/pr/(\d+)", branch)
                if m and int(m.group(1)) in repo.prs:          # pushing to an open pull request
                    pr_ref = int(m.group(1))
                    base = repo.commits[repo.prs[pr_ref]]
                elif branch in repo.branches:
                    base = repo.commits[repo.branches[branch]]
                else:
                    raise HubError(404, f"Invalid rev id: {branch}", "RevisionNotFound")
                if parent is not None and parent != base.sha:
                    raise HubError(412, "A commit has happened since. Please refresh and try again.")
            files = dict(base.files) if base else {}
            for kind, path in deletions:
                if kind == "file":
                    if path not in files:
                        raise HubError(404, f"Entry not found: {path}", "EntryNotFound")
                    del files[path]
                else:
                    prefix = path.rstrip("/") + "/"
                    hit = [p for p in files if p.startswith(prefix)]
                    if not hit:
                        raise HubError(404, f"Entry not found: {path}", "EntryNotFound")
                    for p in hit:
                        del files[p]
            for path, (kind, val) in additions.items():
                if not check_repo_path(path):
                    raise HubError(400, f"Invalid path in repo: {path!r}")
                if kind == "regular":
                    files[path] = Entry(path, len(val), self.put_regular(val))
                elif kind == "lfs":
                    if not self.has_lfs(val):
                        raise HubError(422, f"Your push was rejected because an LFS pointer pointed to a "
                                            f"file that does not exist: {path} (oid {val})")
                    files[path] = self.lfs_entry(path, val)
                else:
                    files[path] = Entry(path, val.size, val.oid, val.sha256, val.pointer_size)
            for path in files:  # a file and a folder of the same name cannot coexist
                parts = path.split("/")
                for i in range(1, len(parts)):
                    if "/".join(parts[:i]) in files:
                        raise HubError(400, f"Invalid path in repo: {path!r} is under file {'/'.join(parts[:i])!r}")
            date = time.time()
            if base is not None and date <= base.date:
                date = base.date + 0.001
            c = Commit(None, [base.sha] if base else [], None, files, title or "update", message or "", author, date)
            c.tree_oids()
            c.sha = _hash_commit(c.tree, c.parents, author, date, c.title, c.message)
            repo.commits[c.sha] = c
            if pr:
                num = max(repo.prs, default=0) + 1
                repo.prs[num] = c.sha
                c.pr_num = num
            elif pr_ref is not None:
                repo.prs[pr_ref] = c.sha
            else:
                repo.branches[branch] = c.sha
            self.save(repo)
            return c

    def history(self, repo, commit):
        out, c = [], commit
        while c is not None:
            out.append(c)
            c = repo.commits.get(c.parents[0]) if c.parents else None
        return out

    def last_commits(self, repo, commit, paths):
        """For each path (file or folder), the most recent commit in `commit`'s history touching it."""
        hist = self.history(repo, commit)
        result = {}
        for p in paths:
            found = hist[-1]
            for newer, older in zip(hist, hist[1:] + [None]):
                if older is None or _path_oid(newer, p) != _path_oid(older, p):
                    found = newer
                    break
            result[p] = found
        return result


def _path_oid(commit, path):
    e = commit.files.get(path)
    if e is not None:
        return e.oid
    return commit.tree_oids().get(path)
