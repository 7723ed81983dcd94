/*
 * Llama (transformers' modeling_llama.py, LlamaForCausalLM): pre-norm
 * decoder layers of grouped-query attention with rotary positions and a
 * gated SiLU MLP, RMSNorm throughout.
 */
#include "models/arch.h"

#include <string.h>

/* Sizes beyond these are not a real model but a hostile or broken config. */
#define MAX_DIM (1 << 24)
#define MAX_LAYERS 1024

static const char *const activations[] = {"silu", "swish", "gelu", "gelu_new",
                                          "gelu_pytorch_tanh", "gelu_fast", "relu",
                                          "quick_gelu", NULL};

/* rope_scaling keys each rope_type requires (transformers' rope_config_validation). */
static const struct {
    const char *type;
    const char *required[5];
} rope_types[] = {
    {"default", {NULL}},
    {"linear", {"factor", NULL}},
    {"dynamic", {"factor", NULL}},
    {"yarn", {"factor", NULL}},
    {"longrope", {"short_factor", "long_factor", NULL}},
    {"llama3", {"factor", "original_max_position_embeddings", "low_freq_factor",
                "high_freq_factor", NULL}},
};

static void check_rope_scaling(const mnlp_config *config, mn_problems *p)
{
    const mn_json *rs = mn_config_value(config, "rope_scaling");
    const mn_json *type;

    if (!rs || rs->type == MN_JSON_NULL)
        return;
    /* transformers accepts the legacy key "type" for "rope_type". */
    type = mn_json_get(rs, "rope_type");
    if (!type)
        type = mn_json_get(rs, "type");
    if (type && type->type != MN_JSON_STRING) {
        mn_problem(p, "%s: rope_scaling.rope_type is not a string", mn_config_name(config));
        return;
    }
    for (int i = 0; i < MN_COUNT(rope_types); i++) {
        if (strcmp(type ? type->str : "default", rope_types[i].type) != 0)
            continue;
        for (const char *const *k = rope_types[i].required; *k; k++)
            if (!mn_json_get(rs, *k))
                mn_problem(p, "%s: rope_scaling of type \"%s\" lacks \"%s\"",
                           mn_config_name(config), rope_types[i].type, *k);
        return;
    }
    mn_problem(p, "%s: rope_scaling.rope_type \"%s\" is not supported", mn_config_name(config),
               type->str);
}

static bool in_range(const mnlp_config *c, const char *field, int64_t v, int64_t max,
                     mn_problems *p)
{
    if (v >= 1 && v <= max)
        return true;
    mn_problem(p, "%s: \"%s\" is %lld, outside [1, %lld]", mn_config_name(c), field,
               (long long)v, (long long)max);
    return false;
}

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
    check_rope_scaling(config, p);
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

    n_bad += !in_range(c, "vocab_size", vocab, MAX_DIM, p);
    n_bad += !in_range(c, "hidden_size", hidden, MAX_DIM, p);
    n_bad += !in_range(c, "intermediate_size", inter, MAX_DIM, p);
    n_bad += !in_range(c, "num_hidden_layers", layers, MAX_LAYERS, p);
    n_bad += !in_range(c, "num_attention_heads", heads, 1 << 16, p);
    n_bad += !in_range(c, "num_key_value_heads", kv, 1 << 16, p);
    n_bad += !in_range(c, "head_dim", hd, 1 << 16, p);
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
};
