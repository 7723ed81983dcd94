/*
 * Llama (transformers' modeling_llama.py, LlamaForCausalLM): pre-norm
 * decoder layers of grouped-query attention with rotary positions and a
 * gated SiLU MLP, RMSNorm throughout.
 */
#include "models/lm.h"
#include "models/lm_common.h"

#include <math.h>
#include <string.h>

/* The hidden_act values the gated MLP runs (ACT2FN names for SiLU). */
static const char *const activations[] = {"silu", "swish", NULL};

static void check_config(const mnlp_config *config, mn_problems *p)
{
    const char *act = NULL;
    int64_t heads = 0, kv_heads = 0;
    bool known = false;

    if (mnlp_config_get_string(config, "hidden_act", &act) != MNLP_OK) {
        mn_problem(p, "%s", mnlp_last_error());
    } else {
        for (int i = 0; activations[i]; i++)
            known = known || strcmp(act, activations[i]) == 0;
        if (!known)
            mn_problem(p, "%s: hidden_act \"%s\" is not supported", mn_config_name(config),
                       act);
    }
    mn_check_rope_scaling(config, p);
    if (mnlp_config_get_int(config, "num_attention_heads", &heads) == MNLP_OK &&
        mnlp_config_get_int(config, "num_key_value_heads", &kv_heads) == MNLP_OK &&
        kv_heads > 0 && heads % kv_heads != 0)
        mn_problem(p, "%s: num_attention_heads %lld is not a multiple of num_key_value_heads "
                   "%lld", mn_config_name(config), (long long)heads, (long long)kv_heads);
    mn_cfg_float(config, "rms_norm_eps", p);
    mn_cfg_float(config, "rope_theta", p);
}

static bool declare(const mnlp_config *c, mn_decls *d, mn_problems *p)
{
    int64_t vocab = mn_cfg_int(c, "vocab_size", p);
    int64_t hidden = mn_cfg_int(c, "hidden_size", p);
    int64_t inter = mn_cfg_int(c, "intermediate_size", p);
    int64_t layers = mn_cfg_int(c, "num_hidden_layers", p);
    int64_t heads = mn_cfg_int(c, "num_attention_heads", p);
    int64_t kv = mn_cfg_int(c, "num_key_value_heads", p);
    int64_t hd = mn_cfg_int(c, "head_dim", p);
    bool attn_bias = mn_cfg_bool(c, "attention_bias", p);
    bool mlp_bias = mn_cfg_bool(c, "mlp_bias", p);
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
    for (long long i = 0; i < layers; i++) {
        const char *const proj[] = {"q", "k", "v"};
        const int64_t rows[] = {heads * hd, kv * hd, kv * hd};

        for (int j = 0; j < 3; j++) {
            mn_declare(d, MN_REQUIRED, 2, (int64_t[]){rows[j], hidden},
                       "model.layers.%lld.self_attn.%s_proj.weight", i, proj[j]);
            if (attn_bias)
                mn_declare(d, MN_REQUIRED, 1, &rows[j], "model.layers.%lld.self_attn.%s_proj.bias",
                           i, proj[j]);
        }
        mn_declare(d, MN_REQUIRED, 2, (int64_t[]){hidden, heads * hd},
                   "model.layers.%lld.self_attn.o_proj.weight", i);
        if (attn_bias)
            mn_declare(d, MN_REQUIRED, 1, &hidden, "model.layers.%lld.self_attn.o_proj.bias", i);
        mn_declare(d, MN_REQUIRED, 2, (int64_t[]){inter, hidden},
                   "model.layers.%lld.mlp.gate_proj.weight", i);
        mn_declare(d, MN_REQUIRED, 2, (int64_t[]){inter, hidden},
                   "model.layers.%lld.mlp.up_proj.weight", i);
        mn_declare(d, MN_REQUIRED, 2, (int64_t[]){hidden, inter},
                   "model.layers.%lld.mlp.down_proj.weight", i);
        if (mlp_bias) {
            mn_declare(d, MN_REQUIRED, 1, &inter, "model.layers.%lld.mlp.gate_proj.bias", i);
            mn_declare(d, MN_REQUIRED, 1, &inter, "model.layers.%lld.mlp.up_proj.bias", i);
            mn_declare(d, MN_REQUIRED, 1, &hidden, "model.layers.%lld.mlp.down_proj.bias", i);
        }
        mn_declare(d, MN_REQUIRED, 1, &hidden, "model.layers.%lld.input_layernorm.weight", i);
        mn_declare(d, MN_REQUIRED, 1, &hidden,
                   "model.layers.%lld.post_attention_layernorm.weight", i);
    }
    mn_declare(d, MN_REQUIRED, 1, &hidden, "model.norm.weight");
    /* A tied head reuses the embedding; save_pretrained then omits lm_head. */
    mn_declare(d, tied ? MN_OPTIONAL : MN_REQUIRED, 2, (int64_t[]){vocab, hidden},
               "lm_head.weight");
    return true;
}

/* ---- The forward of LlamaForCausalLM ----------------------------------- */

typedef struct llama_layer {
    mn_rms_norm input_layernorm, post_attention_layernorm;
    mn_attention self_attn;
    mn_gated_mlp mlp;
} llama_layer;

typedef struct llama {
    mn_weights weights;
    const mn_tensor *embed_tokens, *lm_head;
    llama_layer *layers;
    mn_rms_norm norm;
    mn_rope rope;
    mn_lm_dims dims;
} llama;

/* Working tensors of one forward call (mn_lm_dims.scratch_cols). */
enum { S_RESIDUAL, S_NORMED, S_BLOCK_OUT, S_QUERY, S_CONTEXT, S_GATE, S_UP, S_COUNT };

static mnlp_status load_linear(mn_weights *w, mn_linear *l, bool bias, const char *prefix,
                               int64_t layer, const char *name)
{
    mnlp_status st = mn_weight(w, false, &l->weight, "model.layers.%lld.%s.%s.weight",
                               (long long)layer, prefix, name);

    if (st == MNLP_OK && bias)
        st = mn_weight(w, true, &l->bias, "model.layers.%lld.%s.%s.bias", (long long)layer,
                       prefix, name);
    return st;
}

static mnlp_status load_layer(mn_weights *w, const mnlp_config *c, int64_t i, llama_layer *l)
{
    bool attn_bias = false, mlp_bias = false;
    const char *act = NULL;
    double eps = 0;
    int64_t hd = 0;
    mnlp_status st;

    if ((st = mnlp_config_get_bool(c, "attention_bias", &attn_bias)) ||
        (st = mnlp_config_get_bool(c, "mlp_bias", &mlp_bias)) ||
        (st = mnlp_config_get_float(c, "rms_norm_eps", &eps)) ||
        (st = mnlp_config_get_string(c, "hidden_act", &act)) ||
        (st = mn_activation_parse(act, &l->mlp.act)) ||
        (st = mnlp_config_get_int(c, "num_attention_heads", &l->self_attn.num_heads)) ||
        (st = mnlp_config_get_int(c, "num_key_value_heads", &l->self_attn.num_key_value_heads)) ||
        (st = mnlp_config_get_int(c, "head_dim", &hd)))
        return st;
    l->self_attn.head_dim = hd;
    /* LlamaAttention divides the scores by sqrt(head_dim). */
    l->self_attn.scale = (float)(1.0 / sqrt((double)hd));
    l->input_layernorm.eps = l->post_attention_layernorm.eps = (float)eps;
    if ((st = mn_weight(w, true, &l->input_layernorm.weight,
                        "model.layers.%lld.input_layernorm.weight", (long long)i)) ||
        (st = mn_weight(w, true, &l->post_attention_layernorm.weight,
                        "model.layers.%lld.post_attention_layernorm.weight", (long long)i)) ||
        (st = load_linear(w, &l->self_attn.q_proj, attn_bias, "self_attn", i, "q_proj")) ||
        (st = load_linear(w, &l->self_attn.k_proj, attn_bias, "self_attn", i, "k_proj")) ||
        (st = load_linear(w, &l->self_attn.v_proj, attn_bias, "self_attn", i, "v_proj")) ||
        (st = load_linear(w, &l->self_attn.o_proj, attn_bias, "self_attn", i, "o_proj")) ||
        (st = load_linear(w, &l->mlp.gate_proj, mlp_bias, "mlp", i, "gate_proj")) ||
        (st = load_linear(w, &l->mlp.up_proj, mlp_bias, "mlp", i, "up_proj")))
        return st;
    return load_linear(w, &l->mlp.down_proj, mlp_bias, "mlp", i, "down_proj");
}

static void llama_free(void *model)
{
    llama *m = model;

    if (!m)
        return;
    mn_weights_free(&m->weights);
    mn_rope_free(&m->rope);
    mn_free(m->layers);
    mn_free(m);
}

static mnlp_status read_dims(const mnlp_config *c, mn_lm_dims *d)
{
    int64_t heads = 0, kv = 0, hd = 0, inter = 0;
    mnlp_status st;

    if ((st = mnlp_config_get_int(c, "vocab_size", &d->vocab_size)) ||
        (st = mnlp_config_get_int(c, "hidden_size", &d->hidden_size)) ||
        (st = mnlp_config_get_int(c, "num_hidden_layers", &d->num_hidden_layers)) ||
        (st = mnlp_config_get_int(c, "intermediate_size", &inter)) ||
        (st = mnlp_config_get_int(c, "num_attention_heads", &heads)) ||
        (st = mnlp_config_get_int(c, "num_key_value_heads", &kv)) ||
        (st = mnlp_config_get_int(c, "head_dim", &hd)))
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

static mnlp_status llama_load(const mnlp_config *c, const mnlp_checkpoint *ckpt, void **out,
                              mn_lm_dims *dims)
{
    llama *m = mn_calloc(1, sizeof *m);
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
        if ((st = load_layer(&m->weights, c, i, &m->layers[i])))
            goto fail;
    /* A tied head is the embedding matrix itself. */
    if (tied)
        m->lm_head = m->embed_tokens;
    else if ((st = mn_weight(&m->weights, false, &m->lm_head, "lm_head.weight")))
        goto fail;
    *dims = m->dims;
    *out = m;
    return MNLP_OK;
fail:
    llama_free(m);
    return st;
}

/* Copy x[n, hidden] into slot i of the caller's hidden_states. */
static mnlp_status keep_hidden(const mn_lm_chunk *c, const mn_tensor *x, int64_t i)
{
    size_t bytes = mn_tensor_nbytes(x);

    if (!c->hidden_states)
        return MNLP_OK;
    return mn_tensor_read(x, (char *)c->hidden_states + (size_t)i * bytes, bytes);
}

/* LlamaDecoderLayer: pre-norm attention and MLP, each added to the residual. */
static mnlp_status layer_forward(const llama_layer *l, const mn_lm_chunk *c, int64_t i)
{
    mn_tensor *const *s = c->scratch;
    mn_attention_scratch as = {s[S_QUERY], s[S_CONTEXT]};
    mnlp_status st;

    if ((st = mn_rms_norm_forward(&l->input_layernorm, s[S_RESIDUAL], s[S_NORMED])) ||
        (st = mn_attention_forward_masked(&l->self_attn, s[S_NORMED], c->cos, c->sin,
                                          c->key_cache[i], c->value_cache[i], c->past, c->mask,
                                          &as, s[S_BLOCK_OUT])) ||
        (st = mn_op_add(s[S_RESIDUAL], s[S_BLOCK_OUT], s[S_RESIDUAL])) ||
        (st = mn_rms_norm_forward(&l->post_attention_layernorm, s[S_RESIDUAL], s[S_NORMED])) ||
        (st = mn_gated_mlp_forward(&l->mlp, s[S_NORMED], s[S_GATE], s[S_UP], s[S_BLOCK_OUT])))
        return st;
    return mn_op_add(s[S_RESIDUAL], s[S_BLOCK_OUT], s[S_RESIDUAL]);
}

/*
 * LlamaForCausalLM.forward. hidden_states are what output_hidden_states
 * returns: the embeddings, each layer's output but the last, then the last
 * layer's output after the final norm.
 */
static mnlp_status llama_forward(const void *model, const mn_lm_chunk *c)
{
    const llama *m = model;
    mn_tensor *const *s = c->scratch;
    mn_tensor last;
    size_t table = sizeof(float) * (size_t)(c->n * m->dims.rope_dim);
    mnlp_status st;

    mn_rope_tables_seq(&m->rope, c->position_ids, c->n, c->rope_seq_len, c->host_freq,
                       c->host_cos, c->host_sin);
    if ((st = mn_tensor_write(c->cos, c->host_cos, table)) ||
        (st = mn_tensor_write(c->sin, c->host_sin, table)) ||
        (st = mn_op_get_rows(m->embed_tokens, c->input_ids, s[S_RESIDUAL])) ||
        (st = keep_hidden(c, s[S_RESIDUAL], 0)))
        return st;
    for (int64_t i = 0; i < m->dims.num_hidden_layers; i++) {
        if ((st = layer_forward(&m->layers[i], c, i)))
            return mn_error_prefix(st, "layer %lld: ", (long long)i);
        if (i + 1 < m->dims.num_hidden_layers && (st = keep_hidden(c, s[S_RESIDUAL], i + 1)))
            return st;
    }
    if ((st = mn_rms_norm_forward(&m->norm, s[S_RESIDUAL], s[S_NORMED])) ||
        (st = keep_hidden(c, s[S_NORMED], m->dims.num_hidden_layers)))
        return st;
    /* Generation needs only the last position's logits (num_logits_to_keep=1). */
    if ((st = mn_tensor_rows(s[S_NORMED], c->n - c->logits->shape[0], c->logits->shape[0], 0,
                             NULL, &last)))
        return st;
    return mn_op_linear(&last, m->lm_head, NULL, c->logits);
}

static const mn_lm_ops llama_lm = {
    .load = llama_load,
    .free = llama_free,
    .forward = llama_forward,
    .attention_mask = true,
};

static const char *const architectures[] = {"LlamaForCausalLM", NULL};
static const char *const honoured[] = {"tie_word_embeddings", NULL};
static const char *const ignored[] = {"self_attn.rotary_emb.inv_freq", NULL};

const mn_arch mn_arch_llama = {
    .model_type = "llama",
    .architectures = architectures,
    .honoured_base_fields = honoured,
    .check_config = check_config,
    .declare = declare,
    .ignored_suffixes = ignored,
    .causal_lm = &llama_lm,
};
