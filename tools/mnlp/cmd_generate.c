/*
 * mnlp generate MODEL: one JSON request per line on stdin,
 * {"input_ids": [[...]], "attention_mask": [[...]], ...generate kwargs}, and
 * one {"sequences": [[...]]} per line on stdout, as model.generate returns.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

typedef struct job {
    mnlp_lm *lm;
    mnlp_tokenizer *tok;      /* for stop_strings; NULL when the folder has none */
} job;

/* A [rows, cols] JSON array of integers into a new buffer. */
static bool read_matrix(const mnlp_json *v, int64_t **out, int64_t *rows, int64_t *cols)
{
    size_t r = mnlp_json_len(v), c;

    if (mnlp_json_typeof(v) != MNLP_JSON_ARRAY || r == 0 ||
        mnlp_json_typeof(mnlp_json_at(v, 0)) != MNLP_JSON_ARRAY)
        return false;
    c = mnlp_json_len(mnlp_json_at(v, 0));
    if (c == 0 || !(*out = malloc(sizeof **out * r * c)))
        return false;
    for (size_t i = 0; i < r; i++) {
        const mnlp_json *row = mnlp_json_at(v, i);

        if (mnlp_json_typeof(row) != MNLP_JSON_ARRAY || mnlp_json_len(row) != c)
            goto bad;
        for (size_t j = 0; j < c; j++)
            if (!mnlp_json_int(mnlp_json_at(row, j), &(*out)[i * c + j]))
                goto bad;
    }
    *rows = (int64_t)r;
    *cols = (int64_t)c;
    return true;
bad:
    free(*out);
    *out = NULL;
    return false;
}

/* An id or a list of ids (eos_token_id, forced_eos_token_id). */
static bool read_ids(const mnlp_json *v, int64_t *ids, int64_t cap, int64_t *n)
{
    if (mnlp_json_typeof(v) == MNLP_JSON_NULL) {
        *n = 0;
        return true;
    }
    if (mnlp_json_int(v, &ids[0])) {
        *n = 1;
        return true;
    }
    if (mnlp_json_typeof(v) != MNLP_JSON_ARRAY || (int64_t)mnlp_json_len(v) > cap)
        return false;
    *n = (int64_t)mnlp_json_len(v);
    for (int64_t i = 0; i < *n; i++)
        if (!mnlp_json_int(mnlp_json_at(v, (size_t)i), &ids[i]))
            return false;
    return true;
}

static void print_rows(const int64_t *ids, int64_t rows, int64_t cols)
{
    printf("{\"sequences\":[");
    for (int64_t r = 0; r < rows; r++) {
        printf("%s[", r ? "," : "");
        for (int64_t c = 0; c < cols; c++)
            printf("%s%lld", c ? "," : "", (long long)ids[r * cols + c]);
        printf("]");
    }
    printf("]}\n");
}

static int generate_line(const mnlp_json *req, void *ctx, const char **why)
{
    static char msg[160];
    const job *j = ctx;
    mnlp_generate_params params = mnlp_generate_default_params();
    int64_t *ids = NULL, *mask = NULL, rows = 0, cols = 0, mrows, mcols;
    int64_t eos[64], forced_eos[64];
    const char *stops[64];
    int rc = CLI_OK;

    if (mnlp_json_typeof(req) != MNLP_JSON_OBJECT) {
        *why = "expected a JSON object";
        return CLI_FAIL;
    }
    for (size_t i = 0; rc == CLI_OK && i < mnlp_json_len(req); i++) {
        const mnlp_json *v = mnlp_json_at(req, i);
        const char *key = mnlp_json_key(v);
        bool ok;

        if (!strcmp(key, "input_ids"))
            ok = read_matrix(v, &ids, &rows, &cols);
        else if (!strcmp(key, "attention_mask"))
            ok = mnlp_json_typeof(v) == MNLP_JSON_NULL || read_matrix(v, &mask, &mrows, &mcols);
        else if (!strcmp(key, "eos_token_id"))
            ok = read_ids(v, eos, 64, &params.n_eos_token_id),
            params.eos_token_id = eos;
        else if (!strcmp(key, "forced_eos_token_id"))
            ok = read_ids(v, forced_eos, 64, &params.n_forced_eos_token_id),
            params.forced_eos_token_id = forced_eos;
        else if (!strcmp(key, "stop_strings")) {
            size_t n = mnlp_json_typeof(v) == MNLP_JSON_ARRAY ? mnlp_json_len(v) : 1, len;

            ok = n <= 64;
            for (size_t k = 0; ok && k < n; k++) {
                const mnlp_json *e = mnlp_json_typeof(v) == MNLP_JSON_ARRAY ? mnlp_json_at(v, k)
                                                                             : v;

                ok = (stops[k] = mnlp_json_string(e, &len)) != NULL;
            }
            params.stop_strings = stops;
            params.n_stop_strings = ok ? (int64_t)n : 0;
            params.tokenizer = j->tok;
        } else if (!strcmp(key, "use_cache"))
            /* The cache changes no result: mnlp always keeps one. */
            ok = mnlp_json_typeof(v) == MNLP_JSON_BOOL;
        else if (cli_gen_is_param(key))
            ok = cli_gen_json(&params, key, v);
        else {
            snprintf(msg, sizeof msg, "\"%.64s\" is not a generation parameter mnlp knows", key);
            *why = msg;
            rc = CLI_FAIL;
            break;
        }
        if (!ok) {
            snprintf(msg, sizeof msg, "\"%.64s\" has a value of the wrong type", key);
            *why = msg;
            rc = CLI_FAIL;
        }
    }
    if (rc == CLI_OK && !ids) {
        *why = "input_ids ([[ids...]]) is missing";
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK && mask && (mrows != rows || mcols != cols)) {
        *why = "attention_mask must have input_ids' shape";
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK && rows == 1) {
        mnlp_generate_output out = {0};

        if (mnlp_generate_sequences(j->lm, ids, cols, &params, &out) != MNLP_OK)
            rc = CLI_FAIL;
        else
            print_rows(out.sequences, out.num_sequences, out.length);
        mnlp_generate_output_free(&out);
    } else if (rc == CLI_OK) {
        mnlp_generate_output out = {0};

        if (mnlp_generate_batch(j->lm, ids, mask, rows, cols,
                                params.pad_token_id == MNLP_UNSET ? -1 : params.pad_token_id,
                                &params, &out) != MNLP_OK)
            rc = CLI_FAIL;
        else
            print_rows(out.sequences, out.num_sequences, out.length);
        mnlp_generate_output_free(&out);
    }
    free(ids);
    free(mask);
    return rc;
}

static int run_generate(int argc, char **argv)
{
    cli_model_args args;
    job j = {NULL, NULL};
    int rc = cli_parse_model_args(&cli_generate, argc, argv, NULL, NULL, 0, 0, &args);

    if (rc != CLI_OK)
        return rc;
    if (mnlp_lm_load(args.model, args.revision, &j.lm) != MNLP_OK)
        return cli_fail(NULL);
    /* The tokenizer serves stop_strings only; a model without one still generates. */
    if (cli_open_tokenizer_quiet(args.model, args.revision, &j.tok) != CLI_OK)
        j.tok = NULL;
    rc = cli_each_line(generate_line, &j);
    mnlp_tokenizer_free(j.tok);
    mnlp_lm_free(j.lm);
    return rc;
}

const cli_command cli_generate = {
    .name = "generate",
    .summary = "token ids in, generated sequences out (JSON lines)",
    .usage =
        "usage: mnlp generate MODEL [--revision REV]\n"
        "\n"
        "Read one JSON object per line on stdin:\n"
        "  {\"input_ids\": [[...]], \"attention_mask\": [[...]], ...generate kwargs}\n"
        "with the kwargs named as in transformers (max_new_tokens, do_sample, top_p,\n"
        "num_beams, eos_token_id, ...), and write one line per request:\n"
        "  {\"sequences\": [[...]]}\n"
        "as model.generate returns them. Several rows of input_ids are a left-padded\n"
        "batch, decoded greedily.\n",
    .run = run_generate,
};
