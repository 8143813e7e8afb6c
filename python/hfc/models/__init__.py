"""hfc.models: zero-copy safetensors and CPU encoders (BERT, RoBERTa/XLM-R, DistilBERT)."""
from . import safetensors

__all__ = ["safetensors"]
