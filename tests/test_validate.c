/* models: load-time validation of config and tensors against the architecture. */
#include "test.h"

#include "st_build.h"

#include <stdlib.h>

#define MN_COUNT_T(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* A tiny llama: vocab 4, hidden 2, intermediate 3, one layer, one head. */
static const char *tiny_config =
    "{\"model_type\": \"llama\", \"architectures\": [\"LlamaForCausalLM\"], "
    "\"vocab_size\": 4, \"hidden_size\": 2, \"intermediate_size\": 3, "
    "\"num_hidden_layers\": 1, \"num_attention_heads\": 1, \"num_key_value_heads\": 1, "
    "\"tie_word_embeddings\": true%s}";

typedef struct tensor_spec {
    const char *name;
    const char *dtype;
    int64_t rows, cols; /* cols 0: a vector */
} tensor_spec;

static const tensor_spec tiny_tensors[] = {
    {"model.embed_tokens.weight", "F32", 4, 2},
    {"model.layers.0.self_attn.q_proj.weight", "F32", 2, 2},
    {"model.layers.0.self_attn.k_proj.weight", "F32", 2, 2},
    {"model.layers.0.self_attn.v_proj.weight", "F32", 2, 2},
    {"model.layers.0.self_attn.o_proj.weight", "F32", 2, 2},
    {"model.layers.0.mlp.gate_proj.weight", "F32", 3, 2},
    {"model.layers.0.mlp.up_proj.weight", "F32", 3, 2},
    {"model.layers.0.mlp.down_proj.weight", "F32", 2, 3},
    {"model.layers.0.input_layernorm.weight", "F32", 2, 0},
    {"model.layers.0.post_attention_layernorm.weight", "F32", 2, 0},
    {"model.norm.weight", "F32", 2, 0},
};

/* Writes a model folder; extra_config is spliced into the config object,
 * skip names a tensor to leave out, extra adds tensors. Returns the folder. */
static const char *tiny_model(const char *extra_config, const char *skip,
                              const tensor_spec *extra, int n_extra)
{
    const char *dir = test_tmpdir();
    char config[2048], header[8192];
    size_t used = 0, offset = 0, size;
    unsigned char *img;

    snprintf(config, sizeof config, tiny_config, extra_config);
    test_write(dir, "config.json", config, strlen(config));
    used += (size_t)snprintf(header, sizeof header, "{");
    for (int i = 0; i < MN_COUNT_T(tiny_tensors) + n_extra; i++) {
        const tensor_spec *t = i < MN_COUNT_T(tiny_tensors) ? &tiny_tensors[i]
                                                            : &extra[i - MN_COUNT_T(tiny_tensors)];
        mnlp_dtype d;
        size_t bytes;

        if (skip && !strcmp(skip, t->name))
            continue;
        mnlp_dtype_parse(t->dtype, &d);
        bytes = (size_t)(t->rows * (t->cols ? t->cols : 1)) * mnlp_dtype_size(d);
        if (t->cols)
            used += (size_t)snprintf(header + used, sizeof header - used,
                                     "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[%lld,%lld],"
                                     "\"data_offsets\":[%zu,%zu]}", used > 1 ? "," : "",
                                     t->name, t->dtype, (long long)t->rows,
                                     (long long)t->cols, offset, offset + bytes);
        else
            used += (size_t)snprintf(header + used, sizeof header - used,
                                     "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[%lld],"
                                     "\"data_offsets\":[%zu,%zu]}", used > 1 ? "," : "",
                                     t->name, t->dtype, (long long)t->rows, offset,
                                     offset + bytes);
        offset += bytes;
    }
    snprintf(header + used, sizeof header - used, "}");
    img = st_image(header, offset, &size);
    test_write(dir, "model.safetensors", img, size);
    free(img);
    return dir;
}

/* Validates the folder; returns the report (caller frees) or NULL. */
static mnlp_report *validate(const char *dir)
{
    char path[8192];
    mnlp_config *config = NULL;
    mnlp_checkpoint *ckpt = NULL;
    mnlp_report *report = NULL;

    snprintf(path, sizeof path, "%s/config.json", dir);
    CHECK_OK(mnlp_config_load(path, &config));
    CHECK_OK(mnlp_checkpoint_open(dir, &ckpt));
    if (config && ckpt)
        CHECK_OK(mnlp_model_validate(config, ckpt, &report));
    mnlp_checkpoint_free(ckpt);
    mnlp_config_free(config);
    return report;
}

/* The report lists exactly the given problems, in any order. */
static void expect_problems(mnlp_report *r, const char *const *want, int n)
{
    if (!r)
        return;
    if ((int)mnlp_report_count(r) != n) {
        test_fail(__FILE__, __LINE__, "%zu problems, expected %d", mnlp_report_count(r), n);
        for (size_t i = 0; i < mnlp_report_count(r); i++)
            fprintf(stderr, "    %s\n", mnlp_report_item(r, i));
    }
    for (int i = 0; i < n; i++) {
        bool found = false;

        for (size_t j = 0; j < mnlp_report_count(r); j++)
            found = found || strstr(mnlp_report_item(r, j), want[i]);
        if (!found)
            test_fail(__FILE__, __LINE__, "no problem mentions: %s", want[i]);
    }
    mnlp_report_free(r);
}

#define EXPECT(report, ...)                                                       \
    do {                                                                          \
        static const char *const want_[] = {__VA_ARGS__};                         \
        expect_problems((report), want_, (int)(sizeof want_ / sizeof *want_) - 1); \
    } while (0)

static void bundled_stories260K_is_valid(void)
{
    char dir[4096];

    snprintf(dir, sizeof dir, "%s/models/stories260K", test_source_dir());
    EXPECT(validate(dir), NULL);
}

static void tiny_llama_is_valid(void)
{
    EXPECT(validate(tiny_model("", NULL, NULL, 0)), NULL);
}

static void missing_tensor_is_named_with_its_shape(void)
{
    EXPECT(validate(tiny_model("", "model.layers.0.mlp.up_proj.weight", NULL, 0)),
           "missing tensor \"model.layers.0.mlp.up_proj.weight\" [3, 2]", NULL);
}

static void untied_head_needs_lm_head(void)
{
    static const tensor_spec head = {"lm_head.weight", "F32", 4, 2};

    EXPECT(validate(tiny_model(", \"tie_word_embeddings\": false", NULL, NULL, 0)),
           "missing tensor \"lm_head.weight\" [4, 2]", NULL);
    EXPECT(validate(tiny_model(", \"tie_word_embeddings\": false", NULL, &head, 1)), NULL);
    /* Tied, a stored lm_head is allowed (some checkpoints keep both). */
    EXPECT(validate(tiny_model("", NULL, &head, 1)), NULL);
}

static void mis_shaped_and_unexpected_tensors_are_named(void)
{
    static const tensor_spec extra[] = {{"model.extra.weight", "F32", 2, 2}};

    EXPECT(validate(tiny_model(", \"intermediate_size\": 4", NULL, extra, 1)),
           "tensor \"model.layers.0.mlp.gate_proj.weight\" has shape [3, 2], expected [4, 2]",
           "tensor \"model.layers.0.mlp.up_proj.weight\" has shape [3, 2], expected [4, 2]",
           "tensor \"model.layers.0.mlp.down_proj.weight\" has shape [2, 3], expected [2, 4]",
           "unexpected tensor \"model.extra.weight\" (in model.safetensors)", NULL);
}

static void biases_follow_attention_bias(void)
{
    EXPECT(validate(tiny_model(", \"attention_bias\": true", NULL, NULL, 0)),
           "missing tensor \"model.layers.0.self_attn.q_proj.bias\" [2]",
           "missing tensor \"model.layers.0.self_attn.k_proj.bias\" [2]",
           "missing tensor \"model.layers.0.self_attn.v_proj.bias\" [2]",
           "missing tensor \"model.layers.0.self_attn.o_proj.bias\" [2]", NULL);
}

static void integer_weights_are_rejected(void)
{
    static const tensor_spec head = {"lm_head.weight", "I8", 4, 2};

    EXPECT(validate(tiny_model("", NULL, &head, 1)),
           "tensor \"lm_head.weight\" is I8; weights must be F32, F16 or BF16", NULL);
}

static void ignored_buffers_are_notes_not_problems(void)
{
    static const tensor_spec inv = {"model.layers.0.self_attn.rotary_emb.inv_freq", "F32", 1,
                                    0};
    mnlp_report *r = validate(tiny_model(", \"use_mrope\": false", NULL, &inv, 1));

    if (!r)
        return;
    CHECK_INT(mnlp_report_count(r), 0);
    CHECK_INT(mnlp_report_note_count(r), 2);
    CHECK(strstr(mnlp_report_note(r, 0), "\"use_mrope\" is not a LlamaConfig field"));
    CHECK(strstr(mnlp_report_note(r, 1), "rotary_emb.inv_freq\" is a buffer"));
    mnlp_report_free(r);
}

static void unsupported_config_values_are_named(void)
{
    EXPECT(validate(tiny_model(", \"hidden_act\": \"sparkle\"", NULL, NULL, 0)),
           "hidden_act \"sparkle\" is not supported", NULL);
    EXPECT(validate(tiny_model(", \"rope_scaling\": {\"rope_type\": \"spiral\"}", NULL, NULL,
                               0)),
           "rope_scaling.rope_type \"spiral\" is not supported", NULL);
    EXPECT(validate(tiny_model(", \"rope_scaling\": {\"type\": \"llama3\", \"factor\": 8}",
                               NULL, NULL, 0)),
           "rope_scaling of type \"llama3\" lacks \"original_max_position_embeddings\"",
           "lacks \"low_freq_factor\"", "lacks \"high_freq_factor\"", NULL);
    EXPECT(validate(tiny_model(", \"pruned_heads\": {\"0\": [0]}", NULL, NULL, 0)),
           "\"pruned_heads\" is set to a value other than its default", NULL);
    EXPECT(validate(tiny_model(", \"quantization_config\": {\"bits\": 4}", NULL, NULL, 0)),
           "quantization_config: quantized checkpoints are not supported", NULL);
    /* head_dim 2 // 2 = 1: q keeps its shape, k and v grow to 3 rows. */
    EXPECT(validate(tiny_model(", \"num_key_value_heads\": 3, \"num_attention_heads\": 2",
                               NULL, NULL, 0)),
           "num_attention_heads 2 is not a multiple of num_key_value_heads 3",
           "\"model.layers.0.self_attn.k_proj.weight\" has shape [2, 2], expected [3, 2]",
           "\"model.layers.0.self_attn.v_proj.weight\" has shape [2, 2], expected [3, 2]", NULL);
}

static void hostile_sizes_are_refused_before_declaring(void)
{
    EXPECT(validate(tiny_model(", \"num_hidden_layers\": 100000000", NULL, NULL, 0)),
           "\"num_hidden_layers\" is 100000000, outside [1, 1024]", NULL);
    EXPECT(validate(tiny_model(", \"hidden_size\": -2", NULL, NULL, 0)),
           "\"hidden_size\" is -2, outside", "\"head_dim\" is -2, outside", NULL);
}

static void architecture_head_must_be_supported(void)
{
    EXPECT(validate(tiny_model(", \"architectures\": [\"LlamaForSequenceClassification\"]",
                               NULL, NULL, 0)),
           "architectures[0] \"LlamaForSequenceClassification\" is not supported for llama",
           NULL);
}

static void model_type_without_architecture_is_a_problem(void)
{
    const char *dir = tiny_model("", NULL, NULL, 0);
    const char *config = "{\"model_type\": \"bert\"}";

    test_write(dir, "config.json", config, strlen(config));
    EXPECT(validate(dir), "model_type \"bert\" has no architecture in mnlp yet", NULL);
}

TEST_SUITE(validate, T(bundled_stories260K_is_valid), T(tiny_llama_is_valid),
           T(missing_tensor_is_named_with_its_shape), T(untied_head_needs_lm_head),
           T(mis_shaped_and_unexpected_tensors_are_named), T(biases_follow_attention_bias),
           T(integer_weights_are_rejected), T(ignored_buffers_are_notes_not_problems),
           T(unsupported_config_values_are_named), T(hostile_sizes_are_refused_before_declaring),
           T(architecture_head_must_be_supported),
           T(model_type_without_architecture_is_a_problem));
