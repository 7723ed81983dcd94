/*
 * archs: the causal LMs that differ most from Llama (GPT-2, GPT-NeoX, OPT,
 * Phi, Mixtral, Qwen2-MoE) against transformers' own outputs. Each fixture
 * folder holds a tiny model with reference.safetensors (logits and every
 * output_hidden_states entry of float64 runs) and reference.json (the
 * tolerance and generate() cases); see DECODERS.md of the fixtures.
 */
#include "test.h"

#include "base/files.h"
#include "base/json.h"
#include "io/safetensors.h"

#include <stdlib.h>

static const char *models_dir(void)
{
    const char *dir = getenv("MNLP_MODEL_FIXTURES");

    return dir ? dir : MNLP_MODEL_FIXTURES;
}

typedef struct fixture {
    char dir[4200];
    mnlp_lm *lm;
    mn_safetensors *ref;
    mn_json_doc *json;
    double atol, rtol;
} fixture;

static bool fixture_open(fixture *f, const char *name)
{
    char path[4400], *text = NULL;
    size_t len;
    const mn_json *tol;

    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "%s/%s", models_dir(), name);
    snprintf(path, sizeof path, "%s/reference.json", f->dir);
    CHECK_OK(mnlp_lm_load(f->dir, NULL, &f->lm));
    CHECK_OK(mn_read_file(path, 1u << 24, &text, &len));
    if (text)
        CHECK_OK(mn_json_parse(text, len, NULL, &f->json));
    mn_free(text);
    snprintf(path, sizeof path, "%s/reference.safetensors", f->dir);
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

/* Row `row` of a reference [B, T, C] tensor against got[T, C], as
 * torch.allclose judges; returns the largest absolute error. */
static double compare_row(const fixture *f, const char *name, int64_t row, const float *got)
{
    const mn_st_tensor *t = mn_safetensors_find(f->ref, name);
    int64_t n = t ? t->shape[1] * t->shape[2] : 0;
    const float *want = t ? (const float *)t->data + row * n : NULL;
    double worst = 0;
    int bad = 0;

    if (!t)
        test_fail(__FILE__, __LINE__, "%s: no reference tensor %s", f->dir, name);
    for (int64_t i = 0; i < n; i++) {
        double err = fabs((double)got[i] - want[i]);

        worst = err > worst ? err : worst;
        if (!(err <= f->atol + f->rtol * fabs(want[i])) && bad++ < 3)
            test_fail(__FILE__, __LINE__, "%s: %s[%lld][%lld] = %.7g, expected %.7g", f->dir,
                      name, (long long)row, (long long)i, got[i], want[i]);
    }
    return worst;
}

/* The forward of each input row (batch 1) against logits and hidden states. */
static void check_forward(const fixture *f, double *worst_logits, double *worst_hidden)
{
    const mn_st_tensor *ids = mn_safetensors_find(f->ref, "input_ids");
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

/* The batch-1 greedy cases (greedy, eos_stopping): generate() must give
 * output_ids token for token. */
static int check_generations(const fixture *f)
{
    const mn_json *cases = mn_json_get(mn_json_root(f->json), "generation");
    int checked = 0;

    for (size_t i = 0; cases && i < cases->len; i++) {
        const mn_json *c = &cases->items[i], *kw = mn_json_get(c, "kwargs"), *v;
        const char *name = mn_json_get(c, "name")->str;
        int64_t ids[1024], want[1024], got[1024], n_got = 0, eos = 0, n, n_want;
        mnlp_generate_params p = mnlp_generate_default_params();

        if (strcmp(name, "greedy") != 0 && strcmp(name, "eos_stopping") != 0)
            continue;
        n = json_ids(&mn_json_get(c, "input_ids")->items[0], ids, 1024);
        n_want = json_ids(&mn_json_get(c, "output_ids")->items[0], want, 1024);
        if ((v = mn_json_get(kw, "max_new_tokens")))
            p.max_new_tokens = v->integer;
        if ((v = mn_json_get(kw, "eos_token_id"))) {
            eos = v->integer;
            p.eos_token_id = &eos;
            p.n_eos_token_id = 1;
        }
        CHECK_OK(mnlp_generate(f->lm, ids, n, &p, got, &n_got));
        if (n_got != n_want || memcmp(got, want, sizeof(int64_t) * (size_t)n_got) != 0)
            test_fail(__FILE__, __LINE__, "%s %s: %lld tokens, expected %lld", f->dir, name,
                      (long long)n_got, (long long)n_want);
        checked++;
    }
    return checked;
}

static void check_folders(const char *const *names, int n)
{
    for (int i = 0; i < n; i++) {
        fixture f;
        double logits = 0, hidden = 0;

        if (fixture_open(&f, names[i])) {
            int cases;

            check_forward(&f, &logits, &hidden);
            cases = check_generations(&f);
            CHECK_INT(cases, 2);
            printf("  %-20s logits max err %.2e, hidden states %.2e (atol %.2e), "
                   "%d generations\n", names[i], logits, hidden, f.atol, cases);
        }
        fixture_close(&f);
    }
}

/*
 * Validation of the fixture folder `name` with its config.json edited
 * (the first `from` replaced by `to`) must report a problem containing needle.
 */
static void check_rejected(const char *name, const char *from, const char *to,
                           const char *needle)
{
    char dir[4200], path[4400], *text = NULL, edited[8192];
    const char *at;
    size_t len;
    mnlp_config *config = NULL;
    mnlp_checkpoint *ckpt = NULL;
    mnlp_report *report = NULL;
    bool found = false;

    snprintf(dir, sizeof dir, "%s/%s", models_dir(), name);
    snprintf(path, sizeof path, "%s/config.json", dir);
    CHECK_OK(mn_read_file(path, 1u << 20, &text, &len));
    if (!text || !(at = strstr(text, from)) || len + strlen(to) >= sizeof edited) {
        test_fail(__FILE__, __LINE__, "%s: config.json lacks %s", name, from);
        mn_free(text);
        return;
    }
    snprintf(edited, sizeof edited, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    mn_free(text);
    CHECK_OK(mnlp_config_parse(edited, strlen(edited), "config.json", &config));
    CHECK_OK(mnlp_checkpoint_open(dir, &ckpt));
    if (config && ckpt)
        CHECK_OK(mnlp_model_validate(config, ckpt, &report));
    for (size_t i = 0; report && i < mnlp_report_count(report); i++)
        found = found || strstr(mnlp_report_item(report, i), needle);
    if (report && !found)
        test_fail(__FILE__, __LINE__, "%s with %s: no problem mentions \"%s\"", name, to,
                  needle);
    mnlp_report_free(report);
    mnlp_checkpoint_free(ckpt);
    mnlp_config_free(config);
}

static void gpt2_matches_transformers(void)
{
    static const char *const names[] = {"gpt2", "gpt2-attnscale"};

    check_folders(names, MN_COUNT(names));
    check_rejected("gpt2", "\"gelu_new\"", "\"quick_gelu\"",
                   "activation_function \"quick_gelu\" is not supported");
}

static void gpt_neox_matches_transformers(void)
{
    static const char *const names[] = {"gpt_neox", "gpt_neox-seqres"};

    check_folders(names, MN_COUNT(names));
    check_rejected("gpt_neox", "\"rotary_emb_base\": 10000", "\"rotary_emb_base\": 500",
                   "\"rope_theta\" 10000 differs from \"rotary_emb_base\" 500");
}

/* opt-350m-like's last hidden state is after project_out: [T, 32]. */
static void opt_matches_transformers(void)
{
    static const char *const names[] = {"opt", "opt-350m-like"};

    check_folders(names, MN_COUNT(names));
    check_rejected("opt", "\"layer_norm_elementwise_affine\": true",
                   "\"layer_norm_elementwise_affine\": false",
                   "\"layer_norm_elementwise_affine\" false is not supported");
}

static void phi_matches_transformers(void)
{
    static const char *const names[] = {"phi"};

    check_folders(names, MN_COUNT(names));
    check_rejected("phi", "\"qk_layernorm\": false", "\"qk_layernorm\": true",
                   "\"qk_layernorm\" true is not supported");
}

static void mixtral_matches_transformers(void)
{
    static const char *const names[] = {"mixtral"};

    check_folders(names, MN_COUNT(names));
    check_rejected("mixtral", "\"num_experts_per_tok\": 2", "\"num_experts_per_tok\": 5",
                   "num_experts_per_tok 5 of num_local_experts 4");
}

/* qwen2_moe-normtopk: norm_topk_prob true, layer 1 a dense MLP (mlp_only_layers). */
static void qwen2_moe_matches_transformers(void)
{
    static const char *const names[] = {"qwen2_moe", "qwen2_moe-normtopk"};

    check_folders(names, MN_COUNT(names));
    check_rejected("qwen2_moe", "\"use_sliding_window\": false",
                   "\"use_sliding_window\": true", "\"use_sliding_window\" true is not");
}

TEST_SUITE(archs, T(gpt2_matches_transformers), T(gpt_neox_matches_transformers),
           T(opt_matches_transformers), T(phi_matches_transformers),
           T(mixtral_matches_transformers), T(qwen2_moe_matches_transformers));
