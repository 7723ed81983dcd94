/*
 * The process-wide thread pool. One parallel job runs at a time; the
 * calling thread works on it too. A job started from inside a job runs
 * on the calling thread alone, so nested kernels cannot deadlock.
 */
#ifndef MN_THREAD_H
#define MN_THREAD_H

#include "base/base.h"

/*
 * Calls fn(ctx, task) for task in [0, n_tasks), spread over the pool's
 * threads, and returns when all calls have finished. fn must not fail:
 * tasks record their own errors in ctx.
 */
void mn_parallel_for(int n_tasks, void (*fn)(void *ctx, int task), void *ctx);

/* Release the pool's threads (tests use it to end leak-free). */
void mn_threads_shutdown(void);

#endif
