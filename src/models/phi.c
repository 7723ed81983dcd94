/*
 * Phi (transformers' modeling_phi.py, PhiForCausalLM): each layer runs
 * attention and a plain MLP in parallel from one LayerNorm and adds both to
 * the residual; rotary positions cover the first partial_rotary_factor of
 * each head; every projection, and lm_head, has a bias.
 */
#include "models/lm_common.h"

#include <math.h>

static void check_config(const mnlp_config *c, mn_problems *p)
{
    int64_t hidden = mn_cfg_int(c, "hidden_size", p);
    int64_t heads = mn_cfg_int(c, "num_attention_heads", p);
    int64_t kv = mn_cfg_int(c, "num_key_value_heads", p);
    double factor = mn_cfg_float(c, "partial_rotary_factor", p);

    mn_check_activation(c, "hidden_act", p);
    mn_check_rope_scaling(c, p);
    /* transformers 4.47 applies q_layernorm/k_layernorm ([head_dim]) to the
     * unsplit projections, which fails for any model with several heads. */
    mn_check_bool(c, "qk_layernorm", false, p);
    mn_cfg_float(c, "layer_norm_eps", p);
    mn_cfg_float(c, "rope_theta", p);
    if (heads > 0 && hidden % heads != 0) {
        mn_problem(p, "%s: hidden_size %lld is not a multiple of num_attention_heads %lld",
                   mn_config_name(c), (long long)hidden, (long long)heads);
    } else if (heads > 0) {
        int64_t rot = (int64_t)(factor * (double)(hidden / heads));

        if (rot < 2 || rot % 2 != 0)
            mn_problem(p, "%s: partial_rotary_factor %g gives %lld rotary dims per head; mnlp "
                       "needs an even number >= 2", mn_config_name(c), factor, (long long)rot);
    }
    if (kv > 0 && heads % kv != 0)
        mn_problem(p, "%s: num_attention_heads %lld is not a multiple of num_key_value_heads "
                   "%lld", mn_config_name(c), (long long)heads, (long long)kv);
}

static bool declare(const mnlp_config *c, mn_decls *d, mn_problems *p)
{
    int64_t vocab = mn_cfg_int(c, "vocab_size", p), h = mn_cfg_int(c, "hidden_size", p);
    int64_t inter = mn_cfg_int(c, "intermediate_size", p);
    int64_t layers = mn_cfg_int(c, "num_hidden_layers", p);
    int64_t heads = mn_cfg_int(c, "num_attention_heads", p);
    int64_t kv = mn_cfg_int(c, "num_key_value_heads", p);
    bool tied = mn_cfg_bool(c, "tie_word_embeddings", p);
    int n_bad = 0;

    n_bad += !mn_cfg_in_range(c, "vocab_size", vocab, MN_MAX_DIM, p);
    n_bad += !mn_cfg_in_range(c, "hidden_size", h, MN_MAX_DIM, p);
    n_bad += !mn_cfg_in_range(c, "intermediate_size", inter, MN_MAX_DIM, p);
    n_bad += !mn_cfg_in_range(c, "num_hidden_layers", layers, MN_MAX_LAYERS, p);
    n_bad += !mn_cfg_in_range(c, "num_attention_heads", heads, 1 << 16, p);
    n_bad += !mn_cfg_in_range(c, "num_key_value_heads", kv, 1 << 16, p);
    if (n_bad || p->failed)
        return false;
    mn_declare(d, MN_REQUIRED, 2, (int64_t[]){vocab, h}, "model.embed_tokens.weight");
    for (long long i = 0; i < layers; i++) {
        int64_t kv_rows = kv * (h / heads);
        const struct {
            const char *name;
            int64_t out, in;
        } lin[] = {{"self_attn.q_proj", h, h}, {"self_attn.k_proj", kv_rows, h},
                   {"self_attn.v_proj", kv_rows, h}, {"self_attn.dense", h, h},
                   {"mlp.fc1", inter, h}, {"mlp.fc2", h, inter}};

        mn_declare(d, MN_REQUIRED, 1, &h, "model.layers.%lld.input_layernorm.weight", i);
        mn_declare(d, MN_REQUIRED, 1, &h, "model.layers.%lld.input_layernorm.bias", i);
        for (int j = 0; j < MN_COUNT(lin); j++) {
            mn_declare(d, MN_REQUIRED, 2, (int64_t[]){lin[j].out, lin[j].in},
                       "model.layers.%lld.%s.weight", i, lin[j].name);
            mn_declare(d, MN_REQUIRED, 1, &lin[j].out, "model.layers.%lld.%s.bias", i,
                       lin[j].name);
        }
    }
    mn_declare(d, MN_REQUIRED, 1, &h, "model.final_layernorm.weight");
    mn_declare(d, MN_REQUIRED, 1, &h, "model.final_layernorm.bias");
    mn_declare(d, tied ? MN_OPTIONAL : MN_REQUIRED, 2, (int64_t[]){vocab, h}, "lm_head.weight");
    mn_declare(d, MN_REQUIRED, 1, &vocab, "lm_head.bias");
    return true;
}

/* ---- The forward of PhiForCausalLM ------------------------------------- */

typedef struct phi_layer {
    mn_layer_norm input_layernorm;
    mn_attention self_attn;
    mn_mlp mlp;
} phi_layer;

typedef struct phi {
    mn_weights weights;
    const mn_tensor *embed_tokens;
    mn_linear lm_head;
    phi_layer *layers;
    mn_layer_norm final_layernorm;
    mn_rope rope;
    mn_lm_dims dims;
} phi;

enum { S_RESIDUAL, S_NORMED, S_ATTN, S_MLP, S_QUERY, S_CONTEXT, S_MID, S_COUNT };

static mnlp_status load_layer(mn_weights *w, const mnlp_config *c, long long i, phi_layer *l)
{
    mn_attention *a = &l->self_attn;
    const char *act = NULL;
    double eps = 0;
    int64_t h = 0;
    mnlp_status st;

    if ((st = mnlp_config_get_float(c, "layer_norm_eps", &eps)) ||
        (st = mnlp_config_get_string(c, "hidden_act", &act)) ||
        (st = mn_activation_parse(act, &l->mlp.act)) ||
        (st = mnlp_config_get_int(c, "hidden_size", &h)) ||
        (st = mnlp_config_get_int(c, "num_attention_heads", &a->num_heads)) ||
        (st = mnlp_config_get_int(c, "num_key_value_heads", &a->num_key_value_heads)))
        return st;
    a->head_dim = h / a->num_heads;
    a->scale = (float)(1.0 / sqrt((double)a->head_dim));
    if ((st = mn_load_layer_norm(w, &l->input_layernorm, (float)eps,
                                 "model.layers.%lld.input_layernorm", i)) ||
        (st = mn_load_linear(w, &a->q_proj, true, "model.layers.%lld.self_attn.q_proj", i)) ||
        (st = mn_load_linear(w, &a->k_proj, true, "model.layers.%lld.self_attn.k_proj", i)) ||
        (st = mn_load_linear(w, &a->v_proj, true, "model.layers.%lld.self_attn.v_proj", i)) ||
        (st = mn_load_linear(w, &a->o_proj, true, "model.layers.%lld.self_attn.dense", i)) ||
        (st = mn_load_linear(w, &l->mlp.fc1, true, "model.layers.%lld.mlp.fc1", i)))
        return st;
    return mn_load_linear(w, &l->mlp.fc2, true, "model.layers.%lld.mlp.fc2", i);
}

static void phi_free(void *model)
{
    phi *m = model;

    if (!m)
        return;
    mn_weights_free(&m->weights);
    mn_rope_free(&m->rope);
    mn_free(m->layers);
    mn_free(m);
}

static mnlp_status read_dims(const mnlp_config *c, mn_lm_dims *d)
{
    int64_t heads = 0, kv = 0, inter = 0;
    double factor = 0;
    mnlp_status st;

    if ((st = mnlp_config_get_int(c, "vocab_size", &d->vocab_size)) ||
        (st = mnlp_config_get_int(c, "hidden_size", &d->hidden_size)) ||
        (st = mnlp_config_get_int(c, "num_hidden_layers", &d->num_hidden_layers)) ||
        (st = mnlp_config_get_int(c, "intermediate_size", &inter)) ||
        (st = mnlp_config_get_int(c, "num_attention_heads", &heads)) ||
        (st = mnlp_config_get_int(c, "num_key_value_heads", &kv)) ||
        (st = mnlp_config_get_float(c, "partial_rotary_factor", &factor)))
        return st;
    d->kv_width = kv * (d->hidden_size / heads);
    /* rotary_ndims = int(partial_rotary_factor * head_dim) */
    d->rope_dim = (int64_t)(factor * (double)(d->hidden_size / heads));
    d->n_scratch = S_COUNT;
    for (int i = 0; i < S_MID; i++)
        d->scratch_cols[i] = d->hidden_size;
    d->scratch_cols[S_MID] = inter;
    return MNLP_OK;
}

static mnlp_status phi_load(const mnlp_config *c, const mnlp_checkpoint *ckpt, void **out,
                            mn_lm_dims *dims)
{
    phi *m = mn_calloc(1, sizeof *m);
    bool tied = false;
    double eps = 0;
    mnlp_status st;

    *out = NULL;
    if (!m)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    m->weights.ckpt = ckpt;
    if ((st = read_dims(c, &m->dims)) ||
        (st = mnlp_config_get_bool(c, "tie_word_embeddings", &tied)) ||
        (st = mnlp_config_get_float(c, "layer_norm_eps", &eps)) ||
        (st = mn_rope_init(&m->rope, c, m->dims.rope_dim)))
        goto fail;
    if (!(m->layers = mn_calloc((size_t)m->dims.num_hidden_layers, sizeof *m->layers))) {
        st = mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
        goto fail;
    }
    if ((st = mn_weight(&m->weights, false, &m->embed_tokens, "model.embed_tokens.weight")) ||
        (st = mn_load_layer_norm(&m->weights, &m->final_layernorm, (float)eps,
                                 "model.final_layernorm")))
        goto fail;
    for (int64_t i = 0; i < m->dims.num_hidden_layers; i++)
        if ((st = load_layer(&m->weights, c, (long long)i, &m->layers[i])))
            goto fail;
    /* A tied head shares the embedding matrix but keeps its own bias. */
    if (tied)
        st = mn_weight(&m->weights, true, &m->lm_head.bias, "lm_head.bias");
    else
        st = mn_load_linear(&m->weights, &m->lm_head, true, "lm_head");
    if (st)
        goto fail;
    if (tied)
        m->lm_head.weight = m->embed_tokens;
    *dims = m->dims;
    *out = m;
    return MNLP_OK;
fail:
    phi_free(m);
    return st;
}

/* PhiDecoderLayer: x + attn(ln(x)) + mlp(ln(x)), summed as attn + mlp + x. */
static mnlp_status layer_forward(const phi_layer *l, const mn_lm_chunk *c, int64_t i)
{
    mn_tensor *const *s = c->scratch;
    mn_attention_scratch as = {s[S_QUERY], s[S_CONTEXT]};
    mnlp_status st;

    if ((st = mn_layer_norm_forward(&l->input_layernorm, s[S_RESIDUAL], s[S_NORMED])) ||
        (st = mn_attention_forward_masked(&l->self_attn, s[S_NORMED], c->cos, c->sin,
                                          c->key_cache[i], c->value_cache[i], c->past, c->mask,
                                          &as, s[S_ATTN])) ||
        (st = mn_mlp_forward(&l->mlp, s[S_NORMED], s[S_MID], s[S_MLP])) ||
        (st = mn_op_add(s[S_ATTN], s[S_MLP], s[S_ATTN])))
        return st;
    return mn_op_add(s[S_ATTN], s[S_RESIDUAL], s[S_RESIDUAL]);
}

static mnlp_status phi_forward(const void *model, const mn_lm_chunk *c)
{
    const phi *m = model;
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
    if ((st = mn_layer_norm_forward(&m->final_layernorm, s[S_RESIDUAL], s[S_NORMED])) ||
        (st = mn_lm_keep_hidden(c, s[S_NORMED], h, layers)))
        return st;
    return mn_lm_logits(c, s[S_NORMED], &m->lm_head);
}

static const mn_lm_ops phi_lm = {
    .load = phi_load,
    .free = phi_free,
    .forward = phi_forward,
    .attention_mask = true,
};

static const char *const architectures[] = {"PhiForCausalLM", NULL};
static const char *const honoured[] = {"tie_word_embeddings", NULL};
static const char *const ignored[] = {"self_attn.rotary_emb.inv_freq", NULL};

const mn_arch mn_arch_phi = {
    .model_type = "phi",
    .architectures = architectures,
    .honoured_base_fields = honoured,
    .check_config = check_config,
    .declare = declare,
    .ignored_suffixes = ignored,
    .causal_lm = &phi_lm,
};
