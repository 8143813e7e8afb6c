/* The hfc.models entries of the dispatch table, per ISA level (called by
 * hfc_kernels_for in csrc/core/cpu.c). */
#include "kernels_impl.h"

static void fill_ref(hfc_kernels *k) {
    k->gemm_mr = HFC_GEMM_MR_REF;
    k->gemm_nr = HFC_GEMM_NR_REF;
    k->gemm_ukr = hfc_gemm_ukr_ref;
    k->gemm_pack_a = hfc_gemm_pack_a_ref;
    k->gemm_pack_b = hfc_gemm_pack_b_ref;
    k->layernorm_row = hfc_layernorm_row_ref;
    k->gelu_erf = hfc_gelu_erf_ref;
    k->gelu_tanh = hfc_gelu_tanh_ref;
    k->quick_gelu = hfc_quick_gelu_ref;
    k->silu = hfc_silu_ref;
    k->softmax_row = hfc_softmax_row_ref;
    k->bf16_to_f32 = hfc_bf16_to_f32_ref;
    k->f16_to_f32 = hfc_f16_to_f32_ref;
    k->f32_to_bf16 = hfc_f32_to_bf16_ref;
    k->f32_to_f16 = hfc_f32_to_f16_ref;
}

void hfc_models_kernels_fill(hfc_isa isa, hfc_kernels *k) {
    fill_ref(k);
#if defined(__x86_64__)
#define FILL(ISA, isa)                                                                   \
    do {                                                                                 \
        k->gemm_mr = HFC_GEMM_MR_##ISA;                                                  \
        k->gemm_nr = HFC_GEMM_NR_##ISA;                                                  \
        k->gemm_ukr = hfc_gemm_ukr_##isa;                                                \
        k->gemm_pack_a = hfc_gemm_pack_a_##isa;                                          \
        k->gemm_pack_b = hfc_gemm_pack_b_##isa;                                          \
        k->layernorm_row = hfc_layernorm_row_##isa;                                      \
        k->gelu_erf = hfc_gelu_erf_##isa;                                                \
        k->gelu_tanh = hfc_gelu_tanh_##isa;                                              \
        k->quick_gelu = hfc_quick_gelu_##isa;                                            \
        k->silu = hfc_silu_##isa;                                                        \
        k->softmax_row = hfc_softmax_row_##isa;                                          \
        k->bf16_to_f32 = hfc_bf16_to_f32_##isa;                                          \
        k->f16_to_f32 = hfc_f16_to_f32_##isa;                                            \
        k->f32_to_bf16 = hfc_f32_to_bf16_##isa;                                          \
        k->f32_to_f16 = hfc_f32_to_f16_##isa;                                            \
    } while (0)
    if (isa == HFC_ISA_AVX2) {
        FILL(AVX2, avx2);
        k->linear_small = hfc_linear_small_avx2;
    }
    if (isa == HFC_ISA_AVX512) {
        FILL(AVX512, avx512);
        k->linear_small = hfc_linear_small_avx512;
    }
#undef FILL
#else
    (void)isa;
#endif
}
