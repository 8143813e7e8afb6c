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

/* ---- small m: y = x · w^T as dot products, no packing (see gemm_avx512.c) ----
 * Tiles of 4 rows of x by 2 rows of w: 8 ymm accumulators of 8-lane partial dot
 * products along k, reduced once at the end; the k tail (k % 8) in scalar code. w rows
 * are read in place in their stored dtype; a long k runs in depth blocks so x's rows
 * stay in L1 across the column tiles. */
#if defined(__x86_64__)

static inline __attribute__((always_inline)) HFC_TARGET_AVX2 __m256
load_w8(const void *w, int wt, size_t p) {
    if (wt == HFC_DT_F32) return _mm256_loadu_ps((const float *)w + p);
    __m128i h = _mm_loadu_si128((const __m128i *)((const uint16_t *)w + p));
    if (wt == HFC_DT_F16) return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

static inline __attribute__((always_inline)) float w_at(const void *w, int wt, size_t p) {
    if (wt == HFC_DT_F32) return ((const float *)w)[p];
    uint16_t h = ((const uint16_t *)w)[p];
    return wt == HFC_DT_F16 ? hfc_f16_to_f32_one(h) : hfc_bf16_to_f32_one(h);
}

static inline __attribute__((always_inline)) HFC_TARGET_AVX2 float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

static inline __attribute__((always_inline)) HFC_TARGET_AVX2 void
small_tile2(const float *x, size_t ldx, size_t k, const char *w, int wt, size_t ldw,
            const char *pf, float *y, size_t ldy, int accum, const int R, const int W) {
    __m256 acc[4][2];
#pragma GCC unroll 4
    for (int i = 0; i < R; i++)
#pragma GCC unroll 2
        for (int j = 0; j < W; j++) acc[i][j] = _mm256_setzero_ps();
    size_t p = 0;
    size_t es = wt == HFC_DT_F32 ? 4 : 2;
    for (; p + 8 <= k; p += 8) {
        __m256 wv[2];
        if (pf) {
            _mm_prefetch(pf + p * es, _MM_HINT_T1);
            _mm_prefetch(pf + ldw + p * es, _MM_HINT_T1);
        }
#pragma GCC unroll 2
        for (int j = 0; j < W; j++) wv[j] = load_w8(w + j * ldw, wt, p);
#pragma GCC unroll 4
        for (int i = 0; i < R; i++) {
            __m256 xv = _mm256_loadu_ps(x + i * ldx + p);
#pragma GCC unroll 2
            for (int j = 0; j < W; j++) acc[i][j] = _mm256_fmadd_ps(xv, wv[j], acc[i][j]);
        }
    }
#pragma GCC unroll 4
    for (int i = 0; i < R; i++)
#pragma GCC unroll 2
        for (int j = 0; j < W; j++) {
            float s = hsum8(acc[i][j]);
            for (size_t q = p; q < k; q++) s += x[i * ldx + q] * w_at(w + j * ldw, wt, q);
            y[i * ldy + j] = (accum ? y[i * ldy + j] : 0.0f) + s;
        }
}

static inline __attribute__((always_inline)) HFC_TARGET_AVX2 void
linear_small2(const float *x, size_t ldx, size_t m, size_t k, const void *w, const int wt,
              size_t n0, size_t n1, float *y, size_t ldy) {
    size_t es = wt == HFC_DT_F32 ? 4 : 2, ldw = k * es;
    size_t kb = k > 384 ? 256 : k;
    for (size_t k0 = 0; k0 < k; k0 += kb) {
        size_t kc = k - k0 < kb ? k - k0 : kb;
        const char *wb = (const char *)w + k0 * es;
        const float *xb = x + k0;
        int accum = k0 > 0;
        size_t j = n0;
        for (; j + 2 <= n1; j += 2) {
            /* the first row tile prefetches the weight rows 4 tiles further on */
            const char *pf = j + 10 <= n1 ? wb + (j + 8) * ldw : NULL;
            size_t i = 0;
            for (; i + 4 <= m; i += 4, pf = NULL)
                small_tile2(xb + i * ldx, ldx, kc, wb + j * ldw, wt, ldw, pf, y + i * ldy + j,
                            ldy, accum, 4, 2);
            for (; i < m; i++, pf = NULL)
                small_tile2(xb + i * ldx, ldx, kc, wb + j * ldw, wt, ldw, pf, y + i * ldy + j,
                            ldy, accum, 1, 2);
        }
        for (; j < n1; j++) {
            size_t i = 0;
            for (; i + 4 <= m; i += 4)
                small_tile2(xb + i * ldx, ldx, kc, wb + j * ldw, wt, ldw, NULL, y + i * ldy + j,
                            ldy, accum, 4, 1);
            for (; i < m; i++)
                small_tile2(xb + i * ldx, ldx, kc, wb + j * ldw, wt, ldw, NULL, y + i * ldy + j,
                            ldy, accum, 1, 1);
        }
    }
}

/* One instantiation per weight dtype, so the inner loops carry no dtype branch. */
HFC_TARGET_AVX2 void hfc_linear_small_avx2(const float *x, size_t ldx, size_t m, size_t k,
                                           const void *w, int wt, size_t n0, size_t n1,
                                           float *y, size_t ldy) {
    if (wt == HFC_DT_BF16) linear_small2(x, ldx, m, k, w, HFC_DT_BF16, n0, n1, y, ldy);
    else if (wt == HFC_DT_F16) linear_small2(x, ldx, m, k, w, HFC_DT_F16, n0, n1, y, ldy);
    else linear_small2(x, ldx, m, k, w, HFC_DT_F32, n0, n1, y, ldy);
}

#endif
