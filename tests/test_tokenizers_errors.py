"""Bad tokenizer.json files and bad arguments: clear Python exceptions naming the file, the
JSON path and the component; never a crash. (HF tokenizers also rejects each of these
files: checked here so the cases are real errors, not hfc quirks.)"""
import copy
import json

import pytest
import tokenizers

from hfc.tokenizers import Tokenizer

BASE = {
    "version": "1.0", "truncation": None, "padding": None, "added_tokens": [],
    "normalizer": None, "pre_tokenizer": None, "post_processor": None, "decoder": None,
    "model": {"type": "WordLevel", "vocab": {"a": 0, "[UNK]": 1}, "unk_token": "[UNK]"},
}


def with_(path, value):
    d = copy.deepcopy(BASE)
    node = d
    *head, last = path
    for k in head:
        node = node[k]
    node[last] = value
    return json.dumps(d)


BAD = [
    # (json text, exception, fragments that must appear in the message)
    (with_(["normalizer"], {"type": "Bogus"}), ValueError, ["$.normalizer", "Bogus"]),
    (with_(["pre_tokenizer"], {"type": "Sequence", "pretokenizers": [{"type": "Nope"}]}),
     ValueError, ["$.pre_tokenizer.pretokenizers[0]", "Nope"]),
    (with_(["pre_tokenizer"], {"type": "Split", "pattern": {"Regex": "(unclosed"}, "behavior": "Isolated",
                               "invert": False}), ValueError, ["$.pre_tokenizer", "(unclosed"]),
    (with_(["model"], {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}), ValueError, ["$.model.merges"]),
    (with_(["model", "type"], "Mystery"), ValueError, ["$.model", "Mystery"]),
    (with_(["decoder"], {"type": "Bogus"}), ValueError, ["$.decoder", "Bogus"]),
    (with_(["version"], "9.9"), ValueError, ["$.version"]),
    ('{"model": {"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "a"}, "normalizer": [1, 2,]}',
     ValueError, ["byte ", "$.normalizer"]),
    ("[]", ValueError, ["$"]),
    ("", ValueError, ["byte 0"]),
]


@pytest.mark.parametrize("text,exc,fragments", BAD)
def test_bad_files(text, exc, fragments, tmp_path):
    with pytest.raises(BaseException):  # the reference rejects it too (or panics)
        tokenizers.Tokenizer.from_str(text)
    with pytest.raises(exc) as e:
        Tokenizer.from_str(text)
    for f in fragments:
        assert f in str(e.value)
    path = tmp_path / "tokenizer.json"
    path.write_text(text)
    with pytest.raises(exc) as e:
        Tokenizer.from_file(path)
    assert str(path) in str(e.value)


UNSUPPORTED = [
    (with_(["model"], {"type": "Unigram", "unk_id": 0, "vocab": [["a", 0.0]]}), ["$.model", "Unigram"]),
    (with_(["model"], {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"], "dropout": 0.5}),
     ["dropout"]),
]


@pytest.mark.parametrize("text,fragments", UNSUPPORTED)
def test_valid_but_unsupported_components(text, fragments):
    """Valid files (HF loads them) using components hfc does not implement yet: a clear
    NotImplementedError naming the component, never a wrong answer."""
    tokenizers.Tokenizer.from_str(text)
    with pytest.raises(NotImplementedError) as e:
        Tokenizer.from_str(text)
    for f in fragments:
        assert f in str(e.value)


def test_template_with_undefined_special_token():
    """HF loads this and panics on the first encode; hfc refuses it at load, naming it."""
    text = with_(["post_processor"], {"type": "TemplateProcessing",
                                      "single": [{"SpecialToken": {"id": "<x>", "type_id": 0}}],
                                      "pair": [], "special_tokens": {}})
    ref = tokenizers.Tokenizer.from_str(text)
    with pytest.raises(BaseException):
        ref.encode("a")
    with pytest.raises(ValueError, match=r"\$\.post_processor.*<x>"):
        Tokenizer.from_str(text)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        Tokenizer.from_file(tmp_path / "nope.json")
    with pytest.raises(FileNotFoundError):
        Tokenizer.from_pretrained(tmp_path)


def test_from_pretrained_local_folder(tmp_path):
    (tmp_path / "tokenizer.json").write_text(json.dumps(BASE))
    assert Tokenizer.from_pretrained(tmp_path).encode("a").ids == [0]
    assert Tokenizer.from_buffer(json.dumps(BASE).encode()).encode("a").ids == [0]


def test_bad_arguments():
    tok = Tokenizer.from_str(json.dumps(BASE))
    with pytest.raises(TypeError):
        tok.encode(None)
    with pytest.raises(TypeError):
        tok.encode_batch(["a", 3])
    with pytest.raises(ValueError):
        tok.enable_truncation(4, strategy="sideways")
    with pytest.raises(ValueError):
        tok.enable_padding(direction="up")
    with pytest.raises(OverflowError):
        tok.decode([-1])
    assert tok.decode([0, 99999]) == "a"  # unknown ids are skipped, as HF does
