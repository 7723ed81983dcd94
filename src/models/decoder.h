/*
 * The Llama-shaped decoder that Llama, Mistral, Qwen2, Phi-3, Gemma and
 * Gemma 2 share: embedding, pre-norm attention with rotary positions and a gated
 * MLP per layer, a final norm and the head. What differs between them is
 * data (mn_decoder_opts); each architecture file fills it, checks its
 * config and declares its tensor names through this file.
 */
#ifndef MN_DECODER_H
#define MN_DECODER_H

#include "models/lm.h"

typedef struct mn_decoder_opts {
    bool qkv_bias;            /* q/k/v_proj biases (Qwen2), or attention_bias when read */
    bool read_biases;         /* read attention_bias from the config (Llama, Gemma) */
    bool read_mlp_bias;       /* read mlp_bias: biases on the MLP projections (Llama) */
    bool fused_qkv;           /* one qkv_proj, rows q | k | v (Phi-3) */
    bool fused_gate_up;       /* one gate_up_proj, rows gate | up (Phi-3) */
    bool norm_plus_one;       /* RMSNorm scales by (1 + weight) (Gemma) */
    bool embed_scale;         /* embeddings times sqrt(hidden_size) (Gemma) */
    bool sandwich_norms;      /* post-attention, pre- and post-feedforward norms (Gemma 2) */
    bool sliding_even_layers; /* the window applies to even layers only (Gemma 2) */
    bool has_head_dim;        /* the config class has head_dim */
    bool phi3_rope;           /* Phi-3's rotary classes: longrope chosen per call */
    const char *act_field;    /* "hidden_act" or "hidden_activation" */
    const char *sliding_field;/* config field of the window, or NULL */
    bool softcaps;            /* attn_logit_softcapping, final_logit_softcapping */
    bool query_pre_attn_scalar;
} mn_decoder_opts;

/* Record the config values these options cannot run (activation, head
 * counts, rope_scaling as the class reads it). */
void mn_decoder_check_config(const mnlp_config *c, const mn_decoder_opts *o, mn_problems *p);

/* Declare every tensor of the checkpoint, as the options name them. */
bool mn_decoder_declare(const mnlp_config *c, const mn_decoder_opts *o, mn_decls *d,
                        mn_problems *p);

mnlp_status mn_decoder_load(const mnlp_config *c, const mnlp_checkpoint *ckpt,
                            const mn_decoder_opts *o, void **model, mn_lm_dims *dims);
void mn_decoder_free(void *model);
mnlp_status mn_decoder_forward(const void *model, const mn_lm_chunk *chunk);

#endif
