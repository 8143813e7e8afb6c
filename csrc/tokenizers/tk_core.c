/* hfc.tokenizers shared machinery: per-encode context, NormalizedString (tk_norm)
 * slicing and transforms, match spans and split behaviours, growable arena vectors.
 * Semantics follow HF tokenizers' tokenizer/normalizer.rs and pre_tokenizer.rs. */
#include "tk.h"

#include <string.h>

void tk_ctx_init(tk_ctx *c) { hfc_arena_init(&c->arena, (size_t)256 << 10); }
void tk_ctx_reset(tk_ctx *c) { hfc_arena_reset(&c->arena); }
void tk_ctx_free(tk_ctx *c) { hfc_arena_free(&c->arena); }

void *tk_alloc(tk_ctx *c, size_t size) { return hfc_arena_alloc(&c->arena, size, 8); }

/* Grow an arena-backed vector to hold one more element (old block is abandoned in the
 * arena; growth is geometric so the waste is bounded by the final size). */
static hfc_status arena_vec_grow(tk_ctx *c, void **v, size_t *cap, size_t n, size_t elem) {
    if (n < *cap) return HFC_OK;
    size_t ncap = *cap ? *cap * 2 : 16, bytes;
    if (!hfc_mul_size(ncap, elem, &bytes))
        return hfc_fail(HFC_ERR_OVERFLOW, "tokenizer scratch vector overflows");
    void *p = tk_alloc(c, bytes);
    if (!p) return HFC_ERR_NOMEM;
    if (n) memcpy(p, *v, n * elem);
    *v = p;
    *cap = ncap;
    return HFC_OK;
}

#define VEC_PUSH(c, vec, value)                                                           \
    do {                                                                                  \
        if ((vec)->n == (vec)->cap)                                                       \
            HFC_TRY(arena_vec_grow((c), (void **)&(vec)->v, &(vec)->cap, (vec)->n,        \
                                   sizeof *(vec)->v));                                    \
        (vec)->v[(vec)->n++] = (value);                                                   \
    } while (0)

hfc_status tk_changes_push(tk_ctx *c, tk_changes *ch, uint32_t cp, int32_t change) {
    tk_change x = {cp, change};
    VEC_PUSH(c, ch, x);
    return HFC_OK;
}

hfc_status tk_spans_push(tk_ctx *c, tk_spans *sp, uint32_t start, uint32_t end, bool is_match) {
    tk_span x = {start, end, is_match};
    VEC_PUSH(c, sp, x);
    return HFC_OK;
}

hfc_status tk_tokens_push(tk_ctx *c, tk_tokens *t, uint32_t id, uint32_t start, uint32_t end) {
    tk_token x = {id, start, end};
    VEC_PUSH(c, t, x);
    return HFC_OK;
}

hfc_status tk_pretok_push(tk_ctx *c, tk_pretok *p, const tk_norm *n) {
    tk_split x = {*n, NULL, 0, false, false};
    VEC_PUSH(c, p, x);
    return HFC_OK;
}

hfc_status tk_strs_push(tk_ctx *c, tk_strs *v, const char *s, uint32_t len) {
    if (v->n == v->cap) {
        size_t ncap = v->cap ? v->cap * 2 : 16;
        const char **ns = tk_alloc(c, ncap * sizeof *ns);
        uint32_t *nl = tk_alloc(c, ncap * sizeof *nl);
        if (!ns || !nl) return HFC_ERR_NOMEM;
        if (v->n) {
            memcpy(ns, v->s, v->n * sizeof *ns);
            memcpy(nl, v->len, v->n * sizeof *nl);
        }
        v->s = ns;
        v->len = nl;
        v->cap = ncap;
    }
    v->s[v->n] = s;
    v->len[v->n] = len;
    v->n++;
    return HFC_OK;
}

/* ------------------------------------------------------------------ tk_norm */

hfc_status tk_norm_from_original(tk_ctx *c, const char *s, uint32_t len, uint32_t base,
                                 tk_norm *out) {
    tk_align *al = tk_alloc(c, (size_t)len * sizeof *al + 1);
    if (!al) return HFC_ERR_NOMEM;
    const uint8_t *u = (const uint8_t *)s;
    for (uint32_t i = 0; i < len;) {
        if (u[i] < 0x80) { /* ASCII runs: one byte, one character; 8 at a time */
            uint64_t x, v = (uint64_t)(base + i) | (uint64_t)(base + i + 1) << 32;
            while (i + 8 <= len && (memcpy(&x, u + i, 8), !(x & 0x8080808080808080ull))) {
                for (int k = 0; k < 8; k++, v += 0x100000001ull) memcpy(&al[i + k], &v, 8);
                i += 8;
            }
            if (i == len || u[i] >= 0x80) continue;
            do {
                al[i].start = base + i;
                al[i].end = base + i + 1;
                i++;
            } while (i < len && u[i] < 0x80);
            continue;
        }
        uint32_t w = (uint32_t)tk_utf8_len(u[i]);
        if (w > len - i) w = len - i;
        tk_align a = {base + i, base + i + w};
        for (uint32_t k = 0; k < w; k++) al[i + k] = a;
        i += w;
    }
    out->s = s;
    out->len = len;
    out->al = al;
    out->orig_start = base;
    out->orig_end = base + len;
    return HFC_OK;
}

void tk_norm_slice(const tk_norm *n, uint32_t start, uint32_t end, tk_norm *out) {
    tk_align o = tk_norm_to_original(n, start, end);
    out->s = n->s + start;
    out->len = end - start;
    out->al = n->al + start;
    out->orig_start = o.start;
    out->orig_end = o.end;
}

hfc_status tk_norm_transform(tk_ctx *c, tk_norm *n, const tk_change *dest, size_t ndest,
                             size_t initial_offset) {
    const uint8_t *old = (const uint8_t *)n->s;
    size_t old_len = n->len, pos = 0; /* pos: next unread old byte */
    for (size_t k = 0; k < initial_offset && pos < old_len; k++) pos += (size_t)tk_utf8_len(old[pos]);

    size_t cap = 0; /* exact output size first, so one allocation */
    for (size_t i = 0; i < ndest; i++) {
        uint8_t tmp[4];
        cap += (size_t)tk_utf8_encode(dest[i].cp, tmp);
    }
    if (cap > UINT32_MAX) return hfc_fail(HFC_ERR_OVERFLOW, "normalized text exceeds 4 GiB");
    uint8_t *s = tk_alloc(c, cap + 1);
    tk_align *al = tk_alloc(c, cap * sizeof *al + 1);
    if (!s || !al) return HFC_ERR_NOMEM;

    size_t w = 0;
    tk_align origin = {n->orig_start, n->orig_start};
    for (size_t i = 0; i < ndest; i++) {
        int32_t change = dest[i].change;
        tk_align a;
        if (change > 0) {
            a = pos >= 1 && pos - 1 < old_len ? n->al[pos - 1] : origin;
        } else {
            a = pos < old_len ? n->al[pos] : (old_len ? n->al[old_len - 1] : origin);
            if (pos < old_len) pos += (size_t)tk_utf8_len(old[pos]); /* the replaced char */
            for (int32_t r = 0; r < -change && pos < old_len; r++)
                pos += (size_t)tk_utf8_len(old[pos]);
        }
        int bytes = tk_utf8_encode(dest[i].cp, s + w);
        for (int b = 0; b < bytes; b++) al[w + (size_t)b] = a;
        w += (size_t)bytes;
    }
    n->s = (const char *)s;
    n->len = (uint32_t)w;
    n->al = al;
    return HFC_OK;
}

/* ------------------------------------------------------------------ split behaviours */

hfc_status tk_spans_apply_behavior(tk_ctx *c, const tk_spans *m, tk_split_behavior b,
                                   tk_spans *out) {
    out->n = 0;
    bool prev_match = false;
    switch (b) {
    case TK_SPLIT_REMOVED:
        for (size_t i = 0; i < m->n; i++)
            if (!m->v[i].is_match) HFC_TRY(tk_spans_push(c, out, m->v[i].start, m->v[i].end, false));
        return HFC_OK;
    case TK_SPLIT_ISOLATED:
        for (size_t i = 0; i < m->n; i++)
            HFC_TRY(tk_spans_push(c, out, m->v[i].start, m->v[i].end, false));
        return HFC_OK;
    case TK_SPLIT_CONTIGUOUS:
        for (size_t i = 0; i < m->n; i++) {
            if (m->v[i].is_match == prev_match && out->n)
                out->v[out->n - 1].end = m->v[i].end;
            else
                HFC_TRY(tk_spans_push(c, out, m->v[i].start, m->v[i].end, false));
            prev_match = m->v[i].is_match;
        }
        return HFC_OK;
    case TK_SPLIT_MERGED_WITH_PREVIOUS:
        for (size_t i = 0; i < m->n; i++) {
            if (m->v[i].is_match && !prev_match && out->n)
                out->v[out->n - 1].end = m->v[i].end;
            else
                HFC_TRY(tk_spans_push(c, out, m->v[i].start, m->v[i].end, false));
            prev_match = m->v[i].is_match;
        }
        return HFC_OK;
    case TK_SPLIT_MERGED_WITH_NEXT:
        /* walk backwards, then reverse */
        for (size_t i = m->n; i-- > 0;) {
            if (m->v[i].is_match && !prev_match && out->n)
                out->v[out->n - 1].start = m->v[i].start;
            else
                HFC_TRY(tk_spans_push(c, out, m->v[i].start, m->v[i].end, false));
            prev_match = m->v[i].is_match;
        }
        for (size_t i = 0, j = out->n ? out->n - 1 : 0; i < j; i++, j--) {
            tk_span t = out->v[i];
            out->v[i] = out->v[j];
            out->v[j] = t;
        }
        return HFC_OK;
    }
    return hfc_fail(HFC_ERR_INVALID, "unknown split behaviour %d", (int)b);
}
