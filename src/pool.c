/* pool.c - a small pthread pool for data-parallel loops.
 *
 * kq_pool_run splits a job into numbered tasks; the workers and the calling
 * thread claim them from an atomic counter. Callers make every result
 * depend only on the task number (never on which thread ran it), so the
 * thread count cannot change any output. */
#include "kq_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define KQ_POOL_MAX_THREADS 256
/* Between jobs the workers, and the caller waiting for them, first poll
 * for this long before they sleep on a condition variable: Lloyd and the
 * seeding run jobs back to back (12 MP, k=256: about 900 in a fit, many
 * of them tens of microseconds long), and a sleep and wake-up each time
 * cost about as much as the job. Only while a pool has no more threads
 * than cores (spinning on a shared core would only slow the others). */
#define SPIN_NS 50000

struct kq_pool {
    int threads;             /* including the caller */
    pthread_t *workers;      /* threads - 1 */
    pthread_mutex_t lock;
    pthread_cond_t wake;     /* a new job or shutdown */
    pthread_cond_t done;     /* the last worker finished the job */
    atomic_ulong generation; /* bumped under lock for each job */
    atomic_int busy;         /* workers still inside the current job */
    bool stop;
    bool spin;               /* threads <= cores: poll before sleeping */
    kq_task_fn fn;
    void *ctx;
    size_t n_tasks;
    atomic_size_t next;
};

static void claim_tasks(kq_pool *pool)
{
    for (;;) {
        size_t t = atomic_fetch_add(&pool->next, 1);
        if (t >= pool->n_tasks)
            return;
        pool->fn(pool->ctx, t);
    }
}

static long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Polls until done(pool, arg) or SPIN_NS have passed (the caller then
 * sleeps under the lock, where the condition is checked again). */
static void spin_until(kq_pool *pool, bool (*done)(kq_pool *, unsigned long),
                       unsigned long arg)
{
    if (!pool->spin)
        return;
    long long until = now_ns() + SPIN_NS;
    for (int i = 1; !done(pool, arg); i++)
        if (i % 64 == 0 && now_ns() > until)
            return;
}

static bool new_job(kq_pool *pool, unsigned long seen)
{
    return atomic_load(&pool->generation) != seen;
}

static bool workers_idle(kq_pool *pool, unsigned long unused)
{
    (void)unused;
    return atomic_load(&pool->busy) == 0;
}

static void *worker_main(void *arg)
{
    kq_pool *pool = arg;
    unsigned long seen = 0;
    for (;;) {
        spin_until(pool, new_job, seen);
        pthread_mutex_lock(&pool->lock);
        while (!pool->stop && atomic_load(&pool->generation) == seen)
            pthread_cond_wait(&pool->wake, &pool->lock);
        bool stop = pool->stop;
        seen = atomic_load(&pool->generation);
        pthread_mutex_unlock(&pool->lock);
        if (stop)
            return NULL;
        claim_tasks(pool);
        if (atomic_fetch_sub(&pool->busy, 1) == 1) {
            pthread_mutex_lock(&pool->lock);
            pthread_cond_signal(&pool->done);
            pthread_mutex_unlock(&pool->lock);
        }
    }
}

int kq_default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > KQ_POOL_MAX_THREADS ? KQ_POOL_MAX_THREADS : (int)n;
}

static void stop_workers(kq_pool *pool, int started)
{
    pthread_mutex_lock(&pool->lock);
    pool->stop = true;
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
    for (int i = 0; i < started; i++)
        pthread_join(pool->workers[i], NULL);
}

kq_status kq_pool_create(int threads, kq_pool **out)
{
    *out = NULL;
    if (threads <= 0)
        threads = kq_default_threads();
    if (threads > KQ_POOL_MAX_THREADS)
        threads = KQ_POOL_MAX_THREADS;
    kq_pool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return KQ_ERR_NOMEM;
    pool->threads = threads;
    pool->spin = threads <= kq_default_threads();
    atomic_init(&pool->next, 0);
    atomic_init(&pool->generation, 0);
    atomic_init(&pool->busy, 0);
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pthread_cond_init(&pool->done, NULL);
    pool->workers = calloc((size_t)threads, sizeof *pool->workers);
    if (!pool->workers) {
        kq_pool_free(pool);
        return KQ_ERR_NOMEM;
    }
    for (int i = 0; i < threads - 1; i++) {
        if (pthread_create(&pool->workers[i], NULL, worker_main, pool) != 0) {
            stop_workers(pool, i);
            pool->threads = 0; /* all joined already */
            kq_pool_free(pool);
            return KQ_ERR_INTERNAL;
        }
    }
    *out = pool;
    return KQ_OK;
}

void kq_pool_free(kq_pool *pool)
{
    if (!pool)
        return;
    if (pool->threads > 1 && pool->workers)
        stop_workers(pool, pool->threads - 1);
    pthread_mutex_destroy(&pool->lock);
    pthread_cond_destroy(&pool->wake);
    pthread_cond_destroy(&pool->done);
    free(pool->workers);
    free(pool);
}

int kq_pool_threads(const kq_pool *pool)
{
    return pool ? pool->threads : 1;
}

void kq_pool_run(kq_pool *pool, size_t n_tasks, kq_task_fn fn, void *ctx)
{
    if (!pool || pool->threads <= 1 || n_tasks <= 1) {
        for (size_t t = 0; t < n_tasks; t++)
            fn(ctx, t);
        return;
    }
    pthread_mutex_lock(&pool->lock);
    pool->fn = fn;
    pool->ctx = ctx;
    pool->n_tasks = n_tasks;
    atomic_store(&pool->next, 0);
    atomic_store(&pool->busy, pool->threads - 1);
    atomic_fetch_add(&pool->generation, 1); /* publishes the job */
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
    claim_tasks(pool);
    spin_until(pool, workers_idle, 0);
    pthread_mutex_lock(&pool->lock);
    while (atomic_load(&pool->busy) > 0)
        pthread_cond_wait(&pool->done, &pool->lock);
    pthread_mutex_unlock(&pool->lock);
}
