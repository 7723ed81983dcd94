/*
 * transformers' logits processors and warpers (generation/logits_process.py)
 * on one row of scores, in the order _get_logits_processor builds them.
 * Scores are float32 as generate() keeps them; a removed token is -inf.
 */
#include "generate/generate.h"

#include <math.h>
#include <stdlib.h>

typedef struct mn_scored {
    float v;
    int64_t i;
} mn_scored;

mnlp_status mn_logits_work_init(mn_logits_work *w, int64_t vocab_size)
{
    w->sorted = mn_calloc((size_t)vocab_size, sizeof *w->sorted);
    w->probs = mn_calloc((size_t)vocab_size, sizeof *w->probs);
    if (!w->sorted || !w->probs) {
        mn_logits_work_free(w);
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    }
    return MNLP_OK;
}

void mn_logits_work_free(mn_logits_work *w)
{
    mn_free(w->sorted);
    mn_free(w->probs);
    w->sorted = NULL;
    w->probs = NULL;
}

/* ---- softmax ------------------------------------------------------------- */

static float max_of(const float *x, int64_t n)
{
    float m = -INFINITY;

    for (int64_t i = 0; i < n; i++)
        m = x[i] > m ? x[i] : m;
    return m;
}

void mn_softmax(const float *x, int64_t n, float *out)
{
    float m = max_of(x, n);
    double sum = 0;

    for (int64_t i = 0; i < n; i++) {
        out[i] = m == -INFINITY ? 0.0f : expf(x[i] - m);
        sum += out[i];
    }
    for (int64_t i = 0; i < n; i++)
        out[i] = sum > 0 ? (float)(out[i] / sum) : 0.0f;
}

void mn_log_softmax(const float *x, int64_t n, float *out)
{
    float m = max_of(x, n);
    double sum = 0;
    float lse;

    for (int64_t i = 0; i < n; i++)
        sum += expf(x[i] - m);
    lse = (float)log(sum);
    for (int64_t i = 0; i < n; i++)
        out[i] = x[i] - m - lse;
}

/* ---- sorting ------------------------------------------------------------- */

/* torch.sort is not stable; ties are broken by index here so that the
 * order is at least deterministic. */
static int by_value_up(const void *a, const void *b)
{
    const mn_scored *x = a, *y = b;

    if (x->v != y->v)
        return x->v < y->v ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

static int by_value_down(const void *a, const void *b)
{
    const mn_scored *x = a, *y = b;

    if (x->v != y->v)
        return x->v > y->v ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

static void sort_scores(const float *v, int64_t n, bool descending, mn_scored *out)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = (mn_scored){v[i], i};
    qsort(out, (size_t)n, sizeof *out, descending ? by_value_down : by_value_up);
}

/* ---- processors ------------------------------------------------------------ */

/* RepetitionPenaltyLogitsProcessor: every id of the sequence, the prompt
 * included, once; a negative score is multiplied, a positive one divided.
 * seen[vocab] is working memory. */
static void repetition_penalty(float *scores, const int64_t *ids, int64_t len, double penalty,
                               float *seen)
{
    float p = (float)penalty;

    for (int64_t i = 0; i < len; i++)
        seen[ids[i]] = 0;
    for (int64_t i = 0; i < len; i++) {
        int64_t t = ids[i];

        if (seen[t] != 0)
            continue;
        seen[t] = 1;
        scores[t] = scores[t] < 0 ? scores[t] * p : scores[t] / p;
    }
}

/* NoRepeatNGramLogitsProcessor: the last n-1 ids may not be followed by a
 * token that followed them before. */
static void no_repeat_ngram(float *scores, const int64_t *ids, int64_t len, int64_t n)
{
    const int64_t *tail = ids + len - (n - 1);

    if (len + 1 < n)
        return;
    for (int64_t i = 0; i + n <= len; i++) {
        int64_t k = 0;

        while (k < n - 1 && ids[i + k] == tail[k])
            k++;
        if (k == n - 1)
            scores[ids[i + n - 1]] = -INFINITY;
    }
}

/* NoBadWordsLogitsProcessor (a SequenceBiasLogitsProcessor of -inf): a
 * one-id sequence always, a longer one when the sequence ends with all
 * but its last id. */
static void bad_words(const mn_gen_config *g, float *scores, const int64_t *ids, int64_t len)
{
    for (int64_t s = 0; s < g->n_bad_words; s++) {
        const int64_t *w = g->bad_words + g->bad_start[s];
        int64_t n = g->bad_start[s + 1] - g->bad_start[s], k = 0;

        if (n > len)
            continue;
        while (k < n - 1 && ids[len - (n - 1) + k] == w[k])
            k++;
        if (k == n - 1)
            scores[w[n - 1]] = -INFINITY;
    }
}

static void suppress_eos(const mn_gen_config *g, float *scores)
{
    for (int64_t i = 0; i < g->n_eos; i++)
        if (g->eos[i] >= 0 && g->eos[i] < g->vocab_size)
            scores[g->eos[i]] = -INFINITY;
}

/* ForcedBOS/ForcedEOSTokenLogitsProcessor: only the forced ids keep a
 * score, 0. */
static void force(float *scores, int64_t n, const int64_t *ids, int64_t n_ids)
{
    for (int64_t i = 0; i < n; i++)
        scores[i] = -INFINITY;
    for (int64_t i = 0; i < n_ids; i++)
        scores[ids[i]] = 0;
}

/* ---- warpers ------------------------------------------------------------- */

/* TopKLogitsWarper: below the k-th largest score is removed (ties stay). */
void mn_top_k(float *scores, int64_t n, int64_t top_k, int64_t min_keep, mn_logits_work *w)
{
    int64_t k = top_k > min_keep ? top_k : min_keep;
    float kth;

    k = k < n ? k : n;
    sort_scores(scores, n, true, w->sorted);
    kth = w->sorted[k - 1].v;
    for (int64_t i = 0; i < n; i++)
        if (scores[i] < kth)
            scores[i] = -INFINITY;
}

/* TopPLogitsWarper: ascending order, the tokens whose cumulative
 * probability stays at or under 1 - top_p go, except the min_keep last. */
void mn_top_p(float *scores, int64_t n, double top_p, int64_t min_keep, mn_logits_work *w)
{
    float limit = (float)(1.0 - top_p), *p = w->probs;
    double cum = 0;

    sort_scores(scores, n, false, w->sorted);
    for (int64_t j = 0; j < n; j++)
        p[j] = w->sorted[j].v;
    mn_softmax(p, n, p);
    for (int64_t j = 0; j < n - min_keep; j++) {
        cum += p[j];
        if ((float)cum <= limit)
            scores[w->sorted[j].i] = -INFINITY;
    }
}

/* MinPLogitsWarper: probabilities under min_p times the largest go, except
 * the min_keep highest scores. */
void mn_min_p(float *scores, int64_t n, double min_p, int64_t min_keep, mn_logits_work *w)
{
    float *p = w->probs, limit;

    mn_softmax(scores, n, p);
    limit = (float)min_p * max_of(p, n);
    sort_scores(scores, n, true, w->sorted);
    for (int64_t j = min_keep; j < n; j++)
        if (p[w->sorted[j].i] < limit)
            scores[w->sorted[j].i] = -INFINITY;
}

/* TypicalLogitsWarper: tokens ordered by |-log p - entropy|; the smallest
 * set reaching probability mass stays (ties with its last member too),
 * and at least min_keep. */
void mn_typical_p(float *scores, int64_t n, double mass, int64_t min_keep, mn_logits_work *w)
{
    float *logp = w->probs, ent, cut;
    double sum = 0, cum = 0;
    int64_t last = 0;

    mn_log_softmax(scores, n, logp);
    for (int64_t i = 0; i < n; i++) {
        double t = (double)logp[i] * expf(logp[i]);

        sum += isnan(t) ? 0 : t;    /* nansum: -inf * 0 */
    }
    ent = (float)-sum;
    for (int64_t i = 0; i < n; i++)
        logp[i] = fabsf(-logp[i] - ent);
    sort_scores(logp, n, false, w->sorted);
    /* The sorted scores' softmax is the probabilities in that order. */
    mn_softmax(scores, n, logp);
    for (int64_t j = 0; j < n; j++) {
        cum += logp[w->sorted[j].i];
        if ((float)cum < (float)mass)
            last++;
    }
    last = last < n - 1 ? last : n - 1;
    cut = w->sorted[last].v;
    for (int64_t j = min_keep; j < n; j++)
        if (w->sorted[j].v > cut)
            scores[w->sorted[j].i] = -INFINITY;
}

/* ---- the list ------------------------------------------------------------ */

static void warp(const mn_gen_config *g, float *scores, mn_logits_work *w)
{
    int64_t n = g->vocab_size, min_keep = 1;

    /* With beams, enough tokens survive for every beam to continue after
     * an eos: len(eos) + 1, or 2 without eos. */
    if (g->num_beams > 1)
        min_keep = g->n_eos ? g->n_eos + 1 : 2;
    if (g->temperature != 1.0)
        for (int64_t i = 0; i < n; i++)
            scores[i] = scores[i] / (float)g->temperature;
    if (g->top_k != 0)
        mn_top_k(scores, n, g->top_k, min_keep, w);
    if (g->top_p < 1.0)
        mn_top_p(scores, n, g->top_p, min_keep, w);
    if (g->min_p >= 0)
        mn_min_p(scores, n, g->min_p, min_keep, w);
    if (g->typical_p < 1.0)
        mn_typical_p(scores, n, g->typical_p, min_keep, w);
}

void mn_logits_process(const mn_gen_config *g, const int64_t *ids, int64_t cur_len,
                       float *scores, mn_logits_work *w)
{
    if (g->repetition_penalty != 1.0)
        repetition_penalty(scores, ids, cur_len, g->repetition_penalty, w->probs);
    if (g->no_repeat_ngram_size > 0)
        no_repeat_ngram(scores, ids, cur_len, g->no_repeat_ngram_size);
    if (g->n_bad_words > 0)
        bad_words(g, scores, ids, cur_len);
    if (g->n_eos > 0 && g->min_length > 0 && cur_len < g->min_length)
        suppress_eos(g, scores);
    if (g->n_eos > 0 && g->min_new_tokens > 0 && cur_len - g->prompt_len < g->min_new_tokens)
        suppress_eos(g, scores);
    if (g->forced_bos_token_id >= 0 && cur_len == 1)
        force(scores, g->vocab_size, &g->forced_bos_token_id, 1);
    if (g->n_forced_eos > 0 && cur_len == g->max_length - 1)
        force(scores, g->vocab_size, g->forced_eos, g->n_forced_eos);
    if (g->do_sample)
        warp(g, scores, w);
}
