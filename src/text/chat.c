/*
 * A model's chat templates and transformers' apply_chat_template on top of
 * the Jinja interpreter: which template (get_chat_template), and the
 * variables the render sees (the special tokens, then the caller's).
 */
#include "text/chat.h"
#include "text/template.h"
#include "text/tok.h"

#include "base/files.h"

#include <string.h>

static mnlp_status oom(void)
{
    return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
}

void mn_chat_templates_free(mn_chat_templates *c)
{
    for (int i = 0; i < c->n; i++) {
        mn_free(c->items[i].name);
        mn_free(c->items[i].source);
    }
    mn_free(c->items);
    memset(c, 0, sizeof *c);
}

/* Add (or, for a name already there, replace) one named template. */
static mnlp_status put(mn_chat_templates *c, const char *name, const char *src, size_t len)
{
    mn_chat_template *slot = NULL;
    char *copy;

    for (int i = 0; i < c->n; i++)
        if (strcmp(c->items[i].name, name) == 0)
            slot = &c->items[i];
    if (!(copy = mn_strndup(src, len)))
        return oom();
    if (!slot) {
        if (!mn_grow((void **)&c->items, &c->cap, c->n + 1, sizeof *c->items) ||
            !(c->items[c->n].name = mn_strdup(name))) {
            mn_free(copy);
            return oom();
        }
        slot = &c->items[c->n++];
    } else {
        mn_free(slot->source);
    }
    slot->source = copy;
    slot->len = len;
    return MNLP_OK;
}

mnlp_status mn_chat_templates_load(const char *dir, const mn_json *config, mn_chat_templates *out)
{
    const mn_json *field = config ? mn_json_get(config, "chat_template") : NULL;
    char *path = NULL, *text = NULL;
    size_t len;
    mnlp_status rc = MNLP_OK;

    memset(out, 0, sizeof *out);
    if (field && field->type == MN_JSON_STRING) {
        rc = put(out, "default", field->str, field->len);
    } else if (field && field->type == MN_JSON_ARRAY) {
        for (size_t i = 0; i < field->len && rc == MNLP_OK; i++) {
            const char *name = NULL;
            const mn_json *tpl = mn_json_get(&field->items[i], "template");

            if (field->items[i].type != MN_JSON_OBJECT ||
                mn_json_str(&field->items[i], "name", &name) != MNLP_OK || !tpl ||
                tpl->type != MN_JSON_STRING)
                rc = mn_json_error(&field->items[i], MNLP_ERR_FORMAT,
                                   "is not a {\"name\", \"template\"} object");
            else
                rc = put(out, name, tpl->str, tpl->len);
        }
    } else if (field && field->type != MN_JSON_NULL) {
        rc = mn_json_error(field, MNLP_ERR_FORMAT, "is neither a string nor a list of templates");
    }
    if (rc != MNLP_OK)
        mn_error_prefix(rc, "tokenizer_config.json");
    /* chat_template.jinja, when the folder has one, is the default template. */
    if (rc == MNLP_OK && !(path = mn_path_join(dir, "chat_template.jinja")))
        rc = oom();
    if (rc == MNLP_OK && mn_is_file(path)) {
        rc = mn_read_file(path, 16u << 20, &text, &len);
        if (rc == MNLP_OK)
            rc = put(out, "default", text, len);
    }
    mn_free(text);
    mn_free(path);
    if (rc != MNLP_OK)
        mn_chat_templates_free(out);
    return rc;
}

const mn_chat_template *mn_chat_templates_find(const mn_chat_templates *c, const char *name)
{
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->items[i].name, name) == 0)
            return &c->items[i];
    return NULL;
}

/* get_chat_template: the named one; else "tool_use" when tools are given,
 * else "default". */
static mnlp_status pick(const mn_chat_templates *c, const char *name, bool tools,
                        const mn_chat_template **out)
{
    const char *want = name ? name : "default";

    if (c->n == 0)
        return mn_errorf(MNLP_ERR_NOT_FOUND, "the model has no chat template "
                                             "(tokenizer_config.json or chat_template.jinja)");
    if (!name && tools && mn_chat_templates_find(c, "tool_use"))
        want = "tool_use";
    if (!(*out = mn_chat_templates_find(c, want)))
        return mn_errorf(MNLP_ERR_NOT_FOUND, "the model has no chat template named \"%s\"",
                         want);
    return MNLP_OK;
}

/*
 * The render's variables: tools and documents (null when absent),
 * add_generation_prompt (false), the special tokens as plain strings, then
 * every member of the caller's object, which wins over all of these.
 */
static mnlp_status build_vars(const mnlp_tokenizer *tok, const mn_json *input, mn_sb *sb)
{
    static const char *const keys[] = {"bos_token", "eos_token", "unk_token", "sep_token",
                                       "pad_token", "cls_token", "mask_token"};
    const char *const *extra;
    size_t n_extra = mnlp_tokenizer_additional_special_tokens(tok, &extra);

    mn_sb_puts(sb, "{\"tools\": null, \"documents\": null, \"add_generation_prompt\": false");
    for (int i = 0; i < MNLP_SPECIAL_TOKEN_COUNT; i++) {
        const char *v = mnlp_tokenizer_special_token(tok, (mnlp_special_token)i);

        if (v) {
            mn_sb_printf(sb, ", \"%s\": ", keys[i]);
            mn_json_write_string(sb, v, strlen(v), false);
        }
    }
    if (n_extra) {
        mn_sb_puts(sb, ", \"additional_special_tokens\": [");
        for (size_t i = 0; i < n_extra; i++) {
            mn_sb_puts(sb, i ? ", " : "");
            mn_json_write_string(sb, extra[i], strlen(extra[i]), false);
        }
        mn_sb_puts(sb, "]");
    }
    /* Later members win when the template reads a name given twice. */
    for (size_t i = 0; i < input->len; i++) {
        const mn_json *m = &input->items[i];

        mn_sb_puts(sb, ", ");
        mn_json_write_string(sb, m->key, m->key_len, false);
        mn_sb_puts(sb, ": ");
        mn_json_write_value(sb, m);
    }
    mn_sb_puts(sb, "}");
    return sb->failed ? oom() : MNLP_OK;
}

mnlp_status mn_chat_apply(const mnlp_tokenizer *tok, const mn_chat_templates *c, const char *name,
                          const char *vars, size_t vars_len, int64_t now, char **out,
                          size_t *out_len)
{
    mn_json_doc *doc = NULL;
    const mn_json *input, *tools;
    const mn_chat_template *tpl = NULL;
    mnlp_template *compiled = NULL;
    mn_sb sb = {0};
    mnlp_status rc;

    *out = NULL;
    if (out_len)
        *out_len = 0;
    if ((rc = mn_json_parse(vars, vars_len, NULL, &doc)) != MNLP_OK)
        return mn_error_prefix(rc, "chat variables");
    input = mn_json_root(doc);
    if (input->type != MN_JSON_OBJECT) {
        mn_json_free(doc);
        return mn_errorf(MNLP_ERR_INVALID_ARGUMENT, "chat variables: not a JSON object");
    }
    tools = mn_json_get(input, "tools");
    rc = pick(c, name, tools && tools->type != MN_JSON_NULL, &tpl);
    if (rc == MNLP_OK)
        rc = build_vars(tok, input, &sb);
    if (rc == MNLP_OK && (rc = mnlp_template_compile(tpl->source, tpl->len, NULL, &compiled)))
        mn_error_prefix(rc, "chat template \"%s\"", tpl->name);
    if (rc == MNLP_OK &&
        (rc = mnlp_template_render(compiled, sb.data, sb.len, now, out, out_len)) != MNLP_OK)
        rc = mn_errorf(rc, "%s", mnlp_template_error(compiled));
    mnlp_template_free(compiled);
    mn_sb_free(&sb);
    mn_json_free(doc);
    return rc;
}
