/* Row kernels written once over a small vector vocabulary and instantiated for AVX2
 * (nn_avx2.c, 8 lanes) and AVX-512 (nn_avx512.c, 16 lanes). References:
 * csrc/models/kernels/kernels_ref.c. The including file defines:
 *   VF, VL             vector type and lane count
 *   NN_TARGET          the target attribute, NN_NAME(x) -> hfc_x_<isa>
 *   vset1 vload vstore vadd vsub vmul vfma(a,b,c)=a*b+c vmax vmin vabs vround
 *   vrcp0(v)           approximate 1/v (rcp / rcp14), refined here by one Newton step
 *   vpow2i(v)          2^v for v holding small integers as floats
 *   vselect_lt(a,b,x,y)  lanes with a < b take y, others x
 *   VLUT16(i,t)        optional: per lane, t[low 4 bits of i's lane] for t 16 floats
 *                      (then vfnma(a,b,c) = c - a*b too); selects the table GELU(erf)
 *   vhsum vhmax        horizontal reductions to float
 *
 * Accuracy (against the double references): exp within ~2 ulp (Cody-Waite reduction +
 * degree-6 polynomial); GELU(erf) = 0.5 x erfc(-x/sqrt2) with the Numerical Recipes
 * erfc (relative error < 1.2e-7, no cancellation for negative x), within ~5e-7
 * relative for x >= -3.5 (see verfc_gelu), or where the level has VLUT16 (AVX-512) a
 * piecewise polynomial within 1e-6 relative + 1e-9 absolute (see vgelu_erf); GELU(tanh) = x * sigmoid(2u), exact algebra for 0.5 x (1 + tanh u), within
 * ~1.5e-6 relative (the rounding of 2u before exp) where torch's fp32 result is 0.
 */
#ifndef NN_NAME
#error "define the vector vocabulary before including nn_simd.h"
#endif

#include <float.h>

/* e^x for x in [-87.3, 88.7] (no range checks; callers bound x). */
static inline NN_TARGET VF vexp_inrange(VF xc) {
    VF n = vround(vmul(xc, vset1(1.44269504088896341f)));
    VF r = vfma(n, vset1(-0.693359375f), xc); /* ln2 split: exact hi part */
    r = vfma(n, vset1(2.12194440e-4f), r);
    VF p = vset1(1.9875691500e-4f);
    p = vfma(p, r, vset1(1.3981999507e-3f));
    p = vfma(p, r, vset1(8.3334519073e-3f));
    p = vfma(p, r, vset1(4.1665795894e-2f));
    p = vfma(p, r, vset1(1.6666665459e-1f));
    p = vfma(p, r, vset1(5.0000001201e-1f));
    p = vfma(vmul(p, r), r, vadd(r, vset1(1.0f)));
    return vmul(p, vpow2i(n));
}

/* e^x; 0 below -87.3 (the result would be subnormal), +inf above 88.7. */
static inline NN_TARGET VF vexp(VF x) {
    const VF hi = vset1(88.7228f), lo = vset1(-87.3365f);
    VF y = vexp_inrange(vmin(vmax(x, lo), hi));
    y = vselect_lt(x, lo, y, vset1(0.0f));
    return vselect_lt(hi, x, y, vset1(INFINITY));
}

/* 1/d: hardware estimate + one Newton step (a division is 10-20x the cost). */
static inline NN_TARGET VF vrcp(VF d) {
    VF r = vrcp0(d);
    return vfma(r, vfma(vsub(vset1(0.0f), d), r, vset1(1.0f)), r);
}

/* erfc(-x / sqrt2) for any x (Numerical Recipes erfcc at z = -x/sqrt2). The exponent
 * -z^2 = -x^2/2 is formed from x (hi + lo from an FMA, halving is exact), not from a
 * rounded z: the one rounding left, of (p - lo) - hi, is 6e-8 z^2 relative in the
 * result, <= 4e-7 for x >= -3.5 and negligible in absolute terms beyond. */
static inline NN_TARGET VF verfc_gelu(VF x) {
    VF a = vmul(vabs(x), vset1(0.70710678118654752f));
    VF t = vrcp(vfma(vset1(0.5f), a, vset1(1.0f)));
    VF p = vset1(0.17087277f);
    p = vfma(p, t, vset1(-0.82215223f));
    p = vfma(p, t, vset1(1.48851587f));
    p = vfma(p, t, vset1(-1.13520398f));
    p = vfma(p, t, vset1(0.27886807f));
    p = vfma(p, t, vset1(-0.18628806f));
    p = vfma(p, t, vset1(0.09678418f));
    p = vfma(p, t, vset1(0.37409196f));
    p = vfma(p, t, vset1(1.00002368f));
    p = vfma(p, t, vset1(-1.26551223f));
    VF hi = vmul(x, x), lo = vfma(x, x, vsub(vset1(0.0f), hi));
    hi = vmul(hi, vset1(0.5f));
    lo = vmul(lo, vset1(0.5f));
    /* |x| <= 10 matters (larger |x| is replaced by the caller): the exponent is in
     * [-51, 1]; clamp only so that huge or infinite x stay finite here */
    VF arg = vmax(vsub(vsub(p, lo), hi), vset1(-80.0f));
    VF e = vmul(t, vexp_inrange(arg));
    return vselect_lt(x, vset1(0.0f), vsub(vset1(2.0f), e), e); /* z < 0 <=> x > 0 */
}

#ifdef VLUT16
/* With a 16-entry in-register table lookup (AVX-512 vpermps): GELU(x) = relu(x) -
 * u Phi(-u), u = |x|, with Phi(-u) a degree-6 polynomial on 16 intervals of u
 * (gelu_table.h, scripts/gen_gelu_table.py: within 1e-6 relative + 1e-9 absolute of
 * the float64 GELU). About 23 vector operations (AVX2, two 8-entry permutes and a blend
 * a lookup: ~37) instead of ~50 for erfc + exp below.
 * relu(x) is formed as x/2 + u/2, so -inf gives NaN (as 0.5 x erfc does) and NaN stays
 * NaN (min(UMAX, NaN) keeps the NaN, whose table index is 0). */
static inline NN_TARGET VF vgelu_erf(VF x) {
    const VF magic = vset1(12582912.0f); /* 1.5 * 2^23: v + magic has v's rounding in its low bits */
    VF u = vabs(x);
    VF uc = vmin(vset1(HFC_GELU_UMAX), u);
    VF r = vadd(vfma(uc, vset1(HFC_GELU_SCALE), vset1(-0.5f)), magic);
    VF nf = vsub(r, magic);
    VF d = vfma(uc, vset1(HFC_GELU_SCALE), vsub(vset1(-0.5f), nf));
    VF p = VLUT16(r, HFC_GELU_C[0]);
#pragma GCC unroll 8
    for (int k = 1; k <= HFC_GELU_DEG; k++) p = vfma(p, d, VLUT16(r, HFC_GELU_C[k]));
    VF relu = vfma(x, vset1(0.5f), vmul(u, vset1(0.5f)));
    return vfnma(uc, p, relu);
}
#else
static inline NN_TARGET VF vgelu_erf(VF x) {
    VF y = vmul(vmul(vset1(0.5f), x), verfc_gelu(x));
    /* beyond |x| = 10 GELU is x or -0 to float precision (and inf*0 must not be NaN) */
    y = vselect_lt(vset1(10.0f), x, y, x);
    return vselect_lt(x, vset1(-10.0f), y, vmul(x, vset1(0.0f)));
}
#endif

static inline NN_TARGET VF vgelu_tanh(VF x) {
    VF x3 = vmul(vmul(x, x), x);
    VF u = vmul(vset1(0.79788456080286535588f), vfma(vset1(0.044715f), x3, x));
    VF y = vmul(x, vrcp(vadd(vset1(1.0f), vexp(vmul(u, vset1(-2.0f))))));
    y = vselect_lt(vset1(10.0f), x, y, x);
    return vselect_lt(x, vset1(-10.0f), y, vmul(x, vset1(0.0f)));
}

/* x * sigmoid(a x) = x / (1 + e^(-a x)). Where e^(-a x) > e^87 the sigmoid is below
 * the normal floats (torch: a denormal or 0) and the result is x * 0 (NaN for -inf, as
 * in torch), never x times an inf reciprocal. */
static inline NN_TARGET VF vswish(VF x, float a) {
    VF z = vmul(x, vset1(-a));
    VF e = vexp_inrange(vmin(vmax(z, vset1(-87.0f)), vset1(87.0f)));
    VF y = vmul(x, vrcp(vadd(vset1(1.0f), e)));
    return vselect_lt(vset1(87.0f), z, y, vmul(x, vset1(0.0f)));
}
static inline NN_TARGET VF vquick_gelu(VF x) { return vswish(x, 1.702f); }
static inline NN_TARGET VF vsilu(VF x) { return vswish(x, 1.0f); }

/* Apply f to x[0..n) in place; the tail goes through a zero-padded vector. */
#define NN_MAP(f, x, n)                                                                  \
    do {                                                                                 \
        size_t i_ = 0;                                                                   \
        for (; i_ + VL <= (n); i_ += VL) vstore((x) + i_, f(vload((x) + i_)));          \
        if (i_ < (n)) {                                                                  \
            float t_[VL] = {0};                                                          \
            memcpy(t_, (x) + i_, ((n) - i_) * sizeof(float));                            \
            vstore(t_, f(vload(t_)));                                                    \
            memcpy((x) + i_, t_, ((n) - i_) * sizeof(float));                            \
        }                                                                                \
    } while (0)

NN_TARGET void NN_NAME(gelu_erf)(float *x, size_t n) { NN_MAP(vgelu_erf, x, n); }
NN_TARGET void NN_NAME(gelu_tanh)(float *x, size_t n) { NN_MAP(vgelu_tanh, x, n); }
NN_TARGET void NN_NAME(quick_gelu)(float *x, size_t n) { NN_MAP(vquick_gelu, x, n); }
NN_TARGET void NN_NAME(silu)(float *x, size_t n) { NN_MAP(vsilu, x, n); }

NN_TARGET void NN_NAME(softmax_row)(float *x, size_t n) {
    if (n == 0) return;
    size_t i = 0;
    VF m = vset1(-INFINITY);
    for (; i + VL <= n; i += VL) m = vmax(m, vload(x + i));
    float mx = vhmax(m);
    for (; i < n; i++) mx = x[i] > mx ? x[i] : mx;
    VF vm = vset1(mx), s = vset1(0.0f);
    for (i = 0; i + VL <= n; i += VL) {
        VF e = vexp(vsub(vload(x + i), vm));
        vstore(x + i, e);
        s = vadd(s, e);
    }
    float sum = vhsum(s);
    if (i < n) {
        float t[VL];
        for (size_t j = 0; j < VL; j++) t[j] = i + j < n ? x[i + j] : -INFINITY;
        VF e = vexp(vsub(vload(t), vm));
        vstore(t, e);
        for (size_t j = 0; i + j < n; j++) x[i + j] = t[j], sum += t[j];
    }
    VF inv = vset1(1.0f / sum);
    for (i = 0; i + VL <= n; i += VL) vstore(x + i, vmul(vload(x + i), inv));
    for (; i < n; i++) x[i] *= 1.0f / sum;
}

/* Two passes for mean and variance (like the reference), the third writes y; y may
 * alias x or res (each element is read before it is written). */
NN_TARGET void NN_NAME(layernorm_row)(const float *x, const float *res, size_t n,
                                      const float *gamma, const float *beta, float eps,
                                      float *y) {
    if (n == 0) return;
    size_t i;
    VF s = vset1(0.0f);
    float tail = 0.0f;
    for (i = 0; i + VL <= n; i += VL) s = vadd(s, res ? vadd(vload(x + i), vload(res + i)) : vload(x + i));
    for (; i < n; i++) tail += res ? x[i] + res[i] : x[i];
    float mean = (vhsum(s) + tail) / (float)n;
    VF vmean = vset1(mean);
    s = vset1(0.0f);
    tail = 0.0f;
    for (i = 0; i + VL <= n; i += VL) {
        VF d = vsub(res ? vadd(vload(x + i), vload(res + i)) : vload(x + i), vmean);
        s = vfma(d, d, s);
    }
    for (; i < n; i++) {
        float d = (res ? x[i] + res[i] : x[i]) - mean;
        tail += d * d;
    }
    float var = (vhsum(s) + tail) / (float)n;
    float inv = 1.0f / sqrtf(var + eps);
    VF vinv = vset1(inv);
    for (i = 0; i + VL <= n; i += VL) {
        VF v = vmul(vsub(res ? vadd(vload(x + i), vload(res + i)) : vload(x + i), vmean), vinv);
        if (gamma) v = vmul(v, vload(gamma + i));
        if (beta) v = vadd(v, vload(beta + i));
        vstore(y + i, v);
    }
    for (; i < n; i++) {
        float v = ((res ? x[i] + res[i] : x[i]) - mean) * inv;
        y[i] = v * (gamma ? gamma[i] : 1.0f) + (beta ? beta[i] : 0.0f);
    }
}
