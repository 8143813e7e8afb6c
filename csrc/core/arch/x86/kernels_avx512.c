/* AVX-512 (F + BW + VL + DQ) kernels, via target attributes (the build never passes
 * -mavx*). References: csrc/core/kernels_ref.c. Selected at runtime by csrc/core/cpu.c
 * only when the CPU and OS support it (hfc_isa_detected() == HFC_ISA_AVX512).
 *
 * Same algorithms as kernels_avx2.c (see the design notes there: Keiser & Lemire
 * lookup-table UTF-8 validation, scalar reference to locate the exact error), on
 * 64-byte vectors; partial tails use masked loads, which never touch masked-off bytes.
 * The three nibble tables are the same as in kernels_avx2.c (keep in sync).
 */
#if defined(__x86_64__)

#include <immintrin.h>

#include "hfc/cpu.h"

#define HFC_TARGET_AVX512                                                               \
    __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,bmi,bmi2")))

enum {
    TOO_SHORT = 1 << 0,  /* lead byte (C0..FF) followed by a non-continuation */
    TOO_LONG = 1 << 1,   /* ASCII followed by a continuation (80..BF)         */
    OVERLONG_3 = 1 << 2, /* E0 followed by 80..9F                             */
    TOO_LARGE = 1 << 3,  /* F4..FF followed by 90..BF                         */
    SURROGATE = 1 << 4,  /* ED followed by A0..BF                             */
    OVERLONG_2 = 1 << 5, /* C0 or C1 followed by a continuation               */
    OVERLONG_4 = 1 << 6, /* F0 or F5..FF followed by 80..8F                   */
    TWO_CONTS = 1 << 7,  /* continuation followed by continuation             */
};
#define CARRY (TOO_SHORT | TOO_LONG | TWO_CONTS)

/* A 16-entry vpshufb table, repeated in all four 128-bit lanes. */
#define TABLE16(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p)                          \
    _mm512_broadcast_i32x4(_mm_setr_epi8(B8(a), B8(b), B8(c), B8(d), B8(e), B8(f), B8(g),  \
                                         B8(h), B8(i), B8(j), B8(k), B8(l), B8(m), B8(n),  \
                                         B8(o), B8(p)))
#define B8(x) ((char)(uint8_t)(x))

HFC_TARGET_AVX512 static inline __m512i utf8_block_errors(__m512i cur, __m512i prev_block) {
    /* 128-bit lanes [prev_block.L3, cur.L0, cur.L1, cur.L2]: what precedes each lane */
    __m512i before = _mm512_alignr_epi64(cur, prev_block, 6);
    __m512i prev1 = _mm512_alignr_epi8(cur, before, 15);
    __m512i prev2 = _mm512_alignr_epi8(cur, before, 14);
    __m512i prev3 = _mm512_alignr_epi8(cur, before, 13);

    const __m512i byte1_high = TABLE16(
        TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG,
        TWO_CONTS, TWO_CONTS, TWO_CONTS, TWO_CONTS, TOO_SHORT | OVERLONG_2, TOO_SHORT,
        TOO_SHORT | OVERLONG_3 | SURROGATE, TOO_SHORT | TOO_LARGE | OVERLONG_4);
    const __m512i byte1_low = TABLE16(
        CARRY | OVERLONG_2 | OVERLONG_3 | OVERLONG_4, CARRY | OVERLONG_2, CARRY, CARRY,
        CARRY | TOO_LARGE, CARRY | TOO_LARGE | OVERLONG_4, CARRY | TOO_LARGE | OVERLONG_4,
        CARRY | TOO_LARGE | OVERLONG_4, CARRY | TOO_LARGE | OVERLONG_4,
        CARRY | TOO_LARGE | OVERLONG_4, CARRY | TOO_LARGE | OVERLONG_4,
        CARRY | TOO_LARGE | OVERLONG_4, CARRY | TOO_LARGE | OVERLONG_4,
        CARRY | TOO_LARGE | OVERLONG_4 | SURROGATE, CARRY | TOO_LARGE | OVERLONG_4,
        CARRY | TOO_LARGE | OVERLONG_4);
    const __m512i byte2_high = TABLE16(
        TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
        TOO_SHORT, TOO_LONG | TWO_CONTS | OVERLONG_2 | OVERLONG_3 | OVERLONG_4,
        TOO_LONG | TWO_CONTS | OVERLONG_2 | OVERLONG_3 | TOO_LARGE,
        TOO_LONG | TWO_CONTS | OVERLONG_2 | SURROGATE | TOO_LARGE,
        TOO_LONG | TWO_CONTS | OVERLONG_2 | SURROGATE | TOO_LARGE, TOO_SHORT, TOO_SHORT,
        TOO_SHORT, TOO_SHORT);

    const __m512i low4 = _mm512_set1_epi8(0x0F);
    __m512i b1h = _mm512_shuffle_epi8(byte1_high,
                                      _mm512_and_si512(_mm512_srli_epi16(prev1, 4), low4));
    __m512i b1l = _mm512_shuffle_epi8(byte1_low, _mm512_and_si512(prev1, low4));
    __m512i b2h = _mm512_shuffle_epi8(byte2_high,
                                      _mm512_and_si512(_mm512_srli_epi16(cur, 4), low4));
    __m512i special = _mm512_and_si512(_mm512_and_si512(b1h, b1l), b2h);

    __m512i third = _mm512_subs_epu8(prev2, _mm512_set1_epi8((char)(0xE0 - 0x80)));
    __m512i fourth = _mm512_subs_epu8(prev3, _mm512_set1_epi8((char)(0xF0 - 0x80)));
    __m512i must_cont = _mm512_and_si512(_mm512_or_si512(third, fourth),
                                         _mm512_set1_epi8((char)0x80));
    return _mm512_xor_si512(must_cont, special);
}

/* Non-zero if the block ends inside a multi-byte sequence. */
HFC_TARGET_AVX512 static inline __m512i utf8_block_incomplete(__m512i block) {
    /* lanes 61..63 must stay below F0 / E0 / C0; the rest may be anything */
    __m512i max_ok = _mm512_set1_epi8(-1);
    max_ok = _mm512_mask_set1_epi8(max_ok, 1ull << 61, (char)(0xF0 - 1));
    max_ok = _mm512_mask_set1_epi8(max_ok, 1ull << 62, (char)(0xE0 - 1));
    max_ok = _mm512_mask_set1_epi8(max_ok, 1ull << 63, (char)(0xC0 - 1));
    return _mm512_subs_epu8(block, max_ok);
}

/* See kernels_avx2.c: start of the last sequence beginning in the 3 bytes before
 * `block`, else `block`. */
static size_t utf8_restart(const uint8_t *p, size_t block) {
    size_t lo = block >= 3 ? block - 3 : 0;
    for (size_t j = block; j > lo; j--)
        if ((p[j - 1] & 0xC0) != 0x80) return j - 1;
    return block;
}

HFC_TARGET_AVX512 static inline bool any(__m512i v) { return _mm512_test_epi64_mask(v, v) != 0; }

HFC_TARGET_AVX512 size_t hfc_utf8_valid_prefix_avx512(const uint8_t *p, size_t n) {
    if (n == 0) return 0; /* p may be NULL then, and NULL + 0 is undefined in C */
    __m512i prev = _mm512_setzero_si512(); /* the previous 64 input bytes */
    size_t i = 0;
    /* 128 bytes per step: the ASCII shortcut is taken per 128 bytes so that text with
     * scattered non-ASCII (tokenizer vocabularies) does not mispredict it every block. */
    for (; i + 128 <= n; i += 128) {
        __m512i c0 = _mm512_loadu_si512((const void *)(p + i));
        __m512i c1 = _mm512_loadu_si512((const void *)(p + i + 64));
        if (_mm512_movepi8_mask(_mm512_or_si512(c0, c1)) == 0) {
            /* all ASCII: valid unless the previous block ended mid-sequence */
            if (any(utf8_block_incomplete(prev))) goto error;
        } else {
            __m512i err = _mm512_or_si512(utf8_block_errors(c0, prev), utf8_block_errors(c1, c0));
            if (any(err)) goto error;
        }
        prev = c1;
    }
    if (i + 64 <= n) {
        __m512i cur = _mm512_loadu_si512((const void *)(p + i));
        if (any(utf8_block_errors(cur, prev))) goto error;
        prev = cur;
        i += 64;
    }
    {
        /* Tail (0..63 bytes), zero-padded by the masked load. At least one zero byte
         * follows the data inside this vector, so a truncated last sequence fails. */
        __m512i cur = _mm512_maskz_loadu_epi8(_bzhi_u64(~0ull, (unsigned)(n - i)), p + i);
        if (!any(utf8_block_errors(cur, prev))) return n;
    }
error:;
    size_t r = utf8_restart(p, i);
    return r + hfc_utf8_valid_prefix_ref(p + r, n - r);
}

/* ---- json_string_span ---- */

HFC_TARGET_AVX512 static inline uint64_t json_stop_mask64(__mmask64 k, __m512i x) {
    return _mm512_mask_cmpeq_epi8_mask(k, x, _mm512_set1_epi8('"')) |
           _mm512_mask_cmpeq_epi8_mask(k, x, _mm512_set1_epi8('\\')) |
           _mm512_mask_cmplt_epu8_mask(k, x, _mm512_set1_epi8(0x20));
}

HFC_TARGET_AVX512 size_t hfc_json_string_span_avx512(const uint8_t *p, size_t n) {
    /* Strings are mostly short: the first 32 bytes alone, on 256-bit vectors (the
     * vector compare + vpmovmskb path has less latency than three mask compares). */
    {
        __mmask32 k = n >= 32 ? ~0u : _bzhi_u32(~0u, (unsigned)n);
        __m256i x = n >= 32 ? _mm256_loadu_si256((const __m256i *)p)
                            : _mm256_maskz_loadu_epi8(k, p);
        __m256i quote = _mm256_cmpeq_epi8(x, _mm256_set1_epi8('"'));
        __m256i bslash = _mm256_cmpeq_epi8(x, _mm256_set1_epi8('\\'));
        const __m256i c1f = _mm256_set1_epi8(0x1F);
        __m256i ctrl = _mm256_cmpeq_epi8(_mm256_max_epu8(x, c1f), c1f);
        uint32_t m = (uint32_t)_mm256_movemask_epi8(
                         _mm256_or_si256(_mm256_or_si256(quote, bslash), ctrl)) & k;
        if (m) return _tzcnt_u32(m);
        if (n <= 32) return n;
    }
    size_t i = 32;
    for (; i + 64 <= n; i += 64) {
        uint64_t m = json_stop_mask64(~0ull, _mm512_loadu_si512((const void *)(p + i)));
        if (m) return i + _tzcnt_u64(m);
    }
    if (i < n) {
        __mmask64 k = _bzhi_u64(~0ull, (unsigned)(n - i));
        uint64_t m = json_stop_mask64(k, _mm512_maskz_loadu_epi8(k, p + i));
        if (m) return i + _tzcnt_u64(m);
    }
    return n;
}

#else
typedef int hfc_kernels_avx512_empty; /* ISO C forbids an empty translation unit */
#endif /* __x86_64__ */
