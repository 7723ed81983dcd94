/*
 * The public chat-template API: compile once (lex and parse into an arena
 * owned by the handle), render many times (each render in its own arena).
 */
#include "text/template.h"

#include "text/jinja.h"

#include <string.h>
#include <time.h>

struct mnlp_template {
    jn_arena arena;
    jn_node *root;
    mnlp_template_params params;
    char error[MN_ERROR_MAX];
};

mnlp_template_params mnlp_template_default_params(void)
{
    return (mnlp_template_params){
        .max_depth = 256,
        .max_steps = 10000000,
        .max_output = (size_t)64 << 20,
        .max_memory = (size_t)512 << 20,
    };
}

mnlp_status mnlp_template_compile(const char *source, size_t len,
                                  const mnlp_template_params *params, mnlp_template **out)
{
    mnlp_template *volatile t;
    jn_fail fail;
    jn_lexed lexed;

    if (!out || (!source && len))
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "template: no source or output");
    *out = NULL;
    t = mn_calloc(1, sizeof *t);
    if (!t)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "template: out of memory");
    t->params = params ? *params : mnlp_template_default_params();
    t->arena.limit = t->params.max_memory;
    if (setjmp(fail.jump) != 0) {
        jn_arena_free(&t->arena);
        mn_free(t);
        return mn_errorf(fail.status, "%s", fail.msg);
    }
    jn_lex(source ? source : "", len, &t->arena, &fail, &lexed);
    t->root = jn_parse(&lexed, t->params.max_depth, &t->arena, &fail);
    *out = t;
    return MNLP_OK;
}

mnlp_status mnlp_template_render(mnlp_template *tpl, const char *vars, size_t vars_len,
                                 int64_t now, char **out, size_t *out_len)
{
    jn_limits limits;
    jn_fail fail;
    mn_sb sb = {0};
    mnlp_status rc;

    if (!tpl || !vars || !out)
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "template: missing argument");
    *out = NULL;
    if (now == MNLP_TEMPLATE_NOW_CLOCK)
        now = (int64_t)time(NULL);
    limits = (jn_limits){tpl->params.max_depth, tpl->params.max_steps,
                         tpl->params.max_output, tpl->params.max_memory};
    rc = jn_render(tpl->root, vars, vars_len, now, &limits, &fail, &sb);
    if (rc == MNLP_OK && sb.failed)
        rc = mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "template: out of memory");
    else if (rc != MNLP_OK)
        mn_errorf(rc, "%s", fail.msg);
    if (rc != MNLP_OK) {
        mn_sb_free(&sb);
        return mn_error_keep(tpl->error, rc);
    }
    tpl->error[0] = 0;
    mn_sb_append(&sb, "", 1); /* the terminating NUL */
    if (sb.failed) {
        mn_sb_free(&sb);
        return mn_error_keep(tpl->error, mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory"));
    }
    *out = sb.data;
    if (out_len)
        *out_len = sb.len - 1;
    return MNLP_OK;
}

const char *mnlp_template_error(const mnlp_template *tpl)
{
    return tpl ? tpl->error : "";
}

void mnlp_template_free(mnlp_template *tpl)
{
    if (!tpl)
        return;
    jn_arena_free(&tpl->arena);
    mn_free(tpl);
}
