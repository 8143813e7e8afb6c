#!/usr/bin/env python3
"""Generate csrc/tokenizers/regex_tables.h: per-code-point class flags for the
hand-written pre-tokenizer scanners in csrc/tokenizers/regex_scan.c.

The flags are derived from Oniguruma itself, by asking the engine which code points
match \\p{Lu}, \\p{Ll}, ..., \\s, so a scanner cannot disagree with the engine about a
character class.

Which Oniguruma? HF tokenizers bundles its own copy (the onig_sys crate, statically
linked into the `tokenizers` wheel); that copy is the reference. The system libonig may
be older (Debian's 6.9.8 knows Unicode 14, the wheel's Oniguruma Unicode 16), so by
default the tables come from the wheel, queried through its Python API
(Split(Regex(...), "removed") over a string of every Unicode scalar value).
`--engine system` queries libonig through ctypes instead. Either way the script then
cross-checks against the other engine when it is available and fails unless every
difference is a code point the older engine calls unassigned (\\p{Cn}).

It also checks the assumptions the scanners hard-code: the classes they test are
disjoint where the scanners assume so, \\p{L} is the union of its five subcategories, and
(?i:x) for the contraction letters matches exactly the expected characters.

    python3 scripts/gen_regex_tables.py > csrc/tokenizers/regex_tables.h
    python3 scripts/gen_regex_tables.py --engine system > /tmp/regex_tables_system.h
"""
import argparse
import ctypes
import ctypes.util
import sys

MAX_CP = 0x110000
SCALARS = [c for c in range(MAX_CP) if not 0xD800 <= c <= 0xDFFF]

# Flag bits (one byte per code point). \p{L} = LU | LL | LO.
FLAGS = [
    ("TK_RC_LU", 0x01, "Lu or Lt (o200k's upper-case set, with Lm Lo M)"),
    ("TK_RC_LL", 0x02, "Ll"),
    ("TK_RC_LO", 0x04, "Lm or Lo"),
    ("TK_RC_M", 0x08, "\\p{M}"),
    ("TK_RC_N", 0x10, "\\p{N}"),
    ("TK_RC_WS", 0x20, "\\s (Oniguruma, UTF-8)"),
    ("TK_RC_P", 0x40, "\\p{P}"),
    ("TK_RC_S", 0x80, "\\p{S}"),
]
PROPS = ["\\p{Lu}", "\\p{Lt}", "\\p{Ll}", "\\p{Lm}", "\\p{Lo}", "\\p{L}", "\\p{M}",
         "\\p{N}", "\\s", "\\p{P}", "\\p{S}", "\\p{Cn}"]
# (?i:x) for each letter of the contractions 's 't 're 've 'm 'll 'd: the expected sets.
FOLDS = {ch: {ord(ch), ord(ch.upper())} for ch in "strevmld"}
FOLDS["s"].add(0x17F)  # LATIN SMALL LETTER LONG S folds to 's'


class HfEngine:
    """The Oniguruma compiled into the installed `tokenizers` wheel."""

    def __init__(self):
        import tokenizers
        from tokenizers import Regex, pre_tokenizers
        self.name = "tokenizers %s (its bundled Oniguruma)" % tokenizers.__version__
        self._split = lambda p: pre_tokenizers.Split(Regex(p), "removed")
        self._text = "".join(map(chr, SCALARS))

    def matching(self, prop):
        # "removed" keeps the gaps between matches; char offsets index SCALARS.
        pieces = self._split("(?:%s)+" % prop).pre_tokenize_str(self._text)
        hit = bytearray([1]) * len(SCALARS)
        for _, (a, b) in pieces:
            hit[a:b] = bytes(b - a)
        return {SCALARS[i] for i, h in enumerate(hit) if h}


class SystemEngine:
    """libonig through ctypes: Oniguruma as the C code links it."""

    class Region(ctypes.Structure):
        _fields_ = [("allocated", ctypes.c_int), ("num_regs", ctypes.c_int),
                    ("beg", ctypes.POINTER(ctypes.c_int)),
                    ("end", ctypes.POINTER(ctypes.c_int))]

    def __init__(self):
        path = ctypes.util.find_library("onig")
        if not path:
            raise OSError("libonig not found")
        lib = ctypes.CDLL(path)
        lib.onig_version.restype = ctypes.c_char_p
        self.name = "system libonig %s" % lib.onig_version().decode()
        self.lib = lib
        self.enc = ctypes.addressof(ctypes.c_char.in_dll(lib, "OnigEncodingUTF8"))
        self.syntax = ctypes.c_void_p.in_dll(lib, "OnigDefaultSyntax").value
        encs = (ctypes.c_void_p * 1)(self.enc)
        lib.onig_initialize(encs, 1)
        lib.onig_new.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p,
                                 ctypes.c_char_p, ctypes.c_uint, ctypes.c_void_p,
                                 ctypes.c_void_p, ctypes.c_void_p]
        lib.onig_search.argtypes = [ctypes.c_void_p] + [ctypes.c_void_p] * 4 + \
            [ctypes.c_void_p, ctypes.c_uint]
        lib.onig_region_new.restype = ctypes.POINTER(self.Region)
        lib.onig_free.argtypes = [ctypes.c_void_p]
        lib.onig_region_free.argtypes = [ctypes.POINTER(self.Region), ctypes.c_int]
        self._text = "".join(map(chr, SCALARS)).encode("utf-8")
        # byte offset -> index in SCALARS
        self._starts = {}
        off = 0
        for i, c in enumerate(SCALARS):
            self._starts[off] = i
            off += len(chr(c).encode("utf-8"))

    def matching(self, prop):
        lib = self.lib
        pat = ("(?:%s)+" % prop).encode()
        reg = ctypes.c_void_p()
        einfo = ctypes.create_string_buffer(64)
        pbuf = ctypes.create_string_buffer(pat, len(pat))
        base = ctypes.addressof(pbuf)
        r = lib.onig_new(ctypes.byref(reg), ctypes.cast(base, ctypes.c_char_p),
                         ctypes.cast(base + len(pat), ctypes.c_char_p), 0, self.enc,
                         self.syntax, einfo)
        if r != 0:
            raise RuntimeError("onig_new(%r) = %d" % (pat, r))
        text = ctypes.create_string_buffer(self._text, len(self._text))
        t0 = ctypes.addressof(text)
        n = len(self._text)
        region = lib.onig_region_new()
        out, pos = set(), 0
        while pos < n:
            r = lib.onig_search(reg, t0, t0 + n, t0 + pos, t0 + n, region, 0)
            if r < 0:
                break
            a, b = region.contents.beg[0], region.contents.end[0]
            for i in range(self._starts[a], self._starts.get(b, len(SCALARS))):
                out.add(SCALARS[i])
            pos = b
        lib.onig_region_free(region, 1)
        lib.onig_free(reg)
        return out


def query(engine):
    sets = {p: engine.matching(p) for p in PROPS}
    folds = {ch: engine.matching("(?i:%s)" % ch) for ch in FOLDS}
    return sets, folds


def check_assumptions(sets, folds, name):
    def fail(msg):
        sys.exit("gen_regex_tables: %s: %s" % (name, msg))
    union = set().union(*(sets[p] for p in ["\\p{Lu}", "\\p{Lt}", "\\p{Ll}", "\\p{Lm}",
                                            "\\p{Lo}"]))
    if union != sets["\\p{L}"]:
        fail("\\p{L} is not the union of Lu Lt Ll Lm Lo")
    disjoint = ["\\p{L}", "\\p{M}", "\\p{N}", "\\s", "\\p{P}", "\\p{S}"]
    for i, a in enumerate(disjoint):
        for b in disjoint[i + 1:]:
            if sets[a] & sets[b]:
                fail("%s and %s overlap" % (a, b))
    for ch, want in FOLDS.items():
        if folds[ch] != want:
            fail("(?i:%s) matches %s, expected %s" % (ch, sorted(map(hex, folds[ch])),
                                                      sorted(map(hex, want))))


def flags_of(sets):
    f = bytearray(MAX_CP)
    bit = {name: v for name, v, _ in FLAGS}
    for props, name in [(["\\p{Lu}", "\\p{Lt}"], "TK_RC_LU"), (["\\p{Ll}"], "TK_RC_LL"),
                        (["\\p{Lm}", "\\p{Lo}"], "TK_RC_LO"), (["\\p{M}"], "TK_RC_M"),
                        (["\\p{N}"], "TK_RC_N"), (["\\s"], "TK_RC_WS"),
                        (["\\p{P}"], "TK_RC_P"), (["\\p{S}"], "TK_RC_S")]:
        for p in props:
            for c in sets[p]:
                f[c] |= bit[name]
    return f


def two_stage(flags, shift):
    size = 1 << shift
    blocks, index, stage1 = [], {}, []
    for base in range(0, MAX_CP, size):
        blk = bytes(flags[base:base + size])
        if blk not in index:
            index[blk] = len(blocks)
            blocks.append(blk)
        stage1.append(index[blk])
    return stage1, blocks


def c_array(values, per_line, width):
    lines = []
    for i in range(0, len(values), per_line):
        lines.append("    " + ",".join("%*d" % (width, v) for v in values[i:i + per_line]) + ",")
    return "\n".join(lines)


def emit(flags, engine_name, cross):
    best = None
    for shift in (7, 8):  # >= 7: block 0 is the ASCII table the scanners index directly
        stage1, blocks = two_stage(flags, shift)
        s1 = len(stage1) * (1 if len(blocks) <= 256 else 2)
        total = s1 + len(blocks) * (1 << shift)
        if best is None or total < best[0]:
            best = (total, shift, stage1, blocks)
    total, shift, stage1, blocks = best
    s1type = "uint8_t" if len(blocks) <= 256 else "uint16_t"
    out = []
    w = out.append
    w("/* GENERATED by scripts/gen_regex_tables.py -- do not edit.")
    w(" * Regenerate: python3 scripts/gen_regex_tables.py > csrc/tokenizers/regex_tables.h")
    w(" *")
    w(" * Character classes of every code point as Oniguruma sees them, for the hand-written")
    w(" * pre-tokenizer scanners (regex_scan.c). Source engine: %s." % engine_name)
    for line in cross:
        w(" * %s" % line)
    w(" * Two-stage lookup: block = tk_rc_stage1[cp >> %d], flags = tk_rc_stage2[block][cp & %d]."
      % (shift, (1 << shift) - 1))
    w(" * %d bytes. \\p{L} = TK_RC_LU | TK_RC_LL | TK_RC_LO. */" % total)
    w("#ifndef HFC_TK_REGEX_TABLES_H")
    w("#define HFC_TK_REGEX_TABLES_H")
    w("")
    w("#include <stdint.h>")
    w("")
    for name, v, doc in FLAGS:
        w("#define %-9s 0x%02X /* %s */" % (name, v, doc))
    w("#define TK_RC_L (TK_RC_LU | TK_RC_LL | TK_RC_LO)")
    w("")
    w("#define TK_RC_SHIFT %d" % shift)
    w("static const %s tk_rc_stage1[%d] = {" % (s1type, len(stage1)))
    w(c_array(stage1, 24, 3))
    w("};")
    w("static const uint8_t tk_rc_stage2[%d][%d] = {" % (len(blocks), 1 << shift))
    for blk in blocks:
        w("    {")
        w(c_array(list(blk), 32, 3))
        w("    },")
    w("};")
    w("")
    w("/* Flags of code point cp (0 for cp > U+10FFFF). */")
    w("static inline unsigned tk_rc_class(uint32_t cp) {")
    w("    if (cp >= 0x110000) return 0;")
    w("    return tk_rc_stage2[tk_rc_stage1[cp >> TK_RC_SHIFT]][cp & ((1u << TK_RC_SHIFT) - 1)];")
    w("}")
    w("")
    w("#endif /* HFC_TK_REGEX_TABLES_H */")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--engine", choices=["hf", "system"], default="hf")
    args = ap.parse_args()
    make = {"hf": HfEngine, "system": SystemEngine}
    engine = make[args.engine]()
    sets, folds = query(engine)
    check_assumptions(sets, folds, engine.name)
    cross = []
    other_kind = "system" if args.engine == "hf" else "hf"
    try:
        other = make[other_kind]()
    except (ImportError, OSError) as e:
        print("gen_regex_tables: no cross-check (%s)" % e, file=sys.stderr)
        other = None
    if other is not None:
        osets, ofolds = query(other)
        check_assumptions(osets, ofolds, other.name)
        a_cn, b_cn = sets["\\p{Cn}"], osets["\\p{Cn}"]
        diff = set()
        for p in PROPS[:-1]:
            d = sets[p] ^ osets[p]
            bad = [c for c in d if c not in a_cn and c not in b_cn]
            if bad:
                sys.exit("gen_regex_tables: %s differs between %s and %s on assigned "
                         "code points, e.g. U+%04X" % (p, engine.name, other.name, bad[0]))
            diff |= d
        cross.append("Cross-checked against %s:" % other.name)
        cross.append("%d code points differ, all unassigned (\\p{Cn}) in the engine with the"
                     % len(diff))
        cross.append("older Unicode (characters added since: letters, digits, marks, ...).")
    sys.stdout.write(emit(flags_of(sets), engine.name, cross))


if __name__ == "__main__":
    main()
