/*
 * GPT-2 (transformers' modeling_gpt2.py, GPT2LMHeadModel): learned absolute
 * positions, pre-LayerNorm blocks of multi-head attention and a plain MLP.
 * Its projections are Conv1D layers, whose weights are stored [in, out];
 * they run in that layout (linear_t), and the fused c_attn is split into
 * q, k and v as column views of the one matrix, so nothing is copied.
 */
#include "models/lm_common.h"

#include <math.h>

/* n_inner is null in most configs: GPT2Block then uses 4 * n_embd. */
static int64_t inner_size(const mnlp_config *c, int64_t hidden, mn_problems *p)
{
    const mn_json *v = mn_config_value(c, "n_inner");

    if (!v || v->type == MN_JSON_NULL)
        return 4 * hidden;
    return mn_cfg_int(c, "n_inner", p);
}

static void check_config(const mnlp_config *c, mn_problems *p)
{
    int64_t hidden = mn_cfg_int(c, "n_embd", p), heads = mn_cfg_int(c, "n_head", p);

    mn_check_activation(c, "activation_function", p);
    if (heads > 0 && hidden % heads != 0)
        mn_problem(p, "%s: n_embd %lld is not a multiple of n_head %lld", mn_config_name(c),
                   (long long)hidden, (long long)heads);
    mn_cfg_float(c, "layer_norm_epsilon", p);
    mn_cfg_bool(c, "scale_attn_weights", p);
    mn_cfg_bool(c, "scale_attn_by_inverse_layer_idx", p);
    /* reorder_and_upcast_attn only computes the scores in float32 with the
     * scale applied first: mnlp's attention is float32 throughout, so both
     * values give the same math. The summary_* fields belong to
     * GPT2DoubleHeadsModel's head, which GPT2LMHeadModel does not build. */
    mn_cfg_bool(c, "reorder_and_upcast_attn", p);
}

static bool declare(const mnlp_config *c, mn_decls *d, mn_problems *p)
{
    int64_t vocab = mn_cfg_int(c, "vocab_size", p), pos = mn_cfg_int(c, "n_positions", p);
    int64_t h = mn_cfg_int(c, "n_embd", p), layers = mn_cfg_int(c, "n_layer", p);
    int64_t inner = inner_size(c, h, p);
    bool tied = mn_cfg_bool(c, "tie_word_embeddings", p);
    int n_bad = 0;

    n_bad += !mn_cfg_in_range(c, "vocab_size", vocab, MN_MAX_DIM, p);
    n_bad += !mn_cfg_in_range(c, "n_positions", pos, MN_MAX_DIM, p);
    n_bad += !mn_cfg_in_range(c, "n_embd", h, MN_MAX_DIM, p);
    n_bad += !mn_cfg_in_range(c, "n_inner", inner, MN_MAX_DIM, p);
    n_bad += !mn_cfg_in_range(c, "n_layer", layers, MN_MAX_LAYERS, p);
    if (n_bad || p->failed)
        return false;
    mn_declare(d, MN_REQUIRED, 2, (int64_t[]){vocab, h}, "transformer.wte.weight");
    mn_declare(d, MN_REQUIRED, 2, (int64_t[]){pos, h}, "transformer.wpe.weight");
    for (long long i = 0; i < layers; i++) {
        const char *const norms[] = {"ln_1", "ln_2"};
        const struct {
            const char *name;
            int64_t in, out;
        } conv[] = {{"attn.c_attn", h, 3 * h}, {"attn.c_proj", h, h},
                    {"mlp.c_fc", h, inner}, {"mlp.c_proj", inner, h}};

        for (int j = 0; j < 2; j++) {
            mn_declare(d, MN_REQUIRED, 1, &h, "transformer.h.%lld.%s.weight", i, norms[j]);
            mn_declare(d, MN_REQUIRED, 1, &h, "transformer.h.%lld.%s.bias", i, norms[j]);
        }
        for (int j = 0; j < 4; j++) {
            mn_declare(d, MN_REQUIRED, 2, (int64_t[]){conv[j].in, conv[j].out},
                       "transformer.h.%lld.%s.weight", i, conv[j].name);
            mn_declare(d, MN_REQUIRED, 1, &conv[j].out, "transformer.h.%lld.%s.bias", i,
                       conv[j].name);
        }
    }
    mn_declare(d, MN_REQUIRED, 1, &h, "transformer.ln_f.weight");
    mn_declare(d, MN_REQUIRED, 1, &h, "transformer.ln_f.bias");
    mn_declare(d, tied ? MN_OPTIONAL : MN_REQUIRED, 2, (int64_t[]){vocab, h}, "lm_head.weight");
    return true;
}

/* ---- The forward of GPT2LMHeadModel ------------------------------------ */

typedef struct gpt2_layer {
    mn_layer_norm ln_1, ln_2;
    mn_attention attn;
    mn_mlp mlp;
    /* q, k and v: column views of c_attn's weight and row views of its bias. */
    mn_tensor qkv_weight[3], qkv_bias[3];
} gpt2_layer;

typedef struct gpt2 {
    mn_weights weights;
    const mn_tensor *wpe;
    mn_linear wte, lm_head;
    gpt2_layer *layers;
    mn_layer_norm ln_f;
    mn_lm_dims dims;
} gpt2;

enum { S_RESIDUAL, S_NORMED, S_BLOCK_OUT, S_QUERY, S_CONTEXT, S_MID, S_COUNT };

/* GPT2Attention's scores: divided by sqrt(head_dim) when scale_attn_weights,
 * and also by layer_idx + 1 when scale_attn_by_inverse_layer_idx. */
static mnlp_status attn_scale(const mnlp_config *c, int64_t layer, int64_t head_dim,
                              float *out)
{
    bool by_dim = false, by_layer = false;
    mnlp_status st;
    double s = 1.0;

    if ((st = mnlp_config_get_bool(c, "scale_attn_weights", &by_dim)) ||
        (st = mnlp_config_get_bool(c, "scale_attn_by_inverse_layer_idx", &by_layer)))
        return st;
    if (by_dim)
        s /= sqrt((double)head_dim);
    if (by_layer)
        s /= (double)(layer + 1);
    *out = (float)s;
    return MNLP_OK;
}

static mnlp_status split_qkv(mn_weights *w, gpt2_layer *l, long long i, int64_t h)
{
    mn_linear c_attn;
    mn_linear *proj[3] = {&l->attn.q_proj, &l->attn.k_proj, &l->attn.v_proj};
    mnlp_status st;

    if ((st = mn_load_linear(w, &c_attn, true, "transformer.h.%lld.attn.c_attn", i)))
        return st;
    for (int j = 0; j < 3; j++) {
        if ((st = mn_tensor_cols(c_attn.weight, j * h, h, &l->qkv_weight[j])) ||
            (st = mn_tensor_rows(c_attn.bias, j * h, h, 0, NULL, &l->qkv_bias[j])))
            return st;
        *proj[j] = (mn_linear){&l->qkv_weight[j], &l->qkv_bias[j], true};
    }
    return MNLP_OK;
}

static mnlp_status load_layer(mn_weights *w, const mnlp_config *c, long long i, gpt2_layer *l)
{
    const char *act = NULL;
    double eps = 0;
    int64_t h = 0, heads = 0;
    mnlp_status st;

    if ((st = mnlp_config_get_float(c, "layer_norm_epsilon", &eps)) ||
        (st = mnlp_config_get_string(c, "activation_function", &act)) ||
        (st = mn_activation_parse(act, &l->mlp.act)) ||
        (st = mnlp_config_get_int(c, "n_embd", &h)) ||
        (st = mnlp_config_get_int(c, "n_head", &heads)))
        return st;
    l->attn.num_heads = l->attn.num_key_value_heads = heads;
    l->attn.head_dim = h / heads;
    if ((st = attn_scale(c, i, h / heads, &l->attn.scale)) ||
        (st = mn_load_layer_norm(w, &l->ln_1, (float)eps, "transformer.h.%lld.ln_1", i)) ||
        (st = mn_load_layer_norm(w, &l->ln_2, (float)eps, "transformer.h.%lld.ln_2", i)) ||
        (st = split_qkv(w, l, i, h)) ||
        (st = mn_load_linear(w, &l->attn.o_proj, true, "transformer.h.%lld.attn.c_proj", i)) ||
        (st = mn_load_linear(w, &l->mlp.fc1, true, "transformer.h.%lld.mlp.c_fc", i)) ||
        (st = mn_load_linear(w, &l->mlp.fc2, true, "transformer.h.%lld.mlp.c_proj", i)))
        return st;
    l->attn.o_proj.transposed = l->mlp.fc1.transposed = l->mlp.fc2.transposed = true;
    return MNLP_OK;
}

static void gpt2_free(void *model)
{
    gpt2 *m = model;

    if (!m)
        return;
    mn_weights_free(&m->weights);
    mn_free(m->layers);
    mn_free(m);
}

static mnlp_status read_dims(const mnlp_config *c, mn_lm_dims *d)
{
    mn_problems p = {0};
    int64_t inner;
    mnlp_status st;

    if ((st = mnlp_config_get_int(c, "vocab_size", &d->vocab_size)) ||
        (st = mnlp_config_get_int(c, "n_embd", &d->hidden_size)) ||
        (st = mnlp_config_get_int(c, "n_layer", &d->num_hidden_layers)))
        return st;
    inner = inner_size(c, d->hidden_size, &p);
    mn_problems_free(&p);
    d->kv_width = d->hidden_size;
    /* No rotary positions; the smallest table lm.c can allocate, never read. */
    d->rope_dim = 2;
    d->n_scratch = S_COUNT;
    for (int i = 0; i < S_MID; i++)
        d->scratch_cols[i] = d->hidden_size;
    d->scratch_cols[S_MID] = inner;
    return MNLP_OK;
}

static mnlp_status gpt2_load(const mnlp_config *c, const mnlp_checkpoint *ckpt, void **out,
                             mn_lm_dims *dims)
{
    gpt2 *m = mn_calloc(1, sizeof *m);
    bool tied = false;
    double eps = 0;
    mnlp_status st;

    *out = NULL;
    if (!m)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    m->weights.ckpt = ckpt;
    if ((st = read_dims(c, &m->dims)) ||
        (st = mnlp_config_get_bool(c, "tie_word_embeddings", &tied)) ||
        (st = mnlp_config_get_float(c, "layer_norm_epsilon", &eps)))
        goto fail;
    if (!(m->layers = mn_calloc((size_t)m->dims.num_hidden_layers, sizeof *m->layers))) {
        st = mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
        goto fail;
    }
    if ((st = mn_load_linear(&m->weights, &m->wte, false, "transformer.wte")) ||
        (st = mn_weight(&m->weights, false, &m->wpe, "transformer.wpe.weight")) ||
        (st = mn_load_layer_norm(&m->weights, &m->ln_f, (float)eps, "transformer.ln_f")))
        goto fail;
    for (int64_t i = 0; i < m->dims.num_hidden_layers; i++)
        if ((st = load_layer(&m->weights, c, (long long)i, &m->layers[i])))
            goto fail;
    /* GPT2LMHeadModel ties lm_head to wte unless told otherwise. */
    if (tied)
        m->lm_head = m->wte;
    else if ((st = mn_load_linear(&m->weights, &m->lm_head, false, "lm_head")))
        goto fail;
    *dims = m->dims;
    *out = m;
    return MNLP_OK;
fail:
    gpt2_free(m);
    return st;
}

/* GPT2Block: pre-LayerNorm attention and MLP, each added to the residual. */
static mnlp_status layer_forward(const gpt2_layer *l, const mn_lm_chunk *c, int64_t i)
{
    mn_tensor *const *s = c->scratch;
    mn_attention_scratch as = {s[S_QUERY], s[S_CONTEXT]};
    mnlp_status st;

    if ((st = mn_layer_norm_forward(&l->ln_1, s[S_RESIDUAL], s[S_NORMED])) ||
        (st = mn_attention_forward_masked(&l->attn, s[S_NORMED], NULL, NULL, c->key_cache[i],
                                          c->value_cache[i], c->past, c->mask, &as,
                                          s[S_BLOCK_OUT])) ||
        (st = mn_op_add(s[S_RESIDUAL], s[S_BLOCK_OUT], s[S_RESIDUAL])) ||
        (st = mn_layer_norm_forward(&l->ln_2, s[S_RESIDUAL], s[S_NORMED])) ||
        (st = mn_mlp_forward(&l->mlp, s[S_NORMED], s[S_MID], s[S_BLOCK_OUT])))
        return st;
    return mn_op_add(s[S_RESIDUAL], s[S_BLOCK_OUT], s[S_RESIDUAL]);
}

/* GPT2LMHeadModel.forward: wte + wpe, the blocks, ln_f, lm_head. */
static mnlp_status gpt2_forward(const void *model, const mn_lm_chunk *c)
{
    const gpt2 *m = model;
    mn_tensor *const *s = c->scratch;
    int64_t h = m->dims.hidden_size, layers = m->dims.num_hidden_layers;
    mn_tensor row;
    mnlp_status st;

    if ((st = mn_op_get_rows(m->wte.weight, c->input_ids, s[S_RESIDUAL])) ||
        (st = mn_tensor_rows(s[S_NORMED], 0, 1, 0, NULL, &row)) ||
        (st = mn_position_embedding_add(m->wpe, c->position_ids, c->n, 0, &row,
                                        s[S_RESIDUAL])) ||
        (st = mn_lm_keep_hidden(c, s[S_RESIDUAL], h, 0)))
        return st;
    for (int64_t i = 0; i < layers; i++) {
        if ((st = layer_forward(&m->layers[i], c, i)))
            return mn_error_prefix(st, "layer %lld", (long long)i);
        if (i + 1 < layers && (st = mn_lm_keep_hidden(c, s[S_RESIDUAL], h, i + 1)))
            return st;
    }
    if ((st = mn_layer_norm_forward(&m->ln_f, s[S_RESIDUAL], s[S_NORMED])) ||
        (st = mn_lm_keep_hidden(c, s[S_NORMED], h, layers)))
        return st;
    return mn_lm_logits(c, s[S_NORMED], &m->lm_head);
}

static const mn_lm_ops gpt2_lm = {
    .load = gpt2_load,
    .free = gpt2_free,
    .forward = gpt2_forward,
    .attention_mask = true,
};

static const char *const architectures[] = {"GPT2LMHeadModel", NULL};
static const char *const honoured[] = {"tie_word_embeddings", NULL};
/* Causal-mask buffers that older checkpoints carry. */
static const char *const ignored[] = {"attn.bias", "attn.masked_bias", NULL};

const mn_arch mn_arch_gpt2 = {
    .model_type = "gpt2",
    .architectures = architectures,
    .honoured_base_fields = honoured,
    .check_config = check_config,
    .declare = declare,
    .ignored_suffixes = ignored,
    .causal_lm = &gpt2_lm,
};
