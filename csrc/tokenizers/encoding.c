/* hfc_encoding: HF's Encoding as parallel arrays (see hfc/tokenizers.h). */
#include "encoding.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

/* One freed array block kept per thread for the thread's next encoding. Blocks too big
 * for malloc's per-thread cache (padded encodings: 26 bytes a token, 3.3 KB at 128) cost
 * a search of its bins on every malloc and free; an encode-wrap-drop loop reuses this
 * one instead. Blocks over SPARE_MAX_CAP tokens go back to malloc. The block is freed
 * when its thread exits (the key's destructor). */
#define SPARE_MAX_CAP 2048
static __thread struct {
    uint32_t *blk;
    size_t cap;
    bool registered;
} spare;
static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;
static bool spare_key_ok;

static void spare_release(void *unused) {
    (void)unused;
    hfc_free(spare.blk);
    spare.blk = NULL;
    spare.cap = 0;
}

static void spare_key_init(void) { spare_key_ok = pthread_key_create(&spare_key, spare_release) == 0; }

/* gives back a block of cap tokens: kept as the thread's spare when there is room */
static void block_free(uint32_t *blk, size_t cap) {
    if (!blk) return;
    if (cap <= SPARE_MAX_CAP && cap > spare.cap) {
        if (!spare.registered) { /* once per thread: the destructor frees the spare */
            pthread_once(&spare_once, spare_key_init);
            if (!spare_key_ok || pthread_setspecific(spare_key, &spare) != 0) {
                hfc_free(blk);
                return;
            }
            spare.registered = true;
        }
        hfc_free(spare.blk);
        spare.blk = blk;
        spare.cap = cap;
        return;
    }
    hfc_free(blk);
}

void hfc_encoding_init(hfc_encoding *e) { memset(e, 0, sizeof *e); }

/* A block of several encodings' arrays (hfc_encodings_share). */
struct hfc_enc_share {
    _Atomic size_t refs;
};

static void share_release(struct hfc_enc_share *sh) {
    if (atomic_fetch_sub_explicit(&sh->refs, 1, memory_order_acq_rel) == 1) hfc_free(sh);
}

/* Give back e's arrays (a block of e->cap tokens, or its part of a shared block). */
static void arrays_free(hfc_encoding *e) {
    if (e->share) share_release(e->share);
    else block_free(e->offsets, e->cap);
    e->share = NULL;
}

/* The arrays of an encoding of capacity c at blk (see hfc_encoding_reserve's layout). */
static void arrays_at(hfc_encoding *x, uint8_t *blk, size_t c) {
    x->offsets = (uint32_t *)blk;
    x->ids = x->offsets + 2 * c;
    x->type_ids = x->ids + c;
    x->words = (int32_t *)(x->type_ids + c);
    x->seq_ids = x->words + c;
    x->special_mask = (uint8_t *)(x->seq_ids + c);
    x->attention_mask = x->special_mask + c;
}

static void arrays_copy(hfc_encoding *dst, const hfc_encoding *src, size_t n) {
    memcpy(dst->offsets, src->offsets, 2 * n * sizeof *dst->offsets);
    memcpy(dst->ids, src->ids, n * sizeof *dst->ids);
    memcpy(dst->type_ids, src->type_ids, n * sizeof *dst->type_ids);
    memcpy(dst->words, src->words, n * sizeof *dst->words);
    memcpy(dst->seq_ids, src->seq_ids, n * sizeof *dst->seq_ids);
    memcpy(dst->special_mask, src->special_mask, n);
    memcpy(dst->attention_mask, src->attention_mask, n);
}

#define SHARE_PART(n) (((n) * 26 + 15) & ~(size_t)15) /* bytes of n tokens' arrays */
/* Every non-empty encoding moves, short ones too: the copy runs on the pool's threads,
 * the frees it saves on the caller's (Qwen3 prose lines of ~20 tokens on 2 threads:
 * 3-6% faster than keeping encodings under 40 tokens out, in paired runs). */
#define SKIP_SHARE(x) ((x)->share || (x)->n == 0)

hfc_status hfc_encodings_share(hfc_encoding *e, size_t n) {
    size_t bytes = 16, users = 0; /* the header, padded to 16 */
    for (size_t i = 0; i < n; i++) {
        if (SKIP_SHARE(&e[i])) continue;
        bytes += SHARE_PART(e[i].n);
        users++;
    }
    if (users < 2) return HFC_OK;
    uint8_t *blk = hfc_malloc(bytes);
    if (!blk) return HFC_OK; /* each keeps its own block */
    struct hfc_enc_share *sh = (struct hfc_enc_share *)blk;
    atomic_init(&sh->refs, users);
    uint8_t *at = blk + 16;
    for (size_t i = 0; i < n; i++) {
        hfc_encoding *x = &e[i];
        if (SKIP_SHARE(x)) continue;
        hfc_encoding moved = *x;
        arrays_at(&moved, at, x->n);
        arrays_copy(&moved, x, x->n);
        block_free(x->offsets, x->cap);
        moved.cap = x->n; /* growing it copies it out (hfc_encoding_reserve) */
        moved.share = sh;
        *x = moved;
        at += SHARE_PART(x->n);
    }
    return HFC_OK;
}

void hfc_encoding_drop_offsets(hfc_encoding *e) {
    memset(e->offsets, 0, 2 * e->n * sizeof *e->offsets);
    for (size_t i = 0; i < e->n; i++) e->words[i] = -1;
    e->no_strings = true;
    for (size_t i = 0; i < e->n_overflowing; i++) hfc_encoding_drop_offsets(&e->overflowing[i]);
}

/* All seven arrays live in one block (ids first; the block pointer is e->ids). Layout
 * for capacity c: offsets[2c] u32, ids[c], type_ids[c], words[c], seq_ids[c] (4-byte
 * each), then special_mask[c], attention_mask[c] bytes. */
void hfc_encoding_free(hfc_encoding *e) {
    if (!e) return;
    arrays_free(e);
    hfc_free(e->ov);
    hfc_buf_free(&e->pool);
    for (size_t i = 0; i < e->n_overflowing; i++) hfc_encoding_free(&e->overflowing[i]);
    hfc_free(e->overflowing);
    memset(e, 0, sizeof *e);
}

void hfc_encoding_clear(hfc_encoding *e) {
    for (size_t i = 0; i < e->n_overflowing; i++) hfc_encoding_free(&e->overflowing[i]);
    hfc_free(e->overflowing);
    e->overflowing = NULL;
    e->n_overflowing = 0;
    e->n = 0;
    e->n_ov = 0;
    e->pool.len = 0;
    e->no_strings = false;
}

hfc_status tk_encoding_set_override(hfc_encoding *e, size_t index, const char *s, uint32_t len) {
    if (e->n_ov == e->cap_ov) {
        void *p = e->ov;
        HFC_TRY(hfc_grow(&p, &e->cap_ov, e->n_ov + 1, sizeof *e->ov));
        e->ov = p;
    }
    struct hfc_tok_override o = {(uint32_t)index, (uint32_t)e->pool.len, len};
    HFC_TRY(hfc_buf_append(&e->pool, s, len));
    e->ov[e->n_ov++] = o;
    return HFC_OK;
}

const char *hfc_encoding_token_override(const hfc_encoding *e, size_t i, uint32_t *len) {
    size_t lo = 0, hi = e->n_ov;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (e->ov[mid].index < i) lo = mid + 1;
        else hi = mid;
    }
    if (lo < e->n_ov && e->ov[lo].index == i) {
        *len = e->ov[lo].len;
        return e->pool.data + e->ov[lo].off;
    }
    return NULL;
}

/* Copy src's overrides for tokens [start, stop) to dst, at dst index base + (i - start). */
static hfc_status copy_overrides(hfc_encoding *dst, const hfc_encoding *src, size_t start,
                                 size_t stop, size_t base) {
    for (size_t k = 0; k < src->n_ov; k++) {
        size_t i = src->ov[k].index;
        if (i < start || i >= stop) continue;
        HFC_TRY(tk_encoding_set_override(dst, base + (i - start), src->pool.data + src->ov[k].off,
                                         src->ov[k].len));
    }
    return HFC_OK;
}

hfc_status hfc_encoding_reserve(hfc_encoding *e, size_t n) {
    if (n <= e->cap) return HFC_OK;
    size_t cap = e->cap ? e->cap : 16;
    while (cap < n) cap *= 2;
    size_t bytes;
    if (cap > (SIZE_MAX - 64) / 32 || !hfc_mul_size(cap, 26, &bytes))
        return hfc_fail(HFC_ERR_OVERFLOW, "encoding too long");
    uint8_t *blk;
    if (spare.blk && spare.cap >= cap) {
        blk = (uint8_t *)spare.blk;
        cap = spare.cap;
        spare.blk = NULL;
        spare.cap = 0;
    } else if (!(blk = hfc_malloc(bytes))) {
        return hfc_fail(HFC_ERR_NOMEM, "out of memory growing an encoding to %zu tokens", cap);
    }
    hfc_encoding x = *e;
    arrays_at(&x, blk, cap);
    if (e->n) arrays_copy(&x, e, e->n);
    arrays_free(e);
    x.cap = cap;
    x.share = NULL;
    *e = x;
    return HFC_OK;
}

hfc_status tk_encoding_push(hfc_encoding *e, uint32_t id, uint32_t type_id, uint32_t start,
                            uint32_t end, int32_t word, int32_t seq, uint8_t special,
                            uint8_t attention) {
    if (e->n == e->cap) HFC_TRY(hfc_encoding_reserve(e, e->n + 1));
    tk_encoding_set(e, e->n++, id, type_id, start, end, word, seq, special, attention);
    return HFC_OK;
}

hfc_status tk_encoding_append(hfc_encoding *dst, const hfc_encoding *src, int64_t type_id,
                              int32_t seq) {
    HFC_TRY(hfc_encoding_reserve(dst, dst->n + src->n));
    size_t o = dst->n, n = src->n;
    if (n) { /* array by array */
        memcpy(dst->ids + o, src->ids, n * sizeof *dst->ids);
        memcpy(dst->offsets + 2 * o, src->offsets, 2 * n * sizeof *dst->offsets);
        memcpy(dst->words + o, src->words, n * sizeof *dst->words);
        memcpy(dst->special_mask + o, src->special_mask, n);
        memcpy(dst->attention_mask + o, src->attention_mask, n);
        if (type_id >= 0)
            for (size_t i = 0; i < n; i++) dst->type_ids[o + i] = (uint32_t)type_id;
        else
            memcpy(dst->type_ids + o, src->type_ids, n * sizeof *dst->type_ids);
        if (seq >= -1)
            for (size_t i = 0; i < n; i++) dst->seq_ids[o + i] = seq;
        else
            memcpy(dst->seq_ids + o, src->seq_ids, n * sizeof *dst->seq_ids);
    }
    dst->n += n;
    return src->n_ov ? copy_overrides(dst, src, 0, src->n, o) : HFC_OK;
}

/* ------------------------------------------------------------------ overflowing-aware ops
 * HF Encoding::merge_with, truncate and pad, including their handling of the
 * `overflowing` list (tokenizer/encoding.rs). */

hfc_status hfc_encoding_copy(hfc_encoding *dst, const hfc_encoding *src) {
    return tk_encoding_copy(dst, src);
}

hfc_status tk_encoding_copy(hfc_encoding *dst, const hfc_encoding *src) {
    hfc_encoding_init(dst);
    HFC_TRY(tk_encoding_append(dst, src, -1, -2));
    dst->no_strings = src->no_strings;
    if (src->n_overflowing) {
        dst->overflowing = hfc_calloc(src->n_overflowing, sizeof *dst->overflowing);
        if (!dst->overflowing) return hfc_fail(HFC_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < src->n_overflowing; i++) {
            dst->n_overflowing = i + 1;
            HFC_TRY(tk_encoding_copy(&dst->overflowing[i], &src->overflowing[i]));
        }
    }
    return HFC_OK;
}

static hfc_status push_overflow(hfc_encoding **list, size_t *n, size_t *cap, hfc_encoding *e) {
    if (*n == *cap) {
        void *p = *list;
        HFC_TRY(hfc_grow(&p, cap, *n + 1, sizeof **list));
        *list = p;
    }
    (*list)[(*n)++] = *e;
    return HFC_OK;
}

void tk_ranges_free(tk_ranges *r) {
    if (!r) return;
    for (size_t i = 0; i < r->nov; i++) tk_ranges_free(&r->ov[i]);
    hfc_free(r->ov);
    r->ov = NULL;
    r->nov = 0;
}

hfc_status tk_ranges_copy(tk_ranges *dst, const tk_ranges *src) {
    *dst = *src;
    dst->ov = NULL;
    dst->nov = 0;
    if (!src->nov) return HFC_OK;
    if (!(dst->ov = hfc_calloc(src->nov, sizeof *dst->ov)))
        return hfc_fail(HFC_ERR_NOMEM, "out of memory");
    for (; dst->nov < src->nov; dst->nov++) {
        hfc_status st = tk_ranges_copy(&dst->ov[dst->nov], &src->ov[dst->nov]);
        if (st != HFC_OK) {
            tk_ranges_free(dst);
            return st;
        }
    }
    return HFC_OK;
}

hfc_status tk_ranges_set(tk_ranges *r, uint32_t key, size_t start, size_t end) {
    uint32_t i = 0;
    while (i < r->n && r->key[i] != key) i++;
    if (i == TK_RANGES)
        return hfc_fail(HFC_ERR_UNSUPPORTED, "post-processing made more than %d sequences", TK_RANGES);
    if (i == r->n) r->n++;
    r->key[i] = key;
    r->start[i] = (uint32_t)start;
    r->end[i] = (uint32_t)end;
    return HFC_OK;
}

void tk_ranges_apply(const tk_ranges *r, hfc_encoding *e) {
    for (size_t j = 0; j < e->n; j++) e->seq_ids[j] = -1;
    uint32_t nseq = r->n ? r->n : 1; /* HF n_sequences; an id without a range covers all */
    for (uint32_t sid = 0; sid < nseq; sid++) {
        size_t lo = 0, hi = e->n;
        for (uint32_t k = 0; k < r->n; k++)
            if (r->key[k] == sid) lo = r->start[k], hi = r->end[k];
        for (size_t j = lo; j < hi && j < e->n; j++) e->seq_ids[j] = (int32_t)sid;
    }
    for (size_t k = 0; k < e->n_overflowing && k < r->nov; k++) tk_ranges_apply(&r->ov[k], &e->overflowing[k]);
}

/* One overflowing combination: a copy of (a, ar) merged with (b, br), appended to the
 * lists (ranges only when ar is given). */
static hfc_status push_merged(hfc_encoding **list, tk_ranges **rlist, size_t *n, size_t *cap,
                              size_t *rcap, const hfc_encoding *a, const tk_ranges *ar,
                              const hfc_encoding *b, const tk_ranges *br) {
    hfc_encoding tmp;
    tk_ranges rt = {0};
    HFC_TRY(tk_encoding_copy(&tmp, a));
    hfc_status st = ar ? tk_ranges_copy(&rt, ar) : HFC_OK;
    if (st == HFC_OK) st = tk_encoding_merge_ranges(&tmp, ar ? &rt : NULL, b, br);
    if (st == HFC_OK && ar && *n == *rcap) {
        void *p = *rlist;
        if ((st = hfc_grow(&p, rcap, *n + 1, sizeof **rlist)) == HFC_OK) *rlist = p;
    }
    if (st == HFC_OK) st = push_overflow(list, n, cap, &tmp);
    if (st != HFC_OK) {
        hfc_encoding_free(&tmp);
        tk_ranges_free(&rt);
        return st;
    }
    if (ar) (*rlist)[*n - 1] = rt;
    return HFC_OK;
}

/* self.merge_with(pair): pair is not modified (HF takes it by value; we copy). */
hfc_status tk_encoding_merge_ranges(hfc_encoding *self, tk_ranges *sr, const hfc_encoding *pair,
                                    const tk_ranges *pr) {
    static const tk_ranges none = {0};
    if (sr && !pr) pr = &none;
    hfc_encoding *list = NULL;
    tk_ranges *rlist = NULL;
    size_t n = 0, cap = 0, rcap = 0;
    hfc_status st = HFC_OK;
#define RANGES_OF(r, k) ((r) && (k) < (r)->nov ? &(r)->ov[k] : (r) ? &none : NULL)
    for (size_t i = 0; st == HFC_OK && i < self->n_overflowing; i++) {
        st = push_merged(&list, &rlist, &n, &cap, &rcap, &self->overflowing[i], RANGES_OF(sr, i),
                         pair, pr);
        for (size_t k = 0; st == HFC_OK && k < pair->n_overflowing; k++)
            st = push_merged(&list, &rlist, &n, &cap, &rcap, &self->overflowing[i],
                             RANGES_OF(sr, i), &pair->overflowing[k], RANGES_OF(pr, k));
    }
    for (size_t k = 0; st == HFC_OK && k < pair->n_overflowing; k++)
        /* HF clones self with its (old) overflowing list: nested combinations follow */
        st = push_merged(&list, &rlist, &n, &cap, &rcap, self, sr, &pair->overflowing[k],
                         RANGES_OF(pr, k));
#undef RANGES_OF
    size_t base = self->n;
    if (st == HFC_OK) st = tk_encoding_append(self, pair, -1, -2);
    for (uint32_t r = 0; sr && st == HFC_OK && r < pr->n; r++)
        st = tk_ranges_set(sr, pr->key[r], base + pr->start[r], base + pr->end[r]);
    for (size_t i = 0; i < self->n_overflowing; i++) hfc_encoding_free(&self->overflowing[i]);
    hfc_free(self->overflowing);
    self->overflowing = list;
    self->n_overflowing = n;
    if (sr) {
        for (size_t i = 0; i < sr->nov; i++) tk_ranges_free(&sr->ov[i]);
        hfc_free(sr->ov);
        sr->ov = rlist;
        sr->nov = n;
    }
    return st;
}

hfc_status tk_encoding_merge_with(hfc_encoding *self, const hfc_encoding *pair) {
    return tk_encoding_merge_ranges(self, NULL, pair, NULL);
}

/* Copy items [start, stop) of src into a fresh encoding. */
static hfc_status encoding_range(const hfc_encoding *src, size_t start, size_t stop,
                                 hfc_encoding *out) {
    hfc_encoding view = *src;
    view.ids += start;
    view.type_ids += start;
    view.offsets += 2 * start;
    view.words += start;
    view.seq_ids += start;
    view.special_mask += start;
    view.attention_mask += start;
    view.n = stop - start;
    view.overflowing = NULL;
    view.n_overflowing = 0;
    view.n_ov = 0;
    hfc_encoding_init(out);
    HFC_TRY(tk_encoding_append(out, &view, -1, -2));
    return copy_overrides(out, src, start, stop, 0);
}

hfc_status tk_encoding_truncate(hfc_encoding *e, size_t max_len, size_t stride, bool left) {
    size_t len = e->n;
    if (max_len >= len) return HFC_OK;
    if (max_len == 0) {
        hfc_encoding moved = *e, fresh;
        hfc_encoding_init(&fresh);
        fresh.overflowing = hfc_calloc(1, sizeof *fresh.overflowing);
        if (!fresh.overflowing) return hfc_fail(HFC_ERR_NOMEM, "out of memory");
        fresh.overflowing[0] = moved;
        fresh.n_overflowing = 1;
        *e = fresh;
        return HFC_OK;
    }
    if (stride >= max_len)
        return hfc_fail(HFC_ERR_INVALID, "`stride` must be strictly less than `max_len=%zu` (note "
                        "that `max_len` may be shorter than the max length of the original model, "
                        "as it subtracts the number of special characters", max_len);
    size_t step = max_len - stride, nparts = 0, cap = 0;
    size_t (*parts)[2] = NULL;
    hfc_status st = HFC_OK;
    if (!left) {
        for (size_t start = 0; start < len; start += step) {
            size_t stop = start + max_len < len ? start + max_len : len;
            void *p = parts;
            if ((st = hfc_grow(&p, &cap, nparts + 1, sizeof *parts)) != HFC_OK) break;
            parts = p;
            parts[nparts][0] = start;
            parts[nparts][1] = stop;
            nparts++;
            if (stop == len) break;
        }
    } else {
        for (size_t k = 0; k < len; k += step) {
            size_t stop = len - k; /* (0..len).rev().step_by(step): len-1-k, then +1 */
            size_t start = stop > max_len ? stop - max_len : 0;
            void *p = parts;
            if ((st = hfc_grow(&p, &cap, nparts + 1, sizeof *parts)) != HFC_OK) break;
            parts = p;
            parts[nparts][0] = start;
            parts[nparts][1] = stop;
            nparts++;
            if (start == 0) break;
        }
    }
    hfc_encoding out;
    hfc_encoding_init(&out);
    if (st == HFC_OK) st = encoding_range(e, parts[0][0], parts[0][1], &out);
    if (st == HFC_OK && nparts > 1) {
        out.overflowing = hfc_calloc(nparts - 1, sizeof *out.overflowing);
        if (!out.overflowing) st = hfc_fail(HFC_ERR_NOMEM, "out of memory");
        for (size_t i = 1; st == HFC_OK && i < nparts; i++) {
            st = encoding_range(e, parts[i][0], parts[i][1], &out.overflowing[i - 1]);
            out.n_overflowing = i;
        }
    }
    hfc_free(parts);
    if (st != HFC_OK) {
        hfc_encoding_free(&out);
        return st;
    }
    hfc_encoding_free(e);
    *e = out;
    return HFC_OK;
}

hfc_status tk_encoding_pad(hfc_encoding *e, size_t target, uint32_t pad_id, uint32_t pad_type_id,
                           bool left) {
    for (size_t i = 0; i < e->n_overflowing; i++)
        HFC_TRY(tk_encoding_pad(&e->overflowing[i], target, pad_id, pad_type_id, left));
    if (e->n >= target) return HFC_OK;
    size_t pad = target - e->n, old = e->n;
    HFC_TRY(hfc_encoding_reserve(e, target));
    size_t at = old;
    if (left) {
        memmove(e->ids + pad, e->ids, old * sizeof *e->ids);
        memmove(e->type_ids + pad, e->type_ids, old * sizeof *e->type_ids);
        memmove(e->offsets + 2 * pad, e->offsets, 2 * old * sizeof *e->offsets);
        memmove(e->words + pad, e->words, old * sizeof *e->words);
        memmove(e->seq_ids + pad, e->seq_ids, old * sizeof *e->seq_ids);
        memmove(e->special_mask + pad, e->special_mask, old);
        memmove(e->attention_mask + pad, e->attention_mask, old);
        for (size_t k = 0; k < e->n_ov; k++) e->ov[k].index += (uint32_t)pad;
        at = 0;
    }
    /* array by array (fills the compiler vectorizes; -1 is all bits set) */
    for (size_t i = at; i < at + pad; i++) e->ids[i] = pad_id;
    for (size_t i = at; i < at + pad; i++) e->type_ids[i] = pad_type_id;
    memset(e->offsets + 2 * at, 0, 2 * pad * sizeof *e->offsets);
    memset(e->words + at, 0xFF, pad * sizeof *e->words);
    memset(e->seq_ids + at, 0xFF, pad * sizeof *e->seq_ids);
    memset(e->special_mask + at, 1, pad);
    memset(e->attention_mask + at, 0, pad);
    e->n = target;
    return HFC_OK;
}
