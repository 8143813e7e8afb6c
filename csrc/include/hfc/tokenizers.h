/* hfc.tokenizers: load a tokenizer.json and encode/decode exactly as HF tokenizers does.
 *
 * A loaded hfc_tokenizer is immutable and safe to share between threads; each thread
 * encodes with its own scratch (hfc_tk_scratch). Offsets in an encoding are byte offsets
 * into the original input; the binding converts them to character offsets.
 */
#ifndef HFC_TOKENIZERS_H
#define HFC_TOKENIZERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"
#include "alloc.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hfc_tokenizer hfc_tokenizer;
typedef struct hfc_tk_scratch hfc_tk_scratch;

/* One encoded sequence (or pair), HF's Encoding. Arrays have n entries. */
typedef struct hfc_encoding {
    size_t n, cap;
    uint32_t *ids;
    uint32_t *type_ids;
    uint32_t *offsets;      /* 2n: [start, end) original bytes */
    int32_t *words;         /* -1 = None */
    int32_t *seq_ids;       /* sequence index 0/1, -1 for added special tokens */
    uint8_t *special_mask;
    uint8_t *attention_mask;
    struct hfc_encoding *overflowing; /* n_overflowing encodings */
    size_t n_overflowing;
    /* Token strings that differ from the vocabulary's string for the id (HF's token.value
     * for added tokens matched in normalized text or with lstrip/rstrip whitespace):
     * sparse, sorted by index; the bytes live in `pool`. */
    struct hfc_tok_override {
        uint32_t index, off, len;
    } *ov;
    size_t n_ov, cap_ov;
    hfc_buf pool;
    bool no_strings; /* hfc_encoding_drop_offsets: tokens of the text have no string */
    struct hfc_enc_share *share; /* non-NULL: the arrays live in a block shared with other
                                  * encodings (hfc_encodings_share), released, not freed */
} hfc_encoding;

/* The string of token i if overridden, else NULL. */
const char *hfc_encoding_token_override(const hfc_encoding *e, size_t i, uint32_t *len);

void hfc_encoding_init(hfc_encoding *e);
/* HF's encode without offsets (encode_batch_fast, OffsetType::None): offsets (0, 0), no
 * word ids, and the tokens of the text (special_mask 0) without a string; overflowing
 * parts too. */
void hfc_encoding_drop_offsets(hfc_encoding *e);
void hfc_encoding_free(hfc_encoding *e); /* frees arrays and overflowing; not e itself */
void hfc_encoding_clear(hfc_encoding *e); /* n = 0, overflowing freed, capacity kept */
hfc_status hfc_encoding_copy(hfc_encoding *dst, const hfc_encoding *src); /* deep; dst uninit */
hfc_status hfc_encoding_reserve(hfc_encoding *e, size_t n);
/* Move the arrays of e[0..n) into one allocation they share (each keeps its own part; the
 * last one freed frees it): n encodings made together and freed one by one elsewhere
 * (Python objects) then cost one free, not n. Empty encodings and ones already sharing
 * are left alone. On failure (no memory) nothing changes. */
hfc_status hfc_encodings_share(hfc_encoding *e, size_t n);

/* `name` is used in error messages (a path, or "<string>"). buf must stay valid only
 * during the call. */
hfc_status hfc_tokenizer_from_json(const char *buf, size_t len, const char *name,
                                   hfc_tokenizer **out);
hfc_status hfc_tokenizer_from_file(const char *path, hfc_tokenizer **out);
void hfc_tokenizer_free(hfc_tokenizer *t);

hfc_status hfc_tk_scratch_create(hfc_tk_scratch **out);
void hfc_tk_scratch_free(hfc_tk_scratch *s);

/* Encode text (valid UTF-8; checked: HFC_ERR_INVALID otherwise) with an optional pair
 * (pair == NULL for none). Fills `out` (initialised by the caller). */
hfc_status hfc_tokenizer_encode(const hfc_tokenizer *t, hfc_tk_scratch *s, const char *text,
                                size_t len, const char *pair, size_t pair_len,
                                bool add_special_tokens, hfc_encoding *out);

/* General input: one raw text (n = 1, pretokenized = false) or n pre-split words. */
typedef struct hfc_tk_input {
    const char *const *texts;
    const size_t *lens;
    size_t n;
    bool pretokenized;
    bool utf8_valid; /* the caller guarantees valid UTF-8 (e.g. from a Python str): not re-checked */
} hfc_tk_input;
hfc_status hfc_tokenizer_encode_input(const hfc_tokenizer *t, hfc_tk_scratch *s,
                                      const hfc_tk_input *seq, const hfc_tk_input *pair,
                                      bool add_special_tokens, hfc_encoding *out);
/* The same without offsets, as HF's encode_batch_fast (OffsetType::None): the text's tokens
 * get type id 0 in both sequences before post-processing (so overflowing parts keep 0),
 * and the result's offsets are dropped (hfc_encoding_drop_offsets). */
hfc_status hfc_tokenizer_encode_input_fast(const hfc_tokenizer *t, hfc_tk_scratch *s,
                                           const hfc_tk_input *seq, const hfc_tk_input *pair,
                                           bool add_special_tokens, hfc_encoding *out);

/* Decode ids to text into out (appended). Unknown ids are skipped, as HF does. */
hfc_status hfc_tokenizer_decode(const hfc_tokenizer *t, hfc_tk_scratch *s, const uint32_t *ids,
                                size_t n, bool skip_special_tokens, hfc_buf *out);

/* Vocabulary (added tokens included). */
/* An Encoding's token string for an id the model produced: the model's vocabulary string,
 * else the added token's content (HF token.value; added-token matches carry their own
 * string in the encoding's overrides). */
const char *hfc_tokenizer_token_value(const hfc_tokenizer *t, uint32_t id, uint32_t *len);
int64_t hfc_tokenizer_token_to_id(const hfc_tokenizer *t, const char *tok, size_t len);
const char *hfc_tokenizer_id_to_token(const hfc_tokenizer *t, uint32_t id, uint32_t *len);
size_t hfc_tokenizer_vocab_size(const hfc_tokenizer *t, bool with_added_tokens);
/* Iterate the vocabulary: i in [0, count); returns false when i has no entry. */
bool hfc_tokenizer_vocab_entry(const hfc_tokenizer *t, bool with_added_tokens, size_t i,
                               const char **tok, uint32_t *len, uint32_t *id);
size_t hfc_tokenizer_vocab_slots(const hfc_tokenizer *t);
/* The added-tokens switch of HF: when true, special tokens in the text are tokenized
 * like ordinary text. Not thread-safe against concurrent encodes (the binding locks). */
void hfc_tokenizer_set_encode_special_tokens(hfc_tokenizer *t, bool v);
bool hfc_tokenizer_get_encode_special_tokens(const hfc_tokenizer *t);
/* Truncation and padding (HF TruncationParams / PaddingParams). Setting them is not
 * thread-safe against concurrent encodes (the binding locks). */
typedef enum { HFC_TRUNC_LONGEST_FIRST, HFC_TRUNC_ONLY_FIRST, HFC_TRUNC_ONLY_SECOND } hfc_trunc_strategy;
typedef struct hfc_truncation {
    bool enabled;
    size_t max_length, stride;
    hfc_trunc_strategy strategy;
    bool left; /* direction */
} hfc_truncation;

typedef struct hfc_padding {
    bool enabled;
    bool fixed;           /* Fixed(length) vs BatchLongest */
    size_t length;
    size_t pad_to_multiple_of; /* 0 = none */
    uint32_t pad_id, pad_type_id;
    char pad_token[128];
    bool left;            /* direction */
} hfc_padding;

void hfc_tokenizer_set_truncation(hfc_tokenizer *t, const hfc_truncation *tr); /* NULL = off */
void hfc_tokenizer_set_padding(hfc_tokenizer *t, const hfc_padding *pd);       /* NULL = off */
const hfc_truncation *hfc_tokenizer_truncation(const hfc_tokenizer *t);
const hfc_padding *hfc_tokenizer_padding(const hfc_tokenizer *t);
/* HF pad_encodings over a batch (each already individually processed). */
hfc_status hfc_encodings_pad_batch(const hfc_padding *pd, hfc_encoding *encs, size_t n);

/* Serialize back to tokenizer.json: the loaded document with the current truncation,
 * padding and added tokens (indent < 0: compact, else pretty with that many spaces). */
hfc_status hfc_tokenizer_to_json(const hfc_tokenizer *t, int indent, hfc_buf *out);
/* The same with the top-level member `name` (a component: "normalizer", "model", ...)
 * replaced by the JSON text value[0..value_len) (added when the source lacks it); the
 * text is not checked here: load the result to check it. */
hfc_status hfc_tokenizer_to_json_with(const hfc_tokenizer *t, int indent, const char *name,
                                      const char *value, size_t value_len, hfc_buf *out);
/* One top-level member of the loaded tokenizer.json as compact JSON ("null" if absent). */
hfc_status hfc_tokenizer_component_json(const hfc_tokenizer *t, const char *name, hfc_buf *out);

/* HF add_tokens / add_special_tokens. Not thread-safe against encodes (binding locks). */
typedef struct hfc_added_token_spec {
    const char *content;
    size_t len;
    bool single_word, lstrip, rstrip, normalized, special;
} hfc_added_token_spec;
hfc_status hfc_tokenizer_add_tokens(hfc_tokenizer *t, const hfc_added_token_spec *tokens,
                                    size_t n, size_t *n_added);

/* The i-th pre-tokenizer regex that runs on a hand-written scanner (exact to HF's own
 * Unicode tables), NULL past the end. Other patterns run on the system Oniguruma. */
const char *hfc_regex_scanner_pattern(size_t i, size_t *len);

/* Special-token count the post-processor adds (HF added_tokens(is_pair)). */
size_t hfc_tokenizer_num_special_tokens_to_add(const hfc_tokenizer *t, bool is_pair);

#ifdef __cplusplus
}
#endif
#endif /* HFC_TOKENIZERS_H */
