/* AVX2 + FMA row kernels (GELU, softmax, LayerNorm) and dtype conversions (F16C).
 * The row kernels are the shared template nn_simd.h; references in
 * csrc/models/kernels/kernels_ref.c. */
#if defined(__x86_64__)

#include <immintrin.h>
#include <math.h>

#include "../../kernels/kernels_impl.h"

#define NN_TARGET __attribute__((target("avx2,fma,bmi,bmi2,f16c")))
#define NN_NAME(x) hfc_##x##_avx2
#define VF __m256
#define VL 8
#define vset1 _mm256_set1_ps
#define vload _mm256_loadu_ps
#define vstore _mm256_storeu_ps
#define vadd _mm256_add_ps
#define vsub _mm256_sub_ps
#define vmul _mm256_mul_ps
#define vrcp0 _mm256_rcp_ps
#define vfma _mm256_fmadd_ps
#define vmax _mm256_max_ps
#define vmin _mm256_min_ps
#define vabs(v) _mm256_andnot_ps(_mm256_set1_ps(-0.0f), (v))
#define vround(v) _mm256_round_ps((v), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define vpow2i(v) \
    _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(v), _mm256_set1_epi32(127)), 23))
#define vselect_lt(a, b, x, y) _mm256_blendv_ps((x), (y), _mm256_cmp_ps((a), (b), _CMP_LT_OQ))
#define vfnma _mm256_fnmadd_ps
/* 16-entry lookup: entries 0-7 and 8-15 by two permutes, bit 3 of the index (moved to
 * the sign bit) picks one */
#define VLUT16(i, t)                                                                     \
    _mm256_blendv_ps(                                                                    \
        _mm256_permutevar8x32_ps(_mm256_load_ps(t), _mm256_castps_si256(i)),             \
        _mm256_permutevar8x32_ps(_mm256_load_ps((t) + 8), _mm256_castps_si256(i)),       \
        _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(i), 28)))

#include "gelu_table.h"

static inline NN_TARGET float vhsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
static inline NN_TARGET float vhmax(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

#include "nn_simd.h"

/* ---- conversions ---- */

NN_TARGET void hfc_bf16_to_f32_avx2(const uint16_t *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(src + i)));
        _mm256_storeu_ps(dst + i, _mm256_castsi256_ps(_mm256_slli_epi32(v, 16)));
    }
    hfc_bf16_to_f32_ref(src + i, dst + i, n - i);
}

NN_TARGET void hfc_f16_to_f32_avx2(const uint16_t *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + i))));
    hfc_f16_to_f32_ref(src + i, dst + i, n - i);
}

NN_TARGET void hfc_f32_to_f16_avx2(const float *src, uint16_t *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(dst + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    hfc_f32_to_f16_ref(src + i, dst + i, n - i);
}

/* Round to nearest even on the bits; NaN -> 0x7FC0 (torch). */
NN_TARGET void hfc_f32_to_bf16_avx2(const float *src, uint16_t *dst, size_t n) {
    size_t i = 0;
    const __m256i one = _mm256_set1_epi32(1), bias = _mm256_set1_epi32(0x7FFF);
    const __m256i qnan = _mm256_set1_epi32(0x7FC0);
    for (; i + 8 <= n; i += 8) {
        __m256 f = _mm256_loadu_ps(src + i);
        __m256i u = _mm256_castps_si256(f);
        __m256i r = _mm256_add_epi32(u, _mm256_add_epi32(bias, _mm256_and_si256(_mm256_srli_epi32(u, 16), one)));
        r = _mm256_srli_epi32(r, 16);
        __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(f, f, _CMP_UNORD_Q));
        r = _mm256_blendv_epi8(r, qnan, nan);
        __m128i lo = _mm256_castsi256_si128(r), hi = _mm256_extracti128_si256(r, 1);
        _mm_storeu_si128((__m128i *)(dst + i), _mm_packus_epi32(lo, hi));
    }
    hfc_f32_to_bf16_ref(src + i, dst + i, n - i);
}

#endif
