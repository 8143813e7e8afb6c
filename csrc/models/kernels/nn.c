/* Public entry points of the non-GEMM kernels: row-parallel LayerNorm and softmax,
 * activations, adds, encoder attention, embedding gather, conversions, FMA peak. */
#include <float.h>
#include <stdlib.h>
#include <time.h>

#include "hfc/pool.h"
#include "kernels_impl.h"

/* ---- LayerNorm ---- */

typedef struct ln_job {
    const float *x, *res, *gamma, *beta;
    size_t n;
    float eps;
    float *y;
} ln_job;

static hfc_status ln_task(void *ctx, size_t begin, size_t end, int worker) {
    const ln_job *j = ctx;
    const hfc_kernels *K = hfc_models_kernels();
    for (size_t i = begin; i < end; i++)
        K->layernorm_row(j->x + i * j->n, j->res ? j->res + i * j->n : NULL, j->n, j->gamma,
                         j->beta, j->eps, j->y + i * j->n);
    return HFC_OK;
}

/* Rows per chunk: at least 32K floats, so a handful of token rows (batch-1 inference)
 * runs on the caller's thread: a pool round trip costs more than such a row block. */
static size_t row_grain(size_t n) { return n >= 32768 ? 1 : 32768 / (n ? n : 1); }

hfc_status hfc_add_layernorm(const float *x, const float *residual, size_t m, size_t n,
                             const float *gamma, const float *beta, float eps, float *y) {
    if (m == 0 || n == 0) return HFC_OK;
    if (!x || !y) return hfc_fail(HFC_ERR_INVALID, "layernorm: NULL data pointer");
    if (!(eps >= 0.0f)) return hfc_fail(HFC_ERR_INVALID, "layernorm: eps must be >= 0");
    ln_job j = {x, residual, gamma, beta, n, eps, y};
    return hfc_parallel_for(m, row_grain(n), ln_task, &j);
}

hfc_status hfc_layernorm(const float *x, size_t m, size_t n, const float *gamma,
                         const float *beta, float eps, float *y) {
    return hfc_add_layernorm(x, NULL, m, n, gamma, beta, eps, y);
}

/* ---- activations, softmax, adds ---- */

/* Elementwise maps run on the pool in chunks of MAP_CHUNK floats when large. */
#define MAP_CHUNK 16384

typedef struct map_job {
    float *x;
    size_t n;
    void (*fn)(float *x, size_t n);
} map_job;

static hfc_status map_task(void *ctx, size_t begin, size_t end, int worker) {
    const map_job *j = ctx;
    size_t lo = begin * MAP_CHUNK, hi = end * MAP_CHUNK < j->n ? end * MAP_CHUNK : j->n;
    j->fn(j->x + lo, hi - lo);
    return HFC_OK;
}

static void map_run(void (*fn)(float *, size_t), float *x, size_t n) {
    if (n < 4 * MAP_CHUNK) {
        fn(x, n);
        return;
    }
    map_job j = {x, n, fn};
    (void)hfc_parallel_for((n + MAP_CHUNK - 1) / MAP_CHUNK, 1, map_task, &j); /* cannot fail */
}

static void relu_rows(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void hfc_gelu_erf(float *x, size_t n) { map_run(hfc_models_kernels()->gelu_erf, x, n); }
void hfc_gelu_tanh(float *x, size_t n) { map_run(hfc_models_kernels()->gelu_tanh, x, n); }
void hfc_relu(float *x, size_t n) { map_run(relu_rows, x, n); }
void hfc_quick_gelu(float *x, size_t n) { map_run(hfc_models_kernels()->quick_gelu, x, n); }
void hfc_silu(float *x, size_t n) { map_run(hfc_models_kernels()->silu, x, n); }

typedef struct softmax_job {
    float *x;
    size_t n;
} softmax_job;

static hfc_status softmax_task(void *ctx, size_t begin, size_t end, int worker) {
    const softmax_job *j = ctx;
    const hfc_kernels *K = hfc_models_kernels();
    for (size_t i = begin; i < end; i++) K->softmax_row(j->x + i * j->n, j->n);
    return HFC_OK;
}

hfc_status hfc_softmax_rows(float *x, size_t m, size_t n) {
    if (m == 0 || n == 0) return HFC_OK;
    if (!x) return hfc_fail(HFC_ERR_INVALID, "softmax: NULL data pointer");
    softmax_job j = {x, n};
    return hfc_parallel_for(m, row_grain(n), softmax_task, &j);
}

void hfc_add_bias_residual(float *y, const float *bias, const float *residual, size_t m,
                           size_t n) {
    for (size_t i = 0; i < m; i++) {
        float *row = y + i * n;
        if (bias)
            for (size_t j = 0; j < n; j++) row[j] += bias[j];
        if (residual)
            for (size_t j = 0; j < n; j++) row[j] += residual[i * n + j];
    }
}

void hfc_add(float *y, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] += x[i];
}

/* ---- attention ----
 * One task per (batch, head): S = scale * Q_h K_h^T [seq, keys], softmax over each row,
 * O_h = S V_h. A masked key gets score + finfo(float32).min in transformers, so its
 * weight is exactly 0 whenever the row has any unmasked key: such keys are dropped
 * (right padding: a shorter key range; other masks: the kept K/V rows are gathered).
 * With every key masked all scores tie at finfo.min and the softmax is uniform over
 * all keys, which is what we compute then. */

typedef struct attn_job {
    const hfc_attention_args *a;
} attn_job;

static bool key_kept(const hfc_attention_args *a, size_t b, size_t j) {
    if (a->mask_i32) return a->mask_i32[b * a->seq + j] != 0;
    if (a->mask_u8) return a->mask_u8[b * a->seq + j] != 0;
    return true;
}

/* Kept keys of batch row b: their count, and whether they are a prefix [0, count). */
static size_t kept_keys(const hfc_attention_args *a, size_t b, bool *prefix) {
    size_t n = 0;
    *prefix = true;
    for (size_t j = 0; j < a->seq; j++) {
        if (key_kept(a, b, j)) {
            if (n != j) *prefix = false;
            n++;
        }
    }
    return n;
}

/* Sequence b, head h of a: out_h = softmax(scale * q_h k_h^T) v_h over the kept keys.
 * s: scratch of seq*seq floats. */
static hfc_status attend_head(const hfc_attention_args *a, const hfc_kernels *K, size_t b,
                              size_t h, float *s) {
    size_t S = a->seq, hd = a->head_dim;
    size_t base = b * S * a->ld_qkv + h * hd;
    const float *kp = a->k + base, *vp = a->v + base;
    size_t ldkv = a->ld_qkv;
    bool prefix;
    size_t nk = kept_keys(a, b, &prefix);
    bool uniform = nk == 0; /* all masked: scores tie at finfo.min */
    if (uniform) {
        nk = S;
    } else if (!prefix) {
        float *kv = hfc_models_scratch(2, 2 * nk * hd);
        if (!kv) return hfc_fail(HFC_ERR_NOMEM, "attention: out of memory");
        for (size_t j = 0, r = 0; j < S; j++)
            if (key_kept(a, b, j)) {
                memcpy(kv + r * hd, kp + j * ldkv, hd * sizeof(float));
                memcpy(kv + (nk + r) * hd, vp + j * ldkv, hd * sizeof(float));
                r++;
            }
        kp = kv, vp = kv + nk * hd, ldkv = hd;
    }
    if (uniform) {
        for (size_t i = 0; i < S * S; i++) s[i] = 1.0f / (float)S;
    } else {
        HFC_TRY(hfc_gemm_f32_threads(true, S, nk, hd, a->scale, a->q + base, a->ld_qkv, kp, ldkv,
                                     0.0f, s, nk, 1));
        for (size_t i = 0; i < S; i++) K->softmax_row(s + i * nk, nk);
    }
    return hfc_gemm_f32_threads(false, S, hd, nk, 1.0f, s, nk, vp, ldkv, 0.0f,
                                a->out + b * S * a->ld_out + h * hd, a->ld_out, 1);
}

static hfc_status attn_task(void *ctx, size_t begin, size_t end, int worker) {
    const hfc_attention_args *a = ((const attn_job *)ctx)->a;
    const hfc_kernels *K = hfc_models_kernels();
    size_t S = a->seq;
    float *s = hfc_models_scratch(1, S * S);
    if (!s) return hfc_fail(HFC_ERR_NOMEM, "attention: cannot allocate %zu x %zu scores", S, S);
    for (size_t t = begin; t < end; t++) HFC_TRY(attend_head(a, K, t / a->heads, t % a->heads, s));
    return HFC_OK;
}

static hfc_status attention_check(const hfc_attention_args *a) {
    size_t hidden = a->heads * a->head_dim;
    if (!a->q || !a->k || !a->v || !a->out)
        return hfc_fail(HFC_ERR_INVALID, "attention: NULL data pointer");
    if (a->mask_i32 && a->mask_u8)
        return hfc_fail(HFC_ERR_INVALID, "attention: give at most one mask");
    if (a->ld_qkv < hidden || a->ld_out < hidden)
        return hfc_fail(HFC_ERR_INVALID,
                        "attention: row stride (%zu in, %zu out) smaller than heads*head_dim=%zu",
                        a->ld_qkv, a->ld_out, hidden);
    return HFC_OK;
}

hfc_status hfc_attention(const hfc_attention_args *a) {
    if (!a) return hfc_fail(HFC_ERR_INVALID, "attention: NULL arguments");
    if (a->batch == 0 || a->seq == 0 || a->heads * a->head_dim == 0) return HFC_OK;
    HFC_TRY(attention_check(a));
    attn_job j = {a};
    return hfc_parallel_for(a->batch * a->heads, 1, attn_task, &j);
}

/* ---- self-attention from the layer input ----
 * Few token rows (m <= HFC_SMALL_M_MAX, where the dot-product linear kernel runs): one
 * pool job whose task is a head h, computing q, k, v columns [h*hd, (h+1)*hd) of all
 * rows and then that head's attention for every sequence, instead of three projection
 * jobs and an attention job each waiting for all threads. Otherwise: three hfc_linear
 * calls and hfc_attention. */

typedef struct self_attn_job {
    const hfc_self_attention_args *s;
    hfc_attention_args a;
} self_attn_job;

static hfc_status self_attn_task(void *ctx, size_t begin, size_t end, int worker) {
    const self_attn_job *j = ctx;
    const hfc_self_attention_args *s = j->s;
    const hfc_kernels *K = hfc_models_kernels();
    size_t m = s->batch * s->seq, hd = s->head_dim, H = s->heads * hd, S = s->seq;
    float *sc = hfc_models_scratch(1, S * S);
    if (!sc) return hfc_fail(HFC_ERR_NOMEM, "attention: cannot allocate %zu x %zu scores", S, S);
    const hfc_linear_weights *w[3] = {&s->wq, &s->wk, &s->wv};
    float *dst[3] = {s->q, s->k, s->v};
    for (size_t h = begin; h < end; h++) {
        size_t c0 = h * hd;
        for (int p = 0; p < 3; p++) {
            K->linear_small(s->x, H, m, H, w[p]->w, (int)w[p]->wt, c0, c0 + hd, dst[p], H);
            if (w[p]->bias)
                for (size_t i = 0; i < m; i++) {
                    float *row = dst[p] + i * H + c0;
                    for (size_t c = 0; c < hd; c++) row[c] += w[p]->bias[c0 + c];
                }
        }
        for (size_t b = 0; b < s->batch; b++) HFC_TRY(attend_head(&j->a, K, b, h, sc));
    }
    return HFC_OK;
}

hfc_status hfc_self_attention(const hfc_self_attention_args *s) {
    if (!s) return hfc_fail(HFC_ERR_INVALID, "attention: NULL arguments");
    size_t m = s->batch * s->seq, hd = s->head_dim, H = s->heads * hd;
    if (m == 0 || H == 0) return HFC_OK;
    if (!s->x || !s->wq.w || !s->wk.w || !s->wv.w)
        return hfc_fail(HFC_ERR_INVALID, "attention: NULL data pointer");
    self_attn_job j = {s, {.batch = s->batch, .seq = s->seq, .heads = s->heads, .head_dim = hd,
                           .q = s->q, .k = s->k, .v = s->v, .ld_qkv = H,
                           .mask_i32 = s->mask_i32, .mask_u8 = s->mask_u8, .scale = s->scale,
                           .out = s->out, .ld_out = H}};
    HFC_TRY(attention_check(&j.a));
    const hfc_kernels *K = hfc_models_kernels();
    if (K->linear_small && m <= HFC_SMALL_M_MAX) {
        if ((unsigned)s->wq.wt > HFC_DT_BF16 || (unsigned)s->wk.wt > HFC_DT_BF16 ||
            (unsigned)s->wv.wt > HFC_DT_BF16)
            return hfc_fail(HFC_ERR_INVALID, "attention: unknown weight dtype");
        return hfc_parallel_for(s->heads, 1, self_attn_task, &j);
    }
    HFC_TRY(hfc_linear(s->x, m, H, s->wq.w, s->wq.wt, H, s->wq.bias, HFC_ACT_NONE, s->q));
    HFC_TRY(hfc_linear(s->x, m, H, s->wk.w, s->wk.wt, H, s->wk.bias, HFC_ACT_NONE, s->k));
    HFC_TRY(hfc_linear(s->x, m, H, s->wv.w, s->wv.wt, H, s->wv.bias, HFC_ACT_NONE, s->v));
    return hfc_attention(&j.a);
}

/* ---- embeddings and conversions ---- */

void hfc_bf16_to_f32(const uint16_t *src, float *dst, size_t n) {
    hfc_models_kernels()->bf16_to_f32(src, dst, n);
}
void hfc_f16_to_f32(const uint16_t *src, float *dst, size_t n) {
    hfc_models_kernels()->f16_to_f32(src, dst, n);
}
void hfc_f32_to_bf16(const float *src, uint16_t *dst, size_t n) {
    hfc_models_kernels()->f32_to_bf16(src, dst, n);
}
void hfc_f32_to_f16(const float *src, uint16_t *dst, size_t n) {
    hfc_models_kernels()->f32_to_f16(src, dst, n);
}

void hfc_wtype_to_f32(const void *src, hfc_wtype wt, float *dst, size_t n) {
    switch (wt) {
    case HFC_DT_BF16: hfc_bf16_to_f32(src, dst, n); break;
    case HFC_DT_F16: hfc_f16_to_f32(src, dst, n); break;
    default: memcpy(dst, src, n * sizeof(float)); break;
    }
}

static hfc_status gather(const void *table, hfc_wtype wt, size_t rows, size_t dim,
                         const int64_t *ids, size_t n, float *out, bool add) {
    size_t es = hfc_wtype_size(wt);
    if (es == 0) return hfc_fail(HFC_ERR_INVALID, "embedding: unknown dtype %d", (int)wt);
    if (n == 0 || dim == 0) return HFC_OK;
    if (!table || !ids || !out) return hfc_fail(HFC_ERR_INVALID, "embedding: NULL data pointer");
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || (uint64_t)ids[i] >= rows)
            return hfc_fail(HFC_ERR_RANGE,
                            "embedding: index %lld at position %zu out of range for %zu rows",
                            (long long)ids[i], i, rows);
    float tmp[256];
    for (size_t i = 0; i < n; i++) {
        const char *row = (const char *)table + (size_t)ids[i] * dim * es;
        float *o = out + i * dim;
        if (!add) {
            hfc_wtype_to_f32(row, wt, o, dim);
            continue;
        }
        for (size_t d = 0; d < dim; d += 256) {
            size_t c = dim - d < 256 ? dim - d : 256;
            hfc_wtype_to_f32(row + d * es, wt, tmp, c);
            hfc_add(o + d, tmp, c);
        }
    }
    return HFC_OK;
}

hfc_status hfc_embedding_gather(const void *table, hfc_wtype wt, size_t rows, size_t dim,
                                const int64_t *ids, size_t n, float *out) {
    return gather(table, wt, rows, dim, ids, n, out, false);
}

hfc_status hfc_embedding_gather_add(const void *table, hfc_wtype wt, size_t rows, size_t dim,
                                    const int64_t *ids, size_t n, float *out) {
    return gather(table, wt, rows, dim, ids, n, out, true);
}

/* ---- FMA peak ---- */

typedef struct peak_job {
    unsigned long long iters;
    double flops[64];
} peak_job;

static double peak_scalar(unsigned long long iters) {
    float acc[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    const float a = 0.999f, b = 0.001f;
    for (unsigned long long i = 0; i < iters; i++)
        for (int j = 0; j < 8; j++) acc[j] = fmaf(acc[j], a, b);
    volatile float sink = acc[0] + acc[7];
    (void)sink;
    return 16.0 * (double)iters;
}

static double run_peak(unsigned long long iters) {
#if defined(__x86_64__)
    hfc_isa isa = hfc_models_kernels()->isa;
    if (isa == HFC_ISA_AVX512) return hfc_fma_peak_avx512(iters);
    if (isa == HFC_ISA_AVX2) return hfc_fma_peak_avx2(iters);
#endif
    return peak_scalar(iters);
}

static hfc_status peak_task(void *ctx, size_t begin, size_t end, int worker) {
    peak_job *j = ctx;
    for (size_t t = begin; t < end; t++) j->flops[t % 64] += run_peak(j->iters);
    return HFC_OK;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double hfc_fma_peak_gflops(double seconds, int threads) {
    if (threads < 1) threads = 1;
    if (threads > 16) threads = 16;
    /* calibrate once per level: iterations in ~1 ms on one thread */
    static unsigned long long iters_per_ms[HFC_ISA_COUNT];
    hfc_isa isa = hfc_models_kernels()->isa;
    if (iters_per_ms[isa] == 0) {
        unsigned long long iters = 1u << 12;
        double t0 = now_s(), dt;
        run_peak(iters);
        while ((dt = now_s() - t0) < 0.002) {
            iters *= 2;
            t0 = now_s();
            run_peak(iters);
        }
        iters_per_ms[isa] = (unsigned long long)((double)iters / (dt * 1000)) + 1;
    }
    size_t tasks = (size_t)threads * 4;
    peak_job j = {.iters = (unsigned long long)((double)iters_per_ms[isa] * seconds * 1000 *
                                                (double)threads / (double)tasks) + 1};
    double t0 = now_s();
    hfc_parallel_for_max(tasks, 1, threads, peak_task, &j);
    double dt = now_s() - t0;
    double flops = 0;
    for (int i = 0; i < 64; i++) flops += j.flops[i];
    return flops / dt * 1e-9;
}
