/* Tokenize a text column on hfc's pool: rows are cut into chunks, each chunk encoded by
 * one worker into its own id buffer, then the chunks are concatenated in row order. */
#include <string.h>

#include "hfc/arrow.h"
#include "hfc/pool.h"
#include "hfc/tokenizers.h"

#define TOK_CHUNK 64

typedef struct tok_chunk {
    int32_t *ids;
    uint8_t *types;      /* when type ids are wanted */
    size_t n, cap, cap_types;
    int64_t *lens; /* TOK_CHUNK */
} tok_chunk;

typedef struct tok_job {
    const hfc_arrow_table *t;
    size_t col;
    const int64_t *rows;
    int64_t n;
    const hfc_tokenizer *tok;
    bool add_special, want_types;
    tok_chunk *chunks;
    hfc_tk_scratch **scratch;   /* per worker */
    hfc_encoding *enc;          /* per worker */
} tok_job;

static hfc_status tok_task(void *ctx, size_t begin, size_t end, int worker) {
    tok_job *j = ctx;
    if (!j->scratch[worker]) HFC_TRY(hfc_tk_scratch_create(&j->scratch[worker]));
    hfc_encoding *e = &j->enc[worker];
    for (size_t c = begin; c < end; c++) {
        tok_chunk *ch = &j->chunks[c];
        int64_t r0 = (int64_t)c * TOK_CHUNK, r1 = r0 + TOK_CHUNK < j->n ? r0 + TOK_CHUNK : j->n;
        for (int64_t i = r0; i < r1; i++) {
            int64_t row = j->rows ? j->rows[i] : i;
            if (row < 0 || row >= j->t->num_rows)
                return hfc_fail(HFC_ERR_RANGE, "row %lld out of range", (long long)row);
            size_t b;
            int64_t r, s, en;
            hfc_arrow_table_locate(j->t, row, &b, &r);
            const hfc_arrow_array *a = &j->t->batches[b].columns[j->col];
            if (a->indices || hfc_arrow_is_null(a, r))
                return hfc_fail(HFC_ERR_INVALID, "tokenize: row %lld of column '%s' is %s",
                                (long long)row, a->field->name,
                                a->indices ? "dictionary-encoded (unsupported)" : "null");
            HFC_TRY(hfc_arrow_range(a, r, &s, &en));
            hfc_encoding_clear(e);
            HFC_TRY_CTX(hfc_tokenizer_encode(j->tok, j->scratch[worker], (const char *)a->data + s,
                                             (size_t)(en - s), NULL, 0, j->add_special, e),
                        "tokenize: row %lld: ", (long long)row);
            HFC_TRY(hfc_grow((void **)&ch->ids, &ch->cap, ch->n + e->n, sizeof *ch->ids));
            memcpy(ch->ids + ch->n, e->ids, e->n * sizeof *e->ids); /* uint32 ids -> int32 */
            if (j->want_types) {
                HFC_TRY(hfc_grow((void **)&ch->types, &ch->cap_types, ch->n + e->n, 1));
                for (size_t k = 0; k < e->n; k++) ch->types[ch->n + k] = (uint8_t)e->type_ids[k];
            }
            ch->n += e->n;
            ch->lens[i - r0] = (int64_t)e->n;
        }
    }
    return HFC_OK;
}

hfc_status hfc_arrow_tokenize(const hfc_arrow_table *t, size_t col, const int64_t *rows,
                              int64_t n, const hfc_tokenizer *tok, bool add_special,
                              int32_t **ids, int64_t **offsets) {
    return hfc_arrow_tokenize_ex(t, col, rows, n, tok, add_special, ids, offsets, NULL);
}

hfc_status hfc_arrow_tokenize_ex(const hfc_arrow_table *t, size_t col, const int64_t *rows,
                                 int64_t n, const hfc_tokenizer *tok, bool add_special,
                                 int32_t **ids, int64_t **offsets, uint8_t **type_ids) {
    if (col >= t->n_fields) return hfc_fail(HFC_ERR_RANGE, "column %zu out of range", col);
    hfc_arrow_type ty = t->fields[col].type;
    if (ty != HFC_ARROW_UTF8 && ty != HFC_ARROW_LARGE_UTF8)
        return hfc_fail(HFC_ERR_TYPE, "tokenize: column '%s' is %s, not a string column",
                        t->fields[col].name, hfc_arrow_type_name(ty));
    if (!rows) n = t->num_rows;
    size_t n_chunks = (size_t)((n + TOK_CHUNK - 1) / TOK_CHUNK);
    int workers = hfc_get_num_threads();
    tok_job j = {t, col, rows, n, tok, add_special, type_ids != NULL, NULL, NULL, NULL};
    hfc_status st = HFC_OK;
    int64_t *offs = hfc_malloc(((size_t)n + 1) * sizeof *offs);
    int64_t *lens = hfc_malloc(((size_t)n + 1) * sizeof *lens);
    j.chunks = hfc_calloc(n_chunks + 1, sizeof *j.chunks);
    j.scratch = hfc_calloc((size_t)workers, sizeof *j.scratch);
    j.enc = hfc_calloc((size_t)workers, sizeof *j.enc);
    if (!offs || !lens || !j.chunks || !j.scratch || !j.enc)
        st = hfc_fail(HFC_ERR_NOMEM, "tokenize: out of memory");
    for (int w = 0; st == HFC_OK && w < workers; w++) hfc_encoding_init(&j.enc[w]);
    for (size_t c = 0; st == HFC_OK && c < n_chunks; c++) j.chunks[c].lens = lens + c * TOK_CHUNK;
    if (st == HFC_OK) st = hfc_parallel_for_max(n_chunks, 1, workers, tok_task, &j);
    int32_t *out = NULL;
    uint8_t *types = NULL;
    if (st == HFC_OK) {
        size_t total = 0;
        for (size_t c = 0; c < n_chunks; c++) total += j.chunks[c].n;
        out = hfc_malloc((total ? total : 1) * sizeof *out);
        if (type_ids) types = hfc_malloc(total ? total : 1);
        if (!out || (type_ids && !types))
            st = hfc_fail(HFC_ERR_NOMEM, "tokenize: out of memory for %zu ids", total);
        size_t at = 0;
        for (size_t c = 0; st == HFC_OK && c < n_chunks; c++) {
            memcpy(out + at, j.chunks[c].ids, j.chunks[c].n * sizeof *out);
            if (types && j.chunks[c].n) memcpy(types + at, j.chunks[c].types, j.chunks[c].n);
            at += j.chunks[c].n;
        }
        offs[0] = 0;
        for (int64_t i = 0; st == HFC_OK && i < n; i++) offs[i + 1] = offs[i] + lens[i];
    }
    for (size_t c = 0; j.chunks && c < n_chunks; c++) {
        hfc_free(j.chunks[c].ids);
        hfc_free(j.chunks[c].types);
    }
    for (int w = 0; j.scratch && w < workers; w++) hfc_tk_scratch_free(j.scratch[w]);
    for (int w = 0; j.enc && w < workers; w++) hfc_encoding_free(&j.enc[w]);
    hfc_free(j.chunks);
    hfc_free(j.scratch);
    hfc_free(j.enc);
    hfc_free(lens);
    if (st != HFC_OK) {
        hfc_free(offs);
        hfc_free(out);
        hfc_free(types);
        return st;
    }
    if (type_ids) *type_ids = types;
    *ids = out;
    *offsets = offs;
    return HFC_OK;
}
