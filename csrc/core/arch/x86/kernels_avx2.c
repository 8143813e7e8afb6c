/* AVX2 kernels (AVX2 + FMA + BMI1/2 via target attributes; the build never passes -mavx*).
 * References: csrc/core/kernels_ref.c. Selected at runtime by csrc/core/cpu.c only
 * when the CPU and OS support AVX2 (hfc_isa_detected() >= HFC_ISA_AVX2).
 *
 * UTF-8 validation follows the lookup algorithm of Keiser & Lemire, "Validating UTF-8 In
 * Less Than One Instruction Per Byte" (Software: Practice and Experience, 2021):
 *
 *   For every byte position, look at the pair (prev1, cur) = (previous byte, this byte).
 *   Every error that a 2-byte window can show is one of 7 classes, and whether a pair is
 *   in a class depends only on three nibbles: prev1's high nibble, prev1's low nibble,
 *   cur's high nibble. So each nibble indexes a 16-entry table (vpshufb) of the classes
 *   it is compatible with; the AND of the three lookups is the set of classes the pair
 *   is in. One more bit, TWO_CONTS (continuation after continuation), is legal only as
 *   the 3rd/4th byte of a 3-/4-byte sequence, i.e. exactly when prev2 >= E0 or
 *   prev3 >= F0; XOR-ing that "must be a continuation" bit against TWO_CONTS flags both
 *   missing and surplus continuation bytes. An error bit anywhere => invalid input.
 *
 *   A block is validated against the last bytes of the previous block (prev1..3 come
 *   from a cross-lane byte shift); the input is treated as preceded by ASCII and
 *   followed by zero padding, so truncated sequences at the end show up as TOO_SHORT
 *   or as a missing continuation in the padding.
 *
 * The vector code only answers "is there an error in this block" (128 bytes in the main
 * loop); the exact offset is then found by the scalar reference, restarted at the start
 * of the last sequence that begins before the block (at most 3 bytes back), so the
 * scalar work after an error is bounded by the block size. Blocks that are all ASCII
 * skip the lookups and only check that the previous block did not end inside a
 * multi-byte sequence.
 *
 * The lookup tables are duplicated in kernels_avx512.c (same layout; keep in sync).
 */
#if defined(__x86_64__)

#include <immintrin.h>
#include <string.h>

#include "hfc/cpu.h"

#define HFC_TARGET_AVX2 __attribute__((target("avx2,fma,bmi,bmi2")))

/* Error classes of a (prev1, cur) byte pair. */
enum {
    TOO_SHORT = 1 << 0,  /* lead byte (C0..FF) followed by a non-continuation     */
    TOO_LONG = 1 << 1,   /* ASCII followed by a continuation (80..BF)             */
    OVERLONG_3 = 1 << 2, /* E0 followed by 80..9F                                 */
    TOO_LARGE = 1 << 3,  /* F4..FF followed by 90..BF (> U+10FFFF)                */
    SURROGATE = 1 << 4,  /* ED followed by A0..BF (U+D800..DFFF)                  */
    OVERLONG_2 = 1 << 5, /* C0 or C1 followed by a continuation                   */
    /* F0 followed by 80..8F (overlong 4-byte), or F5..FF followed by 80..8F (too
     * large); one bit serves both: both need cur in 80..8F and prev1 high nibble F. */
    OVERLONG_4 = 1 << 6,
    TWO_CONTS = 1 << 7, /* continuation followed by continuation (not an error alone) */
};
/* Classes that do not depend on prev1's low nibble. */
#define CARRY (TOO_SHORT | TOO_LONG | TWO_CONTS)

/* A 16-entry vpshufb table, repeated in both 128-bit lanes. */
#define TABLE16(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p)                          \
    _mm256_setr_epi8(B8(a), B8(b), B8(c), B8(d), B8(e), B8(f), B8(g), B8(h), B8(i), B8(j), \
                     B8(k), B8(l), B8(m), B8(n), B8(o), B8(p), B8(a), B8(b), B8(c), B8(d), \
                     B8(e), B8(f), B8(g), B8(h), B8(i), B8(j), B8(k), B8(l), B8(m), B8(n), \
                     B8(o), B8(p))
#define B8(x) ((char)(uint8_t)(x))

/* Per byte of cur: the error classes found at that position (all zero = valid so far). */
HFC_TARGET_AVX2 static inline __m256i utf8_block_errors(__m256i cur, __m256i prev_block) {
    /* [prev_block.hi128, cur.lo128]: the 16 bytes that precede each 128-bit lane of cur */
    __m256i before = _mm256_permute2x128_si256(prev_block, cur, 0x21);
    __m256i prev1 = _mm256_alignr_epi8(cur, before, 15);
    __m256i prev2 = _mm256_alignr_epi8(cur, before, 14);
    __m256i prev3 = _mm256_alignr_epi8(cur, before, 13);

    const __m256i byte1_high = TABLE16(
        /* 0_______ */ TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG,
        TOO_LONG,
        /* 10______ */ TWO_CONTS, TWO_CONTS, TWO_CONTS, TWO_CONTS,
        /* 1100____ */ TOO_SHORT | OVERLONG_2,
        /* 1101____ */ TOO_SHORT,
        /* 1110____ */ TOO_SHORT | OVERLONG_3 | SURROGATE,
        /* 1111____ */ TOO_SHORT | TOO_LARGE | OVERLONG_4);
    const __m256i byte1_low = TABLE16(
        /* ____0000 */ CARRY | OVERLONG_2 | OVERLONG_3 | OVERLONG_4,
        /* ____0001 */ CARRY | OVERLONG_2,
        /* ____0010 */ CARRY,
        /* ____0011 */ CARRY,
        /* ____0100 */ CARRY | TOO_LARGE,
        /* ____0101 */ CARRY | TOO_LARGE | OVERLONG_4,
        /* ____0110 */ CARRY | TOO_LARGE | OVERLONG_4,
        /* ____0111 */ CARRY | TOO_LARGE | OVERLONG_4,
        /* ____1000 */ CARRY | TOO_LARGE | OVERLONG_4,
        /* ____1001 */ CARRY | TOO_LARGE | OVERLONG_4,
        /* ____1010 */ CARRY | TOO_LARGE | OVERLONG_4,
        /* ____1011 */ CARRY | TOO_LARGE | OVERLONG_4,
        /* ____1100 */ CARRY | TOO_LARGE | OVERLONG_4,
        /* ____1101 */ CARRY | TOO_LARGE | OVERLONG_4 | SURROGATE,
        /* ____1110 */ CARRY | TOO_LARGE | OVERLONG_4,
        /* ____1111 */ CARRY | TOO_LARGE | OVERLONG_4);
    const __m256i byte2_high = TABLE16(
        /* 0_______ */ TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
        TOO_SHORT, TOO_SHORT,
        /* 1000____ */ TOO_LONG | TWO_CONTS | OVERLONG_2 | OVERLONG_3 | OVERLONG_4,
        /* 1001____ */ TOO_LONG | TWO_CONTS | OVERLONG_2 | OVERLONG_3 | TOO_LARGE,
        /* 1010____ */ TOO_LONG | TWO_CONTS | OVERLONG_2 | SURROGATE | TOO_LARGE,
        /* 1011____ */ TOO_LONG | TWO_CONTS | OVERLONG_2 | SURROGATE | TOO_LARGE,
        /* 11______ */ TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT);

    const __m256i low4 = _mm256_set1_epi8(0x0F);
    __m256i b1h = _mm256_shuffle_epi8(byte1_high,
                                      _mm256_and_si256(_mm256_srli_epi16(prev1, 4), low4));
    __m256i b1l = _mm256_shuffle_epi8(byte1_low, _mm256_and_si256(prev1, low4));
    __m256i b2h = _mm256_shuffle_epi8(byte2_high,
                                      _mm256_and_si256(_mm256_srli_epi16(cur, 4), low4));
    __m256i special = _mm256_and_si256(_mm256_and_si256(b1h, b1l), b2h);

    /* 0x80 where this byte must be a continuation: prev2 >= E0 or prev3 >= F0
     * (saturating subtract leaves bit 7 set exactly then). */
    __m256i third = _mm256_subs_epu8(prev2, _mm256_set1_epi8((char)(0xE0 - 0x80)));
    __m256i fourth = _mm256_subs_epu8(prev3, _mm256_set1_epi8((char)(0xF0 - 0x80)));
    __m256i must_cont = _mm256_and_si256(_mm256_or_si256(third, fourth),
                                         _mm256_set1_epi8((char)0x80));
    return _mm256_xor_si256(must_cont, special);
}

/* Non-zero if the block ends inside a multi-byte sequence (a lead byte among its last
 * 3 bytes whose sequence needs bytes beyond the block). */
HFC_TARGET_AVX2 static inline __m256i utf8_block_incomplete(__m256i block) {
    const __m256i max_ok = _mm256_setr_epi8(
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, (char)(0xF0 - 1), (char)(0xE0 - 1), (char)(0xC0 - 1));
    return _mm256_subs_epu8(block, max_ok);
}

/* Start of the last sequence that begins in the 3 bytes before `block` (an offset
 * where the reference can restart), or `block` if those bytes are all continuations
 * (then the sequence they end is complete, or the prefix was invalid already). Callers
 * know p[0..block) has no error except possibly an unfinished last sequence. */
static size_t utf8_restart(const uint8_t *p, size_t block) {
    size_t lo = block >= 3 ? block - 3 : 0;
    for (size_t j = block; j > lo; j--)
        if ((p[j - 1] & 0xC0) != 0x80) return j - 1;
    return block;
}

HFC_TARGET_AVX2 static inline bool any(__m256i v) { return !_mm256_testz_si256(v, v); }

HFC_TARGET_AVX2 size_t hfc_utf8_valid_prefix_avx2(const uint8_t *p, size_t n) {
    __m256i prev = _mm256_setzero_si256(); /* the previous 32 input bytes */
    size_t i = 0;
    /* 128 bytes per step: the ASCII shortcut is taken per 128 bytes so that text with
     * scattered non-ASCII (tokenizer vocabularies) does not mispredict it every block. */
    for (; i + 128 <= n; i += 128) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(p + i));
        __m256i b = _mm256_loadu_si256((const __m256i *)(p + i + 32));
        __m256i c = _mm256_loadu_si256((const __m256i *)(p + i + 64));
        __m256i d = _mm256_loadu_si256((const __m256i *)(p + i + 96));
        __m256i all = _mm256_or_si256(_mm256_or_si256(a, b), _mm256_or_si256(c, d));
        if (_mm256_movemask_epi8(all) == 0) {
            /* all ASCII: valid unless the previous block ended mid-sequence */
            if (any(utf8_block_incomplete(prev))) goto error;
        } else {
            /* checked per 64 bytes: all four at once would spill registers */
            if (any(_mm256_or_si256(utf8_block_errors(a, prev), utf8_block_errors(b, a))))
                goto error;
            if (any(_mm256_or_si256(utf8_block_errors(c, b), utf8_block_errors(d, c))))
                goto error;
        }
        prev = d;
    }
    if (i + 64 <= n) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(p + i));
        __m256i b = _mm256_loadu_si256((const __m256i *)(p + i + 32));
        __m256i err = _mm256_or_si256(utf8_block_errors(a, prev), utf8_block_errors(b, a));
        if (any(err)) goto error;
        prev = b;
        i += 64;
    }
    {
        /* Tail (0..63 bytes) padded with zeros: an unfinished sequence at the end then
         * fails like one followed by ASCII. */
        uint8_t tail[64] = {0};
        if (n > i) memcpy(tail, p + i, n - i); /* p may be NULL when n == 0 */
        __m256i a = _mm256_loadu_si256((const __m256i *)tail);
        __m256i b = _mm256_loadu_si256((const __m256i *)(tail + 32));
        __m256i err = _mm256_or_si256(utf8_block_errors(a, prev), utf8_block_errors(b, a));
        if (!any(err)) return n;
    }
error:;
    size_t r = utf8_restart(p, i);
    return r + hfc_utf8_valid_prefix_ref(p + r, n - r);
}

/* ---- json_string_span ---- */

/* Bit k set if byte k of x is '"', '\\' or < 0x20. */
HFC_TARGET_AVX2 static inline uint32_t json_stop_mask32(__m256i x) {
    __m256i quote = _mm256_cmpeq_epi8(x, _mm256_set1_epi8('"'));
    __m256i bslash = _mm256_cmpeq_epi8(x, _mm256_set1_epi8('\\'));
    /* unsigned x <= 0x1F  <=>  max_epu8(x, 0x1F) == 0x1F */
    const __m256i c1f = _mm256_set1_epi8(0x1F);
    __m256i ctrl = _mm256_cmpeq_epi8(_mm256_max_epu8(x, c1f), c1f);
    return (uint32_t)_mm256_movemask_epi8(_mm256_or_si256(_mm256_or_si256(quote, bslash), ctrl));
}

HFC_TARGET_AVX2 static inline uint32_t json_stop_mask16(__m128i x) {
    __m128i quote = _mm_cmpeq_epi8(x, _mm_set1_epi8('"'));
    __m128i bslash = _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'));
    const __m128i c1f = _mm_set1_epi8(0x1F);
    __m128i ctrl = _mm_cmpeq_epi8(_mm_max_epu8(x, c1f), c1f);
    return (uint32_t)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, bslash), ctrl));
}

/* SWAR over 8 bytes (little-endian): bit 7 of byte k set if byte k is a stop byte. Bytes
 * above the first true hit may be flagged spuriously (borrows); the lowest is exact. */
static inline uint64_t json_stop_mask_swar(uint64_t w) {
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
    uint64_t zq = (q - ones) & ~q, zb = (b - ones) & ~b;
    uint64_t lt = (w - ones * 0x20) & ~w;
    return (zq | zb | lt) & highs;
}

HFC_TARGET_AVX2 size_t hfc_json_string_span_avx2(const uint8_t *p, size_t n) {
    if (n >= 32) {
        /* strings are mostly short: look at the first 32 bytes alone */
        uint32_t m0 = json_stop_mask32(_mm256_loadu_si256((const __m256i *)p));
        if (m0) return _tzcnt_u32(m0);
        size_t i = 32;
        for (; i + 64 <= n; i += 64) {
            uint64_t m = json_stop_mask32(_mm256_loadu_si256((const __m256i *)(p + i)));
            m |= (uint64_t)json_stop_mask32(_mm256_loadu_si256((const __m256i *)(p + i + 32)))
                 << 32;
            if (m) return i + _tzcnt_u64(m);
        }
        if (i + 32 <= n) {
            uint32_t m = json_stop_mask32(_mm256_loadu_si256((const __m256i *)(p + i)));
            if (m) return i + _tzcnt_u32(m);
            i += 32;
        }
        if (i < n) { /* last 32 bytes, overlapping bytes already known to be clean */
            uint32_t m = json_stop_mask32(_mm256_loadu_si256((const __m256i *)(p + n - 32)));
            if (m) return n - 32 + _tzcnt_u32(m);
        }
        return n;
    }
    if (n >= 16) {
        uint32_t m = json_stop_mask16(_mm_loadu_si128((const __m128i *)p));
        if (m) return _tzcnt_u32(m);
        m = json_stop_mask16(_mm_loadu_si128((const __m128i *)(p + n - 16)));
        return m ? n - 16 + _tzcnt_u32(m) : n;
    }
    if (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint64_t m = json_stop_mask_swar(w);
        if (m) return _tzcnt_u64(m) / 8;
        memcpy(&w, p + n - 8, 8);
        m = json_stop_mask_swar(w);
        return m ? n - 8 + _tzcnt_u64(m) / 8 : n;
    }
    return hfc_json_string_span_ref(p, n);
}

#else
typedef int hfc_kernels_avx2_empty; /* ISO C forbids an empty translation unit */
#endif /* __x86_64__ */
