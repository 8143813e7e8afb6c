/* Helpers shared by the AVX2 and AVX-512 GEMM files: an 8x8 fp32 transpose (AVX) used
 * to turn 8 weight rows [n][k] into the [k][NR] panel layout, loading fp32, bf16 (shift
 * into the high half) or f16 (F16C) rows; the FMA peak loop. Included only by files in
 * csrc/models/arch/x86/, whose callers carry a superset of this target. */
#ifndef HFC_MODELS_PACK_X86_H
#define HFC_MODELS_PACK_X86_H

#include <immintrin.h>

#include "../../kernels/kernels_impl.h"

#define HFC_TARGET_PACK __attribute__((target("avx2,fma,f16c")))

/* 8 consecutive elements of a row as fp32. */
static inline HFC_TARGET_PACK __m256 pack_load8(const void *row, int wt, size_t p) {
    if (wt == HFC_DT_F32) return _mm256_loadu_ps((const float *)row + p);
    __m128i h = _mm_loadu_si128((const __m128i *)((const uint16_t *)row + p));
    if (wt == HFC_DT_F16) return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

static inline HFC_TARGET_PACK void transpose8x8(__m256 r[8]) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/* Panels of B stored as [n][k] rows (weights): full NR-wide panels go through 8x8
 * transposes, the tail panel and the kc % 8 depth remainder through the generic loop. */
static inline __attribute__((always_inline)) HFC_TARGET_PACK void
pack_b_trans_x86(const void *b, int wt, size_t ldb, size_t nc, size_t kc, float *bp,
                 const size_t NR) {
    size_t es = wt == HFC_DT_F32 ? 4 : 2;
    size_t full = nc / NR * NR, k8 = kc / 8 * 8;
    for (size_t s = 0; s < full; s += NR) {
        float *dst = bp + s * kc;
        for (size_t j8 = 0; j8 < NR; j8 += 8) {
            const char *rows[8];
            for (int r = 0; r < 8; r++) rows[r] = (const char *)b + (s + j8 + r) * ldb * es;
            for (size_t p = 0; p < k8; p += 8) {
                __m256 v[8];
                for (int r = 0; r < 8; r++) v[r] = pack_load8(rows[r], wt, p);
                transpose8x8(v);
                for (int t = 0; t < 8; t++) _mm256_storeu_ps(dst + (p + t) * NR + j8, v[t]);
            }
        }
        if (k8 < kc) {
            const char *sub = (const char *)b + (s * ldb + k8) * es;
            float tmp[8 * 32];
            /* the generic loop packs a [kc-k8][NR] panel into tmp; copy it after the rows */
            hfc_pack_b_generic(sub, wt, 1, ldb, NR, kc - k8, tmp, NR);
            memcpy(dst + k8 * NR, tmp, (kc - k8) * NR * sizeof(float));
        }
    }
    if (full < nc)
        hfc_pack_b_generic((const char *)b + full * ldb * es, wt, 1, ldb, nc - full, kc,
                           bp + full * kc, NR);
}

/* A panels of 8 rows ([m][k] -> [k][8]) by 8x8 transposes, times alpha. */
static inline __attribute__((always_inline)) HFC_TARGET_PACK void
pack_a8_x86(const float *a, size_t lda, size_t mc, size_t kc, float alpha, float *ap) {
    size_t full = mc / 8 * 8, k8 = kc / 8 * 8;
    __m256 al = _mm256_set1_ps(alpha);
    for (size_t r0 = 0; r0 < full; r0 += 8) {
        float *dst = ap + r0 * kc;
        for (size_t p = 0; p < k8; p += 8) {
            __m256 v[8];
            for (int r = 0; r < 8; r++) v[r] = _mm256_loadu_ps(a + (r0 + r) * lda + p);
            transpose8x8(v);
            for (int t = 0; t < 8; t++) _mm256_storeu_ps(dst + (p + t) * 8, _mm256_mul_ps(v[t], al));
        }
        for (size_t p = k8; p < kc; p++)
            for (int r = 0; r < 8; r++) dst[p * 8 + r] = a[(r0 + r) * lda + p] * alpha;
    }
    if (full < mc) hfc_pack_a_generic(a + full * lda, lda, mc - full, kc, alpha, ap + full * kc, 8);
}

/* The FMA peak loop of one vector width: 12 independent FMA chains (2 FMA ports x
 * 4-cycle latency need >= 8) in inline assembly, so the compiler cannot spill the
 * accumulators. Returns the flops done. R: "ymm" or "zmm"; LANES: 8 or 16. */
#define HFC_FMA(R, i) "vfmadd231ps %%" R "13, %%" R "12, %%" R #i "\n\t"
#define HFC_DEFINE_FMA_PEAK(name, target, R, LANES)                                    \
    target double name(unsigned long long iters) {                                     \
        __asm__ volatile("vxorps %%xmm0, %%xmm0, %%xmm0\n\t"                            \
                         "vmovaps %%" R "0, %%" R "13\n\t"                               \
                         "vmovaps %%" R "0, %%" R "12\n\t"                               \
                         :                                                             \
                         :                                                             \
                         : "xmm0", "xmm12", "xmm13");                                  \
        for (unsigned long long i = 0; i < iters; i++)                                 \
            __asm__ volatile(HFC_FMA(R, 0) HFC_FMA(R, 1) HFC_FMA(R, 2) HFC_FMA(R, 3)    \
                             HFC_FMA(R, 4) HFC_FMA(R, 5) HFC_FMA(R, 6) HFC_FMA(R, 7)    \
                             HFC_FMA(R, 8) HFC_FMA(R, 9) HFC_FMA(R, 10) HFC_FMA(R, 11)  \
                             :                                                         \
                             :                                                         \
                             : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",  \
                               "xmm7", "xmm8", "xmm9", "xmm10", "xmm11");              \
        return 12.0 * 2.0 * (LANES) * (double)iters;                                   \
    }

#endif /* HFC_MODELS_PACK_X86_H */
