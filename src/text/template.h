/*
 * Chat templates inside mnlp: picking the template text out of a parsed
 * tokenizer_config.json. Rendering is public (include/mnlp/template.h).
 */
#ifndef MN_TEMPLATE_H
#define MN_TEMPLATE_H

#include "base/json.h"
#include "mnlp/template.h"

/*
 * The chat template of a parsed tokenizer_config.json root: "chat_template"
 * is a string, or a list of {"name", "template"} objects. name selects one
 * of a list ("tool_use", ...); NULL means "default", as transformers picks.
 * *out points into the document. MNLP_ERR_NOT_FOUND when the config has no
 * template or none of that name; MNLP_ERR_FORMAT when the field is malformed.
 */
mnlp_status mn_chat_template_select(const mn_json *config, const char *name,
                                    const char **out, size_t *len);

#endif
