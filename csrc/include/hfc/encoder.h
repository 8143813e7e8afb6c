/* BERT-family encoders (BERT, RoBERTa, XLM-RoBERTa, DistilBERT) from a Hugging Face model
 * folder: config.json + safetensors (one file or sharded). Forward pass in fp32 on the
 * kernels of kernels.h; matrix weights (fp32, f16 or bf16) are used in place from the
 * memory map, only the small vectors (biases, LayerNorm) are copied to fp32.
 *
 * Tensor names follow transformers: "[prefix]embeddings.word_embeddings.weight", ...
 * with prefix "", "bert.", "roberta." or "distilbert." (whichever the checkpoint uses),
 * and LayerNorm parameters named weight/bias or gamma/beta. The pooler is optional.
 */
#ifndef HFC_ENCODER_H
#define HFC_ENCODER_H

#include <stddef.h>
#include <stdint.h>
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hfc_encoder_kind {
    HFC_ENC_BERT = 0,
    HFC_ENC_ROBERTA,     /* also xlm-roberta, camembert: position ids from padding_idx */
    HFC_ENC_DISTILBERT
} hfc_encoder_kind;

typedef struct hfc_encoder_config {
    hfc_encoder_kind kind;
    char model_type[32];
    size_t vocab_size, hidden, layers, heads, intermediate, max_positions, type_vocab;
    float layer_norm_eps;
    int act;             /* hfc_act */
    int64_t pad_token_id; /* position-id offset of RoBERTa; -1 when absent */
    int has_pooler;
} hfc_encoder_config;

typedef struct hfc_encoder hfc_encoder;

#define HFC_ENCODER_SUPPORTED "bert, roberta, xlm-roberta, camembert, distilbert"
/* hidden_act / activation values of config.json (transformers' ACT2FN names) */
#define HFC_ENCODER_ACTIVATIONS                                                            \
    "gelu, gelu_python, gelu_new, gelu_pytorch_tanh, gelu_fast, gelu_accurate, "          \
    "gelu_python_tanh, relu, quick_gelu, silu, swish, tanh, linear"

/* Load `dir`. Errors name the file and the JSON path or tensor: an unsupported
 * model_type (HFC_ERR_UNSUPPORTED, listing HFC_ENCODER_SUPPORTED), a missing tensor
 * (HFC_ERR_KEY), a tensor of the wrong shape or dtype (HFC_ERR_INVALID). */
hfc_status hfc_encoder_load(const char *dir, hfc_encoder **out);
void hfc_encoder_free(hfc_encoder *e);
const hfc_encoder_config *hfc_encoder_get_config(const hfc_encoder *e);
/* Bytes of tensor data in the checkpoint files. */
size_t hfc_encoder_weights_size(const hfc_encoder *e);

/* One forward pass over ids[batch, seq]. mask and types may be NULL (all ones / all
 * zeros). hidden_out: [batch, seq, hidden]; pooled_out: [batch, hidden] or NULL (ignored
 * when the model has no pooler). Rows where mask is 0 are set to 0 in hidden_out (their
 * values in transformers depend on padding only; no kept token attends to them). When
 * at least 1/8 of the tokens are masked and every sequence's first token is kept, only
 * the kept tokens run through the layers, packed ("unpadded"): less work, the same
 * values at the kept positions. Errors: ids out of the vocabulary (HFC_ERR_RANGE
 * naming the position), types out of range, seq longer than the position table
 * (HFC_ERR_INVALID). Thread-safe: one encoder may run several forwards at once. */
hfc_status hfc_encoder_forward(const hfc_encoder *e, const int64_t *ids, const int64_t *mask,
                               const int64_t *types, size_t batch, size_t seq,
                               float *hidden_out, float *pooled_out);

#ifdef __cplusplus
}
#endif
#endif /* HFC_ENCODER_H */
