/* Added tokens: see added_vocab.c. */
#ifndef HFC_TK_ADDED_VOCAB_H
#define HFC_TK_ADDED_VOCAB_H

#include "tk.h"

typedef struct tk_added_token {
    char *content;
    uint32_t len;
    uint32_t id;
    bool single_word, lstrip, rstrip, normalized, special;
    char *norm; /* normalized form when normalized and different from content, else NULL */
    uint32_t norm_len;
} tk_added_token;

typedef struct tk_trie tk_trie;

typedef struct tk_added_vocab {
    tk_added_token *v;
    size_t n, cap;
    tk_vocab *map; /* content -> id */
    tk_trie *raw_trie, *norm_trie;
    bool has_raw, has_norm;
} tk_added_vocab;

void tk_added_init(tk_added_vocab *av);
void tk_added_free(tk_added_vocab *av);
/* HF add_tokens: ids come from the added map, then the model vocab, else the next free id.
 * `tokens[i].content` is copied. */
hfc_status tk_added_add(tk_added_vocab *av, const tk_added_token *tokens, size_t count,
                        const tk_model *model, const tk_normalizer *normalizer,
                        size_t *n_added);
const tk_added_token *tk_added_by_id(const tk_added_vocab *av, uint32_t id);
hfc_status tk_added_split(const tk_added_vocab *av, tk_ctx *c, tk_pretok *pt, bool normalized,
                          bool encode_special_tokens);

#endif
