/* C unit tests for hfc.hub's parsers and cache helpers (no network). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "hfc/hub.h"

static int hv_eq(const char *h, const char *name, const char *want) {
    size_t n = 0;
    const char *v = hfc_hub_header_get(h, strlen(h), name, &n);
    if (!want) return v == NULL;
    return v && n == strlen(want) && memcmp(v, want, n) == 0;
}

static void test_headers(void) {
    const char *h = "HTTP/1.1 302 Found\r\nLocation: /a\r\nX-Repo-Commit: abc\r\n\r\n"
                    "HTTP/1.1 200 OK\r\nETag:   \"xyz\"  \r\nx-linked-size: 12\r\nETag: \"last\"\r\n\r\n";
    CHECK(hv_eq(h, "etag", "\"last\""));
    CHECK(hv_eq(h, "X-Linked-Size", "12"));
    CHECK(hv_eq(h, "location", NULL));      /* belonged to the earlier response */
    CHECK(hv_eq(h, "x-repo-commit", NULL));
    CHECK(hv_eq("ETag:\r\n", "etag", ""));
    CHECK(hv_eq("ETagX: 1\r\n", "etag", NULL));
    CHECK(hv_eq("no colon line\nA: b", "a", "b"));
}

static void test_link(void) {
    const char *l = "<https://h/api/x?cursor=1>; rel=\"prev\", <https://h/api/x?cursor=2>; rel=\"next\"";
    size_t n = 0;
    const char *u = hfc_hub_link_next(l, strlen(l), &n);
    CHECK(u && n == strlen("https://h/api/x?cursor=2") && !memcmp(u, "https://h/api/x?cursor=2", n));
    const char *l2 = "<a>; rel=next";
    u = hfc_hub_link_next(l2, strlen(l2), &n);
    CHECK(u && n == 1 && u[0] == 'a');
    const char *l3 = "<a>; rel=\"prev nextish\"";
    CHECK(hfc_hub_link_next(l3, strlen(l3), &n) == NULL);
    const char *l4 = "<a>; title=\"x, y\"; rel=\"last next\"";
    CHECK(hfc_hub_link_next(l4, strlen(l4), &n) != NULL);
    CHECK(hfc_hub_link_next("garbage", 7, &n) == NULL);
    CHECK(hfc_hub_link_next("<unterminated", 13, &n) == NULL);
}

static void test_content_range(void) {
    int64_t a, b, t;
    const char *v = "bytes 10-19/100";
    CHECK_OK(hfc_hub_parse_content_range(v, strlen(v), &a, &b, &t));
    CHECK(a == 10 && b == 19 && t == 100);
    v = "bytes 0-0/*";
    CHECK_OK(hfc_hub_parse_content_range(v, strlen(v), &a, &b, &t));
    CHECK(t == -1);
    const char *bad[] = {"bytes 5-4/10", "bytes 0-10/10", "bits 0-1/2", "bytes -1/2", "bytes 1-2", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_STATUS(hfc_hub_parse_content_range(bad[i], strlen(bad[i]), &a, &b, &t), HFC_ERR_INVALID);
}

static void test_etag(void) {
    char out[128];
    CHECK_OK(hfc_hub_normalize_etag("W/\"abc\"", 7, out, sizeof out));
    CHECK(!strcmp(out, "abc"));
    CHECK_OK(hfc_hub_normalize_etag("\"0123\"", 6, out, sizeof out));
    CHECK(!strcmp(out, "0123"));
    CHECK_STATUS(hfc_hub_normalize_etag("\"../x\"", 6, out, sizeof out), HFC_ERR_INVALID);
    CHECK_STATUS(hfc_hub_normalize_etag("\"..\"", 4, out, sizeof out), HFC_ERR_INVALID);
    CHECK_STATUS(hfc_hub_normalize_etag("\"\"", 2, out, sizeof out), HFC_ERR_INVALID);
}

static void test_urls(void) {
    char o[256];
    CHECK_OK(hfc_hub_url_origin("HTTP://Example.COM:80/a?b", o, sizeof o));
    CHECK(!strcmp(o, "http://example.com"));
    CHECK_OK(hfc_hub_url_origin("https://user@h:8443/x", o, sizeof o));
    CHECK(!strcmp(o, "https://h:8443"));
    CHECK_STATUS(hfc_hub_url_origin("ftp://h/x", o, sizeof o), HFC_ERR_INVALID);
    CHECK_STATUS(hfc_hub_url_origin("/relative", o, sizeof o), HFC_ERR_INVALID);
    struct { const char *base, *loc, *want; } cases[] = {
        {"http://h:1/a/b?q", "/c", "http://h:1/c"},
        {"http://h:1/a/b?q", "c/d", "http://h:1/a/c/d"},
        {"http://h:1", "c", "http://h:1/c"},
        {"http://h:1/a", "http://cdn:2/x", "http://cdn:2/x"},
        {"https://h/a", "//cdn/x", "https://cdn/x"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *r = NULL;
        CHECK_OK(hfc_hub_url_resolve(cases[i].base, cases[i].loc, strlen(cases[i].loc), &r));
        CHECK(r && !strcmp(r, cases[i].want));
        hfc_free(r);
    }
    char *r = NULL;
    CHECK_STATUS(hfc_hub_url_resolve("http://h/a", "file:///etc/passwd", 18, &r), HFC_ERR_INVALID);
    CHECK_STATUS(hfc_hub_url_resolve("http://h/a", "/x\r\nA: b", 8, &r), HFC_ERR_INVALID);
}

static void test_relpath_checks(void) {
    const char *ok[] = {"a", "a/b.txt", "x/..y/z", ".gitattributes", "a/.b"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) CHECK_OK(hfc_hub_check_relpath(ok[i], strlen(ok[i])));
    const char *bad[] = {"", "/etc/passwd", "../x", "a/../../x", "a\\b", "a//b", "a/", "./a", "a/.", ".."};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_STATUS(hfc_hub_check_relpath(bad[i], strlen(bad[i])), HFC_ERR_INVALID);
    CHECK_MSG("escapes the repo folder");
    char *r = NULL;
    CHECK_OK(hfc_hub_relpath("/c/m/blobs/e", "/c/m/snapshots/abc/d1/d2", &r));
    CHECK(r && !strcmp(r, "../../../../blobs/e"));
    hfc_free(r);
    CHECK_OK(hfc_hub_relpath("/c/m/blobs/e", "/c/m/snapshots/abc", &r));
    CHECK(r && !strcmp(r, "../../blobs/e"));
    hfc_free(r);
    CHECK_OK(hfc_hub_relpath("/a/bc/x", "/a/b", &r));
    CHECK(r && !strcmp(r, "../bc/x"));
    hfc_free(r);
}

static void test_tree(void) {
    const char *j = "[{\"type\":\"file\",\"oid\":\"aa\",\"size\":3,\"path\":\"a/b.txt\"},"
                    "{\"type\":\"directory\",\"oid\":\"bb\",\"size\":0,\"path\":\"a\"},"
                    "{\"type\":\"file\",\"oid\":\"cc\",\"size\":9,\"path\":\"m.bin\","
                    "\"lfs\":{\"oid\":\"" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                    "\",\"size\":9,\"pointerSize\":120}}]";
    hfc_hub_tree t = {0};
    CHECK_OK(hfc_hub_parse_tree(j, strlen(j), &t));
    CHECK_EQ_INT(t.len, 3);
    if (t.len == 3) {
        CHECK(!t.items[0].is_dir && !strcmp(t.items[0].path, "a/b.txt") && t.items[0].size == 3);
        CHECK(t.items[1].is_dir);
        CHECK(t.items[2].lfs_oid && t.items[2].lfs_size == 9 && !t.items[0].lfs_oid);
    }
    hfc_hub_tree_clear(&t);
    const char *bad[] = {
        "{}", "[1]", "[{\"type\":\"file\",\"path\":\"../x\"}]",
        "[{\"type\":\"file\",\"path\":\"/abs\"}]", "[{\"type\":\"file\",\"path\":\"a\\\\b\"}]",
        "[{\"type\":\"file\",\"path\":\"a\",\"size\":-1}]", "[{\"type\":\"link\",\"path\":\"a\"}]",
        "[{\"type\":\"file\",\"path\":\"a\",\"lfs\":{\"oid\":\"../../x\"}}]",
        "[{\"type\":\"file\",\"path\":\"a\\u0000b\"}]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK_STATUS(hfc_hub_parse_tree(bad[i], strlen(bad[i]), &t), HFC_ERR_INVALID);
        hfc_hub_tree_clear(&t);
    }
}

static void test_hash_and_link(void) {
    char dir[] = "/tmp/hfc_test_hub_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char blob[256], ptr[256];
    snprintf(blob, sizeof blob, "%s/m/blobs/x", dir);
    snprintf(ptr, sizeof ptr, "%s/m/snapshots/c/d/f.txt", dir);
    char bd[256];
    snprintf(bd, sizeof bd, "%s/m/blobs", dir);
    CHECK_OK(hfc_hub_mkdirs(bd));
    FILE *f = fopen(blob, "wb");
    fputs("hello\n", f);
    fclose(f);
    char h[65], g[41];
    CHECK_OK(hfc_hub_sha256_file(blob, h));
    CHECK(!strcmp(h, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"));
    CHECK_OK(hfc_hub_git_sha1_file(blob, g)); /* git hash-object of "hello\n" */
    CHECK(!strcmp(g, "ce013625030ba8dba906f756967f9e9ca394464a"));
    CHECK_OK(hfc_hub_link_pointer(blob, ptr, false, false));
    char target[256] = "";
    ssize_t n = readlink(ptr, target, sizeof target - 1);
    CHECK(n > 0 && !strcmp(target, "../../../blobs/x"));
    CHECK_OK(hfc_hub_link_pointer(blob, ptr, false, false)); /* replace in place */
    CHECK_OK(hfc_hub_link_pointer(blob, ptr, true, false));  /* copy */
    struct stat sb;
    CHECK(lstat(ptr, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 6);
    CHECK_STATUS(hfc_hub_sha256_file("/nonexistent/x", h), HFC_ERR_IO);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

static void test_fetch_no_server(void) {
    /* a refused connection fails cleanly after the retries and leaves no blob */
    char dir[] = "/tmp/hfc_test_hub_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char blob[256], lock[256];
    snprintf(blob, sizeof blob, "%s/blobs/ce013625030ba8dba906f756967f9e9ca394464a", dir);
    snprintf(lock, sizeof lock, "%s/.locks/m/x.lock", dir);
    hfc_hub_fetch f;
    hfc_hub_fetch_init(&f);
    f.url = "http://127.0.0.1:1/x";
    f.blob_path = blob;
    f.lock_path = lock;
    f.etag = "ce013625030ba8dba906f756967f9e9ca394464a";
    f.size = 6;
    f.http.retries = 1;
    f.http.backoff = 0.01;
    hfc_hub_fetch_result r;
    CHECK_STATUS(hfc_hub_fetch_blob(&f, &r), HFC_ERR_IO);
    CHECK(access(blob, F_OK) != 0);
    hfc_hub_fetch_result_clear(&r);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

int main(void) {
    RUN(test_headers);
    RUN(test_link);
    RUN(test_content_range);
    RUN(test_etag);
    RUN(test_urls);
    RUN(test_relpath_checks);
    RUN(test_tree);
    RUN(test_hash_and_link);
    RUN(test_fetch_no_server);
    return test_summary();
}
