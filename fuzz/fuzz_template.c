/* Fuzz the chat-template compiler, then render what compiles with a fixed
 * conversation under small limits: any input must end in output or an
 * error, never a crash, a hang or unbounded memory. */
#include "mnlp.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char vars[] =
    "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"},"
    " {\"role\": \"user\", \"content\": \"Hi \\u00e9\"},"
    " {\"role\": \"assistant\", \"content\": \"Hello\", \"tool_calls\": [{\"type\": \"function\","
    " \"function\": {\"name\": \"f\", \"arguments\": {\"x\": 1.5}}}]},"
    " {\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"parts\"}]}],"
    " \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\"}}], \"documents\": null,"
    " \"add_generation_prompt\": true, \"bos_token\": \"<s>\", \"eos_token\": \"</s>\","
    " \"additional_special_tokens\": [\"<a>\", \"<b>\"]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mnlp_template_params p = mnlp_template_default_params();
    mnlp_template *t = NULL;
    char *out = NULL;

    mnlp_log_set(NULL, NULL, MNLP_LOG_NONE);
    p.max_depth = 64;
    p.max_steps = 100000;
    p.max_output = 1 << 20;
    p.max_memory = 16 << 20;
    if (mnlp_template_compile((const char *)data, size, &p, &t) != MNLP_OK)
        return 0;
    if (mnlp_template_render(t, vars, strlen(vars), 1721995200, &out, NULL) == MNLP_OK)
        mnlp_free(out);
    mnlp_template_free(t);
    return 0;
}
