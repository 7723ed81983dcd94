/*
 * Llama (transformers' modeling_llama.py, LlamaForCausalLM): the decoder of
 * decoder.c as it is, with attention_bias and mlp_bias read from the config
 * and head_dim a config field. Every rope_scaling type of 4.47 applies.
 */
#include "models/decoder.h"

static const mn_decoder_opts opts = {
    .read_biases = true,
    .read_mlp_bias = true,
    .has_head_dim = true,
    .act_field = "hidden_act",
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
    .causal_lm = &lm_ops,
};
