/* Config checks and forward-call bookkeeping the decoder files share. */
#include "models/lm_common.h"

#include <stdio.h>
#include <string.h>

bool mn_cfg_in_range(const mnlp_config *c, const char *field, int64_t v, int64_t max,
                     mn_problems *p)
{
    if (v >= 1 && v <= max)
        return true;
    mn_problem(p, "%s: \"%s\" is %lld, outside [1, %lld]", mn_config_name(c), field,
               (long long)v, (long long)max);
    return false;
}

/* rope_scaling keys each rope_type requires (transformers' rope_config_validation). */
static const struct {
    const char *type;
    const char *required[5];
} rope_types[] = {
    {"default", {NULL}},
    {"linear", {"factor", NULL}},
    {"dynamic", {"factor", NULL}},
    {"yarn", {"factor", NULL}},
    {"longrope", {"short_factor", "long_factor", NULL}},
    {"llama3", {"factor", "original_max_position_embeddings", "low_freq_factor",
                "high_freq_factor", NULL}},
};

void mn_check_rope_scaling(const mnlp_config *c, mn_problems *p)
{
    const mn_json *rs = mn_config_value(c, "rope_scaling");
    const mn_json *type;

    if (!rs || rs->type == MN_JSON_NULL)
        return;
    /* transformers accepts the legacy key "type" for "rope_type". */
    type = mn_json_get(rs, "rope_type");
    if (!type)
        type = mn_json_get(rs, "type");
    if (type && type->type != MN_JSON_STRING) {
        mn_problem(p, "%s: rope_scaling.rope_type is not a string", mn_config_name(c));
        return;
    }
    for (int i = 0; i < MN_COUNT(rope_types); i++) {
        if (strcmp(type ? type->str : "default", rope_types[i].type) != 0)
            continue;
        for (const char *const *k = rope_types[i].required; *k; k++)
            if (!mn_json_get(rs, *k))
                mn_problem(p, "%s: rope_scaling of type \"%s\" lacks \"%s\"",
                           mn_config_name(c), rope_types[i].type, *k);
        return;
    }
    mn_problem(p, "%s: rope_scaling.rope_type \"%s\" is not supported", mn_config_name(c),
               type->str);
}

void mn_check_activation(const mnlp_config *c, const char *field, mn_problems *p)
{
    const char *name = NULL;
    mn_activation act;

    if (mnlp_config_get_string(c, field, &name) != MNLP_OK)
        mn_problem(p, "%s", mnlp_last_error());
    else if (mn_activation_parse(name, &act) != MNLP_OK)
        mn_problem(p, "%s: %s \"%s\" is not supported", mn_config_name(c), field, name);
}

void mn_check_bool(const mnlp_config *c, const char *field, bool supported, mn_problems *p)
{
    if (mn_cfg_bool(c, field, p) != supported)
        mn_problem(p, "%s: \"%s\" %s is not supported", mn_config_name(c), field,
                   supported ? "false" : "true");
}

mnlp_status mn_load_linear(mn_weights *w, mn_linear *l, bool bias, const char *fmt, ...)
{
    char name[480];
    mnlp_status st;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    l->bias = NULL;
    if ((st = mn_weight(w, false, &l->weight, "%s.weight", name)) == MNLP_OK && bias)
        st = mn_weight(w, true, &l->bias, "%s.bias", name);
    return st;
}

mnlp_status mn_load_layer_norm(mn_weights *w, mn_layer_norm *n, float eps, const char *fmt,
                               ...)
{
    char name[480];
    mnlp_status st;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    n->eps = eps;
    if ((st = mn_weight(w, true, &n->weight, "%s.weight", name)))
        return st;
    return mn_weight(w, true, &n->bias, "%s.bias", name);
}

mnlp_status mn_lm_keep_hidden(const mn_lm_chunk *c, const mn_tensor *x, int64_t hidden,
                              int64_t i)
{
    if (!c->hidden_states)
        return MNLP_OK;
    return mn_tensor_read(x, c->hidden_states + i * c->n * hidden, mn_tensor_nbytes(x));
}

mnlp_status mn_lm_rope_tables(const mn_rope *rope, const mn_lm_chunk *c)
{
    size_t table = sizeof(float) * (size_t)(c->n * rope->dim);
    mnlp_status st;

    mn_rope_tables(rope, c->position_ids, c->n, c->host_freq, c->host_cos, c->host_sin);
    if ((st = mn_tensor_write(c->cos, c->host_cos, table)))
        return st;
    return mn_tensor_write(c->sin, c->host_sin, table);
}

mnlp_status mn_lm_logits(const mn_lm_chunk *c, const mn_tensor *x, const mn_linear *head)
{
    mn_tensor last;
    mnlp_status st;

    /* Generation needs only the last position's logits (num_logits_to_keep=1). */
    if ((st = mn_tensor_rows(x, c->n - c->logits->shape[0], c->logits->shape[0], 0, NULL,
                             &last)))
        return st;
    return mn_linear_forward(head, &last, c->logits);
}
