"""hfc.tokenizers: a drop-in for ``tokenizers.Tokenizer``, computed in C.

    from hfc.tokenizers import Tokenizer
    tok = Tokenizer.from_file("tokenizer.json")
    enc = tok.encode("Hello world")        # same ids / tokens / offsets as HF tokenizers
    tok.decode(enc.ids)

A Tokenizer is safe to share between threads; ``encode_batch`` runs on hfc's worker pool
(``hfc.set_num_threads``) with the GIL released.
"""
import asyncio
import functools
import json
import os
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

from . import _C

__all__ = ["Tokenizer", "Encoding", "AddedToken", "DecodeStream", "use_in_transformers"]

Offsets = Tuple[int, int]


class Encoding(_C.Encoding):
    """The result of an encode, with the attributes of ``tokenizers.Encoding``: ids,
    type_ids, tokens, offsets (character offsets, as HF's Python binding gives),
    word_ids/words, sequence_ids, special_tokens_mask, attention_mask, overflowing,
    n_sequences. Lists are built when an attribute is read."""

    __slots__ = ()

    def __repr__(self) -> str:
        return (f"Encoding(num_tokens={len(self)}, attributes=[ids, type_ids, tokens, offsets, "
                "attention_mask, special_tokens_mask, overflowing])")

    def _positions(self, sequence_index):
        return [i for i, s in enumerate(self.sequence_ids) if s == sequence_index]

    def char_to_token(self, char_pos: int, sequence_index: int = 0) -> Optional[int]:
        offsets = self.offsets
        for i in self._positions(sequence_index):
            start, end = offsets[i]
            if start <= char_pos < end:
                return i
        return None

    def char_to_word(self, char_pos: int, sequence_index: int = 0) -> Optional[int]:
        i = self.char_to_token(char_pos, sequence_index)
        return None if i is None else self.word_ids[i]

    def token_to_chars(self, token_index: int) -> Optional[Offsets]:
        seq = self.sequence_ids
        if not 0 <= token_index < len(seq) or seq[token_index] is None:
            return None
        return self.offsets[token_index]

    def token_to_sequence(self, token_index: int) -> Optional[int]:
        seq = self.sequence_ids
        return seq[token_index] if 0 <= token_index < len(seq) else None

    def token_to_word(self, token_index: int) -> Optional[int]:
        words = self.word_ids
        return words[token_index] if 0 <= token_index < len(words) else None

    def word_to_tokens(self, word_index: int, sequence_index: int = 0) -> Optional[Offsets]:
        words = self.word_ids
        idx = [i for i in self._positions(sequence_index) if words[i] == word_index]
        return (idx[0], idx[-1] + 1) if idx else None

    def word_to_chars(self, word_index: int, sequence_index: int = 0) -> Optional[Offsets]:
        span = self.word_to_tokens(word_index, sequence_index)
        if span is None:
            return None
        offsets = self.offsets
        return (offsets[span[0]][0], offsets[span[1] - 1][1])


_C._set_encoding_class(Encoding)

class AddedToken:
    """A token added on top of the model's vocabulary (HF's tokenizers.AddedToken).
    `normalized` defaults to ``not special`` (resolved when the token is added)."""

    __slots__ = ("content", "single_word", "lstrip", "rstrip", "_normalized", "special")

    def __init__(self, content: str, single_word: bool = False, lstrip: bool = False,
                 rstrip: bool = False, normalized: Optional[bool] = None, special: bool = False):
        self.content, self.single_word, self.lstrip, self.rstrip = content, single_word, lstrip, rstrip
        self._normalized, self.special = normalized, special

    @property
    def normalized(self) -> bool:
        return (not self.special) if self._normalized is None else self._normalized

    def __repr__(self) -> str:  # HF's format, content unescaped
        return (f'AddedToken("{self.content}", rstrip={self.rstrip}, lstrip={self.lstrip}, '
                f"single_word={self.single_word}, normalized={self.normalized}, special={self.special})")

    def __str__(self) -> str:
        return self.content

    def _key(self):
        return (self.content, self.single_word, self.lstrip, self.rstrip, self.normalized, self.special)

    def __eq__(self, other) -> bool:  # as HF's: every field; hashed by content
        return isinstance(other, AddedToken) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self.content)


def _token_spec(tok, special: bool):
    """(content, single_word, lstrip, rstrip, normalized, special) for the core."""
    if isinstance(tok, str):
        return (tok, False, False, False, not special, special)
    is_special = special or bool(tok.special)
    if isinstance(tok, AddedToken):
        normalized = (not is_special) if tok._normalized is None else tok._normalized
    else:  # HF's AddedToken: its `normalized` is already resolved against its own `special`
        normalized = bool(tok.normalized) if (tok.special or not special) else False
    return (tok.content, bool(tok.single_word), bool(tok.lstrip), bool(tok.rstrip),
            bool(normalized), is_special)


InputSequence = Union[str, Tuple[str, str], List[str]]


_Core = _C.Tokenizer

# A tokenizer.json holding no component but one: HF builds that component from it.
_BARE = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": [],
         "normalizer": None, "pre_tokenizer": None, "post_processor": None, "decoder": None,
         "model": {"type": "WordLevel", "vocab": {}, "unk_token": "[UNK]"}}


def _component_property(name: str) -> property:
    """tokenizer.<name> as HF's: its component object (HF tokenizers' own class, built from
    this tokenizer.json: what transformers reads, e.g. post_processor.num_special_tokens_to_add
    or decoder.decode), or None; assigning an HF component object (or None) replaces it."""

    def get(self):
        part = self._component(name)
        if part == "null":
            return None
        try:
            import tokenizers as hf
        except ImportError as e:
            raise ImportError(f"Tokenizer.{name} is HF tokenizers' {name} object: "
                              "install tokenizers to read it") from e
        doc = dict(_BARE)
        doc[name] = json.loads(part)
        return getattr(hf.Tokenizer.from_str(json.dumps(doc)), name)

    def set(self, value):
        if value is None:
            part = "null"
        else:
            state = getattr(value, "__getstate__", None)
            part = state() if state is not None else None
            if not isinstance(part, (bytes, str)):
                raise TypeError(f"Tokenizer.{name} takes a tokenizers {name} object or None, "
                                f"not {type(value).__name__}")
            part = part.decode("utf-8") if isinstance(part, bytes) else part
        keep = self.encode_special_tokens
        self._set_state(self._component(name, part).encode("utf-8"))
        self.encode_special_tokens = keep

    return property(get, set, doc=_component_property.__doc__.replace("<name>", name))


def _unpickle(state: bytes) -> "Tokenizer":
    return Tokenizer.from_buffer(state)


class Tokenizer(_C.Tokenizer):
    """Load a ``tokenizer.json`` and encode/decode exactly as ``tokenizers.Tokenizer``.

    Made by ``from_file`` / ``from_str`` / ``from_buffer`` / ``from_pretrained``. ``encode``
    is the C core's method itself (no Python frame per call); the rest are thin wrappers
    giving HF's signatures."""

    __slots__ = ()

    # -- pickling (as HF's: the tokenizer.json text with the current truncation, padding and
    # added tokens; encode_special_tokens is not part of it, there as here)
    def __getstate__(self) -> bytes:
        return self.to_str().encode("utf-8")

    def __setstate__(self, state: bytes) -> None:
        self._set_state(state)

    def __reduce__(self):
        return (_unpickle, (self.__getstate__(),))

    # -- components (HF's objects, as transformers reads and sets them)
    normalizer = _component_property("normalizer")
    pre_tokenizer = _component_property("pre_tokenizer")
    model = _component_property("model")
    post_processor = _component_property("post_processor")
    decoder = _component_property("decoder")

    # -- loading: from_file(path), from_str(json), from_buffer(bytes) are the core's
    # classmethods (they make a Tokenizer)
    @staticmethod
    def from_pretrained(identifier: Union[str, os.PathLike], revision: str = "main",
                        token: Optional[str] = None) -> "Tokenizer":
        """A local folder (or file) holding tokenizer.json, else a Hub repo id: its
        tokenizer.json is fetched through hfc.hub into the cache huggingface_hub shares
        (HF_ENDPOINT, HF_HOME, HF_HUB_OFFLINE and the token apply as there)."""
        path = os.fspath(identifier)
        if os.path.isdir(path):
            path = os.path.join(path, "tokenizer.json")
        if not os.path.exists(path):
            from .hub import hf_hub_download
            path = hf_hub_download(os.fspath(identifier), "tokenizer.json", revision=revision,
                                   token=token)
        return Tokenizer.from_file(path)

    # -- encoding: encode(sequence, pair=None, is_pretokenized=False, add_special_tokens=True)
    # is the core's method (HF's signature)

    def encode_batch(self, inputs: Sequence[Union[str, Tuple[str, str]]],
                     is_pretokenized: bool = False,
                     add_special_tokens: bool = True) -> List[Encoding]:
        return _Core.encode_batch(self, inputs, add_special_tokens, is_pretokenized)

    def encode_batch_fast(self, inputs: Sequence[Union[str, Tuple[str, str]]],
                          is_pretokenized: bool = False,
                          add_special_tokens: bool = True) -> List[Encoding]:
        """encode_batch without offsets, as HF's: offsets (0, 0), no word ids, and the tokens
        of the text as empty strings (the special tokens the post-processor or padding add
        keep theirs)."""
        return _Core.encode_batch(self, inputs, add_special_tokens, is_pretokenized, True)

    # -- asyncio (HF's async_* methods: the work runs on a thread of the loop's executor,
    # with the GIL released in the core)
    def _in_executor(self, fn, *args):
        return asyncio.get_running_loop().run_in_executor(None, functools.partial(fn, *args))

    def async_encode(self, sequence: InputSequence, pair: Optional[InputSequence] = None,
                     is_pretokenized: bool = False, add_special_tokens: bool = True):
        return self._in_executor(self.encode, sequence, pair, is_pretokenized, add_special_tokens)

    def async_encode_batch(self, input: Sequence[Union[str, Tuple[str, str]]],
                           is_pretokenized: bool = False, add_special_tokens: bool = True):
        return self._in_executor(self.encode_batch, input, is_pretokenized, add_special_tokens)

    def async_encode_batch_fast(self, input: Sequence[Union[str, Tuple[str, str]]],
                                is_pretokenized: bool = False, add_special_tokens: bool = True):
        return self._in_executor(self.encode_batch_fast, input, is_pretokenized, add_special_tokens)

    def async_decode_batch(self, sequences: Iterable[Sequence[int]], skip_special_tokens: bool = True):
        return self._in_executor(self.decode_batch, list(sequences), skip_special_tokens)

    def encode_batch_ids(self, inputs: Sequence[Union[str, Tuple[str, str]]],
                         add_special_tokens: bool = True, padded: bool = False,
                         pad_id: Optional[int] = None):
        """Beyond HF: ids only, straight into NumPy, on hfc's pool.

        padded=False -> (ids int32[total], row_offsets int64[n + 1]); row i is
        ids[row_offsets[i]:row_offsets[i + 1]]. padded=True -> (ids int32[n, longest],
        attention_mask int8[n, longest]), right-padded with pad_id (default: the padding
        settings' pad_id, else 0). Truncation and padding settings apply as in encode_batch."""
        if pad_id is None:
            pad = self.padding
            pad_id = pad["pad_id"] if pad else 0
        return _Core.encode_batch_ids(self, inputs, add_special_tokens, padded, pad_id)

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = True) -> str:
        return _Core.decode(self, ids, skip_special_tokens)

    def decode_batch(self, sequences: Iterable[Sequence[int]],
                     skip_special_tokens: bool = True) -> List[str]:
        return [_Core.decode(self, ids, skip_special_tokens) for ids in sequences]

    # -- serialization
    def to_str(self, pretty: bool = False) -> str:
        """tokenizer.json text: the loaded file with the current truncation, padding and
        added tokens."""
        return _Core.to_str(self, 2 if pretty else -1)

    def save(self, path: Union[str, os.PathLike], pretty: bool = True) -> None:
        """Write to_str() atomically (temp file + rename): a killed process leaves no
        half-written tokenizer.json."""
        path = os.fspath(path)
        data = self.to_str(pretty).encode("utf-8")
        tmp = f"{path}.tmp.{os.getpid()}"
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    # -- added tokens
    def add_tokens(self, tokens: Sequence[Union[str, "AddedToken"]]) -> int:
        return self._add_tokens([_token_spec(t, False) for t in tokens])

    def add_special_tokens(self, tokens: Sequence[Union[str, "AddedToken"]]) -> int:
        return self._add_tokens([_token_spec(t, True) for t in tokens])

    def get_added_tokens_decoder(self) -> Dict[int, "AddedToken"]:
        """id -> AddedToken for every added token, in id order (HF's; transformers reads it)."""
        out = {}
        for t in sorted(json.loads(self.to_str())["added_tokens"], key=lambda t: t["id"]):
            out[t["id"]] = AddedToken(t["content"], single_word=t["single_word"], lstrip=t["lstrip"],
                                      rstrip=t["rstrip"], normalized=t["normalized"], special=t["special"])
        return out

    # -- vocabulary
    def token_to_id(self, token: str) -> Optional[int]:
        return _Core.token_to_id(self, token)

    def id_to_token(self, id: int) -> Optional[str]:
        return _Core.id_to_token(self, id)

    def get_vocab(self, with_added_tokens: bool = True) -> dict:
        return _Core.get_vocab(self, with_added_tokens)

    def get_vocab_size(self, with_added_tokens: bool = True) -> int:
        return _Core.get_vocab_size(self, with_added_tokens)

    def num_special_tokens_to_add(self, is_pair: bool) -> int:
        return _Core.num_special_tokens_to_add(self, is_pair)

    # -- truncation and padding (HF's names, arguments and property shapes)
    _STRATEGIES = ("longest_first", "only_first", "only_second")

    def enable_truncation(self, max_length: int, stride: int = 0,
                          strategy: str = "longest_first", direction: str = "right") -> None:
        if strategy not in self._STRATEGIES:
            raise ValueError(f"Unknown `strategy`: `{strategy}`. Use one of {list(self._STRATEGIES)}")
        if direction not in ("left", "right"):
            raise ValueError(f"Unknown `direction`: `{direction}`. Use one of ['left', 'right']")
        self._set_truncation(max_length, stride, self._STRATEGIES.index(strategy),
                                  direction == "left")

    def no_truncation(self) -> None:
        self._set_truncation(None)

    @property
    def truncation(self) -> Optional[dict]:
        t = self._get_truncation()
        if t is None:
            return None
        return {"max_length": t[0], "stride": t[1], "strategy": self._STRATEGIES[t[2]],
                "direction": "left" if t[3] else "right"}

    def enable_padding(self, direction: str = "right", pad_id: int = 0, pad_type_id: int = 0,
                       pad_token: str = "[PAD]", length: Optional[int] = None,
                       pad_to_multiple_of: Optional[int] = None) -> None:
        if direction not in ("left", "right"):
            raise ValueError(f"Unknown `direction`: `{direction}`. Use one of ['left', 'right']")
        self._set_padding(length, pad_to_multiple_of, pad_id, pad_type_id, pad_token,
                               direction == "left")

    def no_padding(self) -> None:
        self._set_padding(None)

    @property
    def padding(self) -> Optional[dict]:
        p = self._get_padding()
        if p is None:
            return None
        return {"length": p[0], "pad_to_multiple_of": p[1], "pad_id": p[2], "pad_type_id": p[3],
                "pad_token": p[4], "direction": "left" if p[5] else "right"}

    # encode_special_tokens: the core's attribute


class DecodeStream:
    """Incremental decoding of ids produced one at a time (HF's decoders.DecodeStream):
    ``step`` returns the new text once it is complete (no trailing partial character),
    else None. Same algorithm as tokenizers' step_decode_stream."""

    __slots__ = ("skip_special_tokens", "_ids", "_prefix", "_prefix_index")

    def __init__(self, ids: Optional[Sequence[int]] = None, skip_special_tokens: bool = False):
        self.skip_special_tokens = skip_special_tokens
        self._ids: List[int] = list(ids) if ids else []
        self._prefix = ""
        self._prefix_index = 0

    def step(self, tokenizer: Tokenizer, id: Union[int, Sequence[int]]) -> Optional[str]:
        decode = functools.partial(_Core.decode, tokenizer)
        skip = self.skip_special_tokens
        if not self._prefix and self._ids:
            new_prefix = decode(self._ids, skip)
            if not new_prefix.endswith("\ufffd"):
                self._prefix = new_prefix
                self._prefix_index = len(self._ids)
        if isinstance(id, int):
            self._ids.append(id)
        else:
            self._ids.extend(id)
        string = decode(self._ids, skip)
        if len(string.encode()) > len(self._prefix.encode()) and not string.endswith("\ufffd"):
            if not string.startswith(self._prefix):
                raise ValueError(
                    f"Invalid prefix encountered while decoding stream. Token ID: {self._ids[-1]}, "
                    f"Expected prefix: {self._prefix!r}, Actual string: {string!r}")
            new_text = string[len(self._prefix):]
            new_prefix_index = len(self._ids) - self._prefix_index
            self._ids = self._ids[self._prefix_index:]
            self._prefix = decode(self._ids, skip)
            self._prefix_index = new_prefix_index
            return new_text
        return None


def use_in_transformers(enable: bool = True) -> None:
    """Make every transformers fast tokenizer made from now on (``AutoTokenizer.from_pretrained``,
    ``PreTrainedTokenizerFast(...)``, model-specific classes) run on hfc's Tokenizer: each one,
    once transformers has built it, gets an hfc Tokenizer loaded from its backend's
    tokenizer.json (same vocabulary, components, added tokens, truncation and padding), so
    existing transformers code gets hfc's speed with the same outputs. A backend hfc cannot
    load (a Unigram model, a Precompiled normalizer) stays HF's. ``enable=False`` undoes it
    for tokenizers made afterwards."""
    from transformers import tokenization_utils_tokenizers as tut

    cls = tut.TokenizersBackend
    orig = getattr(cls.__init__, "_hfc_original", None)
    if not enable:
        if orig is not None:
            cls.__init__ = orig
        return
    if orig is not None:
        return  # already on

    base_init = cls.__init__

    @functools.wraps(base_init)
    def __init__(self, *args, **kwargs):
        base_init(self, *args, **kwargs)
        backend = self.__dict__.get("_tokenizer")
        if backend is None or isinstance(backend, Tokenizer):
            return
        try:
            ours = Tokenizer.from_str(backend.to_str())
        except (ValueError, NotImplementedError):
            return  # a component hfc does not have: HF's backend stays
        ours.encode_special_tokens = backend.encode_special_tokens
        self._tokenizer = ours

    __init__._hfc_original = base_init
    cls.__init__ = __init__

