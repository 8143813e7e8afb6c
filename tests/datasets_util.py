"""Generated data for the hfc.datasets parity tests: every supported Arrow type with
nulls, nested lists and structs, ClassLabel, fixed-length lists, large_string, Array2D
(an extension type), written by HF datasets itself."""
import numpy as np

N_ROWS = 257


def features():
    import datasets as hd
    V = hd.Value
    return hd.Features({
        "i8": V("int8"), "i16": V("int16"), "i32": V("int32"), "i64": V("int64"),
        "u8": V("uint8"), "u16": V("uint16"), "u32": V("uint32"), "u64": V("uint64"),
        "f16": V("float16"), "f32": V("float32"), "f64": V("float64"), "b": V("bool"),
        "s": V("string"), "ls": V("large_string"), "bin": V("binary"), "lbin": V("large_binary"),
        "label": hd.ClassLabel(names=["neg", "neu", "pos"]),
        "ids": hd.List(V("int32")),
        "words": hd.LargeList(V("string")),
        "fixed": hd.List(V("float32"), length=3),
        "nested": {"x": V("int64"), "tags": hd.List({"k": V("string"), "v": hd.List(V("int16"))})},
        "grid": hd.Array2D(shape=(2, 2), dtype="int32"),
        "nothing": V("null"),
    })


def columns(n=N_ROWS, seed=0):
    rng = np.random.default_rng(seed)

    def maybe(v, i, every=7):
        return None if i % every == 3 else v

    words = ["alpha", "béta", "γάμμα", "", "日本語", "emoji 🙂", "x" * 40]
    cols = {
        "i8": [maybe(int(rng.integers(-128, 128)), i) for i in range(n)],
        "i16": [maybe(int(rng.integers(-2**15, 2**15)), i, 5) for i in range(n)],
        "i32": [int(rng.integers(-2**31, 2**31)) for i in range(n)],
        "i64": [maybe(int(rng.integers(-2**62, 2**62)), i) for i in range(n)],
        "u8": [int(rng.integers(0, 256)) for i in range(n)],
        "u16": [maybe(int(rng.integers(0, 2**16)), i) for i in range(n)],
        "u32": [int(rng.integers(0, 2**32)) for i in range(n)],
        "u64": [maybe(int(rng.integers(0, 2**62)) * 2 + 1, i) for i in range(n)],
        "f16": [maybe(float(np.float16(rng.normal())), i) for i in range(n)],
        "f32": [float(np.float32(rng.normal())) for i in range(n)],
        "f64": [maybe(float(rng.normal()), i, 4) for i in range(n)],
        "b": [maybe(bool(rng.integers(0, 2)), i, 6) for i in range(n)],
        "s": [maybe(words[i % len(words)] + str(i), i) for i in range(n)],
        "ls": [maybe(words[(i * 3) % len(words)], i, 9) for i in range(n)],
        "bin": [maybe(bytes(rng.integers(0, 256, i % 9).astype(np.uint8)), i) for i in range(n)],
        "lbin": [bytes([i % 256]) * (i % 4) for i in range(n)],
        "label": [maybe(int(rng.integers(0, 3)), i, 11) for i in range(n)],
        "ids": [maybe([int(x) for x in rng.integers(0, 50000, i % 13)], i, 8) for i in range(n)],
        "words": [maybe([words[(i + k) % len(words)] for k in range(i % 4)], i, 10) for i in range(n)],
        "fixed": [maybe([float(np.float32(x)) for x in rng.normal(size=3)], i) for i in range(n)],
        "nested": [maybe({"x": maybe(i, i, 5),
                          "tags": [{"k": f"k{j}", "v": maybe(list(range(j)), j, 3)}
                                   for j in range(i % 3)]}, i, 12) for i in range(n)],
        "grid": [[[i, i + 1], [i + 2, i + 3]] for i in range(n)],
        "nothing": [None] * n,
    }
    return cols


def make_saved(path, num_shards=3, n=N_ROWS):
    """save_to_disk by HF datasets; returns the reference Dataset loaded back."""
    import datasets as hd
    ds = hd.Dataset.from_dict(columns(n), features=features())
    ds.save_to_disk(str(path), num_shards=num_shards)
    return hd.load_from_disk(str(path))
