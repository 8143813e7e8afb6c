/* Scalar level of the hfc.models kernels and the naive definitions the tests compare
 * every level with. Kept obviously correct rather than fast; the naive references
 * accumulate in double. */
#include <float.h>
#include <stdlib.h>

#include "kernels_impl.h"

/* ---- dtype conversions ---- */

float hfc_bf16_to_f32_one(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* IEEE binary16 -> binary32, exact (subnormals, inf); a NaN keeps its payload and is
 * made quiet, as F16C's vcvtph2ps does. */
float hfc_f16_to_f32_one(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1Fu, man = h & 0x3FFu, u;
    if (exp == 0x1F) {
        u = sign | 0x7F800000u | (man << 13) | (man ? 0x400000u : 0u);
    } else if (exp != 0) {
        u = sign | ((exp + 112u) << 23) | (man << 13);
    } else if (man == 0) {
        u = sign;
    } else { /* subnormal: man * 2^-24 */
        float f = (float)man * 0x1p-24f;
        memcpy(&u, &f, 4);
        u |= sign;
    }
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static uint16_t f32_to_bf16_one(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return 0x7FC0; /* NaN, as torch */
    u += 0x7FFFu + ((u >> 16) & 1u);                     /* round to nearest even */
    return (uint16_t)(u >> 16);
}

/* binary32 -> binary16, round to nearest even; NaN keeps sign and the top payload bits
 * and is made quiet (what F16C's vcvtps2ph does). */
static uint16_t f32_to_f16_one(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    uint32_t a = u & 0x7FFFFFFFu;
    if (a > 0x7F800000u) return sign | 0x7E00u | (uint16_t)((a >> 13) & 0x3FFu);
    if (a >= 0x477FF000u) return sign | 0x7C00u; /* rounds to >= 65520: inf */
    if (a < 0x38800000u) {                        /* below 2^-14: subnormal or zero */
        float af;
        memcpy(&af, &a, 4);
        /* af * 2^24 rounded to an integer (nearest even) is the subnormal mantissa */
        float scaled = af * 0x1p24f;
        uint32_t m = (uint32_t)nearbyintf(scaled);
        return sign | (uint16_t)m; /* m may be 0x400 = smallest normal: still right */
    }
    uint32_t mant = a & 0x7FFFFFu, exp = (a >> 23) - 112u;
    uint32_t h = (exp << 10) | (mant >> 13);
    uint32_t rest = mant & 0x1FFFu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++;
    return sign | (uint16_t)h;
}

void hfc_bf16_to_f32_ref(const uint16_t *src, float *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = hfc_bf16_to_f32_one(src[i]);
}
void hfc_f16_to_f32_ref(const uint16_t *src, float *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = hfc_f16_to_f32_one(src[i]);
}
void hfc_f32_to_bf16_ref(const float *src, uint16_t *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = f32_to_bf16_one(src[i]);
}
void hfc_f32_to_f16_ref(const float *src, uint16_t *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = f32_to_f16_one(src[i]);
}

static double weight_at(const void *w, hfc_wtype wt, size_t i) {
    switch (wt) {
    case HFC_DT_F16: return hfc_f16_to_f32_one(((const uint16_t *)w)[i]);
    case HFC_DT_BF16: return hfc_bf16_to_f32_one(((const uint16_t *)w)[i]);
    default: return ((const float *)w)[i];
    }
}

/* ---- activations, normalisation, softmax ---- */

static double gelu_erf_d(double x) { return 0.5 * x * (1.0 + erf(x * 0.70710678118654752440)); }
static double gelu_tanh_d(double x) {
    return 0.5 * x * (1.0 + tanh(0.79788456080286535588 * (x + 0.044715 * x * x * x)));
}

/* x * sigmoid(a x), as torch computes it: a x rounded to float first */
static double swish_d(double x, float a) { return x / (1.0 + exp(-(double)(a * (float)x))); }
void hfc_quick_gelu_ref(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = (float)swish_d(x[i], 1.702f);
}
void hfc_silu_ref(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = (float)swish_d(x[i], 1.0f);
}
void hfc_gelu_erf_ref(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = (float)gelu_erf_d(x[i]);
}
void hfc_gelu_tanh_ref(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = (float)gelu_tanh_d(x[i]);
}

void hfc_softmax_row_ref(float *x, size_t n) {
    if (n == 0) return;
    float mx = x[0];
    for (size_t i = 1; i < n; i++) mx = x[i] > mx ? x[i] : mx;
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += exp((double)x[i] - mx);
    for (size_t i = 0; i < n; i++) x[i] = (float)(exp((double)x[i] - mx) / sum);
}

void hfc_layernorm_row_ref(const float *x, const float *res, size_t n, const float *gamma,
                           const float *beta, float eps, float *y) {
    if (n == 0) return;
    double mean = 0, var = 0;
    for (size_t i = 0; i < n; i++) mean += (double)(x[i] + (res ? res[i] : 0.0f));
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double d = (double)(x[i] + (res ? res[i] : 0.0f)) - mean;
        var += d * d;
    }
    var /= (double)n;
    double inv = 1.0 / sqrt(var + eps);
    for (size_t i = 0; i < n; i++) {
        double v = ((double)(x[i] + (res ? res[i] : 0.0f)) - mean) * inv;
        y[i] = (float)(v * (gamma ? gamma[i] : 1.0f) + (beta ? beta[i] : 0.0f));
    }
}

/* ---- GEMM: scalar microkernel and packing ---- */

void hfc_gemm_ukr_ref(size_t kc, const float *a, size_t lda, const float *bp, float *c,
                      size_t ldc, int accumulate) {
    enum { MR = HFC_GEMM_MR_REF, NR = HFC_GEMM_NR_REF };
    size_t rs = lda ? lda : 1, ps = lda ? 1 : MR; /* element (i, p) at a[i*rs + p*ps] */
    float acc[MR][NR];
    memset(acc, 0, sizeof acc);
    for (size_t p = 0; p < kc; p++)
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++) acc[i][j] += a[i * rs + p * ps] * bp[p * NR + j];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++) c[i * ldc + j] = (accumulate ? c[i * ldc + j] : 0.0f) + acc[i][j];
}

void hfc_gemm_pack_a_ref(const float *a, size_t lda, size_t mc, size_t kc, float alpha,
                         float *ap) {
    hfc_pack_a_generic(a, lda, mc, kc, alpha, ap, HFC_GEMM_MR_REF);
}

void hfc_gemm_pack_b_ref(const void *b, int wt, int trans, size_t ldb, size_t nc, size_t kc,
                         float *bp) {
    hfc_pack_b_generic(b, wt, trans, ldb, nc, kc, bp, HFC_GEMM_NR_REF);
}

/* ---- naive references ---- */

static double act_d(hfc_act act, double v) {
    switch (act) {
    case HFC_ACT_GELU_ERF: return gelu_erf_d(v);
    case HFC_ACT_GELU_TANH: return gelu_tanh_d(v);
    case HFC_ACT_RELU: return v > 0 ? v : 0;
    case HFC_ACT_TANH: return tanh(v);
    case HFC_ACT_QUICK_GELU: return swish_d(v, 1.702f);
    case HFC_ACT_SILU: return swish_d(v, 1.0f);
    default: return v;
    }
}

void hfc_linear_ref(const float *x, size_t ldx, size_t m, size_t k, const void *w,
                    hfc_wtype wt, size_t n, const float *bias, hfc_act act, float *y,
                    size_t ldy) {
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double s = bias ? bias[j] : 0.0;
            for (size_t p = 0; p < k; p++) s += (double)x[i * ldx + p] * weight_at(w, wt, j * k + p);
            y[i * ldy + j] = (float)act_d(act, s);
        }
}

void hfc_gemm_f32_ref(bool trans_b, size_t m, size_t n, size_t k, float alpha, const float *a,
                      size_t lda, const float *b, size_t ldb, float beta, float *c,
                      size_t ldc) {
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0;
            for (size_t p = 0; p < k; p++)
                s += (double)a[i * lda + p] * (trans_b ? b[j * ldb + p] : b[p * ldb + j]);
            double v = alpha * s;
            if (beta != 0.0f) v += (double)beta * c[i * ldc + j];
            c[i * ldc + j] = (float)v;
        }
}

void hfc_attention_ref(const hfc_attention_args *a) {
    size_t hd = a->head_dim, hidden = a->heads * hd, S = a->seq;
    double *w = malloc((S ? S : 1) * sizeof *w);
    if (!w) abort();
    for (size_t b = 0; b < a->batch; b++)
        for (size_t h = 0; h < a->heads; h++)
            for (size_t i = 0; i < S; i++) {
                const float *q = a->q + (b * S + i) * a->ld_qkv + h * hd;
                double mx = -INFINITY;
                for (size_t j = 0; j < S; j++) {
                    const float *kk = a->k + (b * S + j) * a->ld_qkv + h * hd;
                    double s = 0;
                    for (size_t d = 0; d < hd; d++) s += (double)q[d] * kk[d];
                    s *= a->scale;
                    int keep = a->mask_i32 ? a->mask_i32[b * S + j] != 0
                             : a->mask_u8  ? a->mask_u8[b * S + j] != 0
                                           : 1;
                    if (!keep) s = (double)(float)(s + (double)-FLT_MAX);
                    w[j] = s;
                    mx = s > mx ? s : mx;
                }
                double sum = 0;
                for (size_t j = 0; j < S; j++) sum += (w[j] = exp(w[j] - mx));
                float *o = a->out + (b * S + i) * a->ld_out + h * hd;
                for (size_t d = 0; d < hd; d++) {
                    double acc = 0;
                    for (size_t j = 0; j < S; j++)
                        acc += w[j] * a->v[(b * S + j) * a->ld_qkv + h * hd + d];
                    o[d] = (float)(acc / sum);
                }
            }
    (void)hidden;
    free(w);
}
