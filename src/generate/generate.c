/*
 * generate() for one prompt: the generation config resolved once, then
 * greedy search or sampling (_sample: num_return_sequences rows, each
 * stopping at an eos and padded after it) or beam search. Every buffer is
 * allocated before the first forward, so a step allocates nothing.
 */
#include "generate/generate.h"

#include "mnlp/lm.h"

#include <string.h>

mnlp_generate_params mnlp_generate_default_params(void)
{
    return (mnlp_generate_params){
        .max_new_tokens = MNLP_UNSET, .max_length = MNLP_UNSET,
        .min_new_tokens = MNLP_UNSET, .min_length = MNLP_UNSET,
        .do_sample = -1, .num_beams = MNLP_UNSET, .num_return_sequences = MNLP_UNSET,
        .temperature = MNLP_UNSET_FLOAT, .top_p = MNLP_UNSET_FLOAT,
        .min_p = MNLP_UNSET_FLOAT, .typical_p = MNLP_UNSET_FLOAT, .top_k = MNLP_UNSET,
        .repetition_penalty = MNLP_UNSET_FLOAT, .no_repeat_ngram_size = MNLP_UNSET,
        .n_bad_words_ids = -1, .forced_bos_token_id = MNLP_UNSET,
        .n_forced_eos_token_id = -1, .n_eos_token_id = -1, .pad_token_id = MNLP_UNSET,
        .length_penalty = MNLP_UNSET_FLOAT, .early_stopping = MNLP_EARLY_STOPPING_UNSET,
        .seed = MNLP_UNSET,
    };
}

void mnlp_generate_output_free(mnlp_generate_output *out)
{
    if (!out)
        return;
    mn_free(out->sequences);
    mn_free(out->sequences_scores);
    mn_free(out->scores);
    memset(out, 0, sizeof *out);
}

/* torch.argmax: the first index of the largest value. */
static int64_t argmax(const float *x, int64_t n)
{
    int64_t best = 0;

    for (int64_t i = 1; i < n; i++)
        if (x[i] > x[best])
            best = i;
    return best;
}

/* _sample: each unfinished row gets its next token (argmax, or a draw
 * from the warped scores); a finished row gets pad_token_id. */
static mnlp_status sample_loop(const mn_gen_config *g, const mnlp_generate_params *p,
                               mn_gen_rows *r, mn_logits_work *w, mn_stop_strings *stop,
                               float *scores_out, int64_t *n_scores, bool *unfinished)
{
    int64_t vocab = g->vocab_size, left = r->n_rows;
    mn_rng rng;
    mnlp_status st;

    mn_rng_seed(&rng, g->seed);
    while (left > 0) {
        if ((st = mn_gen_rows_forward(r, unfinished)))
            return st;
        for (int64_t i = 0; i < r->n_rows; i++) {
            float *row = r->logits + i * vocab;
            int64_t *ids = r->ids + i * r->cap, next = g->pad_token_id;

            if (unfinished[i]) {
                mn_logits_process(g, ids, r->cur_len, row, w);
                next = g->do_sample ? mn_sample(row, vocab, w->probs, &rng) : argmax(row, vocab);
            }
            if (scores_out)
                memcpy(scores_out + (*n_scores * r->n_rows + i) * vocab, row,
                       sizeof *row * (size_t)vocab);
            ids[r->cur_len] = next;
            if (unfinished[i] && p->streamer && p->streamer(next, p->streamer_data))
                left = 0;
            if (unfinished[i] && (mn_gen_is_eos(g, next) || r->cur_len + 1 >= g->max_length ||
                                  (stop && mn_stop_strings_hit(stop, ids, r->cur_len + 1)))) {
                unfinished[i] = false;
                left--;
            }
        }
        if (scores_out)
            ++*n_scores;
        r->cur_len++;
    }
    return MNLP_OK;
}

static mnlp_status copy_rows(const mn_gen_rows *r, mnlp_generate_output *out)
{
    out->num_sequences = r->n_rows;
    out->length = r->cur_len;
    out->sequences = mn_calloc((size_t)(r->n_rows * r->cur_len), sizeof *out->sequences);
    if (!out->sequences)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    for (int64_t i = 0; i < r->n_rows; i++)
        memcpy(out->sequences + i * r->cur_len, r->ids + i * r->cap,
               sizeof *r->ids * (size_t)r->cur_len);
    return MNLP_OK;
}

static mnlp_status check_call(const mn_gen_config *g, const mnlp_generate_params *p,
                              const int64_t *input_ids, int64_t n_input)
{
    for (int64_t i = 0; i < n_input; i++)
        if (input_ids[i] < 0 || input_ids[i] >= g->vocab_size)
            return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "input_ids[%lld] = %lld is outside the "
                             "vocabulary of %lld", (long long)i, (long long)input_ids[i],
                             (long long)g->vocab_size);
    if (p->streamer && (g->num_beams > 1 || g->num_return_sequences > 1))
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "streamer: only with one sequence and "
                         "num_beams 1");
    if (p->n_stop_strings > 0 && g->num_beams > 1)
        return mn_errorf(MNLP_ERR_UNSUPPORTED, "stop_strings: not with num_beams > 1 yet");
    return MNLP_OK;
}

mnlp_status mnlp_generate_sequences(const mnlp_lm *lm, const int64_t *input_ids,
                                    int64_t n_input, const mnlp_generate_params *params,
                                    mnlp_generate_output *out)
{
    mn_gen_config g;
    mn_gen_rows rows = {0};
    mn_logits_work w = {0};
    mn_stop_strings *stop = NULL;
    bool *unfinished = NULL;
    int64_t n_rows;
    mnlp_status st;

    memset(out, 0, sizeof *out);
    if (n_input < 1 || !input_ids)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "input_ids is empty");
    if ((st = mn_gen_config_resolve(lm, params, n_input, &g)))
        return st;
    if ((st = check_call(&g, params, input_ids, n_input)))
        goto done;
    if (params && params->n_stop_strings > 0 &&
        (st = mn_stop_strings_new(params->tokenizer, params->stop_strings, params->n_stop_strings,
                                  g.vocab_size, &stop)))
        goto done;
    n_rows = g.num_beams > 1 ? g.num_beams : g.num_return_sequences;
    if ((st = mn_logits_work_init(&w, g.vocab_size)) ||
        (st = mn_gen_rows_init(&rows, lm, n_rows, g.max_length, input_ids, n_input)))
        goto done;
    if (params->output_scores) {
        out->score_rows = n_rows;
        out->scores = mn_calloc((size_t)((g.max_length - n_input) * n_rows * g.vocab_size),
                                sizeof *out->scores);
    }
    unfinished = mn_calloc((size_t)n_rows, sizeof *unfinished);
    if (!unfinished || (params->output_scores && !out->scores)) {
        st = mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
        goto done;
    }
    for (int64_t i = 0; i < n_rows; i++)
        unfinished[i] = true;
    if (g.num_beams > 1)
        st = mn_beam_search(&g, &rows, &w, out->scores, &out->n_scores, out);
    else if (!(st = sample_loop(&g, params, &rows, &w, stop, out->scores, &out->n_scores,
                                unfinished)))
        st = copy_rows(&rows, out);
done:
    if (st)
        mnlp_generate_output_free(out);
    mn_free(unfinished);
    mn_stop_strings_free(stop);
    mn_gen_rows_free(&rows);
    mn_logits_work_free(&w);
    mn_gen_config_free(&g);
    return st;
}

mnlp_status mnlp_generate(const mnlp_lm *lm, const int64_t *input_ids, int64_t n_input,
                          const mnlp_generate_params *params, int64_t *output_ids,
                          int64_t *n_output)
{
    mnlp_generate_output out;
    mnlp_generate_params p = *params;
    mnlp_status st;

    *n_output = 0;
    p.output_scores = false;
    if ((st = mnlp_generate_sequences(lm, input_ids, n_input, &p, &out)))
        return st;
    memcpy(output_ids, out.sequences, sizeof *output_ids * (size_t)out.length);
    *n_output = out.length;
    mnlp_generate_output_free(&out);
    return MNLP_OK;
}

/* ---- A left-padded batch --------------------------------------------------- */

/* The batch state of _sample's greedy loop, rows of stride `cap`. */
typedef struct batch_run {
    const mnlp_lm *lm;
    const mn_gen_config *g;
    int64_t batch, cap, n, pad, *ids, *mask;
    int64_t *step_ids, *step_mask;  /* packed inputs of one call */
    bool *done;
    float *logits;
    mn_logits_work work;
    mn_stop_strings *stop;
    mnlp_kv_cache *cache;
} batch_run;

/* One forward over the new columns [start, n) of every row, then each row's
 * processed argmax appended (pad for finished rows); *more is false when
 * every row is done. The processors see the whole row, padding included,
 * as transformers' do. */
static mnlp_status batch_step(batch_run *r, int64_t start, bool *more)
{
    int64_t len = r->n - start, vocab = mnlp_lm_vocab_size(r->lm);
    int64_t *ids = r->step_ids, *mask = r->step_mask;
    mnlp_status st;

    for (int64_t b = 0; b < r->batch; b++) {
        memcpy(ids + b * len, r->ids + b * r->cap + start, sizeof(int64_t) * (size_t)len);
        memcpy(mask + b * r->n, r->mask + b * r->cap, sizeof(int64_t) * (size_t)r->n);
    }
    st = mnlp_lm_forward(r->lm, &(mnlp_lm_inputs){.input_ids = ids, .batch_size = r->batch,
                                                  .seq_len = len, .attention_mask = mask,
                                                  .past_key_values = r->cache,
                                                  .last_logits_only = true},
                         &(mnlp_lm_outputs){.logits = r->logits});
    *more = false;
    for (int64_t b = 0; !st && b < r->batch; b++) {
        float *row = r->logits + b * vocab;
        int64_t next;

        mn_logits_process(r->g, r->ids + b * r->cap, r->n, row, &r->work);
        next = r->done[b] ? r->pad : argmax(row, vocab);
        r->ids[b * r->cap + r->n] = next;
        r->mask[b * r->cap + r->n] = 1;
        r->done[b] = r->done[b] || mn_gen_is_eos(r->g, next) ||
                     (r->stop && mn_stop_strings_hit(r->stop, r->ids + b * r->cap, r->n + 1));
        *more = *more || !r->done[b];
    }
    if (!st)
        r->n++;
    return st;
}

mnlp_status mnlp_generate_batch(const mnlp_lm *lm, const int64_t *input_ids,
                                const int64_t *attention_mask, int64_t batch_size,
                                int64_t n_input, int64_t pad_token_id,
                                const mnlp_generate_params *params, mnlp_generate_output *out)
{
    mn_gen_config g;
    batch_run r = {.lm = lm, .g = &g, .batch = batch_size, .n = n_input};
    int64_t max_new;
    bool more = true;
    mnlp_status st;

    memset(out, 0, sizeof *out);
    if (n_input < 1 || batch_size < 1)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "input_ids is empty");
    if ((st = mn_gen_config_resolve(lm, params, n_input, &g)) != MNLP_OK)
        return st;
    if (g.do_sample || g.num_beams > 1 || g.num_return_sequences > 1) {
        mn_gen_config_free(&g);
        return mn_errorf(MNLP_ERR_UNSUPPORTED, "a batch of prompts is decoded greedily only "
                                               "(do_sample, num_beams, num_return_sequences)");
    }
    /* _prepare_special_tokens: the caller's pad, the config's, else eos[0]. */
    r.pad = pad_token_id >= 0 ? pad_token_id : g.pad_token_id >= 0 ? g.pad_token_id
                                             : g.n_eos > 0          ? g.eos[0]
                                                                    : 0;
    max_new = g.max_length - n_input;
    r.cap = n_input + (max_new > 0 ? max_new : 0);
    r.ids = mn_malloc(sizeof(int64_t) * (size_t)(batch_size * r.cap));
    r.mask = mn_malloc(sizeof(int64_t) * (size_t)(batch_size * r.cap));
    r.done = mn_calloc((size_t)batch_size, sizeof(bool));
    r.logits = mn_malloc(sizeof(float) * (size_t)(batch_size * mnlp_lm_vocab_size(lm)));
    r.step_ids = mn_malloc(sizeof(int64_t) * (size_t)(batch_size * n_input));
    r.step_mask = mn_malloc(sizeof(int64_t) * (size_t)(batch_size * r.cap));
    if (params && params->n_stop_strings > 0 &&
        (st = mn_stop_strings_new(params->tokenizer, params->stop_strings, params->n_stop_strings,
                                  g.vocab_size, &r.stop)))
        goto done;
    if (!r.ids || !r.mask || !r.done || !r.logits || !r.step_ids || !r.step_mask ||
        mn_logits_work_init(&r.work, mnlp_lm_vocab_size(lm)) != MNLP_OK) {
        st = mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
        goto done;
    }
    /* Rows are laid out with stride cap while generating, packed at the end. */
    for (int64_t b = 0; b < batch_size; b++)
        for (int64_t i = 0; i < n_input; i++) {
            r.ids[b * r.cap + i] = input_ids[b * n_input + i];
            r.mask[b * r.cap + i] = attention_mask ? attention_mask[b * n_input + i] : 1;
        }
    if (max_new > 0 && (st = mnlp_kv_cache_create_batch(lm, batch_size, r.cap, &r.cache)))
        goto done;
    for (int64_t step = 0; step < max_new && more && !st; step++)
        st = batch_step(&r, step ? r.n - 1 : 0, &more);
    for (int64_t b = 1; !st && b < batch_size; b++)
        memmove(r.ids + b * r.n, r.ids + b * r.cap, sizeof(int64_t) * (size_t)r.n);
    if (!st) {
        out->sequences = r.ids;
        out->num_sequences = batch_size;
        out->length = r.n;
        r.ids = NULL;
    }
done:
    mn_free(r.ids);
    mnlp_kv_cache_free(r.cache);
    mn_logits_work_free(&r.work);
    mn_stop_strings_free(r.stop);
    mn_free(r.mask);
    mn_free(r.done);
    mn_free(r.logits);
    mn_free(r.step_ids);
    mn_free(r.step_mask);
    mn_gen_config_free(&g);
    return st;
}
