/* hfc.hub: a Hub client on libcurl + OpenSSL, sharing huggingface_hub's cache.
 *
 * Layers (each usable alone, each tested alone):
 *   parse     pure functions over bytes the server sent: header lookup, Link rel="next",
 *             Content-Range, ETag normalisation, URL origin/resolution, repo-relative path
 *             safety, and the /tree JSON listing. No I/O; fuzzed (tests/fuzz/fuzz_http.c).
 *   http      one request: HEAD/GET/POST/PUT/DELETE with our own redirect handling (the
 *             token only ever goes to its own origin), retries with backoff on 5xx, cut
 *             connections and timeouts (idempotent methods only).
 *   fetch     one blob into the cache: flock on .locks/<repo>/<etag>.lock, write to
 *             blobs/<etag>.incomplete (resumable, several Range requests in parallel on the
 *             hfc pool), SHA-256 (LFS) or git-blob SHA-1 (regular files) verified while
 *             streaming, atomic rename into blobs/<etag>, then the snapshot pointer
 *             (relative symlink, or a copy when symlinks are disabled).
 *
 * Ownership: every char* in a result is hfc_malloc'd and freed by the matching _clear.
 */
#ifndef HFC_HUB_H
#define HFC_HUB_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "status.h"
#include "alloc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------- parse ---------------- */

/* Value of header `name` (case-insensitive) in a raw header block ("Name: value\r\n"...,
 * the status line(s) allowed). The last occurrence wins. Returns a pointer into `hdrs`
 * with leading/trailing whitespace trimmed and its length in *vlen, or NULL. */
const char *hfc_hub_header_get(const char *hdrs, size_t len, const char *name, size_t *vlen);

/* URL of the rel="next" link in a Link header value; NULL if none. *ulen gets its length. */
const char *hfc_hub_link_next(const char *link, size_t len, size_t *ulen);

/* "bytes A-B/T" (T may be "*"). total = -1 when "*". HFC_ERR_INVALID when malformed. */
hfc_status hfc_hub_parse_content_range(const char *v, size_t len, int64_t *first, int64_t *last,
                                       int64_t *total);

/* huggingface_hub's _normalize_etag: strip any of 'W' '/' from the left, then '"' from
 * both ends. Writes at most cap-1 bytes + NUL; HFC_ERR_INVALID when it does not fit or
 * the result is empty or holds a '/', '\\' or control byte (it becomes a file name). */
hfc_status hfc_hub_normalize_etag(const char *v, size_t len, char *out, size_t cap);

/* "scheme://host[:port]" of a URL, lower-cased host, default port removed. HFC_ERR_INVALID
 * for anything that is not an absolute http(s) URL. */
hfc_status hfc_hub_url_origin(const char *url, char *out, size_t cap);

/* Resolve a Location header against the URL it came from: absolute http(s) URLs are kept,
 * "/path" takes the base's origin, "path" replaces the last segment. *out is hfc_malloc'd. */
hfc_status hfc_hub_url_resolve(const char *base, const char *loc, size_t loclen, char **out);

/* A repo-relative path a server or user gave us is safe to join under a folder: not
 * empty, not absolute, no backslash, no NUL/control byte, no "" "." or ".." component,
 * at most 4096 bytes. HFC_ERR_INVALID naming the path otherwise. */
hfc_status hfc_hub_check_relpath(const char *path, size_t len);

/* One entry of GET /api/{type}s/{id}/tree/{rev}?recursive=true. */
typedef struct hfc_hub_tree_entry {
    bool is_dir;
    char *path;        /* checked with hfc_hub_check_relpath */
    int64_t size;      /* -1 if absent */
    char *oid;         /* git blob / tree id; NULL if absent */
    char *lfs_oid;     /* sha256 of an LFS file; NULL for regular files */
    int64_t lfs_size;  /* -1 if not LFS */
    char *xet_hash;    /* NULL if absent */
} hfc_hub_tree_entry;

typedef struct hfc_hub_tree {
    hfc_hub_tree_entry *items;
    size_t len, cap;
} hfc_hub_tree;

/* Append the entries of one page (a JSON array) to *tree. Errors name the JSON path. */
hfc_status hfc_hub_parse_tree(const char *json, size_t len, hfc_hub_tree *tree);
void hfc_hub_tree_clear(hfc_hub_tree *tree);

/* ---------------- hashing ---------------- */

/* Lower-case hex SHA-256 of a file (out: 65 bytes). Streams through OpenSSL EVP. */
hfc_status hfc_hub_sha256_file(const char *path, char out[65]);
/* Lower-case hex git blob id ("blob <size>\0" + content, SHA-1) of a file (out: 41). */
hfc_status hfc_hub_git_sha1_file(const char *path, char out[41]);

/* ---------------- http ---------------- */

typedef struct hfc_hub_http_opts {
    const char *token;        /* "Authorization: Bearer <token>", only to auth_origin */
    const char *auth_origin;  /* origin the token belongs to; NULL -> the first URL's */
    const char *const *headers; /* NULL-terminated "Name: value" lines; no Authorization */
    const char *user_agent;   /* NULL -> "hfc/<version>" */
    double timeout;           /* seconds to connect and between bytes; <= 0 -> 10 */
    int retries;              /* extra attempts on 5xx/cut/timeout (idempotent only); < 0 -> 5 */
    double backoff;           /* first back-off in seconds, doubled per retry; <= 0 -> 0.25 */
    int redirects;            /* 0: return a 3xx as is; 1: follow only same-origin ones;
                                 2: follow any (dropping the token when leaving its origin) */
    size_t max_body;          /* body bytes kept in memory; 0 -> 64 MiB */
} hfc_hub_http_opts;

typedef struct hfc_hub_response {
    long status;      /* final HTTP status; 0 if no response */
    char *url;        /* final URL (after the redirects followed) */
    hfc_buf headers;  /* raw header block of the final response */
    hfc_buf body;     /* body (empty for HEAD) */
    int attempts;     /* requests made, retries and redirects included */
    int redirected_cross_origin; /* the token was withheld from some hop */
} hfc_hub_response;

/* One request. body may be NULL (no body) — for POST/PUT, body_len bytes are sent.
 * A transport failure after the retries is HFC_ERR_IO with curl's message; an HTTP error
 * status is NOT a failure here (the caller maps it, see python/hfc/hub.py). */
hfc_status hfc_hub_http(const char *method, const char *url, const void *body, size_t body_len,
                        const hfc_hub_http_opts *opts, hfc_hub_response *out);
/* PUT/POST the bytes [offset, offset+len) of a file (streamed, not loaded). */
hfc_status hfc_hub_http_file(const char *method, const char *url, const char *path,
                             int64_t offset, int64_t len, const hfc_hub_http_opts *opts,
                             hfc_hub_response *out);
void hfc_hub_response_clear(hfc_hub_response *r);

/* ---------------- fetch ---------------- */

/* Called with the bytes received since the last call (any thread, at most ~10 times a
 * second, and once at the end). Return non-zero to cancel: the fetch then fails with
 * HFC_ERR_STATE "download cancelled", keeping a resumable part. */
typedef int (*hfc_hub_progress_fn)(void *ctx, int64_t delta);

typedef struct hfc_hub_fetch {
    const char *url;          /* /resolve URL or the CDN location from HEAD */
    const char *blob_path;    /* <storage>/blobs/<etag> */
    const char *lock_path;    /* <cache>/.locks/<repo>/<etag>.lock; NULL -> no lock */
    const char *pointer_path; /* <storage>/snapshots/<commit>/<file>; NULL -> none */
    const char *etag;         /* 64 hex: SHA-256 verified; 40 hex: git blob SHA-1 verified */
    int64_t size;             /* expected size; -1 unknown */
    int connections;          /* parallel Range requests; 0 -> by size */
    bool force;               /* download even if the blob exists */
    bool copy_pointer;        /* HF_HUB_DISABLE_SYMLINKS: copy (or move a new blob) */
    bool verify;              /* default true via hfc_hub_fetch_init */
    hfc_hub_http_opts http;
    hfc_hub_progress_fn progress; /* bytes as they arrive (any thread); may be NULL */
    void *progress_ctx;
} hfc_hub_fetch;

typedef struct hfc_hub_fetch_result {
    long http_status;        /* an HTTP error status that stopped the fetch, else 0/2xx */
    char *error_headers;     /* raw headers of that error response (X-Error-Code...) */
    int64_t bytes;           /* bytes received this call */
    int64_t resumed_from;    /* bytes found in a valid .incomplete and kept */
    int connections;         /* Range requests used */
    bool downloaded;         /* false: the blob was already there */
    int restarts;            /* full re-downloads after a failed verification */
} hfc_hub_fetch_result;

void hfc_hub_fetch_init(hfc_hub_fetch *f);
/* Make `blob_path` exist with verified content (and `pointer_path` point at it). */
hfc_status hfc_hub_fetch_blob(const hfc_hub_fetch *f, hfc_hub_fetch_result *res);
void hfc_hub_fetch_result_clear(hfc_hub_fetch_result *r);

/* Fetch many (snapshot_download): runs up to `workers` fetches at once on the hfc pool.
 * Stops at the first failure, whose index goes to *failed (else -1). results[i] for each. */
hfc_status hfc_hub_fetch_many(const hfc_hub_fetch *items, size_t n, int workers,
                              hfc_hub_fetch_result *results, long *failed);

/* Snapshot pointer: a relative symlink from pointer_path to blob_path (or a copy/move),
 * parents created, replacing whatever was there atomically. */
hfc_status hfc_hub_link_pointer(const char *blob_path, const char *pointer_path, bool copy,
                                bool move_blob);

/* Relative path from directory `from_dir` to `to` (both absolute, normalised). */
hfc_status hfc_hub_relpath(const char *to, const char *from_dir, char **out);

/* mkdir -p (mode 0777 & ~umask). */
hfc_status hfc_hub_mkdirs(const char *dir);

/* Test hook: the Nth write(2)/pwrite(2) of blob data fails with this errno (0: off). */
void hfc_hub_inject_write_error(long nth, int err);

/* Default connection count for a size: 1 below 32 MiB, then one per 32 MiB up to 8. */
int hfc_hub_default_connections(int64_t size);

#ifdef __cplusplus
}
#endif
#endif /* HFC_HUB_H */
