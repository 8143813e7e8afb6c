/* hfc.tokenizers internals: the pieces every component shares.
 *
 * The pipeline mirrors HF tokenizers (tokenizers/src/tokenizer/), whose behaviour is
 * the spec:
 *   input --added tokens--> splits --normalizer--> --pre-tokenizer--> --model--> tokens
 *         --post-processor--> encoding;   ids --decoder--> text
 *
 * Offsets. A tk_norm is HF's NormalizedString: normalized UTF-8 bytes plus, for every
 * normalized byte, the range of ORIGINAL input bytes it came from (tk_align). Unlike HF we
 * store absolute offsets into the whole input (HF stores piece-relative offsets plus an
 * `original_shift`; the two are equivalent). Tokens carry byte offsets into their piece's
 * normalized text; the encoding maps them to original bytes through the alignments
 * (first token byte's start, last token byte's end), and the binding turns original byte
 * offsets into the character offsets Python users see.
 *
 * Memory. Everything made while encoding one input lives in the tk_ctx's arena and is
 * dropped by tk_ctx_reset. tk_norm buffers are copy-on-write: slices share their parent's
 * bytes and alignments; a transform writes new arrays. So splitting is O(1) per piece.
 *
 * Errors: components return hfc_status (see hfc/status.h); loaders report JSON problems
 * with hfc_json_fail_at(doc, value, path, ...) naming the JSON path, e.g.
 * "$.normalizer.normalizers[2].pattern".
 */
#ifndef HFC_TK_H
#define HFC_TK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hfc/hfc.h"

/* ------------------------------------------------------------------ context */

/* Per-encode scratch. One per thread; never shared. */
typedef struct tk_ctx {
    hfc_arena arena; /* reset per input */
} tk_ctx;

void tk_ctx_init(tk_ctx *c);
void tk_ctx_reset(tk_ctx *c);
void tk_ctx_free(tk_ctx *c);
/* Arena allocation that records HFC_ERR_NOMEM on failure (returns NULL). */
void *tk_alloc(tk_ctx *c, size_t size);

/* ------------------------------------------------------------------ UTF-8 */

/* Decode one code point at s[0..n) (input already validated); sets *len (1..4). */
static inline uint32_t tk_utf8_decode(const uint8_t *s, size_t n, int *len) {
    uint8_t b = s[0];
    if (b < 0x80 || n < 2) { *len = 1; return b; }
    if (b < 0xE0) { *len = 2; return ((uint32_t)(b & 0x1F) << 6) | (s[1] & 0x3F); }
    if (b < 0xF0 || n < 4) {
        *len = 3;
        return ((uint32_t)(b & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    }
    *len = 4;
    return ((uint32_t)(b & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
           ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
}
/* Encode c into out (>= 4 bytes); returns the byte length. */
static inline int tk_utf8_encode(uint32_t c, uint8_t *out) {
    if (c < 0x80) { out[0] = (uint8_t)c; return 1; }
    if (c < 0x800) { out[0] = (uint8_t)(0xC0 | (c >> 6)); out[1] = (uint8_t)(0x80 | (c & 0x3F)); return 2; }
    if (c < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (c >> 12)); out[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (c & 0x3F)); return 3;
    }
    out[0] = (uint8_t)(0xF0 | (c >> 18)); out[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3F)); out[3] = (uint8_t)(0x80 | (c & 0x3F));
    return 4;
}
static inline int tk_utf8_len(uint8_t lead) {
    return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

/* ------------------------------------------------------------------ NormalizedString */

typedef struct tk_align {
    uint32_t start, end; /* original input bytes [start, end) */
} tk_align;

typedef struct tk_norm {
    const char *s;      /* normalized UTF-8 (not NUL-terminated) */
    uint32_t len;       /* bytes */
    const tk_align *al; /* al[len]: one per normalized byte */
    uint32_t orig_start, orig_end; /* the original range this piece covers */
} tk_norm;

/* A whole input as a piece: identity alignments, al[i] = {base+i_char_start, base+i_char_end}
 * over each character's bytes (HF gives every byte of a char the char's byte range). */
hfc_status tk_norm_from_original(tk_ctx *c, const char *s, uint32_t len, uint32_t base,
                                 tk_norm *out);
/* Sub-piece for normalized bytes [start, end) (char boundaries, start < end): shares memory. */
void tk_norm_slice(const tk_norm *n, uint32_t start, uint32_t end, tk_norm *out);
/* Original range of normalized bytes [start, end): {al[start].start, al[end-1].end}. */
static inline tk_align tk_norm_to_original(const tk_norm *n, uint32_t start, uint32_t end) {
    tk_align r;
    if (start >= end || end > n->len) { r.start = r.end = n->orig_start; return r; }
    r.start = n->al[start].start;
    r.end = n->al[end - 1].end;
    return r;
}

/* HF's transform(dest, initial_offset): rebuild the piece from a list of new characters,
 * each with a `change`: 1 = inserted (aligned like the previous normalized byte, or
 * {orig_start, orig_start} at the very start), 0 = replaces the next old char, -N =
 * replaces the next old char and removes the N old chars after it. `initial_offset` old
 * chars are removed before the first new char. Writes new arrays from the ctx arena. */
typedef struct tk_change {
    uint32_t cp;   /* new code point */
    int32_t change;
} tk_change;
hfc_status tk_norm_transform(tk_ctx *c, tk_norm *n, const tk_change *dest, size_t ndest,
                             size_t initial_offset);

/* A growable list of changes in the ctx arena (normalizers build one then transform). */
typedef struct tk_changes {
    tk_change *v;
    size_t n, cap;
} tk_changes;
hfc_status tk_changes_push(tk_ctx *c, tk_changes *ch, uint32_t cp, int32_t change);

/* ------------------------------------------------------------------ patterns / splitting */

/* A match list covering the whole text in order: HF's Vec<(Offsets, bool)>. */
typedef struct tk_span {
    uint32_t start, end; /* normalized bytes */
    bool is_match;
} tk_span;

typedef struct tk_spans {
    tk_span *v;
    size_t n, cap;
} tk_spans;
hfc_status tk_spans_push(tk_ctx *c, tk_spans *sp, uint32_t start, uint32_t end, bool is_match);

typedef enum tk_split_behavior {
    TK_SPLIT_REMOVED,
    TK_SPLIT_ISOLATED,
    TK_SPLIT_MERGED_WITH_PREVIOUS,
    TK_SPLIT_MERGED_WITH_NEXT,
    TK_SPLIT_CONTIGUOUS,
} tk_split_behavior;

/* Apply a behaviour to matches (HF NormalizedString::split); the result lists the
 * ranges to keep, in order (is_match unused). Empty ranges are dropped by the caller. */
hfc_status tk_spans_apply_behavior(tk_ctx *c, const tk_spans *matches, tk_split_behavior b,
                                   tk_spans *out);

/* ------------------------------------------------------------------ regex (regex.c) */

/* A compiled pattern with HF's semantics (the onig crate: Oniguruma, UTF-8, Oniguruma's default syntax,
 * no options). Well-known pre-tokenizer patterns (GPT-2, cl100k / Llama-3, o200k,
 * Qwen2) are recognised at compile time and run by hand-written scanners proven
 * identical to Oniguruma; everything else runs through Oniguruma. Thread-safe to share. */
typedef struct tk_regex tk_regex;

hfc_status tk_regex_compile(const char *pattern, size_t len, tk_regex **out);
/* A literal (HF's Pattern for &str: regex::escape'd string). */
hfc_status tk_regex_compile_literal(const char *lit, size_t len, tk_regex **out);
void tk_regex_free(tk_regex *re);
const char *tk_regex_kind(const tk_regex *re); /* "onig", "literal", "gpt2", "cl100k", ... */
/* The string of a literal pattern (its length in *len), else NULL. */
const char *tk_regex_literal(const tk_regex *re, size_t *len);
/* Matches of re in s[0..len) as a full-cover span list (HF find_matches): gaps are
 * is_match=false; an empty input gives one span {0,0,false}. Empty matches are reported
 * (as the onig crate's find_iter does), except one at the end of the previous match.
 * Appends to `out`. Note: the system Oniguruma (6.9.8, Unicode 14) may classify code
 * points assigned in Unicode 15/16 differently from the copy inside HF's wheel; the
 * hand-written scanners use tables taken from HF's own engine. */
hfc_status tk_regex_find_matches(const tk_regex *re, tk_ctx *c, const char *s, uint32_t len,
                                 tk_spans *out);

/* ------------------------------------------------------------------ tokens, splits */

typedef struct tk_token {
    uint32_t id;
    uint32_t start, end; /* bytes in the piece's normalized text */
} tk_token;

typedef struct tk_tokens {
    tk_token *v;
    size_t n, cap;
} tk_tokens;
hfc_status tk_tokens_push(tk_ctx *c, tk_tokens *t, uint32_t id, uint32_t start, uint32_t end);

/* HF's PreTokenizedString split. */
typedef struct tk_split {
    tk_norm norm;
    tk_token *toks; /* non-NULL once tokenized (added tokens come pre-tokenized) */
    uint32_t ntoks;
    bool tokenized;
    bool from_added; /* an added-token match (its token value is the slice text) */
} tk_split;

typedef struct tk_pretok {
    tk_split *v;
    size_t n, cap;
} tk_pretok;
hfc_status tk_pretok_push(tk_ctx *c, tk_pretok *p, const tk_norm *n);

/* ------------------------------------------------------------------ memo (memo.c) */

/* A shared lock-free memo: key (<= TK_MEMO_KEY bytes) -> up to TK_MEMO_ITEMS items of
 * (id, start, end, word) with small offsets, plus a 16-bit aux value. Safe for concurrent
 * readers and writers (seqlock slots; a busy or torn slot is a miss). Speed only. A wide
 * memo (tk_memo_create_wide, tk_memo_get_wide) holds keys up to TK_MEMO_WIDE_KEY bytes
 * and TK_MEMO_WIDE_ITEMS items in bigger slots (long words). */
#define TK_MEMO_KEY 64
#define TK_MEMO_ITEMS 16
#define TK_MEMO_WIDE_KEY 240
#define TK_MEMO_WIDE_ITEMS 96
typedef struct tk_memo_item {
    uint32_t id;
    uint8_t start, end, word;
} tk_memo_item;
typedef struct tk_memo tk_memo;
typedef struct tk_memo_key {
    uint64_t k[TK_MEMO_WIDE_KEY / 8];
    uint64_t head;
    void *slot; /* NULL: not memoizable (too long, no memo) */
} tk_memo_key;
hfc_status tk_memo_create(size_t capacity, tk_memo **out); /* capacity 0: *out = NULL */
hfc_status tk_memo_create_wide(size_t capacity, tk_memo **out);
void tk_memo_free(tk_memo *m);
void tk_memo_clear(tk_memo *m);
/* tk_memo_get (memo.h, inline): true on a hit (items[TK_MEMO_ITEMS] and *n_items, *aux
 * filled); on a miss `key` is set up for tk_memo_put. m may be NULL (always a miss).
 * tk_memo_get_wide: the same for a wide memo (items[TK_MEMO_WIDE_ITEMS]). */
/* Store a result for the key of a missed tk_memo_get (dropped when it does not fit). */
void tk_memo_put(tk_memo *m, const tk_memo_key *key, const tk_memo_item *items, uint32_t n,
                 uint32_t aux);

/* ------------------------------------------------------------------ vocab */

/* String -> id hash map and id -> string table, built once at load (read-only after). */
typedef struct tk_vocab tk_vocab;
hfc_status tk_vocab_create(size_t expected, tk_vocab **out);
void tk_vocab_free(tk_vocab *v);
/* Add (token, id). Duplicate token: last wins (serde HashMap). Copies the bytes. */
hfc_status tk_vocab_add(tk_vocab *v, const char *tok, uint32_t len, uint32_t id);
/* id or -1 */
int64_t tk_vocab_get(const tk_vocab *v, const char *tok, uint32_t len);
/* token string of id, or NULL; *len set */
const char *tk_vocab_token(const tk_vocab *v, uint32_t id, uint32_t *len);
size_t tk_vocab_size(const tk_vocab *v);  /* entries */
uint32_t tk_vocab_max_id(const tk_vocab *v); /* largest id + 1 */

/* ------------------------------------------------------------------ unicode (unicode.c)
 * Tables generated by scripts/gen_unicode.py; semantics of Rust's char methods and the
 * crates HF uses (unicode-normalization, unicode_categories), see unicode.c. */
bool tk_is_whitespace(uint32_t cp);   /* Rust char::is_whitespace (White_Space property) */
bool tk_is_alphanumeric(uint32_t cp); /* Rust char::is_alphanumeric */
bool tk_is_numeric(uint32_t cp);      /* Rust char::is_numeric (Nd, Nl, No) */
bool tk_is_punctuation(uint32_t cp);  /* unicode_categories is_punctuation (P*) */
bool tk_is_control(uint32_t cp);      /* Cc / Cf / ... as BertNormalizer decides, see unicode.c */
/* GPT-2 byte-level alphabet: byte -> code point, and code point -> byte (or -1). */
uint32_t tk_byte_to_char(uint8_t b);
int tk_char_to_byte(uint32_t cp);

/* ---- added by the normalizers / pre-tokenizers helper (unicode.c) ---- */
bool tk_is_ascii_punctuation(uint32_t cp); /* Rust char::is_ascii_punctuation */
bool tk_is_mark_nonspacing(uint32_t cp);   /* unicode_categories Mn (BertNormalizer) */
bool tk_is_combining_mark(uint32_t cp);    /* unicode-normalization M* (StripAccents) */
bool tk_is_word_char(uint32_t cp);         /* Rust regex crate \w (Unicode 16.0) */
/* What BertNormalizer's steps do to a non-ASCII char whatever surrounds it: bits set for
 * the steps that leave it as it is (clean_text: neither removed nor mapped; strip_accents:
 * no canonical decomposition, combining class 0, not Mn; lowercase: its own lowercase),
 * and TK_BERT_SPACE for whitespace (which clean_text maps to ' '). */
enum { TK_BERT_CLEAN = 1, TK_BERT_STRIP = 2, TK_BERT_LOWER = 4, TK_BERT_SPACE = 8 };
unsigned tk_bert_char(uint32_t cp);
/* BertNormalizer's "Chinese character" (HF normalizers/bert.rs is_chinese_char), and the
 * CJK compatibility ideographs among them (the only ones NFD changes). */
static inline bool tk_is_cjk_compat(uint32_t cp) {
    return (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}
static inline bool tk_is_chinese_char(uint32_t cp) {
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
           (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
           tk_is_cjk_compat(cp);
}
uint8_t tk_combining_class(uint32_t cp);   /* canonical combining class (Unicode 9.0) */
/* Rust char::to_lowercase: writes 1..3 code points to out, returns how many. */
int tk_to_lowercase(uint32_t cp, uint32_t out[3]);
/* UnicodeScripts' fixed_script() as a class number: 0 = Any; equal iff same script. */
int tk_script_class(uint32_t cp);
typedef enum tk_nf { TK_NFD, TK_NFKD, TK_NFC, TK_NFKC } tk_nf;
/* The (char, change) stream unicode-normalization-alignments yields for text in `form`,
 * ready for tk_norm_transform(..., 0). Sets *identity (and leaves out empty) when the
 * transform would change nothing. out->v is arena memory. */
hfc_status tk_unicode_normalize(tk_ctx *c, tk_nf form, const char *text, uint32_t len,
                                tk_changes *out, bool *identity);
/* NormalizedString operations shared by normalizers.c and pretokenizers.c, with HF's
 * alignment rules: prepend (NormalizedString::prepend), replace of the is_match spans
 * by `content` (NormalizedString::replace), and the GPT-2 byte-level transform. */
hfc_status tk_norm_prepend(tk_ctx *c, tk_norm *n, const char *p, uint32_t plen);
hfc_status tk_norm_replace_spans(tk_ctx *c, tk_norm *n, const tk_spans *sp, const char *content,
                                 uint32_t clen);
hfc_status tk_norm_byte_level(tk_ctx *c, tk_norm *n);
/* JSON field readers for component loaders (serde semantics: a missing required field is
 * "missing field `x`"; errors name path.key). dflt: -1 = required, else 0/1. */
void tk_json_subpath(char *buf, size_t n, const char *path, const char *key, long index);
hfc_status tk_json_get_bool(const hfc_json_doc *doc, const hfc_json_value *obj,
                            const char *path, const char *key, int dflt, bool *out);
hfc_status tk_json_get_str(const hfc_json_doc *doc, const hfc_json_value *obj, const char *path,
                           const char *key, const hfc_json_value **out);
hfc_status tk_json_get_char(const hfc_json_doc *doc, const hfc_json_value *obj,
                            const char *path, const char *key, uint32_t *out);
/* {"String": s} (a literal) or {"Regex": r} -> compiled pattern */
hfc_status tk_json_get_pattern(const hfc_json_doc *doc, const hfc_json_value *obj,
                               const char *path, const char *key, tk_regex **out);
/* ---- end of helper additions ---- */

/* ------------------------------------------------------------------ components
 * Each component family has: a JSON constructor (`_from_json(doc, value, path, &out)`), a
 * destructor, its work function, and a writer back to JSON for Tokenizer.to_str().
 * `path` is the JSON path of `value` for error messages. */

typedef struct tk_normalizer tk_normalizer;
hfc_status tk_normalizer_from_json(const hfc_json_doc *doc, const hfc_json_value *v,
                                   const char *path, tk_normalizer **out);
void tk_normalizer_free(tk_normalizer *n);
hfc_status tk_normalizer_apply(const tk_normalizer *nz, tk_ctx *c, tk_norm *n);
bool tk_normalizer_newline_local(const tk_normalizer *nz); /* NULL, NFC, or sequences */
/* Is nz a BertNormalizer spacing Chinese characters? With defer set it leaves the spacing
 * to BertPreTokenizer (tk_pretokenizer_isolate_chinese) in text without compatibility
 * ideographs: see tokenizer.c cjk_fusion. */
bool tk_normalizer_spaces_chinese(const tk_normalizer *nz);
void tk_normalizer_defer_chinese(tk_normalizer *nz, bool defer);

typedef struct tk_pretokenizer tk_pretokenizer;
hfc_status tk_pretokenizer_from_json(const hfc_json_doc *doc, const hfc_json_value *v,
                                     const char *path, tk_pretokenizer **out);
void tk_pretokenizer_free(tk_pretokenizer *p);
hfc_status tk_pretokenizer_apply(const tk_pretokenizer *p, tk_ctx *c, tk_pretok *pt);
/* True when pieces never span a newline followed by a non-space character (see
 * pretokenizers.c); with tk_normalizer_newline_local, long inputs may be encoded in
 * chunks cut at such places. */
bool tk_pretokenizer_newline_local(const tk_pretokenizer *p);
/* Is p a BertPreTokenizer? With isolate set it also isolates Chinese characters. */
bool tk_pretokenizer_is_bert(const tk_pretokenizer *p);
void tk_pretokenizer_isolate_chinese(tk_pretokenizer *p, bool isolate);
/* The memo cut (see pretokenizers.c): the step whose slices the rest of the pre-tokenizer
 * handles one by one, or NULL, and its index (*stage, in a Sequence); the regex of a cut
 * that is an Isolated regex split (its slices are the non-empty spans of the matches), else
 * NULL; the slices of a piece by the cut (byte ranges of it); steps [from, to) of a pre-tokenizer (a
 * non-Sequence is step 0); and the rest after the cut, applied to slices of the cut. */
const tk_pretokenizer *tk_pretokenizer_memo_cut(const tk_pretokenizer *p, size_t *stage);
const tk_regex *tk_pretokenizer_cut_regex(const tk_pretokenizer *cut);
hfc_status tk_pretokenizer_cut(const tk_pretokenizer *cut, tk_ctx *c, const tk_norm *n, tk_spans *out);
hfc_status tk_pretokenizer_apply_stages(const tk_pretokenizer *p, size_t from, tk_ctx *c,
                                        tk_pretok *pt, size_t to);
hfc_status tk_pretokenizer_apply_rest(const tk_pretokenizer *p, size_t stage, tk_ctx *c,
                                      tk_pretok *pt);
/* Is the rest after the cut empty (the cut is the last step and keeps the bytes)? */
bool tk_pretokenizer_cut_is_last(const tk_pretokenizer *p, size_t stage);

typedef struct tk_model tk_model;
hfc_status tk_model_from_json(const hfc_json_doc *doc, const hfc_json_value *v,
                              const char *path, tk_model **out);
void tk_model_free(tk_model *m);
/* Tokenize one normalized piece; offsets relative to the piece. */
hfc_status tk_model_tokenize(const tk_model *m, tk_ctx *c, const char *s, uint32_t len,
                             tk_tokens *out);
const tk_vocab *tk_model_vocab(const tk_model *m);

typedef struct tk_decoder tk_decoder;
hfc_status tk_decoder_from_json(const hfc_json_doc *doc, const hfc_json_value *v,
                                const char *path, tk_decoder **out);
void tk_decoder_free(tk_decoder *d);
/* HF decode_chain: tokens (strings) -> strings, then concatenated into out. */
typedef struct tk_strs {
    const char **s;
    uint32_t *len;
    size_t n, cap;
} tk_strs;
hfc_status tk_strs_push(tk_ctx *c, tk_strs *v, const char *s, uint32_t len);
hfc_status tk_decoder_decode(const tk_decoder *d, tk_ctx *c, const tk_strs *tokens,
                             hfc_buf *out);

/* ================================================================== models & decoders
 * BEGIN block owned by vocab.c / model.c / bpe.c / wordpiece.c / wordlevel.c / decoders.c:
 * additions to the sections above, used by those files and available to the rest. */

/* tk_vocab details (vocab.c): when two tokens share an id, tk_vocab_token returns the
 * last one added (HF's pick depends on hash order); ids up to UINT32_MAX are fine (large
 * sparse ids cost no dense array); tk_vocab_max_id saturates at UINT32_MAX. */

/* The vocab's hash (wyhash-style, 64-bit); also usable for other byte-keyed tables. */
uint64_t tk_hash_bytes(const void *data, size_t n);
/* Entries in insertion order, i in [0, tk_vocab_size) (a token re-added keeps its first
 * position and takes the new id). Token strings are NUL-terminated in the vocab. */
bool tk_vocab_entry(const tk_vocab *v, size_t i, const char **tok, uint32_t *len,
                    uint32_t *id);
size_t tk_vocab_max_token_len(const tk_vocab *v); /* longest token in bytes (O(n)) */
/* Hint that tok will be looked up soon: prefetches its hash slot (software pipelining
 * of bulk lookups, which are bound by cache misses). */
void tk_vocab_prefetch(const tk_vocab *v, const char *tok, uint32_t len);

typedef enum tk_model_kind {
    TK_MODEL_BPE,
    TK_MODEL_WORDPIECE,
    TK_MODEL_WORDLEVEL,
} tk_model_kind;
tk_model_kind tk_model_kind_of(const tk_model *m);
const char *tk_model_type_name(const tk_model *m); /* "BPE", "WordPiece", "WordLevel" */
/* The model's unk token string (NULL if it has none: BPE without unk_token). */
const char *tk_model_unk_token(const tk_model *m, uint32_t *len);
/* Word cache control (BPE only; no-ops for the others). Not concurrent with tokenize. */
hfc_status tk_model_resize_cache(tk_model *m, size_t capacity);
void tk_model_clear_cache(tk_model *m);

/* The concrete models (model.c dispatches to these). `v` is the model object, `path` its
 * JSON path; "type" has been checked by the caller (or is absent). */
typedef struct tk_bpe tk_bpe;
hfc_status tk_bpe_from_json(const hfc_json_doc *doc, const hfc_json_value *v,
                            const char *path, tk_bpe **out);
void tk_bpe_free(tk_bpe *m);
hfc_status tk_bpe_tokenize(const tk_bpe *m, tk_ctx *c, const char *s, uint32_t len,
                           tk_tokens *out);
const tk_vocab *tk_bpe_vocab(const tk_bpe *m);
const char *tk_bpe_unk_token(const tk_bpe *m, uint32_t *len);
/* The BPE word cache (on by default, 8192 words of <= 32 bytes; thread-safe for
 * concurrent tokenize calls). Resizing (0 disables) and clearing must not race with
 * tokenize calls. HF's BPE.resize_cache / clear_cache. */
hfc_status tk_bpe_resize_cache(tk_bpe *m, size_t capacity);
void tk_bpe_clear_cache(tk_bpe *m);

typedef struct tk_wordpiece tk_wordpiece;
hfc_status tk_wordpiece_from_json(const hfc_json_doc *doc, const hfc_json_value *v,
                                  const char *path, tk_wordpiece **out);
void tk_wordpiece_free(tk_wordpiece *m);
hfc_status tk_wordpiece_tokenize(const tk_wordpiece *m, tk_ctx *c, const char *s,
                                 uint32_t len, tk_tokens *out);
const tk_vocab *tk_wordpiece_vocab(const tk_wordpiece *m);
const char *tk_wordpiece_unk_token(const tk_wordpiece *m, uint32_t *len);

typedef struct tk_wordlevel tk_wordlevel;
hfc_status tk_wordlevel_from_json(const hfc_json_doc *doc, const hfc_json_value *v,
                                  const char *path, tk_wordlevel **out);
void tk_wordlevel_free(tk_wordlevel *m);
hfc_status tk_wordlevel_tokenize(const tk_wordlevel *m, tk_ctx *c, const char *s,
                                 uint32_t len, tk_tokens *out);
const tk_vocab *tk_wordlevel_vocab(const tk_wordlevel *m);
const char *tk_wordlevel_unk_token(const tk_wordlevel *m, uint32_t *len);

/* JSON reading helpers for the component loaders above (model.c). `key` is a member of
 * object `obj` at `path`; a missing member or null leaves *present false (when given).
 * Type errors fail with the member's path, e.g. "$.model.fuse_unk: expected a boolean". */
void tkm_path(char *dst, size_t cap, const char *path, const char *key); /* path.key */
void tkm_path_index(char *dst, size_t cap, const char *path, size_t i);  /* path[i] */
hfc_status tkm_get_string(const hfc_json_doc *doc, const hfc_json_value *obj,
                          const char *path, const char *key, bool required,
                          const hfc_json_value **out);
hfc_status tkm_get_bool(const hfc_json_doc *doc, const hfc_json_value *obj, const char *path,
                        const char *key, bool required, bool *present, bool *out);
hfc_status tkm_get_uint(const hfc_json_doc *doc, const hfc_json_value *obj, const char *path,
                        const char *key, bool required, uint64_t max, bool *present,
                        uint64_t *out);
/* Read a {"token": id, ...} object into a new vocab (ids must be integers in u32). */
hfc_status tkm_vocab_from_json(const hfc_json_doc *doc, const hfc_json_value *v,
                               const char *path, tk_vocab **out);
/* NUL-terminated heap copy of a JSON string (hfc_free it). */
char *tkm_strdup(const hfc_json_value *s);

/* HF decode_chain itself: the list of strings before the final concatenation (strings
 * live in the ctx arena or point into `tokens`). tk_decoder_decode appends their
 * concatenation to `out` (which is left NUL-terminated, even when empty). */
hfc_status tk_decoder_decode_chain(const tk_decoder *d, tk_ctx *c, const tk_strs *tokens,
                                   tk_strs *out);

/* UTF-8 helpers (decoders.c). tk_utf8_lossy writes s[0..n) to out (room for 3 * n bytes)
 * as Rust's String::from_utf8_lossy does (one U+FFFD per maximal invalid subsequence)
 * and returns the bytes written. tk_utf8_valid is Rust's str::from_utf8(..).is_ok(). */
size_t tk_utf8_lossy(const uint8_t *s, size_t n, char *out);
bool tk_utf8_valid(const uint8_t *s, size_t n);

/* END block owned by the models & decoders files.
 * ================================================================== */

#endif /* HFC_TK_H */
