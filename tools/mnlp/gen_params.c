/*
 * Generation parameters by their transformers names, for `run` and `chat`
 * flags (--top-p 0.9) and `generate` JSON kwargs ("top_p": 0.9). One table
 * maps each name to its field.
 */
#include "cli.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef enum { P_INT, P_FLOAT, P_BOOL, P_EARLY } param_kind;

static const struct {
    const char *name;
    param_kind kind;
    size_t offset;
} params[] = {
    {"max_new_tokens", P_INT, offsetof(mnlp_generate_params, max_new_tokens)},
    {"max_length", P_INT, offsetof(mnlp_generate_params, max_length)},
    {"min_new_tokens", P_INT, offsetof(mnlp_generate_params, min_new_tokens)},
    {"min_length", P_INT, offsetof(mnlp_generate_params, min_length)},
    {"do_sample", P_BOOL, offsetof(mnlp_generate_params, do_sample)},
    {"num_beams", P_INT, offsetof(mnlp_generate_params, num_beams)},
    {"num_return_sequences", P_INT, offsetof(mnlp_generate_params, num_return_sequences)},
    {"temperature", P_FLOAT, offsetof(mnlp_generate_params, temperature)},
    {"top_p", P_FLOAT, offsetof(mnlp_generate_params, top_p)},
    {"min_p", P_FLOAT, offsetof(mnlp_generate_params, min_p)},
    {"typical_p", P_FLOAT, offsetof(mnlp_generate_params, typical_p)},
    {"top_k", P_INT, offsetof(mnlp_generate_params, top_k)},
    {"repetition_penalty", P_FLOAT, offsetof(mnlp_generate_params, repetition_penalty)},
    {"no_repeat_ngram_size", P_INT, offsetof(mnlp_generate_params, no_repeat_ngram_size)},
    {"forced_bos_token_id", P_INT, offsetof(mnlp_generate_params, forced_bos_token_id)},
    {"pad_token_id", P_INT, offsetof(mnlp_generate_params, pad_token_id)},
    {"length_penalty", P_FLOAT, offsetof(mnlp_generate_params, length_penalty)},
    {"early_stopping", P_EARLY, offsetof(mnlp_generate_params, early_stopping)},
    {"seed", P_INT, offsetof(mnlp_generate_params, seed)},
};

static int find(const char *name)
{
    for (size_t i = 0; i < sizeof params / sizeof *params; i++)
        if (!strcmp(params[i].name, name))
            return (int)i;
    return -1;
}

static bool set(mnlp_generate_params *p, int i, const char *text, const mnlp_json *v)
{
    char *field = (char *)p + params[i].offset, *end = NULL;
    int64_t n;
    double x;

    switch (params[i].kind) {
    case P_INT:
        if (v ? !mnlp_json_int(v, &n) : (n = strtoll(text, &end, 10), !*text || *end))
            return false;
        memcpy(field, &n, sizeof n);
        return true;
    case P_FLOAT:
        if (v ? mnlp_json_typeof(v) != MNLP_JSON_NUMBER : (strtod(text, &end), !*text || *end))
            return false;
        x = v ? mnlp_json_number(v) : strtod(text, NULL);
        memcpy(field, &x, sizeof x);
        return true;
    case P_BOOL:
        if (v && mnlp_json_typeof(v) != MNLP_JSON_BOOL)
            return false;
        *(int *)(void *)field = v ? mnlp_json_bool(v) : true;
        return true;
    case P_EARLY: {
        size_t len;
        const char *s = v && mnlp_json_typeof(v) == MNLP_JSON_STRING ? mnlp_json_string(v, &len)
                                                                     : text;

        if (v && mnlp_json_typeof(v) == MNLP_JSON_BOOL)
            *(mnlp_early_stopping *)(void *)field =
                mnlp_json_bool(v) ? MNLP_EARLY_STOPPING_TRUE : MNLP_EARLY_STOPPING_FALSE;
        else if (s && (!strcmp(s, "never") || !strcmp(s, "true") || !strcmp(s, "false")))
            *(mnlp_early_stopping *)(void *)field =
                s[0] == 'n' ? MNLP_EARLY_STOPPING_NEVER
                : s[0] == 't' ? MNLP_EARLY_STOPPING_TRUE : MNLP_EARLY_STOPPING_FALSE;
        else
            return false;
        return true;
    }
    }
    return false;
}

int cli_gen_flag(mnlp_generate_params *p, int argc, char **argv, int *i)
{
    char name[64];
    const char *arg = argv[*i];
    int k;
    size_t n;

    if (strncmp(arg, "--", 2) != 0 || (n = strlen(arg + 2)) >= sizeof name)
        return 0;
    for (size_t c = 0; c <= n; c++)
        name[c] = arg[2 + c] == '-' ? '_' : arg[2 + c];
    if ((k = find(name)) < 0)
        return 0;
    if (params[k].kind == P_BOOL)
        return set(p, k, "", NULL) ? 1 : -1;
    if (*i + 1 >= argc || !set(p, k, argv[*i + 1], NULL))
        return -1;
    ++*i;
    return 1;
}

bool cli_gen_is_param(const char *name)
{
    return find(name) >= 0;
}

bool cli_gen_json(mnlp_generate_params *p, const char *name, const mnlp_json *v)
{
    int k = find(name);

    if (k < 0)
        return false;
    if (mnlp_json_typeof(v) == MNLP_JSON_NULL) {
        /* Python's None where the field has one; "not set" elsewhere. */
        mnlp_generate_params fresh = mnlp_generate_default_params();

        if (params[k].kind == P_INT)
            *(int64_t *)(void *)((char *)p + params[k].offset) = MNLP_NONE;
        else
            memcpy((char *)p + params[k].offset, (char *)&fresh + params[k].offset,
                   params[k].kind == P_FLOAT ? sizeof(double) : sizeof(int));
        return true;
    }
    return set(p, k, NULL, v);
}

void cli_gen_help(FILE *out)
{
    fprintf(out, "generation flags (transformers' names; --do-sample takes no value):");
    for (size_t i = 0; i < sizeof params / sizeof *params; i++) {
        fprintf(out, "%s--", i % 4 ? " " : "\n  ");
        for (const char *c = params[i].name; *c; c++)
            fputc(*c == '_' ? '-' : *c, out);
    }
    fprintf(out, "\n");
}
