/*
 * A model's chat templates (tokenizer_config.json's "chat_template", a
 * string or a list of named templates, and chat_template.jinja) and
 * apply_chat_template over them.
 */
#ifndef MN_CHAT_H
#define MN_CHAT_H

#include "base/json.h"
#include "mnlp/tokenizer.h"

typedef struct mn_chat_template {
    char *name;        /* "default", "tool_use", ... */
    char *source;
    size_t len;
} mn_chat_template;

typedef struct mn_chat_templates {
    mn_chat_template *items;
    int n, cap;
} mn_chat_templates;

/* The templates of the model folder dir, whose tokenizer_config.json root
 * is config (NULL when absent). A folder without any gives an empty set. */
mnlp_status mn_chat_templates_load(const char *dir, const mn_json *config,
                                   mn_chat_templates *out);
void mn_chat_templates_free(mn_chat_templates *c);

/* The template called name, or NULL. */
const mn_chat_template *mn_chat_templates_find(const mn_chat_templates *c, const char *name);

/* mnlp_tokenizer_apply_chat_template over the templates c. */
mnlp_status mn_chat_apply(const mnlp_tokenizer *tok, const mn_chat_templates *c, const char *name,
                          const char *vars, size_t vars_len, int64_t now, char **out,
                          size_t *out_len);

#endif
