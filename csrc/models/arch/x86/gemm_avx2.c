/* AVX2 + FMA GEMM pieces: 6x16 microkernel, packing, FMA peak loop.
 * Reference: csrc/models/kernels/kernels_ref.c (hfc_gemm_ukr_ref and friends). */
#if defined(__x86_64__)

#include "pack_x86.h"

#define HFC_TARGET_AVX2 __attribute__((target("avx2,fma,bmi,bmi2,f16c")))

enum { MR = HFC_GEMM_MR_AVX2, NR = HFC_GEMM_NR_AVX2 };

/* C[6][16] in 12 ymm accumulators; per depth step 2 loads of B, 6 broadcasts of A,
 * 12 FMAs. A element (i, p) at a[i*rs + p*ps]: packed panel or rows in place. */
static inline __attribute__((always_inline)) HFC_TARGET_AVX2 void
ukr_body(size_t kc, const float *a, size_t rs, size_t ps, const float *bp, float *c,
         size_t ldc, int accumulate) {
    __m256 acc[MR][2];
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
        acc[i][0] = acc[i][1] = _mm256_setzero_ps();
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0); /* used after the loop */
    }
#pragma GCC unroll 4
    for (size_t p = 0; p < kc; p++) {
        __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
#pragma GCC unroll 16
        for (int i = 0; i < MR; i++) {
            __m256 av = _mm256_broadcast_ss(a + i * rs);
            acc[i][0] = _mm256_fmadd_ps(av, b0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(av, b1, acc[i][1]);
        }
        a += ps;
        bp += NR;
    }
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
        float *ci = c + i * ldc;
        if (accumulate) {
            acc[i][0] = _mm256_add_ps(acc[i][0], _mm256_loadu_ps(ci));
            acc[i][1] = _mm256_add_ps(acc[i][1], _mm256_loadu_ps(ci + 8));
        }
        _mm256_storeu_ps(ci, acc[i][0]);
        _mm256_storeu_ps(ci + 8, acc[i][1]);
    }
}

HFC_TARGET_AVX2 void hfc_gemm_ukr_avx2(size_t kc, const float *a, size_t lda, const float *bp,
                                       float *c, size_t ldc, int accumulate) {
    if (lda == 0) ukr_body(kc, a, 1, MR, bp, c, ldc, accumulate);
    else ukr_body(kc, a, lda, 1, bp, c, ldc, accumulate);
}

HFC_TARGET_AVX2 void hfc_gemm_pack_a_avx2(const float *a, size_t lda, size_t mc, size_t kc,
                                          float alpha, float *ap) {
    hfc_pack_a_generic(a, lda, mc, kc, alpha, ap, MR);
}

HFC_TARGET_AVX2 void hfc_gemm_pack_b_avx2(const void *b, int wt, int trans, size_t ldb,
                                          size_t nc, size_t kc, float *bp) {
    if (trans) pack_b_trans_x86(b, wt, ldb, nc, kc, bp, NR);
    else hfc_pack_b_generic(b, wt, trans, ldb, nc, kc, bp, NR);
}

HFC_DEFINE_FMA_PEAK(hfc_fma_peak_avx2, HFC_TARGET_AVX2, "ymm", 8)

#endif
