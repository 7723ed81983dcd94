/*
 * What an architecture is, as data: which config values it accepts and
 * which tensors, with which shapes, its checkpoint must hold. A model file
 * (llama.c, ...) fills an mn_arch; validation and loading read it.
 */
#ifndef MN_ARCH_H
#define MN_ARCH_H

#include "io/io.h"

/* Whether a declared tensor must be in the checkpoint. */
typedef enum mn_presence {
    MN_REQUIRED,
    MN_OPTIONAL,  /* e.g. lm_head.weight when tied to the embedding */
} mn_presence;

typedef struct mn_tensor_decl {
    char *name;
    int ndim;
    int64_t shape[MN_MAX_DIMS];
    mn_presence presence;
} mn_tensor_decl;

/* Problems found while checking a model, one line each. */
typedef struct mn_problems {
    char **items;
    int n, cap;
    bool failed;      /* out of memory while recording */
} mn_problems;

void mn_problem(mn_problems *p, const char *fmt, ...) MN_PRINTF(2, 3);
void mn_problems_free(mn_problems *p);

typedef struct mn_decls {
    mn_tensor_decl *items;
    int n, cap;
    bool failed;
} mn_decls;

/* Declare a tensor; name is printf-formatted ("model.layers.%d.mlp..."). */
void mn_declare(mn_decls *d, mn_presence presence, int ndim, const int64_t *shape,
                const char *fmt, ...) MN_PRINTF(5, 6);
void mn_decls_free(mn_decls *d);

typedef struct mn_arch {
    const char *model_type;
    /* The head classes this file builds ("LlamaForCausalLM"). */
    const char *const *architectures;
    /* Config fields whose math this architecture implements, beyond its
     * own class's fields (which it must all honour or reject). */
    const char *const *honoured_base_fields;
    /* Check config values this architecture cannot run; record each. */
    void (*check_config)(const mnlp_config *config, mn_problems *problems);
    /* Declare every tensor of the checkpoint with its shape. Config read
     * errors are recorded as problems; returns false when the config is
     * too broken to say which tensors the model has. */
    bool (*declare)(const mnlp_config *config, mn_decls *decls, mn_problems *problems);
    /* Tensors a checkpoint may carry that transformers ignores on load
     * (its _keys_to_ignore_on_load_unexpected): a name matches when it
     * ends with one of these suffixes. */
    const char *const *ignored_suffixes;
    /* The causal LM forward (models/lm.h), NULL when not built yet. */
    const struct mn_lm_ops *causal_lm;
} mn_arch;

/* The architecture for a model_type, or NULL. */
const mn_arch *mn_arch_find(const char *model_type);

/* Read an int config field; record a problem and return fallback on error. */
int64_t mn_cfg_int(const mnlp_config *c, const char *field, mn_problems *p);
double mn_cfg_float(const mnlp_config *c, const char *field, mn_problems *p);
bool mn_cfg_bool(const mnlp_config *c, const char *field, mn_problems *p);

#endif
