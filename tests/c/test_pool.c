/* Worker pool tests: results against a serial reference, chunk coverage, worker ids,
 * error propagation, nesting, concurrent submitters, resizing, fork, shutdown.
 * Also built with -fsanitize=thread (see the end of this file for the TSan options). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT, MADV_*, mkfifo */
#endif
#include "test.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t item_value(size_t i) { return (uint64_t)i ^ ((uint64_t)i >> 3); }

static uint64_t serial_sum(size_t n) {
    uint64_t s = 0;
    for (size_t i = 0; i < n; i++) s += item_value(i);
    return s;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- summing job: per-worker partial sums, optional visit counters ---- */

typedef struct slot {
    uint64_t sum;
    uint64_t chunks;
    char pad[48];
} slot;

typedef struct sum_job {
    slot *slots; /* n_slots entries, indexed by worker id */
    int n_slots;
    _Atomic unsigned char *visits; /* optional: one counter per item */
    size_t grain;
    _Atomic int bad_worker;     /* a worker id out of [0, n_slots) was seen */
    _Atomic int short_chunks;   /* chunks shorter than grain that were not the last one */
    size_t n;
} sum_job;

static hfc_status sum_task(void *ctx, size_t begin, size_t end, int worker) {
    sum_job *job = ctx;
    if (worker < 0 || worker >= job->n_slots) {
        atomic_store(&job->bad_worker, 1);
        return hfc_fail(HFC_ERR_STATE, "worker id %d out of range", worker);
    }
    if (end - begin < job->grain && end != job->n) atomic_fetch_add(&job->short_chunks, 1);
    uint64_t s = 0;
    for (size_t i = begin; i < end; i++) {
        s += item_value(i);
        if (job->visits) atomic_fetch_add_explicit(&job->visits[i], 1, memory_order_relaxed);
    }
    job->slots[worker].sum += s;
    job->slots[worker].chunks++;
    return HFC_OK;
}

/* Run the summing job over [0, n) and check ids, chunk sizes and (optionally) that
 * every item was visited once. Thread-safe (the harness is not): it reports through
 * its result instead of CHECK. */
typedef struct sum_result {
    uint64_t total;
    hfc_status status;
    int workers_used; /* distinct worker ids that ran a chunk */
    int problems;     /* bad ids + short chunks + items not visited exactly once */
} sum_result;

static sum_result parallel_sum(size_t n, size_t grain, int track_visits) {
    sum_result r = {0};
    sum_job job = {0};
    job.n_slots = hfc_get_num_threads();
    job.slots = calloc((size_t)job.n_slots, sizeof *job.slots);
    job.grain = grain ? grain : 1;
    job.n = n;
    if (track_visits) job.visits = calloc(n ? n : 1, 1);
    r.status = hfc_parallel_for_max(n, grain, job.n_slots, sum_task, &job);
    for (int w = 0; w < job.n_slots; w++) {
        r.total += job.slots[w].sum;
        r.workers_used += job.slots[w].chunks > 0;
    }
    r.problems = atomic_load(&job.bad_worker) + atomic_load(&job.short_chunks);
    if (track_visits) {
        for (size_t i = 0; i < n; i++) r.problems += atomic_load(&job.visits[i]) != 1;
        free((void *)job.visits);
    }
    free(job.slots);
    return r;
}

/* The job succeeded, found no problems and summed to the serial reference. */
#define CHECK_SUM(n, grain, visits)                                                      \
    do {                                                                                 \
        sum_result r_ = parallel_sum((n), (grain), (visits));                            \
        CHECK_OK(r_.status);                                                             \
        CHECK_EQ_INT(r_.problems, 0);                                                    \
        CHECK(r_.total == serial_sum(n));                                                \
    } while (0)

/* ---- tests ---- */

static int affinity_count(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
    return CPU_COUNT(&set);
}

/* Runs first: nothing has resized the pool yet. */
static void test_default_threads(void) {
    CHECK_EQ_INT(hfc_get_num_threads(), hfc_default_num_threads());
    char *saved = getenv("HFC_NUM_THREADS");
    saved = saved ? strdup(saved) : NULL;
    unsetenv("HFC_NUM_THREADS");
    int cpus = affinity_count();
    CHECK(cpus >= 1);
    CHECK_EQ_INT(hfc_default_num_threads(), cpus);
    setenv("HFC_NUM_THREADS", "3", 1);
    CHECK_EQ_INT(hfc_default_num_threads(), 3);
    setenv("HFC_NUM_THREADS", " 7 ", 1);
    CHECK_EQ_INT(hfc_default_num_threads(), 7);
    setenv("HFC_NUM_THREADS", "5000", 1);
    CHECK_EQ_INT(hfc_default_num_threads(), 1024);
    static const char *const invalid[] = {"", "0", "-2", "abc", "4x", "2.5",
                                          "99999999999999999999999"};
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        setenv("HFC_NUM_THREADS", invalid[i], 1);
        CHECK_EQ_INT(hfc_default_num_threads(), cpus);
    }
    if (saved) setenv("HFC_NUM_THREADS", saved, 1);
    else unsetenv("HFC_NUM_THREADS");
    free(saved);
}

static void test_sums_match_serial(void) {
    CHECK_OK(hfc_set_num_threads(4));
    const size_t n = 10 * 1000 * 1000;
    uint64_t want = serial_sum(n);
    const size_t grains[] = {1, 1000, n};
    for (size_t g = 0; g < 3; g++) {
        sum_result r = parallel_sum(n, grains[g], 0);
        CHECK_OK(r.status);
        CHECK_EQ_INT(r.problems, 0);
        CHECK(r.total == want);
    }
    /* the whole 10M with visit counters once, plus odd sizes and grains */
    sum_result r = parallel_sum(n, 1, 1);
    CHECK_OK(r.status);
    CHECK_EQ_INT(r.problems, 0);
    CHECK(r.total == want);
    const size_t sizes[] = {1, 2, 3, 7, 15, 16, 17, 63, 64, 65, 1000, 4099, 100003};
    const size_t small_grains[] = {0, 1, 2, 5, 64, 1000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (size_t g = 0; g < sizeof small_grains / sizeof small_grains[0]; g++)
            CHECK_SUM(sizes[s], small_grains[g], 1);
}

static hfc_status never_called(void *ctx, size_t b, size_t e, int w) {
    (void)b, (void)e, (void)w;
    atomic_fetch_add((_Atomic int *)ctx, 1);
    return HFC_ERR_STATE;
}

static void test_empty_and_bad_args(void) {
    _Atomic int calls = 0;
    CHECK_OK(hfc_parallel_for(0, 0, never_called, &calls));
    CHECK_OK(hfc_parallel_for(0, 5, NULL, NULL));
    CHECK_EQ_INT(atomic_load(&calls), 0);
    CHECK_STATUS(hfc_parallel_for(10, 1, NULL, NULL), HFC_ERR_INVALID);
    CHECK_STATUS(hfc_parallel_for_max(10, 1, 0, never_called, &calls), HFC_ERR_INVALID);
    CHECK_MSG("max_threads");
    CHECK_EQ_INT(atomic_load(&calls), 0);
}

/* The caller's chunks wait (bounded) until a pool thread has run one, so a pool that
 * silently ran everything on the caller would fail. */
typedef struct wait_job {
    _Atomic int pool_thread_ran;
    _Atomic int max_id;
    int limit;
} wait_job;

static hfc_status wait_for_pool_task(void *ctx, size_t b, size_t e, int worker) {
    (void)b, (void)e;
    wait_job *job = ctx;
    int m = atomic_load(&job->max_id);
    while (worker > m && !atomic_compare_exchange_weak(&job->max_id, &m, worker)) {
    }
    if (worker >= job->limit) return hfc_fail(HFC_ERR_STATE, "worker %d >= %d", worker, job->limit);
    if (worker != 0) {
        atomic_store(&job->pool_thread_ran, 1);
        return HFC_OK;
    }
    double t0 = now_s();
    while (!atomic_load(&job->pool_thread_ran) && now_s() - t0 < 5.0) sleep_ms(1);
    return HFC_OK;
}

static void test_workers_participate(void) {
    for (int threads = 2; threads <= 4; threads++) {
        CHECK_OK(hfc_set_num_threads(threads));
        wait_job job = {.limit = threads};
        CHECK_OK(hfc_parallel_for(64, 1, wait_for_pool_task, &job));
        CHECK_EQ_INT(atomic_load(&job.pool_thread_ran), 1);
        CHECK(atomic_load(&job.max_id) < threads);
        hfc_pool_stats stats;
        hfc_pool_get_stats(&stats);
        CHECK_EQ_INT(stats.num_threads, threads);
        CHECK_EQ_INT(stats.workers_running, threads - 1);
    }
    /* max_threads caps the ids even when the pool is bigger */
    CHECK_OK(hfc_set_num_threads(4));
    wait_job job = {.limit = 2};
    CHECK_OK(hfc_parallel_for_max(64, 1, 2, wait_for_pool_task, &job));
    CHECK_EQ_INT(atomic_load(&job.pool_thread_ran), 1);
    CHECK_EQ_INT(atomic_load(&job.max_id), 1);
}

/* ---- errors ---- */

typedef struct fail_job {
    size_t fail_at;
    _Atomic int chunks_run;
    _Atomic int failed;
    int sleep_ms_per_chunk;
} fail_job;

static hfc_status fail_at_item(void *ctx, size_t begin, size_t end, int worker) {
    (void)worker;
    fail_job *job = ctx;
    atomic_fetch_add(&job->chunks_run, 1);
    if (begin <= job->fail_at && job->fail_at < end)
        return hfc_fail(HFC_ERR_RANGE, "item %zu is bad", job->fail_at);
    if (job->sleep_ms_per_chunk) sleep_ms(job->sleep_ms_per_chunk);
    return HFC_OK;
}

/* Fails only on pool threads; the caller's chunks wait until one has failed. */
static hfc_status fail_on_worker(void *ctx, size_t begin, size_t end, int worker) {
    (void)end;
    fail_job *job = ctx;
    if (worker != 0) {
        atomic_store(&job->failed, 1);
        return hfc_fail_errno(EACCES, "chunk at %zu on worker %d", begin, worker);
    }
    double t0 = now_s();
    while (!atomic_load(&job->failed) && now_s() - t0 < 5.0) sleep_ms(1);
    return HFC_OK;
}

static void test_error_propagation(void) {
    CHECK_OK(hfc_set_num_threads(4));
    hfc_error_clear();
    fail_job job = {.fail_at = 777};
    CHECK_STATUS(hfc_parallel_for(100000, 1, fail_at_item, &job), HFC_ERR_RANGE);
    CHECK_MSG("item 777 is bad");
    CHECK_EQ_INT(hfc_error_errno(), 0);

    /* the failure happens on a pool thread: code, message and errno still arrive */
    for (int rep = 0; rep < 20; rep++) {
        fail_job wj = {0};
        hfc_error_clear();
        CHECK_STATUS(hfc_parallel_for(1000, 1, fail_on_worker, &wj), HFC_ERR_IO);
        CHECK_MSG("on worker ");
        CHECK_MSG("Permission denied");
        CHECK_EQ_INT(hfc_error_errno(), EACCES);
    }

    /* after a failure the remaining chunks are skipped: 8 one-item chunks on 2 threads,
     * chunk 0 fails at once, the others take 3 ms each */
    CHECK_OK(hfc_set_num_threads(2));
    fail_job sj = {.fail_at = 0, .sleep_ms_per_chunk = 3};
    CHECK_STATUS(hfc_parallel_for(8, 1, fail_at_item, &sj), HFC_ERR_RANGE);
    CHECK(atomic_load(&sj.chunks_run) < 8);

    /* inline path (n <= grain) returns the failure too */
    fail_job ij = {.fail_at = 5};
    CHECK_STATUS(hfc_parallel_for(10, 100, fail_at_item, &ij), HFC_ERR_RANGE);
    CHECK_MSG("item 5 is bad");

    /* and the pool works normally afterwards */
    CHECK_SUM(100000, 1, 1);
}

/* ---- nesting ---- */

typedef struct nest_job {
    _Atomic uint64_t total;
    _Atomic int inner_bad; /* inner ran on another thread or with a non-zero id */
    _Atomic int resize_status;
} nest_job;

typedef struct inner_ctx {
    size_t offset;
    pthread_t outer;
    uint64_t sum;
    nest_job *job;
} inner_ctx;

static hfc_status inner_task(void *ctx, size_t begin, size_t end, int worker) {
    inner_ctx *ic = ctx;
    if (worker != 0 || !pthread_equal(pthread_self(), ic->outer))
        atomic_store(&ic->job->inner_bad, 1);
    for (size_t i = begin; i < end; i++) ic->sum += item_value(ic->offset + i);
    return HFC_OK;
}

static hfc_status outer_task(void *ctx, size_t begin, size_t end, int worker) {
    (void)worker;
    nest_job *job = ctx;
    inner_ctx ic = {.offset = begin * 100, .outer = pthread_self(), .job = job};
    HFC_TRY(hfc_parallel_for((end - begin) * 100, 1, inner_task, &ic));
    atomic_fetch_add(&job->total, ic.sum);
    atomic_store(&job->resize_status, (int)hfc_set_num_threads(3));
    return HFC_OK;
}

static void test_nested(void) {
    CHECK_OK(hfc_set_num_threads(4));
    nest_job job = {0};
    CHECK_OK(hfc_parallel_for(1000, 1, outer_task, &job));
    CHECK(atomic_load(&job.total) == serial_sum(100000));
    CHECK_EQ_INT(atomic_load(&job.inner_bad), 0);
    /* resizing from inside a task is refused instead of deadlocking */
    CHECK_EQ_INT(atomic_load(&job.resize_status), HFC_ERR_STATE);
    CHECK_EQ_INT(hfc_get_num_threads(), 4);
}

/* ---- concurrent submitters ---- */

typedef struct submitter {
    pthread_t thread;
    int seed;
    int wrong;
    int errors;
} submitter;

static void *submit_jobs(void *arg) {
    submitter *s = arg;
    for (int j = 0; j < 25; j++) {
        size_t n = 20000 + (size_t)((s->seed * 7919 + j * 104729) % 50000);
        size_t grain = (size_t)(j % 4) * 50;
        sum_result r = parallel_sum(n, grain, 1);
        s->errors += r.status != HFC_OK;
        s->wrong += r.problems != 0 || r.total != serial_sum(n);
    }
    return NULL;
}

static void test_concurrent_submitters(void) {
    CHECK_OK(hfc_set_num_threads(3));
    hfc_pool_stats before, after;
    hfc_pool_get_stats(&before);
    submitter subs[4] = {{.seed = 1}, {.seed = 2}, {.seed = 3}, {.seed = 4}};
    for (int i = 0; i < 4; i++) CHECK(pthread_create(&subs[i].thread, NULL, submit_jobs, &subs[i]) == 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(subs[i].thread, NULL);
        CHECK_EQ_INT(subs[i].wrong, 0);
        CHECK_EQ_INT(subs[i].errors, 0);
    }
    hfc_pool_get_stats(&after);
    CHECK_EQ_INT((after.parallel_jobs - before.parallel_jobs) +
                     (after.inline_jobs - before.inline_jobs),
                 100);
    CHECK(after.parallel_jobs > before.parallel_jobs);
}

/* Submitters racing with resizes and shutdowns. */
static _Atomic int resizer_stop;

static void *resize_loop(void *arg) {
    (void)arg;
    for (int i = 0; !atomic_load(&resizer_stop); i++) {
        if (i % 5 == 4) hfc_pool_shutdown();
        else hfc_set_num_threads(1 + i % 4);
        sleep_ms(1);
    }
    return NULL;
}

static void test_resize_while_submitting(void) {
    pthread_t resizer;
    submitter subs[2] = {{.seed = 5}, {.seed = 6}};
    atomic_store(&resizer_stop, 0);
    CHECK(pthread_create(&resizer, NULL, resize_loop, NULL) == 0);
    for (int i = 0; i < 2; i++) CHECK(pthread_create(&subs[i].thread, NULL, submit_jobs, &subs[i]) == 0);
    for (int i = 0; i < 2; i++) {
        pthread_join(subs[i].thread, NULL);
        CHECK_EQ_INT(subs[i].wrong, 0);
        CHECK_EQ_INT(subs[i].errors, 0);
    }
    atomic_store(&resizer_stop, 1);
    pthread_join(resizer, NULL);
}

/* ---- resizing ---- */

static void test_set_num_threads(void) {
    for (int n = 1; n <= 4; n++) {
        CHECK_OK(hfc_set_num_threads(n));
        CHECK_EQ_INT(hfc_get_num_threads(), n);
        sum_result r = parallel_sum(1000000, 1, 0);
        CHECK_OK(r.status);
        CHECK_EQ_INT(r.problems, 0);
        CHECK(r.total == serial_sum(1000000));
        CHECK(r.workers_used >= 1 && r.workers_used <= n);
        hfc_pool_stats stats;
        hfc_pool_get_stats(&stats);
        CHECK_EQ_INT(stats.workers_running, n - 1);
    }
    for (int n = 4; n >= 1; n--) CHECK_OK(hfc_set_num_threads(n));
    CHECK_EQ_INT(hfc_get_num_threads(), 1);
    CHECK_STATUS(hfc_set_num_threads(0), HFC_ERR_INVALID);
    CHECK_MSG("between 1 and 1024");
    CHECK_STATUS(hfc_set_num_threads(-3), HFC_ERR_INVALID);
    CHECK_STATUS(hfc_set_num_threads(1025), HFC_ERR_INVALID);
    CHECK_EQ_INT(hfc_get_num_threads(), 1);
    CHECK_OK(hfc_set_num_threads(1024)); /* allowed; no job runs, so no threads start */
    CHECK_EQ_INT(hfc_get_num_threads(), 1024);
    CHECK_OK(hfc_set_num_threads(2));
    CHECK_EQ_INT(hfc_get_num_threads(), 2);
}

static void test_shutdown_restart(void) {
    CHECK_OK(hfc_set_num_threads(3));
    CHECK_SUM(100000, 1, 0);
    hfc_pool_stats stats;
    hfc_pool_get_stats(&stats);
    CHECK_EQ_INT(stats.workers_running, 2);
    hfc_pool_shutdown();
    hfc_pool_shutdown(); /* twice is fine */
    hfc_pool_get_stats(&stats);
    CHECK_EQ_INT(stats.workers_running, 0);
    CHECK_EQ_INT(stats.num_threads, 3);
    wait_job job = {.limit = 3};
    CHECK_OK(hfc_parallel_for(64, 1, wait_for_pool_task, &job));
    CHECK_EQ_INT(atomic_load(&job.pool_thread_ran), 1);
    hfc_pool_get_stats(&stats);
    CHECK_EQ_INT(stats.workers_running, 2);
}

/* Idle workers sleep: the process uses almost no CPU while nothing is submitted. */
static void test_idle_workers_sleep(void) {
    CHECK_OK(hfc_set_num_threads(4));
    CHECK_SUM(100000, 1, 0);
    struct timespec c0, c1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    sleep_ms(200);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    double cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) * 1e-9;
    CHECK(cpu < 0.02);
}

/* ---- fork ---- */

/* In the child: run a parallel job, check it, report through the exit code. */
static void child_checks_and_exits(int threads) {
    int bad = 0;
    if (hfc_get_num_threads() != threads) bad |= 1;
    hfc_pool_stats stats;
    hfc_pool_get_stats(&stats);
    if (stats.workers_running != 0) bad |= 2; /* the parent's workers are not ours */
    sum_result r = parallel_sum(2000000, 1, 1);
    if (r.status != HFC_OK || r.problems || r.total != serial_sum(2000000)) bad |= 4;
    hfc_pool_get_stats(&stats);
    if (stats.workers_running != threads - 1) bad |= 8; /* workers were re-created */
    wait_job wj = {.limit = threads};
    if (hfc_parallel_for(64, 1, wait_for_pool_task, &wj) != HFC_OK || !wj.pool_thread_ran)
        bad |= 16;
    _exit(bad);
}

/* Wait (at most 20 s: a broken atfork handler hangs the child) for a 0 exit. */
static void check_child(pid_t pid) {
    CHECK(pid > 0);
    if (pid <= 0) return;
    int status = 0;
    pid_t got = 0;
    double t0 = now_s();
    while ((got = waitpid(pid, &status, WNOHANG)) == 0 && now_s() - t0 < 20.0) sleep_ms(2);
    if (got == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    CHECK(got == pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ_INT(WEXITSTATUS(status), 0);
}

static void test_fork_with_idle_pool(void) {
    CHECK_OK(hfc_set_num_threads(3));
    CHECK_SUM(100000, 1, 0); /* workers exist in the parent */
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) child_checks_and_exits(3);
    check_child(pid);
    /* the parent's pool is untouched */
    CHECK_SUM(100000, 1, 1);
}

typedef struct busy_job {
    _Atomic int entered;
    _Atomic int release;
} busy_job;

static hfc_status busy_task(void *ctx, size_t b, size_t e, int worker) {
    (void)b, (void)e, (void)worker;
    busy_job *job = ctx;
    atomic_store(&job->entered, 1);
    double t0 = now_s();
    while (!atomic_load(&job->release) && now_s() - t0 < 10.0) sleep_ms(1);
    return HFC_OK;
}

static void *run_busy_job(void *arg) {
    hfc_status st = hfc_parallel_for(16, 1, busy_task, arg);
    return (void *)(intptr_t)st;
}

static void test_fork_during_job(void) {
    CHECK_OK(hfc_set_num_threads(3));
    busy_job job = {0};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, run_busy_job, &job) == 0);
    while (!atomic_load(&job.entered)) sleep_ms(1);
    /* another thread holds the pool and its workers are inside tasks */
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) child_checks_and_exits(3);
    check_child(pid);
    atomic_store(&job.release, 1);
    void *ret;
    pthread_join(t, &ret);
    CHECK_EQ_INT((intptr_t)ret, HFC_OK);
}

/* fork() from a task of a job this thread owns: the child's job reports HFC_ERR_STATE
 * (the chunks taken by the parent's workers are gone) instead of hanging. */
static _Atomic pid_t forked_child_pid = -1;

static hfc_status forking_task(void *ctx, size_t b, size_t e, int worker) {
    (void)ctx, (void)b, (void)e;
    if (worker == 0) {
        if (atomic_load(&forked_child_pid) == -1) {
            fflush(stderr);
            atomic_store(&forked_child_pid, fork());
        }
        return HFC_OK;
    }
    /* pool threads leave chunks for the owner until it has forked */
    double t0 = now_s();
    while (atomic_load(&forked_child_pid) == -1 && now_s() - t0 < 5.0) sleep_ms(1);
    return HFC_OK;
}

static void test_fork_inside_task(void) {
    CHECK_OK(hfc_set_num_threads(2));
    atomic_store(&forked_child_pid, -1);
    hfc_status st = hfc_parallel_for(64, 1, forking_task, NULL);
    if (forked_child_pid == 0) {
        int bad = st != HFC_ERR_STATE || !strstr(hfc_error_message(), "fork()");
        /* and the child's pool is usable again afterwards */
        sum_result r = parallel_sum(100000, 1, 1);
        if (r.status != HFC_OK || r.problems || r.total != serial_sum(100000)) bad |= 2;
        _exit(bad);
    }
    CHECK_OK(st);
    check_child(forked_child_pid);
}

int main(void) {
    RUN(test_default_threads);
    RUN(test_empty_and_bad_args);
    RUN(test_sums_match_serial);
    RUN(test_workers_participate);
    RUN(test_error_propagation);
    RUN(test_nested);
    RUN(test_concurrent_submitters);
    RUN(test_resize_while_submitting);
    RUN(test_set_num_threads);
    RUN(test_shutdown_restart);
    RUN(test_idle_workers_sleep);
    RUN(test_fork_with_idle_pool);
    RUN(test_fork_during_job);
    RUN(test_fork_inside_task);
    hfc_pool_shutdown();
    return test_summary();
}

#if defined(__has_feature)
#if __has_feature(thread_sanitizer) && !defined(__SANITIZE_THREAD__)
#define __SANITIZE_THREAD__ 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
/* TSan by default kills a child that starts threads after a multi-threaded fork. */
const char *__tsan_default_options(void);
const char *__tsan_default_options(void) { return "die_after_fork=0"; }
#endif
