/* libFuzzer target: the encoder. A fixed tokenizer exercising most components (added
 * tokens incl. lstrip/rstrip/single_word, a normalizer sequence, Split + ByteLevel
 * pre-tokenizers, byte-level BPE, template post-processing, a decoder) encodes the input;
 * the first byte selects settings (pair, truncation, padding, special-token switch).
 * Invariants: valid UTF-8 input encodes; offsets are ordered and inside the input;
 * decode never fails; invalid UTF-8 is rejected with a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hfc/hfc.h"
#include "hfc/tokenizers.h"

static const char TOKENIZER[] =
    "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,"
    "\"added_tokens\":["
    "{\"id\":12,\"content\":\"<s>\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true},"
    "{\"id\":13,\"content\":\"<mask>\",\"single_word\":false,\"lstrip\":true,\"rstrip\":true,\"normalized\":false,\"special\":true},"
    "{\"id\":14,\"content\":\"hello\",\"single_word\":true,\"lstrip\":false,\"rstrip\":false,\"normalized\":true,\"special\":false}],"
    "\"normalizer\":{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"NFKC\"},"
    "{\"type\":\"Replace\",\"pattern\":{\"Regex\":\"\\\\s+\"},\"content\":\" \"},{\"type\":\"Lowercase\"}]},"
    "\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":["
    "{\"type\":\"Split\",\"pattern\":{\"Regex\":\"'s|'t|'re|'ve|'m|'ll|'d| ?\\\\p{L}+| ?\\\\p{N}+| ?[^\\\\s\\\\p{L}\\\\p{N}]+|\\\\s+(?!\\\\S)|\\\\s+\"},\"behavior\":\"Isolated\",\"invert\":false},"
    "{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":false,\"use_regex\":false}]},"
    "\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\"<s>\",\"type_id\":0}},{\"Sequence\":{\"id\":\"A\",\"type_id\":0}}],"
    "\"pair\":[{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},{\"SpecialToken\":{\"id\":\"<s>\",\"type_id\":1}},{\"Sequence\":{\"id\":\"B\",\"type_id\":1}}],"
    "\"special_tokens\":{\"<s>\":{\"id\":\"<s>\",\"ids\":[12],\"tokens\":[\"<s>\"]}}},"
    "\"decoder\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":false,\"use_regex\":false},"
    "\"model\":{\"type\":\"BPE\",\"dropout\":null,\"unk_token\":null,\"continuing_subword_prefix\":null,"
    "\"end_of_word_suffix\":null,\"fuse_unk\":false,\"byte_fallback\":false,\"ignore_merges\":false,"
    "\"vocab\":{\"a\":0,\"b\":1,\"c\":2,\"\\u0120\":3,\"ab\":4,\"\\u0120a\":5,\"abc\":6,\"h\":7,\"e\":8,\"l\":9,\"o\":10,\"he\":11},"
    "\"merges\":[[\"a\",\"b\"],[\"\\u0120\",\"a\"],[\"ab\",\"c\"],[\"h\",\"e\"]]}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static hfc_tokenizer *t;
    static hfc_tk_scratch *s;
    if (!t) {
        hfc_dispatch_init();
        if (hfc_tokenizer_from_json(TOKENIZER, sizeof TOKENIZER - 1, "fuzz", &t) != HFC_OK) abort();
        if (hfc_tk_scratch_create(&s) != HFC_OK) abort();
    }
    if (size == 0) return 0;
    uint8_t mode = data[0];
    const char *text = (const char *)data + 1;
    size_t len = size - 1, half = len / 2;
    hfc_truncation tr = {true, (size_t)(mode >> 4) + 1, (size_t)((mode >> 2) & 1),
                         (hfc_trunc_strategy)((mode >> 5) % 3), (mode & 8) != 0};
    hfc_padding pd;
    memset(&pd, 0, sizeof pd);
    pd.fixed = (mode & 64) != 0;
    pd.length = 20;
    pd.pad_to_multiple_of = (mode & 128) ? 8 : 0;
    hfc_tokenizer_set_truncation(t, (mode & 1) ? &tr : NULL);
    hfc_tokenizer_set_padding(t, (mode & 2) ? &pd : NULL);
    hfc_tokenizer_set_encode_special_tokens(t, (mode & 16) != 0);
    hfc_encoding e;
    hfc_encoding_init(&e);
    bool pair = (mode & 4) != 0;
    bool valid = hfc_kernels_active.utf8_valid_prefix((const uint8_t *)text, len) == len;
    /* the pair split may cut a character: then the halves may be invalid on their own */
    hfc_status st = pair ? hfc_tokenizer_encode(t, s, text, half, text + half, len - half, true, &e)
                         : hfc_tokenizer_encode(t, s, text, len, NULL, 0, true, &e);
    if (st != HFC_OK) {
        if (!hfc_error_message()[0]) abort();
        if (!pair && valid && st != HFC_ERR_INVALID) abort();
    } else {
        for (size_t k = 0; k < e.n; k++)
            if (e.offsets[2 * k] > e.offsets[2 * k + 1] || e.offsets[2 * k + 1] > len) abort();
        hfc_buf out = {0};
        if (hfc_tokenizer_decode(t, s, e.ids, e.n, (mode & 32) != 0, &out) != HFC_OK) abort();
        hfc_buf_free(&out);
    }
    hfc_encoding_free(&e);
    return 0;
}
