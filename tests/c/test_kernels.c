/* hfc.models kernels: every ISA level this CPU has (scalar included: it runs the
 * blocked driver with the scalar microkernel) against the naive references in
 * kernels_ref.c, on odd sizes, m = 1, strides, all weight dtypes, 1 and 2 threads. */
#include "test.h"

#include <float.h>
#include <math.h>
#include <stdint.h>

#include "hfc/kernels.h"

static uint64_t rng_state = 0x243F6A8885A308D3ull;
static uint64_t rnd(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}
static float frand(float lo, float hi) {
    return lo + (hi - lo) * (float)((rnd() >> 40) * (1.0 / 16777216.0));
}
static void fill(float *p, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++) p[i] = frand(lo, hi);
}

static hfc_isa levels[HFC_ISA_COUNT];
static int n_levels = 0;

static void collect_levels(void) {
    hfc_kernels k;
    for (int isa = 0; isa < HFC_ISA_COUNT; isa++)
        if (hfc_kernels_for((hfc_isa)isa, &k) == HFC_OK) levels[n_levels++] = (hfc_isa)isa;
}

static double max_bad = 0; /* worst error / tolerance seen */
static int shown = 0;

/* |got - want| <= atol + rtol * |want| */
static int close_to(const char *what, float got, float want, double atol, double rtol,
                    size_t idx) {
    if (got == want || (isnan(got) && isnan(want))) return 1;
    double err = fabs((double)got - want), tol = atol + rtol * fabs((double)want);
    if (!(err <= tol) || isnan(got) != isnan(want)) {
        if (shown++ < 12)
            fprintf(stderr, "    %s [%s, %d threads] at %zu: got %.9g want %.9g\n", what,
                    hfc_isa_name(hfc_isa_active()), hfc_get_num_threads(), idx, got, want);
        return 0;
    }
    if (tol > 0 && err / tol > max_bad) max_bad = err / tol;
    return 1;
}

static void to_wtype(const float *w, size_t n, hfc_wtype wt, void *out) {
    if (wt == HFC_DT_F32) memcpy(out, w, n * 4);
    else if (wt == HFC_DT_BF16) hfc_f32_to_bf16(w, out, n);
    else hfc_f32_to_f16(w, out, n);
}

/* ---- linear / gemm ---- */

static void check_linear(size_t m, size_t k, size_t n, hfc_wtype wt, hfc_act act, bool bias,
                         size_t pad) {
    size_t ldx = k + pad, ldy = n + pad;
    float *x = malloc((m * ldx + 1) * 4), *w = malloc((n * k + 1) * 4), *b = malloc((n + 1) * 4);
    float *y = malloc((m * ldy + 1) * 4), *r = malloc((m * ldy + 1) * 4);
    void *wq = malloc((n * k + 1) * 4);
    fill(x, m * ldx, -1, 1);
    fill(w, n * k, -1, 1);
    fill(b, n, -1, 1);
    to_wtype(w, n * k, wt, wq);
    for (size_t i = 0; i < m * ldy; i++) y[i] = r[i] = -7.0f; /* padding must survive */
    hfc_linear_ref(x, ldx, m, k, wq, wt, n, bias ? b : NULL, act, r, ldy);
    CHECK_OK(hfc_linear_strided(x, ldx, m, k, wq, wt, n, bias ? b : NULL, act, y, ldy));
    int ok = 1;
    for (size_t i = 0; i < m * ldy && ok; i++)
        ok = close_to("linear", y[i], r[i], 2e-6 * (double)(k + 1), 1e-5, i);
    if (!ok)
        fprintf(stderr, "    linear m=%zu k=%zu n=%zu wt=%d act=%d bias=%d pad=%zu\n", m, k, n,
                (int)wt, (int)act, (int)bias, pad);
    CHECK(ok);
    free(x), free(w), free(b), free(y), free(r), free(wq);
}

static void check_gemm(bool trans, size_t m, size_t n, size_t k, float alpha, float beta,
                       size_t pad) {
    size_t lda = k + pad, ldb = (trans ? k : n) + pad, ldc = n + pad;
    size_t brows = trans ? n : k;
    float *a = malloc((m * lda + 1) * 4), *b = malloc((brows * ldb + 1) * 4);
    float *c = malloc((m * ldc + 1) * 4), *r = malloc((m * ldc + 1) * 4);
    fill(a, m * lda, -1, 1);
    fill(b, brows * ldb, -1, 1);
    fill(c, m * ldc, -1, 1);
    memcpy(r, c, m * ldc * 4);
    if (beta == 0.0f) /* C is write-only: NaN garbage must not leak in */
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++) c[i * ldc + j] = NAN;
    hfc_gemm_f32_ref(trans, m, n, k, alpha, a, lda, b, ldb, beta, r, ldc);
    CHECK_OK(hfc_gemm_f32(trans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc));
    int ok = 1;
    for (size_t i = 0; i < m * ldc && ok; i++)
        ok = close_to("gemm", c[i], r[i], 2e-6 * (double)(k + 1), 1e-5, i);
    if (!ok)
        fprintf(stderr, "    gemm trans=%d m=%zu n=%zu k=%zu alpha=%g beta=%g pad=%zu\n",
                (int)trans, m, n, k, alpha, beta, pad);
    CHECK(ok);
    free(a), free(b), free(c), free(r);
}

static const size_t sizes[][3] = {
    {1, 1, 1},     {1, 7, 3},     {1, 384, 1536}, {2, 33, 17},   {5, 100, 31},
    {16, 384, 384}, {13, 257, 65}, {37, 300, 129}, {64, 64, 64},  {100, 513, 47},
    {7, 1000, 9},  {200, 130, 530}, {3, 0, 5},    {0, 5, 5},     {9, 17, 0},
};

static void test_linear(void) {
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int wt = 0; wt < 3; wt++)
            check_linear(sizes[s][0], sizes[s][1], sizes[s][2], (hfc_wtype)wt,
                         (hfc_act)(s % 7), s % 3 != 0, s % 2 ? 3 : 0);
    check_linear(40, 70, 90, HFC_DT_F32, HFC_ACT_GELU_ERF, true, 0);
    check_linear(40, 70, 90, HFC_DT_F32, HFC_ACT_GELU_TANH, true, 0);
    check_linear(40, 70, 90, HFC_DT_BF16, HFC_ACT_RELU, false, 0);
    check_linear(4, 70, 90, HFC_DT_F16, HFC_ACT_TANH, true, 0);
}

static void test_gemm(void) {
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int trans = 0; trans < 2; trans++) {
            check_gemm(trans, sizes[s][0], sizes[s][2], sizes[s][1], 1.0f, 0.0f, 0);
            check_gemm(trans, sizes[s][0], sizes[s][2], sizes[s][1], 0.125f, 1.0f, 5);
            check_gemm(trans, sizes[s][0], sizes[s][2], sizes[s][1], -2.0f, 0.5f, 1);
        }
}

static void test_linear_errors(void) {
    float x[4] = {0}, y[4];
    CHECK_STATUS(hfc_linear(x, 1, 2, x, (hfc_wtype)7, 2, NULL, HFC_ACT_NONE, y),
                 HFC_ERR_INVALID);
    CHECK_MSG("dtype");
    CHECK_STATUS(hfc_linear(x, 1, 2, x, HFC_DT_F32, 2, NULL, (hfc_act)9, y), HFC_ERR_INVALID);
    CHECK_MSG("activation");
    CHECK_STATUS(hfc_linear(NULL, 1, 2, x, HFC_DT_F32, 2, NULL, HFC_ACT_NONE, y),
                 HFC_ERR_INVALID);
    CHECK_STATUS(hfc_linear_strided(x, 1, 2, 2, x, HFC_DT_F32, 2, NULL, HFC_ACT_NONE, y, 2),
                 HFC_ERR_INVALID);
}

/* ---- rowwise kernels: each level's table entry against the scalar reference ---- */

static void test_rowwise(void) {
    hfc_kernels ref, k;
    CHECK_OK(hfc_kernels_for(HFC_ISA_SCALAR, &ref));
    CHECK_OK(hfc_kernels_for(hfc_isa_active(), &k));
    static const size_t ns[] = {1, 2, 7, 15, 16, 17, 31, 33, 64, 100, 384, 385, 1000};
    for (size_t t = 0; t < sizeof ns / sizeof ns[0]; t++) {
        size_t n = ns[t];
        float *x = malloc(n * 4), *res = malloc(n * 4), *g = malloc(n * 4), *b = malloc(n * 4);
        float *y = malloc(n * 4), *r = malloc(n * 4);
        fill(x, n, -3, 5);
        fill(res, n, -1, 1);
        fill(g, n, 0.5f, 1.5f);
        fill(b, n, -0.5f, 0.5f);
        int ok = 1;
        for (int variant = 0; variant < 3; variant++) {
            const float *rr = variant == 1 ? res : NULL;
            ref.layernorm_row(x, rr, n, variant == 2 ? NULL : g, variant == 2 ? NULL : b, 1e-5f, r);
            k.layernorm_row(x, rr, n, variant == 2 ? NULL : g, variant == 2 ? NULL : b, 1e-5f, y);
            for (size_t i = 0; i < n && ok; i++) ok = close_to("layernorm", y[i], r[i], 2e-6, 2e-6, i);
        }
        /* aliasing: y == x */
        memcpy(y, x, n * 4);
        k.layernorm_row(y, res, n, g, b, 1e-12f, y);
        ref.layernorm_row(x, res, n, g, b, 1e-12f, r);
        for (size_t i = 0; i < n && ok; i++) ok = close_to("layernorm alias", y[i], r[i], 2e-6, 2e-6, i);

        float *xs = malloc(n * 4);
        for (int scale = 0; scale < 3; scale++) {
            float lim = scale == 0 ? 1.0f : scale == 1 ? 6.0f : 12.0f;
            fill(xs, n, -lim, lim);
            const struct {
                const char *name;
                void (*got)(float *, size_t), (*want)(float *, size_t);
                double rtol;
            } maps[] = {{"gelu_erf", k.gelu_erf, ref.gelu_erf, 1e-6},
                        {"gelu_tanh", k.gelu_tanh, ref.gelu_tanh, 1e-6},
                        {"quick_gelu", k.quick_gelu, ref.quick_gelu, 2e-6},
                        {"silu", k.silu, ref.silu, 2e-6}};
            for (size_t f = 0; f < sizeof maps / sizeof maps[0]; f++) {
                memcpy(y, xs, n * 4), memcpy(r, xs, n * 4);
                maps[f].got(y, n), maps[f].want(r, n);
                for (size_t i = 0; i < n && ok; i++)
                    ok = close_to(maps[f].name, y[i], r[i], 1e-7, maps[f].rtol, i);
            }
            for (size_t i = 0; i < n; i++) xs[i] *= 4;
            memcpy(y, xs, n * 4), memcpy(r, xs, n * 4);
            k.softmax_row(y, n), ref.softmax_row(r, n);
            for (size_t i = 0; i < n && ok; i++) ok = close_to("softmax", y[i], r[i], 1e-8, 2e-6, i);
        }
        /* softmax with -FLT_MAX (masked) entries and +-inf-free extremes */
        for (size_t i = 0; i < n; i++) xs[i] = (i % 3 == 1) ? -FLT_MAX : frand(-50, 50);
        memcpy(y, xs, n * 4), memcpy(r, xs, n * 4);
        k.softmax_row(y, n), ref.softmax_row(r, n);
        for (size_t i = 0; i < n && ok; i++) ok = close_to("softmax masked", y[i], r[i], 1e-8, 2e-6, i);
        if (!ok) fprintf(stderr, "    rowwise n=%zu\n", n);
        CHECK(ok);
        free(x), free(res), free(g), free(b), free(y), free(r), free(xs);
    }
    /* special values for gelu */
    float sp[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 20.0f, -20.0f, 100.0f, -100.0f, 3e38f, -3e38f,
                  INFINITY, -INFINITY};
    size_t nsp = sizeof sp / sizeof sp[0];
    float y[16], r[16];
    memcpy(y, sp, sizeof sp), memcpy(r, sp, sizeof sp);
    k.gelu_erf(y, nsp), ref.gelu_erf(r, nsp);
    for (size_t i = 0; i < nsp; i++) CHECK(close_to("gelu_erf special", y[i], r[i], 1e-7, 1e-6, i));
    memcpy(y, sp, sizeof sp), memcpy(r, sp, sizeof sp);
    k.gelu_tanh(y, nsp), ref.gelu_tanh(r, nsp);
    for (size_t i = 0; i < nsp; i++) CHECK(close_to("gelu_tanh special", y[i], r[i], 1e-7, 1e-6, i));
    /* swish forms: finite specials against the reference; -inf gives NaN like torch */
    memcpy(y, sp, sizeof sp), memcpy(r, sp, sizeof sp);
    k.quick_gelu(y, nsp), ref.quick_gelu(r, nsp);
    for (size_t i = 0; i < nsp - 2; i++) CHECK(close_to("quick_gelu special", y[i], r[i], 1e-7, 2e-6, i));
    CHECK(y[nsp - 2] == INFINITY && isnan(y[nsp - 1]));
    memcpy(y, sp, sizeof sp), memcpy(r, sp, sizeof sp);
    k.silu(y, nsp), ref.silu(r, nsp);
    for (size_t i = 0; i < nsp - 2; i++) CHECK(close_to("silu special", y[i], r[i], 1e-7, 2e-6, i));
    CHECK(y[nsp - 2] == INFINITY && isnan(y[nsp - 1]));
}

static void test_conversions(void) {
    hfc_kernels ref, k;
    CHECK_OK(hfc_kernels_for(HFC_ISA_SCALAR, &ref));
    CHECK_OK(hfc_kernels_for(hfc_isa_active(), &k));
    /* every 16-bit pattern, both directions (at an odd length and offset) */
    enum { N = 65536 + 3 };
    uint16_t *h = malloc(N * 2), *h2 = malloc(N * 2), *h3 = malloc(N * 2);
    float *f = malloc(N * 4), *f2 = malloc(N * 4);
    for (size_t i = 0; i < N; i++) h[i] = (uint16_t)i;
    int bad = 0;
    ref.f16_to_f32(h + 1, f, N - 1);
    k.f16_to_f32(h + 1, f2, N - 1);
    bad += memcmp(f, f2, (N - 1) * 4) != 0;
    if (bad) fprintf(stderr, "    f16_to_f32[%s] differs\n", hfc_isa_name(k.isa));
    k.f32_to_f16(f, h2, N - 1);
    ref.f32_to_f16(f, h3, N - 1);
    bad += memcmp(h2, h3, (N - 1) * 2) != 0;
    ref.bf16_to_f32(h + 1, f, N - 1);
    k.bf16_to_f32(h + 1, f2, N - 1);
    bad += memcmp(f, f2, (N - 1) * 4) != 0;
    k.f32_to_bf16(f, h2, N - 1);
    ref.f32_to_bf16(f, h3, N - 1);
    bad += memcmp(h2, h3, (N - 1) * 2) != 0;
    /* random bit patterns (all exponents, rounding ties, subnormals, NaN payloads) */
    for (size_t i = 0; i < N; i++) {
        uint32_t u = (uint32_t)rnd();
        if (i % 4 == 1) u = (u & 0xFFFF0000u) | 0x8000u; /* bf16 tie */
        if (i % 4 == 2) u = (u & 0xFFFFE000u) | 0x1000u; /* f16 tie */
        memcpy(&f[i], &u, 4);
        if (i % 4 == 3) f[i] = frand(-70000, 70000) * (i % 8 == 3 ? 1e-7f : 1.0f);
    }
    k.f32_to_f16(f, h2, N), ref.f32_to_f16(f, h3, N);
    for (size_t i = 0; i < N; i++)
        if (h2[i] != h3[i] && bad++ < 5)
            fprintf(stderr, "    f32_to_f16[%s](%a) = %04x, ref %04x\n", hfc_isa_name(k.isa), f[i], h2[i], h3[i]);
    k.f32_to_bf16(f, h2, N), ref.f32_to_bf16(f, h3, N);
    for (size_t i = 0; i < N; i++)
        if (h2[i] != h3[i] && bad++ < 10)
            fprintf(stderr, "    f32_to_bf16[%s](%a) = %04x, ref %04x\n", hfc_isa_name(k.isa), f[i], h2[i], h3[i]);
    CHECK_EQ_INT(bad, 0);
    /* known values */
    float one = 1.0f, half = 65504.0f, sub = 0x1p-24f;
    uint16_t o;
    hfc_f32_to_f16(&one, &o, 1); CHECK_EQ_INT(o, 0x3C00);
    hfc_f32_to_f16(&half, &o, 1); CHECK_EQ_INT(o, 0x7BFF);
    hfc_f32_to_f16(&sub, &o, 1); CHECK_EQ_INT(o, 0x0001);
    hfc_f32_to_bf16(&one, &o, 1); CHECK_EQ_INT(o, 0x3F80);
    free(h), free(h2), free(h3), free(f), free(f2);
}

/* ---- attention ---- */

static void check_attention(size_t batch, size_t seq, size_t heads, size_t hd, int mask_kind,
                            bool fused) {
    size_t hidden = heads * hd, ld = fused ? 3 * hidden + 1 : hidden;
    size_t tok = batch * seq;
    float *buf = malloc((tok * ld * (fused ? 1 : 3) + 1) * 4);
    fill(buf, tok * ld * (fused ? 1 : 3), -2, 2);
    const float *q = buf, *k = fused ? buf + hidden : buf + tok * ld;
    const float *v = fused ? buf + 2 * hidden : buf + 2 * tok * ld;
    int32_t *m32 = malloc((tok + 1) * 4);
    uint8_t *m8 = malloc(tok + 1);
    for (size_t b = 0; b < batch; b++)
        for (size_t j = 0; j < seq; j++) {
            /* batch b keeps its first seq - b tokens; the last batch row (if >1) is all masked */
            int keep = j + b < seq && !(batch > 2 && b == batch - 1);
            if (mask_kind == 3) keep = (j * 7 + b) % 3 != 0 || j == b; /* holes, not a prefix */
            m32[b * seq + j] = keep ? (int32_t)(1 + (j % 3)) : 0;
            m8[b * seq + j] = (uint8_t)keep;
        }
    float *out = malloc((tok * (hidden + 2) + 1) * 4), *ref = malloc((tok * (hidden + 2) + 1) * 4);
    hfc_attention_args a = {.batch = batch, .seq = seq, .heads = heads, .head_dim = hd,
                            .q = q, .k = k, .v = v, .ld_qkv = ld,
                            .mask_i32 = mask_kind == 1 ? m32 : NULL,
                            .mask_u8 = mask_kind >= 2 ? m8 : NULL,
                            .scale = 1.0f / sqrtf((float)hd), .out = out, .ld_out = hidden + 2};
    CHECK_OK(hfc_attention(&a));
    a.out = ref;
    hfc_attention_ref(&a);
    int ok = 1;
    for (size_t t = 0; t < tok && ok; t++)
        for (size_t d = 0; d < hidden && ok; d++)
            ok = close_to("attention", out[t * (hidden + 2) + d], ref[t * (hidden + 2) + d], 2e-6,
                          2e-5, t * hidden + d);
    if (!ok)
        fprintf(stderr, "    attention b=%zu s=%zu h=%zu hd=%zu mask=%d fused=%d\n", batch, seq,
                heads, hd, mask_kind, (int)fused);
    CHECK(ok);
    free(buf), free(m32), free(m8), free(out), free(ref);
}

static void test_attention(void) {
    check_attention(1, 1, 1, 1, 0, false);
    check_attention(2, 7, 3, 5, 1, true);
    check_attention(3, 16, 2, 32, 2, false);
    check_attention(4, 33, 4, 17, 1, true);
    check_attention(2, 70, 2, 64, 0, true);
    check_attention(3, 19, 3, 8, 3, true);
    check_attention(2, 64, 2, 32, 3, false);
    hfc_attention_args bad = {.batch = 1, .seq = 2, .heads = 1, .head_dim = 4, .ld_qkv = 2};
    float z[8];
    bad.q = bad.k = bad.v = bad.out = z;
    bad.ld_out = 4;
    CHECK_STATUS(hfc_attention(&bad), HFC_ERR_INVALID);
}

/* hfc_self_attention = three hfc_linear_ref projections + hfc_attention_ref, on the
 * fused few-rows path (m <= 32) and the general one, with f32 and bf16 weights. */
static void check_self_attention(size_t batch, size_t seq, size_t heads, size_t hd,
                                 hfc_wtype wt, int masked) {
    size_t H = heads * hd, m = batch * seq;
    float *x = malloc((m * H + 1) * 4), *bias = malloc((3 * H + 1) * 4);
    float *wf = malloc((3 * H * H + 1) * 4);
    uint16_t *wh = malloc((3 * H * H + 1) * 2);
    float *buf = malloc((8 * m * H + 1) * 4);
    int32_t *mask = malloc((m + 1) * 4);
    fill(x, m * H, -1, 1), fill(wf, 3 * H * H, -0.5f, 0.5f), fill(bias, 3 * H, -1, 1);
    hfc_f32_to_bf16(wf, wh, 3 * H * H);
    if (wt == HFC_DT_BF16) hfc_bf16_to_f32(wh, wf, 3 * H * H); /* the values the kernel sees */
    for (size_t b = 0; b < batch; b++)
        for (size_t j = 0; j < seq; j++) mask[b * seq + j] = !masked || j + b < seq || j % 2;
    const void *w = wt == HFC_DT_F32 ? (const void *)wf : (const void *)wh;
    size_t es = hfc_wtype_size(wt);
    float *q = buf, *k = q + m * H, *v = k + m * H, *out = v + m * H;
    float *rq = out + m * H, *rk = rq + m * H, *rv = rk + m * H, *ref = rv + m * H;
    hfc_self_attention_args s = {.batch = batch, .seq = seq, .heads = heads, .head_dim = hd,
                                 .x = x, .wq = {w, wt, bias},
                                 .wk = {(const char *)w + H * H * es, wt, bias + H},
                                 .wv = {(const char *)w + 2 * H * H * es, wt, bias + 2 * H},
                                 .mask_i32 = mask, .scale = 0.3f, .q = q, .k = k, .v = v,
                                 .out = out};
    CHECK_OK(hfc_self_attention(&s));
    hfc_linear_ref(x, H, m, H, wf, HFC_DT_F32, H, bias, HFC_ACT_NONE, rq, H);
    hfc_linear_ref(x, H, m, H, wf + H * H, HFC_DT_F32, H, bias + H, HFC_ACT_NONE, rk, H);
    hfc_linear_ref(x, H, m, H, wf + 2 * H * H, HFC_DT_F32, H, bias + 2 * H, HFC_ACT_NONE, rv, H);
    hfc_attention_args a = {.batch = batch, .seq = seq, .heads = heads, .head_dim = hd,
                            .q = rq, .k = rk, .v = rv, .ld_qkv = H, .mask_i32 = mask,
                            .scale = 0.3f, .out = ref, .ld_out = H};
    hfc_attention_ref(&a);
    int ok = 1;
    for (size_t i = 0; i < m * H && ok; i++)
        ok = close_to("self_attention", out[i], ref[i], 2e-5, 1e-4, i);
    if (!ok)
        fprintf(stderr, "    self_attention b=%zu s=%zu h=%zu hd=%zu wt=%d mask=%d\n", batch, seq,
                heads, hd, (int)wt, masked);
    CHECK(ok);
    free(x), free(bias), free(wf), free(wh), free(buf), free(mask);
}

static void test_self_attention(void) {
    check_self_attention(1, 16, 4, 8, HFC_DT_F32, 0);
    check_self_attention(3, 7, 3, 5, HFC_DT_F32, 1);
    check_self_attention(2, 9, 2, 16, HFC_DT_BF16, 1);
    check_self_attention(2, 20, 3, 12, HFC_DT_F32, 1); /* 40 rows: the general path */
    hfc_self_attention_args bad = {.batch = 1, .seq = 2, .heads = 1, .head_dim = 4};
    CHECK_STATUS(hfc_self_attention(&bad), HFC_ERR_INVALID);
}

/* ---- embeddings ---- */

static void test_embedding(void) {
    enum { ROWS = 11, DIM = 300 };
    float *t = malloc(ROWS * DIM * 4), *out = malloc(5 * DIM * 4), *acc = malloc(5 * DIM * 4);
    uint16_t *tq = malloc(ROWS * DIM * 2);
    fill(t, ROWS * DIM, -1, 1);
    int64_t ids[5] = {3, 0, 10, 3, 7};
    for (int wt = 0; wt < 3; wt++) {
        const void *tab = t;
        if (wt != HFC_DT_F32) {
            to_wtype(t, ROWS * DIM, (hfc_wtype)wt, tq);
            tab = tq;
        }
        CHECK_OK(hfc_embedding_gather(tab, (hfc_wtype)wt, ROWS, DIM, ids, 5, out));
        fill(acc, 5 * DIM, -1, 1);
        float *acc0 = malloc(5 * DIM * 4);
        memcpy(acc0, acc, 5 * DIM * 4);
        CHECK_OK(hfc_embedding_gather_add(tab, (hfc_wtype)wt, ROWS, DIM, ids, 5, acc));
        int ok = 1;
        for (int i = 0; i < 5 && ok; i++)
            for (int d = 0; d < DIM && ok; d++) {
                float want;
                hfc_wtype_to_f32((const char *)tab + ((size_t)ids[i] * DIM + d) * hfc_wtype_size((hfc_wtype)wt),
                                 (hfc_wtype)wt, &want, 1);
                ok = out[i * DIM + d] == want && acc[i * DIM + d] == acc0[i * DIM + d] + want;
            }
        CHECK(ok);
        free(acc0);
    }
    int64_t bad_ids[3] = {1, 11, 2};
    CHECK_STATUS(hfc_embedding_gather(t, HFC_DT_F32, ROWS, DIM, bad_ids, 3, out), HFC_ERR_RANGE);
    CHECK_MSG("position 1");
    bad_ids[1] = -1;
    CHECK_STATUS(hfc_embedding_gather_add(t, HFC_DT_F32, ROWS, DIM, bad_ids, 3, out), HFC_ERR_RANGE);
    free(t), free(out), free(acc), free(tq);
}

static void test_public_rows(void) {
    /* hfc_layernorm / hfc_softmax_rows / adds (threaded wrappers) vs the reference rows */
    enum { M = 37, N = 129 };
    float *x = malloc(M * N * 4), *r = malloc(M * N * 4), *y = malloc(M * N * 4);
    float *res = malloc(M * N * 4), *g = malloc(N * 4), *b = malloc(N * 4);
    fill(x, M * N, -2, 2), fill(res, M * N, -1, 1), fill(g, N, 0, 2), fill(b, N, -1, 1);
    memcpy(y, x, M * N * 4);
    CHECK_OK(hfc_add_layernorm(y, res, M, N, g, b, 1e-6f, y));
    hfc_kernels ref;
    CHECK_OK(hfc_kernels_for(HFC_ISA_SCALAR, &ref));
    int ok = 1;
    for (size_t i = 0; i < M; i++) ref.layernorm_row(x + i * N, res + i * N, N, g, b, 1e-6f, r + i * N);
    for (size_t i = 0; i < M * N && ok; i++) ok = close_to("hfc_add_layernorm", y[i], r[i], 2e-6, 2e-6, i);
    CHECK_OK(hfc_layernorm(x, M, N, g, b, 1e-6f, y));
    for (size_t i = 0; i < M; i++) ref.layernorm_row(x + i * N, NULL, N, g, b, 1e-6f, r + i * N);
    for (size_t i = 0; i < M * N && ok; i++) ok = close_to("hfc_layernorm", y[i], r[i], 2e-6, 2e-6, i);
    memcpy(y, x, M * N * 4), memcpy(r, x, M * N * 4);
    CHECK_OK(hfc_softmax_rows(y, M, N));
    for (size_t i = 0; i < M; i++) ref.softmax_row(r + i * N, N);
    for (size_t i = 0; i < M * N && ok; i++) ok = close_to("hfc_softmax_rows", y[i], r[i], 1e-8, 2e-6, i);
    memcpy(y, x, M * N * 4);
    hfc_add_bias_residual(y, b, res, M, N);
    for (size_t i = 0; i < M * N && ok; i++) ok = y[i] == (x[i] + b[i % N]) + res[i];
    CHECK(ok);
    free(x), free(r), free(y), free(res), free(g), free(b);
}

static void run_all_levels(void) {
    for (int l = 0; l < n_levels; l++) {
        CHECK_OK(hfc_dispatch_select(levels[l]));
        for (int threads = 1; threads <= 2; threads++) {
            CHECK_OK(hfc_set_num_threads(threads));
            fprintf(stderr, "  -- %s, %d thread(s)\n", hfc_isa_name(levels[l]), threads);
            RUN(test_linear);
            RUN(test_gemm);
            RUN(test_attention);
            RUN(test_self_attention);
            RUN(test_public_rows);
            if (threads == 1) {
                RUN(test_rowwise);
                RUN(test_conversions);
                RUN(test_embedding);
            }
        }
    }
}

int main(void) {
    CHECK_OK(hfc_dispatch_init());
    collect_levels();
    CHECK(n_levels >= 1);
    RUN(test_linear_errors);
    run_all_levels();
    fprintf(stderr, "  worst error / tolerance: %.3f\n", max_bad);
    hfc_pool_shutdown();
    return test_summary();
}
