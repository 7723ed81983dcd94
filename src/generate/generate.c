/*
 * generate() for one prompt: the generation config resolved once, then
 * greedy search or sampling (_sample: num_return_sequences rows, each
 * stopping at an eos and padded after it) or beam search. Every buffer is
 * allocated before the first forward, so a step allocates nothing.
 */
#include "generate/generate.h"

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

static bool is_eos(const mn_gen_config *g, int64_t id)
{
    for (int64_t i = 0; i < g->n_eos; i++)
        if (g->eos[i] == id)
            return true;
    return false;
}

/* _sample: each unfinished row gets its next token (argmax, or a draw
 * from the warped scores); a finished row gets pad_token_id. */
static mnlp_status sample_loop(const mn_gen_config *g, const mnlp_generate_params *p,
                               mn_gen_rows *r, mn_logits_work *w, float *scores_out,
                               int64_t *n_scores, bool *unfinished)
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
            if (unfinished[i] && (is_eos(g, next) || r->cur_len + 1 >= g->max_length)) {
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
    return MNLP_OK;
}

mnlp_status mnlp_generate_sequences(const mnlp_lm *lm, const int64_t *input_ids,
                                    int64_t n_input, const mnlp_generate_params *params,
                                    mnlp_generate_output *out)
{
    mn_gen_config g;
    mn_gen_rows rows = {0};
    mn_logits_work w = {0};
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
    else if (!(st = sample_loop(&g, params, &rows, &w, out->scores, &out->n_scores,
                                unfinished)))
        st = copy_rows(&rows, out);
done:
    if (st)
        mnlp_generate_output_free(out);
    mn_free(unfinished);
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
