/*
 * Causal language models (LlamaForCausalLM, ...): load one from a folder or
 * the hub cache, run its forward on token ids, and generate greedily.
 *
 * A model is read-only once loaded and may be shared by threads. A
 * mnlp_kv_cache (transformers' past_key_values) holds the keys and values
 * of a batch of sequences and the working memory of a forward call: give
 * each thread its own.
 */
#ifndef MNLP_LM_H
#define MNLP_LM_H

#include "mnlp/io.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mnlp_lm mnlp_lm;
typedef struct mnlp_kv_cache mnlp_kv_cache;

/* ---- Loading ---------------------------------------------------------- */

/*
 * Load the causal LM at model (a folder, or a repo id in the hub cache at
 * revision; NULL means "main"): config.json, the safetensors weights (used
 * in place from the mapping) and generation_config.json when present. The
 * model is validated first; MNLP_ERR_UNSUPPORTED carries the first problem.
 * The caller frees *out with mnlp_lm_free.
 */
mnlp_status mnlp_lm_load(const char *model, const char *revision, mnlp_lm **out);
void mnlp_lm_free(mnlp_lm *lm);

/* Sizes from config.json. */
int64_t mnlp_lm_vocab_size(const mnlp_lm *lm);
int64_t mnlp_lm_hidden_size(const mnlp_lm *lm);
int64_t mnlp_lm_num_hidden_layers(const mnlp_lm *lm);

/* The config the model was built from, owned by lm. */
const mnlp_config *mnlp_lm_config(const mnlp_lm *lm);

/* ---- past_key_values --------------------------------------------------- */

/*
 * A cache for one sequence of up to max_length positions. Its memory is
 * allocated here, so that decoding allocates nothing. The caller frees *out
 * with mnlp_kv_cache_free; it must not outlive lm.
 */
mnlp_status mnlp_kv_cache_create(const mnlp_lm *lm, int64_t max_length, mnlp_kv_cache **out);

/*
 * A cache for batch_size sequences of up to max_length positions each, all
 * of one length (a padded batch, as transformers' caches hold it). Forward
 * calls over it must pass that batch_size. Freed with mnlp_kv_cache_free.
 */
mnlp_status mnlp_kv_cache_create_batch(const mnlp_lm *lm, int64_t batch_size,
                                       int64_t max_length, mnlp_kv_cache **out);
void mnlp_kv_cache_free(mnlp_kv_cache *cache);

/* Positions held per row (the past length), and forgetting them all. */
int64_t mnlp_kv_cache_length(const mnlp_kv_cache *cache);
int64_t mnlp_kv_cache_batch_size(const mnlp_kv_cache *cache);
void mnlp_kv_cache_reset(mnlp_kv_cache *cache);

/* ---- Forward ------------------------------------------------------------ */

typedef struct mnlp_lm_inputs {
    const int64_t *input_ids;       /* [batch_size, seq_len] */
    int64_t batch_size;
    int64_t seq_len;
    /* [batch_size, past + seq_len] of 0/1, or NULL for all ones: keys at 0
     * (left padding) are hidden from every query. */
    const int64_t *attention_mask;
    /* [batch_size, seq_len], or NULL: derived from attention_mask as
     * generate() derives them (cumsum - 1, and 1 at padding), which without
     * padding is past, past + 1, ... */
    const int64_t *position_ids;
    /* NULL runs without a cache (use_cache=False); otherwise the new
     * positions are appended to it, whose batch_size must match. */
    mnlp_kv_cache *past_key_values;
    /* Compute logits for the last position only (num_logits_to_keep=1). */
    bool last_logits_only;
} mnlp_lm_inputs;

typedef struct mnlp_lm_outputs {
    /* Required: [batch_size, seq_len (1 with last_logits_only), vocab]. */
    float *logits;
    /* Optional (output_hidden_states): [num_hidden_layers + 1, batch_size,
     * seq_len, hidden_size]: the embeddings, each layer's output, the last
     * one after the final norm, as transformers returns them. */
    float *hidden_states;
} mnlp_lm_outputs;

/*
 * The model's forward (LlamaForCausalLM.forward, ...) in float32 on the
 * caller's buffers. Errors name the argument (an id outside the
 * vocabulary, a full cache, the batch row). On failure the cache keeps its
 * previous length.
 */
mnlp_status mnlp_lm_forward(const mnlp_lm *lm, const mnlp_lm_inputs *inputs,
                            mnlp_lm_outputs *outputs);

/* ---- Generation ----------------------------------------------------------- */

typedef struct mnlp_generate_params {
    /* New tokens at most; -1: generation_config.json's max_new_tokens, else
     * its max_length (default 20) minus the prompt length. */
    int64_t max_new_tokens;
    /* Stop after any of these ids; n_eos_token_id -1 takes eos_token_id from
     * generation_config.json, else config.json; 0 means never stop early. */
    const int64_t *eos_token_id;
    int n_eos_token_id;
    /* Greedy only for now: do_sample must be false. */
    bool do_sample;
} mnlp_generate_params;

mnlp_generate_params mnlp_generate_default_params(void);

/*
 * Greedy decoding of one sequence as transformers' generate does it:
 * output_ids (capacity n_input + max_new_tokens) receives the prompt then
 * the new tokens; *n_output is their count.
 */
mnlp_status mnlp_generate(const mnlp_lm *lm, const int64_t *input_ids, int64_t n_input,
                          const mnlp_generate_params *params, int64_t *output_ids,
                          int64_t *n_output);

/*
 * Greedy decoding of a left-padded batch: input_ids and attention_mask
 * (NULL: all ones) are [batch_size, n_input]. Rows that reached an eos
 * continue with pad_token_id (-1: generation_config.json's, else
 * config.json's, else the first eos id, as transformers falls back) until
 * every row is done or max_new_tokens. output_ids (capacity batch_size *
 * (n_input + max_new_tokens)) receives [batch_size, *n_output] rows, each
 * the prompt with its padding, then the new tokens.
 */
mnlp_status mnlp_generate_batch(const mnlp_lm *lm, const int64_t *input_ids,
                                const int64_t *attention_mask, int64_t batch_size,
                                int64_t n_input, int64_t pad_token_id,
                                const mnlp_generate_params *params, int64_t *output_ids,
                                int64_t *n_output);

#ifdef __cplusplus
}
#endif

#endif
