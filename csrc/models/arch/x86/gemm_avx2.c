/* AVX2 + FMA GEMM pieces: 6x16 microkernel, packing, FMA peak loop.
 * Reference: csrc/models/kernels/kernels_ref.c (hfc_gemm_ukr_ref and friends). */
#if defined(__x86_64__)

#include <immintrin.h>

#include "../../kernels/kernels_impl.h"

#define HFC_TARGET_AVX2 __attribute__((target("avx2,fma,bmi,bmi2,f16c")))

/* 12 independent FMA chains (2 FMA ports x 4-cycle latency need >= 8), in inline
 * assembly so the compiler cannot spill the accumulators. */
HFC_TARGET_AVX2 double hfc_fma_peak_avx2(unsigned long long iters) {
    __asm__ volatile("vxorps %%xmm0, %%xmm0, %%xmm0\n\t"
                     "vmovaps %%ymm0, %%ymm13\n\t"
                     "vmovaps %%ymm0, %%ymm12\n\t"
                     :
                     :
                     : "xmm0", "xmm12", "xmm13");
    for (unsigned long long i = 0; i < iters; i++)
        __asm__ volatile(
        "vfmadd231ps %%ymm13, %%ymm12, %%ymm0\n\t"
        "vfmadd231ps %%ymm13, %%ymm12, %%ymm1\n\t"
        "vfmadd231ps %%ymm13, %%ymm12, %%ymm2\n\t"
        "vfmadd231ps %%ymm13, %%ymm12, %%ymm3\n\t"
        "vfmadd231ps %%ymm13, %%ymm12, %%ymm4\n\t"
        "vfmadd231ps %%ymm13, %%ymm12, %%ymm5\n\t"
        "vfmadd231ps %%ymm13, %%ymm12, %%ymm6\n\t"
        "vfmadd231ps %%ymm13, %%ymm12, %%ymm7\n\t"
        "vfmadd231ps %%ymm13, %%ymm12, %%ymm8\n\t"
        "vfmadd231ps %%ymm13, %%ymm12, %%ymm9\n\t"
        "vfmadd231ps %%ymm13, %%ymm12, %%ymm10\n\t"
        "vfmadd231ps %%ymm13, %%ymm12, %%ymm11\n\t"
        :
        :
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
          "xmm10", "xmm11");
    return 12.0 * 16.0 * (double)iters;
}

#endif
