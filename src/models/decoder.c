/*
 * The Llama-shaped decoder (decoder.h) as Mistral, Qwen2, Phi-3, Gemma and
 * Gemma 2 compute it in transformers 4.47 with eager attention.
 */
#include "models/decoder.h"
#include "models/lm_common.h"

#include <math.h>
#include <string.h>


/* ---- Config and declarations ------------------------------------------- */

/* head_dim from the config, or hidden_size // num_attention_heads for the
 * classes without the field. */
static int64_t head_dim(const mnlp_config *c, const mn_decoder_opts *o, mn_problems *p)
{
    int64_t hidden = mn_cfg_int(c, "hidden_size", p);
    int64_t heads = mn_cfg_int(c, "num_attention_heads", p);

    if (o->has_head_dim)
        return mn_cfg_int(c, "head_dim", p);
    return heads > 0 ? hidden / heads : 0;
}

static void check_activation(const mnlp_config *c, const mn_decoder_opts *o, mn_problems *p)
{
    const mn_json *v = mn_config_value(c, o->act_field);
    mn_activation act;

    /* GemmaMLP falls back to gelu_pytorch_tanh when hidden_activation is null. */
    if (v && v->type == MN_JSON_NULL && strcmp(o->act_field, "hidden_activation") == 0)
        return;
    if (!v || v->type != MN_JSON_STRING)
        mn_problem(p, "%s: \"%s\" is not a string", mn_config_name(c), o->act_field);
    else if (mn_activation_parse(v->str, &act) != MNLP_OK)
        mn_problem(p, "%s: %s \"%s\" is not supported", mn_config_name(c), o->act_field, v->str);
}

static void check_phi3_rope(const mnlp_config *c, mn_problems *p)
{
    const mn_json *rs = mn_config_value(c, "rope_scaling"), *type;

    if (!rs || rs->type == MN_JSON_NULL)
        return;
    /* Phi3Attention._init_rope reads rope_scaling["type"] and knows only longrope. */
    type = mn_json_get(rs, "type");
    if (!type || type->type != MN_JSON_STRING || strcmp(type->str, "longrope") != 0)
        mn_problem(p, "%s: rope_scaling.type must be \"longrope\" for phi3", mn_config_name(c));
}

void mn_decoder_check_config(const mnlp_config *c, const mn_decoder_opts *o, mn_problems *p)
{
    int64_t heads = mn_cfg_int(c, "num_attention_heads", p);
    int64_t kv = mn_cfg_int(c, "num_key_value_heads", p);

    check_activation(c, o, p);
    if (kv > 0 && heads % kv != 0)
        mn_problem(p, "%s: num_attention_heads %lld is not a multiple of num_key_value_heads "
                   "%lld", mn_config_name(c), (long long)heads, (long long)kv);
    if (!o->has_head_dim && heads > 0 && mn_cfg_int(c, "hidden_size", p) % heads != 0)
        mn_problem(p, "%s: hidden_size is not a multiple of num_attention_heads",
                   mn_config_name(c));
    if (o->phi3_rope)
        check_phi3_rope(c, p);
    else
        mn_check_rope_scaling(c, p);
    mn_cfg_float(c, "rms_norm_eps", p);
    mn_cfg_float(c, "rope_theta", p);
}

static bool attn_bias(const mnlp_config *c, const mn_decoder_opts *o, mn_problems *p)
{
    return o->qkv_bias || (o->read_biases && mn_cfg_bool(c, "attention_bias", p));
}

static void declare_attention(const mnlp_config *c, const mn_decoder_opts *o, mn_decls *d,
                              mn_problems *p, long long i, int64_t hidden, int64_t q_rows,
                              int64_t kv_rows)
{
    const char *const proj[] = {"q", "k", "v"};
    const int64_t rows[] = {q_rows, kv_rows, kv_rows};
    bool bias = attn_bias(c, o, p), o_bias = o->read_biases && bias;

    if (o->fused_qkv)
        mn_declare(d, MN_REQUIRED, 2, (int64_t[]){q_rows + 2 * kv_rows, hidden},
                   "model.layers.%lld.self_attn.qkv_proj.weight", i);
    for (int j = 0; j < 3 && !o->fused_qkv; j++) {
        mn_declare(d, MN_REQUIRED, 2, (int64_t[]){rows[j], hidden},
                   "model.layers.%lld.self_attn.%s_proj.weight", i, proj[j]);
        if (bias)
            mn_declare(d, MN_REQUIRED, 1, &rows[j], "model.layers.%lld.self_attn.%s_proj.bias",
                       i, proj[j]);
    }
    mn_declare(d, MN_REQUIRED, 2, (int64_t[]){hidden, q_rows},
               "model.layers.%lld.self_attn.o_proj.weight", i);
    if (o_bias)
        mn_declare(d, MN_REQUIRED, 1, &hidden, "model.layers.%lld.self_attn.o_proj.bias", i);
}

static void declare_layer(const mnlp_config *c, const mn_decoder_opts *o, mn_decls *d,
                          mn_problems *p, long long i, const int64_t *s)
{
    /* s: hidden, intermediate, q rows, kv rows */
    static const char *const norms[] = {"input_layernorm", "post_attention_layernorm",
                                        "pre_feedforward_layernorm",
                                        "post_feedforward_layernorm"};

    bool mlp_bias = o->read_mlp_bias && mn_cfg_bool(c, "mlp_bias", p);

    declare_attention(c, o, d, p, i, s[0], s[2], s[3]);
    if (o->fused_gate_up) {
        mn_declare(d, MN_REQUIRED, 2, (int64_t[]){2 * s[1], s[0]},
                   "model.layers.%lld.mlp.gate_up_proj.weight", i);
    } else {
        mn_declare(d, MN_REQUIRED, 2, (int64_t[]){s[1], s[0]},
                   "model.layers.%lld.mlp.gate_proj.weight", i);
        mn_declare(d, MN_REQUIRED, 2, (int64_t[]){s[1], s[0]},
                   "model.layers.%lld.mlp.up_proj.weight", i);
        if (mlp_bias) {
            mn_declare(d, MN_REQUIRED, 1, &s[1], "model.layers.%lld.mlp.gate_proj.bias", i);
            mn_declare(d, MN_REQUIRED, 1, &s[1], "model.layers.%lld.mlp.up_proj.bias", i);
        }
    }
    mn_declare(d, MN_REQUIRED, 2, (int64_t[]){s[0], s[1]},
               "model.layers.%lld.mlp.down_proj.weight", i);
    if (mlp_bias)
        mn_declare(d, MN_REQUIRED, 1, &s[0], "model.layers.%lld.mlp.down_proj.bias", i);
    for (int n = 0; n < (o->sandwich_norms ? 4 : 2); n++)
        mn_declare(d, MN_REQUIRED, 1, &s[0], "model.layers.%lld.%s.weight", i, norms[n]);
}

bool mn_decoder_declare(const mnlp_config *c, const mn_decoder_opts *o, mn_decls *d,
                        mn_problems *p)
{
    int64_t vocab = mn_cfg_int(c, "vocab_size", p), hidden = mn_cfg_int(c, "hidden_size", p);
    int64_t inter = mn_cfg_int(c, "intermediate_size", p);
    int64_t layers = mn_cfg_int(c, "num_hidden_layers", p);
    int64_t heads = mn_cfg_int(c, "num_attention_heads", p);
    int64_t kv = mn_cfg_int(c, "num_key_value_heads", p), hd = head_dim(c, o, p);
    bool tied = mn_cfg_bool(c, "tie_word_embeddings", p);
    int n_bad = 0;

    n_bad += !mn_cfg_in_range(c, "vocab_size", vocab, MN_MAX_DIM, p);
    n_bad += !mn_cfg_in_range(c, "hidden_size", hidden, MN_MAX_DIM, p);
    n_bad += !mn_cfg_in_range(c, "intermediate_size", inter, MN_MAX_DIM, p);
    n_bad += !mn_cfg_in_range(c, "num_hidden_layers", layers, MN_MAX_LAYERS, p);
    n_bad += !mn_cfg_in_range(c, "num_attention_heads", heads, 1 << 16, p);
    n_bad += !mn_cfg_in_range(c, "num_key_value_heads", kv, 1 << 16, p);
    n_bad += !mn_cfg_in_range(c, "head_dim", hd, 1 << 16, p);
    if (n_bad || p->failed)
        return false;
    mn_declare(d, MN_REQUIRED, 2, (int64_t[]){vocab, hidden}, "model.embed_tokens.weight");
    for (long long i = 0; i < layers; i++)
        declare_layer(c, o, d, p, i, (int64_t[]){hidden, inter, heads * hd, kv * hd});
    mn_declare(d, MN_REQUIRED, 1, &hidden, "model.norm.weight");
    mn_declare(d, tied ? MN_OPTIONAL : MN_REQUIRED, 2, (int64_t[]){vocab, hidden},
               "lm_head.weight");
    return true;
}

/* ---- The forward -------------------------------------------------------- */

typedef struct layer {
    mn_rms_norm norm[4];      /* input, post-attention, pre- and post-feedforward */
    mn_attention self_attn;
    mn_gated_mlp mlp;
    mn_tensor split[5];       /* row views of fused weights: q, k, v, gate, up */
    bool sliding;
} layer;

typedef struct decoder {
    mn_decoder_opts o;
    mn_weights weights;
    const mn_tensor *embed_tokens, *lm_head;
    mn_tensor *embed_scale;   /* [hidden] of sqrt(hidden_size), or NULL */
    mn_tensor **owned;        /* (1 + w) norm weights */
    int n_owned;
    layer *layers;
    mn_rms_norm norm;
    mn_rope rope, rope_short;  /* Phi-3: long and short factors */
    int64_t original_max;      /* Phi-3: longrope switches past this many positions */
    float final_softcap;
    mn_lm_dims dims;
} decoder;

enum { S_RESIDUAL, S_NORMED, S_BLOCK_OUT, S_QUERY, S_CONTEXT, S_GATE, S_UP, S_COUNT };

void mn_decoder_free(void *model)
{
    decoder *m = model;

    if (!m)
        return;
    mn_weights_free(&m->weights);
    mn_rope_free(&m->rope);
    mn_rope_free(&m->rope_short);
    mn_tensor_free(m->embed_scale);
    for (int i = 0; i < m->n_owned; i++)
        mn_tensor_free(m->owned[i]);
    mn_free(m->owned);
    mn_free(m->layers);
    mn_free(m);
}

/* A norm weight, as (1 + w) in an owned F32 copy when the model asks, as
 * GemmaRMSNorm computes in float32. */
static mnlp_status load_norm(decoder *m, mn_rms_norm *n, const char *fmt, long long i)
{
    const mn_tensor *w;
    mn_tensor *t;
    float *host;
    int64_t len;
    mnlp_status st = mn_weight(&m->weights, true, &w, fmt, i);

    if (st || !m->o.norm_plus_one) {
        n->weight = w;
        return st;
    }
    len = w->shape[0];
    if (!(host = mn_calloc((size_t)len, sizeof(float))))
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    if (!(st = mn_tensor_read(w, host, sizeof(float) * (size_t)len))) {
        for (int64_t j = 0; j < len; j++)
            host[j] = 1.0f + host[j];
        if (!(st = mn_tensor_new(mn_backend_cpu(), MNLP_DTYPE_F32, 1, &len, &t)) &&
            !(st = mn_tensor_write(t, host, sizeof(float) * (size_t)len))) {
            m->owned[m->n_owned++] = t;
            n->weight = t;
        } else if (!st) {
            mn_tensor_free(t);
        }
    }
    mn_free(host);
    return st;
}

static mnlp_status load_linear(decoder *m, mn_linear *l, bool bias, long long i,
                               const char *name)
{
    mnlp_status st = mn_weight(&m->weights, false, &l->weight, "model.layers.%lld.%s.weight", i,
                               name);

    if (!st && bias)
        st = mn_weight(&m->weights, true, &l->bias, "model.layers.%lld.%s.bias", i, name);
    return st;
}

/* Rows [row0, row0 + n) of a fused projection as its own weight. */
static mnlp_status split(decoder *m, mn_linear *l, mn_tensor *view, long long i,
                         const char *name, int64_t row0, int64_t n)
{
    const mn_tensor *w;
    mnlp_status st = mn_weight(&m->weights, false, &w, "model.layers.%lld.%s.weight", i, name);

    if (st || (st = mn_tensor_rows(w, row0, n, 0, NULL, view)))
        return st;
    l->weight = view;
    return MNLP_OK;
}

static mnlp_status load_projections(decoder *m, const mnlp_config *c, layer *l, long long i)
{
    const mn_decoder_opts *o = &m->o;
    mn_attention *a = &l->self_attn;
    int64_t q = a->num_heads * a->head_dim, kv = a->num_key_value_heads * a->head_dim;
    int64_t inter = m->dims.scratch_cols[S_GATE];
    bool bias = o->qkv_bias, o_bias = false, mlp_bias = false;
    mnlp_status st;

    if ((o->read_biases && (st = mnlp_config_get_bool(c, "attention_bias", &bias))) ||
        (o->read_mlp_bias && (st = mnlp_config_get_bool(c, "mlp_bias", &mlp_bias))))
        return st;
    o_bias = o->read_biases && bias;
    if (o->fused_qkv) {
        if ((st = split(m, &a->q_proj, &l->split[0], i, "self_attn.qkv_proj", 0, q)) ||
            (st = split(m, &a->k_proj, &l->split[1], i, "self_attn.qkv_proj", q, kv)) ||
            (st = split(m, &a->v_proj, &l->split[2], i, "self_attn.qkv_proj", q + kv, kv)))
            return st;
    } else if ((st = load_linear(m, &a->q_proj, bias, i, "self_attn.q_proj")) ||
               (st = load_linear(m, &a->k_proj, bias, i, "self_attn.k_proj")) ||
               (st = load_linear(m, &a->v_proj, bias, i, "self_attn.v_proj"))) {
        return st;
    }
    if ((st = load_linear(m, &a->o_proj, o_bias, i, "self_attn.o_proj")) ||
        (st = load_linear(m, &l->mlp.down_proj, mlp_bias, i, "mlp.down_proj")))
        return st;
    /* Phi3MLP: gate_up_proj(x).chunk(2) gives gate first, then up. */
    if (o->fused_gate_up) {
        if ((st = split(m, &l->mlp.gate_proj, &l->split[3], i, "mlp.gate_up_proj", 0, inter)))
            return st;
        return split(m, &l->mlp.up_proj, &l->split[4], i, "mlp.gate_up_proj", inter, inter);
    }
    if ((st = load_linear(m, &l->mlp.gate_proj, mlp_bias, i, "mlp.gate_proj")))
        return st;
    return load_linear(m, &l->mlp.up_proj, mlp_bias, i, "mlp.up_proj");
}

static mnlp_status activation(const mnlp_config *c, const mn_decoder_opts *o,
                              mn_activation *act)
{
    const mn_json *v = mn_config_value(c, o->act_field);

    if (v && v->type == MN_JSON_STRING)
        return mn_activation_parse(v->str, act);
    return mn_activation_parse("gelu_pytorch_tanh", act);
}

static mnlp_status load_layer(decoder *m, const mnlp_config *c, long long i, layer *l)
{
    static const char *const norms[] = {
        "model.layers.%lld.input_layernorm.weight",
        "model.layers.%lld.post_attention_layernorm.weight",
        "model.layers.%lld.pre_feedforward_layernorm.weight",
        "model.layers.%lld.post_feedforward_layernorm.weight"};
    mn_attention *a = &l->self_attn;
    double eps = 0, scalar = 0, cap = 0;
    mnlp_status st;

    if ((st = mnlp_config_get_float(c, "rms_norm_eps", &eps)) ||
        (st = activation(c, &m->o, &l->mlp.act)) ||
        (st = mnlp_config_get_int(c, "num_attention_heads", &a->num_heads)) ||
        (st = mnlp_config_get_int(c, "num_key_value_heads", &a->num_key_value_heads)))
        return st;
    a->head_dim = m->dims.rope_dim;
    a->scale = (float)(1.0 / sqrt((double)a->head_dim));
    /* Gemma 2 scales queries by query_pre_attn_scalar ** -0.5 instead. */
    if (m->o.query_pre_attn_scalar) {
        if ((st = mnlp_config_get_float(c, "query_pre_attn_scalar", &scalar)))
            return st;
        a->scale = (float)pow(scalar, -0.5);
    }
    if (m->o.softcaps && mn_config_value(c, "attn_logit_softcapping")->type != MN_JSON_NULL) {
        if ((st = mnlp_config_get_float(c, "attn_logit_softcapping", &cap)))
            return st;
        a->softcap = (float)cap;
    }
    l->sliding = m->dims.sliding_window > 0 && (!m->o.sliding_even_layers || i % 2 == 0);
    for (int n = 0; n < (m->o.sandwich_norms ? 4 : 2); n++) {
        l->norm[n].eps = (float)eps;
        if ((st = load_norm(m, &l->norm[n], norms[n], i)))
            return st;
    }
    return load_projections(m, c, l, i);
}

static mnlp_status read_dims(const mnlp_config *c, const mn_decoder_opts *o, mn_lm_dims *d)
{
    int64_t heads = 0, kv = 0, hd = 0, inter = 0;
    const mn_json *w = o->sliding_field ? mn_config_value(c, o->sliding_field) : NULL;
    mnlp_status st;

    if ((st = mnlp_config_get_int(c, "vocab_size", &d->vocab_size)) ||
        (st = mnlp_config_get_int(c, "hidden_size", &d->hidden_size)) ||
        (st = mnlp_config_get_int(c, "num_hidden_layers", &d->num_hidden_layers)) ||
        (st = mnlp_config_get_int(c, "intermediate_size", &inter)) ||
        (st = mnlp_config_get_int(c, "num_attention_heads", &heads)) ||
        (st = mnlp_config_get_int(c, "num_key_value_heads", &kv)))
        return st;
    hd = d->hidden_size / heads;
    if (o->has_head_dim && (st = mnlp_config_get_int(c, "head_dim", &hd)))
        return st;
    if (w && w->type == MN_JSON_NUMBER && (st = mnlp_config_get_int(c, o->sliding_field,
                                                                     &d->sliding_window)))
        return st;
    d->kv_width = kv * hd;
    d->rope_dim = hd;
    d->n_scratch = S_COUNT;
    d->scratch_cols[S_RESIDUAL] = d->scratch_cols[S_NORMED] = d->hidden_size;
    d->scratch_cols[S_BLOCK_OUT] = d->hidden_size;
    d->scratch_cols[S_QUERY] = d->scratch_cols[S_CONTEXT] = heads * hd;
    d->scratch_cols[S_GATE] = d->scratch_cols[S_UP] = inter;
    return MNLP_OK;
}

/* Phi3LongRoPEScaledRotaryEmbedding: 1 / (factor_i * base ** (2i / dim)) with
 * the short or the long factors, cos and sin times sqrt(1 + ln(scale) /
 * ln(original_max_position_embeddings)) when max_position_embeddings is
 * larger (scale their ratio). */
static mnlp_status phi3_rope(decoder *m, const mnlp_config *c)
{
    const mn_json *rs = mn_config_value(c, "rope_scaling");
    const char *which[] = {"long_factor", "short_factor"};
    mn_rope *ropes[] = {&m->rope, &m->rope_short};
    int64_t half = m->rope.dim / 2;
    double scale;
    mnlp_status st;

    if (!rs || rs->type == MN_JSON_NULL)
        return MNLP_OK;
    if ((st = mnlp_config_get_int(c, "original_max_position_embeddings", &m->original_max)))
        return st;
    scale = (double)m->rope.max_position_embeddings / (double)m->original_max;
    m->rope_short = m->rope;
    if (!(m->rope_short.inv_freq = mn_calloc((size_t)half, sizeof(float))))
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    for (int r = 0; r < 2; r++) {
        const mn_json *f = mn_json_get(rs, which[r]);

        if (!f || f->type != MN_JSON_ARRAY || (int64_t)f->len != half)
            return mn_errorf(MNLP_ERR_UNSUPPORTED, "%s: rope_scaling.%s must list %lld numbers",
                             mn_config_name(c), which[r], (long long)half);
        for (int64_t i = 0; i < half; i++) {
            float e = (float)(2 * i) / (float)m->rope.dim;
            float power = (float)pow((double)(float)m->rope.theta, (double)e);

            ropes[r]->inv_freq[i] = 1.0f / ((float)f->items[i].number * power);
        }
        ropes[r]->type = MN_ROPE_DEFAULT;
        ropes[r]->attention_factor =
            scale <= 1.0 ? 1.0f : (float)sqrt(1 + log(scale) / log((double)m->original_max));
    }
    return MNLP_OK;
}

/* GemmaModel: hidden_states * torch.tensor(hidden_size ** 0.5, dtype of the
 * activations), float32 here since mnlp computes in float32. */
static mnlp_status make_embed_scale(decoder *m)
{
    int64_t h = m->dims.hidden_size;
    float *v = mn_calloc((size_t)h, sizeof(float));
    mnlp_status st;

    if (!v)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    for (int64_t i = 0; i < h; i++)
        v[i] = (float)sqrt((double)h);
    if (!(st = mn_tensor_new(mn_backend_cpu(), MNLP_DTYPE_F32, 1, &h, &m->embed_scale)))
        st = mn_tensor_write(m->embed_scale, v, sizeof(float) * (size_t)h);
    mn_free(v);
    return st;
}

mnlp_status mn_decoder_load(const mnlp_config *c, const mnlp_checkpoint *ckpt,
                            const mn_decoder_opts *o, void **out, mn_lm_dims *dims)
{
    decoder *m = mn_calloc(1, sizeof *m);
    bool tied = false;
    double eps = 0, cap = 0;
    mnlp_status st;

    *out = NULL;
    if (!m)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    m->o = *o;
    m->weights.ckpt = ckpt;
    if ((st = read_dims(c, o, &m->dims)) ||
        (st = mnlp_config_get_bool(c, "tie_word_embeddings", &tied)) ||
        (st = mnlp_config_get_float(c, "rms_norm_eps", &eps)))
        goto fail;
    /* Phi-3 replaces the frequencies with its own rotary classes' (phi3_rope). */
    if ((st = mn_rope_init(&m->rope, c, m->dims.rope_dim)) ||
        (o->phi3_rope && (st = phi3_rope(m, c))))
        goto fail;
    if (o->softcaps && mn_config_value(c, "final_logit_softcapping")->type != MN_JSON_NULL) {
        if ((st = mnlp_config_get_float(c, "final_logit_softcapping", &cap)))
            goto fail;
        m->final_softcap = (float)cap;
    }
    m->norm.eps = (float)eps;
    if (!(m->layers = mn_calloc((size_t)m->dims.num_hidden_layers, sizeof *m->layers)) ||
        !(m->owned = mn_calloc((size_t)(4 * m->dims.num_hidden_layers + 1), sizeof *m->owned))) {
        st = mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
        goto fail;
    }
    if ((st = mn_weight(&m->weights, false, &m->embed_tokens, "model.embed_tokens.weight")) ||
        (st = load_norm(m, &m->norm, "model.norm.weight%.0lld", 0LL)))
        goto fail;
    for (int64_t i = 0; i < m->dims.num_hidden_layers; i++)
        if ((st = load_layer(m, c, i, &m->layers[i])))
            goto fail;
    if (tied)
        m->lm_head = m->embed_tokens;
    else if ((st = mn_weight(&m->weights, false, &m->lm_head, "lm_head.weight")))
        goto fail;
    if (o->embed_scale && (st = make_embed_scale(m)))
        goto fail;
    *dims = m->dims;
    *out = m;
    return MNLP_OK;
fail:
    mn_decoder_free(m);
    return st;
}

static mnlp_status keep_hidden(const mn_lm_chunk *c, const mn_tensor *x, int64_t i)
{
    size_t bytes = mn_tensor_nbytes(x);

    if (!c->hidden_states)
        return MNLP_OK;
    return mn_tensor_read(x, (char *)c->hidden_states + (size_t)i * bytes, bytes);
}

/* A decoder layer: pre-norm attention and MLP added to the residual; with
 * sandwich norms each block's output is normed again before the add. */
static mnlp_status layer_forward(const decoder *m, const layer *l, const mn_lm_chunk *c,
                                 int64_t i)
{
    mn_tensor *const *s = c->scratch;
    mn_attention_scratch as = {s[S_QUERY], s[S_CONTEXT]};
    const mn_tensor *mask = l->sliding ? c->sliding_mask : c->mask;
    bool sandwich = m->o.sandwich_norms;
    mnlp_status st;

    if ((st = mn_rms_norm_forward(&l->norm[0], s[S_RESIDUAL], s[S_NORMED])) ||
        (st = mn_attention_forward_masked(&l->self_attn, s[S_NORMED], c->cos, c->sin,
                                          c->key_cache[i], c->value_cache[i], c->past, mask,
                                          &as, s[S_BLOCK_OUT])) ||
        (sandwich && (st = mn_rms_norm_forward(&l->norm[1], s[S_BLOCK_OUT], s[S_BLOCK_OUT]))) ||
        (st = mn_op_add(s[S_RESIDUAL], s[S_BLOCK_OUT], s[S_RESIDUAL])) ||
        (st = mn_rms_norm_forward(&l->norm[sandwich ? 2 : 1], s[S_RESIDUAL], s[S_NORMED])) ||
        (st = mn_gated_mlp_forward(&l->mlp, s[S_NORMED], s[S_GATE], s[S_UP], s[S_BLOCK_OUT])) ||
        (sandwich && (st = mn_rms_norm_forward(&l->norm[3], s[S_BLOCK_OUT], s[S_BLOCK_OUT]))))
        return st;
    return mn_op_add(s[S_RESIDUAL], s[S_BLOCK_OUT], s[S_RESIDUAL]);
}

/* cos and sin of the call; Phi-3 picks the long factors once the cache
 * (past + new positions) is longer than original_max_position_embeddings. */
static mnlp_status rope_tables(const decoder *m, const mn_lm_chunk *c)
{
    const mn_rope *r = &m->rope;
    size_t table = sizeof(float) * (size_t)(c->n * m->dims.rope_dim);
    mnlp_status st;

    if (m->rope_short.inv_freq && c->past + c->n <= m->original_max)
        r = &m->rope_short;
    mn_rope_tables_seq(r, c->position_ids, c->n, c->rope_seq_len, c->host_freq, c->host_cos,
                       c->host_sin);
    if ((st = mn_tensor_write(c->cos, c->host_cos, table)))
        return st;
    return mn_tensor_write(c->sin, c->host_sin, table);
}

mnlp_status mn_decoder_forward(const void *model, const mn_lm_chunk *c)
{
    const decoder *m = model;
    mn_tensor *const *s = c->scratch;
    mn_tensor last;
    mnlp_status st;

    if ((st = rope_tables(m, c)) ||
        (st = mn_op_get_rows(m->embed_tokens, c->input_ids, s[S_RESIDUAL])) ||
        (m->embed_scale && (st = mn_op_mul(s[S_RESIDUAL], m->embed_scale, s[S_RESIDUAL]))) ||
        (st = keep_hidden(c, s[S_RESIDUAL], 0)))
        return st;
    for (int64_t i = 0; i < m->dims.num_hidden_layers; i++) {
        if ((st = layer_forward(m, &m->layers[i], c, i)))
            return mn_error_prefix(st, "layer %lld", (long long)i);
        if (i + 1 < m->dims.num_hidden_layers && (st = keep_hidden(c, s[S_RESIDUAL], i + 1)))
            return st;
    }
    if ((st = mn_rms_norm_forward(&m->norm, s[S_RESIDUAL], s[S_NORMED])) ||
        (st = keep_hidden(c, s[S_NORMED], m->dims.num_hidden_layers)) ||
        (st = mn_tensor_rows(s[S_NORMED], c->n - c->logits->shape[0], c->logits->shape[0], 0,
                             NULL, &last)) ||
        (st = mn_op_linear(&last, m->lm_head, NULL, c->logits)))
        return st;
    /* Gemma2ForCausalLM: logits = tanh(logits / cap) * cap. */
    if (m->final_softcap > 0)
        return mn_op_softcap(c->logits, m->final_softcap, c->logits);
    return MNLP_OK;
}
