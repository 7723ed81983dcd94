/*
 * Chat templates inside mnlp: picking the template text out of a parsed
 * tokenizer_config.json. Rendering is public (include/mnlp/template.h).
 */
#ifndef MN_TEMPLATE_H
#define MN_TEMPLATE_H

#include "base/json.h"
#include "mnlp/template.h"

#endif
