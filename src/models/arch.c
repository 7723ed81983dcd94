/* The architecture registry and the bookkeeping the model files share. */
#include "models/arch.h"

#include <stdio.h>
#include <string.h>

extern const mn_arch mn_arch_llama;
extern const mn_arch mn_arch_mistral, mn_arch_qwen2, mn_arch_phi3, mn_arch_gemma,
    mn_arch_gemma2, mn_arch_gpt2, mn_arch_gpt_neox, mn_arch_opt, mn_arch_phi, mn_arch_mixtral,
    mn_arch_qwen2_moe;

static const mn_arch *const archs[] = {
    &mn_arch_llama,
    &mn_arch_mistral, &mn_arch_qwen2, &mn_arch_phi3, &mn_arch_gemma, &mn_arch_gemma2,
    &mn_arch_gpt2, &mn_arch_gpt_neox, &mn_arch_opt, &mn_arch_phi, &mn_arch_mixtral,
    &mn_arch_qwen2_moe,
};

const mn_arch *mn_arch_find(const char *model_type)
{
    for (int i = 0; i < MN_COUNT(archs); i++)
        if (strcmp(archs[i]->model_type, model_type) == 0)
            return archs[i];
    return NULL;
}

void mn_problem(mn_problems *p, const char *fmt, ...)
{
    char line[MN_ERROR_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (p->failed || !mn_grow((void **)&p->items, &p->cap, p->n + 1, sizeof *p->items) ||
        !(p->items[p->n] = mn_strdup(line))) {
        p->failed = true;
        return;
    }
    p->n++;
}

void mn_problems_free(mn_problems *p)
{
    for (int i = 0; i < p->n; i++)
        mn_free(p->items[i]);
    mn_free(p->items);
    *p = (mn_problems){0};
}

void mn_declare(mn_decls *d, mn_presence presence, int ndim, const int64_t *shape,
                const char *fmt, ...)
{
    mn_tensor_decl *t;
    char name[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    if (d->failed || !mn_grow((void **)&d->items, &d->cap, d->n + 1, sizeof *d->items)) {
        d->failed = true;
        return;
    }
    t = &d->items[d->n];
    *t = (mn_tensor_decl){.name = mn_strdup(name), .ndim = ndim, .presence = presence};
    if (!t->name) {
        d->failed = true;
        return;
    }
    memcpy(t->shape, shape, sizeof(int64_t) * (size_t)ndim);
    d->n++;
}

void mn_decls_free(mn_decls *d)
{
    for (int i = 0; i < d->n; i++)
        mn_free(d->items[i].name);
    mn_free(d->items);
    *d = (mn_decls){0};
}

int64_t mn_cfg_int(const mnlp_config *c, const char *field, mn_problems *p)
{
    int64_t v = 0;

    if (mnlp_config_get_int(c, field, &v) != MNLP_OK)
        mn_problem(p, "%s", mnlp_last_error());
    return v;
}

double mn_cfg_float(const mnlp_config *c, const char *field, mn_problems *p)
{
    double v = 0;

    if (mnlp_config_get_float(c, field, &v) != MNLP_OK)
        mn_problem(p, "%s", mnlp_last_error());
    return v;
}

bool mn_cfg_bool(const mnlp_config *c, const char *field, mn_problems *p)
{
    bool v = false;

    if (mnlp_config_get_bool(c, field, &v) != MNLP_OK)
        mn_problem(p, "%s", mnlp_last_error());
    return v;
}
