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

/* Dot products chosen at run time: portable, or AVX2+FMA when present. */
typedef float (*mn_dot_fn)(const float *a, const float *b, int64_t n);
float mn_dot_portable(const float *a, const float *b, int64_t n);
mn_dot_fn mn_dot_avx2(void); /* NULL when this build or CPU lacks AVX2+FMA */

#endif
