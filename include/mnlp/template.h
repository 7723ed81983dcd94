/*
 * mnlp chat templates: the Jinja programs of tokenizer_config.json
 * ("chat_template") and chat_template.jinja, rendered as transformers'
 * apply_chat_template renders them (jinja2 3.1 in a sandbox, trim_blocks,
 * lstrip_blocks, loop controls, {% generation %}, raise_exception,
 * strftime_now and a tojson that keeps non-ASCII text).
 *
 * Templates come from strangers: parsing and rendering are bounded by
 * limits, and exceeding one is an MNLP_ERR_LIMIT that names it.
 */
#ifndef MNLP_TEMPLATE_H
#define MNLP_TEMPLATE_H

#include "mnlp/base.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mnlp_template mnlp_template;

typedef struct mnlp_template_params {
    int max_depth;        /* nesting of the template and of macro calls (default 256) */
    int64_t max_steps;    /* loop iterations, calls and filter items (default 10 000 000) */
    size_t max_output;    /* bytes of output (default 64 MiB) */
    size_t max_memory;    /* bytes of values a render may create (default 512 MiB) */
} mnlp_template_params;

/* The defaults above, fit for any published chat template. */
mnlp_template_params mnlp_template_default_params(void);

/*
 * Compile the template source[0..len). params may be NULL for the defaults.
 * A syntax error is MNLP_ERR_FORMAT with a message naming the line and
 * column (`template line 3, column 12: expected '%}'`), read with
 * mnlp_last_error(). The caller owns *out (mnlp_template_free).
 */
mnlp_status mnlp_template_compile(const char *source, size_t len,
                                  const mnlp_template_params *params, mnlp_template **out);

/* strftime_now reads the clock when a render is given this as now. */
#define MNLP_TEMPLATE_NOW_CLOCK INT64_MIN

/*
 * Render with the variables in the JSON object vars[0..vars_len), as
 * apply_chat_template passes them: {"messages": [...], "tools": ...,
 * "add_generation_prompt": true, "bos_token": "<s>", ...}. now is the time
 * strftime_now reports, in seconds since the Unix epoch (formatted as UTC),
 * or MNLP_TEMPLATE_NOW_CLOCK. On success *out is a NUL-terminated string
 * the caller frees with mnlp_free, and *out_len (when not NULL) its length.
 * On failure *out is NULL and the status is MNLP_ERR_INVALID_ARGUMENT for an
 * error the template raised on these inputs (raise_exception, an undefined
 * value misused, a Python TypeError), MNLP_ERR_LIMIT for a limit; the
 * message, worded as jinja2 words it, is read with mnlp_template_error().
 */
mnlp_status mnlp_template_render(mnlp_template *tpl, const char *vars, size_t vars_len,
                                 int64_t now, char **out, size_t *out_len);

/* The message of tpl's last failed render ("" after a success). Owned by
 * tpl, valid until its next render. */
const char *mnlp_template_error(const mnlp_template *tpl);

/* Free memory mnlp returned (a render's output); also in mnlp/tokenizer.h. */
void mnlp_free(void *ptr);

/* Free a template; NULL is a no-op. */
void mnlp_template_free(mnlp_template *tpl);

#ifdef __cplusplus
}
#endif

#endif
