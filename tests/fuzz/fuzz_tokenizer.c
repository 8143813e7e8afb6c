/* libFuzzer target: the tokenizer.json loader. Any bytes -> hfc_tokenizer_from_json must
 * either load (then encode and decode a fixed text without error or crash) or fail with
 * a message. Seeds: small real tokenizer.json files in tests/fuzz/corpus/tokenizer/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hfc/hfc.h"
#include "hfc/tokenizers.h"

static const char *const TEXTS[] = {"Hello world! I'm fine, 123.", "  中文 😀\tx\n", ""};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int init;
    if (!init) { hfc_dispatch_init(); init = 1; }
    hfc_tokenizer *t = NULL;
    hfc_status st = hfc_tokenizer_from_json((const char *)data, size, "fuzz.json", &t);
    if (st != HFC_OK) {
        if (!hfc_error_message()[0]) abort(); /* every failure explains itself */
        return 0;
    }
    hfc_tk_scratch *s;
    if (hfc_tk_scratch_create(&s) != HFC_OK) abort();
    hfc_encoding e;
    hfc_encoding_init(&e);
    for (size_t i = 0; i < sizeof TEXTS / sizeof *TEXTS; i++) {
        if (hfc_tokenizer_encode(t, s, TEXTS[i], strlen(TEXTS[i]), TEXTS[0], strlen(TEXTS[0]), true,
                                 &e) != HFC_OK)
            continue;
        hfc_buf out = {0};
        (void)hfc_tokenizer_decode(t, s, e.ids, e.n, true, &out);
        hfc_buf_free(&out);
        for (size_t k = 0; k < e.n; k++) /* offsets inside the texts */
            if (e.offsets[2 * k] > e.offsets[2 * k + 1]) abort();
    }
    hfc_encoding_free(&e);
    hfc_tk_scratch_free(s);
    hfc_tokenizer_free(t);
    return 0;
}
