/* Neural-network kernels for hfc.models: GEMM / linear layers, LayerNorm, GELU,
 * softmax, encoder attention, embedding gather, dtype conversions.
 *
 * Conventions: every matrix is row-major; activations are fp32; weights may be fp32,
 * f16 or bf16 (fp32 accumulate) and are read in place (e.g. from an mmapped
 * safetensors file): the kernels never keep a packed copy of a weight, they only pack
 * small panels into per-call scratch. Threaded calls run on hfc's pool
 * (hfc_parallel_for); called from inside a pool task they run on the caller's thread.
 *
 * Each public kernel dispatches through hfc_kernels_active (cpu.h) to the scalar,
 * AVX2+FMA or AVX-512 variant. The *_ref functions at the bottom are the obviously
 * correct definitions the SIMD variants are tested against.
 */
#ifndef HFC_KERNELS_H
#define HFC_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Storage type of a weight / embedding table. */
typedef enum hfc_wtype { HFC_DT_F32 = 0, HFC_DT_F16 = 1, HFC_DT_BF16 = 2 } hfc_wtype;

/* Activation fused into hfc_linear's epilogue. GELU_ERF = torch GELU(approximate='none'),
 * GELU_TANH = GELU(approximate='tanh') (transformers' gelu_new / gelu_pytorch_tanh),
 * TANH = torch.tanh (BERT pooler). */
typedef enum hfc_act {
    HFC_ACT_NONE = 0,
    HFC_ACT_GELU_ERF = 1,
    HFC_ACT_GELU_TANH = 2,
    HFC_ACT_RELU = 3,
    HFC_ACT_TANH = 4,
    HFC_ACT_QUICK_GELU = 5, /* x * sigmoid(1.702 x): transformers' quick_gelu */
    HFC_ACT_SILU = 6        /* x * sigmoid(x): silu / swish */
} hfc_act;

size_t hfc_wtype_size(hfc_wtype wt); /* 4, 2, 2; 0 for an unknown value */

/* ---- GEMM ---- */

/* y[m,n] = act(x[m,k] · w[n,k]^T + bias[n]). w is in nn.Linear layout [out=n, in=k],
 * contiguous, of type wt. bias may be NULL. y must not overlap x. Any m, k, n >= 0
 * (k = 0 gives act(bias)). Threaded. HFC_ERR_INVALID on a bad wt/act or NULL data,
 * HFC_ERR_NOMEM if scratch cannot be allocated. */
hfc_status hfc_linear(const float *x, size_t m, size_t k, const void *w, hfc_wtype wt,
                      size_t n, const float *bias, hfc_act act, float *y);
/* Same with row strides (in elements): x row i at x + i*ldx (ldx >= k), y row i at
 * y + i*ldy (ldy >= n). E.g. write Q, K, V into column slices of one [m, 3*hidden]. */
hfc_status hfc_linear_strided(const float *x, size_t ldx, size_t m, size_t k, const void *w,
                              hfc_wtype wt, size_t n, const float *bias, hfc_act act, float *y,
                              size_t ldy);

/* C[m,n] = alpha * A[m,k] · op(B) + beta * C, all fp32 with row strides.
 * trans_b = false: B is [k,n] (row p at b + p*ldb); true: B is [n,k] (row j at b + j*ldb),
 * i.e. C = A·B^T. beta = 0 means C is write-only (may hold NaN garbage). Threaded. */
hfc_status hfc_gemm_f32(bool trans_b, size_t m, size_t n, size_t k, float alpha,
                        const float *a, size_t lda, const float *b, size_t ldb, float beta,
                        float *c, size_t ldc);

/* ---- normalisation and activations ---- */

/* y[i,:] = (x[i,:] - mean) / sqrt(var + eps) * gamma + beta (biased variance, like
 * torch.nn.functional.layer_norm over the last dim). gamma/beta may be NULL (1 / 0).
 * y may alias x. Threaded over rows. */
hfc_status hfc_layernorm(const float *x, size_t m, size_t n, const float *gamma,
                         const float *beta, float eps, float *y);
/* y = LayerNorm(x + residual); y may alias x or residual. */
hfc_status hfc_add_layernorm(const float *x, const float *residual, size_t m, size_t n,
                             const float *gamma, const float *beta, float eps, float *y);

/* In place, matching torch.nn.functional.gelu(approximate='none' / 'tanh'); threaded
 * when n is large. */
void hfc_gelu_erf(float *x, size_t n);
void hfc_gelu_tanh(float *x, size_t n);
void hfc_relu(float *x, size_t n);
void hfc_quick_gelu(float *x, size_t n);
void hfc_silu(float *x, size_t n);
/* In place softmax over each row of x[m,n] (threaded over rows). */
hfc_status hfc_softmax_rows(float *x, size_t m, size_t n);

/* ---- elementwise adds ---- */

/* y[i,j] += bias[j] + residual[i*n + j]; bias or residual may be NULL. */
void hfc_add_bias_residual(float *y, const float *bias, const float *residual, size_t m,
                           size_t n);
/* y[i] += x[i] */
void hfc_add(float *y, const float *x, size_t n);

/* ---- attention ---- */

/* Scaled-dot-product attention of a bidirectional encoder.
 * q, k, v: [batch, seq, heads*head_dim] with row stride ld_qkv (elements between
 * consecutive tokens; >= heads*head_dim, so they may be slices of one fused
 * [batch, seq, 3*hidden] buffer). mask: [batch, seq] key padding mask (nonzero = attend),
 * or NULL for none. Same result as transformers' additive finfo(float32).min mask:
 * masked keys get weight exactly 0 (they are skipped), and a row whose keys are all
 * masked averages all values uniformly. Padded query rows are computed like any other.
 * out: [batch, seq, heads*head_dim] with row stride ld_out; must not overlap q/k/v.
 * scale: usually 1/sqrt(head_dim). Threaded over batch*heads; scratch seq*seq floats
 * per thread. */
typedef struct hfc_attention_args {
    size_t batch, seq, heads, head_dim;
    const float *q, *k, *v;
    size_t ld_qkv;
    const int32_t *mask_i32; /* at most one of the two masks */
    const uint8_t *mask_u8;
    float scale;
    float *out;
    size_t ld_out;
} hfc_attention_args;
hfc_status hfc_attention(const hfc_attention_args *a);

/* Self-attention of an encoder layer from its input x [batch*seq, heads*head_dim]:
 * q, k, v = x·Wq^T + bq, x·Wk^T + bk, x·Wv^T + bv (written to the caller's q, k, v
 * buffers, [batch*seq, hidden] each), then hfc_attention into out [batch*seq, hidden]
 * (contiguous rows). For a few token rows (batch-1 inference) the projections and the
 * attention of one head run in one task, one pool job for the whole step. */
typedef struct hfc_linear_weights {
    const void *w;    /* [out, in] nn.Linear layout */
    hfc_wtype wt;
    const float *bias; /* [out] or NULL */
} hfc_linear_weights;
typedef struct hfc_self_attention_args {
    size_t batch, seq, heads, head_dim;
    const float *x;
    hfc_linear_weights wq, wk, wv; /* each [hidden, hidden] */
    const int32_t *mask_i32;        /* key padding mask [batch, seq], at most one */
    const uint8_t *mask_u8;
    float scale;
    float *q, *k, *v, *out;
} hfc_self_attention_args;
hfc_status hfc_self_attention(const hfc_self_attention_args *s);

/* ---- embeddings ---- */

/* out[i, :] = table[ids[i], :] (converted to fp32), table [rows, dim] of type wt.
 * HFC_ERR_RANGE naming the position if an id is < 0 or >= rows. */
hfc_status hfc_embedding_gather(const void *table, hfc_wtype wt, size_t rows, size_t dim,
                                const int64_t *ids, size_t n, float *out);
/* out[i, :] += table[ids[i], :] */
hfc_status hfc_embedding_gather_add(const void *table, hfc_wtype wt, size_t rows, size_t dim,
                                    const int64_t *ids, size_t n, float *out);

/* ---- conversions (n elements, no alignment needed) ---- */

void hfc_bf16_to_f32(const uint16_t *src, float *dst, size_t n);
void hfc_f16_to_f32(const uint16_t *src, float *dst, size_t n);
/* Round to nearest even. NaN: bf16 0x7FC0 (like torch); f16 a quiet NaN keeping the sign
 * and top payload bits (like F16C). f16 -> f32 makes a signalling NaN quiet (F16C). */
void hfc_f32_to_bf16(const float *src, uint16_t *dst, size_t n);
void hfc_f32_to_f16(const float *src, uint16_t *dst, size_t n);
/* dst[i] = (float)src[i] for any wtype (memcpy for f32). */
void hfc_wtype_to_f32(const void *src, hfc_wtype wt, float *dst, size_t n);

/* ---- scalar references (tests) ---- */

/* Naive triple loop in double, the definition hfc_linear / hfc_gemm_f32 are tested on. */
void hfc_linear_ref(const float *x, size_t ldx, size_t m, size_t k, const void *w,
                    hfc_wtype wt, size_t n, const float *bias, hfc_act act, float *y,
                    size_t ldy);
void hfc_gemm_f32_ref(bool trans_b, size_t m, size_t n, size_t k, float alpha, const float *a,
                      size_t lda, const float *b, size_t ldb, float beta, float *c,
                      size_t ldc);
void hfc_attention_ref(const hfc_attention_args *a);

/* Measured fp32 FMA peak: GFLOP/s of independent FMA chains (widest vector ISA the
 * active dispatch level has) on `threads` threads for about `seconds`. Benchmarks. */
double hfc_fma_peak_gflops(double seconds, int threads);

#ifdef __cplusplus
}
#endif
#endif /* HFC_KERNELS_H */
