/* Encodings and their post-processors (tokenizers' encoding.rs and processors/). */
#include "text/encoding.h"

#include "base/utf8.h"

#include <string.h>

void mn_encoding_free(mn_encoding *e)
{
    for (int i = 0; i < e->n; i++)
        mn_free(e->tokens[i]);
    mn_free(e->ids);
    mn_free(e->type_ids);
    mn_free(e->words);
    mn_free(e->tokens);
    mn_free(e->offsets);
    mn_free(e->special);
    mn_free(e->attention);
    memset(e, 0, sizeof *e);
}

static bool grow(mn_encoding *e, int need)
{
    int cap = e->cap;

    if (need <= e->cap)
        return true;
    cap = cap ? cap : 16;
    while (cap < need)
        cap *= 2;
#define RE(f, n) (!((void)0, (e->f = mn_reallocn(e->f, (size_t)cap * (n), sizeof *e->f)) == NULL))
    if (!RE(ids, 1) || !RE(type_ids, 1) || !RE(words, 1) || !RE(tokens, 1) ||
        !RE(offsets, 2) || !RE(special, 1) || !RE(attention, 1))
        return false;
#undef RE
    e->cap = cap;
    return true;
}

bool mn_encoding_push(mn_encoding *e, int32_t id, const char *token, int32_t type_id,
                      int32_t word, uint32_t start, uint32_t end, bool special)
{
    char *t;

    if (!grow(e, e->n + 1) || !(t = mn_strdup(token)))
        return false;
    e->ids[e->n] = id;
    e->type_ids[e->n] = type_id;
    e->words[e->n] = word;
    e->tokens[e->n] = t;
    e->offsets[2 * e->n] = start;
    e->offsets[2 * e->n + 1] = end;
    e->special[e->n] = special;
    e->attention[e->n] = 1;
    e->n++;
    return true;
}

bool mn_encoding_append(mn_encoding *dst, const mn_encoding *src)
{
    for (int i = 0; i < src->n; i++) {
        if (!mn_encoding_push(dst, src->ids[i], src->tokens[i], src->type_ids[i],
                              src->words[i], src->offsets[2 * i], src->offsets[2 * i + 1],
                              src->special[i]))
            return false;
        dst->attention[dst->n - 1] = src->attention[i];
    }
    return true;
}

void mn_encoding_truncate(mn_encoding *e, int max_len, bool from_left)
{
    int drop;

    if (max_len >= e->n)
        return;
    drop = e->n - max_len;
    if (!from_left) {
        for (int i = max_len; i < e->n; i++)
            mn_free(e->tokens[i]);
        e->n = max_len;
        return;
    }
    for (int i = 0; i < drop; i++)
        mn_free(e->tokens[i]);
#define SHIFT(f, k) memmove(e->f, e->f + (size_t)drop * (k), sizeof *e->f * (size_t)max_len * (k))
    SHIFT(ids, 1);
    SHIFT(type_ids, 1);
    SHIFT(words, 1);
    SHIFT(tokens, 1);
    SHIFT(offsets, 2);
    SHIFT(special, 1);
    SHIFT(attention, 1);
#undef SHIFT
    e->n = max_len;
}

/* ---- ByteLevel trim_offsets ------------------------------------------- */

static bool space_like(uint32_t cp)
{
    /* 'Ġ' (the byte-level space) or Rust's char::is_whitespace. */
    return cp == 0x120 || (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 ||
           cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

void mn_trim_offsets(mn_encoding *e, bool add_prefix_space)
{
    for (int i = 0; i < e->n; i++) {
        const unsigned char *t = (const unsigned char *)e->tokens[i];
        size_t len = strlen(e->tokens[i]);
        uint32_t cps[1024], *o = &e->offsets[2 * i];
        size_t n = 0, lead = 0, trail = 0;

        for (size_t p = 0; p < len && n < 1024;) {
            int l = mn_utf8_decode(t + p, len - p, &cps[n]);

            p += l ? (size_t)l : 1;
            n++;
        }
        while (lead < n && space_like(cps[lead]))
            lead++;
        while (trail < n && space_like(cps[n - 1 - trail]))
            trail++;
        if (lead > 0) {
            bool is_first = i == 0 || o[0] == 0;

            /* The one space add_prefix_space inserted is not trimmed away. */
            if (is_first && add_prefix_space && lead == 1)
                lead = 0;
            o[0] = o[0] + lead < o[1] ? o[0] + (uint32_t)lead : o[1];
        }
        if (trail > 0 && o[1] >= trail)
            o[1] = o[1] - trail > o[0] ? o[1] - (uint32_t)trail : o[0];
    }
}

/* ---- Post-processors --------------------------------------------------- */

typedef struct special_token {
    char *name;           /* the template's key ("[CLS]") */
    int32_t *ids;
    char **tokens;
    int n;
} special_token;

typedef struct template_piece {
    bool is_sequence;     /* $A / $B, else a special token */
    int sequence;         /* 0: A, 1: B */
    int special;          /* index into specials */
    int32_t type_id;
} template_piece;

enum { PP_TEMPLATE, PP_BERT, PP_ROBERTA, PP_BYTELEVEL, PP_SEQUENCE };

typedef struct processor {
    mn_post_processor base;
    int kind;
    template_piece *single, *pair;
    int n_single, n_pair;
    special_token *specials;
    int n_specials;
    char *cls, *sep;          /* Bert, Roberta */
    int32_t cls_id, sep_id;
    bool trim_offsets, add_prefix_space;
    mn_post_processor **children;
    int n_children;
} processor;

static void processor_free(mn_post_processor *self)
{
    processor *p = (processor *)self;

    if (!p)
        return;
    for (int i = 0; i < p->n_specials; i++) {
        for (int j = 0; j < p->specials[i].n; j++)
            mn_free(p->specials[i].tokens[j]);
        mn_free(p->specials[i].tokens);
        mn_free(p->specials[i].ids);
        mn_free(p->specials[i].name);
    }
    for (int i = 0; i < p->n_children; i++)
        p->children[i]->free(p->children[i]);
    mn_free(p->children);
    mn_free(p->specials);
    mn_free(p->single);
    mn_free(p->pair);
    mn_free(p->cls);
    mn_free(p->sep);
    mn_free(p);
}

static mnlp_status oom(void)
{
    return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory in the post-processor");
}

/* Append the tokens of special token s with type_id. */
static bool push_special(mn_encoding *e, const special_token *s, int32_t type_id)
{
    for (int j = 0; j < s->n; j++)
        if (!mn_encoding_push(e, s->ids[j], s->tokens[j], type_id, -1, 0, 0, true))
            return false;
    return true;
}

static bool set_type_ids(mn_encoding *e, int32_t type_id)
{
    for (int i = 0; i < e->n; i++)
        e->type_ids[i] = type_id;
    return true;
}

static mnlp_status process_template(const processor *p, mn_encoding *enc, int *np, bool add)
{
    int n = *np;
    const template_piece *t = n == 2 ? p->pair : p->single;
    int nt = n == 2 ? p->n_pair : p->n_single;
    mn_encoding out = {0};

    for (int i = 0; i < nt; i++) {
        bool ok = true;

        if (t[i].is_sequence) {
            if (t[i].sequence >= n)
                continue;
            set_type_ids(&enc[t[i].sequence], t[i].type_id);
            ok = mn_encoding_append(&out, &enc[t[i].sequence]);
        } else if (add) {
            ok = push_special(&out, &p->specials[t[i].special], t[i].type_id);
        }
        if (!ok) {
            mn_encoding_free(&out);
            return oom();
        }
    }
    /* The merged result replaces the first encoding; the pair is consumed. */
    for (int i = 0; i < n; i++)
        mn_encoding_free(&enc[i]);
    enc[0] = out;
    *np = 1;
    return MNLP_OK;
}

/* BertProcessing and RobertaProcessing: [CLS] A [SEP] ([SEP]) B [SEP]. */
static mnlp_status process_cls_sep(const processor *p, mn_encoding *enc, int *np, bool add)
{
    int n = *np;
    bool roberta = p->kind == PP_ROBERTA;
    special_token cls = {p->cls, (int32_t *)&p->cls_id, (char **)&p->cls, 1};
    special_token sep = {p->sep, (int32_t *)&p->sep_id, (char **)&p->sep, 1};
    mn_encoding out = {0};
    bool ok = true;

    if (roberta && p->trim_offsets)
        for (int i = 0; i < n; i++)
            mn_trim_offsets(&enc[i], p->add_prefix_space);
    /* Roberta gives every sequence type 0; Bert keeps the default, its index. */
    for (int i = 0; i < n; i++)
        set_type_ids(&enc[i], roberta ? 0 : i);
    if (!add)
        return MNLP_OK;
    ok = push_special(&out, &cls, 0) && mn_encoding_append(&out, &enc[0]) &&
         push_special(&out, &sep, 0);
    if (ok && n == 2)
        ok = (!roberta || push_special(&out, &sep, 0)) && mn_encoding_append(&out, &enc[1]) &&
             push_special(&out, &sep, roberta ? 0 : 1);
    if (!ok) {
        mn_encoding_free(&out);
        return oom();
    }
    for (int i = 0; i < n; i++)
        mn_encoding_free(&enc[i]);
    enc[0] = out;
    *np = 1;
    return MNLP_OK;
}

static mnlp_status processor_process(const mn_post_processor *self, mn_encoding *enc, int *n,
                                     bool add)
{
    const processor *p = (const processor *)self;
    mnlp_status rc = MNLP_OK;

    switch (p->kind) {
    case PP_TEMPLATE: return process_template(p, enc, n, add);
    case PP_BERT:
    case PP_ROBERTA: return process_cls_sep(p, enc, n, add);
    case PP_BYTELEVEL:
        if (p->trim_offsets)
            for (int i = 0; i < *n; i++)
                mn_trim_offsets(&enc[i], p->add_prefix_space);
        return MNLP_OK;
    case PP_SEQUENCE:
        for (int i = 0; i < p->n_children && rc == MNLP_OK; i++)
            rc = p->children[i]->process(p->children[i], enc, n, add);
        return rc;
    }
    return MNLP_OK;
}

static int processor_added(const mn_post_processor *self, bool is_pair)
{
    const processor *p = (const processor *)self;
    int count = 0;

    switch (p->kind) {
    case PP_TEMPLATE: {
        const template_piece *t = is_pair ? p->pair : p->single;

        for (int i = 0; i < (is_pair ? p->n_pair : p->n_single); i++)
            if (!t[i].is_sequence)
                count += p->specials[t[i].special].n;
        return count;
    }
    case PP_BERT: return is_pair ? 3 : 2;
    case PP_ROBERTA: return is_pair ? 4 : 2;
    case PP_SEQUENCE:
        for (int i = 0; i < p->n_children; i++)
            count += p->children[i]->added_tokens(p->children[i], is_pair);
        return count;
    }
    return 0;
}

/* "[CLS]": {"id": "[CLS]", "ids": [101], "tokens": ["[CLS]"]} */
static mnlp_status parse_specials(processor *p, const mn_json *obj)
{
    if (!obj)
        return MNLP_OK;
    if (obj->type != MN_JSON_OBJECT)
        return mn_json_error(obj, MNLP_ERR_FORMAT, "is not an object");
    p->specials = mn_calloc(obj->len + 1, sizeof *p->specials);
    if (!p->specials)
        return oom();
    for (size_t i = 0; i < obj->len; i++) {
        const mn_json *e = &obj->items[i], *ids = mn_json_get(e, "ids");
        const mn_json *toks = mn_json_get(e, "tokens");
        special_token *s = &p->specials[p->n_specials];

        if (!ids || ids->type != MN_JSON_ARRAY || !toks || toks->type != MN_JSON_ARRAY ||
            ids->len != toks->len)
            return mn_json_error(e, MNLP_ERR_FORMAT, "needs \"ids\" and \"tokens\" arrays of "
                                 "one length");
        if (!(s->name = mn_strdup(e->key)) ||
            !(s->ids = mn_calloc(ids->len + 1, sizeof *s->ids)) ||
            !(s->tokens = mn_calloc(ids->len + 1, sizeof *s->tokens)))
            return oom();
        p->n_specials++;
        for (size_t j = 0; j < ids->len; j++) {
            if (!ids->items[j].is_int || ids->items[j].integer < 0 ||
                ids->items[j].integer > INT32_MAX)
                return mn_json_error(&ids->items[j], MNLP_ERR_FORMAT, "is not a token id");
            if (toks->items[j].type != MN_JSON_STRING)
                return mn_json_error(&toks->items[j], MNLP_ERR_FORMAT, "is not a string");
            s->ids[j] = (int32_t)ids->items[j].integer;
            if (!(s->tokens[j] = mn_strdup(toks->items[j].str)))
                return oom();
            s->n++;
        }
    }
    return MNLP_OK;
}

/* [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", ...}}] */
static mnlp_status parse_template(processor *p, const mn_json *node, const char *key,
                                  template_piece **out, int *n)
{
    const mn_json *arr = mn_json_get(node, key);

    if (!arr || arr->type != MN_JSON_ARRAY)
        return mn_json_error(arr ? arr : node, MNLP_ERR_FORMAT, "\"%s\" is not an array",
                             key);
    if (!(*out = mn_calloc(arr->len + 1, sizeof **out)))
        return oom();
    for (size_t i = 0; i < arr->len; i++) {
        const mn_json *item = &arr->items[i], *body;
        template_piece *t = &(*out)[i];
        const char *id = NULL;
        int64_t type_id = 0;
        mnlp_status rc;

        if (item->type != MN_JSON_OBJECT || item->len != 1)
            return mn_json_error(item, MNLP_ERR_FORMAT, "is not a template piece");
        body = &item->items[0];
        t->is_sequence = strcmp(body->key, "Sequence") == 0;
        if (!t->is_sequence && strcmp(body->key, "SpecialToken") != 0)
            return mn_json_error(body, MNLP_ERR_UNSUPPORTED, "unknown template piece");
        if ((rc = mn_json_str(body, "id", &id)) != MNLP_OK ||
            (rc = mn_json_int_opt(body, "type_id", &type_id)) != MNLP_OK)
            return rc;
        t->type_id = (int32_t)type_id;
        if (t->is_sequence) {
            if (strcmp(id, "A") && strcmp(id, "B"))
                return mn_json_error(body, MNLP_ERR_FORMAT, "sequence id \"%s\" is not A or B",
                                     id);
            t->sequence = id[0] == 'B';
        } else {
            t->special = -1;
            for (int k = 0; k < p->n_specials; k++)
                if (strcmp(p->specials[k].name, id) == 0)
                    t->special = k;
            if (t->special < 0)
                return mn_json_error(body, MNLP_ERR_FORMAT, "special token \"%s\" is not in "
                                     "special_tokens", id);
        }
        (*n)++;
    }
    return MNLP_OK;
}

/* "sep": ["</s>", 2] */
static mnlp_status parse_pair(const mn_json *obj, const char *key, char **token, int32_t *id)
{
    const mn_json *v = mn_json_get(obj, key);

    if (!v || v->type != MN_JSON_ARRAY || v->len != 2 || v->items[0].type != MN_JSON_STRING ||
        !v->items[1].is_int)
        return mn_json_error(v ? v : obj, MNLP_ERR_FORMAT, "\"%s\" must be [token, id]", key);
    *id = (int32_t)v->items[1].integer;
    return (*token = mn_strdup(v->items[0].str)) ? MNLP_OK : oom();
}

/* trim_offsets and add_prefix_space of ByteLevel and RobertaProcessing. */
static mnlp_status parse_trim(processor *p, const mn_json *node)
{
    mnlp_status rc = mn_json_bool_opt(node, "trim_offsets", &p->trim_offsets);

    return rc ? rc : mn_json_bool_opt(node, "add_prefix_space", &p->add_prefix_space);
}

static mnlp_status build(processor *p, const mn_json *node)
{
    static const char *const kinds[] = {"TemplateProcessing", "BertProcessing",
                                        "RobertaProcessing", "ByteLevel", "Sequence"};
    const char *type = NULL;
    mnlp_status rc;

    if ((rc = mn_json_str(node, "type", &type)) != MNLP_OK)
        return rc;
    p->kind = -1;
    for (int i = 0; i < MN_COUNT(kinds); i++)
        if (strcmp(type, kinds[i]) == 0)
            p->kind = i;
    p->trim_offsets = true;
    p->add_prefix_space = true;
    switch (p->kind) {
    case PP_TEMPLATE:
        if ((rc = parse_specials(p, mn_json_get(node, "special_tokens"))) != MNLP_OK ||
            (rc = parse_template(p, node, "single", &p->single, &p->n_single)) ||
            (rc = parse_template(p, node, "pair", &p->pair, &p->n_pair)))
            return rc;
        return MNLP_OK;
    case PP_BERT:
    case PP_ROBERTA:
        if ((rc = parse_pair(node, "cls", &p->cls, &p->cls_id)) != MNLP_OK ||
            (rc = parse_pair(node, "sep", &p->sep, &p->sep_id)) != MNLP_OK)
            return rc;
        return p->kind == PP_ROBERTA ? parse_trim(p, node) : MNLP_OK;
    case PP_BYTELEVEL:
        return parse_trim(p, node);
    case PP_SEQUENCE: {
        const mn_json *list = mn_json_get(node, "processors");

        if (!list || list->type != MN_JSON_ARRAY)
            return mn_json_error(node, MNLP_ERR_FORMAT, "missing \"processors\" array");
        if (!(p->children = mn_calloc(list->len + 1, sizeof *p->children)))
            return oom();
        for (size_t i = 0; i < list->len; i++) {
            if ((rc = mn_post_processor_from_json(&list->items[i], &p->children[i])))
                return rc;
            p->n_children++;
        }
        return MNLP_OK;
    }
    }
    return mn_json_error(node, MNLP_ERR_UNSUPPORTED, "unknown post-processor type \"%s\"",
                         type);
}

mnlp_status mn_post_processor_from_json(const mn_json *node, mn_post_processor **out)
{
    processor *p = mn_calloc(1, sizeof *p);
    mnlp_status rc;

    *out = NULL;
    if (!p)
        return oom();
    p->base = (mn_post_processor){processor_process, processor_added, processor_free};
    if (node->type != MN_JSON_OBJECT)
        rc = mn_json_error(node, MNLP_ERR_FORMAT, "is not an object");
    else
        rc = build(p, node);
    if (rc != MNLP_OK) {
        processor_free(&p->base);
        return rc;
    }
    *out = &p->base;
    return MNLP_OK;
}
