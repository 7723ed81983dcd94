/*
 * llama: LlamaForCausalLM against transformers' own outputs. Each fixture
 * folder holds a tiny model and reference.safetensors (logits and every
 * output_hidden_states entry, float64 runs) with reference.json (the
 * tolerance and generate() cases); see DECODERS.md of the fixtures.
 */
#include "test.h"

#include "lm_check.h"

static const char *const tiny[] = {
    "llama", "llama-f16", "llama-bf16", "llama-bias-headdim", "llama-rope-linear",
    "llama-rope-dynamic", "llama-rope-llama3", "llama-rope-yarn",
};

/* Each row alone and all rows as one batch, the left-padded batch, and the
 * greedy generations (one prompt, and a left-padded batch). */
static void tiny_models_match_transformers(void)
{
    for (int i = 0; i < MN_COUNT(tiny); i++)
        lm_check_fixture(tiny[i]);
}

static void stories260k_matches_transformers(void)
{
    char model[4200], refs[4200];
    lm_fixture f;
    lm_errors e = {0};
    const mn_json *cases;

    snprintf(model, sizeof model, "%s/models/stories260K", test_source_dir());
    snprintf(refs, sizeof refs, "%s/tests/fixtures/stories260K", test_source_dir());
    if (lm_fixture_open(&f, model, refs)) {
        lm_check_forward(&f, &e);
        lm_check_batch_forward(&f, &e);
        printf("  %-20s max err: logits %.2e, hidden %.2e, batch %.2e (atol %.2e)\n",
               "stories260K", e.logits, e.hidden, e.batch, f.atol);
        cases = mn_json_get(mn_json_root(f.json), "cases");
        for (size_t i = 0; cases && i < cases->len; i++) {
            const mn_json *c = &cases->items[i];
            const char *name = mn_json_get(c, "name")->str;

            if (strncmp(name, "greedy_", 7) != 0)
                continue;
            lm_check_generation(&f, name, mn_json_get(c, "prompt_ids"),
                             mn_json_get(c, "generate_kwargs"), mn_json_get(c, "sequence"));
        }
    }
    lm_fixture_close(&f);
}

/* The prompt in pieces over a cache gives the logits of one full call. */
static void kv_cache_chunks_equal_one_call(void)
{
    char dir[4200];
    mnlp_lm *lm = NULL;
    mnlp_kv_cache *cache = NULL;
    int64_t ids[12] = {1, 333, 377, 392, 296, 261, 454, 476, 400, 283, 261, 280};
    float full[12 * 512], step[512];

    snprintf(dir, sizeof dir, "%s/models/stories260K", test_source_dir());
    CHECK_OK(mnlp_lm_load(dir, NULL, &lm));
    if (!lm)
        return;
    CHECK_OK(mnlp_lm_forward(lm, &(mnlp_lm_inputs){.input_ids = ids, .batch_size = 1,
                                                   .seq_len = 12},
                             &(mnlp_lm_outputs){.logits = full}));
    CHECK_OK(mnlp_kv_cache_create(lm, 12, &cache));
    for (int64_t start = 0, len = 5; cache && start < 12; start += len, len = 1) {
        mnlp_lm_inputs in = {.input_ids = ids + start, .batch_size = 1, .seq_len = len,
                             .past_key_values = cache, .last_logits_only = true};

        CHECK_OK(mnlp_lm_forward(lm, &in, &(mnlp_lm_outputs){.logits = step}));
        for (int v = 0; v < 512; v++)
            if (fabsf(step[v] - full[(start + len - 1) * 512 + v]) > 1e-5f) {
                test_fail(__FILE__, __LINE__, "position %lld, logit %d: %g vs %g",
                          (long long)(start + len - 1), v, step[v],
                          full[(start + len - 1) * 512 + v]);
                break;
            }
    }
    CHECK_INT(mnlp_kv_cache_length(cache), 12);
    CHECK_ERR(mnlp_lm_forward(lm, &(mnlp_lm_inputs){.input_ids = ids, .batch_size = 1,
                                                    .seq_len = 1, .past_key_values = cache},
                              &(mnlp_lm_outputs){.logits = step}),
              MNLP_ERR_LIMIT, "past_key_values holds 12 positions; 1 more do not fit");
    mnlp_kv_cache_reset(cache);
    CHECK_INT(mnlp_kv_cache_length(cache), 0);
    mnlp_kv_cache_free(cache);
    mnlp_lm_free(lm);
}

static void forward_rejects_what_it_cannot_run(void)
{
    char dir[4200];
    mnlp_lm *lm = NULL;
    int64_t ids[2] = {1, 512}, mask[2] = {0, 1};
    float logits[2 * 512];
    mnlp_lm_outputs out = {.logits = logits};

    snprintf(dir, sizeof dir, "%s/models/stories260K", test_source_dir());
    CHECK_OK(mnlp_lm_load(dir, NULL, &lm));
    if (!lm)
        return;
    CHECK_ERR(mnlp_lm_forward(lm, &(mnlp_lm_inputs){.input_ids = ids, .batch_size = 0,
                                                    .seq_len = 1}, &out),
              MNLP_ERR_INVALID_ARGUMENT, "batch_size 0 is not positive");
    mask[0] = 2;
    CHECK_ERR(mnlp_lm_forward(lm, &(mnlp_lm_inputs){.input_ids = ids, .batch_size = 1,
                                                    .seq_len = 2, .attention_mask = mask},
                              &out),
              MNLP_ERR_INVALID_ARGUMENT, "attention_mask[0][0] is 2, not 0 or 1");
    CHECK_ERR(mnlp_lm_forward(lm, &(mnlp_lm_inputs){.input_ids = ids, .batch_size = 1,
                                                    .seq_len = 2}, &out),
              MNLP_ERR_INVALID_ARGUMENT, "id 512 at position 1 is outside [0, 512)");
    mnlp_lm_free(lm);
}

/* stories260K's generation_config.json gives eos 2 and no length: generate()
 * turns GenerationConfig's default max_length 20 into 20 new tokens. */
static void generate_defaults_come_from_generation_config(void)
{
    char dir[4200];
    mnlp_lm *lm = NULL;
    int64_t prompt[7] = {1, 333, 377, 392, 296, 261, 454}, out[32], n = 0;
    mnlp_generate_params p = mnlp_generate_default_params();

    snprintf(dir, sizeof dir, "%s/models/stories260K", test_source_dir());
    CHECK_OK(mnlp_lm_load(dir, NULL, &lm));
    if (!lm)
        return;
    CHECK_OK(mnlp_generate(lm, prompt, 7, &p, out, &n));
    CHECK_INT(n, 7 + 20);
    CHECK_INT(out[7], 476); /* greedy_200 begins 476, 400, 429 */
    CHECK_INT(out[9], 429);
    mnlp_lm_free(lm);
}

TEST_SUITE(llama, T(tiny_models_match_transformers), T(stories260k_matches_transformers),
           T(kv_cache_chunks_equal_one_call), T(forward_rejects_what_it_cannot_run),
           T(generate_defaults_come_from_generation_config));
