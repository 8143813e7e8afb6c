/* Hand-written scanners for the well-known pre-tokenizer patterns (regex_scan.c).
 *
 * Each scanner gives exactly the spans Oniguruma's find_iter gives for its pattern
 * (tests/c/test_regex.c and tests/fuzz/fuzz_regex.c compare them). regex.c picks a
 * scanner when a pattern string equals one of these byte for byte.
 */
#ifndef HFC_TK_REGEX_SCAN_H
#define HFC_TK_REGEX_SCAN_H

#include "tk.h"

typedef enum tk_scan_kind {
    TK_SCAN_NONE = 0,
    TK_SCAN_GPT2,      /* GPT-2 / ByteLevel (byte_level.rs), r50k, p50k */
    TK_SCAN_CL100K,    /* cl100k_base, Llama-3 */
    TK_SCAN_QWEN2,     /* Qwen2 / Qwen3: cl100k with single digits */
    TK_SCAN_O200K,     /* o200k_base */
    TK_SCAN_DS_DIGITS, /* DeepSeek-V3 Split 1: \p{N}{1,3} */
    TK_SCAN_DS_CJK,    /* DeepSeek-V3 Split 2: CJK ideographs and kana runs */
    TK_SCAN_DS_TEXT,   /* DeepSeek-V3 Split 3: words, punctuation, whitespace */
    TK_SCAN_COUNT
} tk_scan_kind;

/* The scanner for this exact pattern string, or TK_SCAN_NONE. */
tk_scan_kind tk_scan_lookup(const char *pattern, size_t len);
/* "gpt2", "cl100k", ... (kind != TK_SCAN_NONE) */
const char *tk_scan_name(tk_scan_kind kind);
/* The pattern string a scanner implements (tests compile it with Oniguruma too). */
const char *tk_scan_pattern(tk_scan_kind kind, size_t *len);
/* Append the full-cover span list of s[0..len) (valid UTF-8) to out. */
hfc_status tk_scan_find(tk_scan_kind kind, tk_ctx *c, const uint8_t *s, uint32_t len,
                        tk_spans *out);

#endif /* HFC_TK_REGEX_SCAN_H */
