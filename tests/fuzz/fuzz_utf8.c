/* libFuzzer differential target: every ISA level this CPU has must agree with the
 * scalar references (utf8_valid_prefix, json_string_span) on the input, on each of its
 * first 64 suffixes, and on copies at every alignment 0..63 that end exactly at the end
 * of their allocation (so ASan sees any read past p + n). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hfc/cpu.h"

static hfc_kernels levels[HFC_ISA_COUNT];
static int n_levels = -1;

static void check(const uint8_t *p, size_t n) {
    size_t want_utf8 = hfc_utf8_valid_prefix_ref(p, n);
    size_t want_json = hfc_json_string_span_ref(p, n);
    for (int k = 0; k < n_levels; k++) {
        size_t got_utf8 = levels[k].utf8_valid_prefix(p, n);
        size_t got_json = levels[k].json_string_span(p, n);
        if (got_utf8 != want_utf8 || got_json != want_json) {
            fprintf(stderr, "%s, n=%zu: utf8_valid_prefix %zu (want %zu), "
                            "json_string_span %zu (want %zu)\n",
                    hfc_isa_name(levels[k].isa), n, got_utf8, want_utf8, got_json, want_json);
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (n_levels < 0) {
        n_levels = 0;
        for (int isa = HFC_ISA_SCALAR + 1; isa < HFC_ISA_COUNT; isa++)
            if (hfc_kernels_for((hfc_isa)isa, &levels[n_levels]) == HFC_OK) n_levels++;
    }
    if (n_levels == 0) return 0;

    for (size_t off = 0; off < 64 && off <= size; off++) check(data + off, size - off);

    for (size_t align = 0; align < 64; align++) {
        void *mem = NULL;
        if (posix_memalign(&mem, 64, align + size + (size == 0)) != 0) abort();
        uint8_t *p = (uint8_t *)mem + align;
        if (size) memcpy(p, data, size);
        check(p, size);
        free(mem);
    }
    return 0;
}
