/* Arrow IPC reader/writer: values of pyarrow-written files (stream, legacy stream, file;
 * every type, nulls, nesting, dictionaries) against pyarrow's own rendering, the writer's
 * round trip, truncation and byte-flip sweeps (under ASan: no out-of-bounds read), the
 * out-of-memory sweep, multi-file tables, pack and gather. */
#include <unistd.h>

#include "test.h"
#include "hfc/arrow.h"
#include "arrow_render.h"
#include "arrow_seeds.h"

#define N_SEEDS (sizeof ARROW_SEEDS / sizeof ARROW_SEEDS[0])

/* Parse an exact-size heap copy (so ASan sees any read past the end). */
static hfc_status parse_copy(const unsigned char *data, size_t n, hfc_arrow_table **out) {
    unsigned char *copy = malloc(n ? n : 1);
    memcpy(copy, data, n);
    hfc_arrow_table *t;
    hfc_status st = hfc_arrow_table_create(&t);
    if (st == HFC_OK) st = hfc_arrow_table_add_memory(t, copy, n, "seed.arrow", NULL);
    if (st == HFC_OK) {
        /* values are read while the bytes are alive */
        hfc_buf o = {0};
        st = render_table(&o, t, NULL);
        hfc_buf_free(&o);
    }
    hfc_arrow_table_free(t);
    free(copy);
    return st;
}

static void test_values_match_pyarrow(void) {
    for (size_t i = 0; i < N_SEEDS; i++) {
        const arrow_seed *s = &ARROW_SEEDS[i];
        hfc_arrow_table *t;
        CHECK_OK(hfc_arrow_table_create(&t));
        CHECK_OK(hfc_arrow_table_add_memory(t, s->data, s->size, s->name, NULL));
        CHECK_EQ_INT(t->num_rows, s->rows);
        CHECK(hfc_arrow_table_metadata(t, "huggingface") != NULL);
        hfc_buf o = {0};
        CHECK_OK(render_table(&o, t, NULL));
        if (!o.data || strcmp(o.data, s->rendered)) {
            fprintf(stderr, "%s:\n got: %s\nwant: %s\n", s->name, o.data ? o.data : "", s->rendered);
            CHECK(0);
        }
        hfc_buf_free(&o);
        hfc_arrow_table_free(t);
    }
}

static void test_writer_round_trip(void) {
    for (size_t i = 0; i < N_SEEDS; i++) {
        const arrow_seed *s = &ARROW_SEEDS[i];
        hfc_arrow_table *t, *back;
        CHECK_OK(hfc_arrow_table_create(&t));
        CHECK_OK(hfc_arrow_table_add_memory(t, s->data, s->size, s->name, NULL));
        int64_t rev[16];
        for (int64_t r = 0; r < t->num_rows; r++) rev[r] = t->num_rows - 1 - r;
        const char *k[1] = {"huggingface"}, *v[1] = {"{}"};
        hfc_arrow_write_opts o = {.rows = rev, .n_rows = t->num_rows, .batch_rows = 2,
                                  .meta_keys = k, .meta_values = v, .n_meta = 1};
        hfc_buf out = {0}, want = {0}, got = {0};
        CHECK_OK(hfc_arrow_write_stream_buf(t, &o, &out));
        CHECK_OK(hfc_arrow_table_create(&back));
        CHECK_OK(hfc_arrow_table_add_memory(back, (const uint8_t *)out.data, out.len, "w", NULL));
        CHECK_EQ_INT(back->num_rows, t->num_rows);
        CHECK(!strcmp(hfc_arrow_table_metadata(back, "huggingface"), "{}"));
        CHECK_OK(render_table(&want, t, rev));
        CHECK_OK(render_table(&got, back, NULL));
        CHECK(want.data && got.data && !strcmp(want.data, got.data));
        hfc_buf_free(&out);
        hfc_buf_free(&want);
        hfc_buf_free(&got);
        hfc_arrow_table_free(back);
        hfc_arrow_table_free(t);
    }
}

/* Table columns plus flat list columns appended (what tokenize writes): the table part
 * reads back as the gathered rows, the list column as its slices of the flat values. */
static void test_writer_appended_lists(void) {
    const arrow_seed *s = &ARROW_SEEDS[0];
    hfc_arrow_table *t, *back;
    CHECK_OK(hfc_arrow_table_create(&t));
    CHECK_OK(hfc_arrow_table_add_memory(t, s->data, s->size, s->name, NULL));
    int64_t n = t->num_rows, rows[16], offs[17] = {0};
    int32_t vals[16 * 3];
    for (int64_t r = 0; r < n; r++) {
        rows[r] = n - 1 - r;
        offs[r + 1] = offs[r] + r % 3;
        for (int64_t k = offs[r]; k < offs[r + 1]; k++) vals[k] = (int32_t)(100 * r + k);
    }
    hfc_arrow_list_column lc = {"extra", HFC_ARROW_INT32, vals};
    hfc_arrow_write_opts o = {.rows = rows, .n_rows = n, .batch_rows = 2, .lists = &lc,
                              .n_lists = 1, .list_offsets = offs};
    hfc_buf out = {0}, want = {0}, got = {0};
    CHECK_OK(hfc_arrow_write_stream_buf(t, &o, &out));
    CHECK_OK(hfc_arrow_table_create(&back));
    CHECK_OK(hfc_arrow_table_add_memory(back, (const uint8_t *)out.data, out.len, "w", NULL));
    CHECK_EQ_INT(back->num_rows, n);
    CHECK_EQ_INT(back->n_fields, t->n_fields + 1);
    CHECK(!strcmp(back->fields[t->n_fields].name, "extra"));
    CHECK_EQ_INT(back->fields[t->n_fields].type, HFC_ARROW_LIST);
    for (int64_t r = 0; r < n; r++) {
        size_t b;
        int64_t k, st, en;
        hfc_arrow_table_locate(back, r, &b, &k);
        const hfc_arrow_array *a = &back->batches[b].columns[t->n_fields];
        CHECK_OK(hfc_arrow_range(a, k, &st, &en));
        CHECK_EQ_INT(en - st, offs[r + 1] - offs[r]);
        for (int64_t j = st; j < en; j++)
            CHECK_EQ_INT(hfc_arrow_int_at(&a->children[0], j), vals[offs[r] + (j - st)]);
    }
    size_t keep[64];
    for (size_t c = 0; c < t->n_fields; c++) keep[c] = c;
    CHECK_OK(render_table(&want, t, rows));
    hfc_arrow_write_opts o2 = {.batch_rows = 2, .cols = keep, .n_cols = t->n_fields};
    hfc_buf out2 = {0};
    hfc_arrow_table *back2;
    CHECK_OK(hfc_arrow_write_stream_buf(back, &o2, &out2));   /* drop "extra" again */
    CHECK_OK(hfc_arrow_table_create(&back2));
    CHECK_OK(hfc_arrow_table_add_memory(back2, (const uint8_t *)out2.data, out2.len, "w2", NULL));
    CHECK_OK(render_table(&got, back2, NULL));
    CHECK(want.data && got.data && !strcmp(want.data, got.data));
    /* the list column placed first: the table's columns follow in their order */
    size_t pos0 = 0, bad = t->n_fields + 1;
    hfc_arrow_write_opts o3 = o;
    o3.list_pos = &pos0;
    hfc_buf out3 = {0};
    hfc_arrow_table *back3;
    CHECK_OK(hfc_arrow_write_stream_buf(t, &o3, &out3));
    CHECK_OK(hfc_arrow_table_create(&back3));
    CHECK_OK(hfc_arrow_table_add_memory(back3, (const uint8_t *)out3.data, out3.len, "w3", NULL));
    CHECK_EQ_INT(back3->n_fields, t->n_fields + 1);
    CHECK(!strcmp(back3->fields[0].name, "extra"));
    for (size_t c = 0; c < t->n_fields; c++)
        CHECK(!strcmp(back3->fields[c + 1].name, t->fields[c].name));
    for (int64_t r = 0; r < n; r++) {
        size_t b;
        int64_t k, st, en;
        hfc_arrow_table_locate(back3, r, &b, &k);
        CHECK_OK(hfc_arrow_range(&back3->batches[b].columns[0], k, &st, &en));
        CHECK_EQ_INT(en - st, offs[r + 1] - offs[r]);
    }
    o3.list_pos = &bad;
    hfc_buf out4 = {0};
    CHECK_STATUS(hfc_arrow_write_stream_buf(t, &o3, &out4), HFC_ERR_RANGE);
    hfc_buf_free(&out4);
    hfc_buf_free(&out3);
    hfc_arrow_table_free(back3);
    hfc_buf_free(&out);
    hfc_buf_free(&out2);
    hfc_buf_free(&want);
    hfc_buf_free(&got);
    hfc_arrow_table_free(back2);
    hfc_arrow_table_free(back);
    hfc_arrow_table_free(t);
}

static void test_truncated(void) {
    for (size_t i = 0; i < N_SEEDS; i++) {
        const arrow_seed *s = &ARROW_SEEDS[i];
        int errors = 0;
        for (size_t n = 0; n < s->size; n++) {
            hfc_status st = parse_copy(s->data, n, &(hfc_arrow_table *){0});
            if (st == HFC_OK) continue; /* a stream cut at a message boundary */
            errors++;
            CHECK_EQ_INT(st, HFC_ERR_INVALID);
            CHECK(strstr(hfc_error_message(), "byte ") != NULL);
        }
        CHECK(errors > (int)s->size / 2);
    }
}

static void test_byte_flips(void) {
    uint64_t rng = 88172645463325252ull;
    int ok = 0, bad = 0;
    for (size_t i = 0; i < N_SEEDS; i++) {
        const arrow_seed *s = &ARROW_SEEDS[i];
        unsigned char *d = malloc(s->size);
        for (int round = 0; round < 600; round++) {
            memcpy(d, s->data, s->size);
            for (int k = 0; k < 1 + round % 3; k++) {
                rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
                d[rng % s->size] = (unsigned char)(rng >> 32);
            }
            hfc_status st = parse_copy(d, s->size, &(hfc_arrow_table *){0});
            CHECK(st == HFC_OK || st == HFC_ERR_INVALID || st == HFC_ERR_UNSUPPORTED);
            if (st == HFC_OK) ok++; else bad++;
        }
        free(d);
    }
    CHECK(ok > 0 && bad > 0);
}

/* add_file reads metadata with pread (not through the mapping): same values, same checks. */
static void test_files(void) {
    char path[] = "/tmp/hfc_test_arrow_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    for (size_t i = 0; i < N_SEEDS; i++) {
        const arrow_seed *s = &ARROW_SEEDS[i];
        FILE *f = fopen(path, "wb");
        fwrite(s->data, 1, s->size, f);
        fclose(f);
        hfc_arrow_table *t;
        CHECK_OK(hfc_arrow_table_create(&t));
        CHECK_OK(hfc_arrow_table_add_file(t, path));
        hfc_buf o = {0};
        CHECK_OK(render_table(&o, t, NULL));
        CHECK(o.data && !strcmp(o.data, s->rendered));
        hfc_buf_free(&o);
        hfc_arrow_table_free(t);
        /* every truncation of the first two seeds, through the file path */
        for (size_t n = 0; i < 2 && n < s->size; n++) {
            f = fopen(path, "wb");
            fwrite(s->data, 1, n, f);
            fclose(f);
            CHECK_OK(hfc_arrow_table_create(&t));
            hfc_status st = hfc_arrow_table_add_file(t, path);
            if (st == HFC_OK) {
                hfc_buf r = {0};
                CHECK_OK(render_table(&r, t, NULL));
                hfc_buf_free(&r);
            } else {
                CHECK_EQ_INT(st, HFC_ERR_INVALID);
                CHECK(strstr(hfc_error_message(), path) && strstr(hfc_error_message(), "byte "));
            }
            hfc_arrow_table_free(t);
        }
    }
    unlink(path);
}

static void test_out_of_memory(void) {
    const arrow_seed *s = &ARROW_SEEDS[0];
    for (long budget = 0;; budget++) {
        test_oom_budget = budget;
        hfc_set_allocator(&test_oom_allocator);
        hfc_arrow_table *t = NULL;
        hfc_status st = hfc_arrow_table_create(&t);
        if (st == HFC_OK) st = hfc_arrow_table_add_memory(t, s->data, s->size, "oom", NULL);
        hfc_arrow_table_free(t);
        hfc_set_allocator(NULL);
        test_oom_budget = -1;
        if (st == HFC_OK) break;
        CHECK_EQ_INT(st, HFC_ERR_NOMEM);
        if (budget > 10000) { CHECK(0); break; }
    }
}

static void test_multi_file_and_mismatch(void) {
    hfc_arrow_table *t;
    CHECK_OK(hfc_arrow_table_create(&t));
    const arrow_seed *a = &ARROW_SEEDS[0], *b = &ARROW_SEEDS[1]; /* basic stream + file */
    CHECK_OK(hfc_arrow_table_add_memory(t, a->data, a->size, a->name, NULL));
    CHECK_OK(hfc_arrow_table_add_memory(t, b->data, b->size, b->name, NULL));
    CHECK_EQ_INT(t->num_rows, a->rows + b->rows);
    size_t batch;
    int64_t r;
    hfc_arrow_table_locate(t, a->rows, &batch, &r);
    CHECK_EQ_INT(r, 0);
    CHECK_EQ_INT(t->batches[batch].row_start, a->rows);
    const arrow_seed *other = NULL;
    for (size_t i = 0; i < N_SEEDS; i++)
        if (!strncmp(ARROW_SEEDS[i].name, "nested", 6)) other = &ARROW_SEEDS[i];
    int64_t before = t->num_rows;
    CHECK_STATUS(hfc_arrow_table_add_memory(t, other->data, other->size, "other.arrow", NULL),
                 HFC_ERR_INVALID);
    CHECK_MSG("schema differs");
    CHECK_EQ_INT(t->num_rows, before);
    hfc_arrow_table_free(t);
}

static void test_pack_and_gather(void) {
    const arrow_seed *s = NULL;
    for (size_t i = 0; i < N_SEEDS; i++)
        if (!strcmp(ARROW_SEEDS[i].name, "nested_stream")) s = &ARROW_SEEDS[i];
    hfc_arrow_table *t;
    CHECK_OK(hfc_arrow_table_create(&t));
    CHECK_OK(hfc_arrow_table_add_memory(t, s->data, s->size, s->name, NULL));
    /* l = [[1,2], None, [], [3]]: with eos 9 -> 1 2 9 9 9 3 9 -> blocks of 3: [1,2,9],[9,9,3] */
    int32_t *out = NULL;
    int64_t nb = 0;
    CHECK_OK(hfc_arrow_pack(t, 0, NULL, 0, 3, 9, 0, &out, &nb));
    CHECK_EQ_INT(nb, 2);
    int32_t want[6] = {1, 2, 9, 9, 9, 3};
    CHECK(out && !memcmp(out, want, sizeof want));
    hfc_free(out);
    int64_t rows[2] = {3, 0};
    CHECK_OK(hfc_arrow_pack(t, 0, rows, 2, 2, -1, 0, &out, &nb));
    CHECK_EQ_INT(nb, 1);
    CHECK(out && out[0] == 3 && out[1] == 1);
    hfc_free(out);
    /* groups of 2 rows, each dropping its own remainder: 1 2 9 9 | 9 3 9 -> [1,2,9],[9,3,9] */
    CHECK_OK(hfc_arrow_pack(t, 0, NULL, 0, 3, 9, 2, &out, &nb));
    CHECK_EQ_INT(nb, 2);
    int32_t want2[6] = {1, 2, 9, 9, 3, 9};
    CHECK(out && !memcmp(out, want2, sizeof want2));
    hfc_free(out);
    /* groups of 3 rows: 1 2 9 9 9 | 3 9 -> 5 // 3 = 1 block, then 2 // 3 = 0 */
    CHECK_OK(hfc_arrow_pack(t, 0, NULL, 0, 3, 9, 3, &out, &nb));
    CHECK_EQ_INT(nb, 1);
    CHECK(out && !memcmp(out, want, 3 * sizeof *out));
    hfc_free(out);
    /* a group size beyond the row count is one group */
    CHECK_OK(hfc_arrow_pack(t, 0, NULL, 0, 3, 9, 100, &out, &nb));
    CHECK_EQ_INT(nb, 2);
    CHECK(out && !memcmp(out, want, sizeof want));
    hfc_free(out);
    CHECK_STATUS(hfc_arrow_pack(t, 3, NULL, 0, 2, -1, 0, &out, &nb), HFC_ERR_TYPE);
    hfc_arrow_table_free(t);

    const arrow_seed *d = NULL;
    for (size_t i = 0; i < N_SEEDS; i++)
        if (!strcmp(ARROW_SEEDS[i].name, "dict_file")) d = &ARROW_SEEDS[i];
    CHECK_OK(hfc_arrow_table_create(&t));
    CHECK_OK(hfc_arrow_table_add_memory(t, d->data, d->size, d->name, NULL));
    int64_t g[3] = {4, 0, 2};
    int32_t v[3];
    CHECK_OK(hfc_arrow_gather_fixed(t, 1, g, 3, v));
    CHECK(v[0] == 5 && v[1] == 1 && v[2] == 3);
    CHECK_STATUS(hfc_arrow_gather_fixed(t, 0, g, 3, v), HFC_ERR_TYPE);
    int64_t oob = 5;
    CHECK_STATUS(hfc_arrow_gather_fixed(t, 1, &oob, 1, v), HFC_ERR_RANGE);
    hfc_arrow_table_free(t);
}

int main(void) {
    RUN(test_values_match_pyarrow);
    RUN(test_writer_round_trip);
    RUN(test_writer_appended_lists);
    RUN(test_truncated);
    RUN(test_byte_flips);
    RUN(test_files);
    RUN(test_out_of_memory);
    RUN(test_multi_file_and_mismatch);
    RUN(test_pack_and_gather);
    return test_summary();
}
