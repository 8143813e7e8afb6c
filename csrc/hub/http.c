/* hfc.hub HTTP on libcurl: one exchange, our own redirects, retries with back-off.
 *
 * Each thread keeps one CURL easy handle (a pthread key frees it), so a pool worker that
 * fetches 500 files reuses its keep-alive connection. curl never follows redirects: we do,
 * and the Authorization header goes only to the origin the token belongs to.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hfc/hfc.h"
#include "hfc/hub.h"
#include "hub_internal.h"

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static pthread_key_t g_key;
static CURLcode g_init_rc = CURLE_OK;

static void handle_free(void *p) { curl_easy_cleanup((CURL *)p); }
static void global_init(void) {
    g_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_key_create(&g_key, handle_free);
}

hfc_status hub_curl(CURL **out) {
    pthread_once(&g_once, global_init);
    if (g_init_rc != CURLE_OK)
        return hfc_fail(HFC_ERR_STATE, "libcurl initialisation failed: %s", curl_easy_strerror(g_init_rc));
    CURL *c = pthread_getspecific(g_key);
    if (!c) {
        c = curl_easy_init();
        if (!c) return hfc_fail(HFC_ERR_NOMEM, "curl_easy_init failed");
        pthread_setspecific(g_key, c);
    } else {
        curl_easy_reset(c); /* keeps the connection cache */
    }
    *out = c;
    return HFC_OK;
}

void hub_sleep(double s) {
    if (s <= 0) return;
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

double hub_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

bool hub_status_retryable(long status) {
    return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 ||
           status == 504;
}

void hfc_hub_response_clear(hfc_hub_response *r) {
    hfc_free(r->url);
    hfc_buf_free(&r->headers);
    hfc_buf_free(&r->body);
    memset(r, 0, sizeof *r);
}

/* ---- one exchange ---- */

typedef struct xfer {
    hub_exchange *ex;
    CURL *c;
    hfc_hub_response *out;
    bool began;          /* sink->begin called */
    hfc_status sink_st;  /* a sink failure (kept, since curl only sees "write error") */
    bool sink_done;      /* the sink took fewer bytes than offered: stop, no error */
    size_t max_body;
    bool body_overflow;
    /* upload source */
    const char *up_mem;
    int up_fd;
    int64_t up_off, up_left;
} xfer;

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
    xfer *x = ud;
    size_t len = size * n;
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) x->out->headers.len = 0; /* 1xx, new response */
    if (hfc_buf_append(&x->out->headers, p, len) != HFC_OK) return 0;
    return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
    xfer *x = ud;
    size_t len = size * n;
    if (!x->began) {
        x->began = true;
        long status = 0;
        curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &status);
        x->out->status = status;
        if (x->ex->sink && status >= 200 && status < 300) {
            x->sink_st = x->ex->sink->begin(x->ex->sink->ctx, status, x->out->headers.data,
                                            x->out->headers.len);
            if (x->sink_st != HFC_OK) return CURL_WRITEFUNC_ERROR;
        }
    }
    if (x->ex->sink && x->out->status >= 200 && x->out->status < 300) {
        size_t took = 0;
        x->sink_st = x->ex->sink->data(x->ex->sink->ctx, p, len, &took);
        if (x->sink_st != HFC_OK) return CURL_WRITEFUNC_ERROR;
        if (took < len) x->sink_done = true;
        return took; /* < len stops the transfer (a range is complete) */
    }
    if (x->out->body.len + len > x->max_body) {
        x->body_overflow = true;
        return CURL_WRITEFUNC_ERROR;
    }
    if (hfc_buf_append(&x->out->body, p, len) != HFC_OK) return CURL_WRITEFUNC_ERROR;
    return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *ud) {
    xfer *x = ud;
    size_t want = size * n;
    if ((int64_t)want > x->up_left) want = (size_t)x->up_left;
    if (want == 0) return 0;
    if (x->up_mem) {
        memcpy(buf, x->up_mem, want);
        x->up_mem += want;
    } else {
        ssize_t r = pread(x->up_fd, buf, want, x->up_off);
        if (r <= 0) return CURL_READFUNC_ABORT;
        want = (size_t)r;
        x->up_off += r;
    }
    x->up_left -= (int64_t)want;
    return want;
}

static struct curl_slist *slist_add(struct curl_slist *l, const char *s, bool *ok) {
    struct curl_slist *n = curl_slist_append(l, s);
    if (!n) *ok = false;
    return n ? n : l;
}

/* One request/response, no redirect following, no retry. A transport error -> HFC_ERR_IO
 * and *transport = true. */
hfc_status hub_exchange_once(hub_exchange *ex, hfc_hub_response *out, bool send_token,
                             bool *transport) {
    *transport = false;
    const hfc_hub_http_opts *o = ex->opts;
    CURL *c;
    HFC_TRY(hub_curl(&c));
    out->headers.len = 0;
    out->body.len = 0;
    out->status = 0;
    xfer x = {.ex = ex, .c = c, .out = out, .up_fd = -1,
              .max_body = o->max_body ? o->max_body : ((size_t)64 << 20)};
    bool ok = true;
    struct curl_slist *hl = NULL;
    char line[8192];
    if (send_token && o->token && o->token[0]) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", o->token);
        hl = slist_add(hl, line, &ok);
    }
    for (const char *const *h = o->headers; h && *h; h++) {
        if (strncasecmp(*h, "authorization:", 14) == 0) continue;
        hl = slist_add(hl, *h, &ok);
    }
    if (ex->range) {
        snprintf(line, sizeof line, "Range: %s", ex->range);
        hl = slist_add(hl, line, &ok);
    }
    hl = slist_add(hl, "Expect:", &ok);
    if (!ok) {
        curl_slist_free_all(hl);
        return hfc_fail(HFC_ERR_NOMEM, "curl header list");
    }
    double timeout = o->timeout > 0 ? o->timeout : 10.0;
    char ua[256];
    snprintf(ua, sizeof ua, "%s", o->user_agent ? o->user_agent : "hfc/" HFC_VERSION);
    curl_easy_setopt(c, CURLOPT_URL, ex->url);
    curl_easy_setopt(c, CURLOPT_USERAGENT, ua);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(timeout * 1000));
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)ceil(timeout));
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 256L * 1024);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, NULL); /* identity: sizes/hashes are of bytes */
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    const char *m = ex->method;
    if (strcmp(m, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (ex->has_body) {
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, &x);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)ex->body_len);
        x.up_left = ex->body_len;
        if (ex->body_path) {
            x.up_fd = open(ex->body_path, O_RDONLY | O_CLOEXEC);
            if (x.up_fd < 0) {
                curl_slist_free_all(hl);
                return hfc_fail_errno(errno, "%s", ex->body_path);
            }
            x.up_off = ex->body_off;
        } else {
            x.up_mem = ex->body ? ex->body : "";
        }
    } else if (strcmp(m, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m);
    }
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(hl);
    if (x.up_fd >= 0) close(x.up_fd);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status) out->status = status;
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    if (rc == CURLE_WRITE_ERROR && x.sink_st != HFC_OK) return x.sink_st;
    if (rc == CURLE_WRITE_ERROR && x.sink_done) rc = CURLE_OK;
    if (rc == CURLE_WRITE_ERROR && x.body_overflow)
        return hfc_fail(HFC_ERR_IO, "%s %s: response body larger than %zu bytes", m, ex->url,
                        x.max_body);
    if (rc != CURLE_OK) {
        *transport = true;
        return hfc_fail(HFC_ERR_IO, "%s %s: %s", m, ex->url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
    }
    if (!x.began && ex->sink && out->status >= 200 && out->status < 300 && strcmp(m, "HEAD") != 0) {
        /* an empty body: the sink still has to see the response */
        hfc_status st = ex->sink->begin(ex->sink->ctx, out->status, out->headers.data, out->headers.len);
        if (st != HFC_OK) return st;
    }
    return HFC_OK;
}

/* Follow redirects per opts->redirects; the token only goes to auth_origin. */
hfc_status hub_exchange_follow(hub_exchange *ex, hfc_hub_response *out, bool *transport) {
    const hfc_hub_http_opts *o = ex->opts;
    char auth[512], cur[512];
    HFC_TRY(hfc_hub_url_origin(o->auth_origin ? o->auth_origin : ex->url, auth, sizeof auth));
    char *owned = NULL;
    const char *url0 = ex->url;
    hfc_status st = HFC_OK;
    for (int hop = 0;; hop++) {
        st = hfc_hub_url_origin(ex->url, cur, sizeof cur);
        if (st != HFC_OK) break;
        bool same = strcmp(cur, auth) == 0;
        if (!same) out->redirected_cross_origin = 1;
        out->attempts++;
        st = hub_exchange_once(ex, out, same, transport);
        if (st != HFC_OK) break;
        long s = out->status;
        bool redirect = s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
        size_t llen = 0;
        const char *loc = redirect ? hfc_hub_header_get(out->headers.data, out->headers.len,
                                                         "location", &llen) : NULL;
        if (!loc || o->redirects == 0) break;
        char *next = NULL;
        st = hfc_hub_url_resolve(ex->url, loc, llen, &next);
        if (st != HFC_OK) break;
        char norig[512];
        st = hfc_hub_url_origin(next, norig, sizeof norig);
        if (st != HFC_OK || (o->redirects == 1 && strcmp(norig, cur) != 0)) {
            hfc_free(next);
            break; /* not followed: the caller sees the 3xx and its Location */
        }
        if (hop >= 10) {
            hfc_free(next);
            st = hfc_fail(HFC_ERR_IO, "%s %s: more than 10 redirects", ex->method, url0);
            break;
        }
        hfc_free(owned);
        owned = next;
        ex->url = owned;
    }
    hfc_free(out->url);
    out->url = hfc_strndup(ex->url, strlen(ex->url));
    hfc_free(owned);
    ex->url = url0;
    if (st == HFC_OK && !out->url) st = hfc_fail(HFC_ERR_NOMEM, "response url");
    return st;
}

static bool idempotent(const char *m) {
    return !strcmp(m, "GET") || !strcmp(m, "HEAD") || !strcmp(m, "PUT") || !strcmp(m, "OPTIONS");
}

hfc_status hub_exchange_retry(hub_exchange *ex, hfc_hub_response *out) {
    const hfc_hub_http_opts *o = ex->opts;
    int retries = o->retries < 0 ? 5 : o->retries;
    if (!idempotent(ex->method)) retries = 0;
    double wait = o->backoff > 0 ? o->backoff : 0.25;
    for (int attempt = 0;; attempt++) {
        bool transport = false;
        hfc_status st = hub_exchange_follow(ex, out, &transport);
        bool again = (st != HFC_OK && transport) || (st == HFC_OK && hub_status_retryable(out->status));
        if (!again || attempt >= retries) return st;
        hfc_error_clear();
        hub_sleep(wait);
        wait = wait * 2 > 8 ? 8 : wait * 2;
    }
}

static const hfc_hub_http_opts default_opts = {.retries = -1, .redirects = 2};

hfc_status hfc_hub_http(const char *method, const char *url, const void *body, size_t body_len,
                        const hfc_hub_http_opts *opts, hfc_hub_response *out) {
    memset(out, 0, sizeof *out);
    hub_exchange ex = {.method = method, .url = url, .opts = opts ? opts : &default_opts,
                       .body = body, .body_len = (int64_t)body_len, .has_body = body != NULL};
    return hub_exchange_retry(&ex, out);
}

hfc_status hfc_hub_http_file(const char *method, const char *url, const char *path,
                             int64_t offset, int64_t len, const hfc_hub_http_opts *opts,
                             hfc_hub_response *out) {
    memset(out, 0, sizeof *out);
    if (offset < 0 || len < 0) return hfc_fail(HFC_ERR_INVALID, "%s: negative offset or length", path);
    hub_exchange ex = {.method = method, .url = url, .opts = opts ? opts : &default_opts,
                       .body_path = path, .body_off = offset, .body_len = len, .has_body = true};
    return hub_exchange_retry(&ex, out);
}
