/*
 * transformers on top of tokenizer.json: what PreTrainedTokenizerFast and
 * its per-model subclasses (tokenization_*_fast.py) do with
 * tokenizer_config.json once the backend is built.
 */
#include "text/pretrained.h"
#include "text/tok.h"

#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const special_names[MNLP_SPECIAL_TOKEN_COUNT] = {
    "bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token",
};

/*
 * A tokenizer class's __init__ defaults. rebuilds_template: the class runs
 * update_post_processor, so add_bos_token/add_eos_token replace whatever
 * post-processor tokenizer.json has.
 */
typedef struct tokenizer_class {
    const char *name;       /* without "Fast" */
    const char *special[MNLP_SPECIAL_TOKEN_COUNT];
    bool rebuilds_template, add_bos, add_eos, slow_on_prefix_space;
    bool mask_lstrip;       /* the mask token, given as a string, strips left */
    bool extra_ids;         /* T5: <extra_id_N> tokens join additional_special_tokens */
} tokenizer_class;

#define SPECIALS(bos, eos, unk, sep, pad, cls, mask) .special = {bos, eos, unk, sep, pad, cls, mask}
#define ENDOFTEXT "<|endoftext|>"

static const tokenizer_class classes[] = {
    {"LlamaTokenizer", SPECIALS("<s>", "</s>", "<unk>", NULL, NULL, NULL, NULL),
     .rebuilds_template = true, .add_bos = true, .slow_on_prefix_space = true},
    {"CodeLlamaTokenizer", SPECIALS("<s>", "</s>", "<unk>", NULL, NULL, NULL, NULL),
     .rebuilds_template = true, .add_bos = true},
    {"GemmaTokenizer", SPECIALS("<bos>", "<eos>", "<unk>", NULL, "<pad>", NULL, NULL),
     .rebuilds_template = true, .add_bos = true},
    {"CohereTokenizer",
     SPECIALS("<BOS_TOKEN>", "<|END_OF_TURN_TOKEN|>", "<UNK>", NULL, NULL, NULL, NULL),
     .rebuilds_template = true, .add_bos = true},
    {"GPTNeoXTokenizer", SPECIALS(ENDOFTEXT, ENDOFTEXT, ENDOFTEXT, NULL, NULL, NULL, NULL),
     .rebuilds_template = true},
    {"GPT2Tokenizer", SPECIALS(ENDOFTEXT, ENDOFTEXT, ENDOFTEXT, NULL, NULL, NULL, NULL)},
    {"BertTokenizer", SPECIALS(NULL, NULL, "[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]")},
    {"DistilBertTokenizer", SPECIALS(NULL, NULL, "[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]")},
    {"RobertaTokenizer", SPECIALS("<s>", "</s>", "<unk>", "</s>", "<pad>", "<s>", "<mask>"),
     .mask_lstrip = true},
    {"T5Tokenizer", SPECIALS(NULL, "</s>", "<unk>", NULL, "<pad>", NULL, NULL),
     .slow_on_prefix_space = true, .extra_ids = true},
    {"CLIPTokenizer",
     SPECIALS("<|startoftext|>", ENDOFTEXT, ENDOFTEXT, NULL, ENDOFTEXT, NULL, NULL)},
    {"Qwen2Tokenizer", SPECIALS(NULL, ENDOFTEXT, ENDOFTEXT, NULL, ENDOFTEXT, NULL, NULL)},
};

/* AutoTokenizer's choice for a config.json model_type without tokenizer_class. */
static const struct {
    const char *model_type, *cls;
} by_model_type[] = {
    {"llama", "LlamaTokenizer"},       {"mistral", "LlamaTokenizer"},
    {"mixtral", "LlamaTokenizer"},     {"gemma", "GemmaTokenizer"},
    {"gemma2", "GemmaTokenizer"},      {"gemma3", "GemmaTokenizer"},
    {"gemma3_text", "GemmaTokenizer"}, {"cohere", "CohereTokenizer"},
    {"gpt_neox", "GPTNeoXTokenizer"},  {"gpt2", "GPT2Tokenizer"},
    {"bert", "BertTokenizer"},         {"distilbert", "DistilBertTokenizer"},
    {"roberta", "RobertaTokenizer"},   {"t5", "T5Tokenizer"},
    {"clip", "CLIPTokenizer"},         {"qwen2", "Qwen2Tokenizer"},
    {"qwen2_moe", "Qwen2Tokenizer"},   {"qwen3", "Qwen2Tokenizer"},
};

static const tokenizer_class *find_class(const mn_json *config, const char *model_type)
{
    const char *name = NULL;
    size_t len;

    if (config && mn_json_str_opt(config, "tokenizer_class", &name) != MNLP_OK)
        name = NULL;
    if (!name && model_type) {
        for (size_t i = 0; i < sizeof by_model_type / sizeof *by_model_type; i++)
            if (strcmp(by_model_type[i].model_type, model_type) == 0)
                name = by_model_type[i].cls;
    }
    if (!name)
        return NULL;
    len = strlen(name);
    if (len > 4 && strcmp(name + len - 4, "Fast") == 0)
        len -= 4;
    for (size_t i = 0; i < sizeof classes / sizeof *classes; i++)
        if (strlen(classes[i].name) == len && strncmp(classes[i].name, name, len) == 0)
            return &classes[i];
    return NULL;
}

bool mn_pretrained_wants_slow(const mn_json *config, const char *model_type)
{
    const tokenizer_class *cls = find_class(config, model_type);
    const mn_json *v;
    bool from_slow = false;

    if (config && mn_json_bool_opt(config, "from_slow", &from_slow) == MNLP_OK && from_slow)
        return true;
    v = config ? mn_json_get(config, "add_prefix_space") : NULL;
    return cls && cls->slow_on_prefix_space && v && v->type != MN_JSON_NULL;
}

/* A special token as tokenizer_config.json writes it: a string, an
 * AddedToken object (its content), or null. */
static mnlp_status token_text(const mn_json *v, const char **out)
{
    *out = NULL;
    if (!v || v->type == MN_JSON_NULL)
        return MNLP_OK;
    if (v->type == MN_JSON_STRING) {
        *out = v->str;
        return MNLP_OK;
    }
    if (v->type == MN_JSON_OBJECT)
        return mn_json_str(v, "content", out);
    return mn_json_error(v, MNLP_ERR_FORMAT, "is not a token (string or AddedToken object)");
}

/*
 * The special tokens as transformers' __init__ sees them: the class's
 * defaults, then tokenizer_config.json's, then (legacy folders)
 * special_tokens_map.json's, which override them. node[i] is the JSON value
 * that set token i (a string or an AddedToken object), NULL for a default.
 */
typedef struct specials {
    const mn_json *node[MNLP_SPECIAL_TOKEN_COUNT];
    const mn_json **extra;      /* additional_special_tokens, in order */
    size_t n_extra;
} specials;

/* Append the entries of an additional_special_tokens list not there yet. */
static mnlp_status add_extra(mnlp_tokenizer *t, specials *sp, const mn_json *list)
{
    const mn_json **grown;
    mnlp_status rc;

    if (!list || list->type == MN_JSON_NULL)
        return MNLP_OK;
    if (list->type != MN_JSON_ARRAY)
        return mn_json_error(list, MNLP_ERR_FORMAT, "is not an array");
    if (!(grown = mn_reallocn(sp->extra, sp->n_extra + list->len + 1, sizeof *grown)))
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    sp->extra = grown;
    for (size_t i = 0; i < list->len; i++) {
        const char *text, *const *have;
        size_t n = mnlp_tokenizer_additional_special_tokens(t, &have), k = 0;

        if ((rc = token_text(&list->items[i], &text)) != MNLP_OK)
            return rc;
        while (text && k < n && strcmp(have[k], text) != 0)
            k++;
        if (!text || k < n)
            continue;
        if ((rc = mn_tokenizer_add_additional_special(t, text)) != MNLP_OK)
            return rc;
        sp->extra[sp->n_extra++] = &list->items[i];
    }
    return MNLP_OK;
}

static mnlp_status load_specials(mnlp_tokenizer *t, const mn_json *config,
                                 const mn_json *legacy_map, const tokenizer_class *cls,
                                 specials *sp)
{
    mnlp_status rc;

    for (int i = 0; i < MNLP_SPECIAL_TOKEN_COUNT; i++) {
        const mn_json *v = config ? mn_json_get(config, special_names[i]) : NULL;
        const mn_json *m = legacy_map ? mn_json_get(legacy_map, special_names[i]) : NULL;
        const char *text = cls ? cls->special[i] : NULL;

        if (v && (rc = token_text(v, &text)) != MNLP_OK)
            return mn_error_prefix(rc, "tokenizer_config.json");
        if (m && (rc = token_text(m, &text)) != MNLP_OK)
            return mn_error_prefix(rc, "special_tokens_map.json");
        sp->node[i] = m ? m : v;
        if ((rc = mn_tokenizer_set_special(t, (mnlp_special_token)i, text)) != MNLP_OK)
            return rc;
    }
    if ((rc = add_extra(t, sp, config ? mn_json_get(config, "additional_special_tokens")
                                      : NULL)) != MNLP_OK)
        return mn_error_prefix(rc, "tokenizer_config.json");
    if ((rc = add_extra(t, sp, legacy_map ? mn_json_get(legacy_map, "additional_special_tokens")
                                          : NULL)) != MNLP_OK)
        return mn_error_prefix(rc, "special_tokens_map.json");
    return MNLP_OK;
}

/*
 * T5TokenizerFast: without any <extra_id_N> among additional_special_tokens,
 * extra_ids (default 100) of them are appended; a different count is an error.
 */
static mnlp_status add_extra_ids(mnlp_tokenizer *t, const mn_json *config)
{
    const char *const *have;
    size_t n = mnlp_tokenizer_additional_special_tokens(t, &have), found = 0;
    int64_t extra_ids = 100;
    char name[32];
    mnlp_status rc;

    if (config && (rc = mn_json_int_opt(config, "extra_ids", &extra_ids)) != MNLP_OK)
        return mn_error_prefix(rc, "tokenizer_config.json");
    for (size_t i = 0; i < n; i++)
        found += strstr(have[i], "<extra_id_") != NULL;
    if (found > 0) {
        if (extra_ids > 0 && (size_t)extra_ids != found)
            return mn_errorf(MNLP_ERR_FORMAT,
                             "tokenizer_config.json: extra_ids is %lld but "
                             "additional_special_tokens has %zu <extra_id_N> tokens",
                             (long long)extra_ids, found);
        return MNLP_OK;
    }
    if (extra_ids < 0 || extra_ids > 100000)
        return mn_errorf(MNLP_ERR_FORMAT, "tokenizer_config.json: extra_ids %lld is out of range",
                         (long long)extra_ids);
    for (int64_t i = 0; i < extra_ids; i++) {
        snprintf(name, sizeof name, "<extra_id_%lld>", (long long)i);
        if ((rc = mn_tokenizer_add_additional_special(t, name)) != MNLP_OK)
            return rc;
    }
    return MNLP_OK;
}

static bool is_special_text(const mnlp_tokenizer *t, const char *text)
{
    const char *const *extra;
    size_t n = mnlp_tokenizer_additional_special_tokens(t, &extra);

    for (int i = 0; i < MNLP_SPECIAL_TOKEN_COUNT; i++) {
        const char *s = mnlp_tokenizer_special_token(t, (mnlp_special_token)i);

        if (s && strcmp(s, text) == 0)
            return true;
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(extra[i], text) == 0)
            return true;
    return false;
}

/*
 * One added token as an AddedToken object: its text, special, and the
 * flags of node when node is an AddedToken object (else the defaults of a
 * token made from a string: normalized unless special, lstrip as given).
 */
static mnlp_status add_token(mnlp_tokenizer *t, const char *text, bool special,
                             const mn_json *node, bool lstrip)
{
    mn_sb sb = {0};
    mn_json_doc *doc = NULL;
    const mn_json *entry;
    bool single_word = false, rstrip = false, normalized = !special;
    mnlp_status rc;

    if (node && node->type == MN_JSON_OBJECT &&
        ((rc = mn_json_bool_opt(node, "single_word", &single_word)) ||
         (rc = mn_json_bool_opt(node, "lstrip", &lstrip)) ||
         (rc = mn_json_bool_opt(node, "rstrip", &rstrip)) ||
         (rc = mn_json_bool_opt(node, "normalized", &normalized))))
        return rc;
    mn_sb_puts(&sb, "{\"content\": ");
    mn_json_write_string(&sb, text, strlen(text), false);
    mn_sb_printf(&sb,
                 ", \"special\": %s, \"normalized\": %s, \"single_word\": %s, "
                 "\"lstrip\": %s, \"rstrip\": %s}",
                 special ? "true" : "false", normalized ? "true" : "false",
                 single_word ? "true" : "false", lstrip ? "true" : "false",
                 rstrip ? "true" : "false");
    if (sb.failed) {
        mn_sb_free(&sb);
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    }
    rc = mn_json_parse(sb.data, sb.len, NULL, &doc);
    mn_sb_free(&sb);
    if (rc != MNLP_OK)
        return rc;
    entry = mn_json_root(doc);
    rc = mn_tokenizer_add_tokens(t, &entry, 1);
    mn_json_free(doc);
    return rc;
}

static int by_value(const void *a, const void *b)
{
    const mn_json *x = *(const mn_json *const *)a, *y = *(const mn_json *const *)b;

    return x->integer < y->integer ? -1 : x->integer > y->integer;
}

/* added_tokens.json ({"token": index}), added in index order; special when
 * it is one of the special tokens, and then not normalized. */
static mnlp_status load_added_json(mnlp_tokenizer *t, const mn_json *added)
{
    const mn_json **entries;
    mnlp_status rc = MNLP_OK;

    if (!added)
        return MNLP_OK;
    if (added->type != MN_JSON_OBJECT)
        return mn_errorf(MNLP_ERR_FORMAT, "added_tokens.json: top level is not an object");
    if (!(entries = mn_reallocn(NULL, added->len + 1, sizeof *entries)))
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    for (size_t i = 0; i < added->len; i++) {
        if (!added->items[i].is_int) {
            mn_free(entries);
            mn_json_error(&added->items[i], MNLP_ERR_FORMAT, "is not a token index");
            return mn_error_prefix(MNLP_ERR_FORMAT, "added_tokens.json");
        }
        entries[i] = &added->items[i];
    }
    qsort(entries, added->len, sizeof *entries, by_value);
    for (size_t i = 0; i < added->len && rc == MNLP_OK; i++) {
        bool special = is_special_text(t, entries[i]->key);

        rc = add_token(t, entries[i]->key, special, NULL, false);
    }
    mn_free(entries);
    return rc;
}

static int by_index(const void *a, const void *b)
{
    const mn_json *x = *(const mn_json *const *)a, *y = *(const mn_json *const *)b;
    long long i = strtoll(x->key, NULL, 10), j = strtoll(y->key, NULL, 10);

    return i < j ? -1 : i > j;
}

/* added_tokens_decoder, in index order, as transformers adds it. */
static mnlp_status load_added_decoder(mnlp_tokenizer *t, const mn_json *decoder)
{
    const mn_json **entries;
    mnlp_status rc;

    if (!decoder || decoder->type == MN_JSON_NULL)
        return MNLP_OK;
    if (decoder->type != MN_JSON_OBJECT)
        return mn_json_error(decoder, MNLP_ERR_FORMAT, "is not an object");
    if (!(entries = mn_reallocn(NULL, decoder->len + 1, sizeof *entries)))
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    for (size_t i = 0; i < decoder->len; i++) {
        const char *key = decoder->items[i].key;
        char *end;

        strtoll(key, &end, 10);
        if (!*key || *end || decoder->items[i].type != MN_JSON_OBJECT) {
            mn_free(entries);
            return mn_json_error(&decoder->items[i], MNLP_ERR_FORMAT,
                                 "is not an index with an AddedToken object");
        }
        entries[i] = &decoder->items[i];
    }
    qsort(entries, decoder->len, sizeof *entries, by_index);
    rc = mn_tokenizer_add_tokens(t, entries, decoder->len);
    mn_free(entries);
    return rc;
}

/*
 * A special token that is not an added token yet becomes one (also when
 * the model's vocabulary has it: added tokens are matched before the
 * normalizer), as the fast tokenizer's __init__ adds all_special_tokens_extended.
 */
static mnlp_status add_special(mnlp_tokenizer *t, const mn_json *node, const char *text,
                               bool lstrip)
{
    if (!text || mn_tokenizer_has_added(t, text))
        return MNLP_OK;
    return add_token(t, text, true, node, lstrip);
}

static void template_piece(mn_sb *sb, const char *special, const char *seq, int type_id)
{
    if (special) {
        mn_sb_puts(sb, "{\"SpecialToken\": {\"id\": ");
        mn_json_write_string(sb, special, strlen(special), false);
    } else {
        mn_sb_printf(sb, "{\"Sequence\": {\"id\": \"%s\"", seq);
    }
    mn_sb_printf(sb, ", \"type_id\": %d}}", type_id);
}

/* [bos:type] $seq:type [eos:type], without brackets around the list. */
static void template_sequence(mn_sb *sb, const char *bos, const char *seq, const char *eos,
                              int type_id)
{
    if (bos) {
        template_piece(sb, bos, NULL, type_id);
        mn_sb_puts(sb, ", ");
    }
    template_piece(sb, NULL, seq, type_id);
    if (eos) {
        mn_sb_puts(sb, ", ");
        template_piece(sb, eos, NULL, type_id);
    }
}

static void template_special(mn_sb *sb, const char *token, int32_t id)
{
    size_t n = strlen(token);

    mn_json_write_string(sb, token, n, false);
    mn_sb_puts(sb, ": {\"id\": ");
    mn_json_write_string(sb, token, n, false);
    mn_sb_printf(sb, ", \"ids\": [%d], \"tokens\": [", (int)id);
    mn_json_write_string(sb, token, n, false);
    mn_sb_puts(sb, "]}");
}

/* The id convert_tokens_to_ids gives: the unknown token's when absent. */
static int32_t token_id(const mnlp_tokenizer *t, const char *token)
{
    int32_t id = mnlp_tokenizer_token_to_id(t, token);
    const char *unk = mnlp_tokenizer_special_token(t, MNLP_UNK_TOKEN);

    return id >= 0 || !unk ? id : mnlp_tokenizer_token_to_id(t, unk);
}

/*
 * update_post_processor: "<bos>:0 $A:0 <eos>:0" for one sequence and
 * "... <bos>:1 $B:1 <eos>:1" for a pair, each special token present only
 * when its add_*_token flag is set.
 */
static mnlp_status rebuild_template(mnlp_tokenizer *t, bool add_bos, bool add_eos)
{
    const char *bos = mnlp_tokenizer_special_token(t, MNLP_BOS_TOKEN);
    const char *eos = mnlp_tokenizer_special_token(t, MNLP_EOS_TOKEN);
    int32_t bos_id = -1, eos_id = -1;
    mn_sb sb = {0};
    mn_json_doc *doc = NULL;
    mnlp_status rc;

    if (add_bos && !bos)
        return mn_errorf(MNLP_ERR_FORMAT, "add_bos_token is true but there is no bos_token");
    if (add_eos && !eos)
        return mn_errorf(MNLP_ERR_FORMAT, "add_eos_token is true but there is no eos_token");
    if (add_bos && (bos_id = token_id(t, bos)) < 0)
        return mn_errorf(MNLP_ERR_FORMAT, "bos_token \"%s\" is not in the vocabulary", bos);
    if (add_eos && (eos_id = token_id(t, eos)) < 0)
        return mn_errorf(MNLP_ERR_FORMAT, "eos_token \"%s\" is not in the vocabulary", eos);
    mn_sb_puts(&sb, "{\"type\": \"TemplateProcessing\", \"single\": [");
    template_sequence(&sb, add_bos ? bos : NULL, "A", add_eos ? eos : NULL, 0);
    mn_sb_puts(&sb, "], \"pair\": [");
    template_sequence(&sb, add_bos ? bos : NULL, "A", add_eos ? eos : NULL, 0);
    mn_sb_puts(&sb, ", ");
    template_sequence(&sb, add_bos ? bos : NULL, "B", add_eos ? eos : NULL, 1);
    mn_sb_puts(&sb, "]");
    mn_sb_puts(&sb, ", \"special_tokens\": {");
    if (add_bos)
        template_special(&sb, bos, bos_id);
    if (add_eos && !(add_bos && strcmp(bos, eos) == 0)) {
        mn_sb_puts(&sb, add_bos ? ", " : "");
        template_special(&sb, eos, eos_id);
    }
    mn_sb_puts(&sb, "}}");
    if (sb.failed) {
        mn_sb_free(&sb);
        return mn_errorf(MNLP_ERR_OUT_OF_MEMORY, "out of memory");
    }
    rc = mn_json_parse(sb.data, sb.len, NULL, &doc);
    mn_sb_free(&sb);
    if (rc == MNLP_OK)
        rc = mn_tokenizer_set_post_processor(t, mn_json_root(doc));
    mn_json_free(doc);
    return rc;
}

/* model_max_length: a number, often 1e30 for "no limit" (SIZE_MAX here). */
static mnlp_status max_length(const mn_json *config, size_t *out)
{
    const mn_json *v = config ? mn_json_get(config, "model_max_length") : NULL;

    *out = SIZE_MAX;
    if (!v || v->type == MN_JSON_NULL)
        return MNLP_OK;
    if (v->type != MN_JSON_NUMBER || !(v->number >= 0))
        return mn_json_error(v, MNLP_ERR_FORMAT, "is not a length");
    if (v->number < 9007199254740992.0)
        *out = (size_t)v->number;
    return MNLP_OK;
}

mnlp_status mn_pretrained_apply(mnlp_tokenizer *t, const mn_pretrained_files *files)
{
    const mn_json *config = files->tokenizer_config;
    const tokenizer_class *cls = find_class(config, files->model_type);
    /* Without added_tokens_decoder, transformers reads the legacy files. */
    bool legacy = !config || !mn_json_get(config, "added_tokens_decoder");
    bool clean_up = false, add_bos = cls && cls->add_bos, add_eos = cls && cls->add_eos;
    const char *const *extra;
    size_t limit, n_extra;
    specials sp = {{NULL}, NULL, 0};
    mnlp_status rc;

    if (config && config->type != MN_JSON_OBJECT)
        return mn_errorf(MNLP_ERR_FORMAT, "tokenizer_config.json: top level is not an object");
    if (legacy && files->special_tokens_map &&
        files->special_tokens_map->type != MN_JSON_OBJECT)
        return mn_errorf(MNLP_ERR_FORMAT, "special_tokens_map.json: top level is not an object");
    rc = load_specials(t, config, legacy ? files->special_tokens_map : NULL, cls, &sp);
    if (rc == MNLP_OK && cls && cls->extra_ids)
        rc = add_extra_ids(t, config);
    if (rc == MNLP_OK &&
        (rc = load_added_decoder(t, config ? mn_json_get(config, "added_tokens_decoder") : NULL)))
        mn_error_prefix(rc, "tokenizer_config.json");
    if (rc == MNLP_OK && legacy)
        rc = load_added_json(t, files->added_tokens);
    for (int i = 0; i < MNLP_SPECIAL_TOKEN_COUNT && rc == MNLP_OK; i++)
        rc = add_special(t, sp.node[i], mnlp_tokenizer_special_token(t, i),
                         i == MNLP_MASK_TOKEN && cls && cls->mask_lstrip);
    n_extra = mnlp_tokenizer_additional_special_tokens(t, &extra);
    for (size_t i = 0; i < n_extra && rc == MNLP_OK; i++)
        rc = add_special(t, i < sp.n_extra ? sp.extra[i] : NULL, extra[i], false);
    mn_free(sp.extra);
    if (rc != MNLP_OK)
        return rc;
    if ((config && ((rc = mn_json_bool_opt(config, "clean_up_tokenization_spaces", &clean_up)) ||
                    (rc = mn_json_bool_opt(config, "add_bos_token", &add_bos)) ||
                    (rc = mn_json_bool_opt(config, "add_eos_token", &add_eos)))) ||
        (rc = max_length(config, &limit)) != MNLP_OK ||
        (cls && cls->rebuilds_template && (rc = rebuild_template(t, add_bos, add_eos))))
        return mn_error_prefix(rc, "tokenizer_config.json");
    mn_tokenizer_set_options(t, clean_up, limit);
    return MNLP_OK;
}
