/*
 * GPT-NeoX (transformers' modeling_gpt_neox.py, GPTNeoXForCausalLM):
 * LayerNorm blocks whose attention and MLP run in parallel from the same
 * input (use_parallel_residual) or one after the other, rotary positions on
 * the first rotary_pct of each head, and a fused query_key_value projection
 * whose rows are per head: [q_h, k_h, v_h] for each head h.
 */
#include "models/lm_common.h"

#include <math.h>
#include <string.h>

/* GPTNeoXConfig.__init__ overwrites these copies with their sources. */
static void check_copy(const mnlp_config *c, const char *copy, const char *source,
                       mn_problems *p)
{
    double a = mn_cfg_float(c, copy, p), b = mn_cfg_float(c, source, p);

    if (a != b)
        mn_problem(p, "%s: \"%s\" %g differs from \"%s\" %g, which GPTNeoXConfig uses",
                   mn_config_name(c), copy, a, source, b);
}

static void check_config(const mnlp_config *c, mn_problems *p)
{
    int64_t hidden = mn_cfg_int(c, "hidden_size", p);
    int64_t heads = mn_cfg_int(c, "num_attention_heads", p);
    double pct = mn_cfg_float(c, "rotary_pct", p);

    mn_check_activation(c, "hidden_act", p);
    mn_check_rope_scaling(c, p);
    check_copy(c, "partial_rotary_factor", "rotary_pct", p);
    check_copy(c, "rope_theta", "rotary_emb_base", p);
    mn_cfg_float(c, "layer_norm_eps", p);
    mn_cfg_bool(c, "use_parallel_residual", p);
    if (heads > 0 && hidden % heads != 0) {
        mn_problem(p, "%s: hidden_size %lld is not a multiple of num_attention_heads %lld",
                   mn_config_name(c), (long long)hidden, (long long)heads);
    } else if (heads > 0) {
        int64_t rot = (int64_t)((double)(hidden / heads) * pct);

        if (rot < 2 || rot % 2 != 0)
            mn_problem(p, "%s: rotary_pct %g gives %lld rotary dims per head; mnlp needs an "
                       "even number >= 2", mn_config_name(c), pct, (long long)rot);
    }
}

static bool declare(const mnlp_config *c, mn_decls *d, mn_problems *p)
{
    int64_t vocab = mn_cfg_int(c, "vocab_size", p), h = mn_cfg_int(c, "hidden_size", p);
    int64_t inter = mn_cfg_int(c, "intermediate_size", p);
    int64_t layers = mn_cfg_int(c, "num_hidden_layers", p);
    bool bias = mn_cfg_bool(c, "attention_bias", p);
    bool tied = mn_cfg_bool(c, "tie_word_embeddings", p);
    int n_bad = 0;

    n_bad += !mn_cfg_in_range(c, "vocab_size", vocab, MN_MAX_DIM, p);
    n_bad += !mn_cfg_in_range(c, "hidden_size", h, MN_MAX_DIM, p);
    n_bad += !mn_cfg_in_range(c, "intermediate_size", inter, MN_MAX_DIM, p);
    n_bad += !mn_cfg_in_range(c, "num_hidden_layers", layers, MN_MAX_LAYERS, p);
    if (n_bad || p->failed)
        return false;
    mn_declare(d, MN_REQUIRED, 2, (int64_t[]){vocab, h}, "gpt_neox.embed_in.weight");
    for (long long i = 0; i < layers; i++) {
        const char *const norms[] = {"input_layernorm", "post_attention_layernorm"};
        const struct {
            const char *name;
            int64_t out, in;
            bool bias;
        } lin[] = {{"attention.query_key_value", 3 * h, h, bias},
                   {"attention.dense", h, h, bias},
                   {"mlp.dense_h_to_4h", inter, h, true},
                   {"mlp.dense_4h_to_h", h, inter, true}};

        for (int j = 0; j < 2; j++) {
            mn_declare(d, MN_REQUIRED, 1, &h, "gpt_neox.layers.%lld.%s.weight", i, norms[j]);
            mn_declare(d, MN_REQUIRED, 1, &h, "gpt_neox.layers.%lld.%s.bias", i, norms[j]);
        }
        for (int j = 0; j < 4; j++) {
            mn_declare(d, MN_REQUIRED, 2, (int64_t[]){lin[j].out, lin[j].in},
                       "gpt_neox.layers.%lld.%s.weight", i, lin[j].name);
            if (lin[j].bias)
                mn_declare(d, MN_REQUIRED, 1, &lin[j].out, "gpt_neox.layers.%lld.%s.bias", i,
                           lin[j].name);
        }
    }
    mn_declare(d, MN_REQUIRED, 1, &h, "gpt_neox.final_layer_norm.weight");
    mn_declare(d, MN_REQUIRED, 1, &h, "gpt_neox.final_layer_norm.bias");
    mn_declare(d, tied ? MN_OPTIONAL : MN_REQUIRED, 2, (int64_t[]){vocab, h},
               "embed_out.weight");
    return true;
}

/* ---- The forward of GPTNeoXForCausalLM --------------------------------- */

typedef struct neox_layer {
    mn_layer_norm input_layernorm, post_attention_layernorm;
    mn_attention attention;
    mn_mlp mlp;
    /* q, k, v weights and biases gathered out of query_key_value. */
    mn_tensor *split[6];
} neox_layer;

typedef struct neox {
    mn_weights weights;
    mn_linear embed_in, embed_out;
    neox_layer *layers;
    mn_layer_norm final_layer_norm;
    mn_rope rope;
    bool parallel;
    mn_lm_dims dims;
} neox;

enum { S_RESIDUAL, S_NORMED, S_ATTN, S_MLP, S_QUERY, S_CONTEXT, S_MID, S_COUNT };

/*
 * Rows j*hd.. of every head's 3*hd rows of a fused [3 * H, ...] tensor into a
 * new [H, ...] tensor: the view(..., heads, 3 * head_dim) split of
 * GPTNeoXAttention. Done once at load; the layout cannot be a view.
 */
static mnlp_status gather(const mn_tensor *fused, int64_t heads, int64_t hd, int j,
                          mn_tensor **out)
{
    int64_t shape[2] = {heads * hd, fused->ndim == 2 ? fused->shape[1] : 1};
    size_t bytes = (size_t)(hd * shape[1]) * mnlp_dtype_size(fused->dtype);
    char *buf = mn_malloc(bytes);
    mnlp_status st;

    if (!buf)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    st = mn_tensor_new(fused->buffer->backend, fused->dtype, fused->ndim, shape, out);
    for (int64_t h = 0; h < heads && !st; h++) {
        mn_tensor src, dst;

        if (!(st = mn_tensor_rows(fused, (3 * h + j) * hd, hd, 0, NULL, &src)) &&
            !(st = mn_tensor_rows(*out, h * hd, hd, 0, NULL, &dst)) &&
            !(st = mn_tensor_read(&src, buf, bytes)))
            st = mn_tensor_write(&dst, buf, bytes);
    }
    mn_free(buf);
    return st;
}

static mnlp_status split_qkv(mn_weights *w, neox_layer *l, long long i, bool bias)
{
    mn_attention *a = &l->attention;
    mn_linear *proj[3] = {&a->q_proj, &a->k_proj, &a->v_proj};
    mn_linear fused;
    mnlp_status st;

    if ((st = mn_load_linear(w, &fused, bias, "gpt_neox.layers.%lld.attention.query_key_value",
                             i)))
        return st;
    for (int j = 0; j < 3; j++) {
        if ((st = gather(fused.weight, a->num_heads, a->head_dim, j, &l->split[j])) ||
            (bias && (st = gather(fused.bias, a->num_heads, a->head_dim, j, &l->split[3 + j]))))
            return mn_error_prefix(st, "query_key_value of layer %lld", i);
        *proj[j] = (mn_linear){l->split[j], l->split[3 + j], false};
    }
    return MNLP_OK;
}

static mnlp_status load_layer(mn_weights *w, const mnlp_config *c, long long i, neox_layer *l)
{
    const char *act = NULL;
    bool bias = false;
    double eps = 0;
    int64_t h = 0, heads = 0;
    mnlp_status st;

    if ((st = mnlp_config_get_float(c, "layer_norm_eps", &eps)) ||
        (st = mnlp_config_get_bool(c, "attention_bias", &bias)) ||
        (st = mnlp_config_get_string(c, "hidden_act", &act)) ||
        (st = mn_activation_parse(act, &l->mlp.act)) ||
        (st = mnlp_config_get_int(c, "hidden_size", &h)) ||
        (st = mnlp_config_get_int(c, "num_attention_heads", &heads)))
        return st;
    l->attention.num_heads = l->attention.num_key_value_heads = heads;
    l->attention.head_dim = h / heads;
    l->attention.scale = (float)(1.0 / sqrt((double)(h / heads)));
    if ((st = mn_load_layer_norm(w, &l->input_layernorm, (float)eps,
                                 "gpt_neox.layers.%lld.input_layernorm", i)) ||
        (st = mn_load_layer_norm(w, &l->post_attention_layernorm, (float)eps,
                                 "gpt_neox.layers.%lld.post_attention_layernorm", i)) ||
        (st = split_qkv(w, l, i, bias)) ||
        (st = mn_load_linear(w, &l->attention.o_proj, bias, "gpt_neox.layers.%lld.attention.dense",
                             i)) ||
        (st = mn_load_linear(w, &l->mlp.fc1, true, "gpt_neox.layers.%lld.mlp.dense_h_to_4h", i)))
        return st;
    return mn_load_linear(w, &l->mlp.fc2, true, "gpt_neox.layers.%lld.mlp.dense_4h_to_h", i);
}

static void neox_free(void *model)
{
    neox *m = model;

    if (!m)
        return;
    for (int64_t i = 0; m->layers && i < m->dims.num_hidden_layers; i++)
        for (int j = 0; j < 6; j++)
            mn_tensor_free(m->layers[i].split[j]);
    mn_weights_free(&m->weights);
    mn_rope_free(&m->rope);
    mn_free(m->layers);
    mn_free(m);
}

static mnlp_status read_dims(const mnlp_config *c, mn_lm_dims *d)
{
    int64_t heads = 0, inter = 0;
    double pct = 0;
    mnlp_status st;

    if ((st = mnlp_config_get_int(c, "vocab_size", &d->vocab_size)) ||
        (st = mnlp_config_get_int(c, "hidden_size", &d->hidden_size)) ||
        (st = mnlp_config_get_int(c, "num_hidden_layers", &d->num_hidden_layers)) ||
        (st = mnlp_config_get_int(c, "intermediate_size", &inter)) ||
        (st = mnlp_config_get_int(c, "num_attention_heads", &heads)) ||
        (st = mnlp_config_get_float(c, "rotary_pct", &pct)))
        return st;
    d->kv_width = d->hidden_size;
    /* rotary_ndims = int(head_size * rotary_pct) */
    d->rope_dim = (int64_t)((double)(d->hidden_size / heads) * pct);
    d->n_scratch = S_COUNT;
    for (int i = 0; i < S_MID; i++)
        d->scratch_cols[i] = d->hidden_size;
    d->scratch_cols[S_MID] = inter;
    return MNLP_OK;
}

static mnlp_status neox_load(const mnlp_config *c, const mnlp_checkpoint *ckpt, void **out,
                             mn_lm_dims *dims)
{
    neox *m = mn_calloc(1, sizeof *m);
    bool tied = false;
    double eps = 0;
    mnlp_status st;

    *out = NULL;
    if (!m)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    m->weights.ckpt = ckpt;
    if ((st = read_dims(c, &m->dims)) ||
        (st = mnlp_config_get_bool(c, "tie_word_embeddings", &tied)) ||
        (st = mnlp_config_get_bool(c, "use_parallel_residual", &m->parallel)) ||
        (st = mnlp_config_get_float(c, "layer_norm_eps", &eps)) ||
        (st = mn_rope_init(&m->rope, c, m->dims.rope_dim)))
        goto fail;
    if (!(m->layers = mn_calloc((size_t)m->dims.num_hidden_layers, sizeof *m->layers))) {
        st = mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
        goto fail;
    }
    if ((st = mn_load_linear(&m->weights, &m->embed_in, false, "gpt_neox.embed_in")) ||
        (st = mn_load_layer_norm(&m->weights, &m->final_layer_norm, (float)eps,
                                 "gpt_neox.final_layer_norm")))
        goto fail;
    for (int64_t i = 0; i < m->dims.num_hidden_layers; i++)
        if ((st = load_layer(&m->weights, c, (long long)i, &m->layers[i])))
            goto fail;
    if (tied)
        m->embed_out = m->embed_in;
    else if ((st = mn_load_linear(&m->weights, &m->embed_out, false, "embed_out")))
        goto fail;
    *dims = m->dims;
    *out = m;
    return MNLP_OK;
fail:
    neox_free(m);
    return st;
}

/*
 * GPTNeoXLayer. Parallel: x + attn(ln1(x)) + mlp(ln2(x)), summed as
 * mlp + attn + x. Sequential: a = x + attn(ln1(x)), then a + mlp(ln2(a)).
 */
static mnlp_status layer_forward(const neox *m, const neox_layer *l, const mn_lm_chunk *c,
                                 int64_t i)
{
    mn_tensor *const *s = c->scratch;
    mn_attention_scratch as = {s[S_QUERY], s[S_CONTEXT]};
    mnlp_status st;

    if ((st = mn_layer_norm_forward(&l->input_layernorm, s[S_RESIDUAL], s[S_NORMED])) ||
        (st = mn_attention_forward_masked(&l->attention, s[S_NORMED], c->cos, c->sin,
                                          c->key_cache[i], c->value_cache[i], c->past, c->mask,
                                          &as, s[S_ATTN])))
        return st;
    if (m->parallel) {
        if ((st = mn_layer_norm_forward(&l->post_attention_layernorm, s[S_RESIDUAL],
                                        s[S_NORMED])) ||
            (st = mn_mlp_forward(&l->mlp, s[S_NORMED], s[S_MID], s[S_MLP])) ||
            (st = mn_op_add(s[S_MLP], s[S_ATTN], s[S_MLP])))
            return st;
        return mn_op_add(s[S_MLP], s[S_RESIDUAL], s[S_RESIDUAL]);
    }
    if ((st = mn_op_add(s[S_ATTN], s[S_RESIDUAL], s[S_ATTN])) ||
        (st = mn_layer_norm_forward(&l->post_attention_layernorm, s[S_ATTN], s[S_NORMED])) ||
        (st = mn_mlp_forward(&l->mlp, s[S_NORMED], s[S_MID], s[S_MLP])))
        return st;
    return mn_op_add(s[S_MLP], s[S_ATTN], s[S_RESIDUAL]);
}

static mnlp_status neox_forward(const void *model, const mn_lm_chunk *c)
{
    const neox *m = model;
    mn_tensor *const *s = c->scratch;
    int64_t h = m->dims.hidden_size, layers = m->dims.num_hidden_layers;
    mnlp_status st;

    if ((st = mn_lm_rope_tables(&m->rope, c)) ||
        (st = mn_op_get_rows(m->embed_in.weight, c->input_ids, s[S_RESIDUAL])) ||
        (st = mn_lm_keep_hidden(c, s[S_RESIDUAL], h, 0)))
        return st;
    for (int64_t i = 0; i < layers; i++) {
        if ((st = layer_forward(m, &m->layers[i], c, i)))
            return mn_error_prefix(st, "layer %lld", (long long)i);
        if (i + 1 < layers && (st = mn_lm_keep_hidden(c, s[S_RESIDUAL], h, i + 1)))
            return st;
    }
    if ((st = mn_layer_norm_forward(&m->final_layer_norm, s[S_RESIDUAL], s[S_NORMED])) ||
        (st = mn_lm_keep_hidden(c, s[S_NORMED], h, layers)))
        return st;
    return mn_lm_logits(c, s[S_NORMED], &m->embed_out);
}

static const mn_lm_ops neox_lm = {
    .load = neox_load,
    .free = neox_free,
    .forward = neox_forward,
    .attention_mask = true,
};

static const char *const architectures[] = {"GPTNeoXForCausalLM", NULL};
static const char *const honoured[] = {"tie_word_embeddings", NULL};
/* Mask and frequency buffers that older checkpoints carry. */
static const char *const ignored[] = {"attention.bias", "attention.masked_bias",
                                      "attention.rotary_emb.inv_freq", NULL};

const mn_arch mn_arch_gpt_neox = {
    .model_type = "gpt_neox",
    .architectures = architectures,
    .honoured_base_fields = honoured,
    .check_config = check_config,
    .declare = declare,
    .ignored_suffixes = ignored,
    .causal_lm = &neox_lm,
};
