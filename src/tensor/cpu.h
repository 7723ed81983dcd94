/* Shared pieces of the two CPU backends (cpu_ref.c and cpu.c). */
#ifndef MN_CPU_H
#define MN_CPU_H

#include "tensor/tensor.h"

mnlp_status mn_cpu_alloc(const mn_backend *be, size_t size, mn_buffer *out);
void mn_cpu_release(mn_buffer *buf);
mnlp_status mn_cpu_write(mn_buffer *dst, size_t offset, const void *src, size_t n);
mnlp_status mn_cpu_read(const mn_buffer *src, size_t offset, void *dst, size_t n);

/* The reference operations, which the fast backend reuses where it has
 * nothing faster. */
extern const mn_ops mn_cpu_ref_ops;

/* Row r of a 2-d float matrix (F32, F16 or BF16) converted to float. */
void mn_cpu_row_to_f32(const mn_tensor *m, int64_t r, float *dst);

/* Dot products of a float row with a weight row, one per weight dtype,
 * chosen at run time: portable, or AVX2+FMA (and F16C) when present. */
typedef float (*mn_dot_fn)(const float *x, const void *w, int64_t n);

typedef struct mn_dot_kernels {
    const char *name;
    mn_dot_fn f32, f16, bf16; /* NULL: not provided by this set */
} mn_dot_kernels;

float mn_dot_portable(const float *a, const float *b, int64_t n);

/* The AVX2 kernels, or NULL when this build or this CPU lacks them. */
const mn_dot_kernels *mn_dot_avx2(void);

#endif
