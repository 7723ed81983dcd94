/*
 * What a causal LM architecture provides to the shared loading, caching
 * and forward code (lm.c): its sizes, and a forward over one chunk of
 * positions whose working memory the caller owns.
 */
#ifndef MN_LM_H
#define MN_LM_H

#include "models/arch.h"
#include "nn/nn.h"

#define MN_LM_MAX_SCRATCH 12

/* The sizes the caller needs to allocate caches and working memory. */
typedef struct mn_lm_dims {
    int64_t vocab_size, hidden_size, num_hidden_layers;
    int64_t kv_width;                        /* key (and value) cache columns per layer */
    int64_t rope_dim;                        /* columns of the cos and sin tables */
    int n_scratch;                           /* working tensors [T, scratch_cols[i]] */
    int64_t scratch_cols[MN_LM_MAX_SCRATCH];
    /* Keys at most this many cache positions behind a query are visible in
     * sliding layers (mn_lm_chunk.sliding_mask); 0: no sliding window. */
    int64_t sliding_window;
} mn_lm_dims;

/* One forward call over positions [past, past + n) of one sequence (one
 * row of a batch: lm.c runs the rows one after another). */
typedef struct mn_lm_chunk {
    int64_t n, past;
    const int64_t *position_ids;             /* [n], host */
    int64_t rope_seq_len;                    /* the whole batch's largest position + 1 */
    const mn_tensor *input_ids;              /* I64 [n] */
    mn_tensor *const *key_cache;             /* per layer [max_length, kv_width] */
    mn_tensor *const *value_cache;
    mn_tensor *const *scratch;               /* per dims.scratch_cols, [n, cols] */
    mn_tensor *cos, *sin;                    /* [n, rope_dim] */
    float *host_cos, *host_sin, *host_freq;  /* [n * rope_dim] twice, [rope_dim / 2] */
    mn_tensor *logits;                       /* [n, vocab], or [1, vocab]: last only */
    float *hidden_states;                    /* NULL, or host [layers + 1, n, hidden] */
    /* Additive masks [n, past + n] on top of the causal rule, -inf where a
     * key is hidden, or NULL when nothing is: mask hides padding
     * (attention_mask 0), sliding_mask also keys dims.sliding_window or
     * more positions behind the query. */
    const mn_tensor *mask, *sliding_mask;
} mn_lm_chunk;

typedef struct mn_lm_ops mn_lm_ops;

struct mn_lm_ops {
    /* Build the model from a validated config and checkpoint; weights stay
     * in the checkpoint's mapping where their dtype allows. */
    mnlp_status (*load)(const mnlp_config *config, const mnlp_checkpoint *ckpt, void **model,
                        mn_lm_dims *dims);
    void (*free)(void *model);
    mnlp_status (*forward)(const void *model, const mn_lm_chunk *chunk);
    /* forward applies chunk->mask; without it, inputs with padding are
     * refused rather than run unmasked. */
    bool attention_mask;
};

struct mnlp_lm;

/* The model's generation_config.json object, or NULL without one. */
const mn_json *mn_lm_generation_config(const struct mnlp_lm *lm);

/* Weights looked up by name and kept for the model's lifetime. */
typedef struct mn_weights {
    const mnlp_checkpoint *ckpt;
    mn_tensor **items;
    int n, cap;
} mn_weights;

/*
 * The checkpoint tensor named by fmt, as a tensor over the mapping, or
 * converted to an owned F32 copy when f32 is set (norm weights and biases,
 * which the ops take in F32) or when the mapping is misaligned for its
 * dtype. MNLP_ERR_NOT_FOUND names a missing tensor.
 */
mnlp_status mn_weight(mn_weights *w, bool f32, const mn_tensor **out, const char *fmt, ...)
    MN_PRINTF(4, 5);
void mn_weights_free(mn_weights *w);

#endif
