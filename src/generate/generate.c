/*
 * Greedy decoding with transformers' generate() semantics: defaults from
 * generation_config.json (else config.json), the prompt run once, then one
 * position per step over the KV cache, stopping after an eos_token_id or
 * max_new_tokens.
 */
#include "models/lm.h"

#include "mnlp/lm.h"

#include <string.h>

#define MAX_EOS 64

mnlp_generate_params mnlp_generate_default_params(void)
{
    return (mnlp_generate_params){.max_new_tokens = -1, .n_eos_token_id = -1};
}

/* eos_token_id as GenerationConfig holds it: one id or a list. */
static mnlp_status read_eos(const mn_json *v, int64_t *ids, int *n)
{
    *n = 0;
    if (!v || v->type == MN_JSON_NULL)
        return MNLP_OK;
    if (v->type == MN_JSON_NUMBER && v->is_int) {
        ids[(*n)++] = v->integer;
        return MNLP_OK;
    }
    if (v->type != MN_JSON_ARRAY || v->len > MAX_EOS)
        return mn_errorf(MNLP_ERR_FORMAT, "eos_token_id is not an id or a list of at most %d",
                         MAX_EOS);
    for (size_t i = 0; i < v->len; i++) {
        if (v->items[i].type != MN_JSON_NUMBER || !v->items[i].is_int)
            return mn_errorf(MNLP_ERR_FORMAT, "eos_token_id[%zu] is not an integer", i);
        ids[(*n)++] = v->items[i].integer;
    }
    return MNLP_OK;
}

/* generation_config.json when the folder has one (GenerationConfig from the
 * file), else the model config (GenerationConfig.from_model_config). */
static const mn_json *default_value(const mnlp_lm *lm, const char *key)
{
    const mn_json *gen = mn_lm_generation_config(lm);

    if (gen)
        return mn_json_get(gen, key);
    return mn_config_value(mnlp_lm_config(lm), key);
}

static mnlp_status resolve(const mnlp_lm *lm, const mnlp_generate_params *p, int64_t n_input,
                           int64_t *max_new, int64_t *eos, int *n_eos)
{
    const mn_json *v;
    mnlp_status st;

    if (p->do_sample)
        return mn_errorf(MNLP_ERR_UNSUPPORTED, "do_sample: only greedy decoding is supported "
                         "yet");
    *max_new = p->max_new_tokens;
    if (*max_new < 0 && (v = default_value(lm, "max_new_tokens")) && v->is_int)
        *max_new = v->integer;
    if (*max_new < 0) {
        /* GenerationConfig's max_length counts the prompt; its default is 20. */
        v = default_value(lm, "max_length");
        *max_new = (v && v->is_int ? v->integer : 20) - n_input;
        *max_new = *max_new > 0 ? *max_new : 0;
    }
    if (p->n_eos_token_id >= 0) {
        if (p->n_eos_token_id > MAX_EOS || (p->n_eos_token_id && !p->eos_token_id))
            return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "eos_token_id: %d ids",
                             p->n_eos_token_id);
        for (int i = 0; i < p->n_eos_token_id; i++)
            eos[i] = p->eos_token_id[i];
        *n_eos = p->n_eos_token_id;
        return MNLP_OK;
    }
    if ((st = read_eos(default_value(lm, "eos_token_id"), eos, n_eos)))
        return mn_error_prefix(st, "generation defaults: ");
    return MNLP_OK;
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

static bool is_eos(int64_t id, const int64_t *eos, int n_eos)
{
    for (int i = 0; i < n_eos; i++)
        if (eos[i] == id)
            return true;
    return false;
}

mnlp_status mnlp_generate(const mnlp_lm *lm, const int64_t *input_ids, int64_t n_input,
                          const mnlp_generate_params *params, int64_t *output_ids,
                          int64_t *n_output)
{
    int64_t eos[MAX_EOS], max_new = 0, n = n_input;
    int n_eos = 0;
    mnlp_kv_cache *cache = NULL;
    float *logits = NULL;
    mnlp_status st;

    *n_output = 0;
    if (n_input < 1)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "input_ids is empty");
    if ((st = resolve(lm, params, n_input, &max_new, eos, &n_eos)))
        return st;
    for (int64_t i = 0; i < n_input; i++)
        output_ids[i] = input_ids[i];
    if (max_new == 0) {
        *n_output = n_input;
        return MNLP_OK;
    }
    if (!(logits = mn_calloc((size_t)mnlp_lm_vocab_size(lm), sizeof(float))))
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    if ((st = mnlp_kv_cache_create(lm, n_input + max_new, &cache)))
        goto done;
    /* The prompt in one call, then one new token per call. */
    for (int64_t step = 0; step < max_new; step++) {
        int64_t start = step ? n - 1 : 0;
        mnlp_lm_inputs in = {.input_ids = output_ids + start, .batch_size = 1,
                             .seq_len = n - start, .past_key_values = cache,
                             .last_logits_only = true};
        mnlp_lm_outputs out = {.logits = logits};

        if ((st = mnlp_lm_forward(lm, &in, &out)))
            goto done;
        output_ids[n++] = argmax(logits, mnlp_lm_vocab_size(lm));
        if (is_eos(output_ids[n - 1], eos, n_eos))
            break;
    }
    *n_output = n;
done:
    mnlp_kv_cache_free(cache);
    mn_free(logits);
    return st;
}

/* ---- A left-padded batch --------------------------------------------------- */

/* _prepare_special_tokens: pad_token_id from the defaults, else eos[0]. */
static mnlp_status resolve_pad(const mnlp_lm *lm, int64_t pad, const int64_t *eos, int n_eos,
                               int64_t *out)
{
    const mn_json *v = default_value(lm, "pad_token_id");

    *out = pad;
    if (pad >= 0)
        return MNLP_OK;
    if (v && v->type == MN_JSON_NUMBER && v->is_int)
        *out = v->integer;
    else if (n_eos > 0)
        *out = eos[0];
    else
        *out = 0; /* without an eos no row finishes early: never written */
    return MNLP_OK;
}

/* The batch state of _sample's greedy loop, rows of stride `cap`. */
typedef struct batch_run {
    const mnlp_lm *lm;
    int64_t batch, cap, n, pad, *ids, *mask;
    int64_t *step_ids, *step_mask;  /* packed inputs of one call */
    bool *done;
    float *logits;
    mnlp_kv_cache *cache;
} batch_run;

/* One forward over the new columns [start, n) of every row, then each row's
 * argmax appended (pad for finished rows); false when every row is done. */
static mnlp_status batch_step(batch_run *r, int64_t start, const int64_t *eos, int n_eos,
                              bool *more)
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
        int64_t next = r->done[b] ? r->pad : argmax(r->logits + b * vocab, vocab);

        r->ids[b * r->cap + r->n] = next;
        r->mask[b * r->cap + r->n] = 1;
        r->done[b] = r->done[b] || is_eos(next, eos, n_eos);
        *more = *more || !r->done[b];
    }
    if (!st)
        r->n++;
    return st;
}

mnlp_status mnlp_generate_batch(const mnlp_lm *lm, const int64_t *input_ids,
                                const int64_t *attention_mask, int64_t batch_size,
                                int64_t n_input, int64_t pad_token_id,
                                const mnlp_generate_params *params, int64_t *output_ids,
                                int64_t *n_output)
{
    int64_t eos[MAX_EOS], max_new = 0;
    int n_eos = 0;
    batch_run r = {.lm = lm, .batch = batch_size, .n = n_input, .ids = output_ids};
    bool more = true;
    mnlp_status st;

    *n_output = 0;
    if (n_input < 1 || batch_size < 1)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "input_ids is empty");
    if ((st = resolve(lm, params, n_input, &max_new, eos, &n_eos)) ||
        (st = resolve_pad(lm, pad_token_id, eos, n_eos, &r.pad)))
        return st;
    r.cap = n_input + max_new;
    r.mask = mn_malloc(sizeof(int64_t) * (size_t)(batch_size * r.cap));
    r.done = mn_calloc((size_t)batch_size, sizeof(bool));
    r.logits = mn_malloc(sizeof(float) * (size_t)(batch_size * mnlp_lm_vocab_size(lm)));
    r.step_ids = mn_malloc(sizeof(int64_t) * (size_t)(batch_size * n_input));
    r.step_mask = mn_malloc(sizeof(int64_t) * (size_t)(batch_size * r.cap));
    if (!r.mask || !r.done || !r.logits || !r.step_ids || !r.step_mask) {
        st = mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
        goto done;
    }
    /* Rows are laid out with stride cap while generating, packed at the end;
     * the prompt is copied from the last row first, so input_ids may be
     * output_ids. */
    for (int64_t b = batch_size - 1; b >= 0; b--)
        for (int64_t i = n_input - 1; i >= 0; i--) {
            output_ids[b * r.cap + i] = input_ids[b * n_input + i];
            r.mask[b * r.cap + i] = attention_mask ? attention_mask[b * n_input + i] : 1;
        }
    if (max_new > 0 && (st = mnlp_kv_cache_create_batch(lm, batch_size, r.cap, &r.cache)))
        goto done;
    for (int64_t step = 0; step < max_new && more && !st; step++)
        st = batch_step(&r, step ? r.n - 1 : 0, eos, n_eos, &more);
    for (int64_t b = 1; !st && b < batch_size; b++)
        memmove(output_ids + b * r.n, output_ids + b * r.cap, sizeof(int64_t) * (size_t)r.n);
    if (!st)
        *n_output = r.n;
done:
    mnlp_kv_cache_free(r.cache);
    mn_free(r.mask);
    mn_free(r.done);
    mn_free(r.logits);
    mn_free(r.step_ids);
    mn_free(r.step_mask);
    return st;
}
