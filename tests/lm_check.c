/* Causal LM parity checks against transformers' references (lm_check.h). */
#include "lm_check.h"

#include "test.h"

#include "base/files.h"

#include <stdlib.h>

const char *lm_fixtures_dir(void)
{
    const char *dir = getenv("MNLP_MODEL_FIXTURES");

    return dir ? dir : MNLP_MODEL_FIXTURES;
}

bool lm_fixture_open(lm_fixture *f, const char *model_dir, const char *ref_dir)
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

void lm_fixture_close(lm_fixture *f)
{
    mnlp_lm_free(f->lm);
    mn_safetensors_free(f->ref);
    mn_json_free(f->json);
}

static const mn_st_tensor *ref_tensor(const lm_fixture *f, const char *name)
{
    const mn_st_tensor *t = mn_safetensors_find(f->ref, name);

    if (!t)
        test_fail(__FILE__, __LINE__, "%s: no reference tensor %s", f->dir, name);
    return t;
}

/* Row `row` of a reference [B, T, C] tensor against got[T, C], as
 * torch.allclose judges, at the positions where keep (NULL: all) is 1;
 * returns the largest absolute error. */
static double compare_row(const lm_fixture *f, const char *name, int64_t row, const float *got,
                          const int64_t *keep)
{
    const mn_st_tensor *t = ref_tensor(f, name);
    int64_t cols = t ? t->shape[2] : 0, n = t ? t->shape[1] * cols : 0;
    const float *want = t ? (const float *)t->data + row * n : NULL;
    double worst = 0;
    int bad = 0;

    for (int64_t i = 0; i < n; i++) {
        double err = fabs((double)got[i] - want[i]);

        if (keep && !keep[i / cols])
            continue;
        worst = err > worst ? err : worst;
        if (!(err <= f->atol + f->rtol * fabs(want[i])) && bad++ < 3)
            test_fail(__FILE__, __LINE__, "%s: %s[%lld][%lld] = %.7g, expected %.7g", f->dir,
                      name, (long long)row, (long long)i, got[i], want[i]);
    }
    return worst;
}

/* logits and hidden states of `rows` rows [rows, T, ...] against the
 * references under prefix ("" or "padded."). */
static void compare_outputs(const lm_fixture *f, const char *prefix, int64_t row0, int64_t rows,
                            int64_t t_len, const float *logits, const float *hs,
                            const int64_t *mask, double *worst_logits, double *worst_hidden)
{
    int64_t layers = mnlp_lm_num_hidden_layers(f->lm), vocab = mnlp_lm_vocab_size(f->lm);
    int64_t hidden = mnlp_lm_hidden_size(f->lm);
    char name[64];

    for (int64_t r = 0; r < rows; r++) {
        const int64_t *keep = mask ? mask + (row0 + r) * t_len : NULL;

        snprintf(name, sizeof name, "%slogits", prefix);
        *worst_logits = fmax(*worst_logits, compare_row(f, name, row0 + r,
                                                        logits + r * t_len * vocab, keep));
        for (int64_t l = 0; hs && l <= layers; l++) {
            snprintf(name, sizeof name, "%shidden_states.%lld", prefix, (long long)l);
            *worst_hidden = fmax(*worst_hidden,
                                 compare_row(f, name, row0 + r,
                                             hs + (l * rows + r) * t_len * hidden, keep));
        }
    }
}

/* One forward over rows [row0, row0 + rows) of the inputs named by prefix. */
static void run_and_compare(const lm_fixture *f, const char *prefix, int64_t row0, int64_t rows,
                            bool masked, bool given_positions, double *worst_logits,
                            double *worst_hidden)
{
    char name[64];
    const mn_st_tensor *ids, *mask = NULL, *pos = NULL;
    int64_t layers = mnlp_lm_num_hidden_layers(f->lm), vocab = mnlp_lm_vocab_size(f->lm);
    int64_t hidden = mnlp_lm_hidden_size(f->lm), t_len;
    float *logits, *hs;

    snprintf(name, sizeof name, "%sinput_ids", prefix);
    if (!(ids = ref_tensor(f, name)))
        return;
    snprintf(name, sizeof name, "%sattention_mask", prefix);
    if (masked && !(mask = ref_tensor(f, name)))
        return;
    snprintf(name, sizeof name, "%sposition_ids", prefix);
    if (given_positions && !(pos = ref_tensor(f, name)))
        return;
    t_len = ids->shape[1];
    logits = malloc(sizeof(float) * (size_t)(rows * t_len * vocab));
    hs = malloc(sizeof(float) * (size_t)((layers + 1) * rows * t_len * hidden));
    {
        mnlp_lm_inputs in = {
            .input_ids = (const int64_t *)ids->data + row0 * t_len, .batch_size = rows,
            .seq_len = t_len,
            .attention_mask = mask ? (const int64_t *)mask->data + row0 * t_len : NULL,
            .position_ids = pos ? (const int64_t *)pos->data + row0 * t_len : NULL,
        };

        CHECK_OK(mnlp_lm_forward(f->lm, &in,
                                 &(mnlp_lm_outputs){.logits = logits, .hidden_states = hs}));
    }
    compare_outputs(f, prefix, row0, rows, t_len, logits, hs,
                    mask ? (const int64_t *)mask->data : NULL, worst_logits, worst_hidden);
    free(logits);
    free(hs);
}

void lm_check_forward(const lm_fixture *f, lm_errors *e)
{
    const mn_st_tensor *ids = ref_tensor(f, "input_ids");

    for (int64_t row = 0; ids && row < ids->shape[0]; row++)
        run_and_compare(f, "", row, 1, false, false, &e->logits, &e->hidden);
}

void lm_check_batch_forward(const lm_fixture *f, lm_errors *e)
{
    const mn_st_tensor *ids = ref_tensor(f, "input_ids");

    if (ids)
        run_and_compare(f, "", 0, ids->shape[0], true, false, &e->batch, &e->batch);
}

void lm_check_padded_forward(const lm_fixture *f, lm_errors *e)
{
    const mn_st_tensor *ids = ref_tensor(f, "padded.input_ids");

    if (!ids)
        return;
    run_and_compare(f, "padded.", 0, ids->shape[0], true, true, &e->padded, &e->padded);
    run_and_compare(f, "padded.", 0, ids->shape[0], true, false, &e->padded, &e->padded);
}

static int64_t json_ids(const mn_json *arr, int64_t *out, int64_t max)
{
    int64_t n = 0;

    for (size_t i = 0; arr && i < arr->len && n < max; i++)
        out[n++] = arr->items[i].integer;
    return n;
}

static mnlp_generate_params case_params(const mn_json *kwargs, int64_t *eos)
{
    mnlp_generate_params p = mnlp_generate_default_params();
    const mn_json *v;

    if ((v = mn_json_get(kwargs, "max_new_tokens")))
        p.max_new_tokens = v->integer;
    if ((v = mn_json_get(kwargs, "eos_token_id"))) {
        *eos = v->integer;
        p.eos_token_id = eos;
        p.n_eos_token_id = 1;
    }
    return p;
}

static void compare_ids(const lm_fixture *f, const char *name, const int64_t *got,
                        int64_t n_got, const int64_t *want, int64_t n_want)
{
    int64_t i = 0;

    if (n_got == n_want && memcmp(got, want, sizeof(int64_t) * (size_t)n_got) == 0)
        return;
    while (i < n_got && i < n_want && got[i] == want[i])
        i++;
    test_fail(__FILE__, __LINE__, "%s %s: %lld tokens, expected %lld; first difference at %lld",
              f->dir, name, (long long)n_got, (long long)n_want, (long long)i);
}

void lm_check_generation(const lm_fixture *f, const char *name, const mn_json *prompt,
                         const mn_json *kwargs, const mn_json *want)
{
    int64_t ids[1024], expect[1024], got[1024], n_got = 0, eos = 0;
    int64_t n = json_ids(prompt, ids, 1024), n_want = json_ids(want, expect, 1024);
    mnlp_generate_params p = case_params(kwargs, &eos);

    CHECK_OK(mnlp_generate(f->lm, ids, n, &p, got, &n_got));
    compare_ids(f, name, got, n_got, expect, n_want);
}

/* greedy_batch_left_padded: rows of one length, padded on the left. */
static void check_batch_generation(const lm_fixture *f, const mn_json *c)
{
    const mn_json *prompts = mn_json_get(c, "input_ids"), *masks = mn_json_get(c, "attention_mask");
    const mn_json *want = mn_json_get(c, "output_ids"), *kwargs = mn_json_get(c, "kwargs");
    const mn_json *pad = mn_json_get(kwargs, "pad_token_id");
    int64_t ids[1024], mask[1024], expect[1024], eos = 0;
    int64_t rows = (int64_t)prompts->len, n = 0, n_want = 0;
    mnlp_generate_params p = case_params(kwargs, &eos);

    for (int64_t b = 0; b < rows && b < 8; b++) {
        n = json_ids(&prompts->items[b], ids + b * n, 128);
        json_ids(&masks->items[b], mask + b * n, 128);
        n_want = json_ids(&want->items[b], expect + b * n_want, 128);
    }
    mnlp_generate_output out = {0};

    CHECK_OK(mnlp_generate_batch(f->lm, ids, mask, rows, n, pad ? pad->integer : -1, &p, &out));
    compare_ids(f, "greedy_batch_left_padded", out.sequences, out.length * out.num_sequences,
                expect, n_want * rows);
    mnlp_generate_output_free(&out);
}

void lm_check_generations(const lm_fixture *f)
{
    const mn_json *cases = mn_json_get(mn_json_root(f->json), "generation");

    for (size_t i = 0; cases && i < cases->len; i++) {
        const mn_json *c = &cases->items[i];
        const char *name = mn_json_get(c, "name")->str;

        if (strcmp(name, "greedy_batch_left_padded") == 0)
            check_batch_generation(f, c);
        else if (strcmp(name, "greedy") == 0 || strcmp(name, "eos_stopping") == 0 ||
                 strcmp(name, "greedy_short_prompt") == 0)
            lm_check_generation(f, name, &mn_json_get(c, "input_ids")->items[0],
                                mn_json_get(c, "kwargs"),
                                &mn_json_get(c, "output_ids")->items[0]);
    }
}

void lm_check_fixture(const char *name)
{
    char dir[4200];
    lm_fixture f;
    lm_errors e = {0};

    snprintf(dir, sizeof dir, "%s/%s", lm_fixtures_dir(), name);
    if (lm_fixture_open(&f, dir, dir)) {
        lm_check_forward(&f, &e);
        lm_check_batch_forward(&f, &e);
        lm_check_padded_forward(&f, &e);
        lm_check_generations(&f);
        printf("  %-20s max err: logits %.2e, hidden %.2e, batch %.2e, padded %.2e "
               "(atol %.2e)\n", name, e.logits, e.hidden, e.batch, e.padded, f.atol);
    }
    lm_fixture_close(&f);
}
