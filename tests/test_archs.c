/*
 * archs: the causal LMs that differ most from Llama (GPT-2, GPT-NeoX, OPT,
 * Phi, Mixtral, Qwen2-MoE) against transformers' own outputs through the
 * checks of lm_check.c: logits and hidden states of each row, of the rows
 * as one batch and of the left-padded batch, and the greedy generations.
 */
#include "test.h"

#include "base/files.h"
#include "lm_check.h"

static void check_folders(const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        lm_check_fixture(names[i]);
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

    snprintf(dir, sizeof dir, "%s/%s", lm_fixtures_dir(), name);
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
