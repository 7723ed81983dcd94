/*
 * Load-time validation: everything that can be known wrong about a model
 * from its config and checkpoint headers, before any weight is read.
 */
#include "models/arch.h"
#include "mnlp/model.h"

#include <stdlib.h>
#include <string.h>

struct mnlp_report {
    mn_problems problems;
    mn_problems notes;
};

size_t mnlp_report_count(const mnlp_report *report)
{
    return (size_t)report->problems.n;
}

const char *mnlp_report_item(const mnlp_report *report, size_t i)
{
    return i < (size_t)report->problems.n ? report->problems.items[i] : NULL;
}

size_t mnlp_report_note_count(const mnlp_report *report)
{
    return (size_t)report->notes.n;
}

const char *mnlp_report_note(const mnlp_report *report, size_t i)
{
    return i < (size_t)report->notes.n ? report->notes.items[i] : NULL;
}

void mnlp_report_free(mnlp_report *report)
{
    if (!report)
        return;
    mn_problems_free(&report->problems);
    mn_problems_free(&report->notes);
    mn_free(report);
}

static bool listed(const char *const *list, const char *s)
{
    for (; list && *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

/* JSON equality with numbers compared by value (1 == 1.0, as in Python). */
static bool json_equal(const mn_json *a, const mn_json *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case MN_JSON_NULL: return true;
    case MN_JSON_BOOL: return a->boolean == b->boolean;
    case MN_JSON_NUMBER:
        return a->is_int && b->is_int ? a->integer == b->integer : a->number == b->number;
    case MN_JSON_STRING: return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
    case MN_JSON_ARRAY:
    case MN_JSON_OBJECT:
        if (a->len != b->len)
            return false;
        for (size_t i = 0; i < a->len; i++) {
            const mn_json *bi = a->type == MN_JSON_ARRAY ? &b->items[i]
                                                         : mn_json_get(b, a->items[i].key);

            if (!bi || !json_equal(&a->items[i], bi))
                return false;
        }
        return true;
    }
    return false;
}

/*
 * Config fields. One the config class does not define is a note: from_pretrained
 * keeps it as an attribute that no modeling code reads. Each base
 * (PretrainedConfig) field that changes the math must keep its default or be
 * one the architecture implements.
 */
static void check_fields(const mnlp_config *config, const mn_arch *arch, mn_problems *p,
                         mn_problems *notes)
{
    const mn_config_class *base = mn_config_base_class();
    const char *name = mn_config_name(config);
    const char *field;

    for (size_t i = 0; (field = mnlp_config_unknown_field(config, i)); i++)
        mn_problem(notes, "%s: \"%s\" is not a %s field; transformers ignores it", name,
                   field, mnlp_config_class_name(config));
    if (mn_config_has(config, "quantization_config") &&
        mn_config_value(config, "quantization_config")->type != MN_JSON_NULL)
        mn_problem(p, "%s: quantization_config: quantized checkpoints are not supported",
                   name);
    for (int i = 0; i < base->n_fields; i++) {
        const mn_config_field *f = &base->fields[i];
        const mn_json *v;
        mn_json_doc *def = NULL;

        if (f->role != MN_ROLE_MATH || !f->default_json ||
            listed(arch->honoured_base_fields, f->name) ||
            mn_config_field_find(config, f->name) != f || !mn_config_has(config, f->name))
            continue;
        v = mn_config_value(config, f->name);
        if (mn_json_parse(f->default_json, strlen(f->default_json), NULL, &def) == MNLP_OK &&
            !json_equal(v, mn_json_root(def)))
            mn_problem(p, "%s: \"%s\" is set to a value other than its default, which %s "
                       "models do not support", name, f->name, arch->model_type);
        mn_json_free(def);
    }
}

static bool ignored(const mn_arch *arch, const char *name)
{
    size_t n = strlen(name);

    for (const char *const *s = arch->ignored_suffixes; s && *s; s++) {
        size_t k = strlen(*s);

        if (n >= k && strcmp(name + n - k, *s) == 0)
            return true;
    }
    return false;
}

static int decl_cmp(const void *a, const void *b)
{
    return strcmp(((const mn_tensor_decl *)a)->name, ((const mn_tensor_decl *)b)->name);
}

static void check_tensors(const mnlp_checkpoint *ckpt, const mn_arch *arch, mn_decls *d,
                          mn_problems *p, mn_problems *notes)
{
    char want[160], got[160];

    for (int i = 0; i < d->n; i++) {
        const mn_tensor_decl *decl = &d->items[i];
        const mn_st_tensor *t = mn_checkpoint_get(ckpt, decl->name);

        mn_shape_str(decl->ndim, decl->shape, want, sizeof want);
        if (!t) {
            if (decl->presence == MN_REQUIRED)
                mn_problem(p, "missing tensor \"%s\" %s", decl->name, want);
            continue;
        }
        if (t->ndim != decl->ndim ||
            memcmp(t->shape, decl->shape, sizeof(int64_t) * (size_t)t->ndim) != 0)
            mn_problem(p, "tensor \"%s\" has shape %s, expected %s", decl->name,
                       mn_shape_str(t->ndim, t->shape, got, sizeof got), want);
        if (t->dtype != MNLP_DTYPE_F32 && t->dtype != MNLP_DTYPE_F16 &&
            t->dtype != MNLP_DTYPE_BF16)
            mn_problem(p, "tensor \"%s\" is %s; weights must be F32, F16 or BF16", decl->name,
                       mnlp_dtype_name(t->dtype));
    }
    qsort(d->items, (size_t)d->n, sizeof *d->items, decl_cmp);
    for (size_t i = 0; i < mnlp_checkpoint_count(ckpt); i++) {
        const char *name = ckpt->entries[i].tensor->name;
        mn_tensor_decl key = {.name = (char *)name};

        if (bsearch(&key, d->items, (size_t)d->n, sizeof *d->items, decl_cmp))
            continue;
        if (ignored(arch, name))
            mn_problem(notes, "tensor \"%s\" is a buffer transformers ignores on load", name);
        else
            mn_problem(p, "unexpected tensor \"%s\" (in %s)", name,
                       ckpt->file_names[ckpt->entries[i].file]);
    }
}

static void check_architecture(const mnlp_config *config, const mn_arch *arch,
                               mn_problems *p)
{
    const char *head = mnlp_config_architecture(config);
    const mn_json *list = mn_json_get(mn_config_json(config), "architectures");

    if (head && !listed(arch->architectures, head))
        mn_problem(p, "%s: architectures[0] \"%s\" is not supported for %s (supported: %s)",
                   mn_config_name(config), head, arch->model_type, arch->architectures[0]);
    if (list && list->type == MN_JSON_ARRAY && list->len > 1)
        mn_problem(p, "%s: architectures lists %zu heads; mnlp builds one",
                   mn_config_name(config), list->len);
}

mnlp_status mnlp_model_validate(const mnlp_config *config, const mnlp_checkpoint *ckpt,
                                mnlp_report **out)
{
    mnlp_report *r = mn_calloc(1, sizeof *r);
    const mn_arch *arch;
    mn_decls decls = {0};

    *out = NULL;
    if (!r)
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    arch = mn_arch_find(mnlp_config_model_type(config));
    if (!arch) {
        mn_problem(&r->problems, "%s: model_type \"%s\" has no architecture in mnlp yet",
                   mn_config_name(config), mnlp_config_model_type(config));
    } else {
        check_architecture(config, arch, &r->problems);
        check_fields(config, arch, &r->problems, &r->notes);
        arch->check_config(config, &r->problems);
        if (arch->declare(config, &decls, &r->problems) && !decls.failed)
            check_tensors(ckpt, arch, &decls, &r->problems, &r->notes);
        if (decls.failed)
            r->problems.failed = true;
        mn_decls_free(&decls);
    }
    if (r->problems.failed || r->notes.failed) {
        mnlp_report_free(r);
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory validating the model");
    }
    *out = r;
    return MNLP_OK;
}
