/*
 * The sequences of one generate() call, each with its own KV cache (a
 * batch of one per forward). A row's cache may lag behind its ids (after
 * beam search gave it another beam's history): the next forward runs what
 * the cache lacks, so every row's logits are those of its whole sequence.
 */
#include "generate/generate.h"

#include <string.h>

mnlp_status mn_gen_rows_init(mn_gen_rows *r, const mnlp_lm *lm, int64_t n_rows, int64_t cap,
                             const int64_t *prompt, int64_t n_prompt)
{
    int64_t vocab = mnlp_lm_vocab_size(lm);
    mnlp_status st = MNLP_OK;

    memset(r, 0, sizeof *r);
    r->lm = lm;
    r->n_rows = n_rows;
    r->cap = cap;
    r->cur_len = r->prompt_len = n_prompt;
    r->ids = mn_calloc((size_t)(n_rows * cap), sizeof *r->ids);
    r->cache = mn_calloc((size_t)n_rows, sizeof *r->cache);
    r->cached = mn_calloc((size_t)n_rows, sizeof *r->cached);
    r->logits = mn_calloc((size_t)(n_rows * vocab), sizeof *r->logits);
    if (!r->ids || !r->cache || !r->cached || !r->logits) {
        mn_gen_rows_free(r);
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    }
    for (int64_t i = 0; i < n_rows && !st; i++) {
        memcpy(r->ids + i * cap, prompt, sizeof *prompt * (size_t)n_prompt);
        st = mnlp_kv_cache_create(lm, cap, &r->cache[i]);
    }
    if (st)
        mn_gen_rows_free(r);
    return st;
}

void mn_gen_rows_free(mn_gen_rows *r)
{
    for (int64_t i = 0; r->cache && i < r->n_rows; i++)
        mnlp_kv_cache_free(r->cache[i]);
    mn_free(r->ids);
    mn_free(r->cache);
    mn_free(r->cached);
    mn_free(r->logits);
    memset(r, 0, sizeof *r);
}

/* Bring row i's cache up to cur_len in the calls that built the cache it
 * stands for: the prompt in one call, then one id per call. Forwards are
 * deterministic, so the cache and the logits are bit for bit those of a
 * copied cache (a rebuilt cache in one call would differ: the float sums
 * run in another order, and dynamic rope bases depend on each call). */
static mnlp_status catch_up(mn_gen_rows *r, int64_t i, float *logits)
{
    int64_t *ids = r->ids + i * r->cap;
    mnlp_status st;

    if (mnlp_kv_cache_length(r->cache[i]) != r->cached[i]) {
        mnlp_kv_cache_reset(r->cache[i]);
        r->cached[i] = 0;
    }
    while (r->cached[i] < r->cur_len) {
        int64_t n = r->cached[i] == 0 ? r->prompt_len : 1;
        mnlp_lm_inputs in = {.input_ids = ids + r->cached[i], .batch_size = 1, .seq_len = n,
                             .past_key_values = r->cache[i], .last_logits_only = true};

        if ((st = mnlp_lm_forward(r->lm, &in, &(mnlp_lm_outputs){.logits = logits})))
            return st;
        r->cached[i] += n;
    }
    return MNLP_OK;
}

/*
 * Each row runs as a batch of one over its own cache. Beams could share one
 * batched forward, but a beam that takes over another beam's history needs
 * that beam's cache: without a cache copy or reorder in models/, the row
 * catches up by recomputing the tokens its cache lacks (see above).
 */
mnlp_status mn_gen_rows_forward(mn_gen_rows *r, const bool *active)
{
    int64_t vocab = mnlp_lm_vocab_size(r->lm);
    mnlp_status st;

    for (int64_t i = 0; i < r->n_rows; i++)
        if ((!active || active[i]) && (st = catch_up(r, i, r->logits + i * vocab)))
            return st;
    return MNLP_OK;
}
