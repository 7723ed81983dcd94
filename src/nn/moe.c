/* Sparse mixture-of-experts MLP: top-k routing over gated-MLP experts. */
#include "nn/nn.h"

#include <math.h>
#include <string.h>

/* The first rows * cols elements of contiguous t, seen as [rows, cols]. */
static mnlp_status flat_view(const mn_tensor *t, int64_t rows, int64_t cols, mn_tensor *out)
{
    if (!mn_tensor_is_contiguous(t) || rows * cols > mn_tensor_numel(t))
        return mn_errorf(MNLP_ERR_INTERNAL, "moe: working memory of %lld elements is too "
                         "small", (long long)mn_tensor_numel(t));
    *out = *t;
    out->ndim = 2;
    out->shape[0] = rows;
    out->shape[1] = cols;
    out->stride[0] = cols;
    out->stride[1] = 1;
    return MNLP_OK;
}

/* transformers' router in float32: softmax over all experts, then topk. */
static void route(const mn_moe *m, float *p, int64_t *chosen, float *weight)
{
    float max = -INFINITY, sum = 0.0f, kept = 0.0f;

    for (int64_t e = 0; e < m->num_experts; e++)
        max = p[e] > max ? p[e] : max;
    for (int64_t e = 0; e < m->num_experts; e++)
        sum += p[e] = expf(p[e] - max);
    for (int64_t e = 0; e < m->num_experts; e++)
        p[e] /= sum;
    /* Largest first; a tie keeps the lower expert index. */
    for (int64_t k = 0; k < m->top_k; k++) {
        int64_t best = -1;

        for (int64_t e = 0; e < m->num_experts; e++) {
            bool taken = false;

            for (int64_t j = 0; j < k; j++)
                taken = taken || chosen[j] == e;
            if (!taken && (best < 0 || p[e] > p[best]))
                best = e;
        }
        chosen[k] = best;
        weight[k] = p[best];
        kept += p[best];
    }
    for (int64_t k = 0; m->norm_topk_prob && k < m->top_k; k++)
        weight[k] /= kept;
}

/* The experts chosen for token x[1, hidden], summed into out[1, hidden]. */
static mnlp_status token_forward(const mn_moe *m, const mn_tensor *x, const int64_t *chosen,
                                 const float *weight, const mn_moe_scratch *s, mn_tensor *out)
{
    int64_t hidden = x->shape[1];
    bool first = true;
    mnlp_status st;

    for (int64_t e = 0; e < m->num_experts; e++) {
        const mn_gated_mlp *ex = &m->experts[e];
        int64_t inter = ex->up_proj.weight->shape[0];
        mn_tensor gate, up, y;
        float w = 0.0f;
        bool used = false;

        for (int64_t k = 0; k < m->top_k; k++)
            if (chosen[k] == e) {
                used = true;
                w = weight[k];
            }
        if (!used)
            continue;
        if ((st = flat_view(s->gate, 1, inter, &gate)) ||
            (st = flat_view(s->up, 1, inter, &up)) ||
            (st = flat_view(s->expert_out, 1, hidden, &y)) ||
            (st = mn_gated_mlp_forward(ex, x, &gate, &up, first ? out : &y)) ||
            (st = mn_op_scale(first ? out : &y, w, first ? out : &y)) ||
            (!first && (st = mn_op_add(out, &y, out))))
            return st;
        first = false;
    }
    return MNLP_OK;
}

/* out += sigmoid(shared_expert_gate(x)) * shared_expert(x), row by row. */
static mnlp_status shared_forward(const mn_moe *m, const mn_tensor *x, const mn_moe_scratch *s,
                                  mn_tensor *out)
{
    int64_t t_len = x->shape[0], inter = m->shared_expert.up_proj.weight->shape[0];
    mn_tensor gate, up, g;
    mnlp_status st;

    if ((st = flat_view(s->gate, t_len, inter, &gate)) ||
        (st = flat_view(s->up, t_len, inter, &up)) ||
        (st = flat_view(s->router, t_len, 1, &g)) ||
        (st = mn_gated_mlp_forward(&m->shared_expert, x, &gate, &up, s->expert_out)) ||
        (st = mn_linear_forward(&m->shared_expert_gate, x, &g)))
        return st;
    for (int64_t t = 0; t < t_len; t++) {
        mn_tensor y, o;
        float logit;

        if ((st = mn_tensor_rows(&g, t, 1, 0, NULL, &y)) ||
            (st = mn_tensor_read(&y, &logit, sizeof logit)) ||
            (st = mn_tensor_rows(s->expert_out, t, 1, 0, NULL, &y)) ||
            (st = mn_tensor_rows(out, t, 1, 0, NULL, &o)) ||
            (st = mn_op_scale(&y, 1.0f / (1.0f + expf(-logit)), &y)) ||
            (st = mn_op_add(&o, &y, &o)))
            return st;
    }
    return MNLP_OK;
}

mnlp_status mn_moe_forward(const mn_moe *m, const mn_tensor *x, const mn_moe_scratch *s,
                           mn_tensor *out)
{
    float p[MN_MOE_MAX_EXPERTS], weight[MN_MOE_MAX_EXPERTS];
    int64_t chosen[MN_MOE_MAX_EXPERTS];
    mnlp_status st;

    if (m->num_experts < 1 || m->num_experts > MN_MOE_MAX_EXPERTS || m->top_k < 1 ||
        m->top_k > m->num_experts)
        return mn_errorf(MNLP_ERR_UNSUPPORTED, "moe: %lld of %lld experts per token",
                         (long long)m->top_k, (long long)m->num_experts);
    if ((st = mn_linear_forward(&m->gate, x, s->router)))
        return st;
    for (int64_t t = 0; t < x->shape[0]; t++) {
        mn_tensor logits, xt, ot;

        if ((st = mn_tensor_rows(s->router, t, 1, 0, NULL, &logits)) ||
            (st = mn_tensor_read(&logits, p, sizeof(float) * (size_t)m->num_experts)))
            return st;
        route(m, p, chosen, weight);
        if ((st = mn_tensor_rows(x, t, 1, 0, NULL, &xt)) ||
            (st = mn_tensor_rows(out, t, 1, 0, NULL, &ot)) ||
            (st = token_forward(m, &xt, chosen, weight, s, &ot)))
            return st;
    }
    return m->shared_expert_gate.weight ? shared_forward(m, x, s, out) : MNLP_OK;
}
