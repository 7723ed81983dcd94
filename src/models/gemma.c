/*
 * Gemma (modeling_gemma.py, GemmaForCausalLM): Llama with embeddings times
 * sqrt(hidden_size), RMSNorm scaling by (1 + weight), a GeGLU MLP
 * (hidden_activation; hidden_act is ignored) and tied embeddings.
 */
#include "models/decoder.h"

#include <string.h>

static const mn_decoder_opts opts = {
    .read_biases = true,
    .norm_plus_one = true,
    .embed_scale = true,
    .has_head_dim = true,
    .act_field = "hidden_activation",
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

static const char *const architectures[] = {"GemmaForCausalLM", NULL};
static const char *const honoured[] = {"tie_word_embeddings", NULL};
static const char *const ignored[] = {"rotary_emb.inv_freq", NULL};

const mn_arch mn_arch_gemma = {
    .model_type = "gemma",
    .architectures = architectures,
    .honoured_base_fields = honoured,
    .check_config = check_config,
    .declare = declare,
    .ignored_suffixes = ignored,
    .causal_lm = &lm_ops,
};
