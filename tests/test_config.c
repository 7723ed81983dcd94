/* io/config: config.json against the Hugging Face config classes. */
#include "test.h"

#include "io/io.h"

#include <dirent.h>
#include <stdlib.h>

static mnlp_config *parse(const char *json)
{
    mnlp_config *c = NULL;

    if (mnlp_config_parse(json, strlen(json), "config.json", &c) != MNLP_OK)
        test_fail(__FILE__, __LINE__, "%s: %s", json, mnlp_last_error());
    return c;
}

/*
 * Every config.json that transformers wrote for the fixtures (and the real
 * configs kept for benchmarks) loads with no unknown field, and each
 * field it sets reads back through the typed getters.
 */
static void configs_saved_by_transformers_are_fully_understood(void)
{
    char dir[4096];
    DIR *d;
    struct dirent *e;
    int n = 0;

    snprintf(dir, sizeof dir, "%s/tests/fixtures/configs", test_source_dir());
    d = opendir(dir);
    CHECK(d != NULL);
    while (d && (e = readdir(d))) {
        char path[8192];
        mnlp_config *c = NULL;

        if (!strstr(e->d_name, ".json"))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (mnlp_config_load(path, &c) != MNLP_OK) {
            test_fail(__FILE__, __LINE__, "%s: %s", e->d_name, mnlp_last_error());
            continue;
        }
        n++;
        /* Qwen2.5's use_mrope is a Qwen2-VL field that Qwen2Config does not define. */
        for (size_t i = 0; mnlp_config_unknown_field(c, i); i++)
            if (strcmp(mnlp_config_unknown_field(c, i), "use_mrope") != 0)
                test_fail(__FILE__, __LINE__, "%s: unknown field \"%s\"", e->d_name,
                          mnlp_config_unknown_field(c, i));
        for (size_t i = 0; i < mn_config_json(c)->len; i++) {
            const mn_json *v = &mn_config_json(c)->items[i];
            int64_t iv;
            double dv;

            if (v->type == MN_JSON_NUMBER && v->is_int) {
                CHECK_OK(mnlp_config_get_int(c, v->key, &iv));
                CHECK_INT(iv, v->integer);
            } else if (v->type == MN_JSON_NUMBER) {
                CHECK_OK(mnlp_config_get_float(c, v->key, &dv));
                CHECK(dv == v->number);
            }
        }
        mnlp_config_free(c);
    }
    if (d)
        closedir(d);
    CHECK(n >= 30);
}

static void omitted_fields_take_the_class_default(void)
{
    mnlp_config *c = parse("{\"model_type\": \"llama\", \"hidden_size\": 64, "
                           "\"num_attention_heads\": 8}");
    int64_t kv = 0, hd = 0;
    bool tied = true;
    const char *act = NULL;

    if (!c)
        return;
    /* LlamaConfig.__init__: num_key_value_heads falls back to num_attention_heads and
     * head_dim to hidden_size // num_attention_heads. */
    CHECK_OK(mnlp_config_get_int(c, "num_key_value_heads", &kv));
    CHECK_INT(kv, 8);
    CHECK_OK(mnlp_config_get_int(c, "head_dim", &hd));
    CHECK_INT(hd, 64 / 8);
    /* The subclass default (False) wins over PretrainedConfig's (True). */
    CHECK_OK(mnlp_config_get_bool(c, "tie_word_embeddings", &tied));
    CHECK(!tied);
    CHECK_OK(mnlp_config_get_string(c, "hidden_act", &act));
    CHECK_STR(act, "silu");
    CHECK_STR(mnlp_config_class_name(c), "LlamaConfig");
    CHECK(mnlp_config_architecture(c) == NULL);
    mnlp_config_free(c);
}

static void explicit_null_is_derived_too(void)
{
    mnlp_config *c = parse("{\"model_type\": \"llama\", \"num_attention_heads\": 6, "
                           "\"num_key_value_heads\": null, \"rope_scaling\": null}");
    int64_t kv = 0;
    double d;

    if (!c)
        return;
    CHECK_OK(mnlp_config_get_int(c, "num_key_value_heads", &kv));
    CHECK_INT(kv, 6);
    CHECK_ERR(mnlp_config_get_float(c, "rope_scaling", &d), MNLP_ERR_NOT_FOUND,
              "config.json: \"rope_scaling\" is null");
    mnlp_config_free(c);
}

static void aliases_read_the_stored_field(void)
{
    mnlp_config *c = parse("{\"model_type\": \"gpt2\", \"n_embd\": 96, \"n_layer\": 3}");
    int64_t v = 0;

    if (!c)
        return;
    CHECK_OK(mnlp_config_get_int(c, "hidden_size", &v));
    CHECK_INT(v, 96);
    CHECK_OK(mnlp_config_get_int(c, "num_hidden_layers", &v));
    CHECK_INT(v, 3);
    CHECK(mnlp_config_unknown_field(c, 0) == NULL);
    mnlp_config_free(c);
}

static void wrong_types_name_the_field(void)
{
    static const struct {
        const char *json, *message;
    } cases[] = {
        {"{\"model_type\": \"llama\", \"hidden_size\": \"64\"}",
         "config.json: \"hidden_size\" is a string, expected integer"},
        {"{\"model_type\": \"llama\", \"hidden_size\": 64.5}",
         "\"hidden_size\" is a non-integer number, expected integer"},
        {"{\"model_type\": \"llama\", \"rope_scaling\": [1]}",
         "\"rope_scaling\" is an array, expected null or object"},
        {"{\"model_type\": \"llama\", \"eos_token_id\": \"x\"}",
         "\"eos_token_id\" is a string, expected null or integer or array"},
        {"{\"hidden_size\": 64}", "config.json: no \"model_type\""},
        {"{\"model_type\": 3}", "\"model_type\" is not a string"},
        {"{\"model_type\": \"llamax\"}", "model_type \"llamax\" is not supported (known: llama"},
        {"[]", "config.json: top level is not an object"},
        {"{\"model_type\": \"llama\",}", "config.json: line 1, column 24: expected a string key"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mnlp_config *c = NULL;
        mnlp_status want = strstr(cases[i].message, "not supported") ? MNLP_ERR_UNSUPPORTED
                                                                       : MNLP_ERR_FORMAT;

        CHECK_ERR(mnlp_config_parse(cases[i].json, strlen(cases[i].json), "config.json", &c),
                  want, cases[i].message);
        CHECK(c == NULL);
    }
}

static void float_fields_accept_integers(void)
{
    mnlp_config *c = parse("{\"model_type\": \"llama\", \"rope_theta\": 500000}");
    double theta = 0;

    if (!c)
        return;
    CHECK_OK(mnlp_config_get_float(c, "rope_theta", &theta));
    CHECK(theta == 500000.0);
    mnlp_config_free(c);
}

static void unknown_fields_are_listed(void)
{
    mnlp_config *c = parse("{\"model_type\": \"llama\", \"foo\": 1, \"bar\": [], "
                           "\"vocab_size\": 10}");
    int64_t v;

    if (!c)
        return;
    CHECK_STR(mnlp_config_unknown_field(c, 0), "foo");
    CHECK_STR(mnlp_config_unknown_field(c, 1), "bar");
    CHECK(mnlp_config_unknown_field(c, 2) == NULL);
    CHECK_ERR(mnlp_config_get_int(c, "nonexistent", &v), MNLP_ERR_NOT_FOUND,
              "\"nonexistent\" is not set and has no default");
    mnlp_config_free(c);
}

static void each_handle_keeps_its_last_failure(void)
{
    mnlp_config *a = parse("{\"model_type\": \"llama\"}");
    mnlp_config *b = parse("{\"model_type\": \"gpt2\"}");
    int64_t v;

    if (!a || !b)
        return;
    CHECK_STR(mnlp_config_error(a), "");
    CHECK(mnlp_config_get_int(a, "missing_a", &v) == MNLP_ERR_NOT_FOUND);
    CHECK(mnlp_config_get_int(b, "missing_b", &v) == MNLP_ERR_NOT_FOUND);
    CHECK(strstr(mnlp_config_error(a), "\"missing_a\""));
    CHECK(strstr(mnlp_config_error(b), "\"missing_b\""));
    CHECK(strstr(mnlp_last_error(), "\"missing_b\""));
    mnlp_config_free(a);
    mnlp_config_free(b);
}

static void divisions_by_zero_in_derived_defaults_are_errors(void)
{
    mnlp_config *c = parse("{\"model_type\": \"llama\", \"num_attention_heads\": 0}");
    int64_t v;

    if (!c)
        return;
    CHECK_ERR(mnlp_config_get_int(c, "head_dim", &v), MNLP_ERR_FORMAT,
              "\"head_dim\" divides by \"num_attention_heads\", which is 0");
    mnlp_config_free(c);
}

static void every_class_default_is_valid_json_of_its_type(void)
{
    int n;
    const mn_config_class *const *all = mn_config_classes(&n);
    char json[256];

    for (int i = 0; i < n; i++) {
        mnlp_config *c;

        snprintf(json, sizeof json, "{\"model_type\": \"%s\"}", all[i]->model_type);
        c = parse(json);
        if (!c)
            continue;
        for (int f = 0; f < all[i]->n_fields; f++) {
            const mn_config_field *field = &all[i]->fields[f];
            const mn_json *v = mn_config_value(c, field->name);

            if (!field->default_json || field->default_json[0] == '=')
                continue;
            if (!v || !((field->types & (1u << (v->type == MN_JSON_NUMBER && v->is_int ? 2
                         : v->type == MN_JSON_NUMBER ? 3 : v->type == MN_JSON_NULL ? 0
                         : v->type == MN_JSON_BOOL ? 1 : v->type + 1))) ||
                        (v->type == MN_JSON_NUMBER && (field->types & MN_JT_FLOAT))))
                test_fail(__FILE__, __LINE__, "%s.%s: default %s does not fit its types",
                          all[i]->class_name, field->name, field->default_json);
        }
        mnlp_config_free(c);
    }
}

TEST_SUITE(config, T(configs_saved_by_transformers_are_fully_understood),
           T(omitted_fields_take_the_class_default), T(explicit_null_is_derived_too),
           T(aliases_read_the_stored_field), T(wrong_types_name_the_field),
           T(float_fields_accept_integers), T(unknown_fields_are_listed),
           T(divisions_by_zero_in_derived_defaults_are_errors),
           T(each_handle_keeps_its_last_failure),
           T(every_class_default_is_valid_json_of_its_type));
