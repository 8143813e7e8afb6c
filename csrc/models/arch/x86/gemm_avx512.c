/* AVX-512 GEMM pieces: 8x32 microkernel, packing, FMA peak loop.
 * Reference: csrc/models/kernels/kernels_ref.c (hfc_gemm_ukr_ref and friends). */
#if defined(__x86_64__)

#include <immintrin.h>

#include "../../kernels/kernels_impl.h"

#define HFC_TARGET_AVX512 \
    __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,bmi,bmi2,f16c")))

HFC_TARGET_AVX512 double hfc_fma_peak_avx512(unsigned long long iters) {
    __m512 acc[12];
    for (int j = 0; j < 12; j++) acc[j] = _mm512_set1_ps((float)j);
    const __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(0.001f);
    for (unsigned long long i = 0; i < iters; i++) {
        for (int j = 0; j < 12; j++) acc[j] = _mm512_fmadd_ps(acc[j], a, b);
        __asm__ volatile("" : "+v"(acc[0]), "+v"(acc[1]), "+v"(acc[2]), "+v"(acc[3]),
                         "+v"(acc[4]), "+v"(acc[5]), "+v"(acc[6]), "+v"(acc[7]),
                         "+v"(acc[8]), "+v"(acc[9]), "+v"(acc[10]), "+v"(acc[11]));
    }
    __m512 s = acc[0];
    for (int j = 1; j < 12; j++) s = _mm512_add_ps(s, acc[j]);
    volatile float sink = _mm512_reduce_add_ps(s);
    (void)sink;
    return 12.0 * 32.0 * (double)iters;
}

#endif
