/*
 * Greedy decoding with transformers' generate() semantics: defaults from
 * generation_config.json (else config.json), the prompt run once, then one
 * position per step over the KV cache, stopping after an eos_token_id or
 * max_new_tokens.
 */
#include "models/lm.h"

#include "mnlp/lm.h"

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
