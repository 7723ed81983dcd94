/*
 * nn: the rotary embedding's frequencies and tables for the rope_scaling
 * rules that no fixture model exercises end to end, computed here from
 * modeling_rope_utils.py's formulas.
 */
#include "test.h"

#include "nn/nn.h"

static mnlp_config *parse(const char *json)
{
    mnlp_config *c = NULL;

    CHECK_OK(mnlp_config_parse(json, strlen(json), "config.json", &c));
    return c;
}

/* Phi-3 style: original_max_position_embeddings 32 < 128 selects the long
 * factors and scales cos/sin by sqrt(1 + ln(4) / ln(32)). */
static void longrope_uses_long_factors_when_extended(void)
{
    mnlp_config *c = parse("{\"model_type\": \"phi3\", \"hidden_size\": 64, "
                           "\"num_attention_heads\": 4, \"max_position_embeddings\": 128, "
                           "\"original_max_position_embeddings\": 32, \"rope_scaling\": "
                           "{\"type\": \"longrope\", \"short_factor\": [1,1,1,1,1,1,1,1], "
                           "\"long_factor\": [1,2,3,4,5,6,7,8]}}");
    mn_rope r;
    float ct[16], st[16], scratch[8];
    double att = sqrt(1 + log(4.0) / log(32.0));

    if (!c)
        return;
    CHECK_OK(mn_rope_init(&r, c, 16));
    CHECK(fabsf(r.attention_factor - (float)att) < 1e-7f);
    for (int i = 0; i < 8; i++)
        CHECK(fabs(r.inv_freq[i] - 1.0 / ((i + 1) * pow(10000.0, i / 8.0))) <
              1e-6 * r.inv_freq[i]);
    mn_rope_tables(&r, (int64_t[]){5}, 1, scratch, ct, st);
    CHECK(fabs(ct[3] - cos(5 * r.inv_freq[3]) * att) < 1e-6);
    CHECK(ct[3] == ct[11] && st[3] == st[11]);
    mn_rope_free(&r);
    mnlp_config_free(c);
}

/* LlamaConfig copies a legacy "type" over "rope_type"; dynamic frequencies
 * equal the default ones up to max_position_embeddings. */
static void dynamic_rope_changes_only_past_max_positions(void)
{
    mnlp_config *c = parse("{\"model_type\": \"llama\", \"hidden_size\": 64, "
                           "\"num_attention_heads\": 4, \"max_position_embeddings\": 32, "
                           "\"rope_scaling\": {\"type\": \"dynamic\", \"rope_type\": \"linear\","
                           " \"factor\": 2.0}}");
    mn_rope r;
    float cos_a[16], sin_a[16], cos_b[32], sin_b[32], scratch[8];
    double base = 10000.0 * pow(2.0 * 40 / 32 - 1, 16.0 / 14.0);

    if (!c)
        return;
    CHECK_OK(mn_rope_init(&r, c, 16));
    CHECK_INT(r.type, MN_ROPE_DYNAMIC);
    mn_rope_tables(&r, (int64_t[]){31}, 1, scratch, cos_a, sin_a);
    CHECK(fabs(sin_a[1] - sin(31 / pow(10000.0, 2 / 16.0))) < 1e-5);
    mn_rope_tables(&r, (int64_t[]){0, 39}, 2, scratch, cos_b, sin_b);
    CHECK(fabs(sin_b[16 + 1] - sin(39 / pow(base, 2 / 16.0))) < 1e-5);
    mn_rope_free(&r);
    mnlp_config_free(c);
}

static void unknown_rope_type_is_rejected_by_name(void)
{
    mnlp_config *c = parse("{\"model_type\": \"llama\", \"rope_scaling\": "
                           "{\"rope_type\": \"su\", \"factor\": 2.0}}");
    mn_rope r;

    if (!c)
        return;
    CHECK_ERR(mn_rope_init(&r, c, 16), MNLP_ERR_UNSUPPORTED, "rope_scaling.rope_type");
    mnlp_config_free(c);
}

TEST_SUITE(nn, T(longrope_uses_long_factors_when_extended),
           T(dynamic_rope_changes_only_past_max_positions),
           T(unknown_rope_type_is_rejected_by_name));
