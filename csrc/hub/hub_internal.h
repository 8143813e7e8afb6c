/* hfc.hub internals shared by http.c, fetch.c and cache.c (not a public header). */
#ifndef HFC_HUB_INTERNAL_H
#define HFC_HUB_INTERNAL_H

#include <curl/curl.h>
#include "hfc/hub.h"

/* Where the body of a 2xx response goes instead of memory. */
typedef struct hub_sink {
    /* First bytes of a 2xx response: decide (e.g. check Content-Range) or fail. */
    hfc_status (*begin)(void *ctx, long status, const char *hdrs, size_t hlen);
    /* Take up to n bytes; *took < n ends the transfer early without an error. */
    hfc_status (*data)(void *ctx, const char *p, size_t n, size_t *took);
    void *ctx;
} hub_sink;

typedef struct hub_exchange {
    const char *method;
    const char *url;
    const hfc_hub_http_opts *opts;
    const char *range;     /* "bytes=A-B" or NULL */
    const hub_sink *sink;  /* NULL: body into out->body */
    bool has_body;
    const void *body;      /* memory body, or */
    const char *body_path; /* file body [body_off, body_off+body_len) */
    int64_t body_off, body_len;
} hub_exchange;

hfc_status hub_curl(CURL **out);
hfc_status hub_exchange_once(hub_exchange *ex, hfc_hub_response *out, bool send_token, bool *transport);
hfc_status hub_exchange_follow(hub_exchange *ex, hfc_hub_response *out, bool *transport);
hfc_status hub_exchange_retry(hub_exchange *ex, hfc_hub_response *out);
bool hub_status_retryable(long status);
void hub_sleep(double seconds);
double hub_now(void);

#endif /* HFC_HUB_INTERNAL_H */
