/* hfc status codes and error messages.
 *
 * Every core function that can fail returns hfc_status. On failure it also leaves
 * a human-readable detail message in a thread-local buffer (hfc_error_message()).
 * Only csrc/py/ turns a status + message into a Python exception.
 *
 *   if (!ok) return hfc_fail(HFC_ERR_INVALID, "%s: bad magic at byte %zu", path, off);
 *   HFC_TRY(hfc_json_parse(...));                // forward a failure unchanged
 *   HFC_TRY_CTX(load(path), "%s: ", path);       // forward, prefixing context
 */
#ifndef HFC_STATUS_H
#define HFC_STATUS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hfc_status {
    HFC_OK = 0,
    HFC_ERR_NOMEM,       /* MemoryError */
    HFC_ERR_INVALID,     /* ValueError: malformed input, bad argument value */
    HFC_ERR_TYPE,        /* TypeError */
    HFC_ERR_RANGE,       /* IndexError: index out of range */
    HFC_ERR_KEY,         /* KeyError: missing key / tensor / token */
    HFC_ERR_IO,          /* OSError (subclass chosen from hfc_error_errno()) */
    HFC_ERR_UNSUPPORTED, /* NotImplementedError: valid input we do not handle (yet) */
    HFC_ERR_STATE,       /* RuntimeError: misuse, internal invariant broken */
    HFC_ERR_OVERFLOW,    /* OverflowError: size arithmetic overflowed */
    HFC_STATUS_COUNT
} hfc_status;

#define HFC_ERROR_MESSAGE_MAX 1024

/* Record a failure: sets the thread-local message (printf-style) and returns code. */
hfc_status hfc_fail(hfc_status code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Like hfc_fail for HFC_ERR_IO, remembering errno (sys_errno) and appending strerror. */
hfc_status hfc_fail_errno(int sys_errno, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prefix the current message with context (printf-style); returns code unchanged. */
hfc_status hfc_error_prefix(hfc_status code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

const char *hfc_error_message(void); /* "" when no failure recorded */
int hfc_error_errno(void);           /* errno of the last HFC_ERR_IO, else 0 */
void hfc_error_clear(void);
const char *hfc_status_name(hfc_status code); /* "HFC_ERR_INVALID", ... */

/* Carry an error across threads (worker -> caller). */
typedef struct hfc_error_state {
    hfc_status code;
    int sys_errno;
    char message[HFC_ERROR_MESSAGE_MAX];
} hfc_error_state;
void hfc_error_save(hfc_error_state *out, hfc_status code);
hfc_status hfc_error_restore(const hfc_error_state *st);

#define HFC_TRY(expr)                                                                    \
    do {                                                                                 \
        hfc_status hfc_try_st_ = (expr);                                                 \
        if (hfc_try_st_ != HFC_OK) return hfc_try_st_;                                   \
    } while (0)

#define HFC_TRY_CTX(expr, ...)                                                           \
    do {                                                                                 \
        hfc_status hfc_try_st_ = (expr);                                                 \
        if (hfc_try_st_ != HFC_OK) return hfc_error_prefix(hfc_try_st_, __VA_ARGS__);    \
    } while (0)

#define HFC_LIKELY(x) __builtin_expect(!!(x), 1)
#define HFC_UNLIKELY(x) __builtin_expect(!!(x), 0)

#ifdef __cplusplus
}
#endif
#endif /* HFC_STATUS_H */
