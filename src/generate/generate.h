/*
 * The generate layer inside: the resolved generation config, the logits
 * processors and warpers, the sampler and beam search. Every function works
 * on one row of scores (one sequence or one beam), so that a batched
 * forward can later hand it rows of a batch without changing them.
 */
#ifndef MN_GENERATE_H
#define MN_GENERATE_H

#include "base/base.h"

#include "mnlp/lm.h"
#include "mnlp/tokenizer.h"

#define MN_GEN_MAX_EOS 64

/* GenerationConfig after generate()'s own preparation: lengths made
 * absolute (_prepare_generated_length), eos as a list, pad defaulted. */
typedef struct mn_gen_config {
    int64_t prompt_len, max_length, min_length, min_new_tokens; /* -1: None */
    bool do_sample;
    int64_t num_beams, num_return_sequences;
    double temperature, top_p, min_p, typical_p; /* min_p: -1 for None */
    int64_t top_k;
    double repetition_penalty;
    int64_t no_repeat_ngram_size;
    /* bad_words_ids without the sequences equal to one eos id, flattened:
     * sequence i is bad_words[bad_start[i] .. bad_start[i + 1]). */
    int64_t *bad_words, *bad_start, n_bad_words;
    int64_t forced_bos_token_id;                 /* -1: None */
    int64_t forced_eos[MN_GEN_MAX_EOS], n_forced_eos;
    int64_t eos[MN_GEN_MAX_EOS], n_eos;
    int64_t pad_token_id;                        /* -1: None */
    double length_penalty;
    mnlp_early_stopping early_stopping;
    uint64_t seed;
    int64_t vocab_size;
} mn_gen_config;

/* Resolve params against the model's defaults for a prompt of n_input ids;
 * errors name the field. Free with mn_gen_config_free. */
mnlp_status mn_gen_config_resolve(const mnlp_lm *lm, const mnlp_generate_params *params,
                                  int64_t n_input, mn_gen_config *out);
void mn_gen_config_free(mn_gen_config *g);

/* Working memory of the processors for one row of vocab_size scores. */
typedef struct mn_logits_work {
    struct mn_scored *sorted;  /* [vocab] */
    float *probs;              /* [vocab] */
} mn_logits_work;

mnlp_status mn_logits_work_init(mn_logits_work *w, int64_t vocab_size);
void mn_logits_work_free(mn_logits_work *w);

/*
 * _get_logits_processor's list applied in place to scores[vocab] of the
 * sequence ids[0..cur_len) (the prompt included): the processors, then,
 * with do_sample, the warpers. min_tokens_to_keep follows num_beams.
 */
void mn_logits_process(const mn_gen_config *g, const int64_t *ids, int64_t cur_len,
                       float *scores, mn_logits_work *w);

/* The warpers alone, for tests and callers with their own processors. */
void mn_top_k(float *scores, int64_t n, int64_t top_k, int64_t min_keep, mn_logits_work *w);
void mn_top_p(float *scores, int64_t n, double top_p, int64_t min_keep, mn_logits_work *w);
void mn_min_p(float *scores, int64_t n, double min_p, int64_t min_keep, mn_logits_work *w);
void mn_typical_p(float *scores, int64_t n, double mass, int64_t min_keep, mn_logits_work *w);

/* softmax and log_softmax over n scores (-inf gives 0 and -inf). */
void mn_softmax(const float *x, int64_t n, float *out);
void mn_log_softmax(const float *x, int64_t n, float *out);

/* xoshiro256**, seeded through splitmix64: mnlp's own generator, the same
 * stream on every platform. */
typedef struct mn_rng {
    uint64_t s[4];
} mn_rng;

void mn_rng_seed(mn_rng *rng, uint64_t seed);
uint64_t mn_rng_next(mn_rng *rng);
double mn_rng_uniform(mn_rng *rng); /* [0, 1) with 53 random bits */

/* torch.multinomial(softmax(scores), 1): one index drawn from the softmax
 * of scores[n]; probs[n] is working memory. */
int64_t mn_sample(const float *scores, int64_t n, float *probs, mn_rng *rng);

/* torch.multinomial(probs, k) without replacement: k distinct indices of
 * probs[n] (weights, not necessarily normalised; consumed). */
void mn_sample_k(float *probs, int64_t n, int64_t k, int64_t *out, mn_rng *rng);

/* The rows of a generation with their own caches (batch 1 each), the
 * prompt already copied into every row. */
typedef struct mn_gen_rows {
    const mnlp_lm *lm;
    int64_t n_rows, cap;         /* cap: ids per row (max_length) */
    int64_t *ids;                /* [n_rows, cap] */
    int64_t prompt_len, cur_len;
    mnlp_kv_cache **cache;       /* [n_rows] */
    int64_t *cached;             /* [n_rows]: ids of the row its cache holds */
    float *logits;               /* [n_rows, vocab] */
} mn_gen_rows;

mnlp_status mn_gen_rows_init(mn_gen_rows *r, const mnlp_lm *lm, int64_t n_rows, int64_t cap,
                             const int64_t *prompt, int64_t n_prompt);
void mn_gen_rows_free(mn_gen_rows *r);

/* The next-token logits of every row whose active[i] is set (all when
 * active is NULL) into r->logits, running what each cache lacks. */
mnlp_status mn_gen_rows_forward(mn_gen_rows *r, const bool *active);

/* StopStringCriteria over the text of the last tokens (stop_strings.c). */
typedef struct mn_stop_strings mn_stop_strings;

mnlp_status mn_stop_strings_new(const mnlp_tokenizer *tok, const char *const *stops,
                                int64_t n_stops, int64_t vocab, mn_stop_strings **out);
void mn_stop_strings_free(mn_stop_strings *s);
/* Whether ids[0..len) (the prompt included) ends a stop string in its last token. */
bool mn_stop_strings_hit(mn_stop_strings *s, const int64_t *ids, int64_t len);

/* Whether id is one of the config's eos ids. */
static inline bool mn_gen_is_eos(const mn_gen_config *g, int64_t id)
{
    for (int64_t i = 0; i < g->n_eos; i++)
        if (g->eos[i] == id)
            return true;
    return false;
}

/* _beam_search with BeamSearchScorer (beam sampling with do_sample). */
mnlp_status mn_beam_search(const mn_gen_config *g, mn_gen_rows *r, mn_logits_work *w,
                           float *scores_out, int64_t *n_scores, mnlp_generate_output *out);

#endif
