/*
 * Qwen2 (modeling_qwen2.py, Qwen2ForCausalLM): Llama with q/k/v biases.
 * The sliding window (use_sliding_window) is refused.
 */
#include "models/decoder.h"

#include <string.h>

static const mn_decoder_opts opts = {
    .qkv_bias = true,
    .act_field = "hidden_act",
};

static void check_config(const mnlp_config *c, mn_problems *p)
{
    bool sliding = false;

    /* use_sliding_window masks layers >= max_window_layers: not built. */
    if (mnlp_config_get_bool(c, "use_sliding_window", &sliding) == MNLP_OK && sliding)
        mn_problem(p, "%s: use_sliding_window true is not supported", mn_config_name(c));
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

static const char *const architectures[] = {"Qwen2ForCausalLM", NULL};
static const char *const honoured[] = {"tie_word_embeddings", NULL};
static const char *const ignored[] = {"rotary_emb.inv_freq", NULL};

const mn_arch mn_arch_qwen2 = {
    .model_type = "qwen2",
    .architectures = architectures,
    .honoured_base_fields = honoured,
    .check_config = check_config,
    .declare = declare,
    .ignored_suffixes = ignored,
    .causal_lm = &lm_ops,
};
