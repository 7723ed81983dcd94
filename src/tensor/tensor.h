/*
 * Tensors and backends.
 *
 * A tensor is dtype, shape, strides and a view into a buffer. A buffer is
 * memory owned by one backend: host memory for the CPU backends, device
 * memory for a device backend, where the host never dereferences it and
 * data moves only through the backend's read/write calls.
 *
 * A backend is a table: memory functions plus one function per operation.
 * The mn_op_* entry points (ops.c) check shapes and dtypes once for every
 * backend, then call the backend's function, so a backend implements only
 * the arithmetic. A NULL entry means the backend lacks that operation.
 */
#ifndef MN_TENSOR_H
#define MN_TENSOR_H

#include "base/base.h"
#include "mnlp/tensor.h"

#define MN_MAX_DIMS 6

typedef struct mn_backend mn_backend;

typedef struct mn_buffer {
    const mn_backend *backend;
    void *data;    /* host pointer, or the backend's own handle */
    size_t size;
    bool borrowed; /* memory owned elsewhere (a mapped checkpoint): never freed */
} mn_buffer;

typedef struct mn_tensor {
    mnlp_dtype dtype;
    int ndim;
    int64_t shape[MN_MAX_DIMS];
    int64_t stride[MN_MAX_DIMS]; /* in elements */
    mn_buffer *buffer;
    size_t offset;               /* in bytes, into buffer */
} mn_tensor;

/* The operations every backend may provide; shapes are checked by ops.c. */
typedef struct mn_ops {
    /* out[M, N] = x[M, K] . w[N, K]^T + bias[N] (bias may be NULL); the
     * layout of torch.nn.Linear. x, out F32; w F32, F16 or BF16. */
    mnlp_status (*linear)(const mn_tensor *x, const mn_tensor *w, const mn_tensor *bias,
                          mn_tensor *out);
    /* out = x / sqrt(mean(x^2, last dim) + eps) * w, all F32. */
    mnlp_status (*rms_norm)(const mn_tensor *x, const mn_tensor *w, float eps,
                            mn_tensor *out);
    /* out = softmax(x) over the last dimension, F32. */
    mnlp_status (*softmax)(const mn_tensor *x, mn_tensor *out);
    /* out = a + b, out = a * b: F32, b of a's shape or of its last dim. */
    mnlp_status (*add)(const mn_tensor *a, const mn_tensor *b, mn_tensor *out);
    mnlp_status (*mul)(const mn_tensor *a, const mn_tensor *b, mn_tensor *out);
    /* out = x * sigmoid(x), F32. */
    mnlp_status (*silu)(const mn_tensor *x, mn_tensor *out);
    /* out[i, :] = table[ids[i], :]; ids I32 or I64, checked in range. */
    mnlp_status (*get_rows)(const mn_tensor *table, const mn_tensor *ids, mn_tensor *out);
    /* out = x converted to F32 (any dtype in). */
    mnlp_status (*to_f32)(const mn_tensor *x, mn_tensor *out);
    /* Rotary position embedding, transformers' apply_rotary_pos_emb: x[T, H, D],
     * cos and sin [T, R] (R even, R <= D), all F32. The first R dims of each
     * head become x * cos + rotate_half(x) * sin; the rest are copied. out may
     * be x. */
    mnlp_status (*rope)(const mn_tensor *x, const mn_tensor *cos, const mn_tensor *sin,
                        mn_tensor *out);
    /* Scaled dot-product attention: q[Tq, Hq, D], k and v [Tk, Hkv, D], out
     * [Tq, Hq, D], all F32. Query head h reads key/value head h / (Hq / Hkv),
     * as transformers' repeat_kv. Scores are q.k * scale, plus mask[Tq, Tk]
     * (F32, additive) when given; causal hides key j from query i when
     * j > i + Tk - Tq (the queries are the last Tq positions). A query that
     * sees no key gets zeros. */
    mnlp_status (*attention)(const mn_tensor *q, const mn_tensor *k, const mn_tensor *v,
                             const mn_tensor *mask, float scale, bool causal, mn_tensor *out);
    /* attention with the scores soft-capped before the mask is added:
     * tanh(q.k * scale / softcap) * softcap (Gemma 2's attn_logit_softcapping). */
    mnlp_status (*attention_softcap)(const mn_tensor *q, const mn_tensor *k,
                                     const mn_tensor *v, const mn_tensor *mask, float scale,
                                     float softcap, bool causal, mn_tensor *out);
    /* out = 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), F32: torch's
     * gelu(approximate="tanh"). */
    mnlp_status (*gelu_tanh)(const mn_tensor *x, mn_tensor *out);
    /* out = tanh(x / cap) * cap, F32 (logit soft-capping). */
    mnlp_status (*softcap)(const mn_tensor *x, float cap, mn_tensor *out);
    /* out[M, N] = x[M, K] . w[K, N] + bias[N]: the layout of transformers'
     * Conv1D (GPT-2). w's rows may be strided (a column block of a wider
     * matrix, see mn_tensor_cols); its columns are contiguous. */
    mnlp_status (*linear_t)(const mn_tensor *x, const mn_tensor *w, const mn_tensor *bias,
                            mn_tensor *out);
    /* torch.nn.LayerNorm over the last dim: (x - mean) / sqrt(var + eps) * w
     * + b, var biased, all F32. */
    mnlp_status (*layer_norm)(const mn_tensor *x, const mn_tensor *w, const mn_tensor *b,
                              float eps, mn_tensor *out);
    /* Activations, F32: exact GELU (erf); max(x, 0). */
    mnlp_status (*gelu)(const mn_tensor *x, mn_tensor *out);
    mnlp_status (*relu)(const mn_tensor *x, mn_tensor *out);
    /* out = x * s, F32. */
    mnlp_status (*scale)(const mn_tensor *x, float s, mn_tensor *out);
} mn_ops;

struct mn_backend {
    const char *name;
    bool host_memory; /* buffer->data is a host pointer the CPU may read */
    mnlp_status (*alloc)(const mn_backend *be, size_t size, mn_buffer *out);
    void (*release)(mn_buffer *buf);
    mnlp_status (*write)(mn_buffer *dst, size_t offset, const void *src, size_t n);
    mnlp_status (*read)(const mn_buffer *src, size_t offset, void *dst, size_t n);
    const mn_ops *ops;
};

/* ---- Backends --------------------------------------------------------- */

/* The portable reference: plain C, one thread. Every other backend and
 * every faster path is tested against it. */
const mn_backend *mn_backend_cpu_ref(void);

/* The CPU backend: the reference's results, with threads and the SIMD
 * kernels this processor supports (chosen at run time). */
const mn_backend *mn_backend_cpu(void);

/* All compiled-in backends, the reference first. */
const mn_backend *const *mn_backends(int *n);

/* ---- Tensors ---------------------------------------------------------- */

/*
 * Allocate a contiguous tensor on backend be; data is uninitialised. The
 * tensor owns its buffer; release both with mn_tensor_free.
 */
mnlp_status mn_tensor_new(const mn_backend *be, mnlp_dtype dtype, int ndim,
                          const int64_t *shape, mn_tensor **out);

/*
 * A contiguous CPU tensor over host memory owned by the caller (for
 * example a mapped safetensors file), which must outlive the tensor.
 */
mnlp_status mn_tensor_wrap(mnlp_dtype dtype, int ndim, const int64_t *shape,
                           const void *data, size_t size, mn_tensor **out);

void mn_tensor_free(mn_tensor *t);

/*
 * Rows [row0, row0 + n) of a contiguous tensor, seen as a contiguous tensor
 * of shape [n, cols...] where cols are the remaining dims of t, or ndim/shape
 * when given (same element count). The view borrows t's buffer: it is a
 * value, never freed, and valid while t lives. Out-of-range rows or a shape
 * of another size are an MNLP_ERR_INVALID_ARGUMENT.
 */
mnlp_status mn_tensor_rows(const mn_tensor *t, int64_t row0, int64_t n, int ndim,
                           const int64_t *shape, mn_tensor *out);

/*
 * Columns [col0, col0 + n) of a contiguous 2-d tensor, as a view whose rows
 * keep t's row stride (not contiguous unless n is all columns). Only ops
 * that say so (linear_t's w) accept such a view.
 */
mnlp_status mn_tensor_cols(const mn_tensor *t, int64_t col0, int64_t n, mn_tensor *out);

int64_t mn_tensor_numel(const mn_tensor *t);
size_t mn_tensor_nbytes(const mn_tensor *t);
bool mn_tensor_is_contiguous(const mn_tensor *t);

/* Host pointer to the first element, or NULL when the tensor lives in
 * device memory. */
void *mn_tensor_data(const mn_tensor *t);

/* Copy n bytes between host memory and a contiguous tensor. */
mnlp_status mn_tensor_write(mn_tensor *t, const void *src, size_t n);
mnlp_status mn_tensor_read(const mn_tensor *t, void *dst, size_t n);

/* Element count of a shape, or -1 on a negative dim or overflow. */
int64_t mn_shape_numel(int ndim, const int64_t *shape);

/* "[2, 3, 4]" into buf. */
const char *mn_shape_str(int ndim, const int64_t *shape, char *buf, size_t size);

/* ---- Operations (ops.c): validate, then dispatch to the backend -------- */

mnlp_status mn_op_linear(const mn_tensor *x, const mn_tensor *w, const mn_tensor *bias,
                         mn_tensor *out);
mnlp_status mn_op_rms_norm(const mn_tensor *x, const mn_tensor *w, float eps, mn_tensor *out);
mnlp_status mn_op_softmax(const mn_tensor *x, mn_tensor *out);
mnlp_status mn_op_add(const mn_tensor *a, const mn_tensor *b, mn_tensor *out);
mnlp_status mn_op_mul(const mn_tensor *a, const mn_tensor *b, mn_tensor *out);
mnlp_status mn_op_silu(const mn_tensor *x, mn_tensor *out);
mnlp_status mn_op_get_rows(const mn_tensor *table, const mn_tensor *ids, mn_tensor *out);
mnlp_status mn_op_to_f32(const mn_tensor *x, mn_tensor *out);
mnlp_status mn_op_rope(const mn_tensor *x, const mn_tensor *cos, const mn_tensor *sin,
                       mn_tensor *out);
mnlp_status mn_op_attention(const mn_tensor *q, const mn_tensor *k, const mn_tensor *v,
                            const mn_tensor *mask, float scale, bool causal, mn_tensor *out);
mnlp_status mn_op_attention_softcap(const mn_tensor *q, const mn_tensor *k, const mn_tensor *v,
                                    const mn_tensor *mask, float scale, float softcap,
                                    bool causal, mn_tensor *out);
mnlp_status mn_op_gelu_tanh(const mn_tensor *x, mn_tensor *out);
mnlp_status mn_op_softcap(const mn_tensor *x, float cap, mn_tensor *out);
mnlp_status mn_op_linear_t(const mn_tensor *x, const mn_tensor *w, const mn_tensor *bias,
                           mn_tensor *out);
mnlp_status mn_op_layer_norm(const mn_tensor *x, const mn_tensor *w, const mn_tensor *b,
                             float eps, mn_tensor *out);
mnlp_status mn_op_gelu(const mn_tensor *x, mn_tensor *out);
mnlp_status mn_op_relu(const mn_tensor *x, mn_tensor *out);
mnlp_status mn_op_scale(const mn_tensor *x, float s, mn_tensor *out);

#endif
