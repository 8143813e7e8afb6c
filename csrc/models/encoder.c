/* BERT / RoBERTa / XLM-R / DistilBERT encoder: config.json + safetensors -> forward pass.
 *
 * Per layer, on M = batch*seq token rows of width H:
 *   q, k, v = x·Wq^T+bq, x·Wk^T+bk, x·Wv^T+bv          [M, H] each
 *   ctx     = softmax(q·k^T / sqrt(head_dim) + mask)·v  per sequence and head
 *   x       = LayerNorm(ctx·Wo^T + bo + x)
 *   x       = LayerNorm(act(x·Wi^T + bi)·Wout^T + bout + x)
 * which is transformers' post-LayerNorm encoder layer (BERT names; DistilBERT's q_lin,
 * k_lin, v_lin, out_lin, sa_layer_norm, ffn.lin1, ffn.lin2, output_layer_norm). */
#include "hfc/encoder.h"
#include "hfc/json.h"
#include "hfc/kernels.h"
#include "hfc/safetensors.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef struct lin {
    const void *w; /* [n, k] in the map */
    hfc_wtype wt;
    const float *b; /* [n] fp32 */
    size_t n, k;
} lin;

typedef struct norm {
    const float *g, *b;
} norm;

typedef struct layer {
    lin q, k, v, o, in, out;
    norm ln1, ln2;
} layer;

typedef struct table {
    const void *w; /* [rows, dim] */
    hfc_wtype wt;
    size_t rows;
} table;

struct hfc_encoder {
    hfc_encoder_config cfg;
    hfc_st_checkpoint *ck;
    char *dir;
    char prefix[64];
    table word, pos, type;
    norm emb_ln;
    layer *layers;
    lin pool;
    hfc_arena arena; /* fp32 copies of vectors that are not fp32 in the file */
    /* Activation buffers kept between forwards (a 32 x 128 batch of MiniLM needs 56 MB;
     * mapping and faulting it in afresh each call costs ~2% of the forward). A forward
     * that finds it in use by another thread allocates its own. */
    pthread_mutex_t scratch_lock;
    void *scratch;
    size_t scratch_bytes;
};

/* ---- config.json ---- */

typedef struct cfg_reader {
    hfc_json_doc *doc;
    const hfc_json_value *root;
} cfg_reader;

static hfc_status cfg_size(cfg_reader *r, const char *key, long long dflt, size_t *out) {
    const hfc_json_value *v = hfc_json_getz(r->root, key);
    char path[64];
    snprintf(path, sizeof path, "$.%s", key);
    if (!v || v->type == HFC_JSON_NULL) {
        if (dflt < 0) return hfc_json_fail_at(r->doc, NULL, path, "missing \"%s\"", key);
        *out = (size_t)dflt;
        return HFC_OK;
    }
    if (v->type != HFC_JSON_INT || v->u.i < 0 || v->u.i > (1LL << 40))
        return hfc_json_fail_at(r->doc, v, path, "expected a non-negative integer");
    *out = (size_t)v->u.i;
    return HFC_OK;
}

static hfc_status cfg_act(cfg_reader *r, const char *key, int *out) {
    const hfc_json_value *v = hfc_json_getz(r->root, key);
    char path[64];
    snprintf(path, sizeof path, "$.%s", key);
    static const struct {
        const char *name;
        int act;
    } acts[] = {{"gelu", HFC_ACT_GELU_ERF},          {"gelu_python", HFC_ACT_GELU_ERF},
                {"gelu_new", HFC_ACT_GELU_TANH},     {"gelu_pytorch_tanh", HFC_ACT_GELU_TANH},
                {"gelu_fast", HFC_ACT_GELU_TANH},    {"gelu_accurate", HFC_ACT_GELU_TANH},
                {"gelu_python_tanh", HFC_ACT_GELU_TANH}, {"relu", HFC_ACT_RELU},
                {"quick_gelu", HFC_ACT_QUICK_GELU},  {"silu", HFC_ACT_SILU},
                {"swish", HFC_ACT_SILU},             {"tanh", HFC_ACT_TANH},
                {"linear", HFC_ACT_NONE}};
    if (!v) {
        *out = HFC_ACT_GELU_ERF;
        return HFC_OK;
    }
    for (size_t i = 0; v->type == HFC_JSON_STRING && i < sizeof acts / sizeof *acts; i++)
        if (hfc_json_str_eq(v, acts[i].name, strlen(acts[i].name))) {
            *out = acts[i].act;
            return HFC_OK;
        }
    hfc_status st = hfc_json_fail_at(r->doc, v, path, "unsupported activation (supported: "
                                     HFC_ENCODER_ACTIVATIONS ")");
    return st == HFC_ERR_INVALID ? HFC_ERR_UNSUPPORTED : st;
}

static hfc_status read_config(const char *dir, hfc_encoder_config *c) {
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", dir);
    cfg_reader r = {0};
    HFC_TRY(hfc_json_parse_file(path, NULL, &r.doc));
    r.root = hfc_json_root(r.doc);
    hfc_status st = HFC_OK;
    const hfc_json_value *mt = hfc_json_getz(r.root, "model_type");
    memset(c, 0, sizeof *c);
    if (!mt || mt->type != HFC_JSON_STRING || mt->len >= sizeof c->model_type) {
        st = hfc_json_fail_at(r.doc, mt, "$.model_type", "expected the model type string (one of "
                              HFC_ENCODER_SUPPORTED ")");
        goto done;
    }
    memcpy(c->model_type, mt->u.s, mt->len);
    if (!strcmp(c->model_type, "bert")) c->kind = HFC_ENC_BERT;
    else if (!strcmp(c->model_type, "roberta") || !strcmp(c->model_type, "xlm-roberta") ||
             !strcmp(c->model_type, "camembert"))
        c->kind = HFC_ENC_ROBERTA;
    else if (!strcmp(c->model_type, "distilbert")) c->kind = HFC_ENC_DISTILBERT;
    else {
        st = hfc_fail(HFC_ERR_UNSUPPORTED, "%s: model_type \"%s\" is not supported (supported: "
                      HFC_ENCODER_SUPPORTED ")", path, c->model_type);
        goto done;
    }
    size_t pad = 0;
    if (c->kind == HFC_ENC_DISTILBERT) {
        if ((st = cfg_size(&r, "vocab_size", -1, &c->vocab_size)) ||
            (st = cfg_size(&r, "dim", -1, &c->hidden)) ||
            (st = cfg_size(&r, "n_layers", -1, &c->layers)) ||
            (st = cfg_size(&r, "n_heads", -1, &c->heads)) ||
            (st = cfg_size(&r, "hidden_dim", -1, &c->intermediate)) ||
            (st = cfg_size(&r, "max_position_embeddings", 512, &c->max_positions)) ||
            (st = cfg_size(&r, "pad_token_id", 0, &pad)) || (st = cfg_act(&r, "activation", &c->act)))
            goto done;
        c->layer_norm_eps = 1e-12f; /* fixed in DistilBERT */
        c->type_vocab = 0;
    } else {
        const hfc_json_value *pe = hfc_json_getz(r.root, "position_embedding_type");
        if (pe && !hfc_json_str_eq(pe, "absolute", 8)) {
            st = hfc_json_fail_at(r.doc, pe, "$.position_embedding_type",
                                  "only \"absolute\" position embeddings are supported");
            if (st == HFC_ERR_INVALID) st = HFC_ERR_UNSUPPORTED;
            goto done;
        }
        if ((st = cfg_size(&r, "vocab_size", -1, &c->vocab_size)) ||
            (st = cfg_size(&r, "hidden_size", -1, &c->hidden)) ||
            (st = cfg_size(&r, "num_hidden_layers", -1, &c->layers)) ||
            (st = cfg_size(&r, "num_attention_heads", -1, &c->heads)) ||
            (st = cfg_size(&r, "intermediate_size", -1, &c->intermediate)) ||
            (st = cfg_size(&r, "max_position_embeddings", 512, &c->max_positions)) ||
            (st = cfg_size(&r, "type_vocab_size", 2, &c->type_vocab)) ||
            (st = cfg_size(&r, "pad_token_id", c->kind == HFC_ENC_ROBERTA ? 1 : 0, &pad)) ||
            (st = cfg_act(&r, "hidden_act", &c->act)))
            goto done;
        const hfc_json_value *eps = hfc_json_getz(r.root, "layer_norm_eps");
        c->layer_norm_eps = 1e-12f;
        if (eps && (eps->type == HFC_JSON_DOUBLE || eps->type == HFC_JSON_INT))
            c->layer_norm_eps = eps->type == HFC_JSON_INT ? (float)eps->u.i : (float)eps->u.d;
        else if (eps) {
            st = hfc_json_fail_at(r.doc, eps, "$.layer_norm_eps", "expected a number");
            goto done;
        }
    }
    c->pad_token_id = (int64_t)pad;
    if (!c->heads || c->hidden % c->heads) {
        st = hfc_fail(HFC_ERR_INVALID, "%s: hidden size %zu is not a multiple of the %zu heads",
                      path, c->hidden, c->heads);
        goto done;
    }
done:
    hfc_json_free(r.doc);
    return st;
}

/* ---- weights ---- */

static hfc_status wtype_of(const hfc_encoder *e, const hfc_st_tensor *t, hfc_wtype *wt) {
    switch (t->dtype) {
    case HFC_ST_F32: *wt = HFC_DT_F32; return HFC_OK;
    case HFC_ST_F16: *wt = HFC_DT_F16; return HFC_OK;
    case HFC_ST_BF16: *wt = HFC_DT_BF16; return HFC_OK;
    default:
        return hfc_fail(HFC_ERR_INVALID, "%s: tensor '%s' has dtype %s (expected F32, F16 or BF16)",
                        hfc_st_checkpoint_file_of(e->ck, t), t->name, hfc_st_dtype_name(t->dtype));
    }
}

/* Tensor prefix+name with shape [d0] or [d0, d1] (d1 = 0: 1-D). */
static hfc_status find(hfc_encoder *e, const char *name, size_t d0, size_t d1, int optional,
                       const hfc_st_tensor **out) {
    char full[256];
    int n = snprintf(full, sizeof full, "%s%s", e->prefix, name);
    *out = NULL;
    const hfc_st_tensor *t = hfc_st_checkpoint_find(e->ck, full, (size_t)n);
    if (!t) {
        if (optional) return HFC_OK;
        return hfc_fail(HFC_ERR_KEY, "%s: tensor '%s' is missing from the checkpoint (%s, %zu layers)",
                        e->dir, full, e->cfg.model_type, e->cfg.layers);
    }
    uint32_t ndim = d1 ? 2 : 1;
    if (t->ndim != ndim || t->shape[0] != d0 || (d1 && t->shape[1] != d1)) {
        char got[96] = "", want[64];
        size_t at = 0;
        for (uint32_t i = 0; i < t->ndim && at < sizeof got - 24; i++)
            at += (size_t)snprintf(got + at, sizeof got - at, i ? ", %llu" : "%llu",
                                   (unsigned long long)t->shape[i]);
        if (d1) snprintf(want, sizeof want, "[%zu, %zu]", d0, d1);
        else snprintf(want, sizeof want, "[%zu]", d0);
        return hfc_fail(HFC_ERR_INVALID, "%s: tensor '%s' has shape [%s], expected %s from config.json",
                        hfc_st_checkpoint_file_of(e->ck, t), full, got, want);
    }
    hfc_wtype wt;
    HFC_TRY(wtype_of(e, t, &wt));
    *out = t;
    return HFC_OK;
}

/* A vector as fp32: in place when the file holds aligned fp32, else a converted copy. */
static hfc_status vec(hfc_encoder *e, const hfc_st_tensor *t, const float **out) {
    if (t->dtype == HFC_ST_F32 && ((uintptr_t)t->data & 3) == 0) {
        *out = (const float *)t->data;
        return HFC_OK;
    }
    float *copy = hfc_arena_alloc(&e->arena, t->nelem * sizeof(float) + 1, 64);
    if (!copy) return hfc_fail(HFC_ERR_NOMEM, "%s: out of memory", e->dir);
    hfc_wtype wt = HFC_DT_F32;
    HFC_TRY(wtype_of(e, t, &wt));
    if (wt == HFC_DT_F32) memcpy(copy, t->data, t->nelem * sizeof(float));
    else hfc_wtype_to_f32(t->data, wt, copy, t->nelem);
    *out = copy;
    return HFC_OK;
}

static hfc_status load_lin(hfc_encoder *e, const char *base, size_t n, size_t k, lin *l) {
    char name[200];
    const hfc_st_tensor *w, *b;
    snprintf(name, sizeof name, "%s.weight", base);
    HFC_TRY(find(e, name, n, k, 0, &w));
    snprintf(name, sizeof name, "%s.bias", base);
    HFC_TRY(find(e, name, n, 0, 0, &b));
    HFC_TRY(wtype_of(e, w, &l->wt));
    l->w = w->data;
    l->n = n;
    l->k = k;
    return vec(e, b, &l->b);
}

/* A [hidden] vector named base.<name> or, in older checkpoints, base.<old>; a missing
 * one is reported under the current name. */
static hfc_status find_vector(hfc_encoder *e, const char *base, const char *name,
                              const char *old, const float **out) {
    char full[200];
    const hfc_st_tensor *t;
    snprintf(full, sizeof full, "%s.%s", base, name);
    HFC_TRY(find(e, full, e->cfg.hidden, 0, 1, &t));
    if (!t) {
        snprintf(full, sizeof full, "%s.%s", base, old);
        HFC_TRY(find(e, full, e->cfg.hidden, 0, 1, &t));
    }
    if (!t) {
        snprintf(full, sizeof full, "%s.%s", base, name);
        return find(e, full, e->cfg.hidden, 0, 0, &t);
    }
    return vec(e, t, out);
}

/* LayerNorm under weight/bias or the older gamma/beta names. */
static hfc_status load_norm(hfc_encoder *e, const char *base, norm *ln) {
    HFC_TRY(find_vector(e, base, "weight", "gamma", &ln->g));
    return find_vector(e, base, "bias", "beta", &ln->b);
}

static hfc_status load_table(hfc_encoder *e, const char *name, size_t rows, table *t) {
    const hfc_st_tensor *w;
    HFC_TRY(find(e, name, rows, e->cfg.hidden, 0, &w));
    HFC_TRY(wtype_of(e, w, &t->wt));
    t->w = w->data;
    t->rows = rows;
    return HFC_OK;
}

/* "", "bert.", "roberta.", ...: whatever precedes embeddings.word_embeddings.weight. */
static hfc_status find_prefix(hfc_encoder *e) {
    static const char suffix[] = "embeddings.word_embeddings.weight";
    size_t sl = sizeof suffix - 1;
    for (size_t f = 0; f < hfc_st_checkpoint_files(e->ck); f++) {
        const hfc_st_file *file = hfc_st_checkpoint_file(e->ck, f);
        for (size_t i = 0; i < hfc_st_count(file); i++) {
            const hfc_st_tensor *t = hfc_st_at(file, i);
            size_t pl = t->name_len - sl;
            if (t->name_len >= sl && pl < sizeof e->prefix && !memcmp(t->name + pl, suffix, sl) &&
                (pl == 0 || t->name[pl - 1] == '.') && !memchr(t->name, '.', pl ? pl - 1 : 0)) {
                memcpy(e->prefix, t->name, pl);
                e->prefix[pl] = '\0';
                return HFC_OK;
            }
        }
    }
    return hfc_fail(HFC_ERR_KEY, "%s: no tensor 'embeddings.word_embeddings.weight' (with or "
                    "without a 'bert.' / 'roberta.' / 'distilbert.' prefix) in the checkpoint",
                    e->dir);
}

static hfc_status load_layer(hfc_encoder *e, size_t i, layer *L) {
    size_t h = e->cfg.hidden, f = e->cfg.intermediate;
    char b[160];
    const char *const *n;
    static const char *const bert[] = {
        "encoder.layer.%zu.attention.self.query", "encoder.layer.%zu.attention.self.key",
        "encoder.layer.%zu.attention.self.value", "encoder.layer.%zu.attention.output.dense",
        "encoder.layer.%zu.intermediate.dense",   "encoder.layer.%zu.output.dense",
        "encoder.layer.%zu.attention.output.LayerNorm", "encoder.layer.%zu.output.LayerNorm"};
    static const char *const distil[] = {
        "transformer.layer.%zu.attention.q_lin",   "transformer.layer.%zu.attention.k_lin",
        "transformer.layer.%zu.attention.v_lin",   "transformer.layer.%zu.attention.out_lin",
        "transformer.layer.%zu.ffn.lin1",          "transformer.layer.%zu.ffn.lin2",
        "transformer.layer.%zu.sa_layer_norm",     "transformer.layer.%zu.output_layer_norm"};
    n = e->cfg.kind == HFC_ENC_DISTILBERT ? distil : bert;
    lin *lins[6] = {&L->q, &L->k, &L->v, &L->o, &L->in, &L->out};
    size_t outs[6] = {h, h, h, h, f, h}, ins[6] = {h, h, h, h, h, f};
    for (int j = 0; j < 6; j++) {
        snprintf(b, sizeof b, n[j], i);
        HFC_TRY(load_lin(e, b, outs[j], ins[j], lins[j]));
    }
    snprintf(b, sizeof b, n[6], i);
    HFC_TRY(load_norm(e, b, &L->ln1));
    snprintf(b, sizeof b, n[7], i);
    return load_norm(e, b, &L->ln2);
}

static hfc_status load_weights(hfc_encoder *e) {
    const hfc_encoder_config *c = &e->cfg;
    HFC_TRY(find_prefix(e));
    HFC_TRY(load_table(e, "embeddings.word_embeddings.weight", c->vocab_size, &e->word));
    HFC_TRY(load_table(e, "embeddings.position_embeddings.weight", c->max_positions, &e->pos));
    if (c->kind != HFC_ENC_DISTILBERT && c->type_vocab)
        HFC_TRY(load_table(e, "embeddings.token_type_embeddings.weight", c->type_vocab, &e->type));
    HFC_TRY(load_norm(e, "embeddings.LayerNorm", &e->emb_ln));
    e->layers = hfc_arena_alloc(&e->arena, (c->layers ? c->layers : 1) * sizeof(layer), 64);
    if (!e->layers) return hfc_fail(HFC_ERR_NOMEM, "%s: out of memory", e->dir);
    for (size_t i = 0; i < c->layers; i++) HFC_TRY(load_layer(e, i, &e->layers[i]));
    if (c->kind != HFC_ENC_DISTILBERT) {
        const hfc_st_tensor *pw;
        HFC_TRY(find(e, "pooler.dense.weight", c->hidden, c->hidden, 1, &pw));
        if (pw) {
            HFC_TRY(load_lin(e, "pooler.dense", c->hidden, c->hidden, &e->pool));
            e->cfg.has_pooler = 1;
        }
    }
    return HFC_OK;
}

hfc_status hfc_encoder_load(const char *dir, hfc_encoder **out) {
    *out = NULL;
    hfc_encoder *e = hfc_calloc(1, sizeof *e);
    if (!e) return hfc_fail(HFC_ERR_NOMEM, "%s: out of memory", dir);
    hfc_arena_init(&e->arena, 0);
    pthread_mutex_init(&e->scratch_lock, NULL);
    hfc_status st = HFC_OK;
    if (!(e->dir = hfc_strndup(dir, strlen(dir)))) st = hfc_fail(HFC_ERR_NOMEM, "out of memory");
    if (st == HFC_OK) st = read_config(dir, &e->cfg);
    if (st == HFC_OK) st = hfc_st_checkpoint_open(dir, &e->ck);
    if (st == HFC_OK) st = load_weights(e);
    if (st != HFC_OK) {
        hfc_encoder_free(e);
        return st;
    }
    *out = e;
    return HFC_OK;
}

void hfc_encoder_free(hfc_encoder *e) {
    if (!e) return;
    hfc_st_checkpoint_free(e->ck);
    hfc_arena_free(&e->arena);
    hfc_free(e->scratch);
    pthread_mutex_destroy(&e->scratch_lock);
    hfc_free(e->dir);
    hfc_free(e);
}

const hfc_encoder_config *hfc_encoder_get_config(const hfc_encoder *e) { return &e->cfg; }

size_t hfc_encoder_weights_size(const hfc_encoder *e) {
    return hfc_st_checkpoint_data_size(e->ck);
}

/* ---- forward ---- */

typedef struct scratch {
    float *q, *k, *v, *ctx, *tmp, *inter, *first, *packed;
    int64_t *pos, *types;
    int32_t *mask;
    size_t *lens; /* [batch] tokens kept per sequence (unpadded runs) */
    void *block;
} scratch;

static hfc_status scratch_alloc(hfc_encoder *e, size_t batch, size_t m, scratch *s) {
    const hfc_encoder_config *c = &e->cfg;
    size_t h = c->hidden, f = c->intermediate, floats, bytes;
    /* q k v ctx tmp packed: 6*m*h; inter: m*f; first: batch*h */
    if (!hfc_mul_size(m, 6 * h + f, &floats) || !hfc_add_size(floats, batch * h, &floats) ||
        !hfc_mul_size(floats, sizeof(float), &bytes) ||
        !hfc_add_size(bytes, m * 20 + batch * sizeof(size_t) + 256, &bytes))
        return hfc_fail(HFC_ERR_OVERFLOW, "encoder: batch too large");
    char *p = NULL;
    if (pthread_mutex_trylock(&e->scratch_lock) == 0) {
        if (e->scratch_bytes < bytes) {
            hfc_free(e->scratch);
            e->scratch_bytes = 0;
            if ((e->scratch = hfc_malloc(bytes))) e->scratch_bytes = bytes;
        }
        if (e->scratch) p = e->scratch;
        else pthread_mutex_unlock(&e->scratch_lock);
    }
    if (!p && !(p = s->block = hfc_malloc(bytes)))
        return hfc_fail(HFC_ERR_NOMEM, "encoder: out of memory for a %zu-token batch", m);
    float *fp = (float *)p;
    s->q = fp, fp += m * h;
    s->k = fp, fp += m * h;
    s->v = fp, fp += m * h;
    s->ctx = fp, fp += m * h;
    s->tmp = fp, fp += m * h;
    s->inter = fp, fp += m * f;
    s->first = fp, fp += batch * h;
    s->packed = fp, fp += m * h;
    s->pos = (int64_t *)(((uintptr_t)fp + 7) & ~(uintptr_t)7);
    s->types = s->pos + m;
    s->mask = (int32_t *)(s->types + m);
    s->lens = (size_t *)(((uintptr_t)(s->mask + m) + 7) & ~(uintptr_t)7);
    return HFC_OK;
}

/* Position ids: 0..seq-1 (BERT, DistilBERT); RoBERTa counts non-pad tokens from
 * padding_idx+1 and gives pads padding_idx, as transformers' create_position_ids. */
static hfc_status position_ids(const hfc_encoder *e, const int64_t *ids, size_t batch, size_t seq,
                               int64_t *pos) {
    const hfc_encoder_config *c = &e->cfg;
    for (size_t b = 0; b < batch; b++) {
        int64_t count = 0;
        for (size_t t = 0; t < seq; t++) {
            size_t i = b * seq + t;
            if (c->kind == HFC_ENC_ROBERTA) {
                int keep = ids[i] != c->pad_token_id;
                count += keep;
                pos[i] = keep ? count + c->pad_token_id : c->pad_token_id;
            } else {
                pos[i] = (int64_t)t;
            }
            if (pos[i] < 0 || (size_t)pos[i] >= c->max_positions)
                return hfc_fail(HFC_ERR_INVALID,
                                "sequence of %zu tokens is longer than the model's %zu positions "
                                "(max_position_embeddings%s)",
                                seq, c->kind == HFC_ENC_ROBERTA ? c->max_positions - (size_t)c->pad_token_id - 1 : c->max_positions,
                                c->kind == HFC_ENC_ROBERTA ? " - pad_token_id - 1" : "");
        }
    }
    return HFC_OK;
}

static hfc_status embed(const hfc_encoder *e, const int64_t *ids, const int64_t *types,
                        size_t batch, size_t seq, scratch *s, float *x) {
    const hfc_encoder_config *c = &e->cfg;
    size_t m = batch * seq, h = c->hidden;
    HFC_TRY_CTX(hfc_embedding_gather(e->word.w, e->word.wt, e->word.rows, h, ids, m, x),
                "input_ids: ");
    HFC_TRY(position_ids(e, ids, batch, seq, s->pos));
    if (e->type.w) {
        for (size_t i = 0; i < m; i++) {
            int64_t t = types ? types[i] : 0;
            if (t < 0 || (size_t)t >= e->type.rows)
                return hfc_fail(HFC_ERR_RANGE,
                                "token_type_ids: value %lld at position %zu is out of range "
                                "(type_vocab_size %zu)", (long long)t, i, e->type.rows);
            s->types[i] = t;
        }
        HFC_TRY(hfc_embedding_gather_add(e->type.w, e->type.wt, e->type.rows, h, s->types, m, x));
    } else if (types) {
        for (size_t i = 0; i < m; i++)
            if (types[i] != 0)
                return hfc_fail(HFC_ERR_INVALID, "token_type_ids: this %s model has no token "
                                "type embeddings, but position %zu has type %lld",
                                c->model_type, i, (long long)types[i]);
    }
    /* transformers adds word + type, then position: same order, same rounding */
    HFC_TRY(hfc_embedding_gather_add(e->pos.w, e->pos.wt, e->pos.rows, h, s->pos, m, x));
    return hfc_layernorm(x, m, h, e->emb_ln.g, e->emb_ln.b, c->layer_norm_eps, x);
}

static hfc_status layer_rest(const hfc_encoder *e, const layer *L, size_t m, scratch *s,
                             float *x);

static hfc_status run_layer(const hfc_encoder *e, const layer *L, size_t batch, size_t seq,
                            const int32_t *mask, scratch *s, float *x) {
    const hfc_encoder_config *c = &e->cfg;
    size_t m = batch * seq, h = c->hidden;
    size_t hd = h / c->heads;
    hfc_self_attention_args a = {.batch = batch, .seq = seq, .heads = c->heads, .head_dim = hd,
                                 .x = x, .wq = {L->q.w, L->q.wt, L->q.b},
                                 .wk = {L->k.w, L->k.wt, L->k.b}, .wv = {L->v.w, L->v.wt, L->v.b},
                                 .mask_i32 = mask, .scale = 1.0f / sqrtf((float)hd),
                                 .q = s->q, .k = s->k, .v = s->v, .out = s->ctx};
    HFC_TRY(hfc_self_attention(&a));
    return layer_rest(e, L, m, s, x);
}

/* The same layer on the kept tokens only, packed: rows [off_b, off_b + lens[b]) of x
 * are sequence b's unmasked tokens in order (the masked ones, whose keys get weight 0
 * in every unmasked query, are simply absent). */
static hfc_status run_layer_packed(const hfc_encoder *e, const layer *L, size_t nseq,
                                   const size_t *lens, size_t rows, scratch *s, float *x) {
    const hfc_encoder_config *c = &e->cfg;
    size_t h = c->hidden, hd = h / c->heads;
    HFC_TRY(hfc_linear(x, rows, h, L->q.w, L->q.wt, h, L->q.b, HFC_ACT_NONE, s->q));
    HFC_TRY(hfc_linear(x, rows, h, L->k.w, L->k.wt, h, L->k.b, HFC_ACT_NONE, s->k));
    HFC_TRY(hfc_linear(x, rows, h, L->v.w, L->v.wt, h, L->v.b, HFC_ACT_NONE, s->v));
    for (size_t b = 0, off = 0; b < nseq; off += lens[b], b++) {
        hfc_attention_args a = {.batch = 1, .seq = lens[b], .heads = c->heads, .head_dim = hd,
                                .q = s->q + off * h, .k = s->k + off * h, .v = s->v + off * h,
                                .ld_qkv = h, .scale = 1.0f / sqrtf((float)hd),
                                .out = s->ctx + off * h, .ld_out = h};
        HFC_TRY(hfc_attention(&a));
    }
    return layer_rest(e, L, rows, s, x);
}

/* Whether to run only the kept tokens: worth it from 1/8 of the tokens masked; needs
 * every sequence's first token kept (the pooler reads it). Fills s->lens. */
static bool use_packed(const int32_t *mask, size_t batch, size_t seq, scratch *s, size_t *rows) {
    size_t kept = 0;
    for (size_t b = 0; b < batch; b++) {
        if (!mask[b * seq]) return false;
        size_t n = 0;
        for (size_t t = 0; t < seq; t++) n += mask[b * seq + t] != 0;
        s->lens[b] = n;
        kept += n;
    }
    *rows = kept;
    return kept * 8 <= batch * seq * 7;
}

/* Copy the kept rows of x [batch*seq, h] to packed (to_packed) or back, zeroing the
 * masked rows of x. */
static void pack_rows(const int32_t *mask, size_t m, size_t h, float *x, float *packed,
                      bool to_packed) {
    for (size_t i = 0, r = 0; i < m; i++) {
        float *row = x + i * h;
        if (!mask[i]) {
            if (!to_packed) memset(row, 0, h * sizeof(float));
            continue;
        }
        if (to_packed) memcpy(packed + r * h, row, h * sizeof(float));
        else memcpy(row, packed + r * h, h * sizeof(float));
        r++;
    }
}

/* Output projection, residual + LayerNorm, feed-forward, residual + LayerNorm. */
static hfc_status layer_rest(const hfc_encoder *e, const layer *L, size_t m, scratch *s,
                             float *x) {
    const hfc_encoder_config *c = &e->cfg;
    size_t h = c->hidden;
    HFC_TRY(hfc_linear(s->ctx, m, h, L->o.w, L->o.wt, h, L->o.b, HFC_ACT_NONE, s->tmp));
    HFC_TRY(hfc_add_layernorm(s->tmp, x, m, h, L->ln1.g, L->ln1.b, c->layer_norm_eps, x));
    HFC_TRY(hfc_linear(x, m, h, L->in.w, L->in.wt, c->intermediate, L->in.b, (hfc_act)c->act,
                       s->inter));
    HFC_TRY(hfc_linear(s->inter, m, c->intermediate, L->out.w, L->out.wt, h, L->out.b,
                       HFC_ACT_NONE, s->tmp));
    return hfc_add_layernorm(s->tmp, x, m, h, L->ln2.g, L->ln2.b, c->layer_norm_eps, x);
}

hfc_status hfc_encoder_forward(const hfc_encoder *e, const int64_t *ids, const int64_t *mask,
                               const int64_t *types, size_t batch, size_t seq,
                               float *hidden_out, float *pooled_out) {
    const hfc_encoder_config *c = &e->cfg;
    size_t m;
    if (!hfc_mul_size(batch, seq, &m)) return hfc_fail(HFC_ERR_OVERFLOW, "encoder: batch too large");
    if (batch && !seq)
        return hfc_fail(HFC_ERR_INVALID, "input_ids: sequences of 0 tokens (shape [%zu, 0])", batch);
    if (m == 0) return HFC_OK;
    scratch s = {0};
    hfc_encoder *me = (hfc_encoder *)e; /* only the scratch cache changes, under its lock */
    HFC_TRY(scratch_alloc(me, batch, m, &s));
    hfc_status st = embed(e, ids, types, batch, seq, &s, hidden_out);
    const int32_t *mask32 = NULL;
    if (st == HFC_OK && mask) {
        for (size_t i = 0; i < m; i++) s.mask[i] = mask[i] != 0;
        mask32 = s.mask;
    }
    size_t rows;
    if (mask32 && use_packed(mask32, batch, seq, &s, &rows)) {
        /* a padded batch: only the kept tokens run through the layers */
        pack_rows(mask32, m, c->hidden, hidden_out, s.packed, true);
        for (size_t l = 0; l < c->layers && st == HFC_OK; l++)
            st = run_layer_packed(e, &e->layers[l], batch, s.lens, rows, &s, s.packed);
        pack_rows(mask32, m, c->hidden, hidden_out, s.packed, false);
    } else {
        for (size_t l = 0; l < c->layers && st == HFC_OK; l++)
            st = run_layer(e, &e->layers[l], batch, seq, mask32, &s, hidden_out);
    }
    if (st == HFC_OK && pooled_out && c->has_pooler) {
        size_t h = c->hidden;
        for (size_t b = 0; b < batch; b++) memcpy(s.first + b * h, hidden_out + b * seq * h, h * sizeof(float));
        st = hfc_linear(s.first, batch, h, e->pool.w, e->pool.wt, h, e->pool.b, HFC_ACT_TANH, pooled_out);
    }
    /* masked positions are 0 whichever path ran (the pooler has read the first tokens) */
    for (size_t i = 0; st == HFC_OK && mask32 && i < m; i++)
        if (!mask32[i]) memset(hidden_out + i * c->hidden, 0, c->hidden * sizeof(float));
    if (s.block) hfc_free(s.block);
    else pthread_mutex_unlock(&me->scratch_lock);
    return st;
}
