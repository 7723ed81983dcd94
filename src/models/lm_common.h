/*
 * What the decoder-only architecture files (gpt2.c, gpt_neox.c, opt.c,
 * phi.c, mixtral.c, qwen2_moe.c) share beyond the nn blocks (lm_common.c): the config
 * checks they all make and the bookkeeping of a forward call.
 */
#ifndef MN_LM_COMMON_H
#define MN_LM_COMMON_H

#include "models/lm.h"

/* Sizes beyond these are not a real model but a hostile or broken config. */
#define MN_MAX_DIM (1 << 24)
#define MN_MAX_LAYERS 1024

/* v in [1, max], else a problem naming the field; returns whether it is. */
bool mn_cfg_in_range(const mnlp_config *c, const char *field, int64_t v, int64_t max,
                     mn_problems *p);

/* rope_scaling's type is one mn_rope_init computes, with its required keys. */
void mn_check_rope_scaling(const mnlp_config *c, mn_problems *p);

/* The string field names an activation mn_activation_parse knows. */
void mn_check_activation(const mnlp_config *c, const char *field, mn_problems *p);

/* A problem when a bool field is not the value mnlp implements. */
void mn_check_bool(const mnlp_config *c, const char *field, bool supported, mn_problems *p);

/* A linear layer "<name>.weight" (+ "<name>.bias" when bias), name printf-formatted. */
mnlp_status mn_load_linear(mn_weights *w, mn_linear *l, bool bias, const char *fmt, ...)
    MN_PRINTF(4, 5);

/* A norm "<name>.weight" and "<name>.bias", both widened to F32. */
mnlp_status mn_load_layer_norm(mn_weights *w, mn_layer_norm *n, float eps, const char *fmt,
                               ...) MN_PRINTF(4, 5);

/* x[n, cols] into slot i of the chunk's hidden_states ([layers + 1, n, hidden]);
 * a narrower last state (OPT's project_out) fills the start of its slot. */
mnlp_status mn_lm_keep_hidden(const mn_lm_chunk *c, const mn_tensor *x, int64_t hidden,
                              int64_t i);

/* The chunk's cos and sin tables for its positions. */
mnlp_status mn_lm_rope_tables(const mn_rope *rope, const mn_lm_chunk *c);

/* logits of the chunk from the last rows of x[n, hidden] through head. */
mnlp_status mn_lm_logits(const mn_lm_chunk *c, const mn_tensor *x, const mn_linear *head);

#endif
