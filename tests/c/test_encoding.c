/* hfc_encoding storage: arrays moved into a shared block (hfc_encodings_share) keep their
 * values, are freed in any order (ASan checks each block is freed once and never read
 * after), and an encoding that grows afterwards copies itself out of the block. */
#include "test.h"

#include "../../csrc/tokenizers/encoding.h"

static void fill(hfc_encoding *e, size_t n, uint32_t seed) {
    hfc_encoding_init(e);
    for (size_t i = 0; i < n; i++)
        CHECK_OK(tk_encoding_push(e, seed + (uint32_t)i, (uint32_t)(i & 1), (uint32_t)i,
                                  (uint32_t)i + 1, (int32_t)i - 1, (int32_t)(i % 3) - 1,
                                  (uint8_t)(i % 2), (uint8_t)((i + 1) % 2)));
}

static void check(const hfc_encoding *e, size_t n, uint32_t seed) {
    CHECK(e->n == n);
    for (size_t i = 0; i < n; i++) {
        CHECK(e->ids[i] == seed + (uint32_t)i);
        CHECK(e->type_ids[i] == (uint32_t)(i & 1));
        CHECK(e->offsets[2 * i] == (uint32_t)i && e->offsets[2 * i + 1] == (uint32_t)i + 1);
        CHECK(e->words[i] == (int32_t)i - 1);
        CHECK(e->seq_ids[i] == (int32_t)(i % 3) - 1);
        CHECK(e->special_mask[i] == (uint8_t)(i % 2));
        CHECK(e->attention_mask[i] == (uint8_t)((i + 1) % 2));
    }
}

static void test_share_keeps_values_and_frees_in_any_order(void) {
    enum { N = 7 };
    static const size_t sizes[N] = {45, 0, 130, 1, 170, 64, 3};
    hfc_encoding e[N];
    for (int i = 0; i < N; i++) fill(&e[i], sizes[i], 1000u * (uint32_t)i);
    CHECK_OK(hfc_encodings_share(e, N));
    for (int i = 0; i < N; i++) {
        check(&e[i], sizes[i], 1000u * (uint32_t)i);
        CHECK((e[i].share != NULL) == (sizes[i] > 0));
    }
    CHECK_OK(hfc_encodings_share(e, N)); /* already sharing: nothing moves */
    check(&e[2], sizes[2], 2000u);
    /* growing one copies it out of the block; the others stay */
    CHECK_OK(tk_encoding_push(&e[4], 7, 0, 0, 1, 0, 0, 0, 1));
    CHECK(e[4].share == NULL && e[4].n == 171 && e[4].ids[170] == 7);
    check(&e[5], sizes[5], 5000u);
    static const int order[N] = {3, 0, 6, 4, 1, 5, 2};
    for (int k = 0; k < N; k++) {
        hfc_encoding_free(&e[order[k]]);
        for (int j = k + 1; j < N; j++) /* the ones still alive still read right */
            if (order[j] != 4) check(&e[order[j]], sizes[order[j]], 1000u * (uint32_t)order[j]);
    }
}

static void test_share_single_or_empty_is_a_no_op(void) {
    hfc_encoding e[2];
    fill(&e[0], 90, 1);
    fill(&e[1], 0, 0);
    CHECK_OK(hfc_encodings_share(e, 2)); /* one user: not worth a block */
    CHECK(e[0].share == NULL);
    check(&e[0], 90, 1);
    hfc_encoding_free(&e[0]);
    hfc_encoding_free(&e[1]);
}

int main(void) {
    RUN(test_share_keeps_values_and_frees_in_any_order);
    RUN(test_share_single_or_empty_is_a_no_op);
    return test_summary();
}
