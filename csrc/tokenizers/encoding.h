/* Encoding helpers shared by the pipeline and post-processors. */
#ifndef HFC_TK_ENCODING_H
#define HFC_TK_ENCODING_H

#include "hfc/tokenizers.h"

/* Write token i (< e->cap) without checks; tk_encoding_push and hot loops use it. */
static inline void tk_encoding_set(hfc_encoding *e, size_t i, uint32_t id, uint32_t type_id,
                                   uint32_t start, uint32_t end, int32_t word, int32_t seq,
                                   uint8_t special, uint8_t attention) {
    e->ids[i] = id;
    e->type_ids[i] = type_id;
    e->offsets[2 * i] = start;
    e->offsets[2 * i + 1] = end;
    e->words[i] = word;
    e->seq_ids[i] = seq;
    e->special_mask[i] = special;
    e->attention_mask[i] = attention;
}
hfc_status tk_encoding_push(hfc_encoding *e, uint32_t id, uint32_t type_id, uint32_t start,
                            uint32_t end, int32_t word, int32_t seq, uint8_t special,
                            uint8_t attention);
/* Append src; type_id >= 0 overrides type ids; seq >= -1 overrides sequence ids
 * (pass -2 to keep src's). */
hfc_status tk_encoding_append(hfc_encoding *dst, const hfc_encoding *src, int64_t type_id,
                              int32_t seq);

/* Record token `index`'s string (must be called in increasing index order). */
hfc_status tk_encoding_set_override(hfc_encoding *e, size_t index, const char *s, uint32_t len);
/* Deep copy (overflowing included) into an uninitialised dst. */
hfc_status tk_encoding_copy(hfc_encoding *dst, const hfc_encoding *src);
/* HF Encoding::merge_with(pair, growing_offsets=false), overflowing combinations included. */
hfc_status tk_encoding_merge_with(hfc_encoding *self, const hfc_encoding *pair);

/* HF's sequence_ranges of an encoding (sequence id -> token range; HF's sequence ids
 * derive from it) and of each of its overflowing parts, for the post-processors that set
 * and merge them (a Sequence of them). Ranges of `key`s are replaced, as in HF's map. */
#define TK_RANGES 8
typedef struct tk_ranges {
    uint32_t key[TK_RANGES], start[TK_RANGES], end[TK_RANGES];
    uint32_t n;
    struct tk_ranges *ov; /* one per overflowing part */
    size_t nov;
} tk_ranges;
void tk_ranges_free(tk_ranges *r);
hfc_status tk_ranges_copy(tk_ranges *dst, const tk_ranges *src); /* deep; dst uninit */
hfc_status tk_ranges_set(tk_ranges *r, uint32_t key, size_t start, size_t end);
/* e's sequence ids (its overflowing parts' too) as HF's get_sequence_ids computes them */
void tk_ranges_apply(const tk_ranges *r, hfc_encoding *e);
/* tk_encoding_merge_with that also merges the ranges (sr of self, pr of pair: shifted into
 * self's, overflowing combinations alike); NULL sr and pr: the encodings alone. */
hfc_status tk_encoding_merge_ranges(hfc_encoding *self, tk_ranges *sr, const hfc_encoding *pair,
                                    const tk_ranges *pr);
/* HF Encoding::truncate: parts beyond max_len (with stride) move to overflowing. */
hfc_status tk_encoding_truncate(hfc_encoding *e, size_t max_len, size_t stride, bool left);
/* HF Encoding::pad (overflowing first). */
hfc_status tk_encoding_pad(hfc_encoding *e, size_t target, uint32_t pad_id, uint32_t pad_type_id,
                           bool left);

#endif
