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
/* HF Encoding::truncate: parts beyond max_len (with stride) move to overflowing. */
hfc_status tk_encoding_truncate(hfc_encoding *e, size_t max_len, size_t stride, bool left);
/* HF Encoding::pad (overflowing first). */
hfc_status tk_encoding_pad(hfc_encoding *e, size_t target, uint32_t pad_id, uint32_t pad_type_id,
                           bool left);

#endif
