/* libFuzzer target for hfc.hub's parsers of server-sent bytes: header lookup, Link
 * rel="next", Content-Range, ETag normalisation, Location resolution, relative-path safety
 * and the /tree JSON listing.
 *
 * Input: the first byte picks nothing; the input is split at the first NUL into A and B and
 * every parser sees A (B is the Location for url_resolve). Invariants: results point inside
 * the input; a normalised ETag is a safe file name; a resolved URL has an http(s) origin;
 * every tree entry path passes hfc_hub_check_relpath; failures are HFC_ERR_INVALID (or
 * NOMEM) with a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hfc/hfc.h"
#include "hfc/hub.h"

#define REQUIRE(cond)                                                                    \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "fuzz_http: %s:%d: %s failed (last message: %s)\n", __FILE__, \
                    __LINE__, #cond, hfc_error_message());                               \
            abort();                                                                     \
        }                                                                                \
    } while (0)

static void inside(const char *p, size_t n, const char *base, size_t len) {
    REQUIRE(p >= base && p + n <= base + len);
}

static void check_failure(hfc_status st) {
    REQUIRE(st == HFC_ERR_INVALID || st == HFC_ERR_NOMEM);
    REQUIRE(hfc_error_message()[0] != 0);
    hfc_error_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *a = (const char *)data;
    const char *nul = memchr(a, 0, size);
    size_t alen = nul ? (size_t)(nul - a) : size;
    const char *b = nul ? nul + 1 : "";
    size_t blen = nul ? size - alen - 1 : 0;

    static const char *names[] = {"etag", "x-linked-etag", "x-linked-size", "x-repo-commit",
                                  "location", "link", "content-range", "x-error-code"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        size_t vl = 0;
        const char *v = hfc_hub_header_get(a, alen, names[i], &vl);
        if (v) inside(v, vl, a, alen);
    }
    size_t ul = 0;
    const char *u = hfc_hub_link_next(a, alen, &ul);
    if (u) inside(u, ul, a, alen);

    int64_t f, l, t;
    hfc_status st = hfc_hub_parse_content_range(a, alen, &f, &l, &t);
    if (st == HFC_OK) REQUIRE(f >= 0 && l >= f && (t == -1 || l < t));
    else check_failure(st);

    char etag[256];
    st = hfc_hub_normalize_etag(a, alen, etag, sizeof etag);
    if (st == HFC_OK) {
        REQUIRE(hfc_hub_check_relpath(etag, strlen(etag)) == HFC_OK);
        REQUIRE(strchr(etag, '/') == NULL);
    } else {
        check_failure(st);
    }

    st = hfc_hub_check_relpath(a, alen);
    if (st == HFC_OK) REQUIRE(alen > 0 && a[0] != '/' && !memchr(a, '\\', alen));
    else check_failure(st);

    /* A as a base URL (NUL-terminated copy), B as a Location */
    char *base = malloc(alen + 1);
    REQUIRE(base);
    memcpy(base, a, alen);
    base[alen] = 0;
    char *out = NULL;
    char origin[512];
    if (hfc_hub_url_origin(base, origin, sizeof origin) == HFC_OK) {
        st = hfc_hub_url_resolve(base, b, blen, &out);
        if (st == HFC_OK) {
            size_t on = strlen(out) + 1;
            char *o2 = malloc(on);
            REQUIRE(o2);
            hfc_status s2 = hfc_hub_url_origin(out, o2, on);
            REQUIRE(s2 == HFC_OK);
            free(o2);
            hfc_error_clear();
            hfc_free(out);
        } else {
            check_failure(st);
        }
    } else {
        hfc_error_clear();
    }
    free(base);

    hfc_hub_tree tree = {0};
    st = hfc_hub_parse_tree(a, alen, &tree);
    if (st == HFC_OK) {
        for (size_t i = 0; i < tree.len; i++) {
            REQUIRE(tree.items[i].path);
            REQUIRE(hfc_hub_check_relpath(tree.items[i].path, strlen(tree.items[i].path)) == HFC_OK);
        }
    } else {
        check_failure(st);
    }
    hfc_hub_tree_clear(&tree);
    return 0;
}
