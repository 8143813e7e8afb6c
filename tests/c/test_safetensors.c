/* safetensors reader and writer: format rules, messages naming file and tensor, the
 * writer's byte layout (descending dtype then name, header padded to 8), atomic write,
 * and out-of-memory paths. Byte-for-byte parity with safetensors itself is tested in
 * tests/test_models_safetensors.py. */
#include "test.h"
#include "hfc/safetensors.h"

#include <stdint.h>
#include <unistd.h>

/* A file image from a JSON header and data bytes. */
static size_t make(uint8_t *out, const char *hdr, const char *data, size_t dlen) {
    size_t n = strlen(hdr);
    for (int i = 0; i < 8; i++) out[i] = (uint8_t)((uint64_t)n >> (8 * i));
    memcpy(out + 8, hdr, n);
    memcpy(out + 8 + n, data, dlen);
    return 8 + n + dlen;
}

static void test_read_valid(void) {
    uint8_t buf[512];
    size_t n = make(buf,
                    "{\"__metadata__\":{\"format\":\"pt\"},"
                    "\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[8,10]},"
                    "\"a\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[0,8]}}  ",
                    "0123456789", 10);
    hfc_st_file *f = NULL;
    CHECK_OK(hfc_st_open_buffer(buf, n, "t.safetensors", &f));
    if (!f) return;
    CHECK_EQ_INT(hfc_st_count(f), 2);
    CHECK(strcmp(hfc_st_at(f, 0)->name, "a") == 0); /* offset order */
    CHECK(strcmp(hfc_st_at_sorted(f, 1)->name, "b") == 0);
    const hfc_st_tensor *b = hfc_st_find(f, "b", 1);
    CHECK(b && b->dtype == HFC_ST_U8 && b->nelem == 2 && memcmp(b->data, "89", 2) == 0);
    CHECK(hfc_st_find(f, "c", 1) == NULL);
    CHECK_EQ_INT(hfc_st_metadata_count(f), 1);
    const char *k, *v;
    size_t kl, vl;
    hfc_st_metadata_at(f, 0, &k, &kl, &v, &vl);
    CHECK(kl == 6 && memcmp(k, "format", 6) == 0 && vl == 2 && memcmp(v, "pt", 2) == 0);
    hfc_st_free(f);
}

typedef struct bad_case {
    const char *hdr, *data, *msg;
} bad_case;

static void test_read_invalid(void) {
    static const bad_case cases[] = {
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},"
         "\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[1,3]}}", "xyz",
         "t.st: tensor 'b': data_offsets [1, 3] overlap tensor 'a'"},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", "xy",
         "tensor 'a': data_offsets [1, 2] leave a gap"},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]}}", "xy",
         "tensor 'a': data_offsets [0, 3] run past the end"},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", "xy",
         "1 bytes at the end of the file"},
        {"{\"w\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,2]}}", "xy",
         "tensor 'w': dtype F16 and shape of 3 elements need 6 bytes"},
        {"{\"w\":{\"dtype\":\"X\",\"shape\":[1],\"data_offsets\":[0,1]}}", "x",
         "tensor 'w': unknown dtype \"X\""},
        {"{\"w\":{\"dtype\":\"F6_E2M3\",\"shape\":[3],\"data_offsets\":[0,2]}}", "xy",
         "not a whole number of bytes"},
        {"{\"w\":{\"dtype\":\"U8\",\"shape\":[9223372036854775807,4],\"data_offsets\":[0,1]}}",
         "x", "tensor 'w': shape overflows"},
        {"{\"a\":1,\"a\":2}", "", "duplicate key"},
        {"{\"__metadata__\":{\"k\":[]}}", "", "__metadata__ 'k' is array"},
        {"[1]", "", "header is array"},
        {"{", "", "t.st header"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        uint8_t buf[512];
        size_t n = make(buf, cases[i].hdr, cases[i].data, strlen(cases[i].data));
        hfc_st_file *f = NULL;
        CHECK_STATUS(hfc_st_open_buffer(buf, n, "t.st", &f), HFC_ERR_INVALID);
        CHECK_MSG(cases[i].msg);
        CHECK(f == NULL);
    }
    uint8_t small[12] = {4, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
    hfc_st_file *f = NULL;
    CHECK_STATUS(hfc_st_open_buffer(small, 5, "t.st", &f), HFC_ERR_INVALID);
    CHECK_MSG("too small");
    CHECK_STATUS(hfc_st_open_buffer(small, 10, "t.st", &f), HFC_ERR_INVALID);
    CHECK_MSG("runs past the end");
    small[7] = 1; /* 2^56 */
    CHECK_STATUS(hfc_st_open_buffer(small, 10, "t.st", &f), HFC_ERR_INVALID);
    CHECK_MSG("100 MB");
}

static void test_write_layout(void) {
    static const uint64_t s2[] = {2}, s0[] = {0};
    const hfc_st_input in[] = {
        {"b", 1, HFC_ST_U8, 1, s2, "pq", 2},
        {"a", 1, HFC_ST_U8, 1, s2, "rs", 2},
        {"z", 1, HFC_ST_I64, 1, s0, "", 0},
        {"h", 1, HFC_ST_F16, 1, s2, "wxyz", 4},
    };
    const hfc_st_kv meta[] = {{"k2", 2, "v", 1}, {"k1", 2, "u\n", 2}};
    hfc_buf out = {0};
    CHECK_OK(hfc_st_serialize(in, 4, 1, meta, 2, &out));
    const char *want =
        "{\"__metadata__\":{\"k1\":\"u\\n\",\"k2\":\"v\"},"
        "\"z\":{\"dtype\":\"I64\",\"shape\":[0],\"data_offsets\":[0,0]},"
        "\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
        "\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[4,6]},"
        "\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[6,8]}}";
    size_t wl = strlen(want), padded = (wl + 7) / 8 * 8;
    CHECK_EQ_INT(out.len, 8 + padded + 8);
    CHECK_EQ_INT((uint8_t)out.data[0], (int)padded);
    CHECK(memcmp(out.data + 8, want, wl) == 0);
    for (size_t i = wl; i < padded; i++) CHECK(out.data[8 + i] == ' ');
    CHECK(memcmp(out.data + 8 + padded, "wxyzrspq", 8) == 0);
    hfc_st_file *f = NULL;
    CHECK_OK(hfc_st_open_buffer((const uint8_t *)out.data, out.len, "w", &f));
    CHECK(f && hfc_st_count(f) == 4);
    hfc_st_free(f);
    hfc_buf_free(&out);

    const hfc_st_input dup[] = {{"a", 1, HFC_ST_U8, 1, s2, "pq", 2}, {"a", 1, HFC_ST_F16, 1, s0, "", 0}};
    CHECK_STATUS(hfc_st_serialize(dup, 2, 0, NULL, 0, &out), HFC_ERR_INVALID);
    CHECK_MSG("duplicate tensor name 'a'");
    hfc_buf_free(&out);
    const hfc_st_input bad[] = {{"w", 1, HFC_ST_F32, 1, s2, "pq", 2}};
    CHECK_STATUS(hfc_st_serialize(bad, 1, 0, NULL, 0, &out), HFC_ERR_INVALID);
    CHECK_MSG("tensor 'w': dtype F32 and shape of 2 elements need 8 bytes, but 2 were given");
    hfc_buf_free(&out);
}

static void test_write_file(void) {
    char dir[] = "/tmp/hfc_st_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[64];
    snprintf(path, sizeof path, "%s/m.safetensors", dir);
    static const uint64_t s3[] = {3};
    const hfc_st_input in[] = {{"x", 1, HFC_ST_I8, 1, s3, "abc", 3}};
    CHECK_OK(hfc_st_write_file(path, in, 1, 0, NULL, 0));
    hfc_st_file *f = NULL;
    CHECK_OK(hfc_st_open(path, &f));
    CHECK(f && hfc_st_mmap(f) && memcmp(hfc_st_find(f, "x", 1)->data, "abc", 3) == 0);
    /* overwrite while mapped: the old map still reads the old bytes */
    const hfc_st_input in2[] = {{"x", 1, HFC_ST_I8, 1, s3, "xyz", 3}};
    CHECK_OK(hfc_st_write_file(path, in2, 1, 0, NULL, 0));
    CHECK(f && memcmp(hfc_st_find(f, "x", 1)->data, "abc", 3) == 0);
    hfc_st_free(f);
    char bad[96];
    snprintf(bad, sizeof bad, "%s/no/such/dir/m.safetensors", dir);
    CHECK_STATUS(hfc_st_write_file(bad, in, 1, 0, NULL, 0), HFC_ERR_IO);
    CHECK_MSG("temporary file");
    unlink(path);
    rmdir(dir);
}

static void test_oom(void) {
    uint8_t buf[256];
    size_t n = make(buf,
                    "{\"__metadata__\":{\"a\":\"b\"},"
                    "\"a\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[0,8]}}",
                    "01234567", 8);
    for (long budget = 0; budget < 40; budget++) {
        test_oom_budget = budget;
        hfc_set_allocator(&test_oom_allocator);
        hfc_st_file *f = NULL;
        hfc_status st = hfc_st_open_buffer(buf, n, "t", &f);
        hfc_buf out = {0};
        static const uint64_t s2[] = {2};
        const hfc_st_input in[] = {{"b", 1, HFC_ST_U8, 1, s2, "pq", 2}};
        hfc_status st2 = hfc_st_serialize(in, 1, 0, NULL, 0, &out);
        hfc_set_allocator(NULL);
        CHECK(st == HFC_OK || st == HFC_ERR_NOMEM);
        CHECK(st2 == HFC_OK || st2 == HFC_ERR_NOMEM);
        hfc_st_free(f);
        hfc_buf_free(&out);
    }
    test_oom_budget = -1;
}

int main(void) {
    RUN(test_read_valid);
    RUN(test_read_invalid);
    RUN(test_write_layout);
    RUN(test_write_file);
    RUN(test_oom);
    return test_summary();
}
