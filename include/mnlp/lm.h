/*
 * Causal language models (LlamaForCausalLM, ...): load one from a folder or
 * the hub cache, run its forward on token ids, and generate as transformers
 * does.
 *
 * A model is read-only once loaded and may be shared by threads. A
 * mnlp_kv_cache (transformers' past_key_values) holds the keys and values
 * of a batch of sequences and the working memory of a forward call: give
 * each thread its own.
 */
#ifndef MNLP_LM_H
#define MNLP_LM_H

#include "mnlp/io.h"

#include <math.h>

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

/*
 * A field left "not set" takes the model's default as transformers'
 * generate() does: generation_config.json when the folder has one (fields
 * it lacks take GenerationConfig's defaults), else config.json. Integer
 * fields use MNLP_UNSET, floating fields MNLP_UNSET_FLOAT (NaN), and
 * MNLP_NONE (-1) is Python's None where None means something.
 */
#define MNLP_UNSET INT64_MIN
#define MNLP_UNSET_FLOAT NAN
#define MNLP_NONE (-1)

/* BeamSearchScorer's do_early_stopping: True, False or "never". */
typedef enum mnlp_early_stopping {
    MNLP_EARLY_STOPPING_UNSET = -1,
    MNLP_EARLY_STOPPING_FALSE = 0,
    MNLP_EARLY_STOPPING_TRUE = 1,
    MNLP_EARLY_STOPPING_NEVER = 2,
} mnlp_early_stopping;

/* Called with each new token id (batch 1, one sequence, no beams); a
 * nonzero return stops generation after that token. */
typedef int (*mnlp_token_callback)(int64_t token_id, void *user_data);

/* GenerationConfig's fields, under their names. */
typedef struct mnlp_generate_params {
    /* Length: max_new_tokens wins over max_length (which counts the
     * prompt); min_new_tokens over min_length. MNLP_NONE unsets the new-token
     * forms. Without either maximum, 20 new tokens (at most
     * max_position_embeddings in all). */
    int64_t max_new_tokens, max_length, min_new_tokens, min_length;
    /* Strategy: -1 (not set), 0 or 1; beams; sequences returned. */
    int do_sample;
    int64_t num_beams, num_return_sequences;
    /* Warpers (do_sample only): top_k 0 disables it, top_p and typical_p
     * 1.0, min_p 0 or MNLP_NONE. */
    double temperature, top_p, min_p, typical_p;
    int64_t top_k;
    /* Logits processors. */
    double repetition_penalty;
    int64_t no_repeat_ngram_size;
    /* n_bad_words_ids sequences, bad_words_ids[i] of bad_words_ids_lengths[i]
     * ids; n_bad_words_ids -1 is not set, 0 None. */
    const int64_t *const *bad_words_ids;
    const int64_t *bad_words_ids_lengths;
    int64_t n_bad_words_ids;
    int64_t forced_bos_token_id;            /* MNLP_NONE: none */
    /* Ids (an int is a list of one); n -1 is not set, 0 None. */
    const int64_t *forced_eos_token_id;
    int64_t n_forced_eos_token_id;
    const int64_t *eos_token_id;
    int64_t n_eos_token_id;
    int64_t pad_token_id;                   /* MNLP_NONE: eos_token_id[0] */
    /* Beam search. */
    double length_penalty;
    mnlp_early_stopping early_stopping;
    /* Sampling draws from mnlp's own generator: a seed gives the same
     * tokens on every run; MNLP_UNSET seeds from the clock. */
    int64_t seed;
    /* Keep the processed scores of every step (output_scores). */
    bool output_scores;
    mnlp_token_callback streamer;
    void *streamer_data;
    /* stop_strings: a sequence ends once one of these appears, ending in
     * its last token, in the text of its tokens (transformers' StopStringCriteria,
     * which needs the model's tokenizer). Not with beams. */
    const char *const *stop_strings;
    int64_t n_stop_strings;
    const struct mnlp_tokenizer *tokenizer;
} mnlp_generate_params;

/* Every field not set, no streamer, output_scores false. */
mnlp_generate_params mnlp_generate_default_params(void);

/* What generate(..., return_dict_in_generate=True) returns. */
typedef struct mnlp_generate_output {
    /* [num_sequences, length]: the prompt then the new tokens; a sequence
     * that ended early continues with pad_token_id (beam search: eos, then
     * pad), as transformers pads them. */
    int64_t *sequences;
    int64_t num_sequences, length;
    /* Beam search: each sequence's length-penalised log-probability
     * (sequences_scores); NULL otherwise. */
    float *sequences_scores;
    /* output_scores: [n_scores, score_rows, vocab_size], the processed
     * scores of each step (rows: the sequences, or the beams); else NULL.
     * A sequence that has ended keeps repeating its last scores. */
    float *scores;
    int64_t n_scores, score_rows;
} mnlp_generate_output;

/*
 * generate() for one prompt (batch 1): greedy search, sampling, beam search
 * or beam sampling as the parameters select, with transformers' logits
 * processors and warpers in its order. The caller frees *out's arrays with
 * mnlp_generate_output_free. Invalid parameters fail with the field's name.
 */
mnlp_status mnlp_generate_sequences(const mnlp_lm *lm, const int64_t *input_ids,
                                    int64_t n_input, const mnlp_generate_params *params,
                                    mnlp_generate_output *out);
void mnlp_generate_output_free(mnlp_generate_output *out);

/*
 * The first sequence of mnlp_generate_sequences: output_ids (capacity
 * max_length: the prompt plus max_new_tokens) receives the prompt then the
 * new tokens; *n_output is their count.
 */
mnlp_status mnlp_generate(const mnlp_lm *lm, const int64_t *input_ids, int64_t n_input,
                          const mnlp_generate_params *params, int64_t *output_ids,
                          int64_t *n_output);

/*
 * Greedy decoding of a left-padded batch: input_ids and attention_mask
 * (NULL: all ones) are [batch_size, n_input]. Rows that reached an eos
 * continue with pad_token_id (-1: generation_config.json's, else
 * config.json's, else the first eos id, as transformers falls back) until
 * every row is done or the length limit. out->sequences is [batch_size,
 * length]: each row the prompt with its padding, then the new tokens. Free
 * with mnlp_generate_output_free.
 */
mnlp_status mnlp_generate_batch(const mnlp_lm *lm, const int64_t *input_ids,
                                const int64_t *attention_mask, int64_t batch_size,
                                int64_t n_input, int64_t pad_token_id,
                                const mnlp_generate_params *params, mnlp_generate_output *out);

#ifdef __cplusplus
}
#endif

#endif
