/* AVX-512 GEMM pieces: MR x 32 microkernel (MR = HFC_GEMM_MR_AVX512), packing, FMA peak.
 * Reference: csrc/models/kernels/kernels_ref.c (hfc_gemm_ukr_ref and friends).
 *
 * Microkernel: 2*MR zmm accumulators hold C[MR][32]; per depth step it loads one
 * 32-float row of the B panel (2 zmm) and broadcasts MR values of A (from the packed
 * panel, or straight from MR rows of A when alpha = 1), i.e. 2*MR FMAs per step. */
#if defined(__x86_64__)

#include "pack_x86.h"

#define HFC_TARGET_AVX512 \
    __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,bmi,bmi2,f16c")))

enum { MR = HFC_GEMM_MR_AVX512, NR = HFC_GEMM_NR_AVX512 };

/* A element (i, p) at a[i*rs + p*ps]: packed panel (rs 1, ps MR) or rows in place
 * (rs lda, ps 1); always inlined with constant strides, so each use is its own loop. */
static inline __attribute__((always_inline)) HFC_TARGET_AVX512 void
ukr_body(size_t kc, const float *a, size_t rs, size_t ps, const float *bp, float *c,
         size_t ldc, int accumulate) {
    __m512 acc[MR][2];
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
#pragma GCC unroll 4
    for (size_t p = 0; p < kc; p++) {
        __m512 b0 = _mm512_loadu_ps(bp), b1 = _mm512_loadu_ps(bp + 16);
#pragma GCC unroll 16
        for (int i = 0; i < MR; i++) {
            __m512 av = _mm512_set1_ps(a[i * rs]);
            acc[i][0] = _mm512_fmadd_ps(av, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(av, b1, acc[i][1]);
        }
        a += ps;
        bp += NR;
    }
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
        float *ci = c + i * ldc;
        if (accumulate) {
            acc[i][0] = _mm512_add_ps(acc[i][0], _mm512_loadu_ps(ci));
            acc[i][1] = _mm512_add_ps(acc[i][1], _mm512_loadu_ps(ci + 16));
        }
        _mm512_storeu_ps(ci, acc[i][0]);
        _mm512_storeu_ps(ci + 16, acc[i][1]);
    }
}

HFC_TARGET_AVX512 void hfc_gemm_ukr_avx512(size_t kc, const float *a, size_t lda,
                                           const float *bp, float *c, size_t ldc,
                                           int accumulate) {
    if (lda == 0) ukr_body(kc, a, 1, MR, bp, c, ldc, accumulate);
    else ukr_body(kc, a, lda, 1, bp, c, ldc, accumulate);
}

HFC_TARGET_AVX512 void hfc_gemm_pack_a_avx512(const float *a, size_t lda, size_t mc, size_t kc,
                                              float alpha, float *ap) {
#if HFC_GEMM_MR_AVX512 == 8
    pack_a8_x86(a, lda, mc, kc, alpha, ap);
#else
    hfc_pack_a_generic(a, lda, mc, kc, alpha, ap, MR);
#endif
}

HFC_TARGET_AVX512 void hfc_gemm_pack_b_avx512(const void *b, int wt, int trans, size_t ldb,
                                              size_t nc, size_t kc, float *bp) {
    if (trans) pack_b_trans_x86(b, wt, ldb, nc, kc, bp, NR);
    else hfc_pack_b_generic(b, wt, trans, ldb, nc, kc, bp, NR);
}

/* 12 independent FMA chains (2 FMA ports x 4-cycle latency need >= 8), in inline
 * assembly so the compiler cannot spill the accumulators. */
HFC_TARGET_AVX512 double hfc_fma_peak_avx512(unsigned long long iters) {
    __asm__ volatile("vxorps %%xmm0, %%xmm0, %%xmm0\n\t"
                     "vmovaps %%zmm0, %%zmm13\n\t"
                     "vmovaps %%zmm0, %%zmm12\n\t"
                     :
                     :
                     : "xmm0", "xmm12", "xmm13");
    for (unsigned long long i = 0; i < iters; i++)
        __asm__ volatile(
        "vfmadd231ps %%zmm13, %%zmm12, %%zmm0\n\t"
        "vfmadd231ps %%zmm13, %%zmm12, %%zmm1\n\t"
        "vfmadd231ps %%zmm13, %%zmm12, %%zmm2\n\t"
        "vfmadd231ps %%zmm13, %%zmm12, %%zmm3\n\t"
        "vfmadd231ps %%zmm13, %%zmm12, %%zmm4\n\t"
        "vfmadd231ps %%zmm13, %%zmm12, %%zmm5\n\t"
        "vfmadd231ps %%zmm13, %%zmm12, %%zmm6\n\t"
        "vfmadd231ps %%zmm13, %%zmm12, %%zmm7\n\t"
        "vfmadd231ps %%zmm13, %%zmm12, %%zmm8\n\t"
        "vfmadd231ps %%zmm13, %%zmm12, %%zmm9\n\t"
        "vfmadd231ps %%zmm13, %%zmm12, %%zmm10\n\t"
        "vfmadd231ps %%zmm13, %%zmm12, %%zmm11\n\t"
        :
        :
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
          "xmm10", "xmm11");
    return 12.0 * 32.0 * (double)iters;
}

#endif
