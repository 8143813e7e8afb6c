/* libFuzzer target for the Arrow IPC reader and writer.
 *
 * Each input is parsed as an Arrow file (stream, legacy stream or file format). A failure
 * must be HFC_ERR_INVALID naming a byte offset, or HFC_ERR_UNSUPPORTED. A success must let
 * every value be read through the checked accessors (INVALID allowed for bad per-row
 * offsets, never a crash), and a table whose values all read must survive the writer:
 * written back and re-parsed, it renders identically.
 *
 * Build with clang -fsanitize=fuzzer,address,undefined over the core; run as
 *   ./fuzz_arrow NEW_CORPUS_DIR tests/fuzz/corpus/arrow
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hfc/hfc.h"
#include "hfc/arrow.h"
#include "../c/arrow_render.h"

#define REQUIRE(cond)                                                                    \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "fuzz_arrow: %s:%d: %s failed (last message: %s)\n", __FILE__, \
                    __LINE__, #cond, hfc_error_message());                               \
            abort();                                                                     \
        }                                                                                \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hfc_arrow_table *t;
    REQUIRE(hfc_arrow_table_create(&t) == HFC_OK);
    hfc_status st = hfc_arrow_table_add_memory(t, data, size, "fuzz.arrow", NULL);
    if (st != HFC_OK) {
        REQUIRE(st == HFC_ERR_INVALID || st == HFC_ERR_UNSUPPORTED || st == HFC_ERR_NOMEM);
        if (st == HFC_ERR_INVALID) REQUIRE(strstr(hfc_error_message(), "fuzz.arrow") != NULL);
        hfc_arrow_table_free(t);
        return 0;
    }
    hfc_buf a = {0};
    st = render_table(&a, t, NULL);
    REQUIRE(st == HFC_OK || st == HFC_ERR_INVALID || st == HFC_ERR_RANGE); /* RANGE: too big */
    if (st == HFC_OK) {
        hfc_buf w = {0}, b = {0};
        hfc_arrow_write_opts o = {.batch_rows = 3};
        st = hfc_arrow_write_stream_buf(t, &o, &w);
        REQUIRE(st == HFC_OK || st == HFC_ERR_OVERFLOW || st == HFC_ERR_INVALID);
        if (st == HFC_OK) {
            hfc_arrow_table *back;
            REQUIRE(hfc_arrow_table_create(&back) == HFC_OK);
            REQUIRE(hfc_arrow_table_add_memory(back, (const uint8_t *)w.data, w.len, "w", NULL) ==
                    HFC_OK);
            REQUIRE(render_table(&b, back, NULL) == HFC_OK);
            REQUIRE(a.len == b.len && (a.len == 0 || !memcmp(a.data, b.data, a.len)));
            hfc_arrow_table_free(back);
        }
        hfc_buf_free(&w);
        hfc_buf_free(&b);
    }
    hfc_buf_free(&a);
    hfc_arrow_table_free(t);
    return 0;
}
