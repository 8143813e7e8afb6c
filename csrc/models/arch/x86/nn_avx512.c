/* AVX-512 row kernels (GELU, softmax, LayerNorm) and dtype conversions. The row
 * kernels are the shared template nn_simd.h; references in
 * csrc/models/kernels/kernels_ref.c. */
#if defined(__x86_64__)

#include <immintrin.h>
#include <math.h>

#include "../../kernels/kernels_impl.h"

#define NN_TARGET \
    __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,bmi,bmi2,f16c")))
#define NN_NAME(x) hfc_##x##_avx512
#define VF __m512
#define VL 16
#define vset1 _mm512_set1_ps
#define vload _mm512_loadu_ps
#define vstore _mm512_storeu_ps
#define vadd _mm512_add_ps
#define vsub _mm512_sub_ps
#define vmul _mm512_mul_ps
#define vrcp0 _mm512_rcp14_ps
#define vfma _mm512_fmadd_ps
#define vmax _mm512_max_ps
#define vmin _mm512_min_ps
#define vabs(v) _mm512_abs_ps(v)
#define vround(v) _mm512_roundscale_ps((v), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define vpow2i(v) \
    _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(v), _mm512_set1_epi32(127)), 23))
#define vselect_lt(a, b, x, y) _mm512_mask_blend_ps(_mm512_cmp_ps_mask((a), (b), _CMP_LT_OQ), (x), (y))
#define vhsum _mm512_reduce_add_ps
#define vhmax _mm512_reduce_max_ps
#define vfnma _mm512_fnmadd_ps
#define VLUT16(i, t) _mm512_permutexvar_ps(_mm512_castps_si512(i), _mm512_load_ps(t))

#include "gelu_table.h"

#include "nn_simd.h"

/* ---- conversions ---- */

NN_TARGET void hfc_bf16_to_f32_avx512(const uint16_t *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512i v = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(src + i)));
        _mm512_storeu_ps(dst + i, _mm512_castsi512_ps(_mm512_slli_epi32(v, 16)));
    }
    hfc_bf16_to_f32_ref(src + i, dst + i, n - i);
}

NN_TARGET void hfc_f16_to_f32_avx512(const uint16_t *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(dst + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(src + i))));
    hfc_f16_to_f32_ref(src + i, dst + i, n - i);
}

NN_TARGET void hfc_f32_to_f16_avx512(const float *src, uint16_t *dst, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm256_storeu_si256((__m256i *)(dst + i),
                            _mm512_cvtps_ph(_mm512_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    hfc_f32_to_f16_ref(src + i, dst + i, n - i);
}

/* Round to nearest even on the bits; NaN -> 0x7FC0 (torch, not vcvtneps2bf16's
 * payload-keeping NaN). */
NN_TARGET void hfc_f32_to_bf16_avx512(const float *src, uint16_t *dst, size_t n) {
    size_t i = 0;
    const __m512i one = _mm512_set1_epi32(1), bias = _mm512_set1_epi32(0x7FFF);
    const __m512i qnan = _mm512_set1_epi32(0x7FC0);
    for (; i + 16 <= n; i += 16) {
        __m512 f = _mm512_loadu_ps(src + i);
        __m512i u = _mm512_castps_si512(f);
        __m512i r = _mm512_add_epi32(u, _mm512_add_epi32(bias, _mm512_and_si512(_mm512_srli_epi32(u, 16), one)));
        r = _mm512_srli_epi32(r, 16);
        r = _mm512_mask_blend_epi32(_mm512_cmp_ps_mask(f, f, _CMP_UNORD_Q), r, qnan);
        _mm256_storeu_si256((__m256i *)(dst + i), _mm512_cvtepi32_epi16(r));
    }
    hfc_f32_to_bf16_ref(src + i, dst + i, n - i);
}

#endif
