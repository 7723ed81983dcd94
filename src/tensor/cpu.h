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

/* One head of one position through rope: see mn_ops.rope. */
void mn_rope_row(const float *x, const float *cos, const float *sin, int64_t half, int64_t d,
                 float *out);

/* The operands of an attention call, as host pointers and sizes. */
typedef struct mn_attention_args {
    const float *q, *k, *v, *mask;
    float *out;
    int64_t tq, tk, hq, hkv, d, group;
    float scale;
    float softcap;        /* 0: scores are not capped */
    bool causal;
} mn_attention_args;

void mn_attention_args_init(const mn_tensor *q, const mn_tensor *k, const mn_tensor *v,
                            const mn_tensor *mask, float scale, bool causal, mn_tensor *out,
                            mn_attention_args *a);

/* Query i, head h of an attention call into o[D]. */
void mn_attention_row(const mn_attention_args *a, int64_t i, int64_t h, float *o);

float mn_dot_portable(const float *a, const float *b, int64_t n);

/* The AVX2 kernels, or NULL when this build or this CPU lacks them. */
const mn_dot_kernels *mn_dot_avx2(void);

#endif
