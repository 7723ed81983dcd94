/* mnlp run MODEL PROMPT: the prompt's continuation, printed as it is decoded. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

/*
 * Printing a growing sequence: the whole sequence is decoded again and the
 * text past what was printed goes out, except a tail that ends in U+FFFD
 * (a character whose bytes are still arriving in later tokens).
 */
typedef struct printer {
    const mnlp_tokenizer *tok;
    size_t printed;
} printer;

static int print_new_text(printer *p, const int64_t *ids, int64_t n, bool final)
{
    int32_t *ids32 = malloc(sizeof *ids32 * (size_t)(n ? n : 1));
    char *text = NULL;
    size_t len = 0, end;

    if (!ids32)
        return CLI_FAIL;
    for (int64_t i = 0; i < n; i++)
        ids32[i] = (int32_t)ids[i];
    if (mnlp_tokenizer_decode(p->tok, ids32, (size_t)n, true, &text, &len) != MNLP_OK) {
        free(ids32);
        return cli_fail(NULL);
    }
    end = len;
    if (!final && end >= 3 && memcmp(text + end - 3, "\xef\xbf\xbd", 3) == 0)
        end -= 3;
    if (end > p->printed) {
        fwrite(text + p->printed, 1, end - p->printed, stdout);
        fflush(stdout);
        p->printed = end;
    }
    mnlp_free(text);
    free(ids32);
    return CLI_OK;
}

/* The prompt as input ids: the text itself, or with --chat one user turn
 * through the model's chat template (whose text already holds the special
 * tokens, so none are added). */
static int prompt_ids(const mnlp_tokenizer *tok, const char *prompt, bool chat, int64_t **ids,
                      int64_t *n)
{
    mnlp_encoding *enc = NULL;
    char *text = NULL;
    size_t len = strlen(prompt);
    const char *src = prompt;
    int rc = CLI_OK;

    if (chat) {
        size_t cap = 2 * len + 128, vlen = 0;
        char *vars = malloc(cap);

        if (!vars)
            return CLI_FAIL;
        vlen += (size_t)snprintf(vars, cap, "{\"add_generation_prompt\": true, \"messages\": "
                                            "[{\"role\": \"user\", \"content\": \"");
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)prompt[i];

            if (c == '"' || c == '\\')
                vars[vlen++] = '\\', vars[vlen++] = (char)c;
            else if (c < 0x20)
                vlen += (size_t)snprintf(vars + vlen, cap - vlen, "\\u%04x", c);
            else
                vars[vlen++] = (char)c;
            if (vlen + 16 > cap && !(vars = realloc(vars, cap *= 2)))
                return CLI_FAIL;
        }
        vlen += (size_t)snprintf(vars + vlen, cap - vlen, "\"}]}");
        if (mnlp_tokenizer_apply_chat_template(tok, NULL, vars, vlen, MNLP_TEMPLATE_NOW_CLOCK,
                                               &text, &len) != MNLP_OK)
            rc = cli_fail(NULL);
        free(vars);
        src = text;
    }
    if (rc == CLI_OK && mnlp_tokenizer_encode(tok, src, len, !chat, &enc) != MNLP_OK)
        rc = cli_fail(NULL);
    if (rc == CLI_OK) {
        *n = (int64_t)mnlp_encoding_len(enc);
        if (!(*ids = malloc(sizeof **ids * (size_t)(*n ? *n : 1))))
            rc = CLI_FAIL;
        for (int64_t i = 0; rc == CLI_OK && i < *n; i++)
            (*ids)[i] = mnlp_encoding_ids(enc)[i];
    }
    mnlp_encoding_free(enc);
    mnlp_free(text);
    return rc;
}

static int run_run(int argc, char **argv)
{
    static const char *const chat_flag[] = {"--chat", NULL};
    static const char *const *const flags[] = {chat_flag};
    const char *prompt = NULL, *max_new = NULL;
    char **rest = malloc(sizeof *rest * (size_t)(argc + 1));
    int n_rest = 0, rc;
    bool chat = false;
    cli_model_args args;
    mnlp_tokenizer *tok = NULL;
    mnlp_lm *lm = NULL;
    mnlp_generate_params params = mnlp_generate_default_params();
    /* 200 new tokens unless asked: generation_config.json's max_length (20 by
     * default) is meant for generate calls, not for reading a continuation. */
    int64_t max_new_tokens = 200;
    int64_t *ids = NULL, *out = NULL, n_ids = 0, n_out = 0;
    printer p = {NULL, 0};

    if (!rest)
        return CLI_FAIL;
    /* --max-new-tokens N here; MODEL, PROMPT, --revision and --chat there. */
    for (int i = 0; i < argc; i++) {
        if (i > 0 && !strcmp(argv[i], "--max-new-tokens") && i + 1 < argc)
            max_new = argv[++i];
        else
            rest[n_rest++] = argv[i];
    }
    rc = cli_parse_model_args(&cli_run, n_rest, rest, flags, &chat, 1, 1, &args);
    prompt = args.n_extra ? args.extra[0] : NULL;
    if (rc == CLI_OK && !prompt)
        rc = cli_usage_error(&cli_run, "no PROMPT given");
    if (rc == CLI_OK && max_new) {
        char *end;

        max_new_tokens = strtoll(max_new, &end, 10);
        if (*end || max_new_tokens < 0 || max_new_tokens > 1000000)
            rc = cli_usage_error(&cli_run, "--max-new-tokens %s is not a count", max_new);
    }
    params.max_new_tokens = max_new_tokens;
    if (rc == CLI_OK)
        rc = cli_open_tokenizer(args.model, args.revision, &tok);
    if (rc == CLI_OK && mnlp_lm_load(args.model, args.revision, &lm) != MNLP_OK)
        rc = cli_fail(NULL);
    if (rc == CLI_OK)
        rc = prompt_ids(tok, prompt, chat, &ids, &n_ids);
    if (rc == CLI_OK && !(out = malloc(sizeof *out * (size_t)(n_ids + params.max_new_tokens))))
        rc = CLI_FAIL;
    if (rc == CLI_OK && mnlp_generate(lm, ids, n_ids, &params, out, &n_out) != MNLP_OK)
        rc = cli_fail(NULL);
    p.tok = tok;
    /* With --chat only the answer is shown; otherwise the prompt and its continuation. */
    if (rc == CLI_OK && chat)
        rc = print_new_text(&p, out + n_ids, n_out - n_ids, true);
    else if (rc == CLI_OK)
        rc = print_new_text(&p, out, n_out, true);
    if (rc == CLI_OK)
        printf("\n");
    free(out);
    free(ids);
    free(rest);
    mnlp_lm_free(lm);
    mnlp_tokenizer_free(tok);
    return rc;
}

const cli_command cli_run = {
    .name = "run",
    .summary = "continue a prompt with a causal language model",
    .usage =
        "usage: mnlp run MODEL PROMPT [--max-new-tokens N] [--chat] [--revision REV]\n"
        "\n"
        "Generate the continuation of PROMPT greedily, as transformers' generate does\n"
        "with the model's generation_config.json, and print the prompt and the\n"
        "continuation decoded without special tokens. --chat sends PROMPT as one user\n"
        "turn through the model's chat template and prints only the answer.\n"
        "--max-new-tokens defaults to 200.\n",
    .run = run_run,
};
