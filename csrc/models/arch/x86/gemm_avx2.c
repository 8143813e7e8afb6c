/* AVX2 + FMA GEMM pieces: 6x16 microkernel, packing, FMA peak loop.
 * Reference: csrc/models/kernels/kernels_ref.c (hfc_gemm_ukr_ref and friends). */
#if defined(__x86_64__)

#include <immintrin.h>

#include "../../kernels/kernels_impl.h"

#define HFC_TARGET_AVX2 __attribute__((target("avx2,fma,bmi,bmi2,f16c")))

/* 12 independent FMA chains of 8 lanes: 2 FMA ports x 4-cycle latency need >= 8. */
HFC_TARGET_AVX2 double hfc_fma_peak_avx2(unsigned long long iters) {
    __m256 acc[12];
    for (int j = 0; j < 12; j++) acc[j] = _mm256_set1_ps((float)j);
    const __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(0.001f);
    for (unsigned long long i = 0; i < iters; i++) {
        for (int j = 0; j < 12; j++) acc[j] = _mm256_fmadd_ps(acc[j], a, b);
        __asm__ volatile("" : "+x"(acc[0]), "+x"(acc[1]), "+x"(acc[2]), "+x"(acc[3]),
                         "+x"(acc[4]), "+x"(acc[5]), "+x"(acc[6]), "+x"(acc[7]),
                         "+x"(acc[8]), "+x"(acc[9]), "+x"(acc[10]), "+x"(acc[11]));
    }
    __m256 s = acc[0];
    for (int j = 1; j < 12; j++) s = _mm256_add_ps(s, acc[j]);
    volatile float sink = _mm256_cvtss_f32(s);
    (void)sink;
    return 12.0 * 16.0 * (double)iters;
}

#endif
