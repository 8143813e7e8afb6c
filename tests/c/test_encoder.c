/* Encoder loading and forward under ASan/UBSan: a tiny BERT written with the
 * safetensors writer (random weights), the prefix / gamma-beta / pooler variants,
 * sharded checkpoints, and every load and input error. Numerical parity with
 * transformers is tested in tests/test_models_encoders.py. */
#include "test.h"
#include "hfc/encoder.h"
#include "hfc/safetensors.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

enum { H = 12, HEADS = 3, FF = 20, VOCAB = 17, POS = 10, MAXT = 64 };

typedef struct model_files {
    hfc_st_input t[MAXT];
    uint64_t shapes[MAXT][2];
    char names[MAXT][96];
    float *data[MAXT];
    size_t n;
} model_files;

static uint32_t rng_state = 12345;
static float rnd(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return ((rng_state >> 8) / 16777216.0f - 0.5f) * 0.4f;
}

static void add(model_files *m, const char *name, size_t d0, size_t d1) {
    size_t i = m->n++, count = d0 * (d1 ? d1 : 1);
    snprintf(m->names[i], sizeof m->names[i], "%s", name);
    m->shapes[i][0] = d0;
    m->shapes[i][1] = d1;
    m->data[i] = malloc(count * sizeof(float));
    for (size_t j = 0; j < count; j++) m->data[i][j] = rnd() + (strstr(name, "LayerNorm.weight") ? 1.0f : 0.0f);
    m->t[i] = (hfc_st_input){m->names[i], strlen(m->names[i]), HFC_ST_F32, d1 ? 2 : 1,
                             m->shapes[i], m->data[i], count * sizeof(float)};
}

static void add_lin(model_files *m, const char *base, size_t n, size_t k) {
    char b[128];
    snprintf(b, sizeof b, "%s.weight", base);
    add(m, b, n, k);
    snprintf(b, sizeof b, "%s.bias", base);
    add(m, b, n, 0);
}

static void bert_tensors(model_files *m, const char *prefix, int layers, int pooler) {
    char b[128];
#define P(s) (snprintf(b, sizeof b, "%s%s", prefix, s), b)
    add(m, P("embeddings.word_embeddings.weight"), VOCAB, H);
    add(m, P("embeddings.position_embeddings.weight"), POS, H);
    add(m, P("embeddings.token_type_embeddings.weight"), 2, H);
    add(m, P("embeddings.LayerNorm.weight"), H, 0);
    add(m, P("embeddings.LayerNorm.bias"), H, 0);
    for (int l = 0; l < layers; l++) {
        char base[128];
        static const char *lin[] = {"attention.self.query", "attention.self.key", "attention.self.value",
                                    "attention.output.dense", "intermediate.dense", "output.dense"};
        size_t outs[] = {H, H, H, H, FF, H}, ins[] = {H, H, H, H, H, FF};
        for (int j = 0; j < 6; j++) {
            snprintf(base, sizeof base, "%sencoder.layer.%d.%s", prefix, l, lin[j]);
            add_lin(m, base, outs[j], ins[j]);
        }
        snprintf(base, sizeof base, "%sencoder.layer.%d.attention.output.LayerNorm.weight", prefix, l);
        add(m, base, H, 0);
        snprintf(base, sizeof base, "%sencoder.layer.%d.attention.output.LayerNorm.bias", prefix, l);
        add(m, base, H, 0);
        snprintf(base, sizeof base, "%sencoder.layer.%d.output.LayerNorm.gamma", prefix, l);
        add(m, base, H, 0);
        snprintf(base, sizeof base, "%sencoder.layer.%d.output.LayerNorm.beta", prefix, l);
        add(m, base, H, 0);
    }
    if (pooler) add_lin(m, P("pooler.dense"), H, H);
#undef P
}

static void free_files(model_files *m) {
    for (size_t i = 0; i < m->n; i++) free(m->data[i]);
    m->n = 0;
}

static void write_text(const char *dir, const char *name, const char *text) {
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
}

static const char *BERT_CFG =
    "{\"model_type\":\"bert\",\"vocab_size\":17,\"hidden_size\":12,\"num_hidden_layers\":2,"
    "\"num_attention_heads\":3,\"intermediate_size\":20,\"max_position_embeddings\":10,"
    "\"type_vocab_size\":2,\"hidden_act\":\"gelu\",\"layer_norm_eps\":1e-12}";

static void write_model(const char *dir, const char *cfg, model_files *m) {
    char p[256];
    write_text(dir, "config.json", cfg);
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    CHECK_OK(hfc_st_write_file(p, m->t, m->n, 0, NULL, 0));
}

static void cleanup(const char *dir) {
    static const char *files[] = {"config.json", "model.safetensors", "a.safetensors",
                                  "b.safetensors", "model.safetensors.index.json",
                                  "pytorch_model.bin"};
    char p[256];
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
}

static void forward_ok(hfc_encoder *e, int pooled) {
    const int64_t ids[2 * 5] = {1, 5, 7, 16, 0, 2, 3, 0, 0, 0};
    const int64_t mask[2 * 5] = {1, 1, 1, 1, 1, 1, 1, 0, 0, 0};
    const int64_t types[2 * 5] = {0, 0, 1, 1, 1, 0, 0, 0, 0, 0};
    float hidden[2 * 5 * H], pool[2 * H];
    CHECK_OK(hfc_encoder_forward(e, ids, mask, types, 2, 5, hidden, pool));
    int finite = 1;
    for (size_t i = 0; i < sizeof hidden / sizeof *hidden; i++) finite &= isfinite(hidden[i]);
    CHECK(finite);
    CHECK_EQ_INT(hfc_encoder_get_config(e)->has_pooler, pooled);
    /* no mask and no types: still runs */
    CHECK_OK(hfc_encoder_forward(e, ids, NULL, NULL, 2, 5, hidden, NULL));
}

static void test_bert_variants(void) {
    char dir[] = "/tmp/hfc_enc_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    static const char *prefixes[] = {"", "bert."};
    for (int p = 0; p < 2; p++) {
        model_files m = {0};
        bert_tensors(&m, prefixes[p], 2, p == 0);
        write_model(dir, BERT_CFG, &m);
        hfc_encoder *e = NULL;
        CHECK_OK(hfc_encoder_load(dir, &e));
        if (e) {
            forward_ok(e, p == 0);
            CHECK(hfc_encoder_weights_size(e) > 0);
        }
        hfc_encoder_free(e);
        free_files(&m);
    }
    cleanup(dir);
    rmdir(dir);
}

static void test_sharded(void) {
    char dir[] = "/tmp/hfc_enc_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    model_files m = {0};
    bert_tensors(&m, "", 2, 1);
    write_text(dir, "config.json", BERT_CFG);
    char p[256];
    size_t half = m.n / 2;
    snprintf(p, sizeof p, "%s/a.safetensors", dir);
    CHECK_OK(hfc_st_write_file(p, m.t, half, 0, NULL, 0));
    snprintf(p, sizeof p, "%s/b.safetensors", dir);
    CHECK_OK(hfc_st_write_file(p, m.t + half, m.n - half, 0, NULL, 0));
    hfc_buf idx = {0};
    hfc_buf_printf(&idx, "{\"metadata\":{},\"weight_map\":{");
    for (size_t i = 0; i < m.n; i++)
        hfc_buf_printf(&idx, "%s\"%s\":\"%s\"", i ? "," : "", m.names[i], i < half ? "a.safetensors" : "b.safetensors");
    hfc_buf_printf(&idx, "}}");
    write_text(dir, "model.safetensors.index.json", idx.data);
    hfc_encoder *e = NULL;
    CHECK_OK(hfc_encoder_load(dir, &e));
    if (e) forward_ok(e, 1);
    hfc_encoder_free(e);
    /* an index that maps a tensor to the wrong shard */
    idx.len = 0;
    hfc_buf_printf(&idx, "{\"weight_map\":{\"%s\":\"b.safetensors\"}}", m.names[0]);
    write_text(dir, "model.safetensors.index.json", idx.data);
    CHECK_STATUS(hfc_encoder_load(dir, &e), HFC_ERR_INVALID);
    CHECK_MSG("is mapped to b.safetensors, which does not hold it");
    hfc_buf_free(&idx);
    free_files(&m);
    cleanup(dir);
    rmdir(dir);
}

static void test_errors(void) {
    char dir[] = "/tmp/hfc_enc_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    hfc_encoder *e = NULL;
    model_files m = {0};
    bert_tensors(&m, "", 2, 0);
    write_model(dir, "{\"model_type\":\"gpt2\"}", &m);
    CHECK_STATUS(hfc_encoder_load(dir, &e), HFC_ERR_UNSUPPORTED);
    CHECK_MSG("model_type \"gpt2\" is not supported (supported: bert, roberta");
    write_text(dir, "config.json", "{\"model_type\":\"bert\",\"hidden_size\":12}");
    CHECK_STATUS(hfc_encoder_load(dir, &e), HFC_ERR_INVALID);
    CHECK_MSG("$.vocab_size");
    /* config asks for 3 layers: layer 2's tensors are missing */
    write_text(dir, "config.json",
               "{\"model_type\":\"bert\",\"vocab_size\":17,\"hidden_size\":12,\"num_hidden_layers\":3,"
               "\"num_attention_heads\":3,\"intermediate_size\":20,\"max_position_embeddings\":10}");
    CHECK_STATUS(hfc_encoder_load(dir, &e), HFC_ERR_KEY);
    CHECK_MSG("tensor 'encoder.layer.2.attention.self.query.weight' is missing");
    write_text(dir, "config.json",
               "{\"model_type\":\"bert\",\"vocab_size\":17,\"hidden_size\":12,\"num_hidden_layers\":2,"
               "\"num_attention_heads\":3,\"intermediate_size\":21,\"max_position_embeddings\":10}");
    CHECK_STATUS(hfc_encoder_load(dir, &e), HFC_ERR_INVALID);
    CHECK_MSG("tensor 'encoder.layer.0.intermediate.dense.weight' has shape [20, 12], expected [21, 12]");
    /* input errors */
    write_text(dir, "config.json", BERT_CFG);
    CHECK_OK(hfc_encoder_load(dir, &e));
    if (e) {
        float out[11 * H];
        const int64_t bad_ids[3] = {1, 17, 2}, types[3] = {0, 2, 0}, ok_ids[11] = {0};
        CHECK_STATUS(hfc_encoder_forward(e, bad_ids, NULL, NULL, 1, 3, out, NULL), HFC_ERR_RANGE);
        CHECK_MSG("input_ids");
        CHECK_STATUS(hfc_encoder_forward(e, ok_ids, NULL, types, 1, 3, out, NULL), HFC_ERR_RANGE);
        CHECK_MSG("token_type_ids: value 2 at position 1");
        CHECK_STATUS(hfc_encoder_forward(e, ok_ids, NULL, NULL, 1, 11, out, NULL), HFC_ERR_INVALID);
        CHECK_MSG("longer than the model's 10 positions");
        CHECK_OK(hfc_encoder_forward(e, ok_ids, NULL, NULL, 0, 3, out, NULL));
    }
    hfc_encoder_free(e);
    /* pickle checkpoints are refused */
    char p[256];
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    unlink(p);
    write_text(dir, "pytorch_model.bin", "x");
    CHECK_STATUS(hfc_encoder_load(dir, &e), HFC_ERR_UNSUPPORTED);
    CHECK_MSG("pytorch_model.bin");
    free_files(&m);
    cleanup(dir);
    rmdir(dir);
}

int main(void) {
    hfc_dispatch_init();
    RUN(test_bert_variants);
    RUN(test_sharded);
    RUN(test_errors);
    return test_summary();
}
