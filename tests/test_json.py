"""hfc's strict JSON reader and writer, differential against Python's json module."""
import json
import math

import pytest
from hypothesis import given, settings, strategies as st

from hfc import _C

from conftest import TOKENIZER_NAMES

# JSON values both parsers must agree on: no NaN/inf, ints within int64, strings without
# lone surrogates (Python's json accepts those; strict JSON/serde_json do not).
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
ints = st.integers(min_value=-(2**63), max_value=2**63 - 1)
floats = st.floats(allow_nan=False, allow_infinity=False)
scalars = st.none() | st.booleans() | ints | floats | text
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(text, inner, max_size=6),
    max_leaves=40,
)


def same(a, b):
    """Equality that also checks int/float kinds (json.loads keeps them apart)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return a == b


@settings(max_examples=300, deadline=None)
@given(values)
def test_parse_matches_python_json(v):
    compact = json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    pretty = json.dumps(v, ensure_ascii=True, indent=3)
    assert same(_C._json_loads(compact), json.loads(compact))
    assert same(_C._json_loads(pretty.encode()), json.loads(pretty))


@settings(max_examples=300, deadline=None)
@given(values)
def test_writer_round_trips(v):
    src = json.dumps(v, ensure_ascii=True)
    out = _C._json_roundtrip(src)
    assert same(json.loads(out), json.loads(src))


no_floats = st.recursive(
    st.none() | st.booleans() | ints | text,
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(text, inner, max_size=6),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(no_floats)
def test_writer_bytes_match_python_json(v):
    """Escaping and layout equal Python's json.dumps(ensure_ascii=False) (= serde_json's)."""
    src = json.dumps(v)
    assert _C._json_roundtrip(src) == json.dumps(
        v, ensure_ascii=False, separators=(",", ":")).encode()
    assert _C._json_roundtrip(src, indent=2) == json.dumps(
        v, ensure_ascii=False, indent=2).encode()


@pytest.mark.parametrize("name", TOKENIZER_NAMES)
def test_real_tokenizer_files(name, tokenizer_json_path):
    path = tokenizer_json_path(name)
    data = path.read_bytes()
    assert _C._json_loads(data) == json.loads(data)
    assert _C._json_parse_file(str(path)) > 1000


BAD = [
    (b"", "byte 0"),
    (b"   ", "byte 3"),
    (b"{", "byte 1"),
    (b"[1,]", "byte 3"),
    (b"[1 2]", "byte 3"),
    (b'{"a" 1}', "byte 5"),
    (b'{"a":1,}', "byte 7"),
    (b"01", "leading zero"),
    (b"+1", "byte 0"),
    (b".5", "byte 0"),
    (b"1.", "byte 2"),
    (b"1e", "byte 2"),
    (b"NaN", "byte 0"),
    (b"Infinity", "byte 0"),
    (b"tru", "byte 3"),
    (b'"abc', "byte 0"),
    (b'"a\\x"', "byte 2"),
    (b'"a\\u12"', "byte 2"),
    (b'"\x01"', "byte 1"),
    (b"[1] x", "byte 4"),
    (b"1e400", "out of range"),
    (b'"\\ud800"', "surrogate"),
    (b'"\\udc00"', "surrogate"),
    (b'"\\ud800\\u0041"', "surrogate"),
]


@pytest.mark.parametrize("doc,fragment", BAD)
def test_malformed_raises_valueerror_with_offset(doc, fragment):
    with pytest.raises(ValueError) as e:
        _C._json_loads(doc)
    assert fragment in str(e.value)
    assert "byte " in str(e.value)


@pytest.mark.parametrize("doc,offset", [
    (b'"\xff"', 1),
    (b'"ab\xc0\xaf"', 3),          # overlong '/'
    (b'"\xed\xa0\x80"', 1),        # UTF-8-encoded surrogate
    (b'"\xf4\x90\x80\x80"', 1),    # > U+10FFFF
    (b'["ok", "\xe2\x82"]', 8),    # truncated sequence
    (b'\xef\xbb\xbf{}', 0),        # a BOM is not JSON
])
def test_invalid_utf8(doc, offset):
    with pytest.raises(ValueError, match=f"byte {offset}\\b"):
        _C._json_loads(doc)


def test_error_names_input_and_json_path():
    doc = b'{"model": {"merges": [["a", "b"], ["c" "d"]]}}'
    with pytest.raises(ValueError) as e:
        _C._json_loads(doc, name="tokenizer.json")
    msg = str(e.value)
    assert msg.startswith("tokenizer.json: ")
    assert "$.model.merges[1]" in msg
    assert "line 1" in msg


def test_duplicate_keys():
    with pytest.raises(ValueError, match=r'duplicate key "a".*|.*duplicate key "a"'):
        _C._json_loads(b'{"a": 1, "b": 2, "a": 3}')
    big = "{" + ",".join(f'"k{i}": {i}' for i in range(50000)) + ', "k777": 0}'
    with pytest.raises(ValueError, match="k777"):
        _C._json_loads(big)
    assert _C._json_loads(b'{"a": 1, "a": 3}', allow_duplicate_keys=True) == {"a": 3}
    assert len(_C._json_loads(big[:-len(', "k777": 0}')] + "}")) == 50000


def test_depth_limit():
    ok = "[" * 512 + "]" * 512
    assert _C._json_loads(ok) is not None
    with pytest.raises(ValueError, match="depth"):
        _C._json_loads("[" * 513 + "]" * 513)
    with pytest.raises(ValueError, match="depth"):
        _C._json_loads("[" * 1_000_000)  # no recursion, no stack overflow
    assert _C._json_loads("[[[[1]]]]", max_depth=4) == [[[[1]]]]
    with pytest.raises(ValueError, match="depth"):
        _C._json_loads("[[[[1]]]]", max_depth=3)


def test_numbers():
    assert _C._json_loads("9223372036854775807") == 2**63 - 1
    assert _C._json_loads("-9223372036854775808") == -(2**63)
    big = _C._json_loads("9223372036854775808")
    assert isinstance(big, float) and big == 2.0**63
    assert _C._json_loads("1e-400") == 0.0
    assert _C._json_loads("-0.0") == 0.0 and math.copysign(1, _C._json_loads("-0.0")) == -1
    for s in ["0.1", "1.7976931348623157e308", "5e-324", "2.2250738585072014e-308",
              "123456789.123456789", "1e23", "8.98846567431158e307"]:
        assert _C._json_loads(s) == float(s), s


def test_escapes_and_nul():
    assert _C._json_loads(r'"a\u0000b\n\"\\\/\ud83d\ude00"') == 'a\x00b\n"\\/\U0001F600'


def test_str_and_buffer_inputs():
    assert _C._json_loads('{"é": [1]}') == {"é": [1]}
    assert _C._json_loads(bytearray(b"[true]")) == [True]
    assert _C._json_loads(memoryview(b"[null, false]")) == [None, False]
    with pytest.raises(TypeError):
        _C._json_loads(12)


def test_parse_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.json"):
        _C._json_parse_file(str(tmp_path / "missing.json"))
    p = tmp_path / "bad.json"
    p.write_bytes(b'{"a": [1, 2,, 3]}')
    with pytest.raises(ValueError, match=r"bad\.json: byte 12"):
        _C._json_parse_file(str(p))
