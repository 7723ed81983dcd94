/*
 * The generation config of one call, as generate() prepares it: the
 * caller's fields over the model's defaults (generation_config.json, else
 * config.json through GenerationConfig.from_model_config, else
 * GenerationConfig's own), then _prepare_generated_length,
 * _prepare_special_tokens and the checks of GenerationConfig.validate and
 * of each processor's constructor.
 */
#include "generate/generate.h"

#include "base/json.h"
#include "io/io.h"
#include "models/lm.h"

#include <math.h>
#include <string.h>
#include <time.h>

#define MAX_BAD_WORDS 4096

/* A default: generation_config.json when the folder has one, else the
 * model config (whose PretrainedConfig defaults match GenerationConfig's
 * for the fields both have); NULL or JSON null means None. */
static const mn_json *default_value(const mnlp_lm *lm, const char *key)
{
    const mn_json *gen = mn_lm_generation_config(lm), *v;

    v = gen ? mn_json_get(gen, key) : mn_config_value(mnlp_lm_config(lm), key);
    return v && v->type != MN_JSON_NULL ? v : NULL;
}

static mnlp_status bad_type(const char *key, const char *what)
{
    return mn_errorf(MNLP_ERR_FORMAT, "generation defaults: %s is not %s", key, what);
}

/* An int field: the caller's unless MNLP_UNSET, else the default, else
 * fallback; MNLP_NONE (and a JSON null) give none. */
static mnlp_status int_field(const mnlp_lm *lm, const char *key, int64_t given, int64_t fallback,
                             int64_t *out)
{
    const mn_json *v;

    if (given != MNLP_UNSET) {
        *out = given;
        return MNLP_OK;
    }
    if (!(v = default_value(lm, key))) {
        *out = fallback;
        return MNLP_OK;
    }
    if (v->type != MN_JSON_NUMBER || !v->is_int)
        return bad_type(key, "an integer");
    *out = v->integer;
    return MNLP_OK;
}

static mnlp_status float_field(const mnlp_lm *lm, const char *key, double given, double fallback,
                               double *out)
{
    const mn_json *v;

    if (!isnan(given)) {
        *out = given;
        return MNLP_OK;
    }
    if (!(v = default_value(lm, key))) {
        *out = fallback;
        return MNLP_OK;
    }
    if (v->type != MN_JSON_NUMBER)
        return bad_type(key, "a number");
    *out = v->number;
    return MNLP_OK;
}

static mnlp_status bool_field(const mnlp_lm *lm, const char *key, int given, bool *out)
{
    const mn_json *v;

    if (given >= 0) {
        *out = given != 0;
        return MNLP_OK;
    }
    v = default_value(lm, key);
    if (v && v->type != MN_JSON_BOOL)
        return bad_type(key, "a boolean");
    *out = v && v->boolean;
    return MNLP_OK;
}

/* An id or a list of ids (eos_token_id, forced_eos_token_id). */
static mnlp_status ids_field(const mnlp_lm *lm, const char *key, const int64_t *given,
                             int64_t n_given, int64_t *out, int64_t *n)
{
    const mn_json *v;

    *n = 0;
    if (n_given >= 0) {
        if (n_given > MN_GEN_MAX_EOS || (n_given && !given))
            return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "%s: %lld ids (at most %d)", key,
                             (long long)n_given, MN_GEN_MAX_EOS);
        memcpy(out, given, sizeof *out * (size_t)n_given);
        *n = n_given;
        return MNLP_OK;
    }
    if (!(v = default_value(lm, key)))
        return MNLP_OK;
    if (v->type == MN_JSON_NUMBER && v->is_int) {
        out[(*n)++] = v->integer;
        return MNLP_OK;
    }
    if (v->type != MN_JSON_ARRAY || v->len > MN_GEN_MAX_EOS)
        return bad_type(key, "an id or a list of at most 64");
    for (size_t i = 0; i < v->len; i++) {
        if (v->items[i].type != MN_JSON_NUMBER || !v->items[i].is_int)
            return bad_type(key, "a list of integers");
        out[(*n)++] = v->items[i].integer;
    }
    return MNLP_OK;
}

static mnlp_status early_stopping_field(const mnlp_lm *lm, mnlp_early_stopping given,
                                        mnlp_early_stopping *out)
{
    const mn_json *v;

    if (given != MNLP_EARLY_STOPPING_UNSET) {
        if (given < MNLP_EARLY_STOPPING_FALSE || given > MNLP_EARLY_STOPPING_NEVER)
            return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "early_stopping: %d is not a "
                             "mnlp_early_stopping", (int)given);
        *out = given;
        return MNLP_OK;
    }
    *out = MNLP_EARLY_STOPPING_FALSE;
    if (!(v = default_value(lm, "early_stopping")))
        return MNLP_OK;
    if (v->type == MN_JSON_BOOL)
        *out = v->boolean ? MNLP_EARLY_STOPPING_TRUE : MNLP_EARLY_STOPPING_FALSE;
    else if (v->type == MN_JSON_STRING && strcmp(v->str, "never") == 0)
        *out = MNLP_EARLY_STOPPING_NEVER;
    else
        return mn_errorf(MNLP_ERR_FORMAT, "generation defaults: early_stopping must be a "
                         "boolean or 'never'");
    return MNLP_OK;
}

/* ---- bad_words_ids ------------------------------------------------------------ */

static bool is_eos_word(const mn_gen_config *g, const int64_t *w, int64_t n)
{
    for (int64_t i = 0; n == 1 && i < g->n_eos; i++)
        if (w[0] == g->eos[i])
            return true;
    return false;
}

/* Append one sequence unless it is a lone eos id, which
 * NoBadWordsLogitsProcessor drops. */
static mnlp_status add_bad_word(mn_gen_config *g, const int64_t *w, int64_t n, int64_t *used)
{
    int64_t *words, *start;

    if (n < 1)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "bad_words_ids[%lld] is empty",
                         (long long)g->n_bad_words);
    for (int64_t i = 0; i < n; i++)
        if (w[i] < 0 || w[i] >= g->vocab_size)
            return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "bad_words_ids: token %lld is outside "
                             "the vocabulary of %lld", (long long)w[i],
                             (long long)g->vocab_size);
    if (is_eos_word(g, w, n))
        return MNLP_OK;
    if (!(words = mn_reallocn(g->bad_words, (size_t)(*used + n), sizeof *words)))
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    g->bad_words = words;
    if (!(start = mn_reallocn(g->bad_start, (size_t)(g->n_bad_words + 2), sizeof *start)))
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    g->bad_start = start;
    memcpy(g->bad_words + *used, w, sizeof *w * (size_t)n);
    g->bad_start[g->n_bad_words] = *used;
    *used += n;
    g->bad_start[++g->n_bad_words] = *used;
    return MNLP_OK;
}

static mnlp_status bad_words_from_json(mn_gen_config *g, const mn_json *v)
{
    int64_t used = 0, ids[256];
    mnlp_status st = MNLP_OK;

    if (v->type != MN_JSON_ARRAY || v->len == 0 || v->len > MAX_BAD_WORDS)
        return bad_type("bad_words_ids", "a non-empty list of lists");
    for (size_t i = 0; i < v->len && !st; i++) {
        const mn_json *w = &v->items[i];

        if (w->type != MN_JSON_ARRAY || w->len > 256)
            return bad_type("bad_words_ids", "a list of lists of at most 256 ids");
        for (size_t k = 0; k < w->len; k++) {
            if (w->items[k].type != MN_JSON_NUMBER || !w->items[k].is_int)
                return bad_type("bad_words_ids", "a list of lists of integers");
            ids[k] = w->items[k].integer;
        }
        st = add_bad_word(g, ids, (int64_t)w->len, &used);
    }
    return st;
}

static mnlp_status bad_words_field(const mnlp_lm *lm, const mnlp_generate_params *p,
                                   mn_gen_config *g)
{
    int64_t used = 0;
    mnlp_status st = MNLP_OK;
    const mn_json *v;

    if (p->n_bad_words_ids < 0)
        return (v = default_value(lm, "bad_words_ids")) ? bad_words_from_json(g, v) : MNLP_OK;
    if (p->n_bad_words_ids > MAX_BAD_WORDS ||
        (p->n_bad_words_ids && (!p->bad_words_ids || !p->bad_words_ids_lengths)))
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "bad_words_ids: %lld sequences",
                         (long long)p->n_bad_words_ids);
    for (int64_t i = 0; i < p->n_bad_words_ids && !st; i++)
        st = add_bad_word(g, p->bad_words_ids[i], p->bad_words_ids_lengths[i], &used);
    return st;
}

/* ---- what mnlp does not do yet ------------------------------------------------ */

/* GenerationConfig fields that change the result and that mnlp does not
 * implement, with the values under which they do nothing. */
static const struct {
    const char *key;
    double neutral;
} unsupported[] = {
    {"num_beam_groups", 1},       {"diversity_penalty", 0},
    {"penalty_alpha", 0},         {"epsilon_cutoff", 0},
    {"eta_cutoff", 0},            {"encoder_repetition_penalty", 1},
    {"encoder_no_repeat_ngram_size", 0}, {"renormalize_logits", 0},
    {"remove_invalid_values", 0}, {"exponential_decay_length_penalty", 0},
    {"suppress_tokens", 0},       {"begin_suppress_tokens", 0},
    {"sequence_bias", 0},         {"guidance_scale", 1},
    {"constraints", 0},           {"force_words_ids", 0},
    {"forced_decoder_ids", 0},    {"watermarking_config", 0},
    {"stop_strings", 0},          {"max_time", 0},
    {"dola_layers", 0},           {"prompt_lookup_num_tokens", 0},
    {"token_healing", 0},
};

static mnlp_status check_unsupported(const mnlp_lm *lm)
{
    for (size_t i = 0; i < sizeof unsupported / sizeof *unsupported; i++) {
        const mn_json *v = default_value(lm, unsupported[i].key);

        if (!v || (v->type == MN_JSON_BOOL && !v->boolean) ||
            (v->type == MN_JSON_NUMBER && v->number == unsupported[i].neutral))
            continue;
        return mn_errorf(MNLP_ERR_UNSUPPORTED, "generation defaults: %s is not supported yet",
                         unsupported[i].key);
    }
    return MNLP_OK;
}

/* ---- lengths and checks -------------------------------------------------------- */

/* _prepare_generated_length and _validate_generated_length. */
static mnlp_status lengths(const mnlp_lm *lm, const mnlp_generate_params *p, int64_t n_input,
                           mn_gen_config *g)
{
    int64_t max_new = -1, max_len = 20, min_new = -1, min_len = 0;
    const mn_json *mpe;
    mnlp_status st;

    if ((st = int_field(lm, "max_new_tokens", p->max_new_tokens, -1, &max_new)) ||
        (st = int_field(lm, "max_length", p->max_length, 20, &max_len)) ||
        (st = int_field(lm, "min_new_tokens", p->min_new_tokens, -1, &min_new)) ||
        (st = int_field(lm, "min_length", p->min_length, 0, &min_len)))
        return st;
    if (max_new != -1 && max_new <= 0)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "max_new_tokens must be greater than 0, "
                         "but is %lld", (long long)max_new);
    if (max_new > 0) {
        max_len = max_new + n_input;
    } else if (p->max_length == MNLP_UNSET && max_len == 20) {
        /* GenerationConfig's default 20 means 20 new tokens, within the
         * model's positions. */
        max_len = 20 + n_input;
        mpe = mn_config_value(mnlp_lm_config(lm), "max_position_embeddings");
        if (mpe && mpe->is_int && mpe->integer < max_len)
            max_len = mpe->integer;
    }
    if (min_new >= 0)
        min_len = min_new + n_input;
    if (n_input >= max_len)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "input length of input_ids is %lld, but "
                         "max_length is set to %lld", (long long)n_input, (long long)max_len);
    if (min_len < 0 || min_new < -1)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "min_length and min_new_tokens must not be "
                         "negative");
    g->prompt_len = n_input;
    g->max_length = max_len;
    g->min_length = min_len;
    g->min_new_tokens = min_new;
    return MNLP_OK;
}

static mnlp_status check(const mn_gen_config *g)
{
    if (g->num_beams < 1)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "num_beams must be at least 1, but is %lld",
                         (long long)g->num_beams);
    if (g->num_return_sequences < 1 ||
        (g->num_beams == 1 && !g->do_sample && g->num_return_sequences != 1))
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "num_return_sequences %lld: greedy search "
                         "returns one sequence", (long long)g->num_return_sequences);
    if (g->num_beams > 1 && g->num_return_sequences > g->num_beams)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "num_return_sequences (%lld) has to be "
                         "smaller or equal to num_beams (%lld)",
                         (long long)g->num_return_sequences, (long long)g->num_beams);
    if (!(g->repetition_penalty > 0))
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "repetition_penalty has to be a strictly "
                         "positive float, but is %g", g->repetition_penalty);
    if (g->forced_bos_token_id >= g->vocab_size)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "forced_bos_token_id %lld is outside the "
                         "vocabulary", (long long)g->forced_bos_token_id);
    for (int64_t i = 0; i < g->n_forced_eos; i++)
        if (g->forced_eos[i] < 0 || g->forced_eos[i] >= g->vocab_size)
            return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "forced_eos_token_id %lld is outside "
                             "the vocabulary", (long long)g->forced_eos[i]);
    if (!g->do_sample)
        return MNLP_OK;
    if (!(g->temperature > 0))
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "temperature (=%g) has to be a strictly "
                         "positive float", g->temperature);
    if (g->top_k < 0)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "top_k has to be a strictly positive "
                         "integer, but is %lld", (long long)g->top_k);
    if (!(g->top_p >= 0 && g->top_p <= 1))
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "top_p has to be a float >= 0 and <= 1, "
                         "but is %g", g->top_p);
    if (g->min_p > 1)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "min_p has to be a float in the [0, 1] "
                         "interval, but is %g", g->min_p);
    if (g->typical_p < 1 && !(g->typical_p > 0))
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "typical_p has to be a float > 0 and < 1, "
                         "but is %g", g->typical_p);
    return MNLP_OK;
}

static uint64_t clock_seed(void)
{
    struct timespec ts;

    timespec_get(&ts, TIME_UTC);
    return (uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec;
}

static mnlp_status fields(const mnlp_lm *lm, const mnlp_generate_params *p, mn_gen_config *g)
{
    double min_p = -1;
    mnlp_status st;

    if ((st = bool_field(lm, "do_sample", p->do_sample, &g->do_sample)) ||
        (st = int_field(lm, "num_beams", p->num_beams, 1, &g->num_beams)) ||
        (st = int_field(lm, "num_return_sequences", p->num_return_sequences, 1,
                        &g->num_return_sequences)) ||
        (st = float_field(lm, "temperature", p->temperature, 1.0, &g->temperature)) ||
        (st = float_field(lm, "top_p", p->top_p, 1.0, &g->top_p)) ||
        (st = float_field(lm, "min_p", p->min_p, -1, &min_p)) ||
        (st = float_field(lm, "typical_p", p->typical_p, 1.0, &g->typical_p)) ||
        (st = int_field(lm, "top_k", p->top_k, 50, &g->top_k)) ||
        (st = float_field(lm, "repetition_penalty", p->repetition_penalty, 1.0,
                          &g->repetition_penalty)) ||
        (st = int_field(lm, "no_repeat_ngram_size", p->no_repeat_ngram_size, 0,
                        &g->no_repeat_ngram_size)) ||
        (st = int_field(lm, "forced_bos_token_id", p->forced_bos_token_id, -1,
                        &g->forced_bos_token_id)) ||
        (st = ids_field(lm, "forced_eos_token_id", p->forced_eos_token_id,
                        p->n_forced_eos_token_id, g->forced_eos, &g->n_forced_eos)) ||
        (st = ids_field(lm, "eos_token_id", p->eos_token_id, p->n_eos_token_id, g->eos,
                        &g->n_eos)) ||
        (st = int_field(lm, "pad_token_id", p->pad_token_id, -1, &g->pad_token_id)) ||
        (st = float_field(lm, "length_penalty", p->length_penalty, 1.0, &g->length_penalty)) ||
        (st = early_stopping_field(lm, p->early_stopping, &g->early_stopping)))
        return st;
    g->min_p = min_p < 0 ? -1 : min_p;
    if (g->forced_bos_token_id < 0)
        g->forced_bos_token_id = -1;
    /* _prepare_special_tokens: pad falls back to the first eos. */
    if (g->pad_token_id < 0)
        g->pad_token_id = g->n_eos ? g->eos[0] : -1;
    g->seed = p->seed != MNLP_UNSET ? (uint64_t)p->seed : clock_seed();
    return MNLP_OK;
}

mnlp_status mn_gen_config_resolve(const mnlp_lm *lm, const mnlp_generate_params *p,
                                  int64_t n_input, mn_gen_config *g)
{
    mnlp_status st;

    memset(g, 0, sizeof *g);
    g->vocab_size = mnlp_lm_vocab_size(lm);
    if ((st = check_unsupported(lm)) || (st = fields(lm, p, g)) ||
        (st = lengths(lm, p, n_input, g)) || (st = bad_words_field(lm, p, g)) ||
        (st = check(g))) {
        mn_gen_config_free(g);
        return st;
    }
    return MNLP_OK;
}

void mn_gen_config_free(mn_gen_config *g)
{
    mn_free(g->bad_words);
    mn_free(g->bad_start);
    g->bad_words = g->bad_start = NULL;
    g->n_bad_words = 0;
}
