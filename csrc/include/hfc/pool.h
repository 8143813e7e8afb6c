/* The library's one worker pool.
 *
 * N-1 persistent pthreads plus the calling thread run hfc_parallel_for jobs. N defaults
 * to HFC_NUM_THREADS if set, else the CPUs in the process affinity mask. Threads start
 * lazily on the first parallel job. After fork() the child gets a fresh, empty pool
 * (workers are re-created on its first job), so forked DataLoader workers are safe.
 *
 * A job submitted while the pool is busy (another Python thread, or a nested call from
 * inside a task) runs inline on the caller's thread: never a deadlock, never oversubscribed.
 */
#ifndef HFC_POOL_H
#define HFC_POOL_H

#include <stddef.h>
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Run items [begin, end) of a job. `worker` is 0 for the caller, 1..n-1 for pool
 * threads (stable per thread: use it to index per-thread scratch of get_num_threads()
 * slots). A non-OK return stops handing out further chunks; the first failure's status
 * and message are returned by hfc_parallel_for on the calling thread. */
typedef hfc_status (*hfc_task_fn)(void *ctx, size_t begin, size_t end, int worker);

/* Split [0, n) into chunks of at least `grain` items (0 -> automatic) and run them on
 * the pool. Returns when every chunk has finished. */
hfc_status hfc_parallel_for(size_t n, size_t grain, hfc_task_fn fn, void *ctx);
/* Same, on at most `max_threads` threads (>= 1): worker ids stay in [0, max_threads).
 * Size per-thread scratch with n = hfc_get_num_threads() and pass that n, so a resize
 * by another thread between the two calls cannot hand out an id past the scratch. */
hfc_status hfc_parallel_for_max(size_t n, size_t grain, int max_threads, hfc_task_fn fn,
                                void *ctx);

int hfc_get_num_threads(void);
/* n >= 1; waits for a running job to finish, then resizes. n > 1024 -> HFC_ERR_INVALID;
 * called from inside a task -> HFC_ERR_STATE (it would wait for itself). */
hfc_status hfc_set_num_threads(int n);
/* HFC_NUM_THREADS (a positive integer, capped at 1024; anything else is ignored) or the
 * number of CPUs in the affinity mask. Read afresh on every call. */
int hfc_default_num_threads(void);
/* Stop and join all workers (tests, module teardown). The pool restarts lazily.
 * A no-op when called from inside a task. */
void hfc_pool_shutdown(void);

/* Counters for tests and diagnostics. */
typedef struct hfc_pool_stats {
    int num_threads;                  /* hfc_get_num_threads() */
    int workers_running;              /* pool pthreads alive now (0 before the first job) */
    unsigned long long parallel_jobs; /* jobs run on the pool */
    unsigned long long inline_jobs;   /* jobs run whole on the calling thread */
} hfc_pool_stats;
void hfc_pool_get_stats(hfc_pool_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* HFC_POOL_H */
