/* The library's one worker pool (see hfc/pool.h).
 *
 * How a job runs. The submitting thread (the "owner") holds pool.lock for the whole
 * job, writes the job description (fn, ctx, n, chunk size), opens the job in `ticket`
 * (its generation, an open bit, a count of workers inside) and bumps the generation
 * counter `gen`. A live worker notices the new generation (spinning briefly, else
 * sleeping on wake_cond) and joins by incrementing the count with a CAS that only
 * succeeds while the ticket still names that generation and is open; inside, it takes
 * chunks from the atomic `next_begin` counter alongside the owner, then leaves. Once the
 * owner runs out of chunks it closes the ticket and waits only for the workers inside
 * (the last to leave a closed job signals done_cond). So the job description is never
 * rewritten while a worker can still read it, and a worker that the OS has not
 * scheduled yet (a loaded machine) costs the owner nothing: it finds the job closed and
 * waits for the next one, instead of the owner waiting a time slice for it.
 *
 * Who runs inline. A caller that finds pool.lock taken (another thread's job, a resize)
 * or that is itself inside a task (tls_in_task) runs the whole range as one call with
 * worker id 0: concurrent submitters never wait for each other and never deadlock.
 *
 * fork(). The child inherits a copy of this struct but none of the worker threads, and
 * possibly locks held by threads that no longer exist. The atfork child handler
 * re-creates every lock and condition and forgets the workers; the child's first
 * parallel job spawns new ones.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT, MADV_*, mkfifo */
#endif
#include "hfc/pool.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POOL_MAX_THREADS 1024
/* How long an idle worker (or a waiting owner) polls before sleeping: long enough to
 * catch back-to-back jobs without a futex round trip (~5-15 us here), short enough not
 * to burn CPU. For the first POOL_BUSY_NS it only pauses, then it also yields. */
#define POOL_SPIN_NS 5000
#define POOL_BUSY_NS 1000
#define TICKET_OPEN (1ull << 31)
#define TICKET_COUNT (TICKET_OPEN - 1)

typedef struct pool_worker {
    pthread_t thread;
    int id;             /* 1..n_workers */
    unsigned start_gen; /* generation already published when the worker was created */
    unsigned epoch;     /* pool_epoch at creation (changes only in a fork child) */
} pool_worker;

static struct pool {
    /* Held by a job's owner for the whole job, and by resize/shutdown. */
    pthread_mutex_t lock;
    /* Guards the sleep/wake hand-offs on the two conditions below. */
    pthread_mutex_t wake_lock;
    pthread_cond_t wake_cond; /* workers: gen changed or stop set */
    pthread_cond_t done_cond; /* owner: no worker inside the closed job */

    int n_workers; /* live pthreads, ids 1..n_workers (under lock) */
    pool_worker workers[POOL_MAX_THREADS - 1];

    /* The current job: written by the owner before gen is published, then read-only
     * until every worker has checked out. */
    hfc_task_fn fn;
    void *ctx;
    size_t n, grain; /* items; the smallest chunk (but the last) */
    int n_participants;  /* workers with id < this run chunks; the others stay out */
    hfc_error_state err; /* first failure, written by whoever wins `failed` */

    _Atomic int n_threads; /* configured size; 0 until first asked */
    _Atomic int workers_running;
    _Atomic unsigned long long parallel_jobs, inline_jobs;

    alignas(64) _Atomic unsigned gen;
    _Atomic bool stop;
    _Atomic int sleepers;       /* workers blocked (or about to block) on wake_cond */
    _Atomic bool owner_waiting; /* the owner is blocked (or about to block) on done_cond */
    alignas(64) _Atomic size_t next_begin; /* the first item not yet handed out */
    _Atomic bool failed;
    /* (generation << 32) | TICKET_OPEN while workers may join | workers inside */
    alignas(64) _Atomic uint64_t ticket;
} pool = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .wake_lock = PTHREAD_MUTEX_INITIALIZER,
    .wake_cond = PTHREAD_COND_INITIALIZER,
    .done_cond = PTHREAD_COND_INITIALIZER,
};

static _Atomic unsigned pool_epoch;         /* bumped in every fork child */
static _Thread_local bool tls_in_task;      /* running a task (pool workers: always) */
static _Thread_local bool tls_owner;        /* holds pool.lock as a job's owner */
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

/* ---- small helpers ---- */

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Poll `done(arg)` for up to POOL_SPIN_NS; true if it became true. After a short
 * busy phase it yields: when the thread we wait for shares our CPU (a loaded machine,
 * a narrow affinity mask), spinning would only delay it. */
static bool spin_until(bool (*done)(void *), void *arg) {
    uint64_t start = 0;
    for (unsigned i = 0;; i++) {
        if (done(arg)) return true;
        if ((i & 31) == 31) {
            uint64_t t = now_ns();
            if (!start) start = t;
            else if (t - start >= POOL_SPIN_NS) return false;
            else if (t - start >= POOL_BUSY_NS) sched_yield();
        }
        cpu_relax();
    }
}

/* ---- fork ---- */

static void pool_atfork_child(void) {
    /* The parent's locks may be held by threads that do not exist here: start over. */
    memset(&pool.lock, 0, sizeof pool.lock);
    memset(&pool.wake_lock, 0, sizeof pool.wake_lock);
    memset(&pool.wake_cond, 0, sizeof pool.wake_cond);
    memset(&pool.done_cond, 0, sizeof pool.done_cond);
    pthread_mutex_init(&pool.lock, NULL);
    pthread_mutex_init(&pool.wake_lock, NULL);
    pthread_cond_init(&pool.wake_cond, NULL);
    pthread_cond_init(&pool.done_cond, NULL);
    pool.n_workers = 0;
    atomic_store(&pool.workers_running, 0);
    atomic_store(&pool.stop, false);
    atomic_store(&pool.sleepers, 0);
    atomic_store(&pool.owner_waiting, false);
    atomic_store(&pool.ticket, 0);
    /* Stop any chunk loop the forking thread returns to (it forked inside a task). */
    atomic_store(&pool.failed, true);
    atomic_fetch_add(&pool_epoch, 1);
    if (tls_owner) {
        /* Forked inside a task of a job this thread owns: the chunks taken by the
         * parent's workers are lost here, so the job fails in the child. The owner
         * still unlocks pool.lock on its way out: hand it a locked one. */
        static const char msg[] = "fork() inside a parallel task: the job cannot complete "
                                  "in the child process";
        pool.err.code = HFC_ERR_STATE;
        pool.err.sys_errno = 0;
        memcpy(pool.err.message, msg, sizeof msg);
        pthread_mutex_lock(&pool.lock);
    }
}

static void pool_register_atfork(void) { pthread_atfork(NULL, NULL, pool_atfork_child); }

static void pool_init(void) { pthread_once(&pool_once, pool_register_atfork); }

/* ---- sizing ---- */

int hfc_default_num_threads(void) {
    const char *env = getenv("HFC_NUM_THREADS");
    if (env && *env) {
        char *end;
        errno = 0;
        long v = strtol(env, &end, 10);
        while (*end == ' ' || *end == '\t' || *end == '\n') end++;
        if (errno == 0 && end != env && *end == '\0' && v >= 1)
            return v > POOL_MAX_THREADS ? POOL_MAX_THREADS : (int)v;
    }
    int n = 0;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) n = CPU_COUNT(&set);
    if (n < 1) {
        long c = sysconf(_SC_NPROCESSORS_ONLN); /* > CPU_SETSIZE CPUs, or no affinity */
        n = c < 1 ? 1 : c > POOL_MAX_THREADS ? POOL_MAX_THREADS : (int)c;
    }
    return n > POOL_MAX_THREADS ? POOL_MAX_THREADS : n;
}

int hfc_get_num_threads(void) {
    int n = atomic_load_explicit(&pool.n_threads, memory_order_relaxed);
    if (n > 0) return n;
    int d = hfc_default_num_threads(), expected = 0;
    if (!atomic_compare_exchange_strong(&pool.n_threads, &expected, d)) return expected;
    return d;
}

/* ---- workers ---- */

static void run_chunks(int worker);

static bool gen_changed(void *seen) {
    return atomic_load_explicit(&pool.gen, memory_order_acquire) != *(unsigned *)seen ||
           atomic_load_explicit(&pool.stop, memory_order_relaxed);
}

/* Wait for a generation other than *seen; false when told to stop.
 *
 * Sleeping without a lost wakeup, and without the owner taking wake_lock on every job:
 * a worker announces itself in `sleepers` before its last look at `gen`, the owner
 * bumps `gen` before looking at `sleepers` (all seq_cst), so at least one of the two
 * sees the other; the worker holds wake_lock from its announcement until cond_wait,
 * so an owner that sees it cannot broadcast too early. */
static bool wait_for_job(unsigned *seen) {
    if (!spin_until(gen_changed, seen)) {
        pthread_mutex_lock(&pool.wake_lock);
        atomic_fetch_add(&pool.sleepers, 1);
        while (atomic_load(&pool.gen) == *seen && !atomic_load(&pool.stop))
            pthread_cond_wait(&pool.wake_cond, &pool.wake_lock);
        atomic_fetch_sub(&pool.sleepers, 1);
        pthread_mutex_unlock(&pool.wake_lock);
    }
    unsigned g = atomic_load_explicit(&pool.gen, memory_order_acquire);
    /* stop is only set between jobs, so a new generation always means a job */
    if (g == *seen) return false;
    *seen = g;
    return true;
}

/* Enter job `gen` if it is still open; false if it closed (or a newer one replaced it). */
static bool join_job(unsigned gen) {
    uint64_t t = atomic_load(&pool.ticket);
    while ((unsigned)(t >> 32) == gen && (t & TICKET_OPEN))
        if (atomic_compare_exchange_weak(&pool.ticket, &t, t + 1)) return true;
    return false;
}

/* Leave the job; the last worker out of a closed job wakes the owner if it went to sleep
 * (same handshake as wait_for_job, with owner_waiting in the role of sleepers). */
static void leave_job(void) {
    uint64_t before = atomic_fetch_sub(&pool.ticket, 1);
    if ((before & TICKET_COUNT) == 1 && !(before & TICKET_OPEN) &&
        atomic_load(&pool.owner_waiting)) {
        pthread_mutex_lock(&pool.wake_lock);
        pthread_cond_broadcast(&pool.done_cond);
        pthread_mutex_unlock(&pool.wake_lock);
    }
}

static void *worker_main(void *arg) {
    const pool_worker *w = arg;
    int id = w->id;
    unsigned seen = w->start_gen, epoch = w->epoch;
    tls_in_task = true; /* a task on a worker that calls hfc_parallel_for runs inline */
    while (wait_for_job(&seen)) {
        if (!join_job(seen)) continue;
        if (id < pool.n_participants) run_chunks(id);
        /* This thread forked inside a task and is now the child's only thread: there is
         * no owner to report to. Returning ends the child like any last thread does. */
        if (atomic_load(&pool_epoch) != epoch) return NULL;
        leave_job();
    }
    return NULL;
}

/* Start workers until n_workers == target (pool.lock held). Returns how many run. */
static int spawn_workers(int target) {
    if (pool.n_workers >= target) return pool.n_workers;
    /* Workers block asynchronous signals so they reach threads that handle them
     * (Python's main thread); faults stay deliverable for crash reports. */
    sigset_t block, old;
    sigfillset(&block);
    static const int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS};
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) sigdelset(&block, faults[i]);
    pthread_sigmask(SIG_SETMASK, &block, &old);
    unsigned g = atomic_load_explicit(&pool.gen, memory_order_relaxed);
    unsigned epoch = atomic_load(&pool_epoch);
    while (pool.n_workers < target) {
        pool_worker *w = &pool.workers[pool.n_workers];
        w->id = pool.n_workers + 1;
        w->start_gen = g;
        w->epoch = epoch;
        /* On failure run with the workers we have; the next job tries again. */
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) break;
        pool.n_workers++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    atomic_store(&pool.workers_running, pool.n_workers);
    return pool.n_workers;
}

/* Stop and join every worker (pool.lock held, no job running). */
static void stop_workers(void) {
    if (pool.n_workers == 0) return;
    pthread_mutex_lock(&pool.wake_lock);
    atomic_store(&pool.stop, true);
    pthread_cond_broadcast(&pool.wake_cond);
    pthread_mutex_unlock(&pool.wake_lock);
    for (int i = 0; i < pool.n_workers; i++) pthread_join(pool.workers[i].thread, NULL);
    pool.n_workers = 0;
    atomic_store(&pool.workers_running, 0);
    atomic_store(&pool.stop, false);
}

/* ---- jobs ---- */

static void record_failure(hfc_status st) {
    bool expected = false;
    if (atomic_compare_exchange_strong_explicit(&pool.failed, &expected, true,
                                                memory_order_acq_rel, memory_order_relaxed))
        hfc_error_save(&pool.err, st);
}

/* Chunks shrink as the job drains (guided scheduling): each is 1 / (4 x participants)
 * of the items left, at least grain. The first ones are as big as an even split into
 * 4 per participant; the last ones are single grains, so the participants finish
 * together instead of one running the last big chunk alone (items of unequal cost,
 * or a participant slowed by other work, as encode_batch's caller is). */
static void run_chunks(int worker) {
    size_t share = 4 * (size_t)pool.n_participants;
    while (!atomic_load_explicit(&pool.failed, memory_order_relaxed)) {
        size_t begin = atomic_load_explicit(&pool.next_begin, memory_order_relaxed), end;
        do {
            if (begin >= pool.n) return;
            size_t left = pool.n - begin, size = left / share;
            if (size < pool.grain) size = pool.grain;
            end = size < left ? begin + size : pool.n;
        } while (!atomic_compare_exchange_weak_explicit(&pool.next_begin, &begin, end,
                                                        memory_order_relaxed,
                                                        memory_order_relaxed));
        hfc_status st = pool.fn(pool.ctx, begin, end, worker);
        if (st != HFC_OK) {
            record_failure(st);
            return;
        }
    }
}

static bool all_checked_out(void *unused) {
    (void)unused;
    return (atomic_load_explicit(&pool.ticket, memory_order_acquire) & TICKET_COUNT) == 0;
}

/* Close the job to latecomers, then wait for the workers inside it. */
static void wait_for_workers(void) {
    atomic_fetch_and(&pool.ticket, ~(uint64_t)TICKET_OPEN);
    if (spin_until(all_checked_out, NULL)) return;
    pthread_mutex_lock(&pool.wake_lock);
    atomic_store(&pool.owner_waiting, true);
    while (atomic_load(&pool.ticket) & TICKET_COUNT)
        pthread_cond_wait(&pool.done_cond, &pool.wake_lock);
    atomic_store(&pool.owner_waiting, false);
    pthread_mutex_unlock(&pool.wake_lock);
}

static hfc_status run_inline(size_t n, hfc_task_fn fn, void *ctx) {
    atomic_fetch_add_explicit(&pool.inline_jobs, 1, memory_order_relaxed);
    bool was_in_task = tls_in_task;
    tls_in_task = true;
    hfc_status st = fn(ctx, 0, n, 0);
    tls_in_task = was_in_task;
    return st;
}

/* Run a job on the pool; pool.lock is held. */
static hfc_status run_owned(size_t n, size_t grain, int max_threads, hfc_task_fn fn,
                            void *ctx) {
    int threads = hfc_get_num_threads(); /* re-read: a resize may have run meanwhile */
    if (threads > max_threads) threads = max_threads;
    int live = threads > 1 ? spawn_workers(threads - 1) : 0;
    if (live == 0) return run_inline(n, fn, ctx);
    int participants = live + 1 < threads ? live + 1 : threads;

    pool.fn = fn;
    pool.ctx = ctx;
    pool.n = n;
    pool.grain = grain;
    pool.n_participants = participants;
    atomic_store_explicit(&pool.next_begin, 0, memory_order_relaxed);
    atomic_store_explicit(&pool.failed, false, memory_order_relaxed);
    atomic_fetch_add_explicit(&pool.parallel_jobs, 1, memory_order_relaxed);

    unsigned gen = atomic_load_explicit(&pool.gen, memory_order_relaxed) + 1;
    atomic_store(&pool.ticket, ((uint64_t)gen << 32) | TICKET_OPEN); /* releases the job */
    atomic_fetch_add(&pool.gen, 1); /* wakes the workers (seq_cst, see wait_for_job) */
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.wake_lock);
        pthread_cond_broadcast(&pool.wake_cond);
        pthread_mutex_unlock(&pool.wake_lock);
    }

    tls_owner = true;
    tls_in_task = true;
    run_chunks(0);
    tls_in_task = false;
    wait_for_workers();
    tls_owner = false;
    if (atomic_load_explicit(&pool.failed, memory_order_acquire))
        return hfc_error_restore(&pool.err);
    return HFC_OK;
}

hfc_status hfc_parallel_for_max(size_t n, size_t grain, int max_threads, hfc_task_fn fn,
                                void *ctx) {
    if (n == 0) return HFC_OK;
    if (!fn) return hfc_fail(HFC_ERR_INVALID, "hfc_parallel_for: task function is NULL");
    if (max_threads < 1)
        return hfc_fail(HFC_ERR_INVALID, "hfc_parallel_for: max_threads must be >= 1, got %d",
                        max_threads);
    if (grain == 0) grain = 1;
    pool_init();
    if (tls_in_task || n <= grain || max_threads == 1 || hfc_get_num_threads() == 1)
        return run_inline(n, fn, ctx);
    if (pthread_mutex_trylock(&pool.lock) != 0) return run_inline(n, fn, ctx);
    hfc_status st = run_owned(n, grain, max_threads, fn, ctx);
    pthread_mutex_unlock(&pool.lock);
    return st;
}

hfc_status hfc_parallel_for(size_t n, size_t grain, hfc_task_fn fn, void *ctx) {
    return hfc_parallel_for_max(n, grain, POOL_MAX_THREADS, fn, ctx);
}

/* ---- resize, shutdown, stats ---- */

hfc_status hfc_set_num_threads(int n) {
    if (n < 1 || n > POOL_MAX_THREADS)
        return hfc_fail(HFC_ERR_INVALID, "number of threads must be between 1 and %d, got %d",
                        POOL_MAX_THREADS, n);
    if (tls_in_task)
        return hfc_fail(HFC_ERR_STATE, "cannot resize the thread pool from inside a task");
    pool_init();
    pthread_mutex_lock(&pool.lock); /* waits for a running job */
    if (n != hfc_get_num_threads()) {
        stop_workers();
        atomic_store(&pool.n_threads, n);
    }
    pthread_mutex_unlock(&pool.lock);
    return HFC_OK;
}

void hfc_pool_shutdown(void) {
    if (tls_in_task) return; /* a task cannot join the threads running it */
    pool_init();
    pthread_mutex_lock(&pool.lock);
    stop_workers();
    pthread_mutex_unlock(&pool.lock);
}

void hfc_pool_get_stats(hfc_pool_stats *out) {
    out->num_threads = hfc_get_num_threads();
    out->workers_running = atomic_load(&pool.workers_running);
    out->parallel_jobs = atomic_load_explicit(&pool.parallel_jobs, memory_order_relaxed);
    out->inline_jobs = atomic_load_explicit(&pool.inline_jobs, memory_order_relaxed);
}
