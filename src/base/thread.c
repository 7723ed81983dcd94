#include "base/thread.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_THREADS 256

typedef struct pool {
    pthread_mutex_t lock;
    pthread_cond_t wake;       /* workers wait here for a new job */
    pthread_cond_t done;       /* the caller waits here for the end of a job */
    pthread_t threads[MAX_THREADS];
    int n_workers;             /* threads besides the caller */

    /* The current job; generation changes each time one is posted. */
    void (*fn)(void *ctx, int task);
    void *ctx;
    int n_tasks;
    atomic_int next_task;
    int active;                /* workers still inside the job */
    unsigned generation;
    bool stopping;
} pool;

static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;
static pool *the_pool;
static int wanted_threads; /* 0: not decided yet */
static _Thread_local bool inside_job;

static int default_threads(void)
{
    const char *env = getenv("MNLP_NUM_THREADS");
    long n;

    if (env && *env) {
        char *end;

        n = strtol(env, &end, 10);
        if (*end == '\0' && n >= 1 && n <= MAX_THREADS)
            return (int)n;
        mn_warn("MNLP_NUM_THREADS=\"%s\" is not an integer in [1, %d]; ignoring it",
                env, MAX_THREADS);
    }
    n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
}

int mnlp_num_threads(void)
{
    int n;

    pthread_mutex_lock(&config_lock);
    if (!wanted_threads)
        wanted_threads = default_threads();
    n = wanted_threads;
    pthread_mutex_unlock(&config_lock);
    return n;
}

static void run_tasks(pool *p)
{
    int task;

    inside_job = true;
    while ((task = atomic_fetch_add(&p->next_task, 1)) < p->n_tasks)
        p->fn(p->ctx, task);
    inside_job = false;
}

static void *worker(void *arg)
{
    pool *p = arg;
    unsigned seen = 0;

    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (p->generation == seen && !p->stopping)
            pthread_cond_wait(&p->wake, &p->lock);
        if (p->stopping)
            break;
        seen = p->generation;
        pthread_mutex_unlock(&p->lock);
        run_tasks(p);
        pthread_mutex_lock(&p->lock);
        if (--p->active == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static void pool_destroy(pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->n_workers; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    mn_free(p);
}

/* Returns NULL when no thread could be started; jobs then run inline. */
static pool *pool_create(int n_threads)
{
    pool *p = mn_calloc(1, sizeof *p);

    if (!p)
        return NULL;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    for (int i = 0; i < n_threads - 1; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0) {
            mn_warn("could only start %d of %d threads", i + 1, n_threads);
            break;
        }
        p->n_workers++;
    }
    mn_debug("thread pool: %d threads", p->n_workers + 1);
    return p;
}

mnlp_status mnlp_set_num_threads(int n)
{
    if (n < 1 || n > MAX_THREADS)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "thread count %d is not in [1, %d]",
                         n, MAX_THREADS);
    pthread_mutex_lock(&job_lock);
    pthread_mutex_lock(&config_lock);
    if (the_pool && the_pool->n_workers + 1 != n) {
        pool_destroy(the_pool);
        the_pool = NULL;
    }
    wanted_threads = n;
    pthread_mutex_unlock(&config_lock);
    pthread_mutex_unlock(&job_lock);
    return MNLP_OK;
}

void mn_threads_shutdown(void)
{
    pthread_mutex_lock(&job_lock);
    pool_destroy(the_pool);
    the_pool = NULL;
    pthread_mutex_unlock(&job_lock);
}

static void run_inline(int n_tasks, void (*fn)(void *, int), void *ctx)
{
    for (int i = 0; i < n_tasks; i++)
        fn(ctx, i);
}

void mn_parallel_for(int n_tasks, void (*fn)(void *ctx, int task), void *ctx)
{
    int n_threads = mnlp_num_threads();
    pool *p;

    if (n_tasks <= 1 || n_threads <= 1 || inside_job) {
        run_inline(n_tasks, fn, ctx);
        return;
    }
    pthread_mutex_lock(&job_lock);
    if (!the_pool)
        the_pool = pool_create(n_threads);
    p = the_pool;
    if (!p || p->n_workers == 0) {
        pthread_mutex_unlock(&job_lock);
        run_inline(n_tasks, fn, ctx);
        return;
    }

    pthread_mutex_lock(&p->lock);
    p->fn = fn;
    p->ctx = ctx;
    p->n_tasks = n_tasks;
    atomic_store(&p->next_task, 0);
    p->active = p->n_workers;
    p->generation++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);

    run_tasks(p);

    pthread_mutex_lock(&p->lock);
    while (p->active > 0)
        pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
    pthread_mutex_unlock(&job_lock);
}
