#!/usr/bin/env python3
"""Generate csrc/tokenizers/unicode_tables.h: the Unicode data hfc.tokenizers needs.

    python3 scripts/gen_unicode.py            # writes csrc/tokenizers/unicode_tables.h
    python3 scripts/gen_unicode.py --check    # exit 1 if the committed header is stale

What HF tokenizers 0.23.3 uses, and which Unicode version each piece of it was built from:

  * unicode-normalization-alignments 0.1.12 (NFD/NFC/NFKD/NFKC, canonical combining
    classes, is_combining_mark for StripAccents): a fork of unicode-normalization 0.1.11
    whose tables are Unicode 9.0.0.
  * unicode_categories 0.1.1 (is_punctuation for Punctuation/BertPreTokenizer,
    is_mark_nonspacing for BertNormalizer's strip_accents, is_other = Cc|Cf|Co for
    BertNormalizer's clean_text): tables from a 2015 UnicodeData.txt (Unicode 8.0: the
    Unicode 9.0 punctuation of Newa, Bhaiksuki, Marchen and Adlam is missing).
  * Rust std (char::to_lowercase, is_whitespace, is_numeric, is_alphanumeric): the Unicode
    version of the rustc that built the 0.23.3 wheel; probing shows Unicode 17.0
    (e.g. U+A7CE lowercases to U+A7CF).
  * regex crate (the Whitespace pre-tokenizer's `\\w+|[^\\w\\s]+`): regex-syntax 0.8's
    tables, Unicode 16.0 by probing.
  * HF's own pre_tokenizers/unicode_scripts/scripts.rs (UnicodeScripts): Unicode 9.0 era.

Python 3.11's unicodedata is Unicode 14.0, which matches none of these exactly. So the
tables are built in two steps:
  1. from unicodedata (and the `regex` module's \\p{Alphabetic} when installed), the
     documented source;
  2. then every property a component can observe is probed on the reference library
     (tokenizers==0.23.3, which must be installed) for all 1,112,064 scalar values, and
     the reference wins. The differences are printed and summarised in the header.
Risk: code points assigned after Unicode 14.0 are only right where the reference can be
probed (all component-visible properties are); tk_is_alphanumeric (not used by any
component) depends on the `regex` module's Unicode version for them.

Surrogates (U+D800..U+DFFF) never occur in UTF-8 input; they get default properties.
"""

import argparse
import bisect
import os
import sys
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "csrc", "tokenizers", "unicode_tables.h")
MAXCP = 0x110000
CPS = [c for c in range(MAXCP) if not 0xD800 <= c < 0xE000]

# Record flags (mirrored in unicode.c).
F_WS = 1 << 0         # Rust char::is_whitespace
F_NUMERIC = 1 << 1    # Rust char::is_numeric
F_ALPHA = 1 << 2      # Rust char::is_alphabetic
F_PUNCT = 1 << 3      # unicode_categories is_punctuation (P*)
F_OTHER = 1 << 4      # unicode_categories is_other (Cc | Cf | Co)
F_MN = 1 << 5         # unicode_categories is_mark_nonspacing (Mn)
F_MARK = 1 << 6       # unicode-normalization is_combining_mark (M*)
F_RE_WORD = 1 << 7    # regex crate \w
F_RE_SPACE = 1 << 8   # regex crate \s
F_LOWER = 1 << 9      # to_lowercase(c) != c
F_CANON = 1 << 10     # has a canonical decomposition (Hangul syllables excluded)
F_COMPAT = 1 << 11    # compatibility decomposition differs from the canonical one
F_COMP2 = 1 << 12     # can be the second character of a canonical composition
F_NFC_INERT = 1 << 13  # CANON, yet NFC(c) == c and nothing before it composes with it
FLAG_NAMES = ["WS", "NUMERIC", "ALPHA", "PUNCT", "OTHER", "MN", "MARK", "RE_WORD",
              "RE_SPACE", "LOWER", "CANON", "COMPAT", "COMP2", "NFC_INERT"]

S_BASE, L_BASE, V_BASE, T_BASE = 0xAC00, 0x1100, 0x1161, 0x11A7
L_COUNT, V_COUNT, T_COUNT = 19, 21, 28
S_COUNT = L_COUNT * V_COUNT * T_COUNT


def is_hangul(c):
    return S_BASE <= c < S_BASE + S_COUNT


# ----------------------------------------------------------------- step 1: unicodedata

def ucd_decomp_map():
    canon, compat = {}, {}
    for c in CPS:
        d = unicodedata.decomposition(chr(c))
        if not d:
            continue
        parts = d.split()
        if parts[0].startswith("<"):
            compat[c] = [int(x, 16) for x in parts[1:]]
        else:
            canon[c] = [int(x, 16) for x in parts]
    return canon, compat


def full_decomp(c, canon, compat, compatible):
    """The crate's recursive expansion, NOT reordered (order decides the alignments)."""
    if c <= 0x7F:
        return [c]
    if is_hangul(c):
        si = c - S_BASE
        out = [L_BASE + si // (V_COUNT * T_COUNT), V_BASE + (si % (V_COUNT * T_COUNT)) // T_COUNT]
        if si % T_COUNT:
            out.append(T_BASE + si % T_COUNT)
        return out
    if c in canon:
        return [x for d in canon[c] for x in full_decomp(d, canon, compat, compatible)]
    if compatible and c in compat:
        return [x for d in compat[c] for x in full_decomp(d, canon, compat, compatible)]
    return [c]


def canonical_order(cps, ccc):
    out, i = list(cps), 0
    while i < len(out):  # stable sort of each run of non-starters
        if ccc.get(out[i], 0) == 0:
            i += 1
            continue
        j = i
        while j < len(out) and ccc.get(out[j], 0) != 0:
            j += 1
        out[i:j] = sorted(out[i:j], key=lambda x: ccc.get(x, 0))
        i = j
    return out


def ucd_props():
    """Everything from unicodedata 14.0 (plus `regex` for Alphabetic)."""
    try:
        import regex  # third-party; newer Unicode than unicodedata
        alpha_re = regex.compile(r"\p{Alphabetic}")
        alpha = lambda ch: alpha_re.match(ch) is not None  # noqa: E731
        alpha_src = "regex module \\p{Alphabetic}"
    except ImportError:
        alpha = lambda ch: ch.isalpha() or unicodedata.category(ch) == "Nl"  # noqa: E731
        alpha_src = "unicodedata L*|Nl (no Other_Alphabetic: install `regex`)"
    ws_set = {0x9, 0xA, 0xB, 0xC, 0xD, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F,
              0x205F, 0x3000} | set(range(0x2000, 0x200B))  # PropList White_Space
    p = {}
    for c in CPS:
        ch = chr(c)
        cat = unicodedata.category(ch)
        f = 0
        if c in ws_set:
            f |= F_WS | F_RE_SPACE
        if cat in ("Nd", "Nl", "No"):
            f |= F_NUMERIC
        if alpha(ch):
            f |= F_ALPHA
        if cat[0] == "P":
            f |= F_PUNCT
        if cat in ("Cc", "Cf", "Co"):
            f |= F_OTHER
        if cat == "Mn":
            f |= F_MN
        if cat[0] == "M":
            f |= F_MARK
        if alpha(ch) or cat[0] == "M" or cat in ("Nd", "Pc") or c in (0x200C, 0x200D):
            f |= F_RE_WORD
        p[c] = f
    return p, alpha_src


# ----------------------------------------------------------------- step 2: the reference

def probe_reference():
    """Observe every component-visible property on tokenizers (the spec)."""
    import tokenizers
    from tokenizers import normalizers as N, pre_tokenizers as P
    if tokenizers.__version__ != "0.23.3":
        print(f"warning: reference is tokenizers {tokenizers.__version__}, not 0.23.3",
              file=sys.stderr)
    r = {}
    nz = [c for c in CPS if c != 0]  # "\0" separates per-character results

    def per_char(normalizer):
        out = normalizer.normalize_str("\0".join(map(chr, nz))).split("\0")
        assert len(out) == len(nz)
        res = dict(zip(nz, out))
        res[0] = normalizer.normalize_str("\0")
        return res

    r["lower"] = per_char(N.Lowercase())
    r["nfd"] = per_char(N.NFD())
    r["nfc"] = per_char(N.NFC())
    r["nfkd"] = per_char(N.NFKD())
    sa = per_char(N.StripAccents())
    r["mark"] = {c for c in CPS if sa[c] == ""}
    mn = per_char(N.BertNormalizer(clean_text=False, handle_chinese_chars=False,
                                   strip_accents=True, lowercase=False))
    r["mn_nfd"] = mn  # NFD then filter(!Mn): only meaningful for non-decomposable chars

    # BertNormalizer clean_text: removed (0, U+FFFD, is_other minus \t\n\r) or ' '.
    na = [c for c in CPS if c != 0x61]
    out = N.BertNormalizer(clean_text=True, handle_chinese_chars=False, strip_accents=False,
                           lowercase=False).normalize_str("".join("a" + chr(c) for c in na))
    parts = out.split("a")[1:]
    assert len(parts) == len(na)
    r["clean"] = dict(zip(na, parts))
    r["clean"][0x61] = "a"

    def isolated_singletons(pretok):
        s = "".join("a" + chr(c) for c in CPS)
        hits = set()
        for _, (b, e) in pretok.pre_tokenize_str(s):
            if e == b + 1 and b % 2 == 1:
                hits.add(CPS[b // 2])
        return hits

    r["numeric"] = isolated_singletons(P.Digits(individual_digits=True))
    r["punc"] = isolated_singletons(P.Punctuation())

    s = "".join("a" + chr(c) for c in CPS)
    covered = bytearray(len(s))
    for _, (b, e) in P.WhitespaceSplit().pre_tokenize_str(s):
        covered[b:e] = b"\1" * (e - b)
    r["ws"] = {CPS[i // 2] for i in range(1, len(s), 2) if not covered[i]}

    s = "".join("a" + chr(c) + " " for c in CPS)
    covered = bytearray(len(s))
    word = set()
    for _, (b, e) in P.Whitespace().pre_tokenize_str(s):
        covered[b:e] = b"\1" * (e - b)
        if b % 3 == 0 and e == b + 2:
            word.add(CPS[b // 3])
    r["re_word"] = word
    r["re_space"] = {CPS[i // 3] for i in range(1, len(s), 3) if not covered[i]}

    r["scripts"] = probe_scripts(P.UnicodeScripts())
    return r


def probe_scripts(us):
    """UnicodeScripts' fixed_script() up to renaming: class 0 = Any (transparent)."""
    def starts(s):
        return {b for _, (b, _) in us.pre_tokenize_str(s)}

    non_any = set()
    for sep in ("a", "\u03b1"):  # Latin, Greek
        st = starts("".join(sep + chr(c) for c in CPS) + sep)
        non_any |= {CPS[i // 2] for i in st if i % 2 == 1}
    # Latin chars never split from 'a' but do from alpha, and vice versa for Greek.
    chars = sorted(non_any)
    st = starts("".join(map(chr, chars)))
    runs, cur = [], [chars[0]]
    for i in range(1, len(chars)):
        if i in st:
            runs.append(cur)
            cur = [chars[i]]
        else:
            cur.append(chars[i])
    runs.append(cur)
    reps, cls = [], {}
    for run in runs:
        r = run[0]
        k = None
        if reps:
            s = "".join(chr(r) + chr(q) for q in reps)
            st = starts(s)
            for j in range(len(reps)):
                if 2 * j + 1 not in st:
                    k = j
                    break
        if k is None:
            reps.append(r)
            k = len(reps) - 1
        for c in run:
            cls[c] = k + 1
    return cls


def probe_ccc_and_comp(ccc14, pairs14, nfd_ref):
    from tokenizers import normalizers as N
    nfd, nfc = N.NFD(), N.NFC()
    # Canonical combining classes never change once assigned, so a class differs only
    # when the character was unassigned in the reference's tables (class 0 there).
    cand = [c for c, k in ccc14.items() if nfd_ref[c] == chr(c)]
    probes = [chr(c) + "\u0334" if ccc14[c] > 1 else "\u0301" + chr(c) for c in cand]
    outs = nfd.normalize_str("\0".join(probes)).split("\0")
    ccc = {}
    for c, p, o in zip(cand, probes, outs):
        if o != p:  # reordered, so the class is nonzero in the reference
            ccc[c] = ccc14[c]
    for c, k in ccc14.items():
        if nfd_ref[c] != chr(c):
            ccc[c] = k  # decomposes in the reference: its own class is never consulted
    items = sorted(pairs14.items())
    outs = nfc.normalize_str("\0".join(chr(a) + chr(b) for (a, b), _ in items)).split("\0")
    comp = {ab: c for (ab, c), o in zip(items, outs) if o == chr(c)}
    return ccc, comp


# ----------------------------------------------------------------- build

def build():
    canon, compat = ucd_decomp_map()
    ccc14 = {c: unicodedata.combining(chr(c)) for c in CPS if unicodedata.combining(chr(c))}
    excl_pairs = {}
    for c, d in canon.items():
        if len(d) == 2 and unicodedata.normalize("NFC", chr(c)) == chr(c):
            excl_pairs[(d[0], d[1])] = c  # primary composites only
    props, alpha_src = ucd_props()
    report = []

    ref = probe_reference()
    flags = {}

    def diff(name, ucd_set, ref_set):
        only_u, only_r = ucd_set - ref_set, ref_set - ucd_set
        report.append(f"{name}: base and reference differ on "
                      f"{len(only_u) + len(only_r)} code points "
                      f"({len(only_u)} only in base, {len(only_r)} only in reference)")
        return ref_set

    def ucd_set(bit):
        return {c for c in CPS if props[c] & bit}

    ws = diff("is_whitespace", ucd_set(F_WS), ref["ws"])
    numeric = diff("is_numeric", ucd_set(F_NUMERIC), ref["numeric"])
    ascii_punct = {c for c in range(0x80) if chr(c) in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"}
    ref_p = {c for c in ref["punc"] if c >= 0x80} | (ucd_set(F_PUNCT) & set(range(0x80)))
    assert ref["punc"] == ref_p | ascii_punct, "Punctuation = ascii_punct | P*"
    punct = diff("is_punctuation (P*)", ucd_set(F_PUNCT), ref_p)
    # clean_text removes 0, U+FFFD and is_other minus \t\n\r; maps whitespace to ' '
    removed = {c for c in CPS if ref["clean"][c] == ""}
    other = (removed - {0, 0xFFFD}) | (ucd_set(F_OTHER) & {0, 0x9, 0xA, 0xD, 0xFFFD})
    assert all(ref["clean"][c] == " " for c in (ws - other) | {0x9, 0xA, 0xD} if c != 0x20)
    other = diff("is_other (Cc|Cf|Co)", ucd_set(F_OTHER), other)
    mark = diff("is_combining_mark (M*)", ucd_set(F_MARK), ref["mark"])
    nondec = {c for c in CPS if ref["nfd"][c] == chr(c)}
    mn_ref = {c for c in nondec if ref["mn_nfd"][c] == ""}
    mn = diff("is_mark_nonspacing (Mn), non-decomposable chars", ucd_set(F_MN) & nondec,
              mn_ref) | (ucd_set(F_MN) - nondec)
    re_word = diff("regex \\w", ucd_set(F_RE_WORD), ref["re_word"])
    re_space = diff("regex \\s", ucd_set(F_RE_SPACE), ref["re_space"])
    assert not (re_word & re_space)

    lower = {}
    py_lower_diff = []
    for c in CPS:
        lo = ref["lower"][c]
        if lo != chr(c):
            lower[c] = [ord(x) for x in lo]
        if chr(c).lower() != lo:
            py_lower_diff.append(c)
    report.append(f"to_lowercase: Python 3.11 str.lower() differs from the reference on "
                  f"{len(py_lower_diff)} code points: " + fmt_cps(py_lower_diff))

    # decompositions: the reference's NFD/NFKD of each char, stored in the crate's
    # (unsorted) expansion order, which decides the alignment of reordered marks.
    ccc, comp = probe_ccc_and_comp(ccc14, excl_pairs, ref["nfd"])
    report.append(f"canonical combining class: {sum(1 for c in ccc14 if c not in ccc)} "
                  f"code points with a class in 14.0 have class 0 in the reference")
    report.append(f"compositions: {len(excl_pairs) - len(comp)} of {len(excl_pairs)} 14.0 "
                  f"primary composites do not compose in the reference")
    dec_canon, dec_compat = {}, {}
    bad = []
    for kind, table, store in (("nfd", False, dec_canon), ("nfkd", True, dec_compat)):
        for c in CPS:
            got = [ord(x) for x in ref[kind][c]]
            if is_hangul(c) or got == [c]:
                continue
            exp = full_decomp(c, canon, compat, table)
            if canonical_order(exp, ccc) == got:
                store[c] = exp
            else:
                bad.append((kind, c))
                store[c] = got
    newer = sorted(c for c in CPS if not is_hangul(c) and c not in dec_canon and
                   full_decomp(c, canon, compat, False) != [c])
    reordered = sum(1 for t in (dec_canon, dec_compat) for v in t.values()
                    if canonical_order(v, ccc) != v)
    report.append(f"decompositions: {len(dec_canon)} canonical, {len(dec_compat)} "
                  f"compatibility; {len(bad)} differ from 14.0 ({fmt_cps(sorted({c for _, c in bad}))}); "
                  f"{len(newer)} canonical ones of 14.0 are absent ({fmt_cps(newer)}); "
                  f"{reordered} expansions are not in canonical order")
    for c in list(dec_compat):
        if dec_canon.get(c) == dec_compat[c]:
            del dec_compat[c]
    # Hangul syllables must not appear inside stored decompositions
    assert not any(is_hangul(x) for d in list(dec_canon.values()) + list(dec_compat.values())
                   for x in d)

    alpha = ucd_set(F_ALPHA)
    comp2 = {b for (_, b) in comp} | set(range(V_BASE, V_BASE + V_COUNT)) | \
        set(range(T_BASE + 1, T_BASE + T_COUNT))
    for c in CPS:
        f = 0
        f |= F_WS if c in ws else 0
        f |= F_NUMERIC if c in numeric else 0
        f |= F_ALPHA if c in alpha else 0
        f |= F_PUNCT if c in punct else 0
        f |= F_OTHER if c in other else 0
        f |= F_MN if c in mn else 0
        f |= F_MARK if c in mark else 0
        f |= F_RE_WORD if c in re_word else 0
        f |= F_RE_SPACE if c in re_space else 0
        f |= F_LOWER if c in lower else 0
        f |= F_CANON if c in dec_canon else 0
        f |= F_COMPAT if c in dec_compat else 0
        f |= F_COMP2 if c in comp2 else 0
        if (c in dec_canon and ref["nfc"][c] == chr(c) and dec_canon[c][0] not in comp2
                and not ccc.get(c)):
            f |= F_NFC_INERT
        flags[c] = f
    # normalizers.c sizes lowercase output by input bytes
    assert all(len(v) <= len(chr(c).encode()) for c, v in lower.items())
    # unicode.c's ASCII / Latin-1 fast paths rely on these
    assert not any(flags[c] & (F_MN | F_MARK) for c in range(0x300))
    assert {c for c in range(0x80) if flags[c] & F_OTHER} == set(range(0x20)) | {0x7F}
    assert {c for c in range(0x80) if flags[c] & F_WS} == {9, 10, 11, 12, 13, 32}
    assert not any(flags[c] & (F_CANON | F_COMPAT | F_COMP2) or ccc.get(c) for c in range(0x80))
    report.append(f"is_alphabetic: from {alpha_src} (no component uses it)")
    return dict(flags=flags, ccc=ccc, lower=lower, dec_canon=dec_canon, dec_compat=dec_compat,
                comp=comp, scripts=ref["scripts"], report=report)


def fmt_cps(cps, limit=40):
    rngs = []
    for c in cps:
        if rngs and rngs[-1][1] == c - 1:
            rngs[-1][1] = c
        else:
            rngs.append([c, c])
    s = ", ".join(f"U+{a:04X}" if a == b else f"U+{a:04X}..U+{b:04X}" for a, b in rngs[:limit])
    return s + (f", ... ({len(rngs)} ranges)" if len(rngs) > limit else "")


# ----------------------------------------------------------------- emit

def c_array(ctype, name, values, per_line=12, fmt="{}"):
    lines = [f"static const {ctype} {name}[{len(values)}] = {{"]
    for i in range(0, len(values), per_line):
        lines.append("    " + ", ".join(fmt.format(v) for v in values[i:i + per_line]) + ",")
    lines.append("};")
    return "\n".join(lines)


def two_level(values, shift):
    bs = 1 << shift
    blocks, index, stage1 = [], {}, []
    for i in range(0, MAXCP, bs):
        blk = tuple(values[i:i + bs])
        if blk not in index:
            index[blk] = len(blocks)
            blocks.append(blk)
        stage1.append(index[blk])
    return stage1, blocks


def emit(d):
    records, rec_index = [], {}
    per_cp = [0] * MAXCP
    for c in range(MAXCP):
        key = (d["flags"].get(c, 0), d["ccc"].get(c, 0))
        if key not in rec_index:
            rec_index[key] = len(records)
            records.append(key)
        per_cp[c] = rec_index[key]
    assert len(records) < 256, len(records)
    best = None
    for shift in range(5, 10):
        s1, blocks = two_level(per_cp, shift)
        size = len(s1) * 2 + len(blocks) * (1 << shift)
        if best is None or size < best[0]:
            best = (size, shift, s1, blocks)
    _, shift, s1, blocks = best
    assert len(blocks) < 65536

    lower_keys = sorted(d["lower"])
    lower_vals, lower_multi = [], []
    for c in lower_keys:
        lo = d["lower"][c]
        if len(lo) == 1:
            lower_vals.append(f"0x{lo[0]:X}")
        else:
            lower_vals.append(f"0x{0x80000000 | len(lower_multi):X}u")
            lower_multi += [len(lo)] + lo

    def dec_table(dec):
        keys = sorted(dec)
        pool, vals = [], []
        for c in keys:
            vals.append((len(pool) << 8) | len(dec[c]))
            pool += dec[c]
        return keys, vals, pool

    ck, cv, cp_ = dec_table(d["dec_canon"])
    kk, kv, kp = dec_table(d["dec_compat"])
    comp_keys = sorted(d["comp"])
    scripts = []
    for c in sorted(d["scripts"]):
        k = d["scripts"][c]
        if scripts and scripts[-1][1] == c - 1 and scripts[-1][2] == k:
            scripts[-1][1] = c
        else:
            scripts.append([c, c, k])
    assert max(k for _, _, k in scripts) < 256

    # GPT-2 byte-level alphabet (printable bytes map to themselves, the rest to 256+n)
    keep = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    b2c, n = {}, 0
    for b in range(256):
        if b in keep:
            b2c[b] = b
        else:
            b2c[b] = 256 + n
            n += 1
    c2b = [-1] * (max(b2c.values()) + 1)
    for b, c in b2c.items():
        c2b[c] = b

    out = []
    out.append("/* Generated by scripts/gen_unicode.py -- do not edit; rerun the script. */")
    out.append("/* Unicode versions (see the script's docstring for the full story):")
    out.append(" *   normalization, combining classes, is_combining_mark: Unicode 9.0.0")
    out.append(" *     (unicode-normalization-alignments 0.1.12)")
    out.append(" *   is_punctuation / is_mark_nonspacing / is_other: Unicode 8.0")
    out.append(" *     (unicode_categories 0.1.1)")
    out.append(" *   to_lowercase / is_whitespace / is_numeric: Rust std, Unicode 17.0")
    out.append(" *   regex \\w \\s (Whitespace pre-tokenizer): regex-syntax, Unicode 16.0")
    out.append(" *   scripts (UnicodeScripts): HF scripts.rs, Unicode 9.0 era")
    out.append(" * Base: Python unicodedata 14.0 (+ the `regex` module's Alphabetic), overridden by")
    out.append(" * probing tokenizers 0.23.3 for every code point, so characters assigned after 14.0")
    out.append(" * behave as in the reference for all component-visible properties (is_alphabetic,")
    out.append(" * used by no component, comes from the `regex` module and may differ from Rust std")
    out.append(" * for the newest characters):")
    for line in d["report"]:
        words, cur = line.split(" "), " *  "
        for w in words:
            if len(cur) + len(w) + 1 > 96:
                out.append(cur)
                cur = " *    "
            cur += " " + w
        out.append(cur)
    out.append(" */")
    out.append("#ifndef HFC_TK_UNICODE_TABLES_H\n#define HFC_TK_UNICODE_TABLES_H\n")
    out.append("#include <stdint.h>\n")
    for i, nm in enumerate(FLAG_NAMES):
        out.append(f"#define TK_UF_{nm} 0x{1 << i:04X}u")
    out.append(f"\n#define TK_U_SHIFT {shift}")
    out.append("typedef struct tk_u_record { uint16_t flags; uint8_t ccc; } tk_u_record;")
    out.append(f"static const tk_u_record tk_u_records[{len(records)}] = {{")
    for i in range(0, len(records), 6):
        out.append("    " + " ".join(f"{{0x{f:04X}, {k}}}," for f, k in records[i:i + 6]))
    out.append("};")
    out.append(c_array("uint16_t", "tk_u_stage1", s1, 16))
    flat = [v for b in blocks for v in b]
    out.append(c_array("uint8_t", "tk_u_stage2", flat, 24))
    out.append("\n/* to_lowercase: sorted keys; value = code point, or 0x80000000|i: "
               "tk_u_lower_multi[i] = length, then the code points */")
    out.append(c_array("uint32_t", "tk_u_lower_keys", [f"0x{k:X}" for k in lower_keys], 10))
    out.append(c_array("uint32_t", "tk_u_lower_vals", lower_vals, 10))
    out.append(c_array("uint32_t", "tk_u_lower_multi",
                       [f"0x{k:X}" for k in lower_multi] or ["0"], 10))
    out.append("\n/* Full decompositions in the crate's expansion order (not reordered): "
               "value = offset << 8 | length into the pool. The compatibility table only "
               "holds characters whose compatibility decomposition differs from the "
               "canonical one. */")
    out.append(c_array("uint32_t", "tk_u_canon_keys", [f"0x{k:X}" for k in ck], 10))
    out.append(c_array("uint32_t", "tk_u_canon_vals", [f"0x{k:X}" for k in cv], 10))
    out.append(c_array("uint32_t", "tk_u_canon_pool", [f"0x{k:X}" for k in cp_], 10))
    out.append(c_array("uint32_t", "tk_u_compat_keys", [f"0x{k:X}" for k in kk], 10))
    out.append(c_array("uint32_t", "tk_u_compat_vals", [f"0x{k:X}" for k in kv], 10))
    out.append(c_array("uint32_t", "tk_u_compat_pool", [f"0x{k:X}" for k in kp], 10))
    out.append("\n/* Canonical compositions (primary composites, Hangul excluded): "
               "key = first << 21 | second, sorted. */")
    out.append(c_array("uint64_t", "tk_u_comp_keys",
                       [f"0x{(a << 21) | b:X}ull" for a, b in comp_keys], 6))
    out.append(c_array("uint32_t", "tk_u_comp_vals",
                       [f"0x{d['comp'][k]:X}" for k in comp_keys], 10))
    out.append("\n/* UnicodeScripts' fixed_script() classes, as sorted inclusive ranges; "
               "0 (absent) = Any. Class numbers are arbitrary but equal iff same script. */")
    out.append("typedef struct tk_u_script_range { uint32_t lo, hi; uint8_t cls; } "
               "tk_u_script_range;")
    out.append(f"static const tk_u_script_range tk_u_scripts[{len(scripts)}] = {{")
    for i in range(0, len(scripts), 4):
        out.append("    " + " ".join(f"{{0x{a:X}, 0x{b:X}, {k}}}," for a, b, k in
                                     scripts[i:i + 4]))
    out.append("};")
    out.append("\n/* GPT-2 byte-level alphabet */")
    out.append(c_array("uint16_t", "tk_u_byte_to_char", [f"0x{b2c[b]:X}" for b in range(256)],
                       12))
    out.append(c_array("int16_t", "tk_u_char_to_byte", c2b, 16))
    out.append("\n#endif /* HFC_TK_UNICODE_TABLES_H */\n")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="fail if the header is stale")
    ap.add_argument("-o", "--output", default=OUT)
    args = ap.parse_args()
    d = build()
    for line in d["report"]:
        print(line)
    text = emit(d)
    if args.check:
        with open(args.output, encoding="utf-8") as f:
            if f.read() != text:
                print(f"{args.output} is stale: rerun scripts/gen_unicode.py", file=sys.stderr)
                return 1
        return 0
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {args.output} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
