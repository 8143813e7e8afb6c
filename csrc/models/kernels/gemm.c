/* GEMM driver: BLIS-style blocking over the per-ISA microkernel (hfc_kernels.gemm_*).
 *
 *   C[m,n] = alpha * A[m,k] · B + beta * C, then + bias[n], then act(.)
 *
 * C is cut into tiles of (row group) x nc (multiples of MR x NR); one pool task computes
 * one whole tile over all of k, so a tile is written by one thread and the
 * bias/activation epilogue runs while the tile is still in cache. Per depth block of kc:
 *   pack B[kc, nc] (converting f16/bf16 weights to fp32)   -> Bp, L2-resident
 *   pack A[mc, kc] * alpha (in place when alpha = 1)        -> Ap
 *   for each MR-row panel of A (L1-resident):
 *     for each NR-column panel of Bp (streamed from L2): microkernel MR x NR x kc
 * When B's whole depth for the tile's columns fits Bp (GEMM_FULLK_BYTES), it is packed
 * once per thread and column block (b_memo) and each row block is finished over all of
 * k; otherwise the depth blocks are the outer loop.
 * Edge tiles (rows past m / columns past n) run the microkernel into a scratch tile.
 * Packing buffers are per worker and per call: nothing of B is kept between calls.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "hfc/pool.h"
#include "kernels_impl.h"

/* Depth blocks of up to KC: an MR x KC panel of A (16 KB at MR 8) stays in L1 while the
 * KC x NC block of Bp streams from L2, so NC is what keeps that block within about a
 * third of L2 (B_BLOCK_BYTES; at 1 MB, with A's and C's blocks beside it, it was
 * evicted); fewer, longer depth blocks mean fewer passes over C. Overridable for tuning
 * runs (-DGEMM_KC=...). */
#ifndef GEMM_KC
#define GEMM_KC 512
#endif
#ifndef GEMM_MC_MAX
#define GEMM_MC_MAX 192
#endif
#ifndef GEMM_NC_MAX
#define GEMM_NC_MAX 1024
#endif
#ifndef GEMM_B_BLOCK_BYTES
#define GEMM_B_BLOCK_BYTES (640u << 10)
#endif
/* Bp holds B's whole depth for a column block up to this size: only its KC-deep slice
 * is hot at a time, so it may exceed L2 (1536 x 384 weights are 2.4 MB) */
#ifndef GEMM_FULLK_BYTES
#define GEMM_FULLK_BYTES (4u << 20)
#endif
/* With several threads, rows are split (each thread packing the B blocks it uses) rather
 * than columns only when A is at least this large: a smaller A is re-read from L2 by
 * every column block at little cost, while packing B again would not be free */
#define GEMM_ROWSPLIT_A_BYTES (2u << 20)

typedef struct gemm_job {
    const hfc_kernels *K;
    size_t m, n, k;
    const float *a;
    size_t lda;
    float alpha;
    const void *b;
    int wt, trans;
    size_t ldb, esize;
    float beta;
    float *c;
    size_t ldc;
    const float *bias;
    hfc_act act;
    size_t mc, nc, kc, nb;     /* block sizes; column blocks */
    size_t rows_per_group, groups; /* row groups (tasks = nb * groups) */
    size_t scratch_floats;     /* per task: Ap | Bp | edge tile (hfc_models_scratch slot 0) */
    bool fullk;                /* Bp holds all of k for the task's columns */
    uint64_t call;             /* this call's number (gemm_calls) for b_memo, or 0 */
} gemm_job;

/* Which B block this thread's Bp holds: a thread that takes several row groups of the
 * same column block in one call packs that block once. Call numbers are unique per
 * gemm_run, so a Bp packed by an earlier call (or by another GEMM run on this thread
 * in between) never matches. */
typedef struct b_memo {
    const float *bp;
    uint64_t call;
    size_t jb;
} b_memo;
static _Thread_local b_memo bmemo;
static _Atomic uint64_t gemm_calls;

static size_t round_up(size_t x, size_t r) { return (x + r - 1) / r * r; }
static size_t cdiv(size_t x, size_t r) { return (x + r - 1) / r; }

static void apply_act(const hfc_kernels *K, hfc_act act, float *y, size_t n) {
    switch (act) {
    case HFC_ACT_GELU_ERF: K->gelu_erf(y, n); break;
    case HFC_ACT_GELU_TANH: K->gelu_tanh(y, n); break;
    case HFC_ACT_QUICK_GELU: K->quick_gelu(y, n); break;
    case HFC_ACT_SILU: K->silu(y, n); break;
    case HFC_ACT_RELU:
        for (size_t j = 0; j < n; j++) y[j] = y[j] > 0.0f ? y[j] : 0.0f;
        break;
    case HFC_ACT_TANH:
        for (size_t j = 0; j < n; j++) y[j] = tanhf(y[j]);
        break;
    default: break;
    }
}

static const void *b_at(const gemm_job *g, size_t p, size_t j) {
    size_t off = g->trans ? j * g->ldb + p : p * g->ldb + j;
    return (const char *)g->b + off * g->esize;
}

/* bias + activation on rows [0, rows) x columns [j0, j0 + nc) of C at c. */
static void gemm_epilogue(const gemm_job *g, float *c, size_t rows, size_t j0, size_t nc) {
    if (!g->bias && g->act == HFC_ACT_NONE) return;
    for (size_t i = 0; i < rows; i++) {
        float *row = c + i * g->ldc;
        if (g->bias)
            for (size_t j = 0; j < nc; j++) row[j] += g->bias[j0 + j];
        apply_act(g->K, g->act, row, nc);
    }
}

/* The macro-kernel: C[mc, nc] (+)= A[mc, kc] · Bp over one depth block of kc. Full
 * MR-row panels of A are read in place (a, lda) when `direct`; otherwise, and for the
 * partial last panel, from the packed panels in ap. Row panels outside: the MR x kc
 * panel of A stays in L1 while the column panels of Bp stream from L2 (with B panels
 * outside, a kc x NR panel of Bp, 64 KB at kc 512, would not fit L1). In the `last`
 * depth block, each row panel's bias/activation epilogue runs right after it, while its
 * MR rows of C (columns j0 + [0, nc)) are still in L1. */
static void gemm_macro(const gemm_job *g, const float *a, bool direct, const float *ap,
                       const float *bp, float *c, size_t mc, size_t nc, size_t kc, int acc,
                       float *edge, size_t j0, bool last) {
    const hfc_kernels *K = g->K;
    const size_t MR = (size_t)K->gemm_mr, NR = (size_t)K->gemm_nr;
    for (size_t ir = 0; ir < mc; ir += MR) {
        size_t rows = mc - ir < MR ? mc - ir : MR;
        bool in_place = direct && rows == MR;
        const float *apan = in_place ? a + ir * g->lda : ap + ir * kc;
        size_t lda = in_place ? g->lda : 0;
        for (size_t jr = 0; jr < nc; jr += NR) {
            size_t cols = nc - jr < NR ? nc - jr : NR;
            const float *bpan = bp + jr * kc;
            float *cc = c + ir * g->ldc + jr;
            if (rows == MR && cols == NR) {
                K->gemm_ukr(kc, apan, lda, bpan, cc, g->ldc, acc);
                continue;
            }
            if (acc)
                for (size_t i = 0; i < rows; i++)
                    memcpy(edge + i * NR, cc + i * g->ldc, cols * sizeof(float));
            K->gemm_ukr(kc, apan, lda, bpan, edge, NR, acc);
            for (size_t i = 0; i < rows; i++)
                memcpy(cc + i * g->ldc, edge + i * NR, cols * sizeof(float));
        }
        if (last) gemm_epilogue(g, c + ir * g->ldc, rows, j0, nc);
    }
}

/* Rows [i, i + mc) of A over depth [p0, p0 + kc) against the packed B block: A is
 * read in place when alpha = 1 (only a partial last panel is packed), else packed. */
static void gemm_rows(const gemm_job *g, size_t i, size_t p0, size_t mc, size_t kc, float *ap,
                      const float *bp, float *c, size_t j0, size_t nc, int acc, float *edge) {
    const size_t MR = (size_t)g->K->gemm_mr;
    const float *a = g->a + i * g->lda + p0;
    bool direct = g->alpha == 1.0f;
    size_t from = direct ? mc / MR * MR : 0;
    if (from < mc)
        g->K->gemm_pack_a(a + from * g->lda, g->lda, mc - from, kc, g->alpha, ap + from * kc);
    gemm_macro(g, a, direct, ap, bp, c, mc, nc, kc, acc, edge, j0, p0 + kc >= g->k);
}

/* One task: column block jb (nc wide) x row group (whole mc blocks). B's depth block is
 * packed once per task (with its whole depth: once per thread and column block) and
 * reused down all of the group's rows. Consecutive tasks share a column block. */
static void gemm_tile(const gemm_job *g, size_t t, float *scratch) {
    const size_t MR = (size_t)g->K->gemm_mr, NR = (size_t)g->K->gemm_nr;
    size_t jb = t / g->groups, grp = t % g->groups;
    size_t j0 = jb * g->nc, r0 = grp * g->rows_per_group;
    if (j0 >= g->n || r0 >= g->m) return;
    size_t nc = g->n - j0 < g->nc ? g->n - j0 : g->nc;
    size_t rows = g->m - r0 < g->rows_per_group ? g->m - r0 : g->rows_per_group;
    float *ap = scratch, *bp = ap + round_up(round_up(g->mc, MR) * g->kc, 16);
    float *edge = bp + round_up(round_up(g->nc, NR) * (g->fullk ? g->k : g->kc), 16);
    float *c = g->c + r0 * g->ldc + j0;

    if (g->beta != 0.0f && (g->beta != 1.0f || g->k == 0)) {
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < nc; j++) c[i * g->ldc + j] *= g->beta;
    } else if (g->beta == 0.0f && g->k == 0) {
        for (size_t i = 0; i < rows; i++) memset(c + i * g->ldc, 0, nc * sizeof(float));
    }
    if (g->k == 0) {
        gemm_epilogue(g, c, rows, j0, nc);
        return;
    }
    size_t ncpad = round_up(nc, NR);
    if (g->fullk) {
        /* B's whole depth for these columns fits Bp: pack it (unless this thread packed
         * this column block for an earlier row group of the call), then finish each row
         * block over all of k while its C tile stays in cache */
        if (!(g->call && bmemo.bp == bp && bmemo.call == g->call && bmemo.jb == jb)) {
            for (size_t p0 = 0; p0 < g->k; p0 += g->kc) {
                size_t kc = g->k - p0 < g->kc ? g->k - p0 : g->kc;
                g->K->gemm_pack_b(b_at(g, p0, j0), g->wt, g->trans, g->ldb, nc, kc,
                                  bp + p0 * ncpad);
            }
            bmemo = (b_memo){bp, g->call, jb};
        }
        for (size_t i0 = 0; i0 < rows; i0 += g->mc) {
            size_t mc = rows - i0 < g->mc ? rows - i0 : g->mc;
            for (size_t p0 = 0; p0 < g->k; p0 += g->kc) {
                size_t kc = g->k - p0 < g->kc ? g->k - p0 : g->kc;
                gemm_rows(g, r0 + i0, p0, mc, kc, ap, bp + p0 * ncpad, c + i0 * g->ldc, j0,
                          nc, g->beta != 0.0f || p0 > 0, edge);
            }
        }
        return;
    }
    for (size_t p0 = 0; p0 < g->k; p0 += g->kc) {
        size_t kc = g->k - p0 < g->kc ? g->k - p0 : g->kc;
        g->K->gemm_pack_b(b_at(g, p0, j0), g->wt, g->trans, g->ldb, nc, kc, bp);
        for (size_t i0 = 0; i0 < rows; i0 += g->mc) {
            size_t mc = rows - i0 < g->mc ? rows - i0 : g->mc;
            gemm_rows(g, r0 + i0, p0, mc, kc, ap, bp, c + i0 * g->ldc, j0, nc,
                      g->beta != 0.0f || p0 > 0, edge);
        }
    }
}

/* ---- per-thread scratch ----
 * Each thread keeps its packing buffers between calls (grow-only, 64-byte aligned, freed
 * when the thread exits): a model calls hfc_linear hundreds of times per forward pass,
 * and a fresh allocation each time would cost page faults comparable to a small GEMM.
 * These are an MC x KC panel of A and one column block of B (at most GEMM_FULLK_BYTES, or
 * KC deep), never a whole weight, and nothing in them is reused by a later call. */
typedef struct scratch_slots {
    float *p[HFC_SCRATCH_SLOTS];
    size_t cap[HFC_SCRATCH_SLOTS];
} scratch_slots;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *v) {
    scratch_slots *s = v;
    for (int i = 0; i < HFC_SCRATCH_SLOTS; i++) free(s->p[i]);
    free(s);
}
static void scratch_init(void) { (void)pthread_key_create(&scratch_key, scratch_free); }

float *hfc_models_scratch(int slot, size_t floats) {
    pthread_once(&scratch_once, scratch_init);
    scratch_slots *s = pthread_getspecific(scratch_key);
    if (!s) {
        if (!(s = calloc(1, sizeof *s))) return NULL;
        if (pthread_setspecific(scratch_key, s) != 0) {
            free(s);
            return NULL;
        }
    }
    if (s->cap[slot] < floats) {
        free(s->p[slot]);
        s->cap[slot] = 0;
        size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
        if (!(s->p[slot] = aligned_alloc(64, bytes))) return NULL;
        s->cap[slot] = floats;
    }
    return s->p[slot];
}

static hfc_status gemm_task(void *ctx, size_t begin, size_t end, int worker) {
    gemm_job *g = ctx;
    float *s = hfc_models_scratch(0, g->scratch_floats);
    if (!s)
        return hfc_fail(HFC_ERR_NOMEM, "gemm: cannot allocate %zu bytes of scratch",
                        g->scratch_floats * sizeof(float));
    for (size_t t = begin; t < end; t++) gemm_tile(g, t, s);
    return HFC_OK;
}

const hfc_kernels *hfc_models_kernels(void) {
    if (HFC_UNLIKELY(hfc_kernels_active.gemm_ukr == NULL)) {
        if (hfc_dispatch_init() != HFC_OK || hfc_kernels_active.gemm_ukr == NULL)
            hfc_models_kernels_fill(HFC_ISA_SCALAR, &hfc_kernels_active);
    }
    return &hfc_kernels_active;
}

/* Choose the split. One thread: column blocks of at most NC_MAX, all rows. Several
 * threads, one of two layouts:
 *  - columns: about 4 blocks per thread (at least 2 NR panels wide), so a thread the OS
 *    delays is covered by the others; each block packs its part of B once, and reads all
 *    of A; rows are split only with fewer column blocks than threads;
 *  - rows (when A is large): the widest column blocks, 4 row groups per thread; A is read
 *    once per column block, and each thread packs the blocks of B it uses once (b_memo).
 * Whichever moves less: per thread, A read per column block + B packing weighted 2x
 * (read and transposed write), in units of k floats. */
static void gemm_plan(gemm_job *g, int threads) {
    const size_t MR = (size_t)g->K->gemm_mr, NR = (size_t)g->K->gemm_nr;
    size_t T = threads > 0 ? (size_t)threads : 1;
    size_t npan = cdiv(g->n, NR), mpan = cdiv(g->m, MR);
    g->kc = g->k < GEMM_KC ? (g->k ? g->k : 1) : GEMM_KC;
    /* balance the depth blocks: 600 = 512 + 88 is worse than 2 x 300 */
    if (g->k > GEMM_KC) g->kc = cdiv(g->k, cdiv(g->k, GEMM_KC));
    size_t nc_max = GEMM_B_BLOCK_BYTES / (g->kc * sizeof(float)) / NR * NR;
    if (nc_max > GEMM_NC_MAX) nc_max = GEMM_NC_MAX;
    if (nc_max < NR) nc_max = NR;
    size_t nb_min = cdiv(g->n, nc_max), nb = nb_min, groups = 1;
    if (T > 1) {
        size_t want = 4 * T, most = npan / 2 ? npan / 2 : 1;
        if (nb < want) nb = want < most ? want : most;
        if (round_up(nb, T) <= npan) nb = round_up(nb, T);
        if (nb < T) groups = cdiv(T, nb) <= mpan ? cdiv(T, nb) : mpan;
        size_t nc_r = round_up(cdiv(g->n, nb_min), NR);
        bool whole_r = g->k * nc_r * sizeof(float) <= GEMM_FULLK_BYTES;
        double m = (double)g->m, n = (double)g->n;
        double cost_c = ((double)nb * m + 2.0 * (double)groups * n) / (double)T;
        double cost_r = (double)nb_min * m / (double)T + 2.0 * n;
        if (whole_r && g->m * g->k * sizeof(float) >= GEMM_ROWSPLIT_A_BYTES && cost_r < cost_c &&
            mpan >= want) {
            nb = nb_min;
            groups = want;
        }
    }
    g->nc = round_up(cdiv(g->n, nb), NR);
    g->nb = cdiv(g->n, g->nc);
    g->rows_per_group = round_up(cdiv(g->m, groups), MR);
    g->groups = cdiv(g->m, g->rows_per_group);
    /* row blocks of equal size: 512 rows as 3 x 176, not 192 + 192 + 128 */
    g->mc = round_up(cdiv(g->rows_per_group, cdiv(g->rows_per_group, GEMM_MC_MAX)), MR);
    size_t bdepth = g->kc;
    g->fullk = g->k * round_up(g->nc, NR) * sizeof(float) <= GEMM_FULLK_BYTES;
    if (g->fullk) bdepth = g->k;
    g->scratch_floats = round_up(round_up(g->mc, MR) * g->kc, 16) +
                        round_up(round_up(g->nc, NR) * bdepth, 16) + MR * NR;
    /* numbered only when tasks may share a thread's Bp (one task: nothing to share, and
     * no atomic for the per-head GEMMs of attention) */
    g->call = g->nb * g->groups > 1
                  ? atomic_fetch_add_explicit(&gemm_calls, 1, memory_order_relaxed) + 1
                  : 0;
}

static hfc_status gemm_run(gemm_job *g, int threads) {
    if (g->m == 0 || g->n == 0) return HFC_OK;
    int nthreads = hfc_get_num_threads();
    if (threads <= 0 || threads > nthreads) threads = nthreads;
    /* below ~0.5 MFLOP, waking a second thread costs more than it saves */
    if ((double)g->m * (double)g->n * (double)g->k < 262144.0) threads = 1;
    gemm_plan(g, threads);
    size_t tiles = g->nb * g->groups;
    if ((size_t)threads > tiles) threads = (int)tiles;
    if (threads > 1) return hfc_parallel_for_max(tiles, 1, threads, gemm_task, g);
    return gemm_task(g, 0, tiles, 0);
}

static hfc_status check_wt_act(hfc_wtype wt, hfc_act act) {
    if ((unsigned)wt > HFC_DT_BF16)
        return hfc_fail(HFC_ERR_INVALID, "linear: unknown weight dtype %d", (int)wt);
    if ((unsigned)act > HFC_ACT_SILU)
        return hfc_fail(HFC_ERR_INVALID, "linear: unknown activation %d", (int)act);
    return HFC_OK;
}

size_t hfc_wtype_size(hfc_wtype wt) {
    switch (wt) {
    case HFC_DT_F32: return 4;
    case HFC_DT_F16:
    case HFC_DT_BF16: return 2;
    default: return 0;
    }
}

/* ---- small m: dot-product kernel over column ranges ---- */

#define SMALL_N_GRAIN 64

typedef struct small_job {
    const gemm_job *g;
} small_job;

static hfc_status small_task(void *ctx, size_t begin, size_t end, int worker) {
    const gemm_job *g = ((small_job *)ctx)->g;
    size_t n0 = begin * SMALL_N_GRAIN, n1 = end * SMALL_N_GRAIN;
    if (n1 > g->n) n1 = g->n;
    g->K->linear_small(g->a, g->lda, g->m, g->k, g->b, g->wt, n0, n1, g->c, g->ldc);
    gemm_epilogue(g, g->c + n0, g->m, n0, n1 - n0);
    return HFC_OK;
}

static hfc_status linear_small_run(gemm_job *g, int threads) {
    int nthreads = hfc_get_num_threads();
    if (threads <= 0 || threads > nthreads) threads = nthreads;
    if ((double)g->m * (double)g->n * (double)g->k < 262144.0) threads = 1;
    small_job j = {g};
    size_t chunks = cdiv(g->n, SMALL_N_GRAIN);
    if (threads > 1) return hfc_parallel_for_max(chunks, 1, threads, small_task, &j);
    return small_task(&j, 0, chunks, 0);
}

/* Internal: hfc_linear_strided on at most `threads` threads (1 = never the pool). */
hfc_status hfc_linear_threads(const float *x, size_t ldx, size_t m, size_t k, const void *w,
                              hfc_wtype wt, size_t n, const float *bias, hfc_act act, float *y,
                              size_t ldy, int threads) {
    HFC_TRY(check_wt_act(wt, act));
    if (m && n && ((k && (!x || !w)) || !y))
        return hfc_fail(HFC_ERR_INVALID, "linear: NULL data pointer");
    if ((m > 1 && ldx < k) || (m > 1 && ldy < n))
        return hfc_fail(HFC_ERR_INVALID, "linear: row stride smaller than the row");
    gemm_job g = {.K = hfc_models_kernels(), .m = m, .n = n, .k = k, .a = x, .lda = ldx,
                  .alpha = 1.0f, .b = w, .wt = (int)wt, .trans = 1, .ldb = k,
                  .esize = hfc_wtype_size(wt), .beta = 0.0f, .c = y, .ldc = ldy,
                  .bias = bias, .act = act};
    if (g.K->linear_small && m <= HFC_SMALL_M_MAX && m > 0 && n > 0 && k > 0)
        return linear_small_run(&g, threads);
    return gemm_run(&g, threads);
}

hfc_status hfc_linear_strided(const float *x, size_t ldx, size_t m, size_t k, const void *w,
                              hfc_wtype wt, size_t n, const float *bias, hfc_act act, float *y,
                              size_t ldy) {
    return hfc_linear_threads(x, ldx, m, k, w, wt, n, bias, act, y, ldy, 0);
}

hfc_status hfc_linear(const float *x, size_t m, size_t k, const void *w, hfc_wtype wt,
                      size_t n, const float *bias, hfc_act act, float *y) {
    return hfc_linear_threads(x, k, m, k, w, wt, n, bias, act, y, n, 0);
}

hfc_status hfc_gemm_f32_threads(bool trans_b, size_t m, size_t n, size_t k, float alpha,
                                const float *a, size_t lda, const float *b, size_t ldb,
                                float beta, float *c, size_t ldc, int threads) {
    if (m && n && ((k && (!a || !b)) || !c))
        return hfc_fail(HFC_ERR_INVALID, "gemm: NULL data pointer");
    if ((m > 1 && lda < k) || (m > 1 && ldc < n) || (trans_b ? (n > 1 && ldb < k) : (k > 1 && ldb < n)))
        return hfc_fail(HFC_ERR_INVALID, "gemm: row stride smaller than the row");
    gemm_job g = {.K = hfc_models_kernels(), .m = m, .n = n, .k = k, .a = a, .lda = lda,
                  .alpha = alpha, .b = b, .wt = HFC_DT_F32, .trans = trans_b, .ldb = ldb,
                  .esize = 4, .beta = beta, .c = c, .ldc = ldc, .act = HFC_ACT_NONE};
    return gemm_run(&g, threads);
}

hfc_status hfc_gemm_f32(bool trans_b, size_t m, size_t n, size_t k, float alpha,
                        const float *a, size_t lda, const float *b, size_t ldb, float beta,
                        float *c, size_t ldc) {
    return hfc_gemm_f32_threads(trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, 0);
}
