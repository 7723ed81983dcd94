/*
 * llama: LlamaForCausalLM against transformers' own outputs. Each fixture
 * folder holds a tiny model and reference.safetensors (logits and every
 * output_hidden_states entry, float64 runs) with reference.json (the
 * tolerance and generate() cases); see DECODERS.md of the fixtures.
 */
#include "test.h"

#include "base/files.h"
#include "base/json.h"
#include "io/safetensors.h"

#include <stdlib.h>

static const char *const tiny[] = {
    "llama", "llama-f16", "llama-bf16", "llama-bias-headdim", "llama-rope-linear",
    "llama-rope-dynamic", "llama-rope-llama3", "llama-rope-yarn",
};

static const char *models_dir(void)
{
    const char *dir = getenv("MNLP_MODEL_FIXTURES");

    return dir ? dir : MNLP_MODEL_FIXTURES;
}

/* A fixture: the model, its references and their tolerance. */
typedef struct fixture {
    char dir[4096];
    mnlp_lm *lm;
    mn_safetensors *ref;
    mn_json_doc *json;
    double atol, rtol;
} fixture;

static bool fixture_open(fixture *f, const char *model_dir, const char *ref_dir)
{
    char path[4200], *text = NULL;
    size_t len;
    const mn_json *tol;

    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "%s", model_dir);
    snprintf(path, sizeof path, "%s/reference.json", ref_dir);
    CHECK_OK(mnlp_lm_load(model_dir, NULL, &f->lm));
    CHECK_OK(mn_read_file(path, 1u << 24, &text, &len));
    if (text)
        CHECK_OK(mn_json_parse(text, len, NULL, &f->json));
    mn_free(text);
    snprintf(path, sizeof path, "%s/reference.safetensors", ref_dir);
    CHECK_OK(mn_safetensors_open(path, &f->ref));
    if (!f->lm || !f->json || !f->ref)
        return false;
    tol = mn_json_get(mn_json_root(f->json), "tolerance");
    f->atol = mn_json_get(tol, "atol")->number;
    f->rtol = mn_json_get(tol, "rtol")->number;
    return true;
}

static void fixture_close(fixture *f)
{
    mnlp_lm_free(f->lm);
    mn_safetensors_free(f->ref);
    mn_json_free(f->json);
}

static const mn_st_tensor *ref_tensor(const fixture *f, const char *name)
{
    const mn_st_tensor *t = mn_safetensors_find(f->ref, name);

    if (!t)
        test_fail(__FILE__, __LINE__, "%s: no reference tensor %s", f->dir, name);
    return t;
}

/* Row `row` of a reference [B, T, C] tensor against got[T, C], as
 * torch.allclose judges; returns the largest absolute error. */
static double compare_row(const fixture *f, const char *name, int64_t row, const float *got)
{
    const mn_st_tensor *t = ref_tensor(f, name);
    int64_t n = t ? t->shape[1] * t->shape[2] : 0;
    const float *want = t ? (const float *)t->data + row * n : NULL;
    double worst = 0;
    int bad = 0;

    for (int64_t i = 0; i < n; i++) {
        double err = fabs((double)got[i] - want[i]);

        worst = err > worst ? err : worst;
        if (err > f->atol + f->rtol * fabs(want[i]) && bad++ < 3)
            test_fail(__FILE__, __LINE__, "%s: %s[%lld][%lld] = %.7g, expected %.7g", f->dir,
                      name, (long long)row, (long long)i, got[i], want[i]);
    }
    return worst;
}

/* The forward of each input row (batch 1) against logits and hidden states. */
static void check_forward(const fixture *f, double *worst_logits, double *worst_hidden)
{
    const mn_st_tensor *ids = ref_tensor(f, "input_ids");
    int64_t layers = mnlp_lm_num_hidden_layers(f->lm), t_len = ids ? ids->shape[1] : 0;
    int64_t vocab = mnlp_lm_vocab_size(f->lm), hidden = mnlp_lm_hidden_size(f->lm);
    float *logits = malloc(sizeof(float) * (size_t)(t_len * vocab));
    float *hs = malloc(sizeof(float) * (size_t)((layers + 1) * t_len * hidden));

    for (int64_t row = 0; ids && row < ids->shape[0]; row++) {
        mnlp_lm_inputs in = {.input_ids = (const int64_t *)ids->data + row * t_len,
                             .batch_size = 1, .seq_len = t_len};
        mnlp_lm_outputs out = {.logits = logits, .hidden_states = hs};

        CHECK_OK(mnlp_lm_forward(f->lm, &in, &out));
        *worst_logits = fmax(*worst_logits, compare_row(f, "logits", row, logits));
        for (int64_t l = 0; l <= layers; l++) {
            char name[64];

            snprintf(name, sizeof name, "hidden_states.%lld", (long long)l);
            *worst_hidden = fmax(*worst_hidden,
                                 compare_row(f, name, row, hs + l * t_len * hidden));
        }
    }
    free(logits);
    free(hs);
}

static int64_t json_ids(const mn_json *arr, int64_t *out, int64_t max)
{
    int64_t n = 0;

    for (size_t i = 0; arr && i < arr->len && n < max; i++)
        out[n++] = arr->items[i].integer;
    return n;
}

/* generate() with the case's ids and kwargs; the output must equal want. */
static void check_generation(const fixture *f, const char *name, const mn_json *prompt,
                             const mn_json *kwargs, const mn_json *want)
{
    int64_t ids[1024], expect[1024], got[1024], n_got = 0, eos = 0;
    int64_t n = json_ids(prompt, ids, 1024), n_want = json_ids(want, expect, 1024);
    mnlp_generate_params p = mnlp_generate_default_params();
    const mn_json *v;

    if ((v = mn_json_get(kwargs, "max_new_tokens")))
        p.max_new_tokens = v->integer;
    if ((v = mn_json_get(kwargs, "eos_token_id"))) {
        eos = v->integer;
        p.eos_token_id = &eos;
        p.n_eos_token_id = 1;
    }
    CHECK_OK(mnlp_generate(f->lm, ids, n, &p, got, &n_got));
    if (n_got != n_want || memcmp(got, expect, sizeof(int64_t) * (size_t)n_got) != 0) {
        int64_t i = 0;

        while (i < n_got && i < n_want && got[i] == expect[i])
            i++;
        test_fail(__FILE__, __LINE__, "%s %s: %lld tokens, expected %lld; first difference "
                  "at %lld", f->dir, name, (long long)n_got, (long long)n_want, (long long)i);
    }
}

/* The greedy cases of a tiny fixture: one prompt, optionally a new eos. */
static void check_tiny_generations(const fixture *f)
{
    const mn_json *cases = mn_json_get(mn_json_root(f->json), "generation");

    for (size_t i = 0; cases && i < cases->len; i++) {
        const mn_json *c = &cases->items[i];
        const char *name = mn_json_get(c, "name")->str;

        if (strcmp(name, "greedy") != 0 && strcmp(name, "eos_stopping") != 0)
            continue;
        check_generation(f, name, &mn_json_get(c, "input_ids")->items[0],
                         mn_json_get(c, "kwargs"), &mn_json_get(c, "output_ids")->items[0]);
    }
}

static void tiny_models_match_transformers(void)
{
    for (int i = 0; i < MN_COUNT(tiny); i++) {
        char dir[4200];
        fixture f;
        double logits = 0, hidden = 0;

        snprintf(dir, sizeof dir, "%s/%s", models_dir(), tiny[i]);
        if (fixture_open(&f, dir, dir)) {
            check_forward(&f, &logits, &hidden);
            check_tiny_generations(&f);
            printf("  %-20s logits max err %.2e, hidden states %.2e (atol %.2e)\n", tiny[i],
                   logits, hidden, f.atol);
        }
        fixture_close(&f);
    }
}

static void stories260k_matches_transformers(void)
{
    char model[4200], refs[4200];
    fixture f;
    double logits = 0, hidden = 0;
    const mn_json *cases;

    snprintf(model, sizeof model, "%s/models/stories260K", test_source_dir());
    snprintf(refs, sizeof refs, "%s/tests/fixtures/stories260K", test_source_dir());
    if (fixture_open(&f, model, refs)) {
        check_forward(&f, &logits, &hidden);
        printf("  %-20s logits max err %.2e, hidden states %.2e (atol %.2e)\n", "stories260K",
               logits, hidden, f.atol);
        cases = mn_json_get(mn_json_root(f.json), "cases");
        for (size_t i = 0; cases && i < cases->len; i++) {
            const mn_json *c = &cases->items[i];
            const char *name = mn_json_get(c, "name")->str;

            if (strncmp(name, "greedy_", 7) != 0)
                continue;
            check_generation(&f, name, mn_json_get(c, "prompt_ids"),
                             mn_json_get(c, "generate_kwargs"), mn_json_get(c, "sequence"));
        }
    }
    fixture_close(&f);
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
    CHECK_ERR(mnlp_lm_forward(lm, &(mnlp_lm_inputs){.input_ids = ids, .batch_size = 2,
                                                    .seq_len = 1}, &out),
              MNLP_ERR_UNSUPPORTED, "batch_size 2");
    CHECK_ERR(mnlp_lm_forward(lm, &(mnlp_lm_inputs){.input_ids = ids, .batch_size = 1,
                                                    .seq_len = 2, .attention_mask = mask},
                              &out),
              MNLP_ERR_UNSUPPORTED, "attention_mask[0][0] is 0");
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
