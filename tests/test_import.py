"""The package imports, exposes its runtime API, and keeps Python out of the core."""
import re
from pathlib import Path

import hfc
import hfc._C

ROOT = Path(__file__).resolve().parent.parent


def test_version_matches_project():
    text = (ROOT / "pyproject.toml").read_text()
    version = re.search(r'^version = "([^"]+)"', text, re.M).group(1)
    assert hfc.__version__ == version


def test_public_api():
    for name in ("cpu_features", "set_num_threads", "get_num_threads"):
        assert callable(getattr(hfc, name))


def test_core_has_no_python_headers():
    """csrc/ outside csrc/py/ must never include Python.h or NumPy headers."""
    pattern = re.compile(r'#\s*include\s*[<"](Python\.h|numpy/|structmember\.h|pyconfig\.h)')
    offenders = []
    files = [p for p in (ROOT / "csrc").rglob("*") if p.suffix in (".c", ".h")]
    assert len(files) >= 10, "expected the core's C sources under csrc/"
    for path in files:
        rel = path.relative_to(ROOT / "csrc")
        if rel.parts[0] == "py":
            continue
        if pattern.search(path.read_text(errors="replace")):
            offenders.append(str(rel))
    assert offenders == []


def test_binding_layer_is_the_only_python_user():
    """The binding layer does include Python: the check above is not vacuous."""
    pattern = re.compile(r'#\s*include\s*[<"]Python\.h')
    hits = [p for p in (ROOT / "csrc" / "py").glob("*") if pattern.search(p.read_text())]
    assert hits
