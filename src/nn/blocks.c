/* Linear layers, RMSNorm, attention over a KV cache and the gated MLP. */
#include "nn/nn.h"

#include <string.h>

mnlp_status mn_linear_forward(const mn_linear *l, const mn_tensor *x, mn_tensor *out)
{
    if (l->transposed)
        return mn_op_linear_t(x, l->weight, l->bias, out);
    return mn_op_linear(x, l->weight, l->bias, out);
}

mnlp_status mn_layer_norm_forward(const mn_layer_norm *n, const mn_tensor *x, mn_tensor *out)
{
    return mn_op_layer_norm(x, n->weight, n->bias, n->eps, out);
}

mnlp_status mn_position_embedding_add(const mn_tensor *table, const int64_t *positions,
                                      int64_t n, int64_t offset, mn_tensor *row, mn_tensor *x)
{
    mn_tensor want, got;
    mnlp_status st;

    for (int64_t i = 0; i < n; i++) {
        int64_t p = positions[i] + offset;

        if (p < 0 || p >= table->shape[0])
            return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "position %lld is outside the %lld "
                             "learned positions", (long long)positions[i],
                             (long long)(table->shape[0] - offset));
        if ((st = mn_tensor_rows(table, p, 1, 0, NULL, &want)) ||
            (st = mn_tensor_rows(x, i, 1, 0, NULL, &got)))
            return st;
        if (want.dtype != MNLP_DTYPE_F32 && (st = mn_op_to_f32(&want, row)))
            return st;
        if ((st = mn_op_add(&got, want.dtype == MNLP_DTYPE_F32 ? &want : row, &got)))
            return st;
    }
    return MNLP_OK;
}

mnlp_status mn_rms_norm_forward(const mn_rms_norm *n, const mn_tensor *x, mn_tensor *out)
{
    return mn_op_rms_norm(x, n->weight, n->eps, out);
}

/* ACT2FN names (activations.py) and the function each selects. */
static const struct {
    const char *name;
    mn_activation act;
} activations[] = {
    {"silu", MN_ACT_SILU},
    {"swish", MN_ACT_SILU},
    {"gelu", MN_ACT_GELU},
    {"gelu_new", MN_ACT_GELU_TANH},
    {"gelu_pytorch_tanh", MN_ACT_GELU_TANH},
    {"relu", MN_ACT_RELU},
};

mnlp_status mn_activation_parse(const char *name, mn_activation *out)
{
    for (int i = 0; i < MN_COUNT(activations); i++)
        if (strcmp(name, activations[i].name) == 0) {
            *out = activations[i].act;
            return MNLP_OK;
        }
    return mn_errorf(MNLP_ERR_UNSUPPORTED, "hidden_act \"%s\" is not supported", name);
}

mnlp_status mn_activation_forward(mn_activation act, mn_tensor *x)
{
    switch (act) {
    case MN_ACT_SILU: return mn_op_silu(x, x);
    case MN_ACT_GELU: return mn_op_gelu(x, x);
    case MN_ACT_GELU_TANH: return mn_op_gelu_tanh(x, x);
    case MN_ACT_RELU: return mn_op_relu(x, x);
    }
    return mn_errorf(MNLP_ERR_INTERNAL, "unknown activation %d", (int)act);
}

/* A [T, heads * head_dim] tensor seen as [T, heads, head_dim]. */
static mnlp_status heads_view(const mn_tensor *t, int64_t heads, int64_t head_dim,
                              mn_tensor *out)
{
    return mn_tensor_rows(t, 0, t->shape[0], 3, (int64_t[]){t->shape[0], heads, head_dim}, out);
}

mnlp_status mn_attention_forward(const mn_attention *a, const mn_tensor *x, const mn_tensor *cos,
                                 const mn_tensor *sin, mn_tensor *key_cache,
                                 mn_tensor *value_cache, int64_t past,
                                 const mn_attention_scratch *scratch, mn_tensor *out)
{
    return mn_attention_forward_masked(a, x, cos, sin, key_cache, value_cache, past, NULL,
                                       scratch, out);
}

mnlp_status mn_attention_forward_masked(const mn_attention *a, const mn_tensor *x,
                                        const mn_tensor *cos, const mn_tensor *sin,
                                        mn_tensor *key_cache, mn_tensor *value_cache,
                                        int64_t past, const mn_tensor *mask,
                                        const mn_attention_scratch *scratch, mn_tensor *out)
{
    int64_t t = x->shape[0], kv = a->num_key_value_heads, hd = a->head_dim;
    mn_tensor q, k_new, v_new, k3, k_all, v_all, ctx;
    mnlp_status st;

    /* Project straight into the cache rows of the new positions. */
    if ((st = mn_tensor_rows(key_cache, past, t, 0, NULL, &k_new)) ||
        (st = mn_tensor_rows(value_cache, past, t, 0, NULL, &v_new)) ||
        (st = mn_linear_forward(&a->q_proj, x, scratch->query)) ||
        (st = mn_linear_forward(&a->k_proj, x, &k_new)) ||
        (st = mn_linear_forward(&a->v_proj, x, &v_new)))
        return st;

    /* Rotate queries and the new keys; cached keys were rotated when written. */
    if ((st = heads_view(scratch->query, a->num_heads, hd, &q)) ||
        (st = heads_view(&k_new, kv, hd, &k3)) ||
        (cos && (st = mn_op_rope(&q, cos, sin, &q))) ||
        (cos && (st = mn_op_rope(&k3, cos, sin, &k3))))
        return st;

    if ((st = mn_tensor_rows(key_cache, 0, past + t, 3, (int64_t[]){past + t, kv, hd},
                             &k_all)) ||
        (st = mn_tensor_rows(value_cache, 0, past + t, 3, (int64_t[]){past + t, kv, hd},
                             &v_all)) ||
        (st = heads_view(scratch->context, a->num_heads, hd, &ctx)))
        return st;
    if (a->softcap > 0)
        st = mn_op_attention_softcap(&q, &k_all, &v_all, mask, a->scale, a->softcap, true, &ctx);
    else
        st = mn_op_attention(&q, &k_all, &v_all, mask, a->scale, true, &ctx);
    if (st)
        return st;
    return mn_linear_forward(&a->o_proj, scratch->context, out);
}

mnlp_status mn_gated_mlp_forward(const mn_gated_mlp *m, const mn_tensor *x, mn_tensor *gate,
                                 mn_tensor *up, mn_tensor *out)
{
    mnlp_status st;

    if ((st = mn_linear_forward(&m->gate_proj, x, gate)) ||
        (st = mn_activation_forward(m->act, gate)) ||
        (st = mn_linear_forward(&m->up_proj, x, up)) || (st = mn_op_mul(gate, up, gate)))
        return st;
    return mn_linear_forward(&m->down_proj, gate, out);
}

mnlp_status mn_mlp_forward(const mn_mlp *m, const mn_tensor *x, mn_tensor *mid, mn_tensor *out)
{
    mnlp_status st;

    if ((st = mn_linear_forward(&m->fc1, x, mid)) || (st = mn_activation_forward(m->act, mid)))
        return st;
    return mn_linear_forward(&m->fc2, mid, out);
}
