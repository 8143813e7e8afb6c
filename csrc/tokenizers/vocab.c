/* tk_vocab: token bytes -> id (open addressing, linear probing) and id -> token.
 *
 * Shapes:
 *   pool[pool_len]   every token's bytes, back to back, each NUL-terminated (one block;
 *                    offsets, not pointers, so it may move while growing)
 *   ent[n]           {off, len, id} in insertion order (iteration, id -> token)
 *   slot[mask + 1]   {tag, id, off, len}; tag = high hash bits | 1, 0 = empty. A lookup
 *                    touches its slot's cache line and, on a tag hit, the pool: two
 *                    misses. Load factor <= 3/4.
 *   by_id[dense_cap] id -> entry + 1 for ids below dense_limit (0 = none); rarer larger
 *                    ids go to a small id-keyed table (sparse), so a hostile vocab with
 *                    id 4e9 costs no 16 GB array.
 * Built once at load, then read-only: concurrent readers need no locking.
 */
#include "tk.h"

#include <string.h>

typedef struct vocab_ent {
    uint32_t off, len, id;
} vocab_ent;

typedef struct vocab_slot {
    uint32_t tag, id, off, len;
} vocab_slot;

struct tk_vocab {
    char *pool;
    size_t pool_len, pool_cap;
    vocab_ent *ent;
    size_t n, ent_cap;
    vocab_slot *slot;
    size_t mask;
    uint32_t *by_id; /* dense: id -> entry + 1 */
    size_t dense_cap, dense_limit;
    uint64_t *sparse; /* (id << 32) | (entry + 1); 0 = empty */
    size_t sparse_mask, sparse_n;
    uint32_t max_id1; /* largest id + 1 */
};

/* ------------------------------------------------------------------ hashing */

static inline uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline uint64_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t mum(uint64_t a, uint64_t b) {
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* A wyhash-style hash: 16 bytes per multiply, tails read with overlapping loads. */
static inline uint64_t hash_bytes(const void *data, size_t n) {
    const uint8_t *p = data;
    const uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull,
                   k2 = 0x8ebc6af09c88c6e3ull;
    uint64_t seed = k0 ^ (uint64_t)n, a, b;
    if (n <= 16) {
        if (n >= 8) { a = rd64(p); b = rd64(p + n - 8); }
        else if (n >= 4) { a = rd32(p); b = rd32(p + n - 4); }
        else if (n) { a = ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1]; b = 0; }
        else a = b = 0;
    } else {
        size_t i = n;
        while (i > 16) {
            seed = mum(rd64(p) ^ k1, rd64(p + 8) ^ seed);
            p += 16;
            i -= 16;
        }
        a = rd64(p + i - 16);
        b = rd64(p + i - 8);
    }
    return mum(k1 ^ (uint64_t)n, mum(a ^ k1, b ^ seed) ^ k2);
}

uint64_t tk_hash_bytes(const void *data, size_t n) { return hash_bytes(data, n); }

/* a[0..n) == b[0..n) with overlapping word loads (no libc call for short tokens). */
static inline bool eq_bytes(const uint8_t *a, const uint8_t *b, size_t n) {
    if (n >= 8) {
        for (size_t i = 0; i + 8 < n; i += 8)
            if (rd64(a + i) != rd64(b + i)) return false;
        return rd64(a + n - 8) == rd64(b + n - 8);
    }
    if (n >= 4) return rd32(a) == rd32(b) && rd32(a + n - 4) == rd32(b + n - 4);
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i]) return false;
    return true;
}

/* ------------------------------------------------------------------ lifecycle */

static size_t pow2_at_least(size_t x) {
    size_t p = 16;
    while (p < x) p <<= 1;
    return p;
}

hfc_status tk_vocab_create(size_t expected, tk_vocab **out) {
    *out = NULL;
    tk_vocab *v = hfc_calloc(1, sizeof *v);
    if (!v) return hfc_fail(HFC_ERR_NOMEM, "out of memory creating a vocabulary");
    if (expected > ((size_t)1 << 30)) expected = (size_t)1 << 30;
    v->mask = pow2_at_least(expected + expected / 2 + 2) - 1;
    v->slot = hfc_calloc(v->mask + 1, sizeof *v->slot);
    v->dense_limit = expected * 4 + 65536;
    if (!v->slot) {
        hfc_free(v);
        return hfc_fail(HFC_ERR_NOMEM, "out of memory creating a vocabulary of %zu", expected);
    }
    *out = v;
    return HFC_OK;
}

void tk_vocab_free(tk_vocab *v) {
    if (!v) return;
    hfc_free(v->pool);
    hfc_free(v->ent);
    hfc_free(v->slot);
    hfc_free(v->by_id);
    hfc_free(v->sparse);
    hfc_free(v);
}

/* ------------------------------------------------------------------ id -> entry */

static inline uint64_t id_hash(uint32_t id) { return (uint64_t)id * 0x9E3779B97F4A7C15ull; }

static size_t sparse_slot(const tk_vocab *v, uint32_t id) {
    size_t i = (size_t)(id_hash(id) >> 32) & v->sparse_mask;
    while (v->sparse[i] && (uint32_t)(v->sparse[i] >> 32) != id) i = (i + 1) & v->sparse_mask;
    return i;
}

static hfc_status sparse_set(tk_vocab *v, uint32_t id, uint32_t ent1) {
    if (!v->sparse || (v->sparse_n + 1) * 2 > v->sparse_mask + 1) {
        size_t ncap = v->sparse ? (v->sparse_mask + 1) * 2 : 64;
        uint64_t *ns = hfc_calloc(ncap, sizeof *ns), *old = v->sparse;
        if (!ns) return hfc_fail(HFC_ERR_NOMEM, "out of memory growing a vocabulary");
        size_t omask = v->sparse_mask;
        v->sparse = ns;
        v->sparse_mask = ncap - 1;
        if (old) {
            for (size_t i = 0; i <= omask; i++)
                if (old[i]) ns[sparse_slot(v, (uint32_t)(old[i] >> 32))] = old[i];
            hfc_free(old);
        }
    }
    size_t i = sparse_slot(v, id);
    if (!v->sparse[i]) v->sparse_n++;
    v->sparse[i] = ((uint64_t)id << 32) | ent1;
    return HFC_OK;
}

/* entry + 1 that owns id, or 0 */
static uint32_t id_entry(const tk_vocab *v, uint32_t id) {
    if (id < v->dense_cap) return v->by_id[id];
    if (id < v->dense_limit || !v->sparse) return 0;
    uint64_t s = v->sparse[sparse_slot(v, id)];
    return s ? (uint32_t)s : 0;
}

static hfc_status id_set(tk_vocab *v, uint32_t id, uint32_t ent1) {
    if (id >= v->dense_limit) return sparse_set(v, id, ent1);
    if (id >= v->dense_cap) {
        size_t old = v->dense_cap;
        void *p = v->by_id;
        HFC_TRY(hfc_grow(&p, &v->dense_cap, (size_t)id + 1, sizeof *v->by_id));
        v->by_id = p;
        if (v->dense_cap > v->dense_limit) v->dense_cap = v->dense_limit;
        memset(v->by_id + old, 0, (v->dense_cap - old) * sizeof *v->by_id);
    }
    v->by_id[id] = ent1;
    return HFC_OK;
}

/* ------------------------------------------------------------------ token -> entry */

static inline uint32_t slot_tag(uint64_t h) { return (uint32_t)(h >> 32) | 1; }

static inline size_t find_slot(const tk_vocab *v, const char *tok, uint32_t len, uint64_t h) {
    uint32_t tag = slot_tag(h);
    for (size_t i = (size_t)h & v->mask;; i = (i + 1) & v->mask) {
        const vocab_slot *sl = &v->slot[i];
        if (!sl->tag) return i;
        if (sl->tag == tag && sl->len == len &&
            eq_bytes((const uint8_t *)v->pool + sl->off, (const uint8_t *)tok, len))
            return i;
    }
}

static hfc_status rehash(tk_vocab *v) {
    size_t ncap = (v->mask + 1) * 2;
    vocab_slot *ns = hfc_calloc(ncap, sizeof *ns);
    if (!ns) return hfc_fail(HFC_ERR_NOMEM, "out of memory growing a vocabulary");
    size_t omask = v->mask;
    vocab_slot *old = v->slot;
    v->slot = ns;
    v->mask = ncap - 1;
    for (size_t k = 0; k <= omask; k++) {
        if (!old[k].tag) continue;
        uint64_t h = hash_bytes(v->pool + old[k].off, old[k].len);
        size_t i = (size_t)h & v->mask;
        while (ns[i].tag) i = (i + 1) & v->mask;
        ns[i] = old[k];
    }
    hfc_free(old);
    return HFC_OK;
}

/* The entry whose bytes start at pool offset off (entries are in pool order). */
static uint32_t entry_at(const tk_vocab *v, uint32_t off) {
    size_t lo = 0, hi = v->n;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (v->ent[mid].off <= off) lo = mid;
        else hi = mid;
    }
    return (uint32_t)lo;
}

static void note_max_id(tk_vocab *v, uint32_t id) {
    if (id >= v->max_id1) v->max_id1 = id == UINT32_MAX ? id : id + 1;
}

hfc_status tk_vocab_add(tk_vocab *v, const char *tok, uint32_t len, uint32_t id) {
    uint64_t h = hash_bytes(tok, len);
    size_t i = find_slot(v, tok, len, h);
    vocab_slot *sl = &v->slot[i];
    if (sl->tag) { /* duplicate token: last wins, its old id loses its string */
        uint32_t e1 = entry_at(v, sl->off) + 1;
        if (sl->id != id) {
            if (id_entry(v, sl->id) == e1) HFC_TRY(id_set(v, sl->id, 0));
            sl->id = id;
            v->ent[e1 - 1].id = id;
            HFC_TRY(id_set(v, id, e1));
        }
        note_max_id(v, id);
        return HFC_OK;
    }
    if (v->n >= UINT32_MAX - 1 || v->pool_len + len + 16 > UINT32_MAX)
        return hfc_fail(HFC_ERR_OVERFLOW, "vocabulary exceeds 4 GiB or 4G entries");
    if (v->pool_len + len + 1 > v->pool_cap) {
        void *p = v->pool;
        HFC_TRY(hfc_grow(&p, &v->pool_cap, v->pool_len + len + 1, 1));
        v->pool = p;
    }
    if (v->n + 1 > v->ent_cap) {
        void *p = v->ent;
        HFC_TRY(hfc_grow(&p, &v->ent_cap, v->n + 1, sizeof *v->ent));
        v->ent = p;
    }
    memcpy(v->pool + v->pool_len, tok, len);
    v->pool[v->pool_len + len] = '\0'; /* token strings read as C strings too */
    uint32_t e1 = (uint32_t)(v->n + 1), off = (uint32_t)v->pool_len;
    v->ent[v->n] = (vocab_ent){off, len, id};
    *sl = (vocab_slot){slot_tag(h), id, off, len};
    v->pool_len += (size_t)len + 1;
    v->n++;
    HFC_TRY(id_set(v, id, e1));
    note_max_id(v, id);
    if (v->n * 4 > (v->mask + 1) * 3) HFC_TRY(rehash(v));
    return HFC_OK;
}

int64_t tk_vocab_get(const tk_vocab *v, const char *tok, uint32_t len) {
    const vocab_slot *sl = &v->slot[find_slot(v, tok, len, hash_bytes(tok, len))];
    return sl->tag ? (int64_t)sl->id : -1;
}

void tk_vocab_prefetch(const tk_vocab *v, const char *tok, uint32_t len) {
    __builtin_prefetch(&v->slot[(size_t)hash_bytes(tok, len) & v->mask]);
}

const char *tk_vocab_token(const tk_vocab *v, uint32_t id, uint32_t *len) {
    uint32_t e1 = id_entry(v, id);
    if (!e1) {
        if (len) *len = 0;
        return NULL;
    }
    const vocab_ent *e = &v->ent[e1 - 1];
    if (len) *len = e->len;
    return v->pool + e->off;
}

bool tk_vocab_entry(const tk_vocab *v, size_t i, const char **tok, uint32_t *len, uint32_t *id) {
    if (i >= v->n) return false;
    const vocab_ent *e = &v->ent[i];
    *tok = v->pool + e->off;
    *len = e->len;
    *id = e->id;
    return true;
}

size_t tk_vocab_size(const tk_vocab *v) { return v->n; }
uint32_t tk_vocab_max_id(const tk_vocab *v) { return v->max_id1; }

size_t tk_vocab_max_token_len(const tk_vocab *v) {
    size_t m = 0;
    for (size_t i = 0; i < v->n; i++)
        if (v->ent[i].len > m) m = v->ent[i].len;
    return m;
}
