/*
 * OPT (transformers' modeling_opt.py, OPTForCausalLM): learned positions
 * read at position + 2, LayerNorm before (do_layer_norm_before) or after
 * each block, a plain MLP (fc1, fc2), and for models whose embeddings are
 * narrower than the hidden size (word_embed_proj_dim, OPT-350m) the
 * project_in and project_out around the decoder.
 */
#include "models/lm_common.h"

#include <math.h>

/* OPTLearnedPositionalEmbedding reads row position + 2: the table was trained
 * with two rows reserved ahead of the first position. */
#define POSITION_OFFSET 2

/* nn.LayerNorm's default eps: OPT does not configure it. */
#define LAYER_NORM_EPS 1e-5f

static bool has_final_norm(const mnlp_config *c, mn_problems *p)
{
    return mn_cfg_bool(c, "do_layer_norm_before", p) &&
           !mn_cfg_bool(c, "_remove_final_layer_norm", p);
}

static void check_config(const mnlp_config *c, mn_problems *p)
{
    int64_t hidden = mn_cfg_int(c, "hidden_size", p);
    int64_t heads = mn_cfg_int(c, "num_attention_heads", p);

    mn_check_activation(c, "activation_function", p);
    mn_check_bool(c, "layer_norm_elementwise_affine", true, p);
    mn_cfg_bool(c, "enable_bias", p);
    has_final_norm(c, p);
    if (heads > 0 && hidden % heads != 0)
        mn_problem(p, "%s: hidden_size %lld is not a multiple of num_attention_heads %lld",
                   mn_config_name(c), (long long)hidden, (long long)heads);
}

static void declare_layer(mn_decls *d, long long i, int64_t h, int64_t ffn, bool bias)
{
    const char *const norms[] = {"self_attn_layer_norm", "final_layer_norm"};
    const struct {
        const char *name;
        int64_t out, in;
    } lin[] = {{"self_attn.q_proj", h, h}, {"self_attn.k_proj", h, h},
               {"self_attn.v_proj", h, h}, {"self_attn.out_proj", h, h},
               {"fc1", ffn, h}, {"fc2", h, ffn}};

    for (int j = 0; j < 2; j++) {
        mn_declare(d, MN_REQUIRED, 1, &h, "model.decoder.layers.%lld.%s.weight", i, norms[j]);
        mn_declare(d, MN_REQUIRED, 1, &h, "model.decoder.layers.%lld.%s.bias", i, norms[j]);
    }
    for (int j = 0; j < MN_COUNT(lin); j++) {
        mn_declare(d, MN_REQUIRED, 2, (int64_t[]){lin[j].out, lin[j].in},
                   "model.decoder.layers.%lld.%s.weight", i, lin[j].name);
        if (bias)
            mn_declare(d, MN_REQUIRED, 1, &lin[j].out, "model.decoder.layers.%lld.%s.bias", i,
                       lin[j].name);
    }
}

static bool declare(const mnlp_config *c, mn_decls *d, mn_problems *p)
{
    int64_t vocab = mn_cfg_int(c, "vocab_size", p), h = mn_cfg_int(c, "hidden_size", p);
    int64_t ffn = mn_cfg_int(c, "ffn_dim", p), layers = mn_cfg_int(c, "num_hidden_layers", p);
    int64_t pos = mn_cfg_int(c, "max_position_embeddings", p);
    int64_t proj = mn_cfg_int(c, "word_embed_proj_dim", p);
    bool bias = mn_cfg_bool(c, "enable_bias", p), final_norm = has_final_norm(c, p);
    bool tied = mn_cfg_bool(c, "tie_word_embeddings", p);
    int n_bad = 0;

    n_bad += !mn_cfg_in_range(c, "vocab_size", vocab, MN_MAX_DIM, p);
    n_bad += !mn_cfg_in_range(c, "hidden_size", h, MN_MAX_DIM, p);
    n_bad += !mn_cfg_in_range(c, "ffn_dim", ffn, MN_MAX_DIM, p);
    n_bad += !mn_cfg_in_range(c, "max_position_embeddings", pos, MN_MAX_DIM, p);
    n_bad += !mn_cfg_in_range(c, "word_embed_proj_dim", proj, MN_MAX_DIM, p);
    n_bad += !mn_cfg_in_range(c, "num_hidden_layers", layers, MN_MAX_LAYERS, p);
    if (n_bad || p->failed)
        return false;
    mn_declare(d, MN_REQUIRED, 2, (int64_t[]){vocab, proj}, "model.decoder.embed_tokens.weight");
    mn_declare(d, MN_REQUIRED, 2, (int64_t[]){pos + POSITION_OFFSET, h},
               "model.decoder.embed_positions.weight");
    if (proj != h) {
        mn_declare(d, MN_REQUIRED, 2, (int64_t[]){h, proj}, "model.decoder.project_in.weight");
        mn_declare(d, MN_REQUIRED, 2, (int64_t[]){proj, h}, "model.decoder.project_out.weight");
    }
    for (long long i = 0; i < layers; i++)
        declare_layer(d, i, h, ffn, bias);
    if (final_norm) {
        mn_declare(d, MN_REQUIRED, 1, &h, "model.decoder.final_layer_norm.weight");
        mn_declare(d, MN_REQUIRED, 1, &h, "model.decoder.final_layer_norm.bias");
    }
    mn_declare(d, tied ? MN_OPTIONAL : MN_REQUIRED, 2, (int64_t[]){vocab, proj},
               "lm_head.weight");
    return true;
}

/* ---- The forward of OPTForCausalLM ------------------------------------- */

typedef struct opt_layer {
    mn_layer_norm self_attn_layer_norm, final_layer_norm;
    mn_attention self_attn;
    mn_mlp mlp;
} opt_layer;

typedef struct opt {
    mn_weights weights;
    const mn_tensor *embed_tokens, *embed_positions;
    mn_linear project_in, project_out, lm_head;  /* project_*: NULL weight when absent */
    opt_layer *layers;
    mn_layer_norm final_layer_norm;              /* NULL weight when absent */
    bool pre_norm;
    int64_t proj_dim;
    mn_lm_dims dims;
} opt;

enum { S_RESIDUAL, S_NORMED, S_BLOCK_OUT, S_QUERY, S_CONTEXT, S_MID, S_EMBED, S_COUNT };

static mnlp_status load_layer(mn_weights *w, const mnlp_config *c, long long i, opt_layer *l)
{
    mn_attention *a = &l->self_attn;
    const char *act = NULL;
    bool bias = false;
    int64_t h = 0, heads = 0;
    mnlp_status st;

    if ((st = mnlp_config_get_bool(c, "enable_bias", &bias)) ||
        (st = mnlp_config_get_string(c, "activation_function", &act)) ||
        (st = mn_activation_parse(act, &l->mlp.act)) ||
        (st = mnlp_config_get_int(c, "hidden_size", &h)) ||
        (st = mnlp_config_get_int(c, "num_attention_heads", &heads)))
        return st;
    a->num_heads = a->num_key_value_heads = heads;
    a->head_dim = h / heads;
    /* OPTAttention multiplies the queries by head_dim ** -0.5. */
    a->scale = (float)(1.0 / sqrt((double)(h / heads)));
    if ((st = mn_load_layer_norm(w, &l->self_attn_layer_norm, LAYER_NORM_EPS,
                                 "model.decoder.layers.%lld.self_attn_layer_norm", i)) ||
        (st = mn_load_layer_norm(w, &l->final_layer_norm, LAYER_NORM_EPS,
                                 "model.decoder.layers.%lld.final_layer_norm", i)) ||
        (st = mn_load_linear(w, &a->q_proj, bias, "model.decoder.layers.%lld.self_attn.q_proj",
                             i)) ||
        (st = mn_load_linear(w, &a->k_proj, bias, "model.decoder.layers.%lld.self_attn.k_proj",
                             i)) ||
        (st = mn_load_linear(w, &a->v_proj, bias, "model.decoder.layers.%lld.self_attn.v_proj",
                             i)) ||
        (st = mn_load_linear(w, &a->o_proj, bias,
                             "model.decoder.layers.%lld.self_attn.out_proj", i)) ||
        (st = mn_load_linear(w, &l->mlp.fc1, bias, "model.decoder.layers.%lld.fc1", i)))
        return st;
    return mn_load_linear(w, &l->mlp.fc2, bias, "model.decoder.layers.%lld.fc2", i);
}

static void opt_free(void *model)
{
    opt *m = model;

    if (!m)
        return;
    mn_weights_free(&m->weights);
    mn_free(m->layers);
    mn_free(m);
}

static mnlp_status read_dims(const mnlp_config *c, opt *m)
{
    mn_lm_dims *d = &m->dims;
    int64_t ffn = 0;
    mnlp_status st;

    if ((st = mnlp_config_get_int(c, "vocab_size", &d->vocab_size)) ||
        (st = mnlp_config_get_int(c, "hidden_size", &d->hidden_size)) ||
        (st = mnlp_config_get_int(c, "num_hidden_layers", &d->num_hidden_layers)) ||
        (st = mnlp_config_get_int(c, "ffn_dim", &ffn)) ||
        (st = mnlp_config_get_int(c, "word_embed_proj_dim", &m->proj_dim)) ||
        (st = mnlp_config_get_bool(c, "do_layer_norm_before", &m->pre_norm)))
        return st;
    d->kv_width = d->hidden_size;
    /* No rotary positions; the smallest table lm.c can allocate, never read. */
    d->rope_dim = 2;
    d->n_scratch = S_COUNT;
    for (int i = 0; i < S_MID; i++)
        d->scratch_cols[i] = d->hidden_size;
    d->scratch_cols[S_MID] = ffn;
    d->scratch_cols[S_EMBED] = m->proj_dim;
    return MNLP_OK;
}

static mnlp_status load_top(opt *m, const mnlp_config *c)
{
    mn_weights *w = &m->weights;
    bool tied = false, remove_final = false;
    mnlp_status st;

    if ((st = mnlp_config_get_bool(c, "tie_word_embeddings", &tied)) ||
        (st = mnlp_config_get_bool(c, "_remove_final_layer_norm", &remove_final)) ||
        (st = mn_weight(w, false, &m->embed_tokens, "model.decoder.embed_tokens.weight")) ||
        (st = mn_weight(w, false, &m->embed_positions, "model.decoder.embed_positions.weight")))
        return st;
    if (m->proj_dim != m->dims.hidden_size &&
        ((st = mn_load_linear(w, &m->project_in, false, "model.decoder.project_in")) ||
         (st = mn_load_linear(w, &m->project_out, false, "model.decoder.project_out"))))
        return st;
    if (m->pre_norm && !remove_final &&
        (st = mn_load_layer_norm(w, &m->final_layer_norm, LAYER_NORM_EPS,
                                 "model.decoder.final_layer_norm")))
        return st;
    if (tied)
        m->lm_head.weight = m->embed_tokens;
    else if ((st = mn_load_linear(w, &m->lm_head, false, "lm_head")))
        return st;
    return MNLP_OK;
}

static mnlp_status opt_load(const mnlp_config *c, const mnlp_checkpoint *ckpt, void **out,
                            mn_lm_dims *dims)
{
    opt *m = mn_calloc(1, sizeof *m);
    mnlp_status st;

    *out = NULL;
    if (!m)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    m->weights.ckpt = ckpt;
    if ((st = read_dims(c, m)))
        goto fail;
    if (!(m->layers = mn_calloc((size_t)m->dims.num_hidden_layers, sizeof *m->layers))) {
        st = mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
        goto fail;
    }
    if ((st = load_top(m, c)))
        goto fail;
    for (int64_t i = 0; i < m->dims.num_hidden_layers; i++)
        if ((st = load_layer(&m->weights, c, (long long)i, &m->layers[i])))
            goto fail;
    *dims = m->dims;
    *out = m;
    return MNLP_OK;
fail:
    opt_free(m);
    return st;
}

/* x + f(norm(x)) with pre_norm, else norm(x + f(x)), into the residual. */
static mnlp_status residual_block(const opt *m, const opt_layer *l, const mn_lm_chunk *c,
                                  int64_t i, bool attn)
{
    mn_tensor *const *s = c->scratch;
    mn_attention_scratch as = {s[S_QUERY], s[S_CONTEXT]};
    const mn_layer_norm *norm = attn ? &l->self_attn_layer_norm : &l->final_layer_norm;
    const mn_tensor *in = s[S_RESIDUAL];
    mnlp_status st;

    if (m->pre_norm && (st = mn_layer_norm_forward(norm, s[S_RESIDUAL], s[S_NORMED])))
        return st;
    if (m->pre_norm)
        in = s[S_NORMED];
    st = attn ? mn_attention_forward_masked(&l->self_attn, in, NULL, NULL, c->key_cache[i],
                                            c->value_cache[i], c->past, c->mask, &as,
                                            s[S_BLOCK_OUT])
              : mn_mlp_forward(&l->mlp, in, s[S_MID], s[S_BLOCK_OUT]);
    if (st)
        return st;
    if (m->pre_norm)
        return mn_op_add(s[S_RESIDUAL], s[S_BLOCK_OUT], s[S_RESIDUAL]);
    if ((st = mn_op_add(s[S_RESIDUAL], s[S_BLOCK_OUT], s[S_BLOCK_OUT])))
        return st;
    return mn_layer_norm_forward(norm, s[S_BLOCK_OUT], s[S_RESIDUAL]);
}

/* The embeddings (through project_in when present) plus the positions. */
static mnlp_status embed(const opt *m, const mn_lm_chunk *c)
{
    mn_tensor *const *s = c->scratch;
    mn_tensor row;
    mnlp_status st;

    if (m->project_in.weight) {
        if ((st = mn_op_get_rows(m->embed_tokens, c->input_ids, s[S_EMBED])) ||
            (st = mn_linear_forward(&m->project_in, s[S_EMBED], s[S_RESIDUAL])))
            return st;
    } else if ((st = mn_op_get_rows(m->embed_tokens, c->input_ids, s[S_RESIDUAL]))) {
        return st;
    }
    if ((st = mn_tensor_rows(s[S_NORMED], 0, 1, 0, NULL, &row)))
        return st;
    return mn_position_embedding_add(m->embed_positions, c->position_ids, c->n,
                                     POSITION_OFFSET, &row, s[S_RESIDUAL]);
}

static mnlp_status opt_forward(const void *model, const mn_lm_chunk *c)
{
    const opt *m = model;
    mn_tensor *const *s = c->scratch;
    int64_t h = m->dims.hidden_size, layers = m->dims.num_hidden_layers;
    const mn_tensor *x = s[S_RESIDUAL];
    mnlp_status st;

    if ((st = embed(m, c)) || (st = mn_lm_keep_hidden(c, s[S_RESIDUAL], h, 0)))
        return st;
    for (int64_t i = 0; i < layers; i++) {
        if ((st = residual_block(m, &m->layers[i], c, i, true)) ||
            (st = residual_block(m, &m->layers[i], c, i, false)))
            return mn_error_prefix(st, "layer %lld", (long long)i);
        if (i + 1 < layers && (st = mn_lm_keep_hidden(c, s[S_RESIDUAL], h, i + 1)))
            return st;
    }
    if (m->final_layer_norm.weight) {
        if ((st = mn_layer_norm_forward(&m->final_layer_norm, x, s[S_NORMED])))
            return st;
        x = s[S_NORMED];
    }
    if (m->project_out.weight) {
        if ((st = mn_linear_forward(&m->project_out, x, s[S_EMBED])))
            return st;
        x = s[S_EMBED];
    }
    if ((st = mn_lm_keep_hidden(c, x, h, layers)))
        return st;
    return mn_lm_logits(c, x, &m->lm_head);
}

static const mn_lm_ops opt_lm = {
    .load = opt_load,
    .free = opt_free,
    .forward = opt_forward,
    .attention_mask = true,
};

static const char *const architectures[] = {"OPTForCausalLM", NULL};
static const char *const honoured[] = {"tie_word_embeddings", NULL};

const mn_arch mn_arch_opt = {
    .model_type = "opt",
    .architectures = architectures,
    .honoured_base_fields = honoured,
    .check_config = check_config,
    .declare = declare,
    .causal_lm = &opt_lm,
};
