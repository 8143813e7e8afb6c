"""hfc.hub.ModelCard: README.md with YAML front matter, as huggingface_hub's ModelCard.

YAML: PyYAML (safe_load / dump(sort_keys=False, allow_unicode=True), like huggingface_hub)
when importable; otherwise a small subset reader/writer (scalars, flow and block lists,
nested mappings) enough for license, tags, base_model, datasets, pipeline_tag, library_name.
Not supported: `model-index` / eval_results re-structuring (kept as plain data), anchors,
multi-line scalars without PyYAML.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

try:
    import yaml as _yaml
except ImportError:  # pragma: no cover - exercised only without PyYAML
    _yaml = None

_YAML_BLOCK = re.compile(r"^(\s*---(?:\r\n|\r|\n))([\S\s]*?)((?:\r\n|\r|\n)---[ \t]*(\r\n|\n|$))")
_FIELDS = ("license", "tags", "base_model", "datasets", "pipeline_tag", "library_name", "language")


def _line_ending(s: str):
    cr, lf, crlf = s.count("\r"), s.count("\n"), s.count("\r\n")
    if cr + lf == 0:
        return None
    if crlf == cr and crlf == lf:
        return "\r\n"
    return "\r" if cr > lf else "\n"


# ---- YAML subset (fallback) ----

def _scalar(s: str):
    s = s.strip()
    if s == "" or s in ("~", "null", "Null", "NULL"):
        return None
    if s[0] in "'\"" and s[-1] == s[0] and len(s) >= 2:
        body = s[1:-1]
        return body.replace("''", "'") if s[0] == "'" else bytes(body, "utf-8").decode("unicode_escape")
    if s in ("true", "True", "TRUE"):
        return True
    if s in ("false", "False", "FALSE"):
        return False
    if re.fullmatch(r"[-+]?\d+", s):
        return int(s)
    if re.fullmatch(r"[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?", s):
        return float(s)
    if s.startswith("[") and s.endswith("]"):
        inner = s[1:-1].strip()
        return [_scalar(x) for x in re.findall(r"""'[^']*'|"[^"]*"|[^,]+""", inner)] if inner else []
    return s


def _subset_load(text: str):
    lines = [ln.rstrip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]

    def block(i, indent):
        if i < len(lines) and lines[i].lstrip().startswith("- ") or (i < len(lines) and lines[i].strip() == "-"):
            out = []
            while i < len(lines) and len(lines[i]) - len(lines[i].lstrip()) == indent and lines[i].lstrip().startswith("-"):
                item = lines[i].lstrip()[1:].strip()
                if ":" in item and not item.startswith(("'", '"')):
                    sub = " " * (indent + 2) + item
                    lines[i] = sub
                    v, i = block(i, indent + 2)
                    out.append(v)
                else:
                    out.append(_scalar(item))
                    i += 1
            return out, i
        out = {}
        while i < len(lines) and len(lines[i]) - len(lines[i].lstrip()) == indent:
            key, _, rest = lines[i].strip().partition(":")
            key = _scalar(key)
            i += 1
            if rest.strip():
                out[key] = _scalar(rest)
            elif i < len(lines) and (len(lines[i]) - len(lines[i].lstrip()) > indent or lines[i].lstrip().startswith("-")):
                nxt = len(lines[i]) - len(lines[i].lstrip())
                out[key], i = block(i, nxt)
            else:
                out[key] = None
        return out, i
    if not lines:
        return None
    v, i = block(0, len(lines[0]) - len(lines[0].lstrip()))
    if i != len(lines):
        raise ValueError(f"model card YAML: cannot parse line {lines[i]!r} (install PyYAML for full YAML)")
    return v


def _q(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    s = str(v)
    if s == "" or re.search(r"[:#\[\]{},&*!|>'\"%@`]|^\s|\s$|^-", s) or _scalar(s) != s:
        return "'" + s.replace("'", "''") + "'"
    return s


def _subset_dump(d, indent=0) -> str:
    pad = " " * indent
    out = []
    for k, v in d.items():
        if isinstance(v, dict):
            out.append(f"{pad}{_q(k)}:\n{_subset_dump(v, indent + 2)}")
        elif isinstance(v, list):
            if not v:
                out.append(f"{pad}{_q(k)}: []\n")
            else:
                out.append(f"{pad}{_q(k)}:\n" + "".join(f"{pad}- {_q(x)}\n" for x in v))
        else:
            out.append(f"{pad}{_q(k)}: {_q(v)}\n")
    return "".join(out)


def _load(text: str):
    return _yaml.safe_load(text) if _yaml is not None else _subset_load(text)


def _dump(d: dict, line_break: str) -> str:
    if _yaml is not None:
        return _yaml.dump(d, stream=None, allow_unicode=True, sort_keys=False, line_break=line_break).strip()
    return _subset_dump(d).strip().replace("\n", line_break)


class CardData(dict):
    """The front matter as a dict, with attribute access to its keys (None when absent)."""

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self.get(name)

    def __setattr__(self, name, value):
        self[name] = value

    def to_dict(self) -> dict:
        return {k: v for k, v in self.items() if v is not None}


class ModelCard:
    """A README.md: `.data` (front matter) and `.text` (the Markdown body)."""

    def __init__(self, content: str):
        self.content = content

    @property
    def content(self) -> str:
        lb = _line_ending(self._content) or "\n"
        return f"---{lb}{_dump(self.data.to_dict(), lb)}{lb}---{lb}{self.text}"

    @content.setter
    def content(self, content: str) -> None:
        self._content = content
        m = _YAML_BLOCK.search(content)
        if m:
            self.text = content[m.end():]
            d = _load(m.group(2))
            if d is None:
                d = {}
            if not isinstance(d, dict):
                raise ValueError("repo card metadata block should be a dict")
        else:
            d, self.text = {}, content
        self.data = CardData(d)

    def __str__(self) -> str:
        return self.content

    def save(self, filepath) -> None:
        p = Path(filepath)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            f.write(str(self))
        os.replace(tmp, p)

    @classmethod
    def load(cls, repo_id_or_path, repo_type: str | None = None, token=None, **kw) -> "ModelCard":
        if Path(repo_id_or_path).is_file():
            path = Path(repo_id_or_path)
        else:
            from .hub import hf_hub_download
            path = Path(hf_hub_download(str(repo_id_or_path), "README.md", repo_type=repo_type, token=token, **kw))
        with open(path, encoding="utf-8", newline="") as f:
            return cls(f.read())

    def push_to_hub(self, repo_id: str, token=None, repo_type: str | None = None, commit_message: str | None = None,
                    **kw):
        from .hub import upload_file
        return upload_file(path_or_fileobj=str(self).encode("utf-8"), path_in_repo="README.md", repo_id=repo_id,
                           token=token, repo_type=repo_type, commit_message=commit_message or "Update README.md with hfc",
                           **kw)
