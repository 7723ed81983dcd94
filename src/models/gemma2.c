/*
 * Gemma 2 (modeling_gemma2.py, Gemma2ForCausalLM): Gemma with norms before
 * and after each block, a sliding window on even layers, queries scaled by
 * query_pre_attn_scalar ** -0.5, and soft-capped attention scores and logits.
 */
#include "models/decoder.h"

#include <string.h>

static const mn_decoder_opts opts = {
    .read_biases = true,
    .norm_plus_one = true,
    .embed_scale = true,
    .sandwich_norms = true,
    .sliding_even_layers = true,
    .has_head_dim = true,
    .act_field = "hidden_activation",
    .sliding_field = "sliding_window",
    .softcaps = true,
    .query_pre_attn_scalar = true,
};

static void check_config(const mnlp_config *c, mn_problems *p)
{
    mn_decoder_check_config(c, &opts, p);
}

static bool declare(const mnlp_config *c, mn_decls *d, mn_problems *p)
{
    return mn_decoder_declare(c, &opts, d, p);
}

static mnlp_status load(const mnlp_config *c, const mnlp_checkpoint *ckpt, void **model,
                        mn_lm_dims *dims)
{
    return mn_decoder_load(c, ckpt, &opts, model, dims);
}

static const mn_lm_ops lm_ops = {
    .load = load,
    .free = mn_decoder_free,
    .forward = mn_decoder_forward,
    .attention_mask = true,
};

static const char *const architectures[] = {"Gemma2ForCausalLM", NULL};
static const char *const honoured[] = {"tie_word_embeddings", NULL};
static const char *const ignored[] = {"rotary_emb.inv_freq", NULL};

const mn_arch mn_arch_gemma2 = {
    .model_type = "gemma2",
    .architectures = architectures,
    .honoured_base_fields = honoured,
    .check_config = check_config,
    .declare = declare,
    .ignored_suffixes = ignored,
    .causal_lm = &lm_ops,
};
