/*
 * Beam search as transformers' _beam_search with a BeamSearchScorer
 * (generation/beam_search.py) runs it for one prompt: log-softmax scores,
 * the processors, each beam's running sum added, the best 2 * num_beams
 * candidates over all beams (sampled without replacement in beam
 * sampling), finished hypotheses kept by length-penalised score.
 */
#include "generate/generate.h"

#include <math.h>
#include <string.h>

/* One finished hypothesis: ids without the eos that ended it. */
typedef struct hyp {
    double score;
    int64_t len;
    int64_t *ids;  /* [cap] */
} hyp;

/* BeamHypotheses: at most num_beams, kept in insertion order as the Python
 * list is, since ties in score are broken by that order. */
typedef struct beam_hyps {
    hyp *slots;    /* [num_beams + 1], the storage */
    hyp **list;    /* [num_beams + 1], the order */
    int64_t n, num_beams, cap;
    double worst;
} beam_hyps;

typedef struct beam_state {
    const mn_gen_config *g;
    mn_gen_rows *r;
    beam_hyps hyps;
    int64_t nb, k, vocab;
    float *beam_scores, *next_scores, *flat_probs;
    int64_t *next_tokens, *next_beams, *new_ids;
    float *new_scores;
    int64_t *new_tokens, *new_parents;
    mnlp_kv_cache **new_cache;
    int64_t *new_cached;
    bool *taken, done;
    mn_rng rng;
} beam_state;

/* ---- BeamHypotheses ---------------------------------------------------------- */

static void hyps_add(beam_hyps *h, const int64_t *ids, int64_t len, double sum_logprobs,
                     int64_t generated_len, double length_penalty)
{
    double score = sum_logprobs / pow((double)generated_len, length_penalty);
    hyp *slot;
    int64_t lo = 0, lo2 = -1;

    if (!(h->n < h->num_beams || score > h->worst))
        return;
    /* A free slot: the storage not in the list. */
    for (slot = h->slots;; slot++) {
        int64_t i = 0;

        while (i < h->n && h->list[i] != slot)
            i++;
        if (i == h->n)
            break;
    }
    slot->score = score;
    slot->len = len;
    memcpy(slot->ids, ids, sizeof *ids * (size_t)len);
    h->list[h->n++] = slot;
    if (h->n <= h->num_beams) {
        h->worst = score < h->worst ? score : h->worst;
        return;
    }
    /* sorted((s, idx)): drop the first lowest, the next lowest is worst. */
    for (int64_t i = 1; i < h->n; i++)
        if (h->list[i]->score < h->list[lo]->score)
            lo = i;
    for (int64_t i = 0; i < h->n; i++)
        if (i != lo && (lo2 < 0 || h->list[i]->score < h->list[lo2]->score))
            lo2 = i;
    h->worst = h->list[lo2]->score;
    memmove(h->list + lo, h->list + lo + 1, sizeof *h->list * (size_t)(h->n - lo - 1));
    h->n--;
}

static bool hyps_is_done(const beam_hyps *h, const mn_gen_config *g, double best_sum_logprobs,
                         int64_t cur_len)
{
    double lp = g->length_penalty, denom;

    if (h->n < h->num_beams)
        return false;
    if (g->early_stopping == MNLP_EARLY_STOPPING_TRUE)
        return true;
    /* "never" with a positive length_penalty: the best score reachable at
     * max_length; otherwise at the current length. */
    if (g->early_stopping == MNLP_EARLY_STOPPING_NEVER && lp > 0)
        denom = pow((double)(g->max_length - g->prompt_len), lp);
    else
        denom = pow((double)(cur_len - g->prompt_len), lp);
    return h->worst >= best_sum_logprobs / denom;
}

/* ---- one step ------------------------------------------------------------------ */

/* torch.topk(sorted=True) of the flat [num_beams * vocab] scores. */
static void top_candidates(beam_state *s, const float *flat, int64_t n)
{
    int64_t have = 0, *idx = s->next_tokens;

    for (int64_t i = 0; i < n; i++) {
        int64_t j;

        if (have == s->k && !(flat[i] > s->next_scores[have - 1]))
            continue;
        j = have < s->k ? have++ : have - 1;
        while (j > 0 && flat[i] > s->next_scores[j - 1]) {
            s->next_scores[j] = s->next_scores[j - 1];
            idx[j] = idx[j - 1];
            j--;
        }
        s->next_scores[j] = flat[i];
        idx[j] = i;
    }
}

/* multinomial(softmax(flat), k) then sorted by score, descending. */
static void sampled_candidates(beam_state *s, const float *flat, int64_t n)
{
    int64_t *idx = s->next_tokens;

    mn_softmax(flat, n, s->flat_probs);
    mn_sample_k(s->flat_probs, n, s->k, idx, &s->rng);
    for (int64_t j = 0; j < s->k; j++) {
        int64_t i = idx[j], m = j;

        while (m > 0 && flat[i] > s->next_scores[m - 1]) {
            s->next_scores[m] = s->next_scores[m - 1];
            idx[m] = idx[m - 1];
            m--;
        }
        s->next_scores[m] = flat[i];
        idx[m] = i;
    }
}

/* BeamSearchScorer.process: candidates ending in eos become hypotheses
 * (only from the top num_beams ranks), the others the next beams. */
static mnlp_status scorer_process(beam_state *s)
{
    const mn_gen_config *g = s->g;
    int64_t b = 0, cur_len = s->r->cur_len;

    for (int64_t rank = 0; rank < s->k && b < s->nb; rank++) {
        int64_t beam = s->next_tokens[rank] / s->vocab, tok = s->next_tokens[rank] % s->vocab;

        if (mn_gen_is_eos(g, tok)) {
            if (rank < s->nb)
                hyps_add(&s->hyps, s->r->ids + beam * s->r->cap, cur_len, s->next_scores[rank],
                         cur_len + 1 - g->prompt_len, g->length_penalty);
            continue;
        }
        s->new_scores[b] = s->next_scores[rank];
        s->new_tokens[b] = tok;
        s->new_parents[b++] = beam;
    }
    if (b < s->nb)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "beam search: more than %lld of the best "
                         "candidates are eos_token_id", (long long)s->nb);
    s->done = s->done || hyps_is_done(&s->hyps, g, s->next_scores[0], cur_len + 1);
    return MNLP_OK;
}

/* input_ids[beam_idx] + the new tokens; each parent's cache goes to its
 * first child, other children take a cache left free and rebuild it. */
static void reorder(beam_state *s)
{
    mn_gen_rows *r = s->r;
    int64_t cap = r->cap, free_i = 0;

    memset(s->taken, 0, sizeof *s->taken * (size_t)s->nb);
    for (int64_t i = 0; i < s->nb; i++) {
        int64_t p = s->new_parents[i];

        memcpy(s->new_ids + i * cap, r->ids + p * cap, sizeof *r->ids * (size_t)r->cur_len);
        s->new_ids[i * cap + r->cur_len] = s->new_tokens[i];
        s->new_cache[i] = NULL;
        if (!s->taken[p]) {
            s->taken[p] = true;
            s->new_cache[i] = r->cache[p];
            s->new_cached[i] = r->cached[p];
        }
    }
    for (int64_t i = 0; i < s->nb; i++) {
        if (s->new_cache[i])
            continue;
        while (s->taken[free_i])
            free_i++;
        s->taken[free_i] = true;
        s->new_cache[i] = r->cache[free_i];
        s->new_cached[i] = 0;
    }
    memcpy(r->ids, s->new_ids, sizeof *r->ids * (size_t)(s->nb * cap));
    memcpy(r->cache, s->new_cache, sizeof *r->cache * (size_t)s->nb);
    memcpy(r->cached, s->new_cached, sizeof *r->cached * (size_t)s->nb);
    memcpy(s->beam_scores, s->new_scores, sizeof *s->beam_scores * (size_t)s->nb);
    r->cur_len++;
}

/* The next-token scores of every beam, processed, plus its running sum;
 * the processed scores go to scores_out when it is given. */
static mnlp_status beam_scores_step(beam_state *s, mn_logits_work *w, float *scores_out)
{
    mn_gen_rows *r = s->r;
    mnlp_status st;

    if ((st = mn_gen_rows_forward(r, NULL)))
        return st;
    for (int64_t i = 0; i < s->nb; i++) {
        float *row = r->logits + i * s->vocab;

        mn_log_softmax(row, s->vocab, row);
        mn_logits_process(s->g, r->ids + i * r->cap, r->cur_len, row, w);
        if (scores_out)
            memcpy(scores_out + i * s->vocab, row, sizeof *row * (size_t)s->vocab);
        for (int64_t v = 0; v < s->vocab; v++)
            row[v] = row[v] + s->beam_scores[i];
    }
    return MNLP_OK;
}

static bool all_end_in_eos(const beam_state *s)
{
    for (int64_t i = 0; i < s->nb; i++)
        if (!mn_gen_is_eos(s->g, s->r->ids[i * s->r->cap + s->r->cur_len - 1]))
            return false;
    return s->g->n_eos > 0;
}

/* ---- finalize ---------------------------------------------------------------- */

/* BeamSearchScorer.finalize: the open beams join the hypotheses unless
 * done; the best num_return_sequences (a stable sort, the later of equal
 * scores first) padded, with eos_token_id[0] after a shorter one. */
static mnlp_status finalize(beam_state *s, mnlp_generate_output *out)
{
    const mn_gen_config *g = s->g;
    beam_hyps *h = &s->hyps;
    int64_t n_ret = g->num_return_sequences, max_len = 0, min_len = INT64_MAX, width;
    hyp *best[64];

    if (!s->done)
        for (int64_t i = 0; i < s->nb; i++)
            hyps_add(h, s->r->ids + i * s->r->cap, s->r->cur_len, s->beam_scores[i],
                     s->r->cur_len - g->prompt_len, g->length_penalty);
    for (int64_t j = 0; j < n_ret; j++) {
        int64_t pick = -1;

        for (int64_t i = 0; i < h->n; i++) {
            bool used = false;

            for (int64_t m = 0; m < j; m++)
                used = used || best[m] == h->list[i];
            if (!used && (pick < 0 || h->list[i]->score >= h->list[pick]->score))
                pick = i;
        }
        best[j] = h->list[pick];
        max_len = best[j]->len > max_len ? best[j]->len : max_len;
        min_len = best[j]->len < min_len ? best[j]->len : min_len;
    }
    width = max_len + 1 < g->max_length ? max_len + 1 : g->max_length;
    if (min_len != max_len && g->pad_token_id < 0)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "pad_token_id has to be defined");
    out->sequences = mn_calloc((size_t)(n_ret * width), sizeof *out->sequences);
    out->sequences_scores = mn_calloc((size_t)n_ret, sizeof *out->sequences_scores);
    if (!out->sequences || !out->sequences_scores)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    out->num_sequences = n_ret;
    out->length = width;
    for (int64_t j = 0; j < n_ret; j++) {
        int64_t *row = out->sequences + j * width;

        for (int64_t i = 0; i < width; i++)
            row[i] = g->pad_token_id;
        memcpy(row, best[j]->ids, sizeof *row * (size_t)best[j]->len);
        if (best[j]->len < width && g->n_eos > 0)
            row[best[j]->len] = g->eos[0];
        out->sequences_scores[j] = (float)best[j]->score;
    }
    return MNLP_OK;
}

/* ---- the search ------------------------------------------------------------- */

static mnlp_status state_init(beam_state *s, const mn_gen_config *g, mn_gen_rows *r)
{
    int64_t nb = g->num_beams, cap = r->cap;

    memset(s, 0, sizeof *s);
    s->g = g;
    s->r = r;
    s->nb = nb;
    s->vocab = g->vocab_size;
    s->k = (g->n_eos + 1 > 2 ? g->n_eos + 1 : 2) * nb;
    s->k = s->k < nb * s->vocab ? s->k : nb * s->vocab;
    s->hyps.num_beams = nb;
    s->hyps.cap = cap;
    s->hyps.worst = 1e9;
    s->hyps.slots = mn_calloc((size_t)nb + 1, sizeof *s->hyps.slots);
    s->hyps.list = mn_calloc((size_t)nb + 1, sizeof *s->hyps.list);
    s->beam_scores = mn_calloc((size_t)nb, sizeof *s->beam_scores);
    s->new_scores = mn_calloc((size_t)nb, sizeof *s->new_scores);
    s->next_scores = mn_calloc((size_t)s->k, sizeof *s->next_scores);
    s->next_tokens = mn_calloc((size_t)s->k, sizeof *s->next_tokens);
    s->new_tokens = mn_calloc((size_t)nb, sizeof *s->new_tokens);
    s->new_parents = mn_calloc((size_t)nb, sizeof *s->new_parents);
    s->new_ids = mn_calloc((size_t)(nb * cap), sizeof *s->new_ids);
    s->new_cache = mn_calloc((size_t)nb, sizeof *s->new_cache);
    s->new_cached = mn_calloc((size_t)nb, sizeof *s->new_cached);
    s->taken = mn_calloc((size_t)nb, sizeof *s->taken);
    if (g->do_sample)
        s->flat_probs = mn_calloc((size_t)(nb * s->vocab), sizeof *s->flat_probs);
    for (int64_t i = 0; s->hyps.slots && i <= nb; i++)
        if (!(s->hyps.slots[i].ids = mn_calloc((size_t)cap, sizeof(int64_t))))
            return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    if (!s->hyps.slots || !s->hyps.list || !s->beam_scores || !s->new_scores ||
        !s->next_scores || !s->next_tokens || !s->new_tokens || !s->new_parents ||
        !s->new_ids || !s->new_cache || !s->new_cached || !s->taken ||
        (g->do_sample && !s->flat_probs))
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    /* Only the first beam is live at first: the others start at -1e9. */
    for (int64_t i = 1; i < nb; i++)
        s->beam_scores[i] = -1e9f;
    mn_rng_seed(&s->rng, g->seed);
    return MNLP_OK;
}

static void state_free(beam_state *s)
{
    for (int64_t i = 0; s->hyps.slots && i <= s->nb; i++)
        mn_free(s->hyps.slots[i].ids);
    mn_free(s->hyps.slots);
    mn_free(s->hyps.list);
    mn_free(s->beam_scores);
    mn_free(s->new_scores);
    mn_free(s->next_scores);
    mn_free(s->next_tokens);
    mn_free(s->new_tokens);
    mn_free(s->new_parents);
    mn_free(s->new_ids);
    mn_free(s->new_cache);
    mn_free(s->new_cached);
    mn_free(s->taken);
    mn_free(s->flat_probs);
}

mnlp_status mn_beam_search(const mn_gen_config *g, mn_gen_rows *r, mn_logits_work *w,
                           float *scores_out, int64_t *n_scores, mnlp_generate_output *out)
{
    beam_state s;
    int64_t flat_n = g->num_beams * g->vocab_size;
    mnlp_status st;

    if (g->num_return_sequences > 64)
        return mn_errorf(MNLP_ERR_LIMIT, "num_return_sequences %lld: at most 64 with beams",
                         (long long)g->num_return_sequences);
    if ((st = state_init(&s, g, r)))
        goto done;
    for (;;) {
        float *step_out = scores_out ? scores_out + *n_scores * flat_n : NULL;

        if ((st = beam_scores_step(&s, w, step_out)))
            goto done;
        if (scores_out)
            ++*n_scores;
        if (g->do_sample)
            sampled_candidates(&s, r->logits, flat_n);
        else
            top_candidates(&s, r->logits, flat_n);
        if ((st = scorer_process(&s)))
            goto done;
        reorder(&s);
        if (s.done || r->cur_len >= g->max_length || all_end_in_eos(&s))
            break;
    }
    st = finalize(&s, out);
done:
    state_free(&s);
    return st;
}
