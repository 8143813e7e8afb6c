/* Post-processors (HF processors/): TemplateProcessing, BertProcessing, RobertaProcessing,
 * ByteLevel (offset trimming), Sequence. */
#ifndef HFC_TK_POSTPROCESS_H
#define HFC_TK_POSTPROCESS_H

#include "tk.h"
#include "hfc/tokenizers.h"

typedef struct tk_postproc tk_postproc;

/* `vocab_lookup` resolves special token strings to ids for BertProcessing (which stores
 * both). */
hfc_status tk_postproc_from_json(const hfc_json_doc *doc, const hfc_json_value *v,
                                 const char *path, tk_postproc **out);
void tk_postproc_free(tk_postproc *p);
size_t tk_postproc_added_tokens(const tk_postproc *p, bool is_pair);
/* Combine a (and b, may be NULL) into out (empty; capacity may be reserved). `t` gives
 * token strings (offset trimming). */
hfc_status tk_postproc_process(const tk_postproc *p, const hfc_tokenizer *t, const hfc_encoding *a,
                               const hfc_encoding *b, bool add_special_tokens,
                               hfc_encoding *out);
/* Without a post-processor: HF default_process (concatenate, sequence ids 0 / 1). */
hfc_status tk_postproc_default(const hfc_encoding *a, const hfc_encoding *b, hfc_encoding *out);
/* Does p (NULL: none) give a single sequence's encoding back as it is (type and sequence
 * ids 0, no token added, offsets kept), when it has no overflowing parts? */
bool tk_postproc_keeps_single(const tk_postproc *p);

#endif
