/* Status codes and the thread-local error message (see hfc/status.h). */
#include "hfc/status.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char tls_message[HFC_ERROR_MESSAGE_MAX];
static _Thread_local int tls_errno;

static const char *const status_names[HFC_STATUS_COUNT] = {
    [HFC_OK] = "HFC_OK",
    [HFC_ERR_NOMEM] = "HFC_ERR_NOMEM",
    [HFC_ERR_INVALID] = "HFC_ERR_INVALID",
    [HFC_ERR_TYPE] = "HFC_ERR_TYPE",
    [HFC_ERR_RANGE] = "HFC_ERR_RANGE",
    [HFC_ERR_KEY] = "HFC_ERR_KEY",
    [HFC_ERR_IO] = "HFC_ERR_IO",
    [HFC_ERR_UNSUPPORTED] = "HFC_ERR_UNSUPPORTED",
    [HFC_ERR_STATE] = "HFC_ERR_STATE",
    [HFC_ERR_OVERFLOW] = "HFC_ERR_OVERFLOW",
};

const char *hfc_status_name(hfc_status code) {
    if ((unsigned)code < HFC_STATUS_COUNT) return status_names[code];
    return "HFC_ERR_<unknown>";
}

hfc_status hfc_fail(hfc_status code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tls_message, sizeof tls_message, fmt, ap);
    va_end(ap);
    tls_errno = 0;
    return code;
}

hfc_status hfc_fail_errno(int sys_errno, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tls_message, sizeof tls_message, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof tls_message) {
        char reason[256];
        /* GNU strerror_r may return a static string instead of filling reason */
        const char *r = strerror_r(sys_errno, reason, sizeof reason);
        snprintf(tls_message + n, sizeof tls_message - (size_t)n, ": %s", r);
    }
    tls_errno = sys_errno;
    return HFC_ERR_IO;
}

hfc_status hfc_error_prefix(hfc_status code, const char *fmt, ...) {
    char prefix[HFC_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    if (n <= 0) return code;
    size_t plen = (size_t)n < sizeof prefix ? (size_t)n : sizeof prefix - 1;
    size_t mlen = strlen(tls_message);
    if (plen + mlen >= sizeof tls_message) mlen = sizeof tls_message - 1 - plen;
    memmove(tls_message + plen, tls_message, mlen);
    memcpy(tls_message, prefix, plen);
    tls_message[plen + mlen] = '\0';
    return code;
}

const char *hfc_error_message(void) { return tls_message; }
int hfc_error_errno(void) { return tls_errno; }

void hfc_error_clear(void) {
    tls_message[0] = '\0';
    tls_errno = 0;
}

void hfc_error_save(hfc_error_state *out, hfc_status code) {
    out->code = code;
    out->sys_errno = tls_errno;
    memcpy(out->message, tls_message, sizeof out->message);
}

hfc_status hfc_error_restore(const hfc_error_state *st) {
    memcpy(tls_message, st->message, sizeof tls_message);
    tls_errno = st->sys_errno;
    return st->code;
}
