/* libFuzzer target for the safetensors header parser and writer.
 *
 * Each input is opened as a file image (no copy). A failure must be HFC_ERR_INVALID with
 * a message naming the buffer. A success must describe tensors that tile the data buffer
 * exactly inside the input (checked independently here), be findable by name in both
 * orders, and re-serialize through the writer into a file that opens again with the same
 * tensors, dtypes, shapes, bytes and metadata.
 *
 * Run as  ./fuzz_safetensors NEW_CORPUS_DIR tests/fuzz/corpus/safetensors
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hfc/hfc.h"
#include "hfc/safetensors.h"

#define REQUIRE(cond)                                                                    \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "fuzz_safetensors: %s:%d: %s failed (last message: %s)\n",   \
                    __FILE__, __LINE__, #cond, hfc_error_message());                     \
            abort();                                                                     \
        }                                                                                \
    } while (0)

static void check_layout(const hfc_st_file *f, const uint8_t *data, size_t size) {
    size_t n = hfc_st_count(f), at = 0, base = 8 + hfc_st_header_size(f);
    REQUIRE(base <= size);
    for (size_t i = 0; i < n; i++) {
        const hfc_st_tensor *t = hfc_st_at(f, i);
        REQUIRE(t->begin == at && t->end >= t->begin);
        REQUIRE(t->data == data + base + t->begin);
        uint64_t elems = 1;
        for (uint32_t d = 0; d < t->ndim; d++) elems *= t->shape[d];
        REQUIRE(elems == t->nelem);
        REQUIRE(t->nelem * hfc_st_dtype_bits(t->dtype) == (uint64_t)(t->end - t->begin) * 8);
        REQUIRE(hfc_st_find(f, t->name, t->name_len) != NULL);
        if (i) {
            const hfc_st_tensor *a = hfc_st_at_sorted(f, i - 1), *b = hfc_st_at_sorted(f, i);
            size_t m = a->name_len < b->name_len ? a->name_len : b->name_len;
            int c = memcmp(a->name, b->name, m);
            REQUIRE(c < 0 || (c == 0 && a->name_len < b->name_len));
        }
        at = t->end;
    }
    REQUIRE(base + at == size);
}

static void roundtrip(const hfc_st_file *f) {
    size_t n = hfc_st_count(f);
    long nm = hfc_st_metadata_count(f);
    hfc_st_input *in = calloc(n ? n : 1, sizeof *in);
    hfc_st_kv *kv = calloc(nm > 0 ? (size_t)nm : 1, sizeof *kv);
    REQUIRE(in && kv);
    for (size_t i = 0; i < n; i++) {
        const hfc_st_tensor *t = hfc_st_at(f, i);
        in[i] = (hfc_st_input){t->name, t->name_len, t->dtype, t->ndim, t->shape, t->data,
                               t->end - t->begin};
    }
    for (long i = 0; i < nm; i++)
        hfc_st_metadata_at(f, (size_t)i, &kv[i].key, &kv[i].klen, &kv[i].val, &kv[i].vlen);
    hfc_buf out = {0};
    hfc_status st = hfc_st_serialize(in, n, nm >= 0, kv, nm > 0 ? (size_t)nm : 0, &out);
    /* the parser already rejected duplicate keys, so only the header size can fail */
    if (st == HFC_OK) {
        hfc_st_file *g = NULL;
        REQUIRE(hfc_st_open_buffer((const uint8_t *)out.data, out.len, "rt", &g) == HFC_OK);
        REQUIRE(hfc_st_count(g) == n && hfc_st_metadata_count(g) == nm);
        for (size_t i = 0; i < n; i++) {
            const hfc_st_tensor *a = hfc_st_at_sorted(f, i), *b = hfc_st_at_sorted(g, i);
            REQUIRE(a->name_len == b->name_len && memcmp(a->name, b->name, a->name_len) == 0);
            REQUIRE(a->dtype == b->dtype && a->ndim == b->ndim);
            REQUIRE(memcmp(a->shape, b->shape, a->ndim * sizeof *a->shape) == 0);
            REQUIRE(a->end - a->begin == b->end - b->begin);
            REQUIRE(memcmp(a->data, b->data, a->end - a->begin) == 0);
        }
        hfc_st_free(g);
    } else {
        REQUIRE(st == HFC_ERR_INVALID);
    }
    hfc_buf_free(&out);
    free(in);
    free(kv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* a private copy so reads past the input are caught by ASan */
    uint8_t *buf = malloc(size ? size : 1);
    REQUIRE(buf);
    memcpy(buf, data, size);
    hfc_st_file *f = NULL;
    hfc_status st = hfc_st_open_buffer(buf, size, "fuzz.safetensors", &f);
    if (st == HFC_OK) {
        check_layout(f, buf, size);
        roundtrip(f);
        hfc_st_free(f);
    } else {
        REQUIRE(st == HFC_ERR_INVALID && f == NULL);
        REQUIRE(strstr(hfc_error_message(), "fuzz.safetensors") != NULL);
    }
    hfc_error_clear();
    free(buf);
    return 0;
}
