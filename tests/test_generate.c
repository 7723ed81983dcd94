/*
 * generate: transformers' generate() on the decoder fixtures (every tiny
 * model folder and stories260K). Every generation case of each fixture's
 * reference.json must give the same tokens, the left-padded batches through
 * mnlp_generate_batch; the first-step processed scores of the sampling cases must have
 * the same -inf pattern and finite values within the fixture's tolerance.
 * Sampled tokens cannot follow torch's generator, so sampling is checked
 * statistically and for reproducibility under a seed.
 */
#include "test.h"

#include "mnlp/tokenizer.h"

#include "base/files.h"
#include "base/json.h"
#include "generate/generate.h"
#include "io/safetensors.h"

#include <stdlib.h>

/* Every folder of tests/fixtures/models.tar.xz and models-archs.tar.xz. */
static const char *const tiny[] = {
    "llama", "llama-f16", "llama-bf16", "llama-bias-headdim", "llama-rope-linear",
    "llama-rope-dynamic", "llama-rope-llama3", "llama-rope-yarn", "mistral", "qwen2",
    "phi3", "phi3-longrope", "gemma", "gemma2", "gpt2", "gpt2-attnscale", "gpt_neox",
    "gpt_neox-seqres", "opt", "opt-350m-like", "phi", "mixtral", "qwen2_moe",
    "qwen2_moe-normtopk",
};

static const char *models_dir(void)
{
    const char *dir = getenv("MNLP_MODEL_FIXTURES");

    return dir ? dir : MNLP_MODEL_FIXTURES;
}

typedef struct fixture {
    char name[64];
    mnlp_lm *lm;
    mn_safetensors *ref;
    mn_json_doc *json;
    double atol, rtol;
} fixture;

static bool fixture_open(fixture *f, const char *name, const char *model_dir,
                         const char *ref_dir)
{
    char path[4200], *text = NULL;
    size_t len;
    const mn_json *tol;

    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", name);
    CHECK_OK(mnlp_lm_load(model_dir, NULL, &f->lm));
    snprintf(path, sizeof path, "%s/reference.json", ref_dir);
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

static bool tiny_open(fixture *f, const char *name)
{
    char dir[4200];

    snprintf(dir, sizeof dir, "%s/%s", models_dir(), name);
    return fixture_open(f, name, dir, dir);
}

static bool stories_open(fixture *f)
{
    char model[4200], refs[4200];

    snprintf(model, sizeof model, "%s/models/stories260K", test_source_dir());
    snprintf(refs, sizeof refs, "%s/tests/fixtures/stories260K", test_source_dir());
    return fixture_open(f, "stories260K", model, refs);
}

static int64_t json_ids(const mn_json *arr, int64_t *out, int64_t max)
{
    int64_t n = 0;

    for (size_t i = 0; arr && i < arr->len && n < max; i++)
        out[n++] = arr->items[i].integer;
    return n;
}

/* generate()'s keyword arguments as parameters; eos (one id) lives in
 * *eos. A keyword the test does not know fails, so none is ignored. */
static bool params_from_kwargs(const mn_json *kwargs, mnlp_generate_params *p, int64_t *eos)
{
    *p = mnlp_generate_default_params();
    for (size_t i = 0; kwargs && i < kwargs->len; i++) {
        const mn_json *v = &kwargs->items[i];
        const char *k = v->key;

        if (!strcmp(k, "max_new_tokens"))
            p->max_new_tokens = v->integer;
        else if (!strcmp(k, "min_new_tokens"))
            p->min_new_tokens = v->integer;
        else if (!strcmp(k, "do_sample"))
            p->do_sample = v->boolean;
        else if (!strcmp(k, "num_beams"))
            p->num_beams = v->integer;
        else if (!strcmp(k, "num_return_sequences"))
            p->num_return_sequences = v->integer;
        else if (!strcmp(k, "length_penalty"))
            p->length_penalty = v->number;
        else if (!strcmp(k, "early_stopping"))
            p->early_stopping = v->boolean ? MNLP_EARLY_STOPPING_TRUE : MNLP_EARLY_STOPPING_FALSE;
        else if (!strcmp(k, "repetition_penalty"))
            p->repetition_penalty = v->number;
        else if (!strcmp(k, "no_repeat_ngram_size"))
            p->no_repeat_ngram_size = v->integer;
        else if (!strcmp(k, "temperature"))
            p->temperature = v->number;
        else if (!strcmp(k, "top_k"))
            p->top_k = v->integer;
        else if (!strcmp(k, "top_p"))
            p->top_p = v->number;
        else if (!strcmp(k, "min_p"))
            p->min_p = v->number;
        else if (!strcmp(k, "typical_p"))
            p->typical_p = v->number;
        else if (!strcmp(k, "pad_token_id"))
            p->pad_token_id = v->integer;
        else if (!strcmp(k, "output_scores"))
            p->output_scores = v->boolean;
        else if (!strcmp(k, "return_dict_in_generate"))
            continue;
        /* gemma2's padded batch is recorded without a cache (DECODERS.md: the
         * library's HybridCache is wrong there); decoding with mnlp's cache
         * computes what the cache-free forward computes. */
        else if (!strcmp(k, "use_cache"))
            continue;
        else if (!strcmp(k, "eos_token_id")) {
            *eos = v->integer;
            p->eos_token_id = eos;
            p->n_eos_token_id = 1;
        } else {
            test_fail(__FILE__, __LINE__, "unknown generate() keyword %s", k);
            return false;
        }
    }
    return true;
}

/* One case: every returned row must equal want's rows (a JSON list). */
static bool check_case(const fixture *f, const char *name, const mn_json *prompt,
                       const mn_json *kwargs, const mn_json *want_rows)
{
    int64_t ids[1024], want[1024], eos = 0;
    int64_t n = json_ids(prompt, ids, 1024);
    mnlp_generate_params p;
    mnlp_generate_output out = {0};
    bool same = true;

    if (!params_from_kwargs(kwargs, &p, &eos))
        return false;
    CHECK_OK(mnlp_generate_sequences(f->lm, ids, n, &p, &out));
    if (!out.sequences)
        return false;
    if (out.num_sequences != (int64_t)want_rows->len) {
        test_fail(__FILE__, __LINE__, "%s %s: %lld sequences, expected %zu", f->name, name,
                  (long long)out.num_sequences, want_rows->len);
        same = false;
    }
    for (int64_t r = 0; same && r < out.num_sequences; r++) {
        int64_t n_want = json_ids(&want_rows->items[r], want, 1024), i = 0;
        const int64_t *got = out.sequences + r * out.length;

        while (i < out.length && i < n_want && got[i] == want[i])
            i++;
        if (i != n_want || out.length != n_want) {
            test_fail(__FILE__, __LINE__, "%s %s row %lld: %lld tokens, expected %lld; first "
                      "difference at %lld", f->name, name, (long long)r,
                      (long long)out.length, (long long)n_want, (long long)i);
            same = false;
        }
    }
    mnlp_generate_output_free(&out);
    return same;
}

static bool is_batch_case(const char *name)
{
    return strstr(name, "batch_left_padded") != NULL;
}

/* A left-padded batch (rows of one length, with attention_mask) through
 * mnlp_generate_batch: every row must equal its output_ids row. */
static bool check_batch_case(const fixture *f, const char *name, const mn_json *prompts,
                             const mn_json *masks, const mn_json *kwargs,
                             const mn_json *want_rows)
{
    int64_t ids[1024], mask[1024], want[1024], eos = 0, rows = (int64_t)prompts->len, n = 0;
    mnlp_generate_params p;
    mnlp_generate_output out = {0};
    bool same = true;

    if (!params_from_kwargs(kwargs, &p, &eos))
        return false;
    for (int64_t b = 0; b < rows && b < 8; b++) {
        int64_t len = json_ids(&prompts->items[b], ids + b * n, 128);

        if (json_ids(&masks->items[b], mask + b * len, 128) != len || (b && len != n)) {
            test_fail(__FILE__, __LINE__, "%s %s: ragged prompts", f->name, name);
            return false;
        }
        n = len;
    }
    CHECK_OK(mnlp_generate_batch(f->lm, ids, mask, rows, n, -1, &p, &out));
    if (!out.sequences || out.num_sequences != rows) {
        test_fail(__FILE__, __LINE__, "%s %s: %lld sequences, expected %lld", f->name, name,
                  (long long)out.num_sequences, (long long)rows);
        same = false;
    }
    for (int64_t r = 0; same && r < rows; r++) {
        int64_t n_want = json_ids(&want_rows->items[r], want, 1024), i = 0;
        const int64_t *got = out.sequences + r * out.length;

        while (i < out.length && i < n_want && got[i] == want[i])
            i++;
        if (i != n_want || out.length != n_want) {
            test_fail(__FILE__, __LINE__, "%s %s row %lld: %lld tokens, expected %lld; first "
                      "difference at %lld", f->name, name, (long long)r,
                      (long long)out.length, (long long)n_want, (long long)i);
            same = false;
        }
    }
    mnlp_generate_output_free(&out);
    return same;
}

static void tiny_generation_cases_match(void)
{
    for (int m = 0; m < MN_COUNT(tiny); m++) {
        fixture f;
        const mn_json *cases;
        char passed[1024] = "";

        if (!tiny_open(&f, tiny[m])) {
            fixture_close(&f);
            continue;
        }
        cases = mn_json_get(mn_json_root(f.json), "generation");
        for (size_t i = 0; cases && i < cases->len; i++) {
            const mn_json *c = &cases->items[i];
            const char *name = mn_json_get(c, "name")->str;
            const mn_json *ids = mn_json_get(c, "input_ids"), *kw = mn_json_get(c, "kwargs");
            const mn_json *want = mn_json_get(c, "output_ids");

            if (is_batch_case(name)
                    ? check_batch_case(&f, name, ids, mn_json_get(c, "attention_mask"), kw, want)
                    : check_case(&f, name, &ids->items[0], kw, want))
                snprintf(passed + strlen(passed), sizeof passed - strlen(passed), " %s", name);
        }
        printf("  %-20s%s\n", tiny[m], passed);
        fixture_close(&f);
    }
}

static void stories260k_generation_cases_match(void)
{
    fixture f;
    const mn_json *cases;
    char passed[1024] = "";

    if (stories_open(&f)) {
        cases = mn_json_get(mn_json_root(f.json), "cases");
        for (size_t i = 0; cases && i < cases->len; i++) {
            const mn_json *c = &cases->items[i];
            const char *name = mn_json_get(c, "name")->str;
            mn_json rows = {.type = MN_JSON_ARRAY, .len = 1,
                            .items = (mn_json *)mn_json_get(c, "sequence")};
            const mn_json *kw = mn_json_get(c, "generate_kwargs");

            if (is_batch_case(name)
                    ? check_batch_case(&f, name, mn_json_get(c, "input_ids"),
                                       mn_json_get(c, "attention_mask"), kw,
                                       mn_json_get(c, "sequences"))
                    : check_case(&f, name, mn_json_get(c, "prompt_ids"), kw, &rows))
                snprintf(passed + strlen(passed), sizeof passed - strlen(passed), " %s", name);
        }
        printf("  %-20s%s\n", "stories260K", passed);
    }
    fixture_close(&f);
}

/* ---- first-step scores ---------------------------------------------------------- */

static float *ref_floats(const fixture *f, const char *name, int64_t *n)
{
    const mn_st_tensor *t = mn_safetensors_find(f->ref, name);
    float *out;

    if (!t) {
        test_fail(__FILE__, __LINE__, "%s: no reference tensor %s", f->name, name);
        return NULL;
    }
    *n = (int64_t)((t->end - t->begin) / sizeof(float));
    out = malloc(t->end - t->begin);
    memcpy(out, t->data, t->end - t->begin);
    return out;
}

/* The -inf pattern exactly, finite values as torch.allclose; returns the
 * largest error. */
static double compare_scores(const fixture *f, const char *name, const float *got,
                             const float *want, int64_t n)
{
    double worst = 0;
    int bad = 0;

    for (int64_t i = 0; i < n; i++) {
        double err;

        if (isinf(want[i]) || isinf(got[i])) {
            if (got[i] != want[i] && bad++ < 3)
                test_fail(__FILE__, __LINE__, "%s %s[%lld] = %g, expected %g", f->name, name,
                          (long long)i, got[i], want[i]);
            continue;
        }
        err = fabs((double)got[i] - want[i]);
        worst = err > worst ? err : worst;
        if (err > f->atol + f->rtol * fabs(want[i]) && bad++ < 3)
            test_fail(__FILE__, __LINE__, "%s %s[%lld] = %.7g, expected %.7g", f->name, name,
                      (long long)i, got[i], want[i]);
    }
    return worst;
}

static void check_scores(const fixture *f, const char *name, const char *tensor,
                         const int64_t *ids, int64_t n_ids, const mn_json *kwargs)
{
    int64_t eos = 0, n = 0;
    mnlp_generate_params p;
    mnlp_generate_output out = {0};
    float *want = ref_floats(f, tensor, &n);

    if (want && params_from_kwargs(kwargs, &p, &eos)) {
        p.seed = 0;
        CHECK_OK(mnlp_generate_sequences(f->lm, ids, n_ids, &p, &out));
        if (out.scores && n == mnlp_lm_vocab_size(f->lm))
            printf("  %-20s %-24s max err %.2e (atol %.2e)\n", f->name, name,
                   compare_scores(f, name, out.scores, want, n), f->atol);
        else
            test_fail(__FILE__, __LINE__, "%s %s: no scores", f->name, name);
    }
    mnlp_generate_output_free(&out);
    free(want);
}

static void tiny_first_step_scores_match(void)
{
    for (int m = 0; m < MN_COUNT(tiny); m++) {
        fixture f;
        const mn_json *cases;

        if (tiny_open(&f, tiny[m])) {
            cases = mn_json_get(mn_json_root(f.json), "scores");
            for (size_t i = 0; cases && i < cases->len; i++) {
                const mn_json *c = &cases->items[i];
                int64_t ids[256], n = json_ids(&mn_json_get(c, "input_ids")->items[0], ids, 256);

                check_scores(&f, mn_json_get(c, "name")->str, mn_json_get(c, "tensor")->str, ids,
                             n, mn_json_get(c, "kwargs"));
            }
        }
        fixture_close(&f);
    }
}

static void stories260k_first_step_scores_match(void)
{
    fixture f;
    const mn_json *s;
    const mn_st_tensor *t;
    int64_t ids[256], n;

    if (stories_open(&f)) {
        s = mn_json_get(mn_json_root(f.json), "sampling_scores");
        t = mn_safetensors_find(f.ref, mn_json_get(s, "prompt_ids_tensor")->str);
        CHECK(t != NULL);
        if (t) {
            n = t->shape[1];
            memcpy(ids, t->data, sizeof(int64_t) * (size_t)n);
            check_scores(&f, "sample", mn_json_get(s, "tensor")->str, ids, n,
                         mn_json_get(s, "generate_kwargs"));
        }
    }
    fixture_close(&f);
}

/* ---- sampling ------------------------------------------------------------------ */

/* The first greedy case of the llama fixture, and its prompt. */
static const mn_json *greedy_case(const fixture *f, int64_t *ids, int64_t *n)
{
    const mn_json *cases = mn_json_get(mn_json_root(f->json), "generation");

    for (size_t i = 0; cases && i < cases->len; i++)
        if (!strcmp(mn_json_get(&cases->items[i], "name")->str, "greedy")) {
            *n = json_ids(&mn_json_get(&cases->items[i], "input_ids")->items[0], ids, 256);
            return &cases->items[i];
        }
    test_fail(__FILE__, __LINE__, "no greedy case");
    return NULL;
}

static void top_k_1_sampling_equals_greedy(void)
{
    fixture f;
    int64_t ids[256], n = 0;
    const mn_json *c;
    mnlp_generate_params p = mnlp_generate_default_params();
    mnlp_generate_output out = {0};

    if (tiny_open(&f, "llama") && (c = greedy_case(&f, ids, &n))) {
        int64_t want[256], n_want = json_ids(&mn_json_get(c, "output_ids")->items[0], want, 256);

        p.max_new_tokens = n_want - n;
        p.do_sample = 1;
        p.top_k = 1;
        p.temperature = 0.5;
        p.seed = 1234;
        CHECK_OK(mnlp_generate_sequences(f.lm, ids, n, &p, &out));
        CHECK_INT(out.length, n_want);
        for (int64_t i = 0; out.sequences && i < n_want; i++)
            CHECK_INT(out.sequences[i], want[i]);
    }
    mnlp_generate_output_free(&out);
    fixture_close(&f);
}

/* 10,000 draws at temperature 1 from a fixture's warped scores (20 kept
 * tokens): each frequency within 5 standard deviations of its softmax
 * probability, and no removed token ever drawn. */
static void draws_follow_the_softmax(void)
{
    enum { DRAWS = 10000 };
    fixture f;
    int64_t n = 0, *count = NULL;
    float *scores = NULL, *probs = NULL, *work = NULL;
    mn_rng rng;

    if (tiny_open(&f, "llama") && (scores = ref_floats(&f, "scores.sample_t13_k20_rep", &n))) {
        count = calloc((size_t)n, sizeof *count);
        probs = calloc((size_t)n, sizeof *probs);
        work = calloc((size_t)n, sizeof *work);
        mn_softmax(scores, n, probs);
        mn_rng_seed(&rng, 7);
        for (int d = 0; d < DRAWS; d++)
            count[mn_sample(scores, n, work, &rng)]++;
        for (int64_t i = 0; i < n; i++) {
            double p = probs[i], freq = (double)count[i] / DRAWS;
            double bound = 5 * sqrt(p * (1 - p) / DRAWS) + 1e-12;

            if (isinf(scores[i]))
                CHECK_INT(count[i], 0);
            else if (fabs(freq - p) > bound)
                test_fail(__FILE__, __LINE__, "token %lld drawn %.4f of the time, probability "
                          "%.4f (bound %.4f)", (long long)i, freq, p, bound);
        }
    }
    free(count);
    free(probs);
    free(work);
    free(scores);
    fixture_close(&f);
}

/* Without replacement, k draws are distinct and never weight 0. */
static void draws_without_replacement_are_distinct(void)
{
    float w[6] = {0.5f, 0, 1, 2, 0, 0.25f};
    int64_t out[4];
    mn_rng rng;

    mn_rng_seed(&rng, 3);
    for (int t = 0; t < 200; t++) {
        float copy[6];

        memcpy(copy, w, sizeof w);
        mn_sample_k(copy, 6, 4, out, &rng);
        for (int a = 0; a < 4; a++) {
            CHECK(w[out[a]] > 0);
            for (int b = 0; b < a; b++)
                CHECK(out[a] != out[b]);
        }
    }
}

static void same_seed_same_output(void)
{
    fixture f;
    int64_t ids[256], n = 0;
    mnlp_generate_params p = mnlp_generate_default_params();
    mnlp_generate_output a = {0}, b = {0}, c = {0};

    if (tiny_open(&f, "llama") && greedy_case(&f, ids, &n)) {
        p.max_new_tokens = 16;
        p.do_sample = 1;
        p.top_k = 0;
        p.num_return_sequences = 3;
        p.seed = 42;
        CHECK_OK(mnlp_generate_sequences(f.lm, ids, n, &p, &a));
        CHECK_OK(mnlp_generate_sequences(f.lm, ids, n, &p, &b));
        p.seed = 43;
        CHECK_OK(mnlp_generate_sequences(f.lm, ids, n, &p, &c));
        CHECK_INT(a.num_sequences, 3);
        CHECK_INT(a.length, b.length);
        if (a.sequences && b.sequences && c.sequences) {
            CHECK(!memcmp(a.sequences, b.sequences, sizeof(int64_t) * (size_t)(3 * a.length)));
            /* Untempered sampling over 512 tokens: another seed differs. */
            CHECK(a.length != c.length ||
                  memcmp(a.sequences, c.sequences, sizeof(int64_t) * (size_t)(3 * a.length)));
        }
    }
    mnlp_generate_output_free(&a);
    mnlp_generate_output_free(&b);
    mnlp_generate_output_free(&c);
    fixture_close(&f);
}

/* Beam sampling and early_stopping "never" have no fixture case: a seed
 * repeats the result, and finalize returns the best hypotheses first. */
static void beam_sampling_is_seeded_and_ordered(void)
{
    fixture f;
    int64_t ids[256], n = 0;
    mnlp_generate_params p = mnlp_generate_default_params();
    mnlp_generate_output a = {0}, b = {0};

    if (tiny_open(&f, "llama") && greedy_case(&f, ids, &n)) {
        p.max_new_tokens = 10;
        p.num_beams = 4;
        p.num_return_sequences = 3;
        p.do_sample = 1;
        p.seed = 5;
        p.early_stopping = MNLP_EARLY_STOPPING_NEVER;
        CHECK_OK(mnlp_generate_sequences(f.lm, ids, n, &p, &a));
        CHECK_OK(mnlp_generate_sequences(f.lm, ids, n, &p, &b));
        CHECK_INT(a.num_sequences, 3);
        CHECK_INT(a.length, b.length);
        if (a.sequences && b.sequences && a.length == b.length) {
            CHECK(!memcmp(a.sequences, b.sequences, sizeof(int64_t) * (size_t)(3 * a.length)));
            for (int i = 1; i < 3; i++)
                CHECK(a.sequences_scores[i] <= a.sequences_scores[i - 1]);
        }
    }
    mnlp_generate_output_free(&a);
    mnlp_generate_output_free(&b);
    fixture_close(&f);
}

/* ---- processors on one row ---------------------------------------------------------- */

static mn_gen_config plain_config(int64_t vocab)
{
    return (mn_gen_config){.vocab_size = vocab, .num_beams = 1, .repetition_penalty = 1.0,
                           .temperature = 1.0, .top_p = 1.0, .typical_p = 1.0, .min_p = -1,
                           .min_new_tokens = -1, .forced_bos_token_id = -1, .max_length = 100,
                           .pad_token_id = -1};
}

/* Each rule as logits_process.py states it, on a row of 8 scores. */
static void processors_follow_transformers_rules(void)
{
    const float base[8] = {2, -2, 1, -1, 0.5f, -0.5f, 3, -3};
    int64_t ids[6] = {0, 1, 2, 0, 1, 1};
    int64_t bad[3] = {1, 5, 7}, bad_start[3] = {0, 1, 3};
    float s[8];
    mn_logits_work w = {0};
    mn_gen_config g = plain_config(8);

    CHECK_OK(mn_logits_work_init(&w, 8));
    /* repetition_penalty: seen ids, the prompt too; positive / p, negative * p. */
    g.repetition_penalty = 2.0;
    memcpy(s, base, sizeof s);
    mn_logits_process(&g, ids, 3, s, &w);
    CHECK(s[0] == base[0] / 2 && s[1] == base[1] * 2 && s[2] == base[2] / 2);
    CHECK(s[3] == base[3] && s[6] == base[6]);
    /* no_repeat_ngram_size 2: after ...1, 1 the tokens that followed 1 go. */
    g = plain_config(8);
    g.no_repeat_ngram_size = 2;
    memcpy(s, base, sizeof s);
    mn_logits_process(&g, ids, 6, s, &w);
    CHECK(isinf(s[2]) && isinf(s[1]) && s[0] == base[0] && s[3] == base[3]);
    /* bad_words_ids [[1], [5, 7]]: 1 always, 7 only after 5. */
    g = plain_config(8);
    g.bad_words = bad;
    g.bad_start = bad_start;
    g.n_bad_words = 2;
    memcpy(s, base, sizeof s);
    mn_logits_process(&g, ids, 6, s, &w);
    CHECK(isinf(s[1]) && s[7] == base[7]);
    ids[5] = 5;
    memcpy(s, base, sizeof s);
    mn_logits_process(&g, ids, 6, s, &w);
    CHECK(isinf(s[1]) && isinf(s[7]));
    /* min_new_tokens: eos at -inf until prompt + min_new_tokens. */
    g = plain_config(8);
    g.eos[0] = 6;
    g.n_eos = 1;
    g.prompt_len = 4;
    g.min_new_tokens = 2;
    memcpy(s, base, sizeof s);
    mn_logits_process(&g, ids, 5, s, &w);
    CHECK(isinf(s[6]));
    memcpy(s, base, sizeof s);
    mn_logits_process(&g, ids, 6, s, &w);
    CHECK(s[6] == base[6]);
    /* forced_eos_token_id at max_length - 1: only it stays, at 0. */
    g = plain_config(8);
    g.max_length = 7;
    g.forced_eos[0] = 3;
    g.n_forced_eos = 1;
    memcpy(s, base, sizeof s);
    mn_logits_process(&g, ids, 6, s, &w);
    CHECK(s[3] == 0 && isinf(s[0]) && isinf(s[6]));
    /* top_k 3 keeps ties with the third largest. */
    memcpy(s, base, sizeof s);
    s[4] = 1;
    mn_top_k(s, 8, 3, 1, &w);
    CHECK(s[6] == base[6] && s[0] == base[0] && s[2] == 1 && s[4] == 1 && isinf(s[1]));
    mn_logits_work_free(&w);
}

static void generate_rejects_bad_parameters(void)
{
    fixture f;
    int64_t ids[256], n = 0;
    mnlp_generate_params p = mnlp_generate_default_params();
    mnlp_generate_output out = {0};

    if (tiny_open(&f, "llama") && greedy_case(&f, ids, &n)) {
        p.num_return_sequences = 2;
        CHECK_ERR(mnlp_generate_sequences(f.lm, ids, n, &p, &out), MNLP_ERR_INVALID_ARGUMENT,
                  "num_return_sequences");
        p = mnlp_generate_default_params();
        p.max_length = n;
        CHECK_ERR(mnlp_generate_sequences(f.lm, ids, n, &p, &out), MNLP_ERR_INVALID_ARGUMENT,
                  "max_length");
        p = mnlp_generate_default_params();
        p.do_sample = 1;
        p.temperature = 0;
        CHECK_ERR(mnlp_generate_sequences(f.lm, ids, n, &p, &out), MNLP_ERR_INVALID_ARGUMENT,
                  "temperature");
        p = mnlp_generate_default_params();
        p.num_beams = 2;
        p.num_return_sequences = 3;
        CHECK_ERR(mnlp_generate_sequences(f.lm, ids, n, &p, &out), MNLP_ERR_INVALID_ARGUMENT,
                  "num_beams");
    }
    fixture_close(&f);
}

static int stop_after_three(int64_t token, void *data)
{
    int64_t *seen = data;

    seen[++seen[0]] = token;
    return seen[0] == 3;
}

static void streamer_sees_each_token_and_can_stop(void)
{
    fixture f;
    int64_t ids[256], n = 0, seen[8] = {0};
    mnlp_generate_params p = mnlp_generate_default_params();
    mnlp_generate_output out = {0};

    if (tiny_open(&f, "llama") && greedy_case(&f, ids, &n)) {
        p.max_new_tokens = 10;
        p.streamer = stop_after_three;
        p.streamer_data = seen;
        CHECK_OK(mnlp_generate_sequences(f.lm, ids, n, &p, &out));
        CHECK_INT(out.length, n + 3);
        for (int i = 1; out.sequences && i <= 3; i++)
            CHECK_INT(seen[i], out.sequences[n + i - 1]);
    }
    mnlp_generate_output_free(&out);
    fixture_close(&f);
}

/*
 * stop_strings on the bundled model's greedy story: generation ends with the
 * first new token whose text completes a stop string, which may end inside
 * it ("mo" inside " mom"). Where that is comes from the reference sequence
 * and its decoded text; the stop token is kept, as transformers keeps it.
 */
static void stop_strings_end_the_story(void)
{
    static const char *const stops[][2] = {{"mom.", NULL}, {"mo", "zzz"}};
    fixture f;
    mnlp_tokenizer *tok = NULL;
    char model[4200];

    snprintf(model, sizeof model, "%s/models/stories260K", test_source_dir());
    CHECK_OK(mnlp_tokenizer_load(model, &tok));
    if (!stories_open(&f) || !tok)
        goto done;
    for (int k = 0; k < 2; k++) {
        const mn_json *c = &mn_json_get(mn_json_root(f.json), "cases")->items[0];
        int64_t prompt[64], seq[512], n_prompt, n_seq, want = -1;
        int32_t ids32[512];
        mnlp_generate_params p = mnlp_generate_default_params();
        mnlp_generate_output out = {0};

        CHECK_STR(mn_json_get(c, "name")->str, "greedy_200");
        n_prompt = json_ids(mn_json_get(c, "prompt_ids"), prompt, 64);
        n_seq = json_ids(mn_json_get(c, "sequence"), seq, 512);
        /* The first new token after which the new text holds the stop string. */
        for (int64_t e = n_prompt + 1; e <= n_seq && want < 0; e++) {
            char *text = NULL;
            size_t len;

            for (int64_t i = n_prompt; i < e; i++)
                ids32[i - n_prompt] = (int32_t)seq[i];
            CHECK_OK(mnlp_tokenizer_decode(tok, ids32, (size_t)(e - n_prompt), false, &text,
                                           &len));
            if (text && strstr(text, stops[k][0]))
                want = e;
            mnlp_free(text);
        }
        CHECK(want > n_prompt);
        p.max_new_tokens = 200;
        p.stop_strings = stops[k];
        p.n_stop_strings = stops[k][1] ? 2 : 1;
        p.tokenizer = tok;
        CHECK_OK(mnlp_generate_sequences(f.lm, prompt, n_prompt, &p, &out));
        CHECK_INT(out.length, want);
        CHECK(out.sequences && memcmp(out.sequences, seq, sizeof *seq * (size_t)want) == 0);
        mnlp_generate_output_free(&out);
    }
    {
        mnlp_generate_params p = mnlp_generate_default_params();
        mnlp_generate_output out = {0};
        int64_t one = 1;

        p.stop_strings = stops[0];
        p.n_stop_strings = 1;
        CHECK_ERR(mnlp_generate_sequences(f.lm, &one, 1, &p, &out), MNLP_ERR_INVALID_ARGUMENT,
                  "stop_strings: the tokenizer is needed");
    }
done:
    mnlp_tokenizer_free(tok);
    fixture_close(&f);
}

TEST_SUITE(generate, T(tiny_generation_cases_match), T(stories260k_generation_cases_match),
           T(tiny_first_step_scores_match), T(stories260k_first_step_scores_match),
           T(top_k_1_sampling_equals_greedy), T(draws_follow_the_softmax),
           T(draws_without_replacement_are_distinct), T(same_seed_same_output),
           T(beam_sampling_is_seeded_and_ordered),
           T(processors_follow_transformers_rules), T(generate_rejects_bad_parameters),
           T(streamer_sees_each_token_and_can_stop), T(stop_strings_end_the_story));
