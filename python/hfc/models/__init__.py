"""hfc.models: zero-copy safetensors and CPU encoders in C.

    from hfc.models import AutoModel, SentenceEmbedder
    model = AutoModel.from_pretrained("path/to/bert")          # config.json + safetensors
    model = AutoModel.from_pretrained("org/bert", revision="v1")  # or a Hub repo via hfc.hub
    out = model(input_ids, attention_mask=mask)                # NumPy or torch int tensors
    out.last_hidden_state, out.pooler_output                   # float32 NumPy arrays

    emb = SentenceEmbedder("path/to/all-MiniLM-L6-v2").encode(["a sentence", "another"])

Supported model_type: bert, roberta, xlm-roberta, camembert, distilbert (absolute
positions; activations gelu, gelu_python, gelu_new, gelu_pytorch_tanh, gelu_fast,
gelu_accurate, gelu_python_tanh, relu, quick_gelu, silu, swish, tanh, linear). Weights are
memory-mapped and used in place (fp32, f16 or bf16 in the file; compute is fp32); the
forward pass runs in C on hfc's thread pool (hfc.set_num_threads) with the GIL released.
Only safetensors checkpoints are read: a folder with only pytorch_model.bin is refused.
"""
from __future__ import annotations

import json
import os
from typing import List, Optional, Sequence, Union

import numpy as np

from .. import _C
from . import safetensors

__all__ = ["AutoModel", "EncoderModel", "EncoderOutput", "SentenceEmbedder", "safetensors"]

SUPPORTED_MODEL_TYPES = ("bert", "roberta", "xlm-roberta", "camembert", "distilbert")


class EncoderOutput:
    """Result of an encoder call: ``last_hidden_state`` float32 [batch, seq, hidden] and
    ``pooler_output`` float32 [batch, hidden] (None for models without a pooler).

    Positions where attention_mask is 0 hold zeros (transformers fills them with values
    no unmasked token depends on). A padded batch (from 1/8 of the tokens masked, first
    tokens kept) runs only its unmasked tokens through the layers."""

    __slots__ = ("last_hidden_state", "pooler_output")

    def __init__(self, last_hidden_state, pooler_output):
        self.last_hidden_state = last_hidden_state
        self.pooler_output = pooler_output

    def __getitem__(self, i):
        return (self.last_hidden_state, self.pooler_output)[i]

    def __repr__(self):
        pooled = None if self.pooler_output is None else self.pooler_output.shape
        return f"EncoderOutput(last_hidden_state={self.last_hidden_state.shape}, pooler_output={pooled})"


def _as_ids(x, name: str, like: Optional[np.ndarray] = None) -> Optional[np.ndarray]:
    """NumPy / torch / nested-list integer input -> C-contiguous int64 [batch, seq]."""
    if x is None:
        return None
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # torch.Tensor, without importing torch
        x = x.detach().cpu().numpy()
    arr = np.asarray(x)
    if arr.dtype == np.bool_ and name == "attention_mask":
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integers, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"{name} must have 2 dimensions [batch, seq], got shape {arr.shape}")
    if like is not None and arr.shape != like.shape:
        raise ValueError(f"{name} has shape {arr.shape}, but input_ids has {like.shape}")
    if arr.dtype.kind == "u" and arr.size and arr.max() > np.iinfo(np.int64).max:
        raise ValueError(f"{name}: value out of the int64 range")
    return np.ascontiguousarray(arr, dtype=np.int64)


class EncoderModel:
    """A loaded BERT-family encoder (see AutoModel.from_pretrained)."""

    def __init__(self, path: Union[str, os.PathLike]):
        path = os.fspath(path)
        self.name_or_path = path
        self._enc = _C.Encoder(path)
        self.config = self._enc.config

    @property
    def weights_size(self) -> int:
        """Bytes of tensor data in the checkpoint (memory-mapped, not copied)."""
        return self._enc.weights_size

    def __call__(self, input_ids, attention_mask=None, token_type_ids=None) -> EncoderOutput:
        ids = _as_ids(input_ids, "input_ids")
        if ids is None:
            raise ValueError("input_ids is required")
        mask = _as_ids(attention_mask, "attention_mask", ids)
        types = _as_ids(token_type_ids, "token_type_ids", ids)
        hidden, pooled = self._enc.forward(ids, mask, types)
        return EncoderOutput(hidden, pooled)

    forward = __call__

    def __repr__(self):
        c = self.config
        return (f"EncoderModel({c['model_type']}, layers={c['num_hidden_layers']}, "
                f"hidden={c['hidden_size']}, path={self.name_or_path!r})")


def _is_repo_id(name: str) -> bool:
    """Looks like "org/name" or "name" rather than a filesystem path."""
    parts = name.split("/")
    return (0 < len(parts) <= 2 and all(parts) and not name.startswith((".", "~"))
            and "\\" not in name and not os.path.isabs(name))


def _hub_get(repo_id: str, filename: str, revision, token, optional=False) -> Optional[str]:
    from .. import hub
    try:
        return hub.hf_hub_download(repo_id, filename, revision=revision, token=token)
    except hub.EntryNotFoundError:
        if optional:
            return None
        raise


def _hub_model_folder(repo_id: str, revision: Optional[str], token, extra=()) -> str:
    """Fetch what an encoder needs from the Hub (config.json, then model.safetensors, else
    model.safetensors.index.json and its shards, plus `extra` files that exist) through
    hfc.hub into the cache huggingface_hub shares; return the snapshot folder."""
    def get(filename, optional=False):
        return _hub_get(repo_id, filename, revision, token, optional)

    folder = os.path.dirname(get("config.json"))
    if get("model.safetensors", optional=True) is None:
        index = get("model.safetensors.index.json", optional=True)
        if index is None:
            raise FileNotFoundError(
                f"{repo_id}: no model.safetensors or model.safetensors.index.json in the repo "
                "(hfc reads only safetensors checkpoints)")
        weight_map = _read_json(index, {}).get("weight_map", {})
        for shard in sorted(set(weight_map.values()) if isinstance(weight_map, dict) else ()):
            get(shard)  # names are checked by the C checkpoint reader on load
    for name in extra:
        get(name, optional=True)
    return folder


def _model_folder(path, revision, token, extra=()) -> str:
    path = os.fspath(path)
    if os.path.isdir(path):
        return path
    if os.path.exists(path) or not _is_repo_id(path):
        raise FileNotFoundError(f"{path}: not a model folder (config.json + model.safetensors)")
    return _hub_model_folder(path, revision, token, extra)


class AutoModel:
    """``AutoModel.from_pretrained(path_or_repo_id, revision=None, token=None)``: the
    encoder of a local model folder, or of a Hub repo fetched through hfc.hub into the
    shared cache (HF_ENDPOINT, HF_HOME, HF_HUB_OFFLINE and the token apply as in
    huggingface_hub)."""

    @staticmethod
    def from_pretrained(path: Union[str, os.PathLike], revision: Optional[str] = None,
                        token=None, **_ignored) -> EncoderModel:
        return EncoderModel(_model_folder(path, revision, token))


def _read_json(path: str, default=None):
    if not os.path.exists(path):
        return default
    with open(path, "rb") as fh:
        try:
            return json.loads(fh.read())
        except ValueError as e:
            raise ValueError(f"{path}: invalid JSON: {e}") from None


_SENTENCE_FILES = ("modules.json", "sentence_bert_config.json", "tokenizer.json",
                   "1_Pooling/config.json")


class SentenceEmbedder:
    """Sentence embeddings of a sentence-transformers model folder (BERT-family
    transformer + Pooling [+ Normalize]), tokenized with hfc.tokenizers.

    Pooling follows 1_Pooling/config.json (mean, cls, max, mean_sqrt_len; several modes
    are concatenated in sentence-transformers' order); normalization follows modules.json
    (a Normalize module) unless ``normalize`` is given. Texts are truncated to
    sentence_bert_config.json's max_seq_length (else the tokenizer's settings)."""

    def __init__(self, path: Union[str, os.PathLike], revision: Optional[str] = None, token=None):
        from ..tokenizers import Tokenizer

        self.path = os.fspath(path)
        path = _model_folder(path, revision, token, _SENTENCE_FILES)
        if path != self.path:  # a Hub repo: its Pooling folder may be named otherwise
            modules = _read_json(os.path.join(path, "modules.json"), [])
            for m in modules if isinstance(modules, list) else ():
                if isinstance(m, dict) and str(m.get("type", "")).endswith("Pooling") and m.get("path"):
                    _hub_get(self.path, f"{m['path']}/config.json", revision, token, optional=True)
        modules = _read_json(os.path.join(path, "modules.json"), [])
        types = {m.get("type", "").rsplit(".", 1)[-1]: m for m in modules if isinstance(m, dict)}
        unknown = set(types) - {"Transformer", "Pooling", "Normalize"}
        if unknown:
            raise NotImplementedError(f"{path}/modules.json: unsupported modules {sorted(unknown)} "
                                      "(supported: Transformer, Pooling, Normalize)")
        self.model = EncoderModel(path)
        self.normalize = "Normalize" in types
        pool_dir = types["Pooling"].get("path", "1_Pooling") if "Pooling" in types else "1_Pooling"
        pool = _read_json(os.path.join(path, pool_dir, "config.json"), {})
        modes = [m for m in ("cls_token", "max_tokens", "mean_tokens", "mean_sqrt_len_tokens")
                 if pool.get(f"pooling_mode_{m}")]
        if pool.get("pooling_mode"):
            modes = [{"cls": "cls_token", "max": "max_tokens", "mean": "mean_tokens"}.get(
                pool["pooling_mode"], pool["pooling_mode"])]
        for key in ("pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"):
            if pool.get(key):
                raise NotImplementedError(f"{path}/{pool_dir}/config.json: {key} is not supported")
        self.pooling = modes or ["mean_tokens"]
        st_cfg = _read_json(os.path.join(path, "sentence_bert_config.json"), {})
        self.max_seq_length = st_cfg.get("max_seq_length")
        self.do_lower_case = bool(st_cfg.get("do_lower_case", False))
        self.tokenizer = Tokenizer.from_file(os.path.join(path, "tokenizer.json"))
        self.tokenizer.no_padding()
        limit = self.model.config["max_position_embeddings"]
        if self.model.config["model_type"] != "bert" and self.model.config["model_type"] != "distilbert":
            limit -= self.model.config["pad_token_id"] + 1
        if self.max_seq_length is None:
            trunc = self.tokenizer.truncation
            self.max_seq_length = trunc["max_length"] if trunc else limit
        self.max_seq_length = min(int(self.max_seq_length), limit)
        self.tokenizer.enable_truncation(max_length=self.max_seq_length)
        pad = self.tokenizer.token_to_id("[PAD]")
        self._pad_id = self.model.config["pad_token_id"] if pad is None else pad

    def _pool(self, hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
        m = mask[:, :, None].astype(np.float32)
        parts = []
        for mode in self.pooling:
            if mode == "cls_token":
                parts.append(hidden[:, 0])
            elif mode == "max_tokens":
                parts.append(np.where(m > 0, hidden, np.float32(-1e9)).max(axis=1))
            else:
                total = (hidden * m).sum(axis=1)
                count = np.maximum(m.sum(axis=1), np.float32(1e-9))
                parts.append(total / (count if mode == "mean_tokens" else np.sqrt(count)))
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)

    def encode(self, texts: Union[str, Sequence[str]], batch_size: int = 32,
               normalize: Optional[bool] = None) -> np.ndarray:
        """float32 [len(texts), dim] (or [dim] for one string)."""
        single = isinstance(texts, str)
        items: List[str] = [texts] if single else list(texts)
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        for i, t in enumerate(items):
            if not isinstance(t, str):
                raise TypeError(f"texts[{i}] is {type(t).__name__}, expected str")
        if self.do_lower_case:
            items = [t.lower() for t in items]
        encs = [e.ids for e in self.tokenizer.encode_batch(items)] if items else []
        order = sorted(range(len(encs)), key=lambda i: -len(encs[i]))
        dim = None
        out = None
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            longest = max(len(encs[i]) for i in idx)
            ids = np.full((len(idx), longest), self._pad_id, dtype=np.int64)
            mask = np.zeros((len(idx), longest), dtype=np.int64)
            for row, i in enumerate(idx):
                ids[row, :len(encs[i])] = encs[i]
                mask[row, :len(encs[i])] = 1
            pooled = self._pool(self.model(ids, mask).last_hidden_state, mask)
            if out is None:
                dim = pooled.shape[1]
                out = np.empty((len(items), dim), dtype=np.float32)
            out[idx] = pooled
        if out is None:
            out = np.zeros((0, self.model.config["hidden_size"] * len(self.pooling)), np.float32)
        if self.normalize if normalize is None else normalize:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out = out / np.maximum(norms, np.float32(1e-12))
        return out[0] if single else out

    def __repr__(self):
        return (f"SentenceEmbedder({self.path!r}, pooling={self.pooling}, "
                f"normalize={self.normalize}, max_seq_length={self.max_seq_length})")
