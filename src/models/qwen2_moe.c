/*
 * Qwen2-MoE (transformers' modeling_qwen2_moe.py, Qwen2MoeForCausalLM):
 * Qwen2's attention (q, k, v biases) and RMSNorm; in sparse layers a top-k
 * mixture of experts (renormalised only with norm_topk_prob) plus a shared
 * expert scaled by sigmoid(shared_expert_gate(x)); layers listed in
 * mlp_only_layers, or off the decoder_sparse_step, have a dense gated MLP.
 */
#include "models/lm_common.h"

#include <math.h>
#include <stdio.h>

static int64_t max3(int64_t a, int64_t b, int64_t c)
{
    int64_t m = a > b ? a : b;

    return m > c ? m : c;
}

/* Qwen2MoeDecoderLayer's choice between the sparse block and a dense MLP. */
static bool is_sparse(const mnlp_config *c, int64_t layer, mn_problems *p)
{
    const mn_json *only = mn_config_value(c, "mlp_only_layers");
    int64_t experts = mn_cfg_int(c, "num_experts", p);
    int64_t step = mn_cfg_int(c, "decoder_sparse_step", p);

    for (size_t i = 0; only && only->type == MN_JSON_ARRAY && i < only->len; i++)
        if (only->items[i].type == MN_JSON_NUMBER && only->items[i].is_int &&
            only->items[i].integer == layer)
            return false;
    return experts > 0 && step > 0 && (layer + 1) % step == 0;
}

static void check_config(const mnlp_config *c, mn_problems *p)
{
    int64_t hidden = mn_cfg_int(c, "hidden_size", p);
    int64_t heads = mn_cfg_int(c, "num_attention_heads", p);
    int64_t kv = mn_cfg_int(c, "num_key_value_heads", p);
    int64_t experts = mn_cfg_int(c, "num_experts", p);
    int64_t top_k = mn_cfg_int(c, "num_experts_per_tok", p);
    const mn_json *only = mn_config_value(c, "mlp_only_layers");

    mn_check_activation(c, "hidden_act", p);
    mn_check_rope_scaling(c, p);
    mn_check_bool(c, "use_sliding_window", false, p);
    mn_cfg_bool(c, "norm_topk_prob", p);
    mn_cfg_float(c, "rms_norm_eps", p);
    mn_cfg_float(c, "rope_theta", p);
    if (mn_cfg_int(c, "decoder_sparse_step", p) < 1)
        mn_problem(p, "%s: decoder_sparse_step must be positive", mn_config_name(c));
    for (size_t i = 0; only && only->type == MN_JSON_ARRAY && i < only->len; i++)
        if (only->items[i].type != MN_JSON_NUMBER || !only->items[i].is_int)
            mn_problem(p, "%s: mlp_only_layers[%zu] is not an integer", mn_config_name(c), i);
    if (heads > 0 && hidden % heads != 0)
        mn_problem(p, "%s: hidden_size %lld is not a multiple of num_attention_heads %lld",
                   mn_config_name(c), (long long)hidden, (long long)heads);
    if (kv > 0 && heads % kv != 0)
        mn_problem(p, "%s: num_attention_heads %lld is not a multiple of num_key_value_heads "
                   "%lld", mn_config_name(c), (long long)heads, (long long)kv);
    if (experts < 0 || experts > MN_MOE_MAX_EXPERTS ||
        (experts > 0 && (top_k < 1 || top_k > experts)))
        mn_problem(p, "%s: num_experts_per_tok %lld of num_experts %lld is outside [1, %d] "
                   "experts", mn_config_name(c), (long long)top_k, (long long)experts,
                   MN_MOE_MAX_EXPERTS);
}

static void declare_mlp(mn_decls *d, const char *prefix, long long i, int64_t h, int64_t inter)
{
    mn_declare(d, MN_REQUIRED, 2, (int64_t[]){inter, h}, "model.layers.%lld.mlp.%sgate_proj.weight",
               i, prefix);
    mn_declare(d, MN_REQUIRED, 2, (int64_t[]){inter, h}, "model.layers.%lld.mlp.%sup_proj.weight",
               i, prefix);
    mn_declare(d, MN_REQUIRED, 2, (int64_t[]){h, inter}, "model.layers.%lld.mlp.%sdown_proj.weight",
               i, prefix);
}

static void declare_layer(const mnlp_config *c, mn_decls *d, long long i, mn_problems *p)
{
    int64_t h = mn_cfg_int(c, "hidden_size", p), heads = mn_cfg_int(c, "num_attention_heads", p);
    int64_t hd = h / heads, kv = mn_cfg_int(c, "num_key_value_heads", p);
    int64_t experts = mn_cfg_int(c, "num_experts", p);
    const char *const proj[] = {"q", "k", "v"};
    const int64_t rows[] = {heads * hd, kv * hd, kv * hd};

    for (int j = 0; j < 3; j++) {
        mn_declare(d, MN_REQUIRED, 2, (int64_t[]){rows[j], h},
                   "model.layers.%lld.self_attn.%s_proj.weight", i, proj[j]);
        mn_declare(d, MN_REQUIRED, 1, &rows[j], "model.layers.%lld.self_attn.%s_proj.bias", i,
                   proj[j]);
    }
    mn_declare(d, MN_REQUIRED, 2, (int64_t[]){h, heads * hd},
               "model.layers.%lld.self_attn.o_proj.weight", i);
    mn_declare(d, MN_REQUIRED, 1, &h, "model.layers.%lld.input_layernorm.weight", i);
    mn_declare(d, MN_REQUIRED, 1, &h, "model.layers.%lld.post_attention_layernorm.weight", i);
    if (!is_sparse(c, i, p)) {
        declare_mlp(d, "", i, h, mn_cfg_int(c, "intermediate_size", p));
        return;
    }
    mn_declare(d, MN_REQUIRED, 2, (int64_t[]){experts, h}, "model.layers.%lld.mlp.gate.weight",
               i);
    for (long long e = 0; e < experts; e++) {
        char prefix[48];

        snprintf(prefix, sizeof prefix, "experts.%lld.", e);
        declare_mlp(d, prefix, i, h, mn_cfg_int(c, "moe_intermediate_size", p));
    }
    declare_mlp(d, "shared_expert.", i, h, mn_cfg_int(c, "shared_expert_intermediate_size", p));
    mn_declare(d, MN_REQUIRED, 2, (int64_t[]){1, h},
               "model.layers.%lld.mlp.shared_expert_gate.weight", i);
}

static bool declare(const mnlp_config *c, mn_decls *d, mn_problems *p)
{
    static const char *const sizes[] = {"vocab_size", "hidden_size", "intermediate_size",
                                        "moe_intermediate_size",
                                        "shared_expert_intermediate_size",
                                        "num_attention_heads", "num_key_value_heads"};
    int64_t vocab = mn_cfg_int(c, "vocab_size", p), h = mn_cfg_int(c, "hidden_size", p);
    int64_t layers = mn_cfg_int(c, "num_hidden_layers", p);
    bool tied = mn_cfg_bool(c, "tie_word_embeddings", p);
    int n_bad = 0;

    for (int i = 0; i < MN_COUNT(sizes); i++)
        n_bad += !mn_cfg_in_range(c, sizes[i], mn_cfg_int(c, sizes[i], p), MN_MAX_DIM, p);
    n_bad += !mn_cfg_in_range(c, "num_hidden_layers", layers, MN_MAX_LAYERS, p);
    if (n_bad || p->failed || mn_cfg_int(c, "num_experts", p) > MN_MOE_MAX_EXPERTS ||
        h % mn_cfg_int(c, "num_attention_heads", p) != 0)
        return false;
    mn_declare(d, MN_REQUIRED, 2, (int64_t[]){vocab, h}, "model.embed_tokens.weight");
    for (long long i = 0; i < layers; i++)
        declare_layer(c, d, i, p);
    mn_declare(d, MN_REQUIRED, 1, &h, "model.norm.weight");
    mn_declare(d, tied ? MN_OPTIONAL : MN_REQUIRED, 2, (int64_t[]){vocab, h}, "lm_head.weight");
    return true;
}

/* ---- The forward of Qwen2MoeForCausalLM -------------------------------- */

typedef struct qwen2_moe_layer {
    mn_rms_norm input_layernorm, post_attention_layernorm;
    mn_attention self_attn;
    bool sparse;
    mn_moe moe;                       /* sparse layers */
    mn_gated_mlp mlp;                 /* dense layers */
    mn_gated_mlp *experts;
} qwen2_moe_layer;

typedef struct qwen2_moe {
    mn_weights weights;
    const mn_tensor *embed_tokens;
    mn_linear lm_head;
    qwen2_moe_layer *layers;
    mn_rms_norm norm;
    mn_rope rope;
    mn_lm_dims dims;
} qwen2_moe;

enum { S_RESIDUAL, S_NORMED, S_BLOCK_OUT, S_QUERY, S_CONTEXT, S_GATE, S_UP, S_ROUTER,
       S_EXPERT, S_COUNT };

static mnlp_status load_mlp(mn_weights *w, mn_gated_mlp *m, mn_activation act, long long i,
                            const char *prefix)
{
    const char *f = "model.layers.%lld.mlp.%s%s";
    mnlp_status st;

    m->act = act;
    if ((st = mn_load_linear(w, &m->gate_proj, false, f, i, prefix, "gate_proj")) ||
        (st = mn_load_linear(w, &m->up_proj, false, f, i, prefix, "up_proj")))
        return st;
    return mn_load_linear(w, &m->down_proj, false, f, i, prefix, "down_proj");
}

static mnlp_status load_moe(mn_weights *w, const mnlp_config *c, long long i,
                            mn_activation act, qwen2_moe_layer *l)
{
    mn_moe *moe = &l->moe;
    mnlp_status st;

    if ((st = mnlp_config_get_int(c, "num_experts", &moe->num_experts)) ||
        (st = mnlp_config_get_int(c, "num_experts_per_tok", &moe->top_k)) ||
        (st = mnlp_config_get_bool(c, "norm_topk_prob", &moe->norm_topk_prob)))
        return st;
    if (!(l->experts = mn_calloc((size_t)moe->num_experts, sizeof *l->experts)))
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    moe->experts = l->experts;
    if ((st = mn_load_linear(w, &moe->gate, false, "model.layers.%lld.mlp.gate", i)) ||
        (st = load_mlp(w, &moe->shared_expert, act, i, "shared_expert.")) ||
        (st = mn_load_linear(w, &moe->shared_expert_gate, false,
                             "model.layers.%lld.mlp.shared_expert_gate", i)))
        return st;
    for (long long e = 0; e < moe->num_experts; e++) {
        char prefix[48];

        snprintf(prefix, sizeof prefix, "experts.%lld.", e);
        if ((st = load_mlp(w, &l->experts[e], act, i, prefix)))
            return st;
    }
    return MNLP_OK;
}

static mnlp_status load_layer(mn_weights *w, const mnlp_config *c, long long i,
                              qwen2_moe_layer *l)
{
    mn_attention *a = &l->self_attn;
    mn_problems p = {0};
    const char *act_name = NULL;
    mn_activation act;
    double eps = 0;
    int64_t h = 0;
    mnlp_status st;

    if ((st = mnlp_config_get_float(c, "rms_norm_eps", &eps)) ||
        (st = mnlp_config_get_string(c, "hidden_act", &act_name)) ||
        (st = mn_activation_parse(act_name, &act)) ||
        (st = mnlp_config_get_int(c, "hidden_size", &h)) ||
        (st = mnlp_config_get_int(c, "num_attention_heads", &a->num_heads)) ||
        (st = mnlp_config_get_int(c, "num_key_value_heads", &a->num_key_value_heads)))
        return st;
    a->head_dim = h / a->num_heads;
    a->scale = (float)(1.0 / sqrt((double)a->head_dim));
    l->input_layernorm.eps = l->post_attention_layernorm.eps = (float)eps;
    l->sparse = is_sparse(c, i, &p);
    mn_problems_free(&p);
    if ((st = mn_weight(w, true, &l->input_layernorm.weight,
                        "model.layers.%lld.input_layernorm.weight", i)) ||
        (st = mn_weight(w, true, &l->post_attention_layernorm.weight,
                        "model.layers.%lld.post_attention_layernorm.weight", i)) ||
        (st = mn_load_linear(w, &a->q_proj, true, "model.layers.%lld.self_attn.q_proj", i)) ||
        (st = mn_load_linear(w, &a->k_proj, true, "model.layers.%lld.self_attn.k_proj", i)) ||
        (st = mn_load_linear(w, &a->v_proj, true, "model.layers.%lld.self_attn.v_proj", i)) ||
        (st = mn_load_linear(w, &a->o_proj, false, "model.layers.%lld.self_attn.o_proj", i)))
        return st;
    return l->sparse ? load_moe(w, c, i, act, l) : load_mlp(w, &l->mlp, act, i, "");
}

static void qwen2_moe_free(void *model)
{
    qwen2_moe *m = model;

    if (!m)
        return;
    for (int64_t i = 0; m->layers && i < m->dims.num_hidden_layers; i++)
        mn_free(m->layers[i].experts);
    mn_weights_free(&m->weights);
    mn_rope_free(&m->rope);
    mn_free(m->layers);
    mn_free(m);
}

static mnlp_status read_dims(const mnlp_config *c, mn_lm_dims *d)
{
    int64_t heads = 0, kv = 0, inter = 0, moe_inter = 0, shared = 0, experts = 0;
    mnlp_status st;

    if ((st = mnlp_config_get_int(c, "vocab_size", &d->vocab_size)) ||
        (st = mnlp_config_get_int(c, "hidden_size", &d->hidden_size)) ||
        (st = mnlp_config_get_int(c, "num_hidden_layers", &d->num_hidden_layers)) ||
        (st = mnlp_config_get_int(c, "intermediate_size", &inter)) ||
        (st = mnlp_config_get_int(c, "moe_intermediate_size", &moe_inter)) ||
        (st = mnlp_config_get_int(c, "shared_expert_intermediate_size", &shared)) ||
        (st = mnlp_config_get_int(c, "num_attention_heads", &heads)) ||
        (st = mnlp_config_get_int(c, "num_key_value_heads", &kv)) ||
        (st = mnlp_config_get_int(c, "num_experts", &experts)))
        return st;
    d->kv_width = kv * (d->hidden_size / heads);
    d->rope_dim = d->hidden_size / heads;
    d->n_scratch = S_COUNT;
    d->scratch_cols[S_RESIDUAL] = d->scratch_cols[S_NORMED] = d->hidden_size;
    d->scratch_cols[S_BLOCK_OUT] = d->scratch_cols[S_EXPERT] = d->hidden_size;
    d->scratch_cols[S_QUERY] = d->scratch_cols[S_CONTEXT] = d->hidden_size;
    d->scratch_cols[S_GATE] = d->scratch_cols[S_UP] = max3(inter, moe_inter, shared);
    d->scratch_cols[S_ROUTER] = experts > 1 ? experts : 1;
    return MNLP_OK;
}

static mnlp_status qwen2_moe_load(const mnlp_config *c, const mnlp_checkpoint *ckpt,
                                  void **out, mn_lm_dims *dims)
{
    qwen2_moe *m = mn_calloc(1, sizeof *m);
    bool tied = false;
    double eps = 0;
    mnlp_status st;

    *out = NULL;
    if (!m)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    m->weights.ckpt = ckpt;
    if ((st = read_dims(c, &m->dims)) ||
        (st = mnlp_config_get_bool(c, "tie_word_embeddings", &tied)) ||
        (st = mnlp_config_get_float(c, "rms_norm_eps", &eps)) ||
        (st = mn_rope_init(&m->rope, c, m->dims.rope_dim)))
        goto fail;
    m->norm.eps = (float)eps;
    if (!(m->layers = mn_calloc((size_t)m->dims.num_hidden_layers, sizeof *m->layers))) {
        st = mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
        goto fail;
    }
    if ((st = mn_weight(&m->weights, false, &m->embed_tokens, "model.embed_tokens.weight")) ||
        (st = mn_weight(&m->weights, true, &m->norm.weight, "model.norm.weight")))
        goto fail;
    for (int64_t i = 0; i < m->dims.num_hidden_layers; i++)
        if ((st = load_layer(&m->weights, c, (long long)i, &m->layers[i])))
            goto fail;
    if (tied)
        m->lm_head.weight = m->embed_tokens;
    else if ((st = mn_load_linear(&m->weights, &m->lm_head, false, "lm_head")))
        goto fail;
    *dims = m->dims;
    *out = m;
    return MNLP_OK;
fail:
    qwen2_moe_free(m);
    return st;
}

/* Qwen2MoeDecoderLayer: pre-norm attention and MoE (or MLP), each added to
 * the residual. */
static mnlp_status layer_forward(const qwen2_moe_layer *l, const mn_lm_chunk *c, int64_t i)
{
    mn_tensor *const *s = c->scratch;
    mn_attention_scratch as = {s[S_QUERY], s[S_CONTEXT]};
    mn_moe_scratch ms = {s[S_ROUTER], s[S_GATE], s[S_UP], s[S_EXPERT]};
    mnlp_status st;

    if ((st = mn_rms_norm_forward(&l->input_layernorm, s[S_RESIDUAL], s[S_NORMED])) ||
        (st = mn_attention_forward_masked(&l->self_attn, s[S_NORMED], c->cos, c->sin,
                                          c->key_cache[i], c->value_cache[i], c->past, c->mask,
                                          &as, s[S_BLOCK_OUT])) ||
        (st = mn_op_add(s[S_RESIDUAL], s[S_BLOCK_OUT], s[S_RESIDUAL])) ||
        (st = mn_rms_norm_forward(&l->post_attention_layernorm, s[S_RESIDUAL], s[S_NORMED])))
        return st;
    if (l->sparse)
        st = mn_moe_forward(&l->moe, s[S_NORMED], &ms, s[S_BLOCK_OUT]);
    else
        st = mn_gated_mlp_forward(&l->mlp, s[S_NORMED], s[S_GATE], s[S_UP], s[S_BLOCK_OUT]);
    return st ? st : mn_op_add(s[S_RESIDUAL], s[S_BLOCK_OUT], s[S_RESIDUAL]);
}

static mnlp_status qwen2_moe_forward(const void *model, const mn_lm_chunk *c)
{
    const qwen2_moe *m = model;
    mn_tensor *const *s = c->scratch;
    int64_t h = m->dims.hidden_size, layers = m->dims.num_hidden_layers;
    mnlp_status st;

    if ((st = mn_lm_rope_tables(&m->rope, c)) ||
        (st = mn_op_get_rows(m->embed_tokens, c->input_ids, s[S_RESIDUAL])) ||
        (st = mn_lm_keep_hidden(c, s[S_RESIDUAL], h, 0)))
        return st;
    for (int64_t i = 0; i < layers; i++) {
        if ((st = layer_forward(&m->layers[i], c, i)))
            return mn_error_prefix(st, "layer %lld", (long long)i);
        if (i + 1 < layers && (st = mn_lm_keep_hidden(c, s[S_RESIDUAL], h, i + 1)))
            return st;
    }
    if ((st = mn_rms_norm_forward(&m->norm, s[S_RESIDUAL], s[S_NORMED])) ||
        (st = mn_lm_keep_hidden(c, s[S_NORMED], h, layers)))
        return st;
    return mn_lm_logits(c, s[S_NORMED], &m->lm_head);
}

static const mn_lm_ops qwen2_moe_lm = {
    .load = qwen2_moe_load,
    .free = qwen2_moe_free,
    .forward = qwen2_moe_forward,
    .attention_mask = true,
};

static const char *const architectures[] = {"Qwen2MoeForCausalLM", NULL};
static const char *const honoured[] = {"tie_word_embeddings", NULL};
static const char *const ignored[] = {"self_attn.rotary_emb.inv_freq", NULL};

const mn_arch mn_arch_qwen2_moe = {
    .model_type = "qwen2_moe",
    .architectures = architectures,
    .honoured_base_fields = honoured,
    .check_config = check_config,
    .declare = declare,
    .ignored_suffixes = ignored,
    .causal_lm = &qwen2_moe_lm,
};
