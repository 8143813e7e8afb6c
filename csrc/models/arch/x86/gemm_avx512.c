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
    for (int i = 0; i < MR; i++) {
        acc[i][0] = acc[i][1] = _mm512_setzero_ps();
        /* C is touched only after the depth loop: start fetching its lines now */
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + 16), _MM_HINT_T0);
    }
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

HFC_DEFINE_FMA_PEAK(hfc_fma_peak_avx512, HFC_TARGET_AVX512, "zmm", 16)

#endif

/* ---- small m: y = x · w^T as dot products, no packing ----
 * For a handful of rows (batch-1 inference) packing w would cost as much as the
 * multiply. Tiles of R rows of x by 4 rows of w accumulate 16-lane partial dot products
 * along k (4R accumulators; the k tail through masked loads), reduced once at the end.
 * w rows are read in place in their stored dtype. */
#if defined(__x86_64__)

static inline __attribute__((always_inline)) HFC_TARGET_AVX512 __m512
load_w16(const void *w, int wt, size_t p, __mmask16 mk) {
    if (wt == HFC_DT_F32) return _mm512_maskz_loadu_ps(mk, (const float *)w + p);
    __m256i h = _mm256_maskz_loadu_epi16(mk, (const uint16_t *)w + p);
    if (wt == HFC_DT_F16) return _mm512_cvtph_ps(h);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

static inline __attribute__((always_inline)) HFC_TARGET_AVX512 void
small_tile(const float *x, size_t ldx, size_t k, const void *w, int wt, size_t ldw_bytes,
           const char *pf, int pf_rows, float *y, size_t ldy, int accum, const int R,
           const int W) {
    __m512 acc[4][4];
#pragma GCC unroll 4
    for (int i = 0; i < R; i++)
#pragma GCC unroll 4
        for (int j = 0; j < W; j++) acc[i][j] = _mm512_setzero_ps();
    const char *wb = w;
    size_t p = 0;
#define SMALL_STEP(mk)                                                                   \
    do {                                                                                 \
        __m512 wv[4], xv[4];                                                             \
        _Pragma("GCC unroll 4") for (int j = 0; j < W; j++)                              \
            wv[j] = load_w16(wb + j * ldw_bytes, wt, p, mk);                             \
        _Pragma("GCC unroll 4") for (int i = 0; i < R; i++)                              \
            xv[i] = _mm512_maskz_loadu_ps(mk, x + i * ldx + p);                          \
        _Pragma("GCC unroll 4") for (int i = 0; i < R; i++)                              \
            _Pragma("GCC unroll 4") for (int j = 0; j < W; j++)                          \
                acc[i][j] = _mm512_fmadd_ps(xv[i], wv[j], acc[i][j]);                    \
    } while (0)
    if (pf) {
        /* stream the next weight rows in while these are multiplied: from L3 or DRAM the
         * hardware prefetcher alone leaves the FMAs waiting at batch-1 sizes */
        size_t es = wt == HFC_DT_F32 ? 4 : 2;
        for (; p + 16 <= k; p += 16) {
#pragma GCC unroll 4
            for (int j = 0; j < pf_rows; j++) _mm_prefetch(pf + j * ldw_bytes + p * es, _MM_HINT_T1);
            SMALL_STEP((__mmask16)0xFFFF);
        }
    }
    for (; p + 16 <= k; p += 16) SMALL_STEP((__mmask16)0xFFFF);
    if (p < k) SMALL_STEP((__mmask16)((1u << (k - p)) - 1));
#undef SMALL_STEP
    if (R == 4 && W == 4) {
        /* transposing reduction: 16 accumulators -> one vector whose lane 4i+j is the
         * sum of acc[i][j] (15 adds + 30 shuffles instead of 16 full reductions) */
        __m512 u[8], v[4], w2[2];
#pragma GCC unroll 8
        for (int q = 0; q < 8; q++) {
            __m512 a0 = acc[q / 2][(q % 2) * 2], a1 = acc[q / 2][(q % 2) * 2 + 1];
            u[q] = _mm512_add_ps(_mm512_unpacklo_ps(a0, a1), _mm512_unpackhi_ps(a0, a1));
        }
#pragma GCC unroll 4
        for (int q = 0; q < 4; q++) {
            __m512d u0 = _mm512_castps_pd(u[2 * q]), u1 = _mm512_castps_pd(u[2 * q + 1]);
            v[q] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(u0, u1)),
                                 _mm512_castpd_ps(_mm512_unpackhi_pd(u0, u1)));
        }
#pragma GCC unroll 2
        for (int q = 0; q < 2; q++)
            w2[q] = _mm512_add_ps(_mm512_shuffle_f32x4(v[2 * q], v[2 * q + 1], 0x88),
                                  _mm512_shuffle_f32x4(v[2 * q], v[2 * q + 1], 0xDD));
        __m512 r = _mm512_add_ps(_mm512_shuffle_f32x4(w2[0], w2[1], 0x88),
                                 _mm512_shuffle_f32x4(w2[0], w2[1], 0xDD));
        __m128 r4[4] = {_mm512_extractf32x4_ps(r, 0), _mm512_extractf32x4_ps(r, 1),
                        _mm512_extractf32x4_ps(r, 2), _mm512_extractf32x4_ps(r, 3)};
#pragma GCC unroll 4
        for (int i = 0; i < 4; i++) {
            if (accum) r4[i] = _mm_add_ps(r4[i], _mm_loadu_ps(y + i * ldy));
            _mm_storeu_ps(y + i * ldy, r4[i]);
        }
        return;
    }
#pragma GCC unroll 4
    for (int i = 0; i < R; i++)
#pragma GCC unroll 4
        for (int j = 0; j < W; j++)
            y[i * ldy + j] = (accum ? y[i * ldy + j] : 0.0f) + _mm512_reduce_add_ps(acc[i][j]);
}

#ifndef PF_AHEAD
#define PF_AHEAD 2
#endif

#define SMALL_KB 256

/* y[:, n0:n1] (+)= x[:, 0:k] · w[n0:n1, 0:k]^T, w rows ldw bytes apart. */
static inline __attribute__((always_inline)) HFC_TARGET_AVX512 void
linear_small_block(const float *x, size_t ldx, size_t m, size_t k, const char *wbase,
                   const int wt, size_t ldw, size_t n0, size_t n1, float *y, size_t ldy,
                   int accum) {
    size_t j = n0;
    /* the row tiles of a column group share the prefetching of the weight rows PF_AHEAD
     * groups further on, a few rows each: an even request rate, not a burst */
    size_t tiles = m / 4 + m % 4, per = (4 + tiles - 1) / tiles;
    for (; j + 4 <= n1; j += 4) {
        const char *pf = j + 4 * (PF_AHEAD + 1) <= n1 ? wbase + (j + 4 * PF_AHEAD) * ldw : NULL;
        size_t i = 0, t = 0;
        for (; i + 4 <= m; i += 4, t++) {
            int rows = pf && t * per < 4 ? (int)(4 - t * per < per ? 4 - t * per : per) : 0;
            small_tile(x + i * ldx, ldx, k, wbase + j * ldw, wt, ldw, rows ? pf + t * per * ldw : NULL,
                       rows, y + i * ldy + j, ldy, accum, 4, 4);
        }
        for (; i < m; i++, t++) {
            int rows = pf && t * per < 4 ? (int)(4 - t * per < per ? 4 - t * per : per) : 0;
            small_tile(x + i * ldx, ldx, k, wbase + j * ldw, wt, ldw, rows ? pf + t * per * ldw : NULL,
                       rows, y + i * ldy + j, ldy, accum, 1, 4);
        }
    }
    for (; j < n1; j++) {
        size_t i = 0;
        for (; i + 4 <= m; i += 4)
            small_tile(x + i * ldx, ldx, k, wbase + j * ldw, wt, ldw, NULL, 0, y + i * ldy + j,
                       ldy, accum, 4, 1);
        for (; i < m; i++)
            small_tile(x + i * ldx, ldx, k, wbase + j * ldw, wt, ldw, NULL, 0, y + i * ldy + j,
                       ldy, accum, 1, 1);
    }
}

static inline __attribute__((always_inline)) HFC_TARGET_AVX512 void
linear_small(const float *x, size_t ldx, size_t m, size_t k, const void *w, const int wt,
             size_t n0, size_t n1, float *y, size_t ldy) {
    size_t es = wt == HFC_DT_F32 ? 4 : 2, ldw = k * es;
    /* a long k runs in depth blocks, partial sums added into y: x's rows then stay in
     * L1 across the column tiles instead of being re-read from L2 for each */
    size_t kb = k > SMALL_KB + SMALL_KB / 2 ? SMALL_KB : k;
    for (size_t k0 = 0; k0 < k; k0 += kb) {
        size_t kc = k - k0 < kb ? k - k0 : kb;
        linear_small_block(x + k0, ldx, m, kc, (const char *)w + k0 * es, wt, ldw, n0, n1, y,
                           ldy, k0 > 0);
    }
}

/* One instantiation per weight dtype, so the inner loops carry no dtype branch. */
HFC_TARGET_AVX512 void hfc_linear_small_avx512(const float *x, size_t ldx, size_t m, size_t k,
                                               const void *w, int wt, size_t n0, size_t n1,
                                               float *y, size_t ldy) {
    if (wt == HFC_DT_BF16) linear_small(x, ldx, m, k, w, HFC_DT_BF16, n0, n1, y, ldy);
    else if (wt == HFC_DT_F16) linear_small(x, ldx, m, k, w, HFC_DT_F16, n0, n1, y, ldy);
    else linear_small(x, ldx, m, k, w, HFC_DT_F32, n0, n1, y, ldy);
}

#endif
