/*
 * The front door of every operation: shapes, dtypes and backends are
 * checked here, once, so that backends only do arithmetic.
 */
#include "tensor/tensor.h"

#include <string.h>

static mnlp_status need(bool ok, const char *op, const char *what)
{
    return ok ? MNLP_OK : mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "%s: %s", op, what);
}

static bool same_shape(const mn_tensor *a, const mn_tensor *b)
{
    return a->ndim == b->ndim && memcmp(a->shape, b->shape, sizeof(int64_t) * a->ndim) == 0;
}

static int64_t last_dim(const mn_tensor *t)
{
    return t->ndim ? t->shape[t->ndim - 1] : 1;
}

/*
 * All operands (NULL ones skipped) contiguous and on one backend; *ops is
 * that backend's table.
 */
static mnlp_status operands(const char *op, const mn_tensor *const *ts, int n,
                            const mn_ops **ops)
{
    const mn_backend *be = ts[0]->buffer->backend;

    for (int i = 0; i < n; i++) {
        if (!ts[i])
            continue;
        if (ts[i]->buffer->backend != be)
            return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "%s: operands on backends %s and %s",
                             op, be->name, ts[i]->buffer->backend->name);
        if (!mn_tensor_is_contiguous(ts[i]))
            return mn_errorf(MNLP_ERR_UNSUPPORTED, "%s: operand %d is not contiguous", op, i);
    }
    *ops = be->ops;
    return MNLP_OK;
}

static mnlp_status missing(const char *op, const mn_tensor *t)
{
    return mn_errorf(MNLP_ERR_UNSUPPORTED, "%s: not implemented by backend %s", op,
                     t->buffer->backend->name);
}

/* Resolve the backend of the operands and return if it lacks the op. */
#define OPERANDS(name, ...)                                                        \
    do {                                                                           \
        const mn_tensor *ts_[] = {__VA_ARGS__};                                    \
        mnlp_status st_ = operands(#name, ts_, MN_COUNT(ts_), &ops);               \
        if (st_ != MNLP_OK)                                                        \
            return st_;                                                            \
        if (!ops->name)                                                            \
            return missing(#name, ts_[0]);                                         \
    } while (0)

static bool is_float_weight(mnlp_dtype d)
{
    return d == MNLP_DTYPE_F32 || d == MNLP_DTYPE_F16 || d == MNLP_DTYPE_BF16;
}

mnlp_status mn_op_linear(const mn_tensor *x, const mn_tensor *w, const mn_tensor *bias,
                         mn_tensor *out)
{
    const char *op = "linear";
    mnlp_status st;
    const mn_ops *ops;

    if ((st = need(x->dtype == MNLP_DTYPE_F32 && out->dtype == MNLP_DTYPE_F32, op,
                   "x and out must be F32")) ||
        (st = need(is_float_weight(w->dtype) && w->ndim == 2, op,
                   "w must be a 2-d F32, F16 or BF16 matrix")) ||
        (st = need(last_dim(x) == w->shape[1], op, "x's last dim differs from w's columns")) ||
        (st = need(out->ndim == x->ndim && last_dim(out) == w->shape[0] &&
                       mn_tensor_numel(out) / (w->shape[0] ? w->shape[0] : 1) ==
                           mn_tensor_numel(x) / (w->shape[1] ? w->shape[1] : 1),
                   op, "out must be x's shape with the last dim w's rows")) ||
        (st = need(!bias || (bias->dtype == w->dtype && bias->ndim == 1 &&
                             bias->shape[0] == w->shape[0]) ||
                       (bias->dtype == MNLP_DTYPE_F32 && bias->ndim == 1 &&
                        bias->shape[0] == w->shape[0]),
                   op, "bias must be 1-d with w's rows")))
        return st;
    OPERANDS(linear, x, w, out, bias);
    return ops->linear(x, w, bias, out);
}

mnlp_status mn_op_rms_norm(const mn_tensor *x, const mn_tensor *w, float eps, mn_tensor *out)
{
    const char *op = "rms_norm";
    mnlp_status st;
    const mn_ops *ops;

    if ((st = need(x->dtype == MNLP_DTYPE_F32 && out->dtype == MNLP_DTYPE_F32 &&
                       w->dtype == MNLP_DTYPE_F32, op, "x, w and out must be F32")) ||
        (st = need(w->ndim == 1 && w->shape[0] == last_dim(x), op,
                   "w must be 1-d with x's last dim")) ||
        (st = need(same_shape(x, out), op, "out must have x's shape")))
        return st;
    OPERANDS(rms_norm, x, w, out);
    return ops->rms_norm(x, w, eps, out);
}

static mnlp_status unary(const char *op, const mn_tensor *x, const mn_tensor *out)
{
    mnlp_status st;

    if ((st = need(x->dtype == MNLP_DTYPE_F32 && out->dtype == MNLP_DTYPE_F32, op,
                   "x and out must be F32")) ||
        (st = need(same_shape(x, out), op, "out must have x's shape")))
        return st;
    return MNLP_OK;
}

mnlp_status mn_op_softmax(const mn_tensor *x, mn_tensor *out)
{
    mnlp_status st = unary("softmax", x, out);
    const mn_ops *ops;

    if (st)
        return st;
    OPERANDS(softmax, x, out);
    return ops->softmax(x, out);
}

mnlp_status mn_op_silu(const mn_tensor *x, mn_tensor *out)
{
    mnlp_status st = unary("silu", x, out);
    const mn_ops *ops;

    if (st)
        return st;
    OPERANDS(silu, x, out);
    return ops->silu(x, out);
}

static mnlp_status binary(const char *op, const mn_tensor *a, const mn_tensor *b,
                          const mn_tensor *out)
{
    mnlp_status st = unary(op, a, out);

    if (st)
        return st;
    return need(b->dtype == MNLP_DTYPE_F32 &&
                    (same_shape(a, b) || (b->ndim == 1 && b->shape[0] == last_dim(a))),
                op, "b must be F32 with a's shape or its last dim");
}

mnlp_status mn_op_add(const mn_tensor *a, const mn_tensor *b, mn_tensor *out)
{
    mnlp_status st = binary("add", a, b, out);
    const mn_ops *ops;

    if (st)
        return st;
    OPERANDS(add, a, b, out);
    return ops->add(a, b, out);
}

mnlp_status mn_op_mul(const mn_tensor *a, const mn_tensor *b, mn_tensor *out)
{
    mnlp_status st = binary("mul", a, b, out);
    const mn_ops *ops;

    if (st)
        return st;
    OPERANDS(mul, a, b, out);
    return ops->mul(a, b, out);
}

mnlp_status mn_op_get_rows(const mn_tensor *table, const mn_tensor *ids, mn_tensor *out)
{
    const char *op = "get_rows";
    mnlp_status st;
    const mn_ops *ops;

    if ((st = need(table->ndim == 2 && is_float_weight(table->dtype), op,
                   "table must be a 2-d F32, F16 or BF16 matrix")) ||
        (st = need((ids->dtype == MNLP_DTYPE_I32 || ids->dtype == MNLP_DTYPE_I64) &&
                       ids->ndim == 1, op, "ids must be 1-d I32 or I64")) ||
        (st = need(out->dtype == MNLP_DTYPE_F32 && out->ndim == 2 &&
                       out->shape[0] == ids->shape[0] && out->shape[1] == table->shape[1],
                   op, "out must be F32 [len(ids), table columns]")))
        return st;
    OPERANDS(get_rows, table, ids, out);
    return ops->get_rows(table, ids, out);
}

mnlp_status mn_op_to_f32(const mn_tensor *x, mn_tensor *out)
{
    mnlp_status st;
    const mn_ops *ops;

    if ((st = need(out->dtype == MNLP_DTYPE_F32 && same_shape(x, out), "to_f32",
                   "out must be F32 with x's shape")))
        return st;
    OPERANDS(to_f32, x, out);
    return ops->to_f32(x, out);
}

static bool all_f32(const mn_tensor *const *ts, int n)
{
    for (int i = 0; i < n; i++)
        if (ts[i] && ts[i]->dtype != MNLP_DTYPE_F32)
            return false;
    return true;
}

mnlp_status mn_op_rope(const mn_tensor *x, const mn_tensor *cos, const mn_tensor *sin,
                       mn_tensor *out)
{
    const char *op = "rope";
    const mn_tensor *all[] = {x, cos, sin, out};
    mnlp_status st;
    const mn_ops *ops;

    if ((st = need(all_f32(all, MN_COUNT(all)), op, "x, cos, sin and out must be F32")) ||
        (st = need(x->ndim == 3 && same_shape(x, out), op, "x and out must be [T, H, D]")) ||
        (st = need(cos->ndim == 2 && same_shape(cos, sin) && cos->shape[0] == x->shape[0], op,
                   "cos and sin must be [T, R] with x's T")) ||
        (st = need(cos->shape[1] % 2 == 0 && cos->shape[1] <= x->shape[2], op,
                   "the rotary dims R must be even and at most D")))
        return st;
    OPERANDS(rope, x, cos, sin, out);
    return ops->rope(x, cos, sin, out);
}

static mnlp_status check_attention(const mn_tensor *q, const mn_tensor *k, const mn_tensor *v,
                                   const mn_tensor *mask, const mn_tensor *out)
{
    const char *op = "attention";
    const mn_tensor *all[] = {q, k, v, mask, out};
    mnlp_status st;

    if ((st = need(all_f32(all, MN_COUNT(all)), op, "q, k, v, mask and out must be F32")) ||
        (st = need(q->ndim == 3 && k->ndim == 3 && same_shape(k, v) && same_shape(q, out), op,
                   "q and out must be [Tq, Hq, D], k and v [Tk, Hkv, D]")) ||
        (st = need(k->shape[2] == q->shape[2], op, "q and k differ in head size")) ||
        (st = need(k->shape[1] > 0 && q->shape[1] % k->shape[1] == 0, op,
                   "query heads must be a multiple of key/value heads")) ||
        (st = need(!mask || (mask->ndim == 2 && mask->shape[0] == q->shape[0] &&
                             mask->shape[1] == k->shape[0]), op, "mask must be [Tq, Tk]")))
        return st;
    return MNLP_OK;
}

mnlp_status mn_op_attention(const mn_tensor *q, const mn_tensor *k, const mn_tensor *v,
                            const mn_tensor *mask, float scale, bool causal, mn_tensor *out)
{
    mnlp_status st = check_attention(q, k, v, mask, out);
    const mn_ops *ops;

    if (st)
        return st;
    OPERANDS(attention, q, k, v, out, mask);
    return ops->attention(q, k, v, mask, scale, causal, out);
}

mnlp_status mn_op_attention_softcap(const mn_tensor *q, const mn_tensor *k, const mn_tensor *v,
                                    const mn_tensor *mask, float scale, float softcap,
                                    bool causal, mn_tensor *out)
{
    mnlp_status st = check_attention(q, k, v, mask, out);
    const mn_ops *ops;

    if (!st)
        st = need(softcap > 0, "attention_softcap", "softcap must be positive");
    if (st)
        return st;
    OPERANDS(attention_softcap, q, k, v, out, mask);
    return ops->attention_softcap(q, k, v, mask, scale, softcap, causal, out);
}

mnlp_status mn_op_gelu_tanh(const mn_tensor *x, mn_tensor *out)
{
    mnlp_status st = unary("gelu_tanh", x, out);
    const mn_ops *ops;

    if (st)
        return st;
    OPERANDS(gelu_tanh, x, out);
    return ops->gelu_tanh(x, out);
}

mnlp_status mn_op_softcap(const mn_tensor *x, float cap, mn_tensor *out)
{
    mnlp_status st = unary("softcap", x, out);
    const mn_ops *ops;

    if (!st)
        st = need(cap > 0, "softcap", "cap must be positive");
    if (st)
        return st;
    OPERANDS(softcap, x, out);
    return ops->softcap(x, cap, out);
}

mnlp_status mn_op_linear_t(const mn_tensor *x, const mn_tensor *w, const mn_tensor *bias,
                           mn_tensor *out)
{
    const char *op = "linear_t";
    mnlp_status st;
    const mn_ops *ops;

    if ((st = need(x->dtype == MNLP_DTYPE_F32 && out->dtype == MNLP_DTYPE_F32, op,
                   "x and out must be F32")) ||
        (st = need(is_float_weight(w->dtype) && w->ndim == 2, op,
                   "w must be a 2-d F32, F16 or BF16 matrix")) ||
        (st = need(w->stride[1] == 1 && w->stride[0] >= w->shape[1], op,
                   "w's columns must be contiguous")) ||
        (st = need(w->buffer->backend == x->buffer->backend, op,
                   "w must be on x's backend")) ||
        (st = need(last_dim(x) == w->shape[0], op, "x's last dim differs from w's rows")) ||
        (st = need(out->ndim == x->ndim && last_dim(out) == w->shape[1] &&
                       mn_tensor_numel(out) / (w->shape[1] ? w->shape[1] : 1) ==
                           mn_tensor_numel(x) / (w->shape[0] ? w->shape[0] : 1),
                   op, "out must be x's shape with the last dim w's columns")) ||
        (st = need(!bias || (bias->dtype == MNLP_DTYPE_F32 && bias->ndim == 1 &&
                             bias->shape[0] == w->shape[1]),
                   op, "bias must be F32, 1-d with w's columns")))
        return st;
    /* w is checked above: it may be a strided column view. */
    OPERANDS(linear_t, x, out, bias);
    return ops->linear_t(x, w, bias, out);
}

mnlp_status mn_op_layer_norm(const mn_tensor *x, const mn_tensor *w, const mn_tensor *b,
                             float eps, mn_tensor *out)
{
    const char *op = "layer_norm";
    const mn_tensor *all[] = {x, w, b, out};
    mnlp_status st;
    const mn_ops *ops;

    if ((st = need(all_f32(all, MN_COUNT(all)), op, "x, w, b and out must be F32")) ||
        (st = need(w->ndim == 1 && w->shape[0] == last_dim(x) && same_shape(w, b), op,
                   "w and b must be 1-d with x's last dim")) ||
        (st = need(same_shape(x, out), op, "out must have x's shape")))
        return st;
    OPERANDS(layer_norm, x, w, b, out);
    return ops->layer_norm(x, w, b, eps, out);
}

#define UNARY_OP(name)                                        \
    mnlp_status mn_op_##name(const mn_tensor *x, mn_tensor *out) \
    {                                                         \
        mnlp_status st = unary(#name, x, out);                \
        const mn_ops *ops;                                    \
                                                              \
        if (st)                                               \
            return st;                                        \
        OPERANDS(name, x, out);                               \
        return ops->name(x, out);                             \
    }

UNARY_OP(gelu)
UNARY_OP(relu)

mnlp_status mn_op_scale(const mn_tensor *x, float s, mn_tensor *out)
{
    mnlp_status st = unary("scale", x, out);
    const mn_ops *ops;

    if (st)
        return st;
    OPERANDS(scale, x, out);
    return ops->scale(x, s, out);
}
