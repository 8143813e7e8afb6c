/* CPU feature detection and the kernel dispatch table.
 *
 * hfc_dispatch_init() runs once at import: it detects features (cpuid + xgetbv, so
 * OS support for YMM/ZMM state is checked), picks the highest ISA level the CPU has,
 * lowers it to HFC_MAX_ISA=scalar|avx2|avx512 if set, and fills hfc_kernels. Every
 * kernel has a scalar reference (*_ref) that is always built; SIMD variants are
 * compiled with target attributes (never -march=native) in csrc/core/arch/x86/.
 */
#ifndef HFC_CPU_H
#define HFC_CPU_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hfc_isa {
    HFC_ISA_SCALAR = 0,
    HFC_ISA_AVX2 = 1,   /* AVX2 + FMA + BMI2 + F16C */
    HFC_ISA_AVX512 = 2, /* AVX-512 F + BW + VL + DQ (+ VNNI / BF16 when present) */
    HFC_ISA_COUNT
} hfc_isa;

typedef struct hfc_cpu_features {
    bool sse2, ssse3, sse41, sse42, popcnt, avx, avx2, fma, bmi1, bmi2, f16c;
    bool avx512f, avx512bw, avx512vl, avx512dq, avx512cd, avx512vnni, avx512bf16,
        avx512vbmi, avx512fp16;
    bool os_avx;    /* OS saves YMM state (XCR0 bits 1,2) */
    bool os_avx512; /* OS saves ZMM/opmask state (XCR0 bits 5,6,7) */
    char vendor[13];
    char brand[49];
} hfc_cpu_features;

/* Detected once (thread-safe, idempotent). */
const hfc_cpu_features *hfc_cpu_detect(void);
hfc_isa hfc_isa_detected(void);      /* best level the CPU + OS support */
const char *hfc_isa_name(hfc_isa isa); /* "scalar", "avx2", "avx512" */
/* Parse "scalar"/"avx2"/"avx512" (case-insensitive); HFC_ERR_INVALID otherwise. */
hfc_status hfc_isa_parse(const char *s, hfc_isa *out);

/* ---- kernels ----
 * utf8_valid_prefix(p, n): length of the longest prefix of p[0..n) that is valid,
 *   complete UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF). Returns n when
 *   all of it is valid; otherwise the offset of the first byte of the first invalid
 *   or truncated sequence.
 * json_string_span(p, n): offset of the first byte in p[0..n) that is '"', '\\' or
 *   < 0x20; n if none. (The JSON reader's inner loop over string bodies.)
 */
typedef struct hfc_kernels {
    hfc_isa isa;
    size_t (*utf8_valid_prefix)(const uint8_t *p, size_t n);
    size_t (*json_string_span)(const uint8_t *p, size_t n);

    /* hfc.models kernels (csrc/models/kernels/, csrc/models/arch/x86/; public API and
     * semantics in kernels.h, which calls these through hfc_kernels_active).
     * gemm_ukr: C[mr,nr] (=, or += when accumulate) A[mr,kc] · Bp[kc,nr]-panel, C
     *   row-major with stride ldc; A is a packed panel [kc][mr] when lda == 0, else mr
     *   rows of a row-major matrix with stride lda (used in place: no packing). gemm_pack_a: rows [0,mc) x cols [0,kc) of A (fp32,
     *   stride lda) times alpha into mr-row panels (zero-padded), layout [panel][p][mr].
     *   gemm_pack_b: columns [0,nc) x depth [0,kc) of B into nr-column panels, layout
     *   [panel][p][nr] (zero-padded); b points at element (p0, j0); trans: B stored as
     *   [n,k] (row j at b + j*ldb, e.g. nn.Linear weights), else [k,n]; wt: hfc_wtype.
     * linear_small: y[0:m, n0:n1] = x[m,k] · w[n,k]^T for small m as dot products, w
     *   read in place (wt: hfc_wtype); NULL on levels without one (the packed path runs).
     * layernorm_row: y = LN(x (+ res if res)) over n; gamma/beta may be NULL. */
    int gemm_mr, gemm_nr;
    void (*gemm_ukr)(size_t kc, const float *a, size_t lda, const float *bp, float *c,
                     size_t ldc, int accumulate);
    void (*gemm_pack_a)(const float *a, size_t lda, size_t mc, size_t kc, float alpha,
                        float *ap);
    void (*gemm_pack_b)(const void *b, int wt, int trans, size_t ldb, size_t nc, size_t kc,
                        float *bp);
    void (*linear_small)(const float *x, size_t ldx, size_t m, size_t k, const void *w,
                         int wt, size_t n0, size_t n1, float *y, size_t ldy);
    void (*layernorm_row)(const float *x, const float *res, size_t n, const float *gamma,
                          const float *beta, float eps, float *y);
    void (*gelu_erf)(float *x, size_t n);
    void (*gelu_tanh)(float *x, size_t n);
    void (*quick_gelu)(float *x, size_t n); /* x * sigmoid(1.702 x) */
    void (*silu)(float *x, size_t n);       /* x * sigmoid(x) */
    void (*softmax_row)(float *x, size_t n);
    void (*bf16_to_f32)(const uint16_t *src, float *dst, size_t n);
    void (*f16_to_f32)(const uint16_t *src, float *dst, size_t n);
    void (*f32_to_bf16)(const float *src, uint16_t *dst, size_t n);
    void (*f32_to_f16)(const float *src, uint16_t *dst, size_t n);
} hfc_kernels;

extern hfc_kernels hfc_kernels_active; /* filled by hfc_dispatch_init */

/* Fill hfc_kernels_active for min(detected, HFC_MAX_ISA). Idempotent. HFC_ERR_INVALID
 * if HFC_MAX_ISA holds an unknown name. */
hfc_status hfc_dispatch_init(void);
/* Fill `out` with the kernels of exactly `isa`; HFC_ERR_UNSUPPORTED if the CPU lacks it.
 * Tests use this to compare every level with the reference. */
hfc_status hfc_kernels_for(hfc_isa isa, hfc_kernels *out);
/* Re-select the active level (tests; not thread-safe against running kernels). */
hfc_status hfc_dispatch_select(hfc_isa isa);
hfc_isa hfc_isa_active(void);
/* Redo the HFC_MAX_ISA selection now (reads the environment again; tests that setenv).
 * Not thread-safe against running kernels. An empty HFC_MAX_ISA counts as unset; on an
 * unknown name it returns HFC_ERR_INVALID and leaves the table unchanged. */
hfc_status hfc_dispatch_reinit(void);

/* Per-ISA implementations (arch files); exposed for tests and the table. */
size_t hfc_utf8_valid_prefix_ref(const uint8_t *p, size_t n);
size_t hfc_json_string_span_ref(const uint8_t *p, size_t n);
/* The hfc.models entries of each level (csrc/models/kernels/kernels_table.c). */
void hfc_models_kernels_fill(hfc_isa isa, hfc_kernels *k);
#if defined(__x86_64__) || defined(_M_X64)
#define HFC_HAVE_X86 1
size_t hfc_utf8_valid_prefix_avx2(const uint8_t *p, size_t n);
size_t hfc_json_string_span_avx2(const uint8_t *p, size_t n);
size_t hfc_utf8_valid_prefix_avx512(const uint8_t *p, size_t n);
size_t hfc_json_string_span_avx512(const uint8_t *p, size_t n);
#endif

#ifdef __cplusplus
}
#endif
#endif /* HFC_CPU_H */
