/*
 * Hugging Face config classes of transformers 4.47 as static tables.
 *
 * Each subclass table lists the class's own __init__ parameters in signature
 * order (plus the few attributes its body derives and save_pretrained writes).
 * Defaults are written as json.dumps would write them.
 */
#include "io/config_schema.h"

#include <string.h>

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

#define JN MN_JT_NULL
#define JB MN_JT_BOOL
#define JI MN_JT_INT
#define JF MN_JT_FLOAT
#define JS MN_JT_STRING
#define JA MN_JT_ARRAY
#define JO MN_JT_OBJECT
#define JANY MN_JT_ANY

#define MATH MN_ROLE_MATH
#define GEN MN_ROLE_GEN
#define TOKEN MN_ROLE_TOKEN
#define META MN_ROLE_META
#define TRAIN MN_ROLE_TRAIN

/* eos_token_id may be one id or a list of ids. */
#define EOS_TYPES (JI | JA | JN)

/* configuration_utils.py: PretrainedConfig.__init__ and to_dict/to_diff_dict. */
static const mn_config_field base_fields[] = {
    {"return_dict", JB, "true", META},
    {"output_hidden_states", JB, "false", META},
    {"output_attentions", JB, "false", META},
    {"torchscript", JB, "false", META},
    {"torch_dtype", JS | JN, "null", META},
    {"use_bfloat16", JB, "false", META},
    {"tf_legacy_loss", JB, "false", TRAIN},
    {"pruned_heads", JO, "{}", MATH},
    {"tie_word_embeddings", JB, "true", MATH},
    /* Feed-forward applied in sequence chunks: numerically equivalent. */
    {"chunk_size_feed_forward", JI, "0", TRAIN},
    {"is_encoder_decoder", JB, "false", MATH},
    {"is_decoder", JB, "false", MATH},
    {"cross_attention_hidden_size", JI | JN, "null", MATH},
    {"add_cross_attention", JB, "false", MATH},
    {"tie_encoder_decoder", JB, "false", MATH},
    /* _get_global_generation_defaults() */
    {"max_length", JI, "20", GEN},
    {"min_length", JI, "0", GEN},
    {"do_sample", JB, "false", GEN},
    {"early_stopping", JB | JS, "false", GEN},
    {"num_beams", JI, "1", GEN},
    {"num_beam_groups", JI, "1", GEN},
    {"diversity_penalty", JF, "0.0", GEN},
    {"temperature", JF, "1.0", GEN},
    {"top_k", JI, "50", GEN},
    {"top_p", JF, "1.0", GEN},
    {"typical_p", JF, "1.0", GEN},
    {"repetition_penalty", JF, "1.0", GEN},
    {"length_penalty", JF, "1.0", GEN},
    {"no_repeat_ngram_size", JI, "0", GEN},
    {"encoder_no_repeat_ngram_size", JI, "0", GEN},
    {"bad_words_ids", JA | JN, "null", GEN},
    {"num_return_sequences", JI, "1", GEN},
    {"output_scores", JB, "false", GEN},
    {"return_dict_in_generate", JB, "false", GEN},
    {"forced_bos_token_id", JI | JN, "null", GEN},
    {"forced_eos_token_id", EOS_TYPES, "null", GEN},
    {"remove_invalid_values", JB, "false", GEN},
    {"exponential_decay_length_penalty", JA | JN, "null", GEN},
    {"suppress_tokens", JA | JN, "null", GEN},
    {"begin_suppress_tokens", JA | JN, "null", GEN},
    /* End of generation defaults. */
    {"architectures", JA | JN, "null", META},
    {"finetuning_task", JS | JN, "null", META},
    /* id2label/label2id: absent, __init__ builds them from num_labels (default 2). */
    {"id2label", JO | JN, "{\"0\": \"LABEL_0\", \"1\": \"LABEL_1\"}", META},
    {"label2id", JO | JN, "{\"LABEL_0\": 0, \"LABEL_1\": 1}", META},
    /* Not stored: a property setter that rebuilds id2label/label2id. */
    {"num_labels", JI, "2", META},
    {"tokenizer_class", JS | JN, "null", META},
    {"prefix", JS | JN, "null", META},
    {"bos_token_id", JI | JN, "null", TOKEN},
    {"pad_token_id", JI | JN, "null", TOKEN},
    {"eos_token_id", EOS_TYPES, "null", TOKEN},
    {"sep_token_id", JI | JN, "null", TOKEN},
    {"decoder_start_token_id", JI | JN, "null", TOKEN},
    {"task_specific_params", JO | JN, "null", META},
    {"problem_type", JS | JN, "null", META},
    /* Deprecated since v4.4.0: popped and ignored. */
    {"xla_device", JANY, "null", META},
    {"_name_or_path", JS, "\"\"", META},
    {"_commit_hash", JS | JN, "null", META},
    {"attn_implementation", JS | JN, "null", META},
    {"_attn_implementation_autoset", JB, "false", META},
    {"transformers_version", JS | JN, "null", META},
    /* Not popped; kept by the catch-all setattr loop, deprecated. */
    {"gradient_checkpointing", JB, "false", TRAIN},
    /* Class attribute, written by to_dict. */
    {"model_type", JS, "\"\"", META},
    {"quantization_config", JO | JN, "null", META},
    /* Not popped; kept by the catch-all setattr loop, read only by the loss. */
    {"loss_type", JS | JN, "null", TRAIN},
};

static const mn_config_alias base_aliases[] = {
    /* __init__ pops "name_or_path" and stores it as _name_or_path. */
    {"name_or_path", "_name_or_path"},
};

static const mn_config_class base_class = {
    NULL, "PretrainedConfig", base_fields, N(base_fields), base_aliases, N(base_aliases),
};

/* models/llama/configuration_llama.py */
static const mn_config_field llama_fields[] = {
    {"vocab_size", JI, "32000", MATH},
    {"hidden_size", JI, "4096", MATH},
    {"intermediate_size", JI, "11008", MATH},
    {"num_hidden_layers", JI, "32", MATH},
    {"num_attention_heads", JI, "32", MATH},
    {"num_key_value_heads", JI | JN, "=num_attention_heads", MATH},
    {"hidden_act", JS, "\"silu\"", MATH},
    {"max_position_embeddings", JI, "2048", MATH},
    {"initializer_range", JF, "0.02", TRAIN},
    {"rms_norm_eps", JF, "1e-06", MATH},
    {"use_cache", JB, "true", TRAIN},
    {"pad_token_id", JI | JN, "null", TOKEN},
    {"bos_token_id", JI | JN, "1", TOKEN},
    {"eos_token_id", EOS_TYPES, "2", TOKEN},
    /* Slices the projections into pretraining_tp matmuls: same result. */
    {"pretraining_tp", JI, "1", TRAIN},
    {"tie_word_embeddings", JB, "false", MATH},
    {"rope_theta", JF, "10000.0", MATH},
    {"rope_scaling", JO | JN, "null", MATH},
    {"attention_bias", JB, "false", MATH},
    {"attention_dropout", JF, "0.0", TRAIN},
    {"mlp_bias", JB, "false", MATH},
    {"head_dim", JI | JN, "=hidden_size//num_attention_heads", MATH},
};

/* models/mistral/configuration_mistral.py */
static const mn_config_field mistral_fields[] = {
    {"vocab_size", JI, "32000", MATH},
    {"hidden_size", JI, "4096", MATH},
    {"intermediate_size", JI, "14336", MATH},
    {"num_hidden_layers", JI, "32", MATH},
    {"num_attention_heads", JI, "32", MATH},
    /* An explicit null becomes num_attention_heads. */
    {"num_key_value_heads", JI | JN, "8", MATH},
    /* `head_dim or ...`: 0 is derived too. */
    {"head_dim", JI | JN, "=hidden_size//num_attention_heads", MATH},
    {"hidden_act", JS, "\"silu\"", MATH},
    {"max_position_embeddings", JI, "131072", MATH},
    {"initializer_range", JF, "0.02", TRAIN},
    {"rms_norm_eps", JF, "1e-06", MATH},
    {"use_cache", JB, "true", TRAIN},
    {"pad_token_id", JI | JN, "null", TOKEN},
    {"bos_token_id", JI | JN, "1", TOKEN},
    {"eos_token_id", EOS_TYPES, "2", TOKEN},
    {"tie_word_embeddings", JB, "false", MATH},
    {"rope_theta", JF, "10000.0", MATH},
    {"sliding_window", JI | JN, "4096", MATH},
    {"attention_dropout", JF, "0.0", TRAIN},
};

/* models/qwen2/configuration_qwen2.py */
static const mn_config_field qwen2_fields[] = {
    {"vocab_size", JI, "151936", MATH},
    {"hidden_size", JI, "4096", MATH},
    {"intermediate_size", JI, "22016", MATH},
    {"num_hidden_layers", JI, "32", MATH},
    {"num_attention_heads", JI, "32", MATH},
    /* An explicit null becomes num_attention_heads. */
    {"num_key_value_heads", JI | JN, "32", MATH},
    {"hidden_act", JS, "\"silu\"", MATH},
    {"max_position_embeddings", JI, "32768", MATH},
    {"initializer_range", JF, "0.02", TRAIN},
    {"rms_norm_eps", JF, "1e-06", MATH},
    {"use_cache", JB, "true", TRAIN},
    {"tie_word_embeddings", JB, "false", MATH},
    {"rope_theta", JF, "10000.0", MATH},
    {"rope_scaling", JO | JN, "null", MATH},
    {"use_sliding_window", JB, "false", MATH},
    /* __init__ stores None unless use_sliding_window is true. */
    {"sliding_window", JI | JN, "4096", MATH},
    {"max_window_layers", JI, "28", MATH},
    {"attention_dropout", JF, "0.0", TRAIN},
};

/* models/phi3/configuration_phi3.py */
static const mn_config_field phi3_fields[] = {
    {"vocab_size", JI, "32064", MATH},
    {"hidden_size", JI, "3072", MATH},
    {"intermediate_size", JI, "8192", MATH},
    {"num_hidden_layers", JI, "32", MATH},
    {"num_attention_heads", JI, "32", MATH},
    {"num_key_value_heads", JI | JN, "=num_attention_heads", MATH},
    {"resid_pdrop", JF, "0.0", TRAIN},
    {"embd_pdrop", JF, "0.0", TRAIN},
    {"attention_dropout", JF, "0.0", TRAIN},
    {"hidden_act", JS, "\"silu\"", MATH},
    {"max_position_embeddings", JI, "4096", MATH},
    {"original_max_position_embeddings", JI, "4096", MATH},
    {"initializer_range", JF, "0.02", TRAIN},
    {"rms_norm_eps", JF, "1e-05", MATH},
    {"use_cache", JB, "true", TRAIN},
    {"tie_word_embeddings", JB, "false", MATH},
    {"rope_theta", JF, "10000.0", MATH},
    {"rope_scaling", JO | JN, "null", MATH},
    {"bos_token_id", JI | JN, "1", TOKEN},
    {"eos_token_id", EOS_TYPES, "32000", TOKEN},
    {"pad_token_id", JI | JN, "32000", TOKEN},
    {"sliding_window", JI | JN, "null", MATH},
};

/* models/gemma/configuration_gemma.py */
static const mn_config_field gemma_fields[] = {
    {"vocab_size", JI, "256000", MATH},
    {"hidden_size", JI, "3072", MATH},
    {"intermediate_size", JI, "24576", MATH},
    {"num_hidden_layers", JI, "28", MATH},
    {"num_attention_heads", JI, "16", MATH},
    {"num_key_value_heads", JI, "16", MATH},
    {"head_dim", JI, "256", MATH},
    /* GemmaMLP ignores it: it uses hidden_activation, "gelu_pytorch_tanh" if null. */
    {"hidden_act", JS, "\"gelu_pytorch_tanh\"", MATH},
    {"hidden_activation", JS | JN, "null", MATH},
    {"max_position_embeddings", JI, "8192", MATH},
    {"initializer_range", JF, "0.02", TRAIN},
    {"rms_norm_eps", JF, "1e-06", MATH},
    {"use_cache", JB, "true", TRAIN},
    {"pad_token_id", JI | JN, "0", TOKEN},
    {"eos_token_id", EOS_TYPES, "1", TOKEN},
    {"bos_token_id", JI | JN, "2", TOKEN},
    {"tie_word_embeddings", JB, "true", MATH},
    {"rope_theta", JF, "10000.0", MATH},
    {"attention_bias", JB, "false", MATH},
    {"attention_dropout", JF, "0.0", TRAIN},
};

/* models/gemma2/configuration_gemma2.py */
static const mn_config_field gemma2_fields[] = {
    {"vocab_size", JI, "256000", MATH},
    {"hidden_size", JI, "2304", MATH},
    {"intermediate_size", JI, "9216", MATH},
    {"num_hidden_layers", JI, "26", MATH},
    {"num_attention_heads", JI, "8", MATH},
    {"num_key_value_heads", JI, "4", MATH},
    {"head_dim", JI, "256", MATH},
    {"hidden_activation", JS, "\"gelu_pytorch_tanh\"", MATH},
    {"max_position_embeddings", JI, "8192", MATH},
    {"initializer_range", JF, "0.02", TRAIN},
    {"rms_norm_eps", JF, "1e-06", MATH},
    {"use_cache", JB, "true", TRAIN},
    {"pad_token_id", JI | JN, "0", TOKEN},
    {"eos_token_id", EOS_TYPES, "1", TOKEN},
    {"bos_token_id", JI | JN, "2", TOKEN},
    {"tie_word_embeddings", JB, "true", MATH},
    {"rope_theta", JF, "10000.0", MATH},
    {"attention_bias", JB, "false", MATH},
    {"attention_dropout", JF, "0.0", TRAIN},
    {"query_pre_attn_scalar", JF, "256", MATH},
    /* Applied on even layer indices only (modeling_gemma2.py). */
    {"sliding_window", JI | JN, "4096", MATH},
    {"final_logit_softcapping", JF | JN, "30.0", MATH},
    {"attn_logit_softcapping", JF | JN, "50.0", MATH},
    /* Picks generate()'s KV cache class; the math is fixed by sliding_window. */
    {"cache_implementation", JS | JN, "\"hybrid\"", GEN},
};

/* models/mixtral/configuration_mixtral.py */
static const mn_config_field mixtral_fields[] = {
    {"vocab_size", JI, "32000", MATH},
    {"hidden_size", JI, "4096", MATH},
    {"intermediate_size", JI, "14336", MATH},
    {"num_hidden_layers", JI, "32", MATH},
    {"num_attention_heads", JI, "32", MATH},
    /* An explicit null becomes num_attention_heads. */
    {"num_key_value_heads", JI | JN, "8", MATH},
    {"head_dim", JI | JN, "=hidden_size//num_attention_heads", MATH},
    {"hidden_act", JS, "\"silu\"", MATH},
    {"max_position_embeddings", JI, "131072", MATH},
    {"initializer_range", JF, "0.02", TRAIN},
    {"rms_norm_eps", JF, "1e-05", MATH},
    {"use_cache", JB, "true", TRAIN},
    {"pad_token_id", JI | JN, "null", TOKEN},
    {"bos_token_id", JI | JN, "1", TOKEN},
    {"eos_token_id", EOS_TYPES, "2", TOKEN},
    {"tie_word_embeddings", JB, "false", MATH},
    {"rope_theta", JF, "1000000.0", MATH},
    {"sliding_window", JI | JN, "null", MATH},
    {"attention_dropout", JF, "0.0", TRAIN},
    {"num_experts_per_tok", JI, "2", MATH},
    {"num_local_experts", JI, "8", MATH},
    {"output_router_logits", JB, "false", TRAIN},
    {"router_aux_loss_coef", JF, "0.001", TRAIN},
    /* Multiplies router input by noise only in training mode. */
    {"router_jitter_noise", JF, "0.0", TRAIN},
};

/* models/qwen2_moe/configuration_qwen2_moe.py */
static const mn_config_field qwen2_moe_fields[] = {
    {"vocab_size", JI, "151936", MATH},
    {"hidden_size", JI, "2048", MATH},
    {"intermediate_size", JI, "5632", MATH},
    {"num_hidden_layers", JI, "24", MATH},
    {"num_attention_heads", JI, "16", MATH},
    {"num_key_value_heads", JI, "16", MATH},
    {"hidden_act", JS, "\"silu\"", MATH},
    {"max_position_embeddings", JI, "32768", MATH},
    {"initializer_range", JF, "0.02", TRAIN},
    {"rms_norm_eps", JF, "1e-06", MATH},
    {"use_cache", JB, "true", TRAIN},
    {"tie_word_embeddings", JB, "false", MATH},
    {"rope_theta", JF, "10000.0", MATH},
    {"rope_scaling", JO | JN, "null", MATH},
    {"use_sliding_window", JB, "false", MATH},
    /* __init__ stores None unless use_sliding_window is true. */
    {"sliding_window", JI | JN, "4096", MATH},
    {"max_window_layers", JI, "28", MATH},
    {"attention_dropout", JF, "0.0", TRAIN},
    {"decoder_sparse_step", JI, "1", MATH},
    {"moe_intermediate_size", JI, "1408", MATH},
    {"shared_expert_intermediate_size", JI, "5632", MATH},
    {"num_experts_per_tok", JI, "4", MATH},
    {"num_experts", JI, "60", MATH},
    {"norm_topk_prob", JB, "false", MATH},
    {"output_router_logits", JB, "false", TRAIN},
    {"router_aux_loss_coef", JF, "0.001", TRAIN},
    /* An explicit null becomes []. */
    {"mlp_only_layers", JA | JN, "[]", MATH},
};

/* models/phi/configuration_phi.py */
static const mn_config_field phi_fields[] = {
    {"vocab_size", JI, "51200", MATH},
    {"hidden_size", JI, "2048", MATH},
    {"intermediate_size", JI, "8192", MATH},
    {"num_hidden_layers", JI, "24", MATH},
    {"num_attention_heads", JI, "32", MATH},
    {"num_key_value_heads", JI | JN, "=num_attention_heads", MATH},
    {"resid_pdrop", JF, "0.0", TRAIN},
    {"embd_pdrop", JF, "0.0", TRAIN},
    {"attention_dropout", JF, "0.0", TRAIN},
    {"hidden_act", JS, "\"gelu_new\"", MATH},
    {"max_position_embeddings", JI, "2048", MATH},
    {"initializer_range", JF, "0.02", TRAIN},
    {"layer_norm_eps", JF, "1e-05", MATH},
    {"use_cache", JB, "true", TRAIN},
    {"tie_word_embeddings", JB, "false", MATH},
    {"rope_theta", JF, "10000.0", MATH},
    {"rope_scaling", JO | JN, "null", MATH},
    {"partial_rotary_factor", JF, "0.5", MATH},
    {"qk_layernorm", JB, "false", MATH},
    {"bos_token_id", JI | JN, "1", TOKEN},
    {"eos_token_id", EOS_TYPES, "2", TOKEN},
};

/* models/gpt2/configuration_gpt2.py */
static const mn_config_field gpt2_fields[] = {
    {"vocab_size", JI, "50257", MATH},
    {"n_positions", JI, "1024", MATH},
    {"n_embd", JI, "768", MATH},
    {"n_layer", JI, "12", MATH},
    {"n_head", JI, "12", MATH},
    /* Kept null by __init__; GPT2Block uses 4 * n_embd then. */
    {"n_inner", JI | JN, "null", MATH},
    {"activation_function", JS, "\"gelu_new\"", MATH},
    {"resid_pdrop", JF, "0.1", TRAIN},
    {"embd_pdrop", JF, "0.1", TRAIN},
    {"attn_pdrop", JF, "0.1", TRAIN},
    {"layer_norm_epsilon", JF, "1e-05", MATH},
    {"initializer_range", JF, "0.02", TRAIN},
    /* summary_*: the GPT2DoubleHeadsModel multiple-choice head. */
    {"summary_type", JS, "\"cls_index\"", MATH},
    {"summary_use_proj", JB, "true", MATH},
    {"summary_activation", JS | JN, "null", MATH},
    {"summary_proj_to_labels", JB, "true", MATH},
    {"summary_first_dropout", JF, "0.1", TRAIN},
    {"scale_attn_weights", JB, "true", MATH},
    {"use_cache", JB, "true", TRAIN},
    {"bos_token_id", JI | JN, "50256", TOKEN},
    {"eos_token_id", EOS_TYPES, "50256", TOKEN},
    {"scale_attn_by_inverse_layer_idx", JB, "false", MATH},
    {"reorder_and_upcast_attn", JB, "false", MATH},
};

static const mn_config_alias gpt2_aliases[] = {
    {"hidden_size", "n_embd"},
    {"max_position_embeddings", "n_positions"},
    {"num_attention_heads", "n_head"},
    {"num_hidden_layers", "n_layer"},
};

/* models/gpt_neox/configuration_gpt_neox.py */
static const mn_config_field gpt_neox_fields[] = {
    {"vocab_size", JI, "50432", MATH},
    {"hidden_size", JI, "6144", MATH},
    {"num_hidden_layers", JI, "44", MATH},
    {"num_attention_heads", JI, "64", MATH},
    {"intermediate_size", JI, "24576", MATH},
    {"hidden_act", JS, "\"gelu\"", MATH},
    {"rotary_pct", JF, "0.25", MATH},
    /* Not a parameter: __init__ always overwrites it with rotary_pct. */
    {"partial_rotary_factor", JF, "=rotary_pct", MATH},
    {"rotary_emb_base", JF, "10000", MATH},
    /* Not a parameter: __init__ always overwrites it with rotary_emb_base. */
    {"rope_theta", JF, "=rotary_emb_base", MATH},
    {"attention_dropout", JF, "0.0", TRAIN},
    {"hidden_dropout", JF, "0.0", TRAIN},
    {"classifier_dropout", JF | JN, "0.1", TRAIN},
    {"max_position_embeddings", JI, "2048", MATH},
    {"initializer_range", JF, "0.02", TRAIN},
    {"layer_norm_eps", JF, "1e-05", MATH},
    {"use_cache", JB, "true", TRAIN},
    {"bos_token_id", JI | JN, "0", TOKEN},
    {"eos_token_id", EOS_TYPES, "2", TOKEN},
    {"tie_word_embeddings", JB, "false", MATH},
    {"use_parallel_residual", JB, "true", MATH},
    {"rope_scaling", JO | JN, "null", MATH},
    {"attention_bias", JB, "true", MATH},
};

/* models/opt/configuration_opt.py */
static const mn_config_field opt_fields[] = {
    {"vocab_size", JI, "50272", MATH},
    {"hidden_size", JI, "768", MATH},
    {"num_hidden_layers", JI, "12", MATH},
    {"ffn_dim", JI, "3072", MATH},
    {"max_position_embeddings", JI, "2048", MATH},
    {"do_layer_norm_before", JB, "true", MATH},
    {"_remove_final_layer_norm", JB, "false", MATH},
    {"word_embed_proj_dim", JI | JN, "=hidden_size", MATH},
    {"dropout", JF, "0.1", TRAIN},
    {"attention_dropout", JF, "0.0", TRAIN},
    {"num_attention_heads", JI, "12", MATH},
    {"activation_function", JS, "\"relu\"", MATH},
    {"layerdrop", JF, "0.0", TRAIN},
    {"init_std", JF, "0.02", TRAIN},
    {"use_cache", JB, "true", TRAIN},
    {"pad_token_id", JI | JN, "1", TOKEN},
    {"bos_token_id", JI | JN, "2", TOKEN},
    {"eos_token_id", EOS_TYPES, "2", TOKEN},
    {"enable_bias", JB, "true", MATH},
    {"layer_norm_elementwise_affine", JB, "true", MATH},
};

/* models/bert/configuration_bert.py */
static const mn_config_field bert_fields[] = {
    {"vocab_size", JI, "30522", MATH},
    {"hidden_size", JI, "768", MATH},
    {"num_hidden_layers", JI, "12", MATH},
    {"num_attention_heads", JI, "12", MATH},
    {"intermediate_size", JI, "3072", MATH},
    {"hidden_act", JS, "\"gelu\"", MATH},
    {"hidden_dropout_prob", JF, "0.1", TRAIN},
    {"attention_probs_dropout_prob", JF, "0.1", TRAIN},
    {"max_position_embeddings", JI, "512", MATH},
    {"type_vocab_size", JI, "2", MATH},
    {"initializer_range", JF, "0.02", TRAIN},
    {"layer_norm_eps", JF, "1e-12", MATH},
    {"pad_token_id", JI | JN, "0", TOKEN},
    {"position_embedding_type", JS, "\"absolute\"", MATH},
    {"use_cache", JB, "true", TRAIN},
    {"classifier_dropout", JF | JN, "null", TRAIN},
};

#define CLASS(type, name, fields) {type, name, fields, N(fields), NULL, 0}

static const mn_config_class llama_class = CLASS("llama", "LlamaConfig", llama_fields);
static const mn_config_class mistral_class =
    CLASS("mistral", "MistralConfig", mistral_fields);
static const mn_config_class qwen2_class = CLASS("qwen2", "Qwen2Config", qwen2_fields);
static const mn_config_class phi3_class = CLASS("phi3", "Phi3Config", phi3_fields);
static const mn_config_class gemma_class = CLASS("gemma", "GemmaConfig", gemma_fields);
static const mn_config_class gemma2_class = CLASS("gemma2", "Gemma2Config", gemma2_fields);
static const mn_config_class mixtral_class =
    CLASS("mixtral", "MixtralConfig", mixtral_fields);
static const mn_config_class qwen2_moe_class =
    CLASS("qwen2_moe", "Qwen2MoeConfig", qwen2_moe_fields);
static const mn_config_class phi_class = CLASS("phi", "PhiConfig", phi_fields);
static const mn_config_class gpt2_class = {
    "gpt2", "GPT2Config", gpt2_fields, N(gpt2_fields), gpt2_aliases, N(gpt2_aliases),
};
static const mn_config_class gpt_neox_class =
    CLASS("gpt_neox", "GPTNeoXConfig", gpt_neox_fields);
static const mn_config_class opt_class = CLASS("opt", "OPTConfig", opt_fields);
static const mn_config_class bert_class = CLASS("bert", "BertConfig", bert_fields);

static const mn_config_class *const classes[] = {
    &llama_class, &mistral_class, &qwen2_class, &phi3_class, &gemma_class,
    &gemma2_class, &mixtral_class, &qwen2_moe_class, &phi_class, &gpt2_class,
    &gpt_neox_class, &opt_class, &bert_class,
};

const mn_config_class *mn_config_base_class(void)
{
    return &base_class;
}

const mn_config_class *mn_config_class_find(const char *model_type)
{
    int i;

    if (!model_type)
        return NULL;
    for (i = 0; i < N(classes); i++)
        if (strcmp(classes[i]->model_type, model_type) == 0)
            return classes[i];
    return NULL;
}

const mn_config_class *const *mn_config_classes(int *n)
{
    if (n)
        *n = N(classes);
    return classes;
}
