/*
 * The causal LM API: loading through validation, the KV cache with the
 * working memory of a forward call, and the forward itself, which hands one
 * chunk of positions to the architecture's forward.
 */
#include "models/lm.h"

#include "mnlp/lm.h"
#include "mnlp/model.h"

#include <string.h>

struct mnlp_lm {
    mnlp_config *config;
    mnlp_checkpoint *ckpt;
    const mn_lm_ops *ops;
    void *model;
    mn_lm_dims dims;
    mn_json_doc *generation_config; /* NULL without generation_config.json */
};

struct mnlp_kv_cache {
    const mnlp_lm *lm;
    int64_t max_length, length;
    mn_tensor **keys, **values;     /* per layer [max_length, kv_width] */
    /* Working memory for calls of up to cap positions, grown on demand. */
    int64_t cap;
    mn_tensor *scratch[MN_LM_MAX_SCRATCH], *cos, *sin, *ids, *logits;
    float *host_cos, *host_sin, *host_freq;
    int64_t *positions;
};

/* ---- Loading ---------------------------------------------------------- */

/* The first validation problem as the error, so a caller sees why. */
static mnlp_status validate(const mnlp_lm *lm)
{
    mnlp_report *report = NULL;
    mnlp_status st = mnlp_model_validate(lm->config, lm->ckpt, &report);

    if (st == MNLP_OK && mnlp_report_count(report) > 0)
        st = mn_errorf(MNLP_ERR_UNSUPPORTED, "%s (and %zu more problems)",
                       mnlp_report_item(report, 0), mnlp_report_count(report) - 1);
    mnlp_report_free(report);
    return st;
}

mnlp_status mnlp_lm_load(const char *model, const char *revision, mnlp_lm **out)
{
    mnlp_model_location loc;
    mnlp_lm *lm = mn_calloc(1, sizeof *lm);
    const mn_arch *arch;
    mnlp_status st;

    *out = NULL;
    if (!lm)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    if ((st = mnlp_model_locate(model, revision, &loc)) ||
        (st = mnlp_config_load(loc.path, &lm->config)) ||
        (st = mnlp_checkpoint_open(loc.path, &lm->ckpt)) || (st = validate(lm)) ||
        (st = mn_generation_config_load(loc.path, &lm->generation_config)))
        goto fail;
    arch = mn_arch_find(mnlp_config_model_type(lm->config));
    if (!arch || !arch->causal_lm) {
        st = mn_errorf(MNLP_ERR_UNSUPPORTED, "model_type \"%s\" has no causal LM forward yet",
                       mnlp_config_model_type(lm->config));
        goto fail;
    }
    lm->ops = arch->causal_lm;
    if ((st = lm->ops->load(lm->config, lm->ckpt, &lm->model, &lm->dims)))
        goto fail;
    mn_info("loaded %s (%s, %lld layers) from %s", mnlp_config_architecture(lm->config),
            mnlp_config_model_type(lm->config), (long long)lm->dims.num_hidden_layers,
            loc.path);
    *out = lm;
    return MNLP_OK;
fail:
    mnlp_lm_free(lm);
    return st;
}

void mnlp_lm_free(mnlp_lm *lm)
{
    if (!lm)
        return;
    if (lm->model)
        lm->ops->free(lm->model);
    mn_json_free(lm->generation_config);
    mnlp_checkpoint_free(lm->ckpt);
    mnlp_config_free(lm->config);
    mn_free(lm);
}

int64_t mnlp_lm_vocab_size(const mnlp_lm *lm)
{
    return lm->dims.vocab_size;
}

int64_t mnlp_lm_hidden_size(const mnlp_lm *lm)
{
    return lm->dims.hidden_size;
}

int64_t mnlp_lm_num_hidden_layers(const mnlp_lm *lm)
{
    return lm->dims.num_hidden_layers;
}

const mnlp_config *mnlp_lm_config(const mnlp_lm *lm)
{
    return lm->config;
}

const mn_json *mn_lm_generation_config(const mnlp_lm *lm)
{
    return lm->generation_config ? mn_json_root(lm->generation_config) : NULL;
}

/* ---- past_key_values --------------------------------------------------- */

static void free_work(mnlp_kv_cache *c)
{
    for (int i = 0; i < MN_LM_MAX_SCRATCH; i++)
        mn_tensor_free(c->scratch[i]);
    mn_tensor_free(c->cos);
    mn_tensor_free(c->sin);
    mn_tensor_free(c->ids);
    mn_tensor_free(c->logits);
    mn_free(c->host_cos);
    mn_free(c->host_sin);
    mn_free(c->host_freq);
    mn_free(c->positions);
    memset(c->scratch, 0, sizeof c->scratch);
    c->cos = c->sin = c->ids = c->logits = NULL;
    c->host_cos = c->host_sin = c->host_freq = NULL;
    c->positions = NULL;
    c->cap = 0;
}

/* Working memory for calls of n positions; only a longer call than any
 * before allocates. */
static mnlp_status reserve(mnlp_kv_cache *c, int64_t n)
{
    const mn_lm_dims *d = &c->lm->dims;
    const mn_backend *be = mn_backend_cpu();
    size_t table = (size_t)(n * d->rope_dim);
    mnlp_status st = MNLP_OK;

    if (n <= c->cap)
        return MNLP_OK;
    free_work(c);
    for (int i = 0; i < d->n_scratch && !st; i++)
        st = mn_tensor_new(be, MNLP_DTYPE_F32, 2, (int64_t[]){n, d->scratch_cols[i]},
                           &c->scratch[i]);
    if (st || (st = mn_tensor_new(be, MNLP_DTYPE_F32, 2, (int64_t[]){n, d->rope_dim}, &c->cos)) ||
        (st = mn_tensor_new(be, MNLP_DTYPE_F32, 2, (int64_t[]){n, d->rope_dim}, &c->sin)) ||
        (st = mn_tensor_new(be, MNLP_DTYPE_I64, 1, &n, &c->ids)) ||
        (st = mn_tensor_new(be, MNLP_DTYPE_F32, 2, (int64_t[]){n, d->vocab_size}, &c->logits)))
        goto fail;
    c->host_cos = mn_calloc(table, sizeof(float));
    c->host_sin = mn_calloc(table, sizeof(float));
    c->host_freq = mn_calloc((size_t)d->rope_dim / 2 + 1, sizeof(float));
    c->positions = mn_calloc((size_t)n, sizeof(int64_t));
    if (!c->host_cos || !c->host_sin || !c->host_freq || !c->positions) {
        st = mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
        goto fail;
    }
    c->cap = n;
    return MNLP_OK;
fail:
    free_work(c);
    return st;
}

mnlp_status mnlp_kv_cache_create(const mnlp_lm *lm, int64_t max_length, mnlp_kv_cache **out)
{
    const mn_lm_dims *d = &lm->dims;
    mnlp_kv_cache *c;
    mnlp_status st = MNLP_OK;

    *out = NULL;
    if (max_length < 1)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "max_length %lld is not positive",
                         (long long)max_length);
    if (!(c = mn_calloc(1, sizeof *c)) || !(c->keys = mn_calloc((size_t)d->num_hidden_layers, sizeof *c->keys)) ||
        !(c->values = mn_calloc((size_t)d->num_hidden_layers, sizeof *c->values))) {
        mnlp_kv_cache_free(c);
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    }
    c->lm = lm;
    c->max_length = max_length;
    for (int64_t i = 0; i < d->num_hidden_layers && !st; i++)
        if (!(st = mn_tensor_new(mn_backend_cpu(), MNLP_DTYPE_F32, 2,
                                 (int64_t[]){max_length, d->kv_width}, &c->keys[i])))
            st = mn_tensor_new(mn_backend_cpu(), MNLP_DTYPE_F32, 2,
                               (int64_t[]){max_length, d->kv_width}, &c->values[i]);
    if (st) {
        mnlp_kv_cache_free(c);
        return mn_error_prefix(st, "past_key_values of %lld positions: ",
                               (long long)max_length);
    }
    *out = c;
    return MNLP_OK;
}

void mnlp_kv_cache_free(mnlp_kv_cache *c)
{
    if (!c)
        return;
    for (int64_t i = 0; c->lm && i < c->lm->dims.num_hidden_layers; i++) {
        mn_tensor_free(c->keys[i]);
        mn_tensor_free(c->values[i]);
    }
    free_work(c);
    mn_free(c->keys);
    mn_free(c->values);
    mn_free(c);
}

int64_t mnlp_kv_cache_length(const mnlp_kv_cache *c)
{
    return c->length;
}

void mnlp_kv_cache_reset(mnlp_kv_cache *c)
{
    c->length = 0;
}

/* ---- Forward ------------------------------------------------------------ */

static mnlp_status check_inputs(const mnlp_lm_inputs *in, const mnlp_lm_outputs *out)
{
    if (!in->input_ids || !out->logits)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "input_ids and logits are required");
    /* TODO: batches (padding through attention_mask) come with batched caches. */
    if (in->batch_size != 1)
        return mn_errorf(MNLP_ERR_UNSUPPORTED, "batch_size %lld: only 1 is supported yet",
                         (long long)in->batch_size);
    if (in->seq_len < 1)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "seq_len %lld is not positive",
                         (long long)in->seq_len);
    return MNLP_OK;
}

static mnlp_status check_mask(const mnlp_lm_inputs *in, int64_t past)
{
    for (int64_t i = 0; in->attention_mask && i < past + in->seq_len; i++)
        if (in->attention_mask[i] != 1)
            return mn_errorf(MNLP_ERR_UNSUPPORTED, "attention_mask[0][%lld] is %lld: padding "
                             "is not supported yet", (long long)i,
                             (long long)in->attention_mask[i]);
    return MNLP_OK;
}

static mnlp_status run_chunk(mnlp_kv_cache *c, const mnlp_lm_inputs *in,
                             const mnlp_lm_outputs *out)
{
    const mnlp_lm *lm = c->lm;
    int64_t n = in->seq_len, n_logits = in->last_logits_only ? 1 : n;
    mn_tensor scratch[MN_LM_MAX_SCRATCH], *scratch_p[MN_LM_MAX_SCRATCH], cos, sin, ids, logits;
    mn_lm_chunk chunk;
    mnlp_status st;

    if (n > c->max_length - c->length)
        return mn_errorf(MNLP_ERR_LIMIT, "past_key_values holds %lld positions; %lld more do "
                         "not fit in its %lld", (long long)c->length, (long long)n,
                         (long long)c->max_length);
    if ((st = reserve(c, n)))
        return st;
    for (int64_t i = 0; i < n; i++)
        c->positions[i] = in->position_ids ? in->position_ids[i] : c->length + i;
    for (int i = 0; i < lm->dims.n_scratch && !st; i++) {
        st = mn_tensor_rows(c->scratch[i], 0, n, 0, NULL, &scratch[i]);
        scratch_p[i] = &scratch[i];
    }
    if (st || (st = mn_tensor_rows(c->cos, 0, n, 0, NULL, &cos)) ||
        (st = mn_tensor_rows(c->sin, 0, n, 0, NULL, &sin)) ||
        (st = mn_tensor_rows(c->ids, 0, n, 0, NULL, &ids)) ||
        (st = mn_tensor_rows(c->logits, 0, n_logits, 0, NULL, &logits)) ||
        (st = mn_tensor_write(&ids, in->input_ids, sizeof(int64_t) * (size_t)n)))
        return st;
    chunk = (mn_lm_chunk){
        .n = n, .past = c->length, .position_ids = c->positions, .input_ids = &ids,
        .key_cache = c->keys, .value_cache = c->values, .scratch = scratch_p,
        .cos = &cos, .sin = &sin, .host_cos = c->host_cos, .host_sin = c->host_sin,
        .host_freq = c->host_freq, .logits = &logits, .hidden_states = out->hidden_states,
    };
    if ((st = lm->ops->forward(lm->model, &chunk)) ||
        (st = mn_tensor_read(&logits, out->logits, mn_tensor_nbytes(&logits))))
        return st;
    c->length += n;
    return MNLP_OK;
}

mnlp_status mnlp_lm_forward(const mnlp_lm *lm, const mnlp_lm_inputs *in,
                            mnlp_lm_outputs *out)
{
    mnlp_kv_cache *cache = in->past_key_values, *own = NULL;
    mnlp_status st;

    if ((st = check_inputs(in, out)))
        return st;
    if (cache && cache->lm != lm)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "past_key_values belongs to another model");
    if ((st = check_mask(in, cache ? cache->length : 0)))
        return st;
    /* use_cache=False still needs the keys and values of this call. */
    if (!cache && (st = mnlp_kv_cache_create(lm, in->seq_len, &own)))
        return st;
    st = run_chunk(cache ? cache : own, in, out);
    mnlp_kv_cache_free(own);
    return st;
}
