/*
 * The causal LM API: loading through validation, the KV cache with the
 * working memory of a forward call, and the forward itself, which hands one
 * chunk of positions to the architecture's forward.
 */
#include "models/lm.h"

#include "mnlp/lm.h"
#include "mnlp/model.h"

#include <math.h>
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
    int64_t batch_size, max_length, length;
    /* Per layer [batch_size * max_length, kv_width]: row b's positions are
     * rows b * max_length.. of each tensor. */
    mn_tensor **keys, **values;
    /* Per layer, views of the row being run, as the architecture sees them. */
    mn_tensor *row_keys, *row_values, **row_key_p, **row_value_p;
    /* Working memory for calls of up to cap positions, grown on demand. */
    int64_t cap;
    mn_tensor *scratch[MN_LM_MAX_SCRATCH], *cos, *sin, *ids, *logits;
    mn_tensor *mask, *sliding;      /* [cap * max_length], viewed as [n, past + n] */
    float *host_cos, *host_sin, *host_freq, *host_mask, *host_sliding;
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
    mn_tensor_free(c->mask);
    mn_tensor_free(c->sliding);
    mn_free(c->host_cos);
    mn_free(c->host_sin);
    mn_free(c->host_freq);
    mn_free(c->host_mask);
    mn_free(c->host_sliding);
    mn_free(c->positions);
    memset(c->scratch, 0, sizeof c->scratch);
    c->cos = c->sin = c->ids = c->logits = c->mask = c->sliding = NULL;
    c->host_cos = c->host_sin = c->host_freq = c->host_mask = c->host_sliding = NULL;
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
    int64_t mask_len = n * c->max_length;
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
        (st = mn_tensor_new(be, MNLP_DTYPE_F32, 2, (int64_t[]){n, d->vocab_size}, &c->logits)) ||
        (st = mn_tensor_new(be, MNLP_DTYPE_F32, 1, &mask_len, &c->mask)) ||
        (st = mn_tensor_new(be, MNLP_DTYPE_F32, 1, &mask_len, &c->sliding)))
        goto fail;
    c->host_cos = mn_calloc(table, sizeof(float));
    c->host_sin = mn_calloc(table, sizeof(float));
    c->host_freq = mn_calloc((size_t)d->rope_dim / 2 + 1, sizeof(float));
    c->host_mask = mn_calloc((size_t)mask_len, sizeof(float));
    c->host_sliding = mn_calloc((size_t)mask_len, sizeof(float));
    c->positions = mn_calloc((size_t)n, sizeof(int64_t));
    if (!c->host_cos || !c->host_sin || !c->host_freq || !c->host_mask || !c->host_sliding ||
        !c->positions) {
        st = mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
        goto fail;
    }
    c->cap = n;
    return MNLP_OK;
fail:
    free_work(c);
    return st;
}

static mnlp_status alloc_layers(mnlp_kv_cache *c)
{
    size_t layers = (size_t)c->lm->dims.num_hidden_layers;

    if (!(c->keys = mn_calloc(layers, sizeof *c->keys)) ||
        !(c->values = mn_calloc(layers, sizeof *c->values)) ||
        !(c->row_keys = mn_calloc(layers, sizeof *c->row_keys)) ||
        !(c->row_values = mn_calloc(layers, sizeof *c->row_values)) ||
        !(c->row_key_p = mn_calloc(layers, sizeof *c->row_key_p)) ||
        !(c->row_value_p = mn_calloc(layers, sizeof *c->row_value_p)))
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    for (size_t i = 0; i < layers; i++) {
        c->row_key_p[i] = &c->row_keys[i];
        c->row_value_p[i] = &c->row_values[i];
    }
    return MNLP_OK;
}

mnlp_status mnlp_kv_cache_create_batch(const mnlp_lm *lm, int64_t batch_size,
                                       int64_t max_length, mnlp_kv_cache **out)
{
    const mn_lm_dims *d = &lm->dims;
    int64_t rows = batch_size * max_length;
    mnlp_kv_cache *c;
    mnlp_status st = MNLP_OK;

    *out = NULL;
    if (max_length < 1 || batch_size < 1 || max_length > INT64_MAX / batch_size)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "past_key_values of batch_size %lld and "
                         "max_length %lld: both must be positive", (long long)batch_size,
                         (long long)max_length);
    if (!(c = mn_calloc(1, sizeof *c)))
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    c->lm = lm;
    c->batch_size = batch_size;
    c->max_length = max_length;
    st = alloc_layers(c);
    for (int64_t i = 0; i < d->num_hidden_layers && !st; i++)
        if (!(st = mn_tensor_new(mn_backend_cpu(), MNLP_DTYPE_F32, 2,
                                 (int64_t[]){rows, d->kv_width}, &c->keys[i])))
            st = mn_tensor_new(mn_backend_cpu(), MNLP_DTYPE_F32, 2,
                               (int64_t[]){rows, d->kv_width}, &c->values[i]);
    if (st) {
        mnlp_kv_cache_free(c);
        return mn_error_prefix(st, "past_key_values of %lld x %lld positions",
                               (long long)batch_size, (long long)max_length);
    }
    *out = c;
    return MNLP_OK;
}

mnlp_status mnlp_kv_cache_create(const mnlp_lm *lm, int64_t max_length, mnlp_kv_cache **out)
{
    return mnlp_kv_cache_create_batch(lm, 1, max_length, out);
}

void mnlp_kv_cache_free(mnlp_kv_cache *c)
{
    if (!c)
        return;
    for (int64_t i = 0; c->keys && c->values && i < c->lm->dims.num_hidden_layers; i++) {
        mn_tensor_free(c->keys[i]);
        mn_tensor_free(c->values[i]);
    }
    free_work(c);
    mn_free(c->keys);
    mn_free(c->values);
    mn_free(c->row_keys);
    mn_free(c->row_values);
    mn_free(c->row_key_p);
    mn_free(c->row_value_p);
    mn_free(c);
}

int64_t mnlp_kv_cache_length(const mnlp_kv_cache *c)
{
    return c->length;
}

int64_t mnlp_kv_cache_batch_size(const mnlp_kv_cache *c)
{
    return c->batch_size;
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
    if (in->batch_size < 1)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "batch_size %lld is not positive",
                         (long long)in->batch_size);
    if (in->seq_len < 1)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "seq_len %lld is not positive",
                         (long long)in->seq_len);
    return MNLP_OK;
}

/* attention_mask holds 0 and 1 only; padding needs an architecture that
 * applies the mask. */
static mnlp_status check_mask(const mnlp_lm *lm, const mnlp_lm_inputs *in, int64_t past)
{
    int64_t width = past + in->seq_len;

    for (int64_t b = 0; in->attention_mask && b < in->batch_size; b++)
        for (int64_t i = 0; i < width; i++) {
            int64_t v = in->attention_mask[b * width + i];

            if (v != 0 && v != 1)
                return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "attention_mask[%lld][%lld] is "
                                 "%lld, not 0 or 1", (long long)b, (long long)i, (long long)v);
            if (v == 0 && !lm->ops->attention_mask)
                return mn_errorf(MNLP_ERR_UNSUPPORTED, "attention_mask[%lld][%lld] is 0: "
                                 "padding is not supported for %s yet", (long long)b,
                                 (long long)i, mnlp_config_model_type(lm->config));
        }
    return MNLP_OK;
}

/*
 * The position ids of row b: the caller's, else derived from
 * attention_mask as generate() derives them (cumsum - 1, and 1 at padding),
 * else past, past + 1, ...
 */
static void row_positions(mnlp_kv_cache *c, const mnlp_lm_inputs *in, int64_t b)
{
    int64_t n = in->seq_len, width = c->length + n, sum = 0;
    const int64_t *m = in->attention_mask ? in->attention_mask + b * width : NULL;

    for (int64_t i = 0; i < width; i++) {
        int64_t pos = i;

        if (m) {
            sum += m[i];
            pos = m[i] ? sum - 1 : 1;
        }
        if (i >= c->length)
            c->positions[i - c->length] = in->position_ids ? in->position_ids[b * n + i -
                                                                              c->length]
                                                           : pos;
    }
}

/*
 * The additive masks of row b as transformers' _update_causal_mask builds
 * them (finfo.min there, -inf here: both give a zero weight): padded keys
 * hidden everywhere; in sliding layers also keys at cache positions
 * <= query position - sliding_window. NULL when a mask hides nothing.
 */
static mnlp_status row_masks(mnlp_kv_cache *c, const mnlp_lm_inputs *in, int64_t b,
                             mn_tensor *mask, mn_tensor *sliding, mn_lm_chunk *chunk)
{
    int64_t n = in->seq_len, past = c->length, width = past + n;
    int64_t window = c->lm->dims.sliding_window;
    const int64_t *m = in->attention_mask ? in->attention_mask + b * width : NULL;
    bool padded = false, slides = window > 0 && past + n - 1 >= window;
    size_t bytes = sizeof(float) * (size_t)(n * width);
    mnlp_status st;

    for (int64_t j = 0; m && j < width; j++)
        padded = padded || m[j] == 0;
    for (int64_t t = 0; t < n; t++)
        for (int64_t j = 0; j < width; j++) {
            float pad = m && m[j] == 0 ? -INFINITY : 0.0f;

            c->host_mask[t * width + j] = pad;
            if (slides)
                c->host_sliding[t * width + j] = j <= past + t - window ? -INFINITY : pad;
        }
    chunk->mask = chunk->sliding_mask = NULL;
    if (padded) {
        if ((st = mn_tensor_rows(c->mask, 0, n * width, 2, (int64_t[]){n, width}, mask)) ||
            (st = mn_tensor_write(mask, c->host_mask, bytes)))
            return st;
        chunk->mask = chunk->sliding_mask = mask;
    }
    if (slides) {
        if ((st = mn_tensor_rows(c->sliding, 0, n * width, 2, (int64_t[]){n, width},
                                 sliding)) ||
            (st = mn_tensor_write(sliding, c->host_sliding, bytes)))
            return st;
        chunk->sliding_mask = sliding;
    }
    return MNLP_OK;
}

/* Point the chunk's caches at row b's positions. */
static mnlp_status row_caches(mnlp_kv_cache *c, int64_t b)
{
    mnlp_status st = MNLP_OK;

    for (int64_t i = 0; i < c->lm->dims.num_hidden_layers && !st; i++)
        if (!(st = mn_tensor_rows(c->keys[i], b * c->max_length, c->max_length, 0, NULL,
                                  &c->row_keys[i])))
            st = mn_tensor_rows(c->values[i], b * c->max_length, c->max_length, 0, NULL,
                                &c->row_values[i]);
    return st;
}

/* Row b's hidden states [layers + 1, n, hidden] into the caller's
 * [layers + 1, batch_size, n, hidden]. */
static void scatter_hidden(const mnlp_lm *lm, const float *row, int64_t b, int64_t batch,
                           int64_t n, float *out)
{
    size_t block = (size_t)(n * lm->dims.hidden_size);

    for (int64_t l = 0; l <= lm->dims.num_hidden_layers; l++)
        memcpy(out + ((size_t)l * (size_t)batch + (size_t)b) * block, row + (size_t)l * block,
               sizeof(float) * block);
}

typedef struct call_views {
    mn_tensor scratch[MN_LM_MAX_SCRATCH], *scratch_p[MN_LM_MAX_SCRATCH];
    mn_tensor cos, sin, ids, logits, mask, sliding;
} call_views;

static mnlp_status make_views(mnlp_kv_cache *c, int64_t n, int64_t n_logits, call_views *v)
{
    mnlp_status st = MNLP_OK;

    for (int i = 0; i < c->lm->dims.n_scratch && !st; i++) {
        st = mn_tensor_rows(c->scratch[i], 0, n, 0, NULL, &v->scratch[i]);
        v->scratch_p[i] = &v->scratch[i];
    }
    if (st || (st = mn_tensor_rows(c->cos, 0, n, 0, NULL, &v->cos)) ||
        (st = mn_tensor_rows(c->sin, 0, n, 0, NULL, &v->sin)) ||
        (st = mn_tensor_rows(c->ids, 0, n, 0, NULL, &v->ids)))
        return st;
    return mn_tensor_rows(c->logits, 0, n_logits, 0, NULL, &v->logits);
}

/* One row of the batch through the architecture's forward. */
static mnlp_status run_row(mnlp_kv_cache *c, const mnlp_lm_inputs *in, int64_t b,
                           int64_t seq_len, call_views *v, float *hidden, float *logits)
{
    const mnlp_lm *lm = c->lm;
    int64_t n = in->seq_len;
    mn_lm_chunk chunk;
    mnlp_status st;

    row_positions(c, in, b);
    chunk = (mn_lm_chunk){
        .n = n, .past = c->length, .position_ids = c->positions, .rope_seq_len = seq_len,
        .input_ids = &v->ids,
        .key_cache = c->row_key_p, .value_cache = c->row_value_p, .scratch = v->scratch_p,
        .cos = &v->cos, .sin = &v->sin, .host_cos = c->host_cos, .host_sin = c->host_sin,
        .host_freq = c->host_freq, .logits = &v->logits, .hidden_states = hidden,
    };
    if ((st = row_caches(c, b)) || (st = row_masks(c, in, b, &v->mask, &v->sliding, &chunk)) ||
        (st = mn_tensor_write(&v->ids, in->input_ids + b * n, sizeof(int64_t) * (size_t)n)) ||
        (st = lm->ops->forward(lm->model, &chunk)))
        return in->batch_size > 1 ? mn_error_prefix(st, "batch row %lld", (long long)b) : st;
    return mn_tensor_read(&v->logits, logits, mn_tensor_nbytes(&v->logits));
}

/*
 * The rows of a batch one after another over their own cache rows: the
 * result of each row is what it gives alone, as in transformers up to
 * float rounding, and decoding one token per row allocates nothing.
 */
static mnlp_status run_batch(mnlp_kv_cache *c, const mnlp_lm_inputs *in,
                             const mnlp_lm_outputs *out)
{
    const mnlp_lm *lm = c->lm;
    int64_t n = in->seq_len, n_logits = in->last_logits_only ? 1 : n, batch = in->batch_size;
    size_t hidden_row = (size_t)((lm->dims.num_hidden_layers + 1) * n * lm->dims.hidden_size);
    float *hidden = NULL;
    int64_t seq_len = 0;
    call_views v;
    mnlp_status st;

    if (n > c->max_length - c->length)
        return mn_errorf(MNLP_ERR_LIMIT, "past_key_values holds %lld positions; %lld more do "
                         "not fit in its %lld", (long long)c->length, (long long)n,
                         (long long)c->max_length);
    if ((st = reserve(c, n)) || (st = make_views(c, n, n_logits, &v)))
        return st;
    /* Rows after the first write their hidden states through a copy. */
    if (out->hidden_states && batch > 1 && !(hidden = mn_malloc(sizeof(float) * hidden_row)))
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    for (int64_t b = 0; b < batch; b++) {
        row_positions(c, in, b);
        for (int64_t t = 0; t < n; t++)
            seq_len = c->positions[t] + 1 > seq_len ? c->positions[t] + 1 : seq_len;
    }
    for (int64_t b = 0; b < batch && !st; b++) {
        float *logits = out->logits + (size_t)(b * n_logits * lm->dims.vocab_size);

        st = run_row(c, in, b, seq_len, &v, batch > 1 ? hidden : out->hidden_states, logits);
        if (!st && hidden)
            scatter_hidden(lm, hidden, b, batch, n, out->hidden_states);
    }
    mn_free(hidden);
    if (!st)
        c->length += n;
    return st;
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
    if (cache && cache->batch_size != in->batch_size)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "batch_size %lld differs from "
                         "past_key_values' %lld", (long long)in->batch_size,
                         (long long)cache->batch_size);
    if ((st = check_mask(lm, in, cache ? cache->length : 0)))
        return st;
    /* use_cache=False still needs the keys and values of this call. */
    if (!cache && (st = mnlp_kv_cache_create_batch(lm, in->batch_size, in->seq_len, &own)))
        return st;
    st = run_batch(cache ? cache : own, in, out);
    mnlp_kv_cache_free(own);
    return st;
}
