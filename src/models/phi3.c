/*
 * Phi-3 (modeling_phi3.py, Phi3ForCausalLM): Llama with fused qkv_proj and
 * gate_up_proj, its own longrope (short or long factors chosen per call),
 * and a mistral-style sliding window when sliding_window is set.
 */
#include "models/decoder.h"

#include <string.h>

static const mn_decoder_opts opts = {
    .fused_qkv = true,
    .fused_gate_up = true,
    .phi3_rope = true,
    .act_field = "hidden_act",
    .sliding_field = "sliding_window",
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

static const char *const architectures[] = {"Phi3ForCausalLM", NULL};
static const char *const honoured[] = {"tie_word_embeddings", NULL};
static const char *const ignored[] = {"rotary_emb.inv_freq", NULL};

const mn_arch mn_arch_phi3 = {
    .model_type = "phi3",
    .architectures = architectures,
    .honoured_base_fields = honoured,
    .check_config = check_config,
    .declare = declare,
    .ignored_suffixes = ignored,
    .causal_lm = &lm_ops,
};
