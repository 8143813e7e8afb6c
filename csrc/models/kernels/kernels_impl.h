/* Private to the hfc.models kernels: per-ISA entry points for the dispatch table
 * (kernels_table.c) and the packing loops every ISA instantiates.
 *
 * Packed layouts (see cpu.h, gemm_pack_a / gemm_pack_b):
 *   Ap: ceil(mc/MR) panels, panel r = [p][MR] for p in [0,kc): A[r*MR + i][p] * alpha
 *   Bp: ceil(nc/NR) panels, panel s = [p][NR]:                 B[p][s*NR + j]
 * Rows / columns past mc / nc are zero, so the microkernel never branches on edges.
 */
#ifndef HFC_MODELS_KERNELS_IMPL_H
#define HFC_MODELS_KERNELS_IMPL_H

#include <math.h>
#include <string.h>

#include "hfc/cpu.h"
#include "hfc/kernels.h"

/* hfc_kernels_active, initialised on first use (kernels.h entry points). */
const hfc_kernels *hfc_models_kernels(void);
/* hfc_linear_strided / hfc_gemm_f32 on at most `threads` threads; 0 = the pool size,
 * 1 = on the caller's thread only (attention calls it per head from inside a task). */
hfc_status hfc_linear_threads(const float *x, size_t ldx, size_t m, size_t k, const void *w,
                              hfc_wtype wt, size_t n, const float *bias, hfc_act act, float *y,
                              size_t ldy, int threads);
hfc_status hfc_gemm_f32_threads(bool trans_b, size_t m, size_t n, size_t k, float alpha,
                                const float *a, size_t lda, const float *b, size_t ldb,
                                float beta, float *c, size_t ldc, int threads);

/* Up to this many rows hfc_linear runs the dot-product kernel (linear_small) where the
 * level has one, instead of the packed GEMM. */
#define HFC_SMALL_M_MAX 32

/* This thread's scratch buffer number `slot` (< HFC_SCRATCH_SLOTS) with room for
 * `floats` floats, 64-byte aligned, kept for the thread's lifetime; NULL when out of
 * memory. Slot 0: GEMM packing panels; slot 1: attention scores; slot 2: gathered
 * attention keys / values. */
#define HFC_SCRATCH_SLOTS 3
float *hfc_models_scratch(int slot, size_t floats);

/* Scalar level (kernels_ref.c / gemm_ref.c). */
#define HFC_GEMM_MR_REF 4
#define HFC_GEMM_NR_REF 8
void hfc_gemm_ukr_ref(size_t kc, const float *a, size_t lda, const float *bp, float *c,
                       size_t ldc, int accumulate);
void hfc_gemm_pack_a_ref(const float *a, size_t lda, size_t mc, size_t kc, float alpha,
                         float *ap);
void hfc_gemm_pack_b_ref(const void *b, int wt, int trans, size_t ldb, size_t nc, size_t kc,
                         float *bp);
void hfc_layernorm_row_ref(const float *x, const float *res, size_t n, const float *gamma,
                           const float *beta, float eps, float *y);
void hfc_gelu_erf_ref(float *x, size_t n);
void hfc_gelu_tanh_ref(float *x, size_t n);
void hfc_quick_gelu_ref(float *x, size_t n);
void hfc_silu_ref(float *x, size_t n);
void hfc_softmax_row_ref(float *x, size_t n);
void hfc_bf16_to_f32_ref(const uint16_t *src, float *dst, size_t n);
void hfc_f16_to_f32_ref(const uint16_t *src, float *dst, size_t n);
void hfc_f32_to_bf16_ref(const float *src, uint16_t *dst, size_t n);
void hfc_f32_to_f16_ref(const float *src, uint16_t *dst, size_t n);
float hfc_f16_to_f32_one(uint16_t h);
float hfc_bf16_to_f32_one(uint16_t h);

#if defined(__x86_64__)
#define HFC_GEMM_MR_AVX2 6
#define HFC_GEMM_NR_AVX2 16
#define HFC_GEMM_MR_AVX512 8
#define HFC_GEMM_NR_AVX512 32
void hfc_gemm_ukr_avx2(size_t kc, const float *a, size_t lda, const float *bp, float *c,
                       size_t ldc, int accumulate);
void hfc_gemm_pack_a_avx2(const float *a, size_t lda, size_t mc, size_t kc, float alpha,
                          float *ap);
void hfc_gemm_pack_b_avx2(const void *b, int wt, int trans, size_t ldb, size_t nc, size_t kc,
                          float *bp);
void hfc_layernorm_row_avx2(const float *x, const float *res, size_t n, const float *gamma,
                            const float *beta, float eps, float *y);
void hfc_gelu_erf_avx2(float *x, size_t n);
void hfc_gelu_tanh_avx2(float *x, size_t n);
void hfc_quick_gelu_avx2(float *x, size_t n);
void hfc_silu_avx2(float *x, size_t n);
void hfc_softmax_row_avx2(float *x, size_t n);
void hfc_bf16_to_f32_avx2(const uint16_t *src, float *dst, size_t n);
void hfc_f16_to_f32_avx2(const uint16_t *src, float *dst, size_t n);
void hfc_f32_to_bf16_avx2(const float *src, uint16_t *dst, size_t n);
void hfc_f32_to_f16_avx2(const float *src, uint16_t *dst, size_t n);

void hfc_gemm_ukr_avx512(size_t kc, const float *a, size_t lda, const float *bp, float *c,
                       size_t ldc, int accumulate);
void hfc_gemm_pack_a_avx512(const float *a, size_t lda, size_t mc, size_t kc, float alpha,
                            float *ap);
void hfc_gemm_pack_b_avx512(const void *b, int wt, int trans, size_t ldb, size_t nc,
                            size_t kc, float *bp);
void hfc_layernorm_row_avx512(const float *x, const float *res, size_t n, const float *gamma,
                              const float *beta, float eps, float *y);
void hfc_gelu_erf_avx512(float *x, size_t n);
void hfc_gelu_tanh_avx512(float *x, size_t n);
void hfc_quick_gelu_avx512(float *x, size_t n);
void hfc_silu_avx512(float *x, size_t n);
void hfc_softmax_row_avx512(float *x, size_t n);
void hfc_bf16_to_f32_avx512(const uint16_t *src, float *dst, size_t n);
void hfc_f16_to_f32_avx512(const uint16_t *src, float *dst, size_t n);
void hfc_f32_to_bf16_avx512(const float *src, uint16_t *dst, size_t n);
void hfc_f32_to_f16_avx512(const float *src, uint16_t *dst, size_t n);
void hfc_linear_small_avx2(const float *x, size_t ldx, size_t m, size_t k, const void *w,
                           int wt, size_t n0, size_t n1, float *y, size_t ldy);
void hfc_linear_small_avx512(const float *x, size_t ldx, size_t m, size_t k, const void *w,
                             int wt, size_t n0, size_t n1, float *y, size_t ldy);
double hfc_fma_peak_avx2(unsigned long long iters);   /* returns flops done */
double hfc_fma_peak_avx512(unsigned long long iters);
#endif

/* ---- packing loops, instantiated per ISA with its MR / NR (callers are compiled with
 * that ISA's target attribute, so the inlined loops vectorize for it). ---- */

static inline __attribute__((always_inline)) void
hfc_pack_a_generic(const float *a, size_t lda, size_t mc, size_t kc, float alpha, float *ap,
                   const size_t MR) {
    for (size_t r = 0; r < mc; r += MR) {
        size_t rows = mc - r < MR ? mc - r : MR;
        float *dst = ap + r * kc;
        if (rows == MR) {
            for (size_t p = 0; p < kc; p++)
                for (size_t i = 0; i < MR; i++) dst[p * MR + i] = a[(r + i) * lda + p] * alpha;
        } else {
            for (size_t p = 0; p < kc; p++) {
                for (size_t i = 0; i < rows; i++) dst[p * MR + i] = a[(r + i) * lda + p] * alpha;
                for (size_t i = rows; i < MR; i++) dst[p * MR + i] = 0.0f;
            }
        }
    }
}

/* One nr-wide panel of B, columns [0, cols), converted to fp32 by cvt(row pointer,
 * count, out) for the transposed (weight) layout; `ptr(j)` for row j. */
static inline __attribute__((always_inline)) void
hfc_pack_b_generic(const void *b, int wt, int trans, size_t ldb, size_t nc, size_t kc,
                   float *bp, const size_t NR) {
    for (size_t s = 0; s < nc; s += NR) {
        size_t cols = nc - s < NR ? nc - s : NR;
        float *dst = bp + s * kc;
        if (trans) {
            for (size_t j = 0; j < cols; j++) {
                if (wt == HFC_DT_F32) {
                    const float *row = (const float *)b + (s + j) * ldb;
                    for (size_t p = 0; p < kc; p++) dst[p * NR + j] = row[p];
                } else if (wt == HFC_DT_BF16) {
                    const uint16_t *row = (const uint16_t *)b + (s + j) * ldb;
                    for (size_t p = 0; p < kc; p++) {
                        uint32_t u = (uint32_t)row[p] << 16;
                        float f;
                        memcpy(&f, &u, 4);
                        dst[p * NR + j] = f;
                    }
                } else {
                    const uint16_t *row = (const uint16_t *)b + (s + j) * ldb;
                    for (size_t p = 0; p < kc; p++) dst[p * NR + j] = hfc_f16_to_f32_one(row[p]);
                }
            }
        } else {
            for (size_t p = 0; p < kc; p++) {
                if (wt == HFC_DT_F32) {
                    const float *row = (const float *)b + p * ldb + s;
                    for (size_t j = 0; j < cols; j++) dst[p * NR + j] = row[j];
                } else {
                    const uint16_t *row = (const uint16_t *)b + p * ldb + s;
                    for (size_t j = 0; j < cols; j++)
                        dst[p * NR + j] = wt == HFC_DT_BF16 ? hfc_bf16_to_f32_one(row[j])
                                                            : hfc_f16_to_f32_one(row[j]);
                }
            }
        }
        if (cols < NR)
            for (size_t p = 0; p < kc; p++)
                for (size_t j = cols; j < NR; j++) dst[p * NR + j] = 0.0f;
    }
}

#endif /* HFC_MODELS_KERNELS_IMPL_H */
