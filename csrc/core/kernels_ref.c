/* Scalar reference kernels: the definition every ISA variant is tested against, and the
 * fallback the SIMD validators use to pin down the exact offset of an error. Kept
 * obviously correct rather than fast. */
#include "hfc/cpu.h"

/* RFC 3629, section 4:
 *   00..7F
 *   C2..DF 80..BF
 *   E0     A0..BF 80..BF
 *   E1..EC 80..BF 80..BF
 *   ED     80..9F 80..BF
 *   EE..EF 80..BF 80..BF
 *   F0     90..BF 80..BF 80..BF
 *   F1..F3 80..BF 80..BF 80..BF
 *   F4     80..8F 80..BF 80..BF
 * Everything else (80..C1, F5..FF as a first byte) is invalid. */
size_t hfc_utf8_valid_prefix_ref(const uint8_t *p, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c == 0xE0) {
            len = 3, lo = 0xA0;
        } else if (c == 0xED) {
            len = 3, hi = 0x9F;
        } else if (c >= 0xE1 && c <= 0xEF) {
            len = 3;
        } else if (c == 0xF0) {
            len = 4, lo = 0x90;
        } else if (c == 0xF4) {
            len = 4, hi = 0x8F;
        } else if (c >= 0xF1 && c <= 0xF3) {
            len = 4;
        } else {
            return i;
        }
        if (n - i < len) return i; /* truncated */
        if (p[i + 1] < lo || p[i + 1] > hi) return i;
        for (size_t k = 2; k < len; k++)
            if (p[i + k] < 0x80 || p[i + k] > 0xBF) return i;
        i += len;
    }
    return n;
}

size_t hfc_json_string_span_ref(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] == '"' || p[i] == '\\' || p[i] < 0x20) return i;
    return n;
}
