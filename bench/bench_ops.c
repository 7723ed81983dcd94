/*
 * Operation throughput on each CPU backend, measured in one run so the
 * ratios hold on a noisy machine: linear (the matmul every layer is made
 * of) at decode (1 row) and prefill (64 rows) shapes, F32 and BF16 weights.
 *
 * usage: bench_ops [SECONDS_PER_CASE]
 */
#include "base/thread.h"
#include "tensor/dtype.h"
#include "tensor/tensor.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static mn_tensor *random_tensor(mnlp_dtype dt, int64_t rows, int64_t cols, unsigned seed)
{
    mn_tensor *t = NULL;
    int64_t n = rows * cols;
    void *data = malloc((size_t)n * mnlp_dtype_size(dt));

    srand(seed);
    for (int64_t i = 0; i < n; i++) {
        float f = (float)rand() / (float)RAND_MAX - 0.5f;

        if (dt == MNLP_DTYPE_BF16)
            ((uint16_t *)data)[i] = mn_f32_to_bf16(f);
        else
            ((float *)data)[i] = f;
    }
    if (mn_tensor_new(mn_backend_cpu(), dt, 2, (int64_t[]){rows, cols}, &t) != MNLP_OK ||
        mn_tensor_write(t, data, mn_tensor_nbytes(t)) != MNLP_OK)
        exit(1);
    free(data);
    return t;
}

/* Retags a CPU tensor onto another host backend (same memory layout). */
static mn_tensor on_backend(const mn_tensor *t, mn_buffer *buf, const mn_backend *be)
{
    mn_tensor v = *t;

    *buf = *t->buffer;
    buf->backend = be;
    v.buffer = buf;
    return v;
}

/* GFLOP/s of linear on backend be for the given shape. */
static double run(const mn_backend *be, mnlp_dtype wdt, int64_t m, int64_t n, int64_t k,
                  double seconds)
{
    mn_tensor *x = random_tensor(MNLP_DTYPE_F32, m, k, 1);
    mn_tensor *w = random_tensor(wdt, n, k, 2);
    mn_tensor *o = random_tensor(MNLP_DTYPE_F32, m, n, 3);
    mn_buffer bx, bw, bo;
    mn_tensor vx = on_backend(x, &bx, be), vw = on_backend(w, &bw, be);
    mn_tensor vo = on_backend(o, &bo, be);
    double t0 = now(), elapsed;
    long iters = 0;

    do {
        if (mn_op_linear(&vx, &vw, NULL, &vo) != MNLP_OK) {
            fprintf(stderr, "linear: %s\n", mnlp_last_error());
            exit(1);
        }
        iters++;
        elapsed = now() - t0;
    } while (elapsed < seconds);
    mn_tensor_free(x);
    mn_tensor_free(w);
    mn_tensor_free(o);
    return 2.0 * (double)m * (double)n * (double)k * (double)iters / elapsed * 1e-9;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    static const struct {
        mnlp_dtype wdt;
        int64_t m, n, k;
    } shapes[] = {
        {MNLP_DTYPE_F32, 1, 2048, 2048},
        {MNLP_DTYPE_BF16, 1, 2048, 2048},
        {MNLP_DTYPE_F32, 64, 2048, 2048},
        {MNLP_DTYPE_BF16, 64, 2048, 2048},
    };

    printf("threads: %d\n", mnlp_num_threads());
    printf("%-6s %-18s %12s %12s %8s\n", "w", "x[m,k] w[n,k]", "cpu-ref", "cpu", "ratio");
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        double ref = run(mn_backend_cpu_ref(), shapes[i].wdt, shapes[i].m, shapes[i].n,
                         shapes[i].k, seconds);
        double fast = run(mn_backend_cpu(), shapes[i].wdt, shapes[i].m, shapes[i].n,
                          shapes[i].k, seconds);
        char shape[64];

        snprintf(shape, sizeof shape, "%lldx%lldx%lld", (long long)shapes[i].m,
                 (long long)shapes[i].n, (long long)shapes[i].k);
        printf("%-6s %-18s %9.2f GF %9.2f GF %7.1fx\n", mnlp_dtype_name(shapes[i].wdt), shape,
               ref, fast, fast / ref);
    }
    mn_threads_shutdown();
    return 0;
}
