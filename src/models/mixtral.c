/*
 * Mixtral (transformers' modeling_mixtral.py, MixtralForCausalLM): Llama's
 * attention and RMSNorm with a sparse MoE in place of the MLP: a softmax
 * over all num_local_experts, the top num_experts_per_tok kept and
 * renormalised to sum 1, each a gated MLP (w2(act(w1(x)) * w3(x))).
 */
#include "models/lm_common.h"

#include <math.h>

static void check_config(const mnlp_config *c, mn_problems *p)
{
    int64_t heads = mn_cfg_int(c, "num_attention_heads", p);
    int64_t kv = mn_cfg_int(c, "num_key_value_heads", p);
    int64_t experts = mn_cfg_int(c, "num_local_experts", p);
    int64_t top_k = mn_cfg_int(c, "num_experts_per_tok", p);
    const mn_json *window = mn_config_value(c, "sliding_window");

    mn_check_activation(c, "hidden_act", p);
    mn_check_rope_scaling(c, p);
    mn_cfg_float(c, "rms_norm_eps", p);
    mn_cfg_float(c, "rope_theta", p);
    if (window && window->type != MN_JSON_NULL)
        mn_problem(p, "%s: sliding_window is not supported for mixtral yet", mn_config_name(c));
    if (kv > 0 && heads % kv != 0)
        mn_problem(p, "%s: num_attention_heads %lld is not a multiple of num_key_value_heads "
                   "%lld", mn_config_name(c), (long long)heads, (long long)kv);
    if (experts < 1 || experts > MN_MOE_MAX_EXPERTS || top_k < 1 || top_k > experts)
        mn_problem(p, "%s: num_experts_per_tok %lld of num_local_experts %lld is outside "
                   "[1, %d] experts", mn_config_name(c), (long long)top_k, (long long)experts,
                   MN_MOE_MAX_EXPERTS);
}

static bool declare(const mnlp_config *c, mn_decls *d, mn_problems *p)
{
    int64_t vocab = mn_cfg_int(c, "vocab_size", p), h = mn_cfg_int(c, "hidden_size", p);
    int64_t inter = mn_cfg_int(c, "intermediate_size", p);
    int64_t layers = mn_cfg_int(c, "num_hidden_layers", p);
    int64_t heads = mn_cfg_int(c, "num_attention_heads", p);
    int64_t kv = mn_cfg_int(c, "num_key_value_heads", p), hd = mn_cfg_int(c, "head_dim", p);
    int64_t experts = mn_cfg_int(c, "num_local_experts", p);
    bool tied = mn_cfg_bool(c, "tie_word_embeddings", p);
    int n_bad = 0;

    n_bad += !mn_cfg_in_range(c, "vocab_size", vocab, MN_MAX_DIM, p);
    n_bad += !mn_cfg_in_range(c, "hidden_size", h, MN_MAX_DIM, p);
    n_bad += !mn_cfg_in_range(c, "intermediate_size", inter, MN_MAX_DIM, p);
    n_bad += !mn_cfg_in_range(c, "num_hidden_layers", layers, MN_MAX_LAYERS, p);
    n_bad += !mn_cfg_in_range(c, "num_attention_heads", heads, 1 << 16, p);
    n_bad += !mn_cfg_in_range(c, "num_key_value_heads", kv, 1 << 16, p);
    n_bad += !mn_cfg_in_range(c, "head_dim", hd, 1 << 16, p);
    n_bad += !mn_cfg_in_range(c, "num_local_experts", experts, MN_MOE_MAX_EXPERTS, p);
    if (n_bad || p->failed)
        return false;
    mn_declare(d, MN_REQUIRED, 2, (int64_t[]){vocab, h}, "model.embed_tokens.weight");
    for (long long i = 0; i < layers; i++) {
        const char *const proj[] = {"q", "k", "v"};
        const int64_t rows[] = {heads * hd, kv * hd, kv * hd};

        for (int j = 0; j < 3; j++)
            mn_declare(d, MN_REQUIRED, 2, (int64_t[]){rows[j], h},
                       "model.layers.%lld.self_attn.%s_proj.weight", i, proj[j]);
        mn_declare(d, MN_REQUIRED, 2, (int64_t[]){h, heads * hd},
                   "model.layers.%lld.self_attn.o_proj.weight", i);
        mn_declare(d, MN_REQUIRED, 2, (int64_t[]){experts, h},
                   "model.layers.%lld.block_sparse_moe.gate.weight", i);
        for (long long e = 0; e < experts; e++) {
            const char *prefix = "model.layers.%lld.block_sparse_moe.experts.%lld.%s.weight";

            mn_declare(d, MN_REQUIRED, 2, (int64_t[]){inter, h}, prefix, i, e, "w1");
            mn_declare(d, MN_REQUIRED, 2, (int64_t[]){h, inter}, prefix, i, e, "w2");
            mn_declare(d, MN_REQUIRED, 2, (int64_t[]){inter, h}, prefix, i, e, "w3");
        }
        mn_declare(d, MN_REQUIRED, 1, &h, "model.layers.%lld.input_layernorm.weight", i);
        mn_declare(d, MN_REQUIRED, 1, &h, "model.layers.%lld.post_attention_layernorm.weight",
                   i);
    }
    mn_declare(d, MN_REQUIRED, 1, &h, "model.norm.weight");
    mn_declare(d, tied ? MN_OPTIONAL : MN_REQUIRED, 2, (int64_t[]){vocab, h}, "lm_head.weight");
    return true;
}

/* ---- The forward of MixtralForCausalLM --------------------------------- */

typedef struct mixtral_layer {
    mn_rms_norm input_layernorm, post_attention_layernorm;
    mn_attention self_attn;
    mn_moe block_sparse_moe;
    mn_gated_mlp *experts;
} mixtral_layer;

typedef struct mixtral {
    mn_weights weights;
    const mn_tensor *embed_tokens;
    mn_linear lm_head;
    mixtral_layer *layers;
    mn_rms_norm norm;
    mn_rope rope;
    mn_lm_dims dims;
} mixtral;

enum { S_RESIDUAL, S_NORMED, S_BLOCK_OUT, S_QUERY, S_CONTEXT, S_GATE, S_UP, S_ROUTER,
       S_EXPERT, S_COUNT };

static mnlp_status load_moe(mn_weights *w, const mnlp_config *c, long long i, mixtral_layer *l)
{
    mn_moe *moe = &l->block_sparse_moe;
    const char *act = NULL;
    mn_activation a;
    mnlp_status st;

    if ((st = mnlp_config_get_int(c, "num_local_experts", &moe->num_experts)) ||
        (st = mnlp_config_get_int(c, "num_experts_per_tok", &moe->top_k)) ||
        (st = mnlp_config_get_string(c, "hidden_act", &act)) ||
        (st = mn_activation_parse(act, &a)))
        return st;
    moe->norm_topk_prob = true;
    if (!(l->experts = mn_calloc((size_t)moe->num_experts, sizeof *l->experts)))
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    moe->experts = l->experts;
    if ((st = mn_load_linear(w, &moe->gate, false, "model.layers.%lld.block_sparse_moe.gate",
                             i)))
        return st;
    for (long long e = 0; e < moe->num_experts; e++) {
        mn_gated_mlp *x = &l->experts[e];
        const char *f = "model.layers.%lld.block_sparse_moe.experts.%lld.%s";

        x->act = a;
        if ((st = mn_load_linear(w, &x->gate_proj, false, f, i, e, "w1")) ||
            (st = mn_load_linear(w, &x->down_proj, false, f, i, e, "w2")) ||
            (st = mn_load_linear(w, &x->up_proj, false, f, i, e, "w3")))
            return st;
    }
    return MNLP_OK;
}

static mnlp_status load_layer(mn_weights *w, const mnlp_config *c, long long i,
                              mixtral_layer *l)
{
    mn_attention *a = &l->self_attn;
    double eps = 0;
    mnlp_status st;

    if ((st = mnlp_config_get_float(c, "rms_norm_eps", &eps)) ||
        (st = mnlp_config_get_int(c, "num_attention_heads", &a->num_heads)) ||
        (st = mnlp_config_get_int(c, "num_key_value_heads", &a->num_key_value_heads)) ||
        (st = mnlp_config_get_int(c, "head_dim", &a->head_dim)))
        return st;
    a->scale = (float)(1.0 / sqrt((double)a->head_dim));
    l->input_layernorm.eps = l->post_attention_layernorm.eps = (float)eps;
    if ((st = mn_weight(w, true, &l->input_layernorm.weight,
                        "model.layers.%lld.input_layernorm.weight", i)) ||
        (st = mn_weight(w, true, &l->post_attention_layernorm.weight,
                        "model.layers.%lld.post_attention_layernorm.weight", i)) ||
        (st = mn_load_linear(w, &a->q_proj, false, "model.layers.%lld.self_attn.q_proj", i)) ||
        (st = mn_load_linear(w, &a->k_proj, false, "model.layers.%lld.self_attn.k_proj", i)) ||
        (st = mn_load_linear(w, &a->v_proj, false, "model.layers.%lld.self_attn.v_proj", i)) ||
        (st = mn_load_linear(w, &a->o_proj, false, "model.layers.%lld.self_attn.o_proj", i)))
        return st;
    return load_moe(w, c, i, l);
}

static void mixtral_free(void *model)
{
    mixtral *m = model;

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
    int64_t heads = 0, kv = 0, hd = 0, inter = 0, experts = 0;
    mnlp_status st;

    if ((st = mnlp_config_get_int(c, "vocab_size", &d->vocab_size)) ||
        (st = mnlp_config_get_int(c, "hidden_size", &d->hidden_size)) ||
        (st = mnlp_config_get_int(c, "num_hidden_layers", &d->num_hidden_layers)) ||
        (st = mnlp_config_get_int(c, "intermediate_size", &inter)) ||
        (st = mnlp_config_get_int(c, "num_attention_heads", &heads)) ||
        (st = mnlp_config_get_int(c, "num_key_value_heads", &kv)) ||
        (st = mnlp_config_get_int(c, "head_dim", &hd)) ||
        (st = mnlp_config_get_int(c, "num_local_experts", &experts)))
        return st;
    d->kv_width = kv * hd;
    d->rope_dim = hd;
    d->n_scratch = S_COUNT;
    d->scratch_cols[S_RESIDUAL] = d->scratch_cols[S_NORMED] = d->hidden_size;
    d->scratch_cols[S_BLOCK_OUT] = d->scratch_cols[S_EXPERT] = d->hidden_size;
    d->scratch_cols[S_QUERY] = d->scratch_cols[S_CONTEXT] = heads * hd;
    d->scratch_cols[S_GATE] = d->scratch_cols[S_UP] = inter;
    d->scratch_cols[S_ROUTER] = experts;
    return MNLP_OK;
}

static mnlp_status mixtral_load(const mnlp_config *c, const mnlp_checkpoint *ckpt, void **out,
                                mn_lm_dims *dims)
{
    mixtral *m = mn_calloc(1, sizeof *m);
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
    mixtral_free(m);
    return st;
}

/* MixtralDecoderLayer: pre-norm attention and sparse MoE, each added to the residual. */
static mnlp_status layer_forward(const mixtral_layer *l, const mn_lm_chunk *c, int64_t i)
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
        (st = mn_rms_norm_forward(&l->post_attention_layernorm, s[S_RESIDUAL], s[S_NORMED])) ||
        (st = mn_moe_forward(&l->block_sparse_moe, s[S_NORMED], &ms, s[S_BLOCK_OUT])))
        return st;
    return mn_op_add(s[S_RESIDUAL], s[S_BLOCK_OUT], s[S_RESIDUAL]);
}

static mnlp_status mixtral_forward(const void *model, const mn_lm_chunk *c)
{
    const mixtral *m = model;
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

static const mn_lm_ops mixtral_lm = {
    .load = mixtral_load,
    .free = mixtral_free,
    .forward = mixtral_forward,
    .attention_mask = true,
};

static const char *const architectures[] = {"MixtralForCausalLM", NULL};
static const char *const honoured[] = {"tie_word_embeddings", NULL};
static const char *const ignored[] = {"self_attn.rotary_emb.inv_freq", NULL};

const mn_arch mn_arch_mixtral = {
    .model_type = "mixtral",
    .architectures = architectures,
    .honoured_base_fields = honoured,
    .check_config = check_config,
    .declare = declare,
    .ignored_suffixes = ignored,
    .causal_lm = &mixtral_lm,
};
