/*
 * The rotary embedding of transformers 4.47 (modeling_rope_utils.py and
 * LlamaRotaryEmbedding). transformers computes the inverse frequencies and
 * the angles in float32 even when the model runs in float64, so they are
 * computed in float here too, one rounding per torch operation.
 */
#include "nn/nn.h"

#include <math.h>
#include <string.h>

#define PI 3.14159265358979323846

static const struct {
    const char *name;
    mn_rope_type type;
} rope_types[] = {
    {"default", MN_ROPE_DEFAULT}, {"linear", MN_ROPE_LINEAR}, {"dynamic", MN_ROPE_DYNAMIC},
    {"yarn", MN_ROPE_YARN},       {"longrope", MN_ROPE_LONGROPE}, {"llama3", MN_ROPE_LLAMA3},
};

/* base ** (arange(0, dim, 2) / dim), as float32 tensors compute it. */
static float base_power(float base, int64_t i, int64_t dim)
{
    float e = (float)(2 * i) / (float)dim;

    return (float)pow((double)base, (double)e);
}

static void default_inv_freq(float base, int64_t dim, float *inv)
{
    for (int64_t i = 0; i < dim / 2; i++)
        inv[i] = 1.0f / base_power(base, i, dim);
}

/* A number in rope_scaling; absent (or null) gives fallback. */
static mnlp_status scaling_number(const mnlp_config *c, const mn_json *rs, const char *key,
                                  bool required, double fallback, double *out)
{
    const mn_json *v = mn_json_get(rs, key);

    *out = fallback;
    if (!v || v->type == MN_JSON_NULL) {
        if (required)
            return mn_errorf(MNLP_ERR_UNSUPPORTED, "%s: rope_scaling lacks \"%s\"",
                             mn_config_name(c), key);
        return MNLP_OK;
    }
    if (v->type != MN_JSON_NUMBER)
        return mn_errorf(MNLP_ERR_UNSUPPORTED, "%s: rope_scaling.%s is not a number",
                         mn_config_name(c), key);
    *out = v->number;
    return MNLP_OK;
}

/* _compute_yarn_parameters: interpolated frequencies blended into the
 * original ones over a ramp of dims, and a larger attention factor. */
static mnlp_status yarn(mn_rope *r, const mnlp_config *c, const mn_json *rs)
{
    double att, beta_fast, beta_slow, low, high;
    int64_t half = r->dim / 2;
    mnlp_status st;

    if ((st = scaling_number(c, rs, "attention_factor", false, 0.1 * log(r->factor) + 1.0,
                             &att)) ||
        (st = scaling_number(c, rs, "beta_fast", false, 32, &beta_fast)) ||
        (st = scaling_number(c, rs, "beta_slow", false, 1, &beta_slow)))
        return st;
    /* transformers writes `get("beta_fast") or 32`: a zero means the default. */
    beta_fast = beta_fast ? beta_fast : 32;
    beta_slow = beta_slow ? beta_slow : 1;
    low = floor(r->dim * log(r->max_position_embeddings / (beta_fast * 2 * PI)) /
                (2 * log(r->theta)));
    high = ceil(r->dim * log(r->max_position_embeddings / (beta_slow * 2 * PI)) /
                (2 * log(r->theta)));
    low = low > 0 ? low : 0;
    high = high < r->dim - 1 ? high : (double)(r->dim - 1);
    if (low == high)
        high += 0.001;
    for (int64_t i = 0; i < half; i++) {
        float pos = base_power((float)r->theta, i, r->dim);
        float ramp = ((float)i - (float)low) / (float)(high - low);
        float extra;

        ramp = ramp < 0 ? 0 : ramp > 1 ? 1 : ramp;
        extra = 1.0f - ramp;
        r->inv_freq[i] = 1.0f / ((float)r->factor * pos) * (1.0f - extra) + 1.0f / pos * extra;
    }
    r->attention_factor = (float)att;
    return MNLP_OK;
}

/* _compute_llama3_parameters: long wavelengths divided by factor, short
 * ones kept, the band between smoothly interpolated. */
static mnlp_status llama3(mn_rope *r, const mnlp_config *c, const mn_json *rs)
{
    double low_f, high_f, old;
    mnlp_status st;

    if ((st = scaling_number(c, rs, "low_freq_factor", true, 0, &low_f)) ||
        (st = scaling_number(c, rs, "high_freq_factor", true, 0, &high_f)) ||
        (st = scaling_number(c, rs, "original_max_position_embeddings", true, 0, &old)))
        return st;
    if (low_f == high_f)
        return mn_errorf(MNLP_ERR_UNSUPPORTED, "%s: rope_scaling low_freq_factor equals "
                         "high_freq_factor", mn_config_name(c));
    for (int64_t i = 0; i < r->dim / 2; i++) {
        float inv = r->inv_freq[i], wavelen = (float)(2 * PI) / inv;
        float scaled = wavelen > (float)(old / low_f) ? inv / (float)r->factor : inv;
        float smooth = ((float)old / wavelen - (float)low_f) / (float)(high_f - low_f);

        if (!(wavelen < (float)(old / high_f)) && !(wavelen > (float)(old / low_f)))
            scaled = (1.0f - smooth) * scaled / (float)r->factor + smooth * scaled;
        r->inv_freq[i] = scaled;
    }
    return MNLP_OK;
}

/* _compute_longrope_parameters as LlamaRotaryEmbedding calls it: once, at
 * load, so the long factors apply whenever the context was extended. */
static mnlp_status longrope(mn_rope *r, const mnlp_config *c, const mn_json *rs)
{
    const char *which = "short_factor";
    double orig = 0, att;
    const mn_json *factors, *att_json = mn_json_get(rs, "attention_factor");
    mnlp_status st;

    /* An original_max_position_embeddings attribute (Phi-3 style) sets the
     * factor from the two lengths; without one rope_scaling.factor does. */
    if (mnlp_config_get_float(c, "original_max_position_embeddings", &orig) == MNLP_OK &&
        orig > 0) {
        r->factor = (double)r->max_position_embeddings / orig;
    } else {
        orig = (double)r->max_position_embeddings;
        if ((st = scaling_number(c, rs, "factor", true, 0, &r->factor)))
            return st;
    }
    if (r->factor > 1.0)
        which = "long_factor";
    factors = mn_json_get(rs, which);
    if (!factors || factors->type != MN_JSON_ARRAY || (int64_t)factors->len != r->dim / 2)
        return mn_errorf(MNLP_ERR_UNSUPPORTED, "%s: rope_scaling.%s must list %lld numbers",
                         mn_config_name(c), which, (long long)(r->dim / 2));
    for (int64_t i = 0; i < r->dim / 2; i++) {
        if (factors->items[i].type != MN_JSON_NUMBER)
            return mn_errorf(MNLP_ERR_UNSUPPORTED, "%s: rope_scaling.%s[%lld] is not a number",
                             mn_config_name(c), which, (long long)i);
        r->inv_freq[i] = 1.0f / ((float)factors->items[i].number *
                                 base_power((float)r->theta, i, r->dim));
    }
    att = r->factor <= 1.0 ? 1.0 : sqrt(1 + log(r->factor) / log(orig));
    if (att_json && att_json->type == MN_JSON_NUMBER)
        att = att_json->number;
    r->attention_factor = (float)att;
    return MNLP_OK;
}

static mnlp_status read_type(const mnlp_config *c, const mn_json *rs, mn_rope_type *out)
{
    /* LlamaConfig copies a legacy "type" over "rope_type". */
    const mn_json *t = mn_json_get(rs, "type");

    if (!t)
        t = mn_json_get(rs, "rope_type");
    if (!t)
        return mn_errorf(MNLP_ERR_UNSUPPORTED, "%s: rope_scaling has no rope_type",
                         mn_config_name(c));
    for (int i = 0; t->type == MN_JSON_STRING && i < MN_COUNT(rope_types); i++) {
        if (strcmp(t->str, rope_types[i].name) == 0) {
            *out = rope_types[i].type;
            return MNLP_OK;
        }
    }
    return mn_errorf(MNLP_ERR_UNSUPPORTED, "%s: rope_scaling.rope_type is not one of default, "
                     "linear, dynamic, yarn, longrope, llama3", mn_config_name(c));
}

static mnlp_status scale(mn_rope *r, const mnlp_config *c, const mn_json *rs)
{
    mnlp_status st;

    if ((st = read_type(c, rs, &r->type)))
        return st;
    if (r->type != MN_ROPE_DEFAULT && r->type != MN_ROPE_LONGROPE &&
        (st = scaling_number(c, rs, "factor", true, 1, &r->factor)))
        return st;
    switch (r->type) {
    case MN_ROPE_DEFAULT:
    case MN_ROPE_DYNAMIC: return MNLP_OK; /* dynamic equals default up to max positions */
    case MN_ROPE_LINEAR:
        for (int64_t i = 0; i < r->dim / 2; i++)
            r->inv_freq[i] /= (float)r->factor;
        return MNLP_OK;
    case MN_ROPE_YARN: return yarn(r, c, rs);
    case MN_ROPE_LONGROPE: return longrope(r, c, rs);
    case MN_ROPE_LLAMA3: return llama3(r, c, rs);
    }
    return MNLP_OK;
}

mnlp_status mn_rope_init(mn_rope *r, const mnlp_config *c, int64_t dim)
{
    const mn_json *rs = mn_config_value(c, "rope_scaling");
    mnlp_status st;

    *r = (mn_rope){.type = MN_ROPE_DEFAULT, .dim = dim, .factor = 1, .attention_factor = 1};
    if (dim < 2 || dim % 2)
        return mn_errorf(MNLP_ERR_UNSUPPORTED, "%s: rotary dims %lld are not a positive even "
                         "number", mn_config_name(c), (long long)dim);
    if ((st = mnlp_config_get_float(c, "rope_theta", &r->theta)) ||
        (st = mnlp_config_get_int(c, "max_position_embeddings", &r->max_position_embeddings)))
        return st;
    if (!(r->theta > 1) || r->max_position_embeddings < 1)
        return mn_errorf(MNLP_ERR_UNSUPPORTED, "%s: rope_theta must exceed 1 and "
                         "max_position_embeddings be positive", mn_config_name(c));
    if (!(r->inv_freq = mn_calloc((size_t)(dim / 2), sizeof(float))))
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    default_inv_freq((float)r->theta, dim, r->inv_freq);
    if (rs && rs->type == MN_JSON_OBJECT && (st = scale(r, c, rs))) {
        mn_rope_free(r);
        return st;
    }
    if (rs && rs->type != MN_JSON_OBJECT && rs->type != MN_JSON_NULL) {
        mn_rope_free(r);
        return mn_errorf(MNLP_ERR_UNSUPPORTED, "%s: rope_scaling is not an object",
                         mn_config_name(c));
    }
    return MNLP_OK;
}

void mn_rope_free(mn_rope *r)
{
    mn_free(r->inv_freq);
    r->inv_freq = NULL;
}

void mn_rope_tables(const mn_rope *r, const int64_t *positions, int64_t n, float *scratch,
                    float *cos_out, float *sin_out)
{
    int64_t seq_len = 0;

    for (int64_t t = 0; t < n; t++)
        seq_len = positions[t] + 1 > seq_len ? positions[t] + 1 : seq_len;
    mn_rope_tables_seq(r, positions, n, seq_len, scratch, cos_out, sin_out);
}

void mn_rope_tables_seq(const mn_rope *r, const int64_t *positions, int64_t n, int64_t seq_len,
                        float *scratch, float *cos_out, float *sin_out)
{
    int64_t half = r->dim / 2;
    const float *inv = r->inv_freq;

    /* _compute_dynamic_ntk_parameters, with seq_len the largest position of
     * the call plus one, once it passes max_position_embeddings. */
    if (r->type == MN_ROPE_DYNAMIC && seq_len > r->max_position_embeddings) {
        double base = r->theta * pow(r->factor * (double)seq_len /
                                         (double)r->max_position_embeddings - (r->factor - 1),
                                     (double)r->dim / (double)(r->dim - 2));

        default_inv_freq((float)base, r->dim, scratch);
        inv = scratch;
    }
    for (int64_t t = 0; t < n; t++) {
        float *c = cos_out + t * r->dim, *s = sin_out + t * r->dim;

        for (int64_t i = 0; i < half; i++) {
            float angle = inv[i] * (float)positions[t];

            c[i] = c[i + half] = (float)cos((double)angle) * r->attention_factor;
            s[i] = s[i + half] = (float)sin((double)angle) * r->attention_factor;
        }
    }
}
