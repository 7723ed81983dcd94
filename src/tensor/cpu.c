/*
 * The CPU backend used by default: the reference backend's operations,
 * with the heavy ones split over the thread pool and run with the widest
 * SIMD kernels this processor has (picked once, at first use).
 */
#include "tensor/cpu.h"

#include "base/thread.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static mn_ops fast_ops;
static mn_dot_kernels kernels;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* Output columns handled by one task of linear. */
#define COLS_PER_TASK 16

typedef struct linear_job {
    const mn_tensor *x, *w, *bias;
    mn_tensor *out;
    int64_t m, n, k;
    bool failed;
} linear_job;

static void linear_task(void *ctx, int task)
{
    linear_job *job = ctx;
    int64_t j0 = (int64_t)task * COLS_PER_TASK;
    int64_t j1 = j0 + COLS_PER_TASK < job->n ? j0 + COLS_PER_TASK : job->n;
    size_t row_bytes = (size_t)job->k * mnlp_dtype_size(job->w->dtype);
    mn_dot_fn dot = job->w->dtype == MNLP_DTYPE_F32    ? kernels.f32
                    : job->w->dtype == MNLP_DTYPE_F16 ? kernels.f16
                                                      : kernels.bf16;
    const float *x = mn_tensor_data(job->x);
    float *out = mn_tensor_data(job->out);
    float *wrow = NULL;
    float b = 0.0f;

    /* Without a kernel for this dtype, widen each row to float first. */
    if (!dot && !(wrow = mn_malloc(sizeof(float) * (size_t)job->k))) {
        job->failed = true;
        return;
    }
    for (int64_t j = j0; j < j1; j++) {
        const void *w = (const char *)mn_tensor_data(job->w) + (size_t)j * row_bytes;

        if (wrow)
            mn_cpu_row_to_f32(job->w, j, wrow);
        if (job->bias)
            mnlp_dtype_to_f32(job->bias->dtype,
                              (const char *)mn_tensor_data(job->bias) +
                                  (size_t)j * mnlp_dtype_size(job->bias->dtype),
                              &b, 1);
        for (int64_t i = 0; i < job->m; i++)
            out[i * job->n + j] =
                (wrow ? mn_dot_portable(x + i * job->k, wrow, job->k)
                      : dot(x + i * job->k, w, job->k)) + b;
    }
    mn_free(wrow);
}

static mnlp_status fast_linear(const mn_tensor *x, const mn_tensor *w, const mn_tensor *bias,
                               mn_tensor *out)
{
    int64_t k = w->shape[1];
    linear_job job = {x, w, bias, out, k ? mn_tensor_numel(x) / k : 0, w->shape[0], k, false};
    int64_t tasks = (job.n + COLS_PER_TASK - 1) / COLS_PER_TASK;

    if (tasks > INT32_MAX)
        return mn_errorf(MNLP_ERR_LIMIT, "linear: %lld output columns", (long long)job.n);
    mn_parallel_for((int)tasks, linear_task, &job);
    if (job.failed)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "linear: out of memory");
    return MNLP_OK;
}

/* Attention rows (one query position, one head) are independent. */
static void attention_task(void *ctx, int task)
{
    const mn_attention_args *a = ctx;
    int64_t i = task / a->hq, h = task % a->hq;

    mn_attention_row(a, i, h, a->out + (i * a->hq + h) * a->d);
}

static mnlp_status fast_attention_softcap(const mn_tensor *q, const mn_tensor *k,
                                          const mn_tensor *v, const mn_tensor *mask,
                                          float scale, float softcap, bool causal,
                                          mn_tensor *out)
{
    mn_attention_args a;

    mn_attention_args_init(q, k, v, mask, scale, causal, out, &a);
    a.softcap = softcap;
    if (a.tq * a.hq > INT32_MAX)
        return mn_errorf(MNLP_ERR_LIMIT, "attention: %lld query rows", (long long)(a.tq * a.hq));
    mn_parallel_for((int)(a.tq * a.hq), attention_task, &a);
    return MNLP_OK;
}

static mnlp_status fast_attention(const mn_tensor *q, const mn_tensor *k, const mn_tensor *v,
                                  const mn_tensor *mask, float scale, bool causal,
                                  mn_tensor *out)
{
    return fast_attention_softcap(q, k, v, mask, scale, 0.0f, causal, out);
}

static float dot_f32_portable(const float *x, const void *w, int64_t n)
{
    return mn_dot_portable(x, w, n);
}

/* MNLP_CPU_ISA=portable forces the portable kernels, to test or compare them. */
static void init_fast(void)
{
    const char *isa = getenv("MNLP_CPU_ISA");
    const mn_dot_kernels *simd = isa && !strcmp(isa, "portable") ? NULL : mn_dot_avx2();

    fast_ops = mn_cpu_ref_ops;
    fast_ops.linear = fast_linear;
    fast_ops.attention = fast_attention;
    fast_ops.attention_softcap = fast_attention_softcap;
    kernels = simd ? *simd : (mn_dot_kernels){"portable", dot_f32_portable, NULL, NULL};
    mn_info("cpu backend: %s kernels, %d threads", kernels.name, mnlp_num_threads());
}

static const mn_backend cpu = {
    .name = "cpu",
    .host_memory = true,
    .alloc = mn_cpu_alloc,
    .release = mn_cpu_release,
    .write = mn_cpu_write,
    .read = mn_cpu_read,
    .ops = &fast_ops,
};

const mn_backend *mn_backend_cpu(void)
{
    pthread_once(&init_once, init_fast);
    return &cpu;
}

const mn_backend *const *mn_backends(int *n)
{
    static const mn_backend *list[2];

    list[0] = mn_backend_cpu_ref();
    list[1] = mn_backend_cpu();
    *n = MN_COUNT(list);
    return list;
}
