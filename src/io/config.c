/*
 * config.json read against the Hugging Face config class of its
 * model_type: known fields are type-checked at load, omitted fields take
 * the class default, and fields the class does not define are listed.
 */
#include "base/files.h"
#include "io/io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CONFIG_BYTES (16u << 20)
#define MAX_EXPR_DEPTH 4

struct mnlp_config {
    char *name;                  /* for messages: "config.json" */
    mn_json_doc *doc;
    const mn_json *root;
    const mn_config_class *cls;
    const mn_config_class *base;
    mn_json_doc *defaults;       /* [class defaults..., base defaults...] */
    const char **unknown;        /* keys the class does not define */
    int n_unknown, unknown_cap;
    char error[MN_ERROR_MAX];    /* this handle's last failure */
};

/* Records a failed read on the handle; reads are const to their callers. */
static mnlp_status keep(const mnlp_config *c, mnlp_status rc)
{
    return mn_error_keep(((mnlp_config *)c)->error, rc);
}

const char *mnlp_config_error(const mnlp_config *config)
{
    return config->error;
}

void mnlp_config_free(mnlp_config *config)
{
    if (!config)
        return;
    mn_json_free(config->doc);
    mn_json_free(config->defaults);
    mn_free(config->unknown);
    mn_free(config->name);
    mn_free(config);
}

/* Position of field in the defaults array, or -1. Class fields shadow base ones. */
static int field_slot(const mnlp_config *c, const char *field)
{
    for (int i = 0; i < c->cls->n_fields; i++)
        if (strcmp(c->cls->fields[i].name, field) == 0)
            return i;
    for (int i = 0; i < c->base->n_fields; i++)
        if (strcmp(c->base->fields[i].name, field) == 0)
            return c->cls->n_fields + i;
    return -1;
}

static const mn_config_field *slot_field(const mnlp_config *c, int slot)
{
    if (slot < 0)
        return NULL;
    if (slot < c->cls->n_fields)
        return &c->cls->fields[slot];
    return &c->base->fields[slot - c->cls->n_fields];
}

/* The stored spelling of field: an alias maps to its canonical name. */
static const char *canonical(const mnlp_config *c, const char *field)
{
    const mn_config_class *classes[] = {c->cls, c->base};

    for (int k = 0; k < 2; k++)
        for (int i = 0; i < classes[k]->n_aliases; i++)
            if (strcmp(classes[k]->aliases[i].alias, field) == 0)
                return classes[k]->aliases[i].field;
    return field;
}

const mn_config_field *mn_config_field_find(const mnlp_config *config, const char *field)
{
    return slot_field(config, field_slot(config, canonical(config, field)));
}

/* config.json's own value for field under its stored name or any alias. */
static const mn_json *own_value(const mnlp_config *c, const char *field)
{
    const mn_config_class *classes[] = {c->cls, c->base};
    const mn_json *v;

    field = canonical(c, field);
    if ((v = mn_json_get(c->root, field)))
        return v;
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < classes[k]->n_aliases; i++)
            if (strcmp(classes[k]->aliases[i].field, field) == 0 &&
                (v = mn_json_get(c->root, classes[k]->aliases[i].alias)))
                return v;
    return NULL;
}

bool mn_config_has(const mnlp_config *config, const char *field)
{
    return own_value(config, field) != NULL;
}

const mn_json *mn_config_value(const mnlp_config *config, const char *field)
{
    const mn_json *v = own_value(config, field);
    int slot;

    if (v)
        return v;
    slot = field_slot(config, canonical(config, field));
    if (slot < 0 || !slot_field(config, slot)->default_json)
        return NULL;
    return mn_json_at(mn_json_root(config->defaults), (size_t)slot);
}

/* ---- Loading ---------------------------------------------------------- */

static unsigned type_bit(const mn_json *v)
{
    switch (v->type) {
    case MN_JSON_NULL: return MN_JT_NULL;
    case MN_JSON_BOOL: return MN_JT_BOOL;
    case MN_JSON_NUMBER: return v->is_int ? MN_JT_INT : MN_JT_FLOAT;
    case MN_JSON_STRING: return MN_JT_STRING;
    case MN_JSON_ARRAY: return MN_JT_ARRAY;
    case MN_JSON_OBJECT: return MN_JT_OBJECT;
    }
    return 0;
}

static bool type_ok(unsigned allowed, const mn_json *v)
{
    unsigned bit = type_bit(v);

    return (allowed & bit) || (bit == MN_JT_INT && (allowed & MN_JT_FLOAT));
}

static void type_list(unsigned types, char *buf, size_t size)
{
    static const char *const names[] = {"null", "boolean", "integer", "number", "string",
                                        "array", "object"};
    size_t used = 0;

    buf[0] = '\0';
    for (int i = 0; i < MN_COUNT(names); i++)
        if ((types & (1u << i)) && used < size)
            used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? " or " : "",
                                     names[i]);
}

/* Parses the class and base defaults into one JSON array, slot-ordered. */
static mnlp_status build_defaults(mnlp_config *c)
{
    mn_sb sb = {0};
    mnlp_status rc;

    mn_sb_puts(&sb, "[");
    for (int slot = 0; slot < c->cls->n_fields + c->base->n_fields; slot++) {
        const char *d = slot_field(c, slot)->default_json;

        mn_sb_puts(&sb, slot ? "," : "");
        mn_sb_puts(&sb, d && d[0] != '=' ? d : "null");
    }
    mn_sb_puts(&sb, "]");
    if (sb.failed) {
        mn_sb_free(&sb);
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    }
    rc = mn_json_parse(sb.data, sb.len, NULL, &c->defaults);
    mn_sb_free(&sb);
    return rc == MNLP_OK ? rc : mn_error_prefix(MNLP_ERR_INTERNAL, "%s defaults",
                                               c->cls->class_name);
}

static mnlp_status check_fields(mnlp_config *c)
{
    for (size_t i = 0; i < c->root->len; i++) {
        const mn_json *v = &c->root->items[i];
        const mn_config_field *f = mn_config_field_find(c, v->key);
        char want[96];

        if (!f) {
            if (!mn_grow((void **)&c->unknown, &c->unknown_cap, c->n_unknown + 1,
                         sizeof *c->unknown))
                return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
            c->unknown[c->n_unknown++] = v->key;
            continue;
        }
        if (!type_ok(f->types, v)) {
            type_list(f->types, want, sizeof want);
            return mn_errorf(MNLP_ERR_FORMAT, "\"%s\" is %s %s, expected %s", v->key,
                             v->type == MN_JSON_ARRAY || v->type == MN_JSON_OBJECT ? "an"
                                                                                   : "a",
                             v->type == MN_JSON_NUMBER && !v->is_int ? "non-integer number"
                                                                     : mn_json_type_name(v->type),
                             want);
        }
    }
    return MNLP_OK;
}

static mnlp_status find_class(mnlp_config *c)
{
    const mn_json *mt = mn_json_get(c->root, "model_type");
    int n;
    const mn_config_class *const *all = mn_config_classes(&n);
    mn_sb known = {0};
    mnlp_status rc;

    if (!mt)
        return mn_errorf(MNLP_ERR_FORMAT, "no \"model_type\"");
    if (mt->type != MN_JSON_STRING)
        return mn_errorf(MNLP_ERR_FORMAT, "\"model_type\" is not a string");
    if ((c->cls = mn_config_class_find(mt->str)))
        return MNLP_OK;
    for (int i = 0; i < n; i++)
        mn_sb_printf(&known, "%s%s", i ? ", " : "", all[i]->model_type);
    rc = mn_errorf(MNLP_ERR_UNSUPPORTED, "model_type \"%s\" is not supported (known: %s)",
                   mt->str, known.data ? known.data : "none");
    mn_sb_free(&known);
    return rc;
}

mnlp_status mnlp_config_parse(const char *json, size_t len, const char *name,
                              mnlp_config **out)
{
    mnlp_config *c = mn_calloc(1, sizeof *c);
    mnlp_status rc;

    *out = NULL;
    if (!c || !(c->name = mn_strdup(name))) {
        mn_free(c);
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    }
    c->base = mn_config_base_class();
    rc = mn_json_parse(json, len, NULL, &c->doc);
    if (rc == MNLP_OK) {
        c->root = mn_json_root(c->doc);
        if (c->root->type != MN_JSON_OBJECT)
            rc = mn_errorf(MNLP_ERR_FORMAT, "top level is not an object");
    }
    if (rc == MNLP_OK)
        rc = find_class(c);
    if (rc == MNLP_OK)
        rc = build_defaults(c);
    if (rc == MNLP_OK)
        rc = check_fields(c);
    if (rc != MNLP_OK) {
        mnlp_config_free(c);
        return mn_error_prefix(rc, "%s", name);
    }
    *out = c;
    return MNLP_OK;
}

mnlp_status mnlp_config_load(const char *path, mnlp_config **out)
{
    char *file = mn_is_dir(path) ? mn_path_join(path, "config.json") : mn_strdup(path);
    const char *slash;
    char *text = NULL;
    size_t len;
    mnlp_status rc;

    *out = NULL;
    if (!file)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    slash = strrchr(file, '/');
    rc = mn_read_file(file, MAX_CONFIG_BYTES, &text, &len);
    if (rc == MNLP_OK)
        rc = mnlp_config_parse(text, len, slash ? slash + 1 : file, out);
    mn_free(text);
    mn_free(file);
    return rc;
}

/* ---- Reading fields --------------------------------------------------- */

const char *mnlp_config_model_type(const mnlp_config *config)
{
    return config->cls->model_type;
}

const char *mnlp_config_class_name(const mnlp_config *config)
{
    return config->cls->class_name;
}

const char *mnlp_config_architecture(const mnlp_config *config)
{
    const mn_json *a = mn_json_at(mn_json_get(config->root, "architectures"), 0);

    return a && a->type == MN_JSON_STRING ? a->str : NULL;
}

const char *mnlp_config_unknown_field(const mnlp_config *config, size_t i)
{
    return i < (size_t)config->n_unknown ? config->unknown[i] : NULL;
}

const mn_json *mn_config_json(const mnlp_config *config)
{
    return config->root;
}

const char *mn_config_name(const mnlp_config *config)
{
    return config->name;
}

static mnlp_status get_number(const mnlp_config *c, const char *field, int depth,
                              double *d, int64_t *i, bool *is_int);

/* Evaluates a derived default: "=name", "=a//b" or "=name*N". */
static mnlp_status eval_expr(const mnlp_config *c, const char *field, const char *expr,
                             int depth, double *d, int64_t *i, bool *is_int)
{
    char a[64], b[64];
    const char *op = strstr(expr, "//");
    int64_t x, y;
    double dx;
    bool ix, iy;
    mnlp_status rc;

    if (!op && !(op = strchr(expr, '*')))
        return get_number(c, expr, depth + 1, d, i, is_int);
    snprintf(a, sizeof a, "%.*s", (int)(op - expr), expr);
    snprintf(b, sizeof b, "%s", op + (op[0] == '/' ? 2 : 1));
    if ((rc = get_number(c, a, depth + 1, &dx, &x, &ix)) != MNLP_OK)
        return rc;
    if (op[0] == '*') {
        y = strtoll(b, NULL, 10);
        iy = true;
    } else if ((rc = get_number(c, b, depth + 1, &dx, &y, &iy)) != MNLP_OK) {
        return rc;
    }
    if (!ix || !iy)
        return mn_errorf(MNLP_ERR_FORMAT, "%s: \"%s\" derives from non-integers", c->name,
                         field);
    if (op[0] == '/' && y == 0)
        return mn_errorf(MNLP_ERR_FORMAT, "%s: \"%s\" divides by \"%s\", which is 0", c->name,
                         field, b);
    *i = op[0] == '*' ? x * y : (x / y - ((x % y != 0) && ((x < 0) != (y < 0))));
    *d = (double)*i;
    *is_int = true;
    return MNLP_OK;
}

static mnlp_status get_number(const mnlp_config *c, const char *field, int depth,
                              double *d, int64_t *i, bool *is_int)
{
    const mn_json *v = mn_config_value(c, field);
    const mn_config_field *f = mn_config_field_find(c, field);

    if (depth > MAX_EXPR_DEPTH)
        return mn_errorf(MNLP_ERR_INTERNAL, "%s: default of \"%s\" nests too deep", c->name,
                         field);
    /* transformers derives these when the argument is None, given or not. */
    if ((!v || v->type == MN_JSON_NULL) && f && f->default_json && f->default_json[0] == '=')
        return eval_expr(c, field, f->default_json + 1, depth, d, i, is_int);
    if (!v || v->type == MN_JSON_NULL)
        return mn_errorf(MNLP_ERR_NOT_FOUND, "%s: \"%s\" is %s", c->name, field,
                         v ? "null" : "not set and has no default");
    if (v->type != MN_JSON_NUMBER)
        return mn_errorf(MNLP_ERR_FORMAT, "%s: \"%s\" is a %s, not a number", c->name, field,
                         mn_json_type_name(v->type));
    *d = v->number;
    *i = v->integer;
    *is_int = v->is_int;
    return MNLP_OK;
}

mnlp_status mnlp_config_get_int(const mnlp_config *config, const char *field, int64_t *out)
{
    double d;
    bool is_int;
    mnlp_status rc = get_number(config, field, 0, &d, out, &is_int);

    if (rc == MNLP_OK && !is_int)
        rc = mn_errorf(MNLP_ERR_FORMAT, "%s: \"%s\" is %g, not an integer", config->name,
                       field, d);
    return keep(config, rc);
}

mnlp_status mnlp_config_get_float(const mnlp_config *config, const char *field, double *out)
{
    int64_t i;
    bool is_int;

    return keep(config, get_number(config, field, 0, out, &i, &is_int));
}

static const mn_json *typed(const mnlp_config *c, const char *field, mn_json_type type,
                            mnlp_status *rc)
{
    const mn_json *v = mn_config_value(c, field);

    if (!v || v->type == MN_JSON_NULL)
        *rc = mn_errorf(MNLP_ERR_NOT_FOUND, "%s: \"%s\" is %s", c->name, field,
                        v ? "null" : "not set and has no default");
    else if (v->type != type)
        *rc = mn_errorf(MNLP_ERR_FORMAT, "%s: \"%s\" is a %s, not a %s", c->name, field,
                        mn_json_type_name(v->type), mn_json_type_name(type));
    else
        return v;
    return NULL;
}

mnlp_status mnlp_config_get_bool(const mnlp_config *config, const char *field, bool *out)
{
    mnlp_status rc = MNLP_OK;
    const mn_json *v = typed(config, field, MN_JSON_BOOL, &rc);

    if (v)
        *out = v->boolean;
    return keep(config, rc);
}

mnlp_status mnlp_config_get_string(const mnlp_config *config, const char *field,
                                   const char **out)
{
    mnlp_status rc = MNLP_OK;
    const mn_json *v = typed(config, field, MN_JSON_STRING, &rc);

    if (v)
        *out = v->str;
    return keep(config, rc);
}
